// daemon/request_decode.h - decoding a dumpwalk.v1.AnalyzeRequest without
// copying its dump.
//
// protobuf-c copies every bytes field, and the envelope's payload is already
// a copy of the message, so a 1 MiB dump was copied twice before its
// analysis started. The request's own fields are still decoded by protobuf-c;
// only the dump is borrowed. tests/fuzz/fuzz_request.c checks that the
// result always equals protobuf-c's.
#ifndef DW_DAEMON_REQUEST_DECODE_H
#define DW_DAEMON_REQUEST_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dumpwalk/v1/analyzer.pb-c.h"

// dwd_request_unpack decodes the AnalyzeRequest in [p, p+n) (untrusted) as
// protobuf-c would, except that when the dump is the request's `source`, q->dump
// points into p (which must outlive the request) and *borrowed is true.
// NULL for input protobuf-c refuses, or when out of memory.
Dumpwalk__V1__AnalyzeRequest *dwd_request_unpack(const uint8_t *p, size_t n, bool *borrowed);

// dwd_request_free releases what dwd_request_unpack returned (NULL is fine).
void dwd_request_free(Dumpwalk__V1__AnalyzeRequest *q, bool borrowed);

#endif
