// clients/client.h - the dumpwalk client library: talk to one or more
// dumpwalkd servers over NNG (ipc://, tcp://, tls+tcp://) with the
// dumpwalk.v1 contract (proto/dumpwalk/v1/*.proto).
//
// A dwc_client holds one REQ socket dialed to every server given; NNG
// spreads requests across them and resends to a live one when a peer dies.
// Every call uses its own NNG context, so one client may be used from many
// threads at once. Calls return a dumpwalk.v1.StatusCode (0 is OK) and fill
// a dwc_status with the server's (or the transport's) message.
#ifndef DW_CLIENTS_CLIENT_H
#define DW_CLIENTS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dumpwalk/v1/analyzer.pb-c.h"
#include "dumpwalk/v1/envelope.pb-c.h"

typedef struct dwc_client dwc_client;

typedef struct dwc_client_opts {
	const char *const *servers;  // URLs; at least one
	size_t             nservers;
	const char        *token;    // sent as "authorization: Bearer <token>"; NULL none
	const char        *tls_ca_file;     // PEM CA for tls+tcp:// (required for TLS)
	const char        *tls_server_name; // NULL: the URL's host
	uint32_t           timeout_ms;      // per call, including retries; 0: 120000
	unsigned           retries;         // extra attempts on UNAVAILABLE and RESOURCE_EXHAUSTED
} dwc_client_opts;

typedef struct dwc_status {
	int      code;          // dumpwalk.v1.StatusCode
	char     message[512];
	uint32_t retry_after_ms;
} dwc_status;

// dwc_default_server writes the URL used when none is given: $DUMPWALK_SERVER,
// else the daemon's default socket (ipc://$XDG_RUNTIME_DIR/dumpwalk/dumpwalkd.sock,
// or ipc:///tmp/dumpwalk-<uid>/dumpwalkd.sock).
void dwc_default_server(char *buf, size_t n);

// dwc_status_name returns "OK", "INVALID_ARGUMENT", ... for a code.
const char *dwc_status_name(int code);

// dwc_client_open dials every server (without waiting for connections).
// On failure returns non-zero with a sentence in st; *out stays NULL.
int dwc_client_open(dwc_client **out, const dwc_client_opts *opts, dwc_status *st);

// dwc_client_close closes the socket; calls in progress fail. NULL is fine.
void dwc_client_close(dwc_client *c);

// dwc_client_call sends `payload` as method `method` and waits for the reply.
// On OK *reply (malloc'd; free()) holds the reply payload. Retries on
// UNAVAILABLE and RESOURCE_EXHAUSTED when `retry`, after the server's hint.
int dwc_client_call(dwc_client *c, const char *method, const uint8_t *payload, size_t len,
                    bool retry, uint8_t **reply, size_t *reply_len, dwc_status *st);

// dwc_client_call_raw sends `msg` as-is (any bytes, for tests and tools) and
// unpacks the Reply into *out (free with dumpwalk__v1__reply__free_unpacked).
// deadline_ms is the request's deadline relative to now (0: none).
int dwc_client_call_raw(dwc_client *c, const uint8_t *msg, size_t len,
                        Dumpwalk__V1__Reply **out, dwc_status *st);

// dwc_client_envelope builds a serialized Envelope (malloc'd) for tests and
// tools: method, payload, token (may be NULL), deadline_unix_ms (0 none).
uint8_t *dwc_client_envelope(const char *method, const uint8_t *payload, size_t len,
                             const char *token, uint64_t deadline_unix_ms, size_t *out_len);

// dwc_client_analyze analyzes a dump: inline when it fits in one message
// (the server's limit, asked once with Health), else uploaded in chunks with
// UploadBegin/UploadChunk/UploadCommit and analyzed by upload id. *out is
// the reply (free with dumpwalk__v1__analyze_reply__free_unpacked).
int dwc_client_analyze(dwc_client *c, const uint8_t *dump, size_t len, bool include_registers,
                       Dumpwalk__V1__AnalyzeReply **out, dwc_status *st);

// dwc_client_analyze_raw is dwc_client_analyze without decoding the reply:
// on OK *reply (malloc'd; free()) holds the serialized AnalyzeReply, for a
// caller that stores or forwards it (and the load benchmark, whose decoding
// would share the daemon's CPUs).
int dwc_client_analyze_raw(dwc_client *c, const uint8_t *dump, size_t len, bool include_registers,
                           uint8_t **reply, size_t *reply_len, dwc_status *st);

// dwc_client_upload uploads a dump in chunks and commits it; id receives
// the upload id (33 bytes with the NUL).
int dwc_client_upload(dwc_client *c, const uint8_t *dump, size_t len, char id[33],
                      dwc_status *st);

int dwc_client_health(dwc_client *c, Dumpwalk__V1__HealthReply **out, dwc_status *st);
int dwc_client_stats(dwc_client *c, Dumpwalk__V1__StatsReply **out, dwc_status *st);

#endif
