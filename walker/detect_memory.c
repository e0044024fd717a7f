// Memory detectors: the memory-layout summary, Memory Leak (Process Heap) /
// Insufficient Memory (Committed Memory) and Module Fragmentation, from
// MemoryInfoList, ProcessVmCounters and the module list (walker/vmlayout.h).
#include "walker/classify_int.h"

#include <inttypes.h>
#include <stdio.h>

#define MIB(x) ((double)(x) / (1024.0 * 1024.0))

static void
layout_summary(dw_cx *cx)
{
	const dw_vml *v = &cx->vml;
	if (!v->has_mi)
		return;
	dw_finding *s = dw_findings_summary(
	    cx->fs, DW_P_MEMORY,
	    "memory layout (MemoryInfoList, %zu regions): %.1f MiB committed (%.1f private, %.1f "
	    "image, %.1f mapped), %.1f MiB reserved, largest free region %.1f MiB",
	    v->nregions, MIB(v->committed_bytes), MIB(v->private_committed), MIB(v->image_committed),
	    MIB(v->mapped_committed), MIB(v->reserved_bytes), MIB(v->largest_free.size));
	dw_finding_value(cx->fs, s, "regions", v->nregions, NULL);
	dw_finding_value(cx->fs, s, "committed bytes", v->committed_bytes, NULL);
	dw_finding_value(cx->fs, s, "private committed bytes", v->private_committed, NULL);
	dw_finding_value(cx->fs, s, "image committed bytes", v->image_committed, NULL);
	dw_finding_value(cx->fs, s, "mapped committed bytes", v->mapped_committed, NULL);
	dw_finding_value(cx->fs, s, "reserved bytes", v->reserved_bytes, NULL);
	dw_finding_value(cx->fs, s, "free bytes", v->free_bytes, NULL);
	dw_finding_address(cx->fs, s, "largest free region", v->largest_free.start, NULL);
	dw_finding_value(cx->fs, s, "largest free region bytes", v->largest_free.size, NULL);
	dw_finding_value(cx->fs, s, "executable private bytes", v->exec_private_bytes, NULL);
}

static void
committed(dw_cx *cx)
{
	const dw_vml                    *v  = &cx->vml;
	const dw_md_process_vm_counters *vm = dw_md_streams_process_vm_counters(cx->s);
	if (!v->has_mi && vm == NULL) {
		dw_findings_need(cx->fs, DW_P_MEMORY, "MemoryInfoList",
		                 "committed private memory comes from MemoryInfoList or "
		                 "ProcessVmCounters; the dump has neither");
		return;
	}
	uint64_t private_bytes = v->has_mi ? v->private_committed : 0;
	const char *source     = "MemoryInfoList";
	if (vm != NULL && (vm->revision == 1 || (vm->flags & 0x04u) != 0) && vm->private_usage != 0) {
		private_bytes = vm->private_usage;
		source        = "ProcessVmCounters PrivateUsage";
	}
	uint64_t limit = v->is32 ? cx->cfg->commit_private_32 : cx->cfg->commit_private_64;
	uint64_t space = v->user_hi - v->user_lo;
	if (vm != NULL) {
		dw_finding *s = dw_findings_summary(
		    cx->fs, DW_P_MEMORY,
		    "process counters: %.1f MiB private, %.1f MiB working set, %.1f MiB pagefile "
		    "(ProcessVmCounters)",
		    MIB(vm->private_usage), MIB(vm->working_set_size), MIB(vm->pagefile_usage));
		dw_finding_value(cx->fs, s, "private usage", vm->private_usage, NULL);
		dw_finding_value(cx->fs, s, "peak private (pagefile) usage", vm->peak_pagefile_usage,
		                 NULL);
		dw_finding_value(cx->fs, s, "virtual size", vm->virtual_size, NULL);
	}
	if (private_bytes <= limit)
		return;
	dw_finding *f = dw_findings_add(
	    cx->fs, DW_P_MEMORY, DW_CONF_LIKELY,
	    "%.1f MiB of private memory committed (%s), %.0f%% of the %s address space; above the "
	    "%.0f MiB threshold",
	    MIB(private_bytes), source, 100.0 * (double)private_bytes / (double)space,
	    v->is32 ? "32-bit" : "64-bit", MIB(limit));
	dw_finding_value(cx->fs, f, "private committed bytes", private_bytes, source);
	dw_finding_value(cx->fs, f, "threshold", limit, NULL);
	if (v->has_mi)
		dw_finding_value(cx->fs, f, "largest free region bytes", v->largest_free.size, NULL);
}

