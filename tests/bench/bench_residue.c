// tests/bench/bench_residue.c - residue scanning plus every detector against
// the unwinding itself (issue 8: the former must cost less than the latter).
//
// For every dump given (files, or directories searched recursively) it opens
// the dump once, then N times: walks it (timed: "walk"), and on that walk
// scans residue and hidden exceptions, runs dw_classify_into, dw_classify_walk
// and dw_residue_classify and builds the signature (timed: "residue+detectors").
// No symbol provider: both sides read only the dump. Usage: bench_residue [-n N] PATH...
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/mapfile.h"
#include "walker/classify.h"
#include "walker/dump.h"
#include "walker/finding.h"
#include "walker/residue.h"
#include "walker/signature.h"
#include "walker/walk.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long   iterations = 20;
static double sum_walk, sum_rest, sum_scan;
static size_t dumps;

static void
bench_file(const char *path)
{
	dw_mapfile m;
	if (dw_mapfile_open(&m, path, NULL) != DW_OK)
		return;
	dw_dump *d = NULL;
	if (dw_dump_open_buffer(&d, m.data, m.len, NULL) != DW_OK) {
		dw_mapfile_close(&m);
		return;
	}
	dw_symsrc empty = {0};
	double    walk = 0, rest = 0, scan = 0;
	size_t    words = 0, hidden = 0;
	for (long i = 0; i < iterations; i++) {
		dw_walk *w  = NULL;
		double   t0 = now_s();
		if (dw_walk_dump(&w, d, &empty, NULL) != DW_OK)
			break;
		double      t1 = now_s();
		dw_residue *r  = NULL;
		dw_findings *fs = NULL;
		dw_signature *s = NULL;
		dw_err rv = dw_residue_scan(&r, w, NULL);
		scan += now_s() - t1;
		if (rv == DW_OK && dw_findings_new(&fs) == DW_OK) {
			(void)dw_classify_into(fs, d, NULL);
			(void)dw_classify_walk(fs, d, w, NULL);
			(void)dw_residue_classify(fs, r);
			(void)dw_signature_make(&s, w, fs, r, NULL);
		}
		double t2 = now_s();
		walk += t1 - t0;
		rest += t2 - t1;
		if (i == 0 && r != NULL) {
			size_t               n;
			const dw_res_thread *t = dw_residue_threads(r, &n);
			for (size_t k = 0; k < n; k++) {
				words += t[k].hi > t[k].lo ? (size_t)((t[k].hi - t[k].lo) / t[k].ptr) : 0;
				hidden += t[k].nhidden;
			}
		}
		dw_signature_free(s);
		dw_findings_free(fs);
		dw_residue_free(r);
		dw_walk_free(w);
	}
	printf("%-64s walk %9.1f us  residue+detectors %9.1f us (scan %9.1f)  (%5.2fx)  %7zu words "
	       "%zu hidden\n",
	       path, walk / iterations * 1e6, rest / iterations * 1e6, scan / iterations * 1e6,
	       walk > 0 ? rest / walk : 0.0, words, hidden);
	sum_scan += scan / iterations;
	sum_walk += walk / iterations;
	sum_rest += rest / iterations;
	dumps++;
	dw_dump_free(d);
	dw_mapfile_close(&m);
}

static void
walk_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		size_t n = strlen(path);
		if (n > 4 && strcmp(path + n - 4, ".dmp") == 0)
			bench_file(path);
		return;
	}
	DIR *dd = opendir(path);
	if (dd == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(dd)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		walk_path(sub);
	}
	closedir(dd);
}

int
main(int argc, char **argv)
{
	int i = 1;
	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		iterations = atol(argv[2]);
		if (iterations < 1)
			iterations = 1;
		i = 3;
	}
	for (; i < argc; i++)
		walk_path(argv[i]);
	if (dumps == 0) {
		fprintf(stderr, "bench_residue: no dumps found\n");
		return 1;
	}
	printf("\n%zu dumps: walk %.1f us, residue+detectors %.1f us (of it the residue scan %.1f us) "
	       "per dump on average (%.2fx the walk)\n",
	       dumps, sum_walk / (double)dumps * 1e6, sum_rest / (double)dumps * 1e6,
	       sum_scan / (double)dumps * 1e6, sum_walk > 0 ? sum_rest / sum_walk : 0.0);
	return 0;
}
