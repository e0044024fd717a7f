// symbols/symtab_build.c - gathering records, resolving them and writing a
// version 1 table (format in symtab_int.h); the .sym feeder.
#include <stdlib.h>
#include <string.h>

#include "symbols/breakpad_sym.h"
#include "symbols/symtab_int.h"

// ---- growable arrays ----------------------------------------------------------

typedef struct vec {
	void  *p;
	size_t n, cap;
} vec;

// vpush returns a zeroed new element of esz bytes, or NULL (out of memory or
// DW_MAX_SYMTAB_RECORDS reached, told apart by *rv).
static void *
vpush(vec *v, size_t esz, dw_err *rv)
{
	if (v->n >= DW_MAX_SYMTAB_RECORDS) {
		*rv = DW_ELIMIT;
		return NULL;
	}
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 64;
		void  *np = realloc(v->p, nc * esz);
		if (np == NULL) {
			*rv = DW_ENOMEM;
			return NULL;
		}
		v->p   = np;
		v->cap = nc;
	}
	void *e = (uint8_t *)v->p + v->n++ * esz;
	memset(e, 0, esz);
	return e;
}

static void
vfree(vec *v)
{
	free(v->p);
	v->p   = NULL;
	v->n   = v->cap = 0;
}

// ---- builder records ----------------------------------------------------------

typedef struct bfunc {
	uint32_t rva, size, param, name, flags, order;
} bfunc;
typedef struct bpub {
	uint32_t rva, param, name, flags, order;
} bpub;
typedef struct bfile {
	uint32_t id, name, order;
} bfile;
typedef struct bline {
	uint32_t rva, size, line, file, order;
} bline;
typedef struct binl {
	uint32_t depth, call_file, call_line, name, range_first, range_count, order, func;
} binl;
typedef struct bwin {
	uint32_t type, rva, code, prolog, epilog, param, saved, locals, maxs, flags, program, order;
} bwin;
typedef struct bcfi {
	uint32_t rva, size, row_first, row_count, order;
} bcfi;
typedef struct brow {
	uint32_t rva, rule_first, rule_count, order;
} brow;
typedef struct brule {
	uint32_t reg, expr;
} brule;
typedef struct bx64 {
	uint32_t begin, end, unwind, order;
} bx64;
typedef struct binfo {
	uint32_t rva, off, len;
} binfo;
typedef struct bseg {
	uint32_t start, rec;
} bseg;

// u32 -> u32 open-addressing map (UNWIND_INFO rva -> index in infos).
typedef struct u32map {
	uint32_t *keys, *vals; // vals[i] == NONE: empty slot
	size_t    cap, n;
} u32map;

// Open-addressing set entry of the string interner.
typedef struct hslot {
	uint32_t off; // DW_SYMTAB_NONE when empty
	uint32_t hash;
} hslot;

struct dw_symtab_builder {
	dw_notes notes;
	char    *pool;
	size_t   plen, pcap;
	hslot   *hs;
	size_t   hcap, hn;
	uint32_t ident[5];
	uint32_t cpu;
	u32map   info_map;
	vec      funcs, pubs, files, lines, inls, ranges, wins, cfis, rows, rules, x64, infos, blob;
	bool     finished;
};

// ---- strings ------------------------------------------------------------------

static uint32_t
strhash(const char *s, size_t len)
{
	uint32_t h = 2166136261u; // FNV-1a: strings are short, this is not the hot path
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static dw_err
hs_grow(dw_symtab_builder *b)
{
	size_t nc = b->hcap ? b->hcap * 2 : 1024;
	hslot *n  = malloc(nc * sizeof(*n));
	if (n == NULL)
		return DW_ENOMEM;
	for (size_t i = 0; i < nc; i++)
		n[i].off = DW_SYMTAB_NONE;
	for (size_t i = 0; i < b->hcap; i++) {
		if (b->hs[i].off == DW_SYMTAB_NONE)
			continue;
		size_t k = b->hs[i].hash & (nc - 1);
		while (n[k].off != DW_SYMTAB_NONE)
			k = (k + 1) & (nc - 1);
		n[k] = b->hs[i];
	}
	free(b->hs);
	b->hs   = n;
	b->hcap = nc;
	return DW_OK;
}

// intern stores s once in the pool and returns its offset.
static dw_err
intern(dw_symtab_builder *b, const char *s, uint32_t *out)
{
	if (s == NULL)
		return DW_EINVAL;
	size_t len = strlen(s);
	if (len == 0) {
		*out = 0;
		return DW_OK;
	}
	if ((b->hn + 1) * 2 > b->hcap && hs_grow(b) != DW_OK)
		return DW_ENOMEM;
	uint32_t h = strhash(s, len);
	size_t   k = h & (b->hcap - 1);
	for (; b->hs[k].off != DW_SYMTAB_NONE; k = (k + 1) & (b->hcap - 1)) {
		const char *p = b->pool + b->hs[k].off;
		if (b->hs[k].hash == h && memcmp(p, s, len) == 0 && p[len] == 0) {
			*out = b->hs[k].off;
			return DW_OK;
		}
	}
	// The pool's offsets are u32 and the whole table is capped.
	if (len + 1 > DW_MAX_SYMTAB_BYTES / 2 - b->plen)
		return DW_ELIMIT;
	if (b->plen + len + 1 > b->pcap) {
		size_t nc = b->pcap * 2;
		while (nc < b->plen + len + 1)
			nc *= 2;
		char *np = realloc(b->pool, nc);
		if (np == NULL)
			return DW_ENOMEM;
		b->pool = np;
		b->pcap = nc;
	}
	memcpy(b->pool + b->plen, s, len + 1);
	b->hs[k].off  = (uint32_t)b->plen;
	b->hs[k].hash = h;
	b->hn++;
	*out = (uint32_t)b->plen;
	b->plen += len + 1;
	return DW_OK;
}

// ---- adders ------------------------------------------------------------------

dw_err
dw_symtab_builder_new(dw_symtab_builder **out)
{
	*out                 = NULL;
	dw_symtab_builder *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return DW_ENOMEM;
	dw_notes_init(&b->notes);
	b->pcap = 4096;
	b->pool = malloc(b->pcap);
	if (b->pool == NULL) {
		free(b);
		return DW_ENOMEM;
	}
	b->pool[0] = 0;
	b->plen    = 1;
	*out       = b;
	return DW_OK;
}

void
dw_symtab_builder_free(dw_symtab_builder *b)
{
	if (b == NULL)
		return;
	dw_notes_fini(&b->notes);
	free(b->pool);
	free(b->hs);
	free(b->info_map.keys);
	free(b->info_map.vals);
	vec *vs[] = {&b->funcs, &b->pubs,  &b->files, &b->lines, &b->inls,  &b->ranges, &b->wins,
	             &b->cfis,  &b->rows,  &b->rules, &b->x64,   &b->infos, &b->blob};
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++)
		vfree(vs[i]);
	free(b);
}

