// The stack-based detectors (dw_classify_walk) on our own corpus: each dump
// walked with symbols from the case's PE/PDB files and the exports of Wine's
// PE DLLs of the dump's CPU (they name the waits), then checked
// against expected.json (written by the crashing programs): each listed
// pattern found, with the threads of the matching roles as evidence; no
// must-not pattern. Precision and recall per pattern are printed.
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbols/pe.h"
#include "tests/walker/corpus_files.h"
#include "tests/walker/testsym.h"
#include "walker/classify.h"
#include "walker/dump.h"
#include "walker/finding.h"
#include "walker/walk.h"

// Where Wine's PE DLLs are: DW_WINE64_DLLS / DW_WINE32_DLLS (tests/meson.build
// sets both; deploy/install-deps.sh puts the files there). The defaults are
// the same places, for running the binary by hand.
#define WINE64_DEFAULT "/var/cache/dumpwalk-test/wine/x86_64-windows"
#define WINE32_DEFAULT "/var/cache/dumpwalk-test/wine/i386-windows"

// The arch's DLL folder, or NULL when it is not there (checks that need the
// system frames named are then skipped, and the log says so).
static const char *
wine_dir(bool x64)
{
	const char *v   = getenv(x64 ? "DW_WINE64_DLLS" : "DW_WINE32_DLLS");
	const char *dir = v != NULL && v[0] != 0 ? v : x64 ? WINE64_DEFAULT : WINE32_DEFAULT;
	char        probe[4200];
	struct stat st;
	snprintf(probe, sizeof(probe), "%s/ntdll.dll", dir);
	return stat(probe, &st) == 0 && S_ISREG(st.st_mode) ? dir : NULL;
}

static bool
has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcasecmp(s + a - b, suf) == 0;
}

static const char *
base_name(const char *p)
{
	const char *b = p;
	for (; *p; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	return b;
}

// The case's EXE/DLLs and the PDB each names.
static void
add_case_symbols(tsym *t, const char *dir)
{
	DIR *dd = opendir(dir);
	if (dd == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(dd)) != NULL) {
		if (!has_suffix(e->d_name, ".exe") && !has_suffix(e->d_name, ".dll"))
			continue;
		char path[4700];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!tsym_add_pe(t, e->d_name, path))
			continue;
		size_t   n;
		uint8_t *buf = (uint8_t *)tc_slurp(path, &n);
		dw_pe   *pe  = NULL;
		if (buf != NULL && dw_pe_open(&pe, buf, n, DW_PE_LAYOUT_FILE, NULL) == DW_OK) {
			const dw_pe_codeview *cv = dw_pe_get_codeview(pe);
			if (cv != NULL && cv->pdb_name != NULL) {
				char pdb[4800];
				snprintf(pdb, sizeof(pdb), "%s/%s", dir, base_name(cv->pdb_name));
				(void)tsym_add_pdb(t, e->d_name, pdb);
			}
			dw_pe_free(pe);
		}
		free(buf);
	}
	closedir(dd);
}

// ---- a provider that adds export names to tsym's -------------------------------
//
// tsym names functions from PDBs and .sym files; Wine's DLLs come without
// either, so their frames are named here from the PE export table (nearest
// export at or below the address, as a debugger does with export symbols).

typedef struct xmod {
	void    *inner; // tsym's handle, may be NULL
	uint8_t *bytes;
	dw_pe   *pe;
	struct xexp {
		uint32_t    rva;
		const char *name;
	} *exp;
	char *names; // decorated copies of the names (g_decorate)
	size_t nexp;
} xmod;

typedef struct xsrc {
	const char   *wine;     // Wine's DLLs of the dump's CPU; NULL: none
	unsigned      mismatch; // DLLs found there that the dump did not load
	dw_symsrc     inner;
	dw_symsrc_ops ops;
} xsrc;

// When set, Wine's export names come back as an x86 PDB's publics spell
// them: "_NtWaitForSingleObject@12" (the @N is not the real argument size;
// the detectors must ignore it whatever it is).
static bool g_decorate;

