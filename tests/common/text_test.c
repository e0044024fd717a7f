#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/text.h"

static char *
conv(dw_arena *a, const uint8_t *p, size_t n)
{
	char *s = NULL;
	cr_assert_eq(dw_utf16le_to_utf8(&s, a, p, n), DW_OK);
	return s;
}

Test(common_text, utf16_ascii_bmp_and_surrogates)
{
	dw_arena a;
	dw_arena_init(&a, 0);
	static const uint8_t ascii[] = {'C', 0, ':', 0, '\\', 0};
	cr_assert_str_eq(conv(&a, ascii, sizeof(ascii)), "C:\\");
	// U+00E9 (e acute) and U+20AC (euro) encode to 2 and 3 UTF-8 bytes.
	static const uint8_t bmp[] = {0xE9, 0x00, 0xAC, 0x20};
	cr_assert_str_eq(conv(&a, bmp, sizeof(bmp)), "\xC3\xA9\xE2\x82\xAC");
	// U+1F600 is the pair D83D DE00 and four UTF-8 bytes.
	static const uint8_t pair[] = {0x3D, 0xD8, 0x00, 0xDE};
	cr_assert_str_eq(conv(&a, pair, sizeof(pair)), "\xF0\x9F\x98\x80");
	dw_arena_fini(&a);
}

Test(common_text, utf16_bad_input_is_replaced_or_cut)
{
	dw_arena a;
	dw_arena_init(&a, 0);
	static const uint8_t lone[] = {0x00, 0xDC, 'a', 0};
	cr_assert_str_eq(conv(&a, lone, sizeof(lone)), "\xEF\xBF\xBD" "a");
	static const uint8_t odd[] = {'a', 0, 'b'};
	cr_assert_str_eq(conv(&a, odd, sizeof(odd)), "a", "a trailing odd byte is ignored");
	static const uint8_t nul[] = {'a', 0, 0, 0, 'b', 0};
	cr_assert_str_eq(conv(&a, nul, sizeof(nul)), "a", "a NUL unit ends the string");
	cr_assert_str_eq(conv(&a, NULL, 0), "");
	dw_arena_fini(&a);
}

Test(common_text, hex_upper)
{
	char out[9];
	static const uint8_t b[] = {0xDE, 0xAD, 0x0B, 0xE0};
	dw_hex_upper(out, b, 4);
	cr_assert_str_eq(out, "DEAD0BE0");
}

// dw_fmt_hex and dw_fmt_u against printf, over edge values and a spread of
// others (printf is the oracle the dump parser replaced).
Test(common_text, fmt_hex_and_decimal_match_printf)
{
	uint64_t vals[64] = {0, 1, 9, 10, 15, 16, 0xff, 0x100, 0xffffffffu, 0x100000000ull,
	                     UINT64_MAX, 0x8000000000000000ull};
	uint64_t s        = 88172645463325252ull;
	for (size_t i = 12; i < 64; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		vals[i] = s >> (i % 64);
	}
	for (size_t i = 0; i < 64; i++) {
		char got[24], want[24];
		for (unsigned w = 0; w <= 16; w += 4) {
			size_t n = dw_fmt_hex(got, vals[i], w, true);
			snprintf(want, sizeof(want), "%0*llX", (int)w, (unsigned long long)vals[i]);
			cr_expect_str_eq(got, want);
			cr_expect_eq(n, strlen(want));
			dw_fmt_hex(got, vals[i], w, false);
			snprintf(want, sizeof(want), "%0*llx", (int)w, (unsigned long long)vals[i]);
			cr_expect_str_eq(got, want);
		}
		size_t n = dw_fmt_u(got, vals[i]);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)vals[i]);
		cr_expect_str_eq(got, want);
		cr_expect_eq(n, strlen(want));
	}
}
