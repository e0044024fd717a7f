// tests/walker/testsym.c - see testsym.h.
#include "tests/walker/testsym.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mapfile.h"
#include "symbols/breakpad_sym.h"
#include "symbols/pdb.h"
#include "symbols/pe.h"

typedef struct tfunc {
	uint32_t    rva, size;
	const char *name;
} tfunc;

typedef struct tmod {
	char     name[128];
	uint8_t *pe_bytes;
	size_t   pe_len;
	dw_pe   *pe;
	dw_pdb  *pdb;
	dw_sym  *sym;
	tfunc   *funcs;
	size_t   nfuncs;
	tfunc   *pubs;
	size_t   npubs;
	// x64 data from the PDB's Pdata/Xdata copies (no PE).
	const uint8_t *pdata;
	size_t         npdata;
	const uint8_t *xdata;
	size_t         xdata_len;
	uint32_t       xdata_rva;
} tmod;

struct tsym {
	tmod   mods[32];
	size_t n;
};

tsym *
tsym_new(void)
{
	return calloc(1, sizeof(tsym));
}

void
tsym_free(tsym *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		dw_pe_free(t->mods[i].pe);
		free(t->mods[i].pe_bytes);
		dw_pdb_free(t->mods[i].pdb);
		dw_sym_free(t->mods[i].sym);
		free(t->mods[i].funcs);
		free(t->mods[i].pubs);
	}
	free(t);
}

static tmod *
mod_for(tsym *t, const char *module)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcasecmp(t->mods[i].name, module) == 0)
			return &t->mods[i];
	if (t->n == sizeof(t->mods) / sizeof(t->mods[0]))
		return NULL;
	tmod *m = &t->mods[t->n++];
	snprintf(m->name, sizeof(m->name), "%s", module);
	return m;
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = n > 0 ? malloc((size_t)n) : NULL;
	if (b != NULL && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = b != NULL ? (size_t)n : 0;
	return b;
}

bool
tsym_add_pe(tsym *t, const char *module, const char *path)
{
	tmod *m = mod_for(t, module);
	if (m == NULL || (m->pe_bytes = slurp(path, &m->pe_len)) == NULL)
		return false;
	return dw_pe_open(&m->pe, m->pe_bytes, m->pe_len, DW_PE_LAYOUT_FILE, NULL) == DW_OK;
}

static int
tf_cmp(const void *a, const void *b)
{
	const tfunc *x = a, *y = b;
	return x->rva < y->rva ? -1 : x->rva > y->rva;
}

// segment:offset through the PE's section table, for PDBs (lld's) without
// section headers of their own.
static bool
sec_rva(tmod *m, uint16_t seg, uint32_t off, uint32_t *out)
{
	size_t               n;
	const dw_pe_section *s = m->pe != NULL ? dw_pe_get_sections(m->pe, &n) : NULL;
	if (s == NULL || seg == 0 || seg > n)
		return false;
	*out = s[seg - 1].vaddr + off;
	return true;
}

