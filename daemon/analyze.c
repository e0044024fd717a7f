// daemon/analyze.c - builds the AnalysisReport from what walker/ reads.
//
// Every string and array of the report is allocated from one dw_arena for
// the duration of the call, serialized once, and freed together; the
// generated protobuf structs never leave this file.
#include "daemon/analyze.h"

#include <stdarg.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/text.h"
#include "dumpwalk/v1/analyzer.pb-c.h"
#include "dumpwalk/v1/envelope.pb-c.h"
#include "daemon/analyze_int.h"
#include "symbols/provider.h"
#include "walker/classify.h"
#include "walker/context.h"
#include "walker/dump.h"
#include "walker/finding.h"
#include "walker/residue.h"
#include "walker/signature.h"
#include "walker/streams.h"
#include "walker/walk.h"

static const struct {
	uint32_t    code;
	const char *name;
} exception_names[] = {
    // winnt.h / ntstatus.h
    {0x80000003u, "EXCEPTION_BREAKPOINT"},
    {0x80000004u, "EXCEPTION_SINGLE_STEP"},
    {0x80000001u, "EXCEPTION_GUARD_PAGE"},
    {0x80000002u, "EXCEPTION_DATATYPE_MISALIGNMENT"},
    {0xc0000005u, "EXCEPTION_ACCESS_VIOLATION"},
    {0xc0000006u, "EXCEPTION_IN_PAGE_ERROR"},
    {0xc0000008u, "EXCEPTION_INVALID_HANDLE"},
    {0xc000001du, "EXCEPTION_ILLEGAL_INSTRUCTION"},
    {0xc0000025u, "EXCEPTION_NONCONTINUABLE_EXCEPTION"},
    {0xc0000026u, "EXCEPTION_INVALID_DISPOSITION"},
    {0xc000008cu, "EXCEPTION_ARRAY_BOUNDS_EXCEEDED"},
    {0xc000008du, "EXCEPTION_FLT_DENORMAL_OPERAND"},
    {0xc000008eu, "EXCEPTION_FLT_DIVIDE_BY_ZERO"},
    {0xc000008fu, "EXCEPTION_FLT_INEXACT_RESULT"},
    {0xc0000090u, "EXCEPTION_FLT_INVALID_OPERATION"},
    {0xc0000091u, "EXCEPTION_FLT_OVERFLOW"},
    {0xc0000092u, "EXCEPTION_FLT_STACK_CHECK"},
    {0xc0000093u, "EXCEPTION_FLT_UNDERFLOW"},
    {0xc0000094u, "EXCEPTION_INT_DIVIDE_BY_ZERO"},
    {0xc0000095u, "EXCEPTION_INT_OVERFLOW"},
    {0xc0000096u, "EXCEPTION_PRIV_INSTRUCTION"},
    {0xc00000fdu, "EXCEPTION_STACK_OVERFLOW"},
    {0xc0000194u, "EXCEPTION_POSSIBLE_DEADLOCK"},
    {0xc0000374u, "STATUS_HEAP_CORRUPTION"},
    {0xc0000409u, "STATUS_STACK_BUFFER_OVERRUN"},
    {0xc0000417u, "STATUS_INVALID_CRUNTIME_PARAMETER"},
    {0xc0000420u, "STATUS_ASSERTION_FAILURE"},
    {0xe06d7363u, "EXCEPTION_CPP_EH"}, // MSVC C++ throw ('msc')
    {0x40010005u, "DBG_CONTROL_C"},
    {0x406d1388u, "MS_VC_EXCEPTION"}, // SetThreadName
};

const char *
dwd_exception_name(uint32_t code)
{
	for (size_t i = 0; i < sizeof(exception_names) / sizeof(exception_names[0]); i++)
		if (exception_names[i].code == code)
			return exception_names[i].name;
	return NULL;
}

typedef struct builder {
	dw_arena a;
	bool     oom;
} builder;

// b_array returns n zeroed elements (dw_arena_array zeroes them).
static void *
b_array(builder *b, size_t n, size_t size)
{
	if (n == 0)
		return NULL;
	void *p = dw_arena_array(&b->a, n, size);
	if (p == NULL)
		b->oom = true;
	return p;
}

// b_str names s (NULL as "") in the report without copying it. Every string
// a report names is static or lives in the dump, the walk, the findings, the
// residue or the signature, all freed only after the report is serialized
// (analysis_fini); copying each of them cost a warm analysis ~5% of its
// instructions. A string that does not live that long goes through b_dup.
static char *
b_str(builder *b, const char *s)
{
	(void)b;
	return (char *)(s != NULL ? s : "");
}

// b_dup copies s (NULL as "") into the report's arena: for strings whose
// owner is released before the report is serialized (a symbol provider's
// entry, a stack buffer).
static char *
b_dup(builder *b, const char *s)
{
	char *p = dw_arena_strdup(&b->a, s != NULL ? s : "");
	if (p == NULL) {
		b->oom = true;
		return (char *)"";
	}
	return p;
}

// b_notes turns a reader's or walker's notes into report notes; *n gets
// their count (0 when the builder is out of memory, which b_array records).
static Dumpwalk__V1__Note **
b_notes(builder *b, const dw_notes *notes, size_t *n)
{
	*n                       = 0;
	Dumpwalk__V1__Note  *ns  = b_array(b, notes->count, sizeof(*ns));
	Dumpwalk__V1__Note **nps = b_array(b, notes->count, sizeof(*nps));
	if (ns == NULL || nps == NULL)
		return NULL;
	for (size_t i = 0; i < notes->count; i++) {
		dumpwalk__v1__note__init(&ns[i]);
		ns[i].code = b_str(b, dw_errname(notes->items[i].code));
		ns[i].text = b_str(b, notes->items[i].text);
		nps[i]     = &ns[i];
	}
	*n = notes->count;
	return nps;
}

