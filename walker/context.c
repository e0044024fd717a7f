// CPU contexts: decoding x86 and amd64 CONTEXT records, their XSTATE
// extension, and name/index access to registers.
#include "walker/context.h"

#include <stdio.h>
#include <string.h>

#include "common/limits.h"
#include "walker/dump_int.h"

// ---- Register tables --------------------------------------------------------

// Which ContextFlags group makes a register valid (winnt.h groups).
enum reg_group { G_CONTROL, G_INTEGER, G_SEGMENTS };

typedef struct reg_desc {
	const char *name;
	size_t      off;   // offsetof within the CPU's struct
	unsigned    width; // bytes of storage (2, 4 or 8)
	int         group;
} reg_desc;

#define X86(f, g) {#f, offsetof(dw_context_x86, f), 4, g}
static const reg_desc x86_regs[] = {
    X86(eax, G_INTEGER), X86(ecx, G_INTEGER), X86(edx, G_INTEGER), X86(ebx, G_INTEGER),
    X86(esp, G_CONTROL), X86(ebp, G_CONTROL), X86(esi, G_INTEGER), X86(edi, G_INTEGER),
    X86(eip, G_CONTROL), X86(eflags, G_CONTROL), X86(cs, G_CONTROL), X86(ds, G_SEGMENTS),
    X86(es, G_SEGMENTS), X86(fs, G_SEGMENTS), X86(gs, G_SEGMENTS), X86(ss, G_CONTROL),
};
#undef X86

#define A64G(n, i, g) {n, offsetof(dw_context_amd64, gpr) + 8 * (i), 8, g}
#define A64(f, w, g) {#f, offsetof(dw_context_amd64, f), w, g}
// On amd64, rbp is in CONTEXT_INTEGER and rsp in CONTEXT_CONTROL (winnt.h).
static const reg_desc amd64_regs[] = {
    A64G("rax", 0, G_INTEGER),  A64G("rcx", 1, G_INTEGER),  A64G("rdx", 2, G_INTEGER),
    A64G("rbx", 3, G_INTEGER),  A64G("rsp", 4, G_CONTROL),  A64G("rbp", 5, G_INTEGER),
    A64G("rsi", 6, G_INTEGER),  A64G("rdi", 7, G_INTEGER),  A64G("r8", 8, G_INTEGER),
    A64G("r9", 9, G_INTEGER),   A64G("r10", 10, G_INTEGER), A64G("r11", 11, G_INTEGER),
    A64G("r12", 12, G_INTEGER), A64G("r13", 13, G_INTEGER), A64G("r14", 14, G_INTEGER),
    A64G("r15", 15, G_INTEGER), A64(rip, 8, G_CONTROL),     A64(eflags, 4, G_CONTROL),
    A64(cs, 2, G_CONTROL),      A64(ds, 2, G_SEGMENTS),     A64(es, 2, G_SEGMENTS),
    A64(fs, 2, G_SEGMENTS),     A64(gs, 2, G_SEGMENTS),     A64(ss, 2, G_CONTROL),
};
#undef A64G
#undef A64

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const reg_desc *
reg_table(const dw_context *ctx, size_t *n)
{
	switch (ctx->cpu) {
	case DW_CPU_X86: *n = NELEM(x86_regs); return x86_regs;
	case DW_CPU_AMD64: *n = NELEM(amd64_regs); return amd64_regs;
	default: *n = 0; return NULL;
	}
}

static void *
reg_storage(dw_context *ctx)
{
	return ctx->cpu == DW_CPU_X86 ? (void *)&ctx->x86 : (void *)&ctx->amd64;
}

static const void *
reg_storage_c(const dw_context *ctx)
{
	return ctx->cpu == DW_CPU_X86 ? (const void *)&ctx->x86 : (const void *)&ctx->amd64;
}

size_t
dw_context_reg_count(const dw_context *ctx)
{
	size_t n;
	reg_table(ctx, &n);
	return n;
}

const char *
dw_context_reg_name(const dw_context *ctx, size_t i)
{
	size_t          n;
	const reg_desc *t = reg_table(ctx, &n);
	return i < n ? t[i].name : NULL;
}