bool
tsym_add_pdb(tsym *t, const char *module, const char *path)
{
	tmod *m = mod_for(t, module);
	if (m == NULL || dw_pdb_open_file(&m->pdb, path, NULL) != DW_OK)
		return false;
	const dw_pdb_dbi *dbi;
	if (dw_pdb_get_dbi(&dbi, m->pdb) == DW_OK) {
		size_t cap = 0;
		for (size_t i = 0; i < dbi->nmodules; i++) {
			const dw_pdb_modsyms *ms;
			if (dw_pdb_get_module(&ms, m->pdb, i) != DW_OK)
				continue;
			for (size_t k = 0; k < ms->nprocs; k++) {
				const dw_pdb_proc *p = &ms->procs[k];
				uint32_t           rva = p->rva;
				if (!p->has_rva && !sec_rva(m, p->segment, p->offset, &rva))
					continue;
				if (p->kind == DW_PDB_S_THUNK32 || p->size == 0)
					continue;
				if (m->nfuncs == cap) {
					cap      = cap ? cap * 2 : 64;
					m->funcs = realloc(m->funcs, cap * sizeof(*m->funcs));
				}
				m->funcs[m->nfuncs++] = (tfunc){rva, p->size, p->name};
			}
		}
		if (m->nfuncs > 0)
			qsort(m->funcs, m->nfuncs, sizeof(*m->funcs), tf_cmp);
		dw_cur pc, xc;
		if (dw_pdb_debug_stream(&pc, m->pdb, DW_PDB_DBG_PDATA) == DW_OK &&
		    dw_pdb_debug_stream(&xc, m->pdb, DW_PDB_DBG_XDATA) == DW_OK && pc.len >= 12) {
			m->pdata  = pc.base;
			m->npdata = pc.len / 12;
			m->xdata  = xc.base;
			m->xdata_len = xc.len;
			// The Xdata stream copies the image's unwind data from its first
			// UNWIND_INFO on: take the lowest unwind RVA as its start.
			uint32_t lo = UINT32_MAX;
			for (size_t i = 0; i < m->npdata; i++) {
				uint32_t u = dw_get_u32le(m->pdata + 12 * i + 8);
				if (u != 0 && u < lo)
					lo = u;
			}
			m->xdata_rva = lo;
		}
	}
	const dw_pdb_public *pubs;
	size_t               np;
	if (dw_pdb_get_publics(&pubs, &np, m->pdb) == DW_OK && np > 0) {
		m->pubs = calloc(np, sizeof(*m->pubs));
		for (size_t i = 0; i < np; i++)
		{
			uint32_t rva = pubs[i].rva;
			// Code publics: MSVC sets CVPSF_CODE (1), lld only CVPSF_FUNCTION
			// (2); keeping only code ones once procs were loaded dropped
			// every public lld writes (mingw's CRT, libstdc++, libgcc: no
			// procs), which dumpwalk's own provider keeps.
			if ((pubs[i].has_rva || sec_rva(m, pubs[i].segment, pubs[i].offset, &rva)) &&
			    (pubs[i].flags & 3u))
				m->pubs[m->npubs++] = (tfunc){rva, 0, pubs[i].name};
		}
		if (m->npubs > 0)
			qsort(m->pubs, m->npubs, sizeof(*m->pubs), tf_cmp);
	}
	return true;
}

bool
tsym_add_sym(tsym *t, const char *module, const char *path)
{
	tmod *m = mod_for(t, module);
	return m != NULL && dw_sym_open_file(&m->sym, path, NULL) == DW_OK;
}

// ---- ops ----

static const char *
base_name(const char *p)
{
	const char *b = p;
	for (; *p; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	return b;
}

static dw_err
o_open(void **out, const dw_symsrc_module *mi, void *arg)
{
	tsym *t = arg;
	*out    = NULL;
	for (size_t i = 0; i < t->n; i++)
		if (strcasecmp(t->mods[i].name, base_name(mi->name)) == 0) {
			*out = &t->mods[i];
			return DW_OK;
		}
	return DW_ENOTFOUND;
}

static const tfunc *
tf_find(const tfunc *v, size_t n, uint32_t rva, bool sized)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].rva <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const tfunc *f = &v[lo - 1];
	if (sized && rva - f->rva >= f->size)
		return NULL;
	return f;
}

static dw_err o_x64_find(dw_symsrc_x64 *out, void *h, uint32_t rva, void *arg);

// The rules of dw_symtab_find and symbols/provider.c's op_find, so that
// walks here see what dumpwalk's own provider gives: a public names rva only
// when no procedure starts between them and, where x64 unwind data gives the
// start of rva's function (chains followed), it is not below that start
// (else it names an earlier function and rva a nameless static one).
static bool
public_is_other_function(tmod *m, const tfunc *pub, uint32_t rva)
{
	const tfunc *near = tf_find(m->funcs, m->nfuncs, rva, false);
	if (near != NULL && near->rva >= pub->rva)
		return true;
	dw_symsrc_x64 x;
	uint32_t      at = rva;
	for (int hop = 0; hop < 8 && o_x64_find(&x, m, at, NULL) == DW_OK; hop++) {
		if (x.info == NULL || x.info_len < 4)
			return pub->rva < x.begin;
		size_t off = 4 + 2 * (((size_t)x.info[2] + 1) & ~(size_t)1);
		if (!((x.info[0] >> 3) & 4) || off + 12 > x.info_len)
			return pub->rva < x.begin;
		at = dw_get_u32le(x.info + off);
	}
	return false;
}

