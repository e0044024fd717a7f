#define _GNU_SOURCE
// tests/integration/symserver_analyze_test.c - the real dumpwalkd fetching
// symbols from a real HTTP symbol server on loopback (tests/symbols/
// symserver.py, with its access log as the evidence):
//  - 100 concurrent analyses of one dump against a cold cache make exactly
//    one request per file; a second round against the warm cache makes none;
//  - hostile module and PDB names from a crafted dump never leave the store
//    layout, never reach the server in a traversing form and never create a
//    file outside the cache directory.
// Every daemon and server is started and stopped by its test; every wait is
// bounded; nothing leaves 127.0.0.1.
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clients/client.h"
#include "tests/integration/daemon_proc.h"
#include "symbols/resolve.h"
#include "tests/symbols/symserver.h"
#include "tests/synth/synth.h"

#define SIGSEGV_PDB_PATH "/sigsegv.pdb/7DD47A9FC2E8499AA78EC14AE2C965A21/sigsegv.pdb"
#define NCONC 100

typedef struct daemon {
	pid_t pid;
	char  dir[256];
	char  url[512];
} daemon_t;

static void
no_proxies(void)
{
	// Loopback only: neither we nor the daemon's libcurl may use a proxy.
	static const char *const proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
	                                      "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]);
	setenv("NO_PROXY", "127.0.0.1,localhost", 1);
}

// daemon_start runs dumpwalkd on ipc:// with the given symbol path and cache.
static void
daemon_start(daemon_t *d, const char *symbol_path, const char *cache_dir)
{
	memset(d, 0, sizeof(*d));
	scratch_dir(d->dir, "sad");
	snprintf(d->url, sizeof(d->url), "ipc://%s/d.sock", d->dir);
	char cfg[4096];
	snprintf(cfg, sizeof(cfg),
	         "[server]\nlisten = %s\nhttp =\nworkers = 8\nqueue_depth = 512\n"
	         "[symbols]\nsymbol_path = %s\ncache_dir = %s\n",
	         d->url, symbol_path, cache_dir);
	d->pid = dp_start(d->dir, cfg, dp_client(d->url, NULL, NULL, 300, 0), 10);
}

// daemon_stop sends SIGTERM (SIGKILL after 10 s); returns the exit status.
static int
daemon_stop(daemon_t *d)
{
	int rc = dp_stop(d->pid, d->dir);
	d->pid = 0;
	return rc;
}

// ---- the access log ---------------------------------------------------------------

typedef struct logline {
	char method[16];
	char path[1536];
	int  status;
} logline;

// read_log parses "METHOD PATH STATUS port=N" lines; returns the count.
static size_t
read_log(const symserver *s, logline **out)
{
	*out    = NULL;
	FILE *f = fopen(s->log, "r");
	if (f == NULL)
		return 0;
	size_t   n = 0, cap = 0;
	logline *v = NULL;
	char     line[2048];
	while (fgets(line, sizeof(line), f) != NULL) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v   = realloc(v, cap * sizeof(*v));
			cr_assert_not_null(v);
		}
		logline *l = &v[n];
		memset(l, 0, sizeof(*l));
		char *sp1 = strchr(line, ' ');
		char *pt  = strstr(line, " port=");
		if (sp1 == NULL || pt == NULL)
			continue;
		char *sp2 = pt;
		while (sp2 > sp1 && sp2[-1] != ' ')
			sp2--;
		// line: METHOD ' ' PATH ' ' STATUS " port="
		snprintf(l->method, sizeof(l->method), "%.*s", (int)(sp1 - line), line);
		size_t plen = sp2 > sp1 + 1 ? (size_t)(sp2 - 1 - (sp1 + 1)) : 0;
		snprintf(l->path, sizeof(l->path), "%.*s", (int)plen, sp1 + 1);
		l->status = atoi(sp2);
		n++;
	}
	fclose(f);
	*out = v;
	return n;
}

// ---- 1. one request per file however many analyses wait for it -------------------

