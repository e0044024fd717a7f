// symbols/pdb_int.h - internals shared by symbols/pdb*.c.
#ifndef DW_SYMBOLS_PDB_INT_H
#define DW_SYMBOLS_PDB_INT_H

#include "common/arena.h"
#include "common/mapfile.h"
#include "symbols/pdb.h"

// One lazily parsed layer: parsed once, its result (or failure) kept.
typedef struct pdb_once {
	bool   done;
	dw_err err;
} pdb_once;

struct dw_pdb {
	dw_mapfile  map; // when opened from a file
	dw_msf     *msf;
	dw_arena    arena;
	dw_notes    notes;
	dw_pdb_info info;

	const char **named_names;
	uint32_t    *named_streams;
	size_t       nnamed;

	pdb_once names_once;
	dw_cur   names; // the /names string buffer

	pdb_once         dbi_once;
	dw_pdb_dbi       dbi;
	dw_pdb_omap_map *omap_map; // built with the DBI when it has OMAP tables

	pdb_once       publics_once;
	dw_pdb_public *publics;
	size_t         npublics;

	dw_pdb_modsyms **mods; // one slot per module, filled on first use
	dw_err          *mod_errs;
};

// A growable array in malloc memory, capped, moved into the arena when done.
typedef struct dw_pdb__vec {
	void  *items;
	size_t n, cap, elem, max;
} dw_pdb__vec;

void  dw_pdb__vec_init(dw_pdb__vec *v, size_t elem, size_t max);
// dw_pdb__vec_push returns a zeroed slot, or NULL (ENOMEM or past max).
void *dw_pdb__vec_push(dw_pdb__vec *v);
// dw_pdb__vec_finish copies the items into the arena (NULL when empty or out
// of memory: then *n is 0) and frees the heap copy.
void *dw_pdb__vec_finish(dw_pdb__vec *v, dw_arena *a, size_t *n);
void  dw_pdb__vec_fini(dw_pdb__vec *v);

// Section-header lookup without OMAP: segment:offset to original RVA.
dw_err dw_pdb__seg_rva(uint32_t *out, dw_pdb *p, uint16_t segment, uint32_t offset);

// Builds p->omap_map from the DBI's OMAP tables, section map and section
// headers (nothing without OMAP). Notes and returns a failure.
dw_err dw_pdb__omap_build(dw_pdb *p);

// Reads the DBI header age (at open, before the full DBI parse).
uint32_t dw_pdb__peek_dbi_age(dw_pdb *p);

#endif
