// tests/symbols/fetch_test.c - fetching symbol files from a real HTTP server
// on loopback (tests/symbols/symserver.py) serving the shared corpus in
// symstore layout, with injected faults; and from local directories.
//
// The server's access log is the evidence for request counts (single flight,
// negative entries, retries). Nothing here leaves 127.0.0.1.
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "symbols/pdb.h"
#include "symbols/resolve.h"
#include "tests/symbols/symserver.h"

#define CRASH_PDB_ID "3249D99D0C4049318610F4E4FB0B69361"
#define CRASH_EXE_ID "5AB380779000"
#define BASIC32_ID "34060D222DBB44E5AA72243CE8326C2F2"
#define SIGSEGV_ID "7DD47A9FC2E8499AA78EC14AE2C965A21"
#define CWE_EXE_ID "5C9E09599000"
// A cabinet header and then nonsense.
#define BAD_CAB "MSCF\0\0\0\0garbage that is no cabinet"
#define CWE_PDB_ID "F535C5FB2AE84BB8AA206C30BE566C5A1"

// One test's world: a server, a cache, a symbol path, a resolver, a fetcher.
typedef struct world {
	symserver    srv;
	char         cache_dir[256];
	dw_symcache *cache;
	dw_sympath   path;
	dw_resolver *res;
	dw_fetcher  *f;
} world;

static void
skip_without_corpus(void)
{
	if (corpus_dir() == NULL)
		cr_skip_test("DW_CORPUS not set or has no symbols/: no corpus to serve");
}

static void
world_fetch_opts(dw_fetch_opts *o)
{
	dw_fetch_opts_default(o);
	o->connect_timeout_ms = 2000;
	o->timeout_ms         = 10000;
	o->backoff_ms         = 50;
	o->max_retry_after_s  = 5;
}

// path_suffix is appended to the server's URL ("" or "/fault/404").
static void
world_init(world *w, const char *path_suffix, uint32_t ttl_s)
{
	memset(w, 0, sizeof(*w));
	skip_without_corpus();
	symserver_start(&w->srv, true);
	scratch_dir(w->cache_dir, "fcache");
	dw_symcache_opts co;
	dw_symcache_opts_default(&co);
	if (ttl_s) {
		co.ttl_missing_s = ttl_s;
		co.ttl_corrupt_s = ttl_s;
		co.ttl_timeout_s = ttl_s;
	}
	cr_assert_eq(dw_symcache_open(&w->cache, w->cache_dir, &co, NULL), DW_OK);
	dw_sympath_init(&w->path);
	char sp[512];
	snprintf(sp, sizeof(sp), "srv*%s*%s%s", w->cache_dir, w->srv.base, path_suffix);
	cr_assert_eq(dw_sympath_parse(&w->path, sp, NULL), DW_OK);
	cr_assert_eq(w->path.count, 2);
	cr_assert_eq(dw_resolver_new(&w->res, &w->path, w->cache), DW_OK);
	dw_fetch_opts fo;
	world_fetch_opts(&fo);
	cr_assert_eq(dw_fetcher_new(&w->f, &fo), DW_OK);
}

static void
world_fini(world *w)
{
	dw_fetcher_free(w->f);
	dw_resolver_free(w->res);
	dw_sympath_fini(&w->path);
	dw_symcache_close(w->cache);
	symserver_stop(&w->srv);
	rm_rf(w->cache_dir);
}

static void
setup_curl(void)
{
	// Loopback only: a proxy from the environment must not see these.
	static const char *const proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
	                                      "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]);
	cr_assert_eq(dw_fetch_global_init(), DW_OK);
}

static void
teardown_curl(void)
{
	dw_fetch_global_cleanup();
}

TestSuite(symbols_fetch, .init = setup_curl, .fini = teardown_curl, .timeout = 60);

static bool
is_found(const dw_symfile *f)
{
	return f->status == DW_SYMST_CACHED || f->status == DW_SYMST_DOWNLOADED ||
	       f->status == DW_SYMST_LOCAL;
}

static const char *
pdb_id_of(const char *path)
{
	static char id[64];
	dw_pdb     *p = NULL;
	cr_assert_eq(dw_pdb_open_file(&p, path, NULL), DW_OK, "%s is no PDB", path);
	snprintf(id, sizeof(id), "%s", dw_pdb_get_info(p)->debug_id);
	dw_pdb_free(p);
	return id;
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Forgets a negative entry, as its expiry would.
static void
drop_negative(const char *cache_dir, const char *key)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s.neg", cache_dir, key);
	cr_assert_eq(unlink(p), 0, "no negative entry %s", p);
}

// ---- Happy paths ---------------------------------------------------------

Test(symbols_fetch, pdb_downloaded_once_then_cached)
{
	world w;
	world_init(&w, "", 0);
	dw_symfile f;
	cr_assert_eq(
	    dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "C:\\src\\crash.pdb", CRASH_PDB_ID),
	    DW_OK);
	cr_assert_eq(f.status, DW_SYMST_DOWNLOADED, "%s: %s", dw_symstatus_name(f.status), f.note);
	cr_assert_str_eq(f.where, w.srv.base);
	char want[512];
	snprintf(want, sizeof(want), "%s/crash.pdb/%s/crash.pdb", w.cache_dir, CRASH_PDB_ID);
	cr_assert_str_eq(f.path, want);
	cr_assert_str_eq(pdb_id_of(f.path), CRASH_PDB_ID);
	dw_symfile_fini(&f);
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_CACHED);
	dw_symfile_fini(&f);
	cr_assert_eq(symserver_count(&w.srv, "/crash.pdb/"), 1);
	world_fini(&w);
}

