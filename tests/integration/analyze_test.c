// tests/integration/analyze_test.c - `dumpwalk analyze` end to end against
// other tools' outputs: Breakpad's -m lines for minidump2.dmp, rust-minidump's
// JSON snapshot, the frames Breakpad and the lldb sources give for
// symbolicator/windows.dmp and lldb/sigsegv.dmp, our corpus's expected.json,
// and the daemon printing the same bytes as --local.
#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char corpus[1024];

static void
setup(void)
{
	const char *c = getenv("DW_CORPUS");
	snprintf(corpus, sizeof(corpus), "%s", c != NULL ? c : "");
}

static bool
have(const char *rel)
{
	char p[2048];
	snprintf(p, sizeof(p), "%s/%s", corpus, rel);
	return access(p, R_OK) == 0;
}

// run executes a shell command and returns its stdout (malloc'd).
static char *
run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p, "%s", cmd);
	size_t cap = 1 << 16, n = 0;
	char  *buf = malloc(cap);
	size_t k;
	while ((k = fread(buf + n, 1, cap - n - 1, p)) > 0) {
		n += k;
		if (n + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	buf[n] = 0;
	pclose(p);
	return buf;
}

static char *
slurp(const char *path)
{
	char cmd[2300];
	snprintf(cmd, sizeof(cmd), "cat '%s'", path);
	return run(cmd);
}

static char *
analyze(const char *args, const char *dump)
{
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "'%s' analyze --local %s '%s' 2>/dev/null", getenv("DUMPWALK"),
	         args, dump);
	return run(cmd);
}

// The lines of `text` that start with one of the prefixes, in order.
static char *
lines_with(const char *text, const char *const *prefixes, size_t n)
{
	size_t len = strlen(text);
	char  *out = calloc(1, len + 1), *o = out;
	for (const char *l = text; *l != 0;) {
		const char *e = strchr(l, '\n');
		size_t      ll = e != NULL ? (size_t)(e - l) + 1 : strlen(l);
		for (size_t i = 0; i < n; i++)
			if (strncmp(l, prefixes[i], strlen(prefixes[i])) == 0) {
				memcpy(o, l, ll);
				o += ll;
				break;
			}
		l += ll;
	}
	return out;
}

static bool
is_frame_line(const char *l)
{
	// thread|frame|...: starts with digits then '|'
	const char *p = l;
	while (*p >= '0' && *p <= '9')
		p++;
	return p != l && *p == '|';
}

static char *
frame_lines(const char *text)
{
	char *out = calloc(1, strlen(text) + 1), *o = out;
	for (const char *l = text; *l != 0;) {
		const char *e  = strchr(l, '\n');
		size_t      ll = e != NULL ? (size_t)(e - l) + 1 : strlen(l);
		if (is_frame_line(l)) {
			memcpy(o, l, ll);
			o += ll;
		}
		l += ll;
	}
	return out;
}

TestSuite(analyze, .init = setup, .timeout = 120);

Test(analyze, minidump2_breakpad_lines_match_breakpad)
{
	if (!have("dumps/breakpad/minidump2.dmp")) {
		cr_skip_test("no shared corpus");
	}
	char dump[2048], syms[2048], args[2200], exp[2048];
	snprintf(dump, sizeof(dump), "%s/dumps/breakpad/minidump2.dmp", corpus);
	snprintf(syms, sizeof(syms), "%s/symbols", corpus);
	snprintf(args, sizeof(args), "--format breakpad --symbols '%s'", syms);
	snprintf(exp, sizeof(exp), "%s/expected/breakpad/minidump2.stackwalk.machine_readable.out",
	         corpus);
	char *ours = analyze(args, dump), *want = slurp(exp);
	char *fo = frame_lines(ours), *fw = frame_lines(want);
	cr_assert(fw[0] != 0);
	cr_expect_str_eq(fo, fw);
	static const char *const pre[] = {"OS|", "CPU|", "GPU|", "Crash|", "Module|"};
	char *ho = lines_with(ours, pre, 5), *hw = lines_with(want, pre, 5);
	cr_expect_str_eq(ho, hw);
	cr_expect_str_eq(ours, want, "the whole output is Breakpad's");
	free(fo), free(fw), free(ho), free(hw), free(ours), free(want);
}

