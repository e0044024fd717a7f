// daemon/log.c - logfmt lines on stderr.
#include "daemon/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int min_level = DWD_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
dwd_log_set_level(dwd_level l)
{
	atomic_store(&min_level, (int)l);
}

int
dwd_log_parse_level(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

const char *
dwd_log_quote(char *buf, unsigned long n, const char *s)
{
	if (n == 0)
		return buf;
	bool plain = s[0] != 0;
	for (const char *p = s; *p != 0; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    (unsigned char)*p >= 0x7f)
			plain = false;
	size_t o = 0;
	if (plain) {
		snprintf(buf, n, "%s", s);
		return buf;
	}
	if (n < 3) {
		buf[0] = 0;
		return buf;
	}
	buf[o++] = '"';
	for (const char *p = s; *p != 0 && o + 5 < n; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < ' ' || c == 0x7f) {
			snprintf(buf + o, n - o, "\\x%02x", c);
			o += 4;
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	buf[o]   = 0;
	return buf;
}

void
dwd_log(dwd_level l, const char *event, const char *fmt, ...)
{
	if ((int)l < atomic_load(&min_level))
		return;
	char            line[2048];
	struct timespec ts;
	struct tm       tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line),
	                 "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=%s ",
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	                 tm.tm_sec, ts.tv_nsec / 1000000, level_names[l], event);
	if (n < 0)
		return;
	size_t  off = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + off, sizeof(line) - off, fmt, ap);
	va_end(ap);
	if (m > 0)
		off += (size_t)m < sizeof(line) - off ? (size_t)m : sizeof(line) - off - 1;
	// Keep the line one line even when truncated.
	if (off >= sizeof(line) - 1)
		off = sizeof(line) - 2;
	line[off++] = '\n';
	ssize_t w   = write(STDERR_FILENO, line, off);
	(void)w;
}
