// symbols/breakpad_sym.c - the Breakpad .sym text reader.
//
// Format reference: Breakpad's docs/symbol_files.md. One pass over the text
// splits lines with memchr and reads fixed fields with the small field reader
// below (every read checks the line's end; the text is never indexed outside
// [text, text+len)). Records go into growable scratch vectors first, are sorted,
// and are then copied into the result's arena with their sub-arrays (lines and
// inlines of a FUNC, rules and deltas of a STACK CFI INIT) laid out contiguously.
#include "symbols/breakpad_sym.h"

#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/limits.h"
#include "common/mapfile.h"

struct dw_sym {
	dw_arena      arena;
	dw_notes      notes;
	dw_sym_module module;
	dw_sym_stats  stats;
	dw_sym_info  *infos;
	size_t        ninfos;
	dw_sym_file  *files;
	size_t        nfiles;
	dw_sym_origin *origins;
	size_t         norigins;
	dw_sym_func   *funcs;
	size_t         nfuncs;
	dw_sym_public *publics;
	size_t         npublics;
	dw_sym_win    *wins;
	size_t         nwins;
	uint64_t       win_max_size; // largest code_size, bounds dw_sym_win_find
	dw_sym_cfi    *cfis;
	size_t         ncfis;
};

// ---- Scratch vectors ----------------------------------------------------

typedef struct vec {
	char  *p;
	size_t n;   // elements
	size_t cap; // elements
} vec;

static void *
vec_push(vec *v, size_t elem)
{
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 64;
		if (ncap > SIZE_MAX / elem)
			return NULL;
		char *np = realloc(v->p, ncap * elem);
		if (np == NULL)
			return NULL;
		v->p   = np;
		v->cap = ncap;
	}
	void *e = v->p + v->n * elem;
	v->n++;
	memset(e, 0, elem);
	return e;
}

#define VEC_AT(v, type, i) (((type *)(v).p)[i])

// Scratch records: the public record plus what is needed to sort stably and
// to find sub-arrays in the shared vectors.
typedef struct p_file {
	dw_sym_file r;
	uint32_t    seq;
} p_file;
typedef struct p_origin {
	dw_sym_origin r;
	uint32_t      seq;
} p_origin;
typedef struct p_func {
	dw_sym_func r;
	size_t      line0; // first of r.nlines in the lines vector
	size_t      inl0;  // first of r.ninlines in the inlines vector
} p_func;
typedef struct p_inline {
	dw_sym_inline r;
	size_t        range0;
} p_inline;
typedef struct p_public {
	dw_sym_public r;
	uint32_t      seq;
} p_public;
typedef struct p_win {
	dw_sym_win r;
	uint32_t   seq;
} p_win;
typedef struct p_cfi {
	dw_sym_cfi r;
	size_t     rule0;
	size_t     delta0;
} p_cfi;
typedef struct p_delta {
	dw_sym_cfi_delta r;
	size_t           rule0;
	uint32_t         seq;
} p_delta;

// A small intern table for CFI register names: ".cfa", ".ra", "$rsp" ... repeat
// on every record, and a lookup is cheaper than an arena copy each time.
#define REG_CACHE 64

typedef struct parser {
	dw_sym  *s;
	uint32_t lineno;
	bool     oom;
	vec      infos, files, origins, funcs, lines, inlines, ranges, publics, wins, cfis,
	    deltas, rules;
	bool        have_func; // line and INLINE records attach to the last FUNC
	bool        have_cfi;  // STACK CFI deltas attach to the last INIT
	const char *regs[REG_CACHE];
	size_t      reglen[REG_CACHE];
	size_t      nregs;
} parser;

// ---- Field reader -------------------------------------------------------
//
// Fields are separated by one space. `more` says whether another field starts
// at p (we are at the start, or just stepped over a separator), which is how
// "FUNC 1000 10 0" (no name: bad) differs from "FUNC 1000 10 0 " (empty name).

typedef struct fld {
	const char *p;
	const char *end;
	bool        more;
} fld;

static const signed char hexval[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
    ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
    ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
    ['F'] = 16,
}; // digit value + 1; 0 = not a hex digit

static void
fld_step(fld *f, const char *q)
{
	if (q < f->end) { // q points at the separating space
		f->p    = q + 1;
		f->more = true;
	} else {
		f->p    = q;
		f->more = false;
	}
}

// f_hex reads one hexadecimal field of at most `maxbits` bits. Returns NULL or
// what was wrong.
static const char *
f_hex(fld *f, uint64_t *out, unsigned maxbits)
{
	if (!f->more)
		return "missing field";
	const char *q = f->p;
	uint64_t    v = 0;
	unsigned    n = 0;
	while (q < f->end && *q != ' ') {
		int d = hexval[(unsigned char)*q] - 1;
		if (d < 0)
			return "bad hex number";
		if (v >> (maxbits - 4) != 0)
			return "number too large";
		v = (v << 4) | (uint64_t)d;
		n++;
		q++;
	}
	if (n == 0)
		return "empty field";
	fld_step(f, q);
	*out = v;
	return NULL;
}

