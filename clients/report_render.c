// clients/report_render.c - text and JSON forms of an AnalysisReport. JSON
// keys follow minidump-stackwalk's where it has the same fact (system_info,
// crash_info, threads, modules), with the rest under "dumpwalk".
#include "clients/report_render.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "clients/json.h"

static void
utc(char *buf, size_t n, uint32_t t)
{
	time_t    tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "%" PRIu32, t);
}

// Text never prints a dump's strings raw: control bytes become '?', so a
// hostile module name cannot move the cursor of the analyst's terminal.
static void
put_safe(FILE *f, const char *s)
{
	for (; s != NULL && *s != 0; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static void
text_context(FILE *f, const Dumpwalk__V1__Context *c, const char *indent)
{
	if (c == NULL)
		return;
	int col = 0;
	fprintf(f, "%s", indent);
	for (size_t i = 0; i < c->n_registers; i++) {
		const Dumpwalk__V1__Register *g = c->registers[i];
		if (!g->valid)
			continue;
		if (col == 4) {
			fprintf(f, "\n%s", indent);
			col = 0;
		}
		fprintf(f, "%s%6s=0x%016" PRIx64, col ? "  " : "", g->name, g->value);
		col++;
	}
	fprintf(f, "\n");
}

// WinDbg's short module name: the file name without its extension.
static void
put_modname(FILE *f, const char *path)
{
	const char *b = path;
	for (const char *s = path; s != NULL && *s != 0; s++)
		if (*s == '/' || *s == '\\')
			b = s + 1;
	const char *dot = b != NULL ? strrchr(b, '.') : NULL;
	for (const char *s = b; s != NULL && *s != 0 && s != dot; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

// "module!function+0xoff [file @ line]" as `k` prints a call site.
static void
put_site(FILE *f, const Dumpwalk__V1__AnalysisReport *r, const Dumpwalk__V1__Frame *fr)
{
	if (fr->has_module && fr->module_index < r->n_modules) {
		put_modname(f, r->modules[fr->module_index]->code_file);
		if (fr->function[0] != 0) {
			fputc('!', f);
			put_safe(f, fr->function);
			fprintf(f, "+0x%" PRIx64, fr->function_offset);
		} else {
			fprintf(f, "+0x%" PRIx64, fr->module_offset);
		}
	} else {
		fprintf(f, "0x%" PRIx64, fr->instruction);
	}
	if (fr->file[0] != 0) {
		fprintf(f, " [");
		put_safe(f, fr->file);
		fprintf(f, " @ %" PRIu32 "]", fr->line);
	}
}

static void
text_stack(FILE *f, const Dumpwalk__V1__AnalysisReport *r, const Dumpwalk__V1__Stack *st,
           int digits)
{
	if (st == NULL)
		return;
	fprintf(f, "   # %-*s %-13s Call Site\n", digits, "IP", "Trust");
	for (size_t i = 0; i < st->n_frames; i++) {
		const Dumpwalk__V1__Frame *fr = st->frames[i];
		for (size_t k = 0; k < fr->n_inlines; k++) {
			const Dumpwalk__V1__InlineFrame *in = fr->inlines[k];
			fprintf(f, "  -- %-*s %-13s ", digits, "(inline)", "inline");
			if (fr->has_module && fr->module_index < r->n_modules) {
				put_modname(f, r->modules[fr->module_index]->code_file);
				fputc('!', f);
			}
			put_safe(f, in->function);
			if (in->file[0] != 0) {
				fprintf(f, " [");
				put_safe(f, in->file);
				fprintf(f, " @ %" PRIu32 "]", in->line);
			}
			fprintf(f, "\n");
		}
		fprintf(f, "  %02zx %0*" PRIx64 " %-13s ", i, digits, fr->instruction, fr->trust);
		put_site(f, r, fr);
		fprintf(f, "\n");
	}
	fprintf(f, "  (walk ended: %s", st->end);
	if (st->end_detail[0] != 0) {
		fprintf(f, ": ");
		put_safe(f, st->end_detail);
	}
	fprintf(f, ")\n");
}

static void
text_exception(FILE *f, const Dumpwalk__V1__AnalysisReport *r, int digits)
{
	const Dumpwalk__V1__Exception *e = r->exception;
	const Dumpwalk__V1__CrashInfo *c = r->crash;
	if (e == NULL) {
		fprintf(f, "exception: none\n");
		if (c != NULL && c->assertion[0] != 0) {
			fprintf(f, "assertion: ");
			put_safe(f, c->assertion);
			fprintf(f, "\n");
		}
		return;
	}
	fprintf(f, "\nException record (.exr -1):\n");
	fprintf(f, "ExceptionAddress: %0*" PRIx64, digits, e->address);
	if (c != NULL && c->has_crashing_thread && c->crashing_thread < r->n_threads) {
		const Dumpwalk__V1__Stack *st = r->threads[c->crashing_thread]->stack;
		if (st != NULL && st->n_frames > 0 && st->frames[0]->instruction == e->address) {
			fprintf(f, " (");
			put_site(f, r, st->frames[0]);
			fprintf(f, ")");
		}
	}
	fprintf(f, "\n   ExceptionCode: %08" PRIx32 " (", e->code);
	put_safe(f, c != NULL && c->type[0] != 0 ? c->type : e->code_name[0] != 0 ? e->code_name : "unknown");
	fprintf(f, ")\n  ExceptionFlags: %08" PRIx32 "\nNumberParameters: %zu\n", e->flags,
	        e->n_parameters);
	for (size_t i = 0; i < e->n_parameters; i++)
		fprintf(f, "   Parameter[%zu]: %0*" PRIx64 "\n", i, digits, e->parameters[i]);
	if ((e->code == 0xc0000005u || e->code == 0xc0000006u) && e->n_parameters >= 2) {
		const char *verb = e->parameters[0] == 0   ? "read from"
		                   : e->parameters[0] == 1 ? "write to"
		                   : e->parameters[0] == 8 ? "execute"
		                                           : "access";
		fprintf(f, "Attempt to %s address %0*" PRIx64 "\n", verb, digits, e->parameters[1]);
	}
	fprintf(f, "Thread: %" PRIu32 "\n", e->thread_id);
	if (c != NULL && c->assertion[0] != 0) {
		fprintf(f, "Assertion: ");
		put_safe(f, c->assertion);
		fprintf(f, "\n");
	}
	text_context(f, e->context, "  ");
}

static void
text_findings(FILE *f, const Dumpwalk__V1__AnalysisReport *r)
{
	fprintf(f, "\nAnalysis:\n");
	size_t shown = 0;
	// Claims first, then what could not be checked, then measured facts.
	static const char *const order[] = {"pattern", "needs", "summary"};
	for (size_t o = 0; o < 3; o++) {
		for (size_t i = 0; i < r->n_findings; i++) {
			const Dumpwalk__V1__Finding *fd = r->findings[i];
			if (strcmp(fd->kind, order[o]) != 0)
				continue;
			shown++;
			if (o == 0)
				fprintf(f, "  [%s] ", fd->confidence);
			else
				fprintf(f, "  (%s) ", fd->kind);
			put_safe(f, fd->pattern);
			fprintf(f, ": ");
			put_safe(f, fd->explanation);
			fprintf(f, "\n");
			for (size_t k = 0; k < fd->n_evidence; k++) {
				const Dumpwalk__V1__Evidence *e = fd->evidence[k];
				fprintf(f, "      %s: ", e->what);
				if (e->has_value) {
					if (strcmp(e->kind, "thread") == 0 || strcmp(e->kind, "value") == 0)
						fprintf(f, "%" PRIu64, e->value);
					else
						fprintf(f, "0x%" PRIx64, e->value);
					if (e->text[0] != 0)
						fprintf(f, " ");
				}
				put_safe(f, e->text);
				fprintf(f, "\n");
			}
			if (fd->evidence_dropped > 0)
				fprintf(f, "      (%" PRIu64 " more evidence items not kept)\n",
				        fd->evidence_dropped);
		}
	}
	if (shown == 0)
		fprintf(f, "  no findings\n");
}

// WinDbg's dps prints 64-bit values as two 8-digit halves joined by a backtick.
static void
put_word(FILE *f, uint64_t v, uint32_t ptr)
{
	if (ptr == 8)
		fprintf(f, "%08" PRIx64 "`%08" PRIx64, v >> 32, v & 0xffffffffu);
	else
		fprintf(f, "%08" PRIx64, v);
}

// What the collapsed residue keeps: return addresses and values with a
// symbol (code pointers, named globals), what an analyst reads first.
static bool
word_symbolic(const Dumpwalk__V1__ResidueWord *w)
{
	return strcmp(w->class_, "return") == 0 || w->function[0] != 0;
}

static void
text_residue_word(FILE *f, const Dumpwalk__V1__ResidueWord *w, uint32_t ptr)
{
	fprintf(f, "    ");
	put_word(f, w->address, ptr);
	fprintf(f, "  ");
	put_word(f, w->value, ptr);
	if (w->module[0] != 0) {
		fputc(' ', f);
		put_modname(f, w->module);
		if (w->function[0] != 0) {
			fputc('!', f);
			put_safe(f, w->function);
			fprintf(f, "+0x%" PRIx64, w->function_offset);
		} else {
			fprintf(f, "+0x%" PRIx64, w->module_offset);
		}
	}
	if (strcmp(w->class_, "return") == 0) {
		fprintf(f, " [return, %s", w->live ? "live frame" : "residue");
		if (w->call_target != 0) {
			fprintf(f, ", calls 0x%" PRIx64, w->call_target);
			if (w->call_target_function[0] != 0) {
				fputc(' ', f);
				put_safe(f, w->call_target_function);
			}
		}
		fputc(']', f);
	} else if (strcmp(w->class_, "code") == 0) {
		fprintf(f, " [code pointer, not a call site]");
	} else if (strcmp(w->class_, "stack") == 0) {
		fprintf(f, " [stack of thread %" PRIu32 "]", w->thread_id);
	} else if (strcmp(w->class_, "ascii") == 0 || strcmp(w->class_, "utf16") == 0) {
		fprintf(f, " [%s \"", w->class_);
		put_safe(f, w->text);
		fprintf(f, "\"]");
	} else if (strcmp(w->class_, "fill") == 0) {
		fprintf(f, " [fill ");
		put_safe(f, w->text);
		fputc(']', f);
	} else {
		fprintf(f, " [%s]", w->class_);
	}
	if (w->below_sp)
		fprintf(f, " (below sp)");
	fputc('\n', f);
}

// The thread's raw-stack residue in dps form: a summary line, then the
// words (collapsed unless `full`), then its hidden exceptions.
static void
text_residue(FILE *f, const Dumpwalk__V1__AnalysisReport *r, uint32_t tid, bool full)
{
	const Dumpwalk__V1__ResidueThread *t = NULL;
	for (size_t i = 0; r->residue != NULL && i < r->residue->n_threads && t == NULL; i++)
		if (r->residue->threads[i]->thread_id == tid)
			t = r->residue->threads[i];
	if (t == NULL)
		return;
	if (t->missing) {
		fprintf(f, "  Residue: no stack memory in the dump\n");
		return;
	}
	fprintf(f, "  Residue (dps) 0x%" PRIx64 "-0x%" PRIx64 ", sp 0x%" PRIx64 ":", t->scanned_from,
	        t->scanned_to, t->stack_pointer);
	for (size_t i = 0; i < t->n_counts; i++)
		fprintf(f, " %s %" PRIu64, t->counts[i]->class_, t->counts[i]->count);
	fprintf(f, "; %" PRIu64 " residue return address%s\n", t->residue_returns,
	        t->residue_returns == 1 ? "" : "es");
	size_t hidden = 0;
	for (size_t i = 0; i < t->n_words; i++) {
		if (full || word_symbolic(t->words[i]))
			text_residue_word(f, t->words[i], t->pointer_size);
		else
			hidden++;
	}
	if (hidden > 0)
		fprintf(f, "    (%zu other classified words not shown: --residue shows them)\n", hidden);
	if (t->words_omitted > 0 || t->dropped > 0)
		fprintf(f, "    (%" PRIu64 " classified words not in the report)\n",
		        t->words_omitted + t->dropped);
	for (size_t h = 0; h < t->n_hidden; h++) {
		const Dumpwalk__V1__HiddenException *x = t->hidden[h];
		if (x->record_address != 0)
			fprintf(f, "    hidden exception: 0x%08" PRIX32 " %s at 0x%" PRIx64
			           " (record at 0x%" PRIx64 ", %" PRIu64 " cop%s)\n",
			        x->code, x->code_name, x->address, x->record_address, x->copies,
			        x->copies == 1 ? "y" : "ies");
		else
			fprintf(f, "    hidden exception: dispatch residue only\n");
		if (x->context_address != 0)
			fprintf(f, "      context at 0x%" PRIx64 ": ip 0x%" PRIx64 " sp 0x%" PRIx64 "\n",
			        x->context_address, x->context_ip, x->context_sp);
		if (x->stack != NULL)
			text_stack(f, r, x->stack, t->pointer_size == 4 ? 8 : 16);
	}
}

static void
text_signature(FILE *f, const Dumpwalk__V1__AnalysisReport *r)
{
	if (r->signature == NULL)
		return;
	fprintf(f, "Signature: ");
	put_safe(f, r->signature->text);
	fprintf(f, " (hash 0x%016" PRIx64 ")\n", r->signature->hash);
}

static void
render_text(FILE *f, const Dumpwalk__V1__AnalysisReport *r, const char *name, bool timings,
            bool residue_full)
{
	char when[40] = "";
	int  digits   = r->system_info != NULL && strcmp(r->system_info->cpu, "x86") == 0 ? 8 : 16;
	fprintf(f, "dump: ");
	put_safe(f, name);
	fprintf(f, "\n");
	if (r->header != NULL) {
		utc(when, sizeof(when), r->header->time_date_stamp);
		fprintf(f, "  %" PRIu64 " bytes, %" PRIu32 " streams, written %s, flags 0x%" PRIx64 "\n",
		        r->header->file_size, r->header->stream_count, when, r->header->flags);
	}
	fprintf(f, "  memory: %" PRIu32 " ranges, %" PRIu64 " bytes\n", r->memory_ranges,
	        r->memory_bytes);
	const Dumpwalk__V1__SystemInfo *s = r->system_info;
	if (s != NULL) {
		fprintf(f, "system: Windows %" PRIu32 ".%" PRIu32 ".%" PRIu32 " %s, %" PRIu32 " CPUs",
		        s->major_version, s->minor_version, s->build_number, s->cpu,
		        s->number_of_processors);
		if (s->cpu_vendor[0] != 0) {
			fprintf(f, " (");
			put_safe(f, s->cpu_vendor);
			fprintf(f, " family %" PRIu32 " model 0x%" PRIx32 ")", s->processor_level,
			        s->processor_revision);
		}
		if (s->csd_version[0] != 0) {
			fprintf(f, ", ");
			put_safe(f, s->csd_version);
		}
		fprintf(f, "\n");
	} else {
		fprintf(f, "system: unknown (no SystemInfo stream)\n");
	}
	if (r->wow64) {
		fprintf(f, "WOW64: a 32-bit process in a 64-bit dump (");
		put_safe(f, r->wow64_why);
		fprintf(f, ")\n");
	}
	if (!r->symbols_configured)
		fprintf(f, "symbols: none configured (frames by module+offset)\n");
	text_signature(f, r);
	text_exception(f, r, digits);
	text_findings(f, r);

	const Dumpwalk__V1__CrashInfo *c = r->crash;
	fprintf(f, "\nThreads: %zu\n", r->n_threads);
	for (size_t i = 0; i < r->n_threads; i++) {
		const Dumpwalk__V1__Thread *t = r->threads[i];
		fprintf(f, "%s%zu  Id: %" PRIx32 " (%" PRIu32 ")  Teb: %0*" PRIx64 "  Stack: %0*" PRIx64
		           " +0x%" PRIx64 "  Suspend: %" PRIu32 " Priority: %" PRIu32,
		        c != NULL && c->has_crashing_thread && c->crashing_thread == i ? "." : " ", i,
		        t->thread_id, t->thread_id, digits, t->teb, digits, t->stack_start,
		        t->stack_size, t->suspend_count, t->priority);
		if (t->name[0] != 0) {
			fprintf(f, " \"");
			put_safe(f, t->name);
			fprintf(f, "\"");
		}
		if (t->is_dump_thread)
			fprintf(f, " [wrote the dump: not walked]");
		fprintf(f, "\n");
		text_context(f, t->context, "         ");
		text_stack(f, r, t->stack, digits);
		if (t->has_stack32) {
			fprintf(f, "  WOW64 32-bit stack (%s):\n",
			        t->wow64_layout[0] != 0 ? t->wow64_layout : "no context");
			text_stack(f, r, t->stack32, 8);
		}
		text_residue(f, r, t->thread_id, residue_full);
	}

	fprintf(f, "\nModules (lm): %zu\n", r->n_modules);
	fprintf(f, "%-*s %-*s %-24s %-10s %s\n", digits, "start", digits, "end", "module name",
	        "symbols", "version / ids / origin");
	for (size_t i = 0; i < r->n_modules; i++) {
		const Dumpwalk__V1__Module *m = r->modules[i];
		fprintf(f, "%0*" PRIx64 " %0*" PRIx64 " ", digits, m->base_address, digits,
		        m->base_address + m->size);
		long start = ftell(f);
		put_modname(f, m->code_file);
		long used = ftell(f) - start;
		for (long k = used; start >= 0 && k < 24; k++)
			fputc(' ', f);
		const Dumpwalk__V1__ModuleSymbols *sy = m->symbols;
		fprintf(f, " %-10s %s\n", sy != NULL ? sy->status : "-",
		        m->version[0] != 0 ? m->version : "-");
		fprintf(f, "      ");
		put_safe(f, m->code_file);
		fprintf(f, "  code_id %s  debug ", m->code_id[0] != 0 ? m->code_id : "-");
		put_safe(f, m->debug_file[0] != 0 ? m->debug_file : "-");
		fprintf(f, " %s\n", m->debug_id[0] != 0 ? m->debug_id : "-");
		if (sy != NULL && sy->origin[0] != 0) {
			fprintf(f, "      symbols: ");
			put_safe(f, sy->origin);
			fprintf(f, "%s\n", sy->unwind_info ? " (unwind info)" : "");
		}
	}
	if (r->n_unloaded_modules > 0) {
		fprintf(f, "\nUnloaded modules: %zu\n", r->n_unloaded_modules);
		for (size_t i = 0; i < r->n_unloaded_modules; i++) {
			const Dumpwalk__V1__UnloadedModule *u = r->unloaded_modules[i];
			fprintf(f, "%0*" PRIx64 " %0*" PRIx64 " ", digits, u->base_address, digits,
			        u->base_address + u->size);
			put_safe(f, u->code_file);
			fprintf(f, "\n");
		}
	}
	if (r->n_notes > 0 || r->notes_dropped > 0 || r->n_walk_notes > 0) {
		fprintf(f, "\nNotes: %zu\n", r->n_notes + r->n_walk_notes);
		for (size_t i = 0; i < r->n_notes + r->n_walk_notes; i++) {
			const Dumpwalk__V1__Note *n =
			    i < r->n_notes ? r->notes[i] : r->walk_notes[i - r->n_notes];
			fprintf(f, "  %s: ", n->code);
			put_safe(f, n->text);
			fprintf(f, "\n");
		}
		if (r->notes_dropped > 0)
			fprintf(f, "  (%" PRIu64 " more not kept)\n", r->notes_dropped);
	}
	if (timings && r->timings != NULL)
		fprintf(f, "\nTimings: read %" PRIu64 " us, walk %" PRIu64 " us, classify %" PRIu64
		           " us, total %" PRIu64 " us\n",
		        r->timings->read_us, r->timings->walk_us, r->timings->classify_us,
		        r->timings->total_us);
}

static void
json_context(dwc_json *j, const char *key, const Dumpwalk__V1__Context *c)
{
	if (c == NULL)
		return;
	dwc_json_key(j, key);
	dwc_json_begin_object(j);
	dwc_json_kv_string(j, "cpu", c->cpu);
	dwc_json_kv_hex(j, "context_flags", c->flags);
	dwc_json_key(j, "registers");
	dwc_json_begin_object(j);
	for (size_t i = 0; i < c->n_registers; i++)
		if (c->registers[i]->valid)
			dwc_json_kv_hex(j, c->registers[i]->name, c->registers[i]->value);
	dwc_json_end_object(j);
	dwc_json_end_object(j);
}

// Pointer-width hex, as minidump-stackwalk writes addresses and offsets.
static int
ptr_digits(const Dumpwalk__V1__AnalysisReport *r)
{
	return r->system_info != NULL && strcmp(r->system_info->cpu, "x86") == 0 ? 8 : 16;
}

static void
kv_ptr(dwc_json *j, const char *key, uint64_t v, int digits)
{
	dwc_json_key(j, key);
	dwc_json_hex_width(j, v, digits);
}

static const char *
file_name(const char *p)
{
	const char *b = p;
	for (const char *s = p; s != NULL && *s != 0; s++)
		if (*s == '/' || *s == '\\')
			b = s + 1;
	return b != NULL ? b : "";
}

static bool
module_loaded(const Dumpwalk__V1__AnalysisReport *r, const Dumpwalk__V1__Frame *fr)
{
	if (!fr->has_module || fr->module_index >= r->n_modules)
		return false;
	const Dumpwalk__V1__ModuleSymbols *s = r->modules[fr->module_index]->symbols;
	return s != NULL && strcmp(s->status, "loaded") == 0;
}

static void
json_regs(dwc_json *j, const Dumpwalk__V1__Frame *fr, int digits)
{
	dwc_json_key(j, "registers");
	dwc_json_begin_object(j);
	for (size_t i = 0; i < fr->n_registers; i++)
		kv_ptr(j, fr->registers[i]->name, fr->registers[i]->value,
		       digits == 8 && fr->registers[i]->value <= 0xffffffffu ? 8 : digits);
	dwc_json_end_object(j);
}

static void
json_frames(dwc_json *j, const Dumpwalk__V1__AnalysisReport *r, const Dumpwalk__V1__Stack *st,
            int digits, bool with_regs)
{
	size_t n = st != NULL ? st->n_frames : 0;
	dwc_json_kv_uint(j, "frame_count", n);
	dwc_json_key(j, "frames");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		const Dumpwalk__V1__Frame *fr  = st->frames[i];
		bool                       fn  = fr->function[0] != 0;
		bool                       src = fr->file[0] != 0;
		// minidump-stackwalk's offsets are of the address it symbolized: a
		// caller's return address minus one.
		uint64_t back = fr->instruction - fr->lookup;
		dwc_json_begin_object(j);
		dwc_json_kv_string(j, "file", src ? fr->file : NULL);
		dwc_json_kv_uint(j, "frame", i);
		dwc_json_kv_string(j, "function", fn ? fr->function : NULL);
		dwc_json_key(j, "function_offset");
		if (fn)
			dwc_json_hex_width(j, fr->function_offset - back, digits);
		else
			dwc_json_null(j);
		dwc_json_key(j, "inlines");
		if (fr->n_inlines > 0) {
			dwc_json_begin_array(j);
			for (size_t k = 0; k < fr->n_inlines; k++) {
				const Dumpwalk__V1__InlineFrame *in = fr->inlines[k];
				dwc_json_begin_object(j);
				dwc_json_kv_string(j, "file", in->file[0] != 0 ? in->file : NULL);
				dwc_json_kv_string(j, "function", in->function);
				dwc_json_key(j, "line");
				if (in->line != 0)
					dwc_json_uint(j, in->line);
				else
					dwc_json_null(j);
				dwc_json_end_object(j);
			}
			dwc_json_end_array(j);
		} else {
			dwc_json_null(j);
		}
		dwc_json_key(j, "line");
		if (src && fr->line != 0)
			dwc_json_uint(j, fr->line);
		else
			dwc_json_null(j);
		dwc_json_kv_bool(j, "missing_symbols", fr->has_module && !module_loaded(r, fr));
		dwc_json_kv_string(j, "module", fr->has_module ? fr->module : NULL);
		dwc_json_key(j, "module_offset");
		if (fr->has_module)
			dwc_json_hex_width(j, fr->module_offset - back, digits);
		else
			dwc_json_null(j);
		kv_ptr(j, "offset", fr->lookup, digits);
		if (with_regs && i == 0 && fr->n_registers > 0)
			json_regs(j, fr, digits);
		dwc_json_kv_string(j, "trust", fr->trust);
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);
}

static void
json_thread(dwc_json *j, const Dumpwalk__V1__AnalysisReport *r, const Dumpwalk__V1__Thread *t,
            int digits, bool with_regs)
{
	json_frames(j, r, t->stack, digits, with_regs);
	dwc_json_kv_uint(j, "thread_id", t->thread_id);
	dwc_json_kv_string(j, "thread_name", t->name[0] != 0 ? t->name : NULL);
}

static void
json_stack_extra(dwc_json *j, const Dumpwalk__V1__Stack *st)
{
	dwc_json_begin_object(j);
	if (st != NULL) {
		dwc_json_kv_string(j, "cpu", st->cpu);
		dwc_json_kv_string(j, "end", st->end);
		dwc_json_kv_string(j, "end_detail", st->end_detail);
	}
	dwc_json_end_object(j);
}

static void
json_findings(dwc_json *j, const Dumpwalk__V1__AnalysisReport *r)
{
	dwc_json_key(j, "patterns");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < r->n_findings; i++) {
		const Dumpwalk__V1__Finding *fd = r->findings[i];
		dwc_json_begin_object(j);
		dwc_json_kv_string(j, "pattern", fd->pattern);
		dwc_json_kv_string(j, "kind", fd->kind);
		dwc_json_kv_string(j, "confidence", fd->confidence);
		if (fd->needed[0] != 0)
			dwc_json_kv_string(j, "needed", fd->needed);
		dwc_json_kv_string(j, "explanation", fd->explanation);
		dwc_json_key(j, "evidence");
		dwc_json_begin_array(j);
		for (size_t k = 0; k < fd->n_evidence; k++) {
			const Dumpwalk__V1__Evidence *e = fd->evidence[k];
			dwc_json_begin_object(j);
			dwc_json_kv_string(j, "kind", e->kind);
			dwc_json_kv_string(j, "what", e->what);
			if (e->has_value) {
				if (strcmp(e->kind, "thread") == 0 || strcmp(e->kind, "value") == 0)
					dwc_json_kv_uint(j, "value", e->value);
				else
					dwc_json_kv_hex(j, "value", e->value);
			}
			if (e->text[0] != 0)
				dwc_json_kv_string(j, "text", e->text);
			dwc_json_end_object(j);
		}
		dwc_json_end_array(j);
		if (fd->evidence_dropped > 0)
			dwc_json_kv_uint(j, "evidence_dropped", fd->evidence_dropped);
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);
}

static void
json_signature(dwc_json *j, const Dumpwalk__V1__AnalysisReport *r)
{
	dwc_json_key(j, "signature");
	const Dumpwalk__V1__Signature *s = r->signature;
	if (s == NULL) {
		dwc_json_null(j);
		return;
	}
	dwc_json_begin_object(j);
	dwc_json_kv_string(j, "text", s->text);
	dwc_json_kv_hex(j, "hash", s->hash);
	dwc_json_kv_string(j, "pattern", s->pattern[0] != 0 ? s->pattern : NULL);
	dwc_json_kv_uint(j, "thread_id", s->thread_id);
	dwc_json_kv_bool(j, "from_hidden", s->from_hidden);
	dwc_json_key(j, "frames");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < s->n_frames; i++)
		dwc_json_string(j, s->frames[i]);
	dwc_json_end_array(j);
	dwc_json_end_object(j);
}

static void
json_residue_word(dwc_json *j, const Dumpwalk__V1__ResidueWord *w)
{
	dwc_json_begin_object(j);
	dwc_json_kv_hex(j, "address", w->address);
	dwc_json_kv_hex(j, "value", w->value);
	dwc_json_kv_string(j, "class", w->class_);
	if (strcmp(w->class_, "return") == 0)
		dwc_json_kv_bool(j, "live", w->live);
	dwc_json_kv_bool(j, "below_sp", w->below_sp);
	if (w->module[0] != 0) {
		dwc_json_kv_string(j, "module", w->module);
		dwc_json_kv_hex(j, "module_offset", w->module_offset);
	}
	if (w->function[0] != 0) {
		dwc_json_kv_string(j, "function", w->function);
		dwc_json_kv_hex(j, "function_offset", w->function_offset);
	}
	if (w->call_target != 0) {
		dwc_json_kv_hex(j, "call_target", w->call_target);
		if (w->call_target_function[0] != 0)
			dwc_json_kv_string(j, "call_target_function", w->call_target_function);
	}
	if (strcmp(w->class_, "stack") == 0)
		dwc_json_kv_uint(j, "thread_id", w->thread_id);
	if (w->text[0] != 0)
		dwc_json_kv_string(j, "text", w->text);
	dwc_json_end_object(j);
}

// dumpwalk.residue: every classified word the report carries, per thread.
static void
json_residue(dwc_json *j, const Dumpwalk__V1__AnalysisReport *r)
{
	dwc_json_key(j, "residue");
	if (r->residue == NULL) {
		dwc_json_null(j);
		return;
	}
	dwc_json_begin_object(j);
	dwc_json_key(j, "threads");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < r->residue->n_threads; i++) {
		const Dumpwalk__V1__ResidueThread *t = r->residue->threads[i];
		dwc_json_begin_object(j);
		dwc_json_kv_uint(j, "thread_id", t->thread_id);
		dwc_json_kv_bool(j, "missing", t->missing);
		dwc_json_kv_uint(j, "pointer_size", t->pointer_size);
		dwc_json_kv_hex(j, "stack_pointer", t->stack_pointer);
		dwc_json_key(j, "scanned");
		dwc_json_begin_object(j);
		dwc_json_kv_hex(j, "from", t->scanned_from);
		dwc_json_kv_hex(j, "to", t->scanned_to);
		dwc_json_end_object(j);
		dwc_json_key(j, "counts");
		dwc_json_begin_object(j);
		for (size_t k = 0; k < t->n_counts; k++)
			dwc_json_kv_uint(j, t->counts[k]->class_, t->counts[k]->count);
		dwc_json_end_object(j);
		dwc_json_kv_uint(j, "residue_returns", t->residue_returns);
		dwc_json_kv_uint(j, "dropped", t->dropped);
		dwc_json_kv_uint(j, "words_omitted", t->words_omitted);
		dwc_json_key(j, "words");
		dwc_json_begin_array(j);
		for (size_t k = 0; k < t->n_words; k++)
			json_residue_word(j, t->words[k]);
		dwc_json_end_array(j);
		dwc_json_key(j, "hidden_exceptions");
		dwc_json_begin_array(j);
		for (size_t h = 0; h < t->n_hidden; h++) {
			const Dumpwalk__V1__HiddenException *x = t->hidden[h];
			dwc_json_begin_object(j);
			dwc_json_kv_hex(j, "code", x->code);
			dwc_json_kv_string(j, "code_name", x->code_name[0] != 0 ? x->code_name : NULL);
			dwc_json_kv_hex(j, "flags", x->flags);
			dwc_json_kv_hex(j, "address", x->address);
			dwc_json_key(j, "parameters");
			dwc_json_begin_array(j);
			for (size_t k = 0; k < x->n_parameters; k++)
				dwc_json_hex(j, x->parameters[k]);
			dwc_json_end_array(j);
			dwc_json_kv_hex(j, "record", x->record_address);
			dwc_json_kv_hex(j, "context", x->context_address);
			dwc_json_kv_hex(j, "context_ip", x->context_ip);
			dwc_json_kv_hex(j, "context_sp", x->context_sp);
			dwc_json_kv_bool(j, "ip_matches", x->ip_matches);
			dwc_json_kv_uint(j, "copies", x->copies);
			dwc_json_key(j, "stack");
			if (x->stack != NULL)
				json_stack_extra(j, x->stack);
			else
				dwc_json_null(j);
			json_frames(j, r, x->stack, t->pointer_size == 4 ? 8 : 16, false);
			dwc_json_end_object(j);
		}
		dwc_json_end_array(j);
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);
	dwc_json_end_object(j);
}

