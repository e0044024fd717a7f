// symbols/symtab_int.h - the compiled symbol table's file format (version 1)
// and what symtab*.c share. Layout is our own; nothing here comes from
// another format.
//
// All integers are little-endian, read byte by byte (no struct overlays, no
// alignment assumed, though sections start on 8-byte boundaries).
//
//   header (64 bytes)
//     0  magic       "DWSYMTAB"
//     8  checksum    u64: dw_symtab__hash over bytes [16, file_size)
//     16 version     u32 = 1
//     20 header_size u32 = 64
//     24 file_size   u64 (a multiple of 8; must equal the bytes given)
//     32 cpu         u32 (dw_symtab_cpu)
//     36 nsections   u32 (<= DW_MAX_SYMTAB_SECTIONS)
//     40 os, debug_file, debug_id, code_file, code_id: u32 string offsets
//     60 reserved    u32 = 0
//   section directory: nsections x 24 bytes
//     id u32, elem_size u32, offset u64, count u64
//   sections, each at an 8-aligned offset, zero padding between.
//
// Every section of version 1 must appear exactly once with the element size
// below (count may be 0); unknown ids are refused (a new section means a new
// version). "str" is an offset into STRINGS, whose last byte is NUL and whose
// byte 0 is NUL (offset 0 is ""). NONE (0xffffffff) marks an absent index.
//
//   STRINGS       1   NUL-terminated strings, deduplicated
//   FUNC_ADDR     4   rva, strictly increasing
//   FUNCS        32   size, name str, param_size, flags (1 = multiple),
//                     line_first, line_count, inline_first, inline_count
//                     (functions never overlap)
//   PUB_ADDR      4   rva, non-decreasing
//   PUBS         12   name str, param_size, flags
//   FILES         8   id (strictly increasing), name str
//   LINE_ADDR     4   rva; non-decreasing and inside its function
//   LINES        12   size, line, file index (into FILES, or NONE)
//   INLINES      24   depth, call_line, call file index or NONE, name str,
//                     range_first, range_count (>= 1)
//   INLINE_RANGES 8   rva, size
//   WINS         44   type, rva, code_size, prolog, epilog, param, saved regs,
//                     locals, max stack, flags (1 = has program,
//                     2 = allocates base pointer), program str
//   WIN_SEGDIR    8   first, count into WIN_SEGS, one entry per type 0..4
//   WIN_SEGS      8   start, record (or NONE): see "segment index" below
//   CFIS         16   rva, size, row_first, row_count (>= 1; row 0 is INIT)
//   CFI_ROWS     12   rva, rule_first, rule_count (<= DW_MAX_CFI_RULES)
//   CFI_RULES     8   reg str, expr str
//   CFI_SEGS      8   segment index over CFIS
//   X64_FUNCS    16   begin, end, unwind_rva (sorted by begin), info index
//                     (into X64_INFOS, whose rva is unwind_rva) or NONE
//   X64_SEGS      8   segment index over X64_FUNCS
//   X64_INFOS    12   rva (strictly increasing), offset, len into X64_BLOB
//   X64_BLOB      1   UNWIND_INFO bytes as the image holds them
//
// Segment index: ranges that may nest or overlap (STACK WIN, CFI, x64) are
// flattened at build time into consecutive segments [start_i, start_i+1), each
// naming the record in force there (the last-started range holding it) or
// NONE for a gap, so a lookup is one binary search over `start`. A lookup
// still checks that the named record holds the address.
//
// Checksum: see dw_symtab__hash in symtab.c.
#ifndef DW_SYMBOLS_SYMTAB_INT_H
#define DW_SYMBOLS_SYMTAB_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/mapfile.h"
#include "common/ref.h"
#include "symbols/symtab.h"

#define DW_SYMTAB_MAGIC       "DWSYMTAB"
#define DW_SYMTAB_VERSION     1
#define DW_SYMTAB_HEADER_SIZE 64
#define DW_SYMTAB_DIRENT_SIZE 24
#define DW_SYMTAB_NONE        0xffffffffu

enum dw_symtab_sec {
	DW_SEC_STRINGS = 1,
	DW_SEC_FUNC_ADDR,
	DW_SEC_FUNCS,
	DW_SEC_PUB_ADDR,
	DW_SEC_PUBS,
	DW_SEC_FILES,
	DW_SEC_LINE_ADDR,
	DW_SEC_LINES,
	DW_SEC_INLINES,
	DW_SEC_INLINE_RANGES,
	DW_SEC_WINS,
	DW_SEC_WIN_SEGDIR,
	DW_SEC_WIN_SEGS,
	DW_SEC_CFIS,
	DW_SEC_CFI_ROWS,
	DW_SEC_CFI_RULES,
	DW_SEC_CFI_SEGS,
	DW_SEC_X64_FUNCS,
	DW_SEC_X64_SEGS,
	DW_SEC_X64_INFOS,
	DW_SEC_X64_BLOB,
	DW_SEC_COUNT, // one past the last id
};

// Element sizes, indexed by section id.
extern const uint32_t dw_symtab__elem_size[DW_SEC_COUNT];

#define DW_SYMTAB_FUNC_FLAG_MULTIPLE 1u
#define DW_SYMTAB_WIN_FLAG_PROGRAM   1u
#define DW_SYMTAB_WIN_FLAG_ALLOC_BP  2u

typedef struct dw_symtab_sec_view {
	const uint8_t *p; // first byte
	uint32_t       n; // element count
} dw_symtab_sec_view;

struct dw_symtab {
	dw_ref             ref;
	uint8_t           *owned; // malloc'd bytes, or NULL when mapped
	dw_mapfile         map;
	const uint8_t     *base;
	size_t             len;
	dw_symtab_sec_view sec[DW_SEC_COUNT];
	uint32_t           cpu;
	uint32_t           ident[5]; // os, debug_file, debug_id, code_file, code_id
	uint32_t           win_first[DW_SYMTAB_WIN_TYPES], win_count[DW_SYMTAB_WIN_TYPES];
};

// dw_symtab__hash: the table checksum (see symtab.c for why this one).
uint64_t dw_symtab__hash(const uint8_t *p, size_t len);

// dw_symtab__load validates `len` bytes at `base` and makes *out a table
// viewing them; it takes ownership of `owned` (freed on failure too) or of
// `map` (closed on failure), whichever is given.
dw_err dw_symtab__load(dw_symtab **out, uint8_t *owned, dw_mapfile *map, const uint8_t *base,
                       size_t len, dw_notes *notes);

static inline const char *
dw_symtab__str(const dw_symtab *t, uint32_t off)
{
	return (const char *)t->sec[DW_SEC_STRINGS].p + off;
}

#endif
