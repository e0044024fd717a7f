// Unbounded recursion. The faulting thread has almost no stack left, so a
// vectored handler hands the report to a helper thread started up front
// (what Breakpad's in-process handler thread is for). The recursion runs
// on a thread with a 256 KB stack: the dump holds the whole used stack,
// and a 1 MB main-thread stack would quadruple the committed file.
#include "crashkit.h"

static LONG WINAPI
on_exception(EXCEPTION_POINTERS *ep)
{
	if (ep->ExceptionRecord->ExceptionCode == EXCEPTION_STACK_OVERFLOW)
		ck_hand_off(ep);
	return EXCEPTION_CONTINUE_SEARCH;
}

CK_NOINLINE static unsigned
recurse(unsigned depth)
{
	volatile char pad[200];
	pad[0]     = (char)depth;
	unsigned r = recurse(depth + 1) + pad[0];
	CK_KEEP();
	return r;
}

CK_NOINLINE static DWORD WINAPI
overflow_worker(void *arg)
{
	DWORD r = recurse(0);
	CK_KEEP();
	return r;
}

int
main(void)
{
	ck_init(CASE);
	ck_start_reporter();
	AddVectoredExceptionHandler(1, on_exception);
	DWORD  tid;
	HANDLE h = CreateThread(NULL, 256 * 1024, overflow_worker, NULL,
	                        CREATE_SUSPENDED | STACK_SIZE_PARAM_IS_A_RESERVATION, &tid);
	ck_thread(tid, "faulting", CASE ".exe!recurse", CASE ".exe!recurse", CASE ".exe!recurse",
	          CASE ".exe!recurse", (const char *)NULL);
	ck_thread(GetCurrentThreadId(), "waiting-for-worker", CASE ".exe!main", (const char *)NULL);
	ck_thread_via(GetCurrentThreadId(), "NtWaitForSingleObject");
	ck_note("the faulting thread's frames are recurse repeated about a thousand times with "
	        "overflow_worker at the bottom; only the first four are listed");
	ck_note("the dump is written on behalf of the faulting thread by the reporter thread");
	ck_pattern("Stack Overflow (User Mode)");
	ck_pattern("Exception Stack Trace");
	ck_pattern("Stored Exception");
	ResumeThread(h);
	WaitForSingleObject(h, INFINITE);
	return 0;
}
