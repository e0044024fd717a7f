// crashkit: see crashkit.h. Everything here runs inside the crashing
// program, often inside its unhandled-exception filter, so it allocates
// nothing and keeps to static buffers.
#include "crashkit.h"

#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <dbghelp.h>
#include <tlhelp32.h>

#define CK_MAX_THREADS 64
#define CK_MAX_LIST 32
#define CK_MAX_MODULES 4

struct ck_thread_info {
	DWORD       tid;
	const char *role;
	const char *frames[CK_MAX_FRAMES];
	int         nframes;
	const char *via[4];
	int         nvia;
};

static const char           *g_case = "unknown";
static int                   g_full;
static HMODULE               g_modules[CK_MAX_MODULES];
static int                   g_nmodules;
static struct ck_thread_info g_threads[CK_MAX_THREADS];
static int                   g_nthreads;
static const char *g_patterns[CK_MAX_LIST], *g_not_patterns[CK_MAX_LIST], *g_notes[CK_MAX_LIST];
static int         g_npatterns, g_nnot_patterns, g_nnotes;
static const char *g_needs[CK_MAX_LIST][2];
static int         g_nneeds;
static const char *g_fact_keys[CK_MAX_LIST];
static char        g_fact_vals[CK_MAX_LIST][512];
static int         g_nfacts;

// The document is built in one static buffer: the filter may run with
// a corrupt heap (heap_corrupt) and must not allocate.
static char   g_json[64 * 1024];
static size_t g_len;

static CRITICAL_SECTION g_lock;
static HANDLE           g_go, g_reporter;
static EXCEPTION_POINTERS *volatile g_handed_ep;
static volatile DWORD g_handed_tid;

static void
out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(g_json + g_len, sizeof g_json - g_len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof g_json - g_len)
		g_len += (size_t)n;
}

static void
out_strings(const char *key, const char *const *v, int n)
{
	out(",\n  \"%s\": [", key);
	for (int i = 0; i < n; i++)
		out("%s\"%s\"", i ? ", " : "", v[i]);
	out("]");
}

static struct ck_thread_info *
thread_slot(DWORD tid)
{
	for (int i = 0; i < g_nthreads; i++)
		if (g_threads[i].tid == tid)
			return &g_threads[i];
	if (g_nthreads == CK_MAX_THREADS)
		return &g_threads[CK_MAX_THREADS - 1];
	g_threads[g_nthreads].tid = tid;
	return &g_threads[g_nthreads++];
}

static LONG WINAPI
ck_filter(EXCEPTION_POINTERS *ep)
{
	ck_report(ep, GetCurrentThreadId());
	TerminateProcess(GetCurrentProcess(), ep->ExceptionRecord->ExceptionCode);
	return EXCEPTION_EXECUTE_HANDLER;
}

// abort() (std::terminate after an uncaught C++ throw, a failed assert)
// never reaches the unhandled-exception filter. Crashpad's answer is a
// SIGABRT handler that captures its own context and reports it as
// STATUS_FATAL_APP_EXIT; this does the same.
static void
ck_on_abort(int sig)
{
	static CONTEXT            cx;
	static EXCEPTION_RECORD   er;
	static EXCEPTION_POINTERS ep;
	RtlCaptureContext(&cx);
	er.ExceptionCode  = 0x40000015; // STATUS_FATAL_APP_EXIT
	er.ExceptionFlags = EXCEPTION_NONCONTINUABLE;
#ifdef _WIN64
	er.ExceptionAddress = (void *)cx.Rip;
#else
	er.ExceptionAddress   = (void *)cx.Eip;
#endif
	ep.ExceptionRecord = &er;
	ep.ContextRecord   = &cx;
	ck_report(&ep, GetCurrentThreadId());
	TerminateProcess(GetCurrentProcess(), 3);
}

void
ck_init(const char *case_name)
{
	g_case           = case_name;
	const char *full = getenv("CK_FULL");
	g_full           = full && full[0] == '1';
	InitializeCriticalSection(&g_lock);
	ck_module(GetModuleHandleA(NULL));
	SetUnhandledExceptionFilter(ck_filter);
	signal(SIGABRT, ck_on_abort);
	// Wine and Windows both pop a dialog for some failures; the corpus
	// must run unattended.
	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
}

void
ck_module(HMODULE mod)
{
	if (g_nmodules < CK_MAX_MODULES)
		g_modules[g_nmodules++] = mod;
}

