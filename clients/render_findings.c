// Text and JSON rendering of findings (clients/render_findings.h).
#include "clients/render_findings.h"

#include <inttypes.h>

// Thread ids print in decimal and hex (debuggers show hex, expected.json and
// Task Manager decimal); addresses in hex; values in decimal with hex for
// codes.
static void
evidence_text(FILE *f, const dw_evidence *e)
{
	fprintf(f, "      %s: ", e->what);
	switch (e->kind) {
	case DW_EV_THREAD: fprintf(f, "%" PRIu64 " (0x%" PRIx64 ")", e->value, e->value); break;
	case DW_EV_ADDRESS:
	case DW_EV_FRAME:
		fprintf(f, "0x%" PRIx64, e->value);
		if (e->text != NULL)
			fprintf(f, " %s", e->text);
		break;
	case DW_EV_MODULE: fprintf(f, "%s at 0x%" PRIx64, e->text ? e->text : "", e->value); break;
	case DW_EV_VALUE:
		if (e->value >= 0x80000000u)
			fprintf(f, "0x%" PRIx64, e->value);
		else if (e->value > 9)
			fprintf(f, "%" PRIu64 " (0x%" PRIx64 ")", e->value, e->value);
		else
			fprintf(f, "%" PRIu64, e->value);
		if (e->text != NULL)
			fprintf(f, " %s", e->text);
		break;
	case DW_EV_TEXT: fprintf(f, "%s", e->text ? e->text : ""); break;
	}
	fputc('\n', f);
}

static void
finding_text(FILE *f, const dw_finding *x)
{
	if (x->kind == DW_FINDING_PATTERN)
		fprintf(f, "  %s [%s]\n    %s\n", x->pattern, dw_confidence_name(x->confidence),
		        x->explanation);
	else if (x->kind == DW_FINDING_SUMMARY)
		fprintf(f, "  %s\n    %s\n", x->pattern, x->explanation);
	else
		fprintf(f, "  %s: needs %s\n    %s\n", x->pattern, x->needed ? x->needed : "?",
		        x->explanation);
	for (size_t i = 0; i < x->nevidence; i++)
		evidence_text(f, &x->evidence[i]);
	if (x->dropped != 0)
		fprintf(f, "      (%zu more evidence items not kept)\n", x->dropped);
}

void
dwc_findings_print_text(FILE *f, const dw_findings *fs)
{
	size_t            n;
	const dw_finding *items = dw_findings_items(fs, &n);
	static const struct {
		dw_finding_kind kind;
		const char     *title;
	} sections[] = {
	    {DW_FINDING_PATTERN, "Analysis"},
	    {DW_FINDING_SUMMARY, "Measurements"},
	    {DW_FINDING_NEEDS, "Not assessed (missing data)"},
	};
	for (size_t s = 0; s < 3; s++) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			k += items[i].kind == sections[s].kind;
		if (k == 0 && s != 0)
			continue;
		fprintf(f, "%s%s\n", s == 0 ? "" : "\n", sections[s].title);
		if (k == 0)
			fprintf(f, "  no pattern found by the detectors that need no stack walk\n");
		for (size_t i = 0; i < n; i++)
			if (items[i].kind == sections[s].kind)
				finding_text(f, &items[i]);
	}
}

void
dwc_findings_print_json(dwc_json *j, const dw_findings *fs)
{
	size_t            n;
	const dw_finding *items = dw_findings_items(fs, &n);
	dwc_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		const dw_finding *x = &items[i];
		dwc_json_begin_object(j);
		dwc_json_kv_string(j, "pattern", x->pattern);
		dwc_json_kv_string(j, "kind", dw_finding_kind_name(x->kind));
		if (x->kind == DW_FINDING_PATTERN)
			dwc_json_kv_string(j, "confidence", dw_confidence_name(x->confidence));
		if (x->kind == DW_FINDING_NEEDS)
			dwc_json_kv_string(j, "needs", x->needed);
		dwc_json_kv_string(j, "explanation", x->explanation);
		dwc_json_key(j, "evidence");
		dwc_json_begin_array(j);
		for (size_t k = 0; k < x->nevidence; k++) {
			const dw_evidence *e = &x->evidence[k];
			dwc_json_begin_object(j);
			dwc_json_kv_string(j, "kind", dw_evidence_kind_name(e->kind));
			dwc_json_kv_string(j, "what", e->what);
			if (e->has_value) {
				if (e->kind == DW_EV_THREAD || e->kind == DW_EV_VALUE)
					dwc_json_kv_uint(j, "value", e->value);
				else
					dwc_json_kv_hex(j, "value", e->value);
			}
			if (e->text != NULL)
				dwc_json_kv_string(j, "text", e->text);
			dwc_json_end_object(j);
		}
		dwc_json_end_array(j);
		if (x->dropped != 0)
			dwc_json_kv_uint(j, "evidence_dropped", x->dropped);
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);
}
