// The core minidump streams, on dumps written byte by byte with tests/synth:
// SystemInfo, ThreadList/ThreadExList, ModuleList, UnloadedModuleList,
// MemoryList/Memory64List and Exception, valid and broken.
#include <criterion/criterion.h>
#include <string.h>

#include "tests/synth/synth.h"
#include "walker/context.h"
#include "walker/dump.h"

// Stream type numbers and sizes are written here from minidumpapiset.h, not
// taken from walker/dump.h, so a wrong constant there cannot hide.
enum {
	T_THREAD_LIST    = 3,
	T_MODULE_LIST    = 4,
	T_MEMORY_LIST    = 5,
	T_EXCEPTION      = 6,
	T_SYSTEM_INFO    = 7,
	T_THREAD_EX_LIST = 8,
	T_MEMORY64_LIST  = 9,
	T_UNLOADED       = 14,
};

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

// An x86 CONTEXT (716 bytes): ContextFlags at 0, Ebp 180, Eip 184, Esp 196.
static void
x86_context(uint8_t *b, uint32_t flags, uint32_t eip, uint32_t esp, uint32_t ebp)
{
	memset(b, 0, 716);
	put32(b + 0, flags);
	put32(b + 176, 0xeaeaeaea); // Eax
	put32(b + 180, ebp);
	put32(b + 184, eip);
	put32(b + 196, esp);
}

// An amd64 CONTEXT (1232 bytes): ContextFlags at 48, Rax 120, Rsp 152, Rbp 160, Rip 248.
static void
amd64_context(uint8_t *b, uint32_t flags, uint64_t rip, uint64_t rsp, uint64_t rbp)
{
	memset(b, 0, 1232);
	put32(b + 48, flags);
	put64(b + 120, 0x1111222233334444ull);
	put64(b + 152, rsp);
	put64(b + 160, rbp);
	put64(b + 248, rip);
}

static void
system_info(dws_dump *s, uint16_t arch, uint32_t csd_rva)
{
	dws_stream_begin(s, T_SYSTEM_INFO);
	dws_u16(&s->b, arch);
	dws_u16(&s->b, 6);      // level
	dws_u16(&s->b, 0xd08);  // revision
	dws_u8(&s->b, 4);       // processors
	dws_u8(&s->b, 1);       // product type
	dws_u32(&s->b, 10);     // major
	dws_u32(&s->b, 0);      // minor
	dws_u32(&s->b, 19045);  // build
	dws_u32(&s->b, 2);      // platform
	dws_u32(&s->b, csd_rva);
	dws_u16(&s->b, 0x100);  // suite
	dws_u16(&s->b, 0);
	dws_bytes(&s->b, "GenuineIntel", 12);
	dws_u32(&s->b, 0x6d8);
	dws_u32(&s->b, 0xafe9fbff);
	dws_u32(&s->b, 0xffffffff);
	dws_stream_end(s);
}

static dw_dump *
open_synth(dws_dump *s)
{
	size_t         len;
	const uint8_t *p = dws_dump_finish(s, &len);
	dw_dump       *d = NULL;
	dw_err         rv = dw_dump_open_buffer(&d, p, len, NULL);
	cr_assert_eq(rv, DW_OK, "open failed: %s", dw_errname(rv));
	return d;
}

static bool
has_note(const dw_dump *d, dw_err code, const char *needle)
{
	const dw_notes *n = dw_dump_notes(d);
	for (size_t i = 0; i < n->count; i++)
		if (n->items[i].code == code && strstr(n->items[i].text, needle) != NULL)
			return true;
	return false;
}

static size_t
count_errors(const dw_dump *d)
{
	const dw_notes *n = dw_dump_notes(d);
	size_t          k = 0;
	for (size_t i = 0; i < n->count; i++)
		k += n->items[i].code != DW_OK;
	return k;
}

static dw_md_stream_state
state_of(const dw_dump *d, uint32_t type)
{
	size_t              n;
	const dw_md_stream *s = dw_dump_streams(d, &n);
	for (size_t i = 0; i < n; i++)
		if (s[i].type == type)
			return s[i].state;
	return (dw_md_stream_state)-1;
}

// ---- SystemInfo ------------------------------------------------------------------

