// symbols/symtab.h - compiled symbol tables: one immutable, checksummed,
// memory-mappable file per module identity (debug file + debug id), built
// from any reader (PDB, PE, Breakpad .sym) through a builder and read by the
// unwinder and symbolizer through lookups.
//
// Life cycle:
//   dw_symtab_builder_new -> set_module, add_* ... -> dw_symtab_builder_finish
//   -> a dw_symtab (owning its bytes) -> dw_symtab_write_file / dw_symtab_bytes
//   dw_symtab_open_file / dw_symtab_open_buffer -> a dw_symtab checked end to end
//
// A dw_symtab is immutable and refcounted (dw_symtab_hold / dw_symtab_release);
// any number of threads may look up in it at once without locking. Every
// pointer a lookup returns is borrowed from the table and lives as long as the
// caller's reference.
//
// Addresses are module-relative (RVAs) and 32-bit: Windows images are at most
// 4 GiB. Sizes are 32-bit as well; a range never extends past 2^32.
//
// The on-disk format (version 1) is described in symbols/symtab_int.h.
#ifndef DW_SYMBOLS_SYMTAB_H
#define DW_SYMBOLS_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "common/limits.h"

typedef struct dw_symtab         dw_symtab;
typedef struct dw_symtab_builder dw_symtab_builder;

typedef enum dw_symtab_cpu {
	DW_SYMTAB_CPU_UNKNOWN = 0,
	DW_SYMTAB_CPU_X86     = 1, // Breakpad "x86"
	DW_SYMTAB_CPU_AMD64   = 2, // Breakpad "x86_64"
} dw_symtab_cpu;

// Module identity. In a table every string is non-NULL ("" when unknown).
typedef struct dw_symtab_module {
	const char   *os;         // "windows" (Breakpad's MODULE <os>)
	const char   *debug_file; // "crash.pdb"
	const char   *debug_id;   // GUID + age in hex, 33 digits for a PDB
	const char   *code_file;  // "crash.exe"
	const char   *code_id;    // TimeDateStamp %08X + SizeOfImage %x
	dw_symtab_cpu cpu;
} dw_symtab_module;

// STACK WIN types (Windows' StackFrameTypeEnum); types 1-3 are stored as given.
#define DW_SYMTAB_WIN_FPO        0
#define DW_SYMTAB_WIN_FRAME_DATA 4
#define DW_SYMTAB_WIN_TYPES      5

// One x86 STACK WIN record (FPO_DATA or FRAMEDATA as dump_syms writes them).
typedef struct dw_symtab_win {
	uint32_t    type; // 0..4
	uint32_t    rva;
	uint32_t    code_size;
	uint32_t    prolog_size;
	uint32_t    epilog_size;
	uint32_t    param_size;
	uint32_t    saved_regs_size;
	uint32_t    locals_size;
	uint32_t    max_stack_size;
	bool        has_program;
	bool        allocates_base_pointer; // meaningful when !has_program
	const char *program;                // postfix program, or NULL when !has_program
} dw_symtab_win;

// One `<register>: <expression>` pair of a STACK CFI record (".cfa", ".ra",
// "$rbx"; "$rsp 16 +").
typedef struct dw_symtab_cfi_rule {
	const char *reg;
	const char *expr;
} dw_symtab_cfi_rule;

// An address range of an inline frame.
typedef struct dw_symtab_range {
	uint32_t rva;
	uint32_t size;
} dw_symtab_range;

// What a builder did with its input (counts of records kept and dropped).
typedef struct dw_symtab_stats {
	size_t funcs, publics, files, lines, inlines, inline_ranges;
	size_t wins, cfis, cfi_rows, cfi_rules, x64_funcs, x64_infos;
	size_t strings_bytes; // string pool, after deduplication
	// Dropped at finish (each also noted once in the builder's notes):
	size_t dup_funcs;       // same start as a kept function (kept one gets `multiple`)
	size_t overlap_funcs;   // start inside the kept function before it
	size_t orphan_lines;    // outside every kept function
	size_t orphan_inlines;  // first range outside every kept function
	size_t bad_line_files;  // line or inline naming an undefined FILE id
} dw_symtab_stats;

