// walker/residue.c - raw-stack residue: every word between a little below the
// stack pointer and the stack base, classified and symbolized (see
// walker/residue.h).
//
// Folklore: a value that resolves to a symbol is not yet a return address.
// A function pointer kept in a local (a callback, a vtable slot copied out)
// names a function just as well; WinDbg's `dps` shows both alike and
// analysts chase the wrong one. We disassemble the bytes before the value:
// only a CALL ending exactly there makes it a return address (the same test
// the stack scanner uses); anything else in code is flagged as coincidental.
#include "walker/residue_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/cur.h"
#include "common/limits.h"
#include "walker/wow64_int.h"

// The words of a thread that kept none (never written); no_words[0] is also
// the blank a classification starts from: a struct copy is five vector
// moves, where memset of a record chose `rep stos`, whose start-up cost was
// a fifth of the scan's time on small stacks (perf, x64/div_zero).
static const dw_res_word no_words[1];

const char *
dw_res_class_name(dw_res_class c)
{
	switch (c) {
	case DW_RES_FILL: return "fill";
	case DW_RES_RETURN: return "return";
	case DW_RES_CODE: return "code";
	case DW_RES_STACK: return "stack";
	case DW_RES_MODULE_DATA: return "module_data";
	case DW_RES_HEAP: return "heap";
	case DW_RES_ASCII: return "ascii";
	case DW_RES_UTF16: return "utf16";
	default: return "other";
	}
}

// Fill patterns of the Windows heap, the debug CRT and compilers (as
// documented by Microsoft for the debug CRT and /RTC, and as every Windows
// debugging book lists them), by their 32-bit value. Every stack word
// outside the small integers asks, so it is a switch (a few compares), not a
// walk over a table.
static const char *
fill_of(uint32_t lo)
{
	switch (lo) {
	case 0xCCCCCCCCu: return "0xCCCCCCCC: uninitialised stack (MSVC /RTCs, /GZ)";
	case 0xCDCDCDCDu: return "0xCDCDCDCD: uninitialised heap block (debug CRT)";
	case 0xDDDDDDDDu: return "0xDDDDDDDD: freed heap block (debug CRT)";
	case 0xFDFDFDFDu: return "0xFDFDFDFD: no-man's-land guard bytes (debug CRT)";
	case 0xFEEEFEEEu: return "0xFEEEFEEE: freed heap memory (HeapFree)";
	case 0xBAADF00Du: return "0xBAADF00D: uninitialised LocalAlloc/HeapAlloc memory (debug heap)";
	case 0xABABABABu: return "0xABABABAB: guard bytes after a HeapAlloc block";
	case 0xBDBDBDBDu: return "0xBDBDBDBD: guard bytes (debug CRT aligned blocks)";
	case 0xDEADBEEFu: return "0xDEADBEEF: poison value";
	case 0xFEFEFEFEu: return "0xFEFEFEFE: freed memory (page heap, debug CRT)";
	default: return NULL;
	}
}

static inline const char *
fill_name(uint64_t v, unsigned ptr)
{
	uint32_t lo = (uint32_t)v, hi = (uint32_t)(v >> 32);
	if (ptr == 4 ? hi != 0 : (hi != lo && hi != 0))
		return NULL;
	return fill_of(lo);
}

const char *
dw_res_fill_name(uint64_t v, unsigned ptr)
{
	return fill_name(v, ptr);
}

static bool
is_print(unsigned c)
{
	return c >= 0x20 && c < 0x7f;
}

