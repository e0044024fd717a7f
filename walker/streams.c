// The minidump streams beyond the core ones (walker/streams.h): MiscInfo,
// ThreadInfoList, ThreadNames, MemoryInfoList, comments, SystemMemoryInfo,
// ProcessVmCounters, Token, and the accessors for all of them. HandleData and
// FunctionTable are in streams_handles.c, the Breakpad and Crashpad streams in
// streams_vendor.c. Layouts: minidumpapiset.h (pshpack4.h packing).
#include "walker/streams_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/limits.h"
#include "common/text.h"

// ---- Shared helpers ---------------------------------------------------------

dw_err
dw_streams__bad(dw_dump *d, const dw_md_stream *s, dw_err code, const char *fmt, ...)
{
	char    msg[DW_MAX_NOTE_TEXT];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	const char *name = dw_md_stream_name(s->type);
	dw_fail(&d->notes, code, "%s (type 0x%x) at offset 0x%x, %u bytes: %s",
	        name != NULL ? name : "stream", s->type, s->rva, s->size, msg);
	dw_dump__mark(d, s, DW_MD_STREAM_MALFORMED);
	return code;
}

dw_err
dw_streams__count(dw_dump *d, const dw_md_stream *s, const dw_cur *c, uint64_t *n, size_t elem,
                  uint64_t cap, const char *what)
{
	dw_err rv = dw_cur_count(c, *n, elem, cap);
	if (rv == DW_OK)
		return DW_OK;
	if (rv == DW_ELIMIT)
		return dw_streams__bad(d, s, DW_ELIMIT, "%llu %s declared, more than the limit of %llu",
		                       (unsigned long long)*n, what, (unsigned long long)cap);
	uint64_t fit = elem != 0 ? dw_cur_left(c) / elem : 0;
	dw_streams__bad(d, s, DW_ETRUNC,
	                "%llu %s of %zu bytes declared at offset 0x%llx but only %llu fit; reading "
	                "those",
	                (unsigned long long)*n, what, elem,
	                (unsigned long long)(s->rva + (uint64_t)c->off), (unsigned long long)fit);
	*n = fit;
	return DW_OK;
}

dw_err
dw_streams__utf16_fixed(dw_dump *d, dw_cur *c, size_t units, const char **out)
{
	*out             = "";
	const uint8_t *p = dw_cur_bytes(c, units * 2);
	if (p == NULL)
		return DW_OK;
	char  *s;
	dw_err rv = dw_utf16le_to_utf8(&s, &d->arena, p, units * 2);
	if (rv != DW_OK)
		return rv;
	*out = s;
	return DW_OK;
}

// read_string reads a MINIDUMP_STRING at a 64-bit RVA (ThreadNames uses RVA64).
// Unreadable strings are noted by dw_dump__string and leave *out NULL.
static dw_err
read_string64(dw_dump *d, uint64_t rva, const char *what, const char **out)
{
	*out = NULL;
	if (rva > UINT32_MAX) {
		dw_fail(&d->notes, DW_ETRUNC, "%s: string offset 0x%llx is past end of file", what,
		        (unsigned long long)rva);
		return DW_OK;
	}
	dw_err rv = dw_dump__string(d, (uint32_t)rva, what, out);
	return rv == DW_ENOMEM ? rv : DW_OK;
}

// ---- MiscInfo -------------------------------------------------------------------

static void
read_systemtime(dw_md_systemtime *t, dw_cur *c)
{
	t->year         = dw_cur_u16le(c);
	t->month        = dw_cur_u16le(c);
	t->day_of_week  = dw_cur_u16le(c);
	t->day          = dw_cur_u16le(c);
	t->hour         = dw_cur_u16le(c);
	t->minute       = dw_cur_u16le(c);
	t->second       = dw_cur_u16le(c);
	t->milliseconds = dw_cur_u16le(c);
}

