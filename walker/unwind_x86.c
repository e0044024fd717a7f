// walker/unwind_x86.c - x86 unwinding from STACK WIN records (frame data
// programs and FPO), Breakpad STACK CFI rules (either CPU), and EBP chains;
// the postfix evaluator both kinds of rule use.
//
// STACK WIN semantics follow Breakpad's processor (stackwalker_x86.cc), the
// de-facto definition of what dump_syms writes: the program runs with $ebp,
// $esp (and $ebx $esi $edi where known) and the constants .cbCalleeParams,
// .cbSavedRegs, .cbLocals, .cbParams, .raSearch/.raSearchStart; it must set
// $eip and $esp. Records without a program (FPO, type 0) get a synthetic one.
// Breakpad's fixes for FPO'd system code are kept: up to three words above
// .raSearchStart are tried for a real return address (stack realigned to 8),
// a caller IP outside every module triggers a scan from .raSearchStart + 4,
// and an unreadable recovered EBP is searched for in the saved-register area.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "walker/unwind_int.h"

#define X86_EAX 0
#define X86_EBX 3
#define X86_ESP 4
#define X86_EBP 5
#define X86_ESI 6
#define X86_EDI 7
#define X86_EIP 8

// ---- Postfix evaluator ----------------------------------------------------

void
dw_pf__set(dw_pf *pf, const char *name, uint64_t v, bool by_program)
{
	if (pf->width == 4)
		v &= 0xffffffffu;
	for (size_t i = 0; i < pf->nvars; i++)
		if (strcmp(pf->vars[i].name, name) == 0) {
			pf->vars[i].value = v;
			pf->vars[i].set_by_program |= by_program;
			return;
		}
	if (pf->nvars == DW_PF_MAX_VARS || strlen(name) >= sizeof(pf->vars[0].name))
		return;
	dw_pf_var *x = &pf->vars[pf->nvars++];
	snprintf(x->name, sizeof(x->name), "%s", name);
	x->value          = v;
	x->set_by_program = by_program;
}

bool
dw_pf__get(const dw_pf *pf, const char *name, uint64_t *v, bool *by_program)
{
	for (size_t i = 0; i < pf->nvars; i++)
		if (strcmp(pf->vars[i].name, name) == 0) {
			*v = pf->vars[i].value;
			if (by_program != NULL)
				*by_program = pf->vars[i].set_by_program;
			return true;
		}
	return false;
}

typedef struct pf_item {
	bool     is_name;
	char     name[24];
	uint64_t value;
} pf_item;

static bool
pf_value(const dw_pf *pf, const pf_item *it, uint64_t *v)
{
	if (!it->is_name) {
		*v = it->value;
		return true;
	}
	return dw_pf__get(pf, it->name, v, NULL);
}

static bool
parse_number(const char *t, size_t n, uint64_t *out)
{
	char buf[32];
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, t, n);
	buf[n]    = 0;
	char *end = NULL;
	bool  neg = buf[0] == '-';
	unsigned long long v = strtoull(buf + (neg ? 1 : 0), &end, 0);
	if (end == buf + (neg ? 1 : 0) || *end != 0)
		return false;
	*out = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	return true;
}

