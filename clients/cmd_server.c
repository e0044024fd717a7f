// clients/cmd_server.c - connection flags, `dumpwalk stats`, `dumpwalk health`,
// `dumpwalk symbols prefetch`.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clients/cmd.h"
#include "clients/cmd_symbols.h"

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
			printf("symbol_cache: hits %" PRIu64 " negative_hits %" PRIu64 " misses %" PRIu64
			       "\nsymbol_downloads: ok %" PRIu64 " failed %" PRIu64 " bytes %" PRIu64 "\n",
			       s->symbol_cache_hits, s->symbol_cache_negative_hits, s->symbol_cache_misses,
			       s->symbol_downloads, s->symbol_download_failures, s->symbol_download_bytes);
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

// ---- dumpwalk symbols prefetch ------------------------------------------------------

// Reads a whole file (a dump to take modules from).
static uint8_t *
read_all(const char *path, size_t *len)
{
	*len    = 0;
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	uint8_t *buf = NULL;
	size_t   cap = 0;
	for (;;) {
		if (*len == cap) {
			size_t   ncap = cap ? cap * 2 : 1 << 20;
			uint8_t *nb   = ncap > cap ? realloc(buf, ncap) : NULL;
			if (nb == NULL) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap = ncap;
		}
		size_t n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	bool bad = ferror(f) != 0;
	fclose(f);
	if (bad) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	return buf;
}

static bool
ends_with_pdb(const char *s)
{
	size_t n = strlen(s);
	return n >= 4 && strcasecmp(s + n - 4, ".pdb") == 0;
}

static const char *
outcome_word(Dumpwalk__V1__PrefetchModuleResult__Outcome o)
{
	switch (o) {
	case DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FOUND: return "found";
	case DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__NOT_FOUND: return "not-found";
	case DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FAILED: return "failed";
	default: return "unknown";
	}
}

// `dumpwalk symbols prefetch [NAME ID]... [--dump FILE] [connection flags]`:
// NAME ending in .pdb is a PDB (debug file and GUID+age), anything else an
// image (code file and TimeDateStamp+SizeOfImage). Exit status: 0 every
// module found, 1 a module failed (or the call did), 3 some not found and
// none failed, 2 bad usage.
int
dwc_cmd_symbols_prefetch(int argc, char **argv)
{
	dwc_conn_args a;
	dwc_conn_args_init(&a);
	const char *dump_path = NULL;
	size_t      npos      = 0;
	const char **pos      = calloc((size_t)argc, sizeof(*pos));
	if (pos == NULL)
		return 1;
	for (int i = 1; i < argc; i++) {
		int r = dwc_conn_args_parse(&a, argc, argv, &i);
		if (r == 1)
			continue;
		if (r < 0) {
			free(pos);
			return 2;
		}
		if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc) {
			dump_path = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "dumpwalk symbols prefetch: unknown option %s\n", argv[i]);
			free(pos);
			return 2;
		} else {
			pos[npos++] = argv[i];
		}
	}
	if (npos % 2 != 0 || (npos == 0 && dump_path == NULL)) {
		fprintf(stderr, "dumpwalk symbols prefetch: give NAME ID pairs and/or --dump FILE\n");
		free(pos);
		return 2;
	}
	size_t                    nm   = npos / 2;
	Dumpwalk__V1__ModuleRef  *refs = calloc(nm ? nm : 1, sizeof(*refs));
	Dumpwalk__V1__ModuleRef **rp   = calloc(nm ? nm : 1, sizeof(*rp));
	uint8_t                  *dump = NULL, *payload = NULL, *reply = NULL;
	size_t                    dlen = 0, rlen = 0;
	int                       rc   = 1;
	dwc_client               *c    = NULL;
	Dumpwalk__V1__PrefetchSymbolsReply *rep = NULL;
	Dumpwalk__V1__PrefetchSymbolsRequest q  = DUMPWALK__V1__PREFETCH_SYMBOLS_REQUEST__INIT;
	char                                 upload_id[33];
	if (refs == NULL || rp == NULL)
		goto out;
	for (size_t i = 0; i < nm; i++) {
		dumpwalk__v1__module_ref__init(&refs[i]);
		if (ends_with_pdb(pos[2 * i])) {
			refs[i].debug_file = (char *)pos[2 * i];
			refs[i].debug_id   = (char *)pos[2 * i + 1];
		} else {
			refs[i].code_file = (char *)pos[2 * i];
			refs[i].code_id   = (char *)pos[2 * i + 1];
		}
		rp[i] = &refs[i];
	}
	q.modules   = rp;
	q.n_modules = nm;
	if (dump_path != NULL && (dump = read_all(dump_path, &dlen)) == NULL) {
		fprintf(stderr, "dumpwalk symbols prefetch: %s: %s\n", dump_path, strerror(errno));
		goto out;
	}
	if ((c = dwc_conn_open(&a, "symbols prefetch")) == NULL)
		goto out;
	dwc_status st;
	memset(&st, 0, sizeof(st));
	int code = 0;
	if (dump != NULL) {
		// Inline when it fits in one message (the server's limit), else
		// uploaded first and named by its upload id.
		Dumpwalk__V1__HealthReply *h = NULL;
		uint64_t                   max = 0;
		if ((code = dwc_client_health(c, &h, &st)) == 0) {
			max = h->max_message_bytes;
			dumpwalk__v1__health_reply__free_unpacked(h, NULL);
		}
		if (code == 0 && dlen + 64 * 1024 > max) {
			code        = dwc_client_upload(c, dump, dlen, upload_id, &st);
			q.upload_id = upload_id;
		} else if (code == 0) {
			q.dump.data = dump;
			q.dump.len  = dlen;
		}
	}
	if (code == 0) {
		size_t plen = dumpwalk__v1__prefetch_symbols_request__get_packed_size(&q);
		if ((payload = malloc(plen ? plen : 1)) == NULL) {
			fprintf(stderr, "dumpwalk symbols prefetch: out of memory\n");
			goto out;
		}
		dumpwalk__v1__prefetch_symbols_request__pack(&q, payload);
		code = dwc_client_call(c, "dumpwalk.v1.Symbols/PrefetchSymbols", payload, plen, true,
		                       &reply, &rlen, &st);
	}
	if (code != 0) {
		fprintf(stderr, "dumpwalk symbols prefetch: %s: %s\n", dwc_status_name(code),
		        st.message);
		goto out;
	}
	rep = dumpwalk__v1__prefetch_symbols_reply__unpack(NULL, rlen, reply);
	if (rep == NULL) {
		fprintf(stderr, "dumpwalk symbols prefetch: the server's reply is not a "
		                "PrefetchSymbolsReply\n");
		goto out;
	}
	unsigned found = 0, missing = 0, failed = 0;
	for (size_t i = 0; i < rep->n_results; i++) {
		const Dumpwalk__V1__PrefetchModuleResult *r = rep->results[i];
		const Dumpwalk__V1__ModuleRef            *m = r->module;
		const char *name = "?", *id = "?";
		if (m != NULL && m->debug_file[0] != '\0') {
			name = m->debug_file;
			id   = m->debug_id;
		} else if (m != NULL) {
			name = m->code_file;
			id   = m->code_id;
		}
		printf("%-9s %s %s: %s", outcome_word(r->outcome), name, id, r->reason);
		if (r->resolved_debug_file[0] != '\0')
			printf(" (pdb %s %s named by the image)", r->resolved_debug_file,
			       r->resolved_debug_id);
		printf("\n");
		found += r->outcome == DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FOUND;
		failed += r->outcome == DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FAILED;
		missing += r->outcome != DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FOUND &&
		           r->outcome != DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FAILED;
	}
	printf("%zu modules: %u found, %u not found, %u failed\n", rep->n_results, found, missing,
	       failed);
	rc = failed > 0 ? 1 : missing > 0 ? 3 : 0;
out:
	if (rep != NULL)
		dumpwalk__v1__prefetch_symbols_reply__free_unpacked(rep, NULL);
	free(reply);
	free(payload);
	free(dump);
	free(refs);
	free(rp);
	free(pos);
	dwc_client_close(c);
	dwc_conn_args_fini(&a);
	return rc;
}
