// walker/hidden.c - hidden exceptions: exception records (and their
// contexts) that a finished dispatch left in a thread's stack memory.
//
// Folklore: a program that handles an access violation (a vectored handler
// committing a page on demand, an SEH __except around a probe) continues as
// if nothing happened, but the dispatcher ran on the same stack:
// KiUserExceptionDispatcher's frame held the CONTEXT and the
// EXCEPTION_RECORD, and the thread's later calls overwrite them only as deep
// as they go. A thread that then parks in a shallow wait keeps them. Example
// (our corpus, x64/hidden_exception): worker's read of a reserved page
// faults at read_record+0x1e, the handler commits the page, the worker then
// waits in park(); its stack still holds the record (C0000005, data address
// 0xfa0064) and the CONTEXT with RIP in read_record. We find records by
// shape (code with severity bits, sane flags, at most 15 parameters, an
// exception address in a module), pair each with the nearest CONTEXT whose
// flags name the CPU and whose IP and SP are plausible, and walk that
// CONTEXT like a debugger's `.cxr` + `k`.
//
// Layouts (winnt.h): EXCEPTION_RECORD64 {DWORD Code, Flags; DWORD64 Record,
// Address; DWORD NumberParameters, pad; DWORD64 Information[15]} = 0x98
// bytes; EXCEPTION_RECORD32 {DWORD Code, Flags, Record, Address,
// NumberParameters, Information[15]} = 0x50 bytes. CONTEXT (amd64): 0x4d0
// bytes, 16-aligned, ContextFlags at 0x30, Rsp at 0x98, Rip at 0xf8;
// CONTEXT (x86): 0x2cc bytes, ContextFlags at 0, Esp at 0xc4, Eip at 0xb8.
#include "walker/residue_int.h"

#include <string.h>

#include "common/cur.h"
#include "common/limits.h"
#include "walker/classify.h"

#define REC64_SIZE 0x98
#define REC32_SIZE 0x50
#define CTX64_SIZE 0x4d0
#define CTX32_SIZE 0x2cc
#define CTX_AMD64 0x00100000u
#define CTX_I386 0x00010000u

// Exception dispatch functions: a return address into one of these, not on
// the live stack, is residue of a dispatch (Windows' and Wine's exports).
static const char *const dispatch_fns[] = {
    "KiUserExceptionDispatcher", "RtlDispatchException", "RtlRaiseException",
    "RtlRaiseStatus",            "RtlpExecuteHandlerForException", "RtlpCallVectoredHandlers",
    "RtlCallVectoredHandlers",   "RaiseException", "KiRaiseUserExceptionDispatcher",
    "RtlUnwindEx",               NULL,
};

