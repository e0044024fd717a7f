// A thread shows a message box and waits for the user; the main thread
// takes a dump meanwhile.
#include "crashkit.h"

static HANDLE g_about_to_show;

CK_NOINLINE static DWORD WINAPI
ask_user(void *arg)
{
	SetEvent(g_about_to_show);
	int r = MessageBoxA(NULL, "Save changes?", "dumpwalk corpus", MB_YESNO);
	// Reached only if the box could not be shown (no display).
	ck_fact("message_box_returned_early", r == 0 ? "0" : "1");
	CK_KEEP();
	return 0;
}

int
main(void)
{
	ck_init(CASE);
	g_about_to_show = CreateEventA(NULL, TRUE, FALSE, NULL);
	DWORD tid;
	CreateThread(NULL, 0, ask_user, NULL, 0, &tid);
	WaitForSingleObject(g_about_to_show, INFINITE);
	Sleep(1500);
	ck_thread(tid, "message-box", CASE ".exe!ask_user", (const char *)NULL);
	ck_thread_via(tid, "MessageBoxA");
	ck_thread(GetCurrentThreadId(), "dump-requester", CASE ".exe!ck_report",
	          CASE ".exe!ck_manual_dump", CASE ".exe!main", (const char *)NULL);
	ck_pattern("Message Box");
	ck_pattern("Manual Dump (Process)");
	ck_manual_dump();
}
