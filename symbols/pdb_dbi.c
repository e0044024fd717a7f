// symbols/pdb_dbi.c - the DBI stream: header, modules, section contributions,
// section map, file info, and the optional debug header's streams.
//
// Layouts: LLVM "The DBI Stream" and microsoft-pdb dbi.h (NewDBIHdr, MODI_60,
// SC/SC2, OMFSegMap), winnt.h (IMAGE_SECTION_HEADER, FPO_DATA), cvinfo.h
// (FRAMEDATA). Confident: all are checked against llvm-pdbutil on the corpus.
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "symbols/pdb_int.h"

#define DBI_HEADER_SIZE 64
#define DBI_VERSION_SIGNATURE 0xFFFFFFFFu
#define DBI_MODI_FIXED_SIZE 64   // MODI_60 without the two names
#define DBI_SC_SIZE 28           // SC
#define DBI_SC2_SIZE 32          // SC2 (adds isectCoff)
#define DBI_SC_VER_60 (0xeffe0000u + 19970605u)
#define DBI_SC_VER_2 (0xeffe0000u + 20140516u)
#define DBI_SECMAP_ENTRY_SIZE 20 // OMFSegMapDesc
#define PE_SECTION_HEADER_SIZE 40
#define FPO_DATA_SIZE 16
#define FRAMEDATA_SIZE 32
#define OMAP_ENTRY_SIZE 8
// Longest module or file name accepted (paths; < 32 KiB on Windows).
#define DBI_MAX_NAME 65536

uint32_t
dw_pdb__peek_dbi_age(dw_pdb *p)
{
	dw_cur c;
	if (dw_msf_stream(&c, p->msf, DW_PDB_STREAM_DBI) != DW_OK)
		return 0;
	uint32_t sig = dw_cur_u32le(&c);
	(void)dw_cur_u32le(&c);
	uint32_t age = dw_cur_u32le(&c);
	return c.err == DW_OK && sig == DBI_VERSION_SIGNATURE ? age : 0;
}

static dw_err
read_modules(dw_pdb *p, dw_cur *c)
{
	dw_pdb__vec v;
	dw_pdb__vec_init(&v, sizeof(dw_pdb_module), DW_MAX_PDB_MODULES);
	dw_err rv = DW_OK;
	while (dw_cur_left(c) > 0) {
		size_t start = c->off;
		dw_pdb_module m;
		memset(&m, 0, sizeof(m));
		(void)dw_cur_u32le(c);                 // unused (opened module pointer)
		m.first_contrib.section = dw_cur_u16le(c);
		(void)dw_cur_u16le(c);                 // padding
		m.first_contrib.offset          = dw_cur_u32le(c);
		m.first_contrib.size            = dw_cur_u32le(c);
		m.first_contrib.characteristics = dw_cur_u32le(c);
		m.first_contrib.module          = dw_cur_u16le(c);
		dw_cur_skip(c, 2 + 4 + 4);             // padding, data and reloc CRCs
		m.flags      = dw_cur_u16le(c);
		m.sym_stream = dw_cur_u16le(c);
		m.sym_bytes  = dw_cur_u32le(c);
		m.c11_bytes  = dw_cur_u32le(c);
		m.c13_bytes  = dw_cur_u32le(c);
		dw_cur_skip(c, 2 + 2 + 4 + 4 + 4);     // file count, pad, unused, name indices
		size_t      n;
		const char *name = dw_cur_cstr(c, DBI_MAX_NAME, &n);
		const char *obj  = dw_cur_cstr(c, DBI_MAX_NAME, &n);
		if (c->err != DW_OK) {
			rv = dw_fail(&p->notes, DW_ETRUNC, "DBI module list: module %zu at offset %zu truncated",
			             v.n, start);
			break;
		}
		size_t pad = (4 - (c->off & 3)) & 3; // records are 4-aligned; the
		if (pad > dw_cur_left(c))           // last may end unaligned
			pad = dw_cur_left(c);
		dw_cur_skip(c, pad);
		m.name     = name;
		m.obj_name = obj;
		dw_pdb_module *slot = dw_pdb__vec_push(&v);
		if (slot == NULL) {
			rv = dw_fail(&p->notes, DW_ELIMIT, "DBI module list: more than %u modules",
			             (unsigned)DW_MAX_PDB_MODULES);
			break;
		}
		*slot = m;
	}
	p->dbi.modules = dw_pdb__vec_finish(&v, &p->arena, &p->dbi.nmodules);
	return rv;
}

