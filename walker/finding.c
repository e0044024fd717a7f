// The finding list (walker/finding.h): records and evidence in one arena.
#include "walker/finding.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/limits.h"
#include "walker/classify_int.h" // dw_sb, the bounded string builder

struct dw_findings {
	dw_arena    arena;
	dw_finding *items;
	size_t      count;
	size_t      cap;
	dw_err      err;
};

const char *
dw_confidence_name(dw_confidence c)
{
	switch (c) {
	case DW_CONF_CERTAIN: return "certain";
	case DW_CONF_LIKELY: return "likely";
	case DW_CONF_POSSIBLE: return "possible";
	}
	return "possible";
}

const char *
dw_finding_kind_name(dw_finding_kind k)
{
	switch (k) {
	case DW_FINDING_PATTERN: return "pattern";
	case DW_FINDING_NEEDS: return "needs";
	case DW_FINDING_SUMMARY: return "summary";
	}
	return "pattern";
}

const char *
dw_evidence_kind_name(dw_evidence_kind k)
{
	switch (k) {
	case DW_EV_THREAD: return "thread";
	case DW_EV_ADDRESS: return "address";
	case DW_EV_VALUE: return "value";
	case DW_EV_MODULE: return "module";
	case DW_EV_FRAME: return "frame";
	case DW_EV_TEXT: return "text";
	}
	return "text";
}

dw_err
dw_findings_new(dw_findings **out)
{
	*out            = NULL;
	dw_findings *fs = calloc(1, sizeof(*fs));
	if (fs == NULL)
		return DW_ENOMEM;
	dw_arena_init(&fs->arena, 0);
	*out = fs;
	return DW_OK;
}

void
dw_findings_free(dw_findings *fs)
{
	if (fs == NULL)
		return;
	dw_arena_fini(&fs->arena);
	free(fs->items);
	free(fs);
}

static void
set_err(dw_findings *fs, dw_err e)
{
	if (fs->err == DW_OK)
		fs->err = e;
}

// fmt's expansion appended to b, when every conversion in it is one the
// detectors write plainly: %s (not NULL), %d, %u, %x, each with no length
// modifier or with l, ll or z, and %%. Anything else (flags, a width or a
// precision, floating point, %c) answers false, with b part-written; the
// caller then formats with vsnprintf. What is written is snprintf's output
// byte for byte, truncation included (dw_sb truncates as snprintf does).
static bool
quick_format(dw_sb *b, const char *fmt, va_list ap)
{
	const char *p = fmt;
	for (;;) {
		const char *pc = strchr(p, '%');
		if (pc == NULL) {
			dw_sb_str(b, p);
			return true;
		}
		dw_sb_mem(b, p, (size_t)(pc - p));
		pc++;
		if (*pc == '%') {
			dw_sb_char(b, '%');
			p = pc + 1;
			continue;
		}
		// A width, zero- or space-padded ("%08X"), for the unsigned
		// conversions only: a signed one would put the sign before zeros.
		char   pad   = ' ';
		size_t width = 0;
		if (*pc == '0') {
			pad = '0';
			pc++;
		}
		while (*pc >= '0' && *pc <= '9' && width < 64)
			width = width * 10 + (size_t)(*pc++ - '0');
		if (*pc >= '0' && *pc <= '9')
			return false;
		int len = 0; // 0: int, 1: long, 2: long long, 3: size_t
		if (*pc == 'l') {
			len = 1;
			if (*++pc == 'l') {
				len = 2;
				pc++;
			}
		} else if (*pc == 'z') {
			len = 3;
			pc++;
		}
		if ((pad == '0' || width != 0) && *pc != 'u' && *pc != 'x' && *pc != 'X')
			return false;
		switch (*pc) {
		case 's': {
			if (len != 0)
				return false;
			const char *s = va_arg(ap, const char *);
			if (s == NULL)
				return false; // glibc's "(null)" is vsnprintf's business
			dw_sb_str(b, s);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = len == 0   ? va_arg(ap, unsigned)
			             : len == 1 ? va_arg(ap, unsigned long)
			             : len == 2 ? va_arg(ap, unsigned long long)
			                        : va_arg(ap, size_t);
			char   t[21];
			size_t k = *pc == 'u' ? dw_fmt_u(t, v) : dw_fmt_hex(t, v, 1, *pc == 'X');
			for (size_t w = k; w < width; w++)
				dw_sb_char(b, pad);
			dw_sb_mem(b, t, k);
			break;
		}
		case 'd': {
			if (len == 3)
				return false;
			int64_t v = len == 0 ? va_arg(ap, int) : len == 1 ? va_arg(ap, long) : va_arg(ap, long long);
			if (v < 0) {
				dw_sb_char(b, '-');
				dw_sb_dec(b, 0 - (uint64_t)v);
			} else
				dw_sb_dec(b, (uint64_t)v);
			break;
		}
		default: return false;
		}
		p = pc + 1;
	}
}

