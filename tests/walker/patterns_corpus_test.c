// The detectors on real dumps.
//
// Our own corpus (tests/corpus/*/*/expected.json, written by the crashing
// programs): every listed pattern that needs no stack walk is found, with the
// exception thread as evidence where the pattern is about the exception, and
// no must-not pattern appears. Precision and recall per pattern are printed.
//
// The shared corpus ($DW_CORPUS): handle statistics by type against the
// HandleData descriptors counted here from the file's bytes, a memory-layout
// summary against the MemoryInfoList header, WOW64 and manual dump on
// notepad-small-64bit.dmp, the invalid-parameter assertion.
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/walker/corpus_files.h"
#include "walker/classify.h"
#include "walker/dump.h"
#include "walker/finding.h"

// ---- our corpus -------------------------------------------------------------

// The patterns whose evidence needs no stack walk: the detectors of
// walker/classify.h must decide them alone.
static const char *const nonstack[] = {
    "NULL Pointer (Data)",         "NULL Pointer (Code)",
    "Invalid Pointer (General)",   "Wild Code",
    "Divide by Zero (User Mode)",  "Stack Overflow (User Mode)",
    "C++ Exception",               "Managed Code Exception",
    "Local Buffer Overflow (User Space)", "Exception Module",
    "Stored Exception",            "Manual Dump (Process)",
    "Handle Leak",                 "Thread Age",
    "Not My Thread",               "Virtualized Process (WOW64)",
};
#define NNONSTACK (sizeof(nonstack) / sizeof(nonstack[0]))

// Patterns about the exception: their evidence must name the exception thread.
static bool
about_exception(const char *p)
{
	return strcmp(p, "Manual Dump (Process)") != 0 && strcmp(p, "Handle Leak") != 0 &&
	       strcmp(p, "Thread Age") != 0 && strcmp(p, "Not My Thread") != 0 &&
	       strcmp(p, "Virtualized Process (WOW64)") != 0;
}

// expected.json is our generator's flat format: `"key": [ "a", "b" ]`.
static bool
json_list_has(const char *doc, const char *key, const char *name)
{
	char k[64];
	snprintf(k, sizeof(k), "\"%s\": [", key);
	const char *p = strstr(doc, k);
	if (p == NULL)
		return false;
	p += strlen(k);
	const char *end = strchr(p, ']');
	char        q[128];
	snprintf(q, sizeof(q), "\"%s\"", name);
	const char *hit = strstr(p, q);
	return hit != NULL && end != NULL && hit < end;
}

// The exception's thread_id, or 0 for "exception": null.
static unsigned long
json_exception_tid(const char *doc)
{
	const char *p = strstr(doc, "\"exception\": {");
	if (p == NULL)
		return 0;
	const char *t = strstr(p, "\"thread_id\": ");
	return t != NULL ? strtoul(t + 13, NULL, 10) : 0;
}

typedef struct score {
	unsigned tp, fp, fn, must_not_hit, wrong_thread;
} score;

static void
check_case(const char *dir, const char *json_name, const char *dump_name, score *sc,
           unsigned *cases)
{
	char jpath[8800], dpath[8800];
	snprintf(jpath, sizeof(jpath), "%s/%s", dir, json_name);
	if (dump_name[0] == '/')
		snprintf(dpath, sizeof(dpath), "%s", dump_name);
	else
		snprintf(dpath, sizeof(dpath), "%s/%s", dir, dump_name);
	char *doc = tc_slurp(jpath, NULL);
	if (doc == NULL)
		return;
	dw_dump *d = NULL;
	if (dw_dump_open_file(&d, dpath, NULL) != DW_OK) {
		free(doc);
		return;
	}
	(*cases)++;
	dw_findings *fs = NULL;
	cr_assert_eq(dw_classify(&fs, d, NULL), DW_OK);
	unsigned long tid = json_exception_tid(doc);
	for (size_t i = 0; i < NNONSTACK; i++) {
		const char       *p        = nonstack[i];
		const dw_finding *f        = dw_findings_find(fs, DW_FINDING_PATTERN, p);
		bool              expected = json_list_has(doc, "patterns", p);
		bool              must_not = json_list_has(doc, "not_patterns", p);
		if (f != NULL && expected) {
			sc[i].tp++;
			if (tid != 0 && about_exception(p) && !dw_finding_has_thread(f, (uint32_t)tid)) {
				sc[i].wrong_thread++;
				cr_expect_fail("%s: %s without exception thread %lu", dir, p, tid);
			}
		} else if (f != NULL) {
			sc[i].fp++;
		} else if (expected) {
			sc[i].fn++;
			cr_expect_fail("%s: %s not found", dir, p);
		}
		if (f != NULL && must_not) {
			sc[i].must_not_hit++;
			cr_expect_fail("%s: must-not pattern %s reported", dir, p);
		}
		// A pattern the program says this dump cannot show must not be claimed.
		if (f != NULL && json_list_has(doc, "patterns_not_visible", p))
			cr_expect_fail("%s: %s reported though not visible", dir, p);
	}
	dw_findings_free(fs);
	dw_dump_free(d);
	free(doc);
}