static dw_err
o_find(dw_symsrc_loc *out, void *h, uint32_t rva, void *arg)
{
	(void)arg;
	tmod *m = h;
	memset(out, 0, sizeof(*out));
	if (m->sym != NULL) {
		const dw_sym_func *f = dw_sym_func_find(m->sym, rva);
		if (f != NULL) {
			out->name       = f->name;
			out->start      = (uint32_t)f->addr;
			out->size       = (uint32_t)f->size;
			out->offset     = rva - out->start;
			out->param_size = (uint32_t)f->param_size;
			const dw_sym_line *l = dw_sym_line_find(f, rva);
			if (l != NULL) {
				const dw_sym_file *file = dw_sym_file_find(m->sym, l->file);
				out->file       = file != NULL ? file->name : NULL;
				out->line       = l->line;
				out->line_start = (uint32_t)l->addr;
			}
			return DW_OK;
		}
		const dw_sym_public *p = dw_sym_public_find(m->sym, rva);
		if (p != NULL) {
			out->name      = p->name;
			out->start     = (uint32_t)p->addr;
			out->offset    = rva - out->start;
			out->is_public = true;
			return DW_OK;
		}
	}
	const tfunc *f = tf_find(m->funcs, m->nfuncs, rva, true);
	if (f == NULL) {
		f = tf_find(m->pubs, m->npubs, rva, false);
		if (f != NULL && public_is_other_function(m, f, rva))
			f = NULL;
		out->is_public = f != NULL;
	}
	if (f == NULL)
		return DW_ENOTFOUND;
	out->name   = f->name;
	out->start  = f->rva;
	out->size   = f->size;
	out->offset = rva - f->rva;
	return DW_OK;
}

static size_t
info_len(const uint8_t *p, size_t avail)
{
	if (avail < 4)
		return 0;
	size_t len = 4 + 2 * (((size_t)p[2] + 1) & ~(size_t)1);
	if ((p[0] >> 3) & 4)
		len += 12;
	else if ((p[0] >> 3) & 3)
		len += 4;
	return len <= avail ? len : avail;
}

static uint8_t infobuf[600];

static dw_err
pe_info(tmod *m, uint32_t rva, const uint8_t **out, size_t *len)
{
	if (dw_pe_read_rva(m->pe, rva, infobuf, 4) != DW_OK)
		return DW_ENOTFOUND;
	size_t n = info_len(infobuf, sizeof(infobuf));
	if (dw_pe_read_rva(m->pe, rva, infobuf, n) != DW_OK)
		return DW_ENOTFOUND;
	*out = infobuf;
	*len = n;
	return DW_OK;
}

static dw_err
o_x64_info(const uint8_t **out, size_t *len, void *h, uint32_t rva, void *arg)
{
	(void)arg;
	tmod *m = h;
	if (m->pe != NULL)
		return pe_info(m, rva, out, len);
	if (m->xdata != NULL && rva >= m->xdata_rva && rva - m->xdata_rva < m->xdata_len) {
		size_t off = rva - m->xdata_rva;
		*out       = m->xdata + off;
		*len       = info_len(m->xdata + off, m->xdata_len - off);
		return *len ? DW_OK : DW_ENOTFOUND;
	}
	return DW_ENOTFOUND;
}

static dw_err
o_x64_find(dw_symsrc_x64 *out, void *h, uint32_t rva, void *arg)
{
	tmod *m = h;
	memset(out, 0, sizeof(*out));
	if (m->pe != NULL) {
		size_t n;
		dw_pe_get_functions(m->pe, &n);
		if (n == 0)
			return DW_EUNSUPPORTED;
		const dw_pe_function *f = dw_pe_function_find(m->pe, rva);
		if (f == NULL)
			return DW_ENOTFOUND;
		out->begin      = f->begin;
		out->end        = f->end;
		out->unwind_rva = f->unwind_rva;
		return o_x64_info(&out->info, &out->info_len, h, f->unwind_rva, arg);
	}
	if (m->pdata == NULL)
		return DW_EUNSUPPORTED;
	for (size_t i = 0; i < m->npdata; i++) {
		uint32_t b = dw_get_u32le(m->pdata + 12 * i), e = dw_get_u32le(m->pdata + 12 * i + 4);
		if (rva >= b && rva < e) {
			out->begin      = b;
			out->end        = e;
			out->unwind_rva = dw_get_u32le(m->pdata + 12 * i + 8);
			return o_x64_info(&out->info, &out->info_len, h, out->unwind_rva, arg);
		}
	}
	return DW_ENOTFOUND;
}

