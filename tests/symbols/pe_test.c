// tests/symbols/pe_test.c - the PE reader on synthetic images written byte by
// byte here (not with the reader's own layouts): headers, exports with a
// forwarder, CodeView, every unwind code, chains and their loops, and
// malformed variants that must give notes, never crashes.
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/pe.h"

// Layout of the synthetic image: headers in the first 0x200 file bytes, one
// section .text at RVA 0x1000 (file 0x200, 0x1000 bytes) holding code, unwind
// data, .pdata, the export directory, the debug directory and CodeView.
#define FILE_LEN   0x1200
#define IMAGE_SIZE 0x2000
#define SEC_RVA    0x1000
#define SEC_FILE   0x200
#define OPT_OFF    0x58  // e_lfanew 0x40 + 4 + 20
#define DIRS_OFF   (OPT_OFF + 112)
#define SECTAB_OFF (OPT_OFF + 240)

typedef struct synth {
	uint8_t b[FILE_LEN];
} synth;

static void
p8(synth *s, size_t off, uint8_t v)
{
	s->b[off] = v;
}
static void
p16(synth *s, size_t off, uint16_t v)
{
	s->b[off]     = (uint8_t)v;
	s->b[off + 1] = (uint8_t)(v >> 8);
}
static void
p32(synth *s, size_t off, uint32_t v)
{
	p16(s, off, (uint16_t)v);
	p16(s, off + 2, (uint16_t)(v >> 16));
}
static size_t
at(uint32_t rva)
{
	return rva - SEC_RVA + SEC_FILE;
}
static void
dir(synth *s, int i, uint32_t rva, uint32_t size)
{
	p32(s, DIRS_OFF + 8 * (size_t)i, rva);
	p32(s, DIRS_OFF + 8 * (size_t)i + 4, size);
}
// One unwind code slot: prolog offset, op, info.
static void
slot(synth *s, uint32_t rva, int i, uint8_t po, uint8_t op, uint8_t info)
{
	p8(s, at(rva) + 4 + 2 * (size_t)i, po);
	p8(s, at(rva) + 5 + 2 * (size_t)i, (uint8_t)(op | info << 4));
}
static void
raw_slot(synth *s, uint32_t rva, int i, uint16_t v)
{
	p16(s, at(rva) + 4 + 2 * (size_t)i, v);
}
static void
uinfo(synth *s, uint32_t rva, uint8_t ver, uint8_t flags, uint8_t prolog, uint8_t n, uint8_t freg,
      uint8_t foff)
{
	p8(s, at(rva), (uint8_t)(ver | flags << 3));
	p8(s, at(rva) + 1, prolog);
	p8(s, at(rva) + 2, n);
	p8(s, at(rva) + 3, (uint8_t)(freg | foff << 4));
}
static void
rf(synth *s, size_t off, uint32_t b, uint32_t e, uint32_t u)
{
	p32(s, off, b);
	p32(s, off + 4, e);
	p32(s, off + 8, u);
}

#define PDATA_RVA 0x1600
#define NFUNCS    7

