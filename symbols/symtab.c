// symbols/symtab.c - opening (validating) compiled symbol tables and looking
// addresses up in them. The format is in symtab_int.h; building is in
// symtab_build.c, the .sym writer in symtab_write.c.
#include <stdlib.h>
#include <string.h>

#include "common/cur.h"
#include "symbols/symtab_int.h"

const uint32_t dw_symtab__elem_size[DW_SEC_COUNT] = {
	[DW_SEC_STRINGS] = 1,       [DW_SEC_FUNC_ADDR] = 4,      [DW_SEC_FUNCS] = 32,
	[DW_SEC_PUB_ADDR] = 4,      [DW_SEC_PUBS] = 12,          [DW_SEC_FILES] = 8,
	[DW_SEC_LINE_ADDR] = 4,     [DW_SEC_LINES] = 12,         [DW_SEC_INLINES] = 24,
	[DW_SEC_INLINE_RANGES] = 8, [DW_SEC_WINS] = 44,          [DW_SEC_WIN_SEGDIR] = 8,
	[DW_SEC_WIN_SEGS] = 8,      [DW_SEC_CFIS] = 16,          [DW_SEC_CFI_ROWS] = 12,
	[DW_SEC_CFI_RULES] = 8,     [DW_SEC_CFI_SEGS] = 8,       [DW_SEC_X64_FUNCS] = 16,
	[DW_SEC_X64_SEGS] = 8,      [DW_SEC_X64_INFOS] = 12,     [DW_SEC_X64_BLOB] = 1,
};

static const char *const sec_names[DW_SEC_COUNT] = {
	[DW_SEC_STRINGS] = "strings",     [DW_SEC_FUNC_ADDR] = "function addresses",
	[DW_SEC_FUNCS] = "functions",     [DW_SEC_PUB_ADDR] = "public addresses",
	[DW_SEC_PUBS] = "publics",        [DW_SEC_FILES] = "files",
	[DW_SEC_LINE_ADDR] = "line addresses", [DW_SEC_LINES] = "lines",
	[DW_SEC_INLINES] = "inlines",     [DW_SEC_INLINE_RANGES] = "inline ranges",
	[DW_SEC_WINS] = "STACK WIN",      [DW_SEC_WIN_SEGDIR] = "STACK WIN index directory",
	[DW_SEC_WIN_SEGS] = "STACK WIN index", [DW_SEC_CFIS] = "STACK CFI",
	[DW_SEC_CFI_ROWS] = "STACK CFI rows", [DW_SEC_CFI_RULES] = "STACK CFI rules",
	[DW_SEC_CFI_SEGS] = "STACK CFI index", [DW_SEC_X64_FUNCS] = "x64 functions",
	[DW_SEC_X64_SEGS] = "x64 index",  [DW_SEC_X64_INFOS] = "x64 unwind infos",
	[DW_SEC_X64_BLOB] = "x64 unwind bytes",
};

// ---- checksum ---------------------------------------------------------------
//
// Why this hash: opening a table checks every byte, so the checksum must run
// near memory speed (a byte-at-a-time FNV-1a manages ~1 GB/s; this runs four
// independent 64-bit lanes over 8-byte words, several GB/s). The lane round
// is xxHash64's shape, written here from its published constants: for a fixed
// lane state, round(acc, w) = rotl(acc + w*P2, 31) * P1 is a bijection of w
// (P2 and P1 are odd) and, for a fixed w, a bijection of acc. A change
// confined to one 8-byte word therefore changes exactly one lane's final
// state; the lanes are combined by addition (a bijection in each lane) and the
// final avalanche (xorshifts and odd multiplies) is a bijection, so every
// single-byte flip, indeed any change within one aligned word, is always
// detected, not merely with high probability. It is not a MAC: a table from
// an untrusted peer is made safe by the structural checks in dw_symtab__load,
// not by this.
#define H_P1 0x9E3779B185EBCA87ull
#define H_P2 0xC2B2AE3D27D4EB4Full
#define H_P3 0x165667B19E3779F9ull
#define H_P4 0x85EBCA77C2B2AE63ull
#define H_P5 0x27D4EB2F165667C5ull

