// symbols/pdb_mod.c - module symbol streams and C13 line information.
//
// A module stream (LLVM "The Module Information Stream") is: u32 signature
// (4 = CV_SIGNATURE_C13), symbol records up to the module's symbol byte count,
// old C11 lines (skipped), C13 debug subsections, then global references.
// Records (cvinfo.h): u16 length (not counting itself), u16 kind, body.
//   PROCSYM32      parent, end, next, length, dbg start, dbg end, type, offset,
//                  segment (u16), flags (u8), name
//   THUNKSYM32     parent, end, next, offset, segment, length (u16), ordinal, name
//   BLOCKSYM32     parent, end, length, offset, segment, name
//   FRAMEPROCSYM   frame, pad, pad offset, saved regs, EH offset, EH section (u16), flags
//   INLINESITESYM  parent, end, inlinee, binary annotations (INLINESITESYM2
//                  has a u32 invocation count before them)
// C13 subsections (cvinfo.h DEBUG_S_SUBSECTION_TYPE): u32 kind, u32 length,
// body, padded to 4. DEBUG_S_LINES: CV_LineSection header (offset, segment,
// flags, code size) then blocks of (file checksum offset, line count, block
// size, CV_Line_t lines [, CV_Column_t columns]). DEBUG_S_FILECHKSMS: entries
// of (u32 /names offset, u8 checksum size, u8 kind, checksum) padded to 4.
// DEBUG_S_INLINEELINES: u32 signature (0, or 1 with extra files), then
// (inlinee, file checksum offset, line [, extra count, extra files]).
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "symbols/pdb_int.h"

#define CV_SIGNATURE_C13 4
#define DEBUG_S_LINES 0xf2
#define DEBUG_S_FILECHKSMS 0xf4
#define DEBUG_S_INLINEELINES 0xf6
#define DEBUG_S_IGNORE 0x80000000u
#define CV_LINES_HAVE_COLUMNS 0x0001
#define CV_LINE_SIZE 8
#define CV_COLUMN_SIZE 4
#define SYM_MAX_NAME 65536

typedef struct mod_ctx {
	dw_pdb      *p;
	uint32_t     index;
	dw_pdb__vec  procs, inlines, lines, files, file_offs, inl_lines;
	uint32_t     cur_line_file;
	const char  *modname;
} mod_ctx;

// ---- symbols ----

typedef struct scope {
	int      kind;  // 0 proc, 1 block, 2 inline site, 3 other
	uint32_t proc;  // index of the enclosing procedure, UINT32_MAX outside
} scope;

static bool
is_proc(uint16_t k)
{
	return k == DW_PDB_S_GPROC32 || k == DW_PDB_S_LPROC32 || k == DW_PDB_S_GPROC32_ID ||
	       k == DW_PDB_S_LPROC32_ID || k == DW_PDB_S_LPROC32_DPC ||
	       k == DW_PDB_S_LPROC32_DPC_ID;
}

// Records that open a scope closed by S_END (cvinfo.h: those with pEnd).
static bool
opens_scope(uint16_t k)
{
	switch (k) {
	case 0x1102: // S_THUNK32
	case 0x1103: // S_BLOCK32
	case 0x1105: // S_WITH32
	case 0x110f: case 0x1110: case 0x1146: case 0x1147: case 0x1155: case 0x1156:
	case 0x1137: // S_SEPCODE
	case 0x114d: case 0x115d: // inline sites
		return true;
	default:
		return false;
	}
}

