// symbols/pdb.c - opening a PDB: the info stream, named streams, /names, and
// address conversion through section headers and OMAP.
#include "symbols/pdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "symbols/pdb_int.h"

// PDBStream70 (LLVM "The PDB Info Stream"): version, signature, age, GUID.
#define PDB_INFO_HEADER_SIZE 28
// /names header (LLVM "The String Table Stream"): signature, hash version,
// buffer size.
#define PDB_NAMES_SIGNATURE 0xEFFEEFFEu
// Longest stream name or string we accept from a table; names beyond it are
// noted and ignored. Real names are paths (< 32 KiB).
#define PDB_MAX_NAME 65536

// ---- growable arrays --------------------------------------------------------

void
dw_pdb__vec_init(dw_pdb__vec *v, size_t elem, size_t max)
{
	v->items = NULL;
	v->n = v->cap = 0;
	v->elem       = elem;
	v->max        = max;
}

void *
dw_pdb__vec_push(dw_pdb__vec *v)
{
	if (v->n == v->cap) {
		if (v->n >= v->max)
			return NULL;
		size_t ncap = v->cap ? v->cap * 2 : 64;
		if (ncap > v->max)
			ncap = v->max;
		void *ni = realloc(v->items, ncap * v->elem);
		if (ni == NULL)
			return NULL;
		v->items = ni;
		v->cap   = ncap;
	}
	void *slot = (char *)v->items + v->n * v->elem;
	memset(slot, 0, v->elem);
	v->n++;
	return slot;
}

void *
dw_pdb__vec_finish(dw_pdb__vec *v, dw_arena *a, size_t *n)
{
	void *out = NULL;
	*n        = 0;
	if (v->n != 0 && (out = dw_arena_array(a, v->n, v->elem)) != NULL) {
		memcpy(out, v->items, v->n * v->elem);
		*n = v->n;
	}
	dw_pdb__vec_fini(v);
	return out;
}

void
dw_pdb__vec_fini(dw_pdb__vec *v)
{
	free(v->items);
	v->items = NULL;
	v->n = v->cap = 0;
}

// ---- info stream -----------------------------------------------------------

// The named-stream map follows the info header (LLVM "Named Stream Map"):
// u32 string-buffer size and the buffer, then a serialized hash table: u32
// size, u32 capacity, the present and deleted bit vectors (u32 word count and
// the words), then `size` (key, value) pairs, key being an offset into the
// buffer and value a stream number. Feature codes follow; we do not need them.
static dw_err
read_named_map(dw_pdb *p, dw_cur *c)
{
	dw_err   rv;
	uint32_t buf_size = dw_cur_u32le(c);
	dw_cur   strings;
	if (dw_cur_window(&strings, c, c->off, buf_size) != DW_OK || dw_cur_skip(c, buf_size))
		return dw_fail(&p->notes, DW_ETRUNC,
		               "PDB info stream: named-stream names (%u bytes) past the end", buf_size);
	uint32_t size = dw_cur_u32le(c);
	uint32_t capacity = dw_cur_u32le(c);
	for (int v = 0; v < 2; v++) { // present, deleted
		uint32_t words = dw_cur_u32le(c);
		if ((rv = dw_cur_count(c, words, 4, DW_MAX_PDB_NAMED_STREAMS)) != DW_OK)
			return dw_fail(&p->notes, rv, "PDB info stream: named-stream bit vector of %u words",
			               words);
		dw_cur_skip(c, (uint64_t)words * 4);
	}
	if ((rv = dw_cur_count(c, size, 8, DW_MAX_PDB_NAMED_STREAMS)) != DW_OK || size > capacity)
		return dw_fail(&p->notes, rv != DW_OK ? rv : DW_ECORRUPT,
		               "PDB info stream: named-stream map of %u entries (capacity %u)", size,
		               capacity);
	p->named_names   = dw_arena_array(&p->arena, size ? size : 1, sizeof(char *));
	p->named_streams = dw_arena_array(&p->arena, size ? size : 1, sizeof(uint32_t));
	if (p->named_names == NULL || p->named_streams == NULL)
		return dw_fail(&p->notes, DW_ENOMEM, "PDB info stream: named-stream map");
	for (uint32_t i = 0; i < size; i++) {
		uint32_t key = dw_cur_u32le(c);
		uint32_t val = dw_cur_u32le(c);
		dw_cur   s;
		size_t   n;
		const char *name = NULL;
		if (dw_cur_tail(&s, &strings, key) == DW_OK)
			name = dw_cur_cstr(&s, PDB_MAX_NAME, &n);
		if (name == NULL) {
			dw_fail(&p->notes, DW_ECORRUPT,
			        "PDB info stream: named stream %u has name offset %u outside its %u-byte "
			        "buffer",
			        i, key, buf_size);
			continue;
		}
		p->named_names[p->nnamed]   = name;
		p->named_streams[p->nnamed] = val;
		p->nnamed++;
	}
	return DW_OK;
}

