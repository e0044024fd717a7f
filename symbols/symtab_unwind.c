// symbols/symtab_unwind.c - the x64 unwind rule at an address, derived from
// the RUNTIME_FUNCTION and UNWIND_INFO bytes a compiled table stores, and its
// Breakpad STACK CFI spelling.
//
// Same semantics as dw_pe_unwind_rule (symbols/pe_unwind.c), over table bytes
// instead of an open image; tests/symbols/symbols_compare_test.c checks the
// two agree at every function of the corpus x64 images. Layouts: Microsoft
// "x64 exception handling" (UNWIND_INFO, UNWIND_CODE); version 2 epilog codes
// as pe_unwind.c infers them (they lead the code array and never change the
// prolog state).
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/cur.h"
#include "common/limits.h"
#include "symbols/symtab_from.h"

typedef struct loc {
	uint8_t reg;
	int64_t off;
} loc;

typedef struct state {
	loc     sp;
	int64_t rsp_only;
	uint8_t nsaved;
	uint8_t saved_reg[DW_UNWIND_MAX_SAVED];
	loc     saved_at[DW_UNWIND_MAX_SAVED];
	bool    machframe;
	int64_t machframe_rsp;
} state;

typedef struct code {
	uint8_t  po, op, info;
	uint32_t value;
} code;

static void
save(state *s, uint8_t reg, loc where)
{
	for (size_t i = 0; i < s->nsaved; i++) {
		if (s->saved_reg[i] == reg)
			return;
	}
	if (s->nsaved < DW_UNWIND_MAX_SAVED) {
		s->saved_reg[s->nsaved]  = reg;
		s->saved_at[s->nsaved++] = where;
	}
}

static unsigned
op_slots(uint8_t op, uint8_t info)
{
	switch (op) {
	case DW_UWOP_ALLOC_LARGE:
		return info == 0 ? 2 : 3;
	case DW_UWOP_SAVE_NONVOL:
	case DW_UWOP_SAVE_XMM128:
	case DW_UWOP_EPILOG:
		return 2;
	case DW_UWOP_SAVE_NONVOL_FAR:
	case DW_UWOP_SAVE_XMM128_FAR:
	case DW_UWOP_SPARE:
		return 3;
	default:
		return 1;
	}
}

// One UNWIND_INFO decoded: its prolog codes, frame register and chain.
typedef struct info {
	uint8_t  version, flags, nslots, frame_reg, frame_offset;
	code     codes[256];
	size_t   ncodes;
	bool     chained;
	uint32_t chain_unwind_rva;
} info;

static dw_err
decode(info *ui, const uint8_t *bytes, size_t len)
{
	dw_cur c;
	dw_cur_init(&c, bytes, len);
	uint8_t vf = dw_cur_u8(&c);
	(void)dw_cur_u8(&c); // prolog size
	ui->nslots      = dw_cur_u8(&c);
	uint8_t fr      = dw_cur_u8(&c);
	ui->version     = vf & 7;
	ui->flags       = vf >> 3;
	ui->frame_reg   = fr & 15;
	ui->frame_offset = fr >> 4;
	ui->ncodes      = 0;
	ui->chained     = false;
	ui->chain_unwind_rva = 0;
	if (c.err != DW_OK)
		return DW_ECORRUPT;
	if (ui->version != 1 && ui->version != 2)
		return DW_ECORRUPT;
	size_t         aligned = ((size_t)ui->nslots + 1) & ~(size_t)1;
	const uint8_t *slots   = dw_cur_bytes(&c, aligned * 2);
	if (slots == NULL)
		return DW_ECORRUPT;
	size_t i = 0;
	if (ui->version == 2) {
		while (i < ui->nslots && (slots[2 * i + 1] & 15) == DW_UWOP_EPILOG)
			i++;
	}
	while (i < ui->nslots) {
		uint8_t  op   = slots[2 * i + 1] & 15;
		uint8_t  inf  = slots[2 * i + 1] >> 4;
		unsigned used = op_slots(op, inf);
		if (op > DW_UWOP_PUSH_MACHFRAME || (op == DW_UWOP_ALLOC_LARGE && inf > 1) ||
		    i + used > ui->nslots)
			break; // as pe_unwind.c: the codes before stay in force
		dw_cur nx;
		dw_cur_init(&nx, slots + 2 * (i + 1), 2 * (used - 1));
		code *k = &ui->codes[ui->ncodes++];
		*k      = (code){slots[2 * i], op, inf, 0};
		switch (op) {
		case DW_UWOP_ALLOC_LARGE:
			k->value = inf == 0 ? (uint32_t)dw_cur_u16le(&nx) * 8 : dw_cur_u32le(&nx);
			break;
		case DW_UWOP_ALLOC_SMALL:
			k->value = ((uint32_t)inf + 1) * 8;
			break;
		case DW_UWOP_SAVE_NONVOL:
			k->value = (uint32_t)dw_cur_u16le(&nx) * 8;
			break;
		case DW_UWOP_SAVE_XMM128:
			k->value = (uint32_t)dw_cur_u16le(&nx) * 16;
			break;
		case DW_UWOP_SAVE_NONVOL_FAR:
		case DW_UWOP_SAVE_XMM128_FAR:
			k->value = dw_cur_u32le(&nx);
			break;
		case DW_UWOP_PUSH_MACHFRAME:
			k->value = inf != 0;
			break;
		default:
			break;
		}
		i += used;
	}
	if (ui->flags & DW_UNW_FLAG_CHAININFO) {
		(void)dw_cur_u32le(&c);
		(void)dw_cur_u32le(&c);
		ui->chain_unwind_rva = dw_cur_u32le(&c);
		if (c.err != DW_OK)
			return DW_ECORRUPT;
		ui->chained = true;
	}
	return DW_OK;
}