Test(analyze, minidump2_json_matches_minidump_stackwalk)
{
	if (!have("dumps/breakpad/minidump2.dmp")) {
		cr_skip_test("no shared corpus");
	}
	// rust-minidump's snapshot was taken with symbols for test_app only
	// (kernel32 is "missing_symbols"): give us the same set.
	char tmp[] = "/tmp/dwat-XXXXXX", cmd[8192];
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(cmd, sizeof(cmd),
	         "ln -s '%s/symbols/test_app.pdb' '%s/test_app.pdb' && '%s' analyze --local --format "
	         "json --symbols '%s' '%s/dumps/breakpad/minidump2.dmp' > '%s/out.json' && python3 "
	         "'%s/tests/integration/analyze_json_check.py' snap '%s/out.json' "
	         "'%s/expected/rust-minidump/test_minidump_stackwalk__json-pretty-symbols.snap'; echo "
	         "rc=$?; rm -rf '%s'",
	         corpus, tmp, getenv("DUMPWALK"), tmp, corpus, tmp, getenv("DW_SOURCE_ROOT"), tmp,
	         corpus, tmp);
	char *out = run(cmd);
	cr_expect(strstr(out, "rc=0") != NULL, "differs from minidump-stackwalk:\n%s", out);
	free(out);
}

// windows.dmp frames 0 and 1 from one kind of symbol file only.
static void
windows_frames(const char *file)
{
	char tmp[] = "/tmp/dwat-XXXXXX", cmd[8192];
	cr_assert_not_null(mkdtemp(tmp));
	const char *id = "3249D99D0C4049318610F4E4FB0B69361";
	snprintf(cmd, sizeof(cmd),
	         "mkdir -p '%s/crash.pdb/%s' && ln -s '%s/symbols/crash.pdb/%s/%s' '%s/crash.pdb/%s/' "
	         "&& '%s' analyze --local --format breakpad --symbols '%s' "
	         "'%s/dumps/symbolicator/windows.dmp' | grep '^0|[01]|'; rm -rf '%s'",
	         tmp, id, corpus, id, file, tmp, id, getenv("DUMPWALK"), tmp, corpus, tmp);
	char *out = run(cmd);
	cr_expect_str_eq(out,
	                 "0|0|crash.exe|main|c:\\projects\\breakpad-tools\\windows\\crash\\main.cpp|35|0x0\n"
	                 "0|1|crash.exe|__scrt_common_main_seh|f:\\dd\\vctools\\crt\\vcstartup\\src\\startup\\exe_common.inl|283|0x1c\n",
	                 "from %s", file);
	free(out);
}

Test(analyze, windows_dmp_frames_from_crash_pdb)
{
	if (!have("dumps/symbolicator/windows.dmp")) {
		cr_skip_test("no shared corpus");
	}
	windows_frames("crash.pdb");
}

Test(analyze, windows_dmp_frames_from_crash_sym)
{
	if (!have("dumps/symbolicator/windows.dmp")) {
		cr_skip_test("no shared corpus");
	}
	windows_frames("crash.sym");
}

Test(analyze, sigsegv_crash_foo_main_mainCRTStartup)
{
	if (!have("dumps/lldb/sigsegv.dmp")) {
		cr_skip_test("no shared corpus");
	}
	char dump[2048], args[2200];
	snprintf(dump, sizeof(dump), "%s/dumps/lldb/sigsegv.dmp", corpus);
	snprintf(args, sizeof(args), "--format breakpad --symbols '%s/symbols'", corpus);
	char *out = analyze(args, dump);
	char *f   = frame_lines(out);
	// Functions per the program source (corpus README); Breakpad gets frame 1 wrong.
	cr_expect(strstr(f, "0|0|sigsegv.exe|crash|") == f, "%s", f);
	cr_expect(strstr(f, "\n0|1|sigsegv.exe|foo|") != NULL, "%s", f);
	cr_expect(strstr(f, "\n0|2|sigsegv.exe|main|") != NULL, "%s", f);
	cr_expect(strstr(f, "\n0|3|sigsegv.exe|mainCRTStartup|") != NULL, "%s", f);
	free(f), free(out);
}

