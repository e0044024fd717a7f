// A worker takes an access violation that a vectored handler repairs (it
// commits the reserved page and resumes), the commit-on-demand idiom. The
// worker then parks in a wait below a large uninitialised buffer, so the
// exception dispatch frames, the EXCEPTION_RECORD and the CONTEXT stay in
// the live part of its stack. The dump itself is a manual one, taken by
// the main thread: nothing on the current stacks shows the exception.
#include "crashkit.h"

#include <stdio.h>

static char  *g_reserved;
static HANDLE g_parked, g_never;
static char   g_hidden[256];

static LONG WINAPI
commit_on_demand(EXCEPTION_POINTERS *ep)
{
	const EXCEPTION_RECORD *er = ep->ExceptionRecord;
	if (er->ExceptionCode != EXCEPTION_ACCESS_VIOLATION || er->NumberParameters < 2)
		return EXCEPTION_CONTINUE_SEARCH;
	char *at = (char *)er->ExceptionInformation[1];
	if (at < g_reserved || at >= g_reserved + 65536)
		return EXCEPTION_CONTINUE_SEARCH;
	VirtualAlloc(at, 1, MEM_COMMIT, PAGE_READWRITE);
#ifdef _WIN64
	unsigned long long ip = ep->ContextRecord->Rip, sp = ep->ContextRecord->Rsp;
#else
	unsigned long long ip = ep->ContextRecord->Eip, sp = ep->ContextRecord->Esp;
#endif
	snprintf(g_hidden, sizeof g_hidden,
	         "{\"code\": \"0x%08lX\", \"address\": \"0x%llx\", \"data_address\": \"0x%llx\", "
	         "\"thread_id\": %lu, \"context_ip\": \"0x%llx\", \"context_sp\": \"0x%llx\"}",
	         (unsigned long)er->ExceptionCode,
	         (unsigned long long)(ULONG_PTR)er->ExceptionAddress,
	         (unsigned long long)(ULONG_PTR)at, (unsigned long)GetCurrentThreadId(), ip, sp);
	return EXCEPTION_CONTINUE_EXECUTION;
}

CK_NOINLINE static int
read_record(volatile char *p)
{
	int v = p[100];
	CK_KEEP();
	return v;
}

CK_NOINLINE static int
load_page(void)
{
	int v = read_record(g_reserved);
	CK_KEEP();
	return v;
}

CK_NOINLINE static void
park(void)
{
	// Never written: it only moves this frame's wait below the residue.
	volatile char scratch[48 * 1024];
	scratch[0] = 0;
	SetEvent(g_parked);
	WaitForSingleObject(g_never, INFINITE);
	CK_KEEP();
}

CK_NOINLINE static DWORD WINAPI
worker(void *arg)
{
	load_page();
	park();
	CK_KEEP();
	return 0;
}

int
main(void)
{
	ck_init(CASE);
	g_reserved = VirtualAlloc(NULL, 65536, MEM_RESERVE, PAGE_NOACCESS);
	g_parked   = CreateEventA(NULL, TRUE, FALSE, NULL);
	g_never    = CreateEventA(NULL, TRUE, FALSE, NULL);
	AddVectoredExceptionHandler(1, commit_on_demand);
	DWORD tid;
	CreateThread(NULL, 0, worker, NULL, 0, &tid);
	WaitForSingleObject(g_parked, INFINITE);
	Sleep(200);
	ck_thread(tid, "hidden-exception", CASE ".exe!park", CASE ".exe!worker",
	          (const char *)NULL);
	ck_thread_via(tid, "NtWaitForSingleObject");
	ck_thread(GetCurrentThreadId(), "dump-requester", CASE ".exe!ck_report",
	          CASE ".exe!ck_manual_dump", CASE ".exe!main", (const char *)NULL);
	ck_fact("hidden_exception", g_hidden);
	ck_fact("hidden_exception_frames", "[\"" CASE ".exe!read_record\", \"" CASE
	                                   ".exe!load_page\", \"" CASE ".exe!worker\"]");
	ck_note(
	    "hidden_exception is what the vectored handler saw; the walk of the CONTEXT recovered "
	    "from the residue should give hidden_exception_frames");
	ck_pattern("Hidden Exception (User Space)");
	ck_pattern("Execution Residue (Unmanaged Space, User)");
	ck_pattern("Manual Dump (Process)");
	ck_not_pattern("Stored Exception");
	ck_manual_dump();
}
