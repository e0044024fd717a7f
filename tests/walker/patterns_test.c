// The detectors of walker/classify.h on synthetic dumps that carry what
// Wine's dumps never do: ThreadInfoList times, HandleData with thousands of
// handles and mutant owners, MemoryInfoList of a fragmented 32-bit address
// space (the seed article's two Java dumps), comment streams, TEBs holding
// last errors, C++ throw information in memory, and a few exception shapes.
// Every layout is written here byte by byte from minidumpapiset.h, winnt.h and
// MSVC's ehdata.h; expected values are computed by hand in the comments.
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/synth/synth.h"
#include "walker/classify.h"
#include "walker/diff.h"
#include "walker/dump.h"
#include "walker/finding.h"

#define ARCH_X86 0
#define ARCH_AMD64 9

// ---- builders --------------------------------------------------------------

typedef struct tmod {
	uint64_t    base;
	uint32_t    size;
	const char *name;
} tmod;

typedef struct tthread {
	uint32_t tid;
	uint64_t teb;
	uint64_t ip, sp;
} tthread;

typedef struct tmem {
	uint64_t       start;
	const uint8_t *bytes;
	size_t         len;
} tmem;

// MINIDUMP_SYSTEM_INFO, 56 bytes.
static void
add_sysinfo(dws_dump *d, uint16_t arch)
{
	dws_stream_begin(d, 7);
	dws_u16(&d->b, arch);
	dws_u16(&d->b, 6);
	dws_u16(&d->b, 0);
	dws_u8(&d->b, 4);
	dws_u8(&d->b, 1);
	dws_u32(&d->b, 10);
	dws_u32(&d->b, 0);
	dws_u32(&d->b, 19045);
	dws_u32(&d->b, 2);
	dws_u32(&d->b, 0); // CSD rva
	dws_u16(&d->b, 0);
	dws_u16(&d->b, 0);
	dws_zeros(&d->b, 24);
	dws_stream_end(d);
}

// A CONTEXT with only the control registers: x86 (716 bytes: ContextFlags 0,
// Eip 0xB8, Esp 0xC4) or amd64 (1232 bytes: ContextFlags 0x30, Rsp 0x98, Rip 0xF8).
static uint32_t
context_blob(dws_dump *d, uint16_t arch, uint64_t ip, uint64_t sp)
{
	uint8_t c[1232];
	memset(c, 0, sizeof(c));
	size_t n;
	if (arch == ARCH_X86) {
		n               = 716;
		uint32_t flags = 0x00010001u;
		memcpy(c + 0x00, &flags, 4);
		uint32_t eip = (uint32_t)ip, esp = (uint32_t)sp;
		memcpy(c + 0xB8, &eip, 4);
		memcpy(c + 0xC4, &esp, 4);
	} else {
		n               = 1232;
		uint32_t flags = 0x00100001u;
		memcpy(c + 0x30, &flags, 4);
		memcpy(c + 0x98, &sp, 8);
		memcpy(c + 0xF8, &ip, 8);
	}
	return dws_blob(d, c, n);
}

// ThreadList: MINIDUMP_THREAD (48 bytes) with no stack memory.
static void
add_threads(dws_dump *d, uint16_t arch, const tthread *t, size_t n)
{
	uint32_t rva[16];
	for (size_t i = 0; i < n; i++)
		rva[i] = context_blob(d, arch, t[i].ip, t[i].sp);
	dws_stream_begin(d, 3);
	dws_u32(&d->b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		dws_u32(&d->b, t[i].tid);
		dws_u32(&d->b, 0);
		dws_u32(&d->b, 0x20);
		dws_u32(&d->b, 0);
		dws_u64(&d->b, t[i].teb);
		dws_u64(&d->b, 0); // stack start
		dws_u32(&d->b, 0);
		dws_u32(&d->b, 0);
		dws_u32(&d->b, arch == ARCH_X86 ? 716 : 1232);
		dws_u32(&d->b, rva[i]);
	}
	dws_stream_end(d);
}

// ModuleList: MINIDUMP_MODULE (108 bytes) without version or CodeView.
static void
add_modules(dws_dump *d, const tmod *m, size_t n)
{
	uint32_t *names = calloc(n + 1, sizeof(*names));
	for (size_t i = 0; i < n; i++)
		names[i] = dws_string(d, m[i].name);
	dws_stream_begin(d, 4);
	dws_u32(&d->b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		dws_u64(&d->b, m[i].base);
		dws_u32(&d->b, m[i].size);
		dws_u32(&d->b, 0);
		dws_u32(&d->b, 0x5a000000u + (uint32_t)i);
		dws_u32(&d->b, names[i]);
		dws_zeros(&d->b, 52 + 8 + 8 + 16);
	}
	dws_stream_end(d);
	free(names);
}

// MemoryList: MINIDUMP_MEMORY_DESCRIPTOR (16 bytes) per range.
static void
add_memory(dws_dump *d, const tmem *m, size_t n)
{
	uint32_t rva[16];
	for (size_t i = 0; i < n; i++)
		rva[i] = dws_blob(d, m[i].bytes, m[i].len);
	dws_stream_begin(d, 5);
	dws_u32(&d->b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		dws_u64(&d->b, m[i].start);
		dws_u32(&d->b, (uint32_t)m[i].len);
		dws_u32(&d->b, rva[i]);
	}
	dws_stream_end(d);
}

// MINIDUMP_EXCEPTION_STREAM (168 bytes).
static void
add_exception(dws_dump *d, uint16_t arch, uint32_t tid, uint32_t code, uint64_t addr,
              const uint64_t *params, uint32_t np, uint64_t ip, uint64_t sp)
{
	uint32_t ctx = context_blob(d, arch, ip, sp);
	dws_stream_begin(d, 6);
	dws_u32(&d->b, tid);
	dws_u32(&d->b, 0);
	dws_u32(&d->b, code);
	dws_u32(&d->b, 0);
	dws_u64(&d->b, 0);
	dws_u64(&d->b, addr);
	dws_u32(&d->b, np);
	dws_u32(&d->b, 0);
	for (uint32_t i = 0; i < 15; i++)
		dws_u64(&d->b, i < np ? params[i] : 0);
	dws_u32(&d->b, arch == ARCH_X86 ? 716 : 1232);
	dws_u32(&d->b, ctx);
	dws_stream_end(d);
}

typedef struct tinfo {
	uint32_t tid;
	uint64_t create, kernel, user, start;
} tinfo;

