// walker/disasm.h - the few instruction questions the unwinder asks, answered
// with Capstone. disasm.c is the only file that includes capstone.h; no
// Capstone type crosses this header.
//
// A dw_dis holds one Capstone handle per CPU mode, opened on first use. It is
// not thread-safe: each walker (worker) owns one.
#ifndef DW_WALKER_DIS_H
#define DW_WALKER_DIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "walker/dump.h"

typedef struct dw_dis dw_dis;

// dw_dis_new makes a disassembler; *out is owned by the caller (dw_dis_free).
// DW_ENOMEM.
dw_err dw_dis_new(dw_dis **out);
// dw_dis_free releases it; NULL is fine.
void dw_dis_free(dw_dis *d);

// dw_dis_call_before says whether the `len` bytes in `code`, which end at
// address `end` (a candidate return address), finish with a CALL instruction
// that ends exactly at `end`: every plausible start (1-9 bytes before `end`) is
// decoded. On true, *target (may be NULL) receives the call target for a
// direct call, 0 for an indirect one. `cpu` is DW_CPU_X86 or DW_CPU_AMD64.
// A start only Capstone can decide (legacy prefixes) counts as no call when
// Capstone cannot be opened.
bool dw_dis_call_before(dw_dis *d, dw_cpu cpu, const uint8_t *code, size_t len, uint64_t end,
                        uint64_t *target);
// dw_dis_call_before_capstone gives the same answer from Capstone alone.
// dw_dis_call_before decodes the common CALL encodings itself (Capstone's
// text formatting dominated its cost); this is the oracle tests compare it
// with.
bool dw_dis_call_before_capstone(dw_dis *d, dw_cpu cpu, const uint8_t *code, size_t len,
                                 uint64_t end, uint64_t *target);

// One step of an x64 epilog, as Windows' unwinder recognises them
// (RtlVirtualUnwind's epilog check): at most one stack adjustment first, then
// pops of integer registers, then a return or a jump out of the function.
typedef enum dw_dis_epi_op {
	DW_DIS_EPI_ADD_RSP, // add rsp, imm          (imm in `value`)
	DW_DIS_EPI_LEA_RSP, // lea rsp, [reg + disp] (reg, disp in `value`)
	DW_DIS_EPI_POP,     // pop reg
	DW_DIS_EPI_RET,     // ret / ret imm16 / rep ret
	DW_DIS_EPI_JMP,     // jmp out of the function (tail call)
} dw_dis_epi_op;

typedef struct dw_dis_epi_step {
	dw_dis_epi_op op;
	uint8_t       reg;   // x64 unwind-code register number
	int64_t       value; // immediate or displacement
} dw_dis_epi_step;

#define DW_DIS_EPI_MAX 24

// dw_dis_x64_epilog decodes the bytes at `ip` (code[0..len)) and says whether
// they are the rest of an epilog of the function [func_begin, func_end) (all
// absolute addresses). On true, steps[0..*n) are the instructions still to run,
// ending with RET or JMP. A `lea rsp` counts only with `frame_reg` (0 = none)
// as its base, as Windows requires.
bool dw_dis_x64_epilog(dw_dis *d, const uint8_t *code, size_t len, uint64_t ip,
                       uint64_t func_begin, uint64_t func_end, uint8_t frame_reg,
                       dw_dis_epi_step *steps, size_t *n);

// dw_dis_x86_epilog says whether the 32-bit code at `ip` (code[0..len)) runs
// straight to a RET through instructions that only restore the caller's
// registers: `add esp, imm`, `lea esp, [reg + disp]`, `mov esp, reg`, `leave`,
// `pop reg` and `nop`. On true, steps[0..*n) are what is left to run, in
// x86 register-table numbers (EAX=0 .. EDI=7), `leave` as LEA_RSP from EBP
// then POP EBP, ending with RET whose `value` is the immediate of `ret imm16`
// (0 for a plain ret). No jump is accepted: without function bounds a jump
// cannot be told from control flow.
bool dw_dis_x86_epilog(dw_dis *d, const uint8_t *code, size_t len, uint64_t ip,
                       dw_dis_epi_step *steps, size_t *n);

#endif