const dw_notes *
dw_symtab_builder_notes(const dw_symtab_builder *b)
{
	return &b->notes;
}

static bool
fits(uint32_t rva, uint32_t size)
{
	return (uint64_t)rva + size <= ((uint64_t)1 << 32);
}

dw_err
dw_symtab_builder_set_module(dw_symtab_builder *b, const dw_symtab_module *m)
{
	const char *s[5] = {m->os, m->debug_file, m->debug_id, m->code_file, m->code_id};
	uint32_t    o[5];
	for (int i = 0; i < 5; i++) {
		dw_err rv = intern(b, s[i] ? s[i] : "", &o[i]);
		if (rv != DW_OK)
			return rv;
	}
	memcpy(b->ident, o, sizeof(o));
	b->cpu = (uint32_t)m->cpu;
	return DW_OK;
}

dw_err
dw_symtab_builder_add_func(dw_symtab_builder *b, uint32_t rva, uint32_t size, uint32_t param_size,
                           const char *name, bool multiple)
{
	uint32_t nm;
	dw_err   rv = DW_OK;
	if (b->finished || !fits(rva, size) || name == NULL)
		return DW_EINVAL;
	if ((rv = intern(b, name, &nm)) != DW_OK)
		return rv;
	bfunc *f = vpush(&b->funcs, sizeof(bfunc), &rv);
	if (f == NULL)
		return rv;
	*f = (bfunc){rva, size, param_size, nm, multiple ? DW_SYMTAB_FUNC_FLAG_MULTIPLE : 0,
	             (uint32_t)(b->funcs.n - 1)};
	return DW_OK;
}

dw_err
dw_symtab_builder_add_public(dw_symtab_builder *b, uint32_t rva, uint32_t param_size,
                             const char *name, bool multiple)
{
	uint32_t nm;
	dw_err   rv = DW_OK;
	if (b->finished || name == NULL)
		return DW_EINVAL;
	if ((rv = intern(b, name, &nm)) != DW_OK)
		return rv;
	bpub *p = vpush(&b->pubs, sizeof(bpub), &rv);
	if (p == NULL)
		return rv;
	*p = (bpub){rva, param_size, nm, multiple ? DW_SYMTAB_FUNC_FLAG_MULTIPLE : 0,
	            (uint32_t)(b->pubs.n - 1)};
	return DW_OK;
}

dw_err
dw_symtab_builder_add_file(dw_symtab_builder *b, uint32_t id, const char *name)
{
	uint32_t nm;
	dw_err   rv = DW_OK;
	if (b->finished || name == NULL)
		return DW_EINVAL;
	if ((rv = intern(b, name, &nm)) != DW_OK)
		return rv;
	bfile *f = vpush(&b->files, sizeof(bfile), &rv);
	if (f == NULL)
		return rv;
	*f = (bfile){id, nm, (uint32_t)(b->files.n - 1)};
	return DW_OK;
}

dw_err
dw_symtab_builder_add_line(dw_symtab_builder *b, uint32_t rva, uint32_t size, uint32_t line,
                           uint32_t file_id)
{
	dw_err rv = DW_OK;
	if (b->finished || !fits(rva, size))
		return DW_EINVAL;
	bline *l = vpush(&b->lines, sizeof(bline), &rv);
	if (l == NULL)
		return rv;
	*l = (bline){rva, size, line, file_id, (uint32_t)(b->lines.n - 1)};
	return DW_OK;
}

dw_err
dw_symtab_builder_add_inline(dw_symtab_builder *b, uint32_t depth, uint32_t call_file_id,
                             uint32_t call_line, const char *origin,
                             const dw_symtab_range *ranges, size_t nranges)
{
	uint32_t nm;
	dw_err   rv = DW_OK;
	if (b->finished || origin == NULL || ranges == NULL || nranges == 0 ||
	    nranges > DW_MAX_SYMTAB_RECORDS - b->ranges.n)
		return nranges > 0 && ranges != NULL && origin != NULL && !b->finished ? DW_ELIMIT
		                                                                       : DW_EINVAL;
	for (size_t i = 0; i < nranges; i++)
		if (!fits(ranges[i].rva, ranges[i].size))
			return DW_EINVAL;
	if ((rv = intern(b, origin, &nm)) != DW_OK)
		return rv;
	size_t first = b->ranges.n;
	for (size_t i = 0; i < nranges; i++) {
		dw_symtab_range *r = vpush(&b->ranges, sizeof(*r), &rv);
		if (r == NULL) {
			b->ranges.n = first;
			return rv;
		}
		*r = ranges[i];
	}
	binl *in = vpush(&b->inls, sizeof(binl), &rv);
	if (in == NULL) {
		b->ranges.n = first;
		return rv;
	}
	*in = (binl){depth, call_file_id, call_line, nm, (uint32_t)first, (uint32_t)nranges,
	             (uint32_t)(b->inls.n - 1), DW_SYMTAB_NONE};
	return DW_OK;
}

static uint32_t
map_get(const u32map *m, uint32_t key)
{
	if (m->cap == 0)
		return DW_SYMTAB_NONE;
	size_t k = (key * 2654435761u) & (m->cap - 1);
	for (; m->vals[k] != DW_SYMTAB_NONE; k = (k + 1) & (m->cap - 1))
		if (m->keys[k] == key)
			return m->vals[k];
	return DW_SYMTAB_NONE;
}

static dw_err
map_put(u32map *m, uint32_t key, uint32_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t    nc = m->cap ? m->cap * 2 : 256;
		uint32_t *nk = malloc(nc * sizeof(uint32_t)), *nv = malloc(nc * sizeof(uint32_t));
		if (nk == NULL || nv == NULL) {
			free(nk);
			free(nv);
			return DW_ENOMEM;
		}
		for (size_t i = 0; i < nc; i++)
			nv[i] = DW_SYMTAB_NONE;
		for (size_t i = 0; i < m->cap; i++) {
			if (m->vals[i] == DW_SYMTAB_NONE)
				continue;
			size_t k = (m->keys[i] * 2654435761u) & (nc - 1);
			while (nv[k] != DW_SYMTAB_NONE)
				k = (k + 1) & (nc - 1);
			nk[k] = m->keys[i];
			nv[k] = m->vals[i];
		}
		free(m->keys);
		free(m->vals);
		m->keys = nk;
		m->vals = nv;
		m->cap  = nc;
	}
	size_t k = (key * 2654435761u) & (m->cap - 1);
	while (m->vals[k] != DW_SYMTAB_NONE)
		k = (k + 1) & (m->cap - 1);
	m->keys[k] = key;
	m->vals[k] = val;
	m->n++;
	return DW_OK;
}

