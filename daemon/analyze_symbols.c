// daemon/analyze_symbols.c - the symbol sources of an analysis: a
// dw_symprov (symbols/provider.h) whose locator first searches the local
// directories given with --symbols, then the _NT_SYMBOL_PATH sources through
// the resolver (symbols/resolve.h: cache, local stores, HTTP servers).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "daemon/analyze.h"
#include "daemon/analyze_int.h"
#include "symbols/provider.h"
#include "symbols/resolve.h"

struct dwd_symbols {
	dw_symprov  *prov;
	bool         have_dirs;
	bool         have_path; // the resolver below is set
	bool         http;      // the path names an HTTP server: each locate gets a fetcher
	bool         curl_init;
	dw_sympath   path;
	dw_symcache *cache;
	dw_resolver *res;
};

static const char *
base_name(const char *p)
{
	const char *b = p;
	for (const char *s = p; *s != 0; s++)
		if (*s == '/' || *s == '\\')
			b = s + 1;
	return b;
}

static void
copy_path(char *dst, size_t cap, const dw_symfile *f)
{
	if (f->path != NULL && (f->status == DW_SYMST_CACHED || f->status == DW_SYMST_LOCAL ||
	                        f->status == DW_SYMST_DOWNLOADED))
		snprintf(dst, cap, "%s", f->path);
}

// The worst failure among a module's files says what the report shows: a
// corrupt copy or a timed-out server matters more than "not on that server".
static dw_err
file_err(const dw_symmodule *m)
{
	const dw_symfile *fs[] = {&m->pdb, &m->pe, &m->sym};
	dw_err            e    = DW_ENOTFOUND;
	for (size_t i = 0; i < 3; i++) {
		if (fs[i]->status == DW_SYMST_CORRUPT)
			return DW_ECORRUPT;
		if (fs[i]->status == DW_SYMST_TIMEDOUT)
			e = DW_ETIMEDOUT;
	}
	return e;
}

static dw_err
locate(dw_symprov_files *out, const dw_symsrc_module *m, void *arg)
{
	dwd_symbols *s  = arg;
	dw_err       rv = DW_ENOTFOUND;
	if (s->have_dirs) {
		rv = dw_symprov_locate_dirs(out, m, s->prov);
		if (rv == DW_OK || !s->have_path)
			return rv;
	}
	if (!s->have_path)
		return DW_ENOTFOUND;
	dw_fetcher *f = NULL;
	if (s->http && dw_fetcher_new(&f, NULL) != DW_OK)
		f = NULL;
	dw_symmodule_req req = {0};
	req.debug_file       = m->debug_file[0] != 0 ? m->debug_file : NULL;
	req.debug_id         = m->debug_id[0] != 0 ? m->debug_id : NULL;
	req.code_file        = m->name[0] != 0 ? base_name(m->name) : NULL;
	req.code_id          = m->code_id[0] != 0 ? m->code_id : NULL;
	dw_symmodule sm;
	memset(&sm, 0, sizeof(sm));
	rv = dw_resolver_module(&sm, s->res, f, &req);
	dw_fetcher_free(f);
	if (rv != DW_OK) {
		dw_symmodule_fini(&sm);
		return rv;
	}
	memset(out, 0, sizeof(*out));
	copy_path(out->pdb, sizeof(out->pdb), &sm.pdb);
	copy_path(out->pe, sizeof(out->pe), &sm.pe);
	copy_path(out->sym, sizeof(out->sym), &sm.sym);
	snprintf(out->debug_file, sizeof(out->debug_file), "%s",
	         sm.debug_file[0] != 0 ? sm.debug_file : m->debug_file);
	snprintf(out->debug_id, sizeof(out->debug_id), "%s",
	         sm.debug_id[0] != 0 ? sm.debug_id : m->debug_id);
	if (out->pdb[0] != 0 || out->pe[0] != 0 || out->sym[0] != 0) {
		rv = DW_OK;
	} else {
		snprintf(out->why, sizeof(out->why), "symbol path: pdb %s, pe %s, sym %s%s%s",
		         dw_symstatus_name(sm.pdb.status), dw_symstatus_name(sm.pe.status),
		         dw_symstatus_name(sm.sym.status), sm.pdb.note[0] != 0 ? ": " : "",
		         sm.pdb.note);
		rv = file_err(&sm);
	}
	dw_symmodule_fini(&sm);
	return rv;
}

