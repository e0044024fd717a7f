// walker/unwind_amd64.c - x64 unwinding with the semantics of Windows' own
// RtlVirtualUnwind.
//
// References: Microsoft's "x64 exception handling" (UNWIND_INFO, UNWIND_CODE,
// chained info, PUSH_MACHFRAME, the epilog rules) and the behaviour of
// RtlVirtualUnwind it describes: inside a prolog only the codes whose
// instruction already ran are undone; inside an epilog (recognised by the
// instructions themselves, not by the unwind data) the rest of the epilog is
// emulated; SAVE_NONVOL offsets are relative to the establisher frame (the
// frame register minus its offset once established, else RSP at entry to the
// unwind); chained records apply all their codes.
#include <string.h>

#include "common/cur.h"
#include "common/limits.h"
#include "walker/unwind_int.h"

// UNWIND_CODE operations (the "x64 exception handling" documentation).
enum {
	UWOP_PUSH_NONVOL     = 0,
	UWOP_ALLOC_LARGE     = 1,
	UWOP_ALLOC_SMALL     = 2,
	UWOP_SET_FPREG       = 3,
	UWOP_SAVE_NONVOL     = 4,
	UWOP_SAVE_NONVOL_FAR = 5,
	UWOP_EPILOG          = 6, // version 2; SAVE_XMM (2 slots) in version 1
	UWOP_SPARE           = 7, // SAVE_XMM_FAR (3 slots) in version 1
	UWOP_SAVE_XMM128     = 8,
	UWOP_SAVE_XMM128_FAR = 9,
	UWOP_PUSH_MACHFRAME  = 10,
};
#define UNW_FLAG_EHANDLER 1
#define UNW_FLAG_UHANDLER 2
#define UNW_FLAG_CHAININFO 4
#define RUNTIME_FUNCTION_SIZE 12
// Header (4) + 255 slots rounded up to even (512) + a chained RUNTIME_FUNCTION (12).
#define UNWIND_INFO_MAX 528
#define AMD64_RIP 16

// Nonvolatile registers of the Windows x64 ABI, in register-table bits:
// rbx rsp rbp rsi rdi r12-r15, and rip.
#define NONVOL_MASK                                                                       \
	((1ull << DW_AMD64_RBX) | (1ull << DW_AMD64_RSP) | (1ull << DW_AMD64_RBP) |       \
	 (1ull << DW_AMD64_RSI) | (1ull << DW_AMD64_RDI) | (1ull << DW_AMD64_R12) |       \
	 (1ull << DW_AMD64_R13) | (1ull << DW_AMD64_R14) | (1ull << DW_AMD64_R15) |       \
	 (1ull << AMD64_RIP))

typedef struct infobuf {
	uint8_t        buf[UNWIND_INFO_MAX];
	const uint8_t *p;
	size_t         len;
} infobuf;

static void
setreg(dw_context *c, unsigned r, uint64_t v)
{
	(void)dw_context_reg_set(c, r, v);
}

// Reads one UNWIND_INFO of the module image at rva through code reads.
static bool
image_info(dw_uw *u, dw_uw_module *m, uint32_t rva, infobuf *ib)
{
	uint8_t hdr[4];
	if (dw_uw__read_code(u, m->base + rva, hdr, 4) != 4)
		return false;
	size_t slots = ((size_t)hdr[2] + 1) & ~(size_t)1;
	size_t len   = 4 + 2 * slots;
	if ((hdr[0] >> 3) & UNW_FLAG_CHAININFO)
		len += RUNTIME_FUNCTION_SIZE;
	else if ((hdr[0] >> 3) & (UNW_FLAG_EHANDLER | UNW_FLAG_UHANDLER))
		len += 4;
	ib->len = dw_uw__read_code(u, m->base + rva, ib->buf, len);
	ib->p   = ib->buf;
	return ib->len >= 4;
}

