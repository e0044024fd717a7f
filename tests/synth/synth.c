#include "tests/synth/synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
grow(dws_buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap *= 2;
	uint8_t *p = realloc(b->data, cap);
	if (p == NULL)
		abort();
	b->data = p;
	b->cap  = cap;
}

void
dws_buf_fini(dws_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void
dws_bytes(dws_buf *b, const void *p, size_t n)
{
	grow(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

void
dws_zeros(dws_buf *b, size_t n)
{
	grow(b, n);
	memset(b->data + b->len, 0, n);
	b->len += n;
}

void
dws_u8(dws_buf *b, uint8_t v)
{
	dws_bytes(b, &v, 1);
}

void
dws_u16(dws_buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	dws_bytes(b, x, 2);
}

void
dws_u32(dws_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	dws_bytes(b, x, 4);
}

void
dws_u64(dws_buf *b, uint64_t v)
{
	dws_u32(b, (uint32_t)v);
	dws_u32(b, (uint32_t)(v >> 32));
}

void
dws_align(dws_buf *b, size_t a)
{
	while (b->len % a)
		dws_u8(b, 0);
}

void
dws_patch_u32(dws_buf *b, size_t off, uint32_t v)
{
	if (off + 4 > b->len)
		abort();
	for (int i = 0; i < 4; i++)
		b->data[off + i] = (uint8_t)(v >> (8 * i));
}

void
dws_patch_u64(dws_buf *b, size_t off, uint64_t v)
{
	dws_patch_u32(b, off, (uint32_t)v);
	dws_patch_u32(b, off + 4, (uint32_t)(v >> 32));
}

size_t
dws_utf16(dws_buf *b, const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		uint32_t cp;
		if (*p < 0x80) {
			cp = *p++;
		} else if ((*p & 0xE0) == 0xC0 && p[1]) {
			cp = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
			p += 2;
		} else if ((*p & 0xF0) == 0xE0 && p[1] && p[2]) {
			cp = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
			p += 3;
		} else {
			cp = '?';
			p++;
		}
		dws_u16(b, (uint16_t)cp);
		n += 2;
	}
	return n;
}

// MINIDUMP_HEADER is 32 bytes; the directory follows it directly here.
#define HEADER_BYTES 32
#define DIRENT_BYTES 12

void
dws_dump_init(dws_dump *d, size_t max_streams, uint64_t flags, uint32_t time_date_stamp)
{
	memset(d, 0, sizeof(*d));
	d->max_streams = max_streams;
	d->open_stream = SIZE_MAX;
	dws_u32(&d->b, 0x504d444d); // "MDMP"
	dws_u32(&d->b, 0xA793);
	dws_u32(&d->b, 0);            // stream count, patched by finish
	dws_u32(&d->b, HEADER_BYTES); // directory RVA
	dws_u32(&d->b, 0);            // checksum
	dws_u32(&d->b, time_date_stamp);
	dws_u64(&d->b, flags);
	dws_zeros(&d->b, max_streams * DIRENT_BYTES);
}

void
dws_dump_fini(dws_dump *d)
{
	dws_buf_fini(&d->b);
}

void
dws_stream_raw(dws_dump *d, uint32_t type, uint32_t rva, uint32_t size)
{
	if (d->nstreams >= d->max_streams)
		abort();
	size_t off = HEADER_BYTES + d->nstreams * DIRENT_BYTES;
	dws_patch_u32(&d->b, off, type);
	dws_patch_u32(&d->b, off + 4, size);
	dws_patch_u32(&d->b, off + 8, rva);
	d->nstreams++;
}

uint32_t
dws_stream_begin(dws_dump *d, uint32_t type)
{
	if (d->open_stream != SIZE_MAX)
		abort();
	dws_align(&d->b, 4);
	d->open_stream = d->b.len;
	d->open_type   = type;
	return (uint32_t)d->b.len;
}

void
dws_stream_end(dws_dump *d)
{
	if (d->open_stream == SIZE_MAX)
		abort();
	dws_stream_raw(d, d->open_type, (uint32_t)d->open_stream,
	               (uint32_t)(d->b.len - d->open_stream));
	d->open_stream = SIZE_MAX;
}

uint32_t
dws_string(dws_dump *d, const char *s)
{
	dws_align(&d->b, 4);
	uint32_t rva = (uint32_t)d->b.len;
	dws_u32(&d->b, 0);
	size_t n = dws_utf16(&d->b, s);
	dws_u16(&d->b, 0);
	dws_patch_u32(&d->b, rva, (uint32_t)n);
	return rva;
}

uint32_t
dws_blob(dws_dump *d, const void *p, size_t n)
{
	dws_align(&d->b, 4);
	uint32_t rva = (uint32_t)d->b.len;
	dws_bytes(&d->b, p, n);
	return rva;
}

const uint8_t *
dws_dump_finish(dws_dump *d, size_t *len)
{
	dws_patch_u32(&d->b, 8, (uint32_t)d->nstreams);
	*len = d->b.len;
	return d->b.data;
}

int
dws_write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	size_t w = fwrite(p, 1, n, f);
	return (fclose(f) == 0 && w == n) ? 0 : -1;
}
