// daemon/analyze.h - the analysis step: minidump bytes in, a serialized
// AnalyzeReply (dumpwalk/v1/analyzer.proto) out.
//
// This is the one boundary the service calls to analyze a dump, and the one
// place the reader's model (walker/) is converted into the wire report. The
// daemon's workers and `dumpwalk analyze --local` both call it, and the
// client renders the reply it returns either way, so both paths print the
// same bytes.
//
// The pipeline: read the dump -> the symbol provider (symbols/provider.h,
// over local directories and an _NT_SYMBOL_PATH through symbols/resolve.h)
// -> dw_walk_dump -> dw_classify + dw_classify_walk -> the report.
#ifndef DW_DAEMON_ANALYZE_H
#define DW_DAEMON_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DWD_ANALYZE_MESSAGE_MAX 512
// AnalysisReport.report_version of what this code writes.
#define DWD_REPORT_VERSION 1

// Symbol sources shared by every analysis of a process (a daemon's workers,
// the client's -j threads): a provider whose compiled tables stay open
// between analyses. Thread-safe once made.
typedef struct dwd_symbols dwd_symbols;

typedef struct dwd_symbols_opts {
	const char *const *dirs;        // local directories (symbol-server, Breakpad or flat layout)
	size_t             ndirs;
	const char        *symbol_path; // _NT_SYMBOL_PATH syntax, or NULL
	const char        *cache_dir;   // download cache; NULL: the path's own, else the user's
} dwd_symbols_opts;

// dwd_symbols_new makes the sources; *out is owned by the caller
// (dwd_symbols_free, after every analysis using it returned). On failure
// (nonzero: a dw_err) `why` says what to fix. A symbol path whose elements
// are all bad is a failure; one bad element among good ones is skipped.
int  dwd_symbols_new(dwd_symbols **out, const dwd_symbols_opts *o, char *why, size_t whylen);
void dwd_symbols_free(dwd_symbols *s);

// dwd_symbols_forget_misses makes the next analysis search again for every
// module whose symbols were found nowhere (the provider remembers such a
// miss for DW_SYMPROV_MISS_TTL_MS): call it after symbol files were added,
// e.g. once a PrefetchSymbols has put them in the cache. NULL is fine.
void dwd_symbols_forget_misses(dwd_symbols *s);

// dwd_symbols_resolver returns the resolver behind s's symbol path (cache,
// stores, servers) for other lookups to share, NULL when s has no symbol
// path; *http says whether the path names an HTTP server (each lookup then
// brings its own fetcher). Safe from several threads, as the analyses use it.
struct dw_resolver *dwd_symbols_resolver(const dwd_symbols *s, bool *http);

typedef struct dwd_analyze_opts {
	const dwd_symbols *symbols; // NULL: no symbols (frames by module+offset)
	size_t budget;            // ceiling on the reader's parse results; 0: DW_MAX_ARENA_BYTES
	bool   include_registers; // thread and exception contexts in the report
	// cancelled (may be NULL) is polled between steps; when it returns true
	// the analysis stops with DEADLINE_EXCEEDED.
	bool (*cancelled)(void *arg);
	void *cancel_arg;
} dwd_analyze_opts;

typedef struct dwd_analysis {
	int      code;    // a dumpwalk.v1.StatusCode value; 0 (OK) on success
	char     message[DWD_ANALYZE_MESSAGE_MAX]; // "" on success
	uint8_t *reply;   // serialized AnalyzeReply (malloc'd), when code is OK
	size_t   reply_len;
} dwd_analysis;

// dwd_analyze analyzes the minidump in [dump, dump+len) (borrowed for the
// call) into *out, which the caller releases with dwd_analysis_fini. Never
// fails without saying why: out->code and out->message are set for a dump
// that cannot be read (INVALID_ARGUMENT), memory exhaustion
// (RESOURCE_EXHAUSTED) or cancellation (DEADLINE_EXCEEDED). Thread-safe:
// calls share nothing.
void dwd_analyze(dwd_analysis *out, const uint8_t *dump, size_t len, const dwd_analyze_opts *opt);

// The report of one analysis (dumpwalk/v1/report.proto's AnalysisReport).
struct Dumpwalk__V1__AnalysisReport;
typedef void (*dwd_report_fn)(const struct Dumpwalk__V1__AnalysisReport *r, void *arg);

// dwd_analyze_report is dwd_analyze for a caller in the same process
// (`dumpwalk analyze --local`): instead of serializing the report it calls
// use(report, arg) once, on the calling thread, with the report that
// dwd_analyze would have serialized; the report is borrowed for that call
// only. out->reply stays NULL; without a report (out->code not OK) `use` is
// not called. The renderers print the same bytes from it as from the
// daemon's reply decoded.
void dwd_analyze_report(dwd_analysis *out, const uint8_t *dump, size_t len,
                        const dwd_analyze_opts *opt, dwd_report_fn use, void *arg);

// dwd_analysis_fini frees out->reply; out may be reused after.
void dwd_analysis_fini(dwd_analysis *a);

// dwd_exception_name returns the symbolic name of a well-known exception
// code ("EXCEPTION_ACCESS_VIOLATION"), or NULL.
const char *dwd_exception_name(uint32_t code);

#endif