static bool
is_letter(unsigned c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Printable bytes from the lowest address on, then only NULs: at least 4
// characters, two of them letters.
static bool
text_ascii(uint64_t v, unsigned ptr, char *out)
{
	unsigned n = 0, letters = 0;
	while (n < ptr && is_print((unsigned)(v >> (8 * n)) & 0xff)) {
		out[n] = (char)((v >> (8 * n)) & 0xff);
		letters += is_letter((unsigned char)out[n]);
		n++;
	}
	out[n] = 0;
	if (n < 4 || letters < 2)
		return false;
	return n == ptr || (v >> (8 * n)) == 0;
}

// UTF-16LE units with ASCII characters, then only zero units: at least 2 (x86)
// or 3 (x64) characters, one a letter.
static bool
text_utf16(uint64_t v, unsigned ptr, char *out)
{
	unsigned units = ptr / 2, n = 0, letters = 0;
	while (n < units) {
		unsigned u = (unsigned)(v >> (16 * n)) & 0xffff;
		if (!is_print(u))
			break;
		out[n] = (char)u;
		letters += is_letter(u);
		n++;
	}
	out[n] = 0;
	if (n < (ptr == 4 ? 2u : 3u) || letters == 0)
		return false;
	return n == units || (v >> (16 * n)) == 0;
}

void
dw_res__symbol(dw_residue *r, uint64_t addr, const dw_md_module **mod, const char **fn,
               uint64_t *fn_start)
{
	*mod = NULL;
	*fn  = NULL;
	*fn_start = 0;
	dw_uw_module *m = dw_uw__module_at(r->u, addr, DW_CPU_UNKNOWN);
	if (m == NULL)
		return;
	*mod    = m->md;
	void *h = dw_uw__handle(r->u, m);
	const dw_symsrc *src = r->u->src;
	if (h == NULL || src == NULL || src->ops == NULL || src->ops->find == NULL)
		return;
	dw_symsrc_loc loc;
	memset(&loc, 0, sizeof(loc));
	if (src->ops->find(&loc, h, (uint32_t)(addr - m->base), src->arg) == DW_OK && loc.name != NULL) {
		*fn       = loc.name;
		*fn_start = m->base + loc.start;
	}
}

// call_before_in is dw_res__call_before for a `ret` in module m (NULL when
// it is in none), which the caller has looked up already.
static bool
call_before_in(dw_residue *r, dw_cpu cpu, uint64_t ret, dw_uw_module *m, uint64_t *target)
{
	uint8_t buf[16];
	*target = 0;
	if (r->u->dis == NULL || ret < sizeof(buf))
		return false;
	// The longest x86 CALL is 7 bytes (FF 15 / FF 94 with SIB and disp32) and
	// x64's 9 with prefixes: 16 bytes leave room. When the page before is
	// not captured (a call at the start of a captured range), fewer bytes
	// still decide the shorter encodings (E8 rel32 is 5, FF D0 2).
	static const size_t tries[] = {16, 12, 9, 7, 6, 5, 3, 2};
	size_t              len     = 0;
	// Captured code around a return address usually holds the 16 bytes
	// before it in one range: a single lookup, no copy through the reader.
	size_t         avail = 0;
	const uint8_t *e     = dw_dump_memory_before(r->d, ret, &avail);
	if (e != NULL && avail >= sizeof(buf)) {
		memcpy(buf, e - sizeof(buf), sizeof(buf));
		len = sizeof(buf);
	} else if (e == NULL) {
		// Not captured (most module values: a minidump rarely holds code
		// pages): only the module's image can have the bytes, and every
		// shorter try needs the last one, so an image that cannot give them
		// all settles it in one read.
		void            *h   = m != NULL ? dw_uw__handle(r->u, m) : NULL;
		const dw_symsrc *src = r->u->src;
		if (h == NULL || src->ops->read_code == NULL || ret - sizeof(buf) < m->base)
			return false;
		size_t got = 0;
		(void)src->ops->read_code(buf, sizeof(buf), &got, h,
		                          (uint32_t)(ret - sizeof(buf) - m->base), src->arg);
		if (got >= sizeof(buf))
			len = sizeof(buf);
		else if (src->ops->read_code(buf, 2, &got, h, (uint32_t)(ret - 2 - m->base), src->arg) !=
		             DW_OK ||
		         got < 2)
			return false; // not even the last 2 bytes: no try below can read
	}
	// A range boundary or an image section start just before ret: the
	// longest readable tail, through the walk's reader.
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]) && len == 0; i++)
		if (dw_uw__read_code(r->u, ret - tries[i], buf + sizeof(buf) - tries[i], tries[i]) ==
		    tries[i])
			len = tries[i];
	if (len == 0)
		return false;
	return dw_dis_call_before(r->u->dis, cpu, buf + sizeof(buf) - len, len, ret, target);
}

bool
dw_res__call_before(dw_residue *r, dw_cpu cpu, uint64_t ret, uint64_t *target)
{
	return call_before_in(r, cpu, ret, dw_uw__module_at(r->u, ret - 1, DW_CPU_UNKNOWN), target);
}