static const char *
f_dec(fld *f, uint64_t *out, uint64_t max)
{
	if (!f->more)
		return "missing field";
	const char *q = f->p;
	uint64_t    v = 0;
	unsigned    n = 0;
	while (q < f->end && *q != ' ') {
		unsigned d = (unsigned)(unsigned char)*q - '0';
		if (d > 9)
			return "bad decimal number";
		if (v > (max - d) / 10)
			return "number too large";
		v = v * 10 + d;
		n++;
		q++;
	}
	if (n == 0)
		return "empty field";
	fld_step(f, q);
	*out = v;
	return NULL;
}

// f_word reads a field up to the next space (non-empty).
static const char *
f_word(fld *f, const char **out, size_t *outlen)
{
	if (!f->more)
		return "missing field";
	const char *q = memchr(f->p, ' ', (size_t)(f->end - f->p));
	if (q == NULL)
		q = f->end;
	if (q == f->p)
		return "empty field";
	*out    = f->p;
	*outlen = (size_t)(q - f->p);
	fld_step(f, q);
	return NULL;
}

// f_rest takes everything left (possibly empty, spaces included).
static const char *
f_rest(fld *f, const char **out, size_t *outlen)
{
	if (!f->more)
		return "missing field";
	*out    = f->p;
	*outlen = (size_t)(f->end - f->p);
	f->p    = f->end;
	f->more = false;
	return NULL;
}

static const char *
f_end(const fld *f)
{
	return f->more || f->p != f->end ? "trailing text" : NULL;
}

// ---- Helpers --------------------------------------------------------------

static bool
bad(parser *ps, const char *rec, const char *field, const char *why)
{
	ps->s->stats.bad_lines++;
	dw_fail(&ps->s->notes, DW_ECORRUPT, "line %u: %s%s%s: %s", ps->lineno, rec,
	    field ? " " : "", field ? field : "", why);
	return false;
}

static const char *
dup(parser *ps, const char *p, size_t n)
{
	char *c = dw_arena_strndup(&ps->s->arena, p, n);
	if (c == NULL)
		ps->oom = true;
	return c;
}

static void *
push(parser *ps, vec *v, size_t elem)
{
	void *e = vec_push(v, elem);
	if (e == NULL)
		ps->oom = true;
	return e;
}

static const char *
intern_reg(parser *ps, const char *p, size_t n)
{
	for (size_t i = 0; i < ps->nregs; i++)
		if (ps->reglen[i] == n && memcmp(ps->regs[i], p, n) == 0)
			return ps->regs[i];
	const char *c = dup(ps, p, n);
	if (c != NULL && ps->nregs < REG_CACHE) {
		ps->regs[ps->nregs]   = c;
		ps->reglen[ps->nregs] = n;
		ps->nregs++;
	}
	return c;
}

#define TRY(rec, field, expr)                               \
	do {                                                \
		const char *why_ = (expr);                  \
		if (why_ != NULL)                           \
			return bad(ps, (rec), (field), why_); \
	} while (0)

// ---- Records --------------------------------------------------------------

static bool
parse_module(parser *ps, fld *f)
{
	const char *os, *arch, *id, *name;
	size_t      nos, narch, nid, nname;
	TRY("MODULE", "os", f_word(f, &os, &nos));
	TRY("MODULE", "arch", f_word(f, &arch, &narch));
	TRY("MODULE", "id", f_word(f, &id, &nid));
	TRY("MODULE", "name", f_rest(f, &name, &nname));
	if (ps->s->module.os != NULL)
		return bad(ps, "MODULE", NULL, "second MODULE record");
	dw_sym_module *m = &ps->s->module;
	m->os            = dup(ps, os, nos);
	m->arch          = dup(ps, arch, narch);
	m->id            = dup(ps, id, nid);
	m->name          = dup(ps, name, nname);
	ps->s->stats.modules++;
	return true;
}

static bool
parse_info(parser *ps, fld *f)
{
	const char *key, *val = "";
	size_t      nkey, nval = 0;
	TRY("INFO", "key", f_word(f, &key, &nkey));
	if (f->more)
		f_rest(f, &val, &nval);
	dw_sym_info *r = push(ps, &ps->infos, sizeof(*r));
	if (r == NULL)
		return false;
	r->key   = dup(ps, key, nkey);
	r->value = dup(ps, val, nval);
	ps->s->stats.infos++;
	return true;
}

static bool
parse_file(parser *ps, fld *f, bool origin)
{
	const char *rec = origin ? "INLINE_ORIGIN" : "FILE";
	uint64_t    id;
	const char *name;
	size_t      nname;
	TRY(rec, "id", f_dec(f, &id, UINT64_MAX));
	TRY(rec, "name", f_rest(f, &name, &nname));
	if (origin) {
		p_origin *r = push(ps, &ps->origins, sizeof(*r));
		if (r == NULL)
			return false;
		r->r.id   = id;
		r->r.name = dup(ps, name, nname);
		r->seq    = ps->lineno;
	} else {
		p_file *r = push(ps, &ps->files, sizeof(*r));
		if (r == NULL)
			return false;
		r->r.id   = id;
		r->r.name = dup(ps, name, nname);
		r->seq    = ps->lineno;
	}
	return true;
}

