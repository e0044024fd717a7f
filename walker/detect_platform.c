// Platform and process-environment detectors: Virtualized Process (WOW64),
// CLR Thread / JIT Code, Environment Hint and Instrumentation Information
// (the PEB), and Hooksware (hooking modules and inline hooks in exports).
#include "walker/classify_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/cur.h"
#include "common/limits.h"
#include "walker/context.h"

// ---- WOW64 ------------------------------------------------------------------

static void
wow64(dw_cx *cx)
{
	const dw_md_module *w;
	if (!dw_vml_is_wow64(cx->d, &w))
		return;
	dw_finding *f = dw_findings_add(
	    cx->fs, DW_P_WOW64, DW_CONF_CERTAIN,
	    "a 64-bit dump of a process that loads the WOW64 layer (%s): a 32-bit program; its "
	    "32-bit stacks come from the WOW64 context in each 64-bit TEB (the stack walker)",
	    w->basename);
	for (size_t i = 0; i < cx->nmodules; i++) {
		const char *b = dw_classify__base(cx, i);
		if (strncasecmp(b, "wow64", 5) == 0)
			dw_finding_module(cx->fs, f, "WOW64 module", cx->modules[i].name, cx->modules[i].base);
	}
	size_t low = 0;
	for (size_t i = 0; i < cx->nmodules; i++)
		low += cx->modules[i].base + cx->modules[i].size <= 0x100000000ull;
	dw_finding_value(cx->fs, f, "modules below 4 GiB (32-bit side)", low, NULL);
	if (cx->exe != NULL)
		dw_finding_module(cx->fs, f, "main image", cx->exe->name, cx->exe->base);
}

// ---- CLR --------------------------------------------------------------------

static void
clr(dw_cx *cx)
{
	const dw_md_module *rt = dw_classify__clr(cx);
	if (rt == NULL)
		return;
	const dw_vml *v = &cx->vml;
	if (!v->has_mi) {
		dw_finding *f = dw_findings_add(
		    cx->fs, DW_P_CLR, DW_CONF_POSSIBLE,
		    "the CLR (%s) is loaded; which threads run JIT code needs MemoryInfoList (executable "
		    "private memory) and the stacks",
		    rt->basename);
		dw_finding_module(cx->fs, f, "CLR runtime", rt->name, rt->base);
		return;
	}
	size_t              n;
	const dw_md_thread *th = dw_dump_threads(cx->d, &n);
	size_t              in_jit = 0;
	for (size_t i = 0; i < n; i++) {
		if (th[i].context == NULL)
			continue;
		uint64_t                 ip = dw_context_ip(th[i].context);
		const dw_md_memory_info *mi = dw_md_streams_memory_info_at(cx->s, ip);
		if (mi != NULL && mi->type == DW_MD_MEM_PRIVATE && mi->state == DW_MD_MEM_COMMIT &&
		    (mi->protect & DW_MD_PAGE_EXECUTE_ANY) != 0)
			in_jit++;
	}
	dw_finding *f = dw_findings_add(
	    cx->fs, DW_P_CLR, in_jit != 0 ? DW_CONF_LIKELY : DW_CONF_POSSIBLE,
	    "the CLR (%s) is loaded with %zu executable private regions (%.1f KiB, JIT code); %zu "
	    "threads are executing there now",
	    rt->basename, v->exec_private_regions,
	    (double)v->exec_private_bytes / 1024.0, in_jit);
	dw_finding_module(cx->fs, f, "CLR runtime", rt->name, rt->base);
	dw_finding_value(cx->fs, f, "executable private bytes", v->exec_private_bytes, NULL);
	for (size_t i = 0; i < n; i++) {
		if (th[i].context == NULL)
			continue;
		uint64_t                 ip = dw_context_ip(th[i].context);
		const dw_md_memory_info *mi = dw_md_streams_memory_info_at(cx->s, ip);
		if (mi != NULL && mi->type == DW_MD_MEM_PRIVATE && mi->state == DW_MD_MEM_COMMIT &&
		    (mi->protect & DW_MD_PAGE_EXECUTE_ANY) != 0) {
			dw_finding_thread(cx->fs, f, "thread in JIT code", th[i].thread_id);
			dw_finding_address(cx->fs, f, "its instruction pointer", ip, NULL);
		}
	}
}

