// daemon/config.c - defaults, INI file (inih), DUMPWALK_* environment, flags.
#include "daemon/config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/limits.h"
#include "daemon/log.h"

#define MSDL "https://msdl.microsoft.com/download/symbols"

static char *
xstrdup(const char *s)
{
	char *p = strdup(s != NULL ? s : "");
	if (p == NULL) {
		fprintf(stderr, "dumpwalkd: out of memory\n");
		exit(70);
	}
	return p;
}

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

static void
clear_list(char **list, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free(list[i]);
	*n = 0;
}

static bool
add_list(char **list, size_t *n, size_t cap, const char *v, char *err, size_t errlen,
         const char *what)
{
	if (*n >= cap) {
		snprintf(err, errlen, "more than %zu %s entries", cap, what);
		return false;
	}
	list[(*n)++] = xstrdup(v);
	return true;
}

// parse_u64 accepts decimal with an optional k, M or G (binary) suffix.
static bool
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno                = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || s[0] == '-')
		return false;
	unsigned shift = 0;
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'M')
		shift = 20;
	else if (*end == 'G')
		shift = 30;
	if (shift != 0)
		end++;
	if (*end != 0 || (v > (UINT64_MAX >> shift)))
		return false;
	v <<= shift;
	if (v > max)
		return false;
	*out = v;
	return true;
}

static void
defaults(dwd_config *c)
{
	memset(c, 0, sizeof(*c));
	char        path[4096];
	const char *rt = getenv("XDG_RUNTIME_DIR");
	if (rt != NULL && rt[0] == '/')
		snprintf(path, sizeof(path), "ipc://%s/dumpwalk/dumpwalkd.sock", rt);
	else
		snprintf(path, sizeof(path), "ipc:///tmp/dumpwalk-%u/dumpwalkd.sock",
		         (unsigned)getuid());
	c->listen[c->nlisten++] = xstrdup(path);
	c->http                 = xstrdup("http://127.0.0.1:9464");
	c->workers              = 0; // the number of online CPUs
	c->queue_depth          = DW_DAEMON_QUEUE_DEPTH;
	c->max_message_bytes    = DW_DAEMON_MESSAGE_BYTES;
	c->request_timeout_ms   = 60000;
	c->drain_timeout_ms     = 30000;
	c->auth_token_file      = xstrdup("");
	c->tls_cert_file        = xstrdup("");
	c->tls_key_file         = xstrdup("");
	c->upload_max_bytes     = DW_DAEMON_UPLOAD_BYTES;
	c->upload_max_total_bytes = DW_DAEMON_UPLOAD_TOTAL_BYTES;
	c->upload_ttl_ms        = 600000;
	c->memory_budget_bytes  = 256u << 20;
	const char *xc          = getenv("XDG_CACHE_HOME");
	const char *home        = getenv("HOME");
	if (xc != NULL && xc[0] == '/')
		snprintf(path, sizeof(path), "%s/dumpwalk", xc);
	else if (home != NULL && home[0] == '/')
		snprintf(path, sizeof(path), "%s/.cache/dumpwalk", home);
	else
		snprintf(path, sizeof(path), "/tmp/dumpwalk-%u/cache", (unsigned)getuid());
	c->cache_dir   = xstrdup(path);
	c->symbol_path = NULL; // derived from cache_dir after all layers
	c->log_level   = DWD_INFO;
}

// One setting from any layer. `fromfile` lets repeatable keys accumulate.
typedef struct layer {
	dwd_config *c;
	char       *err;
	size_t      errlen;
	bool        listen_replaced; // this layer has started its own listen list
	bool        allow_replaced;
} layer;