static bool
chain_info(dw_uw *u, dw_uw_module *m, uint32_t rva, infobuf *ib)
{
	void *h = dw_uw__handle(u, m);
	if (h != NULL && u->src->ops->x64_info != NULL &&
	    u->src->ops->x64_info(&ib->p, &ib->len, h, rva, u->src->arg) == DW_OK && ib->p != NULL)
		return true;
	return image_info(u, m, rva, ib);
}

// Locates the image's exception directory (.pdata) through the PE headers in
// dump memory or the provider's image (pecoff: e_lfanew at 0x3c, PE32+
// optional header magic 0x20b, data directory 3 at optional header + 136).
static bool
image_pdata(dw_uw *u, dw_uw_module *m)
{
	if (m->pdata_state != 0)
		return m->pdata_state > 0;
	m->pdata_state = -1;
	uint8_t b[8];
	if (dw_uw__read_code(u, m->base + 0x3c, b, 4) != 4)
		return false;
	uint32_t nt = dw_get_u32le(b);
	if (nt > m->size || nt > 0x10000000)
		return false;
	uint8_t h[24 + 136 + 8];
	if (dw_uw__read_code(u, m->base + nt, h, sizeof(h)) != sizeof(h))
		return false;
	if (dw_get_u32le(h) != 0x00004550u || dw_get_u16le(h + 24) != 0x20b)
		return false;
	if (dw_get_u32le(h + 24 + 108) < 4) // NumberOfRvaAndSizes
		return false;
	m->pdata_rva  = dw_get_u32le(h + 24 + 136);
	m->pdata_size = dw_get_u32le(h + 24 + 140);
	if (m->pdata_rva == 0 || m->pdata_size < RUNTIME_FUNCTION_SIZE ||
	    (uint64_t)m->pdata_rva + m->pdata_size > m->size)
		return false;
	m->pdata_state = 1;
	return true;
}

static bool
read_rf(dw_uw *u, dw_uw_module *m, uint64_t addr, uint32_t rf[3])
{
	uint8_t b[RUNTIME_FUNCTION_SIZE];
	if (dw_uw__read_code(u, addr, b, sizeof(b)) != sizeof(b))
		return false;
	rf[0] = dw_get_u32le(b);
	rf[1] = dw_get_u32le(b + 4);
	rf[2] = dw_get_u32le(b + 8);
	(void)m;
	return true;
}

// Binary search of the image's .pdata for rva. 1 found, 0 not covered, -1 unreadable.
static int
image_find(dw_uw *u, dw_uw_module *m, uint32_t rva, dw_symsrc_x64 *fn, infobuf *ib)
{
	if (!image_pdata(u, m))
		return -1;
	size_t lo = 0, hi = m->pdata_size / RUNTIME_FUNCTION_SIZE;
	uint32_t rf[3];
	bool     hit = false;
	for (int guard = 0; lo < hi && guard < 64; guard++) {
		size_t mid = lo + (hi - lo) / 2;
		if (!read_rf(u, m, m->base + m->pdata_rva + mid * RUNTIME_FUNCTION_SIZE, rf))
			return -1;
		if (rva < rf[0])
			hi = mid;
		else if (rva >= rf[1])
			lo = mid + 1;
		else {
			hit = true;
			break;
		}
	}
	if (!hit)
		return 0;
	fn->begin = rf[0];
	fn->end   = rf[1];
	// UnwindData with bit 0 set names another RUNTIME_FUNCTION whose data
	// applies (indirect entries some linkers emit for fragments).
	for (int i = 0; i < DW_MAX_PE_UNWIND_CHAIN && (rf[2] & 1); i++)
		if (!read_rf(u, m, m->base + (rf[2] & ~1u), rf))
			return -1;
	if (rf[2] & 1)
		return -1;
	fn->unwind_rva = rf[2];
	if (!image_info(u, m, rf[2], ib))
		return -1;
	fn->info     = ib->p;
	fn->info_len = ib->len;
	return 1;
}