static void
decorate(xmod *m)
{
	size_t total = 0;
	for (size_t i = 0; i < m->nexp; i++)
		total += strlen(m->exp[i].name) + 8;
	if ((m->names = malloc(total)) == NULL)
		return;
	char *p = m->names;
	for (size_t i = 0; i < m->nexp; i++) {
		int n          = snprintf(p, strlen(m->exp[i].name) + 8, "_%s@%zu", m->exp[i].name,
		                          4 * (i % 4));
		m->exp[i].name = p;
		p += n + 1;
	}
}

static int
xexp_cmp(const void *a, const void *b)
{
	const struct xexp *x = a, *y = b;
	return x->rva < y->rva ? -1 : x->rva > y->rva;
}

// The module record's code id (TimeDateStamp, SizeOfImage) against the file's
// headers: the same identity a symbol server keys images by.
static bool
same_image(const dw_pe *pe, const dw_symsrc_module *mi)
{
	const dw_pe_headers *h = dw_pe_get_headers(pe);
	char                 id[32];
	snprintf(id, sizeof(id), "%08X%x", h->timestamp, h->size_of_image);
	return mi->code_id != NULL && strcasecmp(id, mi->code_id) == 0;
}

static dw_err
x_open(void **out, const dw_symsrc_module *mi, void *arg)
{
	xsrc *x = arg;
	*out    = NULL;
	xmod *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return DW_ENOMEM;
	if (x->inner.ops->open(&m->inner, mi, x->inner.arg) != DW_OK)
		m->inner = NULL;
	char b[256];
	snprintf(b, sizeof(b), "%s", base_name(mi->name));
	for (char *c = b; *c != 0; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c); // Wine's files are lowercase
	char path[512];
	snprintf(path, sizeof(path), "%.300s/%.200s", x->wine != NULL ? x->wine : "", b);
	size_t len;
	if (x->wine != NULL && (m->bytes = (uint8_t *)tc_slurp(path, &len)) != NULL &&
	    dw_pe_open(&m->pe, m->bytes, len, DW_PE_LAYOUT_FILE, NULL) == DW_OK &&
	    !same_image(m->pe, mi)) {
		// Another Wine build's DLL would name every frame wrongly.
		x->mismatch++;
		cr_log_warn("%s is not the %s of the dump (code id %s): not used", path, b, mi->code_id);
		dw_pe_free(m->pe);
		m->pe = NULL;
	}
	if (m->pe != NULL) {
		size_t              n;
		const dw_pe_export *e = dw_pe_get_exports(m->pe, &n);
		m->exp                = calloc(n + 1, sizeof(*m->exp));
		for (size_t i = 0; m->exp != NULL && i < n; i++)
			if (e[i].name != NULL && e[i].forwarder == NULL)
				m->exp[m->nexp++] = (struct xexp){e[i].rva, e[i].name};
		if (g_decorate && m->nexp > 0)
			decorate(m);
		if (m->nexp > 1)
			qsort(m->exp, m->nexp, sizeof(*m->exp), xexp_cmp);
	}
	if (getenv("DW_PATTERNS_DEBUG") != NULL)
		fprintf(stderr, "open %s cpu %d: %zu exports, inner %p\n", mi->name, (int)mi->cpu, m->nexp,
		        m->inner);
	if (m->inner == NULL && m->nexp == 0) {
		dw_pe_free(m->pe);
		free(m->bytes);
		free(m->exp);
		free(m->names);
		free(m);
		return DW_ENOTFOUND;
	}
	*out = m;
	return DW_OK;
}

static void
x_close(void *h, void *arg)
{
	xsrc *x = arg;
	xmod *m = h;
	if (m->inner != NULL && x->inner.ops->close != NULL)
		x->inner.ops->close(m->inner, x->inner.arg);
	dw_pe_free(m->pe);
	free(m->bytes);
	free(m->exp);
	free(m->names);
	free(m);
}

