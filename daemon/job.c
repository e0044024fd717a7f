// daemon/job.c - the worker pool behind a bounded queue, and the jobs it
// runs: Analyze (inline bytes, a committed upload or an allowed path) and
// UploadCommit. Each job carries its request's deadline; the analysis polls
// it and stops with DEADLINE_EXCEEDED once it passes (cancellation).
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/mapfile.h"
#include "daemon/analyze.h"
#include "daemon/log.h"
#include "daemon/request_decode.h"
#include "daemon/server_int.h"

bool
dwd_rx_expired(void *arg)
{
	dwd_rx *rx = arg;
	return dwd_now_ns() >= rx->deadline_ns;
}

unsigned
dwd_jobs_depth(dwd_server *s)
{
	pthread_mutex_lock(&s->qlock);
	unsigned n = s->qlen;
	pthread_mutex_unlock(&s->qlock);
	return n;
}

uint32_t
dwd_jobs_retry_hint_ms(dwd_server *s)
{
	// Time for the workers to get through a full queue, at the average job
	// time seen so far; at least 10 ms, at most 10 s.
	uint64_t avg = atomic_load(&s->avg_job_us);
	uint64_t ms  = (avg * s->queue_cap / (s->workers ? s->workers : 1)) / 1000;
	return ms < 10 ? 10 : ms > 10000 ? 10000 : (uint32_t)ms;
}

bool
dwd_jobs_submit(dwd_server *s, dwd_rx *rx)
{
	pthread_mutex_lock(&s->qlock);
	if (s->qlen >= s->queue_cap || s->stopping) {
		pthread_mutex_unlock(&s->qlock);
		return false;
	}
	s->queue[(s->qhead + s->qlen) % s->queue_cap] = rx;
	s->qlen++;
	pthread_cond_signal(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
	return true;
}

// Analyses can be told to take longer (analysis.delay_ms) so tests and the
// benchmark can hold requests in flight; the delay honours the deadline.
static void
test_delay(dwd_rx *rx)
{
	uint32_t ms;
	pthread_rwlock_rdlock(&rx->s->cfg_lock);
	ms = rx->s->cfg.delay_ms;
	pthread_rwlock_unlock(&rx->s->cfg_lock);
	uint64_t end = dwd_now_ns() + (uint64_t)ms * 1000000u;
	while (dwd_now_ns() < end && !dwd_rx_expired(rx)) {
		struct timespec ts = {0, 5 * 1000000};
		nanosleep(&ts, NULL);
	}
}

// path_allowed resolves `path` and checks it lies in an allowed directory;
// on success *real is the resolved path (malloc'd).
static int
path_allowed(dwd_server *s, const char *path, char **real, char *msg, size_t msglen)
{
	*real = NULL;
	if (path[0] != '/') {
		snprintf(msg, msglen, "path must be absolute");
		return DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT;
	}
	char *r = realpath(path, NULL);
	if (r == NULL) {
		snprintf(msg, msglen, "cannot resolve path: %s", strerror(errno));
		return errno == ENOENT ? DUMPWALK__V1__STATUS_CODE__NOT_FOUND
		                       : DUMPWALK__V1__STATUS_CODE__PERMISSION_DENIED;
	}
	bool ok = false;
	pthread_rwlock_rdlock(&s->cfg_lock);
	for (size_t i = 0; !ok && i < s->cfg.nallow; i++) {
		char *dir = realpath(s->cfg.allow_path[i], NULL);
		if (dir == NULL)
			continue;
		size_t n = strlen(dir);
		ok       = strncmp(r, dir, n) == 0 && (r[n] == '/' || (n == 1 && dir[0] == '/'));
		free(dir);
	}
	size_t nallow = s->cfg.nallow;
	pthread_rwlock_unlock(&s->cfg_lock);
	if (!ok) {
		free(r);
		snprintf(msg, msglen,
		         nallow == 0 ? "this server reads no paths (analysis.allow_path is empty); "
		                       "send the dump bytes or upload it"
		                     : "path is outside the server's analysis.allow_path directories");
		return DUMPWALK__V1__STATUS_CODE__PERMISSION_DENIED;
	}
	*real = r;
	return 0;
}

static void
analyze_job(dwd_rx *rx)
{
	dwd_server                  *s = rx->s;
	bool                          borrowed;
	Dumpwalk__V1__AnalyzeRequest *q =
	    dwd_request_unpack(rx->env->payload.data, rx->env->payload.len, &borrowed);
	if (q == NULL) {
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT, 0,
		               "payload (%zu bytes) is not a dumpwalk.v1.AnalyzeRequest",
		               rx->env->payload.len);
		return;
	}
	// A request that borrows its dump keeps the envelope until the reply
	// (dwd_reply frees it); one that copied it lets it go now.
	if (!borrowed) {
		dumpwalk__v1__envelope__free_unpacked(rx->env, NULL);
		rx->env = NULL;
	}

	dwd_analyze_opts opt = {0};
	pthread_rwlock_rdlock(&s->cfg_lock);
	opt.budget = s->cfg.memory_budget_bytes;
	uint64_t upload_max = s->cfg.upload_max_bytes;
	pthread_rwlock_unlock(&s->cfg_lock);
	opt.include_registers = q->options != NULL && q->options->include_registers;
	opt.cancelled         = dwd_rx_expired;
	opt.symbols           = s->symbols;
	opt.cancel_arg        = rx;

	const uint8_t *data = NULL;
	size_t         len  = 0;
	dw_mapfile     map  = {0};
	dwd_upload    *up   = NULL;
	char           msg[512];
	int            code = 0;
	switch (q->source_case) {
	case DUMPWALK__V1__ANALYZE_REQUEST__SOURCE_DUMP:
		data = q->dump.data;
		len  = q->dump.len;
		break;
	case DUMPWALK__V1__ANALYZE_REQUEST__SOURCE_UPLOAD_ID:
		code = dwd_upload_hold(s, q->upload_id, &up, msg, sizeof(msg));
		if (code == 0) {
			data = up->data;
			len  = (size_t)up->total;
		}
		break;
	case DUMPWALK__V1__ANALYZE_REQUEST__SOURCE_PATH: {
		char *real = NULL;
		code       = path_allowed(s, q->path, &real, msg, sizeof(msg));
		if (code == 0) {
			const char *why = NULL;
			dw_err      rv  = dw_mapfile_open(&map, real, &why);
			if (rv != DW_OK) {
				snprintf(msg, sizeof(msg), "cannot read %s: %s", real,
				         why ? why : dw_strerror(rv));
				code = DUMPWALK__V1__STATUS_CODE__NOT_FOUND;
			} else if (map.len > upload_max) {
				snprintf(msg, sizeof(msg), "file is %zu bytes, over the %llu-byte limit",
				         map.len, (unsigned long long)upload_max);
				code = DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT;
			} else {
				data = map.data;
				len  = map.len;
			}
		}
		free(real);
		break;
	}
	default:
		snprintf(msg, sizeof(msg),
		         "AnalyzeRequest names no dump: set one of dump, upload_id or path");
		code = DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT;
		break;
	}
	if (code != 0) {
		dwd_reply(rx, code, msg, 0, NULL, 0);
	} else {
		test_delay(rx);
		dwd_analysis a;
		dwd_analyze(&a, data, len, &opt);
		if (a.code == 0) {
			atomic_fetch_add(&s->m.dumps_analyzed, 1);
			atomic_fetch_add(&s->m.dump_bytes, len);
			if (a.reply_len + 1024 > s->max_message_bytes) {
				// Our reply would be dropped by a peer using the same limit.
				dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED, 0,
				               "report is %zu bytes, over max_message_bytes; ask without "
				               "include_registers",
				               a.reply_len);
			} else {
				dwd_reply(rx, 0, NULL, 0, a.reply, a.reply_len);
			}
		} else {
			dwd_reply(rx, a.code, a.message, 0, NULL, 0);
		}
		dwd_analysis_fini(&a);
	}
	if (up != NULL)
		dwd_upload_release(s, up);
	dw_mapfile_close(&map);
	dwd_request_free(q, borrowed);
}

