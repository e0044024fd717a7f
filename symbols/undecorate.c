// symbols/undecorate.c - MSVC name undecoration.
//
// A recursive-descent reader of the MSVC decoration grammar as publicly
// described (Agner Fog, "Calling conventions for different C++ compilers and
// operating systems", section 8; Wine's undname notes): a name, its scopes in
// reverse order ending with '@', then an encoding of what it is (function,
// variable, vftable, RTTI record). Intermediate strings are built in a scratch
// arena whose ceiling bounds the work a hostile name can cause (back-references
// can double the text at every level); when it refuses, or anything does not
// parse, the caller gets the input back unchanged. Input is read only through
// the bounds-checked peek/next below.
#include "symbols/undecorate.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/limits.h"

#define NMEMO 10

typedef struct dm {
	const char *p;
	const char *end;
	dw_arena   *a;
	bool        err;
	unsigned    depth;
	const char *names[NMEMO]; // name back-references '0'..'9'
	unsigned    nnames;
	const char *types[NMEMO]; // parameter type back-references '0'..'9'
	unsigned    ntypes;
} dm;

// ---- Input and string helpers ---------------------------------------------

static char
peek(const dm *d)
{
	return d->p < d->end ? *d->p : '\0';
}

static char
peek2(const dm *d)
{
	return d->end - d->p >= 2 ? d->p[1] : '\0';
}

static char
next(dm *d)
{
	if (d->p >= d->end) {
		d->err = true;
		return '\0';
	}
	return *d->p++;
}

static bool
eat(dm *d, char c)
{
	if (peek(d) == c && d->p < d->end) {
		d->p++;
		return true;
	}
	return false;
}

static bool
eats(dm *d, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(d->end - d->p) >= n && memcmp(d->p, s, n) == 0) {
		d->p += n;
		return true;
	}
	return false;
}

static const char *
fail(dm *d)
{
	d->err = true;
	return "";
}

// cat joins n strings into the scratch arena; "" on failure (err set).
static const char *
cat(dm *d, int n, ...)
{
	if (d->err)
		return "";
	va_list ap;
	size_t  total = 0;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		total += strlen(va_arg(ap, const char *));
	va_end(ap);
	if (total > DW_MAX_UNDNAME_BYTES)
		return fail(d);
	char *out = dw_arena_alloc(d->a, total + 1);
	if (out == NULL)
		return fail(d);
	char *q = out;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		const char *s = va_arg(ap, const char *);
		size_t      l = strlen(s);
		memcpy(q, s, l);
		q += l;
	}
	va_end(ap);
	*q = '\0';
	return out;
}

static const char *
dupn(dm *d, const char *s, size_t n)
{
	if (d->err)
		return "";
	char *c = dw_arena_strndup(d->a, s, n);
	return c ? c : fail(d);
}

static const char *
fmt_i64(dm *d, int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return dupn(d, buf, strlen(buf));
}

// close_tmpl appends '>' as Microsoft's undecorator does: "a<b<c> >".
static const char *
close_tmpl(dm *d, const char *name, const char *args)
{
	size_t n = strlen(args);
	return cat(d, 4, name, "<", args, (n > 0 && args[n - 1] == '>') ? " >" : ">");
}

// number: '0'-'9' are 1-10; otherwise hex digits 'A'-'P' ending in '@'; a
// leading '?' negates.
static int64_t
number(dm *d)
{
	bool neg = eat(d, '?');
	char c   = peek(d);
	if (c >= '0' && c <= '9') {
		d->p++;
		return neg ? -(int64_t)(c - '0' + 1) : (int64_t)(c - '0' + 1);
	}
	uint64_t v = 0;
	unsigned n = 0;
	while ((c = next(d)) != '@') {
		if (c < 'A' || c > 'P' || n >= 16) {
			d->err = true;
			return 0;
		}
		v = (v << 4) | (uint64_t)(c - 'A');
		n++;
	}
	return neg ? -(int64_t)v : (int64_t)v;
}

static void
memo_name(dm *d, const char *s)
{
	if (d->nnames < NMEMO)
		d->names[d->nnames++] = s;
}

static const char *type(dm *d);
static const char *qualified(dm *d, bool memo_first);
static const char *mangled(dm *d, bool name_only, bool *is_func);

