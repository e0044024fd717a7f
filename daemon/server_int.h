// daemon/server_int.h - dumpwalkd internals shared by server.c, job.c,
// upload.c and metrics.c. Nothing outside daemon/ includes this.
#ifndef DW_DAEMON_SERVER_INT_H
#define DW_DAEMON_SERVER_INT_H

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <nng/supplemental/tls/tls.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/analyze.h"
#include "daemon/config.h"
#include "dumpwalk/v1/analyzer.pb-c.h"
#include "dumpwalk/v1/envelope.pb-c.h"

// Methods, in the order metrics list them.
typedef enum dwd_method {
	DWD_M_ANALYZE,
	DWD_M_UPLOAD_BEGIN,
	DWD_M_UPLOAD_CHUNK,
	DWD_M_UPLOAD_COMMIT,
	DWD_M_PREFETCH,
	DWD_M_STATS,
	DWD_M_HEALTH,
	DWD_M_UNKNOWN,
	DWD_M_COUNT
} dwd_method;

extern const char *const dwd_method_names[DWD_M_COUNT];

#define DWD_NCODES 17 // gRPC status codes 0..16
#define DWD_NBUCKETS 14
extern const double dwd_bucket_bounds[DWD_NBUCKETS]; // seconds; the last is +Inf

typedef struct dwd_metrics {
	_Atomic uint64_t requests[DWD_M_COUNT][DWD_NCODES];
	_Atomic uint64_t latency_bucket[DWD_M_COUNT][DWD_NBUCKETS];
	_Atomic uint64_t latency_sum_us[DWD_M_COUNT];
	_Atomic uint64_t rejected_overload;
	_Atomic uint64_t dumps_analyzed;
	_Atomic uint64_t dump_bytes;
} dwd_metrics;

typedef struct dwd_server dwd_server;

// One NNG REP context and the request it is serving: the unit of the aio
// state machine (nng demo/async/server.c's `struct work`). A context serves
// one request at a time, so the job for that request lives in it too.
typedef enum rx_state { RX_INIT, RX_RECV, RX_WAIT, RX_SEND } rx_state;

typedef struct dwd_rx {
	dwd_server *s;
	nng_ctx     ctx;
	nng_aio    *aio;
	rx_state    state;
	// The request being served.
	dwd_method              method;
	uint64_t                request_id;
	uint64_t                t_start_ns;  // monotonic
	// The server was draining when this request was received. Read before the
	// request counts as in flight, so one that Stats (or a drain) already
	// counted is served even if SIGTERM comes before it is dispatched.
	bool                    after_drain;
	uint64_t                deadline_ns; // monotonic
	Dumpwalk__V1__Envelope *env;         // owned until the reply is built
	struct dwd_upload      *upload;      // held by an Analyze-by-upload or a commit
} dwd_rx;

typedef struct dwd_upload {
	char     id[33];
	uint64_t total;
	uint64_t received;
	uint8_t *data;
	bool     committed;
	unsigned holds;      // jobs using `data`; never expired while > 0
	uint64_t last_used_ns;
} dwd_upload;

// The live parts of the configuration, replaced on SIGHUP under `cfg_lock`.
struct dwd_server {
	dwd_config       cfg; // guarded by cfg_lock (readers take it shared)
	pthread_rwlock_t cfg_lock;

	nng_socket        sock;
	nng_listener      listeners[DWD_MAX_LISTEN];
	size_t            nlisteners;
	nng_tls_config   *tls;
	nng_http_server  *http;
	dwd_rx          **rx;
	size_t            nrx;
	uint64_t          started_ns;
	unsigned          workers;
	unsigned          queue_cap;
	uint64_t          max_message_bytes;

	// Work queue: a ring of contexts waiting for a worker.
	pthread_mutex_t qlock;
	pthread_cond_t  qcond;
	dwd_rx        **queue;
	unsigned        qhead, qlen;
	bool            stopping; // workers exit when the queue is empty
	pthread_t      *threads;
	_Atomic unsigned running; // jobs a worker is executing
	_Atomic uint64_t avg_job_us; // moving average for retry hints

	_Atomic unsigned in_flight; // received, reply not yet sent
	// Monotonic: requests received, and those never answered (no memory for
	// the reply). Stats' in_flight is received - dropped - answered, from
	// the same counters as its requests_total.
	_Atomic uint64_t received;
	_Atomic uint64_t dropped;
	_Atomic bool     draining;
	_Atomic bool     closing;

	// Uploads.
	pthread_mutex_t ulock;
	dwd_upload     *uploads;   // array of max_uploads slots; id[0] == 0 is free
	size_t          max_uploads;
	uint64_t        upload_bytes; // reserved by active uploads

	dwd_metrics m;
	// Symbol sources for every analysis (cfg.symbol_path at start; a reload
	// keeps them: open tables stay valid for jobs in flight).
	dwd_symbols *symbols;
	// PrefetchSymbols: its threads, queue and sources (prefetch.c).
	struct dwd_prefetch *prefetch;
};

uint64_t dwd_now_ns(void);

// server.c
void dwd_reply(dwd_rx *rx, int code, const char *msg, uint32_t retry_after_ms,
               const uint8_t *payload, size_t len);
void dwd_reply_errf(dwd_rx *rx, int code, uint32_t retry_after_ms, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

// job.c: the worker pool and its bounded queue.
int  dwd_jobs_start(dwd_server *s);
// dwd_jobs_submit queues rx for a worker; false when the queue is full.
bool dwd_jobs_submit(dwd_server *s, dwd_rx *rx);
void dwd_jobs_stop(dwd_server *s);
unsigned dwd_jobs_depth(dwd_server *s);
uint32_t dwd_jobs_retry_hint_ms(dwd_server *s);
bool dwd_rx_expired(void *rx);

// upload.c
int  dwd_uploads_init(dwd_server *s);
void dwd_uploads_fini(dwd_server *s);
void dwd_upload_begin(dwd_rx *rx, const uint8_t *p, size_t n);
void dwd_upload_chunk(dwd_rx *rx, const uint8_t *p, size_t n);
// dwd_upload_commit runs on a worker (hashing may take a while).
void dwd_upload_commit(dwd_rx *rx, const uint8_t *p, size_t n);
// dwd_upload_hold finds a committed upload and holds it; the caller
// releases with dwd_upload_release. Returns a status code and fills msg.
int  dwd_upload_hold(dwd_server *s, const char *id, dwd_upload **out, char *msg, size_t msglen);
void dwd_upload_release(dwd_server *s, dwd_upload *u);
void dwd_uploads_expire(dwd_server *s);
void dwd_uploads_usage(dwd_server *s, unsigned *active, uint64_t *bytes);

// metrics.c
void dwd_metrics_record(dwd_server *s, dwd_method m, int code, uint64_t elapsed_ns);
int  dwd_http_start(dwd_server *s, const char *url);
void dwd_http_stop(dwd_server *s);
void dwd_stats(dwd_rx *rx);

#endif