static dw_err
read_contribs(dw_pdb *p, dw_cur *c)
{
	if (c->len == 0)
		return DW_OK;
	uint32_t ver  = dw_cur_u32le(c);
	size_t   elem = ver == DBI_SC_VER_2 ? DBI_SC2_SIZE : DBI_SC_SIZE;
	if (ver != DBI_SC_VER_2 && ver != DBI_SC_VER_60)
		return dw_fail(&p->notes, DW_EUNSUPPORTED,
		               "DBI section contributions: unknown version %#x", ver);
	size_t n = dw_cur_left(c) / elem;
	dw_err rv;
	if ((rv = dw_cur_count(c, n, elem, DW_MAX_PDB_CONTRIBS)) != DW_OK)
		return dw_fail(&p->notes, rv, "DBI section contributions: %zu entries", n);
	dw_pdb_contrib *a = dw_arena_array(&p->arena, n ? n : 1, sizeof(*a));
	if (a == NULL)
		return dw_fail(&p->notes, DW_ENOMEM, "DBI section contributions: %zu entries", n);
	for (size_t i = 0; i < n; i++) {
		a[i].section = dw_cur_u16le(c);
		dw_cur_skip(c, 2);
		a[i].offset          = dw_cur_u32le(c);
		a[i].size            = dw_cur_u32le(c);
		a[i].characteristics = dw_cur_u32le(c);
		a[i].module          = dw_cur_u16le(c);
		dw_cur_skip(c, elem - 18);
	}
	p->dbi.contribs  = a;
	p->dbi.ncontribs = n;
	return DW_OK;
}

static dw_err
read_secmap(dw_pdb *p, dw_cur *c)
{
	if (c->len == 0)
		return DW_OK;
	uint16_t n = dw_cur_u16le(c);
	(void)dw_cur_u16le(c); // logical segment count
	dw_err rv;
	if ((rv = dw_cur_count(c, n, DBI_SECMAP_ENTRY_SIZE, DW_MAX_PDB_SECTIONS)) != DW_OK)
		return dw_fail(&p->notes, rv, "DBI section map: %u entries", n);
	dw_pdb_secmap *a = dw_arena_array(&p->arena, n ? n : 1, sizeof(*a));
	if (a == NULL)
		return dw_fail(&p->notes, DW_ENOMEM, "DBI section map");
	for (size_t i = 0; i < n; i++) {
		a[i].flags      = dw_cur_u16le(c);
		a[i].ovl        = dw_cur_u16le(c);
		a[i].group      = dw_cur_u16le(c);
		a[i].frame      = dw_cur_u16le(c);
		a[i].sec_name   = dw_cur_u16le(c);
		a[i].class_name = dw_cur_u16le(c);
		a[i].offset     = dw_cur_u32le(c);
		a[i].length     = dw_cur_u32le(c);
	}
	p->dbi.secmap  = a;
	p->dbi.nsecmap = n;
	return DW_OK;
}

