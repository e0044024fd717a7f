// dumper.exe PID TID EP_HEX TYPE_HEX OUT.dmp
//
// The out-of-process half of the crash reporter: it writes the dump of
// another process, the way WER, procdump and crashpad's handler do. EP is
// the address of EXCEPTION_POINTERS inside the target (0 for a manual
// dump), so ClientPointers is TRUE and dbghelp reads the record from there.
#include <windows.h>

#include <dbghelp.h>
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: dumper PID TID EP_HEX TYPE_HEX OUT.dmp\n");
		return 2;
	}
	DWORD              pid  = strtoul(argv[1], NULL, 10);
	DWORD              tid  = strtoul(argv[2], NULL, 10);
	unsigned long long ep   = strtoull(argv[3], NULL, 16);
	DWORD              type = strtoul(argv[4], NULL, 16);

	HANDLE proc = OpenProcess(PROCESS_ALL_ACCESS, FALSE, pid);
	if (!proc) {
		fprintf(stderr, "dumper: OpenProcess(%lu) failed: %lu\n", pid, GetLastError());
		return 3;
	}
	HANDLE file = CreateFileA(argv[5], GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
	                          FILE_ATTRIBUTE_NORMAL, NULL);
	if (file == INVALID_HANDLE_VALUE) {
		fprintf(stderr, "dumper: cannot create %s: %lu\n", argv[5], GetLastError());
		return 4;
	}
	MINIDUMP_EXCEPTION_INFORMATION mei = {
	    .ThreadId          = tid,
	    .ExceptionPointers = (PEXCEPTION_POINTERS)(ULONG_PTR)ep,
	    .ClientPointers    = TRUE,
	};
	BOOL ok =
	    MiniDumpWriteDump(proc, pid, file, (MINIDUMP_TYPE)type, ep ? &mei : NULL, NULL, NULL);
	DWORD err = GetLastError();
	CloseHandle(file);
	CloseHandle(proc);
	if (!ok) {
		fprintf(stderr, "dumper: MiniDumpWriteDump failed: 0x%lx\n", err);
		return 5;
	}
	return 0;
}
