// The minidump object: header, stream directory, shared readers, accessors.
#include "walker/dump_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "common/text.h"

#define MD_VERSION 0xA793u // MINIDUMP_VERSION, low 16 bits of header.version

static const struct {
	uint32_t    type;
	const char *name;
} stream_names[] = {
    {DW_MD_STREAM_UNUSED, "UnusedStream"},
    {1, "ReservedStream0"},
    {2, "ReservedStream1"},
    {DW_MD_STREAM_THREAD_LIST, "ThreadListStream"},
    {DW_MD_STREAM_MODULE_LIST, "ModuleListStream"},
    {DW_MD_STREAM_MEMORY_LIST, "MemoryListStream"},
    {DW_MD_STREAM_EXCEPTION, "ExceptionStream"},
    {DW_MD_STREAM_SYSTEM_INFO, "SystemInfoStream"},
    {DW_MD_STREAM_THREAD_EX_LIST, "ThreadExListStream"},
    {DW_MD_STREAM_MEMORY64_LIST, "Memory64ListStream"},
    {DW_MD_STREAM_COMMENT_A, "CommentStreamA"},
    {DW_MD_STREAM_COMMENT_W, "CommentStreamW"},
    {DW_MD_STREAM_HANDLE_DATA, "HandleDataStream"},
    {DW_MD_STREAM_FUNCTION_TABLE, "FunctionTableStream"},
    {DW_MD_STREAM_UNLOADED_MODULE_LIST, "UnloadedModuleListStream"},
    {DW_MD_STREAM_MISC_INFO, "MiscInfoStream"},
    {DW_MD_STREAM_MEMORY_INFO_LIST, "MemoryInfoListStream"},
    {DW_MD_STREAM_THREAD_INFO_LIST, "ThreadInfoListStream"},
    {DW_MD_STREAM_HANDLE_OPERATION_LIST, "HandleOperationListStream"},
    {DW_MD_STREAM_TOKEN, "TokenStream"},
    {DW_MD_STREAM_JAVASCRIPT_DATA, "JavaScriptDataStream"},
    {DW_MD_STREAM_SYSTEM_MEMORY_INFO, "SystemMemoryInfoStream"},
    {DW_MD_STREAM_PROCESS_VM_COUNTERS, "ProcessVmCountersStream"},
    {DW_MD_STREAM_IPT_TRACE, "IptTraceStream"},
    {DW_MD_STREAM_THREAD_NAMES, "ThreadNamesStream"},
    {0x8000, "ceStreamNull"},
    {0x8001, "ceStreamSystemInfo"},
    {0x8002, "ceStreamException"},
    {0x8003, "ceStreamModuleList"},
    {0x8004, "ceStreamProcessList"},
    {0x8005, "ceStreamThreadList"},
    {0x8006, "ceStreamThreadContextList"},
    {0x8007, "ceStreamThreadCallStackList"},
    {0x8008, "ceStreamMemoryVirtualList"},
    {0x8009, "ceStreamMemoryPhysicalList"},
    {0x800A, "ceStreamBucketParameters"},
    {0x800B, "ceStreamProcessModuleMap"},
    {0x800C, "ceStreamDiagnosisList"},
    {0xFFF0, "WinePrivateStream"}, // Wine's dbghelp writes its own stream here
    {DW_MD_STREAM_BREAKPAD_INFO, "BreakpadInfoStream"},
    {DW_MD_STREAM_BREAKPAD_ASSERTION_INFO, "BreakpadAssertionInfoStream"},
    {0x47670003, "BreakpadLinuxCpuInfo"},
    {0x47670004, "BreakpadLinuxProcStatus"},
    {0x47670005, "BreakpadLinuxLsbRelease"},
    {0x47670006, "BreakpadLinuxCmdLine"},
    {0x47670007, "BreakpadLinuxEnviron"},
    {0x47670008, "BreakpadLinuxAuxv"},
    {0x47670009, "BreakpadLinuxMaps"},
    {0x4767000A, "BreakpadLinuxDsoDebug"},
    {DW_MD_STREAM_CRASHPAD_INFO, "CrashpadInfoStream"},
};

const char *
dw_md_stream_name(uint32_t type)
{
	for (size_t i = 0; i < sizeof(stream_names) / sizeof(stream_names[0]); i++)
		if (stream_names[i].type == type)
			return stream_names[i].name;
	return NULL;
}

const char *
dw_cpu_name(uint16_t arch)
{
	switch (arch) {
	case DW_CPU_X86: return "x86";
	case DW_CPU_ARM: return "arm";
	case DW_CPU_IA64: return "ia64";
	case DW_CPU_AMD64: return "amd64";
	case DW_CPU_X86_ON_WIN64: return "x86-on-win64";
	case DW_CPU_ARM64: return "arm64";
	}
	return "unknown";
}

