// Real dumps from $DW_CORPUS/dumps (other projects' test data) against what
// independent tools say about them. Every expected value below names the file
// it comes from; none is taken from our own output.
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "walker/context.h"
#include "walker/dump.h"

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

static dw_dump *
open_dump(const char *rel)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/dumps/%s", corpus(), rel);
	dw_dump *d  = NULL;
	dw_err   rv = dw_dump_open_file(&d, path, NULL);
	cr_assert_eq(rv, DW_OK, "%s: %s", rel, dw_errname(rv));
	return d;
}

// Notes from the streams this reader's core owns (the other streams are
// tested in streams_test.c).
static const char *const core_prefixes[] = {
    "header",           "directory entry",     "SystemInfoStream", "ThreadListStream",
    "ThreadExListStream", "ModuleListStream",  "UnloadedModuleListStream", "MemoryListStream",
    "Memory64ListStream", "memory range",      "ExceptionStream",
};

static void
assert_no_core_errors(const dw_dump *d, const char *rel)
{
	const dw_notes *n = dw_dump_notes(d);
	for (size_t i = 0; i < n->count; i++) {
		if (n->items[i].code == DW_OK)
			continue;
		for (size_t k = 0; k < sizeof(core_prefixes) / sizeof(core_prefixes[0]); k++)
			cr_expect(strncmp(n->items[i].text, core_prefixes[k], strlen(core_prefixes[k])) != 0,
			          "%s: %s: %s", rel, dw_errname(n->items[i].code), n->items[i].text);
	}
}

static void
walk(const char *dir, const char *rel, int *count)
{
	DIR *dh = opendir(dir);
	if (dh == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(dh)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[1024], sub[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (strcmp(sub, "synthetic") != 0)
				walk(path, sub, count);
			continue;
		}
		size_t l = strlen(e->d_name);
		if (l < 4 || strcmp(e->d_name + l - 4, ".dmp") != 0)
			continue;
		dw_dump *d  = NULL;
		dw_err   rv = dw_dump_open_file(&d, path, NULL);
		cr_expect_eq(rv, DW_OK, "%s: %s", sub, dw_errname(rv));
		if (d != NULL) {
			assert_no_core_errors(d, sub);
			size_t n;
			dw_dump_threads(d, &n);
			cr_expect_gt(n, 0, "%s: no threads", sub);
			dw_dump_modules(d, &n);
			cr_expect_gt(n, 0, "%s: no modules", sub);
			cr_expect_not_null(dw_dump_system_info(d), "%s: no SystemInfo", sub);
			// Every thread's context decodes (these writers all store them).
			const dw_md_thread *t = dw_dump_threads(d, &n);
			for (size_t i = 0; i < n; i++)
				cr_expect_not_null(t[i].context, "%s: thread 0x%x has no context", sub,
				                   t[i].thread_id);
		}
		dw_dump_free(d);
		(*count)++;
	}
	closedir(dh);
}

Test(walker_corpus_real, every_real_dump_opens_without_core_errors)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/dumps", corpus());
	int count = 0;
	walk(dir, "", &count);
	cr_assert_geq(count, 19, "only %d dumps found under %s", count, dir);
}