Test(symbols_fetch, pe_by_code_id_and_breakpad_sym)
{
	world w;
	world_init(&w, "", 0);
	dw_symfile f;
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PE, "crash.exe", CRASH_EXE_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_DOWNLOADED, "%s", f.note);
	dw_symfile_fini(&f);
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_SYM, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_DOWNLOADED, "%s", f.note);
	cr_assert(strstr(f.path, "/crash.pdb/" CRASH_PDB_ID "/crash.sym") != NULL);
	dw_symfile_fini(&f);
	// Ids are compared without regard to case; the request path keeps it.
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PE, "mozwer.dll", "5FDB6A2871000"),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_DOWNLOADED, "%s", f.note);
	dw_symfile_fini(&f);
	world_fini(&w);
}

Test(symbols_fetch, compressed_pd_is_fetched_and_decompressed)
{
	world w;
	world_init(&w, "", 0);
	dw_symfile f;
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "basic32.pdb", BASIC32_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_DOWNLOADED, "%s: %s", dw_symstatus_name(f.status), f.note);
	// Stored decompressed under its real name; its GUID+age is the folder's.
	cr_assert(strstr(f.path, "/basic32.pdb/" BASIC32_ID "/basic32.pdb") != NULL);
	cr_assert_str_eq(pdb_id_of(f.path), BASIC32_ID);
	dw_symfile_fini(&f);
	cr_assert_eq(symserver_count(&w.srv, "/basic32.pdb/" BASIC32_ID "/basic32.pdb "), 1);
	cr_assert_eq(symserver_count(&w.srv, "/basic32.pd_ "), 1);
	cr_assert_not(tree_has_file(w.cache_dir, ".pd_"));
	world_fini(&w);
}

Test(symbols_fetch, file_ptr_redirect_is_followed)
{
	world w;
	world_init(&w, "", 0);
	char p[600], text[300];
	// sigsegv.pdb is served only through a pointer to another place.
	snprintf(p, sizeof(p), "%s/elsewhere/blobs/sigsegv.pdb", w.srv.extra);
	char src[1100];
	snprintf(src, sizeof(src), "%s/symbols/sigsegv.pdb/%s/sigsegv.pdb", corpus_dir(),
	         SIGSEGV_ID);
	copy_file(src, p);
	snprintf(p, sizeof(p), "%s/ptr.pdb/%s/file.ptr", w.srv.extra, SIGSEGV_ID);
	int n = snprintf(text, sizeof(text), "PATH:%s/elsewhere/blobs/sigsegv.pdb\r\n", w.srv.base);
	write_file(p, text, (size_t)n);
	// A pointer to a compressed file on the same server.
	snprintf(p, sizeof(p), "%s/ptrcab.pdb/%s/file.ptr", w.srv.extra, BASIC32_ID);
	n = snprintf(text, sizeof(text), "PATH:%s/basic32.pdb/%s/basic32.pd_", w.srv.base,
	             BASIC32_ID);
	write_file(p, text, (size_t)n);
	// A MSG: pointer means "withdrawn": missing, with the message.
	snprintf(p, sizeof(p), "%s/gone.pdb/%s/file.ptr", w.srv.extra, SIGSEGV_ID);
	write_file(p, "MSG: withdrawn", 14);
	// A pointer from a server to a local path is not followed.
	snprintf(p, sizeof(p), "%s/local.pdb/%s/file.ptr", w.srv.extra, SIGSEGV_ID);
	write_file(p, "PATH:/etc/passwd", 16);
	// Nor one to another server (another port here; nothing listens there).
	snprintf(p, sizeof(p), "%s/other.pdb/%s/file.ptr", w.srv.extra, SIGSEGV_ID);
	n = snprintf(text, sizeof(text), "PATH:http://127.0.0.1:%d/x/sigsegv.pdb", w.srv.port + 1);
	write_file(p, text, (size_t)n);
	snprintf(p, sizeof(p), "%s/userinfo.pdb/%s/file.ptr", w.srv.extra, SIGSEGV_ID);
	n = snprintf(text, sizeof(text), "PATH:%s@10.0.0.1/x/sigsegv.pdb", w.srv.base);
	write_file(p, text, (size_t)n);

	dw_symfile f;
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "ptr.pdb", SIGSEGV_ID), DW_OK);
	cr_assert_eq(f.status, DW_SYMST_DOWNLOADED, "%s: %s", dw_symstatus_name(f.status), f.note);
	cr_assert_str_eq(pdb_id_of(f.path), SIGSEGV_ID);
	cr_assert(strstr(f.path, "/ptr.pdb/" SIGSEGV_ID "/ptr.pdb") != NULL);
	dw_symfile_fini(&f);
	cr_assert_eq(symserver_count(&w.srv, "/elsewhere/blobs/sigsegv.pdb"), 1);

	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "gone.pdb", SIGSEGV_ID), DW_OK);
	cr_assert_eq(f.status, DW_SYMST_MISSING);
	cr_assert(strstr(f.note, "withdrawn") != NULL, "%s", f.note);
	dw_symfile_fini(&f);
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "ptrcab.pdb", BASIC32_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_DOWNLOADED, "%s: %s", dw_symstatus_name(f.status), f.note);
	cr_assert_str_eq(pdb_id_of(f.path), BASIC32_ID);
	dw_symfile_fini(&f);

	static const char *const refused[] = {"local.pdb", "other.pdb", "userinfo.pdb"};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, refused[i], SIGSEGV_ID),
		             DW_OK);
		cr_assert_eq(f.status, DW_SYMST_MISSING, "%s", refused[i]);
		cr_assert(strstr(f.note, "not followed") != NULL, "%s: %s", refused[i], f.note);
		dw_symfile_fini(&f);
	}
	cr_assert_eq(symserver_count(&w.srv, "/x/sigsegv.pdb"), 0);
	world_fini(&w);
}

