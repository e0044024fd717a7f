// clients/report_render.h - renders an AnalysisReport (dumpwalk/v1/report.proto)
// as text for people (a debugger session: .exr, findings, k, lm), JSON for
// pipelines (minidump-stackwalk's keys plus a "dumpwalk" object) or
// Breakpad's machine-readable lines (clients/report_breakpad.c).
//
// The renderers read only the report, never a dump: `dumpwalk analyze` via
// the daemon and with --local hand them the same message, so the output of
// the two is byte-identical.
#ifndef DW_CLIENTS_REPORT_RENDER_H
#define DW_CLIENTS_REPORT_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "dumpwalk/v1/report.pb-c.h"

typedef enum dwc_format {
	DWC_FORMAT_TEXT,
	DWC_FORMAT_JSON,
	DWC_FORMAT_JSON_PRETTY,
	DWC_FORMAT_BREAKPAD, // minidump_stackwalk -m (machine-readable) lines
} dwc_format;

// dwc_report_render writes report `r` for the dump called `name` to f.
void dwc_report_render(FILE *f, const Dumpwalk__V1__AnalysisReport *r, const char *name,
                       dwc_format fmt);

// dwc_report_render_timed is dwc_report_render plus, with `timings`, the
// analysis times (they differ run to run, so they are off by default and the
// outputs of two runs compare byte for byte).
void dwc_report_render_timed(FILE *f, const Dumpwalk__V1__AnalysisReport *r, const char *name,
                             dwc_format fmt, bool timings);

// What a renderer shows beyond the defaults.
typedef struct dwc_render_opts {
	bool timings;      // the analysis times (they differ run to run)
	bool residue_full; // text: every classified residue word the report carries,
	                   // not only return addresses and symbolic values (JSON has them all)
} dwc_render_opts;

// dwc_report_render_opts is dwc_report_render with options (o may be NULL).
void dwc_report_render_opts(FILE *f, const Dumpwalk__V1__AnalysisReport *r, const char *name,
                            dwc_format fmt, const dwc_render_opts *o);

// dwc_report_render_breakpad writes Breakpad's minidump_stackwalk -m lines
// (OS|, CPU|, GPU|, Crash|, Module| lines, a blank line, then
// thread|frame|module|function|file|line|offset) (clients/report_breakpad.c).
void dwc_report_render_breakpad(FILE *f, const Dumpwalk__V1__AnalysisReport *r);

// dwc_report_render_error writes a failed analysis the same way in each
// format: a line for text, an object with "error" and "message" for JSON.
void dwc_report_render_error(FILE *f, const char *name, const char *code, const char *message,
                             dwc_format fmt);

#endif
