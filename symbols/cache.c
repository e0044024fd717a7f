// symbols/cache.c - the symbol download cache: symstore layout on disk,
// checksum sidecars, negative entries, single flight, LRU eviction.
#include "symbols/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/limits.h"

// ---- SHA-256 (FIPS 180-4) ------------------------------------------------

typedef struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t  buf[64];
	size_t   nbuf;
} sha256;

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t
ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void
sha_block(sha256 *s, const uint8_t *p)
{
	uint32_t w[64];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i]        = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
	uint32_t e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) +
		              sha_k[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void
sha_init(sha256 *s)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(s->h, iv, sizeof(iv));
	s->len  = 0;
	s->nbuf = 0;
}

static void
sha_update(sha256 *s, const uint8_t *p, size_t n)
{
	s->len += n;
	if (s->nbuf > 0) {
		size_t take = 64 - s->nbuf < n ? 64 - s->nbuf : n;
		memcpy(s->buf + s->nbuf, p, take);
		s->nbuf += take, p += take, n -= take;
		if (s->nbuf == 64) {
			sha_block(s, s->buf);
			s->nbuf = 0;
		}
	}
	for (; n >= 64; p += 64, n -= 64)
		sha_block(s, p);
	if (n > 0) {
		memcpy(s->buf, p, n);
		s->nbuf = n;
	}
}

static void
sha_final(sha256 *s, char hex[65])
{
	uint64_t bits = s->len * 8;
	uint8_t  pad  = 0x80;
	sha_update(s, &pad, 1);
	pad = 0;
	while (s->nbuf != 56)
		sha_update(s, &pad, 1);
	uint8_t lenb[8];
	for (int i = 0; i < 8; i++)
		lenb[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_update(s, lenb, 8);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 8 * i, 9, "%08x", s->h[i]);
}

// sha_file hashes an open file from offset 0; *size gets its length.
static dw_err
sha_file(char hex[65], uint64_t *size, int fd)
{
	sha256  s;
	uint8_t buf[65536];
	sha_init(&s);
	uint64_t off = 0;
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return DW_EIO;
		if (n == 0)
			break;
		sha_update(&s, buf, (size_t)n);
		off += (uint64_t)n;
	}
	sha_final(&s, hex);
	*size = off;
	return DW_OK;
}

// ---- Counters -------------------------------------------------------------

static struct {
	_Atomic uint64_t found, found_bytes, checksum_failed, stored, stored_bytes;
	_Atomic uint64_t negative_stored, evicted_entries, evicted_bytes;
} stats;