Test(symbols_fetch, module_with_only_a_code_id_gets_pdb_identity_from_pe)
{
	world w;
	world_init(&w, "", 0);
	dw_symmodule     m;
	dw_symmodule_req req = {.code_file = "C:\\app\\CrashWithException.exe",
	                        .code_id   = CWE_EXE_ID};
	cr_assert_eq(dw_resolver_module(&m, w.res, w.f, &req), DW_OK);
	cr_assert_eq(m.pe.status, DW_SYMST_DOWNLOADED, "%s", m.pe.note);
	cr_assert(m.identity_from_pe);
	cr_assert_str_eq(m.debug_file, "CrashWithException.pdb");
	cr_assert_str_eq(m.debug_id, CWE_PDB_ID);
	cr_assert_eq(m.pdb.status, DW_SYMST_DOWNLOADED, "%s", m.pdb.note);
	cr_assert_eq(m.sym.status, DW_SYMST_NOT_ASKED); // the PDB was found
	dw_symmodule_fini(&m);
	// A module with a PDB nobody has falls back to the .sym.
	dw_symmodule_req r2 = {.debug_file = "kernel32.pdb",
	                       .debug_id   = "BCE8785C57B44245A669896B6A19B9542"};
	cr_assert_eq(dw_resolver_module(&m, w.res, w.f, &r2), DW_OK);
	cr_assert_eq(m.pdb.status, DW_SYMST_MISSING);
	cr_assert_eq(m.sym.status, DW_SYMST_DOWNLOADED, "%s", m.sym.note);
	cr_assert_eq(m.pe.status, DW_SYMST_NOT_ASKED);
	cr_assert_geq(m.notes.count, 2);
	dw_symmodule_fini(&m);
	world_fini(&w);
}

// ---- Faults ----------------------------------------------------------------

Test(symbols_fetch, not_found_is_remembered_until_it_expires, .timeout = 30)
{
	world w;
	world_init(&w, "/fault/404", 1);
	dw_symfile f;
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_MISSING);
	cr_assert_not(f.from_negative);
	dw_symfile_fini(&f);
	size_t first = symserver_total(&w.srv);
	cr_assert_eq(first, 3); // crash.pdb, crash.pd_, file.ptr
	cr_assert_eq(symserver_ports(&w.srv), 1, "the three requests should share a connection");
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_MISSING);
	cr_assert(f.from_negative);
	dw_symfile_fini(&f);
	cr_assert_eq(symserver_total(&w.srv), first, "a negative entry must not ask again");
	struct timespec ts = {2, 200000000};
	nanosleep(&ts, NULL);
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_MISSING);
	cr_assert_not(f.from_negative, "the entry should have expired");
	dw_symfile_fini(&f);
	cr_assert_eq(symserver_total(&w.srv), 2 * first);
	world_fini(&w);
}

Test(symbols_fetch, server_error_is_retried_then_reported)
{
	world w;
	world_init(&w, "/fault/500", 0);
	dw_symfile f;
	double     t0 = now_s();
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	// Backoff 50 ms then 100 ms: the retries take a fraction of a second.
	cr_assert_lt(now_s() - t0, 1.0, "retries took %.2f s", now_s() - t0);
	cr_assert_eq(f.status, DW_SYMST_UNAVAILABLE, "%s", dw_symstatus_name(f.status));
	cr_assert(strstr(f.note, "HTTP 500") != NULL, "%s", f.note);
	dw_symfile_fini(&f);
	// Three attempts at the first name, then the server is given up on.
	cr_assert_eq(symserver_total(&w.srv), 3);
	cr_assert_not(tree_has_file(w.cache_dir, "crash.pdb"));
	world_fini(&w);
}

Test(symbols_fetch, flaky_server_succeeds_on_retry)
{
	world w;
	world_init(&w, "/fault/flaky/2", 0);
	dw_symfile f;
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_DOWNLOADED, "%s", f.note);
	dw_symfile_fini(&f);
	cr_assert_eq(symserver_count(&w.srv, " 500"), 2);
	cr_assert_eq(symserver_count(&w.srv, " 200"), 1);
	world_fini(&w);
}

Test(symbols_fetch, retry_after_is_honoured)
{
	world w;
	world_init(&w, "/fault/429/1", 0);
	dw_symfile f;
	double     t0 = now_s();
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	double dt = now_s() - t0;
	cr_assert_eq(f.status, DW_SYMST_DOWNLOADED, "%s", f.note);
	cr_assert_geq(dt, 0.9, "waited only %.2f s", dt);
	dw_symfile_fini(&f);
	cr_assert_eq(symserver_count(&w.srv, " 429"), 1);
	world_fini(&w);
}

Test(symbols_fetch, retry_after_too_long_gives_up_at_once)
{
	world w;
	world_init(&w, "/fault/busy/3600", 0);
	dw_symfile f;
	double     t0 = now_s();
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	cr_assert_lt(now_s() - t0, 3.0);
	cr_assert_eq(f.status, DW_SYMST_UNAVAILABLE);
	cr_assert(strstr(f.note, "Retry-After") != NULL, "%s", f.note);
	dw_symfile_fini(&f);
	cr_assert_eq(symserver_total(&w.srv), 1);
	world_fini(&w);
}

Test(symbols_fetch, slow_server_times_out_and_is_remembered_briefly)
{
	world w;
	world_init(&w, "/fault/slow/5000", 0);
	w.path.items[1].timeout_ms = 500;
	dw_symfile f;
	double     t0 = now_s();
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	cr_assert_lt(now_s() - t0, 3.0);
	cr_assert_eq(f.status, DW_SYMST_TIMEDOUT, "%s", dw_symstatus_name(f.status));
	dw_symfile_fini(&f);
	cr_assert_eq(symserver_total(&w.srv), 1); // timeouts are not retried
	dw_symcache_neg_kind k;
	cr_assert_eq(
	    dw_symcache_neg_get(&k, NULL, 0, w.cache, "crash.pdb/" CRASH_PDB_ID "/crash.pdb"),
	    DW_OK);
	cr_assert_eq(k, DW_NEG_TIMEOUT);
	cr_assert_not(tree_has_file(w.cache_dir, "/crash.pdb"));
	world_fini(&w);
}

