// symbols/pe_unwind.c - x64 exception data: RUNTIME_FUNCTIONs from .pdata,
// their UNWIND_INFO records from .xdata, and the unwind rule at an address.
//
// Layouts: Microsoft "x64 exception handling" (RUNTIME_FUNCTION, UNWIND_INFO,
// UNWIND_CODE, chained unwind info) and pecoff "The .pdata Section". Version 2
// UNWIND_INFO and UWOP_EPILOG are undocumented; the encoding used here (each
// UWOP_EPILOG one slot, leading the array; the first gives the epilog size in
// CodeOffset and "an epilog ends the function" in bit 0 of OpInfo, the others
// give an epilog start as CodeOffset | OpInfo << 8 bytes before the function
// end, 0 being padding) is inferred from published analyses of Windows 10
// binaries (certainty: medium; the prolog codes after them are unaffected).
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "symbols/pe_int.h"

// RUNTIME_FUNCTION.UnwindData with bit 0 set points at another
// RUNTIME_FUNCTION whose unwind data is shared (RUNTIME_FUNCTION_INDIRECT).
#define RF_INDIRECT 0x1u

// ---- a temporary map unwind-info RVA -> parsed record, used while opening ----

typedef struct info_map {
	uint32_t           *keys; // rva + 1; 0 is empty
	dw_pe_unwind_info **vals;
	size_t              cap, n;
} info_map;

static size_t
map_slot(const info_map *m, uint32_t rva)
{
	size_t h = ((size_t)rva * 0x9e3779b1u) & (m->cap - 1);
	while (m->keys[h] != 0 && m->keys[h] != rva + 1u)
		h = (h + 1) & (m->cap - 1);
	return h;
}

static dw_err
map_grow(info_map *m)
{
	info_map g = {0};
	g.cap      = m->cap ? m->cap * 2 : 1024;
	g.keys     = calloc(g.cap, sizeof(*g.keys));
	g.vals     = calloc(g.cap, sizeof(*g.vals));
	if (g.keys == NULL || g.vals == NULL) {
		free(g.keys);
		free(g.vals);
		return DW_ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i] != 0) {
			size_t h  = map_slot(&g, m->keys[i] - 1u);
			g.keys[h] = m->keys[i];
			g.vals[h] = m->vals[i];
			g.n++;
		}
	}
	free(m->keys);
	free(m->vals);
	*m = g;
	return DW_OK;
}

// ---- UNWIND_INFO ----

// Slots each operation occupies (x64 exception handling, "Unwind operation
// code"); 6 and 7 are version 1's SAVE_XMM / SAVE_XMM_FAR, long obsolete.
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

