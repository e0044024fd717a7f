// symbols/symtab_from_pdb.c - a PDB (and optionally its PE) into a
// symbol-table builder, reproducing what Breakpad's dump_syms writes from the
// same files: FUNC from module procedures, PUBLIC from S_PUB32, FILE and line
// records from C13 lines, INLINE from inline sites, STACK WIN from FPO and
// frame data, and the x64 unwind data (the table keeps the UNWIND_INFO bytes
// themselves; the .sym writer derives STACK CFI from them).
#include <stdlib.h>
#include <string.h>

#include "common/cur.h"
#include "symbols/symtab_from.h"
#include "symbols/undecorate.h"

// ---- small growable arrays and a string -> id map ---------------------------

static void *
grow(void *p, size_t n, size_t *cap, size_t elem)
{
	if (n < *cap)
		return p;
	size_t nc = *cap ? *cap * 2 : 256;
	void  *q  = realloc(p, nc * elem);
	if (q == NULL)
		return NULL;
	*cap = nc;
	return q;
}

typedef struct strmap {
	const char **keys;
	uint32_t    *vals;
	size_t       cap, n;
} strmap;

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; // FNV-1a
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static dw_err
strmap_grow(strmap *m)
{
	size_t       nc   = m->cap ? m->cap * 2 : 1024;
	const char **keys = calloc(nc, sizeof(*keys));
	uint32_t    *vals = calloc(nc, sizeof(*vals));
	if (keys == NULL || vals == NULL) {
		free(keys);
		free(vals);
		return DW_ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i] == NULL)
			continue;
		size_t k = hash_str(m->keys[i]) & (nc - 1);
		while (keys[k] != NULL)
			k = (k + 1) & (nc - 1);
		keys[k] = m->keys[i];
		vals[k] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap  = nc;
	return DW_OK;
}

// Looks `s` up; a new key gets id m->n (borrowed: s must outlive the map).
static dw_err
strmap_id(uint32_t *out, bool *added, strmap *m, const char *s)
{
	*added = false;
	if (2 * (m->n + 1) > m->cap && strmap_grow(m) != DW_OK)
		return DW_ENOMEM;
	size_t k = hash_str(s) & (m->cap - 1);
	while (m->keys[k] != NULL) {
		if (strcmp(m->keys[k], s) == 0) {
			*out = m->vals[k];
			return DW_OK;
		}
		k = (k + 1) & (m->cap - 1);
	}
	m->keys[k] = s;
	m->vals[k] = (uint32_t)m->n++;
	*out       = m->vals[k];
	*added     = true;
	return DW_OK;
}

