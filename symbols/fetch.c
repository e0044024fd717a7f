// symbols/fetch.c - libcurl multi-interface downloads with retries, per-host
// limits and size caps. The only file that includes curl.h; CURLcode and
// HTTP statuses become dw_err here.
#include "symbols/fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/limits.h"

struct dw_fetcher {
	dw_fetch_opts opts;
	CURLM        *multi;
};

// Process-wide, because fetchers are short-lived (one per locate or
// prefetch) while metrics count since the process started.
static struct {
	_Atomic uint64_t attempts;
	_Atomic uint64_t finished[DW_FETCH_NOUTCOMES];
	_Atomic uint64_t ok_bytes;
} stats;

void
dw_fetch_stats_get(dw_fetch_stats *out)
{
	out->attempts = atomic_load_explicit(&stats.attempts, memory_order_relaxed);
	for (int i = 0; i < DW_FETCH_NOUTCOMES; i++)
		out->finished[i] = atomic_load_explicit(&stats.finished[i], memory_order_relaxed);
	out->ok_bytes = atomic_load_explicit(&stats.ok_bytes, memory_order_relaxed);
}

static void
count_finished(const dw_fetch_req *r)
{
	dw_fetch_outcome o;
	switch (r->result) {
	case DW_OK: o = DW_FETCH_OK; break;
	case DW_ENOTFOUND: o = DW_FETCH_NOT_FOUND; break;
	case DW_ETIMEDOUT:
	case DW_ENET: o = DW_FETCH_NETWORK; break;
	case DW_EPROTO:
	case DW_ELIMIT: o = DW_FETCH_REFUSED; break;
	default: o = DW_FETCH_LOCAL; break;
	}
	atomic_fetch_add_explicit(&stats.finished[o], 1, memory_order_relaxed);
	if (o == DW_FETCH_OK)
		atomic_fetch_add_explicit(&stats.ok_bytes, r->bytes, memory_order_relaxed);
}

dw_err
dw_fetch_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? DW_OK : DW_ENET;
}

void
dw_fetch_global_cleanup(void)
{
	curl_global_cleanup();
}

void
dw_fetch_opts_default(dw_fetch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout_ms = 10000;
	o->timeout_ms         = 600000;
	o->max_per_host       = 4;
	o->max_attempts       = 3;
	o->backoff_ms         = 500;
	o->max_retry_after_s  = 30;
	o->max_bytes          = DW_MAX_SYMFILE_BYTES;
	o->user_agent         = "dumpwalk/0.1";
	o->low_speed_bytes    = 1024;
	o->low_speed_s        = 60;
}

dw_err
dw_fetcher_new(dw_fetcher **out, const dw_fetch_opts *o)
{
	*out          = NULL;
	dw_fetcher *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return DW_ENOMEM;
	if (o != NULL)
		f->opts = *o;
	else
		dw_fetch_opts_default(&f->opts);
	dw_fetch_opts def;
	dw_fetch_opts_default(&def);
	if (f->opts.connect_timeout_ms == 0)
		f->opts.connect_timeout_ms = def.connect_timeout_ms;
	if (f->opts.timeout_ms == 0)
		f->opts.timeout_ms = def.timeout_ms;
	if (f->opts.max_per_host == 0)
		f->opts.max_per_host = def.max_per_host;
	if (f->opts.max_attempts == 0)
		f->opts.max_attempts = def.max_attempts;
	if (f->opts.max_attempts > DW_MAX_FETCH_ATTEMPTS)
		f->opts.max_attempts = DW_MAX_FETCH_ATTEMPTS;
	if (f->opts.max_retry_after_s > DW_MAX_RETRY_AFTER_S)
		f->opts.max_retry_after_s = DW_MAX_RETRY_AFTER_S;
	if (f->opts.max_bytes == 0 || f->opts.max_bytes > DW_MAX_SYMFILE_BYTES)
		f->opts.max_bytes = DW_MAX_SYMFILE_BYTES;
	if (f->opts.user_agent == NULL)
		f->opts.user_agent = def.user_agent;
	if (f->opts.low_speed_bytes == 0 || f->opts.low_speed_s == 0) {
		f->opts.low_speed_bytes = def.low_speed_bytes;
		f->opts.low_speed_s     = def.low_speed_s;
	}
	f->multi = curl_multi_init();
	if (f->multi == NULL) {
		free(f);
		return DW_ENET;
	}
	curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)f->opts.max_per_host);
	curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, 16L);
	*out = f;
	return DW_OK;
}