static dw_err
read_symbols(mod_ctx *m, const dw_cur *syms)
{
	dw_pdb *p = m->p;
	scope   stack[DW_MAX_PDB_SCOPE_DEPTH];
	size_t  depth = 0;
	dw_cur  c     = *syms;
	while (dw_cur_left(&c) >= 4) {
		size_t   at   = c.off;
		uint16_t len  = dw_cur_u16le(&c);
		uint16_t kind = dw_cur_u16le(&c);
		dw_cur   r;
		if (len < 2 || dw_cur_window(&r, &c, c.off, (uint64_t)len - 2) != DW_OK)
			return dw_fail(&p->notes, DW_ETRUNC,
			               "module %u (%s) symbols: record at offset %zu (length %u) runs past "
			               "the end",
			               m->index, m->modname, at, len);
		dw_cur_skip(&c, (uint64_t)len - 2);
		uint32_t cur_proc = depth ? stack[depth - 1].proc : UINT32_MAX;
		size_t   n;
		if (is_proc(kind) || kind == DW_PDB_S_THUNK32) {
			dw_pdb_proc pr;
			memset(&pr, 0, sizeof(pr));
			pr.kind = kind;
			pr.module = m->index;
			dw_cur_skip(&r, 12); // parent, end, next
			if (kind == DW_PDB_S_THUNK32) {
				pr.offset  = dw_cur_u32le(&r);
				pr.segment = dw_cur_u16le(&r);
				pr.size    = dw_cur_u16le(&r);
				(void)dw_cur_u8(&r); // ordinal
			} else {
				pr.size        = dw_cur_u32le(&r);
				pr.debug_start = dw_cur_u32le(&r);
				pr.debug_end   = dw_cur_u32le(&r);
				pr.type        = dw_cur_u32le(&r);
				pr.offset      = dw_cur_u32le(&r);
				pr.segment     = dw_cur_u16le(&r);
				pr.flags       = dw_cur_u8(&r);
			}
			pr.name = dw_cur_cstr(&r, SYM_MAX_NAME, &n);
			if (r.err != DW_OK)
				return dw_fail(&p->notes, DW_ECORRUPT,
				               "module %u (%s) symbols: procedure record at offset %zu is "
				               "malformed",
				               m->index, m->modname, at);
			pr.has_rva = dw_pdb__seg_rva(&pr.orig_rva, p, pr.segment, pr.offset) == DW_OK &&
			             dw_pdb_map_rva(&pr.rva, p, pr.orig_rva) == DW_OK;
			dw_pdb_proc *slot = dw_pdb__vec_push(&m->procs);
			if (slot == NULL)
				return dw_fail(&p->notes, DW_ELIMIT, "module %u (%s): too many procedures",
				               m->index, m->modname);
			*slot = pr;
			cur_proc = (uint32_t)(m->procs.n - 1);
		} else if (kind == DW_PDB_S_FRAMEPROC && cur_proc != UINT32_MAX) {
			dw_pdb_proc *pr = (dw_pdb_proc *)m->procs.items + cur_proc;
			dw_pdb_frameproc f;
			f.frame_bytes      = dw_cur_u32le(&r);
			f.pad_bytes        = dw_cur_u32le(&r);
			f.pad_offset       = dw_cur_u32le(&r);
			f.saved_regs_bytes = dw_cur_u32le(&r);
			f.eh_offset        = dw_cur_u32le(&r);
			f.eh_section       = dw_cur_u16le(&r);
			f.flags            = dw_cur_u32le(&r);
			if (r.err == DW_OK && !pr->has_frameproc) {
				pr->has_frameproc = true;
				pr->frameproc     = f;
			}
		} else if ((kind == DW_PDB_S_INLINESITE || kind == DW_PDB_S_INLINESITE2) &&
		           cur_proc != UINT32_MAX) {
			dw_pdb_inline in;
			memset(&in, 0, sizeof(in));
			dw_cur_skip(&r, 8); // parent, end
			in.inlinee = dw_cur_u32le(&r);
			if (kind == DW_PDB_S_INLINESITE2)
				(void)dw_cur_u32le(&r);
			size_t left        = dw_cur_left(&r);
			in.annotations     = dw_cur_bytes(&r, left);
			in.annotations_len = (uint32_t)left;
			in.proc            = cur_proc;
			uint32_t d = 0;
			for (size_t i = 0; i < depth; i++)
				d += stack[i].kind == 2;
			in.depth = d + 1;
			if (r.err == DW_OK) {
				dw_pdb_inline *slot = dw_pdb__vec_push(&m->inlines);
				if (slot == NULL)
					return dw_fail(&p->notes, DW_ELIMIT,
					               "module %u (%s): too many inline sites", m->index,
					               m->modname);
				*slot = in;
			}
		}
		if (kind == DW_PDB_S_BLOCK32 && cur_proc != UINT32_MAX) {
			dw_pdb_proc *pr = (dw_pdb_proc *)m->procs.items + cur_proc;
			pr->nblocks++;
		}
		if (opens_scope(kind)) {
			if (depth == DW_MAX_PDB_SCOPE_DEPTH)
				return dw_fail(&p->notes, DW_ELIMIT,
				               "module %u (%s) symbols: scopes nest deeper than %d at offset "
				               "%zu",
				               m->index, m->modname, DW_MAX_PDB_SCOPE_DEPTH, at);
			stack[depth].kind = is_proc(kind) || kind == DW_PDB_S_THUNK32 ? 0
			                    : kind == DW_PDB_S_BLOCK32                 ? 1
			                    : (kind == DW_PDB_S_INLINESITE || kind == DW_PDB_S_INLINESITE2)
			                        ? 2
			                        : 3;
			stack[depth].proc = cur_proc;
			depth++;
			if (cur_proc != UINT32_MAX) {
				dw_pdb_proc *pr = (dw_pdb_proc *)m->procs.items + cur_proc;
				uint32_t     pd = 0;
				for (size_t i = 0; i < depth; i++)
					pd += stack[i].proc == cur_proc;
				if (pd - 1 > pr->max_depth)
					pr->max_depth = pd - 1;
			}
		} else if (kind == DW_PDB_S_END || kind == DW_PDB_S_PROC_ID_END ||
		           kind == DW_PDB_S_INLINESITE_END) {
			if (depth == 0)
				return dw_fail(&p->notes, DW_ECORRUPT,
				               "module %u (%s) symbols: scope end at offset %zu without a "
				               "scope",
				               m->index, m->modname, at);
			depth--;
		}
	}
	return DW_OK;
}