Test(walker_dump, reads_system_info_with_csd_and_cpu_vendor)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	uint32_t csd = dws_string(&s, "Service Pack 2");
	system_info(&s, 0, csd);
	dw_dump                 *d  = open_synth(&s);
	const dw_md_system_info *si = dw_dump_system_info(d);
	cr_assert_not_null(si);
	cr_assert_eq(si->processor_architecture, 0);
	cr_assert_eq(si->processor_level, 6);
	cr_assert_eq(si->processor_revision, 0xd08);
	cr_assert_eq(si->number_of_processors, 4);
	cr_assert_eq(si->build_number, 19045);
	cr_assert_eq(si->suite_mask, 0x100);
	cr_assert_str_eq(si->csd_version, "Service Pack 2");
	cr_assert_str_eq(si->vendor_id, "GenuineIntel");
	cr_assert_eq(si->feature_information, 0xafe9fbff);
	cr_assert_eq(si->amd_extended_cpu_features, 0xffffffff);
	cr_assert_eq(dw_dump_cpu(d), DW_CPU_X86);
	cr_assert_eq(count_errors(d), 0);
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, notes_short_system_info)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	dws_stream_begin(&s, T_SYSTEM_INFO);
	dws_zeros(&s.b, 40);
	dws_stream_end(&s);
	dw_dump *d = open_synth(&s);
	cr_assert_null(dw_dump_system_info(d));
	cr_assert(has_note(d, DW_ETRUNC, "SystemInfoStream"));
	cr_assert_eq(state_of(d, T_SYSTEM_INFO), DW_MD_STREAM_MALFORMED);
	cr_assert_eq(dw_dump_cpu(d), DW_CPU_UNKNOWN);
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, notes_csd_string_past_eof)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	system_info(&s, 9, 0x7ffffff0);
	dw_dump                 *d  = open_synth(&s);
	const dw_md_system_info *si = dw_dump_system_info(d);
	cr_assert_not_null(si);
	cr_assert_null(si->csd_version);
	cr_assert(has_note(d, DW_ETRUNC, "CSD version"));
	dw_dump_free(d);
	dws_dump_fini(&s);
}

// ---- Threads ---------------------------------------------------------------------

static void
thread_entry(dws_buf *b, uint32_t tid, uint64_t stack, uint32_t stack_size, uint32_t stack_rva,
             uint32_t ctx_size, uint32_t ctx_rva)
{
	dws_u32(b, tid);
	dws_u32(b, 1);          // suspend count
	dws_u32(b, 0x20);       // priority class
	dws_u32(b, 0);          // priority
	dws_u64(b, 0x7ffde000); // TEB
	dws_u64(b, stack);
	dws_u32(b, stack_size);
	dws_u32(b, stack_rva);
	dws_u32(b, ctx_size);
	dws_u32(b, ctx_rva);
}

