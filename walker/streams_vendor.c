// Vendor streams: Breakpad's MDRawBreakpadInfo (0x47670001) and
// MDRawAssertionInfo (0x47670002), from Breakpad's minidump_format.h, and
// Crashpad's MinidumpCrashpadInfo (0x43500001), from Crashpad's
// minidump/minidump_extensions.h.
#include "walker/streams_int.h"

#include <stdio.h>
#include <string.h>

#include "common/limits.h"

// ---- Breakpad -----------------------------------------------------------------------

static dw_err
parse_breakpad_info(dw_dump *d, dw_md_streams *o)
{
	dw_cur              c;
	const dw_md_stream *s = dw_dump__stream(d, DW_MD_STREAM_BREAKPAD_INFO, &c);
	if (s == NULL)
		return DW_OK;
	if (c.len < DW_MD_BREAKPAD_INFO_SIZE)
		return dw_streams__bad(d, s, DW_ETRUNC, "shorter than MDRawBreakpadInfo (%d bytes)",
		                       DW_MD_BREAKPAD_INFO_SIZE),
		       DW_OK;
	dw_md_breakpad_info *b = dw_arena_alloc(&d->arena, sizeof(*b));
	if (b == NULL)
		return DW_ENOMEM;
	b->validity             = dw_cur_u32le(&c);
	b->dump_thread_id       = dw_cur_u32le(&c);
	b->requesting_thread_id = dw_cur_u32le(&c);
	o->breakpad             = b;
	return DW_OK;
}

static dw_err
parse_assertion(dw_dump *d, dw_md_streams *o)
{
	dw_cur              c;
	const dw_md_stream *s = dw_dump__stream(d, DW_MD_STREAM_BREAKPAD_ASSERTION_INFO, &c);
	if (s == NULL)
		return DW_OK;
	if (c.len < DW_MD_ASSERTION_INFO_SIZE)
		return dw_streams__bad(d, s, DW_ETRUNC, "shorter than MDRawAssertionInfo (%d bytes)",
		                       DW_MD_ASSERTION_INFO_SIZE),
		       DW_OK;
	dw_md_assertion *a = dw_arena_alloc(&d->arena, sizeof(*a));
	if (a == NULL)
		return DW_ENOMEM;
	dw_err rv;
	if ((rv = dw_streams__utf16_fixed(d, &c, DW_MD_ASSERTION_FIELD_UNITS, &a->expression)) !=
	        DW_OK ||
	    (rv = dw_streams__utf16_fixed(d, &c, DW_MD_ASSERTION_FIELD_UNITS, &a->function)) != DW_OK ||
	    (rv = dw_streams__utf16_fixed(d, &c, DW_MD_ASSERTION_FIELD_UNITS, &a->file)) != DW_OK)
		return rv;
	a->line      = dw_cur_u32le(&c);
	a->type      = dw_cur_u32le(&c);
	o->assertion = a;
	return DW_OK;
}

dw_err
dw_streams__parse_breakpad(dw_dump *d, dw_md_streams *o)
{
	dw_err rv = parse_breakpad_info(d, o);
	return rv != DW_OK ? rv : parse_assertion(d, o);
}

const dw_md_breakpad_info *
dw_md_streams_breakpad_info(const dw_md_streams *s)
{
	return s != NULL ? s->breakpad : NULL;
}

const dw_md_assertion *
dw_md_streams_assertion(const dw_md_streams *s)
{
	return s != NULL ? s->assertion : NULL;
}

// ---- Crashpad -----------------------------------------------------------------------

// Folklore: Crashpad's structures grew over time (MinidumpCrashpadInfo gained
// `reserved` and `address_mask`, 52 -> 64 bytes; MinidumpModuleCrashpadInfo
// gained annotation_objects) and readers are expected to take what is there.
// Anything unreadable below the top record is noted and skipped; the stream
// is marked malformed but keeps what was read.

