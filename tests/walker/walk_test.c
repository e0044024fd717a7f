// tests/walker/walk_test.c - whole-dump walks against what independent
// sources say: Breakpad's expected output for minidump2.dmp, the lldb test
// programs' sources and assertions, symbolicator's expectations for
// windows.dmp, the syzygy WOW64 dump's description, and our own corpus's
// expected.json (written from the crash programs' sources, not our output).
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "tests/walker/testsym.h"
#include "walker/dump.h"
#include "walker/walk.h"

static const char *
corpus(void)
{
	const char *c = getenv("DW_CORPUS");
	struct stat st;
	if (c == NULL || stat(c, &st) != 0 || !S_ISDIR(st.st_mode))
		cr_skip_test("DW_CORPUS (%s) is not a directory: the shared corpus is not available",
		             c ? c : "unset");
	return c;
}

static void dump_stack(const char *what, const dw_stack *st);

static dw_dump *
open_path(const char *path)
{
	dw_dump *d = NULL;
	cr_assert_eq(dw_dump_open_file(&d, path, NULL), DW_OK, "%s", path);
	return d;
}

static dw_walk *
walk(const dw_dump *d, tsym *t)
{
	dw_symsrc src = t != NULL ? tsym_source(t) : (dw_symsrc){0};
	dw_walk  *w   = NULL;
	cr_assert_eq(dw_walk_dump(&w, d, &src, NULL), DW_OK);
	return w;
}

static const dw_stack *
crash_stack(const dw_dump *d, const dw_walk *w)
{
	const dw_md_exception *ex = dw_dump_exception(d);
	cr_assert_not_null(ex);
	const dw_thread_walk *tw = dw_walk_thread_find(w, ex->thread_id);
	cr_assert_not_null(tw);
	cr_assert(tw->from_exception);
	dump_stack("crash", &tw->stack);
	return &tw->stack;
}

static const char *
fname(const dw_frame *f)
{
	return f->function != NULL ? f->function : "?";
}

// DW_WALK_DEBUG=1 prints the stack being checked.
static void
dump_stack(const char *what, const dw_stack *st)
{
	if (getenv("DW_WALK_DEBUG") == NULL)
		return;
	fprintf(stderr, "%s: %zu frames, end: %s (%s)\n", what, st->nframes,
	        dw_walk_end_name(st->end), st->end_detail);
	for (size_t i = 0; i < st->nframes; i++)
		fprintf(stderr, "  %2zu %#llx %s!%s+%#llx %s\n", i, (unsigned long long)st->frames[i].ip,
		        st->frames[i].module ? st->frames[i].module->name : "?", fname(&st->frames[i]),
		        (unsigned long long)st->frames[i].function_offset,
		        dw_trust_name(st->frames[i].trust));
}

Test(walker_walk, sigsegv_x64_with_pdb_gets_every_frame, .timeout = 60)
{
	char p[1024], s[1024];
	snprintf(p, sizeof(p), "%s/dumps/lldb/sigsegv.dmp", corpus());
	snprintf(s, sizeof(s), "%s/symbols/sigsegv.pdb/7DD47A9FC2E8499AA78EC14AE2C965A21/sigsegv.pdb",
	         corpus());
	tsym *t = tsym_new();
	cr_assert(tsym_add_pdb(t, "sigsegv.exe", s));
	dw_dump        *d  = open_path(p);
	dw_walk        *w  = walk(d, t);
	const dw_stack *st = crash_stack(d, w);
	// The program's source: crash() <- foo() <- main() <- mainCRTStartup.
	const char *want[] = {"crash", "foo", "main", "mainCRTStartup"};
	cr_assert_geq(st->nframes, 4);
	for (size_t i = 0; i < 4; i++)
		cr_expect(strstr(fname(&st->frames[i]), want[i]) != NULL, "frame %zu: %s, want %s", i,
		          fname(&st->frames[i]), want[i]);
	cr_expect_eq(st->frames[0].ip, 0x7ff7a13110d9ull);
	cr_expect_eq(st->frames[0].trust, DW_TRUST_CONTEXT);
	// No PE: unwind data comes from the PDB only where it keeps Pdata/Xdata copies.
	cr_expect_neq(st->frames[1].trust, DW_TRUST_NONE);
	dw_walk_free(w);
	dw_dump_free(d);
	tsym_free(t);
}

