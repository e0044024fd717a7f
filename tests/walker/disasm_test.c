// tests/walker/disasm_test.c - the call-site decoder (dw_dis_call_before)
// against Capstone alone (dw_dis_call_before_capstone), and against
// hand-assembled calls whose targets are computed here.
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/walker/corpus_files.h"
#include "walker/disasm.h"

static dw_dis *dis;

static void
setup(void)
{
	cr_assert_eq(dw_dis_new(&dis), DW_OK);
}

static void
teardown(void)
{
	dw_dis_free(dis);
}

TestSuite(disasm, .init = setup, .fini = teardown);

// Whether both answers (call or not, and target) agree for `len` bytes
// ending at `end`; *call gets the answer. A disagreement is logged with the
// bytes, so the reproducer is in the test log.
static bool
agree(dw_cpu cpu, const uint8_t *code, size_t len, uint64_t end, bool *call)
{
	uint64_t tf = 1, tc = 1;
	bool     f = dw_dis_call_before(dis, cpu, code, len, end, &tf);
	bool     c = dw_dis_call_before_capstone(dis, cpu, code, len, end, &tc);
	if (f != c || tf != tc) {
		char hex[3 * 16 + 1] = "";
		for (size_t i = 0; i < len && i < 16; i++)
			snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", code[i]);
		cr_log_error("%s end 0x%llx bytes %s: decoder %d target 0x%llx, Capstone %d target 0x%llx",
		             cpu == DW_CPU_AMD64 ? "x64" : "x86", (unsigned long long)end, hex, f,
		             (unsigned long long)tf, c, (unsigned long long)tc);
		return false;
	}
	*call = f;
	return true;
}

Test(disasm, hand_assembled_calls)
{
	// call rel32 at 0x401000 (5 bytes) to 0x401000 + 5 + 0x100 = 0x401105.
	const uint8_t rel[] = {0x90, 0x90, 0xE8, 0x00, 0x01, 0x00, 0x00};
	uint64_t      t     = 0;
	cr_assert(dw_dis_call_before(dis, DW_CPU_X86, rel, sizeof(rel), 0x401005, &t));
	cr_assert_eq(t, 0x401105);
	// Backwards: rel32 = -0x10 from 0x140001005 -> 0x140000FF5.
	const uint8_t back[] = {0xE8, 0xF0, 0xFF, 0xFF, 0xFF};
	cr_assert(dw_dis_call_before(dis, DW_CPU_AMD64, back, sizeof(back), 0x140001005, &t));
	cr_assert_eq(t, 0x140000FF5);
	// On x86 the target wraps at 4 GiB: 0x10 + (-0x20) = 0xFFFFFFF0.
	cr_assert(dw_dis_call_before(dis, DW_CPU_X86, (const uint8_t[]){0xE8, 0xE0, 0xFF, 0xFF, 0xFF},
	                             5, 0x10, &t));
	cr_assert_eq(t, 0xFFFFFFF0);
	// Indirect calls: through the IAT (FF 15 disp32), a register (FF D0,
	// 41 FF D3 = call r11), a CFG dispatch (48 FF 15), [rsp+disp32] with SIB.
	const uint8_t *ind[] = {
	    (const uint8_t[]){0xFF, 0x15, 0x78, 0x56, 0x34, 0x12},
	    (const uint8_t[]){0xFF, 0xD0},
	    (const uint8_t[]){0x41, 0xFF, 0xD3},
	    (const uint8_t[]){0x48, 0xFF, 0x15, 0x10, 0x00, 0x00, 0x00},
	    (const uint8_t[]){0xFF, 0x94, 0x24, 0x80, 0x00, 0x00, 0x00},
	    (const uint8_t[]){0xFF, 0x50, 0x08},
	};
	const size_t ind_len[] = {6, 2, 3, 7, 7, 3};
	for (size_t i = 0; i < sizeof(ind) / sizeof(ind[0]); i++) {
		t = 1;
		cr_expect(dw_dis_call_before(dis, DW_CPU_AMD64, ind[i], ind_len[i], 0x1000, &t),
		          "case %zu is a call", i);
		cr_expect_eq(t, 0, "case %zu is indirect", i);
	}
	// Not near calls: far call 9A (x86), FF /3 (far indirect), jmp FF /4,
	// and a call that ends one byte early.
	cr_expect_not(dw_dis_call_before(dis, DW_CPU_X86,
	                                 (const uint8_t[]){0x9A, 1, 2, 3, 4, 5, 6}, 7, 0x1000, NULL));
	cr_expect_not(dw_dis_call_before(dis, DW_CPU_X86, (const uint8_t[]){0xFF, 0x1D, 1, 2, 3, 4}, 6,
	                                 0x1000, NULL));
	cr_expect_not(dw_dis_call_before(dis, DW_CPU_AMD64, (const uint8_t[]){0xFF, 0xE0}, 2, 0x1000,
	                                 NULL));
	cr_expect_not(dw_dis_call_before(dis, DW_CPU_AMD64,
	                                 (const uint8_t[]){0xE8, 0, 1, 0, 0, 0x90}, 6, 0x1000, NULL));
}

