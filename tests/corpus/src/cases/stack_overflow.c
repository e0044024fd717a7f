// Unbounded recursion. The faulting thread has almost no stack left, so a
// vectored handler hands the report to a helper thread started up front
// (what Breakpad's in-process handler thread is for).
#include "crashkit.h"

static LONG WINAPI on_exception(EXCEPTION_POINTERS *ep)
{
	if (ep->ExceptionRecord->ExceptionCode == EXCEPTION_STACK_OVERFLOW)
		ck_hand_off(ep);
	return EXCEPTION_CONTINUE_SEARCH;
}

CK_NOINLINE static unsigned recurse(unsigned depth)
{
	volatile char pad[200];
	pad[0] = (char)depth;
	unsigned r = recurse(depth + 1) + pad[0];
	CK_KEEP();
	return r;
}

int main(void)
{
	ck_init(CASE);
	ck_start_reporter();
	AddVectoredExceptionHandler(1, on_exception);
	ck_thread(GetCurrentThreadId(), "faulting", CASE ".exe!recurse", CASE ".exe!recurse",
	          CASE ".exe!recurse", CASE ".exe!recurse", (const char *)NULL);
	ck_note("the faulting thread's frames are recurse repeated thousands of times, main at the "
	        "bottom; only the first four are listed");
	ck_note("the dump is written on behalf of the faulting thread by the reporter thread");
	ck_pattern("Stack Overflow (User Mode)");
	ck_pattern("Exception Stack Trace");
	ck_pattern("Stored Exception");
	return (int)recurse(0);
}
