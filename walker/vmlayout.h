// walker/vmlayout.h - the process's virtual address space as a dump shows it:
// free ranges between modules (ModuleList alone), the free, reserved and
// committed totals and the largest free region (MemoryInfoList), and the
// modules that split big free ranges (the Module Fragmentation pattern).
// Shared by the memory detectors and `dumpwalk diff`.
#ifndef DW_WALKER_VMLAYOUT_H
#define DW_WALKER_VMLAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "walker/dump.h"

// A free range with the modules just below and above it (NULL at the ends
// of the address space or with no module within it).
typedef struct dw_vml_gap {
	uint64_t            start;
	uint64_t            size;
	const dw_md_module *below;
	const dw_md_module *above;
} dw_vml_gap;

// A run of modules between two free ranges of at least `min_range` bytes:
// together with those two ranges it spans `merged` bytes that would be one
// free region without the run.
typedef struct dw_vml_run {
	uint64_t             start, end; // first module's base, last module's end
	uint64_t             merged;     // free below + run + free above
	const dw_md_module **modules;    // in address order (borrowed from the dump)
	size_t               nmodules;
	size_t               nforeign; // modules outside the Windows directory
} dw_vml_run;

typedef struct dw_vml {
	bool     is32;      // 32-bit address space (x86, or a WOW64 process)
	uint64_t user_lo;   // 0x10000
	uint64_t user_hi;   // end of the user address space considered
	// From the module list alone.
	const dw_md_module **sorted; // modules inside [user_lo, user_hi), by base
	size_t               nsorted;
	dw_vml_gap          *gaps;   // free ranges between them, by address
	size_t               ngaps;
	dw_vml_gap           largest_gap;
	dw_vml_run          *runs;   // module runs between big ranges, by merged size, largest first
	size_t               nruns;
	// From MemoryInfoList (has_mi false when absent).
	bool       has_mi;
	size_t     nregions;
	dw_vml_gap largest_free; // merged MEM_FREE regions; below/above from modules
	uint64_t   free_bytes, reserved_bytes, committed_bytes;
	uint64_t   private_committed, image_committed, mapped_committed;
	uint64_t   exec_private_bytes; // committed private pages with execute rights
	size_t     exec_private_regions;
} dw_vml;

// dw_vml_build computes the layout of `d`; big ranges are those of at least
// min_range bytes (0: 64 MiB). Caller storage; release with dw_vml_fini.
// DW_ENOMEM only.
dw_err dw_vml_build(dw_vml *out, const dw_dump *d, uint64_t min_range);
void   dw_vml_fini(dw_vml *v);

// dw_vml_is_wow64 says whether a 64-bit dump's process loads the WOW64 layer
// (wow64.dll / wow64cpu.dll / wow64win.dll); *which (may be NULL) gets the
// first such module.
bool dw_vml_is_wow64(const dw_dump *d, const dw_md_module **which);

// dw_vml_basename returns the file name part of a module path (borrowed).
const char *dw_vml_basename(const char *path);
// dw_vml_path_is_system says whether a path names a file under a Windows
// directory ("\windows\", "\winnt\", "/windows/", any case).
bool dw_vml_path_is_system(const char *path);
// dw_vml_is_system is dw_vml_path_is_system of a module's path, computed when
// the dump was read (m->is_system).
bool dw_vml_is_system(const dw_md_module *m);

#endif
