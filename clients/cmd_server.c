// clients/cmd_server.c - connection flags, `dumpwalk stats`, `dumpwalk health`.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/cmd.h"

void
dwc_conn_args_init(dwc_conn_args *a)
{
	memset(a, 0, sizeof(*a));
	a->token_file = getenv("DUMPWALK_TOKEN_FILE");
	a->timeout_ms = 120000;
	a->retries    = 5;
}

static bool
parse_uint(const char *s, unsigned *out)
{
	char *end;
	errno           = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != 0 || s[0] == '-' || v > 100000000ul)
		return false;
	*out = (unsigned)v;
	return true;
}

int
dwc_conn_args_parse(dwc_conn_args *a, int argc, char **argv, int *i)
{
	static const char *const flags[] = {"--server", "--token-file", "--tls-ca",
	                                    "--tls-server-name", "--timeout", "--retries"};
	size_t k;
	for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
		if (strcmp(argv[*i], flags[k]) == 0)
			break;
	if (k == sizeof(flags) / sizeof(flags[0]))
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "dumpwalk: %s needs a value\n", argv[*i]);
		return -1;
	}
	const char *v = argv[++*i];
	switch (k) {
	case 0:
		if (a->nservers >= DWC_MAX_SERVERS) {
			fprintf(stderr, "dumpwalk: at most %d --server\n", DWC_MAX_SERVERS);
			return -1;
		}
		a->servers[a->nservers++] = v;
		return 1;
	case 1:
		a->token_file = v;
		return 1;
	case 2:
		a->tls_ca = v;
		return 1;
	case 3:
		a->tls_server_name = v;
		return 1;
	case 4:
		if (!parse_uint(v, &a->timeout_ms) || a->timeout_ms == 0) {
			fprintf(stderr, "dumpwalk: --timeout takes milliseconds > 0\n");
			return -1;
		}
		return 1;
	default:
		if (!parse_uint(v, &a->retries)) {
			fprintf(stderr, "dumpwalk: --retries takes a count\n");
			return -1;
		}
		return 1;
	}
}

dwc_client *
dwc_conn_open(dwc_conn_args *a, const char *cmd)
{
	if (a->nservers == 0) {
		dwc_default_server(a->default_server, sizeof(a->default_server));
		a->servers[a->nservers++] = a->default_server;
	}
	if (a->token_file != NULL && a->token_file[0] != 0) {
		FILE *f = fopen(a->token_file, "r");
		if (f == NULL) {
			fprintf(stderr, "dumpwalk %s: %s: %s\n", cmd, a->token_file, strerror(errno));
			return NULL;
		}
		char   buf[4200];
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
			buf[--n] = 0;
		a->token = strdup(buf);
	}
	dwc_client_opts o = {0};
	o.servers         = a->servers;
	o.nservers        = a->nservers;
	o.token           = a->token;
	o.tls_ca_file     = a->tls_ca;
	o.tls_server_name = a->tls_server_name;
	o.timeout_ms      = a->timeout_ms;
	o.retries         = a->retries;
	dwc_client *c;
	dwc_status  st;
	if (dwc_client_open(&c, &o, &st) != 0) {
		fprintf(stderr, "dumpwalk %s: %s\n", cmd, st.message);
		return NULL;
	}
	return c;
}

void
dwc_conn_args_fini(dwc_conn_args *a)
{
	free(a->token);
	a->token = NULL;
}

static int
simple(int argc, char **argv, bool stats)
{
	dwc_conn_args a;
	dwc_conn_args_init(&a);
	for (int i = 1; i < argc; i++) {
		int r = dwc_conn_args_parse(&a, argc, argv, &i);
		if (r == 1)
			continue;
		fprintf(stderr, "usage: dumpwalk %s [--server URL]... [--token-file F] [--tls-ca F] "
		                "[--timeout MS]\n",
		        argv[0]);
		return 2;
	}
	dwc_client *c = dwc_conn_open(&a, argv[0]);
	if (c == NULL) {
		dwc_conn_args_fini(&a);
		return 1;
	}
	dwc_status st;
	int        rv;
	if (stats) {
		Dumpwalk__V1__StatsReply *s;
		if ((rv = dwc_client_stats(c, &s, &st)) == 0) {
			printf("uptime_ms: %" PRIu64 "\nworkers: %" PRIu32 "\nqueue: %" PRIu32 "/%" PRIu32
			       "\nin_flight: %" PRIu32 "\nrequests_total: %" PRIu64
			       "\nrejected_overload: %" PRIu64 "\ndumps_analyzed: %" PRIu64
			       "\ndump_bytes_analyzed: %" PRIu64 "\nuploads_active: %" PRIu32
			       "\nupload_bytes_held: %" PRIu64 "\n",
			       s->uptime_ms, s->workers, s->queue_depth, s->queue_capacity, s->in_flight,
			       s->requests_total, s->rejected_overload, s->dumps_analyzed,
			       s->dump_bytes_analyzed, s->uploads_active, s->upload_bytes_held);
			for (size_t i = 0; i < s->n_methods; i++)
				printf("method %s: ok %" PRIu64 " failed %" PRIu64 "\n",
				       s->methods[i]->method, s->methods[i]->ok, s->methods[i]->failed);
			dumpwalk__v1__stats_reply__free_unpacked(s, NULL);
		}
	} else {
		Dumpwalk__V1__HealthReply *h;
		if ((rv = dwc_client_health(c, &h, &st)) == 0) {
			printf("status: %s\nversion: %s\nworkers: %" PRIu32 "\nmax_message_bytes: %" PRIu64
			       "\nmax_upload_bytes: %" PRIu64 "\n",
			       h->status == DUMPWALK__V1__HEALTH_REPLY__SERVING_STATUS__SERVING ? "SERVING"
			       : h->status == DUMPWALK__V1__HEALTH_REPLY__SERVING_STATUS__DRAINING
			           ? "DRAINING"
			           : "UNKNOWN",
			       h->version, h->workers, h->max_message_bytes, h->max_upload_bytes);
			rv = h->status == DUMPWALK__V1__HEALTH_REPLY__SERVING_STATUS__SERVING ? 0 : 14;
			dumpwalk__v1__health_reply__free_unpacked(h, NULL);
		}
	}
	if (rv != 0 && st.message[0] != 0)
		fprintf(stderr, "dumpwalk %s: %s: %s\n", argv[0], dwc_status_name(rv), st.message);
	dwc_client_close(c);
	dwc_conn_args_fini(&a);
	return rv == 0 ? 0 : 1;
}

int
dwc_cmd_stats(int argc, char **argv)
{
	return simple(argc, argv, true);
}

int
dwc_cmd_health(int argc, char **argv)
{
	return simple(argc, argv, false);
}
