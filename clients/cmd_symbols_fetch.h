// clients/cmd_symbols_fetch.h - `dumpwalk symbols fetch NAME ID`: one file
// from the configured symbol sources into the download cache.
#ifndef DW_CLIENTS_CMD_SYMBOLS_FETCH_H
#define DW_CLIENTS_CMD_SYMBOLS_FETCH_H

// dwc_cmd_symbols_fetch runs the subcommand; argv[0] is "fetch". Exit status:
// 0 the file is in the cache (or a local store) and its path was printed,
// 1 it was not found, corrupt, refused or the source failed, 2 bad usage.
int dwc_cmd_symbols_fetch(int argc, char **argv);

#endif