// b_version writes "major.minor.build.revision" (each 16 bits of the
// VS_FIXEDFILEINFO file version) into the arena, as "%u.%u.%u.%u" would:
// every module of every dump has one, and printf was ~3% of an analysis.
static char *
b_version(builder *b, uint32_t ms, uint32_t ls)
{
	char *p = dw_arena_alloc(&b->a, 4 * 5 + 3 + 1), *o = p; // 4 x "65535", 3 dots, NUL
	if (p == NULL)
		return NULL;
	const uint32_t part[4] = {ms >> 16, ms & 0xffff, ls >> 16, ls & 0xffff};
	for (int i = 0; i < 4; i++) {
		o += dw_fmt_u(o, part[i]);
		if (i < 3)
			*o++ = '.';
	}
	return p;
}

static Dumpwalk__V1__Context *
b_context(builder *b, const dw_context *ctx)
{
	if (ctx == NULL)
		return NULL;
	Dumpwalk__V1__Context *c = b_array(b, 1, sizeof(*c));
	if (c == NULL)
		return NULL;
	dumpwalk__v1__context__init(c);
	c->cpu      = b_str(b, ctx->cpu == DW_CPU_X86 ? "x86" : ctx->cpu == DW_CPU_AMD64 ? "amd64" : "unknown");
	c->flags    = ctx->flags;
	size_t n    = dw_context_reg_count(ctx);
	Dumpwalk__V1__Register *regs   = b_array(b, n, sizeof(*regs));
	Dumpwalk__V1__Register **rptrs = b_array(b, n, sizeof(*rptrs));
	if (regs == NULL || rptrs == NULL)
		return c;
	for (size_t i = 0; i < n; i++) {
		dumpwalk__v1__register__init(&regs[i]);
		uint64_t v     = 0;
		regs[i].valid  = dw_context_reg_get(ctx, i, &v);
		regs[i].value  = v;
		regs[i].name   = b_str(b, dw_context_reg_name(ctx, i));
		rptrs[i]       = &regs[i];
	}
	c->registers   = rptrs;
	c->n_registers = n;
	return c;
}

// Per-analysis symbol state: one provider handle per module a frame is in,
// opened after the walk to ask what the walk's frames do not carry (the start
// of a frame's line record, whether unwind rules exist) and to give each
// module its status for the report.
typedef struct modsym {
	bool   asked;  // some frame is in this module
	bool   opened; // handle valid
	dw_err err;    // from the open
	const char *why; // without symbols: what was tried (report arena)
	void  *h;
	dw_cpu cpu;
	bool   unwind;
} modsym;

typedef struct analysis_ctx {
	builder            *b;
	const dw_dump      *d;
	const dw_md_module *mods;
	size_t              nmods;
	modsym             *ms; // nmods entries, or NULL without symbols
	dw_symprov         *prov;
	bool                regs;
} analysis_ctx;

static const char *
base_name(const char *p)
{
	const char *b = p;
	for (const char *s = p; s != NULL && *s != 0; s++)
		if (*s == '/' || *s == '\\')
			b = s + 1;
	return b != NULL ? b : "";
}

static bool
module_index(const analysis_ctx *c, const dw_md_module *m, size_t *out)
{
	if (m == NULL || c->mods == NULL || m < c->mods || m >= c->mods + c->nmods)
		return false;
	*out = (size_t)(m - c->mods);
	return true;
}

static void
symsrc_module(dw_symsrc_module *out, const dw_md_module *m, dw_cpu cpu)
{
	memset(out, 0, sizeof(*out));
	out->base       = m->base;
	out->size       = m->size;
	out->name       = m->name != NULL ? m->name : "";
	out->debug_file = m->cv != NULL && m->cv->pdb_name != NULL ? m->cv->pdb_name : "";
	out->debug_id   = m->debug_id;
	out->code_id    = m->code_id;
	out->cpu        = cpu;
}

static modsym *
open_mod(analysis_ctx *c, size_t i, dw_cpu cpu)
{
	if (c->ms == NULL || c->prov == NULL)
		return NULL;
	modsym *s = &c->ms[i];
	if (!s->asked) {
		s->asked = true;
		s->cpu   = cpu;
		dw_symsrc_module sm;
		symsrc_module(&sm, &c->mods[i], cpu);
		char why[DW_MAX_NOTE_TEXT];
		s->err    = dw_symprov_open_module_why(&s->h, c->prov, &sm, why, sizeof(why));
		s->opened = s->err == DW_OK && s->h != NULL;
		if (!s->opened)
			s->why = b_dup(c->b, why);
	}
	return s->opened ? s : NULL;
}

static Dumpwalk__V1__Register **
b_frame_regs(builder *b, const dw_context *ctx, size_t *n)
{
	*n             = 0;
	size_t nr      = dw_context_reg_count(ctx), k = 0;
	uint64_t v     = 0;
	for (size_t i = 0; i < nr; i++)
		if (dw_context_reg_get(ctx, i, &v))
			k++;
	Dumpwalk__V1__Register  *regs = b_array(b, k, sizeof(*regs));
	Dumpwalk__V1__Register **rp   = b_array(b, k, sizeof(*rp));
	if (regs == NULL || rp == NULL)
		return NULL;
	for (size_t i = 0, j = 0; i < nr && j < k; i++) {
		if (!dw_context_reg_get(ctx, i, &v))
			continue;
		dumpwalk__v1__register__init(&regs[j]);
		regs[j].name  = b_str(b, dw_context_reg_name(ctx, i));
		regs[j].value = v;
		regs[j].valid = true;
		rp[j]         = &regs[j];
		j++;
	}
	*n = k;
	return rp;
}