// ---- PEB: global flags and environment -------------------------------------

// NtGlobalFlag bits (gflags.exe's abbreviations), the ones that change how a
// user-mode process behaves.
static const struct {
	uint32_t    bit;
	const char *name;
} gflags[] = {
    {0x00000001u, "FLG_STOP_ON_EXCEPTION (soe)"},
    {0x00000002u, "FLG_SHOW_LDR_SNAPS (sls)"},
    {0x00000010u, "FLG_HEAP_ENABLE_TAIL_CHECK (htc)"},
    {0x00000020u, "FLG_HEAP_ENABLE_FREE_CHECK (hfc)"},
    {0x00000040u, "FLG_HEAP_VALIDATE_PARAMETERS (hpc)"},
    {0x00000080u, "FLG_HEAP_VALIDATE_ALL (hvc)"},
    {0x00000100u, "FLG_APPLICATION_VERIFIER (vrf)"},
    {0x00000800u, "FLG_HEAP_ENABLE_TAGGING (htg)"},
    {0x00001000u, "FLG_USER_STACK_TRACE_DB (ust)"},
    {0x00008000u, "FLG_HEAP_ENABLE_TAG_BY_DLL (htd)"},
    {0x00010000u, "FLG_DISABLE_STACK_EXTENSION (dse)"},
    {0x00200000u, "FLG_HEAP_DISABLE_COALESCING (dhc)"},
    {0x00400000u, "FLG_ENABLE_CLOSE_EXCEPTIONS (ece)"},
    {0x00800000u, "FLG_ENABLE_EXCEPTION_LOGGING (eel)"},
    {0x01000000u, "FLG_ENABLE_HANDLE_TYPE_TAGGING (eot)"},
    {0x02000000u, "FLG_HEAP_PAGE_ALLOCS (hpa: full page heap)"},
    {0x40000000u, "FLG_CRITSEC_EVENT_CREATION (cse)"},
};

// The PEB address from the first thread whose TEB is in the dump
// (TEB.ProcessEnvironmentBlock: +0x60 x64, +0x30 x86).
static uint64_t
peb_address(const dw_cx *cx)
{
	size_t              n;
	const dw_md_thread *th = dw_dump_threads(cx->d, &n);
	for (size_t i = 0; i < n; i++) {
		uint64_t peb;
		if (th[i].teb != 0 && dw_classify__ptr(cx, th[i].teb + (cx->ptr == 8 ? 0x60 : 0x30), &peb) &&
		    peb != 0)
			return peb;
	}
	return 0;
}

static void
instrumentation(dw_cx *cx, uint64_t peb)
{
	uint32_t            flags  = 0;
	bool                has    = peb != 0 && dw_classify__u32(cx, peb + (cx->ptr == 8 ? 0xBC : 0x68), &flags);
	const dw_md_module *vrf    = dw_classify__module_named(cx, "verifier.dll");
	const dw_md_module *vrfcore = dw_classify__module_named(cx, "vrfcore.dll");
	if (!has && vrf == NULL && vrfcore == NULL) {
		dw_findings_need(cx->fs, DW_P_INSTRUMENTATION, "PEB memory",
		                 "global flags live in the PEB, which is not in the dump; no "
		                 "Application Verifier module is loaded");
		return;
	}
	if ((!has || flags == 0) && vrf == NULL && vrfcore == NULL) {
		dw_finding *s = dw_findings_summary(cx->fs, DW_P_INSTRUMENTATION,
		                                    "NtGlobalFlag is 0 and no Application Verifier "
		                                    "module is loaded");
		dw_finding_address(cx->fs, s, "PEB", peb, NULL);
		return;
	}
	dw_finding *f = dw_findings_add(
	    cx->fs, DW_P_INSTRUMENTATION, DW_CONF_CERTAIN,
	    "the process runs instrumented: NtGlobalFlag 0x%08x%s%s", flags,
	    (flags & 0x70u) == 0x70u ? " (htc|hfc|hpc: the heap checks a debugger-started process gets)" : "",
	    vrf != NULL || vrfcore != NULL ? ", Application Verifier loaded" : "");
	if (has) {
		dw_finding_address(cx->fs, f, "PEB", peb, NULL);
		dw_finding_value(cx->fs, f, "NtGlobalFlag", flags, NULL);
		for (size_t i = 0; i < sizeof(gflags) / sizeof(gflags[0]); i++)
			if ((flags & gflags[i].bit) != 0)
				dw_finding_text(cx->fs, f, "global flag", "%s", gflags[i].name);
	}
	if (vrf != NULL)
		dw_finding_module(cx->fs, f, "Application Verifier", vrf->name, vrf->base);
	if (vrfcore != NULL)
		dw_finding_module(cx->fs, f, "Application Verifier", vrfcore->name, vrfcore->base);
}