Test(walker_dump, reads_thread_list_with_x86_contexts)
{
	dws_dump s;
	uint8_t  ctx[716];
	dws_dump_init(&s, 4, 0, 0);
	system_info(&s, 0, 0);
	x86_context(ctx, 0x1003f, 0x7c90eb94, 0x12f320, 0x12f384);
	uint32_t c1 = dws_blob(&s, ctx, sizeof(ctx));
	x86_context(ctx, 0x1003f, 0x401000, 0x97f6ec, 0x97f6fc);
	uint32_t c2    = dws_blob(&s, ctx, sizeof(ctx));
	uint8_t  stk[16] = {1, 2, 3, 4};
	uint32_t srva  = dws_blob(&s, stk, sizeof(stk));
	dws_stream_begin(&s, T_THREAD_LIST);
	dws_u32(&s.b, 2);
	thread_entry(&s.b, 0xbf4, 0x12f31c, 16, srva, 716, c1);
	thread_entry(&s.b, 0x11c0, 0x97f6e8, 0, 0, 716, c2);
	dws_stream_end(&s);
	dw_dump            *d = open_synth(&s);
	size_t              n;
	const dw_md_thread *t = dw_dump_threads(d, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(t[0].thread_id, 0xbf4);
	cr_assert_eq(t[0].suspend_count, 1);
	cr_assert_eq(t[0].teb, 0x7ffde000);
	cr_assert_eq(t[0].stack.start, 0x12f31c);
	cr_assert_not_null(t[0].context);
	cr_assert_eq(t[0].context->cpu, DW_CPU_X86);
	cr_assert_eq(dw_context_ip(t[0].context), 0x7c90eb94);
	cr_assert_eq(dw_context_sp(t[0].context), 0x12f320);
	cr_assert_eq(dw_context_fp(t[1].context), 0x97f6fc);
	cr_assert_eq(dw_dump_thread_find(d, 0x11c0), &t[1]);
	cr_assert_null(dw_dump_thread_find(d, 0x1234));
	cr_assert_eq(count_errors(d), 0);
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, accepts_thread_list_padded_after_count)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	dws_stream_begin(&s, T_THREAD_LIST);
	dws_u32(&s.b, 2);
	dws_u32(&s.b, 0); // padding: size is 8 + 2*48
	thread_entry(&s.b, 0x11223344, 0, 0, 0, 0, 0);
	thread_entry(&s.b, 0x55667788, 0, 0, 0, 0, 0);
	dws_stream_end(&s);
	dw_dump            *d = open_synth(&s);
	size_t              n;
	const dw_md_thread *t = dw_dump_threads(d, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(t[0].thread_id, 0x11223344);
	cr_assert_eq(t[1].thread_id, 0x55667788);
	cr_assert_null(t[0].context);
	cr_assert_eq(count_errors(d), 0);
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, reads_what_fits_when_thread_count_runs_past_the_end)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	dws_stream_begin(&s, T_THREAD_LIST);
	dws_u32(&s.b, 5);
	thread_entry(&s.b, 7, 0, 0, 0, 0, 0);
	thread_entry(&s.b, 8, 0, 0, 0, 0, 0);
	dws_stream_end(&s);
	dw_dump            *d = open_synth(&s);
	size_t              n;
	const dw_md_thread *t = dw_dump_threads(d, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(t[1].thread_id, 8);
	cr_assert(has_note(d, DW_ETRUNC, "declares 5 entries"));
	cr_assert_eq(state_of(d, T_THREAD_LIST), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, rejects_huge_thread_count_with_limit_note)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	dws_stream_begin(&s, T_THREAD_LIST);
	dws_u32(&s.b, 0xffffffff);
	thread_entry(&s.b, 7, 0, 0, 0, 0, 0);
	dws_stream_end(&s);
	dw_dump *d = open_synth(&s);
	size_t   n;
	cr_assert_null(dw_dump_threads(d, &n));
	cr_assert_eq(n, 0);
	cr_assert(has_note(d, DW_ELIMIT, "ThreadListStream"));
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, notes_thread_context_too_short)
{
	dws_dump s;
	uint8_t  ctx[716];
	dws_dump_init(&s, 4, 0, 0);
	system_info(&s, 0, 0);
	x86_context(ctx, 0x1003f, 1, 2, 3);
	uint32_t c = dws_blob(&s, ctx, 100);
	dws_stream_begin(&s, T_THREAD_LIST);
	dws_u32(&s.b, 1);
	thread_entry(&s.b, 9, 0, 0, 0, 100, c);
	dws_stream_end(&s);
	dw_dump            *d = open_synth(&s);
	size_t              n;
	const dw_md_thread *t = dw_dump_threads(d, &n);
	cr_assert_eq(n, 1);
	cr_assert_null(t[0].context);
	cr_assert(has_note(d, DW_ETRUNC, "x86 context is 100 bytes"));
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, notes_thread_context_past_eof)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	dws_stream_begin(&s, T_THREAD_LIST);
	dws_u32(&s.b, 1);
	thread_entry(&s.b, 9, 0, 0, 0, 716, 0x100000);
	dws_stream_end(&s);
	dw_dump            *d = open_synth(&s);
	size_t              n;
	const dw_md_thread *t = dw_dump_threads(d, &n);
	cr_assert_eq(n, 1);
	cr_assert_null(t[0].context);
	cr_assert(has_note(d, DW_ETRUNC, "past end of file"));
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, uses_thread_ex_list_when_alone)
{
	dws_dump s;
	uint8_t  ctx[1232];
	dws_dump_init(&s, 4, 0, 0);
	system_info(&s, 9, 0);
	amd64_context(ctx, 0x10001f, 0x7ff7a13110d9, 0x5000, 0x5010);
	uint32_t c = dws_blob(&s, ctx, sizeof(ctx));
	dws_stream_begin(&s, T_THREAD_EX_LIST);
	dws_u32(&s.b, 1);
	thread_entry(&s.b, 42, 0x4000, 0, 0, sizeof(ctx), c);
	dws_u64(&s.b, 0x9000); // BackingStore
	dws_u32(&s.b, 0);
	dws_u32(&s.b, 0);
	dws_stream_end(&s);
	dw_dump            *d = open_synth(&s);
	size_t              n;
	const dw_md_thread *t = dw_dump_threads(d, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(t[0].thread_id, 42);
	cr_assert(t[0].has_backing_store);
	cr_assert_eq(t[0].backing_store.start, 0x9000);
	cr_assert_eq(t[0].context->cpu, DW_CPU_AMD64);
	cr_assert_eq(dw_context_ip(t[0].context), 0x7ff7a13110d9);
	cr_assert_eq(count_errors(d), 0);
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, recognises_x86_context_without_system_info)
{
	dws_dump s;
	uint8_t  ctx[716];
	dws_dump_init(&s, 4, 0, 0);
	x86_context(ctx, 0x1003f, 0x401000, 0x12f000, 0x12f010);
	uint32_t c = dws_blob(&s, ctx, sizeof(ctx));
	dws_stream_begin(&s, T_THREAD_LIST);
	dws_u32(&s.b, 1);
	thread_entry(&s.b, 1, 0, 0, 0, sizeof(ctx), c);
	dws_stream_end(&s);
	dw_dump            *d = open_synth(&s);
	size_t              n;
	const dw_md_thread *t = dw_dump_threads(d, &n);
	cr_assert_not_null(t[0].context);
	cr_assert_eq(t[0].context->cpu, DW_CPU_X86);
	cr_assert_eq(dw_context_ip(t[0].context), 0x401000);
	dw_dump_free(d);
	dws_dump_fini(&s);
}

// ---- Modules ---------------------------------------------------------------------

static void
module_entry(dws_buf *b, uint64_t base, uint32_t size, uint32_t stamp, uint32_t name_rva,
             bool version, uint32_t cv_size, uint32_t cv_rva, uint32_t misc_size,
             uint32_t misc_rva)
{
	dws_u64(b, base);
	dws_u32(b, size);
	dws_u32(b, 0x1234); // checksum
	dws_u32(b, stamp);
	dws_u32(b, name_rva);
	// VS_FIXEDFILEINFO: 13 DWORDs.
	dws_u32(b, version ? 0xfeef04bd : 0);
	dws_u32(b, version ? 0x10000 : 0);
	dws_u32(b, version ? 0x50001 : 0);     // file version 5.1
	dws_u32(b, version ? 0xa280884 : 0);   // .2600.2180
	dws_zeros(b, 9 * 4);
	dws_u32(b, cv_size);
	dws_u32(b, cv_rva);
	dws_u32(b, misc_size);
	dws_u32(b, misc_rva);
	dws_zeros(b, 16);
}

static uint32_t
rsds(dws_dump *s, const char *pdb, uint32_t age, size_t cut)
{
	dws_buf b = {0};
	dws_u32(&b, 0x53445352);
	// GUID 5a9832e5-2872-41c1-838e-d98914e9b7ff stored as Data1..3 LE, Data4 bytes.
	dws_u32(&b, 0x5a9832e5);
	dws_u16(&b, 0x2872);
	dws_u16(&b, 0x41c1);
	static const uint8_t d4[8] = {0x83, 0x8e, 0xd9, 0x89, 0x14, 0xe9, 0xb7, 0xff};
	dws_bytes(&b, d4, 8);
	dws_u32(&b, age);
	dws_bytes(&b, pdb, strlen(pdb) + 1);
	uint32_t rva = dws_blob(s, b.data, cut ? cut : b.len);
	dws_buf_fini(&b);
	return rva;
}

Test(walker_dump, reads_modules_with_rsds_version_and_ids)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	uint32_t n1 = dws_string(&s, "c:\\test_app.exe");
	uint32_t n2 = dws_string(&s, "C:\\WINDOWS\\system32\\ntdll.dll");
	uint32_t cv = rsds(&s, "c:\\test_app.pdb", 1, 0);
	dws_stream_begin(&s, T_MODULE_LIST);
	dws_u32(&s.b, 2);
	module_entry(&s.b, 0x7c900000, 0xb0000, 0x411096b4, n2, true, 0, 0, 0, 0);
	module_entry(&s.b, 0x400000, 0x2d000, 0x45d35f6c, n1, false, 40, cv, 0, 0);
	dws_stream_end(&s);
	dw_dump            *d = open_synth(&s);
	size_t              n;
	const dw_md_module *m = dw_dump_modules(d, &n);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(m[1].name, "c:\\test_app.exe");
	cr_assert_str_eq(m[1].code_id, "45D35F6C2d000");
	cr_assert_not_null(m[1].cv);
	cr_assert_str_eq(m[1].cv->pdb_name, "c:\\test_app.pdb");
	cr_assert_eq(m[1].cv->age, 1);
	cr_assert_str_eq(m[1].debug_id, "5A9832E5287241C1838ED98914E9B7FF1");
	cr_assert(!m[1].has_version);
	cr_assert(m[0].has_version);
	cr_assert_eq(m[0].version.file_version_ls, 0xa280884);
	cr_assert_str_eq(m[0].debug_id, "");
	cr_assert_null(m[0].cv);
	// Lookups go through the base-sorted index, whatever the file order.
	cr_assert_eq(dw_dump_module_at(d, 0x400000), &m[1]);
	cr_assert_eq(dw_dump_module_at(d, 0x42cfff), &m[1]);
	cr_assert_null(dw_dump_module_at(d, 0x42d000));
	cr_assert_eq(dw_dump_module_at(d, 0x7c90eb94), &m[0]);
	cr_assert_null(dw_dump_module_at(d, 0x1000));
	cr_assert_null(dw_dump_module_at(d, UINT64_MAX));
	cr_assert_eq(count_errors(d), 0);
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, reads_nb10_codeview_and_misc_record)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	uint32_t name = dws_string(&s, "old.dll");
	dws_buf  b    = {0};
	dws_u32(&b, 0x3031424e); // NB10
	dws_u32(&b, 0);
	dws_u32(&b, 0x3a1b2c3d);
	dws_u32(&b, 0x1f);
	dws_bytes(&b, "old.pdb", 8);
	uint32_t cv = dws_blob(&s, b.data, b.len);
	dws_buf_fini(&b);
	dws_buf mb = {0};
	dws_u32(&mb, 1);  // IMAGE_DEBUG_MISC_EXENAME
	dws_u32(&mb, 12 + 8);
	dws_u8(&mb, 0);
	dws_zeros(&mb, 3);
	dws_bytes(&mb, "old.dbg", 8);
	uint32_t misc = dws_blob(&s, mb.data, mb.len);
	dws_buf_fini(&mb);
	dws_stream_begin(&s, T_MODULE_LIST);
	dws_u32(&s.b, 1);
	module_entry(&s.b, 0x10000000, 0x1000, 0x11223344, name, false, 24, cv, 20, misc);
	dws_stream_end(&s);
	dw_dump            *d = open_synth(&s);
	size_t              n;
	const dw_md_module *m = dw_dump_modules(d, &n);
	cr_assert_eq(n, 1);
	cr_assert_not_null(m[0].cv);
	cr_assert_eq(m[0].cv->signature, 0x3031424e);
	cr_assert_eq(m[0].cv->nb10_signature, 0x3a1b2c3d);
	cr_assert_str_eq(m[0].cv->pdb_name, "old.pdb");
	cr_assert_str_eq(m[0].debug_id, "3A1B2C3D1f");
	cr_assert_not_null(m[0].misc);
	cr_assert_str_eq(m[0].misc->name, "old.dbg");
	cr_assert_eq(m[0].misc->data_type, 1);
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, notes_cut_codeview_and_name_past_eof)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	uint32_t cv = rsds(&s, "x.pdb", 1, 20); // RSDS needs 24 bytes
	dws_stream_begin(&s, T_MODULE_LIST);
	dws_u32(&s.b, 2);
	module_entry(&s.b, 0x400000, 0x1000, 1, 0x7fffff00, false, 20, cv, 0, 0);
	module_entry(&s.b, 0x500000, 0x1000, 1, 0x7fffff00, false, 64, 0x7fffff00, 0, 0);
	dws_stream_end(&s);
	dw_dump            *d = open_synth(&s);
	size_t              n;
	const dw_md_module *m = dw_dump_modules(d, &n);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(m[0].name, "");
	cr_assert_null(m[0].cv);
	cr_assert_null(m[1].cv);
	cr_assert(has_note(d, DW_ETRUNC, "module 0 name"));
	cr_assert(has_note(d, DW_ETRUNC, "RSDS CodeView record"));
	cr_assert(has_note(d, DW_ETRUNC, "module 1"));
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, accepts_module_list_padded_after_count)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	uint32_t name = dws_string(&s, "a.dll");
	dws_stream_begin(&s, T_MODULE_LIST);
	dws_u32(&s.b, 1);
	dws_u32(&s.b, 0);
	module_entry(&s.b, 0x10000, 0x2000, 1, name, false, 0, 0, 0, 0);
	dws_stream_end(&s);
	dw_dump            *d = open_synth(&s);
	size_t              n;
	const dw_md_module *m = dw_dump_modules(d, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(m[0].base, 0x10000);
	cr_assert_str_eq(m[0].name, "a.dll");
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, reads_unloaded_modules)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	uint32_t name = dws_string(&s, "gone.dll");
	dws_stream_begin(&s, T_UNLOADED);
	dws_u32(&s.b, 12); // SizeOfHeader
	dws_u32(&s.b, 24); // SizeOfEntry
	dws_u32(&s.b, 1);
	dws_u64(&s.b, 0x6f000000);
	dws_u32(&s.b, 0x5000);
	dws_u32(&s.b, 7);
	dws_u32(&s.b, 0x55667788);
	dws_u32(&s.b, name);
	dws_stream_end(&s);
	dw_dump                     *d = open_synth(&s);
	size_t                       n;
	const dw_md_unloaded_module *u = dw_dump_unloaded_modules(d, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(u[0].base, 0x6f000000);
	cr_assert_eq(u[0].size, 0x5000);
	cr_assert_eq(u[0].time_date_stamp, 0x55667788);
	cr_assert_str_eq(u[0].name, "gone.dll");
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, notes_unloaded_list_with_bad_entry_size)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	dws_stream_begin(&s, T_UNLOADED);
	dws_u32(&s.b, 12);
	dws_u32(&s.b, 8); // smaller than an entry
	dws_u32(&s.b, 1);
	dws_zeros(&s.b, 24);
	dws_stream_end(&s);
	dw_dump *d = open_synth(&s);
	size_t   n;
	cr_assert_null(dw_dump_unloaded_modules(d, &n));
	cr_assert(has_note(d, DW_ECORRUPT, "UnloadedModuleListStream"));
	cr_assert_eq(state_of(d, T_UNLOADED), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&s);
}