// Everything below: expected/breakpad/minidump2.dump.out (Breakpad's
// minidump_dump on this file).
Test(walker_corpus_real, minidump2_matches_breakpad_minidump_dump)
{
	dw_dump            *d = open_dump("breakpad/minidump2.dmp");
	const dw_md_header *h = dw_dump_header(d);
	cr_assert_eq(h->version, 0x5128a793);
	cr_assert_eq(h->stream_count, 9);
	cr_assert_eq(h->time_date_stamp, 0x45d35f73);

	static const struct {
		uint32_t type, size, rva;
	} dir[] = {{3, 100, 0x184}, {4, 1408, 0x1e8}, {5, 52, 0x1505},      {6, 168, 0xdc},
	           {7, 56, 0x8c},   {15, 24, 0xc4},  {0x47670001, 12, 0x14f9}, {0, 0, 0}, {0, 0, 0}};
	size_t              ns;
	const dw_md_stream *s = dw_dump_streams(d, &ns);
	cr_assert_eq(ns, 9);
	for (size_t i = 0; i < ns; i++) {
		cr_expect_eq(s[i].type, dir[i].type, "entry %zu", i);
		cr_expect_eq(s[i].size, dir[i].size, "entry %zu", i);
		cr_expect_eq(s[i].rva, dir[i].rva, "entry %zu", i);
		cr_expect_eq(s[i].state, DW_MD_STREAM_OK, "entry %zu", i);
	}

	size_t              nt;
	const dw_md_thread *t = dw_dump_threads(d, &nt);
	cr_assert_eq(nt, 2);
	cr_expect_eq(t[0].thread_id, 0xbf4);
	cr_expect_eq(t[0].teb, 0x7ffdf000);
	cr_expect_eq(t[0].stack.start, 0x12f31c);
	cr_expect_eq(t[0].stack.loc.size, 0xce4);
	cr_expect_eq(t[0].context_loc.rva, 0xd94);
	cr_expect_eq(t[1].thread_id, 0x11c0);
	cr_expect_eq(t[1].teb, 0x7ffde000);
	const dw_context *c = t[0].context;
	cr_assert_not_null(c);
	cr_expect_eq(c->cpu, DW_CPU_X86);
	cr_expect_eq(c->flags, 0x1003f);
	cr_expect_eq(c->x86.float_save.control_word, 0xffff027f);
	cr_expect_eq(c->x86.float_save.error_selector, 0x220000);
	cr_expect_eq(c->x86.fs, 0x3b);
	cr_expect_eq(c->x86.esi, 0x7b8);
	cr_expect_eq(c->x86.ebx, 0x7c883780);
	cr_expect_eq(c->x86.edx, 0x7c97c0d8);
	cr_expect_eq(c->x86.ecx, 0x7c80b46e);
	cr_expect_eq(c->x86.eax, 0x400000);
	cr_expect_eq(c->x86.ebp, 0x12f384);
	cr_expect_eq(c->x86.eip, 0x7c90eb94);
	cr_expect_eq(c->x86.eflags, 0x246);
	cr_expect_eq(c->x86.esp, 0x12f320);
	cr_expect_eq(c->x86.extended_registers[0], 0x7f);
	cr_expect_eq(c->x86.extended_registers[1], 0x02);
	c = t[1].context;
	cr_assert_not_null(c);
	cr_expect_eq(c->x86.edi, 0x145b00);
	cr_expect_eq(c->x86.eax, 0xa80000);
	cr_expect_eq(dw_context_fp(c), 0x97f6fc);
	cr_expect_eq(dw_context_sp(c), 0x97f6ec);

	size_t              nm;
	const dw_md_module *m = dw_dump_modules(d, &nm);
	cr_assert_eq(nm, 13);
	cr_expect_eq(m[0].base, 0x400000);
	cr_expect_eq(m[0].size, 0x2d000);
	cr_expect_str_eq(m[0].name, "c:\\test_app.exe");
	cr_expect_str_eq(m[0].code_id, "45D35F6C2d000");
	cr_assert_not_null(m[0].cv);
	cr_expect_eq(m[0].cv->signature, 0x53445352);
	static const uint8_t guid0[16] = {0xe5, 0x32, 0x98, 0x5a, 0x72, 0x28, 0xc1, 0x41,
	                                  0x83, 0x8e, 0xd9, 0x89, 0x14, 0xe9, 0xb7, 0xff};
	cr_expect_arr_eq(m[0].cv->guid, guid0, 16); // 5a9832e5-2872-41c1-838e-d98914e9b7ff
	cr_expect_eq(m[0].cv->age, 1);
	cr_expect_str_eq(m[0].cv->pdb_name, "c:\\test_app.pdb");
	cr_expect_str_eq(m[0].debug_id, "5A9832E5287241C1838ED98914E9B7FF1");
	cr_expect(!m[0].has_version);
	cr_expect_eq(m[1].base, 0x7c900000);
	cr_expect_str_eq(m[1].name, "C:\\WINDOWS\\system32\\ntdll.dll");
	cr_expect_str_eq(m[1].debug_id, "36515FB5D04345E491F672FA2E2878C02");
	cr_expect_str_eq(m[1].code_id, "411096B4b0000");
	cr_expect(m[1].has_version);
	cr_expect_eq(m[1].version.file_version_ms, 0x50001);
	cr_expect_eq(m[1].version.file_version_ls, 0xa280884);
	cr_expect_eq(m[2].base, 0x7c800000);
	cr_expect_str_eq(m[2].name, "C:\\WINDOWS\\system32\\kernel32.dll");
	cr_expect_str_eq(m[2].cv->pdb_name, "kernel32.pdb");
	cr_expect_eq(m[2].cv->age, 2);
	cr_expect_str_eq(m[2].debug_id, "BCE8785C57B44245A669896B6A19B9542");
	cr_expect_eq(m[12].base, 0x76bf0000);
	cr_expect_str_eq(m[12].name, "C:\\WINDOWS\\system32\\psapi.dll");
	cr_expect_str_eq(m[12].debug_id, "A5C3A1F9689F43D8AD228A09293889702");
	cr_expect_eq(dw_dump_module_at(d, 0x40429e), &m[0]);
	cr_expect_eq(dw_dump_module_at(d, 0x7c90eb94), &m[1]);

	size_t                    nr;
	const dw_md_memory_range *r = dw_dump_memory(d, &nr);
	cr_assert_eq(nr, 3); // sorted by start: the stacks, then ntdll's code
	cr_expect_eq(r[0].start, 0x12f31c);
	cr_expect_eq(r[0].size, 0xce4);
	cr_expect_eq(r[0].file_off, 0x1639);
	cr_expect_eq(r[1].start, 0x97f6e8);
	cr_expect_eq(r[1].size, 0x918);
	cr_expect_eq(r[2].start, 0x7c90eb14);
	cr_expect_eq(r[2].size, 0x100);
	cr_expect_eq(r[2].file_off, 0x1539);

	const dw_md_exception *e = dw_dump_exception(d);
	cr_assert_not_null(e);
	cr_expect_eq(e->thread_id, 0xbf4);
	cr_expect_eq(e->code, 0xc0000005);
	cr_expect_eq(e->address, 0x40429e);
	cr_expect_eq(e->number_parameters, 2);
	cr_expect_eq(e->parameters[0], 1);
	cr_expect_eq(e->parameters[1], 0x45);
	cr_expect_eq(e->context_loc.size, 716);
	cr_expect_eq(e->context_loc.rva, 0xac8);
	cr_assert_not_null(e->context);
	cr_expect_eq(e->context->x86.edi, 0xa28);
	cr_expect_eq(e->context->x86.ebx, 0x7c80abc1);
	cr_expect_eq(e->context->x86.eax, 0x45);
	cr_expect_eq(dw_context_ip(e->context), 0x40429e);
	cr_expect_eq(dw_context_sp(e->context), 0x12fe84);
	cr_expect_eq(dw_context_fp(e->context), 0x12fe88);
	cr_expect_eq(e->context->x86.eflags, 0x10246);

	const dw_md_system_info *si = dw_dump_system_info(d);
	cr_assert_not_null(si);
	cr_expect_eq(si->processor_architecture, 0);
	cr_expect_eq(si->processor_level, 6);
	cr_expect_eq(si->processor_revision, 0xd08);
	cr_expect_eq(si->number_of_processors, 1);
	cr_expect_eq(si->major_version, 5);
	cr_expect_eq(si->minor_version, 1);
	cr_expect_eq(si->build_number, 2600);
	cr_expect_eq(si->csd_version_rva, 0x768);
	cr_expect_eq(si->suite_mask, 0x100);
	cr_expect_str_eq(si->csd_version, "Service Pack 2");
	cr_expect_str_eq(si->vendor_id, "GenuineIntel");
	cr_expect_eq(si->version_information, 0x6d8);
	cr_expect_eq(si->feature_information, 0xafe9fbff);
	cr_expect_eq(si->amd_extended_cpu_features, 0xffffffff);
	dw_dump_free(d);
}

