// symbols/pe.c - PE headers, sections, RVA translation, exports, debug
// directory and CodeView records. Version resource: pe_resource.c; .pdata,
// .xdata and unwind rules: pe_unwind.c.
//
// Layouts: Microsoft "PE Format" (pecoff), sections "MS-DOS Stub", "Signature",
// "COFF File Header", "Optional Header", "Section Table", "The .edata Section",
// "The .debug Section". CodeView RSDS/NB10 layouts are not in pecoff; they are
// well known from Microsoft's symbol-server practice and the microsoft-pdb
// repository (cvinfo.h is silent on them; certainty: high, every tool agrees).
#include "symbols/pe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "symbols/pe_int.h"

#define PE_MZ          0x5a4d     // "MZ"
#define PE_SIGNATURE   0x00004550 // "PE\0\0"
#define PE_MAGIC_PE32  0x10b
#define PE_MAGIC_PE32P 0x20b
#define CV_RSDS        0x53445352 // "RSDS"
#define CV_NB10        0x3031424e // "NB10"

// ---- RVA translation ----

// The bytes of a section the loader maps from the file: raw data, but no more
// than the virtual size when that is set (the rest of the raw block is padding).
static uint32_t
section_file_span(const dw_pe_section *s)
{
	if (s->vsize != 0 && s->vsize < s->raw_size)
		return s->vsize;
	return s->raw_size;
}

// Finds where rva lives in the input: *out_off and the bytes available from
// there to the end of the containing block.
static dw_err
rva_locate(const dw_pe *pe, uint32_t rva, uint64_t *out_off, uint64_t *out_avail)
{
	if (pe->layout == DW_PE_LAYOUT_MAPPED) {
		if (rva >= pe->all.len)
			return DW_ETRUNC;
		*out_off   = rva;
		*out_avail = pe->all.len - rva;
		return DW_OK;
	}
	for (size_t i = 0; i < pe->nsections; i++) {
		const dw_pe_section *s    = &pe->sections[i];
		uint32_t             span = section_file_span(s);
		if (rva >= s->vaddr && (uint64_t)rva - s->vaddr < span) {
			uint64_t off = (uint64_t)s->raw_offset + (rva - s->vaddr);
			uint64_t end = (uint64_t)s->raw_offset + span;
			if (end > pe->all.len)
				end = pe->all.len;
			if (off >= end)
				return DW_ETRUNC;
			*out_off   = off;
			*out_avail = end - off;
			return DW_OK;
		}
	}
	// Headers are mapped at RVA 0 with the same offsets as in the file.
	if (rva < pe->hdr.size_of_headers && rva < pe->all.len) {
		uint64_t end = pe->hdr.size_of_headers < pe->all.len ? pe->hdr.size_of_headers
		                                                     : pe->all.len;
		*out_off   = rva;
		*out_avail = end - rva;
		return DW_OK;
	}
	return DW_ETRUNC;
}

dw_err
dw_pe__rva_window(dw_cur *out, const dw_pe *pe, uint32_t rva, uint32_t len)
{
	uint64_t off, avail;
	if (rva_locate(pe, rva, &off, &avail) != DW_OK || len > avail) {
		dw_cur_init(out, NULL, 0);
		out->err = DW_ETRUNC;
		return DW_ETRUNC;
	}
	return dw_cur_window(out, &pe->all, off, len);
}

dw_err
dw_pe__rva_tail(dw_cur *out, const dw_pe *pe, uint32_t rva)
{
	uint64_t off, avail;
	if (rva_locate(pe, rva, &off, &avail) != DW_OK) {
		dw_cur_init(out, NULL, 0);
		out->err = DW_ETRUNC;
		return DW_ETRUNC;
	}
	return dw_cur_window(out, &pe->all, off, avail);
}

dw_err
dw_pe_read_rva(const dw_pe *pe, uint32_t rva, void *dst, size_t len)
{
	dw_cur c;
	if (len > UINT32_MAX || dw_pe__rva_window(&c, pe, rva, (uint32_t)len) != DW_OK) {
		memset(dst, 0, len);
		return DW_ETRUNC;
	}
	return dw_cur_copy(&c, dst, len);
}

