// symbols/breakpad_sym.h - the Breakpad .sym text reader.
//
// Format reference: Breakpad's docs/symbol_files.md (MODULE, INFO, FILE,
// INLINE_ORIGIN, FUNC, line, INLINE, PUBLIC, STACK WIN, STACK CFI), checked
// against the corpus files made by Breakpad's and Mozilla's dump_syms.
// Addresses, sizes, parameter sizes and STACK WIN fields are hexadecimal
// without 0x; FILE and INLINE_ORIGIN ids, line numbers and INLINE depths are
// decimal (as Breakpad's writers and its resolver use them). Names run to the
// end of the line and may contain spaces. Lines end in LF or CRLF.
//
// A line that does not parse is skipped, counted in dw_sym_stats.bad_lines and
// noted (with its 1-based line number) in dw_sym_notes(); it never fails the
// parse. Everything is allocated from the dw_sym's arena: pointers returned by
// accessors are borrowed and live until dw_sym_free. A dw_sym is immutable
// after parsing and may be read from many threads at once.
#ifndef DW_SYMBOLS_BREAKPAD_SYM_H
#define DW_SYMBOLS_BREAKPAD_SYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct dw_sym dw_sym;

// MODULE <os> <arch> <debug id> <debug file>
typedef struct dw_sym_module {
	const char *os;   // "windows"; NULL when the file has no MODULE line
	const char *arch; // "x86", "x86_64"
	const char *id;   // debug id, 33 hex digits for a PDB (GUID + age)
	const char *name; // debug file name ("crash.pdb"), may contain spaces
} dw_sym_module;

// INFO <key> <value...>: CODE_ID <code id> [<code file>], GENERATOR <text>, ...
typedef struct dw_sym_info {
	const char *key;   // "CODE_ID", "GENERATOR", or any other word
	const char *value; // the rest of the line (may be empty, never NULL)
} dw_sym_info;

// FILE <id> <name>
typedef struct dw_sym_file {
	uint64_t    id;
	const char *name;
} dw_sym_file;

// INLINE_ORIGIN <id> <name>
typedef struct dw_sym_origin {
	uint64_t    id;
	const char *name;
} dw_sym_origin;

// <address> <size> <line> <file id>, following a FUNC.
typedef struct dw_sym_line {
	uint64_t addr;
	uint64_t size;
	uint32_t line;
	uint64_t file; // FILE id (look it up with dw_sym_file_find)
} dw_sym_line;

typedef struct dw_sym_range {
	uint64_t addr;
	uint64_t size;
} dw_sym_range;

// INLINE <depth> <call line> <call file id> <origin id> <addr> <size> [...],
// following a FUNC; depth, call line and ids are decimal, ranges hex.
typedef struct dw_sym_inline {
	uint32_t            depth;
	uint32_t            call_line;
	uint64_t            call_file;
	uint64_t            origin;
	const dw_sym_range *ranges;
	size_t              nranges;
} dw_sym_inline;

// FUNC [m] <address> <size> <parameter size> <name>
typedef struct dw_sym_func {
	uint64_t             addr;
	uint64_t             size;
	uint64_t             param_size;
	const char          *name;
	bool                 multiple; // the `m` flag: several names folded here
	uint32_t             text_line; // where it was in the file (1-based)
	const dw_sym_line   *lines;     // sorted by address
	size_t               nlines;
	const dw_sym_inline *inlines;   // in file order
	size_t               ninlines;
} dw_sym_func;

// PUBLIC [m] <address> <parameter size> <name>
typedef struct dw_sym_public {
	uint64_t    addr;
	uint64_t    param_size;
	const char *name;
	bool        multiple;
} dw_sym_public;

// STACK WIN <type> <rva> <code size> <prolog size> <epilog size>
//   <parameter size> <saved register size> <local size> <max stack size>
//   <has program string> <program string | allocates base pointer>
// Types (Windows' StackFrameTypeEnum): 0 = FPO, 4 = frame data; 1-3 (trap,
// TSS, standard) are kept as read; anything above 4 is a bad line.
typedef struct dw_sym_win {
	uint32_t    type;
	uint64_t    rva;
	uint64_t    code_size;
	uint32_t    prolog_size;
	uint32_t    epilog_size;
	uint32_t    param_size;
	uint32_t    saved_regs_size;
	uint32_t    locals_size;
	uint32_t    max_stack_size;
	bool        has_program;            // the flag field
	bool        allocates_base_pointer; // meaningful when !has_program
	const char *program;                // verbatim postfix program, or NULL
} dw_sym_win;

// One `<register>: <expression>` pair of a STACK CFI record. The register is
// ".cfa", ".ra" or a name such as "$rbx"; the expression is the postfix text
// verbatim ("$rsp 16 +"), spaces between its tokens preserved as written.
typedef struct dw_sym_cfi_rule {
	const char *reg;
	const char *expr;
} dw_sym_cfi_rule;

