// walker/streams.h - the minidump streams beyond the core ones: MiscInfo,
// ThreadInfoList, ThreadNames, HandleData, MemoryInfoList, comments,
// FunctionTable, SystemMemoryInfo, ProcessVmCounters, Token, and the Breakpad
// and Crashpad vendor streams.
//
// Format reference: Microsoft's minidumpapiset.h (every MINIDUMP_* structure is
// declared under pshpack4.h, so 8-byte fields sit on 4-byte boundaries where the
// declaration puts them), Breakpad's minidump_format.h for the 0x4767xxxx
// streams and Crashpad's minidump_extensions.h for 0x43500001. Layouts that no
// public header describes (the payloads of handle object information) are
// marked "inferred" where they are decoded.
//
// Get the object with dw_dump_other_streams(d) (walker/dump.h). Every accessor
// takes that pointer, accepts NULL (a dump whose other streams were never
// parsed), and returns borrowed records that live until dw_dump_free. A stream
// that is absent or was malformed beyond use reads as NULL / count 0; what was
// wrong is in dw_dump_notes(d) and the stream's directory state. Immutable after
// dw_dump_open_*; safe to read from many threads.
#ifndef DW_WALKER_STREAMS_H
#define DW_WALKER_STREAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "walker/dump.h"

// ---- MiscInfo (MINIDUMP_MISC_INFO .. MINIDUMP_MISC_INFO_5) -------------------

// SizeOfInfo of each version.
#define DW_MD_MISC_INFO_1_SIZE 24
#define DW_MD_MISC_INFO_2_SIZE 44
#define DW_MD_MISC_INFO_3_SIZE 232
#define DW_MD_MISC_INFO_4_SIZE 832
#define DW_MD_MISC_INFO_5_SIZE 1364

// Flags1 bits: which members are valid (a member also has to lie inside SizeOfInfo).
#define DW_MD_MISC1_PROCESS_ID 0x001u
#define DW_MD_MISC1_PROCESS_TIMES 0x002u
#define DW_MD_MISC1_PROCESSOR_POWER_INFO 0x004u
#define DW_MD_MISC3_PROCESS_INTEGRITY 0x010u
#define DW_MD_MISC3_PROCESS_EXECUTE_FLAGS 0x020u
#define DW_MD_MISC3_TIMEZONE 0x040u
#define DW_MD_MISC3_PROTECTED_PROCESS 0x080u
#define DW_MD_MISC4_BUILDSTRING 0x100u
#define DW_MD_MISC5_PROCESS_COOKIE 0x200u

// SYSTEMTIME (16 bytes).
typedef struct dw_md_systemtime {
	uint16_t year, month, day_of_week, day, hour, minute, second, milliseconds;
} dw_md_systemtime;

// TIME_ZONE_INFORMATION (172 bytes); names are WCHAR[32] converted to UTF-8.
typedef struct dw_md_time_zone {
	int32_t          bias; // minutes, UTC = local + bias
	const char      *standard_name;
	dw_md_systemtime standard_date;
	int32_t          standard_bias;
	const char      *daylight_name;
	dw_md_systemtime daylight_date;
	int32_t          daylight_bias;
} dw_md_time_zone;

// XSTATE_CONFIG_FEATURE_MSC_INFO (528 bytes): where each XSAVE feature lives
// in a context's extended area.
#define DW_MD_XSTATE_FEATURES 64
typedef struct dw_md_xstate_config {
	uint32_t size_of_info;
	uint32_t context_size;
	uint64_t enabled_features; // bit i set: features[i] is meaningful
	struct {
		uint32_t offset;
		uint32_t size;
	} features[DW_MD_XSTATE_FEATURES];
} dw_md_xstate_config;