static dw_err
x_find(dw_symsrc_loc *out, void *h, uint32_t rva, void *arg)
{
	xsrc *x = arg;
	xmod *m = h;
	if (m->inner != NULL && x->inner.ops->find != NULL &&
	    x->inner.ops->find(out, m->inner, rva, x->inner.arg) == DW_OK && out->name != NULL)
		return DW_OK;
	memset(out, 0, sizeof(*out));
	size_t lo = 0, hi = m->nexp;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m->exp[mid].rva <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return DW_ENOTFOUND;
	out->name      = m->exp[lo - 1].name;
	out->start     = m->exp[lo - 1].rva;
	out->offset    = rva - out->start;
	out->is_public = true;
	return DW_OK;
}

#define FWD(name, proto, call)                                                                 \
	static dw_err name proto                                                                   \
	{                                                                                          \
		xsrc *x = arg;                                                                         \
		xmod *m = h;                                                                           \
		if (m->inner == NULL || x->inner.ops->call == NULL)                                    \
			return DW_EUNSUPPORTED;                                                            \
		return x->inner.ops->call
FWD(x_inl, (dw_symsrc_inline * out, size_t cap, size_t *n, void *h, uint32_t rva, void *arg),
    find_inlines)(out, cap, n, m->inner, rva, x->inner.arg);
}
FWD(x_x64, (dw_symsrc_x64 * out, void *h, uint32_t rva, void *arg), x64_find)(out, m->inner, rva,
                                                                                x->inner.arg);
}
FWD(x_info, (const uint8_t **out, size_t *len, void *h, uint32_t rva, void *arg),
    x64_info)(out, len, m->inner, rva, x->inner.arg);
}
FWD(x_win, (dw_symsrc_win * out, void *h, uint32_t type, uint32_t rva, void *arg),
    win_find)(out, m->inner, type, rva, x->inner.arg);
}
FWD(x_cfi, (dw_symsrc_cfi * out, void *h, uint32_t rva, void *arg), cfi_find)(out, m->inner, rva,
                                                                                x->inner.arg);
}

// Code bytes of our modules come from tsym; Wine's from the DLL file, as a
// symbol server would give the image.
static dw_err
x_code(uint8_t *dst, size_t len, size_t *got, void *h, uint32_t rva, void *arg)
{
	xsrc *x = arg;
	xmod *m = h;
	*got    = 0;
	if (m->inner != NULL && x->inner.ops->read_code != NULL)
		return x->inner.ops->read_code(dst, len, got, m->inner, rva, x->inner.arg);
	if (m->pe == NULL)
		return DW_ENOTFOUND;
	for (size_t n = len; n > 0; n = n > 16 ? n / 2 : n - 1)
		if (dw_pe_read_rva(m->pe, rva, dst, n) == DW_OK) {
			*got = n;
			return DW_OK;
		}
	return DW_ENOTFOUND;
}

static dw_symsrc
xsrc_make(xsrc *x, dw_symsrc inner, const char *wine)
{
	x->wine     = wine;
	x->mismatch = 0;
	x->inner = inner;
	x->ops   = (dw_symsrc_ops){x_open, x_close, x_find, x_inl, x_x64, x_info, x_win, x_cfi, x_code};
	return (dw_symsrc){&x->ops, x};
}

// ---- expected.json (our generator's flat format) ------------------------------

static bool
json_list_has(const char *doc, const char *key, const char *name)
{
	char k[64];
	snprintf(k, sizeof(k), "\"%s\": [", key);
	const char *p = strstr(doc, k);
	if (p == NULL)
		return false;
	p += strlen(k);
	const char *end = strchr(p, ']');
	char        q[160];
	snprintf(q, sizeof(q), "\"%s\"", name);
	const char *hit = strstr(p, q);
	return hit != NULL && end != NULL && hit < end;
}

static unsigned long
json_uint_after(const char *doc, const char *anchor, const char *key)
{
	const char *p = anchor != NULL ? strstr(doc, anchor) : doc;
	if (p == NULL)
		return 0;
	const char *t = strstr(p, key);
	return t != NULL ? strtoul(t + strlen(key), NULL, 10) : 0;
}

