// Overruns a heap block into its neighbour's header, then frees the
// neighbour. Each step is recorded before the next, since any may crash.
#include "crashkit.h"

#include <stdio.h>
#include <string.h>

CK_NOINLINE static void
overrun(char *dst, size_t n)
{
	memset(dst, 0x41, n);
	CK_KEEP();
}

CK_NOINLINE static void
release(void *p)
{
	BOOL        ok = HeapFree(GetProcessHeap(), 0, p);
	static char r[96];
	snprintf(r, sizeof r, "\"HeapFree returned %d, last error %lu\"", ok,
	         (unsigned long)GetLastError());
	ck_fact("free_of_neighbour", r);
	CK_KEEP();
}

CK_NOINLINE static void
churn(void)
{
	// More heap traffic over the damaged block.
	for (int i = 0; i < 64; i++)
		HeapFree(GetProcessHeap(), 0, HeapAlloc(GetProcessHeap(), 0, 24 + i));
	CK_KEEP();
}

int
main(void)
{
	ck_init(CASE);
	HANDLE heap = GetProcessHeap();
	char  *a    = HeapAlloc(heap, 0, 32);
	char  *b    = HeapAlloc(heap, 0, 32);
	char   buf[96];
	snprintf(buf, sizeof buf, "{\"a\": \"0x%llx\", \"b\": \"0x%llx\"}",
	         (unsigned long long)(ULONG_PTR)a, (unsigned long long)(ULONG_PTR)b);
	ck_fact("blocks", buf);
	ck_thread(GetCurrentThreadId(), "heap-corruption", CASE ".exe!release", CASE ".exe!main",
	          (const char *)NULL);
	ck_thread_via(GetCurrentThreadId(), "RtlFreeHeap");
	ck_pattern_needs("Dynamic Memory Corruption (Process Heap)",
	                 "a crash: Wine 8's heap refuses the free of the damaged block (FALSE, "
	                 "error 87) and carries on");
	ck_pattern("Manual Dump (Process)");
	ck_not_pattern("Stored Exception");
	// Writes 32 bytes past the end of a: over b's block header.
	overrun(a, (size_t)(b - a) + 16);
	SetLastError(0);
	release(b);
	ck_thread(GetCurrentThreadId(), "heap-corruption", CASE ".exe!churn", CASE ".exe!main",
	          (const char *)NULL);
	churn();
	ck_note("Wine survived the overrun, the free and later heap traffic: manual dump");
	ck_thread(GetCurrentThreadId(), "dump-requester (after corruption)", CASE ".exe!ck_report",
	          CASE ".exe!ck_manual_dump", CASE ".exe!main", (const char *)NULL);
	ck_thread_via(GetCurrentThreadId(), "WaitForSingleObject");
	ck_manual_dump();
}
