// walker/disasm.c - Capstone behind walker/disasm.h. The only file that
// includes capstone.h; cs_err is mapped to dw_err here.
#include "walker/disasm.h"

#include <capstone/capstone.h>
#include <stdlib.h>

struct dw_dis {
	csh  h[2];    // [0] 32-bit, [1] 64-bit
	bool open[2];
	bool failed[2];
};

dw_err
dw_dis_new(dw_dis **out)
{
	*out      = NULL;
	dw_dis *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return DW_ENOMEM;
	*out = d;
	return DW_OK;
}

void
dw_dis_free(dw_dis *d)
{
	if (d == NULL)
		return;
	for (int i = 0; i < 2; i++)
		if (d->open[i])
			cs_close(&d->h[i]);
	free(d);
}

static csh *
handle(dw_dis *d, dw_cpu cpu)
{
	int i = cpu == DW_CPU_AMD64 ? 1 : 0;
	if (d->open[i])
		return &d->h[i];
	if (d->failed[i])
		return NULL;
	if (cs_open(CS_ARCH_X86, i ? CS_MODE_64 : CS_MODE_32, &d->h[i]) != CS_ERR_OK) {
		d->failed[i] = true;
		return NULL;
	}
	cs_option(d->h[i], CS_OPT_DETAIL, CS_OPT_ON);
	d->open[i] = true;
	return &d->h[i];
}

// The call-site question is asked for every stack word that points into code
// (residue scanning) and for every scanned word of a stack-scan frame: it is
// the hottest use of the disassembler. Capstone formats every instruction's
// text, so most of its cost is printf; the encodings a CALL can have are few
// and fully specified, so they are decoded here, and Capstone is asked only
// for the rare ones whose meaning depends on prefixes.
typedef enum call_answer {
	CALL_NO,
	CALL_YES,
	CALL_ASK, // legacy prefixes: Capstone decides
} call_answer;

// ModRM (+ SIB + displacement) length of a memory or register operand, from
// the ModRM byte and, when it says there is one, the SIB byte after it. The
// 32- and 64-bit forms have the same lengths (RIP-relative is the 32-bit
// disp32 form); 16-bit addressing needs the 67 prefix, which is asked about.
static size_t
modrm_len(const uint8_t *m, size_t avail)
{
	uint8_t mod = m[0] >> 6, rm = m[0] & 7;
	size_t  n   = 1;
	if (mod == 3)
		return n;
	if (rm == 4) {
		if (avail < 2)
			return 0;
		n++;
		if (mod == 0 && (m[1] & 7) == 5)
			return n + 4;
	} else if (mod == 0 && rm == 5) {
		return n + 4;
	}
	return n + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

// decode_call answers whether the k bytes at p are exactly one CALL (near,
// relative or indirect: Capstone's X86_INS_CALL) that ends at `end`. With no
// prefix but REX it decides alone: E8 rel32 (target = end + rel32, 32-bit
// wrapped on x86) and FF /2 with its operand (target 0: indirect). Far calls
// (9A, FF /3) are not X86_INS_CALL and answer no, as Capstone's id does.
static call_answer
decode_call(const uint8_t *p, size_t k, bool x64, uint64_t end, uint64_t *target)
{
	size_t i      = 0;
	bool   legacy = false, rex = false;
	for (; i < k; i++) {
		uint8_t b = p[i];
		if (b == 0xF0 || b == 0xF2 || b == 0xF3 || b == 0x2E || b == 0x36 || b == 0x3E ||
		    b == 0x26 || b == 0x64 || b == 0x65 || b == 0x66 || b == 0x67) {
			legacy = true;
			rex    = false; // a REX before a legacy prefix is ignored
		} else if (x64 && (b & 0xF0) == 0x40) {
			rex = true;
		} else {
			break;
		}
	}
	if (i >= k)
		return CALL_NO;
	size_t rest = k - i - 1; // bytes after the opcode
	switch (p[i]) {
	case 0xE8:
		if (legacy || rex)
			return rest == 4 || rest == 2 ? CALL_ASK : CALL_NO;
		if (rest != 4)
			return CALL_NO;
		int32_t rel = (int32_t)((uint32_t)p[i + 1] | (uint32_t)p[i + 2] << 8 |
		                        (uint32_t)p[i + 3] << 16 | (uint32_t)p[i + 4] << 24);
		uint64_t t  = end + (uint64_t)(int64_t)rel;
		*target     = x64 ? t : (uint32_t)t;
		return CALL_YES;
	case 0xFF:
		if (rest < 1 || rest > 6 || ((p[i + 1] >> 3) & 7) != 2)
			return CALL_NO;
		if (legacy)
			return CALL_ASK;
		*target = 0;
		return modrm_len(p + i + 1, rest) == rest ? CALL_YES : CALL_NO;
	default:
		return CALL_NO;
	}
}

// capstone_call is Capstone's answer for one start: the oracle decode_call
// agrees with (tests/walker/disasm_test.c compares them).
static bool
capstone_call(csh h, const uint8_t *p, size_t k, uint64_t end, uint64_t *target)
{
	cs_insn *insn = NULL;
	size_t   n    = cs_disasm(h, p, k, end - k, 1, &insn);
	bool     ok   = false;
	*target       = 0;
	if (n == 1 && insn[0].size == k && insn[0].id == X86_INS_CALL) {
		ok = true;
		if (insn[0].detail != NULL) {
			const cs_x86 *x = &insn[0].detail->x86;
			if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM)
				*target = (uint64_t)x->operands[0].imm;
		}
	}
	if (n > 0)
		cs_free(insn, n);
	return ok;
}

