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
	dw_pdb_omap_map_free(p->omap_map);
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

// ---- OMAP image map -----------------------------------------------------------
//
// How a range of the original (pre-reorder) layout lands in the image. The
// reference .sym files come from dump_syms with DIA's own OMAP translation
// switched off: dump_syms reads both OMAP tables and maps every FUNC, line
// and STACK WIN range itself (Breakpad common/windows/omap.cc). We reproduce
// that rule here, once, for all three:
//
//  1. Intervals come from OMAP-to-source, one per entry: image [from, next
//     from) holds original [to, to + len). Entries whose `to` lies outside
//     the original image (omap_reorder_bbs.pdb uses 0x80000000) describe
//     injected bytes: they are dropped, and the image bytes they covered are
//     counted as `injected` after the kept interval before them. A length is
//     capped at the end of the original image.
//  2. Sorted by original address, an interval that ends where the original
//     coverage has a hole gets that hole as `removed` (code the tool dropped).
//  3. A range [a, b) keeps each interval overlapping [a, b) (its removed tail
//     included), clipped to it; the injected tail survives only when b lies
//     past the interval's content. Sorted by image address, intervals join
//     when the next starts no later than the current content end plus its
//     injected tail; each joined run is reported up to its last content
//     byte (trailing injected bytes are not).
//  4. A zero-length range reports each distinct image start of the
//     intervals holding address a, with size 0.
//
// Folklore (omap_reorder_bbs.pdb): the block of original 0x53f9..0x5402 sits
// at image 0x1028 (9 bytes); the linker's padding after it, image
// 0x1031..0x103c, is given to OMAP-to-source as entries all naming 0x5402,
// the first byte after the block. A function or line whose original range
// goes on past 0x5402 therefore owns the padding too: FUNC 1028 14, where
// OMAP-from-source alone would say 1028 9. And ioinit's pieces at 0x1008 (2
// bytes) and 0x1010 (3 bytes) are one range 1008 b, because the bytes between
// map to 0x80000000 (injected).
//
// Without OMAP-to-source (a PDB carrying only OMAP-from-source), intervals
// come from OMAP-from-source instead, which gives the plain split.

typedef struct omap_ival {
	uint32_t orig, image, len, injected, removed;
} omap_ival;

struct dw_pdb_omap_map {
	omap_ival *iv;
	uint64_t  *reach; // reach[i]: max over iv[0..i] of orig + len + removed
	size_t     n;
};

static int
ival_orig_cmp(const void *a, const void *b)
{
	const omap_ival *x = a, *y = b;
	if (x->orig != y->orig)
		return x->orig < y->orig ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->image < y->image ? -1 : x->image > y->image;
}

static int
ival_image_cmp(const void *a, const void *b)
{
	const omap_ival *x = a, *y = b;
	if (x->image != y->image)
		return x->image < y->image ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

dw_err
dw_pdb_omap_map_new(dw_pdb_omap_map **out, const dw_pdb_omap *to_src, size_t nto,
                    const dw_pdb_omap *from_src, size_t nfrom, uint32_t orig_len)
{
	*out = NULL;
	// Image -> original entries; without OMAP-to-source, turn
	// OMAP-from-source around (its `to` == 0 entries map nothing).
	bool               swap = nto == 0;
	const dw_pdb_omap *e    = swap ? from_src : to_src;
	size_t             ne   = swap ? nfrom : nto;
	if (ne > DW_MAX_PDB_RECORDS)
		return DW_ELIMIT;
	dw_pdb_omap_map *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return DW_ENOMEM;
	m->iv    = malloc((ne + 1) * sizeof(*m->iv));
	m->reach = malloc((ne + 1) * sizeof(*m->reach));
	if (m->iv == NULL || m->reach == NULL) {
		dw_pdb_omap_map_free(m);
		return DW_ENOMEM;
	}
	for (size_t i = 0; i < ne; i++) {
		uint32_t image = swap ? e[i].to : e[i].from;
		uint32_t orig  = swap ? e[i].from : e[i].to;
		if (swap && image == 0)
			continue;
		if (orig >= orig_len)
			continue; // injected: counted below, after the kept interval before it
		uint64_t len = i + 1 < ne ? (uint64_t)e[i + 1].from - e[i].from : orig_len - orig;
		if (len > (uint64_t)orig_len - orig)
			len = (uint64_t)orig_len - orig;
		if (len == 0)
			continue;
		if (swap) {
			// From-source entries are sorted by original address: image
			// gaps are not known, and nothing is injected.
			m->iv[m->n++] = (omap_ival){orig, image, (uint32_t)len, 0, 0};
			continue;
		}
		if (m->n > 0) {
			omap_ival *prev = &m->iv[m->n - 1];
			uint64_t   pend = (uint64_t)prev->image + prev->len;
			if (image > pend)
				prev->injected += (uint32_t)(image - pend);
		}
		m->iv[m->n++] = (omap_ival){orig, image, (uint32_t)len, 0, 0};
	}
	if (m->n > 1)
		qsort(m->iv, m->n, sizeof(*m->iv), ival_orig_cmp);
	// Holes in the original coverage: `front` is the end of the interval
	// before; every earlier interval ending exactly there precedes the hole.
	uint64_t front = 0;
	size_t   fill  = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (front < m->iv[i].orig) {
			uint32_t hole = (uint32_t)(m->iv[i].orig - front);
			for (; fill < i; fill++)
				if ((uint64_t)m->iv[fill].orig + m->iv[fill].len == front)
					m->iv[fill].removed = hole;
		}
		front = (uint64_t)m->iv[i].orig + m->iv[i].len;
	}
	uint64_t reach = 0;
	for (size_t i = 0; i < m->n; i++) {
		uint64_t r = (uint64_t)m->iv[i].orig + m->iv[i].len + m->iv[i].removed;
		if (r > reach)
			reach = r;
		m->reach[i] = reach;
	}
	*out = m;
	return DW_OK;
}

