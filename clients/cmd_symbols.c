// clients/cmd_symbols.c - `dumpwalk symbols dump|compile|lookup`: our reading
// of PDB, PE and .sym files as Breakpad .sym text (to diff against dump_syms),
// compiled tables on disk, and one address looked up in a table.
#include "clients/cmd_symbols.h"
#include "clients/cmd_symbols_fetch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/symtab.h"
#include "symbols/symtab_from.h"

enum { SYM_OK = 0, SYM_FAIL = 1, SYM_USAGE = 2 };

typedef enum kind { K_UNKNOWN, K_PDB, K_PE, K_SYM, K_TABLE } kind;

static kind
sniff(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return K_UNKNOWN;
	char   head[32] = {0};
	size_t n        = fread(head, 1, sizeof(head), f);
	fclose(f);
	if (n >= 24 && memcmp(head, "Microsoft C/C++ MSF 7.00", 24) == 0)
		return K_PDB;
	if (n >= 2 && head[0] == 'M' && head[1] == 'Z')
		return K_PE;
	if (n >= 8 && memcmp(head, "DWSYMTAB", 8) == 0)
		return K_TABLE;
	return K_SYM;
}

static void
print_notes(const char *what, const dw_notes *notes)
{
	for (size_t i = 0; i < notes->count; i++)
		fprintf(stderr, "dumpwalk symbols: %s: %s: %s\n", what,
		        notes->items[i].code == DW_OK ? "note" : dw_errname(notes->items[i].code),
		        notes->items[i].text);
}

// Opens or compiles the inputs (a table; or PDB [+ PE]; or a PE; or a .sym)
// into *out. Prints why on failure.
static int
load(dw_symtab **out, char **inputs, size_t n, const char *pe_opt)
{
	const char *pdb = NULL, *pe = pe_opt, *sym = NULL, *table = NULL;
	for (size_t i = 0; i < n; i++) {
		switch (sniff(inputs[i])) {
		case K_PDB: pdb = inputs[i]; break;
		case K_PE: pe = inputs[i]; break;
		case K_TABLE: table = inputs[i]; break;
		case K_SYM: sym = inputs[i]; break;
		default:
			fprintf(stderr, "dumpwalk symbols: cannot read %s\n", inputs[i]);
			return SYM_FAIL;
		}
	}
	dw_notes notes;
	dw_notes_init(&notes);
	dw_err rv;
	if (table != NULL)
		rv = dw_symtab_open_file(out, table, &notes);
	else
		rv = dw_symtab_compile(out, pdb, pe, pdb != NULL || pe != NULL ? NULL : sym, NULL, &notes);
	print_notes(table ? table : pdb ? pdb : pe ? pe : sym ? sym : "input", &notes);
	dw_notes_fini(&notes);
	if (rv != DW_OK) {
		fprintf(stderr, "dumpwalk symbols: %s\n", dw_strerror(rv));
		return SYM_FAIL;
	}
	return SYM_OK;
}

static int
sub_dump(int argc, char **argv)
{
	const char *pe = NULL;
	char       *in[8];
	size_t      n = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--pe") == 0 && i + 1 < argc)
			pe = argv[++i];
		else if (argv[i][0] == '-' || n == sizeof(in) / sizeof(in[0]))
			return SYM_USAGE;
		else
			in[n++] = argv[i];
	}
	if (n == 0 && pe == NULL)
		return SYM_USAGE;
	dw_symtab *t;
	int        rc = load(&t, in, n, pe);
	if (rc != SYM_OK)
		return rc;
	dw_err rv = dw_symtab_write_breakpad(t, stdout);
	dw_symtab_release(t);
	if (rv != DW_OK || fflush(stdout) != 0) {
		perror("dumpwalk symbols: writing output");
		return SYM_FAIL;
	}
	return SYM_OK;
}

static int
sub_compile(int argc, char **argv)
{
	const char *outp = NULL, *pe = NULL;
	char       *in[8];
	size_t      n = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			outp = argv[++i];
		else if (strcmp(argv[i], "--pe") == 0 && i + 1 < argc)
			pe = argv[++i];
		else if (argv[i][0] == '-' || n == sizeof(in) / sizeof(in[0]))
			return SYM_USAGE;
		else
			in[n++] = argv[i];
	}
	if (outp == NULL || (n == 0 && pe == NULL))
		return SYM_USAGE;
	dw_symtab *t;
	int        rc = load(&t, in, n, pe);
	if (rc != SYM_OK)
		return rc;
	dw_notes notes;
	dw_notes_init(&notes);
	dw_err rv = dw_symtab_write_file(t, outp, &notes);
	print_notes(outp, &notes);
	dw_notes_fini(&notes);
	if (rv == DW_OK) {
		dw_symtab_stats st;
		dw_symtab_get_stats(t, &st);
		size_t len;
		dw_symtab_bytes(t, &len);
		printf("%s: %zu bytes; %zu functions, %zu publics, %zu lines, %zu inlines, "
		       "%zu STACK WIN, %zu STACK CFI, %zu x64 functions\n",
		       outp, len, st.funcs, st.publics, st.lines, st.inlines, st.wins, st.cfis,
		       st.x64_funcs);
	}
	dw_symtab_release(t);
	return rv == DW_OK ? SYM_OK : SYM_FAIL;
}