static dw_err
parse_info(dw_pe *pe, uint32_t rva, dw_pe_unwind_info **out)
{
	*out = NULL;
	dw_cur c;
	if (dw_pe__rva_tail(&c, pe, rva) != DW_OK)
		return dw_fail(&pe->notes, DW_ETRUNC, "PE unwind: UNWIND_INFO at RVA 0x%x outside the "
		               "image data", rva);
	uint8_t vf     = dw_cur_u8(&c);
	uint8_t prolog = dw_cur_u8(&c);
	uint8_t nslots = dw_cur_u8(&c);
	uint8_t frame  = dw_cur_u8(&c);
	if (c.err != DW_OK)
		return dw_fail(&pe->notes, DW_ETRUNC, "PE unwind: UNWIND_INFO at RVA 0x%x truncated", rva);
	dw_pe_unwind_info *ui = dw_arena_alloc(&pe->arena, sizeof(*ui));
	if (ui == NULL)
		return DW_ENOMEM;
	ui->rva          = rva;
	ui->version      = vf & 7;
	ui->flags        = vf >> 3;
	ui->prolog_size  = prolog;
	ui->nslots       = nslots;
	ui->frame_reg    = frame & 15;
	ui->frame_offset = frame >> 4;
	if (ui->version != 1 && ui->version != 2)
		return dw_fail(&pe->notes, DW_EUNSUPPORTED, "PE unwind: UNWIND_INFO at RVA 0x%x has "
		               "version %u", rva, ui->version);
	size_t         aligned = ((size_t)nslots + 1) & ~(size_t)1;
	const uint8_t *slots   = dw_cur_bytes(&c, aligned * 2);
	if (slots == NULL)
		return dw_fail(&pe->notes, DW_ETRUNC, "PE unwind: %u unwind codes at RVA 0x%x truncated",
		               nslots, rva);

	dw_pe_unwind_code *codes  = dw_arena_array(&pe->arena, nslots ? nslots : 1, sizeof(*codes));
	uint16_t          *epilog = dw_arena_array(&pe->arena, (size_t)nslots + 1, sizeof(*epilog));
	if (codes == NULL || epilog == NULL)
		return DW_ENOMEM;
	size_t ncodes = 0, nep = 0, i = 0;
	// Version 2 epilog codes lead the array.
	if (ui->version == 2 && nslots > 0 && (slots[1] & 15) == DW_UWOP_EPILOG) {
		ui->epilog_size   = slots[0];
		ui->epilog_at_end = (slots[1] >> 4) & 1;
		if (ui->epilog_at_end)
			epilog[nep++] = ui->epilog_size;
		for (i = 1; i < nslots && (slots[2 * i + 1] & 15) == DW_UWOP_EPILOG; i++) {
			uint16_t off = (uint16_t)(slots[2 * i] | ((slots[2 * i + 1] >> 4) << 8));
			if (off != 0)
				epilog[nep++] = off;
		}
	}
	while (i < nslots) {
		uint8_t  po   = slots[2 * i];
		uint8_t  op   = slots[2 * i + 1] & 15;
		uint8_t  inf  = slots[2 * i + 1] >> 4;
		unsigned used = op_slots(op, inf);
		if (op > DW_UWOP_PUSH_MACHFRAME || (op == DW_UWOP_ALLOC_LARGE && inf > 1) ||
		    i + used > nslots) {
			dw_fail(&pe->notes, DW_ECORRUPT, "PE unwind: UNWIND_INFO at RVA 0x%x: code %zu "
			        "(op %u info %u) invalid or past the %u slots", rva, i, op, inf, nslots);
			break;
		}
		const uint8_t     *nx = slots + 2 * (i + 1);
		dw_pe_unwind_code *uc = &codes[ncodes++];
		uc->prolog_offset     = po;
		uc->op                = op;
		uc->info              = inf;
		switch (op) {
		case DW_UWOP_ALLOC_LARGE:
			uc->value = inf == 0 ? (uint32_t)dw_get_u16le(nx) * 8 : dw_get_u32le(nx);
			break;
		case DW_UWOP_ALLOC_SMALL:
			uc->value = ((uint32_t)inf + 1) * 8;
			break;
		case DW_UWOP_SAVE_NONVOL:
			uc->value = (uint32_t)dw_get_u16le(nx) * 8;
			break;
		case DW_UWOP_SAVE_XMM128:
			uc->value = (uint32_t)dw_get_u16le(nx) * 16;
			break;
		case DW_UWOP_SAVE_NONVOL_FAR:
		case DW_UWOP_SAVE_XMM128_FAR:
			uc->value = dw_get_u32le(nx);
			break;
		case DW_UWOP_PUSH_MACHFRAME:
			uc->value = inf != 0;
			break;
		default:
			break;
		}
		i += used;
	}
	ui->codes    = codes;
	ui->ncodes   = ncodes;
	ui->epilogs  = epilog;
	ui->nepilogs = nep;

	// What follows the codes: a chained RUNTIME_FUNCTION, or a handler RVA
	// and the handler's own data (whose length only the handler knows, so
	// nothing after it is read).
	if (ui->flags & DW_UNW_FLAG_CHAININFO) {
		if (ui->flags & (DW_UNW_FLAG_EHANDLER | DW_UNW_FLAG_UHANDLER))
			dw_remark(&pe->notes, "PE unwind: UNWIND_INFO at RVA 0x%x has both chain and "
			          "handler flags; treated as chained", rva);
		ui->chain_begin      = dw_cur_u32le(&c);
		ui->chain_end        = dw_cur_u32le(&c);
		ui->chain_unwind_rva = dw_cur_u32le(&c);
		if (c.err != DW_OK)
			return dw_fail(&pe->notes, DW_ETRUNC, "PE unwind: chained entry of UNWIND_INFO at "
			               "RVA 0x%x truncated", rva);
		ui->chained = true;
	} else if (ui->flags & (DW_UNW_FLAG_EHANDLER | DW_UNW_FLAG_UHANDLER)) {
		ui->handler_rva      = dw_cur_u32le(&c);
		ui->handler_data_rva = rva + 4 + (uint32_t)aligned * 2 + 4;
		if (c.err != DW_OK)
			return dw_fail(&pe->notes, DW_ETRUNC, "PE unwind: handler of UNWIND_INFO at RVA "
			               "0x%x truncated", rva);
	}
	*out = ui;
	return DW_OK;
}