// simple: characters up to '@'.
static const char *
simple(dm *d)
{
	const char *s = d->p;
	while (d->p < d->end && *d->p != '@')
		d->p++;
	if (d->p >= d->end || d->p == s)
		return fail(d);
	const char *r = dupn(d, s, (size_t)(d->p - s));
	d->p++;
	return r;
}

// ---- Operator and special names ------------------------------------------

typedef enum { SN_PLAIN, SN_CTOR, SN_DTOR, SN_CONV } sn_kind;

static const char *const ops1[36] = {
    // ?0 .. ?9
    NULL, NULL, "operator new", "operator delete", "operator=", "operator>>",
    "operator<<", "operator!", "operator==", "operator!=",
    // ?A .. ?Z
    "operator[]", NULL, "operator->", "operator*", "operator++", "operator--",
    "operator-", "operator+", "operator&", "operator->*", "operator/", "operator%",
    "operator<", "operator<=", "operator>", "operator>=", "operator,", "operator()",
    "operator~", "operator^", "operator|", "operator&&", "operator||", "operator*=",
    "operator+=", "operator-="};

static const char *const ops2[36] = {
    // ?_0 .. ?_9
    "operator/=", "operator%=", "operator>>=", "operator<<=", "operator&=",
    "operator|=", "operator^=", "`vftable'", "`vbtable'", "`vcall'",
    // ?_A .. ?_Z
    "`typeof'", "`local static guard'", "`string'", "`vbase destructor'",
    "`vector deleting destructor'", "`default constructor closure'",
    "`scalar deleting destructor'", "`vector constructor iterator'",
    "`vector destructor iterator'", "`vector vbase constructor iterator'",
    "`virtual displacement map'", "`eh vector constructor iterator'",
    "`eh vector destructor iterator'", "`eh vector vbase constructor iterator'",
    "`copy constructor closure'", NULL /* ?_P udt returning */, NULL, NULL /* ?_R RTTI */,
    "`local vftable'", "`local vftable constructor closure'", "operator new[]",
    "operator delete[]", NULL, "`placement delete closure'", "`placement delete[] closure'",
    NULL};

static int
code_index(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return -1;
}

// special reads the name after "?" at the start of a mangled name (the second
// '?' of "??"). RTTI names (?_R0..4) come back complete in *rtti.
static const char *
special(dm *d, sn_kind *kind, int *rtti)
{
	*kind = SN_PLAIN;
	*rtti = -1;
	char c = next(d);
	if (c == '_') {
		char c2 = next(d);
		if (c2 == '_') { // ?__E etc.
			char c3 = next(d);
			switch (c3) {
			case 'E':
			case 'F': {
				// ??__E<name>@@YAXXZ: `dynamic initializer for 'name''; the
				// inner name may itself be mangled (?x@@3HA).
				const char *what = c3 == 'E' ? "`dynamic initializer for '"
				                             : "`dynamic atexit destructor for '";
				const char *inner;
				if (peek(d) == '?') {
					bool f;
					d->p++;
					inner = mangled(d, true, &f);
					eat(d, '@');
				} else {
					inner = simple(d);
				}
				return cat(d, 3, what, inner, "''");
			}
			case 'J':
				return "`local static thread guard'";
			case 'K':
				return cat(d, 2, "operator \"\" ", simple(d));
			case 'L':
				return "operator co_await";
			case 'M':
				return "operator<=>";
			default:
				return fail(d);
			}
		}
		if (c2 == 'R') {
			char k = next(d);
			if (k < '0' || k > '4')
				return fail(d);
			*rtti = k - '0';
			return "";
		}
		int i = code_index(c2);
		if (i < 0 || ops2[i] == NULL)
			return fail(d);
		return ops2[i];
	}
	int i = code_index(c);
	if (i == 0) {
		*kind = SN_CTOR;
		return "";
	}
	if (i == 1) {
		*kind = SN_DTOR;
		return "";
	}
	if (i == 11) { // ?B
		*kind = SN_CONV;
		return "operator";
	}
	if (i < 0 || ops1[i] == NULL)
		return fail(d);
	return ops1[i];
}

// ---- Names and scopes -------------------------------------------------------

