// tests/symbols/sym_test.c - the Breakpad .sym reader.
//
// Corpus files are checked against record counts taken independently with
// grep(1), and synthetic text checks that every kind of malformed line is
// skipped, counted and noted without failing the parse.
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/limits.h"
#include "common/mapfile.h"
#include "symbols/breakpad_sym.h"

static dw_sym *
parse_str(const char *text)
{
	dw_sym *s = NULL;
	cr_assert_eq(dw_sym_parse(&s, text, strlen(text), NULL), DW_OK);
	cr_assert_not_null(s);
	return s;
}

static bool
notes_mention(const dw_sym *s, const char *what)
{
	const dw_notes *n = dw_sym_notes(s);
	for (size_t i = 0; i < n->count; i++)
		if (strstr(n->items[i].text, what) != NULL)
			return true;
	return false;
}

// ---- Well-formed records ------------------------------------------------

Test(symbols_sym, reads_every_record_kind)
{
	const char *text =
	    "MODULE windows x86_64 72E103A85CB249078B76B2E7C06257B13 my module.pdb\n"
	    "INFO CODE_ID 589DFD111A000 dump_syms_regtest64.exe\n"
	    "INFO GENERATOR mozilla/dump_syms 2.0\n"
	    "FILE 2 c:\\src\\b file.cpp\n"
	    "FILE 1 c:\\src\\a.cpp\n"
	    "INLINE_ORIGIN 0 inlined_fn(int)\n"
	    "FUNC m 2000 30 8 Bar::Foo(int, char const*)\n"
	    "2010 8 12 1\n"
	    "2000 10 11 1\n"
	    "INLINE 0 12 1 0 2004 4 2018 2\n"
	    "FUNC 1000 20 0 main\n"
	    "1000 20 5 2\n"
	    "PUBLIC m 3000 4 _exit\n"
	    "PUBLIC 2800 0 helper with spaces\n"
	    "STACK WIN 4 1000 20 3 0 8 0 14 0 1 $T0 $ebp = $eip $T0 4 + ^ = \n"
	    "STACK WIN 0 2000 30 0 0 c 4 0 0 0 1\n"
	    "STACK CFI INIT 1000 20 .cfa: $rsp 8 + .ra: .cfa 8 - ^\n"
	    "STACK CFI 1004 .cfa: $rsp 16 +  $rbx: .cfa 16 - ^\n"
	    "STACK CFI 1002 .cfa: $rsp 12 +\n";
	dw_sym *s = parse_str(text);
	const dw_sym_stats *st = dw_sym_get_stats(s);
	cr_assert_eq(st->bad_lines, 0, "%s", dw_sym_notes(s)->count ? dw_sym_notes(s)->items[0].text : "");

	const dw_sym_module *m = dw_sym_get_module(s);
	cr_assert_str_eq(m->os, "windows");
	cr_assert_str_eq(m->arch, "x86_64");
	cr_assert_str_eq(m->id, "72E103A85CB249078B76B2E7C06257B13");
	cr_assert_str_eq(m->name, "my module.pdb");

	size_t n;
	const dw_sym_info *inf = dw_sym_get_infos(s, &n);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(inf[0].key, "CODE_ID");
	cr_assert_str_eq(inf[0].value, "589DFD111A000 dump_syms_regtest64.exe");
	cr_assert_str_eq(inf[1].value, "mozilla/dump_syms 2.0");

	const dw_sym_file *fl = dw_sym_get_files(s, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(fl[0].id, 1); // sorted by id
	cr_assert_str_eq(dw_sym_file_find(s, 2)->name, "c:\\src\\b file.cpp");
	cr_assert_null(dw_sym_file_find(s, 3));
	cr_assert_str_eq(dw_sym_origin_find(s, 0)->name, "inlined_fn(int)");

	const dw_sym_func *fn = dw_sym_get_funcs(s, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(fn[0].addr, 0x1000); // sorted by address
	cr_assert_str_eq(fn[1].name, "Bar::Foo(int, char const*)");
	cr_assert(fn[1].multiple);
	cr_assert_eq(fn[1].param_size, 8);
	cr_assert_eq(fn[1].nlines, 2);
	cr_assert_eq(fn[1].lines[0].addr, 0x2000); // lines sorted too
	cr_assert_eq(fn[1].lines[1].line, 12);
	cr_assert_eq(fn[1].ninlines, 1);
	cr_assert_eq(fn[1].inlines[0].call_line, 12);
	cr_assert_eq(fn[1].inlines[0].nranges, 2);
	cr_assert_eq(fn[1].inlines[0].ranges[1].addr, 0x2018);
	cr_assert_eq(dw_sym_func_find(s, 0x202f), &fn[1]);
	cr_assert_null(dw_sym_func_find(s, 0x2030));
	cr_assert_eq(dw_sym_line_find(&fn[1], 0x2011)->line, 12);

	const dw_sym_public *pb = dw_sym_get_publics(s, &n);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(pb[0].name, "helper with spaces");
	cr_assert(pb[1].multiple);
	cr_assert_eq(pb[1].param_size, 4);
	cr_assert_str_eq(dw_sym_public_find(s, 0x2fff)->name, "helper with spaces");

	const dw_sym_win *w = dw_sym_get_wins(s, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(w[0].type, 4);
	cr_assert(w[0].has_program);
	cr_assert_str_eq(w[0].program, "$T0 $ebp = $eip $T0 4 + ^ = ");
	cr_assert_eq(w[0].prolog_size, 3);
	cr_assert_eq(w[0].param_size, 8);
	cr_assert_eq(w[0].locals_size, 0x14);
	cr_assert_eq(w[1].type, 0);
	cr_assert_not(w[1].has_program);
	cr_assert(w[1].allocates_base_pointer);
	cr_assert_eq(w[1].saved_regs_size, 4);
	cr_assert_null(w[1].program);
	cr_assert_eq(dw_sym_win_find(s, 0, 0x2010), &w[1]);
	cr_assert_null(dw_sym_win_find(s, 0, 0x1010));

	const dw_sym_cfi *c = dw_sym_get_cfis(s, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(c[0].nrules, 2);
	cr_assert_str_eq(c[0].rules[0].reg, ".cfa");
	cr_assert_str_eq(c[0].rules[0].expr, "$rsp 8 +");
	cr_assert_str_eq(c[0].rules[1].expr, ".cfa 8 - ^");
	cr_assert_eq(c[0].ndeltas, 2);
	cr_assert_eq(c[0].deltas[0].addr, 0x1002); // deltas sorted
	cr_assert_eq(c[0].deltas[1].nrules, 2);
	cr_assert_str_eq(c[0].deltas[1].rules[1].reg, "$rbx");
	cr_assert_str_eq(c[0].deltas[1].rules[0].expr, "$rsp 16 +");
	cr_assert_eq(dw_sym_cfi_find(s, 0x101f), &c[0]);
	cr_assert_null(dw_sym_cfi_find(s, 0x1020));
	dw_sym_free(s);
}

Test(symbols_sym, crlf_line_endings_are_accepted)
{
	dw_sym *s = parse_str("MODULE windows x86 ABC a.pdb\r\nFILE 1 a.cpp\r\nFUNC 10 4 0 f\r\n"
	                      "10 4 7 1\r\nPUBLIC 20 0 g\r\n\r\n");
	cr_assert_eq(dw_sym_get_stats(s)->bad_lines, 0);
	cr_assert_str_eq(dw_sym_get_module(s)->name, "a.pdb");
	size_t n;
	cr_assert_str_eq(dw_sym_get_funcs(s, &n)[0].name, "f");
	cr_assert_str_eq(dw_sym_get_publics(s, &n)[0].name, "g");
	cr_assert_str_eq(dw_sym_file_find(s, 1)->name, "a.cpp");
	dw_sym_free(s);
}

Test(symbols_sym, empty_input_is_an_empty_table)
{
	dw_sym *s = NULL;
	cr_assert_eq(dw_sym_parse(&s, "", 0, NULL), DW_OK);
	size_t n;
	dw_sym_get_funcs(s, &n);
	cr_assert_eq(n, 0);
	cr_assert_null(dw_sym_get_module(s)->os);
	cr_assert_null(dw_sym_func_find(s, 0));
	cr_assert_null(dw_sym_public_find(s, 0));
	dw_sym_free(s);
}

// ---- Malformed lines ----------------------------------------------------

struct bad_case {
	const char *text;
	const char *why; // expected in the note
};

Test(symbols_sym, malformed_lines_are_counted_not_fatal)
{
	static const struct bad_case cases[] = {
	    {"FUNC 1000 10", "FUNC parameter size: missing field"},
	    {"FUNC 1000 10 0", "FUNC name: missing field"},
	    {"FUNC 10g0 10 0 f", "FUNC address: bad hex number"},
	    {"FUNC 10000000000000000 1 0 f", "number too large"},
	    {"FUNC ffffffffffffff00 1000 0 f", "wraps"},
	    {"PUBLIC 1x0 0 f", "bad hex"},
	    {"PUBLIC 100", "missing field"},
	    {"FILE x a.cpp", "bad decimal"},
	    {"FILE 99999999999999999999 a.cpp", "number too large"},
	    {"FILE 1", "missing field"},
	    {"MODULE windows x86", "missing field"},
	    {"INFO", "unknown record type"},
	    {"INLINE 0 1 1 0", "ranges: missing field"},
	    {"STACK WIN 4 1000 10 0 0 0 0 0 0 1", "program string: missing field"},
	    {"STACK WIN 4 1000 10 0 0 0 0 0 0 1 ", "program string: empty"},
	    {"STACK WIN 9 1000 10 0 0 0 0 0 0 0 0", "unknown frame type"},
	    {"STACK WIN 0 1000 10 0 0 0 0 0 0 0", "allocates base pointer: missing"},
	    {"STACK WIN 0 1000 10 0 0 100000000 0 0 0 0 0", "number too large"},
	    {"STACK WIN 0 1000 10 0 0 0 0 0 0 2 0", "not 0 or 1"},
	    {"STACK CFI INIT 1000 10", "no rules"},
	    {"STACK CFI INIT 1000 10 $rsp 8 +", "expression before any register"},
	    {"STACK CFI INIT 1000 10 .cfa: .ra: .cfa 8 - ^", "register without an expression"},
	    {"STACK CFI 1004 .cfa: $rsp 16 +", "no STACK CFI INIT before it"},
	    {"1000 10 5 1", "no FUNC before it"},
	    {"1000 10 5", "missing field"},
	    {"1000 10 5 1 9", "trailing text"},
	    {"1000 10 -5 1", "bad decimal"},
	    {"BOGUS record", "unknown record type"},
	    {"STACK FOO 1", "unknown record type"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[256];
		snprintf(buf, sizeof(buf), "MODULE windows x86 0 m.pdb\n%s\nPUBLIC 5 0 ok\n", cases[i].text);
		dw_sym *s = parse_str(buf);
		const dw_sym_stats *st = dw_sym_get_stats(s);
		cr_assert_eq(st->bad_lines, 1, "case %zu (%s): %zu bad lines", i, cases[i].text,
		    st->bad_lines);
		cr_assert(notes_mention(s, "line 2:"), "case %zu: note names the line", i);
		cr_assert(notes_mention(s, cases[i].why), "case %zu (%s): note '%s'", i, cases[i].text,
		    dw_sym_notes(s)->items[0].text);
		cr_assert_eq(st->publics, 1, "case %zu: later lines still read", i);
		dw_sym_free(s);
	}
}

Test(symbols_sym, lines_of_a_bad_func_are_bad_too)
{
	dw_sym *s = parse_str("FUNC zz 10 0 f\n1000 4 1 1\n1004 4 2 1\nFUNC 2000 10 0 g\n2000 4 1 1\n");
	const dw_sym_stats *st = dw_sym_get_stats(s);
	cr_assert_eq(st->bad_lines, 3);
	cr_assert_eq(st->funcs, 1);
	cr_assert_eq(st->line_recs, 1);
	dw_sym_free(s);
}

Test(symbols_sym, overlapping_funcs_keep_the_first)
{
	dw_sym *s = parse_str("FUNC 1000 100 0 a\n1000 100 1 1\nFUNC 1080 10 0 b\n1080 10 2 1\n"
	                      "FUNC 1100 10 0 c\nFUNC 1000 1 0 d\n");
	const dw_sym_stats *st = dw_sym_get_stats(s);
	cr_assert_eq(st->bad_lines, 2);
	size_t             n;
	const dw_sym_func *f = dw_sym_get_funcs(s, &n);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(f[0].name, "a");
	cr_assert_str_eq(f[1].name, "c");
	cr_assert(notes_mention(s, "line 3: FUNC: overlaps"));
	cr_assert(notes_mention(s, "line 6: FUNC: overlaps"));
	cr_assert_eq(st->line_recs, 1);
	dw_sym_free(s);
}

Test(symbols_sym, duplicate_ids_and_modules_are_bad)
{
	dw_sym *s = parse_str("MODULE a b c d\nMODULE e f g h\nFILE 1 x\nFILE 1 y\n"
	                      "INLINE_ORIGIN 3 p\nINLINE_ORIGIN 3 q\n");
	cr_assert_eq(dw_sym_get_stats(s)->bad_lines, 3);
	cr_assert_str_eq(dw_sym_get_module(s)->name, "d");
	cr_assert_str_eq(dw_sym_file_find(s, 1)->name, "x");
	cr_assert_str_eq(dw_sym_origin_find(s, 3)->name, "p");
	dw_sym_free(s);
}

Test(symbols_sym, nul_bytes_and_truncation_do_not_crash)
{
	static const char text[] = "FUNC 1000 10 0 f\0oo\nPUBLIC 2000 0 g\n\0\0\0\nFUNC 3000 1";
	dw_sym           *s      = NULL;
	cr_assert_eq(dw_sym_parse(&s, text, sizeof(text) - 1, NULL), DW_OK);
	const dw_sym_stats *st = dw_sym_get_stats(s);
	cr_assert_eq(st->bad_lines, 3); // NUL in FUNC, NUL line, truncated FUNC
	cr_assert_eq(st->publics, 1);
	cr_assert(notes_mention(s, "NUL"));
	dw_sym_free(s);

	// Every prefix of a valid file parses.
	const char *good = "MODULE windows x86 ABC a.pdb\nFILE 1 a.cpp\nFUNC 10 4 0 f\n10 4 7 1\n"
	                   "STACK CFI INIT 10 4 .cfa: $esp 4 + .ra: .cfa 4 - ^\nSTACK CFI 11 .cfa: $esp 8 +\n"
	                   "STACK WIN 4 10 4 1 0 0 0 0 0 1 $T0 .raSearch = $eip $T0 ^ = $esp $T0 4 + =\n"
	                   "INLINE 0 1 1 0 10 2\nPUBLIC 20 0 g\n";
	for (size_t k = 0; k <= strlen(good); k++) {
		char *copy = malloc(k + 1); // exact size, so ASan sees any overread
		memcpy(copy, good, k);
		cr_assert_eq(dw_sym_parse(&s, copy, k, NULL), DW_OK);
		dw_sym_free(s);
		free(copy);
	}
}

Test(symbols_sym, huge_line_is_counted_and_skipped)
{
	size_t len  = 10u << 20;
	char  *text = malloc(len + 64);
	memcpy(text, "FUNC 1000 10 0 ", 15);
	memset(text + 15, 'x', len - 15);
	memcpy(text + len, "\nPUBLIC 1 0 p\n", 15);
	dw_sym *s = NULL;
	cr_assert_eq(dw_sym_parse(&s, text, len + 14, NULL), DW_OK);
	const dw_sym_stats *st = dw_sym_get_stats(s);
	cr_assert_eq(st->bad_lines, 1);
	cr_assert_eq(st->funcs, 0);
	cr_assert_eq(st->publics, 1);
	cr_assert(notes_mention(s, "longer than"));
	dw_sym_free(s);

	// Just under the cap it is a (long) name.
	memset(text + 15, 'y', DW_MAX_SYM_LINE_BYTES - 15);
	text[DW_MAX_SYM_LINE_BYTES] = '\n';
	cr_assert_eq(dw_sym_parse(&s, text, DW_MAX_SYM_LINE_BYTES + 1, NULL), DW_OK);
	cr_assert_eq(dw_sym_get_stats(s)->bad_lines, 0);
	cr_assert_eq(dw_sym_get_stats(s)->funcs, 1);
	dw_sym_free(s);
	free(text);
}

Test(symbols_sym, many_bad_lines_keep_notes_bounded)
{
	size_t n    = 20000;
	char  *text = malloc(n * 4 + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(text + i * 4, "zz!\n", 4);
	dw_sym *s = NULL;
	cr_assert_eq(dw_sym_parse(&s, text, n * 4, NULL), DW_OK);
	cr_assert_eq(dw_sym_get_stats(s)->bad_lines, n);
	cr_assert_leq(dw_sym_notes(s)->count, DW_MAX_NOTES);
	dw_sym_free(s);
	free(text);
}

// ---- Corpus ---------------------------------------------------------------

// count_with_grep counts lines of `path` matching the extended regex `re`.
static size_t
count_with_grep(const char *re, const char *path)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "grep -acE '%s' '%s'", re, path);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	unsigned long long n = 0;
	cr_assert_eq(fscanf(p, "%llu", &n), 1, "%s", cmd);
	pclose(p);
	return (size_t)n;
}

// find_syms collects every .sym under dir (recursively) into paths.
static void
find_syms(const char *dir, char ***paths, size_t *n)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			find_syms(path, paths, n);
		} else if (strlen(e->d_name) > 4 && strcmp(e->d_name + strlen(e->d_name) - 4, ".sym") == 0) {
			*paths        = realloc(*paths, (*n + 1) * sizeof(char *));
			(*paths)[(*n)++] = strdup(path);
		}
	}
	closedir(d);
}

static const char *
corpus_or_skip(void)
{
	const char *corpus = getenv("DW_CORPUS");
	struct stat st;
	if (corpus == NULL || stat(corpus, &st) != 0) {
		cr_skip_test("DW_CORPUS (%s) not found: corpus .sym checks skipped",
		    corpus ? corpus : "unset");
	}
	return corpus;
}

Test(symbols_sym, corpus_files_parse_with_counts_matching_grep, .timeout = 120)
{
	const char *corpus = corpus_or_skip();
	char        dir[4096];
	snprintf(dir, sizeof(dir), "%s/symbols", corpus);
	char **paths = NULL;
	size_t n     = 0;
	find_syms(dir, &paths, &n);
	cr_assert_gt(n, 10, "expected the corpus .sym files under %s", dir);
	for (size_t i = 0; i < n; i++) {
		const char *p  = paths[i];
		dw_notes    nt;
		dw_notes_init(&nt);
		dw_sym *s = NULL;
		cr_assert_eq(dw_sym_open_file(&s, p, &nt), DW_OK, "%s", p);
		dw_notes_fini(&nt);
		const dw_sym_stats *st = dw_sym_get_stats(s);
		cr_assert_eq(st->bad_lines, 0, "%s: %zu bad lines, first: %s", p, st->bad_lines,
		    dw_sym_notes(s)->count ? dw_sym_notes(s)->items[0].text : "?");
		cr_assert_eq(st->modules, count_with_grep("^MODULE ", p), "%s MODULE", p);
		cr_assert_eq(st->infos, count_with_grep("^INFO ", p), "%s INFO", p);
		cr_assert_eq(st->files, count_with_grep("^FILE ", p), "%s FILE", p);
		cr_assert_eq(st->origins, count_with_grep("^INLINE_ORIGIN ", p), "%s", p);
		cr_assert_eq(st->inlines, count_with_grep("^INLINE ", p), "%s INLINE", p);
		cr_assert_eq(st->funcs, count_with_grep("^FUNC ", p), "%s FUNC", p);
		cr_assert_eq(st->publics, count_with_grep("^PUBLIC ", p), "%s PUBLIC", p);
		cr_assert_eq(st->wins, count_with_grep("^STACK WIN ", p), "%s STACK WIN", p);
		cr_assert_eq(st->cfi_inits, count_with_grep("^STACK CFI INIT ", p), "%s CFI INIT", p);
		cr_assert_eq(st->cfi_deltas, count_with_grep("^STACK CFI [0-9a-fA-F]+ ", p), "%s", p);
		cr_assert_eq(st->line_recs, count_with_grep("^[0-9a-fA-F]+ [0-9a-fA-F]+ [0-9]+ [0-9]+\r?$", p),
		    "%s lines", p);
		size_t nf, nw;
		const dw_sym_func *f = dw_sym_get_funcs(s, &nf);
		for (size_t k = 1; k < nf; k++)
			cr_assert_leq(f[k - 1].addr + f[k - 1].size, f[k].addr, "%s: sorted", p);
		const dw_sym_win *w = dw_sym_get_wins(s, &nw);
		for (size_t k = 1; k < nw; k++)
			cr_assert_leq(w[k - 1].rva, w[k].rva);
		// Every function can be found again by address.
		for (size_t k = 0; k < nf; k++)
			if (f[k].size > 0)
				cr_assert_eq(dw_sym_func_find(s, f[k].addr + f[k].size - 1), &f[k]);
		dw_sym_free(s);
		free(paths[i]);
	}
	free(paths);
}

Test(symbols_sym, corpus_parse_speed, .timeout = 120)
{
	const char *corpus = corpus_or_skip();
	char        dir[4096];
	snprintf(dir, sizeof(dir), "%s/symbols", corpus);
	char **paths = NULL;
	size_t n     = 0;
	find_syms(dir, &paths, &n);
	for (size_t i = 0; i < n; i++) {
		dw_mapfile m;
		if (dw_mapfile_open(&m, paths[i], NULL) != DW_OK)
			continue;
		if (m.len >= 500000) {
			struct timespec t0, t1;
			int             reps = 20;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			for (int r = 0; r < reps; r++) {
				dw_sym *s = NULL;
				cr_assert_eq(dw_sym_parse(&s, (const char *)m.data, m.len, NULL), DW_OK);
				dw_sym_free(s);
			}
			clock_gettime(CLOCK_MONOTONIC, &t1);
			double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
			const char *base = strrchr(paths[i], '/');
			cr_log_info("sym parse %-24s %8zu bytes %8.1f MB/s", base ? base + 1 : paths[i],
			    m.len, (double)m.len * reps / secs / 1e6);
			fprintf(stderr, "sym parse %-24s %8zu bytes %8.1f MB/s\n", base ? base + 1 : paths[i],
			    m.len, (double)m.len * reps / secs / 1e6);
		}
		dw_mapfile_close(&m);
		free(paths[i]);
	}
	free(paths);
}
