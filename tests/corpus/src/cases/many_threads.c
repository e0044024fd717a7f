// Eight idle threads (four sleeping, four waiting on an event) and one
// thread spinning on the CPU when the dump is taken.
#include "crashkit.h"

#include <stdio.h>

static HANDLE                      g_never;
static volatile unsigned long long g_spins;

CK_NOINLINE static DWORD WINAPI
idle_sleeper(void *arg)
{
	Sleep(INFINITE);
	CK_KEEP();
	return 0;
}

CK_NOINLINE static DWORD WINAPI
idle_waiter(void *arg)
{
	WaitForSingleObject(g_never, INFINITE);
	CK_KEEP();
	return 0;
}

CK_NOINLINE static void
spin_step(void)
{
	g_spins++;
}

CK_NOINLINE static DWORD WINAPI
spinner(void *arg)
{
	for (;;)
		spin_step();
}

int
main(void)
{
	ck_init(CASE);
	g_never = CreateEventA(NULL, TRUE, FALSE, NULL);
	for (int i = 0; i < 8; i++) {
		DWORD tid;
		int   sleeper = i < 4;
		CreateThread(NULL, 0, sleeper ? idle_sleeper : idle_waiter, NULL, 0, &tid);
		if (sleeper) {
			ck_thread(tid, "idle-sleep", CASE ".exe!idle_sleeper", (const char *)NULL);
			ck_thread_via(tid, "NtDelayExecution");
		} else {
			ck_thread(tid, "idle-wait", CASE ".exe!idle_waiter", (const char *)NULL);
			ck_thread_via(tid, "NtWaitForSingleObject");
		}
	}
	DWORD ts;
	CreateThread(NULL, 0, spinner, NULL, 0, &ts);
	// The top frame is spin_step or spinner depending on where the
	// suspension landed; only spinner is certain.
	ck_thread(ts, "spinning", CASE ".exe!spinner", (const char *)NULL);
	ck_thread(GetCurrentThreadId(), "dump-requester", CASE ".exe!ck_report",
	          CASE ".exe!ck_manual_dump", CASE ".exe!main", (const char *)NULL);
	Sleep(1000);
	char buf[32];
	snprintf(buf, sizeof buf, "%lu", (unsigned long)ts);
	ck_fact("spinning_thread_id", buf);
	ck_note(
	    "the spinning thread's top frame is spinner or spin_step; it is the only thread not "
	    "in a wait");
	ck_pattern("Active Thread / Spiking Thread");
	ck_pattern("Blocked Thread (Software)");
	ck_pattern("Stack Trace / Stack Trace Collection (Unmanaged Space)");
	ck_pattern("Manual Dump (Process)");
	ck_manual_dump();
}
