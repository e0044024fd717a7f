// tests/symbols/pdb_test.c - the MSF container and the PDB reader.
//
// Synthetic MSF files are laid out by hand here (not with msf.c's code) to
// check each directory validation. The corpus tests compare against two
// independent references: llvm-pdbutil (publics) and the Breakpad .sym files
// dump_syms made from the same PDBs (functions, lines, STACK WIN), parsed
// minimally below and compared the way /work/shared/tools/symcmp.py does.
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "symbols/msf.h"
#include "symbols/pdb.h"

// ---- synthetic MSF ----------------------------------------------------------

#define BS 512

typedef struct synth {
	uint8_t *buf;
	size_t   len;
} synth;

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

// Builds an MSF of `nblocks` blocks of BS bytes: superblock in block 0,
// block map in block 3, directory in block 4, and the streams given as
// (size, first block, block count) with consecutive blocks; stream contents
// are filled with the stream number.
static synth
make_msf(uint32_t nblocks, uint32_t nstreams, const uint32_t *sizes, const uint32_t *blocks)
{
	synth s;
	s.len = (size_t)nblocks * BS;
	s.buf = calloc(1, s.len);
	memcpy(s.buf, "Microsoft C/C++ MSF 7.00\r\n\x1a" "DS\0\0\0", 32);
	put32(s.buf + 32, BS);
	put32(s.buf + 36, 1);
	put32(s.buf + 40, nblocks);
	uint8_t *dir = s.buf + 4 * BS;
	size_t   off = 0;
	put32(dir + off, nstreams);
	off += 4;
	for (uint32_t i = 0; i < nstreams; i++, off += 4)
		put32(dir + off, sizes[i]);
	for (uint32_t i = 0, b = 0; i < nstreams; i++) {
		if (sizes[i] == 0xFFFFFFFFu)
			continue;
		uint32_t nb = (sizes[i] + BS - 1) / BS;
		for (uint32_t k = 0; k < nb; k++, off += 4, b++) {
			put32(dir + off, blocks[b]);
			if (blocks[b] >= 5 && (size_t)blocks[b] < nblocks) // 0-4 are ours
				memset(s.buf + (size_t)blocks[b] * BS, (int)i, BS);
		}
	}
	put32(s.buf + 44, (uint32_t)off);
	put32(s.buf + 52, 3);
	put32(s.buf + 3 * BS, 4);
	return s;
}

static bool
notes_mention(const dw_notes *n, const char *what)
{
	for (size_t i = 0; i < n->count; i++)
		if (strstr(n->items[i].text, what) != NULL)
			return true;
	return false;
}

Test(symbols_msf, reads_fragmented_and_nil_streams)
{
	// stream 0: nil; 1: 600 bytes in blocks 7,5 (not consecutive: copied);
	// 2: 100 bytes in block 6; 3: empty.
	uint32_t sizes[]  = {0xFFFFFFFFu, 600, 100, 0};
	uint32_t blocks[] = {7, 5, 6};
	synth    s        = make_msf(8, 4, sizes, blocks);
	dw_notes notes;
	dw_notes_init(&notes);
	dw_msf *m;
	cr_assert_eq(dw_msf_open(&m, s.buf, s.len, &notes), DW_OK);
	cr_expect_eq(notes.count, 0);
	cr_expect_eq(dw_msf_stream_count(m), 4);
	cr_expect_eq(dw_msf_stream_size(m, 0), DW_MSF_NIL_SIZE);
	dw_cur c;
	cr_expect_eq(dw_msf_stream(&c, m, 0), DW_ENOTFOUND);
	cr_expect_eq(dw_msf_stream(&c, m, 9), DW_ENOTFOUND);
	cr_assert_eq(dw_msf_stream(&c, m, 1), DW_OK);
	cr_expect_eq(c.len, 600);
	cr_expect_eq(c.base[0], 1);
	cr_expect_eq(c.base[599], 1);
	cr_assert_eq(dw_msf_stream(&c, m, 2), DW_OK);
	cr_expect_eq(c.len, 100);
	cr_expect_eq(c.base[0], 2);
	cr_assert_eq(dw_msf_stream(&c, m, 3), DW_OK);
	cr_expect_eq(c.len, 0);
	dw_msf_free(m);
	dw_notes_fini(&notes);
	free(s.buf);
}

Test(symbols_msf, rejects_bad_block_size)
{
	uint32_t sizes[] = {10};
	uint32_t blocks[] = {5};
	synth    s        = make_msf(8, 1, sizes, blocks);
	put32(s.buf + 32, 1000);
	dw_notes notes;
	dw_notes_init(&notes);
	dw_msf *m = (dw_msf *)1;
	cr_expect_eq(dw_msf_open(&m, s.buf, s.len, &notes), DW_ECORRUPT);
	cr_expect_null(m);
	cr_expect(notes_mention(&notes, "block size 1000"));
	dw_notes_fini(&notes);
	free(s.buf);
}

