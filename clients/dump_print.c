// `dumpwalk dump`: the core streams of a minidump as text (laid out like
// Breakpad's minidump_dump, so an analyst can put the two side by side) and
// as JSON.
#include "clients/dump_print.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "walker/context.h"

// ---- shared helpers ------------------------------------------------------------

static const char *
state_name(dw_md_stream_state s)
{
	switch (s) {
	case DW_MD_STREAM_OK: return "ok";
	case DW_MD_STREAM_OUT_OF_RANGE: return "out-of-range";
	case DW_MD_STREAM_DUPLICATE: return "duplicate";
	case DW_MD_STREAM_OVERLAP: return "overlap";
	case DW_MD_STREAM_MALFORMED: return "malformed";
	}
	return "unknown";
}

static void
format_time(char *buf, size_t n, uint32_t t)
{
	time_t    tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, n, "?");
}

static void
format_guid(char *buf, size_t n, const uint8_t *g)
{
	uint32_t d1 = (uint32_t)g[0] | (uint32_t)g[1] << 8 | (uint32_t)g[2] << 16 |
	              (uint32_t)g[3] << 24;
	snprintf(buf, n, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", d1,
	         (unsigned)(g[4] | g[5] << 8), (unsigned)(g[6] | g[7] << 8), g[8], g[9], g[10], g[11],
	         g[12], g[13], g[14], g[15]);
}

static void
format_version(char *buf, size_t n, const dw_md_module *m)
{
	if (!m->has_version) {
		buf[0] = 0;
		return;
	}
	snprintf(buf, n, "%u.%u.%u.%u", m->version.file_version_ms >> 16,
	         m->version.file_version_ms & 0xffff, m->version.file_version_ls >> 16,
	         m->version.file_version_ls & 0xffff);
}

