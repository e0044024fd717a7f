// tests/symbols/symbols_compare_test.c - our `dumpwalk symbols dump` output
// (PDB [+ PE] -> builder -> table -> .sym writer) judged against dump_syms'
// .sym files by ../tools/symcmp.py, with issue 3's targets; publics against
// llvm-pdbutil; the table's x64 rule against the PE reader's; a
// self-chaining PE compiles without looping.
#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbols/pdb.h"
#include "symbols/pe.h"
#include "symbols/resolve.h"
#include "symbols/symtab.h"
#include "symbols/symtab_from.h"

// The first file matching $DW_CORPUS/<pattern>, or false.
static bool
corpus_file(char *out, size_t cap, const char *pattern)
{
	const char *c = getenv("DW_CORPUS");
	if (c == NULL)
		return false;
	char pat[4096];
	snprintf(pat, sizeof(pat), "%s/%s", c, pattern);
	glob_t g;
	bool   ok = glob(pat, 0, NULL, &g) == 0 && g.gl_pathc > 0;
	if (ok)
		snprintf(out, cap, "%s", g.gl_pathv[0]);
	globfree(&g);
	return ok;
}

typedef struct figures {
	double func, pub, lines, win, cfi;
	char   text[512];
} figures;

// Compiles, writes our .sym, runs symcmp.py against ref and parses its line.
static void
compare(figures *f, const char *pdb, const char *pe, const char *ref)
{
	dw_symtab *t;
	dw_notes   notes;
	dw_notes_init(&notes);
	cr_assert_eq(dw_symtab_compile(&t, pdb, pe, NULL, NULL, &notes), DW_OK, "%s",
	             notes.count ? notes.items[0].text : "");
	dw_notes_fini(&notes);
	char ours[] = "/tmp/dw_symcmp_XXXXXX";
	int  fd     = mkstemp(ours);
	cr_assert_geq(fd, 0);
	FILE *o = fdopen(fd, "w");
	cr_assert_eq(dw_symtab_write_breakpad(t, o), DW_OK);
	fclose(o);
	dw_symtab_release(t);
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "python3 '%s/../tools/symcmp.py' '%s' '%s'", getenv("DW_CORPUS"),
	         ours, ref);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	memset(f, 0, sizeof(*f));
	cr_assert_not_null(fgets(f->text, sizeof(f->text), p), "symcmp.py printed nothing");
	pclose(p);
	unlink(ours);
	f->text[strcspn(f->text, "\n")] = 0;
	cr_assert_eq(sscanf(f->text, "FUNC %lf%% (ranges %*f%%) of %*d; PUBLIC %lf%% of %*d; lines %lf%% "
	                    "of %*d; STACK WIN %lf%% of %*d; CFI %lf%%",
	                    &f->func, &f->pub, &f->lines, &f->win, &f->cfi),
	             5, "unparsed: %s", f->text);
}

static void
check(const char *label, const char *pdb_pat, const char *pe_pat, const char *ref_pat,
      double func, double pub, double lines, double win, double cfi)
{
	char pdb[4096], pe[4096], ref[4096];
	bool has_pdb = pdb_pat != NULL && corpus_file(pdb, sizeof(pdb), pdb_pat);
	bool has_pe  = pe_pat != NULL && corpus_file(pe, sizeof(pe), pe_pat);
	if ((pdb_pat && !has_pdb) || (pe_pat && !has_pe) || !corpus_file(ref, sizeof(ref), ref_pat))
		cr_skip_test("%s: corpus files missing (DW_CORPUS unset?)", label);
	figures f;
	compare(&f, has_pdb ? pdb : NULL, has_pe ? pe : NULL, ref);
	printf("symbols compare %-28s %s\n", label, f.text);
	cr_expect_geq(f.func, func, "%s FUNC %.1f%%", label, f.func);
	cr_expect_geq(f.pub, pub, "%s PUBLIC %.1f%%", label, f.pub);
	cr_expect_geq(f.lines, lines, "%s lines %.1f%%", label, f.lines);
	cr_expect_geq(f.win, win, "%s STACK WIN %.1f%%", label, f.win);
	cr_expect_geq(f.cfi, cfi, "%s CFI %.1f%%", label, f.cfi);
}

#define SYM(n) "symbols/" n ".pdb/*/" n