dw_err
dw_symtab_builder_add_x64_info(dw_symtab_builder *b, uint32_t unwind_rva, const uint8_t *info,
                               size_t len)
{
	dw_err rv = DW_OK;
	if (b->finished || info == NULL || len == 0)
		return DW_EINVAL;
	uint32_t have = map_get(&b->info_map, unwind_rva);
	if (have != DW_SYMTAB_NONE) {
		const binfo *i = (const binfo *)b->infos.p + have;
		bool same = i->len == len && memcmp((const uint8_t *)b->blob.p + i->off, info, len) == 0;
		return same ? DW_OK : DW_EINVAL;
	}
	if (len > UINT32_MAX - b->blob.n || b->blob.n + len > DW_MAX_SYMTAB_BYTES / 2)
		return DW_ELIMIT;
	if (b->blob.n + len > b->blob.cap) {
		size_t nc = b->blob.cap ? b->blob.cap * 2 : 4096;
		while (nc < b->blob.n + len)
			nc *= 2;
		void *np = realloc(b->blob.p, nc);
		if (np == NULL)
			return DW_ENOMEM;
		b->blob.p   = np;
		b->blob.cap = nc;
	}
	binfo *i = vpush(&b->infos, sizeof(binfo), &rv);
	if (i == NULL)
		return rv;
	if ((rv = map_put(&b->info_map, unwind_rva, (uint32_t)(b->infos.n - 1))) != DW_OK) {
		b->infos.n--;
		return rv;
	}
	*i = (binfo){unwind_rva, (uint32_t)b->blob.n, (uint32_t)len};
	memcpy((uint8_t *)b->blob.p + b->blob.n, info, len);
	b->blob.n += len;
	return DW_OK;
}

dw_err
dw_symtab_builder_add_x64(dw_symtab_builder *b, uint32_t begin, uint32_t end, uint32_t unwind_rva,
                          const uint8_t *info, size_t len)
{
	dw_err rv = DW_OK;
	if (b->finished || end < begin)
		return DW_EINVAL;
	if (info != NULL && (rv = dw_symtab_builder_add_x64_info(b, unwind_rva, info, len)) != DW_OK)
		return rv;
	bx64 *x = vpush(&b->x64, sizeof(bx64), &rv);
	if (x == NULL)
		return rv;
	*x = (bx64){begin, end, unwind_rva, (uint32_t)(b->x64.n - 1)};
	return DW_OK;
}

dw_err
dw_symtab_builder_add_win(dw_symtab_builder *b, const dw_symtab_win *w)
{
	uint32_t prog = 0;
	dw_err   rv   = DW_OK;
	if (b->finished || w->type >= DW_SYMTAB_WIN_TYPES || !fits(w->rva, w->code_size) ||
	    (w->has_program && w->program == NULL))
		return DW_EINVAL;
	if (w->has_program && (rv = intern(b, w->program, &prog)) != DW_OK)
		return rv;
	bwin *r = vpush(&b->wins, sizeof(bwin), &rv);
	if (r == NULL)
		return rv;
	uint32_t flags = (w->has_program ? DW_SYMTAB_WIN_FLAG_PROGRAM : 0) |
	                 (!w->has_program && w->allocates_base_pointer ? DW_SYMTAB_WIN_FLAG_ALLOC_BP : 0);
	*r = (bwin){w->type,          w->rva,         w->code_size,       w->prolog_size,
	            w->epilog_size,   w->param_size,  w->saved_regs_size, w->locals_size,
	            w->max_stack_size, flags,         prog,               (uint32_t)(b->wins.n - 1)};
	return DW_OK;
}

// add_row appends a row of rules; rolled back whole on failure.
static dw_err
add_row(dw_symtab_builder *b, uint32_t rva, const dw_symtab_cfi_rule *rules, size_t nrules)
{
	dw_err rv = DW_OK;
	if (nrules > DW_MAX_CFI_RULES)
		return DW_ELIMIT;
	if (nrules > 0 && rules == NULL)
		return DW_EINVAL;
	size_t first = b->rules.n;
	for (size_t i = 0; i < nrules; i++) {
		uint32_t reg, expr;
		brule   *u;
		if ((rv = intern(b, rules[i].reg, &reg)) != DW_OK ||
		    (rv = intern(b, rules[i].expr, &expr)) != DW_OK ||
		    (u = vpush(&b->rules, sizeof(brule), &rv)) == NULL) {
			b->rules.n = first;
			return rv;
		}
		*u = (brule){reg, expr};
	}
	brow *r = vpush(&b->rows, sizeof(brow), &rv);
	if (r == NULL) {
		b->rules.n = first;
		return rv;
	}
	*r = (brow){rva, (uint32_t)first, (uint32_t)nrules, (uint32_t)(b->rows.n - 1)};
	return DW_OK;
}

dw_err
dw_symtab_builder_add_cfi(dw_symtab_builder *b, uint32_t rva, uint32_t size,
                          const dw_symtab_cfi_rule *rules, size_t nrules)
{
	dw_err rv = DW_OK;
	if (b->finished || !fits(rva, size))
		return DW_EINVAL;
	if (b->cfis.n >= DW_MAX_SYMTAB_RECORDS)
		return DW_ELIMIT;
	size_t row = b->rows.n;
	if ((rv = add_row(b, rva, rules, nrules)) != DW_OK)
		return rv;
	bcfi *c = vpush(&b->cfis, sizeof(bcfi), &rv);
	if (c == NULL) {
		b->rows.n--;
		return rv;
	}
	*c = (bcfi){rva, size, (uint32_t)row, 1, (uint32_t)(b->cfis.n - 1)};
	return DW_OK;
}

