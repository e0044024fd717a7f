// Reads through a NULL data pointer, two frames below main.
#include "crashkit.h"

int *volatile g_ptr;

CK_NOINLINE static int
read_it(int *p)
{
	int v = p[4]; // address 0x10: inside the null page, as a struct field read would be
	CK_KEEP();
	return v;
}

CK_NOINLINE static int
lookup(void)
{
	int v = read_it(g_ptr);
	CK_KEEP();
	return v + 1;
}

int
main(void)
{
	ck_init(CASE);
	ck_thread(GetCurrentThreadId(), "faulting", CASE ".exe!read_it", CASE ".exe!lookup",
	          CASE ".exe!main", (const char *)NULL);
	ck_fact_hex("fault_data_address", 0x10);
	ck_fact("fault_access", "\"read\"");
	ck_pattern("NULL Pointer (Data)");
	ck_pattern("Exception Stack Trace");
	ck_pattern("Exception Module");
	ck_pattern("Stored Exception");
	ck_pattern("Main Thread");
	ck_not_pattern("NULL Pointer (Code)");
	ck_not_pattern("Manual Dump (Process)");
	return lookup();
}
