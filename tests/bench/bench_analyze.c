// tests/bench/bench_analyze.c - the whole analysis (dwd_analyze: read, walk
// with symbols, classify, build and serialize the report) per dump:
//   warm: symbols already compiled and held by a shared provider (what a
//         running daemon sees), mean over -n runs;
//   cold: a new provider each time, so every symbol file is parsed from scratch;
//   peak: the process's peak RSS after the cold run (getrusage; monotonic, so
//         a dump's figure is the peak so far);
//   flt:  minor page faults per warm run (memory the allocator had to fetch
//         fresh from the kernel rather than reuse);
//   walk us / res+det us: of a warm analysis, the stack walk with symbols
//         and everything after it up to the report (every detector, the
//         raw-stack residue scan, the signature), from the report's own
//         timings, mean over -n more runs; "over" marks a dump whose
//         residue+detectors cost more than its walk (issue 8's target).
// The warm runs are one function, so callgrind can count them alone:
//   valgrind --tool=callgrind --collect-atstart=no --toggle-collect=warm_runs
//       bench_analyze -n 10 SYMDIR DUMP   (instructions / 10 = one warm analysis)
// Usage: bench_analyze [-n N] SYMDIR DUMP...   (a case directory's own files
// are searched too: the dump's directory is added as a symbol directory).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/mapfile.h"
#include "daemon/analyze.h"
#include "dumpwalk/v1/report.pb-c.h"

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double
one(const dw_mapfile *m, const dwd_symbols *s)
{
	dwd_analyze_opts o = {0};
	o.symbols          = s;
	dwd_analysis a;
	double       t0 = now_ms();
	dwd_analyze(&a, m->data, m->len, &o);
	double t = now_ms() - t0;
	dwd_analysis_fini(&a);
	return t;
}

typedef struct phases {
	uint64_t walk_us, classify_us;
} phases;

static void
add_phases(const Dumpwalk__V1__AnalysisReport *r, void *arg)
{
	phases *p = arg;
	if (r->timings != NULL) {
		p->walk_us += r->timings->walk_us;
		p->classify_us += r->timings->classify_us;
	}
}

// The report's own phase timings summed over n warm analyses (rendered in
// process, so no serialization is timed, and none is needed to read them).
static phases
phase_runs(const dw_mapfile *m, const dwd_symbols *s, int n)
{
	phases           p = {0};
	dwd_analyze_opts o = {0};
	o.symbols          = s;
	for (int k = 0; k < n; k++) {
		dwd_analysis a;
		dwd_analyze_report(&a, m->data, m->len, &o, add_phases, &p);
		dwd_analysis_fini(&a);
	}
	return p;
}

// The -n warm analyses; not inlined, so callgrind's --toggle-collect finds it.
__attribute__((noinline)) static double
warm_runs(const dw_mapfile *m, const dwd_symbols *s, int n)
{
	double t0 = now_ms();
	for (int k = 0; k < n; k++)
		one(m, s);
	return (now_ms() - t0) / n;
}

int
main(int argc, char **argv)
{
	int n = 200, i = 1;
	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		n = atoi(argv[2]);
		i = 3;
	}
	if (argc - i < 2 || n < 1) {
		fprintf(stderr, "usage: bench_analyze [-n N] SYMDIR DUMP...\n");
		return 2;
	}
	const char *symdir = argv[i++];
	printf("%-44s %9s %10s %10s %9s %9s %9s %10s %6s\n", "dump", "bytes", "warm ms", "cold ms",
	       "peak MiB", "warm flt", "walk us", "res+det us", "ratio");
	unsigned ndumps = 0, nover = 0;
	double   sum_walk = 0, sum_cls = 0, worst = 0;
	char     worst_name[64] = "";
	for (; i < argc; i++) {
		dw_mapfile  m   = {0};
		const char *why = NULL;
		if (dw_mapfile_open(&m, argv[i], &why) != DW_OK) {
			fprintf(stderr, "%s: %s\n", argv[i], why != NULL ? why : "unreadable");
			continue;
		}
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s", argv[i]);
		char *slash = strrchr(dir, '/');
		if (slash != NULL)
			*slash = 0;
		const char      *dirs[2] = {symdir, dir};
		dwd_symbols_opts so      = {.dirs = dirs, .ndirs = 2};
		char             err[600];
		dwd_symbols     *s = NULL;
		if (dwd_symbols_new(&s, &so, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		double cold = one(&m, s); // first run compiles the tables
		dwd_symbols_free(s);
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		if (dwd_symbols_new(&s, &so, err, sizeof(err)) != 0)
			return 1;
		one(&m, s);
		struct rusage r0, r1;
		getrusage(RUSAGE_SELF, &r0);
		double warm = warm_runs(&m, s, n);
		getrusage(RUSAGE_SELF, &r1);
		double flt  = (double)(r1.ru_minflt - r0.ru_minflt) / n;
		phases ph   = phase_runs(&m, s, n);
		dwd_symbols_free(s);
		double walk_us = (double)ph.walk_us / n, cls_us = (double)ph.classify_us / n;
		double ratio   = walk_us > 0 ? cls_us / walk_us : 0;
		const char *name = strlen(argv[i]) > 44 ? argv[i] + strlen(argv[i]) - 44 : argv[i];
		printf("%-44s %9zu %10.3f %10.3f %9.1f %9.1f %9.1f %10.1f %6.2f%s\n", name, m.len, warm,
		       cold, (double)ru.ru_maxrss / 1024.0, flt, walk_us, cls_us, ratio,
		       cls_us >= walk_us ? " over" : "");
		ndumps++;
		nover += cls_us >= walk_us;
		sum_walk += walk_us;
		sum_cls += cls_us;
		if (ratio > worst) {
			worst = ratio;
			snprintf(worst_name, sizeof(worst_name), "%s", name);
		}
		dw_mapfile_close(&m);
	}
	if (ndumps > 0)
		printf("residue+detectors vs walk, warm with symbols: total %.2fx, worst %.2fx (%s); "
		       "below the walk on every dump: %s (%u of %u over)\n",
		       sum_walk > 0 ? sum_cls / sum_walk : 0, worst, worst_name,
		       nover == 0 ? "YES" : "NO", nover, ndumps);
	return 0;
}