// Folklore: SizeOfInfo picks the version, Flags1 the valid members. Writers
// set SizeOfInfo to the structure they filled (24, 44, 232, 832 or 1364) and
// leave unfilled groups' flags clear: minidump2.dmp (XP) has a 24-byte v1
// record with Flags1 3; Windows 10 dumps have 1364 bytes with Flags1 0x3f7.
// A record longer than v5 is a newer version: we read the v5 part. A
// SizeOfInfo larger than the stream is noted and only the bytes present read.
static dw_err
parse_misc_info(dw_dump *d, dw_md_streams *o)
{
	dw_cur              c;
	const dw_md_stream *s = dw_dump__stream(d, DW_MD_STREAM_MISC_INFO, &c);
	if (s == NULL)
		return DW_OK;
	if (c.len < DW_MD_MISC_INFO_1_SIZE)
		return dw_streams__bad(d, s, DW_ETRUNC, "shorter than MINIDUMP_MISC_INFO (%d bytes)",
		                       DW_MD_MISC_INFO_1_SIZE),
		       DW_OK;
	dw_md_misc_info *m = dw_arena_alloc(&d->arena, sizeof(*m));
	if (m == NULL)
		return DW_ENOMEM;
	m->size_of_info = dw_cur_u32le(&c);
	m->flags1       = dw_cur_u32le(&c);
	if (m->size_of_info < DW_MD_MISC_INFO_1_SIZE)
		return dw_streams__bad(d, s, DW_ECORRUPT,
		                       "SizeOfInfo %u is smaller than MINIDUMP_MISC_INFO (%d bytes)",
		                       m->size_of_info, DW_MD_MISC_INFO_1_SIZE),
		       DW_OK;
	size_t avail = m->size_of_info;
	if (avail > c.len) {
		dw_streams__bad(d, s, DW_ETRUNC,
		                "SizeOfInfo %u is larger than the stream; reading the %zu bytes present",
		                m->size_of_info, c.len);
		avail = c.len;
	}
	m->version = avail >= DW_MD_MISC_INFO_5_SIZE   ? 5
	             : avail >= DW_MD_MISC_INFO_4_SIZE ? 4
	             : avail >= DW_MD_MISC_INFO_3_SIZE ? 3
	             : avail >= DW_MD_MISC_INFO_2_SIZE ? 2
	                                               : 1;
	uint32_t f = m->flags1;

	m->process_id          = dw_cur_u32le(&c);
	m->process_create_time = dw_cur_u32le(&c);
	m->process_user_time   = dw_cur_u32le(&c);
	m->process_kernel_time = dw_cur_u32le(&c);
	m->has_process_id      = (f & DW_MD_MISC1_PROCESS_ID) != 0;
	m->has_process_times   = (f & DW_MD_MISC1_PROCESS_TIMES) != 0;

	if (avail >= DW_MD_MISC_INFO_2_SIZE) {
		m->processor_max_mhz            = dw_cur_u32le(&c);
		m->processor_current_mhz        = dw_cur_u32le(&c);
		m->processor_mhz_limit          = dw_cur_u32le(&c);
		m->processor_max_idle_state     = dw_cur_u32le(&c);
		m->processor_current_idle_state = dw_cur_u32le(&c);
		m->has_power_info               = (f & DW_MD_MISC1_PROCESSOR_POWER_INFO) != 0;
	}
	if (avail >= DW_MD_MISC_INFO_3_SIZE) {
		m->process_integrity_level = dw_cur_u32le(&c);
		m->process_execute_flags   = dw_cur_u32le(&c);
		m->protected_process       = dw_cur_u32le(&c);
		m->time_zone_id            = dw_cur_u32le(&c);
		dw_md_time_zone *tz        = &m->time_zone;
		dw_err           rv;
		tz->bias = dw_cur_i32le(&c);
		if ((rv = dw_streams__utf16_fixed(d, &c, 32, &tz->standard_name)) != DW_OK)
			return rv;
		read_systemtime(&tz->standard_date, &c);
		tz->standard_bias = dw_cur_i32le(&c);
		if ((rv = dw_streams__utf16_fixed(d, &c, 32, &tz->daylight_name)) != DW_OK)
			return rv;
		read_systemtime(&tz->daylight_date, &c);
		tz->daylight_bias        = dw_cur_i32le(&c);
		m->has_integrity_level   = (f & DW_MD_MISC3_PROCESS_INTEGRITY) != 0;
		m->has_execute_flags     = (f & DW_MD_MISC3_PROCESS_EXECUTE_FLAGS) != 0;
		m->has_protected_process = (f & DW_MD_MISC3_PROTECTED_PROCESS) != 0;
		m->has_time_zone         = (f & DW_MD_MISC3_TIMEZONE) != 0;
	}
	if (avail >= DW_MD_MISC_INFO_4_SIZE) {
		dw_err rv;
		if ((rv = dw_streams__utf16_fixed(d, &c, 260, &m->build_string)) != DW_OK ||
		    (rv = dw_streams__utf16_fixed(d, &c, 40, &m->dbg_bld_str)) != DW_OK)
			return rv;
		m->has_build_string = (f & DW_MD_MISC4_BUILDSTRING) != 0;
	}
	if (avail >= DW_MD_MISC_INFO_5_SIZE) {
		dw_md_xstate_config *x = &m->xstate;
		x->size_of_info        = dw_cur_u32le(&c);
		x->context_size        = dw_cur_u32le(&c);
		x->enabled_features    = dw_cur_u64le(&c);
		for (int i = 0; i < DW_MD_XSTATE_FEATURES; i++) {
			x->features[i].offset = dw_cur_u32le(&c);
			x->features[i].size   = dw_cur_u32le(&c);
		}
		m->has_xstate         = x->size_of_info != 0;
		m->process_cookie     = dw_cur_u32le(&c);
		m->has_process_cookie = (f & DW_MD_MISC5_PROCESS_COOKIE) != 0;
	}
	if (c.err != DW_OK) // cannot happen: every read above is inside avail <= c.len
		return dw_streams__bad(d, s, DW_ETRUNC, "record cut off"), DW_OK;
	if (avail != DW_MD_MISC_INFO_1_SIZE && avail != DW_MD_MISC_INFO_2_SIZE &&
	    avail != DW_MD_MISC_INFO_3_SIZE && avail != DW_MD_MISC_INFO_4_SIZE &&
	    avail != DW_MD_MISC_INFO_5_SIZE)
		dw_remark(&d->notes,
		          "MiscInfoStream at offset 0x%x: SizeOfInfo %u is no known version's size; read "
		          "as version %d",
		          s->rva, m->size_of_info, m->version);
	o->misc = m;
	return DW_OK;
}

