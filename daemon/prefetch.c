// daemon/prefetch.c - PrefetchSymbols: see prefetch.h.
#include "daemon/prefetch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "daemon/analyze.h"
#include "daemon/log.h"
#include "symbols/resolve.h"
#include "walker/dump.h"

typedef struct dwd_prefetch dwd_prefetch;

typedef struct item {
	dwd_rx                               *rx;
	Dumpwalk__V1__PrefetchSymbolsRequest *q;
} item;

struct dwd_prefetch {
	dwd_server     *s;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	item            queue[DWD_PREFETCH_QUEUE];
	unsigned        head, len;
	_Atomic bool    stopping;
	pthread_t       threads[DWD_PREFETCH_WORKERS];
	unsigned        nthreads;
	_Atomic uint64_t found, not_found, failed;
	_Atomic uint64_t avg_us; // moving average per request, for retry hints

	// The sources: the analyses' (s->symbols), which a reload keeps.
	char        *symbol_path;
	bool         http;
	dw_resolver *res; // borrowed from s->symbols
};

// One module to look up. The strings are borrowed from the request or
// from the dump, both alive until the reply is packed; names are never
// copied into fixed buffers, since a cut name would name another file.
typedef struct mod {
	const char *debug_file, *debug_id, *code_file, *code_id;
} mod;

static const char *
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

static const char *
base_name(const char *p)
{
	const char *b = p;
	for (const char *s = p; *s != '\0'; s++)
		if (*s == '/' || *s == '\\')
			b = s + 1;
	return b;
}

static bool
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

// Adds m unless an identical module is listed already; false past the cap.
static bool
add_mod(mod *v, size_t *n, mod m)
{
	for (size_t i = 0; i < *n; i++)
		if (same(v[i].debug_file, m.debug_file) && same(v[i].debug_id, m.debug_id) &&
		    same(v[i].code_file, m.code_file) && same(v[i].code_id, m.code_id))
			return true;
	if (*n >= DWD_PREFETCH_MAX_MODULES)
		return false;
	v[(*n)++] = m;
	return true;
}

// ---- the sources ------------------------------------------------------------------

// The analyses' resolver: one in-memory single-flight and checksum-verified
// set for both, so a prefetch and an analysis asking for the same file at
// once download it once.
static bool
open_sources(dwd_prefetch *p, char *why, size_t whylen)
{
	p->res = dwd_symbols_resolver(p->s->symbols, &p->http);
	if (p->res == NULL)
		snprintf(why, whylen, "the symbol sources did not open (see the daemon's "
		                      "symbols_unavailable log line)");
	return p->res != NULL;
}

// ---- one request ------------------------------------------------------------------

static bool
file_found(const dw_symfile *f)
{
	return f->status == DW_SYMST_CACHED || f->status == DW_SYMST_LOCAL ||
	       f->status == DW_SYMST_DOWNLOADED;
}

static bool
file_failed(const dw_symfile *f)
{
	return f->status == DW_SYMST_CORRUPT || f->status == DW_SYMST_TIMEDOUT ||
	       f->status == DW_SYMST_UNAVAILABLE || f->status == DW_SYMST_REFUSED ||
	       f->status == DW_SYMST_ERROR;
}

// Per module: the resolver's answer and the strings the reply points at.
typedef struct outcome {
	dw_symmodule                         sm;
	bool                                 resolved; // sm is set (needs fini)
	char                                 reason[400];
	Dumpwalk__V1__PrefetchModuleResult   r;
	Dumpwalk__V1__ModuleRef              ref;
	Dumpwalk__V1__PrefetchFile           files[3];
	Dumpwalk__V1__PrefetchFile          *fp[3];
} outcome;