// Whether `value` in module m (dw_uw__module_at's) lies in code:
// MemoryInfoList's protection when it covers the value, else a function
// (with a size) of the provider.
static bool
in_code(dw_residue *r, dw_uw_module *m, uint64_t value, bool *known)
{
	const dw_md_memory_info *mi = dw_md_streams_memory_info_at(r->s, value);
	*known                      = mi != NULL && mi->state == DW_MD_MEM_COMMIT;
	if (*known)
		return (mi->protect & DW_MD_PAGE_EXECUTE_ANY) != 0;
	void *h = dw_uw__handle(r->u, m);
	const dw_symsrc *src = r->u->src;
	if (h == NULL || src == NULL || src->ops == NULL || src->ops->find == NULL)
		return false;
	dw_symsrc_loc loc;
	memset(&loc, 0, sizeof(loc));
	return src->ops->find(&loc, h, (uint32_t)(value - m->base), src->arg) == DW_OK &&
	       loc.name != NULL && loc.size != 0 && loc.offset < loc.size;
}

const dw_res_stackrange *
dw_res__stack_of(const dw_residue *r, uint64_t addr)
{
	size_t lo = 0, hi = r->nstacks; // first range with lo > addr
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->stacks[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= r->stacks[lo - 1].hi)
		return NULL;
	return &r->stacks[lo - 1];
}

// Text, or nothing: what a value that points nowhere can still be. Both text
// forms start with a printable byte at the lowest address, which most such
// values (counts, flags, hashes) fail at once. Only cls is written for
// OTHER (see dw_res__classify); text starts from a blank record.
static void
classify_text(dw_residue *r, uint64_t value, unsigned ptr, dw_res_word *o)
{
	char         txt[9];
	unsigned     b0  = (unsigned)value & 0xff;
	dw_res_class cls = DW_RES_OTHER;
	if (is_print(b0)) {
		if (text_ascii(value, ptr, txt))
			cls = DW_RES_ASCII;
		else if (text_utf16(value, ptr, txt))
			cls = DW_RES_UTF16;
	}
	if (cls == DW_RES_OTHER) {
		o->cls = cls;
		return;
	}
	*o       = no_words[0];
	o->value = value;
	o->text  = dw_arena_strdup(&r->arena, txt);
	o->cls   = o->text != NULL ? cls : DW_RES_OTHER;
}

// A value >= 0x10000 in no module and no fill pattern, in spans of `kinds`
// (DW_RES_IN_*; only the lookups a kind allows are made): a stack, committed
// private memory, else text or nothing.
static void
classify_unmoduled(dw_residue *r, unsigned ptr, uint64_t value, unsigned kinds, dw_res_word *o)
{
	const dw_res_stackrange *sr =
	    (kinds & DW_RES_IN_STACK) != 0 ? dw_res__stack_of(r, value) : NULL;
	if (sr != NULL) {
		*o       = no_words[0];
		o->value = value;
		o->cls   = DW_RES_STACK;
		o->tid   = sr->tid;
		return;
	}
	const dw_md_memory_info *mi =
	    (kinds & DW_RES_IN_HEAP) != 0 ? dw_md_streams_memory_info_at(r->s, value) : NULL;
	if (mi != NULL && mi->state == DW_MD_MEM_COMMIT && mi->type == DW_MD_MEM_PRIVATE) {
		*o       = no_words[0];
		o->value = value;
		o->cls   = DW_RES_HEAP;
		return;
	}
	classify_text(r, value, ptr, o);
}

// A value >= 0x10000 that is no fill pattern: a module (code or data), a
// stack, committed private memory, else text or nothing.
static void
classify_uncached(dw_residue *r, dw_cpu cpu, unsigned ptr, uint64_t value, dw_res_word *o)
{
	*o = no_words[0];
	o->value        = value;
	dw_uw_module *m = dw_uw__module_at(r->u, value, DW_CPU_UNKNOWN);
	if (m != NULL) {
		bool     known, code = in_code(r, m, value, &known);
		uint64_t target = 0, start;
		o->module       = m->md;
		if ((code || !known) && call_before_in(r, cpu, value, m, &target)) {
			o->cls         = DW_RES_RETURN;
			o->call_target = target;
			dw_res__symbol(r, value - 1, &o->module, &o->function, &start);
			if (o->function != NULL)
				o->function_offset = value - start;
			if (target != 0) {
				const dw_md_module *tm;
				dw_res__symbol(r, target, &tm, &o->target_function, &start);
			}
			return;
		}
		o->cls = code ? DW_RES_CODE : DW_RES_MODULE_DATA;
		if (code) {
			dw_res__symbol(r, value, &o->module, &o->function, &start);
			if (o->function != NULL)
				o->function_offset = value - start;
		}
		return;
	}
	// o is blank already: an OTHER memo entry stays a whole record.
	classify_unmoduled(r, ptr, value, DW_RES_IN_STACK | DW_RES_IN_HEAP, o);
}

