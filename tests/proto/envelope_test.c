#include <criterion/criterion.h>
#include <stdlib.h>

#include "dumpwalk/v1/envelope.pb-c.h"

// The bytes below were worked out by hand from the protobuf encoding rules:
// field 1 (method, length-delimited) = tag 0x0a, field 2 (request_id, varint)
// = tag 0x10, 300 = 0xac 0x02, field 5 (payload) = tag 0x2a.
static const uint8_t expected_wire[] = {
    0x0a, 0x0d, 'd', 'u', 'm', 'p', 'w', 'a', 'l', 'k', '.', 'v', '1', '/', 'X',
    0x10, 0xac, 0x02,
    0x2a, 0x03, 0x01, 0x02, 0x03,
};

Test(proto_envelope, encodes_as_protobuf_wire_format)
{
	Dumpwalk__V1__Envelope e = DUMPWALK__V1__ENVELOPE__INIT;
	static uint8_t         payload[] = {1, 2, 3};
	e.method                         = "dumpwalk.v1/X";
	e.request_id                     = 300;
	e.payload.data                   = payload;
	e.payload.len                    = sizeof(payload);
	size_t n                         = dumpwalk__v1__envelope__get_packed_size(&e);
	cr_assert_eq(n, sizeof(expected_wire));
	uint8_t buf[64];
	dumpwalk__v1__envelope__pack(&e, buf);
	cr_assert_arr_eq(buf, expected_wire, sizeof(expected_wire));
}

Test(proto_envelope, decodes_and_rejects_truncation)
{
	Dumpwalk__V1__Envelope *e =
	    dumpwalk__v1__envelope__unpack(NULL, sizeof(expected_wire), expected_wire);
	cr_assert_not_null(e);
	cr_assert_str_eq(e->method, "dumpwalk.v1/X");
	cr_assert_eq(e->request_id, 300);
	cr_assert_eq(e->payload.len, 3);
	dumpwalk__v1__envelope__free_unpacked(e, NULL);
	// Cut inside the payload: the decoder must refuse, not read past the end.
	cr_assert_null(dumpwalk__v1__envelope__unpack(NULL, sizeof(expected_wire) - 1, expected_wire));
}

Test(proto_reply, status_codes_match_grpc_numbering)
{
	cr_assert_eq(DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT, 3);
	cr_assert_eq(DUMPWALK__V1__STATUS_CODE__DEADLINE_EXCEEDED, 4);
	cr_assert_eq(DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED, 8);
	cr_assert_eq(DUMPWALK__V1__STATUS_CODE__INTERNAL, 13);
	cr_assert_eq(DUMPWALK__V1__STATUS_CODE__UNAVAILABLE, 14);
	cr_assert_eq(DUMPWALK__V1__STATUS_CODE__UNAUTHENTICATED, 16);
}