// Reads a NUL-terminated name at rva into the arena; NULL when unreadable.
static const char *
rva_name(dw_pe *pe, uint32_t rva)
{
	dw_cur c;
	size_t n;
	if (dw_pe__rva_tail(&c, pe, rva) != DW_OK)
		return NULL;
	const char *s = dw_cur_cstr(&c, DW_MAX_PE_NAME_BYTES, &n);
	if (s == NULL)
		return NULL;
	return dw_arena_strndup(&pe->arena, s, n);
}

// ---- headers and sections ----

static dw_err
read_headers(dw_pe *pe, dw_notes *notes)
{
	dw_pe_headers *h = &pe->hdr;
	dw_cur         c = pe->all;

	if (dw_cur_u16le(&c) != PE_MZ || c.err != DW_OK)
		return dw_fail(notes, DW_ECORRUPT, "PE: no MZ signature at offset 0");
	dw_cur_seek(&c, 0x3c);
	h->nt_offset = dw_cur_u32le(&c);
	if (c.err != DW_OK)
		return dw_fail(notes, DW_ETRUNC, "PE: DOS header truncated (%zu bytes)", pe->all.len);

	dw_cur nt;
	if (dw_cur_tail(&nt, &pe->all, h->nt_offset) != DW_OK)
		return dw_fail(notes, DW_ETRUNC, "PE: e_lfanew 0x%x past end (%zu bytes)",
		               h->nt_offset, pe->all.len);
	if (dw_cur_u32le(&nt) != PE_SIGNATURE || nt.err != DW_OK)
		return dw_fail(notes, DW_ECORRUPT, "PE: no PE signature at offset 0x%x", h->nt_offset);
	h->machine         = dw_cur_u16le(&nt);
	h->nsections       = dw_cur_u16le(&nt);
	h->timestamp       = dw_cur_u32le(&nt);
	h->symtab_offset   = dw_cur_u32le(&nt);
	h->nsymbols        = dw_cur_u32le(&nt);
	h->opt_size        = dw_cur_u16le(&nt);
	h->characteristics = dw_cur_u16le(&nt);
	if (nt.err != DW_OK)
		return dw_fail(notes, DW_ETRUNC, "PE: COFF file header at 0x%x truncated",
		               h->nt_offset + 4);

	uint64_t opt_off = (uint64_t)h->nt_offset + 4 + DW_PE_FILE_HEADER_SIZE;
	dw_cur   o;
	if (dw_cur_window(&o, &pe->all, opt_off, h->opt_size) != DW_OK)
		return dw_fail(notes, DW_ETRUNC, "PE: optional header (%u bytes at 0x%llx) past end",
		               h->opt_size, (unsigned long long)opt_off);
	h->magic = dw_cur_u16le(&o);
	if (h->magic != PE_MAGIC_PE32 && h->magic != PE_MAGIC_PE32P)
		return dw_fail(notes, DW_ECORRUPT, "PE: optional header magic 0x%x at 0x%llx",
		               h->magic, (unsigned long long)opt_off);
	h->pe32plus            = h->magic == PE_MAGIC_PE32P;
	h->linker_major        = dw_cur_u8(&o);
	h->linker_minor        = dw_cur_u8(&o);
	h->size_of_code        = dw_cur_u32le(&o);
	h->size_of_init_data   = dw_cur_u32le(&o);
	h->size_of_uninit_data = dw_cur_u32le(&o);
	h->entry_point         = dw_cur_u32le(&o);
	h->base_of_code        = dw_cur_u32le(&o);
	if (h->pe32plus) {
		h->image_base = dw_cur_u64le(&o);
	} else {
		dw_cur_u32le(&o); // BaseOfData
		h->image_base = dw_cur_u32le(&o);
	}
	h->section_align       = dw_cur_u32le(&o);
	h->file_align          = dw_cur_u32le(&o);
	h->os_major            = dw_cur_u16le(&o);
	h->os_minor            = dw_cur_u16le(&o);
	h->image_major         = dw_cur_u16le(&o);
	h->image_minor         = dw_cur_u16le(&o);
	h->subsys_major        = dw_cur_u16le(&o);
	h->subsys_minor        = dw_cur_u16le(&o);
	dw_cur_u32le(&o); // Win32VersionValue
	h->size_of_image       = dw_cur_u32le(&o);
	h->size_of_headers     = dw_cur_u32le(&o);
	h->checksum            = dw_cur_u32le(&o);
	h->subsystem           = dw_cur_u16le(&o);
	h->dll_characteristics = dw_cur_u16le(&o);
	if (h->pe32plus) {
		h->stack_reserve = dw_cur_u64le(&o);
		h->stack_commit  = dw_cur_u64le(&o);
		h->heap_reserve  = dw_cur_u64le(&o);
		h->heap_commit   = dw_cur_u64le(&o);
	} else {
		h->stack_reserve = dw_cur_u32le(&o);
		h->stack_commit  = dw_cur_u32le(&o);
		h->heap_reserve  = dw_cur_u32le(&o);
		h->heap_commit   = dw_cur_u32le(&o);
	}
	dw_cur_u32le(&o); // LoaderFlags
	h->ndirs = dw_cur_u32le(&o);
	if (o.err != DW_OK)
		return dw_fail(notes, DW_ETRUNC, "PE: optional header at 0x%llx shorter (%u bytes) than "
		               "its fixed fields", (unsigned long long)opt_off, h->opt_size);
	// Directories beyond NumberOfRvaAndSizes or the optional header are absent.
	size_t ndirs = h->ndirs < DW_PE_DIR_COUNT ? h->ndirs : DW_PE_DIR_COUNT;
	size_t fit   = dw_cur_left(&o) / 8;
	if (ndirs > fit) {
		dw_remark(&pe->notes, "PE: %u data directories declared, %zu fit in the optional header",
		          h->ndirs, fit);
		ndirs = fit;
	}
	for (size_t i = 0; i < ndirs; i++) {
		h->dirs[i].rva  = dw_cur_u32le(&o);
		h->dirs[i].size = dw_cur_u32le(&o);
	}

	uint64_t sec_off = opt_off + h->opt_size;
	dw_cur   s;
	dw_err   rv;
	if (dw_cur_tail(&s, &pe->all, sec_off) != DW_OK)
		return dw_fail(notes, DW_ETRUNC, "PE: section table at 0x%llx past end",
		               (unsigned long long)sec_off);
	if ((rv = dw_cur_count(&s, h->nsections, DW_PE_SECTION_SIZE, DW_MAX_PE_SECTIONS)) != DW_OK)
		return dw_fail(notes, rv, "PE: section table at 0x%llx: %u sections of 40 bytes, "
		               "%zu bytes left", (unsigned long long)sec_off, h->nsections,
		               dw_cur_left(&s));
	pe->sections = dw_arena_array(&pe->arena, h->nsections ? h->nsections : 1,
	                              sizeof(*pe->sections));
	if (pe->sections == NULL)
		return DW_ENOMEM;
	pe->nsections = h->nsections;
	for (size_t i = 0; i < pe->nsections; i++) {
		dw_pe_section *sec = &pe->sections[i];
		dw_cur_copy(&s, sec->name, 8);
		sec->name[8]         = '\0';
		sec->vsize           = dw_cur_u32le(&s);
		sec->vaddr           = dw_cur_u32le(&s);
		sec->raw_size        = dw_cur_u32le(&s);
		sec->raw_offset      = dw_cur_u32le(&s);
		dw_cur_skip(&s, 12); // relocations, line numbers and their counts
		sec->characteristics = dw_cur_u32le(&s);
	}
	if (s.err != DW_OK)
		return dw_fail(notes, DW_ETRUNC, "PE: section table at 0x%llx truncated",
		               (unsigned long long)sec_off);
	if (pe->layout == DW_PE_LAYOUT_FILE) {
		// Long names ("/4": offset 4 in the COFF string table that follows
		// the symbol table; MinGW images name their DWARF sections so). The
		// symbol table is not mapped, so a mapped image keeps "/4".
		uint64_t strtab = (uint64_t)h->symtab_offset + (uint64_t)h->nsymbols * 18;
		for (size_t i = 0; i < pe->nsections && h->symtab_offset != 0; i++) {
			dw_pe_section *sec = &pe->sections[i];
			char          *end;
			if (sec->name[0] != '/')
				continue;
			unsigned long off = strtoul(sec->name + 1, &end, 10);
			dw_cur        t;
			size_t        n;
			const char   *nm = NULL;
			if (end != sec->name + 1 && *end == '\0' &&
			    dw_cur_tail(&t, &pe->all, strtab + off) == DW_OK)
				nm = dw_cur_cstr(&t, DW_MAX_PE_NAME_BYTES, &n);
			if (nm == NULL) {
				dw_fail(&pe->notes, DW_ETRUNC, "PE: section %zu long name %s outside the "
				        "string table at 0x%llx", i, sec->name, (unsigned long long)strtab);
				continue;
			}
			if ((sec->long_name = dw_arena_strndup(&pe->arena, nm, n)) == NULL)
				return DW_ENOMEM;
		}
		for (size_t i = 0; i < pe->nsections; i++) {
			const dw_pe_section *sec = &pe->sections[i];
			if (sec->raw_size != 0 && (uint64_t)sec->raw_offset + sec->raw_size > pe->all.len)
				dw_fail(&pe->notes, DW_ETRUNC, "PE: section %zu (%s) raw data 0x%x+0x%x "
				        "past end of file (0x%zx)", i, sec->name, sec->raw_offset,
				        sec->raw_size, pe->all.len);
		}
	}
	return DW_OK;
}