// ---- Builder -------------------------------------------------------------
//
// A builder gathers records in any order and is used by one thread. Every
// string is copied (the caller's strings are borrowed only for the call) and
// deduplicated. Adders return DW_EINVAL for an argument that cannot be stored
// (a range past 2^32, a NULL name, a delta with no INIT before it), DW_ELIMIT
// past DW_MAX_SYMTAB_RECORDS records of a kind, DW_ENOMEM; the builder stays
// usable after any of them and the record is simply not added.

// dw_symtab_builder_new makes an empty builder; *out is owned by the caller
// (free with dw_symtab_builder_free). DW_ENOMEM.
dw_err dw_symtab_builder_new(dw_symtab_builder **out);
// dw_symtab_builder_free releases the builder; NULL is fine.
void dw_symtab_builder_free(dw_symtab_builder *b);
// dw_symtab_builder_notes: what finish dropped and why (borrowed).
const dw_notes *dw_symtab_builder_notes(const dw_symtab_builder *b);

// dw_symtab_builder_set_module sets the identity (NULL strings become "").
dw_err dw_symtab_builder_set_module(dw_symtab_builder *b, const dw_symtab_module *m);

// dw_symtab_builder_add_func adds FUNC [m] rva size param_size name.
// Functions must not overlap: at finish, one starting where a kept one starts
// is dropped and the kept one marked `multiple` (identical-code folding); one
// starting inside a kept one is dropped (the lower start wins, as in the .sym
// reader). Both are counted in the stats.
dw_err dw_symtab_builder_add_func(dw_symtab_builder *b, uint32_t rva, uint32_t size,
                                  uint32_t param_size, const char *name, bool multiple);
// dw_symtab_builder_add_public adds PUBLIC [m] rva param_size name. Several
// publics may share an address; all are kept, in the order added.
dw_err dw_symtab_builder_add_public(dw_symtab_builder *b, uint32_t rva, uint32_t param_size,
                                    const char *name, bool multiple);
// dw_symtab_builder_add_file adds FILE id name; a later duplicate id is
// dropped at finish (noted).
dw_err dw_symtab_builder_add_file(dw_symtab_builder *b, uint32_t id, const char *name);
// dw_symtab_builder_add_line adds a line record; it belongs to the function
// whose range holds rva (lines outside every function are dropped at finish).
// file_id names a FILE added before or after.
dw_err dw_symtab_builder_add_line(dw_symtab_builder *b, uint32_t rva, uint32_t size,
                                  uint32_t line, uint32_t file_id);
// dw_symtab_builder_add_inline adds an inline frame: `depth` (0 = inlined
// directly into the function), where it was called from (call_file_id,
// call_line), the inlined function's name, and its ranges (nranges >= 1). It
// belongs to the function holding its first range.
dw_err dw_symtab_builder_add_inline(dw_symtab_builder *b, uint32_t depth, uint32_t call_file_id,
                                    uint32_t call_line, const char *origin,
                                    const dw_symtab_range *ranges, size_t nranges);

// dw_symtab_builder_add_x64 adds a RUNTIME_FUNCTION [begin, end) whose
// UNWIND_INFO lies at unwind_rva, and, when info != NULL, that UNWIND_INFO's
// bytes exactly as in the image (header, codes with their padding slot, and the
// handler RVA or chained RUNTIME_FUNCTION that follows). Infos shared by many
// functions are stored once; giving different bytes for the same unwind_rva is
// DW_EINVAL. A chained UNWIND_INFO reached only through a chain is added with
// dw_symtab_builder_add_x64_info, so the unwinder finds it by its RVA.
dw_err dw_symtab_builder_add_x64(dw_symtab_builder *b, uint32_t begin, uint32_t end,
                                 uint32_t unwind_rva, const uint8_t *info, size_t len);
dw_err dw_symtab_builder_add_x64_info(dw_symtab_builder *b, uint32_t unwind_rva,
                                      const uint8_t *info, size_t len);