static bool
apply(layer *L, const char *section, const char *key, const char *v)
{
	dwd_config *c = L->c;
	uint64_t    u;
#define KEY(s, k) (strcmp(section, s) == 0 && strcmp(key, k) == 0)
#define NUM(field, max)                                                                          \
	do {                                                                                     \
		if (!parse_u64(v, (max), &u)) {                                                  \
			snprintf(L->err, L->errlen, "%s.%s: \"%s\" is not a number up to %llu", \
			         section, key, v, (unsigned long long)(max));                    \
			return false;                                                            \
		}                                                                                \
		c->field = (__typeof__(c->field))u;                                              \
	} while (0)
	if (KEY("server", "listen")) {
		if (!L->listen_replaced) {
			clear_list(c->listen, &c->nlisten);
			L->listen_replaced = true;
		}
		return add_list(c->listen, &c->nlisten, DWD_MAX_LISTEN, v, L->err, L->errlen, "listen");
	} else if (KEY("server", "http")) {
		set_str(&c->http, v);
	} else if (KEY("server", "workers")) {
		NUM(workers, 1024);
	} else if (KEY("server", "queue_depth")) {
		NUM(queue_depth, DW_DAEMON_MAX_QUEUE_DEPTH);
		if (c->queue_depth == 0) {
			snprintf(L->err, L->errlen, "server.queue_depth must be at least 1");
			return false;
		}
	} else if (KEY("server", "max_message_bytes")) {
		NUM(max_message_bytes, DW_DAEMON_MAX_MESSAGE_BYTES);
		if (c->max_message_bytes < DW_DAEMON_MIN_MESSAGE_BYTES) {
			snprintf(L->err, L->errlen, "server.max_message_bytes must be at least 64k");
			return false;
		}
	} else if (KEY("server", "request_timeout_ms")) {
		NUM(request_timeout_ms, 86400000);
	} else if (KEY("server", "drain_timeout_ms")) {
		NUM(drain_timeout_ms, 86400000);
	} else if (KEY("server", "auth_token_file")) {
		set_str(&c->auth_token_file, v);
	} else if (KEY("server", "tls_cert_file")) {
		set_str(&c->tls_cert_file, v);
	} else if (KEY("server", "tls_key_file")) {
		set_str(&c->tls_key_file, v);
	} else if (KEY("uploads", "max_bytes")) {
		NUM(upload_max_bytes, DW_DAEMON_MAX_UPLOAD_BYTES);
	} else if (KEY("uploads", "max_total_bytes")) {
		NUM(upload_max_total_bytes, DW_DAEMON_MAX_UPLOAD_TOTAL_BYTES);
	} else if (KEY("uploads", "ttl_ms")) {
		NUM(upload_ttl_ms, 86400000);
	} else if (KEY("analysis", "memory_budget_bytes")) {
		NUM(memory_budget_bytes, 1ull << 30);
	} else if (KEY("analysis", "allow_path")) {
		if (v[0] != '/') {
			snprintf(L->err, L->errlen, "analysis.allow_path: \"%s\" is not absolute", v);
			return false;
		}
		if (!L->allow_replaced) {
			clear_list(c->allow_path, &c->nallow);
			L->allow_replaced = true;
		}
		return add_list(c->allow_path, &c->nallow, DWD_MAX_ALLOW, v, L->err, L->errlen,
		                "allow_path");
	} else if (KEY("analysis", "delay_ms")) {
		NUM(delay_ms, 600000);
	} else if (KEY("symbols", "symbol_path")) {
		set_str(&c->symbol_path, v);
	} else if (KEY("symbols", "cache_dir")) {
		set_str(&c->cache_dir, v);
	} else if (KEY("log", "level")) {
		int l = dwd_log_parse_level(v);
		if (l < 0) {
			snprintf(L->err, L->errlen, "log.level: \"%s\" is not debug, info, warn or error", v);
			return false;
		}
		c->log_level = l;
	} else {
		snprintf(L->err, L->errlen, "unknown setting %s.%s", section, key);
		return false;
	}
	return true;
#undef KEY
#undef NUM
}

static int
ini_cb(void *user, const char *section, const char *name, const char *value)
{
	return apply(user, section, name, value) ? 1 : 0;
}

static const struct {
	const char *env, *section, *key;
} envmap[] = {
    {"DUMPWALK_HTTP", "server", "http"},
    {"DUMPWALK_WORKERS", "server", "workers"},
    {"DUMPWALK_QUEUE_DEPTH", "server", "queue_depth"},
    {"DUMPWALK_MAX_MESSAGE_BYTES", "server", "max_message_bytes"},
    {"DUMPWALK_AUTH_TOKEN_FILE", "server", "auth_token_file"},
    {"DUMPWALK_SYMBOL_PATH", "symbols", "symbol_path"},
    {"DUMPWALK_CACHE_DIR", "symbols", "cache_dir"},
    {"DUMPWALK_LOG_LEVEL", "log", "level"},
};