// ---- exports ----

static dw_err
read_exports(dw_pe *pe)
{
	const dw_pe_dir *d = &pe->hdr.dirs[DW_PE_DIR_EXPORT];
	if (d->rva == 0 || d->size == 0)
		return DW_OK;
	dw_cur c;
	if (dw_pe__rva_window(&c, pe, d->rva, DW_PE_EXPORT_DIR_SIZE) != DW_OK) {
		dw_fail(&pe->notes, DW_ETRUNC, "PE exports: directory at RVA 0x%x unreadable", d->rva);
		return DW_OK;
	}
	dw_cur_skip(&c, 12); // Characteristics, TimeDateStamp, Major/MinorVersion
	uint32_t name_rva  = dw_cur_u32le(&c);
	uint32_t base      = dw_cur_u32le(&c);
	uint32_t nfuncs    = dw_cur_u32le(&c);
	uint32_t nnames    = dw_cur_u32le(&c);
	uint32_t funcs_rva = dw_cur_u32le(&c);
	uint32_t names_rva = dw_cur_u32le(&c);
	uint32_t ords_rva  = dw_cur_u32le(&c);
	if (name_rva != 0)
		pe->export_name = rva_name(pe, name_rva);
	if (nfuncs > DW_MAX_PE_EXPORTS || nnames > DW_MAX_PE_EXPORTS) {
		dw_fail(&pe->notes, DW_ELIMIT, "PE exports: %u functions, %u names (cap %u)", nfuncs,
		        nnames, DW_MAX_PE_EXPORTS);
		return DW_OK;
	}
	dw_cur funcs, names, ords;
	if (dw_pe__rva_window(&funcs, pe, funcs_rva, nfuncs * 4) != DW_OK) {
		dw_fail(&pe->notes, DW_ETRUNC, "PE exports: %u function RVAs at RVA 0x%x unreadable",
		        nfuncs, funcs_rva);
		return DW_OK;
	}
	if (dw_pe__rva_window(&names, pe, names_rva, nnames * 4) != DW_OK ||
	    dw_pe__rva_window(&ords, pe, ords_rva, nnames * 2) != DW_OK) {
		dw_fail(&pe->notes, DW_ETRUNC, "PE exports: %u names at RVA 0x%x / ordinals at 0x%x "
		        "unreadable", nnames, names_rva, ords_rva);
		nnames = 0;
	}
	// One entry per function slot, plus one per extra name of a slot already
	// named (aliases: two names for one ordinal).
	const char  **first = dw_arena_array(&pe->arena, nfuncs ? nfuncs : 1, sizeof(*first));
	dw_pe_export *out   = dw_arena_array(&pe->arena, (size_t)nfuncs + nnames + 1, sizeof(*out));
	if (first == NULL || out == NULL)
		return DW_ENOMEM;
	size_t n = 0, bad = 0;
	for (uint32_t i = 0; i < nnames; i++) {
		uint32_t    nrva = dw_cur_u32le(&names);
		uint16_t    idx  = dw_cur_u16le(&ords);
		const char *nm   = rva_name(pe, nrva);
		if (nm == NULL || idx >= nfuncs) {
			bad++;
			continue;
		}
		if (first[idx] == NULL) {
			first[idx] = nm;
			continue;
		}
		out[n].ordinal = base + idx;
		out[n].name    = nm;
		out[n].rva     = dw_get_u32le(funcs.base + (size_t)idx * 4);
		n++;
	}
	if (bad != 0)
		dw_fail(&pe->notes, DW_ECORRUPT, "PE exports: %zu of %u names unreadable or with an "
		        "ordinal index past %u functions", bad, nnames, nfuncs);
	size_t aliases = n;
	for (uint32_t i = 0; i < nfuncs; i++) {
		uint32_t rva = dw_cur_u32le(&funcs);
		if (rva == 0 && first[i] == NULL)
			continue; // unused ordinal slot
		out[n].ordinal = base + i;
		out[n].rva     = rva;
		out[n].name    = first[i];
		n++;
	}
	// Aliases go after the slot they alias and forwarders are resolved for all.
	for (size_t i = 0; i < n; i++) {
		if (out[i].rva >= d->rva && out[i].rva - d->rva < d->size) {
			out[i].forwarder = rva_name(pe, out[i].rva);
			if (out[i].forwarder == NULL)
				dw_fail(&pe->notes, DW_ETRUNC, "PE exports: forwarder string of ordinal %u "
				        "at RVA 0x%x unreadable", out[i].ordinal, out[i].rva);
		}
	}
	if (aliases != 0) {
		// Rotate the aliases behind the slots so the list is in ordinal order
		// apart from them.
		dw_pe_export *tmp = dw_arena_array(&pe->arena, aliases, sizeof(*tmp));
		if (tmp == NULL)
			return DW_ENOMEM;
		memcpy(tmp, out, aliases * sizeof(*tmp));
		memmove(out, out + aliases, (n - aliases) * sizeof(*out));
		memcpy(out + (n - aliases), tmp, aliases * sizeof(*tmp));
	}
	pe->exports  = out;
	pe->nexports = n;
	return DW_OK;
}

