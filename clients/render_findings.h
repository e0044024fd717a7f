// clients/render_findings.h - the findings of walker/finding.h for people
// (an "Analysis" section) and machines (a JSON array). `dumpwalk patterns`
// prints them alone; the analysis report embeds the same rendering (text
// section "Analysis", JSON under dumpwalk.patterns).
#ifndef DW_CLIENTS_RENDER_FINDINGS_H
#define DW_CLIENTS_RENDER_FINDINGS_H

#include <stdio.h>

#include "clients/json.h"
#include "walker/finding.h"

// dwc_findings_print_text writes the "Analysis" section: the patterns found
// (name, confidence, explanation, evidence lines), then the measured
// summaries, then what could not be assessed and why.
void dwc_findings_print_text(FILE *f, const dw_findings *fs);

// dwc_findings_print_json writes one JSON array value (the caller has written
// the key, or is inside an array): every finding as an object with "pattern",
// "kind" ("pattern", "summary", "needs"), "confidence", "explanation",
// "needs" (for kind "needs") and "evidence" [{"kind", "what", "value", "text"}].
void dwc_findings_print_json(dwc_json *j, const dw_findings *fs);

#endif
