// The streams of walker/streams.h: synthetic dumps written byte by byte from
// the minidumpapiset.h / Breakpad / Crashpad layouts (offsets spelled out
// here, not taken from walker/), and real dumps checked against what other
// tools or the corpus README say about them.
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/synth/synth.h"
#include "walker/dump.h"
#include "walker/streams.h"

// ---- helpers -----------------------------------------------------------------------

static dw_dump *
open_synth(dws_dump *b)
{
	size_t         len;
	const uint8_t *p = dws_dump_finish(b, &len);
	dw_dump       *d = NULL;
	dw_notes       notes;
	dw_notes_init(&notes);
	dw_err rv = dw_dump_open_buffer(&d, p, len, &notes);
	cr_assert_eq(rv, DW_OK, "open: %s (%s)", dw_errname(rv),
	             notes.count ? notes.items[0].text : "");
	dw_notes_fini(&notes);
	return d;
}

static const dw_md_streams *
other(const dw_dump *d)
{
	return dw_dump_other_streams(d);
}

static bool
has_note(const dw_dump *d, const char *needle)
{
	const dw_notes *n = dw_dump_notes(d);
	for (size_t i = 0; i < n->count; i++)
		if (strstr(n->items[i].text, needle) != NULL)
			return true;
	return false;
}

static dw_md_stream_state
state_of(const dw_dump *d, uint32_t type)
{
	size_t              n;
	const dw_md_stream *s = dw_dump_streams(d, &n);
	for (size_t i = 0; i < n; i++)
		if (s[i].type == type)
			return s[i].state;
	cr_assert_fail("no stream of type 0x%x", type);
	return DW_MD_STREAM_OK;
}

// Byte patches into the dump under construction.
static void
p16(dws_dump *b, size_t off, uint16_t v)
{
	b->b.data[off]     = (uint8_t)v;
	b->b.data[off + 1] = (uint8_t)(v >> 8);
}

static void
p32(dws_dump *b, size_t off, uint32_t v)
{
	dws_patch_u32(&b->b, off, v);
}