// The six PCs lldb's minidump tests assert for fizzbuzz_no_heap.dmp (corpus
// README), top of the crashing thread first; no symbols needed.
Test(analyze, fizzbuzz_six_pcs_as_lldb_asserts)
{
	if (!have("dumps/lldb/fizzbuzz_no_heap.dmp")) {
		cr_skip_test("no shared corpus");
	}
	char dump[2048];
	snprintf(dump, sizeof(dump), "%s/dumps/lldb/fizzbuzz_no_heap.dmp", corpus);
	char *out = analyze("", dump);
	// The crashing thread's block in the text report starts with '.'; its
	// frame lines follow the column header: "  00 00164d14 context ...".
	static const uint64_t pc[] = {0x00164d14, 0x00167c79, 0x00167e6d,
	                              0x7510336a, 0x77759882, 0x77759855};
	const char           *l   = strstr(out, "\n.");
	cr_assert_not_null(l, "%s", out);
	l = strchr(l + 1, '\n');
	cr_assert_not_null(l);
	l = strchr(l + 1, '\n');
	for (size_t i = 0; i < 6; i++) {
		cr_assert_not_null(l, "%s", out);
		unsigned           n;
		unsigned long long ip;
		cr_assert_eq(sscanf(l + 1, "%x %llx", &n, &ip), 2, "%s", l + 1);
		cr_expect_eq(n, i);
		cr_expect_eq(ip, pc[i], "frame %zu: %#llx, lldb asserts %#llx", i, ip,
		             (unsigned long long)pc[i]);
		l = strchr(l + 1, '\n');
	}
	free(out);
}

// notepad-small-64bit.dmp is a 64-bit dump of a 32-bit (WOW64) notepad whose
// WOW64 CPU area is not in the dump: reported as WOW64, each 32-bit stack
// marked unavailable and no 32-bit frame invented.
Test(analyze, notepad_wow64_32bit_stack_unavailable)
{
	if (!have("dumps/syzygy/notepad-small-64bit.dmp")) {
		cr_skip_test("no shared corpus");
	}
	char dump[2048];
	snprintf(dump, sizeof(dump), "%s/dumps/syzygy/notepad-small-64bit.dmp", corpus);
	char *text = analyze("", dump);
	cr_expect(strstr(text, "\nWOW64: a 32-bit process in a 64-bit dump") != NULL, "%s", text);
	cr_expect(strstr(text, "32-bit stack unavailable") != NULL, "%s", text);
	free(text);
	char *out = analyze("--format json", dump);
	char  cmd[4096], path[] = "/tmp/dwat-wow-XXXXXX";
	int   fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, out, strlen(out)), (ssize_t)strlen(out));
	close(fd);
	snprintf(cmd, sizeof(cmd),
	         "python3 -c 'import json,sys; w=json.load(open(sys.argv[1]))[\"dumpwalk\"][\"wow64\"]; "
	         "s=w[\"stacks32\"]; print(w[\"is_wow64\"], len(s) > 0 and all(x[\"stack\"][\"end\"] == "
	         "\"32-bit context not in the dump\" and not x[\"frames\"] for x in s))' '%s'",
	         path);
	char *got = run(cmd);
	unlink(path);
	cr_expect(strcmp(got, "True True\n") == 0, "%s", got);
	free(got), free(out);
}