// Opens an exact-size heap copy, so ASan sees any read past its end.
static dw_err
open_exact(const void *bytes, size_t len, dw_notes *notes)
{
	uint8_t *p = malloc(len);
	cr_assert_not_null(p);
	memcpy(p, bytes, len);
	dw_msf *m  = NULL;
	dw_err  rv = dw_msf_open(&m, p, len, notes);
	dw_msf_free(m);
	free(p);
	return rv;
}

// fuzz_pdb found that a file of 32..36 bytes starting like the 37-byte PDB
// 2.00 signature was compared past its end (the reproducer is kept in
// tests/fuzz/corpus/pdb/crash-old-magic-prefix-33-bytes.pdb).
Test(symbols_msf, old_format_signature_is_read_within_the_file)
{
	static const char old[] = "Microsoft C/C++ program database 2.00\r\n\x1aJG";
	dw_notes          notes;
	dw_notes_init(&notes);
	uint8_t buf[64] = {0};
	memcpy(buf, old, sizeof(old) - 1);
	cr_expect_eq(open_exact(buf, sizeof(buf), &notes), DW_EUNSUPPORTED);
	cr_expect(notes_mention(&notes, "2.00"));
	for (size_t len = 32; len < 37; len++)
		cr_expect_eq(open_exact(buf, len, &notes), DW_ECORRUPT, "%zu bytes", len);
	uint8_t fuzz[33] = {'M', 'i', 'c', 'r', 'o', 's', 'o', 'f', 0, 0};
	memset(fuzz + 10, 0xff, 12);
	cr_expect_eq(open_exact(fuzz, sizeof(fuzz), &notes), DW_ECORRUPT);
	dw_notes_fini(&notes);
}

Test(symbols_msf, rejects_directory_block_past_eof)
{
	uint32_t sizes[] = {10};
	uint32_t blocks[] = {5};
	synth    s        = make_msf(8, 1, sizes, blocks);
	put32(s.buf + 3 * BS, 4000); // the directory's only block
	dw_notes notes;
	dw_notes_init(&notes);
	dw_msf *m;
	cr_expect_eq(dw_msf_open(&m, s.buf, s.len, &notes), DW_ECORRUPT);
	cr_expect(notes_mention(&notes, "past the end of the file"));
	dw_notes_fini(&notes);
	free(s.buf);
}

Test(symbols_msf, rejects_block_map_past_eof)
{
	uint32_t sizes[] = {10};
	uint32_t blocks[] = {5};
	synth    s        = make_msf(8, 1, sizes, blocks);
	put32(s.buf + 52, 0xFFFFFFF0u);
	dw_notes notes;
	dw_notes_init(&notes);
	dw_msf *m;
	cr_expect_eq(dw_msf_open(&m, s.buf, s.len, &notes), DW_ECORRUPT);
	dw_notes_fini(&notes);
	free(s.buf);
}

Test(symbols_msf, stream_size_overflowing_is_noted)
{
	uint32_t sizes[] = {10};
	uint32_t blocks[] = {5};
	synth    s        = make_msf(8, 1, sizes, blocks);
	put32(s.buf + 4 * BS + 4, 0xFFFFFFF0u); // stream 0 size: needs 8M blocks
	dw_notes notes;
	dw_notes_init(&notes);
	dw_msf *m;
	cr_expect_neq(dw_msf_open(&m, s.buf, s.len, &notes), DW_OK);
	cr_expect(notes_mention(&notes, "stream 0 size"));
	dw_notes_fini(&notes);
	free(s.buf);
}

Test(symbols_msf, duplicate_blocks_make_the_later_stream_unreadable)
{
	// Stream 1 reuses stream 0's block; stream 2 lists one block twice;
	// stream 3 claims the directory's block.
	uint32_t sizes[]  = {100, 100, 600, 100};
	uint32_t blocks[] = {5, 5, 6, 6, 4};
	synth    s        = make_msf(8, 4, sizes, blocks);
	dw_notes notes;
	dw_notes_init(&notes);
	dw_msf *m;
	cr_assert_eq(dw_msf_open(&m, s.buf, s.len, &notes), DW_OK);
	dw_cur c;
	cr_expect_eq(dw_msf_stream(&c, m, 0), DW_OK);
	cr_expect_eq(dw_msf_stream(&c, m, 1), DW_ECORRUPT);
	cr_expect_eq(dw_msf_stream(&c, m, 2), DW_ECORRUPT);
	cr_expect_eq(dw_msf_stream(&c, m, 3), DW_ECORRUPT);
	cr_expect(notes_mention(&notes, "already belongs to stream 0"));
	cr_expect(notes_mention(&notes, "listed twice"));
	cr_expect(notes_mention(&notes, "already belongs to the directory"));
	dw_msf_free(m);
	dw_notes_fini(&notes);
	free(s.buf);
}