// The kinds (DW_RES_IN_*) of the span value lies in, 0 for none: outside
// every module, stack and committed private region classify_uncached can
// only find a fill pattern, text or nothing. Every stack word above the
// small integers asks, and neighbouring words point into the same few pages
// (saved frame pointers into the stack, locals into the heap, a module's
// data): a page that lies wholly in one span or one gap is remembered, and
// only other values pay for the search (a full dump has thousands of spans;
// it has no branch to mispredict).
static unsigned
in_spans(dw_residue *r, uint64_t value)
{
	uint64_t page = value >> 12;
	size_t   slot = (size_t)(page ^ (page >> 8)) & (DW_RES_PAGE_SLOTS - 1);
	if (r->page_key[slot] == page + 1)
		return r->page_kinds[slot];
	const dw_res_span *sp = r->spans;
	size_t             n  = r->nspans;
	uint64_t           first = page << 12, last = first | 0xfff;
	unsigned           kinds = 0;
	bool               whole;
	if (n == 0 || value < sp[0].lo) {
		whole = n == 0 || last < sp[0].lo;
	} else {
		const dw_res_span *b   = sp; // the last span with lo <= value
		size_t             len = n;
		while (len > 1) {
			size_t half = len / 2;
			b           = b[half].lo <= value ? b + half : b;
			len -= half;
		}
		if (value <= b->last) {
			kinds = b->kinds;
			whole = b->lo <= first && b->last >= last;
		} else {
			whole = b->last < first && (b + 1 == sp + n || b[1].lo > last);
		}
	}
	if (whole) {
		r->page_key[slot]   = page + 1;
		r->page_kinds[slot] = (uint8_t)kinds;
	}
	return kinds;
}

// The memo, made on the first value that needs it and sized to the stacks
// (DW_RES_MEMO_MIN..DW_RES_MEMO_SLOTS slots): most stacks hold a few hundred
// distinct pointers, and a fixed 4096-slot table cost more to clear than a
// small dump's whole scan.
static bool
memo_make(dw_residue *r)
{
	size_t want = r->total_words / 4, slots = DW_RES_MEMO_MIN;
	while (slots < want && slots < DW_RES_MEMO_SLOTS)
		slots *= 2;
	r->memo_key  = calloc(slots, sizeof(*r->memo_key));
	r->memo_word = malloc(slots * sizeof(*r->memo_word));
	if (r->memo_key == NULL || r->memo_word == NULL)
		return false;
	r->memo_mask = slots - 1;
	return true;
}

void
dw_res__classify(dw_residue *r, dw_cpu cpu, unsigned ptr, uint64_t value, dw_res_word *out)
{
	// Zero and small integers are most of a stack: decided without a lookup.
	if (value < 0x10000) {
		out->cls = DW_RES_OTHER;
		return;
	}
	const char *fill = fill_name(value, ptr);
	if (fill != NULL) {
		*out = no_words[0];
		out->value = value;
		out->cls   = DW_RES_FILL;
		out->text  = fill;
		return;
	}
	// Values outside every module, stack and heap region are text or
	// nothing: no lookup, no memo. Values in a span no module touches skip
	// the module search and the memo too: they are mostly saved frame
	// pointers and locals' addresses, each seen once, and cheap to decide.
	unsigned kinds = in_spans(r, value);
	if ((kinds & DW_RES_IN_MODULE) == 0) {
		classify_unmoduled(r, ptr, value, kinds, out);
		return;
	}
	if (r->memo_key == NULL && !memo_make(r)) {
		classify_uncached(r, cpu, ptr, value, out);
		return;
	}
	// The key folds in the CPU: a WOW64 thread's 32-bit stack decodes the
	// same value as x86 code.
	uint64_t key  = value ^ ((uint64_t)cpu << 60);
	size_t   slot = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 40) & r->memo_mask;
	if (key == 0) { // 0 marks an empty slot
		classify_uncached(r, cpu, ptr, value, out);
		return;
	}
	if (r->memo_key[slot] == key) {
		*out = r->memo_word[slot];
		return;
	}
	classify_uncached(r, cpu, ptr, value, out);
	r->memo_key[slot]  = key;
	r->memo_word[slot] = *out;
}