static void
print_hex_bytes(FILE *f, const uint8_t *p, size_t n)
{
	fputs("0x", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
	fputc('\n', f);
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "(null)";
}

// ---- text ------------------------------------------------------------------------

static void
text_context(FILE *f, const dw_context *c)
{
	if (c == NULL) {
		fputs("(no context)\n\n", f);
		return;
	}
	if (c->cpu == DW_CPU_X86) {
		const dw_context_x86 *x = &c->x86;
		fprintf(f, "MDRawContextX86\n");
		fprintf(f, "  context_flags                = 0x%x\n", c->flags);
		fprintf(f, "  dr0                          = 0x%x\n", x->dr0);
		fprintf(f, "  dr1                          = 0x%x\n", x->dr1);
		fprintf(f, "  dr2                          = 0x%x\n", x->dr2);
		fprintf(f, "  dr3                          = 0x%x\n", x->dr3);
		fprintf(f, "  dr6                          = 0x%x\n", x->dr6);
		fprintf(f, "  dr7                          = 0x%x\n", x->dr7);
		fprintf(f, "  float_save.control_word      = 0x%x\n", x->float_save.control_word);
		fprintf(f, "  float_save.status_word       = 0x%x\n", x->float_save.status_word);
		fprintf(f, "  float_save.tag_word          = 0x%x\n", x->float_save.tag_word);
		fprintf(f, "  float_save.error_offset      = 0x%x\n", x->float_save.error_offset);
		fprintf(f, "  float_save.error_selector    = 0x%x\n", x->float_save.error_selector);
		fprintf(f, "  float_save.data_offset       = 0x%x\n", x->float_save.data_offset);
		fprintf(f, "  float_save.data_selector     = 0x%x\n", x->float_save.data_selector);
		fprintf(f, "  float_save.register_area[80] = ");
		print_hex_bytes(f, x->float_save.register_area, 80);
		fprintf(f, "  float_save.cr0_npx_state     = 0x%x\n", x->float_save.cr0_npx_state);
		fprintf(f, "  gs                           = 0x%x\n", x->gs);
		fprintf(f, "  fs                           = 0x%x\n", x->fs);
		fprintf(f, "  es                           = 0x%x\n", x->es);
		fprintf(f, "  ds                           = 0x%x\n", x->ds);
		fprintf(f, "  edi                          = 0x%x\n", x->edi);
		fprintf(f, "  esi                          = 0x%x\n", x->esi);
		fprintf(f, "  ebx                          = 0x%x\n", x->ebx);
		fprintf(f, "  edx                          = 0x%x\n", x->edx);
		fprintf(f, "  ecx                          = 0x%x\n", x->ecx);
		fprintf(f, "  eax                          = 0x%x\n", x->eax);
		fprintf(f, "  ebp                          = 0x%x\n", x->ebp);
		fprintf(f, "  eip                          = 0x%x\n", x->eip);
		fprintf(f, "  cs                           = 0x%x\n", x->cs);
		fprintf(f, "  eflags                       = 0x%x\n", x->eflags);
		fprintf(f, "  esp                          = 0x%x\n", x->esp);
		fprintf(f, "  ss                           = 0x%x\n", x->ss);
		if (c->size >= DW_CONTEXT_X86_SIZE) {
			fprintf(f, "  extended_registers[512]      = ");
			print_hex_bytes(f, x->extended_registers, 512);
		}
	} else if (c->cpu == DW_CPU_AMD64) {
		const dw_context_amd64 *a = &c->amd64;
		fprintf(f, "MDRawContextAMD64\n");
		for (int i = 0; i < 6; i++)
			fprintf(f, "  p%d_home       = 0x%" PRIx64 "\n", i + 1, a->p_home[i]);
		fprintf(f, "  context_flags = 0x%x\n", c->flags);
		fprintf(f, "  mx_csr        = 0x%x\n", a->mx_csr);
		fprintf(f, "  cs            = 0x%x\n", a->cs);
		fprintf(f, "  ds            = 0x%x\n", a->ds);
		fprintf(f, "  es            = 0x%x\n", a->es);
		fprintf(f, "  fs            = 0x%x\n", a->fs);
		fprintf(f, "  gs            = 0x%x\n", a->gs);
		fprintf(f, "  ss            = 0x%x\n", a->ss);
		fprintf(f, "  eflags        = 0x%x\n", a->eflags);
		fprintf(f, "  dr0           = 0x%" PRIx64 "\n", a->dr0);
		fprintf(f, "  dr1           = 0x%" PRIx64 "\n", a->dr1);
		fprintf(f, "  dr2           = 0x%" PRIx64 "\n", a->dr2);
		fprintf(f, "  dr3           = 0x%" PRIx64 "\n", a->dr3);
		fprintf(f, "  dr6           = 0x%" PRIx64 "\n", a->dr6);
		fprintf(f, "  dr7           = 0x%" PRIx64 "\n", a->dr7);
		for (size_t i = 0; i < 16; i++)
			fprintf(f, "  %-13s = 0x%" PRIx64 "\n", dw_context_reg_name(c, i), a->gpr[i]);
		fprintf(f, "  rip           = 0x%" PRIx64 "\n", a->rip);
	}
	if (c->has_xstate) {
		fprintf(f, "  (xstate).mask            = 0x%" PRIx64 "\n", c->xstate.mask);
		fprintf(f, "  (xstate).compaction_mask = 0x%" PRIx64 "\n", c->xstate.compaction_mask);
		if (c->xstate.has_cet) {
			fprintf(f, "  (xstate).cet_u           = 0x%" PRIx64 "\n", c->xstate.cet_u);
			fprintf(f, "  (xstate).cet_ssp         = 0x%" PRIx64 "\n", c->xstate.cet_ssp);
		}
	}
	fputc('\n', f);
}

static void
text_header(FILE *f, const dw_dump *d)
{
	const dw_md_header *h = dw_dump_header(d);
	char                t[32];
	format_time(t, sizeof(t), h->time_date_stamp);
	fprintf(f, "MDRawHeader\n");
	fprintf(f, "  signature            = 0x%x\n", h->signature);
	fprintf(f, "  version              = 0x%x\n", h->version);
	fprintf(f, "  stream_count         = %u\n", h->stream_count);
	fprintf(f, "  stream_directory_rva = 0x%x\n", h->stream_directory_rva);
	fprintf(f, "  checksum             = 0x%x\n", h->checksum);
	fprintf(f, "  time_date_stamp      = 0x%x %s\n", h->time_date_stamp, t);
	fprintf(f, "  flags                = 0x%" PRIx64 "\n\n", h->flags);

	size_t              n;
	const dw_md_stream *s = dw_dump_streams(d, &n);
	for (size_t i = 0; i < n; i++) {
		const char *name = dw_md_stream_name(s[i].type);
		fprintf(f, "mDirectory[%zu]\nMDRawDirectory\n", i);
		fprintf(f, "  stream_type        = 0x%x (%s)\n", s[i].type, name ? name : "unknown");
		fprintf(f, "  location.data_size = %u\n", s[i].size);
		fprintf(f, "  location.rva       = 0x%x\n", s[i].rva);
		if (s[i].state != DW_MD_STREAM_OK)
			fprintf(f, "  (state)            = %s\n", state_name(s[i].state));
		fputc('\n', f);
	}
}

static void
text_memdesc(FILE *f, const char *pfx, const dw_md_memdesc *m)
{
	fprintf(f, "  %s.start_of_memory_range = 0x%" PRIx64 "\n", pfx, m->start);
	fprintf(f, "  %s.memory.data_size      = 0x%x\n", pfx, m->loc.size);
	fprintf(f, "  %s.memory.rva            = 0x%x\n", pfx, m->loc.rva);
}

static void
text_threads(FILE *f, const dw_dump *d)
{
	size_t              n;
	const dw_md_thread *t = dw_dump_threads(d, &n);
	if (t == NULL)
		return;
	fprintf(f, "MinidumpThreadList\n  thread_count = %zu\n\n", n);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "thread[%zu]\nMDRawThread\n", i);
		fprintf(f, "  thread_id                   = 0x%x\n", t[i].thread_id);
		fprintf(f, "  suspend_count               = %u\n", t[i].suspend_count);
		fprintf(f, "  priority_class              = 0x%x\n", t[i].priority_class);
		fprintf(f, "  priority                    = 0x%x\n", t[i].priority);
		fprintf(f, "  teb                         = 0x%" PRIx64 "\n", t[i].teb);
		fprintf(f, "  stack.start_of_memory_range = 0x%" PRIx64 "\n", t[i].stack.start);
		fprintf(f, "  stack.memory.data_size      = 0x%x\n", t[i].stack.loc.size);
		fprintf(f, "  stack.memory.rva            = 0x%x\n", t[i].stack.loc.rva);
		fprintf(f, "  thread_context.data_size    = 0x%x\n", t[i].context_loc.size);
		fprintf(f, "  thread_context.rva          = 0x%x\n", t[i].context_loc.rva);
		if (t[i].has_backing_store)
			text_memdesc(f, "backing_store", &t[i].backing_store);
		fputc('\n', f);
		text_context(f, t[i].context);
	}
}