static void
describe(outcome *o)
{
	static const char *const kinds[3] = {"pdb", "pe", "sym"};
	const dw_symfile        *fs[3]    = {&o->sm.pdb, &o->sm.pe, &o->sm.sym};
	size_t                   at       = 0;
	o->r.n_files                      = 0;
	for (int i = 0; i < 3; i++) {
		const dw_symfile *f = fs[i];
		if (f->status == DW_SYMST_NOT_ASKED)
			continue;
		Dumpwalk__V1__PrefetchFile *pf = &o->files[o->r.n_files];
		dumpwalk__v1__prefetch_file__init(pf);
		pf->kind                   = (char *)kinds[i];
		pf->status                 = (char *)dw_symstatus_name(f->status);
		pf->where                  = (char *)(f->where != NULL ? f->where : "");
		pf->note                   = (char *)f->note;
		o->fp[o->r.n_files]        = pf;
		o->r.n_files++;
		int n;
		if (file_found(f))
			n = snprintf(o->reason + at, sizeof(o->reason) - at, "%s%s %s from %.120s",
			             at ? "; " : "", kinds[i], pf->status, pf->where);
		else
			n = snprintf(o->reason + at, sizeof(o->reason) - at, "%s%s %s%s%.150s",
			             at ? "; " : "", kinds[i], pf->status, f->note[0] ? ": " : "",
			             f->note);
		if (n > 0)
			at = at + (size_t)n < sizeof(o->reason) ? at + (size_t)n : sizeof(o->reason) - 1;
	}
	o->r.files = o->r.n_files ? o->fp : NULL;
	bool found = false, failed = false;
	for (int i = 0; i < 3; i++) {
		found |= file_found(fs[i]);
		failed |= file_failed(fs[i]);
	}
	o->r.outcome = found    ? DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FOUND
	               : failed ? DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FAILED
	                        : DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__NOT_FOUND;
	if (o->r.n_files == 0) {
		// Possible only when the image was asked for alone and gave no PDB
		// identity; say so rather than send an empty reason.
		snprintf(o->reason, sizeof(o->reason), "no file could be asked for");
		o->r.outcome = DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__NOT_FOUND;
	}
	if (o->sm.identity_from_pe) {
		o->r.resolved_debug_file = o->sm.debug_file;
		o->r.resolved_debug_id   = o->sm.debug_id;
	}
}

static void
fill_ref(outcome *o, const mod *m)
{
	dumpwalk__v1__module_ref__init(&o->ref);
	o->ref.debug_file = (char *)(m->debug_file ? m->debug_file : "");
	o->ref.debug_id   = (char *)(m->debug_id ? m->debug_id : "");
	o->ref.code_file  = (char *)(m->code_file ? m->code_file : "");
	o->ref.code_id    = (char *)(m->code_id ? m->code_id : "");
	dumpwalk__v1__prefetch_module_result__init(&o->r);
	o->r.module = &o->ref;
}

// Collects the modules of the request and of its dump into v; returns 0 or
// a status code with msg set.
static int
collect(mod *v, size_t *n, dw_dump **dump, dwd_upload **up, dwd_server *s,
        const Dumpwalk__V1__PrefetchSymbolsRequest *q, char *msg, size_t msglen)
{
	*n = 0;
	for (size_t i = 0; i < q->n_modules; i++) {
		const Dumpwalk__V1__ModuleRef *r = q->modules[i];
		mod m = {nonempty(r->debug_file), nonempty(r->debug_id), nonempty(r->code_file),
		         nonempty(r->code_id)};
		if (m.code_file != NULL)
			m.code_file = nonempty(base_name(m.code_file));
		if (!add_mod(v, n, m))
			goto too_many;
	}
	const uint8_t *data = NULL;
	size_t         len  = 0;
	if (q->dump.len > 0) {
		data = q->dump.data;
		len  = q->dump.len;
	} else if (nonempty(q->upload_id) != NULL) {
		int code = dwd_upload_hold(s, q->upload_id, up, msg, msglen);
		if (code != 0)
			return code;
		data = (*up)->data;
		len  = (size_t)(*up)->total;
	}
	if (data != NULL) {
		pthread_rwlock_rdlock(&s->cfg_lock);
		size_t budget = s->cfg.memory_budget_bytes;
		pthread_rwlock_unlock(&s->cfg_lock);
		dw_notes notes;
		dw_notes_init(&notes);
		dw_err rv = dw_dump_open_buffer_budget(dump, data, len, budget, &notes);
		if (rv != DW_OK) {
			snprintf(msg, msglen, "the dump (%zu bytes) is not a readable minidump: %s%s%.200s",
			         len, dw_strerror(rv), notes.count ? ": " : "",
			         notes.count ? notes.items[0].text : "");
			dw_notes_fini(&notes);
			return rv == DW_ENOMEM ? DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED
			                       : DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT;
		}
		dw_notes_fini(&notes);
		size_t              count = 0;
		const dw_md_module *mm    = dw_dump_modules(*dump, &count);
		for (size_t i = 0; i < count; i++) {
			mod m = {NULL, nonempty(mm[i].debug_id), NULL, nonempty(mm[i].code_id)};
			if (mm[i].cv != NULL)
				m.debug_file = nonempty(mm[i].cv->pdb_name);
			if (mm[i].name != NULL)
				m.code_file = nonempty(base_name(mm[i].name));
			if (!add_mod(v, n, m))
				goto too_many;
		}
	}
	if (*n == 0) {
		snprintf(msg, msglen, "%s", data != NULL ? "the dump lists no modules"
		                                         : "PrefetchSymbolsRequest names no module: "
		                                           "list modules or send a dump");
		return DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT;
	}
	return 0;
too_many:
	snprintf(msg, msglen, "more than %d distinct modules in one request; split it",
	         DWD_PREFETCH_MAX_MODULES);
	return DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT;
}