static bool
parse_multiple(fld *f)
{
	if (f->more && f->end - f->p >= 2 && f->p[0] == 'm' && f->p[1] == ' ') {
		f->p += 2;
		return true;
	}
	return false;
}

static bool
parse_func(parser *ps, fld *f)
{
	uint64_t    addr, size, psize;
	const char *name;
	size_t      nname;
	bool        m = parse_multiple(f);
	TRY("FUNC", "address", f_hex(f, &addr, 64));
	TRY("FUNC", "size", f_hex(f, &size, 64));
	TRY("FUNC", "parameter size", f_hex(f, &psize, 64));
	TRY("FUNC", "name", f_rest(f, &name, &nname));
	if (size > UINT64_MAX - addr)
		return bad(ps, "FUNC", "size", "range wraps past the end of the address space");
	p_func *r = push(ps, &ps->funcs, sizeof(*r));
	if (r == NULL)
		return false;
	r->r.addr       = addr;
	r->r.size       = size;
	r->r.param_size = psize;
	r->r.multiple   = m;
	r->r.text_line  = ps->lineno;
	r->r.name       = dup(ps, name, nname);
	r->line0        = ps->lines.n;
	r->inl0         = ps->inlines.n;
	ps->have_func   = true;
	return true;
}

static bool
parse_line(parser *ps, fld *f)
{
	uint64_t addr, size, line, file;
	TRY("line record", "address", f_hex(f, &addr, 64));
	TRY("line record", "size", f_hex(f, &size, 64));
	TRY("line record", "line", f_dec(f, &line, UINT32_MAX));
	TRY("line record", "file", f_dec(f, &file, UINT64_MAX));
	TRY("line record", NULL, f_end(f));
	if (size > UINT64_MAX - addr)
		return bad(ps, "line record", "size", "range wraps past the end of the address space");
	if (!ps->have_func)
		return bad(ps, "line record", NULL, "no FUNC before it");
	dw_sym_line *r = push(ps, &ps->lines, sizeof(*r));
	if (r == NULL)
		return false;
	r->addr = addr;
	r->size = size;
	r->line = (uint32_t)line;
	r->file = file;
	VEC_AT(ps->funcs, p_func, ps->funcs.n - 1).r.nlines++;
	return true;
}

static bool
parse_inline(parser *ps, fld *f)
{
	uint64_t depth, cline, cfile, origin;
	TRY("INLINE", "depth", f_dec(f, &depth, UINT32_MAX));
	TRY("INLINE", "call line", f_dec(f, &cline, UINT32_MAX));
	TRY("INLINE", "call file", f_dec(f, &cfile, UINT64_MAX));
	TRY("INLINE", "origin", f_dec(f, &origin, UINT64_MAX));
	if (!f->more)
		return bad(ps, "INLINE", "ranges", "missing field");
	if (!ps->have_func)
		return bad(ps, "INLINE", NULL, "no FUNC before it");
	size_t range0 = ps->ranges.n, n = 0;
	while (f->more) {
		uint64_t addr, size;
		const char *why = f_hex(f, &addr, 64);
		if (why == NULL)
			why = f_hex(f, &size, 64);
		if (why == NULL && size > UINT64_MAX - addr)
			why = "range wraps past the end of the address space";
		if (why != NULL) {
			ps->ranges.n = range0; // drop this record's ranges
			return bad(ps, "INLINE", "range", why);
		}
		dw_sym_range *r = push(ps, &ps->ranges, sizeof(*r));
		if (r == NULL)
			return false;
		r->addr = addr;
		r->size = size;
		n++;
	}
	p_inline *r = push(ps, &ps->inlines, sizeof(*r));
	if (r == NULL)
		return false;
	r->r.depth     = (uint32_t)depth;
	r->r.call_line = (uint32_t)cline;
	r->r.call_file = cfile;
	r->r.origin    = origin;
	r->r.nranges   = n;
	r->range0      = range0;
	VEC_AT(ps->funcs, p_func, ps->funcs.n - 1).r.ninlines++;
	return true;
}

static bool
parse_public(parser *ps, fld *f)
{
	uint64_t    addr, psize;
	const char *name;
	size_t      nname;
	bool        m = parse_multiple(f);
	TRY("PUBLIC", "address", f_hex(f, &addr, 64));
	TRY("PUBLIC", "parameter size", f_hex(f, &psize, 64));
	TRY("PUBLIC", "name", f_rest(f, &name, &nname));
	p_public *r = push(ps, &ps->publics, sizeof(*r));
	if (r == NULL)
		return false;
	r->r.addr       = addr;
	r->r.param_size = psize;
	r->r.multiple   = m;
	r->r.name       = dup(ps, name, nname);
	r->seq          = ps->lineno;
	return true;
}