static void
build(synth *s)
{
	memset(s, 0, sizeof(*s));
	p16(s, 0, 0x5a4d);
	p32(s, 0x3c, 0x40);
	p32(s, 0x40, 0x00004550);
	p16(s, 0x44, 0x8664);     // machine
	p16(s, 0x46, 1);          // sections
	p32(s, 0x48, 0x5C9E0959); // timestamp
	p16(s, 0x54, 240);        // optional header size
	p16(s, 0x56, 0x2022);
	p16(s, OPT_OFF, 0x20b);
	p8(s, OPT_OFF + 2, 14);
	p32(s, OPT_OFF + 16, 0x1000);          // entry point
	p32(s, OPT_OFF + 24, 0x80000000);      // image base low
	p32(s, OPT_OFF + 28, 0x1);             // image base high
	p32(s, OPT_OFF + 32, 0x1000);          // section alignment
	p32(s, OPT_OFF + 36, 0x200);           // file alignment
	p32(s, OPT_OFF + 56, IMAGE_SIZE);      // SizeOfImage
	p32(s, OPT_OFF + 60, 0x200);           // SizeOfHeaders
	p32(s, OPT_OFF + 108, 16);             // NumberOfRvaAndSizes
	memcpy(s->b + SECTAB_OFF, ".text", 5);
	p32(s, SECTAB_OFF + 8, 0x1000);  // virtual size
	p32(s, SECTAB_OFF + 12, SEC_RVA);
	p32(s, SECTAB_OFF + 16, 0x1000); // raw size
	p32(s, SECTAB_OFF + 20, SEC_FILE);
	p32(s, SECTAB_OFF + 36, 0x60000020);

	// A: frame pointer function. Prolog: 01 push rbp; 02 push rbx;
	// 09 sub rsp,0x48; 0e lea rbp,[rsp+0x20]; 13 mov [rsp+0x60],rsi;
	// 18 movaps [rsp+0x30],xmm6.
	uinfo(s, 0x1400, 1, 0, 0x18, 8, 5, 2);
	slot(s, 0x1400, 0, 0x18, 8, 6);
	raw_slot(s, 0x1400, 1, 3);
	slot(s, 0x1400, 2, 0x13, 4, 6);
	raw_slot(s, 0x1400, 3, 12);
	slot(s, 0x1400, 4, 0x0e, 3, 0);
	slot(s, 0x1400, 5, 0x09, 2, 8);
	slot(s, 0x1400, 6, 0x02, 0, 3);
	slot(s, 0x1400, 7, 0x01, 0, 5);
	// B: a fragment of A chained to it, with its own 16-byte allocation.
	uinfo(s, 0x1440, 1, 4, 4, 1, 0, 0);
	slot(s, 0x1440, 0, 4, 2, 1);
	rf(s, at(0x1440) + 4 + 4, 0x1000, 0x1080, 0x1400);
	// C: chained to itself.
	uinfo(s, 0x1480, 1, 4, 0, 0, 0, 0);
	rf(s, at(0x1480) + 4, 0x10c0, 0x10d0, 0x1480);
	// D: two records chained to each other.
	uinfo(s, 0x14a0, 1, 4, 0, 0, 0, 0);
	rf(s, at(0x14a0) + 4, 0x10d0, 0x10e0, 0x14c0);
	uinfo(s, 0x14c0, 1, 4, 0, 0, 0, 0);
	rf(s, at(0x14c0) + 4, 0x10d0, 0x10e0, 0x14a0);
	// E: both ALLOC_LARGE forms over a machine frame with an error code, and
	// an exception handler whose data must not be read as codes.
	uinfo(s, 0x1500, 1, 1, 0x10, 6, 0, 0);
	slot(s, 0x1500, 0, 0x10, 1, 1);
	raw_slot(s, 0x1500, 1, 0x2345);
	raw_slot(s, 0x1500, 2, 0x1);
	slot(s, 0x1500, 3, 0x08, 1, 0);
	raw_slot(s, 0x1500, 4, 0x100);
	slot(s, 0x1500, 5, 0x01, 10, 1);
	p32(s, at(0x1500) + 4 + 12, 0x10e0);    // handler
	p32(s, at(0x1500) + 4 + 16, 0xffffffff); // handler data
	// F: version 2 with epilog codes, then push rbx (01), sub rsp,0x20 (04),
	// and a SAVE_NONVOL_FAR of rdi at 0x10000 (06).
	uinfo(s, 0x1540, 2, 0, 6, 7, 0, 0);
	slot(s, 0x1540, 0, 1, 6, 1);    // epilog size 1, one at the end
	slot(s, 0x1540, 1, 0x20, 6, 0); // another 0x20 before the end
	slot(s, 0x1540, 2, 6, 5, 7);
	raw_slot(s, 0x1540, 3, 0x0000);
	raw_slot(s, 0x1540, 4, 0x0001);
	slot(s, 0x1540, 5, 4, 2, 3);
	slot(s, 0x1540, 6, 1, 0, 3);

	rf(s, at(PDATA_RVA) + 0, 0x1000, 0x1080, 0x1400);
	rf(s, at(PDATA_RVA) + 12, 0x1080, 0x10c0, 0x1440);
	rf(s, at(PDATA_RVA) + 24, 0x10c0, 0x10d0, 0x1480);
	rf(s, at(PDATA_RVA) + 36, 0x10d0, 0x10e0, 0x14a0);
	rf(s, at(PDATA_RVA) + 48, 0x10e0, 0x1100, 0x1500);
	rf(s, at(PDATA_RVA) + 60, 0x1100, 0x1140, 0x1540);
	rf(s, at(PDATA_RVA) + 72, 0x1140, 0x1150, 0x7fff0000); // unwind data outside
	dir(s, 3, PDATA_RVA, 12 * NFUNCS);

	// Exports: alpha (ordinal 1), fwd (ordinal 2, forwarded), an empty slot.
	p32(s, at(0x1800) + 12, 0x1900);
	p32(s, at(0x1800) + 16, 1);
	p32(s, at(0x1800) + 20, 3);
	p32(s, at(0x1800) + 24, 2);
	p32(s, at(0x1800) + 28, 0x1840);
	p32(s, at(0x1800) + 32, 0x1860);
	p32(s, at(0x1800) + 36, 0x1870);
	p32(s, at(0x1840), 0x1000);
	p32(s, at(0x1844), 0x1880);
	p32(s, at(0x1860), 0x1910);
	p32(s, at(0x1864), 0x1920);
	p16(s, at(0x1870), 0);
	p16(s, at(0x1872), 1);
	memcpy(s->b + at(0x1880), "OTHER.beta", 11);
	memcpy(s->b + at(0x1900), "synth.dll", 10);
	memcpy(s->b + at(0x1910), "alpha", 6);
	memcpy(s->b + at(0x1920), "fwd", 4);
	dir(s, 0, 0x1800, 0x100);

	// Debug directory: one CodeView RSDS entry.
	p32(s, at(0x1a00) + 12, 2);
	p32(s, at(0x1a00) + 16, 24 + 10);
	p32(s, at(0x1a00) + 20, 0x1a40);
	p32(s, at(0x1a00) + 24, (uint32_t)at(0x1a40));
	p32(s, at(0x1a40), 0x53445352);
	for (int i = 0; i < 16; i++)
		p8(s, at(0x1a44) + (size_t)i, (uint8_t)i);
	p32(s, at(0x1a54), 3);
	memcpy(s->b + at(0x1a58), "synth.pdb", 10);
	dir(s, 6, 0x1a00, 28);
}

