// symbols/source.c - symbol source lists, _NT_SYMBOL_PATH parsing, and the
// checks that keep names from dumps inside the cache directory.
#include "symbols/source.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void
dw_sympath_init(dw_sympath *p)
{
	memset(p, 0, sizeof(*p));
}

static void
source_fini(dw_source *s)
{
	free(s->location);
	for (size_t i = 0; i < s->nheaders; i++)
		free(s->headers[i]);
	memset(s, 0, sizeof(*s));
}

void
dw_sympath_fini(dw_sympath *p)
{
	for (size_t i = 0; i < p->count; i++)
		source_fini(&p->items[i]);
	free(p->items);
	free(p->cache_dir);
	memset(p, 0, sizeof(*p));
}

static bool
header_ok(const char *h)
{
	const char *colon = strchr(h, ':');
	if (colon == NULL || colon == h)
		return false;
	for (const char *c = h; *c; c++)
		if (*c == '\r' || *c == '\n')
			return false;
	for (const char *c = h; c < colon; c++)
		if (*c == ' ' || *c == '\t' || (unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e)
			return false;
	return true;
}

dw_err
dw_source_add_header(dw_source *s, const char *header)
{
	if (header == NULL || !header_ok(header))
		return DW_EINVAL;
	if (s->nheaders >= DW_MAX_SOURCE_HEADERS)
		return DW_ELIMIT;
	char *h = strdup(header);
	if (h == NULL)
		return DW_ENOMEM;
	s->headers[s->nheaders++] = h;
	return DW_OK;
}

static dw_err
add_header2(dw_source *s, const char *prefix, const char *value)
{
	size_t n   = strlen(prefix) + strlen(value) + 1;
	char  *buf = malloc(n);
	if (buf == NULL)
		return DW_ENOMEM;
	memcpy(buf, prefix, strlen(prefix));
	memcpy(buf + strlen(prefix), value, strlen(value) + 1);
	dw_err rv = dw_source_add_header(s, buf);
	free(buf);
	return rv;
}

dw_err
dw_source_set_bearer(dw_source *s, const char *token)
{
	return add_header2(s, "Authorization: Bearer ", token);
}

dw_err
dw_source_set_basic(dw_source *s, const char *user, const char *password)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t ul = strlen(user), pl = strlen(password), n = ul + 1 + pl;
	if (n > DW_MAX_URL_BYTES)
		return DW_ELIMIT;
	uint8_t *raw = malloc(n);
	char    *enc = malloc((n + 2) / 3 * 4 + 1);
	dw_err   rv  = DW_ENOMEM;
	if (raw == NULL || enc == NULL)
		goto out;
	memcpy(raw, user, ul);
	raw[ul] = ':';
	memcpy(raw + ul + 1, password, pl);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)raw[i + 1] << 8;
		if (i + 2 < n)
			v |= raw[i + 2];
		enc[o++] = b64[(v >> 18) & 63];
		enc[o++] = b64[(v >> 12) & 63];
		enc[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		enc[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	enc[o] = '\0';
	rv     = add_header2(s, "Authorization: Basic ", enc);
out:
	free(raw);
	free(enc);
	return rv;
}

dw_err
dw_sympath_add(dw_source **out, dw_sympath *p, const dw_source *src)
{
	if (out != NULL)
		*out = NULL;
	if (src->location == NULL || src->location[0] == '\0' ||
	    src->nheaders > DW_MAX_SOURCE_HEADERS)
		return DW_EINVAL;
	if (p->count == p->cap) {
		size_t     ncap  = p->cap ? p->cap * 2 : 8;
		dw_source *items = realloc(p->items, ncap * sizeof(*items));
		if (items == NULL)
			return DW_ENOMEM;
		p->items = items;
		p->cap   = ncap;
	}
	dw_source *d = &p->items[p->count];
	*d           = *src;
	d->nheaders  = 0;
	d->location  = strdup(src->location);
	if (d->location == NULL)
		return DW_ENOMEM;
	// A URL keeps no trailing '/': paths are joined with one.
	size_t l = strlen(d->location);
	while (l > 1 && d->location[l - 1] == '/' && d->kind == DW_SOURCE_HTTP)
		d->location[--l] = '\0';
	for (size_t i = 0; i < src->nheaders; i++) {
		dw_err rv = dw_source_add_header(d, src->headers[i]);
		if (rv != DW_OK) {
			source_fini(d);
			return rv;
		}
	}
	p->count++;
	if (out != NULL)
		*out = d;
	return DW_OK;
}

// ---- _NT_SYMBOL_PATH --------------------------------------------------------

static bool
has_prefix_ci(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)s[i]) != prefix[i])
			return false;
	return true;
}

