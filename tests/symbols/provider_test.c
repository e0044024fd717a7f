// tests/symbols/provider_test.c - the table-backed walker provider: modules
// of real dumps resolved from local directories (symbol-server, Breakpad and
// flat layouts), Wine dumps without CodeView records found by code id,
// sharing and the idle LRU, and lookups through the ops.
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "symbols/provider.h"
#include "walker/dump.h"
#include "walker/walk.h"

static const char *
corpus(void)
{
	const char *c = getenv("DW_CORPUS");
	if (c == NULL)
		cr_skip_test("DW_CORPUS unset");
	return c;
}

static dw_symprov *
prov_over(const char *a, const char *b, size_t max_idle)
{
	const char     *dirs[2] = {a, b};
	dw_symprov_opts o       = {.dirs = dirs, .ndirs = b ? 2 : 1, .max_idle = max_idle};
	dw_symprov     *p;
	cr_assert_eq(dw_symprov_new(&p, &o), DW_OK);
	return p;
}

Test(symbols_provider, crash_pdb_by_identity_symbol_server_layout)
{
	char s[4096], bin[4096];
	snprintf(s, sizeof(s), "%s/symbols", corpus());
	snprintf(bin, sizeof(bin), "%s/binaries", corpus());
	dw_symprov      *p   = prov_over(s, bin, 4);
	dw_symsrc        src = dw_symprov_source(p);
	dw_symsrc_module m   = {.base = 0x400000, .size = 0x9000, .name = "C:\\x\\crash.exe",
	                        .debug_file = "crash.pdb",
	                        .debug_id = "3249D99D0C4049318610F4E4FB0B69361",
	                        .code_id = "5AB380779000", .cpu = DW_CPU_X86};
	void *h;
	cr_assert_eq(src.ops->open(&h, &m, src.arg), DW_OK);
	dw_symsrc_loc loc;
	// crash.sym: FUNC 1000 ... (the first function)
	cr_assert_eq(src.ops->find(&loc, h, 0x1000, src.arg), DW_OK);
	cr_expect_not_null(loc.name);
	cr_expect_eq(loc.start, 0x1000);
	dw_symsrc_win w;
	cr_expect_eq(src.ops->win_find(&w, h, DW_SYMSRC_WIN_FRAME_DATA, 0x1000, src.arg), DW_OK);
	uint8_t code[16];
	size_t  got;
	cr_expect_eq(src.ops->read_code(code, sizeof(code), &got, h, 0x1000, src.arg), DW_OK);
	cr_expect_eq(got, sizeof(code));
	// A second open shares the table.
	void *h2;
	cr_assert_eq(src.ops->open(&h2, &m, src.arg), DW_OK);
	cr_expect_eq(h, h2);
	dw_symprov_counts c;
	dw_symprov_get_counts(p, &c);
	cr_expect_eq(c.compiled, 1);
	cr_expect_eq(c.hits, 1);
	src.ops->close(h, src.arg);
	src.ops->close(h2, src.arg);
	dw_symprov_status st[4];
	cr_assert_eq(dw_symprov_statuses(p, st, 4), 1);
	cr_expect(st[0].found);
	cr_expect(strstr(st[0].origin, "crash.pdb") != NULL, "%s", st[0].origin);
	printf("provider crash.exe: %s\n", st[0].origin);
	dw_symprov_free(p);
}

Test(symbols_provider, x64_unwind_from_pdb_and_pe)
{
	char s[4096], bin[4096];
	snprintf(s, sizeof(s), "%s/symbols", corpus());
	snprintf(bin, sizeof(bin), "%s/binaries", corpus());
	dw_symprov      *p   = prov_over(s, bin, 4);
	dw_symsrc        src = dw_symprov_source(p);
	dw_symsrc_module m   = {.name = "CrashWithException.exe",
	                        .debug_file = "C:\\b\\CrashWithException.pdb",
	                        .debug_id = "F535C5FB2AE84BB8AA206C30BE566C5A1",
	                        .code_id = "5C9E09599000", .cpu = DW_CPU_AMD64};
	void *h;
	cr_assert_eq(src.ops->open(&h, &m, src.arg), DW_OK);
	dw_symsrc_x64 x;
	cr_assert_eq(src.ops->x64_find(&x, h, 0x1010, src.arg), DW_OK);
	cr_expect_eq(x.begin, 0x1010);
	cr_expect_not_null(x.info);
	dw_symsrc_loc loc;
	cr_expect_eq(src.ops->find(&loc, h, 0x1010, src.arg), DW_OK);
	src.ops->close(h, src.arg);
	dw_symprov_free(p);
}