static Dumpwalk__V1__Stack *
b_stack(analysis_ctx *c, const dw_stack *st, bool first_regs)
{
	builder             *b = c->b;
	Dumpwalk__V1__Stack *s = b_array(b, 1, sizeof(*s));
	if (s == NULL)
		return NULL;
	dumpwalk__v1__stack__init(s);
	s->cpu        = b_str(b, st->cpu == DW_CPU_X86 ? "x86" : st->cpu == DW_CPU_AMD64 ? "amd64" : "unknown");
	s->end        = b_str(b, dw_walk_end_name(st->end));
	s->end_detail = b_str(b, st->end_detail);
	Dumpwalk__V1__Frame  *fs  = b_array(b, st->nframes, sizeof(*fs));
	Dumpwalk__V1__Frame **fps = b_array(b, st->nframes, sizeof(*fps));
	if (fs == NULL || fps == NULL)
		return s;
	for (size_t i = 0; i < st->nframes; i++) {
		const dw_frame      *f = &st->frames[i];
		Dumpwalk__V1__Frame *o = &fs[i];
		dumpwalk__v1__frame__init(o);
		o->instruction     = f->ip;
		o->lookup          = f->lookup;
		o->module_offset   = f->module_offset;
		o->function        = b_str(b, f->function);
		o->function_offset = f->function != NULL ? f->function_offset : 0;
		o->file            = b_str(b, f->file);
		o->line            = f->line;
		o->is_public       = f->is_public;
		o->trust           = b_str(b, dw_trust_name(f->trust));
		size_t mi          = 0;
		if (module_index(c, f->module, &mi)) {
			o->has_module   = true;
			o->module_index = (uint32_t)mi;
			o->module       = b_str(b, base_name(f->module->name));
			modsym *ms      = open_mod(c, mi, st->cpu);
			if (ms != NULL) {
				dw_symsrc     src = dw_symprov_source(c->prov);
				uint32_t      rva = (uint32_t)(f->lookup - f->module->base);
				dw_symsrc_loc loc;
				memset(&loc, 0, sizeof(loc));
				// Breakpad's -m offset for a frame with a line is from the
				// line record's start, which the frame does not carry.
				if (f->file != NULL && src.ops->find != NULL &&
				    src.ops->find(&loc, ms->h, rva, src.arg) == DW_OK && loc.file != NULL &&
				    loc.line_start <= (uint32_t)f->module_offset)
					o->line_offset = f->module_offset - loc.line_start;
				if (!ms->unwind) {
					if (st->cpu == DW_CPU_AMD64) {
						dw_symsrc_x64 x;
						dw_err        e = src.ops->x64_find != NULL
						                      ? src.ops->x64_find(&x, ms->h, rva, src.arg)
						                      : DW_EUNSUPPORTED;
						ms->unwind = e == DW_OK || e == DW_ENOTFOUND;
					} else {
						dw_symsrc_win w;
						dw_symsrc_cfi cf;
						ms->unwind =
						    (src.ops->win_find != NULL &&
						     (src.ops->win_find(&w, ms->h, DW_SYMSRC_WIN_FRAME_DATA, rva,
						                        src.arg) == DW_OK ||
						      src.ops->win_find(&w, ms->h, DW_SYMSRC_WIN_FPO, rva, src.arg) ==
						          DW_OK)) ||
						    (src.ops->cfi_find != NULL &&
						     src.ops->cfi_find(&cf, ms->h, rva, src.arg) == DW_OK);
					}
				}
			}
		} else {
			o->module = b_str(b, NULL);
		}
		if (f->ninlines > 0) {
			Dumpwalk__V1__InlineFrame  *is  = b_array(b, f->ninlines, sizeof(*is));
			Dumpwalk__V1__InlineFrame **ips = b_array(b, f->ninlines, sizeof(*ips));
			if (is != NULL && ips != NULL) {
				for (size_t k = 0; k < f->ninlines; k++) {
					dumpwalk__v1__inline_frame__init(&is[k]);
					is[k].function = b_str(b, f->inlines[k].function);
					is[k].file     = b_str(b, f->inlines[k].file);
					is[k].line     = f->inlines[k].line;
					ips[k]         = &is[k];
				}
				o->inlines   = ips;
				o->n_inlines = f->ninlines;
			}
		}
		if (c->regs || (first_regs && i == 0))
			o->registers = b_frame_regs(b, &f->ctx, &o->n_registers);
		fps[i] = o;
	}
	s->frames   = fps;
	s->n_frames = st->nframes;
	return s;
}

// Breakpad's crash reason (minidump_processor.cc GetCrashReason): an access
// violation says what kind of access, a known code its name, anything else
// "code / flags".
static char *
b_crash_type(builder *b, const dw_md_exception *ex)
{
	uint32_t code = ex->code;
	if ((code == 0xc0000005u || code == 0xc0000006u) && ex->number_parameters >= 1) {
		const char *base = code == 0xc0000005u ? "EXCEPTION_ACCESS_VIOLATION" : "EXCEPTION_IN_PAGE_ERROR";
		const char *kind = ex->parameters[0] == 0   ? "_READ"
		                   : ex->parameters[0] == 1 ? "_WRITE"
		                   : ex->parameters[0] == 8 ? "_EXEC"
		                                            : "";
		char *s = dw_arena_printf(&b->a, "%s%s", base, kind);
		if (s == NULL)
			b->oom = true;
		return s != NULL ? s : (char *)"";
	}
	const char *n = dwd_exception_name(code);
	if (n != NULL)
		return b_str(b, n);
	char *s = dw_arena_printf(&b->a, "0x%08x / 0x%08x", code, ex->flags);
	if (s == NULL)
		b->oom = true;
	return s != NULL ? s : (char *)"";
}

// MDRawBreakpadInfo.validity bits (breakpad minidump_format.h):
// MD_BREAKPAD_INFO_VALID_DUMP_THREAD_ID 1, ..._REQUESTING_THREAD_ID 2.

