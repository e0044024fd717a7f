#define _GNU_SOURCE
// Integration tests: the real dumpwalkd and the real client (library and
// `dumpwalk` binary) on loopback. Each test starts its own daemon in a
// temporary directory and stops it; every wait is bounded.
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clients/client.h"
#include "tests/integration/daemon_proc.h"
#include "clients/report_render.h"
#include "common/mapfile.h"
#include "daemon/analyze.h"

extern char **environ;

typedef struct daemon {
	pid_t pid;
	char  dir[256];
	char  url[512];  // the first listen URL
	char  http[128]; // http://127.0.0.1:port or ""
	int   http_port;
} daemon_t;

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

// start: `kind` is "ipc" or "tcp" (or a full URL); extra is appended to the
// config file. Waits until Health answers.
static void
start(daemon_t *d, const char *kind, const char *extra, const char *token, const char *ca)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "/tmp/dwit-XXXXXX");
	cr_assert_not_null(mkdtemp(d->dir));
	if (strcmp(kind, "ipc") == 0)
		snprintf(d->url, sizeof(d->url), "ipc://%s/d.sock", d->dir);
	else if (strcmp(kind, "tcp") == 0)
		snprintf(d->url, sizeof(d->url), "tcp://127.0.0.1:%d", dp_free_port());
	else
		snprintf(d->url, sizeof(d->url), "%s", kind);
	d->http_port = dp_free_port();
	snprintf(d->http, sizeof(d->http), "http://127.0.0.1:%d", d->http_port);
	char cfg[4096];
	snprintf(cfg, sizeof(cfg),
	         "[server]\nlisten = %s\nhttp = %s\nworkers = 2\n%s\n[symbols]\nsymbol_path =\n"
	         "cache_dir = %s/cache\n",
	         d->url, d->http, extra ? extra : "", d->dir);
	d->pid = dp_start(d->dir, cfg, dp_client(d->url, token, ca, 300, 0), 5);
}

// stop sends SIGTERM and returns the exit status (-1 if it had to be killed);
// the directory (config, log) stays only when something went wrong.
static int
stop(daemon_t *d)
{
	return dp_stop(d->pid, d->dir);
}

