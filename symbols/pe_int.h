// symbols/pe_int.h - internals shared by pe.c, pe_resource.c and pe_unwind.c.
#ifndef DW_SYMBOLS_PE_INT_H
#define DW_SYMBOLS_PE_INT_H

#include "common/arena.h"
#include "common/cur.h"
#include "symbols/pe.h"

// On-disk record sizes (pecoff).
#define DW_PE_DOS_HEADER_SIZE     64 // IMAGE_DOS_HEADER
#define DW_PE_FILE_HEADER_SIZE    20 // IMAGE_FILE_HEADER
#define DW_PE_SECTION_SIZE        40 // IMAGE_SECTION_HEADER
#define DW_PE_EXPORT_DIR_SIZE     40 // IMAGE_EXPORT_DIRECTORY
#define DW_PE_DEBUG_DIR_SIZE      28 // IMAGE_DEBUG_DIRECTORY
#define DW_PE_RUNTIME_FUNC_SIZE   12 // RUNTIME_FUNCTION (x64)
#define DW_PE_UNWIND_HEADER_SIZE  4  // UNWIND_INFO up to UnwindCode[]
#define DW_PE_RES_DIR_SIZE        16 // IMAGE_RESOURCE_DIRECTORY
#define DW_PE_RES_ENTRY_SIZE      8  // IMAGE_RESOURCE_DIRECTORY_ENTRY
#define DW_PE_RES_DATA_SIZE       16 // IMAGE_RESOURCE_DATA_ENTRY
#define DW_PE_FIXED_FILE_INFO_SIZE 52 // VS_FIXEDFILEINFO

struct dw_pe {
	dw_arena      arena;
	dw_notes      notes;
	dw_cur        all; // the whole input
	dw_pe_layout  layout;
	dw_pe_headers hdr;

	dw_pe_section *sections;
	size_t         nsections;

	dw_pe_export *exports;
	size_t        nexports;
	const char   *export_name;

	dw_pe_debug_entry *debug;
	size_t             ndebug;
	dw_pe_codeview    *codeview;

	dw_pe_version *version;

	dw_pe_function *functions;
	size_t          nfunctions;
};

// dw_pe__rva_window makes `out` a cursor over len bytes at rva. In the file
// layout the range must lie inside one section's raw data (or the headers).
// DW_ETRUNC when it does not; nothing is noted.
dw_err dw_pe__rva_window(dw_cur *out, const dw_pe *pe, uint32_t rva, uint32_t len);
// dw_pe__rva_tail makes `out` a cursor from rva to the end of the data that
// holds it (its section's raw data, or the whole mapped image).
dw_err dw_pe__rva_tail(dw_cur *out, const dw_pe *pe, uint32_t rva);

// Parsers of optional parts: each notes its own problems and leaves the part
// empty; only DW_ENOMEM is returned as a failure.
dw_err dw_pe__read_version(dw_pe *pe);
dw_err dw_pe__read_pdata(dw_pe *pe);

#endif