static const struct {
	const char *flag, *section, *key;
} flagmap[] = {
    {"--listen", "server", "listen"},
    {"--http", "server", "http"},
    {"--workers", "server", "workers"},
    {"--queue-depth", "server", "queue_depth"},
    {"--max-message-bytes", "server", "max_message_bytes"},
    {"--auth-token-file", "server", "auth_token_file"},
    {"--tls-cert-file", "server", "tls_cert_file"},
    {"--tls-key-file", "server", "tls_key_file"},
    {"--allow-path", "analysis", "allow_path"},
    {"--symbol-path", "symbols", "symbol_path"},
    {"--cache-dir", "symbols", "cache_dir"},
    {"--log-level", "log", "level"},
};

void
dwd_config_usage(void *file)
{
	FILE *f = file;
	fprintf(f, "usage: dumpwalkd [--config FILE] [--listen URL]... [--http URL] [--workers N]\n"
	           "                 [--queue-depth N] [--max-message-bytes N] [--auth-token-file F]\n"
	           "                 [--tls-cert-file F --tls-key-file F] [--allow-path DIR]...\n"
	           "                 [--symbol-path PATH] [--cache-dir DIR] [--log-level L]\n"
	           "                 [--check-config] [--help]\n"
	           "Listen URLs: ipc:///path, tcp://host:port, tls+tcp://host:port (needs the TLS\n"
	           "files). Without a file the daemon listens on $XDG_RUNTIME_DIR/dumpwalk/dumpwalkd.sock\n"
	           "and serves /metrics, /healthz, /readyz on http://127.0.0.1:9464.\n"
	           "Signals: SIGTERM/SIGINT drain and exit, SIGHUP reloads the configuration.\n");
}

static bool
read_token(dwd_config *c, char *err, size_t errlen)
{
	free(c->auth_token);
	c->auth_token = NULL;
	if (c->auth_token_file[0] == 0)
		return true;
	FILE *f = fopen(c->auth_token_file, "r");
	if (f == NULL) {
		snprintf(err, errlen, "auth_token_file %s: %s", c->auth_token_file, strerror(errno));
		return false;
	}
	char   buf[DWD_MAX_TOKEN_BYTES + 2];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	if (n > DWD_MAX_TOKEN_BYTES) {
		snprintf(err, errlen, "auth_token_file %s: longer than %d bytes", c->auth_token_file,
		         DWD_MAX_TOKEN_BYTES);
		return false;
	}
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = 0;
	if (n == 0) {
		snprintf(err, errlen, "auth_token_file %s is empty", c->auth_token_file);
		return false;
	}
	c->auth_token = xstrdup(buf);
	return true;
}