static dw_err
read_info(dw_pdb *p)
{
	dw_cur c;
	dw_err rv = dw_msf_stream(&c, p->msf, DW_PDB_STREAM_INFO);
	if (rv != DW_OK)
		return dw_fail(&p->notes, rv == DW_ENOTFOUND ? DW_ECORRUPT : rv,
		               "PDB: no usable info stream (stream 1): %s", dw_strerror(rv));
	p->info.version   = dw_cur_u32le(&c);
	p->info.signature = dw_cur_u32le(&c);
	p->info.age       = dw_cur_u32le(&c);
	dw_cur_copy(&c, p->info.guid, 16);
	if (c.err != DW_OK)
		return dw_fail(&p->notes, DW_ETRUNC, "PDB info stream: %zu bytes, header needs %d",
		               c.len, PDB_INFO_HEADER_SIZE);
	if (p->info.version < 20000404u) {
		// VC2 .. VC7 PDBs (before 2000) lack the GUID and use other layouts.
		return dw_fail(&p->notes, DW_EUNSUPPORTED, "PDB info stream: version %u is too old",
		               p->info.version);
	}
	// A bad named-stream map loses /names (line file names, frame programs)
	// but not the rest of the PDB.
	read_named_map(p, &c);

	p->info.dbi_age = dw_pdb__peek_dbi_age(p);
	uint32_t     age = p->info.dbi_age ? p->info.dbi_age : p->info.age;
	const uint8_t *g = p->info.guid;
	snprintf(p->info.debug_id, sizeof(p->info.debug_id),
	         "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X%X", dw_get_u32le(g),
	         dw_get_u16le(g + 4), dw_get_u16le(g + 6), g[8], g[9], g[10], g[11], g[12], g[13],
	         g[14], g[15], age);
	return DW_OK;
}

// ---- opening ----------------------------------------------------------------

dw_err
dw_pdb_open_buffer(dw_pdb **out, const uint8_t *data, size_t len, dw_notes *notes)
{
	*out = NULL;
	dw_pdb *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return notes ? dw_fail(notes, DW_ENOMEM, "PDB: out of memory") : DW_ENOMEM;
	dw_arena_init(&p->arena, 0);
	dw_notes_init(&p->notes);
	dw_err rv = dw_msf_open(&p->msf, data, len, &p->notes);
	if (rv == DW_OK)
		rv = read_info(p);
	if (rv != DW_OK) {
		if (notes != NULL)
			for (size_t i = 0; i < p->notes.count; i++)
				dw_fail(notes, p->notes.items[i].code, "%s", p->notes.items[i].text);
		dw_pdb_free(p);
		return rv;
	}
	*out = p;
	return DW_OK;
}

dw_err
dw_pdb_open_file(dw_pdb **out, const char *path, dw_notes *notes)
{
	*out = NULL;
	dw_mapfile  m;
	const char *why = NULL;
	dw_err      rv  = dw_mapfile_open(&m, path, &why);
	if (rv != DW_OK)
		return notes ? dw_fail(notes, rv, "%s: %s", path, why ? why : dw_strerror(rv)) : rv;
	rv = dw_pdb_open_buffer(out, m.data, m.len, notes);
	if (rv != DW_OK) {
		dw_mapfile_close(&m);
		return rv;
	}
	(*out)->map = m;
	return DW_OK;
}

void
dw_pdb_free(dw_pdb *p)
{
	if (p == NULL)
		return;
	dw_msf_free(p->msf);
	dw_arena_fini(&p->arena);
	dw_notes_fini(&p->notes);
	dw_mapfile_close(&p->map);
	free(p);
}

