// symbols/pe.h - reader for Windows PE images (PE32 and PE32+): headers,
// sections, exports, debug directory (CodeView), version resource and x64
// exception data (.pdata/.xdata), plus x64 unwind-rule derivation.
//
// The reader works over borrowed bytes in one of two layouts: a file as it lies
// on disk (RVAs translated through the section table) or an image as the loader
// mapped it into a process (RVA == offset), which is what a full-memory minidump
// holds. Every value comes through dw_cur; every result is allocated from the
// arena the dw_pe owns and lives until dw_pe_free. Problems found while reading
// optional parts (exports, debug directory, resources, unwind data) are noted
// in the object's note list and that part is skipped; only unreadable DOS/NT
// headers or section table fail dw_pe_open.
//
// Layouts come from Microsoft's "PE Format" specification (pecoff) and the
// "x64 exception handling" documentation (UNWIND_INFO, UNWIND_CODE).
#ifndef DW_SYMBOLS_PE_H
#define DW_SYMBOLS_PE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct dw_pe dw_pe;

// How the bytes handed to dw_pe_open are laid out.
typedef enum dw_pe_layout {
	DW_PE_LAYOUT_FILE   = 0, // file on disk: RVAs go through the section table
	DW_PE_LAYOUT_MAPPED = 1, // image mapped by the loader: offset == RVA
} dw_pe_layout;

#define DW_PE_MACHINE_I386  0x014c
#define DW_PE_MACHINE_AMD64 0x8664
#define DW_PE_MACHINE_ARM64 0xaa64

// Data directory indexes (pecoff "Optional Header Data Directories").
enum {
	DW_PE_DIR_EXPORT    = 0,
	DW_PE_DIR_IMPORT    = 1,
	DW_PE_DIR_RESOURCE  = 2,
	DW_PE_DIR_EXCEPTION = 3,
	DW_PE_DIR_SECURITY  = 4,
	DW_PE_DIR_BASERELOC = 5,
	DW_PE_DIR_DEBUG     = 6,
	DW_PE_DIR_COUNT     = 16,
};

typedef struct dw_pe_dir {
	uint32_t rva;
	uint32_t size;
} dw_pe_dir;

// COFF file header and optional header fields (PE32 fields widened to 64 bits).
typedef struct dw_pe_headers {
	uint32_t  nt_offset; // e_lfanew
	uint16_t  machine;
	uint16_t  nsections;
	uint32_t  timestamp;
	uint32_t  symtab_offset;
	uint32_t  nsymbols;
	uint16_t  opt_size;
	uint16_t  characteristics;
	uint16_t  magic; // 0x10b PE32, 0x20b PE32+
	bool      pe32plus;
	uint8_t   linker_major, linker_minor;
	uint32_t  size_of_code, size_of_init_data, size_of_uninit_data;
	uint32_t  entry_point, base_of_code;
	uint64_t  image_base;
	uint32_t  section_align, file_align;
	uint16_t  os_major, os_minor, image_major, image_minor, subsys_major, subsys_minor;
	uint32_t  size_of_image, size_of_headers, checksum;
	uint16_t  subsystem, dll_characteristics;
	uint64_t  stack_reserve, stack_commit, heap_reserve, heap_commit;
	uint32_t  ndirs; // NumberOfRvaAndSizes as stored (may exceed 16)
	dw_pe_dir dirs[DW_PE_DIR_COUNT];
} dw_pe_headers;

typedef struct dw_pe_section {
	char        name[9];   // as stored, NUL-terminated: ".text", or "/4" for a long name
	const char *long_name; // "/4" resolved through the COFF string table, else NULL
	uint32_t vaddr, vsize;
	uint32_t raw_offset, raw_size;
	uint32_t characteristics;
} dw_pe_section;

typedef struct dw_pe_export {
	uint32_t    ordinal;   // biased by the export directory's Base
	uint32_t    rva;       // as stored; for a forwarder, the string's RVA
	const char *name;      // NULL when exported by ordinal only
	const char *forwarder; // "DLL.Name" or "DLL.#12", NULL when not forwarded
} dw_pe_export;

#define DW_PE_DEBUG_CODEVIEW 2

typedef struct dw_pe_debug_entry {
	uint32_t characteristics, timestamp;
	uint16_t major, minor;
	uint32_t type, size, rva, file_offset;
} dw_pe_debug_entry;

// The CodeView record the debug directory points at: RSDS (PDB 7.0) or NB10
// (PDB 2.0). debug_id is what symbol servers and Breakpad file symbols under:
// the GUID (or the NB10 signature) and the age in uppercase hex.
typedef struct dw_pe_codeview {
	uint32_t    cv_signature; // 'RSDS' or 'NB10' as a little-endian u32
	uint8_t     guid[16];     // RSDS: GUID bytes as stored
	uint32_t    signature;    // NB10: time stamp signature
	uint32_t    age;
	const char *pdb_name;
	char        debug_id[41];
} dw_pe_codeview;

typedef struct dw_pe_version_string {
	const char *key;   // "ProductName", UTF-8
	const char *value; // UTF-8
} dw_pe_version_string;