unsigned
dw_context_reg_width(const dw_context *ctx)
{
	switch (ctx->cpu) {
	case DW_CPU_X86: return 4;
	case DW_CPU_AMD64: return 8;
	default: return 0;
	}
}

static uint64_t
load(const uint8_t *p, unsigned width)
{
	uint64_t v = 0;
	switch (width) {
	case 2: { uint16_t x; memcpy(&x, p, 2); v = x; break; }
	case 4: { uint32_t x; memcpy(&x, p, 4); v = x; break; }
	case 8: memcpy(&v, p, 8); break;
	}
	return v;
}

static void
store(uint8_t *p, unsigned width, uint64_t v)
{
	switch (width) {
	case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	case 8: memcpy(p, &v, 8); break;
	}
}

bool
dw_context_reg_get(const dw_context *ctx, size_t i, uint64_t *out)
{
	size_t          n;
	const reg_desc *t = reg_table(ctx, &n);
	*out              = 0;
	if (i >= n)
		return false;
	*out = load((const uint8_t *)reg_storage_c(ctx) + t[i].off, t[i].width);
	return (ctx->valid >> i) & 1;
}

dw_err
dw_context_reg_set(dw_context *ctx, size_t i, uint64_t v)
{
	size_t          n;
	const reg_desc *t = reg_table(ctx, &n);
	if (i >= n)
		return DW_EINVAL;
	store((uint8_t *)reg_storage(ctx) + t[i].off, t[i].width, v);
	ctx->valid |= (uint64_t)1 << i;
	return DW_OK;
}

dw_err
dw_context_reg_find(const dw_context *ctx, const char *name, size_t *out)
{
	size_t          n;
	const reg_desc *t = reg_table(ctx, &n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(t[i].name, name) == 0) {
			*out = i;
			return DW_OK;
		}
	}
	// Breakpad and WinDbg spell the flags register "efl".
	if (strcmp(name, "efl") == 0)
		return dw_context_reg_find(ctx, "eflags", out);
	return DW_ENOTFOUND;
}

dw_err
dw_context_get(const dw_context *ctx, const char *name, uint64_t *out, bool *valid)
{
	size_t i;
	*out = 0;
	if (valid != NULL)
		*valid = false;
	if (dw_context_reg_find(ctx, name, &i) != DW_OK)
		return DW_ENOTFOUND;
	bool v = dw_context_reg_get(ctx, i, out);
	if (valid != NULL)
		*valid = v;
	return DW_OK;
}

size_t
dw_context_ip_index(const dw_context *ctx)
{
	return ctx->cpu == DW_CPU_X86 ? 8 : ctx->cpu == DW_CPU_AMD64 ? 16 : SIZE_MAX;
}

size_t
dw_context_sp_index(const dw_context *ctx)
{
	return ctx->cpu == DW_CPU_X86 || ctx->cpu == DW_CPU_AMD64 ? 4 : SIZE_MAX;
}

size_t
dw_context_fp_index(const dw_context *ctx)
{
	return ctx->cpu == DW_CPU_X86 || ctx->cpu == DW_CPU_AMD64 ? 5 : SIZE_MAX;
}

uint64_t
dw_context_ip(const dw_context *ctx)
{
	return ctx->cpu == DW_CPU_X86 ? ctx->x86.eip : ctx->cpu == DW_CPU_AMD64 ? ctx->amd64.rip : 0;
}

uint64_t
dw_context_sp(const dw_context *ctx)
{
	return ctx->cpu == DW_CPU_X86     ? ctx->x86.esp
	       : ctx->cpu == DW_CPU_AMD64 ? ctx->amd64.gpr[DW_AMD64_RSP]
	                                  : 0;
}

uint64_t
dw_context_fp(const dw_context *ctx)
{
	return ctx->cpu == DW_CPU_X86     ? ctx->x86.ebp
	       : ctx->cpu == DW_CPU_AMD64 ? ctx->amd64.gpr[DW_AMD64_RBP]
	                                  : 0;
}

