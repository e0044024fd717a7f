// tests/fuzz/fuzz_undname.c - libFuzzer target: MSVC name undecoration.
//
// Each input is one name (NULs included). Both output forms are produced into
// a buffer sized exactly to the answer, so an overrun shows under ASan, and
// into a tiny buffer to exercise truncation.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/undecorate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *name = (const char *)data;
	for (unsigned flags = 0; flags < 2; flags++) {
		char   small[4];
		size_t n   = dw_undecorate(small, sizeof(small), name, size, flags);
		char  *out = malloc(n + 1);
		if (out == NULL)
			return 0;
		size_t n2 = dw_undecorate(out, n + 1, name, size, flags);
		if (n2 != n || strlen(out) != n)
			abort(); // the result must be deterministic and NUL-free
		free(out);
	}
	dw_undecorate_is_decorated(name, size);
	return 0;
}
