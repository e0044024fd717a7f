// clients/cmd_analyze.c - `dumpwalk analyze FILE... | DIR`: each dump is
// analyzed by dumpwalkd (or in-process with --local) and rendered from the
// report the analysis returned, in the order given, whatever order the -j
// workers finish in. Progress on a terminal and the summary go to stderr,
// so stdout is the same for --local and a daemon.
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clients/cmd.h"
#include "clients/report_render.h"
#include "common/mapfile.h"
#include "daemon/analyze.h"

// Directory entries taken from one DIR argument.
#define DWC_MAX_DIR_FILES 1000000
#define DWC_MAX_JOBS 256
#define DWC_MAX_SYMBOL_DIRS 64

typedef struct item {
	const char *path;
	char       *out; // rendered report (open_memstream)
	size_t      outlen;
	bool        done, ok;
} item;

typedef struct run {
	item           *items;
	size_t          n, next, printed, nok, nfail;
	pthread_mutex_t lock;
	pthread_cond_t  cond;
	dwc_client     *client; // NULL: --local
	dwc_format      fmt;
	bool            registers, progress, timings, residue_full;
	size_t          budget;
	dwd_symbols    *symbols; // --local: the sources from --symbols / --symbol-path
} run;

// What --local renders a report with: dwd_analyze_report hands the report
// over in-process, with no serialization and decoding in between (that was
// a third of a --local analysis of a small dump); the renderers read the
// same fields either way, so the bytes printed are the daemon path's.
typedef struct local_out {
	FILE           *f;
	const char     *path;
	dwc_format      fmt;
	dwc_render_opts o;
} local_out;

static void
render_local(const Dumpwalk__V1__AnalysisReport *rep, void *arg)
{
	const local_out *lo = arg;
	dwc_report_render_opts(lo->f, rep, lo->path, lo->fmt, &lo->o);
}

static void
analyze_one(run *r, item *it)
{
	FILE *f = open_memstream(&it->out, &it->outlen);
	if (f == NULL) {
		it->ok = false;
		return;
	}
	dw_mapfile  map = {0};
	const char *why = NULL;
	dw_err      e   = dw_mapfile_open(&map, it->path, &why);
	if (e != DW_OK) {
		char msg[600];
		snprintf(msg, sizeof(msg), "cannot read the file: %s (%s)", why ? why : "",
		         strerror(errno));
		dwc_report_render_error(f, it->path, "NOT_FOUND", msg, r->fmt);
		fprintf(stderr, "dumpwalk: %s: %s\n", it->path, msg);
		fclose(f);
		it->ok = false;
		return;
	}
	Dumpwalk__V1__AnalyzeReply *reply = NULL;
	int                         code;
	char                        msg[DWD_ANALYZE_MESSAGE_MAX];
	dwc_render_opts             ro = {.timings = r->timings, .residue_full = r->residue_full};
	if (r->client == NULL) {
		// The daemon's own analysis step, rendered from the report it
		// would have serialized.
		dwd_analyze_opts o = {0};
		o.budget            = r->budget;
		o.include_registers = r->registers;
		o.symbols           = r->symbols;
		local_out    lo     = {.f = f, .path = it->path, .fmt = r->fmt, .o = ro};
		dwd_analysis a;
		dwd_analyze_report(&a, map.data, map.len, &o, render_local, &lo);
		code = a.code;
		snprintf(msg, sizeof(msg), "%s", a.message);
		dwd_analysis_fini(&a);
	} else {
		dwc_status st;
		code = dwc_client_analyze(r->client, map.data, map.len, r->registers, &reply, &st);
		snprintf(msg, sizeof(msg), "%s", st.message);
		if (code == 0)
			dwc_report_render_opts(f, reply->report, it->path, r->fmt, &ro);
	}
	dw_mapfile_close(&map);
	if (code == 0) {
		it->ok = true;
	} else {
		dwc_report_render_error(f, it->path, dwc_status_name(code), msg, r->fmt);
		fprintf(stderr, "dumpwalk: %s: %s: %s\n", it->path, dwc_status_name(code), msg);
		it->ok = false;
	}
	if (reply != NULL)
		dumpwalk__v1__analyze_reply__free_unpacked(reply, NULL);
	fclose(f);
}