Test(patterns_corpus, own_corpus_nonstack_patterns, .timeout = 120)
{
	const char *root = tc_own_corpus();
	score       sc[NNONSTACK];
	memset(sc, 0, sizeof(sc));
	unsigned           cases   = 0;
	static const char *arches[] = {"x64", "x86"};
	for (int a = 0; a < 2; a++) {
		char adir[4200];
		snprintf(adir, sizeof(adir), "%s/%s", root, arches[a]);
		DIR *dd = opendir(adir);
		if (dd == NULL)
			continue;
		struct dirent *e;
		while ((e = readdir(dd)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			char dir[4600], dump[300];
			if (strlen(e->d_name) > 200)
				continue;
			snprintf(dir, sizeof(dir), "%s/%s", adir, e->d_name);
			snprintf(dump, sizeof(dump), "%s.dmp", e->d_name);
			check_case(dir, "expected.json", dump, sc, &cases);
			// The full-memory dump beside some cases has its own ground truth
			// (tests/corpus/README.md: x64/deadlock, x86/deep_opt).
			char        xzp[4900], cmd[10000], tmp[300];
			struct stat st;
			snprintf(xzp, sizeof(xzp), "%s/%s.full.dmp.xz", dir, e->d_name);
			if (stat(xzp, &st) != 0)
				continue;
			snprintf(tmp, sizeof(tmp), "%s/dw_pcorpus_%d_%.60s.dmp",
			         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(), e->d_name);
			snprintf(cmd, sizeof(cmd), "xz -dc '%s' > '%s' 2>/dev/null", xzp, tmp);
			if (system(cmd) != 0)
				cr_log_warn("xz cannot unpack %s: full dump skipped", xzp);
			else
				check_case(dir, "expected.full.json", tmp, sc, &cases);
			remove(tmp);
		}
		closedir(dd);
	}
	cr_expect_geq(cases, 30, "only %u corpus cases read", cases);
	// Precision counts as false positives the findings on cases that do not
	// list the pattern (expected.json lists what a correct analysis must
	// report; some unlisted findings are still true, e.g. Exception Module
	// on div_zero).
	fprintf(stderr, "patterns on our corpus (%u dumps, detectors without stack walk):\n", cases);
	fprintf(stderr, "  %-38s %4s %4s %4s %9s %6s %8s\n", "pattern", "tp", "fp", "fn", "precision",
	        "recall", "must-not");
	for (size_t i = 0; i < NNONSTACK; i++) {
		if (sc[i].tp + sc[i].fp + sc[i].fn == 0)
			continue;
		double prec = sc[i].tp + sc[i].fp ? (double)sc[i].tp / (sc[i].tp + sc[i].fp) : 1.0;
		double rec  = sc[i].tp + sc[i].fn ? (double)sc[i].tp / (sc[i].tp + sc[i].fn) : 1.0;
		fprintf(stderr, "  %-38s %4u %4u %4u %9.2f %6.2f %8u\n", nonstack[i], sc[i].tp, sc[i].fp,
		        sc[i].fn, prec, rec, sc[i].must_not_hit);
	}
}

// ---- the shared corpus ------------------------------------------------------------

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

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

// Finds stream `type` in the file's directory; returns its rva (0 if absent).
static uint32_t
raw_stream(const unsigned char *f, size_t len, uint32_t type, uint32_t *size)
{
	uint32_t n = le32(f + 8), dir = le32(f + 12);
	for (uint32_t i = 0; i < n && dir + 12ull * (i + 1) <= len; i++) {
		const unsigned char *e = f + dir + 12 * i;
		if (le32(e) == type) {
			*size = le32(e + 4);
			return le32(e + 8);
		}
	}
	return 0;
}

typedef struct rawcount {
	char     name[64];
	unsigned count;
} rawcount;

// Counts HandleData descriptors by type name straight from the file: header
// (SizeOfHeader, SizeOfDescriptor, NumberOfDescriptors), each descriptor's
// TypeNameRva (offset 8) pointing at a MINIDUMP_STRING.
static size_t
raw_handle_counts(const unsigned char *f, size_t len, rawcount *out, size_t max, unsigned *total)
{
	uint32_t size, rva = raw_stream(f, len, 12, &size);
	cr_assert_neq(rva, 0, "no HandleData");
	uint32_t hs = le32(f + rva), ds = le32(f + rva + 4), n = le32(f + rva + 8);
	size_t   k  = 0;
	*total      = n;
	for (uint32_t i = 0; i < n; i++) {
		const unsigned char *desc = f + rva + hs + (size_t)ds * i;
		uint32_t             tn   = le32(desc + 8);
		char                 name[64] = "";
		if (tn != 0) {
			uint32_t bytes = le32(f + tn);
			size_t   j     = 0;
			for (; j < bytes / 2 && j + 1 < sizeof(name); j++)
				name[j] = (char)f[tn + 4 + 2 * j];
			name[j] = 0;
		}
		size_t m = 0;
		while (m < k && strcmp(out[m].name, name) != 0)
			m++;
		if (m == k) {
			if (k == max)
				continue;
			snprintf(out[k++].name, sizeof(out[0].name), "%s", name);
		}
		out[m].count++;
	}
	return k;
}

static void
check_handle_stats(const char *rel, unsigned expect_total)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/dumps/%s", corpus(), rel);
	size_t         len;
	unsigned char *raw = (unsigned char *)tc_slurp(path, &len);
	cr_assert_not_null(raw, "%s", path);
	rawcount counts[64];
	memset(counts, 0, sizeof(counts));
	unsigned total;
	size_t   ntypes = raw_handle_counts(raw, len, counts, 64, &total);
	cr_expect_eq(total, expect_total, "%s: %u descriptors in the file", rel, total);

	dw_dump *d = NULL;
	cr_assert_eq(dw_dump_open_file(&d, path, NULL), DW_OK);
	dw_findings *fs = NULL;
	cr_assert_eq(dw_classify(&fs, d, NULL), DW_OK);
	const dw_finding *s = dw_findings_find(fs, DW_FINDING_SUMMARY, "Handle Leak");
	cr_assert_not_null(s, "%s: no handle statistics", rel);
	size_t seen = 0;
	for (size_t i = 0; i < s->nevidence; i++) {
		const dw_evidence *e = &s->evidence[i];
		if (strcmp(e->what, "handles") == 0)
			cr_expect_eq(e->value, expect_total, "%s: total", rel);
		if (strcmp(e->what, "handles of type") != 0)
			continue;
		const char *t = strcmp(e->text, "(no type name)") == 0 ? "" : e->text;
		bool        ok = false;
		for (size_t m = 0; m < ntypes; m++)
			if (strcmp(counts[m].name, t) == 0) {
				cr_expect_eq(e->value, counts[m].count, "%s: %s", rel, t);
				ok = true;
			}
		cr_expect(ok, "%s: type %s not in the file", rel, t);
		seen++;
	}
	cr_expect_eq(seen, ntypes, "%s: %zu types reported, %zu in the file", rel, seen, ntypes);
	cr_expect_null(dw_findings_find(fs, DW_FINDING_PATTERN, "Handle Leak"));
	dw_findings_free(fs);
	dw_dump_free(d);
	free(raw);
}

