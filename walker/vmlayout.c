// The address-space layout of a dump (walker/vmlayout.h).
#include "walker/vmlayout.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "walker/streams.h"

const char *
dw_vml_basename(const char *path)
{
	if (path == NULL)
		return "";
	// Two vectorised searches beat a byte loop: every detector asks for
	// module file names, and Windows paths run to 60-100 characters.
	const char *bs = strrchr(path, '\\'), *sl = strrchr(path, '/');
	const char *b = bs == NULL || (sl != NULL && sl > bs) ? sl : bs;
	return b != NULL ? b + 1 : path;
}

// Only the separators are looked at, each one's next letter first.
bool
dw_vml_path_is_system(const char *path)
{
	if (path == NULL)
		return false;
	for (const char *p = path; *p != 0; p++) {
		if ((*p != '\\' && *p != '/') || (p[1] != 'w' && p[1] != 'W'))
			continue;
		if (*p == '\\' ? strncasecmp(p + 1, "windows\\", 8) == 0 ||
		                     strncasecmp(p + 1, "winnt\\", 6) == 0
		               : strncasecmp(p + 1, "windows/", 8) == 0)
			return true;
	}
	return false;
}

bool
dw_vml_is_system(const dw_md_module *m)
{
	return m->is_system;
}

bool
dw_vml_is_wow64(const dw_dump *d, const dw_md_module **which)
{
	if (which != NULL)
		*which = NULL;
	if (dw_dump_cpu(d) != DW_CPU_AMD64)
		return false;
	size_t              n;
	const dw_md_module *m = dw_dump_modules(d, &n);
	for (size_t i = 0; i < n; i++) {
		const char *b = m[i].basename;
		if (strcasecmp(b, "wow64.dll") == 0 || strcasecmp(b, "wow64cpu.dll") == 0 ||
		    strcasecmp(b, "wow64win.dll") == 0) {
			if (which != NULL)
				*which = &m[i];
			return true;
		}
	}
	return false;
}

static int
by_base(const void *a, const void *b)
{
	const dw_md_module *x = *(const dw_md_module *const *)a;
	const dw_md_module *y = *(const dw_md_module *const *)b;
	return x->base < y->base ? -1 : x->base > y->base;
}