// ---- Sized lists: ThreadInfoList, MemoryInfoList ------------------------------

// list_header validates SizeOfHeader / SizeOfEntry of a list stream and makes
// *body a cursor over the entries. Entries longer than `min_entry` are read
// for their first min_entry bytes (a newer writer may append members);
// shorter ones cannot be read at all.
static dw_err
list_header(dw_dump *d, const dw_md_stream *s, const dw_cur *c, uint32_t hdr, uint32_t min_hdr,
            uint32_t entry, uint32_t min_entry, dw_cur *body)
{
	if (hdr < min_hdr || hdr > c->len)
		return dw_streams__bad(d, s, DW_ECORRUPT,
		                       "SizeOfHeader %u is outside [%u, stream size]", hdr, min_hdr);
	if (entry < min_entry)
		return dw_streams__bad(d, s, DW_ECORRUPT,
		                       "SizeOfEntry %u is smaller than the %u-byte entry structure",
		                       entry, min_entry);
	return dw_cur_tail(body, c, hdr);
}

static dw_err
parse_thread_infos(dw_dump *d, dw_md_streams *o)
{
	dw_cur              c, body;
	const dw_md_stream *s = dw_dump__stream(d, DW_MD_STREAM_THREAD_INFO_LIST, &c);
	if (s == NULL)
		return DW_OK;
	uint32_t hdr = dw_cur_u32le(&c), esz = dw_cur_u32le(&c);
	uint64_t n = dw_cur_u32le(&c);
	if (c.err != DW_OK)
		return dw_streams__bad(d, s, DW_ETRUNC, "header cut off"), DW_OK;
	if (list_header(d, s, &c, hdr, DW_MD_THREAD_INFO_LIST_HEADER_SIZE, esz,
	                DW_MD_THREAD_INFO_SIZE, &body) != DW_OK ||
	    dw_streams__count(d, s, &body, &n, esz, DW_MAX_THREADS, "thread info entries") != DW_OK)
		return DW_OK;
	dw_md_thread_info *t = dw_arena_array(&d->arena, n ? n : 1, sizeof(*t));
	if (t == NULL)
		return DW_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		dw_cur e;
		dw_cur_window(&e, &body, (uint64_t)i * esz, esz);
		t[i].thread_id     = dw_cur_u32le(&e);
		t[i].dump_flags    = dw_cur_u32le(&e);
		t[i].dump_error    = dw_cur_u32le(&e);
		t[i].exit_status   = dw_cur_u32le(&e);
		t[i].create_time   = dw_cur_u64le(&e);
		t[i].exit_time     = dw_cur_u64le(&e);
		t[i].kernel_time   = dw_cur_u64le(&e);
		t[i].user_time     = dw_cur_u64le(&e);
		t[i].start_address = dw_cur_u64le(&e);
		t[i].affinity      = dw_cur_u64le(&e);
	}
	o->thread_infos      = t;
	o->thread_info_count = n;
	return DW_OK;
}

