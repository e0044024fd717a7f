// common/text.h - text conversions for strings found in untrusted files.
#ifndef DW_COMMON_TEXT_H
#define DW_COMMON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"

// dw_utf16le_to_utf8 converts `nbytes` of UTF-16LE (an odd trailing byte is
// ignored, a NUL unit ends the string) into a NUL-terminated UTF-8 string in
// the arena. Unpaired surrogates become U+FFFD, as Windows tools display them.
// *out is NULL on failure. DW_ENOMEM when the arena refuses.
dw_err dw_utf16le_to_utf8(char **out, dw_arena *a, const uint8_t *p, size_t nbytes);

// dw_hex_upper writes 2*n uppercase hex digits of bytes and a NUL into out
// (which holds at least 2*n+1 bytes).
void dw_hex_upper(char *out, const uint8_t *bytes, size_t n);

// dw_fmt_hex writes v in hex, at least min_digits digits (zero-padded),
// uppercase or not, and a NUL into out (17 bytes hold any); returns the
// number of digits. dw_fmt_u writes v in decimal and a NUL (21 bytes hold
// any); returns the number of digits. printf's "%0*X", "%x" and "%u" without
// its cost: a dump's every module asks for several (debug and code ids).
size_t dw_fmt_hex(char *out, uint64_t v, unsigned min_digits, bool upper);
size_t dw_fmt_u(char *out, uint64_t v);

#endif