static char *
dup_range(const char *s, size_t len)
{
	char *d = malloc(len + 1);
	if (d != NULL) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

static dw_err
add_location(dw_sympath *p, const char *loc, size_t len, bool is_cache, bool flat, dw_notes *notes)
{
	dw_source s = {0};
	if (has_prefix_ci(loc, len, "http://") || has_prefix_ci(loc, len, "https://")) {
		s.kind = DW_SOURCE_HTTP;
		if (is_cache)
			return dw_fail(
			    notes, DW_EINVAL,
			    "symbol path: a downstream store must be a directory, not %.*s",
			    (int)(len > 200 ? 200 : len), loc);
	} else {
		// Any other "scheme://" is refused: libcurl is limited to http and
		// https, and a file:// or ftp:// store is not something we serve.
		for (size_t i = 0; i + 2 < len; i++)
			if (loc[i] == ':' && loc[i + 1] == '/' && loc[i + 2] == '/')
				return dw_fail(notes, DW_EINVAL,
				               "symbol path: only http:// and https:// servers are "
				               "supported, not %.*s",
				               (int)(len > 200 ? 200 : len), loc);
		s.kind = DW_SOURCE_DIR;
	}
	s.layout     = s.kind == DW_SOURCE_HTTP ? DW_LAYOUT_SYMSTORE : DW_LAYOUT_AUTO;
	s.types      = DW_FILE_ALL;
	s.compressed = true;
	s.file_ptr   = true;
	s.flat       = flat;
	s.is_cache   = is_cache;
	s.location   = dup_range(loc, len);
	if (s.location == NULL)
		return DW_ENOMEM;
	dw_err rv = dw_sympath_add(NULL, p, &s);
	free(s.location);
	return rv;
}

static dw_err
note_cache(dw_sympath *p, const char *dir, size_t len, dw_notes *notes)
{
	if (p->cache_dir != NULL || len == 0)
		return DW_OK;
	// A path pasted from WinDbg names its cache "C:\\symbols": on this
	// system that would be a folder of that name in the current directory.
	// Only an absolute local path is taken as the cache.
	if (dir[0] != '/') {
		dw_remark(notes,
		          "symbol path: downstream store \"%.*s\" is not an absolute local path; "
		          "not used as the cache",
		          (int)(len > 200 ? 200 : len), dir);
		return DW_OK;
	}
	p->cache_dir = dup_range(dir, len);
	return p->cache_dir == NULL ? DW_ENOMEM : DW_OK;
}

// One element: "srv*...", "symsrv*dll*...", "cache*DIR" or a directory.
static dw_err
parse_element(dw_sympath *p, const char *e, size_t len, dw_notes *notes)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)e[i] < 0x20 || e[i] == 0x7f)
			return dw_fail(
			    notes, DW_EINVAL,
			    "symbol path: element %zu bytes long has a control character; "
			    "skipped",
			    len);
	const char *star = memchr(e, '*', len);
	if (star == NULL)
		return add_location(p, e, len, false, true, notes);

	size_t plen = (size_t)(star - e);
	bool   srv  = plen == 3 && has_prefix_ci(e, plen, "srv");
	bool   ssrv = plen == 6 && has_prefix_ci(e, plen, "symsrv");
	bool   cach = plen == 5 && has_prefix_ci(e, plen, "cache");
	if (!srv && !ssrv && !cach)
		return dw_fail(notes, DW_EINVAL,
		               "symbol path: unknown element prefix \"%.*s\" (expected srv*, "
		               "symsrv* or cache*); skipped",
		               (int)(plen > 40 ? 40 : plen), e);

	const char *rest = star + 1;
	size_t      rlen = len - plen - 1;
	if (cach) {
		// cache*DIR: a downstream store for the elements after it.
		if (memchr(rest, '*', rlen) != NULL)
			return dw_fail(notes, DW_EINVAL, "symbol path: cache* takes one directory");
		if (rlen == 0)
			return DW_OK; // the default cache
		dw_err rv = note_cache(p, rest, rlen, notes);
		return rv != DW_OK ? rv : add_location(p, rest, rlen, true, false, notes);
	}
	if (ssrv) {
		// symsrv*symsrv.dll*STORES...: the DLL that implements the protocol.
		const char *s2 = memchr(rest, '*', rlen);
		if (s2 == NULL)
			return dw_fail(notes, DW_EINVAL, "symbol path: symsrv* names no store");
		rlen -= (size_t)(s2 + 1 - rest);
		rest = s2 + 1;
	}
	// rest = STORE*STORE*...*UPSTREAM: every field but the last is a
	// downstream store; the last is where files come from.
	const char *last = rest;
	for (size_t i = 0; i < rlen; i++)
		if (rest[i] == '*')
			last = rest + i + 1;
	size_t llen = (size_t)(rest + rlen - last);
	for (const char *f = rest; f < last;) {
		const char *end  = memchr(f, '*', (size_t)(last - f));
		size_t      flen = (size_t)(end - f);
		if (flen > 0) {
			dw_err rv = note_cache(p, f, flen, notes);
			if (rv == DW_OK)
				rv = add_location(p, f, flen, true, false, notes);
			if (rv == DW_ENOMEM)
				return rv;
		}
		f = end + 1;
	}
	if (llen == 0) {
		if (last == rest) // "srv*": Microsoft's public server
			return add_location(p, DW_SOURCE_MICROSOFT_URL,
			                    strlen(DW_SOURCE_MICROSOFT_URL), false, false, notes);
		return dw_fail(notes, DW_EINVAL,
		               "symbol path: srv* element ends with '*' and "
		               "names no server");
	}
	return add_location(p, last, llen, false, false, notes);
}