// Returns the parsed record at rva, parsing it on first sight. *out is NULL
// (noted) when unreadable.
static dw_err
info_get(dw_pe *pe, info_map *m, uint32_t rva, dw_pe_unwind_info **out)
{
	*out = NULL;
	dw_err rv;
	size_t h = m->cap ? map_slot(m, rva) : 0;
	if (m->cap == 0 || m->keys[h] == 0) {
		if (m->n >= DW_MAX_PE_FUNCTIONS)
			return dw_fail(&pe->notes, DW_ELIMIT, "PE unwind: more than %u UNWIND_INFO records",
			               DW_MAX_PE_FUNCTIONS);
		if ((m->n + 1) * 2 > m->cap) {
			if ((rv = map_grow(m)) != DW_OK)
				return rv;
		}
		h = map_slot(m, rva);
		if ((rv = parse_info(pe, rva, &m->vals[h])) == DW_ENOMEM)
			return rv;
		m->keys[h] = rva + 1u;
		m->n++;
	}
	*out = m->vals[h];
	return DW_OK;
}

// Resolves UnwindData that points at another RUNTIME_FUNCTION.
static uint32_t
resolve_indirect(const dw_pe *pe, uint32_t unwind)
{
	for (int hop = 0; hop < 2 && (unwind & RF_INDIRECT); hop++) {
		dw_cur c;
		if (dw_pe__rva_window(&c, pe, (unwind & ~RF_INDIRECT) + 8, 4) != DW_OK)
			return 0;
		unwind = dw_cur_u32le(&c);
	}
	return unwind & ~RF_INDIRECT;
}

static int
cmp_function(const void *a, const void *b)
{
	const dw_pe_function *x = a, *y = b;
	return x->begin < y->begin ? -1 : x->begin > y->begin;
}

static dw_err
read_pdata(dw_pe *pe, info_map *m)
{
	const dw_pe_dir *d = &pe->hdr.dirs[DW_PE_DIR_EXCEPTION];
	if (d->rva == 0 || d->size == 0)
		return DW_OK;
	if (pe->hdr.machine != DW_PE_MACHINE_AMD64)
		return DW_OK; // x86 has none; ARM64 .pdata has another layout (not read)
	dw_cur c;
	if (dw_pe__rva_window(&c, pe, d->rva, d->size) != DW_OK) {
		dw_fail(&pe->notes, DW_ETRUNC, "PE unwind: .pdata (%u bytes at RVA 0x%x) unreadable",
		        d->size, d->rva);
		return DW_OK;
	}
	size_t n = d->size / DW_PE_RUNTIME_FUNC_SIZE;
	dw_err rv;
	if ((rv = dw_cur_count(&c, n, DW_PE_RUNTIME_FUNC_SIZE, DW_MAX_PE_FUNCTIONS)) != DW_OK) {
		dw_fail(&pe->notes, rv, "PE unwind: %zu RUNTIME_FUNCTIONs (cap %u)", n,
		        DW_MAX_PE_FUNCTIONS);
		return DW_OK;
	}
	dw_pe_function *f = dw_arena_array(&pe->arena, n ? n : 1, sizeof(*f));
	if (f == NULL)
		return DW_ENOMEM;
	size_t k = 0, empty = 0, past = 0;
	bool   sorted = true;
	for (size_t i = 0; i < n; i++) {
		uint32_t b = dw_cur_u32le(&c), e = dw_cur_u32le(&c), u = dw_cur_u32le(&c);
		if (b == 0 && e == 0 && u == 0)
			continue; // padding at the end of .pdata
		if (e <= b) {
			empty++;
			continue;
		}
		past += e > pe->hdr.size_of_image;
		if (k > 0 && b < f[k - 1].begin)
			sorted = false;
		f[k].begin      = b;
		f[k].end        = e;
		f[k].unwind_rva = u;
		k++;
	}
	if (empty != 0)
		dw_fail(&pe->notes, DW_ECORRUPT, "PE unwind: %zu RUNTIME_FUNCTIONs in .pdata at RVA 0x%x "
		        "have an empty range; skipped", empty, d->rva);
	// Kept: the code may still be found at those RVAs in a mapped image.
	if (past != 0)
		dw_remark(&pe->notes, "PE unwind: %zu RUNTIME_FUNCTIONs end past SizeOfImage 0x%x", past,
		          pe->hdr.size_of_image);
	if (!sorted) {
		dw_remark(&pe->notes, "PE unwind: .pdata at RVA 0x%x is not sorted; sorted a copy", d->rva);
		qsort(f, k, sizeof(*f), cmp_function);
	}
	size_t unreadable = 0;
	for (size_t i = 0; i < k; i++) {
		dw_pe_unwind_info *ui;
		uint32_t           u = resolve_indirect(pe, f[i].unwind_rva);
		if ((rv = info_get(pe, m, u, &ui)) == DW_ENOMEM)
			return rv;
		f[i].info = ui;
		unreadable += ui == NULL;
	}
	if (unreadable != 0)
		dw_remark(&pe->notes, "PE unwind: %zu of %zu functions without readable unwind info",
		          unreadable, k);
	// Resolve chains. A pass may parse records reachable only as chain
	// targets; passes repeat until none is new. The map's cap bounds the work
	// on crafted input.
	size_t before;
	do {
		before = m->n;
		for (size_t i = 0; i < m->cap; i++) {
			if (m->keys[i] == 0 || m->vals[i] == NULL || !m->vals[i]->chained ||
			    m->vals[i]->chain != NULL)
				continue;
			dw_pe_unwind_info *ui  = m->vals[i], *target;
			size_t             cap = m->cap;
			rv = info_get(pe, m, resolve_indirect(pe, ui->chain_unwind_rva), &target);
			if (rv != DW_OK)
				return rv == DW_ENOMEM ? rv : DW_OK;
			ui->chain = target; // NULL: the rule derivation reports the gap
			if (m->cap != cap)
				break; // rehashed: rescan
		}
	} while (m->n != before);
	pe->functions  = f;
	pe->nfunctions = k;
	return DW_OK;
}