// ThreadInfoList: header (12 bytes) and MINIDUMP_THREAD_INFO (64 bytes).
static void
add_thread_infos(dws_dump *d, const tinfo *t, size_t n)
{
	dws_stream_begin(d, 17);
	dws_u32(&d->b, 12);
	dws_u32(&d->b, 64);
	dws_u32(&d->b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		dws_u32(&d->b, t[i].tid);
		dws_u32(&d->b, 0);
		dws_u32(&d->b, 0);
		dws_u32(&d->b, 0x103);
		dws_u64(&d->b, t[i].create);
		dws_u64(&d->b, 0);
		dws_u64(&d->b, t[i].kernel);
		dws_u64(&d->b, t[i].user);
		dws_u64(&d->b, t[i].start);
		dws_u64(&d->b, 0xF);
	}
	dws_stream_end(d);
}

typedef struct tregion {
	uint64_t base, size;
	uint32_t state, protect, type;
} tregion;

// MemoryInfoList: header (16 bytes) and MINIDUMP_MEMORY_INFO (48 bytes).
static void
add_meminfo(dws_dump *d, const tregion *r, size_t n)
{
	dws_stream_begin(d, 16);
	dws_u32(&d->b, 16);
	dws_u32(&d->b, 48);
	dws_u64(&d->b, n);
	for (size_t i = 0; i < n; i++) {
		dws_u64(&d->b, r[i].base);
		dws_u64(&d->b, r[i].base);
		dws_u32(&d->b, r[i].protect);
		dws_u32(&d->b, 0);
		dws_u64(&d->b, r[i].size);
		dws_u32(&d->b, r[i].state);
		dws_u32(&d->b, r[i].protect);
		dws_u32(&d->b, r[i].type);
		dws_u32(&d->b, 0);
	}
	dws_stream_end(d);
}

static dw_dump *
open_synth(dws_dump *b)
{
	size_t         len;
	const uint8_t *p = dws_dump_finish(b, &len);
	dw_dump       *d = NULL;
	dw_err         rv = dw_dump_open_buffer(&d, p, len, NULL);
	cr_assert_eq(rv, DW_OK, "open: %s", dw_errname(rv));
	return d;
}

static dw_findings *
classify(const dw_dump *d)
{
	dw_findings *fs = NULL;
	cr_assert_eq(dw_classify(&fs, d, NULL), DW_OK);
	return fs;
}

static const dw_finding *
pattern(const dw_findings *fs, const char *name)
{
	return dw_findings_find(fs, DW_FINDING_PATTERN, name);
}

// The evidence item labelled `what` (the first), or NULL.
static const dw_evidence *
evidence(const dw_finding *f, const char *what)
{
	for (size_t i = 0; f != NULL && i < f->nevidence; i++)
		if (strcmp(f->evidence[i].what, what) == 0)
			return &f->evidence[i];
	return NULL;
}

// Whether any evidence item labelled `what` has text containing `needle`.
static bool
evidence_text_has(const dw_finding *f, const char *what, const char *needle)
{
	for (size_t i = 0; f != NULL && i < f->nevidence; i++)
		if (strcmp(f->evidence[i].what, what) == 0 && f->evidence[i].text != NULL &&
		    strstr(f->evidence[i].text, needle) != NULL)
			return true;
	return false;
}

// ---- ThreadInfoList: spiking thread and thread age ------------------------

// FILETIME of a Unix time: (t + 11644473600) * 10^7.
static uint64_t
filetime(uint64_t unix_s)
{
	return (unix_s + 11644473600ull) * 10000000ull;
}

Test(patterns, spiking_thread_and_thread_age_from_thread_info_list)
{
	const uint32_t now = 1700000000u;
	dws_dump       b;
	dws_dump_init(&b, 8, 0x1000, now);
	add_sysinfo(&b, ARCH_AMD64);
	tmod mods[] = {{0x140000000ull, 0x10000, "C:\\app\\app.exe"},
	               {0x7ff800000000ull, 0x200000, "C:\\Windows\\System32\\ntdll.dll"},
	               {0x180000000ull, 0x20000, "C:\\Tools\\inject\\injector.dll"}};
	add_modules(&b, mods, 3);
	tthread th[] = {{100, 0, 0x140001000, 0x1000}, {200, 0, 0x140002000, 0x2000},
	                {300, 0, 0x7ff800001000, 0x3000}};
	add_threads(&b, ARCH_AMD64, th, 3);
	// Thread 200 ran 30 s user + 2 s kernel of 34 s in all (94%); thread 300
	// was created 3 s before the dump (young), 100 an hour before.
	tinfo ti[] = {{100, filetime(now - 3600), 10000000, 5000000, 0x140001500},
	              {200, filetime(now - 600), 20000000, 300000000, 0x140001600},
	              {300, filetime(now - 3), 0, 5000000, 0x180001000}};
	add_thread_infos(&b, ti, 3);
	dw_dump     *d  = open_synth(&b);
	dw_findings *fs = classify(d);

	const dw_finding *s = pattern(fs, "Active Thread / Spiking Thread");
	cr_assert_not_null(s);
	cr_expect(dw_finding_has_thread(s, 200));
	cr_expect_eq(evidence(s, "share of thread time (%)")->value, 94); // 320/340
	cr_expect_eq(evidence(s, "user time (100 ns)")->value, 300000000);

	const dw_finding *a = pattern(fs, "Thread Age");
	cr_assert_not_null(a);
	cr_expect_eq(evidence(a, "oldest thread")->value, 100);
	cr_expect_eq(evidence(a, "youngest thread")->value, 300);
	cr_expect(evidence_text_has(a, "young thread", "thread 300 created 3 s"));
	cr_expect(evidence_text_has(a, "thread age", "thread 100 created 3600 s"));

	// Thread 300 starts in a DLL that is neither beside app.exe nor in Windows.
	const dw_finding *n = pattern(fs, "Not My Thread");
	cr_assert_not_null(n);
	cr_expect(dw_finding_has_thread(n, 300));
	cr_expect(!dw_finding_has_thread(n, 100));
	cr_expect(!dw_finding_has_thread(n, 200));
	dw_findings_free(fs);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(patterns, missing_thread_info_list_is_a_needs_finding)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 1700000000u);
	add_sysinfo(&b, ARCH_AMD64);
	tthread th[] = {{100, 0, 0x1000, 0x2000}};
	add_threads(&b, ARCH_AMD64, th, 1);
	dw_dump     *d  = open_synth(&b);
	dw_findings *fs = classify(d);
	cr_expect_null(pattern(fs, "Thread Age"));
	cr_expect_null(pattern(fs, "Active Thread / Spiking Thread"));
	const dw_finding *n = dw_findings_find(fs, DW_FINDING_NEEDS, "Thread Age");
	cr_assert_not_null(n);
	cr_expect_str_eq(n->needed, "ThreadInfoList");
	cr_expect_not_null(dw_findings_find(fs, DW_FINDING_NEEDS, "Handle Leak"));
	cr_expect_not_null(dw_findings_find(fs, DW_FINDING_NEEDS, "Not My Thread"));
	// No exception stream: a manual dump.
	cr_expect_not_null(pattern(fs, "Manual Dump (Process)"));
	cr_expect_null(pattern(fs, "Stored Exception"));
	dw_findings_free(fs);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// ---- HandleData: thousands of events, a mutant with its owner ---------------

