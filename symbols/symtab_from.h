// symbols/symtab_from.h - feeding Microsoft debug files into a symbol-table
// builder (symbols/symtab.h), and the x64 unwind rule read back out of a
// compiled table.
//
//   PDB alone        functions, publics, files, lines, inline sites, x86 FPO
//                    and frame data (STACK WIN 0 / 4), x64 RUNTIME_FUNCTIONs
//                    from the PDB's Pdata/Xdata copies
//   PDB + PE         the same, with x64 unwind data from the image itself and
//                    the code id / code file from its headers
//   PE alone         exports as publics, x64 unwind data, identity from the
//                    CodeView record
//
// Every adder reads through the readers' own bounds-checked APIs; what they
// skip is noted in `notes` (may be NULL). They return DW_OK unless memory runs
// out or the builder refuses everything (a per-record refusal is counted and
// the feed goes on).
#ifndef DW_SYMBOLS_SYMTAB_FROM_H
#define DW_SYMBOLS_SYMTAB_FROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "symbols/pdb.h"
#include "symbols/pe.h"
#include "symbols/symtab.h"

// What dw_symtab_add_pdb / _add_pe put in (counts before the builder's own
// resolution at finish).
typedef struct dw_symtab_feed {
	size_t funcs, icf_folded, publics, lines, inlines, wins, x64_funcs;
	size_t unmapped; // records whose address did not convert (no section, OMAP hole)
	size_t refused;  // records the builder refused
} dw_symtab_feed;

// dw_symtab_add_pdb feeds a PDB, and when `pe` is not NULL (the image the PDB
// describes), the image's identity and x64 unwind data. Sets the module
// identity: debug_file is `debug_file` when given (else the PE's CodeView PDB
// name, else "unknown.pdb"), debug_id the PDB's, code_file `code_file` (may be
// NULL) and the code id the PE's.
//
// Identical-code folding: the linker may give several procedures one address.
// dump_syms keeps one name and marks the FUNC `m`; so do we, keeping the
// procedure that sorts first by (address, name byte order), which does not
// depend on module order. `feed` (may be NULL) receives the counts.
dw_err dw_symtab_add_pdb(dw_symtab_builder *b, dw_pdb *pdb, const dw_pe *pe,
                         const char *debug_file, const char *code_file, dw_symtab_feed *feed,
                         dw_notes *notes);

// dw_symtab_add_pe feeds a PE alone: identity from its CodeView record (or the
// export name when it has none), exports (not forwarders) as publics with
// undecorated names, one per address (`m` when several share it), and its x64
// unwind data. `code_file` names the image ("crash.exe"; NULL: from exports).
dw_err dw_symtab_add_pe(dw_symtab_builder *b, const dw_pe *pe, const char *code_file,
                        dw_symtab_feed *feed, dw_notes *notes);

// dw_symtab_add_pe_x64 adds only the PE's RUNTIME_FUNCTIONs with their exact
// UNWIND_INFO bytes, and every UNWIND_INFO reached through a chain.
dw_err dw_symtab_add_pe_x64(dw_symtab_builder *b, const dw_pe *pe, dw_symtab_feed *feed,
                            dw_notes *notes);

// dw_symtab_compile reads the given files and builds a table: any of a PDB,
// a PE, a Breakpad .sym (NULL for the ones not given; a .sym is used alone).
// *out is owned by the caller (dw_symtab_release). DW_EINVAL when nothing is
// given, the readers' errors for an unreadable file (noted), DW_ENOMEM.
dw_err dw_symtab_compile(dw_symtab **out, const char *pdb_path, const char *pe_path,
                         const char *sym_path, dw_symtab_stats *stats, dw_notes *notes);

// dw_symtab_x64_rule derives the unwind rule at `rva` from a table's x64 data
// with the semantics of dw_pe_unwind_rule (symbols/pe.h): the codes of the
// RUNTIME_FUNCTION covering rva whose prolog offset is <= rva - begin (all of
// them with DW_PE_RULE_BODY), then each chained UNWIND_INFO whole, at most
// DW_MAX_PE_UNWIND_CHAIN deep and never twice. DW_ENOTFOUND when no function
// covers rva, DW_ECORRUPT / DW_ELIMIT for unusable data. Thread-safe.
dw_err dw_symtab_x64_rule(dw_unwind_rule *out, const dw_symtab *t, uint32_t rva, unsigned flags);

// dw_unwind_rule_format writes the rule as Breakpad STACK CFI rules
// (".cfa: $rsp 48 + .ra: .cfa 8 - ^ $rbx: .cfa 16 - ^"), the CFA through
// RSP as dump_syms writes it, into out (cap bytes, NUL-terminated, truncated
// like snprintf). Returns the length it needed.
size_t dw_unwind_rule_format(char *out, size_t cap, const dw_unwind_rule *r);

#endif
