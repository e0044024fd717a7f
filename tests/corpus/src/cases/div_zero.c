// Integer division by a zero that the compiler cannot see.
#include "crashkit.h"

volatile int g_divisor;

CK_NOINLINE static int
average(int total, int count)
{
	int r = total / count;
	CK_KEEP();
	return r;
}

int
main(void)
{
	ck_init(CASE);
	ck_thread(GetCurrentThreadId(), "faulting", CASE ".exe!average", CASE ".exe!main",
	          (const char *)NULL);
	ck_pattern("Divide by Zero (User Mode)");
	ck_pattern("Exception Stack Trace");
	ck_pattern("Stored Exception");
	ck_not_pattern("NULL Pointer (Data)");
	return average(100, g_divisor);
}
