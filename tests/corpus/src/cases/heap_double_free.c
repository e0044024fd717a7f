// Frees the same heap block twice. Windows' heap reports the second free
// as heap corruption (C0000374 from RtlReportCriticalFailure); whatever
// Wine does is written down as it happens, before the next step can crash.
#include "crashkit.h"

#include <stdio.h>

static char g_result[128];

CK_NOINLINE static void
release(void *p)
{
	BOOL ok = HeapFree(GetProcessHeap(), 0, p);
	snprintf(g_result, sizeof g_result, "\"HeapFree returned %d, last error %lu\"", ok,
	         (unsigned long)GetLastError());
	CK_KEEP();
}

CK_NOINLINE static void
close_session(void *p)
{
	release(p);
	release(p);
	CK_KEEP();
}

int
main(void)
{
	ck_init(CASE);
	ck_thread(GetCurrentThreadId(), "double-free", CASE ".exe!release",
	          CASE ".exe!close_session", CASE ".exe!main", (const char *)NULL);
	ck_thread_via(GetCurrentThreadId(), "RtlFreeHeap");
	ck_pattern_needs("Double Free (Process Heap)",
	                 "a crash: Wine 8's HeapFree rejects the second free (FALSE, error 87) "
	                 "instead of raising C0000374 as Windows does");
	ck_pattern("Manual Dump (Process)");
	ck_not_pattern("Stored Exception");
	void *p = HeapAlloc(GetProcessHeap(), 0, 96);
	SetLastError(0);
	close_session(p);
	// Still alive: Wine's heap rejected the second free quietly.
	ck_fact("second_free", g_result);
	ck_note("Wine did not crash on the double free: the dump is a manual one taken right after "
	        "the second HeapFree returned; on Windows this would be C0000374");
	ck_thread(GetCurrentThreadId(), "dump-requester (after double free)", CASE ".exe!ck_report",
	          CASE ".exe!ck_manual_dump", CASE ".exe!main", (const char *)NULL);
	ck_thread_via(GetCurrentThreadId(), "WaitForSingleObject");
	ck_manual_dump();
}