static void
b_crash(builder *b, Dumpwalk__V1__AnalysisReport *r, const dw_dump *d)
{
	Dumpwalk__V1__CrashInfo *ci = b_array(b, 1, sizeof(*ci));
	if (ci == NULL)
		return;
	dumpwalk__v1__crash_info__init(ci);
	const dw_md_exception *ex = dw_dump_exception(d);
	const dw_md_streams   *os = dw_dump_other_streams(d);
	const dw_md_breakpad_info *bi = os != NULL ? dw_md_streams_breakpad_info(os) : NULL;
	uint32_t tid = 0;
	bool     has_tid = false;
	if (ex != NULL) {
		ci->crashed = true;
		ci->type    = b_crash_type(b, ex);
		ci->address = ex->address;
		if ((ex->code == 0xc0000005u || ex->code == 0xc0000006u) && ex->number_parameters >= 2)
			ci->address = ex->parameters[1];
		tid     = ex->thread_id;
		has_tid = true;
	} else {
		ci->type = b_str(b, NULL);
		if (bi != NULL && (bi->validity & 2u) != 0) {
			tid     = bi->requesting_thread_id;
			has_tid = true;
		}
	}
	const dw_md_assertion *as = os != NULL ? dw_md_streams_assertion(os) : NULL;
	if (as != NULL && (as->expression[0] != 0 || as->function[0] != 0)) {
		ci->assertion = dw_arena_printf(&b->a, "%s in %s at %s:%u", as->expression,
		                                as->function, as->file, as->line);
		if (ci->assertion == NULL) {
			b->oom        = true;
			ci->assertion = (char *)"";
		}
	} else {
		ci->assertion = b_str(b, NULL);
	}
	for (size_t i = 0; has_tid && i < r->n_threads; i++) {
		if (r->threads[i]->thread_id == tid) {
			ci->has_crashing_thread = true;
			ci->crashing_thread     = (uint32_t)i;
			break;
		}
	}
	r->crash = ci;
}

static void
b_findings(builder *b, Dumpwalk__V1__AnalysisReport *r, const dw_findings *fs)
{
	size_t            n  = 0;
	const dw_finding *it = dw_findings_items(fs, &n);
	Dumpwalk__V1__Finding  *os  = b_array(b, n, sizeof(*os));
	Dumpwalk__V1__Finding **ops = b_array(b, n, sizeof(*ops));
	if (os == NULL || ops == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		const dw_finding      *f = &it[i];
		Dumpwalk__V1__Finding *o = &os[i];
		dumpwalk__v1__finding__init(o);
		o->pattern          = b_str(b, f->pattern);
		o->kind             = b_str(b, dw_finding_kind_name(f->kind));
		o->confidence       = b_str(b, dw_confidence_name(f->confidence));
		o->needed           = b_str(b, f->needed);
		o->explanation      = b_str(b, f->explanation);
		o->evidence_dropped = f->dropped;
		Dumpwalk__V1__Evidence  *es  = b_array(b, f->nevidence, sizeof(*es));
		Dumpwalk__V1__Evidence **eps = b_array(b, f->nevidence, sizeof(*eps));
		if (es != NULL && eps != NULL) {
			for (size_t k = 0; k < f->nevidence; k++) {
				const dw_evidence *e = &f->evidence[k];
				dumpwalk__v1__evidence__init(&es[k]);
				es[k].kind      = b_str(b, dw_evidence_kind_name(e->kind));
				es[k].what      = b_str(b, e->what);
				es[k].value     = e->value;
				es[k].has_value = e->has_value;
				es[k].text      = b_str(b, e->text);
				eps[k]          = &es[k];
			}
			o->evidence   = eps;
			o->n_evidence = f->nevidence;
		}
		ops[i] = o;
	}
	r->findings   = ops;
	r->n_findings = n;
}

static const char *
symstatus(dw_err e)
{
	switch (e) {
	case DW_OK: return "loaded";
	case DW_ENOTFOUND: return "missing";
	case DW_ECORRUPT: return "corrupt";
	case DW_ETIMEDOUT:
	case DW_ENET: return "timed out";
	default: return "error";
	}
}

// Each module's symbol status and origin: the files its table came from,
// or, for a module without symbols, what was tried and why it failed (a
// name the resolver refused says so: "symbol path: pdb refused, ...").
static void
b_module_symbols(analysis_ctx *c, Dumpwalk__V1__AnalysisReport *r)
{
	if (c->prov == NULL || c->ms == NULL)
		return;
	for (size_t i = 0; i < r->n_modules && i < c->nmods; i++) {
		Dumpwalk__V1__ModuleSymbols *s = b_array(c->b, 1, sizeof(*s));
		if (s == NULL)
			break;
		dumpwalk__v1__module_symbols__init(s);
		const modsym *m = &c->ms[i];
		if (!m->asked) {
			s->status = b_str(c->b, "not asked");
			s->origin = b_str(c->b, NULL);
		} else {
			s->status      = b_str(c->b, symstatus(m->opened ? DW_OK : m->err));
			s->unwind_info = m->unwind;
			// As before the origin came from the table itself: shown only
			// where its path names the module's identity (a symbol-store
			// layout puts the debug or code id in it), so reports read the
			// same as they did.
			const dw_md_module *mm   = &c->mods[i];
			const char         *orig = NULL;
			if (m->opened) {
				const char *o = dw_symprov_get_origin(m->h);
				if ((mm->debug_id[0] != 0 && strstr(o, mm->debug_id) != NULL) ||
				    (mm->code_id[0] != 0 && strstr(o, mm->code_id) != NULL))
					orig = o;
			} else {
				orig = m->why;
			}
			s->origin = b_dup(c->b, orig);
		}
		r->modules[i]->symbols = s;
	}
}

