// tests/symbols/symtab_test.c - compiled symbol tables: builder -> finish ->
// open -> lookups with values worked out by hand, boundaries, every unwind
// form, corruption and truncation of a small table, a large random table
// against brute force, and corpus .sym files round-tripped through a table
// and compared with the original by symcmp.py.
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cur.h"
#include "symbols/breakpad_sym.h"
#include "symbols/symtab.h"
#include "symbols/symtab_int.h"

static dw_symtab_builder *
new_builder(void)
{
	dw_symtab_builder *b = NULL;
	cr_assert_eq(dw_symtab_builder_new(&b), DW_OK);
	return b;
}

static dw_symtab *
finish(dw_symtab_builder *b, dw_symtab_stats *st)
{
	dw_symtab *t = NULL;
	dw_err     rv = dw_symtab_builder_finish(&t, b, st);
	const dw_notes *n = dw_symtab_builder_notes(b);
	cr_assert_eq(rv, DW_OK, "finish: %s (%s)", dw_errname(rv),
	             n->count ? n->items[n->count - 1].text : "no note");
	dw_symtab_builder_free(b);
	return t;
}

// reopen serializes t and opens the bytes as a new table (then drops t).
static dw_symtab *
reopen(dw_symtab *t)
{
	size_t         len;
	const uint8_t *p = dw_symtab_bytes(t, &len);
	dw_symtab     *u = NULL;
	dw_notes       notes;
	dw_notes_init(&notes);
	dw_err rv = dw_symtab_open_buffer(&u, p, len, &notes);
	cr_assert_eq(rv, DW_OK, "reopen: %s %s", dw_errname(rv),
	             notes.count ? notes.items[0].text : "");
	dw_notes_fini(&notes);
	dw_symtab_release(t);
	return u;
}

// ---- table A: functions, lines, files, publics ------------------------------

static dw_symtab *
table_a(void)
{
	dw_symtab_builder *b = new_builder();
	dw_symtab_module   m = {"windows", "crash.pdb", "3249D99D0C4049318610F4E4FB0B69361",
	                        "crash.exe", "5AB380779000", DW_SYMTAB_CPU_X86};
	cr_assert_eq(dw_symtab_builder_set_module(b, &m), DW_OK);
	// Added out of order on purpose.
	cr_assert_eq(dw_symtab_builder_add_func(b, 0x1280, 0x20, 0, "gamma", false), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_func(b, 0x1000, 0x100, 8, "alpha", false), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_func(b, 0x1200, 0x80, 0, "beta", false), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_file(b, 2, "b.h"), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_file(b, 1, "a.c"), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_line(b, 0x1200, 0x80, 5, 2), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_line(b, 0x1010, 0x30, 11, 1), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_line(b, 0x1000, 0x10, 10, 1), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_line(b, 0x1050, 0x10, 20, 2), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_public(b, 0x1300, 0, "tail", false), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_public(b, 0x1000, 8, "_alpha@8", false), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_public(b, 0x1100, 4, "after_alpha", true), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_public(b, 0x1300, 0, "tail2", false), DW_OK);
	dw_symtab_stats st;
	dw_symtab      *t = finish(b, &st);
	cr_assert_eq(st.funcs, 3);
	cr_assert_eq(st.lines, 4);
	cr_assert_eq(st.publics, 4);
	cr_assert_eq(st.orphan_lines + st.dup_funcs + st.overlap_funcs + st.bad_line_files, 0);
	return t;
}

static void
expect_func(const dw_symtab *t, uint32_t rva, const char *name, uint32_t start, uint32_t line,
            const char *file)
{
	dw_symtab_loc l;
	cr_assert_eq(dw_symtab_find(t, rva, &l), DW_OK, "rva %#x", rva);
	cr_assert_str_eq(l.name, name, "rva %#x", rva);
	cr_assert(!l.is_public, "rva %#x", rva);
	cr_assert_eq(l.start, start);
	cr_assert_eq(l.offset, rva - start);
	cr_assert_eq(l.line, line, "rva %#x: line %u", rva, l.line);
	if (file == NULL)
		cr_assert_null(l.file, "rva %#x", rva);
	else
		cr_assert_str_eq(l.file, file, "rva %#x", rva);
}

static void
expect_public(const dw_symtab *t, uint32_t rva, const char *name, uint32_t start)
{
	dw_symtab_loc l;
	cr_assert_eq(dw_symtab_find(t, rva, &l), DW_OK, "rva %#x", rva);
	cr_assert(l.is_public, "rva %#x", rva);
	cr_assert_str_eq(l.name, name, "rva %#x", rva);
	cr_assert_eq(l.start, start);
	cr_assert_eq(l.offset, rva - start);
	cr_assert_eq(l.size, 0);
	cr_assert_null(l.file);
}

static void
expect_none(const dw_symtab *t, uint32_t rva)
{
	dw_symtab_loc l;
	cr_assert_eq(dw_symtab_find(t, rva, &l), DW_ENOTFOUND, "rva %#x found %s", rva,
	             l.name ? l.name : "?");
	cr_assert_null(l.name);
}