void
ck_thread(DWORD tid, const char *role, ...)
{
	EnterCriticalSection(&g_lock);
	struct ck_thread_info *t = thread_slot(tid);
	t->role                  = role;
	// A second declaration for the same thread replaces the first: a
	// program says what the thread is doing *now* (heap_corrupt and
	// heap_double_free declare the thread inside release(), then again
	// just before ck_manual_dump; appending listed release+main ahead of
	// ck_report, a call path the dump never saw). Its waits go with it.
	t->nframes = 0;
	t->nvia    = 0;
	va_list ap;
	va_start(ap, role);
	const char *f;
	while ((f = va_arg(ap, const char *)) != NULL && t->nframes < CK_MAX_FRAMES)
		t->frames[t->nframes++] = f;
	va_end(ap);
	LeaveCriticalSection(&g_lock);
}

void
ck_thread_via(DWORD tid, const char *via)
{
	EnterCriticalSection(&g_lock);
	struct ck_thread_info *t = thread_slot(tid);
	if (t->nvia < 4)
		t->via[t->nvia++] = via;
	LeaveCriticalSection(&g_lock);
}

void
ck_pattern(const char *name)
{
	if (g_npatterns < CK_MAX_LIST)
		g_patterns[g_npatterns++] = name;
}

void
ck_not_pattern(const char *name)
{
	if (g_nnot_patterns < CK_MAX_LIST)
		g_not_patterns[g_nnot_patterns++] = name;
}

void
ck_pattern_needs(const char *name, const char *missing)
{
	if (g_nneeds < CK_MAX_LIST) {
		g_needs[g_nneeds][0] = name;
		g_needs[g_nneeds][1] = missing;
		g_nneeds++;
	}
}

int
ck_is_full(void)
{
	return g_full;
}

void
ck_note(const char *text)
{
	if (g_nnotes < CK_MAX_LIST)
		g_notes[g_nnotes++] = text;
}

void
ck_fact(const char *key, const char *json_value)
{
	if (g_nfacts == CK_MAX_LIST)
		return;
	g_fact_keys[g_nfacts] = key;
	snprintf(g_fact_vals[g_nfacts], sizeof g_fact_vals[0], "%s", json_value);
	g_nfacts++;
}

void
ck_fact_hex(const char *key, unsigned long long v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "\"0x%llx\"", v);
	ck_fact(key, buf);
}

// Reads our own, trusted, mapped image: the identity a symbol server
// indexes by (timestamp + size for the PE, GUID + age for the PDB).
static void
out_module(HMODULE mod)
{
	const uint8_t          *base = (const uint8_t *)mod;
	const IMAGE_DOS_HEADER *dos  = (const IMAGE_DOS_HEADER *)base;
	const IMAGE_NT_HEADERS *nt   = (const IMAGE_NT_HEADERS *)(base + dos->e_lfanew);
	char                    path[MAX_PATH];
	GetModuleFileNameA(mod, path, sizeof path);
	const char *name = strrchr(path, '\\');
	name             = name ? name + 1 : path;
	out("    {\"name\": \"%s\", \"base\": \"0x%llx\", \"size\": %lu, \"timestamp\": %lu, "
	    "\"checksum\": %lu",
	    name, (unsigned long long)(uintptr_t)base,
	    (unsigned long)nt->OptionalHeader.SizeOfImage,
	    (unsigned long)nt->FileHeader.TimeDateStamp,
	    (unsigned long)nt->OptionalHeader.CheckSum);
	out(", \"code_id\": \"%08lX%lx\"", (unsigned long)nt->FileHeader.TimeDateStamp,
	    (unsigned long)nt->OptionalHeader.SizeOfImage);
	const IMAGE_DATA_DIRECTORY *dd =
	    &nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_DEBUG];
	const IMAGE_DEBUG_DIRECTORY *dbg =
	    (const IMAGE_DEBUG_DIRECTORY *)(base + dd->VirtualAddress);
	for (size_t i = 0; dd->VirtualAddress && i < dd->Size / sizeof *dbg; i++) {
		if (dbg[i].Type != IMAGE_DEBUG_TYPE_CODEVIEW || !dbg[i].AddressOfRawData)
			continue;
		const uint8_t *cv = base + dbg[i].AddressOfRawData;
		if (memcmp(cv, "RSDS", 4) != 0)
			continue;
		GUID g;
		memcpy(&g, cv + 4, sizeof g);
		DWORD age;
		memcpy(&age, cv + 20, sizeof age);
		const char *pdb     = (const char *)cv + 24;
		const char *pdbname = strrchr(pdb, '/');
		const char *alt     = strrchr(pdb, '\\');
		if (!pdbname || (alt && alt > pdbname))
			pdbname = alt;
		pdbname = pdbname ? pdbname + 1 : pdb;
		out(", \"pdb\": \"%s\", \"pdb_age\": %lu", pdbname, (unsigned long)age);
		out(", \"pdb_guid\": \"%08lX-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X\"",
		    (unsigned long)g.Data1, g.Data2, g.Data3, g.Data4[0], g.Data4[1], g.Data4[2],
		    g.Data4[3], g.Data4[4], g.Data4[5], g.Data4[6], g.Data4[7]);
		// The symbol-server key: GUID without dashes, then age in hex.
		out(", \"debug_id\": \"%08lX%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X%lx\"",
		    (unsigned long)g.Data1, g.Data2, g.Data3, g.Data4[0], g.Data4[1], g.Data4[2],
		    g.Data4[3], g.Data4[4], g.Data4[5], g.Data4[6], g.Data4[7], (unsigned long)age);
	}
	out("}");
}

