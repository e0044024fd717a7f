#define _GNU_SOURCE
// tests/integration/prefetch_test.c - PrefetchSymbols and the symbol metrics,
// end to end: a real HTTP symbol server on loopback (tests/symbols/
// symserver.py, its access log as the evidence) serving our own x64
// null_write.pdb and null_write.exe (tests/corpus) in symstore layout, the
// real dumpwalkd on ipc:// with its /metrics endpoint, driven by the real
// `dumpwalk symbols prefetch` and `dumpwalk analyze`.
//
// Needs nothing from ../shared: every fixture is in this repository. Every
// daemon and server is started and stopped by its test; every wait is
// bounded; nothing leaves 127.0.0.1.
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clients/client.h"
#include "tests/integration/daemon_proc.h"
#include "tests/symbols/symserver.h"

extern char **environ;

#define NW_PDB_ID "F3FD2B7B82B56F634C4C44205044422E1"
#define NW_EXE_ID "6B020C112a000"
#define MISSING_ID "0123456789ABCDEF0123456789ABCDEF1"

typedef struct daemon {
	pid_t pid;
	char  dir[256];
	char  url[512];
	int   http_port;
	char  cache[300];
} daemon_t;

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

static const char *
corpus_file(const char *name)
{
	static char buf[4][1024];
	static int  k;
	const char *root = getenv("DW_SOURCE_ROOT");
	cr_assert_not_null(root, "DW_SOURCE_ROOT not set");
	char *b = buf[k++ % 4];
	snprintf(b, sizeof(buf[0]), "%s/tests/corpus/x64/null_write/%s", root, name);
	cr_assert_eq(access(b, R_OK), 0, "%s is missing", b);
	return b;
}

static off_t
file_size(const char *path)
{
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
	return st.st_size;
}

// The store: null_write.pdb by GUID+age and null_write.exe by code id.
static void
fill_store(const symserver *srv)
{
	char dst[600];
	snprintf(dst, sizeof(dst), "%s/null_write.pdb/%s/null_write.pdb", srv->extra, NW_PDB_ID);
	copy_file(corpus_file("null_write.pdb"), dst);
	snprintf(dst, sizeof(dst), "%s/null_write.exe/%s/null_write.exe", srv->extra, NW_EXE_ID);
	copy_file(corpus_file("null_write.exe"), dst);
}

// daemon_start runs dumpwalkd on ipc:// with /metrics on a loopback port
// and the symbol path srv*CACHE*<base><suffix>.
static void
daemon_start(daemon_t *d, const symserver *srv, const char *suffix)
{
	memset(d, 0, sizeof(*d));
	scratch_dir(d->dir, "pft");
	snprintf(d->url, sizeof(d->url), "ipc://%s/d.sock", d->dir);
	snprintf(d->cache, sizeof(d->cache), "%s/cache", d->dir);
	d->http_port = dp_free_port();
	char cfg[4096];
	snprintf(cfg, sizeof(cfg),
	         "[server]\nlisten = %s\nhttp = http://127.0.0.1:%d\nworkers = 2\n"
	         "[symbols]\nsymbol_path = srv*%s*%s%s\ncache_dir = %s\n",
	         d->url, d->http_port, d->cache, srv->base, suffix, d->cache);
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

// run_cli runs `dumpwalk ARGS...` (NULL-terminated) with stdout and stderr
// in *out (caller frees); returns its exit status. Bounded: 60 s.
static int
run_cli(const daemon_t *d, char **out, const char *const *args)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/cli.out", d->dir);
	const char *argv[32];
	size_t      k = 0;
	argv[k++]     = getenv("DUMPWALK");
	cr_assert_not_null(argv[0], "DUMPWALK not set");
	for (; *args != NULL && k < 30; args++)
		argv[k++] = *args;
	argv[k] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	pid_t pid;
	cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, (char **)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	int rc = -1;
	for (int i = 0; i < 2400; i++) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			break;
		}
		sleep_ms(25);
	}
	if (rc == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		cr_assert_fail("dumpwalk did not finish within 60 s");
	}
	*out = dp_slurp(path, NULL);
	return rc;
}

