// walker/context.h - CPU register contexts (x86 and amd64) as minidumps store them.
//
// Layouts: the Windows SDK's winnt.h CONTEXT for x86 (716 bytes with
// ExtendedRegisters, 204 without) and amd64 (1232 bytes), CONTEXT_EX and the
// XSAVE area header for XSTATE contexts, and Intel's SDM vol. 1 ch. 13 for the
// compacted XSAVE format that locates the CET user state. Values are decoded
// byte by byte into the structures below; nothing overlays file bytes.
//
// A dw_context is plain data: the unwinder copies one and changes registers
// to describe a caller's frame. Which registers are known is kept per
// register (the `valid` mask), starting from the ContextFlags groups the
// writer declared.
#ifndef DW_WALKER_CONTEXT_H
#define DW_WALKER_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cur.h"
#include "common/err.h"
#include "walker/dump.h"

// Sizes of the on-disk structures (winnt.h).
#define DW_CONTEXT_X86_SIZE 716       // CONTEXT (i386) with ExtendedRegisters[512]
#define DW_CONTEXT_X86_BASIC_SIZE 204 // the same without ExtendedRegisters (NT 4 era writers)
#define DW_CONTEXT_AMD64_SIZE 1232    // CONTEXT (AMD64)
#define DW_CONTEXT_AMD64_MIN_SIZE 256 // through Rip: enough to unwind from
#define DW_CONTEXT_EX_SIZE 24         // CONTEXT_EX: All, Legacy, XState chunks (8 bytes each)
#define DW_XSAVE_HEADER_SIZE 64       // XSAVE_AREA_HEADER: Mask, CompactionMask, Reserved2[6]

// ContextFlags (winnt.h). The CPU bit tells the layout; the low bits say
// which register groups the writer filled in.
#define DW_CONTEXT_X86_FLAG 0x00010000u   // CONTEXT_i386
#define DW_CONTEXT_AMD64_FLAG 0x00100000u // CONTEXT_AMD64
#define DW_CONTEXT_CPU_MASK 0xffff0000u
#define DW_CONTEXT_CONTROL 0x01u
#define DW_CONTEXT_INTEGER 0x02u
#define DW_CONTEXT_SEGMENTS 0x04u
#define DW_CONTEXT_FLOATING_POINT 0x08u
#define DW_CONTEXT_DEBUG_REGISTERS 0x10u
#define DW_CONTEXT_EXTENDED_REGISTERS 0x20u // x86 only: FXSAVE image in ExtendedRegisters
#define DW_CONTEXT_XSTATE 0x40u             // CONTEXT_EX and an XSAVE area follow

// XSAVE state components (Intel SDM vol. 1, 13.1) used here.
#define DW_XSTATE_AVX 2
#define DW_XSTATE_CET_U 11
#define DW_XSTATE_COMPACTED (1ull << 63) // CompactionMask bit 63: compacted format

// x86 FLOATING_SAVE_AREA (112 bytes).
typedef struct dw_context_x86_float {
	uint32_t control_word;
	uint32_t status_word;
	uint32_t tag_word;
	uint32_t error_offset;
	uint32_t error_selector;
	uint32_t data_offset;
	uint32_t data_selector;
	uint8_t  register_area[80];
	uint32_t cr0_npx_state;
} dw_context_x86_float;

// x86 CONTEXT, fields in file order.
typedef struct dw_context_x86 {
	uint32_t             dr0, dr1, dr2, dr3, dr6, dr7;
	dw_context_x86_float float_save;
	uint32_t             gs, fs, es, ds;
	uint32_t             edi, esi, ebx, edx, ecx, eax;
	uint32_t             ebp, eip, cs, eflags, esp, ss;
	uint8_t              extended_registers[512]; // FXSAVE image; zero when absent
} dw_context_x86;

// amd64 CONTEXT, fields in file order. The general registers are an array in
// the encoding order x64 unwind codes use (RAX=0, RCX, RDX, RBX, RSP, RBP, RSI,
// RDI, R8..R15=15): see enum dw_amd64_gpr.
typedef struct dw_context_amd64 {
	uint64_t p_home[6];
	uint32_t mx_csr;
	uint16_t cs, ds, es, fs, gs, ss;
	uint32_t eflags;
	uint64_t dr0, dr1, dr2, dr3, dr6, dr7;
	uint64_t gpr[16];
	uint64_t rip;
	uint8_t  flt_save[512]; // XMM_SAVE_AREA32 (FXSAVE image): x87, MXCSR, XMM0-15
	uint8_t  vector_register[26][16];
	uint64_t vector_control;
	uint64_t debug_control;
	uint64_t last_branch_to_rip;
	uint64_t last_branch_from_rip;
	uint64_t last_exception_to_rip;
	uint64_t last_exception_from_rip;
} dw_context_amd64;

