// Probe, not a corpus case: does anything in the process see a real
// __fastfail (int 0x29)? Prints "veh" or "filter" if a handler ran; the
// exit status says how the process ended (0xC0000409 truncated to 9 by
// Wine's Unix exit code).
#include <windows.h>

#include <stdio.h>

static LONG WINAPI
filter(EXCEPTION_POINTERS *ep)
{
	printf("filter saw %08lx\n", (unsigned long)ep->ExceptionRecord->ExceptionCode);
	fflush(stdout);
	return EXCEPTION_EXECUTE_HANDLER;
}

static LONG WINAPI
veh(EXCEPTION_POINTERS *ep)
{
	printf("veh saw %08lx\n", (unsigned long)ep->ExceptionRecord->ExceptionCode);
	fflush(stdout);
	return EXCEPTION_CONTINUE_SEARCH;
}

int
main(void)
{
	SetUnhandledExceptionFilter(filter);
	AddVectoredExceptionHandler(1, veh);
	puts("before int 0x29");
	fflush(stdout);
	// FAST_FAIL_STACK_COOKIE_CHECK_FAILURE in ECX, as __fastfail(2) does.
	__asm__ volatile("movl $2, %%ecx\n\tint $0x29" ::: "ecx");
	puts("after int 0x29 (should not happen)");
	return 0;
}
