// CPU contexts decoded straight from bytes: layouts, sizes, XSTATE, and the
// generic register accessors. Offsets below are written from winnt.h.
#include <criterion/criterion.h>
#include <string.h>

#include "walker/context.h"

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

static dw_err
parse(dw_context *out, const uint8_t *p, size_t n, dw_cpu cpu, dw_notes *notes)
{
	dw_cur c;
	dw_cur_init(&c, p, n);
	return dw_context_parse(out, &c, cpu, notes, "test");
}

static bool
has_note(const dw_notes *n, dw_err code, const char *needle)
{
	for (size_t i = 0; i < n->count; i++)
		if (n->items[i].code == code && strstr(n->items[i].text, needle) != NULL)
			return true;
	return false;
}

static uint8_t x86[716];
static uint8_t a64[1232 + 24 + 56 + 64 + 256 + 16];

static void
fill_x86(uint32_t flags)
{
	memset(x86, 0, sizeof(x86));
	put32(x86 + 0, flags);
	put32(x86 + 4, 0xd0);       // Dr0
	put32(x86 + 28, 0xffff027f); // FloatSave.ControlWord
	put32(x86 + 144, 0x3b);     // SegFs
	put32(x86 + 156, 0xa28);    // Edi
	put32(x86 + 160, 2);        // Esi
	put32(x86 + 164, 0x7c80abc1); // Ebx
	put32(x86 + 168, 0x42bc58); // Edx
	put32(x86 + 172, 0x12fe94); // Ecx
	put32(x86 + 176, 0x45);     // Eax
	put32(x86 + 180, 0x12fe88); // Ebp
	put32(x86 + 184, 0x40429e); // Eip
	put32(x86 + 188, 0x1b);     // SegCs
	put32(x86 + 192, 0x10246);  // EFlags
	put32(x86 + 196, 0x12fe84); // Esp
	put32(x86 + 200, 0x23);     // SegSs
	x86[204] = 0x7f;            // ExtendedRegisters[0]
}

static void
fill_amd64(uint32_t flags)
{
	memset(a64, 0, sizeof(a64));
	put32(a64 + 48, flags);
	put32(a64 + 52, 0x1f80);   // MxCsr
	a64[56] = 0x33;            // SegCs
	put32(a64 + 68, 0x10246);  // EFlags
	for (int i = 0; i < 16; i++)
		put64(a64 + 120 + 8 * i, 0x1000 + (uint64_t)i); // Rax..R15
	put64(a64 + 248, 0x7ff7a13110d9); // Rip
	a64[256]      = 0x7f;              // FltSave.ControlWord
	put64(a64 + 1224, 0xabc);          // LastExceptionFromRip
}

Test(walker_context, decodes_full_x86_context)
{
	dw_notes n;
	dw_notes_init(&n);
	dw_context c;
	fill_x86(0x1003f);
	cr_assert_eq(parse(&c, x86, 716, DW_CPU_X86, &n), DW_OK);
	cr_assert_eq(c.cpu, DW_CPU_X86);
	cr_assert_eq(c.flags, 0x1003f);
	cr_assert_eq(c.x86.dr0, 0xd0);
	cr_assert_eq(c.x86.float_save.control_word, 0xffff027f);
	cr_assert_eq(c.x86.fs, 0x3b);
	cr_assert_eq(c.x86.edi, 0xa28);
	cr_assert_eq(c.x86.eax, 0x45);
	cr_assert_eq(c.x86.eflags, 0x10246);
	cr_assert_eq(c.x86.ss, 0x23);
	cr_assert_eq(c.x86.extended_registers[0], 0x7f);
	cr_assert_eq(dw_context_ip(&c), 0x40429e);
	cr_assert_eq(dw_context_sp(&c), 0x12fe84);
	cr_assert_eq(dw_context_fp(&c), 0x12fe88);
	cr_assert_eq(n.count, 0);
	dw_notes_fini(&n);
}

Test(walker_context, accepts_x86_context_without_extended_registers)
{
	dw_notes n;
	dw_notes_init(&n);
	dw_context c;
	fill_x86(0x1001f);
	cr_assert_eq(parse(&c, x86, 204, DW_CPU_X86, &n), DW_OK);
	cr_assert_eq(dw_context_ip(&c), 0x40429e);
	cr_assert_eq(c.x86.extended_registers[0], 0);
	dw_notes_fini(&n);
}