static void
bump(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t
peek(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void
dw_symcache_stats_get(dw_symcache_stats *out)
{
	out->found           = peek(&stats.found);
	out->found_bytes     = peek(&stats.found_bytes);
	out->checksum_failed = peek(&stats.checksum_failed);
	out->stored          = peek(&stats.stored);
	out->stored_bytes    = peek(&stats.stored_bytes);
	out->negative_stored = peek(&stats.negative_stored);
	out->evicted_entries = peek(&stats.evicted_entries);
	out->evicted_bytes   = peek(&stats.evicted_bytes);
}

// ---- The cache object ---------------------------------------------------

struct dw_symcache_flight {
	dw_symcache               *cache;
	char                      *key;
	int                        lock_fd;
	bool                       done;
	unsigned                   waiters;
	pthread_cond_t             cv;
	struct dw_symcache_flight *next;
};

// Files whose checksum this process has already checked, by identity, so a
// hot entry is hashed once rather than on every lookup. A replaced or
// modified file has another inode, size or mtime and is checked again.
#define VERIFIED_SLOTS 1024
typedef struct verified {
	dev_t   dev;
	ino_t   ino;
	off_t   size;
	int64_t mtime_ns;
	bool    used;
} verified;

struct dw_symcache {
	char               *dir;
	dw_symcache_opts    opts;
	pthread_mutex_t     mu;
	uint64_t            usage;
	dw_symcache_flight *flights;
	verified            ver[VERIFIED_SLOTS];
	size_t              ver_next;
	bool                evicting;
};

void
dw_symcache_opts_default(dw_symcache_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ttl_missing_s = 86400;
	o->ttl_corrupt_s = 86400;
	o->ttl_timeout_s = 300;
	o->lock_wait_ms  = 600000;
	o->evict_grace_s = 10;
}

static char *
join(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = c ? strlen(c) : 0;
	char  *p = malloc(la + 1 + lb + lc + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, a, la);
	p[la] = '/';
	memcpy(p + la + 1, b, lb);
	if (c)
		memcpy(p + la + 1 + lb, c, lc);
	p[la + 1 + lb + lc] = '\0';
	return p;
}

static bool
component_ok(const char *s, size_t n)
{
	if (n == 0 || n > DW_MAX_SYMFILE_NAME || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '\\' || s[i] == ':')
			return false;
	return true;
}

bool
dw_symcache_key_check(const char *key)
{
	// Exactly three components, none empty, none starting with '.' (which
	// also excludes "." and ".." and our private dot-folders).
	const char *a = key, *b = strchr(a, '/');
	if (b == NULL || !component_ok(a, (size_t)(b - a)))
		return false;
	const char *c = strchr(b + 1, '/');
	if (c == NULL || !component_ok(b + 1, (size_t)(c - b - 1)))
		return false;
	return strchr(c + 1, '/') == NULL && component_ok(c + 1, strlen(c + 1));
}

static dw_err
mkdirs(const char *path)
{
	char *p = strdup(path);
	if (p == NULL)
		return DW_ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			free(p);
			return DW_EIO;
		}
		*s = '/';
	}
	dw_err rv = (mkdir(p, 0755) == 0 || errno == EEXIST) ? DW_OK : DW_EIO;
	free(p);
	return rv;
}

// Sums regular files under the entry folders (name/ID/*), skipping dot-folders.
typedef void (*entry_fn)(const char *entry_dir, uint64_t bytes, int64_t last_use, void *arg);

// Opens a directory that is not a symbolic link. Eviction deletes what it
// finds below the cache; a link planted there must not lead it elsewhere.
static DIR *
opendir_real(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	DIR *d = fdopendir(fd);
	if (d == NULL)
		close(fd);
	return d;
}