// Stack residue must not name a crash bucket by itself. Breakpad's
// tiny-exe-with-cet-xsave.dmp is a dump without an exception ("No crash" in
// expected/breakpad): a stack address's upper half (0xC82FF5A0) looked like
// an error code and made a "Hidden Exception". UE4Minidump.dmp stores
// exception 0x1 (Breakpad: "Crash reason: 0x00000001"); a STATUS_NO_MEMORY
// record without a context on its stack stays a possible finding and the
// signature is the stored exception's.
Test(analyze, residue_alone_does_not_name_the_bucket, .timeout = 60)
{
	if (!have("dumps/breakpad/tiny-exe-with-cet-xsave.dmp") ||
	    !have("dumps/symbolic-unreal/UE4Minidump.dmp"))
		cr_skip_test("no shared corpus");
	char dump[2048];
	snprintf(dump, sizeof(dump), "%s/dumps/breakpad/tiny-exe-with-cet-xsave.dmp", corpus);
	char *text = analyze("", dump);
	cr_expect(strstr(text, "Hidden Exception") == NULL, "%s", text);
	cr_expect(strstr(text, "\nSignature: Manual Dump (Process) | ") != NULL, "%s", text);
	free(text);
	snprintf(dump, sizeof(dump), "%s/dumps/symbolic-unreal/UE4Minidump.dmp", corpus);
	text = analyze("", dump);
	cr_expect(strstr(text, "[possible] Hidden Exception (User Space): thread 8148") != NULL, "%s",
	          text);
	cr_expect(strstr(text, "\nSignature: Stored Exception | ") != NULL, "%s", text);
	free(text);
	// syzygy/use-after-free.dmp: SyzyASan's stored EXCEPTION_ARRAY_BOUNDS_EXCEEDED
	// is the crash; the SetThreadName records (0x406D1388) on its stacks, one
	// with its context, are reported but do not name the bucket.
	if (!have("dumps/syzygy/use-after-free.dmp"))
		return;
	snprintf(dump, sizeof(dump), "%s/dumps/syzygy/use-after-free.dmp", corpus);
	text = analyze("", dump);
	cr_expect(strstr(text, "[certain] Hidden Exception (User Space): thread 14088") != NULL, "%s",
	          text);
	cr_expect(strstr(text, "MS_VC_EXCEPTION (SetThreadName)") != NULL, "%s", text);
	cr_expect(strstr(text, "\nSignature: Stored Exception | ") != NULL, "%s", text);
	free(text);
}

// Our corpus: each case analysed with --symbols at its own directory gives
// expected.json's frames, as the ordered subsequence tests/corpus/README.md
// defines. Every case is required (issue 5: 100% for cases with unwind info).
Test(analyze, own_corpus_frames_match_expected_json, .timeout = 300)
{
	const char *root = getenv("DW_SOURCE_ROOT");
	char        cmd[4096];
	snprintf(cmd, sizeof(cmd), "cd '%s/tests/corpus' && ls -d x64/* x86/* 2>/dev/null", root);
	char  *list = run(cmd);
	size_t ok = 0, total = 0;
	for (char *save = NULL, *c = strtok_r(list, "\n", &save); c != NULL;
	     c = strtok_r(NULL, "\n", &save)) {
		const char *name = strrchr(c, '/') + 1;
		snprintf(cmd, sizeof(cmd),
		         "d='%s/tests/corpus/%s'; '%s' analyze --local --format json --symbols \"$d\" "
		         "\"$d/%s.dmp\" 2>/dev/null > /tmp/dwat-corpus-$$.json && python3 "
		         "'%s/tests/integration/analyze_json_check.py' corpus /tmp/dwat-corpus-$$.json "
		         "\"$d/expected.json\"; echo rc=$?; rm -f /tmp/dwat-corpus-$$.json",
		         root, c, getenv("DUMPWALK"), name, root);
		char *out  = run(cmd);
		bool  pass = strstr(out, "rc=0") != NULL;
		total++;
		ok += pass;
		cr_expect(pass, "%s: %s", c, out);
		free(out);
	}
	cr_log_info("own corpus: %zu of %zu cases give expected.json's frames", ok, total);
	cr_expect(total > 0);
	free(list);
}