// Stream types whose second occurrence is ignored: the standard ones describe
// the one process, so a second copy can only be a writer bug or a forgery.
// Vendor and comment streams may legitimately repeat.
static bool
stream_must_be_unique(uint32_t type)
{
	return (type >= DW_MD_STREAM_THREAD_LIST && type <= DW_MD_STREAM_THREAD_NAMES &&
	        type != DW_MD_STREAM_COMMENT_A && type != DW_MD_STREAM_COMMENT_W) ||
	       type == DW_MD_STREAM_BREAKPAD_INFO || type == DW_MD_STREAM_BREAKPAD_ASSERTION_INFO ||
	       type == DW_MD_STREAM_CRASHPAD_INFO;
}

static int
cmp_stream_index_by_rva(const void *a, const void *b, void *arg)
{
	const dw_md_stream *s = arg;
	const dw_md_stream *x = &s[*(const size_t *)a], *y = &s[*(const size_t *)b];
	if (x->rva != y->rva)
		return x->rva < y->rva ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

// qsort_r is a GNU extension; an insertion sort over an index is enough for a
// directory capped at DW_MAX_STREAMS and keeps us portable C17.
static void
sort_indices(size_t *idx, size_t n, const dw_md_stream *s)
{
	for (size_t i = 1; i < n; i++) {
		size_t v = idx[i], j = i;
		while (j > 0 && cmp_stream_index_by_rva(&idx[j - 1], &v, (void *)s) > 0) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = v;
	}
}

static dw_err
parse_directory(dw_dump *d)
{
	dw_md_header *h = &d->header;
	dw_cur        dir;
	uint64_t      dir_bytes = (uint64_t)h->stream_count * DW_MD_DIRECTORY_SIZE;
	if (h->stream_count > DW_MAX_STREAMS)
		return dw_fail(&d->notes, DW_ELIMIT,
		               "header: %u streams declared, more than the limit of %u",
		               h->stream_count, (unsigned)DW_MAX_STREAMS);
	if (dw_cur_window(&dir, &d->file, h->stream_directory_rva, dir_bytes) != DW_OK)
		return dw_fail(&d->notes, DW_ETRUNC,
		               "header: stream directory at offset 0x%x (%u entries, %llu bytes) "
		               "extends past end of file (%zu bytes)",
		               h->stream_directory_rva, h->stream_count,
		               (unsigned long long)dir_bytes, d->file.len);
	d->streams = dw_arena_array(&d->arena, h->stream_count, sizeof(*d->streams));
	if (d->streams == NULL && h->stream_count != 0)
		return DW_ENOMEM;
	d->stream_count = h->stream_count;

	for (size_t i = 0; i < d->stream_count; i++) {
		dw_md_stream *s = &d->streams[i];
		s->type         = dw_cur_u32le(&dir);
		s->size         = dw_cur_u32le(&dir);
		s->rva          = dw_cur_u32le(&dir);
		s->known        = dw_md_stream_name(s->type) != NULL;
		if ((uint64_t)s->rva + s->size > d->file.len) {
			s->state = DW_MD_STREAM_OUT_OF_RANGE;
			dw_fail(&d->notes, DW_ETRUNC,
			        "directory entry %zu (%s, type 0x%x): data at offset 0x%x, %u bytes, "
			        "extends past end of file (%zu bytes); stream ignored",
			        i, s->known ? dw_md_stream_name(s->type) : "unknown stream", s->type,
			        s->rva, s->size, d->file.len);
		}
	}

	// Duplicates of streams that must be unique: the first one wins.
	for (size_t i = 0; i < d->stream_count; i++) {
		dw_md_stream *s = &d->streams[i];
		if (s->state != DW_MD_STREAM_OK || !stream_must_be_unique(s->type))
			continue;
		for (size_t j = 0; j < i; j++) {
			if (d->streams[j].type == s->type && d->streams[j].state == DW_MD_STREAM_OK) {
				s->state = DW_MD_STREAM_DUPLICATE;
				dw_fail(&d->notes, DW_ECORRUPT,
				        "directory entry %zu: second %s (first is entry %zu); ignored", i,
				        dw_md_stream_name(s->type), j);
				break;
			}
		}
	}

	// Overlaps: walk the usable non-empty streams in file order; a stream whose
	// data starts inside the previous one's is ignored (the earlier entry in
	// the directory is kept, whichever lies first).
	size_t *idx = malloc(d->stream_count * sizeof(*idx) + 1);
	if (idx == NULL)
		return DW_ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < d->stream_count; i++)
		if (d->streams[i].state == DW_MD_STREAM_OK && d->streams[i].size != 0 &&
		    d->streams[i].type != DW_MD_STREAM_UNUSED)
			idx[n++] = i;
	sort_indices(idx, n, d->streams);
	size_t prev = SIZE_MAX;
	for (size_t k = 0; k < n; k++) {
		dw_md_stream *s = &d->streams[idx[k]];
		if (prev != SIZE_MAX) {
			dw_md_stream *p = &d->streams[prev];
			if ((uint64_t)p->rva + p->size > s->rva) {
				dw_md_stream *loser = prev < idx[k] ? s : p;
				size_t        li = prev < idx[k] ? idx[k] : prev, wi = prev < idx[k] ? prev : idx[k];
				loser->state      = DW_MD_STREAM_OVERLAP;
				dw_fail(&d->notes, DW_ECORRUPT,
				        "directory entry %zu (%s) overlaps entry %zu's data at offset 0x%x; "
				        "ignored",
				        li, dw_md_stream_name(loser->type) ? dw_md_stream_name(loser->type)
				                                           : "unknown stream",
				        wi, loser->rva);
				if (loser == p)
					prev = idx[k];
				continue;
			}
		}
		prev = idx[k];
	}
	free(idx);
	return DW_OK;
}

