// daemon/metrics.c - counters, the Stats method, and the HTTP endpoints
// (/metrics in Prometheus text format, /healthz, /readyz) on NNG's HTTP server.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"
#include "daemon/prefetch.h"
#include "daemon/server_int.h"
#include "symbols/resolve.h"

const double dwd_bucket_bounds[DWD_NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                0.1,    0.25,  0.5,    1,     2.5,  10,    0};

static const char *const code_names[DWD_NCODES] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
};

void
dwd_metrics_record(dwd_server *s, dwd_method m, int code, uint64_t elapsed_ns)
{
	if (code < 0 || code >= DWD_NCODES)
		code = 2;
	atomic_fetch_add_explicit(&s->m.requests[m][code], 1, memory_order_relaxed);
	double sec = (double)elapsed_ns / 1e9;
	int    b   = 0;
	while (b < DWD_NBUCKETS - 1 && sec > dwd_bucket_bounds[b])
		b++;
	atomic_fetch_add_explicit(&s->m.latency_bucket[m][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->m.latency_sum_us[m], elapsed_ns / 1000, memory_order_relaxed);
}

void
dwd_stats(dwd_rx *rx)
{
	dwd_server              *s = rx->s;
	Dumpwalk__V1__StatsReply r = DUMPWALK__V1__STATS_REPLY__INIT;
	r.uptime_ms                = (dwd_now_ns() - s->started_ns) / 1000000u;
	r.workers                  = s->workers;
	r.queue_depth              = dwd_jobs_depth(s);
	r.queue_capacity           = s->queue_cap;
	r.rejected_overload        = atomic_load(&s->m.rejected_overload);
	r.dumps_analyzed           = atomic_load(&s->m.dumps_analyzed);
	r.dump_bytes_analyzed      = atomic_load(&s->m.dump_bytes);
	dwd_uploads_usage(s, &r.uploads_active, &r.upload_bytes_held);
	dw_symstats sy;
	dw_symstats_get(&sy);
	r.symbol_cache_hits          = sy.resolve.cache_hits;
	r.symbol_cache_negative_hits = sy.resolve.negative_hits;
	r.symbol_cache_misses        = sy.resolve.cache_misses;
	r.symbol_downloads           = sy.resolve.downloads[DW_DL_OK];
	for (int i = 0; i < DW_DL_NRESULTS; i++)
		if (i != DW_DL_OK)
			r.symbol_download_failures += sy.resolve.downloads[i];
	r.symbol_download_bytes = sy.fetch.ok_bytes;
	Dumpwalk__V1__MethodStats  ms[DWD_M_COUNT];
	Dumpwalk__V1__MethodStats *mp[DWD_M_COUNT];
	for (int m = 0; m < DWD_M_COUNT; m++) {
		dumpwalk__v1__method_stats__init(&ms[m]);
		ms[m].method = (char *)dwd_method_names[m];
		for (int c = 0; c < DWD_NCODES; c++) {
			uint64_t v = atomic_load(&s->m.requests[m][c]);
			r.requests_total += v;
			if (c == 0)
				ms[m].ok += v;
			else
				ms[m].failed += v;
		}
		mp[m] = &ms[m];
	}
	// In flight = received and not yet answered, read after the answered
	// counts: a request is counted once, in in_flight or in requests_total.
	// (s->in_flight drops only once NNG has taken the reply, after the
	// request was counted as answered: summed with requests_total it counted
	// such a request twice, and the drain test stopped the daemon before all
	// its requests had arrived.)
	uint64_t dropped = atomic_load(&s->dropped);
	uint64_t got     = atomic_load(&s->received);
	r.in_flight      = (uint32_t)(got - dropped - r.requests_total);
	r.methods   = mp;
	r.n_methods = DWD_M_COUNT;
	uint8_t buf[2048];
	size_t  n = dumpwalk__v1__stats_reply__get_packed_size(&r);
	if (n > sizeof(buf)) {
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__INTERNAL, 0, "stats reply too large");
		return;
	}
	dwd_reply(rx, 0, NULL, 0, buf, dumpwalk__v1__stats_reply__pack(&r, buf));
}

// A growing text buffer for one /metrics page.
typedef struct page {
	char  *p;
	size_t len, cap;
	bool   oom;
} page;

