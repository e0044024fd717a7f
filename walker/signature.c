// walker/signature.c - crash signatures for bucketing (walker/signature.h).
//
// Folklore: the same bug must land in the same bucket whatever build it came
// from. Example: our corpus's deep_fp and deep_opt are one program built with
// and without frame pointers; the x86 and x64 builds of every case differ in
// addresses, decoration (x86 publics are "_main", "_worker@4") and inlining.
// So a signature holds no address or offset, only names; inline frames are
// frames (an optimized build folds them into their caller); allocator and
// exception-machinery frames, which sit on top of many unrelated bugs, and
// system modules are skipped.
#include "walker/signature.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "walker/residue_int.h"
#include "walker/vmlayout.h"

struct dw_signature_priv {
	dw_signature pub;
	dw_arena     arena;
	// The frame add_frame saw last. A frame with the same module, name and
	// kind gets the same decision (skipped, or collapsed into the previous
	// entry), so it is dropped before any name work.
	bool                last_valid;
	const dw_md_module *last_module;
	const char         *last_fn;
	bool                last_public;
};

// Functions that are never the bug: allocators, exception dispatching and
// throwing, aborting and reporting.
static const char *const default_skip[] = {
    "malloc", "calloc", "realloc", "free", "_malloc_base", "_calloc_base", "_realloc_base",
    "_free_base", "_malloc_dbg", "_calloc_dbg", "_free_dbg", "_realloc_dbg", "operator new",
    "operator new[]", "operator delete", "operator delete[]", "RtlAllocateHeap", "RtlFreeHeap",
    "RtlReAllocateHeap", "HeapAlloc", "HeapFree", "HeapReAlloc", "LocalAlloc", "LocalFree",
    "GlobalAlloc", "GlobalFree", "RtlpAllocateHeap*", "RtlpFreeHeap*",
    "KiUserExceptionDispatcher", "RtlDispatchException", "RtlRaiseException", "RaiseException",
    "RtlRaiseStatus", "_CxxThrowException", "__cxa_throw", "__cxa_rethrow",
    "_Unwind_RaiseException", "UnhandledExceptionFilter", "WerpReportFault",
    "RtlReportCriticalFailure", "RtlpHeapHandleError", "RtlpLogHeapFailure", "abort", "_abort",
    "raise", "terminate", "std::terminate", "_invoke_watson", "_invalid_parameter",
    "_invalid_parameter_noinfo", "_invalid_parameter_noinfo_noreturn", "__report_gsfailure",
    "__fastfail", "DbgBreakPoint", "DbgUiRemoteBreakin", "MiniDumpWriteDump",
    "std::panicking::*", "core::panicking::*", "rust_panic", "rust_begin_unwind",
    NULL,
};

// Crash patterns in the order they make the primary finding (catalog names).
static const char *const primary[] = {
    "NULL Pointer (Code)",
    "NULL Pointer (Data)",
    "Stack Overflow (User Mode)",
    "Divide by Zero (User Mode)",
    "Local Buffer Overflow (User Space)",
    "Double Free (Process Heap)",
    "Dynamic Memory Corruption (Process Heap)",
    "C++ Exception",
    "Managed Code Exception",
    "Wild Code",
    "Invalid Pointer (General)",
    "Deadlock (Critical Sections)",
    "Wait Chain (General) / Deadlock (Mixed Objects, User Space)",
    "Hidden Exception (User Space)",
    "Message Box",
    "Active Thread / Spiking Thread",
    "Handle Leak",
    "Wait Chain (Critical Sections)",
    "Stored Exception",
    "Manual Dump (Process)",
    NULL,
};

static bool
skip_fn(const char *name, const dw_signature_config *cfg)
{
	const char *const *list = cfg->skip_functions != NULL ? cfg->skip_functions : default_skip;
	size_t             n    = cfg->skip_functions != NULL ? cfg->nskip_functions : SIZE_MAX;
	for (size_t i = 0; i < n && list[i] != NULL; i++) {
		// Most entries differ in the first letter: no length, no compare.
		if (list[i][0] != name[0] && list[i][0] != '*')
			continue;
		size_t len = strlen(list[i]);
		if (len != 0 && list[i][len - 1] == '*') {
			if (strncmp(name, list[i], len - 1) == 0)
				return true;
		} else if (strcmp(name, list[i]) == 0)
			return true;
	}
	return false;
}

