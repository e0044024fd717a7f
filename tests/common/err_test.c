#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "common/limits.h"

Test(common_err, every_code_has_a_name_and_message)
{
	for (int code = DW_OK; code >= DW_EINVAL; code--) {
		cr_assert_neq(strcmp(dw_errname((dw_err)code), "DW_E?"), 0, "code %d unnamed", code);
		cr_assert_neq(strcmp(dw_strerror((dw_err)code), "unknown error"), 0);
	}
	cr_assert_str_eq(dw_errname(DW_ETRUNC), "DW_ETRUNC");
}

Test(common_err, fail_records_context_and_returns_code)
{
	dw_notes n;
	dw_notes_init(&n);
	cr_assert_eq(dw_fail(&n, DW_ECORRUPT, "thread list: %u entries", 7u), DW_ECORRUPT);
	dw_remark(&n, "just saying");
	cr_assert_eq(n.count, 2);
	cr_assert_eq(n.items[0].code, DW_ECORRUPT);
	cr_assert_str_eq(n.items[0].text, "thread list: 7 entries");
	cr_assert_eq(n.items[1].code, DW_OK);
	dw_notes_fini(&n);
	cr_assert_eq(n.count, 0);
}

Test(common_err, note_list_is_bounded)
{
	dw_notes n;
	dw_notes_init(&n);
	for (int i = 0; i < DW_MAX_NOTES + 50; i++)
		dw_fail(&n, DW_ETRUNC, "note %d", i);
	cr_assert_eq(n.count, DW_MAX_NOTES);
	cr_assert_eq(n.dropped, 50);
	dw_notes_fini(&n);
}

Test(common_err, long_note_is_cut_not_overflowed)
{
	dw_notes n;
	dw_notes_init(&n);
	char big[4 * DW_MAX_NOTE_TEXT];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	dw_fail(&n, DW_ELIMIT, "%s", big);
	cr_assert_eq(strlen(n.items[0].text), DW_MAX_NOTE_TEXT - 1);
	dw_notes_fini(&n);
}

Test(common_err, null_list_is_allowed)
{
	cr_assert_eq(dw_fail(NULL, DW_EIO, "ignored"), DW_EIO);
}