static bool
parse_win(parser *ps, fld *f)
{
	uint64_t v[10], flag;
	static const char *const names[10] = {"type", "rva", "code size", "prolog size",
	    "epilog size", "parameter size", "saved register size", "local size",
	    "max stack size", "has program string"};
	for (int i = 0; i < 10; i++) {
		unsigned bits = (i == 1 || i == 2) ? 64 : 32;
		TRY("STACK WIN", names[i], f_hex(f, &v[i], bits));
	}
	// Windows' StackFrameTypeEnum: FPO, TRAP, TSS, STANDARD, FRAMEDATA.
	if (v[0] > 4)
		return bad(ps, "STACK WIN", "type", "unknown frame type");
	if (v[2] > UINT64_MAX - v[1])
		return bad(ps, "STACK WIN", "code size", "range wraps past the end of the address space");
	if (v[9] > 1)
		return bad(ps, "STACK WIN", "has program string", "not 0 or 1");
	const char *prog = NULL;
	size_t      nprog = 0;
	if (v[9]) {
		TRY("STACK WIN", "program string", f_rest(f, &prog, &nprog));
		if (nprog == 0)
			return bad(ps, "STACK WIN", "program string", "empty");
		flag = 0;
	} else {
		TRY("STACK WIN", "allocates base pointer", f_hex(f, &flag, 32));
		TRY("STACK WIN", NULL, f_end(f));
		if (flag > 1)
			return bad(ps, "STACK WIN", "allocates base pointer", "not 0 or 1");
	}
	p_win *r = push(ps, &ps->wins, sizeof(*r));
	if (r == NULL)
		return false;
	r->r.type                   = (uint32_t)v[0];
	r->r.rva                    = v[1];
	r->r.code_size              = v[2];
	r->r.prolog_size            = (uint32_t)v[3];
	r->r.epilog_size            = (uint32_t)v[4];
	r->r.param_size             = (uint32_t)v[5];
	r->r.saved_regs_size        = (uint32_t)v[6];
	r->r.locals_size            = (uint32_t)v[7];
	r->r.max_stack_size         = (uint32_t)v[8];
	r->r.has_program            = v[9] != 0;
	r->r.allocates_base_pointer = flag != 0;
	r->r.program                = prog ? dup(ps, prog, nprog) : NULL;
	r->seq                      = ps->lineno;
	return true;
}

// parse_rules reads "<reg>: <expr...> <reg>: <expr...>" into the rules vector.
// Tokens are split on runs of spaces; each expression keeps its text verbatim
// from its first to its last token. Returns the count, or (size_t)-1 with *why.
static size_t
parse_rules(parser *ps, fld *f, const char **why)
{
	size_t      rule0 = ps->rules.n, n = 0;
	const char *p = f->more ? f->p : f->end, *end = f->end;
	const char *expr0 = NULL, *expr1 = NULL;
	dw_sym_cfi_rule *cur = NULL;
	for (;;) {
		while (p < end && *p == ' ')
			p++;
		const char *t0 = p;
		while (p < end && *p != ' ')
			p++;
		size_t tl = (size_t)(p - t0);
		bool   is_reg = tl > 0 && t0[tl - 1] == ':';
		if (tl == 0 || is_reg) { // end of the current expression
			if (cur != NULL) {
				if (expr0 == NULL) {
					*why = "register without an expression";
					goto fail;
				}
				cur->expr = dup(ps, expr0, (size_t)(expr1 - expr0));
			}
			if (tl == 0)
				break;
			if (tl == 1) {
				*why = "empty register name";
				goto fail;
			}
			cur = push(ps, &ps->rules, sizeof(*cur));
			if (cur == NULL)
				goto oom;
			cur->reg = intern_reg(ps, t0, tl - 1);
			expr0 = expr1 = NULL;
			n++;
			continue;
		}
		if (cur == NULL) {
			*why = "expression before any register";
			goto fail;
		}
		if (expr0 == NULL)
			expr0 = t0;
		expr1 = p;
	}
	if (n == 0) {
		*why = "no rules";
		goto fail;
	}
	return n;
fail:
	ps->rules.n = rule0;
	return (size_t)-1;
oom:
	ps->rules.n = rule0;
	*why        = NULL;
	return (size_t)-1;
}

static bool
parse_cfi(parser *ps, fld *f, bool init)
{
	const char *rec = init ? "STACK CFI INIT" : "STACK CFI";
	uint64_t    addr, size = 0;
	TRY(rec, "address", f_hex(f, &addr, 64));
	if (init) {
		TRY(rec, "size", f_hex(f, &size, 64));
		if (size > UINT64_MAX - addr)
			return bad(ps, rec, "size", "range wraps past the end of the address space");
	} else if (!ps->have_cfi) {
		return bad(ps, rec, NULL, "no STACK CFI INIT before it");
	}
	size_t      rule0 = ps->rules.n;
	const char *why   = NULL;
	size_t      n     = parse_rules(ps, f, &why);
	if (n == (size_t)-1)
		return why ? bad(ps, rec, "rules", why) : false;
	if (init) {
		p_cfi *r = push(ps, &ps->cfis, sizeof(*r));
		if (r == NULL)
			return false;
		r->r.addr    = addr;
		r->r.size    = size;
		r->r.nrules  = n;
		r->rule0     = rule0;
		r->delta0    = ps->deltas.n;
		ps->have_cfi = true;
	} else {
		p_delta *r = push(ps, &ps->deltas, sizeof(*r));
		if (r == NULL)
			return false;
		r->r.addr   = addr;
		r->r.nrules = n;
		r->rule0    = rule0;
		r->seq      = ps->lineno;
		VEC_AT(ps->cfis, p_cfi, ps->cfis.n - 1).r.ndeltas++;
	}
	return true;
}