static void
progress(run *r)
{
	if (!r->progress)
		return;
	size_t done = r->nok + r->nfail, width = 30, fill = r->n ? done * width / r->n : width;
	char   bar[32];
	for (size_t i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[width] = 0;
	fprintf(stderr, "\r[%s] %zu/%zu  %zu failed", bar, done, r->n, r->nfail);
}

// Print finished items in input order; called with the lock held.
static void
flush_ready(run *r)
{
	while (r->printed < r->n && r->items[r->printed].done) {
		item *it = &r->items[r->printed++];
		if (r->progress)
			fprintf(stderr, "\r\033[K");
		if (it->out != NULL)
			fwrite(it->out, 1, it->outlen, stdout);
		fflush(stdout);
		free(it->out);
		it->out = NULL;
		progress(r);
	}
}

static void *
worker(void *arg)
{
	run *r = arg;
	for (;;) {
		pthread_mutex_lock(&r->lock);
		if (r->next >= r->n) {
			pthread_mutex_unlock(&r->lock);
			return NULL;
		}
		item *it = &r->items[r->next++];
		pthread_mutex_unlock(&r->lock);
		analyze_one(r, it);
		pthread_mutex_lock(&r->lock);
		it->done = true;
		if (it->ok)
			r->nok++;
		else
			r->nfail++;
		flush_ready(r);
		pthread_mutex_unlock(&r->lock);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

// add_path appends a file, or a directory's *.dmp files in name order.
static bool
add_path(char ***paths, size_t *n, size_t *cap, const char *p)
{
	struct stat sb;
	if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		DIR *d = opendir(p);
		if (d == NULL) {
			fprintf(stderr, "dumpwalk analyze: %s: %s\n", p, strerror(errno));
			return false;
		}
		size_t         first = *n;
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			size_t l = strlen(de->d_name);
			if (l < 5 || strcasecmp(de->d_name + l - 4, ".dmp") != 0)
				continue;
			if (*n - first >= DWC_MAX_DIR_FILES)
				break;
			size_t plen = strlen(p) + l + 2;
			char  *full = malloc(plen);
			if (full == NULL)
				break;
			snprintf(full, plen, "%s/%s", p, de->d_name);
			if (*n == *cap) {
				size_t nc = *cap ? *cap * 2 : 64;
				char **np = realloc(*paths, nc * sizeof(*np));
				if (np == NULL) {
					free(full);
					break;
				}
				*paths = np;
				*cap   = nc;
			}
			(*paths)[(*n)++] = full;
		}
		closedir(d);
		qsort(*paths + first, *n - first, sizeof(char *), cmp_str);
		return true;
	}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		char **np = realloc(*paths, nc * sizeof(*np));
		if (np == NULL)
			return false;
		*paths = np;
		*cap   = nc;
	}
	(*paths)[*n] = strdup(p);
	return (*paths)[(*n)++] != NULL;
}

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: dumpwalk analyze [--local] [--format text|json|breakpad] [--json|--pretty]\n"
	        "                        [--symbols DIR]... [--symbol-path PATH] [--cache-dir DIR]\n"
	        "                        [--registers] [--timings] [--residue] [-j N] [--quiet]\n"
	        "                        [--server URL]... [--token-file F] [--tls-ca F] [--timeout MS]\n"
	        "                        FILE...|DIR\n"
	        "Analyzes minidumps with dumpwalkd (--server, or DUMPWALK_SERVER, or the default\n"
	        "socket), or in-process with --local; both print the same report. With --local,\n"
	        "symbols come from each --symbols directory (symbol-server, Breakpad or flat\n"
	        "layout), then --symbol-path (_NT_SYMBOL_PATH syntax; default $_NT_SYMBOL_PATH);\n"
	        "a daemon uses its own configured symbol path. --format breakpad prints\n"
	        "minidump_stackwalk -m lines; json follows minidump-stackwalk's JSON. The text\n"
	        "residue shows return addresses and symbolic values; --residue shows every\n"
	        "classified stack word. Exit status 1 when any dump failed.\n");
}

