// tests/walker/unwind_test.c - one unwinding step against hand-built data:
// x64 UNWIND_INFO (prolog at every instruction, epilog at every instruction,
// chained info, PUSH_MACHFRAME, leaf), STACK WIN programs, scanning.
// Every expected register value below is computed by hand from the
// instruction sequences written next to the bytes.
#include <criterion/criterion.h>
#include <string.h>

#include "walker/unwind_int.h"

// ---- A fake process: one module image and one stack ----------------------

#define MOD_BASE 0x140000000ull
#define MOD_SIZE 0x3000u
#define STACK_LO 0x200000ull
#define STACK_SZ 0x2000u
#define C (STACK_LO + 0x1000) // the caller's RSP before its CALL

static uint8_t image[MOD_SIZE];
static uint8_t stack[STACK_SZ];
static uint64_t img_base = MOD_BASE;

static size_t
fake_read(void *arg, uint64_t addr, void *buf, size_t len)
{
	(void)arg;
	if (addr >= STACK_LO && addr - STACK_LO < STACK_SZ) {
		size_t off = addr - STACK_LO, n = STACK_SZ - off < len ? STACK_SZ - off : len;
		memcpy(buf, stack + off, n);
		return n;
	}
	return 0;
}

static void
put64(uint64_t addr, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		stack[addr - STACK_LO + i] = (uint8_t)(v >> (8 * i));
}
static void
put32(uint64_t addr, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		stack[addr - STACK_LO + i] = (uint8_t)(v >> (8 * i));
}

// Provider: x64 records live in a small table; code bytes come from image[].
typedef struct fake_fn {
	uint32_t begin, end, unwind_rva;
} fake_fn;
static fake_fn fns[8];
static size_t  nfns;
static bool    has_x64 = true;
static dw_symsrc_win wins[4];
static size_t        nwins;

static dw_err
f_open(void **out, const dw_symsrc_module *m, void *arg)
{
	(void)m;
	(void)arg;
	*out = (void *)1;
	return DW_OK;
}
static size_t
info_len(uint32_t rva)
{
	uint8_t h0 = image[rva], n = image[rva + 2];
	size_t  len = 4 + 2 * (((size_t)n + 1) & ~(size_t)1);
	if ((h0 >> 3) & 4)
		len += 12;
	return len;
}
static dw_err
f_x64_find(dw_symsrc_x64 *out, void *mod, uint32_t rva, void *arg)
{
	(void)mod;
	(void)arg;
	if (!has_x64)
		return DW_EUNSUPPORTED;
	for (size_t i = 0; i < nfns; i++)
		if (rva >= fns[i].begin && rva < fns[i].end) {
			out->begin      = fns[i].begin;
			out->end        = fns[i].end;
			out->unwind_rva = fns[i].unwind_rva;
			out->info       = image + fns[i].unwind_rva;
			out->info_len   = info_len(fns[i].unwind_rva);
			return DW_OK;
		}
	return DW_ENOTFOUND;
}
static dw_err
f_x64_info(const uint8_t **out, size_t *len, void *mod, uint32_t rva, void *arg)
{
	(void)mod;
	(void)arg;
	if (rva + 4 > MOD_SIZE)
		return DW_ENOTFOUND;
	*out = image + rva;
	*len = info_len(rva);
	return DW_OK;
}
static dw_err
f_read_code(uint8_t *dst, size_t len, size_t *got, void *mod, uint32_t rva, void *arg)
{
	(void)mod;
	(void)arg;
	*got = 0;
	if (rva >= MOD_SIZE)
		return DW_ENOTFOUND;
	size_t n = MOD_SIZE - rva < len ? MOD_SIZE - rva : len;
	memcpy(dst, image + rva, n);
	*got = n;
	return DW_OK;
}
static dw_err
f_win_find(dw_symsrc_win *out, void *mod, uint32_t type, uint32_t rva, void *arg)
{
	(void)mod;
	(void)arg;
	for (size_t i = 0; i < nwins; i++)
		if (wins[i].type == type && rva >= wins[i].rva && rva - wins[i].rva < wins[i].code_size) {
			*out = wins[i];
			return DW_OK;
		}
	return DW_ENOTFOUND;
}

static const dw_symsrc_ops ops = {
    .open = f_open, .x64_find = f_x64_find, .x64_info = f_x64_info,
    .read_code = f_read_code, .win_find = f_win_find,
};
static dw_symsrc     src = {.ops = &ops};
static dw_uw_module  mod;
static dw_uw         uw;
static dw_dis       *dis;