// Issue 3 targets: FUNC >= 99, PUBLIC >= 99, lines >= 98, STACK WIN >= 99,
// CFI >= 99 (x64, with the image).
Test(symbols_compare, crash) { check("crash", SYM("crash") ".pdb", NULL, SYM("crash") ".sym", 99, 99, 98, 99, 99); }
Test(symbols_compare, dump_syms_regtest)
{
	check("dump_syms_regtest", SYM("dump_syms_regtest") ".pdb", NULL, SYM("dump_syms_regtest") ".sym",
	      99, 99, 98, 99, 99);
}
Test(symbols_compare, dump_syms_regtest64)
{
	check("dump_syms_regtest64", SYM("dump_syms_regtest64") ".pdb",
	      "binaries/dump_syms_regtest64.exe/*/dump_syms_regtest64.exe",
	      SYM("dump_syms_regtest64") ".sym", 99, 99, 98, 99, 99);
}
// Mozilla's dump_syms: 3 PUBLICs where Breakpad's has 2 (one is a FUNC start
// we print as FUNC only), and two frame-pointer functions whose CFA it states
// through $rbp where Breakpad's and ours use $rsp (2 of 195 points).
Test(symbols_compare, dump_syms_regtest64_rust)
{
	check("dump_syms_regtest64 (rust)", SYM("dump_syms_regtest64") ".pdb",
	      "binaries/dump_syms_regtest64.exe/*/dump_syms_regtest64.exe",
	      SYM("dump_syms_regtest64") ".rust-dump_syms.sym", 99, 66, 98, 99, 98.9);
}
Test(symbols_compare, crash_with_exception)
{
	check("CrashWithException", SYM("CrashWithException") ".pdb",
	      "binaries/CrashWithException.exe/*/CrashWithException.exe",
	      SYM("CrashWithException") ".sym", 99, 99, 98, 99, 99);
}
Test(symbols_compare, omap_reorder_funcs)
{
	check("omap_reorder_funcs", SYM("omap_reorder_funcs") ".pdb", NULL,
	      SYM("omap_reorder_funcs") ".sym", 99, 99, 98, 99, 99);
}
// Basic-block reordering: FUNC, line and STACK WIN records are split by the
// one OMAP range rule the reference dump_syms applies (symbols/pdb.c,
// dw_pdb_map_range and dw_pdb_map_frame): issue 3's targets.
Test(symbols_compare, omap_reorder_bbs)
{
	check("omap_reorder_bbs", SYM("omap_reorder_bbs") ".pdb", NULL,
	      SYM("omap_reorder_bbs") ".sym", 99, 99, 98, 99, 99);
}
// PE alone: the references were made with the PDB (FUNC, lines), which the
// corpus does not hold; CFI and PUBLIC are what a PE gives.
Test(symbols_compare, basic_opt64_pe_cfi)
{
	check("basic-opt64.dll (PE only)", NULL, "binaries/basic-opt64.dll/*/basic-opt64.dll",
	      "symbols/basic-opt64.pdb/*/basic-opt64.sym", 0, 0, 0, 99, 99);
}
Test(symbols_compare, mozwer_pe_cfi)
{
	check("mozwer.dll (PE only)", NULL, "binaries/mozwer.dll/*/mozwer.dll",
	      "symbols/mozwer.pdb/*/mozwer.sym", 0, 0, 0, 99, 99);
}
Test(symbols_compare, pe_only_symbol_test)
{
	check("pe_only_symbol_test.dll", NULL, "binaries/pe_only_symbol_test.dll/*/pe_only_symbol_test.dll",
	      "symbols/pe_only_symbol_test.pdb/*/pe_only_symbol_test.sym", 99, 99, 98, 99, 99);
}
// basic32: the PDB ships CAB-compressed (.pd_); decompressed with the
// resolver's dw_cab_extract (libmspack).
Test(symbols_compare, basic32_from_cab)
{
	char cab[4096], ref[4096], pe[4096];
	if (!corpus_file(cab, sizeof(cab), "symbols/basic32.pdb/*/basic32.pd_") ||
	    !corpus_file(ref, sizeof(ref), "symbols/basic32.pdb/*/basic32.sym") ||
	    !corpus_file(pe, sizeof(pe), "binaries/basic32.dll/*/basic32.dll"))
		cr_skip_test("basic32 not in the corpus");
	char dir[] = "/tmp/dw_basic32_XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char pdb[4200];
	snprintf(pdb, sizeof(pdb), "%s/basic32.pdb", dir);
	dw_notes notes;
	dw_notes_init(&notes);
	cr_assert_eq(dw_cab_extract(cab, pdb, &notes), DW_OK, "%s",
	             notes.count ? notes.items[0].text : "");
	dw_notes_fini(&notes);
	figures f;
	compare(&f, pdb, pe, ref);
	printf("symbols compare %-28s %s\n", "basic32 (from .pd_)", f.text);
	unlink(pdb);
	rmdir(dir);
	cr_expect_geq(f.func, 99);
	cr_expect_geq(f.pub, 99);
	cr_expect_geq(f.lines, 98);
	cr_expect_geq(f.win, 99);
}

