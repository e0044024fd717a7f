// symbols/pdb_publics.c - public symbols (S_PUB32).
//
// Layouts: LLVM "The PDB Public Symbol Stream" and "Global Symbol Stream";
// microsoft-pdb gsi.h (PSGSIHDR, GSIHashHdr, HRFile) and cvinfo.h (PUBSYM32).
// The publics stream (DBI header's publics stream number) starts with a
// 28-byte PSGSIHDR, then the GSI hash: a 16-byte header and hash records of
// 8 bytes each whose first field is 1 + the offset of a record in the symbol
// record stream. The record there is u16 length, u16 kind, and for S_PUB32:
// u32 flags, u32 offset, u16 segment, NUL-terminated name.
#include <string.h>

#include "common/limits.h"
#include "symbols/pdb_int.h"

#define PSI_HEADER_SIZE 28
#define GSI_HASH_SIGNATURE 0xFFFFFFFFu
#define GSI_HASH_VERSION (0xeffe0000u + 19990810u)
#define GSI_HASH_RECORD_SIZE 8
// A symbol name longer than this is cut off. MSVC truncates decorated names
// at 4 KiB; 64 KiB is the CodeView record limit anyway.
#define PUB_MAX_NAME 65536

// Parses the S_PUB32 at `off` of the record stream into *out. false when the
// record is not an S_PUB32 or does not fit.
static bool
read_pub(dw_pdb *p, const dw_cur *rec, uint64_t off, dw_pdb_public *out)
{
	dw_cur c;
	if (dw_cur_tail(&c, rec, off) != DW_OK)
		return false;
	uint16_t len  = dw_cur_u16le(&c);
	uint16_t kind = dw_cur_u16le(&c);
	if (c.err != DW_OK || kind != DW_PDB_S_PUB32 || len < 12)
		return false;
	dw_cur body;
	if (dw_cur_window(&body, &c, 4, (uint64_t)len - 2) != DW_OK)
		return false;
	out->flags   = dw_cur_u32le(&body);
	out->offset  = dw_cur_u32le(&body);
	out->segment = dw_cur_u16le(&body);
	size_t n;
	// The name may fill the record to its end without a NUL in padded
	// records; cstr needs the NUL, which every linker writes.
	out->name = dw_cur_cstr(&body, PUB_MAX_NAME, &n);
	if (out->name == NULL)
		return false;
	out->has_rva = dw_pdb_rva(&out->rva, p, out->segment, out->offset) == DW_OK;
	return true;
}

static dw_err
from_hash(dw_pdb *p, const dw_pdb_dbi *d, const dw_cur *rec, dw_pdb__vec *v)
{
	dw_cur c;
	dw_err rv = dw_msf_stream(&c, p->msf, d->publics_stream);
	if (rv != DW_OK)
		return dw_fail(&p->notes, rv, "publics stream %u: %s", d->publics_stream,
		               dw_strerror(rv));
	uint32_t sym_hash_bytes = dw_cur_u32le(&c);
	dw_cur_skip(&c, PSI_HEADER_SIZE - 4);
	dw_cur gsi;
	if (c.err != DW_OK || dw_cur_window(&gsi, &c, PSI_HEADER_SIZE, sym_hash_bytes) != DW_OK)
		return dw_fail(&p->notes, DW_ETRUNC, "publics stream %u: hash of %u bytes past the end",
		               d->publics_stream, sym_hash_bytes);
	uint32_t sig = dw_cur_u32le(&gsi);
	uint32_t ver = dw_cur_u32le(&gsi);
	uint32_t hr  = dw_cur_u32le(&gsi);
	(void)dw_cur_u32le(&gsi); // bucket bytes
	if (gsi.err != DW_OK || sig != GSI_HASH_SIGNATURE || ver != GSI_HASH_VERSION)
		return dw_fail(&p->notes, DW_EUNSUPPORTED,
		               "publics stream %u: unknown hash header (%#x, %#x)", d->publics_stream,
		               sig, ver);
	uint32_t n = hr / GSI_HASH_RECORD_SIZE;
	if ((rv = dw_cur_count(&gsi, n, GSI_HASH_RECORD_SIZE, DW_MAX_PDB_RECORDS)) != DW_OK)
		return dw_fail(&p->notes, rv, "publics stream %u: %u hash records", d->publics_stream,
		               n);
	size_t bad = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t off = dw_cur_u32le(&gsi);
		(void)dw_cur_u32le(&gsi); // reference count
		dw_pdb_public pub;
		memset(&pub, 0, sizeof(pub));
		if (off == 0 || !read_pub(p, rec, (uint64_t)off - 1, &pub)) {
			bad++;
			continue;
		}
		dw_pdb_public *slot = dw_pdb__vec_push(v);
		if (slot == NULL)
			return dw_fail(&p->notes, DW_ENOMEM, "publics: %u records", n);
		*slot = pub;
	}
	if (bad)
		dw_fail(&p->notes, DW_ECORRUPT,
		        "publics stream %u: %zu of %u hash records do not point at an S_PUB32",
		        d->publics_stream, bad, n);
	return DW_OK;
}