// The shortest CALL is 2 bytes (FF D0), the longest real one 9 with a
// segment or REX prefix (FF 94 24 disp32 with REX.B and 66/2E).
static bool
call_before(dw_dis *d, dw_cpu cpu, const uint8_t *code, size_t len, uint64_t end,
            uint64_t *target, bool fast)
{
	uint64_t t = 0;
	if (target != NULL)
		*target = 0;
	bool x64 = cpu == DW_CPU_AMD64;
	for (size_t k = 2; k <= 9 && k <= len; k++) {
		const uint8_t *p = code + len - k;
		call_answer    a = fast ? decode_call(p, k, x64, end, &t) : CALL_ASK;
		if (a == CALL_ASK) {
			csh *h = handle(d, cpu); // opened only when a start needs it
			a      = h != NULL && capstone_call(*h, p, k, end, &t) ? CALL_YES : CALL_NO;
		}
		if (a == CALL_YES) {
			if (target != NULL)
				*target = t;
			return true;
		}
	}
	return false;
}

bool
dw_dis_call_before(dw_dis *d, dw_cpu cpu, const uint8_t *code, size_t len, uint64_t end,
                   uint64_t *target)
{
	return call_before(d, cpu, code, len, end, target, true);
}

bool
dw_dis_call_before_capstone(dw_dis *d, dw_cpu cpu, const uint8_t *code, size_t len, uint64_t end,
                            uint64_t *target)
{
	return call_before(d, cpu, code, len, end, target, false);
}

// Capstone's 64-bit register ids in x64 unwind-code order (RAX=0 .. R15=15).
static int
reg64(x86_reg r)
{
	static const x86_reg order[16] = {
	    X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX, X86_REG_RSP, X86_REG_RBP,
	    X86_REG_RSI, X86_REG_RDI, X86_REG_R8,  X86_REG_R9,  X86_REG_R10, X86_REG_R11,
	    X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15,
	};
	for (int i = 0; i < 16; i++)
		if (order[i] == r)
			return i;
	return -1;
}

bool
dw_dis_x64_epilog(dw_dis *d, const uint8_t *code, size_t len, uint64_t ip, uint64_t func_begin,
                  uint64_t func_end, uint8_t frame_reg, dw_dis_epi_step *steps, size_t *n)
{
	*n     = 0;
	csh *h = handle(d, DW_CPU_AMD64);
	if (h == NULL)
		return false;
	size_t off    = 0;
	bool   result = false;
	for (size_t i = 0; i < DW_DIS_EPI_MAX && off < len; i++) {
		cs_insn *insn = NULL;
		if (cs_disasm(*h, code + off, len - off, ip + off, 1, &insn) != 1)
			break;
		const cs_x86   *x    = &insn->detail->x86;
		dw_dis_epi_step s    = {0};
		bool            good = false, last = false;
		if (insn->id == X86_INS_ADD && i == 0 && x->op_count == 2 &&
		    x->operands[0].type == X86_OP_REG && x->operands[0].reg == X86_REG_RSP &&
		    x->operands[1].type == X86_OP_IMM) {
			s.op    = DW_DIS_EPI_ADD_RSP;
			s.value = x->operands[1].imm;
			good    = true;
		} else if (insn->id == X86_INS_LEA && i == 0 && frame_reg != 0 && x->op_count == 2 &&
		           x->operands[0].type == X86_OP_REG && x->operands[0].reg == X86_REG_RSP &&
		           x->operands[1].type == X86_OP_MEM &&
		           x->operands[1].mem.index == X86_REG_INVALID &&
		           reg64(x->operands[1].mem.base) == frame_reg) {
			s.op    = DW_DIS_EPI_LEA_RSP;
			s.reg   = frame_reg;
			s.value = x->operands[1].mem.disp;
			good    = true;
		} else if (insn->id == X86_INS_POP && x->op_count == 1 &&
		           x->operands[0].type == X86_OP_REG && reg64(x->operands[0].reg) >= 0) {
			s.op  = DW_DIS_EPI_POP;
			s.reg = (uint8_t)reg64(x->operands[0].reg);
			good  = true;
		} else if (insn->id == X86_INS_RET) {
			s.op = DW_DIS_EPI_RET;
			good = last = true;
		} else if (insn->id == X86_INS_JMP && x->op_count == 1) {
			// A jump inside the function is control flow, not an epilog; a
			// jump out of it (or through memory/register) is a tail call.
			if (x->operands[0].type == X86_OP_IMM) {
				uint64_t t = (uint64_t)x->operands[0].imm;
				good       = t < func_begin || t >= func_end;
			} else {
				good = true;
			}
			s.op = DW_DIS_EPI_JMP;
			last = good;
		}
		off += insn->size;
		cs_free(insn, 1);
		if (!good)
			break;
		steps[(*n)++] = s;
		if (last) {
			result = true;
			break;
		}
	}
	if (!result)
		*n = 0;
	return result;
}

