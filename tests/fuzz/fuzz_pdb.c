// tests/fuzz/fuzz_pdb.c - libFuzzer target: the MSF container and every PDB
// layer above it on arbitrary bytes.
//
// Reads every stream through the MSF, then the info stream, named streams,
// DBI (modules, contributions, section map, file info, debug streams), the
// publics, every module's symbols and C13 lines, and converts addresses, so a
// bad index anywhere shows.
#include <stdint.h>
#include <stdio.h>

#include "symbols/pdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t sink;

static void
piece(uint32_t rva, uint32_t len, uint32_t delta, void *arg)
{
	(void)arg;
	sink += rva + len + delta;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dw_notes notes;
	dw_notes_init(&notes);
	dw_msf *m;
	if (dw_msf_open(&m, data, size, &notes) == DW_OK) {
		for (uint32_t i = 0; i < dw_msf_stream_count(m); i++) {
			dw_cur c;
			if (dw_msf_stream(&c, m, i) == DW_OK && c.len)
				sink += c.base[c.len - 1];
		}
		dw_msf_free(m);
	}
	dw_notes_fini(&notes);

	dw_pdb *p;
	if (dw_pdb_open_buffer(&p, data, size, NULL) != DW_OK)
		return 0;
	sink += (uint32_t)dw_pdb_get_info(p)->debug_id[0];
	const char *const *names;
	const uint32_t    *streams;
	size_t             nnamed;
	dw_pdb_named_streams(&names, &streams, &nnamed, p);
	const char *s;
	for (uint32_t off = 0; off < 64; off += 7)
		if (dw_pdb_string(&s, p, off) == DW_OK)
			sink += (uint8_t)s[0];
	const dw_pdb_dbi *d;
	if (dw_pdb_get_dbi(&d, p) == DW_OK) {
		for (int k = 0; k < DW_PDB_DBG_COUNT; k++) {
			dw_cur c;
			dw_pdb_debug_stream(&c, p, (enum dw_pdb_dbg_stream)k);
		}
		for (size_t i = 0; i < d->nmodules; i++) {
			const dw_pdb_modsyms *ms;
			if (dw_pdb_get_module(&ms, p, i) != DW_OK)
				continue;
			for (size_t k = 0; k < ms->nprocs; k++)
				dw_pdb_map_range(p, ms->procs[k].orig_rva, ms->procs[k].size & 0xffff, true,
				                 piece, NULL);
			for (size_t k = 0; k < ms->nlines; k++)
				sink += ms->lines[k].file < ms->nfiles ? (uint8_t)ms->files[ms->lines[k].file][0]
				                                       : 0;
			for (size_t k = 0; k < ms->ninlines; k++)
				sink += (uint32_t)ms->inlines[k].nranges;
		}
		for (size_t i = 0; i < d->nframes; i++)
			sink += d->frames[i].program ? (uint8_t)d->frames[i].program[0] : 0;
		uint32_t rva;
		for (uint16_t seg = 0; seg < 4; seg++)
			dw_pdb_rva(&rva, p, seg, 0x1000);
	}
	const dw_pdb_public *pubs;
	size_t               n;
	if (dw_pdb_get_publics(&pubs, &n, p) == DW_OK)
		for (size_t i = 0; i < n; i++)
			sink += (uint8_t)pubs[i].name[0];
	dw_pdb_free(p);
	return 0;
}