typedef struct job {
	dwc_client    *c;
	const uint8_t *dump;
	size_t         len;
	int            rc;
	char           msg[512];
	bool           named; // crash -> foo -> main -> mainCRTStartup
	char           frames[256];
	char           sym_status[32];
} job;

static void *
analyze_one(void *arg)
{
	job                        *j = arg;
	Dumpwalk__V1__AnalyzeReply *r = NULL;
	dwc_status                  st;
	memset(&st, 0, sizeof(st));
	j->rc = dwc_client_analyze(j->c, j->dump, j->len, false, &r, &st);
	snprintf(j->msg, sizeof(j->msg), "%s", st.message);
	if (j->rc != 0 || r == NULL || r->report == NULL)
		goto out;
	const Dumpwalk__V1__AnalysisReport *rep = r->report;
	if (rep->crash == NULL || !rep->crash->has_crashing_thread ||
	    rep->crash->crashing_thread >= rep->n_threads)
		goto out;
	const Dumpwalk__V1__Stack *t = rep->threads[rep->crash->crashing_thread]->stack;
	if (t == NULL)
		goto out;
	static const char *const want[] = {"crash", "foo", "main", "mainCRTStartup"};
	bool                     ok     = t->n_frames >= 4;
	size_t                   o      = 0;
	for (size_t i = 0; i < t->n_frames && i < 4; i++) {
		const char *fn = t->frames[i]->function ? t->frames[i]->function : "";
		o += (size_t)snprintf(j->frames + o, sizeof(j->frames) - o, "%s%s", i ? " -> " : "",
		                      fn);
		if (o >= sizeof(j->frames))
			o = sizeof(j->frames) - 1;
		if (strcmp(fn, want[i]) != 0 || strcmp(t->frames[i]->module, "sigsegv.exe") != 0)
			ok = false;
	}
	j->named = ok;
	for (size_t i = 0; i < rep->n_modules; i++)
		if (strcmp(rep->modules[i]->code_file, "sigsegv.exe") == 0 ||
		    strstr(rep->modules[i]->code_file, "sigsegv.exe") != NULL) {
			if (rep->modules[i]->symbols != NULL)
				snprintf(j->sym_status, sizeof(j->sym_status), "%s",
				         rep->modules[i]->symbols->status);
		}
out:
	if (r != NULL)
		dumpwalk__v1__analyze_reply__free_unpacked(r, NULL);
	return NULL;
}

// run_round submits NCONC analyses at once from NCONC threads.
static void
run_round(const daemon_t *d, const uint8_t *dump, size_t len, const char *round)
{
	dwc_client *c    = dp_client(d->url, NULL, NULL, 50000, 20);
	job        *jobs = calloc(NCONC, sizeof(*jobs));
	pthread_t   th[NCONC];
	for (size_t i = 0; i < NCONC; i++) {
		jobs[i].c    = c;
		jobs[i].dump = dump;
		jobs[i].len  = len;
		cr_assert_eq(pthread_create(&th[i], NULL, analyze_one, &jobs[i]), 0);
	}
	for (size_t i = 0; i < NCONC; i++)
		pthread_join(th[i], NULL);
	dwc_client_close(c);
	size_t ok = 0;
	for (size_t i = 0; i < NCONC; i++) {
		cr_expect_eq(jobs[i].rc, 0, "%s: analysis %zu: %s (%s)", round, i,
		             dwc_status_name(jobs[i].rc), jobs[i].msg);
		cr_expect(jobs[i].named, "%s: analysis %zu: frames %s", round, i, jobs[i].frames);
		cr_expect_str_eq(jobs[i].sym_status, "loaded", "%s: analysis %zu", round, i);
		ok += jobs[i].rc == 0 && jobs[i].named;
	}
	cr_log_info("%s: %zu of %d analyses succeeded with crash -> foo -> main -> mainCRTStartup",
	            round, ok, NCONC);
	free(jobs);
}

TestSuite(symserver_analyze, .init = no_proxies, .timeout = 120);