static void
setup(dw_cpu cpu)
{
	memset(image, 0xcc, sizeof(image));
	memset(stack, 0, sizeof(stack));
	nfns = nwins = 0;
	has_x64      = true;
	img_base     = cpu == DW_CPU_AMD64 ? MOD_BASE : 0x400000;
	memset(&mod, 0, sizeof(mod));
	mod.base = img_base;
	mod.size = MOD_SIZE;
	mod.cpu  = cpu;
	mod.id.cpu = cpu;
	cr_assert_eq(dw_dis_new(&dis), DW_OK);
	memset(&uw, 0, sizeof(uw));
	uw.read     = fake_read;
	uw.src      = &src;
	uw.dis      = dis;
	uw.mods     = &mod;
	uw.nmods    = 1;
	uw.stack_lo = STACK_LO;
	uw.stack_hi = STACK_LO + STACK_SZ;
}
static void
teardown(void)
{
	dw_dis_free(dis);
	dis = NULL;
}

static void
setup64(void)
{
	setup(DW_CPU_AMD64);
}
static void
setup32(void)
{
	setup(DW_CPU_X86);
}

static dw_context
ctx64(uint64_t rip, uint64_t rsp)
{
	dw_context c;
	memset(&c, 0, sizeof(c));
	c.cpu = DW_CPU_AMD64;
	for (int i = 0; i < 16; i++)
		(void)dw_context_reg_set(&c, (size_t)i, 0x9000 + (uint64_t)i); // volatile junk
	(void)dw_context_reg_set(&c, 16, rip);
	(void)dw_context_reg_set(&c, DW_AMD64_RSP, rsp);
	return c;
}

// ---- The function under test -------------------------------------------------
//
// At RVA 0x1000 (F), prolog 18 bytes, frame register RBP with offset 16:
//   F+0:  55                push rbp
//   F+1:  53                push rbx
//   F+2:  41 54             push r12
//   F+4:  48 83 ec 20       sub rsp, 0x20
//   F+8:  48 8d 6c 24 10    lea rbp, [rsp+0x10]
//   F+13: 48 89 74 24 18    mov [rsp+0x18], rsi
//   F+18: 90 ...            body
//   F+59: 48 8b 74 24 18    mov rsi, [rsp+0x18]
//   F+64: 48 8d 65 10       lea rsp, [rbp+0x10]      <- epilog
//   F+68: 41 5c             pop r12
//   F+70: 5b                pop rbx
//   F+71: 5d                pop rbp
//   F+72: c3                ret
// UNWIND_INFO at 0x2000: codes in reverse order of execution.
// Stack, with C the caller's RSP before CALL: [C-8] return address,
// [C-16] rbp 0x1111, [C-24] rbx 0x2222, [C-32] r12 0x3333; after the sub RSP
// is C-64 and RBP = C-48; rsi 0x4444 is saved at C-64+0x18 = C-40.
#define F 0x1000u
#define RA (MOD_BASE + 0x1805)
static const uint8_t fcode[] = {
    0x55, 0x53, 0x41, 0x54, 0x48, 0x83, 0xec, 0x20, 0x48, 0x8d, 0x6c, 0x24, 0x10,
    0x48, 0x89, 0x74, 0x24, 0x18};
static const uint8_t fepi[] = {0x48, 0x8b, 0x74, 0x24, 0x18, 0x48, 0x8d, 0x65, 0x10,
                               0x41, 0x5c, 0x5b, 0x5d, 0xc3};
static const uint8_t finfo[] = {
    0x01, 18, 7, 0x15,       // version 1, no flags, prolog 18, 7 slots, RBP + 1*16
    18,   0x64, 3, 0,        // SAVE_NONVOL rsi, offset 3*8
    13,   0x03,              // SET_FPREG
    8,    0x32,              // ALLOC_SMALL (3+1)*8 = 0x20
    4,    0xc0,              // PUSH_NONVOL r12
    2,    0x30,              // PUSH_NONVOL rbx
    1,    0x50,              // PUSH_NONVOL rbp
    0,    0,                 // padding slot
};

static void
build_f(void)
{
	memcpy(image + F, fcode, sizeof(fcode));
	memset(image + F + 18, 0x90, 59 - 18);
	memcpy(image + F + 59, fepi, sizeof(fepi));
	memcpy(image + 0x2000, finfo, sizeof(finfo));
	fns[nfns++] = (fake_fn){F, F + 73, 0x2000};
	put64(C - 8, RA);
	put64(C - 16, 0x1111);
	put64(C - 24, 0x2222);
	put64(C - 32, 0x3333);
	put64(C - 40, 0x4444);
}