static bool
starts(const fld *f, const char *kw, size_t n)
{
	return (size_t)(f->end - f->p) >= n && memcmp(f->p, kw, n) == 0;
}

// parse_line_text dispatches one line (without its line ending).
static void
parse_one(parser *ps, const char *p, size_t n)
{
	fld f = {p, p + n, true};
	if (n == 0) {
		ps->s->stats.blank++;
		return;
	}
	if (memchr(p, '\0', n) != NULL) {
		bad(ps, "line", NULL, "contains a NUL byte");
		return;
	}
	bool ok;
	switch (p[0]) {
	case 'F':
		if (starts(&f, "FUNC ", 5)) {
			f.p += 5;
			ps->have_cfi = false;
			if (!parse_func(ps, &f))
				ps->have_func = false;
			return;
		}
		if (starts(&f, "FILE ", 5)) {
			f.p += 5;
			parse_file(ps, &f, false);
			return;
		}
		break;
	case 'P':
		if (starts(&f, "PUBLIC ", 7)) {
			f.p += 7;
			ps->have_func = false;
			parse_public(ps, &f);
			return;
		}
		break;
	case 'S':
		if (starts(&f, "STACK WIN ", 10)) {
			f.p += 10;
			ps->have_func = false;
			parse_win(ps, &f);
			return;
		}
		if (starts(&f, "STACK CFI INIT ", 15)) {
			f.p += 15;
			ps->have_func = false;
			if (!parse_cfi(ps, &f, true))
				ps->have_cfi = false;
			return;
		}
		if (starts(&f, "STACK CFI ", 10)) {
			f.p += 10;
			ps->have_func = false;
			parse_cfi(ps, &f, false);
			return;
		}
		break;
	case 'M':
		if (starts(&f, "MODULE ", 7)) {
			f.p += 7;
			ps->have_func = ps->have_cfi = false;
			parse_module(ps, &f);
			return;
		}
		break;
	case 'I':
		if (starts(&f, "INFO ", 5)) {
			f.p += 5;
			parse_info(ps, &f);
			return;
		}
		if (starts(&f, "INLINE_ORIGIN ", 14)) {
			f.p += 14;
			parse_file(ps, &f, true);
			return;
		}
		if (starts(&f, "INLINE ", 7)) {
			f.p += 7;
			ok = parse_inline(ps, &f);
			if (ok)
				ps->s->stats.inlines++;
			return;
		}
		break;
	default:
		break;
	}
	// A line record starts with a hex address; anything else is unknown
	// ("BOGUS" starts with a hex digit but is not a number).
	size_t k = 0;
	while (k < n && hexval[(unsigned char)p[k]] != 0)
		k++;
	if (k > 0 && (k == n || p[k] == ' ')) {
		if (parse_line(ps, &f))
			ps->s->stats.line_recs++;
		return;
	}
	bad(ps, "line", NULL, "unknown record type");
}

// ---- Sorting and publishing -------------------------------------------------

static int
cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int
cmp_file(const void *a, const void *b)
{
	const p_file *x = a, *y = b;
	int           c = cmp_u64(x->r.id, y->r.id);
	return c ? c : cmp_u64(x->seq, y->seq);
}
static int
cmp_origin(const void *a, const void *b)
{
	const p_origin *x = a, *y = b;
	int             c = cmp_u64(x->r.id, y->r.id);
	return c ? c : cmp_u64(x->seq, y->seq);
}
static int
cmp_func(const void *a, const void *b)
{
	const p_func *x = a, *y = b;
	int           c = cmp_u64(x->r.addr, y->r.addr);
	return c ? c : cmp_u64(x->r.text_line, y->r.text_line);
}
static int
cmp_line(const void *a, const void *b)
{
	const dw_sym_line *x = a, *y = b;
	int                c = cmp_u64(x->addr, y->addr);
	// Ties keep file order only as far as qsort allows; lines at one address
	// carry the same meaning for lookups, so either order is acceptable.
	return c;
}
static int
cmp_public(const void *a, const void *b)
{
	const p_public *x = a, *y = b;
	int             c = cmp_u64(x->r.addr, y->r.addr);
	return c ? c : cmp_u64(x->seq, y->seq);
}
static int
cmp_win(const void *a, const void *b)
{
	const p_win *x = a, *y = b;
	int          c = cmp_u64(x->r.rva, y->r.rva);
	return c ? c : cmp_u64(x->seq, y->seq);
}
static int
cmp_cfi(const void *a, const void *b)
{
	const p_cfi *x = a, *y = b;
	return cmp_u64(x->r.addr, y->r.addr);
}
static int
cmp_delta(const void *a, const void *b)
{
	const p_delta *x = a, *y = b;
	int            c = cmp_u64(x->r.addr, y->r.addr);
	return c ? c : cmp_u64(x->seq, y->seq);
}

static bool
sorted_by(const vec *v, size_t elem, int (*cmp)(const void *, const void *))
{
	for (size_t i = 1; i < v->n; i++)
		if (cmp(v->p + (i - 1) * elem, v->p + i * elem) > 0)
			return false;
	return true;
}

