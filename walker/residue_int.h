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

// One remembered classification of a value (the same return address shows
// up on many stacks; disassembling it once is enough).
typedef struct dw_res_memo {
	uint64_t    value;
	bool        used;
	dw_res_word w; // addr, live, below_sp not meaningful
} dw_res_memo;

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
	dw_res_memo         *memo; // DW_RES_MEMO_SLOTS entries
	dw_cpu               cpu;
	unsigned             ptr;
};

// dw_res__classify fills *out (everything but addr, live, below_sp) for a
// value seen on a `cpu` stack.
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
// fills t->hidden. tw is the walk of the thread (for what is live).
dw_err dw_res__hidden(dw_residue *r, dw_res_thread *t, const dw_thread_walk *tw);

#endif