// fmt formatted into buf[size] as vsnprintf would; returns the length.
static size_t
format_into(char *buf, size_t size, const char *fmt, va_list ap)
{
	dw_sb   b;
	va_list cp;
	dw_sb_init(&b, buf, size);
	va_copy(cp, ap);
	bool ok = quick_format(&b, fmt, cp);
	va_end(cp);
	// fmt is never NULL (callers pass literals); saying so keeps GCC's
	// -Wformat-truncation, which loses track of it under the sanitizers,
	// from calling this a null format.
	if (ok || fmt == NULL)
		return b.n;
	vsnprintf(buf, size, fmt, ap);
	return strlen(buf);
}

// fmt formatted into the arena (at most 511 bytes, as the one line it is).
// Folklore: most explanations and "needs" notes are fixed sentences, and
// formatting each through vsnprintf cost a small dump's classification
// more than its walk (~1,500 instructions a finding). fmt is a string
// literal at every call (the format attribute and -Wformat=2 see to it),
// so one without conversions is used as it is; "%s" is a plain copy, and
// the plain conversions are expanded by quick_format.
static const char *
format(dw_findings *fs, const char *fmt, va_list ap)
{
	if (strchr(fmt, '%') == NULL)
		return fmt;
	if (strcmp(fmt, "%s") == 0) {
		va_list cp;
		va_copy(cp, ap);
		const char *arg = va_arg(cp, const char *);
		va_end(cp);
		if (arg != NULL)
			return dw_arena_strndup(&fs->arena, arg, strnlen(arg, 511));
	}
	char   buf[512];
	size_t n = format_into(buf, sizeof(buf), fmt, ap);
	return dw_arena_strndup(&fs->arena, buf, n);
}

// The array is allocated once at its cap (DW_MAX_FINDINGS records, ~100 KiB)
// so a detector's dw_finding pointer stays valid while it adds more findings.
// It comes from malloc, not the arena, and is left uninitialised: a typical
// analysis adds about a dozen records, and zeroing all 1024 up front was the
// single most expensive step of classifying a small dump (~75k instructions,
// plus faulting in 100 KiB). Each record is zeroed as it is handed out.
static dw_finding *
new_finding(dw_findings *fs, dw_finding_kind kind, const char *pattern, dw_confidence conf,
            const char *fmt, va_list ap)
{
	if (fs->count >= DW_MAX_FINDINGS) {
		set_err(fs, DW_ELIMIT);
		return NULL;
	}
	if (fs->items == NULL) {
		fs->items = malloc(DW_MAX_FINDINGS * sizeof(*fs->items));
		if (fs->items == NULL) {
			set_err(fs, DW_ENOMEM);
			return NULL;
		}
		fs->cap = DW_MAX_FINDINGS;
	}
	const char *text = format(fs, fmt, ap);
	if (text == NULL) {
		set_err(fs, DW_ENOMEM);
		return NULL;
	}
	dw_finding *f = &fs->items[fs->count++];
	memset(f, 0, sizeof(*f));
	f->kind        = kind;
	f->pattern     = pattern;
	f->confidence  = conf;
	f->explanation = text;
	return f;
}

dw_finding *
dw_findings_add(dw_findings *fs, const char *pattern, dw_confidence conf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dw_finding *f = new_finding(fs, DW_FINDING_PATTERN, pattern, conf, fmt, ap);
	va_end(ap);
	return f;
}

dw_finding *
dw_findings_need(dw_findings *fs, const char *pattern, const char *needed, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dw_finding *f = new_finding(fs, DW_FINDING_NEEDS, pattern, DW_CONF_POSSIBLE, fmt, ap);
	va_end(ap);
	if (f != NULL)
		f->needed = needed;
	return f;
}

dw_finding *
dw_findings_summary(dw_findings *fs, const char *pattern, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dw_finding *f = new_finding(fs, DW_FINDING_SUMMARY, pattern, DW_CONF_CERTAIN, fmt, ap);
	va_end(ap);
	return f;
}

