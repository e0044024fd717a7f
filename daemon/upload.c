// daemon/upload.c - chunked uploads for dumps larger than one message.
//
// An upload reserves its declared size against uploads.max_total_bytes at
// UploadBegin (RESOURCE_EXHAUSTED when that would pass it), receives chunks
// in order (a re-sent range is accepted, so a client that lost a reply can
// resume from UploadBegin's received_bytes), and is sealed by UploadCommit
// once its SHA-256 matches. Idle uploads expire after uploads.ttl_ms; one a
// job is reading is never expired. Bytes are held in memory: the total cap
// is the bound.
#include <errno.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/limits.h"
#include "daemon/log.h"
#include "daemon/server_int.h"


int
dwd_uploads_init(dwd_server *s)
{
	pthread_mutex_init(&s->ulock, NULL);
	s->max_uploads = DW_DAEMON_MAX_UPLOADS;
	s->uploads     = calloc(s->max_uploads, sizeof(*s->uploads));
	return s->uploads == NULL ? ENOMEM : 0;
}

void
dwd_uploads_fini(dwd_server *s)
{
	if (s->uploads == NULL)
		return;
	for (size_t i = 0; i < s->max_uploads; i++)
		free(s->uploads[i].data);
	free(s->uploads);
	s->uploads = NULL;
	pthread_mutex_destroy(&s->ulock);
}

static void
drop(dwd_server *s, dwd_upload *u)
{
	s->upload_bytes -= u->total;
	free(u->data);
	memset(u, 0, sizeof(*u));
}

static void
expire_locked(dwd_server *s, uint64_t now, uint32_t ttl_ms)
{
	for (size_t i = 0; i < s->max_uploads; i++) {
		dwd_upload *u = &s->uploads[i];
		if (u->id[0] != 0 && u->holds == 0 && now - u->last_used_ns > (uint64_t)ttl_ms * 1000000u) {
			dwd_log(DWD_INFO, "upload_expired", "upload_id=%s received=%llu total=%llu", u->id,
			        (unsigned long long)u->received, (unsigned long long)u->total);
			drop(s, u);
		}
	}
}

static uint32_t
ttl(dwd_server *s)
{
	pthread_rwlock_rdlock(&s->cfg_lock);
	uint32_t t = s->cfg.upload_ttl_ms;
	pthread_rwlock_unlock(&s->cfg_lock);
	return t;
}

void
dwd_uploads_expire(dwd_server *s)
{
	uint32_t t = ttl(s);
	pthread_mutex_lock(&s->ulock);
	expire_locked(s, dwd_now_ns(), t);
	pthread_mutex_unlock(&s->ulock);
}

void
dwd_uploads_usage(dwd_server *s, unsigned *active, uint64_t *bytes)
{
	pthread_mutex_lock(&s->ulock);
	unsigned n = 0;
	for (size_t i = 0; i < s->max_uploads; i++)
		n += s->uploads[i].id[0] != 0;
	*active = n;
	*bytes  = s->upload_bytes;
	pthread_mutex_unlock(&s->ulock);
}

static dwd_upload *
find_locked(dwd_server *s, const char *id)
{
	if (id == NULL || strlen(id) != 32)
		return NULL;
	for (size_t i = 0; i < s->max_uploads; i++)
		if (s->uploads[i].id[0] != 0 && strcmp(s->uploads[i].id, id) == 0)
			return &s->uploads[i];
	return NULL;
}

static uint64_t
max_chunk(dwd_server *s)
{
	// Room for the Envelope and UploadChunkRequest around the data.
	return s->max_message_bytes - 4096;
}

static void
reply_begin(dwd_rx *rx, const dwd_upload *u, uint32_t ttl_ms)
{
	Dumpwalk__V1__UploadBeginReply r = DUMPWALK__V1__UPLOAD_BEGIN_REPLY__INIT;
	char                           id[33];
	memcpy(id, u->id, sizeof(id));
	r.upload_id        = id;
	r.received_bytes   = u->received;
	r.max_chunk_bytes  = max_chunk(rx->s);
	r.expires_after_ms = ttl_ms;
	uint8_t buf[128];
	size_t  n = dumpwalk__v1__upload_begin_reply__pack(&r, buf);
	dwd_reply(rx, 0, NULL, 0, buf, n);
}