int
dwc_cmd_analyze(int argc, char **argv)
{
	dwc_conn_args a;
	dwc_conn_args_init(&a);
	bool     local = false, quiet = false, registers = false, timings = false;
	bool     residue_full = false;
	const char *symdirs[DWC_MAX_SYMBOL_DIRS];
	size_t      nsymdirs = 0;
	const char *sympath = NULL, *cache_dir = NULL;
	dwd_symbols *syms = NULL;
	dwc_format fmt = DWC_FORMAT_TEXT;
	unsigned jobs  = 1;
	char   **paths = NULL;
	size_t   n = 0, cap = 0;
	int      rc = 2;
	for (int i = 1; i < argc; i++) {
		int r = dwc_conn_args_parse(&a, argc, argv, &i);
		if (r < 0)
			goto out;
		if (r == 1)
			continue;
		const char *s = argv[i];
		if (strcmp(s, "--local") == 0) {
			local = true;
		} else if (strcmp(s, "--json") == 0) {
			fmt = DWC_FORMAT_JSON;
		} else if (strcmp(s, "--pretty") == 0) {
			fmt = DWC_FORMAT_JSON_PRETTY;
		} else if (strcmp(s, "--format") == 0 && i + 1 < argc) {
			const char *v = argv[++i];
			if (strcmp(v, "text") == 0)
				fmt = DWC_FORMAT_TEXT;
			else if (strcmp(v, "json") == 0)
				fmt = DWC_FORMAT_JSON_PRETTY;
			else if (strcmp(v, "breakpad") == 0)
				fmt = DWC_FORMAT_BREAKPAD;
			else {
				fprintf(stderr, "dumpwalk analyze: --format takes text, json or breakpad\n");
				goto out;
			}
		} else if (strcmp(s, "--symbols") == 0 && i + 1 < argc) {
			if (nsymdirs == DWC_MAX_SYMBOL_DIRS) {
				fprintf(stderr, "dumpwalk analyze: at most %d --symbols\n", DWC_MAX_SYMBOL_DIRS);
				goto out;
			}
			symdirs[nsymdirs++] = argv[++i];
		} else if (strcmp(s, "--symbol-path") == 0 && i + 1 < argc) {
			sympath = argv[++i];
		} else if (strcmp(s, "--cache-dir") == 0 && i + 1 < argc) {
			cache_dir = argv[++i];
		} else if (strcmp(s, "--timings") == 0) {
			timings = true;
		} else if (strcmp(s, "--residue") == 0) {
			residue_full = true;
		} else if (strcmp(s, "--registers") == 0) {
			registers = true;
		} else if (strcmp(s, "--quiet") == 0 || strcmp(s, "-q") == 0) {
			quiet = true;
		} else if (strcmp(s, "-j") == 0 && i + 1 < argc) {
			char *end;
			long  v = strtol(argv[++i], &end, 10);
			if (*end != 0 || v < 1 || v > DWC_MAX_JOBS) {
				fprintf(stderr, "dumpwalk analyze: -j takes 1..%d\n", DWC_MAX_JOBS);
				goto out;
			}
			jobs = (unsigned)v;
		} else if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
			usage(stdout);
			rc = 0;
			goto out;
		} else if (s[0] == '-' && s[1] != 0) {
			fprintf(stderr, "dumpwalk analyze: unknown option %s\n", s);
			usage(stderr);
			goto out;
		} else if (!add_path(&paths, &n, &cap, s)) {
			rc = 1;
			goto out;
		}
	}
	if (n == 0) {
		usage(stderr);
		goto out;
	}
	if (local) {
		if (sympath == NULL)
			sympath = getenv("_NT_SYMBOL_PATH");
		if (nsymdirs > 0 || (sympath != NULL && sympath[0] != 0)) {
			dwd_symbols_opts so = {0};
			so.dirs             = symdirs;
			so.ndirs            = nsymdirs;
			so.symbol_path      = sympath;
			so.cache_dir        = cache_dir;
			char why[600];
			if (dwd_symbols_new(&syms, &so, why, sizeof(why)) != 0) {
				fprintf(stderr, "dumpwalk analyze: %s\n", why);
				goto out;
			}
		}
	} else if (nsymdirs > 0 || sympath != NULL) {
		fprintf(stderr, "dumpwalk analyze: --symbols and --symbol-path apply to --local; "
		                "the daemon uses its own symbol path (dumpwalkd --symbol-path)\n");
	}
	run r    = {0};
	r.n      = n;
	r.fmt    = fmt;
	r.symbols = syms;
	r.timings = timings;
	r.residue_full = residue_full;
	r.budget = 0;
	r.registers = registers;
	r.progress  = !quiet && isatty(STDERR_FILENO) && n > 1;
	r.items     = calloc(n, sizeof(*r.items));
	if (r.items == NULL) {
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		r.items[i].path = paths[i];
	if (!local && (r.client = dwc_conn_open(&a, "analyze")) == NULL) {
		free(r.items);
		rc = 1;
		goto out;
	}
	pthread_mutex_init(&r.lock, NULL);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (jobs > n)
		jobs = (unsigned)n;
	pthread_t th[DWC_MAX_JOBS];
	unsigned  started = 0;
	for (unsigned i = 1; i < jobs; i++)
		if (pthread_create(&th[started], NULL, worker, &r) == 0)
			started++;
	worker(&r);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (r.progress)
		fprintf(stderr, "\r\033[K");
	if (!quiet && n > 1)
		fprintf(stderr, "dumpwalk analyze: %zu dumps, %zu ok, %zu failed in %.2f s (%.1f/s) %s\n",
		        n, r.nok, r.nfail, secs, secs > 0 ? (double)n / secs : 0.0,
		        local ? "in-process" : "via dumpwalkd");
	rc = r.nfail == 0 ? 0 : 1;
	if (fflush(stdout) != 0)
		rc = 1;
	pthread_mutex_destroy(&r.lock);
	dwc_client_close(r.client);
	free(r.items);
out:
	dwd_symbols_free(syms);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	dwc_conn_args_fini(&a);
	return rc;
}