static void
apply(state *s, const info *ui, uint32_t prolog_off)
{
	loc  frame  = s->sp;
	bool has_fp = false;
	for (size_t i = 0; i < ui->ncodes; i++) {
		if (ui->codes[i].op == DW_UWOP_SET_FPREG && ui->codes[i].po <= prolog_off &&
		    ui->frame_reg != 0)
			has_fp = true;
	}
	if (has_fp) {
		frame.reg = ui->frame_reg;
		frame.off = -16 * (int64_t)ui->frame_offset;
	}
	for (size_t i = 0; i < ui->ncodes && !s->machframe; i++) {
		const code *k = &ui->codes[i];
		if (k->po > prolog_off)
			continue;
		switch (k->op) {
		case DW_UWOP_PUSH_NONVOL:
			save(s, k->info, s->sp);
			s->sp.off += 8;
			s->rsp_only += 8;
			break;
		case DW_UWOP_ALLOC_LARGE:
		case DW_UWOP_ALLOC_SMALL:
			s->sp.off += k->value;
			s->rsp_only += k->value;
			break;
		case DW_UWOP_SET_FPREG:
			if (has_fp)
				s->sp = frame;
			break;
		case DW_UWOP_SAVE_NONVOL:
		case DW_UWOP_SAVE_NONVOL_FAR:
			save(s, k->info, (loc){frame.reg, frame.off + k->value});
			break;
		case DW_UWOP_SAVE_XMM128:
		case DW_UWOP_SAVE_XMM128_FAR:
			save(s, (uint8_t)(DW_X64_XMM0 + k->info), (loc){frame.reg, frame.off + k->value});
			break;
		case DW_UWOP_PUSH_MACHFRAME:
			s->sp.off += k->value ? 8 : 0;
			s->rsp_only += k->value ? 8 : 0;
			s->machframe     = true;
			s->machframe_rsp = s->sp.off + 24;
			break;
		default:
			break;
		}
	}
}

