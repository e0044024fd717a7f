// daemon/server.c - the NNG side of dumpwalkd: one REP socket, many
// contexts, each an aio state machine (nng's demo/async/server.c):
//
//   RX_INIT -> recv -> RX_RECV: unpack the Envelope, check auth, deadline and
//   method; cheap methods answer at once, Analyze and UploadCommit go to the
//   bounded work queue (RX_WAIT) or are refused with RESOURCE_EXHAUSTED;
//   -> send -> RX_SEND: the reply went out (or failed: free it) -> recv again.
//
// The number of contexts bounds the requests held in memory at once
// (contexts x max_message_bytes), whatever the number of clients: a request
// no context is receiving waits in its connection, not in our heap.
#include "daemon/server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/tls/tls.h>

#include "daemon/log.h"
#include "daemon/prefetch.h"
#include "daemon/server_int.h"

const char *const dwd_method_names[DWD_M_COUNT] = {
    "dumpwalk.v1.Analyzer/Analyze",     "dumpwalk.v1.Analyzer/UploadBegin",
    "dumpwalk.v1.Analyzer/UploadChunk", "dumpwalk.v1.Analyzer/UploadCommit",
    "dumpwalk.v1.Symbols/PrefetchSymbols", "dumpwalk.v1.Admin/Stats",
    "dumpwalk.v1.Admin/Health",         "unknown",
};

static const char *const code_names[DWD_NCODES] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
};

// Bytes of a Reply beyond its payload (status message, ids, tags).
#define REPLY_OVERHEAD 1024

uint64_t
dwd_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void rx_recv(dwd_rx *rx);

void
dwd_reply(dwd_rx *rx, int code, const char *msg, uint32_t retry_after_ms, const uint8_t *payload,
          size_t len)
{
	dwd_server *s = rx->s;
	if (rx->env != NULL) {
		dumpwalk__v1__envelope__free_unpacked(rx->env, NULL);
		rx->env = NULL;
	}
	Dumpwalk__V1__Status st = DUMPWALK__V1__STATUS__INIT;
	st.code                 = (Dumpwalk__V1__StatusCode)code;
	st.message              = (char *)(msg != NULL ? msg : "");
	st.retry_after_ms       = retry_after_ms;
	Dumpwalk__V1__Reply r   = DUMPWALK__V1__REPLY__INIT;
	r.request_id            = rx->request_id;
	r.status                = &st;
	if (code == 0 && payload != NULL) {
		r.payload.data = (uint8_t *)payload;
		r.payload.len  = len;
	}
	size_t   n = dumpwalk__v1__reply__get_packed_size(&r);
	nng_msg *m = NULL;
	if (nng_msg_alloc(&m, n) != 0) {
		// No memory even for the reply: say so in a reply without payload.
		r.payload.data = NULL;
		r.payload.len  = 0;
		st.code        = DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED;
		st.message     = (char *)"server out of memory building the reply; retry later";
		code           = st.code;
		n              = dumpwalk__v1__reply__get_packed_size(&r);
		if (nng_msg_alloc(&m, n) != 0) {
			dwd_log(DWD_ERROR, "reply_dropped", "reason=oom request_id=%llu",
			        (unsigned long long)rx->request_id);
			atomic_fetch_add(&s->dropped, 1);
			atomic_fetch_sub(&s->in_flight, 1);
			rx->state = RX_INIT;
			rx_recv(rx);
			return;
		}
	}
	dumpwalk__v1__reply__pack(&r, nng_msg_body(m));

	uint64_t el = dwd_now_ns() - rx->t_start_ns;
	dwd_metrics_record(s, rx->method, code, el);
	if (code != 0 || rx->method == DWD_M_ANALYZE) {
		char q[600];
		dwd_log(code == 0 || code == DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED ? DWD_DEBUG
		                                                                          : DWD_INFO,
		        "request", "method=%s request_id=%llu status=%s ms=%.3f bytes_out=%zu msg=%s",
		        dwd_method_names[rx->method], (unsigned long long)rx->request_id,
		        code >= 0 && code < DWD_NCODES ? code_names[code] : "?", (double)el / 1e6, n,
		        dwd_log_quote(q, sizeof(q), msg != NULL ? msg : ""));
	}
	rx->state = RX_SEND;
	nng_aio_set_msg(rx->aio, m);
	nng_ctx_send(rx->ctx, rx->aio);
}

void
dwd_reply_errf(dwd_rx *rx, int code, uint32_t retry_after_ms, const char *fmt, ...)
{
	char    msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dwd_reply(rx, code, msg, retry_after_ms, NULL, 0);
}