// The has_* members combine Flags1 with SizeOfInfo: a member is reported only
// when its flag is set and the record is long enough to hold it.
typedef struct dw_md_misc_info {
	uint32_t size_of_info; // as stored
	uint32_t flags1;
	int      version; // 1..5, the largest whose size fits in size_of_info

	bool     has_process_id;
	uint32_t process_id;
	bool     has_process_times;
	uint32_t process_create_time; // seconds since 1970, UTC
	uint32_t process_user_time;   // seconds
	uint32_t process_kernel_time; // seconds

	bool     has_power_info;
	uint32_t processor_max_mhz;
	uint32_t processor_current_mhz;
	uint32_t processor_mhz_limit;
	uint32_t processor_max_idle_state;
	uint32_t processor_current_idle_state;

	bool     has_integrity_level;
	uint32_t process_integrity_level; // SECURITY_MANDATORY_*_RID
	bool     has_execute_flags;
	uint32_t process_execute_flags; // MEM_EXECUTE_OPTION_*
	bool     has_protected_process;
	uint32_t protected_process;
	bool     has_time_zone;
	uint32_t time_zone_id; // TIME_ZONE_ID_UNKNOWN 0, STANDARD 1, DAYLIGHT 2
	dw_md_time_zone time_zone;

	bool        has_build_string;
	const char *build_string; // WCHAR[260], UTF-8
	const char *dbg_bld_str;  // WCHAR[40], UTF-8

	bool                has_xstate; // version 5 with a non-zero XStateData.SizeOfInfo
	dw_md_xstate_config xstate;
	bool                has_process_cookie;
	uint32_t            process_cookie;
} dw_md_misc_info;

// dw_md_streams_misc_info returns the MiscInfo stream, or NULL.
const dw_md_misc_info *dw_md_streams_misc_info(const dw_md_streams *s);

// ---- ThreadInfoList (MINIDUMP_THREAD_INFO_LIST) --------------------------------

#define DW_MD_THREAD_INFO_LIST_HEADER_SIZE 12
#define DW_MD_THREAD_INFO_SIZE 64

// DumpFlags bits (MINIDUMP_THREAD_INFO_*).
#define DW_MD_THREAD_INFO_ERROR_THREAD 0x01u
#define DW_MD_THREAD_INFO_WRITING_THREAD 0x02u
#define DW_MD_THREAD_INFO_EXITED_THREAD 0x04u
#define DW_MD_THREAD_INFO_INVALID_INFO 0x08u
#define DW_MD_THREAD_INFO_INVALID_CONTEXT 0x10u
#define DW_MD_THREAD_INFO_INVALID_TEB 0x20u

// MINIDUMP_THREAD_INFO. Times are FILETIME-style 100 ns units (create/exit:
// since 1601 UTC; kernel/user: durations).
typedef struct dw_md_thread_info {
	uint32_t thread_id;
	uint32_t dump_flags;
	uint32_t dump_error; // HRESULT
	uint32_t exit_status;
	uint64_t create_time;
	uint64_t exit_time;
	uint64_t kernel_time;
	uint64_t user_time;
	uint64_t start_address;
	uint64_t affinity;
} dw_md_thread_info;

// dw_md_streams_thread_infos returns the ThreadInfoList entries in file order.
const dw_md_thread_info *dw_md_streams_thread_infos(const dw_md_streams *s, size_t *count);
// dw_md_streams_thread_info_find returns the entry for `tid`, or NULL.
const dw_md_thread_info *dw_md_streams_thread_info_find(const dw_md_streams *s, uint32_t tid);

// ---- ThreadNames (MINIDUMP_THREAD_NAME_LIST) --------------------------------

#define DW_MD_THREAD_NAME_SIZE 12 // ULONG ThreadId + RVA64, packed to 4

typedef struct dw_md_thread_name {
	uint32_t    thread_id;
	uint64_t    name_rva;
	const char *name; // UTF-8; NULL when the string was unreadable (noted)
} dw_md_thread_name;

