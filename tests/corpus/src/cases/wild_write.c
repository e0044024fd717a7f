// Writes to a non-null address that maps nothing; the program checks with
// VirtualQuery that the address is free before using it.
#include "crashkit.h"

#include <stdint.h>

#ifdef _WIN64
#define WILD ((uintptr_t)0x00000BADF00D0000ull)
#else
#define WILD ((uintptr_t)0x7BADF000u)
#endif

CK_NOINLINE static void
poke(volatile uint32_t *p)
{
	*p = 0xFEEEFEEEu;
	CK_KEEP();
}

CK_NOINLINE static void
update(uintptr_t where)
{
	poke((volatile uint32_t *)where);
	CK_KEEP();
}

int
main(void)
{
	ck_init(CASE);
	MEMORY_BASIC_INFORMATION mbi;
	if (VirtualQuery((void *)WILD, &mbi, sizeof mbi) && mbi.State != MEM_FREE)
		ck_note("WARNING: the wild address was mapped at run time");
	else
		ck_note("VirtualQuery said the wild address was MEM_FREE before the write");
	ck_thread(GetCurrentThreadId(), "faulting", CASE ".exe!poke", CASE ".exe!update",
	          CASE ".exe!main", (const char *)NULL);
	ck_fact_hex("fault_data_address", WILD);
	ck_fact("fault_access", "\"write\"");
	ck_pattern("Invalid Pointer (General)");
	ck_pattern("Exception Stack Trace");
	ck_pattern("Stored Exception");
	ck_not_pattern("NULL Pointer (Data)");
	ck_not_pattern("NULL Pointer (Code)");
	update(WILD);
	return 0;
}
