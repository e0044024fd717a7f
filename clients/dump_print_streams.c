// `dumpwalk dump`: the streams of walker/streams.h as text (laid out like
// Breakpad's minidump_dump: a struct name, then "  member = value" lines) and
// as JSON members with snake_case keys.
#include "clients/dump_print.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "walker/streams.h"

// ---- helpers -------------------------------------------------------------------------

static const char *
nz(const char *s)
{
	return s != NULL ? s : "(null)";
}

// kv prints one "  name = value" line with the name padded to `w` columns.
static void kv(FILE *f, int w, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void
kv(FILE *f, int w, const char *name, const char *fmt, ...)
{
	va_list ap;
	fprintf(f, "  %-*s = ", w, name);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

static void
format_unix(char *buf, size_t n, uint64_t secs)
{
	time_t    tt = (time_t)secs;
	struct tm tm;
	if (secs > (uint64_t)INT32_MAX * 4 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, n, "?");
}

// FILETIME: 100 ns units since 1601-01-01 UTC; 11644473600 s to 1970.
static void
format_filetime(char *buf, size_t n, uint64_t ft)
{
	uint64_t s = ft / 10000000u;
	if (ft == 0 || s < 11644473600u) {
		snprintf(buf, n, "-");
		return;
	}
	format_unix(buf, n, s - 11644473600u);
}

static void
format_systemtime(char *buf, size_t n, const dw_md_systemtime *t)
{
	snprintf(buf, n, "%04u-%02u-%02u %02u:%02u:%02u.%03u (day of week %u)", t->year, t->month,
	         t->day, t->hour, t->minute, t->second, t->milliseconds, t->day_of_week);
}

static const char *
info_type_name(uint32_t type)
{
	const char *n = dw_md_handle_info_type_name(type);
	return n != NULL ? n : "unknown";
}

// ---- text ----------------------------------------------------------------------------

static void
text_misc(FILE *f, const dw_md_misc_info *m)
{
	char t[64];
	fprintf(f, "MDRawMiscInfo\n");
	kv(f, 28, "size_of_info", "%u (version %d)", m->size_of_info, m->version);
	kv(f, 28, "flags1", "0x%x", m->flags1);
	if (m->has_process_id)
		kv(f, 28, "process_id", "%u", m->process_id);
	if (m->has_process_times) {
		format_unix(t, sizeof(t), m->process_create_time);
		kv(f, 28, "process_create_time", "0x%x %s", m->process_create_time, t);
		kv(f, 28, "process_user_time", "%u", m->process_user_time);
		kv(f, 28, "process_kernel_time", "%u", m->process_kernel_time);
	}
	if (m->has_power_info) {
		kv(f, 28, "processor_max_mhz", "%u", m->processor_max_mhz);
		kv(f, 28, "processor_current_mhz", "%u", m->processor_current_mhz);
		kv(f, 28, "processor_mhz_limit", "%u", m->processor_mhz_limit);
		kv(f, 28, "processor_max_idle_state", "%u", m->processor_max_idle_state);
		kv(f, 28, "processor_current_idle_state", "%u", m->processor_current_idle_state);
	}
	if (m->has_integrity_level)
		kv(f, 28, "process_integrity_level", "0x%x", m->process_integrity_level);
	if (m->has_execute_flags)
		kv(f, 28, "process_execute_flags", "0x%x", m->process_execute_flags);
	if (m->has_protected_process)
		kv(f, 28, "protected_process", "%u", m->protected_process);
	if (m->has_time_zone) {
		const dw_md_time_zone *z = &m->time_zone;
		kv(f, 28, "time_zone_id", "%u", m->time_zone_id);
		kv(f, 28, "time_zone.bias", "%d", z->bias);
		kv(f, 28, "time_zone.standard_name", "%s", nz(z->standard_name));
		format_systemtime(t, sizeof(t), &z->standard_date);
		kv(f, 28, "time_zone.standard_date", "%s", t);
		kv(f, 28, "time_zone.standard_bias", "%d", z->standard_bias);
		kv(f, 28, "time_zone.daylight_name", "%s", nz(z->daylight_name));
		format_systemtime(t, sizeof(t), &z->daylight_date);
		kv(f, 28, "time_zone.daylight_date", "%s", t);
		kv(f, 28, "time_zone.daylight_bias", "%d", z->daylight_bias);
	}
	if (m->has_build_string) {
		kv(f, 28, "build_string", "%s", nz(m->build_string));
		kv(f, 28, "dbg_bld_str", "%s", nz(m->dbg_bld_str));
	}
	if (m->has_xstate) {
		kv(f, 28, "xstate_data.size_of_info", "%u", m->xstate.size_of_info);
		kv(f, 28, "xstate_data.context_size", "%u", m->xstate.context_size);
		kv(f, 28, "xstate_data.enabled_features", "0x%" PRIx64, m->xstate.enabled_features);
		for (int i = 0; i < DW_MD_XSTATE_FEATURES; i++) {
			if (!(m->xstate.enabled_features & ((uint64_t)1 << i)))
				continue;
			char name[40];
			snprintf(name, sizeof(name), "xstate_data.features[%d]", i);
			kv(f, 28, name, "offset %u, size %u", m->xstate.features[i].offset,
			   m->xstate.features[i].size);
		}
	}
	if (m->has_process_cookie)
		kv(f, 28, "process_cookie", "0x%x", m->process_cookie);
	fputc('\n', f);
}

static void
text_thread_infos(FILE *f, const dw_md_thread_info *t, size_t n)
{
	char a[32], b[32];
	fprintf(f, "MDRawThreadInfoList\n");
	kv(f, 16, "number_of_entries", "%zu", n);
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "thread_info[%zu]\n", i);
		kv(f, 16, "thread_id", "0x%x", t[i].thread_id);
		kv(f, 16, "dump_flags", "0x%x", t[i].dump_flags);
		kv(f, 16, "dump_error", "0x%x", t[i].dump_error);
		kv(f, 16, "exit_status", "0x%x", t[i].exit_status);
		format_filetime(a, sizeof(a), t[i].create_time);
		format_filetime(b, sizeof(b), t[i].exit_time);
		kv(f, 16, "create_time", "0x%" PRIx64 " %s", t[i].create_time, a);
		kv(f, 16, "exit_time", "0x%" PRIx64 " %s", t[i].exit_time, b);
		kv(f, 16, "kernel_time", "%" PRIu64, t[i].kernel_time);
		kv(f, 16, "user_time", "%" PRIu64, t[i].user_time);
		kv(f, 16, "start_address", "0x%" PRIx64, t[i].start_address);
		kv(f, 16, "affinity", "0x%" PRIx64, t[i].affinity);
		fputc('\n', f);
	}
}