dw_err
dw_pe__read_pdata(dw_pe *pe)
{
	info_map m  = {0};
	dw_err   rv = read_pdata(pe, &m);
	free(m.keys);
	free(m.vals);
	return rv;
}

// ---- lookup and rule derivation ----

const dw_pe_function *
dw_pe_function_find(const dw_pe *pe, uint32_t rva)
{
	size_t lo = 0, hi = pe->nfunctions;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pe->functions[mid].begin <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || rva >= pe->functions[lo - 1].end)
		return NULL;
	return &pe->functions[lo - 1];
}

// A location being tracked: base register + offset.
typedef struct loc {
	uint8_t reg;
	int64_t off;
} loc;

typedef struct rule_state {
	loc      sp;       // where the unwound RSP would be: reg + off
	int64_t  rsp_only; // the same, counting every push and allocation from RSP
	uint8_t  nsaved;
	uint8_t  saved_reg[DW_UNWIND_MAX_SAVED];
	loc      saved_at[DW_UNWIND_MAX_SAVED];
	bool     machframe;
	int64_t  machframe_rsp; // offset of the saved RSP from sp.reg
} rule_state;

static void
save(rule_state *s, uint8_t reg, loc where)
{
	for (size_t i = 0; i < s->nsaved; i++) {
		if (s->saved_reg[i] == reg)
			return; // the first code in unwind order is the one that restores it
	}
	if (s->nsaved < DW_UNWIND_MAX_SAVED) {
		s->saved_reg[s->nsaved]  = reg;
		s->saved_at[s->nsaved++] = where;
	}
}

