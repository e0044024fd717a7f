// clients/client.c - the client library (see client.h).
#include "clients/client.h"

#include <mbedtls/sha256.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/limits.h"

// Bytes of an Envelope beyond its payload (method, ids, token, tags).
#define DWC_ENVELOPE_OVERHEAD 8192

struct dwc_client {
	nng_socket      sock;
	nng_tls_config *tls;
	char           *token;
	uint32_t        timeout_ms;
	unsigned        retries;
	_Atomic uint64_t next_id;
	pthread_mutex_t lock;
	uint64_t        max_message; // from Health; 0 until asked
};

static const char *const status_names[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
};

const char *
dwc_status_name(int code)
{
	if (code >= 0 && code < (int)(sizeof(status_names) / sizeof(status_names[0])))
		return status_names[code];
	return "UNKNOWN";
}

static int set_st(dwc_status *st, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
set_st(dwc_status *st, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	st->code           = code;
	st->retry_after_ms = 0;
	vsnprintf(st->message, sizeof(st->message), fmt, ap);
	va_end(ap);
	return code;
}

void
dwc_default_server(char *buf, size_t n)
{
	const char *e = getenv("DUMPWALK_SERVER");
	if (e != NULL && e[0] != 0) {
		snprintf(buf, n, "%s", e);
		return;
	}
	const char *rt = getenv("XDG_RUNTIME_DIR");
	if (rt != NULL && rt[0] == '/')
		snprintf(buf, n, "ipc://%s/dumpwalk/dumpwalkd.sock", rt);
	else
		snprintf(buf, n, "ipc:///tmp/dumpwalk-%u/dumpwalkd.sock", (unsigned)getuid());
}

static uint64_t
unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static char *
read_small_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	char  *buf = calloc(1, 1 << 20);
	size_t n   = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (buf != NULL && n == 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int
dwc_client_open(dwc_client **out, const dwc_client_opts *o, dwc_status *st)
{
	*out = NULL;
	set_st(st, 0, "%s", "");
	if (o->nservers == 0)
		return set_st(st, 3, "no server URL given");
	dwc_client *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return set_st(st, 8, "out of memory");
	pthread_mutex_init(&c->lock, NULL);
	c->timeout_ms = o->timeout_ms ? o->timeout_ms : 120000;
	c->retries    = o->retries;
	c->next_id    = (uint64_t)getpid() << 32;
	if (o->token != NULL && (c->token = strdup(o->token)) == NULL) {
		dwc_client_close(c);
		return set_st(st, 8, "out of memory");
	}
	int rv;
	if ((rv = nng_req0_open(&c->sock)) != 0) {
		dwc_client_close(c);
		return set_st(st, 14, "cannot open an NNG socket: %s", nng_strerror(rv));
	}
	nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, DW_MAX_REPLY_BYTES);
	for (size_t i = 0; i < o->nservers; i++) {
		const char *url = o->servers[i];
		nng_dialer  d;
		if ((rv = nng_dialer_create(&d, c->sock, url)) != 0) {
			set_st(st, 3, "server %s: %s", url, nng_strerror(rv));
			dwc_client_close(c);
			return 3;
		}
		if (strncmp(url, "tls+", 4) == 0) {
			if (c->tls == NULL) {
				char *ca = o->tls_ca_file ? read_small_file(o->tls_ca_file) : NULL;
				if (ca == NULL) {
					set_st(st, 3, "server %s: TLS needs a readable CA file (--tls-ca)", url);
					dwc_client_close(c);
					return 3;
				}
				rv = nng_tls_config_alloc(&c->tls, NNG_TLS_MODE_CLIENT);
				if (rv == 0)
					rv = nng_tls_config_ca_chain(c->tls, ca, NULL);
				if (rv == 0)
					rv = nng_tls_config_auth_mode(c->tls, NNG_TLS_AUTH_MODE_REQUIRED);
				if (rv == 0 && o->tls_server_name != NULL)
					rv = nng_tls_config_server_name(c->tls, o->tls_server_name);
				free(ca);
				if (rv != 0) {
					set_st(st, 3, "TLS configuration: %s", nng_strerror(rv));
					dwc_client_close(c);
					return 3;
				}
			}
			nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, c->tls);
		}
		nng_dialer_set_size(d, NNG_OPT_RECVMAXSZ, DW_MAX_REPLY_BYTES);
		// Non-blocking: a server that is not up yet is dialed again in
		// the background; requests wait for it within their timeout.
		if ((rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK)) != 0) {
			set_st(st, 14, "server %s: %s", url, nng_strerror(rv));
			dwc_client_close(c);
			return 14;
		}
	}
	*out = c;
	return 0;
}