static void
text_thread_names(FILE *f, const dw_md_thread_name *t, size_t n)
{
	fprintf(f, "MDRawThreadNameList\n");
	kv(f, 16, "number_of_names", "%zu", n);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  thread_name[%zu]   = 0x%x \"%s\"\n", i, t[i].thread_id, nz(t[i].name));
	fputc('\n', f);
}

static void
text_object_info(FILE *f, const dw_md_handle_object_info *in)
{
	fprintf(f, "    object_info %s (%u bytes at 0x%x)", info_type_name(in->type), in->size,
	        in->rva);
	if (in->decoded) {
		switch (in->type) {
		case DW_MD_HANDLE_INFO_THREAD_1:
			fprintf(f, ": process %" PRIu64 " thread %" PRIu64 " exit_status 0x%x teb 0x%" PRIx64
			           " priority %d",
			        in->u.thread.process_id, in->u.thread.thread_id, in->u.thread.exit_status,
			        in->u.thread.teb, in->u.thread.priority);
			break;
		case DW_MD_HANDLE_INFO_MUTANT_1:
			fprintf(f, ": current_count %d owned_by_caller %d abandoned %d",
			        in->u.mutant.current_count, in->u.mutant.owned_by_caller,
			        in->u.mutant.abandoned);
			break;
		case DW_MD_HANDLE_INFO_MUTANT_2:
			fprintf(f, ": owner process %" PRIu64 " thread %" PRIu64,
			        in->u.mutant_owner.owner_process_id, in->u.mutant_owner.owner_thread_id);
			break;
		case DW_MD_HANDLE_INFO_EVENT_1:
			fprintf(f, ": %s, %s",
			        in->u.event.event_type == 0 ? "manual reset" : "auto reset",
			        in->u.event.event_state ? "signaled" : "not signaled");
			break;
		case DW_MD_HANDLE_INFO_SECTION_1:
			fprintf(f, ": base 0x%" PRIx64 " attributes 0x%x maximum_size 0x%" PRIx64,
			        in->u.section.base_address, in->u.section.allocation_attributes,
			        in->u.section.maximum_size);
			break;
		case DW_MD_HANDLE_INFO_SEMAPHORE_1:
			fprintf(f, ": count %d of %d", in->u.semaphore.current_count,
			        in->u.semaphore.maximum_count);
			break;
		}
	}
	fputc('\n', f);
}

static void
text_handles(FILE *f, const dw_md_streams *s, const dw_md_handle_data *hd)
{
	fprintf(f, "MDRawHandleDataStream\n");
	kv(f, 22, "size_of_header", "%u", hd->size_of_header);
	kv(f, 22, "size_of_descriptor", "%u", hd->size_of_descriptor);
	kv(f, 22, "number_of_descriptors", "%u", hd->number_of_descriptors);
	fputc('\n', f);
	for (size_t i = 0; i < hd->count; i++) {
		const dw_md_handle *h = &hd->handles[i];
		fprintf(f, "handle[%zu]\n", i);
		kv(f, 16, "handle", "0x%" PRIx64, h->handle);
		kv(f, 16, "type_name", "%s", nz(h->type_name));
		kv(f, 16, "object_name", "%s", nz(h->object_name));
		kv(f, 16, "attributes", "0x%x", h->attributes);
		kv(f, 16, "granted_access", "0x%x", h->granted_access);
		kv(f, 16, "handle_count", "%u", h->handle_count);
		kv(f, 16, "pointer_count", "%u", h->pointer_count);
		if (hd->size_of_descriptor >= DW_MD_HANDLE_DESCRIPTOR_2_SIZE)
			kv(f, 16, "object_info_rva", "0x%x", h->object_info_rva);
		for (size_t k = 0; k < h->info_count; k++)
			text_object_info(f, &h->infos[k]);
		fputc('\n', f);
	}
	size_t                         nt, total;
	const dw_md_handle_type_count *tc = dw_md_streams_handle_type_counts(s, &nt, &total);
	fprintf(f, "Handle counts by type (%zu handles)\n", total);
	for (size_t i = 0; i < nt; i++)
		fprintf(f, "  %-28s %zu\n", tc[i].type_name[0] ? tc[i].type_name : "(no type name)",
		        tc[i].count);
	fputc('\n', f);
}

static void
text_memory_infos(FILE *f, const dw_md_memory_info *m, size_t n)
{
	fprintf(f, "MDRawMemoryInfoList\n");
	kv(f, 17, "number_of_entries", "%zu", n);
	fprintf(f, "  %-18s %-18s %-18s %-12s %-10s %s\n", "base_address", "allocation_base",
	        "region_size", "state", "type", "protect (allocation_protect)");
	for (size_t i = 0; i < n; i++) {
		char        p[160], ap[160];
		const char *st = dw_md_mem_state_name(m[i].state), *ty = dw_md_mem_type_name(m[i].type);
		char        stb[16], tyb[16];
		if (st == NULL)
			snprintf(stb, sizeof(stb), "0x%x", m[i].state), st = stb;
		if (ty == NULL)
			snprintf(tyb, sizeof(tyb), "0x%x", m[i].type), ty = tyb;
		dw_md_page_protect_string(p, sizeof(p), m[i].protect);
		dw_md_page_protect_string(ap, sizeof(ap), m[i].allocation_protect);
		fprintf(f, "  0x%016" PRIx64 " 0x%016" PRIx64 " 0x%016" PRIx64 " %-12s %-10s %s (%s)\n",
		        m[i].base_address, m[i].allocation_base, m[i].region_size, st, ty, p, ap);
	}
	fputc('\n', f);
}

