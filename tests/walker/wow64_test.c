// tests/walker/wow64_test.c - WOW64 from our own x86 corpus (issue 5, "WOW64
// test data"). No public WOW64 dump keeps the memory holding the 32-bit
// context and Wine runs 32-bit programs natively, so each test takes a real
// x86 dump of tests/corpus/x86 and rewrites it byte by byte (tests/synth) the
// way a 64-bit debugger writes a 32-bit process:
//   - SystemInfo says AMD64 (Windows 10 or 7, which picks the layout);
//   - the 32-bit modules (system DLLs moved to SysWOW64, as a 64-bit
//     writer names them) plus 64-bit ntdll, wow64, wow64win and wow64cpu;
//   - each thread's ThreadList context is a 64-bit one parked in wow64cpu,
//     with a small 64-bit stack, and its Teb field is the TEB64;
//   - TEB64 TlsSlots[1] (TEB64+0x1488) points into the 64-bit stack at the
//     CPU-reserved block: a 4-byte header (Windows 10: USHORT Flags, USHORT
//     Machine = 0x14c; Vista-8.1: a ULONG, Microsoft's WOW64_CONTEXT remarks
//     "a WOW64_CONTEXT structure starting at offset 4"), then the thread's
//     original 32-bit CONTEXT, byte for byte;
//   - the TEB32 at TEB64+0x2000 (the original dump's Teb address) with
//     NT_TIB32 StackBase/StackLimit of the original stack;
//   - every original memory range (the 32-bit stacks) unchanged.
// The dump is parsed here with its own few lines of layout code, not the
// walker's, so a reader bug cannot hide behind a shared definition.
//
// There is no Exception stream: the CPU area holds the 32-bit state each
// thread had when it last entered 64-bit code (for a faulting thread, the
// wait inside its filter), not the exception context, so the 32-bit frames
// are compared with the original dump walked from each thread's ThreadList
// context. many_threads is a manual dump, so there they are also checked
// against expected.json.
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "tests/synth/synth.h"
#include "tests/walker/corpus_files.h"
#include "tests/walker/testsym.h"
#include "walker/dump.h"
#include "walker/residue.h"
#include "walker/walk.h"

// ---- The original dump, read raw ------------------------------------------

static uint16_t
g16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
g32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
g64(const uint8_t *p)
{
	return (uint64_t)g32(p) | (uint64_t)g32(p + 4) << 32;
}

typedef struct raw {
	uint8_t *p;
	size_t   n;
} raw;

static raw
slurp(const char *path)
{
	raw   r = {0};
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return r;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	r.p = n > 0 ? malloc((size_t)n + 1) : NULL;
	if (r.p != NULL && fread(r.p, 1, (size_t)n, f) == (size_t)n) {
		r.n      = (size_t)n;
		r.p[r.n] = 0;
	} else {
		free(r.p);
		r.p = NULL;
	}
	fclose(f);
	return r;
}

// MINIDUMP_HEADER: Signature, Version, NumberOfStreams, StreamDirectoryRva;
// MINIDUMP_DIRECTORY: StreamType, DataSize, Rva.
static const uint8_t *
stream(const raw *d, uint32_t type, uint32_t *size)
{
	uint32_t n = g32(d->p + 8), dir = g32(d->p + 12);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = d->p + dir + 12 * i;
		if (g32(e) == type && g32(e + 8) + (uint64_t)g32(e + 4) <= d->n) {
			*size = g32(e + 4);
			return d->p + g32(e + 8);
		}
	}
	return NULL;
}

// MINIDUMP_STRING to ASCII (the corpus names are ASCII).
static void
md_string(const raw *d, uint32_t rva, char *out, size_t cap)
{
	uint32_t len = g32(d->p + rva) / 2;
	size_t   k   = 0;
	for (uint32_t i = 0; i < len && k + 1 < cap; i++)
		out[k++] = (char)d->p[rva + 4 + 2 * i];
	out[k] = 0;
}

// ---- The wrapped dump -----------------------------------------------------