Test(symbols_fetch, truncated_body_never_lands_in_the_cache)
{
	world w;
	world_init(&w, "/fault/truncate", 0);
	dw_symfile f;
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	cr_assert_neq(f.status, DW_SYMST_DOWNLOADED);
	cr_assert_eq(f.status, DW_SYMST_UNAVAILABLE, "%s: %s", dw_symstatus_name(f.status), f.note);
	dw_symfile_fini(&f);
	cr_assert_not(tree_has_file(w.cache_dir, "/crash.pdb"));
	char tmp[400];
	snprintf(tmp, sizeof(tmp), "%s/.tmp", w.cache_dir);
	cr_assert_not(tree_has_file(tmp, ""), "temporary files left behind");
	world_fini(&w);
}

Test(symbols_fetch, garbage_or_wrong_file_is_corrupt_not_cached)
{
	world w;
	world_init(&w, "/fault/garbage", 0);
	dw_symfile f;
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_CORRUPT, "%s", dw_symstatus_name(f.status));
	dw_symfile_fini(&f);
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PE, "crash.exe", CRASH_EXE_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_CORRUPT);
	dw_symfile_fini(&f);
	cr_assert_not(tree_has_file(w.cache_dir, "/crash.pdb"));
	cr_assert_not(tree_has_file(w.cache_dir, "/crash.exe"));
	world_fini(&w);

	// A real PDB of another build under the asked-for name: GUID mismatch.
	world_init(&w, "", 0);
	char dst[600], src[1100];
	snprintf(src, sizeof(src), "%s/symbols/sigsegv.pdb/%s/sigsegv.pdb", corpus_dir(),
	         SIGSEGV_ID);
	snprintf(dst, sizeof(dst), "%s/crash.pdb/%s/crash.pdb", w.srv.extra, CRASH_PDB_ID);
	copy_file(src, dst);
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_CORRUPT);
	cr_assert(strstr(f.note, SIGSEGV_ID) != NULL, "%s", f.note);
	dw_symfile_fini(&f);
	cr_assert_not(tree_has_file(w.cache_dir, "/crash.pdb"));
	world_fini(&w);
}

Test(symbols_fetch, redirects_followed_loops_cut)
{
	world w;
	world_init(&w, "/fault/redirect", 0);
	dw_symfile f;
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_DOWNLOADED, "%s", f.note);
	dw_symfile_fini(&f);
	world_fini(&w);

	world_init(&w, "/fault/loop", 0);
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_UNAVAILABLE);
	cr_assert(strstr(f.note, "edirect") != NULL, "%s", f.note);
	dw_symfile_fini(&f);
	cr_assert_leq(symserver_total(&w.srv), 1 + 5);
	world_fini(&w);
}

Test(symbols_fetch, gzip_encoding_and_bearer_auth)
{
	world w;
	world_init(&w, "/fault/gzip", 0);
	dw_symfile f;
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_DOWNLOADED, "%s", f.note);
	dw_symfile_fini(&f);
	world_fini(&w);

	world_init(&w, "/fault/auth/s3cret", 0);
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PE, "crash.exe", CRASH_EXE_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_UNAVAILABLE);
	cr_assert(strstr(f.note, "401") != NULL, "%s", f.note);
	dw_symfile_fini(&f);
	cr_assert_eq(dw_source_set_bearer(&w.path.items[1], "s3cret"), DW_OK);
	drop_negative(w.cache_dir, "crash.exe/" CRASH_EXE_ID "/crash.exe");
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PE, "crash.exe", CRASH_EXE_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_DOWNLOADED, "%s", f.note);
	dw_symfile_fini(&f);
	world_fini(&w);
}

Test(symbols_fetch, size_cap_refuses_big_files)
{
	world w;
	world_init(&w, "", 0);
	dw_fetcher_free(w.f);
	dw_fetch_opts o;
	world_fetch_opts(&o);
	o.max_bytes = 4096;
	cr_assert_eq(dw_fetcher_new(&w.f, &o), DW_OK);
	dw_symfile f;
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_CORRUPT);
	cr_assert(strstr(f.note, "larger than") != NULL, "%s", f.note);
	dw_symfile_fini(&f);
	cr_assert_not(tree_has_file(w.cache_dir, "/crash.pdb"));
	world_fini(&w);
}

Test(symbols_fetch, hostile_names_are_refused_without_a_request)
{
	world w;
	world_init(&w, "", 0);
	static const char *const names[] = {"..",         "a/..",          "C:evil.pdb", "con.pdb",
	                                    "x\x01y.pdb", "crash.pdb:ads", "star*.pdb",  "dir\\"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		dw_symfile f;
		cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, names[i], CRASH_PDB_ID),
		             DW_OK);
		cr_assert_eq(f.status, DW_SYMST_REFUSED, "%s not refused", names[i]);
		cr_assert_neq(f.note[0], '\0');
		dw_symfile_fini(&f);
	}
	static const char *const ids[] = {"../../etc", "AB/CD", "", "ZZZ"};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		dw_symfile f;
		cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "crash.pdb", ids[i]),
		             DW_OK);
		cr_assert_eq(f.status, DW_SYMST_REFUSED, "id %s not refused", ids[i]);
		dw_symfile_fini(&f);
	}
	char longname[400];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	dw_symfile f;
	cr_assert_eq(dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, longname, CRASH_PDB_ID), DW_OK);
	cr_assert_eq(f.status, DW_SYMST_REFUSED);
	dw_symfile_fini(&f);
	cr_assert_eq(symserver_total(&w.srv), 0);
	// A traversal path is reduced to its base name and stays in the cache.
	cr_assert_eq(
	    dw_resolver_file(&f, w.res, w.f, DW_FILE_PDB, "..\\..\\..\\crash.pdb", CRASH_PDB_ID),
	    DW_OK);
	cr_assert_eq(f.status, DW_SYMST_DOWNLOADED);
	cr_assert_eq(strncmp(f.path, w.cache_dir, strlen(w.cache_dir)), 0);
	cr_assert(strstr(f.path, "..") == NULL);
	dw_symfile_fini(&f);
	world_fini(&w);
}