static void
text_function_tables(FILE *f, const dw_md_function_tables *ft)
{
	fprintf(f, "MDRawFunctionTableStream\n");
	kv(f, 26, "size_of_header", "%u", ft->size_of_header);
	kv(f, 26, "size_of_descriptor", "%u", ft->size_of_descriptor);
	kv(f, 26, "size_of_native_descriptor", "%u", ft->size_of_native_descriptor);
	kv(f, 26, "size_of_function_entry", "%u", ft->size_of_function_entry);
	kv(f, 26, "number_of_descriptors", "%u", ft->number_of_descriptors);
	kv(f, 26, "size_of_align_pad", "%u", ft->size_of_align_pad);
	fputc('\n', f);
	for (size_t i = 0; i < ft->count; i++) {
		const dw_md_function_table *t = &ft->tables[i];
		fprintf(f, "function_table[%zu]\n", i);
		kv(f, 18, "minimum_address", "0x%" PRIx64, t->minimum_address);
		kv(f, 18, "maximum_address", "0x%" PRIx64, t->maximum_address);
		kv(f, 18, "base_address", "0x%" PRIx64, t->base_address);
		kv(f, 18, "entry_count", "%u", t->entry_count);
		kv(f, 18, "size_of_align_pad", "%u", t->size_of_align_pad);
		kv(f, 18, "(native_offset)", "0x%" PRIx64, t->native_offset);
		kv(f, 18, "(entries_offset)", "0x%" PRIx64, t->entries_offset);
		fputc('\n', f);
	}
}

static void
text_system_memory(FILE *f, const dw_md_system_memory_info *m)
{
	fprintf(f, "MDRawSystemMemoryInfo\n");
	kv(f, 38, "revision", "%u", m->revision);
	kv(f, 38, "flags", "0x%x", m->flags);
	kv(f, 38, "basic_info.timer_resolution", "%u", m->basic.timer_resolution);
	kv(f, 38, "basic_info.page_size", "%u", m->basic.page_size);
	kv(f, 38, "basic_info.number_of_physical_pages", "%u", m->basic.number_of_physical_pages);
	kv(f, 38, "basic_info.allocation_granularity", "%u", m->basic.allocation_granularity);
	kv(f, 38, "basic_info.minimum_user_mode_address", "0x%" PRIx64,
	   m->basic.minimum_user_mode_address);
	kv(f, 38, "basic_info.maximum_user_mode_address", "0x%" PRIx64,
	   m->basic.maximum_user_mode_address);
	kv(f, 38, "basic_info.number_of_processors", "%u", m->basic.number_of_processors);
	kv(f, 38, "file_cache_info.current_size", "%" PRIu64, m->file_cache.current_size);
	kv(f, 38, "file_cache_info.peak_size", "%" PRIu64, m->file_cache.peak_size);
	kv(f, 38, "basic_perf_info.available_pages", "%" PRIu64, m->basic_perf.available_pages);
	kv(f, 38, "basic_perf_info.committed_pages", "%" PRIu64, m->basic_perf.committed_pages);
	kv(f, 38, "basic_perf_info.commit_limit", "%" PRIu64, m->basic_perf.commit_limit);
	kv(f, 38, "basic_perf_info.peak_commitment", "%" PRIu64, m->basic_perf.peak_commitment);
	kv(f, 38, "perf_info.available_pages", "%u", m->perf.available_pages);
	kv(f, 38, "perf_info.committed_pages", "%u", m->perf.committed_pages);
	kv(f, 38, "perf_info.commit_limit", "%u", m->perf.commit_limit);
	kv(f, 38, "perf_info.peak_commitment", "%u", m->perf.peak_commitment);
	kv(f, 38, "perf_info.page_fault_count", "%u", m->perf.page_fault_count);
	kv(f, 38, "perf_info.context_switches", "%u", m->perf.context_switches);
	kv(f, 38, "perf_info.system_calls", "%u", m->perf.system_calls);
	kv(f, 38, "perf_info.resident_available_pages", "%" PRId64,
	   m->perf.resident_available_pages);
	kv(f, 38, "perf_info.shared_committed_pages", "%" PRIu64, m->perf.shared_committed_pages);
	fputc('\n', f);
}

static void
text_vm_counters(FILE *f, const dw_md_process_vm_counters *v)
{
	fprintf(f, "MDRawProcessVmCounters\n");
	kv(f, 31, "revision", "%u", v->revision);
	kv(f, 31, "flags", "0x%x", v->flags);
	kv(f, 31, "page_fault_count", "%u", v->page_fault_count);
	kv(f, 31, "peak_working_set_size", "%" PRIu64, v->peak_working_set_size);
	kv(f, 31, "working_set_size", "%" PRIu64, v->working_set_size);
	kv(f, 31, "quota_peak_paged_pool_usage", "%" PRIu64, v->quota_peak_paged_pool_usage);
	kv(f, 31, "quota_paged_pool_usage", "%" PRIu64, v->quota_paged_pool_usage);
	kv(f, 31, "quota_peak_non_paged_pool_usage", "%" PRIu64, v->quota_peak_non_paged_pool_usage);
	kv(f, 31, "quota_non_paged_pool_usage", "%" PRIu64, v->quota_non_paged_pool_usage);
	kv(f, 31, "pagefile_usage", "%" PRIu64, v->pagefile_usage);
	kv(f, 31, "peak_pagefile_usage", "%" PRIu64, v->peak_pagefile_usage);
	kv(f, 31, "private_usage", "%" PRIu64, v->private_usage);
	if (v->flags & DW_MD_VM_COUNTERS_VIRTUALSIZE) {
		kv(f, 31, "peak_virtual_size", "%" PRIu64, v->peak_virtual_size);
		kv(f, 31, "virtual_size", "%" PRIu64, v->virtual_size);
	}
	if (v->flags & DW_MD_VM_COUNTERS_EX2) {
		kv(f, 31, "private_working_set_size", "%" PRIu64, v->private_working_set_size);
		kv(f, 31, "shared_commit_usage", "%" PRIu64, v->shared_commit_usage);
	}
	if (v->flags & DW_MD_VM_COUNTERS_JOB) {
		kv(f, 31, "job_shared_commit_usage", "%" PRIu64, v->job_shared_commit_usage);
		kv(f, 31, "job_private_commit_usage", "%" PRIu64, v->job_private_commit_usage);
		kv(f, 31, "job_peak_private_commit_usage", "%" PRIu64, v->job_peak_private_commit_usage);
		kv(f, 31, "job_private_commit_limit", "%" PRIu64, v->job_private_commit_limit);
		kv(f, 31, "job_total_commit_limit", "%" PRIu64, v->job_total_commit_limit);
	}
	fputc('\n', f);
}

