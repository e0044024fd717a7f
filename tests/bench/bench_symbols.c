// tests/bench/bench_symbols.c - PDB -> table compile speed (MB/s of PDB
// input) per corpus PDB and overall, .sym -> table speed, table open time,
// and lookup time on the largest module's table.
//
//   bench_symbols CORPUS_DIR    (the shared corpus: symbols/, binaries/)
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "symbols/symtab.h"
#include "symbols/symtab_from.h"

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double
file_mb(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 ? (double)sb.st_size / 1e6 : 0;
}

// Compiles repeatedly for at least 0.3 s; returns seconds per compile.
static double
time_compile(const char *pdb, const char *sym, dw_symtab **keep)
{
	double t0 = now(), t;
	int    n  = 0;
	do {
		dw_symtab *tab;
		if (dw_symtab_compile(&tab, pdb, NULL, sym, NULL, NULL) != DW_OK)
			return -1;
		if (keep != NULL && *keep == NULL)
			*keep = tab;
		else
			dw_symtab_release(tab);
		n++;
		t = now();
	} while (t - t0 < 0.3);
	return (t - t0) / n;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_symbols CORPUS_DIR\n");
		return 2;
	}
	char pat[4096];
	snprintf(pat, sizeof(pat), "%s/symbols/*/*/*.pdb", argv[1]);
	glob_t g;
	if (glob(pat, 0, NULL, &g) != 0) {
		fprintf(stderr, "no PDBs under %s\n", pat);
		return 1;
	}
	double     tot_mb = 0, tot_s = 0, best_mb = 0;
	dw_symtab *largest = NULL;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		double     mb  = file_mb(g.gl_pathv[i]);
		dw_symtab *tab = NULL;
		double     s   = time_compile(g.gl_pathv[i], NULL, &tab);
		if (s < 0) {
			printf("pdb  %-40s does not compile\n", strrchr(g.gl_pathv[i], '/') + 1);
			continue;
		}
		printf("pdb  %-40s %7.2f MB %8.2f ms %8.1f MB/s\n", strrchr(g.gl_pathv[i], '/') + 1, mb,
		       s * 1e3, mb / s);
		tot_mb += mb;
		tot_s += s;
		if (mb > best_mb) {
			dw_symtab_release(largest);
			largest = tab;
			best_mb = mb;
		} else {
			dw_symtab_release(tab);
		}
	}
	globfree(&g);
	printf("pdb  overall %.2f MB in %.2f ms: %.1f MB/s (goal >= 200)\n", tot_mb, tot_s * 1e3,
	       tot_s > 0 ? tot_mb / tot_s : 0);

	snprintf(pat, sizeof(pat), "%s/symbols/*/*/*.sym", argv[1]);
	double sym_mb = 0, sym_s = 0, big_sym = 0;
	char   big_path[4096] = "";
	if (glob(pat, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			double mb = file_mb(g.gl_pathv[i]);
			double s  = time_compile(NULL, g.gl_pathv[i], NULL);
			if (s < 0)
				continue;
			sym_mb += mb;
			sym_s += s;
			if (mb > big_sym) {
				big_sym = mb;
				snprintf(big_path, sizeof(big_path), "%s", g.gl_pathv[i]);
			}
		}
		globfree(&g);
	}
	printf(".sym overall %.2f MB in %.2f ms: %.1f MB/s\n", sym_mb, sym_s * 1e3,
	       sym_s > 0 ? sym_mb / sym_s : 0);

	// Open time and lookups on the largest module's table (the largest .sym:
	// its module is bigger than any corpus PDB's).
	dw_symtab *t = NULL;
	if (big_path[0] && dw_symtab_compile(&t, NULL, NULL, big_path, NULL, NULL) == DW_OK) {
		dw_symtab_release(largest);
		largest = t;
	}
	if (largest == NULL)
		return 1;
	char tmp[] = "/tmp/bench_symbols_XXXXXX";
	int  fd    = mkstemp(tmp);
	close(fd);
	dw_symtab_write_file(largest, tmp, NULL);
	size_t len;
	dw_symtab_bytes(largest, &len);
	int    n  = 0;
	double t0 = now(), t1 = t0;
	do {
		dw_symtab *o;
		if (dw_symtab_open_file(&o, tmp, NULL) != DW_OK)
			break;
		dw_symtab_release(o);
		n++;
		t1 = now();
	} while (t1 - t0 < 0.3);
	printf("table open (%s, %.2f MB, checksum verified): %.1f us\n",
	       big_path[0] ? strrchr(big_path, '/') + 1 : "largest PDB", (double)len / 1e6,
	       n ? (t1 - t0) / n * 1e6 : 0.0);
	unlink(tmp);

	dw_symtab_stats st;
	dw_symtab_get_stats(largest, &st);
	uint32_t span = 0;
	dw_symtab_loc l;
	for (uint32_t a = 0x1000; a < 0x10000000; a += 0x1000)
		if (dw_symtab_find(largest, a, &l) == DW_OK)
			span = a;
	uint64_t x = 88172645463325252ull, hits = 0;
	size_t   iters = 2000000;
	t0             = now();
	for (size_t i = 0; i < iters; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		hits += dw_symtab_find(largest, (uint32_t)(x % (span ? span : 1)), &l) == DW_OK;
	}
	t1 = now();
	printf("lookup (function+line) on %zu functions, %zu lines: %.1f ns (%llu hits of %zu; goal < 100)\n",
	       st.funcs, st.lines, (t1 - t0) / (double)iters * 1e9, (unsigned long long)hits, iters);
	dw_symtab_release(largest);
	return 0;
}
