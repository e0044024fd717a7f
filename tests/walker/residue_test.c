// tests/walker/residue_test.c - raw-stack residue, hidden exceptions and
// crash signatures.
//
// Synthetic dumps (tests/synth) put hand-chosen values at known stack
// offsets, with the classification each must get worked out by hand: a
// return address after a real CALL encoding (E8 rel32) vs a code address
// after NOPs, fill patterns, text, pointers into another thread's stack, the
// heap and a module's data; an EXCEPTION_RECORD64 and a CONTEXT at known
// offsets of a second thread's stack. Our corpus's hidden_exception cases
// are checked against their expected.json (written by the crashing program's
// own vectored handler), and signatures are compared across builds.
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "symbols/pe.h"
#include "tests/synth/synth.h"
#include "tests/walker/corpus_files.h"
#include "tests/walker/testsym.h"
#include "walker/classify.h"
#include "walker/dump.h"
#include "walker/residue.h"
#include "walker/signature.h"
#include "walker/walk.h"

// ---- a synthetic x64 dump ------------------------------------------------------

#define MOD 0x140000000ull
#define STK1 0x200000ull
#define STK2 0x300000ull
#define HEAP 0x500000ull
#define SP1 (STK1 + 0x100)
#define SP2 (STK2 + 0x300)
#define REC_AT (STK2 + 0x400)
#define CTX_AT (STK2 + 0x500)
#define CTX_SP (STK2 + 0x800)

static void
put(uint8_t *p, uint64_t v, int n)
{
	for (int k = 0; k < n; k++)
		p[k] = (uint8_t)(v >> (8 * k));
}

static void
ctx64(uint8_t *c, uint64_t ip, uint64_t sp)
{
	memset(c, 0, 1232);
	put(c + 0x30, 0x10000b, 4); // CONTEXT_AMD64 | CONTROL | INTEGER | FLOATING_POINT
	put(c + 0x98, sp, 8);
	put(c + 0xa0, 0, 8);
	put(c + 0xf8, ip, 8);
}

static void
meminfo(dws_dump *s, uint64_t base, uint64_t size, uint32_t protect, uint32_t type)
{
	dws_u64(&s->b, base);
	dws_u64(&s->b, base);
	dws_u32(&s->b, protect);
	dws_u32(&s->b, 0);
	dws_u64(&s->b, size);
	dws_u32(&s->b, 0x1000); // MEM_COMMIT
	dws_u32(&s->b, protect);
	dws_u32(&s->b, type);
	dws_u32(&s->b, 0);
}

typedef struct syn {
	dws_dump       s;
	const uint8_t *bytes;
	size_t         len;
} syn;

