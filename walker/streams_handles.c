// HandleData (descriptors, names, object-information chains, counts per type)
// and FunctionTable. Layouts: minidumpapiset.h; object-information payloads
// are inferred (see walker/streams.h).
#include "walker/streams_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"

// ---- Names ------------------------------------------------------------------------

// dbghelp writes each type name once and points every descriptor of that type
// at it, so a small cache keyed by RVA turns 300 conversions into ~20 and keeps
// a crafted stream that points a million descriptors at one 64 KiB string
// from converting it a million times.
#define NAME_CACHE 256

typedef struct name_reader {
	struct {
		uint32_t    rva;
		const char *str;
	} cache[NAME_CACHE];
	size_t budget; // UTF-16 bytes we may still convert (DW_MAX_HANDLE_NAME_BYTES)
	bool   over;   // the budget ran out (noted once)
} name_reader;

static dw_err
read_name(dw_dump *d, const dw_md_stream *s, name_reader *nr, uint32_t rva, size_t idx,
          const char *which, const char **out)
{
	*out = NULL;
	if (rva == 0)
		return DW_OK;
	size_t slot = (rva >> 1) % NAME_CACHE;
	if (nr->cache[slot].rva == rva && nr->cache[slot].str != NULL) {
		*out = nr->cache[slot].str;
		return DW_OK;
	}
	dw_cur c;
	if (dw_cur_tail(&c, &d->file, rva) == DW_OK) {
		uint32_t len = dw_cur_u32le(&c);
		if (c.err == DW_OK && len > nr->budget) {
			if (!nr->over)
				dw_streams__bad(d, s, DW_ELIMIT,
				                "names past descriptor %zu exceed %u bytes in total; left out",
				                idx, (unsigned)DW_MAX_HANDLE_NAME_BYTES);
			nr->over = true;
			return DW_OK;
		}
		if (c.err == DW_OK)
			nr->budget -= len;
	}
	char what[80];
	snprintf(what, sizeof(what), "HandleDataStream descriptor %zu %s name", idx, which);
	dw_err rv = dw_dump__string(d, rva, what, out);
	if (rv == DW_ENOMEM)
		return rv;
	if (*out != NULL) {
		nr->cache[slot].rva = rva;
		nr->cache[slot].str = *out;
	}
	return DW_OK;
}

// ---- Object information ------------------------------------------------------------

const char *
dw_md_handle_info_type_name(uint32_t type)
{
	static const char *const names[] = {
	    "None",
	    "ThreadInformation1",
	    "MutantInformation1",
	    "MutantInformation2",
	    "ProcessInformation1",
	    "ProcessInformation2",
	    "EventInformation1",
	    "SectionInformation1",
	    "SemaphoreInformation1",
	};
	return type < sizeof(names) / sizeof(names[0]) ? names[type] : NULL;
}