// A download keeps the fetcher's own timeouts, not the time the request
// has left: a transfer cut short by a client's tight deadline would be
// remembered as "timed out" (a negative entry) and refused to the analyses
// for minutes, while one left to finish lands in the cache for them.
static dw_fetcher *
fetcher_for(const dwd_prefetch *p)
{
	dw_fetcher *f = NULL;
	return p->http && dw_fetcher_new(&f, NULL) == DW_OK ? f : NULL;
}

static void
reply_results(dwd_rx *rx, outcome *os, size_t n)
{
	dwd_server                            *s   = rx->s;
	Dumpwalk__V1__PrefetchSymbolsReply     rep = DUMPWALK__V1__PREFETCH_SYMBOLS_REPLY__INIT;
	Dumpwalk__V1__PrefetchModuleResult   **rp  = calloc(n, sizeof(*rp));
	if (rp == NULL) {
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED, 1000,
		               "out of memory building the reply; the modules are cached, ask again");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		rp[i] = &os[i].r;
		switch (os[i].r.outcome) {
		case DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FOUND: rep.found++; break;
		case DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FAILED: rep.failed++; break;
		default: rep.not_found++; break;
		}
	}
	rep.queued    = (uint32_t)n;
	rep.results   = rp;
	rep.n_results = n;
	size_t len    = dumpwalk__v1__prefetch_symbols_reply__get_packed_size(&rep);
	if (len + 1024 > s->max_message_bytes) {
		// The per-file details are the bulk; the reasons say the same in short.
		for (size_t i = 0; i < n; i++) {
			os[i].r.n_files = 0;
			os[i].r.files   = NULL;
		}
		len = dumpwalk__v1__prefetch_symbols_reply__get_packed_size(&rep);
	}
	uint8_t *buf = len + 1024 <= s->max_message_bytes ? malloc(len ? len : 1) : NULL;
	if (buf == NULL) {
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED, 0,
		               "the reply for %zu modules (%zu bytes) does not fit in a message; "
		               "the modules are cached: send fewer per request",
		               n, len);
	} else {
		dumpwalk__v1__prefetch_symbols_reply__pack(&rep, buf);
		dwd_reply(rx, 0, NULL, 0, buf, len);
	}
	free(buf);
	free(rp);
}