// Emulates the rest of an epilog, if ip is in one. true when it was.
static dw_uw_res
try_epilog(dw_uw *u, dw_uw_module *m, const dw_symsrc_x64 *fn, uint8_t frame_reg, dw_context *c,
           bool *was)
{
	*was = false;
	uint8_t  code[96];
	uint64_t ip = c->amd64.rip;
	size_t   n  = dw_uw__read_code(u, ip, code, sizeof(code));
	if (n == 0 || u->dis == NULL)
		return DW_UW_NORULE;
	dw_dis_epi_step steps[DW_DIS_EPI_MAX];
	size_t          ns = 0;
	if (!dw_dis_x64_epilog(u->dis, code, n, ip, m->base + fn->begin, m->base + fn->end, frame_reg,
	                       steps, &ns))
		return DW_UW_NORULE;
	*was        = true;
	uint64_t sp = c->amd64.gpr[DW_AMD64_RSP];
	for (size_t i = 0; i < ns; i++) {
		uint64_t v;
		switch (steps[i].op) {
		case DW_DIS_EPI_ADD_RSP:
			sp += (uint64_t)steps[i].value;
			break;
		case DW_DIS_EPI_LEA_RSP:
			sp = c->amd64.gpr[steps[i].reg] + (uint64_t)steps[i].value;
			break;
		case DW_DIS_EPI_POP:
			if (!dw_uw__read_u64(u, sp, &v))
				return DW_UW_NOMEM;
			setreg(c, steps[i].reg, v);
			sp += 8;
			break;
		case DW_DIS_EPI_RET:
		case DW_DIS_EPI_JMP:
			if (!dw_uw__read_u64(u, sp, &v))
				return DW_UW_NOMEM;
			setreg(c, AMD64_RIP, v);
			sp += 8;
			break;
		}
	}
	setreg(c, DW_AMD64_RSP, sp);
	return DW_UW_DONE;
}

static unsigned
op_slots(uint8_t op, uint8_t info, uint8_t version)
{
	switch (op) {
	case UWOP_ALLOC_LARGE:
		return info == 0 ? 2 : 3;
	case UWOP_SAVE_NONVOL:
	case UWOP_SAVE_XMM128:
		return 2;
	case UWOP_EPILOG:
		return version >= 2 ? 1 : 2;
	case UWOP_SAVE_NONVOL_FAR:
	case UWOP_SAVE_XMM128_FAR:
		return 3;
	case UWOP_SPARE:
		return version >= 2 ? 0 : 3;
	default:
		return 1;
	}
}