Test(patterns, handle_leak_counts_types_and_names_mutant_owner)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0x4, 1700000000u);
	add_sysinfo(&b, ARCH_AMD64);
	uint32_t ev = dws_string(&b, "Event"), file = dws_string(&b, "File"),
	         mut = dws_string(&b, "Mutant"), mname = dws_string(&b, "\\BaseNamedObjects\\AppLock"),
	         ename = dws_string(&b, "\\BaseNamedObjects\\leaked");
	// MUTANT_2 object information: NextInfoRva 0, InfoType 3, SizeOfInfo 16,
	// then a CLIENT_ID: process 4242, thread 77.
	uint8_t oi[12 + 16];
	memset(oi, 0, sizeof(oi));
	oi[4]  = 3;
	oi[8]  = 16;
	oi[12] = 0x92; // 4242 = 0x1092
	oi[13] = 0x10;
	oi[20] = 77;
	uint32_t oirva = dws_blob(&b, oi, sizeof(oi));
	const size_t nev = 3000, nfile = 12;
	dws_stream_begin(&b, 12);
	dws_u32(&b.b, 16);
	dws_u32(&b.b, 40);
	dws_u32(&b.b, (uint32_t)(nev + nfile + 1));
	dws_u32(&b.b, 0);
	for (size_t i = 0; i < nev + nfile + 1; i++) {
		bool is_ev = i < nev, is_mut = i == nev + nfile;
		dws_u64(&b.b, 4 * (i + 1));
		dws_u32(&b.b, is_ev ? ev : is_mut ? mut : file);
		dws_u32(&b.b, is_mut ? mname : (is_ev && i % 10 == 0) ? ename : 0);
		dws_u32(&b.b, 0);
		dws_u32(&b.b, 0x1F0003);
		dws_u32(&b.b, 1);
		dws_u32(&b.b, 2);
		dws_u32(&b.b, is_mut ? oirva : 0);
		dws_u32(&b.b, 0);
	}
	dws_stream_end(&b);
	dw_dump     *d  = open_synth(&b);
	dw_findings *fs = classify(d);
	const dw_finding *f = pattern(fs, "Handle Leak");
	cr_assert_not_null(f);
	cr_expect_eq(f->confidence, DW_CONF_LIKELY);
	cr_expect_eq(evidence(f, "handles")->value, 3013);
	const dw_evidence *top = evidence(f, "handles of type");
	cr_expect_eq(top->value, 3000);
	cr_expect_str_eq(top->text, "Event");
	cr_expect(evidence_text_has(f, "sample handle", "leaked"));
	const dw_finding *s = dw_findings_find(fs, DW_FINDING_SUMMARY, "Handle Leak");
	cr_assert_not_null(s);
	cr_expect(evidence_text_has(s, "mutant owner", "AppLock owned by thread 77 (process 4242)"));
	dw_findings_free(fs);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(patterns, few_handles_are_only_a_summary)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0x4, 1700000000u);
	add_sysinfo(&b, ARCH_X86);
	uint32_t ev = dws_string(&b, "Event");
	dws_stream_begin(&b, 12);
	dws_u32(&b.b, 16);
	dws_u32(&b.b, 32);
	dws_u32(&b.b, 40);
	dws_u32(&b.b, 0);
	for (size_t i = 0; i < 40; i++) {
		dws_u64(&b.b, 4 * (i + 1));
		dws_u32(&b.b, ev);
		dws_zeros(&b.b, 20);
	}
	dws_stream_end(&b);
	dw_dump     *d  = open_synth(&b);
	dw_findings *fs = classify(d);
	cr_expect_null(pattern(fs, "Handle Leak"));
	const dw_finding *s = dw_findings_find(fs, DW_FINDING_SUMMARY, "Handle Leak");
	cr_assert_not_null(s);
	cr_expect_eq(evidence(s, "handles")->value, 40);
	dw_findings_free(fs);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// ---- The seed article: one Java process, two dumps ---------------------------

