#include "clients/json.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

void
dwc_json_init(dwc_json *j, FILE *f, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->f        = f;
	j->pretty   = pretty;
	j->first[0] = true;
}

void
dwc_json_finish(dwc_json *j)
{
	fputc('\n', j->f);
}

static void
indent(dwc_json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

// Called before every value and key: writes the separator the position needs.
static void
before_item(dwc_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth == 0)
		return;
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	indent(j);
}

static void
open_container(dwc_json *j, char c)
{
	before_item(j);
	fputc(c, j->f);
	if (j->depth + 1 < DWC_JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void
close_container(dwc_json *j, char c)
{
	bool empty = j->first[j->depth];
	if (j->depth > 0)
		j->depth--;
	if (!empty)
		indent(j);
	fputc(c, j->f);
}

void
dwc_json_begin_object(dwc_json *j)
{
	open_container(j, '{');
}
void
dwc_json_end_object(dwc_json *j)
{
	close_container(j, '}');
}
void
dwc_json_begin_array(dwc_json *j)
{
	open_container(j, '[');
}
void
dwc_json_end_array(dwc_json *j)
{
	close_container(j, ']');
}

// Length of the valid UTF-8 sequence at s, or 0 if it is not one.
static size_t
utf8_seq(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t   n;
	uint32_t cp;
	if ((s[0] & 0xE0) == 0xC0) {
		n  = 2;
		cp = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n  = 3;
		cp = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n  = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

static void
write_escaped(FILE *f, const char *str)
{
	fputc('"', f);
	for (const unsigned char *s = (const unsigned char *)str; *s;) {
		unsigned char c = *s;
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			s++;
		} else if (c == '\n') {
			fputs("\\n", f);
			s++;
		} else if (c == '\r') {
			fputs("\\r", f);
			s++;
		} else if (c == '\t') {
			fputs("\\t", f);
			s++;
		} else if (c < 0x20 || c == 0x7F) {
			fprintf(f, "\\u%04x", c);
			s++;
		} else {
			size_t n = utf8_seq(s);
			if (n == 0) {
				fputs("\\ufffd", f);
				s++;
			} else {
				fwrite(s, 1, n, f);
				s += n;
			}
		}
	}
	fputc('"', f);
}

void
dwc_json_key(dwc_json *j, const char *key)
{
	before_item(j);
	write_escaped(j->f, key);
	fputs(j->pretty ? ": " : ":", j->f);
	j->after_key = true;
}

void
dwc_json_string(dwc_json *j, const char *s)
{
	before_item(j);
	if (s == NULL)
		fputs("null", j->f);
	else
		write_escaped(j->f, s);
}

void
dwc_json_uint(dwc_json *j, uint64_t v)
{
	before_item(j);
	fprintf(j->f, "%" PRIu64, v);
}

void
dwc_json_int(dwc_json *j, int64_t v)
{
	before_item(j);
	fprintf(j->f, "%" PRId64, v);
}

void
dwc_json_double(dwc_json *j, double v)
{
	before_item(j);
	if (isfinite(v))
		fprintf(j->f, "%.17g", v);
	else
		fputs("null", j->f);
}

void
dwc_json_bool(dwc_json *j, bool v)
{
	before_item(j);
	fputs(v ? "true" : "false", j->f);
}

void
dwc_json_null(dwc_json *j)
{
	before_item(j);
	fputs("null", j->f);
}

void
dwc_json_hex(dwc_json *j, uint64_t v)
{
	before_item(j);
	fprintf(j->f, "\"0x%" PRIx64 "\"", v);
}

void
dwc_json_hex_width(dwc_json *j, uint64_t v, int digits)
{
	before_item(j);
	fprintf(j->f, "\"0x%0*" PRIx64 "\"", digits, v);
}

void
dwc_json_kv_string(dwc_json *j, const char *key, const char *s)
{
	dwc_json_key(j, key);
	dwc_json_string(j, s);
}
void
dwc_json_kv_uint(dwc_json *j, const char *key, uint64_t v)
{
	dwc_json_key(j, key);
	dwc_json_uint(j, v);
}
void
dwc_json_kv_int(dwc_json *j, const char *key, int64_t v)
{
	dwc_json_key(j, key);
	dwc_json_int(j, v);
}
void
dwc_json_kv_bool(dwc_json *j, const char *key, bool v)
{
	dwc_json_key(j, key);
	dwc_json_bool(j, v);
}
void
dwc_json_kv_hex(dwc_json *j, const char *key, uint64_t v)
{
	dwc_json_key(j, key);
	dwc_json_hex(j, v);
}
