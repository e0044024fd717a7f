// Two dumps of one program compared (walker/diff.h).
#include "walker/diff.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "walker/streams.h"

const char *
dw_diff_kind_name(dw_diff_kind k)
{
	switch (k) {
	case DW_DIFF_SAME: return "same";
	case DW_DIFF_ADDED: return "added";
	case DW_DIFF_REMOVED: return "removed";
	case DW_DIFF_MOVED: return "moved";
	case DW_DIFF_CHANGED: return "changed";
	}
	return "same";
}

void
dw_diff_free(dw_diff *df)
{
	if (df == NULL)
		return;
	free(df->modules);
	free(df->handle_types);
	free(df->culprits);
	free(df);
}

static bool
overlaps(const dw_md_module *m, const dw_vml_gap *g)
{
	return g->size != 0 && m->base < g->start + g->size && m->base + m->size > g->start;
}

static dw_err
handle_types(dw_diff *df, const dw_dump *a, const dw_dump *b)
{
	size_t                         na = 0, nb = 0, ta = 0, tb = 0;
	const dw_md_handle_type_count *ca = dw_md_streams_handle_type_counts(dw_dump_other_streams(a), &na, &ta);
	const dw_md_handle_type_count *cb = dw_md_streams_handle_type_counts(dw_dump_other_streams(b), &nb, &tb);
	df->has_handles_a = dw_md_streams_handle_data(dw_dump_other_streams(a)) != NULL;
	df->has_handles_b = dw_md_streams_handle_data(dw_dump_other_streams(b)) != NULL;
	df->handles_a     = ta;
	df->handles_b     = tb;
	df->handle_types  = calloc(na + nb + 1, sizeof(*df->handle_types));
	if (df->handle_types == NULL)
		return DW_ENOMEM;
	for (size_t i = 0; ca != NULL && i < na; i++) {
		dw_diff_count *c = &df->handle_types[df->nhandle_types++];
		c->type          = ca[i].type_name;
		c->a             = ca[i].count;
	}
	for (size_t i = 0; cb != NULL && i < nb; i++) {
		size_t k = 0;
		while (k < df->nhandle_types && strcmp(df->handle_types[k].type, cb[i].type_name) != 0)
			k++;
		if (k == df->nhandle_types) {
			df->handle_types[k].type = cb[i].type_name;
			df->nhandle_types++;
		}
		df->handle_types[k].b = cb[i].count;
	}
	return DW_OK;
}

dw_err
dw_diff_dumps(dw_diff **out, const dw_dump *a, const dw_dump *b)
{
	*out        = NULL;
	dw_diff *df = calloc(1, sizeof(*df));
	if (df == NULL)
		return DW_ENOMEM;
	size_t              na, nb;
	const dw_md_module *ma = dw_dump_modules(a, &na);
	const dw_md_module *mb = dw_dump_modules(b, &nb);
	df->modules            = calloc(na + nb + 1, sizeof(*df->modules));
	bool *used             = calloc(nb + 1, sizeof(*used));
	dw_vml va, vb;
	memset(&va, 0, sizeof(va));
	memset(&vb, 0, sizeof(vb));
	dw_err rv = DW_ENOMEM;
	if (df->modules == NULL || used == NULL)
		goto out;
	if ((rv = dw_vml_build(&va, a, 0)) != DW_OK || (rv = dw_vml_build(&vb, b, 0)) != DW_OK)
		goto out;
	df->is32      = va.is32 || vb.is32;
	df->gap_a     = va.largest_gap;
	df->gap_b     = vb.largest_gap;
	df->has_mi_a  = va.has_mi;
	df->has_mi_b  = vb.has_mi;
	df->free_a    = va.largest_free;
	df->free_b    = vb.largest_free;
	df->private_a = va.private_committed;
	df->private_b = vb.private_committed;

	// Match modules by file name (first unmatched of the same name).
	for (size_t i = 0; i < na; i++) {
		dw_diff_module *d = &df->modules[df->nmodules++];
		d->a              = &ma[i];
		d->name           = ma[i].basename;
		d->kind           = DW_DIFF_REMOVED;
		for (size_t k = 0; k < nb; k++) {
			if (used[k] || strcasecmp(d->name, mb[k].basename) != 0)
				continue;
			used[k] = true;
			d->b    = &mb[k];
			if (mb[k].base != ma[i].base)
				d->kind = DW_DIFF_MOVED;
			else if (mb[k].size != ma[i].size || mb[k].time_date_stamp != ma[i].time_date_stamp)
				d->kind = DW_DIFF_CHANGED;
			else
				d->kind = DW_DIFF_SAME;
			break;
		}
	}
	for (size_t k = 0; k < nb; k++) {
		if (used[k])
			continue;
		dw_diff_module *d = &df->modules[df->nmodules++];
		d->b              = &mb[k];
		d->name           = mb[k].basename;
		d->kind           = DW_DIFF_ADDED;
	}
	df->culprits = calloc(df->nmodules + 1, sizeof(*df->culprits));
	if (df->culprits == NULL) {
		rv = DW_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < df->nmodules; i++) {
		dw_diff_module *d = &df->modules[i];
		if (d->b == NULL || !overlaps(d->b, &df->gap_a))
			continue;
		d->in_a_gap = true;
		if (d->kind == DW_DIFF_ADDED || d->kind == DW_DIFF_MOVED)
			df->culprits[df->nculprits++] = d;
	}
	dw_dump_threads(a, &df->threads_a);
	dw_dump_threads(b, &df->threads_b);
	rv = handle_types(df, a, b);
out:
	free(used);
	dw_vml_fini(&va);
	dw_vml_fini(&vb);
	if (rv != DW_OK) {
		dw_diff_free(df);
		return rv;
	}
	*out = df;
	return DW_OK;
}