dw_uw_res
dw_pf__run(dw_pf *pf, const char *prog, bool expr, uint64_t *result)
{
	pf_item     st[DW_MAX_POSTFIX_STACK];
	size_t      sp     = 0;
	size_t      ntok   = 0;
	uint64_t    mask   = pf->width == 4 ? 0xffffffffu : UINT64_MAX;
	const char *p      = prog;
	while (*p != 0) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == 0)
			break;
		const char *t = p;
		// MSVC writes some programs without a space after an assignment
		// ("$T0 $ebp 204 + =$eip $T0 4 + ^ ="): '=' always ends a token.
		if (*p == '=')
			p++;
		else
			while (*p != 0 && *p != ' ' && *p != '\t' && *p != '=')
				p++;
		size_t n = (size_t)(p - t);
		if (++ntok > DW_MAX_POSTFIX_TOKENS)
			return DW_UW_BAD;
		if (n == 1 && strchr("+-*/%@", t[0]) != NULL) {
			uint64_t a, b;
			if (sp < 2 || !pf_value(pf, &st[sp - 2], &a) || !pf_value(pf, &st[sp - 1], &b))
				return DW_UW_BAD;
			uint64_t r = 0;
			switch (t[0]) {
			case '+': r = a + b; break;
			case '-': r = a - b; break;
			case '*': r = a * b; break;
			case '/':
				if ((b & mask) == 0)
					return DW_UW_BAD;
				r = (a & mask) / (b & mask);
				break;
			case '%':
				if ((b & mask) == 0)
					return DW_UW_BAD;
				r = (a & mask) % (b & mask);
				break;
			case '@': // align down: a @ b == a & ~(b - 1), b a power of two
				if ((b & mask) == 0 || (b & (b - 1)) != 0)
					return DW_UW_BAD;
				r = a & ~(b - 1);
				break;
			}
			sp -= 2;
			st[sp].is_name = false;
			st[sp].value   = r & mask;
			sp++;
		} else if (n == 1 && t[0] == '^') {
			uint64_t a, v = 0;
			if (sp < 1 || !pf_value(pf, &st[sp - 1], &a))
				return DW_UW_BAD;
			if (pf->width == 4) {
				uint32_t w;
				if (!dw_uw__read_u32(pf->u, a & mask, &w))
					return DW_UW_NOMEM;
				v = w;
			} else if (!dw_uw__read_u64(pf->u, a, &v)) {
				return DW_UW_NOMEM;
			}
			st[sp - 1].is_name = false;
			st[sp - 1].value   = v;
		} else if (n == 1 && t[0] == '=') {
			uint64_t v;
			if (expr || sp < 2 || !st[sp - 2].is_name || !pf_value(pf, &st[sp - 1], &v))
				return DW_UW_BAD;
			dw_pf__set(pf, st[sp - 2].name, v, true);
			sp -= 2;
		} else {
			if (sp == DW_MAX_POSTFIX_STACK)
				return DW_UW_BAD;
			pf_item *it = &st[sp];
			if (t[0] == '$' || t[0] == '.') {
				if (n >= sizeof(it->name))
					return DW_UW_BAD;
				it->is_name = true;
				memcpy(it->name, t, n);
				it->name[n] = 0;
			} else {
				it->is_name = false;
				if (!parse_number(t, n, &it->value))
					return DW_UW_BAD;
				it->value &= mask;
			}
			sp++;
		}
	}
	if (expr) {
		uint64_t v;
		if (sp != 1 || !pf_value(pf, &st[0], &v))
			return DW_UW_BAD;
		*result = v & mask;
		return DW_UW_DONE;
	}
	return sp == 0 ? DW_UW_DONE : DW_UW_BAD;
}

// ---- STACK CFI -------------------------------------------------------------

static void
pf_load_regs(dw_pf *pf, const dw_context *ctx)
{
	size_t n = dw_context_reg_count(ctx);
	for (size_t i = 0; i < n; i++) {
		uint64_t v;
		char     name[24];
		if (!dw_context_reg_get(ctx, i, &v))
			continue;
		snprintf(name, sizeof(name), "$%s", dw_context_reg_name(ctx, i));
		dw_pf__set(pf, name, v, false);
	}
}