static inline uint64_t
rotl64(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t
hround(uint64_t acc, uint64_t w)
{
	return rotl64(acc + w * H_P2, 31) * H_P1;
}

uint64_t
dw_symtab__hash(const uint8_t *p, size_t len)
{
	uint64_t a[4] = {H_P1 + H_P2, H_P2, 0, (uint64_t)0 - H_P1};
	size_t   i = 0, w = 0;
	for (; i + 32 <= len; i += 32) {
		a[0] = hround(a[0], dw_get_u64le(p + i));
		a[1] = hround(a[1], dw_get_u64le(p + i + 8));
		a[2] = hround(a[2], dw_get_u64le(p + i + 16));
		a[3] = hround(a[3], dw_get_u64le(p + i + 24));
	}
	for (; i + 8 <= len; i += 8, w++)
		a[w] = hround(a[w], dw_get_u64le(p + i));
	if (i < len) {
		uint8_t tail[8] = {0};
		memcpy(tail, p + i, len - i);
		a[w] = hround(a[w], dw_get_u64le(tail));
	}
	uint64_t h = rotl64(a[0], 1) + rotl64(a[1], 7) + rotl64(a[2], 12) + rotl64(a[3], 18);
	h += (uint64_t)len * H_P5 + H_P4;
	h ^= h >> 33;
	h *= H_P2;
	h ^= h >> 29;
	h *= H_P3;
	h ^= h >> 32;
	return h;
}

// ---- opening ----------------------------------------------------------------

static inline uint32_t
rd32(const uint8_t *p, size_t i, size_t field)
{
	return dw_get_u32le(p + i + field * 4);
}

static void
table_destroy(dw_symtab *t)
{
	free(t->owned);
	dw_mapfile_close(&t->map);
	free(t);
}

// Checks that str offset `off` lies in the pool (which ends in NUL).
#define STR_OK(t, off) ((off) < (t)->sec[DW_SEC_STRINGS].n)

// check_segs validates a segment index over `nrec` records.
static dw_err
check_segs(const dw_symtab *t, const uint8_t *p, uint32_t n, uint32_t nrec, const char *what,
           dw_notes *notes)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t start = rd32(p, (size_t)i * 8, 0), rec = rd32(p, (size_t)i * 8, 1);
		if (i > 0 && start <= rd32(p, (size_t)(i - 1) * 8, 0))
			return dw_fail(notes, DW_ECORRUPT, "symbol table: %s segment %u out of order",
			               what, i);
		if (rec != DW_SYMTAB_NONE && rec >= nrec)
			return dw_fail(notes, DW_ECORRUPT,
			               "symbol table: %s segment %u names record %u of %u", what, i,
			               rec, nrec);
	}
	(void)t;
	return DW_OK;
}

