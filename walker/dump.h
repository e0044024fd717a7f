// walker/dump.h - the minidump reader: one parsed Windows user-mode minidump.
//
// Format reference: Microsoft's minidumpapiset.h (MINIDUMP_HEADER,
// MINIDUMP_DIRECTORY and the stream structures) and the DbgHelp documentation.
// Opening a dump reads the header and stream directory (fatal if bad) and then
// every stream it knows. A malformed optional stream is noted and skipped; the
// rest of the dump stays usable. Every record below is allocated from the
// dump's arena: pointers returned by accessors are borrowed and live until
// dw_dump_free. A dw_dump is immutable after open and may be read from many
// threads at once.
#ifndef DW_WALKER_DUMP_H
#define DW_WALKER_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct dw_dump dw_dump;
typedef struct dw_context dw_context;    // walker/context.h
typedef struct dw_md_streams dw_md_streams; // walker/streams.h: the other streams

// MINIDUMP_HEADER (32 bytes).
#define DW_MD_SIGNATURE 0x504d444du // "MDMP"
#define DW_MD_HEADER_SIZE 32
// MINIDUMP_DIRECTORY (12 bytes).
#define DW_MD_DIRECTORY_SIZE 12

// MINIDUMP_STREAM_TYPE values (minidumpapiset.h) and the vendor streams we read.
enum dw_md_stream_type {
	DW_MD_STREAM_UNUSED                  = 0,
	DW_MD_STREAM_THREAD_LIST             = 3,
	DW_MD_STREAM_MODULE_LIST             = 4,
	DW_MD_STREAM_MEMORY_LIST             = 5,
	DW_MD_STREAM_EXCEPTION               = 6,
	DW_MD_STREAM_SYSTEM_INFO             = 7,
	DW_MD_STREAM_THREAD_EX_LIST          = 8,
	DW_MD_STREAM_MEMORY64_LIST           = 9,
	DW_MD_STREAM_COMMENT_A               = 10,
	DW_MD_STREAM_COMMENT_W               = 11,
	DW_MD_STREAM_HANDLE_DATA             = 12,
	DW_MD_STREAM_FUNCTION_TABLE          = 13,
	DW_MD_STREAM_UNLOADED_MODULE_LIST    = 14,
	DW_MD_STREAM_MISC_INFO               = 15,
	DW_MD_STREAM_MEMORY_INFO_LIST        = 16,
	DW_MD_STREAM_THREAD_INFO_LIST        = 17,
	DW_MD_STREAM_HANDLE_OPERATION_LIST   = 18,
	DW_MD_STREAM_TOKEN                   = 19,
	DW_MD_STREAM_JAVASCRIPT_DATA         = 20,
	DW_MD_STREAM_SYSTEM_MEMORY_INFO      = 21,
	DW_MD_STREAM_PROCESS_VM_COUNTERS     = 22,
	DW_MD_STREAM_IPT_TRACE               = 23,
	DW_MD_STREAM_THREAD_NAMES            = 24,
	DW_MD_STREAM_BREAKPAD_INFO           = 0x47670001,
	DW_MD_STREAM_BREAKPAD_ASSERTION_INFO = 0x47670002,
	DW_MD_STREAM_CRASHPAD_INFO           = 0x43500001,
};

// dw_md_stream_name returns a static name for a stream type ("ThreadListStream",
// "BreakpadInfoStream"), or NULL for a type we do not know.
const char *dw_md_stream_name(uint32_t type);

// Why a directory entry was not used.
typedef enum dw_md_stream_state {
	DW_MD_STREAM_OK = 0,      // parsed (or listed, for unknown types)
	DW_MD_STREAM_OUT_OF_RANGE, // data lies (partly) past end of file
	DW_MD_STREAM_DUPLICATE,    // a second stream of a type that must be unique
	DW_MD_STREAM_OVERLAP,      // shares bytes with an earlier stream's data
	DW_MD_STREAM_MALFORMED,    // parse failed; see the dump's notes
} dw_md_stream_state;

