// daemon/config.h - dumpwalkd's configuration: an embedded default that
// works with no file, then an INI file (inih), then DUMPWALK_* environment
// variables, then command-line flags, each overriding the one before.
//
// Keys (section.key; the same names as flags with '_' -> '-'):
//   [server] listen (repeatable), http, workers, queue_depth,
//            max_message_bytes, request_timeout_ms, drain_timeout_ms,
//            auth_token_file, tls_cert_file, tls_key_file
//   [uploads] max_bytes, max_total_bytes, ttl_ms
//   [analysis] memory_budget_bytes, allow_path (repeatable), delay_ms (testing)
//   [symbols] symbol_path, cache_dir
//   [log] level
// Environment: DUMPWALK_LISTEN (space-separated URLs), DUMPWALK_HTTP,
//   DUMPWALK_WORKERS, DUMPWALK_QUEUE_DEPTH, DUMPWALK_MAX_MESSAGE_BYTES,
//   DUMPWALK_AUTH_TOKEN_FILE, DUMPWALK_SYMBOL_PATH, DUMPWALK_CACHE_DIR,
//   DUMPWALK_LOG_LEVEL, DUMPWALK_CONFIG (the file).
#ifndef DW_DAEMON_CONFIG_H
#define DW_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DWD_MAX_LISTEN 16
#define DWD_MAX_ALLOW 16
// An auth token file is a line; 4 KiB is far above any real token.
#define DWD_MAX_TOKEN_BYTES 4096

typedef struct dwd_config {
	char    *config_path; // NULL: no file
	char    *listen[DWD_MAX_LISTEN];
	size_t   nlisten;
	char    *http; // "" disables the HTTP endpoints
	unsigned workers;
	unsigned queue_depth;
	uint64_t max_message_bytes;
	uint32_t request_timeout_ms;
	uint32_t drain_timeout_ms;
	char    *auth_token_file; // "" none
	char    *auth_token;      // read from auth_token_file; NULL when none
	char    *tls_cert_file;
	char    *tls_key_file;
	uint64_t upload_max_bytes;
	uint64_t upload_max_total_bytes;
	uint32_t upload_ttl_ms;
	uint64_t memory_budget_bytes;
	char    *allow_path[DWD_MAX_ALLOW];
	size_t   nallow;
	uint32_t delay_ms; // testing and benchmarks: extra time per analysis
	char    *symbol_path;
	char    *cache_dir;
	int      log_level;
} dwd_config;

// dwd_config_load builds *out from defaults, the file (--config or
// DUMPWALK_CONFIG), the environment and argv (argv[0] is skipped). On error
// it writes a sentence to err and returns false; *out is then finalized.
// *show_help / *check_only report --help and --check-config.
bool dwd_config_load(dwd_config *out, int argc, char **argv, bool *show_help, bool *check_only,
                     char *err, size_t errlen);

// dwd_config_fini frees every string.
void dwd_config_fini(dwd_config *c);

// dwd_config_print writes the effective configuration as INI (the token is
// not printed).
void dwd_config_print(const dwd_config *c, void *file);

// dwd_config_usage writes the flag summary.
void dwd_config_usage(void *file);

#endif
