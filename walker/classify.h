// walker/classify.h - the pattern detectors that need no stack walk.
//
// dw_classify runs every detector of the catalog (../shared/PATTERNS.md) whose
// evidence lies in the dump's streams and memory alone: exceptions and the
// exception address, handles, the memory layout, thread times, the TEB and PEB,
// comment streams, loaded modules. Stack-based detectors (waits, blocked
// threads, Main Thread, residue, hidden exceptions, signature) come with the
// stack walker and append to the same list.
//
// Each detector either reports findings (walker/finding.h), or says which
// stream it lacked with a "needs" finding; it never guesses.
#ifndef DW_WALKER_CLASSIFY_H
#define DW_WALKER_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "walker/dump.h"
#include "walker/finding.h"

// Thresholds. dw_classify_config_default fills the defaults named below; a
// daemon reads overrides from its configuration.
typedef struct dw_classify_config {
	// Handle Leak: a total above handle_total, or one object type above
	// handle_per_type (defaults 10000 and 2000; a healthy desktop process holds
	// a few hundred to a few thousand handles).
	size_t handle_total;
	size_t handle_per_type;
	// Memory Leak / Insufficient Memory: private committed bytes above
	// commit_private_32 (32-bit process, default 1 GiB: half the usual 2 GiB
	// user space) or commit_private_64 (default 16 GiB).
	uint64_t commit_private_32;
	uint64_t commit_private_64;
	// Module Fragmentation (32-bit address spaces only): reported when the
	// largest gap between modules is below fragment_gap (default 1.25 GiB) and
	// modules sit between two free ranges of at least fragment_min_range bytes
	// (default 64 MiB).
	uint64_t fragment_gap;
	uint64_t fragment_min_range;
	// Active Thread / Spiking Thread: the busiest thread's user+kernel time is
	// at least spike_min_100ns (default 1 s) and spike_share_pct percent of the
	// process's thread time (default 50).
	uint64_t spike_min_100ns;
	unsigned spike_share_pct;
	// Thread Age: threads created within young_thread_s seconds of the dump
	// are named (default 10).
	uint64_t young_thread_s;
	// Stack Overflow: a stack pointer within stack_guard_bytes of the stack
	// limit (default 3 pages, 0x3000).
	uint64_t stack_guard_bytes;
	// Hooksware: module base names (lowercase, without path) of known hooking
	// libraries; NULL uses the built-in list (Detours' detoured.dll, EasyHook,
	// madCodeHook, MinHook...).
	const char *const *hook_modules;
	size_t             nhook_modules;
} dw_classify_config;

// dw_classify_config_default fills *out with the defaults above.
void dw_classify_config_default(dw_classify_config *out);

// dw_classify runs the detectors over `d` (cfg NULL: defaults) and returns
// the findings in *out (caller owns it: dw_findings_free). Only DW_ENOMEM
// fails; a detector that cannot run says so inside the list. `d` is only read,
// so several threads may classify one dump at once.
dw_err dw_classify(dw_findings **out, const dw_dump *d, const dw_classify_config *cfg);

// dw_classify_into appends the findings to an existing list (the analysis
// report adds its stack-based findings to the same one).
dw_err dw_classify_into(dw_findings *fs, const dw_dump *d, const dw_classify_config *cfg);

// dw_classify_walk appends the stack-based findings to `fs`: Exception Stack
// Trace, Stack Trace Collection, Main Thread, Blocked / Passive / Input
// threads, Message Box, Wait Chain and Deadlock (Critical Sections), Active
// Thread (not parked in a wait), Blocking Module, Truncated Stack Trace,
// Language-Specific Subtrace, Multiple Exceptions, the heap patterns' stack
// part, and who wrote the dump (Stored Exception / Manual Dump). `w` is the
// walk of `d` (walker/walk.h), symbolized by the caller's provider: without
// function names the name-based detectors find nothing and say so. DW_ENOMEM
// only.
typedef struct dw_walk dw_walk;
dw_err dw_classify_walk(dw_findings *fs, const dw_dump *d, const dw_walk *w,
                        const dw_classify_config *cfg);

// dw_ntstatus_name returns the symbolic name of an NTSTATUS or exception code
// ("STATUS_ACCESS_VIOLATION", "MSVC C++ exception"), or NULL when unknown.
const char *dw_ntstatus_name(uint32_t code);
// dw_fast_fail_name returns the FAST_FAIL_* name of a __fastfail code
// ("FAST_FAIL_STACK_COOKIE_CHECK_FAILURE"), or NULL.
const char *dw_fast_fail_name(uint64_t code);
// dw_win32_error_name returns the ERROR_* name of a Win32 error code, or NULL.
const char *dw_win32_error_name(uint32_t code);

#endif