static uint64_t
valid_mask(const reg_desc *t, size_t n, uint32_t flags)
{
	uint64_t m = 0;
	for (size_t i = 0; i < n; i++) {
		bool on = (t[i].group == G_CONTROL && (flags & DW_CONTEXT_CONTROL)) ||
		          (t[i].group == G_INTEGER && (flags & DW_CONTEXT_INTEGER)) ||
		          (t[i].group == G_SEGMENTS && (flags & DW_CONTEXT_SEGMENTS));
		if (on)
			m |= (uint64_t)1 << i;
	}
	return m;
}

// ---- Decoding ------------------------------------------------------------------

dw_cpu
dw_context_guess_cpu(const dw_cur *c)
{
	dw_cur   w;
	uint32_t f0 = 0, f48 = 0;
	if (dw_cur_window(&w, c, 0, 4) == DW_OK)
		f0 = dw_cur_u32le(&w);
	if (dw_cur_window(&w, c, 48, 4) == DW_OK)
		f48 = dw_cur_u32le(&w);
	if ((f0 & DW_CONTEXT_CPU_MASK) == DW_CONTEXT_X86_FLAG)
		return DW_CPU_X86;
	if (c->len >= DW_CONTEXT_AMD64_MIN_SIZE && (f48 & DW_CONTEXT_CPU_MASK) == DW_CONTEXT_AMD64_FLAG)
		return DW_CPU_AMD64;
	// Some old x86 writers left the CPU bit out; the sizes are distinctive.
	if (c->len == DW_CONTEXT_X86_SIZE || c->len == DW_CONTEXT_X86_BASIC_SIZE)
		return DW_CPU_X86;
	return DW_CPU_UNKNOWN;
}

static void
read_x86(dw_context_x86 *x, dw_cur *c)
{
	x->dr0                       = dw_cur_u32le(c);
	x->dr1                       = dw_cur_u32le(c);
	x->dr2                       = dw_cur_u32le(c);
	x->dr3                       = dw_cur_u32le(c);
	x->dr6                       = dw_cur_u32le(c);
	x->dr7                       = dw_cur_u32le(c);
	x->float_save.control_word   = dw_cur_u32le(c);
	x->float_save.status_word    = dw_cur_u32le(c);
	x->float_save.tag_word       = dw_cur_u32le(c);
	x->float_save.error_offset   = dw_cur_u32le(c);
	x->float_save.error_selector = dw_cur_u32le(c);
	x->float_save.data_offset    = dw_cur_u32le(c);
	x->float_save.data_selector  = dw_cur_u32le(c);
	dw_cur_copy(c, x->float_save.register_area, sizeof(x->float_save.register_area));
	x->float_save.cr0_npx_state = dw_cur_u32le(c);
	x->gs                       = dw_cur_u32le(c);
	x->fs                       = dw_cur_u32le(c);
	x->es                       = dw_cur_u32le(c);
	x->ds                       = dw_cur_u32le(c);
	x->edi                      = dw_cur_u32le(c);
	x->esi                      = dw_cur_u32le(c);
	x->ebx                      = dw_cur_u32le(c);
	x->edx                      = dw_cur_u32le(c);
	x->ecx                      = dw_cur_u32le(c);
	x->eax                      = dw_cur_u32le(c);
	x->ebp                      = dw_cur_u32le(c);
	x->eip                      = dw_cur_u32le(c);
	x->cs                       = dw_cur_u32le(c);
	x->eflags                   = dw_cur_u32le(c);
	x->esp                      = dw_cur_u32le(c);
	x->ss                       = dw_cur_u32le(c);
	if (dw_cur_left(c) >= sizeof(x->extended_registers))
		dw_cur_copy(c, x->extended_registers, sizeof(x->extended_registers));
}

