// clients/render_residue.h - the raw-stack residue (walker/residue.h) and the
// crash signature (walker/signature.h) for people and machines.
//
// Text: a "Residue" section, per thread a summary line (counts by class,
// residue return addresses) and the classified words in WinDbg `dps` form
//   00000000`0010fd48  00000001`40001935 hidden_exception!load_page+0x15 [return]
// followed by its hidden exceptions with their recovered frames; and one
// "Signature:" line. JSON: dwc_residue_print_json writes the value of
// `dumpwalk.residue`, dwc_signature_print_json that of `dumpwalk.signature`.
#ifndef DW_CLIENTS_RENDER_RESIDUE_H
#define DW_CLIENTS_RENDER_RESIDUE_H

#include <stdbool.h>
#include <stdio.h>

#include "clients/json.h"
#include "walker/residue.h"
#include "walker/signature.h"

typedef struct dwc_residue_style {
	bool all_words;  // every classified word; default: only return addresses, code
	                 // pointers and text (what an analyst reads first)
	size_t max_words; // per thread; 0: 64
} dwc_residue_style;

// dwc_residue_print_text writes the "Residue" section (style may be NULL).
void dwc_residue_print_text(FILE *f, const dw_residue *r, const dwc_residue_style *style);

// dwc_residue_print_json writes one JSON object value: {"threads": [{"thread_id",
// "stack_pointer", "scanned": {"from","to"}, "counts": {class: n},
// "residue_returns", "dropped", "missing", "words": [{"address", "value",
// "class", "live", "below_sp", "module", "symbol", "call_target",
// "call_target_symbol", "thread_id", "text"}], "hidden_exceptions": [{"code",
// "code_name", "flags", "address", "parameters", "record", "context",
// "context_ip", "context_sp", "ip_matches", "copies", "frames": [{"ip",
// "symbol", "trust"}], "dispatch_residue": [...]}]}]}. Words are capped like
// the text (style may be NULL).
void dwc_residue_print_json(dwc_json *j, const dw_residue *r, const dwc_residue_style *style);

// dwc_signature_print_text writes "Signature: <text> (hash 0x...)\n".
void dwc_signature_print_text(FILE *f, const dw_signature *s);

// dwc_signature_print_json writes one JSON object value: {"text", "hash",
// "pattern", "thread_id", "from_hidden", "frames": [...]}.
void dwc_signature_print_json(dwc_json *j, const dw_signature *s);

#endif
