// Text and JSON rendering of raw-stack residue and crash signatures
// (clients/render_residue.h).
#include "clients/render_residue.h"

#include <inttypes.h>
#include <string.h>

#include "walker/classify.h"
#include "walker/vmlayout.h"

#define DEFAULT_WORDS 64

static size_t
cap_of(const dwc_residue_style *st)
{
	return st != NULL && st->max_words != 0 ? st->max_words : DEFAULT_WORDS;
}

static bool
shown(const dw_res_word *w, const dwc_residue_style *st)
{
	if (st != NULL && st->all_words)
		return true;
	return w->cls == DW_RES_RETURN || w->cls == DW_RES_CODE || w->cls == DW_RES_ASCII ||
	       w->cls == DW_RES_UTF16 || w->cls == DW_RES_FILL;
}

// Whether t[i] is the 32-bit stack of a WOW64 thread: walker/residue.h
// puts it right after the thread's 64-bit record.
static bool
is_wow64_32(const dw_res_thread *t, size_t i)
{
	return i > 0 && t[i].tid == t[i - 1].tid && t[i].ptr == 4 && t[i - 1].ptr == 8;
}

// WinDbg prints 64-bit values as two 8-digit halves joined by a backtick.
static void
hex_word(FILE *f, uint64_t v, unsigned ptr)
{
	if (ptr == 8)
		fprintf(f, "%08" PRIx64 "`%08" PRIx64, v >> 32, v & 0xffffffffu);
	else
		fprintf(f, "%08" PRIx64, v);
}

static void
symbol(char *buf, size_t size, const dw_res_word *w)
{
	const char *mod = w->module != NULL ? w->module->basename : NULL;
	if (mod != NULL && w->function != NULL)
		snprintf(buf, size, "%s!%s+0x%" PRIx64, mod, w->function, w->function_offset);
	else if (mod != NULL)
		snprintf(buf, size, "%s+0x%" PRIx64, mod, w->value - w->module->base);
	else
		buf[0] = 0;
}

static void
frame_symbol(char *buf, size_t size, const dw_frame *fr)
{
	if (fr->module != NULL && fr->function != NULL)
		snprintf(buf, size, "%s!%s+0x%" PRIx64, fr->module->basename, fr->function,
		         fr->function_offset);
	else if (fr->module != NULL)
		snprintf(buf, size, "%s+0x%" PRIx64, fr->module->basename, fr->module_offset);
	else
		buf[0] = 0;
}

static void
word_text(FILE *f, const dw_res_word *w, unsigned ptr)
{
	char sym[320];
	fputs("    ", f);
	hex_word(f, w->addr, ptr);
	fputs("  ", f);
	hex_word(f, w->value, ptr);
	symbol(sym, sizeof(sym), w);
	if (sym[0] != 0)
		fprintf(f, " %s", sym);
	switch (w->cls) {
	case DW_RES_RETURN:
		fprintf(f, " [return%s", w->live ? ", live frame" : ", residue");
		if (w->call_target != 0)
			fprintf(f, ", calls 0x%" PRIx64 "%s%s", w->call_target, w->target_function ? " " : "",
			        w->target_function ? w->target_function : "");
		fputc(']', f);
		break;
	case DW_RES_CODE: fputs(" [code pointer, not a call site: coincidental]", f); break;
	case DW_RES_STACK: fprintf(f, " [stack of thread %u]", w->tid); break;
	case DW_RES_ASCII: fprintf(f, " [ascii \"%s\"]", w->text ? w->text : ""); break;
	case DW_RES_UTF16: fprintf(f, " [utf16 L\"%s\"]", w->text ? w->text : ""); break;
	case DW_RES_FILL: fprintf(f, " [fill %s]", w->text ? w->text : ""); break;
	default: fprintf(f, " [%s]", dw_res_class_name(w->cls)); break;
	}
	if (w->below_sp)
		fputs(" (below sp)", f);
	fputc('\n', f);
}

