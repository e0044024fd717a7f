// tests/fuzz/fuzz_walk.c - libFuzzer target: walk every thread of an
// arbitrary dump with an empty symbol provider (unwind data can then only
// come from the dump's own memory), touching every frame.
#include <stdint.h>

#include "walker/dump.h"
#include "walker/walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dw_dump *d = NULL;
	if (dw_dump_open_buffer(&d, data, size, NULL) != DW_OK)
		return 0;
	dw_symsrc empty = {0};
	dw_walk  *w     = NULL;
	if (dw_walk_dump(&w, d, &empty, NULL) == DW_OK) {
		size_t                n;
		const dw_thread_walk *t   = dw_walk_threads(w, &n);
		volatile uint64_t     sum = 0;
		for (size_t i = 0; i < n; i++) {
			for (size_t k = 0; k < t[i].stack.nframes; k++)
				sum += t[i].stack.frames[k].ip + t[i].stack.frames[k].trust;
			for (size_t k = 0; k < t[i].stack32.nframes; k++)
				sum += t[i].stack32.frames[k].ip;
		}
		(void)sum;
		dw_walk_free(w);
	}
	dw_dump_free(d);
	return 0;
}
