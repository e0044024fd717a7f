// tests/walker/walk_test.c - whole-dump walks against what independent
// sources say: Breakpad's expected output for minidump2.dmp, the lldb test
// programs' sources and assertions, symbolicator's expectations for
// windows.dmp, the syzygy WOW64 dump's description, and our own corpus's
// expected.json (written from the crash programs' sources, not our output).
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/limits.h"
#include "tests/synth/synth.h"
#include "tests/walker/testsym.h"
#include "walker/dump.h"
#include "walker/walk.h"

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

static void dump_stack(const char *what, const dw_stack *st);

static dw_dump *
open_path(const char *path)
{
	dw_dump *d = NULL;
	cr_assert_eq(dw_dump_open_file(&d, path, NULL), DW_OK, "%s", path);
	return d;
}

static dw_walk *
walk(const dw_dump *d, tsym *t)
{
	dw_symsrc src = t != NULL ? tsym_source(t) : (dw_symsrc){0};
	dw_walk  *w   = NULL;
	cr_assert_eq(dw_walk_dump(&w, d, &src, NULL), DW_OK);
	return w;
}

static const dw_stack *
crash_stack(const dw_dump *d, const dw_walk *w)
{
	const dw_md_exception *ex = dw_dump_exception(d);
	cr_assert_not_null(ex);
	const dw_thread_walk *tw = dw_walk_thread_find(w, ex->thread_id);
	cr_assert_not_null(tw);
	cr_assert(tw->from_exception);
	dump_stack("crash", &tw->stack);
	return &tw->stack;
}

static const char *
fname(const dw_frame *f)
{
	return f->function != NULL ? f->function : "?";
}

// DW_WALK_DEBUG=1 prints the stack being checked.
static void
dump_stack(const char *what, const dw_stack *st)
{
	if (getenv("DW_WALK_DEBUG") == NULL)
		return;
	fprintf(stderr, "%s: %zu frames, end: %s (%s)\n", what, st->nframes,
	        dw_walk_end_name(st->end), st->end_detail);
	for (size_t i = 0; i < st->nframes; i++)
		fprintf(stderr, "  %2zu %#llx %s!%s+%#llx %s\n", i, (unsigned long long)st->frames[i].ip,
		        st->frames[i].module ? st->frames[i].module->name : "?", fname(&st->frames[i]),
		        (unsigned long long)st->frames[i].function_offset,
		        dw_trust_name(st->frames[i].trust));
}

Test(walker_walk, sigsegv_x64_with_pdb_gets_every_frame, .timeout = 60)
{
	char p[1024], s[1024];
	snprintf(p, sizeof(p), "%s/dumps/lldb/sigsegv.dmp", corpus());
	snprintf(s, sizeof(s), "%s/symbols/sigsegv.pdb/7DD47A9FC2E8499AA78EC14AE2C965A21/sigsegv.pdb",
	         corpus());
	tsym *t = tsym_new();
	cr_assert(tsym_add_pdb(t, "sigsegv.exe", s));
	dw_dump        *d  = open_path(p);
	dw_walk        *w  = walk(d, t);
	const dw_stack *st = crash_stack(d, w);
	// The program's source: crash() <- foo() <- main() <- mainCRTStartup.
	const char *want[] = {"crash", "foo", "main", "mainCRTStartup"};
	cr_assert_geq(st->nframes, 4);
	for (size_t i = 0; i < 4; i++)
		cr_expect(strstr(fname(&st->frames[i]), want[i]) != NULL, "frame %zu: %s, want %s", i,
		          fname(&st->frames[i]), want[i]);
	cr_expect_eq(st->frames[0].ip, 0x7ff7a13110d9ull);
	cr_expect_eq(st->frames[0].trust, DW_TRUST_CONTEXT);
	// No PE: unwind data comes from the PDB only where it keeps Pdata/Xdata copies.
	cr_expect_neq(st->frames[1].trust, DW_TRUST_NONE);
	dw_walk_free(w);
	dw_dump_free(d);
	tsym_free(t);
}