static void
text_modules(FILE *f, const dw_dump *d)
{
	size_t              n;
	const dw_md_module *m = dw_dump_modules(d, &n);
	if (m == NULL)
		return;
	fprintf(f, "MinidumpModuleList\n  module_count = %zu\n\n", n);
	for (size_t i = 0; i < n; i++) {
		const dw_md_version_info *v = &m[i].version;
		char                      t[32], ver[64];
		format_time(t, sizeof(t), m[i].time_date_stamp);
		format_version(ver, sizeof(ver), &m[i]);
		fprintf(f, "module[%zu]\nMDRawModule\n", i);
		fprintf(f, "  base_of_image                   = 0x%" PRIx64 "\n", m[i].base);
		fprintf(f, "  size_of_image                   = 0x%x\n", m[i].size);
		fprintf(f, "  checksum                        = 0x%x\n", m[i].checksum);
		fprintf(f, "  time_date_stamp                 = 0x%x %s\n", m[i].time_date_stamp, t);
		fprintf(f, "  version_info.signature          = 0x%x\n", v->signature);
		fprintf(f, "  version_info.struct_version     = 0x%x\n", v->struc_version);
		fprintf(f, "  version_info.file_version       = 0x%x:0x%x\n", v->file_version_ms,
		        v->file_version_ls);
		fprintf(f, "  version_info.product_version    = 0x%x:0x%x\n", v->product_version_ms,
		        v->product_version_ls);
		fprintf(f, "  version_info.file_flags_mask    = 0x%x\n", v->file_flags_mask);
		fprintf(f, "  version_info.file_flags         = 0x%x\n", v->file_flags);
		fprintf(f, "  version_info.file_os            = 0x%x\n", v->file_os);
		fprintf(f, "  version_info.file_type          = 0x%x\n", v->file_type);
		fprintf(f, "  version_info.file_subtype       = 0x%x\n", v->file_subtype);
		fprintf(f, "  version_info.file_date          = 0x%x:0x%x\n", v->file_date_ms,
		        v->file_date_ls);
		fprintf(f, "  cv_record.data_size             = %u\n", m[i].cv_loc.size);
		fprintf(f, "  cv_record.rva                   = 0x%x\n", m[i].cv_loc.rva);
		fprintf(f, "  misc_record.data_size           = %u\n", m[i].misc_loc.size);
		fprintf(f, "  misc_record.rva                 = 0x%x\n", m[i].misc_loc.rva);
		fprintf(f, "  (code_file)                     = \"%s\"\n", m[i].name);
		fprintf(f, "  (code_identifier)               = \"%s\"\n", m[i].code_id);
		const dw_md_codeview *cv = m[i].cv;
		if (cv != NULL && cv->signature == DW_MD_CV_SIGNATURE_RSDS) {
			char g[40];
			format_guid(g, sizeof(g), cv->guid);
			fprintf(f, "  (cv_record).cv_signature        = 0x%x\n", cv->signature);
			fprintf(f, "  (cv_record).signature           = %s\n", g);
			fprintf(f, "  (cv_record).age                 = %u\n", cv->age);
			fprintf(f, "  (cv_record).pdb_file_name       = \"%s\"\n", cv->pdb_name);
		} else if (cv != NULL) {
			fprintf(f, "  (cv_record).cv_signature        = 0x%x\n", cv->signature);
			fprintf(f, "  (cv_record).cv_offset           = 0x%x\n", cv->nb10_offset);
			fprintf(f, "  (cv_record).signature           = 0x%x\n", cv->nb10_signature);
			fprintf(f, "  (cv_record).age                 = %u\n", cv->age);
			fprintf(f, "  (cv_record).pdb_file_name       = \"%s\"\n", cv->pdb_name);
		} else {
			fprintf(f, "  (cv_record)                     = (null)\n");
		}
		if (m[i].misc != NULL)
			fprintf(f, "  (misc_record)                   = \"%s\" (type %u)\n",
			        m[i].misc->name, m[i].misc->data_type);
		else
			fprintf(f, "  (misc_record)                   = (null)\n");
		fprintf(f, "  (debug_file)                    = \"%s\"\n",
		        cv != NULL ? cv->pdb_name : m[i].misc != NULL ? m[i].misc->name : "");
		fprintf(f, "  (debug_identifier)              = \"%s\"\n", m[i].debug_id);
		fprintf(f, "  (version)                       = \"%s\"\n\n", ver);
	}
}