// ---- Memory ----------------------------------------------------------------------

Test(walker_dump, merges_memory_lists_and_reads_across_ranges)
{
	dws_dump s;
	uint8_t  a[16], b[16], c[8];
	for (int i = 0; i < 16; i++) {
		a[i] = (uint8_t)i;
		b[i] = (uint8_t)(0x10 + i);
	}
	memset(c, 0xcc, sizeof(c));
	dws_dump_init(&s, 4, 0, 0);
	uint32_t ra = dws_blob(&s, a, 16);
	dws_stream_begin(&s, T_MEMORY_LIST);
	dws_u32(&s.b, 1);
	dws_u64(&s.b, 0x1000);
	dws_u32(&s.b, 16);
	dws_u32(&s.b, ra);
	dws_stream_end(&s);
	// Memory64List: [0x3000, 8) then [0x1010, 16), bytes back to back.
	dws_stream_begin(&s, T_MEMORY64_LIST);
	dws_u64(&s.b, 2);
	size_t base_at = s.b.len;
	dws_u64(&s.b, 0);
	dws_u64(&s.b, 0x3000);
	dws_u64(&s.b, 8);
	dws_u64(&s.b, 0x1010);
	dws_u64(&s.b, 16);
	dws_stream_end(&s);
	uint32_t r64 = dws_blob(&s, c, 8);
	dws_bytes(&s.b, b, 16);
	dws_patch_u64(&s.b, base_at, r64);

	dw_dump                  *d = open_synth(&s);
	size_t                    n;
	const dw_md_memory_range *m = dw_dump_memory(d, &n);
	cr_assert_eq(n, 3);
	cr_assert_eq(m[0].start, 0x1000);
	cr_assert_eq(m[1].start, 0x1010);
	cr_assert_eq(m[2].start, 0x3000);

	uint8_t buf[40];
	size_t  got;
	cr_assert_eq(dw_dump_read(d, 0x100c, buf, 8, &got), DW_OK);
	cr_assert_eq(got, 8);
	uint8_t want[8] = {12, 13, 14, 15, 0x10, 0x11, 0x12, 0x13};
	cr_assert_arr_eq(buf, want, 8);
	cr_assert_eq(dw_dump_read(d, 0x1018, buf, 16, &got), DW_ENOTFOUND);
	cr_assert_eq(got, 8);
	cr_assert_eq(dw_dump_read(d, 0x2000, buf, 4, &got), DW_ENOTFOUND);
	cr_assert_eq(got, 0);
	cr_assert_eq(dw_dump_read(d, 0x3004, buf, 4, NULL), DW_OK);
	cr_assert_eq(buf[0], 0xcc);

	size_t         avail;
	const uint8_t *p = dw_dump_memory_at(d, 0x1004, &avail);
	cr_assert_not_null(p);
	cr_assert_eq(avail, 12);
	cr_assert_eq(p[0], 4);
	cr_assert_null(dw_dump_memory_at(d, 0xfff, &avail));
	cr_assert_null(dw_dump_memory_at(d, 0x3008, &avail));
	// Looking back: the bytes before an end address, within its range.
	p = dw_dump_memory_before(d, 0x1008, &avail);
	cr_assert_not_null(p);
	cr_assert_eq(avail, 8);
	cr_assert_eq(p[-1], 7);
	cr_assert_eq(p[-8], 0);
	p = dw_dump_memory_before(d, 0x1010, &avail); // the first range's end
	cr_assert_not_null(p);
	cr_assert_eq(avail, 16);
	cr_assert_eq(p[-1], 15);
	p = dw_dump_memory_before(d, 0x1011, &avail); // one byte into the next range
	cr_assert_not_null(p);
	cr_assert_eq(avail, 1);
	cr_assert_eq(p[-1], 0x10);
	cr_assert_null(dw_dump_memory_before(d, 0x1000, &avail));
	cr_assert_eq(avail, 0);
	cr_assert_null(dw_dump_memory_before(d, 0x3009, &avail));
	cr_assert_null(dw_dump_memory_before(d, 0, &avail));
	cr_assert_eq(count_errors(d), 0);
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, trims_overlapping_memory_ranges_and_notes_it)
{
	dws_dump s;
	uint8_t  a[16], b[16];
	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	dws_dump_init(&s, 4, 0, 0);
	uint32_t ra = dws_blob(&s, a, 16);
	uint32_t rb = dws_blob(&s, b, 16);
	dws_stream_begin(&s, T_MEMORY_LIST);
	dws_u32(&s.b, 2);
	dws_u64(&s.b, 0x1008);
	dws_u32(&s.b, 16);
	dws_u32(&s.b, rb);
	dws_u64(&s.b, 0x1000);
	dws_u32(&s.b, 16);
	dws_u32(&s.b, ra);
	dws_stream_end(&s);
	dw_dump                  *d = open_synth(&s);
	size_t                    n;
	const dw_md_memory_range *m = dw_dump_memory(d, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(m[0].start, 0x1000);
	cr_assert_eq(m[0].size, 16);
	cr_assert_eq(m[1].start, 0x1010);
	cr_assert_eq(m[1].size, 8);
	cr_assert(has_note(d, DW_ECORRUPT, "overlaps"));
	uint8_t buf[24];
	cr_assert_eq(dw_dump_read(d, 0x1000, buf, 24, NULL), DW_OK);
	cr_assert_eq(buf[15], 0xaa);
	cr_assert_eq(buf[16], 0xbb);
	dw_dump_free(d);
	dws_dump_fini(&s);
}

// Ranges written in several ascending runs (as Wine writes them) and in an
// order with a long reversed tail must come out sorted with every byte where
// its address says. Each range's bytes hold its index, so a misplaced range
// shows as a wrong byte at a known address.
static void
check_sorted_ranges(const uint32_t *order, size_t n)
{
	dws_dump s;
	dws_dump_init(&s, 2, 0, 0);
	uint32_t rva[64];
	for (size_t i = 0; i < n; i++) {
		uint8_t fill[8];
		memset(fill, (int)i, sizeof(fill));
		rva[i] = dws_blob(&s, fill, sizeof(fill));
	}
	dws_stream_begin(&s, T_MEMORY_LIST);
	dws_u32(&s.b, (uint32_t)n);
	for (size_t k = 0; k < n; k++) {
		uint32_t i = order[k];
		dws_u64(&s.b, 0x10000 + 0x100 * (uint64_t)i); // range i lives at 0x10000 + 0x100*i
		dws_u32(&s.b, 8);
		dws_u32(&s.b, rva[i]);
	}
	dws_stream_end(&s);
	dw_dump                  *d = open_synth(&s);
	size_t                    got;
	const dw_md_memory_range *m = dw_dump_memory(d, &got);
	cr_assert_eq(got, n);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(m[i].start, 0x10000 + 0x100 * (uint64_t)i, "range %zu out of place", i);
		uint8_t b = 0xff;
		cr_assert_eq(dw_dump_read(d, 0x10000 + 0x100 * (uint64_t)i + 7, &b, 1, NULL), DW_OK);
		cr_assert_eq(b, (uint8_t)i);
	}
	cr_assert_eq(count_errors(d), 0);
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, sorts_memory_ranges_written_in_runs)
{
	// Three ascending runs: 5..9, 0..4, 10..12 (two descents).
	static const uint32_t runs[] = {5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 10, 11, 12};
	check_sorted_ranges(runs, sizeof(runs) / sizeof(runs[0]));
	// Fully reversed: every element its own run.
	uint32_t rev[40];
	for (uint32_t i = 0; i < 40; i++)
		rev[i] = 39 - i;
	check_sorted_ranges(rev, 40);
	// Interleaved halves: few descents but many inversions.
	uint32_t inter[33];
	for (uint32_t i = 0; i < 33; i++)
		inter[i] = i < 17 ? 2 * i : 2 * (i - 17) + 1;
	check_sorted_ranges(inter, 33);
}