// The file name of path, lowercase, cut to size - 1 bytes; returns its length.
static size_t
lower_base(char *buf, size_t size, const char *path)
{
	const char *b = dw_vml_basename(path);
	size_t      n = 0;
	for (; b[n] != 0 && n + 1 < size; n++)
		buf[n] = (char)tolower((unsigned char)b[n]);
	buf[n] = 0;
	return n;
}

static bool
skip_module(const dw_md_module *m, const dw_signature_config *cfg)
{
	if (m == NULL)
		return false;
	if (!cfg->keep_system && dw_vml_is_system(m))
		return true;
	if (cfg->skip_modules == NULL || cfg->nskip_modules == 0)
		return false;
	char b[256];
	lower_base(b, sizeof(b), m->name);
	for (size_t i = 0; i < cfg->nskip_modules; i++)
		if (strcmp(b, cfg->skip_modules[i]) == 0)
			return true;
	return false;
}

// Appends c to buf[*n] when room is left.
static void
put(char *buf, size_t size, size_t *n, char c)
{
	if (*n + 1 < size)
		buf[(*n)++] = c;
}

void
dw_signature_normalize(char *buf, size_t size, const char *name, bool x86)
{
	if (size == 0)
		return;
	buf[0] = 0;
	if (name == NULL)
		return;
	if (size > DW_MAX_SIGNATURE_NAME + 1)
		size = DW_MAX_SIGNATURE_NAME + 1;
	size_t len = strlen(name);
	// x86 C decoration (cdecl _f, stdcall _f@N, fastcall @f@N).
	if (x86 && (name[0] == '_' || name[0] == '@') && len > 1) {
		const char *at = strrchr(name + 1, '@');
		bool        digits = at != NULL && at[1] != 0;
		for (const char *p = at != NULL ? at + 1 : ""; *p != 0; p++)
			digits &= isdigit((unsigned char)*p) != 0;
		if (digits)
			len = (size_t)(at - name);
		else if (name[0] == '@')
			len = 1; // not decoration after all: keep the name
		name++;
		len--;
	}
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool op = i >= 8 && strncmp(name + i - 8, "operator", 8) == 0;
		if (c == '(' && !op)
			break; // the argument list and what follows (const, volatile)
		if (c == '<' && !op) {
			// Find the matching '>' and keep the list only when short.
			size_t depth = 0, k = i;
			for (; k < len; k++) {
				depth += name[k] == '<';
				depth -= name[k] == '>' && depth > 0;
				if (depth == 0)
					break;
			}
			if (k >= len) {
				break; // unbalanced: cut here
			}
			if (k - i - 1 > DW_MAX_SIGNATURE_TEMPLATE) {
				const char *cut = "<...>";
				for (; *cut != 0; cut++)
					put(buf, size, &n, *cut);
				i = k;
				continue;
			}
			for (size_t m = i; m <= k; m++)
				if (!(name[m] == ' ' && m > 0 && name[m - 1] == ','))
					put(buf, size, &n, name[m]);
			i = k;
			continue;
		}
		put(buf, size, &n, c);
	}
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = 0;
}