// File info (LLVM "File Info Substream"): u16 module count, u16 file count
// (wraps past 65535; ignored), u16 first-file index per module (ignored: it
// also wraps), u16 file count per module, u32 name offset per file reference,
// then the names buffer.
static dw_err
read_file_info(dw_pdb *p, dw_cur *c)
{
	if (c->len == 0)
		return DW_OK;
	dw_err   rv;
	uint16_t nmod = dw_cur_u16le(c);
	(void)dw_cur_u16le(c);
	if ((rv = dw_cur_count(c, nmod, 4, DW_MAX_PDB_MODULES)) != DW_OK)
		return dw_fail(&p->notes, rv, "DBI file info: %u modules", nmod);
	dw_cur_skip(c, (uint64_t)nmod * 2);
	dw_cur   counts;
	dw_cur_window(&counts, c, c->off, (uint64_t)nmod * 2);
	uint64_t total = 0;
	for (uint16_t i = 0; i < nmod; i++)
		total += dw_cur_u16le(c);
	if ((rv = dw_cur_count(c, total, 4, DW_MAX_PDB_FILE_REFS)) != DW_OK)
		return dw_fail(&p->notes, rv, "DBI file info: %llu file references",
		               (unsigned long long)total);
	dw_cur offsets;
	dw_cur_window(&offsets, c, c->off, total * 4);
	dw_cur names;
	dw_cur_tail(&names, c, c->off + total * 4);
	dw_pdb_module *mods = (dw_pdb_module *)p->dbi.modules;
	size_t         bad  = 0;
	for (uint16_t i = 0; i < nmod; i++) {
		uint16_t     cnt   = dw_cur_u16le(&counts);
		const char **files = dw_arena_array(&p->arena, cnt ? cnt : 1, sizeof(char *));
		if (files == NULL)
			return dw_fail(&p->notes, DW_ENOMEM, "DBI file info");
		for (uint16_t k = 0; k < cnt; k++) {
			uint32_t    off = dw_cur_u32le(&offsets);
			dw_cur      s;
			size_t      n;
			const char *name = NULL;
			if (dw_cur_tail(&s, &names, off) == DW_OK)
				name = dw_cur_cstr(&s, DBI_MAX_NAME, &n);
			if (name == NULL) {
				bad++;
				name = "";
			}
			files[k] = name;
		}
		if (i < p->dbi.nmodules) {
			mods[i].files  = files;
			mods[i].nfiles = cnt;
		}
	}
	if (bad)
		dw_fail(&p->notes, DW_ECORRUPT, "DBI file info: %zu file names outside the names buffer",
		        bad);
	return DW_OK;
}

// ---- optional debug streams ----

static dw_err
dbg_stream(dw_cur *out, dw_pdb *p, int slot, const char *what)
{
	uint16_t idx = p->dbi.dbg_streams[slot];
	if (idx == DW_PDB_NO_STREAM) {
		dw_cur_init(out, NULL, 0);
		return DW_ENOTFOUND;
	}
	dw_err rv = dw_msf_stream(out, p->msf, idx);
	if (rv != DW_OK)
		dw_fail(&p->notes, rv, "DBI debug header: %s stream %u: %s", what, idx,
		        dw_strerror(rv));
	return rv;
}

static void
read_sections(dw_pdb *p, int slot, const dw_pdb_section **out, size_t *count)
{
	dw_cur c;
	if (dbg_stream(&c, p, slot, "section header") != DW_OK)
		return;
	size_t n = c.len / PE_SECTION_HEADER_SIZE;
	if (n > DW_MAX_PDB_SECTIONS || c.len % PE_SECTION_HEADER_SIZE) {
		dw_fail(&p->notes, DW_ECORRUPT,
		        "DBI section headers (stream %u): %zu bytes is not a whole number of headers",
		        p->dbi.dbg_streams[slot], c.len);
		if (n > DW_MAX_PDB_SECTIONS)
			return;
	}
	dw_pdb_section *a = dw_arena_array(&p->arena, n ? n : 1, sizeof(*a));
	if (a == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		dw_cur_copy(&c, a[i].name, 8);
		a[i].virtual_size = dw_cur_u32le(&c);
		a[i].rva          = dw_cur_u32le(&c);
		a[i].raw_size     = dw_cur_u32le(&c);
		dw_cur_skip(&c, 4 + 4 + 4 + 2 + 2);
		a[i].characteristics = dw_cur_u32le(&c);
	}
	*out   = a;
	*count = n;
}

static int
omap_cmp(const void *a, const void *b)
{
	uint32_t x = ((const dw_pdb_omap *)a)->from, y = ((const dw_pdb_omap *)b)->from;
	return x < y ? -1 : x > y;
}

