// walker/walk.c - the stack walker: threads, frames, symbolization, and the
// order in which unwinding methods are tried (see walker/walk.h).
#include "walker/walk.h"

#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/limits.h"
#include "walker/unwind_int.h"
#include "walker/wow64_int.h"

// Frames of the stack being walked; one buffer per walk, reused for every
// thread (frames are ~1.4 KiB each, so a fresh buffer per thread meant a
// chain of reallocs and fresh pages on every deep stack).
typedef struct fbuf {
	dw_frame *v;
	size_t    n, cap;
} fbuf;

struct dw_walk {
	const dw_dump  *d;
	fbuf            frames;
	dw_arena        arena;
	dw_notes        notes;
	dw_symsrc       src;
	dw_dis         *dis;
	bool            own_dis;
	dw_uw           uw;
	dw_thread_walk *threads;
	size_t          nthreads;
	bool            wow64;
	const char     *wow64_why;
};

const char *
dw_trust_name(dw_trust t)
{
	switch (t) {
	case DW_TRUST_SCAN: return "scan";
	case DW_TRUST_CFI_SCAN: return "cfi_scan";
	case DW_TRUST_FRAME_POINTER: return "frame_pointer";
	case DW_TRUST_CFI: return "cfi";
	case DW_TRUST_CONTEXT: return "context";
	case DW_TRUST_WOW64_CONTEXT: return "wow64_context";
	default: return "none";
	}
}

const char *
dw_walk_end_name(dw_walk_end e)
{
	switch (e) {
	case DW_WALK_END_THREAD_START: return "reached thread start";
	case DW_WALK_END_LEFT_STACK: return "left the stack";
	case DW_WALK_END_NO_MEMORY: return "stack memory missing";
	case DW_WALK_END_CAP: return "frame cap reached";
	case DW_WALK_END_INVALID_ADDRESS: return "invalid address";
	case DW_WALK_END_NO_CALLER: return "no caller found";
	case DW_WALK_END_NO_CONTEXT: return "no context";
	case DW_WALK_END_UNAVAILABLE: return "32-bit context not in the dump";
	}
	return "unknown";
}

// ---- Memory and modules (shared by the unwinders through unwind_int.h) ----

bool
dw_uw__read_u32(dw_uw *u, uint64_t addr, uint32_t *out)
{
	uint8_t b[4];
	*out = 0;
	if (u->read == NULL || u->read(u->read_arg, addr, b, 4) != 4)
		return false;
	*out = dw_get_u32le(b);
	return true;
}

bool
dw_uw__read_u64(dw_uw *u, uint64_t addr, uint64_t *out)
{
	uint8_t b[8];
	*out = 0;
	if (u->read == NULL || u->read(u->read_arg, addr, b, 8) != 8)
		return false;
	*out = dw_get_u64le(b);
	return true;
}

dw_uw_module *
dw_uw__module_at(dw_uw *u, uint64_t addr, dw_cpu cpu)
{
	size_t lo = 0, hi = u->nmods;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < u->mods[mid].base)
			hi = mid;
		else
			lo = mid + 1;
	}
	// Modules do not overlap in a sane dump; walk back a little for one that
	// does, preferring the CPU asked for.
	for (size_t k = lo, n = 0; k > 0 && n < 4; k--, n++) {
		dw_uw_module *m = &u->mods[k - 1];
		if (addr - m->base < m->size && (cpu == DW_CPU_UNKNOWN || m->cpu == cpu))
			return m;
	}
	return NULL;
}

void *
dw_uw__handle(dw_uw *u, dw_uw_module *m)
{
	if (!m->opened) {
		m->opened = true;
		m->handle = NULL;
		if (u->src != NULL && u->src->ops != NULL && u->src->ops->open != NULL &&
		    u->src->ops->open(&m->handle, &m->id, u->src->arg) != DW_OK)
			m->handle = NULL;
	}
	return m->handle;
}

size_t
dw_uw__read_code(dw_uw *u, uint64_t addr, uint8_t *buf, size_t len)
{
	size_t got = u->read != NULL ? u->read(u->read_arg, addr, buf, len) : 0;
	if (got == len)
		return got;
	dw_uw_module *m = dw_uw__module_at(u, addr, DW_CPU_UNKNOWN);
	if (m == NULL || addr + len < addr)
		return got;
	void *h = dw_uw__handle(u, m);
	if (h == NULL || u->src->ops->read_code == NULL)
		return got;
	size_t got2 = 0;
	if (u->src->ops->read_code(buf, len, &got2, h, (uint32_t)(addr - m->base), u->src->arg) !=
	        DW_OK &&
	    got2 == 0)
		return got;
	return got2 > got ? (got2 > len ? len : got2) : got;
}

