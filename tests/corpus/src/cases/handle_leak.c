// Leaks 5000 event handles, then takes a manual dump.
#include "crashkit.h"

#include <stdio.h>

#define LEAKED 5000

CK_NOINLINE static void
open_session(int i)
{
	char name[64];
	// Every tenth is named so a HandleData stream would show names too.
	snprintf(name, sizeof name, "dumpwalk-corpus-leak-%d", i);
	CreateEventA(NULL, TRUE, FALSE, i % 10 == 0 ? name : NULL);
}

int
main(void)
{
	ck_init(CASE);
	for (int i = 0; i < LEAKED; i++)
		open_session(i);
	char buf[32];
	snprintf(buf, sizeof buf, "%d", LEAKED);
	ck_fact("leaked_event_handles", buf);
	ck_note("leaked_event_handles were created with CreateEventA and never closed; one in ten "
	        "is named dumpwalk-corpus-leak-N");
	ck_thread(GetCurrentThreadId(), "dump-requester", CASE ".exe!ck_report",
	          CASE ".exe!ck_manual_dump", CASE ".exe!main", (const char *)NULL);
	ck_pattern_needs("Handle Leak", "HandleData stream, which Wine 8 does not write");
	ck_pattern("Manual Dump (Process)");
	ck_manual_dump();
}