static void
read_omap(dw_pdb *p, int slot, const dw_pdb_omap **out, size_t *count)
{
	dw_cur c;
	if (dbg_stream(&c, p, slot, "OMAP") != DW_OK)
		return;
	size_t n = c.len / OMAP_ENTRY_SIZE;
	if (n > DW_MAX_PDB_RECORDS) {
		dw_fail(&p->notes, DW_ELIMIT, "DBI OMAP stream %u: %zu entries",
		        p->dbi.dbg_streams[slot], n);
		return;
	}
	dw_pdb_omap *a = dw_arena_array(&p->arena, n ? n : 1, sizeof(*a));
	if (a == NULL)
		return;
	bool sorted = true;
	for (size_t i = 0; i < n; i++) {
		a[i].from = dw_cur_u32le(&c);
		a[i].to   = dw_cur_u32le(&c);
		if (i && a[i].from < a[i - 1].from)
			sorted = false;
	}
	if (!sorted) // the linker writes them sorted; a lookup needs them so
		qsort(a, n, sizeof(*a), omap_cmp);
	*out   = a;
	*count = n;
}

// x86 frame records carry RVAs of the original layout when the image was
// reordered: each is split with dw_pdb_map_frame (one record, unchanged,
// without OMAP). Folklore: omap_reorder_bbs.pdb's frame data record for
// `C::scalar deleting destructor` (original 0x1120, 0x2c bytes, prolog 7)
// keeps its first 0x17 bytes together at image 0x16d4, followed by padding
// OMAP maps back into it; since the rest went to 0x211c and 0x5458, the
// prolog is mapped on its own: dump_syms prints 16d4 7 (prolog 7), 16db 19,
// 211c c and 5458 9 (prolog 0).
typedef struct frame_split {
	dw_pdb__vec *v;
	const void  *rec;
	bool         fpo, full;
} frame_split;

static void
frame_piece(uint32_t rva, uint32_t size, uint32_t prolog, void *arg)
{
	frame_split *fs   = arg;
	void        *slot = dw_pdb__vec_push(fs->v);
	if (slot == NULL) {
		fs->full = true;
		return;
	}
	if (fs->fpo) {
		dw_pdb_fpo *f = slot;
		*f            = *(const dw_pdb_fpo *)fs->rec;
		f->rva        = rva;
		f->size       = size;
		f->prolog     = (uint8_t)prolog; // never more than the record's
	} else {
		dw_pdb_frame *f = slot;
		*f              = *(const dw_pdb_frame *)fs->rec;
		f->rva          = rva;
		f->size         = size;
		f->prolog       = (uint16_t)prolog;
	}
}

static void
read_fpo(dw_pdb *p)
{
	dw_cur c;
	if (dbg_stream(&c, p, DW_PDB_DBG_FPO, "FPO") != DW_OK)
		return;
	size_t n = c.len / FPO_DATA_SIZE;
	if (n > DW_MAX_PDB_RECORDS) {
		dw_fail(&p->notes, DW_ELIMIT, "DBI FPO stream: %zu entries", n);
		return;
	}
	dw_pdb__vec v;
	dw_pdb__vec_init(&v, sizeof(dw_pdb_fpo), DW_MAX_PDB_RECORDS);
	frame_split fs = {&v, NULL, true, false};
	for (size_t i = 0; i < n && !fs.full; i++) {
		dw_pdb_fpo f;
		f.rva         = dw_cur_u32le(&c);
		f.size        = dw_cur_u32le(&c);
		f.locals      = dw_cur_u32le(&c);
		f.params      = dw_cur_u16le(&c);
		uint16_t bits = dw_cur_u16le(&c);
		f.prolog      = (uint8_t)(bits & 0xff);
		f.regs        = (uint8_t)((bits >> 8) & 7);
		f.has_seh     = (bits >> 11) & 1;
		f.use_bp      = (bits >> 12) & 1;
		f.frame_type  = (uint8_t)((bits >> 14) & 3);
		fs.rec        = &f;
		dw_pdb_map_frame(p, f.rva, f.size, f.prolog, frame_piece, &fs);
	}
	if (fs.full)
		dw_fail(&p->notes, DW_ELIMIT, "DBI FPO stream: too many records after OMAP");
	p->dbi.fpo = dw_pdb__vec_finish(&v, &p->arena, &p->dbi.nfpo);
}