// Variables whose presence changes how a program or its runtime behaves.
// Spelled in upper case with their lengths, so a variable is compared only
// with the prefixes that start with its (upper-cased) first letter.
#define HINT(s) {s, sizeof(s) - 1}
static const struct {
	const char *s;
	size_t      n;
} hint_prefixes[] = {
    HINT("__COMPAT_LAYER="), HINT("_NO_DEBUG_HEAP="),         HINT("COMPLUS_"),
    HINT("DOTNET_"),         HINT("CORECLR_"),                HINT("COR_ENABLE_PROFILING="),
    HINT("COR_PROFILER"),    HINT("JAVA_TOOL_OPTIONS="),      HINT("_JAVA_OPTIONS="),
    HINT("_NT_SYMBOL_PATH="), HINT("RUST_BACKTRACE="),        HINT("ASAN_OPTIONS="),
    HINT("WINEDEBUG="),      HINT("WINEDLLOVERRIDES="),       HINT("PROCESSOR_ARCHITEW6432="),
    HINT("OANOCACHE="),
};
#undef HINT

static char
ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

// Characters of a variable kept while scanning: enough for every hint
// prefix (the longest, PROCESSOR_ARCHITEW6432=, is 23).
#define ENV_HEAD 32

// The environment scan's state across captured ranges (a variable may
// straddle two).
typedef struct env_scan {
	dw_cx      *cx;
	uint64_t    env;   // the block's address
	dw_finding *f;
	uint64_t    start; // offset in the block of the current variable
	size_t      vlen;  // characters seen of it (0: between variables)
	char        var[512]; // its first ENV_HEAD characters; all (<= 511) once it matched
	size_t      count;
	bool        ended; // the terminating empty string was seen
	// Bit i of by_first[c]: hint_prefixes[i] starts with character c (all
	// are ASCII). Most variables (PATH, TEMP, USERNAME...) start with no
	// hint's letter and are dismissed on one test; the rest are compared
	// only with the prefixes of their letter, not the whole list.
	uint32_t    by_first[128];
} env_scan;

static void
env_first_init(env_scan *st)
{
	_Static_assert(sizeof(hint_prefixes) / sizeof(hint_prefixes[0]) <= 32,
	               "by_first holds one bit per hint prefix");
	memset(st->by_first, 0, sizeof(st->by_first));
	for (size_t i = 0; i < sizeof(hint_prefixes) / sizeof(hint_prefixes[0]); i++)
		st->by_first[(unsigned char)hint_prefixes[i].s[0] & 127] |= (uint32_t)1 << i;
}

// The hint prefixes that start with c (already upper-cased), as bits.
static uint32_t
env_first(const env_scan *st, char c)
{
	unsigned char u = (unsigned char)c;
	return u < 128 ? st->by_first[u] : 0;
}

// The offset (even) of the first NUL character in b[i..n), or n. Four
// UTF-16 units at a time: the lowest flagged lane of the classic zero-lane
// test is always a true zero.
static size_t
env_skip(const uint8_t *b, size_t i, size_t n)
{
	while (i + 8 <= n) {
		uint64_t x = dw_get_u64le(b + i);
		uint64_t z = (x - 0x0001000100010001ull) & ~x & 0x8000800080008000ull;
		if (z != 0)
			return i + (size_t)(__builtin_ctzll(z) / 16) * 2;
		i += 8;
	}
	while (i < n && (b[i] | b[i + 1]) != 0)
		i += 2;
	return i;
}