static void
default_cache(char *out, size_t cap)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	if (xdg != NULL && xdg[0] == '/')
		snprintf(out, cap, "%s/dumpwalk/symbols", xdg);
	else
		snprintf(out, cap, "%s/.cache/dumpwalk/symbols", home != NULL ? home : ".");
}

int
dwd_symbols_new(dwd_symbols **out, const dwd_symbols_opts *o, char *why, size_t whylen)
{
	*out           = NULL;
	dwd_symbols *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(why, whylen, "out of memory");
		return DW_ENOMEM;
	}
	dw_sympath_init(&s->path);
	dw_notes notes;
	dw_notes_init(&notes);
	dw_err rv = DW_OK;
	s->have_dirs = o->ndirs > 0;
	if (o->symbol_path != NULL && o->symbol_path[0] != 0) {
		rv = dw_sympath_parse(&s->path, o->symbol_path, &notes);
		if (rv != DW_OK || s->path.count == 0) {
			snprintf(why, whylen, "symbol path \"%s\" names no usable source%s%s",
			         o->symbol_path, notes.count > 0 ? ": " : "",
			         notes.count > 0 ? notes.items[0].text : "");
			rv = rv != DW_OK ? rv : DW_EINVAL;
			goto fail;
		}
		char        defdir[4096];
		const char *cdir = o->cache_dir != NULL ? o->cache_dir : s->path.cache_dir;
		if (cdir == NULL) {
			default_cache(defdir, sizeof(defdir));
			cdir = defdir;
		}
		if ((rv = dw_symcache_open(&s->cache, cdir, NULL, &notes)) != DW_OK) {
			snprintf(why, whylen, "symbol cache %s: %s", cdir,
			         notes.count > 0 ? notes.items[notes.count - 1].text : dw_strerror(rv));
			goto fail;
		}
		for (size_t i = 0; i < s->path.count; i++)
			if (s->path.items[i].kind == DW_SOURCE_HTTP)
				s->http = true;
		if (s->http) {
			if ((rv = dw_fetch_global_init()) != DW_OK) {
				snprintf(why, whylen, "libcurl did not initialize");
				goto fail;
			}
			s->curl_init = true;
		}
		if ((rv = dw_resolver_new(&s->res, &s->path, s->cache)) != DW_OK) {
			snprintf(why, whylen, "out of memory");
			goto fail;
		}
		s->have_path = true;
	}
	dw_symprov_opts po = {0};
	po.dirs            = o->dirs;
	po.ndirs           = o->ndirs;
	po.locate          = locate;
	po.locate_arg      = s;
	if ((rv = dw_symprov_new(&s->prov, &po)) != DW_OK) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	dw_notes_fini(&notes);
	*out = s;
	return DW_OK;
fail:
	dw_notes_fini(&notes);
	dwd_symbols_free(s);
	return rv;
}

struct dw_resolver *
dwd_symbols_resolver(const dwd_symbols *s, bool *http)
{
	*http = s != NULL && s->have_path && s->http;
	return s != NULL && s->have_path ? s->res : NULL;
}

void
dwd_symbols_free(dwd_symbols *s)
{
	if (s == NULL)
		return;
	dw_symprov_free(s->prov);
	dw_resolver_free(s->res);
	dw_symcache_close(s->cache);
	dw_sympath_fini(&s->path);
	if (s->curl_init)
		dw_fetch_global_cleanup();
	free(s);
}

void
dwd_symbols_forget_misses(dwd_symbols *s)
{
	if (s != NULL)
		dw_symprov_forget_misses(s->prov);
}

dw_symprov *
dwd_symbols__provider(const dwd_symbols *s)
{
	return s != NULL ? s->prov : NULL;
}