// check_records validates every record's offsets, indices and order, so that
// lookups may read the sections with the raw getters.
static dw_err
check_records(dw_symtab *t, dw_notes *notes)
{
	const dw_symtab_sec_view *s = t->sec;
	const uint8_t *str = s[DW_SEC_STRINGS].p;
	uint32_t       nstr = s[DW_SEC_STRINGS].n;
	if (nstr == 0 || str[0] != 0 || str[nstr - 1] != 0)
		return dw_fail(notes, DW_ECORRUPT,
		               "symbol table: string pool does not begin and end with NUL");
	for (int i = 0; i < 5; i++)
		if (!STR_OK(t, t->ident[i]))
			return dw_fail(notes, DW_ECORRUPT, "symbol table: identity string %d out of pool",
			               i);

	// Files: ids strictly increasing.
	uint32_t nfiles = s[DW_SEC_FILES].n;
	for (uint32_t i = 0; i < nfiles; i++) {
		if (!STR_OK(t, rd32(s[DW_SEC_FILES].p, (size_t)i * 8, 1)) ||
		    (i > 0 && rd32(s[DW_SEC_FILES].p, (size_t)i * 8, 0) <=
		                  rd32(s[DW_SEC_FILES].p, (size_t)(i - 1) * 8, 0)))
			return dw_fail(notes, DW_ECORRUPT, "symbol table: file %u bad", i);
	}

	// Lines.
	uint32_t nlines = s[DW_SEC_LINES].n;
	if (s[DW_SEC_LINE_ADDR].n != nlines)
		return dw_fail(notes, DW_ECORRUPT, "symbol table: %u line addresses for %u lines",
		               s[DW_SEC_LINE_ADDR].n, nlines);
	for (uint32_t i = 0; i < nlines; i++) {
		uint32_t f = rd32(s[DW_SEC_LINES].p, (size_t)i * 12, 2);
		if (f != DW_SYMTAB_NONE && f >= nfiles)
			return dw_fail(notes, DW_ECORRUPT, "symbol table: line %u names file %u of %u",
			               i, f, nfiles);
	}

	// Inlines and their ranges.
	uint32_t ninl = s[DW_SEC_INLINES].n, nrng = s[DW_SEC_INLINE_RANGES].n;
	for (uint32_t i = 0; i < ninl; i++) {
		const uint8_t *r = s[DW_SEC_INLINES].p + (size_t)i * 24;
		uint32_t cf = rd32(r, 0, 2), first = rd32(r, 0, 4), cnt = rd32(r, 0, 5);
		if ((cf != DW_SYMTAB_NONE && cf >= nfiles) || !STR_OK(t, rd32(r, 0, 3)) || cnt == 0 ||
		    first > nrng || cnt > nrng - first)
			return dw_fail(notes, DW_ECORRUPT, "symbol table: inline %u bad", i);
	}
	for (uint32_t i = 0; i < nrng; i++) {
		const uint8_t *r = s[DW_SEC_INLINE_RANGES].p + (size_t)i * 8;
		if ((uint64_t)rd32(r, 0, 0) + rd32(r, 0, 1) > ((uint64_t)1 << 32))
			return dw_fail(notes, DW_ECORRUPT, "symbol table: inline range %u past 4 GiB", i);
	}

	// Functions: strictly increasing, non-overlapping, children in bounds.
	uint32_t nfunc = s[DW_SEC_FUNCS].n;
	if (s[DW_SEC_FUNC_ADDR].n != nfunc)
		return dw_fail(notes, DW_ECORRUPT, "symbol table: %u function addresses for %u functions",
		               s[DW_SEC_FUNC_ADDR].n, nfunc);
	uint64_t prev_end = 0;
	for (uint32_t i = 0; i < nfunc; i++) {
		const uint8_t *r   = s[DW_SEC_FUNCS].p + (size_t)i * 32;
		uint64_t       rva = rd32(s[DW_SEC_FUNC_ADDR].p, (size_t)i * 4, 0);
		uint64_t       end = rva + rd32(r, 0, 0);
		uint32_t       lf = rd32(r, 0, 4), lc = rd32(r, 0, 5);
		uint32_t       inf = rd32(r, 0, 6), inc = rd32(r, 0, 7);
		if ((i > 0 && rva < prev_end) || (i > 0 && rva <= rd32(s[DW_SEC_FUNC_ADDR].p, (size_t)(i - 1) * 4, 0)) ||
		    end > ((uint64_t)1 << 32))
			return dw_fail(notes, DW_ECORRUPT,
			               "symbol table: function %u at %#x out of order or overlapping", i,
			               (unsigned)rva);
		if (!STR_OK(t, rd32(r, 0, 1)) || lf > nlines || lc > nlines - lf || inf > ninl ||
		    inc > ninl - inf)
			return dw_fail(notes, DW_ECORRUPT, "symbol table: function %u at %#x bad", i,
			               (unsigned)rva);
		for (uint32_t k = lf; k < lf + lc; k++) {
			uint32_t la = rd32(s[DW_SEC_LINE_ADDR].p, (size_t)k * 4, 0);
			if (la < rva || la >= end ||
			    (k > lf && la < rd32(s[DW_SEC_LINE_ADDR].p, (size_t)(k - 1) * 4, 0)))
				return dw_fail(notes, DW_ECORRUPT,
				               "symbol table: line %u of function %u at %#x misplaced", k,
				               i, (unsigned)rva);
		}
		prev_end = end;
	}

	// Publics.
	uint32_t npub = s[DW_SEC_PUBS].n;
	if (s[DW_SEC_PUB_ADDR].n != npub)
		return dw_fail(notes, DW_ECORRUPT, "symbol table: %u public addresses for %u publics",
		               s[DW_SEC_PUB_ADDR].n, npub);
	for (uint32_t i = 0; i < npub; i++) {
		if (!STR_OK(t, rd32(s[DW_SEC_PUBS].p, (size_t)i * 12, 0)) ||
		    (i > 0 && rd32(s[DW_SEC_PUB_ADDR].p, (size_t)i * 4, 0) <
		                  rd32(s[DW_SEC_PUB_ADDR].p, (size_t)(i - 1) * 4, 0)))
			return dw_fail(notes, DW_ECORRUPT, "symbol table: public %u bad", i);
	}

	// STACK WIN and its per-type index.
	uint32_t nwin = s[DW_SEC_WINS].n;
	for (uint32_t i = 0; i < nwin; i++) {
		const uint8_t *r = s[DW_SEC_WINS].p + (size_t)i * 44;
		if (rd32(r, 0, 0) >= DW_SYMTAB_WIN_TYPES || !STR_OK(t, rd32(r, 0, 10)) ||
		    (uint64_t)rd32(r, 0, 1) + rd32(r, 0, 2) > ((uint64_t)1 << 32))
			return dw_fail(notes, DW_ECORRUPT, "symbol table: STACK WIN record %u bad", i);
	}
	if (s[DW_SEC_WIN_SEGDIR].n != DW_SYMTAB_WIN_TYPES)
		return dw_fail(notes, DW_ECORRUPT, "symbol table: STACK WIN index has %u types",
		               s[DW_SEC_WIN_SEGDIR].n);
	uint32_t nwseg = s[DW_SEC_WIN_SEGS].n;
	dw_err   rv;
	for (uint32_t ty = 0; ty < DW_SYMTAB_WIN_TYPES; ty++) {
		uint32_t first = rd32(s[DW_SEC_WIN_SEGDIR].p, (size_t)ty * 8, 0);
		uint32_t cnt   = rd32(s[DW_SEC_WIN_SEGDIR].p, (size_t)ty * 8, 1);
		if (first > nwseg || cnt > nwseg - first)
			return dw_fail(notes, DW_ECORRUPT, "symbol table: STACK WIN index type %u bad",
			               ty);
		if ((rv = check_segs(t, s[DW_SEC_WIN_SEGS].p + (size_t)first * 8, cnt, nwin,
		                     "STACK WIN", notes)) != DW_OK)
			return rv;
		t->win_first[ty] = first;
		t->win_count[ty] = cnt;
	}

	// STACK CFI.
	uint32_t ncfi = s[DW_SEC_CFIS].n, nrows = s[DW_SEC_CFI_ROWS].n, nrules = s[DW_SEC_CFI_RULES].n;
	for (uint32_t i = 0; i < ncfi; i++) {
		const uint8_t *r   = s[DW_SEC_CFIS].p + (size_t)i * 16;
		uint64_t       rva = rd32(r, 0, 0), end = rva + rd32(r, 0, 1);
		uint32_t       rf = rd32(r, 0, 2), rc = rd32(r, 0, 3);
		if (end > ((uint64_t)1 << 32) || rc == 0 || rf > nrows || rc > nrows - rf)
			return dw_fail(notes, DW_ECORRUPT, "symbol table: STACK CFI record %u bad", i);
		for (uint32_t k = rf; k < rf + rc; k++) {
			const uint8_t *row = s[DW_SEC_CFI_ROWS].p + (size_t)k * 12;
			uint32_t       ra = rd32(row, 0, 0), uf = rd32(row, 0, 1), uc = rd32(row, 0, 2);
			bool bad = k == rf ? ra != rva : (ra >= end || ra < rd32(row - 12, 0, 0));
			bad      = bad || uc > DW_MAX_CFI_RULES || uf > nrules || uc > nrules - uf;
			if (bad)
				return dw_fail(notes, DW_ECORRUPT,
				               "symbol table: STACK CFI record %u row %u bad", i, k - rf);
		}
	}
	for (uint32_t i = 0; i < nrules; i++)
		if (!STR_OK(t, rd32(s[DW_SEC_CFI_RULES].p, (size_t)i * 8, 0)) ||
		    !STR_OK(t, rd32(s[DW_SEC_CFI_RULES].p, (size_t)i * 8, 1)))
			return dw_fail(notes, DW_ECORRUPT, "symbol table: STACK CFI rule %u bad", i);
	if ((rv = check_segs(t, s[DW_SEC_CFI_SEGS].p, s[DW_SEC_CFI_SEGS].n, ncfi, "STACK CFI",
	                     notes)) != DW_OK)
		return rv;

	// x64.
	uint32_t nx = s[DW_SEC_X64_FUNCS].n, ninfo = s[DW_SEC_X64_INFOS].n;
	for (uint32_t i = 0; i < nx; i++) {
		const uint8_t *r  = s[DW_SEC_X64_FUNCS].p + (size_t)i * 16;
		uint32_t       ii = rd32(r, 0, 3);
		if (rd32(r, 0, 1) < rd32(r, 0, 0) || (i > 0 && rd32(r, 0, 0) < rd32(r - 16, 0, 0)) ||
		    (ii != DW_SYMTAB_NONE &&
		     (ii >= ninfo || rd32(s[DW_SEC_X64_INFOS].p, (size_t)ii * 12, 0) != rd32(r, 0, 2))))
			return dw_fail(notes, DW_ECORRUPT, "symbol table: x64 function %u bad", i);
	}
	if ((rv = check_segs(t, s[DW_SEC_X64_SEGS].p, s[DW_SEC_X64_SEGS].n, nx, "x64", notes)) !=
	    DW_OK)
		return rv;
	uint32_t nblob = s[DW_SEC_X64_BLOB].n;
	for (uint32_t i = 0; i < ninfo; i++) {
		const uint8_t *r = s[DW_SEC_X64_INFOS].p + (size_t)i * 12;
		uint32_t       off = rd32(r, 0, 1), len = rd32(r, 0, 2);
		if (off > nblob || len > nblob - off || (i > 0 && rd32(r, 0, 0) <= rd32(r - 12, 0, 0)))
			return dw_fail(notes, DW_ECORRUPT, "symbol table: x64 unwind info %u bad", i);
	}
	return DW_OK;
}