static void
b_walk(analysis_ctx *c, Dumpwalk__V1__AnalysisReport *r, const dw_walk *w)
{
	builder                  *b  = c->b;
	const dw_md_streams      *os = dw_dump_other_streams(c->d);
	const dw_md_breakpad_info *bi = os != NULL ? dw_md_streams_breakpad_info(os) : NULL;
	const dw_md_exception    *ex = dw_dump_exception(c->d);
	for (size_t i = 0; i < r->n_threads; i++) {
		Dumpwalk__V1__Thread *t = r->threads[i];
		if (bi != NULL && (bi->validity & 1u) != 0 && bi->dump_thread_id == t->thread_id) {
			t->is_dump_thread = true;
			continue;
		}
		const dw_thread_walk *tw = dw_walk_thread_find(w, t->thread_id);
		if (tw == NULL)
			continue;
		bool crashing      = ex != NULL && ex->thread_id == t->thread_id;
		t->from_exception  = tw->from_exception;
		t->stack           = b_stack(c, &tw->stack, crashing);
		if (tw->has_stack32) {
			t->has_stack32  = true;
			t->stack32      = b_stack(c, &tw->stack32, crashing);
			t->wow64_layout = b_str(b, tw->wow64_layout == DW_WOW64_WIN10      ? "win10"
			                           : tw->wow64_layout == DW_WOW64_WIN7_81 ? "win7-8.1"
			                                                                  : "");
		} else {
			t->wow64_layout = b_str(b, NULL);
		}
	}
	const char *why = NULL;
	r->wow64        = dw_walk_is_wow64(w, &why);
	r->wow64_why    = b_str(b, r->wow64 ? why : NULL);
	r->walk_notes = b_notes(b, dw_walk_notes(w), &r->n_walk_notes);
}

static void
b_signature(builder *b, Dumpwalk__V1__AnalysisReport *r, const dw_signature *sg)
{
	Dumpwalk__V1__Signature *o = b_array(b, 1, sizeof(*o));
	if (o == NULL)
		return;
	dumpwalk__v1__signature__init(o);
	o->text        = b_str(b, sg->text);
	o->hash        = sg->hash;
	o->pattern     = b_str(b, sg->pattern);
	o->thread_id   = sg->thread_id;
	o->from_hidden = sg->from_hidden;
	char **fr      = b_array(b, sg->nframes, sizeof(*fr));
	if (fr != NULL) {
		for (size_t i = 0; i < sg->nframes; i++)
			fr[i] = b_str(b, sg->frames[i]);
		o->frames   = fr;
		o->n_frames = sg->nframes;
	}
	r->signature = o;
}

static void
b_residue_word(builder *b, Dumpwalk__V1__ResidueWord *o, const dw_res_word *w)
{
	dumpwalk__v1__residue_word__init(o);
	o->address  = w->addr;
	o->value    = w->value;
	o->class_   = b_str(b, dw_res_class_name(w->cls));
	o->live     = w->live;
	o->below_sp = w->below_sp;
	o->module   = b_str(b, w->module != NULL ? base_name(w->module->name) : NULL);
	if (w->module != NULL)
		o->module_offset = w->value - w->module->base;
	o->function             = b_str(b, w->function);
	o->function_offset      = w->function != NULL ? w->function_offset : 0;
	o->call_target          = w->call_target;
	o->call_target_function = b_str(b, w->target_function);
	o->thread_id            = w->cls == DW_RES_STACK ? w->tid : 0;
	o->text                 = b_str(b, w->text);
}

static Dumpwalk__V1__HiddenException *
b_hidden(analysis_ctx *c, const dw_res_hidden *x)
{
	builder                       *b = c->b;
	Dumpwalk__V1__HiddenException *o = b_array(b, 1, sizeof(*o));
	if (o == NULL)
		return NULL;
	dumpwalk__v1__hidden_exception__init(o);
	o->record_address  = x->record_addr;
	o->code            = x->code;
	o->code_name       = b_str(b, dw_ntstatus_name(x->code));
	o->flags           = x->flags;
	o->address         = x->address;
	size_t np          = x->nparams < 15 ? x->nparams : 15;
	uint64_t *ps       = b_array(b, np, sizeof(*ps));
	if (ps != NULL) {
		memcpy(ps, x->params, np * sizeof(*ps));
		o->parameters   = ps;
		o->n_parameters = np;
	}
	o->context_address = x->context_addr;
	o->context_ip      = x->context_ip;
	o->context_sp      = x->context_sp;
	o->ip_matches      = x->ip_matches;
	o->copies          = x->copies;
	if (x->stack.nframes > 0)
		o->stack = b_stack(c, &x->stack, false);
	return o;
}

// Residue words a report carries per thread. A stack overflowing by
// recursion classifies thousands of words (stack_overflow.dmp of our corpus:
// a 248 KB report with all of them, 70 KB with 256, over the smallest
// max_message_bytes, 64k); 64, as clients/render_residue.c shows, keeps the
// return addresses of a typical stack and bounds the report.
#define DWD_RESIDUE_REPORT_WORDS 64

static bool
word_symbolic(const dw_res_word *w)
{
	return w->cls == DW_RES_RETURN || w->function != NULL;
}