// Lays the file out as the loader would map it.
static uint8_t *
map_image(const synth *s)
{
	uint8_t *img = calloc(1, IMAGE_SIZE);
	cr_assert_not_null(img);
	memcpy(img, s->b, 0x200);
	memcpy(img + SEC_RVA, s->b + SEC_FILE, 0x1000);
	return img;
}

static size_t
failures(const dw_notes *n)
{
	size_t k = 0;
	for (size_t i = 0; i < n->count; i++)
		k += n->items[i].code != DW_OK;
	return k;
}

static bool
notes_mention(const dw_notes *n, const char *what)
{
	for (size_t i = 0; i < n->count; i++) {
		if (strstr(n->items[i].text, what) != NULL)
			return true;
	}
	return false;
}

static dw_pe *
open_ok(const uint8_t *b, size_t len, dw_pe_layout layout)
{
	dw_pe   *pe = NULL;
	dw_notes notes;
	dw_notes_init(&notes);
	dw_err rv = dw_pe_open(&pe, b, len, layout, &notes);
	cr_assert_eq(rv, DW_OK, "open: %s (%s)", dw_errname(rv),
	             notes.count ? notes.items[0].text : "no note");
	dw_notes_fini(&notes);
	return pe;
}

static const dw_unwind_saved *
saved(const dw_unwind_rule *r, uint8_t reg)
{
	for (size_t i = 0; i < r->nsaved; i++) {
		if (r->saved[i].reg == reg)
			return &r->saved[i];
	}
	return NULL;
}

