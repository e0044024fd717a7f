// walker/residue_int.h - module-internal: the residue scan's state, shared by
// residue.c (classification), hidden.c (hidden exceptions) and
// detect_residue.c (the findings). Not a public header.
#ifndef DW_WALKER_RESIDUE_INT_H
#define DW_WALKER_RESIDUE_INT_H

#include "common/arena.h"
#include "walker/residue.h"
#include "walker/streams.h"
#include "walker/unwind_int.h"

// A thread's stack as other values may point into it.
typedef struct dw_res_stackrange {
	uint32_t tid;
	uint64_t lo, hi;     // captured memory
	uint64_t alloc_base; // MemoryInfoList AllocationBase of the stack, 0 unknown
} dw_res_stackrange;

// An address range [lo, last] (inclusive, so a range reaching the top of the
// address space needs no wrap) that a value must fall in to be a pointer the
// scan classifies: a module, a stack, committed private memory.
typedef struct dw_res_span {
	uint64_t lo, last;
	unsigned kinds; // DW_RES_IN_* of the ranges merged into it
} dw_res_span;

#define DW_RES_PAGE_SLOTS 256

#define DW_RES_IN_MODULE 1u
#define DW_RES_IN_STACK 2u
#define DW_RES_IN_HEAP 4u

// Remembered classifications of values (the same return address shows up on
// many stacks; disassembling it once is enough): direct-mapped slots, a key
// of 0 is an empty slot (only values >= 0x10000 are remembered). The table
// is made on first use, DW_RES_MEMO_MIN slots or a quarter of the stack
// words, at most DW_RES_MEMO_SLOTS.
#define DW_RES_MEMO_MIN 64
#define DW_RES_MEMO_SLOTS 4096

struct dw_residue {
	dw_walk             *w;
	const dw_dump       *d;
	dw_uw               *u;
	const dw_md_streams *s;
	dw_arena             arena;
	dw_res_thread       *threads;
	size_t               nthreads;
	dw_res_stackrange   *stacks;
	size_t               nstacks;
	uint64_t            *memo_key;  // value ^ cpu << 60, 0: empty
	dw_res_word         *memo_word; // classifications (addr, live, below_sp unused)
	size_t               memo_mask; // slots - 1
	size_t               total_words; // stack words of all threads, sizes the memo
	// Where a pointer may point (modules, stacks, committed private memory),
	// sorted and merged: a value outside all is no pointer the scan names.
	dw_res_span         *spans;
	size_t               nspans;
	// Pages wholly inside one span or one gap, with the span's kinds (0 for
	// a gap): direct-mapped by page number, key page + 1 (0: empty).
	uint64_t page_key[DW_RES_PAGE_SLOTS];
	uint8_t  page_kinds[DW_RES_PAGE_SLOTS];
	// Kept words of the thread being scanned (grown by doubling); at its
	// end the array becomes the thread's words and joins blocks, freed
	// with the scan.
	dw_res_word         *cur;
	size_t               cur_cap, first_cap;
	dw_res_word        **blocks;
	size_t               nblocks;
	// Offsets from the scanned thread's lo of the words that may start an
	// EXCEPTION_RECORD (dw_res__record_candidate), ascending: scan_thread
	// collects them in its pass over the words, dw_res__hidden checks only
	// them instead of every offset again.
	uint32_t            *cands;
	size_t               ncands, cands_cap;
	dw_cpu               cpu;
	unsigned             ptr;
};

// dw_res__record_candidate says whether the stack word v (`ptr` bytes) may be
// the start of an EXCEPTION_RECORD: the code (its low 32 bits) has severity
// bits and bit 28 clear, and on x64 the flags (the high 32 bits) fit in a
// byte. Every record dw_res_plausible_record accepts passes; most words fail.
static inline bool
dw_res__record_candidate(uint64_t v, unsigned ptr)
{
	uint32_t code = (uint32_t)v;
	return (code >> 30) != 0 && (code & 0x10000000u) == 0 && (ptr != 8 || (v >> 32) <= 0xffu);
}

// dw_res__classify fills *out (everything but addr, live, below_sp) for a
// value seen on a `cpu` stack. For DW_RES_OTHER, the class of most words,
// only out->cls is written: such words are counted, never kept.
void dw_res__classify(dw_residue *r, dw_cpu cpu, unsigned ptr, uint64_t value, dw_res_word *out);
// dw_res__symbol names `addr` through the walk's provider: module (may be
// NULL), function (NULL without symbols) and offset from the function.
void dw_res__symbol(dw_residue *r, uint64_t addr, const dw_md_module **mod, const char **fn,
                    uint64_t *fn_start);
// dw_res__call_before says whether a CALL instruction ends at `ret`; *target
// receives a direct call's target (0 for an indirect call).
bool dw_res__call_before(dw_residue *r, dw_cpu cpu, uint64_t ret, uint64_t *target);
// dw_res__stack_of returns the stack range holding addr, or NULL.
const dw_res_stackrange *dw_res__stack_of(const dw_residue *r, uint64_t addr);
// dw_res__hidden searches thread t's stack memory for hidden exceptions and
// fills t->hidden. live is the walked stack of that memory (NULL: none).
dw_err dw_res__hidden(dw_residue *r, dw_res_thread *t, const dw_stack *live);
// dw_res__walked returns the walked stack that t's memory belongs to: the
// thread's native stack, or for the 32-bit record of a WOW64 thread its
// 32-bit stack; NULL when the thread was not walked.
const dw_stack *dw_res__walked(const dw_residue *r, const dw_res_thread *t);

#endif
