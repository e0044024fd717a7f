// clients/cmd_symbols_fetch.c - `dumpwalk symbols fetch NAME ID`: resolves one
// PDB, PE or Breakpad .sym through the symbol path and prints its local path.
//
//   dumpwalk symbols fetch crash.pdb 3249D99D0C4049318610F4E4FB0B69361
//       --symbol-path 'srv*/var/cache/sym*https://symbols.example.com'
//
// The file type follows NAME: .pdb is a PDB, .sym a Breakpad file (looked up
// under the matching .pdb name), anything else an image by code id; --type
// overrides. The symbol path defaults to $_NT_SYMBOL_PATH; the cache to
// --cache-dir, else the first downstream store the path names, else
// $XDG_CACHE_HOME/dumpwalk/symbols (~/.cache/dumpwalk/symbols).
#include "clients/cmd_symbols_fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "symbols/resolve.h"

enum { FETCH_OK = 0, FETCH_FAILED = 1, FETCH_USAGE = 2 };

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static void
print_notes(const dw_notes *n)
{
	for (size_t i = 0; i < n->count; i++)
		fprintf(stderr, "dumpwalk symbols fetch: %s\n", n->items[i].text);
}

int
dwc_cmd_symbols_fetch(int argc, char **argv)
{
	const char *name = NULL, *id = NULL, *sympath = NULL, *cache_dir = NULL, *type_s = NULL;
	unsigned    timeout_ms = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 < argc && strcmp(a, "--symbol-path") == 0)
			sympath = argv[++i];
		else if (i + 1 < argc && strcmp(a, "--cache-dir") == 0)
			cache_dir = argv[++i];
		else if (i + 1 < argc && strcmp(a, "--type") == 0)
			type_s = argv[++i];
		else if (i + 1 < argc && strcmp(a, "--timeout") == 0)
			timeout_ms = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "dumpwalk symbols fetch: unknown option %s\n", a);
			return FETCH_USAGE; // the caller prints the usage line
		} else if (name == NULL)
			name = a;
		else if (id == NULL)
			id = a;
		else {
			return FETCH_USAGE; // the caller prints the usage line
		}
	}
	if (name == NULL || id == NULL) {
		return FETCH_USAGE;
	}

	dw_file_type type = ends_with(name, ".pdb")   ? DW_FILE_PDB
	                    : ends_with(name, ".sym") ? DW_FILE_SYM
	                                              : DW_FILE_PE;
	if (type_s != NULL) {
		if (strcmp(type_s, "pdb") == 0)
			type = DW_FILE_PDB;
		else if (strcmp(type_s, "pe") == 0)
			type = DW_FILE_PE;
		else if (strcmp(type_s, "sym") == 0)
			type = DW_FILE_SYM;
		else {
			return FETCH_USAGE; // the caller prints the usage line
		}
	}
	// A .sym is filed under its debug file's name: crash.sym -> crash.pdb.
	char debug_name[DW_MAX_SYMFILE_NAME + 8];
	snprintf(debug_name, sizeof(debug_name), "%s", name);
	if (type == DW_FILE_SYM && ends_with(debug_name, ".sym"))
		memcpy(debug_name + strlen(debug_name) - 4, ".pdb", 4);

	if (sympath == NULL)
		sympath = getenv("_NT_SYMBOL_PATH");
	if (sympath == NULL || sympath[0] == '\0') {
		fprintf(stderr, "dumpwalk symbols fetch: no symbol path: give --symbol-path or set "
		                "_NT_SYMBOL_PATH\n");
		return FETCH_USAGE;
	}

	int          rc = FETCH_FAILED;
	dw_notes     notes;
	dw_sympath   path;
	dw_symcache *cache = NULL;
	dw_resolver *res   = NULL;
	dw_fetcher  *f     = NULL;
	dw_symfile   out;
	char         defdir[4096];
	memset(&out, 0, sizeof(out));
	dw_notes_init(&notes);
	dw_sympath_init(&path);
	if (dw_sympath_parse(&path, sympath, &notes) != DW_OK || path.count == 0) {
		print_notes(&notes);
		fprintf(stderr, "dumpwalk symbols fetch: the symbol path names no usable source\n");
		rc = FETCH_USAGE;
		goto out;
	}
	print_notes(&notes); // skipped elements
	dw_notes_fini(&notes);
	dw_notes_init(&notes);
	if (cache_dir == NULL)
		cache_dir = path.cache_dir;
	if (cache_dir == NULL) {
		const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
		if (xdg != NULL && xdg[0] == '/')
			snprintf(defdir, sizeof(defdir), "%s/dumpwalk/symbols", xdg);
		else
			snprintf(defdir, sizeof(defdir), "%s/.cache/dumpwalk/symbols",
			         home ? home : ".");
		cache_dir = defdir;
	}
	if (dw_symcache_open(&cache, cache_dir, NULL, &notes) != DW_OK) {
		print_notes(&notes);
		goto out;
	}
	if (timeout_ms > 0)
		for (size_t i = 0; i < path.count; i++)
			path.items[i].timeout_ms = timeout_ms;
	if (dw_fetch_global_init() != DW_OK) {
		fprintf(stderr, "dumpwalk symbols fetch: libcurl failed to start\n");
		goto out;
	}
	if (dw_resolver_new(&res, &path, cache) != DW_OK || dw_fetcher_new(&f, NULL) != DW_OK ||
	    dw_resolver_file(&out, res, f, type, type == DW_FILE_SYM ? debug_name : name, id) !=
	        DW_OK) {
		fprintf(stderr, "dumpwalk symbols fetch: out of memory\n");
		goto out_curl;
	}
	switch (out.status) {
	case DW_SYMST_CACHED:
	case DW_SYMST_LOCAL:
	case DW_SYMST_DOWNLOADED:
		fprintf(stderr, "dumpwalk symbols fetch: %s %s: %s from %s\n", name, id,
		        dw_symstatus_name(out.status), out.where ? out.where : "?");
		printf("%s\n", out.path);
		rc = FETCH_OK;
		break;
	default:
		fprintf(stderr, "dumpwalk symbols fetch: %s %s: %s%s%s%s\n", name, id,
		        dw_symstatus_name(out.status), out.note[0] ? ": " : "", out.note,
		        out.from_negative ? " (remembered from an earlier attempt)" : "");
		break;
	}
out_curl:
	dw_fetcher_free(f);
	dw_resolver_free(res);
	dw_fetch_global_cleanup();
out:
	dw_symfile_fini(&out);
	dw_symcache_close(cache);
	dw_sympath_fini(&path);
	dw_notes_fini(&notes);
	return rc;
}