Test(symbols_provider, breakpad_layout_sym)
{
	char s[4096];
	snprintf(s, sizeof(s), "%s/symbols", corpus());
	dw_symprov      *p   = prov_over(s, NULL, 4);
	dw_symsrc        src = dw_symprov_source(p);
	dw_symsrc_module m   = {.name = "test_app.exe", .debug_file = "test_app.pdb",
	                        .debug_id = "5A9832E5287241C1838ED98914E9B7FF1", .cpu = DW_CPU_X86};
	void *h;
	cr_assert_eq(src.ops->open(&h, &m, src.arg), DW_OK);
	dw_symprov_status st;
	dw_symprov_statuses(p, &st, 1);
	cr_expect(strncmp(st.origin, "sym ", 4) == 0, "%s", st.origin);
	src.ops->close(h, src.arg);
	dw_symprov_free(p);
}

Test(symbols_provider, missing_module_says_why_and_lru_is_bounded)
{
	char s[4096], bin[4096];
	snprintf(s, sizeof(s), "%s/symbols", corpus());
	snprintf(bin, sizeof(bin), "%s/binaries", corpus());
	dw_symprov      *p   = prov_over(s, bin, 1);
	dw_symsrc        src = dw_symprov_source(p);
	dw_symsrc_module miss = {.name = "nothere.dll", .debug_file = "nothere.pdb",
	                         .debug_id = "00000000000000000000000000000000A", .cpu = DW_CPU_X86};
	void *h;
	cr_expect_eq(src.ops->open(&h, &miss, src.arg), DW_ENOTFOUND);
	// Two PE-only modules, each closed at once: one stays idle.
	dw_symsrc_module a = {.name = "mozwer.dll", .code_id = "5FDB6A2871000", .cpu = DW_CPU_AMD64};
	dw_symsrc_module b = {.name = "basic-opt64.dll", .code_id = "5DDC1E9E8b000", .cpu = DW_CPU_AMD64};
	cr_assert_eq(src.ops->open(&h, &a, src.arg), DW_OK);
	src.ops->close(h, src.arg);
	cr_assert_eq(src.ops->open(&h, &b, src.arg), DW_OK);
	src.ops->close(h, src.arg);
	dw_symprov_counts c;
	dw_symprov_get_counts(p, &c);
	cr_expect_eq(c.idle, 1);
	cr_expect_eq(c.evicted, 1);
	dw_symprov_status st[4];
	cr_assert_eq(dw_symprov_statuses(p, st, 4), 3);
	cr_expect(!st[0].found);
	printf("provider missing: %s\n", st[0].origin);
	dw_symprov_free(p);
}

// Our own corpus: Wine dumps (no CodeView records) with PE + PDB beside them.
static void
own_dump(const char *arch, const char *name)
{
	char dir[4096], dmp[4200];
	snprintf(dir, sizeof(dir), "%s/tests/corpus/%s/%s", DW_SOURCE_ROOT, arch, name);
	snprintf(dmp, sizeof(dmp), "%s/%s.dmp", dir, name);
	dw_dump *d;
	if (dw_dump_open_file(&d, dmp, NULL) != DW_OK)
		cr_skip_test("%s not built", dmp);
	dw_symprov *p   = prov_over(dir, NULL, 8);
	dw_symsrc   src = dw_symprov_source(p);
	size_t      n;
	const dw_md_module *mm = dw_dump_modules(d, &n);
	size_t              found = 0, expected = 0;
	for (size_t i = 0; i < n; i++) {
		const char *base = strrchr(mm[i].name, '\\');
		base             = base ? base + 1 : mm[i].name;
		char path[4400];
		snprintf(path, sizeof(path), "%s/%s", dir, base);
		FILE *f = fopen(path, "rb");
		if (f == NULL)
			continue; // a system DLL: not beside the dump
		fclose(f);
		expected++;
		dw_symsrc_module m = {.base = mm[i].base, .size = mm[i].size, .name = mm[i].name,
		                      .debug_file = mm[i].cv ? mm[i].cv->pdb_name : "",
		                      .debug_id = mm[i].debug_id, .code_id = mm[i].code_id,
		                      .cpu = strcmp(arch, "x64") == 0 ? DW_CPU_AMD64 : DW_CPU_X86};
		void *h;
		if (src.ops->open(&h, &m, src.arg) != DW_OK)
			continue;
		dw_symprov_status st[64];
		size_t            ns = dw_symprov_statuses(p, st, 64);
		bool              pdb = ns > 0 && strncmp(st[ns - 1].origin, "pdb ", 4) == 0;
		found += pdb;
		src.ops->close(h, src.arg);
	}
	printf("provider %s/%s: %zu of %zu modules beside the dump resolved to PDB + PE\n", arch, name,
	       found, expected);
	cr_expect_gt(expected, 0);
	cr_expect_eq(found, expected);
	dw_symprov_free(p);
	dw_dump_free(d);
}

Test(symbols_provider, own_corpus_x64_deep_fp) { own_dump("x64", "deep_fp"); }
Test(symbols_provider, own_corpus_x86_deep_fp) { own_dump("x86", "deep_fp"); }
Test(symbols_provider, own_corpus_x64_cpp_throw) { own_dump("x64", "cpp_throw"); }