Test(symserver_analyze, concurrent_cold_cache_one_request_per_file)
{
	const char *corp = corpus_dir();
	if (corp == NULL)
		cr_skip_test("DW_CORPUS not set or has no symbols/: ../shared/corpus is absent, no "
		             "sigsegv.dmp and no symbol store to serve");
	char dump_path[1200];
	snprintf(dump_path, sizeof(dump_path), "%s/dumps/lldb/sigsegv.dmp", corp);
	if (access(dump_path, R_OK) != 0)
		cr_skip_test("%s is absent", dump_path);
	size_t   len;
	uint8_t *dump = (uint8_t *)dp_slurp(dump_path, &len);

	// The server serves the corpus's symbols/ and binaries/, which are in
	// symstore layout (sigsegv.pdb/GUIDAGE/sigsegv.pdb).
	symserver srv;
	symserver_start(&srv, true);
	char root[256], cache[300], sp[700];
	scratch_dir(root, "sacache");
	snprintf(cache, sizeof(cache), "%s/cache", root);
	snprintf(sp, sizeof(sp), "srv*%s*%s", cache, srv.base);
	daemon_t d;
	daemon_start(&d, sp, cache);

	run_round(&d, dump, len, "round 1 (cold cache)");

	logline *l  = NULL;
	size_t   n1 = read_log(&srv, &l);
	cr_expect_gt(n1, 0, "no request reached the server");
	size_t pdb_hits = 0, dups = 0;
	for (size_t i = 0; i < n1; i++) {
		size_t same = 0;
		for (size_t k = 0; k < n1; k++)
			same += strcmp(l[i].path, l[k].path) == 0;
		bool first = true;
		for (size_t k = 0; k < i; k++)
			if (strcmp(l[i].path, l[k].path) == 0)
				first = false;
		if (first)
			cr_log_info("round 1: %s %s -> %d, requested %zu time(s)", l[i].method, l[i].path,
			            l[i].status, same);
		cr_expect_eq(same, 1, "round 1: %s was requested %zu times", l[i].path, same);
		dups += same != 1;
		if (strcmp(l[i].path, SIGSEGV_PDB_PATH) == 0) {
			pdb_hits++;
			cr_expect_eq(l[i].status, 200);
		}
	}
	cr_expect_eq(pdb_hits, 1, "round 1: %s requested %zu times", SIGSEGV_PDB_PATH, pdb_hits);
	cr_log_info("round 1: %zu requests, %zu paths requested more than once", n1, dups);
	free(l);
	cr_expect(tree_has_file(cache, "/sigsegv.pdb"), "sigsegv.pdb is not in the cache");

	run_round(&d, dump, len, "round 2 (warm cache)");
	size_t n2 = read_log(&srv, &l);
	for (size_t i = n1; i < n2; i++)
		cr_log_error("round 2: unexpected request %s %s -> %d", l[i].method, l[i].path,
		             l[i].status);
	cr_expect_eq(n2, n1, "round 2 against the warm cache made %zu requests", n2 - n1);
	cr_log_info("round 2: %zu requests", n2 - n1);
	free(l);

	cr_expect_eq(daemon_stop(&d), 0, "dumpwalkd did not exit cleanly; see %s", d.dir);
	symserver_stop(&srv);
	rm_rf(root);
	free(dump);
}

// ---- 2. hostile names from a crafted dump ------------------------------------------

enum { T_THREAD_LIST = 3, T_MODULE_LIST = 4, T_SYSTEM_INFO = 7 };

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

// An amd64 CONTEXT (1232 bytes): ContextFlags at 48, Rsp 152, Rbp 160, Rip 248.
static void
amd64_context(uint8_t *b, uint64_t rip, uint64_t rsp)
{
	memset(b, 0, 1232);
	put32(b + 48, 0x10001f);
	put64(b + 152, rsp);
	put64(b + 160, rsp);
	put64(b + 248, rip);
}

