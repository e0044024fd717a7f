// clients/cmd_symbols.h - `dumpwalk symbols`: dump, compile and lookup over
// compiled symbol tables (cmd_symbols.c).
#ifndef DW_CLIENTS_CMD_SYMBOLS_H
#define DW_CLIENTS_CMD_SYMBOLS_H

// dwc_cmd_symbols runs `dumpwalk symbols SUBCOMMAND ...`; argv[0] is "symbols".
int dwc_cmd_symbols(int argc, char **argv);

#endif
