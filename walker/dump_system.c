// SystemInfo stream: MINIDUMP_SYSTEM_INFO (minidumpapiset.h), 56 bytes.
#include "walker/dump_int.h"

#include <string.h>

dw_err
dw_dump__parse_system_info(dw_dump *d)
{
	dw_cur              c;
	const dw_md_stream *s = dw_dump__stream(d, DW_MD_STREAM_SYSTEM_INFO, &c);
	if (s == NULL)
		return DW_OK;
	if (s->size < DW_MD_SYSTEM_INFO_SIZE) {
		dw_fail(&d->notes, DW_ETRUNC,
		        "SystemInfoStream at offset 0x%x: %u bytes, shorter than the %d-byte "
		        "MINIDUMP_SYSTEM_INFO; stream ignored",
		        s->rva, s->size, DW_MD_SYSTEM_INFO_SIZE);
		dw_dump__mark(d, s, DW_MD_STREAM_MALFORMED);
		return DW_OK;
	}
	dw_md_system_info *si = dw_arena_alloc(&d->arena, sizeof(*si));
	if (si == NULL)
		return DW_ENOMEM;
	si->processor_architecture = dw_cur_u16le(&c);
	si->processor_level        = dw_cur_u16le(&c);
	si->processor_revision     = dw_cur_u16le(&c);
	si->number_of_processors   = dw_cur_u8(&c);
	si->product_type           = dw_cur_u8(&c);
	si->major_version          = dw_cur_u32le(&c);
	si->minor_version          = dw_cur_u32le(&c);
	si->build_number           = dw_cur_u32le(&c);
	si->platform_id            = dw_cur_u32le(&c);
	si->csd_version_rva        = dw_cur_u32le(&c);
	si->suite_mask             = dw_cur_u16le(&c);
	(void)dw_cur_u16le(&c); // Reserved2

	// CPU_INFORMATION is a 24-byte union; keep both views. The x86 view:
	// VendorId[3] (the CPUID leaf 0 string in EBX, EDX, ECX order, as bytes),
	// VersionInformation, FeatureInformation, AMDExtendedCpuFeatures. The other
	// view: ProcessorFeatures[2], the first 16 bytes.
	dw_cur         u;
	const uint8_t *cpu = dw_cur_bytes(&c, 24);
	if (c.err != DW_OK || cpu == NULL) // cannot happen: size checked above
		return dw_fail(&d->notes, DW_ETRUNC, "SystemInfoStream: cut off");
	dw_cur_init(&u, cpu, 24);
	for (int i = 0; i < 12; i++) {
		uint8_t ch = dw_cur_u8(&u);
		// Keep it printable; the string is shown to people and JSON.
		si->vendor_id[i] = ch == 0 ? 0 : (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	si->vendor_id[12]             = 0;
	si->version_information       = dw_cur_u32le(&u);
	si->feature_information       = dw_cur_u32le(&u);
	si->amd_extended_cpu_features = dw_cur_u32le(&u);
	dw_cur_init(&u, cpu, 24);
	si->processor_features[0] = dw_cur_u64le(&u);
	si->processor_features[1] = dw_cur_u64le(&u);
	if (si->processor_architecture != DW_CPU_X86 && si->processor_architecture != DW_CPU_AMD64 &&
	    si->processor_architecture != DW_CPU_X86_ON_WIN64)
		si->vendor_id[0] = 0;

	// CSDVersionRva 0 means "no service pack string" for some writers;
	// Windows itself always writes one (often empty).
	if (si->csd_version_rva == 0)
		si->csd_version = "";
	else if (dw_dump__string(d, si->csd_version_rva, "SystemInfoStream CSD version",
	                         &si->csd_version) == DW_ENOMEM)
		return DW_ENOMEM;
	d->system_info = si;
	return DW_OK;
}
