// tests/fuzz/fuzz_request.c - libFuzzer target: AnalyzeRequest decoding that
// borrows the dump (daemon/request_decode.c), a hand-written walk over the
// protobuf wire format of every request the daemon receives.
//
// protobuf-c is the oracle: for every input both decoders must accept or
// refuse alike and agree on the source (dump bytes, upload id, path) and the
// output options. A borrowed dump must lie inside the input.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/request_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
same_str(const char *a, const char *b)
{
	return (a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool                          borrowed = false;
	Dumpwalk__V1__AnalyzeRequest *ours     = dwd_request_unpack(data, size, &borrowed);
	Dumpwalk__V1__AnalyzeRequest *theirs   = dumpwalk__v1__analyze_request__unpack(NULL, size, data);
	if ((ours == NULL) != (theirs == NULL))
		abort();
	if (ours != NULL) {
		if (ours->source_case != theirs->source_case)
			abort();
		switch (ours->source_case) {
		case DUMPWALK__V1__ANALYZE_REQUEST__SOURCE_DUMP:
			if (ours->dump.len != theirs->dump.len ||
			    (ours->dump.len != 0 && memcmp(ours->dump.data, theirs->dump.data, ours->dump.len) != 0))
				abort();
			if (borrowed && (ours->dump.data < data || ours->dump.len > size ||
			                 ours->dump.data + ours->dump.len > data + size))
				abort();
			break;
		case DUMPWALK__V1__ANALYZE_REQUEST__SOURCE_UPLOAD_ID:
			if (!same_str(ours->upload_id, theirs->upload_id))
				abort();
			break;
		case DUMPWALK__V1__ANALYZE_REQUEST__SOURCE_PATH:
			if (!same_str(ours->path, theirs->path))
				abort();
			break;
		default:
			break;
		}
		if ((ours->options == NULL) != (theirs->options == NULL) ||
		    (ours->options != NULL &&
		     ours->options->include_registers != theirs->options->include_registers))
			abort();
	} else if (borrowed)
		abort();
	dwd_request_free(ours, borrowed);
	dumpwalk__v1__analyze_request__free_unpacked(theirs, NULL);
	return 0;
}