static void
text_unloaded(FILE *f, const dw_dump *d)
{
	size_t                       n;
	const dw_md_unloaded_module *u = dw_dump_unloaded_modules(d, &n);
	if (u == NULL)
		return;
	fprintf(f, "MinidumpUnloadedModuleList\n  module_count = %zu\n\n", n);
	for (size_t i = 0; i < n; i++) {
		char t[32];
		format_time(t, sizeof(t), u[i].time_date_stamp);
		fprintf(f, "module[%zu]\nMDRawUnloadedModule\n", i);
		fprintf(f, "  base_of_image   = 0x%" PRIx64 "\n", u[i].base);
		fprintf(f, "  size_of_image   = 0x%x\n", u[i].size);
		fprintf(f, "  checksum        = 0x%x\n", u[i].checksum);
		fprintf(f, "  time_date_stamp = 0x%x %s\n", u[i].time_date_stamp, t);
		fprintf(f, "  (code_file)     = \"%s\"\n\n", u[i].name);
	}
}

static void
text_memory(FILE *f, const dw_dump *d)
{
	size_t                    n;
	const dw_md_memory_range *r = dw_dump_memory(d, &n);
	if (r == NULL)
		return;
	fprintf(f, "MinidumpMemoryList (MemoryList and Memory64List, sorted)\n  region_count = %zu\n\n",
	        n);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "region[%zu]\nMDMemoryDescriptor\n", i);
		fprintf(f, "  start_of_memory_range = 0x%" PRIx64 "\n", r[i].start);
		fprintf(f, "  memory.data_size      = 0x%" PRIx64 "\n", r[i].size);
		fprintf(f, "  memory.rva            = 0x%" PRIx64 "\n\n", r[i].file_off);
	}
}

