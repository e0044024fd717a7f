// symbols/pdb.h - the PDB reader: streams of a Microsoft program database.
//
// Layers, as in LLVM's reader (MSF -> PDB streams -> symbol records):
//   symbols/msf.h         the container (blocks, stream directory)
//   PDB info (stream 1)   version, signature, age, GUID, named-stream map
//   /names                the string table named streams and C13 data point into
//   DBI (stream 3)        modules, section contributions, section map, file
//                         info, optional debug header streams (section headers,
//                         FPO, frame data, OMAP, Pdata/Xdata)
//   publics               S_PUB32 records, via the publics hash stream
//   module streams        procedures, thunks, frame procs, blocks, inline
//                         sites, and C13 line information
//
// Format references: LLVM's PDB docs (llvm.org/docs/PDB/*), microsoft-pdb's
// cvinfo.h (symbol records, C13 subsections) and dbicommon.h / dbi.h (DBI
// layouts); each parser names the structure it reads.
//
// Opening reads the MSF directory and the PDB info stream (fatal when bad).
// Everything else is parsed on first use; a malformed optional stream is noted
// in dw_pdb_notes() and skipped. All results are allocated from the PDB's arena:
// pointers returned here are borrowed and live until dw_pdb_free. A dw_pdb is
// not thread-safe (layers are parsed lazily): use it from one thread at a time.
#ifndef DW_SYMBOLS_PDB_H
#define DW_SYMBOLS_PDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cur.h"
#include "common/err.h"
#include "symbols/msf.h"

typedef struct dw_pdb dw_pdb;

// Fixed stream numbers (LLVM PDB docs, "Stream indices").
#define DW_PDB_STREAM_INFO 1
#define DW_PDB_STREAM_TPI 2
#define DW_PDB_STREAM_DBI 3
#define DW_PDB_STREAM_IPI 4
// A 16-bit stream number meaning "none" in DBI and module records.
#define DW_PDB_NO_STREAM 0xFFFFu

// ---- Opening --------------------------------------------------------------

// dw_pdb_open_buffer reads the PDB in [data, data+len). The bytes are borrowed
// and must outlive the PDB. On success *out owns the result (dw_pdb_free).
// Fails (DW_ETRUNC, DW_ECORRUPT, DW_EUNSUPPORTED, DW_ELIMIT, DW_ENOMEM) only
// when the MSF directory or the PDB info stream is unusable; then *out is NULL
// and `notes` (when non-NULL) receives the reason.
dw_err dw_pdb_open_buffer(dw_pdb **out, const uint8_t *data, size_t len, dw_notes *notes);

// dw_pdb_open_file maps `path` and reads it; the PDB owns the mapping.
dw_err dw_pdb_open_file(dw_pdb **out, const char *path, dw_notes *notes);

// dw_pdb_free releases the PDB and everything its accessors returned.
void dw_pdb_free(dw_pdb *p);

// dw_pdb_notes returns every problem found so far (borrowed). Later accessor
// calls may add notes, since layers are read lazily.
const dw_notes *dw_pdb_notes(const dw_pdb *p);

// dw_pdb_get_msf returns the container, for raw stream access (borrowed).
dw_msf *dw_pdb_get_msf(dw_pdb *p);

// ---- PDB info stream (LLVM "The PDB Info Stream"; PDBStream70) -----------

typedef struct dw_pdb_info {
	uint32_t version;   // 20000404 (VC70) in every modern PDB
	uint32_t signature; // time stamp of the link
	uint32_t age;       // incremented by every write of the PDB
	uint8_t  guid[16];  // as stored (Data1..3 little-endian)
	uint32_t dbi_age;   // DBI header age, 0 when DBI is absent
	// Debug id as symbol servers and Breakpad spell it: GUID in its
	// canonical field order, upper-case hex, then the age in hex without
	// padding. Uses the DBI age when DBI exists (what the image's RSDS record
	// carries), else the info stream's age.
	char debug_id[41];
} dw_pdb_info;

// dw_pdb_get_info returns the info stream fields (read at open; borrowed).
const dw_pdb_info *dw_pdb_get_info(const dw_pdb *p);

// dw_pdb_find_stream looks `name` ("/names", "/LinkInfo", "/src/headerblock")
// up in the named-stream map. DW_ENOTFOUND when absent.
dw_err dw_pdb_find_stream(uint32_t *out, const dw_pdb *p, const char *name);