// STACK CFI <address> <rules>: a change that applies from addr on, within the
// STACK CFI INIT record before it.
typedef struct dw_sym_cfi_delta {
	uint64_t               addr;
	const dw_sym_cfi_rule *rules;
	size_t                 nrules;
} dw_sym_cfi_delta;

// STACK CFI INIT <address> <size> <rules>, with the deltas that followed it
// (sorted by address, stable).
typedef struct dw_sym_cfi {
	uint64_t                addr;
	uint64_t                size;
	const dw_sym_cfi_rule  *rules;
	size_t                  nrules;
	const dw_sym_cfi_delta *deltas;
	size_t                  ndeltas;
} dw_sym_cfi;

// Record counts as read (lines that parsed and were kept), and lines dropped.
typedef struct dw_sym_stats {
	size_t lines;      // text lines seen
	size_t modules;    // MODULE lines
	size_t infos;      // INFO lines
	size_t files;      // FILE
	size_t origins;    // INLINE_ORIGIN
	size_t funcs;      // FUNC (m or not)
	size_t line_recs;  // line records
	size_t inlines;    // INLINE
	size_t publics;    // PUBLIC
	size_t wins;       // STACK WIN
	size_t cfi_inits;  // STACK CFI INIT
	size_t cfi_deltas; // STACK CFI (deltas)
	size_t bad_lines;  // skipped: malformed, out of place, overlapping
	size_t blank;      // empty lines (not bad)
} dw_sym_stats;

// dw_sym_parse reads .sym text from [text, text+len); the bytes are borrowed
// only for the call (everything kept is copied into the result). On success
// *out owns the result (free with dw_sym_free); bad lines are skipped, counted
// and noted, never fatal. Fails only when memory (or the arena ceiling) runs
// out: DW_ENOMEM, *out NULL, with the reason in `notes` when non-NULL.
// Thread-safe for distinct outputs.
dw_err dw_sym_parse(dw_sym **out, const char *text, size_t len, dw_notes *notes);

// dw_sym_open_file maps `path` and parses it (the mapping is closed before
// returning). DW_EIO when the file cannot be read.
dw_err dw_sym_open_file(dw_sym **out, const char *path, dw_notes *notes);

// dw_sym_free releases the result and everything its accessors returned.
// NULL is allowed.
void dw_sym_free(dw_sym *s);

// Accessors: borrowed, valid until dw_sym_free. Arrays come with their count.
const dw_sym_module *dw_sym_get_module(const dw_sym *s);
const dw_sym_stats  *dw_sym_get_stats(const dw_sym *s);
const dw_notes      *dw_sym_notes(const dw_sym *s);
// INFO records in file order.
const dw_sym_info *dw_sym_get_infos(const dw_sym *s, size_t *n);
// FILE and INLINE_ORIGIN records sorted by id (a later duplicate id is bad).
const dw_sym_file   *dw_sym_get_files(const dw_sym *s, size_t *n);
const dw_sym_origin *dw_sym_get_origins(const dw_sym *s, size_t *n);
// FUNC records sorted by address; no two overlap (a later overlapping one is
// counted as a bad line and dropped).
const dw_sym_func *dw_sym_get_funcs(const dw_sym *s, size_t *n);
// PUBLIC records sorted by address (stable: same-address ones in file order).
const dw_sym_public *dw_sym_get_publics(const dw_sym *s, size_t *n);
// STACK WIN records sorted by (rva, file order); types mixed.
const dw_sym_win *dw_sym_get_wins(const dw_sym *s, size_t *n);
// STACK CFI INIT records sorted by address.
const dw_sym_cfi *dw_sym_get_cfis(const dw_sym *s, size_t *n);

// Lookups. Each returns the record, or NULL when nothing matches.
// dw_sym_file_find / dw_sym_origin_find: by id.
const dw_sym_file   *dw_sym_file_find(const dw_sym *s, uint64_t id);
const dw_sym_origin *dw_sym_origin_find(const dw_sym *s, uint64_t id);
// dw_sym_func_find: the FUNC whose [addr, addr+size) holds addr.
const dw_sym_func *dw_sym_func_find(const dw_sym *s, uint64_t addr);
// dw_sym_line_find: the line record of f holding addr.
const dw_sym_line *dw_sym_line_find(const dw_sym_func *f, uint64_t addr);
// dw_sym_public_find: the PUBLIC with the greatest address <= addr.
const dw_sym_public *dw_sym_public_find(const dw_sym *s, uint64_t addr);
// dw_sym_cfi_find: the STACK CFI INIT whose range holds addr.
const dw_sym_cfi *dw_sym_cfi_find(const dw_sym *s, uint64_t addr);
// dw_sym_win_find: the STACK WIN of `type` whose range holds rva (the last
// one in sorted order when several do).
const dw_sym_win *dw_sym_win_find(const dw_sym *s, uint32_t type, uint64_t rva);

#endif