static dw_err
parse_memory_infos(dw_dump *d, dw_md_streams *o)
{
	dw_cur              c, body;
	const dw_md_stream *s = dw_dump__stream(d, DW_MD_STREAM_MEMORY_INFO_LIST, &c);
	if (s == NULL)
		return DW_OK;
	uint32_t hdr = dw_cur_u32le(&c), esz = dw_cur_u32le(&c);
	uint64_t n = dw_cur_u64le(&c);
	if (c.err != DW_OK)
		return dw_streams__bad(d, s, DW_ETRUNC, "header cut off"), DW_OK;
	if (list_header(d, s, &c, hdr, DW_MD_MEMORY_INFO_LIST_HEADER_SIZE, esz,
	                DW_MD_MEMORY_INFO_SIZE, &body) != DW_OK ||
	    dw_streams__count(d, s, &body, &n, esz, DW_MAX_MEMORY_RANGES, "memory info entries") !=
	        DW_OK)
		return DW_OK;
	dw_md_memory_info *m = dw_arena_array(&d->arena, n ? n : 1, sizeof(*m));
	if (m == NULL)
		return DW_ENOMEM;
	bool sorted = true;
	for (size_t i = 0; i < n; i++) {
		dw_cur e;
		dw_cur_window(&e, &body, (uint64_t)i * esz, esz);
		m[i].base_address       = dw_cur_u64le(&e);
		m[i].allocation_base    = dw_cur_u64le(&e);
		m[i].allocation_protect = dw_cur_u32le(&e);
		(void)dw_cur_u32le(&e); // __alignment1
		m[i].region_size = dw_cur_u64le(&e);
		m[i].state       = dw_cur_u32le(&e);
		m[i].protect     = dw_cur_u32le(&e);
		m[i].type        = dw_cur_u32le(&e);
		if (m[i].base_address + m[i].region_size < m[i].base_address)
			sorted = false; // wraps: never binary-search over it
		if (i > 0 && m[i].base_address < m[i - 1].base_address + m[i - 1].region_size)
			sorted = false;
	}
	o->memory_infos        = m;
	o->memory_info_count   = n;
	o->memory_infos_sorted = sorted;
	return DW_OK;
}

// ---- ThreadNames ----------------------------------------------------------------

static dw_err
parse_thread_names(dw_dump *d, dw_md_streams *o)
{
	dw_cur              c;
	const dw_md_stream *s = dw_dump__stream(d, DW_MD_STREAM_THREAD_NAMES, &c);
	if (s == NULL)
		return DW_OK;
	uint64_t n = dw_cur_u32le(&c);
	if (c.err != DW_OK)
		return dw_streams__bad(d, s, DW_ETRUNC, "count cut off"), DW_OK;
	if (dw_streams__count(d, s, &c, &n, DW_MD_THREAD_NAME_SIZE, DW_MAX_THREADS,
	                      "thread names") != DW_OK)
		return DW_OK;
	dw_md_thread_name *t = dw_arena_array(&d->arena, n ? n : 1, sizeof(*t));
	if (t == NULL)
		return DW_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		t[i].thread_id = dw_cur_u32le(&c);
		t[i].name_rva  = dw_cur_u64le(&c);
		char what[64];
		snprintf(what, sizeof(what), "ThreadNamesStream entry %zu (thread %u)", i,
		         t[i].thread_id);
		dw_err rv = read_string64(d, t[i].name_rva, what, &t[i].name);
		if (rv != DW_OK)
			return rv;
	}
	o->thread_names      = t;
	o->thread_name_count = n;
	return DW_OK;
}

// ---- Comments -----------------------------------------------------------------

// Comment streams may repeat (a writer can add several), so every usable one
// of either kind is kept, in directory order.
static dw_err
parse_comments(dw_dump *d, dw_md_streams *o)
{
	size_t n = 0;
	for (size_t i = 0; i < d->stream_count; i++)
		if ((d->streams[i].type == DW_MD_STREAM_COMMENT_A ||
		     d->streams[i].type == DW_MD_STREAM_COMMENT_W) &&
		    d->streams[i].state == DW_MD_STREAM_OK)
			n++;
	if (n == 0)
		return DW_OK;
	dw_md_comment *cm = dw_arena_array(&d->arena, n, sizeof(*cm));
	if (cm == NULL)
		return DW_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < d->stream_count; i++) {
		const dw_md_stream *s = &d->streams[i];
		if ((s->type != DW_MD_STREAM_COMMENT_A && s->type != DW_MD_STREAM_COMMENT_W) ||
		    s->state != DW_MD_STREAM_OK)
			continue;
		dw_cur c;
		if (dw_cur_window(&c, &d->file, s->rva, s->size) != DW_OK)
			continue; // the directory reader marked it already
		size_t len = c.len;
		if (len > DW_MAX_COMMENT_BYTES) {
			dw_streams__bad(d, s, DW_ELIMIT, "comment longer than %u bytes; cut there",
			                (unsigned)DW_MAX_COMMENT_BYTES);
			len = DW_MAX_COMMENT_BYTES;
		}
		const uint8_t *p = dw_cur_bytes(&c, len);
		char          *text;
		if (s->type == DW_MD_STREAM_COMMENT_A) {
			const uint8_t *nul = memchr(p, 0, len);
			text = dw_arena_strndup(&d->arena, (const char *)p, nul ? (size_t)(nul - p) : len);
			if (text == NULL)
				return DW_ENOMEM;
		} else {
			dw_err rv = dw_utf16le_to_utf8(&text, &d->arena, p, len);
			if (rv != DW_OK)
				return rv;
		}
		cm[k].stream_type = s->type;
		cm[k].text        = text;
		k++;
	}
	o->comments      = cm;
	o->comment_count = k;
	return DW_OK;
}