// xorshift64*: reproducible bytes without libc's rand.
static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

// Random tails built like calls: optional prefixes (legacy, REX), E8/FF/9A
// or a random opcode, a ModRM whose reg field is often 2 or 3, and random
// bytes for the rest. Every start the decoder tries gets compared.
Test(disasm, decoder_agrees_with_capstone_on_call_shaped_bytes)
{
	static const uint8_t prefixes[] = {0x66, 0x67, 0xF0, 0xF2, 0xF3, 0x2E, 0x36,
	                                   0x3E, 0x26, 0x64, 0x65, 0x40, 0x41, 0x48, 0x4C};
	uint64_t             s          = 0x9E3779B97F4A7C15ull;
	size_t               calls = 0, cases = 0, bad = 0;
	for (int i = 0; i < 300000 && bad < 10; i++) {
		uint8_t  b[16];
		uint64_t r = next_rand(&s);
		for (size_t j = 0; j < sizeof(b); j += 8) {
			uint64_t v = next_rand(&s);
			memcpy(b + j, &v, 8);
		}
		size_t k = 2 + (size_t)(r % 9); // call length 2..10 at the end
		size_t at = sizeof(b) - k, np = (r >> 8) % 4;
		for (size_t j = 0; j < np && j + 1 < k; j++)
			b[at++] = prefixes[(r >> (12 + 4 * j)) % sizeof(prefixes)];
		uint8_t op[] = {0xE8, 0xFF, 0xFF, 0x9A, (uint8_t)(r >> 40)};
		b[at]        = op[(r >> 32) % sizeof(op)];
		if (at + 1 < sizeof(b) && b[at] == 0xFF)
			b[at + 1] = (uint8_t)((b[at + 1] & 0xC7) | (((r >> 48) % 2 ? 2u : 3u) << 3));
		dw_cpu   cpu = (r >> 56) % 2 ? DW_CPU_AMD64 : DW_CPU_X86;
		uint64_t end = cpu == DW_CPU_AMD64 ? next_rand(&s) : (uint32_t)next_rand(&s);
		if (end < 16)
			end += 16;
		bool call = false;
		cases++;
		if (!agree(cpu, b, sizeof(b), end, &call))
			bad++;
		calls += call;
	}
	cr_log_info("call-shaped tails: %zu cases, %zu calls, %zu disagreements", cases, calls, bad);
	cr_assert_eq(bad, 0);
	// The generator must really produce calls, and non-calls.
	cr_assert_gt(calls, cases / 50);
	cr_assert_lt(calls, cases - cases / 10);
}

// Every offset of real compiled code: the x64 and x86 programs of our corpus
// (whole files: headers and data are bytes a stack word may point at too).
Test(disasm, decoder_agrees_with_capstone_on_real_code)
{
	const char *own = tc_own_corpus();
	const char *progs[][2] = {{"x64", "null_write"}, {"x64", "deep_opt"},
	                          {"x86", "null_write"}, {"x86", "deep_opt"}};
	size_t      calls = 0, bad = 0, total = 0;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s/%s/%s.exe", own, progs[i][0], progs[i][1],
		         progs[i][1]);
		size_t   len = 0;
		uint8_t *img = (uint8_t *)tc_slurp(path, &len);
		cr_assert_not_null(img, "%s is committed", path);
		dw_cpu cpu = progs[i][0][1] == '6' ? DW_CPU_AMD64 : DW_CPU_X86;
		for (size_t off = 16; off <= len && bad < 10; off++) {
			bool call = false;
			if (!agree(cpu, img + off - 16, 16, 0x400000 + off, &call))
				bad++;
			calls += call;
			total++;
		}
		free(img);
	}
	cr_log_info("real code: %zu ends, %zu after a call, %zu disagreements", total, calls, bad);
	cr_assert_eq(bad, 0);
	cr_assert_gt(calls, 100, "compiled code holds calls");
}