static void
expect_caller(const dw_context *c)
{
	cr_assert_eq(c->amd64.rip, RA, "rip %llx", (unsigned long long)c->amd64.rip);
	cr_assert_eq(c->amd64.gpr[DW_AMD64_RSP], C, "rsp %llx", (unsigned long long)c->amd64.gpr[4]);
	cr_assert_eq(c->amd64.gpr[DW_AMD64_RBP], 0x1111);
	cr_assert_eq(c->amd64.gpr[DW_AMD64_RBX], 0x2222);
	cr_assert_eq(c->amd64.gpr[DW_AMD64_R12], 0x3333);
	cr_assert_eq(c->amd64.gpr[DW_AMD64_RSI], 0x4444);
}

static dw_context
step(const dw_context *c, bool *mf, bool *leaf)
{
	dw_context out;
	bool       m = false, l = false;
	cr_assert_eq(dw_uw__amd64_step(&uw, c, c->amd64.rip, &out, &m, &l), DW_UW_DONE);
	if (mf)
		*mf = m;
	if (leaf)
		*leaf = l;
	return out;
}

TestSuite(walker_unwind_amd64, .init = setup64, .fini = teardown, .timeout = 10);

Test(walker_unwind_amd64, prolog_undoes_only_executed_codes_at_every_instruction)
{
	build_f();
	// (offset, RSP, RBP) just after each prolog instruction has run; the
	// callee-saved registers still hold the caller's values in the prolog.
	struct {
		uint32_t off;
		uint64_t rsp, rbp;
	} at[] = {{0, C - 8, 0x1111},  {1, C - 16, 0x1111}, {2, C - 24, 0x1111},
	          {4, C - 32, 0x1111}, {8, C - 64, 0x1111}, {13, C - 64, C - 48},
	          {18, C - 64, C - 48}};
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		dw_context c = ctx64(MOD_BASE + F + at[i].off, at[i].rsp);
		(void)dw_context_reg_set(&c, DW_AMD64_RBP, at[i].rbp);
		(void)dw_context_reg_set(&c, DW_AMD64_RBX, 0x2222);
		(void)dw_context_reg_set(&c, DW_AMD64_R12, 0x3333);
		(void)dw_context_reg_set(&c, DW_AMD64_RSI, 0x4444);
		dw_context out = step(&c, NULL, NULL);
		expect_caller(&out);
		cr_assert_eq(out.valid & (1ull << DW_AMD64_RAX), 0, "volatile rax must be unknown");
	}
}

Test(walker_unwind_amd64, body_restores_saved_registers_through_frame_pointer)
{
	build_f();
	dw_context c = ctx64(MOD_BASE + F + 30, C - 64 - 0x40); // body did an alloca-free call setup
	(void)dw_context_reg_set(&c, DW_AMD64_RSP, C - 64);
	(void)dw_context_reg_set(&c, DW_AMD64_RBP, C - 48);
	(void)dw_context_reg_set(&c, DW_AMD64_RBX, 0xdead);
	(void)dw_context_reg_set(&c, DW_AMD64_R12, 0xbeef);
	(void)dw_context_reg_set(&c, DW_AMD64_RSI, 0xcafe);
	dw_context o_ = step(&c, NULL, NULL);
	expect_caller(&o_);
}

Test(walker_unwind_amd64, epilog_is_emulated_at_every_instruction)
{
	build_f();
	struct {
		uint32_t off;
		uint64_t rsp, rbp, rbx, r12;
	} at[] = {{64, C - 64, C - 48, 0xdead, 0xbeef}, {68, C - 32, C - 48, 0xdead, 0xbeef},
	          {70, C - 24, C - 48, 0xdead, 0x3333}, {71, C - 16, C - 48, 0x2222, 0x3333},
	          {72, C - 8, 0x1111, 0x2222, 0x3333}};
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		dw_context c = ctx64(MOD_BASE + F + at[i].off, at[i].rsp);
		(void)dw_context_reg_set(&c, DW_AMD64_RBP, at[i].rbp);
		(void)dw_context_reg_set(&c, DW_AMD64_RBX, at[i].rbx);
		(void)dw_context_reg_set(&c, DW_AMD64_R12, at[i].r12);
		(void)dw_context_reg_set(&c, DW_AMD64_RSI, 0x4444);
		dw_context out = step(&c, NULL, NULL);
		expect_caller(&out);
	}
}

