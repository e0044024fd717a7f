// tests/bench/bench_symtab.c - compiled symbol tables: build speed, open time
// and lookup time.
//
//   bench_symtab [-n LOOKUPS] [-o TABLE] DIR|FILE.sym ...
//
// Takes the largest .sym found (directories searched recursively), parses it
// with the .sym reader and builds a table from it (MB/s of .sym text), writes
// the table to a temporary file, opens it from the file and from a buffer
// (checksum and every structural check included), then times lookups at
// random addresses across the module. A synthetic table ten times larger
// than the corpus's largest shows how lookups scale. -o keeps the table.
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "symbols/breakpad_sym.h"
#include "symbols/symtab.h"

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char  best[4096];
static off_t best_size = -1;

static void
scan(const char *path, int depth)
{
	struct stat st;
	if (stat(path, &st) != 0 || depth > 6)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		if (d == NULL)
			return;
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			char sub[4096];
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			scan(sub, depth + 1);
		}
		closedir(d);
		return;
	}
	size_t n = strlen(path);
	if (n > 4 && strcmp(path + n - 4, ".sym") == 0 && st.st_size > best_size) {
		best_size = st.st_size;
		snprintf(best, sizeof(best), "%s", path);
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static volatile size_t sink;

// time_lookups reports ns per lookup of each kind at n random addresses in
// [lo, hi).
static void
time_lookups(const dw_symtab *t, uint32_t lo, uint32_t hi, size_t n)
{
	uint32_t *addr = malloc(n * sizeof(uint32_t));
	if (addr == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		addr[i] = lo + rnd() % (hi - lo ? hi - lo : 1);
	size_t hits = 0;
	double t0   = now();
	for (size_t i = 0; i < n; i++) {
		dw_symtab_loc l;
		if (dw_symtab_find(t, addr[i], &l) == DW_OK)
			hits++, sink += l.line;
	}
	double t1 = now();
	printf("  find (function/public + line):  %6.1f ns/lookup  (%.0f%% resolved)\n",
	       (t1 - t0) * 1e9 / (double)n, 100.0 * (double)hits / (double)n);
	hits = 0;
	t0   = now();
	for (size_t i = 0; i < n; i++) {
		dw_symtab_cfi c;
		if (dw_symtab_cfi_find(t, addr[i], &c) == DW_OK)
			hits++, sink += c.nrules;
	}
	t1 = now();
	printf("  cfi_find (effective rule set):  %6.1f ns/lookup  (%.0f%% resolved)\n",
	       (t1 - t0) * 1e9 / (double)n, 100.0 * (double)hits / (double)n);
	hits = 0;
	t0   = now();
	for (size_t i = 0; i < n; i++) {
		dw_symtab_win w;
		if (dw_symtab_win_find(t, 4, addr[i], &w) == DW_OK ||
		    dw_symtab_win_find(t, 0, addr[i], &w) == DW_OK)
			hits++, sink += w.param_size;
	}
	t1 = now();
	printf("  win_find (type 4, then 0):      %6.1f ns/lookup  (%.0f%% resolved)\n",
	       (t1 - t0) * 1e9 / (double)n, 100.0 * (double)hits / (double)n);
	hits = 0;
	t0   = now();
	for (size_t i = 0; i < n; i++) {
		dw_symtab_x64 x;
		if (dw_symtab_x64_find(t, addr[i], &x) == DW_OK)
			hits++, sink += x.info_len;
	}
	t1 = now();
	printf("  x64_find:                       %6.1f ns/lookup  (%.0f%% resolved)\n",
	       (t1 - t0) * 1e9 / (double)n, 100.0 * (double)hits / (double)n);
	free(addr);
}

static void
time_open(const dw_symtab *t, int reps)
{
	size_t         len;
	const uint8_t *p = dw_symtab_bytes(t, &len);
	char           path[] = "/tmp/bench_symtab.XXXXXX";
	int            fd     = mkstemp(path);
	if (fd < 0)
		return;
	close(fd);
	if (dw_symtab_write_file(t, path, NULL) != DW_OK)
		return;
	double t0 = now();
	for (int i = 0; i < reps; i++) {
		dw_symtab *u = NULL;
		if (dw_symtab_open_file(&u, path, NULL) != DW_OK) {
			printf("  open_file FAILED\n");
			break;
		}
		dw_symtab_release(u);
	}
	double t1 = now();
	for (int i = 0; i < reps; i++) {
		dw_symtab *u = NULL;
		if (dw_symtab_open_buffer(&u, p, len, NULL) != DW_OK)
			break;
		dw_symtab_release(u);
	}
	double t2 = now();
	printf("  table %zu bytes; open_file (mmap + checks) %.1f us, open_buffer (copy + checks) "
	       "%.1f us, %.2f GB/s\n",
	       len, (t1 - t0) * 1e6 / reps, (t2 - t1) * 1e6 / reps,
	       (double)len * reps / (t1 - t0) / 1e9);
	unlink(path);
}

// synthetic builds a table of nf functions with ~6 lines each, publics,
// STACK CFI and x64 entries for every function.
static dw_symtab *
synthetic(size_t nf, uint32_t *hi)
{
	dw_symtab_builder *b = NULL;
	if (dw_symtab_builder_new(&b) != DW_OK)
		return NULL;
	char     name[64];
	uint32_t at = 0x1000;
	for (uint32_t i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "c:\\src\\dir%u\\file%u.cpp", i % 7, i);
		dw_symtab_builder_add_file(b, i, name);
	}
	uint8_t            info[8] = {0x01, 0x04, 0x01, 0x00, 0x04, 0x32, 0x00, 0x00};
	dw_symtab_cfi_rule r0[]    = {{".cfa", "$rsp 8 +"}, {".ra", ".cfa -8 + ^"}};
	dw_symtab_cfi_rule r1[]    = {{".cfa", "$rsp 48 +"}};
	for (size_t i = 0; i < nf; i++) {
		uint32_t size = 16 + rnd() % 400;
		snprintf(name, sizeof(name), "ns%zu::Class%zu::method%zu(int, char const*)", i % 97,
		         i % 1013, i);
		dw_symtab_builder_add_func(b, at, size, 0, name, false);
		uint32_t step = size / 6 ? size / 6 : 1;
		for (uint32_t o = 0; o < size; o += step)
			dw_symtab_builder_add_line(b, at + o, step, (uint32_t)(i % 5000) + o, rnd() % 64);
		if (i % 4 == 0)
			dw_symtab_builder_add_public(b, at, 0, name, false);
		dw_symtab_builder_add_cfi(b, at, size, r0, 2);
		dw_symtab_builder_add_cfi_delta(b, at + 4, r1, 1);
		// One UNWIND_INFO per function, as in real images.
		dw_symtab_builder_add_x64(b, at, at + size, 0x10000000u + (uint32_t)i * 8, info,
		                          sizeof(info));
		at += size + (rnd() % 4 == 0 ? 16 : 0);
	}
	*hi          = at;
	dw_symtab *t = NULL;
	dw_err     rv = dw_symtab_builder_finish(&t, b, NULL);
	dw_symtab_builder_free(b);
	return rv == DW_OK ? t : NULL;
}

int
main(int argc, char **argv)
{
	size_t      n   = 2000000;
	const char *out = NULL;
	int         i   = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			n = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else
			scan(argv[i], 0);
	}
	if (n == 0)
		n = 1;
	if (best_size >= 0) {
		printf("largest .sym: %s (%.2f MB)\n", best, (double)best_size / 1e6);
		FILE *f   = fopen(best, "rb");
		char *txt = malloc((size_t)best_size + 1);
		if (f == NULL || txt == NULL || fread(txt, 1, (size_t)best_size, f) != (size_t)best_size) {
			fprintf(stderr, "cannot read %s\n", best);
			return 1;
		}
		fclose(f);
		int    reps = 20;
		double tp = 0, tb = 0;
		dw_symtab *t = NULL;
		for (int r = 0; r < reps; r++) {
			double  t0 = now();
			dw_sym *s  = NULL;
			if (dw_sym_parse(&s, txt, (size_t)best_size, NULL) != DW_OK)
				return 1;
			double             t1 = now();
			dw_symtab_builder *b  = NULL;
			dw_symtab_builder_new(&b);
			dw_symtab_builder_add_sym(b, s, NULL);
			dw_symtab_release(t);
			t = NULL;
			if (dw_symtab_builder_finish(&t, b, NULL) != DW_OK)
				return 1;
			dw_symtab_builder_free(b);
			double t2 = now();
			dw_sym_free(s);
			tp += t1 - t0;
			tb += t2 - t1;
		}
		double mb = (double)best_size / 1e6;
		printf("  .sym parse %.2f ms (%.0f MB/s); table build %.2f ms (%.0f MB/s of .sym); "
		       "together %.0f MB/s\n",
		       tp * 1e3 / reps, mb * reps / tp, tb * 1e3 / reps, mb * reps / tb,
		       mb * reps / (tp + tb));
		time_open(t, 200);
		dw_symtab_stats st;
		dw_symtab_get_stats(t, &st);
		printf("  %zu functions, %zu publics, %zu lines, %zu STACK WIN, %zu STACK CFI\n",
		       st.funcs, st.publics, st.lines, st.wins, st.cfis);
		// The module's extent: up to the last function / public / unwind record.
		uint32_t hi = 0x1000;
		for (uint32_t a = 0xfffff000u; a >= 0x1000; a -= 0x1000) {
			dw_symtab_loc l;
			if (dw_symtab_find(t, a, &l) == DW_OK && !l.is_public) {
				hi = a + 0x1000;
				break;
			}
			if (a < 0x10000000u && a % 0x100000 == 0) { // coarse past 256 MiB
				dw_symtab_cfi c;
				dw_symtab_win w;
				if (dw_symtab_cfi_find(t, a, &c) == DW_OK ||
				    dw_symtab_win_find(t, 4, a, &w) == DW_OK) {
					hi = a + 0x100000;
					break;
				}
			}
		}
		printf("  lookups over [0x1000, %#x), %zu each:\n", hi, n);
		time_lookups(t, 0x1000, hi, n);
		if (out != NULL)
			dw_symtab_write_file(t, out, NULL);
		dw_symtab_release(t);
		free(txt);
	} else {
		printf("no .sym given or found: synthetic table only\n");
	}
	size_t nf = 100000;
	printf("synthetic: %zu functions, ~%zu lines, CFI and x64 for each\n", nf, nf * 6);
	uint32_t   hi;
	double     t0 = now();
	dw_symtab *t  = synthetic(nf, &hi);
	double     t1 = now();
	if (t == NULL) {
		fprintf(stderr, "synthetic table failed\n");
		return 1;
	}
	printf("  built in %.1f ms\n", (t1 - t0) * 1e3);
	time_open(t, 20);
	time_lookups(t, 0x1000, hi, n);
	dw_symtab_release(t);
	return 0;
}
