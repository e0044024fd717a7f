// ModuleList and UnloadedModuleList streams, with each module's CodeView and
// misc debug records.
//
// Layouts: MINIDUMP_MODULE (108 bytes), MINIDUMP_UNLOADED_MODULE_LIST and
// MINIDUMP_UNLOADED_MODULE (24 bytes) from minidumpapiset.h; VS_FIXEDFILEINFO
// from verrsrc.h; CV_INFO_PDB70 ("RSDS") and CV_INFO_PDB20 ("NB10") from the
// PE/COFF and CodeView documentation; IMAGE_DEBUG_MISC from winnt.h.
#include "walker/dump_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "common/text.h"
#include "walker/vmlayout.h"

#define CV_RSDS_MIN_SIZE 24 // signature, GUID, age (name follows)
#define CV_NB10_MIN_SIZE 16 // signature, offset, timestamp signature, age
#define MD_UNLOADED_LIST_HEADER_SIZE 12
#define IMAGE_DEBUG_MISC_HEADER_SIZE 12 // DataType, Length, Unicode, Reserved[3]

// cv_name copies the NUL-terminated (or record-ending) PDB path that ends a
// CodeView record.
static dw_err
cv_name(dw_dump *d, dw_cur *c, const char **out)
{
	size_t         left = dw_cur_left(c);
	const uint8_t *p    = dw_cur_bytes(c, left);
	size_t         n    = 0;
	while (n < left && p[n] != 0)
		n++;
	char *s = dw_arena_strndup(&d->arena, (const char *)p, n);
	if (s == NULL)
		return DW_ENOMEM;
	*out = s;
	return DW_OK;
}

static dw_err
parse_codeview(dw_dump *d, dw_md_module *m, const char *what)
{
	dw_cur c;
	if (m->cv_loc.size == 0)
		return DW_OK;
	if (m->cv_loc.size > DW_MAX_CODEVIEW_BYTES) {
		dw_fail(&d->notes, DW_ELIMIT,
		        "%s: CodeView record of %u bytes at offset 0x%x exceeds the limit of %u; "
		        "ignored",
		        what, m->cv_loc.size, m->cv_loc.rva, (unsigned)DW_MAX_CODEVIEW_BYTES);
		return DW_OK;
	}
	if (dw_dump__location(d, m->cv_loc, what, &c) != DW_OK)
		return DW_OK;
	uint32_t sig = dw_cur_u32le(&c);
	if (c.err != DW_OK) {
		dw_fail(&d->notes, DW_ETRUNC, "%s: CodeView record of %u bytes at offset 0x%x is cut off",
		        what, m->cv_loc.size, m->cv_loc.rva);
		return DW_OK;
	}
	dw_md_codeview *cv = dw_arena_alloc(&d->arena, sizeof(*cv));
	if (cv == NULL)
		return DW_ENOMEM;
	cv->signature = sig;
	if (sig == DW_MD_CV_SIGNATURE_RSDS) {
		if (m->cv_loc.size < CV_RSDS_MIN_SIZE) {
			dw_fail(&d->notes, DW_ETRUNC,
			        "%s: RSDS CodeView record at offset 0x%x is %u bytes, shorter than %d",
			        what, m->cv_loc.rva, m->cv_loc.size, CV_RSDS_MIN_SIZE);
			return DW_OK;
		}
		dw_cur_copy(&c, cv->guid, 16);
		cv->age = dw_cur_u32le(&c);
		if (cv_name(d, &c, &cv->pdb_name) != DW_OK)
			return DW_ENOMEM;
		// Breakpad's debug identifier: the GUID as Data1-Data2-Data3-Data4
		// without dashes (uppercase) and the age in lowercase hex.
		const uint8_t *g = cv->guid;
		char          *o = m->debug_id; // 32 GUID digits + at most 8 of age < 41
		o += dw_fmt_hex(o, dw_get_u32le(g), 8, true);
		o += dw_fmt_hex(o, dw_get_u16le(g + 4), 4, true);
		o += dw_fmt_hex(o, dw_get_u16le(g + 6), 4, true);
		dw_hex_upper(o, g + 8, 8);
		dw_fmt_hex(o + 16, cv->age, 1, false);
	} else if (sig == DW_MD_CV_SIGNATURE_NB10) {
		if (m->cv_loc.size < CV_NB10_MIN_SIZE) {
			dw_fail(&d->notes, DW_ETRUNC,
			        "%s: NB10 CodeView record at offset 0x%x is %u bytes, shorter than %d",
			        what, m->cv_loc.rva, m->cv_loc.size, CV_NB10_MIN_SIZE);
			return DW_OK;
		}
		cv->nb10_offset    = dw_cur_u32le(&c);
		cv->nb10_signature = dw_cur_u32le(&c);
		cv->age            = dw_cur_u32le(&c);
		if (cv_name(d, &c, &cv->pdb_name) != DW_OK)
			return DW_ENOMEM;
		size_t k = dw_fmt_hex(m->debug_id, cv->nb10_signature, 8, true);
		dw_fmt_hex(m->debug_id + k, cv->age, 1, false);
	} else {
		// Neither PDB form (e.g. an ELF build id from a cross-platform writer):
		// not an error in the dump, just nothing we can name a PDB from.
		dw_remark(&d->notes,
		          "%s: CodeView record at offset 0x%x has signature 0x%08x, neither RSDS nor "
		          "NB10; no debug identifier",
		          what, m->cv_loc.rva, sig);
		return DW_OK;
	}
	m->cv = cv;
	return DW_OK;
}