static void
walk_entries(dw_symcache *c, entry_fn fn, void *arg)
{
	DIR *d1 = opendir(c->dir);
	if (d1 == NULL)
		return;
	struct dirent *e1;
	while ((e1 = readdir(d1)) != NULL) {
		if (e1->d_name[0] == '.')
			continue;
		char *p1 = join(c->dir, e1->d_name, NULL);
		DIR  *d2 = p1 ? opendir_real(p1) : NULL;
		if (d2 == NULL) {
			free(p1);
			continue;
		}
		struct dirent *e2;
		while ((e2 = readdir(d2)) != NULL) {
			if (e2->d_name[0] == '.')
				continue;
			char *p2 = join(p1, e2->d_name, NULL);
			DIR  *d3 = p2 ? opendir_real(p2) : NULL;
			if (d3 == NULL) {
				free(p2);
				continue;
			}
			uint64_t       bytes = 0;
			int64_t        last  = 0;
			struct dirent *e3;
			while ((e3 = readdir(d3)) != NULL) {
				struct stat st;
				if (e3->d_name[0] == '.' ||
				    fstatat(dirfd(d3), e3->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
				    !S_ISREG(st.st_mode))
					continue;
				bytes += (uint64_t)st.st_size;
				int64_t m =
				    (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
				last = m > last ? m : last;
			}
			closedir(d3);
			fn(p2, bytes, last, arg);
			free(p2);
		}
		closedir(d2);
		free(p1);
	}
	closedir(d1);
}

static void
sum_fn(const char *dir, uint64_t bytes, int64_t last, void *arg)
{
	*(uint64_t *)arg += bytes;
}

dw_err
dw_symcache_open(dw_symcache **out, const char *dir, const dw_symcache_opts *o, dw_notes *notes)
{
	*out           = NULL;
	dw_symcache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return DW_ENOMEM;
	dw_symcache_opts_default(&c->opts);
	if (o != NULL) {
		uint32_t grace = c->opts.evict_grace_s;
		c->opts        = *o;
		if (!o->evict_grace_set)
			c->opts.evict_grace_s = grace;
	}
	c->dir = strdup(dir);
	if (c->dir == NULL) {
		free(c);
		return DW_ENOMEM;
	}
	size_t l = strlen(c->dir);
	while (l > 1 && c->dir[l - 1] == '/')
		c->dir[--l] = '\0';
	char  *tmp = join(c->dir, ".tmp", NULL), *locks = join(c->dir, ".locks", NULL);
	dw_err rv = (tmp && locks) ? DW_OK : DW_ENOMEM;
	if (rv == DW_OK && (mkdirs(tmp) != DW_OK || mkdirs(locks) != DW_OK))
		rv = dw_fail(notes, DW_EIO, "symbol cache %s: cannot create it: %s", c->dir,
		             strerror(errno));
	if (rv == DW_OK) {
		// Downloads a crashed process left behind are removed after a day.
		DIR *d = opendir(tmp);
		if (d != NULL) {
			struct dirent *e;
			time_t         now = time(NULL);
			while ((e = readdir(d)) != NULL) {
				struct stat st;
				if (e->d_name[0] != '.' &&
				    fstatat(dirfd(d), e->d_name, &st, 0) == 0 &&
				    now - st.st_mtime > 86400)
					unlinkat(dirfd(d), e->d_name, 0);
			}
			closedir(d);
		}
	}
	free(tmp);
	free(locks);
	if (rv != DW_OK) {
		free(c->dir);
		free(c);
		return rv;
	}
	pthread_mutex_init(&c->mu, NULL);
	walk_entries(c, sum_fn, &c->usage);
	*out = c;
	return DW_OK;
}

void
dw_symcache_close(dw_symcache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c->dir);
	free(c);
}

const char *
dw_symcache_dir(const dw_symcache *c)
{
	return c->dir;
}

uint64_t
dw_symcache_usage(dw_symcache *c)
{
	pthread_mutex_lock(&c->mu);
	uint64_t u = c->usage;
	pthread_mutex_unlock(&c->mu);
	return u;
}

// ---- Lookup -------------------------------------------------------------

static bool
ver_find(dw_symcache *c, const struct stat *st)
{
	int64_t m  = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	bool    ok = false;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < VERIFIED_SLOTS && !ok; i++)
		ok = c->ver[i].used && c->ver[i].dev == st->st_dev && c->ver[i].ino == st->st_ino &&
		     c->ver[i].size == st->st_size && c->ver[i].mtime_ns == m;
	pthread_mutex_unlock(&c->mu);
	return ok;
}

static void
ver_add(dw_symcache *c, const struct stat *st)
{
	pthread_mutex_lock(&c->mu);
	verified *v = &c->ver[c->ver_next++ % VERIFIED_SLOTS];
	v->used     = true;
	v->dev      = st->st_dev;
	v->ino      = st->st_ino;
	v->size     = st->st_size;
	v->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	pthread_mutex_unlock(&c->mu);
}

// Reads a small text file whole (sidecars, negative entries).
static dw_err
read_small(char *buf, size_t cap, size_t *len, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? DW_ENOTFOUND : DW_EIO;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return DW_EIO;
	buf[n] = '\0';
	*len   = (size_t)n;
	return DW_OK;
}