dw_err
dw_symtab_builder_add_cfi_delta(dw_symtab_builder *b, uint32_t rva,
                                const dw_symtab_cfi_rule *rules, size_t nrules)
{
	if (b->finished || b->cfis.n == 0)
		return DW_EINVAL;
	bcfi *c = (bcfi *)b->cfis.p + (b->cfis.n - 1);
	if (rva < c->rva || (uint64_t)rva >= (uint64_t)c->rva + c->size)
		return DW_EINVAL;
	dw_err rv = add_row(b, rva, rules, nrules);
	if (rv == DW_OK)
		c->row_count++;
	return rv;
}

// ---- finish ------------------------------------------------------------------

#define CMP2(a, b, f1, f2) \
	((a)->f1 != (b)->f1 ? ((a)->f1 < (b)->f1 ? -1 : 1) : ((a)->f2 < (b)->f2 ? -1 : (a)->f2 > (b)->f2))

static int
cmp_func(const void *x, const void *y)
{
	return CMP2((const bfunc *)x, (const bfunc *)y, rva, order);
}
static int
cmp_pub(const void *x, const void *y)
{
	return CMP2((const bpub *)x, (const bpub *)y, rva, order);
}
static int
cmp_file(const void *x, const void *y)
{
	return CMP2((const bfile *)x, (const bfile *)y, id, order);
}
static int
cmp_line(const void *x, const void *y)
{
	return CMP2((const bline *)x, (const bline *)y, rva, order);
}
static int
cmp_inl(const void *x, const void *y)
{
	return CMP2((const binl *)x, (const binl *)y, func, order);
}
static int
cmp_win(const void *x, const void *y)
{
	return CMP2((const bwin *)x, (const bwin *)y, rva, order);
}
static int
cmp_cfi(const void *x, const void *y)
{
	return CMP2((const bcfi *)x, (const bcfi *)y, rva, order);
}
static int
cmp_row(const void *x, const void *y)
{
	return CMP2((const brow *)x, (const brow *)y, rva, order);
}
static int
cmp_x64(const void *x, const void *y)
{
	return CMP2((const bx64 *)x, (const bx64 *)y, begin, order);
}
static int
cmp_info(const void *x, const void *y)
{
	const binfo *a = x, *b = y;
	return a->rva < b->rva ? -1 : a->rva > b->rva;
}
static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

// vsort is qsort that accepts an empty (NULL) array, which qsort does not.
static void
vsort(void *p, size_t n, size_t esz, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(p, n, esz, cmp);
}

// build_segs flattens n ranges [st[i], en[i]), sorted by (start, order), into
// a segment index: at each boundary the range in force is the one with the
// greatest position that holds the point (the innermost when ranges nest).
// Positions are pushed in increasing order, so the greatest live one is the
// top of a stack; ranges that ended are popped when they surface.
static dw_err
build_segs(vec *out, const uint32_t *st, const uint64_t *en, const uint32_t *id, uint32_t n)
{
	dw_err    rv    = DW_OK;
	uint64_t *ends  = malloc((n ? n : 1) * sizeof(uint64_t));
	uint32_t *stack = malloc((n ? n : 1) * sizeof(uint32_t));
	if (ends == NULL || stack == NULL) {
		rv = DW_ENOMEM;
		goto out;
	}
	memcpy(ends, en, n * sizeof(uint64_t));
	vsort(ends, n, sizeof(uint64_t), cmp_u64);
	uint32_t i = 0, j = 0, top = 0, last = 0;
	bool     have = false;
	while (i < n || j < n) {
		uint64_t x = UINT64_MAX;
		if (i < n)
			x = st[i];
		if (j < n && ends[j] < x)
			x = ends[j];
		if (x >= ((uint64_t)1 << 32))
			break;
		while (i < n && st[i] == x)
			stack[top++] = i++;
		while (j < n && ends[j] == x)
			j++;
		while (top > 0 && en[stack[top - 1]] <= x)
			top--;
		uint32_t cur = top > 0 ? id[stack[top - 1]] : DW_SYMTAB_NONE;
		if (!have || cur != last) {
			bseg *s = vpush(out, sizeof(bseg), &rv);
			if (s == NULL)
				goto out;
			*s   = (bseg){(uint32_t)x, cur};
			last = cur;
			have = true;
		}
	}
out:
	free(ends);
	free(stack);
	return rv;
}

// segs_for collects starts/ends of `n` records at stride `esz` (start at byte
// 0 as u32, and size or end given by the callback) and builds their index.
typedef struct span {
	uint32_t start;
	uint64_t end;
	uint32_t id;
} span;

static dw_err
segs_from_spans(vec *out, const span *sp, uint32_t n)
{
	uint32_t *st = malloc((n ? n : 1) * sizeof(uint32_t));
	uint64_t *en = malloc((n ? n : 1) * sizeof(uint64_t));
	uint32_t *id = malloc((n ? n : 1) * sizeof(uint32_t));
	dw_err    rv = DW_ENOMEM;
	if (st != NULL && en != NULL && id != NULL) {
		for (uint32_t i = 0; i < n; i++) {
			st[i] = sp[i].start;
			en[i] = sp[i].end;
			id[i] = sp[i].id;
		}
		rv = build_segs(out, st, en, id, n);
	}
	free(st);
	free(en);
	free(id);
	return rv;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

// file_index maps a FILE id to its index in the sorted, deduplicated files.
static uint32_t
file_index(const bfile *f, size_t n, uint32_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && f[lo].id == id ? (uint32_t)lo : DW_SYMTAB_NONE;
}

// func_index returns the kept function holding rva, or NONE.
static uint32_t
func_index(const bfunc *f, size_t n, uint32_t rva)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f[mid].rva <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || (uint64_t)rva >= (uint64_t)f[lo - 1].rva + f[lo - 1].size)
		return DW_SYMTAB_NONE;
	return (uint32_t)(lo - 1);
}