// Compare tokens in time independent of where they first differ.
static bool
token_equal(const char *a, const char *b)
{
	size_t        la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;
	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i % (lb ? lb : 1)];
	return d == 0 && lb != 0;
}

static bool
authorized(dwd_server *s, const Dumpwalk__V1__Envelope *e)
{
	pthread_rwlock_rdlock(&s->cfg_lock);
	const char *want = s->cfg.auth_token;
	bool        ok   = want == NULL;
	for (size_t i = 0; !ok && i < e->n_metadata; i++) {
		const char *k = e->metadata[i]->key, *v = e->metadata[i]->value;
		if (strcasecmp(k, "authorization") == 0 && strncmp(v, "Bearer ", 7) == 0)
			ok = token_equal(v + 7, want);
	}
	pthread_rwlock_unlock(&s->cfg_lock);
	return ok;
}

static void
health(dwd_rx *rx)
{
	dwd_server              *s = rx->s;
	Dumpwalk__V1__HealthReply h = DUMPWALK__V1__HEALTH_REPLY__INIT;
	h.status = atomic_load(&s->draining) ? DUMPWALK__V1__HEALTH_REPLY__SERVING_STATUS__DRAINING
	                                     : DUMPWALK__V1__HEALTH_REPLY__SERVING_STATUS__SERVING;
	h.version           = (char *)"0.1.0";
	h.max_message_bytes = s->max_message_bytes;
	pthread_rwlock_rdlock(&s->cfg_lock);
	h.max_upload_bytes = s->cfg.upload_max_bytes;
	pthread_rwlock_unlock(&s->cfg_lock);
	h.workers = s->workers;
	uint8_t buf[128];
	size_t  n = dumpwalk__v1__health_reply__pack(&h, buf);
	dwd_reply(rx, 0, NULL, 0, buf, n);
}

static dwd_method
find_method(const char *name)
{
	for (int i = 0; i < DWD_M_UNKNOWN; i++)
		if (strcmp(name, dwd_method_names[i]) == 0)
			return (dwd_method)i;
	return DWD_M_UNKNOWN;
}

static void
handle(dwd_rx *rx, nng_msg *msg)
{
	dwd_server *s  = rx->s;
	size_t      nb = nng_msg_len(msg);
	rx->method     = DWD_M_UNKNOWN;
	rx->request_id = 0;
	rx->env        = dumpwalk__v1__envelope__unpack(NULL, nb, nng_msg_body(msg));
	// protobuf-c copied what it needs (STYLE 5.5): free the message now.
	nng_msg_free(msg);
	if (rx->env == NULL) {
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT, 0,
		               "request (%zu bytes) is not a dumpwalk.v1.Envelope; send the protobuf "
		               "encoding of Envelope from proto/dumpwalk/v1/envelope.proto",
		               nb);
		return;
	}
	rx->request_id = rx->env->request_id;
	rx->method     = find_method(rx->env->method);
	if (rx->method == DWD_M_UNKNOWN) {
		char q[160];
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__UNIMPLEMENTED, 0,
		               "unknown method %s; methods are named like dumpwalk.v1.Analyzer/Analyze",
		               dwd_log_quote(q, sizeof(q), rx->env->method));
		return;
	}
	if (!authorized(s, rx->env)) {
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__UNAUTHENTICATED, 0,
		               "missing or wrong token: send metadata authorization=\"Bearer <token>\" "
		               "with the token from the server's auth_token_file");
		return;
	}

	uint32_t timeout;
	pthread_rwlock_rdlock(&s->cfg_lock);
	timeout = s->cfg.request_timeout_ms;
	pthread_rwlock_unlock(&s->cfg_lock);
	uint64_t limit = rx->t_start_ns + (uint64_t)timeout * 1000000u;
	if (rx->env->deadline_unix_ms != 0) {
		uint64_t now = unix_ms();
		if (rx->env->deadline_unix_ms <= now) {
			dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__DEADLINE_EXCEEDED, 0,
			               "deadline passed %llu ms before the request was read",
			               (unsigned long long)(now - rx->env->deadline_unix_ms));
			return;
		}
		uint64_t d = rx->t_start_ns + (rx->env->deadline_unix_ms - now) * 1000000u;
		if (d < limit)
			limit = d;
	}
	rx->deadline_ns = limit;

	switch (rx->method) {
	case DWD_M_HEALTH:
		health(rx);
		return;
	case DWD_M_STATS:
		dwd_stats(rx);
		return;
	default:
		break;
	}
	if (rx->after_drain) {
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__UNAVAILABLE, 1000,
		               "server is shutting down; send this request to another server");
		return;
	}
	switch (rx->method) {
	case DWD_M_UPLOAD_BEGIN:
		dwd_upload_begin(rx, rx->env->payload.data, rx->env->payload.len);
		return;
	case DWD_M_UPLOAD_CHUNK:
		dwd_upload_chunk(rx, rx->env->payload.data, rx->env->payload.len);
		return;
	case DWD_M_PREFETCH:
		dwd_prefetch_submit(rx);
		return;
	default:
		break;
	}
	// Analyze and UploadCommit: worker work.
	rx->state = RX_WAIT;
	if (!dwd_jobs_submit(s, rx)) {
		atomic_fetch_add(&s->m.rejected_overload, 1);
		uint32_t hint = dwd_jobs_retry_hint_ms(s);
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED, hint,
		               "server busy: %u jobs queued for %u workers; retry after %u ms",
		               s->queue_cap, s->workers, hint);
	}
}