// Module lists as the article's `lm` shows them (32-bit). A: the healthy
// dump; B: the same program after a hooking DLL (detoured.dll) and its client
// (3rdPartyHook) loaded and the Java runtime's DLLs moved into the middle.
static const tmod seed_a[] = {
    {0x00400000, 0x0000b000, "C:\\Java\\bin\\javaw.exe"},
    {0x009e0000, 0x00007000, "C:\\Java\\bin\\hpi.dll"},
    {0x00a30000, 0x0000e000, "C:\\Java\\bin\\verify.dll"},
    {0x00a40000, 0x00019000, "C:\\Java\\bin\\java.dll"},
    {0x00a60000, 0x0000d000, "C:\\Java\\bin\\zip.dll"},
    {0x03ff0000, 0x0000f000, "C:\\Java\\bin\\net.dll"},
    {0x040a0000, 0x00008000, "C:\\Java\\bin\\nio.dll"},
    {0x040b0000, 0x0005a000, "C:\\WINDOWS\\system32\\hnetcfg.dll"},
    {0x041d0000, 0x00112000, "C:\\Java\\bin\\awt.dll"},
    {0x04540000, 0x00051000, "C:\\Java\\bin\\fontmanager.dll"},
    {0x04620000, 0x00050000, "C:\\WINDOWS\\system32\\msctf.dll"},
    {0x047c0000, 0x0001e000, "C:\\Java\\bin\\jpeg.dll"},
    {0x05820000, 0x00022000, "C:\\Java\\bin\\dcpr.dll"},
    {0x05920000, 0x00012000, "C:\\Java\\bin\\pkcs11wrapper.dll"},
    {0x08000000, 0x00139000, "C:\\Java\\bin\\client\\jvm.dll"},
    {0x10000000, 0x000e0000, "C:\\App\\moduleA.dll"},
    {0x68000000, 0x00035000, "C:\\WINDOWS\\system32\\rsaenh.dll"},
    {0x6e220000, 0x00006000, "C:\\App\\RMProcessLink.dll"},
    {0x71ae0000, 0x00008000, "C:\\WINDOWS\\system32\\wshtcpip.dll"},
    {0x77380000, 0x00091000, "C:\\WINDOWS\\system32\\user32.dll"},
    {0x77ba0000, 0x0005a000, "C:\\WINDOWS\\system32\\msvcrt.dll"},
    {0x77e40000, 0x00102000, "C:\\WINDOWS\\system32\\kernel32.dll"},
    {0x78130000, 0x0009b000, "C:\\Java\\bin\\msvcr80.dll"},
    {0x7c800000, 0x000c0000, "C:\\WINDOWS\\system32\\ntdll.dll"},
};
static const tmod seed_b[] = {
    {0x00400000, 0x0000b000, "C:\\Java\\bin\\javaw.exe"},
    {0x08000000, 0x00139000, "C:\\Java\\bin\\client\\jvm.dll"},
    {0x10000000, 0x00007000, "C:\\Java\\bin\\hpi.dll"},
    {0x51120000, 0x0009b000, "C:\\Java\\bin\\msvcr80.dll"},
    {0x520f0000, 0x0000e000, "C:\\Java\\bin\\verify.dll"},
    {0x52100000, 0x00019000, "C:\\Java\\bin\\java.dll"},
    {0x52120000, 0x0000d000, "C:\\Java\\bin\\zip.dll"},
    {0x52130000, 0x0000f000, "C:\\Java\\bin\\net.dll"},
    {0x52140000, 0x00008000, "C:\\Java\\bin\\nio.dll"},
    {0x52150000, 0x00112000, "C:\\Java\\bin\\awt.dll"},
    {0x52270000, 0x00051000, "C:\\Java\\bin\\fontmanager.dll"},
    {0x522d0000, 0x00050000, "C:\\WINDOWS\\system32\\MSCTF.dll"},
    {0x52330000, 0x0001e000, "C:\\Java\\bin\\jpeg.dll"},
    {0x52350000, 0x00022000, "C:\\Java\\bin\\dcpr.dll"},
    {0x52510000, 0x00012000, "C:\\Java\\bin\\pkcs11wrapper.dll"},
    {0x5f270000, 0x0005a000, "C:\\WINDOWS\\system32\\hnetcfg.dll"},
    {0x60000000, 0x00029000, "C:\\Program Files\\Vendor\\3rdPartyHook.dll"},
    {0x61e80000, 0x00006000, "C:\\Program Files\\Vendor\\detoured.dll"},
    {0x68000000, 0x00035000, "C:\\WINDOWS\\system32\\rsaenh.dll"},
    {0x71ae0000, 0x00008000, "C:\\WINDOWS\\system32\\wshtcpip.dll"},
    {0x77380000, 0x00091000, "C:\\WINDOWS\\system32\\user32.dll"},
    {0x77ba0000, 0x0005a000, "C:\\WINDOWS\\system32\\msvcrt.dll"},
    {0x77e40000, 0x00102000, "C:\\WINDOWS\\system32\\kernel32.dll"},
    {0x7c340000, 0x00056000, "C:\\Java\\bin\\msvcr71.dll"},
    {0x7c800000, 0x000c0000, "C:\\WINDOWS\\system32\\ntdll.dll"},
};

#define FREE 0x10000u
#define COMMIT 0x1000u
#define RESERVE 0x2000u
#define PRIVATE 0x20000u
#define IMAGE 0x1000000u

// MemoryInfoList for a module list: each module an image region, the Java
// heap (reserve, with a committed start) after `heap_at` for `heap_size`
// bytes, every other byte from 0x10000 to 0x7FFF0000 free.
static size_t
seed_regions(tregion *r, const tmod *m, size_t n, uint64_t heap_at, uint64_t heap_size)
{
	size_t   k   = 0;
	uint64_t cur = 0x10000;
	for (size_t i = 0; i <= n; i++) {
		uint64_t start = i < n ? m[i].base : 0x7FFF0000u;
		if (heap_at >= cur && heap_at < start) {
			if (heap_at > cur)
				r[k++] = (tregion){cur, heap_at - cur, FREE, 1, 0};
			r[k++] = (tregion){heap_at, 0x4000000, COMMIT, 0x40, PRIVATE};
			r[k++] = (tregion){heap_at + 0x4000000, heap_size - 0x4000000, RESERVE, 0, PRIVATE};
			cur    = heap_at + heap_size;
		}
		if (start > cur)
			r[k++] = (tregion){cur, start - cur, FREE, 1, 0};
		if (i < n) {
			r[k++] = (tregion){m[i].base, m[i].size, COMMIT, 0x20, IMAGE};
			cur    = m[i].base + m[i].size;
		}
	}
	return k;
}

static dw_dump *
seed_dump(dws_dump *b, const tmod *m, size_t n, uint64_t heap_at, uint64_t heap_size)
{
	dws_dump_init(b, 6, 0x2, 1200000000u);
	add_sysinfo(b, ARCH_X86);
	add_modules(b, m, n);
	tthread th[] = {{0x1b3c, 0, 0x7c90e514, 0x0006f000}};
	add_threads(b, ARCH_X86, th, 1);
	tregion r[128];
	size_t  nr = seed_regions(r, m, n, heap_at, heap_size);
	add_meminfo(b, r, nr);
	return open_synth(b);
}

#define NA (sizeof(seed_a) / sizeof(seed_a[0]))
#define NB (sizeof(seed_b) / sizeof(seed_b[0]))