// metric reads one sample ("name{labels} value" or "name value") from
// /metrics; fails the test when the sample is absent.
static uint64_t
metric(const daemon_t *d, const char *sample)
{
	char *page = dp_http_get(d->http_port, "/metrics");
	cr_assert(strncmp(page, "HTTP/1.1 200", 12) == 0, "/metrics: %.200s", page);
	size_t sl = strlen(sample);
	for (char *l = strstr(page, "\r\n\r\n"); l != NULL; l = strchr(l + 1, '\n')) {
		char *line = l[0] == '\n' ? l + 1 : l;
		if (strncmp(line, sample, sl) == 0 && line[sl] == ' ') {
			uint64_t v = strtoull(line + sl + 1, NULL, 10);
			free(page);
			return v;
		}
	}
	cr_log_error("%s", page);
	free(page);
	cr_assert_fail("/metrics has no sample %s", sample);
	return 0;
}

static void
expect_in(const char *hay, const char *needle, const char *what)
{
	cr_expect(strstr(hay, needle) != NULL, "%s: no \"%s\" in:\n%s", what, needle, hay);
}

TestSuite(integration_prefetch, .init = no_proxies, .timeout = 120);

#define DL_OK "dumpwalk_symbol_downloads_total{result=\"ok\"}"
#define DL_NOT_FOUND "dumpwalk_symbol_downloads_total{result=\"not_found\"}"
#define DL_NETWORK "dumpwalk_symbol_downloads_total{result=\"network\"}"
#define DL_BYTES "dumpwalk_symbol_download_bytes_total"
#define HITS "dumpwalk_symbol_cache_hits_total"
#define MISSES "dumpwalk_symbol_cache_misses_total"
#define NEG_HITS "dumpwalk_symbol_cache_negative_hits_total"
#define WRITTEN "dumpwalk_symbol_cache_written_bytes_total"
#define READ_BYTES "dumpwalk_symbol_cache_read_bytes_total"