Test(walker_dump, clips_memory64_data_past_eof)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	dws_stream_begin(&s, T_MEMORY64_LIST);
	dws_u64(&s.b, 1);
	size_t base_at = s.b.len;
	dws_u64(&s.b, 0);
	dws_u64(&s.b, 0x5000);
	dws_u64(&s.b, 0x100000);
	dws_stream_end(&s);
	uint8_t  tail[32] = {0};
	uint32_t r        = dws_blob(&s, tail, sizeof(tail));
	dws_patch_u64(&s.b, base_at, r);
	dw_dump                  *d = open_synth(&s);
	size_t                    n;
	const dw_md_memory_range *m = dw_dump_memory(d, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(m[0].size, 32);
	cr_assert(has_note(d, DW_ETRUNC, "Memory64ListStream range 0"));
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, memory_list_huge_count_is_a_limit_note)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	dws_stream_begin(&s, T_MEMORY64_LIST);
	dws_u64(&s.b, 0xffffffffffffull);
	dws_u64(&s.b, 0);
	dws_stream_end(&s);
	dw_dump *d = open_synth(&s);
	size_t   n;
	dw_dump_memory(d, &n);
	cr_assert_eq(n, 0);
	cr_assert(has_note(d, DW_ELIMIT, "Memory64ListStream"));
	dw_dump_free(d);
	dws_dump_fini(&s);
}