// ---- SystemMemoryInfo -----------------------------------------------------------

static dw_err
parse_system_memory_info(dw_dump *d, dw_md_streams *o)
{
	dw_cur              c;
	const dw_md_stream *s = dw_dump__stream(d, DW_MD_STREAM_SYSTEM_MEMORY_INFO, &c);
	if (s == NULL)
		return DW_OK;
	if (c.len < DW_MD_SYSTEM_MEMORY_INFO_1_SIZE)
		return dw_streams__bad(d, s, DW_ETRUNC,
		                       "shorter than MINIDUMP_SYSTEM_MEMORY_INFO_1 (%d bytes)",
		                       DW_MD_SYSTEM_MEMORY_INFO_1_SIZE),
		       DW_OK;
	dw_md_system_memory_info *m = dw_arena_alloc(&d->arena, sizeof(*m));
	if (m == NULL)
		return DW_ENOMEM;
	m->revision = dw_cur_u16le(&c);
	m->flags    = dw_cur_u16le(&c);
	if (m->revision != 1)
		dw_remark(&d->notes,
		          "SystemMemoryInfoStream at offset 0x%x: revision %u, reading it as revision 1",
		          s->rva, m->revision);

	m->basic.timer_resolution                = dw_cur_u32le(&c);
	m->basic.page_size                       = dw_cur_u32le(&c);
	m->basic.number_of_physical_pages        = dw_cur_u32le(&c);
	m->basic.lowest_physical_page_number     = dw_cur_u32le(&c);
	m->basic.highest_physical_page_number    = dw_cur_u32le(&c);
	m->basic.allocation_granularity          = dw_cur_u32le(&c);
	m->basic.minimum_user_mode_address       = dw_cur_u64le(&c);
	m->basic.maximum_user_mode_address       = dw_cur_u64le(&c);
	m->basic.active_processors_affinity_mask = dw_cur_u64le(&c);
	m->basic.number_of_processors            = dw_cur_u32le(&c);

	m->file_cache.current_size                                = dw_cur_u64le(&c);
	m->file_cache.peak_size                                   = dw_cur_u64le(&c);
	m->file_cache.page_fault_count                            = dw_cur_u32le(&c);
	m->file_cache.minimum_working_set                         = dw_cur_u64le(&c);
	m->file_cache.maximum_working_set                         = dw_cur_u64le(&c);
	m->file_cache.current_size_including_transition_in_pages = dw_cur_u64le(&c);
	m->file_cache.peak_size_including_transition_in_pages    = dw_cur_u64le(&c);
	m->file_cache.transition_repurpose_count                  = dw_cur_u32le(&c);
	m->file_cache.flags                                       = dw_cur_u32le(&c);

	m->basic_perf.available_pages = dw_cur_u64le(&c);
	m->basic_perf.committed_pages = dw_cur_u64le(&c);
	m->basic_perf.commit_limit    = dw_cur_u64le(&c);
	m->basic_perf.peak_commitment = dw_cur_u64le(&c);

	// MINIDUMP_SYSTEM_PERFORMANCE_INFORMATION: 4 u64, 70 u32, 4 u64 (344
	// bytes). Named offsets of the u32 run, counted in minidumpapiset.h.
	m->perf.idle_process_time       = dw_cur_u64le(&c);
	m->perf.io_read_transfer_count  = dw_cur_u64le(&c);
	m->perf.io_write_transfer_count = dw_cur_u64le(&c);
	m->perf.io_other_transfer_count = dw_cur_u64le(&c);
	uint32_t u[70];
	for (int i = 0; i < 70; i++)
		u[i] = dw_cur_u32le(&c);
	m->perf.available_pages      = u[3];
	m->perf.committed_pages      = u[4];
	m->perf.commit_limit         = u[5];
	m->perf.peak_commitment      = u[6];
	m->perf.page_fault_count     = u[7];
	m->perf.paged_pool_pages     = u[20];
	m->perf.non_paged_pool_pages = u[21];
	m->perf.free_system_ptes     = u[26];
	m->perf.context_switches     = u[66];
	m->perf.system_calls         = u[69];
	m->perf.cc_total_dirty_pages     = dw_cur_u64le(&c);
	m->perf.cc_dirty_page_threshold  = dw_cur_u64le(&c);
	m->perf.resident_available_pages = (int64_t)dw_cur_u64le(&c);
	m->perf.shared_committed_pages   = dw_cur_u64le(&c);
	o->system_memory = m;
	return DW_OK;
}

// ---- ProcessVmCounters ----------------------------------------------------------