static void
text_tokens(FILE *f, const dw_md_token_list *l)
{
	fprintf(f, "MDRawTokenInfoList\n");
	kv(f, 19, "token_list_size", "%u", l->token_list_size);
	kv(f, 19, "token_list_entries", "%u", l->token_list_entries);
	kv(f, 19, "list_header_size", "%u", l->list_header_size);
	kv(f, 19, "element_header_size", "%u", l->element_header_size);
	for (size_t i = 0; i < l->count; i++)
		fprintf(f, "  token[%zu]: id %u handle 0x%" PRIx64 " size %u (%u data bytes at 0x%" PRIx64
		           ")\n",
		        i, l->tokens[i].token_id, l->tokens[i].token_handle, l->tokens[i].token_size,
		        l->tokens[i].data_size, l->tokens[i].data_offset);
	fputc('\n', f);
}

static void
text_crashpad(FILE *f, const dw_md_crashpad_info *c)
{
	char g[40];
	fprintf(f, "MDRawCrashpadInfo\n");
	kv(f, 18, "version", "%u", c->version);
	dw_md_guid_string(g, c->report_id);
	kv(f, 18, "report_id", "%s", g);
	dw_md_guid_string(g, c->client_id);
	kv(f, 18, "client_id", "%s", g);
	if (c->has_address_mask)
		kv(f, 18, "address_mask", "0x%" PRIx64, c->address_mask);
	for (size_t i = 0; i < c->annotation_count; i++)
		fprintf(f, "  simple_annotations[\"%s\"] = %s\n", c->annotations[i].key,
		        c->annotations[i].value);
	for (size_t i = 0; i < c->module_count; i++) {
		const dw_md_crashpad_module *m = &c->modules[i];
		fprintf(f, "  module_list[%zu].minidump_module_list_index = %u\n", i, m->module_index);
		for (size_t k = 0; k < m->list_annotation_count; k++)
			fprintf(f, "  module_list[%zu].list_annotations[%zu] = %s\n", i, k,
			        m->list_annotations[k]);
		for (size_t k = 0; k < m->simple_annotation_count; k++)
			fprintf(f, "  module_list[%zu].simple_annotations[\"%s\"] = %s\n", i,
			        m->simple_annotations[k].key, m->simple_annotations[k].value);
	}
	fputc('\n', f);
}

void
dwc_dump_print_other_streams_text(FILE *f, const dw_dump *d)
{
	const dw_md_streams *s = dw_dump_other_streams(d);
	size_t               n;
	if (s == NULL)
		return;
	const dw_md_misc_info *m = dw_md_streams_misc_info(s);
	if (m != NULL)
		text_misc(f, m);
	const dw_md_thread_info *ti = dw_md_streams_thread_infos(s, &n);
	if (ti != NULL)
		text_thread_infos(f, ti, n);
	const dw_md_thread_name *tn = dw_md_streams_thread_names(s, &n);
	if (tn != NULL)
		text_thread_names(f, tn, n);
	const dw_md_handle_data *hd = dw_md_streams_handle_data(s);
	if (hd != NULL)
		text_handles(f, s, hd);
	const dw_md_memory_info *mi = dw_md_streams_memory_infos(s, &n);
	if (mi != NULL)
		text_memory_infos(f, mi, n);
	const dw_md_comment *cm = dw_md_streams_comments(s, &n);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n  \"%s\"\n\n",
		        cm[i].stream_type == DW_MD_STREAM_COMMENT_A ? "CommentStreamA" : "CommentStreamW",
		        cm[i].text);
	const dw_md_function_tables *ft = dw_md_streams_function_tables(s);
	if (ft != NULL)
		text_function_tables(f, ft);
	const dw_md_system_memory_info *sm = dw_md_streams_system_memory_info(s);
	if (sm != NULL)
		text_system_memory(f, sm);
	const dw_md_process_vm_counters *vm = dw_md_streams_process_vm_counters(s);
	if (vm != NULL)
		text_vm_counters(f, vm);
	const dw_md_token_list *tl = dw_md_streams_tokens(s);
	if (tl != NULL)
		text_tokens(f, tl);
	const dw_md_breakpad_info *b = dw_md_streams_breakpad_info(s);
	if (b != NULL) {
		fprintf(f, "MDRawBreakpadInfo\n");
		kv(f, 20, "validity", "0x%x", b->validity);
		if (b->validity & DW_MD_BREAKPAD_INFO_VALID_DUMP_THREAD_ID)
			kv(f, 20, "dump_thread_id", "0x%x", b->dump_thread_id);
		else
			kv(f, 20, "dump_thread_id", "(invalid)");
		if (b->validity & DW_MD_BREAKPAD_INFO_VALID_REQUESTING_THREAD_ID)
			kv(f, 20, "requesting_thread_id", "0x%x", b->requesting_thread_id);
		else
			kv(f, 20, "requesting_thread_id", "(invalid)");
		fputc('\n', f);
	}
	const dw_md_assertion *a = dw_md_streams_assertion(s);
	if (a != NULL) {
		fprintf(f, "MDRawAssertionInfo\n");
		kv(f, 10, "expression", "%s", a->expression);
		kv(f, 10, "function", "%s", a->function);
		kv(f, 10, "file", "%s", a->file);
		kv(f, 10, "line", "%u", a->line);
		kv(f, 10, "type", "%u%s", a->type,
		   a->type == DW_MD_ASSERTION_INVALID_PARAMETER   ? " (invalid parameter)"
		   : a->type == DW_MD_ASSERTION_PURE_VIRTUAL_CALL ? " (pure virtual call)"
		                                                  : "");
		fputc('\n', f);
	}
	const dw_md_crashpad_info *c = dw_md_streams_crashpad_info(s);
	if (c != NULL)
		text_crashpad(f, c);
}