const dw_md_thread_name *dw_md_streams_thread_names(const dw_md_streams *s, size_t *count);
// dw_md_streams_thread_name_find returns the name of thread `tid`, or NULL.
const char *dw_md_streams_thread_name_find(const dw_md_streams *s, uint32_t tid);

// ---- HandleData (MINIDUMP_HANDLE_DATA_STREAM) --------------------------------

#define DW_MD_HANDLE_DATA_HEADER_SIZE 16
#define DW_MD_HANDLE_DESCRIPTOR_SIZE 32   // MINIDUMP_HANDLE_DESCRIPTOR
#define DW_MD_HANDLE_DESCRIPTOR_2_SIZE 40 // MINIDUMP_HANDLE_DESCRIPTOR_2
#define DW_MD_HANDLE_OBJECT_INFO_HEADER_SIZE 12

// MINIDUMP_HANDLE_OBJECT_INFORMATION_TYPE.
typedef enum dw_md_handle_info_type {
	DW_MD_HANDLE_INFO_NONE        = 0,
	DW_MD_HANDLE_INFO_THREAD_1    = 1,
	DW_MD_HANDLE_INFO_MUTANT_1    = 2,
	DW_MD_HANDLE_INFO_MUTANT_2    = 3,
	DW_MD_HANDLE_INFO_PROCESS_1   = 4,
	DW_MD_HANDLE_INFO_PROCESS_2   = 5,
	DW_MD_HANDLE_INFO_EVENT_1     = 6,
	DW_MD_HANDLE_INFO_SECTION_1   = 7,
	DW_MD_HANDLE_INFO_SEMAPHORE_1 = 8,
} dw_md_handle_info_type;

// dw_md_handle_info_type_name returns "MutantInformation2" etc., or NULL.
const char *dw_md_handle_info_type_name(uint32_t type);

// One MINIDUMP_HANDLE_OBJECT_INFORMATION record. dbghelp copies the kernel's
// NtQueryObject/NtQuery*Information answers verbatim; minidumpapiset.h says it
// "does not control nor describe the actual data". The decoded members below
// are inferred from the NT *_BASIC_INFORMATION structures and are set only
// when `decoded` is true (type known and SizeOfInfo large enough); pointer-sized
// members are read as 8 bytes when the record has the 64-bit size, else as 4.
typedef struct dw_md_handle_object_info {
	uint32_t       rva;  // of the record header
	uint32_t       type; // dw_md_handle_info_type
	uint32_t       size; // SizeOfInfo: raw bytes after the header
	const uint8_t *data; // the raw bytes, borrowed from the dump's input
	bool           decoded;
	union {
		struct { // THREAD_1: THREAD_BASIC_INFORMATION (inferred)
			uint32_t exit_status;
			uint64_t teb;
			uint64_t process_id;
			uint64_t thread_id;
			uint64_t affinity;
			int32_t  priority;
			int32_t  base_priority;
		} thread;
		struct { // MUTANT_1: MUTANT_BASIC_INFORMATION (inferred)
			int32_t current_count; // 1 free, <= 0 owned (recursion depth)
			bool    owned_by_caller;
			bool    abandoned;
		} mutant;
		struct { // MUTANT_2: MUTANT_OWNER_INFORMATION, a CLIENT_ID (inferred)
			uint64_t owner_process_id;
			uint64_t owner_thread_id; // 0: not owned
		} mutant_owner;
		struct { // EVENT_1: EVENT_BASIC_INFORMATION (inferred)
			uint32_t event_type; // 0 notification (manual reset), 1 synchronization
			int32_t  event_state; // non-zero: signaled
		} event;
		struct { // SECTION_1: SECTION_BASIC_INFORMATION (inferred)
			uint64_t base_address;
			uint32_t allocation_attributes; // SEC_*
			uint64_t maximum_size;
		} section;
		struct { // SEMAPHORE_1: SEMAPHORE_BASIC_INFORMATION (inferred)
			int32_t current_count;
			int32_t maximum_count;
		} semaphore;
	} u;
} dw_md_handle_object_info;