static void
syn_build(syn *y)
{
	dws_dump *s = &y->s;
	dws_dump_init(s, 6, 0, 0);
	uint32_t name = dws_string(s, "C:\\app\\app.exe");
	// Code at MOD+0x1000: E8 FB 00 00 00 = call MOD+0x1100, returning to
	// MOD+0x1005; NOPs elsewhere (MOD+0x1030 follows NOPs: no call).
	uint8_t code[0x200];
	memset(code, 0x90, sizeof(code));
	code[0] = 0xe8;
	put(code + 1, 0xfb, 4);
	uint32_t code_rva = dws_blob(s, code, sizeof(code));

	uint8_t st1[0x1000], st2[0x1000];
	memset(st1, 0, sizeof(st1));
	memset(st2, 0, sizeof(st2));
	size_t o = SP1 - STK1;
	put(st1 + o + 0x00, MOD + 0x1005, 8);            // return address (live: frame 1)
	put(st1 + o + 0x08, MOD + 0x1030, 8);            // code, not after a call
	put(st1 + o + 0x10, 0xCCCCCCCCCCCCCCCCull, 8);   // fill
	memcpy(st1 + o + 0x18, "Hello, W", 8);           // ASCII
	put(st1 + o + 0x20, 0x0000004300420041ull, 8);   // UTF-16 "ABC"
	put(st1 + o + 0x28, STK2 + 0x80, 8);             // thread 2's stack
	put(st1 + o + 0x30, HEAP + 0x10, 8);             // heap
	put(st1 + o + 0x38, MOD + 0x3010, 8);            // module data
	put(st1 + o - 0x10, MOD + 0x1005, 8);            // below SP: residue
	put(st1 + o + 0x48, 0x0000000012345678ull, 8);   // a number: other
	// Thread 2: a record and its context left at known offsets.
	uint8_t *r = st2 + (REC_AT - STK2);
	put(r + 0x00, 0xC0000005u, 4);
	put(r + 0x04, 0, 4);
	put(r + 0x08, 0, 8);
	put(r + 0x10, MOD + 0x1010, 8);
	put(r + 0x18, 2, 4);
	put(r + 0x20, 1, 8);       // write
	put(r + 0x28, 0x1234, 8);  // data address
	ctx64(st2 + (CTX_AT - STK2), MOD + 0x1010, CTX_SP);
	put(st2 + (CTX_SP - STK2), MOD + 0x1005, 8); // the recovered frame's caller
	uint32_t st1_rva = dws_blob(s, st1, sizeof(st1));
	uint32_t st2_rva = dws_blob(s, st2, sizeof(st2));
	uint8_t  heap[0x100];
	memset(heap, 0, sizeof(heap));
	uint32_t heap_rva = dws_blob(s, heap, sizeof(heap));
	uint8_t  c1[1232], c2[1232];
	ctx64(c1, MOD + 0x1040, SP1);
	ctx64(c2, MOD + 0x1040, SP2);
	uint32_t c1_rva = dws_blob(s, c1, sizeof(c1));
	uint32_t c2_rva = dws_blob(s, c2, sizeof(c2));

	dws_stream_begin(s, 7); // SystemInfo: amd64
	dws_u16(&s->b, 9);
	dws_zeros(&s->b, 6);
	dws_u32(&s->b, 10);
	dws_u32(&s->b, 0);
	dws_u32(&s->b, 19045);
	dws_u32(&s->b, 2);
	dws_u32(&s->b, name);
	dws_zeros(&s->b, 28);
	dws_stream_end(s);

	dws_stream_begin(s, 4); // ModuleList
	dws_u32(&s->b, 1);
	dws_u64(&s->b, MOD);
	dws_u32(&s->b, 0x10000);
	dws_u32(&s->b, 0);
	dws_u32(&s->b, 0x5c000000);
	dws_u32(&s->b, name);
	dws_zeros(&s->b, 52 + 16 + 16);
	dws_stream_end(s);

	dws_stream_begin(s, 3); // ThreadList
	dws_u32(&s->b, 2);
	uint32_t ids[2] = {11, 22}, srva[2] = {st1_rva, st2_rva}, crva[2] = {c1_rva, c2_rva};
	uint64_t sbase[2] = {STK1, STK2};
	for (int i = 0; i < 2; i++) {
		dws_u32(&s->b, ids[i]);
		dws_zeros(&s->b, 12);
		dws_u64(&s->b, 0x7ffde000);
		dws_u64(&s->b, sbase[i]);
		dws_u32(&s->b, 0x1000);
		dws_u32(&s->b, srva[i]);
		dws_u32(&s->b, 1232);
		dws_u32(&s->b, crva[i]);
	}
	dws_stream_end(s);

	dws_stream_begin(s, 5); // MemoryList
	dws_u32(&s->b, 4);
	dws_u64(&s->b, MOD + 0x1000);
	dws_u32(&s->b, sizeof(code));
	dws_u32(&s->b, code_rva);
	dws_u64(&s->b, STK1);
	dws_u32(&s->b, 0x1000);
	dws_u32(&s->b, st1_rva);
	dws_u64(&s->b, STK2);
	dws_u32(&s->b, 0x1000);
	dws_u32(&s->b, st2_rva);
	dws_u64(&s->b, HEAP);
	dws_u32(&s->b, sizeof(heap));
	dws_u32(&s->b, heap_rva);
	dws_stream_end(s);

	dws_stream_begin(s, 16); // MemoryInfoList
	dws_u32(&s->b, 16);
	dws_u32(&s->b, 48);
	dws_u64(&s->b, 6);
	meminfo(s, STK1, 0x1000, 0x04, 0x20000);
	meminfo(s, STK2, 0x1000, 0x04, 0x20000);
	meminfo(s, HEAP, 0x10000, 0x04, 0x20000);
	meminfo(s, MOD, 0x1000, 0x02, 0x1000000);
	meminfo(s, MOD + 0x1000, 0x1000, 0x20, 0x1000000); // PAGE_EXECUTE_READ
	meminfo(s, MOD + 0x2000, 0xe000, 0x04, 0x1000000);
	dws_stream_end(s);
	y->bytes = dws_dump_finish(s, &y->len);
}