// VS_VERSIONINFO: the fixed part and the first StringFileInfo table.
typedef struct dw_pe_version {
	uint32_t file_version_ms, file_version_ls;
	uint32_t product_version_ms, product_version_ls;
	uint32_t flags_mask, flags, os, type, subtype, date_ms, date_ls;
	const char                 *lang; // StringTable key, "040904b0"
	const dw_pe_version_string *strings;
	size_t                      nstrings;
} dw_pe_version;

// x64 unwind operation codes (UNWIND_CODE.UnwindOp).
enum {
	DW_UWOP_PUSH_NONVOL     = 0,
	DW_UWOP_ALLOC_LARGE     = 1,
	DW_UWOP_ALLOC_SMALL     = 2,
	DW_UWOP_SET_FPREG       = 3,
	DW_UWOP_SAVE_NONVOL     = 4,
	DW_UWOP_SAVE_NONVOL_FAR = 5,
	DW_UWOP_EPILOG          = 6, // version 2; SAVE_XMM in old version 1 data
	DW_UWOP_SPARE           = 7,
	DW_UWOP_SAVE_XMM128     = 8,
	DW_UWOP_SAVE_XMM128_FAR = 9,
	DW_UWOP_PUSH_MACHFRAME  = 10,
};

#define DW_UNW_FLAG_EHANDLER  0x1
#define DW_UNW_FLAG_UHANDLER  0x2
#define DW_UNW_FLAG_CHAININFO 0x4

// One decoded operation (epilog codes are kept apart, in dw_pe_unwind_info).
// `value` is the operation's operand in bytes: the allocation size, or the
// save offset already scaled (by 8 or 16, or raw for the _FAR forms); for
// PUSH_MACHFRAME, 1 when an error code was pushed.
typedef struct dw_pe_unwind_code {
	uint8_t  prolog_offset; // offset of the end of the instruction in the prolog
	uint8_t  op;
	uint8_t  info; // register number (0..15, RAX..R15 / XMM0..15)
	uint32_t value;
} dw_pe_unwind_code;

typedef struct dw_pe_unwind_info {
	uint32_t                 rva;
	uint8_t                  version, flags, prolog_size, nslots;
	uint8_t                  frame_reg, frame_offset; // frame_offset scaled by 16 = bytes/16
	const dw_pe_unwind_code *codes;
	size_t                   ncodes;
	// Version 2 epilogs: size, whether one ends the function, and each one's
	// start as a distance back from the function's end.
	uint8_t         epilog_size;
	bool            epilog_at_end;
	const uint16_t *epilogs;
	size_t          nepilogs;
	uint32_t        handler_rva;      // EHANDLER/UHANDLER: language handler
	uint32_t        handler_data_rva; // its data follows (length unknown to us)
	bool            chained;
	uint32_t        chain_begin, chain_end, chain_unwind_rva; // CHAININFO
	// The chained record, resolved at open; NULL when unreadable. May point
	// back into its own chain in crafted input: follow with a cap.
	const struct dw_pe_unwind_info *chain;
} dw_pe_unwind_info;

// A RUNTIME_FUNCTION. `info` is NULL when its UNWIND_INFO could not be read
// (noted at open).
typedef struct dw_pe_function {
	uint32_t                 begin, end, unwind_rva;
	const dw_pe_unwind_info *info;
} dw_pe_function;

// x64 register numbers as unwind codes use them.
enum {
	DW_X64_RAX = 0, DW_X64_RCX, DW_X64_RDX, DW_X64_RBX, DW_X64_RSP, DW_X64_RBP,
	DW_X64_RSI, DW_X64_RDI, DW_X64_R8, DW_X64_R9, DW_X64_R10, DW_X64_R11,
	DW_X64_R12, DW_X64_R13, DW_X64_R14, DW_X64_R15,
	DW_X64_XMM0 = 16, // XMMn is 16 + n in dw_unwind_rule.saved
};

#define DW_UNWIND_MAX_SAVED 32

// Where a register saved by the prolog lives: at CFA + cfa_offset.
typedef struct dw_unwind_saved {
	uint8_t reg; // 0..15 integer, 16..31 XMM
	int32_t cfa_offset;
} dw_unwind_saved;

// The effective unwind rule at one address, in Breakpad STACK CFI terms:
// CFA = cfa_reg + cfa_offset, the return address is at CFA + ra_offset (-8),
// the caller's RSP is the CFA, and each saved register is at CFA + offset.
// When the frame is a machine frame (PUSH_MACHFRAME, interrupt and exception
// entry points), the caller's RSP is instead loaded from CFA + rsp_from_cfa.
typedef struct dw_unwind_rule {
	uint32_t        func_begin, func_end; // the primary RUNTIME_FUNCTION
	uint8_t         cfa_reg;              // DW_X64_RSP or the frame register
	int32_t         cfa_offset;
	int32_t         ra_offset;
	// When cfa_reg is a frame register: the CFA as RSP + rsp_cfa_offset, which
	// holds after the prolog as long as the body moves RSP no further (no
	// alloca). dump_syms writes this form; walker uses cfa_reg.
	int32_t         rsp_cfa_offset;
	bool            machframe;
	int32_t         rsp_from_cfa; // valid when machframe
	uint8_t         chain_depth;  // chained UNWIND_INFO records followed
	dw_unwind_saved saved[DW_UNWIND_MAX_SAVED];
	size_t          nsaved;
} dw_unwind_rule;