void
dw_fetcher_free(dw_fetcher *f)
{
	if (f == NULL)
		return;
	curl_multi_cleanup(f->multi);
	free(f);
}

// ---- Process-wide per-host slots ---------------------------------------
//
// Each fetcher's multi handle limits its own connections per host, but a
// daemon runs one fetcher per worker: 32 workers resolving a cold dump would
// open 32x as many connections to the same server, which is how symbol
// servers end up rate-limiting us (429). So a transfer also takes a slot from
// this table before it starts. Hosts past the table's size go unlimited.

#define HOST_SLOTS 64

static pthread_mutex_t host_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char     host[128];
	uint32_t active;
} host_tab[HOST_SLOTS];

static bool
host_acquire(const char *host, uint32_t limit)
{
	bool ok = true;
	pthread_mutex_lock(&host_mu);
	int free_i = -1, hit = -1;
	for (int i = 0; i < HOST_SLOTS; i++) {
		if (host_tab[i].active > 0 && strcmp(host_tab[i].host, host) == 0) {
			hit = i;
			break;
		}
		if (host_tab[i].active == 0 && free_i < 0)
			free_i = i;
	}
	if (hit >= 0) {
		if (host_tab[hit].active >= limit)
			ok = false;
		else
			host_tab[hit].active++;
	} else if (free_i >= 0) {
		snprintf(host_tab[free_i].host, sizeof(host_tab[free_i].host), "%s", host);
		host_tab[free_i].active = 1;
	}
	pthread_mutex_unlock(&host_mu);
	return ok;
}

static void
host_release(const char *host)
{
	pthread_mutex_lock(&host_mu);
	for (int i = 0; i < HOST_SLOTS; i++)
		if (host_tab[i].active > 0 && strcmp(host_tab[i].host, host) == 0) {
			host_tab[i].active--;
			break;
		}
	pthread_mutex_unlock(&host_mu);
}

// ---- One transfer ------------------------------------------------------

typedef struct xfer {
	dw_fetch_req      *req;
	CURL              *easy;
	struct curl_slist *hdrs;
	char               host[128];
	bool               has_slot;
	bool               done;
	bool               too_big;
	bool               io_error;
	uint64_t           max_bytes;
	uint64_t           start_at_ms; // monotonic time the next attempt may start
	char               errbuf[CURL_ERROR_SIZE];
} xfer;

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	xfer  *x = arg;
	size_t n = size * nmemb;
	if (x->req->bytes + n > x->max_bytes) {
		x->too_big = true;
		return 0; // makes curl fail with CURLE_WRITE_ERROR
	}
	size_t done = 0;
	while (done < n) {
		ssize_t w = pwrite(x->req->fd, ptr + done, n - done, (off_t)(x->req->bytes + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			x->io_error = true;
			return 0;
		}
		done += (size_t)w;
	}
	x->req->bytes += n;
	return n;
}

static void
host_of(char *out, size_t cap, const char *url)
{
	out[0]   = '\0';
	CURLU *u = curl_url();
	char  *h = NULL;
	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK) {
		char *port = NULL;
		if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
			snprintf(out, cap, "%.100s:%.8s", h, port);
		else
			snprintf(out, cap, "%.100s", h);
		curl_free(port);
	}
	curl_free(h);
	curl_url_cleanup(u);
}