static void
run(dwd_prefetch *p, dwd_rx *rx, Dumpwalk__V1__PrefetchSymbolsRequest *q)
{
	dwd_server *s = rx->s;
	char        msg[512];
	if (!open_sources(p, msg, sizeof(msg))) {
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__UNAVAILABLE, 0,
		               "this server cannot prefetch: %s", msg);
		return;
	}
	mod        *v    = calloc(DWD_PREFETCH_MAX_MODULES, sizeof(*v));
	dw_dump    *dump = NULL;
	dwd_upload *up   = NULL;
	outcome    *os   = NULL;
	size_t      n    = 0, done = 0;
	dw_fetcher *f    = NULL;
	int         code = v != NULL ? collect(v, &n, &dump, &up, s, q, msg, sizeof(msg))
	                             : DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED;
	if (v == NULL)
		snprintf(msg, sizeof(msg), "out of memory; retry later");
	if (code != 0) {
		dwd_reply(rx, code, msg, 0, NULL, 0);
		goto out;
	}
	os = calloc(n, sizeof(*os));
	if (os == NULL) {
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED, 1000,
		               "out of memory for %zu modules; retry later", n);
		goto out;
	}
	f = fetcher_for(p);
	for (; done < n; done++) {
		if (dwd_rx_expired(rx) || atomic_load(&p->stopping))
			break;
		const mod       *m   = &v[done];
		outcome         *o   = &os[done];
		dw_symmodule_req req = {m->debug_file, m->debug_id, m->code_file, m->code_id, 0};
		fill_ref(o, m);
		if (!(m->debug_file && m->debug_id) && !(m->code_file && m->code_id)) {
			// Half an identity names no file a server indexes.
			snprintf(o->reason, sizeof(o->reason),
			         "nothing to look up: give debug_file and debug_id, or code_file "
			         "and code_id");
			o->r.reason  = o->reason;
			o->r.outcome = DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FAILED;
			atomic_fetch_add(&p->failed, 1);
			continue;
		}
		if (dw_resolver_module(&o->sm, p->res, f, &req) != DW_OK) {
			dw_symmodule_fini(&o->sm);
			dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED, 1000,
			               "out of memory after %zu of %zu modules; retry later", done, n);
			goto out;
		}
		o->resolved = true;
		describe(o);
		o->r.reason = o->reason;
		atomic_fetch_add(o->r.outcome == DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FOUND
		                     ? &p->found
		                 : o->r.outcome == DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FAILED
		                     ? &p->failed
		                     : &p->not_found,
		                 1);
	}
	if (done < n || dwd_rx_expired(rx)) {
		if (atomic_load(&p->stopping))
			dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__UNAVAILABLE, 1000,
			               "server is shutting down; %zu of %zu modules were looked up "
			               "(they stay cached); send the request to another server",
			               done, n);
		else
			dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__DEADLINE_EXCEEDED, 0,
			               "deadline passed after %zu of %zu modules; those stay cached: "
			               "ask again for the rest",
			               done, n);
		goto out;
	}
	reply_results(rx, os, n);
	unsigned nf = 0, nn = 0, nx = 0;
	for (size_t i = 0; i < n; i++) {
		nf += os[i].r.outcome == DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FOUND;
		nx += os[i].r.outcome == DUMPWALK__V1__PREFETCH_MODULE_RESULT__OUTCOME__FAILED;
	}
	nn = (unsigned)n - nf - nx;
	// The analyses' provider remembers modules it found nowhere; what this
	// request just cached must not stay hidden behind such a miss.
	if (nf > 0)
		dwd_symbols_forget_misses(s->symbols);
	dwd_log(DWD_INFO, "prefetch", "modules=%zu found=%u not_found=%u failed=%u", n, nf, nn,
	        nx);
out:
	dw_fetcher_free(f);
	for (size_t i = 0; os != NULL && i < n; i++)
		if (os[i].resolved)
			dw_symmodule_fini(&os[i].sm);
	free(os);
	dw_dump_free(dump);
	if (up != NULL)
		dwd_upload_release(s, up);
	free(v);
}

// ---- the threads --------------------------------------------------------------------

static void *
worker(void *arg)
{
	dwd_prefetch *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->len == 0 && !atomic_load(&p->stopping))
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->len == 0) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		item it = p->queue[p->head];
		p->head = (p->head + 1) % DWD_PREFETCH_QUEUE;
		p->len--;
		pthread_mutex_unlock(&p->mu);

		uint64_t t0 = dwd_now_ns();
		if (atomic_load(&p->stopping))
			dwd_reply_errf(it.rx, DUMPWALK__V1__STATUS_CODE__UNAVAILABLE, 1000,
			               "server is shutting down; send the request to another server");
		else if (dwd_rx_expired(it.rx))
			dwd_reply_errf(it.rx, DUMPWALK__V1__STATUS_CODE__DEADLINE_EXCEEDED, 0,
			               "deadline passed while the request waited %.1f ms in the "
			               "prefetch queue",
			               (double)(t0 - it.rx->t_start_ns) / 1e6);
		else
			run(p, it.rx, it.q);
		dumpwalk__v1__prefetch_symbols_request__free_unpacked(it.q, NULL);
		uint64_t us  = (dwd_now_ns() - t0) / 1000;
		uint64_t avg = atomic_load(&p->avg_us);
		atomic_store(&p->avg_us, avg == 0 ? us : (avg * 7 + us) / 8);
	}
}

