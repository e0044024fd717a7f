#include "common/text.h"

#include "common/cur.h"

static size_t
utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

dw_err
dw_utf16le_to_utf8(char **out, dw_arena *a, const uint8_t *p, size_t nbytes)
{
	*out         = NULL;
	size_t units = nbytes / 2;
	// Each UTF-16 unit yields at most 3 UTF-8 bytes (a surrogate pair, two
	// units, yields 4), so 3 per unit plus the NUL always suffices.
	if (units > (SIZE_MAX - 1) / 3)
		return DW_ELIMIT;
	char *s = dw_arena_alloc(a, units * 3 + 1);
	if (s == NULL)
		return DW_ENOMEM;
	size_t o = 0;
	for (size_t i = 0; i < units; i++) {
		uint32_t u = dw_get_u16le(p + 2 * i);
		if (u == 0)
			break;
		if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units) {
			uint32_t lo = dw_get_u16le(p + 2 * i + 2);
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				i++;
			} else {
				u = 0xFFFD;
			}
		} else if (u >= 0xD800 && u <= 0xDFFF) {
			u = 0xFFFD;
		}
		o += utf8_put(s + o, u);
	}
	s[o] = '\0';
	*out = s;
	return DW_OK;
}

void
dw_hex_upper(char *out, const uint8_t *bytes, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		out[2 * i]     = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

size_t
dw_fmt_hex(char *out, uint64_t v, unsigned min_digits, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char        t[16];
	size_t      n = 0;
	do {
		t[n++] = digits[v & 15];
		v >>= 4;
	} while (v != 0);
	while (n < min_digits && n < sizeof(t))
		t[n++] = '0';
	for (size_t i = 0; i < n; i++)
		out[i] = t[n - 1 - i];
	out[n] = '\0';
	return n;
}

size_t
dw_fmt_u(char *out, uint64_t v)
{
	char   t[20];
	size_t n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		out[i] = t[n - 1 - i];
	out[n] = '\0';
	return n;
}
