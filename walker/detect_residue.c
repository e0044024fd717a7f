// walker/detect_residue.c - the raw-stack patterns (dw_residue_classify in
// walker/residue.h): Execution Residue, Coincidental Symbolic Information,
// Incorrect Stack Trace, Rough Stack Trace and Hidden Exception, each from a
// residue scan and the walk it was made from.
#include "walker/residue_int.h"
#include "walker/classify_int.h" // dw_sb, dw_classify__frame_where

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "walker/classify.h"
#include "walker/vmlayout.h"

#define DW_P_RESIDUE "Execution Residue (Unmanaged Space, User)"
#define DW_P_COINCIDENTAL "Coincidental Symbolic Information"
#define DW_P_INCORRECT "Incorrect Stack Trace"
#define DW_P_ROUGH "Rough Stack Trace (Unmanaged Space)"
#define DW_P_HIDDEN "Hidden Exception (User Space)"

// Evidence words shown per thread (the finding's evidence is capped anyway).
#define WORDS_PER_THREAD 4

static void
word_where(const dw_res_word *w, char *buf, size_t size)
{
	dw_sb        b;
	const char *mod = w->module != NULL ? w->module->basename : "?";
	dw_sb_init(&b, buf, size);
	if (w->function != NULL) {
		dw_sb_str(&b, mod);
		dw_sb_str(&b, "!");
		dw_sb_str(&b, w->function);
		dw_sb_str(&b, "+");
		dw_sb_0xhex(&b, w->function_offset);
	} else if (w->module != NULL) {
		dw_sb_str(&b, mod);
		dw_sb_str(&b, "+");
		dw_sb_0xhex(&b, w->value - w->module->base);
	} else
		dw_sb_0xhex(&b, w->value);
}

static void
word_evidence(dw_findings *fs, dw_finding *f, const char *what, const dw_res_word *w)
{
	char where[320], text[400];
	dw_sb b;
	word_where(w, where, sizeof(where));
	dw_sb_init(&b, text, sizeof(text));
	dw_sb_str(&b, "[");
	dw_sb_0xhex(&b, w->addr);
	dw_sb_str(&b, "] ");
	dw_sb_str(&b, where);
	dw_finding_frame(fs, f, what, w->value, text);
}

static void
frame_evidence(dw_findings *fs, dw_finding *f, const char *what, const dw_frame *fr)
{
	char where[320];
	dw_classify__frame_where(fr, where, sizeof(where));
	dw_finding_frame(fs, f, what, fr->ip, where);
}

static void
execution_residue(dw_findings *fs, dw_residue *r)
{
	size_t threads = 0, total = 0;
	for (size_t i = 0; i < r->nthreads; i++) {
		threads += r->threads[i].residue_returns != 0;
		total += r->threads[i].residue_returns;
	}
	if (threads == 0)
		return;
	dw_finding *f = dw_findings_add(fs, DW_P_RESIDUE, DW_CONF_LIKELY,
	                                "%zu thread%s' raw stacks hold %zu return address%s of calls "
	                                "that already returned (not on the walked stacks)",
	                                threads, threads == 1 ? "" : "s", total,
	                                total == 1 ? "" : "es");
	for (size_t i = 0; i < r->nthreads; i++) {
		const dw_res_thread *t = &r->threads[i];
		if (t->residue_returns == 0)
			continue;
		dw_finding_thread(fs, f, "thread", t->tid);
		dw_finding_value(fs, f, "residue return addresses", t->residue_returns, NULL);
		// Named ones first: they are what an analyst reads. One pass keeps
		// the first few of each kind (a thread's words run to thousands).
		const dw_res_word *named[WORDS_PER_THREAD], *unnamed[WORDS_PER_THREAD];
		size_t             nnamed = 0, nunnamed = 0;
		for (size_t k = 0; k < t->nwords && nnamed < WORDS_PER_THREAD; k++) {
			const dw_res_word *w = &t->words[k];
			if (w->cls != DW_RES_RETURN || w->live)
				continue;
			if (w->function != NULL)
				named[nnamed++] = w;
			else if (nunnamed < WORDS_PER_THREAD)
				unnamed[nunnamed++] = w;
		}
		for (size_t k = 0; k < nnamed; k++)
			word_evidence(fs, f, "residue return address", named[k]);
		for (size_t k = 0; k < nunnamed && nnamed + k < WORDS_PER_THREAD; k++)
			word_evidence(fs, f, "residue return address", unnamed[k]);
	}
}