static int
by_merged(const void *a, const void *b)
{
	const dw_vml_run *x = a, *y = b;
	if (x->merged != y->merged)
		return x->merged > y->merged ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

// The module that ends at or below addr (closest), among sorted modules.
static const dw_md_module *
module_below(const dw_vml *v, uint64_t addr)
{
	const dw_md_module *best = NULL;
	for (size_t i = 0; i < v->nsorted; i++)
		if (v->sorted[i]->base + v->sorted[i]->size <= addr)
			best = v->sorted[i];
	return best;
}

static const dw_md_module *
module_above(const dw_vml *v, uint64_t addr)
{
	for (size_t i = 0; i < v->nsorted; i++)
		if (v->sorted[i]->base >= addr)
			return v->sorted[i];
	return NULL;
}

static void
memory_info(dw_vml *v, const dw_dump *d)
{
	size_t                   n;
	const dw_md_memory_info *mi = dw_md_streams_memory_infos(dw_dump_other_streams(d), &n);
	if (mi == NULL || n == 0)
		return;
	v->has_mi   = true;
	v->nregions = n;
	uint64_t run_start = 0, run_size = 0;
	for (size_t i = 0; i < n; i++) {
		const dw_md_memory_info *r = &mi[i];
		if (r->state == DW_MD_MEM_FREE) {
			v->free_bytes += r->region_size;
			if (r->base_address >= v->user_lo && r->base_address < v->user_hi) {
				if (run_size != 0 && run_start + run_size == r->base_address) {
					run_size += r->region_size;
				} else {
					run_start = r->base_address;
					run_size  = r->region_size;
				}
				uint64_t end = run_start + run_size;
				if (end > v->user_hi || end < run_start)
					run_size = v->user_hi - run_start;
				if (run_size > v->largest_free.size) {
					v->largest_free.start = run_start;
					v->largest_free.size  = run_size;
				}
			}
			continue;
		}
		run_size = 0;
		if (r->state == DW_MD_MEM_RESERVE) {
			v->reserved_bytes += r->region_size;
		} else if (r->state == DW_MD_MEM_COMMIT) {
			v->committed_bytes += r->region_size;
			if (r->type == DW_MD_MEM_PRIVATE) {
				v->private_committed += r->region_size;
				if ((r->protect & DW_MD_PAGE_EXECUTE_ANY) != 0) {
					v->exec_private_bytes += r->region_size;
					v->exec_private_regions++;
				}
			} else if (r->type == DW_MD_MEM_IMAGE) {
				v->image_committed += r->region_size;
			} else if (r->type == DW_MD_MEM_MAPPED) {
				v->mapped_committed += r->region_size;
			}
		}
	}
	if (v->largest_free.size != 0) {
		v->largest_free.below = module_below(v, v->largest_free.start);
		v->largest_free.above = module_above(v, v->largest_free.start + v->largest_free.size);
	}
}

dw_err
dw_vml_build(dw_vml *out, const dw_dump *d, uint64_t min_range)
{
	memset(out, 0, sizeof(*out));
	if (min_range == 0)
		min_range = (uint64_t)64 << 20;
	dw_cpu cpu  = dw_dump_cpu(d);
	out->is32   = cpu == DW_CPU_X86 || dw_vml_is_wow64(d, NULL);
	out->user_lo = 0x10000;
	if (out->is32) {
		// 2 GiB, unless something lives above it: a large-address-aware
		// process (3 GiB on 32-bit Windows with /3GB, 4 GiB under WOW64).
		out->user_hi = 0x7FFF0000u;
		size_t              n;
		const dw_md_module *m = dw_dump_modules(d, &n);
		for (size_t i = 0; i < n; i++)
			if (m[i].base >= 0x80000000u && m[i].base < 0x100000000ull)
				out->user_hi = 0xFFFF0000u;
		size_t                   nr;
		const dw_md_memory_info *mi = dw_md_streams_memory_infos(dw_dump_other_streams(d), &nr);
		for (size_t i = 0; mi != NULL && i < nr; i++)
			if (mi[i].state != DW_MD_MEM_FREE && mi[i].base_address >= 0x80000000u &&
			    mi[i].base_address < 0x100000000ull)
				out->user_hi = 0xFFFF0000u;
	} else {
		out->user_hi = 0x7FFFFFFF0000ull; // 128 TiB (Windows 8.1 and later)
	}

	size_t              n;
	const dw_md_module *m = dw_dump_modules(d, &n);
	out->sorted           = calloc(n + 1, sizeof(*out->sorted));
	out->gaps             = calloc(n + 1, sizeof(*out->gaps));
	out->runs             = calloc(n + 1, sizeof(*out->runs));
	if (out->sorted == NULL || out->gaps == NULL || out->runs == NULL) {
		dw_vml_fini(out);
		return DW_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (m[i].size != 0 && m[i].base >= out->user_lo && m[i].base < out->user_hi)
			out->sorted[out->nsorted++] = &m[i];
	if (out->nsorted > 1)
		qsort(out->sorted, out->nsorted, sizeof(*out->sorted), by_base);

	// Gaps: from user_lo to the first module, between modules, after the last.
	uint64_t            cursor = out->user_lo;
	const dw_md_module *prev   = NULL;
	for (size_t i = 0; i <= out->nsorted; i++) {
		uint64_t start = i < out->nsorted ? out->sorted[i]->base : out->user_hi;
		if (start > cursor) {
			dw_vml_gap *g = &out->gaps[out->ngaps++];
			g->start      = cursor;
			g->size       = start - cursor;
			g->below      = prev;
			g->above      = i < out->nsorted ? out->sorted[i] : NULL;
			if (g->size > out->largest_gap.size)
				out->largest_gap = *g;
		}
		if (i < out->nsorted) {
			uint64_t end = out->sorted[i]->base + out->sorted[i]->size;
			if (end > cursor) {
				cursor = end;
				prev   = out->sorted[i];
			}
		}
	}

	// Runs of modules between two big gaps. A gap index k separates modules;
	// walk the big gaps in order and collect the modules between neighbours.
	for (size_t gi = 0; gi < out->ngaps; gi++) {
		const dw_vml_gap *lo = &out->gaps[gi];
		if (lo->size < min_range || lo->above == NULL)
			continue;
		const dw_vml_gap *hi = NULL;
		for (size_t gj = gi + 1; gj < out->ngaps; gj++)
			if (out->gaps[gj].size >= min_range) {
				hi = &out->gaps[gj];
				break;
			}
		if (hi == NULL || hi->below == NULL)
			continue;
		dw_vml_run *r = &out->runs[out->nruns];
		r->start      = lo->start + lo->size;
		r->end        = hi->start;
		r->merged     = lo->size + (r->end - r->start) + hi->size;
		for (size_t i = 0; i < out->nsorted; i++) {
			const dw_md_module *mm = out->sorted[i];
			if (mm->base >= r->start && mm->base < r->end) {
				if (r->modules == NULL)
					r->modules = &out->sorted[i];
				r->nmodules++;
				if (!dw_vml_is_system(mm))
					r->nforeign++;
			}
		}
		if (r->nmodules != 0)
			out->nruns++;
	}
	if (out->nruns > 1)
		qsort(out->runs, out->nruns, sizeof(*out->runs), by_merged);

	memory_info(out, d);
	return DW_OK;
}

void
dw_vml_fini(dw_vml *v)
{
	free(v->sorted);
	free(v->gaps);
	free(v->runs);
	memset(v, 0, sizeof(*v));
}