// The daemon (symbol_path at the corpus symbols) prints the same bytes as
// --local with the same --symbol-path, for these dumps, in all three formats.
Test(analyze, daemon_output_identical_to_local, .timeout = 120)
{
	if (!have("dumps/breakpad/minidump2.dmp")) {
		cr_skip_test("no shared corpus");
	}
	char dir[] = "/tmp/dwat-XXXXXX", url[1200], cfg[1200], cmd[8192];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(url, sizeof(url), "ipc://%s/d.sock", dir);
	snprintf(cfg, sizeof(cfg), "%s/d.ini", dir);
	FILE *f = fopen(cfg, "w");
	cr_assert_not_null(f);
	fprintf(f, "[server]\nlisten = %s\nhttp = \nworkers = 2\n[symbols]\nsymbol_path = %s/symbols\n"
	           "cache_dir = %s/cache\n",
	        url, corpus, dir);
	fclose(f);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		freopen("/dev/null", "w", stderr);
		execl(getenv("DUMPWALKD"), "dumpwalkd", "--config", cfg, (char *)NULL);
		_exit(127);
	}
	const char *dumps[] = {"breakpad/minidump2.dmp", "symbolicator/windows.dmp",
	                       "lldb/sigsegv.dmp"};
	const char *fmts[]  = {"text", "json", "breakpad"};
	for (size_t d = 0; d < 3; d++) {
		for (size_t k = 0; k < 3; k++) {
			snprintf(cmd, sizeof(cmd),
			         "'%s' analyze --local --format %s --symbol-path '%s/symbols' --cache-dir "
			         "'%s/cache' '%s/dumps/%s' 2>/dev/null",
			         getenv("DUMPWALK"), fmts[k], corpus, dir, corpus, dumps[d]);
			char *local = run(cmd);
			char *remote = NULL;
			for (int tries = 0; tries < 50; tries++) {
				snprintf(cmd, sizeof(cmd),
				         "'%s' analyze --server '%s' --format %s '%s/dumps/%s' 2>/dev/null",
				         getenv("DUMPWALK"), url, fmts[k], corpus, dumps[d]);
				free(remote);
				remote = run(cmd);
				if (remote[0] != 0 && strstr(remote, "UNAVAILABLE") == NULL)
					break;
				usleep(100000);
			}
			cr_expect_str_eq(remote, local, "%s as %s", dumps[d], fmts[k]);
			free(local), free(remote);
		}
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	free(run(cmd));
}

// A module without symbols says what was tried, in the text (its lm entry)
// and the JSON (symbols_origin): windows.dmp's ntdll, with a --symbols
// directory that holds nothing, and through a symbol path whose store has
// no copy either. A second analysis in one process (the remembered miss)
// says the same.
Test(analyze, missing_module_symbols_say_what_was_tried)
{
	if (!have("dumps/symbolicator/windows.dmp")) {
		cr_skip_test("no shared corpus");
	}
	char dir[] = "/tmp/dwmiss-XXXXXX", dump[1200], args[1400];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(dump, sizeof(dump), "%s/dumps/symbolicator/windows.dmp", corpus);
	snprintf(args, sizeof(args), "--symbols '%s'", dir);
	char *text = analyze(args, dump);
	cr_expect(strstr(text, "      symbols: no wntdll.pdb 971F98E5CE6041FFB2D7235BBEB345781 or "
	                       "ntdll.dll 59B0D8F3183000 in 1 directories\n") != NULL,
	          "%s", text);
	free(text);
	snprintf(args, sizeof(args), "--format json --symbols '%s'", dir);
	char *json = analyze(args, dump);
	cr_expect(strstr(json, "\"symbols_origin\": \"no wntdll.pdb 971F98E5CE6041FFB2D7235BBEB345781 "
	                       "or ntdll.dll 59B0D8F3183000 in 1 directories\"") != NULL,
	          "%s", json);
	free(json);
	// The same dump twice in one run (-j 1, in order): the second answer
	// comes from the remembered miss and must print the same lines.
	char cmd[8192];
	snprintf(cmd, sizeof(cmd),
	         "'%s' analyze --local --quiet --symbol-path 'cache*%s/cache;%s/empty' '%s' '%s' "
	         "2>/dev/null | grep -c 'symbols: symbol path: pdb missing, pe missing, sym missing: no source has '",
	         getenv("DUMPWALK"), dir, dir, dump, dump);
	char *count = run(cmd);
	int   n     = atoi(count);
	cr_expect(n > 0 && n % 2 == 0, "missing-module lines: %s", count);
	free(count);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	free(run(cmd));
}