// ---- Single flight -----------------------------------------------------------

#define NTHREADS 24

typedef struct racer {
	world             *w;
	dw_symfile         f;
	pthread_barrier_t *go;
} racer;

static void *
race(void *p)
{
	racer        *r = p;
	dw_fetcher   *f;
	dw_fetch_opts o;
	world_fetch_opts(&o);
	cr_assert_eq(dw_fetcher_new(&f, &o), DW_OK); // per-worker handle
	pthread_barrier_wait(r->go);
	cr_assert_eq(dw_resolver_file(&r->f, r->w->res, f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID),
	             DW_OK);
	dw_fetcher_free(f);
	return NULL;
}

Test(symbols_fetch, concurrent_requests_make_one_download)
{
	world w;
	// Slow enough that every thread arrives while the one download runs.
	world_init(&w, "/fault/slow/300", 0);
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, NTHREADS);
	racer     rs[NTHREADS];
	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		rs[i] = (racer){.w = &w, .go = &go};
		pthread_create(&t[i], NULL, race, &rs[i]);
	}
	size_t downloaded = 0;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		cr_assert(is_found(&rs[i].f), "thread %d: %s", i,
		          dw_symstatus_name(rs[i].f.status));
		downloaded += rs[i].f.status == DW_SYMST_DOWNLOADED;
		dw_symfile_fini(&rs[i].f);
	}
	pthread_barrier_destroy(&go);
	cr_assert_eq(downloaded, 1);
	cr_assert_eq(symserver_total(&w.srv), 1, "%d threads made %zu requests", NTHREADS,
	             symserver_total(&w.srv));
	world_fini(&w);
}

// ---- Local directories -------------------------------------------------------

Test(symbols_fetch, local_directories_symstore_index2_flat_and_compressed)
{
	skip_without_corpus();
	char store[256], cache_dir[256], src[1100], dst[600];
	scratch_dir(store, "store");
	scratch_dir(cache_dir, "lcache");
	// index2 store: first two characters as an extra folder.
	snprintf(src, sizeof(src), "%s/symbols/crash.pdb/%s/crash.pdb", corpus_dir(), CRASH_PDB_ID);
	snprintf(dst, sizeof(dst), "%s/i2/cr/crash.pdb/%s/crash.pdb", store, CRASH_PDB_ID);
	copy_file(src, dst);
	snprintf(dst, sizeof(dst), "%s/i2/index2.txt", store);
	write_file(dst, "", 0);
	// plain store with a compressed PDB.
	snprintf(src, sizeof(src), "%s/symbols/basic32.pdb/%s/basic32.pd_", corpus_dir(),
	         BASIC32_ID);
	snprintf(dst, sizeof(dst), "%s/st/basic32.pdb/%s/basic32.pd_", store, BASIC32_ID);
	copy_file(src, dst);
	// a store whose compressed file is a broken cabinet.
	snprintf(dst, sizeof(dst), "%s/st/crash.pdb/%s/crash.pd_", store, CRASH_PDB_ID);
	write_file(dst, BAD_CAB, sizeof(BAD_CAB) - 1);
	// flat directory with an image.
	snprintf(src, sizeof(src), "%s/binaries/crash.exe/%s/crash.exe", corpus_dir(),
	         CRASH_EXE_ID);
	snprintf(dst, sizeof(dst), "%s/flat/crash.exe", store);
	copy_file(src, dst);

	dw_sympath p;
	dw_sympath_init(&p);
	char sp[1200];
	snprintf(sp, sizeof(sp), "%s/i2;%s/st;%s/flat", store, store, store);
	cr_assert_eq(dw_sympath_parse(&p, sp, NULL), DW_OK);
	dw_symcache *c;
	cr_assert_eq(dw_symcache_open(&c, cache_dir, NULL, NULL), DW_OK);
	dw_resolver *r;
	cr_assert_eq(dw_resolver_new(&r, &p, c), DW_OK);
	dw_symfile f;
	cr_assert_eq(dw_resolver_file(&f, r, NULL, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID), DW_OK);
	cr_assert_eq(f.status, DW_SYMST_LOCAL, "%s: %s", dw_symstatus_name(f.status), f.note);
	cr_assert(strstr(f.path, "/i2/cr/crash.pdb/") != NULL, "%s", f.path);
	dw_symfile_fini(&f);
	cr_assert_eq(dw_resolver_file(&f, r, NULL, DW_FILE_PDB, "basic32.pdb", BASIC32_ID), DW_OK);
	cr_assert_eq(f.status, DW_SYMST_LOCAL, "%s", f.note);
	cr_assert_eq(strncmp(f.path, cache_dir, strlen(cache_dir)),
	             0); // decompressed into the cache
	cr_assert_str_eq(pdb_id_of(f.path), BASIC32_ID);
	dw_symfile_fini(&f);
	cr_assert_eq(dw_resolver_file(&f, r, NULL, DW_FILE_PE, "crash.exe", CRASH_EXE_ID), DW_OK);
	cr_assert_eq(f.status, DW_SYMST_LOCAL, "%s", f.note);
	dw_symfile_fini(&f);
	// The index2 store has crash.pdb; a broken cabinet elsewhere is corrupt.
	cr_assert_eq(dw_resolver_file(&f, r, NULL, DW_FILE_PDB, "crash.pdb",
	                              "3249D99D0C4049318610F4E4FB0B69362"),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_MISSING, "%s", dw_symstatus_name(f.status));
	dw_symfile_fini(&f);
	snprintf(dst, sizeof(dst), "%s/st/crash.pdb/%s/crash.pd_", store,
	         "3249D99D0C4049318610F4E4FB0B69362");
	write_file(dst, BAD_CAB, sizeof(BAD_CAB) - 1);
	drop_negative(cache_dir, "crash.pdb/3249D99D0C4049318610F4E4FB0B69362/crash.pdb");
	cr_assert_eq(dw_resolver_file(&f, r, NULL, DW_FILE_PDB, "crash.pdb",
	                              "3249D99D0C4049318610F4E4FB0B69362"),
	             DW_OK);
	cr_assert_eq(f.status, DW_SYMST_CORRUPT, "%s", dw_symstatus_name(f.status));
	cr_assert(strstr(f.note, "CAB") != NULL, "%s", f.note);
	dw_symfile_fini(&f);
	// A flat file of the same name but another build is not taken.
	cr_assert_eq(dw_resolver_file(&f, r, NULL, DW_FILE_PE, "crash.exe", "5AB380778000"), DW_OK);
	cr_assert_eq(f.status, DW_SYMST_CORRUPT);
	dw_symfile_fini(&f);
	dw_resolver_free(r);
	dw_symcache_close(c);
	dw_sympath_fini(&p);
	rm_rf(store);
	rm_rf(cache_dir);
}