// Thread ids whose role starts with `role` (threads[] entries).
static size_t
role_threads(const char *doc, const char *role, unsigned long *out, size_t max)
{
	size_t      n = 0;
	const char *p = doc;
	while (n < max && (p = strstr(p, "{\"id\": ")) != NULL) {
		unsigned long id = strtoul(p + 7, NULL, 10);
		const char   *r  = strstr(p, "\"role\": \"");
		const char   *e  = strchr(p, '}');
		if (r != NULL && e != NULL && r < e && strncmp(r + 9, role, strlen(role)) == 0)
			out[n++] = id;
		p += 7;
	}
	return n;
}

// ---- the check -------------------------------------------------------------------

// Stack-based patterns scored here, with the threads[] roles whose ids must
// appear in the finding's evidence (NULL: no thread check).
static const struct {
	const char *pattern;
	const char *roles[3];
} checked[] = {
    {"Exception Stack Trace", {"faulting", NULL}},
    {"Stack Trace / Stack Trace Collection (Unmanaged Space)", {NULL}},
    {"Main Thread", {NULL}},
    {"Blocked Thread (Software)", {"blocked-", "deadlocked", "idle-wait"}},
    {"Wait Chain (Critical Sections)", {"deadlocked", NULL}},
    {"Deadlock (Critical Sections)", {"deadlocked", NULL}},
    {"Message Box", {"message-box", NULL}},
    {"Active Thread / Spiking Thread", {"spinning", NULL}},
    {"Language-Specific Subtrace (Rust)", {NULL}},
    {"Manual Dump (Process)", {NULL}},
    {"Stored Exception", {NULL}},
};
#define NCHECKED (sizeof(checked) / sizeof(checked[0]))

typedef struct score {
	unsigned tp, fp, fn, must_not, thread_miss;
} score;