// decode_info fills the inferred members. The kernel structures hold pointers
// and CLIENT_IDs, so their size tells a 64-bit writer from a 32-bit one:
// THREAD_BASIC_INFORMATION is 48 or 28 bytes, CLIENT_ID 16 or 8, and
// SECTION_BASIC_INFORMATION 24 or 16.
static void
decode_info(dw_md_handle_object_info *in)
{
	dw_cur c;
	dw_cur_init(&c, in->data, in->size);
	bool wide;
	switch (in->type) {
	case DW_MD_HANDLE_INFO_THREAD_1:
		if (in->size < 28)
			return;
		wide                       = in->size >= 48;
		in->u.thread.exit_status   = dw_cur_u32le(&c);
		if (wide)
			(void)dw_cur_u32le(&c);
		in->u.thread.teb           = wide ? dw_cur_u64le(&c) : dw_cur_u32le(&c);
		in->u.thread.process_id    = wide ? dw_cur_u64le(&c) : dw_cur_u32le(&c);
		in->u.thread.thread_id     = wide ? dw_cur_u64le(&c) : dw_cur_u32le(&c);
		in->u.thread.affinity      = wide ? dw_cur_u64le(&c) : dw_cur_u32le(&c);
		in->u.thread.priority      = dw_cur_i32le(&c);
		in->u.thread.base_priority = dw_cur_i32le(&c);
		break;
	case DW_MD_HANDLE_INFO_MUTANT_1:
		if (in->size < 6)
			return;
		in->u.mutant.current_count   = dw_cur_i32le(&c);
		in->u.mutant.owned_by_caller = dw_cur_u8(&c) != 0;
		in->u.mutant.abandoned       = dw_cur_u8(&c) != 0;
		break;
	case DW_MD_HANDLE_INFO_MUTANT_2:
		if (in->size < 8)
			return;
		wide                                = in->size >= 16;
		in->u.mutant_owner.owner_process_id = wide ? dw_cur_u64le(&c) : dw_cur_u32le(&c);
		in->u.mutant_owner.owner_thread_id  = wide ? dw_cur_u64le(&c) : dw_cur_u32le(&c);
		break;
	case DW_MD_HANDLE_INFO_EVENT_1:
		if (in->size < 8)
			return;
		in->u.event.event_type  = dw_cur_u32le(&c);
		in->u.event.event_state = dw_cur_i32le(&c);
		break;
	case DW_MD_HANDLE_INFO_SECTION_1:
		if (in->size < 16)
			return;
		wide                     = in->size >= 24;
		in->u.section.base_address          = wide ? dw_cur_u64le(&c) : dw_cur_u32le(&c);
		in->u.section.allocation_attributes = dw_cur_u32le(&c);
		if (wide)
			(void)dw_cur_u32le(&c);
		in->u.section.maximum_size = dw_cur_u64le(&c);
		break;
	case DW_MD_HANDLE_INFO_SEMAPHORE_1:
		if (in->size < 8)
			return;
		in->u.semaphore.current_count = dw_cur_i32le(&c);
		in->u.semaphore.maximum_count = dw_cur_i32le(&c);
		break;
	default: return; // None, Process1/2: no public layout; raw bytes only
	}
	in->decoded = c.err == DW_OK;
}

// Folklore: object-information records form a singly linked list through
// NextInfoRva, file offsets chosen by the writer. A corrupt or hostile dump can
// point a record at itself or an earlier one (a loop), or past the end of the
// file. We follow at most DW_MAX_HANDLE_OBJECT_INFOS records, stop at the first
// RVA seen before or out of range, note it, and keep the records read so far.
static dw_err
read_infos(dw_dump *d, const dw_md_stream *s, size_t idx, dw_md_handle *h)
{
	dw_md_handle_object_info tmp[DW_MAX_HANDLE_OBJECT_INFOS];
	size_t                   k   = 0;
	uint32_t                 rva = h->object_info_rva;
	while (rva != 0) {
		bool loop = false;
		for (size_t j = 0; j < k; j++)
			loop = loop || tmp[j].rva == rva;
		if (loop) {
			dw_streams__bad(d, s, DW_ECORRUPT,
			                "descriptor %zu: object information at 0x%x links back to an "
			                "earlier record (a loop); chain stopped after %zu",
			                idx, rva, k);
			break;
		}
		if (k == DW_MAX_HANDLE_OBJECT_INFOS) {
			dw_streams__bad(d, s, DW_ELIMIT,
			                "descriptor %zu: more than %d object information records; chain "
			                "stopped",
			                idx, DW_MAX_HANDLE_OBJECT_INFOS);
			break;
		}
		dw_cur c;
		dw_cur_tail(&c, &d->file, rva);
		uint32_t next = dw_cur_u32le(&c), type = dw_cur_u32le(&c), size = dw_cur_u32le(&c);
		const uint8_t *data = c.err == DW_OK ? dw_cur_bytes(&c, size) : NULL;
		if (data == NULL) {
			dw_streams__bad(d, s, DW_ETRUNC,
			                "descriptor %zu: object information at 0x%x (%u bytes) extends past "
			                "end of file; chain stopped after %zu",
			                idx, rva, c.err == DW_OK ? size : 0, k);
			break;
		}
		dw_md_handle_object_info *in = &tmp[k++];
		memset(in, 0, sizeof(*in));
		in->rva  = rva;
		in->type = type;
		in->size = size;
		in->data = data;
		decode_info(in);
		rva = next;
	}
	if (k == 0)
		return DW_OK;
	dw_md_handle_object_info *infos = dw_arena_array(&d->arena, k, sizeof(*infos));
	if (infos == NULL)
		return DW_ENOMEM;
	memcpy(infos, tmp, k * sizeof(*infos));
	h->infos      = infos;
	h->info_count = k;
	return DW_OK;
}