static void
check_everything(const dw_pe *pe)
{
	const dw_pe_headers *h = dw_pe_get_headers(pe);
	cr_assert_eq(h->machine, DW_PE_MACHINE_AMD64);
	cr_assert(h->pe32plus);
	cr_assert_eq(h->image_base, 0x180000000ull);
	cr_assert_eq(h->size_of_image, IMAGE_SIZE);
	char id[17];
	dw_pe_code_id(pe, id);
	cr_assert_str_eq(id, "5C9E09592000");

	size_t                n;
	const dw_pe_section *sec = dw_pe_get_sections(pe, &n);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(sec[0].name, ".text");

	const dw_pe_export *ex = dw_pe_get_exports(pe, &n);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(dw_pe_get_export_name(pe), "synth.dll");
	cr_assert_eq(ex[0].ordinal, 1);
	cr_assert_str_eq(ex[0].name, "alpha");
	cr_assert_eq(ex[0].rva, 0x1000);
	cr_assert_null(ex[0].forwarder);
	cr_assert_eq(ex[1].ordinal, 2);
	cr_assert_str_eq(ex[1].name, "fwd");
	cr_assert_str_eq(ex[1].forwarder, "OTHER.beta");

	const dw_pe_codeview *cv = dw_pe_get_codeview(pe);
	cr_assert_not_null(cv);
	cr_assert_str_eq(cv->pdb_name, "synth.pdb");
	cr_assert_eq(cv->age, 3);
	cr_assert_str_eq(cv->debug_id, "030201000504070608090A0B0C0D0E0F3");

	const dw_pe_function *f = dw_pe_get_functions(pe, &n);
	cr_assert_eq(n, NFUNCS);
	cr_assert_eq(f[0].info->ncodes, 6);
	cr_assert_null(f[6].info);
	const dw_pe_unwind_info *e = f[4].info;
	cr_assert_eq(e->ncodes, 3);
	cr_assert_eq(e->codes[0].value, 0x12345);
	cr_assert_eq(e->codes[1].value, 0x800);
	cr_assert_eq(e->handler_rva, 0x10e0);
	const dw_pe_unwind_info *v2 = f[5].info;
	cr_assert_eq(v2->version, 2);
	cr_assert_eq(v2->epilog_size, 1);
	cr_assert_eq(v2->nepilogs, 2);
	cr_assert_eq(v2->epilogs[1], 0x20);
	cr_assert_eq(v2->ncodes, 3);
	cr_assert_eq(v2->codes[0].op, DW_UWOP_SAVE_NONVOL_FAR);
	cr_assert_eq(v2->codes[0].value, 0x10000);
}

Test(symbols_pe, reads_synthetic_file_and_mapped_image_alike)
{
	synth s;
	build(&s);
	dw_pe *pe = open_ok(s.b, sizeof(s.b), DW_PE_LAYOUT_FILE);
	check_everything(pe);
	// The only note: function G's unwind data outside the image.
	cr_assert(notes_mention(dw_pe_notes(pe), "0x7fff0000"));
	dw_pe_free(pe);

	uint8_t *img = map_image(&s);
	pe           = open_ok(img, IMAGE_SIZE, DW_PE_LAYOUT_MAPPED);
	check_everything(pe);
	dw_pe_free(pe);
	free(img);
}

