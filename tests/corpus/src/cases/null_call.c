// Calls through a NULL function pointer: the instruction pointer becomes 0
// and the caller is only visible through the return address at [SP].
#include "crashkit.h"

typedef int (*handler_fn)(int);
handler_fn volatile g_handler;

CK_NOINLINE static int
dispatch(int ev)
{
	int r = g_handler(ev);
	CK_KEEP();
	return r + 1;
}

int
main(void)
{
	ck_init(CASE);
	ck_thread(GetCurrentThreadId(), "faulting", "0x0", CASE ".exe!dispatch", CASE ".exe!main",
	          (const char *)NULL);
	ck_fact_hex("fault_data_address", 0);
	ck_fact("fault_access", "\"execute\"");
	ck_note("frames[0] is the bare instruction pointer 0x0, in no module");
	ck_pattern("NULL Pointer (Code)");
	ck_pattern("Exception Stack Trace");
	ck_pattern("Stored Exception");
	ck_not_pattern("NULL Pointer (Data)");
	return dispatch(7);
}