dw_uw_res
dw_uw__amd64_unwind(dw_uw *u, dw_uw_module *m, const dw_symsrc_x64 *fn, dw_context *c,
                    bool *machframe)
{
	*machframe = false;
	if (fn->info == NULL || fn->info_len < 4)
		return DW_UW_BAD;
	dw_cur cur;
	dw_cur_init(&cur, fn->info, fn->info_len);
	uint8_t  vf       = dw_cur_u8(&cur);
	uint8_t  version  = vf & 7, flags = vf >> 3;
	uint8_t  prolog   = dw_cur_u8(&cur);
	(void)dw_cur_u8(&cur);
	uint8_t  fr       = dw_cur_u8(&cur);
	uint8_t  freg     = fr & 15;
	uint32_t foff     = (uint32_t)(fr >> 4) * 16;
	if (cur.err != DW_OK || version < 1 || version > 2)
		return DW_UW_BAD;
	uint64_t ip  = c->amd64.rip;
	uint32_t off = (uint32_t)(ip - m->base - fn->begin);

	// Past the prolog the instruction stream decides whether ip is in an
	// epilog (Windows does the same: version 1 data does not describe them).
	if (off >= prolog && ip < m->base + fn->end) {
		bool      was;
		dw_uw_res r = try_epilog(u, m, fn, freg, c, &was);
		if (was)
			return r;
	}

	// The establisher frame: the frame register minus its offset once the
	// prolog's SET_FPREG has run, else RSP.
	uint64_t fb = c->amd64.gpr[DW_AMD64_RSP];
	if (freg != 0) {
		bool set = off >= prolog || (flags & UNW_FLAG_CHAININFO);
		if (!set) {
			dw_cur s = cur;
			for (unsigned i = 0; i < fn->info[2] && dw_cur_left(&s) >= 2;) {
				uint8_t co = dw_cur_u8(&s), b = dw_cur_u8(&s);
				unsigned k = op_slots(b & 15, b >> 4, version);
				if ((b & 15) == UWOP_SET_FPREG && off >= co)
					set = true;
				if (k == 0)
					break;
				(void)dw_cur_skip(&s, 2 * (k - 1));
				i += k;
			}
		}
		if (set)
			fb = c->amd64.gpr[freg] - foff;
	}

	const uint8_t *info = fn->info;
	size_t         ilen = fn->info_len;
	infobuf        ib;
	for (unsigned depth = 0;; depth++) {
		dw_cur_init(&cur, info, ilen);
		vf            = dw_cur_u8(&cur);
		version       = vf & 7;
		flags         = vf >> 3;
		(void)dw_cur_u8(&cur);
		uint8_t nslot = dw_cur_u8(&cur);
		fr            = dw_cur_u8(&cur);
		freg          = fr & 15;
		foff          = (uint32_t)(fr >> 4) * 16;
		if (cur.err != DW_OK || version < 1 || version > 2)
			return DW_UW_BAD;
		unsigned i = 0;
		// Version 2 data leads with UWOP_EPILOG slots; they describe epilogs
		// the instruction check above handles.
		if (version == 2)
			while (i < nslot && dw_cur_left(&cur) >= 2 && (info[4 + 2 * i + 1] & 15) == UWOP_EPILOG) {
				(void)dw_cur_skip(&cur, 2);
				i++;
			}
		while (i < nslot) {
			uint8_t  co = dw_cur_u8(&cur), b = dw_cur_u8(&cur);
			uint8_t  op = b & 15, inf = b >> 4;
			unsigned k  = op_slots(op, inf, version);
			if (cur.err != DW_OK || k == 0 || i + k > nslot)
				return DW_UW_BAD;
			uint32_t a = 0;
			if (k == 2)
				a = dw_cur_u16le(&cur);
			else if (k == 3)
				a = dw_cur_u32le(&cur);
			if (cur.err != DW_OK)
				return DW_UW_BAD;
			i += k;
			if (off < co)
				continue; // not yet executed
			uint64_t sp = c->amd64.gpr[DW_AMD64_RSP], v;
			switch (op) {
			case UWOP_PUSH_NONVOL:
				if (!dw_uw__read_u64(u, sp, &v))
					return DW_UW_NOMEM;
				setreg(c, inf, v);
				setreg(c, DW_AMD64_RSP, sp + 8);
				break;
			case UWOP_ALLOC_LARGE:
				setreg(c, DW_AMD64_RSP, sp + (inf == 0 ? (uint64_t)a * 8 : a));
				break;
			case UWOP_ALLOC_SMALL:
				setreg(c, DW_AMD64_RSP, sp + (uint64_t)inf * 8 + 8);
				break;
			case UWOP_SET_FPREG:
				if (freg == 0)
					return DW_UW_BAD;
				setreg(c, DW_AMD64_RSP, c->amd64.gpr[freg] - foff);
				break;
			case UWOP_SAVE_NONVOL:
			case UWOP_SAVE_NONVOL_FAR:
				if (!dw_uw__read_u64(u, fb + (op == UWOP_SAVE_NONVOL ? (uint64_t)a * 8 : a), &v))
					return DW_UW_NOMEM;
				setreg(c, inf, v);
				break;
			case UWOP_PUSH_MACHFRAME: {
				// Interrupt/exception entry: [RSP] = (error code,) RIP, CS,
				// EFLAGS, old RSP, SS. The RIP is the interrupted one.
				uint64_t base = sp + (inf ? 8 : 0), rip, rsp;
				if (!dw_uw__read_u64(u, base, &rip) || !dw_uw__read_u64(u, base + 24, &rsp))
					return DW_UW_NOMEM;
				setreg(c, AMD64_RIP, rip);
				setreg(c, DW_AMD64_RSP, rsp);
				*machframe = true;
				break;
			}
			default: // XMM saves (the walker keeps no XMM state), epilog slots
				break;
			}
		}
		if (!(flags & UNW_FLAG_CHAININFO))
			break;
		if (depth + 1 >= DW_MAX_PE_UNWIND_CHAIN)
			return DW_UW_BAD;
		// The chained RUNTIME_FUNCTION follows the (even) slot array.
		dw_cur rc;
		if (dw_cur_window(&rc, &cur, 4 + 2 * (((size_t)nslot + 1) & ~(size_t)1),
		                  RUNTIME_FUNCTION_SIZE) != DW_OK)
			return DW_UW_BAD;
		uint32_t cbegin = dw_cur_u32le(&rc);
		(void)dw_cur_u32le(&rc);
		uint32_t crva = dw_cur_u32le(&rc);
		if (!chain_info(u, m, crva & ~1u, &ib))
			return DW_UW_BAD;
		info = ib.p;
		ilen = ib.len;
		off  = (uint32_t)(ip - m->base - cbegin); // past a chained prolog: all codes apply
	}
	if (!*machframe) {
		uint64_t sp = c->amd64.gpr[DW_AMD64_RSP], ra;
		if (!dw_uw__read_u64(u, sp, &ra))
			return DW_UW_NOMEM;
		setreg(c, AMD64_RIP, ra);
		setreg(c, DW_AMD64_RSP, sp + 8);
	}
	return DW_UW_DONE;
}