static void
coincidental(dw_findings *fs, dw_residue *r)
{
	size_t threads = 0, total = 0;
	for (size_t i = 0; i < r->nthreads; i++) {
		threads += r->threads[i].counts[DW_RES_CODE] != 0;
		total += r->threads[i].counts[DW_RES_CODE];
	}
	if (total == 0)
		return;
	dw_finding *f = dw_findings_add(fs, DW_P_COINCIDENTAL, DW_CONF_POSSIBLE,
	                                "%zu raw-stack value%s on %zu thread%s point%s into code but "
	                                "not after a call: function pointers or data, not frames",
	                                total, total == 1 ? "" : "s", threads, threads == 1 ? "" : "s",
	                                total == 1 ? "s" : "");
	for (size_t i = 0; i < r->nthreads; i++) {
		const dw_res_thread *t = &r->threads[i];
		if (t->counts[DW_RES_CODE] == 0)
			continue;
		dw_finding_thread(fs, f, "thread", t->tid);
		size_t shown = 0;
		for (size_t k = 0; k < t->nwords && shown < WORDS_PER_THREAD; k++)
			if (t->words[k].cls == DW_RES_CODE) {
				word_evidence(fs, f, "code pointer, not a call site", &t->words[k]);
				shown++;
			}
	}
}

// call_preceded's answers for the last return addresses asked: threads of
// one program share most of their frames (thread start, waits), and each
// answer costs a code read and a disassembly.
#define CALL_MEMO 64
typedef struct call_memo {
	uint64_t ret[CALL_MEMO];
	dw_cpu   cpu[CALL_MEMO];
	int      answer[CALL_MEMO];
	bool     used[CALL_MEMO];
} call_memo;

// -1: no bytes to decide; 0: not call-preceded; 1: call-preceded.
static int
call_preceded(dw_residue *r, call_memo *m, dw_cpu cpu, uint64_t ret)
{
	size_t k = (size_t)((ret * 0x9E3779B97F4A7C15ull) >> 58) % CALL_MEMO;
	if (m->used[k] && m->ret[k] == ret && m->cpu[k] == cpu)
		return m->answer[k];
	uint8_t  b[10];
	uint64_t target;
	int      a;
	if (ret < sizeof(b) || dw_uw__read_code(r->u, ret - sizeof(b), b, sizeof(b)) != sizeof(b))
		a = -1;
	else
		a = dw_res__call_before(r, cpu, ret, &target) ? 1 : 0;
	m->used[k]   = true;
	m->ret[k]    = ret;
	m->cpu[k]    = cpu;
	m->answer[k] = a;
	return a;
}

static void
incorrect_stacks(dw_findings *fs, dw_residue *r)
{
	call_memo memo;
	memset(memo.used, 0, sizeof(memo.used));
	for (size_t i = 0; i < r->nthreads; i++) {
		const dw_res_thread *t  = &r->threads[i];
		const dw_stack      *st = dw_res__walked(r, t);
		if (st == NULL)
			continue;
		const dw_res_stackrange  *sr = dw_res__stack_of(r, t->sp);
		dw_finding               *f  = NULL;
		for (size_t k = 1; k < st->nframes; k++) {
			const dw_frame *fr  = &st->frames[k];
			uint64_t        sp  = dw_context_sp(&fr->ctx);
			uint64_t        psp = dw_context_sp(&st->frames[k - 1].ctx);
			const char     *why = NULL;
			const dw_md_memory_info *mi = dw_md_streams_memory_info_at(r->s, fr->ip);
			if (sp < psp)
				why = "stack pointer moved backwards";
			else if (sr != NULL && (sp < sr->lo || sp > sr->hi))
				why = "stack pointer left the thread's stack";
			else if (fr->module == NULL && mi != NULL &&
			         (mi->state != DW_MD_MEM_COMMIT || (mi->protect & DW_MD_PAGE_EXECUTE_ANY) == 0))
				why = "frame in non-code memory";
			else if (fr->trust < DW_TRUST_CONTEXT && call_preceded(r, &memo, fr->ctx.cpu, fr->ip) == 0)
				why = "return address not preceded by a call";
			if (why == NULL)
				continue;
			if (f == NULL) {
				f = dw_findings_add(fs, DW_P_INCORRECT, DW_CONF_LIKELY,
				                    "thread %u's walk has frames that fail checks", t->tid);
				dw_finding_thread(fs, f, "thread", t->tid);
			}
			frame_evidence(fs, f, "suspect frame", fr);
			dw_finding_text(fs, f, "check", "frame %zu (%s): %s", k, dw_trust_name(fr->trust), why);
		}
	}
}