// ---- C13 lines ----

static dw_err
read_checksums(mod_ctx *m, dw_cur *c)
{
	while (dw_cur_left(c) >= 6) {
		uint32_t at   = (uint32_t)c->off;
		uint32_t name = dw_cur_u32le(c);
		uint8_t  cb   = dw_cur_u8(c);
		(void)dw_cur_u8(c);
		dw_cur_skip(c, cb);
		size_t pad = (4 - (c->off & 3)) & 3;
		if (pad > dw_cur_left(c))
			pad = dw_cur_left(c);
		dw_cur_skip(c, pad);
		if (c->err != DW_OK)
			return dw_fail(&m->p->notes, DW_ETRUNC,
			               "module %u (%s) file checksums: entry at offset %u truncated",
			               m->index, m->modname, at);
		const char *s;
		if (dw_pdb_string(&s, m->p, name) != DW_OK)
			s = "";
		const char **fs = dw_pdb__vec_push(&m->files);
		uint32_t    *fo = dw_pdb__vec_push(&m->file_offs);
		if (fs == NULL || fo == NULL)
			return dw_fail(&m->p->notes, DW_ELIMIT, "module %u: too many files", m->index);
		*fs = s;
		*fo = at;
	}
	return DW_OK;
}

// File index of checksum offset `off`, or UINT32_MAX.
static uint32_t
file_index(const mod_ctx *m, uint32_t off)
{
	const uint32_t *fo = m->file_offs.items;
	size_t          lo = 0, hi = m->file_offs.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (fo[mid] == off)
			return (uint32_t)mid;
		if (fo[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return UINT32_MAX;
}

typedef struct raw_line {
	uint32_t offset, line, file;
	bool     stmt;
	size_t   seq; // position in the subsection: keeps the sort stable
} raw_line;

static int
raw_cmp(const void *a, const void *b)
{
	const raw_line *x = a, *y = b;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

typedef struct emit_arg {
	mod_ctx        *m;
	const raw_line *l;
	bool            full;
} emit_arg;

static void
emit_piece(uint32_t rva, uint32_t size, uint32_t delta, void *arg)
{
	(void)delta;
	emit_arg    *e = arg;
	dw_pdb_line *l = dw_pdb__vec_push(&e->m->lines);
	if (l == NULL) {
		e->full = true;
		return;
	}
	l->rva          = rva;
	l->size         = size;
	l->line         = e->l->line;
	l->file         = e->l->file;
	l->is_statement = e->l->stmt;
}

static dw_err
read_lines(mod_ctx *m, dw_cur *c)
{
	dw_pdb  *p   = m->p;
	uint32_t off = dw_cur_u32le(c);
	uint16_t seg = dw_cur_u16le(c);
	uint16_t flg = dw_cur_u16le(c);
	uint32_t cb  = dw_cur_u32le(c);
	if (c->err != DW_OK)
		return dw_fail(&p->notes, DW_ETRUNC, "module %u (%s) lines: header truncated", m->index,
		               m->modname);
	uint32_t base;
	if (dw_pdb__seg_rva(&base, p, seg, off) != DW_OK)
		return dw_fail(&p->notes, DW_ECORRUPT, "module %u (%s) lines: unknown section %u",
		               m->index, m->modname, seg);
	dw_pdb__vec raw;
	dw_pdb__vec_init(&raw, sizeof(raw_line), DW_MAX_PDB_RECORDS);
	dw_err rv = DW_OK;
	while (dw_cur_left(c) > 0 && rv == DW_OK) {
		size_t   at     = c->off;
		uint32_t fileid = dw_cur_u32le(c);
		uint32_t n      = dw_cur_u32le(c);
		uint32_t bsize  = dw_cur_u32le(c);
		size_t   per    = CV_LINE_SIZE + ((flg & CV_LINES_HAVE_COLUMNS) ? CV_COLUMN_SIZE : 0);
		dw_cur   blk;
		if (c->err != DW_OK || bsize < 12 ||
		    dw_cur_window(&blk, c, at + 12, (uint64_t)bsize - 12) != DW_OK ||
		    dw_cur_count(&blk, n, per, DW_MAX_PDB_RECORDS) != DW_OK) {
			rv = dw_fail(&p->notes, DW_ETRUNC,
			             "module %u (%s) lines: block at offset %zu (%u lines, %u bytes) "
			             "malformed",
			             m->index, m->modname, at, n, bsize);
			break;
		}
		dw_cur_skip(c, (uint64_t)bsize - 12);
		uint32_t fi = file_index(m, fileid);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t  lo = dw_cur_u32le(&blk);
			uint32_t  lf = dw_cur_u32le(&blk);
			raw_line *r  = dw_pdb__vec_push(&raw);
			if (r == NULL) {
				rv = dw_fail(&p->notes, DW_ELIMIT, "module %u: too many lines", m->index);
				break;
			}
			r->offset = lo;
			r->seq    = raw.n;
			r->line   = lf & 0xffffff;
			r->stmt   = (lf >> 31) & 1;
			r->file   = fi;
		}
	}
	raw_line *rl = raw.items;
	size_t    rn = raw.n;
	if (rn > 1)
		qsort(rl, rn, sizeof(*rl), raw_cmp);
	for (size_t i = 0; i < rn; i++) {
		// Several lines at one offset (a function's opening brace and its
		// first statement, say): all but the last get size 0, as DIA and
		// dump_syms report them. A line past the code size gets size 0 too.
		// In a reordered image each record goes through the OMAP range
		// rule (dw_pdb_map_range): a size-0 record lands at every image
		// address its original address went to.
		uint32_t end = i + 1 < rn ? rl[i + 1].offset : cb;
		emit_arg e   = {m, &rl[i], false};
		dw_pdb_map_range(p, base + rl[i].offset,
		                 end > rl[i].offset ? end - rl[i].offset : 0, true, emit_piece, &e);
		if (e.full) {
			rv = dw_fail(&p->notes, DW_ELIMIT, "module %u: too many lines", m->index);
			break;
		}
	}
	dw_pdb__vec_fini(&raw);
	return rv;
}

static dw_err
read_inlinee_lines(mod_ctx *m, dw_cur *c)
{
	uint32_t sig = dw_cur_u32le(c);
	while (dw_cur_left(c) >= 12) {
		dw_pdb_inlinee_line il;
		il.inlinee = dw_cur_u32le(c);
		il.file    = file_index(m, dw_cur_u32le(c));
		il.line    = dw_cur_u32le(c);
		if (sig == 1) {
			uint32_t extra = dw_cur_u32le(c);
			if (dw_cur_count(c, extra, 4, DW_MAX_PDB_RECORDS) != DW_OK)
				break;
			dw_cur_skip(c, (uint64_t)extra * 4);
		}
		if (c->err != DW_OK)
			break;
		dw_pdb_inlinee_line *slot = dw_pdb__vec_push(&m->inl_lines);
		if (slot == NULL)
			return dw_fail(&m->p->notes, DW_ELIMIT, "module %u: too many inlinee lines",
			               m->index);
		*slot = il;
	}
	if (c->err != DW_OK)
		return dw_fail(&m->p->notes, DW_ETRUNC, "module %u (%s) inlinee lines truncated",
		               m->index, m->modname);
	return DW_OK;
}

// Two passes: file checksums first, since line blocks name files by offset.
static dw_err
read_c13(mod_ctx *m, const dw_cur *c13)
{
	for (int pass = 0; pass < 2; pass++) {
		dw_cur c = *c13;
		while (dw_cur_left(&c) >= 8) {
			size_t   at   = c.off;
			uint32_t kind = dw_cur_u32le(&c);
			uint32_t len  = dw_cur_u32le(&c);
			dw_cur   body;
			if (dw_cur_window(&body, &c, c.off, len) != DW_OK) {
				if (pass == 0)
					dw_fail(&m->p->notes, DW_ETRUNC,
					        "module %u (%s) C13 subsection %#x at offset %zu: %u bytes past "
					        "the end",
					        m->index, m->modname, kind, at, len);
				break;
			}
			uint64_t next = c.off + (((uint64_t)len + 3) & ~(uint64_t)3);
			if (next > c.len)
				next = c.len;
			dw_cur_seek(&c, next);
			if (kind & DEBUG_S_IGNORE)
				continue;
			if (pass == 0 && kind == DEBUG_S_FILECHKSMS)
				read_checksums(m, &body);
			else if (pass == 1 && kind == DEBUG_S_LINES)
				read_lines(m, &body);
			else if (pass == 1 && kind == DEBUG_S_INLINEELINES)
				read_inlinee_lines(m, &body);
		}
	}
	return DW_OK;
}

// ---- inline annotations ----

// cvinfo.h CVUncompressData: 1, 2 or 4 bytes, big-endian, high bits tag.
static bool
ann_uint(dw_cur *c, uint32_t *out)
{
	uint8_t b = dw_cur_u8(c);
	if ((b & 0x80) == 0)
		*out = b;
	else if ((b & 0xc0) == 0x80)
		*out = ((uint32_t)(b & 0x3f) << 8) | dw_cur_u8(c);
	else if ((b & 0xe0) == 0xc0) {
		uint32_t v = (uint32_t)(b & 0x1f) << 24;
		v |= (uint32_t)dw_cur_u8(c) << 16;
		v |= (uint32_t)dw_cur_u8(c) << 8;
		v |= dw_cur_u8(c);
		*out = v;
	} else
		return false;
	return c->err == DW_OK;
}

static int32_t
ann_signed(uint32_t v)
{
	return (v & 1) ? -(int32_t)(v >> 1) : (int32_t)(v >> 1);
}

dw_err
dw_pdb_inline_decode(dw_pdb_inline_range **out, size_t *count, dw_pdb *p, const uint8_t *ann,
                     size_t len, uint32_t file, uint32_t line)
{
	*out   = NULL;
	*count = 0;
	dw_cur c;
	dw_cur_init(&c, ann, len);
	dw_pdb__vec v;
	dw_pdb__vec_init(&v, sizeof(dw_pdb_inline_range), DW_MAX_PDB_RECORDS);
	uint32_t offset = 0, pending_len = 0;
	int64_t  cur_line = line;
	bool     open = false, have_len = false;
	dw_err   rv = DW_OK;
	while (dw_cur_left(&c) > 0) {
		uint32_t op, a = 0, b = 0;
		if (!ann_uint(&c, &op)) {
			rv = DW_ECORRUPT;
			break;
		}
		if (op == 0) // padding
			break;
		if (op > 13 || !ann_uint(&c, &a) || (op == 12 && !ann_uint(&c, &b))) {
			rv = DW_ECORRUPT;
			break;
		}
		bool emit = false;
		switch (op) {
		case 1: offset = a; break;               // CodeOffset
		case 2: break;                           // ChangeCodeOffsetBase (segment)
		case 3: offset += a; emit = true; break; // ChangeCodeOffset
		case 4:                                  // ChangeCodeLength
			if (open) {
				dw_pdb_inline_range *last = (dw_pdb_inline_range *)v.items + v.n - 1;
				last->size = a;
				open       = false;
			}
			offset += a;
			break;
		case 5: file = a; break;                                   // ChangeFile
		case 6: cur_line += ann_signed(a); break;                  // ChangeLineOffset
		case 11:                                                   // ChangeCodeOffsetAndLineOffset
			cur_line += ann_signed(a >> 4);
			offset += a & 0xf;
			emit = true;
			break;
		case 12: // ChangeCodeLengthAndCodeOffset
			pending_len = a;
			have_len    = true;
			offset += b;
			emit = true;
			break;
		default: break; // line end, range kind, columns: not needed
		}
		if (emit) {
			if (open) {
				dw_pdb_inline_range *last = (dw_pdb_inline_range *)v.items + v.n - 1;
				last->size = offset > last->offset ? offset - last->offset : 0;
			}
			dw_pdb_inline_range *r = dw_pdb__vec_push(&v);
			if (r == NULL) {
				rv = DW_ELIMIT;
				break;
			}
			r->offset = offset;
			r->line   = cur_line > 0 && cur_line <= UINT32_MAX ? (uint32_t)cur_line : 0;
			r->file   = file;
			if (have_len) {
				r->size  = pending_len;
				have_len = false;
				open     = false;
			} else {
				open = true;
			}
		}
	}
	*out = dw_pdb__vec_finish(&v, &p->arena, count);
	return rv;
}

// ---- module entry point ----

static dw_err
load_module(dw_pdb *p, const dw_pdb_dbi *d, uint32_t index, dw_pdb_modsyms *ms)
{
	const dw_pdb_module *mod = &d->modules[index];
	mod_ctx              m;
	memset(&m, 0, sizeof(m));
	m.p       = p;
	m.index   = index;
	m.modname = mod->name;
	dw_pdb__vec_init(&m.procs, sizeof(dw_pdb_proc), DW_MAX_PDB_RECORDS);
	dw_pdb__vec_init(&m.inlines, sizeof(dw_pdb_inline), DW_MAX_PDB_RECORDS);
	dw_pdb__vec_init(&m.lines, sizeof(dw_pdb_line), DW_MAX_PDB_RECORDS);
	dw_pdb__vec_init(&m.files, sizeof(const char *), DW_MAX_PDB_FILE_REFS);
	dw_pdb__vec_init(&m.file_offs, sizeof(uint32_t), DW_MAX_PDB_FILE_REFS);
	dw_pdb__vec_init(&m.inl_lines, sizeof(dw_pdb_inlinee_line), DW_MAX_PDB_RECORDS);
	if (mod->sym_stream == DW_PDB_NO_STREAM)
		return DW_OK;
	dw_cur s;
	dw_err rv = dw_msf_stream(&s, p->msf, mod->sym_stream);
	if (rv != DW_OK)
		return dw_fail(&p->notes, rv, "module %u (%s): stream %u: %s", index, mod->name,
		               mod->sym_stream, dw_strerror(rv));
	dw_cur syms, c13;
	if (mod->sym_bytes < 4 || dw_cur_window(&syms, &s, 4, (uint64_t)mod->sym_bytes - 4) != DW_OK)
		rv = dw_fail(&p->notes, DW_ETRUNC,
		             "module %u (%s): %u symbol bytes do not fit stream %u (%zu bytes)", index,
		             mod->name, mod->sym_bytes, mod->sym_stream, s.len);
	else if (dw_get_u32le(s.base) != CV_SIGNATURE_C13)
		rv = dw_fail(&p->notes, DW_EUNSUPPORTED, "module %u (%s): symbol signature %u, not C13",
		             index, mod->name, dw_get_u32le(s.base));
	else
		read_symbols(&m, &syms);
	if (dw_cur_window(&c13, &s, (uint64_t)mod->sym_bytes + mod->c11_bytes, mod->c13_bytes) ==
	    DW_OK)
		read_c13(&m, &c13);
	else
		dw_fail(&p->notes, DW_ETRUNC, "module %u (%s): C13 lines (%u bytes) past stream %u",
		        index, mod->name, mod->c13_bytes, mod->sym_stream);

	// Attach decoded ranges to inline sites and index them from procedures.
	dw_pdb_inline *in = m.inlines.items;
	dw_pdb_proc   *pr = m.procs.items;
	const dw_pdb_inlinee_line *il = m.inl_lines.items;
	for (size_t i = 0; i < m.inlines.n; i++) {
		uint32_t file = UINT32_MAX, line = 0;
		for (size_t k = 0; k < m.inl_lines.n; k++)
			if (il[k].inlinee == in[i].inlinee) {
				file = il[k].file;
				line = il[k].line;
				break;
			}
		dw_pdb_inline_range *r;
		if (dw_pdb_inline_decode(&r, &in[i].nranges, p, in[i].annotations,
		                         in[i].annotations_len, file, line) != DW_OK)
			dw_fail(&p->notes, DW_ECORRUPT, "module %u (%s): inline site %zu annotations malformed",
			        index, mod->name, i);
		in[i].ranges = r;
		dw_pdb_proc *owner = &pr[in[i].proc];
		if (owner->ninlines == 0)
			owner->first_inline = (uint32_t)i;
		owner->ninlines++;
	}
	ms->procs         = dw_pdb__vec_finish(&m.procs, &p->arena, &ms->nprocs);
	ms->inlines       = dw_pdb__vec_finish(&m.inlines, &p->arena, &ms->ninlines);
	ms->lines         = dw_pdb__vec_finish(&m.lines, &p->arena, &ms->nlines);
	ms->files         = dw_pdb__vec_finish(&m.files, &p->arena, &ms->nfiles);
	ms->file_offsets  = dw_pdb__vec_finish(&m.file_offs, &p->arena, &ms->nfiles);
	ms->inlinee_lines = dw_pdb__vec_finish(&m.inl_lines, &p->arena, &ms->ninlinee_lines);
	return rv;
}

dw_err
dw_pdb_get_module(const dw_pdb_modsyms **out, dw_pdb *p, size_t index)
{
	*out = NULL;
	const dw_pdb_dbi *d;
	dw_err            rv = dw_pdb_get_dbi(&d, p);
	if (rv != DW_OK)
		return rv;
	if (index >= d->nmodules)
		return DW_ENOTFOUND;
	if (p->mods[index] == NULL) {
		dw_pdb_modsyms *ms = dw_arena_alloc(&p->arena, sizeof(*ms));
		if (ms == NULL)
			return DW_ENOMEM;
		p->mod_errs[index] = load_module(p, d, (uint32_t)index, ms);
		p->mods[index]     = ms;
	}
	*out = p->mods[index];
	return DW_OK;
}
