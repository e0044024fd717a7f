// tests/fuzz/fuzz_classify.c - libFuzzer target: every detector of
// walker/classify.h (with an unsymbolized walk), the findings renderers and `diff` on arbitrary dumps.
//
// The detectors follow pointers found in the dump (TEB -> PEB -> process
// parameters -> environment, ThrowInfo -> catchable types -> type names, PE
// headers -> export tables) and index HandleData, MemoryInfoList and
// ThreadInfoList; all of it is driven by the input here.
#include <stdint.h>
#include <stdio.h>

#include "clients/render_findings.h"
#include "walker/classify.h"
#include "walker/diff.h"
#include "walker/dump.h"
#include "walker/walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
		return 0;
	dw_dump *d = NULL;
	if (dw_dump_open_buffer(&d, data, size, NULL) != DW_OK)
		return 0;
	dw_findings *fs = NULL;
	if (dw_classify(&fs, d, NULL) == DW_OK) {
		dw_walk *w = NULL;
		if (dw_walk_dump(&w, d, NULL, NULL) == DW_OK)
			(void)dw_classify_walk(fs, d, w, NULL);
		dw_walk_free(w);
		dwc_findings_print_text(sink, fs);
		dwc_json j;
		dwc_json_init(&j, sink, false);
		dwc_findings_print_json(&j, fs);
		dwc_json_finish(&j);
		dw_findings_free(fs);
	}
	dw_diff *df = NULL;
	if (dw_diff_dumps(&df, d, d) == DW_OK)
		dw_diff_free(df);
	dw_dump_free(d);
	return 0;
}
