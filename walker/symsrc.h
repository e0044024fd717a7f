// walker/symsrc.h - the symbol provider interface the stack walker asks for
// "function, line and unwind rule at module+offset" (rust-minidump's
// SymbolProvider). walker/ never links symbols/: symbols/ implements this ops
// table over its compiled tables (symbols/symtab.h), the daemon wires it, and
// tests pass in a fake.
//
// Each lookup maps one to one onto a dw_symtab lookup: find <-> dw_symtab_find,
// find_inlines <-> dw_symtab_find_inlines, x64_find/x64_info <->
// dw_symtab_x64_find/_x64_info, win_find <-> dw_symtab_win_find, cfi_find <->
// dw_symtab_cfi_find. The structures below mirror symtab's field for field so
// an adapter is a copy; they are declared here so walker does not include
// symbols/ headers. read_code has no symtab counterpart: it reads the module's
// image (PE from the symbol store) so call-site validation works when the dump
// holds no code bytes.
//
// Addresses given to lookups are RVAs (module-relative, 32-bit). Every pointer
// a provider returns is borrowed: it must stay valid until the walker calls
// `close` for that module handle (dw_walk_free does, for every handle opened).
// Any op may be NULL: the walker treats it as DW_ENOTFOUND everywhere.
//
// Threading: one walk calls a provider from one thread; a provider shared by
// walks on several threads must be safe for that (symtab lookups are).
#ifndef DW_WALKER_SYMSRC_H
#define DW_WALKER_SYMSRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/limits.h"
#include "walker/dump.h"

// What identifies a module to the provider: from the dump's module list.
typedef struct dw_symsrc_module {
	uint64_t    base;
	uint32_t    size;
	const char *name;       // full path as the dump gives it ("C:\\...\\crash.exe")
	const char *debug_file; // PDB name from the CodeView record, or "" (Wine writes none)
	const char *debug_id;   // Breakpad form (GUID+age hex), or ""
	const char *code_id;    // TIMESTAMP%08X + SizeOfImage%x, or ""
	dw_cpu      cpu;        // DW_CPU_X86 or DW_CPU_AMD64: the code the module holds
} dw_symsrc_module;

// Function and line at an RVA (mirrors dw_symtab_loc).
typedef struct dw_symsrc_loc {
	const char *name;       // function or public name; NULL when neither
	uint32_t    start;      // its RVA
	uint32_t    size;       // function size; 0 for a public
	uint32_t    offset;     // rva - start
	uint32_t    param_size; // bytes of stack parameters (x86 stdcall), 0 if unknown
	bool        is_public;
	bool        multiple;
	const char *file; // NULL when no line record holds rva
	uint32_t    line; // 0 when unknown
	uint32_t    line_start;
	size_t      ninlines;
} dw_symsrc_loc;

// One inline frame (mirrors dw_symtab_inline), outermost (depth 0) first.
typedef struct dw_symsrc_inline {
	uint32_t    depth;
	const char *name;
	const char *call_file;
	uint32_t    call_line;
	uint32_t    start;
} dw_symsrc_inline;

// x64 RUNTIME_FUNCTION and its UNWIND_INFO bytes exactly as in the image
// (mirrors dw_symtab_x64). The walker parses the bytes through dw_cur.
typedef struct dw_symsrc_x64 {
	uint32_t       begin, end, unwind_rva;
	const uint8_t *info; // NULL when not stored
	size_t         info_len;
} dw_symsrc_x64;

// STACK WIN types.
#define DW_SYMSRC_WIN_FPO 0
#define DW_SYMSRC_WIN_FRAME_DATA 4

// One x86 STACK WIN record (mirrors dw_symtab_win).
typedef struct dw_symsrc_win {
	uint32_t    type;
	uint32_t    rva;
	uint32_t    code_size;
	uint32_t    prolog_size;
	uint32_t    epilog_size;
	uint32_t    param_size;
	uint32_t    saved_regs_size;
	uint32_t    locals_size;
	uint32_t    max_stack_size;
	bool        has_program;
	bool        allocates_base_pointer;
	const char *program; // postfix program, NULL when !has_program
} dw_symsrc_win;

// One STACK CFI rule ("$rbx" -> ".cfa -16 + ^"), and the effective set at an
// RVA (mirrors dw_symtab_cfi_rule / dw_symtab_cfi).
typedef struct dw_symsrc_cfi_rule {
	const char *reg;
	const char *expr;
} dw_symsrc_cfi_rule;

// Rules in one effective set: the same bound as symtab's DW_MAX_CFI_RULES
// (x86-64 has 16 integer and 16 XMM registers, plus .cfa and .ra).
#define DW_SYMSRC_MAX_CFI_RULES 64

typedef struct dw_symsrc_cfi {
	uint32_t           init_rva, init_size;
	size_t             nrules;
	dw_symsrc_cfi_rule rules[DW_SYMSRC_MAX_CFI_RULES];
} dw_symsrc_cfi;

// The provider. `arg` is the provider's own state; `mod` is the handle `open`
// returned for a module. Lookups return DW_OK, DW_ENOTFOUND for a miss, or
// another dw_err when the data is unusable (the walker then degrades).
typedef struct dw_symsrc_ops {
	// open finds symbols for a module: *out receives a handle (NULL with
	// DW_ENOTFOUND when the provider knows nothing of it). Called at most once
	// per module and walk result.
	dw_err (*open)(void **out, const dw_symsrc_module *m, void *arg);
	// close releases a handle `open` gave (called by dw_walk_free).
	void (*close)(void *mod, void *arg);

	dw_err (*find)(dw_symsrc_loc *out, void *mod, uint32_t rva, void *arg);
	// find_inlines writes up to cap frames and the total in *n.
	dw_err (*find_inlines)(dw_symsrc_inline *out, size_t cap, size_t *n, void *mod, uint32_t rva,
	                       void *arg);
	// x64_find: DW_ENOTFOUND means the module has x64 unwind data but none
	// covers rva (so the function is a leaf: return address at [RSP]);
	// DW_EUNSUPPORTED means the provider has no x64 unwind data for the module
	// at all (the walker then tries the image in dump memory, CFI, scanning).
	dw_err (*x64_find)(dw_symsrc_x64 *out, void *mod, uint32_t rva, void *arg);
	// x64_info returns the UNWIND_INFO stored at unwind_rva (chain targets).
	dw_err (*x64_info)(const uint8_t **out, size_t *len, void *mod, uint32_t unwind_rva, void *arg);
	dw_err (*win_find)(dw_symsrc_win *out, void *mod, uint32_t type, uint32_t rva, void *arg);
	dw_err (*cfi_find)(dw_symsrc_cfi *out, void *mod, uint32_t rva, void *arg);
	// read_code copies up to len bytes of the module image at rva into dst and
	// sets *got to the number copied (from rva on, contiguous).
	dw_err (*read_code)(uint8_t *dst, size_t len, size_t *got, void *mod, uint32_t rva, void *arg);
} dw_symsrc_ops;

// A provider: ops and their state. A NULL ops pointer is the empty provider.
typedef struct dw_symsrc {
	const dw_symsrc_ops *ops;
	void                *arg;
} dw_symsrc;

#endif