Test(walker_unwind_amd64, chained_info_applies_the_parent_codes)
{
	build_f();
	// A fragment at 0x1100..0x1120 whose UNWIND_INFO (at 0x2100) has no codes
	// and chains to F's RUNTIME_FUNCTION.
	static const uint8_t frag[] = {0x01 | (4 << 3), 0, 0, 0x15, 0x00, 0x10, 0, 0,
	                               0x49, 0x10, 0, 0, 0x00, 0x20, 0, 0};
	memcpy(image + 0x2100, frag, sizeof(frag));
	memset(image + 0x1100, 0x90, 0x20);
	fns[nfns++] = (fake_fn){0x1100, 0x1120, 0x2100};
	dw_context c = ctx64(MOD_BASE + 0x1108, C - 64);
	(void)dw_context_reg_set(&c, DW_AMD64_RBP, C - 48);
	(void)dw_context_reg_set(&c, DW_AMD64_RBX, 0xdead);
	(void)dw_context_reg_set(&c, DW_AMD64_R12, 0xbeef);
	(void)dw_context_reg_set(&c, DW_AMD64_RSI, 0xcafe);
	dw_context o_ = step(&c, NULL, NULL);
	expect_caller(&o_);
}

Test(walker_unwind_amd64, chain_that_loops_is_cut)
{
	// UNWIND_INFO at 0x2200 chains to a RUNTIME_FUNCTION naming itself
	// (cfi_chained_loop.exe does this): the unwinder must stop, not spin.
	static const uint8_t loop[] = {0x01 | (4 << 3), 0, 0, 0, 0x00, 0x12, 0, 0,
	                               0x10, 0x12, 0, 0, 0x00, 0x22, 0, 0};
	memcpy(image + 0x2200, loop, sizeof(loop));
	fns[nfns++] = (fake_fn){0x1200, 0x1210, 0x2200};
	dw_context c = ctx64(MOD_BASE + 0x1204, C - 8);
	dw_context out;
	bool       mf, leaf;
	cr_assert_eq(dw_uw__amd64_step(&uw, &c, c.amd64.rip, &out, &mf, &leaf), DW_UW_BAD);
}

Test(walker_unwind_amd64, machframe_restores_interrupted_rip_and_rsp)
{
	// 0x1300: an interrupt entry whose only code is PUSH_MACHFRAME. Without an
	// error code the frame is RIP, CS, EFLAGS, RSP, SS from [RSP] up; with
	// one, an 8-byte code comes first.
	static const uint8_t mf0[] = {0x01, 0, 1, 0, 0, 0x0a, 0, 0};
	static const uint8_t mf1[] = {0x01, 0, 1, 0, 0, 0x1a, 0, 0};
	memcpy(image + 0x2300, mf0, sizeof(mf0));
	memcpy(image + 0x2310, mf1, sizeof(mf1));
	fns[nfns++] = (fake_fn){0x1300, 0x1310, 0x2300};
	fns[nfns++] = (fake_fn){0x1310, 0x1320, 0x2310};
	memset(image + 0x1300, 0x90, 0x20);
	uint64_t sp = C - 0x100;
	put64(sp, MOD_BASE + 0x1234);
	put64(sp + 24, C + 0x80);
	bool       mf = false;
	dw_context c  = ctx64(MOD_BASE + 0x1304, sp);
	dw_context o  = step(&c, &mf, NULL);
	cr_assert(mf);
	cr_assert_eq(o.amd64.rip, MOD_BASE + 0x1234);
	cr_assert_eq(o.amd64.gpr[DW_AMD64_RSP], C + 0x80);
	put64(sp, 0x10); // error code
	put64(sp + 8, MOD_BASE + 0x1250);
	put64(sp + 32, C + 0x90);
	c = ctx64(MOD_BASE + 0x1314, sp);
	o = step(&c, &mf, NULL);
	cr_assert_eq(o.amd64.rip, MOD_BASE + 0x1250);
	cr_assert_eq(o.amd64.gpr[DW_AMD64_RSP], C + 0x90);
}

Test(walker_unwind_amd64, leaf_without_unwind_info_returns_through_rsp)
{
	build_f();
	memset(image + 0x1400, 0x90, 0x10);
	dw_context c    = ctx64(MOD_BASE + 0x1404, C - 8);
	bool       leaf = false;
	dw_context o    = step(&c, NULL, &leaf);
	cr_assert(leaf);
	cr_assert_eq(o.amd64.rip, RA);
	cr_assert_eq(o.amd64.gpr[DW_AMD64_RSP], C);
}