// ---- Counts per type -------------------------------------------------------------

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
cmp_type_count(const void *a, const void *b)
{
	const dw_md_handle_type_count *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->type_name, y->type_name);
}

static dw_err
count_types(dw_dump *d, dw_md_streams *o)
{
	const dw_md_handle_data *hd = o->handles;
	if (hd->count == 0)
		return DW_OK;
	const char **names = malloc(hd->count * sizeof(*names));
	if (names == NULL)
		return DW_ENOMEM;
	for (size_t i = 0; i < hd->count; i++)
		names[i] = hd->handles[i].type_name != NULL ? hd->handles[i].type_name : "";
	qsort(names, hd->count, sizeof(*names), cmp_str);
	size_t distinct = 1;
	for (size_t i = 1; i < hd->count; i++)
		distinct += strcmp(names[i - 1], names[i]) != 0;
	dw_md_handle_type_count *t = dw_arena_array(&d->arena, distinct, sizeof(*t));
	if (t == NULL) {
		free(names);
		return DW_ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < hd->count; i++) {
		if (i == 0 || strcmp(names[i - 1], names[i]) != 0)
			t[k++].type_name = names[i];
		t[k - 1].count++;
	}
	free(names);
	qsort(t, k, sizeof(*t), cmp_type_count);
	o->handle_types      = t;
	o->handle_type_count = k;
	return DW_OK;
}

// ---- HandleData --------------------------------------------------------------------

dw_err
dw_streams__parse_handles(dw_dump *d, dw_md_streams *o)
{
	dw_cur              c, body;
	const dw_md_stream *s = dw_dump__stream(d, DW_MD_STREAM_HANDLE_DATA, &c);
	if (s == NULL)
		return DW_OK;
	dw_md_handle_data hd = {0};
	hd.size_of_header        = dw_cur_u32le(&c);
	hd.size_of_descriptor    = dw_cur_u32le(&c);
	hd.number_of_descriptors = dw_cur_u32le(&c);
	(void)dw_cur_u32le(&c); // Reserved
	if (c.err != DW_OK)
		return dw_streams__bad(d, s, DW_ETRUNC, "header cut off"), DW_OK;
	if (hd.size_of_header < DW_MD_HANDLE_DATA_HEADER_SIZE || hd.size_of_header > c.len)
		return dw_streams__bad(d, s, DW_ECORRUPT, "SizeOfHeader %u is outside [%d, %zu]",
		                       hd.size_of_header, DW_MD_HANDLE_DATA_HEADER_SIZE, c.len),
		       DW_OK;
	if (hd.size_of_descriptor < DW_MD_HANDLE_DESCRIPTOR_SIZE)
		return dw_streams__bad(d, s, DW_ECORRUPT,
		                       "SizeOfDescriptor %u is smaller than MINIDUMP_HANDLE_DESCRIPTOR "
		                       "(%d bytes)",
		                       hd.size_of_descriptor, DW_MD_HANDLE_DESCRIPTOR_SIZE),
		       DW_OK;
	bool v2 = hd.size_of_descriptor >= DW_MD_HANDLE_DESCRIPTOR_2_SIZE;
	if (hd.size_of_descriptor != DW_MD_HANDLE_DESCRIPTOR_SIZE &&
	    hd.size_of_descriptor != DW_MD_HANDLE_DESCRIPTOR_2_SIZE)
		dw_remark(&d->notes,
		          "HandleDataStream at offset 0x%x: SizeOfDescriptor %u is neither 32 nor 40; "
		          "reading the first %d bytes of each",
		          s->rva, hd.size_of_descriptor,
		          v2 ? DW_MD_HANDLE_DESCRIPTOR_2_SIZE : DW_MD_HANDLE_DESCRIPTOR_SIZE);
	dw_cur_tail(&body, &c, hd.size_of_header);
	uint64_t n = hd.number_of_descriptors;
	if (dw_streams__count(d, s, &body, &n, hd.size_of_descriptor, DW_MAX_HANDLES,
	                      "handle descriptors") != DW_OK)
		return DW_OK;
	dw_md_handle *h = dw_arena_array(&d->arena, n ? n : 1, sizeof(*h));
	if (h == NULL)
		return DW_ENOMEM;
	name_reader *nr = calloc(1, sizeof(*nr));
	if (nr == NULL)
		return DW_ENOMEM;
	nr->budget = DW_MAX_HANDLE_NAME_BYTES;
	dw_err rv  = DW_OK;
	for (size_t i = 0; i < n && rv == DW_OK; i++) {
		dw_cur e;
		dw_cur_window(&e, &body, (uint64_t)i * hd.size_of_descriptor, hd.size_of_descriptor);
		h[i].handle         = dw_cur_u64le(&e);
		uint32_t type_rva   = dw_cur_u32le(&e);
		uint32_t object_rva = dw_cur_u32le(&e);
		h[i].attributes     = dw_cur_u32le(&e);
		h[i].granted_access = dw_cur_u32le(&e);
		h[i].handle_count   = dw_cur_u32le(&e);
		h[i].pointer_count  = dw_cur_u32le(&e);
		if (v2)
			h[i].object_info_rva = dw_cur_u32le(&e);
		if ((rv = read_name(d, s, nr, type_rva, i, "type", &h[i].type_name)) != DW_OK ||
		    (rv = read_name(d, s, nr, object_rva, i, "object", &h[i].object_name)) != DW_OK ||
		    (rv = read_infos(d, s, i, &h[i])) != DW_OK)
			break;
	}
	free(nr);
	if (rv != DW_OK)
		return rv;
	dw_md_handle_data *out = dw_arena_alloc(&d->arena, sizeof(*out));
	if (out == NULL)
		return DW_ENOMEM;
	*out         = hd;
	out->handles = h;
	out->count   = n;
	o->handles   = out;
	if ((rv = count_types(d, o)) != DW_OK)
		o->handles = NULL; // all or nothing: counts without handles would mislead
	return rv;
}