static const dw_res_word *
word_at(const dw_res_thread *t, uint64_t addr)
{
	for (size_t i = 0; i < t->nwords; i++)
		if (t->words[i].addr == addr)
			return &t->words[i];
	return NULL;
}

static const dw_res_thread *
thread_of(const dw_residue *r, uint32_t tid)
{
	size_t               n;
	const dw_res_thread *t = dw_residue_threads(r, &n);
	for (size_t i = 0; i < n; i++)
		if (t[i].tid == tid)
			return &t[i];
	return NULL;
}

Test(walker_residue, synthetic_words_classified_as_computed_by_hand, .timeout = 30)
{
	syn y;
	syn_build(&y);
	dw_dump *d = NULL;
	dw_walk *w = NULL;
	dw_residue *r = NULL;
	cr_assert_eq(dw_dump_open_buffer(&d, y.bytes, y.len, NULL), DW_OK);
	cr_assert_eq(dw_walk_dump(&w, d, NULL, NULL), DW_OK);
	cr_assert_eq(dw_residue_scan(&r, w, NULL), DW_OK);
	const dw_res_thread *t = thread_of(r, 11);
	cr_assert_not_null(t);
	cr_assert_eq(t->sp, SP1);
	cr_assert_eq(t->lo, SP1 - 256);
	cr_assert_eq(t->hi, STK1 + 0x1000);

	const dw_res_word *w0 = word_at(t, SP1);
	cr_assert_not_null(w0);
	cr_assert_eq(w0->cls, DW_RES_RETURN);
	cr_assert_eq(w0->call_target, MOD + 0x1100, "direct call target %llx",
	             (unsigned long long)w0->call_target);
	cr_assert(w0->live, "[sp] is frame 1's return slot");
	const dw_res_word *wc = word_at(t, SP1 + 0x08);
	cr_assert_eq(wc->cls, DW_RES_CODE, "after NOPs: code pointer, not a return (%s)",
	             dw_res_class_name(wc->cls));
	const dw_res_word *wf = word_at(t, SP1 + 0x10);
	cr_assert_eq(wf->cls, DW_RES_FILL);
	cr_assert(strncmp(wf->text, "0xCCCCCCCC", 10) == 0);
	const dw_res_word *wa = word_at(t, SP1 + 0x18);
	cr_assert_eq(wa->cls, DW_RES_ASCII);
	cr_assert_str_eq(wa->text, "Hello, W");
	const dw_res_word *wu = word_at(t, SP1 + 0x20);
	cr_assert_eq(wu->cls, DW_RES_UTF16);
	cr_assert_str_eq(wu->text, "ABC");
	const dw_res_word *ws = word_at(t, SP1 + 0x28);
	cr_assert_eq(ws->cls, DW_RES_STACK);
	cr_assert_eq(ws->tid, 22);
	cr_assert_eq(word_at(t, SP1 + 0x30)->cls, DW_RES_HEAP);
	cr_assert_eq(word_at(t, SP1 + 0x38)->cls, DW_RES_MODULE_DATA);
	cr_assert_null(word_at(t, SP1 + 0x48), "a plain number is not kept");
	const dw_res_word *wb = word_at(t, SP1 - 0x10);
	cr_assert_not_null(wb);
	cr_assert_eq(wb->cls, DW_RES_RETURN);
	cr_assert(wb->below_sp && !wb->live);
	cr_assert_geq(t->residue_returns, 1);
	cr_assert_eq(t->counts[DW_RES_CODE], 1);
	cr_assert_eq(t->counts[DW_RES_FILL], 1);

	dw_findings *fs = NULL;
	cr_assert_eq(dw_findings_new(&fs), DW_OK);
	cr_assert_eq(dw_residue_classify(fs, r), DW_OK);
	const dw_finding *f = dw_findings_find(fs, DW_FINDING_PATTERN,
	                                       "Execution Residue (Unmanaged Space, User)");
	cr_assert_not_null(f);
	cr_assert(dw_finding_has_thread(f, 11));
	f = dw_findings_find(fs, DW_FINDING_PATTERN, "Coincidental Symbolic Information");
	cr_assert_not_null(f);
	cr_assert(dw_finding_has_thread(f, 11));
	dw_findings_free(fs);
	dw_residue_free(r);
	dw_walk_free(w);
	dw_dump_free(d);
	dws_dump_fini(&y.s);
}