// utf8_string reads a MinidumpUTF8String (u32 length, bytes, NUL) at rva.
static dw_err
utf8_string(dw_dump *d, const dw_md_stream *s, uint32_t rva, const char *what, const char **out)
{
	*out = NULL;
	dw_cur c;
	dw_cur_tail(&c, &d->file, rva);
	uint32_t len = dw_cur_u32le(&c);
	if (c.err == DW_OK && len > DW_MAX_MD_STRING_BYTES)
		return dw_streams__bad(d, s, DW_ELIMIT, "%s: string at 0x%x claims %u bytes (limit %u)",
		                       what, rva, len, (unsigned)DW_MAX_MD_STRING_BYTES),
		       DW_OK;
	const uint8_t *p = c.err == DW_OK ? dw_cur_bytes(&c, len) : NULL;
	if (p == NULL)
		return dw_streams__bad(d, s, DW_ETRUNC, "%s: string at 0x%x extends past end of file",
		                       what, rva),
		       DW_OK;
	char *str = dw_arena_strndup(&d->arena, (const char *)p, len);
	if (str == NULL)
		return DW_ENOMEM;
	*out = str;
	return DW_OK;
}

// dictionary reads a MinidumpSimpleStringDictionary (u32 count, {key RVA,
// value RVA}[count]) at loc. Entries whose strings are unreadable are dropped.
static dw_err
dictionary(dw_dump *d, const dw_md_stream *s, dw_md_location loc, const char *what,
           const dw_md_annotation **out, size_t *count)
{
	*out   = NULL;
	*count = 0;
	if (loc.rva == 0 || loc.size == 0)
		return DW_OK;
	dw_cur c;
	if (dw_cur_window(&c, &d->file, loc.rva, loc.size) != DW_OK)
		return dw_streams__bad(d, s, DW_ETRUNC, "%s: %u bytes at 0x%x extend past end of file",
		                       what, loc.size, loc.rva),
		       DW_OK;
	uint64_t n = dw_cur_u32le(&c);
	if (c.err != DW_OK)
		return dw_streams__bad(d, s, DW_ETRUNC, "%s: count cut off", what), DW_OK;
	if (dw_streams__count(d, s, &c, &n, 8, DW_MAX_ANNOTATIONS, what) != DW_OK || n == 0)
		return DW_OK;
	dw_md_annotation *a = dw_arena_array(&d->arena, n, sizeof(*a));
	if (a == NULL)
		return DW_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t kr = dw_cur_u32le(&c), vr = dw_cur_u32le(&c);
		dw_err   rv;
		if ((rv = utf8_string(d, s, kr, what, &a[k].key)) != DW_OK ||
		    (rv = utf8_string(d, s, vr, what, &a[k].value)) != DW_OK)
			return rv;
		if (a[k].key != NULL && a[k].value != NULL)
			k++;
	}
	*out   = a;
	*count = k;
	return DW_OK;
}

// string_list reads a MinidumpRVAList of MinidumpUTF8Strings at loc.
static dw_err
string_list(dw_dump *d, const dw_md_stream *s, dw_md_location loc, const char *what,
            const char *const **out, size_t *count)
{
	*out   = NULL;
	*count = 0;
	if (loc.rva == 0 || loc.size == 0)
		return DW_OK;
	dw_cur c;
	if (dw_cur_window(&c, &d->file, loc.rva, loc.size) != DW_OK)
		return dw_streams__bad(d, s, DW_ETRUNC, "%s: %u bytes at 0x%x extend past end of file",
		                       what, loc.size, loc.rva),
		       DW_OK;
	uint64_t n = dw_cur_u32le(&c);
	if (c.err != DW_OK)
		return dw_streams__bad(d, s, DW_ETRUNC, "%s: count cut off", what), DW_OK;
	if (dw_streams__count(d, s, &c, &n, 4, DW_MAX_ANNOTATIONS, what) != DW_OK || n == 0)
		return DW_OK;
	const char **l = dw_arena_array(&d->arena, n, sizeof(*l));
	if (l == NULL)
		return DW_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		dw_err rv = utf8_string(d, s, dw_cur_u32le(&c), what, &l[k]);
		if (rv != DW_OK)
			return rv;
		k += l[k] != NULL;
	}
	*out   = l;
	*count = k;
	return DW_OK;
}