// Applies one UNWIND_INFO's codes whose prolog offset is <= prolog_off, as
// RtlVirtualUnwind undoes them: in array order (the reverse of the prolog).
static void
apply_info(rule_state *s, const dw_pe_unwind_info *ui, uint32_t prolog_off)
{
	// SAVE_* offsets are from the frame base: the frame register minus
	// 16*FrameOffset once SET_FPREG has run, else RSP as it is now.
	loc  frame  = s->sp;
	bool has_fp = false;
	for (size_t i = 0; i < ui->ncodes; i++) {
		if (ui->codes[i].op == DW_UWOP_SET_FPREG && ui->codes[i].prolog_offset <= prolog_off &&
		    ui->frame_reg != 0)
			has_fp = true;
	}
	if (has_fp) {
		frame.reg = ui->frame_reg;
		frame.off = -16 * (int64_t)ui->frame_offset;
	}
	for (size_t i = 0; i < ui->ncodes && !s->machframe; i++) {
		const dw_pe_unwind_code *uc = &ui->codes[i];
		if (uc->prolog_offset > prolog_off)
			continue;
		switch (uc->op) {
		case DW_UWOP_PUSH_NONVOL:
			save(s, uc->info, s->sp);
			s->sp.off += 8;
			s->rsp_only += 8;
			break;
		case DW_UWOP_ALLOC_LARGE:
		case DW_UWOP_ALLOC_SMALL:
			s->sp.off += uc->value;
			s->rsp_only += uc->value;
			break;
		case DW_UWOP_SET_FPREG:
			if (has_fp)
				s->sp = frame;
			break;
		case DW_UWOP_SAVE_NONVOL:
		case DW_UWOP_SAVE_NONVOL_FAR:
			save(s, uc->info, (loc){frame.reg, frame.off + uc->value});
			break;
		case DW_UWOP_SAVE_XMM128:
		case DW_UWOP_SAVE_XMM128_FAR:
			save(s, (uint8_t)(DW_X64_XMM0 + uc->info), (loc){frame.reg, frame.off + uc->value});
			break;
		case DW_UWOP_PUSH_MACHFRAME:
			// RIP (after an optional error code), CS, EFLAGS, RSP, SS.
			s->sp.off += uc->value ? 8 : 0;
			s->rsp_only += uc->value ? 8 : 0;
			s->machframe     = true;
			s->machframe_rsp = s->sp.off + 24;
			break;
		default:
			break; // epilog and obsolete codes do not change the prolog state
		}
	}
}

static const dw_pe_unwind_info *
pe_chain_next(const dw_pe_unwind_info *cur, void *arg)
{
	(void)arg;
	return cur->chain;
}

dw_err
dw_pe_unwind_rule(dw_unwind_rule *out, const dw_pe *pe, uint32_t rva, unsigned flags)
{
	memset(out, 0, sizeof(*out));
	const dw_pe_function *f = dw_pe_function_find(pe, rva);
	if (f == NULL)
		return DW_ENOTFOUND;
	if (f->info == NULL)
		return DW_ECORRUPT;
	uint32_t po = (flags & DW_PE_RULE_BODY) ? UINT32_MAX : rva - f->begin;
	return dw_unwind_rule_derive(out, f->info, pe_chain_next, NULL, f->begin, f->end, po);
}

dw_err
dw_unwind_rule_derive(dw_unwind_rule *out, const dw_pe_unwind_info *first,
                      const dw_pe_unwind_info *(*next)(const dw_pe_unwind_info *cur, void *arg),
                      void *arg, uint32_t begin, uint32_t end, uint32_t po)
{
	memset(out, 0, sizeof(*out));
	rule_state s = {.sp = {DW_X64_RSP, 0}};

	uint32_t seen[DW_MAX_PE_UNWIND_CHAIN + 1];
	size_t   nseen = 0;
	for (const dw_pe_unwind_info *ui = first;;) {
		for (size_t i = 0; i < nseen; i++) {
			if (seen[i] == ui->rva)
				return DW_ECORRUPT; // chain loop (cfi_chained_loop.exe)
		}
		if (nseen == DW_MAX_PE_UNWIND_CHAIN + 1)
			return DW_ELIMIT;
		seen[nseen++] = ui->rva;
		// A chained record describes the parent function's prolog, which has
		// fully run by the time any of its fragments executes.
		apply_info(&s, ui, nseen == 1 ? po : UINT32_MAX);
		if (s.machframe || !ui->chained)
			break;
		if ((ui = next(ui, arg)) == NULL)
			return DW_ECORRUPT;
	}
	out->func_begin  = begin;
	out->func_end    = end;
	out->chain_depth = (uint8_t)(nseen - 1);
	// CFA: the RSP before the call, i.e. just above the return address.
	int64_t cfa_off = s.sp.off + 8;
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
			continue; // saved relative to a register the CFA is not based on
		int64_t rel = s.saved_at[i].off - cfa_off;
		if (rel > INT32_MAX || rel < INT32_MIN)
			continue;
		out->saved[out->nsaved].reg        = s.saved_reg[i];
		out->saved[out->nsaved].cfa_offset = (int32_t)rel;
		out->nsaved++;
	}
	return DW_OK;
}
