// symbols/provider.c - see provider.h.
//
// Entries are keyed by the identity the module resolved to (debug file + id
// when known, else code file + code id). An entry owns one table reference
// and, when a PE was found, the mapped image (for read_code). Handles given
// to the walker point at entries and hold a count on them; an entry whose
// count drops to 0 moves to the idle LRU, bounded by max_idle.
//
// A module found nowhere is remembered as a miss (key, what was tried) for
// miss_ttl_ms: a daemon analyzing dump after dump of one product asks for the
// same symbol-less system DLLs every time, and each search is a dozen stat(2)
// calls per directory or a trip through the resolver's disk cache.
#include "symbols/provider.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "common/mapfile.h"
#include "symbols/pe.h"
#include "symbols/symtab.h"
#include "symbols/symtab_from.h"

typedef struct entry {
	char          key[600];
	uint64_t      hash;        // of key, compared before it
	char          origin[512]; // the files the table came from
	dw_symtab    *table;
	bool          has_x64;
	dw_mapfile    pe_map;
	dw_pe        *pe;
	size_t        users;
	struct entry *prev, *next; // in the provider's list, most recently used first
} entry;

#define MAX_STATUSES 4096
// Misses remembered at once: one per module identity without symbols; a
// fleet's dumps name a few hundred. The oldest is forgotten first.
#define MAX_MISSES 4096

typedef struct miss {
	char     key[600];
	uint64_t hash;
	uint64_t expires_ns; // monotonic
	dw_err   err;        // what the open returned
	char     why[256];   // what was tried
} miss;

struct dw_symprov {
	pthread_mutex_t   mu;
	char            **dirs;
	size_t            ndirs;
	size_t            max_idle;
	dw_symprov_locate_fn locate;
	void             *locate_arg;
	entry            *head; // every entry, MRU first
	dw_symprov_counts counts;
	dw_symprov_status *st;
	size_t             nst;
	uint64_t           miss_ttl_ns;
	miss              *misses; // MAX_MISSES slots, a ring: next_miss is the oldest once full
	size_t             nmiss, next_miss;
};

// snprintf whose truncation is intended (reports and notes cut long paths).
static void fmt(char *out, size_t cap, const char *f, ...) __attribute__((format(printf, 3, 4)));

static void
fmt(char *out, size_t cap, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	(void)vsnprintf(out, cap, f, ap);
	va_end(ap);
}

