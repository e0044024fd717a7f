// symbols/undecorate.h - MSVC name undecoration ("demangling").
//
// Turns the decorated names found in PDB public symbols and PE exports into
// the readable form Breakpad's dump_syms prints for PUBLIC records, in the
// style of Microsoft's undecorator with dump_syms' options (no access
// specifiers, calling conventions, return types, `class`/`struct` keywords,
// __ptr64 or this-qualifiers):
//
//   ?Foo@Bar@@QAEXH@Z              Bar::Foo(int)           (DW_UNDNAME_NAME_ONLY: Bar::Foo)
//   ??0Bar@@QAE@XZ                 Bar::Bar(void)
//   ??_GFoo@@UAEPAXI@Z             Foo::`scalar deleting destructor'(unsigned int)
//   ?x@@3HA                        x
//   ??_7Foo@@6B@                   Foo::`vftable'
//   _memset, @f@8, _Sleep@4        memset, f, Sleep  (C names: decoration stripped)
//   __imp__Sleep@4                 __imp_Sleep
//
// Template arguments are printed as Microsoft's undecorator does
// (`vec<int,std::allocator<int> >`). Format knowledge comes from public
// descriptions of the MSVC decoration scheme (Agner Fog's "Calling
// conventions" manual, section 8; the Wine and LLVM documentation of the
// grammar); the code is ours. A name that cannot be undecorated is returned
// unchanged; the functions never fail on bad input.
#ifndef DW_SYMBOLS_UNDECORATE_H
#define DW_SYMBOLS_UNDECORATE_H

#include <stddef.h>

#include "common/arena.h"
#include "common/err.h"

// Flags for dw_undecorate.
enum {
	DW_UNDNAME_FULL      = 0,      // scope::name(parameters) for functions
	DW_UNDNAME_NAME_ONLY = 1u << 0, // scope::name (template arguments kept)
};

// dw_undecorate writes the undecorated form of name[0..len) as a
// NUL-terminated string in `out`, which holds `cap` bytes. Returns the length
// of the result; when that is >= cap the output was truncated (like snprintf).
// Input that is not a decorated MSVC name, or is malformed, is copied
// unchanged. Pure function: thread-safe, no allocation outside a bounded
// scratch area on the stack and heap that it frees before returning.
size_t dw_undecorate(char *out, size_t cap, const char *name, size_t len, unsigned flags);

// dw_undecorate_arena does the same into arena memory; *out is NULL only
// when the arena refuses (DW_ENOMEM).
dw_err dw_undecorate_arena(char **out, dw_arena *a, const char *name, size_t len, unsigned flags);

// dw_undecorate_is_decorated reports whether name looks like a decorated C++
// name (starts with '?' after an optional __imp_ prefix).
int dw_undecorate_is_decorated(const char *name, size_t len);

#endif
