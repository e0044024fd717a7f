// symbols/source.h - where symbol files come from: an ordered list of symbol
// servers (HTTP/HTTPS) and local directories, each with a layout, the file
// types to ask it for, extra request headers and timeouts; the parser for
// WinDbg's _NT_SYMBOL_PATH syntax; and the checks that turn names and ids
// taken from dumps (hostile input) into safe path components.
//
// Layouts (Microsoft "Symbol Server and Symbol Stores" documentation; symstore
// behaviour as observed, flagged where inferred):
//   symstore  name.pdb/GUIDAGE/name.pdb, name.dll/TIMESTAMPSIZE/name.dll, the
//             CAB-compressed name.pd_ / name.dl_ in the same folder, or a
//             file.ptr there whose text is "PATH:<where>" or "MSG:<why>".
//   index2    the same below an extra folder named by the first two
//             characters of the file name ("cr/crash.pdb/..."); a store says
//             it uses it with an index2.txt file at its root.
//   breakpad  name.pdb/ID/name.sym (the symstore shape with a .sym file).
//
// Everything here is plain data plus pure functions: no I/O, no network.
#ifndef DW_SYMBOLS_SOURCE_H
#define DW_SYMBOLS_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/limits.h"

typedef enum dw_source_kind {
	DW_SOURCE_HTTP = 0, // http:// or https:// symbol server
	DW_SOURCE_DIR  = 1, // local (or mounted) directory
} dw_source_kind;

typedef enum dw_source_layout {
	DW_LAYOUT_AUTO     = 0, // directory: index2 when index2.txt exists, else symstore
	DW_LAYOUT_SYMSTORE = 1,
	DW_LAYOUT_INDEX2   = 2,
} dw_source_layout;

// File types a source is asked for (dw_source.types is a mask of these).
typedef enum dw_file_type {
	DW_FILE_PDB = 1, // name.pdb/GUIDAGE/name.pdb
	DW_FILE_PE  = 2, // name.dll/TIMESTAMPSIZE/name.dll
	DW_FILE_SYM = 4, // name.pdb/ID/name.sym (Breakpad)
} dw_file_type;
#define DW_FILE_ALL (DW_FILE_PDB | DW_FILE_PE | DW_FILE_SYM)

typedef struct dw_source {
	dw_source_kind   kind;
	char            *location; // URL (no trailing '/') or directory; owned
	dw_source_layout layout;
	unsigned         types;      // DW_FILE_* mask
	bool             compressed; // also ask for name.pd_ / name.dl_
	bool             file_ptr;   // also ask for file.ptr
	bool             flat;       // directory: also look for DIR/name itself
	bool             is_cache;   // a downstream store named by srv*CACHE*... or cache*DIR
	char            *headers[DW_MAX_SOURCE_HEADERS]; // "Name: value", owned
	size_t           nheaders;
	uint32_t         connect_timeout_ms; // 0: the fetcher's default
	uint32_t         timeout_ms;         // whole transfer; 0: the fetcher's default
} dw_source;

// An ordered list of sources plus the download cache the path names.
typedef struct dw_sympath {
	dw_source *items;
	size_t     count;
	size_t     cap;
	// The first downstream store the path names (srv*CACHE*URL, cache*DIR)
	// that is an absolute local path, or NULL. The CLI and daemon use it when
	// no cache directory is configured.
	char *cache_dir;
} dw_sympath;

// Microsoft's public server, what a bare "srv*" element means to WinDbg.
#define DW_SOURCE_MICROSOFT_URL "https://msdl.microsoft.com/download/symbols"

// dw_sympath_init prepares an empty list in caller storage; never fails.
void dw_sympath_init(dw_sympath *p);
// dw_sympath_fini frees every source; the list is empty after.
void dw_sympath_fini(dw_sympath *p);

// dw_sympath_parse appends the elements of an _NT_SYMBOL_PATH string to p:
//   srv*URL              HTTP server (or a directory, when not a URL)
//   srv*CACHE*URL        downstream store CACHE, searched first, then URL;
//                        more stores may come between ("srv*C1*C2*URL"); an
//                        empty one ("srv**URL") means the default cache
//   symsrv*DLL*...       the same as srv*... (the DLL name is ignored)
//   cache*DIR, cache*    downstream store (empty: the default cache)
//   DIR                  a local directory (store layout or flat)
// Elements are separated by ';' and trimmed of spaces. A bad element (an
// unknown prefix, an ftp:// or file:// URL, a control character) is noted in
// `notes` and skipped; the others are kept. Returns DW_OK, DW_ELIMIT when the
// text or element count passes DW_MAX_SYMPATH_BYTES / _ELEMENTS (elements
// before the limit are kept), DW_ENOMEM.
dw_err dw_sympath_parse(dw_sympath *p, const char *text, dw_notes *notes);