// dw_symtab_builder_add_win adds a STACK WIN record (program copied).
dw_err dw_symtab_builder_add_win(dw_symtab_builder *b, const dw_symtab_win *w);

// dw_symtab_builder_add_cfi adds STACK CFI INIT rva size with its rules (at
// most DW_MAX_CFI_RULES); dw_symtab_builder_add_cfi_delta adds a STACK CFI
// row to the INIT added last, at an rva inside its range.
dw_err dw_symtab_builder_add_cfi(dw_symtab_builder *b, uint32_t rva, uint32_t size,
                                 const dw_symtab_cfi_rule *rules, size_t nrules);
dw_err dw_symtab_builder_add_cfi_delta(dw_symtab_builder *b, uint32_t rva,
                                       const dw_symtab_cfi_rule *rules, size_t nrules);

// dw_symtab_builder_finish sorts and resolves everything added, writes the
// table into memory and opens it; *out owns the bytes (release with
// dw_symtab_release). `stats` (may be NULL) receives what was kept and dropped.
// The builder can only be freed afterwards. DW_ENOMEM, DW_ELIMIT past
// DW_MAX_SYMTAB_BYTES.
dw_err dw_symtab_builder_finish(dw_symtab **out, dw_symtab_builder *b, dw_symtab_stats *stats);

// dw_symtab_builder_add_sym feeds a parsed Breakpad .sym (symbols/breakpad_sym.h)
// into a builder: MODULE, INFO CODE_ID, FILE, FUNC, lines, INLINE, PUBLIC,
// STACK WIN, STACK CFI. Records whose addresses do not fit 32 bits are skipped
// and counted in *skipped (may be NULL). Errors as the adders'.
struct dw_sym;
dw_err dw_symtab_builder_add_sym(dw_symtab_builder *b, const struct dw_sym *s, size_t *skipped);

// ---- Tables --------------------------------------------------------------

// dw_symtab_open_buffer validates `len` bytes at `data` as a table and copies
// them: *out owns its copy. dw_symtab_open_file maps `path` read-only instead
// (the file must not change while mapped: caches publish tables by rename(2)).
// Both check magic, version, sizes, checksum, every section's bounds and every
// record's offsets, indices and order, and fail with a note in `notes` (may be
// NULL): DW_ETRUNC for a short table, DW_ECORRUPT for a checksum or structure
// failure, DW_EUNSUPPORTED for another version, DW_ELIMIT past
// DW_MAX_SYMTAB_BYTES, DW_EIO, DW_ENOMEM. Thread-safe.
dw_err dw_symtab_open_buffer(dw_symtab **out, const void *data, size_t len, dw_notes *notes);
dw_err dw_symtab_open_file(dw_symtab **out, const char *path, dw_notes *notes);

// dw_symtab_hold adds a reference (the caller must hold one) and returns t.
dw_symtab *dw_symtab_hold(dw_symtab *t);
// dw_symtab_release drops a reference; the last one frees the table. NULL is fine.
void dw_symtab_release(dw_symtab *t);

// dw_symtab_bytes returns the table's serialized bytes (borrowed).
const uint8_t *dw_symtab_bytes(const dw_symtab *t, size_t *len);
// dw_symtab_write_file writes the bytes to `path` through a temporary file in
// the same directory and rename(2), so readers never map a partial table.
// DW_EIO (noted in `notes`, may be NULL).
dw_err dw_symtab_write_file(const dw_symtab *t, const char *path, dw_notes *notes);

// dw_symtab_get_module fills *out with the identity (borrowed strings).
void dw_symtab_get_module(const dw_symtab *t, dw_symtab_module *out);
// dw_symtab_get_stats fills the record counts (the dropped counts are 0).
void dw_symtab_get_stats(const dw_symtab *t, dw_symtab_stats *out);