void
dw_pdb_omap_map_free(dw_pdb_omap_map *m)
{
	if (m == NULL)
		return;
	free(m->iv);
	free(m->reach);
	free(m);
}

// Clips `v` to the original range [qa, qb); false when nothing is left.
static bool
ival_clip(omap_ival *v, uint64_t qa, uint64_t qb)
{
	uint64_t o = v->orig, len = v->len, inj = v->injected, rem = v->removed;
	if (qb <= o || o + len + rem <= qa)
		return false;
	if (o < qa) {
		uint64_t cut = qa - o;
		o += cut;
		v->image += (uint32_t)cut;
		if (cut > len) {
			// Only the removed tail overlapped.
			uint64_t trim = cut - len;
			len           = 0;
			inj -= trim < inj ? trim : inj;
			rem -= trim;
		} else {
			len -= cut;
		}
	}
	uint64_t end = o + len;
	if (qb < end) {
		len -= end - qb; // ends inside the content: no tail
		inj = rem = 0;
	} else {
		if (qb < end + rem)
			rem = qb - end;
		if (qb < end + inj)
			inj = qb - end;
	}
	v->orig     = (uint32_t)o;
	v->len      = (uint32_t)len;
	v->injected = (uint32_t)inj;
	v->removed  = (uint32_t)rem;
	return len + inj > 0;
}

size_t
dw_pdb_omap_map_range(const dw_pdb_omap_map *m, uint32_t rva, uint32_t size, bool merge,
                      dw_pdb_piece_fn fn, void *arg)
{
	if (m == NULL || m->n == 0) {
		fn(rva, size, 0, arg);
		return 1;
	}
	uint64_t qa = rva, qb = (uint64_t)rva + (size ? size : 1);
	// First interval that can reach qa, and first starting at or past qb.
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->reach[mid] <= qa)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t imin = lo;
	hi          = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->iv[mid].orig < qb)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t imax = lo;
	if (imin >= imax)
		return 0;
	omap_ival  small[32];
	omap_ival *t = imax - imin <= 32 ? small : malloc((imax - imin) * sizeof(*t));
	if (t == NULL)
		return 0;
	size_t nt = 0;
	for (size_t i = imin; i < imax; i++) {
		omap_ival v = m->iv[i];
		if (ival_clip(&v, qa, qb))
			t[nt++] = v;
	}
	size_t np = 0;
	if (nt > 1)
		qsort(t, nt, sizeof(*t), ival_image_cmp);
	if (nt == 0) {
		// removed from the image
	} else if (size == 0) {
		for (size_t i = 0; i < nt; i++) {
			if (i > 0 && t[i].image <= t[i - 1].image)
				continue;
			fn(t[i].image, 0, t[i].orig - rva, arg);
			np++;
		}
	} else if (!merge) {
		for (size_t i = 0; i < nt; i++) {
			if (t[i].len == 0)
				continue;
			fn(t[i].image, t[i].len, t[i].orig - rva, arg);
			np++;
		}
	} else {
		uint64_t begin = t[0].image, content = begin + t[0].len,
		         reach = content + t[0].injected;
		uint32_t delta = t[0].orig - rva;
		for (size_t i = 1; i < nt; i++) {
			if (reach < t[i].image) {
				if (begin < content) {
					fn((uint32_t)begin, (uint32_t)(content - begin), delta,
					   arg);
					np++;
				}
				begin = t[i].image;
				delta = t[i].orig - rva;
			} else if (t[i].orig - rva < delta) {
				delta = t[i].orig - rva;
			}
			content = (uint64_t)t[i].image + t[i].len;
			reach   = content + t[i].injected;
		}
		if (begin < content) {
			fn((uint32_t)begin, (uint32_t)(content - begin), delta, arg);
			np++;
		}
	}
	if (t != small)
		free(t);
	return np;
}

// Frame records: the prolog and the rest are mapped separately, since
// reordering may have moved them apart (a block boundary often falls right
// after the prolog). When both land as one range each, back to back, the
// record stays whole; otherwise each prolog piece is a record whose prolog
// is all of it, and each body piece one with prolog 0.
typedef struct frame_pieces {
	uint32_t rva[2], size[2];
	size_t   n;
	bool     many;
} frame_pieces;

