// Two threads take two critical sections in opposite orders and deadlock;
// the main thread waits until both are stuck, then asks for a dump.
#include "crashkit.h"

#include <stdio.h>

static CRITICAL_SECTION g_accounts, g_ledger;
static HANDLE           g_has_first[2];

CK_NOINLINE static void
take_second(CRITICAL_SECTION *cs)
{
	EnterCriticalSection(cs);
	CK_KEEP();
}

CK_NOINLINE static DWORD WINAPI
transfer_worker(void *arg)
{
	EnterCriticalSection(&g_accounts);
	SetEvent(g_has_first[0]);
	WaitForSingleObject(g_has_first[1], INFINITE);
	take_second(&g_ledger);
	CK_KEEP();
	return 0;
}

CK_NOINLINE static DWORD WINAPI
audit_worker(void *arg)
{
	EnterCriticalSection(&g_ledger);
	SetEvent(g_has_first[1]);
	WaitForSingleObject(g_has_first[0], INFINITE);
	take_second(&g_accounts);
	CK_KEEP();
	return 0;
}

int
main(void)
{
	ck_init(CASE);
	InitializeCriticalSection(&g_accounts);
	InitializeCriticalSection(&g_ledger);
	g_has_first[0] = CreateEventA(NULL, TRUE, FALSE, NULL);
	g_has_first[1] = CreateEventA(NULL, TRUE, FALSE, NULL);
	DWORD  ta, tb;
	HANDLE h[2];
	h[0] = CreateThread(NULL, 0, transfer_worker, NULL, 0, &ta);
	h[1] = CreateThread(NULL, 0, audit_worker, NULL, 0, &tb);
	ck_thread(ta, "deadlocked", CASE ".exe!take_second", CASE ".exe!transfer_worker",
	          (const char *)NULL);
	ck_thread_via(ta, "RtlEnterCriticalSection");
	ck_thread(tb, "deadlocked", CASE ".exe!take_second", CASE ".exe!audit_worker",
	          (const char *)NULL);
	ck_thread_via(tb, "RtlEnterCriticalSection");
	ck_thread(GetCurrentThreadId(), "dump-requester", CASE ".exe!ck_report",
	          CASE ".exe!ck_manual_dump", CASE ".exe!main", (const char *)NULL);
	// Both threads hold their first lock; give them time to block on the second.
	WaitForMultipleObjects(2, g_has_first, TRUE, INFINITE);
	Sleep(500);
	char buf[96];
	snprintf(buf, sizeof buf, "{\"address\": \"0x%llx\", \"owner\": %lu, \"waiter\": %lu}",
	         (unsigned long long)(ULONG_PTR)&g_accounts, (unsigned long)ta, (unsigned long)tb);
	ck_fact("cs_accounts", buf);
	snprintf(buf, sizeof buf, "{\"address\": \"0x%llx\", \"owner\": %lu, \"waiter\": %lu}",
	         (unsigned long long)(ULONG_PTR)&g_ledger, (unsigned long)tb, (unsigned long)ta);
	ck_fact("cs_ledger", buf);
	ck_note(
	    "cs_* OwningThread in memory should equal the owner listed here; with a normal dump "
	    "the sections live in the EXE's .bss, which only a full dump is sure to contain");
	if (ck_is_full())
		ck_pattern("Deadlock (Critical Sections)");
	else
		ck_pattern_needs(
		    "Deadlock (Critical Sections)",
		    "memory of the critical sections (in the EXE's .data/.bss): only the "
		    "full dump has it; Wine ignores MiniDumpWithDataSegs");
	ck_pattern("Wait Chain (Critical Sections)");
	ck_pattern("Blocked Thread (Software)");
	ck_pattern("Manual Dump (Process)");
	ck_manual_dump();
}