dw_err
dw_symtab_x64_rule(dw_unwind_rule *out, const dw_symtab *t, uint32_t rva, unsigned flags)
{
	memset(out, 0, sizeof(*out));
	dw_symtab_x64 f;
	dw_err        rv = dw_symtab_x64_find(t, rva, &f);
	if (rv != DW_OK)
		return rv;
	if (f.info == NULL)
		return DW_ECORRUPT;
	state    s  = {.sp = {DW_X64_RSP, 0}};
	uint32_t po = (flags & DW_PE_RULE_BODY) ? UINT32_MAX : rva - f.begin;

	uint32_t       seen[DW_MAX_PE_UNWIND_CHAIN + 1];
	size_t         nseen = 0;
	const uint8_t *bytes = f.info;
	size_t         len   = f.info_len;
	uint32_t       at    = f.unwind_rva;
	info           ui;
	for (;;) {
		for (size_t i = 0; i < nseen; i++) {
			if (seen[i] == at)
				return DW_ECORRUPT; // chain loop (cfi_chained_loop.exe)
		}
		if (nseen == DW_MAX_PE_UNWIND_CHAIN + 1)
			return DW_ELIMIT;
		seen[nseen++] = at;
		if (decode(&ui, bytes, len) != DW_OK)
			return DW_ECORRUPT;
		apply(&s, &ui, nseen == 1 ? po : UINT32_MAX);
		if (s.machframe || !ui.chained)
			break;
		at = ui.chain_unwind_rva;
		if (dw_symtab_x64_info(t, at, &bytes, &len) != DW_OK)
			return DW_ECORRUPT;
	}
	out->func_begin  = f.begin;
	out->func_end    = f.end;
	out->chain_depth = (uint8_t)(nseen - 1);
	int64_t cfa_off  = s.sp.off + 8;
	if (cfa_off > INT32_MAX || cfa_off < INT32_MIN || s.rsp_only + 8 > INT32_MAX)
		return DW_ECORRUPT;
	out->cfa_reg        = s.sp.reg;
	out->cfa_offset     = (int32_t)cfa_off;
	out->ra_offset      = -8;
	out->rsp_cfa_offset = (int32_t)(s.rsp_only + 8);
	if (s.machframe) {
		out->machframe    = true;
		out->rsp_from_cfa = (int32_t)(s.machframe_rsp - cfa_off);
	}
	for (size_t i = 0; i < s.nsaved; i++) {
		if (s.saved_at[i].reg != s.sp.reg)
			continue;
		int64_t rel = s.saved_at[i].off - cfa_off;
		if (rel > INT32_MAX || rel < INT32_MIN)
			continue;
		out->saved[out->nsaved].reg        = s.saved_reg[i];
		out->saved[out->nsaved].cfa_offset = (int32_t)rel;
		out->nsaved++;
	}
	return DW_OK;
}

static const char *const reg_names[16] = {
    "$rax", "$rcx", "$rdx", "$rbx", "$rsp", "$rbp", "$rsi", "$rdi",
    "$r8",  "$r9",  "$r10", "$r11", "$r12", "$r13", "$r14", "$r15",
};

// Appends to out at *pos, keeping snprintf's "length needed" accounting.
static void put(char *out, size_t cap, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
put(char *out, size_t cap, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(*pos < cap ? out + *pos : NULL, *pos < cap ? cap - *pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += (size_t)n;
}

size_t
dw_unwind_rule_format(char *out, size_t cap, const dw_unwind_rule *r)
{
	size_t pos = 0;
	if (cap > 0)
		out[0] = 0;
	// dump_syms states the CFA through RSP even for frame-register functions
	// (valid after the prolog without alloca): `.cfa: $rsp 128 +`.
	put(out, cap, &pos, ".cfa: $rsp %lld +", (long long)r->rsp_cfa_offset);
	put(out, cap, &pos, " .ra: .cfa %lld - ^", -(long long)r->ra_offset);
	if (r->machframe)
		put(out, cap, &pos, " $rsp: .cfa %lld + ^", (long long)r->rsp_from_cfa);
	for (size_t i = 0; i < r->nsaved; i++) {
		uint8_t reg = r->saved[i].reg;
		char    name[8];
		if (reg < 16)
			snprintf(name, sizeof(name), "%s", reg_names[reg]);
		else
			snprintf(name, sizeof(name), "$xmm%u", (unsigned)(reg - 16) & 15u);
		// CFA offsets relative to the CFA the rule names; with a frame
		// register the register-relative CFA equals the RSP-relative one.
		long long off = r->saved[i].cfa_offset;
		if (off <= 0)
			put(out, cap, &pos, " %s: .cfa %lld - ^", name, -off);
		else
			put(out, cap, &pos, " %s: .cfa %lld + ^", name, off);
	}
	return pos;
}