// run_dumpwalk runs the CLI with argv, stdout to `out`; returns its exit code.
static int
run_dumpwalk(char **args, const char *out)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	cr_assert_eq(posix_spawn(&pid, args[0], &fa, NULL, args, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static size_t
corpus(char ***out)
{
	char pat[512];
	snprintf(pat, sizeof(pat), "%s/tests/corpus/*/*/*.dmp", getenv("DW_SOURCE_ROOT"));
	glob_t g;
	cr_assert_eq(glob(pat, 0, NULL, &g), 0, "no corpus dumps at %s", pat);
	char **v = calloc(g.gl_pathc + 1, sizeof(char *));
	for (size_t i = 0; i < g.gl_pathc; i++)
		v[i] = strdup(g.gl_pathv[i]);
	size_t n = g.gl_pathc;
	globfree(&g);
	*out = v;
	return n;
}

static void
compare_cli(const daemon_t *d, char **files, size_t n, const char *fmt)
{
	char   lo[512], so[512];
	char **a = calloc(n + 12, sizeof(char *));
	snprintf(lo, sizeof(lo), "%s/local.out", d->dir);
	snprintf(so, sizeof(so), "%s/server.out", d->dir);
	size_t k = 0;
	a[k++]   = getenv("DUMPWALK");
	a[k++]   = (char *)"analyze";
	a[k++]   = (char *)"--local";
	a[k++]   = (char *)"-j";
	a[k++]   = (char *)"2";
	if (fmt != NULL)
		a[k++] = (char *)fmt;
	size_t base = k;
	for (size_t i = 0; i < n; i++)
		a[k++] = files[i];
	a[k] = NULL;
	int lrc = run_dumpwalk(a, lo);
	k       = 0;
	a[k++]  = getenv("DUMPWALK");
	a[k++]  = (char *)"analyze";
	a[k++]  = (char *)"--server";
	a[k++]  = (char *)d->url;
	a[k++]  = (char *)"-j";
	a[k++]  = (char *)"4";
	if (fmt != NULL)
		a[k++] = (char *)fmt;
	for (size_t i = 0; i < n; i++)
		a[k++] = files[i];
	a[k] = NULL;
	(void)base;
	int srv = run_dumpwalk(a, so);
	free(a);
	cr_assert_eq(lrc, srv, "exit codes differ: local %d, server %d", lrc, srv);
	size_t ll, sl;
	char  *lb = dp_slurp(lo, &ll), *sb = dp_slurp(so, &sl);
	cr_assert_gt(ll, 0);
	cr_assert(ll == sl && memcmp(lb, sb, ll) == 0, "outputs differ: cmp %s %s", lo, so);
	free(lb);
	free(sb);
}

static Dumpwalk__V1__Reply *
raw(dwc_client *c, const char *method, const uint8_t *p, size_t n, const char *token,
    uint64_t deadline, int *code)
{
	size_t   el;
	uint8_t *e = dwc_client_envelope(method, p, n, token, deadline, &el);
	Dumpwalk__V1__Reply *r;
	dwc_status           st;
	*code = dwc_client_call_raw(c, e, el, &r, &st);
	free(e);
	return r;
}

static uint8_t *
analyze_payload(const uint8_t *dump, size_t len, size_t *out)
{
	Dumpwalk__V1__AnalyzeRequest q = DUMPWALK__V1__ANALYZE_REQUEST__INIT;
	q.source_case                  = DUMPWALK__V1__ANALYZE_REQUEST__SOURCE_DUMP;
	q.dump.data                    = (uint8_t *)dump;
	q.dump.len                     = len;
	*out                           = dumpwalk__v1__analyze_request__get_packed_size(&q);
	uint8_t *b                     = malloc(*out);
	dumpwalk__v1__analyze_request__pack(&q, b);
	return b;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *
small_dump(void)
{
	static char p[512];
	snprintf(p, sizeof(p), "%s/tests/corpus/x64/null_read/null_read.dmp", getenv("DW_SOURCE_ROOT"));
	return p;
}

#define T(name) Test(integration, name, .timeout = 120)

T(ipc_health_and_stats)
{
	daemon_t d;
	start(&d, "ipc", NULL, NULL, NULL);
	dwc_client                *c = dp_client(d.url, NULL, NULL, 5000, 0);
	Dumpwalk__V1__StatsReply  *s;
	dwc_status                 st;
	cr_assert_eq(dwc_client_stats(c, &s, &st), 0, "%s", st.message);
	cr_assert_eq(s->workers, 2);
	cr_assert_geq(s->requests_total, 1);
	dumpwalk__v1__stats_reply__free_unpacked(s, NULL);
	dwc_client_close(c);
	cr_assert_eq(stop(&d), 0);
}

T(analyses_match_local_byte_for_byte)
{
	daemon_t d;
	start(&d, "tcp", NULL, NULL, NULL);
	char **files;
	size_t n = corpus(&files);
	compare_cli(&d, files, n, NULL);
	compare_cli(&d, files, n, "--json");
	char *one[] = {files[0]};
	compare_cli(&d, one, 1, "--registers");
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	cr_assert_eq(stop(&d), 0);
}

static char  **ext_files;
static size_t  ext_n, ext_cap;

static int
collect(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	size_t l = strlen(path);
	if (type == FTW_F && l > 4 && strcmp(path + l - 4, ".dmp") == 0 && sb->st_size < (64 << 20)) {
		if (ext_n == ext_cap) {
			ext_cap   = ext_cap ? ext_cap * 2 : 64;
			ext_files = realloc(ext_files, ext_cap * sizeof(char *));
		}
		ext_files[ext_n++] = strdup(path);
	}
	return 0;
}

T(shared_corpus_matches_local)
{
	const char *dc = getenv("DW_CORPUS");
	struct stat sb;
	if (dc == NULL || stat(dc, &sb) != 0)
		cr_skip_test("DW_CORPUS not present");
	nftw(dc, collect, 16, FTW_PHYS);
	if (ext_n == 0)
		cr_skip_test("no .dmp under %s", dc);
	daemon_t d;
	start(&d, "ipc", NULL, NULL, NULL);
	compare_cli(&d, ext_files, ext_n, "--json");
	cr_assert_eq(stop(&d), 0);
}

T(upload_larger_than_message_limit)
{
	daemon_t d;
	start(&d, "tcp", "max_message_bytes = 64k", NULL, NULL);
	char p[512];
	snprintf(p, sizeof(p), "%s/tests/corpus/x64/stack_overflow/stack_overflow.dmp",
	         getenv("DW_SOURCE_ROOT"));
	dw_mapfile m;
	cr_assert_eq(dw_mapfile_open(&m, p, NULL), DW_OK);
	cr_assert_gt(m.len, 4 * 65536);
	dwc_client                 *c = dp_client(d.url, NULL, NULL, 20000, 0);
	Dumpwalk__V1__AnalyzeReply *r;
	dwc_status                  st;
	cr_assert_eq(dwc_client_analyze(c, m.data, m.len, false, &r, &st), 0, "%s", st.message);
	// Same rendering as the in-process analysis.
	dwd_analysis a;
	dwd_analyze(&a, m.data, m.len, NULL);
	cr_assert_eq(a.code, 0);
	Dumpwalk__V1__AnalyzeReply *l = dumpwalk__v1__analyze_reply__unpack(NULL, a.reply_len, a.reply);
	char  *b1, *b2;
	size_t n1, n2;
	FILE  *f1 = open_memstream(&b1, &n1), *f2 = open_memstream(&b2, &n2);
	dwc_report_render(f1, r->report, "x", DWC_FORMAT_JSON);
	dwc_report_render(f2, l->report, "x", DWC_FORMAT_JSON);
	fclose(f1);
	fclose(f2);
	cr_assert(n1 == n2 && memcmp(b1, b2, n1) == 0);
	cr_assert_eq(r->report->header->file_size, m.len);
	free(b1);
	free(b2);
	dumpwalk__v1__analyze_reply__free_unpacked(r, NULL);
	dumpwalk__v1__analyze_reply__free_unpacked(l, NULL);
	dwd_analysis_fini(&a);

	// A wrong checksum is refused and the upload dropped.
	Dumpwalk__V1__UploadBeginRequest bq = DUMPWALK__V1__UPLOAD_BEGIN_REQUEST__INIT;
	bq.total_size                       = 10;
	uint8_t  buf[256];
	uint8_t *rp;
	size_t   rn;
	cr_assert_eq(dwc_client_call(c, "dumpwalk.v1.Analyzer/UploadBegin", buf,
	                             dumpwalk__v1__upload_begin_request__pack(&bq, buf), false, &rp,
	                             &rn, &st),
	             0);
	Dumpwalk__V1__UploadBeginReply *br = dumpwalk__v1__upload_begin_reply__unpack(NULL, rn, rp);
	free(rp);
	Dumpwalk__V1__UploadChunkRequest cq = DUMPWALK__V1__UPLOAD_CHUNK_REQUEST__INIT;
	cq.upload_id                        = br->upload_id;
	cq.offset                           = 5; // a gap
	cq.data.data                        = buf;
	cq.data.len                         = 5;
	uint8_t cb[256];
	cr_assert_eq(dwc_client_call(c, "dumpwalk.v1.Analyzer/UploadChunk", cb,
	                             dumpwalk__v1__upload_chunk_request__pack(&cq, cb), false, &rp, &rn,
	                             &st),
	             DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT);
	cq.offset   = 0;
	cq.data.len = 10;
	cr_assert_eq(dwc_client_call(c, "dumpwalk.v1.Analyzer/UploadChunk", cb,
	                             dumpwalk__v1__upload_chunk_request__pack(&cq, cb), false, &rp, &rn,
	                             &st),
	             0);
	free(rp);
	Dumpwalk__V1__UploadCommitRequest mq = DUMPWALK__V1__UPLOAD_COMMIT_REQUEST__INIT;
	uint8_t                           zero[32] = {0};
	mq.upload_id                               = br->upload_id;
	mq.sha256.data                             = zero;
	mq.sha256.len                              = 32;
	cr_assert_eq(dwc_client_call(c, "dumpwalk.v1.Analyzer/UploadCommit", cb,
	                             dumpwalk__v1__upload_commit_request__pack(&mq, cb), false, &rp,
	                             &rn, &st),
	             DUMPWALK__V1__STATUS_CODE__DATA_LOSS, "%s", st.message);
	dumpwalk__v1__upload_begin_reply__free_unpacked(br, NULL);
	dw_mapfile_close(&m);
	dwc_client_close(c);
	cr_assert_eq(stop(&d), 0);
}

T(request_past_deadline_gets_deadline_exceeded)
{
	daemon_t d;
	start(&d, "ipc", "[analysis]\ndelay_ms = 3000", NULL, NULL);
	dw_mapfile m;
	cr_assert_eq(dw_mapfile_open(&m, small_dump(), NULL), DW_OK);
	size_t      pl;
	uint8_t    *p = analyze_payload(m.data, m.len, &pl);
	dwc_client *c = dp_client(d.url, NULL, NULL, 10000, 0);
	int         code;
	uint64_t    t0 = now_ms();
	Dumpwalk__V1__Reply *r = raw(c, "dumpwalk.v1.Analyzer/Analyze", p, pl, NULL, t0 + 300, &code);
	cr_assert_eq(code, DUMPWALK__V1__STATUS_CODE__DEADLINE_EXCEEDED, "got %d", code);
	cr_assert_lt(now_ms() - t0, 2500, "the job was not cancelled at its deadline");
	dumpwalk__v1__reply__free_unpacked(r, NULL);
	r = raw(c, "dumpwalk.v1.Analyzer/Analyze", p, pl, NULL, t0 - 1000, &code);
	cr_assert_eq(code, DUMPWALK__V1__STATUS_CODE__DEADLINE_EXCEEDED);
	dumpwalk__v1__reply__free_unpacked(r, NULL);
	free(p);
	dw_mapfile_close(&m);
	dwc_client_close(c);
	cr_assert_eq(stop(&d), 0);
}

typedef struct shot {
	const char *url;
	uint8_t    *payload;
	size_t      len;
	int         code;
	uint32_t    retry_after;
} shot;

static void *
fire(void *arg)
{
	shot       *s = arg;
	dwc_client *c = dp_client(s->url, NULL, NULL, 30000, 0);
	int         code;
	Dumpwalk__V1__Reply *r = raw(c, "dumpwalk.v1.Analyzer/Analyze", s->payload, s->len, NULL, 0, &code);
	s->code                = code;
	if (r != NULL && r->status != NULL)
		s->retry_after = r->status->retry_after_ms;
	if (r != NULL)
		dumpwalk__v1__reply__free_unpacked(r, NULL);
	dwc_client_close(c);
	return NULL;
}

T(overload_yields_resource_exhausted)
{
	daemon_t d;
	start(&d, "tcp", "queue_depth = 2\n[analysis]\ndelay_ms = 300", NULL, NULL);
	dw_mapfile m;
	cr_assert_eq(dw_mapfile_open(&m, small_dump(), NULL), DW_OK);
	size_t    pl;
	uint8_t  *p = analyze_payload(m.data, m.len, &pl);
	enum { N = 24 };
	shot      s[N];
	pthread_t t[N];
	for (int i = 0; i < N; i++) {
		s[i] = (shot){d.url, p, pl, -1, 0};
		pthread_create(&t[i], NULL, fire, &s[i]);
	}
	int ok = 0, busy = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		if (s[i].code == 0)
			ok++;
		else if (s[i].code == DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED) {
			busy++;
			cr_assert_gt(s[i].retry_after, 0);
		} else
			cr_assert_fail("unexpected status %d", s[i].code);
	}
	cr_assert_geq(ok, 2);
	cr_assert_geq(busy, 1);
	free(p);
	dw_mapfile_close(&m);
	// Still serving.
	dwc_client                *c = dp_client(d.url, NULL, NULL, 5000, 0);
	Dumpwalk__V1__HealthReply *h;
	dwc_status                 st;
	cr_assert_eq(dwc_client_health(c, &h, &st), 0);
	dumpwalk__v1__health_reply__free_unpacked(h, NULL);
	dwc_client_close(c);
	cr_assert_eq(stop(&d), 0);
}

T(malformed_requests_get_invalid_argument)
{
	daemon_t d;
	start(&d, "ipc", "[analysis]\nallow_path = /nonexistent-dir", NULL, NULL);
	dwc_client          *c = dp_client(d.url, NULL, NULL, 5000, 0);
	Dumpwalk__V1__Reply *r;
	dwc_status           st;
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02};
	cr_assert_eq(dwc_client_call_raw(c, junk, sizeof(junk), &r, &st),
	             DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT);
	cr_assert(strstr(st.message, "Envelope") != NULL, "%s", st.message);
	dumpwalk__v1__reply__free_unpacked(r, NULL);
	int code;
	r = raw(c, "dumpwalk.v1.Analyzer/Analyze", junk, sizeof(junk), NULL, 0, &code);
	cr_assert_eq(code, DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT);
	dumpwalk__v1__reply__free_unpacked(r, NULL);
	r = raw(c, "dumpwalk.v1.Analyzer/Analyze", NULL, 0, NULL, 0, &code);
	cr_assert_eq(code, DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT);
	cr_assert(strstr(r->status->message, "upload_id") != NULL);
	dumpwalk__v1__reply__free_unpacked(r, NULL);
	static const uint8_t notdump[] = "not a minidump at all";
	size_t               pl;
	uint8_t             *p = analyze_payload(notdump, sizeof(notdump), &pl);
	r = raw(c, "dumpwalk.v1.Analyzer/Analyze", p, pl, NULL, 0, &code);
	cr_assert_eq(code, DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT);
	free(p);
	dumpwalk__v1__reply__free_unpacked(r, NULL);
	r = raw(c, "dumpwalk.v1.Nope/Nope", NULL, 0, NULL, 0, &code);
	cr_assert_eq(code, DUMPWALK__V1__STATUS_CODE__UNIMPLEMENTED);
	dumpwalk__v1__reply__free_unpacked(r, NULL);
	// Paths outside analysis.allow_path are refused.
	Dumpwalk__V1__AnalyzeRequest q = DUMPWALK__V1__ANALYZE_REQUEST__INIT;
	q.source_case                  = DUMPWALK__V1__ANALYZE_REQUEST__SOURCE_PATH;
	q.path                         = (char *)small_dump();
	uint8_t qb[1024];
	r = raw(c, "dumpwalk.v1.Analyzer/Analyze", qb, dumpwalk__v1__analyze_request__pack(&q, qb),
	        NULL, 0, &code);
	cr_assert_eq(code, DUMPWALK__V1__STATUS_CODE__PERMISSION_DENIED);
	dumpwalk__v1__reply__free_unpacked(r, NULL);
	// PrefetchSymbols on a daemon with no symbol path has nowhere to fetch
	// from (prefetch_test.c covers a daemon that has one).
	r = raw(c, "dumpwalk.v1.Symbols/PrefetchSymbols", NULL, 0, NULL, 0, &code);
	cr_assert_eq(code, DUMPWALK__V1__STATUS_CODE__UNAVAILABLE);
	dumpwalk__v1__reply__free_unpacked(r, NULL);
	dwc_client_close(c);
	cr_assert_eq(stop(&d), 0);
}

T(path_inside_allowed_directory_is_analyzed)
{
	char extra[600];
	snprintf(extra, sizeof(extra), "[analysis]\nallow_path = %s/tests/corpus",
	         getenv("DW_SOURCE_ROOT"));
	daemon_t d;
	start(&d, "ipc", extra, NULL, NULL);
	dwc_client                  *c = dp_client(d.url, NULL, NULL, 5000, 0);
	Dumpwalk__V1__AnalyzeRequest q = DUMPWALK__V1__ANALYZE_REQUEST__INIT;
	q.source_case                  = DUMPWALK__V1__ANALYZE_REQUEST__SOURCE_PATH;
	q.path                         = (char *)small_dump();
	uint8_t qb[1024];
	int     code;
	Dumpwalk__V1__Reply *r = raw(c, "dumpwalk.v1.Analyzer/Analyze", qb,
	                             dumpwalk__v1__analyze_request__pack(&q, qb), NULL, 0, &code);
	cr_assert_eq(code, 0, "%s", r->status->message);
	dumpwalk__v1__reply__free_unpacked(r, NULL);
	dwc_client_close(c);
	cr_assert_eq(stop(&d), 0);
}

T(bad_token_gets_unauthenticated_and_sighup_reloads_it)
{
	char tf[256], extra[400];
	snprintf(tf, sizeof(tf), "/tmp/dwit-token-%d", getpid());
	FILE *f = fopen(tf, "w");
	fputs("s3cret\n", f);
	fclose(f);
	snprintf(extra, sizeof(extra), "auth_token_file = %s", tf);
	daemon_t d;
	start(&d, "tcp", extra, "s3cret", NULL);
	int                  code;
	dwc_client          *c = dp_client(d.url, NULL, NULL, 5000, 0);
	Dumpwalk__V1__Reply *r = raw(c, "dumpwalk.v1.Admin/Stats", NULL, 0, NULL, 0, &code);
	cr_assert_eq(code, DUMPWALK__V1__STATUS_CODE__UNAUTHENTICATED);
	dumpwalk__v1__reply__free_unpacked(r, NULL);
	r = raw(c, "dumpwalk.v1.Admin/Stats", NULL, 0, "wrong", 0, &code);
	cr_assert_eq(code, DUMPWALK__V1__STATUS_CODE__UNAUTHENTICATED);
	dumpwalk__v1__reply__free_unpacked(r, NULL);
	r = raw(c, "dumpwalk.v1.Admin/Stats", NULL, 0, "s3cret", 0, &code);
	cr_assert_eq(code, 0);
	dumpwalk__v1__reply__free_unpacked(r, NULL);
	// A new token takes effect on SIGHUP.
	f = fopen(tf, "w");
	fputs("n3w\n", f);
	fclose(f);
	kill(d.pid, SIGHUP);
	for (int i = 0; i < 100; i++) {
		r = raw(c, "dumpwalk.v1.Admin/Stats", NULL, 0, "n3w", 0, &code);
		dumpwalk__v1__reply__free_unpacked(r, NULL);
		if (code == 0)
			break;
		sleep_ms(50);
	}
	cr_assert_eq(code, 0);
	dwc_client_close(c);
	unlink(tf);
	cr_assert_eq(stop(&d), 0);
}

T(tls_with_a_test_certificate)
{
	const char *openssl = getenv("OPENSSL");
	if (openssl == NULL || openssl[0] == 0)
		cr_skip_test("openssl not installed");
	char dir[] = "/tmp/dwit-tls-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
	         "%s req -x509 -newkey rsa:2048 -nodes -keyout %s/key.pem -out %s/cert.pem -days 1 "
	         "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
	         ">/dev/null 2>&1",
	         openssl, dir, dir);
	cr_assert_eq(system(cmd), 0, "openssl could not make a certificate");
	char url[128], extra[600], ca[300];
	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", dp_free_port());
	snprintf(extra, sizeof(extra), "tls_cert_file = %s/cert.pem\ntls_key_file = %s/key.pem", dir,
	         dir);
	snprintf(ca, sizeof(ca), "%s/cert.pem", dir);
	daemon_t d;
	start(&d, url, extra, NULL, ca);
	dw_mapfile m;
	cr_assert_eq(dw_mapfile_open(&m, small_dump(), NULL), DW_OK);
	dwc_client                 *c = dp_client(d.url, NULL, ca, 10000, 0);
	Dumpwalk__V1__AnalyzeReply *r;
	dwc_status                  st;
	cr_assert_eq(dwc_client_analyze(c, m.data, m.len, false, &r, &st), 0, "%s", st.message);
	cr_assert_gt(r->report->n_threads, 0);
	dumpwalk__v1__analyze_reply__free_unpacked(r, NULL);
	dw_mapfile_close(&m);
	dwc_client_close(c);
	cr_assert_eq(stop(&d), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

T(sigterm_with_requests_in_flight_loses_none)
{
	daemon_t d;
	start(&d, "tcp", "[analysis]\ndelay_ms = 400", NULL, NULL);
	dw_mapfile m;
	cr_assert_eq(dw_mapfile_open(&m, small_dump(), NULL), DW_OK);
	size_t    pl;
	uint8_t  *p = analyze_payload(m.data, m.len, &pl);
	enum { N = 8 };
	// Requests that reached the daemon are those in flight plus those
	// answered; that sum only grows (in flight alone drops as early jobs
	// finish). Our own Stats calls and start()'s health checks count too, so
	// take a baseline first: each later Stats call adds one more.
	dwc_client *c = dp_client(d.url, NULL, NULL, 5000, 0);
	uint64_t    base, seen = 0, calls = 0;
	{
		Dumpwalk__V1__StatsReply *st;
		dwc_status                e;
		cr_assert_eq(dwc_client_stats(c, &st, &e), 0);
		base = st->in_flight + st->requests_total;
		dumpwalk__v1__stats_reply__free_unpacked(st, NULL);
	}
	shot      s[N];
	pthread_t t[N];
	for (int i = 0; i < N; i++) {
		s[i] = (shot){d.url, p, pl, -1, 0};
		pthread_create(&t[i], NULL, fire, &s[i]);
	}
	// Stop only once all N are in: one that arrives after SIGTERM is refused
	// (UNAVAILABLE), rightly, so stopping early would test the machine's
	// load, not the drain. Up to 10 s on a busy machine.
	for (int i = 0; i < 1000 && seen < N; i++) {
		Dumpwalk__V1__StatsReply *st;
		dwc_status                e;
		cr_assert_eq(dwc_client_stats(c, &st, &e), 0);
		calls++;
		seen = st->in_flight + st->requests_total - base - calls;
		dumpwalk__v1__stats_reply__free_unpacked(st, NULL);
		if (seen < N)
			sleep_ms(10);
	}
	dwc_client_close(c);
	cr_assert_geq(seen, N, "only %llu of %d requests reached the daemon", (unsigned long long)seen, N);
	int rc = stop(&d);
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(s[i].code, 0, "request %d lost: status %d", i, s[i].code);
	}
	cr_assert_eq(rc, 0);
	free(p);
	dw_mapfile_close(&m);
}

T(metrics_healthz_and_readyz_answer)
{
	daemon_t d;
	start(&d, "ipc", NULL, NULL, NULL);
	char *b = dp_http_get(d.http_port, "/healthz");
	cr_assert(strncmp(b, "HTTP/1.1 200", 12) == 0, "%s", b);
	free(b);
	b = dp_http_get(d.http_port, "/readyz");
	cr_assert(strncmp(b, "HTTP/1.1 200", 12) == 0, "%s", b);
	free(b);
	b = dp_http_get(d.http_port, "/metrics");
	cr_assert(strncmp(b, "HTTP/1.1 200", 12) == 0);
	cr_assert(strstr(b, "dumpwalk_requests_total{method=\"dumpwalk.v1.Admin/Health\",code=\"OK\"}") != NULL, "%s", b);
	cr_assert(strstr(b, "dumpwalk_request_duration_seconds_bucket") != NULL);
	cr_assert(strstr(b, "dumpwalk_queue_depth 0") != NULL);
	free(b);
	cr_assert_eq(stop(&d), 0);
}
