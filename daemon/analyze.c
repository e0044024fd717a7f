// daemon/analyze.c - builds the AnalysisReport from what walker/ reads.
//
// Every string and array of the report is allocated from one dw_arena for
// the duration of the call, serialized once, and freed together; the
// generated protobuf structs never leave this file.
#include "daemon/analyze.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/err.h"
#include "common/limits.h"
#include "dumpwalk/v1/analyzer.pb-c.h"
#include "dumpwalk/v1/envelope.pb-c.h"
#include "walker/context.h"
#include "walker/dump.h"
#include "walker/streams.h"

// Report-building scratch: the parse results are in the dump's own arena;
// this one holds the report's copies of pointers and its formatted strings.
// A report is a few KiB per thread with registers, so 64 MiB bounds a
// crafted 65536-thread dump.
#define DWD_REPORT_ARENA_MAX ((size_t)64 << 20)

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

static void *
b_array(builder *b, size_t n, size_t size)
{
	if (n == 0)
		return NULL;
	void *p = dw_arena_array(&b->a, n, size);
	if (p == NULL)
		b->oom = true;
	else
		memset(p, 0, n * size);
	return p;
}

// b_str copies s (NULL as "") so the report owns every string it names.
static char *
b_str(builder *b, const char *s)
{
	char *p = dw_arena_strdup(&b->a, s != NULL ? s : "");
	if (p == NULL) {
		b->oom = true;
		return (char *)"";
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
				m->version = dw_arena_printf(&b->a, "%u.%u.%u.%u", v->file_version_ms >> 16,
				                             v->file_version_ms & 0xffff,
				                             v->file_version_ls >> 16,
				                             v->file_version_ls & 0xffff);
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

	const dw_notes     *notes = dw_dump_notes(d);
	Dumpwalk__V1__Note  *ns   = b_array(b, notes->count, sizeof(*ns));
	Dumpwalk__V1__Note **nps  = b_array(b, notes->count, sizeof(*nps));
	if (ns != NULL && nps != NULL) {
		for (size_t i = 0; i < notes->count; i++) {
			dumpwalk__v1__note__init(&ns[i]);
			ns[i].code = b_str(b, dw_errname(notes->items[i].code));
			ns[i].text = b_str(b, notes->items[i].text);
			nps[i]     = &ns[i];
		}
		r->notes   = nps;
		r->n_notes = notes->count;
	}
	r->notes_dropped = notes->dropped;
}

void
dwd_analyze(dwd_analysis *out, const uint8_t *dump, size_t len, const dwd_analyze_opts *opt)
{
	memset(out, 0, sizeof(*out));
	if (cancelled(opt)) {
		set_status(out, DUMPWALK__V1__STATUS_CODE__DEADLINE_EXCEEDED,
		           "deadline passed before the analysis started");
		return;
	}

	dw_notes notes;
	dw_notes_init(&notes);
	dw_dump *d  = NULL;
	dw_err   rv = dw_dump_open_buffer_budget(&d, dump, len, opt != NULL ? opt->budget : 0, &notes);
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
		return;
	}
	dw_notes_fini(&notes);

	builder b;
	dw_arena_init(&b.a, DWD_REPORT_ARENA_MAX);
	b.oom = false;
	Dumpwalk__V1__AnalysisReport r = DUMPWALK__V1__ANALYSIS_REPORT__INIT;
	build(&b, &r, d, len, opt != NULL && opt->include_registers);

	if (b.oom) {
		set_status(out, DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED,
		           "the report passed its memory ceiling; retry without registers");
	} else if (cancelled(opt)) {
		set_status(out, DUMPWALK__V1__STATUS_CODE__DEADLINE_EXCEEDED,
		           "deadline passed during the analysis");
	} else {
		Dumpwalk__V1__AnalyzeReply reply = DUMPWALK__V1__ANALYZE_REPLY__INIT;
		reply.report                     = &r;
		size_t n                         = dumpwalk__v1__analyze_reply__get_packed_size(&reply);
		out->reply                       = malloc(n > 0 ? n : 1);
		if (out->reply == NULL) {
			set_status(out, DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED,
			           "out of memory serializing the report");
		} else {
			out->reply_len = dumpwalk__v1__analyze_reply__pack(&reply, out->reply);
		}
	}
	dw_arena_fini(&b.a);
	dw_dump_free(d);
}

void
dwd_analysis_fini(dwd_analysis *a)
{
	free(a->reply);
	a->reply     = NULL;
	a->reply_len = 0;
}