#define MD_THREAD_SIZE 48  // MINIDUMP_THREAD
#define MD_MODULE_SIZE 108 // MINIDUMP_MODULE
#define MD_MEMDESC_SIZE 16 // MINIDUMP_MEMORY_DESCRIPTOR
#define AMD64_CONTEXT_SIZE 1232
#define X86_CONTEXT_SIZE 716
#define TEB64_TLS1 0x1488
#define TEB32_FROM_TEB64 0x2000
#define STACK64_SIZE 0x1000
#define CPU_AREA_OFF 0xd00 // CPU-reserved block inside the 64-bit stack
#define RSP_OFF 0xc00

typedef enum layout { WIN10, WIN7 } layout;

static const struct {
	const char *path;
	uint64_t    base;
	uint32_t    size;
} mods64[] = {
    {"C:\\Windows\\System32\\ntdll.dll", 0x7ffb5e6d0000ull, 0x1f8000},
    {"C:\\Windows\\System32\\wow64.dll", 0x7ffb5d8d0000ull, 0x59000},
    {"C:\\Windows\\System32\\wow64win.dll", 0x7ffb5d930000ull, 0x8c000},
    {"C:\\Windows\\System32\\wow64cpu.dll", 0x7ffb5d9c0000ull, 0xa000},
};
#define WOW64CPU_PARKED (0x7ffb5d9c0000ull + 0x1cf3)

// The 64-bit stack of thread i (above 4 GiB: no clash with 32-bit memory).
static uint64_t
stack64(size_t i)
{
	return 0x100000000ull + 0x10000ull * i;
}

static void
replace_system32(char *s, size_t cap)
{
	char *p = s;
	while (*p != 0 && strncasecmp(p, "\\system32\\", 10) != 0)
		p++;
	if (*p == 0)
		return;
	char rest[512];
	snprintf(rest, sizeof(rest), "%s", p + 10);
	snprintf(p, cap - (size_t)(p - s), "\\SysWOW64\\%s", rest);
}