// corpus README: lldb/fizzbuzz_no_heap.dmp is x86 on 64-bit Windows, one
// thread, exception 0xc0000005, first frame PC 0x00164d14.
Test(walker_corpus_real, fizzbuzz_has_one_thread_and_an_access_violation)
{
	dw_dump *d = open_dump("lldb/fizzbuzz_no_heap.dmp");
	size_t   n;
	dw_dump_threads(d, &n);
	cr_expect_eq(n, 1);
	const dw_md_exception *e = dw_dump_exception(d);
	cr_assert_not_null(e);
	cr_expect_eq(e->code, 0xc0000005);
	cr_assert_not_null(e->context);
	cr_expect_eq(e->context->cpu, DW_CPU_X86);
	cr_expect_eq(dw_context_ip(e->context), 0x00164d14);
	dw_dump_free(d);
}

// corpus README: tiny-exe-with-cet-xsave.dmp is amd64, not crashed, 1 thread,
// with XSTATE (CET) extended contexts; the x86 variant has 3 threads.
Test(walker_corpus_real, cet_dumps_have_xstate_contexts)
{
	dw_dump *d = open_dump("breakpad/tiny-exe-with-cet-xsave.dmp");
	size_t   n;
	const dw_md_thread *t = dw_dump_threads(d, &n);
	cr_assert_eq(n, 1);
	cr_assert_not_null(t[0].context);
	cr_expect_eq(t[0].context->cpu, DW_CPU_AMD64);
	cr_expect(t[0].context->has_xstate);
	cr_expect(t[0].context->xstate.mask & (1u << 11), "CET_U state expected");
	cr_expect(t[0].context->xstate.has_cet);
	cr_expect_null(dw_dump_exception(d));
	dw_dump_free(d);

	d = open_dump("breakpad/tiny-exe-with-cet-xsave-x86.dmp");
	t = dw_dump_threads(d, &n);
	cr_assert_eq(n, 3);
	for (size_t i = 0; i < n; i++) {
		cr_assert_not_null(t[i].context);
		cr_expect_eq(t[i].context->cpu, DW_CPU_X86);
		cr_expect(t[i].context->has_xstate);
	}
	cr_expect_null(dw_dump_exception(d));
	dw_dump_free(d);
}