typedef struct dw_md_handle {
	uint64_t    handle;
	const char *type_name;   // UTF-8; NULL when TypeNameRva is 0 or unreadable
	const char *object_name; // UTF-8; NULL when ObjectNameRva is 0 or unreadable
	uint32_t    attributes;
	uint32_t    granted_access;
	uint32_t    handle_count;
	uint32_t    pointer_count;
	uint32_t    object_info_rva; // descriptor v2 only
	const dw_md_handle_object_info *infos; // the NextInfoRva chain, in order
	size_t                          info_count;
} dw_md_handle;

typedef struct dw_md_handle_data {
	uint32_t            size_of_header;
	uint32_t            size_of_descriptor; // 32 (v1) or 40 (v2); larger is read as v2
	uint32_t            number_of_descriptors;
	const dw_md_handle *handles;
	size_t              count; // handles read (less than declared only if truncated)
} dw_md_handle_data;

// dw_md_streams_handle_data returns the HandleData stream, or NULL.
const dw_md_handle_data *dw_md_streams_handle_data(const dw_md_streams *s);

// How many handles of one object type the process held (Handle Leak pattern).
typedef struct dw_md_handle_type_count {
	const char *type_name; // "" for handles without a type name
	size_t      count;
} dw_md_handle_type_count;

// dw_md_streams_handle_type_counts returns the handles per type name, most
// numerous first (ties by name), and in *total the number of handles.
const dw_md_handle_type_count *dw_md_streams_handle_type_counts(const dw_md_streams *s,
                                                                size_t *count, size_t *total);
// dw_md_streams_handle_count_of returns how many handles have type `type_name`
// ("" counts the unnamed ones); 0 when none or no HandleData.
size_t dw_md_streams_handle_count_of(const dw_md_streams *s, const char *type_name);

// ---- MemoryInfoList (MINIDUMP_MEMORY_INFO_LIST) --------------------------------

#define DW_MD_MEMORY_INFO_LIST_HEADER_SIZE 16
#define DW_MD_MEMORY_INFO_SIZE 48

// State (MEM_*), Type (MEM_*) and Protect (PAGE_*) values from winnt.h.
#define DW_MD_MEM_COMMIT 0x1000u
#define DW_MD_MEM_RESERVE 0x2000u
#define DW_MD_MEM_FREE 0x10000u
#define DW_MD_MEM_PRIVATE 0x20000u
#define DW_MD_MEM_MAPPED 0x40000u
#define DW_MD_MEM_IMAGE 0x1000000u
#define DW_MD_PAGE_EXECUTE_ANY 0xF0u // EXECUTE, EXECUTE_READ, _READWRITE, _WRITECOPY

typedef struct dw_md_memory_info {
	uint64_t base_address;
	uint64_t allocation_base;
	uint32_t allocation_protect;
	uint64_t region_size;
	uint32_t state;
	uint32_t protect;
	uint32_t type;
} dw_md_memory_info;

// dw_md_streams_memory_infos returns the regions in file order (VirtualQuery
// order, ascending for every writer we know).
const dw_md_memory_info *dw_md_streams_memory_infos(const dw_md_streams *s, size_t *count);
// dw_md_streams_memory_info_at returns the region holding addr, or NULL.
const dw_md_memory_info *dw_md_streams_memory_info_at(const dw_md_streams *s, uint64_t addr);

// dw_md_mem_state_name returns "MEM_COMMIT", "MEM_RESERVE", "MEM_FREE" or NULL;
// dw_md_mem_type_name returns "MEM_PRIVATE", "MEM_MAPPED", "MEM_IMAGE" or NULL.
const char *dw_md_mem_state_name(uint32_t state);
const char *dw_md_mem_type_name(uint32_t type);
// dw_md_page_protect_string writes PAGE_* names joined by '|' ("PAGE_READWRITE",
// "PAGE_EXECUTE_READ|PAGE_GUARD", or "0x..." for unknown bits) into buf.
void dw_md_page_protect_string(char *buf, size_t bufsize, uint32_t protect);