static void
run_case(const char *dir, const char *name, const char *arch, const char *json_name,
         const char *dump_path, score *sc, unsigned *cases)
{
	char jpath[4800], dpath[4800];
	snprintf(jpath, sizeof(jpath), "%s/%s", dir, json_name);
	if (dump_path != NULL)
		snprintf(dpath, sizeof(dpath), "%s", dump_path);
	else
		snprintf(dpath, sizeof(dpath), "%s/%s.dmp", dir, name);
	char *doc = tc_slurp(jpath, NULL);
	if (doc == NULL)
		return;
	dw_dump *d = NULL;
	if (dw_dump_open_file(&d, dpath, NULL) != DW_OK) {
		free(doc);
		return;
	}
	(*cases)++;
	tsym *t = tsym_new();
	add_case_symbols(t, dir);
	xsrc      xs;
	const char *wine = wine_dir(strcmp(arch, "x64") == 0);
	dw_symsrc   src  = xsrc_make(&xs, tsym_source(t), wine);
	dw_walk  *w   = NULL;
	cr_assert_eq(dw_walk_dump(&w, d, &src, NULL), DW_OK);
	dw_findings *fs = NULL;
	cr_assert_eq(dw_findings_new(&fs), DW_OK);
	cr_assert_eq(dw_classify_into(fs, d, NULL), DW_OK);
	cr_assert_eq(dw_classify_walk(fs, d, w, NULL), DW_OK);
	// Verdicts on frames named from Wine's DLLs need the DLLs that ran.
	bool named = wine != NULL && xs.mismatch == 0;

	if (getenv("DW_PATTERNS_DEBUG") != NULL && strstr(dir, getenv("DW_PATTERNS_DEBUG")) != NULL) {
		size_t                nt;
		const dw_thread_walk *tw = dw_walk_threads(w, &nt);
		for (size_t i = 0; i < nt; i++) {
			fprintf(stderr, "thread %u (%s)\n", tw[i].thread_id, dw_walk_end_name(tw[i].stack.end));
			for (size_t k = 0; k < tw[i].stack.nframes; k++) {
				const dw_frame *f = &tw[i].stack.frames[k];
				fprintf(stderr, "  %2zu %s!%s ip=%llx\n", k,
				        f->module ? base_name(f->module->name) : "?",
				        f->function ? f->function : "?", (unsigned long long)f->ip);
			}
		}
	}
	unsigned long spinning = json_uint_after(doc, NULL, "\"spinning_thread_id\": ");
	for (size_t i = 0; i < NCHECKED; i++) {
		const char       *p  = checked[i].pattern;
		const dw_finding *f  = dw_findings_find(fs, DW_FINDING_PATTERN, p);
		bool              ex = json_list_has(doc, "patterns", p);
		if (f != NULL && ex) {
			sc[i].tp++;
			unsigned long ids[16];
			size_t        nids = 0;
			for (size_t r = 0; r < 3 && checked[i].roles[r] != NULL; r++)
				nids += role_threads(doc, checked[i].roles[r], ids + nids, 16 - nids);
			if (strcmp(checked[i].roles[0] ? checked[i].roles[0] : "", "spinning") == 0 &&
			    spinning != 0 && nids == 0)
				ids[nids++] = spinning;
			for (size_t k = 0; k < nids; k++) {
				// Any finding of the pattern may carry the thread.
				size_t            nf;
				const dw_finding *all = dw_findings_items(fs, &nf);
				bool              hit = false;
				for (size_t m = 0; m < nf; m++)
					hit |= all[m].kind == DW_FINDING_PATTERN && strcmp(all[m].pattern, p) == 0 &&
					       dw_finding_has_thread(&all[m], (uint32_t)ids[k]);
				if (!hit) {
					sc[i].thread_miss++;
					if (named)
						cr_expect_fail("%s/%s (%s): %s lacks thread %lu", arch, name,
						               json_name, p, ids[k]);
					else
						fprintf(stderr, "  %s/%s: %s lacks thread %lu (not failed: no matching Wine DLLs)\n",
						        arch, name, p, ids[k]);
				}
			}
		} else if (f != NULL) {
			sc[i].fp++;
			if (getenv("DW_PATTERNS_FP") != NULL)
				fprintf(stderr, "  %s/%s (%s): %s reported, not listed: %s\n", arch, name,
				        json_name, p, f->explanation);
		} else if (ex) {
			sc[i].fn++;
			// Waits, spinning and throw machinery are recognised by the names
			// of Wine's system frames: without the DLLs a miss is no verdict.
			if (named)
				cr_expect_fail("%s/%s (%s): %s not found", arch, name, json_name, p);
			else
				fprintf(stderr, "  %s/%s (%s): %s not found (not failed: no matching Wine DLLs)\n",
				        arch, name, json_name, p);
		}
		if (f != NULL && json_list_has(doc, "not_patterns", p)) {
			sc[i].must_not++;
			cr_expect_fail("%s/%s: must-not pattern %s reported", arch, name, p);
		}
		if (f != NULL && json_list_has(doc, "patterns_not_visible", p))
			cr_expect_fail("%s/%s: %s reported though expected.json says not visible", arch,
			               name, p);
	}
	dw_findings_free(fs);
	dw_walk_free(w);
	tsym_free(t);
	dw_dump_free(d);
	free(doc);
}

