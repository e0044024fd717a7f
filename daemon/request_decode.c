// daemon/request_decode.c - AnalyzeRequest decoding that borrows the dump.
#include "daemon/request_decode.h"

#include <stdlib.h>
#include <string.h>

#include "common/cur.h"

// A protobuf varint (https://protobuf.dev/programming-guides/encoding/):
// at most 10 bytes; a longer or cut one sets c->err.
static uint64_t
cur_varint(dw_cur *c)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		uint8_t b = dw_cur_u8(c);
		if (c->err != DW_OK)
			return 0;
		v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			return v;
	}
	c->err = DW_ECORRUPT;
	return 0;
}

// AnalyzeRequest's field numbers (proto/dumpwalk/v1/analyzer.proto): the
// `source` oneof.
enum { AR_DUMP = 1, AR_UPLOAD_ID = 2, AR_PATH = 3 };

// Two passes: where the dump is and which `source` member comes last, then
// every other field (the oneof's other members too) copied out for
// protobuf-c, which validates them as it always did (UTF-8 of strings,
// varint lengths, wire types). The dump fields it does not see must be
// canonical: key 0x0A and a minimal length of at most 4 bytes (256 MiB, past
// any message the daemon accepts). Anything else (groups, a cut field, an
// overlong varint) goes to protobuf-c whole, so what it refuses is still
// refused. Folklore: fuzz_request found both gaps in its first 16 CPU-s: an
// earlier upload_id that was not UTF-8, and a dump length written as an
// 8-byte varint, accepted here and refused by protobuf-c.
Dumpwalk__V1__AnalyzeRequest *
dwd_request_unpack(const uint8_t *p, size_t n, bool *borrowed)
{
	*borrowed = false;
	dw_cur c;
	dw_cur_init(&c, p, n);
	const uint8_t *dump = NULL;
	size_t         dump_len = 0, keep = 0;
	uint64_t       last_source = 0;
	bool           odd         = false; // a dump field in a form protobuf-c might refuse
	// Pass 1: where the dump is, which oneof member comes last, how many
	// bytes the other fields take.
	while (dw_cur_left(&c) > 0 && c.err == DW_OK) {
		size_t   start = c.off;
		uint64_t key   = cur_varint(&c), field = key >> 3;
		switch (key & 7) {
		case 0: (void)cur_varint(&c); break;
		case 1: (void)dw_cur_skip(&c, 8); break;
		case 5: (void)dw_cur_skip(&c, 4); break;
		case 2: {
			size_t         at   = c.off;
			uint64_t       len  = cur_varint(&c);
			size_t         lw   = c.off - at;
			if (field == AR_DUMP && (p[start] != 0x0A || lw > 4 || (lw > 1 && p[c.off - 1] == 0)))
				odd = true;
			const uint8_t *data = c.err == DW_OK && len <= dw_cur_left(&c)
			                          ? dw_cur_bytes(&c, (size_t)len)
			                          : NULL;
			if (data == NULL)
				c.err = DW_ETRUNC;
			else if (field == AR_DUMP) {
				dump     = data;
				dump_len = (size_t)len;
			}
			if (field == AR_DUMP || field == AR_UPLOAD_ID || field == AR_PATH)
				last_source = field;
			break;
		}
		default: c.err = DW_EUNSUPPORTED; break;
		}
		if (field != AR_DUMP || (key & 7) != 2)
			keep += c.off - start;
	}
	if (c.err != DW_OK || odd || last_source != AR_DUMP)
		return dumpwalk__v1__analyze_request__unpack(NULL, n, p);
	// Pass 2: the fields protobuf-c still decodes, in their order.
	uint8_t *rest = malloc(keep ? keep : 1);
	if (rest == NULL)
		return NULL;
	size_t o = 0;
	dw_cur_init(&c, p, n);
	while (dw_cur_left(&c) > 0) {
		size_t   start = c.off;
		uint64_t key   = cur_varint(&c), field = key >> 3;
		switch (key & 7) {
		case 0: (void)cur_varint(&c); break;
		case 1: (void)dw_cur_skip(&c, 8); break;
		case 5: (void)dw_cur_skip(&c, 4); break;
		default: (void)dw_cur_skip(&c, cur_varint(&c)); break;
		}
		if ((key & 7) != 2 || field != AR_DUMP) {
			memcpy(rest + o, p + start, c.off - start);
			o += c.off - start;
		}
	}
	Dumpwalk__V1__AnalyzeRequest *q = dumpwalk__v1__analyze_request__unpack(NULL, o, rest);
	free(rest);
	if (q != NULL) {
		// An earlier member of the oneof, validated and then overridden by
		// the dump after it, as protobuf-c's own decoding would.
		if (q->source_case == DUMPWALK__V1__ANALYZE_REQUEST__SOURCE_UPLOAD_ID)
			free(q->upload_id);
		else if (q->source_case == DUMPWALK__V1__ANALYZE_REQUEST__SOURCE_PATH)
			free(q->path);
		q->source_case = DUMPWALK__V1__ANALYZE_REQUEST__SOURCE_DUMP;
		q->dump.data   = (uint8_t *)dump;
		q->dump.len    = dump_len;
		*borrowed      = true;
	}
	return q;
}

void
dwd_request_free(Dumpwalk__V1__AnalyzeRequest *q, bool borrowed)
{
	if (q != NULL && borrowed) {
		q->dump.data   = NULL;
		q->dump.len    = 0;
		q->source_case = DUMPWALK__V1__ANALYZE_REQUEST__SOURCE__NOT_SET;
	}
	dumpwalk__v1__analyze_request__free_unpacked(q, NULL);
}