// template_name reads "?$name@args@" (after "?$"), in a fresh back-reference
// context as the scheme requires.
static const char *
template_name(dm *d)
{
	dm saved = *d;
	d->nnames = d->ntypes = 0;
	const char *name;
	if (peek(d) == '?') {
		d->p++;
		sn_kind k;
		int     rtti;
		name = special(d, &k, &rtti);
		if (k == SN_CTOR || k == SN_DTOR || rtti >= 0)
			name = fail(d); // needs the class; not seen in real publics
	} else {
		name = simple(d);
		memo_name(d, name);
	}
	const char *args = "";
	bool        first = true;
	while (!d->err && !eat(d, '@')) {
		const char *a;
		if (d->p >= d->end)
			return fail(d);
		if (eats(d, "$$V") || eats(d, "$$Z") || eats(d, "$S"))
			continue; // empty parameter pack
		if (eats(d, "$0")) {
			a = fmt_i64(d, number(d));
		} else if (eats(d, "$1") || eats(d, "$E")) {
			bool f;
			if (!eat(d, '?'))
				return fail(d);
			a = cat(d, 2, "&", mangled(d, true, &f));
		} else if (eats(d, "$D")) {
			a = cat(d, 3, "`template-parameter", fmt_i64(d, number(d)), "'");
		} else if (eats(d, "$2")) {
			int64_t m = number(d), e = number(d);
			a         = cat(d, 3, fmt_i64(d, m), "e", fmt_i64(d, e));
		} else if (eats(d, "$F") || eats(d, "$G") || eats(d, "$H") || eats(d, "$I") ||
		           eats(d, "$J")) {
			return fail(d); // member-pointer tuples: rare in publics
		} else {
			const char *t0 = d->p;
			a              = type(d);
			if (d->p - t0 > 1 && d->ntypes < NMEMO)
				d->types[d->ntypes++] = a;
		}
		args  = first ? a : cat(d, 3, args, ",", a);
		first = false;
	}
	const char *r   = close_tmpl(d, name, args);
	bool        err = d->err;
	const char *p   = d->p;
	*d              = saved;
	d->p            = p;
	d->err          = err;
	return r;
}

// fragment reads one scope element.
static const char *
fragment(dm *d)
{
	char c = peek(d);
	if (c >= '0' && c <= '9') {
		d->p++;
		unsigned i = (unsigned)(c - '0');
		return i < d->nnames ? d->names[i] : fail(d);
	}
	if (c != '?') {
		const char *s = simple(d);
		memo_name(d, s);
		return s;
	}
	d->p++;
	c = peek(d);
	if (c == '$') {
		d->p++;
		const char *t = template_name(d);
		memo_name(d, t);
		return t;
	}
	if (c == '?') { // a function scope: ?x@?1??f@@YAXXZ@4HA
		d->p++;
		bool        f;
		const char *in = mangled(d, false, &f);
		return cat(d, 3, "`", in, "'");
	}
	if (eats(d, "A0x")) { // anonymous namespace ?A0x1234abcd@
		simple(d);
		memo_name(d, "`anonymous namespace'");
		return "`anonymous namespace'";
	}
	if (c == 'A' || c == 'B') { // ?A anonymous namespace without a hash
		if (peek2(d) == '@') {
			d->p += 2;
			return "`anonymous namespace'";
		}
	}
	if (c == 'I') { // ?I interface scope (COM): "[name]"
		d->p++;
		return cat(d, 3, "[", simple(d), "]");
	}
	// ?<number> numbered local scope: `1'
	return cat(d, 3, "`", fmt_i64(d, number(d)), "'");
}

// scope reads elements up to '@' and joins them outermost first.
static const char *
scope(dm *d)
{
	const char *parts[64];
	unsigned    n = 0;
	while (!d->err && !eat(d, '@')) {
		if (d->p >= d->end || n == 64)
			return fail(d);
		parts[n++] = fragment(d);
	}
	const char *r = "";
	for (unsigned i = n; i-- > 0;)
		r = *r ? cat(d, 3, r, "::", parts[i]) : parts[i];
	return r;
}

// qualified reads a type's name: fragments then '@' (for 'V', 'U', 'W'...).
static const char *
qualified(dm *d, bool memo_first)
{
	(void)memo_first;
	return scope(d);
}

// ---- Types ----------------------------------------------------------------