Test(walker_walk, minidump2_matches_breakpad_machine_readable, .timeout = 60)
{
	char p[1024], s1[1024], s2[1024], e[1024];
	snprintf(p, sizeof(p), "%s/dumps/breakpad/minidump2.dmp", corpus());
	snprintf(s1, sizeof(s1), "%s/symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym",
	         corpus());
	snprintf(s2, sizeof(s2), "%s/symbols/kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.sym",
	         corpus());
	snprintf(e, sizeof(e), "%s/expected/breakpad/minidump2.stackwalk.machine_readable.out", corpus());
	tsym *t = tsym_new();
	cr_assert(tsym_add_sym(t, "test_app.exe", s1));
	cr_assert(tsym_add_sym(t, "kernel32.dll", s2));
	dw_dump        *d  = open_path(p);
	dw_walk        *w  = walk(d, t);
	const dw_stack *st = crash_stack(d, w);
	FILE           *f  = fopen(e, "r");
	cr_assert_not_null(f);
	char   line[2048];
	size_t n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned th, fr;
		char     mod[256] = "", fn[512] = "";
		if (sscanf(line, "%u|%u|%255[^|]|%511[^|]|", &th, &fr, mod, fn) < 4 || th != 0)
			continue;
		cr_assert_lt(fr, st->nframes, "frame %u missing", fr);
		const dw_frame *x = &st->frames[fr];
		cr_expect_str_eq(fname(x), fn, "frame %u", fr);
		cr_expect_not_null(x->module);
		n++;
	}
	fclose(f);
	cr_expect_eq(n, 4);
	cr_expect_eq(st->nframes, n, "Breakpad stops after %zu frames, we have %zu", n, st->nframes);
	dw_walk_free(w);
	dw_dump_free(d);
	tsym_free(t);
}

Test(walker_walk, symbolicator_windows_dmp_with_crash_sym, .timeout = 60)
{
	char p[1024], s[1024];
	snprintf(p, sizeof(p), "%s/dumps/symbolicator/windows.dmp", corpus());
	snprintf(s, sizeof(s), "%s/symbols/crash.pdb/3249D99D0C4049318610F4E4FB0B69361/crash.sym",
	         corpus());
	tsym *t = tsym_new();
	cr_assert(tsym_add_sym(t, "crash.exe", s));
	dw_dump        *d  = open_path(p);
	dw_walk        *w  = walk(d, t);
	const dw_stack *st = crash_stack(d, w);
	cr_assert_geq(st->nframes, 2);
	cr_expect_str_eq(fname(&st->frames[0]), "main");
	cr_expect_eq(st->frames[0].line, 35);
	cr_expect(strstr(fname(&st->frames[1]), "__scrt_common_main_seh") != NULL, "frame 1: %s",
	          fname(&st->frames[1]));
	dw_walk_free(w);
	dw_dump_free(d);
	tsym_free(t);
}

Test(walker_walk, fizzbuzz_pcs_as_lldb_asserts, .timeout = 60)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/dumps/lldb/fizzbuzz_no_heap.dmp", corpus());
	dw_dump        *d    = open_path(p);
	dw_walk        *w    = walk(d, NULL);
	const dw_stack *st   = crash_stack(d, w);
	const uint64_t  pc[] = {0x00164d14, 0x00167c79, 0x00167e6d, 0x7510336a, 0x77759882, 0x77759855};
	cr_assert_geq(st->nframes, 6, "only %zu frames (%s)", st->nframes, st->end_detail);
	for (size_t i = 0; i < 6; i++)
		cr_expect_eq(st->frames[i].ip, pc[i], "frame %zu: %#llx", i,
		             (unsigned long long)st->frames[i].ip);
	dw_walk_free(w);
	dw_dump_free(d);
}

Test(walker_walk, notepad_wow64_reports_32bit_stack_unavailable, .timeout = 60)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/dumps/syzygy/notepad-small-64bit.dmp", corpus());
	dw_dump    *d   = open_path(p);
	dw_walk    *w   = walk(d, NULL);
	const char *why = NULL;
	cr_assert(dw_walk_is_wow64(w, &why));
	cr_assert_not_null(why);
	size_t                n;
	const dw_thread_walk *tw = dw_walk_threads(w, &n);
	cr_assert_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		cr_expect(tw[i].has_stack32);
		cr_expect_eq(tw[i].stack32.end, DW_WALK_END_UNAVAILABLE, "thread %u: %s", tw[i].thread_id,
		             dw_walk_end_name(tw[i].stack32.end));
		cr_expect_eq(tw[i].stack32.nframes, 0);
		cr_expect_gt(tw[i].stack.nframes, 0);
	}
	dw_walk_free(w);
	dw_dump_free(d);
}