static void
sort_vec(vec *v, size_t elem, int (*cmp)(const void *, const void *))
{
	// .sym files are usually written in address order already.
	if (!sorted_by(v, elem, cmp))
		qsort(v->p, v->n, elem, cmp);
}

static void
note_dropped(parser *ps, const char *rec, uint32_t line, const char *why)
{
	ps->s->stats.bad_lines++;
	dw_fail(&ps->s->notes, DW_ECORRUPT, "line %u: %s: %s", line, rec, why);
}

// copy is memcpy that allows an empty (NULL) source.
static void
copy(void *dst, const void *src, size_t n)
{
	if (n > 0)
		memcpy(dst, src, n);
}

static dw_err
publish(parser *ps)
{
	dw_sym   *s = ps->s;
	dw_arena *a = &s->arena;

	s->infos  = dw_arena_array(a, ps->infos.n, sizeof(dw_sym_info));
	s->ninfos = ps->infos.n;
	if (s->infos == NULL)
		return DW_ENOMEM;
	copy(s->infos, ps->infos.p, ps->infos.n * sizeof(dw_sym_info));

	// FILE and INLINE_ORIGIN: sorted by id, a repeated id dropped.
	sort_vec(&ps->files, sizeof(p_file), cmp_file);
	s->files = dw_arena_array(a, ps->files.n, sizeof(dw_sym_file));
	if (s->files == NULL)
		return DW_ENOMEM;
	for (size_t i = 0; i < ps->files.n; i++) {
		const p_file *f = &VEC_AT(ps->files, p_file, i);
		if (s->nfiles > 0 && s->files[s->nfiles - 1].id == f->r.id) {
			note_dropped(ps, "FILE", f->seq, "id already used");
			continue;
		}
		s->files[s->nfiles++] = f->r;
	}
	s->stats.files = s->nfiles;
	sort_vec(&ps->origins, sizeof(p_origin), cmp_origin);
	s->origins = dw_arena_array(a, ps->origins.n, sizeof(dw_sym_origin));
	if (s->origins == NULL)
		return DW_ENOMEM;
	for (size_t i = 0; i < ps->origins.n; i++) {
		const p_origin *f = &VEC_AT(ps->origins, p_origin, i);
		if (s->norigins > 0 && s->origins[s->norigins - 1].id == f->r.id) {
			note_dropped(ps, "INLINE_ORIGIN", f->seq, "id already used");
			continue;
		}
		s->origins[s->norigins++] = f->r;
	}
	s->stats.origins = s->norigins;

	// FUNC: sorted by address, with its lines (sorted) and inlines copied
	// behind it. An overlapping FUNC is dropped with its lines: two functions
	// claiming one address make every lookup there a guess.
	sort_vec(&ps->funcs, sizeof(p_func), cmp_func);
	dw_sym_line   *lines   = dw_arena_array(a, ps->lines.n, sizeof(dw_sym_line));
	dw_sym_inline *inlines = dw_arena_array(a, ps->inlines.n, sizeof(dw_sym_inline));
	dw_sym_range  *ranges  = dw_arena_array(a, ps->ranges.n, sizeof(dw_sym_range));
	s->funcs               = dw_arena_array(a, ps->funcs.n, sizeof(dw_sym_func));
	if (lines == NULL || inlines == NULL || ranges == NULL || s->funcs == NULL)
		return DW_ENOMEM;
	copy(ranges, ps->ranges.p, ps->ranges.n * sizeof(dw_sym_range));
	size_t   nl = 0, ni = 0;
	uint64_t prev_end = 0;
	for (size_t i = 0; i < ps->funcs.n; i++) {
		const p_func *f = &VEC_AT(ps->funcs, p_func, i);
		if (s->nfuncs > 0 && f->r.addr < prev_end) {
			note_dropped(ps, "FUNC", f->r.text_line, "overlaps an earlier function");
			continue;
		}
		dw_sym_func *o = &s->funcs[s->nfuncs++];
		*o             = f->r;
		prev_end       = f->r.addr + f->r.size;
		o->lines       = lines + nl;
		copy(lines + nl, ps->lines.p + f->line0 * sizeof(dw_sym_line),
		    f->r.nlines * sizeof(dw_sym_line));
		if (o->nlines > 1) {
			bool ok = true;
			for (size_t k = 1; k < o->nlines && ok; k++)
				ok = lines[nl + k - 1].addr <= lines[nl + k].addr;
			if (!ok)
				qsort(lines + nl, o->nlines, sizeof(dw_sym_line), cmp_line);
		}
		nl += o->nlines;
		o->inlines = inlines + ni;
		for (size_t k = 0; k < f->r.ninlines; k++) {
			const p_inline *pi = &VEC_AT(ps->inlines, p_inline, f->inl0 + k);
			inlines[ni + k]    = pi->r;
			inlines[ni + k].ranges = ranges + pi->range0;
		}
		ni += o->ninlines;
	}
	s->stats.funcs     = s->nfuncs;
	s->stats.line_recs = nl;
	s->stats.inlines   = ni;

	sort_vec(&ps->publics, sizeof(p_public), cmp_public);
	s->publics  = dw_arena_array(a, ps->publics.n, sizeof(dw_sym_public));
	s->npublics = ps->publics.n;
	if (s->publics == NULL)
		return DW_ENOMEM;
	for (size_t i = 0; i < ps->publics.n; i++)
		s->publics[i] = VEC_AT(ps->publics, p_public, i).r;
	s->stats.publics = s->npublics;

	sort_vec(&ps->wins, sizeof(p_win), cmp_win);
	s->wins  = dw_arena_array(a, ps->wins.n, sizeof(dw_sym_win));
	s->nwins = ps->wins.n;
	if (s->wins == NULL)
		return DW_ENOMEM;
	for (size_t i = 0; i < ps->wins.n; i++) {
		s->wins[i] = VEC_AT(ps->wins, p_win, i).r;
		if (s->wins[i].code_size > s->win_max_size)
			s->win_max_size = s->wins[i].code_size;
	}
	s->stats.wins = s->nwins;

	// STACK CFI: INIT records sorted by address; each one's deltas sorted
	// within it. Rules are shared storage in file order.
	dw_sym_cfi_rule  *rules  = dw_arena_array(a, ps->rules.n, sizeof(dw_sym_cfi_rule));
	dw_sym_cfi_delta *deltas = dw_arena_array(a, ps->deltas.n, sizeof(dw_sym_cfi_delta));
	s->cfis                  = dw_arena_array(a, ps->cfis.n, sizeof(dw_sym_cfi));
	if (rules == NULL || deltas == NULL || s->cfis == NULL)
		return DW_ENOMEM;
	copy(rules, ps->rules.p, ps->rules.n * sizeof(dw_sym_cfi_rule));
	for (size_t i = 0; i < ps->cfis.n; i++) {
		p_cfi *c = &VEC_AT(ps->cfis, p_cfi, i);
		if (c->r.ndeltas > 1)
			qsort(&VEC_AT(ps->deltas, p_delta, c->delta0), c->r.ndeltas, sizeof(p_delta),
			    cmp_delta);
	}
	for (size_t i = 0; i < ps->deltas.n; i++) {
		const p_delta *d = &VEC_AT(ps->deltas, p_delta, i);
		deltas[i]        = d->r;
		deltas[i].rules  = rules + d->rule0;
	}
	sort_vec(&ps->cfis, sizeof(p_cfi), cmp_cfi);
	s->ncfis = ps->cfis.n;
	for (size_t i = 0; i < ps->cfis.n; i++) {
		const p_cfi *c = &VEC_AT(ps->cfis, p_cfi, i);
		s->cfis[i]     = c->r;
		s->cfis[i].rules  = rules + c->rule0;
		s->cfis[i].deltas = deltas + c->delta0;
	}
	s->stats.cfi_inits  = s->ncfis;
	s->stats.cfi_deltas = ps->deltas.n;
	return DW_OK;
}