static int
span_cmp(const void *a, const void *b)
{
	const dw_res_span *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

// Every range that classify_uncached's lookups can find a value in: each
// module (dw_uw__module_at), each stack range (dw_res__stack_of) and each
// committed private region of MemoryInfoList (the heap test). A superset is
// enough: a value inside goes through the full classification.
static dw_err
collect_spans(dw_residue *r)
{
	size_t                   nmi = 0;
	const dw_md_memory_info *mi  = dw_md_streams_memory_infos(r->s, &nmi);
	size_t                   cap = r->u->nmods + r->nstacks + nmi;
	r->spans = dw_arena_array(&r->arena, cap + 1, sizeof(*r->spans));
	if (r->spans == NULL)
		return DW_ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < r->u->nmods; i++) {
		const dw_uw_module *m = &r->u->mods[i];
		if (m->size == 0)
			continue;
		uint64_t last = m->base + (m->size - 1);
		r->spans[n++] =
		    (dw_res_span){m->base, last < m->base ? UINT64_MAX : last, DW_RES_IN_MODULE};
	}
	for (size_t i = 0; i < r->nstacks; i++)
		if (r->stacks[i].hi > r->stacks[i].lo)
			r->spans[n++] = (dw_res_span){r->stacks[i].lo, r->stacks[i].hi - 1, DW_RES_IN_STACK};
	for (size_t i = 0; mi != NULL && i < nmi; i++) {
		if (mi[i].state != DW_MD_MEM_COMMIT || mi[i].type != DW_MD_MEM_PRIVATE ||
		    mi[i].region_size == 0)
			continue;
		uint64_t last = mi[i].base_address + (mi[i].region_size - 1);
		r->spans[n++] = (dw_res_span){mi[i].base_address,
		                              last < mi[i].base_address ? UINT64_MAX : last, DW_RES_IN_HEAP};
	}
	qsort(r->spans, n, sizeof(*r->spans), span_cmp);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k != 0 && (r->spans[k - 1].last == UINT64_MAX || r->spans[i].lo <= r->spans[k - 1].last + 1)) {
			if (r->spans[i].last > r->spans[k - 1].last)
				r->spans[k - 1].last = r->spans[i].last;
			r->spans[k - 1].kinds |= r->spans[i].kinds;
			continue;
		}
		r->spans[k++] = r->spans[i];
	}
	r->nspans = k;
	return DW_OK;
}