static dw_err
xfer_start(dw_fetcher *f, xfer *x)
{
	dw_fetch_req *r = x->req;
	if (ftruncate(r->fd, 0) != 0) {
		x->io_error = true;
		return DW_EIO;
	}
	r->bytes     = 0;
	x->too_big   = false;
	x->io_error  = false;
	x->errbuf[0] = '\0';
	CURL *e      = curl_easy_init();
	if (e == NULL)
		return DW_ENOMEM;
	x->easy = e;
	long cto =
	    (long)(r->connect_timeout_ms ? r->connect_timeout_ms : f->opts.connect_timeout_ms);
	long tto = (long)(r->timeout_ms ? r->timeout_ms : f->opts.timeout_ms);
	bool ok  = true;
	ok &= curl_easy_setopt(e, CURLOPT_URL, r->url) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)DW_MAX_HTTP_REDIRECTS) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "") == CURLE_OK; // gzip, deflate, ...
	ok &= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, cto) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, tto) == CURLE_OK;
	// A server trickling a 2 GiB PDB at 100 bytes/s would hold a worker for
	// the whole total timeout; a stalled one is dropped sooner.
	ok &=
	    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, (long)f->opts.low_speed_bytes) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)f->opts.low_speed_s) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK; // threads
	ok &= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_bytes) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_USERAGENT, f->opts.user_agent) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_WRITEDATA, x) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_PRIVATE, x) == CURLE_OK;
	// Credentials go to the configured host only, never to a redirect target
	// (libcurl's default since 7.58; stated here because it matters).
	ok &= curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L) == CURLE_OK;
	if (x->hdrs == NULL)
		for (size_t i = 0; i < r->nheaders; i++) {
			struct curl_slist *l = curl_slist_append(x->hdrs, r->headers[i]);
			if (l == NULL) {
				ok = false;
				break;
			}
			x->hdrs = l;
		}
	if (x->hdrs != NULL)
		ok &= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs) == CURLE_OK;
	if (!ok || curl_multi_add_handle(f->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		x->easy = NULL;
		return DW_ENET;
	}
	r->attempts++;
	atomic_fetch_add_explicit(&stats.attempts, 1, memory_order_relaxed);
	return DW_OK;
}

// Decides what a finished attempt means: done (with a result) or retry later.
static void
xfer_finish(dw_fetcher *f, xfer *x, CURLcode cc)
{
	dw_fetch_req *r      = x->req;
	long          status = 0;
	curl_off_t    after  = -1;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &after);
	r->http_status = status;
	curl_multi_remove_handle(f->multi, x->easy);
	curl_easy_cleanup(x->easy);
	x->easy = NULL;
	if (x->has_slot) {
		host_release(x->host);
		x->has_slot = false;
	}

	bool     retry   = false;
	uint64_t wait_ms = (uint64_t)f->opts.backoff_ms << (r->attempts > 0 ? r->attempts - 1 : 0);
	if (cc == CURLE_OK) {
		if (status >= 200 && status < 300) {
			r->result  = DW_OK;
			r->note[0] = '\0';
		} else if (status == 404 || status == 410) {
			r->result = DW_ENOTFOUND;
			snprintf(r->note, sizeof(r->note), "HTTP %ld", status);
		} else if (status == 429 || status == 503) {
			r->result = DW_ENET;
			retry     = true;
			if (after > 0) {
				if ((uint64_t)after > f->opts.max_retry_after_s) {
					retry = false;
					snprintf(r->note, sizeof(r->note),
					         "HTTP %ld, Retry-After %lld s is longer than we "
					         "wait (%u s)",
					         status, (long long)after,
					         f->opts.max_retry_after_s);
				} else {
					wait_ms = (uint64_t)after * 1000u;
					snprintf(r->note, sizeof(r->note),
					         "HTTP %ld, Retry-After %lld s", status,
					         (long long)after);
				}
			} else {
				snprintf(r->note, sizeof(r->note), "HTTP %ld", status);
			}
		} else if (status == 500 || status == 502 || status == 504) {
			r->result = DW_ENET;
			retry     = true;
			snprintf(r->note, sizeof(r->note), "HTTP %ld", status);
		} else {
			r->result = DW_EPROTO;
			snprintf(r->note, sizeof(r->note), "HTTP %ld", status);
		}
	} else if (x->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		r->result = DW_ELIMIT;
		snprintf(r->note, sizeof(r->note), "response larger than %llu bytes",
		         (unsigned long long)x->max_bytes);
	} else if (x->io_error) {
		r->result = DW_EIO;
		snprintf(r->note, sizeof(r->note), "cannot write the download: %s",
		         strerror(errno));
	} else {
		const char *why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc);
		switch (cc) {
		case CURLE_OPERATION_TIMEDOUT: r->result = DW_ETIMEDOUT; break;
		case CURLE_TOO_MANY_REDIRECTS:
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_BAD_CONTENT_ENCODING:
		case CURLE_URL_MALFORMAT:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE: r->result = DW_EPROTO; break;
		case CURLE_OUT_OF_MEMORY: r->result = DW_ENOMEM; break;
		default: // connection refused, reset, truncated body (PARTIAL_FILE), ...
			r->result = DW_ENET;
			retry     = true;
			break;
		}
		snprintf(r->note, sizeof(r->note), "%.180s", why);
	}
	if (retry && r->attempts < f->opts.max_attempts) {
		x->start_at_ms = now_ms() + wait_ms;
		return;
	}
	x->done = true;
}