static void
parser_fini(parser *ps)
{
	vec *v[] = {&ps->infos, &ps->files, &ps->origins, &ps->funcs, &ps->lines, &ps->inlines,
	    &ps->ranges, &ps->publics, &ps->wins, &ps->cfis, &ps->deltas, &ps->rules};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		free(v[i]->p);
}

dw_err
dw_sym_parse(dw_sym **out, const char *text, size_t len, dw_notes *notes)
{
	*out      = NULL;
	dw_sym *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return notes ? dw_fail(notes, DW_ENOMEM, ".sym: out of memory") : DW_ENOMEM;
	dw_arena_init(&s->arena, 0);
	dw_notes_init(&s->notes);
	parser ps = {.s = s};

	const char *p = text, *end = text + len;
	while (p < end && !ps.oom) {
		const char *nl   = memchr(p, '\n', (size_t)(end - p));
		const char *eol  = nl ? nl : end;
		size_t      n    = (size_t)(eol - p);
		ps.lineno        = ps.lineno < UINT32_MAX ? ps.lineno + 1 : UINT32_MAX;
		s->stats.lines++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > DW_MAX_SYM_LINE_BYTES) {
			s->stats.bad_lines++;
			dw_fail(&s->notes, DW_ELIMIT, "line %u: longer than %u bytes (%zu)", ps.lineno,
			    (unsigned)DW_MAX_SYM_LINE_BYTES, n);
			ps.have_func = ps.have_cfi = false;
		} else {
			parse_one(&ps, p, n);
		}
		p = nl ? nl + 1 : end;
	}
	dw_err rv = ps.oom ? DW_ENOMEM : publish(&ps);
	parser_fini(&ps);
	if (rv != DW_OK) {
		if (notes != NULL)
			dw_fail(notes, rv, ".sym: out of memory at line %u (arena %zu bytes)", ps.lineno,
			    s->arena.used);
		dw_sym_free(s);
		return rv;
	}
	*out = s;
	return DW_OK;
}

