// walker/signature.h - a crash signature for bucketing: the pattern of the
// primary finding and the top meaningful frames of the crashing thread,
// normalized so the same bug in two builds (other addresses, other layout,
// x86 and x64) gets the same text:
//   "NULL Pointer (Data) | null_read.exe!read_it | null_read.exe!main"
// Frames in system modules and allocator / exception-machinery functions are
// skipped (configurable lists); inline frames count as frames; names lose
// their offsets, x86 decoration (_name@8), argument lists and template
// arguments past a cap; module names are lowercased without paths.
#ifndef DW_WALKER_SIGNATURE_H
#define DW_WALKER_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/limits.h"
#include "walker/finding.h"
#include "walker/residue.h"
#include "walker/walk.h"

typedef struct dw_signature_config {
	size_t nframes; // frames kept; 0: DW_SIGNATURE_FRAMES, at most DW_MAX_SIGNATURE_FRAMES
	// Module file names (lowercase, no path) whose frames are skipped, in
	// addition to system modules (walker/vmlayout.h). NULL: none.
	const char *const *skip_modules;
	size_t             nskip_modules;
	// Function names skipped: exact, or a prefix ending in '*'. NULL: the
	// built-in allocator and exception-machinery list.
	const char *const *skip_functions;
	size_t             nskip_functions;
	bool keep_system; // keep system-module frames (a crash inside ntdll only)
} dw_signature_config;

typedef struct dw_signature {
	const char *pattern;  // the primary finding's catalog name, or NULL
	uint32_t    thread_id; // the thread whose frames were used (0: none)
	bool        from_hidden; // frames of a hidden exception's recovered stack
	const char *frames[DW_MAX_SIGNATURE_FRAMES]; // "module!function"
	size_t      nframes;
	const char *text; // "pattern | frame | frame ..."; never NULL
	uint64_t    hash; // FNV-1a 64 of text
} dw_signature;

// dw_signature_make builds the signature of a walked dump. `fs` (may be NULL)
// gives the primary pattern: the first finding of the crash patterns in
// catalog priority (exception kinds, deadlocks, hidden exception, ...),
// else the first pattern finding. The thread: the exception thread, else the
// first thread named by the primary finding, else the first thread; for a
// primary Hidden Exception with `r` given, its recovered stack. cfg NULL:
// defaults. *out is owned by the caller (dw_signature_free). DW_ENOMEM.
dw_err dw_signature_make(dw_signature **out, const dw_walk *w, const dw_findings *fs,
                         const dw_residue *r, const dw_signature_config *cfg);

// dw_signature_free releases it. NULL is fine.
void dw_signature_free(dw_signature *s);

// dw_signature_normalize writes `name` normalized into buf (at most
// DW_MAX_SIGNATURE_NAME bytes kept): x86 decoration stripped when `x86`
// ("_main" -> "main", "_worker@4" -> "worker", "@f@8" -> "f"), argument list
// and trailing qualifiers dropped, template argument lists longer than
// DW_MAX_SIGNATURE_TEMPLATE cut to "<...>", spaces after commas removed.
void dw_signature_normalize(char *buf, size_t size, const char *name, bool x86);

#endif