static void
frame_collect(uint32_t rva, uint32_t size, uint32_t delta, void *arg)
{
	frame_pieces *fp = arg;
	(void)delta;
	if (fp->n < 2) {
		fp->rva[fp->n]  = rva;
		fp->size[fp->n] = size;
	}
	fp->n++;
}

typedef struct frame_emit {
	dw_pdb_frame_fn fn;
	void           *arg;
	bool            prolog;
	size_t          n;
} frame_emit;

static void
frame_forward(uint32_t rva, uint32_t size, uint32_t delta, void *arg)
{
	frame_emit *fe = arg;
	(void)delta;
	fe->fn(rva, size, fe->prolog ? size : 0, fe->arg);
	fe->n++;
}

size_t
dw_pdb_omap_map_frame(const dw_pdb_omap_map *m, uint32_t rva, uint32_t size, uint32_t prolog,
                      dw_pdb_frame_fn fn, void *arg)
{
	if (prolog > size)
		prolog = size;
	if (m == NULL || m->n == 0) {
		fn(rva, size, prolog, arg);
		return 1;
	}
	uint32_t     body = rva + prolog;
	frame_pieces pp = {0}, bp = {0};
	if (prolog > 0)
		(void)dw_pdb_omap_map_range(m, rva, prolog, true, frame_collect, &pp);
	(void)dw_pdb_omap_map_range(m, body, size - prolog, true, frame_collect, &bp);
	if (pp.n == 1 && bp.n == 1 && pp.rva[0] + pp.size[0] == bp.rva[0]) {
		fn(pp.rva[0], pp.size[0] + bp.size[0], pp.size[0], arg);
		return 1;
	}
	frame_emit fe = {fn, arg, true, 0};
	if (prolog > 0)
		(void)dw_pdb_omap_map_range(m, rva, prolog, true, frame_forward, &fe);
	fe.prolog = false;
	(void)dw_pdb_omap_map_range(m, body, size - prolog, true, frame_forward, &fe);
	return fe.n;
}

// ---- OMAP through the PDB -------------------------------------------------------

dw_err
dw_pdb__omap_build(dw_pdb *p)
{
	const dw_pdb_dbi *d = &p->dbi;
	if (d->nomap_to_src == 0 && d->nomap_from_src == 0)
		return DW_OK;
	// The original image's length, as DIA's segment table gives it: each
	// section map entry of a real section, placed through the original
	// section headers (the image's when absent).
	const dw_pdb_section *secs = d->nsections_orig ? d->sections_orig : d->sections;
	size_t                ns   = d->nsections_orig ? d->nsections_orig : d->nsections;
	uint64_t              len  = 0;
	for (size_t i = 0; i < d->nsecmap; i++) {
		const dw_pdb_secmap *s = &d->secmap[i];
		if (s->frame == 0 || s->frame > ns)
			continue;
		uint64_t end = (uint64_t)secs[s->frame - 1].rva + s->offset + s->length;
		if (end > len)
			len = end;
	}
	if (len == 0) {
		for (size_t i = 0; i < ns; i++) {
			uint64_t end = (uint64_t)secs[i].rva + secs[i].virtual_size;
			if (end > len)
				len = end;
		}
	}
	if (len == 0 || len > UINT32_MAX)
		len = UINT32_MAX;
	dw_err rv = dw_pdb_omap_map_new(&p->omap_map, d->omap_to_src, d->nomap_to_src,
	                                d->omap_from_src, d->nomap_from_src, (uint32_t)len);
	if (rv != DW_OK)
		return dw_fail(&p->notes, rv,
		               "DBI OMAP: image map not built; reordered ranges dropped");
	return DW_OK;
}

size_t
dw_pdb_map_range(dw_pdb *p, uint32_t rva, uint32_t size, bool merge, dw_pdb_piece_fn fn, void *arg)
{
	const dw_pdb_dbi *d;
	if (dw_pdb_get_dbi(&d, p) != DW_OK || (d->nomap_to_src == 0 && d->nomap_from_src == 0)) {
		fn(rva, size, 0, arg);
		return 1;
	}
	if (p->omap_map == NULL)
		return 0; // reordered, but the map could not be built (noted)
	return dw_pdb_omap_map_range(p->omap_map, rva, size, merge, fn, arg);
}

size_t
dw_pdb_map_frame(dw_pdb *p, uint32_t rva, uint32_t size, uint32_t prolog, dw_pdb_frame_fn fn,
                 void *arg)
{
	const dw_pdb_dbi *d;
	if (dw_pdb_get_dbi(&d, p) != DW_OK || (d->nomap_to_src == 0 && d->nomap_from_src == 0))
		return dw_pdb_omap_map_frame(NULL, rva, size, prolog, fn, arg);
	if (p->omap_map == NULL)
		return 0; // reordered, but the map could not be built (noted)
	return dw_pdb_omap_map_frame(p->omap_map, rva, size, prolog, fn, arg);
}