static void
print_unwind(const dw_symtab *t, uint32_t rva)
{
	dw_unwind_rule r;
	char           text[1024];
	dw_err         rv = dw_symtab_x64_rule(&r, t, rva, 0);
	if (rv == DW_OK) {
		dw_unwind_rule_format(text, sizeof(text), &r);
		printf("unwind:   x64 %x-%x (chain depth %u): CFA = %s%+d; %s\n", r.func_begin,
		       r.func_end, r.chain_depth,
		       r.cfa_reg == DW_X64_RSP ? "rsp" : r.cfa_reg == DW_X64_RBP ? "rbp" : "frame reg",
		       r.cfa_offset, text);
		return;
	}
	if (rv != DW_ENOTFOUND) {
		printf("unwind:   x64 data unusable: %s\n", dw_strerror(rv));
		return;
	}
	dw_symtab_win w;
	for (uint32_t type = DW_SYMTAB_WIN_TYPES; type-- > 0;) {
		if (dw_symtab_win_find(t, type, rva, &w) != DW_OK)
			continue;
		printf("unwind:   STACK WIN %u %x %x prolog %x params %x saved %x locals %x: %s\n",
		       w.type, w.rva, w.code_size, w.prolog_size, w.param_size, w.saved_regs_size,
		       w.locals_size, w.has_program ? w.program : (w.allocates_base_pointer ? "(ebp)" : "(fpo)"));
		return;
	}
	dw_symtab_cfi c;
	if (dw_symtab_cfi_find(t, rva, &c) == DW_OK) {
		printf("unwind:   STACK CFI %x %x:", c.init_rva, c.init_size);
		for (size_t i = 0; i < c.nrules; i++)
			printf(" %s: %s", c.rules[i].reg, c.rules[i].expr);
		putchar('\n');
		return;
	}
	printf("unwind:   none\n");
}

static int
sub_lookup(int argc, char **argv)
{
	if (argc < 3)
		return SYM_USAGE;
	char              *end;
	unsigned long long a = strtoull(argv[2], &end, 16);
	if (*end != 0 || end == argv[2] || a > UINT32_MAX) {
		fprintf(stderr, "dumpwalk symbols: %s is not a module-relative hex address\n", argv[2]);
		return SYM_USAGE;
	}
	uint32_t   rva = (uint32_t)a;
	dw_symtab *t;
	int        rc = load(&t, &argv[1], 1, NULL);
	if (rc != SYM_OK)
		return rc;
	dw_symtab_loc loc;
	if (dw_symtab_find(t, rva, &loc) == DW_OK) {
		printf("function: %s+0x%x (%s at %x", loc.name, loc.offset,
		       loc.is_public ? "public" : "function", loc.start);
		if (!loc.is_public)
			printf(", size %x", loc.size);
		printf(")\n");
		if (loc.file != NULL)
			printf("line:     %s:%u\n", loc.file, loc.line);
		dw_symtab_inline in[DW_MAX_INLINE_FRAMES];
		size_t           ni = 0;
		if (dw_symtab_find_inlines(t, rva, in, DW_MAX_INLINE_FRAMES, &ni) == DW_OK) {
			for (size_t i = 0; i < ni && i < DW_MAX_INLINE_FRAMES; i++)
				printf("inline:   depth %u %s (called from %s:%u)\n", in[i].depth, in[i].name,
				       in[i].call_file ? in[i].call_file : "?", in[i].call_line);
		}
	} else {
		printf("function: none at %x\n", rva);
	}
	print_unwind(t, rva);
	dw_symtab_release(t);
	return SYM_OK;
}

typedef struct sub {
	const char *name, *args, *summary;
	int (*run)(int argc, char **argv);
} sub;

static const sub subs[] = {
    {"dump", "FILE.pdb|FILE.exe|FILE.sym|TABLE [--pe FILE.exe]",
     "print Breakpad .sym text read through a compiled table", sub_dump},
    {"compile", "INPUT... [--pe FILE.exe] -o TABLE", "write a compiled symbol table", sub_compile},
    {"lookup", "TABLE|INPUT ADDRESS", "function, line, inlines and unwind rule at an RVA (hex)",
     sub_lookup},
    {"fetch", "NAME ID [--symbol-path P] [--cache-dir D] [--type pdb|pe|sym]",
     "fetch one PDB, image or .sym through the symbol path into the cache",
     dwc_cmd_symbols_fetch},
    {"prefetch", "[NAME ID]... [--dump FILE] [--server URL]... [--token-file F] [--timeout MS]",
     "have dumpwalkd fetch modules' symbols into its cache (NAME.pdb GUIDAGE, or IMAGE "
     "TIMESTAMPSIZE); exit 0 all found, 3 some not found, 1 a failure",
     dwc_cmd_symbols_prefetch},
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: dumpwalk symbols SUBCOMMAND ...\n");
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		fprintf(f, "  %s %s\n      %s\n", subs[i].name, subs[i].args, subs[i].summary);
	}
}

int
dwc_cmd_symbols(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return SYM_USAGE;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[1], subs[i].name) != 0)
			continue;
		int rc = subs[i].run(argc - 1, argv + 1);
		if (rc == SYM_USAGE)
			fprintf(stderr, "usage: dumpwalk symbols %s %s\n", subs[i].name, subs[i].args);
		return rc;
	}
	fprintf(stderr, "dumpwalk symbols: unknown subcommand %s\n", argv[1]);
	usage(stderr);
	return SYM_USAGE;
}
