// A healthy program asks for a dump of itself (a "save a dump" button):
// there is no exception at all.
#include "crashkit.h"

CK_NOINLINE static void
save_snapshot(void)
{
	ck_manual_dump();
}

CK_NOINLINE static void
on_command(int id)
{
	if (id == 42)
		save_snapshot();
	CK_KEEP();
}

int
main(void)
{
	ck_init(CASE);
	ck_thread(GetCurrentThreadId(), "dump-requester", CASE ".exe!ck_report",
	          CASE ".exe!ck_manual_dump", CASE ".exe!save_snapshot", CASE ".exe!on_command",
	          CASE ".exe!main", (const char *)NULL);
	ck_thread_via(GetCurrentThreadId(), "WaitForSingleObject");
	ck_pattern("Manual Dump (Process)");
	ck_pattern("Main Thread");
	ck_not_pattern("Stored Exception");
	ck_not_pattern("Exception Stack Trace");
	on_command(42);
	return 0;
}