// The residue: per thread the counts of the classes found, the classified
// words (return addresses and symbolic values first, up to
// DWD_RESIDUE_REPORT_WORDS; renderers collapse further) and hidden
// exceptions.
static void
b_residue(analysis_ctx *c, Dumpwalk__V1__AnalysisReport *r, const dw_residue *res)
{
	builder              *b = c->b;
	size_t                n = 0;
	const dw_res_thread  *t = dw_residue_threads(res, &n);
	Dumpwalk__V1__Residue *o = b_array(b, 1, sizeof(*o));
	Dumpwalk__V1__ResidueThread  *ts  = b_array(b, n, sizeof(*ts));
	Dumpwalk__V1__ResidueThread **tps = b_array(b, n, sizeof(*tps));
	if (o == NULL || (n > 0 && (ts == NULL || tps == NULL)))
		return;
	dumpwalk__v1__residue__init(o);
	for (size_t i = 0; i < n; i++) {
		Dumpwalk__V1__ResidueThread *ot = &ts[i];
		dumpwalk__v1__residue_thread__init(ot);
		ot->thread_id       = t[i].tid;
		ot->pointer_size    = t[i].ptr;
		ot->stack_pointer   = t[i].sp;
		ot->scanned_from    = t[i].lo;
		ot->scanned_to      = t[i].hi;
		ot->residue_returns = t[i].residue_returns;
		ot->dropped         = t[i].dropped;
		ot->missing         = t[i].missing;
		size_t nc           = 0;
		for (int k = DW_RES_OTHER + 1; k < DW_RES_NCLASSES; k++)
			nc += t[i].counts[k] != 0;
		Dumpwalk__V1__ResidueCount  *cs  = b_array(b, nc, sizeof(*cs));
		Dumpwalk__V1__ResidueCount **cps = b_array(b, nc, sizeof(*cps));
		if (cs != NULL && cps != NULL) {
			size_t m = 0;
			for (int k = DW_RES_OTHER + 1; k < DW_RES_NCLASSES; k++) {
				if (t[i].counts[k] == 0)
					continue;
				dumpwalk__v1__residue_count__init(&cs[m]);
				cs[m].class_ = b_str(b, dw_res_class_name((dw_res_class)k));
				cs[m].count  = t[i].counts[k];
				cps[m]       = &cs[m];
				m++;
			}
			ot->counts   = cps;
			ot->n_counts = m;
		}
		// Which words fit: symbolic ones first, then the rest, each in
		// address order; written in address order.
		size_t nsym = 0;
		for (size_t k = 0; k < t[i].nwords; k++)
			nsym += word_symbolic(&t[i].words[k]);
		size_t keep = t[i].nwords < DWD_RESIDUE_REPORT_WORDS ? t[i].nwords
		                                                     : DWD_RESIDUE_REPORT_WORDS;
		size_t sym_room   = nsym < keep ? nsym : keep;
		size_t other_room = keep - sym_room;
		Dumpwalk__V1__ResidueWord  *ws  = b_array(b, keep, sizeof(*ws));
		Dumpwalk__V1__ResidueWord **wps = b_array(b, keep, sizeof(*wps));
		if (ws != NULL && wps != NULL) {
			size_t m = 0;
			for (size_t k = 0; k < t[i].nwords && m < keep; k++) {
				bool sym = word_symbolic(&t[i].words[k]);
				if (sym ? sym_room == 0 : other_room == 0)
					continue;
				if (sym)
					sym_room--;
				else
					other_room--;
				b_residue_word(b, &ws[m], &t[i].words[k]);
				wps[m] = &ws[m];
				m++;
			}
			ot->words   = wps;
			ot->n_words = m;
		}
		ot->words_omitted = t[i].nwords - ot->n_words;
		Dumpwalk__V1__HiddenException **hs = b_array(b, t[i].nhidden, sizeof(*hs));
		if (hs != NULL) {
			size_t m = 0;
			for (size_t k = 0; k < t[i].nhidden; k++)
				if ((hs[m] = b_hidden(c, &t[i].hidden[k])) != NULL)
					m++;
			ot->hidden   = hs;
			ot->n_hidden = m;
		}
		tps[i] = ot;
	}
	o->threads   = tps;
	o->n_threads = n;
	r->residue   = o;
}

static uint64_t
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool
cancelled(const dwd_analyze_opts *opt)
{
	return opt != NULL && opt->cancelled != NULL && opt->cancelled(opt->cancel_arg);
}