// Adds "module!function" for one (physical or inline) frame unless skipped.
static void
add_frame(struct dw_signature_priv *p, const dw_frame *f, const char *fn, bool is_public,
          const dw_signature_config *cfg, size_t want)
{
	dw_signature *s = &p->pub;
	if (s->nframes >= want)
		return;
	// Folklore: deep recursion. A stack overflow holds a thousand frames of
	// one function; deciding each from scratch (system-module test, name
	// normalization, formatting) made the signature cost as much as the walk
	// on tests/corpus/x86/stack_overflow. Repeats are settled here instead.
	bool same = p->last_valid && p->last_module == f->module && p->last_public == is_public &&
	            (p->last_fn == fn || (p->last_fn != NULL && fn != NULL && strcmp(p->last_fn, fn) == 0));
	p->last_valid  = true;
	p->last_module = f->module;
	p->last_fn     = fn;
	p->last_public = is_public;
	if (same || skip_module(f->module, cfg))
		return;
	// "module!function" built in place: module (< 256) + '!' + name.
	char   buf[256 + 1 + DW_MAX_SIGNATURE_NAME + 1];
	size_t nmod = 0;
	if (f->module != NULL)
		nmod = lower_base(buf, 256, f->module->name);
	buf[nmod] = '!';
	char *name = buf + nmod + 1;
	if (fn != NULL) {
		dw_signature_normalize(name, DW_MAX_SIGNATURE_NAME + 1, fn,
		                       f->ctx.cpu == DW_CPU_X86 && is_public);
		if (skip_fn(name, cfg) || skip_fn(fn, cfg))
			return;
	} else {
		name[0] = '?';
		name[1] = 0;
	}
	const char *text;
	if (f->module == NULL)
		text = f->ip < 0x10000 ? "0x0" : "?";
	else
		text = dw_arena_strdup(&p->arena, buf);
	if (text == NULL)
		return;
	// Recursion collapses: a repeated frame counts once.
	if (s->nframes != 0 && strcmp(s->frames[s->nframes - 1], text) == 0)
		return;
	s->frames[s->nframes++] = text;
}

// Copies s to buf + n (the caller sized buf) and returns the new length.
static size_t
append(char *buf, size_t n, const char *s)
{
	size_t len = strlen(s);
	memcpy(buf + n, s, len);
	return n + len;
}

// The rank of a pattern name in primary[], or SIZE_MAX.
static size_t
primary_rank(const char *pattern)
{
	for (size_t i = 0; primary[i] != NULL; i++)
		if (primary[i][0] == pattern[0] && strcmp(primary[i], pattern) == 0)
			return i;
	return SIZE_MAX;
}

// Whether a Hidden Exception finding is too weak to name a bucket: only a
// possible one (no context after the record), or one whose code is not an
// error (severity bits below 3). Folklore: Chrome names its threads with
// MS_VC_EXCEPTION 0x406D1388 (SetThreadName), raised and handled at once;
// syzygy/use-after-free.dmp holds three such records on its stacks, and its
// crash is the stored EXCEPTION_ARRAY_BOUNDS_EXCEEDED that SyzyASan raised.
static bool
weak_hidden(const dw_finding *f)
{
	if (f->confidence == DW_CONF_POSSIBLE)
		return true;
	for (size_t e = 0; e < f->nevidence; e++)
		if (f->evidence[e].kind == DW_EV_VALUE && strcmp(f->evidence[e].what, "exception code") == 0)
			return (f->evidence[e].value >> 30) != 3;
	return false;
}

// The crash pattern ranked first in primary[], else the first pattern
// finding. One pass over the findings (not one search per primary name).
// A possible Hidden Exception (a record on the stack with no context after
// it) ranks after every other ranked finding: a bucket is not named by
// residue alone. (Other possible findings, like Invalid Pointer (General),
// refine the stored exception itself and keep their rank.) Folklore:
// symbolic-unreal/UE4Minidump.dmp stores
// exception 0x1 (UE4's own RaiseException) and its reporting thread's stack
// holds a STATUS_NO_MEMORY record with no context after it (possible); the
// bucket is the stored exception, not that residue.
static const dw_finding *
primary_finding(const dw_findings *fs)
{
	if (fs == NULL)
		return NULL;
	size_t            n;
	const dw_finding *all   = dw_findings_items(fs, &n);
	const dw_finding *best  = NULL, *first = NULL;
	size_t            brank = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		if (all[i].kind != DW_FINDING_PATTERN)
			continue;
		if (first == NULL)
			first = &all[i];
		size_t k = primary_rank(all[i].pattern);
		if (k != SIZE_MAX && strcmp(all[i].pattern, "Hidden Exception (User Space)") == 0 &&
		    weak_hidden(&all[i]))
			k += sizeof(primary) / sizeof(primary[0]);
		if (k < brank) {
			brank = k;
			best  = &all[i];
		}
	}
	return best != NULL ? best : first;
}