void
dwc_residue_print_text(FILE *f, const dw_residue *r, const dwc_residue_style *style)
{
	size_t               n;
	const dw_res_thread *t = dw_residue_threads(r, &n);
	fputs("Residue\n", f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "  thread %u (0x%x)%s", t[i].tid, t[i].tid,
		        is_wow64_32(t, i) ? " 32-bit stack (WOW64)" : "");
		if (t[i].missing) {
			fputs(": no stack memory in the dump\n", f);
			continue;
		}
		fprintf(f, ": 0x%" PRIx64 "-0x%" PRIx64 " (sp 0x%" PRIx64 "):", t[i].lo, t[i].hi, t[i].sp);
		for (int c = DW_RES_FILL; c < DW_RES_NCLASSES; c++)
			if (t[i].counts[c] != 0)
				fprintf(f, " %s %zu", dw_res_class_name((dw_res_class)c), t[i].counts[c]);
		fprintf(f, "; %zu residue return address%s\n", t[i].residue_returns,
		        t[i].residue_returns == 1 ? "" : "es");
		size_t printed = 0, cap = cap_of(style), skipped = 0;
		for (size_t k = 0; k < t[i].nwords; k++) {
			if (!shown(&t[i].words[k], style))
				continue;
			if (printed == cap) {
				skipped++;
				continue;
			}
			word_text(f, &t[i].words[k], t[i].ptr);
			printed++;
		}
		if (skipped != 0 || t[i].dropped != 0)
			fprintf(f, "    ... %zu more words not shown\n", skipped + t[i].dropped);
		for (size_t h = 0; h < t[i].nhidden; h++) {
			const dw_res_hidden *x    = &t[i].hidden[h];
			const char          *name = dw_ntstatus_name(x->code);
			if (x->record_addr != 0)
				fprintf(f,
				        "    hidden exception: 0x%08" PRIX32 " %s at 0x%" PRIx64
				        " (record at 0x%" PRIx64 ", %zu cop%s)\n",
				        x->code, name != NULL ? name : "", x->address, x->record_addr, x->copies,
				        x->copies == 1 ? "y" : "ies");
			else
				fputs("    hidden exception: dispatch residue only\n", f);
			if (x->context_addr != 0)
				fprintf(f, "      context at 0x%" PRIx64 ": ip 0x%" PRIx64 " sp 0x%" PRIx64 "\n",
				        x->context_addr, x->context_ip, x->context_sp);
			for (size_t k = 0; k < x->stack.nframes; k++) {
				char sym[320];
				frame_symbol(sym, sizeof(sym), &x->stack.frames[k]);
				fprintf(f, "      %2zu  0x%" PRIx64 " %s (%s)\n", k, x->stack.frames[k].ip, sym,
				        dw_trust_name(x->stack.frames[k].trust));
			}
		}
	}
}

static void
word_json(dwc_json *j, const dw_res_word *w)
{
	char sym[320];
	dwc_json_begin_object(j);
	dwc_json_kv_hex(j, "address", w->addr);
	dwc_json_kv_hex(j, "value", w->value);
	dwc_json_kv_string(j, "class", dw_res_class_name(w->cls));
	if (w->cls == DW_RES_RETURN)
		dwc_json_kv_bool(j, "live", w->live);
	dwc_json_kv_bool(j, "below_sp", w->below_sp);
	if (w->module != NULL)
		dwc_json_kv_string(j, "module", w->module->basename);
	symbol(sym, sizeof(sym), w);
	if (sym[0] != 0)
		dwc_json_kv_string(j, "symbol", sym);
	if (w->call_target != 0) {
		dwc_json_kv_hex(j, "call_target", w->call_target);
		if (w->target_function != NULL)
			dwc_json_kv_string(j, "call_target_symbol", w->target_function);
	}
	if (w->cls == DW_RES_STACK)
		dwc_json_kv_uint(j, "thread_id", w->tid);
	if (w->text != NULL)
		dwc_json_kv_string(j, "text", w->text);
	dwc_json_end_object(j);
}