Test(patterns, module_fragmentation_in_the_seed_articles_second_dump)
{
	dws_dump     ba, bb;
	// The JVM reserves its heap in the largest gap: 0x100e0000 +0x50000000
	// in A, 0x10010000 +0x3c000000 in B (sizes rounded from the article).
	dw_dump     *a   = seed_dump(&ba, seed_a, NA, 0x100e0000, 0x50000000);
	dw_dump     *b   = seed_dump(&bb, seed_b, NB, 0x10010000, 0x3c000000);
	dw_findings *fsa = classify(a);
	dw_findings *fsb = classify(b);

	// A: largest gap between modules 0x100e0000..0x68000000 = 0x57F20000
	// (the article's "57F20000", about 1.4 GB): no fragmentation finding.
	const dw_finding *sa = dw_findings_find(fsa, DW_FINDING_SUMMARY, "Module Fragmentation");
	cr_assert_not_null(sa);
	cr_expect_eq(evidence(sa, "largest gap between modules")->value, 0x100e0000);
	cr_expect_eq(evidence(sa, "largest gap bytes")->value, 0x57F20000);
	cr_expect_null(pattern(fsa, "Module Fragmentation"));

	// B: largest gap hpi's end 0x10007000 .. msvcr80 0x51120000 = 0x41119000
	// (the article's "less than 1.1Gb"); the Java DLLs at 0x51120000-0x52522000
	// sit between it and the 0xCD4E000 gap up to hnetcfg: together 0x4F287000.
	const dw_finding *f = pattern(fsb, "Module Fragmentation");
	cr_assert_not_null(f);
	cr_expect_eq(evidence(f, "largest gap between modules")->value, 0x10007000);
	cr_expect_eq(evidence(f, "largest gap bytes")->value, 0x41119000);
	cr_expect(evidence_text_has(f, "module below the gap", "hpi.dll"));
	cr_expect(evidence_text_has(f, "module above the gap", "msvcr80.dll"));
	cr_expect(evidence_text_has(f, "splitting module", "msvcr80.dll"));
	cr_expect(evidence_text_has(f, "splitting module", "awt.dll"));
	cr_expect(!evidence_text_has(f, "splitting module", "MSCTF.dll")); // a Windows module
	cr_expect(evidence_text_has(f, "splitting run", "0x51120000-0x52522000"));
	// detoured.dll is a known hooking library.
	const dw_finding *h = pattern(fsb, "Hooksware");
	cr_assert_not_null(h);
	cr_expect(evidence_text_has(h, "hooking module", "detoured.dll"));
	cr_expect_null(pattern(fsa, "Hooksware"));

	// Memory layout from MemoryInfoList: B's largest free region is the
	// 0x4C010000..0x51120000 remainder after the heap (0x5110000).
	const dw_finding *m = dw_findings_find(fsb, DW_FINDING_SUMMARY,
	    "Memory Leak (Process Heap) / Insufficient Memory (Committed Memory)");
	cr_assert_not_null(m);
	cr_expect_eq(evidence(m, "private committed bytes")->value, 0x4000000);
	cr_expect_eq(evidence(m, "reserved bytes")->value, 0x3c000000 - 0x4000000);

	// diff A -> B: the gap shrank by 0x57F20000 - 0x41119000 = 0x16E07000;
	// detoured and 3rdPartyHook are new inside A's gap, msvcr80 moved into it.
	dw_diff *df = NULL;
	cr_assert_eq(dw_diff_dumps(&df, a, b), DW_OK);
	cr_expect_eq(df->gap_a.size, 0x57F20000);
	cr_expect_eq(df->gap_b.size, 0x41119000);
	bool detoured = false, hook = false, msvcr80 = false, moduleA_removed = false,
	     msvcr71_added = false;
	for (size_t i = 0; i < df->nculprits; i++) {
		const dw_diff_module *c = df->culprits[i];
		detoured |= strcmp(c->name, "detoured.dll") == 0 && c->kind == DW_DIFF_ADDED;
		hook |= strcmp(c->name, "3rdPartyHook.dll") == 0 && c->kind == DW_DIFF_ADDED;
		msvcr80 |= strcmp(c->name, "msvcr80.dll") == 0 && c->kind == DW_DIFF_MOVED;
		cr_expect_neq(strcmp(c->name, "rsaenh.dll"), 0); // same place in both
	}
	for (size_t i = 0; i < df->nmodules; i++) {
		moduleA_removed |= strcmp(df->modules[i].name, "moduleA.dll") == 0 &&
		                   df->modules[i].kind == DW_DIFF_REMOVED;
		msvcr71_added |= strcmp(df->modules[i].name, "msvcr71.dll") == 0 &&
		                 df->modules[i].kind == DW_DIFF_ADDED && !df->modules[i].in_a_gap;
	}
	cr_expect(detoured && hook && msvcr80, "culprits: detoured %d hook %d msvcr80 %d", detoured,
	          hook, msvcr80);
	cr_expect(moduleA_removed);
	cr_expect(msvcr71_added);
	cr_expect_eq(df->threads_a, 1);
	cr_expect_eq(df->threads_b, 1);
	dw_diff_free(df);
	dw_findings_free(fsa);
	dw_findings_free(fsb);
	dw_dump_free(a);
	dw_dump_free(b);
	dws_dump_fini(&ba);
	dws_dump_fini(&bb);
}

// ---- Comment streams -----------------------------------------------------------

