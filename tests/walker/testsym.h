// tests/walker/testsym.h - a symbol provider for walker tests built straight
// from the real readers (symbols/pe.h, pdb.h, breakpad_sym.h): the tests'
// privilege; walker itself never links symbols/. Modules are matched by file
// name (Wine's dumps carry no CodeView records).
#ifndef DW_TESTS_TESTSYM_H
#define DW_TESTS_TESTSYM_H

#include <stdbool.h>

#include "walker/symsrc.h"

typedef struct tsym tsym;

tsym *tsym_new(void);
void  tsym_free(tsym *t);
// Each returns false when the file cannot be read. `module` is the code file
// name as the dump names it ("crash.exe").
bool tsym_add_pe(tsym *t, const char *module, const char *path);
bool tsym_add_pdb(tsym *t, const char *module, const char *path);
bool tsym_add_sym(tsym *t, const char *module, const char *path);
dw_symsrc tsym_source(tsym *t);

#endif