Test(walker_unwind_amd64, no_unwind_data_at_all_is_not_a_leaf)
{
	has_x64 = false;
	dw_context c = ctx64(MOD_BASE + 0x1404, C - 8);
	dw_context o;
	bool       mf, leaf;
	cr_assert_eq(dw_uw__amd64_step(&uw, &c, c.amd64.rip, &o, &mf, &leaf), DW_UW_NORULE);
}

Test(walker_unwind_amd64, missing_stack_memory_is_reported)
{
	build_f();
	dw_context c = ctx64(MOD_BASE + F + 30, 0x900000);
	(void)dw_context_reg_set(&c, DW_AMD64_RBP, 0x900010);
	dw_context o;
	bool       mf, leaf;
	cr_assert_eq(dw_uw__amd64_step(&uw, &c, c.amd64.rip, &o, &mf, &leaf), DW_UW_NOMEM);
}

// ---- Postfix programs and STACK WIN ------------------------------------------

TestSuite(walker_unwind_x86, .init = setup32, .fini = teardown, .timeout = 10);

Test(walker_unwind_x86, frame_pointer_program)
{
	// Classic EBP frame: [ebp] saved ebp, [ebp+4] return address.
	uint64_t ebp = STACK_LO + 0x100;
	put32(ebp, (uint32_t)(STACK_LO + 0x180));
	put32(ebp + 4, 0x401234);
	dw_pf pf = {.u = &uw, .width = 4};
	dw_pf__set(&pf, "$ebp", ebp, false);
	dw_pf__set(&pf, "$esp", ebp - 0x20, false);
	cr_assert_eq(dw_pf__run(&pf, "$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =", false,
	                        NULL),
	             DW_UW_DONE);
	uint64_t v;
	cr_assert(dw_pf__get(&pf, "$eip", &v, NULL) && v == 0x401234);
	cr_assert(dw_pf__get(&pf, "$ebp", &v, NULL) && v == STACK_LO + 0x180);
	cr_assert(dw_pf__get(&pf, "$esp", &v, NULL) && v == ebp + 8);
}

Test(walker_unwind_x86, operators_wrap_at_32_bits_and_align)
{
	dw_pf    pf = {.u = &uw, .width = 4};
	uint64_t r;
	cr_assert_eq(dw_pf__run(&pf, "0 4 -", true, &r), DW_UW_DONE);
	cr_assert_eq(r, 0xfffffffcu);
	cr_assert_eq(dw_pf__run(&pf, "0x1237 8 @", true, &r), DW_UW_DONE);
	cr_assert_eq(r, 0x1230);
	cr_assert_eq(dw_pf__run(&pf, "17 5 % 3 *", true, &r), DW_UW_DONE);
	cr_assert_eq(r, 6);
	cr_assert_eq(dw_pf__run(&pf, "100 7 /", true, &r), DW_UW_DONE);
	cr_assert_eq(r, 14);
	cr_assert_eq(dw_pf__run(&pf, "1 0 /", true, &r), DW_UW_BAD);
	cr_assert_eq(dw_pf__run(&pf, "1 +", true, &r), DW_UW_BAD);
	cr_assert_eq(dw_pf__run(&pf, "$nothing 1 +", true, &r), DW_UW_BAD);
	cr_assert_eq(dw_pf__run(&pf, "0x900000 ^", true, &r), DW_UW_NOMEM);
}

Test(walker_unwind_x86, frame_data_program_with_rasearch_and_saved_registers)
{
	// A dump_syms program for an FPO'd function with 8 bytes of locals and
	// two saved registers: .raSearch = esp + 0 + 8 + 8. Return address there,
	// ebx saved 8 below it and ebp (allocated) 4 below.
	memset(image, 0x90, 0x100);
	image[0x100 - 5] = 0xe8; // call rel32 ending at 0x400100
	memset(image + 0x100 - 4, 0, 4);
	uint64_t esp = STACK_LO + 0x200;
	put32(esp + 16, 0x400100);
	put32(esp + 12, 0x5555);                     // saved ebp
	put32(esp + 8, 0x6666);                      // saved ebx
	wins[nwins++] = (dw_symsrc_win){.type = 4, .rva = 0x800, .code_size = 0x40,
	                                .saved_regs_size = 8, .locals_size = 8, .param_size = 12,
	                                .has_program = true,
	                                .program = "$T0 .raSearch = $eip $T0 ^ = $esp $T0 4 + = "
	                                           "$ebp $T0 4 - ^ = $ebx $T0 8 - ^ ="};
	dw_context c;
	memset(&c, 0, sizeof(c));
	c.cpu = DW_CPU_X86;
	(void)dw_context_reg_set(&c, 8, 0x400810);
	(void)dw_context_reg_set(&c, 4, esp);
	(void)dw_context_reg_set(&c, 5, 0x1);
	dw_context out;
	dw_trust   t;
	uint32_t   ps;
	cr_assert_eq(dw_uw__x86_win_step(&uw, &c, 0x400810, 0, &out, &t, &ps), DW_UW_DONE);
	cr_assert_eq(out.x86.eip, 0x400100);
	cr_assert_eq(out.x86.esp, esp + 20);
	cr_assert_eq(out.x86.ebp, 0x5555);
	cr_assert_eq(out.x86.ebx, 0x6666);
	cr_assert_eq(ps, 12);
	cr_assert_eq(t, DW_TRUST_CFI);
}

