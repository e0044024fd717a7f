// daemon/prefetch.h - dumpwalk.v1.Symbols/PrefetchSymbols: resolve the symbol
// files of listed modules (or of a dump's module list) into the download
// cache before their dumps arrive, through the same symbol path, cache
// directory and resolver (symbols/resolve.h) the analyses use.
//
// Downloads wait on the network, not on a CPU, so prefetches run on a few
// threads of their own behind a small bounded queue rather than on the
// analysis workers (sized to the cores): a burst of prefetches for a slow
// symbol server never holds up analyses, and a full queue answers
// RESOURCE_EXHAUSTED with a retry hint. Each request keeps its deadline:
// modules are looked up one after another, and once the deadline has passed
// the request stops with DEADLINE_EXCEEDED (what was fetched stays cached).
// A download in progress is not cut short by the deadline (see
// fetcher_for): it is bounded by the fetcher's connect, stall and total
// timeouts, as an analysis's downloads are.
#ifndef DW_DAEMON_PREFETCH_H
#define DW_DAEMON_PREFETCH_H

#include <stdint.h>

#include "daemon/server_int.h"

// Distinct modules in one request. A process rarely loads more than a few
// hundred (a browser ~300); a bigger list is split by the client, so one
// request's reply stays small and its time bounded.
#define DWD_PREFETCH_MAX_MODULES 512
// Threads resolving prefetches, and requests waiting for them.
#define DWD_PREFETCH_WORKERS 2
#define DWD_PREFETCH_QUEUE 16

// dwd_prefetch_start makes s->prefetch and its threads from the symbol path
// and cache directory s was started with (the ones its analyses use). The
// sources themselves are opened on the first request. Returns 0 or an errno;
// on failure s->prefetch stays NULL and PrefetchSymbols answers UNAVAILABLE.
int dwd_prefetch_start(dwd_server *s);

// dwd_prefetch_stop answers what is still queued with UNAVAILABLE, lets
// running requests stop at their next module, joins the threads and frees
// s->prefetch. Safe when it was never started.
void dwd_prefetch_stop(dwd_server *s);

// dwd_prefetch_submit serves one PrefetchSymbols request (rx->env holds
// it): checks it, then queues it for a prefetch thread, or answers at once
// (INVALID_ARGUMENT, UNAVAILABLE, RESOURCE_EXHAUSTED). Called on the NNG
// callback thread; never blocks on the network.
void dwd_prefetch_submit(dwd_rx *rx);

// Modules prefetched since the daemon started, by outcome (metrics).
typedef struct dwd_prefetch_counts {
	uint64_t found, not_found, failed;
} dwd_prefetch_counts;

// dwd_prefetch_get_counts copies the counts (zeros when not started).
void dwd_prefetch_get_counts(dwd_server *s, dwd_prefetch_counts *out);

#endif
