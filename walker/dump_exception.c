// Exception stream: MINIDUMP_EXCEPTION_STREAM (168 bytes) holding a
// MINIDUMP_EXCEPTION (152 bytes) and the faulting thread's context
// (minidumpapiset.h).
#include "walker/dump_int.h"

#include "common/limits.h"

dw_err
dw_dump__parse_exception(dw_dump *d)
{
	dw_cur              c;
	const dw_md_stream *s = dw_dump__stream(d, DW_MD_STREAM_EXCEPTION, &c);
	if (s == NULL)
		return DW_OK;
	if (s->size < DW_MD_EXCEPTION_STREAM_SIZE) {
		dw_fail(&d->notes, DW_ETRUNC,
		        "ExceptionStream at offset 0x%x: %u bytes, shorter than the %d-byte "
		        "MINIDUMP_EXCEPTION_STREAM; stream ignored",
		        s->rva, s->size, DW_MD_EXCEPTION_STREAM_SIZE);
		dw_dump__mark(d, s, DW_MD_STREAM_MALFORMED);
		return DW_OK;
	}
	dw_md_exception *e = dw_arena_alloc(&d->arena, sizeof(*e));
	if (e == NULL)
		return DW_ENOMEM;
	e->thread_id = dw_cur_u32le(&c);
	dw_cur_skip(&c, 4); // __alignment
	e->code              = dw_cur_u32le(&c);
	e->flags             = dw_cur_u32le(&c);
	e->record            = dw_cur_u64le(&c);
	e->address           = dw_cur_u64le(&c);
	e->number_parameters = dw_cur_u32le(&c);
	dw_cur_skip(&c, 4); // __unusedAlignment
	for (int i = 0; i < DW_MD_EXCEPTION_MAX_PARAMS; i++)
		e->parameters[i] = dw_cur_u64le(&c);
	e->context_loc.size = dw_cur_u32le(&c);
	e->context_loc.rva  = dw_cur_u32le(&c);
	if (c.err != DW_OK) // cannot happen: the size was checked
		return dw_fail(&d->notes, DW_ETRUNC, "ExceptionStream: cut off");
	if (e->number_parameters > DW_MD_EXCEPTION_MAX_PARAMS)
		dw_fail(&d->notes, DW_ECORRUPT,
		        "ExceptionStream at offset 0x%x: NumberParameters %u exceeds the %d slots; "
		        "showing %d",
		        s->rva, e->number_parameters, DW_MD_EXCEPTION_MAX_PARAMS,
		        DW_MD_EXCEPTION_MAX_PARAMS);
	d->exception = e;
	if (e->context_loc.size == 0 && e->context_loc.rva == 0) {
		dw_remark(&d->notes, "ExceptionStream: no exception context");
		return DW_OK;
	}
	dw_err rv = dw_dump__context(d, e->context_loc, "ExceptionStream", &e->context);
	return rv == DW_ENOMEM ? rv : DW_OK;
}
