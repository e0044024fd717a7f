// symbols/symtab_from_pe.c - a PE image into a symbol-table builder: identity,
// exports as publics, and x64 exception data with the exact UNWIND_INFO bytes.
#include <stdlib.h>
#include <string.h>

#include "common/cur.h"
#include "symbols/symtab_from.h"
#include "symbols/undecorate.h"

// UNWIND_INFO length from its first bytes: header, code slots rounded up to
// an even count, then a chained RUNTIME_FUNCTION (12) or a handler RVA (4).
// The handler's own data follows but has no length we know: not included.
static size_t
info_len(const uint8_t hdr[4])
{
	size_t len   = 4 + 2 * (((size_t)hdr[2] + 1) & ~(size_t)1);
	uint8_t flags = hdr[0] >> 3;
	if (flags & DW_UNW_FLAG_CHAININFO)
		len += 12;
	else if (flags & (DW_UNW_FLAG_EHANDLER | DW_UNW_FLAG_UHANDLER))
		len += 4;
	return len;
}

// Reads the UNWIND_INFO at rva into buf (at least 4 + 2*256 + 12 bytes).
static dw_err
read_info(const dw_pe *pe, uint32_t rva, uint8_t *buf, size_t *len)
{
	if (dw_pe_read_rva(pe, rva, buf, 4) != DW_OK)
		return DW_ETRUNC;
	*len = info_len(buf);
	return dw_pe_read_rva(pe, rva, buf, *len);
}

dw_err
dw_symtab_add_pe_x64(dw_symtab_builder *b, const dw_pe *pe, dw_symtab_feed *feed,
                     dw_notes *notes)
{
	size_t                n;
	const dw_pe_function *fn = dw_pe_get_functions(pe, &n);
	uint8_t               buf[4 + 2 * 256 + 12];
	size_t                bad = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;
		dw_err rv;
		if (read_info(pe, fn[i].unwind_rva, buf, &len) != DW_OK)
			rv = dw_symtab_builder_add_x64(b, fn[i].begin, fn[i].end, fn[i].unwind_rva, NULL, 0);
		else
			rv = dw_symtab_builder_add_x64(b, fn[i].begin, fn[i].end, fn[i].unwind_rva, buf, len);
		if (rv == DW_ENOMEM)
			return rv;
		if (rv != DW_OK) {
			bad++;
			continue;
		}
		if (feed != NULL)
			feed->x64_funcs++;
		// Chain targets, so the unwinder finds them by RVA. The reader
		// resolved each chain once; follow it with a cap in case it loops.
		const dw_pe_unwind_info *ui = fn[i].info;
		for (int d = 0; ui != NULL && ui->chained && d < DW_MAX_PE_UNWIND_CHAIN; d++) {
			uint32_t at = ui->chain_unwind_rva;
			if (read_info(pe, at, buf, &len) != DW_OK)
				break;
			rv = dw_symtab_builder_add_x64_info(b, at, buf, len);
			if (rv == DW_ENOMEM)
				return rv;
			ui = ui->chain;
		}
	}
	if (bad > 0) {
		dw_remark(notes, "PE: %zu of %zu RUNTIME_FUNCTIONs refused by the table builder", bad, n);
		if (feed != NULL)
			feed->refused += bad;
	}
	return DW_OK;
}

static const char *
base_name(const char *p)
{
	const char *b = p;
	for (; *p; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	return b;
}

typedef struct pub {
	uint32_t    rva;
	const char *name;
} pub;

static int
pub_cmp(const void *x, const void *y)
{
	const pub *a = x, *b = y;
	if (a->rva != b->rva)
		return a->rva < b->rva ? -1 : 1;
	return strcmp(a->name, b->name);
}

dw_err
dw_symtab_add_pe(dw_symtab_builder *b, const dw_pe *pe, const char *code_file,
                 dw_symtab_feed *feed, dw_notes *notes)
{
	const dw_pe_headers  *h  = dw_pe_get_headers(pe);
	const dw_pe_codeview *cv = dw_pe_get_codeview(pe);
	char                  code_id[17];
	dw_pe_code_id(pe, code_id);
	const char *expname = dw_pe_get_export_name(pe);
	if (code_file == NULL)
		code_file = expname != NULL ? expname : "";
	dw_symtab_module m = {
	    .os         = "windows",
	    .debug_file = cv != NULL && cv->pdb_name != NULL ? base_name(cv->pdb_name) : code_file,
	    .debug_id   = cv != NULL ? cv->debug_id : "",
	    .code_file  = code_file,
	    .code_id    = code_id,
	    .cpu        = h->machine == DW_PE_MACHINE_AMD64  ? DW_SYMTAB_CPU_AMD64
	                  : h->machine == DW_PE_MACHINE_I386 ? DW_SYMTAB_CPU_X86
	                                                     : DW_SYMTAB_CPU_UNKNOWN,
	};
	dw_err rv = dw_symtab_builder_set_module(b, &m);
	if (rv != DW_OK)
		return rv;

	size_t              n;
	const dw_pe_export *ex = dw_pe_get_exports(pe, &n);
	pub                *v  = malloc((n ? n : 1) * sizeof(*v));
	if (v == NULL)
		return DW_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (ex[i].forwarder != NULL || ex[i].name == NULL || ex[i].rva == 0)
			continue;
		v[k++] = (pub){ex[i].rva, ex[i].name};
	}
	if (k > 1)
		qsort(v, k, sizeof(*v), pub_cmp);
	// One PUBLIC per address, as dump_syms writes them: the first name in
	// byte order, `m` when others share the address.
	for (size_t i = 0; i < k;) {
		size_t j = i + 1;
		while (j < k && v[j].rva == v[i].rva)
			j++;
		char name[1024];
		size_t len = dw_undecorate(name, sizeof(name), v[i].name, strlen(v[i].name),
		                           DW_UNDNAME_FULL);
		const char *use = len < sizeof(name) ? name : v[i].name;
		rv = dw_symtab_builder_add_public(b, v[i].rva, 0, use, j - i > 1);
		if (rv == DW_ENOMEM)
			break;
		if (feed != NULL) {
			if (rv == DW_OK)
				feed->publics++;
			else
				feed->refused++;
		}
		rv = DW_OK;
		i  = j;
	}
	free(v);
	if (rv != DW_OK)
		return rv;
	return h->machine == DW_PE_MACHINE_AMD64 ? dw_symtab_add_pe_x64(b, pe, feed, notes) : DW_OK;
}