// ---- Exception ---------------------------------------------------------------------

static void
exception_stream(dws_dump *s, uint32_t nparams, uint32_t ctx_size, uint32_t ctx_rva)
{
	dws_stream_begin(s, T_EXCEPTION);
	dws_u32(&s->b, 0xbf4);
	dws_u32(&s->b, 0);
	dws_u32(&s->b, 0xc0000005);
	dws_u32(&s->b, 0);
	dws_u64(&s->b, 0);
	dws_u64(&s->b, 0x40429e);
	dws_u32(&s->b, nparams);
	dws_u32(&s->b, 0);
	for (uint64_t i = 0; i < 15; i++)
		dws_u64(&s->b, i == 0 ? 1 : i == 1 ? 0x45 : 0);
	dws_u32(&s->b, ctx_size);
	dws_u32(&s->b, ctx_rva);
	dws_stream_end(s);
}

Test(walker_dump, reads_exception_record_and_context)
{
	dws_dump s;
	uint8_t  ctx[716];
	dws_dump_init(&s, 4, 0, 0);
	system_info(&s, 0, 0);
	x86_context(ctx, 0x1003f, 0x40429e, 0x12fe84, 0x12fe88);
	uint32_t c = dws_blob(&s, ctx, sizeof(ctx));
	exception_stream(&s, 2, sizeof(ctx), c);
	dw_dump               *d = open_synth(&s);
	const dw_md_exception *e = dw_dump_exception(d);
	cr_assert_not_null(e);
	cr_assert_eq(e->thread_id, 0xbf4);
	cr_assert_eq(e->code, 0xc0000005);
	cr_assert_eq(e->address, 0x40429e);
	cr_assert_eq(e->number_parameters, 2);
	cr_assert_eq(e->parameters[0], 1);
	cr_assert_eq(e->parameters[1], 0x45);
	cr_assert_not_null(e->context);
	cr_assert_eq(dw_context_ip(e->context), 0x40429e);
	cr_assert_eq(count_errors(d), 0);
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, notes_exception_problems)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	exception_stream(&s, 99, 716, 0x7ffffff0);
	dw_dump               *d = open_synth(&s);
	const dw_md_exception *e = dw_dump_exception(d);
	cr_assert_not_null(e);
	cr_assert_null(e->context);
	cr_assert(has_note(d, DW_ECORRUPT, "NumberParameters 99"));
	cr_assert(has_note(d, DW_ETRUNC, "ExceptionStream"));
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, ignores_short_exception_stream)
{
	dws_dump s;
	dws_dump_init(&s, 4, 0, 0);
	dws_stream_begin(&s, T_EXCEPTION);
	dws_zeros(&s.b, 100);
	dws_stream_end(&s);
	dw_dump *d = open_synth(&s);
	cr_assert_null(dw_dump_exception(d));
	cr_assert(has_note(d, DW_ETRUNC, "shorter than the 168-byte"));
	cr_assert_eq(state_of(d, T_EXCEPTION), DW_MD_STREAM_MALFORMED);
	dw_dump_free(d);
	dws_dump_fini(&s);
}

