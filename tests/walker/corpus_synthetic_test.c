// Deliberately malformed or unusual dumps other projects made to test their
// parsers ($DW_CORPUS/dumps/synthetic). For each file: does it open, and with
// which note. Never a crash (Criterion runs each test in its own process and
// reports a signal as a failure).
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
open_synthetic(const char *rel)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/dumps/synthetic/%s", corpus(), rel);
	dw_dump *d  = NULL;
	dw_err   rv = dw_dump_open_file(&d, path, NULL);
	cr_assert_eq(rv, DW_OK, "%s: %s", rel, dw_errname(rv));
	return d;
}

static bool
has_note(const dw_dump *d, dw_err code, const char *needle)
{
	const dw_notes *n = dw_dump_notes(d);
	for (size_t i = 0; i < n->count; i++)
		if (n->items[i].code == code && strstr(n->items[i].text, needle) != NULL)
			return true;
	return false;
}

// Errors noted by the core streams' readers; the other streams (MiscInfo in
// lldb's regions files has SizeOfInfo 0) are streams_test.c's business.
static size_t
errors(const dw_dump *d)
{
	static const char *const core[] = {
	    "header",           "directory entry",    "SystemInfoStream", "ThreadListStream",
	    "ThreadExListStream", "ModuleListStream", "UnloadedModuleListStream",
	    "MemoryListStream", "Memory64ListStream", "memory range", "ExceptionStream",
	};
	const dw_notes *n = dw_dump_notes(d);
	size_t          k = 0;
	for (size_t i = 0; i < n->count; i++) {
		if (n->items[i].code == DW_OK)
			continue;
		for (size_t j = 0; j < sizeof(core) / sizeof(core[0]); j++)
			if (strncmp(n->items[i].text, core[j], strlen(core[j])) == 0)
				k++;
	}
	return k;
}

static size_t
streams_in_state(const dw_dump *d, dw_md_stream_state st)
{
	size_t              n, k = 0;
	const dw_md_stream *s = dw_dump_streams(d, &n);
	for (size_t i = 0; i < n; i++)
		k += s[i].state == st;
	return k;
}