// ---- debug directory and CodeView ----

static void
format_debug_id(dw_pe_codeview *cv)
{
	if (cv->cv_signature == CV_RSDS) {
		const uint8_t *g = cv->guid;
		snprintf(cv->debug_id, sizeof(cv->debug_id),
		         "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X%X", dw_get_u32le(g),
		         dw_get_u16le(g + 4), dw_get_u16le(g + 6), g[8], g[9], g[10], g[11], g[12],
		         g[13], g[14], g[15], cv->age);
	} else {
		snprintf(cv->debug_id, sizeof(cv->debug_id), "%08X%X", cv->signature, cv->age);
	}
}

// The bytes of a debug entry's data: by file offset in the file layout (data
// need not be mapped), by RVA in a mapped image.
static dw_err
debug_data(dw_cur *out, const dw_pe *pe, const dw_pe_debug_entry *e)
{
	if (pe->layout == DW_PE_LAYOUT_FILE && e->file_offset != 0)
		return dw_cur_window(out, &pe->all, e->file_offset, e->size);
	if (e->rva == 0) {
		dw_cur_init(out, NULL, 0);
		return DW_ETRUNC;
	}
	return dw_pe__rva_window(out, pe, e->rva, e->size);
}

static dw_err
read_codeview(dw_pe *pe, const dw_pe_debug_entry *e)
{
	if (e->size > DW_MAX_CODEVIEW_BYTES)
		return dw_fail(&pe->notes, DW_ELIMIT, "PE CodeView: record of %u bytes (cap %u)",
		               e->size, DW_MAX_CODEVIEW_BYTES);
	dw_cur c;
	if (debug_data(&c, pe, e) != DW_OK)
		return dw_fail(&pe->notes, DW_ETRUNC, "PE CodeView: %u bytes at RVA 0x%x / offset 0x%x "
		               "unreadable", e->size, e->rva, e->file_offset);
	dw_pe_codeview cv = {0};
	cv.cv_signature   = dw_cur_u32le(&c);
	if (cv.cv_signature == CV_RSDS) {
		dw_cur_copy(&c, cv.guid, 16);
		cv.age = dw_cur_u32le(&c);
	} else if (cv.cv_signature == CV_NB10) {
		dw_cur_u32le(&c); // offset, always 0
		cv.signature = dw_cur_u32le(&c);
		cv.age       = dw_cur_u32le(&c);
	} else {
		return dw_fail(&pe->notes, DW_EUNSUPPORTED, "PE CodeView: signature 0x%08x at RVA 0x%x "
		               "is neither RSDS nor NB10", cv.cv_signature, e->rva);
	}
	if (c.err != DW_OK)
		return dw_fail(&pe->notes, DW_ETRUNC, "PE CodeView: %u-byte record at RVA 0x%x too short",
		               e->size, e->rva);
	size_t         left = dw_cur_left(&c);
	const uint8_t *p    = dw_cur_bytes(&c, left);
	const uint8_t *nul  = memchr(p, 0, left);
	if (nul == NULL)
		dw_remark(&pe->notes, "PE CodeView: PDB name at RVA 0x%x not NUL-terminated", e->rva);
	cv.pdb_name = dw_arena_strndup(&pe->arena, (const char *)p, nul ? (size_t)(nul - p) : left);
	format_debug_id(&cv);
	pe->codeview = dw_arena_alloc(&pe->arena, sizeof(*pe->codeview));
	if (pe->codeview == NULL || cv.pdb_name == NULL)
		return DW_ENOMEM;
	*pe->codeview = cv;
	return DW_OK;
}