dw_err
dw_signature_make(dw_signature **out, const dw_walk *w, const dw_findings *fs,
                  const dw_residue *r, const dw_signature_config *cfg)
{
	*out = NULL;
	dw_signature_config def;
	if (cfg == NULL) {
		memset(&def, 0, sizeof(def));
		cfg = &def;
	}
	size_t want = cfg->nframes == 0 ? DW_SIGNATURE_FRAMES : cfg->nframes;
	if (want > DW_MAX_SIGNATURE_FRAMES)
		want = DW_MAX_SIGNATURE_FRAMES;
	struct dw_signature_priv *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return DW_ENOMEM;
	dw_arena_init(&p->arena, 0);
	dw_signature     *s  = &p->pub;
	const dw_finding *pf = primary_finding(fs);
	s->pattern           = pf != NULL ? pf->pattern : NULL;

	// The thread and its stack.
	size_t                nt;
	const dw_thread_walk *tw  = dw_walk_threads(w, &nt);
	const dw_thread_walk *use = NULL;
	for (size_t i = 0; i < nt && use == NULL; i++)
		if (tw[i].from_exception)
			use = &tw[i];
	for (size_t e = 0; use == NULL && pf != NULL && e < pf->nevidence; e++)
		if (pf->evidence[e].kind == DW_EV_THREAD)
			use = dw_walk_thread_find(w, (uint32_t)pf->evidence[e].value);
	if (use == NULL && nt != 0)
		use = &tw[0];
	const dw_stack *st = NULL;
	if (use != NULL) {
		s->thread_id = use->thread_id;
		st           = use->has_stack32 && use->stack32.nframes != 0 ? &use->stack32 : &use->stack;
	}
	if (r != NULL && pf != NULL && strcmp(pf->pattern, "Hidden Exception (User Space)") == 0) {
		size_t               n;
		const dw_res_thread *rt = dw_residue_threads(r, &n);
		for (size_t i = 0; i < n; i++)
			if (rt[i].tid == s->thread_id)
				for (size_t k = 0; k < rt[i].nhidden; k++)
					if (rt[i].hidden[k].stack.nframes != 0 && !s->from_hidden) {
						st             = &rt[i].hidden[k].stack;
						s->from_hidden = true;
					}
	}
	for (size_t i = 0; st != NULL && i < st->nframes && s->nframes < want; i++) {
		const dw_frame *f = &st->frames[i];
		for (size_t k = 0; k < f->ninlines; k++)
			add_frame(p, f, f->inlines[k].function, false, cfg, want);
		add_frame(p, f, f->function, f->is_public, cfg, want);
	}
	// A crash entirely inside system code keeps its top frames.
	if (s->nframes == 0 && st != NULL && !cfg->keep_system) {
		dw_signature_config again = *cfg;
		again.keep_system         = true;
		p->last_valid             = false; // decisions change with the configuration
		for (size_t i = 0; i < st->nframes && s->nframes < want; i++)
			add_frame(p, &st->frames[i], st->frames[i].function, st->frames[i].is_public, &again,
			          want);
	}

	// The text and its hash.
	size_t cap = 64 + (s->pattern != NULL ? strlen(s->pattern) : 0);
	for (size_t i = 0; i < s->nframes; i++)
		cap += strlen(s->frames[i]) + 3;
	char *text = dw_arena_alloc(&p->arena, cap);
	if (text == NULL) {
		dw_signature_free(s);
		return DW_ENOMEM;
	}
	// cap holds every piece: plain copies, no formatting.
	size_t n = append(text, 0, s->pattern != NULL ? s->pattern : "(no pattern)");
	for (size_t i = 0; i < s->nframes; i++) {
		n = append(text, n, " | ");
		n = append(text, n, s->frames[i]);
	}
	if (s->nframes == 0)
		n = append(text, n, " | (no frames)");
	text[n] = 0;
	s->text = text;
	uint64_t h = 0xcbf29ce484222325ull;
	for (const char *c = text; *c != 0; c++)
		h = (h ^ (uint8_t)*c) * 0x100000001b3ull;
	s->hash = h;
	*out    = s;
	return DW_OK;
}

void
dw_signature_free(dw_signature *s)
{
	if (s == NULL)
		return;
	struct dw_signature_priv *p = (struct dw_signature_priv *)s; // pub is the first member
	dw_arena_fini(&p->arena);
	free(p);
}