static dw_err
parse_misc(dw_dump *d, dw_md_module *m, const char *what)
{
	dw_cur c;
	if (m->misc_loc.size == 0)
		return DW_OK;
	if (m->misc_loc.size > DW_MAX_CODEVIEW_BYTES) {
		dw_fail(&d->notes, DW_ELIMIT, "%s: misc debug record of %u bytes exceeds the limit of %u",
		        what, m->misc_loc.size, (unsigned)DW_MAX_CODEVIEW_BYTES);
		return DW_OK;
	}
	if (dw_dump__location(d, m->misc_loc, what, &c) != DW_OK)
		return DW_OK;
	uint32_t type   = dw_cur_u32le(&c);
	uint32_t length = dw_cur_u32le(&c);
	uint8_t  uni    = dw_cur_u8(&c);
	dw_cur_skip(&c, 3);
	if (c.err != DW_OK) {
		dw_fail(&d->notes, DW_ETRUNC,
		        "%s: misc debug record at offset 0x%x is %u bytes, shorter than its %d-byte "
		        "header",
		        what, m->misc_loc.rva, m->misc_loc.size, IMAGE_DEBUG_MISC_HEADER_SIZE);
		return DW_OK;
	}
	// Length counts the whole record; trust the smaller of it and the location.
	size_t n = dw_cur_left(&c);
	if (length >= IMAGE_DEBUG_MISC_HEADER_SIZE && length - IMAGE_DEBUG_MISC_HEADER_SIZE < n)
		n = length - IMAGE_DEBUG_MISC_HEADER_SIZE;
	const uint8_t     *p  = dw_cur_bytes(&c, n);
	dw_md_misc_record *mr = dw_arena_alloc(&d->arena, sizeof(*mr));
	if (mr == NULL)
		return DW_ENOMEM;
	mr->data_type = type;
	mr->unicode   = uni != 0;
	char *name;
	if (mr->unicode) {
		if (dw_utf16le_to_utf8(&name, &d->arena, p, n) != DW_OK)
			return DW_ENOMEM;
	} else {
		size_t k = 0;
		while (k < n && p[k] != 0)
			k++;
		if ((name = dw_arena_strndup(&d->arena, (const char *)p, k)) == NULL)
			return DW_ENOMEM;
	}
	mr->name = name;
	m->misc  = mr;
	return DW_OK;
}