// ---- The fetcher alone -------------------------------------------------------

Test(symbols_fetch, batch_runs_concurrently_within_the_per_host_limit)
{
	world w;
	world_init(&w, "", 0);
	dw_fetch_opts o;
	world_fetch_opts(&o);
	o.max_per_host = 2;
	dw_fetcher *f;
	cr_assert_eq(dw_fetcher_new(&f, &o), DW_OK);
	enum { N = 7 };
	dw_fetch_req reqs[N];
	char         urls[N][256];
	FILE        *files[N];
	for (int i = 0; i < N; i++) {
		files[i] = tmpfile();
		cr_assert_not_null(files[i]);
		if (i < N - 1)
			snprintf(urls[i], sizeof(urls[i]),
			         "%s/fault/slow/300/crash.pdb/%s/crash.pdb?n=%d", w.srv.base,
			         CRASH_PDB_ID, i);
		else
			snprintf(urls[i], sizeof(urls[i]), "%s/no/such/file", w.srv.base);
		reqs[i] = (dw_fetch_req){.url = urls[i], .fd = fileno(files[i])};
	}
	double t0 = now_s();
	cr_assert_eq(dw_fetcher_run(f, reqs, N), DW_OK);
	double      dt = now_s() - t0;
	struct stat st;
	char        src[1100];
	snprintf(src, sizeof(src), "%s/symbols/crash.pdb/%s/crash.pdb", corpus_dir(), CRASH_PDB_ID);
	cr_assert_eq(stat(src, &st), 0);
	for (int i = 0; i < N - 1; i++) {
		cr_assert_eq(reqs[i].result, DW_OK, "%d: %s", i, reqs[i].note);
		cr_assert_eq(reqs[i].bytes, (uint64_t)st.st_size);
		cr_assert_eq(reqs[i].attempts, 1);
	}
	cr_assert_eq(reqs[N - 1].result, DW_ENOTFOUND);
	cr_assert_eq(reqs[N - 1].http_status, 404);
	// Six 300 ms responses, two at a time: three rounds, not one, not six.
	cr_assert_geq(dt, 0.85, "%.2f s: the per-host limit was not applied", dt);
	cr_assert_lt(dt, 1.7, "%.2f s: requests did not run concurrently", dt);
	for (int i = 0; i < N; i++)
		fclose(files[i]);
	dw_fetcher_free(f);
	world_fini(&w);
}

Test(symbols_fetch, concurrent_processes_make_one_download)
{
	world w;
	world_init(&w, "/fault/slow/300", 0);
	enum { NPROC = 6 };
	pid_t kids[NPROC];
	for (int i = 0; i < NPROC; i++) {
		kids[i] = fork();
		cr_assert_neq(kids[i], -1);
		if (kids[i] == 0) {
			// Each process has its own cache object and fetcher: only the
			// lock file under .locks/ is shared.
			dw_symcache  *c;
			dw_resolver  *r;
			dw_fetcher   *f;
			dw_fetch_opts o;
			world_fetch_opts(&o);
			if (dw_symcache_open(&c, w.cache_dir, NULL, NULL) != DW_OK ||
			    dw_resolver_new(&r, &w.path, c) != DW_OK ||
			    dw_fetcher_new(&f, &o) != DW_OK)
				_exit(3);
			dw_symfile sf;
			dw_resolver_file(&sf, r, f, DW_FILE_PDB, "crash.pdb", CRASH_PDB_ID);
			_exit(is_found(&sf) ? (sf.status == DW_SYMST_DOWNLOADED ? 0 : 1) : 2);
		}
	}
	int downloaded = 0;
	for (int i = 0; i < NPROC; i++) {
		int st = 0;
		cr_assert_eq(waitpid(kids[i], &st, 0), kids[i]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) <= 1, "process %d: status %d", i, st);
		downloaded += WEXITSTATUS(st) == 0;
	}
	cr_assert_eq(downloaded, 1);
	cr_assert_eq(symserver_total(&w.srv), 1, "%d processes made %zu requests", NPROC,
	             symserver_total(&w.srv));
	world_fini(&w);
}

// ---- Counters (dw_symstats_get) -----------------------------------------------
//
// These need no shared corpus: the server serves our own x64 null_write.pdb
// (tests/corpus) from its extra/ root. The counters are process-wide, and
// Criterion runs each test in its own process, but each test still compares
// against a snapshot taken before it acts.

#define NW_PDB_ID "F3FD2B7B82B56F634C4C44205044422E1"

