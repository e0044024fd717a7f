// tests/fuzz/fuzz_symtab.c - libFuzzer target: opening compiled symbol tables.
//
// Opens the input as a table twice: as given (nearly always refused by the
// checksum) and with the checksum recomputed over the input, so the fuzzer
// reaches the structural checks a table from a broken peer would meet. A
// table that opens is then queried at a spread of addresses (0 and every
// power of two and its neighbours, plus addresses read from the input) with
// every lookup, and printed as .sym text, so an index the checks let through
// shows under the sanitizers.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cur.h"
#include "symbols/symtab.h"
#include "symbols/symtab_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t sink;

static void
probe(const dw_symtab *t, uint32_t a)
{
	dw_symtab_loc    l;
	dw_symtab_inline in[8];
	size_t           n;
	dw_symtab_x64    x;
	dw_symtab_win    w;
	dw_symtab_cfi    c;
	if (dw_symtab_find(t, a, &l) == DW_OK)
		sink += strlen(l.name) + (l.file ? strlen(l.file) : 0);
	if (dw_symtab_find_inlines(t, a, in, 8, &n) == DW_OK)
		for (size_t i = 0; i < n && i < 8; i++)
			sink += strlen(in[i].name) + (in[i].call_file ? strlen(in[i].call_file) : 0);
	if (dw_symtab_x64_find(t, a, &x) == DW_OK && x.info != NULL)
		sink += x.info[x.info_len - 1];
	for (uint32_t ty = 0; ty < DW_SYMTAB_WIN_TYPES; ty++)
		if (dw_symtab_win_find(t, ty, a, &w) == DW_OK && w.program != NULL)
			sink += strlen(w.program);
	if (dw_symtab_cfi_find(t, a, &c) == DW_OK)
		for (size_t i = 0; i < c.nrules; i++)
			sink += strlen(c.rules[i].reg) + strlen(c.rules[i].expr);
}

static void
exercise(const uint8_t *data, size_t size)
{
	dw_symtab *t = NULL;
	if (dw_symtab_open_buffer(&t, data, size, NULL) != DW_OK)
		return;
	probe(t, 0);
	for (unsigned b = 0; b < 32; b++) {
		probe(t, (uint32_t)1 << b);
		probe(t, ((uint32_t)1 << b) - 1);
		probe(t, ((uint32_t)1 << b) + 1);
	}
	for (size_t i = 0; i + 4 <= size && i < 4096; i += 4)
		probe(t, dw_get_u32le(data + i));
	static FILE *devnull;
	if (devnull == NULL)
		devnull = fopen("/dev/null", "w");
	if (devnull != NULL)
		(void)dw_symtab_write_breakpad(t, devnull);
	dw_symtab_module m;
	dw_symtab_get_module(t, &m);
	sink += strlen(m.debug_file);
	dw_symtab_release(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	exercise(data, size);
	if (size < 16 || size > ((size_t)64 << 20))
		return 0;
	uint8_t *copy = malloc(size);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	uint64_t h = dw_symtab__hash(copy + 16, size - 16);
	for (int i = 0; i < 8; i++)
		copy[8 + i] = (uint8_t)(h >> (8 * i));
	exercise(copy, size);
	free(copy);
	return 0;
}