Test(walker_context, rejects_too_short_contexts)
{
	dw_notes n;
	dw_notes_init(&n);
	dw_context c;
	fill_x86(0x1003f);
	cr_assert_eq(parse(&c, x86, 200, DW_CPU_X86, &n), DW_ETRUNC);
	cr_assert_eq(c.cpu, 0);
	fill_amd64(0x10001f);
	cr_assert_eq(parse(&c, a64, 200, DW_CPU_AMD64, &n), DW_ETRUNC);
	cr_assert(has_note(&n, DW_ETRUNC, "amd64 context is 200 bytes"));
	dw_notes_fini(&n);
}

Test(walker_context, decodes_full_amd64_context)
{
	dw_notes n;
	dw_notes_init(&n);
	dw_context c;
	fill_amd64(0x10001f);
	cr_assert_eq(parse(&c, a64, 1232, DW_CPU_AMD64, &n), DW_OK);
	cr_assert_eq(c.cpu, DW_CPU_AMD64);
	cr_assert_eq(c.amd64.mx_csr, 0x1f80);
	cr_assert_eq(c.amd64.cs, 0x33);
	cr_assert_eq(c.amd64.gpr[DW_AMD64_RAX], 0x1000);
	cr_assert_eq(c.amd64.gpr[DW_AMD64_R15], 0x100f);
	cr_assert_eq(dw_context_sp(&c), 0x1004);
	cr_assert_eq(dw_context_fp(&c), 0x1005);
	cr_assert_eq(dw_context_ip(&c), 0x7ff7a13110d9);
	cr_assert_eq(c.amd64.flt_save[0], 0x7f);
	cr_assert_eq(c.amd64.last_exception_from_rip, 0xabc);
	cr_assert(!c.has_xstate);
	cr_assert_eq(n.count, 0);
	dw_notes_fini(&n);
}

Test(walker_context, keeps_partial_amd64_context_with_a_note)
{
	dw_notes n;
	dw_notes_init(&n);
	dw_context c;
	fill_amd64(0x10001f);
	cr_assert_eq(parse(&c, a64, 600, DW_CPU_AMD64, &n), DW_OK);
	cr_assert_eq(dw_context_ip(&c), 0x7ff7a13110d9);
	cr_assert_eq(c.amd64.flt_save[0], 0);
	cr_assert(has_note(&n, DW_ETRUNC, "less than the full 1232"));
	dw_notes_fini(&n);
}

// The XSTATE chunk holds a compacted XSAVE area with AVX (256 bytes) before
// CET_U, so CET sits at header + 256 (Intel SDM vol. 1, 13.4.3).
Test(walker_context, finds_cet_shadow_stack_after_avx_in_compacted_xsave)
{
	dw_notes n;
	dw_notes_init(&n);
	dw_context c;
	fill_amd64(0x10005f);
	uint32_t ex = 1232, xs = 1232 + 80, xlen = 64 + 256 + 16;
	put32(a64 + ex + 0, (uint32_t)-1232);
	put32(a64 + ex + 4, xs + xlen);
	put32(a64 + ex + 8, (uint32_t)-1232);
	put32(a64 + ex + 12, 1232);
	put32(a64 + ex + 16, 80);
	put32(a64 + ex + 20, xlen);
	put64(a64 + xs, 0x804);
	put64(a64 + xs + 8, 0x8000000000000804ull);
	put64(a64 + xs + 64 + 256, 1);
	put64(a64 + xs + 64 + 256 + 8, 0x7ffe0000fff8ull);
	cr_assert_eq(parse(&c, a64, xs + xlen, DW_CPU_AMD64, &n), DW_OK);
	cr_assert(c.has_xstate);
	cr_assert_eq(c.xstate.mask, 0x804);
	cr_assert(c.xstate.has_cet);
	cr_assert_eq(c.xstate.cet_u, 1);
	cr_assert_eq(c.xstate.cet_ssp, 0x7ffe0000fff8ull);
	cr_assert_eq(n.count, 0);
	dw_notes_fini(&n);
}

Test(walker_context, notes_xstate_chunk_outside_context_and_keeps_registers)
{
	dw_notes n;
	dw_notes_init(&n);
	dw_context c;
	fill_amd64(0x10005f);
	put32(a64 + 1232 + 16, 0x10000); // XState offset far outside
	put32(a64 + 1232 + 20, 80);
	cr_assert_eq(parse(&c, a64, 1232 + 24, DW_CPU_AMD64, &n), DW_OK);
	cr_assert(!c.has_xstate);
	cr_assert_eq(dw_context_ip(&c), 0x7ff7a13110d9);
	cr_assert(has_note(&n, DW_ECORRUPT, "XState chunk"));
	dw_notes_fini(&n);
}