dw_uw_res
dw_uw__cfi_step(dw_uw *u, const dw_context *ctx, uint64_t lookup, dw_context *caller)
{
	dw_uw_module *m = dw_uw__module_at(u, lookup, ctx->cpu);
	void         *h = m != NULL ? dw_uw__handle(u, m) : NULL;
	if (h == NULL || u->src->ops->cfi_find == NULL)
		return DW_UW_NORULE;
	dw_symsrc_cfi *cfi = malloc(sizeof(*cfi));
	if (cfi == NULL)
		return DW_UW_NORULE;
	dw_uw_res r = DW_UW_NORULE;
	if (u->src->ops->cfi_find(cfi, h, (uint32_t)(lookup - m->base), u->src->arg) != DW_OK)
		goto out;
	dw_pf pf = {.u = u, .width = dw_context_reg_width(ctx)};
	pf_load_regs(&pf, ctx);
	const char *cfa_e = NULL, *ra_e = NULL;
	for (size_t i = 0; i < cfi->nrules && i < DW_SYMSRC_MAX_CFI_RULES; i++) {
		if (cfi->rules[i].reg == NULL || cfi->rules[i].expr == NULL)
			continue;
		if (strcmp(cfi->rules[i].reg, ".cfa") == 0)
			cfa_e = cfi->rules[i].expr;
		else if (strcmp(cfi->rules[i].reg, ".ra") == 0)
			ra_e = cfi->rules[i].expr;
	}
	r = DW_UW_BAD;
	uint64_t cfa, ra;
	if (cfa_e == NULL || ra_e == NULL)
		goto out;
	if ((r = dw_pf__run(&pf, cfa_e, true, &cfa)) != DW_UW_DONE)
		goto out;
	dw_pf__set(&pf, ".cfa", cfa, false);
	if ((r = dw_pf__run(&pf, ra_e, true, &ra)) != DW_UW_DONE)
		goto out;
	*caller = *ctx;
	// Callee-saved registers the rules do not mention keep their values;
	// everything else is unknown in the caller.
	uint64_t keep = ctx->cpu == DW_CPU_AMD64
	                    ? (1ull << 3) | (1ull << 5) | (1ull << 6) | (1ull << 7) | (0xfull << 12)
	                    : (1ull << X86_EBX) | (1ull << X86_EBP) | (1ull << X86_ESI) |
	                          (1ull << X86_EDI);
	caller->valid &= keep;
	for (size_t i = 0; i < cfi->nrules && i < DW_SYMSRC_MAX_CFI_RULES; i++) {
		const char *reg = cfi->rules[i].reg;
		if (reg == NULL || reg[0] != '$' || cfi->rules[i].expr == NULL)
			continue;
		size_t   idx;
		uint64_t v;
		if (dw_context_reg_find(ctx, reg + 1, &idx) != DW_OK)
			continue;
		if (dw_pf__run(&pf, cfi->rules[i].expr, true, &v) != DW_UW_DONE) {
			caller->valid &= ~(1ull << idx);
			continue;
		}
		(void)dw_context_reg_set(caller, idx, v);
	}
	(void)dw_context_reg_set(caller, dw_context_ip_index(ctx), ra);
	(void)dw_context_reg_set(caller, dw_context_sp_index(ctx), cfa);
	r = DW_UW_DONE;
out:
	free(cfi);
	return r;
}

// ---- STACK WIN --------------------------------------------------------------

static bool
in_x86_module(dw_uw *u, uint64_t a)
{
	return dw_uw__module_at(u, a, DW_CPU_X86) != NULL;
}