dw_err
dw_symtab_builder_finish(dw_symtab **out, dw_symtab_builder *b, dw_symtab_stats *stats)
{
	*out = NULL;
	if (b->finished)
		return DW_EINVAL;
	b->finished = true;
	dw_symtab_stats st = {0};
	dw_err          rv = DW_OK;
	vec             wsegs[DW_SYMTAB_WIN_TYPES] = {{0}}, csegs = {0}, xsegs = {0};
	uint32_t       *line_first = NULL, *line_count = NULL, *inl_first = NULL, *inl_count = NULL;
	span           *sp = NULL;
	uint8_t        *buf = NULL;

	// Functions: sorted, the lower start wins, same start folds into `multiple`.
	bfunc *fn = b->funcs.p;
	vsort(fn, b->funcs.n, sizeof(bfunc), cmp_func);
	size_t nf = 0;
	for (size_t i = 0; i < b->funcs.n; i++) {
		if (nf > 0 && fn[i].rva == fn[nf - 1].rva) {
			fn[nf - 1].flags |= DW_SYMTAB_FUNC_FLAG_MULTIPLE;
			st.dup_funcs++;
			continue;
		}
		if (nf > 0 && (uint64_t)fn[i].rva < (uint64_t)fn[nf - 1].rva + fn[nf - 1].size) {
			st.overlap_funcs++;
			continue;
		}
		fn[nf++] = fn[i];
	}
	if (st.dup_funcs)
		dw_remark(&b->notes, "symbol table: %zu functions share a start with another "
		                     "(folded, marked multiple)", st.dup_funcs);
	if (st.overlap_funcs)
		(void)dw_fail(&b->notes, DW_ECORRUPT,
		              "symbol table: %zu functions start inside another and were dropped",
		              st.overlap_funcs);

	// Files: by id, a later duplicate dropped.
	bfile *fl = b->files.p;
	vsort(fl, b->files.n, sizeof(bfile), cmp_file);
	size_t nfl = 0, dupfiles = 0;
	for (size_t i = 0; i < b->files.n; i++) {
		if (nfl > 0 && fl[i].id == fl[nfl - 1].id) {
			dupfiles++;
			continue;
		}
		fl[nfl++] = fl[i];
	}
	if (dupfiles)
		(void)dw_fail(&b->notes, DW_ECORRUPT, "symbol table: %zu duplicate FILE ids dropped",
		              dupfiles);

	// Lines: sorted, assigned to the function holding their start.
	bline *ln = b->lines.p;
	vsort(ln, b->lines.n, sizeof(bline), cmp_line);
	line_first = calloc(nf ? nf : 1, sizeof(uint32_t));
	line_count = calloc(nf ? nf : 1, sizeof(uint32_t));
	inl_first  = calloc(nf ? nf : 1, sizeof(uint32_t));
	inl_count  = calloc(nf ? nf : 1, sizeof(uint32_t));
	if (line_first == NULL || line_count == NULL || inl_first == NULL || inl_count == NULL) {
		rv = DW_ENOMEM;
		goto out;
	}
	size_t nl = 0, j = 0;
	for (size_t i = 0; i < nf; i++) {
		uint64_t end = (uint64_t)fn[i].rva + fn[i].size;
		for (; j < b->lines.n && ln[j].rva < fn[i].rva; j++)
			st.orphan_lines++;
		line_first[i] = (uint32_t)nl;
		for (; j < b->lines.n && ln[j].rva < end; j++) {
			ln[nl]      = ln[j];
			ln[nl].file = file_index(fl, nfl, ln[j].file);
			if (ln[nl].file == DW_SYMTAB_NONE)
				st.bad_line_files++;
			nl++;
		}
		line_count[i] = (uint32_t)(nl - line_first[i]);
	}
	st.orphan_lines += b->lines.n - j;
	if (st.orphan_lines)
		(void)dw_fail(&b->notes, DW_ECORRUPT,
		              "symbol table: %zu line records outside every function dropped",
		              st.orphan_lines);

	// Inlines: grouped by function, in the order added.
	binl                  *in = b->inls.p;
	const dw_symtab_range *rg = b->ranges.p;
	for (size_t i = 0; i < b->inls.n; i++) {
		in[i].func = func_index(fn, nf, rg[in[i].range_first].rva);
		if (in[i].func == DW_SYMTAB_NONE)
			st.orphan_inlines++;
		uint32_t cf = in[i].call_file;
		in[i].call_file = file_index(fl, nfl, cf);
		if (in[i].call_file == DW_SYMTAB_NONE && in[i].func != DW_SYMTAB_NONE)
			st.bad_line_files++;
	}
	vsort(in, b->inls.n, sizeof(binl), cmp_inl); // NONE sorts last
	size_t ni = b->inls.n - st.orphan_inlines, nrg = 0;
	for (size_t i = 0; i < ni; i++) {
		if (inl_count[in[i].func]++ == 0)
			inl_first[in[i].func] = (uint32_t)i;
		nrg += in[i].range_count;
	}
	if (st.orphan_inlines)
		(void)dw_fail(&b->notes, DW_ECORRUPT,
		              "symbol table: %zu inline records outside every function dropped",
		              st.orphan_inlines);
	if (st.bad_line_files)
		(void)dw_fail(&b->notes, DW_ECORRUPT,
		              "symbol table: %zu line or inline records name an undefined FILE",
		              st.bad_line_files);

	vsort(b->pubs.p, b->pubs.n, sizeof(bpub), cmp_pub);
	bwin *wn = b->wins.p;
	vsort(wn, b->wins.n, sizeof(bwin), cmp_win);
	bcfi *cf = b->cfis.p;
	vsort(cf, b->cfis.n, sizeof(bcfi), cmp_cfi);
	for (size_t i = 0; i < b->cfis.n; i++)
		vsort((brow *)b->rows.p + cf[i].row_first, cf[i].row_count, sizeof(brow), cmp_row);
	bx64 *xf = b->x64.p;
	vsort(xf, b->x64.n, sizeof(bx64), cmp_x64);
	vsort(b->infos.p, b->infos.n, sizeof(binfo), cmp_info);

	// Segment indexes.
	size_t maxsp = b->wins.n > b->cfis.n ? b->wins.n : b->cfis.n;
	if (b->x64.n > maxsp)
		maxsp = b->x64.n;
	sp = malloc((maxsp ? maxsp : 1) * sizeof(span));
	if (sp == NULL) {
		rv = DW_ENOMEM;
		goto out;
	}
	for (uint32_t ty = 0; ty < DW_SYMTAB_WIN_TYPES; ty++) {
		uint32_t k = 0;
		for (size_t i = 0; i < b->wins.n; i++)
			if (wn[i].type == ty)
				sp[k++] = (span){wn[i].rva, (uint64_t)wn[i].rva + wn[i].code, (uint32_t)i};
		if ((rv = segs_from_spans(&wsegs[ty], sp, k)) != DW_OK)
			goto out;
	}
	for (size_t i = 0; i < b->cfis.n; i++)
		sp[i] = (span){cf[i].rva, (uint64_t)cf[i].rva + cf[i].size, (uint32_t)i};
	if ((rv = segs_from_spans(&csegs, sp, (uint32_t)b->cfis.n)) != DW_OK)
		goto out;
	for (size_t i = 0; i < b->x64.n; i++)
		sp[i] = (span){xf[i].begin, xf[i].end, (uint32_t)i};
	if ((rv = segs_from_spans(&xsegs, sp, (uint32_t)b->x64.n)) != DW_OK)
		goto out;

	// Layout.
	size_t nwsegs = 0;
	for (int ty = 0; ty < DW_SYMTAB_WIN_TYPES; ty++)
		nwsegs += wsegs[ty].n;
	uint64_t count[DW_SEC_COUNT] = {
	    [DW_SEC_STRINGS] = b->plen,      [DW_SEC_FUNC_ADDR] = nf,
	    [DW_SEC_FUNCS] = nf,             [DW_SEC_PUB_ADDR] = b->pubs.n,
	    [DW_SEC_PUBS] = b->pubs.n,       [DW_SEC_FILES] = nfl,
	    [DW_SEC_LINE_ADDR] = nl,         [DW_SEC_LINES] = nl,
	    [DW_SEC_INLINES] = ni,           [DW_SEC_INLINE_RANGES] = nrg,
	    [DW_SEC_WINS] = b->wins.n,       [DW_SEC_WIN_SEGDIR] = DW_SYMTAB_WIN_TYPES,
	    [DW_SEC_WIN_SEGS] = nwsegs,      [DW_SEC_CFIS] = b->cfis.n,
	    [DW_SEC_CFI_ROWS] = b->rows.n,   [DW_SEC_CFI_RULES] = b->rules.n,
	    [DW_SEC_CFI_SEGS] = csegs.n,     [DW_SEC_X64_FUNCS] = b->x64.n,
	    [DW_SEC_X64_SEGS] = xsegs.n,     [DW_SEC_X64_INFOS] = b->infos.n,
	    [DW_SEC_X64_BLOB] = b->blob.n,
	};
	uint64_t off[DW_SEC_COUNT] = {0};
	uint64_t pos = DW_SYMTAB_HEADER_SIZE + (uint64_t)(DW_SEC_COUNT - 1) * DW_SYMTAB_DIRENT_SIZE;
	for (int id = 1; id < DW_SEC_COUNT; id++) {
		pos     = (pos + 7) & ~(uint64_t)7;
		off[id] = pos;
		pos += count[id] * dw_symtab__elem_size[id];
	}
	pos = (pos + 7) & ~(uint64_t)7;
	if (pos > DW_MAX_SYMTAB_BYTES) {
		rv = dw_fail(&b->notes, DW_ELIMIT, "symbol table: %llu bytes, more than the cap",
		             (unsigned long long)pos);
		goto out;
	}
	buf = calloc(1, (size_t)pos);
	if (buf == NULL) {
		rv = DW_ENOMEM;
		goto out;
	}

	// Header and directory.
	memcpy(buf, DW_SYMTAB_MAGIC, 8);
	put32(buf + 16, DW_SYMTAB_VERSION);
	put32(buf + 20, DW_SYMTAB_HEADER_SIZE);
	put64(buf + 24, pos);
	put32(buf + 32, b->cpu);
	put32(buf + 36, DW_SEC_COUNT - 1);
	for (int i = 0; i < 5; i++)
		put32(buf + 40 + 4 * i, b->ident[i]);
	for (int id = 1; id < DW_SEC_COUNT; id++) {
		uint8_t *d = buf + DW_SYMTAB_HEADER_SIZE + (size_t)(id - 1) * DW_SYMTAB_DIRENT_SIZE;
		put32(d, (uint32_t)id);
		put32(d + 4, dw_symtab__elem_size[id]);
		put64(d + 8, off[id]);
		put64(d + 16, count[id]);
	}
#define SEC(id) (buf + off[id])
	memcpy(SEC(DW_SEC_STRINGS), b->pool, b->plen);
	size_t ri = 0;
	for (size_t i = 0; i < nf; i++) {
		uint8_t *r = SEC(DW_SEC_FUNCS) + i * 32;
		put32(SEC(DW_SEC_FUNC_ADDR) + i * 4, fn[i].rva);
		put32(r, fn[i].size);
		put32(r + 4, fn[i].name);
		put32(r + 8, fn[i].param);
		put32(r + 12, fn[i].flags);
		put32(r + 16, line_first[i]);
		put32(r + 20, line_count[i]);
		put32(r + 24, inl_count[i] ? inl_first[i] : 0);
		put32(r + 28, inl_count[i]);
	}
	const bpub *pb = b->pubs.p;
	for (size_t i = 0; i < b->pubs.n; i++) {
		put32(SEC(DW_SEC_PUB_ADDR) + i * 4, pb[i].rva);
		put32(SEC(DW_SEC_PUBS) + i * 12, pb[i].name);
		put32(SEC(DW_SEC_PUBS) + i * 12 + 4, pb[i].param);
		put32(SEC(DW_SEC_PUBS) + i * 12 + 8, pb[i].flags);
	}
	for (size_t i = 0; i < nfl; i++) {
		put32(SEC(DW_SEC_FILES) + i * 8, fl[i].id);
		put32(SEC(DW_SEC_FILES) + i * 8 + 4, fl[i].name);
	}
	for (size_t i = 0; i < nl; i++) {
		put32(SEC(DW_SEC_LINE_ADDR) + i * 4, ln[i].rva);
		put32(SEC(DW_SEC_LINES) + i * 12, ln[i].size);
		put32(SEC(DW_SEC_LINES) + i * 12 + 4, ln[i].line);
		put32(SEC(DW_SEC_LINES) + i * 12 + 8, ln[i].file);
	}
	for (size_t i = 0; i < ni; i++) {
		uint8_t *r = SEC(DW_SEC_INLINES) + i * 24;
		put32(r, in[i].depth);
		put32(r + 4, in[i].call_line);
		put32(r + 8, in[i].call_file);
		put32(r + 12, in[i].name);
		put32(r + 16, (uint32_t)ri);
		put32(r + 20, in[i].range_count);
		for (uint32_t k = 0; k < in[i].range_count; k++, ri++) {
			put32(SEC(DW_SEC_INLINE_RANGES) + ri * 8, rg[in[i].range_first + k].rva);
			put32(SEC(DW_SEC_INLINE_RANGES) + ri * 8 + 4, rg[in[i].range_first + k].size);
		}
	}
	for (size_t i = 0; i < b->wins.n; i++) {
		uint8_t       *r = SEC(DW_SEC_WINS) + i * 44;
		const uint32_t v[11] = {wn[i].type,   wn[i].rva,    wn[i].code,   wn[i].prolog,
		                        wn[i].epilog, wn[i].param,  wn[i].saved,  wn[i].locals,
		                        wn[i].maxs,   wn[i].flags,  wn[i].program};
		for (int k = 0; k < 11; k++)
			put32(r + 4 * k, v[k]);
	}
	size_t sg = 0;
	for (int ty = 0; ty < DW_SYMTAB_WIN_TYPES; ty++) {
		put32(SEC(DW_SEC_WIN_SEGDIR) + ty * 8, (uint32_t)sg);
		put32(SEC(DW_SEC_WIN_SEGDIR) + ty * 8 + 4, (uint32_t)wsegs[ty].n);
		const bseg *s = wsegs[ty].p;
		for (size_t i = 0; i < wsegs[ty].n; i++, sg++) {
			put32(SEC(DW_SEC_WIN_SEGS) + sg * 8, s[i].start);
			put32(SEC(DW_SEC_WIN_SEGS) + sg * 8 + 4, s[i].rec);
		}
	}
	const brow  *rw = b->rows.p;
	const brule *ru = b->rules.p;
	size_t       orow = 0, orule = 0;
	for (size_t i = 0; i < b->cfis.n; i++) {
		uint8_t *r = SEC(DW_SEC_CFIS) + i * 16;
		put32(r, cf[i].rva);
		put32(r + 4, cf[i].size);
		put32(r + 8, (uint32_t)orow);
		put32(r + 12, cf[i].row_count);
		for (uint32_t k = 0; k < cf[i].row_count; k++, orow++) {
			const brow *w = &rw[cf[i].row_first + k];
			uint8_t    *o = SEC(DW_SEC_CFI_ROWS) + orow * 12;
			put32(o, w->rva);
			put32(o + 4, (uint32_t)orule);
			put32(o + 8, w->rule_count);
			for (uint32_t u = 0; u < w->rule_count; u++, orule++) {
				put32(SEC(DW_SEC_CFI_RULES) + orule * 8, ru[w->rule_first + u].reg);
				put32(SEC(DW_SEC_CFI_RULES) + orule * 8 + 4, ru[w->rule_first + u].expr);
			}
		}
	}
	const bseg *cs = csegs.p;
	for (size_t i = 0; i < csegs.n; i++) {
		put32(SEC(DW_SEC_CFI_SEGS) + i * 8, cs[i].start);
		put32(SEC(DW_SEC_CFI_SEGS) + i * 8 + 4, cs[i].rec);
	}
	const binfo *inf = b->infos.p;
	for (size_t i = 0; i < b->x64.n; i++) {
		// The info for this unwind rva in the sorted infos, if stored.
		size_t lo = 0, hi = b->infos.n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (inf[mid].rva < xf[i].unwind)
				lo = mid + 1;
			else
				hi = mid;
		}
		uint32_t ii = lo < b->infos.n && inf[lo].rva == xf[i].unwind ? (uint32_t)lo
		                                                             : DW_SYMTAB_NONE;
		put32(SEC(DW_SEC_X64_FUNCS) + i * 16, xf[i].begin);
		put32(SEC(DW_SEC_X64_FUNCS) + i * 16 + 4, xf[i].end);
		put32(SEC(DW_SEC_X64_FUNCS) + i * 16 + 8, xf[i].unwind);
		put32(SEC(DW_SEC_X64_FUNCS) + i * 16 + 12, ii);
	}
	const bseg *xs = xsegs.p;
	for (size_t i = 0; i < xsegs.n; i++) {
		put32(SEC(DW_SEC_X64_SEGS) + i * 8, xs[i].start);
		put32(SEC(DW_SEC_X64_SEGS) + i * 8 + 4, xs[i].rec);
	}
	for (size_t i = 0; i < b->infos.n; i++) {
		put32(SEC(DW_SEC_X64_INFOS) + i * 12, inf[i].rva);
		put32(SEC(DW_SEC_X64_INFOS) + i * 12 + 4, inf[i].off);
		put32(SEC(DW_SEC_X64_INFOS) + i * 12 + 8, inf[i].len);
	}
	if (b->blob.n)
		memcpy(SEC(DW_SEC_X64_BLOB), b->blob.p, b->blob.n);