bool
dwd_config_load(dwd_config *c, int argc, char **argv, bool *show_help, bool *check_only, char *err,
                size_t errlen)
{
	defaults(c);
	*show_help  = false;
	*check_only = false;
	err[0]      = 0;

	// The file comes first, so find --config before applying other flags.
	const char *file = getenv("DUMPWALK_CONFIG");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "--config needs a FILE");
				goto fail;
			}
			file = argv[++i];
		}
	}
	layer L = {c, err, errlen, false, false};
	if (file != NULL && file[0] != 0) {
		c->config_path = xstrdup(file);
		int rv         = ini_parse(file, ini_cb, &L);
		if (rv < 0) {
			snprintf(err, errlen, "config %s: cannot open: %s", file, strerror(errno));
			goto fail;
		}
		if (rv > 0) {
			char why[512];
			snprintf(why, sizeof(why), "%s", err[0] ? err : "syntax error");
			snprintf(err, errlen, "config %s line %d: %s", file, rv, why);
			goto fail;
		}
	}

	layer E = {c, err, errlen, false, false};
	for (size_t i = 0; i < sizeof(envmap) / sizeof(envmap[0]); i++) {
		const char *v = getenv(envmap[i].env);
		if (v != NULL && v[0] != 0 && !apply(&E, envmap[i].section, envmap[i].key, v))
			goto fail;
	}
	const char *ls = getenv("DUMPWALK_LISTEN");
	if (ls != NULL && ls[0] != 0) {
		char *copy = xstrdup(ls), *save = NULL;
		for (char *t = strtok_r(copy, " ,", &save); t != NULL; t = strtok_r(NULL, " ,", &save))
			if (!apply(&E, "server", "listen", t)) {
				free(copy);
				goto fail;
			}
		free(copy);
	}

	layer F = {c, err, errlen, false, false};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			*show_help = true;
			continue;
		}
		if (strcmp(a, "--check-config") == 0) {
			*check_only = true;
			continue;
		}
		if (strcmp(a, "--config") == 0) {
			i++;
			continue;
		}
		size_t k;
		for (k = 0; k < sizeof(flagmap) / sizeof(flagmap[0]); k++)
			if (strcmp(a, flagmap[k].flag) == 0)
				break;
		if (k == sizeof(flagmap) / sizeof(flagmap[0])) {
			snprintf(err, errlen, "unknown option %s (see --help)", a);
			goto fail;
		}
		if (i + 1 >= argc) {
			snprintf(err, errlen, "%s needs a value", a);
			goto fail;
		}
		if (!apply(&F, flagmap[k].section, flagmap[k].key, argv[++i]))
			goto fail;
	}

	if (c->symbol_path == NULL) {
		size_t n       = strlen(c->cache_dir) + sizeof(MSDL) + 8;
		c->symbol_path = malloc(n);
		if (c->symbol_path == NULL)
			goto fail;
		snprintf(c->symbol_path, n, "srv*%s*%s", c->cache_dir, MSDL);
	}
	if (c->nlisten == 0) {
		snprintf(err, errlen, "no listen URL configured");
		goto fail;
	}
	bool tls = false;
	for (size_t i = 0; i < c->nlisten; i++)
		if (strncmp(c->listen[i], "tls+", 4) == 0)
			tls = true;
	if (tls && (c->tls_cert_file[0] == 0 || c->tls_key_file[0] == 0)) {
		snprintf(err, errlen, "a tls+tcp:// listener needs server.tls_cert_file and tls_key_file");
		goto fail;
	}
	if (!read_token(c, err, errlen))
		goto fail;
	return true;
fail:
	dwd_config_fini(c);
	return false;
}

void
dwd_config_fini(dwd_config *c)
{
	clear_list(c->listen, &c->nlisten);
	clear_list(c->allow_path, &c->nallow);
	free(c->config_path);
	free(c->http);
	free(c->auth_token_file);
	free(c->auth_token);
	free(c->tls_cert_file);
	free(c->tls_key_file);
	free(c->symbol_path);
	free(c->cache_dir);
	memset(c, 0, sizeof(*c));
}

void
dwd_config_print(const dwd_config *c, void *file)
{
	FILE *f = file;
	fprintf(f, "# effective configuration%s%s\n[server]\n", c->config_path ? " from " : "",
	        c->config_path ? c->config_path : "");
	for (size_t i = 0; i < c->nlisten; i++)
		fprintf(f, "listen = %s\n", c->listen[i]);
	fprintf(f,
	        "http = %s\nworkers = %u\nqueue_depth = %u\nmax_message_bytes = %llu\n"
	        "request_timeout_ms = %u\ndrain_timeout_ms = %u\nauth_token_file = %s\n"
	        "tls_cert_file = %s\ntls_key_file = %s\n\n[uploads]\nmax_bytes = %llu\n"
	        "max_total_bytes = %llu\nttl_ms = %u\n\n[analysis]\nmemory_budget_bytes = %llu\n",
	        c->http, c->workers, c->queue_depth, (unsigned long long)c->max_message_bytes,
	        c->request_timeout_ms, c->drain_timeout_ms, c->auth_token_file, c->tls_cert_file,
	        c->tls_key_file, (unsigned long long)c->upload_max_bytes,
	        (unsigned long long)c->upload_max_total_bytes, c->upload_ttl_ms,
	        (unsigned long long)c->memory_budget_bytes);
	for (size_t i = 0; i < c->nallow; i++)
		fprintf(f, "allow_path = %s\n", c->allow_path[i]);
	static const char *const lv[] = {"debug", "info", "warn", "error"};
	fprintf(f, "delay_ms = %u\n\n[symbols]\nsymbol_path = %s\ncache_dir = %s\n\n[log]\nlevel = %s\n",
	        c->delay_ms, c->symbol_path, c->cache_dir, lv[c->log_level]);
}