static size_t
dump_read(void *arg, uint64_t addr, void *buf, size_t len)
{
	size_t got = 0;
	if (dw_dump_read(arg, addr, buf, len, &got) == DW_OK)
		return len;
	return got;
}

// ---- Frames -------------------------------------------------------------

static void
symbolize(dw_walk *w, dw_frame *f)
{
	dw_uw_module *m = dw_uw__module_at(&w->uw, f->lookup, f->ctx.cpu);
	if (m == NULL)
		m = dw_uw__module_at(&w->uw, f->lookup, DW_CPU_UNKNOWN);
	if (m == NULL)
		return;
	f->module        = m->md;
	f->module_offset = f->ip - m->base;
	void *h          = dw_uw__handle(&w->uw, m);
	if (h == NULL || w->src.ops->find == NULL)
		return;
	uint32_t      rva = (uint32_t)(f->lookup - m->base);
	dw_symsrc_loc loc;
	memset(&loc, 0, sizeof(loc));
	if (w->src.ops->find(&loc, h, rva, w->src.arg) != DW_OK || loc.name == NULL)
		return;
	f->function        = loc.name;
	f->function_offset = f->ip - (m->base + loc.start);
	f->is_public       = loc.is_public;
	f->file            = loc.file;
	f->line            = loc.line;
	if (loc.ninlines == 0 || w->src.ops->find_inlines == NULL)
		return;
	dw_symsrc_inline in[DW_MAX_INLINE_FRAMES];
	size_t           n = 0;
	if (w->src.ops->find_inlines(in, DW_MAX_INLINE_FRAMES, &n, h, rva, w->src.arg) != DW_OK || n == 0)
		return;
	if (n > DW_MAX_INLINE_FRAMES)
		n = DW_MAX_INLINE_FRAMES;
	dw_frame_inline *fi = dw_arena_array(&w->arena, n, sizeof(*fi));
	if (fi == NULL)
		return;
	// in[] is outermost first; frames are listed innermost first. The
	// innermost inline frame is at the line record's position; each outer
	// one (and finally the physical frame) at its inlinee's call site.
	for (size_t k = 0; k < n; k++) {
		size_t src     = n - 1 - k;
		fi[k].function = in[src].name;
		if (src == n - 1) {
			fi[k].file = loc.file;
			fi[k].line = loc.line;
		} else {
			fi[k].file = in[src + 1].call_file;
			fi[k].line = in[src + 1].call_line;
		}
	}
	f->file     = in[0].call_file;
	f->line     = in[0].call_line;
	f->inlines  = fi;
	f->ninlines = n;
}

static bool
canonical(dw_cpu cpu, uint64_t a)
{
	if (cpu == DW_CPU_X86)
		return a <= UINT32_MAX;
	return a < 0x0000800000000000ull || a >= 0xffff800000000000ull;
}

static dw_frame *
fbuf_push(fbuf *b)
{
	if (b->n == b->cap) {
		size_t    nc = b->cap ? b->cap * 2 : 16;
		dw_frame *nv = realloc(b->v, nc * sizeof(*nv));
		if (nv == NULL)
			return NULL;
		b->v   = nv;
		b->cap = nc;
	}
	dw_frame *f = &b->v[b->n++];
	memset(f, 0, sizeof(*f));
	return f;
}

static void
stack_bounds(dw_walk *w, uint64_t sp, uint64_t *lo, uint64_t *hi)
{
	if (*lo < *hi)
		return;
	size_t                    n;
	const dw_md_memory_range *r = dw_dump_memory(w->d, &n);
	for (size_t i = 0; i < n; i++)
		if (sp >= r[i].start && sp - r[i].start < r[i].size) {
			*lo = r[i].start;
			*hi = r[i].start + r[i].size;
			return;
		}
	*lo = *hi = 0;
}

