// common/err.h - error codes and the bounded note list every parser reports into.
//
// Fallible functions return a dw_err and deliver results through out-parameters.
// Context is recorded once, where a problem is found, with dw_fail() into the
// note list of the object being built (libgit2's commit_graph_error idea); callers
// pass the code up unchanged. There is no thread-local "last error": jobs move
// between threads.
#ifndef DW_COMMON_ERR_H
#define DW_COMMON_ERR_H

#include <stddef.h>
#include <stdint.h>

typedef enum dw_err {
	DW_OK           = 0,
	DW_ENOMEM       = -1,  // allocation failed
	DW_ETRUNC       = -2,  // input ends before a structure it declares
	DW_ECORRUPT     = -3,  // input is self-inconsistent
	DW_ELIMIT       = -4,  // input exceeds a cap in common/limits.h
	DW_EUNSUPPORTED = -5,  // valid but not handled (unknown version, CPU)
	DW_ENOTFOUND    = -6,  // lookup missed
	DW_EIO          = -7,  // operating-system I/O failure
	DW_ENET         = -8,  // network failure
	DW_ETIMEDOUT    = -9,  // deadline passed
	DW_EPROTO       = -10, // peer broke the protocol
	DW_EINVAL       = -11, // caller passed a bad argument (our bug or user input)
} dw_err;

// dw_strerror returns a static, human description of code ("input truncated").
const char *dw_strerror(dw_err code);
// dw_errname returns the static symbolic name of code ("DW_ETRUNC").
const char *dw_errname(dw_err code);

// One diagnostic: what went wrong and where, in words a person can act on.
typedef struct dw_note {
	dw_err code; // DW_OK for a remark that is not a failure
	char  *text; // owned by the note list
} dw_note;

// A bounded list of notes. Once DW_MAX_NOTES are held, further notes are only
// counted in `dropped`, so a hostile input cannot grow it without bound.
typedef struct dw_notes {
	dw_note *items;
	size_t   count;
	size_t   cap;
	size_t   dropped;
} dw_notes;

// dw_notes_init prepares an empty list in caller storage; it never fails.
void dw_notes_init(dw_notes *notes);
// dw_notes_fini frees every note text and the array; the list is empty after.
void dw_notes_fini(dw_notes *notes);

// dw_fail appends a note with `code` and a printf-style message, and returns
// `code` so a parser can write `return dw_fail(&d->notes, DW_ETRUNC, ...)`.
// Out of memory while noting is swallowed (counted as dropped).
dw_err dw_fail(dw_notes *notes, dw_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// dw_remark appends an informational note (code DW_OK).
void dw_remark(dw_notes *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
