// walker/residue.h - what the raw stack memory of every thread still holds:
// each pointer-sized word from a little below the stack pointer up to the
// stack base, classified (return address, code pointer, stack / module data /
// heap pointer, text, fill pattern) and symbolized like WinDbg's `dps`; and
// the hidden exceptions found in that memory (exception-dispatch residue, an
// EXCEPTION_RECORD with a CONTEXT near it), each recovered CONTEXT walked as
// a second stack of its thread.
//
// A scan reads the dump through a walk (walker/walk.h): the walk's frames say
// which return addresses are live, and its provider names the values. It is
// allocated apart from the walk but borrows it: free the residue first.
#ifndef DW_WALKER_RESIDUE_H
#define DW_WALKER_RESIDUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "walker/dump.h"
#include "walker/finding.h"
#include "walker/walk.h"

// What one stack word is, in the order the scanner decides (the first rule
// that matches wins).
typedef enum dw_res_class {
	DW_RES_OTHER = 0,   // nothing recognisable (small integers, zeros, unmapped values)
	DW_RES_FILL,        // a known fill pattern (0xCCCCCCCC, 0xFEEEFEEE...); `text` names it
	DW_RES_RETURN,      // in module code and preceded by a CALL ending at it
	DW_RES_CODE,        // in module code, not a call site: function pointer, vtable slot
	DW_RES_STACK,       // into a thread's stack (`tid` says whose)
	DW_RES_MODULE_DATA, // into a module outside its code (globals, vtables, strings)
	DW_RES_HEAP,        // into private committed memory that is no stack (MemoryInfoList)
	DW_RES_ASCII,       // printable ASCII bytes (`text`)
	DW_RES_UTF16,       // printable UTF-16LE characters (`text`, as ASCII)
	DW_RES_NCLASSES,
} dw_res_class;

// dw_res_class_name returns "other", "fill", "return", "code", "stack",
// "module_data", "heap", "ascii" or "utf16".
const char *dw_res_class_name(dw_res_class c);

typedef struct dw_res_word {
	uint64_t            addr;  // where the word lies on the stack
	uint64_t            value;
	const dw_md_module *module; // module holding value (RETURN, CODE, MODULE_DATA), else NULL
	const char         *function; // symbol at value (value - 1 for RETURN), NULL without one
	uint64_t            function_offset; // value - the symbol's start
	uint64_t            call_target;     // RETURN: a direct call's target, 0 when indirect
	const char         *target_function; // the target's symbol, or NULL
	const char         *text;  // FILL: the pattern's name; ASCII/UTF16: the characters
	uint32_t            tid;   // STACK: the thread whose stack value points into
	dw_res_class        cls;
	bool                live;   // RETURN: the slot of a frame of the walked stack
	bool                below_sp; // lies below the thread's stack pointer (already popped)
} dw_res_word;

// One hidden exception: an exception record (and the context it came with)
// left in a thread's stack memory by a dispatch that is over.
typedef struct dw_res_hidden {
	uint32_t tid;
	uint64_t record_addr;  // the EXCEPTION_RECORD in the stack, 0 when only dispatch frames were found
	uint32_t code, flags, nparams;
	uint64_t address;      // ExceptionAddress
	uint64_t params[15];
	uint64_t context_addr; // the CONTEXT found with it, 0 when none was plausible
	uint64_t context_ip, context_sp;
	bool     ip_matches;   // context IP == ExceptionAddress
	dw_stack stack;        // the context walked (nframes 0 without a context)
	// Exception-dispatch return addresses found in the stack (first few).
	const dw_res_word *dispatch[4];
	size_t             ndispatch;
	size_t             copies; // records with this code and address found in the stack
} dw_res_hidden;

typedef struct dw_res_thread {
	uint32_t tid;
	dw_cpu   cpu;   // of the stack scanned (x86 for a WOW64 32-bit stack)
	unsigned ptr;   // word size: 4 or 8
	uint64_t sp;    // the thread's stack pointer
	uint64_t lo, hi; // scanned range [lo, hi)
	// Classified words in address order; DW_RES_OTHER words are counted only.
	const dw_res_word *words;
	size_t             nwords;
	size_t             counts[DW_RES_NCLASSES];
	size_t             residue_returns; // RETURN words not among the live frames
	size_t             dropped;         // words past DW_MAX_RESIDUE_WORDS, not kept
	bool               missing;         // no stack memory (nothing scanned)
	const dw_res_hidden *hidden;
	size_t               nhidden;
} dw_res_thread;

typedef struct dw_residue dw_residue;

typedef struct dw_residue_options {
	// Bytes scanned below the stack pointer (0: DW_RESIDUE_BELOW_SP, 256).
	uint32_t below_sp;
	// Skip the hidden-exception search.
	bool no_hidden;
} dw_residue_options;

// dw_residue_scan classifies the stack memory of every thread of the walk
// `w` (made by dw_walk_dump over `d`; its provider names the values) and
// looks for hidden exceptions, walking each recovered CONTEXT with
// dw_walk_stack (those stacks live in `w`). opt may be NULL. *out is owned by
// the caller (dw_residue_free) and borrows `w` and `d`; free it first.
// DW_ENOMEM only: threads without stack memory say so (missing).
// Not thread-safe for one walk (it opens provider handles in `w`).
dw_err dw_residue_scan(dw_residue **out, dw_walk *w, const dw_residue_options *opt);

// dw_residue_free releases the scan. NULL is fine.
void dw_residue_free(dw_residue *r);

// dw_residue_threads returns the scanned threads in dump order (borrowed).
const dw_res_thread *dw_residue_threads(const dw_residue *r, size_t *n);

// dw_residue_classify appends the residue patterns to `fs`: Execution Residue
// (Unmanaged Space, User), Coincidental Symbolic Information, Incorrect Stack
// Trace, Rough Stack Trace (Unmanaged Space) and Hidden Exception (User
// Space), with threads, words and recovered frames as evidence. DW_ENOMEM
// only.
dw_err dw_residue_classify(dw_findings *fs, dw_residue *r);

// dw_res_fill_name returns the name of a fill pattern ("0xCCCCCCCC: MSVC
// uninitialised stack (/RTCs)") when v (of `ptr` bytes) is one, else NULL.
const char *dw_res_fill_name(uint64_t v, unsigned ptr);

// dw_res_plausible_record says whether `b` (len bytes) starts with a plausible
// EXCEPTION_RECORD of a `ptr`-byte process (4 or 8): code with severity
// bits, sane flags, NumberParameters <= 15. Exposed for tests and fuzzing.
bool dw_res_plausible_record(const uint8_t *b, size_t len, unsigned ptr);

#endif