static void
text_exception(FILE *f, const dw_dump *d)
{
	const dw_md_exception *e = dw_dump_exception(d);
	if (e == NULL)
		return;
	fprintf(f, "MDException\n");
	fprintf(f, "  thread_id                                  = 0x%x\n", e->thread_id);
	fprintf(f, "  exception_record.exception_code            = 0x%x\n", e->code);
	fprintf(f, "  exception_record.exception_flags           = 0x%x\n", e->flags);
	fprintf(f, "  exception_record.exception_record          = 0x%" PRIx64 "\n", e->record);
	fprintf(f, "  exception_record.exception_address         = 0x%" PRIx64 "\n", e->address);
	fprintf(f, "  exception_record.number_parameters         = %u\n", e->number_parameters);
	uint32_t np = e->number_parameters < 15 ? e->number_parameters : 15;
	for (uint32_t i = 0; i < np; i++)
		fprintf(f, "  exception_record.exception_information[%2u] = 0x%" PRIx64 "\n", i,
		        e->parameters[i]);
	fprintf(f, "  thread_context.data_size                   = %u\n", e->context_loc.size);
	fprintf(f, "  thread_context.rva                         = 0x%x\n\n", e->context_loc.rva);
	text_context(f, e->context);
}

static void
text_system(FILE *f, const dw_dump *d)
{
	const dw_md_system_info *s = dw_dump_system_info(d);
	if (s == NULL)
		return;
	bool x86ish = s->processor_architecture == DW_CPU_X86 ||
	              s->processor_architecture == DW_CPU_AMD64 ||
	              s->processor_architecture == DW_CPU_X86_ON_WIN64;
	fprintf(f, "MDRawSystemInfo\n");
	fprintf(f, "  processor_architecture                     = 0x%x (%s)\n",
	        s->processor_architecture, dw_cpu_name(s->processor_architecture));
	fprintf(f, "  processor_level                            = %u\n", s->processor_level);
	fprintf(f, "  processor_revision                         = 0x%x\n", s->processor_revision);
	fprintf(f, "  number_of_processors                       = %u\n", s->number_of_processors);
	fprintf(f, "  product_type                               = %u\n", s->product_type);
	fprintf(f, "  major_version                              = %u\n", s->major_version);
	fprintf(f, "  minor_version                              = %u\n", s->minor_version);
	fprintf(f, "  build_number                               = %u\n", s->build_number);
	fprintf(f, "  platform_id                                = 0x%x%s\n", s->platform_id,
	        s->platform_id == 2 ? " (windows)" : "");
	fprintf(f, "  csd_version_rva                            = 0x%x\n", s->csd_version_rva);
	fprintf(f, "  suite_mask                                 = 0x%x\n", s->suite_mask);
	if (x86ish) {
		fprintf(f, "  cpu.x86_cpu_info.vendor_id                 = \"%s\"\n", s->vendor_id);
		fprintf(f, "  cpu.x86_cpu_info.version_information       = 0x%x\n",
		        s->version_information);
		fprintf(f, "  cpu.x86_cpu_info.feature_information       = 0x%x\n",
		        s->feature_information);
		fprintf(f, "  cpu.x86_cpu_info.amd_extended_cpu_features = 0x%x\n",
		        s->amd_extended_cpu_features);
	} else {
		fprintf(f, "  cpu.other_cpu_info.processor_features[0]   = 0x%" PRIx64 "\n",
		        s->processor_features[0]);
		fprintf(f, "  cpu.other_cpu_info.processor_features[1]   = 0x%" PRIx64 "\n",
		        s->processor_features[1]);
	}
	fprintf(f, "  (csd_version)                              = \"%s\"\n", nz(s->csd_version));
	fprintf(f, "  (cpu_vendor)                               = \"%s\"\n\n", s->vendor_id);
}

void
dwc_dump_print_text(FILE *f, const dw_dump *d)
{
	text_header(f, d);
	text_threads(f, d);
	text_modules(f, d);
	text_unloaded(f, d);
	text_memory(f, d);
	text_exception(f, d);
	text_system(f, d);
	dwc_dump_print_other_streams_text(f, d);
}

// ---- JSON ------------------------------------------------------------------------