const dw_md_stream *
dw_dump__stream(dw_dump *d, uint32_t type, dw_cur *out)
{
	for (size_t i = 0; i < d->stream_count; i++) {
		dw_md_stream *s = &d->streams[i];
		if (s->type == type && s->state == DW_MD_STREAM_OK) {
			dw_cur_window(out, &d->file, s->rva, s->size);
			return s;
		}
	}
	dw_cur_init(out, NULL, 0);
	return NULL;
}

void
dw_dump__mark(dw_dump *d, const dw_md_stream *s, dw_md_stream_state state)
{
	if (s == NULL)
		return;
	d->streams[s - d->streams].state = state;
}

dw_err
dw_dump__string(dw_dump *d, uint32_t rva, const char *what, const char **out)
{
	*out = NULL;
	dw_cur c;
	if (dw_cur_tail(&c, &d->file, rva) != DW_OK)
		return dw_fail(&d->notes, DW_ETRUNC, "%s: string offset 0x%x is past end of file", what,
		               rva);
	uint32_t nbytes = dw_cur_u32le(&c);
	if (c.err != DW_OK)
		return dw_fail(&d->notes, DW_ETRUNC, "%s: string length at offset 0x%x is cut off", what,
		               rva);
	if (nbytes > DW_MAX_MD_STRING_BYTES)
		return dw_fail(&d->notes, DW_ELIMIT,
		               "%s: string at offset 0x%x claims %u bytes (limit %u)", what, rva, nbytes,
		               (unsigned)DW_MAX_MD_STRING_BYTES);
	const uint8_t *p = dw_cur_bytes(&c, nbytes);
	if (p == NULL)
		return dw_fail(&d->notes, DW_ETRUNC,
		               "%s: string at offset 0x%x claims %u bytes, past end of file", what, rva,
		               nbytes);
	char  *s;
	dw_err rv = dw_utf16le_to_utf8(&s, &d->arena, p, nbytes);
	if (rv != DW_OK)
		return rv;
	*out = s;
	return DW_OK;
}

dw_err
dw_dump__location(dw_dump *d, dw_md_location loc, const char *what, dw_cur *out)
{
	if (dw_cur_window(out, &d->file, loc.rva, loc.size) != DW_OK)
		return dw_fail(&d->notes, DW_ETRUNC,
		               "%s: %u bytes at offset 0x%x extend past end of file (%zu bytes)", what,
		               loc.size, loc.rva, d->file.len);
	return DW_OK;
}

static dw_err
parse_header(dw_dump *d)
{
	dw_cur        c = d->file;
	dw_md_header *h = &d->header;
	if (d->file.len < DW_MD_HEADER_SIZE)
		return dw_fail(&d->notes, DW_ETRUNC,
		               "header: file is %zu bytes, shorter than the %d-byte minidump header",
		               d->file.len, DW_MD_HEADER_SIZE);
	h->signature            = dw_cur_u32le(&c);
	h->version              = dw_cur_u32le(&c);
	h->stream_count         = dw_cur_u32le(&c);
	h->stream_directory_rva = dw_cur_u32le(&c);
	h->checksum             = dw_cur_u32le(&c);
	h->time_date_stamp      = dw_cur_u32le(&c);
	h->flags                = dw_cur_u64le(&c);
	if (h->signature != DW_MD_SIGNATURE)
		return dw_fail(&d->notes, DW_ECORRUPT,
		               "header: signature 0x%08x at offset 0 is not \"MDMP\" (0x%08x): not a "
		               "minidump",
		               h->signature, DW_MD_SIGNATURE);
	if ((h->version & 0xFFFF) != MD_VERSION)
		dw_remark(&d->notes, "header: version 0x%04x is not the usual 0x%04x; reading anyway",
		          h->version & 0xFFFF, MD_VERSION);
	return DW_OK;
}