Test(patterns_corpus, handle_statistics_tiny_exe)
{
	check_handle_stats("breakpad/tiny-exe-with-cet-xsave.dmp", 147);
}

Test(patterns_corpus, handle_statistics_stability_report)
{
	check_handle_stats("rust-minidump/historical/stability-report.dmp", 302);
}

static dw_findings *
classify_file(const char *rel, dw_dump **d)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/dumps/%s", corpus(), rel);
	*d = NULL;
	cr_assert_eq(dw_dump_open_file(d, path, NULL), DW_OK, "%s", path);
	dw_findings *fs = NULL;
	cr_assert_eq(dw_classify(&fs, *d, NULL), DW_OK);
	return fs;
}

Test(patterns_corpus, stability_report_memory_layout)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/dumps/rust-minidump/historical/stability-report.dmp",
	         corpus());
	size_t         len;
	unsigned char *raw = (unsigned char *)tc_slurp(path, &len);
	cr_assert_not_null(raw);
	uint32_t size, rva = raw_stream(raw, len, 16, &size);
	cr_assert_neq(rva, 0, "no MemoryInfoList");
	uint32_t regions = le32(raw + rva + 8); // NumberOfEntries (low half of a ULONG64)
	dw_dump *d;
	dw_findings *fs = classify_file("rust-minidump/historical/stability-report.dmp", &d);
	const dw_finding *s = dw_findings_find(
	    fs, DW_FINDING_SUMMARY,
	    "Memory Leak (Process Heap) / Insufficient Memory (Committed Memory)");
	cr_assert_not_null(s, "no memory-layout summary");
	cr_expect(strstr(s->explanation, "memory layout (MemoryInfoList") != NULL, "%s",
	          s->explanation);
	bool found = false;
	for (size_t i = 0; i < s->nevidence; i++)
		if (strcmp(s->evidence[i].what, "regions") == 0) {
			cr_expect_eq(s->evidence[i].value, regions);
			found = true;
		}
	cr_expect(found);
	dw_findings_free(fs);
	dw_dump_free(d);
	free(raw);
}