// read_amd64 reads what the window holds; a short window leaves the rest zero
// (the caller decided the control and integer part is there).
static void
read_amd64(dw_context_amd64 *a, dw_cur *c)
{
	for (int i = 0; i < 6; i++)
		a->p_home[i] = dw_cur_u64le(c);
	(void)dw_cur_u32le(c); // ContextFlags, read by the caller
	a->mx_csr = dw_cur_u32le(c);
	a->cs     = dw_cur_u16le(c);
	a->ds     = dw_cur_u16le(c);
	a->es     = dw_cur_u16le(c);
	a->fs     = dw_cur_u16le(c);
	a->gs     = dw_cur_u16le(c);
	a->ss     = dw_cur_u16le(c);
	a->eflags = dw_cur_u32le(c);
	a->dr0    = dw_cur_u64le(c);
	a->dr1    = dw_cur_u64le(c);
	a->dr2    = dw_cur_u64le(c);
	a->dr3    = dw_cur_u64le(c);
	a->dr6    = dw_cur_u64le(c);
	a->dr7    = dw_cur_u64le(c);
	for (int i = 0; i < 16; i++)
		a->gpr[i] = dw_cur_u64le(c);
	a->rip = dw_cur_u64le(c);
	if (dw_cur_left(c) < DW_CONTEXT_AMD64_SIZE - DW_CONTEXT_AMD64_MIN_SIZE)
		return;
	dw_cur_copy(c, a->flt_save, sizeof(a->flt_save));
	dw_cur_copy(c, a->vector_register, sizeof(a->vector_register));
	a->vector_control          = dw_cur_u64le(c);
	a->debug_control           = dw_cur_u64le(c);
	a->last_branch_to_rip      = dw_cur_u64le(c);
	a->last_branch_from_rip    = dw_cur_u64le(c);
	a->last_exception_to_rip   = dw_cur_u64le(c);
	a->last_exception_from_rip = dw_cur_u64le(c);
}

// Sizes of the user XSAVE components 2..10 in the compacted format (Intel SDM
// vol. 1, table 13-1 / CPUID leaf 0xD values on every CPU that has them): AVX,
// MPX BNDREGS and BNDCSR, AVX-512 opmask, ZMM_Hi256 and Hi16_ZMM, PT, PKRU,
// PASID. Only needed to find CET_U (component 11) behind them. Components
// that ask for 64-byte alignment (AMX) come after CET, so alignment does not
// move it. Checked against tiny-exe-with-cet-xsave.dmp, whose MiscInfo v5
// XSTATE configuration puts CET_U at XSAVE offset 576 = header end + 0.
static const uint32_t xsave_comp_size[11] = {0, 0, 256, 64, 64, 64, 512, 1024, 72, 8, 8};