const dw_md_handle_data *
dw_md_streams_handle_data(const dw_md_streams *s)
{
	return s != NULL ? s->handles : NULL;
}

const dw_md_handle_type_count *
dw_md_streams_handle_type_counts(const dw_md_streams *s, size_t *count, size_t *total)
{
	*count = s != NULL ? s->handle_type_count : 0;
	if (total != NULL)
		*total = s != NULL && s->handles != NULL ? s->handles->count : 0;
	return s != NULL ? s->handle_types : NULL;
}

size_t
dw_md_streams_handle_count_of(const dw_md_streams *s, const char *type_name)
{
	for (size_t i = 0; s != NULL && i < s->handle_type_count; i++)
		if (strcmp(s->handle_types[i].type_name, type_name) == 0)
			return s->handle_types[i].count;
	return 0;
}

// ---- FunctionTable --------------------------------------------------------------------

// Folklore: the stream header's SizeOfAlignPad sits between the header and the
// first descriptor, and each descriptor's own pad after its entries. In
// electron-node-minidump/windows.dmp the header says pad 4 and the first
// descriptor (Minimum 0x1fcaa00000) starts at byte 28, its 112-byte native
// DYNAMIC_FUNCTION_TABLE at 60 and its one RUNTIME_FUNCTION {0, 0x20000000,
// 0xc} at 172. Some writers leave a few bytes after the last table
// (symbolic-unreal/UE4Minidump.dmp: 4); those are ignored.
dw_err
dw_streams__parse_function_tables(dw_dump *d, dw_md_streams *o)
{
	dw_cur              c, body;
	const dw_md_stream *s = dw_dump__stream(d, DW_MD_STREAM_FUNCTION_TABLE, &c);
	if (s == NULL)
		return DW_OK;
	dw_md_function_tables ft = {0};
	ft.size_of_header            = dw_cur_u32le(&c);
	ft.size_of_descriptor        = dw_cur_u32le(&c);
	ft.size_of_native_descriptor = dw_cur_u32le(&c);
	ft.size_of_function_entry    = dw_cur_u32le(&c);
	ft.number_of_descriptors     = dw_cur_u32le(&c);
	ft.size_of_align_pad         = dw_cur_u32le(&c);
	if (c.err != DW_OK)
		return dw_streams__bad(d, s, DW_ETRUNC, "header cut off"), DW_OK;
	if (ft.size_of_header < DW_MD_FUNCTION_TABLE_HEADER_SIZE ||
	    dw_cur_tail(&body, &c, (uint64_t)ft.size_of_header + ft.size_of_align_pad) != DW_OK)
		return dw_streams__bad(d, s, DW_ECORRUPT,
		                       "SizeOfHeader %u plus SizeOfAlignPad %u is outside [%d, %zu]",
		                       ft.size_of_header, ft.size_of_align_pad,
		                       DW_MD_FUNCTION_TABLE_HEADER_SIZE, c.len),
		       DW_OK;
	if (ft.size_of_descriptor < DW_MD_FUNCTION_TABLE_DESCRIPTOR_SIZE)
		return dw_streams__bad(d, s, DW_ECORRUPT,
		                       "SizeOfDescriptor %u is smaller than "
		                       "MINIDUMP_FUNCTION_TABLE_DESCRIPTOR (%d bytes)",
		                       ft.size_of_descriptor, DW_MD_FUNCTION_TABLE_DESCRIPTOR_SIZE),
		       DW_OK;
	uint64_t n = ft.number_of_descriptors;
	if (dw_streams__count(d, s, &body, &n, ft.size_of_descriptor, DW_MAX_FUNCTION_TABLES,
	                      "function table descriptors") != DW_OK)
		return DW_OK;
	dw_md_function_table *t = dw_arena_array(&d->arena, n ? n : 1, sizeof(*t));
	if (t == NULL)
		return DW_ENOMEM;
	size_t k = 0;
	for (; k < n; k++) {
		dw_cur e;
		size_t at = body.off;
		if (dw_cur_window(&e, &body, at, ft.size_of_descriptor) != DW_OK) {
			dw_streams__bad(d, s, DW_ETRUNC, "descriptor %zu at offset 0x%llx is cut off", k,
			                (unsigned long long)s->rva + ft.size_of_header +
			                    ft.size_of_align_pad + at);
			break;
		}
		dw_md_function_table *f = &t[k];
		f->minimum_address      = dw_cur_u64le(&e);
		f->maximum_address      = dw_cur_u64le(&e);
		f->base_address         = dw_cur_u64le(&e);
		f->entry_count          = dw_cur_u32le(&e);
		f->size_of_align_pad    = dw_cur_u32le(&e);
		dw_cur_skip(&body, ft.size_of_descriptor);
		uint64_t here     = (uint64_t)s->rva + ft.size_of_header + ft.size_of_align_pad;
		f->native_offset  = here + body.off;
		f->native         = dw_cur_bytes(&body, ft.size_of_native_descriptor);
		f->entries_offset = here + body.off;
		dw_err rv = dw_cur_count(&body, f->entry_count, ft.size_of_function_entry,
		                         DW_MAX_FUNCTION_TABLE_ENTRIES);
		if (f->native == NULL || rv != DW_OK) {
			dw_streams__bad(d, s, rv == DW_ELIMIT ? DW_ELIMIT : DW_ETRUNC,
			                "table %zu: native descriptor (%u bytes) and %u entries of %u bytes "
			                "at offset 0x%llx %s",
			                k, ft.size_of_native_descriptor, f->entry_count,
			                ft.size_of_function_entry, (unsigned long long)f->native_offset,
			                rv == DW_ELIMIT ? "exceed the entry limit" : "extend past the stream");
			break;
		}
		f->entries = dw_cur_bytes(&body, (size_t)f->entry_count * ft.size_of_function_entry);
		if (k + 1 < n && dw_cur_skip(&body, f->size_of_align_pad) != DW_OK) {
			dw_streams__bad(d, s, DW_ETRUNC, "table %zu: alignment pad %u past the stream", k,
			                f->size_of_align_pad);
			k++;
			break;
		}
	}
	dw_md_function_tables *out = dw_arena_alloc(&d->arena, sizeof(*out));
	if (out == NULL)
		return DW_ENOMEM;
	*out               = ft;
	out->tables        = t;
	out->count         = k;
	o->function_tables = out;
	return DW_OK;
}

const dw_md_function_tables *
dw_md_streams_function_tables(const dw_md_streams *s)
{
	return s != NULL ? s->function_tables : NULL;
}