static dw_err
parse_vm_counters(dw_dump *d, dw_md_streams *o)
{
	dw_cur              c;
	const dw_md_stream *s = dw_dump__stream(d, DW_MD_STREAM_PROCESS_VM_COUNTERS, &c);
	if (s == NULL)
		return DW_OK;
	uint16_t rev = dw_cur_u16le(&c);
	if (c.err != DW_OK)
		return dw_streams__bad(d, s, DW_ETRUNC, "revision cut off"), DW_OK;
	if (rev != 1 && rev != 2) {
		if (c.len < DW_MD_PROCESS_VM_COUNTERS_2_SIZE)
			return dw_streams__bad(d, s, DW_EUNSUPPORTED, "unknown revision %u", rev), DW_OK;
		dw_remark(&d->notes,
		          "ProcessVmCountersStream at offset 0x%x: unknown revision %u, read as 2",
		          s->rva, rev);
	}
	size_t need = rev == 1 ? DW_MD_PROCESS_VM_COUNTERS_1_SIZE : DW_MD_PROCESS_VM_COUNTERS_2_SIZE;
	if (c.len < need)
		return dw_streams__bad(d, s, DW_ETRUNC,
		                       "revision %u needs %zu bytes (MINIDUMP_PROCESS_VM_COUNTERS_%d)",
		                       rev, need, rev == 1 ? 1 : 2),
		       DW_OK;
	dw_md_process_vm_counters *v = dw_arena_alloc(&d->arena, sizeof(*v));
	if (v == NULL)
		return DW_ENOMEM;
	v->revision = rev;
	uint16_t flags = dw_cur_u16le(&c); // padding in revision 1
	v->flags = rev == 1 ? (uint16_t)(DW_MD_VM_COUNTERS | DW_MD_VM_COUNTERS_EX) : flags;
	v->page_fault_count                = dw_cur_u32le(&c);
	v->peak_working_set_size           = dw_cur_u64le(&c);
	v->working_set_size                = dw_cur_u64le(&c);
	v->quota_peak_paged_pool_usage     = dw_cur_u64le(&c);
	v->quota_paged_pool_usage          = dw_cur_u64le(&c);
	v->quota_peak_non_paged_pool_usage = dw_cur_u64le(&c);
	v->quota_non_paged_pool_usage      = dw_cur_u64le(&c);
	v->pagefile_usage                  = dw_cur_u64le(&c);
	v->peak_pagefile_usage             = dw_cur_u64le(&c);
	if (rev == 1) {
		v->private_usage = dw_cur_u64le(&c);
	} else {
		v->peak_virtual_size             = dw_cur_u64le(&c);
		v->virtual_size                  = dw_cur_u64le(&c);
		v->private_usage                 = dw_cur_u64le(&c);
		v->private_working_set_size      = dw_cur_u64le(&c);
		v->shared_commit_usage           = dw_cur_u64le(&c);
		v->job_shared_commit_usage       = dw_cur_u64le(&c);
		v->job_private_commit_usage      = dw_cur_u64le(&c);
		v->job_peak_private_commit_usage = dw_cur_u64le(&c);
		v->job_private_commit_limit      = dw_cur_u64le(&c);
		v->job_total_commit_limit        = dw_cur_u64le(&c);
	}
	o->vm_counters = v;
	return DW_OK;
}

// ---- Token ------------------------------------------------------------------------