// Publics: every address llvm-pdbutil lists is a PUBLIC of our table.
static void
publics_vs_llvm(const char *name)
{
	char pdb[4096], pat[512];
	snprintf(pat, sizeof(pat), "symbols/%s.pdb/*/%s.pdb", name, name);
	if (!corpus_file(pdb, sizeof(pdb), pat))
		cr_skip_test("%s.pdb not in the corpus", name);
	if (system("llvm-pdbutil --version >/dev/null 2>&1") != 0)
		cr_skip_test("llvm-pdbutil not installed");
	dw_pdb *p;
	cr_assert_eq(dw_pdb_open_file(&p, pdb, NULL), DW_OK);
	dw_symtab *t;
	cr_assert_eq(dw_symtab_compile(&t, pdb, NULL, NULL, NULL, NULL), DW_OK);
	char cmd[8192], line[8192];
	snprintf(cmd, sizeof(cmd), "llvm-pdbutil dump --publics '%s'", pdb);
	FILE  *f    = popen(cmd, "r");
	size_t n    = 0, ok = 0, unmapped = 0;
	while (fgets(line, sizeof(line), f)) {
		const char *q = strstr(line, "addr = ");
		unsigned    seg, off;
		if (q == NULL || sscanf(q, "addr = %u:%u", &seg, &off) != 2)
			continue;
		n++;
		uint32_t rva;
		if (dw_pdb_rva(&rva, p, (uint16_t)seg, off) != DW_OK) {
			unmapped++;
			continue;
		}
		// Our table answers the address with that public, or with a FUNC
		// starting there (dump_syms prints both; lookups prefer the FUNC).
		dw_symtab_loc loc;
		ok += dw_symtab_find(t, rva, &loc) == DW_OK && loc.start == rva;
	}
	pclose(f);
	printf("symbols publics %s: %zu of %zu llvm-pdbutil publics found at their address "
	       "(%zu have no image address)\n", name, ok, n, unmapped);
	cr_expect_gt(n, 0);
	cr_expect_eq(ok + unmapped, n);
	dw_symtab_release(t);
	dw_pdb_free(p);
}

Test(symbols_compare, publics_agree_with_llvm_pdbutil_crash) { publics_vs_llvm("crash"); }
Test(symbols_compare, publics_agree_with_llvm_pdbutil_sigsegv) { publics_vs_llvm("sigsegv"); }

Test(symbols_compare, cfi_chained_loop_compiles_without_looping, .timeout = 20)
{
	char pe[4096];
	if (!corpus_file(pe, sizeof(pe), "binaries/cfi_chained_loop.exe/*/cfi_chained_loop.exe"))
		cr_skip_test("cfi_chained_loop.exe not in the corpus");
	dw_symtab *t;
	cr_assert_eq(dw_symtab_compile(&t, NULL, pe, NULL, NULL, NULL), DW_OK);
	FILE *f = fopen("/dev/null", "w");
	cr_assert_eq(dw_symtab_write_breakpad(t, f), DW_OK);
	fclose(f);
	dw_symtab_stats st;
	dw_symtab_get_stats(t, &st);
	for (uint32_t rva = 0; rva < 0x2000; rva += 7) {
		dw_unwind_rule r;
		(void)dw_symtab_x64_rule(&r, t, rva, 0);
	}
	dw_symtab_release(t);
}

// The table's rule derivation equals the PE reader's everywhere in the x64
// corpus images (begin, every byte of the prolog, and the body).
static void
rules_agree(const char *pat)
{
	char path[4096];
	if (!corpus_file(path, sizeof(path), pat))
		cr_skip_test("%s not in the corpus", pat);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)len);
	cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	dw_pe *pe;
	cr_assert_eq(dw_pe_open(&pe, buf, (size_t)len, DW_PE_LAYOUT_FILE, NULL), DW_OK);
	dw_symtab *t;
	cr_assert_eq(dw_symtab_compile(&t, NULL, path, NULL, NULL, NULL), DW_OK);
	size_t                n, checked = 0, differ = 0;
	const dw_pe_function *fn = dw_pe_get_functions(pe, &n);
	for (size_t i = 0; i < n; i++) {
		for (uint32_t rva = fn[i].begin; rva < fn[i].end && rva < fn[i].begin + 64; rva++) {
			for (unsigned flags = 0; flags < 2; flags++) {
				dw_unwind_rule a, b;
				dw_err         ra = dw_pe_unwind_rule(&a, pe, rva, flags);
				dw_err         rb = dw_symtab_x64_rule(&b, t, rva, flags);
				checked++;
				if (ra != rb || (ra == DW_OK && (a.cfa_reg != b.cfa_reg ||
				                                 a.cfa_offset != b.cfa_offset ||
				                                 a.rsp_cfa_offset != b.rsp_cfa_offset ||
				                                 a.nsaved != b.nsaved ||
				                                 a.machframe != b.machframe ||
				                                 memcmp(a.saved, b.saved, sizeof(a.saved)) != 0)))
					differ++;
			}
		}
	}
	printf("symbols x64 rules %s: %zu addresses, %zu differ from the PE reader\n", pat, checked,
	       differ);
	cr_expect_eq(differ, 0);
	dw_symtab_release(t);
	dw_pe_free(pe);
	free(buf);
}

Test(symbols_compare, x64_rules_agree_crash_with_exception)
{
	rules_agree("binaries/CrashWithException.exe/*/CrashWithException.exe");
}
Test(symbols_compare, x64_rules_agree_regtest64)
{
	rules_agree("binaries/dump_syms_regtest64.exe/*/dump_syms_regtest64.exe");
}
Test(symbols_compare, x64_rules_agree_basic_opt64) { rules_agree("binaries/basic-opt64.dll/*/basic-opt64.dll"); }
Test(symbols_compare, x64_rules_agree_mozwer) { rules_agree("binaries/mozwer.dll/*/mozwer.dll"); }