const dw_notes *
dw_pdb_notes(const dw_pdb *p)
{
	return &p->notes;
}

dw_msf *
dw_pdb_get_msf(dw_pdb *p)
{
	return p->msf;
}

const dw_pdb_info *
dw_pdb_get_info(const dw_pdb *p)
{
	return &p->info;
}

dw_err
dw_pdb_find_stream(uint32_t *out, const dw_pdb *p, const char *name)
{
	*out = 0;
	for (size_t i = 0; i < p->nnamed; i++) {
		if (strcmp(p->named_names[i], name) == 0) {
			*out = p->named_streams[i];
			return DW_OK;
		}
	}
	return DW_ENOTFOUND;
}

void
dw_pdb_named_streams(const char *const **names, const uint32_t **streams, size_t *count,
                     const dw_pdb *p)
{
	*names   = p->named_names;
	*streams = p->named_streams;
	*count   = p->nnamed;
}

// ---- /names -----------------------------------------------------------------

static dw_err
load_names(dw_pdb *p)
{
	uint32_t idx;
	dw_cur   c;
	dw_err   rv;
	if (dw_pdb_find_stream(&idx, p, "/names") != DW_OK)
		return DW_ENOTFOUND;
	if ((rv = dw_msf_stream(&c, p->msf, idx)) != DW_OK)
		return dw_fail(&p->notes, rv, "/names (stream %u): %s", idx, dw_strerror(rv));
	uint32_t sig  = dw_cur_u32le(&c);
	uint32_t ver  = dw_cur_u32le(&c);
	uint32_t size = dw_cur_u32le(&c);
	if (c.err != DW_OK || sig != PDB_NAMES_SIGNATURE)
		return dw_fail(&p->notes, DW_ECORRUPT, "/names (stream %u): bad header (signature %#x)",
		               idx, sig);
	(void)ver;
	if (dw_cur_window(&p->names, &c, c.off, size) != DW_OK)
		return dw_fail(&p->notes, DW_ETRUNC,
		               "/names (stream %u): %u-byte buffer past the stream's %zu bytes", idx,
		               size, c.len);
	return DW_OK;
}

dw_err
dw_pdb_string(const char **out, dw_pdb *p, uint32_t offset)
{
	*out = NULL;
	if (!p->names_once.done) {
		p->names_once.done = true;
		p->names_once.err  = load_names(p);
	}
	if (p->names_once.err != DW_OK)
		return DW_ENOTFOUND;
	dw_cur s;
	size_t n;
	if (dw_cur_tail(&s, &p->names, offset) != DW_OK)
		return DW_ENOTFOUND;
	*out = dw_cur_cstr(&s, PDB_MAX_NAME, &n);
	return *out ? DW_OK : DW_ENOTFOUND;
}

// ---- addresses ----------------------------------------------------------------

dw_err
dw_pdb__seg_rva(uint32_t *out, dw_pdb *p, uint16_t segment, uint32_t offset)
{
	*out = 0;
	const dw_pdb_dbi *d;
	if (dw_pdb_get_dbi(&d, p) != DW_OK)
		return DW_ENOTFOUND;
	// Symbols of a reordered image refer to the original layout.
	const dw_pdb_section *secs = d->nsections_orig ? d->sections_orig : d->sections;
	size_t                n    = d->nsections_orig ? d->nsections_orig : d->nsections;
	if (segment == 0 || segment > n)
		return DW_ENOTFOUND;
	*out = secs[segment - 1].rva + offset;
	return DW_OK;
}

// Index of the last OMAP entry with from <= rva, or SIZE_MAX.
static size_t
omap_find(const dw_pdb_omap *m, size_t n, uint32_t rva)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m[mid].from <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? SIZE_MAX : lo - 1;
}

dw_err
dw_pdb_map_rva(uint32_t *out, dw_pdb *p, uint32_t rva)
{
	*out = rva;
	const dw_pdb_dbi *d;
	if (dw_pdb_get_dbi(&d, p) != DW_OK || d->nomap_from_src == 0)
		return DW_OK;
	size_t i = omap_find(d->omap_from_src, d->nomap_from_src, rva);
	if (i == SIZE_MAX || d->omap_from_src[i].to == 0) {
		*out = 0;
		return DW_ENOTFOUND;
	}
	*out = d->omap_from_src[i].to + (rva - d->omap_from_src[i].from);
	return DW_OK;
}