dw_err
dw_symtab__load(dw_symtab **out, uint8_t *owned, dw_mapfile *map, const uint8_t *base, size_t len,
                dw_notes *notes)
{
	*out           = NULL;
	dw_symtab *t   = calloc(1, sizeof(*t));
	dw_err     rv  = DW_OK;
	if (t == NULL) {
		free(owned);
		if (map != NULL)
			dw_mapfile_close(map);
		return dw_fail(notes, DW_ENOMEM, "symbol table: out of memory");
	}
	dw_ref_init(&t->ref);
	t->owned = owned;
	if (map != NULL)
		t->map = *map;
	t->base = base;
	t->len  = len;

	dw_cur c;
	dw_cur_init(&c, base, len);
	if (len > DW_MAX_SYMTAB_BYTES) {
		rv = dw_fail(notes, DW_ELIMIT, "symbol table: %zu bytes, more than the cap", len);
		goto out;
	}
	if (len < DW_SYMTAB_HEADER_SIZE) {
		rv = dw_fail(notes, DW_ETRUNC, "symbol table: %zu bytes, shorter than its header", len);
		goto out;
	}
	const uint8_t *magic = dw_cur_bytes(&c, 8);
	if (magic == NULL || memcmp(magic, DW_SYMTAB_MAGIC, 8) != 0) {
		rv = dw_fail(notes, DW_ECORRUPT, "symbol table: bad magic (not a dumpwalk table)");
		goto out;
	}
	uint64_t sum       = dw_cur_u64le(&c);
	uint32_t version   = dw_cur_u32le(&c);
	uint32_t hdr_size  = dw_cur_u32le(&c);
	uint64_t file_size = dw_cur_u64le(&c);
	t->cpu             = dw_cur_u32le(&c);
	uint32_t nsec      = dw_cur_u32le(&c);
	for (int i = 0; i < 5; i++)
		t->ident[i] = dw_cur_u32le(&c);
	(void)dw_cur_u32le(&c);
	if (c.err != DW_OK) {
		rv = dw_fail(notes, c.err, "symbol table: header unreadable");
		goto out;
	}
	if (version != DW_SYMTAB_VERSION) {
		rv = dw_fail(notes, DW_EUNSUPPORTED, "symbol table: version %u, expected %u", version,
		             DW_SYMTAB_VERSION);
		goto out;
	}
	if (file_size != len) {
		rv = dw_fail(notes, file_size > len ? DW_ETRUNC : DW_ECORRUPT,
		             "symbol table: header says %llu bytes, have %zu",
		             (unsigned long long)file_size, len);
		goto out;
	}
	if (hdr_size != DW_SYMTAB_HEADER_SIZE || (len & 7) != 0) {
		rv = dw_fail(notes, DW_ECORRUPT, "symbol table: header size %u / length %zu invalid",
		             hdr_size, len);
		goto out;
	}
	uint64_t want = dw_symtab__hash(base + 16, len - 16);
	if (want != sum) {
		rv = dw_fail(notes, DW_ECORRUPT,
		             "symbol table: checksum %016llx, content hashes to %016llx (corrupt)",
		             (unsigned long long)sum, (unsigned long long)want);
		goto out;
	}
	if ((rv = dw_cur_count(&c, nsec, DW_SYMTAB_DIRENT_SIZE, DW_MAX_SYMTAB_SECTIONS)) != DW_OK) {
		rv = dw_fail(notes, rv == DW_ELIMIT ? DW_ECORRUPT : rv,
		             "symbol table: directory of %u sections does not fit", nsec);
		goto out;
	}
	bool seen[DW_SEC_COUNT] = {false};
	for (uint32_t i = 0; i < nsec; i++) {
		uint32_t id = dw_cur_u32le(&c), esz = dw_cur_u32le(&c);
		uint64_t off = dw_cur_u64le(&c), cnt = dw_cur_u64le(&c);
		if (c.err != DW_OK || id == 0 || id >= DW_SEC_COUNT || seen[id]) {
			rv = dw_fail(notes, DW_ECORRUPT, "symbol table: directory entry %u: id %u bad",
			             i, id);
			goto out;
		}
		if (esz != dw_symtab__elem_size[id] || cnt > UINT32_MAX || (off & 7) != 0) {
			rv = dw_fail(notes, DW_ECORRUPT,
			             "symbol table: %s: element size %u, count %llu, offset %llu invalid",
			             sec_names[id], esz, (unsigned long long)cnt, (unsigned long long)off);
			goto out;
		}
		dw_cur w;
		if (off < DW_SYMTAB_HEADER_SIZE ||
		    dw_cur_window(&w, &c, off, cnt * (uint64_t)esz) != DW_OK) {
			rv = dw_fail(notes, DW_ECORRUPT,
			             "symbol table: %s (%llu x %u bytes at %llu) outside the table",
			             sec_names[id], (unsigned long long)cnt, esz,
			             (unsigned long long)off);
			goto out;
		}
		seen[id]       = true;
		t->sec[id].p   = w.base;
		t->sec[id].n   = (uint32_t)cnt;
	}
	for (int id = 1; id < DW_SEC_COUNT; id++) {
		if (!seen[id]) {
			rv = dw_fail(notes, DW_ECORRUPT, "symbol table: section %s missing",
			             sec_names[id]);
			goto out;
		}
	}
	rv = check_records(t, notes);
out:
	if (rv != DW_OK) {
		table_destroy(t);
		return rv;
	}
	*out = t;
	return DW_OK;
}

