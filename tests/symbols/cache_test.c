// tests/symbols/cache_test.c - the symbol download cache: layout, checksum
// sidecars, negative entries and their expiry, single flight, eviction.
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "symbols/cache.h"
#include "tests/symbols/symserver.h"

// Puts `len` bytes of `fill` into the cache under key through the real path
// (tmpfile, commit) and returns the final path (caller frees).
static char *
put(dw_symcache *c, const char *key, const char *data, size_t len)
{
	dw_symcache_flight *fl;
	bool                leader;
	cr_assert_eq(dw_symcache_begin(&fl, &leader, c, key), DW_OK);
	cr_assert(leader);
	int   fd;
	char *tmp;
	cr_assert_eq(dw_symcache_tmpfile(&fd, &tmp, c), DW_OK);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	char *path = NULL;
	cr_assert_eq(dw_symcache_commit(&path, fl, tmp), DW_OK);
	dw_symcache_end(fl);
	free(tmp);
	return path;
}

Test(symbols_cache, keys_never_leave_the_directory)
{
	cr_assert(dw_symcache_key_check("crash.pdb/ABC1/crash.pdb"));
	static const char *const bad[] = {
	    "../x/y", "a/../b", "a/b/..", ".tmp/a/b", "a/.locks/b", "a/b",       "a/b/c/d",
	    "/a/b/c", "a//c",   "a/b/",   "a\\b/c/d", "C:/b/c",     "a/b/c\x01", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(dw_symcache_key_check(bad[i]), "accepted %s", bad[i]);

	char dir[256];
	scratch_dir(dir, "cache");
	dw_symcache *c;
	cr_assert_eq(dw_symcache_open(&c, dir, NULL, NULL), DW_OK);
	char               *p;
	dw_symcache_flight *fl;
	bool                leader;
	cr_assert_eq(dw_symcache_lookup(&p, c, "../../etc/passwd", NULL), DW_EINVAL);
	cr_assert_eq(dw_symcache_begin(&fl, &leader, c, "a/../../b"), DW_EINVAL);
	cr_assert_eq(dw_symcache_neg_put(c, "../x/y", DW_NEG_MISSING, "x"), DW_EINVAL);
	dw_symcache_close(c);
	rm_rf(dir);
}

Test(symbols_cache, stores_in_symstore_layout_with_a_checksum)
{
	char dir[256];
	scratch_dir(dir, "cache");
	dw_symcache *c;
	cr_assert_eq(dw_symcache_open(&c, dir, NULL, NULL), DW_OK);
	char *path = put(c, "x.pdb/AB12/x.pdb", "abc", 3);
	char  want[512];
	snprintf(want, sizeof(want), "%s/x.pdb/AB12/x.pdb", dir);
	cr_assert_str_eq(path, want);
	// sha256sum(1) format, so `sha256sum -c` can check a cache by hand.
	char sum[600], text[200] = {0};
	snprintf(sum, sizeof(sum), "%s.sha256", want);
	FILE *f = fopen(sum, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(text, sizeof(text), f));
	fclose(f);
	cr_assert_str_eq(
	    text, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  x.pdb\n");
	char *p2 = NULL;
	cr_assert_eq(dw_symcache_lookup(&p2, c, "x.pdb/AB12/x.pdb", NULL), DW_OK);
	cr_assert_str_eq(p2, want);
	free(p2);
	cr_assert_eq(dw_symcache_lookup(&p2, c, "x.pdb/AB13/x.pdb", NULL), DW_ENOTFOUND);
	cr_assert_null(p2);
	cr_assert_geq(dw_symcache_usage(c), 3);
	free(path);
	dw_symcache_close(c);
	rm_rf(dir);
}

Test(symbols_cache, corrupt_file_is_detected_and_removed)
{
	char dir[256];
	scratch_dir(dir, "cache");
	dw_symcache *c;
	cr_assert_eq(dw_symcache_open(&c, dir, NULL, NULL), DW_OK);
	char *path = put(c, "y.dll/5C9E09599000/y.dll", "hello world", 11);
	dw_symcache_close(c);
	// Flip a byte on disk (same size), as a bad disk or a careless hand would.
	int fd = open(path, O_WRONLY);
	cr_assert_eq(pwrite(fd, "J", 1, 0), 1);
	close(fd);
	cr_assert_eq(dw_symcache_open(&c, dir, NULL, NULL), DW_OK);
	dw_notes n;
	dw_notes_init(&n);
	char *p2 = NULL;
	cr_assert_eq(dw_symcache_lookup(&p2, c, "y.dll/5C9E09599000/y.dll", &n), DW_ECORRUPT);
	cr_assert_null(p2);
	cr_assert_eq(n.count, 1);
	cr_assert(strstr(n.items[0].text, "checksum") != NULL);
	struct stat st;
	cr_assert_neq(stat(path, &st), 0, "the corrupt file must be gone");
	cr_assert_eq(dw_symcache_lookup(&p2, c, "y.dll/5C9E09599000/y.dll", &n), DW_ENOTFOUND);
	// A file without its sidecar is not trusted either.
	write_file(path, "x", 1);
	cr_assert_eq(dw_symcache_lookup(&p2, c, "y.dll/5C9E09599000/y.dll", &n), DW_ECORRUPT);
	dw_notes_fini(&n);
	free(path);
	dw_symcache_close(c);
	rm_rf(dir);
}

Test(symbols_cache, negative_entries_persist_and_expire, .timeout = 20)
{
	char dir[256];
	scratch_dir(dir, "cache");
	dw_symcache_opts o;
	dw_symcache_opts_default(&o);
	o.ttl_missing_s = 1;
	o.ttl_timeout_s = 100;
	dw_symcache *c;
	cr_assert_eq(dw_symcache_open(&c, dir, &o, NULL), DW_OK);
	cr_assert_eq(dw_symcache_neg_put(c, "a.pdb/01/a.pdb", DW_NEG_MISSING, "HTTP 404"), DW_OK);
	cr_assert_eq(dw_symcache_neg_put(c, "b.pdb/01/b.pdb", DW_NEG_TIMEOUT, "slow\nline"), DW_OK);
	dw_symcache_close(c);
	cr_assert_eq(dw_symcache_open(&c, dir, &o, NULL), DW_OK); // persisted
	dw_symcache_neg_kind k;
	char                 note[64];
	cr_assert_eq(dw_symcache_neg_get(&k, note, sizeof(note), c, "a.pdb/01/a.pdb"), DW_OK);
	cr_assert_eq(k, DW_NEG_MISSING);
	cr_assert_str_eq(note, "HTTP 404");
	cr_assert_eq(dw_symcache_neg_get(&k, note, sizeof(note), c, "b.pdb/01/b.pdb"), DW_OK);
	cr_assert_eq(k, DW_NEG_TIMEOUT);
	cr_assert_str_eq(note, "slow line");
	struct timespec ts = {2, 100000000};
	nanosleep(&ts, NULL);
	cr_assert_eq(dw_symcache_neg_get(&k, note, sizeof(note), c, "a.pdb/01/a.pdb"),
	             DW_ENOTFOUND);
	cr_assert_eq(dw_symcache_neg_get(&k, note, sizeof(note), c, "b.pdb/01/b.pdb"), DW_OK);
	// A successful download clears the negative entry.
	free(put(c, "b.pdb/01/b.pdb", "z", 1));
	cr_assert_eq(dw_symcache_neg_get(&k, NULL, 0, c, "b.pdb/01/b.pdb"), DW_ENOTFOUND);
	// Garbage in a .neg file is forgotten, not trusted.
	char p[512];
	snprintf(p, sizeof(p), "%s/c.pdb/01/c.pdb.neg", dir);
	write_file(p, "nonsense", 8);
	cr_assert_eq(dw_symcache_neg_get(&k, NULL, 0, c, "c.pdb/01/c.pdb"), DW_ENOTFOUND);
	dw_symcache_close(c);
	rm_rf(dir);
}

typedef struct flight_arg {
	dw_symcache *c;
	atomic_int  *leaders;
	atomic_int  *inside;
	atomic_int  *overlap;
} flight_arg;

static void *
flight_thread(void *p)
{
	flight_arg         *a = p;
	dw_symcache_flight *fl;
	bool                leader;
	cr_assert_eq(dw_symcache_begin(&fl, &leader, a->c, "s.pdb/01/s.pdb"), DW_OK);
	if (leader) {
		atomic_fetch_add(a->leaders, 1);
		if (atomic_fetch_add(a->inside, 1) != 0)
			atomic_fetch_add(a->overlap, 1);
		struct timespec ts = {0, 200 * 1000000};
		nanosleep(&ts, NULL);
		atomic_fetch_sub(a->inside, 1);
		dw_symcache_end(fl);
	}
	return NULL;
}

Test(symbols_cache, one_leader_per_key_across_threads, .timeout = 20)
{
	char dir[256];
	scratch_dir(dir, "cache");
	dw_symcache *c;
	cr_assert_eq(dw_symcache_open(&c, dir, NULL, NULL), DW_OK);
	atomic_int leaders = 0, inside = 0, overlap = 0;
	flight_arg a = {c, &leaders, &inside, &overlap};
	pthread_t  t[24];
	for (int i = 0; i < 24; i++)
		pthread_create(&t[i], NULL, flight_thread, &a);
	for (int i = 0; i < 24; i++)
		pthread_join(t[i], NULL);
	// Threads that arrive while a leader works wait for it; late arrivals
	// may lead again, but never two at once.
	cr_assert_geq(atomic_load(&leaders), 1);
	cr_assert_lt(atomic_load(&leaders), 24);
	cr_assert_eq(atomic_load(&overlap), 0);
	dw_symcache_close(c);
	rm_rf(dir);
}

Test(symbols_cache, other_process_holding_the_lock_times_out, .timeout = 20)
{
	char dir[256];
	scratch_dir(dir, "cache");
	dw_symcache_opts o;
	dw_symcache_opts_default(&o);
	o.lock_wait_ms = 300;
	dw_symcache *c;
	cr_assert_eq(dw_symcache_open(&c, dir, &o, NULL), DW_OK);
	int pipefd[2];
	cr_assert_eq(pipe(pipefd), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dw_symcache        *c2;
		dw_symcache_flight *fl;
		bool                leader;
		dw_symcache_open(&c2, dir, &o, NULL);
		dw_symcache_begin(&fl, &leader, c2, "p.pdb/01/p.pdb");
		(void)!write(pipefd[1], "x", 1);
		sleep(3);
		_exit(0);
	}
	char x;
	cr_assert_eq(read(pipefd[0], &x, 1), 1);
	dw_symcache_flight *fl;
	bool                leader;
	cr_assert_eq(dw_symcache_begin(&fl, &leader, c, "p.pdb/01/p.pdb"), DW_ETIMEDOUT);
	kill(pid, 9);
	waitpid(pid, NULL, 0);
	// Its lock died with it.
	cr_assert_eq(dw_symcache_begin(&fl, &leader, c, "p.pdb/01/p.pdb"), DW_OK);
	cr_assert(leader);
	dw_symcache_end(fl);
	dw_symcache_close(c);
	rm_rf(dir);
}

Test(symbols_cache, eviction_keeps_quota_and_open_files_readable, .timeout = 30)
{
	char dir[256];
	scratch_dir(dir, "cache");
	dw_symcache_opts o;
	dw_symcache_opts_default(&o);
	o.quota_bytes     = 3u << 20; // room for two 1 MiB entries and a half
	o.evict_grace_s   = 0;        // strictly by age (the grace is tested below)
	o.evict_grace_set = true;
	dw_symcache *c;
	cr_assert_eq(dw_symcache_open(&c, dir, &o, NULL), DW_OK);
	size_t sz  = 1u << 20;
	char  *buf = malloc(sz);
	memset(buf, 'A', sz);
	char *p0 = put(c, "e0.pdb/01/e0.pdb", buf, sz);
	// Hold e0 open and mapped, as a loaded table would be.
	int fd = open(p0, O_RDONLY);
	cr_assert_geq(fd, 0);
	const char *map = mmap(NULL, sz, PROT_READ, MAP_SHARED, fd, 0);
	cr_assert_neq(map, MAP_FAILED);
	struct timespec ts = {0, 20 * 1000000};
	memset(buf, 'B', sz);
	nanosleep(&ts, NULL);
	free(put(c, "e1.pdb/01/e1.pdb", buf, sz));
	nanosleep(&ts, NULL);
	// A compiled table beside e1 counts toward the quota and goes with it.
	char side[512];
	snprintf(side, sizeof(side), "%s/e1.pdb/01/e1.dwsym", dir);
	write_file(side, buf, 1000);
	nanosleep(&ts, NULL);
	// Use e1 again, so e0 is the least recently used.
	char *pl = NULL;
	cr_assert_eq(dw_symcache_lookup(&pl, c, "e1.pdb/01/e1.pdb", NULL), DW_OK);
	free(pl);
	nanosleep(&ts, NULL);
	for (int i = 2; i < 6; i++) {
		char key[64];
		snprintf(key, sizeof(key), "e%d.pdb/01/e%d.pdb", i, i);
		memset(buf, 'C' + i, sz);
		free(put(c, key, buf, sz));
		cr_assert_leq(dw_symcache_usage(c), o.quota_bytes, "over quota after %s", key);
		nanosleep(&ts, NULL);
	}
	// e0 was evicted, yet what is open and mapped reads as before.
	struct stat st;
	cr_assert_neq(stat(p0, &st), 0);
	for (size_t i = 0; i < sz; i += 4096)
		cr_assert_eq(map[i], 'A');
	char b;
	cr_assert_eq(pread(fd, &b, 1, (off_t)sz - 1), 1);
	cr_assert_eq(b, 'A');
	// The newest entry is still there; the quota holds on a fresh count too.
	cr_assert_eq(dw_symcache_lookup(&pl, c, "e5.pdb/01/e5.pdb", NULL), DW_OK);
	free(pl);
	dw_symcache_close(c);
	cr_assert_eq(dw_symcache_open(&c, dir, &o, NULL), DW_OK);
	cr_assert_leq(dw_symcache_usage(c), o.quota_bytes);
	uint64_t freed = 0;
	cr_assert_eq(dw_symcache_evict(&freed, c, 0), DW_OK);
	cr_assert_eq(dw_symcache_usage(c), 0);
	cr_assert_gt(freed, 0);
	munmap((void *)map, sz);
	close(fd);
	free(p0);
	free(buf);
	dw_symcache_close(c);
	rm_rf(dir);
}

Test(symbols_cache, recently_used_entries_survive_eviction, .timeout = 20)
{
	char dir[256];
	scratch_dir(dir, "cache");
	dw_symcache_opts o;
	dw_symcache_opts_default(&o);
	o.evict_grace_s   = 1;
	o.evict_grace_set = true;
	dw_symcache *c;
	cr_assert_eq(dw_symcache_open(&c, dir, &o, NULL), DW_OK);
	char *p = put(c, "g.pdb/01/g.pdb", "grace", 5);
	// Just handed out: its caller may not have opened it yet.
	cr_assert_eq(dw_symcache_evict(NULL, c, 0), DW_OK);
	struct stat st;
	cr_assert_eq(stat(p, &st), 0);
	struct timespec ts = {2, 200000000};
	nanosleep(&ts, NULL);
	uint64_t freed = 0;
	cr_assert_eq(dw_symcache_evict(&freed, c, 0), DW_OK);
	cr_assert_neq(stat(p, &st), 0);
	cr_assert_gt(freed, 0);
	free(p);
	dw_symcache_close(c);
	rm_rf(dir);
}

Test(symbols_cache, eviction_never_follows_links_out_of_the_cache, .timeout = 20)
{
	char dir[256], outside[256], victim[300];
	scratch_dir(dir, "cache");
	scratch_dir(outside, "outside");
	snprintf(victim, sizeof(victim), "%s/precious", outside);
	write_file(victim, "keep me", 7);
	char link1[400], link2[400];
	snprintf(link1, sizeof(link1), "%s/evil.pdb", dir);
	cr_assert_eq(symlink(outside, link1), 0);
	snprintf(link2, sizeof(link2), "%s/x.pdb", dir);
	mkdir(link2, 0755);
	snprintf(link2, sizeof(link2), "%s/x.pdb/01", dir);
	cr_assert_eq(symlink(outside, link2), 0);
	dw_symcache_opts o;
	dw_symcache_opts_default(&o);
	o.evict_grace_s   = 0;
	o.evict_grace_set = true;
	dw_symcache *c;
	cr_assert_eq(dw_symcache_open(&c, dir, &o, NULL), DW_OK);
	cr_assert_eq(dw_symcache_evict(NULL, c, 0), DW_OK);
	struct stat st;
	cr_assert_eq(stat(victim, &st), 0, "eviction followed a link out of the cache");
	dw_symcache_close(c);
	rm_rf(dir);
	rm_rf(outside);
}
