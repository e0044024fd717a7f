// clients/report_breakpad.c - Breakpad's machine-readable output
// (minidump_stackwalk -m, processor/stackwalk_common.cc) from an
// AnalysisReport, so our results diff line for line against Breakpad's.
//
// The format, as Breakpad prints it:
//   OS|Windows NT|5.1.2600 Service Pack 2         (version, space, CSD text)
//   CPU|x86|GenuineIntel family 6 model 13 stepping 8|1
//   GPU|||                                         (always empty for minidumps)
//   Crash|EXCEPTION_ACCESS_VIOLATION_WRITE|0x45|0  (reason|address|thread index)
//   Crash|No crash||                               (no exception stream)
//   Module|name|version|debug file|debug id|0xbase|0xlast byte|main
//   (blank line)
//   thread|frame|module|function|file|line|offset
// Modules are in address order. Threads are numbered without the thread that
// wrote the dump (Breakpad info stream), which Breakpad leaves out. A frame's
// offset is from the start of its source line when one is known, else from
// its function, else from its module, else the bare address. Fields never
// contain '|': Breakpad's StripSeparator turns it into '_'.
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "clients/report_render.h"

static void
put_field(FILE *f, const char *s)
{
	for (; s != NULL && *s != 0; s++) {
		unsigned char c = (unsigned char)*s;
		fputc(c == '|' ? '_' : c < 0x20 || c == 0x7f ? '?' : c, f);
	}
}

static const char *
base_name(const char *p)
{
	const char *b = p;
	for (const char *s = p; s != NULL && *s != 0; s++)
		if (*s == '/' || *s == '\\')
			b = s + 1;
	return b != NULL ? b : "";
}

static int
cmp_base(const void *a, const void *b)
{
	const Dumpwalk__V1__Module *x = *(const Dumpwalk__V1__Module *const *)a;
	const Dumpwalk__V1__Module *y = *(const Dumpwalk__V1__Module *const *)b;
	return x->base_address < y->base_address ? -1 : x->base_address > y->base_address;
}

// The thread's index as Breakpad numbers threads (the dump thread skipped),
// or -1 when it has none.
static long
bp_index(const Dumpwalk__V1__AnalysisReport *r, size_t ti)
{
	if (ti >= r->n_threads || r->threads[ti]->is_dump_thread)
		return -1;
	long k = 0;
	for (size_t i = 0; i < ti; i++)
		if (!r->threads[i]->is_dump_thread)
			k++;
	return k;
}

void
dwc_report_render_breakpad(FILE *f, const Dumpwalk__V1__AnalysisReport *r)
{
	const Dumpwalk__V1__SystemInfo *s = r->system_info;
	if (s != NULL) {
		fprintf(f, "OS|%s|%" PRIu32 ".%" PRIu32 ".%" PRIu32 " ",
		        s->platform_id == 2 ? "Windows NT" : "Windows", s->major_version,
		        s->minor_version, s->build_number);
		put_field(f, s->csd_version);
		fprintf(f, "\nCPU|%s|", s->cpu);
		if (s->cpu_vendor[0] != 0) {
			put_field(f, s->cpu_vendor);
			fputc(' ', f);
		}
		fprintf(f, "family %" PRIu32 " model %" PRIu32 " stepping %" PRIu32 "|%" PRIu32 "\n",
		        s->processor_level, (s->processor_revision >> 8) & 0xff,
		        s->processor_revision & 0xff, s->number_of_processors);
	} else {
		fprintf(f, "OS|||\nCPU|||\n");
	}
	fprintf(f, "GPU|||\n");

	const Dumpwalk__V1__CrashInfo *c = r->crash;
	long req = c != NULL && c->has_crashing_thread ? bp_index(r, c->crashing_thread) : -1;
	if (c != NULL && c->crashed) {
		fprintf(f, "Crash|");
		put_field(f, c->type);
		fprintf(f, "|0x%" PRIx64 "|", c->address);
	} else if (c != NULL && c->assertion[0] != 0) {
		fprintf(f, "Crash|");
		put_field(f, c->assertion);
		fprintf(f, "||");
	} else {
		fprintf(f, "Crash|No crash||");
	}
	if (req >= 0)
		fprintf(f, "%ld", req);
	fprintf(f, "\n");

	const Dumpwalk__V1__Module **ms = NULL;
	if (r->n_modules > 0)
		ms = malloc(r->n_modules * sizeof(*ms));
	if (ms != NULL) {
		for (size_t i = 0; i < r->n_modules; i++)
			ms[i] = r->modules[i];
		qsort(ms, r->n_modules, sizeof(*ms), cmp_base);
		const Dumpwalk__V1__Module *main_mod =
		    r->has_main_module && r->main_module < r->n_modules ? r->modules[r->main_module]
		                                                        : NULL;
		for (size_t i = 0; i < r->n_modules; i++) {
			const Dumpwalk__V1__Module *m = ms[i];
			fprintf(f, "Module|");
			put_field(f, base_name(m->code_file));
			fputc('|', f);
			put_field(f, m->version);
			fputc('|', f);
			put_field(f, base_name(m->debug_file));
			fputc('|', f);
			put_field(f, m->debug_id);
			fprintf(f, "|0x%08" PRIx64 "|0x%08" PRIx64 "|%d\n", m->base_address,
			        m->base_address + (m->size > 0 ? m->size - 1 : 0), m == main_mod);
		}
		free(ms);
	}
	fprintf(f, "\n");

	long k = 0;
	for (size_t i = 0; i < r->n_threads; i++) {
		const Dumpwalk__V1__Thread *t = r->threads[i];
		if (t->is_dump_thread)
			continue;
		const Dumpwalk__V1__Stack *st = t->stack;
		for (size_t n = 0; st != NULL && n < st->n_frames; n++) {
			const Dumpwalk__V1__Frame *fr = st->frames[n];
			fprintf(f, "%ld|%zu|", k, n);
			put_field(f, fr->module);
			fputc('|', f);
			put_field(f, fr->function);
			fputc('|', f);
			uint64_t off;
			if (fr->file[0] != 0) {
				put_field(f, fr->file);
				fprintf(f, "|%" PRIu32, fr->line);
				off = fr->line_offset;
			} else {
				fputc('|', f);
				off = fr->function[0] != 0 ? fr->function_offset
				      : fr->has_module     ? fr->module_offset
				                           : fr->instruction;
			}
			fprintf(f, "|0x%" PRIx64 "\n", off);
		}
		k++;
	}
}
