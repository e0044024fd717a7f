#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "clients/json.h"

static char *
render(void (*fn)(dwc_json *), bool pretty)
{
	char  *buf = NULL;
	size_t len = 0;
	FILE  *f   = open_memstream(&buf, &len);
	dwc_json j;
	dwc_json_init(&j, f, pretty);
	fn(&j);
	fclose(f);
	return buf;
}

static void
nested(dwc_json *j)
{
	dwc_json_begin_object(j);
	dwc_json_kv_string(j, "name", "ntdll.dll");
	dwc_json_kv_hex(j, "base", 0x7ffb1e4a0000ull);
	dwc_json_key(j, "list");
	dwc_json_begin_array(j);
	dwc_json_uint(j, 1);
	dwc_json_int(j, -2);
	dwc_json_bool(j, true);
	dwc_json_null(j);
	dwc_json_begin_object(j);
	dwc_json_end_object(j);
	dwc_json_end_array(j);
	dwc_json_kv_string(j, "none", NULL);
	dwc_json_end_object(j);
}

Test(clients_json, compact_nesting_and_separators)
{
	char *s = render(nested, false);
	cr_assert_str_eq(s, "{\"name\":\"ntdll.dll\",\"base\":\"0x7ffb1e4a0000\",\"list\":[1,-2,true,"
	                    "null,{}],\"none\":null}");
	free(s);
}

Test(clients_json, pretty_output_indents)
{
	char *s = render(nested, true);
	cr_assert_str_eq(s, "{\n  \"name\": \"ntdll.dll\",\n  \"base\": \"0x7ffb1e4a0000\",\n  "
	                    "\"list\": [\n    1,\n    -2,\n    true,\n    null,\n    {}\n  ],\n  "
	                    "\"none\": null\n}");
	free(s);
}

static void
hostile(dwc_json *j)
{
	// A quote, a backslash, control bytes, DEL, a valid 2-byte sequence, an
	// overlong encoding of '/', a lone continuation byte and a truncated lead.
	dwc_json_string(j, "a\"b\\c\n\x01\x7f\xc3\xa9\xc0\xaf\x80\xe2\x82");
}

Test(clients_json, hostile_strings_stay_valid_json)
{
	char *s = render(hostile, false);
	cr_assert_str_eq(s, "\"a\\\"b\\\\c\\n\\u0001\\u007f\xc3\xa9\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	free(s);
}