dw_err
dw_pdb_rva(uint32_t *out, dw_pdb *p, uint16_t segment, uint32_t offset)
{
	uint32_t orig;
	dw_err   rv = dw_pdb__seg_rva(&orig, p, segment, offset);
	if (rv != DW_OK) {
		*out = 0;
		return rv;
	}
	return dw_pdb_map_rva(out, p, orig);
}

typedef struct omap_piece {
	uint32_t rva, size, delta;
} omap_piece;

static int
piece_cmp(const void *a, const void *b)
{
	const omap_piece *x = a, *y = b;
	return x->rva < y->rva ? -1 : x->rva > y->rva;
}

// True when no address of the image range [a, b) comes from the original
// code: OMAP-to-source sends each part to 0 or to a source address that does
// not map back to it (reordering tools fill alignment gaps so).
static bool
image_gap_is_padding(dw_pdb *p, const dw_pdb_dbi *d, uint32_t a, uint32_t b)
{
	const dw_pdb_omap *t = d->omap_to_src;
	size_t             n = d->nomap_to_src;
	if (n == 0)
		return false;
	size_t i = omap_find(t, n, a);
	if (i == SIZE_MAX)
		return false;
	for (; i < n && t[i].from < b; i++) {
		uint32_t back;
		if (t[i].to != 0 && dw_pdb_map_rva(&back, p, t[i].to) == DW_OK && back == t[i].from)
			return false;
	}
	return true;
}

size_t
dw_pdb_map_range(dw_pdb *p, uint32_t rva, uint32_t size, bool merge,
                 void (*fn)(uint32_t rva, uint32_t size, uint32_t delta, void *arg), void *arg)
{
	const dw_pdb_dbi *d;
	if (dw_pdb_get_dbi(&d, p) != DW_OK || d->nomap_from_src == 0) {
		fn(rva, size, 0, arg);
		return 1;
	}
	const dw_pdb_omap *m = d->omap_from_src;
	size_t             n = d->nomap_from_src;
	size_t             i = omap_find(m, n, rva);
	uint64_t           a = rva, end = (uint64_t)rva + size;
	dw_pdb__vec        v;
	dw_pdb__vec_init(&v, sizeof(omap_piece), DW_MAX_PDB_RECORDS);
	while (a < end) {
		uint64_t next = i == SIZE_MAX ? m[0].from : i + 1 < n ? m[i + 1].from : end;
		if (next > end || next <= a)
			next = end;
		if (i != SIZE_MAX && m[i].to != 0) {
			omap_piece *pc = dw_pdb__vec_push(&v);
			if (pc == NULL)
				break;
			pc->rva   = m[i].to + (uint32_t)(a - m[i].from);
			pc->size  = (uint32_t)(next - a);
			pc->delta = (uint32_t)(a - rva);
		}
		a = next;
		i = i == SIZE_MAX ? 0 : i + 1;
	}
	omap_piece *pcs = v.items;
	size_t      np  = v.n, out = 0;
	if (merge && np > 1) {
		// Folklore: in omap_reorder_bbs.pdb, ioinit's code from the original
		// 0x2040 lands at image 0x1008 (2 bytes) and from 0x1f84 at 0x1010 (3
		// bytes), with alignment padding between; DIA, and so dump_syms,
		// report one range 0x1008+0xb. Pieces in image order are joined when
		// adjacent or separated by padding only.
		qsort(pcs, np, sizeof(*pcs), piece_cmp);
		for (size_t k = 1; k < np; k++) {
			omap_piece *last = &pcs[out];
			uint32_t    lend = last->rva + last->size;
			if (pcs[k].rva >= lend &&
			    (pcs[k].rva == lend || image_gap_is_padding(p, d, lend, pcs[k].rva))) {
				last->size = pcs[k].rva + pcs[k].size - last->rva;
				if (pcs[k].delta < last->delta)
					last->delta = pcs[k].delta;
			} else {
				pcs[++out] = pcs[k];
			}
		}
		np = out + 1;
	}
	for (size_t k = 0; k < np; k++)
		fn(pcs[k].rva, pcs[k].size, pcs[k].delta, arg);
	dw_pdb__vec_fini(&v);
	return np;
}