static void pf(page *pg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
pf(page *pg, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(pg->p + pg->len, pg->cap - pg->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			pg->oom = true;
			return;
		}
		if ((size_t)n < pg->cap - pg->len) {
			pg->len += (size_t)n;
			return;
		}
		size_t nc = pg->cap * 2 + (size_t)n;
		char  *np = realloc(pg->p, nc);
		if (np == NULL) {
			pg->oom = true;
			return;
		}
		pg->p   = np;
		pg->cap = nc;
	}
}

static void
counter(page *pg, const char *name, const char *help, uint64_t v)
{
	pf(pg, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
	   (unsigned long long)v);
}

// The symbol-server layer's counters (symbols/resolve.h) are process-wide:
// they include the files every analysis and every PrefetchSymbols resolved.
static void
symbol_metrics(dwd_server *s, page *pg)
{
	dw_symstats st;
	dw_symstats_get(&st);
	counter(pg, "dumpwalk_symbol_cache_hits_total",
	        "Symbol files (PDB, image, .sym) answered from the download cache.",
	        st.resolve.cache_hits);
	counter(pg, "dumpwalk_symbol_cache_misses_total",
	        "Symbol files not in the download cache and not known missing: the sources "
	        "were searched.",
	        st.resolve.cache_misses);
	counter(pg, "dumpwalk_symbol_cache_negative_hits_total",
	        "Symbol files answered by a live negative cache entry (known missing, corrupt "
	        "or unreachable): no source asked.",
	        st.resolve.negative_hits);
	counter(pg, "dumpwalk_symbol_cache_read_bytes_total",
	        "Bytes of the symbol files served from the download cache.", st.cache.found_bytes);
	counter(pg, "dumpwalk_symbol_cache_written_bytes_total",
	        "Bytes of symbol files stored in the download cache (downloaded or unpacked).",
	        st.cache.stored_bytes);
	counter(pg, "dumpwalk_symbol_cache_checksum_failures_total",
	        "Cached symbol files that failed their checksum and were removed.",
	        st.cache.checksum_failed);
	counter(pg, "dumpwalk_symbol_cache_evicted_bytes_total",
	        "Bytes the download cache evicted to stay under its quota.", st.cache.evicted_bytes);
	counter(pg, "dumpwalk_symbol_local_found_total",
	        "Symbol files found in a local directory source of the symbol path.",
	        st.resolve.local_found);
	counter(pg, "dumpwalk_symbol_refused_total",
	        "Symbol lookups refused because the name or id from the dump is unsafe or "
	        "malformed.",
	        st.resolve.refused);
	pf(pg, "# HELP dumpwalk_symbol_downloads_total Symbol files looked for at an HTTP symbol "
	       "server, by outcome (ok, not_found, network, bad_content, error).\n"
	       "# TYPE dumpwalk_symbol_downloads_total counter\n");
	for (int r = 0; r < DW_DL_NRESULTS; r++)
		pf(pg, "dumpwalk_symbol_downloads_total{result=\"%s\"} %llu\n",
		   dw_download_result_name((dw_download_result)r),
		   (unsigned long long)st.resolve.downloads[r]);
	counter(pg, "dumpwalk_symbol_download_bytes_total",
	        "Body bytes of successful HTTP replies from symbol servers.", st.fetch.ok_bytes);
	static const char *const fetch_names[DW_FETCH_NOUTCOMES] = {"ok", "not_found", "network",
	                                                            "refused", "local"};
	pf(pg, "# HELP dumpwalk_symbol_http_requests_total HTTP requests to symbol servers by how "
	       "they ended after retries (ok, not_found, network, refused, local).\n"
	       "# TYPE dumpwalk_symbol_http_requests_total counter\n");
	for (int r = 0; r < DW_FETCH_NOUTCOMES; r++)
		pf(pg, "dumpwalk_symbol_http_requests_total{result=\"%s\"} %llu\n", fetch_names[r],
		   (unsigned long long)st.fetch.finished[r]);
	counter(pg, "dumpwalk_symbol_http_attempts_total",
	        "HTTP requests sent to symbol servers, retries included.", st.fetch.attempts);
	dwd_prefetch_counts pc;
	dwd_prefetch_get_counts(s, &pc);
	pf(pg, "# HELP dumpwalk_prefetch_modules_total Modules PrefetchSymbols resolved, by "
	       "result (found, not_found, failed).\n"
	       "# TYPE dumpwalk_prefetch_modules_total counter\n"
	       "dumpwalk_prefetch_modules_total{result=\"found\"} %llu\n"
	       "dumpwalk_prefetch_modules_total{result=\"not_found\"} %llu\n"
	       "dumpwalk_prefetch_modules_total{result=\"failed\"} %llu\n",
	   (unsigned long long)pc.found, (unsigned long long)pc.not_found,
	   (unsigned long long)pc.failed);
}

