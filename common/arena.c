#include "common/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"

// Chunks grow geometrically from a small start, so a tiny dump costs one small
// allocation and a large one few.
#define ARENA_FIRST_CHUNK 4096
#define ARENA_ALIGN 16

struct dw_arena_chunk {
	dw_arena_chunk *next;
	size_t          size; // usable bytes in data
	size_t          off;  // next free byte in data
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

void
dw_arena_init(dw_arena *a, size_t max)
{
	a->head = NULL;
	a->used = 0;
	a->max  = max ? max : DW_MAX_ARENA_BYTES;
	a->over_ceiling = false;
}

void
dw_arena_fini(dw_arena *a)
{
	dw_arena_chunk *c = a->head;
	while (c != NULL) {
		dw_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->used = 0;
}

// Uninitialised bytes; dw_arena_alloc zeroes them, the string copies
// overwrite them whole.
static void *
alloc_raw(dw_arena *a, size_t size)
{
	if (size == 0)
		size = 1;
	if (size > a->max - a->used || size > SIZE_MAX - ARENA_ALIGN) {
		a->over_ceiling = true;
		return NULL;
	}
	size_t          need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	dw_arena_chunk *c    = a->head;
	if (c == NULL || c->size - c->off < need) {
		size_t csize = c ? c->size * 2 : ARENA_FIRST_CHUNK;
		if (csize < need)
			csize = need;
		c = malloc(sizeof(*c) + csize);
		if (c == NULL)
			return NULL;
		c->next = a->head;
		c->size = csize;
		c->off  = 0;
		a->head = c;
	}
	void *p = c->data + c->off;
	c->off += need;
	a->used += need;
	return p;
}

void *
dw_arena_alloc(dw_arena *a, size_t size)
{
	void *p = alloc_raw(a, size);
	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void *
dw_arena_array(dw_arena *a, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		a->over_ceiling = true;
		return NULL;
	}
	return dw_arena_alloc(a, n * size);
}

void *
dw_arena_memdup(dw_arena *a, const void *src, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		a->over_ceiling = true;
		return NULL;
	}
	void *p = alloc_raw(a, n * size);
	if (p != NULL && n * size != 0)
		memcpy(p, src, n * size);
	return p;
}

char *
dw_arena_strndup(dw_arena *a, const char *s, size_t len)
{
	if (len == SIZE_MAX)
		return NULL;
	char *p = alloc_raw(a, len + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
dw_arena_strdup(dw_arena *a, const char *s)
{
	return dw_arena_strndup(a, s, strlen(s));
}

char *
dw_arena_printf(dw_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = alloc_raw(a, (size_t)n + 1);
	if (p == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