Test(walker_unwind_x86, fpo_record_without_program)
{
	// FPO: 4 bytes locals, 4 saved, callee pushed 8 bytes of parameters:
	// .raSearchStart = esp + 8 + 4 + 4; EBP is not used, so it carries over.
	memset(image, 0x90, 0x200);
	image[0x180 - 5] = 0xe8;
	memset(image + 0x180 - 4, 0, 4);
	uint64_t esp = STACK_LO + 0x300;
	put32(esp + 16, 0x400180);
	wins[nwins++] = (dw_symsrc_win){.type = 0, .rva = 0x800, .code_size = 0x40,
	                                .saved_regs_size = 4, .locals_size = 4};
	dw_context c;
	memset(&c, 0, sizeof(c));
	c.cpu = DW_CPU_X86;
	(void)dw_context_reg_set(&c, 8, 0x400820);
	(void)dw_context_reg_set(&c, 4, esp);
	(void)dw_context_reg_set(&c, 5, STACK_LO + 0x700);
	dw_context out;
	dw_trust   t;
	uint32_t   ps;
	cr_assert_eq(dw_uw__x86_win_step(&uw, &c, 0x40081f, 8, &out, &t, &ps), DW_UW_DONE);
	cr_assert_eq(out.x86.eip, 0x400180);
	cr_assert_eq(out.x86.esp, esp + 20);
	cr_assert_eq(out.x86.ebp, STACK_LO + 0x700);
}

Test(walker_unwind_x86, rasearch_skips_alignment_padding)
{
	// The stack was realigned: the computed .raSearchStart holds junk and the
	// return address is one word higher (Breakpad's 3-word fix).
	memset(image, 0x90, 0x200);
	image[0x180 - 5] = 0xe8;
	memset(image + 0x180 - 4, 0, 4);
	uint64_t esp = STACK_LO + 0x300;
	put32(esp + 8, 0x12345678);
	put32(esp + 12, 0x400180);
	wins[nwins++] = (dw_symsrc_win){.type = 0, .rva = 0x800, .code_size = 0x40,
	                                .saved_regs_size = 4, .locals_size = 4};
	dw_context c;
	memset(&c, 0, sizeof(c));
	c.cpu = DW_CPU_X86;
	(void)dw_context_reg_set(&c, 8, 0x400820);
	(void)dw_context_reg_set(&c, 4, esp);
	dw_context out;
	dw_trust   t;
	uint32_t   ps;
	cr_assert_eq(dw_uw__x86_win_step(&uw, &c, 0x400820, 0, &out, &t, &ps), DW_UW_DONE);
	cr_assert_eq(out.x86.eip, 0x400180);
	cr_assert_eq(out.x86.esp, esp + 16);
}

Test(walker_unwind_x86, ebp_chain)
{
	uint64_t ebp = STACK_LO + 0x400;
	put32(ebp, (uint32_t)(STACK_LO + 0x480));
	put32(ebp + 4, 0x400123);
	dw_context c;
	memset(&c, 0, sizeof(c));
	c.cpu = DW_CPU_X86;
	(void)dw_context_reg_set(&c, 5, ebp);
	(void)dw_context_reg_set(&c, 4, ebp - 0x10);
	dw_context out;
	cr_assert_eq(dw_uw__x86_fp_step(&uw, &c, &out), DW_UW_DONE);
	cr_assert_eq(out.x86.eip, 0x400123);
	cr_assert_eq(out.x86.esp, ebp + 8);
	cr_assert_eq(out.x86.ebp, STACK_LO + 0x480);
}

// ---- Scanning ----------------------------------------------------------------