static void
metrics_page(dwd_server *s, page *pg)
{
	pf(pg, "# HELP dumpwalk_requests_total Requests answered, by method and status code.\n"
	       "# TYPE dumpwalk_requests_total counter\n");
	for (int m = 0; m < DWD_M_COUNT; m++)
		for (int c = 0; c < DWD_NCODES; c++) {
			uint64_t v = atomic_load(&s->m.requests[m][c]);
			if (v != 0 || (c == 0 && m != DWD_M_UNKNOWN))
				pf(pg, "dumpwalk_requests_total{method=\"%s\",code=\"%s\"} %llu\n",
				   dwd_method_names[m], code_names[c], (unsigned long long)v);
		}
	pf(pg, "# HELP dumpwalk_request_duration_seconds Time from receiving a request to "
	       "sending its reply.\n# TYPE dumpwalk_request_duration_seconds histogram\n");
	for (int m = 0; m < DWD_M_COUNT; m++) {
		uint64_t cum = 0;
		for (int b = 0; b < DWD_NBUCKETS; b++) {
			cum += atomic_load(&s->m.latency_bucket[m][b]);
			if (b == DWD_NBUCKETS - 1)
				pf(pg, "dumpwalk_request_duration_seconds_bucket{method=\"%s\",le=\"+Inf\"} %llu\n",
				   dwd_method_names[m], (unsigned long long)cum);
			else
				pf(pg, "dumpwalk_request_duration_seconds_bucket{method=\"%s\",le=\"%g\"} %llu\n",
				   dwd_method_names[m], dwd_bucket_bounds[b], (unsigned long long)cum);
		}
		pf(pg, "dumpwalk_request_duration_seconds_sum{method=\"%s\"} %.6f\n",
		   dwd_method_names[m], (double)atomic_load(&s->m.latency_sum_us[m]) / 1e6);
		pf(pg, "dumpwalk_request_duration_seconds_count{method=\"%s\"} %llu\n",
		   dwd_method_names[m], (unsigned long long)cum);
	}
	unsigned active;
	uint64_t held;
	dwd_uploads_usage(s, &active, &held);
	pf(pg,
	   "# HELP dumpwalk_queue_depth Jobs waiting for a worker.\n# TYPE dumpwalk_queue_depth gauge\n"
	   "dumpwalk_queue_depth %u\n"
	   "# HELP dumpwalk_queue_capacity Jobs the queue holds before refusing work.\n"
	   "# TYPE dumpwalk_queue_capacity gauge\ndumpwalk_queue_capacity %u\n"
	   "# HELP dumpwalk_jobs_running Jobs a worker is executing.\n"
	   "# TYPE dumpwalk_jobs_running gauge\ndumpwalk_jobs_running %u\n"
	   "# HELP dumpwalk_in_flight Requests received and not yet answered.\n"
	   "# TYPE dumpwalk_in_flight gauge\ndumpwalk_in_flight %u\n"
	   "# HELP dumpwalk_workers Worker threads.\n# TYPE dumpwalk_workers gauge\n"
	   "dumpwalk_workers %u\n"
	   "# HELP dumpwalk_rejected_overload_total Requests refused with RESOURCE_EXHAUSTED "
	   "because the queue was full.\n# TYPE dumpwalk_rejected_overload_total counter\n"
	   "dumpwalk_rejected_overload_total %llu\n"
	   "# HELP dumpwalk_dumps_analyzed_total Dumps analyzed successfully.\n"
	   "# TYPE dumpwalk_dumps_analyzed_total counter\ndumpwalk_dumps_analyzed_total %llu\n"
	   "# HELP dumpwalk_dump_bytes_total Bytes of dumps analyzed.\n"
	   "# TYPE dumpwalk_dump_bytes_total counter\ndumpwalk_dump_bytes_total %llu\n"
	   "# HELP dumpwalk_uploads_active Uploads open or committed and not expired.\n"
	   "# TYPE dumpwalk_uploads_active gauge\ndumpwalk_uploads_active %u\n"
	   "# HELP dumpwalk_upload_bytes Bytes reserved by uploads.\n"
	   "# TYPE dumpwalk_upload_bytes gauge\ndumpwalk_upload_bytes %llu\n"
	   "# HELP dumpwalk_draining 1 while shutting down.\n# TYPE dumpwalk_draining gauge\n"
	   "dumpwalk_draining %d\n",
	   dwd_jobs_depth(s), s->queue_cap, atomic_load(&s->running), atomic_load(&s->in_flight),
	   s->workers, (unsigned long long)atomic_load(&s->m.rejected_overload),
	   (unsigned long long)atomic_load(&s->m.dumps_analyzed),
	   (unsigned long long)atomic_load(&s->m.dump_bytes), active, (unsigned long long)held,
	   atomic_load(&s->draining) ? 1 : 0);
	symbol_metrics(s, pg);
}