Test(integration_prefetch, prefetch_downloads_once_then_hits_and_misses_are_counted)
{
	symserver srv;
	symserver_start(&srv, false);
	fill_store(&srv);
	daemon_t d;
	daemon_start(&d, &srv, "");
	off_t pdb_size = file_size(corpus_file("null_write.pdb"));
	cr_expect_eq(metric(&d, DL_OK), 0);
	cr_expect_eq(metric(&d, HITS), 0);

	// 1. A cold prefetch downloads the PDB, once, and says so.
	char *out;
	int   rc = run_cli(&d, &out,
	                   (const char *const[]){"symbols", "prefetch", "--server", d.url,
	                                         "null_write.pdb", NW_PDB_ID, NULL});
	cr_expect_eq(rc, 0, "exit %d:\n%s", rc, out);
	expect_in(out, "found     null_write.pdb " NW_PDB_ID ": pdb downloaded from", "prefetch 1");
	expect_in(out, "1 modules: 1 found, 0 not found, 0 failed", "prefetch 1");
	free(out);
	char cached[700];
	snprintf(cached, sizeof(cached), "%s/null_write.pdb/%s/null_write.pdb", d.cache,
	         NW_PDB_ID);
	cr_expect_eq(file_size(cached), pdb_size, "the cached PDB differs in size");
	cr_expect_eq(metric(&d, DL_OK), 1);
	cr_expect_eq(metric(&d, DL_BYTES), (uint64_t)pdb_size);
	cr_expect_eq(metric(&d, WRITTEN), (uint64_t)pdb_size);
	cr_expect_eq(metric(&d, MISSES), 1);
	cr_expect_eq(metric(&d, HITS), 0);
	cr_expect_eq(symserver_count(&srv, "/null_write.pdb/"), 1);
	size_t requests = symserver_total(&srv);

	// 2. Again: the cache answers; no request reaches the server.
	rc = run_cli(&d, &out,
	             (const char *const[]){"symbols", "prefetch", "--server", d.url,
	                                   "null_write.pdb", NW_PDB_ID, NULL});
	cr_expect_eq(rc, 0, "exit %d:\n%s", rc, out);
	expect_in(out, "pdb cached from", "prefetch 2");
	free(out);
	cr_expect_eq(metric(&d, HITS), 1);
	cr_expect_eq(metric(&d, READ_BYTES), (uint64_t)pdb_size);
	cr_expect_eq(metric(&d, DL_OK), 1, "a cache hit must not download");
	cr_expect_eq(metric(&d, DL_BYTES), (uint64_t)pdb_size);
	cr_expect_eq(symserver_total(&srv), requests);

	// 3. A module the server lacks: not found (exit 3), the misses and the
	// not_found downloads move; asked again, its negative entry answers.
	rc = run_cli(&d, &out,
	             (const char *const[]){"symbols", "prefetch", "--server", d.url,
	                                   "nothere.pdb", MISSING_ID, NULL});
	cr_expect_eq(rc, 3, "exit %d:\n%s", rc, out);
	expect_in(out, "not-found nothere.pdb " MISSING_ID ": pdb missing", "prefetch 3");
	free(out);
	// The PDB and, since no PDB was found, the .sym: two misses, two
	// not-found downloads.
	cr_expect_eq(metric(&d, MISSES), 3);
	cr_expect_eq(metric(&d, DL_NOT_FOUND), 2);
	cr_expect_eq(metric(&d, DL_OK), 1);
	cr_expect_eq(metric(&d, "dumpwalk_prefetch_modules_total{result=\"not_found\"}"), 1);
	cr_expect_eq(metric(&d, "dumpwalk_prefetch_modules_total{result=\"found\"}"), 2);
	size_t after_miss = symserver_total(&srv);
	rc = run_cli(&d, &out,
	             (const char *const[]){"symbols", "prefetch", "--server", d.url,
	                                   "nothere.pdb", MISSING_ID, NULL});
	cr_expect_eq(rc, 3, "exit %d:\n%s", rc, out);
	free(out);
	cr_expect_eq(metric(&d, NEG_HITS), 2);
	cr_expect_eq(metric(&d, DL_NOT_FOUND), 2);
	cr_expect_eq(symserver_total(&srv), after_miss);

	// `dumpwalk stats` (the Stats method) tells the same story.
	rc = run_cli(&d, &out, (const char *const[]){"stats", "--server", d.url, NULL});
	cr_expect_eq(rc, 0, "exit %d:\n%s", rc, out);
	expect_in(out, "symbol_cache: hits 1 negative_hits 2 misses 3\n", "stats");
	char want[128];
	snprintf(want, sizeof(want), "symbol_downloads: ok 1 failed 2 bytes %lld\n",
	         (long long)pdb_size);
	expect_in(out, want, "stats");
	free(out);

	cr_expect_eq(daemon_stop(&d), 0, "dumpwalkd did not exit cleanly; see %s", d.dir);
	symserver_stop(&srv);
}