dw_err
dw_sympath_parse(dw_sympath *p, const char *text, dw_notes *notes)
{
	size_t len = strnlen(text, DW_MAX_SYMPATH_BYTES + 1);
	if (len > DW_MAX_SYMPATH_BYTES)
		return dw_fail(notes, DW_ELIMIT, "symbol path longer than %d bytes",
		               DW_MAX_SYMPATH_BYTES);
	size_t elements = 0;
	for (size_t i = 0; i <= len;) {
		size_t j = i;
		while (j < len && text[j] != ';')
			j++;
		size_t a = i, b = j;
		while (a < b && (text[a] == ' ' || text[a] == '\t'))
			a++;
		while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t'))
			b--;
		if (b > a) {
			if (++elements > DW_MAX_SYMPATH_ELEMENTS)
				return dw_fail(notes, DW_ELIMIT,
				               "symbol path has more than %d elements",
				               DW_MAX_SYMPATH_ELEMENTS);
			dw_err rv = parse_element(p, text + a, b - a, notes);
			if (rv == DW_ENOMEM)
				return rv;
		}
		i = j + 1;
	}
	return DW_OK;
}

// ---- Names and ids ----------------------------------------------------------

static bool
reserved_device(const char *name)
{
	// Windows reserves these as device names with any extension: "nul.pdb"
	// opens the null device there, so a store never holds one.
	static const char *const dev[] = {"con", "prn", "aux", "nul"};
	size_t                   stem  = strcspn(name, ".");
	for (size_t i = 0; i < sizeof(dev) / sizeof(dev[0]); i++)
		if (stem == 3 && has_prefix_ci(name, 3, dev[i]))
			return true;
	if (stem == 4 && (has_prefix_ci(name, 3, "com") || has_prefix_ci(name, 3, "lpt")) &&
	    name[3] >= '0' && name[3] <= '9')
		return true;
	return false;
}