Test(walker_walk, minidump2_matches_breakpad_machine_readable, .timeout = 60)
{
	char p[1024], s1[1024], s2[1024], e[1024];
	snprintf(p, sizeof(p), "%s/dumps/breakpad/minidump2.dmp", corpus());
	snprintf(s1, sizeof(s1), "%s/symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym",
	         corpus());
	snprintf(s2, sizeof(s2), "%s/symbols/kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.sym",
	         corpus());
	snprintf(e, sizeof(e), "%s/expected/breakpad/minidump2.stackwalk.machine_readable.out", corpus());
	tsym *t = tsym_new();
	cr_assert(tsym_add_sym(t, "test_app.exe", s1));
	cr_assert(tsym_add_sym(t, "kernel32.dll", s2));
	dw_dump        *d  = open_path(p);
	dw_walk        *w  = walk(d, t);
	const dw_stack *st = crash_stack(d, w);
	FILE           *f  = fopen(e, "r");
	cr_assert_not_null(f);
	char   line[2048];
	size_t n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned th, fr;
		char     mod[256] = "", fn[512] = "";
		if (sscanf(line, "%u|%u|%255[^|]|%511[^|]|", &th, &fr, mod, fn) < 4 || th != 0)
			continue;
		cr_assert_lt(fr, st->nframes, "frame %u missing", fr);
		const dw_frame *x = &st->frames[fr];
		cr_expect_str_eq(fname(x), fn, "frame %u", fr);
		cr_expect_not_null(x->module);
		n++;
	}
	fclose(f);
	cr_expect_eq(n, 4);
	cr_expect_eq(st->nframes, n, "Breakpad stops after %zu frames, we have %zu", n, st->nframes);
	dw_walk_free(w);
	dw_dump_free(d);
	tsym_free(t);
}

Test(walker_walk, symbolicator_windows_dmp_with_crash_sym, .timeout = 60)
{
	char p[1024], s[1024];
	snprintf(p, sizeof(p), "%s/dumps/symbolicator/windows.dmp", corpus());
	snprintf(s, sizeof(s), "%s/symbols/crash.pdb/3249D99D0C4049318610F4E4FB0B69361/crash.sym",
	         corpus());
	tsym *t = tsym_new();
	cr_assert(tsym_add_sym(t, "crash.exe", s));
	dw_dump        *d  = open_path(p);
	dw_walk        *w  = walk(d, t);
	const dw_stack *st = crash_stack(d, w);
	cr_assert_geq(st->nframes, 2);
	cr_expect_str_eq(fname(&st->frames[0]), "main");
	cr_expect_eq(st->frames[0].line, 35);
	cr_expect(strstr(fname(&st->frames[1]), "__scrt_common_main_seh") != NULL, "frame 1: %s",
	          fname(&st->frames[1]));
	dw_walk_free(w);
	dw_dump_free(d);
	tsym_free(t);
}

// The same frames from crash.pdb itself (procedures, and the PE's .pdata
// for the unwind), without the .sym. The test provider gives function names
// only from a PDB (no line records: the production provider's job).
Test(walker_walk, symbolicator_windows_dmp_with_crash_pdb, .timeout = 60)
{
	char p[1024], s[1024], e[1024];
	snprintf(p, sizeof(p), "%s/dumps/symbolicator/windows.dmp", corpus());
	snprintf(s, sizeof(s), "%s/symbols/crash.pdb/3249D99D0C4049318610F4E4FB0B69361/crash.pdb",
	         corpus());
	snprintf(e, sizeof(e), "%s/binaries/crash.exe/5AB380779000/crash.exe", corpus());
	tsym *t = tsym_new();
	cr_assert(tsym_add_pe(t, "crash.exe", e));
	cr_assert(tsym_add_pdb(t, "crash.exe", s));
	dw_dump        *d  = open_path(p);
	dw_walk        *w  = walk(d, t);
	const dw_stack *st = crash_stack(d, w);
	cr_assert_geq(st->nframes, 2);
	cr_expect_str_eq(fname(&st->frames[0]), "main");
	cr_expect(strstr(fname(&st->frames[1]), "__scrt_common_main_seh") != NULL, "frame 1: %s",
	          fname(&st->frames[1]));
	dw_walk_free(w);
	dw_dump_free(d);
	tsym_free(t);
}

Test(walker_walk, fizzbuzz_pcs_as_lldb_asserts, .timeout = 60)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/dumps/lldb/fizzbuzz_no_heap.dmp", corpus());
	dw_dump        *d    = open_path(p);
	dw_walk        *w    = walk(d, NULL);
	const dw_stack *st   = crash_stack(d, w);
	const uint64_t  pc[] = {0x00164d14, 0x00167c79, 0x00167e6d, 0x7510336a, 0x77759882, 0x77759855};
	cr_assert_geq(st->nframes, 6, "only %zu frames (%s)", st->nframes, st->end_detail);
	for (size_t i = 0; i < 6; i++)
		cr_expect_eq(st->frames[i].ip, pc[i], "frame %zu: %#llx", i,
		             (unsigned long long)st->frames[i].ip);
	dw_walk_free(w);
	dw_dump_free(d);
}