// The OS's own list of our threads at the moment of the dump: the
// dumper suspends exactly these, so the dump's ThreadList should match.
static void
out_thread_ids(void)
{
	DWORD         ids[512];
	int           n    = 0;
	HANDLE        snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
	THREADENTRY32 te   = {.dwSize = sizeof te};
	if (snap != INVALID_HANDLE_VALUE && Thread32First(snap, &te)) {
		do {
			if (te.th32OwnerProcessID == GetCurrentProcessId() && n < 512)
				ids[n++] = te.th32ThreadID;
			te.dwSize = sizeof te;
		} while (Thread32Next(snap, &te));
	}
	if (snap != INVALID_HANDLE_VALUE)
		CloseHandle(snap);
	out(",\n  \"thread_count\": %d,\n  \"thread_ids\": [", n);
	for (int i = 0; i < n; i++)
		out("%s%lu", i ? ", " : "", (unsigned long)ids[i]);
	out("]");
}

static const char *
wine_version(void)
{
	typedef const char *(CDECL * get_version_fn)(void);
	HMODULE        ntdll = GetModuleHandleA("ntdll.dll");
	get_version_fn fn =
	    (get_version_fn)(void (*)(void))GetProcAddress(ntdll, "wine_get_version");
	return fn ? fn() : "none";
}

static void
out_exception(EXCEPTION_POINTERS *ep, DWORD tid)
{
	if (!ep) {
		out(",\n  \"exception\": null");
		return;
	}
	const EXCEPTION_RECORD *er = ep->ExceptionRecord;
	const CONTEXT          *cx = ep->ContextRecord;
#ifdef _WIN64
	unsigned long long ip = cx->Rip, sp = cx->Rsp;
#else
	unsigned long long ip = cx->Eip, sp = cx->Esp;
#endif
	out(",\n  \"exception\": {\"code\": \"0x%08lX\", \"flags\": \"0x%lx\", \"address\": "
	    "\"0x%llx\", "
	    "\"thread_id\": %lu, \"context_ip\": \"0x%llx\", \"context_sp\": \"0x%llx\", "
	    "\"parameters\": [",
	    (unsigned long)er->ExceptionCode, (unsigned long)er->ExceptionFlags,
	    (unsigned long long)(uintptr_t)er->ExceptionAddress, (unsigned long)tid, ip, sp);
	for (DWORD i = 0; i < er->NumberParameters && i < EXCEPTION_MAXIMUM_PARAMETERS; i++)
		out("%s\"0x%llx\"", i ? ", " : "", (unsigned long long)er->ExceptionInformation[i]);
	out("]}");
}

static DWORD
dump_type(void)
{
	// What a careful crash reporter asks for; the README records which of
	// these Wine honours.
	DWORD t = MiniDumpWithDataSegs | MiniDumpWithHandleData | MiniDumpWithUnloadedModules |
	          MiniDumpWithProcessThreadData | MiniDumpWithFullMemoryInfo |
	          MiniDumpWithThreadInfo;
	if (g_full)
		t |= MiniDumpWithFullMemory;
	return t;
}