static void
env_end_var(env_scan *st)
{
	dw_cx *cx = st->cx;
	size_t len = st->vlen;
	st->vlen   = 0;
	st->count++;
	if (st->f == NULL)
		st->f = dw_findings_add(cx->fs, DW_P_ENVIRONMENT, DW_CONF_CERTAIN,
		                        "the process environment is in the dump");
	st->var[len < ENV_HEAD ? len : ENV_HEAD] = 0;
	char c0 = ascii_upper(st->var[0]);
	for (uint32_t m = env_first(st, c0); m != 0; m &= m - 1) {
		size_t i = (size_t)__builtin_ctz(m);
		if (strncasecmp(st->var, hint_prefixes[i].s, hint_prefixes[i].n) != 0)
			continue;
		// A hint: the whole variable (up to 511 characters) for the evidence.
		// Every character was in the dump a moment ago.
		if (len > ENV_HEAD) {
			uint8_t u[1022];
			size_t  keep = len < 511 ? len : 511;
			if (dw_dump_read(cx->d, st->env + st->start, u, keep * 2, NULL) == DW_OK) {
				for (size_t k = 0; k < keep; k++) {
					unsigned ch = (unsigned)u[2 * k] | ((unsigned)u[2 * k + 1] << 8);
					st->var[k]  = ch < 0x80 ? (char)ch : '?';
				}
				st->var[keep] = 0;
			}
		}
		dw_finding_text(cx->fs, st->f, "behaviour-changing variable", "%s", st->var);
		break;
	}
}

// The ASCII form of UTF-16LE unit k of b (anything else is '?').
static char
env_char(const uint8_t *b, size_t k)
{
	unsigned ch = (unsigned)b[2 * k] | ((unsigned)b[2 * k + 1] << 8);
	return ch < 0x80 ? (char)ch : '?';
}

// A variable of len characters (no NUL among them) at b: env_end_var's
// test made on the block's bytes, with no copy unless it is a hint.
static void
env_whole_var(env_scan *st, const uint8_t *b, size_t len)
{
	dw_cx *cx = st->cx;
	st->count++;
	if (st->f == NULL)
		st->f = dw_findings_add(cx->fs, DW_P_ENVIRONMENT, DW_CONF_CERTAIN,
		                        "the process environment is in the dump");
	char c0 = ascii_upper(env_char(b, 0));
	for (uint32_t m = env_first(st, c0); m != 0; m &= m - 1) {
		size_t      i = (size_t)__builtin_ctz(m);
		const char *h = hint_prefixes[i].s;
		size_t      n = hint_prefixes[i].n;
		if (len < n)
			continue;
		// The prefixes are upper case, digits and punctuation: comparing
		// upper-cased characters is strncasecmp's answer.
		size_t k = 1;
		while (k < n && ascii_upper(env_char(b, k)) == h[k])
			k++;
		if (k < n)
			continue;
		size_t keep = len < 511 ? len : 511;
		for (k = 0; k < keep; k++)
			st->var[k] = env_char(b, k);
		st->var[keep] = 0;
		dw_finding_text(cx->fs, st->f, "behaviour-changing variable", "%s", st->var);
		break;
	}
}

// UTF-16LE characters b[0..n) (n even) of the block, b at offset `off`.
// Folklore: a full dump's environment holds dozens of variables (PATH alone
// runs to kilobytes) and a hint is decided by its first characters; the
// rest of each is skipped to its NUL, uncopied, and read again only for a
// hint.
static void
env_chars(env_scan *st, const uint8_t *b, size_t n, uint64_t off)
{
	size_t i = 0;
	while (i < n) {
		if (st->vlen == 0) {
			if ((b[i] | b[i + 1]) == 0) {
				st->ended = true;
				return;
			}
			st->start = off + i;
			// A variable wholly in this range is matched where it lies.
			size_t j = env_skip(b, i, n);
			if (j < n) {
				env_whole_var(st, b + i, (j - i) / 2);
				i = j + 2;
				continue;
			}
		}
		for (; i < n && st->vlen < ENV_HEAD; i += 2) {
			unsigned ch = (unsigned)b[i] | ((unsigned)b[i + 1] << 8);
			if (ch == 0)
				break;
			st->var[st->vlen++] = ch < 0x80 ? (char)ch : '?';
		}
		if (i < n && st->vlen >= ENV_HEAD) {
			size_t j = env_skip(b, i, n);
			st->vlen += (j - i) / 2;
			i = j;
		}
		if (i == n)
			return; // the variable goes on in the next range
		i += 2;     // its NUL
		env_end_var(st);
	}
}