static bool
in_list(const char *s, const char *const *list)
{
	if (s == NULL)
		return false;
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

// The layout checks of a record at b (at least the record's size).
static bool
record_shape(const uint8_t *b, unsigned ptr)
{
	uint32_t code  = dw_get_u32le(b);
	uint32_t flags = dw_get_u32le(b + 4);
	uint32_t np    = dw_get_u32le(b + (ptr == 8 ? 0x18 : 0x10));
	// NTSTATUS: severity in bits 31-30 (not success), bit 28 reserved. The
	// exception flags are EXCEPTION_NONCONTINUABLE .. EXCEPTION_SOFTWARE_ORIGINATE
	// (0x01-0x80).
	return (code >> 30) != 0 && (code & 0x10000000u) == 0 && (flags & ~0xffu) == 0 && np <= 15;
}

// The checks on the code alone (after record_shape).
static bool
record_code(uint32_t code)
{
	// Informational and warning codes (0x4..., 0x8...) are common integers on
	// a stack (0x400014E6 is a count, not a status): only the named ones
	// (STATUS_BREAKPOINT, DBG_PRINTEXCEPTION_C, MS_VC_EXCEPTION...) count.
	if ((code >> 30) != 3 && dw_ntstatus_name(code) == NULL)
		return false;
	// A record whose code is a repeated byte (0xCCCCCCCC) is fill, not a record.
	if ((code & 0xff) * 0x01010101u == code)
		return false;
	// Microsoft's own error codes (customer bit clear) use facilities below
	// 0x100 (ntstatus.h's largest is in the 0xE0s). Folklore: Breakpad's
	// tiny-exe-with-cet-xsave.dmp has "code" 0xC82FF5A0 on its stack, the
	// upper half of a stack address (0xCBC82FF5A0) where a record would start.
	// Customer codes (0xE06D7363, C++) may use any facility.
	if ((code & 0x20000000u) == 0 && ((code >> 16) & 0xfffu) > 0xffu &&
	    dw_ntstatus_name(code) == NULL)
		return false;
	return true;
}

bool
dw_res_plausible_record(const uint8_t *b, size_t len, unsigned ptr)
{
	size_t need = ptr == 8 ? REC64_SIZE : REC32_SIZE;
	return len >= need && record_shape(b, ptr) && record_code(dw_get_u32le(b));
}

// record_code remembered for the last few codes: on x64 every pointer into
// an image based at 0x140000000 (0x4000xxxx in its low half, flags 1) has
// the record shape, and a deep recursion repeats the same few thousand
// times; the name lookup behind record_code is a search.
typedef struct code_memo {
	uint32_t code[16];
	bool     ok[16], used[16];
} code_memo;

static bool
record_code_memo(code_memo *m, uint32_t code)
{
	size_t k = (code ^ (code >> 4) ^ (code >> 12)) & 15;
	if (!m->used[k] || m->code[k] != code) {
		m->used[k] = true;
		m->code[k] = code;
		m->ok[k]   = record_code(code);
	}
	return m->ok[k];
}

typedef struct rec {
	uint64_t at;
	uint32_t code, flags, np;
	uint64_t nested, address;
	uint64_t params[15];
} rec;

static void
read_rec(rec *o, const uint8_t *b, unsigned ptr, uint64_t at)
{
	memset(o, 0, sizeof(*o));
	o->at    = at;
	o->code  = dw_get_u32le(b);
	o->flags = dw_get_u32le(b + 4);
	if (ptr == 8) {
		o->nested  = dw_get_u64le(b + 8);
		o->address = dw_get_u64le(b + 0x10);
		o->np      = dw_get_u32le(b + 0x18);
		for (uint32_t i = 0; i < o->np && i < 15; i++)
			o->params[i] = dw_get_u64le(b + 0x20 + 8 * i);
	} else {
		o->nested  = dw_get_u32le(b + 8);
		o->address = dw_get_u32le(b + 0xc);
		o->np      = dw_get_u32le(b + 0x10);
		for (uint32_t i = 0; i < o->np && i < 15; i++)
			o->params[i] = dw_get_u32le(b + 0x14 + 4 * i);
	}
}

// A context at `at` (p: its bytes, len available): flags name the CPU and
// the control registers, the IP lies in a module, the SP in [lo, hi).
static bool
plausible_context(dw_residue *r, const uint8_t *p, size_t len, unsigned ptr, uint64_t lo,
                  uint64_t hi, uint64_t *ip, uint64_t *sp)
{
	if (len < (ptr == 8 ? CTX64_SIZE : CTX32_SIZE))
		return false;
	uint32_t flags = dw_get_u32le(p + (ptr == 8 ? 0x30 : 0));
	uint32_t cpu   = ptr == 8 ? CTX_AMD64 : CTX_I386;
	// CPU bit, CONTROL set, only the documented low bits (CONTROL INTEGER
	// SEGMENTS FLOATING_POINT DEBUG_REGISTERS EXTENDED XSTATE); the top byte
	// holds the exception-state bits Windows adds.
	if ((flags & 0x00ff0000u) != cpu || (flags & 1u) == 0 || (flags & 0x0000ff80u) != 0)
		return false;
	*ip = ptr == 8 ? dw_get_u64le(p + 0xf8) : dw_get_u32le(p + 0xb8);
	*sp = ptr == 8 ? dw_get_u64le(p + 0x98) : dw_get_u32le(p + 0xc4);
	return *sp >= lo && *sp < hi && dw_uw__module_at(r->u, *ip, DW_CPU_UNKNOWN) != NULL;
}

// Walks the CONTEXT at ctx_at as a second stack of thread t.
static void
walk_context(dw_residue *r, dw_res_hidden *h, uint64_t ctx_at, unsigned ptr,
             const dw_res_stackrange *sr)
{
	uint8_t buf[CTX64_SIZE];
	size_t  len = ptr == 8 ? CTX64_SIZE : CTX32_SIZE;
	if (dw_dump_read(r->d, ctx_at, buf, len, NULL) != DW_OK)
		return;
	// The XSTATE part (CONTEXT_EX) of a stack copy is not needed for a walk
	// and its offsets are relative to memory we did not bound: drop the bit.
	size_t   fo    = ptr == 8 ? 0x30 : 0;
	uint32_t flags = dw_get_u32le(buf + fo) & ~0x40u;
	for (int k = 0; k < 4; k++)
		buf[fo + (size_t)k] = (uint8_t)(flags >> (8 * k));
	dw_cur     c;
	dw_context ctx;
	dw_cur_init(&c, buf, len);
	if (dw_context_parse(&ctx, &c, ptr == 8 ? DW_CPU_AMD64 : DW_CPU_X86, NULL, "hidden context") !=
	    DW_OK)
		return;
	uint64_t lo = sr != NULL ? sr->lo : 0, hi = sr != NULL ? sr->hi : 0;
	if (dw_walk_stack(&h->stack, r->w, &ctx, lo, hi, DW_TRUST_CONTEXT) != DW_OK)
		memset(&h->stack, 0, sizeof(h->stack));
}

static bool
live_dispatch(const dw_stack *st)
{
	for (size_t i = 0; st != NULL && i < st->nframes && i < 64; i++)
		if (in_list(st->frames[i].function, dispatch_fns))
			return true;
	return false;
}

dw_err
dw_res__hidden(dw_residue *r, dw_res_thread *t, const dw_stack *live)
{
	unsigned ptr = t->ptr;
	if (ptr == 0 || t->hi <= t->lo || live_dispatch(live))
		return DW_OK;
	size_t         avail;
	const uint8_t *p = dw_dump_memory_at(r->d, t->lo, &avail);
	if (p == NULL)
		return DW_OK;
	size_t len = (size_t)(t->hi - t->lo) < avail ? (size_t)(t->hi - t->lo) : avail;
	const dw_res_stackrange    *sr = dw_res__stack_of(r, t->lo);
	uint64_t                    slo = sr != NULL ? sr->lo : t->lo, shi = sr != NULL ? sr->hi : t->hi;
	const dw_md_exception      *ex = dw_dump_exception(r->d);
	dw_res_hidden               found[DW_MAX_HIDDEN_PER_THREAD];
	size_t                      nfound = 0, nrec = 0;
	size_t                      rsize  = ptr == 8 ? REC64_SIZE : REC32_SIZE;
	code_memo                   cm;
	memset(found, 0, sizeof(found));
	memset(&cm, 0, sizeof(cm));

	// Every word offset could start a record; scan_thread listed the ones
	// whose code and flags have the shape (dw_res__record_candidate, a
	// superset of what dw_res_plausible_record accepts), in order.
	for (size_t ci = 0; ci < r->ncands && nrec < DW_MAX_HIDDEN_RECORDS; ci++) {
		size_t off = r->cands[ci];
		if (off + rsize > len)
			break;
		// dw_res_plausible_record (off + rsize <= len), its code test memoized.
		if (!record_shape(p + off, ptr) || !record_code_memo(&cm, dw_get_u32le(p + off)))
			continue;
		rec rc;
		read_rec(&rc, p + off, ptr, t->lo + off);
		if (rc.address < 0x10000 || dw_uw__module_at(r->u, rc.address, DW_CPU_UNKNOWN) == NULL)
			continue;
		if (rc.nested != 0 && dw_res__stack_of(r, rc.nested) == NULL)
			continue;
		// The dump's own exception is stored, not hidden.
		if (ex != NULL && ex->thread_id == t->tid && ex->code == rc.code &&
		    ex->address == rc.address)
			continue;
		nrec++;
		// Its CONTEXT: the nearest plausible one, preferring one whose IP is
		// the exception address.
		uint64_t best = 0, best_ip = 0, best_sp = 0, best_dist = UINT64_MAX;
		bool     best_match = false;
		size_t   step = ptr == 8 ? 16 : 4;
		size_t   from = off > DW_HIDDEN_CONTEXT_WINDOW ? off - DW_HIDDEN_CONTEXT_WINDOW : 0;
		from -= from % step;
		for (size_t c = from; c < len && c <= off + DW_HIDDEN_CONTEXT_WINDOW; c += step) {
			uint64_t ip, sp;
			if (!plausible_context(r, p + c, len - c, ptr, slo, shi, &ip, &sp))
				continue;
			bool     match = ip == rc.address;
			uint64_t dist  = c > off ? c - off : off - c;
			if ((match && !best_match) || (match == best_match && dist < best_dist)) {
				best       = t->lo + c;
				best_ip    = ip;
				best_sp    = sp;
				best_dist  = dist;
				best_match = match;
			}
		}
		// One hidden exception per (code, address): copies are counted.
		size_t k = 0;
		while (k < nfound && !(found[k].code == rc.code && found[k].address == rc.address))
			k++;
		if (k == nfound) {
			if (nfound == DW_MAX_HIDDEN_PER_THREAD)
				continue;
			nfound++;
		} else {
			found[k].copies++;
			bool better = best != 0 && (found[k].context_addr == 0 ||
			                            (best_match && !found[k].ip_matches));
			if (!better)
				continue;
		}
		dw_res_hidden *h = &found[k];
		size_t         copies = h->copies;
		h->tid          = t->tid;
		h->record_addr  = rc.at;
		h->code         = rc.code;
		h->flags        = rc.flags;
		h->nparams      = rc.np;
		h->address      = rc.address;
		memcpy(h->params, rc.params, sizeof(h->params));
		h->context_addr = best;
		h->context_ip   = best_ip;
		h->context_sp   = best_sp;
		h->ip_matches   = best_match;
		h->copies       = copies == 0 ? 1 : copies;
	}

	// Dispatch residue: return addresses into the dispatcher that the live
	// stack does not hold.
	const dw_res_word *disp[4];
	size_t             ndisp = 0;
	for (size_t i = 0; i < t->nwords && ndisp < 4; i++)
		if (t->words[i].cls == DW_RES_RETURN && !t->words[i].live &&
		    in_list(t->words[i].function, dispatch_fns))
			disp[ndisp++] = &t->words[i];
	if (nfound == 0 && ndisp != 0) {
		found[0].tid = t->tid;
		nfound       = 1;
	}
	if (nfound == 0)
		return DW_OK;

	dw_res_hidden *out = dw_arena_array(&r->arena, nfound, sizeof(*out));
	if (out == NULL)
		return DW_ENOMEM;
	for (size_t k = 0; k < nfound; k++) {
		out[k] = found[k];
		for (size_t i = 0; i < ndisp; i++)
			out[k].dispatch[i] = disp[i];
		out[k].ndispatch = ndisp;
		if (out[k].context_addr != 0)
			walk_context(r, &out[k], out[k].context_addr, ptr, sr);
	}
	t->hidden  = out;
	t->nhidden = nfound;
	return DW_OK;
}
