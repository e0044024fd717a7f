// clients/cmd_findings.h - the `patterns` and `diff` subcommands.
#ifndef DW_CLIENTS_CMD_FINDINGS_H
#define DW_CLIENTS_CMD_FINDINGS_H

// dwc_cmd_patterns runs `dumpwalk patterns FILE [--json] [--pretty]`: the
// findings of the detectors that need no stack walk (cmd_patterns.c).
int dwc_cmd_patterns(int argc, char **argv);
// dwc_cmd_diff runs `dumpwalk diff A.dmp B.dmp [--json] [--pretty]` (cmd_diff.c).
int dwc_cmd_diff(int argc, char **argv);

#endif