Test(walker_walk, notepad_wow64_reports_32bit_stack_unavailable, .timeout = 60)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/dumps/syzygy/notepad-small-64bit.dmp", corpus());
	dw_dump    *d   = open_path(p);
	dw_walk    *w   = walk(d, NULL);
	const char *why = NULL;
	cr_assert(dw_walk_is_wow64(w, &why));
	cr_assert_not_null(why);
	size_t                n;
	const dw_thread_walk *tw = dw_walk_threads(w, &n);
	cr_assert_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		cr_expect(tw[i].has_stack32);
		cr_expect_eq(tw[i].stack32.end, DW_WALK_END_UNAVAILABLE, "thread %u: %s", tw[i].thread_id,
		             dw_walk_end_name(tw[i].stack32.end));
		cr_expect_eq(tw[i].stack32.nframes, 0);
		cr_expect_gt(tw[i].stack.nframes, 0);
	}
	dw_walk_free(w);
	dw_dump_free(d);
}

// ---- Runaway and looping stacks, end to end -------------------------------
//
// A synthetic dump (tests/synth) with one module whose code is in the dump
// (a CALL at +0x1010, so +0x1015 is a call-preceded return address) and one
// thread. The walk must end at the caps, with strictly rising stack
// pointers, however the stack points back into itself.

#define LOOP_X86_BASE 0x400000u
#define LOOP_X64_BASE 0x140000000ull
#define LOOP_STACK 0x300000ull
#define LOOP_RA_OFF 0x1015u

typedef struct loop_dump {
	dws_dump       s;
	const uint8_t *bytes;
	size_t         len;
} loop_dump;

// stack[] (n bytes at LOOP_STACK) becomes the thread's stack; ip/sp/fp the
// context (x86: EIP/ESP/EBP, amd64: RIP/RSP/RBP).
// code[] (0x100 bytes at base+0x1000) may be NULL: nops with a CALL at +0x10.
static void
loop_build_code(loop_dump *ld, bool x64, const uint8_t *code_in, const uint8_t *stk, size_t n,
                uint64_t ip, uint64_t sp, uint64_t fp)
{
	dws_dump *s    = &ld->s;
	uint64_t  base = x64 ? LOOP_X64_BASE : LOOP_X86_BASE;
	dws_dump_init(s, 4, 0, 0);
	uint32_t name = dws_string(s, "C:\\loop\\loop.exe");
	uint8_t  code[0x100];
	memset(code, 0x90, sizeof(code)); // nop
	code[0x10] = 0xe8;                // call +0: ends at +0x15
	memset(code + 0x11, 0, 4);
	if (code_in != NULL)
		memcpy(code, code_in, sizeof(code));
	uint32_t code_rva  = dws_blob(s, code, sizeof(code));
	uint32_t stack_rva = dws_blob(s, stk, n);
	uint8_t  ctx[1232];
	size_t   clen = x64 ? 1232 : 716;
	memset(ctx, 0, sizeof(ctx));
	dws_buf b = {0};
	if (x64) {
		dws_u32(&b, 0x10000b); // CONTEXT_AMD64 | CONTROL | INTEGER | FLOATING_POINT
		memcpy(ctx + 0x30, b.data, 4);
		for (int k = 0; k < 8; k++) {
			ctx[0x98 + k] = (uint8_t)(sp >> (8 * k));
			ctx[0xa0 + k] = (uint8_t)(fp >> (8 * k));
			ctx[0xf8 + k] = (uint8_t)(ip >> (8 * k));
		}
	} else {
		dws_u32(&b, 0x10007); // CONTEXT_i386 | CONTROL | INTEGER | SEGMENTS
		memcpy(ctx, b.data, 4);
		for (int k = 0; k < 4; k++) {
			ctx[0xb4 + k] = (uint8_t)(fp >> (8 * k));
			ctx[0xb8 + k] = (uint8_t)(ip >> (8 * k));
			ctx[0xc4 + k] = (uint8_t)(sp >> (8 * k));
		}
	}
	dws_buf_fini(&b);
	uint32_t ctx_rva = dws_blob(s, ctx, clen);

	dws_stream_begin(s, 7); // SystemInfo
	dws_u16(&s->b, x64 ? 9 : 0);
	dws_zeros(&s->b, 6);
	dws_u32(&s->b, 10);
	dws_u32(&s->b, 0);
	dws_u32(&s->b, 19045);
	dws_u32(&s->b, 2);
	dws_u32(&s->b, name); // any string will do for CSDVersion
	dws_zeros(&s->b, 28);
	dws_stream_end(s);

	dws_stream_begin(s, 4); // ModuleList
	dws_u32(&s->b, 1);
	dws_u64(&s->b, base);
	dws_u32(&s->b, 0x10000);
	dws_u32(&s->b, 0);
	dws_u32(&s->b, 0x5c000000);
	dws_u32(&s->b, name);
	dws_zeros(&s->b, 52 + 16 + 16);
	dws_stream_end(s);

	dws_stream_begin(s, 3); // ThreadList
	dws_u32(&s->b, 1);
	dws_u32(&s->b, 7);
	dws_zeros(&s->b, 12);
	dws_u64(&s->b, 0x7ffde000);
	dws_u64(&s->b, LOOP_STACK);
	dws_u32(&s->b, (uint32_t)n);
	dws_u32(&s->b, stack_rva);
	dws_u32(&s->b, (uint32_t)clen);
	dws_u32(&s->b, ctx_rva);
	dws_stream_end(s);

	dws_stream_begin(s, 5); // MemoryList: the code and the stack
	dws_u32(&s->b, 2);
	dws_u64(&s->b, base + 0x1000);
	dws_u32(&s->b, sizeof(code));
	dws_u32(&s->b, code_rva);
	dws_u64(&s->b, LOOP_STACK);
	dws_u32(&s->b, (uint32_t)n);
	dws_u32(&s->b, stack_rva);
	dws_stream_end(s);
	ld->bytes = dws_dump_finish(s, &ld->len);
}