static void
rough_stacks(dw_findings *fs, dw_residue *r)
{
	for (size_t i = 0; i < r->nthreads; i++) {
		const dw_res_thread *t       = &r->threads[i];
		const dw_stack      *st      = dw_res__walked(r, t);
		size_t               scanned = 0;
		for (size_t k = 1; st != NULL && k < st->nframes; k++)
			scanned += st->frames[k].trust == DW_TRUST_SCAN;
		if (st != NULL && st->nframes > 1 && scanned == st->nframes - 1) {
			dw_finding *f = dw_findings_add(fs, DW_P_ROUGH, DW_CONF_LIKELY,
			                                "thread %u's %zu caller frames were all found by "
			                                "scanning the raw stack",
			                                t->tid, scanned);
			dw_finding_thread(fs, f, "thread", t->tid);
			for (size_t k = 0; k < st->nframes && k < 8; k++)
				frame_evidence(fs, f, k == 0 ? "context frame" : "scanned frame", &st->frames[k]);
			continue;
		}
		// No usable context: the validated return addresses above the stack
		// pointer, in order, are the stack.
		bool unusable = st == NULL || st->nframes == 0 || st->end == DW_WALK_END_NO_CONTEXT ||
		                (st->nframes == 1 && st->end == DW_WALK_END_INVALID_ADDRESS);
		if (!unusable)
			continue;
		size_t n = 0;
		for (size_t k = 0; k < t->nwords; k++)
			n += t->words[k].cls == DW_RES_RETURN && !t->words[k].below_sp;
		if (n < 2)
			continue;
		dw_finding *f = dw_findings_add(fs, DW_P_ROUGH, DW_CONF_POSSIBLE,
		                                "thread %u has no usable context; %zu call-preceded return "
		                                "addresses on its raw stack, in order, stand for its stack",
		                                t->tid, n);
		dw_finding_thread(fs, f, "thread", t->tid);
		size_t shown = 0;
		for (size_t k = 0; k < t->nwords && shown < 16; k++)
			if (t->words[k].cls == DW_RES_RETURN && !t->words[k].below_sp) {
				word_evidence(fs, f, "raw-stack frame", &t->words[k]);
				shown++;
			}
	}
}

static void
hidden(dw_findings *fs, dw_residue *r)
{
	for (size_t i = 0; i < r->nthreads; i++) {
		const dw_res_thread *t = &r->threads[i];
		for (size_t k = 0; k < t->nhidden; k++) {
			const dw_res_hidden *h = &t->hidden[k];
			dw_finding          *f;
			if (h->record_addr != 0) {
				const char   *name = dw_ntstatus_name(h->code);
				dw_confidence c    = h->context_addr != 0 && h->ip_matches && h->stack.nframes != 0
				                         ? DW_CONF_CERTAIN
				                     : h->context_addr != 0 || h->ndispatch != 0 ? DW_CONF_LIKELY
				                                                                 : DW_CONF_POSSIBLE;
				f = dw_findings_add(fs, DW_P_HIDDEN, c,
				                    "thread %u's stack holds an exception record (0x%08" PRIX32
				                    " %s at 0x%" PRIx64 ")%s that its current stack no longer shows",
				                    t->tid, h->code, name != NULL ? name : "", h->address,
				                    h->context_addr != 0 ? " and its context" : "");
				dw_finding_thread(fs, f, "thread", t->tid);
				dw_finding_value(fs, f, "exception code", h->code, name);
				dw_res_word aw;
				memset(&aw, 0, sizeof(aw));
				aw.value = h->address;
				aw.addr  = h->record_addr;
				uint64_t start;
				dw_res__symbol(r, h->address, &aw.module, &aw.function, &start);
				aw.function_offset = h->address - start;
				char where[320];
				word_where(&aw, where, sizeof(where));
				dw_finding_frame(fs, f, "exception address", h->address, where);
				dw_finding_address(fs, f, "EXCEPTION_RECORD", h->record_addr, NULL);
				if (h->code == 0xC0000005u && h->nparams >= 2)
					dw_finding_address(fs, f, "data address", h->params[1],
					                   h->params[0] == 0   ? "read"
					                   : h->params[0] == 1 ? "write"
					                   : h->params[0] == 8 ? "execute (DEP)"
					                                       : NULL);
				else
					for (uint32_t p = 0; p < h->nparams && p < 4; p++)
						dw_finding_value(fs, f, "parameter", h->params[p], NULL);
				if (h->context_addr != 0) {
					dw_finding_address(fs, f, "CONTEXT", h->context_addr, NULL);
					dw_finding_address(fs, f, "context instruction pointer", h->context_ip, NULL);
					dw_finding_address(fs, f, "context stack pointer", h->context_sp, NULL);
				}
				for (size_t n = 0; n < h->stack.nframes && n < 12; n++)
					frame_evidence(fs, f, "recovered frame", &h->stack.frames[n]);
			} else {
				f = dw_findings_add(fs, DW_P_HIDDEN, DW_CONF_POSSIBLE,
				                    "thread %u's raw stack holds return addresses into exception "
				                    "dispatching that its current stack does not show",
				                    t->tid);
				dw_finding_thread(fs, f, "thread", t->tid);
			}
			for (size_t n = 0; n < h->ndispatch; n++)
				word_evidence(fs, f, "dispatch residue", h->dispatch[n]);
		}
	}
}

dw_err
dw_residue_classify(dw_findings *fs, dw_residue *r)
{
	if (r == NULL)
		return DW_OK;
	hidden(fs, r);
	execution_residue(fs, r);
	coincidental(fs, r);
	incorrect_stacks(fs, r);
	rough_stacks(fs, r);
	dw_err rv = dw_findings_error(fs);
	return rv == DW_ENOMEM ? rv : DW_OK;
}