typedef struct dw_md_stream {
	uint32_t           type;
	uint32_t           size; // DataSize
	uint32_t           rva;  // Rva
	dw_md_stream_state state;
	bool               known; // dw_md_stream_name(type) != NULL
} dw_md_stream;

typedef struct dw_md_header {
	uint32_t signature;
	uint32_t version;      // low 16 bits MINIDUMP_VERSION (0xa793), high: implementation
	uint32_t stream_count;
	uint32_t stream_directory_rva;
	uint32_t checksum;
	uint32_t time_date_stamp; // seconds since 1970, UTC
	uint64_t flags;           // MINIDUMP_TYPE
} dw_md_header;

// MINIDUMP_LOCATION_DESCRIPTOR: where a blob lies in the file.
typedef struct dw_md_location {
	uint32_t size;
	uint32_t rva;
} dw_md_location;

// MINIDUMP_MEMORY_DESCRIPTOR: captured process memory.
typedef struct dw_md_memdesc {
	uint64_t       start; // StartOfMemoryRange
	dw_md_location loc;
} dw_md_memdesc;

// CPU as the dump declares it (PROCESSOR_ARCHITECTURE_*).
typedef enum dw_cpu {
	DW_CPU_UNKNOWN = -1,
	DW_CPU_X86     = 0,
	DW_CPU_ARM     = 5,
	DW_CPU_IA64    = 6,
	DW_CPU_AMD64   = 9,
	DW_CPU_ARM64   = 12,
	DW_CPU_X86_ON_WIN64 = 10, // PROCESSOR_ARCHITECTURE_IA32_ON_WIN64
} dw_cpu;

// dw_cpu_name returns "x86", "amd64", "arm", "arm64", ... or "unknown".
const char *dw_cpu_name(uint16_t processor_architecture);

// MINIDUMP_SYSTEM_INFO (56 bytes) with its CSD string resolved.
#define DW_MD_SYSTEM_INFO_SIZE 56
typedef struct dw_md_system_info {
	uint16_t    processor_architecture; // PROCESSOR_ARCHITECTURE_*
	uint16_t    processor_level;
	uint16_t    processor_revision;
	uint8_t     number_of_processors;
	uint8_t     product_type; // VER_NT_WORKSTATION 1, DOMAIN_CONTROLLER 2, SERVER 3
	uint32_t    major_version;
	uint32_t    minor_version;
	uint32_t    build_number;
	uint32_t    platform_id; // VER_PLATFORM_WIN32_NT 2
	uint32_t    csd_version_rva;
	const char *csd_version; // UTF-8, "" when absent, NULL when unreadable
	uint16_t    suite_mask;
	// CPU_INFORMATION: the x86 view when processor_architecture is x86 or
	// amd64 (the union's X86CpuInfo member), else the OtherCpuInfo view.
	char     vendor_id[13]; // 12 chars from VendorId[3] + NUL
	uint32_t version_information;
	uint32_t feature_information;
	uint32_t amd_extended_cpu_features;
	uint64_t processor_features[2]; // OtherCpuInfo (raw bytes of the union)
} dw_md_system_info;

// One thread from ThreadList or ThreadExList (MINIDUMP_THREAD, 48 bytes;
// MINIDUMP_THREAD_EX, 64 bytes).
#define DW_MD_THREAD_SIZE 48
#define DW_MD_THREAD_EX_SIZE 64
typedef struct dw_md_thread {
	uint32_t          thread_id;
	uint32_t          suspend_count;
	uint32_t          priority_class;
	uint32_t          priority;
	uint64_t          teb;
	dw_md_memdesc     stack;
	dw_md_location    context_loc;
	const dw_context *context; // NULL when the context is missing or malformed
	bool              has_backing_store; // ThreadEx only (IA64)
	dw_md_memdesc     backing_store;
} dw_md_thread;