Test(integration_prefetch, analyze_after_prefetching_a_dump_downloads_nothing)
{
	symserver srv;
	symserver_start(&srv, false);
	fill_store(&srv);
	daemon_t d;
	daemon_start(&d, &srv, "");
	const char *dump = corpus_file("null_write.dmp");

	// The dump has no CodeView records (Wine): the image comes by code id
	// and names the PDB; the system DLLs are on no server.
	char *out;
	int   rc = run_cli(&d, &out,
	                   (const char *const[]){"symbols", "prefetch", "--server", d.url, "--dump",
	                                         dump, NULL});
	cr_expect_eq(rc, 3, "exit %d:\n%s", rc, out);
	expect_in(out, "found     null_write.exe " NW_EXE_ID ": ", "prefetch --dump");
	expect_in(out, "pe downloaded from", "prefetch --dump");
	expect_in(out, "pdb downloaded from", "prefetch --dump");
	expect_in(out, "(pdb null_write.pdb " NW_PDB_ID " named by the image)", "prefetch --dump");
	expect_in(out, "not-found ntdll.dll", "prefetch --dump");
	expect_in(out, "5 modules: 1 found, 4 not found, 0 failed", "prefetch --dump");
	free(out);
	cr_expect_eq(metric(&d, DL_OK), 2);
	size_t   requests  = symserver_total(&srv);
	uint64_t downloads = metric(&d, DL_OK) + metric(&d, DL_NOT_FOUND);

	rc = run_cli(&d, &out,
	             (const char *const[]){"analyze", "--server", d.url, dump, NULL});
	cr_expect_eq(rc, 0, "exit %d:\n%s", rc, out);
	// Symbolized from the prefetched PDB.
	expect_in(out, "null_write!store", "analyze");
	free(out);
	cr_expect_eq(symserver_total(&srv), requests, "the analysis asked the server again");
	cr_expect_eq(metric(&d, DL_OK) + metric(&d, DL_NOT_FOUND), downloads);
	cr_expect_geq(metric(&d, HITS), 2, "the image and the PDB come from the cache");
	cr_expect_geq(metric(&d, NEG_HITS), 4, "the system DLLs come from negative entries");

	cr_expect_eq(daemon_stop(&d), 0, "dumpwalkd did not exit cleanly; see %s", d.dir);
	symserver_stop(&srv);
}

Test(integration_prefetch, failing_server_fails_the_module_and_the_command)
{
	symserver srv;
	symserver_start(&srv, false);
	fill_store(&srv);
	daemon_t d;
	daemon_start(&d, &srv, "/fault/500");
	char *out;
	int   rc = run_cli(&d, &out,
	                   (const char *const[]){"symbols", "prefetch", "--server", d.url,
	                                         "null_write.pdb", NW_PDB_ID, NULL});
	cr_expect_eq(rc, 1, "exit %d:\n%s", rc, out);
	expect_in(out, "failed    null_write.pdb " NW_PDB_ID ": pdb unavailable", "prefetch");
	expect_in(out, "HTTP 500", "prefetch");
	free(out);
	// The PDB, then (no PDB found) the .sym: each given up on after its
	// retries, each counted once.
	cr_expect_eq(metric(&d, DL_NETWORK), 2);
	cr_expect_eq(metric(&d, DL_OK), 0);
	cr_expect_eq(metric(&d, "dumpwalk_symbol_http_requests_total{result=\"network\"}"), 2);
	cr_expect_eq(metric(&d, "dumpwalk_symbol_http_attempts_total"), 6);
	cr_expect_eq(metric(&d, "dumpwalk_prefetch_modules_total{result=\"failed\"}"), 1);
	char cached[700];
	snprintf(cached, sizeof(cached), "%s/null_write.pdb/%s/null_write.pdb", d.cache,
	         NW_PDB_ID);
	cr_expect_neq(access(cached, F_OK), 0, "nothing may be cached from a failing server");
	cr_expect_eq(daemon_stop(&d), 0, "dumpwalkd did not exit cleanly; see %s", d.dir);
	symserver_stop(&srv);
}

// Sends a PrefetchSymbols request through the client library; returns the
// status code, message in st.
static int
call(dwc_client *c, const Dumpwalk__V1__PrefetchSymbolsRequest *q, dwc_status *st,
     Dumpwalk__V1__PrefetchSymbolsReply **rep)
{
	size_t   n = dumpwalk__v1__prefetch_symbols_request__get_packed_size(q);
	uint8_t *p = malloc(n ? n : 1);
	dumpwalk__v1__prefetch_symbols_request__pack(q, p);
	uint8_t *r  = NULL;
	size_t   rl = 0;
	memset(st, 0, sizeof(*st));
	int code = dwc_client_call(c, "dumpwalk.v1.Symbols/PrefetchSymbols", p, n, false, &r, &rl,
	                           st);
	free(p);
	if (rep != NULL)
		*rep = code == 0 ? dumpwalk__v1__prefetch_symbols_reply__unpack(NULL, rl, r) : NULL;
	free(r);
	return code;
}

