// Probe, not a corpus case: how Wine's MiniDumpWriteDump treats a process
// dumping itself. After a NULL write the filter writes self.dmp on the
// faulting thread; a helper thread then writes helper.dmp with the
// faulting thread's exception information and helper_noexc.dmp without.
// README.md records which thread slot got which context.
#include <windows.h>

#include <dbghelp.h>
#include <stdio.h>

static EXCEPTION_POINTERS *g_ep;
static DWORD               g_tid;
static HANDLE              g_go, g_done;

static void
write_dump(const char *name, EXCEPTION_POINTERS *ep, DWORD tid)
{
	HANDLE f = CreateFileA(name, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
	MINIDUMP_EXCEPTION_INFORMATION mei = {tid, ep, FALSE};
	BOOL ok = MiniDumpWriteDump(GetCurrentProcess(), GetCurrentProcessId(), f, MiniDumpNormal,
	                            ep ? &mei : NULL, NULL, NULL);
	CloseHandle(f);
	printf("%s ok=%d faulting_tid=%lu writer_tid=%lu\n", name, ok, (unsigned long)tid,
	       (unsigned long)GetCurrentThreadId());
}

static DWORD WINAPI
helper(void *arg)
{
	WaitForSingleObject(g_go, INFINITE);
	write_dump("helper.dmp", g_ep, g_tid);
	write_dump("helper_noexc.dmp", NULL, 0);
	SetEvent(g_done);
	return 0;
}

static LONG WINAPI
filter(EXCEPTION_POINTERS *ep)
{
	write_dump("self.dmp", ep, GetCurrentThreadId());
	g_ep  = ep;
	g_tid = GetCurrentThreadId();
	SetEvent(g_go);
	WaitForSingleObject(g_done, INFINITE);
	fflush(stdout);
	TerminateProcess(GetCurrentProcess(), 1);
	return EXCEPTION_EXECUTE_HANDLER;
}

int
main(void)
{
	g_go   = CreateEventA(NULL, TRUE, FALSE, NULL);
	g_done = CreateEventA(NULL, TRUE, FALSE, NULL);
	CreateThread(NULL, 0, helper, NULL, 0, NULL);
	SetUnhandledExceptionFilter(filter);
	Sleep(100);
	*(volatile int *)16 = 1;
	return 0;
}