static void
check_table_a(const dw_symtab *t)
{
	dw_symtab_module m;
	dw_symtab_get_module(t, &m);
	cr_assert_str_eq(m.debug_file, "crash.pdb");
	cr_assert_str_eq(m.debug_id, "3249D99D0C4049318610F4E4FB0B69361");
	cr_assert_str_eq(m.code_file, "crash.exe");
	cr_assert_str_eq(m.code_id, "5AB380779000");
	cr_assert_str_eq(m.os, "windows");
	cr_assert_eq(m.cpu, DW_SYMTAB_CPU_X86);

	expect_none(t, 0);
	expect_none(t, 0xfff);
	expect_func(t, 0x1000, "alpha", 0x1000, 10, "a.c");
	expect_func(t, 0x100f, "alpha", 0x1000, 10, "a.c");
	expect_func(t, 0x1010, "alpha", 0x1000, 11, "a.c");
	expect_func(t, 0x103f, "alpha", 0x1000, 11, "a.c");
	expect_func(t, 0x1040, "alpha", 0x1000, 0, NULL); // gap between lines
	expect_func(t, 0x1055, "alpha", 0x1000, 20, "b.h");
	expect_func(t, 0x10ff, "alpha", 0x1000, 0, NULL);
	// One past alpha's end: the public there, not alpha.
	expect_public(t, 0x1100, "after_alpha", 0x1100);
	expect_public(t, 0x11ff, "after_alpha", 0x1100);
	expect_func(t, 0x1200, "beta", 0x1200, 5, "b.h");
	expect_func(t, 0x127f, "beta", 0x1200, 5, "b.h");
	expect_func(t, 0x1280, "gamma", 0x1280, 0, NULL); // adjacent functions
	expect_func(t, 0x129f, "gamma", 0x1280, 0, NULL);
	// After gamma: the nearest public (after_alpha) is older than gamma.
	expect_none(t, 0x12a0);
	expect_none(t, 0x12ff);
	// Two publics at 0x1300: the first added.
	expect_public(t, 0x1300, "tail", 0x1300);
	expect_public(t, 0xffffffff, "tail", 0x1300);

	dw_symtab_loc l;
	cr_assert_eq(dw_symtab_find(t, 0x1000, &l), DW_OK);
	cr_assert_eq(l.size, 0x100);
	cr_assert_eq(l.param_size, 8);
	cr_assert_eq(l.line_start, 0x1000);
	cr_assert_eq(dw_symtab_find(t, 0x1150, &l), DW_OK);
	cr_assert(l.multiple);
	cr_assert_eq(l.param_size, 4);

	dw_symtab_stats st;
	dw_symtab_get_stats(t, &st);
	cr_assert_eq(st.funcs, 3);
	cr_assert_eq(st.files, 2);
	cr_assert_eq(st.publics, 4);
}

Test(symbols_symtab, round_trip_functions_lines_publics)
{
	dw_symtab *t = table_a();
	check_table_a(t);
	t = reopen(t);
	check_table_a(t);
	dw_symtab_release(t);
}

Test(symbols_symtab, file_round_trip_and_refcount)
{
	dw_symtab *t   = table_a();
	char       dir[] = "/tmp/symtab_test.XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/crash.dwt", dir);
	cr_assert_eq(dw_symtab_write_file(t, path, NULL), DW_OK);
	dw_symtab *u = NULL;
	cr_assert_eq(dw_symtab_open_file(&u, path, NULL), DW_OK);
	cr_assert_eq(dw_symtab_hold(u), u);
	dw_symtab_release(u); // still held once
	check_table_a(u);
	dw_symtab_release(u);
	dw_symtab_release(t);
	unlink(path);
	rmdir(dir);

	dw_notes notes;
	dw_notes_init(&notes);
	cr_assert_eq(dw_symtab_open_file(&u, "/nonexistent/x.dwt", &notes), DW_EIO);
	cr_assert_null(u);
	cr_assert_eq(notes.count, 1);
	dw_notes_fini(&notes);
	dw_symtab_release(NULL);
}

// ---- boundaries ---------------------------------------------------------------

Test(symbols_symtab, empty_table)
{
	dw_symtab *t = reopen(finish(new_builder(), NULL));
	dw_symtab_loc l;
	cr_assert_eq(dw_symtab_find(t, 0, &l), DW_ENOTFOUND);
	cr_assert_eq(dw_symtab_find(t, 0xffffffff, &l), DW_ENOTFOUND);
	dw_symtab_x64 x;
	cr_assert_eq(dw_symtab_x64_find(t, 0x1000, &x), DW_ENOTFOUND);
	dw_symtab_win w;
	cr_assert_eq(dw_symtab_win_find(t, 4, 0x1000, &w), DW_ENOTFOUND);
	dw_symtab_cfi c;
	cr_assert_eq(dw_symtab_cfi_find(t, 0x1000, &c), DW_ENOTFOUND);
	size_t n = 7;
	cr_assert_eq(dw_symtab_find_inlines(t, 0x1000, NULL, 0, &n), DW_ENOTFOUND);
	cr_assert_eq(n, 0);
	dw_symtab_module m;
	dw_symtab_get_module(t, &m);
	cr_assert_str_eq(m.debug_file, "");
	cr_assert_eq(m.cpu, DW_SYMTAB_CPU_UNKNOWN);
	char  *text = NULL;
	size_t tlen = 0;
	FILE  *f    = open_memstream(&text, &tlen);
	cr_assert_eq(dw_symtab_write_breakpad(t, f), DW_OK);
	fclose(f);
	cr_assert_str_eq(text, "MODULE windows unknown  \n");
	free(text);
	dw_symtab_release(t);
}

Test(symbols_symtab, publics_only)
{
	dw_symtab_builder *b = new_builder();
	cr_assert_eq(dw_symtab_builder_add_public(b, 0x2000, 0, "two", false), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_public(b, 0x1000, 0, "one", false), DW_OK);
	dw_symtab *t = reopen(finish(b, NULL));
	expect_none(t, 0xfff);
	expect_public(t, 0x1000, "one", 0x1000);
	expect_public(t, 0x1fff, "one", 0x1000);
	expect_public(t, 0x2000, "two", 0x2000);
	expect_public(t, 0x7fffffff, "two", 0x2000);
	dw_symtab_release(t);
}

