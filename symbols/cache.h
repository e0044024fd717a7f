// symbols/cache.h - the on-disk download cache for symbol files.
//
// The cache directory is itself a symbol store in symstore layout
// (name.pdb/GUIDAGE/name.pdb, name.dll/TIMESTAMPSIZE/name.dll,
// name.pdb/ID/name.sym), so any HTTP server can serve it to other daemons.
// Beside each file:
//   FILE.sha256   its checksum in sha256sum(1) format; a file whose checksum
//                 is missing or wrong is removed and refetched, never used.
//                 The sidecar's mtime is the entry's last use (for LRU).
//   FILE.neg      a negative entry: "not found", "corrupt" or "timed out",
//                 with an expiry time; persisted across restarts.
//   *.dwsym etc.  compiled tables written by others in the same folder; they
//                 count toward the quota and are evicted with the entry.
// Private state lives in dot-folders: .tmp/ (downloads in progress, renamed
// into place when complete and verified) and .locks/ (cross-process locks).
//
// Keys are relative paths "name/ID/file" whose components have passed
// dw_symname_check / dw_symid_check (symbols/source.h); anything else is
// refused with DW_EINVAL, so a key can never leave the directory.
//
// Eviction: when usage passes the quota, whole entries (name/ID folders) go,
// least recently used first, until usage is under the quota. Files already
// open or mapped stay valid (unlinking does not affect open files on Linux);
// entries being downloaded by this process, or used within the grace period,
// are skipped (so usage may stay over the quota for that long).
//
// Threads: a dw_symcache may be used by many threads at once.
#ifndef DW_SYMBOLS_CACHE_H
#define DW_SYMBOLS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct dw_symcache dw_symcache;

typedef struct dw_symcache_opts {
	uint64_t quota_bytes;   // 0: unlimited
	uint32_t ttl_missing_s; // negative entry for "not found"; default 1 day
	uint32_t ttl_corrupt_s; // for "every copy found was corrupt"; default 1 day
	uint32_t ttl_timeout_s; // for "timed out" and "server unavailable"; default 5 minutes
	uint32_t lock_wait_ms;  // wait for another process's download; default 10 min
	// Entries used less than this long ago are not evicted: a path handed
	// out by dw_symcache_lookup stays openable while its caller gets to
	// open it (once open or mapped, a file survives eviction anyway).
	// Default 10 s; 0 evicts strictly by age.
	uint32_t evict_grace_s;
	bool     evict_grace_set; // evict_grace_s was given (0 is a valid choice)
} dw_symcache_opts;

// dw_symcache_opts_default fills o with the defaults above.
void dw_symcache_opts_default(dw_symcache_opts *o);

// dw_symcache_open opens (creating when needed) the cache at dir and sums its
// usage. o may be NULL for defaults. DW_EIO (noted) when dir cannot be
// created or used, DW_ENOMEM.
dw_err dw_symcache_open(dw_symcache **out, const char *dir, const dw_symcache_opts *o,
                        dw_notes *notes);
// dw_symcache_close frees the object (not the files). No flight may be open.
void dw_symcache_close(dw_symcache *c);
// dw_symcache_dir returns the directory (borrowed, lives as long as c).
const char *dw_symcache_dir(const dw_symcache *c);
// dw_symcache_usage returns the bytes the cache believes it holds.
uint64_t dw_symcache_usage(dw_symcache *c);

// dw_symcache_lookup finds key in the cache. On DW_OK *path (caller frees)
// names a file whose size and checksum match its sidecar, and the entry's
// last use is now. DW_ENOTFOUND when absent; DW_ECORRUPT (noted) when the
// file failed its check: it and its sidecar were removed. DW_EINVAL for a bad key.
dw_err dw_symcache_lookup(char **path, dw_symcache *c, const char *key, dw_notes *notes);

// A negative entry's reason.
typedef enum dw_symcache_neg_kind {
	DW_NEG_MISSING     = 1,
	DW_NEG_CORRUPT     = 2,
	DW_NEG_TIMEOUT     = 3,
	DW_NEG_UNAVAILABLE = 4, // server errors, refusals, redirect loops (the timeout TTL)
} dw_symcache_neg_kind;

// dw_symcache_neg_get reports a live negative entry for key: DW_OK with
// *kind and the note text written to note (cap bytes, may be NULL); an
// expired or unreadable entry is removed and DW_ENOTFOUND returned.
dw_err dw_symcache_neg_get(dw_symcache_neg_kind *kind, char *note, size_t cap, dw_symcache *c,
                           const char *key);
// dw_symcache_neg_put records a negative entry with the kind's time to live.
dw_err dw_symcache_neg_put(dw_symcache *c, const char *key, dw_symcache_neg_kind kind,
                           const char *note);

// Single flight: one download per key however many threads (and, through a
// lock file, processes) want it.
typedef struct dw_symcache_flight dw_symcache_flight;

// dw_symcache_begin joins the flight for key. When no other thread of this
// process is fetching key, *leader is true: the caller fetches (holding the
// cross-process lock too) and must call dw_symcache_end. Otherwise it waits
// until the leader ends, then returns with *leader false and *out NULL: look
// the key up (or its negative entry) again. DW_ETIMEDOUT when another process
// held the lock past lock_wait_ms, DW_EINVAL for a bad key, DW_ENOMEM.
dw_err dw_symcache_begin(dw_symcache_flight **out, bool *leader, dw_symcache *c, const char *key);
// dw_symcache_tmpfile creates an empty file under .tmp/ for a download:
// *fd open for read and write, *path (caller frees). DW_EIO.
dw_err dw_symcache_tmpfile(int *fd, char **path, dw_symcache *c);
// dw_symcache_commit moves the verified file tmp_path into place as the
// flight's key: writes the checksum sidecar, renames, drops any negative
// entry, accounts the bytes and evicts if the quota is passed. On DW_OK
// *path (may be NULL) is the final path, caller frees. DW_EIO on failure
// (tmp_path removed).
dw_err dw_symcache_commit(char **path, dw_symcache_flight *fl, const char *tmp_path);
// dw_symcache_end releases the flight (and the lock) and wakes its waiters.
void dw_symcache_end(dw_symcache_flight *fl);

// dw_symcache_evict removes least recently used entries until usage is at
// most target bytes (the quota when target is UINT64_MAX). Entries in flight
// or inside the grace period are kept. *freed (may be NULL) gets the bytes
// removed.
dw_err dw_symcache_evict(uint64_t *freed, dw_symcache *c, uint64_t target);

// dw_symcache_key_check validates a key "name/ID/file" as described above.
bool dw_symcache_key_check(const char *key);

// Counters of every dw_symcache in the process since it started, for
// metrics. Caches are counted together: a process normally has one per
// directory, and metrics describe the process.
typedef struct dw_symcache_stats {
	uint64_t found;            // lookups that returned a verified file
	uint64_t found_bytes;      // the sizes of those files (bytes served from the cache)
	uint64_t checksum_failed;  // files removed because they failed their checksum
	uint64_t stored;           // files committed into the cache
	uint64_t stored_bytes;     // their sizes
	uint64_t negative_stored;  // negative entries written
	uint64_t evicted_entries;  // name/ID folders removed by eviction
	uint64_t evicted_bytes;
} dw_symcache_stats;

// dw_symcache_stats_get copies the counters. Thread-safe and lock-free; each
// field is read atomically, the set is not one instant.
void dw_symcache_stats_get(dw_symcache_stats *out);

#endif