static void
strmap_fini(strmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

// ---- the IPI stream: names of inlined functions ------------------------------
//
// Inline sites name their function by an item id in the IPI stream (LLVM
// "The PDB TPI and IPI Streams": a 56-byte header, then records of u16 length,
// u16 kind). LF_FUNC_ID (0x1601: scope, type, name) and LF_MFUNC_ID (0x1602:
// parent type, type, name) carry the name; ids start at the header's
// TypeIndexBegin (0x1000).

#define IPI_HEADER_MIN 56
#define LF_FUNC_ID     0x1601
#define LF_MFUNC_ID    0x1602

typedef struct ipi {
	uint32_t     begin;
	const char **names; // per item id - begin; NULL when not a function id
	size_t       n;
} ipi;

static void
ipi_load(ipi *out, dw_pdb *pdb, dw_notes *notes)
{
	memset(out, 0, sizeof(*out));
	dw_cur s;
	if (dw_msf_stream(&s, dw_pdb_get_msf(pdb), DW_PDB_STREAM_IPI) != DW_OK)
		return;
	(void)dw_cur_u32le(&s); // version
	uint32_t hsize = dw_cur_u32le(&s);
	uint32_t begin = dw_cur_u32le(&s);
	uint32_t end   = dw_cur_u32le(&s);
	uint32_t bytes = dw_cur_u32le(&s);
	dw_cur   rec;
	if (s.len == 0)
		return; // older PDBs have an empty IPI stream
	if (s.err != DW_OK || hsize < IPI_HEADER_MIN || end < begin ||
	    dw_cur_window(&rec, &s, hsize, bytes) != DW_OK ||
	    dw_cur_count(&rec, (uint64_t)end - begin, 4, DW_MAX_PDB_RECORDS) != DW_OK) {
		dw_remark(notes, "PDB IPI stream: unusable header; inline frames get no names");
		return;
	}
	out->names = calloc((size_t)(end - begin) + 1, sizeof(*out->names));
	if (out->names == NULL)
		return;
	out->begin = begin;
	out->n     = end - begin;
	for (size_t i = 0; i < out->n && dw_cur_left(&rec) >= 4; i++) {
		uint16_t len  = dw_cur_u16le(&rec);
		dw_cur   body;
		if (len < 2 || dw_cur_window(&body, &rec, rec.off, len) != DW_OK)
			break;
		(void)dw_cur_skip(&rec, len);
		uint16_t kind = dw_cur_u16le(&body);
		if (kind != LF_FUNC_ID && kind != LF_MFUNC_ID)
			continue;
		(void)dw_cur_u32le(&body);
		(void)dw_cur_u32le(&body);
		size_t      nl;
		const char *name = dw_cur_cstr(&body, dw_cur_left(&body), &nl);
		if (name != NULL && body.err == DW_OK)
			out->names[i] = name;
	}
}

static const char *
ipi_name(const ipi *t, uint32_t id)
{
	if (id < t->begin || id - t->begin >= t->n)
		return NULL;
	return t->names[id - t->begin];
}

// ---- the feed ----------------------------------------------------------------

typedef struct cand {
	uint32_t    rva, size;
	const char *name;
	uint32_t    seq; // order of discovery, the last tie-break
} cand;

typedef struct ctx {
	dw_symtab_builder *b;
	dw_pdb            *pdb;
	const dw_pe       *pe;
	dw_symtab_feed    *feed;
	dw_notes          *notes;
	cand              *funcs;
	size_t             nfuncs, capfuncs;
	const char        *cur_name;
	bool               oom;
	strmap             files;
	char               namebuf[4096];
} ctx;

static void
count_refused(ctx *c, dw_err rv)
{
	if (rv == DW_ENOMEM)
		c->oom = true;
	else if (rv != DW_OK)
		c->feed->refused++;
}

// segment:offset through the PE's section table, for PDBs whose DBI has no
// section headers (lld's), where the reader cannot convert.
static bool
pe_rva(const ctx *c, uint16_t seg, uint32_t off, uint32_t *out)
{
	size_t               n;
	const dw_pe_section *s = c->pe != NULL ? dw_pe_get_sections(c->pe, &n) : NULL;
	if (s == NULL || seg == 0 || seg > n || off > UINT32_MAX - s[seg - 1].vaddr)
		return false;
	*out = s[seg - 1].vaddr + off;
	return true;
}

static void
func_piece(uint32_t rva, uint32_t size, uint32_t delta, void *arg)
{
	ctx *c = arg;
	(void)delta;
	cand *v = grow(c->funcs, c->nfuncs, &c->capfuncs, sizeof(*v));
	if (v == NULL) {
		c->oom = true;
		return;
	}
	c->funcs                = v;
	c->funcs[c->nfuncs++] = (cand){rva, size, c->cur_name, (uint32_t)c->nfuncs};
}

static int
cand_cmp(const void *x, const void *y)
{
	const cand *a = x, *b = y;
	if (a->rva != b->rva)
		return a->rva < b->rva ? -1 : 1;
	int n = strcmp(a->name, b->name);
	if (n != 0)
		return n;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

// The name dump_syms prints for a procedure: x86 __fastcall procedures keep
// their decoration in the record ("@_EH4_CallFilterFunc@8"), a few records
// hold a decorated C++ name; both are undecorated.
static const char *
proc_name(ctx *c, const char *name)
{
	size_t len = strlen(name);
	if (name[0] == '@' || name[0] == '?') {
		size_t n = dw_undecorate(c->namebuf, sizeof(c->namebuf), name, len, DW_UNDNAME_FULL);
		if (n < sizeof(c->namebuf))
			return c->namebuf;
	}
	return name;
}

// The FILE id of a module's file `idx`, numbering names across modules in
// first-seen order.
static uint32_t
file_id(ctx *c, const dw_pdb_modsyms *ms, uint32_t idx)
{
	if (idx >= ms->nfiles || ms->files[idx] == NULL)
		return UINT32_MAX;
	uint32_t id;
	bool     added;
	if (strmap_id(&id, &added, &c->files, ms->files[idx]) != DW_OK) {
		c->oom = true;
		return UINT32_MAX;
	}
	if (added)
		count_refused(c, dw_symtab_builder_add_file(c->b, id, ms->files[idx]));
	return id;
}

// Module-relative file checksum offset -> file index of the module.
static uint32_t
file_by_offset(const dw_pdb_modsyms *ms, uint32_t off)
{
	for (size_t i = 0; i < ms->nfiles; i++) {
		if (ms->file_offsets != NULL && ms->file_offsets[i] == off)
			return (uint32_t)i;
	}
	return UINT32_MAX;
}

// The line record of ms holding rva, or NULL.
static const dw_pdb_line *
line_at(const dw_pdb_modsyms *ms, uint32_t rva)
{
	size_t lo = 0, hi = ms->nlines;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ms->lines[mid].rva <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const dw_pdb_line *l = &ms->lines[lo - 1];
	return rva - l->rva < (l->size ? l->size : 1) ? l : NULL;
}

// Start of a procedure in the image, through OMAP when reordered.
static bool
proc_rva(ctx *c, const dw_pdb_proc *p, uint32_t off, uint32_t *out)
{
	if (p->has_rva)
		return dw_pdb_map_rva(out, c->pdb, p->orig_rva + off) == DW_OK;
	uint32_t r;
	if (!pe_rva(c, p->segment, p->offset, &r))
		return false;
	*out = r + off;
	return true;
}

static void
add_inlines(ctx *c, const dw_pdb_modsyms *ms, const dw_pdb_proc *p, const ipi *names)
{
	// Inline sites of a procedure come in nesting pre-order: the innermost
	// open site of depth d-1 is the caller of a site of depth d.
	const dw_pdb_inline *stack[DW_MAX_PDB_SCOPE_DEPTH];
	dw_symtab_range      ranges[256];
	for (uint32_t k = 0; k < p->ninlines && !c->oom; k++) {
		size_t idx = (size_t)p->first_inline + k;
		if (idx >= ms->ninlines)
			break;
		const dw_pdb_inline *in = &ms->inlines[idx];
		if (in->depth == 0 || in->depth > DW_MAX_PDB_SCOPE_DEPTH)
			continue;
		stack[in->depth - 1] = in;
		const char *name     = ipi_name(names, in->inlinee);
		if (name == NULL || in->nranges == 0)
			continue;
		size_t nr = 0;
		for (size_t r = 0; r < in->nranges && nr < sizeof(ranges) / sizeof(ranges[0]); r++) {
			uint32_t rva;
			if (in->ranges[r].size == 0 || !proc_rva(c, p, in->ranges[r].offset, &rva))
				continue;
			ranges[nr++] = (dw_symtab_range){rva, in->ranges[r].size};
		}
		if (nr == 0)
			continue;
		// Where it was called from: the caller's source position at the
		// site's first address (the procedure's lines for depth 1, the
		// enclosing site's annotated ranges deeper down).
		uint32_t call_file = UINT32_MAX, call_line = 0;
		if (in->depth == 1) {
			const dw_pdb_line *l = line_at(ms, ranges[0].rva);
			if (l != NULL) {
				call_file = file_id(c, ms, l->file);
				call_line = l->line;
			}
		} else {
			const dw_pdb_inline *up  = stack[in->depth - 2];
			uint32_t             off = in->ranges[0].offset;
			for (size_t r = 0; up != NULL && r < up->nranges; r++) {
				const dw_pdb_inline_range *ur = &up->ranges[r];
				if (off >= ur->offset && off - ur->offset < ur->size) {
					call_file = file_id(c, ms, file_by_offset(ms, ur->file));
					call_line = ur->line;
					break;
				}
			}
		}
		dw_err rv = dw_symtab_builder_add_inline(c->b, in->depth - 1,
		                                         call_file == UINT32_MAX ? 0 : call_file,
		                                         call_line, name, ranges, nr);
		count_refused(c, rv);
		if (rv == DW_OK)
			c->feed->inlines++;
	}
}

static void
add_modules(ctx *c, const dw_pdb_dbi *dbi)
{
	ipi names;
	ipi_load(&names, c->pdb, c->notes);
	for (size_t m = 0; m < dbi->nmodules && !c->oom; m++) {
		const dw_pdb_modsyms *ms;
		if (dw_pdb_get_module(&ms, c->pdb, m) != DW_OK)
			continue;
		for (size_t i = 0; i < ms->nprocs && !c->oom; i++) {
			const dw_pdb_proc *p = &ms->procs[i];
			// Thunks are not functions to dump_syms (SymTagThunk).
			if (p->kind == DW_PDB_S_THUNK32 || p->size == 0)
				continue;
			c->cur_name = p->name;
			if (p->has_rva) {
				// A reordered procedure may lie in several pieces, padding
				// after its moved blocks included (dw_pdb_map_range).
				dw_pdb_map_range(c->pdb, p->orig_rva, p->size, true, func_piece, c);
			} else {
				uint32_t rva;
				if (pe_rva(c, p->segment, p->offset, &rva))
					func_piece(rva, p->size, 0, c);
				else
					c->feed->unmapped++;
			}
			add_inlines(c, ms, p, &names);
		}
		for (size_t i = 0; i < ms->nlines && !c->oom; i++) {
			const dw_pdb_line *l  = &ms->lines[i];
			uint32_t           id = file_id(c, ms, l->file);
			// dump_syms keeps zero-length records (two line numbers at one
			// address): so do we.
			if (id == UINT32_MAX)
				continue;
			dw_err rv = dw_symtab_builder_add_line(c->b, l->rva, l->size, l->line, id);
			count_refused(c, rv);
			if (rv == DW_OK)
				c->feed->lines++;
		}
	}
	free(names.names);
	if (c->oom || c->nfuncs == 0)
		return;
	qsort(c->funcs, c->nfuncs, sizeof(*c->funcs), cand_cmp);
	for (size_t i = 0; i < c->nfuncs && !c->oom;) {
		size_t j = i + 1;
		while (j < c->nfuncs && c->funcs[j].rva == c->funcs[i].rva)
			j++;
		const cand *f  = &c->funcs[i];
		dw_err      rv = dw_symtab_builder_add_func(c->b, f->rva, f->size, 0,
		                                            proc_name(c, f->name), j - i > 1);
		count_refused(c, rv);
		if (rv == DW_OK)
			c->feed->funcs++;
		c->feed->icf_folded += j - i - 1;
		i = j;
	}
}

typedef struct pubrec {
	uint32_t    rva;
	const char *name;
} pubrec;

static int
pubrec_cmp(const void *x, const void *y)
{
	const pubrec *a = x, *b = y;
	if (a->rva != b->rva)
		return a->rva < b->rva ? -1 : 1;
	return strcmp(a->name, b->name);
}

// x86 stdcall/fastcall publics carry their argument bytes: "_Sleep@4".
static uint32_t
stack_param_size(const char *name)
{
	if (name[0] != '_' && name[0] != '@')
		return 0;
	const char *at = strrchr(name + 1, '@');
	if (at == NULL || at[1] == 0 || strspn(at + 1, "0123456789") != strlen(at + 1))
		return 0;
	return (uint32_t)strtoul(at + 1, NULL, 10);
}

static void
add_publics(ctx *c, bool x86)
{
	const dw_pdb_public *pubs;
	size_t               n;
	if (dw_pdb_get_publics(&pubs, &n, c->pdb) != DW_OK || n == 0)
		return;
	pubrec *v = malloc(n * sizeof(*v));
	if (v == NULL) {
		c->oom = true;
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t rva = pubs[i].rva;
		if (!pubs[i].has_rva && !pe_rva(c, pubs[i].segment, pubs[i].offset, &rva)) {
			c->feed->unmapped++;
			continue;
		}
		v[k++] = (pubrec){rva, pubs[i].name};
	}
	if (k > 1)
		qsort(v, k, sizeof(*v), pubrec_cmp);
	// One PUBLIC per address, `m` when several names share it (dump_syms).
	for (size_t i = 0; i < k && !c->oom;) {
		size_t j = i + 1;
		while (j < k && v[j].rva == v[i].rva)
			j++;
		// x86 decorates C names with a leading underscore (and stdcall's
		// @N); x64 does not, so there a leading underscore is part of the
		// name (mingw's __cxa_throw, _unlock_file, _ZN... Itanium names):
		// only MSVC C++ names ('?') are undecorated.
		size_t len = x86 || v[i].name[0] == '?'
		                 ? dw_undecorate(c->namebuf, sizeof(c->namebuf), v[i].name,
		                                 strlen(v[i].name), DW_UNDNAME_FULL)
		                 : sizeof(c->namebuf);
		dw_err rv  = dw_symtab_builder_add_public(
                    c->b, v[i].rva, x86 ? stack_param_size(v[i].name) : 0,
                    len < sizeof(c->namebuf) ? c->namebuf : v[i].name, j - i > 1);
		count_refused(c, rv);
		if (rv == DW_OK)
			c->feed->publics++;
		i = j;
	}
	free(v);
}

static void
add_wins(ctx *c, const dw_pdb_dbi *dbi)
{
	for (size_t i = 0; i < dbi->nfpo && !c->oom; i++) {
		const dw_pdb_fpo *f = &dbi->fpo[i];
		dw_symtab_win     w = {
                    .type                   = DW_SYMTAB_WIN_FPO,
                    .rva                    = f->rva,
                    .code_size              = f->size,
                    .prolog_size            = f->prolog,
                    .param_size             = (uint32_t)f->params * 4,
                    .saved_regs_size        = (uint32_t)f->regs * 4,
                    .locals_size            = f->locals * 4,
                    .allocates_base_pointer = f->use_bp,
                };
		dw_err rv = dw_symtab_builder_add_win(c->b, &w);
		count_refused(c, rv);
		if (rv == DW_OK)
			c->feed->wins++;
	}
	for (size_t i = 0; i < dbi->nframes && !c->oom; i++) {
		const dw_pdb_frame *f = &dbi->frames[i];
		dw_symtab_win       w = {
                    .type            = DW_SYMTAB_WIN_FRAME_DATA,
                    .rva             = f->rva,
                    .code_size       = f->size,
                    .prolog_size     = f->prolog,
                    .param_size      = f->params,
                    .saved_regs_size = f->saved_regs,
                    .locals_size     = f->locals,
                    .max_stack_size  = f->max_stack,
                    .has_program     = f->program != NULL,
                    .program         = f->program,
                };
		dw_err rv = dw_symtab_builder_add_win(c->b, &w);
		count_refused(c, rv);
		if (rv == DW_OK)
			c->feed->wins++;
	}
}

// x64 unwind data from the PDB's copies of .pdata and .xdata (debug header
// slots 8 and 7), for when the image is not at hand. The Pdata stream holds
// RUNTIME_FUNCTIONs (12 bytes); the Xdata stream the bytes of the image's
// .xdata section. Where that section starts is not recorded beside it: take
// the .xdata section header when DBI has one, else the lowest UNWIND_INFO RVA
// the Pdata entries name (MSVC puts the first function's info first).
static void
add_pdb_x64(ctx *c, const dw_pdb_dbi *dbi)
{
	dw_cur pc, xc;
	if (dw_pdb_debug_stream(&pc, c->pdb, DW_PDB_DBG_PDATA) != DW_OK ||
	    dw_pdb_debug_stream(&xc, c->pdb, DW_PDB_DBG_XDATA) != DW_OK)
		return;
	size_t   n    = pc.len / 12;
	uint32_t base = UINT32_MAX;
	for (size_t i = 0; i < dbi->nsections; i++) {
		if (strcmp(dbi->sections[i].name, ".xdata") == 0)
			base = dbi->sections[i].rva;
	}
	if (base == UINT32_MAX) {
		dw_cur s = pc;
		for (size_t i = 0; i < n; i++) {
			(void)dw_cur_u32le(&s);
			(void)dw_cur_u32le(&s);
			uint32_t u = dw_cur_u32le(&s) & ~1u;
			if (s.err == DW_OK && u != 0 && u < base)
				base = u;
		}
	}
	dw_cur s = pc;
	for (size_t i = 0; i < n && !c->oom; i++) {
		uint32_t begin = dw_cur_u32le(&s), end = dw_cur_u32le(&s), u = dw_cur_u32le(&s);
		if (s.err != DW_OK)
			break;
		// Each UNWIND_INFO (and its chain) through a window of the Xdata copy.
		const uint8_t *info = NULL;
		size_t         len  = 0;
		dw_cur         w;
		if (u >= base && dw_cur_tail(&w, &xc, u - base) == DW_OK && dw_cur_left(&w) >= 4) {
			const uint8_t *h = w.base + w.off;
			size_t need = 4 + 2 * (((size_t)h[2] + 1) & ~(size_t)1);
			if (h[0] & (DW_UNW_FLAG_CHAININFO << 3))
				need += 12;
			else if (h[0] & ((DW_UNW_FLAG_EHANDLER | DW_UNW_FLAG_UHANDLER) << 3))
				need += 4;
			info = dw_cur_bytes(&w, need);
			len  = info != NULL ? need : 0;
		}
		dw_err rv = dw_symtab_builder_add_x64(c->b, begin, end, u, info, len);
		count_refused(c, rv);
		if (rv == DW_OK)
			c->feed->x64_funcs++;
		// Chain targets: walk with a cap.
		for (int d = 0; info != NULL && (info[0] & (DW_UNW_FLAG_CHAININFO << 3)) &&
		                d < DW_MAX_PE_UNWIND_CHAIN;
		     d++) {
			dw_cur t;
			dw_cur_init(&t, info + len - 4, 4);
			uint32_t at = dw_cur_u32le(&t);
			info        = NULL;
			if (at < base || dw_cur_tail(&w, &xc, at - base) != DW_OK || dw_cur_left(&w) < 4)
				break;
			const uint8_t *h = w.base + w.off;
			size_t need = 4 + 2 * (((size_t)h[2] + 1) & ~(size_t)1);
			if (h[0] & (DW_UNW_FLAG_CHAININFO << 3))
				need += 12;
			else if (h[0] & ((DW_UNW_FLAG_EHANDLER | DW_UNW_FLAG_UHANDLER) << 3))
				need += 4;
			info = dw_cur_bytes(&w, need);
			len  = need;
			if (info != NULL)
				count_refused(c, dw_symtab_builder_add_x64_info(c->b, at, info, len));
		}
	}
}

static const char *
base_name(const char *p)
{
	const char *b = p;
	for (; *p; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	return b;
}

dw_err
dw_symtab_add_pdb(dw_symtab_builder *b, dw_pdb *pdb, const dw_pe *pe, const char *debug_file,
                  const char *code_file, dw_symtab_feed *feed, dw_notes *notes)
{
	dw_symtab_feed dummy = {0};
	ctx            c     = {.b = b, .pdb = pdb, .pe = pe, .feed = feed ? feed : &dummy,
	                        .notes = notes};
	const dw_pdb_dbi *dbi = NULL;
	if (dw_pdb_get_dbi(&dbi, pdb) != DW_OK)
		dbi = NULL;

	uint16_t machine = dbi != NULL ? dbi->machine : 0;
	if (machine == 0 && pe != NULL)
		machine = dw_pe_get_headers(pe)->machine;
	const dw_pe_codeview *cv = pe != NULL ? dw_pe_get_codeview(pe) : NULL;
	if (debug_file == NULL)
		debug_file = cv != NULL && cv->pdb_name != NULL ? base_name(cv->pdb_name) : "unknown.pdb";
	char code_id[17] = "";
	if (pe != NULL)
		dw_pe_code_id(pe, code_id);
	dw_symtab_module m = {
	    .os         = "windows",
	    .debug_file = debug_file,
	    .debug_id   = dw_pdb_get_info(pdb)->debug_id,
	    .code_file  = code_file,
	    .code_id    = code_id,
	    .cpu        = machine == DW_PE_MACHINE_AMD64  ? DW_SYMTAB_CPU_AMD64
	                  : machine == DW_PE_MACHINE_I386 ? DW_SYMTAB_CPU_X86
	                                                  : DW_SYMTAB_CPU_UNKNOWN,
	};
	dw_err rv = dw_symtab_builder_set_module(b, &m);
	if (rv != DW_OK)
		return rv;

	if (dbi != NULL) {
		add_modules(&c, dbi);
		if (!c.oom)
			add_wins(&c, dbi);
	}
	if (!c.oom)
		add_publics(&c, m.cpu == DW_SYMTAB_CPU_X86);
	if (!c.oom && m.cpu == DW_SYMTAB_CPU_AMD64) {
		if (pe != NULL) {
			if (dw_symtab_add_pe_x64(b, pe, c.feed, notes) == DW_ENOMEM)
				c.oom = true;
		} else if (dbi != NULL) {
			add_pdb_x64(&c, dbi);
		}
	}
	free(c.funcs);
	strmap_fini(&c.files);
	if (c.feed->unmapped > 0)
		dw_remark(notes, "PDB: %zu records without an image address skipped", c.feed->unmapped);
	if (c.feed->refused > 0)
		dw_remark(notes, "PDB: %zu records refused by the table builder", c.feed->refused);
	return c.oom ? DW_ENOMEM : DW_OK;
}