// What an address resolves to.
typedef struct dw_symtab_loc {
	const char *name;       // function or public name; NULL when neither
	uint32_t    start;      // its rva
	uint32_t    size;       // function size; 0 for a public
	uint32_t    offset;     // rva - start
	uint32_t    param_size;
	bool        is_public;  // no function covers rva: nearest public
	bool        multiple;
	const char *file;       // source file of the line holding rva, or NULL
	uint32_t    line;       // 0 when no line record holds rva
	uint32_t    line_start; // rva of that line record
	size_t      ninlines;   // inline frames at rva (dw_symtab_find_inlines)
} dw_symtab_loc;

// dw_symtab_find resolves rva: the function whose [start, start+size) holds
// it, else the public with the greatest address <= rva provided no function
// starts between that public and rva (Breakpad's rule: a function that ended
// before rva hides older publics). Line and inline count only for functions.
// DW_ENOTFOUND (out zeroed) when neither exists.
dw_err dw_symtab_find(const dw_symtab *t, uint32_t rva, dw_symtab_loc *out);

// An inline frame at an address, outermost (depth 0) first.
typedef struct dw_symtab_inline {
	uint32_t    depth;
	const char *name;      // inlined function
	const char *call_file; // where the frame above called it; NULL if unknown
	uint32_t    call_line;
	uint32_t    start;     // start of the range holding the address
} dw_symtab_inline;

// dw_symtab_find_inlines writes up to `cap` inline frames at rva into out,
// sorted by depth, and sets *n to how many there are in all (may exceed cap).
// DW_ENOTFOUND when no function holds rva.
dw_err dw_symtab_find_inlines(const dw_symtab *t, uint32_t rva, dw_symtab_inline *out,
                              size_t cap, size_t *n);

// x64 unwind data at an address.
typedef struct dw_symtab_x64 {
	uint32_t       begin, end, unwind_rva; // the RUNTIME_FUNCTION
	const uint8_t *info;                   // its UNWIND_INFO bytes; NULL if not stored
	size_t         info_len;
} dw_symtab_x64;

// dw_symtab_x64_find returns the RUNTIME_FUNCTION whose [begin, end) holds rva
// (the one that started last if crafted data overlaps). DW_ENOTFOUND.
// The bytes are as the builder received them: the unwinder still reads them
// through dw_cur.
dw_err dw_symtab_x64_find(const dw_symtab *t, uint32_t rva, dw_symtab_x64 *out);
// dw_symtab_x64_info returns the UNWIND_INFO stored for unwind_rva (to follow
// a chain). DW_ENOTFOUND.
dw_err dw_symtab_x64_info(const dw_symtab *t, uint32_t unwind_rva, const uint8_t **out,
                          size_t *len);

// dw_symtab_win_find returns the STACK WIN record of `type` whose range holds
// rva: the innermost when ranges nest, the one that started last when they
// overlap otherwise (Breakpad's ContainedRangeMap). DW_ENOTFOUND.
dw_err dw_symtab_win_find(const dw_symtab *t, uint32_t type, uint32_t rva, dw_symtab_win *out);

// The CFI rule set in effect at an address.
typedef struct dw_symtab_cfi {
	uint32_t           init_rva, init_size; // the STACK CFI INIT record
	size_t             nrules;
	dw_symtab_cfi_rule rules[DW_MAX_CFI_RULES]; // in first-set order
} dw_symtab_cfi;

// dw_symtab_cfi_find computes the effective rules at rva: the INIT record's,
// then each delta at or before rva in order, a later rule for a register
// replacing the earlier one. DW_ENOTFOUND; DW_ELIMIT when a crafted table
// names more than DW_MAX_CFI_RULES registers.
dw_err dw_symtab_cfi_find(const dw_symtab *t, uint32_t rva, dw_symtab_cfi *out);

// dw_symtab_write_breakpad prints the table as Breakpad .sym text: MODULE,
// INFO CODE_ID, FILE, INLINE_ORIGIN, FUNC with INLINE and line records,
// PUBLIC, STACK WIN, STACK CFI, and for each x64 RUNTIME_FUNCTION a STACK CFI
// INIT record with its body rule (dw_symtab_x64_rule, symbols/symtab_from.h),
// as dump_syms writes them. DW_EIO when a write fails.
dw_err dw_symtab_write_breakpad(const dw_symtab *t, FILE *f);

#endif