// x86 frame data straight from the PDB's DBI debug streams (FrameData, "new
// FPO", and old FPO_DATA), for PDBs without a .sym beside them: what
// dump_syms would write as STACK WIN 4 / STACK WIN 0. lld writes one
// FrameData record per prolog step (0x1420 before the pushes, 0x1421 after
// push ebx, ...), each running to the function's end, so the record that
// applies is the one starting last at or before rva that still covers it.
static dw_err
pdb_win_find(dw_symsrc_win *out, tmod *m, uint32_t type, uint32_t rva)
{
	const dw_pdb_dbi *dbi;
	if (m->pdb == NULL || dw_pdb_get_dbi(&dbi, m->pdb) != DW_OK)
		return DW_ENOTFOUND;
	if (type == DW_SYMSRC_WIN_FRAME_DATA) {
		const dw_pdb_frame *best = NULL;
		for (size_t i = 0; i < dbi->nframes; i++) {
			const dw_pdb_frame *f = &dbi->frames[i];
			if (rva >= f->rva && rva - f->rva < f->size && (best == NULL || f->rva >= best->rva))
				best = f;
		}
		if (best == NULL)
			return DW_ENOTFOUND;
		*out = (dw_symsrc_win){DW_SYMSRC_WIN_FRAME_DATA, best->rva, best->size, best->prolog, 0,
		                       best->params, best->saved_regs, best->locals, best->max_stack,
		                       best->program != NULL, false, best->program};
		return DW_OK;
	}
	if (type == DW_SYMSRC_WIN_FPO) {
		for (size_t i = 0; i < dbi->nfpo; i++) {
			const dw_pdb_fpo *f = &dbi->fpo[i];
			if (rva < f->rva || rva - f->rva >= f->size || f->frame_type != 0)
				continue;
			*out = (dw_symsrc_win){DW_SYMSRC_WIN_FPO, f->rva, f->size, f->prolog, 0,
			                       4u * f->params, 4u * f->regs, 4u * f->locals, 0,
			                       false, f->use_bp, NULL};
			return DW_OK;
		}
	}
	return DW_ENOTFOUND;
}

static dw_err
o_win_find(dw_symsrc_win *out, void *h, uint32_t type, uint32_t rva, void *arg)
{
	(void)arg;
	tmod *m = h;
	if (m->sym == NULL)
		return pdb_win_find(out, m, type, rva);
	const dw_sym_win *w = dw_sym_win_find(m->sym, type, rva);
	if (w == NULL)
		return DW_ENOTFOUND;
	*out = (dw_symsrc_win){w->type, (uint32_t)w->rva, (uint32_t)w->code_size, w->prolog_size,
	                       w->epilog_size, w->param_size, w->saved_regs_size, w->locals_size,
	                       w->max_stack_size, w->has_program, w->allocates_base_pointer, w->program};
	return DW_OK;
}

static void
add_rules(dw_symsrc_cfi *out, const dw_sym_cfi_rule *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < out->nrules && strcmp(out->rules[k].reg, r[i].reg) != 0)
			k++;
		if (k == DW_SYMSRC_MAX_CFI_RULES)
			return;
		out->rules[k] = (dw_symsrc_cfi_rule){r[i].reg, r[i].expr};
		if (k == out->nrules)
			out->nrules++;
	}
}

static dw_err
o_cfi_find(dw_symsrc_cfi *out, void *h, uint32_t rva, void *arg)
{
	(void)arg;
	tmod *m = h;
	if (m->sym == NULL)
		return DW_ENOTFOUND;
	const dw_sym_cfi *c = dw_sym_cfi_find(m->sym, rva);
	if (c == NULL)
		return DW_ENOTFOUND;
	out->init_rva  = (uint32_t)c->addr;
	out->init_size = (uint32_t)c->size;
	out->nrules    = 0;
	add_rules(out, c->rules, c->nrules);
	for (size_t i = 0; i < c->ndeltas && c->deltas[i].addr <= rva; i++)
		add_rules(out, c->deltas[i].rules, c->deltas[i].nrules);
	return DW_OK;
}

static dw_err
o_read_code(uint8_t *dst, size_t len, size_t *got, void *h, uint32_t rva, void *arg)
{
	(void)arg;
	tmod *m = h;
	*got    = 0;
	if (m->pe == NULL)
		return DW_ENOTFOUND;
	for (size_t n = len; n > 0; n = n > 16 ? n / 2 : n - 1)
		if (dw_pe_read_rva(m->pe, rva, dst, n) == DW_OK) {
			*got = n;
			return DW_OK;
		}
	return DW_ENOTFOUND;
}

static const dw_symsrc_ops tops = {
    .open = o_open, .find = o_find, .x64_find = o_x64_find, .x64_info = o_x64_info,
    .win_find = o_win_find, .cfi_find = o_cfi_find, .read_code = o_read_code,
};

dw_symsrc
tsym_source(tsym *t)
{
	return (dw_symsrc){.ops = &tops, .arg = t};
}