static void set_status(dwd_analysis *out, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_status(dwd_analysis *out, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	out->code = code;
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	va_end(ap);
}

static void
build(builder *b, Dumpwalk__V1__AnalysisReport *r, const dw_dump *d, size_t len, bool regs)
{
	r->report_version = DWD_REPORT_VERSION;

	Dumpwalk__V1__DumpHeader *h  = b_array(b, 1, sizeof(*h));
	const dw_md_header       *mh = dw_dump_header(d);
	if (h != NULL) {
		dumpwalk__v1__dump_header__init(h);
		h->version         = mh->version;
		h->stream_count    = mh->stream_count;
		h->time_date_stamp = mh->time_date_stamp;
		h->flags           = mh->flags;
		h->file_size       = len;
		r->header          = h;
	}

	const dw_md_system_info *si = dw_dump_system_info(d);
	if (si != NULL) {
		Dumpwalk__V1__SystemInfo *s = b_array(b, 1, sizeof(*s));
		if (s != NULL) {
			dumpwalk__v1__system_info__init(s);
			s->cpu                     = b_str(b, dw_cpu_name(si->processor_architecture));
			s->processor_architecture  = si->processor_architecture;
			s->processor_level         = si->processor_level;
			s->processor_revision      = si->processor_revision;
			s->number_of_processors    = si->number_of_processors;
			s->product_type            = si->product_type;
			s->major_version           = si->major_version;
			s->minor_version           = si->minor_version;
			s->build_number            = si->build_number;
			s->platform_id             = si->platform_id;
			s->csd_version             = b_str(b, si->csd_version);
			s->suite_mask              = si->suite_mask;
			s->cpu_vendor              = b_str(b, si->vendor_id);
			s->cpu_version_information = si->version_information;
			s->cpu_feature_information = si->feature_information;
			r->system_info             = s;
		}
	}

	const dw_md_exception *ex = dw_dump_exception(d);
	if (ex != NULL) {
		Dumpwalk__V1__Exception *e = b_array(b, 1, sizeof(*e));
		if (e != NULL) {
			dumpwalk__v1__exception__init(e);
			e->thread_id = ex->thread_id;
			e->code      = ex->code;
			e->code_name = b_str(b, dwd_exception_name(ex->code));
			e->flags     = ex->flags;
			e->record    = ex->record;
			e->address   = ex->address;
			size_t np    = ex->number_parameters;
			if (np > DW_MD_EXCEPTION_MAX_PARAMS)
				np = DW_MD_EXCEPTION_MAX_PARAMS;
			e->parameters = b_array(b, np, sizeof(uint64_t));
			if (e->parameters != NULL) {
				memcpy(e->parameters, ex->parameters, np * sizeof(uint64_t));
				e->n_parameters = np;
			}
			if (regs)
				e->context = b_context(b, ex->context);
			r->exception = e;
		}
	}

	const dw_md_streams *os = dw_dump_other_streams(d);
	size_t               nt = 0;
	const dw_md_thread  *th = dw_dump_threads(d, &nt);
	Dumpwalk__V1__Thread  *ts  = b_array(b, nt, sizeof(*ts));
	Dumpwalk__V1__Thread **tps = b_array(b, nt, sizeof(*tps));
	if (ts != NULL && tps != NULL) {
		for (size_t i = 0; i < nt; i++) {
			Dumpwalk__V1__Thread *t = &ts[i];
			dumpwalk__v1__thread__init(t);
			t->thread_id      = th[i].thread_id;
			t->suspend_count  = th[i].suspend_count;
			t->priority_class = th[i].priority_class;
			t->priority       = th[i].priority;
			t->teb            = th[i].teb;
			t->stack_start    = th[i].stack.start;
			t->stack_size     = th[i].stack.loc.size;
			t->name = b_str(b, os != NULL ? dw_md_streams_thread_name_find(os, th[i].thread_id)
			                              : NULL);
			if (regs)
				t->context = b_context(b, th[i].context);
			tps[i] = t;
		}
		r->threads   = tps;
		r->n_threads = nt;
	}

	size_t              nm = 0;
	const dw_md_module *mm = dw_dump_modules(d, &nm);
	Dumpwalk__V1__Module  *ms  = b_array(b, nm, sizeof(*ms));
	Dumpwalk__V1__Module **mps = b_array(b, nm, sizeof(*mps));
	if (ms != NULL && mps != NULL) {
		for (size_t i = 0; i < nm; i++) {
			Dumpwalk__V1__Module *m = &ms[i];
			dumpwalk__v1__module__init(m);
			m->base_address    = mm[i].base;
			m->size            = mm[i].size;
			m->code_file       = b_str(b, mm[i].name);
			m->code_id         = b_str(b, mm[i].code_id);
			m->debug_file      = b_str(b, mm[i].cv != NULL ? mm[i].cv->pdb_name : NULL);
			m->debug_id        = b_str(b, mm[i].debug_id);
			m->checksum        = mm[i].checksum;
			m->time_date_stamp = mm[i].time_date_stamp;
			if (mm[i].has_version) {
				const dw_md_version_info *v = &mm[i].version;
				m->version = b_version(b, v->file_version_ms, v->file_version_ls);
				if (m->version == NULL) {
					b->oom     = true;
					m->version = (char *)"";
				}
			} else {
				m->version = (char *)"";
			}
			mps[i] = m;
		}
		r->modules   = mps;
		r->n_modules = nm;
	}

	size_t                       nu = 0;
	const dw_md_unloaded_module *um = dw_dump_unloaded_modules(d, &nu);
	Dumpwalk__V1__UnloadedModule  *us  = b_array(b, nu, sizeof(*us));
	Dumpwalk__V1__UnloadedModule **ups = b_array(b, nu, sizeof(*ups));
	if (us != NULL && ups != NULL) {
		for (size_t i = 0; i < nu; i++) {
			dumpwalk__v1__unloaded_module__init(&us[i]);
			us[i].base_address    = um[i].base;
			us[i].size            = um[i].size;
			us[i].code_file       = b_str(b, um[i].name);
			us[i].time_date_stamp = um[i].time_date_stamp;
			ups[i]                = &us[i];
		}
		r->unloaded_modules   = ups;
		r->n_unloaded_modules = nu;
	}

	size_t                    nr = 0;
	const dw_md_memory_range *mr = dw_dump_memory(d, &nr);
	uint64_t                  mb = 0;
	for (size_t i = 0; i < nr; i++)
		mb += mr[i].size;
	r->memory_ranges = nr > UINT32_MAX ? UINT32_MAX : (uint32_t)nr;
	r->memory_bytes  = mb;

	const dw_notes *notes = dw_dump_notes(d);
	r->notes              = b_notes(b, notes, &r->n_notes);
	r->notes_dropped      = notes->dropped;
}

// One analysis and everything its report points into: the dump's arena,
// the walk, the findings, the residue, the builder's arena.
typedef struct analysis {
	dw_dump                     *d;
	dw_walk                     *w;
	dw_findings                 *fs;
	dw_residue                  *res;
	dw_signature                *sig;
	builder                      b;
	bool                         built; // b is initialized
	Dumpwalk__V1__AnalysisReport r;
	Dumpwalk__V1__Timings        tm;
} analysis;

// run reads, walks, classifies and builds an->r. False when there is no
// report: out->code and out->message say why. Either way analysis_fini
// releases an.
static bool
run(analysis *an, dwd_analysis *out, const uint8_t *dump, size_t len, const dwd_analyze_opts *opt)
{
	memset(out, 0, sizeof(*out));
	memset(an, 0, sizeof(*an));
	if (cancelled(opt)) {
		set_status(out, DUMPWALK__V1__STATUS_CODE__DEADLINE_EXCEEDED,
		           "deadline passed before the analysis started");
		return false;
	}

	uint64_t t_start = now_us();
	dw_notes notes;
	dw_notes_init(&notes);
	dw_err rv = dw_dump_open_buffer_budget(&an->d, dump, len, opt != NULL ? opt->budget : 0, &notes);
	if (rv != DW_OK) {
		const char *why = notes.count > 0 ? notes.items[0].text : dw_strerror(rv);
		if (rv == DW_ENOMEM)
			set_status(out, DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED,
			           "out of memory reading the dump (%s); retry later", why);
		else
			set_status(out, DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT,
			           "not a readable minidump: %s (%s); check that the file is a Windows "
			           "minidump (.dmp, signature MDMP) and not truncated",
			           why, dw_errname(rv));
		dw_notes_fini(&notes);
		an->d = NULL;
		return false;
	}
	dw_notes_fini(&notes);
	const dw_dump *d = an->d;

	uint64_t t_read = now_us();

	// Walk and classify. A walk or classifier that runs out of memory
	// degrades the report (no frames, no findings) rather than failing it.
	dw_symprov *prov = dwd_symbols__provider(opt != NULL ? opt->symbols : NULL);
	dw_symsrc   src  = {0};
	if (prov != NULL)
		src = dw_symprov_source(prov);
	if (dw_walk_dump(&an->w, d, prov != NULL ? &src : NULL, NULL) != DW_OK)
		an->w = NULL;
	uint64_t t_walk = now_us();
	dw_classify_config cc;
	dw_classify_config_default(&cc);
	if (!cancelled(opt) && dw_classify(&an->fs, d, &cc) == DW_OK && an->w != NULL)
		(void)dw_classify_walk(an->fs, d, an->w, &cc);
	// Raw-stack residue (and the patterns it shows), then the signature,
	// which may use a hidden exception's recovered stack. Each degrades to
	// absent on failure, like the walk.
	if (an->w != NULL && !cancelled(opt)) {
		if (dw_residue_scan(&an->res, an->w, NULL) != DW_OK)
			an->res = NULL;
		if (an->res != NULL && an->fs != NULL)
			(void)dw_residue_classify(an->fs, an->res);
		if (dw_signature_make(&an->sig, an->w, an->fs, an->res, NULL) != DW_OK)
			an->sig = NULL;
	}
	uint64_t t_class = now_us();

	builder *b = &an->b;
	dw_arena_init(&b->a, DW_MAX_REPORT_BYTES);
	b->oom    = false;
	an->built = true;
	Dumpwalk__V1__AnalysisReport *r = &an->r;
	dumpwalk__v1__analysis_report__init(r);
	bool regs = opt != NULL && opt->include_registers;
	build(b, r, d, len, regs);

	size_t       nm = 0;
	analysis_ctx c  = {0};
	c.b             = b;
	c.d             = d;
	c.mods          = dw_dump_modules(d, &nm);
	c.nmods         = nm;
	c.prov          = prov;
	c.regs          = regs;
	if (prov != NULL && nm > 0)
		c.ms = calloc(nm, sizeof(*c.ms));
	if (an->w != NULL)
		b_walk(&c, r, an->w);
	b_crash(b, r, d);
	if (an->fs != NULL)
		b_findings(b, r, an->fs);
	if (an->sig != NULL)
		b_signature(b, r, an->sig);
	if (an->res != NULL)
		b_residue(&c, r, an->res);
	if (nm > 0 && r->n_modules == nm) {
		r->has_main_module = true;
		r->main_module     = 0;
	}
	r->symbols_configured = prov != NULL;
	b_module_symbols(&c, r);
	if (c.ms != NULL) {
		for (size_t i = 0; i < nm; i++)
			if (c.ms[i].opened)
				dw_symprov_close_module(prov, c.ms[i].h);
		free(c.ms);
	}
	dumpwalk__v1__timings__init(&an->tm);
	an->tm.read_us     = t_read - t_start;
	an->tm.walk_us     = t_walk - t_read;
	an->tm.classify_us = t_class - t_walk;
	an->tm.total_us    = now_us() - t_start;
	r->timings         = &an->tm;

	if (b->oom) {
		set_status(out, DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED,
		           "the report passed its memory ceiling; retry without registers");
		return false;
	}
	if (cancelled(opt)) {
		set_status(out, DUMPWALK__V1__STATUS_CODE__DEADLINE_EXCEEDED,
		           "deadline passed during the analysis");
		return false;
	}
	return true;
}

static void
analysis_fini(analysis *an)
{
	if (an->built)
		dw_arena_fini(&an->b.a);
	dw_signature_free(an->sig);
	dw_findings_free(an->fs);
	dw_residue_free(an->res);
	dw_walk_free(an->w);
	dw_dump_free(an->d);
}

void
dwd_analyze(dwd_analysis *out, const uint8_t *dump, size_t len, const dwd_analyze_opts *opt)
{
	analysis an;
	if (run(&an, out, dump, len, opt)) {
		Dumpwalk__V1__AnalyzeReply reply = DUMPWALK__V1__ANALYZE_REPLY__INIT;
		reply.report                     = &an.r;
		size_t n   = dumpwalk__v1__analyze_reply__get_packed_size(&reply);
		out->reply = malloc(n > 0 ? n : 1);
		if (out->reply == NULL)
			set_status(out, DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED,
			           "out of memory serializing the report");
		else
			out->reply_len = dumpwalk__v1__analyze_reply__pack(&reply, out->reply);
	}
	analysis_fini(&an);
}

void
dwd_analyze_report(dwd_analysis *out, const uint8_t *dump, size_t len,
                   const dwd_analyze_opts *opt, dwd_report_fn use, void *arg)
{
	analysis an;
	if (run(&an, out, dump, len, opt))
		use(&an.r, arg);
	analysis_fini(&an);
}

void
dwd_analysis_fini(dwd_analysis *a)
{
	free(a->reply);
	a->reply     = NULL;
	a->reply_len = 0;
}