// ---- CommentStreamA / CommentStreamW ---------------------------------------

typedef struct dw_md_comment {
	uint32_t    stream_type; // DW_MD_STREAM_COMMENT_A or _W
	const char *text;        // UTF-8 (CommentStreamA bytes are copied as stored)
} dw_md_comment;

// dw_md_streams_comments returns every comment stream, in directory order.
const dw_md_comment *dw_md_streams_comments(const dw_md_streams *s, size_t *count);

// ---- FunctionTable (MINIDUMP_FUNCTION_TABLE_STREAM) ----------------------------

#define DW_MD_FUNCTION_TABLE_HEADER_SIZE 24
#define DW_MD_FUNCTION_TABLE_DESCRIPTOR_SIZE 32

// One dynamic function table (RtlAddFunctionTable / RtlInstallFunctionTableCallback).
// The native descriptor (DYNAMIC_FUNCTION_TABLE on amd64) and the entries
// (RUNTIME_FUNCTION, 12 bytes on amd64) stay raw for the unwinder: pointers
// into the dump's input plus their file offsets. Layout checked against
// electron-node-minidump/windows.dmp: header, header pad, then per table:
// descriptor, native descriptor, entries, descriptor pad.
typedef struct dw_md_function_table {
	uint64_t       minimum_address;
	uint64_t       maximum_address;
	uint64_t       base_address;
	uint32_t       entry_count;
	uint32_t       size_of_align_pad;
	uint64_t       native_offset; // file offset of the native descriptor
	const uint8_t *native;        // size_of_native_descriptor bytes
	uint64_t       entries_offset;
	const uint8_t *entries; // entry_count * size_of_function_entry bytes
} dw_md_function_table;

typedef struct dw_md_function_tables {
	uint32_t                    size_of_header;
	uint32_t                    size_of_descriptor;
	uint32_t                    size_of_native_descriptor;
	uint32_t                    size_of_function_entry;
	uint32_t                    number_of_descriptors;
	uint32_t                    size_of_align_pad;
	const dw_md_function_table *tables;
	size_t                      count;
} dw_md_function_tables;

const dw_md_function_tables *dw_md_streams_function_tables(const dw_md_streams *s);

// ---- SystemMemoryInfo (MINIDUMP_SYSTEM_MEMORY_INFO_1, 492 bytes) ---------------

#define DW_MD_SYSTEM_MEMORY_INFO_1_SIZE 492
// Flags (MINIDUMP_SYSMEMINFO1_*).
#define DW_MD_SYSMEMINFO1_FILECACHE_TRANSITIONREPURPOSECOUNT_FLAGS 0x1u
#define DW_MD_SYSMEMINFO1_BASICPERF 0x2u
#define DW_MD_SYSMEMINFO1_PERF_CCTOTALDIRTYPAGES_CCDIRTYPAGETHRESHOLD 0x4u
#define DW_MD_SYSMEMINFO1_PERF_RESIDENTAVAILABLEPAGES_SHAREDCOMMITPAGES 0x8u

