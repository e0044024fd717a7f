// clients/report_render.c - text and JSON forms of an AnalysisReport. JSON
// keys follow minidump-stackwalk's where it has the same fact (system_info,
// crash_info, threads, modules), with the rest under "dumpwalk".
#include "clients/report_render.h"

#include <inttypes.h>
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

static void
render_text(FILE *f, const Dumpwalk__V1__AnalysisReport *r, const char *name)
{
	char when[40] = "";
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
	const Dumpwalk__V1__Exception *e = r->exception;
	if (e != NULL) {
		fprintf(f, "exception: %s (0x%08" PRIx32 ") at 0x%" PRIx64 " in thread %" PRIu32
		           ", flags 0x%" PRIx32 "\n",
		        e->code_name[0] != 0 ? e->code_name : "unknown", e->code, e->address,
		        e->thread_id, e->flags);
		if (e->n_parameters > 0) {
			fprintf(f, "  parameters:");
			for (size_t i = 0; i < e->n_parameters; i++)
				fprintf(f, " 0x%" PRIx64, e->parameters[i]);
			fprintf(f, "\n");
		}
		text_context(f, e->context, "  ");
	} else {
		fprintf(f, "exception: none\n");
	}
	fprintf(f, "threads: %zu\n", r->n_threads);
	for (size_t i = 0; i < r->n_threads; i++) {
		const Dumpwalk__V1__Thread *t = r->threads[i];
		fprintf(f, "  %5" PRIu32 "  stack 0x%016" PRIx64 " +0x%-6" PRIx64 " teb 0x%016" PRIx64
		           " suspend %" PRIu32 " priority %" PRIu32,
		        t->thread_id, t->stack_start, t->stack_size, t->teb, t->suspend_count,
		        t->priority);
		if (e != NULL && e->thread_id == t->thread_id)
			fprintf(f, " [exception]");
		if (t->name[0] != 0) {
			fprintf(f, " \"");
			put_safe(f, t->name);
			fprintf(f, "\"");
		}
		fprintf(f, "\n");
		text_context(f, t->context, "         ");
	}
	fprintf(f, "modules: %zu\n", r->n_modules);
	for (size_t i = 0; i < r->n_modules; i++) {
		const Dumpwalk__V1__Module *m = r->modules[i];
		fprintf(f, "  0x%016" PRIx64 " 0x%016" PRIx64 " %-16s ", m->base_address, m->base_address + m->size,
		        m->version[0] != 0 ? m->version : "-");
		put_safe(f, m->code_file);
		fprintf(f, "\n      code_id %s debug ", m->code_id[0] != 0 ? m->code_id : "-");
		put_safe(f, m->debug_file[0] != 0 ? m->debug_file : "-");
		fprintf(f, " %s\n", m->debug_id[0] != 0 ? m->debug_id : "-");
	}
	if (r->n_unloaded_modules > 0) {
		fprintf(f, "unloaded modules: %zu\n", r->n_unloaded_modules);
		for (size_t i = 0; i < r->n_unloaded_modules; i++) {
			const Dumpwalk__V1__UnloadedModule *u = r->unloaded_modules[i];
			fprintf(f, "  0x%016" PRIx64 " 0x%016" PRIx64 " ", u->base_address, u->base_address + u->size);
			put_safe(f, u->code_file);
			fprintf(f, "\n");
		}
	}
	if (r->n_notes > 0 || r->notes_dropped > 0) {
		fprintf(f, "notes: %zu\n", r->n_notes);
		for (size_t i = 0; i < r->n_notes; i++) {
			fprintf(f, "  %s: ", r->notes[i]->code);
			put_safe(f, r->notes[i]->text);
			fprintf(f, "\n");
		}
		if (r->notes_dropped > 0)
			fprintf(f, "  (%" PRIu64 " more not kept)\n", r->notes_dropped);
	}
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

static void
render_json(FILE *f, const Dumpwalk__V1__AnalysisReport *r, const char *name, bool pretty)
{
	dwc_json j;
	char     buf[64];
	dwc_json_init(&j, f, pretty);
	dwc_json_begin_object(&j);
	dwc_json_kv_string(&j, "file", name);
	dwc_json_kv_string(&j, "status", "OK");

	const Dumpwalk__V1__SystemInfo *s = r->system_info;
	dwc_json_key(&j, "system_info");
	if (s != NULL) {
		dwc_json_begin_object(&j);
		dwc_json_kv_string(&j, "os", "Windows NT");
		snprintf(buf, sizeof(buf), "%" PRIu32 ".%" PRIu32 ".%" PRIu32, s->major_version,
		         s->minor_version, s->build_number);
		dwc_json_kv_string(&j, "os_ver", buf);
		dwc_json_kv_string(&j, "cpu_arch", s->cpu);
		dwc_json_kv_uint(&j, "cpu_count", s->number_of_processors);
		dwc_json_kv_string(&j, "cpu_vendor", s->cpu_vendor);
		dwc_json_kv_uint(&j, "cpu_family", s->processor_level);
		dwc_json_kv_hex(&j, "cpu_revision", s->processor_revision);
		dwc_json_kv_string(&j, "csd_version", s->csd_version);
		dwc_json_kv_uint(&j, "product_type", s->product_type);
		dwc_json_end_object(&j);
	} else {
		dwc_json_null(&j);
	}

	const Dumpwalk__V1__Exception *e = r->exception;
	dwc_json_key(&j, "crash_info");
	if (e != NULL) {
		dwc_json_begin_object(&j);
		dwc_json_kv_string(&j, "type", e->code_name[0] != 0 ? e->code_name : NULL);
		snprintf(buf, sizeof(buf), "0x%08" PRIx32, e->code);
		dwc_json_kv_string(&j, "code", buf);
		dwc_json_kv_hex(&j, "address", e->address);
		dwc_json_kv_uint(&j, "crashing_thread_id", e->thread_id);
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

	dwc_json_kv_uint(&j, "thread_count", r->n_threads);
	dwc_json_key(&j, "threads");
	dwc_json_begin_array(&j);
	for (size_t i = 0; i < r->n_threads; i++) {
		const Dumpwalk__V1__Thread *t = r->threads[i];
		dwc_json_begin_object(&j);
		dwc_json_kv_uint(&j, "thread_id", t->thread_id);
		dwc_json_kv_string(&j, "thread_name", t->name[0] != 0 ? t->name : NULL);
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
		dwc_json_kv_hex(&j, "base_addr", m->base_address);
		dwc_json_kv_hex(&j, "end_addr", m->base_address + m->size);
		dwc_json_kv_string(&j, "filename", m->code_file);
		dwc_json_kv_string(&j, "code_id", m->code_id);
		dwc_json_kv_string(&j, "debug_file", m->debug_file);
		dwc_json_kv_string(&j, "debug_id", m->debug_id);
		dwc_json_kv_string(&j, "version", m->version);
		dwc_json_kv_hex(&j, "checksum", m->checksum);
		dwc_json_kv_uint(&j, "timestamp", m->time_date_stamp);
		dwc_json_end_object(&j);
	}
	dwc_json_end_array(&j);

	dwc_json_key(&j, "unloaded_modules");
	dwc_json_begin_array(&j);
	for (size_t i = 0; i < r->n_unloaded_modules; i++) {
		const Dumpwalk__V1__UnloadedModule *u = r->unloaded_modules[i];
		dwc_json_begin_object(&j);
		dwc_json_kv_hex(&j, "base_addr", u->base_address);
		dwc_json_kv_hex(&j, "end_addr", u->base_address + u->size);
		dwc_json_kv_string(&j, "filename", u->code_file);
		dwc_json_end_object(&j);
	}
	dwc_json_end_array(&j);

	dwc_json_key(&j, "dumpwalk");
	dwc_json_begin_object(&j);
	dwc_json_kv_uint(&j, "report_version", r->report_version);
	if (r->header != NULL) {
		dwc_json_kv_uint(&j, "file_size", r->header->file_size);
		dwc_json_kv_hex(&j, "minidump_version", r->header->version);
		dwc_json_kv_uint(&j, "stream_count", r->header->stream_count);
		dwc_json_kv_uint(&j, "time_date_stamp", r->header->time_date_stamp);
		dwc_json_kv_hex(&j, "minidump_flags", r->header->flags);
	}
	dwc_json_kv_uint(&j, "memory_ranges", r->memory_ranges);
	dwc_json_kv_uint(&j, "memory_bytes", r->memory_bytes);
	dwc_json_key(&j, "notes");
	dwc_json_begin_array(&j);
	for (size_t i = 0; i < r->n_notes; i++) {
		dwc_json_begin_object(&j);
		dwc_json_kv_string(&j, "code", r->notes[i]->code);
		dwc_json_kv_string(&j, "text", r->notes[i]->text);
		dwc_json_end_object(&j);
	}
	dwc_json_end_array(&j);
	dwc_json_kv_uint(&j, "notes_dropped", r->notes_dropped);
	dwc_json_end_object(&j);

	dwc_json_end_object(&j);
	dwc_json_finish(&j);
}

void
dwc_report_render(FILE *f, const Dumpwalk__V1__AnalysisReport *r, const char *name,
                  dwc_format fmt)
{
	if (fmt == DWC_FORMAT_TEXT)
		render_text(f, r, name);
	else
		render_json(f, r, name, fmt == DWC_FORMAT_JSON_PRETTY);
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