static void
rx_recv(dwd_rx *rx)
{
	if (atomic_load(&rx->s->closing))
		return;
	rx->state = RX_RECV;
	nng_ctx_recv(rx->ctx, rx->aio);
}

static void
rx_cb(void *arg)
{
	dwd_rx *rx = arg;
	int     rv;
	switch (rx->state) {
	case RX_INIT:
		rx_recv(rx);
		break;
	case RX_RECV:
		if ((rv = nng_aio_result(rx->aio)) != 0) {
			if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
				return;
			rx_recv(rx);
			break;
		}
		rx->after_drain = atomic_load(&rx->s->draining);
		atomic_fetch_add(&rx->s->received, 1);
		atomic_fetch_add(&rx->s->in_flight, 1);
		rx->t_start_ns = dwd_now_ns();
		handle(rx, nng_aio_get_msg(rx->aio));
		break;
	case RX_SEND:
		if ((rv = nng_aio_result(rx->aio)) != 0) {
			nng_msg_free(nng_aio_get_msg(rx->aio));
			dwd_log(DWD_WARN, "reply_failed", "error=%s", nng_strerror(rv));
		}
		atomic_fetch_sub(&rx->s->in_flight, 1);
		rx_recv(rx);
		break;
	default:
		// RX_WAIT: a worker owns the context; no aio is pending.
		break;
	}
}

static int
load_tls(dwd_server *s)
{
	int rv;
	if ((rv = nng_tls_config_alloc(&s->tls, NNG_TLS_MODE_SERVER)) != 0)
		return rv;
	// The key and certificate are read by nng (mbedTLS) from our files.
	if ((rv = nng_tls_config_cert_key_file(s->tls, s->cfg.tls_cert_file, NULL)) != 0) {
		// A separate key file: load both as one PEM chain.
		FILE *cf = fopen(s->cfg.tls_cert_file, "r"), *kf = fopen(s->cfg.tls_key_file, "r");
		char *cert = NULL, *key = NULL;
		rv         = NNG_EINVAL;
		if (cf != NULL && kf != NULL) {
			cert      = calloc(1, 1 << 20);
			key       = calloc(1, 1 << 20);
			size_t cn = cert ? fread(cert, 1, (1 << 20) - 1, cf) : 0;
			size_t kn = key ? fread(key, 1, (1 << 20) - 1, kf) : 0;
			if (cn > 0 && kn > 0)
				rv = nng_tls_config_own_cert(s->tls, cert, key, NULL);
		}
		if (cf != NULL)
			fclose(cf);
		if (kf != NULL)
			fclose(kf);
		free(cert);
		free(key);
	}
	return rv;
}

// ipc:// sockets go in a directory that may not exist yet ($XDG_RUNTIME_DIR/dumpwalk).
static void
ensure_ipc_dir(const char *url)
{
	if (strncmp(url, "ipc://", 6) != 0)
		return;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", url + 6);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = 0;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		dwd_log(DWD_WARN, "mkdir_failed", "dir=%s error=\"%s\"", dir, strerror(errno));
}

static void
free_server(dwd_server *s)
{
	dwd_prefetch_stop(s);
	for (size_t i = 0; i < s->nrx; i++) {
		if (s->rx[i] == NULL)
			continue;
		if (s->rx[i]->aio != NULL)
			nng_aio_free(s->rx[i]->aio);
		if (s->rx[i]->env != NULL)
			dumpwalk__v1__envelope__free_unpacked(s->rx[i]->env, NULL);
		free(s->rx[i]);
	}
	free(s->rx);
	if (s->tls != NULL)
		nng_tls_config_free(s->tls);
	dwd_uploads_fini(s);
	free(s->queue);
	free(s->threads);
	pthread_rwlock_destroy(&s->cfg_lock);
	pthread_mutex_destroy(&s->qlock);
	pthread_cond_destroy(&s->qcond);
	dwd_symbols_free(s->symbols);
	dwd_config_fini(&s->cfg);
	free(s);
}

