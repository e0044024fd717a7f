// clients/report_render.h - renders an AnalysisReport (dumpwalk/v1/report.proto)
// as text for people or JSON for pipelines.
//
// The renderers read only the report, never a dump: `dumpwalk analyze` via
// the daemon and with --local hand them the same message, so the output of
// the two is byte-identical.
#ifndef DW_CLIENTS_REPORT_RENDER_H
#define DW_CLIENTS_REPORT_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "dumpwalk/v1/report.pb-c.h"

typedef enum dwc_format { DWC_FORMAT_TEXT, DWC_FORMAT_JSON, DWC_FORMAT_JSON_PRETTY } dwc_format;

// dwc_report_render writes report `r` for the dump called `name` to f.
void dwc_report_render(FILE *f, const Dumpwalk__V1__AnalysisReport *r, const char *name,
                       dwc_format fmt);

// dwc_report_render_error writes a failed analysis the same way in each
// format: a line for text, an object with "error" and "message" for JSON.
void dwc_report_render_error(FILE *f, const char *name, const char *code, const char *message,
                             dwc_format fmt);

#endif