Test(walker_residue, synthetic_hidden_exception_recovered_and_walked, .timeout = 30)
{
	syn y;
	syn_build(&y);
	dw_dump    *d = NULL;
	dw_walk    *w = NULL;
	dw_residue *r = NULL;
	cr_assert_eq(dw_dump_open_buffer(&d, y.bytes, y.len, NULL), DW_OK);
	cr_assert_eq(dw_walk_dump(&w, d, NULL, NULL), DW_OK);
	cr_assert_eq(dw_residue_scan(&r, w, NULL), DW_OK);
	const dw_res_thread *t = thread_of(r, 22);
	cr_assert_eq(t->nhidden, 1);
	const dw_res_hidden *h = &t->hidden[0];
	cr_assert_eq(h->code, 0xC0000005u);
	cr_assert_eq(h->address, MOD + 0x1010);
	cr_assert_eq(h->record_addr, REC_AT);
	cr_assert_eq(h->nparams, 2);
	cr_assert_eq(h->params[1], 0x1234);
	cr_assert_eq(h->context_addr, CTX_AT);
	cr_assert(h->ip_matches);
	cr_assert_eq(h->context_sp, CTX_SP);
	cr_assert_geq(h->stack.nframes, 2);
	cr_assert_eq(h->stack.frames[0].ip, MOD + 0x1010);
	cr_assert_eq(h->stack.frames[1].ip, MOD + 0x1005, "the caller from [CTX_SP]");
	cr_assert_eq(thread_of(r, 11)->nhidden, 0);

	dw_findings *fs = NULL;
	cr_assert_eq(dw_findings_new(&fs), DW_OK);
	cr_assert_eq(dw_residue_classify(fs, r), DW_OK);
	const dw_finding *f = dw_findings_find(fs, DW_FINDING_PATTERN, "Hidden Exception (User Space)");
	cr_assert_not_null(f);
	cr_assert(dw_finding_has_thread(f, 22));
	cr_assert_eq(f->confidence, DW_CONF_CERTAIN);
	dw_findings_free(fs);
	dw_residue_free(r);
	dw_walk_free(w);
	dw_dump_free(d);
	dws_dump_fini(&y.s);
}

Test(walker_residue, fill_patterns_and_records)
{
	cr_assert_not_null(dw_res_fill_name(0xFEEEFEEEu, 4));
	cr_assert_not_null(dw_res_fill_name(0xBAADF00Du, 4));
	cr_assert_not_null(dw_res_fill_name(0xABABABABABABABABull, 8));
	cr_assert_not_null(dw_res_fill_name(0x00000000DDDDDDDDull, 8));
	cr_assert_null(dw_res_fill_name(0x12345678u, 4));
	cr_assert_null(dw_res_fill_name(0xCDCDCDCD00000001ull, 8));
	uint8_t rec[0x98];
	memset(rec, 0, sizeof(rec));
	put(rec, 0xC0000005u, 4);
	put(rec + 0x18, 2, 4);
	cr_assert(dw_res_plausible_record(rec, sizeof(rec), 8));
	put(rec + 0x18, 16, 4); // NumberParameters > 15
	cr_assert_not(dw_res_plausible_record(rec, sizeof(rec), 8));
	put(rec + 0x18, 0, 4);
	put(rec, 0x00000005u, 4); // success severity
	cr_assert_not(dw_res_plausible_record(rec, sizeof(rec), 8));
	put(rec, 0xE06D7363u, 4); // C++ exception: customer bit, error severity
	cr_assert(dw_res_plausible_record(rec, sizeof(rec), 8));
	put(rec + 4, 0x100, 4); // unknown flag
	cr_assert_not(dw_res_plausible_record(rec, sizeof(rec), 8));
	cr_assert_not(dw_res_plausible_record(rec, 0x50, 8), "too short for a 64-bit record");
}

