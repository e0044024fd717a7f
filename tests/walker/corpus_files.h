// tests/walker/corpus_files.h - what the walker tests share to reach our own
// crash corpus (tests/corpus): its folder and whole files read into memory.
#ifndef DW_TESTS_CORPUS_FILES_H
#define DW_TESTS_CORPUS_FILES_H

#include <stddef.h>

// tc_own_corpus returns DW_OWN_CORPUS (tests/meson.build sets it). A Criterion
// test calling it is skipped when the variable is unset and fails when the
// folder is missing: the corpus is committed. (It used to be reached as
// "$DW_TEST_DATA/../corpus", which does not resolve in a fresh clone, so CI
// skipped every corpus test without saying so.)
const char *tc_own_corpus(void);

// tc_slurp reads the whole file into a NUL-terminated buffer the caller
// frees; *len (may be NULL) gets its size. NULL when unreadable.
char *tc_slurp(const char *path, size_t *len);

#endif
