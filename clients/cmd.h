// clients/cmd.h - `dumpwalk` subcommands that talk to dumpwalkd (or run its
// analysis in-process): analyze (cmd_analyze.c), stats and health
// (cmd_server.c), and the connection flags they share.
#ifndef DW_CLIENTS_CMD_H
#define DW_CLIENTS_CMD_H

#include <stdbool.h>

#include "clients/client.h"

int dwc_cmd_analyze(int argc, char **argv);
int dwc_cmd_stats(int argc, char **argv);
int dwc_cmd_health(int argc, char **argv);

#define DWC_MAX_SERVERS 16

// Connection flags: --server URL (repeatable; default DUMPWALK_SERVER or the
// daemon's socket), --token-file F (or DUMPWALK_TOKEN_FILE), --tls-ca F,
// --tls-server-name N, --timeout MS, --retries N.
typedef struct dwc_conn_args {
	const char *servers[DWC_MAX_SERVERS];
	size_t      nservers;
	const char *token_file;
	char       *token;
	const char *tls_ca;
	const char *tls_server_name;
	unsigned    timeout_ms;
	unsigned    retries;
	char        default_server[4200];
} dwc_conn_args;

void dwc_conn_args_init(dwc_conn_args *a);
// dwc_conn_args_parse consumes argv[*i] (and its value) when it is a
// connection flag: 1 consumed, 0 not ours, -1 bad usage (message printed).
int dwc_conn_args_parse(dwc_conn_args *a, int argc, char **argv, int *i);
// dwc_conn_open opens the client; prints why on failure and returns NULL.
dwc_client *dwc_conn_open(dwc_conn_args *a, const char *cmd);
void        dwc_conn_args_fini(dwc_conn_args *a);

#endif