Test(walker_residue, signature_names_normalized)
{
	char b[256];
	dw_signature_normalize(b, sizeof(b), "_main", true);
	cr_assert_str_eq(b, "main");
	dw_signature_normalize(b, sizeof(b), "_worker@4", true);
	cr_assert_str_eq(b, "worker");
	dw_signature_normalize(b, sizeof(b), "@fast@8", true);
	cr_assert_str_eq(b, "fast");
	dw_signature_normalize(b, sizeof(b), "_main", false);
	cr_assert_str_eq(b, "_main");
	dw_signature_normalize(b, sizeof(b), "ns::f(int, char *) const", false);
	cr_assert_str_eq(b, "ns::f");
	dw_signature_normalize(b, sizeof(b), "std::vector<int, std::allocator<int> >::push_back",
	                       false);
	cr_assert_str_eq(b, "std::vector<...>::push_back");
	dw_signature_normalize(b, sizeof(b), "pair<int, int>::swap", false);
	cr_assert_str_eq(b, "pair<int,int>::swap");
	dw_signature_normalize(b, sizeof(b), "S::operator()(int)", false);
	cr_assert_str_eq(b, "S::operator()");
	dw_signature_normalize(b, sizeof(b), "operator<", false);
	cr_assert_str_eq(b, "operator<");
}

// ---- our corpus ----------------------------------------------------------------

static const char *
base_name(const char *p)
{
	const char *b = p;
	for (; *p; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	return b;
}

static bool
ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcasecmp(s + a - b, suf) == 0;
}

typedef struct cased {
	char        dir[4200];
	char       *doc;
	dw_dump    *d;
	tsym       *t;
	dw_symsrc   src;
	dw_walk    *w;
	dw_residue *r;
	dw_findings *fs;
} cased;

static void
case_open(cased *c, const char *arch, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->dir, sizeof(c->dir), "%s/%s/%s", tc_own_corpus(), arch, name);
	char p[4400];
	snprintf(p, sizeof(p), "%s/expected.json", c->dir);
	c->doc = tc_slurp(p, NULL);
	cr_assert_not_null(c->doc, "%s", p);
	snprintf(p, sizeof(p), "%s/%s.dmp", c->dir, name);
	cr_assert_eq(dw_dump_open_file(&c->d, p, NULL), DW_OK, "%s", p);
	c->t       = tsym_new();
	DIR *dd    = opendir(c->dir);
	struct dirent *e;
	while (dd != NULL && (e = readdir(dd)) != NULL) {
		if (!ends_with(e->d_name, ".exe") && !ends_with(e->d_name, ".dll"))
			continue;
		char path[4500];
		snprintf(path, sizeof(path), "%s/%s", c->dir, e->d_name);
		if (!tsym_add_pe(c->t, e->d_name, path))
			continue;
		size_t   n;
		uint8_t *buf = (uint8_t *)tc_slurp(path, &n);
		dw_pe   *pe  = NULL;
		if (buf != NULL && dw_pe_open(&pe, buf, n, DW_PE_LAYOUT_FILE, NULL) == DW_OK) {
			const dw_pe_codeview *cv = dw_pe_get_codeview(pe);
			if (cv != NULL && cv->pdb_name != NULL) {
				char pdb[4800];
				snprintf(pdb, sizeof(pdb), "%s/%s", c->dir, base_name(cv->pdb_name));
				(void)tsym_add_pdb(c->t, e->d_name, pdb);
			}
			dw_pe_free(pe);
		}
		free(buf);
	}
	if (dd != NULL)
		closedir(dd);
	c->src = tsym_source(c->t);
	cr_assert_eq(dw_walk_dump(&c->w, c->d, &c->src, NULL), DW_OK);
	cr_assert_eq(dw_residue_scan(&c->r, c->w, NULL), DW_OK);
	cr_assert_eq(dw_findings_new(&c->fs), DW_OK);
	cr_assert_eq(dw_classify_into(c->fs, c->d, NULL), DW_OK);
	cr_assert_eq(dw_classify_walk(c->fs, c->d, c->w, NULL), DW_OK);
	cr_assert_eq(dw_residue_classify(c->fs, c->r), DW_OK);
}