static void
read_frames(dw_pdb *p)
{
	dw_cur c;
	if (dbg_stream(&c, p, DW_PDB_DBG_NEW_FPO, "frame data") != DW_OK)
		return;
	// Like LLVM's DebugFrameDataSubsectionRef: a stream that is not a whole
	// number of records starts with a u32 relocation pointer.
	if (c.len % FRAMEDATA_SIZE)
		(void)dw_cur_u32le(&c);
	size_t n = dw_cur_left(&c) / FRAMEDATA_SIZE;
	if (n > DW_MAX_PDB_RECORDS) {
		dw_fail(&p->notes, DW_ELIMIT, "DBI frame data stream: %zu entries", n);
		return;
	}
	dw_pdb__vec v;
	dw_pdb__vec_init(&v, sizeof(dw_pdb_frame), DW_MAX_PDB_RECORDS);
	frame_split fs  = {&v, NULL, false, false};
	size_t      bad = 0;
	for (size_t i = 0; i < n && !fs.full; i++) {
		dw_pdb_frame f;
		f.rva        = dw_cur_u32le(&c);
		f.size       = dw_cur_u32le(&c);
		f.locals     = dw_cur_u32le(&c);
		f.params     = dw_cur_u32le(&c);
		f.max_stack  = dw_cur_u32le(&c);
		uint32_t prg = dw_cur_u32le(&c);
		f.prolog     = dw_cur_u16le(&c);
		f.saved_regs = dw_cur_u16le(&c);
		f.flags      = dw_cur_u32le(&c);
		if (dw_pdb_string(&f.program, p, prg) != DW_OK) {
			f.program = NULL;
			bad++;
		}
		fs.rec = &f;
		dw_pdb_map_frame(p, f.rva, f.size, f.prolog, frame_piece, &fs);
	}
	if (bad)
		dw_fail(&p->notes, DW_ECORRUPT, "DBI frame data: %zu program strings not in /names", bad);
	if (fs.full)
		dw_fail(&p->notes, DW_ELIMIT, "DBI frame data: too many records after OMAP");
	p->dbi.frames = dw_pdb__vec_finish(&v, &p->arena, &p->dbi.nframes);
}