// Scans for the caller of `cur`: rip/eip from the stack, sp above it.
static bool
scan_caller(dw_uw *u, const dw_context *cur, bool first, dw_context *caller)
{
	dw_cpu   cpu = cur->cpu;
	uint64_t sp  = dw_context_sp(cur), at, ra;
	(void)first;
	if (!dw_uw__scan(u, cpu, sp, DW_MAX_SCAN_WORDS, &at, &ra))
		return false;
	*caller = *cur;
	if (cpu == DW_CPU_AMD64) {
		// Volatile registers are unknown; nonvolatile ones are carried as
		// the callee left them (they are the caller's unless it saved them).
		caller->valid &= (1ull << 3) | (1ull << 5) | (1ull << 6) | (1ull << 7) | (0xfull << 12);
	} else {
		caller->valid &= (1ull << 3) | (1ull << 5) | (1ull << 6) | (1ull << 7);
	}
	unsigned wsz = cpu == DW_CPU_AMD64 ? 8 : 4;
	(void)dw_context_reg_set(caller, dw_context_ip_index(cur), ra);
	(void)dw_context_reg_set(caller, dw_context_sp_index(cur), at + wsz);
	return true;
}

static dw_err
walk_one(dw_walk *w, dw_stack *out, const dw_context *ctx, uint64_t lo, uint64_t hi,
         dw_trust first_trust)
{
	memset(out, 0, sizeof(*out));
	out->cpu        = ctx->cpu;
	out->end_detail = "";
	dw_uw *u        = &w->uw;
	stack_bounds(w, dw_context_sp(ctx), &lo, &hi);
	u->stack_lo = lo;
	u->stack_hi = hi;
	fbuf      *bp  = &w->frames;
	bp->n          = 0;
	dw_context cur = *ctx;
	dw_trust   trust = first_trust;
	uint64_t   lookup = dw_context_ip(ctx);
	uint32_t   callee_params = 0;
	dw_err     rv = DW_OK;
	for (;;) {
		dw_frame *f = fbuf_push(bp);
		if (f == NULL) {
			rv = DW_ENOMEM;
			break;
		}
		f->ctx    = cur;
		f->ip     = dw_context_ip(&cur);
		f->lookup = lookup;
		f->trust  = trust;
		symbolize(w, f);
		if (bp->n >= DW_MAX_FRAMES) {
			out->end        = DW_WALK_END_CAP;
			out->end_detail = "stopped after DW_MAX_FRAMES frames";
			break;
		}
		if (lo >= hi) {
			out->end        = DW_WALK_END_NO_MEMORY;
			out->end_detail = "the stack pointer is not in captured memory";
			break;
		}
		dw_context caller;
		dw_trust   ct       = DW_TRUST_NONE;
		dw_uw_res  r        = DW_UW_NORULE;
		bool       exact    = false;
		uint32_t   params   = 0;
		bool       first    = bp->n == 1;
		uint64_t   sp       = dw_context_sp(&cur);
		if (cur.cpu == DW_CPU_AMD64) {
			bool mf = false, leaf = false;
			r = dw_uw__amd64_step(u, &cur, lookup, &caller, &mf, &leaf);
			if (r == DW_UW_DONE) {
				ct    = leaf && dw_uw__module_at(u, lookup, DW_CPU_AMD64) == NULL ? DW_TRUST_SCAN
				                                                                   : DW_TRUST_CFI;
				exact = mf;
			}
		} else {
			if (first && !dw_uw__module_at(u, f->ip, DW_CPU_X86)) {
				// A call through a bad pointer (call 0): the return address
				// is still at [ESP].
				uint32_t ra;
				if (dw_uw__read_u32(u, sp, &ra) && dw_uw__plausible_ra(u, DW_CPU_X86, ra)) {
					caller       = cur;
					caller.valid = cur.valid & ((1ull << 3) | (1ull << 5) | (1ull << 6) | (1ull << 7));
					(void)dw_context_reg_set(&caller, 8, ra);
					(void)dw_context_reg_set(&caller, 4, sp + 4);
					r  = DW_UW_DONE;
					ct = DW_TRUST_SCAN;
				}
			}
			if (r != DW_UW_DONE && first &&
			    dw_uw__x86_epilog_step(u, &cur, &caller) == DW_UW_DONE) {
				// Only a return into believable code counts; a `ret` on a
				// smashed stack falls through to the other methods.
				if (dw_context_sp(&caller) > sp &&
				    dw_uw__plausible_ra(u, DW_CPU_X86, dw_context_ip(&caller))) {
					r  = DW_UW_DONE;
					ct = DW_TRUST_CFI;
				}
			}
			if (r != DW_UW_DONE) {
				r = dw_uw__x86_win_step(u, &cur, lookup, callee_params, &caller, &ct, &params);
			}
		}
		if (r != DW_UW_DONE && r != DW_UW_NOMEM) {
			r = dw_uw__cfi_step(u, &cur, lookup, &caller);
			if (r == DW_UW_DONE)
				ct = DW_TRUST_CFI;
		}
		if (r != DW_UW_DONE && cur.cpu == DW_CPU_X86) {
			dw_uw_res r2 = dw_uw__x86_fp_step(u, &cur, &caller);
			if (r2 == DW_UW_DONE) {
				uint64_t ip2 = dw_context_ip(&caller), sp2 = dw_context_sp(&caller);
				if (ip2 == 0 || (sp2 > sp && dw_uw__plausible_ra(u, DW_CPU_X86, ip2))) {
					r  = DW_UW_DONE;
					ct = DW_TRUST_FRAME_POINTER;
				}
			}
		}
		// Validate what unwind data gave; fall back to scanning when it is
		// not a believable caller.
		if (r == DW_UW_DONE) {
			uint64_t ip2 = dw_context_ip(&caller), sp2 = dw_context_sp(&caller);
			if (ip2 == 0 && sp2 > sp) {
				out->end        = DW_WALK_END_THREAD_START;
				out->end_detail = "the caller's return address is 0";
				break;
			}
			bool ok = (exact ? sp2 >= sp : sp2 > sp) && ip2 >= 4096 && canonical(cur.cpu, ip2) &&
			          dw_uw__module_at(u, ip2, DW_CPU_UNKNOWN) != NULL;
			if (!ok)
				r = DW_UW_BAD;
		}
		if (r != DW_UW_DONE) {
			if (scan_caller(u, &cur, first, &caller)) {
				r      = DW_UW_DONE;
				ct     = DW_TRUST_SCAN;
				exact  = false;
				params = 0;
			}
		}
		if (r != DW_UW_DONE) {
			uint32_t probe;
			if (!dw_uw__read_u32(u, sp, &probe)) {
				out->end        = DW_WALK_END_NO_MEMORY;
				out->end_detail = "the stack memory the unwinder needs is not in the dump";
			} else {
				out->end        = DW_WALK_END_NO_CALLER;
				out->end_detail = "no unwind rule applied and scanning found no return address";
			}
			break;
		}
		uint64_t sp2 = dw_context_sp(&caller);
		if (sp2 < lo || sp2 > hi) {
			out->end        = DW_WALK_END_LEFT_STACK;
			out->end_detail = "the caller's stack pointer is outside the thread's stack";
			break;
		}
		cur           = caller;
		trust         = ct;
		callee_params = params;
		lookup        = exact ? dw_context_ip(&cur) : dw_context_ip(&cur) - 1;
	}
	if (rv == DW_OK && bp->n > 0) {
		dw_frame *fr = dw_arena_memdup(&w->arena, bp->v, bp->n, sizeof(*fr));
		if (fr == NULL)
			rv = DW_ENOMEM;
		else {
			out->frames  = fr;
			out->nframes = bp->n;
		}
	}
	return rv;
}

