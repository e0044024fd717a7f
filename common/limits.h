// common/limits.h - every cap dumpwalk applies to untrusted input, with its reason.
//
// A cap is never a guess at what real data needs: each is well above what real
// Windows processes produce and well below what would let one hostile file
// exhaust a worker. Changing one is a policy decision; say why in the commit.
#ifndef DW_COMMON_LIMITS_H
#define DW_COMMON_LIMITS_H

// Diagnostics kept per object. A fuzzed dump can fail every record of a
// 100k-entry list; the first few hundred notes say all there is to say.
#define DW_MAX_NOTES 256
// One note's text, including the terminating NUL.
#define DW_MAX_NOTE_TEXT 256

// Streams in one minidump directory. Real dumps have 10-30; crashpad and
// debuggers add vendor streams, but never thousands.
#define DW_MAX_STREAMS 4096
// Threads in a ThreadList/ThreadInfoList/ThreadNames stream. Windows allows
// tens of thousands in pathological processes; 65536 covers them.
#define DW_MAX_THREADS 65536
// Modules in a ModuleList/UnloadedModuleList. Large browsers load ~400.
#define DW_MAX_MODULES 16384
// Ranges in MemoryList/Memory64List/MemoryInfoList. A full-memory dump of a
// large process has ~100k regions.
#define DW_MAX_MEMORY_RANGES (1u << 20)
// Handles in HandleData. The handle-leak pattern needs the real count; a
// process is capped by Windows at ~16M handles, real leaks reach ~1M.
#define DW_MAX_HANDLES (1u << 24)
// Object-information records chained behind one handle descriptor.
#define DW_MAX_HANDLE_OBJECT_INFOS 16
// Bytes of one MINIDUMP_STRING (UTF-16). Paths are < 32 KiB UTF-16 units.
#define DW_MAX_MD_STRING_BYTES 65536
// Entries in a FunctionTable stream descriptor and descriptors in total.
#define DW_MAX_FUNCTION_TABLE_ENTRIES (1u << 20)
#define DW_MAX_FUNCTION_TABLES 65536
// Token stream entries.
#define DW_MAX_TOKENS 4096
// Crashpad annotation dictionary entries and module links.
#define DW_MAX_ANNOTATIONS 65536
// Bytes of one CommentStreamA/W kept. Comments are a line or a paragraph a
// tool or person wrote; 1 MiB keeps any real one and stops a huge stream
// from being copied whole into the arena.
#define DW_MAX_COMMENT_BYTES (1u << 20)
// UTF-16 bytes of handle type and object names converted per HandleData
// stream. 302 real handles use ~20 KiB; 16M descriptors may each name a
// 64 KiB string, so the total is capped, and later names are left out.
#define DW_MAX_HANDLE_NAME_BYTES (64u << 20)
// ExceptionInformation has 15 slots by definition (EXCEPTION_MAXIMUM_PARAMETERS).
#define DW_MD_EXCEPTION_MAX_PARAMS 15
// Nested exception records followed through ExceptionRecord pointers.
#define DW_MAX_EXCEPTION_CHAIN 16
// CodeView record bytes. An RSDS record is 24 bytes plus a path.
#define DW_MAX_CODEVIEW_BYTES 65536
// CPU context bytes; an XSTATE context with AVX-512 and CET is < 8 KiB.
#define DW_MAX_CONTEXT_BYTES 65536

// One line of a Breakpad .sym file. The longest real lines are C++ template
// names in FUNC/PUBLIC records, tens of KiB at most (Firefox's libxul); a
// longer line is counted as bad rather than copied into the arena.
#define DW_MAX_SYM_LINE_BYTES (1u << 20)

// MSVC name undecoration (symbols/undecorate.c). MSVC itself truncates
// decorated names at 4 KiB (longer ones become ??@<md5>@), so 64 KiB of input
// or of any intermediate string is generous; nesting deeper than 64 types is
// never produced by real code; the scratch ceiling bounds back-reference
// blowup (each level may repeat the text before it) to a few MiB of work.
#define DW_MAX_UNDNAME_BYTES 65536
#define DW_MAX_UNDNAME_DEPTH 64
#define DW_MAX_UNDNAME_SCRATCH ((size_t)4 << 20)

// Arena: hard ceiling on what one parse may allocate. A minidump's parse
// results are a fraction of the file; 1 GiB stops a crafted count from
// turning a small file into a large allocation.
#define DW_MAX_ARENA_BYTES ((size_t)1 << 30)