Test(symbols_pe, rule_follows_the_prolog_step_by_step)
{
	synth s;
	build(&s);
	dw_pe         *pe = open_ok(s.b, sizeof(s.b), DW_PE_LAYOUT_FILE);
	dw_unwind_rule r;
	// Function entry: nothing pushed yet.
	cr_assert_eq(dw_pe_unwind_rule(&r, pe, 0x1000, 0), DW_OK);
	cr_assert_eq(r.cfa_reg, DW_X64_RSP);
	cr_assert_eq(r.cfa_offset, 8);
	cr_assert_eq(r.ra_offset, -8);
	cr_assert_eq(r.nsaved, 0);
	// After push rbp.
	cr_assert_eq(dw_pe_unwind_rule(&r, pe, 0x1001, 0), DW_OK);
	cr_assert_eq(r.cfa_offset, 16);
	cr_assert_eq(saved(&r, DW_X64_RBP)->cfa_offset, -16);
	// After push rbx, still before sub rsp.
	cr_assert_eq(dw_pe_unwind_rule(&r, pe, 0x1008, 0), DW_OK);
	cr_assert_eq(r.cfa_offset, 24);
	cr_assert_eq(saved(&r, DW_X64_RBX)->cfa_offset, -24);
	// After sub rsp,0x48.
	cr_assert_eq(dw_pe_unwind_rule(&r, pe, 0x1009, 0), DW_OK);
	cr_assert_eq(r.cfa_reg, DW_X64_RSP);
	cr_assert_eq(r.cfa_offset, 24 + 0x48);
	// After lea rbp,[rsp+0x20]: the CFA is RBP-based from here on.
	cr_assert_eq(dw_pe_unwind_rule(&r, pe, 0x100e, 0), DW_OK);
	cr_assert_eq(r.cfa_reg, DW_X64_RBP);
	cr_assert_eq(r.cfa_offset, 0x60 - 0x20);
	cr_assert_eq(r.rsp_cfa_offset, 0x60);
	cr_assert_null(saved(&r, DW_X64_RSI));
	// Body: rsi in the caller's home area, xmm6 in the frame.
	cr_assert_eq(dw_pe_unwind_rule(&r, pe, 0x1040, 0), DW_OK);
	cr_assert_eq(saved(&r, DW_X64_RSI)->cfa_offset, 0);
	cr_assert_eq(saved(&r, DW_X64_XMM0 + 6)->cfa_offset, -0x30);
	cr_assert_eq(saved(&r, DW_X64_RBP)->cfa_offset, -16);
	cr_assert_eq(r.func_begin, 0x1000);
	cr_assert_eq(r.func_end, 0x1080);
	// DW_PE_RULE_BODY at the entry gives the body rule.
	dw_unwind_rule b;
	cr_assert_eq(dw_pe_unwind_rule(&b, pe, 0x1000, DW_PE_RULE_BODY), DW_OK);
	cr_assert_eq(b.cfa_reg, DW_X64_RBP);
	cr_assert_eq(b.cfa_offset, r.cfa_offset);
	cr_assert_eq(b.nsaved, r.nsaved);
	dw_pe_free(pe);
}

Test(symbols_pe, rule_follows_chains_machframes_and_far_saves)
{
	synth s;
	build(&s);
	dw_pe         *pe = open_ok(s.b, sizeof(s.b), DW_PE_LAYOUT_FILE);
	dw_unwind_rule r;
	// B: its own allocation, then all of A (frame pointer included).
	cr_assert_eq(dw_pe_unwind_rule(&r, pe, 0x1090, 0), DW_OK);
	cr_assert_eq(r.chain_depth, 1);
	cr_assert_eq(r.cfa_reg, DW_X64_RBP);
	cr_assert_eq(r.cfa_offset, 0x40);
	cr_assert_eq(r.rsp_cfa_offset, 0x60 + 16);
	// B at its first byte: none of its own codes, A's fully.
	cr_assert_eq(dw_pe_unwind_rule(&r, pe, 0x1080, 0), DW_OK);
	cr_assert_eq(r.rsp_cfa_offset, 0x60);
	// E: machine frame with an error code under two allocations.
	cr_assert_eq(dw_pe_unwind_rule(&r, pe, 0x10f0, 0), DW_OK);
	cr_assert(r.machframe);
	cr_assert_eq(r.cfa_offset, 0x12345 + 0x800 + 8 + 8);
	cr_assert_eq(r.rsp_from_cfa, 16);
	// F: SAVE_NONVOL_FAR of rdi at RSP+0x10000.
	cr_assert_eq(dw_pe_unwind_rule(&r, pe, 0x1120, 0), DW_OK);
	cr_assert_eq(r.cfa_offset, 8 + 8 + 0x20);
	cr_assert_eq(saved(&r, DW_X64_RBX)->cfa_offset, -16);
	cr_assert_eq(saved(&r, DW_X64_RDI)->cfa_offset, 0x10000 - 0x30);
	// Outside every function.
	cr_assert_eq(dw_pe_unwind_rule(&r, pe, 0x1200, 0), DW_ENOTFOUND);
	cr_assert_eq(dw_pe_unwind_rule(&r, pe, 0x10, 0), DW_ENOTFOUND);
	// G: unwind data outside the image.
	cr_assert_eq(dw_pe_unwind_rule(&r, pe, 0x1140, 0), DW_ECORRUPT);
	dw_pe_free(pe);
}