Test(patterns_corpus, notepad_wow64_manual_dump)
{
	dw_dump     *d;
	dw_findings *fs = classify_file("syzygy/notepad-small-64bit.dmp", &d);
	cr_expect_not_null(dw_findings_find(fs, DW_FINDING_PATTERN, "Virtualized Process (WOW64)"));
	const dw_finding *m = dw_findings_find(fs, DW_FINDING_PATTERN, "Manual Dump (Process)");
	cr_assert_not_null(m);
	cr_expect(strstr(m->explanation, "80000003") != NULL);
	cr_expect_null(dw_findings_find(fs, DW_FINDING_PATTERN, "Stack Overflow (User Mode)"));
	dw_findings_free(fs);
	dw_dump_free(d);
}

Test(patterns_corpus, invalid_parameter_assertion_named)
{
	dw_dump     *d;
	dw_findings *fs = classify_file("rust-minidump/invalid-parameter.dmp", &d);
	const dw_finding *s = dw_findings_find(fs, DW_FINDING_PATTERN, "Stored Exception");
	cr_assert_not_null(s);
	cr_expect(strstr(s->explanation, "invalid parameter") != NULL, "%s", s->explanation);
	// The assertion's fields as the stream stores them (checked with a hex
	// dump of the file's 0x47670002 stream: UTF-16 "format != nullptr",
	// "common_vfprintf", "...\\output.cpp", line 32, type 1).
	bool expr = false, func = false, file = false, line = false;
	for (size_t i = 0; i < s->nevidence; i++) {
		const dw_evidence *e = &s->evidence[i];
		expr |= strcmp(e->what, "expression") == 0 && strcmp(e->text, "format != nullptr") == 0;
		func |= strcmp(e->what, "function") == 0 && strcmp(e->text, "common_vfprintf") == 0;
		file |= strcmp(e->what, "file") == 0 && strstr(e->text, "output.cpp") != NULL;
		line |= strcmp(e->what, "line") == 0 && e->value == 32;
	}
	cr_expect(expr && func && file && line);
	// Breakpad's synthesized record has address 0: that is no NULL call.
	cr_expect_null(dw_findings_find(fs, DW_FINDING_PATTERN, "NULL Pointer (Code)"));
	cr_expect_null(dw_findings_find(fs, DW_FINDING_PATTERN, "Manual Dump (Process)"));
	dw_findings_free(fs);
	dw_dump_free(d);
}