typedef struct dw_md_system_memory_info {
	uint16_t revision;
	uint16_t flags;
	struct { // MINIDUMP_SYSTEM_BASIC_INFORMATION
		uint32_t timer_resolution;
		uint32_t page_size;
		uint32_t number_of_physical_pages;
		uint32_t lowest_physical_page_number;
		uint32_t highest_physical_page_number;
		uint32_t allocation_granularity;
		uint64_t minimum_user_mode_address;
		uint64_t maximum_user_mode_address;
		uint64_t active_processors_affinity_mask;
		uint32_t number_of_processors;
	} basic;
	struct { // MINIDUMP_SYSTEM_FILECACHE_INFORMATION
		uint64_t current_size;
		uint64_t peak_size;
		uint32_t page_fault_count;
		uint64_t minimum_working_set;
		uint64_t maximum_working_set;
		uint64_t current_size_including_transition_in_pages;
		uint64_t peak_size_including_transition_in_pages;
		uint32_t transition_repurpose_count;
		uint32_t flags;
	} file_cache;
	struct { // MINIDUMP_SYSTEM_BASIC_PERFORMANCE_INFORMATION (valid with BASICPERF)
		uint64_t available_pages;
		uint64_t committed_pages;
		uint64_t commit_limit;
		uint64_t peak_commitment;
	} basic_perf;
	struct { // MINIDUMP_SYSTEM_PERFORMANCE_INFORMATION, the members we use
		uint64_t idle_process_time;
		uint64_t io_read_transfer_count;
		uint64_t io_write_transfer_count;
		uint64_t io_other_transfer_count;
		uint32_t available_pages;
		uint32_t committed_pages;
		uint32_t commit_limit;
		uint32_t peak_commitment;
		uint32_t page_fault_count;
		uint32_t paged_pool_pages;
		uint32_t non_paged_pool_pages;
		uint32_t free_system_ptes;
		uint32_t context_switches;
		uint32_t system_calls;
		uint64_t cc_total_dirty_pages;
		uint64_t cc_dirty_page_threshold;
		int64_t  resident_available_pages;
		uint64_t shared_committed_pages;
	} perf;
} dw_md_system_memory_info;

const dw_md_system_memory_info *dw_md_streams_system_memory_info(const dw_md_streams *s);

// ---- ProcessVmCounters (MINIDUMP_PROCESS_VM_COUNTERS_1 / _2) -------------------

#define DW_MD_PROCESS_VM_COUNTERS_1_SIZE 80
#define DW_MD_PROCESS_VM_COUNTERS_2_SIZE 152
// Flags of revision 2 (MINIDUMP_PROCESS_VM_COUNTERS*); revision 1 implies
// VM_COUNTERS | EX.
#define DW_MD_VM_COUNTERS 0x01u
#define DW_MD_VM_COUNTERS_VIRTUALSIZE 0x02u
#define DW_MD_VM_COUNTERS_EX 0x04u
#define DW_MD_VM_COUNTERS_EX2 0x08u
#define DW_MD_VM_COUNTERS_JOB 0x10u

typedef struct dw_md_process_vm_counters {
	uint16_t revision; // 1 or 2
	uint16_t flags;    // as stored for revision 2; VM_COUNTERS|EX for revision 1
	uint32_t page_fault_count;
	uint64_t peak_working_set_size;
	uint64_t working_set_size;
	uint64_t quota_peak_paged_pool_usage;
	uint64_t quota_paged_pool_usage;
	uint64_t quota_peak_non_paged_pool_usage;
	uint64_t quota_non_paged_pool_usage;
	uint64_t pagefile_usage;
	uint64_t peak_pagefile_usage;
	uint64_t peak_virtual_size; // VIRTUALSIZE
	uint64_t virtual_size;      // VIRTUALSIZE
	uint64_t private_usage;     // EX
	uint64_t private_working_set_size; // EX2
	uint64_t shared_commit_usage;      // EX2
	uint64_t job_shared_commit_usage;  // JOB
	uint64_t job_private_commit_usage;
	uint64_t job_peak_private_commit_usage;
	uint64_t job_private_commit_limit;
	uint64_t job_total_commit_limit;
} dw_md_process_vm_counters;

const dw_md_process_vm_counters *dw_md_streams_process_vm_counters(const dw_md_streams *s);

// ---- Token (MINIDUMP_TOKEN_INFO_LIST) --------------------------------------

#define DW_MD_TOKEN_INFO_LIST_HEADER_SIZE 16
#define DW_MD_TOKEN_INFO_HEADER_SIZE 16