static void
drop_entry_file(dw_symcache *c, const char *path, const char *sum)
{
	struct stat st;
	uint64_t    bytes = 0;
	if (stat(path, &st) == 0 && unlink(path) == 0)
		bytes += (uint64_t)st.st_size;
	if (stat(sum, &st) == 0 && unlink(sum) == 0)
		bytes += (uint64_t)st.st_size;
	pthread_mutex_lock(&c->mu);
	c->usage = c->usage > bytes ? c->usage - bytes : 0;
	pthread_mutex_unlock(&c->mu);
}

dw_err
dw_symcache_lookup(char **path, dw_symcache *c, const char *key, dw_notes *notes)
{
	*path = NULL;
	if (!dw_symcache_key_check(key))
		return DW_EINVAL;
	char  *p = join(c->dir, key, NULL), *s = join(c->dir, key, ".sha256");
	dw_err rv = DW_ENOMEM;
	if (p == NULL || s == NULL)
		goto out;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rv = DW_ENOTFOUND;
		goto out;
	}
	struct stat st;
	char        want[160];
	size_t      wl = 0;
	rv             = DW_ECORRUPT;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		dw_fail(notes, rv, "cache: %s is not a regular file", key);
		goto out;
	}
	dw_err sr = read_small(want, sizeof(want), &wl, s);
	if (sr != DW_OK || wl < 64) {
		close(fd);
		dw_fail(notes, rv, "cache: %s has no checksum; removed, will refetch", key);
		drop_entry_file(c, p, s);
		bump(&stats.checksum_failed, 1);
		goto out;
	}
	if (!ver_find(c, &st)) {
		char     hex[65];
		uint64_t size = 0;
		if (sha_file(hex, &size, fd) != DW_OK || memcmp(hex, want, 64) != 0) {
			close(fd);
			dw_fail(notes, rv, "cache: %s fails its checksum; removed, will refetch",
			        key);
			drop_entry_file(c, p, s);
			bump(&stats.checksum_failed, 1);
			goto out;
		}
		ver_add(c, &st);
	}
	close(fd);
	// The sidecar's mtime is the entry's last use.
	utimensat(AT_FDCWD, s, NULL, 0);
	bump(&stats.found, 1);
	bump(&stats.found_bytes, (uint64_t)st.st_size);
	*path = p;
	p     = NULL;
	rv    = DW_OK;
out:
	free(p);
	free(s);
	return rv;
}

// ---- Negative entries -----------------------------------------------------

dw_err
dw_symcache_neg_get(dw_symcache_neg_kind *kind, char *note, size_t cap, dw_symcache *c,
                    const char *key)
{
	*kind = 0;
	if (note != NULL && cap > 0)
		note[0] = '\0';
	if (!dw_symcache_key_check(key))
		return DW_EINVAL;
	char *p = join(c->dir, key, ".neg");
	if (p == NULL)
		return DW_ENOMEM;
	char   buf[512];
	size_t len = 0;
	dw_err rv  = read_small(buf, sizeof(buf), &len, p);
	if (rv == DW_OK) {
		// "dwneg1 KIND EXPIRES\nNOTE\n"
		unsigned  k   = 0;
		long long exp = 0;
		int       pos = 0;
		if (sscanf(buf, "dwneg1 %u %lld\n%n", &k, &exp, &pos) < 2 || k < DW_NEG_MISSING ||
		    k > DW_NEG_UNAVAILABLE || (long long)time(NULL) >= exp) {
			unlink(p); // expired or unreadable: forget it
			rv = DW_ENOTFOUND;
		} else {
			*kind = (dw_symcache_neg_kind)k;
			if (note != NULL && cap > 0) {
				snprintf(note, cap, "%s", buf + pos);
				note[strcspn(note, "\n")] = '\0';
			}
		}
	} else {
		rv = DW_ENOTFOUND;
	}
	free(p);
	return rv;
}