Test(patterns_walk, own_corpus_stack_patterns, .timeout = 300)
{
	char        root[4096];
	struct stat st;
	snprintf(root, sizeof(root), "%s", tc_own_corpus());
	score    sc[NCHECKED];
	unsigned cases = 0;
	memset(sc, 0, sizeof(sc));
	static const char *const arches[] = {"x64", "x86"};
	for (int a = 0; a < 2; a++) {
		const char *var = a == 0 ? "DW_WINE64_DLLS" : "DW_WINE32_DLLS";
		if (wine_dir(a == 0) == NULL)
			cr_log_warn("Wine's %s PE DLLs are not in %s=%s (deploy/install-deps.sh unpacks them "
			            "there): the Wine-dependent checks (patterns and threads that need named "
			            "system frames) were SKIPPED for %s dumps",
			            arches[a], var, getenv(var) != NULL ? getenv(var) : "(unset)", arches[a]);
		char adir[4200];
		snprintf(adir, sizeof(adir), "%s/%s", root, arches[a]);
		DIR *dd = opendir(adir);
		if (dd == NULL)
			continue;
		struct dirent *e;
		while ((e = readdir(dd)) != NULL) {
			if (e->d_name[0] == '.' || strlen(e->d_name) > 100)
				continue;
			char dir[4400];
			snprintf(dir, sizeof(dir), "%s/%s", adir, e->d_name);
			run_case(dir, e->d_name, arches[a], "expected.json", NULL, sc, &cases);
			// The full-memory dump beside some cases (README: x64/deadlock,
			// x86/deep_opt), unpacked with xz when it is installed.
			char xzp[4600], cmd[9400], tmp[256];
			snprintf(xzp, sizeof(xzp), "%s/%s.full.dmp.xz", dir, e->d_name);
			if (stat(xzp, &st) != 0)
				continue;
			snprintf(tmp, sizeof(tmp), "%s/dw_patterns_%d_%.60s.dmp",
			         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(), e->d_name);
			snprintf(cmd, sizeof(cmd), "xz -dc '%s' > '%s' 2>/dev/null", xzp, tmp);
			if (system(cmd) != 0) {
				cr_log_warn("xz cannot unpack %s: full dump skipped", xzp);
				remove(tmp);
				continue;
			}
			run_case(dir, e->d_name, arches[a], "expected.full.json", tmp, sc, &cases);
			remove(tmp);
		}
		closedir(dd);
	}
	cr_expect_geq(cases, 30);
	fprintf(stderr, "stack patterns on our corpus (%u dumps; Wine DLLs: x64 %s, x86 %s):\n", cases,
	        wine_dir(true) != NULL ? "named" : "MISSING", wine_dir(false) != NULL ? "named" : "MISSING");
	fprintf(stderr, "  %-56s %3s %3s %3s %9s %6s %8s %7s\n", "pattern", "tp", "fp", "fn",
	        "precision", "recall", "must-not", "threads");
	for (size_t i = 0; i < NCHECKED; i++) {
		double prec = sc[i].tp + sc[i].fp ? (double)sc[i].tp / (sc[i].tp + sc[i].fp) : 1.0;
		double rec  = sc[i].tp + sc[i].fn ? (double)sc[i].tp / (sc[i].tp + sc[i].fn) : 1.0;
		fprintf(stderr, "  %-56s %3u %3u %3u %9.2f %6.2f %8u %7u\n", checked[i].pattern,
		        sc[i].tp, sc[i].fp, sc[i].fn, prec, rec, sc[i].must_not, sc[i].thread_miss);
	}
}

// The x86 wait cases again with Wine's names spelled as x86 PDB publics
// ("_NtWaitForSingleObject@12", "_RtlEnterCriticalSection@4"): every pattern
// and thread must still be found.
Test(patterns_walk, x86_decorated_system_names, .timeout = 300)
{
	char root[4096];
	snprintf(root, sizeof(root), "%s/x86", tc_own_corpus());
	if (wine_dir(false) == NULL)
		cr_skip_test("Wine's x86 PE DLLs are not in DW_WINE32_DLLS: this Wine-dependent check "
		             "was SKIPPED (deploy/install-deps.sh unpacks them)");
	static const char *const cases[] = {"blocked_waits", "deadlock", "many_threads", "cpp_throw"};
	score    sc[NCHECKED];
	unsigned n = 0;
	memset(sc, 0, sizeof(sc));
	g_decorate = true;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char dir[4400];
		snprintf(dir, sizeof(dir), "%s/%s", root, cases[i]);
		run_case(dir, cases[i], "x86", "expected.json", NULL, sc, &n);
	}
	g_decorate = false;
	cr_expect_eq(n, 4);
	unsigned tp = 0;
	for (size_t i = 0; i < NCHECKED; i++) {
		tp += sc[i].tp;
		cr_expect_eq(sc[i].fn + sc[i].thread_miss, 0, "%s: %u missed, %u threads missed",
		             checked[i].pattern, sc[i].fn, sc[i].thread_miss);
	}
	// Blocked x3, Wait Chain, Active Thread, the subtrace, Manual Dump x3, Stored Exception.
	cr_expect_geq(tp, 10);
}
