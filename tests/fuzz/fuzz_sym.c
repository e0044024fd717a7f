// tests/fuzz/fuzz_sym.c - libFuzzer target: the Breakpad .sym reader.
//
// Parses arbitrary bytes as .sym text, then walks every record and runs each
// lookup at and around the addresses the input itself names, so a bad index in
// the sorted arrays or a sub-array pointer shows under the sanitizers.
#include <stdint.h>
#include <string.h>

#include "symbols/breakpad_sym.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t sink;

static void
probe(const dw_sym *s, uint64_t addr)
{
	for (uint64_t d = 0; d < 3; d++) {
		const dw_sym_func *f = dw_sym_func_find(s, addr + d - 1);
		if (f != NULL) {
			const dw_sym_line *l = dw_sym_line_find(f, addr + d - 1);
			if (l != NULL && dw_sym_file_find(s, l->file) != NULL)
				sink++;
			sink += strlen(f->name);
		}
		const dw_sym_public *p = dw_sym_public_find(s, addr + d - 1);
		if (p != NULL)
			sink += strlen(p->name);
		const dw_sym_cfi *c = dw_sym_cfi_find(s, addr + d - 1);
		if (c != NULL && c->nrules > 0)
			sink += strlen(c->rules[c->nrules - 1].expr);
		for (uint32_t t = 0; t < 5; t++) {
			const dw_sym_win *w = dw_sym_win_find(s, t, addr + d - 1);
			if (w != NULL && w->program != NULL)
				sink += strlen(w->program);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dw_sym *s = NULL;
	if (dw_sym_parse(&s, (const char *)data, size, NULL) != DW_OK)
		return 0;
	size_t n;
	const dw_sym_func *f = dw_sym_get_funcs(s, &n);
	for (size_t i = 0; i < n; i++) {
		probe(s, f[i].addr);
		probe(s, f[i].addr + f[i].size);
		for (size_t k = 0; k < f[i].nlines; k++)
			sink += f[i].lines[k].line;
		for (size_t k = 0; k < f[i].ninlines; k++) {
			const dw_sym_inline *in = &f[i].inlines[k];
			for (size_t r = 0; r < in->nranges; r++)
				probe(s, in->ranges[r].addr);
			if (dw_sym_origin_find(s, in->origin) != NULL)
				sink++;
		}
	}
	const dw_sym_public *p = dw_sym_get_publics(s, &n);
	for (size_t i = 0; i < n; i++)
		probe(s, p[i].addr);
	const dw_sym_cfi *c = dw_sym_get_cfis(s, &n);
	for (size_t i = 0; i < n; i++) {
		probe(s, c[i].addr);
		for (size_t k = 0; k < c[i].ndeltas; k++)
			for (size_t r = 0; r < c[i].deltas[k].nrules; r++)
				sink += strlen(c[i].deltas[k].rules[r].reg) + strlen(c[i].deltas[k].rules[r].expr);
	}
	const dw_sym_win *w = dw_sym_get_wins(s, &n);
	for (size_t i = 0; i < n; i++)
		probe(s, w[i].rva);
	const dw_sym_info *inf = dw_sym_get_infos(s, &n);
	for (size_t i = 0; i < n; i++)
		sink += strlen(inf[i].key) + strlen(inf[i].value);
	const dw_sym_module *m = dw_sym_get_module(s);
	if (m->os != NULL)
		sink += strlen(m->os) + strlen(m->arch) + strlen(m->id) + strlen(m->name);
	dw_sym_free(s);
	return 0;
}