Test(integration_prefetch, bad_requests_are_refused_with_a_reason)
{
	symserver srv;
	symserver_start(&srv, false);
	daemon_t d;
	daemon_start(&d, &srv, "");
	dwc_client *c = dp_client(d.url, NULL, NULL, 10000, 0);
	dwc_status  st;

	// Not a PrefetchSymbolsRequest at all.
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
	uint8_t             *r      = NULL;
	size_t               rl     = 0;
	cr_expect_eq(dwc_client_call(c, "dumpwalk.v1.Symbols/PrefetchSymbols", junk, sizeof(junk),
	                             false, &r, &rl, &st),
	             DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT, "%s", st.message);
	free(r);

	// Nothing to prefetch.
	Dumpwalk__V1__PrefetchSymbolsRequest q = DUMPWALK__V1__PREFETCH_SYMBOLS_REQUEST__INIT;
	cr_expect_eq(call(c, &q, &st, NULL), DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT);
	cr_expect(strstr(st.message, "names no module") != NULL, "%s", st.message);

	// Over the cap.
	enum { TOO_MANY = 513 };
	Dumpwalk__V1__ModuleRef  *refs = calloc(TOO_MANY, sizeof(*refs));
	Dumpwalk__V1__ModuleRef **rp   = calloc(TOO_MANY, sizeof(*rp));
	char(*names)[32]               = calloc(TOO_MANY, sizeof(*names));
	for (int i = 0; i < TOO_MANY; i++) {
		dumpwalk__v1__module_ref__init(&refs[i]);
		snprintf(names[i], sizeof(names[i]), "m%d.pdb", i);
		refs[i].debug_file = names[i];
		refs[i].debug_id   = (char *)MISSING_ID;
		rp[i]              = &refs[i];
	}
	q.modules   = rp;
	q.n_modules = TOO_MANY;
	cr_expect_eq(call(c, &q, &st, NULL), DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT);
	cr_expect(strstr(st.message, "at most 512") != NULL, "%s", st.message);
	cr_expect_eq(symserver_total(&srv), 0);

	// A "dump" that is no minidump, and a dump together with an upload id.
	static const char notdump[] = "this is not a minidump, just text";
	q.n_modules                 = 0;
	q.modules                   = NULL;
	q.dump.data                 = (uint8_t *)notdump;
	q.dump.len                  = sizeof(notdump);
	cr_expect_eq(call(c, &q, &st, NULL), DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT);
	cr_expect(strstr(st.message, "not a readable minidump") != NULL, "%s", st.message);
	q.upload_id = (char *)"0123456789abcdef0123456789abcdef";
	cr_expect_eq(call(c, &q, &st, NULL), DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT);
	q.dump.len = 0;
	cr_expect_eq(call(c, &q, &st, NULL), DUMPWALK__V1__STATUS_CODE__NOT_FOUND, "%s",
	             st.message);

	// A module with an unsafe name, or with half an identity, is answered
	// per module, not as an error.
	Dumpwalk__V1__ModuleRef  bad[2] = {DUMPWALK__V1__MODULE_REF__INIT,
	                                   DUMPWALK__V1__MODULE_REF__INIT};
	Dumpwalk__V1__ModuleRef *badp[2] = {&bad[0], &bad[1]};
	bad[0].debug_file                = (char *)"con.pdb";
	bad[0].debug_id                  = (char *)MISSING_ID;
	bad[1].debug_file                = (char *)"half.pdb";
	q.upload_id                      = (char *)"";
	q.modules                        = badp;
	q.n_modules                      = 2;
	Dumpwalk__V1__PrefetchSymbolsReply *rep = NULL;
	cr_assert_eq(call(c, &q, &st, &rep), 0, "%s", st.message);
	cr_assert_not_null(rep);
	cr_assert_eq(rep->n_results, 2);
	cr_expect_eq(rep->results[0]->outcome, DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FAILED);
	cr_expect(strstr(rep->results[0]->reason, "refused") != NULL, "%s", rep->results[0]->reason);
	cr_expect_eq(rep->results[1]->outcome, DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FAILED);
	cr_expect(strstr(rep->results[1]->reason, "nothing to look up") != NULL, "%s",
	          rep->results[1]->reason);
	cr_expect_eq(rep->failed, 2);
	dumpwalk__v1__prefetch_symbols_reply__free_unpacked(rep, NULL);
	cr_expect_eq(symserver_total(&srv), 0, "nothing unsafe may reach the server");
	cr_expect_eq(metric(&d, "dumpwalk_symbol_refused_total"), 2); // the .pdb and the .sym

	free(refs);
	free(rp);
	free(names);
	dwc_client_close(c);
	cr_expect_eq(daemon_stop(&d), 0, "dumpwalkd did not exit cleanly; see %s", d.dir);
	symserver_stop(&srv);
}

