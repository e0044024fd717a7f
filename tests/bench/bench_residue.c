// tests/bench/bench_residue.c - residue scanning plus every detector against
// the unwinding itself (issue 8: the former must cost less than the latter).
//
// For every dump given (files, or directories searched recursively) it opens
// the dump once, then N times: walks it (timed: "walk"), and on that walk
// scans residue and hidden exceptions, runs dw_classify_into, dw_classify_walk
// and dw_residue_classify and builds the signature (timed: "residue+detectors").
// No symbol provider: both sides read only the dump. Each side's figure is
// the median of its N runs; a dump line ends "ok" when residue+detectors
// took less than the walk, "OVER" otherwise, and the last line says whether
// every dump is ok.
//
// Usage: bench_residue [-n N] [-o FILE] PATH...
// -o FILE writes every classified word, hidden exception (with its recovered
// frames), finding and signature of every dump to FILE: diff two such files
// to show that a change to the scan or the detectors keeps their results.
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
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
static double sum_walk, sum_rest, sum_scan, sum_ratio, worst_ratio = -1;
static size_t dumps, failing;
static char   worst_path[4096];
static FILE  *out_file;

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

// The median of v[0..n) (sorts v). Each side of a dump is timed n times and
// its median kept: on a shared machine one preempted run can cost a hundred
// times the others, and the mean would report that run, not the code.
static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 != 0 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *
str(const char *s)
{
	return s != NULL ? s : "-";
}

static void
dump_frame(FILE *o, const char *what, const dw_frame *f)
{
	fprintf(o, "    %s ip=%" PRIx64 " mod=%s fn=%s+%" PRIx64 " trust=%s sp=%" PRIx64 "\n", what, f->ip,
	        f->module != NULL ? str(f->module->name) : "-", str(f->function), f->function_offset,
	        dw_trust_name(f->trust), dw_context_sp(&f->ctx));
}