static dw_err
load_dbi(dw_pdb *p)
{
	dw_cur c;
	dw_err rv = dw_msf_stream(&c, p->msf, DW_PDB_STREAM_DBI);
	for (int i = 0; i < DW_PDB_DBG_COUNT; i++)
		p->dbi.dbg_streams[i] = DW_PDB_NO_STREAM;
	p->dbi.globals_stream = p->dbi.publics_stream = p->dbi.symrec_stream = DW_PDB_NO_STREAM;
	if (rv == DW_ENOTFOUND)
		return rv;
	if (rv != DW_OK)
		return dw_fail(&p->notes, rv, "DBI stream: %s", dw_strerror(rv));
	uint32_t sig = dw_cur_u32le(&c);
	(void)dw_cur_u32le(&c); // version (19990903 for VC70)
	p->dbi.age            = dw_cur_u32le(&c);
	p->dbi.globals_stream = dw_cur_u16le(&c);
	(void)dw_cur_u16le(&c); // build number
	p->dbi.publics_stream = dw_cur_u16le(&c);
	(void)dw_cur_u16le(&c); // mspdb dll version
	p->dbi.symrec_stream = dw_cur_u16le(&c);
	(void)dw_cur_u16le(&c); // mspdb dll rebuild
	uint32_t sizes[7];      // modules, contribs, section map, file info, type server map, EC, debug header
	sizes[0] = dw_cur_u32le(&c);
	sizes[1] = dw_cur_u32le(&c);
	sizes[2] = dw_cur_u32le(&c);
	sizes[3] = dw_cur_u32le(&c);
	sizes[4] = dw_cur_u32le(&c);
	(void)dw_cur_u32le(&c); // MFC type server index
	sizes[6] = dw_cur_u32le(&c);
	sizes[5] = dw_cur_u32le(&c);
	p->dbi.flags   = dw_cur_u16le(&c);
	p->dbi.machine = dw_cur_u16le(&c);
	(void)dw_cur_u32le(&c);
	if (c.err != DW_OK)
		return dw_fail(&p->notes, DW_ETRUNC, "DBI stream: %zu bytes, header needs %d", c.len,
		               DBI_HEADER_SIZE);
	if (sig != DBI_VERSION_SIGNATURE)
		return dw_fail(&p->notes, DW_EUNSUPPORTED,
		               "DBI stream: old-format header (signature %#x)", sig);
	// Substreams follow the header in this order; each size is checked
	// against what is left, and a bad one stops the ones after it.
	dw_cur sub[7];
	uint64_t off = DBI_HEADER_SIZE;
	static const char *const what[7] = {"module list", "section contributions", "section map",
	                                    "file info", "type server map", "EC substream",
	                                    "debug header"};
	int nsub = 0;
	for (; nsub < 7; nsub++) {
		if (sizes[nsub] > INT32_MAX ||
		    dw_cur_window(&sub[nsub], &c, off, sizes[nsub]) != DW_OK) {
			dw_fail(&p->notes, DW_ETRUNC,
			        "DBI stream: %s (%u bytes at offset %llu) past the stream's %zu bytes",
			        what[nsub], sizes[nsub], (unsigned long long)off, c.len);
			break;
		}
		off += sizes[nsub];
	}
	if (nsub > 0)
		read_modules(p, &sub[0]);
	if (nsub > 1)
		read_contribs(p, &sub[1]);
	if (nsub > 2)
		read_secmap(p, &sub[2]);
	if (nsub > 3)
		read_file_info(p, &sub[3]);
	if (nsub > 6) {
		size_t n = sub[6].len / 2;
		for (size_t i = 0; i < n && i < DW_PDB_DBG_COUNT; i++)
			p->dbi.dbg_streams[i] = dw_cur_u16le(&sub[6]);
	}
	// Section headers and OMAP first: FPO and frame data use them.
	read_sections(p, DW_PDB_DBG_SECTION_HDR, &p->dbi.sections, &p->dbi.nsections);
	read_sections(p, DW_PDB_DBG_SECTION_HDR_ORIG, &p->dbi.sections_orig,
	              &p->dbi.nsections_orig);
	read_omap(p, DW_PDB_DBG_OMAP_TO_SRC, &p->dbi.omap_to_src, &p->dbi.nomap_to_src);
	read_omap(p, DW_PDB_DBG_OMAP_FROM_SRC, &p->dbi.omap_from_src, &p->dbi.nomap_from_src);
	(void)dw_pdb__omap_build(p); // noted; ranges of a reordered image are then dropped
	return DW_OK;
}

dw_err
dw_pdb_get_dbi(const dw_pdb_dbi **out, dw_pdb *p)
{
	*out = NULL;
	if (!p->dbi_once.done) {
		p->dbi_once.done = true;
		p->dbi_once.err  = load_dbi(p);
		if (p->dbi_once.err == DW_OK) {
			// Done after the flag is set: frame records map their
			// addresses through dw_pdb_get_dbi's OMAP tables.
			read_fpo(p);
			read_frames(p);
			size_t n    = p->dbi.nmodules;
			p->mods     = dw_arena_array(&p->arena, n ? n : 1, sizeof(*p->mods));
			p->mod_errs = dw_arena_array(&p->arena, n ? n : 1, sizeof(*p->mod_errs));
			if (p->mods == NULL || p->mod_errs == NULL) {
				p->dbi.nmodules = 0;
				dw_fail(&p->notes, DW_ENOMEM, "DBI: module table");
			}
		}
	}
	if (p->dbi_once.err != DW_OK)
		return p->dbi_once.err;
	*out = &p->dbi;
	return DW_OK;
}

dw_err
dw_pdb_debug_stream(dw_cur *out, dw_pdb *p, enum dw_pdb_dbg_stream slot)
{
	dw_cur_init(out, NULL, 0);
	const dw_pdb_dbi *d;
	dw_err            rv;
	if ((unsigned)slot >= DW_PDB_DBG_COUNT)
		return DW_EINVAL;
	if ((rv = dw_pdb_get_dbi(&d, p)) != DW_OK)
		return rv;
	if (d->dbg_streams[slot] == DW_PDB_NO_STREAM)
		return DW_ENOTFOUND;
	return dw_msf_stream(out, p->msf, d->dbg_streams[slot]);
}