Test(symbols_msf, truncated_files_give_notes)
{
	uint32_t sizes[]  = {100};
	uint32_t blocks[] = {7};
	synth    s        = make_msf(8, 1, sizes, blocks);
	for (size_t len = 0; len < s.len; len += 61) {
		dw_notes notes;
		dw_notes_init(&notes);
		dw_msf *m;
		dw_err  rv = dw_msf_open(&m, s.buf, len, &notes);
		if (rv == DW_OK) {
			dw_cur c;
			dw_msf_stream(&c, m, 0);
			dw_msf_free(m);
		}
		cr_expect(notes.count > 0, "length %zu gave no note", len);
		dw_notes_fini(&notes);
	}
	free(s.buf);
}

Test(symbols_pdb, msf_without_info_stream_fails_with_a_note)
{
	uint32_t sizes[]  = {100};
	uint32_t blocks[] = {7};
	synth    s        = make_msf(8, 1, sizes, blocks);
	dw_notes notes;
	dw_notes_init(&notes);
	dw_pdb *p;
	cr_expect_neq(dw_pdb_open_buffer(&p, s.buf, s.len, &notes), DW_OK);
	cr_expect(notes_mention(&notes, "info stream"));
	dw_notes_fini(&notes);
	free(s.buf);
}

// ---- corpus -----------------------------------------------------------------

static const char *
corpus(void)
{
	const char *c = getenv("DW_CORPUS");
	struct stat st;
	if (c == NULL || stat(c, &st) != 0)
		return NULL;
	return c;
}