static void
loop_build(loop_dump *ld, bool x64, const uint8_t *stk, size_t n, uint64_t ip, uint64_t sp,
           uint64_t fp)
{
	loop_build_code(ld, x64, NULL, stk, n, ip, sp, fp);
}

static const dw_stack *
loop_walk(loop_dump *ld, dw_dump **d, dw_walk **w)
{
	cr_assert_eq(dw_dump_open_buffer(d, ld->bytes, ld->len, NULL), DW_OK);
	cr_assert_eq(dw_walk_dump(w, *d, NULL, NULL), DW_OK);
	size_t                n;
	const dw_thread_walk *tw = dw_walk_threads(*w, &n);
	cr_assert_eq(n, 1);
	const dw_stack *st = &tw[0].stack;
	for (size_t i = 1; i < st->nframes; i++)
		cr_assert_gt(dw_context_sp(&st->frames[i].ctx), dw_context_sp(&st->frames[i - 1].ctx),
		             "frame %zu: the stack pointer did not rise", i);
	return st;
}

static void
put_le(uint8_t *p, uint64_t v, int n)
{
	for (int k = 0; k < n; k++)
		p[k] = (uint8_t)(v >> (8 * k));
}

// EBP points at itself: [EBP] = EBP, [EBP+4] = a real return address. The
// chain gives one caller, then the same frame again (SP would not rise);
// nothing else on the stack looks like a return address.
Test(walker_walk, x86_frame_pointer_cycle_stops, .timeout = 30)
{
	static uint8_t stk[0x1000];
	memset(stk, 0, sizeof(stk));
	uint32_t fp = (uint32_t)LOOP_STACK + 0x200;
	put_le(stk + 0x200, fp, 4);
	put_le(stk + 0x204, LOOP_X86_BASE + LOOP_RA_OFF, 4);
	loop_dump ld;
	loop_build(&ld, false, stk, sizeof(stk), LOOP_X86_BASE + 0x1020, LOOP_STACK + 0x100, fp);
	dw_dump        *d = NULL;
	dw_walk        *w = NULL;
	const dw_stack *st = loop_walk(&ld, &d, &w);
	cr_expect_eq(st->nframes, 2, "%zu frames", st->nframes);
	cr_expect_eq(st->frames[1].ip, LOOP_X86_BASE + LOOP_RA_OFF);
	cr_expect_eq(st->frames[1].trust, DW_TRUST_FRAME_POINTER);
	cr_expect_eq(st->end, DW_WALK_END_NO_CALLER, "%s", dw_walk_end_name(st->end));
	dw_walk_free(w);
	dw_dump_free(d);
	dws_dump_fini(&ld.s);
}

