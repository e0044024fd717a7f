// walker/unwind_int.h - module-internal interface of the unwinders
// (unwind_amd64.c, unwind_x86.c, scan.c, wow64.c, walk.c). Not installed;
// tests include it to drive one unwinding step against hand-built data.
#ifndef DW_WALKER_UNWIND_INT_H
#define DW_WALKER_UNWIND_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "walker/context.h"
#include "walker/disasm.h"
#include "walker/dump.h"
#include "walker/symsrc.h"
#include "walker/walk.h"

// Reads up to len bytes of process memory at addr; returns how many were
// copied contiguously from addr (0 when addr is not captured).
typedef size_t (*dw_uw_read_fn)(void *arg, uint64_t addr, void *buf, size_t len);

typedef struct dw_uw_module {
	const dw_md_module *md;  // NULL for a test module
	uint64_t            base;
	uint32_t            size;
	dw_cpu              cpu;
	dw_symsrc_module    id;
	void               *handle;  // provider handle (NULL: no symbols)
	bool                opened;  // open was tried
	// The image's exception directory (x64 .pdata), read from dump memory or
	// provider code bytes: 0 not tried, 1 found, -1 absent.
	int      pdata_state;
	uint32_t pdata_rva, pdata_size;
	// Whether any x64 unwind data (provider or image) exists for the module;
	// -1 not known yet.
	int has_x64;
} dw_uw_module;

typedef struct dw_uw {
	dw_uw_read_fn    read;
	void            *read_arg;
	const dw_symsrc *src;
	dw_dis          *dis;
	dw_uw_module    *mods; // sorted by base
	size_t           nmods;
	dw_notes        *notes;
	uint64_t         stack_lo, stack_hi; // the stack being walked
} dw_uw;

// How one unwinding step ended.
typedef enum dw_uw_res {
	DW_UW_DONE = 0,  // caller context computed
	DW_UW_NORULE,    // this method does not apply here
	DW_UW_NOMEM,     // it applies, but memory it needs is missing
	DW_UW_BAD,       // it applies, but the data is unusable
} dw_uw_res;

// dw_uw__module_at returns the module holding addr (any CPU when cpu is
// DW_CPU_UNKNOWN, else only modules of that CPU), or NULL.
dw_uw_module *dw_uw__module_at(dw_uw *u, uint64_t addr, dw_cpu cpu);
// dw_uw__handle opens the provider handle of m on first use; NULL without symbols.
void *dw_uw__handle(dw_uw *u, dw_uw_module *m);
// dw_uw__read_u32 / _u64 read one value of process memory; false when missing.
bool dw_uw__read_u32(dw_uw *u, uint64_t addr, uint32_t *out);
bool dw_uw__read_u64(dw_uw *u, uint64_t addr, uint64_t *out);
// dw_uw__read_code copies code bytes at addr: dump memory first, then the
// provider's image of the module holding addr. Returns the bytes copied.
size_t dw_uw__read_code(dw_uw *u, uint64_t addr, uint8_t *buf, size_t len);
// dw_uw__call_before says whether the bytes before `ret` decode as a CALL
// ending at ret. *known is false when no bytes were available to decide.
bool dw_uw__call_before(dw_uw *u, dw_cpu cpu, uint64_t ret, bool *known);
// dw_uw__plausible_ra: ret lies in a module of `cpu`, is call-preceded where
// bytes exist, and lies in a function where the module has symbols.
bool dw_uw__plausible_ra(dw_uw *u, dw_cpu cpu, uint64_t ret);

// dw_uw__amd64_step computes the caller of `ctx` from x64 unwind data:
// provider RUNTIME_FUNCTION/UNWIND_INFO, else the image's .pdata; a function
// without data in a module that has data is a leaf. *machframe is set when a
// PUSH_MACHFRAME restored an interrupted context (its RIP is exact, not a
// return address). *leaf is set when the leaf rule was used.
// `lookup` is the address whose function applies: the IP for the context
// frame, the return address minus one for a caller (a CALL ending a function
// returns to the start of the next one).
dw_uw_res dw_uw__amd64_step(dw_uw *u, const dw_context *ctx, uint64_t lookup, dw_context *caller,
                            bool *machframe, bool *leaf);
// dw_uw__amd64_unwind applies one function's UNWIND_INFO (fn) to ctx in place,
// Windows' RtlVirtualUnwind semantics: prolog, epilog, chains, machine frames.
dw_uw_res dw_uw__amd64_unwind(dw_uw *u, dw_uw_module *m, const dw_symsrc_x64 *fn, dw_context *ctx,
                              bool *machframe);

// dw_uw__cfi_step applies STACK CFI rules (.sym) on either CPU.
dw_uw_res dw_uw__cfi_step(dw_uw *u, const dw_context *ctx, uint64_t lookup, dw_context *caller);

// x86: STACK WIN (frame data, FPO) with Breakpad's fixes, then the EBP chain.
// callee_params: the parameter bytes the frame below pushed (.cbCalleeParams).
// *param_size receives the record's parameter bytes (for the next step's
// .cbCalleeParams).
dw_uw_res dw_uw__x86_win_step(dw_uw *u, const dw_context *ctx, uint64_t lookup,
                              uint32_t callee_params, dw_context *caller, dw_trust *trust,
                              uint32_t *param_size);
dw_uw_res dw_uw__x86_fp_step(dw_uw *u, const dw_context *ctx, dw_context *caller);
// dw_uw__x86_epilog_step: for the context frame only (its EIP is exact), when
// the code at EIP runs straight to a RET (dw_dis_x86_epilog), executes it:
// *caller is the caller's exact register state. DW_UW_NORULE when EIP is not
// in such a run or its bytes are unknown.
dw_uw_res dw_uw__x86_epilog_step(dw_uw *u, const dw_context *ctx, dw_context *caller);

// Postfix programs (STACK WIN program strings, STACK CFI expressions).
#define DW_PF_MAX_VARS 48
typedef struct dw_pf_var {
	char     name[24];
	uint64_t value;
	bool     set_by_program;
} dw_pf_var;
typedef struct dw_pf {
	dw_uw    *u;
	unsigned  width; // 4 or 8: values wrap and ^ reads this many bytes
	dw_pf_var vars[DW_PF_MAX_VARS];
	size_t    nvars;
} dw_pf;
void dw_pf__set(dw_pf *pf, const char *name, uint64_t v, bool by_program);
bool dw_pf__get(const dw_pf *pf, const char *name, uint64_t *v, bool *by_program);
// dw_pf__run runs a program ("$T0 $ebp = $eip $T0 4 + ^ = ...") or, with
// expr, evaluates one expression into *result. DW_UW_NOMEM when a ^ read
// failed, DW_UW_BAD for a malformed program.
dw_uw_res dw_pf__run(dw_pf *pf, const char *prog, bool expr, uint64_t *result);

// dw_uw__scan looks for a return address from `start` upward (capped);
// *found_at receives where it lay, *ra its value.
bool dw_uw__scan(dw_uw *u, dw_cpu cpu, uint64_t start, size_t max_words, uint64_t *found_at,
                 uint64_t *ra);

#endif
