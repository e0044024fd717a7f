// walker/classify_int.h - shared state and helpers of the detectors
// (classify.c, detect_*.c). Not a public header.
#ifndef DW_WALKER_CLASSIFY_INT_H
#define DW_WALKER_CLASSIFY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/text.h"
#include "walker/classify.h"
#include "walker/dump.h"
#include "walker/finding.h"
#include "walker/streams.h"
#include "walker/vmlayout.h"
#include "walker/walk.h"

// Catalog names, spelled once (PATTERNS.md).
#define DW_P_EXCEPTION_MODULE "Exception Module"
#define DW_P_NULL_DATA "NULL Pointer (Data)"
#define DW_P_NULL_CODE "NULL Pointer (Code)"
#define DW_P_INVALID_POINTER "Invalid Pointer (General)"
#define DW_P_WILD_CODE "Wild Code"
#define DW_P_DIVIDE "Divide by Zero (User Mode)"
#define DW_P_STACK_OVERFLOW "Stack Overflow (User Mode)"
#define DW_P_CPP "C++ Exception"
#define DW_P_MANAGED "Managed Code Exception"
#define DW_P_BUFFER_OVERFLOW "Local Buffer Overflow (User Space)"
#define DW_P_HEAP_CORRUPTION "Dynamic Memory Corruption (Process Heap)"
#define DW_P_STORED "Stored Exception"
#define DW_P_MANUAL "Manual Dump (Process)"
#define DW_P_HANDLE_LEAK "Handle Leak"
#define DW_P_MEMORY "Memory Leak (Process Heap) / Insufficient Memory (Committed Memory)"
#define DW_P_FRAGMENTATION "Module Fragmentation"
#define DW_P_HOOKSWARE "Hooksware"
#define DW_P_LAST_ERROR "Last Error Collection"
#define DW_P_ENVIRONMENT "Environment Hint"
#define DW_P_INSTRUMENTATION "Instrumentation Information"
#define DW_P_COMMENTS "Embedded Comments"
#define DW_P_THREAD_AGE "Thread Age"
#define DW_P_SPIKING "Active Thread / Spiking Thread"
#define DW_P_NOT_MY_THREAD "Not My Thread"
#define DW_P_WOW64 "Virtualized Process (WOW64)"
#define DW_P_CLR "CLR Thread / JIT Code (.NET)"

// A bounded string under construction: exactly what snprintf into p[size]
// would produce (truncated, always NUL-terminated), without format parsing.
// Folklore: the detectors build a "module!function+0x12" for every frame and
// word they show, and an explanation for every finding, on every analysis;
// through snprintf that was about a fifth of their cost.
typedef struct dw_sb {
	char  *p;
	size_t size; // > 0
	size_t n;    // characters written; always < size
} dw_sb;

static inline void
dw_sb_init(dw_sb *b, char *p, size_t size)
{
	b->p    = p;
	b->size = size;
	b->n    = 0;
	p[0]    = 0;
}

// len bytes of s (no NUL among them).
static inline void
dw_sb_mem(dw_sb *b, const char *s, size_t len)
{
	size_t room = b->size - 1 - b->n;
	if (len > room)
		len = room;
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = 0;
}

static inline void
dw_sb_str(dw_sb *b, const char *s)
{
	while (*s != 0 && b->n + 1 < b->size)
		b->p[b->n++] = *s++;
	b->p[b->n] = 0;
}

static inline void
dw_sb_char(dw_sb *b, char c)
{
	if (b->n + 1 < b->size)
		b->p[b->n++] = c;
	b->p[b->n] = 0;
}

// v in lowercase hex without a prefix, as "%" PRIx64.
static inline void
dw_sb_hex(dw_sb *b, uint64_t v)
{
	char t[17];
	dw_sb_mem(b, t, dw_fmt_hex(t, v, 1, false));
}

// "0x" and v in lowercase hex, as "0x%" PRIx64.
static inline void
dw_sb_0xhex(dw_sb *b, uint64_t v)
{
	dw_sb_mem(b, "0x", 2);
	dw_sb_hex(b, v);
}

// v in decimal, as "%" PRIu64.
static inline void
dw_sb_dec(dw_sb *b, uint64_t v)
{
	char t[21];
	dw_sb_mem(b, t, dw_fmt_u(t, v));
}

typedef struct dw_cx {
	const dw_dump            *d;
	const dw_md_streams      *s;
	const dw_classify_config *cfg;
	dw_findings              *fs;
	dw_cpu                    cpu; // of the dump's contexts
	unsigned                  ptr; // pointer size of the dump's CPU: 4 or 8
	const dw_md_module       *modules;
	size_t                    nmodules;
	const dw_md_module       *exe; // the main image: the first module, by convention
	// The CLR runtime (clr.dll, else coreclr.dll, else mscorwks.dll), or NULL;
	// valid when has_clr is set.
	const dw_md_module       *clr;
	bool                      has_clr;
	dw_vml                    vml;
	bool                      has_vml;
} dw_cx;

void dw_classify__exception(dw_cx *cx);
void dw_classify__memory(dw_cx *cx);
void dw_classify__handles(dw_cx *cx);
void dw_classify__threads(dw_cx *cx);
void dw_classify__platform(dw_cx *cx);

// Reads of process memory from the dump (little-endian); false when missing.
bool dw_classify__u32(const dw_cx *cx, uint64_t addr, uint32_t *out);
bool dw_classify__u64(const dw_cx *cx, uint64_t addr, uint64_t *out);
// A pointer of the dump's size (4 or 8 bytes).
bool dw_classify__ptr(const dw_cx *cx, uint64_t addr, uint64_t *out);
// "module.dll+0x1234" or "0x... (in no module)" into buf.
void dw_classify__where(const dw_cx *cx, uint64_t addr, char *buf, size_t size);
// "module!function+0x12", "module+0x1234" or "0xADDR" for a walked frame into buf.
void dw_classify__frame_where(const dw_frame *f, char *buf, size_t size);
// The module whose file name (no path, case-insensitive) is `name`, or NULL.
const dw_md_module *dw_classify__module_named(const dw_cx *cx, const char *name);
// The file name (no path) of modules[i].
const char *dw_classify__base(const dw_cx *cx, size_t i);
// The loaded CLR runtime (clr.dll, coreclr.dll, then mscorwks.dll), or NULL.
const dw_md_module *dw_classify__clr(dw_cx *cx);

#endif
