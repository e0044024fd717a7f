// `dumpwalk diff A.dmp B.dmp [--json] [--pretty]`: two dumps of one program
// compared: modules added, removed, moved and changed; the largest free range
// between modules in each and which of B's modules now occupy A's; thread,
// handle and committed-memory changes.
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "clients/cmd_findings.h"
#include "clients/json.h"
#include "walker/diff.h"
#include "walker/dump.h"

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 2 };

#define MIB(x) ((double)(x) / (1024.0 * 1024.0))

static void
usage(FILE *f)
{
	fprintf(f, "usage: dumpwalk diff A.dmp B.dmp [--json] [--pretty]\n"
	           "  compare two dumps of one program: modules, free address space, threads, "
	           "handles\n");
}

static dw_dump *
open_dump(const char *path)
{
	dw_notes notes;
	dw_notes_init(&notes);
	dw_dump *d  = NULL;
	dw_err   rv = dw_dump_open_file(&d, path, &notes);
	for (size_t i = 0; i < notes.count; i++)
		fprintf(stderr, "dumpwalk: %s: %s\n", path, notes.items[i].text);
	dw_notes_fini(&notes);
	if (rv != DW_OK)
		fprintf(stderr, "dumpwalk: %s: cannot read minidump: %s\n", path, dw_strerror(rv));
	return d;
}