Test(symbols_symtab, overlapping_and_duplicate_functions)
{
	dw_symtab_builder *b = new_builder();
	cr_assert_eq(dw_symtab_builder_add_func(b, 0x1000, 0x100, 0, "outer", false), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_func(b, 0x1000, 0x40, 0, "folded", false), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_func(b, 0x1080, 0x100, 0, "straddles", false), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_func(b, 0x1100, 0x10, 0, "next", false), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_line(b, 0x1090, 4, 3, 1), DW_OK); // outer's, file undefined
	cr_assert_eq(dw_symtab_builder_add_line(b, 0x2000, 4, 3, 1), DW_OK); // nobody's
	// Bad arguments are refused and leave the builder usable.
	cr_assert_eq(dw_symtab_builder_add_func(b, 0xfffffff0, 0x20, 0, "wraps", false), DW_EINVAL);
	cr_assert_eq(dw_symtab_builder_add_func(b, 0x3000, 1, 0, NULL, false), DW_EINVAL);
	cr_assert_eq(dw_symtab_builder_add_func(b, 0xfffffff0, 0x10, 0, "last", false), DW_OK);
	dw_symtab_stats st;
	dw_symtab      *t = finish(b, &st);
	cr_assert_eq(st.funcs, 3);
	cr_assert_eq(st.dup_funcs, 1);
	cr_assert_eq(st.overlap_funcs, 1);
	cr_assert_eq(st.orphan_lines, 1);
	cr_assert_eq(st.bad_line_files, 1);
	t = reopen(t);
	dw_symtab_loc l;
	cr_assert_eq(dw_symtab_find(t, 0x10f0, &l), DW_OK);
	cr_assert_str_eq(l.name, "outer");
	cr_assert(l.multiple);
	cr_assert_eq(dw_symtab_find(t, 0x1090, &l), DW_OK);
	cr_assert_eq(l.line, 3);
	cr_assert_null(l.file);
	expect_func(t, 0x1100, "next", 0x1100, 0, NULL);
	expect_none(t, 0x1110);
	expect_func(t, 0xffffffff, "last", 0xfffffff0, 0, NULL);
	dw_symtab_release(t);
}

// ---- inline frames ------------------------------------------------------------