// Files mapped for parsing (dumps). Full-memory dumps of big processes reach
// tens of GiB; mapping costs address space only.
#define DW_MAX_FILE_BYTES ((unsigned long long)1 << 40)

// ---- PDB (symbols/msf.c, symbols/pdb*.c) ----
// Streams in one MSF directory. DBI names module streams with 16-bit numbers,
// so a PDB cannot usefully hold more than 65536; the largest real PDBs
// (Chromium, ~4 GiB) have ~30k.
#define DW_MAX_MSF_STREAMS 65536
// Entries in the PDB info stream's named-stream map (/names, /LinkInfo,
// /src/headerblock, /src/files/... for every embedded source). Real PDBs
// hold a handful, or one per embedded source file.
#define DW_MAX_PDB_NAMED_STREAMS 65536
// Modules (object files) in DBI. Chromium links ~60k objects; the module
// index in a section contribution is 16-bit.
#define DW_MAX_PDB_MODULES 65536
// Section contributions: one per COMDAT or section piece of every object,
// a few hundred thousand in the largest binaries.
#define DW_MAX_PDB_CONTRIBS (1u << 24)
// PE sections (IMAGE_FILE_HEADER.NumberOfSections is 16-bit; ~96 in practice)
// and section-map entries.
#define DW_MAX_PDB_SECTIONS 65536
// Source-file references in DBI file info, summed over modules.
#define DW_MAX_PDB_FILE_REFS (1u << 24)
// FPO, frame-data and OMAP entries, publics, procedures, line records: each at
// most one per few bytes of code; 16M entries covers a 100 MB text section.
#define DW_MAX_PDB_RECORDS (1u << 24)
// Lexical nesting of S_BLOCK32 / S_INLINESITE scopes inside one procedure.
// Real code nests a few dozen deep; a crafted stream must not recurse forever.
#define DW_MAX_PDB_SCOPE_DEPTH 256

// ---- PE (symbols/pe*.c) ----
// Sections in one image. NumberOfSections is 16-bit; the loader refuses more
// than 96, linkers emit a few dozen.
#define DW_MAX_PE_SECTIONS 4096
// Exported functions and names. Ordinals are 16-bit; the largest system DLLs
// (ntdll, mfc) export a few thousand.
#define DW_MAX_PE_EXPORTS 65536
// Entries in the debug directory: real images carry 1-10 (CodeView, POGO,
// VC_FEATURE, ILTCG, REPRO, ...).
#define DW_MAX_PE_DEBUG_ENTRIES 1024
// RUNTIME_FUNCTIONs in .pdata: one per function or fragment; a 100 MB
// text section has ~1M.
#define DW_MAX_PE_FUNCTIONS (1u << 22)
// Chained UNWIND_INFO records followed from one function. Compilers chain one
// or two deep (shrink-wrapped fragments); a crafted chain must end.
#define DW_MAX_PE_UNWIND_CHAIN 32
// Entries in one resource directory level, and bytes of a version resource
// (real ones are 1-4 KiB) and strings in its StringFileInfo table.
#define DW_MAX_PE_RESOURCE_ENTRIES 65536
#define DW_MAX_PE_VERSION_BYTES 65536
#define DW_MAX_PE_VERSION_STRINGS 256
// Bytes of one name read from an image (export, forwarder, section-free
// strings). Symbol names beyond 4 KiB are truncated garbage or an attack.
#define DW_MAX_PE_NAME_BYTES 4096

// ---- Compiled symbol tables (symbols/symtab*.c) ----
// Bytes of one table file. Offsets inside a table are 32-bit (string pool,
// unwind blob), so a table cannot usefully exceed 4 GiB; the biggest PDBs
// (Chromium, ~4 GiB) compile to a few hundred MiB.
#define DW_MAX_SYMTAB_BYTES ((unsigned long long)4 << 30)
// Sections in a table's directory: version 1 writes 21; room for additions.
#define DW_MAX_SYMTAB_SECTIONS 64
// Records of one kind given to a builder (functions, publics, lines, unwind
// entries). Indices are 32-bit; the largest binaries have a few million.
#define DW_MAX_SYMTAB_RECORDS (1u << 26)
// Register rules in one STACK CFI record and in the effective rule set at an
// address. dump_syms writes .cfa, .ra and the saved registers: x86-64 has 16
// integer and 16 XMM registers, so real sets hold under 40.
#define DW_MAX_CFI_RULES 64

