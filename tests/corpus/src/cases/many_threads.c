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

// The loop body stays in spinner itself: with a callee (a spin_step()
// called each turn) the suspended thread was caught inside the callee or in
// spinner depending on timing (x86 run of 6f6d517: EIP 0x401842 in
// spin_step after its push ebp/mov ebp,esp, [EBP+4] = 0x4017db, the
// return into spinner's `call spin_step; jmp` loop), so no listed top frame
// could be right for every run.
CK_NOINLINE static DWORD WINAPI
spinner(void *arg)
{
	for (;;) {
		g_spins++;
		CK_KEEP();
	}
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
	ck_thread(ts, "spinning", CASE ".exe!spinner", (const char *)NULL);
	ck_thread(GetCurrentThreadId(), "dump-requester", CASE ".exe!ck_report",
	          CASE ".exe!ck_manual_dump", CASE ".exe!main", (const char *)NULL);
	Sleep(1000);
	char buf[32];
	snprintf(buf, sizeof buf, "%lu", (unsigned long)ts);
	ck_fact("spinning_thread_id", buf);
	ck_note(
	    "the spinning thread's top frame is spinner (it calls nothing); it is the only thread "
	    "not in a wait");
	ck_pattern("Active Thread / Spiking Thread");
	ck_pattern("Blocked Thread (Software)");
	ck_pattern("Stack Trace / Stack Trace Collection (Unmanaged Space)");
	ck_pattern("Manual Dump (Process)");
	ck_manual_dump();
}
