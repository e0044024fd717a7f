// Runs the detectors that need no stack walk (walker/classify.h).
#include "walker/classify_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cur.h"

void
dw_classify_config_default(dw_classify_config *out)
{
	memset(out, 0, sizeof(*out));
	out->handle_total       = 10000;
	out->handle_per_type    = 2000;
	out->commit_private_32  = (uint64_t)1 << 30;
	out->commit_private_64  = (uint64_t)16 << 30;
	out->fragment_gap       = (uint64_t)5 << 28; // 1.25 GiB
	out->fragment_min_range = (uint64_t)64 << 20;
	out->spike_min_100ns    = 10000000; // 1 s
	out->spike_share_pct    = 50;
	out->young_thread_s     = 10;
	out->stack_guard_bytes  = 0x3000;
}

// n (4 or 8) bytes of process memory at addr into b. The bytes are read in
// place when one captured range holds them all (the usual case: a TEB or PEB
// field), without dw_dump_read's copy loop, and a miss costs one lookup
// (most module headers are absent from a minidump); dw_dump_read spans
// ranges otherwise. Either way the answer is whether all n bytes are in the dump.
static bool
read_bytes(const dw_cx *cx, uint64_t addr, uint8_t *b, size_t n)
{
	size_t         avail = 0;
	const uint8_t *p     = dw_dump_memory_at(cx->d, addr, &avail);
	if (p == NULL)
		return false; // dw_dump_read would stop at this same first byte
	if (avail >= n) {
		memcpy(b, p, n);
		return true;
	}
	return dw_dump_read(cx->d, addr, b, n, NULL) == DW_OK;
}

bool
dw_classify__u32(const dw_cx *cx, uint64_t addr, uint32_t *out)
{
	uint8_t b[4];
	*out = 0;
	if (!read_bytes(cx, addr, b, sizeof(b)))
		return false;
	*out = dw_get_u32le(b);
	return true;
}

// One 8-byte read: the two halves are in the dump exactly when all eight
// bytes are (dw_dump_read spans adjacent ranges).
bool
dw_classify__u64(const dw_cx *cx, uint64_t addr, uint64_t *out)
{
	uint8_t b[8];
	*out = 0;
	if (addr > UINT64_MAX - 8 || !read_bytes(cx, addr, b, sizeof(b)))
		return false;
	*out = dw_get_u64le(b);
	return true;
}

bool
dw_classify__ptr(const dw_cx *cx, uint64_t addr, uint64_t *out)
{
	if (cx->ptr == 8)
		return dw_classify__u64(cx, addr, out);
	uint32_t v;
	bool     ok = dw_classify__u32(cx, addr, &v);
	*out        = v;
	return ok;
}

void
dw_classify__where(const dw_cx *cx, uint64_t addr, char *buf, size_t size)
{
	const dw_md_module *m = dw_dump_module_at(cx->d, addr);
	dw_sb               b;
	dw_sb_init(&b, buf, size);
	if (m != NULL) {
		dw_sb_str(&b, m->basename);
		dw_sb_mem(&b, "+0x", 3);
		dw_sb_hex(&b, addr - m->base);
	} else {
		dw_sb_0xhex(&b, addr);
		dw_sb_str(&b, " (in no module)");
	}
}

void
dw_classify__frame_where(const dw_frame *f, char *buf, size_t size)
{
	dw_sb b;
	dw_sb_init(&b, buf, size);
	if (f->module != NULL) {
		dw_sb_str(&b, f->module->basename);
		if (f->function != NULL) {
			dw_sb_char(&b, '!');
			dw_sb_str(&b, f->function);
			dw_sb_mem(&b, "+0x", 3);
			dw_sb_hex(&b, f->function_offset);
		} else {
			dw_sb_mem(&b, "+0x", 3);
			dw_sb_hex(&b, f->module_offset);
		}
	} else
		dw_sb_0xhex(&b, f->ip);
}

const char *
dw_classify__base(const dw_cx *cx, size_t i)
{
	return cx->modules[i].basename;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

// Names are compared only when their first letters agree: the detectors
// look up a dozen names in every module list (the CLR runtimes, Application
// Verifier, WOW64), and full dumps load a hundred modules or more.
const dw_md_module *
dw_classify__module_named(const dw_cx *cx, const char *name)
{
	int n0 = lower((unsigned char)name[0]);
	for (size_t i = 0; i < cx->nmodules; i++) {
		const char *b = dw_classify__base(cx, i);
		if (lower((unsigned char)b[0]) == n0 && strcasecmp(b, name) == 0)
			return &cx->modules[i];
	}
	return NULL;
}

const dw_md_module *
dw_classify__clr(dw_cx *cx)
{
	if (!cx->has_clr) {
		static const char *const names[] = {"clr.dll", "coreclr.dll", "mscorwks.dll"};
		cx->clr = NULL;
		for (size_t i = 0; i < 3 && cx->clr == NULL; i++)
			cx->clr = dw_classify__module_named(cx, names[i]);
		cx->has_clr = true;
	}
	return cx->clr;
}

dw_err
dw_classify_into(dw_findings *fs, const dw_dump *d, const dw_classify_config *cfg)
{
	dw_classify_config def;
	if (cfg == NULL) {
		dw_classify_config_default(&def);
		cfg = &def;
	}
	dw_cx cx;
	memset(&cx, 0, sizeof(cx));
	cx.d       = d;
	cx.s       = dw_dump_other_streams(d);
	cx.cfg     = cfg;
	cx.fs      = fs;
	cx.cpu     = dw_dump_cpu(d);
	cx.ptr     = cx.cpu == DW_CPU_AMD64 || cx.cpu == DW_CPU_ARM64 ? 8 : 4;
	cx.modules = dw_dump_modules(d, &cx.nmodules);
	cx.exe     = cx.nmodules != 0 ? &cx.modules[0] : NULL;
	dw_err rv = dw_vml_build(&cx.vml, d, cfg->fragment_min_range);
	if (rv != DW_OK)
		return rv;
	cx.has_vml = true;

	dw_classify__exception(&cx);
	dw_classify__memory(&cx);
	dw_classify__handles(&cx);
	dw_classify__threads(&cx);
	dw_classify__platform(&cx);

	dw_vml_fini(&cx.vml);
	rv = dw_findings_error(fs);
	return rv == DW_ENOMEM ? rv : DW_OK;
}

dw_err
dw_classify(dw_findings **out, const dw_dump *d, const dw_classify_config *cfg)
{
	*out = NULL;
	dw_findings *fs;
	dw_err       rv = dw_findings_new(&fs);
	if (rv != DW_OK)
		return rv;
	rv = dw_classify_into(fs, d, cfg);
	if (rv != DW_OK) {
		dw_findings_free(fs);
		return rv;
	}
	*out = fs;
	return DW_OK;
}