dw_err
dw_fetcher_run(dw_fetcher *f, dw_fetch_req *reqs, size_t n)
{
	if (n == 0)
		return DW_OK;
	xfer *xs = calloc(n, sizeof(*xs));
	if (xs == NULL)
		return DW_ENOMEM;
	dw_err rv = DW_OK;
	for (size_t i = 0; i < n; i++) {
		xs[i].req           = &reqs[i];
		xs[i].max_bytes     = reqs[i].max_bytes && reqs[i].max_bytes < f->opts.max_bytes
		                          ? reqs[i].max_bytes
		                          : f->opts.max_bytes;
		reqs[i].result      = DW_ENET;
		reqs[i].http_status = 0;
		reqs[i].bytes       = 0;
		reqs[i].attempts    = 0;
		reqs[i].note[0]     = '\0';
		host_of(xs[i].host, sizeof(xs[i].host), reqs[i].url);
		if (xs[i].host[0] == '\0') {
			reqs[i].result = DW_EPROTO;
			snprintf(reqs[i].note, sizeof(reqs[i].note), "not a URL we can fetch");
			xs[i].done = true;
		}
	}
	for (;;) {
		uint64_t now     = now_ms();
		uint64_t next_at = UINT64_MAX;
		size_t   pending = 0;
		for (size_t i = 0; i < n; i++) {
			xfer *x = &xs[i];
			if (x->done)
				continue;
			pending++;
			if (x->easy != NULL)
				continue;
			if (x->start_at_ms > now) {
				next_at = x->start_at_ms < next_at ? x->start_at_ms : next_at;
				continue;
			}
			if (!host_acquire(x->host, f->opts.max_per_host)) {
				next_at = now + 50 < next_at ? now + 50 : next_at;
				continue;
			}
			x->has_slot = true;
			dw_err e    = xfer_start(f, x);
			if (e != DW_OK) {
				host_release(x->host);
				x->has_slot    = false;
				x->done        = true;
				x->req->result = e;
				snprintf(x->req->note, sizeof(x->req->note),
				         "cannot start the request: %s", dw_strerror(e));
			}
		}
		if (pending == 0)
			break;
		int running = 0;
		if (curl_multi_perform(f->multi, &running) != CURLM_OK) {
			rv = DW_ENET;
			break;
		}
		CURLMsg *m;
		int      left;
		while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			xfer *x = NULL;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			if (x != NULL)
				xfer_finish(f, x, m->data.result);
		}
		// Wait for socket activity, or until a retry or a host slot is
		// due; never when everything just finished (that wait would be
		// a full second for nothing).
		bool more = false;
		for (size_t i = 0; i < n && !more; i++)
			more = !xs[i].done;
		if (!more)
			break;
		// Retries scheduled just now count too.
		now = now_ms();
		for (size_t i = 0; i < n; i++)
			if (!xs[i].done && xs[i].easy == NULL && xs[i].start_at_ms < next_at)
				next_at = xs[i].start_at_ms > now ? xs[i].start_at_ms : now;
		int timeout = 1000;
		if (next_at != UINT64_MAX)
			timeout = next_at <= now
			              ? 0
			              : (next_at - now < 1000 ? (int)(next_at - now) : 1000);
		bool idle = true; // no transfer in curl: only timers to wait for
		for (size_t i = 0; i < n && idle; i++)
			idle = xs[i].done || xs[i].easy == NULL;
		if (running > 0 || !idle)
			curl_multi_poll(f->multi, NULL, 0, timeout, NULL);
		else if (timeout > 0) {
			struct timespec ts = {timeout / 1000, (long)(timeout % 1000) * 1000000};
			nanosleep(&ts, NULL);
		}
	}
	for (size_t i = 0; i < n; i++) {
		count_finished(&reqs[i]);
		if (xs[i].easy != NULL) {
			curl_multi_remove_handle(f->multi, xs[i].easy);
			curl_easy_cleanup(xs[i].easy);
		}
		if (xs[i].has_slot)
			host_release(xs[i].host);
		curl_slist_free_all(xs[i].hdrs);
	}
	free(xs);
	return rv;
}
