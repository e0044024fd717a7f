// tests/fuzz/fuzz_residue.c - libFuzzer target: walk an arbitrary dump with an
// empty symbol provider, scan every thread's raw stack for residue and hidden
// exceptions (walking each recovered context), run the residue detectors and
// build a signature, touching every word and frame.
#include <stdint.h>

#include "walker/classify.h"
#include "walker/dump.h"
#include "walker/finding.h"
#include "walker/residue.h"
#include "walker/signature.h"
#include "walker/walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dw_dump *d = NULL;
	if (dw_dump_open_buffer(&d, data, size, NULL) != DW_OK)
		return 0;
	dw_symsrc   empty = {0};
	dw_walk    *w     = NULL;
	dw_residue *r     = NULL;
	if (dw_walk_dump(&w, d, &empty, NULL) == DW_OK && dw_residue_scan(&r, w, NULL) == DW_OK) {
		size_t               n;
		const dw_res_thread *t   = dw_residue_threads(r, &n);
		volatile uint64_t    sum = 0;
		for (size_t i = 0; i < n; i++) {
			for (size_t k = 0; k < t[i].nwords; k++)
				sum += t[i].words[k].value + (uint64_t)t[i].words[k].cls +
				       (t[i].words[k].text != NULL ? (uint8_t)t[i].words[k].text[0] : 0);
			for (size_t h = 0; h < t[i].nhidden; h++)
				for (size_t k = 0; k < t[i].hidden[h].stack.nframes; k++)
					sum += t[i].hidden[h].stack.frames[k].ip;
		}
		(void)sum;
		dw_findings *fs = NULL;
		if (dw_findings_new(&fs) == DW_OK) {
			(void)dw_classify_walk(fs, d, w, NULL);
			(void)dw_residue_classify(fs, r);
			dw_signature *s = NULL;
			if (dw_signature_make(&s, w, fs, r, NULL) == DW_OK)
				dw_signature_free(s);
			dw_findings_free(fs);
		}
	}
	dw_residue_free(r);
	dw_walk_free(w);
	dw_dump_free(d);
	return 0;
}