// A full walk of a real shared-corpus dump through the provider.
Test(symbols_provider, walks_minidump2_with_breakpad_symbols)
{
	char dmp[4096], s[4096];
	snprintf(dmp, sizeof(dmp), "%s/dumps/breakpad/minidump2.dmp", corpus());
	snprintf(s, sizeof(s), "%s/symbols", corpus());
	dw_dump *d;
	if (dw_dump_open_file(&d, dmp, NULL) != DW_OK)
		cr_skip_test("minidump2.dmp missing");
	dw_symprov *p   = prov_over(s, NULL, 8);
	dw_symsrc   src = dw_symprov_source(p);
	dw_walk    *w;
	cr_assert_eq(dw_walk_dump(&w, d, &src, NULL), DW_OK);
	size_t                nt;
	const dw_thread_walk *t = dw_walk_threads(w, &nt);
	size_t                named = 0;
	for (size_t i = 0; i < nt; i++)
		for (size_t k = 0; k < t[i].stack.nframes; k++)
			named += t[i].stack.frames[k].function != NULL;
	dw_symprov_status st[64];
	size_t            ns = dw_symprov_statuses(p, st, 64), nf = 0;
	for (size_t i = 0; i < ns; i++)
		nf += st[i].found;
	printf("provider minidump2: %zu frames named; %zu of %zu modules with symbols\n", named, nf, ns);
	cr_expect_gt(named, 0);
	dw_walk_free(w);
	dw_symprov_free(p);
	dw_dump_free(d);
}

// Opens our corpus's x64 module `exe` of case `name` through the provider.
static void *
open_own_x64(dw_symprov *p, const char *name, const char *exe, const char *pdb_guid_age)
{
	dw_symsrc        src = dw_symprov_source(p);
	dw_symsrc_module m   = {.name = exe, .debug_file = "", .debug_id = pdb_guid_age,
	                        .code_id = "", .cpu = DW_CPU_AMD64};
	(void)name;
	void *h = NULL;
	cr_assert_eq(src.ops->open(&h, &m, src.arg), DW_OK);
	return h;
}

// A PUBLIC has no size: the nearest one below an address must not name an
// address that x64 unwind data puts in another function. deadlock.exe (lld,
// mingw CRT): the public _unlock_file is at 0x4660 and .pdata (read with
// Python from the PE) has 0x4660-0x46c0 for it and 0x4be0-0x5087 for a
// function without a name in the PDB; the return address 0x4cda is in the
// latter (call at 0x4cd5, objdump). Before, find(0x4cd9) said
// unlock_file+0x679 and scanning put a spurious frame above ck_report.
Test(symbols_provider, public_does_not_name_a_later_unwind_function)
{
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/tests/corpus/x64/deadlock", DW_SOURCE_ROOT);
	dw_symprov *p   = prov_over(dir, NULL, 8);
	dw_symsrc   src = dw_symprov_source(p);
	// The dump names no CodeView identity here: the provider reads it from the PE.
	void         *h = open_own_x64(p, "deadlock", "deadlock.exe", "");
	dw_symsrc_loc l;
	cr_expect_eq(src.ops->find(&l, h, 0x4cd9, src.arg), DW_ENOTFOUND);
	// Inside _unlock_file's own .pdata range the public still names it, with
	// its x64 spelling (no x86 underscore removed).
	cr_assert_eq(src.ops->find(&l, h, 0x4670, src.arg), DW_OK);
	cr_expect_str_eq(l.name, "_unlock_file");
	cr_expect_eq(l.start, 0x4660);
	cr_expect(l.is_public);
	// A FUNC (from the PDB's procedures) is unaffected: ck_report holds 0x2129.
	cr_assert_eq(src.ops->find(&l, h, 0x2129, src.arg), DW_OK);
	cr_expect_str_eq(l.name, "ck_report");
	src.ops->close(h, src.arg);
	dw_symprov_free(p);
}

// x64 public names keep their leading underscores: cpp_throw.pdb's public
// `__cxa_throw` (llvm-pdbutil dump -publics: 0001:129184, RVA 0x208a0).
Test(symbols_provider, x64_public_names_keep_leading_underscores)
{
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/tests/corpus/x64/cpp_throw", DW_SOURCE_ROOT);
	dw_symprov   *p   = prov_over(dir, NULL, 8);
	dw_symsrc     src = dw_symprov_source(p);
	void         *h   = open_own_x64(p, "cpp_throw", "cpp_throw.exe", "");
	dw_symsrc_loc l;
	cr_assert_eq(src.ops->find(&l, h, 0x208a0 + 0x45, src.arg), DW_OK);
	cr_expect_str_eq(l.name, "__cxa_throw");
	cr_expect_eq(l.start, 0x208a0);
	src.ops->close(h, src.arg);
	dw_symprov_free(p);
}