// ---- JSON ------------------------------------------------------------------------------

static void
json_misc(dwc_json *j, const dw_md_misc_info *m)
{
	dwc_json_begin_object(j);
	dwc_json_kv_uint(j, "size_of_info", m->size_of_info);
	dwc_json_kv_hex(j, "flags1", m->flags1);
	dwc_json_kv_int(j, "version", m->version);
	if (m->has_process_id)
		dwc_json_kv_uint(j, "process_id", m->process_id);
	if (m->has_process_times) {
		dwc_json_kv_uint(j, "process_create_time", m->process_create_time);
		dwc_json_kv_uint(j, "process_user_time", m->process_user_time);
		dwc_json_kv_uint(j, "process_kernel_time", m->process_kernel_time);
	}
	if (m->has_power_info) {
		dwc_json_kv_uint(j, "processor_max_mhz", m->processor_max_mhz);
		dwc_json_kv_uint(j, "processor_current_mhz", m->processor_current_mhz);
		dwc_json_kv_uint(j, "processor_mhz_limit", m->processor_mhz_limit);
		dwc_json_kv_uint(j, "processor_max_idle_state", m->processor_max_idle_state);
		dwc_json_kv_uint(j, "processor_current_idle_state", m->processor_current_idle_state);
	}
	if (m->has_integrity_level)
		dwc_json_kv_hex(j, "process_integrity_level", m->process_integrity_level);
	if (m->has_execute_flags)
		dwc_json_kv_hex(j, "process_execute_flags", m->process_execute_flags);
	if (m->has_protected_process)
		dwc_json_kv_uint(j, "protected_process", m->protected_process);
	if (m->has_time_zone) {
		const dw_md_time_zone *z = &m->time_zone;
		char                   t[64];
		dwc_json_kv_uint(j, "time_zone_id", m->time_zone_id);
		dwc_json_key(j, "time_zone");
		dwc_json_begin_object(j);
		dwc_json_kv_int(j, "bias", z->bias);
		dwc_json_kv_string(j, "standard_name", z->standard_name);
		format_systemtime(t, sizeof(t), &z->standard_date);
		dwc_json_kv_string(j, "standard_date", t);
		dwc_json_kv_int(j, "standard_bias", z->standard_bias);
		dwc_json_kv_string(j, "daylight_name", z->daylight_name);
		format_systemtime(t, sizeof(t), &z->daylight_date);
		dwc_json_kv_string(j, "daylight_date", t);
		dwc_json_kv_int(j, "daylight_bias", z->daylight_bias);
		dwc_json_end_object(j);
	}
	if (m->has_build_string) {
		dwc_json_kv_string(j, "build_string", m->build_string);
		dwc_json_kv_string(j, "dbg_bld_str", m->dbg_bld_str);
	}
	if (m->has_xstate) {
		dwc_json_key(j, "xstate_data");
		dwc_json_begin_object(j);
		dwc_json_kv_uint(j, "size_of_info", m->xstate.size_of_info);
		dwc_json_kv_uint(j, "context_size", m->xstate.context_size);
		dwc_json_kv_hex(j, "enabled_features", m->xstate.enabled_features);
		dwc_json_key(j, "features");
		dwc_json_begin_array(j);
		for (int i = 0; i < DW_MD_XSTATE_FEATURES; i++) {
			if (!(m->xstate.enabled_features & ((uint64_t)1 << i)))
				continue;
			dwc_json_begin_object(j);
			dwc_json_kv_int(j, "index", i);
			dwc_json_kv_uint(j, "offset", m->xstate.features[i].offset);
			dwc_json_kv_uint(j, "size", m->xstate.features[i].size);
			dwc_json_end_object(j);
		}
		dwc_json_end_array(j);
		dwc_json_end_object(j);
	}
	if (m->has_process_cookie)
		dwc_json_kv_hex(j, "process_cookie", m->process_cookie);
	dwc_json_end_object(j);
}

static void
json_thread_infos(dwc_json *j, const dw_md_thread_info *t, size_t n)
{
	dwc_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		dwc_json_begin_object(j);
		dwc_json_kv_uint(j, "thread_id", t[i].thread_id);
		dwc_json_kv_hex(j, "dump_flags", t[i].dump_flags);
		dwc_json_kv_hex(j, "dump_error", t[i].dump_error);
		dwc_json_kv_hex(j, "exit_status", t[i].exit_status);
		dwc_json_kv_uint(j, "create_time", t[i].create_time);
		dwc_json_kv_uint(j, "exit_time", t[i].exit_time);
		dwc_json_kv_uint(j, "kernel_time", t[i].kernel_time);
		dwc_json_kv_uint(j, "user_time", t[i].user_time);
		dwc_json_kv_hex(j, "start_address", t[i].start_address);
		dwc_json_kv_hex(j, "affinity", t[i].affinity);
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);
}

