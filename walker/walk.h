// walker/walk.h - the stack walker: every thread of a dump, unwound into
// frames that say where they are (module, function, line, inline frames), how
// each was found (trust) and which registers were recovered; every thread says
// why its walk stopped. A 64-bit dump of a 32-bit (WOW64) process gets both
// stacks per thread.
//
// Unwinding order, per frame (callee -> caller):
//   amd64: unwind info (provider RUNTIME_FUNCTION + UNWIND_INFO, else the
//          image's .pdata read from dump memory or provider code bytes) with
//          Windows' semantics; a function without unwind info in a module
//          that has some is a leaf; STACK CFI from a .sym; then scanning.
//   x86:   STACK WIN frame data (type 4) programs, FPO (type 0), STACK CFI,
//          EBP chain, then scanning.
// Symbol lookup for a caller frame uses its return address minus one (the
// CALL instruction, which may belong to a different line or function than
// the return address, e.g. a noreturn call ending a function).
#ifndef DW_WALKER_WALK_H
#define DW_WALKER_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "walker/context.h"
#include "walker/dump.h"
#include "walker/symsrc.h"

typedef struct dw_walk dw_walk;
typedef struct dw_dis  dw_dis; // walker/disasm.h

// How a frame was found, most trusted first in meaning (rust-minidump's
// FrameTrust plus the WOW64 context).
typedef enum dw_trust {
	DW_TRUST_NONE = 0,
	DW_TRUST_SCAN,          // stack scanning: a call-preceded value in a module
	DW_TRUST_CFI_SCAN,      // unwind data, then a short scan for the return address
	DW_TRUST_FRAME_POINTER, // frame-pointer chain (EBP; RBP where unwind info says so)
	DW_TRUST_CFI,           // unwind info: x64 UNWIND_INFO, STACK WIN, STACK CFI
	DW_TRUST_CONTEXT,       // the thread's (or the exception's) CPU context
	DW_TRUST_WOW64_CONTEXT, // the 32-bit context WOW64 saved in the 64-bit TEB
} dw_trust;

// dw_trust_name returns "none", "scan", "cfi_scan", "frame_pointer", "cfi",
// "context" or "wow64_context" (rust-minidump's JSON names plus ours).
const char *dw_trust_name(dw_trust t);

// Why a thread's walk stopped.
typedef enum dw_walk_end {
	DW_WALK_END_THREAD_START = 0, // the caller's return address is 0: bottom of the thread
	DW_WALK_END_LEFT_STACK,       // the caller's stack pointer left the thread's stack
	DW_WALK_END_NO_MEMORY,        // a value the unwinder needed is not in the dump
	DW_WALK_END_CAP,              // DW_MAX_FRAMES reached
	DW_WALK_END_INVALID_ADDRESS,  // caller IP not code-like, or SP did not move up
	DW_WALK_END_NO_CALLER,        // no unwind rule applied and scanning found nothing
	DW_WALK_END_NO_CONTEXT,       // the thread has no usable context
	DW_WALK_END_UNAVAILABLE,      // WOW64: the 32-bit context is not in the dump
} dw_walk_end;

// dw_walk_end_name returns a short static description ("reached thread start").
const char *dw_walk_end_name(dw_walk_end e);

typedef struct dw_frame_inline {
	const char *function;
	const char *file; // source position inside the inlined function, or NULL
	uint32_t    line;
} dw_frame_inline;

typedef struct dw_frame {
	uint64_t            ip;          // instruction address (a caller's return address)
	uint64_t            lookup;      // address symbolized: ip, or ip - 1 for a caller
	const dw_md_module *module;      // NULL outside every module (borrowed from the dump)
	uint64_t            module_offset;
	const char         *function;    // NULL without symbols (borrowed from the provider)
	uint64_t            function_offset; // from the function's start to `ip`
	bool                is_public;   // function name came from a PUBLIC, not a FUNC
	const char         *file;        // NULL when unknown
	uint32_t            line;
	// Inline frames at this address, innermost first; each is a frame of its
	// own in a rendered stack, above the physical frame.
	const dw_frame_inline *inlines;
	size_t                 ninlines;
	dw_trust               trust;
	dw_context             ctx; // registers for this frame; ctx.valid says which are known
} dw_frame;

typedef struct dw_stack {
	dw_cpu          cpu; // DW_CPU_X86 or DW_CPU_AMD64
	const dw_frame *frames;
	size_t          nframes;
	dw_walk_end     end;
	const char     *end_detail; // a sentence saying where and why; never NULL
} dw_stack;

// How WOW64's 32-bit context was found.
typedef enum dw_wow64_layout {
	DW_WOW64_NONE = 0,  // not a WOW64 thread / process
	DW_WOW64_WIN7_81,   // Vista-8.1: TlsSlots[1] -> {ULONG; WOW64_CONTEXT}
	DW_WOW64_WIN10,     // 10/11: TlsSlots[1] -> WOW64_CPURESERVED {USHORT Flags, Machine; CONTEXT}
} dw_wow64_layout;

typedef struct dw_thread_walk {
	uint32_t thread_id;
	bool     from_exception; // walked from the exception stream's context
	dw_stack stack;          // the native stack (64-bit on a WOW64 dump)
	// WOW64 only (dw_walk_is_wow64): the 32-bit stack, or its absence.
	bool            has_stack32;
	dw_wow64_layout wow64_layout;
	dw_stack        stack32; // end == DW_WALK_END_UNAVAILABLE when the context is missing
} dw_thread_walk;

typedef struct dw_walk_options {
	dw_dis *dis; // the caller's (worker's) disassembler; NULL: the walk makes one
} dw_walk_options;

// dw_walk_dump unwinds every thread of `d` (the exception thread from the
// exception stream's context) with symbols from `src` (NULL or ops NULL: no
// symbols). *out is owned by the caller (dw_walk_free); it borrows `d`, which
// must outlive it, and holds the provider handles it opened until freed.
// Problems that do not stop the walk are in dw_walk_notes. DW_ENOMEM only:
// a thread that cannot be walked says why in its dw_stack.
dw_err dw_walk_dump(dw_walk **out, const dw_dump *d, const dw_symsrc *src,
                    const dw_walk_options *opt);

// dw_walk_free releases the walk and closes its provider handles. NULL is fine.
void dw_walk_free(dw_walk *w);

// dw_walk_threads returns the walked threads in dump order (borrowed).
const dw_thread_walk *dw_walk_threads(const dw_walk *w, size_t *n);
// dw_walk_thread_find returns the walk of thread `tid`, or NULL.
const dw_thread_walk *dw_walk_thread_find(const dw_walk *w, uint32_t tid);

// dw_walk_is_wow64 says whether the dump is of a WOW64 process (64-bit dump,
// wow64 DLLs loaded, 32-bit main image); *why (may be NULL) receives the
// evidence as a sentence (borrowed).
bool dw_walk_is_wow64(const dw_walk *w, const char **why);

// dw_walk_notes returns what went wrong along the way (borrowed).
const dw_notes *dw_walk_notes(const dw_walk *w);

// dw_walk_stack walks one stack from `ctx` (cpu from ctx->cpu) with the dump's
// memory and modules: for callers that have a context of their own (a
// debugger's "k =" or a recovered context). The result is allocated in the
// walk `w` (made by dw_walk_dump) and lives until dw_walk_free. stack_lo and
// stack_hi bound the stack (0, 0: the memory range holding the SP).
dw_err dw_walk_stack(dw_stack *out, dw_walk *w, const dw_context *ctx, uint64_t stack_lo,
                     uint64_t stack_hi, dw_trust first_trust);

#endif