// Wraps the x86 dump `o` as a WOW64 dump; the bytes are in *out (owned by it).
static void
wrap(dws_dump *out, const raw *o, layout lay)
{
	uint32_t       tl_size, ml_size, mem_size, si_size, misc_size;
	const uint8_t *tl   = stream(o, 3, &tl_size);
	const uint8_t *ml   = stream(o, 4, &ml_size);
	const uint8_t *mem  = stream(o, 5, &mem_size);
	const uint8_t *si   = stream(o, 7, &si_size);
	const uint8_t *misc = stream(o, 15, &misc_size);
	cr_assert(tl != NULL && ml != NULL && mem != NULL && si != NULL && si_size >= 56);
	cr_assert_eq(g16(si), 0, "not an x86 dump");
	uint32_t nthreads = g32(tl), nmods = g32(ml), nmem = g32(mem);
	cr_assert_leq(nthreads, 64);

	dws_dump_init(out, 8, g64(o->p + 24), g32(o->p + 20));
	dws_dump *d = out;

	// Module names, and a CSDVersion string.
	uint32_t name_rva[64 + 4];
	cr_assert_leq(nmods, 64);
	for (uint32_t i = 0; i < nmods; i++) {
		char name[512];
		md_string(o, g32(ml + 4 + MD_MODULE_SIZE * i + 20), name, sizeof(name));
		replace_system32(name, sizeof(name));
		name_rva[i] = dws_string(d, name);
	}
	for (size_t i = 0; i < 4; i++)
		name_rva[nmods + i] = dws_string(d, mods64[i].path);
	uint32_t csd = dws_string(d, "");

	// Original memory, unchanged.
	uint32_t mem_rva[512];
	cr_assert_leq(nmem, 512);
	for (uint32_t i = 0; i < nmem; i++) {
		const uint8_t *m = mem + 4 + MD_MEMDESC_SIZE * i;
		mem_rva[i]       = dws_blob(d, o->p + g32(m + 12), g32(m + 8));
	}

	// Per thread: TEB64 (+ TEB32 at +0x2000) and the 64-bit stack holding
	// the CPU area; and the 64-bit context.
	uint32_t teb_rva[64], stk_rva[64], ctx_rva[64];
	for (uint32_t i = 0; i < nthreads; i++) {
		const uint8_t *t     = tl + 4 + MD_THREAD_SIZE * i;
		uint64_t       teb32 = g64(t + 16);
		uint64_t       s32   = g64(t + 24);
		uint32_t       s32n  = g32(t + 32);
		cr_assert_eq(g32(t + 40), X86_CONTEXT_SIZE);
		const uint8_t *ctx32 = o->p + g32(t + 44);
		uint64_t       teb64 = teb32 - TEB32_FROM_TEB64;
		uint64_t       s64   = stack64(i);

		uint8_t tebs[TEB32_FROM_TEB64 + 0x1000];
		memset(tebs, 0, sizeof(tebs));
		dws_buf b = {0};
		// NT_TIB64: ExceptionList, StackBase, StackLimit, ..., Self at 0x30.
		dws_u64(&b, 0);
		dws_u64(&b, s64 + STACK64_SIZE);
		dws_u64(&b, s64);
		memcpy(tebs, b.data, b.len);
		for (int k = 0; k < 8; k++)
			tebs[0x30 + k] = (uint8_t)(teb64 >> (8 * k));
		for (int k = 0; k < 8; k++)
			tebs[TEB64_TLS1 + k] = (uint8_t)((s64 + CPU_AREA_OFF) >> (8 * k));
		// NT_TIB32 at TEB64+0x2000: ExceptionList, StackBase, StackLimit; Self at 0x18.
		uint8_t *t32 = tebs + TEB32_FROM_TEB64;
		uint32_t v[] = {0xffffffffu, (uint32_t)(s32 + s32n), (uint32_t)s32};
		for (int k = 0; k < 3; k++)
			for (int j = 0; j < 4; j++)
				t32[4 * k + j] = (uint8_t)(v[k] >> (8 * j));
		for (int j = 0; j < 4; j++)
			t32[0x18 + j] = (uint8_t)(teb32 >> (8 * j));
		teb_rva[i] = dws_blob(d, tebs, sizeof(tebs));
		dws_buf_fini(&b);

		uint8_t stk[STACK64_SIZE];
		memset(stk, 0, sizeof(stk));
		uint8_t *area = stk + CPU_AREA_OFF;
		if (lay == WIN10) {
			area[0] = 0, area[1] = 0;       // Flags
			area[2] = 0x4c, area[3] = 0x01; // Machine: IMAGE_FILE_MACHINE_I386
		}
		memcpy(area + 4, ctx32, X86_CONTEXT_SIZE);
		// A return address into wow64.dll above the parked RSP.
		for (int k = 0; k < 8; k++)
			stk[RSP_OFF + k] = (uint8_t)((mods64[1].base + 0x7d4e) >> (8 * k));
		stk_rva[i] = dws_blob(d, stk, sizeof(stk));

		// AMD64 CONTEXT: ContextFlags 0x30, EFlags 0x44, Rsp 0x98, Rip 0xf8.
		uint8_t c64[AMD64_CONTEXT_SIZE];
		memset(c64, 0, sizeof(c64));
		uint32_t flags = 0x10000b; // CONTEXT_AMD64 | CONTROL | INTEGER | FLOATING_POINT
		for (int k = 0; k < 4; k++)
			c64[0x30 + k] = (uint8_t)(flags >> (8 * k));
		c64[0x38] = 0x33; // SegCs
		c64[0x42] = 0x2b; // SegSs
		c64[0x44] = 0x46, c64[0x45] = 0x02;
		for (int k = 0; k < 8; k++) {
			c64[0x98 + k] = (uint8_t)((s64 + RSP_OFF) >> (8 * k));
			c64[0xf8 + k] = (uint8_t)(WOW64CPU_PARKED >> (8 * k));
		}
		ctx_rva[i] = dws_blob(d, c64, sizeof(c64));
	}

	// SystemInfo: the original with AMD64 and the Windows version.
	dws_stream_begin(d, 7);
	dws_u16(&d->b, 9); // PROCESSOR_ARCHITECTURE_AMD64
	dws_bytes(&d->b, si + 2, 6);  // level, revision, processors, product type
	dws_u32(&d->b, lay == WIN10 ? 10 : 6);
	dws_u32(&d->b, lay == WIN10 ? 0 : 1);
	dws_u32(&d->b, lay == WIN10 ? 19045 : 7601);
	dws_u32(&d->b, 2); // VER_PLATFORM_WIN32_NT
	dws_u32(&d->b, csd);
	dws_bytes(&d->b, si + 28, 28); // suite mask, reserved, CPU information
	dws_stream_end(d);

	dws_stream_begin(d, 4);
	dws_u32(&d->b, nmods + 4);
	for (uint32_t i = 0; i < nmods; i++) {
		const uint8_t *m = ml + 4 + MD_MODULE_SIZE * i;
		dws_bytes(&d->b, m, 20); // base, size, checksum, timestamp
		dws_u32(&d->b, name_rva[i]);
		dws_bytes(&d->b, m + 24, 52); // VS_FIXEDFILEINFO
		dws_zeros(&d->b, 16);         // CvRecord, MiscRecord: none (as Wine's)
		dws_zeros(&d->b, 16);         // reserved
	}
	for (size_t i = 0; i < 4; i++) {
		dws_u64(&d->b, mods64[i].base);
		dws_u32(&d->b, mods64[i].size);
		dws_u32(&d->b, 0);
		dws_u32(&d->b, 0x5c1a2b3c);
		dws_u32(&d->b, name_rva[nmods + i]);
		dws_zeros(&d->b, 52 + 16 + 16);
	}
	dws_stream_end(d);

	dws_stream_begin(d, 3);
	dws_u32(&d->b, nthreads);
	for (uint32_t i = 0; i < nthreads; i++) {
		const uint8_t *t = tl + 4 + MD_THREAD_SIZE * i;
		dws_bytes(&d->b, t, 16); // id, suspend count, priority class, priority
		dws_u64(&d->b, g64(t + 16) - TEB32_FROM_TEB64);
		dws_u64(&d->b, stack64(i) + RSP_OFF);
		dws_u32(&d->b, STACK64_SIZE - RSP_OFF);
		dws_u32(&d->b, stk_rva[i] + RSP_OFF);
		dws_u32(&d->b, AMD64_CONTEXT_SIZE);
		dws_u32(&d->b, ctx_rva[i]);
	}
	dws_stream_end(d);

	// Memory: the original ranges, then each thread's TEBs and its 64-bit
	// stack from RSP up (the ThreadList range; the CPU area is inside it).
	dws_stream_begin(d, 5);
	dws_u32(&d->b, nmem + 2 * nthreads);
	for (uint32_t i = 0; i < nmem; i++) {
		const uint8_t *m = mem + 4 + MD_MEMDESC_SIZE * i;
		dws_u64(&d->b, g64(m));
		dws_u32(&d->b, g32(m + 8));
		dws_u32(&d->b, mem_rva[i]);
	}
	for (uint32_t i = 0; i < nthreads; i++) {
		const uint8_t *t = tl + 4 + MD_THREAD_SIZE * i;
		dws_u64(&d->b, g64(t + 16) - TEB32_FROM_TEB64);
		dws_u32(&d->b, TEB32_FROM_TEB64 + 0x1000);
		dws_u32(&d->b, teb_rva[i]);
		dws_u64(&d->b, stack64(i) + RSP_OFF);
		dws_u32(&d->b, STACK64_SIZE - RSP_OFF);
		dws_u32(&d->b, stk_rva[i] + RSP_OFF);
	}
	dws_stream_end(d);

	if (misc != NULL) {
		dws_stream_begin(d, 15);
		dws_bytes(&d->b, misc, misc_size);
		dws_stream_end(d);
	}
}