void
dwd_upload_begin(dwd_rx *rx, const uint8_t *p, size_t n)
{
	dwd_server                      *s = rx->s;
	Dumpwalk__V1__UploadBeginRequest *q = dumpwalk__v1__upload_begin_request__unpack(NULL, n, p);
	if (q == NULL) {
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT, 0,
		               "payload is not a dumpwalk.v1.UploadBeginRequest");
		return;
	}
	pthread_rwlock_rdlock(&s->cfg_lock);
	uint64_t max = s->cfg.upload_max_bytes, total_max = s->cfg.upload_max_total_bytes;
	uint32_t ttl_ms = s->cfg.upload_ttl_ms;
	pthread_rwlock_unlock(&s->cfg_lock);
	uint64_t now = dwd_now_ns();

	pthread_mutex_lock(&s->ulock);
	expire_locked(s, now, ttl_ms);
	if (q->resume_upload_id[0] != 0) {
		dwd_upload *u = find_locked(s, q->resume_upload_id);
		if (u == NULL || u->total != q->total_size) {
			pthread_mutex_unlock(&s->ulock);
			dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__NOT_FOUND, 0,
			               u == NULL ? "upload to resume is unknown or expired; start a new one"
			                         : "upload to resume has a different total_size");
			goto out;
		}
		u->last_used_ns = now;
		dwd_upload copy = *u;
		pthread_mutex_unlock(&s->ulock);
		reply_begin(rx, &copy, ttl_ms);
		goto out;
	}
	if (q->total_size == 0 || q->total_size > max) {
		pthread_mutex_unlock(&s->ulock);
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT, 0,
		               "total_size %llu is not within 1..%llu (uploads.max_bytes)",
		               (unsigned long long)q->total_size, (unsigned long long)max);
		goto out;
	}
	if (q->total_size > total_max - (s->upload_bytes < total_max ? s->upload_bytes : total_max)) {
		pthread_mutex_unlock(&s->ulock);
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED, 5000,
		               "uploads in progress hold %llu of %llu bytes; retry later",
		               (unsigned long long)s->upload_bytes, (unsigned long long)total_max);
		goto out;
	}
	dwd_upload *u = NULL;
	for (size_t i = 0; i < s->max_uploads && u == NULL; i++)
		if (s->uploads[i].id[0] == 0)
			u = &s->uploads[i];
	uint8_t *data = u != NULL ? malloc((size_t)q->total_size) : NULL;
	if (data == NULL) {
		pthread_mutex_unlock(&s->ulock);
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED, 5000,
		               u == NULL ? "too many uploads open; retry later"
		                         : "out of memory for the upload; retry later");
		goto out;
	}
	uint8_t rnd[16];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		free(data);
		pthread_mutex_unlock(&s->ulock);
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__INTERNAL, 0, "no randomness for an id");
		goto out;
	}
	for (int i = 0; i < 16; i++)
		snprintf(u->id + 2 * i, 3, "%02x", rnd[i]);
	u->total        = q->total_size;
	u->received     = 0;
	u->data         = data;
	u->committed    = false;
	u->holds        = 0;
	u->last_used_ns = now;
	s->upload_bytes += u->total;
	dwd_upload copy = *u;
	pthread_mutex_unlock(&s->ulock);
	dwd_log(DWD_INFO, "upload_begin", "upload_id=%s total=%llu", copy.id,
	        (unsigned long long)copy.total);
	reply_begin(rx, &copy, ttl_ms);
out:
	dumpwalk__v1__upload_begin_request__free_unpacked(q, NULL);
}

void
dwd_upload_chunk(dwd_rx *rx, const uint8_t *p, size_t n)
{
	dwd_server                      *s = rx->s;
	Dumpwalk__V1__UploadChunkRequest *q = dumpwalk__v1__upload_chunk_request__unpack(NULL, n, p);
	if (q == NULL) {
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT, 0,
		               "payload is not a dumpwalk.v1.UploadChunkRequest");
		return;
	}
	pthread_mutex_lock(&s->ulock);
	dwd_upload *u    = find_locked(s, q->upload_id);
	int         code = 0;
	char        msg[256];
	if (u == NULL) {
		code = DUMPWALK__V1__STATUS_CODE__NOT_FOUND;
		snprintf(msg, sizeof(msg), "upload is unknown or expired; start again with UploadBegin");
	} else if (u->committed) {
		code = DUMPWALK__V1__STATUS_CODE__FAILED_PRECONDITION;
		snprintf(msg, sizeof(msg), "upload is already committed");
	} else if (q->offset > u->received) {
		code = DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT;
		snprintf(msg, sizeof(msg), "chunk at offset %llu leaves a gap: %llu bytes received; "
		                           "send from there",
		         (unsigned long long)q->offset, (unsigned long long)u->received);
	} else if (q->data.len > u->total - q->offset) {
		code = DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT;
		snprintf(msg, sizeof(msg), "chunk of %zu bytes at offset %llu passes total_size %llu",
		         q->data.len, (unsigned long long)q->offset, (unsigned long long)u->total);
	} else {
		if (q->data.len > 0)
			memcpy(u->data + q->offset, q->data.data, q->data.len);
		if (q->offset + q->data.len > u->received)
			u->received = q->offset + q->data.len;
		u->last_used_ns = dwd_now_ns();
	}
	uint64_t received = u != NULL ? u->received : 0;
	pthread_mutex_unlock(&s->ulock);
	dumpwalk__v1__upload_chunk_request__free_unpacked(q, NULL);
	if (code != 0) {
		dwd_reply(rx, code, msg, 0, NULL, 0);
		return;
	}
	Dumpwalk__V1__UploadChunkReply r = DUMPWALK__V1__UPLOAD_CHUNK_REPLY__INIT;
	r.received_bytes                 = received;
	uint8_t buf[32];
	dwd_reply(rx, 0, NULL, 0, buf, dumpwalk__v1__upload_chunk_reply__pack(&r, buf));
}