// Flags for dw_pe_unwind_rule.
#define DW_PE_RULE_BODY 0x1 // as if past the prolog: every code applies

// dw_pe_open reads the PE in `data` (borrowed: it must outlive the dw_pe) laid
// out as `layout`. On success *out owns everything it returns; notes about
// skipped optional parts are in dw_pe_notes(). Fails with DW_ECORRUPT or
// DW_ETRUNC (noted in `notes` when non-NULL) when the DOS/NT headers or the
// section table are unreadable, DW_ENOMEM when memory runs out. Thread-safe on
// distinct objects; a finished dw_pe may be read by many threads at once.
dw_err dw_pe_open(dw_pe **out, const uint8_t *data, size_t len, dw_pe_layout layout,
                  dw_notes *notes);

// dw_pe_free releases the object and everything borrowed from it. NULL is fine.
void dw_pe_free(dw_pe *pe);

// dw_pe_notes returns the object's notes (problems in optional parts).
const dw_notes *dw_pe_notes(const dw_pe *pe);

// Accessors: borrowed, valid until dw_pe_free. Arrays set *n (0 when absent).
const dw_pe_headers     *dw_pe_get_headers(const dw_pe *pe);
const dw_pe_section     *dw_pe_get_sections(const dw_pe *pe, size_t *n);
const dw_pe_export      *dw_pe_get_exports(const dw_pe *pe, size_t *n);
// The export directory's DLL name, or NULL.
const char              *dw_pe_get_export_name(const dw_pe *pe);
const dw_pe_debug_entry *dw_pe_get_debug_entries(const dw_pe *pe, size_t *n);
// The first CodeView record, or NULL when the image names no PDB.
const dw_pe_codeview    *dw_pe_get_codeview(const dw_pe *pe);
// The version resource, or NULL when there is none (or it is unreadable).
const dw_pe_version     *dw_pe_get_version(const dw_pe *pe);
// dw_pe_version_find returns the value of string `key` (ASCII, case-sensitive,
// "CompanyName") in the version table, or NULL.
const char *dw_pe_version_find(const dw_pe *pe, const char *key);
// Every RUNTIME_FUNCTION of .pdata, sorted by begin (x64 images only).
const dw_pe_function *dw_pe_get_functions(const dw_pe *pe, size_t *n);

// dw_pe_code_id writes the symbol-server code id, TimeDateStamp as %08X and
// SizeOfImage as %x ("5C9E09599000"), into out (at least 17 bytes).
void dw_pe_code_id(const dw_pe *pe, char out[17]);

// dw_pe_function_find returns the RUNTIME_FUNCTION containing `rva`, or NULL.
const dw_pe_function *dw_pe_function_find(const dw_pe *pe, uint32_t rva);

// dw_pe_unwind_rule derives the unwind rule in effect at `rva` (x64): the
// function's unwind codes whose prolog offset is <= rva's offset from the
// function start apply (all of them with DW_PE_RULE_BODY), then every code of
// each chained UNWIND_INFO, followed at most DW_MAX_PE_UNWIND_CHAIN deep and
// never twice. Epilogs are not modeled: inside one the body rule is returned.
// DW_ENOTFOUND when no function covers rva; DW_ECORRUPT / DW_ELIMIT (noted
// nowhere: the object is immutable once open, so the caller decides) for
// unusable unwind data. Thread-safe.
dw_err dw_pe_unwind_rule(dw_unwind_rule *out, const dw_pe *pe, uint32_t rva, unsigned flags);

// dw_unwind_rule_derive is the derivation behind dw_pe_unwind_rule, shared
// with compiled symbol tables (which keep raw UNWIND_INFO bytes, not a PE):
// the rule at prolog offset `prolog_off` (UINT32_MAX: past the prolog) of
// the function [begin, end) whose UNWIND_INFO is `first`. Chained records
// come from `next` (the record `cur` chains to, or NULL when unreadable);
// a record may be reused by `next` once it returns. DW_ECORRUPT for a chain
// loop (by RVA) or an unreadable chained record, DW_ELIMIT past
// DW_MAX_PE_UNWIND_CHAIN records.
dw_err dw_unwind_rule_derive(dw_unwind_rule *out, const dw_pe_unwind_info *first,
                             const dw_pe_unwind_info *(*next)(const dw_pe_unwind_info *cur,
                                                              void *arg),
                             void *arg, uint32_t begin, uint32_t end, uint32_t prolog_off);

// dw_pe_read_rva copies len bytes at rva into dst; DW_ETRUNC when any of them
// lies outside the image data (in the file layout, outside section raw data).
dw_err dw_pe_read_rva(const dw_pe *pe, uint32_t rva, void *dst, size_t len);

#endif