static void
move_notes(dw_notes *to, dw_notes *from)
{
	if (to == NULL)
		return;
	for (size_t i = 0; i < from->count; i++)
		dw_fail(to, from->items[i].code, "%s", from->items[i].text);
}

static dw_err
dump_open(dw_dump **out, dw_dump *d, dw_notes *notes)
{
	dw_err rv;
	if ((rv = parse_header(d)) != DW_OK || (rv = parse_directory(d)) != DW_OK)
		goto fail;
	// Order matters: memory before threads and exception (their contexts and
	// stacks are checked against it), system info before anything with a
	// CPU context.
	if ((rv = dw_dump__parse_system_info(d)) != DW_OK || (rv = dw_dump__parse_memory(d)) != DW_OK ||
	    (rv = dw_dump__parse_threads(d)) != DW_OK || (rv = dw_dump__parse_modules(d)) != DW_OK ||
	    (rv = dw_dump__parse_exception(d)) != DW_OK ||
	    (rv = dw_dump__parse_other_streams(d)) != DW_OK)
		goto fail;
	*out = d;
	return DW_OK;
fail:
	if (rv == DW_ENOMEM)
		dw_fail(&d->notes, rv, "out of memory while reading the dump");
	move_notes(notes, &d->notes);
	dw_dump_free(d);
	return rv;
}

static dw_dump *
dump_new(size_t budget)
{
	dw_dump *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	dw_arena_init(&d->arena, budget);
	dw_notes_init(&d->notes);
	return d;
}

dw_err
dw_dump_open_buffer(dw_dump **out, const uint8_t *data, size_t len, dw_notes *notes)
{
	return dw_dump_open_buffer_budget(out, data, len, 0, notes);
}

dw_err
dw_dump_open_buffer_budget(dw_dump **out, const uint8_t *data, size_t len, size_t budget,
                           dw_notes *notes)
{
	*out       = NULL;
	dw_dump *d = dump_new(budget);
	if (d == NULL)
		return DW_ENOMEM;
	dw_cur_init(&d->file, data, len);
	return dump_open(out, d, notes);
}

dw_err
dw_dump_open_file(dw_dump **out, const char *path, dw_notes *notes)
{
	*out       = NULL;
	dw_dump *d = dump_new(0);
	if (d == NULL)
		return DW_ENOMEM;
	const char *why = NULL;
	dw_err      rv  = dw_mapfile_open(&d->map, path, &why);
	if (rv != DW_OK) {
		dw_fail(notes, rv, "%s: %s", path, why);
		dw_dump_free(d);
		return rv;
	}
	dw_cur_init(&d->file, d->map.data, d->map.len);
	return dump_open(out, d, notes);
}

void
dw_dump_free(dw_dump *d)
{
	if (d == NULL)
		return;
	dw_arena_fini(&d->arena);
	dw_notes_fini(&d->notes);
	dw_mapfile_close(&d->map);
	free(d);
}

const dw_notes *
dw_dump_notes(const dw_dump *d)
{
	return &d->notes;
}

const dw_md_header *
dw_dump_header(const dw_dump *d)
{
	return &d->header;
}

const dw_md_stream *
dw_dump_streams(const dw_dump *d, size_t *count)
{
	*count = d->stream_count;
	return d->streams;
}

size_t
dw_dump_file_size(const dw_dump *d)
{
	return d->file.len;
}

const dw_md_system_info *
dw_dump_system_info(const dw_dump *d)
{
	return d->system_info;
}

dw_cpu
dw_dump_cpu(const dw_dump *d)
{
	if (d->system_info == NULL)
		return DW_CPU_UNKNOWN;
	return (dw_cpu)d->system_info->processor_architecture;
}

const dw_md_thread *
dw_dump_threads(const dw_dump *d, size_t *count)
{
	*count = d->thread_count;
	return d->threads;
}

const dw_md_thread *
dw_dump_thread_find(const dw_dump *d, uint32_t tid)
{
	for (size_t i = 0; i < d->thread_count; i++)
		if (d->threads[i].thread_id == tid)
			return &d->threads[i];
	return NULL;
}

const dw_md_module *
dw_dump_modules(const dw_dump *d, size_t *count)
{
	*count = d->module_count;
	return d->modules;
}

const dw_md_unloaded_module *
dw_dump_unloaded_modules(const dw_dump *d, size_t *count)
{
	*count = d->unloaded_count;
	return d->unloaded;
}

const dw_md_memory_range *
dw_dump_memory(const dw_dump *d, size_t *count)
{
	*count = d->memory_count;
	return d->memory;
}

const dw_md_exception *
dw_dump_exception(const dw_dump *d)
{
	return d->exception;
}

const dw_md_streams *
dw_dump_other_streams(const dw_dump *d)
{
	return d->other;
}