static dw_err
read_debug(dw_pe *pe)
{
	const dw_pe_dir *d = &pe->hdr.dirs[DW_PE_DIR_DEBUG];
	if (d->rva == 0 || d->size == 0)
		return DW_OK;
	dw_cur c;
	if (dw_pe__rva_window(&c, pe, d->rva, d->size) != DW_OK) {
		dw_fail(&pe->notes, DW_ETRUNC, "PE debug directory: %u bytes at RVA 0x%x unreadable",
		        d->size, d->rva);
		return DW_OK;
	}
	size_t n = d->size / DW_PE_DEBUG_DIR_SIZE;
	dw_err rv;
	if ((rv = dw_cur_count(&c, n, DW_PE_DEBUG_DIR_SIZE, DW_MAX_PE_DEBUG_ENTRIES)) != DW_OK) {
		dw_fail(&pe->notes, rv, "PE debug directory: %zu entries (cap %u)", n,
		        DW_MAX_PE_DEBUG_ENTRIES);
		return DW_OK;
	}
	pe->debug = dw_arena_array(&pe->arena, n ? n : 1, sizeof(*pe->debug));
	if (pe->debug == NULL)
		return DW_ENOMEM;
	pe->ndebug = n;
	for (size_t i = 0; i < n; i++) {
		dw_pe_debug_entry *e = &pe->debug[i];
		e->characteristics   = dw_cur_u32le(&c);
		e->timestamp         = dw_cur_u32le(&c);
		e->major             = dw_cur_u16le(&c);
		e->minor             = dw_cur_u16le(&c);
		e->type              = dw_cur_u32le(&c);
		e->size              = dw_cur_u32le(&c);
		e->rva               = dw_cur_u32le(&c);
		e->file_offset       = dw_cur_u32le(&c);
	}
	for (size_t i = 0; i < n; i++) {
		if (pe->debug[i].type == DW_PE_DEBUG_CODEVIEW && pe->codeview == NULL) {
			if ((rv = read_codeview(pe, &pe->debug[i])) == DW_ENOMEM)
				return rv;
		}
	}
	return DW_OK;
}

