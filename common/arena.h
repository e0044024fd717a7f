// common/arena.h - a region allocator for parse results.
//
// Everything a parse produces (records, strings, arrays) comes from the owning
// object's arena and is released at once by dw_arena_fini: no per-record frees,
// no fragments handed out individually (libgit2's pool). The arena refuses to
// grow past its byte ceiling, so a crafted count cannot turn a small input into
// a huge allocation. Not thread-safe; one arena belongs to one object.
#ifndef DW_COMMON_ARENA_H
#define DW_COMMON_ARENA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dw_arena_chunk dw_arena_chunk;

typedef struct dw_arena {
	dw_arena_chunk *head;    // newest chunk; allocations come from its tail
	size_t          used;    // bytes handed out, for statistics and the cap
	size_t          max;     // ceiling on `used` (DW_MAX_ARENA_BYTES by default)
	bool            over_ceiling; // an allocation was refused by `max`, not by malloc
} dw_arena;

// dw_arena_init prepares an empty arena in caller storage with ceiling `max`
// bytes (0 means DW_MAX_ARENA_BYTES).
void dw_arena_init(dw_arena *a, size_t max);
// dw_arena_fini releases every allocation; the arena is empty and reusable.
void dw_arena_fini(dw_arena *a);

// dw_arena_alloc returns `size` zeroed bytes aligned to 16, or NULL when out of
// memory or past the ceiling. Owned by the arena.
void *dw_arena_alloc(dw_arena *a, size_t size);
// dw_arena_array returns n*size zeroed bytes, NULL on overflow as well.
void *dw_arena_array(dw_arena *a, size_t n, size_t size);
// dw_arena_memdup copies n*size bytes (aligned to 16; NULL on overflow too):
// an array about to be overwritten whole is not zeroed first.
void *dw_arena_memdup(dw_arena *a, const void *src, size_t n, size_t size);
// dw_arena_strndup copies len bytes and a terminating NUL.
char *dw_arena_strndup(dw_arena *a, const char *s, size_t len);
// dw_arena_strdup copies a NUL-terminated string.
char *dw_arena_strdup(dw_arena *a, const char *s);
// dw_arena_printf formats into arena memory.
char *dw_arena_printf(dw_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