dw_err
dw_symname_check(char *out, const char *name, dw_notes *notes)
{
	out[0] = '\0';
	if (name == NULL)
		return dw_fail(notes, DW_EINVAL, "file name missing");
	size_t full = strnlen(name, 65536);
	// Symbol servers index the base name: "C:\build\x64\crash.pdb" -> crash.pdb.
	const char *base = name;
	for (size_t i = 0; i < full; i++)
		if (name[i] == '\\' || name[i] == '/')
			base = name + i + 1;
	size_t len = full - (size_t)(base - name);
	if (len == 0)
		return dw_fail(notes, DW_EINVAL, "file name \"%.80s\" has no base name", name);
	if (len > DW_MAX_SYMFILE_NAME)
		return dw_fail(notes, DW_EINVAL, "file name is %zu bytes, longer than %d", len,
		               DW_MAX_SYMFILE_NAME);
	if ((len == 1 && base[0] == '.') || (len == 2 && base[0] == '.' && base[1] == '.'))
		return dw_fail(notes, DW_EINVAL, "file name \"%s\" refused: it names a directory",
		               base);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)base[i];
		if (c < 0x20 || c == 0x7f)
			return dw_fail(notes, DW_EINVAL,
			               "file name refused: control character 0x%02x at byte %zu", c,
			               i);
		if (strchr(":<>\"|?*", c) != NULL)
			return dw_fail(
			    notes, DW_EINVAL,
			    "file name \"%.80s\" refused: '%c' is not allowed in a store "
			    "path (drive letters, streams, wildcards)",
			    base, c);
	}
	if (base[len - 1] == '.' || base[len - 1] == ' ')
		return dw_fail(notes, DW_EINVAL,
		               "file name \"%.80s\" refused: ends with a dot or space", base);
	if (reserved_device(base))
		return dw_fail(notes, DW_EINVAL,
		               "file name \"%.80s\" refused: a Windows reserved device name", base);
	memcpy(out, base, len);
	out[len] = '\0';
	return DW_OK;
}

dw_err
dw_symid_check(char *out, const char *id, dw_notes *notes)
{
	out[0] = '\0';
	if (id == NULL)
		return dw_fail(notes, DW_EINVAL, "id missing");
	size_t len = strnlen(id, DW_MAX_SYMID + 1);
	if (len == 0 || len > DW_MAX_SYMID)
		return dw_fail(notes, DW_EINVAL, "id must be 1 to %d hex digits (got %s)",
		               DW_MAX_SYMID, len == 0 ? "none" : "more");
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)id[i]))
			return dw_fail(notes, DW_EINVAL,
			               "id refused: byte %zu (0x%02x) is not a hex digit", i,
			               (unsigned char)id[i]);
	memcpy(out, id, len + 1);
	return DW_OK;
}

void
dw_symname_compressed(char *out, const char *name)
{
	size_t len = strnlen(name, DW_MAX_SYMFILE_NAME);
	memcpy(out, name, len);
	out[len] = '\0';
	if (len > 0)
		out[len - 1] = '_';
}

