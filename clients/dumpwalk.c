// dumpwalk: the command-line client. One table of subcommands; each parses its
// own arguments. For now every command runs locally (walker/ in-process).
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "clients/cmd.h"
#include "clients/cmd_findings.h"
#include "clients/cmd_symbols.h"
#include "clients/dump_print.h"
#include "walker/dump.h"

// Exit codes: 0 success, 1 the input could not be read, 2 bad usage.
enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 2 };

typedef struct command {
	const char *name;
	const char *args;
	const char *summary;
	int (*run)(int argc, char **argv);
} command;

static int cmd_dump(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const command commands[] = {
    {"dump", "FILE [--json] [--pretty]",
     "print every stream of a minidump (text, or JSON with --json)", cmd_dump},
    {"analyze", "FILE...|DIR [--local] [--server URL] [-j N]",
     "analyze minidumps with dumpwalkd, or in-process with --local", dwc_cmd_analyze},
    {"stats", "[--server URL]", "print a dumpwalkd's counters", dwc_cmd_stats},
    {"health", "[--server URL]", "check that a dumpwalkd is serving", dwc_cmd_health},
    {"patterns", "FILE [--json] [--pretty]",
     "name the analysis patterns a dump shows (no stack walk yet)", dwc_cmd_patterns},
    {"diff", "A.dmp B.dmp [--json]", "compare two dumps of one program", dwc_cmd_diff},
    {"symbols", "dump|compile|lookup|fetch|prefetch ...",
     "read PDB, PE and .sym files: print .sym text, compile tables, look addresses up; "
     "fetch symbols, or have dumpwalkd prefetch them",
     dwc_cmd_symbols},
    {"help", "[COMMAND]", "show this help, or one command's", cmd_help},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	fprintf(f, "usage: dumpwalk COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-6s %-26s %s\n", commands[i].name, commands[i].args,
		        commands[i].summary);
	fprintf(f, "\nexit status: 0 success, 1 the input could not be read, 2 bad usage\n");
}

static const command *
find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
command_usage(FILE *f, const command *c)
{
	fprintf(f, "usage: dumpwalk %s %s\n  %s\n", c->name, c->args, c->summary);
}

static void
print_notes(const char *path, const dw_notes *notes)
{
	for (size_t i = 0; i < notes->count; i++)
		fprintf(stderr, "dumpwalk: %s: %s: %s\n", path,
		        notes->items[i].code == DW_OK ? "note" : dw_errname(notes->items[i].code),
		        notes->items[i].text);
	if (notes->dropped != 0)
		fprintf(stderr, "dumpwalk: %s: %zu more notes not shown\n", path, notes->dropped);
}

static int
cmd_dump(int argc, char **argv)
{
	const char *path = NULL;
	bool        json = false, pretty = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--pretty") == 0) {
			pretty = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			command_usage(stdout, find_command("dump"));
			return EXIT_OK;
		} else if (argv[i][0] == '-' && argv[i][1] != 0) {
			fprintf(stderr, "dumpwalk dump: unknown option %s\n", argv[i]);
			command_usage(stderr, find_command("dump"));
			return EXIT_USAGE;
		} else if (path == NULL) {
			path = argv[i];
		} else {
			fprintf(stderr, "dumpwalk dump: more than one FILE given\n");
			return EXIT_USAGE;
		}
	}
	if (path == NULL) {
		command_usage(stderr, find_command("dump"));
		return EXIT_USAGE;
	}
	if (pretty)
		json = true;

	dw_notes notes;
	dw_notes_init(&notes);
	dw_dump *d;
	dw_err   rv = dw_dump_open_file(&d, path, &notes);
	if (rv != DW_OK) {
		print_notes(path, &notes);
		fprintf(stderr, "dumpwalk: %s: cannot read minidump: %s\n", path, dw_strerror(rv));
		if (json) {
			dwc_json j;
			dwc_json_init(&j, stdout, pretty);
			dwc_json_begin_object(&j);
			dwc_json_kv_string(&j, "file", path);
			dwc_json_kv_string(&j, "error", dw_errname(rv));
			dwc_json_kv_string(&j, "message", dw_strerror(rv));
			dwc_json_key(&j, "notes");
			dwc_json_begin_array(&j);
			for (size_t i = 0; i < notes.count; i++) {
				dwc_json_begin_object(&j);
				dwc_json_kv_string(&j, "code", dw_errname(notes.items[i].code));
				dwc_json_kv_string(&j, "text", notes.items[i].text);
				dwc_json_end_object(&j);
			}
			dwc_json_end_array(&j);
			dwc_json_end_object(&j);
			dwc_json_finish(&j);
		}
		dw_notes_fini(&notes);
		return EXIT_INPUT;
	}
	dw_notes_fini(&notes);
	print_notes(path, dw_dump_notes(d));
	if (json)
		dwc_dump_print_json(stdout, d, pretty);
	else
		dwc_dump_print_text(stdout, d);
	dw_dump_free(d);
	if (fflush(stdout) != 0) {
		perror("dumpwalk: writing output");
		return EXIT_INPUT;
	}
	return EXIT_OK;
}

static int
cmd_help(int argc, char **argv)
{
	if (argc > 1) {
		const command *c = find_command(argv[1]);
		if (c == NULL) {
			fprintf(stderr, "dumpwalk: unknown command %s\n", argv[1]);
			return EXIT_USAGE;
		}
		command_usage(stdout, c);
		return EXIT_OK;
	}
	usage(stdout);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(1, argv + 1);
	const command *c = find_command(argv[1]);
	if (c == NULL) {
		fprintf(stderr, "dumpwalk: unknown command %s\n\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return c->run(argc - 1, argv + 1);
}