void
dwc_client_close(dwc_client *c)
{
	if (c == NULL)
		return;
	nng_close(c->sock);
	if (c->tls != NULL)
		nng_tls_config_free(c->tls);
	free(c->token);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

uint8_t *
dwc_client_envelope(const char *method, const uint8_t *payload, size_t len, const char *token,
                    uint64_t deadline_unix_ms, size_t *out_len)
{
	Dumpwalk__V1__Envelope  e = DUMPWALK__V1__ENVELOPE__INIT;
	Dumpwalk__V1__Metadata  md = DUMPWALK__V1__METADATA__INIT;
	Dumpwalk__V1__Metadata *mdp[1];
	char                    auth[4200];
	static atomic_ulong     ids;
	e.method           = (char *)method;
	e.request_id       = atomic_fetch_add(&ids, 1) + 1;
	e.deadline_unix_ms = deadline_unix_ms;
	e.payload.data     = (uint8_t *)payload;
	e.payload.len      = len;
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Bearer %s", token);
		md.key     = (char *)"authorization";
		md.value   = auth;
		mdp[0]     = &md;
		e.metadata = mdp;
		e.n_metadata = 1;
	}
	size_t   n   = dumpwalk__v1__envelope__get_packed_size(&e);
	uint8_t *buf = malloc(n ? n : 1);
	if (buf == NULL)
		return NULL;
	*out_len = dumpwalk__v1__envelope__pack(&e, buf);
	return buf;
}

static int
exchange(dwc_client *c, const uint8_t *msg, size_t len, uint32_t timeout_ms,
         Dumpwalk__V1__Reply **out, dwc_status *st)
{
	*out = NULL;
	nng_ctx  ctx;
	nng_aio *aio = NULL;
	nng_msg *m   = NULL;
	int      rv;
	if ((rv = nng_ctx_open(&ctx, c->sock)) != 0)
		return set_st(st, 14, "cannot open an NNG context: %s", nng_strerror(rv));
	if ((rv = nng_aio_alloc(&aio, NULL, NULL)) != 0 || (rv = nng_msg_alloc(&m, len)) != 0) {
		if (aio != NULL)
			nng_aio_free(aio);
		nng_ctx_close(ctx);
		return set_st(st, 8, "out of memory for the request");
	}
	nng_aio_set_timeout(aio, (nng_duration)timeout_ms);
	memcpy(nng_msg_body(m), msg, len);
	nng_aio_set_msg(aio, m);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		nng_msg_free(nng_aio_get_msg(aio)); // a failed send leaves the message with us
		nng_aio_free(aio);
		nng_ctx_close(ctx);
		return set_st(st, rv == NNG_ETIMEDOUT ? 4 : 14, "cannot send the request: %s",
		              nng_strerror(rv));
	}
	nng_ctx_recv(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		nng_aio_free(aio);
		nng_ctx_close(ctx);
		return set_st(st, rv == NNG_ETIMEDOUT ? 4 : 14,
		              "no reply from the server within %u ms: %s", timeout_ms,
		              nng_strerror(rv));
	}
	m = nng_aio_get_msg(aio);
	nng_aio_free(aio);
	nng_ctx_close(ctx);
	Dumpwalk__V1__Reply *r =
	    dumpwalk__v1__reply__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
	size_t rl = nng_msg_len(m);
	nng_msg_free(m);
	if (r == NULL)
		return set_st(st, 13, "the server's reply (%zu bytes) is not a dumpwalk.v1.Reply", rl);
	*out = r;
	if (r->status == NULL)
		return set_st(st, 0, "%s", "");
	set_st(st, (int)r->status->code, "%s", r->status->message);
	st->retry_after_ms = r->status->retry_after_ms;
	return st->code;
}

int
dwc_client_call_raw(dwc_client *c, const uint8_t *msg, size_t len, Dumpwalk__V1__Reply **out,
                    dwc_status *st)
{
	return exchange(c, msg, len, c->timeout_ms, out, st);
}