static void
json_context(dwc_json *j, const dw_context *c)
{
	if (c == NULL) {
		dwc_json_null(j);
		return;
	}
	dwc_json_begin_object(j);
	dwc_json_kv_string(j, "cpu", dw_cpu_name((uint16_t)c->cpu));
	dwc_json_kv_hex(j, "context_flags", c->flags);
	dwc_json_kv_uint(j, "size", c->size);
	dwc_json_key(j, "registers");
	dwc_json_begin_object(j);
	int digits = (int)dw_context_reg_width(c) * 2;
	for (size_t i = 0; i < dw_context_reg_count(c); i++) {
		uint64_t v;
		if (!dw_context_reg_get(c, i, &v))
			continue;
		dwc_json_key(j, dw_context_reg_name(c, i));
		dwc_json_hex_width(j, v, digits);
	}
	dwc_json_end_object(j);
	if (c->has_xstate) {
		dwc_json_key(j, "xstate");
		dwc_json_begin_object(j);
		dwc_json_kv_hex(j, "mask", c->xstate.mask);
		dwc_json_kv_hex(j, "compaction_mask", c->xstate.compaction_mask);
		if (c->xstate.has_cet) {
			dwc_json_kv_hex(j, "cet_u", c->xstate.cet_u);
			dwc_json_kv_hex(j, "cet_ssp", c->xstate.cet_ssp);
		}
		dwc_json_end_object(j);
	}
	dwc_json_end_object(j);
}

static void
json_location(dwc_json *j, const char *key, dw_md_location loc)
{
	dwc_json_key(j, key);
	dwc_json_begin_object(j);
	dwc_json_kv_uint(j, "size", loc.size);
	dwc_json_kv_hex(j, "rva", loc.rva);
	dwc_json_end_object(j);
}

static void
json_memdesc(dwc_json *j, const char *key, const dw_md_memdesc *m)
{
	dwc_json_key(j, key);
	dwc_json_begin_object(j);
	dwc_json_kv_hex(j, "start", m->start);
	dwc_json_kv_uint(j, "size", m->loc.size);
	dwc_json_kv_hex(j, "rva", m->loc.rva);
	dwc_json_end_object(j);
}

static void
json_header(dwc_json *j, const dw_dump *d)
{
	const dw_md_header *h = dw_dump_header(d);
	dwc_json_kv_uint(j, "file_size", dw_dump_file_size(d));
	dwc_json_key(j, "header");
	dwc_json_begin_object(j);
	dwc_json_kv_hex(j, "signature", h->signature);
	dwc_json_kv_hex(j, "version", h->version);
	dwc_json_kv_uint(j, "stream_count", h->stream_count);
	dwc_json_kv_hex(j, "stream_directory_rva", h->stream_directory_rva);
	dwc_json_kv_hex(j, "checksum", h->checksum);
	dwc_json_kv_uint(j, "time_date_stamp", h->time_date_stamp);
	dwc_json_kv_hex(j, "flags", h->flags);
	dwc_json_end_object(j);

	size_t              n;
	const dw_md_stream *s = dw_dump_streams(d, &n);
	dwc_json_key(j, "streams");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		dwc_json_begin_object(j);
		dwc_json_kv_uint(j, "index", i);
		dwc_json_kv_hex(j, "type", s[i].type);
		dwc_json_kv_string(j, "name", dw_md_stream_name(s[i].type));
		dwc_json_kv_hex(j, "rva", s[i].rva);
		dwc_json_kv_uint(j, "size", s[i].size);
		dwc_json_kv_string(j, "state", state_name(s[i].state));
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);
}

static void
json_system(dwc_json *j, const dw_dump *d)
{
	const dw_md_system_info *s = dw_dump_system_info(d);
	dwc_json_key(j, "system_info");
	if (s == NULL) {
		dwc_json_null(j);
		return;
	}
	dwc_json_begin_object(j);
	dwc_json_kv_uint(j, "processor_architecture", s->processor_architecture);
	dwc_json_kv_string(j, "cpu_arch", dw_cpu_name(s->processor_architecture));
	dwc_json_kv_uint(j, "processor_level", s->processor_level);
	dwc_json_kv_hex(j, "processor_revision", s->processor_revision);
	dwc_json_kv_uint(j, "number_of_processors", s->number_of_processors);
	dwc_json_kv_uint(j, "product_type", s->product_type);
	dwc_json_kv_uint(j, "major_version", s->major_version);
	dwc_json_kv_uint(j, "minor_version", s->minor_version);
	dwc_json_kv_uint(j, "build_number", s->build_number);
	dwc_json_kv_uint(j, "platform_id", s->platform_id);
	dwc_json_kv_string(j, "csd_version", s->csd_version);
	dwc_json_kv_hex(j, "suite_mask", s->suite_mask);
	dwc_json_kv_string(j, "cpu_vendor", s->vendor_id);
	dwc_json_kv_hex(j, "version_information", s->version_information);
	dwc_json_kv_hex(j, "feature_information", s->feature_information);
	dwc_json_kv_hex(j, "amd_extended_cpu_features", s->amd_extended_cpu_features);
	dwc_json_key(j, "processor_features");
	dwc_json_begin_array(j);
	dwc_json_hex(j, s->processor_features[0]);
	dwc_json_hex(j, s->processor_features[1]);
	dwc_json_end_array(j);
	dwc_json_end_object(j);
}