// One token. TokenSize counts the whole element, header included (as every
// dump we have shows: a single element's TokenSize is TokenListSize minus the
// list header); the token bytes after ElementHeaderSize stay raw.
typedef struct dw_md_token {
	uint32_t       token_size;
	uint32_t       token_id; // process id (process token) or thread id
	uint64_t       token_handle;
	uint64_t       data_offset; // file offset of the raw token data
	uint32_t       data_size;
	const uint8_t *data; // borrowed from the dump's input
} dw_md_token;

typedef struct dw_md_token_list {
	uint32_t           token_list_size;
	uint32_t           token_list_entries;
	uint32_t           list_header_size;
	uint32_t           element_header_size;
	const dw_md_token *tokens;
	size_t             count;
} dw_md_token_list;

const dw_md_token_list *dw_md_streams_tokens(const dw_md_streams *s);

// ---- Breakpad (MDRawBreakpadInfo, MDRawAssertionInfo) ----------------------

#define DW_MD_BREAKPAD_INFO_SIZE 12
#define DW_MD_BREAKPAD_INFO_VALID_DUMP_THREAD_ID 0x1u
#define DW_MD_BREAKPAD_INFO_VALID_REQUESTING_THREAD_ID 0x2u

typedef struct dw_md_breakpad_info {
	uint32_t validity;
	uint32_t dump_thread_id;       // the thread that wrote the dump
	uint32_t requesting_thread_id; // the thread that asked for it (the crashed one)
} dw_md_breakpad_info;

const dw_md_breakpad_info *dw_md_streams_breakpad_info(const dw_md_streams *s);

// MDRawAssertionInfo: three UTF-16 fields of 128 units each, line, type.
#define DW_MD_ASSERTION_INFO_SIZE 776
#define DW_MD_ASSERTION_FIELD_UNITS 128
// Types (MD_ASSERTION_INFO_TYPE_*).
#define DW_MD_ASSERTION_UNKNOWN 0u
#define DW_MD_ASSERTION_INVALID_PARAMETER 1u
#define DW_MD_ASSERTION_PURE_VIRTUAL_CALL 2u

typedef struct dw_md_assertion {
	const char *expression; // UTF-8, "" when empty
	const char *function;
	const char *file;
	uint32_t    line;
	uint32_t    type;
} dw_md_assertion;

const dw_md_assertion *dw_md_streams_assertion(const dw_md_streams *s);

// ---- Crashpad (MinidumpCrashpadInfo) ----------------------------------------

#define DW_MD_CRASHPAD_INFO_MIN_SIZE 52 // through module_list; 64 with address_mask

typedef struct dw_md_annotation {
	const char *key;   // UTF-8 (MinidumpUTF8String)
	const char *value; // UTF-8
} dw_md_annotation;

// One MinidumpModuleCrashpadInfoLink with what its MinidumpModuleCrashpadInfo holds.
typedef struct dw_md_crashpad_module {
	uint32_t                module_index; // into the ModuleList
	dw_md_location          location;
	bool                    parsed; // the info record was readable
	uint32_t                version;
	const char *const      *list_annotations;
	size_t                  list_annotation_count;
	const dw_md_annotation *simple_annotations;
	size_t                  simple_annotation_count;
} dw_md_crashpad_module;

typedef struct dw_md_crashpad_info {
	uint32_t                     version;
	uint8_t                      report_id[16]; // UUID as stored
	uint8_t                      client_id[16];
	bool                         has_address_mask;
	uint64_t                     address_mask;
	const dw_md_annotation      *annotations; // simple_annotations
	size_t                       annotation_count;
	const dw_md_crashpad_module *modules;
	size_t                       module_count;
} dw_md_crashpad_info;

const dw_md_crashpad_info *dw_md_streams_crashpad_info(const dw_md_streams *s);

// dw_md_guid_string formats 16 stored GUID bytes (Data1..3 little-endian) as
// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into out (at least 37 bytes).
void dw_md_guid_string(char *out, const uint8_t guid[16]);

#endif