// Whether the RETURN word at `addr` is the return slot of a live frame: its
// value is frame i's return address and it lies between frame i-1's stack
// pointer and frame i's (a caller's SP is just past its return slot, plus
// any stdcall arguments popped).
//
// Frames' stack pointers normally never fall from one frame to the next (the
// walker insists on it), so the slots [SP(i-1), SP(i)) are disjoint and
// sorted: `rising` says so, and then a binary search finds the only frame
// whose slot can hold addr. A deep recursion has ~1000 frames and as many
// return words; the linear search made stack_overflow.dmp's residue scan 12x
// its walk. A stack whose SPs do fall keeps the linear search.
static bool
is_live(const dw_stack *st, bool rising, uint64_t addr, uint64_t value)
{
	if (st == NULL)
		return false;
	if (rising) {
		size_t lo = 0, hi = st->nframes; // first frame with SP > addr
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (dw_context_sp(&st->frames[mid].ctx) <= addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo >= 1 && lo < st->nframes && st->frames[lo].ip == value;
	}
	for (size_t i = 1; i < st->nframes; i++)
		if (st->frames[i].ip == value && addr >= dw_context_sp(&st->frames[i - 1].ctx) &&
		    addr < dw_context_sp(&st->frames[i].ctx))
			return true;
	return false;
}

static bool
sps_rise(const dw_stack *st)
{
	for (size_t i = 1; st != NULL && i < st->nframes; i++)
		if (dw_context_sp(&st->frames[i].ctx) < dw_context_sp(&st->frames[i - 1].ctx))
			return false;
	return true;
}

static int
range_cmp(const void *a, const void *b)
{
	const dw_res_stackrange *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

// WOW64: the 32-bit stack of a thread whose 32-bit context was found and
// walked. Its bounds come from the TEB32 (TEB64 + 0x2000, NT_TIB32
// StackBase at +4 and StackLimit at +8: the layout walker/wow64.c walks
// with), else from the captured range holding the 32-bit stack pointer.
static bool
stack32_range(const dw_residue *r, const dw_md_thread *th, const dw_thread_walk *tw,
              uint64_t *lo, uint64_t *hi, uint64_t *sp)
{
	if (r->cpu != DW_CPU_AMD64 || tw == NULL || !tw->has_stack32 || tw->stack32.nframes == 0)
		return false;
	*sp = dw_context_sp(&tw->stack32.frames[0].ctx);
	uint8_t b[8];
	if (th->teb != 0 && th->teb <= UINT64_MAX - 0x2010 &&
	    dw_dump_read(r->d, th->teb + 0x2000 + 4, b, sizeof(b), NULL) == DW_OK) {
		uint32_t base = dw_get_u32le(b), limit = dw_get_u32le(b + 4);
		if (limit < base && *sp >= limit && *sp < base) {
			*lo = limit;
			*hi = base;
			return true;
		}
	}
	size_t avail = 0;
	if (*sp > UINT32_MAX || dw_dump_memory_at(r->d, *sp, &avail) == NULL)
		return false;
	*lo = *sp;
	*hi = *sp + (avail < DW_MAX_RESIDUE_STACK_BYTES ? avail : DW_MAX_RESIDUE_STACK_BYTES);
	return true;
}

static void
add_stack(dw_residue *r, uint32_t tid, uint64_t lo, uint64_t hi)
{
	dw_res_stackrange *s = &r->stacks[r->nstacks++];
	s->tid               = tid;
	s->lo                = lo;
	s->hi                = hi;
	// The whole reservation (guard page and uncommitted part below the
	// captured memory) belongs to the stack too.
	const dw_md_memory_info *mi = dw_md_streams_memory_info_at(r->s, lo);
	if (mi != NULL && mi->allocation_base != 0 && mi->allocation_base < s->lo) {
		s->alloc_base = mi->allocation_base;
		s->lo         = mi->allocation_base;
	}
}

static void
collect_stacks(dw_residue *r, const dw_md_thread *th, size_t n)
{
	r->stacks = dw_arena_array(&r->arena, 2 * n + 1, sizeof(*r->stacks));
	if (r->stacks == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		const dw_md_thread *t = &th[i];
		if (t->stack.loc.size != 0 && t->stack.start + t->stack.loc.size >= t->stack.start)
			add_stack(r, t->thread_id, t->stack.start, t->stack.start + t->stack.loc.size);
		uint64_t lo, hi, sp;
		if (stack32_range(r, t, dw_walk_thread_find(r->w, t->thread_id), &lo, &hi, &sp))
			add_stack(r, t->thread_id, lo, hi);
	}
	qsort(r->stacks, r->nstacks, sizeof(*r->stacks), range_cmp);
	// Damaged dumps may overlap ranges; clip so the search stays exact.
	for (size_t i = 1; i < r->nstacks; i++)
		if (r->stacks[i].lo < r->stacks[i - 1].hi)
			r->stacks[i - 1].hi = r->stacks[i].lo;
}

const dw_stack *
dw_res__walked(const dw_residue *r, const dw_res_thread *t)
{
	const dw_thread_walk *tw = dw_walk_thread_find(r->w, t->tid);
	if (tw == NULL)
		return NULL;
	return t->cpu != r->cpu && tw->has_stack32 ? &tw->stack32 : &tw->stack;
}

// Room for one more kept word of the thread being scanned: its array grows
// by doubling and becomes the thread's own at the end (r->blocks), so no
// word is copied out of a scratch buffer.
static dw_res_word *
next_word(dw_residue *r, const dw_res_thread *t)
{
	if (t->nwords == r->cur_cap) {
		size_t       ncap = r->cur_cap != 0 ? r->cur_cap * 2 : r->first_cap;
		dw_res_word *n    = realloc(r->cur, ncap * sizeof(*n));
		if (n == NULL)
			return NULL;
		r->cur     = n;
		r->cur_cap = ncap;
	}
	return &r->cur[t->nwords];
}

// Classifies the words of [max(base, sp - below), base + size) of thread
// record t (tid, cpu and ptr set), sp being its stack pointer.
static dw_err
scan_words(dw_residue *r, dw_res_thread *t, uint64_t base, uint64_t size, uint64_t sp,
           const dw_stack *live, uint32_t below)
{
	t->sp       = sp;
	unsigned ptr = t->ptr;
	uint64_t lo  = sp - base >= below ? sp - below : base;
	lo &= ~(uint64_t)(ptr - 1);
	if (lo < base)
		lo = base;
	size_t         avail = 0;
	const uint8_t *p     = dw_dump_memory_at(r->d, lo, &avail);
	uint64_t       hi    = base + size;
	if (p == NULL) {
		t->missing = true;
		return DW_OK;
	}
	if (avail < hi - lo)
		hi = lo + avail;
	t->lo = lo;
	t->hi = hi;
	r->ncands = 0;
	size_t          nwords = (size_t)((hi - lo) / ptr);
	size_t          cap    = nwords < DW_MAX_RESIDUE_WORDS ? nwords : DW_MAX_RESIDUE_WORDS;
	size_t          small  = 0; // words below 0x10000: OTHER without a look
	// A stack keeps a third of its words or less (pointers, text); starting
	// near there saves most of the doublings.
	r->first_cap = cap / 4 < 64 ? 64 : cap / 4;
	bool rising  = sps_rise(live);
	for (size_t i = 0; i < nwords; i++) {
		// Zeros and small integers are most of a stack (a deep recursion's
		// untouched pages, locals): skipped in a tight loop.
		uint64_t v;
		if (ptr == 8)
			while ((v = dw_get_u64le(p + i * 8)) < 0x10000 && ++i < nwords)
				small++;
		else
			while ((v = dw_get_u32le(p + i * 4)) < 0x10000 && ++i < nwords)
				small++;
		if (v < 0x10000) { // ran off the end on a small word
			small++;
			break;
		}
		uint64_t a = lo + (uint64_t)i * ptr;
		if (dw_res__record_candidate(v, ptr)) {
			if (r->ncands == r->cands_cap) {
				size_t    ncap = r->cands_cap < 64 ? 64 : r->cands_cap * 2;
				uint32_t *n    = realloc(r->cands, ncap * sizeof(*n));
				if (n == NULL)
					return DW_ENOMEM;
				r->cands     = n;
				r->cands_cap = ncap;
			}
			// i * ptr < DW_MAX_RESIDUE_STACK_BYTES (4 MiB): fits.
			r->cands[r->ncands++] = (uint32_t)(i * ptr);
		}
		// Classified straight into the thread's array; past the cap into a
		// spare record that is only counted.
		dw_res_word  spare;
		dw_res_word *w = &spare;
		if (t->nwords < cap && (w = next_word(r, t)) == NULL)
			return DW_ENOMEM;
		dw_res__classify(r, t->cpu, ptr, v, w);
		t->counts[w->cls]++;
		if (w->cls == DW_RES_OTHER)
			continue;
		w->addr     = a;
		w->below_sp = a < sp;
		if (w->cls == DW_RES_RETURN) {
			w->live = is_live(live, rising, a, v);
			t->residue_returns += !w->live;
		}
		if (w == &spare)
			t->dropped++;
		else
			t->nwords++;
	}
	t->counts[DW_RES_OTHER] += small;
	if (t->nwords != 0) {
		// The array moves to the thread; the next thread starts its own.
		// A big stack that kept few words gives back the rest (glibc
		// shrinks in place): a thousand threads must not hold a guess each.
		if (r->cur_cap > 2 * t->nwords + 64) {
			dw_res_word *n = realloc(r->cur, t->nwords * sizeof(*n));
			if (n != NULL)
				r->cur = n;
		}
		r->blocks[r->nblocks++] = r->cur;
		t->words                = r->cur;
		r->cur                  = NULL;
		r->cur_cap              = 0;
	}
	return DW_OK;
}

// The thread's native stack: from a little below its stack pointer (the
// context's, or the walk's first frame's) to the stack base.
static dw_err
scan_thread(dw_residue *r, dw_res_thread *t, const dw_md_thread *th, const dw_thread_walk *tw,
            uint32_t below)
{
	t->tid   = th->thread_id;
	t->cpu   = r->cpu;
	t->ptr   = r->ptr;
	t->words = no_words;
	uint64_t base = th->stack.start, size = th->stack.loc.size;
	if (r->ptr == 0 || size == 0 || base + size < base) {
		t->missing = true;
		return DW_OK;
	}
	if (size > DW_MAX_RESIDUE_STACK_BYTES)
		size = DW_MAX_RESIDUE_STACK_BYTES;
	uint64_t sp = base;
	if (th->context != NULL)
		sp = dw_context_sp(th->context);
	if (tw != NULL && tw->stack.nframes != 0) {
		uint64_t wsp = dw_context_sp(&tw->stack.frames[0].ctx);
		if (sp < base || sp >= base + size || (wsp >= base && wsp < sp))
			sp = wsp;
	}
	if (sp < base || sp >= base + size)
		sp = base;
	return scan_words(r, t, base, size, sp, tw != NULL ? &tw->stack : NULL, below);
}

// A WOW64 thread's 32-bit stack, as a record of its own (cpu x86, 4-byte
// words) right after the thread's 64-bit one. Folklore: the 64-bit stack of
// a WOW64 thread is a few frames parked in wow64cpu; the program's own
// frames, and what its earlier calls left, are on the 32-bit stack, which
// the ThreadList does not name. Example: tests/walker/wow64_test.c wraps
// our x86 corpus dumps this way; the 32-bit words there classify as they do
// in the original x86 dump.
static bool
scan_thread32(dw_residue *r, dw_res_thread *t, const dw_md_thread *th, const dw_thread_walk *tw,
              uint32_t below, dw_err *rv)
{
	uint64_t lo, hi, sp;
	*rv = DW_OK;
	if (!stack32_range(r, th, tw, &lo, &hi, &sp))
		return false;
	t->tid   = th->thread_id;
	t->cpu   = DW_CPU_X86;
	t->ptr   = 4;
	t->words = no_words;
	if (hi - lo > DW_MAX_RESIDUE_STACK_BYTES)
		hi = lo + DW_MAX_RESIDUE_STACK_BYTES;
	if (sp < lo || sp >= hi)
		sp = lo;
	*rv = scan_words(r, t, lo, hi - lo, sp, &tw->stack32, below);
	return true;
}

dw_err
dw_residue_scan(dw_residue **out, dw_walk *w, const dw_residue_options *opt)
{
	*out          = NULL;
	dw_residue *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return DW_ENOMEM;
	dw_arena_init(&r->arena, 0);
	dw_err rv      = DW_ENOMEM;
	r->w           = w;
	r->d           = dw_walk__dump(w);
	r->u           = dw_walk__uw(w);
	r->s           = dw_dump_other_streams(r->d);
	r->cpu         = dw_dump_cpu(r->d);
	r->ptr         = r->cpu == DW_CPU_AMD64 ? 8 : r->cpu == DW_CPU_X86 ? 4 : 0;
	uint32_t below = opt != NULL && opt->below_sp != 0 ? opt->below_sp : DW_RESIDUE_BELOW_SP;
	size_t   n;
	const dw_md_thread *th = dw_dump_threads(r->d, &n);
	if (n != 0) {
		r->blocks = calloc(2 * n, sizeof(*r->blocks));
		if (r->blocks == NULL)
			goto out;
	}
	for (size_t i = 0; r->ptr != 0 && i < n; i++)
		r->total_words += (size_t)(th[i].stack.loc.size / r->ptr);
	collect_stacks(r, th, n);
	if (collect_spans(r) != DW_OK)
		goto out;
	// Two records a thread at most: its stack, and a WOW64 32-bit stack.
	r->threads = dw_arena_array(&r->arena, 2 * n + 1, sizeof(*r->threads));
	if (r->threads == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		dw_res_thread        *t  = &r->threads[r->nthreads++];
		const dw_thread_walk *tw = dw_walk_thread_find(w, th[i].thread_id);
		if ((rv = scan_thread(r, t, &th[i], tw, below)) != DW_OK)
			goto out;
		if ((opt == NULL || !opt->no_hidden) && !t->missing &&
		    (rv = dw_res__hidden(r, t, tw != NULL ? &tw->stack : NULL)) != DW_OK)
			goto out;
		t = &r->threads[r->nthreads];
		if (!scan_thread32(r, t, &th[i], tw, below, &rv))
			continue;
		r->nthreads++;
		if (rv != DW_OK)
			goto out;
		if ((opt == NULL || !opt->no_hidden) && !t->missing &&
		    (rv = dw_res__hidden(r, t, &tw->stack32)) != DW_OK)
			goto out;
	}
	// Working buffers of the scan; a long-lived result need not keep them.
	free(r->cur);
	free(r->cands);
	free(r->memo_key);
	free(r->memo_word);
	r->cur       = NULL;
	r->cur_cap   = 0;
	r->cands     = NULL;
	r->ncands    = 0;
	r->cands_cap = 0;
	r->memo_key  = NULL;
	r->memo_word = NULL;
	rv           = DW_OK;
	*out         = r;
	r            = NULL;
out:
	dw_residue_free(r);
	return rv;
}

void
dw_residue_free(dw_residue *r)
{
	if (r == NULL)
		return;
	dw_arena_fini(&r->arena);
	for (size_t i = 0; i < r->nblocks; i++)
		free(r->blocks[i]);
	free(r->blocks);
	free(r->memo_key);
	free(r->memo_word);
	free(r->cur);
	free(r->cands);
	free(r);
}

const dw_res_thread *
dw_residue_threads(const dw_residue *r, size_t *n)
{
	*n = r != NULL ? r->nthreads : 0;
	return r != NULL ? r->threads : NULL;
}
