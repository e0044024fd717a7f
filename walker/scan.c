// walker/scan.c - stack scanning, the last resort on both CPUs, and the
// return-address plausibility test the other unwinders share.
//
// A stack word counts as a return address only when it lies in a module of
// the CPU being walked and, wherever the bytes just before it can be read
// (dump memory, or the module image from the provider), they decode as a
// CALL ending there; where the module has symbols it must also lie in a
// function. Without code bytes a value is accepted only close to where the
// scan started (DW_MAX_SCAN_WORDS_UNVERIFIED), as Breakpad and rust-minidump do.
#include "common/limits.h"
#include "walker/unwind_int.h"

bool
dw_uw__call_before(dw_uw *u, dw_cpu cpu, uint64_t ret, bool *known)
{
	*known = false;
	if (ret < 16 || u->dis == NULL)
		return false;
	uint8_t buf[16];
	size_t  got = dw_uw__read_code(u, ret - 16, buf, 16);
	const uint8_t *p   = buf;
	size_t         len = 16;
	if (got != 16) {
		// The 16 bytes may straddle the start of a captured range: retry
		// with the longest CALL form only.
		if (dw_uw__read_code(u, ret - 9, buf, 9) != 9)
			return false;
		len = 9;
	}
	*known = true;
	return dw_dis_call_before(u->dis, cpu, p, len, ret, NULL);
}

static bool
in_function(dw_uw *u, dw_uw_module *m, uint64_t ret)
{
	void *h = dw_uw__handle(u, m);
	if (h == NULL || u->src->ops->find == NULL)
		return true; // no symbols: nothing to check against
	dw_symsrc_loc loc;
	return u->src->ops->find(&loc, h, (uint32_t)(ret - 1 - m->base), u->src->arg) == DW_OK;
}

bool
dw_uw__plausible_ra(dw_uw *u, dw_cpu cpu, uint64_t ret)
{
	dw_uw_module *m = dw_uw__module_at(u, ret, cpu);
	if (m == NULL || ret == m->base)
		return false;
	bool known;
	bool call = dw_uw__call_before(u, cpu, ret, &known);
	if (known && !call)
		return false;
	return in_function(u, m, ret);
}

bool
dw_uw__scan(dw_uw *u, dw_cpu cpu, uint64_t start, size_t max_words, uint64_t *found_at, uint64_t *ra)
{
	unsigned w = cpu == DW_CPU_AMD64 ? 8 : 4;
	if (max_words > DW_MAX_SCAN_WORDS)
		max_words = DW_MAX_SCAN_WORDS;
	for (size_t i = 0; i < max_words; i++) {
		uint64_t a = start + i * w, v = 0;
		if (a < start)
			return false;
		if (w == 8) {
			if (!dw_uw__read_u64(u, a, &v))
				return false;
		} else {
			uint32_t v32;
			if (!dw_uw__read_u32(u, a, &v32))
				return false;
			v = v32;
		}
		dw_uw_module *m = dw_uw__module_at(u, v, cpu);
		if (m == NULL || v == m->base)
			continue;
		bool known;
		bool call = dw_uw__call_before(u, cpu, v, &known);
		if (known ? !call : i >= DW_MAX_SCAN_WORDS_UNVERIFIED)
			continue;
		if (!in_function(u, m, v))
			continue;
		*found_at = a;
		*ra       = v;
		return true;
	}
	return false;
}