#undef SEC
	put64(buf + 8, dw_symtab__hash(buf + 16, (size_t)pos - 16));

	st.funcs         = nf;
	st.publics       = b->pubs.n;
	st.files         = nfl;
	st.lines         = nl;
	st.inlines       = ni;
	st.inline_ranges = nrg;
	st.wins          = b->wins.n;
	st.cfis          = b->cfis.n;
	st.cfi_rows      = b->rows.n;
	st.cfi_rules     = b->rules.n;
	st.x64_funcs     = b->x64.n;
	st.x64_infos     = b->infos.n;
	st.strings_bytes = b->plen;
	// Open what we wrote with the same checks as any table: a bug of ours in
	// the writer shows here, not in a walker.
	rv  = dw_symtab__load(out, buf, NULL, buf, (size_t)pos, &b->notes);
	buf = NULL;
out:
	if (stats != NULL)
		*stats = st;
	free(buf);
	free(sp);
	free(line_first);
	free(line_count);
	free(inl_first);
	free(inl_count);
	for (int ty = 0; ty < DW_SYMTAB_WIN_TYPES; ty++)
		vfree(&wsegs[ty]);
	vfree(&csegs);
	vfree(&xsegs);
	return rv;
}

// ---- .sym feeder ---------------------------------------------------------------

