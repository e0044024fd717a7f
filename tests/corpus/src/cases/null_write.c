// Writes through a NULL data pointer.
#include "crashkit.h"

char *volatile g_buf;

CK_NOINLINE static void
store(char *dst, char c)
{
	dst[8] = c;
	CK_KEEP();
}

CK_NOINLINE static void
fill(void)
{
	store(g_buf, 'x');
	CK_KEEP();
}

int
main(void)
{
	ck_init(CASE);
	ck_thread(GetCurrentThreadId(), "faulting", CASE ".exe!store", CASE ".exe!fill",
	          CASE ".exe!main", (const char *)NULL);
	ck_fact_hex("fault_data_address", 8);
	ck_fact("fault_access", "\"write\"");
	ck_pattern("NULL Pointer (Data)");
	ck_pattern("Exception Stack Trace");
	ck_pattern("Exception Module");
	ck_pattern("Stored Exception");
	ck_not_pattern("NULL Pointer (Code)");
	fill();
	return 0;
}