void
dwd_upload_commit(dwd_rx *rx, const uint8_t *p, size_t n)
{
	dwd_server                       *s = rx->s;
	Dumpwalk__V1__UploadCommitRequest *q = dumpwalk__v1__upload_commit_request__unpack(NULL, n, p);
	if (q == NULL) {
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT, 0,
		               "payload is not a dumpwalk.v1.UploadCommitRequest");
		return;
	}
	char msg[256];
	int  code = 0;
	if (q->sha256.len != 32) {
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT, 0,
		               "sha256 must be the 32-byte SHA-256 of the dump, got %zu bytes",
		               q->sha256.len);
		goto out;
	}
	pthread_mutex_lock(&s->ulock);
	dwd_upload *u = find_locked(s, q->upload_id);
	if (u == NULL) {
		code = DUMPWALK__V1__STATUS_CODE__NOT_FOUND;
		snprintf(msg, sizeof(msg), "upload is unknown or expired; start again with UploadBegin");
	} else if (u->received != u->total) {
		code = DUMPWALK__V1__STATUS_CODE__FAILED_PRECONDITION;
		snprintf(msg, sizeof(msg), "upload has %llu of %llu bytes; send the rest first",
		         (unsigned long long)u->received, (unsigned long long)u->total);
	} else {
		u->holds++; // hash outside the lock; the upload cannot expire meanwhile
	}
	pthread_mutex_unlock(&s->ulock);
	if (code != 0) {
		dwd_reply(rx, code, msg, 0, NULL, 0);
		goto out;
	}
	uint8_t sum[32];
	mbedtls_sha256_ret(u->data, (size_t)u->total, sum, 0);
	bool match = memcmp(sum, q->sha256.data, 32) == 0;
	pthread_mutex_lock(&s->ulock);
	u->holds--;
	uint64_t size = u->total;
	if (match) {
		u->committed    = true;
		u->last_used_ns = dwd_now_ns();
	} else {
		// The bytes are wrong somewhere; keeping them helps nobody.
		drop(s, u);
	}
	pthread_mutex_unlock(&s->ulock);
	if (!match) {
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__DATA_LOSS, 0,
		               "SHA-256 of the %llu bytes received differs from the one sent; the "
		               "upload was discarded, upload again",
		               (unsigned long long)size);
		goto out;
	}
	Dumpwalk__V1__UploadCommitReply r = DUMPWALK__V1__UPLOAD_COMMIT_REPLY__INIT;
	r.upload_id                       = q->upload_id;
	r.size                            = size;
	uint8_t buf[128];
	dwd_reply(rx, 0, NULL, 0, buf, dumpwalk__v1__upload_commit_reply__pack(&r, buf));
out:
	dumpwalk__v1__upload_commit_request__free_unpacked(q, NULL);
}

int
dwd_upload_hold(dwd_server *s, const char *id, dwd_upload **out, char *msg, size_t msglen)
{
	*out = NULL;
	pthread_mutex_lock(&s->ulock);
	dwd_upload *u = find_locked(s, id);
	int         code;
	if (u == NULL) {
		code = DUMPWALK__V1__STATUS_CODE__NOT_FOUND;
		snprintf(msg, msglen, "upload is unknown or expired; upload the dump again");
	} else if (!u->committed) {
		code = DUMPWALK__V1__STATUS_CODE__FAILED_PRECONDITION;
		snprintf(msg, msglen, "upload is not committed; send UploadCommit first");
	} else {
		u->holds++;
		u->last_used_ns = dwd_now_ns();
		*out            = u;
		code            = 0;
	}
	pthread_mutex_unlock(&s->ulock);
	return code;
}

void
dwd_upload_release(dwd_server *s, dwd_upload *u)
{
	pthread_mutex_lock(&s->ulock);
	u->holds--;
	u->last_used_ns = dwd_now_ns();
	pthread_mutex_unlock(&s->ulock);
}