Test(walker_dump, reads_amd64_xstate_cet_context_through_dump)
{
	dws_dump s;
	uint8_t  ctx[1232 + 24 + 56 + 64 + 16];
	dws_dump_init(&s, 4, 0, 0);
	system_info(&s, 9, 0);
	amd64_context(ctx, 0x10005f, 0x7ff600001000, 0xcbc83ff000, 0);
	memset(ctx + 1232, 0, sizeof(ctx) - 1232);
	// CONTEXT_EX: All {-1232, total}, Legacy {-1232, 1232}, XState {80, 80}.
	put32(ctx + 1232, (uint32_t)-1232);
	put32(ctx + 1236, 1232 + 80 + 80);
	put32(ctx + 1240, (uint32_t)-1232);
	put32(ctx + 1244, 1232);
	put32(ctx + 1248, 80);
	put32(ctx + 1252, 80);
	put64(ctx + 1312, 0x800);                  // XSTATE_BV: CET_U
	put64(ctx + 1320, 0x8000000000000800ull); // XCOMP_BV: compacted, CET_U
	put64(ctx + 1376, 1);                      // IA32_U_CET
	put64(ctx + 1384, 0xcbc83fefc8ull);        // SSP
	uint32_t c = dws_blob(&s, ctx, 1392);
	dws_stream_begin(&s, T_THREAD_LIST);
	dws_u32(&s.b, 1);
	thread_entry(&s.b, 0x5bc, 0, 0, 0, 1392, c);
	dws_stream_end(&s);
	dw_dump            *d = open_synth(&s);
	size_t              n;
	const dw_md_thread *t = dw_dump_threads(d, &n);
	cr_assert_not_null(t[0].context);
	cr_assert(t[0].context->has_xstate);
	cr_assert(t[0].context->xstate.has_cet);
	cr_assert_eq(t[0].context->xstate.cet_ssp, 0xcbc83fefc8ull);
	cr_assert_eq(count_errors(d), 0);
	dw_dump_free(d);
	dws_dump_fini(&s);
}