static void
json_threads(dwc_json *j, const dw_dump *d)
{
	size_t              n;
	const dw_md_thread *t = dw_dump_threads(d, &n);
	dwc_json_key(j, "threads");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		dwc_json_begin_object(j);
		dwc_json_kv_hex(j, "thread_id", t[i].thread_id);
		dwc_json_kv_uint(j, "suspend_count", t[i].suspend_count);
		dwc_json_kv_hex(j, "priority_class", t[i].priority_class);
		dwc_json_kv_hex(j, "priority", t[i].priority);
		dwc_json_kv_hex(j, "teb", t[i].teb);
		json_memdesc(j, "stack", &t[i].stack);
		if (t[i].has_backing_store)
			json_memdesc(j, "backing_store", &t[i].backing_store);
		json_location(j, "context_location", t[i].context_loc);
		dwc_json_key(j, "context");
		json_context(j, t[i].context);
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);
}

static void
json_modules(dwc_json *j, const dw_dump *d)
{
	size_t              n;
	const dw_md_module *m = dw_dump_modules(d, &n);
	dwc_json_key(j, "modules");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		char ver[64];
		format_version(ver, sizeof(ver), &m[i]);
		dwc_json_begin_object(j);
		dwc_json_kv_hex(j, "base", m[i].base);
		dwc_json_kv_hex(j, "size", m[i].size);
		dwc_json_kv_hex(j, "checksum", m[i].checksum);
		dwc_json_kv_hex(j, "time_date_stamp", m[i].time_date_stamp);
		dwc_json_kv_string(j, "code_file", m[i].name);
		dwc_json_kv_string(j, "code_id", m[i].code_id);
		dwc_json_kv_string(j, "version", m[i].has_version ? ver : NULL);
		if (m[i].has_version) {
			const dw_md_version_info *v = &m[i].version;
			dwc_json_key(j, "version_info");
			dwc_json_begin_object(j);
			dwc_json_kv_hex(j, "struct_version", v->struc_version);
			dwc_json_kv_hex(j, "file_version_ms", v->file_version_ms);
			dwc_json_kv_hex(j, "file_version_ls", v->file_version_ls);
			dwc_json_kv_hex(j, "product_version_ms", v->product_version_ms);
			dwc_json_kv_hex(j, "product_version_ls", v->product_version_ls);
			dwc_json_kv_hex(j, "file_flags_mask", v->file_flags_mask);
			dwc_json_kv_hex(j, "file_flags", v->file_flags);
			dwc_json_kv_hex(j, "file_os", v->file_os);
			dwc_json_kv_hex(j, "file_type", v->file_type);
			dwc_json_kv_hex(j, "file_subtype", v->file_subtype);
			dwc_json_kv_hex(j, "file_date_ms", v->file_date_ms);
			dwc_json_kv_hex(j, "file_date_ls", v->file_date_ls);
			dwc_json_end_object(j);
		}
		const dw_md_codeview *cv = m[i].cv;
		dwc_json_kv_string(j, "debug_file", cv != NULL ? cv->pdb_name : NULL);
		dwc_json_kv_string(j, "debug_id", m[i].debug_id[0] ? m[i].debug_id : NULL);
		json_location(j, "cv_record_location", m[i].cv_loc);
		dwc_json_key(j, "cv_record");
		if (cv == NULL) {
			dwc_json_null(j);
		} else {
			dwc_json_begin_object(j);
			dwc_json_kv_string(j, "format",
			                   cv->signature == DW_MD_CV_SIGNATURE_RSDS ? "RSDS" : "NB10");
			if (cv->signature == DW_MD_CV_SIGNATURE_RSDS) {
				char g[40];
				format_guid(g, sizeof(g), cv->guid);
				dwc_json_kv_string(j, "guid", g);
			} else {
				dwc_json_kv_hex(j, "offset", cv->nb10_offset);
				dwc_json_kv_hex(j, "signature", cv->nb10_signature);
			}
			dwc_json_kv_uint(j, "age", cv->age);
			dwc_json_kv_string(j, "pdb_file_name", cv->pdb_name);
			dwc_json_end_object(j);
		}
		json_location(j, "misc_record_location", m[i].misc_loc);
		dwc_json_key(j, "misc_record");
		if (m[i].misc == NULL) {
			dwc_json_null(j);
		} else {
			dwc_json_begin_object(j);
			dwc_json_kv_uint(j, "data_type", m[i].misc->data_type);
			dwc_json_kv_bool(j, "unicode", m[i].misc->unicode);
			dwc_json_kv_string(j, "name", m[i].misc->name);
			dwc_json_end_object(j);
		}
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);

	const dw_md_unloaded_module *u = dw_dump_unloaded_modules(d, &n);
	dwc_json_key(j, "unloaded_modules");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		dwc_json_begin_object(j);
		dwc_json_kv_hex(j, "base", u[i].base);
		dwc_json_kv_hex(j, "size", u[i].size);
		dwc_json_kv_hex(j, "checksum", u[i].checksum);
		dwc_json_kv_hex(j, "time_date_stamp", u[i].time_date_stamp);
		dwc_json_kv_string(j, "code_file", u[i].name);
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);
}