// Folklore: CONTEXT_EX. When ContextFlags has CONTEXT_XSTATE, Windows writes a
// CONTEXT_EX right after the CONTEXT: three (four on newer systems, with
// KernelCet) {LONG Offset; ULONG Length} chunks whose offsets are relative to
// the CONTEXT_EX itself. All and Legacy point back at the CONTEXT (negative
// offsets); XState points at the XSAVE header that follows, whose legacy
// 512-byte FXSAVE part is the CONTEXT's own FltSave/ExtendedRegisters. In
// breakpad/tiny-exe-with-cet-xsave.dmp: CONTEXT_EX at 1232 = {-1232, 1392},
// {-1232, 1232}, {80, 80}; the header at 1312 has Mask 0x800 and
// CompactionMask 0x8000000000000800, and the CET_U state follows it. We
// validate every chunk against the window and keep the base context if any
// check fails.
static void
read_xstate(dw_context *ctx, const dw_cur *c, uint32_t base, dw_notes *notes, const char *what)
{
	dw_cur ex;
	// Writers keep CONTEXT_XSTATE in the flags of contexts they store without
	// the extension (every exception-stream context in symbolicator/windows.dmp
	// and lldb/sigsegv.dmp is 716 or 1232 bytes with the flag set): nothing to
	// read, nothing wrong.
	if (dw_cur_window(&ex, c, base, DW_CONTEXT_EX_SIZE) != DW_OK)
		return;
	(void)dw_cur_i32le(&ex); // All.Offset
	(void)dw_cur_u32le(&ex); // All.Length
	(void)dw_cur_i32le(&ex); // Legacy.Offset
	(void)dw_cur_u32le(&ex); // Legacy.Length
	int32_t  xoff = dw_cur_i32le(&ex);
	uint32_t xlen = dw_cur_u32le(&ex);
	int64_t  at   = (int64_t)base + xoff;
	dw_cur   xs;
	if (at < 0 || xlen < DW_XSAVE_HEADER_SIZE ||
	    dw_cur_window(&xs, c, (uint64_t)at, xlen) != DW_OK) {
		dw_fail(notes, DW_ECORRUPT,
		        "%s: CONTEXT_EX XState chunk (offset %d, %u bytes, from +%u) lies outside the "
		        "%u-byte context or is smaller than an XSAVE header; extended state ignored",
		        what, xoff, xlen, base, (unsigned)c->len);
		return;
	}
	dw_context_xstate *x = &ctx->xstate;
	x->mask              = dw_cur_u64le(&xs);
	x->compaction_mask   = dw_cur_u64le(&xs);
	x->area              = xs.base;
	x->area_len          = xlen;
	ctx->has_xstate      = true;

	if (!(x->mask & (1ull << DW_XSTATE_CET_U)))
		return;
	if (!(x->compaction_mask & DW_XSTATE_COMPACTED)) {
		// The standard format places supervisor-managed components nowhere
		// fixed; without the compacted layout we cannot locate CET_U.
		dw_remark(notes, "%s: CET state present in a non-compacted XSAVE area; not located",
		          what);
		return;
	}
	uint64_t off = DW_XSAVE_HEADER_SIZE;
	for (int i = DW_XSTATE_AVX; i < DW_XSTATE_CET_U; i++)
		if (x->compaction_mask & (1ull << i))
			off += xsave_comp_size[i];
	dw_cur cet;
	if (dw_cur_window(&cet, &xs, off, 16) != DW_OK) {
		dw_fail(notes, DW_ETRUNC,
		        "%s: XSAVE area of %u bytes ends before its CET state at +%llu", what, xlen,
		        (unsigned long long)off);
		return;
	}
	x->cet_u   = dw_cur_u64le(&cet);
	x->cet_ssp = dw_cur_u64le(&cet);
	x->has_cet = true;
}