// Everything the scan and the detectors produced, one fact a line.
static void
dump_results(FILE *o, const char *path, const dw_residue *r, const dw_findings *fs,
             const dw_signature *s)
{
	fprintf(o, "== %s\n", path);
	size_t               n;
	const dw_res_thread *t = dw_residue_threads(r, &n);
	for (size_t i = 0; i < n; i++) {
		fprintf(o, "thread %u cpu=%d ptr=%u sp=%" PRIx64 " [%" PRIx64 ",%" PRIx64
		           ") missing=%d nwords=%zu residue_returns=%zu dropped=%zu counts",
		        t[i].tid, (int)t[i].cpu, t[i].ptr, t[i].sp, t[i].lo, t[i].hi, t[i].missing,
		        t[i].nwords, t[i].residue_returns, t[i].dropped);
		for (int c = 0; c < DW_RES_NCLASSES; c++)
			fprintf(o, " %s=%zu", dw_res_class_name((dw_res_class)c), t[i].counts[c]);
		fputc('\n', o);
		for (size_t k = 0; k < t[i].nwords; k++) {
			const dw_res_word *w = &t[i].words[k];
			fprintf(o,
			        "  %" PRIx64 " %" PRIx64 " %s live=%d below=%d mod=%s fn=%s+%" PRIx64
			        " target=%" PRIx64 " tfn=%s tid=%u text=%s\n",
			        w->addr, w->value, dw_res_class_name(w->cls), w->live, w->below_sp,
			        w->module != NULL ? str(w->module->name) : "-", str(w->function),
			        w->function_offset, w->call_target, str(w->target_function), w->tid,
			        str(w->text));
		}
		for (size_t k = 0; k < t[i].nhidden; k++) {
			const dw_res_hidden *h = &t[i].hidden[k];
			fprintf(o,
			        "  hidden tid=%u rec=%" PRIx64 " code=%08" PRIx32 " flags=%" PRIx32
			        " np=%" PRIu32 " addr=%" PRIx64 " ctx=%" PRIx64 " ip=%" PRIx64 " sp=%" PRIx64
			        " match=%d copies=%zu ndispatch=%zu frames=%zu end=%d\n",
			        h->tid, h->record_addr, h->code, h->flags, h->nparams, h->address,
			        h->context_addr, h->context_ip, h->context_sp, h->ip_matches, h->copies,
			        h->ndispatch, h->stack.nframes, (int)h->stack.end);
			for (uint32_t p = 0; p < h->nparams && p < 15; p++)
				fprintf(o, "    param %" PRIx64 "\n", h->params[p]);
			for (size_t d = 0; d < h->ndispatch; d++)
				fprintf(o, "    dispatch %" PRIx64 "\n", h->dispatch[d]->addr);
			for (size_t f = 0; f < h->stack.nframes; f++)
				dump_frame(o, "frame", &h->stack.frames[f]);
		}
	}
	size_t            nf = 0;
	const dw_finding *f  = fs != NULL ? dw_findings_items(fs, &nf) : NULL;
	for (size_t i = 0; i < nf; i++) {
		fprintf(o, "finding %s %s %s: %s (dropped %zu)\n", dw_finding_kind_name(f[i].kind),
		        f[i].pattern, dw_confidence_name(f[i].confidence), f[i].explanation,
		        f[i].dropped);
		if (f[i].needed != NULL)
			fprintf(o, "  needed %s\n", f[i].needed);
		for (size_t k = 0; k < f[i].nevidence; k++) {
			const dw_evidence *e = &f[i].evidence[k];
			fprintf(o, "  %s %s=%" PRIx64 "%s %s\n", dw_evidence_kind_name(e->kind), e->what,
			        e->value, e->has_value ? "" : "(none)", str(e->text));
		}
	}
	if (s != NULL)
		fprintf(o, "signature %s thread=%u hidden=%d %016" PRIx64 "\n", s->text, s->thread_id,
		        s->from_hidden, s->hash);
}

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
	double   *tw = calloc((size_t)iterations, sizeof(double));
	double   *tr = calloc((size_t)iterations, sizeof(double));
	double   *ts = calloc((size_t)iterations, sizeof(double));
	size_t    words = 0, hidden = 0, runs = 0;
	for (long i = 0; tw != NULL && tr != NULL && ts != NULL && i < iterations; i++) {
		dw_walk *w  = NULL;
		double   t0 = now_s();
		if (dw_walk_dump(&w, d, &empty, NULL) != DW_OK)
			break;
		double      t1 = now_s();
		dw_residue *r  = NULL;
		dw_findings *fs = NULL;
		dw_signature *s = NULL;
		dw_err rv = dw_residue_scan(&r, w, NULL);
		double ts1 = now_s();
		if (rv == DW_OK && dw_findings_new(&fs) == DW_OK) {
			(void)dw_classify_into(fs, d, NULL);
			(void)dw_classify_walk(fs, d, w, NULL);
			(void)dw_residue_classify(fs, r);
			(void)dw_signature_make(&s, w, fs, r, NULL);
		}
		double t2 = now_s();
		tw[runs]  = t1 - t0;
		tr[runs]  = t2 - t1;
		ts[runs]  = ts1 - t1;
		runs++;
		if (i == 0 && out_file != NULL && r != NULL)
			dump_results(out_file, path, r, fs, s);
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
	if (runs != 0) {
		double walk = median(tw, runs), rest = median(tr, runs), scan = median(ts, runs);
		double ratio = walk > 0 ? rest / walk : 0.0;
		bool   meets = rest < walk;
		printf("%-64s walk %9.2f us  residue+detectors %9.2f us (scan %9.2f)  %6.2fx %s %7zu "
		       "words %zu hidden\n",
		       path, walk * 1e6, rest * 1e6, scan * 1e6, ratio, meets ? "ok  " : "OVER", words,
		       hidden);
		sum_scan += scan;
		sum_walk += walk;
		sum_rest += rest;
		sum_ratio += ratio;
		failing += !meets;
		if (ratio > worst_ratio) {
			worst_ratio = ratio;
			snprintf(worst_path, sizeof(worst_path), "%s", path);
		}
		dumps++;
	}
	free(tw);
	free(tr);
	free(ts);
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
	for (; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "-n") == 0) {
			iterations = atol(argv[i + 1]);
			if (iterations < 1)
				iterations = 1;
		} else if (strcmp(argv[i], "-o") == 0) {
			out_file = fopen(argv[i + 1], "w");
			if (out_file == NULL) {
				perror(argv[i + 1]);
				return 1;
			}
		} else
			break;
	}
	for (; i < argc; i++)
		walk_path(argv[i]);
	if (dumps == 0) {
		fprintf(stderr, "bench_residue: no dumps found\n");
		return 1;
	}
	if (out_file != NULL)
		fclose(out_file);
	printf("\n%zu dumps, medians of %ld runs each: walk %.2f us, residue+detectors %.2f us (of "
	       "it the residue scan %.2f us) per dump on average; total %.2fx the walk, mean of the "
	       "per-dump ratios %.2fx, worst %.2fx (%s)\n",
	       dumps, iterations, sum_walk / (double)dumps * 1e6, sum_rest / (double)dumps * 1e6,
	       sum_scan / (double)dumps * 1e6, sum_walk > 0 ? sum_rest / sum_walk : 0.0,
	       sum_ratio / (double)dumps, worst_ratio, worst_path);
	if (failing == 0)
		printf("residue+detectors < walk on every dump: YES (%zu of %zu)\n", dumps, dumps);
	else
		printf("residue+detectors < walk on every dump: NO (%zu of %zu dumps over, marked OVER)\n",
		       failing, dumps);
	return 0;
}