static void
system_info_amd64(dws_dump *s)
{
	dws_stream_begin(s, T_SYSTEM_INFO);
	dws_u16(&s->b, 9);     // PROCESSOR_ARCHITECTURE_AMD64
	dws_u16(&s->b, 6);     // level
	dws_u16(&s->b, 0xd08); // revision
	dws_u8(&s->b, 4);      // processors
	dws_u8(&s->b, 1);      // product type
	dws_u32(&s->b, 10);    // major
	dws_u32(&s->b, 0);     // minor
	dws_u32(&s->b, 19045); // build
	dws_u32(&s->b, 2);     // platform
	dws_u32(&s->b, 0);     // CSD
	dws_u16(&s->b, 0x100); // suite
	dws_u16(&s->b, 0);
	dws_bytes(&s->b, "GenuineIntel", 12);
	dws_u32(&s->b, 0x6d8);
	dws_u32(&s->b, 0xafe9fbff);
	dws_u32(&s->b, 0xffffffff);
	dws_stream_end(s);
}

static uint32_t
rsds(dws_dump *s, const char *pdb, uint32_t age)
{
	dws_buf b = {0};
	dws_u32(&b, 0x53445352);
	dws_u32(&b, 0x5a9832e5);
	dws_u16(&b, 0x2872);
	dws_u16(&b, 0x41c1);
	static const uint8_t d4[8] = {0x83, 0x8e, 0xd9, 0x89, 0x14, 0xe9, 0xb7, 0xff};
	dws_bytes(&b, d4, 8);
	dws_u32(&b, age);
	dws_bytes(&b, pdb, strlen(pdb) + 1);
	uint32_t rva = dws_blob(s, b.data, b.len);
	dws_buf_fini(&b);
	return rva;
}

static void
module_entry(dws_buf *b, uint64_t base, uint32_t size, uint32_t stamp, uint32_t name_rva,
             uint32_t cv_size, uint32_t cv_rva)
{
	dws_u64(b, base);
	dws_u32(b, size);
	dws_u32(b, 0x1234); // checksum
	dws_u32(b, stamp);
	dws_u32(b, name_rva);
	dws_zeros(b, 13 * 4); // VS_FIXEDFILEINFO
	dws_u32(b, cv_size);
	dws_u32(b, cv_rva);
	dws_u32(b, 0); // misc record
	dws_u32(b, 0);
	dws_zeros(b, 16);
}

typedef struct hostile {
	const char *module; // the module's path in the dump
	const char *pdb;    // the RSDS PDB name
	const char *marker; // a substring no request may contain ("" none)
} hostile;

static char long_pdb[320], long_dll[320];

static const hostile hostiles[] = {
    {"..\\..\\..\\etc\\passwd", "..\\..\\..\\etc\\passwd", ""},
    {"C:\\x\\..\\..\\y.dll", "C:\\x\\..\\..\\y.pdb", ""},
    {"ctl\x01\x1b[2J.dll", "ctl\x01\x1b[2J\n.pdb", "ctl"},
    {long_dll, long_pdb, "AAAAAAAAAAAAAAAA"},
    {"/abs/path.dll", "/abs/path.pdb", "/abs/"},
    {"con.dll", "con.pdb", "con."},
    {"..", "..", ""},
    {"C:evil.dll", "C:evil.pdb", "evil"},
    {"a/../../b.dll", "a/../../../b.pdb", ""},
};
#define NHOSTILE (sizeof(hostiles) / sizeof(hostiles[0]))
#define HBASE 0x10000000ull