// dw_pdb_named_streams lists the named-stream map: *count entries of names and
// stream numbers (borrowed arrays, parallel).
void dw_pdb_named_streams(const char *const **names, const uint32_t **streams, size_t *count,
                          const dw_pdb *p);

// dw_pdb_string returns the string at `offset` of the /names string table
// (borrowed, NUL-terminated). DW_ENOTFOUND when the PDB has no /names or the
// offset is outside it.
dw_err dw_pdb_string(const char **out, dw_pdb *p, uint32_t offset);

// ---- DBI stream (LLVM "The DBI Stream"; microsoft-pdb dbi.h NewDBIHdr) ----

// Optional debug header slots (microsoft-pdb dbi.h DBGTYPE).
enum dw_pdb_dbg_stream {
	DW_PDB_DBG_FPO = 0,
	DW_PDB_DBG_EXCEPTION,
	DW_PDB_DBG_FIXUP,
	DW_PDB_DBG_OMAP_TO_SRC,
	DW_PDB_DBG_OMAP_FROM_SRC,
	DW_PDB_DBG_SECTION_HDR,
	DW_PDB_DBG_TOKEN_RID_MAP,
	DW_PDB_DBG_XDATA,
	DW_PDB_DBG_PDATA,
	DW_PDB_DBG_NEW_FPO,
	DW_PDB_DBG_SECTION_HDR_ORIG,
	DW_PDB_DBG_COUNT
};

typedef struct dw_pdb_contrib {
	uint16_t section; // 1-based
	uint16_t module;  // index into dw_pdb_dbi.modules
	uint32_t offset;
	uint32_t size;
	uint32_t characteristics;
} dw_pdb_contrib;

typedef struct dw_pdb_module {
	const char    *name;     // module (object or import library member) name
	const char    *obj_name; // object file or library
	uint16_t       sym_stream; // DW_PDB_NO_STREAM when none
	uint32_t       sym_bytes;  // symbol records, including the 4-byte signature
	uint32_t       c11_bytes;  // old line info (not read)
	uint32_t       c13_bytes;  // C13 debug subsections
	uint16_t       flags;
	dw_pdb_contrib first_contrib; // from the module record
	const char   **files;  // source files from DBI file info (may be 0)
	size_t         nfiles;
} dw_pdb_module;

typedef struct dw_pdb_secmap {
	uint16_t flags, ovl, group, frame, sec_name, class_name;
	uint32_t offset, length;
} dw_pdb_secmap;

// IMAGE_SECTION_HEADER, the fields we use.
typedef struct dw_pdb_section {
	char     name[9];
	uint32_t virtual_size;
	uint32_t rva;
	uint32_t raw_size;
	uint32_t characteristics;
} dw_pdb_section;

// FPO_DATA (winnt.h): old x86 frame-pointer-omission records.
// In a reordered image each record is split as dw_pdb_map_frame describes.
typedef struct dw_pdb_fpo {
	uint32_t rva;        // ulOffStart, already mapped through OMAP
	uint32_t size;       // cbProcSize
	uint32_t locals;     // cdwLocals (dwords)
	uint16_t params;     // cdwParams (dwords)
	uint8_t  prolog;     // cbProlog
	uint8_t  regs;       // cbRegs (registers saved)
	bool     has_seh;
	bool     use_bp;
	uint8_t  frame_type; // FRAME_FPO 0, FRAME_TRAP 1, FRAME_TSS 2, FRAME_NONFPO 3
} dw_pdb_fpo;

// FRAMEDATA (microsoft-pdb cvinfo.h / LLVM FrameData): "new FPO".
typedef struct dw_pdb_frame {
	uint32_t    rva; // ulRvaStart, already mapped through OMAP
	uint32_t    size;
	uint32_t    locals, params, max_stack;
	uint16_t    prolog, saved_regs;
	uint32_t    flags;   // 1 has SEH, 2 has EH, 4 is function start
	const char *program; // from /names; NULL when absent or unresolvable
} dw_pdb_frame;

// One OMAP entry: addresses from `from` on map to `to` + (addr - from);
// to == 0 means "no image address".
typedef struct dw_pdb_omap {
	uint32_t from, to;
} dw_pdb_omap;

