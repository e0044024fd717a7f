#include <criterion/criterion.h>

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
