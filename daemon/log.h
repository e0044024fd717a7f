// daemon/log.h - structured logs: one line per event on stderr, key=value
// pairs after `ts`, `level` and `event` (logfmt), so journald, Loki or grep
// read them alike.
#ifndef DW_DAEMON_LOG_H
#define DW_DAEMON_LOG_H

typedef enum dwd_level { DWD_DEBUG, DWD_INFO, DWD_WARN, DWD_ERROR } dwd_level;

// dwd_log_set_level sets the least severe level written (thread-safe).
void dwd_log_set_level(dwd_level l);
// dwd_log_parse_level maps "debug", "info", "warn", "error"; -1 otherwise.
int dwd_log_parse_level(const char *s);

// dwd_log writes `ts=... level=... event=<event>` then the caller's pairs,
// formatted from fmt (already key=value; quote untrusted values with
// dwd_log_quote). One write(2) per line, so lines never interleave.
void dwd_log(dwd_level l, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// dwd_log_quote writes s into buf as a logfmt value: bare when it is safe,
// else double-quoted with \" \\ and \xNN escapes; truncated to fit. Returns buf.
const char *dwd_log_quote(char *buf, unsigned long n, const char *s);

#endif
