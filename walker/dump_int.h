// walker/dump_int.h - what the minidump reader's files share internally.
//
// dump.c owns the object, the header and the stream directory. Each group of
// streams is parsed by its own file through the functions declared here, all
// reading through dw_cur windows of the file and allocating from d->arena.
#ifndef DW_WALKER_DUMP_INT_H
#define DW_WALKER_DUMP_INT_H

#include "common/arena.h"
#include "common/cur.h"
#include "common/mapfile.h"
#include "walker/context.h"
#include "walker/dump.h"
#include "walker/streams.h"

struct dw_dump {
	dw_cur     file;  // the whole input
	dw_mapfile map;   // when opened from a path
	dw_arena   arena; // every parse result
	dw_notes   notes;

	dw_md_header  header;
	dw_md_stream *streams;
	size_t        stream_count;

	dw_md_system_info *system_info;

	dw_md_thread *threads;
	size_t        thread_count;

	dw_md_module *modules; // in file order (as debuggers list them)
	size_t        module_count;
	size_t       *module_by_base; // indices into modules, sorted by base, for lookups

	dw_md_unloaded_module *unloaded;
	size_t                 unloaded_count;

	dw_md_memory_range *memory; // sorted by start, no overlaps
	size_t              memory_count;

	dw_md_exception *exception;

	dw_md_streams *other; // walker/streams.c
};

// dw_dump__stream returns the directory entry of the first usable stream of
// `type` and a cursor over its data, or NULL when there is none.
const dw_md_stream *dw_dump__stream(dw_dump *d, uint32_t type, dw_cur *out);

// dw_dump__mark marks a stream malformed after its parser noted why.
void dw_dump__mark(dw_dump *d, const dw_md_stream *s, dw_md_stream_state state);

// dw_dump__string reads the MINIDUMP_STRING (u32 byte length + UTF-16LE) at
// `rva` into UTF-8 in the arena. `what` names the owner for the note
// ("module 3 name"). On failure notes it and returns the error; *out is NULL.
dw_err dw_dump__string(dw_dump *d, uint32_t rva, const char *what, const char **out);

// dw_dump__location returns a cursor over a location descriptor's bytes,
// noting `what` on failure.
dw_err dw_dump__location(dw_dump *d, dw_md_location loc, const char *what, dw_cur *out);

// dw_dump__list_count reads the u32 entry count that starts ThreadList,
// ModuleList and MemoryList and leaves `c` at the first entry. Some writers
// (lldb's tests call them "padded") put 4 bytes of padding after the count:
// when the stream is exactly 8 + n*elem bytes the padding is skipped. A count
// over `cap` is noted (DW_ELIMIT) and returned as the error; a count whose
// entries do not fit is noted (DW_ETRUNC) and *out is lowered to the entries
// that do fit, returning DW_ETRUNC so the caller can mark the stream. `what`
// names the stream in notes. (dump_memory.c)
dw_err dw_dump__list_count(dw_dump *d, const dw_md_stream *s, dw_cur *c, size_t elem,
                           uint64_t cap, const char *what, uint32_t *out);

// Stream-group parsers, called by dw_dump_open_buffer in this order. Each
// notes its own problems and returns DW_ENOMEM only when the arena refuses;
// every other failure is noted, the stream marked, and DW_OK returned.
dw_err dw_dump__parse_system_info(dw_dump *d);   // dump_system.c
dw_err dw_dump__parse_memory(dw_dump *d);        // dump_memory.c
dw_err dw_dump__parse_threads(dw_dump *d);       // dump_threads.c
dw_err dw_dump__parse_modules(dw_dump *d);       // dump_modules.c
dw_err dw_dump__parse_exception(dw_dump *d);     // dump_exception.c
dw_err dw_dump__parse_other_streams(dw_dump *d); // streams.c

// dw_dump__context parses the CPU context at `loc` for this dump's CPU
// (context.c), noting `what` on failure. *out is NULL on failure.
dw_err dw_dump__context(dw_dump *d, dw_md_location loc, const char *what, const dw_context **out);

#endif
