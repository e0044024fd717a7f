#include <criterion/criterion.h>
#include <stdint.h>

#include "common/cur.h"
#include "common/limits.h"

static const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a};

Test(common_cur, reads_little_endian_values_byte_by_byte)
{
	dw_cur c;
	dw_cur_init(&c, bytes, sizeof(bytes));
	cr_assert_eq(dw_cur_u8(&c), 0x01);
	cr_assert_eq(dw_cur_u16le(&c), 0x0302);
	cr_assert_eq(dw_cur_u32le(&c), 0x07060504u);
	cr_assert_eq(c.off, 7);
	cr_assert_eq(dw_cur_left(&c), 3);
	cr_assert_eq(c.err, DW_OK);
}

Test(common_cur, u64_is_low_word_first)
{
	dw_cur c;
	dw_cur_init(&c, bytes, sizeof(bytes));
	cr_assert_eq(dw_cur_u64le(&c), 0x0807060504030201ull);
}

Test(common_cur, big_endian_getters)
{
	dw_cur c;
	dw_cur_init(&c, bytes, sizeof(bytes));
	cr_assert_eq(dw_cur_u16be(&c), 0x0102);
	cr_assert_eq(dw_cur_u32be(&c), 0x03040506u);
}

Test(common_cur, short_read_is_sticky_and_returns_zero)
{
	dw_cur c;
	dw_cur_init(&c, bytes, 3);
	cr_assert_eq(dw_cur_u16le(&c), 0x0201);
	cr_assert_eq(dw_cur_u32le(&c), 0, "a read past the end returns 0");
	cr_assert_eq(c.err, DW_ETRUNC);
	// One byte is left, but the error is sticky: no later read succeeds.
	cr_assert_eq(dw_cur_u8(&c), 0);
	cr_assert_eq(dw_cur_left(&c), 0);
	cr_assert_eq(c.off, 2, "a failed read does not move the cursor");
}

Test(common_cur, window_stays_inside_parent)
{
	dw_cur c, w;
	dw_cur_init(&c, bytes, sizeof(bytes));
	cr_assert_eq(dw_cur_window(&w, &c, 2, 4), DW_OK);
	cr_assert_eq(dw_cur_u32le(&w), 0x06050403u);
	cr_assert_eq(dw_cur_u8(&w), 0);
	cr_assert_eq(w.err, DW_ETRUNC, "the window ends where it was cut, not at the parent's end");

	cr_assert_eq(dw_cur_window(&w, &c, 8, 3), DW_ETRUNC);
	cr_assert_eq(w.len, 0);
	cr_assert_eq(w.err, DW_ETRUNC);
	cr_assert_eq(dw_cur_window(&w, &c, 10, 0), DW_OK, "an empty window at the end is fine");
	cr_assert_eq(dw_cur_window(&w, &c, 11, 0), DW_ETRUNC);
}

Test(common_cur, window_rejects_offset_plus_length_overflow)
{
	dw_cur c, w;
	dw_cur_init(&c, bytes, sizeof(bytes));
	cr_assert_eq(dw_cur_window(&w, &c, 4, UINT64_MAX - 2), DW_ETRUNC);
	cr_assert_eq(dw_cur_window(&w, &c, UINT64_MAX, 2), DW_ETRUNC);
	cr_assert_eq(dw_cur_tail(&w, &c, UINT64_MAX), DW_ETRUNC);
}

Test(common_cur, count_checks_cap_then_bytes_left)
{
	dw_cur c;
	dw_cur_init(&c, bytes, sizeof(bytes));
	cr_assert_eq(dw_cur_count(&c, 2, 5, 10), DW_OK);
	cr_assert_eq(dw_cur_count(&c, 3, 5, 10), DW_ETRUNC);
	cr_assert_eq(dw_cur_count(&c, 11, 0, 10), DW_ELIMIT);
	// n * elem would overflow 64 bits; the check must not multiply.
	cr_assert_eq(dw_cur_count(&c, UINT64_MAX / 2, 4, UINT64_MAX), DW_ETRUNC);
	cr_assert_eq(c.err, DW_OK, "count checks do not poison the cursor");
}

Test(common_cur, skip_and_seek_are_bounded)
{
	dw_cur c;
	dw_cur_init(&c, bytes, sizeof(bytes));
	cr_assert_eq(dw_cur_seek(&c, 10), DW_OK);
	cr_assert_eq(dw_cur_left(&c), 0);
	cr_assert_eq(dw_cur_seek(&c, 4), DW_OK);
	cr_assert_eq(dw_cur_skip(&c, 7), DW_ETRUNC);
	cr_assert_eq(c.err, DW_ETRUNC);
}

Test(common_cur, bytes_and_copy)
{
	dw_cur c;
	dw_cur_init(&c, bytes, sizeof(bytes));
	const uint8_t *p = dw_cur_bytes(&c, 4);
	cr_assert_eq(p, bytes);
	uint8_t out[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	cr_assert_eq(dw_cur_copy(&c, out, 8), DW_ETRUNC);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(out[i], 0, "a failed copy leaves zeros, not stale bytes");
}

Test(common_cur, cstr_needs_terminator_within_limit)
{
	static const uint8_t s[] = {'a', 'b', 'c', 0, 'd', 'e'};
	dw_cur c;
	size_t n;
	dw_cur_init(&c, s, sizeof(s));
	const char *str = dw_cur_cstr(&c, 16, &n);
	cr_assert_str_eq(str, "abc");
	cr_assert_eq(n, 3);
	cr_assert_eq(c.off, 4);
	cr_assert_null(dw_cur_cstr(&c, 16, &n), "\"de\" has no NUL before the end");
	cr_assert_eq(c.err, DW_ETRUNC);

	dw_cur_init(&c, s, sizeof(s));
	cr_assert_null(dw_cur_cstr(&c, 2, &n), "limit 2 cannot hold \"abc\"");
}

Test(common_cur, null_base_is_an_empty_window)
{
	dw_cur c;
	dw_cur_init(&c, NULL, 100);
	cr_assert_eq(c.len, 0);
	cr_assert_eq(dw_cur_u8(&c), 0);
	cr_assert_eq(c.err, DW_ETRUNC);
}