// A runaway stack: 2048 words, every one the same return address, with the
// frame-pointer cycle at the bottom. Each step finds the next word, so the
// walk only ends at DW_MAX_FRAMES.
Test(walker_walk, x86_runaway_stack_stops_at_the_frame_cap, .timeout = 30)
{
	static uint8_t stk[0x2000];
	for (size_t i = 0; i < sizeof(stk); i += 4)
		put_le(stk + i, LOOP_X86_BASE + LOOP_RA_OFF, 4);
	uint32_t fp = (uint32_t)LOOP_STACK + 0x10;
	put_le(stk + 0x10, fp, 4);
	loop_dump ld;
	loop_build(&ld, false, stk, sizeof(stk), LOOP_X86_BASE + 0x1020, LOOP_STACK, fp);
	dw_dump        *d = NULL;
	dw_walk        *w = NULL;
	const dw_stack *st = loop_walk(&ld, &d, &w);
	cr_expect_eq(st->nframes, DW_MAX_FRAMES);
	cr_expect_eq(st->end, DW_WALK_END_CAP, "%s", dw_walk_end_name(st->end));
	dw_walk_free(w);
	dw_dump_free(d);
	dws_dump_fini(&ld.s);
}

// The same on amd64 without unwind data (nothing in the dump or provider):
// every step is a scan that finds the next word.
Test(walker_walk, amd64_runaway_stack_stops_at_the_frame_cap, .timeout = 30)
{
	static uint8_t stk[0x4000];
	for (size_t i = 0; i < sizeof(stk); i += 8)
		put_le(stk + i, LOOP_X64_BASE + LOOP_RA_OFF, 8);
	// RBP pointing at itself changes nothing: no unwind info names it.
	put_le(stk + 0x40, LOOP_STACK + 0x40, 8);
	loop_dump ld;
	loop_build(&ld, true, stk, sizeof(stk), LOOP_X64_BASE + 0x1020, LOOP_STACK, LOOP_STACK + 0x40);
	dw_dump        *d = NULL;
	dw_walk        *w = NULL;
	const dw_stack *st = loop_walk(&ld, &d, &w);
	cr_expect_eq(st->nframes, DW_MAX_FRAMES);
	cr_expect_eq(st->end, DW_WALK_END_CAP, "%s", dw_walk_end_name(st->end));
	cr_expect_eq(st->frames[1].trust, DW_TRUST_SCAN);
	dw_walk_free(w);
	dw_dump_free(d);
	dws_dump_fini(&ld.s);
}

// A stack that ends before the cap: the walk leaves it (or runs out of
// memory) instead of inventing frames.
Test(walker_walk, x86_short_runaway_stack_ends_at_its_top, .timeout = 30)
{
	static uint8_t stk[0x400];
	for (size_t i = 0; i < sizeof(stk); i += 4)
		put_le(stk + i, LOOP_X86_BASE + LOOP_RA_OFF, 4);
	loop_dump ld;
	loop_build(&ld, false, stk, sizeof(stk), LOOP_X86_BASE + 0x1020, LOOP_STACK, 0);
	dw_dump        *d = NULL;
	dw_walk        *w = NULL;
	const dw_stack *st = loop_walk(&ld, &d, &w);
	cr_expect_lt(st->nframes, DW_MAX_FRAMES);
	cr_expect_geq(st->nframes, 0x400 / 4 - 1);
	cr_expect(st->end == DW_WALK_END_LEFT_STACK || st->end == DW_WALK_END_NO_MEMORY ||
	              st->end == DW_WALK_END_NO_CALLER,
	          "%s", dw_walk_end_name(st->end));
	dw_walk_free(w);
	dw_dump_free(d);
	dws_dump_fini(&ld.s);
}

// The provider is told which CPU's code a module holds, so it can pick the
// right unwind data and reject a table of the wrong architecture. An amd64
// dump's modules are amd64 and an x86 dump's are x86 (WOW64 dumps, which
// mix both, are covered in wow64_test.c).
static dw_cpu cpu_seen;
static int    opens_seen;