dw_err
dw_symtab_open_buffer(dw_symtab **out, const void *data, size_t len, dw_notes *notes)
{
	*out = NULL;
	if (len > DW_MAX_SYMTAB_BYTES)
		return dw_fail(notes, DW_ELIMIT, "symbol table: %zu bytes, more than the cap", len);
	uint8_t *copy = malloc(len ? len : 1);
	if (copy == NULL)
		return dw_fail(notes, DW_ENOMEM, "symbol table: out of memory copying %zu bytes", len);
	if (len)
		memcpy(copy, data, len);
	return dw_symtab__load(out, copy, NULL, copy, len, notes);
}

dw_err
dw_symtab_open_file(dw_symtab **out, const char *path, dw_notes *notes)
{
	*out = NULL;
	dw_mapfile  m;
	const char *why = NULL;
	dw_err      rv  = dw_mapfile_open(&m, path, &why);
	if (rv != DW_OK)
		return dw_fail(notes, rv, "symbol table %s: %s", path, why ? why : dw_strerror(rv));
	return dw_symtab__load(out, NULL, &m, m.data, m.len, notes);
}

dw_symtab *
dw_symtab_hold(dw_symtab *t)
{
	dw_ref_hold(&t->ref);
	return t;
}

void
dw_symtab_release(dw_symtab *t)
{
	if (t != NULL && dw_ref_release(&t->ref))
		table_destroy(t);
}

const uint8_t *
dw_symtab_bytes(const dw_symtab *t, size_t *len)
{
	*len = t->len;
	return t->base;
}