static void
p64(dws_dump *b, size_t off, uint64_t v)
{
	dws_patch_u64(&b->b, off, v);
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
put_wide(dws_dump *b, size_t off, const char *ascii)
{
	for (size_t i = 0; ascii[i]; i++)
		p16(b, off + 2 * i, (uint8_t)ascii[i]);
}

// ---- MiscInfo -------------------------------------------------------------------------

// MINIDUMP_MISC_INFO_N offsets: 0 SizeOfInfo, 4 Flags1, 8 ProcessId, 12/16/20
// times; v2: 24..44 power; v3: 44 integrity, 48 execute, 52 protected, 56
// TimeZoneId, 60 TIME_ZONE_INFORMATION (60 Bias, 64 StandardName[32], 128
// StandardDate, 144 StandardBias, 148 DaylightName[32], 212 DaylightDate, 228
// DaylightBias); v4: 232 BuildString[260], 752 DbgBldStr[40]; v5: 832
// XSTATE_CONFIG_FEATURE_MSC_INFO (832 SizeOfInfo, 836 ContextSize, 840
// EnabledFeatures, 848 Features[64]), 1360 ProcessCookie.
static void
write_misc(dws_dump *b, uint32_t size, uint32_t stream_size, uint32_t flags)
{
	dws_stream_begin(b, 15);
	size_t at = b->b.len;
	dws_zeros(&b->b, stream_size);
	p32(b, at + 0, size);
	p32(b, at + 4, flags);
	p32(b, at + 8, 4440);
	p32(b, at + 12, 0x5ba523bc);
	p32(b, at + 16, 7);
	p32(b, at + 20, 9);
	if (stream_size >= 44) {
		p32(b, at + 24, 3501);
		p32(b, at + 28, 2200);
		p32(b, at + 32, 3000);
		p32(b, at + 36, 2);
		p32(b, at + 40, 1);
	}
	if (stream_size >= 232) {
		p32(b, at + 44, 0x2000);
		p32(b, at + 48, 0xd);
		p32(b, at + 52, 1);
		p32(b, at + 56, 2);
		p32(b, at + 60, 300);
		put_wide(b, at + 64, "Eastern Standard Time");
		p16(b, at + 128 + 2, 11); // wMonth
		p16(b, at + 128 + 6, 1);  // wDay
		p16(b, at + 128 + 8, 2);  // wHour
		put_wide(b, at + 148, "Eastern Daylight Time");
		p16(b, at + 212 + 2, 3);
		p16(b, at + 212 + 6, 2);
		p32(b, at + 228, (uint32_t)-60);
	}
	if (stream_size >= 832) {
		put_wide(b, at + 232, "17134.1.amd64fre.rs4_release.180410-1804");
		put_wide(b, at + 752, "dbgcore.amd64,10.0.17134.1");
	}
	if (stream_size >= 1364) {
		p32(b, at + 832, 528);
		p32(b, at + 836, 1407);
		p64(b, at + 840, 0x8000000000000803ull);
		p32(b, at + 848 + 8 * 11, 576);
		p32(b, at + 848 + 8 * 11 + 4, 16);
		p32(b, at + 1360, 0x97445b9d);
	}
	dws_stream_end(b);
}

static const dw_md_misc_info *
misc_of(dws_dump *b, dw_dump **d, uint32_t size, uint32_t flags)
{
	dws_dump_init(b, 4, 0, 0);
	write_misc(b, size, size, flags);
	*d                       = open_synth(b);
	const dw_md_misc_info *m = dw_md_streams_misc_info(other(*d));
	cr_assert_not_null(m);
	cr_assert_eq(m->size_of_info, size);
	return m;
}

Test(walker_streams, misc_info_v1_pid_and_times)
{
	dws_dump               b;
	dw_dump               *d;
	const dw_md_misc_info *m = misc_of(&b, &d, 24, 0x3);
	cr_expect_eq(m->version, 1);
	cr_expect(m->has_process_id);
	cr_expect_eq(m->process_id, 4440);
	cr_expect(m->has_process_times);
	cr_expect_eq(m->process_create_time, 0x5ba523bc);
	cr_expect_eq(m->process_user_time, 7);
	cr_expect_eq(m->process_kernel_time, 9);
	cr_expect_not(m->has_power_info);
	cr_expect_not(m->has_time_zone);
	cr_expect_eq(state_of(d, 15), DW_MD_STREAM_OK);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, misc_info_v2_power_info)
{
	dws_dump               b;
	dw_dump               *d;
	const dw_md_misc_info *m = misc_of(&b, &d, 44, 0x7);
	cr_expect_eq(m->version, 2);
	cr_expect(m->has_power_info);
	cr_expect_eq(m->processor_max_mhz, 3501);
	cr_expect_eq(m->processor_current_mhz, 2200);
	cr_expect_eq(m->processor_mhz_limit, 3000);
	cr_expect_eq(m->processor_max_idle_state, 2);
	cr_expect_eq(m->processor_current_idle_state, 1);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, misc_info_v3_time_zone)
{
	dws_dump               b;
	dw_dump               *d;
	const dw_md_misc_info *m = misc_of(&b, &d, 232, 0xf7);
	cr_expect_eq(m->version, 3);
	cr_expect(m->has_integrity_level);
	cr_expect_eq(m->process_integrity_level, 0x2000);
	cr_expect(m->has_execute_flags);
	cr_expect_eq(m->process_execute_flags, 0xd);
	cr_expect(m->has_protected_process);
	cr_expect_eq(m->protected_process, 1);
	cr_assert(m->has_time_zone);
	cr_expect_eq(m->time_zone_id, 2);
	cr_expect_eq(m->time_zone.bias, 300);
	cr_expect_str_eq(m->time_zone.standard_name, "Eastern Standard Time");
	cr_expect_eq(m->time_zone.standard_date.month, 11);
	cr_expect_eq(m->time_zone.standard_date.day, 1);
	cr_expect_eq(m->time_zone.standard_date.hour, 2);
	cr_expect_str_eq(m->time_zone.daylight_name, "Eastern Daylight Time");
	cr_expect_eq(m->time_zone.daylight_date.month, 3);
	cr_expect_eq(m->time_zone.daylight_bias, -60);
	cr_expect_not(m->has_build_string);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, misc_info_v4_build_strings)
{
	dws_dump               b;
	dw_dump               *d;
	const dw_md_misc_info *m = misc_of(&b, &d, 832, 0x1f7);
	cr_expect_eq(m->version, 4);
	cr_assert(m->has_build_string);
	cr_expect_str_eq(m->build_string, "17134.1.amd64fre.rs4_release.180410-1804");
	cr_expect_str_eq(m->dbg_bld_str, "dbgcore.amd64,10.0.17134.1");
	cr_expect_not(m->has_process_cookie);
	cr_expect_not(m->has_xstate);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, misc_info_v5_xstate_and_cookie)
{
	dws_dump               b;
	dw_dump               *d;
	const dw_md_misc_info *m = misc_of(&b, &d, 1364, 0x3f7);
	cr_expect_eq(m->version, 5);
	cr_expect(m->has_process_cookie);
	cr_expect_eq(m->process_cookie, 0x97445b9d);
	cr_assert(m->has_xstate);
	cr_expect_eq(m->xstate.size_of_info, 528);
	cr_expect_eq(m->xstate.context_size, 1407);
	cr_expect_eq(m->xstate.enabled_features, 0x8000000000000803ull);
	cr_expect_eq(m->xstate.features[11].offset, 576);
	cr_expect_eq(m->xstate.features[11].size, 16);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, misc_info_honours_flags1)
{
	// A full v5 record whose Flags1 claims nothing: every member is invalid.
	dws_dump               b;
	dw_dump               *d;
	const dw_md_misc_info *m = misc_of(&b, &d, 1364, 0);
	cr_expect_not(m->has_process_id);
	cr_expect_not(m->has_process_times);
	cr_expect_not(m->has_power_info);
	cr_expect_not(m->has_time_zone);
	cr_expect_not(m->has_build_string);
	cr_expect_not(m->has_process_cookie);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, misc_info_size_past_stream_is_noted_and_partly_read)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	write_misc(&b, 232, 44, 0xf7); // claims v3, holds v2
	dw_dump               *d = open_synth(&b);
	const dw_md_misc_info *m = dw_md_streams_misc_info(other(d));
	cr_assert_not_null(m);
	cr_expect_eq(m->version, 2);
	cr_expect_eq(m->process_id, 4440);
	cr_expect_eq(m->processor_max_mhz, 3501);
	cr_expect_not(m->has_time_zone);
	cr_expect(has_note(d, "MiscInfoStream"));
	cr_expect(has_note(d, "SizeOfInfo 232"));
	cr_expect_eq(state_of(d, 15), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, misc_info_too_short_is_rejected)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	dws_stream_begin(&b, 15);
	dws_u32(&b.b, 24);
	dws_u32(&b.b, 1);
	dws_u32(&b.b, 4440);
	dws_stream_end(&b);
	dw_dump *d = open_synth(&b);
	cr_expect_null(dw_md_streams_misc_info(other(d)));
	cr_expect(has_note(d, "MiscInfoStream"));
	cr_expect_eq(state_of(d, 15), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// ---- ThreadInfoList ---------------------------------------------------------------------

// MINIDUMP_THREAD_INFO_LIST {SizeOfHeader, SizeOfEntry, NumberOfEntries} then
// entries of SizeOfEntry bytes whose first 64 are MINIDUMP_THREAD_INFO.
static void
write_thread_infos(dws_dump *b, uint32_t esz, uint32_t n, uint32_t declared)
{
	dws_stream_begin(b, 17);
	dws_u32(&b->b, 12);
	dws_u32(&b->b, esz);
	dws_u32(&b->b, declared);
	for (uint32_t i = 0; i < n; i++) {
		size_t at = b->b.len;
		dws_u32(&b->b, 100 + i);          // ThreadId
		dws_u32(&b->b, i ? 0x4 : 0x2);    // DumpFlags
		dws_u32(&b->b, 0);                // DumpError
		dws_u32(&b->b, 0x103);            // ExitStatus
		dws_u64(&b->b, 0x1d25f9a8c0b3000 + i); // CreateTime
		dws_u64(&b->b, 0);
		dws_u64(&b->b, 1000 * (i + 1));   // KernelTime
		dws_u64(&b->b, 2000 * (i + 1));   // UserTime
		dws_u64(&b->b, 0x7ff700001000 + i); // StartAddress
		dws_u64(&b->b, 0xff);
		while (b->b.len < at + esz)
			dws_u8(&b->b, 0xee);
	}
	dws_stream_end(b);
}

Test(walker_streams, thread_info_list_reads_entries)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	write_thread_infos(&b, 64, 2, 2);
	dw_dump                 *d = open_synth(&b);
	size_t                   n;
	const dw_md_thread_info *t = dw_md_streams_thread_infos(other(d), &n);
	cr_assert_eq(n, 2);
	cr_expect_eq(t[1].thread_id, 101);
	cr_expect_eq(t[0].dump_flags, 0x2);
	cr_expect_eq(t[1].exit_status, 0x103);
	cr_expect_eq(t[1].create_time, 0x1d25f9a8c0b3001ull);
	cr_expect_eq(t[1].kernel_time, 2000);
	cr_expect_eq(t[1].user_time, 4000);
	cr_expect_eq(t[1].start_address, 0x7ff700001001ull);
	cr_expect_eq(t[1].affinity, 0xff);
	cr_expect_eq(dw_md_streams_thread_info_find(other(d), 100), &t[0]);
	cr_expect_null(dw_md_streams_thread_info_find(other(d), 7));
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, thread_info_list_longer_entries_are_skipped_over)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	write_thread_infos(&b, 72, 3, 3);
	dw_dump                 *d = open_synth(&b);
	size_t                   n;
	const dw_md_thread_info *t = dw_md_streams_thread_infos(other(d), &n);
	cr_assert_eq(n, 3);
	cr_expect_eq(t[2].thread_id, 102);
	cr_expect_eq(t[2].affinity, 0xff);
	cr_expect_eq(state_of(d, 17), DW_MD_STREAM_OK);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, thread_info_list_short_entries_are_malformed)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	write_thread_infos(&b, 64, 1, 1);
	p32(&b, b.b.len - 64 - 8, 60); // SizeOfEntry
	dw_dump *d = open_synth(&b);
	size_t   n;
	cr_expect_null(dw_md_streams_thread_infos(other(d), &n));
	cr_expect_eq(n, 0);
	cr_expect(has_note(d, "SizeOfEntry 60"));
	cr_expect_eq(state_of(d, 17), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, thread_info_list_truncated_keeps_what_fits)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	write_thread_infos(&b, 64, 2, 5);
	dw_dump *d = open_synth(&b);
	size_t   n;
	dw_md_streams_thread_infos(other(d), &n);
	cr_expect_eq(n, 2);
	cr_expect(has_note(d, "ThreadInfoListStream"));
	cr_expect(has_note(d, "5 thread info entries"));
	cr_expect_eq(state_of(d, 17), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// ---- ThreadNames -------------------------------------------------------------------------

Test(walker_streams, thread_names_resolve_rva64_strings)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	uint32_t main_rva = dws_string(&b, "CrRendererMain");
	uint32_t io_rva   = dws_string(&b, "Chrome_ChildIOThread");
	dws_stream_begin(&b, 24);
	dws_u32(&b.b, 3);
	dws_u32(&b.b, 0x3124);
	dws_u64(&b.b, main_rva);
	dws_u32(&b.b, 0x375c);
	dws_u64(&b.b, io_rva);
	dws_u32(&b.b, 0x4000);
	dws_u64(&b.b, 0x100000000ull); // RVA64 past any 32-bit file
	dws_stream_end(&b);
	dw_dump                 *d = open_synth(&b);
	size_t                   n;
	const dw_md_thread_name *t = dw_md_streams_thread_names(other(d), &n);
	cr_assert_eq(n, 3);
	cr_expect_eq(t[0].thread_id, 0x3124);
	cr_expect_str_eq(t[0].name, "CrRendererMain");
	cr_expect_str_eq(dw_md_streams_thread_name_find(other(d), 0x375c), "Chrome_ChildIOThread");
	cr_expect_null(t[2].name);
	cr_expect(has_note(d, "ThreadNamesStream entry 2"));
	cr_expect_null(dw_md_streams_thread_name_find(other(d), 1));
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, thread_names_count_past_stream_is_noted)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	dws_stream_begin(&b, 24);
	dws_u32(&b.b, 0xffffffff);
	dws_u32(&b.b, 1);
	dws_u64(&b.b, 0);
	dws_stream_end(&b);
	dw_dump *d = open_synth(&b);
	size_t   n = 99;
	dw_md_streams_thread_names(other(d), &n);
	cr_expect_eq(n, 0);
	cr_expect(has_note(d, "ThreadNamesStream"));
	cr_expect_eq(state_of(d, 24), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// ---- HandleData ----------------------------------------------------------------------------

// MINIDUMP_HANDLE_DATA_STREAM {SizeOfHeader 16, SizeOfDescriptor, Number,
// Reserved}; descriptor: Handle u64, TypeNameRva, ObjectNameRva, Attributes,
// GrantedAccess, HandleCount, PointerCount [, ObjectInfoRva, Reserved0].
static void
handle_desc(dws_dump *b, uint32_t dsz, uint64_t h, uint32_t type, uint32_t name, uint32_t info)
{
	dws_u64(&b->b, h);
	dws_u32(&b->b, type);
	dws_u32(&b->b, name);
	dws_u32(&b->b, 0);
	dws_u32(&b->b, 0x1f0003);
	dws_u32(&b->b, 2);
	dws_u32(&b->b, 3);
	if (dsz >= 40) {
		dws_u32(&b->b, info);
		dws_u32(&b->b, 0);
	}
}

// MINIDUMP_HANDLE_OBJECT_INFORMATION {NextInfoRva, InfoType, SizeOfInfo} + info.
static uint32_t
object_info(dws_dump *b, uint32_t next, uint32_t type, const void *info, uint32_t size)
{
	dws_align(&b->b, 4);
	uint32_t rva = (uint32_t)b->b.len;
	dws_u32(&b->b, next);
	dws_u32(&b->b, type);
	dws_u32(&b->b, size);
	dws_bytes(&b->b, info, size);
	return rva;
}

Test(walker_streams, handle_descriptors_v1_and_type_counts)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	uint32_t ev = dws_string(&b, "Event"), mu = dws_string(&b, "Mutant");
	uint32_t ev2 = dws_string(&b, "Event"); // same name, another copy
	uint32_t nm  = dws_string(&b, "\\BaseNamedObjects\\x");
	dws_stream_begin(&b, 12);
	dws_u32(&b.b, 16);
	dws_u32(&b.b, 32);
	dws_u32(&b.b, 5);
	dws_u32(&b.b, 0);
	handle_desc(&b, 32, 0x4, ev, 0, 0);
	handle_desc(&b, 32, 0x8, mu, nm, 0);
	handle_desc(&b, 32, 0xc, ev2, 0, 0);
	handle_desc(&b, 32, 0x10, 0, 0, 0);
	handle_desc(&b, 32, 0x14, ev, 0, 0);
	dws_stream_end(&b);
	dw_dump                 *d  = open_synth(&b);
	const dw_md_handle_data *hd = dw_md_streams_handle_data(other(d));
	cr_assert_not_null(hd);
	cr_assert_eq(hd->count, 5);
	cr_expect_eq(hd->size_of_descriptor, 32);
	cr_expect_eq(hd->handles[1].handle, 0x8);
	cr_expect_str_eq(hd->handles[1].type_name, "Mutant");
	cr_expect_str_eq(hd->handles[1].object_name, "\\BaseNamedObjects\\x");
	cr_expect_null(hd->handles[0].object_name);
	cr_expect_null(hd->handles[3].type_name);
	cr_expect_eq(hd->handles[1].granted_access, 0x1f0003);
	cr_expect_eq(hd->handles[1].handle_count, 2);
	cr_expect_eq(hd->handles[1].pointer_count, 3);
	cr_expect_eq(hd->handles[1].info_count, 0);

	size_t                         nt, total;
	const dw_md_handle_type_count *tc = dw_md_streams_handle_type_counts(other(d), &nt, &total);
	cr_expect_eq(total, 5);
	cr_assert_eq(nt, 3);
	cr_expect_str_eq(tc[0].type_name, "Event");
	cr_expect_eq(tc[0].count, 3);
	cr_expect_eq(dw_md_streams_handle_count_of(other(d), "Mutant"), 1);
	cr_expect_eq(dw_md_streams_handle_count_of(other(d), ""), 1);
	cr_expect_eq(dw_md_streams_handle_count_of(other(d), "File"), 0);
	cr_expect_eq(state_of(d, 12), DW_MD_STREAM_OK);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, handle_descriptor_v2_mutant_owner_chain)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	uint32_t mu = dws_string(&b, "Mutant");
	// MUTANT_OWNER_INFORMATION as a 64-bit CLIENT_ID: process 0x1870, thread 0x1350.
	uint8_t owner[16] = {0x70, 0x18, 0, 0, 0, 0, 0, 0, 0x50, 0x13, 0, 0, 0, 0, 0, 0};
	uint32_t second   = object_info(&b, 0, 3, owner, sizeof(owner));
	// MUTANT_BASIC_INFORMATION: CurrentCount -1 (held once), OwnedByCaller 0, Abandoned 1.
	uint8_t  basic[8] = {0xff, 0xff, 0xff, 0xff, 0, 1, 0, 0};
	uint32_t first    = object_info(&b, second, 2, basic, sizeof(basic));
	// A 32-bit writer's CLIENT_ID is 8 bytes.
	uint8_t  owner32[8] = {0x10, 0, 0, 0, 0x20, 0, 0, 0};
	uint32_t third      = object_info(&b, 0, 3, owner32, sizeof(owner32));
	dws_stream_begin(&b, 12);
	dws_u32(&b.b, 16);
	dws_u32(&b.b, 40);
	dws_u32(&b.b, 2);
	dws_u32(&b.b, 0);
	handle_desc(&b, 40, 0x44, mu, 0, first);
	handle_desc(&b, 40, 0x48, mu, 0, third);
	dws_stream_end(&b);
	dw_dump                 *d  = open_synth(&b);
	const dw_md_handle_data *hd = dw_md_streams_handle_data(other(d));
	cr_assert_not_null(hd);
	cr_assert_eq(hd->count, 2);
	const dw_md_handle *h = &hd->handles[0];
	cr_expect_eq(h->object_info_rva, first);
	cr_assert_eq(h->info_count, 2);
	cr_expect_eq(h->infos[0].type, 2);
	cr_assert(h->infos[0].decoded);
	cr_expect_eq(h->infos[0].u.mutant.current_count, -1);
	cr_expect_not(h->infos[0].u.mutant.owned_by_caller);
	cr_expect(h->infos[0].u.mutant.abandoned);
	cr_expect_eq(h->infos[1].type, 3);
	cr_assert(h->infos[1].decoded);
	cr_expect_eq(h->infos[1].u.mutant_owner.owner_process_id, 0x1870);
	cr_expect_eq(h->infos[1].u.mutant_owner.owner_thread_id, 0x1350);
	cr_expect_eq(h->infos[1].size, 16);
	cr_expect_eq(memcmp(h->infos[1].data, owner, 16), 0);
	cr_assert_eq(hd->handles[1].info_count, 1);
	cr_expect_eq(hd->handles[1].infos[0].u.mutant_owner.owner_thread_id, 0x20);
	cr_expect_str_eq(dw_md_handle_info_type_name(3), "MutantInformation2");
	cr_expect_eq(state_of(d, 12), DW_MD_STREAM_OK);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, handle_object_info_loop_is_stopped)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	uint8_t  ev[8] = {1, 0, 0, 0, 1, 0, 0, 0}; // EVENT_BASIC_INFORMATION: auto reset, signaled
	uint32_t a     = object_info(&b, 0, 6, ev, sizeof(ev));
	uint32_t c     = object_info(&b, a, 6, ev, sizeof(ev));
	p32(&b, a, c); // a -> c -> a
	dws_stream_begin(&b, 12);
	dws_u32(&b.b, 16);
	dws_u32(&b.b, 40);
	dws_u32(&b.b, 1);
	dws_u32(&b.b, 0);
	handle_desc(&b, 40, 0x4, 0, 0, a);
	dws_stream_end(&b);
	dw_dump                 *d  = open_synth(&b);
	const dw_md_handle_data *hd = dw_md_streams_handle_data(other(d));
	cr_assert_not_null(hd);
	cr_assert_eq(hd->handles[0].info_count, 2);
	cr_expect_eq(hd->handles[0].infos[1].u.event.event_type, 1);
	cr_expect_eq(hd->handles[0].infos[1].u.event.event_state, 1);
	cr_expect(has_note(d, "loop"));
	cr_expect_eq(state_of(d, 12), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, handle_object_info_out_of_range_is_stopped)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	uint8_t  sem[8] = {2, 0, 0, 0, 10, 0, 0, 0};
	uint32_t a      = object_info(&b, 0x7ffffff0, 8, sem, sizeof(sem));
	dws_stream_begin(&b, 12);
	dws_u32(&b.b, 16);
	dws_u32(&b.b, 40);
	dws_u32(&b.b, 1);
	dws_u32(&b.b, 0);
	handle_desc(&b, 40, 0x4, 0, 0, a);
	dws_stream_end(&b);
	dw_dump                 *d  = open_synth(&b);
	const dw_md_handle_data *hd = dw_md_streams_handle_data(other(d));
	cr_assert_not_null(hd);
	cr_assert_eq(hd->handles[0].info_count, 1);
	cr_expect_eq(hd->handles[0].infos[0].u.semaphore.current_count, 2);
	cr_expect_eq(hd->handles[0].infos[0].u.semaphore.maximum_count, 10);
	cr_expect(has_note(d, "past end of file"));
	cr_expect(has_note(d, "HandleDataStream"));
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, handle_count_over_limit_is_refused)
{
	// 2^24 + 1 descriptors declared (DW_MAX_HANDLES is 2^24); only the bytes of
	// the header are present, and nothing is allocated for the count.
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	dws_stream_begin(&b, 12);
	dws_u32(&b.b, 16);
	dws_u32(&b.b, 32);
	dws_u32(&b.b, (1u << 24) + 1);
	dws_u32(&b.b, 0);
	dws_stream_end(&b);
	dw_dump *d = open_synth(&b);
	cr_expect_null(dw_md_streams_handle_data(other(d)));
	cr_expect(has_note(d, "limit"));
	cr_expect_eq(state_of(d, 12), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, handle_descriptor_too_small_is_malformed)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	dws_stream_begin(&b, 12);
	dws_u32(&b.b, 16);
	dws_u32(&b.b, 24);
	dws_u32(&b.b, 1);
	dws_u32(&b.b, 0);
	dws_zeros(&b.b, 24);
	dws_stream_end(&b);
	dw_dump *d = open_synth(&b);
	cr_expect_null(dw_md_streams_handle_data(other(d)));
	cr_expect(has_note(d, "SizeOfDescriptor 24"));
	cr_expect_eq(state_of(d, 12), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// ---- MemoryInfoList --------------------------------------------------------------------------

// MINIDUMP_MEMORY_INFO_LIST {SizeOfHeader, SizeOfEntry, NumberOfEntries u64};
// MINIDUMP_MEMORY_INFO: BaseAddress, AllocationBase, AllocationProtect, pad,
// RegionSize, State, Protect, Type, pad (48 bytes).
static void
mem_info(dws_dump *b, uint32_t esz, uint64_t base, uint64_t size, uint32_t state, uint32_t prot,
         uint32_t type)
{
	size_t at = b->b.len;
	dws_u64(&b->b, base);
	dws_u64(&b->b, state == 0x10000 ? 0 : base);
	dws_u32(&b->b, prot);
	dws_u32(&b->b, 0);
	dws_u64(&b->b, size);
	dws_u32(&b->b, state);
	dws_u32(&b->b, prot);
	dws_u32(&b->b, type);
	dws_u32(&b->b, 0);
	while (b->b.len < at + esz)
		dws_u8(&b->b, 0xcc);
}

Test(walker_streams, memory_info_odd_header_and_entry_sizes)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	dws_stream_begin(&b, 16);
	dws_u32(&b.b, 24); // SizeOfHeader: 8 bytes more than the structure
	dws_u32(&b.b, 56); // SizeOfEntry: 8 bytes more
	dws_u64(&b.b, 3);
	dws_u64(&b.b, 0xdeadbeefdeadbeefull);
	mem_info(&b, 56, 0, 0x10000, 0x10000, 1, 0);
	mem_info(&b, 56, 0x10000, 0x2000, 0x1000, 0x4, 0x20000);
	mem_info(&b, 56, 0x12000, 0x1000, 0x1000, 0x120, 0x1000000);
	dws_stream_end(&b);
	dw_dump                 *d = open_synth(&b);
	size_t                   n;
	const dw_md_memory_info *m = dw_md_streams_memory_infos(other(d), &n);
	cr_assert_eq(n, 3);
	cr_expect_eq(m[1].base_address, 0x10000);
	cr_expect_eq(m[1].region_size, 0x2000);
	cr_expect_eq(m[1].state, 0x1000);
	cr_expect_eq(m[1].protect, 0x4);
	cr_expect_eq(m[1].type, 0x20000);
	cr_expect_eq(m[2].protect, 0x120);
	cr_expect_eq(dw_md_streams_memory_info_at(other(d), 0x11fff), &m[1]);
	cr_expect_eq(dw_md_streams_memory_info_at(other(d), 0x12000), &m[2]);
	cr_expect_null(dw_md_streams_memory_info_at(other(d), 0x13000));
	cr_expect_str_eq(dw_md_mem_state_name(m[1].state), "MEM_COMMIT");
	cr_expect_str_eq(dw_md_mem_type_name(m[2].type), "MEM_IMAGE");
	char p[64];
	dw_md_page_protect_string(p, sizeof(p), m[2].protect);
	cr_expect_str_eq(p, "PAGE_EXECUTE_READ|PAGE_GUARD");
	cr_expect_eq(state_of(d, 16), DW_MD_STREAM_OK);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, memory_info_short_entry_is_malformed)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	dws_stream_begin(&b, 16);
	dws_u32(&b.b, 16);
	dws_u32(&b.b, 40);
	dws_u64(&b.b, 1);
	dws_zeros(&b.b, 40);
	dws_stream_end(&b);
	dw_dump *d = open_synth(&b);
	size_t   n;
	cr_expect_null(dw_md_streams_memory_infos(other(d), &n));
	cr_expect(has_note(d, "SizeOfEntry 40"));
	cr_expect_eq(state_of(d, 16), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, memory_info_huge_count_hits_limit)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	dws_stream_begin(&b, 16);
	dws_u32(&b.b, 16);
	dws_u32(&b.b, 48);
	dws_u64(&b.b, 1ull << 40);
	mem_info(&b, 48, 0, 0x1000, 0x1000, 4, 0x20000);
	dws_stream_end(&b);
	dw_dump *d = open_synth(&b);
	size_t   n = 99;
	cr_expect_null(dw_md_streams_memory_infos(other(d), &n));
	cr_expect_eq(n, 0);
	cr_expect(has_note(d, "limit"));
	cr_expect_eq(state_of(d, 16), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// ---- Comments -------------------------------------------------------------------------------

Test(walker_streams, comment_streams_a_and_w)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	dws_stream_begin(&b, 10);
	dws_bytes(&b.b, "written by a test\0junk", 22);
	dws_stream_end(&b);
	dws_stream_begin(&b, 11);
	dws_utf16(&b.b, "wide comment");
	dws_u16(&b.b, 0);
	dws_stream_end(&b);
	dw_dump             *d = open_synth(&b);
	size_t               n;
	const dw_md_comment *c = dw_md_streams_comments(other(d), &n);
	cr_assert_eq(n, 2);
	cr_expect_eq(c[0].stream_type, 10);
	cr_expect_str_eq(c[0].text, "written by a test");
	cr_expect_eq(c[1].stream_type, 11);
	cr_expect_str_eq(c[1].text, "wide comment");
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// ---- FunctionTable ------------------------------------------------------------------------------

// MINIDUMP_FUNCTION_TABLE_STREAM {SizeOfHeader, SizeOfDescriptor,
// SizeOfNativeDescriptor, SizeOfFunctionEntry, NumberOfDescriptors,
// SizeOfAlignPad}, the pad, then per table: MINIDUMP_FUNCTION_TABLE_DESCRIPTOR
// {Min, Max, Base u64, EntryCount, SizeOfAlignPad}, native bytes, entries, pad.
static uint32_t
write_function_tables(dws_dump *b, uint32_t ndesc, uint32_t entries_per_table)
{
	uint32_t rva = dws_stream_begin(b, 13);
	dws_u32(&b->b, 24);
	dws_u32(&b->b, 32);
	dws_u32(&b->b, 16);
	dws_u32(&b->b, 12);
	dws_u32(&b->b, ndesc);
	dws_u32(&b->b, 4);
	dws_u32(&b->b, 0xaaaaaaaa); // header pad
	for (uint32_t t = 0; t < ndesc; t++) {
		dws_u64(&b->b, 0x10000000 * (t + 1));
		dws_u64(&b->b, 0x10000000 * (t + 1) + 0x1000);
		dws_u64(&b->b, 0x10000000 * (t + 1));
		dws_u32(&b->b, entries_per_table);
		dws_u32(&b->b, 4);
		for (int i = 0; i < 16; i++)
			dws_u8(&b->b, (uint8_t)(0x40 + t));
		for (uint32_t e = 0; e < entries_per_table; e++) {
			dws_u32(&b->b, 0x100 * e);
			dws_u32(&b->b, 0x100 * e + 0x80);
			dws_u32(&b->b, 0x900 + e);
		}
		dws_u32(&b->b, 0);
	}
	dws_stream_end(b);
	return rva;
}

Test(walker_streams, function_tables_keep_raw_windows)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	uint32_t                     rva = write_function_tables(&b, 2, 3);
	dw_dump                     *d   = open_synth(&b);
	const dw_md_function_tables *ft  = dw_md_streams_function_tables(other(d));
	cr_assert_not_null(ft);
	cr_expect_eq(ft->size_of_native_descriptor, 16);
	cr_expect_eq(ft->size_of_function_entry, 12);
	cr_assert_eq(ft->count, 2);
	const dw_md_function_table *t = &ft->tables[1];
	cr_expect_eq(t->minimum_address, 0x20000000);
	cr_expect_eq(t->maximum_address, 0x20001000);
	cr_expect_eq(t->entry_count, 3);
	// table 1 starts after header 24 + pad 4 + table 0 (32 + 16 + 36 + 4).
	cr_expect_eq(t->native_offset, rva + 28 + 88 + 32);
	cr_expect_eq(t->entries_offset, t->native_offset + 16);
	cr_expect_eq(t->native[0], 0x41);
	cr_expect_eq(le32(t->entries + 12 * 2 + 8), 0x902);
	cr_expect_eq(state_of(d, 13), DW_MD_STREAM_OK);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, function_table_entries_past_stream_are_noted)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	write_function_tables(&b, 2, 3);
	// Table 1 claims 1000 entries.
	p32(&b, b.b.len - 4 - 36 - 16 - 8, 1000);
	dw_dump                     *d  = open_synth(&b);
	const dw_md_function_tables *ft = dw_md_streams_function_tables(other(d));
	cr_assert_not_null(ft);
	cr_expect_eq(ft->count, 1);
	cr_expect(has_note(d, "FunctionTableStream"));
	cr_expect(has_note(d, "table 1"));
	cr_expect_eq(state_of(d, 13), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// ---- SystemMemoryInfo, ProcessVmCounters, Token ------------------------------------------------

Test(walker_streams, system_memory_info_1)
{
	// MINIDUMP_SYSTEM_MEMORY_INFO_1 (492 bytes): 0 Revision, 2 Flags, 4 BasicInfo
	// (8 PageSize, 12 NumberOfPhysicalPages, 52 NumberOfProcessors), 56
	// FileCacheInfo, 116 BasicPerfInfo (AvailablePages, CommittedPages,
	// CommitLimit, PeakCommitment), 148 PerfInfo (192 AvailablePages u32, 200
	// CommitLimit,
	// 460 CcTotalDirtyPages, 476 ResidentAvailablePages).
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	dws_stream_begin(&b, 21);
	size_t at = b.b.len;
	dws_zeros(&b.b, 492);
	p16(&b, at, 1);
	p16(&b, at + 2, 0xf);
	p32(&b, at + 8, 4096);
	p32(&b, at + 12, 8361045);
	p32(&b, at + 52, 16);
	p64(&b, at + 56, 222089216);
	p64(&b, at + 116, 6579487);
	p64(&b, at + 124, 1893577);
	p64(&b, at + 132, 9606229);
	p64(&b, at + 140, 1901228);
	p32(&b, at + 192, 6579487);
	p32(&b, at + 200, 9606229);
	p64(&b, at + 476, 8004585);
	p64(&b, at + 484, 148679);
	dws_stream_end(&b);
	dw_dump                        *d = open_synth(&b);
	const dw_md_system_memory_info *m = dw_md_streams_system_memory_info(other(d));
	cr_assert_not_null(m);
	cr_expect_eq(m->revision, 1);
	cr_expect_eq(m->flags, 0xf);
	cr_expect_eq(m->basic.page_size, 4096);
	cr_expect_eq(m->basic.number_of_physical_pages, 8361045);
	cr_expect_eq(m->basic.number_of_processors, 16);
	cr_expect_eq(m->file_cache.current_size, 222089216);
	cr_expect_eq(m->basic_perf.available_pages, 6579487);
	cr_expect_eq(m->basic_perf.committed_pages, 1893577);
	cr_expect_eq(m->basic_perf.commit_limit, 9606229);
	cr_expect_eq(m->basic_perf.peak_commitment, 1901228);
	cr_expect_eq(m->perf.available_pages, 6579487);
	cr_expect_eq(m->perf.commit_limit, 9606229);
	cr_expect_eq(m->perf.resident_available_pages, 8004585);
	cr_expect_eq(m->perf.shared_committed_pages, 148679);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, system_memory_info_short_is_malformed)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	dws_stream_begin(&b, 21);
	dws_zeros(&b.b, 200);
	dws_stream_end(&b);
	dw_dump *d = open_synth(&b);
	cr_expect_null(dw_md_streams_system_memory_info(other(d)));
	cr_expect(has_note(d, "SystemMemoryInfoStream"));
	cr_expect_eq(state_of(d, 21), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, process_vm_counters_v1_and_v2)
{
	// _1: 0 Revision u16, 4 PageFaultCount, 8.. nine u64 ending with PrivateUsage at 72.
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	dws_stream_begin(&b, 22);
	size_t at = b.b.len;
	dws_zeros(&b.b, 80);
	p16(&b, at, 1);
	p32(&b, at + 4, 7973);
	p64(&b, at + 16, 9871360);
	p64(&b, at + 72, 2732032);
	dws_stream_end(&b);
	dw_dump                         *d = open_synth(&b);
	const dw_md_process_vm_counters *v = dw_md_streams_process_vm_counters(other(d));
	cr_assert_not_null(v);
	cr_expect_eq(v->revision, 1);
	cr_expect_eq(v->page_fault_count, 7973);
	cr_expect_eq(v->working_set_size, 9871360);
	cr_expect_eq(v->private_usage, 2732032);
	dw_dump_free(d);
	dws_dump_fini(&b);

	// _2: 2 Flags, 72 PeakVirtualSize, 80 VirtualSize, 88 PrivateUsage, 96
	// PrivateWorkingSetSize, 104 SharedCommitUsage, 112..152 Job*.
	dws_dump_init(&b, 4, 0, 0);
	dws_stream_begin(&b, 22);
	at = b.b.len;
	dws_zeros(&b.b, 152);
	p16(&b, at, 2);
	p16(&b, at + 2, 0x1f);
	p32(&b, at + 4, 480);
	p64(&b, at + 72, 4467310592ull);
	p64(&b, at + 80, 4461797376ull);
	p64(&b, at + 88, 2732032);
	p64(&b, at + 96, 1560576);
	p64(&b, at + 144, 77);
	dws_stream_end(&b);
	d = open_synth(&b);
	v = dw_md_streams_process_vm_counters(other(d));
	cr_assert_not_null(v);
	cr_expect_eq(v->revision, 2);
	cr_expect_eq(v->flags, 0x1f);
	cr_expect_eq(v->page_fault_count, 480);
	cr_expect_eq(v->peak_virtual_size, 4467310592ull);
	cr_expect_eq(v->virtual_size, 4461797376ull);
	cr_expect_eq(v->private_usage, 2732032);
	cr_expect_eq(v->private_working_set_size, 1560576);
	cr_expect_eq(v->job_total_commit_limit, 77);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, token_list_entries)
{
	// MINIDUMP_TOKEN_INFO_LIST {TokenListSize, TokenListEntries, ListHeaderSize,
	// ElementHeaderSize}; elements {TokenSize (whole element), TokenId,
	// TokenHandle u64} followed by data; here ElementHeaderSize is 24.
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	uint32_t rva = dws_stream_begin(&b, 19);
	dws_u32(&b.b, 16 + 32 + 40);
	dws_u32(&b.b, 2);
	dws_u32(&b.b, 16);
	dws_u32(&b.b, 24);
	dws_u32(&b.b, 32);
	dws_u32(&b.b, 0x1908);
	dws_u64(&b.b, 0x794);
	dws_zeros(&b.b, 8);
	dws_bytes(&b.b, "TOKENDAT", 8);
	dws_u32(&b.b, 40);
	dws_u32(&b.b, 0x2000);
	dws_u64(&b.b, 0x798);
	dws_zeros(&b.b, 24);
	dws_stream_end(&b);
	dw_dump                *d = open_synth(&b);
	const dw_md_token_list *l = dw_md_streams_tokens(other(d));
	cr_assert_not_null(l);
	cr_assert_eq(l->count, 2);
	cr_expect_eq(l->tokens[0].token_id, 0x1908);
	cr_expect_eq(l->tokens[0].token_handle, 0x794);
	cr_expect_eq(l->tokens[0].data_size, 8);
	cr_expect_eq(l->tokens[0].data_offset, rva + 16 + 24);
	cr_expect_eq(memcmp(l->tokens[0].data, "TOKENDAT", 8), 0);
	cr_expect_eq(l->tokens[1].token_id, 0x2000);
	cr_expect_eq(l->tokens[1].data_size, 16);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, token_size_past_stream_is_noted)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	dws_stream_begin(&b, 19);
	dws_u32(&b.b, 48);
	dws_u32(&b.b, 1);
	dws_u32(&b.b, 16);
	dws_u32(&b.b, 16);
	dws_u32(&b.b, 5000);
	dws_u32(&b.b, 1);
	dws_u64(&b.b, 2);
	dws_zeros(&b.b, 16);
	dws_stream_end(&b);
	dw_dump                *d = open_synth(&b);
	const dw_md_token_list *l = dw_md_streams_tokens(other(d));
	cr_assert_not_null(l);
	cr_expect_eq(l->count, 0);
	cr_expect(has_note(d, "TokenSize 5000"));
	cr_expect_eq(state_of(d, 19), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// ---- Breakpad and Crashpad ----------------------------------------------------------------------

Test(walker_streams, breakpad_info_and_assertion)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	dws_stream_begin(&b, 0x47670001);
	dws_u32(&b.b, 3);
	dws_u32(&b.b, 0x11c0);
	dws_u32(&b.b, 0xbf4);
	dws_stream_end(&b);
	// MDRawAssertionInfo: expression[128], function[128], file[128] UTF-16, line, type.
	dws_stream_begin(&b, 0x47670002);
	size_t at = b.b.len;
	dws_zeros(&b.b, 776);
	put_wide(&b, at, "p != 0");
	put_wide(&b, at + 256, "main");
	put_wide(&b, at + 512, "c:\\src\\a.cc");
	p32(&b, at + 768, 42);
	p32(&b, at + 772, 2);
	dws_stream_end(&b);
	dw_dump                   *d  = open_synth(&b);
	const dw_md_breakpad_info *bi = dw_md_streams_breakpad_info(other(d));
	cr_assert_not_null(bi);
	cr_expect_eq(bi->validity, 3);
	cr_expect_eq(bi->dump_thread_id, 0x11c0);
	cr_expect_eq(bi->requesting_thread_id, 0xbf4);
	const dw_md_assertion *a = dw_md_streams_assertion(other(d));
	cr_assert_not_null(a);
	cr_expect_str_eq(a->expression, "p != 0");
	cr_expect_str_eq(a->function, "main");
	cr_expect_str_eq(a->file, "c:\\src\\a.cc");
	cr_expect_eq(a->line, 42);
	cr_expect_eq(a->type, 2);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, breakpad_info_short_is_malformed)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	dws_stream_begin(&b, 0x47670001);
	dws_u32(&b.b, 3);
	dws_stream_end(&b);
	dw_dump *d = open_synth(&b);
	cr_expect_null(dw_md_streams_breakpad_info(other(d)));
	cr_expect(has_note(d, "BreakpadInfoStream"));
	cr_expect_eq(state_of(d, 0x47670001), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// MinidumpUTF8String: u32 length, bytes, NUL.
static uint32_t
utf8(dws_dump *b, const char *s)
{
	dws_align(&b->b, 4);
	uint32_t rva = (uint32_t)b->b.len;
	dws_u32(&b->b, (uint32_t)strlen(s));
	dws_bytes(&b->b, s, strlen(s) + 1);
	return rva;
}

Test(walker_streams, crashpad_info_annotations_and_module_links)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	uint32_t k1 = utf8(&b, "prod"), v1 = utf8(&b, "Electron");
	uint32_t k2 = utf8(&b, "ver"), v2 = utf8(&b, "29.1.5");
	uint32_t l1 = utf8(&b, "list entry");
	dws_align(&b.b, 4);
	uint32_t dict = (uint32_t)b.b.len; // MinidumpSimpleStringDictionary
	dws_u32(&b.b, 2);
	dws_u32(&b.b, k1);
	dws_u32(&b.b, v1);
	dws_u32(&b.b, k2);
	dws_u32(&b.b, v2);
	uint32_t mdict = (uint32_t)b.b.len; // one entry, reused for the module
	dws_u32(&b.b, 1);
	dws_u32(&b.b, k2);
	dws_u32(&b.b, v2);
	uint32_t rvalist = (uint32_t)b.b.len; // MinidumpRVAList
	dws_u32(&b.b, 1);
	dws_u32(&b.b, l1);
	uint32_t minfo = (uint32_t)b.b.len; // MinidumpModuleCrashpadInfo
	dws_u32(&b.b, 1);
	dws_u32(&b.b, 8);
	dws_u32(&b.b, rvalist);
	dws_u32(&b.b, 12);
	dws_u32(&b.b, mdict);
	dws_u32(&b.b, 0);
	dws_u32(&b.b, 0);
	uint32_t mlist = (uint32_t)b.b.len; // MinidumpModuleCrashpadInfoList
	dws_u32(&b.b, 1);
	dws_u32(&b.b, 5);
	dws_u32(&b.b, 28);
	dws_u32(&b.b, minfo);
	dws_stream_begin(&b, 0x43500001);
	dws_u32(&b.b, 1);
	// report id 14fdd8b4-6c42-4353-a558-5593e0068791, stored as a Windows GUID.
	const uint8_t rid[16] = {0xb4, 0xd8, 0xfd, 0x14, 0x42, 0x6c, 0x53, 0x43,
	                         0xa5, 0x58, 0x55, 0x93, 0xe0, 0x06, 0x87, 0x91};
	dws_bytes(&b.b, rid, 16);
	dws_zeros(&b.b, 16);
	dws_u32(&b.b, 36);
	dws_u32(&b.b, dict);
	dws_u32(&b.b, 16);
	dws_u32(&b.b, mlist);
	dws_u32(&b.b, 0);
	dws_u64(&b.b, 0xff00000000000000ull);
	dws_stream_end(&b);
	dw_dump                   *d = open_synth(&b);
	const dw_md_crashpad_info *c = dw_md_streams_crashpad_info(other(d));
	cr_assert_not_null(c);
	cr_expect_eq(c->version, 1);
	char g[40];
	dw_md_guid_string(g, c->report_id);
	cr_expect_str_eq(g, "14fdd8b4-6c42-4353-a558-5593e0068791");
	cr_expect(c->has_address_mask);
	cr_expect_eq(c->address_mask, 0xff00000000000000ull);
	cr_assert_eq(c->annotation_count, 2);
	cr_expect_str_eq(c->annotations[0].key, "prod");
	cr_expect_str_eq(c->annotations[0].value, "Electron");
	cr_expect_str_eq(c->annotations[1].value, "29.1.5");
	cr_assert_eq(c->module_count, 1);
	cr_expect_eq(c->modules[0].module_index, 5);
	cr_expect(c->modules[0].parsed);
	cr_assert_eq(c->modules[0].list_annotation_count, 1);
	cr_expect_str_eq(c->modules[0].list_annotations[0], "list entry");
	cr_assert_eq(c->modules[0].simple_annotation_count, 1);
	cr_expect_str_eq(c->modules[0].simple_annotations[0].key, "ver");
	cr_expect_eq(state_of(d, 0x43500001), DW_MD_STREAM_OK);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, crashpad_info_bad_dictionary_keeps_the_record)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 0);
	dws_stream_begin(&b, 0x43500001);
	dws_u32(&b.b, 1);
	dws_zeros(&b.b, 32);
	dws_u32(&b.b, 100);
	dws_u32(&b.b, 0x7fff0000); // dictionary past end of file
	dws_u32(&b.b, 0);
	dws_u32(&b.b, 0);
	dws_stream_end(&b);
	dw_dump                   *d = open_synth(&b);
	const dw_md_crashpad_info *c = dw_md_streams_crashpad_info(other(d));
	cr_assert_not_null(c);
	cr_expect_not(c->has_address_mask);
	cr_expect_eq(c->annotation_count, 0);
	cr_expect(has_note(d, "CrashpadInfoStream"));
	cr_expect_eq(state_of(d, 0x43500001), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(walker_streams, accessors_accept_absent_streams)
{
	dws_dump b;
	dws_dump_init(&b, 1, 0, 0);
	dw_dump             *d = open_synth(&b);
	const dw_md_streams *s = other(d);
	size_t               n = 1, total = 1;
	cr_expect_null(dw_md_streams_misc_info(s));
	cr_expect_null(dw_md_streams_thread_infos(s, &n));
	cr_expect_eq(n, 0);
	cr_expect_null(dw_md_streams_handle_data(s));
	cr_expect_null(dw_md_streams_handle_type_counts(s, &n, &total));
	cr_expect_eq(total, 0);
	cr_expect_null(dw_md_streams_memory_info_at(s, 0x1000));
	cr_expect_null(dw_md_streams_crashpad_info(NULL));
	cr_expect_null(dw_md_streams_comments(NULL, &n));
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// ---- Real dumps ---------------------------------------------------------------------------------

static const char *
corpus(void)
{
	const char *c = getenv("DW_CORPUS");
	struct stat st;
	if (c == NULL || stat(c, &st) != 0 || !S_ISDIR(st.st_mode))
		cr_skip_test("DW_CORPUS (%s) is not a directory: the shared corpus is not available",
		             c ? c : "unset");
	return c;
}

static dw_dump *
open_real(const char *rel)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/dumps/%s", corpus(), rel);
	dw_dump *d  = NULL;
	dw_err   rv = dw_dump_open_file(&d, path, NULL);
	cr_assert_eq(rv, DW_OK, "%s: %s", rel, dw_errname(rv));
	return d;
}

// No stream of ours may be marked malformed in a real dump.
static void
assert_streams_clean(const dw_dump *d, const char *rel)
{
	size_t              n;
	const dw_md_stream *s = dw_dump_streams(d, &n);
	for (size_t i = 0; i < n; i++) {
		bool ours = (s[i].type >= 10 && s[i].type <= 24 && s[i].type != 14) ||
		            s[i].type == 0x47670001 || s[i].type == 0x47670002 ||
		            s[i].type == 0x43500001;
		if (ours)
			cr_expect_neq(s[i].state, DW_MD_STREAM_MALFORMED, "%s: stream %zu (type 0x%x)", rel,
			              i, s[i].type);
	}
}

// "key = value" from a block of Breakpad's minidump_dump output that starts
// with a line equal to `block`. Returns the value text or NULL.
static char *
expected_value(const char *file, const char *block, const char *key, char *buf, size_t n)
{
	char  path[1024], line[512];
	bool  in = false;
	char *res = NULL;
	snprintf(path, sizeof(path), "%s/expected/%s", corpus(), file);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s missing", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = 0;
		if (!in) {
			in = strcmp(line, block) == 0;
			continue;
		}
		if (line[0] == 0)
			break;
		char *eq = strstr(line, " = ");
		if (eq == NULL)
			continue;
		char *k = line + strspn(line, " ");
		*eq     = 0;
		k[strcspn(k, " ")] = 0;
		if (strcmp(k, key) == 0) {
			snprintf(buf, n, "%s", eq + 3);
			res = buf;
			break;
		}
	}
	fclose(f);
	cr_assert_not_null(res, "%s: no %s in %s", file, key, block);
	return res;
}

Test(walker_streams_corpus, minidump2_misc_and_breakpad_info_match_breakpad)
{
	// Expected: Breakpad's minidump_dump output for this dump,
	// expected/breakpad/minidump2.dump.out (MDRawMiscInfo, MDRawBreakpadInfo).
	const char *exp = "breakpad/minidump2.dump.out";
	char        v[128];
	dw_dump    *d = open_real("breakpad/minidump2.dmp");
	const dw_md_misc_info *m = dw_md_streams_misc_info(other(d));
	cr_assert_not_null(m);
	cr_expect_eq(m->size_of_info,
	             strtoul(expected_value(exp, "MDRawMiscInfo", "size_of_info", v, sizeof(v)), NULL, 0));
	cr_expect_eq(m->flags1,
	             strtoul(expected_value(exp, "MDRawMiscInfo", "flags1", v, sizeof(v)), NULL, 0));
	cr_expect_eq(m->process_id,
	             strtoul(expected_value(exp, "MDRawMiscInfo", "process_id", v, sizeof(v)), NULL, 0));
	cr_expect_eq(m->process_create_time,
	             strtoul(expected_value(exp, "MDRawMiscInfo", "process_create_time", v, sizeof(v)),
	                     NULL, 0));
	cr_expect_eq(m->process_user_time,
	             strtoul(expected_value(exp, "MDRawMiscInfo", "process_user_time", v, sizeof(v)),
	                     NULL, 0));
	cr_expect_eq(m->process_kernel_time,
	             strtoul(expected_value(exp, "MDRawMiscInfo", "process_kernel_time", v, sizeof(v)),
	                     NULL, 0));
	const dw_md_breakpad_info *b = dw_md_streams_breakpad_info(other(d));
	cr_assert_not_null(b);
	cr_expect_eq(b->validity,
	             strtoul(expected_value(exp, "MDRawBreakpadInfo", "validity", v, sizeof(v)), NULL, 0));
	cr_expect_eq(b->dump_thread_id,
	             strtoul(expected_value(exp, "MDRawBreakpadInfo", "dump_thread_id", v, sizeof(v)),
	                     NULL, 0));
	cr_expect_eq(b->requesting_thread_id,
	             strtoul(expected_value(exp, "MDRawBreakpadInfo", "requesting_thread_id", v,
	                                    sizeof(v)),
	                     NULL, 0));
	assert_streams_clean(d, "breakpad/minidump2.dmp");
	dw_dump_free(d);
}

Test(walker_streams_corpus, fizzbuzz_pid_from_misc_info)
{
	// Expected: lldb's minidump test (TestMiniDump.py) reads pid 4440 from this
	// dump; corpus README, lldb/fizzbuzz_no_heap.dmp. The dump also carries a
	// ThreadInfoList whose one entry must be the one thread lldb reports.
	dw_dump               *d = open_real("lldb/fizzbuzz_no_heap.dmp");
	const dw_md_misc_info *m = dw_md_streams_misc_info(other(d));
	cr_assert_not_null(m);
	cr_expect(m->has_process_id);
	cr_expect_eq(m->process_id, 4440);
	size_t                   n, nt;
	const dw_md_thread_info *ti = dw_md_streams_thread_infos(other(d), &n);
	const dw_md_thread      *t  = dw_dump_threads(d, &nt);
	cr_assert_eq(n, 1);
	if (nt == 1)
		cr_expect_eq(ti[0].thread_id, t[0].thread_id);
	assert_streams_clean(d, "lldb/fizzbuzz_no_heap.dmp");
	dw_dump_free(d);
}

Test(walker_streams_corpus, invalid_parameter_assertion)
{
	// Expected: corpus README (rust-minidump's invalid-parameter test dump).
	dw_dump               *d = open_real("rust-minidump/invalid-parameter.dmp");
	const dw_md_assertion *a = dw_md_streams_assertion(other(d));
	cr_assert_not_null(a);
	cr_expect_str_eq(a->expression, "format != nullptr");
	cr_expect_str_eq(a->function, "common_vfprintf");
	cr_expect_str_eq(a->file, "minkernel\\crts\\ucrt\\src\\appcrt\\stdio\\output.cpp");
	cr_expect_eq(a->line, 32);
	assert_streams_clean(d, "rust-minidump/invalid-parameter.dmp");
	dw_dump_free(d);
}

static void
expect_handle_total(const char *rel, size_t want)
{
	dw_dump                 *d  = open_real(rel);
	const dw_md_handle_data *hd = dw_md_streams_handle_data(other(d));
	cr_assert_not_null(hd, "%s: no HandleData", rel);
	cr_expect_eq(hd->number_of_descriptors, want, "%s", rel);
	cr_expect_eq(hd->count, want, "%s", rel);
	size_t nt, total, sum = 0;
	const dw_md_handle_type_count *tc = dw_md_streams_handle_type_counts(other(d), &nt, &total);
	cr_expect_eq(total, want, "%s", rel);
	for (size_t i = 0; i < nt; i++)
		sum += tc[i].count;
	cr_expect_eq(sum, want, "%s: counts by type add up", rel);
	assert_streams_clean(d, rel);
	dw_dump_free(d);
}

Test(walker_streams_corpus, handle_counts_match_readme)
{
	// Expected: corpus README, "HandleData (147 handles)" and "HandleData (302)".
	expect_handle_total("breakpad/tiny-exe-with-cet-xsave.dmp", 147);
	expect_handle_total("rust-minidump/historical/stability-report.dmp", 302);
}

Test(walker_streams_corpus, stability_report_thread_names_and_memory_info)
{
	// Expected: corpus README says 19 threads. Each ThreadNames entry must name
	// a thread of the ThreadList (parsed by other code), every module image
	// must lie in MEM_IMAGE regions and every thread stack in committed
	// memory, and VirtualQuery enumerates the address space contiguously.
	const char *rel = "rust-minidump/historical/stability-report.dmp";
	dw_dump    *d   = open_real(rel);
	size_t      nn, nt, nm, nmod;
	const dw_md_thread_name *names = dw_md_streams_thread_names(other(d), &nn);
	const dw_md_thread      *th    = dw_dump_threads(d, &nt);
	cr_expect_eq(nn, 19);
	cr_expect_eq(nt, 19);
	for (size_t i = 0; i < nn; i++) {
		cr_expect_not_null(names[i].name, "name %zu unreadable", i);
		cr_expect_not_null(dw_dump_thread_find(d, names[i].thread_id),
		                   "named thread 0x%x not in ThreadList", names[i].thread_id);
	}
	const dw_md_memory_info *m = dw_md_streams_memory_infos(other(d), &nm);
	cr_assert_gt(nm, 0);
	for (size_t i = 1; i < nm; i++)
		cr_expect_eq(m[i].base_address, m[i - 1].base_address + m[i - 1].region_size,
		             "region %zu not contiguous", i);
	for (size_t i = 0; i < nt; i++) {
		const dw_md_memory_info *r = dw_md_streams_memory_info_at(other(d), th[i].stack.start);
		cr_assert_not_null(r, "stack of thread 0x%x outside every region", th[i].thread_id);
		cr_expect_eq(r->state, 0x1000, "stack of thread 0x%x not committed", th[i].thread_id);
	}
	const dw_md_module *mods = dw_dump_modules(d, &nmod);
	for (size_t i = 0; i < nmod; i++) {
		const dw_md_memory_info *r = dw_md_streams_memory_info_at(other(d), mods[i].base);
		cr_assert_not_null(r, "module %zu outside every region", i);
		cr_expect_eq(r->type, 0x1000000, "module %zu at 0x%llx is not MEM_IMAGE", i,
		             (unsigned long long)mods[i].base);
		cr_expect_eq(r->allocation_base, mods[i].base);
	}
	assert_streams_clean(d, rel);
	dw_dump_free(d);
}

Test(walker_streams_corpus, every_real_dump_reads_its_other_streams_cleanly)
{
	// Expected: corpus README, "Every real dump ... parses with no error".
	static const char *const dumps[] = {
	    "breakpad/minidump2.dmp",
	    "breakpad/tiny-exe-with-cet-xsave.dmp",
	    "breakpad/tiny-exe-with-cet-xsave-x86.dmp",
	    "breakpad/historical/minidump1.dmp",
	    "electron-node-minidump/windows.dmp",
	    "lldb/fizzbuzz_no_heap.dmp",
	    "lldb/sigsegv.dmp",
	    "rust-minidump/invalid-parameter.dmp",
	    "rust-minidump/historical/stability-report.dmp",
	    "symbolic-unreal/UE4Minidump.dmp",
	    "symbolicator/windows.dmp",
	    "syzygy/notepad-small-32bit.dmp",
	    "syzygy/notepad-small-64bit.dmp",
	    "syzygy/use-after-free.dmp",
	    "syzygy/minidump-no-kasko-stream.dmp",
	};
	for (size_t i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		dw_dump *d = open_real(dumps[i]);
		assert_streams_clean(d, dumps[i]);
		dw_dump_free(d);
	}
}

// A HandleData stream whose parsed records pass the job's parse budget is
// skipped with a limit note, and the streams parsed after it still are.
// 3000 v1 descriptors take 96 KB of file and 3000 * sizeof(dw_md_handle)
// (64 bytes) = 192 KB parsed, against a 128 KB budget.
Test(walker_streams, handle_data_over_parse_budget_is_skipped_not_fatal)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	dws_stream_begin(&s, 12); // HandleDataStream
	dws_u32(&s.b, 16);        // SizeOfHeader
	dws_u32(&s.b, 32);        // SizeOfDescriptor (v1)
	dws_u32(&s.b, 3000);      // NumberOfDescriptors
	dws_u32(&s.b, 0);         // Reserved
	for (uint32_t i = 0; i < 3000; i++) {
		dws_u64(&s.b, 4 * (uint64_t)i + 4); // Handle
		dws_u32(&s.b, 0);                   // TypeNameRva
		dws_u32(&s.b, 0);                   // ObjectNameRva
		dws_zeros(&s.b, 16);                // Attributes..PointerCount
	}
	dws_stream_end(&s);
	dws_stream_begin(&s, 16); // MemoryInfoListStream, parsed after HandleData
	dws_u32(&s.b, 16);        // SizeOfHeader
	dws_u32(&s.b, 48);        // SizeOfEntry
	dws_u64(&s.b, 1);         // NumberOfEntries
	dws_u64(&s.b, 0x10000);   // BaseAddress
	dws_u64(&s.b, 0x10000);   // AllocationBase
	dws_u32(&s.b, 4);         // AllocationProtect
	dws_u32(&s.b, 0);
	dws_u64(&s.b, 0x2000);    // RegionSize
	dws_u32(&s.b, 0x1000);    // State: MEM_COMMIT
	dws_u32(&s.b, 4);         // Protect
	dws_u32(&s.b, 0x20000);   // Type: MEM_PRIVATE
	dws_u32(&s.b, 0);
	dws_stream_end(&s);
	size_t         len;
	const uint8_t *p = dws_dump_finish(&s, &len);

	dw_dump *d = NULL;
	cr_assert_eq(dw_dump_open_buffer_budget(&d, p, len, 128 * 1024, NULL), DW_OK);
	const dw_md_streams *o = dw_dump_other_streams(d);
	cr_assert_null(dw_md_streams_handle_data(o));
	size_t n = 0;
	cr_assert_not_null(dw_md_streams_memory_infos(o, &n));
	cr_assert_eq(n, 1);
	const dw_notes *notes = dw_dump_notes(d);
	bool            found = false;
	for (size_t i = 0; i < notes->count; i++)
		found |= notes->items[i].code == DW_ELIMIT &&
		         strstr(notes->items[i].text, "HandleDataStream") != NULL;
	cr_assert(found, "expected a DW_ELIMIT note naming HandleDataStream");
	dw_dump_free(d);

	// With the default budget the same dump reads all 3000 handles.
	cr_assert_eq(dw_dump_open_buffer(&d, p, len, NULL), DW_OK);
	cr_assert_eq(dw_md_streams_handle_data(dw_dump_other_streams(d))->count, 3000);
	dw_dump_free(d);
	dws_dump_fini(&s);
}
