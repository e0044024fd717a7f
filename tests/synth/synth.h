// tests/synth/synth.h - write minidumps byte by byte for tests.
//
// Deliberately independent of walker/'s structures and constants (the
// rust-minidump "synth" idea): every layout is written here from the format
// description, so a reader bug cannot hide behind a shared definition.
// Building never fails: allocation failure aborts the test process.
#ifndef DW_TESTS_SYNTH_H
#define DW_TESTS_SYNTH_H

#include <stddef.h>
#include <stdint.h>

typedef struct dws_buf {
	uint8_t *data;
	size_t   len;
	size_t   cap;
} dws_buf;

void   dws_buf_fini(dws_buf *b);
void   dws_u8(dws_buf *b, uint8_t v);
void   dws_u16(dws_buf *b, uint16_t v);
void   dws_u32(dws_buf *b, uint32_t v);
void   dws_u64(dws_buf *b, uint64_t v);
void   dws_bytes(dws_buf *b, const void *p, size_t n);
void   dws_zeros(dws_buf *b, size_t n);
void   dws_align(dws_buf *b, size_t a);
// dws_patch_u32 overwrites 4 bytes at off (which must already exist).
void   dws_patch_u32(dws_buf *b, size_t off, uint32_t v);
void   dws_patch_u64(dws_buf *b, size_t off, uint64_t v);
// dws_utf16 appends `s` (ASCII/UTF-8 BMP only) as UTF-16LE without a length or NUL.
size_t dws_utf16(dws_buf *b, const char *s);

// A minidump under construction: header and a directory with room for
// `max_streams` entries, then stream data and side blobs in append order.
typedef struct dws_dump {
	dws_buf  b;
	size_t   max_streams;
	size_t   nstreams;
	size_t   open_stream; // offset where the current stream began, or SIZE_MAX
	uint32_t open_type;
} dws_dump;

// dws_dump_init writes a header (signature MDMP, version 0xA793, flags) and an
// empty directory of max_streams entries (type 0 = unused).
void dws_dump_init(dws_dump *d, size_t max_streams, uint64_t flags, uint32_t time_date_stamp);
void dws_dump_fini(dws_dump *d);

// dws_stream_begin starts a stream of `type` at the current end (4-aligned);
// everything appended until dws_stream_end is its data. Returns its RVA.
uint32_t dws_stream_begin(dws_dump *d, uint32_t type);
void     dws_stream_end(dws_dump *d);
// dws_stream_raw adds a directory entry with arbitrary values (for broken dumps).
void     dws_stream_raw(dws_dump *d, uint32_t type, uint32_t rva, uint32_t size);

// dws_string appends a MINIDUMP_STRING (u32 byte length, UTF-16LE, NUL unit)
// outside any stream and returns its RVA. Call it between streams.
uint32_t dws_string(dws_dump *d, const char *s);
// dws_blob appends raw bytes (4-aligned) outside any stream; returns the RVA.
uint32_t dws_blob(dws_dump *d, const void *p, size_t n);

// dws_dump_finish patches the stream count; returns the bytes (owned by d).
const uint8_t *dws_dump_finish(dws_dump *d, size_t *len);

// dws_write_file writes bytes to `path`; returns 0 on success.
int dws_write_file(const char *path, const uint8_t *p, size_t n);

#endif
