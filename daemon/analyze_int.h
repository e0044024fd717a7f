// daemon/analyze_int.h - internals shared by the analysis step's files.
#ifndef DW_DAEMON_ANALYZE_INT_H
#define DW_DAEMON_ANALYZE_INT_H

#include "daemon/analyze.h"
#include "symbols/provider.h"

// dwd_symbols__provider returns the provider of `s` (borrowed), NULL for NULL.
dw_symprov *dwd_symbols__provider(const dwd_symbols *s);

#endif