Test(symbols_pe, chain_loops_end, .timeout = 10)
{
	synth s;
	build(&s);
	dw_pe         *pe = open_ok(s.b, sizeof(s.b), DW_PE_LAYOUT_FILE);
	dw_unwind_rule r;
	cr_assert_eq(dw_pe_unwind_rule(&r, pe, 0x10c4, 0), DW_ECORRUPT);
	cr_assert_eq(dw_pe_unwind_rule(&r, pe, 0x10d4, DW_PE_RULE_BODY), DW_ECORRUPT);
	dw_pe_free(pe);
}

Test(symbols_pe, long_chain_hits_the_cap, .timeout = 10)
{
	synth s;
	build(&s);
	// 40 records, each chained to the next: deeper than any compiler makes.
	for (uint32_t i = 0; i < 40; i++) {
		uint32_t rva = 0x1c00 + 16 * i;
		uinfo(&s, rva, 1, 4, 0, 0, 0, 0);
		rf(&s, at(rva) + 4, 0x1000, 0x1080, rva + 16);
	}
	rf(&s, at(PDATA_RVA) + 72, 0x1140, 0x1150, 0x1c00);
	dw_pe         *pe = open_ok(s.b, sizeof(s.b), DW_PE_LAYOUT_FILE);
	dw_unwind_rule r;
	cr_assert_eq(dw_pe_unwind_rule(&r, pe, 0x1140, 0), DW_ELIMIT);
	dw_pe_free(pe);
}

Test(symbols_pe, truncated_headers_fail_with_a_note)
{
	synth s;
	build(&s);
	static const size_t cuts[] = {0, 1, 2, 0x3c, 0x40, 0x43, 0x50, 0x58, 0x100, 0x147,
	                              SECTAB_OFF + 39};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		uint8_t *copy = malloc(cuts[i] ? cuts[i] : 1);
		memcpy(copy, s.b, cuts[i]);
		dw_notes notes;
		dw_notes_init(&notes);
		dw_pe *pe = NULL;
		dw_err rv = dw_pe_open(&pe, copy, cuts[i], DW_PE_LAYOUT_FILE, &notes);
		cr_assert_neq(rv, DW_OK, "cut at %zu opened", cuts[i]);
		cr_assert_null(pe);
		cr_assert_geq(notes.count, 1, "cut at %zu: no note", cuts[i]);
		dw_notes_fini(&notes);
		free(copy);
	}
}

Test(symbols_pe, truncated_sections_give_notes_not_crashes)
{
	synth s;
	build(&s);
	// Every length from the end of the section table to the full file opens;
	// parts that fall off the end are noted.
	for (size_t len = SECTAB_OFF + 40; len <= FILE_LEN; len += 7) {
		uint8_t *copy = malloc(len);
		memcpy(copy, s.b, len);
		dw_pe *pe = open_ok(copy, len, DW_PE_LAYOUT_FILE);
		if (len < FILE_LEN)
			cr_assert(notes_mention(dw_pe_notes(pe), "past end of file"));
		dw_unwind_rule r;
		dw_pe_unwind_rule(&r, pe, 0x1040, 0);
		dw_pe_free(pe);
		free(copy);
	}
}