// ---- Symbols and comparison -----------------------------------------------

static bool
has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcasecmp(s + a - b, suf) == 0;
}

// Every .exe/.dll of the case with the PDB of the same name.
static tsym *
case_symbols(const char *dir)
{
	tsym *t  = tsym_new();
	DIR  *dd = opendir(dir);
	cr_assert_not_null(dd);
	struct dirent *e;
	while ((e = readdir(dd)) != NULL) {
		if (!has_suffix(e->d_name, ".exe") && !has_suffix(e->d_name, ".dll"))
			continue;
		char p[2048], pdb[2048];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		snprintf(pdb, sizeof(pdb), "%s/%.*s.pdb", dir, (int)(strlen(e->d_name) - 4), e->d_name);
		(void)tsym_add_pe(t, e->d_name, p);
		(void)tsym_add_pdb(t, e->d_name, pdb);
	}
	closedir(dd);
	return t;
}

static const char *
base_name(const char *p)
{
	const char *b = p;
	for (; *p; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	return b;
}

// Frame by frame: the same address, stack pointer, module, function and
// trust (the first frame's trust is wow64_context instead of context).
static void
same_frames(const dw_stack *got, const dw_stack *want, uint32_t tid)
{
	cr_expect_eq(got->cpu, DW_CPU_X86, "thread %u", tid);
	cr_expect_eq(got->nframes, want->nframes, "thread %u: %zu frames, want %zu", tid,
	             got->nframes, want->nframes);
	cr_expect_eq(got->end, want->end, "thread %u: ends %s, want %s", tid,
	             dw_walk_end_name(got->end), dw_walk_end_name(want->end));
	for (size_t i = 0; i < got->nframes && i < want->nframes; i++) {
		const dw_frame *g = &got->frames[i], *w = &want->frames[i];
		cr_expect_eq(g->ip, w->ip, "thread %u frame %zu: %#llx, want %#llx", tid, i,
		             (unsigned long long)g->ip, (unsigned long long)w->ip);
		cr_expect_eq(dw_context_sp(&g->ctx), dw_context_sp(&w->ctx), "thread %u frame %zu sp", tid,
		             i);
		const char *gm = g->module ? base_name(g->module->name) : "";
		const char *wm = w->module ? base_name(w->module->name) : "";
		cr_expect_str_eq(gm, wm, "thread %u frame %zu module", tid, i);
		cr_expect_str_eq(g->function ? g->function : "", w->function ? w->function : "",
		                 "thread %u frame %zu function", tid, i);
		cr_expect_eq(g->trust, i == 0 ? DW_TRUST_WOW64_CONTEXT : w->trust,
		             "thread %u frame %zu trust %s", tid, i, dw_trust_name(g->trust));
	}
}

// expected.json's own-module frames of thread `tid`, in order, against the
// walk's frames in the case's modules (positionally, as walk_corpus_test).
static size_t
check_expected(const char *js, uint32_t tid, const dw_stack *st, const char *exe)
{
	char key[64];
	snprintf(key, sizeof(key), "{\"id\": %u,", tid);
	const char *p = strstr(js, key);
	if (p == NULL)
		return 0;
	const char *fr = strstr(p, "\"frames\": [");
	cr_assert_not_null(fr);
	const char *end = strchr(fr, ']');
	size_t      k = 0, checked = 0;
	for (const char *q = fr + 11; q < end && (q = strchr(q, '"')) != NULL && q < end;) {
		const char *r = strchr(q + 1, '"');
		char        want[160];
		snprintf(want, sizeof(want), "%.*s", (int)(r - q - 1), q + 1);
		q = r + 1;
		while (k < st->nframes && (st->frames[k].module == NULL ||
		                           strcasecmp(base_name(st->frames[k].module->name), exe) != 0))
			k++;
		char ours[160] = "(none)";
		if (k < st->nframes)
			snprintf(ours, sizeof(ours), "%s!%s", exe,
			         st->frames[k].function ? st->frames[k].function : "?");
		cr_expect(strcasecmp(ours, want) == 0, "thread %u: %s, want %s", tid, ours, want);
		k++;
		checked++;
	}
	return checked;
}

static void
run(const char *name, layout lay, bool with_expected)
{
	char dir[1200], path[1400];
	snprintf(dir, sizeof(dir), "%s/x86/%s", tc_own_corpus(), name);
	struct stat sb;
	cr_assert(stat(dir, &sb) == 0, "our corpus case %s is missing (it is committed)", dir);
	snprintf(path, sizeof(path), "%s/%s.dmp", dir, name);
	raw o = slurp(path);
	cr_assert_not_null(o.p, "%s", path);

	dws_dump s;
	wrap(&s, &o, lay);
	size_t         len;
	const uint8_t *bytes = dws_dump_finish(&s, &len);

	// DW_WOW64_SAVE=DIR keeps the wrapped dumps for inspection.
	if (getenv("DW_WOW64_SAVE") != NULL) {
		char out[1500];
		snprintf(out, sizeof(out), "%s/%s-%s.wow64.dmp", getenv("DW_WOW64_SAVE"), name,
		         lay == WIN10 ? "win10" : "win7");
		cr_assert_eq(dws_write_file(out, bytes, len), 0);
	}
	tsym     *t   = case_symbols(dir);
	dw_symsrc src = tsym_source(t);

	dw_dump *od = NULL, *wd = NULL;
	cr_assert_eq(dw_dump_open_file(&od, path, NULL), DW_OK);
	cr_assert_eq(dw_dump_open_buffer(&wd, bytes, len, NULL), DW_OK);
	cr_assert_eq(dw_dump_cpu(wd), DW_CPU_AMD64);
	dw_walk *ow = NULL, *ww = NULL;
	cr_assert_eq(dw_walk_dump(&ow, od, &src, NULL), DW_OK);
	cr_assert_eq(dw_walk_dump(&ww, wd, &src, NULL), DW_OK);

	const char *why = NULL;
	cr_assert(dw_walk_is_wow64(ww, &why), "not recognised as WOW64");
	cr_assert_not_null(why);
	cr_expect(!dw_walk_is_wow64(ow, NULL));

	snprintf(path, sizeof(path), "%s/expected.json", dir);
	raw js = slurp(path);
	cr_assert_not_null(js.p);
	char exe[128];
	snprintf(exe, sizeof(exe), "%s.exe", name);

	size_t                on, wn, checked = 0;
	const dw_thread_walk *ot = dw_walk_threads(ow, &on);
	const dw_thread_walk *wt = dw_walk_threads(ww, &wn);
	size_t                othr;
	const dw_md_thread   *mt = dw_dump_threads(od, &othr);
	cr_assert_eq(wn, on);
	for (size_t i = 0; i < wn; i++) {
		const dw_thread_walk *w = &wt[i];
		cr_assert_eq(w->thread_id, ot[i].thread_id);
		cr_expect(w->has_stack32, "thread %u", w->thread_id);
		cr_expect_eq(w->wow64_layout, lay == WIN10 ? DW_WOW64_WIN10 : DW_WOW64_WIN7_81,
		             "thread %u layout %d", w->thread_id, (int)w->wow64_layout);
		// The 64-bit stack is parked in wow64cpu.
		cr_assert_gt(w->stack.nframes, 0);
		cr_expect_eq(w->stack.cpu, DW_CPU_AMD64);
		cr_expect_eq(w->stack.frames[0].ip, WOW64CPU_PARKED);
		cr_expect(w->stack.frames[0].module != NULL &&
		              strcasecmp(base_name(w->stack.frames[0].module->name), "wow64cpu.dll") == 0,
		          "thread %u: 64-bit frame 0 not in wow64cpu", w->thread_id);
		// The reference: the original dump from the same thread context.
		const dw_stack *ref = &ot[i].stack;
		dw_stack        own;
		if (ot[i].from_exception) {
			cr_assert_eq(mt[i].thread_id, ot[i].thread_id);
			cr_assert_eq(dw_walk_stack(&own, ow, mt[i].context, mt[i].stack.start,
			                           mt[i].stack.start + mt[i].stack.loc.size, DW_TRUST_CONTEXT),
			             DW_OK);
			ref = &own;
		}
		cr_expect_gt(ref->nframes, 1, "thread %u", w->thread_id);
		same_frames(&w->stack32, ref, w->thread_id);
		if (with_expected && !ot[i].from_exception)
			checked += check_expected((const char *)js.p, w->thread_id, &w->stack32, exe);
	}
	if (with_expected)
		cr_expect_gt(checked, 0, "no expected.json frames were checked");

	dw_walk_free(ww);
	dw_walk_free(ow);
	dw_dump_free(wd);
	dw_dump_free(od);
	tsym_free(t);
	dws_dump_fini(&s);
	free(js.p);
	free(o.p);
}

Test(wow64, deep_fp_win10_layout, .timeout = 60)
{
	run("deep_fp", WIN10, false);
}

Test(wow64, deep_fp_win7_layout, .timeout = 60)
{
	run("deep_fp", WIN7, false);
}

Test(wow64, many_threads_win10_layout_matches_expected_json, .timeout = 60)
{
	run("many_threads", WIN10, true);
}

Test(wow64, many_threads_win7_layout_matches_expected_json, .timeout = 60)
{
	run("many_threads", WIN7, true);
}

// The same wrap with the CPU area left out of the dump: the 32-bit stack
// is reported unavailable, not invented.
Test(wow64, missing_cpu_area_is_unavailable, .timeout = 60)
{
	char path[1400];
	snprintf(path, sizeof(path), "%s/x86/deep_fp/deep_fp.dmp", tc_own_corpus());
	raw o = slurp(path);
	cr_assert_not_null(o.p, "%s is missing (it is committed)", path);
	dws_dump s;
	wrap(&s, &o, WIN10);
	size_t         len;
	const uint8_t *bytes = dws_dump_finish(&s, &len);
	// The ThreadList stack range of thread 0 starts at RSP_OFF of its
	// 64-bit stack and holds the CPU area: point TLS slot 1 elsewhere.
	uint8_t *copy = malloc(len);
	cr_assert_not_null(copy);
	memcpy(copy, bytes, len);
	size_t patched = 0;
	for (size_t off = 0; off + 8 <= len; off++)
		if (g64(copy + off) == stack64(0) + CPU_AREA_OFF) {
			for (int k = 0; k < 8; k++)
				copy[off + k] = (uint8_t)(0x200000000ull >> (8 * k));
			patched++;
		}
	cr_assert_geq(patched, 1);
	dw_dump *d = NULL;
	cr_assert_eq(dw_dump_open_buffer(&d, copy, len, NULL), DW_OK);
	dw_walk *w = NULL;
	cr_assert_eq(dw_walk_dump(&w, d, NULL, NULL), DW_OK);
	cr_assert(dw_walk_is_wow64(w, NULL));
	size_t                n;
	const dw_thread_walk *tw = dw_walk_threads(w, &n);
	cr_assert_eq(n, 1);
	cr_expect(tw[0].has_stack32);
	cr_expect_eq(tw[0].stack32.end, DW_WALK_END_UNAVAILABLE);
	cr_expect_eq(tw[0].stack32.nframes, 0);
	dw_walk_free(w);
	dw_dump_free(d);
	free(copy);
	dws_dump_fini(&s);
	free(o.p);
}

// ---- Residue on the 32-bit stack (#8) ---------------------------------------

// Where both scans covered an address, the WOW64 32-bit record and the
// original x86 dump's record hold the same word with the same class (liveness
// aside: the original's exception thread is walked from the exception).
static void
same_words(const dw_res_thread *got, const dw_res_thread *want, uint32_t tid)
{
	uint64_t lo = got->lo > want->lo ? got->lo : want->lo;
	uint64_t hi = got->hi < want->hi ? got->hi : want->hi;
	size_t   g = 0, n = 0;
	for (size_t k = 0; k < want->nwords; k++) {
		const dw_res_word *ww = &want->words[k];
		if (ww->addr < lo || ww->addr >= hi)
			continue;
		while (g < got->nwords && got->words[g].addr < ww->addr)
			g++;
		cr_expect(g < got->nwords && got->words[g].addr == ww->addr &&
		              got->words[g].value == ww->value && got->words[g].cls == ww->cls,
		          "thread %u [%#llx] %#llx: %s in the WOW64 scan, %s in the x86 dump", tid,
		          (unsigned long long)ww->addr, (unsigned long long)ww->value,
		          g < got->nwords && got->words[g].addr == ww->addr
		              ? dw_res_class_name(got->words[g].cls)
		              : "absent",
		          dw_res_class_name(ww->cls));
		n++;
	}
	cr_expect_gt(n, 0, "thread %u: no word in common", tid);
}

// The residue scan covers each WOW64 thread's 32-bit stack as a record of its
// own (x86, 4-byte words) after the 64-bit one, and classifies its words:
// every return address of the 32-bit walk (the x86 dump's own frames, which
// run() checks frame by frame) is a live, call-preceded return word there.
static void
residue32(const char *name)
{
	char dir[1200], path[1400];
	snprintf(dir, sizeof(dir), "%s/x86/%s", tc_own_corpus(), name);
	snprintf(path, sizeof(path), "%s/%s.dmp", dir, name);
	raw o = slurp(path);
	cr_assert_not_null(o.p, "%s is missing (it is committed)", path);
	dws_dump s;
	wrap(&s, &o, WIN10);
	size_t         len;
	const uint8_t *bytes = dws_dump_finish(&s, &len);
	tsym          *t     = case_symbols(dir);
	dw_symsrc      src   = tsym_source(t);
	dw_dump       *d     = NULL;
	cr_assert_eq(dw_dump_open_buffer(&d, bytes, len, NULL), DW_OK);
	dw_walk *w = NULL;
	cr_assert_eq(dw_walk_dump(&w, d, &src, NULL), DW_OK);
	dw_residue *r = NULL;
	cr_assert_eq(dw_residue_scan(&r, w, NULL), DW_OK);

	// The original x86 dump, scanned with the same provider.
	dw_dump *od = NULL;
	cr_assert_eq(dw_dump_open_file(&od, path, NULL), DW_OK);
	dw_walk *ow = NULL;
	cr_assert_eq(dw_walk_dump(&ow, od, &src, NULL), DW_OK);
	dw_residue *orr = NULL;
	cr_assert_eq(dw_residue_scan(&orr, ow, NULL), DW_OK);
	size_t               non;
	const dw_res_thread *ot = dw_residue_threads(orr, &non);

	size_t                nt, nr, checked = 0;
	const dw_thread_walk *tw = dw_walk_threads(w, &nt);
	const dw_res_thread  *rt = dw_residue_threads(r, &nr);
	for (size_t i = 0; i < nt; i++) {
		const dw_stack *st = &tw[i].stack32;
		cr_assert(tw[i].has_stack32 && st->nframes > 1, "thread %u: no 32-bit walk",
		          tw[i].thread_id);
		const dw_res_thread *r64 = NULL, *r32 = NULL;
		for (size_t k = 0; k < nr; k++) {
			if (rt[k].tid != tw[i].thread_id)
				continue;
			if (rt[k].ptr == 8 && r64 == NULL)
				r64 = &rt[k];
			else if (rt[k].ptr == 4 && r32 == NULL)
				r32 = &rt[k];
		}
		cr_assert_not_null(r64, "thread %u: no 64-bit residue", tw[i].thread_id);
		cr_assert_not_null(r32, "thread %u: no 32-bit residue", tw[i].thread_id);
		const dw_res_thread *oref = NULL;
		for (size_t k = 0; k < non && oref == NULL; k++)
			if (ot[k].tid == tw[i].thread_id)
				oref = &ot[k];
		cr_assert_not_null(oref);
		cr_expect_eq(r32, r64 + 1, "thread %u: 32-bit record not after the 64-bit one",
		             tw[i].thread_id);
		cr_expect_eq(r32->cpu, DW_CPU_X86);
		same_words(r32, oref, tw[i].thread_id);
		cr_assert(!r32->missing, "thread %u: 32-bit stack memory missing", tw[i].thread_id);
		uint64_t sp32 = dw_context_sp(&st->frames[0].ctx);
		cr_expect(r32->sp == sp32 && r32->lo <= sp32 && sp32 < r32->hi,
		          "thread %u: scanned [%#llx, %#llx) sp %#llx, walk sp %#llx", tw[i].thread_id,
		          (unsigned long long)r32->lo, (unsigned long long)r32->hi,
		          (unsigned long long)r32->sp, (unsigned long long)sp32);
		// Frames with a function name are in the case's own images, whose
		// code the provider reads: their call sites can be checked (the
		// system DLLs of the Wine prefix are not in the corpus).
		for (size_t f = 1; f < st->nframes; f++) {
			uint64_t ip = st->frames[f].ip;
			if (ip < 0x10000 || st->frames[f].function == NULL)
				continue;
			bool found = false;
			for (size_t k = 0; k < r32->nwords && !found; k++)
				found = r32->words[k].value == ip && r32->words[k].cls == DW_RES_RETURN &&
				        r32->words[k].live && r32->words[k].module == st->frames[f].module;
			cr_expect(found, "thread %u frame %zu (%#llx %s): no live return word",
			          tw[i].thread_id, f, (unsigned long long)ip,
			          st->frames[f].function != NULL ? st->frames[f].function : "?");
			checked++;
		}
	}
	cr_expect_gt(checked, 0, "no 32-bit frame was checked");

	dw_residue_free(orr);
	dw_walk_free(ow);
	dw_dump_free(od);
	dw_residue_free(r);
	dw_walk_free(w);
	dw_dump_free(d);
	tsym_free(t);
	dws_dump_fini(&s);
	free(o.p);
}

Test(wow64, residue_scans_the_32bit_stack_deep_fp, .timeout = 60)
{
	residue32("deep_fp");
}

Test(wow64, residue_scans_the_32bit_stack_many_threads, .timeout = 60)
{
	residue32("many_threads");
}