// Folklore: ElementHeaderSize is larger than MINIDUMP_TOKEN_INFO_HEADER. In
// syzygy/notepad-small-32bit.dmp the list header says ElementHeaderSize 0x48:
// the 16-byte header is followed by seven {offset, size} pairs locating the
// parts of the token (undocumented). We keep the fixed 16 bytes and treat
// [ElementHeaderSize, TokenSize) of each element as its raw data.
static dw_err
parse_tokens(dw_dump *d, dw_md_streams *o)
{
	dw_cur              c;
	const dw_md_stream *s = dw_dump__stream(d, DW_MD_STREAM_TOKEN, &c);
	if (s == NULL)
		return DW_OK;
	dw_md_token_list l = {0};
	l.token_list_size     = dw_cur_u32le(&c);
	l.token_list_entries  = dw_cur_u32le(&c);
	l.list_header_size    = dw_cur_u32le(&c);
	l.element_header_size = dw_cur_u32le(&c);
	if (c.err != DW_OK)
		return dw_streams__bad(d, s, DW_ETRUNC, "header cut off"), DW_OK;
	if (l.list_header_size < DW_MD_TOKEN_INFO_LIST_HEADER_SIZE || l.list_header_size > c.len)
		return dw_streams__bad(d, s, DW_ECORRUPT, "ListHeaderSize %u is outside [16, %zu]",
		                       l.list_header_size, c.len),
		       DW_OK;
	if (l.element_header_size < DW_MD_TOKEN_INFO_HEADER_SIZE)
		return dw_streams__bad(d, s, DW_ECORRUPT,
		                       "ElementHeaderSize %u is smaller than MINIDUMP_TOKEN_INFO_HEADER",
		                       l.element_header_size),
		       DW_OK;
	if (l.token_list_size != c.len)
		dw_remark(&d->notes, "TokenStream at offset 0x%x: TokenListSize %u, stream size %zu",
		          s->rva, l.token_list_size, c.len);
	dw_cur body;
	dw_cur_tail(&body, &c, l.list_header_size);
	uint64_t n = l.token_list_entries;
	if (dw_streams__count(d, s, &body, &n, l.element_header_size, DW_MAX_TOKENS, "tokens") !=
	    DW_OK)
		return DW_OK;
	dw_md_token *t = dw_arena_array(&d->arena, n ? n : 1, sizeof(*t));
	if (t == NULL)
		return DW_ENOMEM;
	size_t k = 0;
	for (; k < n; k++) {
		size_t at = body.off;
		dw_cur e;
		if (dw_cur_tail(&e, &body, at) != DW_OK)
			break;
		t[k].token_size   = dw_cur_u32le(&e);
		t[k].token_id     = dw_cur_u32le(&e);
		t[k].token_handle = dw_cur_u64le(&e);
		if (e.err != DW_OK || t[k].token_size < l.element_header_size ||
		    t[k].token_size > dw_cur_left(&body)) {
			dw_streams__bad(d, s, DW_ECORRUPT,
			                "token %zu at offset 0x%llx: TokenSize %u is outside [%u, %zu]", k,
			                (unsigned long long)s->rva + l.list_header_size + at,
			                t[k].token_size, l.element_header_size, dw_cur_left(&body));
			break;
		}
		t[k].data_offset = (uint64_t)s->rva + l.list_header_size + at + l.element_header_size;
		t[k].data_size   = t[k].token_size - l.element_header_size;
		dw_cur_skip(&body, l.element_header_size);
		t[k].data = dw_cur_bytes(&body, t[k].data_size);
	}
	dw_md_token_list *out = dw_arena_alloc(&d->arena, sizeof(*out));
	if (out == NULL)
		return DW_ENOMEM;
	*out        = l;
	out->tokens = t;
	out->count  = k;
	o->tokens   = out;
	return DW_OK;
}

// ---- Entry point --------------------------------------------------------------------

dw_err
dw_dump__parse_other_streams(dw_dump *d)
{
	dw_md_streams *o = dw_arena_alloc(&d->arena, sizeof(*o));
	if (o == NULL)
		return DW_ENOMEM;
	d->other = o;
	static const struct {
		dw_err (*parse)(dw_dump *, dw_md_streams *);
		const char *what;
	} parsers[] = {
	    {parse_misc_info, "MiscInfoStream"},
	    {parse_thread_infos, "ThreadInfoListStream"},
	    {parse_thread_names, "ThreadNamesStream"},
	    {dw_streams__parse_handles, "HandleDataStream"},
	    {parse_memory_infos, "MemoryInfoListStream"},
	    {parse_comments, "comment streams"},
	    {dw_streams__parse_function_tables, "FunctionTableStream"},
	    {parse_system_memory_info, "SystemMemoryInfoStream"},
	    {parse_vm_counters, "ProcessVmCountersStream"},
	    {parse_tokens, "TokenStream"},
	    {dw_streams__parse_breakpad, "Breakpad streams"},
	    {dw_streams__parse_crashpad, "CrashpadInfoStream"},
	};
	for (size_t i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++) {
		d->arena.over_ceiling = false;
		dw_err rv             = parsers[i].parse(d, o);
		if (rv == DW_OK)
			continue;
		// Folklore: a stream whose records alone pass the parse budget
		// (16M handle descriptors are 512 MiB of file and 1 GiB parsed) is
		// a limit on that stream, not a reason to lose the whole dump.
		// Each parser publishes its records only on success, so skipping
		// leaves its accessors empty.
		if (rv == DW_ENOMEM && d->arena.over_ceiling) {
			dw_fail(&d->notes, DW_ELIMIT,
			        "%s: parsed records would pass the %zu-byte parse budget; stream skipped",
			        parsers[i].what, d->arena.max);
			continue;
		}
		return rv;
	}
	return DW_OK;
}

// ---- Accessors ------------------------------------------------------------------------

const dw_md_misc_info *
dw_md_streams_misc_info(const dw_md_streams *s)
{
	return s != NULL ? s->misc : NULL;
}

const dw_md_thread_info *
dw_md_streams_thread_infos(const dw_md_streams *s, size_t *count)
{
	*count = s != NULL ? s->thread_info_count : 0;
	return s != NULL ? s->thread_infos : NULL;
}

const dw_md_thread_info *
dw_md_streams_thread_info_find(const dw_md_streams *s, uint32_t tid)
{
	for (size_t i = 0; s != NULL && i < s->thread_info_count; i++)
		if (s->thread_infos[i].thread_id == tid)
			return &s->thread_infos[i];
	return NULL;
}

