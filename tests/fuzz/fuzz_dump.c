// tests/fuzz/fuzz_dump.c - libFuzzer target: the minidump reader and the
// `dumpwalk dump` renderers on arbitrary bytes.
//
// Everything a client would touch is touched: every accessor, memory reads at
// each thread's stack and at the exception address, module lookups, and both
// renderers (to /dev/null), so a bad index anywhere in reading or printing shows.
#include <stdint.h>
#include <stdio.h>

#include "clients/dump_print.h"
#include "walker/dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
		return 0;
	dw_notes notes;
	dw_notes_init(&notes);
	dw_dump *d = NULL;
	if (dw_dump_open_buffer(&d, data, size, &notes) != DW_OK) {
		dw_notes_fini(&notes);
		return 0;
	}
	dw_notes_fini(&notes);

	size_t              n;
	const dw_md_thread *threads = dw_dump_threads(d, &n);
	for (size_t i = 0; i < n; i++) {
		uint8_t buf[64];
		size_t  got;
		dw_dump_read(d, threads[i].stack.start, buf, sizeof(buf), &got);
		dw_dump_read(d, threads[i].stack.start + threads[i].stack.loc.size - 8, buf, 16, &got);
		dw_dump_module_at(d, threads[i].stack.start);
		dw_dump_thread_find(d, threads[i].thread_id);
	}
	const dw_md_exception *ex = dw_dump_exception(d);
	if (ex != NULL) {
		size_t avail;
		dw_dump_memory_at(d, ex->address, &avail);
		dw_dump_module_at(d, ex->address);
	}
	dwc_dump_print_text(sink, d);
	dwc_dump_print_json(sink, d, false);
	dw_dump_free(d);
	return 0;
}