Test(integration_prefetch, deadline_passed_during_a_slow_download)
{
	symserver srv;
	symserver_start(&srv, false);
	fill_store(&srv);
	daemon_t d;
	daemon_start(&d, &srv, "/fault/slow/2000");
	dwc_client *c = dp_client(d.url, NULL, NULL, 20000, 0);

	// Two modules; the first takes 2 s to download, the deadline is 0.8 s.
	Dumpwalk__V1__ModuleRef m[2] = {DUMPWALK__V1__MODULE_REF__INIT,
	                                DUMPWALK__V1__MODULE_REF__INIT};
	Dumpwalk__V1__ModuleRef *mp[2] = {&m[0], &m[1]};
	m[0].debug_file                = (char *)"null_write.pdb";
	m[0].debug_id                  = (char *)NW_PDB_ID;
	m[1].code_file                 = (char *)"null_write.exe";
	m[1].code_id                   = (char *)NW_EXE_ID;
	Dumpwalk__V1__PrefetchSymbolsRequest q = DUMPWALK__V1__PREFETCH_SYMBOLS_REQUEST__INIT;
	q.modules                              = mp;
	q.n_modules                            = 2;
	uint8_t payload[256];
	size_t  plen = dumpwalk__v1__prefetch_symbols_request__pack(&q, payload);
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	uint64_t deadline = (uint64_t)rt.tv_sec * 1000u + (uint64_t)rt.tv_nsec / 1000000u + 800;
	size_t   elen;
	uint8_t *env = dwc_client_envelope("dumpwalk.v1.Symbols/PrefetchSymbols", payload, plen,
	                                   NULL, deadline, &elen);
	Dumpwalk__V1__Reply *r = NULL;
	dwc_status           st;
	double               t0   = now_s();
	int                  code = dwc_client_call_raw(c, env, elen, &r, &st);
	double               took = now_s() - t0;
	free(env);
	cr_expect_eq(code, DUMPWALK__V1__STATUS_CODE__DEADLINE_EXCEEDED, "%d: %s", code,
	             st.message);
	cr_expect(strstr(st.message, "after 1 of 2 modules") != NULL, "%s", st.message);
	// The download in progress finished (about 2 s) and the second module
	// was never started.
	cr_expect_lt(took, 6.0, "the reply took %.2f s", took);
	if (r != NULL)
		dumpwalk__v1__reply__free_unpacked(r, NULL);
	char cached[700];
	snprintf(cached, sizeof(cached), "%s/null_write.pdb/%s/null_write.pdb", d.cache,
	         NW_PDB_ID);
	cr_expect_eq(access(cached, R_OK), 0, "the finished download should be cached");
	cr_expect_eq(symserver_count(&srv, "/null_write.exe/"), 0, "the second module was asked");
	dwc_client_close(c);
	cr_expect_eq(daemon_stop(&d), 0, "dumpwalkd did not exit cleanly; see %s", d.dir);
	symserver_stop(&srv);
}