dwd_server *
dwd_server_start(dwd_config *cfg)
{
	dwd_server *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	pthread_rwlock_init(&s->cfg_lock, NULL);
	pthread_mutex_init(&s->qlock, NULL);
	pthread_cond_init(&s->qcond, NULL);
	s->started_ns        = dwd_now_ns();
	long ncpu            = sysconf(_SC_NPROCESSORS_ONLN);
	s->workers           = s->cfg.workers != 0 ? s->cfg.workers : (ncpu > 0 ? (unsigned)ncpu : 1);
	s->queue_cap         = s->cfg.queue_depth;
	s->max_message_bytes = s->cfg.max_message_bytes;
	dwd_log_set_level((dwd_level)s->cfg.log_level);

	int rv;
	if (s->cfg.symbol_path != NULL && s->cfg.symbol_path[0] != 0) {
		dwd_symbols_opts so = {0};
		so.symbol_path      = s->cfg.symbol_path;
		so.cache_dir        = s->cfg.cache_dir;
		char why[600];
		if (dwd_symbols_new(&s->symbols, &so, why, sizeof(why)) != 0)
			dwd_log(DWD_WARN, "symbols_unavailable", "symbol_path=\"%s\" error=\"%s\"",
			        s->cfg.symbol_path, why);
	}
	if ((rv = dwd_prefetch_start(s)) != 0)
		dwd_log(DWD_WARN, "prefetch_unavailable", "error=\"%s\"", strerror(rv));
	if ((rv = dwd_uploads_init(s)) != 0 || (rv = dwd_jobs_start(s)) != 0) {
		dwd_log(DWD_ERROR, "start_failed", "step=workers error=\"%s\"", strerror(rv));
		free_server(s);
		return NULL;
	}
	if ((rv = nng_rep0_open(&s->sock)) != 0) {
		dwd_log(DWD_ERROR, "start_failed", "step=socket error=\"%s\"", nng_strerror(rv));
		goto fail;
	}
	// NNG 1.5 accepts messages of any size unless told (STYLE 6).
	nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, (size_t)s->max_message_bytes);

	// Contexts: one per queue slot and worker plus spares that answer
	// RESOURCE_EXHAUSTED or cheap methods while the queue is full.
	s->nrx = (size_t)s->queue_cap + s->workers + 16;
	s->rx  = calloc(s->nrx, sizeof(*s->rx));
	if (s->rx == NULL)
		goto fail;
	for (size_t i = 0; i < s->nrx; i++) {
		dwd_rx *rx = calloc(1, sizeof(*rx));
		if (rx == NULL)
			goto fail;
		s->rx[i] = rx;
		rx->s    = s;
		if ((rv = nng_aio_alloc(&rx->aio, rx_cb, rx)) != 0 ||
		    (rv = nng_ctx_open(&rx->ctx, s->sock)) != 0) {
			dwd_log(DWD_ERROR, "start_failed", "step=context error=\"%s\"", nng_strerror(rv));
			goto fail;
		}
	}

	for (size_t i = 0; i < s->cfg.nlisten; i++) {
		const char *url = s->cfg.listen[i];
		ensure_ipc_dir(url);
		nng_listener *l = &s->listeners[s->nlisteners];
		if ((rv = nng_listener_create(l, s->sock, url)) != 0) {
			dwd_log(DWD_ERROR, "listen_failed", "url=%s error=\"%s\"", url, nng_strerror(rv));
			goto fail;
		}
		if (strncmp(url, "tls+", 4) == 0) {
			if (s->tls == NULL && (rv = load_tls(s)) != 0) {
				dwd_log(DWD_ERROR, "tls_failed", "cert=%s key=%s error=\"%s\"",
				        s->cfg.tls_cert_file, s->cfg.tls_key_file, nng_strerror(rv));
				goto fail;
			}
			if ((rv = nng_listener_set_ptr(*l, NNG_OPT_TLS_CONFIG, s->tls)) != 0) {
				dwd_log(DWD_ERROR, "tls_failed", "url=%s error=\"%s\"", url,
				        nng_strerror(rv));
				goto fail;
			}
		}
		nng_listener_set_size(*l, NNG_OPT_RECVMAXSZ, (size_t)s->max_message_bytes);
		if ((rv = nng_listener_start(*l, 0)) != 0) {
			dwd_log(DWD_ERROR, "listen_failed", "url=%s error=\"%s\"", url, nng_strerror(rv));
			goto fail;
		}
		s->nlisteners++;
		dwd_log(DWD_INFO, "listening", "url=%s", url);
	}
	for (size_t i = 0; i < s->nrx; i++) {
		s->rx[i]->state = RX_INIT;
		rx_cb(s->rx[i]);
	}
	if (s->cfg.http[0] != 0 && (rv = dwd_http_start(s, s->cfg.http)) != 0)
		dwd_log(DWD_ERROR, "http_failed", "url=%s error=\"%s\" note=\"metrics and health "
		                                  "endpoints are off\"",
		        s->cfg.http, nng_strerror(rv));
	dwd_log(DWD_INFO, "started",
	        "workers=%u queue_depth=%u contexts=%zu max_message_bytes=%llu auth=%s "
	        "symbol_path=%s",
	        s->workers, s->queue_cap, s->nrx, (unsigned long long)s->max_message_bytes,
	        s->cfg.auth_token != NULL ? "token" : "none", s->cfg.symbol_path);
	return s;