static dw_err
crashpad_module(dw_dump *d, const dw_md_stream *s, size_t i, dw_md_crashpad_module *m)
{
	dw_cur c;
	char   what[64];
	if (dw_cur_window(&c, &d->file, m->location.rva, m->location.size) != DW_OK)
		return dw_streams__bad(d, s, DW_ETRUNC,
		                       "module link %zu: %u bytes at 0x%x extend past end of file", i,
		                       m->location.size, m->location.rva),
		       DW_OK;
	m->version = dw_cur_u32le(&c);
	dw_md_location list, simple;
	list.size   = dw_cur_u32le(&c);
	list.rva    = dw_cur_u32le(&c);
	simple.size = dw_cur_u32le(&c);
	simple.rva  = dw_cur_u32le(&c);
	if (c.err != DW_OK)
		return dw_streams__bad(d, s, DW_ETRUNC,
		                       "module link %zu: MinidumpModuleCrashpadInfo at 0x%x cut off", i,
		                       m->location.rva),
		       DW_OK;
	m->parsed = true;
	dw_err rv;
	snprintf(what, sizeof(what), "module %u list annotations", m->module_index);
	if ((rv = string_list(d, s, list, what, &m->list_annotations, &m->list_annotation_count)) !=
	    DW_OK)
		return rv;
	snprintf(what, sizeof(what), "module %u simple annotations", m->module_index);
	return dictionary(d, s, simple, what, &m->simple_annotations, &m->simple_annotation_count);
}

dw_err
dw_streams__parse_crashpad(dw_dump *d, dw_md_streams *o)
{
	dw_cur              c;
	const dw_md_stream *s = dw_dump__stream(d, DW_MD_STREAM_CRASHPAD_INFO, &c);
	if (s == NULL)
		return DW_OK;
	if (c.len < DW_MD_CRASHPAD_INFO_MIN_SIZE)
		return dw_streams__bad(d, s, DW_ETRUNC, "shorter than MinidumpCrashpadInfo (%d bytes)",
		                       DW_MD_CRASHPAD_INFO_MIN_SIZE),
		       DW_OK;
	dw_md_crashpad_info *ci = dw_arena_alloc(&d->arena, sizeof(*ci));
	if (ci == NULL)
		return DW_ENOMEM;
	ci->version = dw_cur_u32le(&c);
	dw_cur_copy(&c, ci->report_id, 16);
	dw_cur_copy(&c, ci->client_id, 16);
	dw_md_location simple, modules;
	simple.size  = dw_cur_u32le(&c);
	simple.rva   = dw_cur_u32le(&c);
	modules.size = dw_cur_u32le(&c);
	modules.rva  = dw_cur_u32le(&c);
	if (c.len >= 64) {
		(void)dw_cur_u32le(&c); // reserved
		ci->address_mask     = dw_cur_u64le(&c);
		ci->has_address_mask = true;
	}
	if (ci->version != 1)
		dw_remark(&d->notes, "CrashpadInfoStream at offset 0x%x: version %u (expected 1)",
		          s->rva, ci->version);
	o->crashpad = ci; // published now: everything below is optional

	dw_err rv = dictionary(d, s, simple, "simple annotations", &ci->annotations,
	                       &ci->annotation_count);
	if (rv != DW_OK || modules.rva == 0 || modules.size == 0)
		return rv;
	dw_cur ml;
	if (dw_cur_window(&ml, &d->file, modules.rva, modules.size) != DW_OK)
		return dw_streams__bad(d, s, DW_ETRUNC,
		                       "module list: %u bytes at 0x%x extend past end of file",
		                       modules.size, modules.rva),
		       DW_OK;
	uint64_t n = dw_cur_u32le(&ml);
	if (ml.err != DW_OK)
		return dw_streams__bad(d, s, DW_ETRUNC, "module list count cut off"), DW_OK;
	// MinidumpModuleCrashpadInfoLink: u32 index + MINIDUMP_LOCATION_DESCRIPTOR, packed.
	if (dw_streams__count(d, s, &ml, &n, 12, DW_MAX_MODULES, "module links") != DW_OK || n == 0)
		return DW_OK;
	dw_md_crashpad_module *m = dw_arena_array(&d->arena, n, sizeof(*m));
	if (m == NULL)
		return DW_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		m[i].module_index  = dw_cur_u32le(&ml);
		m[i].location.size = dw_cur_u32le(&ml);
		m[i].location.rva  = dw_cur_u32le(&ml);
		if ((rv = crashpad_module(d, s, i, &m[i])) != DW_OK)
			return rv;
	}
	ci->modules      = m;
	ci->module_count = n;
	return DW_OK;
}

const dw_md_crashpad_info *
dw_md_streams_crashpad_info(const dw_md_streams *s)
{
	return s != NULL ? s->crashpad : NULL;
}