Test(symbols_pe, section_table_past_eof_fails)
{
	synth s;
	build(&s);
	p16(&s, 0x46, 200);
	dw_notes notes;
	dw_notes_init(&notes);
	dw_pe *pe = NULL;
	cr_assert_neq(dw_pe_open(&pe, s.b, 0x200, DW_PE_LAYOUT_FILE, &notes), DW_OK);
	cr_assert(notes_mention(&notes, "section table"));
	dw_notes_fini(&notes);
}

Test(symbols_pe, absurd_export_counts_are_noted)
{
	synth s;
	build(&s);
	p32(&s, at(0x1800) + 20, 0xffffffff);
	dw_pe *pe = open_ok(s.b, sizeof(s.b), DW_PE_LAYOUT_FILE);
	size_t n;
	dw_pe_get_exports(pe, &n);
	cr_assert_eq(n, 0);
	cr_assert(notes_mention(dw_pe_notes(pe), "cap"));
	dw_pe_free(pe);

	build(&s);
	p32(&s, at(0x1800) + 24, 60000); // names run past the section
	pe = open_ok(s.b, sizeof(s.b), DW_PE_LAYOUT_FILE);
	cr_assert(notes_mention(dw_pe_notes(pe), "names"));
	dw_pe_free(pe);

	build(&s);
	p16(&s, at(0x1872), 9); // name's ordinal index past the functions
	p32(&s, at(0x1860), 0x7ffffff0); // and a name RVA outside
	pe = open_ok(s.b, sizeof(s.b), DW_PE_LAYOUT_FILE);
	cr_assert(notes_mention(dw_pe_notes(pe), "ordinal index"));
	dw_pe_free(pe);
}

Test(symbols_pe, rvas_outside_the_image_are_noted)
{
	synth s;
	build(&s);
	dir(&s, 0, 0xfffffff0, 0x100);
	dir(&s, 2, 0x7ffff000, 0x100);
	dir(&s, 3, 0x1ff0, 0x1000);
	dir(&s, 6, 0xffffff00, 28);
	dw_pe *pe = open_ok(s.b, sizeof(s.b), DW_PE_LAYOUT_FILE);
	const dw_notes *n = dw_pe_notes(pe);
	cr_assert(notes_mention(n, "exports"));
	cr_assert(notes_mention(n, "resources"));
	cr_assert(notes_mention(n, ".pdata"));
	cr_assert(notes_mention(n, "debug directory"));
	cr_assert_geq(failures(n), 4);
	cr_assert_null(dw_pe_get_codeview(pe));
	dw_pe_free(pe);

	// The same in a mapped image shorter than its headers claim.
	build(&s);
	dir(&s, 6, 0x1a00, 28);
	p32(&s, at(0x1a00) + 20, 0x7fffffff); // CodeView RVA outside
	p32(&s, at(0x1a00) + 24, 0);
	uint8_t *img = map_image(&s);
	pe           = open_ok(img, 0x1a40, DW_PE_LAYOUT_MAPPED);
	cr_assert(notes_mention(dw_pe_notes(pe), "CodeView"));
	dw_pe_free(pe);
	free(img);
}

Test(symbols_pe, bad_unwind_codes_are_noted)
{
	synth s;
	build(&s);
	slot(&s, 0x1400, 5, 0x09, 1, 7);  // ALLOC_LARGE with OpInfo 7
	uinfo(&s, 0x1440, 5, 0, 0, 0, 0, 0); // version 5
	p8(&s, at(0x1540) + 2, 0xff);      // 255 slots running into other data
	dw_pe *pe = open_ok(s.b, sizeof(s.b), DW_PE_LAYOUT_FILE);
	cr_assert(notes_mention(dw_pe_notes(pe), "invalid"));
	cr_assert(notes_mention(dw_pe_notes(pe), "version 5"));
	dw_unwind_rule r;
	for (uint32_t rva = 0x1000; rva < 0x1150; rva++)
		dw_pe_unwind_rule(&r, pe, rva, 0);
	dw_pe_free(pe);
}

