// symbols/symtab_unwind.c - the x64 unwind rule at an address, derived from
// the RUNTIME_FUNCTION and UNWIND_INFO bytes a compiled table stores, and its
// Breakpad STACK CFI spelling.
//
// The rule itself is dw_unwind_rule_derive (symbols/pe_unwind.c), the same
// derivation dw_pe_unwind_rule uses; this file only decodes the table's raw
// UNWIND_INFO bytes into its records. tests/symbols/symbols_compare_test.c
// checks the two paths agree at every function of the corpus x64 images. Layouts: Microsoft
// "x64 exception handling" (UNWIND_INFO, UNWIND_CODE); version 2 epilog codes
// as pe_unwind.c infers them (they lead the code array and never change the
// prolog state).
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cur.h"
#include "common/limits.h"
#include "symbols/symtab_from.h"

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

// One UNWIND_INFO decoded into the PE reader's record, with room for the
// most codes an UNWIND_INFO can hold (its count is a byte).
typedef struct info {
	dw_pe_unwind_info ui;
	dw_pe_unwind_code codes[256];
} info;

static dw_err
decode(info *h, uint32_t rva, const uint8_t *bytes, size_t len)
{
	dw_pe_unwind_info *ui = &h->ui;
	memset(ui, 0, sizeof(*ui));
	ui->rva   = rva;
	ui->codes = h->codes;
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
		dw_pe_unwind_code *k = &h->codes[ui->ncodes++];
		*k = (dw_pe_unwind_code){.prolog_offset = slots[2 * i], .op = op, .info = inf};
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

// Chained records of a table's function: decoded from the bytes the table
// keeps for each UNWIND_INFO RVA, into one reused buffer.
typedef struct chain_reader {
	const dw_symtab *table;
	info             buf;
} chain_reader;

static const dw_pe_unwind_info *
table_chain_next(const dw_pe_unwind_info *cur, void *arg)
{
	chain_reader  *r  = arg;
	uint32_t       at = cur->chain_unwind_rva;
	const uint8_t *bytes;
	size_t         len;
	if (dw_symtab_x64_info(r->table, at, &bytes, &len) != DW_OK ||
	    decode(&r->buf, at, bytes, len) != DW_OK)
		return NULL;
	return &r->buf.ui;
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
	// Two 256-code buffers (the first record and the chain) are too big for
	// a stack frame; this is the .sym writer's and `symbols lookup`'s path,
	// not the unwinder's.
	struct {
		chain_reader r;
		info         first;
	} *w = malloc(sizeof(*w));
	if (w == NULL)
		return DW_ENOMEM;
	w->r.table  = t;
	uint32_t po = (flags & DW_PE_RULE_BODY) ? UINT32_MAX : rva - f.begin;
	rv          = decode(&w->first, f.unwind_rva, f.info, f.info_len) != DW_OK
	                  ? DW_ECORRUPT
	                  : dw_unwind_rule_derive(out, &w->first.ui, table_chain_next, &w->r,
	                                          f.begin, f.end, po);
	free(w);
	return rv;
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