static uint8_t *
hostile_dump(size_t *len)
{
	memset(long_pdb, 'A', 300);
	memcpy(long_pdb + 300, ".pdb", 5);
	memset(long_dll, 'A', 300);
	memcpy(long_dll + 300, ".dll", 5);
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0x5f000000);
	system_info_amd64(&s);
	// One thread per module, its RIP inside that module, so every module is
	// asked for symbols; a small stack of zeros.
	uint32_t ctx[NHOSTILE], stack[NHOSTILE], name[NHOSTILE], cv[NHOSTILE];
	uint8_t  c[1232], zeros[256] = {0};
	for (size_t i = 0; i < NHOSTILE; i++) {
		uint64_t base = HBASE + i * 0x100000;
		amd64_context(c, base + 0x1010, 0x7ff0000 + i * 0x10000);
		ctx[i]   = dws_blob(&s, c, sizeof(c));
		stack[i] = dws_blob(&s, zeros, sizeof(zeros));
		name[i]  = dws_string(&s, hostiles[i].module);
		cv[i]    = rsds(&s, hostiles[i].pdb, 1);
	}
	dws_stream_begin(&s, T_THREAD_LIST);
	dws_u32(&s.b, (uint32_t)NHOSTILE);
	for (size_t i = 0; i < NHOSTILE; i++) {
		dws_u32(&s.b, (uint32_t)(100 + i)); // thread id
		dws_u32(&s.b, 0);                   // suspend count
		dws_u32(&s.b, 0x20);                // priority class
		dws_u32(&s.b, 0);                   // priority
		dws_u64(&s.b, 0x7ffde000);          // TEB
		dws_u64(&s.b, 0x7ff0000 + i * 0x10000);
		dws_u32(&s.b, sizeof(zeros));
		dws_u32(&s.b, stack[i]);
		dws_u32(&s.b, 1232);
		dws_u32(&s.b, ctx[i]);
	}
	dws_stream_end(&s);
	dws_stream_begin(&s, T_MODULE_LIST);
	dws_u32(&s.b, (uint32_t)NHOSTILE);
	for (size_t i = 0; i < NHOSTILE; i++) {
		size_t plen = strlen(hostiles[i].pdb);
		module_entry(&s.b, HBASE + i * 0x100000, 0x80000, 0x5f000000 + (uint32_t)i, name[i],
		             (uint32_t)(24 + plen + 1), cv[i]);
	}
	dws_stream_end(&s);
	size_t         n;
	const uint8_t *p   = dws_dump_finish(&s, &n);
	uint8_t       *out = malloc(n);
	memcpy(out, p, n);
	*len = n;
	dws_dump_fini(&s);
	return out;
}

// The list of every path under a tree except those under `skip` (sorted,
// newline-separated).
static char  *tree_buf;
static size_t tree_len, tree_cap;
static const char *tree_skip;

static int
list_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	size_t sl = strlen(tree_skip);
	if (strncmp(p, tree_skip, sl) == 0 && (p[sl] == '/' || p[sl] == '\0'))
		return 0;
	size_t n = strlen(p);
	if (tree_len + n + 2 > tree_cap) {
		tree_cap = (tree_len + n + 2) * 2;
		tree_buf = realloc(tree_buf, tree_cap);
	}
	memcpy(tree_buf + tree_len, p, n);
	tree_len += n;
	tree_buf[tree_len++] = '\n';
	tree_buf[tree_len]   = '\0';
	return 0;
}

static char *
tree_list(const char *dir, const char *skip)
{
	tree_buf  = calloc(1, 1);
	tree_len  = 0;
	tree_cap  = 1;
	tree_skip = skip;
	nftw(dir, list_one, 16, FTW_PHYS);
	return tree_buf;
}

// Every file under the cache resolves inside it (no symlink or name escapes).
static const char *cache_real;
static size_t      escapes;

static int
check_inside(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	char rp[PATH_MAX];
	if (flag == FTW_SL) {
		cr_log_error("symlink in the cache: %s", p);
		escapes++;
		return 0;
	}
	if (realpath(p, rp) == NULL || strncmp(rp, cache_real, strlen(cache_real)) != 0) {
		cr_log_error("outside the cache: %s", p);
		escapes++;
	}
	return 0;
}