enum dw_amd64_gpr {
	DW_AMD64_RAX, DW_AMD64_RCX, DW_AMD64_RDX, DW_AMD64_RBX,
	DW_AMD64_RSP, DW_AMD64_RBP, DW_AMD64_RSI, DW_AMD64_RDI,
	DW_AMD64_R8,  DW_AMD64_R9,  DW_AMD64_R10, DW_AMD64_R11,
	DW_AMD64_R12, DW_AMD64_R13, DW_AMD64_R14, DW_AMD64_R15,
};

// The extended (XSTATE) part of a context, when ContextFlags has
// DW_CONTEXT_XSTATE and a well-formed CONTEXT_EX follows the CONTEXT.
typedef struct dw_context_xstate {
	uint64_t       mask;            // XSAVE header XSTATE_BV: components holding state
	uint64_t       compaction_mask; // XCOMP_BV (bit 63: compacted format)
	const uint8_t *area;            // borrowed: the XSAVE header and components, in the dump
	uint32_t       area_len;
	bool           has_cet;         // CET user state present (mask bit 11, located)
	uint64_t       cet_u;           // IA32_U_CET
	uint64_t       cet_ssp;         // IA32_PL3_SSP: the shadow stack pointer
} dw_context_xstate;

struct dw_context {
	dw_cpu   cpu;   // DW_CPU_X86 or DW_CPU_AMD64: selects the union member
	uint32_t flags; // ContextFlags as stored
	uint32_t size;  // bytes the dump gave for this context
	uint64_t valid; // bit i set: register i of the register table is known
	union {
		dw_context_x86   x86;
		dw_context_amd64 amd64;
	};
	bool              has_xstate;
	dw_context_xstate xstate;
};

// dw_context_parse decodes the context in `c`'s window (offsets relative to
// its base). `cpu` is what SystemInfo declares (DW_CPU_UNKNOWN when absent);
// the layout is chosen from it and, where it is unknown or contradicted, from
// the size and ContextFlags (see context.c). Problems are noted in `notes`
// prefixed with `what`. DW_ETRUNC for a context too short to hold the
// control registers, DW_EUNSUPPORTED for a CPU other than x86/amd64; then
// *out is zeroed. A damaged XSTATE part is noted but does not fail the parse.
// out->xstate.area borrows c's bytes.
dw_err dw_context_parse(dw_context *out, const dw_cur *c, dw_cpu cpu, dw_notes *notes,
                        const char *what);

// dw_context_guess_cpu says which layout the bytes look like when nothing
// else tells: the CPU bit of ContextFlags, else the size. DW_CPU_UNKNOWN when
// neither decides.
dw_cpu dw_context_guess_cpu(const dw_cur *c);

// ---- Generic register access (for the unwinder and printers) ------------

// dw_context_ip, _sp and _fp return the instruction, stack and frame pointer
// (eip/esp/ebp, rip/rsp/rbp), 0 for an unknown CPU. They do not check validity.
uint64_t dw_context_ip(const dw_context *ctx);
uint64_t dw_context_sp(const dw_context *ctx);
uint64_t dw_context_fp(const dw_context *ctx);

// dw_context_reg_count returns the number of entries in ctx's register table:
// x86: eax ecx edx ebx esp ebp esi edi eip eflags cs ds es fs gs ss;
// amd64: rax rcx rdx rbx rsp rbp rsi rdi r8-r15 rip eflags cs ds es fs gs ss
// (so for amd64, index == x64 unwind-code register number for 0..15).
size_t dw_context_reg_count(const dw_context *ctx);
// dw_context_reg_name returns the static lowercase name of register i, or NULL.
const char *dw_context_reg_name(const dw_context *ctx, size_t i);
// dw_context_reg_width returns the register size in bytes (4 for x86, 8 for
// amd64 general registers), 0 for an unknown CPU.
unsigned dw_context_reg_width(const dw_context *ctx);
// dw_context_reg_get stores register i in *out; returns whether it is valid
// (false, with *out = 0, past the table).
bool dw_context_reg_get(const dw_context *ctx, size_t i, uint64_t *out);
// dw_context_reg_set sets register i and marks it valid (truncated to the
// register width). DW_EINVAL past the table.
dw_err dw_context_reg_set(dw_context *ctx, size_t i, uint64_t v);
// dw_context_reg_find returns the table index of the register called `name`
// ("rip", "esp"), or DW_ENOTFOUND.
dw_err dw_context_reg_find(const dw_context *ctx, const char *name, size_t *out);
// dw_context_get reads a register by name; DW_ENOTFOUND for an unknown name.
// *valid (when non-NULL) receives its validity.
dw_err dw_context_get(const dw_context *ctx, const char *name, uint64_t *out, bool *valid);

// dw_context_ip_index, _sp_index and _fp_index return the table index of the
// instruction, stack and frame pointer (SIZE_MAX for an unknown CPU).
size_t dw_context_ip_index(const dw_context *ctx);
size_t dw_context_sp_index(const dw_context *ctx);
size_t dw_context_fp_index(const dw_context *ctx);

#endif