static void
environment(dw_cx *cx, uint64_t peb)
{
	uint64_t params = 0, env = 0, size = 0;
	if (peb == 0 || !dw_classify__ptr(cx, peb + (cx->ptr == 8 ? 0x20 : 0x10), &params) ||
	    params == 0 || !dw_classify__ptr(cx, params + (cx->ptr == 8 ? 0x80 : 0x48), &env) ||
	    env == 0) {
		dw_findings_need(cx->fs, DW_P_ENVIRONMENT, "PEB memory",
		                 "the environment block is reached through the PEB and its process "
		                 "parameters, which are not in the dump");
		return;
	}
	// EnvironmentSize (+0x3F0 x64, +0x290 x86; Vista and later) bounds the
	// read when present; otherwise read up to the cap and stop at "\0\0".
	if (!dw_classify__ptr(cx, params + (cx->ptr == 8 ? 0x3F0 : 0x290), &size) || size == 0 ||
	    size > DW_MAX_ENVIRONMENT_BYTES)
		size = DW_MAX_ENVIRONMENT_BYTES;
	env_scan st;
	memset(&st, 0, sizeof(st));
	st.cx     = cx;
	st.env    = env;
	env_first_init(&st);
	uint64_t off = 0;
	// The block is scanned in place, one captured range at a time, instead
	// of one 2-byte dw_dump_read (a range lookup) per character: a full
	// dump's environment is a few KiB, and it was the detectors' largest
	// cost. A character split across two ranges goes through dw_dump_read.
	while (off + 1 < size && !st.ended) {
		size_t         avail = 0;
		const uint8_t *p     = dw_dump_memory_at(cx->d, env + off, &avail);
		if (p == NULL || avail < 2) {
			uint8_t u[2];
			if (dw_dump_read(cx->d, env + off, u, 2, NULL) != DW_OK)
				break;
			env_chars(&st, u, 2, off);
			off += 2;
			continue;
		}
		uint64_t n = avail < size - off ? avail : size - off;
		n &= ~(uint64_t)1;
		env_chars(&st, p, (size_t)n, off);
		off += n;
	}
	dw_finding *f     = st.f;
	size_t      count = st.count;
	bool        ended = st.ended;
	if (f == NULL) {
		dw_findings_need(cx->fs, DW_P_ENVIRONMENT, "environment memory",
		                 "the environment block at 0x%" PRIx64 " is not in the dump", env);
		return;
	}
	f->explanation = dw_findings_printf(cx->fs,
	                                    "%zu environment variables read from the PEB's process "
	                                    "parameters%s",
	                                    count, ended ? "" : " (block cut short in the dump)");
	dw_finding_address(cx->fs, f, "environment block", env, NULL);
	dw_finding_value(cx->fs, f, "variables", count, NULL);
}

// ---- Hooksware --------------------------------------------------------------

static const char *const default_hook_modules[] = {
    "detoured.dll",    "easyhook.dll",    "easyhook32.dll", "easyhook64.dll",
    "madchook.dll",    "madchook32.dll",  "madchook64.dll", "minhook.x86.dll",
    "minhook.x64.dll", "minhook.dll",     "mhook.dll",      "apihook.dll",
    "nthookengine.dll", "hookshark.dll",
};