const dw_md_thread_name *
dw_md_streams_thread_names(const dw_md_streams *s, size_t *count)
{
	*count = s != NULL ? s->thread_name_count : 0;
	return s != NULL ? s->thread_names : NULL;
}

const char *
dw_md_streams_thread_name_find(const dw_md_streams *s, uint32_t tid)
{
	for (size_t i = 0; s != NULL && i < s->thread_name_count; i++)
		if (s->thread_names[i].thread_id == tid)
			return s->thread_names[i].name;
	return NULL;
}

const dw_md_memory_info *
dw_md_streams_memory_infos(const dw_md_streams *s, size_t *count)
{
	*count = s != NULL ? s->memory_info_count : 0;
	return s != NULL ? s->memory_infos : NULL;
}

static bool
region_holds(const dw_md_memory_info *m, uint64_t addr)
{
	return addr >= m->base_address && addr - m->base_address < m->region_size;
}

const dw_md_memory_info *
dw_md_streams_memory_info_at(const dw_md_streams *s, uint64_t addr)
{
	if (s == NULL || s->memory_info_count == 0)
		return NULL;
	if (!s->memory_infos_sorted) {
		for (size_t i = 0; i < s->memory_info_count; i++)
			if (region_holds(&s->memory_infos[i], addr))
				return &s->memory_infos[i];
		return NULL;
	}
	size_t lo = 0, hi = s->memory_info_count; // first region with base > addr
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->memory_infos[mid].base_address <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || !region_holds(&s->memory_infos[lo - 1], addr))
		return NULL;
	return &s->memory_infos[lo - 1];
}

const char *
dw_md_mem_state_name(uint32_t state)
{
	switch (state) {
	case DW_MD_MEM_COMMIT: return "MEM_COMMIT";
	case DW_MD_MEM_RESERVE: return "MEM_RESERVE";
	case DW_MD_MEM_FREE: return "MEM_FREE";
	}
	return NULL;
}

const char *
dw_md_mem_type_name(uint32_t type)
{
	switch (type) {
	case DW_MD_MEM_PRIVATE: return "MEM_PRIVATE";
	case DW_MD_MEM_MAPPED: return "MEM_MAPPED";
	case DW_MD_MEM_IMAGE: return "MEM_IMAGE";
	}
	return NULL;
}

void
dw_md_page_protect_string(char *buf, size_t bufsize, uint32_t protect)
{
	// winnt.h PAGE_* values; the low byte is one access kind, the rest modifiers.
	static const struct {
		uint32_t    bit;
		const char *name;
	} names[] = {
	    {0x01, "PAGE_NOACCESS"},          {0x02, "PAGE_READONLY"},
	    {0x04, "PAGE_READWRITE"},         {0x08, "PAGE_WRITECOPY"},
	    {0x10, "PAGE_EXECUTE"},           {0x20, "PAGE_EXECUTE_READ"},
	    {0x40, "PAGE_EXECUTE_READWRITE"}, {0x80, "PAGE_EXECUTE_WRITECOPY"},
	    {0x100, "PAGE_GUARD"},            {0x200, "PAGE_NOCACHE"},
	    {0x400, "PAGE_WRITECOMBINE"},     {0x40000000, "PAGE_TARGETS_INVALID"},
	};
	size_t   used = 0;
	uint32_t rest = protect;
	if (bufsize == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(protect & names[i].bit))
			continue;
		rest &= ~names[i].bit;
		int w = snprintf(buf + used, bufsize - used, "%s%s", used ? "|" : "", names[i].name);
		if (w < 0 || (size_t)w >= bufsize - used)
			return;
		used += (size_t)w;
	}
	if (rest != 0 || protect == 0)
		snprintf(buf + used, bufsize - used, "%s0x%x", used ? "|" : "", rest);
}

const dw_md_comment *
dw_md_streams_comments(const dw_md_streams *s, size_t *count)
{
	*count = s != NULL ? s->comment_count : 0;
	return s != NULL ? s->comments : NULL;
}

const dw_md_system_memory_info *
dw_md_streams_system_memory_info(const dw_md_streams *s)
{
	return s != NULL ? s->system_memory : NULL;
}

const dw_md_process_vm_counters *
dw_md_streams_process_vm_counters(const dw_md_streams *s)
{
	return s != NULL ? s->vm_counters : NULL;
}

const dw_md_token_list *
dw_md_streams_tokens(const dw_md_streams *s)
{
	return s != NULL ? s->tokens : NULL;
}

void
dw_md_guid_string(char *out, const uint8_t g[16])
{
	snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", dw_get_u32le(g),
	         dw_get_u16le(g + 4), dw_get_u16le(g + 6), g[8], g[9], g[10], g[11], g[12], g[13],
	         g[14], g[15]);
}