static void
json_object_info(dwc_json *j, const dw_md_handle_object_info *in)
{
	dwc_json_begin_object(j);
	dwc_json_kv_string(j, "info_type", info_type_name(in->type));
	dwc_json_kv_uint(j, "info_type_id", in->type);
	dwc_json_kv_uint(j, "size", in->size);
	dwc_json_kv_hex(j, "rva", in->rva);
	if (in->decoded) {
		switch (in->type) {
		case DW_MD_HANDLE_INFO_THREAD_1:
			dwc_json_kv_hex(j, "exit_status", in->u.thread.exit_status);
			dwc_json_kv_hex(j, "teb", in->u.thread.teb);
			dwc_json_kv_uint(j, "process_id", in->u.thread.process_id);
			dwc_json_kv_uint(j, "thread_id", in->u.thread.thread_id);
			dwc_json_kv_hex(j, "affinity", in->u.thread.affinity);
			dwc_json_kv_int(j, "priority", in->u.thread.priority);
			dwc_json_kv_int(j, "base_priority", in->u.thread.base_priority);
			break;
		case DW_MD_HANDLE_INFO_MUTANT_1:
			dwc_json_kv_int(j, "current_count", in->u.mutant.current_count);
			dwc_json_kv_bool(j, "owned_by_caller", in->u.mutant.owned_by_caller);
			dwc_json_kv_bool(j, "abandoned", in->u.mutant.abandoned);
			break;
		case DW_MD_HANDLE_INFO_MUTANT_2:
			dwc_json_kv_uint(j, "owner_process_id", in->u.mutant_owner.owner_process_id);
			dwc_json_kv_uint(j, "owner_thread_id", in->u.mutant_owner.owner_thread_id);
			break;
		case DW_MD_HANDLE_INFO_EVENT_1:
			dwc_json_kv_uint(j, "event_type", in->u.event.event_type);
			dwc_json_kv_int(j, "event_state", in->u.event.event_state);
			break;
		case DW_MD_HANDLE_INFO_SECTION_1:
			dwc_json_kv_hex(j, "base_address", in->u.section.base_address);
			dwc_json_kv_hex(j, "allocation_attributes", in->u.section.allocation_attributes);
			dwc_json_kv_uint(j, "maximum_size", in->u.section.maximum_size);
			break;
		case DW_MD_HANDLE_INFO_SEMAPHORE_1:
			dwc_json_kv_int(j, "current_count", in->u.semaphore.current_count);
			dwc_json_kv_int(j, "maximum_count", in->u.semaphore.maximum_count);
			break;
		}
	}
	dwc_json_end_object(j);
}

static void
json_handles(dwc_json *j, const dw_md_streams *s, const dw_md_handle_data *hd)
{
	dwc_json_begin_object(j);
	dwc_json_kv_uint(j, "size_of_header", hd->size_of_header);
	dwc_json_kv_uint(j, "size_of_descriptor", hd->size_of_descriptor);
	dwc_json_kv_uint(j, "number_of_descriptors", hd->number_of_descriptors);
	size_t                         nt, total;
	const dw_md_handle_type_count *tc = dw_md_streams_handle_type_counts(s, &nt, &total);
	dwc_json_kv_uint(j, "handle_count", total);
	dwc_json_key(j, "handle_counts_by_type");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < nt; i++) {
		dwc_json_begin_object(j);
		dwc_json_kv_string(j, "type_name", tc[i].type_name);
		dwc_json_kv_uint(j, "count", tc[i].count);
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);
	dwc_json_key(j, "handles");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < hd->count; i++) {
		const dw_md_handle *h = &hd->handles[i];
		dwc_json_begin_object(j);
		dwc_json_kv_hex(j, "handle", h->handle);
		dwc_json_kv_string(j, "type_name", h->type_name);
		dwc_json_kv_string(j, "object_name", h->object_name);
		dwc_json_kv_hex(j, "attributes", h->attributes);
		dwc_json_kv_hex(j, "granted_access", h->granted_access);
		dwc_json_kv_uint(j, "handle_count", h->handle_count);
		dwc_json_kv_uint(j, "pointer_count", h->pointer_count);
		if (h->info_count > 0) {
			dwc_json_key(j, "object_info");
			dwc_json_begin_array(j);
			for (size_t k = 0; k < h->info_count; k++)
				json_object_info(j, &h->infos[k]);
			dwc_json_end_array(j);
		}
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);
	dwc_json_end_object(j);
}

static void
json_memory_infos(dwc_json *j, const dw_md_memory_info *m, size_t n)
{
	dwc_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		char p[160];
		dwc_json_begin_object(j);
		dwc_json_kv_hex(j, "base_address", m[i].base_address);
		dwc_json_kv_hex(j, "allocation_base", m[i].allocation_base);
		dwc_json_kv_hex(j, "allocation_protect", m[i].allocation_protect);
		dwc_json_kv_hex(j, "region_size", m[i].region_size);
		dwc_json_kv_hex(j, "state", m[i].state);
		dwc_json_kv_string(j, "state_name", dw_md_mem_state_name(m[i].state));
		dwc_json_kv_hex(j, "protect", m[i].protect);
		dw_md_page_protect_string(p, sizeof(p), m[i].protect);
		dwc_json_kv_string(j, "protect_name", p);
		dwc_json_kv_hex(j, "type", m[i].type);
		dwc_json_kv_string(j, "type_name", dw_md_mem_type_name(m[i].type));
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);
}

static void
json_function_tables(dwc_json *j, const dw_md_function_tables *ft)
{
	dwc_json_begin_object(j);
	dwc_json_kv_uint(j, "size_of_header", ft->size_of_header);
	dwc_json_kv_uint(j, "size_of_descriptor", ft->size_of_descriptor);
	dwc_json_kv_uint(j, "size_of_native_descriptor", ft->size_of_native_descriptor);
	dwc_json_kv_uint(j, "size_of_function_entry", ft->size_of_function_entry);
	dwc_json_kv_uint(j, "number_of_descriptors", ft->number_of_descriptors);
	dwc_json_kv_uint(j, "size_of_align_pad", ft->size_of_align_pad);
	dwc_json_key(j, "tables");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < ft->count; i++) {
		const dw_md_function_table *t = &ft->tables[i];
		dwc_json_begin_object(j);
		dwc_json_kv_hex(j, "minimum_address", t->minimum_address);
		dwc_json_kv_hex(j, "maximum_address", t->maximum_address);
		dwc_json_kv_hex(j, "base_address", t->base_address);
		dwc_json_kv_uint(j, "entry_count", t->entry_count);
		dwc_json_kv_uint(j, "size_of_align_pad", t->size_of_align_pad);
		dwc_json_kv_hex(j, "native_offset", t->native_offset);
		dwc_json_kv_hex(j, "entries_offset", t->entries_offset);
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);
	dwc_json_end_object(j);
}