static void *
worker_main(void *arg)
{
	dwd_server *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->qlock);
		while (s->qlen == 0 && !s->stopping)
			pthread_cond_wait(&s->qcond, &s->qlock);
		if (s->qlen == 0) {
			pthread_mutex_unlock(&s->qlock);
			return NULL;
		}
		dwd_rx *rx = s->queue[s->qhead];
		s->qhead   = (s->qhead + 1) % s->queue_cap;
		s->qlen--;
		atomic_fetch_add(&s->running, 1);
		pthread_mutex_unlock(&s->qlock);

		uint64_t t0 = dwd_now_ns();
		if (dwd_rx_expired(rx))
			dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__DEADLINE_EXCEEDED, 0,
			               "deadline passed while the request waited %.1f ms in the queue",
			               (double)(t0 - rx->t_start_ns) / 1e6);
		else if (rx->method == DWD_M_UPLOAD_COMMIT)
			dwd_upload_commit(rx, rx->env->payload.data, rx->env->payload.len);
		else
			analyze_job(rx);
		uint64_t us  = (dwd_now_ns() - t0) / 1000;
		uint64_t avg = atomic_load(&s->avg_job_us);
		atomic_store(&s->avg_job_us, avg == 0 ? us : (avg * 7 + us) / 8);
		atomic_fetch_sub(&s->running, 1);
	}
}

int
dwd_jobs_start(dwd_server *s)
{
	s->queue   = calloc(s->queue_cap, sizeof(*s->queue));
	s->threads = calloc(s->workers, sizeof(*s->threads));
	if (s->queue == NULL || s->threads == NULL)
		return ENOMEM;
	for (unsigned i = 0; i < s->workers; i++) {
		int rv = pthread_create(&s->threads[i], NULL, worker_main, s);
		if (rv != 0) {
			s->workers = i;
			return rv;
		}
	}
	return 0;
}

void
dwd_jobs_stop(dwd_server *s)
{
	pthread_mutex_lock(&s->qlock);
	s->stopping = true;
	pthread_cond_broadcast(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
	for (unsigned i = 0; i < s->workers && s->threads != NULL; i++)
		pthread_join(s->threads[i], NULL);
	s->workers = 0;
}