// A world serving only null_write.pdb (when `serve`), under path_suffix.
static void
small_world(world *w, const char *path_suffix, bool serve, off_t *pdb_size)
{
	memset(w, 0, sizeof(*w));
	symserver_start(&w->srv, false);
	// tests/corpus beside tests/data when that exists, else beside this
	// file (meson compiles it as ../tests/symbols/fetch_test.c from the
	// build root, where tests run), as symserver.c finds its script.
	const char *data = getenv("DW_TEST_DATA");
	char        src[1024], dst[600];
	struct stat st;
	snprintf(src, sizeof(src), "%s/../corpus/x64/null_write/null_write.pdb",
	         data != NULL ? data : "/nonexistent");
	if (stat(src, &st) != 0) {
		snprintf(src, sizeof(src), "%s", __FILE__);
		char *slash = strrchr(src, '/');
		snprintf(slash ? slash + 1 : src, sizeof(src) - (size_t)(slash ? slash + 1 - src : 0),
		         "../corpus/x64/null_write/null_write.pdb");
	}
	cr_assert_eq(stat(src, &st), 0, "%s is missing", src);
	if (pdb_size != NULL)
		*pdb_size = st.st_size;
	if (serve) {
		snprintf(dst, sizeof(dst), "%s/null_write.pdb/%s/null_write.pdb", w->srv.extra,
		         NW_PDB_ID);
		copy_file(src, dst);
	}
	scratch_dir(w->cache_dir, "ccache");
	cr_assert_eq(dw_symcache_open(&w->cache, w->cache_dir, NULL, NULL), DW_OK);
	dw_sympath_init(&w->path);
	char sp[512];
	snprintf(sp, sizeof(sp), "srv*%s*%s%s", w->cache_dir, w->srv.base, path_suffix);
	cr_assert_eq(dw_sympath_parse(&w->path, sp, NULL), DW_OK);
	cr_assert_eq(dw_resolver_new(&w->res, &w->path, w->cache), DW_OK);
	dw_fetch_opts fo;
	world_fetch_opts(&fo);
	cr_assert_eq(dw_fetcher_new(&w->f, &fo), DW_OK);
}

static dw_symstatus
resolve_nw(world *w, const char *name)
{
	dw_symfile f;
	cr_assert_eq(dw_resolver_file(&f, w->res, w->f, DW_FILE_PDB, name, NW_PDB_ID), DW_OK);
	dw_symstatus st = f.status;
	dw_symfile_fini(&f);
	return st;
}

#define DELTA(a, b, field) ((b).field - (a).field)

TestSuite(symbols_counters, .init = setup_curl, .fini = teardown_curl, .timeout = 60);

Test(symbols_counters, download_counts_once_then_the_cache_answers)
{
	world w;
	off_t size;
	small_world(&w, "", true, &size);
	dw_symstats a, b, c;
	dw_symstats_get(&a);
	cr_assert_eq(resolve_nw(&w, "null_write.pdb"), DW_SYMST_DOWNLOADED);
	dw_symstats_get(&b);
	cr_expect_eq(DELTA(a, b, resolve.cache_misses), 1);
	cr_expect_eq(DELTA(a, b, resolve.cache_hits), 0);
	cr_expect_eq(DELTA(a, b, resolve.downloads[DW_DL_OK]), 1);
	cr_expect_eq(DELTA(a, b, resolve.downloads[DW_DL_NOT_FOUND]), 0);
	cr_expect_eq(DELTA(a, b, fetch.attempts), 1);
	cr_expect_eq(DELTA(a, b, fetch.finished[DW_FETCH_OK]), 1);
	cr_expect_eq(DELTA(a, b, fetch.ok_bytes), (uint64_t)size, "downloaded %llu of %lld bytes",
	             (unsigned long long)DELTA(a, b, fetch.ok_bytes), (long long)size);
	cr_expect_eq(DELTA(a, b, cache.stored), 1);
	cr_expect_eq(DELTA(a, b, cache.stored_bytes), (uint64_t)size);

	cr_assert_eq(resolve_nw(&w, "null_write.pdb"), DW_SYMST_CACHED);
	dw_symstats_get(&c);
	cr_expect_eq(DELTA(b, c, resolve.cache_hits), 1);
	cr_expect_eq(DELTA(b, c, resolve.cache_misses), 0);
	cr_expect_eq(DELTA(b, c, resolve.downloads[DW_DL_OK]), 0);
	cr_expect_eq(DELTA(b, c, fetch.attempts), 0);
	cr_expect_eq(DELTA(b, c, cache.found), 1);
	cr_expect_eq(DELTA(b, c, cache.found_bytes), (uint64_t)size);
	cr_expect_eq(symserver_total(&w.srv), 1);
	world_fini(&w);
}

Test(symbols_counters, missing_file_counts_not_found_then_a_negative_hit)
{
	world w;
	small_world(&w, "", false, NULL);
	dw_symstats a, b, c;
	dw_symstats_get(&a);
	cr_assert_eq(resolve_nw(&w, "null_write.pdb"), DW_SYMST_MISSING);
	dw_symstats_get(&b);
	cr_expect_eq(DELTA(a, b, resolve.cache_misses), 1);
	cr_expect_eq(DELTA(a, b, resolve.downloads[DW_DL_NOT_FOUND]), 1);
	cr_expect_eq(DELTA(a, b, resolve.downloads[DW_DL_OK]), 0);
	// .pdb, .pd_ and file.ptr: three 404s, each once.
	cr_expect_eq(DELTA(a, b, fetch.attempts), 3);
	cr_expect_eq(DELTA(a, b, fetch.finished[DW_FETCH_NOT_FOUND]), 3);
	cr_expect_eq(DELTA(a, b, fetch.ok_bytes), 0);
	cr_expect_eq(DELTA(a, b, cache.negative_stored), 1);

	cr_assert_eq(resolve_nw(&w, "null_write.pdb"), DW_SYMST_MISSING);
	dw_symstats_get(&c);
	cr_expect_eq(DELTA(b, c, resolve.negative_hits), 1);
	cr_expect_eq(DELTA(b, c, resolve.cache_misses), 0);
	cr_expect_eq(DELTA(b, c, resolve.downloads[DW_DL_NOT_FOUND]), 0);
	cr_expect_eq(DELTA(b, c, fetch.attempts), 0);
	world_fini(&w);
}

