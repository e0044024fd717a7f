// symbols/symtab_compile.c - files on disk -> one compiled table: a PDB (with
// its PE when given), a PE alone, or a Breakpad .sym.
#include <string.h>

#include "common/mapfile.h"
#include "symbols/breakpad_sym.h"
#include "symbols/symtab_from.h"

static const char *
base_name(const char *p)
{
	const char *b = p;
	for (; *p; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	return b;
}

dw_err
dw_symtab_compile(dw_symtab **out, const char *pdb_path, const char *pe_path,
                  const char *sym_path, dw_symtab_stats *stats, dw_notes *notes)
{
	*out = NULL;
	if (pdb_path == NULL && pe_path == NULL && sym_path == NULL)
		return dw_fail(notes, DW_EINVAL, "symbol table: no input file");
	dw_symtab_builder *b   = NULL;
	dw_pdb            *pdb = NULL;
	dw_pe             *pe  = NULL;
	dw_sym            *sym = NULL;
	dw_mapfile         map = {0};
	const char        *why = NULL;
	dw_err             rv  = dw_symtab_builder_new(&b);
	if (rv != DW_OK)
		goto out;
	if (sym_path != NULL && pdb_path == NULL && pe_path == NULL) {
		if ((rv = dw_sym_open_file(&sym, sym_path, notes)) != DW_OK)
			goto out;
		rv = dw_symtab_builder_add_sym(b, sym, NULL);
		goto finish;
	}
	if (pe_path != NULL) {
		if ((rv = dw_mapfile_open(&map, pe_path, &why)) != DW_OK) {
			rv = dw_fail(notes, rv, "%s: %s", pe_path, why ? why : dw_strerror(rv));
			goto out;
		}
		if ((rv = dw_pe_open(&pe, map.data, map.len, DW_PE_LAYOUT_FILE, notes)) != DW_OK)
			goto out;
	}
	if (pdb_path != NULL) {
		if ((rv = dw_pdb_open_file(&pdb, pdb_path, notes)) != DW_OK)
			goto out;
		rv = dw_symtab_add_pdb(b, pdb, pe, base_name(pdb_path),
		                       pe_path != NULL ? base_name(pe_path) : NULL, NULL, notes);
	} else {
		rv = dw_symtab_add_pe(b, pe, base_name(pe_path), NULL, notes);
	}
finish:
	if (rv == DW_OK)
		rv = dw_symtab_builder_finish(out, b, stats);
out:
	dw_symtab_builder_free(b);
	dw_sym_free(sym);
	dw_pdb_free(pdb);
	dw_pe_free(pe);
	dw_mapfile_close(&map);
	return rv;
}
