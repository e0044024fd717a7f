// tests/symbols/symserver.h - test helpers for the symbol-server tests: a
// loopback HTTP server (symserver.py) started and stopped by the test, its
// access log, and scratch directories.
#ifndef DW_TESTS_SYMSERVER_H
#define DW_TESTS_SYMSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct symserver {
	pid_t pid;
	int   port;
	char  dir[256]; // scratch: port file, log, extra root
	char  log[300];
	char  extra[300]; // an empty root the test may fill (searched first)
	char  base[64];   // "http://127.0.0.1:PORT"
} symserver;

// corpus_dir returns $DW_CORPUS when it holds symbols/ and binaries/, else NULL.
const char *corpus_dir(void);
// scratch_dir makes a fresh temporary directory (out holds 256 bytes).
void scratch_dir(char *out, const char *tag);
// symserver_start serves extra/, the corpus symbols/ and binaries/ (when
// with_corpus) on 127.0.0.1; asserts it came up within 10 s.
void symserver_start(symserver *s, bool with_corpus);
void symserver_stop(symserver *s);
// symserver_count counts log lines whose request path contains `needle`.
size_t symserver_count(const symserver *s, const char *needle);
// symserver_ports counts the distinct client ports (connections) logged.
size_t symserver_ports(const symserver *s);
// symserver_total counts every logged request.
size_t symserver_total(const symserver *s);
// write_file writes text to path, creating parent folders.
void write_file(const char *path, const void *data, size_t len);
// copy_file copies src to dst, creating dst's folders.
void copy_file(const char *src, const char *dst);
// rm_rf removes a scratch tree.
void rm_rf(const char *path);
// tree_has_file reports whether any file under dir has a name ending in suffix.
bool tree_has_file(const char *dir, const char *suffix);

#endif