static const char *
builtin(char c)
{
	switch (c) {
	case 'C': return "signed char";
	case 'D': return "char";
	case 'E': return "unsigned char";
	case 'F': return "short";
	case 'G': return "unsigned short";
	case 'H': return "int";
	case 'I': return "unsigned int";
	case 'J': return "long";
	case 'K': return "unsigned long";
	case 'M': return "float";
	case 'N': return "double";
	case 'O': return "long double";
	case 'X': return "void";
	default: return NULL;
	}
}

static const char *
builtin_ext(char c)
{
	switch (c) {
	case 'D': return "__int8";
	case 'E': return "unsigned __int8";
	case 'F': return "__int16";
	case 'G': return "unsigned __int16";
	case 'H': return "__int32";
	case 'I': return "unsigned __int32";
	case 'J': return "__int64";
	case 'K': return "unsigned __int64";
	case 'L': return "__int128";
	case 'M': return "unsigned __int128";
	case 'N': return "bool";
	case 'Q': return "char8_t";
	case 'S': return "char16_t";
	case 'U': return "char32_t";
	case 'W': return "wchar_t";
	default: return NULL;
	}
}

static const char *
cv_text(char c)
{
	switch (c) {
	case 'A': case 'Q': case 'U': case 'Y': case '2': return "";
	case 'B': case 'R': case 'V': case 'Z': case '3': return " const";
	case 'C': case 'S': case 'W': case '0': case '4': return " volatile";
	case 'D': case 'T': case 'X': case '1': case '5': return " const volatile";
	default: return NULL;
	}
}

// ptr_mods skips __ptr64 (E), __restrict (I) and __unaligned (F); dump_syms
// prints none of them.
static void
ptr_mods(dm *d)
{
	while (peek(d) == 'E' || peek(d) == 'I' || peek(d) == 'F')
		d->p++;
}

static const char *params(dm *d);

// functype reads calling convention, return type, parameters and throw spec.
// *ret receives the return type ("" for none).
static const char *
functype(dm *d, const char **ret)
{
	char cc = next(d);
	if (cc < 'A' || cc > 'Z')
		return fail(d);
	if (eat(d, '@')) {
		*ret = "";
	} else {
		if (eat(d, '?'))
			next(d); // return storage class ("?A", "?B")
		*ret = type(d);
	}
	const char *ps = params(d);
	// Throw specification: 'Z' (none) or "_E" (noexcept); tolerate absence.
	if (!eat(d, 'Z'))
		eats(d, "_E");
	return ps;
}

static const char *
params(dm *d)
{
	if (eat(d, 'X'))
		return "void";
	const char *r     = "";
	bool        first = true;
	for (;;) {
		if (d->err || d->p >= d->end)
			return fail(d);
		if (eat(d, '@'))
			break;
		if (eat(d, 'Z')) {
			r = first ? "..." : cat(d, 2, r, ",...");
			break;
		}
		const char *t;
		char        c = peek(d);
		if (c >= '0' && c <= '9') {
			d->p++;
			unsigned i = (unsigned)(c - '0');
			t          = i < d->ntypes ? d->types[i] : fail(d);
		} else {
			const char *t0 = d->p;
			t              = type(d);
			if (d->p - t0 > 1 && d->ntypes < NMEMO)
				d->types[d->ntypes++] = t;
		}
		r     = first ? t : cat(d, 3, r, ",", t);
		first = false;
	}
	return r;
}