static dw_err
from_scan(dw_pdb *p, const dw_cur *rec, dw_pdb__vec *v)
{
	dw_cur c = *rec;
	while (dw_cur_left(&c) >= 4) {
		size_t   at  = c.off;
		uint16_t len = dw_cur_u16le(&c);
		if (len < 2 || dw_cur_skip(&c, len) != DW_OK)
			return dw_fail(&p->notes, DW_ETRUNC,
			               "symbol record stream: record at offset %zu (length %u) runs past "
			               "the end",
			               at, len);
		dw_pdb_public pub;
		memset(&pub, 0, sizeof(pub));
		if (read_pub(p, rec, at, &pub)) {
			dw_pdb_public *slot = dw_pdb__vec_push(v);
			if (slot == NULL)
				return dw_fail(&p->notes, DW_ENOMEM, "publics");
			*slot = pub;
		}
	}
	return DW_OK;
}

static dw_err
load_publics(dw_pdb *p)
{
	const dw_pdb_dbi *d;
	dw_err            rv = dw_pdb_get_dbi(&d, p);
	if (rv != DW_OK)
		return rv;
	dw_cur rec;
	if (d->symrec_stream == DW_PDB_NO_STREAM)
		return DW_ENOTFOUND;
	if ((rv = dw_msf_stream(&rec, p->msf, d->symrec_stream)) != DW_OK)
		return dw_fail(&p->notes, rv, "symbol record stream %u: %s", d->symrec_stream,
		               dw_strerror(rv));
	dw_pdb__vec v;
	dw_pdb__vec_init(&v, sizeof(dw_pdb_public), DW_MAX_PDB_RECORDS);
	rv = DW_ENOTFOUND;
	if (d->publics_stream != DW_PDB_NO_STREAM)
		rv = from_hash(p, d, &rec, &v);
	if (rv != DW_OK) {
		// No usable hash: every S_PUB32 in the record stream instead.
		dw_pdb__vec_fini(&v);
		dw_pdb__vec_init(&v, sizeof(dw_pdb_public), DW_MAX_PDB_RECORDS);
		from_scan(p, &rec, &v);
	}
	p->publics = dw_pdb__vec_finish(&v, &p->arena, &p->npublics);
	return DW_OK;
}

dw_err
dw_pdb_get_publics(const dw_pdb_public **out, size_t *count, dw_pdb *p)
{
	*out   = NULL;
	*count = 0;
	if (!p->publics_once.done) {
		p->publics_once.done = true;
		p->publics_once.err  = load_publics(p);
	}
	if (p->publics_once.err != DW_OK)
		return p->publics_once.err;
	*out   = p->publics;
	*count = p->npublics;
	return DW_OK;
}