static void
render_json(FILE *f, const Dumpwalk__V1__AnalysisReport *r, const char *name, bool pretty,
            bool timings)
{
	dwc_json j;
	char     buf[600];
	int      digits = ptr_digits(r);
	dwc_json_init(&j, f, pretty);
	dwc_json_begin_object(&j);

	const Dumpwalk__V1__CrashInfo *c = r->crash;
	dwc_json_key(&j, "crash_info");
	dwc_json_begin_object(&j);
	dwc_json_key(&j, "address");
	if (c != NULL && c->crashed)
		dwc_json_hex_width(&j, c->address, digits);
	else
		dwc_json_null(&j);
	dwc_json_kv_string(&j, "assertion", c != NULL && c->assertion[0] != 0 ? c->assertion : NULL);
	dwc_json_key(&j, "crashing_thread");
	if (c != NULL && c->has_crashing_thread)
		dwc_json_uint(&j, c->crashing_thread);
	else
		dwc_json_null(&j);
	dwc_json_kv_string(&j, "type", c != NULL && c->crashed ? c->type : NULL);
	dwc_json_end_object(&j);

	dwc_json_key(&j, "crashing_thread");
	if (c != NULL && c->has_crashing_thread && c->crashing_thread < r->n_threads) {
		dwc_json_begin_object(&j);
		json_thread(&j, r, r->threads[c->crashing_thread], digits, true);
		dwc_json_kv_uint(&j, "threads_index", c->crashing_thread);
		dwc_json_end_object(&j);
	} else {
		dwc_json_null(&j);
	}

	dwc_json_key(&j, "main_module");
	if (r->has_main_module)
		dwc_json_uint(&j, r->main_module);
	else
		dwc_json_null(&j);

	dwc_json_key(&j, "modules");
	dwc_json_begin_array(&j);
	for (size_t i = 0; i < r->n_modules; i++) {
		const Dumpwalk__V1__Module        *m = r->modules[i];
		const Dumpwalk__V1__ModuleSymbols *s = m->symbols;
		dwc_json_begin_object(&j);
		kv_ptr(&j, "base_addr", m->base_address, digits);
		// minidump-stackwalk writes the code id in lowercase.
		size_t k = 0;
		for (; m->code_id[k] != 0 && k + 1 < sizeof(buf); k++)
			buf[k] = (char)(m->code_id[k] >= 'A' && m->code_id[k] <= 'F' ? m->code_id[k] + 32
			                                                             : m->code_id[k]);
		buf[k] = 0;
		dwc_json_kv_string(&j, "code_id", m->code_id[0] != 0 ? buf : NULL);
		dwc_json_kv_bool(&j, "corrupt_symbols", s != NULL && strcmp(s->status, "corrupt") == 0);
		dwc_json_kv_string(&j, "debug_file",
		                   m->debug_file[0] != 0 ? file_name(m->debug_file) : NULL);
		dwc_json_kv_string(&j, "debug_id", m->debug_id[0] != 0 ? m->debug_id : NULL);
		kv_ptr(&j, "end_addr", m->base_address + m->size, digits);
		dwc_json_kv_string(&j, "filename", file_name(m->code_file));
		dwc_json_kv_bool(&j, "loaded_symbols", s != NULL && strcmp(s->status, "loaded") == 0);
		dwc_json_kv_bool(&j, "missing_symbols",
		                 s == NULL ? false
		                           : strcmp(s->status, "loaded") != 0 &&
		                                 strcmp(s->status, "not asked") != 0);
		dwc_json_kv_string(&j, "version", m->version[0] != 0 ? m->version : NULL);
		dwc_json_end_object(&j);
	}
	dwc_json_end_array(&j);

	dwc_json_kv_string(&j, "status", "OK");

	const Dumpwalk__V1__SystemInfo *s = r->system_info;
	dwc_json_key(&j, "system_info");
	if (s != NULL) {
		dwc_json_begin_object(&j);
		dwc_json_kv_string(&j, "cpu_arch", s->cpu);
		dwc_json_kv_uint(&j, "cpu_count", s->number_of_processors);
		snprintf(buf, sizeof(buf), "%s%sfamily %" PRIu32 " model %" PRIu32 " stepping %" PRIu32,
		         s->cpu_vendor, s->cpu_vendor[0] != 0 ? " " : "", s->processor_level,
		         (s->processor_revision >> 8) & 0xff, s->processor_revision & 0xff);
		dwc_json_kv_string(&j, "cpu_info", buf);
		dwc_json_kv_string(&j, "os", s->platform_id == 2 ? "Windows NT" : "Windows");
		snprintf(buf, sizeof(buf), "%" PRIu32 ".%" PRIu32 ".%" PRIu32 "%s%s", s->major_version,
		         s->minor_version, s->build_number, s->csd_version[0] != 0 ? " " : "",
		         s->csd_version);
		dwc_json_kv_string(&j, "os_ver", buf);
		dwc_json_end_object(&j);
	} else {
		dwc_json_null(&j);
	}

	dwc_json_kv_uint(&j, "thread_count", r->n_threads);
	dwc_json_key(&j, "threads");
	dwc_json_begin_array(&j);
	for (size_t i = 0; i < r->n_threads; i++) {
		dwc_json_begin_object(&j);
		json_thread(&j, r, r->threads[i], digits, false);
		dwc_json_end_object(&j);
	}
	dwc_json_end_array(&j);

	dwc_json_key(&j, "unloaded_modules");
	dwc_json_begin_array(&j);
	for (size_t i = 0; i < r->n_unloaded_modules; i++) {
		const Dumpwalk__V1__UnloadedModule *u = r->unloaded_modules[i];
		dwc_json_begin_object(&j);
		kv_ptr(&j, "base_addr", u->base_address, digits);
		kv_ptr(&j, "end_addr", u->base_address + u->size, digits);
		dwc_json_kv_string(&j, "filename", file_name(u->code_file));
		dwc_json_end_object(&j);
	}
	dwc_json_end_array(&j);

	// Everything minidump-stackwalk has no key for.
	dwc_json_key(&j, "dumpwalk");
	dwc_json_begin_object(&j);
	dwc_json_kv_string(&j, "file", name);
	dwc_json_kv_uint(&j, "report_version", r->report_version);
	if (r->header != NULL) {
		dwc_json_kv_uint(&j, "file_size", r->header->file_size);
		dwc_json_kv_hex(&j, "minidump_version", r->header->version);
		dwc_json_kv_uint(&j, "stream_count", r->header->stream_count);
		dwc_json_kv_uint(&j, "time_date_stamp", r->header->time_date_stamp);
		dwc_json_kv_hex(&j, "minidump_flags", r->header->flags);
	}
	const Dumpwalk__V1__Exception *e = r->exception;
	dwc_json_key(&j, "exception");
	if (e != NULL) {
		dwc_json_begin_object(&j);
		snprintf(buf, sizeof(buf), "0x%08" PRIx32, e->code);
		dwc_json_kv_string(&j, "code", buf);
		dwc_json_kv_string(&j, "code_name", e->code_name[0] != 0 ? e->code_name : NULL);
		kv_ptr(&j, "address", e->address, digits);
		dwc_json_kv_uint(&j, "thread_id", e->thread_id);
		dwc_json_kv_hex(&j, "flags", e->flags);
		dwc_json_key(&j, "parameters");
		dwc_json_begin_array(&j);
		for (size_t i = 0; i < e->n_parameters; i++)
			dwc_json_hex(&j, e->parameters[i]);
		dwc_json_end_array(&j);
		json_context(&j, "context", e->context);
		dwc_json_end_object(&j);
	} else {
		dwc_json_null(&j);
	}
	json_findings(&j, r);
	json_signature(&j, r);
	json_residue(&j, r);
	dwc_json_key(&j, "wow64");
	dwc_json_begin_object(&j);
	dwc_json_kv_bool(&j, "is_wow64", r->wow64);
	if (r->wow64)
		dwc_json_kv_string(&j, "why", r->wow64_why);
	dwc_json_key(&j, "stacks32");
	dwc_json_begin_array(&j);
	for (size_t i = 0; i < r->n_threads; i++) {
		const Dumpwalk__V1__Thread *t = r->threads[i];
		if (!t->has_stack32)
			continue;
		dwc_json_begin_object(&j);
		dwc_json_kv_uint(&j, "thread_id", t->thread_id);
		dwc_json_kv_string(&j, "layout", t->wow64_layout);
		dwc_json_key(&j, "stack");
		json_stack_extra(&j, t->stack32);
		json_frames(&j, r, t->stack32, 8, false);
		dwc_json_end_object(&j);
	}
	dwc_json_end_array(&j);
	dwc_json_end_object(&j);
	dwc_json_key(&j, "threads");
	dwc_json_begin_array(&j);
	for (size_t i = 0; i < r->n_threads; i++) {
		const Dumpwalk__V1__Thread *t = r->threads[i];
		dwc_json_begin_object(&j);
		dwc_json_kv_uint(&j, "thread_id", t->thread_id);
		dwc_json_kv_bool(&j, "dump_thread", t->is_dump_thread);
		dwc_json_key(&j, "stack");
		json_stack_extra(&j, t->stack);
		dwc_json_kv_hex(&j, "stack_start", t->stack_start);
		dwc_json_kv_hex(&j, "stack_size", t->stack_size);
		dwc_json_kv_hex(&j, "teb", t->teb);
		dwc_json_kv_uint(&j, "suspend_count", t->suspend_count);
		dwc_json_kv_uint(&j, "priority_class", t->priority_class);
		dwc_json_kv_uint(&j, "priority", t->priority);
		json_context(&j, "context", t->context);
		dwc_json_end_object(&j);
	}
	dwc_json_end_array(&j);
	dwc_json_key(&j, "modules");
	dwc_json_begin_array(&j);
	for (size_t i = 0; i < r->n_modules; i++) {
		const Dumpwalk__V1__Module *m = r->modules[i];
		dwc_json_begin_object(&j);
		dwc_json_kv_string(&j, "path", m->code_file);
		dwc_json_kv_hex(&j, "checksum", m->checksum);
		dwc_json_kv_uint(&j, "timestamp", m->time_date_stamp);
		if (m->symbols != NULL) {
			dwc_json_kv_string(&j, "symbols", m->symbols->status);
			dwc_json_kv_string(&j, "symbols_origin", m->symbols->origin);
			dwc_json_kv_bool(&j, "unwind_info", m->symbols->unwind_info);
		}
		dwc_json_end_object(&j);
	}
	dwc_json_end_array(&j);
	dwc_json_kv_uint(&j, "memory_ranges", r->memory_ranges);
	dwc_json_kv_uint(&j, "memory_bytes", r->memory_bytes);
	dwc_json_key(&j, "notes");
	dwc_json_begin_array(&j);
	for (size_t i = 0; i < r->n_notes + r->n_walk_notes; i++) {
		const Dumpwalk__V1__Note *n =
		    i < r->n_notes ? r->notes[i] : r->walk_notes[i - r->n_notes];
		dwc_json_begin_object(&j);
		dwc_json_kv_string(&j, "code", n->code);
		dwc_json_kv_string(&j, "text", n->text);
		dwc_json_end_object(&j);
	}
	dwc_json_end_array(&j);
	dwc_json_kv_uint(&j, "notes_dropped", r->notes_dropped);
	if (timings && r->timings != NULL) {
		dwc_json_key(&j, "timings_us");
		dwc_json_begin_object(&j);
		dwc_json_kv_uint(&j, "read", r->timings->read_us);
		dwc_json_kv_uint(&j, "walk", r->timings->walk_us);
		dwc_json_kv_uint(&j, "classify", r->timings->classify_us);
		dwc_json_kv_uint(&j, "total", r->timings->total_us);
		dwc_json_end_object(&j);
	}
	dwc_json_end_object(&j);

	dwc_json_end_object(&j);
	dwc_json_finish(&j);
}