// VS_FIXEDFILEINFO (52 bytes) as embedded in MINIDUMP_MODULE.
#define DW_MD_VS_FIXEDFILEINFO_SIZE 52
#define DW_MD_VS_FFI_SIGNATURE 0xFEEF04BDu
typedef struct dw_md_version_info {
	uint32_t signature;
	uint32_t struc_version;
	uint32_t file_version_ms;
	uint32_t file_version_ls;
	uint32_t product_version_ms;
	uint32_t product_version_ls;
	uint32_t file_flags_mask;
	uint32_t file_flags;
	uint32_t file_os;
	uint32_t file_type;
	uint32_t file_subtype;
	uint32_t file_date_ms;
	uint32_t file_date_ls;
} dw_md_version_info;

// CodeView record named by a module (CV_INFO_PDB70 "RSDS" or CV_INFO_PDB20 "NB10").
#define DW_MD_CV_SIGNATURE_RSDS 0x53445352u
#define DW_MD_CV_SIGNATURE_NB10 0x3031424eu
typedef struct dw_md_codeview {
	uint32_t    signature;
	uint8_t     guid[16];  // RSDS: GUID as stored (Data1..3 little-endian)
	uint32_t    age;
	uint32_t    nb10_offset;    // NB10 only
	uint32_t    nb10_signature; // NB10: the PDB's timestamp signature
	const char *pdb_name;       // UTF-8 (bytes as stored), never NULL when parsed
} dw_md_codeview;

// IMAGE_DEBUG_MISC record some old modules carry in MiscRecord.
typedef struct dw_md_misc_record {
	uint32_t    data_type;
	bool        unicode;
	const char *name; // UTF-8
} dw_md_misc_record;

// One loaded module (MINIDUMP_MODULE, 108 bytes).
#define DW_MD_MODULE_SIZE 108
typedef struct dw_md_module {
	uint64_t                 base;
	uint32_t                 size;
	uint32_t                 checksum;
	uint32_t                 time_date_stamp;
	const char              *name; // full path, UTF-8; "" if unreadable
	const char              *basename;  // name's file part (after the last \ or /)
	bool                     is_system; // name is under a Windows directory (dw_vml_path_is_system)
	dw_md_version_info       version;
	bool                     has_version; // version.signature == DW_MD_VS_FFI_SIGNATURE
	dw_md_location           cv_loc;
	const dw_md_codeview    *cv;   // NULL when absent or malformed
	dw_md_location           misc_loc;
	const dw_md_misc_record *misc; // NULL when absent or malformed
	char debug_id[41]; // Breakpad form: GUID hex + age hex (RSDS), or signature+age (NB10); "" if no CV
	char code_id[25];  // TIMESTAMP (8 hex, uppercase) + SizeOfImage (lowercase hex, no padding)
} dw_md_module;

// One unloaded module (MINIDUMP_UNLOADED_MODULE, 24 bytes).
#define DW_MD_UNLOADED_MODULE_SIZE 24
typedef struct dw_md_unloaded_module {
	uint64_t    base;
	uint32_t    size;
	uint32_t    checksum;
	uint32_t    time_date_stamp;
	const char *name;
} dw_md_unloaded_module;

// One captured memory range, from MemoryList or Memory64List.
typedef struct dw_md_memory_range {
	uint64_t start;
	uint64_t size;     // bytes actually present in the file
	uint64_t file_off; // where they are
} dw_md_memory_range;

// MINIDUMP_EXCEPTION_STREAM with its EXCEPTION_RECORD (MINIDUMP_EXCEPTION, 152 bytes).
#define DW_MD_EXCEPTION_STREAM_SIZE 168
typedef struct dw_md_exception {
	uint32_t          thread_id;
	uint32_t          code;
	uint32_t          flags;
	uint64_t          record;  // address of a nested EXCEPTION_RECORD in the process
	uint64_t          address;
	uint32_t          number_parameters; // as stored (may exceed 15 in a bad dump)
	uint64_t          parameters[15];
	dw_md_location    context_loc;
	const dw_context *context; // NULL when missing or malformed
} dw_md_exception;

// ---- Opening ------------------------------------------------------------

