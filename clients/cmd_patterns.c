// `dumpwalk patterns FILE [--json] [--pretty]`: the catalog patterns a dump
// shows without a stack walk, with their evidence. A temporary home until the
// analysis report (`analyze`) embeds the same rendering.
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "clients/cmd_findings.h"
#include "clients/render_findings.h"
#include "walker/classify.h"
#include "walker/dump.h"
#include "walker/walk.h"

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 2 };

static void
usage(FILE *f)
{
	fprintf(f, "usage: dumpwalk patterns FILE [--json] [--pretty]\n"
	           "  name the analysis patterns the dump shows (detectors that need no stack walk)\n");
}

int
dwc_cmd_patterns(int argc, char **argv)
{
	const char *path = NULL;
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
			fprintf(stderr, "dumpwalk patterns: unknown option %s\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		} else if (path == NULL) {
			path = argv[i];
		} else {
			fprintf(stderr, "dumpwalk patterns: more than one FILE given\n");
			return EXIT_USAGE;
		}
	}
	if (path == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}
	dw_notes notes;
	dw_notes_init(&notes);
	dw_dump *d  = NULL;
	dw_err   rv = dw_dump_open_file(&d, path, &notes);
	for (size_t i = 0; i < notes.count; i++)
		fprintf(stderr, "dumpwalk: %s: %s\n", path, notes.items[i].text);
	dw_notes_fini(&notes);
	if (rv != DW_OK) {
		fprintf(stderr, "dumpwalk: %s: cannot read minidump: %s\n", path, dw_strerror(rv));
		return EXIT_INPUT;
	}
	// Stacks are walked without symbols here (the analysis report brings
	// the symbol provider): frames without names still give the exception
	// stack and truncated walks; name-based detectors say they need symbols.
	dw_findings *fs = NULL;
	dw_walk     *w  = NULL;
	rv              = dw_classify(&fs, d, NULL);
	if (rv == DW_OK && dw_walk_dump(&w, d, NULL, NULL) == DW_OK)
		rv = dw_classify_walk(fs, d, w, NULL);
	dw_walk_free(w);
	if (rv != DW_OK) {
		fprintf(stderr, "dumpwalk: %s: %s\n", path, dw_strerror(rv));
		dw_dump_free(d);
		return EXIT_INPUT;
	}
	if (json) {
		dwc_json j;
		dwc_json_init(&j, stdout, pretty);
		dwc_json_begin_object(&j);
		dwc_json_kv_string(&j, "file", path);
		dwc_json_key(&j, "patterns");
		dwc_findings_print_json(&j, fs);
		dwc_json_end_object(&j);
		dwc_json_finish(&j);
	} else {
		dwc_findings_print_text(stdout, fs);
	}
	dw_findings_free(fs);
	dw_dump_free(d);
	if (fflush(stdout) != 0) {
		perror("dumpwalk: writing output");
		return EXIT_INPUT;
	}
	return EXIT_OK;
}