void
dwc_report_render_timed(FILE *f, const Dumpwalk__V1__AnalysisReport *r, const char *name,
                        dwc_format fmt, bool timings)
{
	dwc_render_opts o = {.timings = timings};
	dwc_report_render_opts(f, r, name, fmt, &o);
}

void
dwc_report_render_opts(FILE *f, const Dumpwalk__V1__AnalysisReport *r, const char *name,
                       dwc_format fmt, const dwc_render_opts *o)
{
	bool timings = o != NULL && o->timings;
	if (fmt == DWC_FORMAT_TEXT)
		render_text(f, r, name, timings, o != NULL && o->residue_full);
	else if (fmt == DWC_FORMAT_BREAKPAD)
		dwc_report_render_breakpad(f, r);
	else
		render_json(f, r, name, fmt == DWC_FORMAT_JSON_PRETTY, timings);
}

void
dwc_report_render(FILE *f, const Dumpwalk__V1__AnalysisReport *r, const char *name,
                  dwc_format fmt)
{
	dwc_report_render_timed(f, r, name, fmt, false);
}

void
dwc_report_render_error(FILE *f, const char *name, const char *code, const char *message,
                        dwc_format fmt)
{
	if (fmt == DWC_FORMAT_TEXT) {
		fprintf(f, "dump: ");
		put_safe(f, name);
		fprintf(f, "\n  error %s: ", code);
		put_safe(f, message);
		fprintf(f, "\n");
		return;
	}
	dwc_json j;
	dwc_json_init(&j, f, fmt == DWC_FORMAT_JSON_PRETTY);
	dwc_json_begin_object(&j);
	dwc_json_kv_string(&j, "file", name);
	dwc_json_kv_string(&j, "status", code);
	dwc_json_kv_string(&j, "message", message);
	dwc_json_end_object(&j);
	dwc_json_finish(&j);
}
