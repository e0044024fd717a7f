// tests/bench/bench_dump.c - how fast the minidump reader opens real dumps.
//
// For every dump given (files, or directories searched recursively) it maps
// the file once, then opens and frees it N times from the buffer and prints
// microseconds per open and MB/s of input. The first open is not timed, so
// page-cache misses do not count. Usage: bench_dump [-n N] PATH...
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/mapfile.h"
#include "walker/dump.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long   iterations = 200;
static double total_bytes, total_seconds;
static size_t total_dumps;

static void
bench_file(const char *path)
{
	dw_mapfile m;
	if (dw_mapfile_open(&m, path, NULL) != DW_OK)
		return;
	dw_dump *d;
	if (dw_dump_open_buffer(&d, m.data, m.len, NULL) != DW_OK) {
		printf("%-60s  rejected (not a usable minidump)\n", path);
		dw_mapfile_close(&m);
		return;
	}
	dw_dump_free(d);
	double t0 = now_s();
	for (long i = 0; i < iterations; i++) {
		if (dw_dump_open_buffer(&d, m.data, m.len, NULL) == DW_OK)
			dw_dump_free(d);
	}
	double dt = now_s() - t0;
	double us = dt / (double)iterations * 1e6;
	double mbs = (double)m.len * (double)iterations / dt / 1e6;
	printf("%-60s %10zu bytes %10.1f us/open %9.1f MB/s\n", path, m.len, us, mbs);
	total_bytes += (double)m.len * (double)iterations;
	total_seconds += dt;
	total_dumps++;
	dw_mapfile_close(&m);
}

static void
walk(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		size_t n = strlen(path);
		if (n > 4 && strcmp(path + n - 4, ".dmp") == 0)
			bench_file(path);
		return;
	}
	DIR *dir = opendir(path);
	if (dir == NULL)
		return;
	// Sort for a stable report.
	char  **names = NULL;
	size_t  count = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char **nn = realloc(names, (count + 1) * sizeof(*names));
		if (nn == NULL)
			break;
		names          = nn;
		names[count++] = strdup(e->d_name);
	}
	closedir(dir);
	for (size_t i = 1; i < count; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t      = names[j];
			names[j]     = names[j - 1];
			names[j - 1] = t;
		}
	for (size_t i = 0; i < count; i++) {
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", path, names[i]);
		walk(sub);
		free(names[i]);
	}
	free(names);
}

int
main(int argc, char **argv)
{
	int i = 1;
	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		iterations = strtol(argv[2], NULL, 10);
		if (iterations < 1)
			iterations = 1;
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: bench_dump [-n N] PATH...\n");
		return 2;
	}
	for (; i < argc; i++)
		walk(argv[i]);
	if (total_dumps == 0) {
		fprintf(stderr, "bench_dump: no dumps found\n");
		return 1;
	}
	printf("%zu dumps, %ld opens each: mean %.1f us/open, %.1f MB/s overall\n", total_dumps,
	       iterations, total_seconds / (double)(total_dumps * (size_t)iterations) * 1e6,
	       total_bytes / total_seconds / 1e6);
	return 0;
}