static void
sleep_ms(uint32_t ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

int
dwc_client_call(dwc_client *c, const char *method, const uint8_t *payload, size_t len, bool retry,
                uint8_t **reply, size_t *reply_len, dwc_status *st)
{
	*reply     = NULL;
	*reply_len = 0;
	uint64_t start = unix_ms(), deadline = start + c->timeout_ms;
	for (unsigned attempt = 0;; attempt++) {
		uint64_t now = unix_ms();
		if (now >= deadline)
			return set_st(st, 4, "%s: no answer within %u ms", method, c->timeout_ms);
		size_t   elen;
		uint8_t *env = dwc_client_envelope(method, payload, len, c->token, deadline, &elen);
		if (env == NULL)
			return set_st(st, 8, "out of memory for the request");
		Dumpwalk__V1__Reply *r  = NULL;
		int                  rv = exchange(c, env, elen, (uint32_t)(deadline - now), &r, st);
		free(env);
		if (rv == 0) {
			if (r->payload.len > 0) {
				*reply = malloc(r->payload.len);
				if (*reply == NULL) {
					dumpwalk__v1__reply__free_unpacked(r, NULL);
					return set_st(st, 8, "out of memory for the reply");
				}
				memcpy(*reply, r->payload.data, r->payload.len);
				*reply_len = r->payload.len;
			}
			dumpwalk__v1__reply__free_unpacked(r, NULL);
			return 0;
		}
		if (r != NULL)
			dumpwalk__v1__reply__free_unpacked(r, NULL);
		bool again = retry && attempt < c->retries && (rv == 14 || rv == 8);
		if (!again)
			return rv;
		uint32_t wait = st->retry_after_ms ? st->retry_after_ms : 50u << (attempt < 6 ? attempt : 6);
		if (unix_ms() + wait >= deadline)
			return rv;
		sleep_ms(wait);
	}
}

int
dwc_client_health(dwc_client *c, Dumpwalk__V1__HealthReply **out, dwc_status *st)
{
	*out = NULL;
	uint8_t *p;
	size_t   n;
	int      rv = dwc_client_call(c, "dumpwalk.v1.Admin/Health", NULL, 0, true, &p, &n, st);
	if (rv != 0)
		return rv;
	*out = dumpwalk__v1__health_reply__unpack(NULL, n, p);
	free(p);
	return *out == NULL ? set_st(st, 13, "bad HealthReply from the server") : 0;
}

int
dwc_client_stats(dwc_client *c, Dumpwalk__V1__StatsReply **out, dwc_status *st)
{
	*out = NULL;
	uint8_t *p;
	size_t   n;
	int      rv = dwc_client_call(c, "dumpwalk.v1.Admin/Stats", NULL, 0, true, &p, &n, st);
	if (rv != 0)
		return rv;
	*out = dumpwalk__v1__stats_reply__unpack(NULL, n, p);
	free(p);
	return *out == NULL ? set_st(st, 13, "bad StatsReply from the server") : 0;
}

static int
max_message(dwc_client *c, uint64_t *out, dwc_status *st)
{
	pthread_mutex_lock(&c->lock);
	uint64_t m = c->max_message;
	pthread_mutex_unlock(&c->lock);
	if (m == 0) {
		Dumpwalk__V1__HealthReply *h;
		int                        rv = dwc_client_health(c, &h, st);
		if (rv != 0)
			return rv;
		m = h->max_message_bytes;
		dumpwalk__v1__health_reply__free_unpacked(h, NULL);
		pthread_mutex_lock(&c->lock);
		c->max_message = m;
		pthread_mutex_unlock(&c->lock);
	}
	*out = m;
	return 0;
}

int
dwc_client_upload(dwc_client *c, const uint8_t *dump, size_t len, char id[33], dwc_status *st)
{
	id[0] = 0;
	Dumpwalk__V1__UploadBeginRequest b = DUMPWALK__V1__UPLOAD_BEGIN_REQUEST__INIT;
	b.total_size                       = len;
	uint8_t  buf[128];
	uint8_t *p;
	size_t   n;
	int      rv = dwc_client_call(c, "dumpwalk.v1.Analyzer/UploadBegin", buf,
	                              dumpwalk__v1__upload_begin_request__pack(&b, buf), true, &p, &n, st);
	if (rv != 0)
		return rv;
	Dumpwalk__V1__UploadBeginReply *br = dumpwalk__v1__upload_begin_reply__unpack(NULL, n, p);
	free(p);
	if (br == NULL || strlen(br->upload_id) != 32 || br->max_chunk_bytes == 0) {
		if (br != NULL)
			dumpwalk__v1__upload_begin_reply__free_unpacked(br, NULL);
		return set_st(st, 13, "bad UploadBeginReply from the server");
	}
	memcpy(id, br->upload_id, 33);
	uint64_t chunk = br->max_chunk_bytes;
	uint64_t off   = br->received_bytes;
	dumpwalk__v1__upload_begin_reply__free_unpacked(br, NULL);
	if (chunk > 4u << 20)
		chunk = 4u << 20;

	uint8_t *req = malloc((size_t)chunk + 256);
	if (req == NULL)
		return set_st(st, 8, "out of memory");
	while (off < len) {
		Dumpwalk__V1__UploadChunkRequest q = DUMPWALK__V1__UPLOAD_CHUNK_REQUEST__INIT;
		q.upload_id                        = id;
		q.offset                           = off;
		q.data.data                        = (uint8_t *)dump + off;
		q.data.len = (size_t)(len - off < chunk ? len - off : chunk);
		size_t ql  = dumpwalk__v1__upload_chunk_request__pack(&q, req);
		rv = dwc_client_call(c, "dumpwalk.v1.Analyzer/UploadChunk", req, ql, true, &p, &n, st);
		if (rv != 0) {
			free(req);
			return rv;
		}
		Dumpwalk__V1__UploadChunkReply *cr = dumpwalk__v1__upload_chunk_reply__unpack(NULL, n, p);
		free(p);
		if (cr == NULL || cr->received_bytes <= off || cr->received_bytes > len) {
			if (cr != NULL)
				dumpwalk__v1__upload_chunk_reply__free_unpacked(cr, NULL);
			free(req);
			return set_st(st, 13, "bad UploadChunkReply from the server");
		}
		off = cr->received_bytes;
		dumpwalk__v1__upload_chunk_reply__free_unpacked(cr, NULL);
	}
	free(req);

	uint8_t sum[32];
	mbedtls_sha256_ret(dump, len, sum, 0);
	Dumpwalk__V1__UploadCommitRequest cm = DUMPWALK__V1__UPLOAD_COMMIT_REQUEST__INIT;
	cm.upload_id                         = id;
	cm.sha256.data                       = sum;
	cm.sha256.len                        = sizeof(sum);
	rv = dwc_client_call(c, "dumpwalk.v1.Analyzer/UploadCommit", buf,
	                     dumpwalk__v1__upload_commit_request__pack(&cm, buf), true, &p, &n, st);
	free(p);
	return rv;
}

int
dwc_client_analyze_raw(dwc_client *c, const uint8_t *dump, size_t len, bool include_registers,
                       uint8_t **reply, size_t *reply_len, dwc_status *st)
{
	*reply     = NULL;
	*reply_len = 0;
	uint64_t maxmsg;
	int      rv = max_message(c, &maxmsg, st);
	if (rv != 0)
		return rv;
	Dumpwalk__V1__OutputOptions  oo = DUMPWALK__V1__OUTPUT_OPTIONS__INIT;
	Dumpwalk__V1__AnalyzeRequest q  = DUMPWALK__V1__ANALYZE_REQUEST__INIT;
	oo.include_registers            = include_registers;
	q.options                       = &oo;
	char id[33];
	if ((uint64_t)len + DWC_ENVELOPE_OVERHEAD <= maxmsg) {
		q.source_case = DUMPWALK__V1__ANALYZE_REQUEST__SOURCE_DUMP;
		q.dump.data   = (uint8_t *)dump;
		q.dump.len    = len;
	} else {
		if ((rv = dwc_client_upload(c, dump, len, id, st)) != 0)
			return rv;
		q.source_case = DUMPWALK__V1__ANALYZE_REQUEST__SOURCE_UPLOAD_ID;
		q.upload_id   = id;
	}
	size_t   ql  = dumpwalk__v1__analyze_request__get_packed_size(&q);
	uint8_t *req = malloc(ql ? ql : 1);
	if (req == NULL)
		return set_st(st, 8, "out of memory");
	dumpwalk__v1__analyze_request__pack(&q, req);
	rv = dwc_client_call(c, "dumpwalk.v1.Analyzer/Analyze", req, ql, true, reply, reply_len, st);
	free(req);
	return rv;
}

int
dwc_client_analyze(dwc_client *c, const uint8_t *dump, size_t len, bool include_registers,
                   Dumpwalk__V1__AnalyzeReply **out, dwc_status *st)
{
	*out = NULL;
	uint8_t *p;
	size_t   n;
	int      rv = dwc_client_analyze_raw(c, dump, len, include_registers, &p, &n, st);
	if (rv != 0)
		return rv;
	*out = dumpwalk__v1__analyze_reply__unpack(NULL, n, p);
	free(p);
	if (*out == NULL || (*out)->report == NULL) {
		if (*out != NULL)
			dumpwalk__v1__analyze_reply__free_unpacked(*out, NULL);
		*out = NULL;
		return set_st(st, 13, "bad AnalyzeReply from the server");
	}
	return 0;
}