// Where the first instructions at `addr` jump, for the common inline-hook
// shapes: jmp rel32 (E9), a hot-patch short jump back onto one (EB F9 / E9),
// jmp [mem] (FF 25), mov rax, imm64; jmp rax (48 B8 .. FF E0) and push imm32;
// ret (68 .. C3). An FF 25 whose slot lies inside the module, away from the
// instruction, is an import thunk, not a hook. Byte patterns only: a full
// disassembly arrives with walker/disasm.h.
static bool
jump_target(const dw_cx *cx, const dw_md_module *m, uint64_t addr, uint64_t *target)
{
	uint8_t b[16];
	if (dw_dump_read(cx->d, addr, b, sizeof(b), NULL) != DW_OK)
		return false;
	if (b[0] == 0xEB && b[1] == 0xF9) { // hot-patch: jump back 5 bytes onto a long jump
		uint8_t p[5];
		if (addr < 5 || dw_dump_read(cx->d, addr - 5, p, 5, NULL) != DW_OK || p[0] != 0xE9)
			return false;
		int32_t rel = (int32_t)((uint32_t)p[1] | ((uint32_t)p[2] << 8) | ((uint32_t)p[3] << 16) |
		                        ((uint32_t)p[4] << 24));
		*target     = addr + (uint64_t)(int64_t)rel;
		return true;
	}
	if (b[0] == 0xE9) {
		int32_t rel = (int32_t)((uint32_t)b[1] | ((uint32_t)b[2] << 8) | ((uint32_t)b[3] << 16) |
		                        ((uint32_t)b[4] << 24));
		*target     = addr + 5 + (uint64_t)(int64_t)rel;
		if (cx->ptr == 4)
			*target &= 0xFFFFFFFFu;
		return true;
	}
	if (b[0] == 0xFF && b[1] == 0x25) {
		uint32_t disp = (uint32_t)b[2] | ((uint32_t)b[3] << 8) | ((uint32_t)b[4] << 16) |
		                ((uint32_t)b[5] << 24);
		uint64_t slot = cx->ptr == 8 ? addr + 6 + (uint64_t)(int64_t)(int32_t)disp : disp;
		bool inside = slot - m->base < m->size;
		if (inside && !(cx->ptr == 8 && disp == 0))
			return false;
		return dw_classify__ptr(cx, slot, target);
	}
	if (cx->ptr == 8 && b[0] == 0x48 && b[1] == 0xB8 && b[10] == 0xFF && b[11] == 0xE0) {
		uint64_t v = 0;
		for (int i = 7; i >= 0; i--)
			v = (v << 8) | b[2 + i];
		*target = v;
		return true;
	}
	if (b[0] == 0x68 && b[5] == 0xC3) {
		*target = (uint64_t)b[1] | ((uint64_t)b[2] << 8) | ((uint64_t)b[3] << 16) |
		          ((uint64_t)b[4] << 24);
		return true;
	}
	return false;
}

// Checks the exports of one module whose image headers are in the dump.
// Returns false when the headers are not there.
static bool
inline_hooks(dw_cx *cx, const dw_md_module *m, dw_finding **f, size_t *hooks)
{
	uint32_t mz, lfanew, pe, dir_rva, dir_size;
	uint8_t  magic[2];
	if (!dw_classify__u32(cx, m->base, &mz) || (mz & 0xFFFF) != 0x5A4D ||
	    !dw_classify__u32(cx, m->base + 0x3C, &lfanew) || lfanew > 0x10000 ||
	    !dw_classify__u32(cx, m->base + lfanew, &pe) || pe != 0x00004550 ||
	    dw_dump_read(cx->d, m->base + lfanew + 0x18, magic, 2, NULL) != DW_OK)
		return false;
	uint64_t opt = m->base + lfanew + 0x18;
	uint16_t om  = (uint16_t)(magic[0] | (magic[1] << 8));
	uint64_t dd  = om == 0x20b ? opt + 112 : om == 0x10b ? opt + 96 : 0;
	if (dd == 0 || !dw_classify__u32(cx, dd, &dir_rva) || !dw_classify__u32(cx, dd + 4, &dir_size))
		return false;
	if (dir_rva == 0 || dir_size == 0)
		return true;
	uint32_t nfunc, nnames, afunc, anames, aords;
	uint64_t ed = m->base + dir_rva;
	if (!dw_classify__u32(cx, ed + 0x14, &nfunc) || !dw_classify__u32(cx, ed + 0x18, &nnames) ||
	    !dw_classify__u32(cx, ed + 0x1C, &afunc) || !dw_classify__u32(cx, ed + 0x20, &anames) ||
	    !dw_classify__u32(cx, ed + 0x24, &aords))
		return true;
	for (uint32_t i = 0; i < nnames && i < DW_MAX_HOOK_EXPORTS; i++) {
		uint8_t  o[2];
		uint32_t name_rva, frva;
		if (dw_dump_read(cx->d, m->base + aords + 2ull * i, o, 2, NULL) != DW_OK ||
		    !dw_classify__u32(cx, m->base + anames + 4ull * i, &name_rva))
			continue;
		uint32_t ord = (uint32_t)(o[0] | (o[1] << 8));
		if (ord >= nfunc || !dw_classify__u32(cx, m->base + afunc + 4ull * ord, &frva) || frva == 0)
			continue;
		if (frva >= dir_rva && frva - dir_rva < dir_size)
			continue; // a forwarder string, not code
		uint64_t fn = m->base + frva, target;
		if (!jump_target(cx, m, fn, &target) || target - m->base < m->size)
			continue;
		(*hooks)++;
		if (*f == NULL)
			*f = dw_findings_add(cx->fs, DW_P_HOOKSWARE, DW_CONF_LIKELY,
			                     "exported functions begin with a jump into another module: "
			                     "inline hooks");
		char name[128] = "?", where[160];
		size_t k = 0;
		for (; k + 1 < sizeof(name); k++) {
			uint8_t c;
			if (dw_dump_read(cx->d, m->base + name_rva + k, &c, 1, NULL) != DW_OK || c == 0)
				break;
			name[k] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
		}
		name[k > 0 ? k : 1] = 0;
		dw_classify__where(cx, target, where, sizeof(where));
		dw_finding_text(cx->fs, *f, "hooked export", "%s!%s at 0x%" PRIx64 " jumps to %s",
		                m->basename, name, fn, where);
	}
	return true;
}