static void
read_version(dw_cur *c, dw_md_version_info *v)
{
	v->signature          = dw_cur_u32le(c);
	v->struc_version      = dw_cur_u32le(c);
	v->file_version_ms    = dw_cur_u32le(c);
	v->file_version_ls    = dw_cur_u32le(c);
	v->product_version_ms = dw_cur_u32le(c);
	v->product_version_ls = dw_cur_u32le(c);
	v->file_flags_mask    = dw_cur_u32le(c);
	v->file_flags         = dw_cur_u32le(c);
	v->file_os            = dw_cur_u32le(c);
	v->file_type          = dw_cur_u32le(c);
	v->file_subtype       = dw_cur_u32le(c);
	v->file_date_ms       = dw_cur_u32le(c);
	v->file_date_ls       = dw_cur_u32le(c);
}

// Module indices sorted by base, as (base, index) pairs.
typedef struct base_idx {
	uint64_t base;
	size_t   idx;
} base_idx;

static int
cmp_base_idx(const void *a, const void *b)
{
	const base_idx *x = a, *y = b;
	if (x->base != y->base)
		return x->base < y->base ? -1 : 1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

static dw_err
build_index(dw_dump *d)
{
	size_t    n   = d->module_count;
	base_idx *tmp = malloc(n * sizeof(*tmp) + 1);
	if (tmp == NULL)
		return DW_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		tmp[i].base = d->modules[i].base;
		tmp[i].idx  = i;
	}
	qsort(tmp, n, sizeof(*tmp), cmp_base_idx);
	d->module_by_base = dw_arena_array(&d->arena, n, sizeof(size_t));
	if (d->module_by_base == NULL) {
		free(tmp);
		return DW_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		d->module_by_base[i] = tmp[i].idx;
	free(tmp);
	return DW_OK;
}

static dw_err
parse_module_list(dw_dump *d)
{
	dw_cur              c;
	const dw_md_stream *s = dw_dump__stream(d, DW_MD_STREAM_MODULE_LIST, &c);
	if (s == NULL)
		return DW_OK;
	uint32_t n;
	dw_err   rv = dw_dump__list_count(d, s, &c, DW_MD_MODULE_SIZE, DW_MAX_MODULES,
	                                  "ModuleListStream", &n);
	if (rv != DW_OK)
		dw_dump__mark(d, s, DW_MD_STREAM_MALFORMED);
	if (n == 0)
		return DW_OK;
	dw_md_module *mods = dw_arena_array(&d->arena, n, sizeof(*mods));
	if (mods == NULL)
		return DW_ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		dw_md_module *m    = &mods[i];
		m->base            = dw_cur_u64le(&c);
		m->size            = dw_cur_u32le(&c);
		m->checksum        = dw_cur_u32le(&c);
		m->time_date_stamp = dw_cur_u32le(&c);
		uint32_t name_rva  = dw_cur_u32le(&c);
		read_version(&c, &m->version);
		m->has_version   = m->version.signature == DW_MD_VS_FFI_SIGNATURE;
		m->cv_loc.size   = dw_cur_u32le(&c);
		m->cv_loc.rva    = dw_cur_u32le(&c);
		m->misc_loc.size = dw_cur_u32le(&c);
		m->misc_loc.rva  = dw_cur_u32le(&c);
		dw_cur_skip(&c, 16); // Reserved0, Reserved1
		if (c.err != DW_OK)  // cannot happen: the count was checked
			return dw_fail(&d->notes, DW_ETRUNC, "ModuleListStream: module %u cut off", i);

		// Names for error messages, needed for every module: printf cost
		// more than the rest of the module's parse.
		static const char prefix[] = "ModuleListStream module ";
		char              what[64], nwhat[80];
		memcpy(what, prefix, sizeof(prefix) - 1);
		size_t wl = sizeof(prefix) - 1 + dw_fmt_u(what + sizeof(prefix) - 1, i);
		memcpy(nwhat, what, wl);
		memcpy(nwhat + wl, " name", sizeof(" name"));
		if ((rv = dw_dump__string(d, name_rva, nwhat, &m->name)) == DW_ENOMEM)
			return rv;
		if (m->name == NULL)
			m->name = "";
		// Every detector and report line asks these of a module, many
		// times per analysis: answered once here.
		m->basename  = dw_vml_basename(m->name);
		m->is_system = dw_vml_path_is_system(m->name);
		// Symbol servers index images by TimeDateStamp and SizeOfImage.
		size_t k = dw_fmt_hex(m->code_id, m->time_date_stamp, 8, true); // "%08X%x"
		dw_fmt_hex(m->code_id + k, m->size, 1, false);
		if ((rv = parse_codeview(d, m, what)) != DW_OK || (rv = parse_misc(d, m, what)) != DW_OK)
			return rv;
	}
	d->modules      = mods;
	d->module_count = n;
	return build_index(d);
}