Test(symbols_symtab, inline_frames)
{
	dw_symtab_builder *b = new_builder();
	cr_assert_eq(dw_symtab_builder_add_file(b, 1, "a.c"), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_file(b, 2, "b.h"), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_func(b, 0x2000, 0x100, 0, "outer", false), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_line(b, 0x2020, 0x10, 99, 2), DW_OK);
	dw_symtab_range inner[] = {{0x2020, 0x10}};
	dw_symtab_range mid[]   = {{0x2010, 0x40}, {0x2080, 0x10}};
	dw_symtab_range stray[] = {{0x9000, 0x10}};
	cr_assert_eq(dw_symtab_builder_add_inline(b, 1, 2, 3, "inner", inner, 1), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_inline(b, 0, 1, 7, "mid", mid, 2), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_inline(b, 0, 1, 7, "stray", stray, 1), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_inline(b, 0, 1, 7, "none", mid, 0), DW_EINVAL);
	dw_symtab_stats st;
	dw_symtab      *t = reopen(finish(b, &st));
	cr_assert_eq(st.inlines, 2);
	cr_assert_eq(st.orphan_inlines, 1);

	dw_symtab_inline fr[4];
	size_t           n;
	cr_assert_eq(dw_symtab_find_inlines(t, 0x2025, fr, 4, &n), DW_OK);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(fr[0].name, "mid");
	cr_assert_eq(fr[0].depth, 0);
	cr_assert_str_eq(fr[0].call_file, "a.c");
	cr_assert_eq(fr[0].call_line, 7);
	cr_assert_eq(fr[0].start, 0x2010);
	cr_assert_str_eq(fr[1].name, "inner");
	cr_assert_eq(fr[1].depth, 1);
	cr_assert_str_eq(fr[1].call_file, "b.h");
	cr_assert_eq(fr[1].call_line, 3);
	cr_assert_eq(fr[1].start, 0x2020);
	dw_symtab_loc l;
	cr_assert_eq(dw_symtab_find(t, 0x2025, &l), DW_OK);
	cr_assert_eq(l.ninlines, 2);
	cr_assert_eq(l.line, 99);

	cr_assert_eq(dw_symtab_find_inlines(t, 0x2025, fr, 1, &n), DW_OK);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(fr[0].name, "mid");
	cr_assert_eq(dw_symtab_find_inlines(t, 0x2085, fr, 4, &n), DW_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(fr[0].start, 0x2080);
	cr_assert_eq(dw_symtab_find_inlines(t, 0x2050, fr, 4, &n), DW_OK); // mid ended
	cr_assert_eq(n, 0);
	cr_assert_eq(dw_symtab_find_inlines(t, 0x9000, fr, 4, &n), DW_ENOTFOUND);
	dw_symtab_release(t);
}

// ---- unwind data ---------------------------------------------------------------

// UNWIND_INFO version 1, prolog 4 bytes, one code: at offset 4, ALLOC_SMALL
// (op 2) of (3 + 1) * 8 = 32 bytes; slot count padded to even.
static const uint8_t info_main[8] = {0x01, 0x04, 0x01, 0x00, 0x04, 0x32, 0x00, 0x00};
// Version 1 with UNW_FLAG_CHAININFO (4 << 3), no codes, then the chained
// RUNTIME_FUNCTION {0x3000, 0x3080, 0x5000}.
static const uint8_t info_chained[16] = {0x21, 0x00, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00,
                                         0x80, 0x30, 0x00, 0x00, 0x00, 0x50, 0x00, 0x00};

Test(symbols_symtab, x64_runtime_functions_and_chains)
{
	dw_symtab_builder *b = new_builder();
	cr_assert_eq(dw_symtab_builder_add_x64(b, 0x3100, 0x3140, 0x5010, info_chained, 16), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_x64(b, 0x3000, 0x3080, 0x5000, info_main, 8), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_x64(b, 0x3200, 0x3210, 0x5000, info_main, 8), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_x64(b, 0x3300, 0x3310, 0x5000, NULL, 0), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_x64(b, 0x3400, 0x3410, 0x6000, NULL, 0), DW_OK);
	uint8_t other[8] = {0x01, 0x04, 0x01, 0x00, 0x04, 0x42, 0x00, 0x00};
	cr_assert_eq(dw_symtab_builder_add_x64_info(b, 0x5000, other, 8), DW_EINVAL);
	cr_assert_eq(dw_symtab_builder_add_x64_info(b, 0x5000, info_main, 8), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_x64(b, 0x3500, 0x3400, 0x5000, NULL, 0), DW_EINVAL);
	dw_symtab_stats st;
	dw_symtab      *t = reopen(finish(b, &st));
	cr_assert_eq(st.x64_funcs, 5);
	cr_assert_eq(st.x64_infos, 2);

	dw_symtab_x64 x;
	cr_assert_eq(dw_symtab_x64_find(t, 0x2fff, &x), DW_ENOTFOUND);
	cr_assert_eq(dw_symtab_x64_find(t, 0x3000, &x), DW_OK);
	cr_assert_eq(x.begin, 0x3000);
	cr_assert_eq(x.end, 0x3080);
	cr_assert_eq(x.unwind_rva, 0x5000);
	cr_assert_eq(x.info_len, 8);
	cr_assert_arr_eq(x.info, info_main, 8);
	cr_assert_eq(dw_symtab_x64_find(t, 0x307f, &x), DW_OK);
	cr_assert_eq(dw_symtab_x64_find(t, 0x3080, &x), DW_ENOTFOUND);
	cr_assert_eq(dw_symtab_x64_find(t, 0x3120, &x), DW_OK);
	cr_assert_eq(x.unwind_rva, 0x5010);
	cr_assert_eq(x.info_len, 16);
	cr_assert_arr_eq(x.info, info_chained, 16);
	// Follow the chain by the RVA the chained RUNTIME_FUNCTION names.
	const uint8_t *ci;
	size_t         clen;
	cr_assert_eq(dw_symtab_x64_info(t, dw_get_u32le(x.info + 12), &ci, &clen), DW_OK);
	cr_assert_eq(clen, 8);
	cr_assert_arr_eq(ci, info_main, 8);
	cr_assert_eq(dw_symtab_x64_find(t, 0x3205, &x), DW_OK);
	cr_assert_eq(x.begin, 0x3200);
	cr_assert_arr_eq(x.info, info_main, 8);
	cr_assert_eq(dw_symtab_x64_find(t, 0x3400, &x), DW_OK); // no bytes stored
	cr_assert_null(x.info);
	cr_assert_eq(x.info_len, 0);
	cr_assert_eq(dw_symtab_x64_info(t, 0x6000, &ci, &clen), DW_ENOTFOUND);
	dw_symtab_release(t);
}

Test(symbols_symtab, stack_win_nested_records)
{
	dw_symtab_builder *b = new_builder();
	dw_symtab_win outer = {.type = 4, .rva = 0x4000, .code_size = 0x100, .prolog_size = 6,
	                       .epilog_size = 1, .param_size = 8, .saved_regs_size = 4,
	                       .locals_size = 0x10, .max_stack_size = 0, .has_program = true,
	                       .program = "$T0 .raSearch = $eip $T0 ^ = $esp $T0 4 + ="};
	dw_symtab_win inner = {.type = 4, .rva = 0x4010, .code_size = 0x10, .has_program = true,
	                       .program = "P2"};
	dw_symtab_win fpo   = {.type = 0, .rva = 0x4000, .code_size = 0x50, .prolog_size = 3,
	                       .allocates_base_pointer = true};
	dw_symtab_win bad   = {.type = 5, .rva = 0x4000, .code_size = 0x50};
	cr_assert_eq(dw_symtab_builder_add_win(b, &inner), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_win(b, &outer), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_win(b, &fpo), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_win(b, &bad), DW_EINVAL);
	dw_symtab *t = reopen(finish(b, NULL));

	dw_symtab_win w;
	cr_assert_eq(dw_symtab_win_find(t, 4, 0x4005, &w), DW_OK);
	cr_assert_eq(w.rva, 0x4000);
	cr_assert_eq(w.code_size, 0x100);
	cr_assert_eq(w.prolog_size, 6);
	cr_assert_eq(w.epilog_size, 1);
	cr_assert_eq(w.param_size, 8);
	cr_assert_eq(w.saved_regs_size, 4);
	cr_assert_eq(w.locals_size, 0x10);
	cr_assert(w.has_program);
	cr_assert_str_eq(w.program, outer.program);
	cr_assert_eq(dw_symtab_win_find(t, 4, 0x4015, &w), DW_OK);
	cr_assert_str_eq(w.program, "P2");
	cr_assert_eq(dw_symtab_win_find(t, 4, 0x4020, &w), DW_OK); // back in outer
	cr_assert_eq(w.rva, 0x4000);
	cr_assert_eq(dw_symtab_win_find(t, 4, 0x40ff, &w), DW_OK);
	cr_assert_eq(dw_symtab_win_find(t, 4, 0x4100, &w), DW_ENOTFOUND);
	cr_assert_eq(dw_symtab_win_find(t, 0, 0x4015, &w), DW_OK);
	cr_assert_eq(w.type, 0);
	cr_assert(!w.has_program);
	cr_assert(w.allocates_base_pointer);
	cr_assert_null(w.program);
	cr_assert_eq(dw_symtab_win_find(t, 0, 0x4050, &w), DW_ENOTFOUND);
	cr_assert_eq(dw_symtab_win_find(t, 1, 0x4010, &w), DW_ENOTFOUND);
	cr_assert_eq(dw_symtab_win_find(t, 9, 0x4010, &w), DW_ENOTFOUND);
	dw_symtab_release(t);
}

static const char *
rule(const dw_symtab_cfi *c, const char *reg)
{
	for (size_t i = 0; i < c->nrules; i++)
		if (strcmp(c->rules[i].reg, reg) == 0)
			return c->rules[i].expr;
	return NULL;
}

Test(symbols_symtab, stack_cfi_effective_rules)
{
	dw_symtab_builder *b = new_builder();
	dw_symtab_cfi_rule r0[] = {{".cfa", "$rsp 8 +"}, {".ra", ".cfa 8 - ^"}};
	dw_symtab_cfi_rule r1[] = {{".cfa", "$rsp 16 +"}, {"$rbx", ".cfa 16 - ^"}};
	dw_symtab_cfi_rule r2[] = {{".cfa", "$rsp 48 +"}};
	cr_assert_eq(dw_symtab_builder_add_cfi_delta(b, 0x6001, r1, 2), DW_EINVAL); // no INIT yet
	cr_assert_eq(dw_symtab_builder_add_cfi(b, 0x6000, 0x40, r0, 2), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_cfi_delta(b, 0x6008, r2, 1), DW_OK); // out of order
	cr_assert_eq(dw_symtab_builder_add_cfi_delta(b, 0x6001, r1, 2), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_cfi_delta(b, 0x6040, r2, 1), DW_EINVAL); // past INIT
	cr_assert_eq(dw_symtab_builder_add_cfi(b, 0x5000, 0x10, r0, 2), DW_OK);
	dw_symtab *t = reopen(finish(b, NULL));

	dw_symtab_cfi c;
	cr_assert_eq(dw_symtab_cfi_find(t, 0x5fff, &c), DW_ENOTFOUND);
	cr_assert_eq(dw_symtab_cfi_find(t, 0x6000, &c), DW_OK);
	cr_assert_eq(c.init_rva, 0x6000);
	cr_assert_eq(c.init_size, 0x40);
	cr_assert_eq(c.nrules, 2);
	cr_assert_str_eq(rule(&c, ".cfa"), "$rsp 8 +");
	cr_assert_str_eq(rule(&c, ".ra"), ".cfa 8 - ^");
	cr_assert_eq(dw_symtab_cfi_find(t, 0x6004, &c), DW_OK);
	cr_assert_eq(c.nrules, 3);
	cr_assert_str_eq(c.rules[0].reg, ".cfa"); // first-set order
	cr_assert_str_eq(c.rules[2].reg, "$rbx");
	cr_assert_str_eq(rule(&c, ".cfa"), "$rsp 16 +");
	cr_assert_str_eq(rule(&c, "$rbx"), ".cfa 16 - ^");
	cr_assert_eq(dw_symtab_cfi_find(t, 0x603f, &c), DW_OK);
	cr_assert_str_eq(rule(&c, ".cfa"), "$rsp 48 +");
	cr_assert_str_eq(rule(&c, ".ra"), ".cfa 8 - ^");
	cr_assert_eq(dw_symtab_cfi_find(t, 0x6040, &c), DW_ENOTFOUND);
	cr_assert_eq(dw_symtab_cfi_find(t, 0x5008, &c), DW_OK);
	cr_assert_eq(c.init_rva, 0x5000);
	dw_symtab_release(t);
}

// ---- Breakpad text --------------------------------------------------------------

Test(symbols_symtab, writes_breakpad_text)
{
	dw_symtab_builder *b = new_builder();
	dw_symtab_module   m = {"windows", "t.pdb", "ABC1", "t.dll", "5C9E09599000",
	                        DW_SYMTAB_CPU_AMD64};
	cr_assert_eq(dw_symtab_builder_set_module(b, &m), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_file(b, 7, "c:\\src\\t.cpp"), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_func(b, 0x1000, 0x20, 4, "f(int)", true), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_line(b, 0x1000, 0x20, 12, 7), DW_OK);
	dw_symtab_range r[] = {{0x1004, 4}, {0x1010, 2}};
	cr_assert_eq(dw_symtab_builder_add_inline(b, 0, 7, 11, "g", r, 2), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_public(b, 0x2000, 0, "p", false), DW_OK);
	dw_symtab_win w = {.type = 4, .rva = 0x1000, .code_size = 0x20, .prolog_size = 1,
	                   .param_size = 4, .has_program = true, .program = "$T0 $ebp ="};
	cr_assert_eq(dw_symtab_builder_add_win(b, &w), DW_OK);
	dw_symtab_cfi_rule c0[] = {{".cfa", "$rsp 8 +"}, {".ra", ".cfa -8 + ^"}};
	dw_symtab_cfi_rule c1[] = {{".cfa", "$rsp 16 +"}};
	cr_assert_eq(dw_symtab_builder_add_cfi(b, 0x1000, 0x20, c0, 2), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_cfi_delta(b, 0x1001, c1, 1), DW_OK);
	dw_symtab *t = reopen(finish(b, NULL));

	char  *text = NULL;
	size_t tlen = 0;
	FILE  *f    = open_memstream(&text, &tlen);
	cr_assert_eq(dw_symtab_write_breakpad(t, f), DW_OK);
	fclose(f);
	cr_assert_str_eq(text, "MODULE windows x86_64 ABC1 t.pdb\n"
	                       "INFO CODE_ID 5C9E09599000 t.dll\n"
	                       "FILE 7 c:\\src\\t.cpp\n"
	                       "INLINE_ORIGIN 0 g\n"
	                       "FUNC m 1000 20 4 f(int)\n"
	                       "INLINE 0 11 7 0 1004 4 1010 2\n"
	                       "1000 20 12 7\n"
	                       "PUBLIC 2000 0 p\n"
	                       "STACK WIN 4 1000 20 1 0 4 0 0 0 1 $T0 $ebp =\n"
	                       "STACK CFI INIT 1000 20 .cfa: $rsp 8 + .ra: .cfa -8 + ^\n"
	                       "STACK CFI 1001 .cfa: $rsp 16 +\n");
	free(text);

	// The text reads back through the .sym reader into the same table.
	dw_sym *s = NULL;
	f         = open_memstream(&text, &tlen);
	cr_assert_eq(dw_symtab_write_breakpad(t, f), DW_OK);
	fclose(f);
	cr_assert_eq(dw_sym_parse(&s, text, tlen, NULL), DW_OK);
	cr_assert_eq(dw_sym_get_stats(s)->bad_lines, 0);
	dw_symtab_builder *b2 = new_builder();
	size_t             skipped;
	cr_assert_eq(dw_symtab_builder_add_sym(b2, s, &skipped), DW_OK);
	cr_assert_eq(skipped, 0);
	dw_symtab *t2 = finish(b2, NULL);
	size_t     l1, l2;
	const uint8_t *p1 = dw_symtab_bytes(t, &l1), *p2 = dw_symtab_bytes(t2, &l2);
	cr_assert_eq(l1, l2);
	cr_assert_arr_eq(p1, p2, l1, "table from our .sym text differs from the original");
	dw_sym_free(s);
	free(text);
	dw_symtab_release(t2);
	dw_symtab_release(t);
}

// ---- corruption -----------------------------------------------------------------

// A small table with a record of every kind.
static dw_symtab *
table_small(void)
{
	dw_symtab_builder *b = new_builder();
	dw_symtab_module   m = {"windows", "s.pdb", "00AA1", "s.exe", "1234", DW_SYMTAB_CPU_AMD64};
	cr_assert_eq(dw_symtab_builder_set_module(b, &m), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_file(b, 1, "s.c"), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_func(b, 0x1000, 0x40, 0, "f", false), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_line(b, 0x1000, 0x40, 3, 1), DW_OK);
	dw_symtab_range r[] = {{0x1008, 8}};
	cr_assert_eq(dw_symtab_builder_add_inline(b, 0, 1, 2, "i", r, 1), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_public(b, 0x1000, 0, "f_pub", false), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_x64(b, 0x1000, 0x1040, 0x3000, info_main, 8), DW_OK);
	dw_symtab_win w = {.type = 4, .rva = 0x1000, .code_size = 0x40, .has_program = true,
	                   .program = "x"};
	cr_assert_eq(dw_symtab_builder_add_win(b, &w), DW_OK);
	dw_symtab_cfi_rule c[] = {{".cfa", "$rsp 8 +"}};
	cr_assert_eq(dw_symtab_builder_add_cfi(b, 0x1000, 0x40, c, 1), DW_OK);
	cr_assert_eq(dw_symtab_builder_add_cfi_delta(b, 0x1004, c, 1), DW_OK);
	return finish(b, NULL);
}

Test(symbols_symtab, every_byte_flip_is_rejected)
{
	dw_symtab     *t = table_small();
	size_t         len;
	const uint8_t *p   = dw_symtab_bytes(t, &len);
	uint8_t       *buf = malloc(len);
	memcpy(buf, p, len);
	cr_assert_lt(len, 4096, "small table is %zu bytes", len);
	static const uint8_t masks[] = {0x01, 0x10, 0x80, 0xff};
	for (size_t i = 0; i < len; i++) {
		for (size_t k = 0; k < sizeof(masks); k++) {
			buf[i] ^= masks[k];
			dw_symtab *u = NULL;
			dw_notes   notes;
			dw_notes_init(&notes);
			dw_err rv = dw_symtab_open_buffer(&u, buf, len, &notes);
			cr_assert_neq(rv, DW_OK, "flip %#x at byte %zu accepted", masks[k], i);
			cr_assert_null(u);
			cr_assert_eq(notes.count, 1, "byte %zu: %zu notes", i, notes.count);
			dw_notes_fini(&notes);
			buf[i] ^= masks[k];
		}
	}
	dw_symtab *u = NULL;
	cr_assert_eq(dw_symtab_open_buffer(&u, buf, len, NULL), DW_OK);
	dw_symtab_release(u);
	free(buf);
	dw_symtab_release(t);
}

Test(symbols_symtab, every_truncation_is_rejected)
{
	dw_symtab     *t = table_small();
	size_t         len;
	const uint8_t *p = dw_symtab_bytes(t, &len);
	for (size_t n = 0; n < len; n++) {
		dw_symtab *u = NULL;
		dw_notes   notes;
		dw_notes_init(&notes);
		dw_err rv = dw_symtab_open_buffer(&u, p, n, &notes);
		cr_assert(rv == DW_ETRUNC || rv == DW_ECORRUPT, "length %zu: %s", n, dw_errname(rv));
		cr_assert_eq(notes.count, 1);
		dw_notes_fini(&notes);
	}
	// Extra bytes after a table are refused too.
	uint8_t *big = calloc(1, len + 8);
	memcpy(big, p, len);
	dw_symtab *u = NULL;
	cr_assert_eq(dw_symtab_open_buffer(&u, big, len + 8, NULL), DW_ECORRUPT);
	free(big);
	dw_symtab_release(t);
}

static void
rehash(uint8_t *buf, size_t len)
{
	uint64_t h = dw_symtab__hash(buf + 16, len - 16);
	for (int i = 0; i < 8; i++)
		buf[8 + i] = (uint8_t)(h >> (8 * i));
}

// A table whose checksum was recomputed after tampering (say, served by a
// broken peer) is caught by the structural checks.
Test(symbols_symtab, tampered_table_with_valid_checksum)
{
	dw_symtab     *t = table_small();
	size_t         len;
	const uint8_t *p   = dw_symtab_bytes(t, &len);
	uint8_t       *buf = malloc(len);

	// Version 2 is refused as unsupported.
	memcpy(buf, p, len);
	buf[16] = 2;
	rehash(buf, len);
	dw_symtab *u = NULL;
	cr_assert_eq(dw_symtab_open_buffer(&u, buf, len, NULL), DW_EUNSUPPORTED);

	// The function's name offset pointing past the pool.
	memcpy(buf, p, len);
	uint64_t funcs_off = 0;
	for (uint32_t i = 0; i < dw_get_u32le(buf + 36); i++) {
		const uint8_t *d = buf + DW_SYMTAB_HEADER_SIZE + (size_t)i * DW_SYMTAB_DIRENT_SIZE;
		if (dw_get_u32le(d) == DW_SEC_FUNCS)
			funcs_off = dw_get_u64le(d + 8);
	}
	cr_assert_neq(funcs_off, 0);
	buf[funcs_off + 4] = 0xff;
	buf[funcs_off + 5] = 0xff;
	rehash(buf, len);
	dw_notes notes;
	dw_notes_init(&notes);
	cr_assert_eq(dw_symtab_open_buffer(&u, buf, len, &notes), DW_ECORRUPT);
	cr_assert_not_null(strstr(notes.items[0].text, "function"), "%s", notes.items[0].text);
	dw_notes_fini(&notes);

	// Random tampering, rehashed: refused or, if accepted, safe to query.
	srand(7);
	for (int round = 0; round < 3000; round++) {
		memcpy(buf, p, len);
		int nflips = 1 + rand() % 4;
		for (int k = 0; k < nflips; k++)
			buf[16 + (size_t)rand() % (len - 16)] ^= (uint8_t)(1 + rand() % 255);
		rehash(buf, len);
		if (dw_symtab_open_buffer(&u, buf, len, NULL) != DW_OK)
			continue;
		for (uint32_t a = 0xff0; a < 0x1050; a += 3) {
			dw_symtab_loc    l;
			dw_symtab_inline in[4];
			size_t           n;
			dw_symtab_x64    x;
			dw_symtab_win    w;
			dw_symtab_cfi    c;
			(void)dw_symtab_find(u, a, &l);
			(void)dw_symtab_find_inlines(u, a, in, 4, &n);
			(void)dw_symtab_x64_find(u, a, &x);
			(void)dw_symtab_win_find(u, 4, a, &w);
			(void)dw_symtab_cfi_find(u, a, &c);
		}
		FILE *f = fopen("/dev/null", "w");
		(void)dw_symtab_write_breakpad(u, f);
		fclose(f);
		dw_symtab_release(u);
	}
	free(buf);
	dw_symtab_release(t);
}

// ---- a large random table against brute force ------------------------------------

typedef struct rrec {
	uint32_t rva, size, order, type;
} rrec;

static uint64_t rng_state = 0x1234567887654321ull;
static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

// The last-started record (greatest (rva, order)) of `type` holding a.
static int
brute_range(const rrec *r, size_t n, uint32_t type, uint32_t a)
{
	int best = -1;
	for (size_t i = 0; i < n; i++) {
		if (r[i].type != type || a < r[i].rva || (uint64_t)a >= (uint64_t)r[i].rva + r[i].size)
			continue;
		if (best < 0 || r[i].rva > r[best].rva ||
		    (r[i].rva == r[best].rva && r[i].order > r[best].order))
			best = (int)i;
	}
	return best;
}

Test(symbols_symtab, large_random_table_matches_brute_force)
{
	enum { NF = 3000, NP = 1500, NW = 2000, NX = 2000, NQ = 6000 };
	rrec *fn = calloc(NF, sizeof(rrec)), *pb = calloc(NP, sizeof(rrec));
	rrec *wn = calloc(NW, sizeof(rrec)), *xs = calloc(NX, sizeof(rrec));
	dw_symtab_builder *b = new_builder();
	char name[32];
	// Functions: increasing, random gaps (some zero) and sizes.
	uint32_t at = 0x1000;
	for (int i = 0; i < NF; i++) {
		at += rnd() % 3 == 0 ? 0 : rnd() % 64;
		fn[i] = (rrec){at, 1 + rnd() % 200, (uint32_t)i, 0};
		at += fn[i].size;
	}
	for (int i = NF - 1; i >= 0; i--) { // added backwards
		snprintf(name, sizeof(name), "f%d", i);
		cr_assert_eq(dw_symtab_builder_add_func(b, fn[i].rva, fn[i].size, 0, name, false), DW_OK);
	}
	uint32_t span = at + 0x1000;
	for (int i = 0; i < NP; i++) {
		pb[i] = (rrec){rnd() % span, 0, (uint32_t)i, 0};
		if (i % 50 == 0 && i > 0)
			pb[i].rva = pb[i - 1].rva; // shared addresses
		snprintf(name, sizeof(name), "p%d", i);
		cr_assert_eq(dw_symtab_builder_add_public(b, pb[i].rva, 0, name, false), DW_OK);
	}
	for (int i = 0; i < NW; i++) {
		wn[i] = (rrec){rnd() % span, rnd() % 3000, (uint32_t)i, rnd() % 2 ? 4u : 0u};
		dw_symtab_win w = {.type = wn[i].type, .rva = wn[i].rva, .code_size = wn[i].size,
		                   .param_size = (uint32_t)i};
		cr_assert_eq(dw_symtab_builder_add_win(b, &w), DW_OK);
	}
	for (int i = 0; i < NX; i++) {
		xs[i] = (rrec){rnd() % span, rnd() % 500, (uint32_t)i, 0};
		cr_assert_eq(dw_symtab_builder_add_x64(b, xs[i].rva, xs[i].rva + xs[i].size,
		                                       (uint32_t)i, NULL, 0),
		             DW_OK);
	}
	dw_symtab *t = reopen(finish(b, NULL));

	for (int q = 0; q < NQ; q++) {
		uint32_t a;
		switch (q % 4) {
		case 0: a = rnd() % span; break;
		case 1: a = fn[rnd() % NF].rva + fn[rnd() % NF].size; break;
		case 2: a = wn[rnd() % NW].rva + wn[rnd() % NW].size - 1; break;
		default: a = xs[rnd() % NX].rva + (rnd() % 2 ? xs[rnd() % NX].size : 0); break;
		}
		// Function / public.
		int f = -1, nearest = -1;
		for (int i = 0; i < NF; i++) {
			if (fn[i].rva <= a)
				nearest = i;
			if (a >= fn[i].rva && a < fn[i].rva + fn[i].size)
				f = i;
		}
		int p = -1;
		for (int i = 0; i < NP; i++)
			if (pb[i].rva <= a && (p < 0 || pb[i].rva > pb[p].rva ||
			                       (pb[i].rva == pb[p].rva && pb[i].order < pb[p].order)))
				p = i;
		if (f < 0 && p >= 0 && nearest >= 0 && fn[nearest].rva >= pb[p].rva)
			p = -1;
		dw_symtab_loc l;
		dw_err        rv = dw_symtab_find(t, a, &l);
		if (f >= 0) {
			snprintf(name, sizeof(name), "f%d", f);
			cr_assert_eq(rv, DW_OK);
			cr_assert_str_eq(l.name, name, "rva %#x", a);
		} else if (p >= 0) {
			snprintf(name, sizeof(name), "p%d", p);
			cr_assert_eq(rv, DW_OK, "rva %#x", a);
			cr_assert(l.is_public);
			cr_assert_str_eq(l.name, name, "rva %#x", a);
		} else {
			cr_assert_eq(rv, DW_ENOTFOUND, "rva %#x gave %s", a, l.name);
		}
		// STACK WIN, both types.
		for (uint32_t ty = 0; ty <= 4; ty += 4) {
			int           w = brute_range(wn, NW, ty, a);
			dw_symtab_win got;
			rv = dw_symtab_win_find(t, ty, a, &got);
			if (w < 0) {
				cr_assert_eq(rv, DW_ENOTFOUND, "win %u rva %#x", ty, a);
			} else {
				cr_assert_eq(rv, DW_OK, "win %u rva %#x", ty, a);
				cr_assert_eq(got.param_size, (uint32_t)w, "win %u rva %#x", ty, a);
			}
		}
		int           x = brute_range(xs, NX, 0, a);
		dw_symtab_x64 gx;
		rv = dw_symtab_x64_find(t, a, &gx);
		if (x < 0) {
			cr_assert_eq(rv, DW_ENOTFOUND, "x64 rva %#x", a);
		} else {
			cr_assert_eq(rv, DW_OK, "x64 rva %#x", a);
			cr_assert_eq(gx.unwind_rva, (uint32_t)x, "x64 rva %#x", a);
		}
	}
	dw_symtab_release(t);
	free(fn);
	free(pb);
	free(wn);
	free(xs);
}

// ---- corpus: .sym -> table -> .sym, compared by symcmp.py ---------------------------

static void
find_syms(const char *dir, char ***list, size_t *n, int depth)
{
	DIR *d = opendir(dir);
	if (d == NULL || depth > 4) {
		if (d)
			closedir(d);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		size_t nl = strlen(e->d_name);
		if (S_ISDIR(st.st_mode))
			find_syms(path, list, n, depth + 1);
		else if (nl > 4 && strcmp(e->d_name + nl - 4, ".sym") == 0) {
			*list        = realloc(*list, (*n + 1) * sizeof(char *));
			(*list)[(*n)++] = strdup(path);
		}
	}
	closedir(d);
}

Test(symbols_symtab, corpus_sym_round_trip_through_table, .timeout = 300)
{
	const char *c = getenv("DW_CORPUS");
	char        root[4096];
	struct stat st;
	if (c == NULL)
		cr_skip_test("DW_CORPUS not set: no corpus .sym files");
	snprintf(root, sizeof(root), "%s/symbols", c);
	if (stat(root, &st) != 0)
		cr_skip_test("%s missing", root);
	if (system("python3 -c 1 >/dev/null 2>&1") != 0)
		cr_skip_test("python3 missing: cannot run symcmp.py");
	const char *tool = "/work/shared/tools/symcmp.py";
	if (stat(tool, &st) != 0)
		cr_skip_test("%s missing", tool);
	char **list = NULL;
	size_t n    = 0;
	find_syms(root, &list, &n, 0);
	cr_assert_gt(n, 0);
	char dir[] = "/tmp/symtab_corpus.XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	for (size_t i = 0; i < n; i++) {
		dw_sym *s = NULL;
		cr_assert_eq(dw_sym_open_file(&s, list[i], NULL), DW_OK, "%s", list[i]);
		dw_symtab_builder *b = new_builder();
		size_t             skipped;
		cr_assert_eq(dw_symtab_builder_add_sym(b, s, &skipped), DW_OK, "%s", list[i]);
		cr_assert_eq(skipped, 0, "%s", list[i]);
		dw_symtab_stats ts;
		dw_symtab      *t   = finish(b, &ts);
		const dw_sym_stats *ss = dw_sym_get_stats(s);
		cr_assert_eq(ts.funcs, ss->funcs, "%s", list[i]);
		cr_assert_eq(ts.lines, ss->line_recs, "%s: orphan lines %zu", list[i], ts.orphan_lines);
		cr_assert_eq(ts.publics, ss->publics, "%s", list[i]);
		cr_assert_eq(ts.wins, ss->wins, "%s", list[i]);
		cr_assert_eq(ts.cfis, ss->cfi_inits, "%s", list[i]);
		cr_assert_eq(ts.inlines, ss->inlines, "%s", list[i]);
		t = reopen(t);

		char out[4200];
		snprintf(out, sizeof(out), "%s/out%zu.sym", dir, i);
		FILE *f = fopen(out, "w");
		cr_assert_not_null(f);
		cr_assert_eq(dw_symtab_write_breakpad(t, f), DW_OK);
		fclose(f);
		char cmd[9000];
		snprintf(cmd, sizeof(cmd), "python3 %s '%s' '%s'", tool, out, list[i]);
		FILE *pp = popen(cmd, "r");
		cr_assert_not_null(pp);
		char line[1024] = "";
		if (fgets(line, sizeof(line), pp) == NULL)
			line[0] = 0;
		pclose(pp);
		// Every figure must be 100.0%: both sides hold the same data.
		cr_assert_not_null(strstr(line, "FUNC"), "%s: symcmp said '%s'", list[i], line);
		for (const char *q = line; (q = strchr(q, '%')) != NULL; q++)
			cr_assert(q - line >= 5 && strncmp(q - 5, "100.0", 5) == 0, "%s: %s", list[i],
			          line);
		cr_log_info("%s: %s", strrchr(list[i], '/') + 1, line);
		unlink(out);
		dw_symtab_release(t);
		dw_sym_free(s);
		free(list[i]);
	}
	free(list);
	rmdir(dir);
}