dw_err
dw_walk_stack(dw_stack *out, dw_walk *w, const dw_context *ctx, uint64_t lo, uint64_t hi,
              dw_trust first_trust)
{
	return walk_one(w, out, ctx, lo, hi, first_trust);
}

// ---- Setup --------------------------------------------------------------

static int
mod_cmp(const void *a, const void *b)
{
	const dw_uw_module *x = a, *y = b;
	return x->base < y->base ? -1 : x->base > y->base;
}

static dw_err
setup_modules(dw_walk *w)
{
	size_t              n;
	const dw_md_module *mm  = dw_dump_modules(w->d, &n);
	dw_cpu              cpu = dw_dump_cpu(w->d);
	if (n == 0)
		return DW_OK;
	dw_uw_module *m = dw_arena_array(&w->arena, n, sizeof(*m));
	if (m == NULL)
		return DW_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (mm[i].size == 0)
			continue;
		dw_uw_module *x  = &m[k++];
		x->md            = &mm[i];
		x->base          = mm[i].base;
		x->size          = mm[i].size;
		x->cpu           = cpu == DW_CPU_X86 ? DW_CPU_X86 : DW_CPU_AMD64;
		x->id.cpu        = x->cpu;
		x->id.base       = mm[i].base;
		x->id.size       = mm[i].size;
		x->id.name       = mm[i].name;
		x->id.debug_file = mm[i].cv != NULL ? mm[i].cv->pdb_name : "";
		x->id.debug_id   = mm[i].debug_id;
		x->id.code_id    = mm[i].code_id;
		x->has_x64       = -1;
	}
	qsort(m, k, sizeof(*m), mod_cmp);
	w->uw.mods  = m;
	w->uw.nmods = k;
	return DW_OK;
}

