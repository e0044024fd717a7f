// tests/fuzz/fuzz_symbol_path.c - libFuzzer target: _NT_SYMBOL_PATH parsing
// and the checks on names and ids taken from dumps (symbols/source.c).
//
// The input is split at its first NUL: the part before is parsed as a symbol
// path, the part after (or the whole input) is checked as a file name and an
// id. Every accepted name must be one safe path component, and every relative
// path built from accepted parts must pass the cache's key check.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/cache.h"
#include "symbols/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_name(const char *s)
{
	char name[DW_MAX_SYMFILE_NAME + 1], id[DW_MAX_SYMID + 1];
	if (dw_symname_check(name, s, NULL) == DW_OK) {
		size_t n = strlen(name);
		if (n == 0 || n > DW_MAX_SYMFILE_NAME || strchr(name, '/') || strchr(name, '\\') ||
		    strchr(name, ':') || strcmp(name, "..") == 0 || strcmp(name, ".") == 0)
			abort();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)name[i] < 0x20)
				abort();
		char comp[DW_MAX_SYMFILE_NAME + 1], sym[DW_MAX_SYMFILE_NAME + 1];
		dw_symname_compressed(comp, name);
		char rel[4 * (DW_MAX_SYMFILE_NAME + 1) + DW_MAX_SYMID];
		if (dw_source_relpath(rel, sizeof(rel), DW_LAYOUT_SYMSTORE, name, "ABC1", name) !=
		    DW_OK)
			abort();
		// A key built from checked parts must be a valid cache key, unless
		// the name starts with a dot (allowed as a file, refused as a key:
		// the cache keeps its private state in dot-folders).
		if (name[0] != '.' && !dw_symcache_key_check(rel))
			abort();
		if (dw_symname_breakpad(sym, name) == DW_OK && strlen(sym) > DW_MAX_SYMFILE_NAME)
			abort();
		char url[DW_MAX_URL_BYTES];
		(void)dw_source_url(url, sizeof(url), "http://127.0.0.1:1", rel);
		(void)dw_source_relpath(rel, sizeof(rel), DW_LAYOUT_INDEX2, name, "ABC1", comp);
	}
	if (dw_symid_check(id, s, NULL) == DW_OK && (strlen(id) == 0 || strlen(id) > DW_MAX_SYMID))
		abort();
	(void)dw_symcache_key_check(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	dw_sympath p;
	dw_notes   notes;
	dw_sympath_init(&p);
	dw_notes_init(&notes);
	(void)dw_sympath_parse(&p, s, &notes);
	for (size_t i = 0; i < p.count; i++) {
		const dw_source *src = &p.items[i];
		if (src->location == NULL || src->location[0] == '\0')
			abort();
		for (const char *c = src->location; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == ';')
				abort();
	}
	dw_sympath_fini(&p);
	dw_notes_fini(&notes);

	size_t first = strlen(s);
	check_name(first < size ? s + first + 1 : s);
	check_name(s);

	const char *t;
	size_t      tl;
	(void)dw_fileptr_parse(&t, &tl, (const char *)data, size, NULL);
	free(s);
	return 0;
}