Test(patterns, embedded_comments_a_and_w)
{
	dws_dump b;
	dws_dump_init(&b, 4, 0, 1700000000u);
	add_sysinfo(&b, ARCH_X86);
	dws_stream_begin(&b, 10);
	dws_bytes(&b.b, "saved by the watchdog after 30 s", 33);
	dws_stream_end(&b);
	dws_stream_begin(&b, 11);
	dws_utf16(&b.b, "build 1.2.3 (nightly)");
	dws_u16(&b.b, 0);
	dws_stream_end(&b);
	dw_dump     *d  = open_synth(&b);
	dw_findings *fs = classify(d);
	const dw_finding *f = pattern(fs, "Embedded Comments");
	cr_assert_not_null(f);
	cr_expect(evidence_text_has(f, "comment (CommentStreamA)", "watchdog after 30 s"));
	cr_expect(evidence_text_has(f, "comment (CommentStreamW)", "build 1.2.3 (nightly)"));
	dw_findings_free(fs);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// ---- TEBs with last errors --------------------------------------------------------

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

Test(patterns, last_error_collection_x64_teb)
{
	static uint8_t teb1[0x1300], teb2[0x1300];
	memset(teb1, 0, sizeof(teb1));
	memset(teb2, 0, sizeof(teb2));
	put32(teb1 + 0x68, 2);             // ERROR_FILE_NOT_FOUND
	put32(teb1 + 0x1250, 0xC0000034u); // STATUS_OBJECT_NAME_NOT_FOUND
	put32(teb2 + 0x68, 0);
	dws_dump b;
	dws_dump_init(&b, 6, 0, 1700000000u);
	add_sysinfo(&b, ARCH_AMD64);
	tthread th[] = {{10, 0x7ffde000ull, 0x1000, 0x2000}, {20, 0x7ffdc000ull, 0x1000, 0x2000}};
	add_threads(&b, ARCH_AMD64, th, 2);
	tmem mem[] = {{0x7ffde000ull, teb1, sizeof(teb1)}, {0x7ffdc000ull, teb2, sizeof(teb2)}};
	add_memory(&b, mem, 2);
	dw_dump     *d  = open_synth(&b);
	dw_findings *fs = classify(d);
	const dw_finding *f = pattern(fs, "Last Error Collection");
	cr_assert_not_null(f);
	cr_expect(dw_finding_has_thread(f, 10));
	cr_expect(!dw_finding_has_thread(f, 20));
	const dw_evidence *e = evidence(f, "last error");
	cr_expect_eq(e->value, 2);
	cr_expect_str_eq(e->text, "ERROR_FILE_NOT_FOUND");
	const dw_evidence *s = evidence(f, "last status");
	cr_expect_eq(s->value, 0xC0000034u);
	cr_expect_str_eq(s->text, "STATUS_OBJECT_NAME_NOT_FOUND");
	dw_findings_free(fs);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(patterns, last_error_collection_x86_teb)
{
	static uint8_t teb[0x1000];
	memset(teb, 0, sizeof(teb));
	put32(teb + 0x34, 5);              // ERROR_ACCESS_DENIED
	put32(teb + 0xBF4, 0xC0000022u);   // STATUS_ACCESS_DENIED
	dws_dump b;
	dws_dump_init(&b, 6, 0, 1700000000u);
	add_sysinfo(&b, ARCH_X86);
	tthread th[] = {{30, 0x7ffdf000u, 0x401000, 0x12ff00}};
	add_threads(&b, ARCH_X86, th, 1);
	tmem mem[] = {{0x7ffdf000u, teb, sizeof(teb)}};
	add_memory(&b, mem, 1);
	dw_dump     *d  = open_synth(&b);
	dw_findings *fs = classify(d);
	const dw_finding *f = pattern(fs, "Last Error Collection");
	cr_assert_not_null(f);
	cr_expect(dw_finding_has_thread(f, 30));
	cr_expect_str_eq(evidence(f, "last error")->text, "ERROR_ACCESS_DENIED");
	cr_expect_str_eq(evidence(f, "last status")->text, "STATUS_ACCESS_DENIED");
	dw_findings_free(fs);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// ---- C++ exceptions with throw information in memory ----------------------------

// x64: every ThrowInfo reference is an RVA from ExceptionInformation[3].
//   image 0x140000000; ThrowInfo at +0x5000 {0, 0, 0, cta 0x5010}
//   CatchableTypeArray at +0x5010 {2, 0x5020, 0x5040}
//   CatchableType at +0x5020 {0, td 0x5100}, at +0x5040 {0, td 0x5200}
//   TypeDescriptor at +0x5100: vftable (8), spare (8), ".?AVinvalid_argument@std@@"
//                  at +0x5200: ".?AVlogic_error@std@@"
Test(patterns, cpp_exception_type_decoded_x64)
{
	static uint8_t img[0x300];
	memset(img, 0, sizeof(img));
	put32(img + 0x0C, 0x5010);
	put32(img + 0x10, 2);
	put32(img + 0x14, 0x5020);
	put32(img + 0x18, 0x5040);
	put32(img + 0x24, 0x5100);
	put32(img + 0x44, 0x5200);
	put64(img + 0x100, 0x140007000ull);
	memcpy(img + 0x110, ".?AVinvalid_argument@std@@", 27);
	memcpy(img + 0x210, ".?AVlogic_error@std@@", 22);
	dws_dump b;
	dws_dump_init(&b, 8, 0, 1700000000u);
	add_sysinfo(&b, ARCH_AMD64);
	tmod mods[] = {{0x140000000ull, 0x10000, "C:\\app\\thrower.exe"},
	               {0x7ffa00000000ull, 0x100000, "C:\\Windows\\System32\\KERNELBASE.dll"}};
	add_modules(&b, mods, 2);
	tthread th[] = {{7, 0, 0x7ffa00012345ull, 0x5000}};
	add_threads(&b, ARCH_AMD64, th, 1);
	tmem mem[] = {{0x140005000ull, img, sizeof(img)}};
	add_memory(&b, mem, 1);
	uint64_t p[] = {0x19930520u, 0x22f000, 0x140005000ull, 0x140000000ull};
	add_exception(&b, ARCH_AMD64, 7, 0xE06D7363u, 0x7ffa00012345ull, p, 4, 0x7ffa00012345ull,
	              0x5000);
	dw_dump     *d  = open_synth(&b);
	dw_findings *fs = classify(d);
	const dw_finding *f = pattern(fs, "C++ Exception");
	cr_assert_not_null(f);
	cr_expect(dw_finding_has_thread(f, 7));
	cr_expect_str_eq(evidence(f, "thrown type")->text, "class std::invalid_argument");
	cr_expect_str_eq(evidence(f, "type descriptor name")->text, ".?AVinvalid_argument@std@@");
	cr_expect_str_eq(evidence(f, "also catchable as")->text, "class std::logic_error");
	cr_expect(strstr(f->explanation, "std::invalid_argument") != NULL);
	cr_expect_not_null(pattern(fs, "Stored Exception"));
	cr_expect_null(pattern(fs, "Manual Dump (Process)"));
	dw_findings_free(fs);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// x86: the same fields are absolute pointers; TypeDescriptor's name at +8.
//   ThrowInfo 0x405000 {0, 0, 0, 0x405010}; CTA 0x405010 {1, 0x405020};
//   CatchableType 0x405020 {0, 0x405100}; TypeDescriptor 0x405100
Test(patterns, cpp_exception_type_decoded_x86)
{
	static uint8_t img[0x200];
	memset(img, 0, sizeof(img));
	put32(img + 0x0C, 0x405010);
	put32(img + 0x10, 1);
	put32(img + 0x14, 0x405020);
	put32(img + 0x24, 0x405100);
	put32(img + 0x100, 0x407000);
	memcpy(img + 0x108, ".?AVruntime_error@std@@", 24);
	dws_dump b;
	dws_dump_init(&b, 8, 0, 1700000000u);
	add_sysinfo(&b, ARCH_X86);
	tmod mods[] = {{0x400000, 0x10000, "C:\\app\\thrower.exe"}};
	add_modules(&b, mods, 1);
	tthread th[] = {{9, 0, 0x401000, 0x12f000}};
	add_threads(&b, ARCH_X86, th, 1);
	tmem mem[] = {{0x405000, img, sizeof(img)}};
	add_memory(&b, mem, 1);
	uint64_t p[] = {0x19930520u, 0x12f100, 0x405000};
	add_exception(&b, ARCH_X86, 9, 0xE06D7363u, 0x401234, p, 3, 0x401234, 0x12f000);
	dw_dump     *d  = open_synth(&b);
	dw_findings *fs = classify(d);
	const dw_finding *f = pattern(fs, "C++ Exception");
	cr_assert_not_null(f);
	cr_expect_str_eq(evidence(f, "thrown type")->text, "class std::runtime_error");
	cr_expect_null(evidence(f, "also catchable as"));
	dw_findings_free(fs);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(patterns, cpp_exception_without_throw_info_says_so)
{
	dws_dump b;
	dws_dump_init(&b, 6, 0, 1700000000u);
	add_sysinfo(&b, ARCH_AMD64);
	uint64_t p[] = {0x19930520u, 0x22f000, 0x140005000ull, 0x140000000ull};
	add_exception(&b, ARCH_AMD64, 7, 0xE06D7363u, 0x1000, p, 4, 0x1000, 0x5000);
	dw_dump     *d  = open_synth(&b);
	dw_findings *fs = classify(d);
	const dw_finding *f = pattern(fs, "C++ Exception");
	cr_assert_not_null(f);
	cr_expect(strstr(evidence(f, "thrown type")->text, "not in the dump") != NULL);
	dw_findings_free(fs);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// ---- Exception shapes ---------------------------------------------------------------

static dw_findings *
av(uint16_t arch, uint64_t ip, uint64_t kind, uint64_t addr, dws_dump *b, dw_dump **d,
   const tmem *mem, size_t nmem)
{
	dws_dump_init(b, 8, 0, 1700000000u);
	add_sysinfo(b, arch);
	tmod mods[] = {{arch == ARCH_X86 ? 0x400000 : 0x140000000ull, 0x10000, "C:\\app\\a.exe"}};
	add_modules(b, mods, 1);
	tthread th[] = {{5, 0, ip, 0x12ff00}};
	add_threads(b, arch, th, 1);
	if (nmem != 0)
		add_memory(b, mem, nmem);
	uint64_t p[] = {kind, addr};
	add_exception(b, arch, 5, 0xC0000005u, ip, p, 2, ip, 0x12ff00);
	*d = open_synth(b);
	return classify(*d);
}

Test(patterns, null_code_names_the_caller_from_the_stack)
{
	uint8_t stack[8] = {0x34, 0x12, 0x40, 0x00}; // return address 0x401234
	tmem    mem[]    = {{0x12ff00, stack, 8}};
	dws_dump b;
	dw_dump *d;
	dw_findings *fs = av(ARCH_X86, 0, 8, 0, &b, &d, mem, 1);
	const dw_finding *f = pattern(fs, "NULL Pointer (Code)");
	cr_assert_not_null(f);
	const dw_evidence *c = evidence(f, "caller (return address at [SP])");
	cr_assert_not_null(c);
	cr_expect_eq(c->value, 0x401234);
	cr_expect_str_eq(c->text, "a.exe+0x1234");
	cr_expect_null(pattern(fs, "NULL Pointer (Data)"));
	cr_expect_null(pattern(fs, "Wild Code"));
	dw_findings_free(fs);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(patterns, invalid_pointer_classes)
{
	struct {
		uint16_t      arch;
		uint64_t      addr;
		const char   *needle;
		dw_confidence conf;
	} cases[] = {
	    {ARCH_X86, 0xFEEEFEF6u, "HeapFree fill", DW_CONF_LIKELY},
	    {ARCH_X86, 0x41414141u, "\"AAAA\"", DW_CONF_LIKELY},
	    {ARCH_AMD64, 0xDDDDDDDDDDDDDDE5ull, "non-canonical", DW_CONF_CERTAIN},
	    {ARCH_AMD64, 0x00000BAD00000000ull, "outside every module", DW_CONF_POSSIBLE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dws_dump     b;
		dw_dump     *d;
		uint64_t     ip = cases[i].arch == ARCH_X86 ? 0x401000 : 0x140001000ull;
		dw_findings *fs = av(cases[i].arch, ip, 0, cases[i].addr, &b, &d, NULL, 0);
		const dw_finding *f = pattern(fs, "Invalid Pointer (General)");
		cr_assert_not_null(f, "case %zu", i);
		cr_expect(strstr(f->explanation, cases[i].needle) != NULL, "case %zu: %s", i,
		          f->explanation);
		cr_expect_eq(f->confidence, cases[i].conf, "case %zu", i);
		cr_expect_null(pattern(fs, "NULL Pointer (Data)"));
		dw_findings_free(fs);
		dw_dump_free(d);
		dws_dump_fini(&b);
	}
}

Test(patterns, dep_violation_is_wild_code)
{
	dws_dump     b;
	dw_dump     *d;
	dw_findings *fs = av(ARCH_AMD64, 0x22f000, 8, 0x22f000, &b, &d, NULL, 0);
	const dw_finding *f = pattern(fs, "Wild Code");
	cr_assert_not_null(f);
	cr_expect_eq(f->confidence, DW_CONF_CERTAIN);
	cr_expect_null(pattern(fs, "Invalid Pointer (General)"));
	cr_expect_null(pattern(fs, "Exception Module"));
	dw_findings_free(fs);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(patterns, integer_divide_names_the_instruction)
{
	// F7 F9 = idiv ecx; 48 F7 7D F0 = idiv qword [rbp-0x10]
	static const uint8_t code32[] = {0xF7, 0xF9, 0x90, 0x90};
	static const uint8_t code64[] = {0x48, 0xF7, 0x7D, 0xF0, 0x90};
	for (int k = 0; k < 2; k++) {
		uint16_t arch = k == 0 ? ARCH_X86 : ARCH_AMD64;
		uint64_t ip   = k == 0 ? 0x401000 : 0x140001000ull;
		dws_dump b;
		dws_dump_init(&b, 8, 0, 1700000000u);
		add_sysinfo(&b, arch);
		tmod mods[] = {{k == 0 ? 0x400000 : 0x140000000ull, 0x10000, "C:\\app\\a.exe"}};
		add_modules(&b, mods, 1);
		tmem mem[] = {{ip, k == 0 ? code32 : code64, k == 0 ? sizeof(code32) : sizeof(code64)}};
		add_memory(&b, mem, 1);
		add_exception(&b, arch, 5, 0xC0000094u, ip, NULL, 0, ip, 0x12ff00);
		dw_dump     *d  = open_synth(&b);
		dw_findings *fs = classify(d);
		const dw_finding *f = pattern(fs, "Divide by Zero (User Mode)");
		cr_assert_not_null(f);
		const dw_evidence *e = evidence(f, "dividing instruction");
		cr_assert_not_null(e);
		cr_expect(strncmp(e->text, k == 0 ? "idiv ecx" : "idiv qword [memory operand]",
		                  k == 0 ? 8 : 27) == 0,
		          "%s", e->text);
		dw_findings_free(fs);
		dw_dump_free(d);
		dws_dump_fini(&b);
	}
}

Test(patterns, fast_fail_code_is_named)
{
	dws_dump b;
	dws_dump_init(&b, 6, 0, 1700000000u);
	add_sysinfo(&b, ARCH_AMD64);
	uint64_t p[] = {50};
	add_exception(&b, ARCH_AMD64, 5, 0xC0000409u, 0x1000, p, 1, 0x1000, 0x5000);
	dw_dump     *d  = open_synth(&b);
	dw_findings *fs = classify(d);
	const dw_finding *f = pattern(fs, "Local Buffer Overflow (User Space)");
	cr_assert_not_null(f);
	cr_expect_str_eq(evidence(f, "fast-fail code")->text, "FAST_FAIL_HEAP_METADATA_CORRUPTION");
	dw_findings_free(fs);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(patterns, stack_overflow_near_the_end_of_the_reservation)
{
	// x86 TEB: StackBase 0x130000, StackLimit 0x031000 (+8), DeallocationStack
	// 0x030000 (+0xE0C); ESP 0x031400 is 0x400 above the limit.
	static uint8_t teb[0x1000];
	memset(teb, 0, sizeof(teb));
	put32(teb + 4, 0x130000);
	put32(teb + 8, 0x031000);
	put32(teb + 0xE0C, 0x030000);
	dws_dump b;
	dws_dump_init(&b, 6, 0, 1700000000u);
	add_sysinfo(&b, ARCH_X86);
	tthread th[] = {{44, 0x7ffdf000u, 0x401000, 0x031400}};
	add_threads(&b, ARCH_X86, th, 1);
	tmem mem[] = {{0x7ffdf000u, teb, sizeof(teb)}};
	add_memory(&b, mem, 1);
	dw_dump     *d  = open_synth(&b);
	dw_findings *fs = classify(d);
	const dw_finding *f = pattern(fs, "Stack Overflow (User Mode)");
	cr_assert_not_null(f);
	cr_expect(dw_finding_has_thread(f, 44));
	cr_expect_eq(f->confidence, DW_CONF_LIKELY);
	dw_findings_free(fs);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

Test(patterns, wow64_modules_make_a_virtualized_process)
{
	dws_dump b;
	dws_dump_init(&b, 6, 0, 1700000000u);
	add_sysinfo(&b, ARCH_AMD64);
	tmod mods[] = {{0x00400000, 0x10000, "C:\\app\\app32.exe"},
	               {0x77000000, 0x180000, "C:\\Windows\\SysWOW64\\ntdll.dll"},
	               {0x7ffb00000000ull, 0x200000, "C:\\Windows\\System32\\ntdll.dll"},
	               {0x75380000, 0x50000, "C:\\Windows\\System32\\wow64.dll"},
	               {0x75370000, 0x9000, "C:\\Windows\\System32\\wow64cpu.dll"}};
	add_modules(&b, mods, 5);
	dw_dump     *d  = open_synth(&b);
	dw_findings *fs = classify(d);
	const dw_finding *f = pattern(fs, "Virtualized Process (WOW64)");
	cr_assert_not_null(f);
	cr_expect(evidence_text_has(f, "WOW64 module", "wow64cpu.dll"));
	dw_findings_free(fs);
	dw_dump_free(d);
	dws_dump_fini(&b);
}

// Codes as ntstatus.h and winnt.h spell them (the table's first, last and
// some between), and values that name nothing.
Test(patterns, ntstatus_names_found_at_both_ends_and_between)
{
	static const struct {
		uint32_t    code;
		const char *name;
	} known[] = {
	    {0x00000000u, "STATUS_SUCCESS"},
	    {0x00000080u, "STATUS_ABANDONED_WAIT_0"},
	    {0x80000003u, "STATUS_BREAKPOINT"},
	    {0xC0000005u, "STATUS_ACCESS_VIOLATION"},
	    {0xC00000FDu, "STATUS_STACK_OVERFLOW"},
	    {0xC0000409u, "STATUS_STACK_BUFFER_OVERRUN"},
	    {0xC0000374u, "STATUS_HEAP_CORRUPTION"},
	    {0xE06D7363u, "MSVC C++ exception"},
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const char *n = dw_ntstatus_name(known[i].code);
		cr_expect(n != NULL && strcmp(n, known[i].name) == 0, "0x%08X: got %s", known[i].code,
		          n != NULL ? n : "(none)");
	}
	cr_expect_null(dw_ntstatus_name(0x00000001u));
	cr_expect_null(dw_ntstatus_name(0xC0000006u + 0x1000u));
	cr_expect_null(dw_ntstatus_name(0xFFFFFFFFu));
}

// The finding text formatter expands plain conversions itself and hands
// the rest to vsnprintf: either way its text must be snprintf's, byte for
// byte, truncation included (explanations stop at 511 bytes, other strings
// at 1023).
// The oracle, through vsnprintf: the truncation is what is being tested.
static void oracle(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void
oracle(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

#define EXPECT_AS_SNPRINTF(fs, size, ...)                                                          \
	do {                                                                                           \
		char        want_[size];                                                                   \
		const char *got_;                                                                          \
		oracle(want_, sizeof(want_), __VA_ARGS__);                                                 \
		if ((size) == 1024)                                                                        \
			got_ = dw_findings_printf(fs, __VA_ARGS__);                                            \
		else                                                                                       \
			got_ = dw_findings_add(fs, "Main Thread", DW_CONF_POSSIBLE, __VA_ARGS__)->explanation; \
		cr_expect_str_eq(got_, want_);                                                             \
	} while (0)

Test(patterns, finding_text_is_what_snprintf_writes)
{
	dw_findings *fs;
	cr_assert_eq(dw_findings_new(&fs), DW_OK);
	const char *volatile none = NULL;
	char long_name[1500];
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	EXPECT_AS_SNPRINTF(fs, 1024, "x %d %d %d %ld %lld", 0, -1, INT32_MIN, (long)INT64_MIN,
	                   (long long)-5);
	EXPECT_AS_SNPRINTF(fs, 1024, "%u %zu %lu %llu %x %lx %" PRIx64 " %" PRIu64 " %%", 0u,
	                   (size_t)SIZE_MAX, 12ul, 13ull, 0xdeadu, 0x0ul, UINT64_MAX, UINT64_MAX);
	EXPECT_AS_SNPRINTF(fs, 1024, "%08X %02x %5u %05u %x %016" PRIx64 " %3x|%08X", 0xc0000005u, 7u,
	                   42u, 42u, 0u, (uint64_t)0xabc, 0x1234u, 0u);
	EXPECT_AS_SNPRINTF(fs, 1024, "%-5u|%+d|%5d|%08d %.1f %c", 3u, 4, 5, -6, 1.25, 'q');
	EXPECT_AS_SNPRINTF(fs, 1024, "%s and %s", "a", none);
	EXPECT_AS_SNPRINTF(fs, 1024, "module %s at 0x%" PRIx64, long_name, (uint64_t)0x7ff612340000);
	EXPECT_AS_SNPRINTF(fs, 512, "thread %u waits on %s (%u frames)", 4242u, long_name, 17u);
	EXPECT_AS_SNPRINTF(fs, 512, "%s", long_name);
	EXPECT_AS_SNPRINTF(fs, 512, "no conversion at all");
	cr_expect_eq(dw_findings_error(fs), DW_OK);
	dw_findings_free(fs);
}