// Finds symbols/<name>.pdb/<id>/<file> and returns its path and id.
static bool
find_file(char *out, size_t outlen, char *id, size_t idlen, const char *pdbname,
          const char *file)
{
	const char *c = corpus();
	if (c == NULL)
		return false;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/symbols/%s.pdb", c, pdbname);
	DIR *d = opendir(dir);
	if (d == NULL)
		return false;
	struct dirent *e;
	bool           found = false;
	while (!found && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(out, outlen, "%s/%s/%s", dir, e->d_name, file) >= (int)outlen)
			continue;
		struct stat st;
		if (stat(out, &st) == 0) {
			snprintf(id, idlen, "%s", e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

static const char *all_pdbs[] = {
    "crash", "crash_with_srcsrv", "dump_syms_regtest", "dump_syms_regtest64",
    "CrashWithException", "omap_reorder_bbs", "omap_reorder_funcs", "sigsegv",
    "test_dll", "test_types.dll", "test_vtables.dll", "test_vtables_omap.dll",
};

// Reads every layer of the PDB, as the fuzz target does.
static void
read_all(dw_pdb *p)
{
	const dw_pdb_dbi *d;
	if (dw_pdb_get_dbi(&d, p) == DW_OK)
		for (size_t i = 0; i < d->nmodules; i++) {
			const dw_pdb_modsyms *ms;
			cr_expect_eq(dw_pdb_get_module(&ms, p, i), DW_OK);
		}
	const dw_pdb_public *pubs;
	size_t               n;
	dw_pdb_get_publics(&pubs, &n, p);
}

Test(symbols_pdb, corpus_pdbs_open_cleanly_with_matching_debug_ids, .timeout = 120)
{
	if (corpus() == NULL)
		cr_skip_test("DW_CORPUS not set or missing: no corpus PDBs to read");
	size_t opened = 0;
	for (size_t i = 0; i < sizeof(all_pdbs) / sizeof(all_pdbs[0]); i++) {
		char path[4096], id[256], file[256];
		snprintf(file, sizeof(file), "%s.pdb", all_pdbs[i]);
		if (!find_file(path, sizeof(path), id, sizeof(id), all_pdbs[i], file))
			continue;
		dw_notes notes;
		dw_notes_init(&notes);
		dw_pdb *p;
		cr_assert_eq(dw_pdb_open_file(&p, path, &notes), DW_OK, "%s", path);
		read_all(p);
		const dw_notes *n = dw_pdb_notes(p);
		for (size_t k = 0; k < n->count; k++)
			cr_log_error("%s: %s", file, n->items[k].text);
		cr_expect_eq(n->count, 0, "%s: %zu notes", file, n->count);
		cr_expect_str_eq(dw_pdb_get_info(p)->debug_id, id, "%s", file);
		uint32_t idx;
		cr_expect_eq(dw_pdb_find_stream(&idx, p, "/names"), DW_OK, "%s", file);
		dw_pdb_free(p);
		dw_notes_fini(&notes);
		opened++;
	}
	cr_expect_geq(opened, 10, "only %zu corpus PDBs found", opened);
}

// ---- publics vs llvm-pdbutil ----

typedef struct pubkey {
	char    *name;
	uint32_t seg, off;
} pubkey;

static int
pub_cmp(const void *a, const void *b)
{
	const pubkey *x = a, *y = b;
	int           c = strcmp(x->name, y->name);
	if (c)
		return c;
	if (x->seg != y->seg)
		return x->seg < y->seg ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static void
check_publics(const char *name)
{
	char path[4096], id[256], file[256];
	snprintf(file, sizeof(file), "%s.pdb", name);
	if (!find_file(path, sizeof(path), id, sizeof(id), name, file))
		cr_skip_test("%s not in the corpus", file);
	if (system("llvm-pdbutil --version >/dev/null 2>&1") != 0)
		cr_skip_test("llvm-pdbutil not installed: no oracle for publics");
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "llvm-pdbutil dump --publics '%s'", path);
	FILE *f = popen(cmd, "r");
	cr_assert_not_null(f);
	pubkey *ref = NULL;
	size_t  nref = 0, cap = 0;
	char    line[8192], pending[4096] = "";
	while (fgets(line, sizeof(line), f)) {
		char *q = strstr(line, "S_PUB32 [size = ");
		if (q != NULL) {
			char *a = strchr(q, '`'), *b = a ? strrchr(a + 1, '`') : NULL;
			if (a && b) {
				snprintf(pending, sizeof(pending), "%.*s", (int)(b - a - 1), a + 1);
			}
			continue;
		}
		unsigned seg, off;
		q = strstr(line, "addr = ");
		if (q != NULL && sscanf(q, "addr = %u:%u", &seg, &off) == 2) {
			if (nref == cap) {
				cap = cap ? cap * 2 : 256;
				ref = realloc(ref, cap * sizeof(*ref));
			}
			ref[nref].name = strdup(pending);
			ref[nref].seg  = seg;
			ref[nref].off  = off;
			nref++;
		}
	}
	pclose(f);
	cr_assert_gt(nref, 0, "llvm-pdbutil printed no publics for %s", file);

	dw_pdb *p;
	cr_assert_eq(dw_pdb_open_file(&p, path, NULL), DW_OK);
	const dw_pdb_public *pubs;
	size_t               n;
	cr_assert_eq(dw_pdb_get_publics(&pubs, &n, p), DW_OK);
	pubkey *ours = calloc(n ? n : 1, sizeof(*ours));
	for (size_t i = 0; i < n; i++) {
		ours[i].name = (char *)pubs[i].name;
		ours[i].seg  = pubs[i].segment;
		ours[i].off  = pubs[i].offset;
	}
	qsort(ref, nref, sizeof(*ref), pub_cmp);
	if (n > 1)
		qsort(ours, n, sizeof(*ours), pub_cmp);
	cr_expect_eq(n, nref, "%s: %zu publics, llvm-pdbutil %zu", file, n, nref);
	size_t same = 0;
	for (size_t i = 0; i < n && i < nref; i++)
		same += pub_cmp(&ours[i], &ref[i]) == 0;
	printf("pdb publics %s: %zu of %zu equal to llvm-pdbutil\n", file, same, nref);
	cr_expect_eq(same, nref, "%s: %zu of %zu publics equal", file, same, nref);
	for (size_t i = 0; i < nref; i++)
		free(ref[i].name);
	free(ref);
	free(ours);
	dw_pdb_free(p);
}

Test(symbols_pdb, publics_match_llvm_pdbutil_crash) { check_publics("crash"); }
Test(symbols_pdb, publics_match_llvm_pdbutil_sigsegv) { check_publics("sigsegv"); }
Test(symbols_pdb, publics_match_llvm_pdbutil_regtest64) { check_publics("dump_syms_regtest64"); }

// ---- functions, lines and STACK WIN vs the dump_syms .sym ----

// symcmp.py's norm_name: cut the parameter list (first '(' outside <> and [],
// not after "operator"), drop leading type words, then leading underscores.
static void
norm_name(char *out, size_t outlen, const char *in)
{
	static const char *prim[] = {"void", "bool", "char", "short", "int", "long", "unsigned",
	                             "signed", "float", "double", "wchar_t", "__int64", "static",
	                             "virtual", "const", "struct", "class", "enum"};
	char   buf[4096];
	size_t len = strlen(in), cut = len;
	int    depth = 0;
	snprintf(buf, sizeof(buf), "%s", in);
	for (size_t i = 0; i < len && i < sizeof(buf) - 1; i++) {
		char ch = buf[i];
		if (ch == '<' || ch == '[')
			depth++;
		else if (ch == '>' || ch == ']')
			depth--;
		else if (ch == '(' && depth == 0 && !(i >= 8 && strncmp(buf + i - 8, "operator", 8) == 0)) {
			cut = i;
			break;
		}
	}
	if (cut < sizeof(buf))
		buf[cut] = 0;
	// trim and drop leading words while more than one remains
	char *s = buf;
	while (*s == ' ')
		s++;
	size_t l = strlen(s);
	while (l && s[l - 1] == ' ')
		s[--l] = 0;
	for (;;) {
		char *sp = strchr(s, ' ');
		if (sp == NULL)
			break;
		size_t w   = (size_t)(sp - s);
		bool   drop = s[w - 1] == '*' || s[w - 1] == '&';
		for (size_t k = 0; !drop && k < sizeof(prim) / sizeof(prim[0]); k++)
			drop = strlen(prim[k]) == w && strncmp(s, prim[k], w) == 0;
		if (!drop)
			break;
		s = sp + 1;
		while (*s == ' ')
			s++;
	}
	while (*s == '_')
		s++;
	snprintf(out, outlen, "%s", s);
}

typedef struct symfunc {
	uint32_t addr, size;
	char    *name;
} symfunc;
typedef struct symline {
	uint32_t addr, size, line;
	char    *file; // lower-case, backslashes
} symline;

typedef struct symref {
	symfunc *funcs;
	size_t   nfuncs;
	symline *lines;
	size_t   nlines;
	char   **wins;
	size_t   nwins;
} symref;

static void *
grow(void *p, size_t n, size_t *cap, size_t elem)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 1024;
	return realloc(p, *cap * elem);
}

static void
canon_file(char *s)
{
	for (; *s; s++) {
		if (*s == '/')
			*s = '\\';
		else if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	}
}

// Collapses runs of white space to one space and trims, as symcmp does.
static char *
squeeze(const char *in)
{
	char  *out = malloc(strlen(in) + 1);
	size_t k   = 0;
	bool   sp  = false;
	for (; *in; in++) {
		if (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n') {
			sp = k > 0;
			continue;
		}
		if (sp)
			out[k++] = ' ';
		sp       = false;
		out[k++] = *in;
	}
	out[k] = 0;
	return out;
}

static void
load_sym(symref *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	char  **files  = NULL;
	size_t  nfiles = 0, cf = 0, cfn = 0, cl = 0, cw = 0;
	char    line[16384];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (strncmp(line, "FILE ", 5) == 0) {
			unsigned long id  = strtoul(line + 5, NULL, 10);
			char         *nm  = strchr(line + 5, ' ');
			if (nm == NULL)
				continue;
			while (id >= nfiles) {
				files = grow(files, nfiles, &cf, sizeof(*files));
				files[nfiles++] = NULL;
			}
			files[id] = strdup(nm + 1);
			canon_file(files[id]);
		} else if (strncmp(line, "FUNC ", 5) == 0) {
			char *q = line + 5;
			if (strncmp(q, "m ", 2) == 0)
				q += 2;
			char         *e;
			unsigned long a = strtoul(q, &e, 16);
			unsigned long s = strtoul(e, &e, 16);
			strtoul(e, &e, 16);
			while (*e == ' ')
				e++;
			r->funcs = grow(r->funcs, r->nfuncs, &cfn, sizeof(*r->funcs));
			char nb[4096];
			norm_name(nb, sizeof(nb), e);
			r->funcs[r->nfuncs++] = (symfunc){(uint32_t)a, (uint32_t)s, strdup(nb)};
		} else if (strncmp(line, "STACK WIN", 9) == 0) {
			r->wins = grow(r->wins, r->nwins, &cw, sizeof(*r->wins));
			r->wins[r->nwins++] = squeeze(line);
		} else {
			unsigned a, s, l, fi;
			char     tail;
			if (sscanf(line, "%x %x %u %u%c", &a, &s, &l, &fi, &tail) == 4) {
				r->lines = grow(r->lines, r->nlines, &cl, sizeof(*r->lines));
				r->lines[r->nlines++] =
				    (symline){a, s, l, fi < nfiles && files[fi] ? strdup(files[fi]) : strdup("?")};
			}
		}
	}
	fclose(f);
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
}

static void
free_sym(symref *r)
{
	for (size_t i = 0; i < r->nfuncs; i++)
		free(r->funcs[i].name);
	for (size_t i = 0; i < r->nlines; i++)
		free(r->lines[i].file);
	for (size_t i = 0; i < r->nwins; i++)
		free(r->wins[i]);
	free(r->funcs);
	free(r->lines);
	free(r->wins);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

// Our records, printed as the reference prints them, then compared as
// strings (sorted, binary search).
typedef struct strset {
	char  **items;
	size_t  n, cap;
} strset;

static void
set_add(strset *s, char *str)
{
	s->items = grow(s->items, s->n, &s->cap, sizeof(char *));
	s->items[s->n++] = str;
}

static void
set_sort(strset *s)
{
	if (s->n > 1)
		qsort(s->items, s->n, sizeof(char *), str_cmp);
}

static bool
set_has(const strset *s, const char *str)
{
	return s->n && bsearch(&str, s->items, s->n, sizeof(char *), str_cmp) != NULL;
}

static void
set_free(strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->items[i]);
	free(s->items);
}

typedef struct piece_ctx {
	strset     *set;
	const char *name;
} piece_ctx;

static void
func_piece(uint32_t rva, uint32_t size, uint32_t delta, void *arg)
{
	piece_ctx *c = arg;
	char       raw[4096], nb[4096], buf[4200];
	(void)delta;
	// x86 __fastcall procedures keep their decoration in the record
	// ("@_EH4_CallFilterFunc@8"); dump_syms prints them undecorated. Strip
	// the leading '@' and the trailing "@<bytes>" as the .sym printer will.
	const char *n = c->name[0] == '@' ? c->name + 1 : c->name;
	snprintf(raw, sizeof(raw), "%s", n);
	char *at = strrchr(raw, '@');
	if (c->name[0] == '@' && at != NULL && at[1] != 0 && strspn(at + 1, "0123456789") == strlen(at + 1))
		*at = 0;
	norm_name(nb, sizeof(nb), raw);
	snprintf(buf, sizeof(buf), "%x %x %s", rva, size, nb);
	set_add(c->set, strdup(buf));
}

static double
pct(size_t a, size_t b)
{
	return b ? 100.0 * (double)a / (double)b : 100.0;
}

static void
compare_sym(const char *name, const char *symfile, double want_func, double want_lines,
            double want_win)
{
	char path[4096], sympath[4096], id[256], file[256];
	snprintf(file, sizeof(file), "%s.pdb", name);
	if (!find_file(path, sizeof(path), id, sizeof(id), name, file) ||
	    !find_file(sympath, sizeof(sympath), id, sizeof(id), name, symfile))
		cr_skip_test("%s or %s not in the corpus", file, symfile);
	symref ref;
	load_sym(&ref, sympath);
	dw_pdb *p;
	cr_assert_eq(dw_pdb_open_file(&p, path, NULL), DW_OK);
	const dw_pdb_dbi *d;
	cr_assert_eq(dw_pdb_get_dbi(&d, p), DW_OK);

	strset funcs = {0}, lines = {0}, wins = {0};
	char   buf[8192];
	for (size_t m = 0; m < d->nmodules; m++) {
		const dw_pdb_modsyms *ms;
		cr_assert_eq(dw_pdb_get_module(&ms, p, m), DW_OK);
		for (size_t i = 0; i < ms->nprocs; i++) {
			const dw_pdb_proc *pr = &ms->procs[i];
			if (pr->kind == DW_PDB_S_THUNK32 || !pr->has_rva)
				continue;
			piece_ctx pc = {&funcs, pr->name};
			dw_pdb_map_range(p, pr->orig_rva, pr->size, true, func_piece, &pc);
		}
		for (size_t i = 0; i < ms->nlines; i++) {
			const dw_pdb_line *l = &ms->lines[i];
			char               fn[4096];
			snprintf(fn, sizeof(fn), "%s", l->file < ms->nfiles ? ms->files[l->file] : "?");
			canon_file(fn);
			snprintf(buf, sizeof(buf), "%x %x %u %s", l->rva, l->size, l->line, fn);
			set_add(&lines, strdup(buf));
		}
	}
	for (size_t i = 0; i < d->nfpo; i++) {
		const dw_pdb_fpo *f = &d->fpo[i];
		snprintf(buf, sizeof(buf), "STACK WIN 0 %x %x %x 0 %x %x %x 0 0 %d", f->rva, f->size,
		         f->prolog, f->params * 4u, f->regs * 4u, f->locals * 4u, f->use_bp);
		set_add(&wins, strdup(buf));
	}
	for (size_t i = 0; i < d->nframes; i++) {
		const dw_pdb_frame *f = &d->frames[i];
		snprintf(buf, sizeof(buf), "STACK WIN 4 %x %x %x 0 %x %x %x %x %d %s", f->rva, f->size,
		         f->prolog, f->params, f->saved_regs, f->locals, f->max_stack,
		         f->program != NULL, f->program ? f->program : "0");
		set_add(&wins, squeeze(buf));
	}
	set_sort(&funcs);
	set_sort(&lines);
	set_sort(&wins);

	size_t f_ok = 0, l_ok = 0, w_ok = 0;
	for (size_t i = 0; i < ref.nfuncs; i++) {
		snprintf(buf, sizeof(buf), "%x %x %s", ref.funcs[i].addr, ref.funcs[i].size,
		         ref.funcs[i].name);
		f_ok += set_has(&funcs, buf);
	}
	for (size_t i = 0; i < ref.nlines; i++) {
		snprintf(buf, sizeof(buf), "%x %x %u %s", ref.lines[i].addr, ref.lines[i].size,
		         ref.lines[i].line, ref.lines[i].file);
		l_ok += set_has(&lines, buf);
	}
	for (size_t i = 0; i < ref.nwins; i++)
		w_ok += set_has(&wins, ref.wins[i]);
	printf("pdb vs %s: FUNC %.1f%% of %zu; lines %.1f%% of %zu; STACK WIN %.1f%% of %zu\n",
	       symfile, pct(f_ok, ref.nfuncs), ref.nfuncs, pct(l_ok, ref.nlines), ref.nlines,
	       pct(w_ok, ref.nwins), ref.nwins);
	cr_expect_geq(pct(f_ok, ref.nfuncs), want_func, "%s FUNC %.1f%%", symfile,
	              pct(f_ok, ref.nfuncs));
	cr_expect_geq(pct(l_ok, ref.nlines), want_lines, "%s lines %.1f%%", symfile,
	              pct(l_ok, ref.nlines));
	cr_expect_geq(pct(w_ok, ref.nwins), want_win, "%s STACK WIN %.1f%%", symfile,
	              pct(w_ok, ref.nwins));
	set_free(&funcs);
	set_free(&lines);
	set_free(&wins);
	free_sym(&ref);
	dw_pdb_free(p);
}

// Issue 3 targets: FUNC >= 99%, lines >= 98%, STACK WIN >= 99%.
Test(symbols_pdb, agrees_with_sym_crash) { compare_sym("crash", "crash.sym", 99, 98, 99); }
Test(symbols_pdb, agrees_with_sym_regtest)
{
	compare_sym("dump_syms_regtest", "dump_syms_regtest.sym", 99, 98, 99);
}
Test(symbols_pdb, agrees_with_sym_regtest64)
{
	compare_sym("dump_syms_regtest64", "dump_syms_regtest64.sym", 99, 98, 99);
}
Test(symbols_pdb, agrees_with_rust_sym_regtest64)
{
	compare_sym("dump_syms_regtest64", "dump_syms_regtest64.rust-dump_syms.sym", 99, 98, 99);
}
Test(symbols_pdb, agrees_with_sym_crash_with_exception)
{
	compare_sym("CrashWithException", "CrashWithException.sym", 99, 98, 99);
}
Test(symbols_pdb, agrees_with_sym_omap_reorder_funcs)
{
	compare_sym("omap_reorder_funcs", "omap_reorder_funcs.sym", 99, 98, 99);
}
// Basic-block reordering: FUNC, line and frame records split by the OMAP
// range rule (dw_pdb_map_range, dw_pdb_map_frame).
Test(symbols_pdb, agrees_with_sym_omap_reorder_bbs)
{
	compare_sym("omap_reorder_bbs", "omap_reorder_bbs.sym", 99, 98, 99);
}

// ---- the OMAP range rule on a hand-built table ---------------------------------
//
// Original layout (orig_len 0x1030): F at 0x1000..0x1020 in blocks A
// (0x1000..0x1008), B (0x1008..0x1010), X (0x1010..0x1018, dropped by the
// tool) and C (0x1018..0x1020); G at 0x1020..0x1030. Image:
//   0x1000 G (16 bytes)      0x1010 A (8)
//   0x1018, 0x101a padding that OMAP-to-source sends to 0x1008, B's first byte
//   0x101c injected (maps past the original image)
//   0x1020 C (8)             0x1028 B (8)       0x1030 injected (end)
static const dw_pdb_omap omap_to[] = {
    {0x1000, 0x1020},      {0x1010, 0x1000}, {0x1018, 0x1008}, {0x101a, 0x1008},
    {0x101c, 0x80000000u}, {0x1020, 0x1018}, {0x1028, 0x1008}, {0x1030, 0x80000000u},
};

typedef struct got_pieces {
	uint32_t rva[16], size[16], extra[16];
	size_t   n;
} got_pieces;

static void
got_piece(uint32_t rva, uint32_t size, uint32_t extra, void *arg)
{
	got_pieces *g = arg;
	if (g->n < 16) {
		g->rva[g->n]   = rva;
		g->size[g->n]  = size;
		g->extra[g->n] = extra;
	}
	g->n++;
}

static void
expect_pieces(const got_pieces *g, size_t n, const uint32_t (*want)[3], const char *what)
{
	cr_assert_eq(g->n, n, "%s: %zu pieces, want %zu", what, g->n, n);
	for (size_t i = 0; i < n; i++)
		cr_expect(g->rva[i] == want[i][0] && g->size[i] == want[i][1] &&
		              g->extra[i] == want[i][2],
		          "%s piece %zu: %x+%x (%u), want %x+%x (%u)", what, i, g->rva[i],
		          g->size[i], g->extra[i], want[i][0], want[i][1], want[i][2]);
}

Test(symbols_pdb, omap_range_rule_owns_padding_and_joins_over_injected_bytes)
{
	dw_pdb_omap_map *m;
	cr_assert_eq(
	    dw_pdb_omap_map_new(&m, omap_to, sizeof(omap_to) / sizeof(omap_to[0]), NULL, 0, 0x1030),
	    DW_OK);
	got_pieces g = {0};

	// All of F: A, the padding after it (it maps into F), the injected bytes
	// (they join two pieces of F), C and B: one range. delta 0.
	dw_pdb_omap_map_range(m, 0x1000, 0x20, true, got_piece, &g);
	expect_pieces(&g, 1, (const uint32_t[][3]){{0x1010, 0x20, 0}}, "F");

	// Unmerged: one piece per interval, in image order.
	memset(&g, 0, sizeof(g));
	dw_pdb_omap_map_range(m, 0x1000, 0x20, false, got_piece, &g);
	expect_pieces(
	    &g, 5,
	    (const uint32_t[][3]){
	        {0x1010, 8, 0}, {0x1018, 2, 8}, {0x101a, 2, 8}, {0x1020, 8, 0x18}, {0x1028, 8, 8}},
	    "F unmerged");

	// A line ending with block A does not own the padding (it maps to 0x1008).
	memset(&g, 0, sizeof(g));
	dw_pdb_omap_map_range(m, 0x1000, 8, true, got_piece, &g);
	expect_pieces(&g, 1, (const uint32_t[][3]){{0x1010, 8, 0}}, "line in A");

	// A line across A and B owns the padding; the injected bytes after it
	// lead to C, which is not in the line: B's part stays apart.
	memset(&g, 0, sizeof(g));
	dw_pdb_omap_map_range(m, 0x1004, 8, true, got_piece, &g);
	expect_pieces(&g, 2, (const uint32_t[][3]){{0x1014, 8, 0}, {0x1028, 4, 4}}, "line A-B");

	// A zero-length line at B's start: every image address holding 0x1008.
	memset(&g, 0, sizeof(g));
	dw_pdb_omap_map_range(m, 0x1008, 0, true, got_piece, &g);
	expect_pieces(&g, 3, (const uint32_t[][3]){{0x1018, 0, 0}, {0x101a, 0, 0}, {0x1028, 0, 0}},
	              "empty line");

	// X was dropped: nothing.
	memset(&g, 0, sizeof(g));
	cr_expect_eq(dw_pdb_omap_map_range(m, 0x1010, 8, true, got_piece, &g), 0);
	cr_expect_eq(g.n, 0);

	// G, moved whole.
	memset(&g, 0, sizeof(g));
	dw_pdb_omap_map_range(m, 0x1020, 0x10, true, got_piece, &g);
	expect_pieces(&g, 1, (const uint32_t[][3]){{0x1000, 0x10, 0}}, "G");
	dw_pdb_omap_map_free(m);
}

Test(symbols_pdb, omap_frame_rule_maps_prolog_and_body_apart)
{
	dw_pdb_omap_map *m;
	cr_assert_eq(
	    dw_pdb_omap_map_new(&m, omap_to, sizeof(omap_to) / sizeof(omap_to[0]), NULL, 0, 0x1030),
	    DW_OK);
	got_pieces g = {0};

	// Prolog 4 (in A) and body (A's rest .. B) land as one range each, back
	// to back: the record stays whole, prolog 4.
	dw_pdb_omap_map_frame(m, 0x1000, 0x20, 4, got_piece, &g);
	expect_pieces(&g, 1, (const uint32_t[][3]){{0x1010, 0x20, 4}}, "frame, prolog 4");

	// Prolog 0xc runs from A into B: prolog pieces 0x1010+c (A and the
	// padding) and 0x1028+4 (B's first half), each all prolog; the body,
	// B's second half and C, gives C at 0x1020 and 0x102c+4 (the injected
	// bytes reach only to 0x1020+8). Prolog pieces first.
	memset(&g, 0, sizeof(g));
	dw_pdb_omap_map_frame(m, 0x1000, 0x20, 0xc, got_piece, &g);
	expect_pieces(&g, 4,
	              (const uint32_t[][3]){
	                  {0x1010, 0xc, 0xc}, {0x1028, 4, 4}, {0x1020, 8, 0}, {0x102c, 4, 0}},
	              "frame, prolog c");

	// Without reordering the record is unchanged.
	memset(&g, 0, sizeof(g));
	dw_pdb_omap_map_frame(NULL, 0x1000, 0x20, 0xc, got_piece, &g);
	expect_pieces(&g, 1, (const uint32_t[][3]){{0x1000, 0x20, 0xc}}, "frame, no OMAP");
	dw_pdb_omap_map_free(m);
}

Test(symbols_pdb, omap_map_from_source_only_splits_plainly)
{
	// No OMAP-to-source: intervals come from OMAP-from-source. F's blocks A
	// and B swapped, C dropped (maps to 0).
	static const dw_pdb_omap from[] = {{0x1000, 0x1008}, {0x1008, 0x1000}, {0x1010, 0}};
	dw_pdb_omap_map         *m;
	cr_assert_eq(dw_pdb_omap_map_new(&m, NULL, 0, from, 3, 0x1018), DW_OK);
	got_pieces g = {0};
	dw_pdb_omap_map_range(m, 0x1000, 0x18, true, got_piece, &g);
	expect_pieces(&g, 1, (const uint32_t[][3]){{0x1000, 0x10, 0}}, "swapped blocks");
	dw_pdb_omap_map_free(m);
}