dw_uw_res
dw_uw__x86_win_step(dw_uw *u, const dw_context *ctx, uint64_t lookup, uint32_t callee_params,
                    dw_context *caller, dw_trust *trust, uint32_t *param_size)
{
	*param_size      = 0;
	dw_uw_module *m  = dw_uw__module_at(u, lookup, DW_CPU_X86);
	void         *h  = m != NULL ? dw_uw__handle(u, m) : NULL;
	if (h == NULL || u->src->ops->win_find == NULL)
		return DW_UW_NORULE;
	uint32_t      rva = (uint32_t)(lookup - m->base);
	dw_symsrc_win w;
	memset(&w, 0, sizeof(w));
	if (u->src->ops->win_find(&w, h, DW_SYMSRC_WIN_FRAME_DATA, rva, u->src->arg) != DW_OK &&
	    u->src->ops->win_find(&w, h, DW_SYMSRC_WIN_FPO, rva, u->src->arg) != DW_OK)
		return DW_UW_NORULE;
	*param_size = w.param_size;

	const dw_context_x86 *x  = &ctx->x86;
	dw_pf                 pf = {.u = u, .width = 4};
	dw_pf__set(&pf, "$ebp", x->ebp, false);
	dw_pf__set(&pf, "$esp", x->esp, false);
	if (ctx->valid & (1ull << X86_EBX))
		dw_pf__set(&pf, "$ebx", x->ebx, false);
	if (ctx->valid & (1ull << X86_ESI))
		dw_pf__set(&pf, "$esi", x->esi, false);
	if (ctx->valid & (1ull << X86_EDI))
		dw_pf__set(&pf, "$edi", x->edi, false);
	dw_pf__set(&pf, ".cbCalleeParams", callee_params, false);
	dw_pf__set(&pf, ".cbSavedRegs", w.saved_regs_size, false);
	dw_pf__set(&pf, ".cbLocals", w.locals_size, false);
	dw_pf__set(&pf, ".cbParams", w.param_size, false);
	uint32_t ra_start = (uint32_t)(x->esp + callee_params + w.locals_size + w.saved_regs_size);
	// The stack may have been realigned to 8 bytes: try three more words.
	for (uint32_t i = 0; i < 4; i++) {
		uint32_t v;
		if (dw_uw__read_u32(u, ra_start + 4 * i, &v) && dw_uw__plausible_ra(u, DW_CPU_X86, v)) {
			ra_start += 4 * i;
			break;
		}
	}
	dw_pf__set(&pf, ".raSearchStart", ra_start, false);
	dw_pf__set(&pf, ".raSearch", ra_start, false);

	const char *prog;
	bool        recover_ebp = true;
	if (w.has_program && w.program != NULL)
		prog = w.program;
	else if (w.allocates_base_pointer)
		prog = "$eip .raSearchStart ^ = $ebp $esp .cbCalleeParams + .cbSavedRegs + 8 - ^ = "
		       "$esp .raSearchStart 4 + =";
	else {
		prog        = "$eip .raSearchStart ^ = $esp .raSearchStart 4 + =";
		recover_ebp = false;
	}
	uint64_t  eip, esp, ebp;
	bool      set_eip = false, set_esp = false;
	dw_uw_res r = dw_pf__run(&pf, prog, false, NULL);
	if (r != DW_UW_DONE || !dw_pf__get(&pf, "$eip", &eip, &set_eip) || !set_eip ||
	    !dw_pf__get(&pf, "$esp", &esp, &set_esp) || !set_esp)
		return r == DW_UW_NOMEM ? DW_UW_NOMEM : DW_UW_BAD;
	(void)dw_pf__get(&pf, "$ebp", &ebp, NULL);
	*trust = DW_TRUST_CFI;

	if (eip != 0 || ebp != 0) {
		uint32_t offset = 0;
		if (!in_x86_module(u, eip)) {
			uint64_t at, ra;
			if (dw_uw__scan(u, DW_CPU_X86, (uint64_t)ra_start + 4, DW_MAX_SCAN_WORDS_UNVERIFIED, &at,
			                &ra)) {
				eip    = ra;
				esp    = at + 4;
				offset = (uint32_t)(at - ((uint64_t)ra_start + 4));
				*trust = DW_TRUST_CFI_SCAN;
			}
		}
		uint32_t probe;
		if (recover_ebp && !dw_uw__read_u32(u, ebp, &probe)) {
			// Frame data for FPO'd code does not always restore EBP (MSVC
			// /LTCG reports 0 saved-register bytes): take the highest word
			// of the saved-register area that points into readable memory.
			uint32_t lo = (uint32_t)(x->esp + callee_params);
			uint32_t hi = lo + w.saved_regs_size + offset;
			for (uint32_t a = hi, i = 0; a >= lo && i < 1024; a -= 4, i++) {
				uint32_t cand;
				if (!dw_uw__read_u32(u, a, &cand))
					break;
				if (dw_uw__read_u32(u, cand, &probe)) {
					ebp = cand;
					break;
				}
				if (a < 4)
					break;
			}
		}
	}
	*caller       = *ctx;
	caller->valid = 0;
	(void)dw_context_reg_set(caller, X86_EIP, eip);
	(void)dw_context_reg_set(caller, X86_ESP, esp);
	(void)dw_context_reg_set(caller, X86_EBP, ebp);
	static const char *const nv[] = {"$ebx", "$esi", "$edi"};
	static const size_t      ni[] = {X86_EBX, X86_ESI, X86_EDI};
	for (size_t i = 0; i < 3; i++) {
		uint64_t v;
		bool     byp = false;
		if (dw_pf__get(&pf, nv[i], &v, &byp) && byp)
			(void)dw_context_reg_set(caller, ni[i], v);
	}
	return DW_UW_DONE;
}

