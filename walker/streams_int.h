// walker/streams_int.h - what the files parsing walker/streams.h share.
#ifndef DW_WALKER_STREAMS_INT_H
#define DW_WALKER_STREAMS_INT_H

#include "walker/dump_int.h"
#include "walker/streams.h"

struct dw_md_streams {
	dw_md_misc_info *misc;

	dw_md_thread_info *thread_infos;
	size_t             thread_info_count;

	dw_md_thread_name *thread_names;
	size_t             thread_name_count;

	dw_md_handle_data       *handles;
	dw_md_handle_type_count *handle_types; // most numerous first
	size_t                   handle_type_count;

	dw_md_memory_info *memory_infos;
	size_t             memory_info_count;
	bool               memory_infos_sorted; // ascending, no overlap: binary search

	dw_md_comment *comments;
	size_t         comment_count;

	dw_md_function_tables     *function_tables;
	dw_md_system_memory_info  *system_memory;
	dw_md_process_vm_counters *vm_counters;
	dw_md_token_list          *tokens;
	dw_md_breakpad_info       *breakpad;
	dw_md_assertion           *assertion;
	dw_md_crashpad_info       *crashpad;
};

// dw_streams__bad notes a problem in stream `s` (naming it, with its file
// offset and size, then the printf-style detail), marks the stream
// malformed, and returns `code`.
dw_err dw_streams__bad(dw_dump *d, const dw_md_stream *s, dw_err code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

// dw_streams__count checks that *n records of `elem` bytes fit in what is left
// of c and that *n <= cap. When the bytes run short it notes that, marks the
// stream, lowers *n to the records present and returns DW_OK; past the cap it
// notes and marks and returns DW_ELIMIT (the caller reads none).
dw_err dw_streams__count(dw_dump *d, const dw_md_stream *s, const dw_cur *c, uint64_t *n,
                         size_t elem, uint64_t cap, const char *what);

// dw_streams__utf16_fixed converts a fixed-size UTF-16LE field (NUL-padded)
// read from c into UTF-8 in the arena; "" when the field is empty. Only
// DW_ENOMEM fails; a short field reads as "".
dw_err dw_streams__utf16_fixed(dw_dump *d, dw_cur *c, size_t units, const char **out);

// Parsers, each for one stream or group; DW_ENOMEM is their only failure.
dw_err dw_streams__parse_handles(dw_dump *d, dw_md_streams *o);         // streams_handles.c
dw_err dw_streams__parse_function_tables(dw_dump *d, dw_md_streams *o); // streams_handles.c
dw_err dw_streams__parse_breakpad(dw_dump *d, dw_md_streams *o);        // streams_vendor.c
dw_err dw_streams__parse_crashpad(dw_dump *d, dw_md_streams *o);        // streams_vendor.c

#endif