Test(symserver_analyze, hostile_names_are_refused)
{
	size_t   len;
	uint8_t *dump = hostile_dump(&len);

	// The server has no corpus: every request is a miss, and logged.
	symserver srv;
	symserver_start(&srv, false);
	char root[256], cache[300], sp[700];
	scratch_dir(root, "sahostile");
	snprintf(cache, sizeof(cache), "%s/cache", root);
	cr_assert_eq(mkdir(cache, 0755), 0);
	snprintf(sp, sizeof(sp), "srv*%s*%s", cache, srv.base);
	// The temporary tree's files (the scratch root without the cache, and
	// the folder holding it) before the analysis.
	char parent[300];
	snprintf(parent, sizeof(parent), "%s", root);
	*strrchr(parent, '/') = '\0';
	char *before_root     = tree_list(root, cache);
	daemon_t d;
	daemon_start(&d, sp, cache);

	dwc_client                 *c = dp_client(d.url, NULL, NULL, 50000, 5);
	Dumpwalk__V1__AnalyzeReply *r = NULL;
	dwc_status                  st;
	memset(&st, 0, sizeof(st));
	int rc = dwc_client_analyze(c, dump, len, false, &r, &st);
	cr_assert_eq(rc, 0, "analysis failed: %s (%s)", dwc_status_name(rc), st.message);
	cr_assert_not_null(r->report);
	const Dumpwalk__V1__AnalysisReport *rep = r->report;
	cr_expect(rep->symbols_configured);
	cr_assert_eq(rep->n_modules, NHOSTILE, "%zu modules", rep->n_modules);
	for (size_t i = 0; i < rep->n_modules; i++) {
		const Dumpwalk__V1__Module *m = rep->modules[i];
		cr_assert_not_null(m->symbols, "module %zu has no symbol status", i);
		cr_log_info("module %zu: code_file \"%s\" debug_file \"%s\": %s (%s)", i,
		            m->code_file, m->debug_file, m->symbols->status,
		            m->symbols->origin ? m->symbols->origin : "");
		cr_expect(strcmp(m->symbols->status, "missing") == 0 ||
		              strcmp(m->symbols->status, "refused") == 0,
		          "module %zu (%s): status %s", i, m->code_file, m->symbols->status);
	}
	dumpwalk__v1__analyze_reply__free_unpacked(r, NULL);
	dwc_client_close(c);
	cr_expect_eq(daemon_stop(&d), 0, "dumpwalkd did not exit cleanly; see %s", d.dir);

	// The access log: only store-layout paths (/NAME/ID/FILE), none
	// traversing, none carrying a refused name.
	logline *l = NULL;
	size_t   n = read_log(&srv, &l);
	for (size_t i = 0; i < n; i++) {
		const char *p = l[i].path;
		cr_log_info("request: %s %s -> %d", l[i].method, p, l[i].status);
		cr_expect(strstr(p, "..") == NULL, "traversing request %s", p);
		cr_expect(strcasestr(p, "%2e%2e") == NULL && strcasestr(p, "%2e.") == NULL &&
		              strcasestr(p, ".%2e") == NULL,
		          "encoded traversal in %s", p);
		cr_expect(strcasestr(p, "%2f") == NULL && strcasestr(p, "%5c") == NULL &&
		              strchr(p, '\\') == NULL,
		          "encoded separator in %s", p);
		cr_expect(strcasestr(p, "%3a") == NULL && strchr(p, ':') == NULL, "drive in %s", p);
		cr_expect(strstr(p, "/etc/") == NULL, "etc in %s", p);
		for (const char *q = p; *q; q++)
			cr_expect((unsigned char)*q >= 0x20 && *q != 0x7f, "control byte in %s", p);
		for (size_t k = 0; k < NHOSTILE; k++)
			if (hostiles[k].marker[0] != 0)
				cr_expect(strstr(p, hostiles[k].marker) == NULL, "refused name in %s", p);
		// /NAME/ID/FILE with NAME == FILE (or FILE a compressed/ptr variant).
		int  slashes = 0;
		for (const char *q = p; *q; q++)
			slashes += *q == '/';
		cr_expect(slashes == 3 && p[0] == '/', "not a store path: %s", p);
	}
	cr_log_info("hostile dump: %zu requests reached the server", n);
	free(l);

	// Nothing created outside the cache: the scratch root (minus the cache)
	// is unchanged, no /abs, no etc/passwd or y.pdb beside the root, and
	// every file in the cache resolves inside it.
	char *after_root = tree_list(root, cache);
	cr_expect_str_eq(after_root, before_root, "files appeared outside the cache");
	struct stat sb;
	cr_expect_neq(stat("/abs", &sb), 0, "/abs was created");
	char p2[700];
	static const char *const strays[] = {"etc", "y.pdb", "y.dll", "b.pdb", "b.dll",
	                                     "passwd", "con.pdb", "path.pdb"};
	for (size_t i = 0; i < sizeof(strays) / sizeof(strays[0]); i++) {
		snprintf(p2, sizeof(p2), "%s/%s", parent, strays[i]);
		cr_expect_neq(lstat(p2, &sb), 0, "%s was created", p2);
		snprintf(p2, sizeof(p2), "%s/%s", root, strays[i]);
		cr_expect_neq(lstat(p2, &sb), 0, "%s was created", p2);
	}
	char creal[PATH_MAX];
	cr_assert_not_null(realpath(cache, creal));
	cache_real = creal;
	escapes    = 0;
	nftw(cache, check_inside, 16, FTW_PHYS);
	cr_expect_eq(escapes, 0);
	char *in_cache = tree_list(cache, "/nonexistent-skip");
	cr_log_info("cache after the hostile dump:\n%s", in_cache);
	free(in_cache);
	free(before_root);
	free(after_root);
	symserver_stop(&srv);
	rm_rf(root);
	free(dump);
}

