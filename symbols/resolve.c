// symbols/resolve.c - finds verified symbol files for modules: cache, negative
// entries, local directories and HTTP symbol servers, in the configured order.
#include "symbols/resolve.h"

#include <fcntl.h>
#include <mspack.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mapfile.h"
#include "symbols/breakpad_sym.h"
#include "symbols/pdb.h"
#include "symbols/pe.h"

struct dw_resolver {
	const dw_sympath *path;
	dw_symcache      *cache;
	dw_source_layout *layouts; // per source, AUTO resolved
};

static struct {
	_Atomic uint64_t cache_hits, negative_hits, cache_misses, refused, local_found;
	_Atomic uint64_t downloads[DW_DL_NRESULTS];
} stats;

static void
bump(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static uint64_t
peek(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void
dw_symstats_get(dw_symstats *out)
{
	dw_resolve_stats *r = &out->resolve;
	r->cache_hits       = peek(&stats.cache_hits);
	r->negative_hits    = peek(&stats.negative_hits);
	r->cache_misses     = peek(&stats.cache_misses);
	r->refused          = peek(&stats.refused);
	r->local_found      = peek(&stats.local_found);
	for (int i = 0; i < DW_DL_NRESULTS; i++)
		r->downloads[i] = peek(&stats.downloads[i]);
	dw_symcache_stats_get(&out->cache);
	dw_fetch_stats_get(&out->fetch);
}

const char *
dw_download_result_name(dw_download_result r)
{
	switch (r) {
	case DW_DL_OK: return "ok";
	case DW_DL_NOT_FOUND: return "not_found";
	case DW_DL_NETWORK: return "network";
	case DW_DL_BAD_CONTENT: return "bad_content";
	case DW_DL_ERROR:
	case DW_DL_NRESULTS: break;
	}
	return "error";
}

const char *
dw_symstatus_name(dw_symstatus s)
{
	switch (s) {
	case DW_SYMST_NOT_ASKED: return "not-asked";
	case DW_SYMST_CACHED: return "cached";
	case DW_SYMST_LOCAL: return "local";
	case DW_SYMST_DOWNLOADED: return "downloaded";
	case DW_SYMST_MISSING: return "missing";
	case DW_SYMST_CORRUPT: return "corrupt";
	case DW_SYMST_TIMEDOUT: return "timed-out";
	case DW_SYMST_UNAVAILABLE: return "unavailable";
	case DW_SYMST_REFUSED: return "refused";
	case DW_SYMST_ERROR: return "error";
	}
	return "unknown";
}

void
dw_symfile_fini(dw_symfile *f)
{
	free(f->path);
	free(f->where);
	memset(f, 0, sizeof(*f));
}

void
dw_symmodule_fini(dw_symmodule *m)
{
	dw_symfile_fini(&m->pdb);
	dw_symfile_fini(&m->pe);
	dw_symfile_fini(&m->sym);
	dw_notes_fini(&m->notes);
}

dw_err
dw_resolver_new(dw_resolver **out, const dw_sympath *path, dw_symcache *cache)
{
	*out           = NULL;
	dw_resolver *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return DW_ENOMEM;
	r->path    = path;
	r->cache   = cache;
	r->layouts = calloc(path->count ? path->count : 1, sizeof(*r->layouts));
	if (r->layouts == NULL) {
		free(r);
		return DW_ENOMEM;
	}
	for (size_t i = 0; i < path->count; i++) {
		const dw_source *s = &path->items[i];
		r->layouts[i]      = s->layout;
		if (s->layout != DW_LAYOUT_AUTO)
			continue;
		r->layouts[i] = DW_LAYOUT_SYMSTORE;
		if (s->kind == DW_SOURCE_DIR) {
			// symstore /3 writes index2.txt at the root of a two-tier store.
			size_t n = strlen(s->location) + sizeof("/index2.txt");
			char  *p = malloc(n);
			if (p != NULL) {
				snprintf(p, n, "%s/index2.txt", s->location);
				struct stat st;
				if (stat(p, &st) == 0)
					r->layouts[i] = DW_LAYOUT_INDEX2;
				free(p);
			}
		}
	}
	*out = r;
	return DW_OK;
}

void
dw_resolver_free(dw_resolver *r)
{
	if (r == NULL)
		return;
	free(r->layouts);
	free(r);
}

// ---- Verification -------------------------------------------------------

static dw_err
verify_sym(const char *path, const char *id, dw_notes *notes)
{
	char buf[1024];
	int  fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return DW_EIO;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return DW_EIO;
	buf[n]                    = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	// MODULE <os> <arch> <id> <name>
	char os[64], arch[64], fid[DW_MAX_SYMID + 2];
	if (strncmp(buf, "MODULE ", 7) != 0 ||
	    sscanf(buf, "MODULE %63s %63s %65s", os, arch, fid) != 3)
		return dw_fail(notes, DW_ECORRUPT, "%s: not a Breakpad .sym file (no MODULE line)",
		               path);
	if (strcasecmp(fid, id) != 0)
		return dw_fail(notes, DW_ECORRUPT, "%s: MODULE id %.64s, expected %s", path, fid,
		               id);
	return DW_OK;
}

static dw_err
verify_pe(const char *path, const char *id, dw_notes *notes)
{
	dw_mapfile  m;
	const char *why = NULL;
	if (dw_mapfile_open(&m, path, &why) != DW_OK)
		return dw_fail(notes, DW_EIO, "%s: %s", path, why ? why : "cannot read");
	dw_pe *pe = NULL;
	dw_err rv = dw_pe_open(&pe, m.data, m.len, DW_PE_LAYOUT_FILE, NULL);
	if (rv != DW_OK) {
		rv = dw_fail(notes, DW_ECORRUPT, "%s: not a readable PE image (%s)", path,
		             dw_strerror(rv));
	} else {
		char cid[17];
		dw_pe_code_id(pe, cid);
		if (strcasecmp(cid, id) != 0)
			rv = dw_fail(notes, DW_ECORRUPT,
			             "%s: image has TimeDateStamp+SizeOfImage %s, expected %s",
			             path, cid, id);
	}
	dw_pe_free(pe);
	dw_mapfile_close(&m);
	return rv;
}

static dw_err
verify_pdb(const char *path, const char *id, dw_notes *notes)
{
	dw_pdb *p  = NULL;
	dw_err  rv = dw_pdb_open_file(&p, path, NULL);
	if (rv == DW_EIO)
		return dw_fail(notes, DW_EIO, "%s: cannot read", path);
	if (rv != DW_OK)
		return dw_fail(notes, DW_ECORRUPT, "%s: not a readable PDB (%s)", path,
		               dw_strerror(rv));
	const dw_pdb_info *info = dw_pdb_get_info(p);
	if (strcasecmp(info->debug_id, id) != 0)
		rv = dw_fail(notes, DW_ECORRUPT, "%s: PDB has GUID+age %s, expected %s", path,
		             info->debug_id, id);
	dw_pdb_free(p);
	return rv;
}

dw_err
dw_symfile_verify(const char *path, dw_file_type type, const char *id, dw_notes *notes)
{
	switch (type) {
	case DW_FILE_PDB: return verify_pdb(path, id, notes);
	case DW_FILE_PE: return verify_pe(path, id, notes);
	case DW_FILE_SYM: return verify_sym(path, id, notes);
	}
	return DW_EINVAL;
}

// ---- CAB ------------------------------------------------------------------

dw_err
dw_cab_extract(const char *cab_path, const char *out_path, dw_notes *notes)
{
	struct mscab_decompressor *d = mspack_create_cab_decompressor(NULL);
	if (d == NULL)
		return DW_ENOMEM;
	dw_err                 rv  = DW_OK;
	struct mscabd_cabinet *cab = d->open(d, cab_path);
	if (cab == NULL) {
		rv = dw_fail(notes, DW_ECORRUPT, "not a readable CAB file (libmspack error %d)",
		             d->last_error(d));
		goto out;
	}
	// A symbol server's .pd_ holds exactly one file: the PDB. A cabinet
	// spanning several files, or chained to others, is not one of those.
	if (cab->files == NULL || cab->files->next != NULL || cab->next != NULL ||
	    cab->prevcab != NULL || cab->nextcab != NULL) {
		rv = dw_fail(notes, DW_ECORRUPT, "CAB file does not hold exactly one file");
		goto out;
	}
	// The member's length is a 32-bit field, so it never passes
	// DW_MAX_SYMFILE_BYTES; libmspack writes exactly that many bytes.
	int e = d->extract(d, cab->files, out_path);
	if (e != MSPACK_ERR_OK) {
		rv = dw_fail(notes,
		             e == MSPACK_ERR_OPEN || e == MSPACK_ERR_WRITE ? DW_EIO : DW_ECORRUPT,
		             "CAB extraction failed (libmspack error %d)", e);
		goto out;
	}
	struct stat st;
	if (stat(out_path, &st) != 0 || (unsigned long long)st.st_size != cab->files->length)
		rv = dw_fail(notes, DW_ECORRUPT, "CAB member is shorter than it declares");
out:
	if (cab != NULL)
		d->close(d, cab);
	mspack_destroy_cab_decompressor(d);
	return rv;
}

// ---- Finding one file -------------------------------------------------------

typedef struct want {
	dw_resolver        *r;
	dw_fetcher         *f;
	dw_symcache_flight *fl;
	dw_file_type        type;
	const char         *id;
	dw_symfile         *out;
	dw_notes           *notes; // scratch: the last failure's reason
	dw_symstatus        found; // DOWNLOADED or LOCAL once found
} want;

static bool
is_cab(const char *path)
{
	uint8_t m[4] = {0};
	int     fd   = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, m, 4);
	close(fd);
	return n == 4 && memcmp(m, "MSCF", 4) == 0;
}

static void
last_note(char *out, size_t cap, const dw_notes *n)
{
	if (n->count > 0)
		snprintf(out, cap, "%s", n->items[n->count - 1].text);
}

static dw_err
set_where(dw_symfile *out, const char *where)
{
	free(out->where);
	out->where = strdup(where);
	return out->where ? DW_OK : DW_ENOMEM;
}

// A file now in tmp (the caller's temporary file in the cache): decompress
// when it is a CAB, verify, and commit into the cache. tmp is consumed.
static dw_err
settle(want *w, char *tmp, const char *where)
{
	dw_err rv = DW_OK;
	if (is_cab(tmp)) {
		int   fd2;
		char *tmp2 = NULL;
		rv         = dw_symcache_tmpfile(&fd2, &tmp2, w->r->cache);
		if (rv == DW_OK) {
			close(fd2);
			rv = dw_cab_extract(tmp, tmp2, w->notes);
			unlink(tmp);
			free(tmp);
			tmp = tmp2;
		}
	}
	if (rv == DW_OK)
		rv = dw_symfile_verify(tmp, w->type, w->id, w->notes);
	if (rv != DW_OK) {
		unlink(tmp);
		free(tmp);
		return rv == DW_EIO ? DW_EIO : DW_ECORRUPT;
	}
	char *final = NULL;
	rv          = dw_symcache_commit(&final, w->fl, tmp);
	free(tmp);
	if (rv != DW_OK)
		return dw_fail(w->notes, DW_EIO, "cannot store the file in the cache");
	w->out->path = final;
	return set_where(w->out, where);
}

static dw_err try_http(want *w, const dw_source *s, const char *url, bool is_ptr, unsigned depth);

// Reads a downloaded or local file.ptr and returns its target (a copy).
static dw_err
read_ptr(char **target, const char *path, dw_notes *notes)
{
	*target = NULL;
	char buf[DW_MAX_FILEPTR_BYTES + 1];
	int  fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return DW_ENOTFOUND;
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return DW_EIO;
	const char *t;
	size_t      tl;
	dw_err      rv = dw_fileptr_parse(&t, &tl, buf, (size_t)n, notes);
	if (rv != DW_OK)
		return rv;
	*target = malloc(tl + 1);
	if (*target == NULL)
		return DW_ENOMEM;
	memcpy(*target, t, tl);
	(*target)[tl] = '\0';
	return DW_OK;
}

static bool
is_http_url(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

// Length of "scheme://authority" at the start of an http(s) URL.
static size_t
origin_len(const char *u)
{
	const char *p = strstr(u, "://");
	if (p == NULL)
		return 0;
	p += 3;
	return (size_t)(p - u) + strcspn(p, "/?#");
}

static bool
same_origin(const char *a, const char *b)
{
	size_t la = origin_len(a), lb = origin_len(b);
	// "http://h:1" must not match "http://h:12" nor "http://h:1@evil".
	return la > 0 && la == lb && strncasecmp(a, b, la) == 0 && memchr(a, '@', la) == NULL;
}

static dw_err
try_http(want *w, const dw_source *s, const char *url, bool is_ptr, unsigned depth)
{
	int    fd;
	char  *tmp;
	dw_err rv = dw_symcache_tmpfile(&fd, &tmp, w->r->cache);
	if (rv != DW_OK)
		return dw_fail(w->notes, rv, "cannot create a temporary file in the cache");
	dw_fetch_req req = {
	    .url                = url,
	    .headers            = (const char *const *)s->headers,
	    .nheaders           = s->nheaders,
	    .connect_timeout_ms = s->connect_timeout_ms,
	    .timeout_ms         = s->timeout_ms,
	    .max_bytes          = is_ptr ? DW_MAX_FILEPTR_BYTES : 0,
	    .fd                 = fd,
	};
	rv = dw_fetcher_run(w->f, &req, 1);
	close(fd);
	if (rv == DW_OK)
		rv = req.result;
	if (rv != DW_OK) {
		unlink(tmp);
		free(tmp);
		if (rv != DW_ENOTFOUND)
			dw_fail(w->notes, rv, "%s: %s", url,
			        req.note[0] ? req.note : dw_strerror(rv));
		return rv;
	}
	if (!is_ptr) {
		w->found = DW_SYMST_DOWNLOADED;
		return settle(w, tmp, s->location);
	}

	char *target = NULL;
	rv           = read_ptr(&target, tmp, w->notes);
	unlink(tmp);
	free(tmp);
	if (rv != DW_OK)
		return rv;
	// From a server, a pointer may only lead to a URL on that same server
	// (scheme, host and port): a "PATH:\\server\share\..." or "/etc/..."
	// would make us read files a remote party chose, and a URL elsewhere
	// would let it aim our requests at hosts inside our network.
	if (!is_http_url(target)) {
		rv = dw_fail(w->notes, DW_ENOTFOUND,
		             "%s: file.ptr points at a non-HTTP location; not followed", url);
	} else if (!same_origin(target, s->location)) {
		rv = dw_fail(w->notes, DW_ENOTFOUND,
		             "%s: file.ptr points at another server; not followed", url);
	} else if (depth >= DW_MAX_FILEPTR_DEPTH) {
		rv = dw_fail(w->notes, DW_ECORRUPT, "%s: file.ptr chain too deep", url);
	} else if (strlen(target) >= DW_MAX_URL_BYTES) {
		rv = dw_fail(w->notes, DW_ECORRUPT, "%s: file.ptr URL too long", url);
	} else {
		rv = try_http(w, s, target, false, depth + 1);
	}
	free(target);
	return rv;
}

static dw_err
try_local(want *w, const dw_source *s, const char *path, bool is_ptr, unsigned depth)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return DW_ENOTFOUND;
	if (is_ptr) {
		char  *target = NULL;
		dw_err rv     = read_ptr(&target, path, w->notes);
		if (rv != DW_OK)
			return rv;
		if (target[0] != '/' || depth >= DW_MAX_FILEPTR_DEPTH)
			rv = dw_fail(w->notes, DW_ENOTFOUND,
			             "%s: file.ptr target \"%.80s\" is not an absolute local path; "
			             "not followed",
			             path, target);
		else
			rv = try_local(w, s, target, false, depth + 1);
		free(target);
		return rv;
	}
	if (is_cab(path)) {
		// Decompress into the cache: the store itself stays read-only.
		int    fd;
		char  *tmp;
		dw_err rv = dw_symcache_tmpfile(&fd, &tmp, w->r->cache);
		if (rv != DW_OK)
			return rv;
		close(fd);
		rv = dw_cab_extract(path, tmp, w->notes);
		if (rv != DW_OK) {
			unlink(tmp);
			free(tmp);
			return rv == DW_EIO ? DW_EIO : DW_ECORRUPT;
		}
		w->found = DW_SYMST_LOCAL;
		return settle(w, tmp, s->location);
	}
	dw_err rv = dw_symfile_verify(path, w->type, w->id, w->notes);
	if (rv != DW_OK)
		return rv == DW_EIO ? DW_ENOTFOUND : DW_ECORRUPT;
	w->out->path = strdup(path);
	if (w->out->path == NULL)
		return DW_ENOMEM;
	w->found = DW_SYMST_LOCAL;
	return set_where(w->out, s->location);
}

// Walks the sources. Returns DW_OK when found (out->path set), else the
// summary failure: DW_ECORRUPT > DW_ETIMEDOUT > DW_ENET > DW_ENOTFOUND.
static dw_err
search(want *w, const char *name, const char *file)
{
	const dw_sympath *p             = w->r->path;
	bool              saw_corrupt   = false;
	bool              saw_unreached = false;
	bool              saw_timeout   = false;
	const char       *cache_dir     = dw_symcache_dir(w->r->cache);
	for (size_t i = 0; i < p->count; i++) {
		const dw_source *s = &p->items[i];
		if (!(s->types & w->type))
			continue;
		if (s->kind == DW_SOURCE_HTTP && w->f == NULL)
			continue;
		// What this source did with the file, for the download counters.
		dw_download_result dl = DW_DL_NOT_FOUND;
		if (s->kind == DW_SOURCE_DIR && strcmp(s->location, cache_dir) == 0)
			continue; // the cache itself was looked at first
		char comp[DW_MAX_SYMFILE_NAME + 1];
		dw_symname_compressed(comp, file);
		const char *cands[3] = {file, NULL, NULL};
		bool        ptrs[3]  = {false, false, true};
		size_t      nc       = 1;
		if (w->type != DW_FILE_SYM && s->compressed)
			cands[nc++] = comp;
		if (w->type != DW_FILE_SYM && s->file_ptr) {
			cands[nc] = "file.ptr";
			ptrs[nc]  = true;
			nc++;
		}
		for (size_t k = 0; k < nc; k++) {
			char rel[3 * (DW_MAX_SYMFILE_NAME + 1) + DW_MAX_SYMID + 8];
			if (dw_source_relpath(rel, sizeof(rel), w->r->layouts[i], name, w->id,
			                      cands[k]) != DW_OK)
				continue;
			dw_err rv;
			if (s->kind == DW_SOURCE_HTTP) {
				char url[DW_MAX_URL_BYTES];
				if (dw_source_url(url, sizeof(url), s->location, rel) != DW_OK)
					continue;
				rv = try_http(w, s, url, ptrs[k], 0);
			} else {
				size_t n    = strlen(s->location) + 1 + strlen(rel) + 1;
				char  *path = malloc(n);
				if (path == NULL)
					return DW_ENOMEM;
				snprintf(path, n, "%s/%s", s->location, rel);
				rv = try_local(w, s, path, ptrs[k], 0);
				free(path);
			}
			if (rv == DW_OK || rv == DW_ENOMEM) {
				if (s->kind == DW_SOURCE_HTTP)
					bump(&stats.downloads[rv == DW_OK ? DW_DL_OK : DW_DL_ERROR]);
				return rv;
			}
			if (rv == DW_ECORRUPT || rv == DW_ELIMIT) {
				saw_corrupt = true;
				dl          = DW_DL_BAD_CONTENT;
			} else if (rv != DW_ENOTFOUND) {
				// Timed out, unreachable, refusing: its other names would
				// only wait as long again.
				saw_unreached = true;
				saw_timeout |= rv == DW_ETIMEDOUT;
				if (dl != DW_DL_BAD_CONTENT)
					dl = rv == DW_EIO ? DW_DL_ERROR : DW_DL_NETWORK;
				break;
			}
		}
		if (s->kind == DW_SOURCE_HTTP)
			bump(&stats.downloads[dl]);
		if (s->kind == DW_SOURCE_DIR && s->flat) {
			size_t n    = strlen(s->location) + 1 + strlen(file) + 1;
			char  *path = malloc(n);
			if (path == NULL)
				return DW_ENOMEM;
			snprintf(path, n, "%s/%s", s->location, file);
			dw_err rv = try_local(w, s, path, false, 0);
			free(path);
			if (rv == DW_OK || rv == DW_ENOMEM)
				return rv;
			if (rv == DW_ECORRUPT)
				saw_corrupt = true;
		}
	}
	return saw_corrupt     ? DW_ECORRUPT
	       : saw_timeout   ? DW_ETIMEDOUT
	       : saw_unreached ? DW_ENET
	                       : DW_ENOTFOUND;
}

static void
fail_status(dw_symfile *out, dw_symstatus st, dw_err err, const dw_notes *n)
{
	out->status = st;
	out->err    = err;
	last_note(out->note, sizeof(out->note), n);
}

dw_err
dw_resolver_file(dw_symfile *out, dw_resolver *r, dw_fetcher *fetcher, dw_file_type type,
                 const char *name, const char *id)
{
	memset(out, 0, sizeof(*out));
	dw_notes notes;
	dw_notes_init(&notes);
	char   nm[DW_MAX_SYMFILE_NAME + 1], idb[DW_MAX_SYMID + 1], file[DW_MAX_SYMFILE_NAME + 1];
	char   key[3 * (DW_MAX_SYMFILE_NAME + 1) + DW_MAX_SYMID + 8];
	dw_err rv = DW_OK;
	if (dw_symname_check(nm, name, &notes) != DW_OK ||
	    dw_symid_check(idb, id, &notes) != DW_OK) {
		fail_status(out, DW_SYMST_REFUSED, DW_EINVAL, &notes);
		bump(&stats.refused);
		goto out;
	}
	if (type == DW_FILE_SYM) {
		if (dw_symname_breakpad(file, nm) != DW_OK) {
			dw_fail(&notes, DW_EINVAL, "name too long for a .sym name");
			fail_status(out, DW_SYMST_REFUSED, DW_EINVAL, &notes);
			bump(&stats.refused);
			goto out;
		}
	} else {
		memcpy(file, nm, sizeof(file));
	}
	if (dw_source_relpath(key, sizeof(key), DW_LAYOUT_SYMSTORE, nm, idb, file) != DW_OK ||
	    !dw_symcache_key_check(key)) {
		dw_fail(&notes, DW_EINVAL, "\"%s\" cannot be a cache path", nm);
		fail_status(out, DW_SYMST_REFUSED, DW_EINVAL, &notes);
		bump(&stats.refused);
		goto out;
	}

	dw_symcache_flight *fl = NULL;
	for (unsigned round = 0;; round++) {
		char *path = NULL;
		rv         = dw_symcache_lookup(&path, r->cache, key, &notes);
		if (rv == DW_OK) {
			bump(&stats.cache_hits);
			out->status = DW_SYMST_CACHED;
			out->path   = path;
			rv          = set_where(out, dw_symcache_dir(r->cache));
			goto out;
		}
		if (rv == DW_ENOMEM) {
			bump(&stats.cache_misses);
			goto out;
		}
		dw_symcache_neg_kind kind;
		if (dw_symcache_neg_get(&kind, out->note, sizeof(out->note), r->cache, key) ==
		    DW_OK) {
			bump(&stats.negative_hits);
			out->from_negative = true;
			out->status        = kind == DW_NEG_MISSING   ? DW_SYMST_MISSING
			                     : kind == DW_NEG_CORRUPT ? DW_SYMST_CORRUPT
			                     : kind == DW_NEG_TIMEOUT ? DW_SYMST_TIMEDOUT
			                                              : DW_SYMST_UNAVAILABLE;
			out->err           = kind == DW_NEG_MISSING   ? DW_ENOTFOUND
			                     : kind == DW_NEG_CORRUPT ? DW_ECORRUPT
			                     : kind == DW_NEG_TIMEOUT ? DW_ETIMEDOUT
			                                              : DW_ENET;
			rv                 = DW_OK;
			goto out;
		}
		if (fl != NULL)
			break; // leader, and nobody filled it meanwhile: fetch
		bool leader = false;
		rv          = dw_symcache_begin(&fl, &leader, r->cache, key);
		if (rv != DW_OK) {
			bump(&stats.cache_misses);
			dw_fail(&notes, rv, "waiting for another process's download of %s", key);
			fail_status(out, rv == DW_ETIMEDOUT ? DW_SYMST_TIMEDOUT : DW_SYMST_ERROR,
			            rv, &notes);
			rv = rv == DW_ENOMEM ? rv : DW_OK;
			goto out;
		}
		// A waiter looks again (the leader left a file or a negative entry);
		// a leader looks once more, since another process may have finished
		// while we waited for its lock.
		if (round > 16 && !leader) {
			bump(&stats.cache_misses);
			dw_fail(&notes, DW_ETIMEDOUT, "gave up waiting for other downloads of %s",
			        key);
			fail_status(out, DW_SYMST_TIMEDOUT, DW_ETIMEDOUT, &notes);
			rv = DW_OK;
			goto out;
		}
	}

	bump(&stats.cache_misses);
	want w = {r, fetcher, fl, type, idb, out, &notes, DW_SYMST_LOCAL};
	rv     = search(&w, nm, file);
	if (rv == DW_OK) {
		out->status = w.found;
		if (w.found == DW_SYMST_LOCAL)
			bump(&stats.local_found);
	} else if (rv == DW_ENOMEM) {
		fail_status(out, DW_SYMST_ERROR, rv, &notes);
	} else {
		dw_symcache_neg_kind kind = rv == DW_ECORRUPT    ? DW_NEG_CORRUPT
		                            : rv == DW_ETIMEDOUT ? DW_NEG_TIMEOUT
		                            : rv == DW_ENET      ? DW_NEG_UNAVAILABLE
		                                                 : DW_NEG_MISSING;
		fail_status(out,
		            rv == DW_ECORRUPT    ? DW_SYMST_CORRUPT
		            : rv == DW_ETIMEDOUT ? DW_SYMST_TIMEDOUT
		            : rv == DW_ENET      ? DW_SYMST_UNAVAILABLE
		                                 : DW_SYMST_MISSING,
		            rv, &notes);
		if (out->note[0] == '\0')
			snprintf(out->note, sizeof(out->note), "no source has %.140s", key);
		dw_symcache_neg_put(r->cache, key, kind, out->note);
		rv = DW_OK;
	}
	dw_symcache_end(fl);
out:
	dw_notes_fini(&notes);
	return rv == DW_ENOMEM ? DW_ENOMEM : DW_OK;
}

// ---- Modules --------------------------------------------------------------

static bool
found(const dw_symfile *f)
{
	return f->status == DW_SYMST_CACHED || f->status == DW_SYMST_LOCAL ||
	       f->status == DW_SYMST_DOWNLOADED;
}

static void
note_file(dw_symmodule *m, const char *what, const char *name, const char *id, const dw_symfile *f)
{
	if (f->status == DW_SYMST_NOT_ASKED)
		return;
	if (found(f))
		dw_remark(&m->notes, "%s %.80s/%.40s: %s from %.120s", what, name, id,
		          dw_symstatus_name(f->status), f->where ? f->where : "?");
	else
		dw_fail(&m->notes, f->err, "%s %.80s/%.40s: %s%s%.120s", what, name, id,
		        dw_symstatus_name(f->status), f->note[0] ? ": " : "", f->note);
}

// Reads the PDB identity from a PE's CodeView record.
static void
identity_from_pe(dw_symmodule *m, const char *pe_path)
{
	dw_mapfile m2;
	if (dw_mapfile_open(&m2, pe_path, NULL) != DW_OK)
		return;
	dw_pe *pe = NULL;
	if (dw_pe_open(&pe, m2.data, m2.len, DW_PE_LAYOUT_FILE, NULL) == DW_OK) {
		const dw_pe_codeview *cv = dw_pe_get_codeview(pe);
		char                  nm[DW_MAX_SYMFILE_NAME + 1];
		if (cv != NULL && cv->pdb_name != NULL &&
		    dw_symname_check(nm, cv->pdb_name, &m->notes) == DW_OK &&
		    strlen(cv->debug_id) <= DW_MAX_SYMID) {
			snprintf(m->debug_file, sizeof(m->debug_file), "%s", nm);
			snprintf(m->debug_id, sizeof(m->debug_id), "%s", cv->debug_id);
			m->identity_from_pe = true;
			dw_remark(&m->notes,
			          "PDB identity %s/%s taken from the image's debug directory",
			          m->debug_file, m->debug_id);
		} else if (cv == NULL) {
			dw_remark(&m->notes, "the image names no PDB (no CodeView record)");
		}
	}
	dw_pe_free(pe);
	dw_mapfile_close(&m2);
}

dw_err
dw_resolver_module(dw_symmodule *out, dw_resolver *r, dw_fetcher *fetcher,
                   const dw_symmodule_req *req)
{
	memset(out, 0, sizeof(*out));
	dw_notes_init(&out->notes);
	unsigned mask = req->want ? req->want : DW_FILE_ALL;
	dw_err   rv;
	if ((mask & DW_FILE_PE) && req->code_file != NULL && req->code_id != NULL) {
		if ((rv = dw_resolver_file(&out->pe, r, fetcher, DW_FILE_PE, req->code_file,
		                           req->code_id)) != DW_OK)
			return rv;
		note_file(out, "image", req->code_file, req->code_id, &out->pe);
	}
	// The name the PDB and .sym are asked by: normally out->debug_file. The
	// request's may be a full path longer than that field; keep its base
	// name, and when even that does not fit pass the request's own name on,
	// for dw_resolver_file to refuse (a truncated name names another file).
	const char *dfile = out->debug_file;
	if (req->debug_file != NULL && req->debug_id != NULL) {
		const char *base = req->debug_file;
		for (const char *s = base; *s != '\0'; s++)
			if (*s == '/' || *s == '\\')
				base = s + 1;
		snprintf(out->debug_file, sizeof(out->debug_file), "%s", base);
		if (strlen(base) >= sizeof(out->debug_file))
			dfile = req->debug_file;
		snprintf(out->debug_id, sizeof(out->debug_id), "%s", req->debug_id);
	} else if (found(&out->pe)) {
		identity_from_pe(out, out->pe.path);
	} else if (req->code_file != NULL && req->code_id != NULL && !(mask & DW_FILE_PE)) {
		// Only the code id is known and the image was not wanted: fetch it
		// anyway, for the PDB identity in its debug directory.
		dw_symfile pe;
		if ((rv = dw_resolver_file(&pe, r, fetcher, DW_FILE_PE, req->code_file,
		                           req->code_id)) != DW_OK)
			return rv;
		if (found(&pe))
			identity_from_pe(out, pe.path);
		dw_symfile_fini(&pe);
	}
	bool have_id = out->debug_file[0] != '\0' && out->debug_id[0] != '\0';
	if ((mask & DW_FILE_PDB) && have_id) {
		if ((rv = dw_resolver_file(&out->pdb, r, fetcher, DW_FILE_PDB, dfile,
		                           out->debug_id)) != DW_OK)
			return rv;
		note_file(out, "pdb", out->debug_file, out->debug_id, &out->pdb);
	}
	if ((mask & DW_FILE_SYM) && have_id && (!(mask & DW_FILE_PDB) || !found(&out->pdb))) {
		if ((rv = dw_resolver_file(&out->sym, r, fetcher, DW_FILE_SYM, dfile,
		                           out->debug_id)) != DW_OK)
			return rv;
		note_file(out, "sym", out->debug_file, out->debug_id, &out->sym);
	}
	return DW_OK;
}