static dw_err
parse_unloaded(dw_dump *d)
{
	dw_cur              c;
	const dw_md_stream *s = dw_dump__stream(d, DW_MD_STREAM_UNLOADED_MODULE_LIST, &c);
	if (s == NULL)
		return DW_OK;
	uint32_t hsize = dw_cur_u32le(&c);
	uint32_t esize = dw_cur_u32le(&c);
	uint32_t n     = dw_cur_u32le(&c);
	dw_err   rv;
	if (c.err != DW_OK || hsize < MD_UNLOADED_LIST_HEADER_SIZE ||
	    esize < DW_MD_UNLOADED_MODULE_SIZE || dw_cur_seek(&c, hsize) != DW_OK) {
		dw_fail(&d->notes, c.err != DW_OK ? DW_ETRUNC : DW_ECORRUPT,
		        "UnloadedModuleListStream at offset 0x%x: bad header (%u bytes: header size "
		        "%u, entry size %u); stream ignored",
		        s->rva, s->size, hsize, esize);
		dw_dump__mark(d, s, DW_MD_STREAM_MALFORMED);
		return DW_OK;
	}
	if ((rv = dw_cur_count(&c, n, esize, DW_MAX_MODULES)) != DW_OK) {
		if (rv == DW_ELIMIT) {
			dw_fail(&d->notes, DW_ELIMIT,
			        "UnloadedModuleListStream at offset 0x%x: %u entries, more than the "
			        "limit of %u; stream ignored",
			        s->rva, n, (unsigned)DW_MAX_MODULES);
			dw_dump__mark(d, s, DW_MD_STREAM_MALFORMED);
			return DW_OK;
		}
		uint32_t fit = (uint32_t)(dw_cur_left(&c) / esize);
		dw_fail(&d->notes, DW_ETRUNC,
		        "UnloadedModuleListStream at offset 0x%x: declares %u entries but its %u "
		        "bytes hold only %u; reading those",
		        s->rva, n, s->size, fit);
		dw_dump__mark(d, s, DW_MD_STREAM_MALFORMED);
		n = fit;
	}
	if (n == 0)
		return DW_OK;
	dw_md_unloaded_module *u = dw_arena_array(&d->arena, n, sizeof(*u));
	if (u == NULL)
		return DW_ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		dw_cur e;
		dw_cur_window(&e, &c, c.off + (uint64_t)i * esize, esize);
		u[i].base            = dw_cur_u64le(&e);
		u[i].size            = dw_cur_u32le(&e);
		u[i].checksum        = dw_cur_u32le(&e);
		u[i].time_date_stamp = dw_cur_u32le(&e);
		uint32_t name_rva    = dw_cur_u32le(&e);
		char     what[64];
		snprintf(what, sizeof(what), "UnloadedModuleListStream entry %u name", i);
		if ((rv = dw_dump__string(d, name_rva, what, &u[i].name)) == DW_ENOMEM)
			return rv;
		if (u[i].name == NULL)
			u[i].name = "";
	}
	d->unloaded       = u;
	d->unloaded_count = n;
	return DW_OK;
}

dw_err
dw_dump__parse_modules(dw_dump *d)
{
	dw_err rv = parse_module_list(d);
	if (rv != DW_OK)
		return rv;
	return parse_unloaded(d);
}

const dw_md_module *
dw_dump_module_at(const dw_dump *d, uint64_t addr)
{
	size_t lo = 0, hi = d->module_count;
	while (lo < hi) { // first module (by base) with base > addr
		size_t mid = lo + (hi - lo) / 2;
		if (d->modules[d->module_by_base[mid]].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const dw_md_module *m = &d->modules[d->module_by_base[lo - 1]];
	return addr - m->base < m->size ? m : NULL;
}