typedef struct dw_pdb_dbi {
	uint32_t age;
	uint16_t machine; // IMAGE_FILE_MACHINE_*
	uint16_t flags;
	uint16_t globals_stream, publics_stream, symrec_stream;
	uint16_t dbg_streams[DW_PDB_DBG_COUNT]; // DW_PDB_NO_STREAM when absent

	const dw_pdb_module  *modules;  size_t nmodules;
	const dw_pdb_contrib *contribs; size_t ncontribs;
	const dw_pdb_secmap  *secmap;   size_t nsecmap;
	// Image section headers (debug slot 5) and, for reordered images, the
	// original ones (slot 10) that segment:offset in symbols refer to.
	const dw_pdb_section *sections;      size_t nsections;
	const dw_pdb_section *sections_orig; size_t nsections_orig;
	const dw_pdb_fpo     *fpo;           size_t nfpo;
	const dw_pdb_frame   *frames;        size_t nframes;
	// OMAP tables sorted by `from`.
	const dw_pdb_omap *omap_to_src;   size_t nomap_to_src;
	const dw_pdb_omap *omap_from_src; size_t nomap_from_src;
} dw_pdb_dbi;

// dw_pdb_get_dbi parses the DBI stream and its debug streams on first use and
// returns them (borrowed). DW_ENOTFOUND when the PDB has no DBI stream,
// DW_ETRUNC/DW_ECORRUPT/DW_ELIMIT when its header is unusable; a bad substream
// or debug stream is noted and left empty.
dw_err dw_pdb_get_dbi(const dw_pdb_dbi **out, dw_pdb *p);

// dw_pdb_debug_stream gives a cursor over optional debug stream `slot`
// (e.g. DW_PDB_DBG_PDATA, DW_PDB_DBG_XDATA: copies of the image's .pdata and
// .xdata). DW_ENOTFOUND when absent.
dw_err dw_pdb_debug_stream(dw_cur *out, dw_pdb *p, enum dw_pdb_dbg_stream slot);

// ---- Addresses --------------------------------------------------------------

// dw_pdb_rva converts segment:offset as found in symbol records to an RVA in
// the final image: through the original section headers (or the image's when
// the PDB has no originals), then through OMAP-from-source when the image was
// reordered. DW_ENOTFOUND when the segment is unknown or OMAP maps the address
// to nothing.
dw_err dw_pdb_rva(uint32_t *out, dw_pdb *p, uint16_t segment, uint32_t offset);

// dw_pdb_map_rva maps an RVA of the original (pre-reorder) layout to the final
// image through OMAP-from-source; identity when there is no OMAP.
// DW_ENOTFOUND when it maps to nothing.
dw_err dw_pdb_map_rva(uint32_t *out, dw_pdb *p, uint32_t rva);

// A piece of an original range in the image: its image rva and size, and
// `delta`, the distance from the range's start to the piece's first original
// byte.
typedef void (*dw_pdb_piece_fn)(uint32_t rva, uint32_t size, uint32_t delta, void *arg);
// A piece of a frame record (FPO or frame data) in the image, with the prolog
// size it gets there.
typedef void (*dw_pdb_frame_fn)(uint32_t rva, uint32_t size, uint32_t prolog, void *arg);

// dw_pdb_map_range splits the original range [rva, rva+size) into the image
// ranges it occupies in a reordered image and calls fn for each, in image
// order; without OMAP, fn gets the range unchanged. The rule is the one the
// reference dump_syms applies to FUNC and line records (see
// dw_pdb_omap_map_range): bytes OMAP maps back into the range count as part
// of it, including padding the linker put after a moved block, and ranges
// separated by injected bytes only are joined. With `merge` false, each OMAP
// interval gives its own piece. A zero-size range gives the image address of
// each interval holding rva, with size 0. Returns the number of pieces (0
// when the range was removed from the image).
size_t dw_pdb_map_range(dw_pdb *p, uint32_t rva, uint32_t size, bool merge, dw_pdb_piece_fn fn,
                        void *arg);