dw_uw_res
dw_uw__amd64_step(dw_uw *u, const dw_context *ctx, uint64_t lookup, dw_context *caller,
                  bool *machframe, bool *leaf)
{
	*machframe = false;
	*leaf      = false;
	*caller    = *ctx;
	caller->valid &= NONVOL_MASK;
	dw_uw_module *m        = dw_uw__module_at(u, lookup, DW_CPU_AMD64);
	bool          has_data = false;
	if (m != NULL) {
		uint32_t      rva = (uint32_t)(lookup - m->base);
		dw_symsrc_x64 fn  = {0};
		infobuf       ib;
		void         *h   = dw_uw__handle(u, m);
		dw_err        rv  = DW_EUNSUPPORTED;
		if (h != NULL && u->src->ops->x64_find != NULL)
			rv = u->src->ops->x64_find(&fn, h, rva, u->src->arg);
		if (rv == DW_OK && fn.info == NULL)
			rv = chain_info(u, m, fn.unwind_rva, &ib) ? DW_OK : DW_ECORRUPT,
			fn.info = ib.p, fn.info_len = ib.len;
		if (rv == DW_OK)
			return dw_uw__amd64_unwind(u, m, &fn, caller, machframe);
		has_data = rv == DW_ENOTFOUND;
		int r    = image_find(u, m, rva, &fn, &ib);
		if (r == 1)
			return dw_uw__amd64_unwind(u, m, &fn, caller, machframe);
		if (r == 0)
			has_data = true;
		if (!has_data)
			return DW_UW_NORULE;
	}
	// A leaf function (no unwind data in a module that has it) has not
	// touched RSP: the return address is at [RSP]. An IP outside every module
	// (a call through a bad pointer, as in `call 0`) is treated alike, as
	// Windows' unwinder does when RtlLookupFunctionEntry finds nothing.
	uint64_t sp = ctx->amd64.gpr[DW_AMD64_RSP], ra;
	if (!dw_uw__read_u64(u, sp, &ra))
		return DW_UW_NOMEM;
	setreg(caller, AMD64_RIP, ra);
	setreg(caller, DW_AMD64_RSP, sp + 8);
	*leaf = true;
	return DW_UW_DONE;
}