// The daemon's report says only "missing" for a module without symbols; the
// resolver it uses says why: each name no store path can hold is refused
// with a note (same names as above, same identity, no network).
Test(symserver_analyze, hostile_names_refused_by_the_resolver_with_a_note)
{
	memset(long_pdb, 'A', 300);
	memcpy(long_pdb + 300, ".pdb", 5);
	char root[256], sp[300];
	scratch_dir(root, "saresolve");
	snprintf(sp, sizeof(sp), "%s/cache", root);
	dw_symcache *cache = NULL;
	cr_assert_eq(dw_symcache_open(&cache, sp, NULL, NULL), DW_OK);
	dw_sympath path;
	dw_sympath_init(&path);
	char text[400];
	snprintf(text, sizeof(text), "cache*%s", sp);
	cr_assert_eq(dw_sympath_parse(&path, text, NULL), DW_OK);
	dw_resolver *res = NULL;
	cr_assert_eq(dw_resolver_new(&res, &path, cache), DW_OK);
	static const char *const refused[] = {"ctl\x01\x1b[2J\n.pdb", long_pdb, "..",
	                                      "C:evil.pdb", "con.pdb", "x\\..", "y.pdb:stream"};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		dw_symmodule_req req = {.debug_file = refused[i],
		                        .debug_id   = "5A9832E5287241C1838ED98914E9B7FF1",
		                        .want       = DW_FILE_PDB};
		dw_symmodule     m;
		cr_assert_eq(dw_resolver_module(&m, res, NULL, &req), DW_OK);
		cr_log_info("pdb name %zu: %s: %s", i, dw_symstatus_name(m.pdb.status), m.pdb.note);
		cr_expect_eq(m.pdb.status, DW_SYMST_REFUSED, "name %zu (%.40s): %s", i, refused[i],
		             dw_symstatus_name(m.pdb.status));
		cr_expect(strstr(m.pdb.note, "refused") != NULL ||
		              strstr(m.pdb.note, "longer than") != NULL,
		          "name %zu: note \"%s\"", i, m.pdb.note);
		dw_symmodule_fini(&m);
	}
	dw_resolver_free(res);
	dw_sympath_fini(&path);
	dw_symcache_close(cache);
	rm_rf(root);
}