// Writes path atomically (temp file in .tmp/, then rename).
static dw_err
write_atomic(dw_symcache *c, const char *path, const char *text, size_t len)
{
	int    fd;
	char  *tmp;
	dw_err rv = dw_symcache_tmpfile(&fd, &tmp, c);
	if (rv != DW_OK)
		return rv;
	ssize_t n = write(fd, text, len);
	close(fd);
	if (n != (ssize_t)len || rename(tmp, path) != 0) {
		unlink(tmp);
		rv = DW_EIO;
	}
	free(tmp);
	return rv;
}

static char *
entry_dir_of(const char *full)
{
	char *d = strdup(full);
	if (d != NULL) {
		char *sl = strrchr(d, '/');
		if (sl != NULL)
			*sl = '\0';
	}
	return d;
}

dw_err
dw_symcache_neg_put(dw_symcache *c, const char *key, dw_symcache_neg_kind kind, const char *note)
{
	if (!dw_symcache_key_check(key))
		return DW_EINVAL;
	uint32_t ttl = kind == DW_NEG_MISSING   ? c->opts.ttl_missing_s
	               : kind == DW_NEG_CORRUPT ? c->opts.ttl_corrupt_s
	                                        : c->opts.ttl_timeout_s; // timeout, unavailable
	if (ttl == 0)
		return DW_OK;
	char  *p = join(c->dir, key, ".neg"), *d = p ? entry_dir_of(p) : NULL;
	dw_err rv = DW_ENOMEM;
	if (p != NULL && d != NULL && (rv = mkdirs(d)) == DW_OK) {
		char buf[400];
		int  n = snprintf(buf, sizeof(buf), "dwneg1 %u %lld\n%.300s\n", (unsigned)kind,
		                  (long long)time(NULL) + ttl, note ? note : "");
		for (int i = (int)strcspn(buf, "\n") + 1; i < n - 1; i++)
			if ((unsigned char)buf[i] < 0x20)
				buf[i] = ' ';
		rv = write_atomic(c, p, buf, (size_t)n);
		if (rv == DW_OK)
			bump(&stats.negative_stored, 1);
	}
	free(p);
	free(d);
	return rv;
}

// ---- Single flight --------------------------------------------------------

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

// Cross-process lock: one of 256 lock files under .locks/, chosen by the key's
// hash. The files are never removed (removing a lock file races with a process
// that has it open), and two keys sharing a bucket only wait for each other.
static dw_err
lock_key(int *out, dw_symcache *c, const char *key)
{
	*out = -1;
	char name[32];
	snprintf(name, sizeof(name), "%02x.lock", fnv1a(key) & 0xff);
	char *p = join(c->dir, ".locks/", name);
	if (p == NULL)
		return DW_ENOMEM;
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(p);
	if (fd < 0)
		return DW_EIO;
	for (uint32_t waited = 0;; waited += 20) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return DW_EIO;
		}
		if (waited >= c->opts.lock_wait_ms) {
			close(fd);
			return DW_ETIMEDOUT;
		}
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
	}
	*out = fd;
	return DW_OK;
}

static void
flight_unref(dw_symcache_flight *f)
{
	// Called with c->mu held: the last one out frees it.
	if (f->done && f->waiters == 0) {
		pthread_cond_destroy(&f->cv);
		free(f->key);
		free(f);
	}
}

dw_err
dw_symcache_begin(dw_symcache_flight **out, bool *leader, dw_symcache *c, const char *key)
{
	*out    = NULL;
	*leader = false;
	if (!dw_symcache_key_check(key))
		return DW_EINVAL;
	pthread_mutex_lock(&c->mu);
	for (dw_symcache_flight *f = c->flights; f != NULL; f = f->next) {
		if (strcmp(f->key, key) != 0)
			continue;
		f->waiters++;
		while (!f->done)
			pthread_cond_wait(&f->cv, &c->mu);
		f->waiters--;
		flight_unref(f);
		pthread_mutex_unlock(&c->mu);
		return DW_OK;
	}
	dw_symcache_flight *f = calloc(1, sizeof(*f));
	if (f == NULL || (f->key = strdup(key)) == NULL) {
		free(f);
		pthread_mutex_unlock(&c->mu);
		return DW_ENOMEM;
	}
	f->cache   = c;
	f->lock_fd = -1;
	pthread_cond_init(&f->cv, NULL);
	f->next    = c->flights;
	c->flights = f;
	pthread_mutex_unlock(&c->mu);

	dw_err rv = lock_key(&f->lock_fd, c, key);
	if (rv != DW_OK) {
		dw_symcache_end(f);
		return rv;
	}
	*out    = f;
	*leader = true;
	return DW_OK;
}