static void
case_close(cased *c)
{
	dw_findings_free(c->fs);
	dw_residue_free(c->r);
	dw_walk_free(c->w);
	tsym_free(c->t);
	dw_dump_free(c->d);
	free(c->doc);
}

// The value of "key": "0x..." inside the "hidden_exception" object.
static uint64_t
hidden_hex(const char *doc, const char *key)
{
	const char *h = strstr(doc, "\"hidden_exception\": {");
	cr_assert_not_null(h);
	char k[64];
	snprintf(k, sizeof(k), "\"%s\": \"", key);
	const char *p = strstr(h, k);
	cr_assert_not_null(p, "%s", key);
	return strtoull(p + strlen(k), NULL, 16);
}

static void
check_hidden(const char *arch)
{
	cased c;
	case_open(&c, arch, "hidden_exception");
	const char *h   = strstr(c.doc, "\"hidden_exception\": {");
	uint32_t    tid = (uint32_t)strtoul(strstr(h, "\"thread_id\": ") + 13, NULL, 10);
	uint64_t    code = hidden_hex(c.doc, "code"), addr = hidden_hex(c.doc, "address");
	uint64_t    data = hidden_hex(c.doc, "data_address");
	uint64_t    ip = hidden_hex(c.doc, "context_ip"), sp = hidden_hex(c.doc, "context_sp");
	const dw_res_thread *t = thread_of(c.r, tid);
	cr_assert_not_null(t, "thread %u", tid);
	const dw_res_hidden *hx = NULL;
	for (size_t k = 0; k < t->nhidden; k++)
		if (t->hidden[k].code == code && t->hidden[k].address == addr)
			hx = &t->hidden[k];
	cr_assert_not_null(hx, "%s: no hidden exception 0x%llx at 0x%llx on thread %u (%zu found)",
	                   arch, (unsigned long long)code, (unsigned long long)addr, tid, t->nhidden);
	cr_assert_eq(hx->params[1], data);
	cr_assert_neq(hx->context_addr, 0, "no CONTEXT found");
	cr_assert_eq(hx->context_ip, ip);
	cr_assert_eq(hx->context_sp, sp);
	// The recovered walk gives hidden_exception_frames in order.
	const char *want[] = {"read_record", "load_page", "worker"};
	size_t      k = 0;
	for (size_t i = 0; i < hx->stack.nframes && k < 3; i++) {
		const char *fn = hx->stack.frames[i].function;
		if (fn != NULL && strstr(fn, want[k]) != NULL)
			k++;
	}
	for (size_t i = 0; k < 3 && i < hx->stack.nframes; i++)
		fprintf(stderr, "  %s frame %zu: %s ip=%llx\n", arch, i,
		        hx->stack.frames[i].function ? hx->stack.frames[i].function : "?",
		        (unsigned long long)hx->stack.frames[i].ip);
	cr_assert_eq(k, 3, "%s: recovered frames miss %s", arch, k < 3 ? want[k] : "");
	// No other thread has one.
	size_t               n;
	const dw_res_thread *all = dw_residue_threads(c.r, &n);
	for (size_t i = 0; i < n; i++)
		if (all[i].tid != tid)
			cr_expect_eq(all[i].nhidden, 0, "%s: thread %u has a hidden exception", arch,
			             all[i].tid);
	size_t            nf;
	const dw_finding *all_f = dw_findings_items(c.fs, &nf);
	bool              named = false;
	for (size_t i = 0; i < nf; i++)
		named |= all_f[i].kind == DW_FINDING_PATTERN &&
		         strcmp(all_f[i].pattern, "Hidden Exception (User Space)") == 0 &&
		         dw_finding_has_thread(&all_f[i], tid);
	cr_assert(named, "%s: no Hidden Exception finding names thread %u", arch, tid);
	const dw_finding *f = dw_findings_find(c.fs, DW_FINDING_PATTERN, "Execution Residue (Unmanaged Space, User)");
	cr_assert_not_null(f, "expected.json lists Execution Residue");
	cr_assert(dw_finding_has_thread(f, tid));
	case_close(&c);
}