static void
json_system_memory(dwc_json *j, const dw_md_system_memory_info *m)
{
	dwc_json_begin_object(j);
	dwc_json_kv_uint(j, "revision", m->revision);
	dwc_json_kv_hex(j, "flags", m->flags);
	dwc_json_kv_uint(j, "timer_resolution", m->basic.timer_resolution);
	dwc_json_kv_uint(j, "page_size", m->basic.page_size);
	dwc_json_kv_uint(j, "number_of_physical_pages", m->basic.number_of_physical_pages);
	dwc_json_kv_uint(j, "allocation_granularity", m->basic.allocation_granularity);
	dwc_json_kv_hex(j, "minimum_user_mode_address", m->basic.minimum_user_mode_address);
	dwc_json_kv_hex(j, "maximum_user_mode_address", m->basic.maximum_user_mode_address);
	dwc_json_kv_hex(j, "active_processors_affinity_mask", m->basic.active_processors_affinity_mask);
	dwc_json_kv_uint(j, "number_of_processors", m->basic.number_of_processors);
	dwc_json_kv_uint(j, "file_cache_current_size", m->file_cache.current_size);
	dwc_json_kv_uint(j, "file_cache_peak_size", m->file_cache.peak_size);
	dwc_json_kv_uint(j, "available_pages", m->basic_perf.available_pages);
	dwc_json_kv_uint(j, "committed_pages", m->basic_perf.committed_pages);
	dwc_json_kv_uint(j, "commit_limit", m->basic_perf.commit_limit);
	dwc_json_kv_uint(j, "peak_commitment", m->basic_perf.peak_commitment);
	dwc_json_kv_uint(j, "page_fault_count", m->perf.page_fault_count);
	dwc_json_kv_uint(j, "paged_pool_pages", m->perf.paged_pool_pages);
	dwc_json_kv_uint(j, "non_paged_pool_pages", m->perf.non_paged_pool_pages);
	dwc_json_kv_uint(j, "context_switches", m->perf.context_switches);
	dwc_json_kv_uint(j, "system_calls", m->perf.system_calls);
	dwc_json_kv_int(j, "resident_available_pages", m->perf.resident_available_pages);
	dwc_json_kv_uint(j, "shared_committed_pages", m->perf.shared_committed_pages);
	dwc_json_end_object(j);
}

static void
json_vm_counters(dwc_json *j, const dw_md_process_vm_counters *v)
{
	dwc_json_begin_object(j);
	dwc_json_kv_uint(j, "revision", v->revision);
	dwc_json_kv_hex(j, "flags", v->flags);
	dwc_json_kv_uint(j, "page_fault_count", v->page_fault_count);
	dwc_json_kv_uint(j, "peak_working_set_size", v->peak_working_set_size);
	dwc_json_kv_uint(j, "working_set_size", v->working_set_size);
	dwc_json_kv_uint(j, "quota_peak_paged_pool_usage", v->quota_peak_paged_pool_usage);
	dwc_json_kv_uint(j, "quota_paged_pool_usage", v->quota_paged_pool_usage);
	dwc_json_kv_uint(j, "quota_peak_non_paged_pool_usage", v->quota_peak_non_paged_pool_usage);
	dwc_json_kv_uint(j, "quota_non_paged_pool_usage", v->quota_non_paged_pool_usage);
	dwc_json_kv_uint(j, "pagefile_usage", v->pagefile_usage);
	dwc_json_kv_uint(j, "peak_pagefile_usage", v->peak_pagefile_usage);
	dwc_json_kv_uint(j, "private_usage", v->private_usage);
	if (v->flags & DW_MD_VM_COUNTERS_VIRTUALSIZE) {
		dwc_json_kv_uint(j, "peak_virtual_size", v->peak_virtual_size);
		dwc_json_kv_uint(j, "virtual_size", v->virtual_size);
	}
	if (v->flags & DW_MD_VM_COUNTERS_EX2) {
		dwc_json_kv_uint(j, "private_working_set_size", v->private_working_set_size);
		dwc_json_kv_uint(j, "shared_commit_usage", v->shared_commit_usage);
	}
	if (v->flags & DW_MD_VM_COUNTERS_JOB) {
		dwc_json_kv_uint(j, "job_shared_commit_usage", v->job_shared_commit_usage);
		dwc_json_kv_uint(j, "job_private_commit_usage", v->job_private_commit_usage);
		dwc_json_kv_uint(j, "job_peak_private_commit_usage", v->job_peak_private_commit_usage);
		dwc_json_kv_uint(j, "job_private_commit_limit", v->job_private_commit_limit);
		dwc_json_kv_uint(j, "job_total_commit_limit", v->job_total_commit_limit);
	}
	dwc_json_end_object(j);
}

static void
json_crashpad(dwc_json *j, const dw_md_crashpad_info *c)
{
	char g[40];
	dwc_json_begin_object(j);
	dwc_json_kv_uint(j, "version", c->version);
	dw_md_guid_string(g, c->report_id);
	dwc_json_kv_string(j, "report_id", g);
	dw_md_guid_string(g, c->client_id);
	dwc_json_kv_string(j, "client_id", g);
	if (c->has_address_mask)
		dwc_json_kv_hex(j, "address_mask", c->address_mask);
	dwc_json_key(j, "simple_annotations");
	dwc_json_begin_object(j);
	for (size_t i = 0; i < c->annotation_count; i++)
		dwc_json_kv_string(j, c->annotations[i].key, c->annotations[i].value);
	dwc_json_end_object(j);
	dwc_json_key(j, "module_list");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < c->module_count; i++) {
		const dw_md_crashpad_module *m = &c->modules[i];
		dwc_json_begin_object(j);
		dwc_json_kv_uint(j, "module_index", m->module_index);
		dwc_json_key(j, "list_annotations");
		dwc_json_begin_array(j);
		for (size_t k = 0; k < m->list_annotation_count; k++)
			dwc_json_string(j, m->list_annotations[k]);
		dwc_json_end_array(j);
		dwc_json_key(j, "simple_annotations");
		dwc_json_begin_object(j);
		for (size_t k = 0; k < m->simple_annotation_count; k++)
			dwc_json_kv_string(j, m->simple_annotations[k].key, m->simple_annotations[k].value);
		dwc_json_end_object(j);
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);
	dwc_json_end_object(j);
}