// pointee reads what a pointer or reference points to and returns the whole
// type text given the declarator `op` ("*", "&", "&&") and its own cv.
static const char *
pointee(dm *d, const char *op, const char *self_cv)
{
	ptr_mods(d);
	char c = next(d);
	if (c == '6') { // function pointer
		const char *ret;
		const char *ps = functype(d, &ret);
		return cat(d, 7, ret, " (", op, self_cv, ")(", ps, ")");
	}
	if (c == '8') { // member function pointer
		const char *cls = qualified(d, false);
		ptr_mods(d);
		next(d); // this-cv
		const char *ret;
		const char *ps = functype(d, &ret);
		return cat(d, 9, ret, " (", cls, "::", op, self_cv, ")(", ps, ")");
	}
	const char *cv = cv_text(c);
	if (cv == NULL)
		return fail(d);
	const char *member = "";
	if ((c >= 'Q' && c <= 'T')) // member data pointer
		member = cat(d, 2, qualified(d, false), "::");
	if (eats(d, "$$C")) // pointee with its own cv
		next(d);
	const char *t = type(d);
	// An array pointee: "int (*)[4]".
	size_t tl = strlen(t);
	if (tl > 0 && t[tl - 1] == ']') {
		const char *b = strchr(t, '[');
		if (b != NULL && b > t && b[-1] == ' ')
			return cat(d, 7, dupn(d, t, (size_t)(b - t - 1)), cv, " (", member, op, self_cv,
			    cat(d, 2, ")", b));
	}
	// "PBQAD" spells the pointee's const twice (in the pointer and in the
	// pointee's own encoding): char * const *, not char * const const *.
	size_t cl = strlen(cv);
	if (cl > 0 && tl >= cl && strcmp(t + tl - cl, cv) == 0)
		cv = "";
	return cat(d, 6, t, cv, " ", member, op, self_cv);
}

static const char *
type(dm *d)
{
	if (++d->depth > DW_MAX_UNDNAME_DEPTH) {
		d->depth--;
		return fail(d);
	}
	const char *r;
	char        c = next(d);
	const char *b = builtin(c);
	if (b != NULL) {
		r = b;
		goto out;
	}
	switch (c) {
	case '_':
		r = builtin_ext(next(d));
		if (r == NULL)
			r = fail(d);
		break;
	case 'T':
	case 'U':
	case 'V':
		r = qualified(d, true);
		break;
	case 'W':
		next(d); // underlying type of the enum
		r = qualified(d, true);
		break;
	case 'A':
		r = pointee(d, "&", "");
		break;
	case 'B':
		r = pointee(d, "&", " volatile");
		break;
	case 'P':
		r = pointee(d, "*", "");
		break;
	case 'Q':
		r = pointee(d, "*", " const");
		break;
	case 'R':
		r = pointee(d, "*", " volatile");
		break;
	case 'S':
		r = pointee(d, "*", " const volatile");
		break;
	case '?': { // cv-qualified type (parameters, template arguments)
		const char *cv = cv_text(next(d));
		if (cv == NULL)
			cv = fail(d);
		r = cat(d, 2, type(d), cv);
		break;
	}
	case 'Y': { // array: count, dimensions, element
		int64_t     n    = number(d);
		const char *dims = "";
		if (n <= 0 || n > 16) {
			r = fail(d);
			break;
		}
		for (int64_t i = 0; i < n; i++)
			dims = cat(d, 4, dims, "[", fmt_i64(d, number(d)), "]");
		r = cat(d, 3, type(d), " ", dims);
		break;
	}
	case '$':
		if (eats(d, "$Q"))
			r = pointee(d, "&&", "");
		else if (eats(d, "$R"))
			r = pointee(d, "&&", " volatile");
		else if (eats(d, "$T"))
			r = "std::nullptr_t";
		else if (eats(d, "$A6")) {
			const char *ret;
			const char *ps = functype(d, &ret);
			r              = cat(d, 4, ret, " (", ps, ")");
		} else if (eats(d, "$B"))
			r = type(d);
		else if (eats(d, "$C")) {
			const char *cv = cv_text(next(d));
			r              = cat(d, 2, type(d), cv ? cv : fail(d));
		} else
			r = fail(d);
		break;
	default:
		r = fail(d);
		break;
	}
out:
	d->depth--;
	return r;
}

// ---- Whole names ------------------------------------------------------------

// rtti_name finishes the ?_R0..4 names.
static const char *
rtti_name(dm *d, int k)
{
	switch (k) {
	case 0: { // ??_R0?AVFoo@@@8: the type descriptor of a type
		const char *t;
		if (eat(d, '?')) {
			next(d); // cv
			t = type(d);
		} else {
			t = type(d);
		}
		eat(d, '@');
		return cat(d, 2, t, " `RTTI Type Descriptor'");
	}
	case 1: { // ??_R1A@?0A@EA@Foo@@8
		int64_t a = number(d), b = number(d), c = number(d), e = number(d);
		const char *s = scope(d);
		return cat(d, 11, s, "::`RTTI Base Class Descriptor at (", fmt_i64(d, a), ",",
		    fmt_i64(d, b), ",", fmt_i64(d, c), ",", fmt_i64(d, e), ")'", "");
	}
	case 2:
		return cat(d, 2, scope(d), "::`RTTI Base Class Array'");
	case 3:
		return cat(d, 2, scope(d), "::`RTTI Class Hierarchy Descriptor'");
	default:
		return cat(d, 2, scope(d), "::`RTTI Complete Object Locator'");
	}
}

