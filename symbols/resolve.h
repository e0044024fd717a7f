// symbols/resolve.h - "the local path of the verified PDB / PE / .sym for
// module X, or why not": walks the configured sources in order, consults and
// fills the download cache, decompresses CAB (.pd_/.dl_) files, follows
// file.ptr, and verifies every file is the one asked for before it is used
// (PDB: GUID+age; PE: TimeDateStamp+SizeOfImage; .sym: its MODULE line's id).
//
// Turning the files into compiled tables and a walker provider is done
// elsewhere; this layer only hands back paths with a per-file status for the
// report.
#ifndef DW_SYMBOLS_RESOLVE_H
#define DW_SYMBOLS_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/limits.h"
#include "symbols/cache.h"
#include "symbols/fetch.h"
#include "symbols/source.h"

typedef enum dw_symstatus {
	DW_SYMST_NOT_ASKED = 0, // not looked for (not wanted, or no identity)
	DW_SYMST_CACHED,        // in the download cache (checksum verified)
	DW_SYMST_LOCAL,         // in a local directory source (verified in place)
	DW_SYMST_DOWNLOADED,    // fetched now, verified, stored in the cache
	DW_SYMST_MISSING,       // no source has it
	DW_SYMST_CORRUPT,       // found, but every copy failed verification
	DW_SYMST_TIMEDOUT,      // a source timed out, and none had it
	DW_SYMST_UNAVAILABLE,   // a source kept failing (5xx, 429, 401/403, redirect
	                        // loop, connection refused), and none had it
	DW_SYMST_REFUSED,       // the name or id from the dump is unsafe or malformed
	DW_SYMST_ERROR,         // local failure (disk, memory)
} dw_symstatus;

// dw_symstatus_name returns a static word for reports: "cached", "missing".
const char *dw_symstatus_name(dw_symstatus s);

// One file's outcome.
typedef struct dw_symfile {
	dw_symstatus status;
	dw_err       err;           // the dw_err behind a failure status, DW_OK when found
	char        *path;          // verified local file when found (owned)
	char        *where;         // source location it came from, or the cache dir (owned)
	bool         from_negative; // the status came from a negative cache entry
	char         note[160];     // why, for the report, when not found
} dw_symfile;

// dw_symfile_fini frees path and where; the struct is zeroed after.
void dw_symfile_fini(dw_symfile *f);

// What the dump says about a module. Any field may be NULL.
typedef struct dw_symmodule_req {
	const char *debug_file; // "crash.pdb" (CodeView pdb name; a full path is fine)
	const char *debug_id;   // GUID + age, 33 hex digits
	const char *code_file;  // "crash.exe" (module name; a full path is fine)
	const char *code_id;    // TimeDateStamp %08X + SizeOfImage %x
	unsigned    want;       // DW_FILE_* mask; 0 means DW_FILE_ALL
} dw_symmodule_req;

typedef struct dw_symmodule {
	dw_symfile pdb, pe, sym;
	// The PDB identity used: the request's, or read from the fetched PE's
	// debug directory when the dump had no CodeView record ("" when unknown).
	char     debug_file[DW_MAX_SYMFILE_NAME + 1];
	char     debug_id[DW_MAX_SYMID + 1];
	bool     identity_from_pe;
	dw_notes notes;
} dw_symmodule;

// dw_symmodule_fini frees the three files and the notes.
void dw_symmodule_fini(dw_symmodule *m);

typedef struct dw_resolver dw_resolver;

// dw_resolver_new makes a resolver over `path` and `cache` (both borrowed:
// they must outlive the resolver). Local directory sources whose index2.txt
// is present are treated as index2 when their layout is DW_LAYOUT_AUTO.
// Thread-safe once made. DW_ENOMEM.
dw_err dw_resolver_new(dw_resolver **out, const dw_sympath *path, dw_symcache *cache);
void   dw_resolver_free(dw_resolver *r);

// dw_resolver_file finds one file: `type` DW_FILE_PDB / DW_FILE_PE with the
// name and id as symbol servers index them, or DW_FILE_SYM with the debug
// file name and id (the .sym name is derived). Order: the cache, a live
// negative entry, then each source in order. `fetcher` is the calling
// worker's (NULL: HTTP sources are skipped). Many threads may ask for the same
// file at once: one downloads, the others wait and share the result. Always
// fills *out (status says what happened); returns DW_OK, or DW_ENOMEM.
dw_err dw_resolver_file(dw_symfile *out, dw_resolver *r, dw_fetcher *fetcher, dw_file_type type,
                        const char *name, const char *id);

// dw_resolver_module finds the best files for a module: the PE (by code
// file/id) and the PDB (by debug file/id, or by the identity in the PE's
// CodeView record when the request has none); the .sym when no PDB was found
// or only the .sym is wanted. Always fills *out; returns DW_OK or DW_ENOMEM.
dw_err dw_resolver_module(dw_symmodule *out, dw_resolver *r, dw_fetcher *fetcher,
                          const dw_symmodule_req *req);

// dw_symfile_verify checks that the file at path is the one asked for (see
// the top of this file). DW_OK, DW_ECORRUPT (noted) when it is another file or
// unreadable as its type, DW_EIO when it cannot be opened.
dw_err dw_symfile_verify(const char *path, dw_file_type type, const char *id, dw_notes *notes);

// How looking for one file at one HTTP source ended.
typedef enum dw_download_result {
	DW_DL_OK,          // downloaded, verified, stored in the cache
	DW_DL_NOT_FOUND,   // the server has none of the file's names (404)
	DW_DL_NETWORK,     // timed out, unreachable, 5xx/429 after retries, refused
	DW_DL_BAD_CONTENT, // a reply was not the file asked for, or too big
	DW_DL_ERROR,       // our side: the cache could not be written, no memory
	DW_DL_NRESULTS
} dw_download_result;

// dw_download_result_name returns "ok", "not_found", "network",
// "bad_content" or "error" (metric label values).
const char *dw_download_result_name(dw_download_result r);

// Counters of every resolver in the process since it started. Each
// dw_resolver_file call that passed the name checks counts once in exactly
// one of cache_hits, negative_hits and cache_misses (a lookup that fails on
// our side, out of memory or tired of waiting for another process's
// download, is a miss); a miss then counts once
// per HTTP source it asked in downloads[] (0 times when a local directory
// had the file first, or when no HTTP source is configured).
typedef struct dw_resolve_stats {
	uint64_t cache_hits;    // answered by a verified file in the download cache
	uint64_t negative_hits; // answered by a live negative entry: no source asked
	uint64_t cache_misses;  // neither: the sources were searched
	uint64_t refused;       // unsafe or malformed name or id: nothing looked up
	uint64_t local_found;   // misses found in a local directory source
	uint64_t downloads[DW_DL_NRESULTS];
} dw_resolve_stats;

// Everything the symbol-server layer counts (resolver, cache, HTTP).
typedef struct dw_symstats {
	dw_resolve_stats  resolve;
	dw_symcache_stats cache;
	dw_fetch_stats    fetch;
} dw_symstats;

// dw_symstats_get copies the process-wide counters (C11 relaxed atomics:
// callers never wait, each field is exact, the set is not one instant).
// Meant for /metrics and tests; counters only grow.
void dw_symstats_get(dw_symstats *out);

// dw_cab_extract writes the single file of the CAB cabinet at cab_path to
// out_path (libmspack). DW_ECORRUPT (noted) for a bad or multi-file cabinet,
// DW_ELIMIT past DW_MAX_SYMFILE_BYTES, DW_EIO.
dw_err dw_cab_extract(const char *cab_path, const char *out_path, dw_notes *notes);

#endif