// dw_sympath_add appends a copy of `src` (location and headers duplicated).
// Returns a borrowed pointer to the stored copy through out (may be NULL),
// valid until the next add or dw_sympath_fini. DW_EINVAL for a source without
// a location or with too many headers, DW_ENOMEM.
dw_err dw_sympath_add(dw_source **out, dw_sympath *p, const dw_source *src);

// dw_source_add_header adds "Name: value" to a source (owned copy).
// DW_ELIMIT past DW_MAX_SOURCE_HEADERS, DW_EINVAL for a header with a CR, LF
// or NUL or without "Name:", DW_ENOMEM.
dw_err dw_source_add_header(dw_source *s, const char *header);
// dw_source_set_bearer / dw_source_set_basic add an Authorization header
// ("Bearer TOKEN", "Basic base64(user:password)").
dw_err dw_source_set_bearer(dw_source *s, const char *token);
dw_err dw_source_set_basic(dw_source *s, const char *user, const char *password);

// ---- Names and ids from dumps ---------------------------------------------

// dw_symname_check turns a file name from a dump ("C:\\build\\crash.pdb") into
// one safe path component in out (DW_MAX_SYMFILE_NAME + 1 bytes): the part
// after the last '\\' or '/' (symbol servers index by base name). Refused
// with DW_EINVAL and a note saying why: empty, "." or "..", control
// characters, ':' (drive letters, NTFS streams), any of <>"|?*, a trailing
// dot or space, a Windows reserved device name (CON, NUL, COM1, LPT1, ...,
// with or without an extension), longer than DW_MAX_SYMFILE_NAME.
dw_err dw_symname_check(char *out, const char *name, dw_notes *notes);

// dw_symid_check copies an id (hex digits only, 1..DW_MAX_SYMID of them) to
// out (DW_MAX_SYMID + 1 bytes), case preserved: symstore writes GUIDs upper
// case and image sizes lower case ("5DDC1E9A6c000"). DW_EINVAL otherwise.
dw_err dw_symid_check(char *out, const char *id, dw_notes *notes);

// dw_symname_compressed writes the CAB variant's name: the last character
// replaced by '_' ("crash.pdb" -> "crash.pd_"). out holds
// DW_MAX_SYMFILE_NAME + 1 bytes; name must have passed dw_symname_check.
void dw_symname_compressed(char *out, const char *name);
// dw_symname_breakpad writes the .sym name Breakpad files under a debug file:
// a final .pdb, .exe or .dll (any case) replaced by .sym, else .sym appended
// ("crash.pdb" -> "crash.sym", "basic32-dwarf.dll" -> "basic32-dwarf.sym").
// DW_ELIMIT when the result is too long.
dw_err dw_symname_breakpad(char *out, const char *name);

// dw_source_relpath writes "name/id/file" (symstore) or "na/name/id/file"
// (index2) into out. Components must have passed the checks above.
// DW_ELIMIT when it does not fit in cap.
dw_err dw_source_relpath(char *out, size_t cap, dw_source_layout layout, const char *name,
                         const char *id, const char *file);

// dw_source_url writes location + "/" + relpath into out, each byte of relpath
// other than A-Z a-z 0-9 - . _ ~ / percent-encoded. DW_ELIMIT past cap.
dw_err dw_source_url(char *out, size_t cap, const char *location, const char *relpath);

// dw_fileptr_parse reads a symstore file.ptr: "PATH:<where>" sets *target to
// a pointer into text (length *target_len, trailing spaces and line ends
// cut); "MSG:<why>" gives DW_ENOTFOUND with the message noted; anything else
// (empty, binary, no prefix, control characters in the target) DW_ECORRUPT.
dw_err dw_fileptr_parse(const char **target, size_t *target_len, const char *text, size_t len,
                        dw_notes *notes);

#endif