static void
json_memory(dwc_json *j, const dw_dump *d)
{
	size_t                    n;
	const dw_md_memory_range *r = dw_dump_memory(d, &n);
	dwc_json_key(j, "memory");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		dwc_json_begin_object(j);
		dwc_json_kv_hex(j, "start", r[i].start);
		dwc_json_kv_uint(j, "size", r[i].size);
		dwc_json_kv_hex(j, "file_offset", r[i].file_off);
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);
}

static void
json_exception(dwc_json *j, const dw_dump *d)
{
	const dw_md_exception *e = dw_dump_exception(d);
	dwc_json_key(j, "exception");
	if (e == NULL) {
		dwc_json_null(j);
		return;
	}
	dwc_json_begin_object(j);
	dwc_json_kv_hex(j, "thread_id", e->thread_id);
	dwc_json_kv_hex(j, "code", e->code);
	dwc_json_kv_hex(j, "flags", e->flags);
	dwc_json_kv_hex(j, "record", e->record);
	dwc_json_kv_hex(j, "address", e->address);
	dwc_json_kv_uint(j, "number_parameters", e->number_parameters);
	dwc_json_key(j, "parameters");
	dwc_json_begin_array(j);
	uint32_t np = e->number_parameters < 15 ? e->number_parameters : 15;
	for (uint32_t i = 0; i < np; i++)
		dwc_json_hex(j, e->parameters[i]);
	dwc_json_end_array(j);
	json_location(j, "context_location", e->context_loc);
	dwc_json_key(j, "context");
	json_context(j, e->context);
	dwc_json_end_object(j);
}

static void
json_notes(dwc_json *j, const dw_notes *notes)
{
	dwc_json_key(j, "notes");
	dwc_json_begin_array(j);
	for (size_t i = 0; i < notes->count; i++) {
		dwc_json_begin_object(j);
		dwc_json_kv_string(j, "code", dw_errname(notes->items[i].code));
		dwc_json_kv_string(j, "text", notes->items[i].text);
		dwc_json_end_object(j);
	}
	dwc_json_end_array(j);
	dwc_json_kv_uint(j, "notes_dropped", notes->dropped);
}

void
dwc_dump_print_json(FILE *f, const dw_dump *d, bool pretty)
{
	dwc_json j;
	dwc_json_init(&j, f, pretty);
	dwc_json_begin_object(&j);
	json_header(&j, d);
	json_system(&j, d);
	json_threads(&j, d);
	json_modules(&j, d);
	json_memory(&j, d);
	json_exception(&j, d);
	dwc_dump_print_other_streams_json(&j, d);
	json_notes(&j, dw_dump_notes(d));
	dwc_json_end_object(&j);
	dwc_json_finish(&j);
}