dw_err
dw_sym_open_file(dw_sym **out, const char *path, dw_notes *notes)
{
	*out = NULL;
	dw_mapfile  m;
	const char *why = NULL;
	dw_err      rv  = dw_mapfile_open(&m, path, &why);
	if (rv != DW_OK)
		return notes ? dw_fail(notes, rv, "%s: %s", path, why ? why : "cannot read") : rv;
	rv = dw_sym_parse(out, (const char *)m.data, m.len, notes);
	dw_mapfile_close(&m);
	return rv;
}

void
dw_sym_free(dw_sym *s)
{
	if (s == NULL)
		return;
	dw_arena_fini(&s->arena);
	dw_notes_fini(&s->notes);
	free(s);
}

// ---- Accessors and lookups ------------------------------------------------

const dw_sym_module *
dw_sym_get_module(const dw_sym *s)
{
	return &s->module;
}
const dw_sym_stats *
dw_sym_get_stats(const dw_sym *s)
{
	return &s->stats;
}
const dw_notes *
dw_sym_notes(const dw_sym *s)
{
	return &s->notes;
}
const dw_sym_info *
dw_sym_get_infos(const dw_sym *s, size_t *n)
{
	*n = s->ninfos;
	return s->infos;
}
const dw_sym_file *
dw_sym_get_files(const dw_sym *s, size_t *n)
{
	*n = s->nfiles;
	return s->files;
}
const dw_sym_origin *
dw_sym_get_origins(const dw_sym *s, size_t *n)
{
	*n = s->norigins;
	return s->origins;
}
const dw_sym_func *
dw_sym_get_funcs(const dw_sym *s, size_t *n)
{
	*n = s->nfuncs;
	return s->funcs;
}
const dw_sym_public *
dw_sym_get_publics(const dw_sym *s, size_t *n)
{
	*n = s->npublics;
	return s->publics;
}
const dw_sym_win *
dw_sym_get_wins(const dw_sym *s, size_t *n)
{
	*n = s->nwins;
	return s->wins;
}
const dw_sym_cfi *
dw_sym_get_cfis(const dw_sym *s, size_t *n)
{
	*n = s->ncfis;
	return s->cfis;
}

// upper_bound: index of the first element whose key is > k.
#define UPPER_BOUND(arr, n, field, k, outi)              \
	do {                                              \
		size_t lo_ = 0, hi_ = (n);                \
		while (lo_ < hi_) {                       \
			size_t mid_ = lo_ + (hi_ - lo_) / 2; \
			if ((arr)[mid_].field <= (k))     \
				lo_ = mid_ + 1;           \
			else                              \
				hi_ = mid_;               \
		}                                         \
		(outi) = lo_;                             \
	} while (0)

const dw_sym_file *
dw_sym_file_find(const dw_sym *s, uint64_t id)
{
	size_t i;
	UPPER_BOUND(s->files, s->nfiles, id, id, i);
	return i > 0 && s->files[i - 1].id == id ? &s->files[i - 1] : NULL;
}

const dw_sym_origin *
dw_sym_origin_find(const dw_sym *s, uint64_t id)
{
	size_t i;
	UPPER_BOUND(s->origins, s->norigins, id, id, i);
	return i > 0 && s->origins[i - 1].id == id ? &s->origins[i - 1] : NULL;
}

const dw_sym_func *
dw_sym_func_find(const dw_sym *s, uint64_t addr)
{
	size_t i;
	UPPER_BOUND(s->funcs, s->nfuncs, addr, addr, i);
	if (i == 0)
		return NULL;
	const dw_sym_func *f = &s->funcs[i - 1];
	return addr - f->addr < f->size ? f : NULL;
}

const dw_sym_line *
dw_sym_line_find(const dw_sym_func *f, uint64_t addr)
{
	size_t i;
	UPPER_BOUND(f->lines, f->nlines, addr, addr, i);
	if (i == 0)
		return NULL;
	const dw_sym_line *l = &f->lines[i - 1];
	return addr - l->addr < l->size ? l : NULL;
}

const dw_sym_public *
dw_sym_public_find(const dw_sym *s, uint64_t addr)
{
	size_t i;
	UPPER_BOUND(s->publics, s->npublics, addr, addr, i);
	return i > 0 ? &s->publics[i - 1] : NULL;
}

const dw_sym_cfi *
dw_sym_cfi_find(const dw_sym *s, uint64_t addr)
{
	size_t i;
	UPPER_BOUND(s->cfis, s->ncfis, addr, addr, i);
	if (i == 0)
		return NULL;
	const dw_sym_cfi *c = &s->cfis[i - 1];
	return addr - c->addr < c->size ? c : NULL;
}

const dw_sym_win *
dw_sym_win_find(const dw_sym *s, uint32_t type, uint64_t rva)
{
	// STACK WIN ranges may nest or overlap (a function's record and records
	// for its inner blocks); the record with the greatest start <= rva that
	// still covers rva is the most specific one. No record starting more than
	// the largest code size before rva can cover it, which bounds the scan.
	size_t i;
	UPPER_BOUND(s->wins, s->nwins, rva, rva, i);
	while (i > 0) {
		const dw_sym_win *w = &s->wins[--i];
		if (rva - w->rva >= s->win_max_size)
			break;
		if (w->type == type && rva - w->rva < w->code_size)
			return w;
	}
	return NULL;
}