static const char *
base_name(const char *p)
{
	const char *b = p;
	for (; *p; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	return b;
}

static bool
is_file(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

// A name from a dump is used as one path component: refuse separators and
// dot-dot so a crafted module name cannot leave the symbol directory.
static bool
safe_component(const char *s)
{
	return s[0] != 0 && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && strchr(s, '/') == NULL &&
	       strchr(s, '\\') == NULL && strlen(s) < 256;
}

// Tries dir/name/id/file, then dir/file (files lying flat beside a dump).
static bool
find_in(char *out, size_t cap, const char *dir, const char *name, const char *id,
        const char *file)
{
	int n;
	if (id != NULL && id[0]) {
		n = snprintf(out, cap, "%s/%s/%s/%s", dir, name, id, file);
		if (n > 0 && (size_t)n < cap && is_file(out))
			return true;
	}
	n = snprintf(out, cap, "%s/%s", dir, file);
	if (n > 0 && (size_t)n < cap && is_file(out))
		return true;
	out[0] = 0;
	return false;
}

// Opens the PE at path and checks its code id against `code_id` ("" skips
// the check); fills identity from its CodeView record.
static bool
pe_matches(const char *path, const char *code_id, dw_symprov_files *out)
{
	dw_mapfile  map;
	const char *why;
	if (dw_mapfile_open(&map, path, &why) != DW_OK)
		return false;
	dw_pe *pe;
	bool   ok = false;
	if (dw_pe_open(&pe, map.data, map.len, DW_PE_LAYOUT_FILE, NULL) == DW_OK) {
		char id[17];
		dw_pe_code_id(pe, id);
		ok = code_id[0] == 0 || strcasecmp(id, code_id) == 0;
		const dw_pe_codeview *cv = dw_pe_get_codeview(pe);
		if (ok && cv != NULL && cv->pdb_name != NULL && out->debug_id[0] == 0) {
			snprintf(out->debug_file, sizeof(out->debug_file), "%s", base_name(cv->pdb_name));
			snprintf(out->debug_id, sizeof(out->debug_id), "%s", cv->debug_id);
		}
		dw_pe_free(pe);
	}
	dw_mapfile_close(&map);
	return ok;
}

// Checks that the PDB at path has debug id `id`.
static bool
pdb_matches(const char *path, const char *id)
{
	dw_pdb *pdb;
	if (dw_pdb_open_file(&pdb, path, NULL) != DW_OK)
		return false;
	bool ok = strcasecmp(dw_pdb_get_info(pdb)->debug_id, id) == 0;
	dw_pdb_free(pdb);
	return ok;
}

dw_err
dw_symprov_locate_dirs(dw_symprov_files *out, const dw_symsrc_module *m, void *arg)
{
	dw_symprov *p = arg;
	memset(out, 0, sizeof(*out));
	const char *code_file = base_name(m->name != NULL ? m->name : "");
	const char *code_id   = m->code_id != NULL ? m->code_id : "";
	if (m->debug_file != NULL && m->debug_file[0] && m->debug_id != NULL && m->debug_id[0]) {
		snprintf(out->debug_file, sizeof(out->debug_file), "%s", base_name(m->debug_file));
		snprintf(out->debug_id, sizeof(out->debug_id), "%s", m->debug_id);
	}
	// The image first: it gives the PDB identity when the dump has none.
	if (safe_component(code_file)) {
		for (size_t i = 0; i < p->ndirs && !out->pe[0]; i++) {
			if (find_in(out->pe, sizeof(out->pe), p->dirs[i], code_file, code_id, code_file) &&
			    !pe_matches(out->pe, code_id, out))
				out->pe[0] = 0;
		}
	}
	if (out->debug_id[0] && safe_component(out->debug_file)) {
		for (size_t i = 0; i < p->ndirs && !out->pdb[0]; i++) {
			if (find_in(out->pdb, sizeof(out->pdb), p->dirs[i], out->debug_file, out->debug_id,
			            out->debug_file) &&
			    !pdb_matches(out->pdb, out->debug_id))
				out->pdb[0] = 0;
		}
		// Breakpad layout: name.pdb/ID/name.sym.
		char   sym[300];
		size_t len = strlen(out->debug_file);
		if (len > 4 && strcasecmp(out->debug_file + len - 4, ".pdb") == 0)
			len -= 4;
		snprintf(sym, sizeof(sym), "%.*s.sym", (int)len, out->debug_file);
		for (size_t i = 0; i < p->ndirs && !out->pdb[0] && !out->sym[0]; i++) {
			if (!find_in(out->sym, sizeof(out->sym), p->dirs[i], out->debug_file, out->debug_id,
			             sym))
				out->sym[0] = 0;
		}
	}
	if (out->pdb[0] || out->pe[0] || out->sym[0])
		return DW_OK;
	fmt(out->why, sizeof(out->why), "no %s%s%s or %s %s in %zu directories",
	         out->debug_file[0] ? out->debug_file : "PDB", out->debug_id[0] ? " " : "",
	         out->debug_id, code_file, code_id, p->ndirs);
	return DW_ENOTFOUND;
}

dw_err
dw_symprov_new(dw_symprov **out, const dw_symprov_opts *o)
{
	*out          = NULL;
	dw_symprov *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return DW_ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	p->max_idle   = o->max_idle ? o->max_idle : 64;
	p->locate     = o->locate ? o->locate : dw_symprov_locate_dirs;
	p->locate_arg = o->locate ? o->locate_arg : p;
	p->dirs       = calloc(o->ndirs ? o->ndirs : 1, sizeof(char *));
	p->st         = calloc(MAX_STATUSES, sizeof(*p->st));
	p->miss_ttl_ns = (uint64_t)(o->miss_ttl_ms ? o->miss_ttl_ms : DW_SYMPROV_MISS_TTL_MS) * 1000000u;
	if (p->dirs == NULL || p->st == NULL) {
		dw_symprov_free(p);
		return DW_ENOMEM;
	}
	for (size_t i = 0; i < o->ndirs; i++) {
		if ((p->dirs[i] = strdup(o->dirs[i])) == NULL) {
			dw_symprov_free(p);
			return DW_ENOMEM;
		}
		p->ndirs++;
	}
	*out = p;
	return DW_OK;
}

static void
entry_free(entry *e)
{
	dw_symtab_release(e->table);
	dw_pe_free(e->pe);
	dw_mapfile_close(&e->pe_map);
	free(e);
}

static void
unlink_entry(dw_symprov *p, entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		p->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	e->prev = e->next = NULL;
}

static void
push_front(dw_symprov *p, entry *e)
{
	e->prev = NULL;
	e->next = p->head;
	if (p->head)
		p->head->prev = e;
	p->head = e;
}

void
dw_symprov_free(dw_symprov *p)
{
	if (p == NULL)
		return;
	for (entry *e = p->head, *n; e != NULL; e = n) {
		n = e->next;
		entry_free(e);
	}
	for (size_t i = 0; i < p->ndirs; i++)
		free(p->dirs[i]);
	free(p->dirs);
	free(p->st);
	free(p->misses);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

// Drops idle entries past max_idle, least recently used first. Locked.
static void
trim(dw_symprov *p)
{
	size_t idle = 0;
	entry *last = NULL;
	for (entry *e = p->head; e != NULL; e = e->next) {
		idle += e->users == 0;
		last = e;
	}
	for (entry *e = last, *prev; e != NULL && idle > p->max_idle; e = prev) {
		prev = e->prev;
		if (e->users != 0)
			continue;
		unlink_entry(p, e);
		entry_free(e);
		idle--;
		p->counts.evicted++;
	}
}

static void
record(dw_symprov *p, const dw_symsrc_module *m, bool found, dw_err err, const char *origin)
{
	const char *name = base_name(m->name ? m->name : "");
	for (size_t i = 0; i < p->nst; i++) {
		if (strcmp(p->st[i].module, name) == 0)
			return;
	}
	if (p->nst == MAX_STATUSES)
		return;
	dw_symprov_status *s = &p->st[p->nst++];
	snprintf(s->module, sizeof(s->module), "%s", name);
	snprintf(s->origin, sizeof(s->origin), "%s", origin);
	s->found = found;
	s->err   = err;
}

// FNV-1a 64: keys share long prefixes ("kernel32.pdb/"), so the list is
// searched by hash first.
static uint64_t
key_hash(const char *k)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 0x100000001b3u;
	return h;
}

static entry *
lookup(dw_symprov *p, const char *key, uint64_t hash)
{
	for (entry *e = p->head; e != NULL; e = e->next) {
		if (e->hash == hash && strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// A remembered miss for key that has not expired, or NULL. Locked.
static const miss *
miss_find(dw_symprov *p, const char *key, uint64_t hash)
{
	if (p->nmiss == 0)
		return NULL;
	uint64_t now = now_ns();
	for (size_t i = 0; i < p->nmiss; i++) {
		const miss *m = &p->misses[i];
		if (m->hash == hash && m->expires_ns > now && strcmp(m->key, key) == 0)
			return m;
	}
	return NULL;
}

// Remembers a miss (replacing an expired one for the same key). Locked.
static void
miss_add(dw_symprov *p, const char *key, uint64_t hash, dw_err err, const char *why)
{
	if (p->misses == NULL && (p->misses = calloc(MAX_MISSES, sizeof(*p->misses))) == NULL)
		return;
	miss *m = NULL;
	for (size_t i = 0; i < p->nmiss && m == NULL; i++)
		if (p->misses[i].hash == hash && strcmp(p->misses[i].key, key) == 0)
			m = &p->misses[i];
	if (m == NULL && p->nmiss < MAX_MISSES)
		m = &p->misses[p->nmiss++];
	if (m == NULL) {
		m            = &p->misses[p->next_miss];
		p->next_miss = (p->next_miss + 1) % MAX_MISSES;
	}
	fmt(m->key, sizeof(m->key), "%s", key);
	fmt(m->why, sizeof(m->why), "%s", why);
	m->hash       = hash;
	m->err        = err;
	m->expires_ns = now_ns() + p->miss_ttl_ns;
}

// "NAME/ID" with the id upper-cased: the spelling the dump gives an id in
// varies, the file it names does not.
static void
make_key(char *out, size_t cap, const char *a, const char *b)
{
	size_t n = 0;
	for (; a[n] && n + 2 < cap; n++)
		out[n] = a[n];
	out[n++] = '/';
	for (size_t i = 0; b[i] && n + 1 < cap; i++)
		out[n++] = b[i] >= 'a' && b[i] <= 'z' ? (char)(b[i] - 'a' + 'A') : b[i];
	out[n] = 0;
}

// set_why copies text into why[cap], cut to fit.
static void
set_why(char *why, size_t cap, const char *text)
{
	if (why == NULL || cap == 0)
		return;
	size_t n = strnlen(text, cap - 1);
	memcpy(why, text, n);
	why[n] = 0;
}

dw_err
dw_symprov_open_module(void **out, dw_symprov *p, const dw_symsrc_module *m)
{
	return dw_symprov_open_module_why(out, p, m, NULL, 0);
}

dw_err
dw_symprov_open_module_why(void **out, dw_symprov *p, const dw_symsrc_module *m, char *why,
                           size_t cap)
{
	*out = NULL;
	set_why(why, cap, "");
	// Identity known from the dump: a table in memory, or a remembered
	// miss, answers at once.
	char     key[600] = "";
	uint64_t hash     = 0;
	if (m->debug_id != NULL && m->debug_id[0] && m->debug_file != NULL)
		make_key(key, sizeof(key), base_name(m->debug_file), m->debug_id);
	else if (m->code_id != NULL && m->code_id[0] && m->name != NULL)
		make_key(key, sizeof(key), base_name(m->name), m->code_id);
	if (key[0]) {
		hash = key_hash(key);
		pthread_mutex_lock(&p->mu);
		entry *e = lookup(p, key, hash);
		if (e != NULL) {
			e->users++;
			unlink_entry(p, e);
			push_front(p, e);
			p->counts.hits++;
			pthread_mutex_unlock(&p->mu);
			*out = e;
			return DW_OK;
		}
		const miss *ms = miss_find(p, key, hash);
		if (ms != NULL) {
			dw_err rv = ms->err;
			set_why(why, cap, ms->why);
			p->counts.miss_hits++;
			pthread_mutex_unlock(&p->mu);
			return rv;
		}
		pthread_mutex_unlock(&p->mu);
	}

	// Find and compile outside the lock: two walks asking for one new module
	// at once may both compile it; the second result is dropped below.
	dw_symprov_files *f = calloc(1, sizeof(*f));
	entry            *e = calloc(1, sizeof(*e));
	if (f == NULL || e == NULL) {
		free(f);
		free(e);
		return DW_ENOMEM;
	}
	snprintf(e->key, sizeof(e->key), "%s", key);
	dw_err rv = p->locate(f, m, p->locate_arg);
	char   origin[512];
	if (rv != DW_OK) {
		const char *tried = f->why[0] ? f->why : dw_strerror(rv);
		set_why(why, cap, tried);
		pthread_mutex_lock(&p->mu);
		record(p, m, false, rv, tried);
		// Found nowhere: remembered. A timeout or a network error is
		// not: the next analysis tries again.
		if (rv == DW_ENOTFOUND && key[0])
			miss_add(p, key, hash, DW_ENOTFOUND, tried);
		pthread_mutex_unlock(&p->mu);
		free(f);
		free(e);
		return rv == DW_ENOMEM ? rv : DW_ENOTFOUND;
	}
	dw_notes notes;
	dw_notes_init(&notes);
	if (f->pdb[0])
		rv = dw_symtab_compile(&e->table, f->pdb, f->pe[0] ? f->pe : NULL, NULL, NULL, &notes);
	else if (f->sym[0])
		rv = dw_symtab_compile(&e->table, NULL, NULL, f->sym, NULL, &notes);
	else
		rv = dw_symtab_compile(&e->table, NULL, f->pe, NULL, NULL, &notes);
	if (rv == DW_OK && f->pe[0]) {
		const char *map_why;
		if (dw_mapfile_open(&e->pe_map, f->pe, &map_why) == DW_OK &&
		    dw_pe_open(&e->pe, e->pe_map.data, e->pe_map.len, DW_PE_LAYOUT_FILE, NULL) != DW_OK)
			e->pe = NULL;
	}
	fmt(origin, sizeof(origin), "%s%s%s%s%s%s%s%s",
	         f->pdb[0] ? "pdb " : f->sym[0] ? "sym " : "pe ",
	         f->pdb[0] ? f->pdb : f->sym[0] ? f->sym : f->pe, f->pdb[0] && f->pe[0] ? " + pe " : "",
	         f->pdb[0] && f->pe[0] ? f->pe : "", rv != DW_OK ? ": " : "",
	         rv != DW_OK ? dw_strerror(rv) : "",
	         rv != DW_OK && notes.count ? ": " : "",
	         rv != DW_OK && notes.count ? notes.items[0].text : "");
	dw_notes_fini(&notes);
	if (rv != DW_OK) {
		set_why(why, cap, origin);
		pthread_mutex_lock(&p->mu);
		record(p, m, false, rv, origin);
		// Files that do not compile will not compile next time either.
		if (rv != DW_ENOMEM && key[0])
			miss_add(p, key, hash, DW_ENOTFOUND, origin);
		pthread_mutex_unlock(&p->mu);
		free(f);
		entry_free(e);
		return rv == DW_ENOMEM ? rv : DW_ENOTFOUND;
	}
	fmt(e->origin, sizeof(e->origin), "%s", origin);
	dw_symtab_stats st;
	dw_symtab_get_stats(e->table, &st);
	e->has_x64 = st.x64_funcs > 0;
	if (!key[0]) {
		// No identity in the dump: key by what the PE named.
		make_key(e->key, sizeof(e->key), f->debug_file[0] ? f->debug_file : base_name(f->pe),
		         f->debug_id);
	}
	e->hash = key_hash(e->key);
	free(f);
	e->users = 1;

	pthread_mutex_lock(&p->mu);
	record(p, m, true, DW_OK, origin);
	entry *had = lookup(p, e->key, e->hash);
	if (had != NULL) {
		had->users++;
		p->counts.hits++;
		pthread_mutex_unlock(&p->mu);
		entry_free(e);
		*out = had;
		return DW_OK;
	}
	push_front(p, e);
	p->counts.compiled++;
	trim(p);
	pthread_mutex_unlock(&p->mu);
	*out = e;
	return DW_OK;
}

void
dw_symprov_close_module(dw_symprov *p, void *mod)
{
	entry *e = mod;
	if (e == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	if (e->users > 0 && --e->users == 0)
		trim(p);
	pthread_mutex_unlock(&p->mu);
}

void
dw_symprov_forget_misses(dw_symprov *p)
{
	pthread_mutex_lock(&p->mu);
	p->nmiss     = 0;
	p->next_miss = 0;
	pthread_mutex_unlock(&p->mu);
}

const char *
dw_symprov_get_origin(const void *mod)
{
	const entry *e = mod;
	return e != NULL ? e->origin : "";
}

size_t
dw_symprov_statuses(dw_symprov *p, dw_symprov_status *out, size_t cap)
{
	pthread_mutex_lock(&p->mu);
	size_t n = p->nst;
	for (size_t i = 0; i < n && i < cap; i++)
		out[i] = p->st[i];
	pthread_mutex_unlock(&p->mu);
	return n;
}

void
dw_symprov_get_counts(dw_symprov *p, dw_symprov_counts *out)
{
	pthread_mutex_lock(&p->mu);
	*out      = p->counts;
	out->open = out->idle = 0;
	for (entry *e = p->head; e != NULL; e = e->next) {
		if (e->users)
			out->open++;
		else
			out->idle++;
	}
	pthread_mutex_unlock(&p->mu);
}

// ---- the ops -----------------------------------------------------------------

static dw_err
op_open(void **out, const dw_symsrc_module *m, void *arg)
{
	return dw_symprov_open_module(out, arg, m);
}

static void
op_close(void *mod, void *arg)
{
	dw_symprov_close_module(arg, mod);
}

// The start of the function whose RUNTIME_FUNCTION holds rva: the entry's
// begin, or, for a chained entry (a function's cold or split part,
// UNW_FLAG_CHAININFO), the begin of the primary entry the chain leads to.
// False when no entry holds rva.
static bool
x64_func_start(const entry *e, uint32_t rva, uint32_t *out)
{
	dw_symtab_x64 x;
	if (dw_symtab_x64_find(e->table, rva, &x) != DW_OK)
		return false;
	*out = x.begin;
	for (int depth = 0; depth < 8 && x.info != NULL && x.info_len >= 4; depth++) {
		if (((x.info[0] >> 3) & 4) == 0)
			break; // not chained: x is the primary entry
		// The chained RUNTIME_FUNCTION follows the codes, their count
		// rounded up to even (UNWIND_INFO, Microsoft's x64 exception
		// handling documentation).
		size_t off = 4 + 2 * (((size_t)x.info[2] + 1) & ~(size_t)1);
		if (off + 12 > x.info_len)
			break;
		uint32_t begin = dw_get_u32le(x.info + off);
		*out           = begin;
		if (dw_symtab_x64_find(e->table, begin, &x) != DW_OK || x.begin != begin)
			break;
	}
	return true;
}

// A PUBLIC has no size, so the nearest one below an address names it even
// when the address lies in a later function that has no name of its own (a
// static function of the mingw CRT or libgcc, compiled without CodeView).
// Example: our corpus's x64/deadlock.exe (lld) has the public _unlock_file
// at 0x4660, and .pdata says 0x4be0-0x5087 is another function, nameless in
// the PDB; a stale return address at 0x4cda came out as
// unlock_file+0x67a, and scanning, told the address is inside a function,
// took it as a frame above ck_report. Where the module has x64 unwind data
// the function's own start is known: a public below it names another
// function, so the address has no symbol (DW_ENOTFOUND), as without the
// public. Tested in tests/symbols/provider_test.c.
static bool
public_is_other_function(const entry *e, const dw_symtab_loc *l, uint32_t rva)
{
	uint32_t start;
	return l->is_public && e->has_x64 && x64_func_start(e, rva, &start) && l->start < start;
}

static dw_err
op_find(dw_symsrc_loc *out, void *mod, uint32_t rva, void *arg)
{
	(void)arg;
	entry        *e = mod;
	dw_symtab_loc l;
	memset(out, 0, sizeof(*out));
	dw_err rv = dw_symtab_find(e->table, rva, &l);
	if (rv != DW_OK)
		return rv;
	if (public_is_other_function(e, &l, rva))
		return DW_ENOTFOUND;
	*out = (dw_symsrc_loc){l.name, l.start, l.size, l.offset, l.param_size, l.is_public,
	                       l.multiple, l.file, l.line, l.line_start, l.ninlines};
	return DW_OK;
}

static dw_err
op_find_inlines(dw_symsrc_inline *out, size_t cap, size_t *n, void *mod, uint32_t rva, void *arg)
{
	(void)arg;
	entry           *e = mod;
	dw_symtab_inline in[DW_MAX_INLINE_FRAMES];
	if (cap > DW_MAX_INLINE_FRAMES)
		cap = DW_MAX_INLINE_FRAMES;
	dw_err rv = dw_symtab_find_inlines(e->table, rva, in, cap, n);
	if (rv != DW_OK)
		return rv;
	for (size_t i = 0; i < *n && i < cap; i++)
		out[i] = (dw_symsrc_inline){in[i].depth, in[i].name, in[i].call_file, in[i].call_line,
		                            in[i].start};
	return DW_OK;
}

static dw_err
op_x64_find(dw_symsrc_x64 *out, void *mod, uint32_t rva, void *arg)
{
	(void)arg;
	entry *e = mod;
	memset(out, 0, sizeof(*out));
	if (!e->has_x64)
		return DW_EUNSUPPORTED;
	dw_symtab_x64 x;
	dw_err        rv = dw_symtab_x64_find(e->table, rva, &x);
	if (rv != DW_OK)
		return rv;
	*out = (dw_symsrc_x64){x.begin, x.end, x.unwind_rva, x.info, x.info_len};
	return DW_OK;
}

static dw_err
op_x64_info(const uint8_t **out, size_t *len, void *mod, uint32_t unwind_rva, void *arg)
{
	(void)arg;
	entry *e = mod;
	return dw_symtab_x64_info(e->table, unwind_rva, out, len);
}

static dw_err
op_win_find(dw_symsrc_win *out, void *mod, uint32_t type, uint32_t rva, void *arg)
{
	(void)arg;
	entry        *e = mod;
	dw_symtab_win w;
	dw_err        rv = dw_symtab_win_find(e->table, type, rva, &w);
	if (rv != DW_OK)
		return rv;
	*out = (dw_symsrc_win){w.type,        w.rva,        w.code_size,       w.prolog_size,
	                       w.epilog_size, w.param_size, w.saved_regs_size, w.locals_size,
	                       w.max_stack_size, w.has_program, w.allocates_base_pointer,
	                       w.program};
	return DW_OK;
}

static dw_err
op_cfi_find(dw_symsrc_cfi *out, void *mod, uint32_t rva, void *arg)
{
	(void)arg;
	entry        *e = mod;
	dw_symtab_cfi c;
	dw_err        rv = dw_symtab_cfi_find(e->table, rva, &c);
	if (rv != DW_OK)
		return rv;
	out->init_rva  = c.init_rva;
	out->init_size = c.init_size;
	out->nrules    = 0;
	for (size_t i = 0; i < c.nrules && i < DW_SYMSRC_MAX_CFI_RULES; i++)
		out->rules[out->nrules++] = (dw_symsrc_cfi_rule){c.rules[i].reg, c.rules[i].expr};
	return DW_OK;
}

static dw_err
op_read_code(uint8_t *dst, size_t len, size_t *got, void *mod, uint32_t rva, void *arg)
{
	(void)arg;
	entry *e = mod;
	*got     = 0;
	if (e->pe == NULL)
		return DW_ENOTFOUND;
	// The image may end (or a section's raw data may) before len bytes:
	// give the longest prefix that reads.
	for (size_t n = len; n > 0; n = n > 16 ? n / 2 : n - 1) {
		if (dw_pe_read_rva(e->pe, rva, dst, n) == DW_OK) {
			*got = n;
			return DW_OK;
		}
	}
	return DW_ENOTFOUND;
}

static const dw_symsrc_ops ops = {
    .open         = op_open,
    .close        = op_close,
    .find         = op_find,
    .find_inlines = op_find_inlines,
    .x64_find     = op_x64_find,
    .x64_info     = op_x64_info,
    .win_find     = op_win_find,
    .cfi_find     = op_cfi_find,
    .read_code    = op_read_code,
};

dw_symsrc
dw_symprov_source(dw_symprov *p)
{
	return (dw_symsrc){.ops = &ops, .arg = p};
}