Test(symbols_pe, version_resource_strings)
{
	// A resource tree type 16 -> id 1 -> lang 1033 -> data, and a
	// VS_VERSIONINFO with its fixed info and two strings, written by hand.
	synth s;
	build(&s);
	uint32_t r = 0x1b00;
	p16(&s, at(r) + 14, 1);       // root: one id entry
	p32(&s, at(r) + 16, 16);
	p32(&s, at(r) + 20, 0x80000018);
	p16(&s, at(r) + 0x18 + 14, 1);
	p32(&s, at(r) + 0x18 + 16, 1);
	p32(&s, at(r) + 0x18 + 20, 0x80000030);
	p16(&s, at(r) + 0x30 + 14, 1);
	p32(&s, at(r) + 0x30 + 16, 1033);
	p32(&s, at(r) + 0x30 + 20, 0x48);
	p32(&s, at(r) + 0x48, 0x1c00); // data RVA
	dir(&s, 2, r, 0x100);

	uint8_t v[512] = {0};
	size_t  o      = 0;
#define W16(x) (v[o] = (uint8_t)(x), v[o + 1] = (uint8_t)((x) >> 8), o += 2)
#define W32(x) (W16((x) & 0xffff), W16((uint32_t)(x) >> 16))
#define KEY(str)                                                                                   \
	do {                                                                                       \
		for (const char *k_ = (str); *k_; k_++)                                            \
			W16(*k_);                                                                  \
		W16(0);                                                                            \
		while (o % 4)                                                                      \
			v[o++] = 0;                                                                \
	} while (0)
	size_t root = o;
	W16(0), W16(52), W16(0);
	KEY("VS_VERSION_INFO");
	W32(0xfeef04bd), W32(0x10000), W32(0x00010002), W32(0x00030004), W32(0x00050006),
	    W32(0x00070008), W32(0x3f), W32(0), W32(4), W32(2), W32(0), W32(0), W32(0);
	size_t sfi = o;
	W16(0), W16(0), W16(1);
	KEY("StringFileInfo");
	size_t tab = o;
	W16(0), W16(0), W16(1);
	KEY("040904b0");
	const char *kv[][2] = {{"CompanyName", "Acme"}, {"ProductName", "Road Runner"}};
	for (int i = 0; i < 2; i++) {
		size_t st = o;
		W16(0), W16((uint16_t)(strlen(kv[i][1]) + 1)), W16(1);
		KEY(kv[i][0]);
		KEY(kv[i][1]);
		v[st] = (uint8_t)(o - st);
	}
	v[tab]  = (uint8_t)(o - tab);
	v[sfi]  = (uint8_t)(o - sfi);
	v[root] = (uint8_t)o;
	p32(&s, at(r) + 0x4c, (uint32_t)o);
	memcpy(s.b + at(0x1c00), v, o);

	dw_pe               *pe  = open_ok(s.b, sizeof(s.b), DW_PE_LAYOUT_FILE);
	const dw_pe_version *ver = dw_pe_get_version(pe);
	cr_assert_not_null(ver);
	cr_assert_eq(ver->file_version_ms, 0x00010002);
	cr_assert_eq(ver->product_version_ls, 0x00070008);
	cr_assert_eq(ver->type, 2);
	cr_assert_str_eq(ver->lang, "040904b0");
	cr_assert_eq(ver->nstrings, 2);
	cr_assert_str_eq(dw_pe_version_find(pe, "CompanyName"), "Acme");
	cr_assert_str_eq(dw_pe_version_find(pe, "ProductName"), "Road Runner");
	cr_assert_null(dw_pe_version_find(pe, "FileDescription"));
	dw_pe_free(pe);

	// A string block claiming more bytes than its table holds.
	s.b[at(0x1c00) + tab + 0x18] = 0xff;
	pe = open_ok(s.b, sizeof(s.b), DW_PE_LAYOUT_FILE);
	cr_assert(notes_mention(dw_pe_notes(pe), "malformed"));
	dw_pe_free(pe);
#undef W16
#undef W32
#undef KEY
}