Test(walker_unwind_x86, scan_rejects_values_not_preceded_by_a_call)
{
	memset(image, 0x90, 0x400);
	// 0x400200 is preceded by NOPs; 0x400300 by `call dword ptr [eax]` (FF 10).
	image[0x300 - 2] = 0xff;
	image[0x300 - 1] = 0x10;
	uint64_t sp = STACK_LO + 0x500;
	put32(sp, 0x12);          // not in a module
	put32(sp + 4, 0x400200);  // in the module, not call-preceded
	put32(sp + 8, 0x400300);  // the real return address
	uint64_t at, ra;
	cr_assert(dw_uw__scan(&uw, DW_CPU_X86, sp, 64, &at, &ra));
	cr_assert_eq(ra, 0x400300);
	cr_assert_eq(at, sp + 8);
	cr_assert_not(dw_uw__plausible_ra(&uw, DW_CPU_X86, 0x400200));
}

Test(walker_unwind_x86, scan_is_capped_and_stops_at_missing_memory)
{
	memset(image, 0x90, 0x400);
	uint64_t at, ra;
	cr_assert_not(dw_uw__scan(&uw, DW_CPU_X86, STACK_LO, 16, &at, &ra));
	cr_assert_not(dw_uw__scan(&uw, DW_CPU_X86, STACK_LO + STACK_SZ - 8, 1u << 30, &at, &ra));
}

Test(walker_unwind_amd64, scan_accepts_call_preceded_return_address)
{
	build_f();
	// RA = MOD_BASE+0x1805: put `call rel32` (E8) in the 5 bytes before it.
	image[0x1800] = 0xe8;
	memset(image + 0x1801, 0, 4);
	uint64_t at, ra;
	put64(C - 0x100, MOD_BASE + 0x1000 + 3); // inside a push sequence: no CALL before it
	put64(C - 0xf8, RA);
	cr_assert(dw_uw__scan(&uw, DW_CPU_AMD64, C - 0x100, 8, &at, &ra));
	cr_assert_eq(ra, RA);
	cr_assert_eq(at, C - 0xf8);
}

Test(walker_unwind_x86, assignment_without_following_space)
{
	// crash.sym (MSVC via dump_syms) has "... + =$eip $T0 4 + ^ =".
	uint64_t ebp = STACK_LO + 0x100;
	put32(ebp + 204, 0x1234);
	put32(ebp + 208, 0x401000);
	dw_pf pf = {.u = &uw, .width = 4};
	dw_pf__set(&pf, "$ebp", ebp, false);
	cr_assert_eq(dw_pf__run(&pf, "$T0 $ebp 204 + =$eip $T0 4 + ^ =$ebp $T0 ^ = $esp $T0 8 + =",
	                        false, NULL),
	             DW_UW_DONE);
	uint64_t v;
	cr_assert(dw_pf__get(&pf, "$eip", &v, NULL) && v == 0x401000);
	cr_assert(dw_pf__get(&pf, "$ebp", &v, NULL) && v == 0x1234);
	cr_assert(dw_pf__get(&pf, "$esp", &v, NULL) && v == ebp + 212);
}

// ---- x86 epilog of the context frame ------------------------------------------

static dw_context
ctx32(uint64_t eip, uint64_t esp, uint64_t ebp)
{
	dw_context c;
	memset(&c, 0, sizeof(c));
	c.cpu = DW_CPU_X86;
	for (int i = 0; i < 8; i++)
		(void)dw_context_reg_set(&c, (size_t)i, 0x9000 + (uint64_t)i);
	(void)dw_context_reg_set(&c, 8, eip);
	(void)dw_context_reg_set(&c, 4, esp);
	(void)dw_context_reg_set(&c, 5, ebp);
	return c;
}

Test(walker_unwind_x86, syscall_stub_ret_is_executed)
{
	// Wine's i386 NtWaitForMultipleObjects, suspended on its `ret 14h`:
	//   +0: b8 de 00 00 00   mov eax, 0xde
	//   +5: ba 20 c6 c0 7b   mov edx, dispatcher
	//  +10: ff d2            call edx
	//  +12: c2 14 00         ret 0x14        <- EIP
	// [ESP] is the return address into the caller; five stdcall arguments
	// follow. EBP is the caller's and must come through unchanged.
	static const uint8_t stub[] = {0xb8, 0xde, 0, 0, 0, 0xba, 0x20, 0xc6, 0xc0, 0x7b,
	                               0xff, 0xd2, 0xc2, 0x14, 0x00};
	memcpy(image + 0x200, stub, sizeof(stub));
	uint64_t esp = STACK_LO + 0x300;
	put32(esp, 0x400123);
	dw_context c = ctx32(0x400200 + 12, esp, STACK_LO + 0x800), out;
	cr_assert_eq(dw_uw__x86_epilog_step(&uw, &c, &out), DW_UW_DONE);
	cr_assert_eq(out.x86.eip, 0x400123);
	cr_assert_eq(out.x86.esp, esp + 4 + 0x14);
	cr_assert_eq(out.x86.ebp, STACK_LO + 0x800);
	cr_assert_eq(out.x86.eax, 0x9000);
	// The same stub at its first instruction is not an epilog.
	c = ctx32(0x400200, esp, STACK_LO + 0x800);
	cr_assert_eq(dw_uw__x86_epilog_step(&uw, &c, &out), DW_UW_NORULE);
}