static void
module_extent(dw_cx *cx, dw_finding *f, const char *what, const dw_md_module *m)
{
	if (m == NULL)
		return;
	dw_finding_text(cx->fs, f, what, "%s 0x%" PRIx64 "-0x%" PRIx64, m->basename,
	                m->base, m->base + m->size);
}

static void
fragmentation(dw_cx *cx)
{
	const dw_vml *v = &cx->vml;
	if (cx->nmodules == 0 || !v->is32)
		return; // a 64-bit address space does not fragment at module scale
	dw_finding *s = dw_findings_summary(
	    cx->fs, DW_P_FRAGMENTATION,
	    "largest gap between modules: %.1f MiB at 0x%" PRIx64 "%s", MIB(v->largest_gap.size),
	    v->largest_gap.start,
	    v->has_mi ? "" : " (module list only: MemoryInfoList would show other allocations)");
	dw_finding_address(cx->fs, s, "largest gap between modules", v->largest_gap.start, NULL);
	dw_finding_value(cx->fs, s, "largest gap bytes", v->largest_gap.size, NULL);
	module_extent(cx, s, "module below the gap", v->largest_gap.below);
	module_extent(cx, s, "module above the gap", v->largest_gap.above);
	if (v->has_mi) {
		dw_finding_address(cx->fs, s, "largest free region (MemoryInfoList)", v->largest_free.start,
		                   NULL);
		dw_finding_value(cx->fs, s, "largest free region bytes", v->largest_free.size, NULL);
	}
	// Runs of modules that sit between two big free ranges and keep them apart.
	const dw_vml_run *splitting[8];
	size_t            nsplit = 0;
	for (size_t i = 0; i < v->nruns && nsplit < 8; i++)
		if (v->runs[i].nforeign != 0 && v->runs[i].merged > v->largest_gap.size)
			splitting[nsplit++] = &v->runs[i];
	if (nsplit == 0 || v->largest_gap.size >= cx->cfg->fragment_gap)
		return;
	dw_finding *f = dw_findings_add(
	    cx->fs, DW_P_FRAGMENTATION, DW_CONF_LIKELY,
	    "the largest free range between modules is %.1f MiB (under %.0f MiB); modules loaded in "
	    "the middle of the address space split a %.1f MiB range",
	    MIB(v->largest_gap.size), MIB(cx->cfg->fragment_gap), MIB(splitting[0]->merged));
	dw_finding_address(cx->fs, f, "largest gap between modules", v->largest_gap.start, NULL);
	dw_finding_value(cx->fs, f, "largest gap bytes", v->largest_gap.size, NULL);
	module_extent(cx, f, "module below the gap", v->largest_gap.below);
	module_extent(cx, f, "module above the gap", v->largest_gap.above);
	for (size_t i = 0; i < nsplit; i++) {
		const dw_vml_run *r = splitting[i];
		dw_finding_text(cx->fs, f, "splitting run",
		                "0x%" PRIx64 "-0x%" PRIx64 ": %zu modules inside a %.1f MiB free range",
		                r->start, r->end, r->nmodules, MIB(r->merged));
		for (size_t k = 0; k < r->nmodules; k++)
			if (!dw_vml_is_system(r->modules[k]))
				dw_finding_module(cx->fs, f, "splitting module", r->modules[k]->name,
				                  r->modules[k]->base);
	}
	if (v->has_mi)
		dw_finding_value(cx->fs, f, "largest free region bytes (MemoryInfoList)",
		                 v->largest_free.size, NULL);
}

void
dw_classify__memory(dw_cx *cx)
{
	layout_summary(cx);
	committed(cx);
	fragmentation(cx);
}
