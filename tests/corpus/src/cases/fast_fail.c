// Stands in for a /GS stack cookie failure. A real __fastfail (int 0x29)
// ends the process without running any filter on Windows, and Wine does
// the same or worse, so no reporter ever sees it in-process; instead this
// raises STATUS_STACK_BUFFER_OVERRUN with FAST_FAIL_STACK_COOKIE_CHECK_FAILURE
// (2) as its parameter, the record WER would show.
#include "crashkit.h"

#define FAST_FAIL_STACK_COOKIE_CHECK_FAILURE_CODE 2

CK_NOINLINE static void
report_gsfailure(void)
{
	ULONG_PTR info[1] = {FAST_FAIL_STACK_COOKIE_CHECK_FAILURE_CODE};
	RaiseException(0xC0000409u, EXCEPTION_NONCONTINUABLE, 1, info);
	CK_KEEP();
}

CK_NOINLINE static void
parse_header(const char *in)
{
	char buf[16];
	lstrcpynA(buf, in, sizeof buf);
	// A cookie check would have caught a smash here.
	report_gsfailure();
	CK_KEEP();
}

int
main(void)
{
	ck_init(CASE);
	ck_thread(GetCurrentThreadId(), "faulting", CASE ".exe!report_gsfailure",
	          CASE ".exe!parse_header", CASE ".exe!main", (const char *)NULL);
	ck_thread_via(GetCurrentThreadId(), "RaiseException");
	ck_note(
	    "simulated: RaiseException(0xC0000409, NONCONTINUABLE, [2]), not a real __fastfail; "
	    "the exception address is inside KernelBase/ntdll RaiseException, not in our code");
	ck_pattern("Local Buffer Overflow (User Space)");
	ck_pattern("Exception Stack Trace");
	ck_pattern("Stored Exception");
	parse_header("GET / HTTP/1.1 and far too much more");
	return 0;
}