// ---- Stack walking (walker/walk.c, unwind_*.c, scan.c) ----
// Frames per stack. Real stacks are under a few hundred frames; deep
// recursion (stack overflow) reaches thousands of identical ones, and the
// first 1024 say all there is (Breakpad and rust-minidump stop at 1024 too).
#define DW_MAX_FRAMES 1024
// Stack words a scan for a return address examines. Only call-preceded values
// count where code bytes are available, so a long scan stays safe; where they
// are not, a value is accepted only in the first DW_MAX_SCAN_WORDS_UNVERIFIED
// words (Breakpad scans 30 words, rust-minidump 40).
#define DW_MAX_SCAN_WORDS 1024
#define DW_MAX_SCAN_WORDS_UNVERIFIED 40
// Tokens in one STACK WIN program or STACK CFI expression and the depth of
// its evaluation stack. dump_syms programs have ~30 tokens.
#define DW_MAX_POSTFIX_TOKENS 512
#define DW_MAX_POSTFIX_STACK 64
// Inline frames reported at one address. Real inline depth is < 30.
#define DW_MAX_INLINE_FRAMES 64

// ---- Pattern detectors (walker/finding.c, classify.c, detect_*.c, diff.c) ----
// Findings in one analysis: the catalog has about 60 patterns, a few of them
// once per thread; a list past this is a detector bug or a hostile dump.
#define DW_MAX_FINDINGS 1024
// Evidence items on one finding; the rest are counted, not kept, so a dump
// with 65536 threads cannot make one finding unreadable.
#define DW_MAX_FINDING_EVIDENCE 64
// Exported functions checked for inline hooks per module. ntdll has ~2500
// exports; the check reads 16 bytes per export.
#define DW_MAX_HOOK_EXPORTS 8192
// Bytes of the process environment block read (Environment Hint). Windows
// caps the environment at 32767 characters per variable; real blocks are a
// few KiB.
#define DW_MAX_ENVIRONMENT_BYTES (256u << 10)
// Catchable types followed in one C++ ThrowInfo (a class with many bases
// lists each; real ones have under 20).
#define DW_MAX_CATCHABLE_TYPES 64

// ---- Symbol sources, fetching and the download cache (symbols/source.c,
// fetch.c, cache.c, resolve.c) ----
// Bytes of one _NT_SYMBOL_PATH string and elements in it. WinDbg users paste
// a handful of srv* and directory elements; a megabyte-long path is an error.
#define DW_MAX_SYMPATH_BYTES 65536
#define DW_MAX_SYMPATH_ELEMENTS 64
// Bytes of one file name from a dump (PDB or DLL name, after its directory is
// dropped). NTFS and ext4 limit a path component to 255 bytes; a longer one
// cannot be a real file and must not become a cache path.
#define DW_MAX_SYMFILE_NAME 255
// Characters of a debug or code id. A PDB id is 32 GUID digits plus up to 8
// of age; a code id 8 + 8; Breakpad ids the same. 64 leaves room, no more.
#define DW_MAX_SYMID 64
// Bytes of one downloaded or decompressed symbol file. The largest real PDBs
// (Chromium) are ~4 GiB, which MSF 7.00 with 4 KiB pages cannot exceed much.
#define DW_MAX_SYMFILE_BYTES ((unsigned long long)8 << 30)
// Bytes of a symstore file.ptr ("PATH:..." or "MSG:..."): one path or URL.
#define DW_MAX_FILEPTR_BYTES 4096
// file.ptr redirects followed for one file: symstore writes one level; a
// pointer to a pointer is a loop or an attack.
#define DW_MAX_FILEPTR_DEPTH 1
// HTTP redirects followed per request (Microsoft's server redirects once, to
// a CDN); a redirect loop ends here.
#define DW_MAX_HTTP_REDIRECTS 5
// Attempts per request (first try plus retries) after 429/5xx/network errors,
// and the longest Retry-After honoured: a server asking for more is treated
// as down for now (a short-lived negative entry), not waited on.
#define DW_MAX_FETCH_ATTEMPTS 4
#define DW_MAX_RETRY_AFTER_S 60
// Extra headers configured for one source (auth, tokens).
#define DW_MAX_SOURCE_HEADERS 16
// Bytes of one URL we build or accept (from file.ptr, from configuration).
#define DW_MAX_URL_BYTES 8192

