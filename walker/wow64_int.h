// walker/wow64_int.h - module-internal: WOW64 recognition and the 32-bit
// walk of each thread (wow64.c), and the walk internals it needs (walk.c).
#ifndef DW_WALKER_WOW64_INT_H
#define DW_WALKER_WOW64_INT_H

#include "common/arena.h"
#include "walker/unwind_int.h"
#include "walker/walk.h"

// dw_wow64__detect says whether `d` is a 64-bit dump of a 32-bit process and,
// when it is, marks the 32-bit modules of u->mods DW_CPU_X86. *why receives
// the evidence (arena string), or NULL.
bool dw_wow64__detect(const dw_dump *d, dw_uw *u, dw_arena *a, const char **why);
// dw_wow64__walk_thread fills tw->stack32 (and tw->wow64_layout) for thread t.
dw_err dw_wow64__walk_thread(dw_walk *w, dw_thread_walk *tw, const dw_md_thread *t);

dw_uw         *dw_walk__uw(dw_walk *w);
dw_arena      *dw_walk__arena(dw_walk *w);
dw_notes      *dw_walk__notes(dw_walk *w);
const dw_dump *dw_walk__dump(dw_walk *w);

#endif