static dw_err
record_open(void **out, const dw_symsrc_module *m, void *arg)
{
	(void)arg;
	*out     = NULL;
	cpu_seen = m->cpu;
	opens_seen++;
	return DW_ENOTFOUND;
}

static void
check_cpu_given_to_provider(bool x64)
{
	static const dw_symsrc_ops ops = {.open = record_open};
	dw_symsrc                  src = {.ops = &ops};
	static uint8_t             stk[0x100];
	uint64_t                   base = x64 ? LOOP_X64_BASE : LOOP_X86_BASE;
	loop_dump                  ld;
	loop_build(&ld, x64, stk, sizeof(stk), base + 0x1020, LOOP_STACK, LOOP_STACK + 0x40);
	dw_dump *d = NULL;
	dw_walk *w = NULL;
	cr_assert_eq(dw_dump_open_buffer(&d, ld.bytes, ld.len, NULL), DW_OK);
	cpu_seen   = DW_CPU_UNKNOWN;
	opens_seen = 0;
	cr_assert_eq(dw_walk_dump(&w, d, &src, NULL), DW_OK);
	cr_assert_gt(opens_seen, 0, "the module holding the instruction pointer was not opened");
	cr_expect_eq(cpu_seen, x64 ? DW_CPU_AMD64 : DW_CPU_X86, "provider told cpu %d", cpu_seen);
	dw_walk_free(w);
	dw_dump_free(d);
	dws_dump_fini(&ld.s);
}

Test(walker_walk, provider_is_told_the_module_cpu, .timeout = 30)
{
	check_cpu_given_to_provider(true);
	check_cpu_given_to_provider(false);
}

// A thread stopped on a system-call stub's `ret 8` (Wine's i386 ntdll stubs
// end `call edx; ret 4*args`, and a suspended thread's EIP is that ret). The
// stub has no frame: EBP is its caller A's. The walk must give the stub, A
// (the return address at [ESP]) and then A's caller B through A's EBP frame;
// following EBP from the stub would skip A.
//   +0x10: call  -> A's return address, base+0x1015
//   +0x40: call  -> B's return address, base+0x1045
//   +0x80: c2 08 00  ret 8   <- EIP
// Stack S: [S] = base+0x1015, two argument words; A's EBP = S+0x40 with
// [EBP] = S+0x80 (B's EBP) and [EBP+4] = base+0x1045; B's frame holds zeros.
Test(walker_walk, x86_syscall_stub_ret_keeps_its_caller, .timeout = 30)
{
	static uint8_t code[0x100], stk[0x1000];
	memset(code, 0x90, sizeof(code));
	code[0x10] = 0xe8;
	memset(code + 0x11, 0, 4);
	code[0x40] = 0xe8;
	memset(code + 0x41, 0, 4);
	code[0x80] = 0xc2;
	code[0x81] = 0x08;
	code[0x82] = 0x00;
	memset(stk, 0, sizeof(stk));
	uint32_t s = (uint32_t)LOOP_STACK + 0x100;
	put_le(stk + 0x100, LOOP_X86_BASE + 0x1015, 4);
	put_le(stk + 0x104, 0x11111111, 4);
	put_le(stk + 0x108, 0x22222222, 4);
	put_le(stk + 0x140, s + 0x80, 4);
	put_le(stk + 0x144, LOOP_X86_BASE + 0x1045, 4);
	loop_dump ld;
	loop_build_code(&ld, false, code, stk, sizeof(stk), LOOP_X86_BASE + 0x1080, s, s + 0x40);
	dw_dump        *d = NULL;
	dw_walk        *w = NULL;
	const dw_stack *st = loop_walk(&ld, &d, &w);
	cr_assert_eq(st->nframes, 3, "%zu frames", st->nframes);
	cr_expect_eq(st->frames[1].ip, LOOP_X86_BASE + 0x1015);
	cr_expect_eq(dw_context_sp(&st->frames[1].ctx), s + 4 + 8);
	cr_expect_eq(st->frames[1].trust, DW_TRUST_CFI);
	cr_expect_eq(st->frames[2].ip, LOOP_X86_BASE + 0x1045);
	cr_expect_eq(st->frames[2].trust, DW_TRUST_FRAME_POINTER);
	cr_expect_eq(st->end, DW_WALK_END_THREAD_START, "%s", dw_walk_end_name(st->end));
	dw_walk_free(w);
	dw_dump_free(d);
	dws_dump_fini(&ld.s);
}