dw_err
dw_symname_breakpad(char *out, const char *name)
{
	size_t len = strnlen(name, DW_MAX_SYMFILE_NAME + 1);
	if (len >= 4) {
		const char *ext = name + len - 4;
		if (has_prefix_ci(ext, 4, ".pdb") || has_prefix_ci(ext, 4, ".exe") ||
		    has_prefix_ci(ext, 4, ".dll"))
			len -= 4;
	}
	if (len + 4 > DW_MAX_SYMFILE_NAME)
		return DW_ELIMIT;
	memcpy(out, name, len);
	memcpy(out + len, ".sym", 5);
	return DW_OK;
}

dw_err
dw_source_relpath(char *out, size_t cap, dw_source_layout layout, const char *name, const char *id,
                  const char *file)
{
	size_t o = 0;
	if (layout == DW_LAYOUT_INDEX2) {
		// index2: the first two characters of the name as an extra folder
		// (a one-character name uses itself). Case as given: the stores we
		// serve sit on case-sensitive file systems.
		size_t n = strlen(name) < 2 ? strlen(name) : 2;
		if (n + 1 >= cap)
			return DW_ELIMIT;
		memcpy(out, name, n);
		out[n] = '/';
		o      = n + 1;
	}
	size_t nl = strlen(name), il = strlen(id), fl = strlen(file);
	if (o + nl + 1 + il + 1 + fl + 1 > cap)
		return DW_ELIMIT;
	memcpy(out + o, name, nl);
	o += nl;
	out[o++] = '/';
	memcpy(out + o, id, il);
	o += il;
	out[o++] = '/';
	memcpy(out + o, file, fl + 1);
	return DW_OK;
}

dw_err
dw_source_url(char *out, size_t cap, const char *location, const char *relpath)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t            ll    = strlen(location);
	if (ll + 2 > cap)
		return DW_ELIMIT;
	memcpy(out, location, ll);
	size_t o = ll;
	out[o++] = '/';
	for (const char *c = relpath; *c; c++) {
		unsigned char b = (unsigned char)*c;
		if (isalnum(b) || b == '-' || b == '.' || b == '_' || b == '~' || b == '/') {
			if (o + 2 > cap)
				return DW_ELIMIT;
			out[o++] = (char)b;
		} else {
			if (o + 4 > cap)
				return DW_ELIMIT;
			out[o++] = '%';
			out[o++] = hex[b >> 4];
			out[o++] = hex[b & 15];
		}
	}
	out[o] = '\0';
	return DW_OK;
}

dw_err
dw_fileptr_parse(const char **target, size_t *target_len, const char *text, size_t len,
                 dw_notes *notes)
{
	*target     = NULL;
	*target_len = 0;
	if (len > DW_MAX_FILEPTR_BYTES)
		return dw_fail(notes, DW_ECORRUPT, "file.ptr is %zu bytes, more than %d", len,
		               DW_MAX_FILEPTR_BYTES);
	// Cut trailing line ends and spaces; a pointer is one line.
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ' ||
	                   text[len - 1] == '\t'))
		len--;
	if (len >= 4 && has_prefix_ci(text, len, "msg:")) {
		size_t ml = len - 4;
		for (size_t i = 0; i < ml; i++)
			if ((unsigned char)text[4 + i] < 0x20)
				ml = i;
		return dw_fail(notes, DW_ENOTFOUND, "file.ptr says: %.*s",
		               (int)(ml > 200 ? 200 : ml), text + 4);
	}
	if (len < 5 || !has_prefix_ci(text, len, "path:"))
		return dw_fail(notes, DW_ECORRUPT, "file.ptr does not start with PATH: or MSG:");
	const char *t  = text + 5;
	size_t      tl = len - 5;
	if (tl == 0)
		return dw_fail(notes, DW_ECORRUPT, "file.ptr PATH: is empty");
	for (size_t i = 0; i < tl; i++)
		if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
			return dw_fail(notes, DW_ECORRUPT,
			               "file.ptr PATH: has a control character at byte %zu", i);
	*target     = t;
	*target_len = tl;
	return DW_OK;
}