Test(walker_context, guesses_layout_without_system_info)
{
	dw_notes n;
	dw_notes_init(&n);
	dw_context c;
	fill_x86(0x1003f);
	cr_assert_eq(parse(&c, x86, 716, DW_CPU_UNKNOWN, &n), DW_OK);
	cr_assert_eq(c.cpu, DW_CPU_X86);
	fill_amd64(0x10001f);
	cr_assert_eq(parse(&c, a64, 1232, DW_CPU_UNKNOWN, &n), DW_OK);
	cr_assert_eq(c.cpu, DW_CPU_AMD64);
	// An old x86 writer without the CPU bit: known by its size.
	fill_x86(0x3f);
	cr_assert_eq(parse(&c, x86, 716, DW_CPU_UNKNOWN, &n), DW_OK);
	cr_assert_eq(c.cpu, DW_CPU_X86);
	uint8_t junk[300] = {0};
	cr_assert_eq(parse(&c, junk, sizeof(junk), DW_CPU_UNKNOWN, &n), DW_EUNSUPPORTED);
	cr_assert_eq(parse(&c, junk, sizeof(junk), DW_CPU_ARM64, &n), DW_EUNSUPPORTED);
	dw_notes_fini(&n);
}

Test(walker_context, wow64_dumps_use_the_x86_layout)
{
	dw_notes n;
	dw_notes_init(&n);
	dw_context c;
	fill_x86(0x1003f);
	cr_assert_eq(parse(&c, x86, 716, DW_CPU_X86_ON_WIN64, &n), DW_OK);
	cr_assert_eq(c.cpu, DW_CPU_X86);
	dw_notes_fini(&n);
}

Test(walker_context, register_table_names_validity_and_setters)
{
	dw_notes n;
	dw_notes_init(&n);
	dw_context c;
	// CONTROL only: eip/esp/ebp valid, eax not.
	fill_x86(0x10001);
	cr_assert_eq(parse(&c, x86, 716, DW_CPU_X86, &n), DW_OK);
	uint64_t v;
	bool     valid;
	cr_assert_eq(dw_context_get(&c, "eip", &v, &valid), DW_OK);
	cr_assert_eq(v, 0x40429e);
	cr_assert(valid);
	cr_assert_eq(dw_context_get(&c, "eax", &v, &valid), DW_OK);
	cr_assert_eq(v, 0x45);
	cr_assert(!valid);
	cr_assert_eq(dw_context_get(&c, "efl", &v, NULL), DW_OK);
	cr_assert_eq(v, 0x10246);
	cr_assert_eq(dw_context_get(&c, "rip", &v, NULL), DW_ENOTFOUND);
	cr_assert_eq(dw_context_reg_width(&c), 4);
	cr_assert_str_eq(dw_context_reg_name(&c, dw_context_ip_index(&c)), "eip");
	cr_assert_str_eq(dw_context_reg_name(&c, dw_context_sp_index(&c)), "esp");
	cr_assert_str_eq(dw_context_reg_name(&c, dw_context_fp_index(&c)), "ebp");
	cr_assert_null(dw_context_reg_name(&c, dw_context_reg_count(&c)));
	size_t i;
	cr_assert_eq(dw_context_reg_find(&c, "eax", &i), DW_OK);
	cr_assert_eq(dw_context_reg_set(&c, i, 0x1122334455ull), DW_OK);
	cr_assert(dw_context_reg_get(&c, i, &v));
	cr_assert_eq(v, 0x22334455); // truncated to 32 bits
	cr_assert_eq(c.x86.eax, 0x22334455);
	cr_assert_eq(dw_context_reg_set(&c, 99, 0), DW_EINVAL);

	fill_amd64(0x100003); // CONTROL | INTEGER
	cr_assert_eq(parse(&c, a64, 1232, DW_CPU_AMD64, &n), DW_OK);
	// amd64 table indices are the x64 unwind-code register numbers.
	cr_assert_str_eq(dw_context_reg_name(&c, 0), "rax");
	cr_assert_str_eq(dw_context_reg_name(&c, 4), "rsp");
	cr_assert_str_eq(dw_context_reg_name(&c, 15), "r15");
	cr_assert(dw_context_reg_get(&c, 12, &v));
	cr_assert_eq(v, 0x100c);
	cr_assert_eq(dw_context_get(&c, "cs", &v, &valid), DW_OK);
	cr_assert_eq(v, 0x33);
	cr_assert(valid);
	cr_assert_eq(dw_context_get(&c, "ds", &v, &valid), DW_OK);
	cr_assert(!valid); // SEGMENTS not declared
	cr_assert_eq(dw_context_reg_width(&c), 8);
	cr_assert_eq(dw_context_reg_set(&c, dw_context_ip_index(&c), 0x1234), DW_OK);
	cr_assert_eq(dw_context_ip(&c), 0x1234);
	dw_notes_fini(&n);
}