// Every sample on /metrics belongs to a family declared once with HELP and
// TYPE before it (histograms by their _bucket/_sum/_count series), and every
// value is a number: what a Prometheus scraper needs to accept the page.
Test(integration_prefetch, metrics_page_declares_every_family_once)
{
	symserver srv;
	symserver_start(&srv, false);
	fill_store(&srv);
	daemon_t d;
	daemon_start(&d, &srv, "");
	char *out;
	int   rc = run_cli(&d, &out,
	                   (const char *const[]){"symbols", "prefetch", "--server", d.url,
	                                         "null_write.pdb", NW_PDB_ID, NULL});
	cr_expect_eq(rc, 0, "exit %d:\n%s", rc, out);
	free(out);
	char *page = dp_http_get(d.http_port, "/metrics");
	char *body = strstr(page, "\r\n\r\n");
	cr_assert_not_null(body);
	body += 4;
	enum { MAXF = 128 };
	char   typed[MAXF][96], helped[MAXF][96], kinds[MAXF][16];
	size_t ntyped = 0, nhelped = 0, samples = 0;
	for (char *line = strtok(body, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		char name[96] = "", kind[16] = "";
		if (sscanf(line, "# TYPE %95s %15s", name, kind) == 2) {
			for (size_t i = 0; i < ntyped; i++)
				cr_expect_str_neq(typed[i], name, "TYPE %s declared twice", name);
			cr_assert_lt(ntyped, MAXF);
			snprintf(typed[ntyped], sizeof(typed[0]), "%s", name);
			snprintf(kinds[ntyped++], sizeof(kinds[0]), "%s", kind);
			continue;
		}
		if (sscanf(line, "# HELP %95s", name) == 1) {
			cr_assert_lt(nhelped, MAXF);
			snprintf(helped[nhelped++], sizeof(helped[0]), "%s", name);
			continue;
		}
		cr_assert_neq(line[0], '#', "unexpected comment: %s", line);
		size_t nl = strcspn(line, "{ ");
		cr_assert_lt(nl, sizeof(name));
		memcpy(name, line, nl);
		name[nl] = '\0';
		const char *val = strrchr(line, ' ');
		cr_assert_not_null(val, "no value: %s", line);
		char *end;
		strtod(val + 1, &end);
		cr_expect(end != val + 1 && *end == '\0', "not a number: %s", line);
		bool declared = false, described = false;
		for (size_t i = 0; i < ntyped && !declared; i++) {
			size_t tl = strlen(typed[i]);
			declared  = strcmp(typed[i], name) == 0 ||
			           (strcmp(kinds[i], "histogram") == 0 && strncmp(name, typed[i], tl) == 0 &&
			            (strcmp(name + tl, "_bucket") == 0 || strcmp(name + tl, "_sum") == 0 ||
			             strcmp(name + tl, "_count") == 0));
			if (declared)
				for (size_t k = 0; k < nhelped && !described; k++)
					described = strcmp(helped[k], typed[i]) == 0;
		}
		cr_expect(declared, "sample of an undeclared family: %s", line);
		cr_expect(described, "family without HELP: %s", line);
		samples++;
	}
	cr_expect_gt(samples, 50);
	static const char *const want[] = {
	    "dumpwalk_symbol_cache_hits_total",          "dumpwalk_symbol_cache_misses_total",
	    "dumpwalk_symbol_cache_read_bytes_total",    "dumpwalk_symbol_cache_written_bytes_total",
	    "dumpwalk_symbol_downloads_total",           "dumpwalk_symbol_download_bytes_total",
	    "dumpwalk_symbol_http_requests_total",       "dumpwalk_prefetch_modules_total",
	    "dumpwalk_symbol_cache_negative_hits_total", "dumpwalk_requests_total",
	};
	for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		bool found = false;
		for (size_t i = 0; i < ntyped && !found; i++)
			found = strcmp(typed[i], want[w]) == 0 && strcmp(kinds[i], "counter") == 0;
		cr_expect(found, "no counter family %s", want[w]);
	}
	free(page);
	cr_expect_eq(daemon_stop(&d), 0, "dumpwalkd did not exit cleanly; see %s", d.dir);
	symserver_stop(&srv);
}