dw_uw_res
dw_uw__x86_fp_step(dw_uw *u, const dw_context *ctx, dw_context *caller)
{
	if (!(ctx->valid & (1ull << X86_EBP)))
		return DW_UW_NORULE;
	uint32_t ebp = ctx->x86.ebp, saved, ra;
	if (ebp == 0 || (uint64_t)ebp + 8 > UINT32_MAX)
		return DW_UW_NORULE;
	if (!dw_uw__read_u32(u, ebp, &saved) || !dw_uw__read_u32(u, (uint64_t)ebp + 4, &ra))
		return DW_UW_NOMEM;
	*caller       = *ctx;
	caller->valid = 0;
	(void)dw_context_reg_set(caller, X86_EIP, ra);
	(void)dw_context_reg_set(caller, X86_ESP, (uint64_t)ebp + 8);
	(void)dw_context_reg_set(caller, X86_EBP, saved);
	return DW_UW_DONE;
}

// ---- Epilog of the context frame ---------------------------------------------
//
// A thread suspended inside a system call sits on the stub's `ret`: Wine's
// i386 ntdll stubs are `mov eax, N; mov edx, dispatcher; call edx; ret 4*args`
// and the context's EIP is that `ret 14h` (NtWaitForMultipleObjects) with ESP
// on the stub's return address. The stub keeps no frame, so EBP is its
// caller's: following it (or STACK WIN data, which describes the body, not
// the epilog) skips the caller, here kernelbase's WaitForMultipleObjectsEx.
// When the instructions from EIP run straight to a RET they are simply
// executed; the result is the caller's exact register state.
dw_uw_res
dw_uw__x86_epilog_step(dw_uw *u, const dw_context *ctx, dw_context *caller)
{
	if (ctx->cpu != DW_CPU_X86 || u->dis == NULL || !(ctx->valid & (1ull << X86_ESP)) ||
	    !(ctx->valid & (1ull << X86_EIP)))
		return DW_UW_NORULE;
	uint8_t  code[64];
	uint64_t ip = ctx->x86.eip;
	size_t   n  = dw_uw__read_code(u, ip, code, sizeof(code));
	if (n == 0)
		return DW_UW_NORULE;
	dw_dis_epi_step steps[DW_DIS_EPI_MAX];
	size_t          ns = 0;
	if (!dw_dis_x86_epilog(u->dis, code, n, ip, steps, &ns))
		return DW_UW_NORULE;
	dw_context c  = *ctx;
	uint64_t   sp = c.x86.esp;
	for (size_t i = 0; i < ns; i++) {
		uint32_t v;
		uint64_t base;
		switch (steps[i].op) {
		case DW_DIS_EPI_ADD_RSP:
			sp = (sp + (uint64_t)steps[i].value) & 0xffffffffu;
			break;
		case DW_DIS_EPI_LEA_RSP:
			if (!dw_context_reg_get(&c, steps[i].reg, &base))
				return DW_UW_BAD;
			sp = (base + (uint64_t)steps[i].value) & 0xffffffffu;
			break;
		case DW_DIS_EPI_POP:
			if (!dw_uw__read_u32(u, sp, &v))
				return DW_UW_NOMEM;
			(void)dw_context_reg_set(&c, steps[i].reg, v);
			sp += 4;
			break;
		case DW_DIS_EPI_RET:
			if (!dw_uw__read_u32(u, sp, &v))
				return DW_UW_NOMEM;
			(void)dw_context_reg_set(&c, X86_EIP, v);
			sp += 4 + (uint64_t)(steps[i].value & 0xffff);
			break;
		case DW_DIS_EPI_JMP: // not produced for x86
			return DW_UW_BAD;
		}
	}
	(void)dw_context_reg_set(&c, X86_ESP, sp);
	*caller = c;
	return DW_UW_DONE;
}