void
dwd_prefetch_submit(dwd_rx *rx)
{
	dwd_server                           *s = rx->s;
	dwd_prefetch                         *p = s->prefetch;
	Dumpwalk__V1__PrefetchSymbolsRequest *q = dumpwalk__v1__prefetch_symbols_request__unpack(
	    NULL, rx->env->payload.len, rx->env->payload.data);
	if (q == NULL) {
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT, 0,
		               "payload (%zu bytes) is not a dumpwalk.v1.PrefetchSymbolsRequest",
		               rx->env->payload.len);
		return;
	}
	int  code = 0;
	char msg[256];
	if (p == NULL || p->symbol_path == NULL || p->symbol_path[0] == '\0') {
		code = DUMPWALK__V1__STATUS_CODE__UNAVAILABLE;
		snprintf(msg, sizeof(msg), "this server has no symbol path (symbols.symbol_path is "
		                           "empty), so it cannot prefetch symbols");
	} else if (q->dump.len > 0 && nonempty(q->upload_id) != NULL) {
		code = DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT;
		snprintf(msg, sizeof(msg), "set dump or upload_id, not both");
	} else if (q->n_modules > DWD_PREFETCH_MAX_MODULES) {
		code = DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT;
		snprintf(msg, sizeof(msg), "%zu modules; at most %d per request: split it",
		         q->n_modules, DWD_PREFETCH_MAX_MODULES);
	} else if (q->n_modules == 0 && q->dump.len == 0 && nonempty(q->upload_id) == NULL) {
		code = DUMPWALK__V1__STATUS_CODE__INVALID_ARGUMENT;
		snprintf(msg, sizeof(msg), "PrefetchSymbolsRequest names no module: list modules "
		                           "or send a dump");
	}
	if (code != 0) {
		dumpwalk__v1__prefetch_symbols_request__free_unpacked(q, NULL);
		dwd_reply(rx, code, msg, 0, NULL, 0);
		return;
	}
	// The request holds its own copy of everything; the envelope can go.
	dumpwalk__v1__envelope__free_unpacked(rx->env, NULL);
	rx->env   = NULL;
	rx->state = RX_WAIT;
	pthread_mutex_lock(&p->mu);
	bool queued = p->len < DWD_PREFETCH_QUEUE && !atomic_load(&p->stopping);
	if (queued) {
		p->queue[(p->head + p->len) % DWD_PREFETCH_QUEUE] = (item){rx, q};
		p->len++;
		pthread_cond_signal(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	if (!queued) {
		dumpwalk__v1__prefetch_symbols_request__free_unpacked(q, NULL);
		atomic_fetch_add(&s->m.rejected_overload, 1);
		// Time for the prefetch threads to get through a full queue.
		uint64_t ms = atomic_load(&p->avg_us) * DWD_PREFETCH_QUEUE / DWD_PREFETCH_WORKERS / 1000;
		uint32_t hint = ms < 100 ? 100 : ms > 30000 ? 30000 : (uint32_t)ms;
		dwd_reply_errf(rx, DUMPWALK__V1__STATUS_CODE__RESOURCE_EXHAUSTED, hint,
		               "prefetch queue full (%d requests for %d threads); retry after %u ms",
		               DWD_PREFETCH_QUEUE, DWD_PREFETCH_WORKERS, hint);
	}
}

int
dwd_prefetch_start(dwd_server *s)
{
	dwd_prefetch *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return ENOMEM;
	p->s = s;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	int rv = 0;
	if (s->cfg.symbol_path != NULL && (p->symbol_path = strdup(s->cfg.symbol_path)) == NULL)
		rv = ENOMEM;
	// Without a symbol path every request is answered UNAVAILABLE at once:
	// no thread is needed.
	bool have_path = p->symbol_path != NULL && p->symbol_path[0] != '\0';
	for (unsigned i = 0; rv == 0 && have_path && i < DWD_PREFETCH_WORKERS; i++) {
		if ((rv = pthread_create(&p->threads[i], NULL, worker, p)) == 0)
			p->nthreads++;
	}
	s->prefetch = p;
	if (rv != 0)
		dwd_prefetch_stop(s);
	return rv;
}

void
dwd_prefetch_stop(dwd_server *s)
{
	dwd_prefetch *p = s->prefetch;
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	atomic_store(&p->stopping, true);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	free(p->symbol_path);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	s->prefetch = NULL;
	free(p);
}

void
dwd_prefetch_get_counts(dwd_server *s, dwd_prefetch_counts *out)
{
	memset(out, 0, sizeof(*out));
	dwd_prefetch *p = s->prefetch;
	if (p == NULL)
		return;
	out->found     = atomic_load(&p->found);
	out->not_found = atomic_load(&p->not_found);
	out->failed    = atomic_load(&p->failed);
}