// ---- Stack residue and hidden exceptions (walker/residue.c, hidden.c) ----
// Bytes scanned below a thread's stack pointer: the red zone and the frames
// that just returned (a call's arguments and its callee's locals) lie there;
// WinDbg users look at about this much with `dps @rsp-100`.
#define DW_RESIDUE_BELOW_SP 256
// Bytes of one thread's stack scanned. Windows' default reservation is 1 MiB
// and dumps capture at most what is committed; a larger "stack" is a damaged
// descriptor, so the rest is not scanned.
#define DW_MAX_RESIDUE_STACK_BYTES (4u << 20)
// Classified words kept per thread (counts cover all). A 1 MiB x64 stack has
// 131072 words, most zero; a few thousand meaningful ones is a big stack.
#define DW_MAX_RESIDUE_WORDS 16384
// Exception records examined per thread (plausible ones; Wine and Windows
// copy a record two or three times while dispatching it), and distinct hidden
// exceptions reported per thread.
#define DW_MAX_HIDDEN_RECORDS 64
#define DW_MAX_HIDDEN_PER_THREAD 8
// Distance searched on either side of an EXCEPTION_RECORD for its CONTEXT:
// KiUserExceptionDispatcher's frame holds both within one x64 CONTEXT
// (0x4d0 bytes) and a machine frame; Wine's dispatcher one page.
#define DW_HIDDEN_CONTEXT_WINDOW 0x1000
// Frames kept in a crash signature (the default) and its most: bucketing
// uses the top few meaningful frames; more makes one bug many buckets.
#define DW_SIGNATURE_FRAMES 3
#define DW_MAX_SIGNATURE_FRAMES 16
// Bytes of one function name in a signature, and of a template argument list
// kept before it is cut to "<...>".
#define DW_MAX_SIGNATURE_NAME 160
#define DW_MAX_SIGNATURE_TEMPLATE 24

// ---- The daemon and its clients (daemon/, clients/client.c) ----
// Bytes of one request (an Envelope with its payload) a daemon accepts by
// default (server.max_message_bytes; NNG accepts any size unless told).
// A minidump of a typical crash is tens of KiB to a few MiB; bigger ones are
// uploaded in chunks. Each context holds at most one request, so contexts x
// this bounds the memory requests take.
#define DW_DAEMON_MESSAGE_BYTES (8u << 20)
// The least and most server.max_message_bytes may be set to: below 64 KiB a
// report with registers does not fit in a reply; NNG sizes are 32-bit.
#define DW_DAEMON_MIN_MESSAGE_BYTES 65536
#define DW_DAEMON_MAX_MESSAGE_BYTES (1ull << 31)
// Requests waiting for a worker by default (server.queue_depth), and the
// most it may be set to. Each waiting request holds its message, so the
// depth times the message size is what a flood can make the daemon hold.
#define DW_DAEMON_QUEUE_DEPTH 64
#define DW_DAEMON_MAX_QUEUE_DEPTH 65536
// Bytes of one uploaded dump (uploads.max_bytes) and of all uploads in
// progress (uploads.max_total_bytes) by default, and the most they may be
// set to. Full-memory dumps of big processes reach tens of GiB; a daemon
// holds uploads in memory, so the defaults stay at what one host can spare.
#define DW_DAEMON_UPLOAD_BYTES (1ull << 30)
#define DW_DAEMON_UPLOAD_TOTAL_BYTES (2ull << 30)
#define DW_DAEMON_MAX_UPLOAD_BYTES (1ull << 40)
#define DW_DAEMON_MAX_UPLOAD_TOTAL_BYTES (1ull << 42)
// Uploads open at once. Each is one client's dump in transit; a fleet
// pipeline has tens in flight per daemon.
#define DW_DAEMON_MAX_UPLOADS 256
// Bytes of one report being built (daemon/analyze.c): the parse results are
// in the dump's own arena; this holds the report's arrays and formatted
// strings. A report is a few KiB per thread with registers, so 64 MiB bounds
// a crafted 65536-thread dump.
#define DW_MAX_REPORT_BYTES ((size_t)64 << 20)
// Bytes of one reply a client accepts from a server (clients/client.c): a
// report with registers for a dump of thousands of threads is tens of MiB; a
// server sending more is broken or hostile.
#define DW_MAX_REPLY_BYTES ((size_t)256 << 20)

#endif