dw_err
dw_walk_dump(dw_walk **out, const dw_dump *d, const dw_symsrc *src, const dw_walk_options *opt)
{
	*out       = NULL;
	dw_walk *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return DW_ENOMEM;
	w->d = d;
	dw_arena_init(&w->arena, 0);
	dw_notes_init(&w->notes);
	if (src != NULL)
		w->src = *src;
	static const dw_symsrc_ops empty = {0};
	if (w->src.ops == NULL)
		w->src.ops = &empty;
	dw_err rv = DW_OK;
	if (opt != NULL && opt->dis != NULL)
		w->dis = opt->dis;
	else {
		if ((rv = dw_dis_new(&w->dis)) != DW_OK)
			goto fail;
		w->own_dis = true;
	}
	w->uw.read     = dump_read;
	w->uw.read_arg = (void *)d;
	w->uw.src      = &w->src;
	w->uw.dis      = w->dis;
	w->uw.notes    = &w->notes;
	if ((rv = setup_modules(w)) != DW_OK)
		goto fail;
	w->wow64 = dw_wow64__detect(d, &w->uw, &w->arena, &w->wow64_why);

	size_t              nt;
	const dw_md_thread *t  = dw_dump_threads(d, &nt);
	const dw_md_exception *ex = dw_dump_exception(d);
	if (nt > 0) {
		w->threads = dw_arena_array(&w->arena, nt, sizeof(*w->threads));
		if (w->threads == NULL) {
			rv = DW_ENOMEM;
			goto fail;
		}
	}
	for (size_t i = 0; i < nt; i++) {
		dw_thread_walk   *tw  = &w->threads[w->nthreads++];
		const dw_context *ctx = t[i].context;
		tw->thread_id         = t[i].thread_id;
		if (ex != NULL && ex->thread_id == t[i].thread_id && ex->context != NULL) {
			ctx                = ex->context;
			tw->from_exception = true;
		}
		uint64_t lo = t[i].stack.start, hi = t[i].stack.start + t[i].stack.loc.size;
		if (ctx == NULL || (ctx->cpu != DW_CPU_X86 && ctx->cpu != DW_CPU_AMD64)) {
			tw->stack.cpu        = ctx != NULL ? ctx->cpu : dw_dump_cpu(d);
			tw->stack.end        = DW_WALK_END_NO_CONTEXT;
			tw->stack.end_detail = "the thread has no usable CPU context";
		} else if ((rv = walk_one(w, &tw->stack, ctx, lo, hi, DW_TRUST_CONTEXT)) != DW_OK) {
			goto fail;
		}
		if (w->wow64) {
			tw->has_stack32 = true;
			if ((rv = dw_wow64__walk_thread(w, tw, &t[i])) != DW_OK)
				goto fail;
		}
	}
	*out = w;
	return DW_OK;
fail:
	dw_walk_free(w);
	return rv;
}

void
dw_walk_free(dw_walk *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->uw.nmods; i++)
		if (w->uw.mods[i].handle != NULL && w->src.ops->close != NULL)
			w->src.ops->close(w->uw.mods[i].handle, w->src.arg);
	if (w->own_dis)
		dw_dis_free(w->dis);
	free(w->frames.v);
	dw_notes_fini(&w->notes);
	dw_arena_fini(&w->arena);
	free(w);
}

const dw_thread_walk *
dw_walk_threads(const dw_walk *w, size_t *n)
{
	*n = w->nthreads;
	return w->threads;
}

const dw_thread_walk *
dw_walk_thread_find(const dw_walk *w, uint32_t tid)
{
	for (size_t i = 0; i < w->nthreads; i++)
		if (w->threads[i].thread_id == tid)
			return &w->threads[i];
	return NULL;
}

bool
dw_walk_is_wow64(const dw_walk *w, const char **why)
{
	if (why != NULL)
		*why = w->wow64_why;
	return w->wow64;
}

const dw_notes *
dw_walk_notes(const dw_walk *w)
{
	return &w->notes;
}

// ---- For wow64.c -------------------------------------------------------------

dw_uw *
dw_walk__uw(dw_walk *w)
{
	return &w->uw;
}

dw_notes *
dw_walk__notes(dw_walk *w)
{
	return &w->notes;
}

dw_arena *
dw_walk__arena(dw_walk *w)
{
	return &w->arena;
}

const dw_dump *
dw_walk__dump(dw_walk *w)
{
	return w->d;
}
