// common/cur.h - the bounds-checked cursor through which all untrusted bytes are read.
//
// A cursor is a window [base, base+len) with a read offset. Every read checks
// the bytes left; a short read sets a sticky error (DW_ETRUNC), returns zero and
// makes every later read return zero too, so a parser may read a whole record
// and check `c->err` once before using any value as an offset, count or index.
// Values are assembled byte by byte in little-endian order: no struct overlays,
// no alignment assumptions.
#ifndef DW_COMMON_CUR_H
#define DW_COMMON_CUR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct dw_cur {
	const uint8_t *base; // first byte of the window
	size_t         len;  // window length
	size_t         off;  // next read; always <= len
	dw_err         err;  // sticky: first failure
} dw_cur;

// dw_cur_init makes a cursor over [base, base+len) at offset 0.
void dw_cur_init(dw_cur *out, const void *base, size_t len);

// dw_cur_window makes `out` a cursor over [off, off+len) of c's window (offsets
// relative to c->base, independent of c->off). It fails with DW_ETRUNC, leaving
// `out` empty with that error, when the range overflows or leaves the window.
// rust-minidump calls this location_slice.
dw_err dw_cur_window(dw_cur *out, const dw_cur *c, uint64_t off, uint64_t len);

// dw_cur_tail makes `out` a cursor over [off, end of c's window).
dw_err dw_cur_tail(dw_cur *out, const dw_cur *c, uint64_t off);

// dw_cur_seek moves the read offset to `off` (absolute in the window).
dw_err dw_cur_seek(dw_cur *c, uint64_t off);
// dw_cur_skip advances the read offset by n bytes.
dw_err dw_cur_skip(dw_cur *c, uint64_t n);

// dw_cur_left returns the bytes left to read (0 once an error is set).
size_t dw_cur_left(const dw_cur *c);

uint8_t  dw_cur_u8(dw_cur *c);
uint16_t dw_cur_u16le(dw_cur *c);
uint32_t dw_cur_u32le(dw_cur *c);
uint64_t dw_cur_u64le(dw_cur *c);
int32_t  dw_cur_i32le(dw_cur *c);
uint16_t dw_cur_u16be(dw_cur *c);
uint32_t dw_cur_u32be(dw_cur *c);

// dw_cur_bytes returns a borrowed pointer to the next n bytes and advances, or
// NULL (setting DW_ETRUNC) when fewer than n are left. n == 0 returns a valid
// pointer to the current position.
const uint8_t *dw_cur_bytes(dw_cur *c, size_t n);

// dw_cur_copy copies the next n bytes into dst (zero-filling dst on failure).
dw_err dw_cur_copy(dw_cur *c, void *dst, size_t n);

// dw_cur_count checks that `n` records of `elem` bytes fit in what is left and
// that n <= cap, before the caller allocates for them (rust-minidump's
// ensure_count_in_bound plus a limit). DW_ELIMIT for the cap, DW_ETRUNC for the
// bytes; neither sets the sticky error, so a caller may fall back to fewer.
dw_err dw_cur_count(const dw_cur *c, uint64_t n, size_t elem, uint64_t cap);

// dw_cur_cstr reads a NUL-terminated string of at most max bytes (without the
// NUL) and advances past the NUL; *out_len receives its length. Returns a
// borrowed, NUL-terminated pointer into the window, or NULL with DW_ETRUNC when
// no NUL appears before the window or max ends.
const char *dw_cur_cstr(dw_cur *c, size_t max, size_t *out_len);

// Raw little-endian getters for bytes a cursor has already bounds-checked.
static inline uint16_t
dw_get_u16le(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t
dw_get_u32le(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}
static inline uint64_t
dw_get_u64le(const uint8_t *p)
{
	return (uint64_t)dw_get_u32le(p) | ((uint64_t)dw_get_u32le(p + 4) << 32);
}

#endif
