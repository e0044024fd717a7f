// symbols/fetch.h - HTTP(S) downloads for symbol files: the only part of
// dumpwalk that sees libcurl (curl.h stays in fetch.c).
//
// A dw_fetcher wraps one libcurl multi handle: requests given to one
// dw_fetcher_run call go concurrently, connections are kept between calls
// (reuse), and a process-wide per-host limit caps parallel transfers to one
// server across all fetchers. Each worker thread owns its fetcher (STYLE §5:
// per-worker CURL handles); a fetcher must not be used by two threads at once.
//
// Policy applied to every request: http and https only (also for redirects),
// TLS peer and host verification on, gzip/deflate transfer encoding accepted,
// at most DW_MAX_HTTP_REDIRECTS redirects, connect and total timeouts, a
// maximum body size, and retries with exponential backoff for 429, 500, 502,
// 503, 504 and network errors (not for timeouts: a slow server stays slow).
// A 429/503 Retry-After (seconds or HTTP date) is honoured up to
// max_retry_after_s; a server asking for longer is given up on for now.
#ifndef DW_SYMBOLS_FETCH_H
#define DW_SYMBOLS_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct dw_fetcher dw_fetcher;

typedef struct dw_fetch_opts {
	uint32_t    connect_timeout_ms; // default 10 s
	uint32_t    timeout_ms;         // whole transfer, default 10 min
	uint32_t    max_per_host;       // parallel transfers per host, process-wide; default 4
	uint32_t    max_attempts;       // first try + retries, <= DW_MAX_FETCH_ATTEMPTS; default 3
	uint32_t    backoff_ms;         // first retry delay, doubled each time; default 500
	uint32_t    max_retry_after_s;  // <= DW_MAX_RETRY_AFTER_S; default 30
	uint64_t    max_bytes;          // body size cap, default DW_MAX_SYMFILE_BYTES
	uint32_t    low_speed_bytes;    // a transfer slower than this many bytes/s ...
	uint32_t    low_speed_s;        // ... for this long is abandoned; default 1024 B/s, 60 s
	const char *user_agent;         // default "dumpwalk/<version>"
} dw_fetch_opts;

// dw_fetch_global_init initializes libcurl (curl_global_init). Call it once
// from the program's main (daemon or CLI) before any thread uses a fetcher;
// it is not thread-safe. DW_ENET when libcurl cannot start.
dw_err dw_fetch_global_init(void);
// dw_fetch_global_cleanup undoes it, after every fetcher is freed.
void dw_fetch_global_cleanup(void);

// dw_fetch_opts_default fills o with the defaults above.
void dw_fetch_opts_default(dw_fetch_opts *o);

// dw_fetcher_new makes a fetcher (a copy of *o; NULL means defaults).
// DW_ENOMEM, DW_ENET when libcurl refuses.
dw_err dw_fetcher_new(dw_fetcher **out, const dw_fetch_opts *o);
// dw_fetcher_free closes its connections. NULL is fine.
void dw_fetcher_free(dw_fetcher *f);

// One request. The caller fills the inputs; dw_fetcher_run fills the rest.
typedef struct dw_fetch_req {
	const char        *url;     // http:// or https://
	const char *const *headers; // "Name: value" lines, borrowed
	size_t             nheaders;
	uint32_t           connect_timeout_ms; // 0: the fetcher's
	uint32_t           timeout_ms;         // 0: the fetcher's
	uint64_t           max_bytes;          // 0: the fetcher's
	int                fd; // the body is written here from offset 0 (truncated on retry)

	// Results.
	dw_err result;        // DW_OK for a 2xx body written whole; DW_ENOTFOUND for
	                      // 404/410; DW_ETIMEDOUT; DW_ENET (connection, 5xx, 429
	                      // after retries); DW_EPROTO (other statuses, redirect
	                      // loop, bad encoding); DW_ELIMIT (too big); DW_EIO (fd)
	long     http_status; // last status seen, 0 when none
	uint64_t bytes;       // body bytes written
	uint32_t attempts;    // requests made for it (retries included)
	char     note[192];   // why it failed, for a person
} dw_fetch_req;

// dw_fetcher_run performs the n requests concurrently and returns when all
// are done (each with its own result). Returns DW_OK when every request was
// attempted, DW_ENOMEM / DW_ENET when the fetcher itself failed (then the
// results are not meaningful).
dw_err dw_fetcher_run(dw_fetcher *f, dw_fetch_req *reqs, size_t n);

// How a request ended, after its retries (the classes of dw_fetch_stats).
typedef enum dw_fetch_outcome {
	DW_FETCH_OK,        // 2xx, body written whole
	DW_FETCH_NOT_FOUND, // 404 / 410
	DW_FETCH_NETWORK,   // timed out, connection failed, 5xx or 429 after retries
	DW_FETCH_REFUSED,   // other statuses, redirect loop, bad encoding, TLS, too big
	DW_FETCH_LOCAL,     // our side: the file could not be written, no memory
	DW_FETCH_NOUTCOMES
} dw_fetch_outcome;

// Counters of every fetcher in the process since it started, for metrics.
typedef struct dw_fetch_stats {
	uint64_t attempts;                    // HTTP requests sent, retries included
	uint64_t finished[DW_FETCH_NOUTCOMES]; // requests by how they ended (once each)
	uint64_t ok_bytes;                    // body bytes of requests that ended DW_FETCH_OK
} dw_fetch_stats;

// dw_fetch_stats_get copies the counters. Thread-safe and lock-free: each
// field is read atomically, the set is not one instant (a request may show
// in `attempts` before it shows in `finished`).
void dw_fetch_stats_get(dw_fetch_stats *out);

#endif
