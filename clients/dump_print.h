// clients/dump_print.h - `dumpwalk dump`: every stream of a minidump, for people
// (text) and machines (JSON).
#ifndef DW_CLIENTS_DUMP_PRINT_H
#define DW_CLIENTS_DUMP_PRINT_H

#include <stdio.h>

#include "clients/json.h"
#include "walker/dump.h"

// dwc_dump_print_text writes the whole dump in readable form (dump_print.c).
void dwc_dump_print_text(FILE *f, const dw_dump *d);
// dwc_dump_print_json writes the whole dump as one JSON object (dump_print.c).
void dwc_dump_print_json(FILE *f, const dw_dump *d, bool pretty);

// The streams of walker/streams.h (dump_print_streams.c), called by the two
// functions above: the text form appends sections; the JSON form writes
// key/value members into the object the caller has open.
void dwc_dump_print_other_streams_text(FILE *f, const dw_dump *d);
void dwc_dump_print_other_streams_json(dwc_json *j, const dw_dump *d);

#endif