void
dw_symtab_get_module(const dw_symtab *t, dw_symtab_module *out)
{
	out->os         = dw_symtab__str(t, t->ident[0]);
	out->debug_file = dw_symtab__str(t, t->ident[1]);
	out->debug_id   = dw_symtab__str(t, t->ident[2]);
	out->code_file  = dw_symtab__str(t, t->ident[3]);
	out->code_id    = dw_symtab__str(t, t->ident[4]);
	out->cpu = t->cpu <= DW_SYMTAB_CPU_AMD64 ? (dw_symtab_cpu)t->cpu : DW_SYMTAB_CPU_UNKNOWN;
}

void
dw_symtab_get_stats(const dw_symtab *t, dw_symtab_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->funcs         = t->sec[DW_SEC_FUNCS].n;
	out->publics       = t->sec[DW_SEC_PUBS].n;
	out->files         = t->sec[DW_SEC_FILES].n;
	out->lines         = t->sec[DW_SEC_LINES].n;
	out->inlines       = t->sec[DW_SEC_INLINES].n;
	out->inline_ranges = t->sec[DW_SEC_INLINE_RANGES].n;
	out->wins          = t->sec[DW_SEC_WINS].n;
	out->cfis          = t->sec[DW_SEC_CFIS].n;
	out->cfi_rows      = t->sec[DW_SEC_CFI_ROWS].n;
	out->cfi_rules     = t->sec[DW_SEC_CFI_RULES].n;
	out->x64_funcs     = t->sec[DW_SEC_X64_FUNCS].n;
	out->x64_infos     = t->sec[DW_SEC_X64_INFOS].n;
	out->strings_bytes = t->sec[DW_SEC_STRINGS].n;
}

// ---- lookups ----------------------------------------------------------------

// upper: how many of the n elements (u32 at p + i*stride) are <= key.
static inline uint32_t
upper(const uint8_t *p, uint32_t n, size_t stride, uint32_t key)
{
	// Branch-free (the compiler emits a conditional move): on random
	// addresses a branchy search mispredicts about every other step.
	if (n == 0)
		return 0;
	size_t lo = 0;
	while (n > 1) {
		uint32_t half = n / 2;
		lo            = dw_get_u32le(p + (lo + half) * stride) <= key ? lo + half : lo;
		n -= half;
	}
	return (uint32_t)lo + (dw_get_u32le(p + lo * stride) <= key);
}

// seg_find returns the record a segment index names at rva, or NONE.
static inline uint32_t
seg_find(const uint8_t *segs, uint32_t n, uint32_t rva)
{
	uint32_t i = upper(segs, n, 8, rva);
	return i == 0 ? DW_SYMTAB_NONE : dw_get_u32le(segs + (size_t)(i - 1) * 8 + 4);
}

// func_at returns the index of the function holding rva, or NONE; *nearest
// receives the index + 1 of the last function starting at or before rva.
static inline uint32_t
func_at(const dw_symtab *t, uint32_t rva, uint32_t *nearest)
{
	uint32_t i = upper(t->sec[DW_SEC_FUNC_ADDR].p, t->sec[DW_SEC_FUNCS].n, 4, rva);
	*nearest   = i;
	if (i == 0)
		return DW_SYMTAB_NONE;
	uint32_t start = dw_get_u32le(t->sec[DW_SEC_FUNC_ADDR].p + (size_t)(i - 1) * 4);
	uint32_t size  = dw_get_u32le(t->sec[DW_SEC_FUNCS].p + (size_t)(i - 1) * 32);
	return (uint64_t)rva < (uint64_t)start + size ? i - 1 : DW_SYMTAB_NONE;
}

// in_inline says whether inline record r (24 bytes) has a range holding rva,
// and returns that range's start.
static bool
in_inline(const dw_symtab *t, const uint8_t *r, uint32_t rva, uint32_t *start)
{
	uint32_t first = dw_get_u32le(r + 16), cnt = dw_get_u32le(r + 20);
	for (uint32_t k = 0; k < cnt; k++) {
		const uint8_t *g = t->sec[DW_SEC_INLINE_RANGES].p + (size_t)(first + k) * 8;
		uint32_t       a = dw_get_u32le(g), s = dw_get_u32le(g + 4);
		if (rva >= a && (uint64_t)rva < (uint64_t)a + s) {
			*start = a;
			return true;
		}
	}
	return false;
}