static void
respond(nng_aio *aio, uint16_t status, const char *ctype, const char *body, size_t len)
{
	nng_http_res *res;
	int           rv;
	if ((rv = nng_http_res_alloc(&res)) != 0) {
		nng_aio_finish(aio, rv);
		return;
	}
	nng_http_res_set_status(res, status);
	nng_http_res_set_header(res, "Content-Type", ctype);
	if ((rv = nng_http_res_copy_data(res, body, len)) != 0) {
		nng_http_res_free(res);
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

static dwd_server *
server_of(nng_aio *aio)
{
	return nng_http_handler_get_data(nng_aio_get_input(aio, 1));
}

static void
h_metrics(nng_aio *aio)
{
	dwd_server *s  = server_of(aio);
	page        pg = {malloc(16384), 0, 16384, false};
	if (pg.p == NULL) {
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	metrics_page(s, &pg);
	if (pg.oom)
		respond(aio, 500, "text/plain", "out of memory\n", 14);
	else
		respond(aio, 200, "text/plain; version=0.0.4", pg.p, pg.len);
	free(pg.p);
}

static void
h_healthz(nng_aio *aio)
{
	respond(aio, 200, "text/plain", "ok\n", 3);
}

static void
h_readyz(nng_aio *aio)
{
	dwd_server *s = server_of(aio);
	if (atomic_load(&s->draining))
		respond(aio, 503, "text/plain", "draining\n", 9);
	else if (dwd_jobs_depth(s) >= s->queue_cap)
		respond(aio, 503, "text/plain", "queue full\n", 11);
	else
		respond(aio, 200, "text/plain", "ready\n", 6);
}

int
dwd_http_start(dwd_server *s, const char *url)
{
	int      rv;
	nng_url *u;
	if ((rv = nng_url_parse(&u, url)) != 0)
		return rv;
	rv = nng_http_server_hold(&s->http, u);
	nng_url_free(u);
	if (rv != 0)
		return rv;
	static const struct {
		const char *path;
		void (*cb)(nng_aio *);
	} routes[] = {{"/metrics", h_metrics}, {"/healthz", h_healthz}, {"/readyz", h_readyz}};
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		nng_http_handler *h;
		if ((rv = nng_http_handler_alloc(&h, routes[i].path, routes[i].cb)) != 0)
			goto fail;
		nng_http_handler_set_method(h, "GET");
		nng_http_handler_set_data(h, s, NULL);
		if ((rv = nng_http_server_add_handler(s->http, h)) != 0) {
			nng_http_handler_free(h);
			goto fail;
		}
	}
	if ((rv = nng_http_server_start(s->http)) != 0)
		goto fail;
	dwd_log(DWD_INFO, "http_listening", "url=%s paths=/metrics,/healthz,/readyz", url);
	return 0;
fail:
	nng_http_server_release(s->http);
	s->http = NULL;
	return rv;
}

void
dwd_http_stop(dwd_server *s)
{
	if (s->http == NULL)
		return;
	nng_http_server_stop(s->http);
	nng_http_server_release(s->http);
	s->http = NULL;
}