void
dwc_residue_print_json(dwc_json *j, const dw_residue *r, const dwc_residue_style *style)
{
	size_t               n;
	const dw_res_thread *t = dw_residue_threads(r, &n);
	dwc_json_begin_object(j);
	dwc_json_key(j, "threads");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		dwc_json_begin_object(j);
		dwc_json_kv_uint(j, "thread_id", t[i].tid);
		if (is_wow64_32(t, i))
			dwc_json_kv_string(j, "stack", "wow64_32bit");
		dwc_json_kv_bool(j, "missing", t[i].missing);
		dwc_json_kv_hex(j, "stack_pointer", t[i].sp);
		dwc_json_key(j, "scanned");
		dwc_json_begin_object(j);
		dwc_json_kv_hex(j, "from", t[i].lo);
		dwc_json_kv_hex(j, "to", t[i].hi);
		dwc_json_end_object(j);
		dwc_json_key(j, "counts");
		dwc_json_begin_object(j);
		for (int c = 0; c < DW_RES_NCLASSES; c++)
			dwc_json_kv_uint(j, dw_res_class_name((dw_res_class)c), t[i].counts[c]);
		dwc_json_end_object(j);
		dwc_json_kv_uint(j, "residue_returns", t[i].residue_returns);
		size_t cap = cap_of(style), printed = 0, skipped = t[i].dropped;
		dwc_json_key(j, "words");
		dwc_json_begin_array(j);
		for (size_t k = 0; k < t[i].nwords; k++) {
			if (!shown(&t[i].words[k], style))
				continue;
			if (printed == cap) {
				skipped++;
				continue;
			}
			word_json(j, &t[i].words[k]);
			printed++;
		}
		dwc_json_end_array(j);
		dwc_json_kv_uint(j, "words_not_shown", skipped);
		dwc_json_key(j, "hidden_exceptions");
		dwc_json_begin_array(j);
		for (size_t h = 0; h < t[i].nhidden; h++) {
			const dw_res_hidden *x = &t[i].hidden[h];
			dwc_json_begin_object(j);
			if (x->record_addr != 0) {
				dwc_json_kv_hex(j, "code", x->code);
				dwc_json_kv_string(j, "code_name", dw_ntstatus_name(x->code));
				dwc_json_kv_hex(j, "flags", x->flags);
				dwc_json_kv_hex(j, "address", x->address);
				dwc_json_key(j, "parameters");
				dwc_json_begin_array(j);
				for (uint32_t p = 0; p < x->nparams && p < 15; p++)
					dwc_json_hex(j, x->params[p]);
				dwc_json_end_array(j);
				dwc_json_kv_hex(j, "record", x->record_addr);
				dwc_json_kv_uint(j, "copies", x->copies);
			}
			if (x->context_addr != 0) {
				dwc_json_kv_hex(j, "context", x->context_addr);
				dwc_json_kv_hex(j, "context_ip", x->context_ip);
				dwc_json_kv_hex(j, "context_sp", x->context_sp);
				dwc_json_kv_bool(j, "ip_matches", x->ip_matches);
			}
			dwc_json_key(j, "frames");
			dwc_json_begin_array(j);
			for (size_t k = 0; k < x->stack.nframes; k++) {
				char sym[320];
				frame_symbol(sym, sizeof(sym), &x->stack.frames[k]);
				dwc_json_begin_object(j);
				dwc_json_kv_hex(j, "ip", x->stack.frames[k].ip);
				dwc_json_kv_string(j, "symbol", sym[0] != 0 ? sym : NULL);
				dwc_json_kv_string(j, "trust", dw_trust_name(x->stack.frames[k].trust));
				dwc_json_end_object(j);
			}
			dwc_json_end_array(j);
			dwc_json_key(j, "dispatch_residue");
			dwc_json_begin_array(j);
			for (size_t k = 0; k < x->ndispatch; k++)
				word_json(j, x->dispatch[k]);
			dwc_json_end_array(j);
			dwc_json_end_object(j);
		}
		dwc_json_end_array(j);
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);
	dwc_json_end_object(j);
}

void
dwc_signature_print_text(FILE *f, const dw_signature *s)
{
	fprintf(f, "Signature: %s (hash 0x%016" PRIx64 ")\n", s->text, s->hash);
}

void
dwc_signature_print_json(dwc_json *j, const dw_signature *s)
{
	dwc_json_begin_object(j);
	dwc_json_kv_string(j, "text", s->text);
	dwc_json_kv_hex(j, "hash", s->hash);
	dwc_json_kv_string(j, "pattern", s->pattern);
	dwc_json_kv_uint(j, "thread_id", s->thread_id);
	dwc_json_kv_bool(j, "from_hidden", s->from_hidden);
	dwc_json_key(j, "frames");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < s->nframes; i++)
		dwc_json_string(j, s->frames[i]);
	dwc_json_end_array(j);
	dwc_json_end_object(j);
}