// dw_pdb_map_frame splits an x86 frame record (original [rva, rva+size) with
// `prolog` bytes of prolog) as the reference dump_syms does for STACK WIN:
// prolog and body are mapped separately with dw_pdb_map_range; when each
// lands as one range and the body follows the prolog in the image, fn gets
// the record whole (size and prolog as mapped); otherwise each prolog piece
// becomes a record that is all prolog and each body piece one with prolog 0.
// Without OMAP, fn gets the record unchanged. Returns the number of pieces.
size_t dw_pdb_map_frame(dw_pdb *p, uint32_t rva, uint32_t size, uint32_t prolog, dw_pdb_frame_fn fn,
                        void *arg);

// ---- OMAP image maps, without a PDB --------------------------------------------

// A map from original to image ranges built from OMAP tables (what
// dw_pdb_map_range uses), for callers holding the tables themselves.
typedef struct dw_pdb_omap_map dw_pdb_omap_map;

// dw_pdb_omap_map_new builds a map from OMAP-to-source (`to_src`, image ->
// original, sorted by `from`) and OMAP-from-source (used only when to_src is
// empty), both borrowed for the call only. `orig_len` is the original
// image's length: entries mapping at or past it mark injected bytes. On
// success *out owns the map (dw_pdb_omap_map_free); DW_ENOMEM, or DW_ELIMIT
// past DW_MAX_PDB_RECORDS entries.
dw_err dw_pdb_omap_map_new(dw_pdb_omap_map **out, const dw_pdb_omap *to_src, size_t nto,
                           const dw_pdb_omap *from_src, size_t nfrom, uint32_t orig_len);

// dw_pdb_omap_map_free releases a map (NULL is fine).
void dw_pdb_omap_map_free(dw_pdb_omap_map *m);

// dw_pdb_omap_map_range and dw_pdb_omap_map_frame: dw_pdb_map_range and
// dw_pdb_map_frame on a map (NULL or empty: no reordering). A map is
// read-only here and may be shared between threads.
size_t dw_pdb_omap_map_range(const dw_pdb_omap_map *m, uint32_t rva, uint32_t size, bool merge,
                             dw_pdb_piece_fn fn, void *arg);
size_t dw_pdb_omap_map_frame(const dw_pdb_omap_map *m, uint32_t rva, uint32_t size, uint32_t prolog,
                             dw_pdb_frame_fn fn, void *arg);

// ---- Public symbols (S_PUB32; LLVM "The PDB Global/Public Symbol Streams") --

typedef struct dw_pdb_public {
	const char *name;    // decorated, as stored
	uint32_t    flags;   // CV_PUBSYMFLAGS: 1 code, 2 function, 4 managed, 8 MSIL
	uint16_t    segment;
	uint32_t    offset;
	uint32_t    rva;     // 0 with has_rva false when not convertible
	bool        has_rva;
} dw_pdb_public;

// dw_pdb_get_publics reads the public symbols on first use: from the publics
// hash stream's records when it is usable, else by scanning the symbol record
// stream for S_PUB32. Borrowed array of *count entries, in stream order.
// DW_ENOTFOUND when the PDB has neither.
dw_err dw_pdb_get_publics(const dw_pdb_public **out, size_t *count, dw_pdb *p);

// ---- Module symbol streams and line information ---------------------------

// CodeView symbol kinds we read (cvinfo.h SYM_ENUM_e).
enum dw_pdb_sym_kind {
	DW_PDB_S_END            = 0x0006,
	DW_PDB_S_FRAMEPROC      = 0x1012,
	DW_PDB_S_THUNK32        = 0x1102,
	DW_PDB_S_BLOCK32        = 0x1103,
	DW_PDB_S_PUB32          = 0x110e,
	DW_PDB_S_LPROC32        = 0x110f,
	DW_PDB_S_GPROC32        = 0x1110,
	DW_PDB_S_LPROC32_ID     = 0x1146,
	DW_PDB_S_GPROC32_ID     = 0x1147,
	DW_PDB_S_INLINESITE     = 0x114d,
	DW_PDB_S_INLINESITE_END = 0x114e,
	DW_PDB_S_PROC_ID_END    = 0x114f,
	DW_PDB_S_LPROC32_DPC    = 0x1155,
	DW_PDB_S_LPROC32_DPC_ID = 0x1156,
	DW_PDB_S_INLINESITE2    = 0x115d,
};