Test(walker_unwind_x86, epilog_is_executed_from_every_instruction)
{
	//   +0: 5f         pop edi
	//   +1: 5e         pop esi
	//   +2: 5b         pop ebx
	//   +3: 90         nop
	//   +4: c9         leave
	//   +5: c2 08 00   ret 8
	// S = ESP at +0: [S] edi 0x7777, [S+4] esi 0x6666, [S+8] ebx 0x3333;
	// EBP = S+0x20: [EBP] saved ebp 0x5555, [EBP+4] return address.
	static const uint8_t epi[] = {0x5f, 0x5e, 0x5b, 0x90, 0xc9, 0xc2, 0x08, 0x00};
	memcpy(image + 0x400, epi, sizeof(epi));
	uint64_t s = STACK_LO + 0x600, ebp = s + 0x20;
	put32(s, 0x7777);
	put32(s + 4, 0x6666);
	put32(s + 8, 0x3333);
	put32(ebp, 0x5555);
	put32(ebp + 4, 0x400456);
	static const struct {
		unsigned off, pops;
	} at[] = {{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 3}};
	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		dw_context c = ctx32(0x400400 + at[k].off, s + 4 * at[k].pops, ebp), out;
		if (at[k].pops > 0)
			(void)dw_context_reg_set(&c, 7, 0x7777);
		if (at[k].pops > 1)
			(void)dw_context_reg_set(&c, 6, 0x6666);
		if (at[k].pops > 2)
			(void)dw_context_reg_set(&c, 3, 0x3333);
		cr_assert_eq(dw_uw__x86_epilog_step(&uw, &c, &out), DW_UW_DONE, "at +%u", at[k].off);
		cr_expect_eq(out.x86.eip, 0x400456, "at +%u", at[k].off);
		cr_expect_eq(out.x86.esp, ebp + 8 + 8, "at +%u: esp %#x", at[k].off, out.x86.esp);
		cr_expect_eq(out.x86.ebp, 0x5555, "at +%u", at[k].off);
		cr_expect_eq(out.x86.ebx, 0x3333, "at +%u", at[k].off);
		cr_expect_eq(out.x86.esi, 0x6666, "at +%u", at[k].off);
		cr_expect_eq(out.x86.edi, 0x7777, "at +%u", at[k].off);
	}
}

Test(walker_unwind_x86, code_that_does_not_run_straight_to_ret_is_not_an_epilog)
{
	static const struct {
		uint8_t code[8];
		size_t  len;
	} not_epi[] = {
	    {{0x83, 0xc4, 0x08, 0xb8, 0x01, 0, 0, 0}, 8}, // add esp, 8; mov eax, 1
	    {{0x5d, 0xeb, 0x00, 0xc3}, 4},                // pop ebp; jmp +0; ret
	    {{0x5d, 0xe8, 0, 0, 0, 0, 0xc3}, 7},          // pop ebp; call; ret
	    {{0x5c, 0xc3}, 2},                            // pop esp; ret
	};
	uint64_t esp = STACK_LO + 0x300;
	put32(esp, 0x400123);
	for (size_t k = 0; k < sizeof(not_epi) / sizeof(not_epi[0]); k++) {
		memset(image + 0x500, 0xcc, 16);
		memcpy(image + 0x500, not_epi[k].code, not_epi[k].len);
		dw_context c = ctx32(0x400500, esp, STACK_LO + 0x800), out;
		cr_expect_eq(dw_uw__x86_epilog_step(&uw, &c, &out), DW_UW_NORULE, "case %zu", k);
	}
	// An epilog whose stack is not in the dump.
	static const uint8_t ret[] = {0xc3};
	memcpy(image + 0x500, ret, 1);
	dw_context c = ctx32(0x400500, 0x100000, 0), out;
	cr_expect_eq(dw_uw__x86_epilog_step(&uw, &c, &out), DW_UW_NOMEM);
}
