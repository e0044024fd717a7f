// walker/diff.h - comparing two dumps of the same program (`dumpwalk diff`):
// modules added, removed, moved or changed; the largest free range between
// modules in each and which of B's modules now sit in A's largest free range
// (the Module Fragmentation comparison); thread, handle and committed-memory
// changes.
#ifndef DW_WALKER_DIFF_H
#define DW_WALKER_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "walker/dump.h"
#include "walker/vmlayout.h"

typedef enum dw_diff_kind {
	DW_DIFF_SAME = 0, // same base, size and timestamp
	DW_DIFF_ADDED,    // only in B
	DW_DIFF_REMOVED,  // only in A
	DW_DIFF_MOVED,    // in both (by file name), at another base
	DW_DIFF_CHANGED,  // same base, another size or timestamp (another build)
} dw_diff_kind;

// dw_diff_kind_name returns "same", "added", "removed", "moved" or "changed".
const char *dw_diff_kind_name(dw_diff_kind k);

typedef struct dw_diff_module {
	dw_diff_kind        kind;
	const char         *name; // file name without path (borrowed from a dump)
	const dw_md_module *a;    // NULL when added
	const dw_md_module *b;    // NULL when removed
	bool in_a_gap; // B's copy overlaps A's largest free range between modules
} dw_diff_module;

typedef struct dw_diff_count {
	const char *type; // handle type name (borrowed)
	size_t      a, b;
} dw_diff_count;

typedef struct dw_diff {
	dw_diff_module *modules; // A's order, then B's additions
	size_t          nmodules;
	size_t          threads_a, threads_b;
	bool            has_handles_a, has_handles_b;
	size_t          handles_a, handles_b;
	dw_diff_count  *handle_types; // union of both dumps' types
	size_t          nhandle_types;
	bool            is32;             // either dump is a 32-bit address space
	dw_vml_gap      gap_a, gap_b;     // largest free range between modules
	bool            has_mi_a, has_mi_b;
	dw_vml_gap      free_a, free_b;   // largest free region (MemoryInfoList)
	uint64_t        private_a, private_b; // committed private bytes (MemoryInfoList)
	// B's added or moved modules inside A's largest gap: what shrank it.
	const dw_diff_module **culprits;
	size_t                 nculprits;
} dw_diff;

// dw_diff_dumps compares `a` (before) with `b` (after). *out is owned by the
// caller (dw_diff_free) and borrows both dumps, which must outlive it.
// DW_ENOMEM only.
dw_err dw_diff_dumps(dw_diff **out, const dw_dump *a, const dw_dump *b);
void   dw_diff_free(dw_diff *df);

#endif