// S_FRAMEPROC (cvinfo.h FRAMEPROCSYM).
typedef struct dw_pdb_frameproc {
	uint32_t frame_bytes, pad_bytes, pad_offset, saved_regs_bytes;
	uint32_t eh_offset;
	uint16_t eh_section;
	uint32_t flags;
} dw_pdb_frameproc;

typedef struct dw_pdb_proc {
	const char      *name;    // as stored (scope::name, no parameter list)
	uint16_t         kind;    // S_GPROC32, S_LPROC32, their _ID/_DPC forms, S_THUNK32
	uint16_t         segment;
	uint32_t         offset;
	uint32_t         size;
	// Start in the image, valid when has_rva. In a reordered (OMAP) image a
	// procedure may be scattered: orig_rva/size in the original layout,
	// split with dw_pdb_map_range, give its pieces.
	uint32_t         rva;
	uint32_t         orig_rva;
	bool             has_rva;
	uint32_t         module;  // index in dw_pdb_dbi.modules
	uint32_t         type;    // type index (procedures) or 0
	uint32_t         debug_start, debug_end; // prologue end / epilogue start offsets
	uint8_t          flags;   // CV_PROCFLAGS
	bool             has_frameproc;
	dw_pdb_frameproc frameproc;
	uint32_t         nblocks; // S_BLOCK32 scopes inside it
	uint32_t         max_depth;
	uint32_t         first_inline, ninlines; // into dw_pdb_modsyms.inlines
} dw_pdb_proc;

// One address range of an inlined call, decoded from binary annotations.
typedef struct dw_pdb_inline_range {
	uint32_t offset; // from the parent procedure's start
	uint32_t size;
	uint32_t line;   // source line (0 when unknown)
	uint32_t file;   // file checksum offset (module-relative), or UINT32_MAX
} dw_pdb_inline_range;

typedef struct dw_pdb_inline {
	uint32_t                   inlinee; // item id (IPI) of the inlined function
	uint32_t                   proc;    // index into dw_pdb_modsyms.procs
	uint32_t                   depth;   // 1 = called directly from the procedure
	const uint8_t             *annotations; // raw, borrowed from the stream
	uint32_t                   annotations_len;
	const dw_pdb_inline_range *ranges;
	size_t                     nranges;
} dw_pdb_inline;

typedef struct dw_pdb_line {
	uint32_t rva;  // valid when the section converts (lines that do not are dropped)
	uint32_t size; // up to the next line record, or the end of the block
	uint32_t line; // 24 bits; 0xfeefee / 0xf00f00 mark hidden code
	uint32_t file; // index into dw_pdb_modsyms.files
	bool     is_statement;
} dw_pdb_line;

// C13 inlinee-lines entry (DEBUG_S_INLINEELINES).
typedef struct dw_pdb_inlinee_line {
	uint32_t inlinee; // item id
	uint32_t file;    // index into dw_pdb_modsyms.files, or UINT32_MAX
	uint32_t line;
} dw_pdb_inlinee_line;

typedef struct dw_pdb_modsyms {
	const dw_pdb_proc         *procs;   size_t nprocs;   // includes thunks
	const dw_pdb_inline       *inlines; size_t ninlines;
	const dw_pdb_line         *lines;   size_t nlines;   // sorted by rva
	const char *const         *files;   size_t nfiles;   // from file checksums
	const uint32_t            *file_offsets;             // checksum offset of each file
	const dw_pdb_inlinee_line *inlinee_lines; size_t ninlinee_lines;
} dw_pdb_modsyms;

// dw_pdb_get_module parses module `index`'s symbol stream and C13 lines on
// first use (borrowed result, empty for a module without a stream).
// DW_ENOTFOUND for an index past the module list; a malformed record ends
// that module's parse with a note, keeping what came before.
dw_err dw_pdb_get_module(const dw_pdb_modsyms **out, dw_pdb *p, size_t index);

// dw_pdb_inline_decode decodes binary annotations (cvinfo.h
// BinaryAnnotationOpcode) into ranges, allocated from the PDB's arena.
// `file` starts as the inlinee's file (from the inlinee lines, or UINT32_MAX)
// and `line` as its first line. DW_ECORRUPT when the annotations are malformed
// (ranges decoded so far are kept).
dw_err dw_pdb_inline_decode(dw_pdb_inline_range **out, size_t *count, dw_pdb *p,
                            const uint8_t *ann, size_t len, uint32_t file, uint32_t line);

#endif