// Appends one evidence slot to f, or NULL when f is NULL, full, or memory ran out.
static dw_evidence *
new_evidence(dw_findings *fs, dw_finding *f, dw_evidence_kind kind, const char *what)
{
	if (f == NULL)
		return NULL;
	if (f->nevidence >= DW_MAX_FINDING_EVIDENCE) {
		f->dropped++;
		return NULL;
	}
	if (f->nevidence == f->cap) {
		size_t       ncap = f->cap == 0 ? 4 : f->cap * 2;
		dw_evidence *n    = dw_arena_array(&fs->arena, ncap, sizeof(*n));
		if (n == NULL) {
			set_err(fs, DW_ENOMEM);
			f->dropped++;
			return NULL;
		}
		if (f->nevidence != 0)
			memcpy(n, f->evidence, f->nevidence * sizeof(*n));
		f->evidence = n;
		f->cap      = ncap;
	}
	dw_evidence *e = (dw_evidence *)&f->evidence[f->nevidence++];
	e->kind        = kind;
	e->what        = what != NULL ? what : "";
	return e;
}

static const char *
copy(dw_findings *fs, const char *s)
{
	if (s == NULL)
		return NULL;
	char *c = dw_arena_strdup(&fs->arena, s);
	if (c == NULL)
		set_err(fs, DW_ENOMEM);
	return c;
}

void
dw_finding_thread(dw_findings *fs, dw_finding *f, const char *what, uint32_t tid)
{
	dw_evidence *e = new_evidence(fs, f, DW_EV_THREAD, what);
	if (e != NULL) {
		e->value     = tid;
		e->has_value = true;
	}
}

void
dw_finding_address(dw_findings *fs, dw_finding *f, const char *what, uint64_t addr,
                   const char *text)
{
	dw_evidence *e = new_evidence(fs, f, DW_EV_ADDRESS, what);
	if (e != NULL) {
		e->value     = addr;
		e->has_value = true;
		e->text      = copy(fs, text);
	}
}

void
dw_finding_value(dw_findings *fs, dw_finding *f, const char *what, uint64_t v, const char *text)
{
	dw_evidence *e = new_evidence(fs, f, DW_EV_VALUE, what);
	if (e != NULL) {
		e->value     = v;
		e->has_value = true;
		e->text      = copy(fs, text);
	}
}

void
dw_finding_module(dw_findings *fs, dw_finding *f, const char *what, const char *name,
                  uint64_t base)
{
	dw_evidence *e = new_evidence(fs, f, DW_EV_MODULE, what);
	if (e != NULL) {
		e->value     = base;
		e->has_value = true;
		e->text      = copy(fs, name != NULL ? name : "");
	}
}

void
dw_finding_frame(dw_findings *fs, dw_finding *f, const char *what, uint64_t addr,
                 const char *where)
{
	dw_evidence *e = new_evidence(fs, f, DW_EV_FRAME, what);
	if (e != NULL) {
		e->value     = addr;
		e->has_value = true;
		e->text      = copy(fs, where);
	}
}

void
dw_finding_text(dw_findings *fs, dw_finding *f, const char *what, const char *fmt, ...)
{
	dw_evidence *e = new_evidence(fs, f, DW_EV_TEXT, what);
	if (e == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	e->text = format(fs, fmt, ap);
	va_end(ap);
	if (e->text == NULL)
		set_err(fs, DW_ENOMEM);
}

const dw_finding *
dw_findings_items(const dw_findings *fs, size_t *count)
{
	*count = fs != NULL ? fs->count : 0;
	return fs != NULL ? fs->items : NULL;
}

const dw_finding *
dw_findings_find(const dw_findings *fs, dw_finding_kind kind, const char *pattern)
{
	if (fs == NULL)
		return NULL;
	for (size_t i = 0; i < fs->count; i++)
		if (fs->items[i].kind == kind && strcmp(fs->items[i].pattern, pattern) == 0)
			return &fs->items[i];
	return NULL;
}

dw_err
dw_findings_error(const dw_findings *fs)
{
	return fs != NULL ? fs->err : DW_OK;
}

char *
dw_findings_strdup(dw_findings *fs, const char *s)
{
	return (char *)copy(fs, s);
}

char *
dw_findings_printf(dw_findings *fs, const char *fmt, ...)
{
	char    buf[1024];
	va_list ap;
	va_start(ap, fmt);
	size_t n = format_into(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	char *c = dw_arena_strndup(&fs->arena, buf, n);
	if (c == NULL)
		set_err(fs, DW_ENOMEM);
	return c;
}

bool
dw_finding_has_thread(const dw_finding *f, uint32_t tid)
{
	for (size_t i = 0; i < f->nevidence; i++)
		if (f->evidence[i].kind == DW_EV_THREAD && f->evidence[i].value == tid)
			return true;
	return false;
}