dw_err
dw_symtab_find(const dw_symtab *t, uint32_t rva, dw_symtab_loc *out)
{
	memset(out, 0, sizeof(*out));
	uint32_t nearest;
	uint32_t fi = func_at(t, rva, &nearest);
	if (fi != DW_SYMTAB_NONE) {
		const uint8_t *r = t->sec[DW_SEC_FUNCS].p + (size_t)fi * 32;
		out->start       = dw_get_u32le(t->sec[DW_SEC_FUNC_ADDR].p + (size_t)fi * 4);
		out->size        = dw_get_u32le(r);
		out->name        = dw_symtab__str(t, dw_get_u32le(r + 4));
		out->param_size  = dw_get_u32le(r + 8);
		out->multiple    = (dw_get_u32le(r + 12) & DW_SYMTAB_FUNC_FLAG_MULTIPLE) != 0;
		out->offset      = rva - out->start;
		uint32_t lf = dw_get_u32le(r + 16), lc = dw_get_u32le(r + 20);
		uint32_t li = upper(t->sec[DW_SEC_LINE_ADDR].p + (size_t)lf * 4, lc, 4, rva);
		if (li > 0) {
			uint32_t       k  = lf + li - 1;
			uint32_t       la = dw_get_u32le(t->sec[DW_SEC_LINE_ADDR].p + (size_t)k * 4);
			const uint8_t *l  = t->sec[DW_SEC_LINES].p + (size_t)k * 12;
			if ((uint64_t)rva < (uint64_t)la + dw_get_u32le(l)) {
				out->line       = dw_get_u32le(l + 4);
				out->line_start = la;
				uint32_t f      = dw_get_u32le(l + 8);
				if (f != DW_SYMTAB_NONE)
					out->file = dw_symtab__str(
					    t, dw_get_u32le(t->sec[DW_SEC_FILES].p + (size_t)f * 8 + 4));
			}
		}
		uint32_t inf = dw_get_u32le(r + 24), inc = dw_get_u32le(r + 28), dummy;
		for (uint32_t k = 0; k < inc; k++)
			if (in_inline(t, t->sec[DW_SEC_INLINES].p + (size_t)(inf + k) * 24, rva, &dummy))
				out->ninlines++;
		return DW_OK;
	}
	// Nearest public, unless a function starts between it and rva.
	uint32_t pi = upper(t->sec[DW_SEC_PUB_ADDR].p, t->sec[DW_SEC_PUBS].n, 4, rva);
	if (pi == 0)
		return DW_ENOTFOUND;
	uint32_t pa = dw_get_u32le(t->sec[DW_SEC_PUB_ADDR].p + (size_t)(pi - 1) * 4);
	if (nearest > 0 && dw_get_u32le(t->sec[DW_SEC_FUNC_ADDR].p + (size_t)(nearest - 1) * 4) >= pa)
		return DW_ENOTFOUND;
	// The first public at that address (they are kept in the order added).
	uint32_t k = pi - 1;
	while (k > 0 && dw_get_u32le(t->sec[DW_SEC_PUB_ADDR].p + (size_t)(k - 1) * 4) == pa)
		k--;
	const uint8_t *r = t->sec[DW_SEC_PUBS].p + (size_t)k * 12;
	out->name        = dw_symtab__str(t, dw_get_u32le(r));
	out->param_size  = dw_get_u32le(r + 4);
	out->multiple    = (dw_get_u32le(r + 8) & DW_SYMTAB_FUNC_FLAG_MULTIPLE) != 0;
	out->start       = pa;
	out->offset      = rva - pa;
	out->is_public   = true;
	return DW_OK;
}

dw_err
dw_symtab_find_inlines(const dw_symtab *t, uint32_t rva, dw_symtab_inline *out, size_t cap,
                       size_t *n)
{
	*n = 0;
	uint32_t nearest;
	uint32_t fi = func_at(t, rva, &nearest);
	if (fi == DW_SYMTAB_NONE)
		return DW_ENOTFOUND;
	const uint8_t *f   = t->sec[DW_SEC_FUNCS].p + (size_t)fi * 32;
	uint32_t       inf = dw_get_u32le(f + 24), inc = dw_get_u32le(f + 28);
	size_t         got = 0;
	for (uint32_t k = 0; k < inc; k++) {
		const uint8_t *r = t->sec[DW_SEC_INLINES].p + (size_t)(inf + k) * 24;
		uint32_t       start;
		if (!in_inline(t, r, rva, &start))
			continue;
		dw_symtab_inline in = {
		    .depth     = dw_get_u32le(r),
		    .call_line = dw_get_u32le(r + 4),
		    .name      = dw_symtab__str(t, dw_get_u32le(r + 12)),
		    .start     = start,
		};
		uint32_t cf = dw_get_u32le(r + 8);
		if (cf != DW_SYMTAB_NONE)
			in.call_file =
			    dw_symtab__str(t, dw_get_u32le(t->sec[DW_SEC_FILES].p + (size_t)cf * 8 + 4));
		// Insertion into the bounded, depth-sorted output (stable): a handful
		// of frames at most; when it is full the deepest fall off.
		size_t have = got < cap ? got : cap, j = have;
		while (j > 0 && out[j - 1].depth > in.depth)
			j--;
		if (j < cap) {
			for (size_t m = have < cap ? have : cap - 1; m > j; m--)
				out[m] = out[m - 1];
			out[j] = in;
		}
		got++;
	}
	*n = got;
	return DW_OK;
}

dw_err
dw_symtab_x64_info(const dw_symtab *t, uint32_t unwind_rva, const uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	const dw_symtab_sec_view *v = &t->sec[DW_SEC_X64_INFOS];
	uint32_t                  i = upper(v->p, v->n, 12, unwind_rva);
	if (i == 0 || dw_get_u32le(v->p + (size_t)(i - 1) * 12) != unwind_rva)
		return DW_ENOTFOUND;
	const uint8_t *r = v->p + (size_t)(i - 1) * 12;
	*out             = t->sec[DW_SEC_X64_BLOB].p + dw_get_u32le(r + 4);
	*len             = dw_get_u32le(r + 8);
	return DW_OK;
}