void
dwc_dump_print_other_streams_json(dwc_json *j, const dw_dump *d)
{
	const dw_md_streams *s = dw_dump_other_streams(d);
	size_t               n;

	const dw_md_misc_info *m = dw_md_streams_misc_info(s);
	dwc_json_key(j, "misc_info");
	if (m != NULL)
		json_misc(j, m);
	else
		dwc_json_null(j);

	const dw_md_thread_info *ti = dw_md_streams_thread_infos(s, &n);
	dwc_json_key(j, "thread_info_list");
	if (ti != NULL)
		json_thread_infos(j, ti, n);
	else
		dwc_json_null(j);

	const dw_md_thread_name *tn = dw_md_streams_thread_names(s, &n);
	dwc_json_key(j, "thread_names");
	if (tn != NULL) {
		dwc_json_begin_array(j);
		for (size_t i = 0; i < n; i++) {
			dwc_json_begin_object(j);
			dwc_json_kv_uint(j, "thread_id", tn[i].thread_id);
			dwc_json_kv_string(j, "name", tn[i].name);
			dwc_json_end_object(j);
		}
		dwc_json_end_array(j);
	} else {
		dwc_json_null(j);
	}

	const dw_md_handle_data *hd = dw_md_streams_handle_data(s);
	dwc_json_key(j, "handle_data");
	if (hd != NULL)
		json_handles(j, s, hd);
	else
		dwc_json_null(j);

	const dw_md_memory_info *mi = dw_md_streams_memory_infos(s, &n);
	dwc_json_key(j, "memory_info_list");
	if (mi != NULL)
		json_memory_infos(j, mi, n);
	else
		dwc_json_null(j);

	const dw_md_comment *cm = dw_md_streams_comments(s, &n);
	dwc_json_key(j, "comments");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		dwc_json_begin_object(j);
		dwc_json_kv_string(j, "stream",
		                   cm[i].stream_type == DW_MD_STREAM_COMMENT_A ? "CommentStreamA"
		                                                               : "CommentStreamW");
		dwc_json_kv_string(j, "text", cm[i].text);
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);

	const dw_md_function_tables *ft = dw_md_streams_function_tables(s);
	dwc_json_key(j, "function_tables");
	if (ft != NULL)
		json_function_tables(j, ft);
	else
		dwc_json_null(j);

	const dw_md_system_memory_info *sm = dw_md_streams_system_memory_info(s);
	dwc_json_key(j, "system_memory_info");
	if (sm != NULL)
		json_system_memory(j, sm);
	else
		dwc_json_null(j);

	const dw_md_process_vm_counters *vm = dw_md_streams_process_vm_counters(s);
	dwc_json_key(j, "process_vm_counters");
	if (vm != NULL)
		json_vm_counters(j, vm);
	else
		dwc_json_null(j);

	const dw_md_token_list *tl = dw_md_streams_tokens(s);
	dwc_json_key(j, "tokens");
	if (tl != NULL) {
		dwc_json_begin_object(j);
		dwc_json_kv_uint(j, "token_list_size", tl->token_list_size);
		dwc_json_kv_uint(j, "token_list_entries", tl->token_list_entries);
		dwc_json_kv_uint(j, "list_header_size", tl->list_header_size);
		dwc_json_kv_uint(j, "element_header_size", tl->element_header_size);
		dwc_json_key(j, "entries");
		dwc_json_begin_array(j);
		for (size_t i = 0; i < tl->count; i++) {
			dwc_json_begin_object(j);
			dwc_json_kv_uint(j, "token_id", tl->tokens[i].token_id);
			dwc_json_kv_hex(j, "token_handle", tl->tokens[i].token_handle);
			dwc_json_kv_uint(j, "token_size", tl->tokens[i].token_size);
			dwc_json_kv_uint(j, "data_size", tl->tokens[i].data_size);
			dwc_json_kv_hex(j, "data_offset", tl->tokens[i].data_offset);
			dwc_json_end_object(j);
		}
		dwc_json_end_array(j);
		dwc_json_end_object(j);
	} else {
		dwc_json_null(j);
	}

	const dw_md_breakpad_info *b = dw_md_streams_breakpad_info(s);
	dwc_json_key(j, "breakpad_info");
	if (b != NULL) {
		dwc_json_begin_object(j);
		dwc_json_kv_hex(j, "validity", b->validity);
		dwc_json_key(j, "dump_thread_id");
		if (b->validity & DW_MD_BREAKPAD_INFO_VALID_DUMP_THREAD_ID)
			dwc_json_uint(j, b->dump_thread_id);
		else
			dwc_json_null(j);
		dwc_json_key(j, "requesting_thread_id");
		if (b->validity & DW_MD_BREAKPAD_INFO_VALID_REQUESTING_THREAD_ID)
			dwc_json_uint(j, b->requesting_thread_id);
		else
			dwc_json_null(j);
		dwc_json_end_object(j);
	} else {
		dwc_json_null(j);
	}

	const dw_md_assertion *a = dw_md_streams_assertion(s);
	dwc_json_key(j, "breakpad_assertion");
	if (a != NULL) {
		dwc_json_begin_object(j);
		dwc_json_kv_string(j, "expression", a->expression);
		dwc_json_kv_string(j, "function", a->function);
		dwc_json_kv_string(j, "file", a->file);
		dwc_json_kv_uint(j, "line", a->line);
		dwc_json_kv_uint(j, "type", a->type);
		dwc_json_end_object(j);
	} else {
		dwc_json_null(j);
	}

	const dw_md_crashpad_info *c = dw_md_streams_crashpad_info(s);
	dwc_json_key(j, "crashpad_info");
	if (c != NULL)
		json_crashpad(j, c);
	else
		dwc_json_null(j);
}