dw_err
dw_context_parse(dw_context *out, const dw_cur *c, dw_cpu cpu, dw_notes *notes, const char *what)
{
	memset(out, 0, sizeof(*out));
	dw_cur w = *c;
	w.off    = 0;
	if (w.err != DW_OK)
		return dw_fail(notes, DW_ETRUNC, "%s: context bytes unreadable", what);
	if (w.len > DW_MAX_CONTEXT_BYTES)
		return dw_fail(notes, DW_ELIMIT, "%s: context of %zu bytes exceeds the limit of %u",
		               what, w.len, (unsigned)DW_MAX_CONTEXT_BYTES);

	dw_cpu guess  = dw_context_guess_cpu(&w);
	dw_cpu layout = cpu;
	if (cpu == DW_CPU_X86_ON_WIN64)
		layout = DW_CPU_X86;
	if (layout != DW_CPU_X86 && layout != DW_CPU_AMD64) {
		if (layout != DW_CPU_UNKNOWN)
			return dw_fail(notes, DW_EUNSUPPORTED,
			               "%s: contexts of CPU %s (architecture %d) are not supported", what,
			               dw_cpu_name((uint16_t)cpu), (int)cpu);
		layout = guess;
		if (layout == DW_CPU_UNKNOWN)
			return dw_fail(notes, DW_EUNSUPPORTED,
			               "%s: no SystemInfo, and the %zu-byte context has no x86 or amd64 "
			               "ContextFlags",
			               what, w.len);
	} else if (guess != DW_CPU_UNKNOWN && guess != layout &&
	           (layout == DW_CPU_X86 ? w.len >= DW_CONTEXT_AMD64_SIZE
	                                 : w.len < DW_CONTEXT_AMD64_MIN_SIZE)) {
		// The context's own flags and size contradict SystemInfo; believe
		// the record (it is what we are about to decode).
		dw_remark(notes, "%s: context looks like %s though SystemInfo says %s; read as %s", what,
		          dw_cpu_name((uint16_t)guess), dw_cpu_name((uint16_t)cpu),
		          dw_cpu_name((uint16_t)guess));
		layout = guess;
	}

	out->cpu  = layout;
	out->size = (uint32_t)w.len;
	size_t          n;
	const reg_desc *t;
	if (layout == DW_CPU_X86) {
		if (w.len < DW_CONTEXT_X86_BASIC_SIZE) {
			memset(out, 0, sizeof(*out));
			return dw_fail(notes, DW_ETRUNC,
			               "%s: x86 context is %zu bytes, shorter than the %d bytes holding "
			               "its registers",
			               what, w.len, DW_CONTEXT_X86_BASIC_SIZE);
		}
		out->flags = dw_cur_u32le(&w);
		read_x86(&out->x86, &w);
		t = reg_table(out, &n);
		out->valid = valid_mask(t, n, out->flags);
		if ((out->flags & DW_CONTEXT_XSTATE) && (out->flags & DW_CONTEXT_CPU_MASK) != 0)
			read_xstate(out, &w, DW_CONTEXT_X86_SIZE, notes, what);
	} else {
		if (w.len < DW_CONTEXT_AMD64_MIN_SIZE) {
			memset(out, 0, sizeof(*out));
			return dw_fail(notes, DW_ETRUNC,
			               "%s: amd64 context is %zu bytes, shorter than the %d bytes through "
			               "Rip",
			               what, w.len, DW_CONTEXT_AMD64_MIN_SIZE);
		}
		dw_cur f;
		dw_cur_window(&f, &w, 48, 4);
		out->flags = dw_cur_u32le(&f);
		if (w.len < DW_CONTEXT_AMD64_SIZE)
			dw_fail(notes, DW_ETRUNC,
			        "%s: amd64 context is %zu bytes, less than the full %d; registers after "
			        "Rip (XMM, vector) read as zero",
			        what, w.len, DW_CONTEXT_AMD64_SIZE);
		read_amd64(&out->amd64, &w);
		t = reg_table(out, &n);
		out->valid = valid_mask(t, n, out->flags);
		if (out->flags & DW_CONTEXT_XSTATE)
			read_xstate(out, &w, DW_CONTEXT_AMD64_SIZE, notes, what);
	}
	return DW_OK;
}

dw_err
dw_dump__context(dw_dump *d, dw_md_location loc, const char *what, const dw_context **out)
{
	*out = NULL;
	dw_cur c;
	dw_err rv;
	if (loc.size == 0) {
		// Not damage: some writers (lldb's synthetic thread lists) omit it.
		dw_remark(&d->notes, "%s: no context (size 0 at offset 0x%x)", what, loc.rva);
		return DW_ENOTFOUND;
	}
	if ((rv = dw_dump__location(d, loc, what, &c)) != DW_OK)
		return rv;
	dw_context *ctx = dw_arena_alloc(&d->arena, sizeof(*ctx));
	if (ctx == NULL)
		return DW_ENOMEM;
	dw_cpu cpu = DW_CPU_UNKNOWN;
	if (d->system_info != NULL) {
		switch (d->system_info->processor_architecture) {
		case DW_CPU_X86: cpu = DW_CPU_X86; break;
		case DW_CPU_AMD64: cpu = DW_CPU_AMD64; break;
		case DW_CPU_X86_ON_WIN64: cpu = DW_CPU_X86_ON_WIN64; break;
		case DW_CPU_ARM: cpu = DW_CPU_ARM; break;
		case DW_CPU_ARM64: cpu = DW_CPU_ARM64; break;
		case DW_CPU_IA64: cpu = DW_CPU_IA64; break;
		default: cpu = DW_CPU_UNKNOWN; break; // 0xffff: PROCESSOR_ARCHITECTURE_UNKNOWN
		}
	}
	char   buf[160];
	snprintf(buf, sizeof(buf), "%s (context at offset 0x%x)", what, loc.rva);
	if ((rv = dw_context_parse(ctx, &c, cpu, &d->notes, buf)) != DW_OK)
		return rv;
	*out = ctx;
	return DW_OK;
}
