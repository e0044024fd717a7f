// ThreadList and ThreadExList streams: MINIDUMP_THREAD (48 bytes) and
// MINIDUMP_THREAD_EX (64 bytes, adds BackingStore) from minidumpapiset.h.
#include "walker/dump_int.h"

#include <stdio.h>

#include "common/limits.h"

static void
read_memdesc(dw_cur *c, dw_md_memdesc *m)
{
	m->start    = dw_cur_u64le(c);
	m->loc.size = dw_cur_u32le(c);
	m->loc.rva  = dw_cur_u32le(c);
}

static dw_err
parse_list(dw_dump *d, const dw_md_stream *s, dw_cur *c, bool ex)
{
	const char *what = ex ? "ThreadExListStream" : "ThreadListStream";
	size_t      elem = ex ? DW_MD_THREAD_EX_SIZE : DW_MD_THREAD_SIZE;
	uint32_t    n;
	dw_err      rv = dw_dump__list_count(d, s, c, elem, DW_MAX_THREADS, what, &n);
	if (rv != DW_OK)
		dw_dump__mark(d, s, DW_MD_STREAM_MALFORMED);
	if (n == 0)
		return DW_OK;
	dw_md_thread *t = dw_arena_array(&d->arena, n, sizeof(*t));
	if (t == NULL)
		return DW_ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		dw_md_thread *th   = &t[i];
		th->thread_id      = dw_cur_u32le(c);
		th->suspend_count  = dw_cur_u32le(c);
		th->priority_class = dw_cur_u32le(c);
		th->priority       = dw_cur_u32le(c);
		th->teb            = dw_cur_u64le(c);
		read_memdesc(c, &th->stack);
		th->context_loc.size = dw_cur_u32le(c);
		th->context_loc.rva  = dw_cur_u32le(c);
		if (ex) {
			read_memdesc(c, &th->backing_store);
			th->has_backing_store = true;
		}
		if (c->err != DW_OK) // cannot happen: the count was checked
			return dw_fail(&d->notes, DW_ETRUNC, "%s: entry %u cut off", what, i);

		char buf[96];
		snprintf(buf, sizeof(buf), "%s thread %u (id 0x%x)", what, i, th->thread_id);
		dw_cur stack;
		if (th->stack.loc.size != 0 &&
		    dw_cur_window(&stack, &d->file, th->stack.loc.rva, th->stack.loc.size) != DW_OK)
			dw_fail(&d->notes, DW_ETRUNC,
			        "%s: stack memory (%u bytes at offset 0x%x) extends past end of file",
			        buf, th->stack.loc.size, th->stack.loc.rva);
		rv = dw_dump__context(d, th->context_loc, buf, &th->context);
		if (rv == DW_ENOMEM)
			return rv;
	}
	d->threads      = t;
	d->thread_count = n;
	return DW_OK;
}

dw_err
dw_dump__parse_threads(dw_dump *d)
{
	dw_cur              c, cx;
	const dw_md_stream *s  = dw_dump__stream(d, DW_MD_STREAM_THREAD_LIST, &c);
	const dw_md_stream *sx = dw_dump__stream(d, DW_MD_STREAM_THREAD_EX_LIST, &cx);
	// ThreadList is what every tool reads first; ThreadExList (IA64-era, with
	// backing stores) only stands in when it is the only list.
	if (s != NULL)
		return parse_list(d, s, &c, false);
	if (sx != NULL)
		return parse_list(d, sx, &cx, true);
	return DW_OK;
}
