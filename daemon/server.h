// daemon/server.h - dumpwalkd's service: NNG REQ/REP listeners served through
// many contexts at once, a worker pool behind a bounded queue, uploads,
// metrics and health over HTTP.
#ifndef DW_DAEMON_SERVER_H
#define DW_DAEMON_SERVER_H

#include <stdbool.h>

#include "daemon/config.h"

typedef struct dwd_server dwd_server;

// dwd_server_start takes ownership of *cfg (it is zeroed), opens the socket,
// starts listeners, workers and the HTTP endpoints. On failure returns NULL
// after logging why.
dwd_server *dwd_server_start(dwd_config *cfg);

// dwd_server_reload replaces the reloadable settings (token, timeouts,
// upload caps, allowed paths, log level) with *cfg's and frees it; settings
// that need a restart are logged when they differ.
void dwd_server_reload(dwd_server *s, dwd_config *cfg);

// dwd_server_drain stops taking new work (new requests get UNAVAILABLE),
// waits up to the drain timeout for every request in flight to be answered,
// then closes everything and frees s. Returns the number of requests that
// were still unanswered at the timeout (0 when none was lost).
unsigned dwd_server_drain(dwd_server *s);

#endif