// Capstone's 32-bit register ids in x86 encoding order (EAX=0 .. EDI=7, the
// walker's x86 register-table order).
static int
reg32(x86_reg r)
{
	static const x86_reg order[8] = {
	    X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX,
	    X86_REG_ESP, X86_REG_EBP, X86_REG_ESI, X86_REG_EDI,
	};
	for (int i = 0; i < 8; i++)
		if (order[i] == r)
			return i;
	return -1;
}

bool
dw_dis_x86_epilog(dw_dis *d, const uint8_t *code, size_t len, uint64_t ip, dw_dis_epi_step *steps,
                  size_t *n)
{
	*n     = 0;
	csh *h = handle(d, DW_CPU_X86);
	if (h == NULL)
		return false;
	size_t off    = 0;
	bool   result = false;
	for (size_t i = 0; i < DW_DIS_EPI_MAX && off < len; i++) {
		cs_insn *insn = NULL;
		if (cs_disasm(*h, code + off, len - off, ip + off, 1, &insn) != 1)
			break;
		const cs_x86   *x    = &insn->detail->x86;
		dw_dis_epi_step s[2] = {{0}, {0}};
		size_t          ns   = 0;
		bool            last = false;
		const cs_x86_op *o0  = x->op_count >= 1 ? &x->operands[0] : NULL;
		const cs_x86_op *o1  = x->op_count >= 2 ? &x->operands[1] : NULL;
		bool to_esp = o0 != NULL && o0->type == X86_OP_REG && o0->reg == X86_REG_ESP;
		if (insn->id == X86_INS_NOP) {
			off += insn->size;
			cs_free(insn, 1);
			continue;
		} else if (insn->id == X86_INS_ADD && to_esp && o1 != NULL && o1->type == X86_OP_IMM) {
			s[ns++] = (dw_dis_epi_step){DW_DIS_EPI_ADD_RSP, 0, o1->imm};
		} else if (insn->id == X86_INS_LEA && to_esp && o1 != NULL && o1->type == X86_OP_MEM &&
		           o1->mem.index == X86_REG_INVALID && o1->mem.segment == X86_REG_INVALID &&
		           reg32(o1->mem.base) >= 0) {
			s[ns++] = (dw_dis_epi_step){DW_DIS_EPI_LEA_RSP, (uint8_t)reg32(o1->mem.base),
			                            o1->mem.disp};
		} else if (insn->id == X86_INS_MOV && to_esp && o1 != NULL && o1->type == X86_OP_REG &&
		           reg32(o1->reg) >= 0) {
			s[ns++] = (dw_dis_epi_step){DW_DIS_EPI_LEA_RSP, (uint8_t)reg32(o1->reg), 0};
		} else if (insn->id == X86_INS_LEAVE) {
			// mov esp, ebp; pop ebp
			s[ns++] = (dw_dis_epi_step){DW_DIS_EPI_LEA_RSP, 5, 0};
			s[ns++] = (dw_dis_epi_step){DW_DIS_EPI_POP, 5, 0};
		} else if (insn->id == X86_INS_POP && o0 != NULL && o0->type == X86_OP_REG &&
		           reg32(o0->reg) >= 0 && o0->reg != X86_REG_ESP) {
			s[ns++] = (dw_dis_epi_step){DW_DIS_EPI_POP, (uint8_t)reg32(o0->reg), 0};
		} else if (insn->id == X86_INS_RET) {
			int64_t extra = o0 != NULL && o0->type == X86_OP_IMM ? o0->imm : 0;
			s[ns++]       = (dw_dis_epi_step){DW_DIS_EPI_RET, 0, extra};
			last          = true;
		}
		off += insn->size;
		cs_free(insn, 1);
		if (ns == 0 || *n + ns > DW_DIS_EPI_MAX)
			break;
		for (size_t k = 0; k < ns; k++)
			steps[(*n)++] = s[k];
		if (last) {
			result = true;
			break;
		}
	}
	if (!result)
		*n = 0;
	return result;
}