void
dw_symcache_end(dw_symcache_flight *f)
{
	if (f == NULL)
		return;
	dw_symcache *c = f->cache;
	if (f->lock_fd >= 0)
		close(f->lock_fd); // releases the flock
	pthread_mutex_lock(&c->mu);
	for (dw_symcache_flight **pp = &c->flights; *pp != NULL; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	f->done = true;
	pthread_cond_broadcast(&f->cv);
	flight_unref(f);
	pthread_mutex_unlock(&c->mu);
}

dw_err
dw_symcache_tmpfile(int *fd, char **path, dw_symcache *c)
{
	*fd   = -1;
	*path = join(c->dir, ".tmp/dl-XXXXXX", NULL);
	if (*path == NULL)
		return DW_ENOMEM;
	*fd = mkstemp(*path);
	if (*fd < 0) {
		free(*path);
		*path = NULL;
		return DW_EIO;
	}
	return DW_OK;
}

dw_err
dw_symcache_commit(char **path, dw_symcache_flight *fl, const char *tmp_path)
{
	if (path != NULL)
		*path = NULL;
	dw_symcache *c = fl->cache;
	char        *p = join(c->dir, fl->key, NULL), *s = join(c->dir, fl->key, ".sha256");
	char        *n = join(c->dir, fl->key, ".neg"), *d = p ? entry_dir_of(p) : NULL;
	dw_err       rv = DW_ENOMEM;
	if (p == NULL || s == NULL || n == NULL || d == NULL)
		goto out;
	rv     = DW_EIO;
	int fd = open(tmp_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	char        hex[65];
	uint64_t    size = 0;
	struct stat st;
	dw_err      hr = sha_file(hex, &size, fd);
	fsync(fd);
	int sr = fstat(fd, &st);
	close(fd);
	if (hr != DW_OK || sr != 0 || mkdirs(d) != DW_OK)
		goto out;
	const char *base = strrchr(fl->key, '/') + 1;
	char        line[DW_MAX_SYMFILE_NAME + 80];
	int         ll = snprintf(line, sizeof(line), "%s  %s\n", hex, base);
	// Sidecar first: a file without a valid sidecar is never trusted, and a
	// sidecar without its file is just a miss.
	if (write_atomic(c, s, line, (size_t)ll) != DW_OK || rename(tmp_path, p) != 0)
		goto out;
	unlink(n);
	// The file keeps its inode through rename: remember it is verified.
	ver_add(c, &st);
	bump(&stats.stored, 1);
	bump(&stats.stored_bytes, size);
	pthread_mutex_lock(&c->mu);
	c->usage += size + (uint64_t)ll;
	bool over = c->opts.quota_bytes != 0 && c->usage > c->opts.quota_bytes;
	pthread_mutex_unlock(&c->mu);
	if (over)
		dw_symcache_evict(NULL, c, UINT64_MAX);
	if (path != NULL) {
		*path = p;
		p     = NULL;
	}
	rv = DW_OK;
out:
	if (rv != DW_OK)
		unlink(tmp_path);
	free(p);
	free(s);
	free(n);
	free(d);
	return rv;
}

// ---- Eviction ------------------------------------------------------------

typedef struct evict_entry {
	char    *dir;
	uint64_t bytes;
	int64_t  last;
} evict_entry;

typedef struct evict_list {
	evict_entry *items;
	size_t       count, cap;
	uint64_t     total;
	bool         oom;
} evict_list;

static void
collect_fn(const char *dir, uint64_t bytes, int64_t last, void *arg)
{
	evict_list *l = arg;
	l->total += bytes;
	if (l->count == l->cap) {
		size_t       ncap  = l->cap ? l->cap * 2 : 64;
		evict_entry *items = realloc(l->items, ncap * sizeof(*items));
		if (items == NULL) {
			l->oom = true;
			return;
		}
		l->items = items;
		l->cap   = ncap;
	}
	char *d = strdup(dir);
	if (d == NULL) {
		l->oom = true;
		return;
	}
	l->items[l->count++] = (evict_entry){d, bytes, last};
}

static int
by_last_use(const void *a, const void *b)
{
	const evict_entry *x = a, *y = b;
	return x->last < y->last ? -1 : x->last > y->last;
}

// True when an entry folder ("DIR/name/ID") is being fetched by this process.
static bool
in_flight(dw_symcache *c, const char *entry)
{
	size_t dl = strlen(c->dir), el = strlen(entry);
	bool   hit = false;
	pthread_mutex_lock(&c->mu);
	for (dw_symcache_flight *f = c->flights; f != NULL && !hit; f = f->next) {
		const char *slash = strrchr(f->key, '/');
		size_t      kl    = (size_t)(slash - f->key);
		hit               = el == dl + 1 + kl && memcmp(entry + dl + 1, f->key, kl) == 0;
	}
	pthread_mutex_unlock(&c->mu);
	return hit;
}

static uint64_t
remove_entry(const char *dir)
{
	uint64_t freed = 0;
	DIR     *d     = opendir_real(dir);
	if (d == NULL)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISDIR(st.st_mode) && unlinkat(dirfd(d), e->d_name, 0) == 0 &&
		    S_ISREG(st.st_mode))
			freed += (uint64_t)st.st_size;
	}
	closedir(d);
	rmdir(dir);
	// The name folder goes too once its last id folder has.
	char *parent = entry_dir_of(dir);
	if (parent != NULL)
		rmdir(parent); // fails harmlessly while not empty
	free(parent);
	return freed;
}

