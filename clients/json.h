// clients/json.h - a streaming JSON writer for the client's renderers.
//
// Output is valid JSON whatever strings it is given: every string is escaped
// (control characters as \u00XX, invalid UTF-8 bytes as U+FFFD), so names
// taken from a hostile dump cannot break a pipeline's parser.
#ifndef DW_CLIENTS_JSON_H
#define DW_CLIENTS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define DWC_JSON_MAX_DEPTH 64

typedef struct dwc_json {
	FILE *f;
	bool  pretty;
	int   depth;
	bool  first[DWC_JSON_MAX_DEPTH]; // no member written yet at this depth
	bool  after_key;                 // a key was written; the value follows
} dwc_json;

// dwc_json_init starts a document on f; pretty adds newlines and indentation.
void dwc_json_init(dwc_json *j, FILE *f, bool pretty);
// dwc_json_finish ends the document with a newline.
void dwc_json_finish(dwc_json *j);

void dwc_json_begin_object(dwc_json *j);
void dwc_json_end_object(dwc_json *j);
void dwc_json_begin_array(dwc_json *j);
void dwc_json_end_array(dwc_json *j);
void dwc_json_key(dwc_json *j, const char *key);

void dwc_json_string(dwc_json *j, const char *s); // NULL writes null
void dwc_json_uint(dwc_json *j, uint64_t v);
void dwc_json_int(dwc_json *j, int64_t v);
void dwc_json_double(dwc_json *j, double v);
void dwc_json_bool(dwc_json *j, bool v);
void dwc_json_null(dwc_json *j);
// dwc_json_hex writes v as the string "0x..." (lowercase, no padding), the
// form minidump-stackwalk uses for addresses.
void dwc_json_hex(dwc_json *j, uint64_t v);
// dwc_json_hex_width writes "0x" and v zero-padded to `digits` hex digits.
void dwc_json_hex_width(dwc_json *j, uint64_t v, int digits);

// Key-value shorthands.
void dwc_json_kv_string(dwc_json *j, const char *key, const char *s);
void dwc_json_kv_uint(dwc_json *j, const char *key, uint64_t v);
void dwc_json_kv_int(dwc_json *j, const char *key, int64_t v);
void dwc_json_kv_bool(dwc_json *j, const char *key, bool v);
void dwc_json_kv_hex(dwc_json *j, const char *key, uint64_t v);

#endif