fail:
	atomic_store(&s->closing, true);
	nng_close(s->sock);
	dwd_jobs_stop(s);
	free_server(s);
	return NULL;
}

void
dwd_server_reload(dwd_server *s, dwd_config *cfg)
{
	pthread_rwlock_wrlock(&s->cfg_lock);
	dwd_config *o = &s->cfg;
	bool        restart =
	    cfg->nlisten != o->nlisten || cfg->workers != o->workers ||
	    cfg->queue_depth != o->queue_depth || cfg->max_message_bytes != o->max_message_bytes ||
	    strcmp(cfg->http, o->http) != 0 || strcmp(cfg->tls_cert_file, o->tls_cert_file) != 0;
	for (size_t i = 0; !restart && i < cfg->nlisten; i++)
		restart = strcmp(cfg->listen[i], o->listen[i]) != 0;
	// Keep what the running sockets and pool were built from.
	for (size_t i = 0; i < cfg->nlisten; i++)
		free(cfg->listen[i]);
	for (size_t i = 0; i < o->nlisten; i++)
		cfg->listen[i] = o->listen[i];
	cfg->nlisten = o->nlisten;
	o->nlisten   = 0;
	char *t;
	t = cfg->http, cfg->http = o->http, o->http = t;
	t = cfg->tls_cert_file, cfg->tls_cert_file = o->tls_cert_file, o->tls_cert_file = t;
	t = cfg->tls_key_file, cfg->tls_key_file = o->tls_key_file, o->tls_key_file = t;
	cfg->workers           = o->workers;
	cfg->queue_depth       = o->queue_depth;
	cfg->max_message_bytes = o->max_message_bytes;
	dwd_config_fini(o);
	*o = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	dwd_log_set_level((dwd_level)o->log_level);
	pthread_rwlock_unlock(&s->cfg_lock);
	dwd_log(DWD_INFO, "reloaded", "auth=%s restart_needed=%s",
	        o->auth_token != NULL ? "token" : "none", restart ? "listen/workers/queue/http/tls" : "no");
}

unsigned
dwd_server_drain(dwd_server *s)
{
	atomic_store(&s->draining, true);
	uint32_t timeout;
	pthread_rwlock_rdlock(&s->cfg_lock);
	timeout = s->cfg.drain_timeout_ms;
	pthread_rwlock_unlock(&s->cfg_lock);
	dwd_log(DWD_INFO, "draining", "in_flight=%u queued=%u timeout_ms=%u",
	        atomic_load(&s->in_flight), dwd_jobs_depth(s), timeout);
	uint64_t end = dwd_now_ns() + (uint64_t)timeout * 1000000u;
	while (atomic_load(&s->in_flight) > 0 && dwd_now_ns() < end) {
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	unsigned lost = atomic_load(&s->in_flight);
	// Replies handed to NNG are written by its I/O threads; give them a
	// moment to reach the peers before the connections close.
	struct timespec ts = {0, 200 * 1000000};
	nanosleep(&ts, NULL);
	atomic_store(&s->closing, true);
	dwd_http_stop(s);
	for (size_t i = 0; i < s->nlisteners; i++)
		nng_listener_close(s->listeners[i]);
	nng_close(s->sock);
	for (size_t i = 0; i < s->nrx; i++)
		nng_aio_stop(s->rx[i]->aio);
	dwd_jobs_stop(s);
	dwd_log(lost ? DWD_ERROR : DWD_INFO, "stopped", "unanswered=%u", lost);
	free_server(s);
	return lost;
}