static const char *
last_element(dm *d, const char *scopes)
{
	// The innermost class of "a::b<c::d>::e<f>" is "e<f>": the last "::" at
	// template depth 0.
	const char *last = scopes;
	int         depth = 0;
	for (const char *q = scopes; *q; q++) {
		if (*q == '<')
			depth++;
		else if (*q == '>')
			depth--;
		else if (depth == 0 && q[0] == ':' && q[1] == ':')
			last = q + 2;
	}
	return dupn(d, last, strlen(last));
}

// mangled reads a name after its leading '?'.
static const char *
mangled(dm *d, bool name_only, bool *is_func)
{
	*is_func = false;
	if (++d->depth > DW_MAX_UNDNAME_DEPTH) {
		d->depth--;
		return fail(d);
	}
	const char *name;
	sn_kind     kind = SN_PLAIN;
	int         rtti = -1;
	if (eat(d, '?')) {
		if (peek(d) == '$') {
			// A template in the name position is not a back-reference
			// target (llvm-undname agrees on ??$_Buynode@...@1@ forms).
			d->p++;
			name = template_name(d);
		} else {
			name = special(d, &kind, &rtti);
		}
	} else if (peek(d) >= '0' && peek(d) <= '9') {
		name = fragment(d);
	} else {
		name = simple(d);
		memo_name(d, name);
	}
	const char *r;
	if (kind == SN_PLAIN && name == ops2[12]) {
		// ??_C@_0L@IDKDBMAM@UuidCreate?$AA@: a string literal, named by its
		// length and hash; Microsoft's undecorator prints only `string'.
		d->p = d->end;
		r    = name;
		goto out;
	}
	if (rtti >= 0) {
		r = rtti_name(d, rtti);
		goto out;
	}
	const char *sc = scope(d);
	if (kind == SN_CTOR || kind == SN_DTOR) {
		if (*sc == '\0') {
			r = fail(d);
			goto out;
		}
		const char *cls = last_element(d, sc);
		// Microsoft prints a constructor of a template as "vec<int>::vec<int>".
		name = kind == SN_CTOR ? cls : cat(d, 2, "~", cls);
	}
	const char *full = *sc ? cat(d, 3, sc, "::", name) : name;
	char        c    = next(d);
	if (c >= '0' && c <= '4') { // variable: type, storage class
		type(d);
		ptr_mods(d);
		next(d);
		r = full;
		goto out;
	}
	if (c == '6' || c == '7') { // vftable / vbtable: cv then optional {for `X'}
		ptr_mods(d);
		next(d);
		const char *fors = "";
		while (!d->err && d->p < d->end && peek(d) != '@') {
			const char *s = scope(d);
			fors          = cat(d, 4, fors, "{for `", s, "'}");
		}
		r = cat(d, 2, full, fors);
		goto out;
	}
	if (c == '8' || c == '9') {
		r = full;
		goto out;
	}
	// Functions.
	bool member = false;
	if (c == '$') { // vtordisp thunks: $0..$5 then two numbers; $R.. extended
		char k = next(d);
		if (k == 'R') {
			next(d);
			number(d);
		} else if (k < '0' || k > '5') {
			r = fail(d);
			goto out;
		}
		number(d);
		number(d);
		member = true;
	} else if (c >= 'A' && c <= 'X') {
		int g  = (c - 'A') / 2 % 4; // 0 plain, 1 static, 2 virtual, 3 thunk
		member = g != 1;
		if (g == 3)
			full = cat(d, 4, full, "`adjustor{", fmt_i64(d, number(d)), "}'");
	} else if (c != 'Y' && c != 'Z') {
		r = fail(d);
		goto out;
	}
	if (member) {
		ptr_mods(d);
		while (peek(d) == 'G' || peek(d) == 'H')
			d->p++; // & / && ref-qualifiers
		if (cv_text(next(d)) == NULL) {
			r = fail(d);
			goto out;
		}
	}
	const char *ret;
	const char *ps = functype(d, &ret);
	*is_func       = true;
	if (kind == SN_CONV)
		full = cat(d, 3, full, " ", ret);
	r = name_only ? full : cat(d, 4, full, "(", ps, ")");
out:
	d->depth--;
	return r;
}