// Every file in the folder has a verdict below; a new file fails this test
// until someone decides what it should do.
Test(walker_corpus_synthetic, every_file_has_a_verdict)
{
	static const char *const known[] = {
	    "lldb/bad_duplicate_streams.dmp", "lldb/bad_overlapping_streams.dmp",
	    "lldb/memory-list-not-padded.dmp", "lldb/memory-list-padded.dmp",
	    "lldb/module-list-not-padded.dmp", "lldb/module-list-padded.dmp",
	    "lldb/regions-memlist.dmp", "lldb/regions-memlist64.dmp",
	    "lldb/thread-list-not-padded.dmp", "lldb/thread-list-padded.dmp",
	    "rust-minidump/invalid-range.dmp", "rust-minidump/invalid-record-count.dmp",
	};
	static const char *const dirs[] = {"lldb", "rust-minidump"};
	int found = 0;
	for (size_t k = 0; k < 2; k++) {
		char dir[1024];
		snprintf(dir, sizeof(dir), "%s/dumps/synthetic/%s", corpus(), dirs[k]);
		DIR *dh = opendir(dir);
		cr_assert_not_null(dh, "%s missing", dir);
		struct dirent *e;
		while ((e = readdir(dh)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			char rel[512];
			snprintf(rel, sizeof(rel), "%s/%s", dirs[k], e->d_name);
			bool ok = false;
			for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
				ok |= strcmp(known[i], rel) == 0;
			cr_expect(ok, "%s has no verdict in corpus_synthetic_test.c", rel);
			found++;
		}
		closedir(dh);
	}
	cr_assert_eq(found, 12);
}

Test(walker_corpus_synthetic, duplicate_thread_list_is_ignored_with_a_note)
{
	dw_dump *d = open_synthetic("lldb/bad_duplicate_streams.dmp");
	cr_expect(has_note(d, DW_ECORRUPT, "second ThreadListStream"));
	cr_expect_eq(streams_in_state(d, DW_MD_STREAM_DUPLICATE), 1);
	size_t n;
	dw_dump_threads(d, &n);
	cr_expect_gt(n, 0); // the first list is still read
	dw_dump_free(d);
}

Test(walker_corpus_synthetic, overlapping_stream_is_ignored_with_a_note)
{
	dw_dump *d = open_synthetic("lldb/bad_overlapping_streams.dmp");
	cr_expect(has_note(d, DW_ECORRUPT, "overlaps"));
	cr_expect_eq(streams_in_state(d, DW_MD_STREAM_OVERLAP), 1);
	dw_dump_free(d);
}

// lldb's padded/not-padded pairs (MinidumpParserTest.cpp) hold the same
// records with and without 4 bytes after the count: both must read alike and
// cleanly.
Test(walker_corpus_synthetic, padded_and_unpadded_lists_read_alike)
{
	dw_dump *a = open_synthetic("lldb/memory-list-not-padded.dmp");
	dw_dump *b = open_synthetic("lldb/memory-list-padded.dmp");
	size_t   na, nb;
	const dw_md_memory_range *ra = dw_dump_memory(a, &na), *rb = dw_dump_memory(b, &nb);
	cr_assert_eq(na, 2);
	cr_assert_eq(nb, na);
	for (size_t i = 0; i < na; i++) {
		cr_expect_eq(ra[i].start, rb[i].start);
		cr_expect_eq(ra[i].size, rb[i].size);
		uint8_t x[64], y[64];
		size_t  len = ra[i].size < 64 ? ra[i].size : 64;
		cr_expect_eq(dw_dump_read(a, ra[i].start, x, len, NULL), DW_OK);
		cr_expect_eq(dw_dump_read(b, rb[i].start, y, len, NULL), DW_OK);
		cr_expect_arr_eq(x, y, len);
	}
	cr_expect_eq(errors(a), 0);
	cr_expect_eq(errors(b), 0);
	dw_dump_free(a);
	dw_dump_free(b);

	a = open_synthetic("lldb/module-list-not-padded.dmp");
	b = open_synthetic("lldb/module-list-padded.dmp");
	const dw_md_module *ma = dw_dump_modules(a, &na), *mb = dw_dump_modules(b, &nb);
	cr_assert_eq(na, 2);
	cr_assert_eq(nb, 2);
	// lldb's test expects /tmp/a at 0x1000 and /tmp/b at 0x5000.
	cr_expect_eq(ma[0].base, 0x1000);
	cr_expect_str_eq(ma[0].name, "/tmp/a");
	cr_expect_eq(ma[1].base, 0x5000);
	cr_expect_str_eq(ma[1].name, "/tmp/b");
	for (size_t i = 0; i < 2; i++) {
		cr_expect_eq(ma[i].base, mb[i].base);
		cr_expect_eq(ma[i].size, mb[i].size);
		cr_expect_str_eq(ma[i].name, mb[i].name);
	}
	cr_expect_eq(errors(a), 0);
	cr_expect_eq(errors(b), 0);
	dw_dump_free(a);
	dw_dump_free(b);

	a = open_synthetic("lldb/thread-list-not-padded.dmp");
	b = open_synthetic("lldb/thread-list-padded.dmp");
	const dw_md_thread *ta = dw_dump_threads(a, &na), *tb = dw_dump_threads(b, &nb);
	cr_assert_eq(na, 2);
	cr_assert_eq(nb, 2);
	cr_expect_eq(ta[0].thread_id, 0x11223344);
	cr_expect_eq(ta[1].thread_id, 0x55667788);
	for (size_t i = 0; i < 2; i++) {
		cr_expect_eq(ta[i].thread_id, tb[i].thread_id);
		cr_expect_eq(ta[i].stack.start, tb[i].stack.start);
	}
	// These threads have no context at all: a remark, not an error.
	cr_expect_eq(errors(a), 0);
	cr_expect_eq(errors(b), 0);
	dw_dump_free(a);
	dw_dump_free(b);
}

// lldb's regions tests: the same two regions once as a MemoryList, once as a
// Memory64List.
Test(walker_corpus_synthetic, memory_list_and_memory64_list_agree)
{
	dw_dump *a = open_synthetic("lldb/regions-memlist.dmp");
	dw_dump *b = open_synthetic("lldb/regions-memlist64.dmp");
	size_t   na, nb;
	const dw_md_memory_range *ra = dw_dump_memory(a, &na), *rb = dw_dump_memory(b, &nb);
	cr_assert_eq(na, nb);
	cr_assert_gt(na, 0);
	for (size_t i = 0; i < na; i++) {
		cr_expect_eq(ra[i].start, rb[i].start);
		cr_expect_eq(ra[i].size, rb[i].size);
	}
	cr_expect_eq(errors(a), 0);
	cr_expect_eq(errors(b), 0);
	dw_dump_free(a);
	dw_dump_free(b);
}

// rust-minidump's fuzz finds: directories whose entries point far past the end
// of a ~250-byte file. The header is fine, so the dump opens with every such
// stream marked out of range and noted; nothing else is read.
Test(walker_corpus_synthetic, invalid_range_streams_are_out_of_range)
{
	dw_dump *d = open_synthetic("rust-minidump/invalid-range.dmp");
	cr_expect(has_note(d, DW_ETRUNC, "extends past end of file"));
	cr_expect_geq(streams_in_state(d, DW_MD_STREAM_OUT_OF_RANGE), 3);
	size_t n;
	dw_dump_threads(d, &n);
	cr_expect_eq(n, 0);
	dw_dump_free(d);
}

Test(walker_corpus_synthetic, invalid_record_count_streams_are_out_of_range)
{
	dw_dump *d = open_synthetic("rust-minidump/invalid-record-count.dmp");
	cr_expect(has_note(d, DW_ETRUNC, "extends past end of file"));
	cr_expect_geq(streams_in_state(d, DW_MD_STREAM_OUT_OF_RANGE), 1);
	size_t n;
	dw_dump_modules(d, &n);
	cr_expect_eq(n, 0);
	dw_dump_free(d);
}