dw_err
dw_symcache_evict(uint64_t *freed, dw_symcache *c, uint64_t target)
{
	if (freed != NULL)
		*freed = 0;
	if (target == UINT64_MAX)
		target = c->opts.quota_bytes;
	pthread_mutex_lock(&c->mu);
	bool busy   = c->evicting;
	c->evicting = true;
	pthread_mutex_unlock(&c->mu);
	if (busy)
		return DW_OK; // another thread is evicting already
	evict_list l = {0};
	walk_entries(c, collect_fn, &l);
	if (l.count > 0) // qsort's array must not be NULL, even when empty
		qsort(l.items, l.count, sizeof(*l.items), by_last_use);
	uint64_t        usage = l.total, gone = 0;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t recent =
	    ((int64_t)now.tv_sec - (int64_t)c->opts.evict_grace_s) * 1000000000 + now.tv_nsec;
	for (size_t i = 0; i < l.count && usage > target; i++) {
		if (c->opts.evict_grace_s > 0 && l.items[i].last > recent)
			break; // sorted oldest first: everything after is recent too
		if (in_flight(c, l.items[i].dir))
			continue;
		uint64_t f = remove_entry(l.items[i].dir);
		usage      = usage > f ? usage - f : 0;
		gone += f;
		bump(&stats.evicted_entries, 1);
		bump(&stats.evicted_bytes, f);
	}
	for (size_t i = 0; i < l.count; i++)
		free(l.items[i].dir);
	free(l.items);
	pthread_mutex_lock(&c->mu);
	c->usage    = usage;
	c->evicting = false;
	pthread_mutex_unlock(&c->mu);
	if (freed != NULL)
		*freed = gone;
	return l.oom ? DW_ENOMEM : DW_OK;
}