// Exception codes: corpus README's table and the "Crash|" line of
// expected/breakpad-stackwalk/<dump>.m.out (ACCESS_VIOLATION 0xc0000005,
// BREAKPOINT 0x80000003, BOUNDS_EXCEEDED 0xc000008c, UE4's "0x00000001");
// module counts: the "Module|" lines of the same .m.out files.
Test(walker_corpus_real, exception_codes_and_module_counts_match_breakpad)
{
	static const struct {
		const char *dump;
		uint32_t    code;
		size_t      modules;
		size_t      threads; // 0: not checked (Breakpad's .m.out omits some threads)
	} cases[] = {
	    {"breakpad/historical/minidump1.dmp", 0xc0000005, 111, 9},
	    {"breakpad/minidump2.dmp", 0xc0000005, 13, 2},
	    {"electron-node-minidump/windows.dmp", 0xc0000005, 58, 14},
	    {"lldb/sigsegv.dmp", 0xc0000005, 4, 0},
	    {"rust-minidump/historical/stability-report.dmp", 0xc0000005, 42, 19},
	    {"rust-minidump/invalid-parameter.dmp", 0xc000000d, 31, 0},
	    {"symbolic-unreal/UE4Minidump.dmp", 0x1, 128, 0},
	    {"symbolicator/windows.dmp", 0xc0000005, 17, 0},
	    {"syzygy/historical/notepad-32bit.dmp", 0x80000003, 26, 0},
	    {"syzygy/historical/notepad-64bit.dmp", 0x80000003, 25, 0},
	    {"syzygy/historical/notepad-larger-32bit.v1.dmp", 0x80000003, 20, 0},
	    {"syzygy/historical/notepad-small-32bit.v1.dmp", 0x80000003, 20, 0},
	    {"syzygy/minidump-no-kasko-stream.dmp", 0xc000008c, 107, 0},
	    {"syzygy/notepad-small-32bit.dmp", 0x80000003, 22, 0},
	    {"syzygy/notepad-small-64bit.dmp", 0x80000003, 5, 0},
	    {"syzygy/use-after-free.dmp", 0xc000008c, 107, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dw_dump *d = open_dump(cases[i].dump);
		const dw_md_exception *e = dw_dump_exception(d);
		cr_expect_not_null(e, "%s: no exception", cases[i].dump);
		if (e != NULL) {
			cr_expect_eq(e->code, cases[i].code, "%s: code 0x%x", cases[i].dump, e->code);
			cr_expect_not_null(e->context, "%s: no exception context", cases[i].dump);
		}
		size_t n;
		dw_dump_modules(d, &n);
		cr_expect_eq(n, cases[i].modules, "%s: %zu modules", cases[i].dump, n);
		if (cases[i].threads != 0) {
			dw_dump_threads(d, &n);
			cr_expect_eq(n, cases[i].threads, "%s: %zu threads", cases[i].dump, n);
		}
		dw_dump_free(d);
	}
}