Test(symbols_counters, failures_are_counted_by_class)
{
	static const struct {
		const char        *suffix;
		dw_download_result dl;
		dw_fetch_outcome   fo;
		uint64_t           attempts;
	} cases[] = {
	    // 3 attempts at the first name, then the server is given up on.
	    {"/fault/500", DW_DL_NETWORK, DW_FETCH_NETWORK, 3},
	    // .pdb and .pd_ are garbage, file.ptr names nothing usable.
	    {"/fault/garbage", DW_DL_BAD_CONTENT, DW_FETCH_OK, 3},
	    {"/fault/loop", DW_DL_NETWORK, DW_FETCH_REFUSED, 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		world w;
		small_world(&w, cases[i].suffix, true, NULL);
		dw_symstats a, b;
		dw_symstats_get(&a);
		dw_symstatus st = resolve_nw(&w, "null_write.pdb");
		dw_symstats_get(&b);
		cr_expect_neq(st, DW_SYMST_DOWNLOADED, "%s", cases[i].suffix);
		for (int r = 0; r < DW_DL_NRESULTS; r++)
			cr_expect_eq(DELTA(a, b, resolve.downloads[r]), r == (int)cases[i].dl ? 1u : 0u,
			             "%s: downloads{%s}", cases[i].suffix,
			             dw_download_result_name((dw_download_result)r));
		cr_expect_geq(DELTA(a, b, fetch.finished[cases[i].fo]), 1, "%s", cases[i].suffix);
		cr_expect_eq(DELTA(a, b, fetch.attempts), cases[i].attempts, "%s: %llu attempts",
		             cases[i].suffix, (unsigned long long)DELTA(a, b, fetch.attempts));
		cr_expect_eq(DELTA(a, b, cache.stored), 0, "%s", cases[i].suffix);
		world_fini(&w);
	}
}

Test(symbols_counters, refused_names_count_and_ask_nobody)
{
	world w;
	small_world(&w, "", true, NULL);
	dw_symstats a, b;
	dw_symstats_get(&a);
	cr_assert_eq(resolve_nw(&w, "a/.."), DW_SYMST_REFUSED);
	cr_assert_eq(resolve_nw(&w, "con.pdb"), DW_SYMST_REFUSED);
	dw_symstats_get(&b);
	cr_expect_eq(DELTA(a, b, resolve.refused), 2);
	cr_expect_eq(DELTA(a, b, resolve.cache_misses), 0);
	cr_expect_eq(DELTA(a, b, fetch.attempts), 0);
	world_fini(&w);
}

Test(symbols_counters, checksum_failure_is_counted_and_refetched)
{
	world w;
	small_world(&w, "", true, NULL);
	cr_assert_eq(resolve_nw(&w, "null_write.pdb"), DW_SYMST_DOWNLOADED);
	// Flip a byte of the cached copy: its checksum no longer matches.
	char p[600];
	snprintf(p, sizeof(p), "%s/null_write.pdb/%s/null_write.pdb", w.cache_dir, NW_PDB_ID);
	FILE *f = fopen(p, "r+b");
	cr_assert_not_null(f);
	fseek(f, 4096, SEEK_SET);
	int ch = fgetc(f);
	fseek(f, 4096, SEEK_SET);
	fputc(ch ^ 0xff, f);
	fclose(f);
	// A new cache object has not verified the file in this process yet.
	dw_resolver_free(w.res);
	dw_symcache_close(w.cache);
	cr_assert_eq(dw_symcache_open(&w.cache, w.cache_dir, NULL, NULL), DW_OK);
	cr_assert_eq(dw_resolver_new(&w.res, &w.path, w.cache), DW_OK);
	dw_symstats a, b;
	dw_symstats_get(&a);
	cr_assert_eq(resolve_nw(&w, "null_write.pdb"), DW_SYMST_DOWNLOADED);
	dw_symstats_get(&b);
	cr_expect_eq(DELTA(a, b, cache.checksum_failed), 1);
	cr_expect_eq(DELTA(a, b, resolve.cache_misses), 1);
	cr_expect_eq(DELTA(a, b, resolve.downloads[DW_DL_OK]), 1);
	world_fini(&w);
}

typedef struct hammer {
	world   *w;
	unsigned n;
	unsigned ok;
} hammer;

static void *
hammer_run(void *arg)
{
	hammer *h = arg;
	for (unsigned i = 0; i < h->n; i++) {
		dw_symfile f;
		if (dw_resolver_file(&f, h->w->res, NULL, DW_FILE_PDB, "null_write.pdb", NW_PDB_ID) ==
		        DW_OK &&
		    f.status == DW_SYMST_CACHED)
			h->ok++;
		dw_symfile_fini(&f);
	}
	return NULL;
}

Test(symbols_counters, concurrent_lookups_lose_no_count)
{
	world w;
	off_t size;
	small_world(&w, "", true, &size);
	cr_assert_eq(resolve_nw(&w, "null_write.pdb"), DW_SYMST_DOWNLOADED);
	enum { NT = 8, PER = 200 };
	pthread_t   th[NT];
	hammer      hs[NT];
	dw_symstats a, b;
	dw_symstats_get(&a);
	for (int i = 0; i < NT; i++) {
		hs[i] = (hammer){&w, PER, 0};
		cr_assert_eq(pthread_create(&th[i], NULL, hammer_run, &hs[i]), 0);
	}
	unsigned ok = 0;
	for (int i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		ok += hs[i].ok;
	}
	dw_symstats_get(&b);
	cr_assert_eq(ok, NT * PER);
	cr_expect_eq(DELTA(a, b, resolve.cache_hits), NT * PER);
	cr_expect_eq(DELTA(a, b, cache.found), NT * PER);
	cr_expect_eq(DELTA(a, b, cache.found_bytes), (uint64_t)size * NT * PER);
	cr_expect_eq(DELTA(a, b, resolve.cache_misses), 0);
	world_fini(&w);
}