dw_err
dw_symtab_x64_find(const dw_symtab *t, uint32_t rva, dw_symtab_x64 *out)
{
	memset(out, 0, sizeof(*out));
	uint32_t k = seg_find(t->sec[DW_SEC_X64_SEGS].p, t->sec[DW_SEC_X64_SEGS].n, rva);
	if (k == DW_SYMTAB_NONE)
		return DW_ENOTFOUND;
	const uint8_t *r = t->sec[DW_SEC_X64_FUNCS].p + (size_t)k * 16;
	uint32_t       b = dw_get_u32le(r), e = dw_get_u32le(r + 4);
	if (rva < b || rva >= e)
		return DW_ENOTFOUND;
	out->begin      = b;
	out->end        = e;
	out->unwind_rva = dw_get_u32le(r + 8);
	uint32_t ii     = dw_get_u32le(r + 12);
	if (ii != DW_SYMTAB_NONE) {
		const uint8_t *inf = t->sec[DW_SEC_X64_INFOS].p + (size_t)ii * 12;
		out->info          = t->sec[DW_SEC_X64_BLOB].p + dw_get_u32le(inf + 4);
		out->info_len      = dw_get_u32le(inf + 8);
	}
	return DW_OK;
}

dw_err
dw_symtab_win_find(const dw_symtab *t, uint32_t type, uint32_t rva, dw_symtab_win *out)
{
	memset(out, 0, sizeof(*out));
	if (type >= DW_SYMTAB_WIN_TYPES)
		return DW_ENOTFOUND;
	uint32_t k = seg_find(t->sec[DW_SEC_WIN_SEGS].p + (size_t)t->win_first[type] * 8,
	                      t->win_count[type], rva);
	if (k == DW_SYMTAB_NONE)
		return DW_ENOTFOUND;
	const uint8_t *r = t->sec[DW_SEC_WINS].p + (size_t)k * 44;
	uint32_t       a = dw_get_u32le(r + 4), sz = dw_get_u32le(r + 8);
	if (dw_get_u32le(r) != type || rva < a || (uint64_t)rva >= (uint64_t)a + sz)
		return DW_ENOTFOUND;
	uint32_t flags              = dw_get_u32le(r + 36);
	out->type                   = type;
	out->rva                    = a;
	out->code_size              = sz;
	out->prolog_size            = dw_get_u32le(r + 12);
	out->epilog_size            = dw_get_u32le(r + 16);
	out->param_size             = dw_get_u32le(r + 20);
	out->saved_regs_size        = dw_get_u32le(r + 24);
	out->locals_size            = dw_get_u32le(r + 28);
	out->max_stack_size         = dw_get_u32le(r + 32);
	out->has_program            = (flags & DW_SYMTAB_WIN_FLAG_PROGRAM) != 0;
	out->allocates_base_pointer = (flags & DW_SYMTAB_WIN_FLAG_ALLOC_BP) != 0;
	out->program = out->has_program ? dw_symtab__str(t, dw_get_u32le(r + 40)) : NULL;
	return DW_OK;
}

dw_err
dw_symtab_cfi_find(const dw_symtab *t, uint32_t rva, dw_symtab_cfi *out)
{
	out->init_rva = out->init_size = 0;
	out->nrules                    = 0;
	uint32_t k = seg_find(t->sec[DW_SEC_CFI_SEGS].p, t->sec[DW_SEC_CFI_SEGS].n, rva);
	if (k == DW_SYMTAB_NONE)
		return DW_ENOTFOUND;
	const uint8_t *r = t->sec[DW_SEC_CFIS].p + (size_t)k * 16;
	uint32_t       a = dw_get_u32le(r), sz = dw_get_u32le(r + 4);
	if (rva < a || (uint64_t)rva >= (uint64_t)a + sz)
		return DW_ENOTFOUND;
	out->init_rva  = a;
	out->init_size = sz;
	uint32_t rf = dw_get_u32le(r + 8), rc = dw_get_u32le(r + 12);
	// Rows in force: those at or before rva (row 0 is the INIT, at a <= rva).
	uint32_t nrow = upper(t->sec[DW_SEC_CFI_ROWS].p + (size_t)rf * 12, rc, 12, rva);
	uint32_t regs[DW_MAX_CFI_RULES];
	for (uint32_t i = 0; i < nrow; i++) {
		const uint8_t *row = t->sec[DW_SEC_CFI_ROWS].p + (size_t)(rf + i) * 12;
		uint32_t       uf = dw_get_u32le(row + 4), uc = dw_get_u32le(row + 8);
		for (uint32_t u = 0; u < uc; u++) {
			const uint8_t *rule = t->sec[DW_SEC_CFI_RULES].p + (size_t)(uf + u) * 8;
			uint32_t       reg  = dw_get_u32le(rule), expr = dw_get_u32le(rule + 4);
			size_t         j    = 0;
			while (j < out->nrules && regs[j] != reg)
				j++;
			if (j == out->nrules) {
				// Strings are deduplicated, so one register is one offset; a
				// crafted table could still name more registers than fit.
				if (out->nrules == DW_MAX_CFI_RULES)
					return DW_ELIMIT;
				regs[out->nrules++] = reg;
				out->rules[j].reg   = dw_symtab__str(t, reg);
			}
			out->rules[j].expr = dw_symtab__str(t, expr);
		}
	}
	return DW_OK;
}
