// load_daemon: drives a running dumpwalkd with N concurrent clients over a
// set of dumps and prints dumps/s and p50/p99 latency. Run it through
// load_daemon.sh, which starts the daemon and adds its RSS.
//   load_daemon --server URL [-c CLIENTS] [-n REQUESTS] [--warm] FILE|DIR...
// --warm analyzes each dump once before the clock starts, so the figures
// are for symbol tables already compiled. Replies are checked for their
// status, not decoded: the clients share the machine with the daemon, and
// decoding every report would take CPU from the daemon being measured.
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clients/client.h"
#include "common/mapfile.h"

enum { MAX_FILES = 4096 };

static dw_mapfile   files[MAX_FILES];
static size_t       nfiles;
static dwc_client  *client;
static size_t       total, next_req, failures;
static double      *lat;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
add(const char *p)
{
	struct stat sb;
	if (stat(p, &sb) != 0)
		return;
	if (S_ISDIR(sb.st_mode)) {
		DIR *d = opendir(p);
		if (d == NULL)
			return;
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			char sub[4096];
			snprintf(sub, sizeof(sub), "%s/%s", p, e->d_name);
			add(sub);
		}
		closedir(d);
		return;
	}
	size_t l = strlen(p);
	if (l < 4 || strcmp(p + l - 4, ".dmp") != 0 || nfiles >= MAX_FILES)
		return;
	if (dw_mapfile_open(&files[nfiles], p, NULL) == DW_OK)
		nfiles++;
}

static void *
worker(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		size_t i = next_req++;
		pthread_mutex_unlock(&lock);
		if (i >= total)
			return NULL;
		const dw_mapfile *f = &files[i % nfiles];
		uint8_t          *r;
		size_t            rlen;
		dwc_status        st;
		double            t0 = now();
		int rv = dwc_client_analyze_raw(client, f->data, f->len, false, &r, &rlen, &st);
		lat[i] = now() - t0;
		if (rv == 0)
			free(r);
		else if (rv != 3) { // INVALID_ARGUMENT: a corpus file that is not a dump
			pthread_mutex_lock(&lock);
			failures++;
			pthread_mutex_unlock(&lock);
		}
	}
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	const char *server  = NULL;
	int         clients = 8;
	bool        warm    = false;
	total               = 5000;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--server") == 0 && i + 1 < argc)
			server = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			clients = atoi(argv[++i]);
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			total = (size_t)atol(argv[++i]);
		else if (strcmp(argv[i], "--warm") == 0)
			warm = true;
		else
			add(argv[i]);
	}
	if (server == NULL || nfiles == 0 || clients < 1 || clients > 1024 || total == 0) {
		fprintf(stderr,
		        "usage: load_daemon --server URL [-c CLIENTS] [-n REQUESTS] [--warm] FILE|DIR...\n");
		return 2;
	}
	const char     *servers[] = {server};
	dwc_client_opts o         = {0};
	o.servers                 = servers;
	o.nservers                = 1;
	o.timeout_ms              = 60000;
	o.retries                 = 20;
	dwc_status st;
	if (dwc_client_open(&client, &o, &st) != 0) {
		fprintf(stderr, "load_daemon: %s\n", st.message);
		return 1;
	}
	lat = calloc(total, sizeof(double));
	// Warm up: the health probe and, with --warm, one pass over the set.
	Dumpwalk__V1__HealthReply *h;
	if (dwc_client_health(client, &h, &st) != 0) {
		fprintf(stderr, "load_daemon: server not answering: %s\n", st.message);
		return 1;
	}
	dumpwalk__v1__health_reply__free_unpacked(h, NULL);
	for (size_t i = 0; warm && i < nfiles; i++) {
		uint8_t *r;
		size_t   rlen;
		if (dwc_client_analyze_raw(client, files[i].data, files[i].len, false, &r, &rlen, &st) == 0)
			free(r);
	}
	pthread_t *th = calloc((size_t)clients, sizeof(pthread_t));
	double     t0 = now();
	for (int i = 0; i < clients; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < clients; i++)
		pthread_join(th[i], NULL);
	double el = now() - t0;
	qsort(lat, total, sizeof(double), cmp);
	uint64_t bytes = 0;
	for (size_t i = 0; i < nfiles; i++)
		bytes += files[i].len;
	printf("dumps: %zu files (%.1f KiB average), %zu requests, %d clients\n", nfiles,
	       (double)bytes / (double)nfiles / 1024, total, clients);
	printf("throughput: %.0f dumps/s over %.2f s\n", (double)total / el, el);
	printf("latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", lat[total / 2] * 1e3,
	       lat[total * 99 / 100] * 1e3, lat[total - 1] * 1e3);
	printf("failures: %zu\n", failures);
	dwc_client_close(client);
	free(th);
	free(lat);
	for (size_t i = 0; i < nfiles; i++)
		dw_mapfile_close(&files[i]);
	return failures == 0 ? 0 : 1;
}
