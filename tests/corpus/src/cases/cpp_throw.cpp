// A C++ exception nobody catches. mingw's C++ runtime (libstdc++ over
// libgcc's SEH unwinder) raises it as SEH code 0x20474343 ("GCC "), not
// MSVC's 0xE06D7363. Under Wine nobody handles that either, RaiseException
// returns, and libstdc++ calls std::terminate -> abort(): the report comes
// from crashkit's SIGABRT handler as STATUS_FATAL_APP_EXIT (crashpad's
// convention), with the context captured inside that handler.
#include "crashkit.h"

#include <stdexcept>
#include <string>

CK_NOINLINE static int
parse_port(const std::string &s)
{
	if (s.empty() || s[0] < '0' || s[0] > '9')
		throw std::invalid_argument("port is not a number: " + s);
	return std::stoi(s);
}

CK_NOINLINE static int
load_settings(void)
{
	int port = parse_port("http");
	CK_KEEP();
	return port;
}

int
main(void)
{
	ck_init(CASE);
#ifdef _WIN64
	ck_thread(GetCurrentThreadId(), "faulting", CASE ".exe!ck_on_abort", CASE ".exe!parse_port",
	          CASE ".exe!load_settings", CASE ".exe!main", (const char *)NULL);
#else
	// x86 RtlCaptureContext describes its caller's caller (it follows
	// EBP), so the captured context starts in msvcrt's raise(), above
	// ck_on_abort.
	ck_thread(GetCurrentThreadId(), "faulting", CASE ".exe!parse_port",
	          CASE ".exe!load_settings", CASE ".exe!main", (const char *)NULL);
#endif
	ck_thread_via(GetCurrentThreadId(), "abort");
	ck_thread_via(GetCurrentThreadId(), "__cxa_throw");
	ck_fact("thrown_type", "\"std::invalid_argument\"");
	ck_note(
	    "the exception stream holds 0x40000015 STATUS_FATAL_APP_EXIT raised by crashkit's "
	    "SIGABRT handler (libstdc++ terminate -> abort), not 0xE06D7363: detectors keyed on "
	    "the MSVC code must not fire; the throw shows as __cxa_throw / std::terminate / abort "
	    "frames between ck_on_abort and parse_port (Language-Specific Subtrace)");
	ck_pattern("Language-Specific Subtrace (Rust)");
	ck_pattern("Exception Stack Trace");
	ck_pattern("Stored Exception");
	ck_not_pattern("C++ Exception");
	return load_settings();
}