Test(walker_residue, corpus_x64_hidden_exception, .timeout = 120)
{
	check_hidden("x64");
}

Test(walker_residue, corpus_x86_hidden_exception, .timeout = 120)
{
	check_hidden("x86");
}

// No hidden exception where there is none: every other corpus case, checked
// against its expected.json's patterns list.
Test(walker_residue, corpus_no_false_hidden_exceptions, .timeout = 300)
{
	const char *root   = tc_own_corpus();
	const char *arch[] = {"x64", "x86"};
	unsigned    cases  = 0;
	for (int a = 0; a < 2; a++) {
		char dir[4200];
		snprintf(dir, sizeof(dir), "%s/%s", root, arch[a]);
		DIR *dd = opendir(dir);
		struct dirent *e;
		while (dd != NULL && (e = readdir(dd)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			char p[4200 + 2 * 256 + 8];
			snprintf(p, sizeof(p), "%s/%s/%s.dmp", dir, e->d_name, e->d_name);
			struct stat st;
			if (stat(p, &st) != 0)
				continue;
			cased c;
			case_open(&c, arch[a], e->d_name);
			cases++;
			bool listed = strstr(c.doc, "\"Hidden Exception (User Space)\"") != NULL;
			const dw_finding *f =
			    dw_findings_find(c.fs, DW_FINDING_PATTERN, "Hidden Exception (User Space)");
			if (f != NULL && !listed)
				cr_expect_fail("%s/%s: Hidden Exception reported: %s", arch[a], e->d_name,
				               f->explanation);
			if (f == NULL && listed)
				cr_expect_fail("%s/%s: Hidden Exception not found", arch[a], e->d_name);
			case_close(&c);
		}
		if (dd != NULL)
			closedir(dd);
	}
	cr_assert_gt(cases, 10);
}

static char *
signature_of(const char *arch, const char *name)
{
	cased c;
	case_open(&c, arch, name);
	dw_signature *s = NULL;
	cr_assert_eq(dw_signature_make(&s, c.w, c.fs, c.r, NULL), DW_OK);
	char *text = strdup(s->text);
	fprintf(stderr, "signature %s/%s: %s\n", arch, name, text);
	dw_signature_free(s);
	case_close(&c);
	return text;
}

// Replaces every `from` in s with `to` (same length or shorter).
static void
rename_in(char *s, const char *from, const char *to)
{
	char  *p;
	size_t a = strlen(from), b = strlen(to);
	while ((p = strstr(s, from)) != NULL) {
		memmove(p + b, p + a, strlen(p + a) + 1);
		memcpy(p, to, b);
	}
}

Test(walker_residue, signatures_stable_across_builds, .timeout = 300)
{
	(void)tc_own_corpus();
	// deep_fp and deep_opt are one program built twice (frame pointers or
	// not, optimized); their files are named after the build, so the module
	// names are mapped before comparing.
	char *fp = signature_of("x64", "deep_fp"), *opt = signature_of("x64", "deep_opt");
	rename_in(opt, "deep_opt", "deep_fp");
	cr_expect_str_eq(fp, opt);
	cr_expect(strstr(fp, "NULL Pointer (Data)") != NULL, "%s", fp);
	cr_expect(strstr(fp, "deep_fp_lib.dll!lib_fault") != NULL, "%s", fp);
	free(opt);
	// x64 and x86 builds of the same case.
	const char *same[] = {"deep_fp", "null_read", "null_write", "div_zero", "hidden_exception"};
	char       *x64[5];
	for (size_t i = 0; i < 5; i++) {
		x64[i]    = signature_of("x64", same[i]);
		char *x86 = signature_of("x86", same[i]);
		cr_expect_str_eq(x64[i], x86, "%s: x64 and x86 builds differ", same[i]);
		free(x86);
	}
	// Different cases differ.
	for (size_t i = 0; i < 5; i++)
		for (size_t k = i + 1; k < 5; k++)
			cr_expect_str_neq(x64[i], x64[k]);
	for (size_t i = 0; i < 5; i++)
		free(x64[i]);
	free(fp);
}