static void
write_expected(EXCEPTION_POINTERS *ep, DWORD tid, const char *dump_name)
{
	g_len = 0;
	out("{\n  \"case\": \"%s\",\n", g_case);
#ifdef _WIN64
	out("  \"arch\": \"amd64\",\n");
#else
	out("  \"arch\": \"x86\",\n");
#endif
	out("  \"wine\": \"%s\",\n  \"dump\": \"%s\",\n  \"dump_type\": \"0x%lx\",\n",
	    wine_version(), dump_name, (unsigned long)dump_type());
	out("  \"writer\": \"dumper.exe, a separate process (OpenProcess + "
	    "MiniDumpWriteDump)\",\n");
	out("  \"writer_thread_id\": %lu,\n", (unsigned long)GetCurrentThreadId());
	out("  \"process_id\": %lu", (unsigned long)GetCurrentProcessId());
	out_thread_ids();
	out_exception(ep, tid);
	out(",\n  \"modules\": [\n");
	for (int i = 0; i < g_nmodules; i++) {
		out_module(g_modules[i]);
		out(i + 1 < g_nmodules ? ",\n" : "\n");
	}
	out("  ],\n  \"threads\": [");
	for (int i = 0; i < g_nthreads; i++) {
		const struct ck_thread_info *t = &g_threads[i];
		out("%s\n    {\"id\": %lu, \"role\": \"%s\", \"frames\": [", i ? "," : "",
		    (unsigned long)t->tid, t->role ? t->role : "");
		for (int j = 0; j < t->nframes; j++)
			out("%s\"%s\"", j ? ", " : "", t->frames[j]);
		out("], \"via\": [");
		for (int j = 0; j < t->nvia; j++)
			out("%s\"%s\"", j ? ", " : "", t->via[j]);
		out("]}");
	}
	out("\n  ]");
	out_strings("patterns", g_patterns, g_npatterns);
	out_strings("not_patterns", g_not_patterns, g_nnot_patterns);
	out(",\n  \"patterns_not_visible\": [");
	for (int i = 0; i < g_nneeds; i++)
		out("%s{\"pattern\": \"%s\", \"missing\": \"%s\"}", i ? ", " : "", g_needs[i][0],
		    g_needs[i][1]);
	out("]");
	out_strings("notes", g_notes, g_nnotes);
	for (int i = 0; i < g_nfacts; i++)
		out(",\n  \"%s\": %s", g_fact_keys[i], g_fact_vals[i]);
	out("\n}\n");

	char name[MAX_PATH];
	snprintf(name, sizeof name, "%s.json", g_full ? "expected.full" : "expected");
	HANDLE f = CreateFileA(name, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
	if (f != INVALID_HANDLE_VALUE) {
		DWORD done;
		WriteFile(f, g_json, (DWORD)g_len, &done, NULL);
		CloseHandle(f);
	}
}

void
ck_report(EXCEPTION_POINTERS *ep, DWORD faulting_tid)
{
	static char dump_name[MAX_PATH], cmd[2 * MAX_PATH];
	snprintf(dump_name, sizeof dump_name, "%s%s.dmp", g_case, g_full ? ".full" : "");
	write_expected(ep, faulting_tid, dump_name);

	const char *dumper = getenv("CK_DUMPER");
	snprintf(cmd, sizeof cmd, "\"%s\" %lu %lu %llx %lx %s", dumper ? dumper : "dumper.exe",
	         (unsigned long)GetCurrentProcessId(), (unsigned long)faulting_tid,
	         (unsigned long long)(uintptr_t)ep, (unsigned long)dump_type(), dump_name);
	STARTUPINFOA        si = {.cb = sizeof si};
	PROCESS_INFORMATION pi;
	if (!CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
		fprintf(stderr, "crashkit: cannot start dumper (%lu): %s\n", GetLastError(), cmd);
		return;
	}
	WaitForSingleObject(pi.hProcess, 60000);
	DWORD rc = 1;
	GetExitCodeProcess(pi.hProcess, &rc);
	if (rc != 0)
		fprintf(stderr, "crashkit: dumper failed with %lu\n", (unsigned long)rc);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
}

void
ck_manual_dump(void)
{
	ck_report(NULL, 0);
	TerminateProcess(GetCurrentProcess(), 0);
	for (;;)
		Sleep(INFINITE);
}

static DWORD WINAPI
reporter_main(void *arg)
{
	WaitForSingleObject(g_go, INFINITE);
	ck_report(g_handed_ep, g_handed_tid);
	TerminateProcess(GetCurrentProcess(), g_handed_ep->ExceptionRecord->ExceptionCode);
	return 0;
}

void
ck_start_reporter(void)
{
	g_go = CreateEventA(NULL, TRUE, FALSE, NULL);
	DWORD tid;
	g_reporter = CreateThread(NULL, 0, reporter_main, NULL, 0, &tid);
	ck_thread(tid, "reporter", (const char *)NULL);
	ck_thread_via(tid, "WaitForSingleObject");
}

void
ck_hand_off(EXCEPTION_POINTERS *ep)
{
	g_handed_ep  = ep;
	g_handed_tid = GetCurrentThreadId();
	SetEvent(g_go);
	WaitForSingleObject(g_reporter, INFINITE);
}
