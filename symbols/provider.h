// symbols/provider.h - the walker's symbol provider (walker/symsrc.h) over
// compiled symbol tables.
//
// For each module a walk asks about, the provider finds its files through a
// locator (by default: local directories in symbol-server layout
// name.pdb/GUIDAGE/name.pdb and name.dll/TIMESTAMPSIZE/name.dll, Breakpad
// layout name.pdb/ID/name.sym, or the files lying flat in the directory),
// compiles them into a table (PDB + PE, PDB, .sym, or PE alone, best first),
// and keeps the table open and shared: many walks, on many threads, hold the
// same table by reference; tables no walk holds stay in a bounded LRU.
//
// A module record without a CodeView record (every Wine dump) is found by its
// code id: the PE first, whose debug directory then names the PDB.
//
// Every module asked about gets a status: where its symbols came from, or why
// there are none (dw_symprov_status).
//
// Threading: all functions are thread-safe; the ops may be called by many
// walks at once.
#ifndef DW_SYMBOLS_PROVIDER_H
#define DW_SYMBOLS_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "walker/symsrc.h"

typedef struct dw_symprov dw_symprov;

#define DW_SYMPROV_PATH 4096
// A daemon sees the same system DLLs without symbols in dump after dump:
// each search costs a dozen stat(2) calls per local directory, or a
// symbol-cache lookup on disk. A miss is remembered this long, so a symbol
// file dropped into a directory is picked up within 30 s.
#define DW_SYMPROV_MISS_TTL_MS 30000

// What a locator found for a module: local paths ("" when not found) and the
// identity it used (from the dump, or from the PE when the dump had none).
typedef struct dw_symprov_files {
	char pdb[DW_SYMPROV_PATH];
	char pe[DW_SYMPROV_PATH];
	char sym[DW_SYMPROV_PATH];
	char debug_file[256];
	char debug_id[72];
	char why[256]; // when nothing was found: what was tried
} dw_symprov_files;

// A locator: fill *out for module m. DW_OK when at least one file was found,
// DW_ENOTFOUND (with out->why) when none. The symbol-server layer
// (symbols/resolve.h) can be plugged in here; the default searches
// dw_symprov_opts.dirs.
typedef dw_err (*dw_symprov_locate_fn)(dw_symprov_files *out, const dw_symsrc_module *m,
                                       void *arg);

typedef struct dw_symprov_opts {
	const char *const   *dirs;   // local directories, searched in order
	size_t               ndirs;
	size_t               max_idle; // unreferenced tables kept (LRU); 0 means 64
	// How long a module whose symbols were found nowhere (or did not
	// compile) is answered from memory before its files are searched
	// again; 0 means DW_SYMPROV_MISS_TTL_MS.
	uint32_t             miss_ttl_ms;
	dw_symprov_locate_fn locate;   // NULL: the local-directory locator over dirs
	void                *locate_arg;
} dw_symprov_opts;

// dw_symprov_new makes a provider; the directory strings are copied. *out is
// owned by the caller (dw_symprov_free, after every walk using it is freed).
// DW_ENOMEM.
dw_err dw_symprov_new(dw_symprov **out, const dw_symprov_opts *o);
void   dw_symprov_free(dw_symprov *p);

// dw_symprov_source returns the walker's view of the provider (borrowed p).
dw_symsrc dw_symprov_source(dw_symprov *p);

// dw_symprov_locate_dirs is the default locator; `arg` is the dw_symprov.
dw_err dw_symprov_locate_dirs(dw_symprov_files *out, const dw_symsrc_module *m, void *arg);

// Where one module's symbols came from.
typedef struct dw_symprov_status {
	char   module[256]; // the module's file name
	bool   found;
	char   origin[512]; // "pdb /x/crash.pdb + pe /x/crash.exe", ".sym ...", or why missing
	dw_err err;         // DW_OK when found
} dw_symprov_status;

// dw_symprov_statuses copies up to cap statuses (in first-asked order) and
// returns how many there are.
size_t dw_symprov_statuses(dw_symprov *p, dw_symprov_status *out, size_t cap);

// dw_symprov_open_module is what the `open` op does, for callers other than
// the walker: *out is a handle for the other ops (release with
// dw_symprov_close_module). DW_ENOTFOUND when no symbols exist.
dw_err dw_symprov_open_module(void **out, dw_symprov *p, const dw_symsrc_module *m);
void   dw_symprov_close_module(dw_symprov *p, void *mod);

// dw_symprov_open_module_why is dw_symprov_open_module that, when the module
// has no symbols (any error), writes what was tried or why the files were
// refused into why[cap] (the origin a status would show: "no crash.pdb ...
// in 2 directories", "symbol path: pdb refused, ...: <note>"); "" on success.
// The text is the same for a miss answered from memory.
dw_err dw_symprov_open_module_why(void **out, dw_symprov *p, const dw_symsrc_module *m,
                                  char *why, size_t cap);

// dw_symprov_forget_misses drops every remembered miss: the next open of
// each module searches its files again. For a caller that has just added
// symbol files (a prefetch into the cache) and wants the next analysis to
// see them rather than wait out DW_SYMPROV_MISS_TTL_MS.
void dw_symprov_forget_misses(dw_symprov *p);

// dw_symprov_get_origin returns the files an open module's table came from
// ("pdb /x/crash.pdb + pe /x/crash.exe", "sym ...", "pe ..."), borrowed
// while the handle `mod` is open.
const char *dw_symprov_get_origin(const void *mod);

// Counts for tests and metrics.
typedef struct dw_symprov_counts {
	size_t compiled;  // tables compiled
	size_t hits;      // opens served by a table already in memory
	size_t open, idle; // tables referenced now / kept unreferenced
	size_t evicted;
	size_t miss_hits; // opens answered "no symbols" from a remembered miss
} dw_symprov_counts;
void dw_symprov_get_counts(dw_symprov *p, dw_symprov_counts *out);

#endif
