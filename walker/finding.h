// walker/finding.h - the finding model: what a detector concluded about a dump.
//
// A finding names one pattern of ../shared/PATTERNS.md exactly as the catalog
// spells it, says how sure it is (certain / likely / possible), explains itself
// in one line and carries its evidence: thread ids, addresses, values, module
// names and frames, each labelled with what it is, so an analyst can check it
// in seconds. Two other kinds share the same record:
//   - a "needs" finding: the detector could not run because a stream (or the
//     memory it reads) is not in the dump; `needed` names it. It is never a
//     claim that the pattern applies.
//   - a summary: facts a detector measured that support no claim by
//     themselves (handle counts by type, the memory layout), shown so an
//     analyst sees the numbers the verdict was made from.
//
// Everything lives in the dw_findings object's own arena; one
// dw_findings_free releases it. Not thread-safe; a finding list belongs to one
// analysis.
#ifndef DW_WALKER_FINDING_H
#define DW_WALKER_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef enum dw_confidence {
	DW_CONF_CERTAIN = 0, // the dump's own data says so (an exception code, a stream)
	DW_CONF_LIKELY,      // strong evidence, one inference
	DW_CONF_POSSIBLE,    // consistent with the evidence; check it
} dw_confidence;

// dw_confidence_name returns "certain", "likely" or "possible".
const char *dw_confidence_name(dw_confidence c);

typedef enum dw_finding_kind {
	DW_FINDING_PATTERN = 0, // the pattern applies to this dump
	DW_FINDING_NEEDS,       // the detector lacked `needed`; nothing is claimed
	DW_FINDING_SUMMARY,     // measured facts behind a detector; nothing is claimed
} dw_finding_kind;

// dw_finding_kind_name returns "pattern", "needs" or "summary".
const char *dw_finding_kind_name(dw_finding_kind k);

typedef enum dw_evidence_kind {
	DW_EV_THREAD = 0, // value: a thread id
	DW_EV_ADDRESS,    // value: an address in the process
	DW_EV_VALUE,      // value: a number (a code, a count, a size)
	DW_EV_MODULE,     // text: module name, value: its base
	DW_EV_FRAME,      // text: "module!function+off" or module+offset, value: the address
	DW_EV_TEXT,       // text only
} dw_evidence_kind;

// dw_evidence_kind_name returns "thread", "address", "value", "module", "frame" or "text".
const char *dw_evidence_kind_name(dw_evidence_kind k);

typedef struct dw_evidence {
	dw_evidence_kind kind;
	const char      *what;  // what the item is: "faulting thread", "data address"; never NULL
	uint64_t         value; // see the kind
	bool             has_value;
	const char      *text; // a name or a decoded value ("STATUS_ACCESS_VIOLATION"); may be NULL
} dw_evidence;

typedef struct dw_finding {
	dw_finding_kind   kind;
	const char       *pattern; // the catalog name (PATTERNS.md), never NULL
	dw_confidence     confidence;
	const char       *needed;      // DW_FINDING_NEEDS: the missing stream or memory
	const char       *explanation; // one line, never NULL
	const dw_evidence *evidence;
	size_t             nevidence;
	size_t             dropped; // evidence items past DW_MAX_FINDING_EVIDENCE, not kept
	// private: capacity of the evidence array
	size_t cap;
} dw_finding;

typedef struct dw_findings dw_findings;

// dw_findings_new makes an empty list with its own arena. *out is owned by the
// caller (dw_findings_free). DW_ENOMEM.
dw_err dw_findings_new(dw_findings **out);
// dw_findings_free releases the list and everything in it. NULL is fine.
void dw_findings_free(dw_findings *fs);

// dw_findings_add appends a pattern finding with a printf-style explanation and
// returns it (borrowed, valid until dw_findings_free), or NULL when memory ran
// out or DW_MAX_FINDINGS is reached (then dw_findings_error says which).
// `pattern` must be a static string: the catalog name. Every `fmt` of this
// header must be a string literal: one without conversions is kept as it is,
// not copied.
dw_finding *dw_findings_add(dw_findings *fs, const char *pattern, dw_confidence conf,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));
// dw_findings_need appends a "needs" finding: `pattern`'s detector could not
// run without `needed` (static string, "HandleData"); the explanation says
// what it would have looked at.
dw_finding *dw_findings_need(dw_findings *fs, const char *pattern, const char *needed,
                             const char *fmt, ...) __attribute__((format(printf, 4, 5)));
// dw_findings_summary appends a summary under `pattern` (the detector's name).
dw_finding *dw_findings_summary(dw_findings *fs, const char *pattern, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// Evidence on a finding (f may be NULL: the call does nothing, so a detector
// need not check every add). `what` must be a static string; `text` is copied.
void dw_finding_thread(dw_findings *fs, dw_finding *f, const char *what, uint32_t tid);
void dw_finding_address(dw_findings *fs, dw_finding *f, const char *what, uint64_t addr,
                        const char *text);
void dw_finding_value(dw_findings *fs, dw_finding *f, const char *what, uint64_t v,
                      const char *text);
void dw_finding_module(dw_findings *fs, dw_finding *f, const char *what, const char *name,
                       uint64_t base);
void dw_finding_frame(dw_findings *fs, dw_finding *f, const char *what, uint64_t addr,
                      const char *where);
void dw_finding_text(dw_findings *fs, dw_finding *f, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

// dw_findings_items returns the findings in the order they were added (borrowed).
const dw_finding *dw_findings_items(const dw_findings *fs, size_t *count);
// dw_findings_find returns the first finding of `kind` named `pattern`, or NULL.
const dw_finding *dw_findings_find(const dw_findings *fs, dw_finding_kind kind,
                                   const char *pattern);
// dw_findings_error returns DW_OK, or the first failure (DW_ENOMEM, DW_ELIMIT)
// that made an add or an evidence item get lost.
dw_err dw_findings_error(const dw_findings *fs);
// dw_findings_strdup copies a string into the list's arena (for detectors that
// build explanations or names); NULL when out of memory.
char *dw_findings_strdup(dw_findings *fs, const char *s);
char *dw_findings_printf(dw_findings *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// dw_evidence_has_thread says whether f's evidence names thread `tid`.
bool dw_finding_has_thread(const dw_finding *f, uint32_t tid);

#endif
