#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"

const char *
dw_strerror(dw_err code)
{
	switch (code) {
	case DW_OK: return "success";
	case DW_ENOMEM: return "out of memory";
	case DW_ETRUNC: return "input truncated";
	case DW_ECORRUPT: return "input corrupt";
	case DW_ELIMIT: return "input exceeds a limit";
	case DW_EUNSUPPORTED: return "unsupported";
	case DW_ENOTFOUND: return "not found";
	case DW_EIO: return "I/O error";
	case DW_ENET: return "network error";
	case DW_ETIMEDOUT: return "timed out";
	case DW_EPROTO: return "protocol error";
	case DW_EINVAL: return "invalid argument";
	}
	return "unknown error";
}

const char *
dw_errname(dw_err code)
{
	switch (code) {
	case DW_OK: return "DW_OK";
	case DW_ENOMEM: return "DW_ENOMEM";
	case DW_ETRUNC: return "DW_ETRUNC";
	case DW_ECORRUPT: return "DW_ECORRUPT";
	case DW_ELIMIT: return "DW_ELIMIT";
	case DW_EUNSUPPORTED: return "DW_EUNSUPPORTED";
	case DW_ENOTFOUND: return "DW_ENOTFOUND";
	case DW_EIO: return "DW_EIO";
	case DW_ENET: return "DW_ENET";
	case DW_ETIMEDOUT: return "DW_ETIMEDOUT";
	case DW_EPROTO: return "DW_EPROTO";
	case DW_EINVAL: return "DW_EINVAL";
	}
	return "DW_E?";
}

void
dw_notes_init(dw_notes *notes)
{
	memset(notes, 0, sizeof(*notes));
}

void
dw_notes_fini(dw_notes *notes)
{
	for (size_t i = 0; i < notes->count; i++)
		free(notes->items[i].text);
	free(notes->items);
	memset(notes, 0, sizeof(*notes));
}

static void
notes_vadd(dw_notes *notes, dw_err code, const char *fmt, va_list ap)
{
	if (notes == NULL)
		return;
	if (notes->count == notes->cap) {
		if (notes->cap >= DW_MAX_NOTES) {
			notes->dropped++;
			return;
		}
		size_t   ncap  = notes->cap ? notes->cap * 2 : 8;
		ncap           = ncap > DW_MAX_NOTES ? DW_MAX_NOTES : ncap;
		dw_note *items = realloc(notes->items, ncap * sizeof(*items));
		if (items == NULL) {
			notes->dropped++;
			return;
		}
		notes->items = items;
		notes->cap   = ncap;
	}
	char buf[DW_MAX_NOTE_TEXT];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	char *text = strdup(buf);
	if (text == NULL) {
		notes->dropped++;
		return;
	}
	notes->items[notes->count].code = code;
	notes->items[notes->count].text = text;
	notes->count++;
}

dw_err
dw_fail(dw_notes *notes, dw_err code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	notes_vadd(notes, code, fmt, ap);
	va_end(ap);
	return code;
}

void
dw_remark(dw_notes *notes, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	notes_vadd(notes, DW_OK, fmt, ap);
	va_end(ap);
}
