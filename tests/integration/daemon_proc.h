// tests/integration/daemon_proc.h - the life of one real dumpwalkd in an
// integration test: spawned from $DUMPWALKD with a config file, waited for
// until Health answers, stopped with SIGTERM. Criterion assertions report
// failures (with the daemon's log path).
#ifndef DW_TESTS_DAEMON_PROC_H
#define DW_TESTS_DAEMON_PROC_H

#include <sys/types.h>

#include "clients/client.h"

// dp_free_port returns a loopback TCP port that was free a moment ago.
int dp_free_port(void);

// dp_client opens a client of `url` (token, ca may be NULL; with a CA the
// server name is "localhost"); fails the test when it cannot.
dwc_client *dp_client(const char *url, const char *token, const char *ca, unsigned timeout_ms,
                      unsigned retries);

// dp_http_get sends GET `path` to 127.0.0.1:port and returns the whole
// response, headers included (malloc'd, at most 1 MiB; 5 s read timeout).
char *dp_http_get(int port, const char *path);

// dp_spawn starts $DUMPWALKD --config cfg with its stderr in `log`. The
// daemon gets SIGTERM when the test process ends, even one an assertion
// ended before dp_stop ran: a stray dumpwalkd would hold the test's output
// open and keep meson waiting until the test's timeout.
pid_t dp_spawn(const char *cfg, const char *log);

// dp_wait_healthy polls Health through `c` (the caller's client, closed
// here) every 50 ms for up to `seconds`; fails the test when the daemon
// exits or never answers.
void dp_wait_healthy(pid_t pid, dwc_client *c, const char *log, unsigned seconds);

// dp_start writes `config` (dumpwalkd's INI text) to dir/dumpwalkd.ini,
// spawns the daemon with its log in dir/dumpwalkd.log and waits up to
// `seconds` for Health through `c` (closed here); returns its pid.
pid_t dp_start(const char *dir, const char *config, dwc_client *c, unsigned seconds);

// dp_slurp reads a whole file into a NUL-terminated buffer the caller
// frees; *len (may be NULL) gets its size. Fails the test when unreadable.
char *dp_slurp(const char *path, size_t *len);

// dp_stop sends SIGTERM, waits up to 10 s (then SIGKILL) and returns the
// exit status (128 + signal when killed by one, -1 when it had to be
// killed). A clean exit (0) removes `dir` (config, log, sockets): a failed
// daemon's files stay for the reader.
int dp_stop(pid_t pid, const char *dir);

#endif