// dw_dump_open_buffer parses the minidump in [data, data+len). The bytes are
// borrowed and must outlive the dump. On success *out owns the result (free
// with dw_dump_free). Fails only when the header or stream directory is
// unusable (DW_ETRUNC, DW_ECORRUPT, DW_ELIMIT) or memory runs out; then *out is
// NULL and `notes` (when non-NULL) receives the reason. Stream problems never
// fail the open: they are in dw_dump_notes().
dw_err dw_dump_open_buffer(dw_dump **out, const uint8_t *data, size_t len, dw_notes *notes);

// dw_dump_open_buffer_budget is dw_dump_open_buffer with a ceiling on the
// memory its parse results may take (0: DW_MAX_ARENA_BYTES). A stream whose
// records would pass the ceiling is skipped with a DW_ELIMIT note; the rest
// of the dump is still read. The daemon gives each job its own budget.
dw_err dw_dump_open_buffer_budget(dw_dump **out, const uint8_t *data, size_t len, size_t budget,
                                  dw_notes *notes);

// dw_dump_open_file maps `path` and parses it; the dump owns the mapping.
dw_err dw_dump_open_file(dw_dump **out, const char *path, dw_notes *notes);

// dw_dump_free releases the dump and everything its accessors returned.
void dw_dump_free(dw_dump *d);

// dw_dump_notes returns every problem found while reading (borrowed).
const dw_notes *dw_dump_notes(const dw_dump *d);

// ---- Accessors (all borrowed; NULL / count 0 when the stream is absent) ---

const dw_md_header *dw_dump_header(const dw_dump *d);
const dw_md_stream *dw_dump_streams(const dw_dump *d, size_t *count);
// dw_dump_file_size returns the size of the input in bytes.
size_t dw_dump_file_size(const dw_dump *d);

const dw_md_system_info *dw_dump_system_info(const dw_dump *d);
// dw_dump_cpu returns the CPU whose contexts the dump holds, from SystemInfo;
// DW_CPU_UNKNOWN when there is no SystemInfo.
dw_cpu dw_dump_cpu(const dw_dump *d);

// Threads from ThreadList, or from ThreadExList when only that is present.
const dw_md_thread *dw_dump_threads(const dw_dump *d, size_t *count);
// dw_dump_thread_find returns the thread with `tid`, or NULL.
const dw_md_thread *dw_dump_thread_find(const dw_dump *d, uint32_t tid);

const dw_md_module *dw_dump_modules(const dw_dump *d, size_t *count);
// dw_dump_module_at returns the module whose [base, base+size) holds addr, or NULL.
const dw_md_module *dw_dump_module_at(const dw_dump *d, uint64_t addr);
const dw_md_unloaded_module *dw_dump_unloaded_modules(const dw_dump *d, size_t *count);

// Memory ranges, sorted by start, from MemoryList and Memory64List together.
const dw_md_memory_range *dw_dump_memory(const dw_dump *d, size_t *count);

// dw_dump_read copies len bytes of process memory at addr into buf, spanning
// adjacent ranges. DW_OK when all were present; DW_ENOTFOUND otherwise, with
// *got (if non-NULL) set to the bytes copied before the first missing address.
dw_err dw_dump_read(const dw_dump *d, uint64_t addr, void *buf, size_t len, size_t *got);

// dw_dump_memory_at returns a borrowed pointer to process memory at addr and in
// *avail the contiguous bytes present from there (within one range), or NULL.
const uint8_t *dw_dump_memory_at(const dw_dump *d, uint64_t addr, size_t *avail);
// dw_dump_memory_before is the same looking back from `end`: NULL when the
// byte at end - 1 is not captured; else p such that p[-k .. -1] are the
// bytes [end - k, end) for every k <= *avail (within one range). One lookup
// answers "what code precedes this return address".
const uint8_t *dw_dump_memory_before(const dw_dump *d, uint64_t end, size_t *avail);

const dw_md_exception *dw_dump_exception(const dw_dump *d);

// The other streams (MiscInfo, ThreadInfoList, ThreadNames, HandleData,
// MemoryInfoList, comments, FunctionTable, SystemMemoryInfo, VM counters,
// Token, Breakpad and Crashpad info): see walker/streams.h.
const dw_md_streams *dw_dump_other_streams(const dw_dump *d);

#endif
