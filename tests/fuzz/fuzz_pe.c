// tests/fuzz/fuzz_pe.c - libFuzzer target: the PE reader on arbitrary bytes,
// read both as a file on disk and as an image mapped by the loader.
//
// Every accessor is walked and every string read to its end, so a bad length
// anywhere shows; unwind rules are derived at each function's start, middle
// and last byte, with and without DW_PE_RULE_BODY, and at a few fixed RVAs.
#include <stdint.h>
#include <string.h>

#include "symbols/pe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void
touch(const char *s)
{
	if (s != NULL)
		sink += strlen(s);
}

static void
walk(const dw_pe *pe)
{
	size_t n;
	const dw_pe_headers *h = dw_pe_get_headers(pe);
	sink += h->size_of_image;
	const dw_pe_section *s = dw_pe_get_sections(pe, &n);
	for (size_t i = 0; i < n; i++) {
		touch(s[i].name);
		touch(s[i].long_name);
	}
	const dw_pe_export *e = dw_pe_get_exports(pe, &n);
	for (size_t i = 0; i < n; i++) {
		touch(e[i].name);
		touch(e[i].forwarder);
	}
	touch(dw_pe_get_export_name(pe));
	const dw_pe_debug_entry *d = dw_pe_get_debug_entries(pe, &n);
	for (size_t i = 0; i < n; i++)
		sink += d[i].size;
	const dw_pe_codeview *cv = dw_pe_get_codeview(pe);
	if (cv != NULL) {
		touch(cv->pdb_name);
		touch(cv->debug_id);
	}
	const dw_pe_version *v = dw_pe_get_version(pe);
	if (v != NULL) {
		touch(v->lang);
		for (size_t i = 0; i < v->nstrings; i++) {
			touch(v->strings[i].key);
			touch(v->strings[i].value);
		}
		touch(dw_pe_version_find(pe, "ProductName"));
	}
	char id[17];
	dw_pe_code_id(pe, id);
	touch(id);
	const dw_pe_function *f = dw_pe_get_functions(pe, &n);
	dw_unwind_rule        r;
	for (size_t i = 0; i < n && i < 4096; i++) {
		const dw_pe_unwind_info *ui = f[i].info;
		if (ui != NULL) {
			for (size_t k = 0; k < ui->ncodes; k++)
				sink += ui->codes[k].value;
			for (size_t k = 0; k < ui->nepilogs; k++)
				sink += ui->epilogs[k];
		}
		uint32_t at[3] = {f[i].begin, f[i].begin + (f[i].end - f[i].begin) / 2, f[i].end - 1};
		for (int j = 0; j < 3; j++) {
			dw_pe_unwind_rule(&r, pe, at[j], 0);
			dw_pe_unwind_rule(&r, pe, at[j], DW_PE_RULE_BODY);
		}
	}
	static const uint32_t fixed[] = {0, 0x1000, 0x1010, 0x7fffffff, 0xffffffff};
	for (size_t j = 0; j < sizeof(fixed) / sizeof(fixed[0]); j++) {
		dw_pe_unwind_rule(&r, pe, fixed[j], 0);
		uint8_t buf[16];
		dw_pe_read_rva(pe, fixed[j], buf, sizeof(buf));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const dw_pe_layout layouts[] = {DW_PE_LAYOUT_FILE, DW_PE_LAYOUT_MAPPED};
	for (size_t i = 0; i < 2; i++) {
		dw_notes notes;
		dw_notes_init(&notes);
		dw_pe *pe = NULL;
		if (dw_pe_open(&pe, data, size, layouts[i], &notes) == DW_OK) {
			walk(pe);
			dw_pe_free(pe);
		}
		dw_notes_fini(&notes);
	}
	return 0;
}