static void
hooksware(dw_cx *cx)
{
	const char *const *list = cx->cfg->hook_modules;
	size_t             nl   = cx->cfg->nhook_modules;
	if (list == NULL) {
		list = default_hook_modules;
		nl   = sizeof(default_hook_modules) / sizeof(default_hook_modules[0]);
	}
	for (size_t i = 0; i < cx->nmodules; i++) {
		const char *b  = dw_classify__base(cx, i);
		char        b0 = ascii_upper(b[0]);
		for (size_t k = 0; k < nl; k++)
			if (ascii_upper(list[k][0]) == b0 && strcasecmp(b, list[k]) == 0) {
				dw_finding *f = dw_findings_add(cx->fs, DW_P_HOOKSWARE, DW_CONF_LIKELY,
				                                "%s, a known hooking library, is loaded", b);
				dw_finding_module(cx->fs, f, "hooking module", cx->modules[i].name,
				                  cx->modules[i].base);
				dw_finding_value(cx->fs, f, "module size", cx->modules[i].size, NULL);
				if (cx->modules[i].has_version)
					dw_finding_text(cx->fs, f, "file version", "%u.%u.%u.%u",
					                cx->modules[i].version.file_version_ms >> 16,
					                cx->modules[i].version.file_version_ms & 0xFFFF,
					                cx->modules[i].version.file_version_ls >> 16,
					                cx->modules[i].version.file_version_ls & 0xFFFF);
				break;
			}
	}
	dw_finding *f       = NULL;
	size_t      hooks   = 0, checked = 0;
	for (size_t i = 0; i < cx->nmodules; i++)
		checked += inline_hooks(cx, &cx->modules[i], &f, &hooks);
	if (f != NULL)
		f->explanation = dw_findings_printf(cx->fs,
		                                    "%zu exported functions begin with a jump into another "
		                                    "module: inline hooks (byte patterns; disassembly "
		                                    "comes with walker/disasm)",
		                                    hooks);
	if (checked == 0 && cx->nmodules != 0)
		dw_findings_need(cx->fs, DW_P_HOOKSWARE, "module images in memory",
		                 "inline hooks show in the first bytes of exported functions; no "
		                 "module's headers are in the dump (a full-memory dump has them)");
}

void
dw_classify__platform(dw_cx *cx)
{
	wow64(cx);
	clr(cx);
	uint64_t peb = peb_address(cx);
	instrumentation(cx, peb);
	environment(cx, peb);
	hooksware(cx);
}