static const char *
mod_name(const dw_md_module *m)
{
	if (m == NULL)
		return "-";
	const char *b = m->name;
	for (const char *p = m->name; *p != 0; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	return b;
}

static void
gap_text(FILE *f, const char *label, const dw_vml_gap *g)
{
	fprintf(f, "  %-6s 0x%08" PRIx64 "-0x%08" PRIx64 " %9.1f MiB  between %s and %s\n", label,
	        g->start, g->start + g->size, MIB(g->size), mod_name(g->below), mod_name(g->above));
}

static void
print_text(const dw_diff *df, const char *pa, const char *pb)
{
	printf("A: %s\nB: %s\n\nModules\n", pa, pb);
	size_t same = 0;
	for (size_t i = 0; i < df->nmodules; i++) {
		const dw_diff_module *m = &df->modules[i];
		switch (m->kind) {
		case DW_DIFF_SAME: same++; break;
		case DW_DIFF_ADDED:
			printf("  added    %-28s 0x%08" PRIx64 " size 0x%x%s\n", m->name, m->b->base,
			       m->b->size, m->in_a_gap ? "  (inside A's largest free range)" : "");
			break;
		case DW_DIFF_REMOVED:
			printf("  removed  %-28s 0x%08" PRIx64 " size 0x%x\n", m->name, m->a->base, m->a->size);
			break;
		case DW_DIFF_MOVED:
			printf("  moved    %-28s 0x%08" PRIx64 " -> 0x%08" PRIx64 "%s\n", m->name, m->a->base,
			       m->b->base, m->in_a_gap ? "  (into A's largest free range)" : "");
			break;
		case DW_DIFF_CHANGED:
			printf("  changed  %-28s 0x%08" PRIx64 " size 0x%x -> 0x%x, timestamp %08x -> %08x\n",
			       m->name, m->a->base, m->a->size, m->b->size, m->a->time_date_stamp,
			       m->b->time_date_stamp);
			break;
		}
	}
	printf("  %zu modules unchanged\n", same);

	printf("\nLargest free range between modules\n");
	gap_text(stdout, "A", &df->gap_a);
	gap_text(stdout, "B", &df->gap_b);
	double delta = MIB(df->gap_b.size) - MIB(df->gap_a.size);
	printf("  change %+.1f MiB\n", delta);
	if (df->nculprits != 0) {
		printf("  B's modules now inside A's largest free range (added or moved there):\n");
		for (size_t i = 0; i < df->nculprits; i++) {
			const dw_diff_module *m = df->culprits[i];
			printf("    %-8s %-28s 0x%08" PRIx64 "-0x%08" PRIx64 "\n", dw_diff_kind_name(m->kind),
			       m->name, m->b->base, m->b->base + m->b->size);
		}
	}
	if (df->has_mi_a || df->has_mi_b) {
		printf("\nLargest free region (MemoryInfoList)\n");
		if (df->has_mi_a)
			gap_text(stdout, "A", &df->free_a);
		if (df->has_mi_b)
			gap_text(stdout, "B", &df->free_b);
		if (df->has_mi_a && df->has_mi_b)
			printf("  committed private: %.1f MiB -> %.1f MiB\n", MIB(df->private_a),
			       MIB(df->private_b));
	}
	printf("\nThreads: %zu -> %zu (%+lld)\n", df->threads_a, df->threads_b,
	       (long long)df->threads_b - (long long)df->threads_a);
	if (!df->has_handles_a && !df->has_handles_b) {
		printf("Handles: no HandleData in either dump\n");
		return;
	}
	printf("Handles: %zu -> %zu (%+lld)%s\n", df->handles_a, df->handles_b,
	       (long long)df->handles_b - (long long)df->handles_a,
	       df->has_handles_a && df->has_handles_b ? "" : " (HandleData in only one dump)");
	for (size_t i = 0; i < df->nhandle_types; i++) {
		const dw_diff_count *c = &df->handle_types[i];
		if (c->a != c->b)
			printf("  %-24s %zu -> %zu (%+lld)\n", c->type[0] ? c->type : "(no type name)", c->a,
			       c->b, (long long)c->b - (long long)c->a);
	}
}

static void
json_module(dwc_json *j, const char *key, const dw_md_module *m)
{
	if (m == NULL)
		return;
	dwc_json_key(j, key);
	dwc_json_begin_object(j);
	dwc_json_kv_hex(j, "base", m->base);
	dwc_json_kv_hex(j, "size", m->size);
	dwc_json_kv_hex(j, "timestamp", m->time_date_stamp);
	dwc_json_end_object(j);
}

static void
json_gap(dwc_json *j, const char *key, const dw_vml_gap *g)
{
	dwc_json_key(j, key);
	dwc_json_begin_object(j);
	dwc_json_kv_hex(j, "start", g->start);
	dwc_json_kv_uint(j, "size", g->size);
	dwc_json_kv_string(j, "below", g->below ? mod_name(g->below) : NULL);
	dwc_json_kv_string(j, "above", g->above ? mod_name(g->above) : NULL);
	dwc_json_end_object(j);
}

static void
print_json(const dw_diff *df, const char *pa, const char *pb, bool pretty)
{
	dwc_json j;
	dwc_json_init(&j, stdout, pretty);
	dwc_json_begin_object(&j);
	dwc_json_kv_string(&j, "a", pa);
	dwc_json_kv_string(&j, "b", pb);
	dwc_json_key(&j, "modules");
	dwc_json_begin_array(&j);
	for (size_t i = 0; i < df->nmodules; i++) {
		const dw_diff_module *m = &df->modules[i];
		if (m->kind == DW_DIFF_SAME)
			continue;
		dwc_json_begin_object(&j);
		dwc_json_kv_string(&j, "name", m->name);
		dwc_json_kv_string(&j, "change", dw_diff_kind_name(m->kind));
		json_module(&j, "a", m->a);
		json_module(&j, "b", m->b);
		dwc_json_kv_bool(&j, "in_a_largest_gap", m->in_a_gap);
		dwc_json_end_object(&j);
	}
	dwc_json_end_array(&j);
	json_gap(&j, "largest_gap_a", &df->gap_a);
	json_gap(&j, "largest_gap_b", &df->gap_b);
	dwc_json_kv_int(&j, "largest_gap_change", (int64_t)df->gap_b.size - (int64_t)df->gap_a.size);
	dwc_json_key(&j, "gap_culprits");
	dwc_json_begin_array(&j);
	for (size_t i = 0; i < df->nculprits; i++)
		dwc_json_string(&j, df->culprits[i]->name);
	dwc_json_end_array(&j);
	if (df->has_mi_a)
		json_gap(&j, "largest_free_a", &df->free_a);
	if (df->has_mi_b)
		json_gap(&j, "largest_free_b", &df->free_b);
	dwc_json_kv_uint(&j, "threads_a", df->threads_a);
	dwc_json_kv_uint(&j, "threads_b", df->threads_b);
	if (df->has_handles_a)
		dwc_json_kv_uint(&j, "handles_a", df->handles_a);
	if (df->has_handles_b)
		dwc_json_kv_uint(&j, "handles_b", df->handles_b);
	dwc_json_key(&j, "handle_types");
	dwc_json_begin_array(&j);
	for (size_t i = 0; i < df->nhandle_types; i++) {
		dwc_json_begin_object(&j);
		dwc_json_kv_string(&j, "type", df->handle_types[i].type);
		dwc_json_kv_uint(&j, "a", df->handle_types[i].a);
		dwc_json_kv_uint(&j, "b", df->handle_types[i].b);
		dwc_json_end_object(&j);
	}
	dwc_json_end_array(&j);
	dwc_json_end_object(&j);
	dwc_json_finish(&j);
}

int
dwc_cmd_diff(int argc, char **argv)
{
	const char *paths[2] = {NULL, NULL};
	size_t      np       = 0;
	bool        json = false, pretty = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--pretty") == 0) {
			json = pretty = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else if (argv[i][0] == '-' && argv[i][1] != 0) {
			fprintf(stderr, "dumpwalk diff: unknown option %s\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		} else if (np < 2) {
			paths[np++] = argv[i];
		} else {
			fprintf(stderr, "dumpwalk diff: more than two files given\n");
			return EXIT_USAGE;
		}
	}
	if (np != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	dw_dump *a = open_dump(paths[0]);
	dw_dump *b = a != NULL ? open_dump(paths[1]) : NULL;
	if (a == NULL || b == NULL) {
		dw_dump_free(a);
		return EXIT_INPUT;
	}
	dw_diff *df = NULL;
	dw_err   rv = dw_diff_dumps(&df, a, b);
	if (rv != DW_OK) {
		fprintf(stderr, "dumpwalk diff: %s\n", dw_strerror(rv));
	} else if (json) {
		print_json(df, paths[0], paths[1], pretty);
	} else {
		print_text(df, paths[0], paths[1]);
	}
	dw_diff_free(df);
	dw_dump_free(a);
	dw_dump_free(b);
	if (rv != DW_OK)
		return EXIT_INPUT;
	if (fflush(stdout) != 0) {
		perror("dumpwalk: writing output");
		return EXIT_INPUT;
	}
	return EXIT_OK;
}