// ---- C names and the public entry points -----------------------------------

// c_name strips x86 C decoration as dump_syms does: one leading '_' or '@'
// and a trailing "@<digits>" stack size (stdcall "_f@8", fastcall "@f@8").
static size_t
c_name(const char **out, const char *name, size_t len)
{
	const char *p = name, *e = name + len;
	if (e - p >= 2 && (p[0] == '_' || p[0] == '@')) {
		p++;
		const char *q = e;
		while (q > p && q[-1] >= '0' && q[-1] <= '9')
			q--;
		if (q < e && q - 1 > p && q[-1] == '@')
			e = q - 1;
	}
	*out = p;
	return (size_t)(e - p);
}

int
dw_undecorate_is_decorated(const char *name, size_t len)
{
	if (len >= 6 && memcmp(name, "__imp_", 6) == 0) {
		name += 6;
		len -= 6;
	}
	return len > 1 && name[0] == '?';
}

static size_t
emit(char *out, size_t cap, const char *a, size_t na, const char *b, size_t nb)
{
	size_t total = na + nb;
	if (cap > 0) {
		size_t k = na < cap - 1 ? na : cap - 1;
		memcpy(out, a, k);
		size_t k2 = nb < cap - 1 - k ? nb : cap - 1 - k;
		if (k2 > 0)
			memcpy(out + k, b, k2);
		out[k + k2] = '\0';
	}
	return total;
}

size_t
dw_undecorate(char *out, size_t cap, const char *name, size_t len, unsigned flags)
{
	// What is returned unchanged is returned as a C string: a name with an
	// embedded NUL (a fuzzed or damaged PDB record) ends there, so the
	// result never holds a NUL inside its reported length.
	const char *nul   = memchr(name, '\0', len);
	size_t      plain = nul != NULL ? (size_t)(nul - name) : len;
	const char *prefix = "";
	size_t      npre   = 0;
	const char *body   = name;
	size_t      nbody  = len;
	if (len >= 6 && memcmp(name, "__imp_", 6) == 0) {
		prefix = "__imp_";
		npre   = 6;
		body += 6;
		nbody -= 6;
	}
	if (nbody == 0 || body[0] != '?' || nbody > DW_MAX_UNDNAME_BYTES) {
		if (nbody > 0 && body[0] != '?' && memchr(body, '\0', nbody) == NULL) {
			const char *c;
			size_t      n = c_name(&c, body, nbody);
			if (npre == 0)
				return emit(out, cap, c, n, "", 0);
			// __imp__Sleep@4 -> __imp_Sleep
			return emit(out, cap, prefix, npre, c, n);
		}
		return emit(out, cap, name, plain, "", 0);
	}
	dw_arena a;
	dw_arena_init(&a, DW_MAX_UNDNAME_SCRATCH);
	dm d = {.p = body + 1, .end = body + nbody, .a = &a};
	bool        f;
	const char *r = mangled(&d, (flags & DW_UNDNAME_NAME_ONLY) != 0, &f);
	size_t      n;
	// Anything we could not read (or an embedded NUL) returns the input.
	if (d.err || memchr(body, '\0', nbody) != NULL)
		n = emit(out, cap, name, plain, "", 0);
	else
		n = emit(out, cap, prefix, npre, r, strlen(r));
	dw_arena_fini(&a);
	return n;
}

dw_err
dw_undecorate_arena(char **out, dw_arena *a, const char *name, size_t len, unsigned flags)
{
	*out = NULL;
	char   buf[1024];
	size_t n = dw_undecorate(buf, sizeof(buf), name, len, flags);
	char  *r = dw_arena_alloc(a, n + 1);
	if (r == NULL)
		return DW_ENOMEM;
	if (n < sizeof(buf))
		memcpy(r, buf, n + 1);
	else
		dw_undecorate(r, n + 1, name, len, flags);
	*out = r;
	return DW_OK;
}