// ---- object ----

dw_err
dw_pe_open(dw_pe **out, const uint8_t *data, size_t len, dw_pe_layout layout, dw_notes *notes)
{
	*out = NULL;
	dw_notes scratch;
	dw_notes_init(&scratch);
	if (notes == NULL)
		notes = &scratch;
	dw_pe *pe = calloc(1, sizeof(*pe));
	if (pe == NULL)
		return DW_ENOMEM;
	dw_arena_init(&pe->arena, 0);
	dw_notes_init(&pe->notes);
	dw_cur_init(&pe->all, data, len);
	pe->layout = layout;

	dw_err rv = read_headers(pe, notes);
	if (rv == DW_OK)
		rv = read_exports(pe);
	if (rv == DW_OK)
		rv = read_debug(pe);
	if (rv == DW_OK)
		rv = dw_pe__read_version(pe);
	if (rv == DW_OK)
		rv = dw_pe__read_pdata(pe);
	if (rv == DW_ENOMEM)
		dw_fail(notes, rv, "PE: out of memory (arena %zu bytes)", pe->arena.used);
	dw_notes_fini(&scratch);
	if (rv != DW_OK) {
		dw_pe_free(pe);
		return rv;
	}
	*out = pe;
	return DW_OK;
}

void
dw_pe_free(dw_pe *pe)
{
	if (pe == NULL)
		return;
	dw_arena_fini(&pe->arena);
	dw_notes_fini(&pe->notes);
	free(pe);
}