// Signature and residue in every format, for x64/null_read of our corpus:
// expected.json names the pattern ("NULL Pointer (Data)") and the faulting
// thread's frames (read_it <- lookup <- main), which is the signature's text.
Test(analyze, signature_and_residue_rendered)
{
	const char *root = getenv("DW_SOURCE_ROOT");
	char        dir[1200], dump[1400], args[1400];
	snprintf(dir, sizeof(dir), "%s/tests/corpus/x64/null_read", root);
	snprintf(dump, sizeof(dump), "%s/null_read.dmp", dir);
	if (access(dump, R_OK) != 0)
		cr_skip_test("our corpus is not built");
	snprintf(args, sizeof(args), "--symbols '%s'", dir);
	const char *want = "Signature: NULL Pointer (Data) | null_read.exe!read_it | "
	                   "null_read.exe!lookup | null_read.exe!main (hash 0x";
	char *text = analyze(args, dump);
	char *sig  = strstr(text, "\nSignature: ");
	cr_assert_not_null(sig, "%s", text);
	cr_expect(strncmp(sig + 1, want, strlen(want)) == 0, "%.200s", sig + 1);
	char *exc = strstr(text, "\nException record");
	cr_expect(exc != NULL && sig < exc, "the signature comes before the exception");
	// The faulting thread's residue in dps form holds read_it's return into
	// lookup as a live frame; the collapsed view hides the other words.
	cr_expect(strstr(text, "null_read!lookup+0x") != NULL, "%s", text);
	cr_expect(strstr(text, "[return, live frame") != NULL, "%s", text);
	cr_expect(strstr(text, "--residue shows them") != NULL, "%s", text);
	snprintf(args, sizeof(args), "--residue --symbols '%s'", dir);
	char *full = analyze(args, dump);
	cr_expect_gt(strlen(full), strlen(text));
	cr_expect(strstr(full, "[stack of thread 36]") != NULL);
	free(full);
	free(text);

	snprintf(args, sizeof(args), "--format json --symbols '%s'", dir);
	char *js = analyze(args, dump);
	char  path[] = "/tmp/dwat-sig-XXXXXX", cmd[4096];
	int   fd     = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, js, strlen(js)), (ssize_t)strlen(js));
	close(fd);
	snprintf(cmd, sizeof(cmd),
	         "python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))[\"dumpwalk\"]; "
	         "s=d[\"signature\"]; t=[x for x in d[\"residue\"][\"threads\"] if x[\"thread_id\"]==36][0]; "
	         "print(s[\"pattern\"], \"|\", \" \".join(s[\"frames\"]), \"|\", "
	         "any(w[\"class\"]==\"return\" and w.get(\"live\") and w.get(\"function\")==\"lookup\" "
	         "for w in t[\"words\"]))' '%s'",
	         path);
	char *got = run(cmd);
	unlink(path);
	cr_expect_str_eq(got, "NULL Pointer (Data) | null_read.exe!read_it null_read.exe!lookup "
	                      "null_read.exe!main | True\n");
	free(got);
	free(js);
	// Breakpad's format has neither.
	snprintf(args, sizeof(args), "--format breakpad --symbols '%s'", dir);
	char *bp = analyze(args, dump);
	cr_expect(strstr(bp, "Signature") == NULL && strstr(bp, "Residue") == NULL);
	free(bp);
}
