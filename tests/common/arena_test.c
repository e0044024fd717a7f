#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "common/arena.h"

Test(common_arena, allocations_are_zeroed_aligned_and_distinct)
{
	dw_arena a;
	dw_arena_init(&a, 0);
	uint8_t *p = dw_arena_alloc(&a, 24);
	uint8_t *q = dw_arena_alloc(&a, 1);
	cr_assert_not_null(p);
	cr_assert_not_null(q);
	cr_assert_eq((uintptr_t)p % 16, 0);
	cr_assert_eq((uintptr_t)q % 16, 0);
	cr_assert(q >= p + 24 || q + 1 <= p, "allocations must not overlap");
	for (int i = 0; i < 24; i++)
		cr_assert_eq(p[i], 0);
	dw_arena_fini(&a);
}

Test(common_arena, grows_past_first_chunk)
{
	dw_arena a;
	dw_arena_init(&a, 0);
	// 100 KiB in 1000 pieces spans many chunks; write all to let ASan check.
	for (int i = 0; i < 1000; i++) {
		uint8_t *p = dw_arena_alloc(&a, 100);
		cr_assert_not_null(p);
		memset(p, 0xAB, 100);
	}
	uint8_t *big = dw_arena_alloc(&a, 1 << 20);
	cr_assert_not_null(big);
	memset(big, 1, 1 << 20);
	dw_arena_fini(&a);
}

Test(common_arena, ceiling_refuses_instead_of_growing)
{
	dw_arena a;
	dw_arena_init(&a, 1000);
	cr_assert_not_null(dw_arena_alloc(&a, 512));
	cr_assert(!a.over_ceiling);
	cr_assert_null(dw_arena_alloc(&a, 512), "512+512 rounds past the 1000-byte ceiling");
	cr_assert(a.over_ceiling, "the refusal is attributed to the ceiling, not to malloc");
	cr_assert_not_null(dw_arena_alloc(&a, 100));
	dw_arena_fini(&a);
}

Test(common_arena, array_rejects_multiplication_overflow)
{
	dw_arena a;
	dw_arena_init(&a, 0);
	cr_assert_null(dw_arena_array(&a, SIZE_MAX / 2, 4));
	cr_assert_null(dw_arena_alloc(&a, SIZE_MAX));
	dw_arena_fini(&a);
}

Test(common_arena, string_helpers)
{
	dw_arena a;
	dw_arena_init(&a, 0);
	cr_assert_str_eq(dw_arena_strndup(&a, "kernel32.dll!", 12), "kernel32.dll");
	cr_assert_str_eq(dw_arena_strdup(&a, "ntdll"), "ntdll");
	cr_assert_str_eq(dw_arena_printf(&a, "%s+0x%x", "main", 0x2a), "main+0x2a");
	dw_arena_fini(&a);
}

Test(common_arena, memdup_copies_and_refuses_overflow)
{
	dw_arena a;
	dw_arena_init(&a, 0);
	uint32_t  src[5] = {1, 2, 3, 0xdeadbeef, 5};
	uint32_t *p      = dw_arena_memdup(&a, src, 5, sizeof(src[0]));
	cr_assert_not_null(p);
	cr_expect_eq(((uintptr_t)p) % 16, 0, "aligned like every arena block");
	cr_expect_arr_eq(p, src, sizeof(src));
	cr_expect_null(dw_arena_memdup(&a, src, SIZE_MAX / 2, 4), "n * size overflows");
	dw_arena_fini(&a);
}