const dw_notes *
dw_pe_notes(const dw_pe *pe)
{
	return &pe->notes;
}

const dw_pe_headers *
dw_pe_get_headers(const dw_pe *pe)
{
	return &pe->hdr;
}

const dw_pe_section *
dw_pe_get_sections(const dw_pe *pe, size_t *n)
{
	*n = pe->nsections;
	return pe->sections;
}

const dw_pe_export *
dw_pe_get_exports(const dw_pe *pe, size_t *n)
{
	*n = pe->nexports;
	return pe->exports;
}

const char *
dw_pe_get_export_name(const dw_pe *pe)
{
	return pe->export_name;
}

const dw_pe_debug_entry *
dw_pe_get_debug_entries(const dw_pe *pe, size_t *n)
{
	*n = pe->ndebug;
	return pe->debug;
}

const dw_pe_codeview *
dw_pe_get_codeview(const dw_pe *pe)
{
	return pe->codeview;
}

const dw_pe_version *
dw_pe_get_version(const dw_pe *pe)
{
	return pe->version;
}

const char *
dw_pe_version_find(const dw_pe *pe, const char *key)
{
	if (pe->version == NULL)
		return NULL;
	for (size_t i = 0; i < pe->version->nstrings; i++) {
		if (strcmp(pe->version->strings[i].key, key) == 0)
			return pe->version->strings[i].value;
	}
	return NULL;
}

const dw_pe_function *
dw_pe_get_functions(const dw_pe *pe, size_t *n)
{
	*n = pe->nfunctions;
	return pe->functions;
}

void
dw_pe_code_id(const dw_pe *pe, char out[17])
{
	snprintf(out, 17, "%08X%x", pe->hdr.timestamp, pe->hdr.size_of_image);
}