static bool
fit64(uint64_t a, uint64_t s)
{
	return a <= UINT32_MAX && s <= UINT32_MAX && a + s <= ((uint64_t)1 << 32);
}

dw_err
dw_symtab_builder_add_sym(dw_symtab_builder *b, const dw_sym *s, size_t *skipped)
{
	size_t skip = 0, n, m;
	dw_err rv = DW_OK;
	if (skipped != NULL)
		*skipped = 0;

	const dw_sym_module *mod = dw_sym_get_module(s);
	dw_symtab_module     id  = {.os = mod->os, .debug_file = mod->name, .debug_id = mod->id};
	if (mod->arch != NULL)
		id.cpu = strcmp(mod->arch, "x86") == 0 ? DW_SYMTAB_CPU_X86
		         : strcmp(mod->arch, "x86_64") == 0 || strcmp(mod->arch, "amd64") == 0
		             ? DW_SYMTAB_CPU_AMD64
		             : DW_SYMTAB_CPU_UNKNOWN;
	// INFO CODE_ID <code id> [<code file>]
	char                *code = NULL;
	const dw_sym_info   *inf  = dw_sym_get_infos(s, &n);
	for (size_t i = 0; i < n && code == NULL; i++) {
		if (strcmp(inf[i].key, "CODE_ID") != 0)
			continue;
		code = strdup(inf[i].value);
		if (code == NULL)
			return DW_ENOMEM;
		char *sp = strchr(code, ' ');
		if (sp != NULL) {
			*sp          = 0;
			id.code_file = sp + 1;
		}
		id.code_id = code;
	}
	rv = dw_symtab_builder_set_module(b, &id);
	free(code);
	if (rv != DW_OK)
		return rv;

	const dw_sym_file *fl = dw_sym_get_files(s, &n);
	for (size_t i = 0; i < n; i++) {
		if (fl[i].id > UINT32_MAX) {
			skip++;
			continue;
		}
		if ((rv = dw_symtab_builder_add_file(b, (uint32_t)fl[i].id, fl[i].name)) != DW_OK)
			return rv;
	}
	dw_symtab_range    *rbuf = NULL;
	size_t              rcap = 0;
	const dw_sym_func  *fn   = dw_sym_get_funcs(s, &n);
	for (size_t i = 0; i < n; i++) {
		const dw_sym_func *f = &fn[i];
		if (!fit64(f->addr, f->size) || f->param_size > UINT32_MAX) {
			skip++;
			continue;
		}
		if ((rv = dw_symtab_builder_add_func(b, (uint32_t)f->addr, (uint32_t)f->size,
		                                     (uint32_t)f->param_size, f->name, f->multiple)) !=
		    DW_OK)
			goto out;
		for (size_t k = 0; k < f->nlines; k++) {
			const dw_sym_line *l = &f->lines[k];
			if (!fit64(l->addr, l->size) || l->file > UINT32_MAX) {
				skip++;
				continue;
			}
			if ((rv = dw_symtab_builder_add_line(b, (uint32_t)l->addr, (uint32_t)l->size,
			                                     l->line, (uint32_t)l->file)) != DW_OK)
				goto out;
		}
		for (size_t k = 0; k < f->ninlines; k++) {
			const dw_sym_inline *in = &f->inlines[k];
			const dw_sym_origin *o  = dw_sym_origin_find(s, in->origin);
			bool                 ok = o != NULL && in->call_file <= UINT32_MAX && in->nranges > 0;
			if (ok && in->nranges > rcap) {
				free(rbuf);
				rcap = in->nranges;
				rbuf = malloc(rcap * sizeof(*rbuf));
				if (rbuf == NULL) {
					rv = DW_ENOMEM;
					goto out;
				}
			}
			for (size_t r = 0; ok && r < in->nranges; r++) {
				ok      = fit64(in->ranges[r].addr, in->ranges[r].size);
				rbuf[r] = (dw_symtab_range){(uint32_t)in->ranges[r].addr,
				                            (uint32_t)in->ranges[r].size};
			}
			if (!ok) {
				skip++;
				continue;
			}
			if ((rv = dw_symtab_builder_add_inline(b, in->depth, (uint32_t)in->call_file,
			                                       in->call_line, o->name, rbuf,
			                                       in->nranges)) != DW_OK)
				goto out;
		}
	}
	const dw_sym_public *pb = dw_sym_get_publics(s, &n);
	for (size_t i = 0; i < n; i++) {
		if (pb[i].addr > UINT32_MAX || pb[i].param_size > UINT32_MAX) {
			skip++;
			continue;
		}
		if ((rv = dw_symtab_builder_add_public(b, (uint32_t)pb[i].addr,
		                                       (uint32_t)pb[i].param_size, pb[i].name,
		                                       pb[i].multiple)) != DW_OK)
			goto out;
	}
	const dw_sym_win *wn = dw_sym_get_wins(s, &n);
	for (size_t i = 0; i < n; i++) {
		if (!fit64(wn[i].rva, wn[i].code_size) || wn[i].type >= DW_SYMTAB_WIN_TYPES) {
			skip++;
			continue;
		}
		dw_symtab_win w = {
		    .type                   = wn[i].type,
		    .rva                    = (uint32_t)wn[i].rva,
		    .code_size              = (uint32_t)wn[i].code_size,
		    .prolog_size            = wn[i].prolog_size,
		    .epilog_size            = wn[i].epilog_size,
		    .param_size             = wn[i].param_size,
		    .saved_regs_size        = wn[i].saved_regs_size,
		    .locals_size            = wn[i].locals_size,
		    .max_stack_size         = wn[i].max_stack_size,
		    .has_program            = wn[i].has_program && wn[i].program != NULL,
		    .allocates_base_pointer = wn[i].allocates_base_pointer,
		    .program                = wn[i].program,
		};
		if ((rv = dw_symtab_builder_add_win(b, &w)) != DW_OK)
			goto out;
	}
	const dw_sym_cfi *cf = dw_sym_get_cfis(s, &n);
	for (size_t i = 0; i < n; i++) {
		if (!fit64(cf[i].addr, cf[i].size) || cf[i].nrules > DW_MAX_CFI_RULES) {
			skip++;
			continue;
		}
		// dw_sym_cfi_rule and dw_symtab_cfi_rule are both {reg, expr}, but
		// are converted one by one rather than punned.
		dw_symtab_cfi_rule rules[DW_MAX_CFI_RULES];
		for (m = 0; m < cf[i].nrules; m++)
			rules[m] = (dw_symtab_cfi_rule){cf[i].rules[m].reg, cf[i].rules[m].expr};
		if ((rv = dw_symtab_builder_add_cfi(b, (uint32_t)cf[i].addr, (uint32_t)cf[i].size, rules,
		                                    cf[i].nrules)) != DW_OK)
			goto out;
		for (size_t k = 0; k < cf[i].ndeltas; k++) {
			const dw_sym_cfi_delta *d = &cf[i].deltas[k];
			if (d->addr > UINT32_MAX || d->nrules > DW_MAX_CFI_RULES) {
				skip++;
				continue;
			}
			for (m = 0; m < d->nrules; m++)
				rules[m] = (dw_symtab_cfi_rule){d->rules[m].reg, d->rules[m].expr};
			rv = dw_symtab_builder_add_cfi_delta(b, (uint32_t)d->addr, rules, d->nrules);
			if (rv == DW_EINVAL) { // outside its INIT: the reader should not keep these
				skip++;
				rv = DW_OK;
			} else if (rv != DW_OK) {
				goto out;
			}
		}
	}
out:
	free(rbuf);
	if (skipped != NULL)
		*skipped = skip;
	return rv;
}
