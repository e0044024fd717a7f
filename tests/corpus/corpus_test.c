// Reads every dump of our own crash corpus (tests/corpus/<arch>/<case>/)
// with the minidump reader and checks the ground truth that needs no
// unwinding against the expected.json each program wrote about itself:
// CPU, thread count and ids, the exception record, and that the module
// list holds the case's EXE/DLL with the timestamp and size of the PE
// files committed beside the dump. Full-memory dumps are stored xz'd and
// are unpacked into a temporary file first.
//
// expected.json is our own flat, generated format; the few members read
// here are found by key, not by a general JSON parser.
#include <criterion/criterion.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "walker/dump.h"

// Cases the corpus must hold; losing one should fail loudly, not shrink
// the test silently. message_box is x64 only (no display for 32-bit Wine).
static const char *const k_cases[] = {
    "null_read",      "null_write",   "null_call",        "wild_write",       "div_zero",
    "stack_overflow", "fast_fail",    "manual_dump",      "handle_leak",      "deadlock",
    "blocked_waits",  "many_threads", "hidden_exception", "heap_double_free", "heap_corrupt",
    "cpp_throw",      "deep_fp",      "deep_opt",         "message_box",
};

static const char *
corpus_root(void)
{
	const char *r = getenv("DW_OWN_CORPUS");
	return r && *r ? r : NULL;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char  *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap      = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

// Returns the first character of the value of "key" at or after `from`,
// or NULL.
static const char *
jfind(const char *from, const char *key)
{
	char pat[80];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(from, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	return p;
}

static bool
jnum(const char *from, const char *key, uint64_t *out)
{
	const char *p = jfind(from, key);
	if (!p)
		return false;
	if (*p == '"')
		p++;
	char *end;
	errno = 0;
	*out  = strtoull(p, &end, 0);
	return end != p && errno == 0;
}

static bool
jstr(const char *from, const char *key, char *out, size_t cap)
{
	const char *p = jfind(from, key);
	if (!p || *p != '"')
		return false;
	p++;
	size_t n = 0;
	while (p[n] && p[n] != '"')
		n++;
	if (n >= cap)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

// Reads TimeDateStamp and SizeOfImage from the committed PE file: the
// identity a symbol server files the binary under (code id).
static bool
pe_identity(const char *path, uint32_t *timestamp, uint32_t *size_of_image)
{
	size_t   len;
	uint8_t *b = (uint8_t *)slurp(path, &len);
	if (!b)
		return false;
	bool ok = false;
	if (len >= 0x40 && b[0] == 'M' && b[1] == 'Z') {
		uint32_t nt = le32(b + 0x3c);
		// PE signature, then IMAGE_FILE_HEADER (20 bytes), then the optional
		// header whose SizeOfImage sits at offset 56 in both PE32 and PE32+.
		if (nt <= len && len - nt >= 4 + 20 + 60 && memcmp(b + nt, "PE\0\0", 4) == 0) {
			*timestamp     = le32(b + nt + 8);
			*size_of_image = le32(b + nt + 24 + 56);
			ok             = true;
		}
	}
	free(b);
	return ok;
}

static const char *
basename_of(const char *path)
{
	const char *s = path;
	for (const char *p = path; *p; p++)
		if (*p == '\\' || *p == '/')
			s = p + 1;
	return s;
}

static const dw_md_module *
module_named(const dw_dump *d, const char *name)
{
	size_t              n;
	const dw_md_module *m = dw_dump_modules(d, &n);
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(basename_of(m[i].name), name) == 0)
			return &m[i];
	return NULL;
}

// Checks one dump against its expected.json; `label` names it in failures.
static void
check_dump(const char *dir, const char *dump_path, const char *json_path, const char *label)
{
	char *doc = slurp(json_path, NULL);
	cr_assert_not_null(doc, "%s: cannot read %s", label, json_path);

	dw_dump *d  = NULL;
	dw_err   rv = dw_dump_open_file(&d, dump_path, NULL);
	cr_assert_eq(rv, DW_OK, "%s: open failed: %s", label, dw_strerror(rv));

	char arch[16] = "";
	cr_expect(jstr(doc, "arch", arch, sizeof arch), "%s: no arch", label);
	dw_cpu want_cpu = strcmp(arch, "x86") == 0 ? DW_CPU_X86 : DW_CPU_AMD64;
	cr_expect_eq(dw_dump_cpu(d), want_cpu, "%s: cpu %d, expected %s", label, dw_dump_cpu(d),
	             arch);

	// Threads: the OS's own list at dump time, from inside the process.
	uint64_t want_threads = 0;
	cr_expect(jnum(doc, "thread_count", &want_threads), "%s: no thread_count", label);
	size_t nthreads = 0;
	dw_dump_threads(d, &nthreads);
	cr_expect_eq(nthreads, want_threads, "%s: %zu threads, expected %" PRIu64, label, nthreads,
	             want_threads);
	const char *ids = jfind(doc, "thread_ids");
	if (ids && *ids == '[') {
		const char *p = ids + 1;
		while (*p && *p != ']') {
			char         *end;
			unsigned long tid = strtoul(p, &end, 10);
			if (end == p)
				break;
			cr_expect_not_null(dw_dump_thread_find(d, (uint32_t)tid),
			                   "%s: thread %lu missing", label, tid);
			p = end;
			while (*p == ',' || *p == ' ')
				p++;
		}
	}

	// The exception record as the program's own filter saw it.
	const dw_md_exception *ex  = dw_dump_exception(d);
	const char            *exj = jfind(doc, "exception");
	cr_assert_not_null(exj, "%s: no exception member", label);
	if (strncmp(exj, "null", 4) == 0) {
		cr_expect_null(ex, "%s: manual dump has an exception stream", label);
	} else {
		uint64_t code = 0, tid = 0, addr = 0;
		cr_expect(jnum(exj, "code", &code) && jnum(exj, "thread_id", &tid) &&
		              jnum(exj, "address", &addr),
		          "%s: exception member incomplete", label);
		cr_assert_not_null(ex, "%s: no exception stream", label);
		cr_expect_eq(ex->code, (uint32_t)code, "%s: code 0x%08x, expected 0x%08" PRIx64,
		             label, ex->code, code);
		cr_expect_eq(ex->thread_id, (uint32_t)tid,
		             "%s: exception thread %u, expected %" PRIu64, label, ex->thread_id,
		             tid);
		cr_expect_eq(ex->address, addr,
		             "%s: exception address 0x%" PRIx64 ", expected 0x%" PRIx64, label,
		             ex->address, addr);
		const char *params = jfind(exj, "parameters");
		uint32_t    np     = 0;
		if (params && *params == '[') {
			const char *p = params + 1;
			while (*p == '"' && np < 15) {
				uint64_t v = strtoull(p + 1, NULL, 16);
				cr_expect_eq(ex->parameters[np], v, "%s: parameter %u", label, np);
				np++;
				p = strchr(p + 1, '"');
				if (!p)
					break;
				p++;
				while (*p == ',' || *p == ' ')
					p++;
			}
		}
		cr_expect_eq(ex->number_parameters, np, "%s: %u parameters, expected %u", label,
		             ex->number_parameters, np);
		cr_expect_not_null(ex->context, "%s: exception without a context", label);
	}

	// Our modules: present, at the base the process saw, with the PE
	// identity of the file committed next to the dump.
	const char *mods = jfind(doc, "modules");
	cr_assert_not_null(mods, "%s: no modules member", label);
	const char *end  = strstr(mods, "\"threads\":");
	int         seen = 0;
	for (const char *p = strstr(mods, "{\"name\":"); p && (!end || p < end);
	     p             = strstr(p + 1, "{\"name\":")) {
		char     name[128];
		uint64_t base = 0, size = 0, ts = 0;
		cr_expect(jstr(p, "name", name, sizeof name) && jnum(p, "base", &base) &&
		              jnum(p, "size", &size) && jnum(p, "timestamp", &ts),
		          "%s: module entry incomplete", label);
		seen++;
		const dw_md_module *m = module_named(d, name);
		cr_expect_not_null(m, "%s: module %s not in the dump", label, name);
		if (!m)
			continue;
		cr_expect_eq(m->base, base, "%s: %s base", label, name);
		cr_expect_eq(m->size, (uint32_t)size, "%s: %s size", label, name);
		cr_expect_eq(m->time_date_stamp, (uint32_t)ts, "%s: %s timestamp", label, name);
		char pe_path[4096];
		snprintf(pe_path, sizeof pe_path, "%s/%s", dir, name);
		uint32_t pe_ts = 0, pe_size = 0;
		cr_expect(pe_identity(pe_path, &pe_ts, &pe_size), "%s: cannot read PE %s", label,
		          pe_path);
		cr_expect_eq(pe_ts, m->time_date_stamp, "%s: %s timestamp differs from the PE",
		             label, name);
		cr_expect_eq(pe_size, m->size, "%s: %s SizeOfImage differs from the PE", label,
		             name);
		// Wine writes no CodeView records; if a future dump has one it
		// must name the PDB we built.
		char want_id[64];
		if (m->cv && jstr(p, "debug_id", want_id, sizeof want_id))
			cr_expect_str_eq(m->debug_id, want_id, "%s: %s debug id", label, name);
	}
	cr_expect_geq(seen, 1, "%s: expected.json lists no module", label);

	dw_dump_free(d);
	free(doc);
}

static bool
exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

// Unpacks an .xz next to nothing: into a fresh temporary file.
static bool
unxz(const char *xz, char *out, size_t cap)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(out, cap, "%s/dw-corpus-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(out);
	if (fd < 0)
		return false;
	close(fd);
	char cmd[8448];
	int  n = snprintf(cmd, sizeof cmd, "xz -dc '%s' > '%s'", xz, out);
	if (n < 0 || (size_t)n >= sizeof cmd || system(cmd) != 0) {
		unlink(out);
		return false;
	}
	return true;
}

static void
check_case(const char *arch, const char *name)
{
	const char *root = corpus_root();
	char        dir[4096], dump[4200], json[4200], label[256];
	snprintf(dir, sizeof dir, "%s/%s/%s", root, arch, name);
	snprintf(dump, sizeof dump, "%s/%s.dmp", dir, name);
	snprintf(json, sizeof json, "%s/expected.json", dir);
	snprintf(label, sizeof label, "%s/%s", arch, name);
	cr_assert(exists(dump), "%s: missing %s", label, dump);
	check_dump(dir, dump, json, label);

	char xz[4200];
	snprintf(xz, sizeof xz, "%s/%s.full.dmp.xz", dir, name);
	if (!exists(xz))
		return;
	if (system("xz --version >/dev/null 2>&1") != 0) {
		cr_log_warn("%s: xz not installed, full dump not checked", label);
		return;
	}
	char tmp[4096];
	cr_assert(unxz(xz, tmp, sizeof tmp), "%s: cannot unpack %s", label, xz);
	snprintf(json, sizeof json, "%s/expected.full.json", dir);
	snprintf(label, sizeof label, "%s/%s (full)", arch, name);
	check_dump(dir, tmp, json, label);
	unlink(tmp);
}

static void
check_arch(const char *arch)
{
	if (!corpus_root())
		cr_skip_test("DW_OWN_CORPUS is not set");
	for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
		if (strcmp(arch, "x86") == 0 && strcmp(k_cases[i], "message_box") == 0)
			continue;
		check_case(arch, k_cases[i]);
	}
}

Test(corpus, x64_dumps_match_ground_truth, .timeout = 100)
{
	check_arch("x64");
}

Test(corpus, x86_dumps_match_ground_truth, .timeout = 100)
{
	check_arch("x86");
}

// Every case folder on disk is one the test knows, so a new case cannot
// be added without being checked.
Test(corpus, every_case_folder_is_checked)
{
	const char *root = corpus_root();
	if (!root)
		cr_skip_test("DW_OWN_CORPUS is not set");
	const char *arches[] = {"x64", "x86"};
	for (size_t a = 0; a < 2; a++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", root, arches[a]);
		DIR *dir = opendir(path);
		cr_assert_not_null(dir, "cannot open %s", path);
		struct dirent *e;
		while ((e = readdir(dir)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			bool known = false;
			for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++)
				known = known || strcmp(e->d_name, k_cases[i]) == 0;
			cr_expect(known, "%s/%s is not in k_cases", arches[a], e->d_name);
		}
		closedir(dir);
	}
}
