// clients/cmd_symbols.h - `dumpwalk symbols`: dump, compile and lookup over
// compiled symbol tables (cmd_symbols.c), fetch, and prefetch through dumpwalkd.
#ifndef DW_CLIENTS_CMD_SYMBOLS_H
#define DW_CLIENTS_CMD_SYMBOLS_H

// dwc_cmd_symbols runs `dumpwalk symbols SUBCOMMAND ...`; argv[0] is "symbols".
int dwc_cmd_symbols(int argc, char **argv);

// dwc_cmd_symbols_prefetch runs `dumpwalk symbols prefetch` (cmd_server.c):
// asks dumpwalkd to warm its symbol cache for listed modules or a dump's
// modules, prints one line per module and a summary. argv[0] is "prefetch".
// Returns 0 when every module was found, 1 when one failed (or the call
// did), 3 when some were not found and none failed, 2 for bad usage.
int dwc_cmd_symbols_prefetch(int argc, char **argv);

#endif
