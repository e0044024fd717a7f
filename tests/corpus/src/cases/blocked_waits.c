// One thread waits on an event nobody sets, one on a mutex the main thread
// holds while it asks for a dump.
#include "crashkit.h"

#include <stdio.h>

static HANDLE g_config_ready, g_db_mutex, g_started[2];

CK_NOINLINE static DWORD WINAPI
config_waiter(void *arg)
{
	SetEvent(g_started[0]);
	WaitForSingleObject(g_config_ready, INFINITE);
	CK_KEEP();
	return 0;
}

CK_NOINLINE static DWORD WINAPI
db_waiter(void *arg)
{
	SetEvent(g_started[1]);
	WaitForSingleObject(g_db_mutex, INFINITE);
	CK_KEEP();
	return 0;
}

int
main(void)
{
	ck_init(CASE);
	g_config_ready = CreateEventA(NULL, TRUE, FALSE, "dumpwalk-corpus-config-ready");
	g_db_mutex     = CreateMutexA(NULL, TRUE, "dumpwalk-corpus-db");
	g_started[0]   = CreateEventA(NULL, TRUE, FALSE, NULL);
	g_started[1]   = CreateEventA(NULL, TRUE, FALSE, NULL);
	DWORD te, tm;
	CreateThread(NULL, 0, config_waiter, NULL, 0, &te);
	CreateThread(NULL, 0, db_waiter, NULL, 0, &tm);
	WaitForMultipleObjects(2, g_started, TRUE, INFINITE);
	Sleep(300);
	ck_thread(te, "blocked-event", CASE ".exe!config_waiter", (const char *)NULL);
	ck_thread_via(te, "NtWaitForSingleObject");
	ck_thread(tm, "blocked-mutex", CASE ".exe!db_waiter", (const char *)NULL);
	ck_thread_via(tm, "NtWaitForSingleObject");
	ck_thread(GetCurrentThreadId(), "dump-requester (owns the mutex)", CASE ".exe!ck_report",
	          CASE ".exe!ck_manual_dump", CASE ".exe!main", (const char *)NULL);
	char buf[96];
	snprintf(buf, sizeof buf,
	         "{\"handle\": \"0x%llx\", \"name\": \"dumpwalk-corpus-config-ready\"}",
	         (unsigned long long)(ULONG_PTR)g_config_ready);
	ck_fact("event", buf);
	snprintf(buf, sizeof buf,
	         "{\"handle\": \"0x%llx\", \"name\": \"dumpwalk-corpus-db\", \"owner\": %lu}",
	         (unsigned long long)(ULONG_PTR)g_db_mutex, (unsigned long)GetCurrentThreadId());
	ck_fact("mutex", buf);
	ck_pattern("Blocked Thread (Software)");
	ck_pattern_needs("Wait Chain (General) / Deadlock (Mixed Objects, User Space)",
	                 "HandleData stream (handle types, names, mutex owner), which Wine 8 does "
	                 "not write");
	ck_pattern("Manual Dump (Process)");
	ck_not_pattern("Deadlock (Critical Sections)");
	ck_manual_dump();
}
