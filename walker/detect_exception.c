// Exception detectors: what the exception stream and the memory around the
// exception say without a stack walk. Layout references are given where a
// structure is read (MSVC's ehdata.h for C++ throw information, winnt.h's
// NT_TIB for stack bounds).
#include "walker/classify_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/limits.h"
#include "walker/context.h"

#define ST_ACCESS_VIOLATION 0xC0000005u
#define ST_IN_PAGE_ERROR 0xC0000006u
#define ST_INT_DIVIDE 0xC0000094u
#define ST_FLT_DIVIDE 0xC000008Eu
#define ST_STACK_OVERFLOW 0xC00000FDu
#define ST_BUFFER_OVERRUN 0xC0000409u
#define ST_HEAP_CORRUPTION 0xC0000374u
#define ST_BREAKPOINT 0x80000003u
#define ST_WX86_BREAKPOINT 0x4000001Fu
#define EX_MSVC_CPP 0xE06D7363u
#define EX_CLR_4 0xE0434352u
#define EX_CLR_2 0xE0434F4Du

#define NULL_PAGE_END 0x10000u // the first 64 KiB are never mapped

static const char *
code_name(uint32_t code)
{
	const char *n = dw_ntstatus_name(code);
	return n != NULL ? n : "unknown code";
}

// ExceptionInformation[0] of an access violation.
static const char *
access_name(uint64_t kind)
{
	switch (kind) {
	case 0: return "read";
	case 1: return "write";
	case 8: return "execute (DEP)";
	}
	return "unknown access";
}

// Freed-memory and uninitialised fills of the Windows heap and the MSVC
// debug CRT: a pointer loaded from such memory lands near the fill value.
static const struct {
	uint32_t    value;
	const char *meaning;
} fills[] = {
    {0xFEEEFEEEu, "HeapFree fill (freed heap memory)"},
    {0xDDDDDDDDu, "debug CRT dead-land fill (freed memory)"},
    {0xBAADF00Du, "LocalAlloc/HeapAlloc uninitialised fill"},
    {0xCDCDCDCDu, "debug CRT clean-land fill (uninitialised heap)"},
    {0xABABABABu, "HeapAlloc guard bytes after a block"},
    {0xFDFDFDFDu, "debug CRT no-man's-land guard"},
    {0xCCCCCCCCu, "/RTC uninitialised stack fill"},
    {0xDEADBEEFu, "DEADBEEF marker"},
    {0xFEEDFACEu, "FEEDFACE marker"},
};

// Says whether `a` is within 4 KiB of a fill value (a field of an object in
// filled memory); x64 addresses repeat the fill in both halves, or carry it
// zero-extended.
static const char *
fill_pattern(uint64_t a, unsigned ptr)
{
	uint32_t lo = (uint32_t)a, hi = (uint32_t)(a >> 32);
	for (size_t i = 0; i < sizeof(fills) / sizeof(fills[0]); i++) {
		uint32_t f    = fills[i].value;
		bool     near = lo - f < 0x1000u || f - lo < 0x1000u;
		if (!near)
			continue;
		if (ptr == 4 || hi == 0 || hi == f)
			return fills[i].meaning;
	}
	return NULL;
}

// Says whether the significant bytes of `a` are printable ASCII (at least 4
// of them): text used as a pointer, like 0x41414141 ("AAAA").
static bool
ascii_like(uint64_t a, unsigned ptr, char out[9])
{
	unsigned n = ptr == 8 && (a >> 32) != 0 ? 8 : 4;
	if (ptr == 8 && n == 4 && (a >> 32) != 0)
		return false;
	for (unsigned i = 0; i < n; i++) {
		uint8_t c = (uint8_t)(a >> (8 * i));
		if (c < 0x20 || c > 0x7e)
			return false;
		out[i] = (char)c;
	}
	out[n] = 0;
	return true;
}

static bool
noncanonical(uint64_t a, const dw_cx *cx)
{
	if (cx->ptr != 8)
		return false;
	uint64_t top = a >> 47;
	return top != 0 && top != 0x1FFFFu;
}

static void
add_exception_evidence(dw_cx *cx, dw_finding *f, const dw_md_exception *ex)
{
	dw_finding_thread(cx->fs, f, "exception thread", ex->thread_id);
	dw_finding_value(cx->fs, f, "exception code", ex->code, code_name(ex->code));
	char where[160];
	dw_classify__where(cx, ex->address, where, sizeof(where));
	dw_finding_address(cx->fs, f, "exception address", ex->address, where);
}

// ---- Stored Exception / Manual Dump ----------------------------------------

static void
writer_evidence(dw_cx *cx, dw_finding *f, const dw_md_exception *ex)
{
	size_t                   n;
	const dw_md_thread_info *ti = dw_md_streams_thread_infos(cx->s, &n);
	for (size_t i = 0; ti != NULL && i < n; i++)
		if ((ti[i].dump_flags & DW_MD_THREAD_INFO_WRITING_THREAD) != 0) {
			dw_finding_thread(cx->fs, f, "dump-writing thread (ThreadInfoList)",
			                  ti[i].thread_id);
			if (ex != NULL && ti[i].thread_id != ex->thread_id)
				dw_finding_text(cx->fs, f, "writer",
				                "written by thread %u, not by the faulting thread %u",
				                ti[i].thread_id, ex->thread_id);
		}
	const dw_md_breakpad_info *bp = dw_md_streams_breakpad_info(cx->s);
	if (bp != NULL && (bp->validity & DW_MD_BREAKPAD_INFO_VALID_DUMP_THREAD_ID) != 0)
		dw_finding_thread(cx->fs, f, "dump-writing thread (Breakpad)", bp->dump_thread_id);
	if (bp != NULL && (bp->validity & DW_MD_BREAKPAD_INFO_VALID_REQUESTING_THREAD_ID) != 0)
		dw_finding_thread(cx->fs, f, "requesting thread (Breakpad)", bp->requesting_thread_id);
}

static const char *
assertion_kind(uint32_t type)
{
	switch (type) {
	case DW_MD_ASSERTION_INVALID_PARAMETER: return "invalid parameter";
	case DW_MD_ASSERTION_PURE_VIRTUAL_CALL: return "pure virtual call";
	}
	return "assertion";
}

static void
assertion_evidence(dw_cx *cx, dw_finding *f, const dw_md_assertion *as)
{
	dw_finding_text(cx->fs, f, "assertion type", "%s (%u)", assertion_kind(as->type), as->type);
	dw_finding_text(cx->fs, f, "expression", "%s", as->expression);
	dw_finding_text(cx->fs, f, "function", "%s", as->function);
	dw_finding_text(cx->fs, f, "file", "%s", as->file);
	dw_finding_value(cx->fs, f, "line", as->line, NULL);
}

static void
stored_and_manual(dw_cx *cx, const dw_md_exception *ex)
{
	const dw_md_assertion *as = dw_md_streams_assertion(cx->s);
	if (ex == NULL) {
		dw_finding *f = dw_findings_add(
		    cx->fs, DW_P_MANUAL, DW_CONF_LIKELY,
		    "no exception stream: the dump was taken on request (debugger, tool or the "
		    "program itself), not written for a crash");
		writer_evidence(cx, f, NULL);
		if (as != NULL) {
			dw_finding *s = dw_findings_summary(
			    cx->fs, DW_P_STORED, "Breakpad assertion stream: %s in %s (%s:%u)",
			    assertion_kind(as->type), as->function[0] ? as->function : "unknown function",
			    as->file[0] ? as->file : "unknown file", as->line);
			assertion_evidence(cx, s, as);
		}
		return;
	}
	dw_finding *f;
	if (as != NULL)
		f = dw_findings_add(cx->fs, DW_P_STORED, DW_CONF_CERTAIN,
		                    "the dump carries exception %08X (%s) from Breakpad's %s handler: "
		                    "%s in %s (%s:%u)",
		                    ex->code, code_name(ex->code), assertion_kind(as->type),
		                    as->expression[0] ? as->expression : "(no expression)",
		                    as->function[0] ? as->function : "unknown function",
		                    as->file[0] ? as->file : "unknown file", as->line);
	else
		f = dw_findings_add(cx->fs, DW_P_STORED, DW_CONF_CERTAIN,
		                    "the dump carries exception %08X (%s) of thread %u; whether that "
		                    "thread wrote the dump itself shows in the stacks",
		                    ex->code, code_name(ex->code), ex->thread_id);
	add_exception_evidence(cx, f, ex);
	if (ex->record != 0)
		dw_finding_address(cx->fs, f, "nested exception record", ex->record, NULL);
	writer_evidence(cx, f, ex);
	if (as != NULL)
		assertion_evidence(cx, f, as);

	if (ex->code == ST_BREAKPOINT || ex->code == ST_WX86_BREAKPOINT) {
		dw_finding *m = dw_findings_add(
		    cx->fs, DW_P_MANUAL, DW_CONF_LIKELY,
		    "breakpoint exception %08X: a debugger broke in (or the program called "
		    "DebugBreak) and the dump was saved there; the injected thread "
		    "(DbgUiRemoteBreakin) shows in the stacks",
		    ex->code);
		add_exception_evidence(cx, m, ex);
		writer_evidence(cx, m, ex);
	}
}

// ---- Exception Module -------------------------------------------------------

static void
exception_module(dw_cx *cx, const dw_md_exception *ex)
{
	const dw_md_module *m = dw_dump_module_at(cx->d, ex->address);
	if (m == NULL)
		return;
	bool        sys = dw_vml_is_system(m);
	dw_finding *f   = dw_findings_add(
        cx->fs, DW_P_EXCEPTION_MODULE, sys ? DW_CONF_LIKELY : DW_CONF_CERTAIN,
        sys ? "the exception address lies in %s, a system module; the first module outside "
                "the system ones comes from the stack walk"
              : "the exception address lies in %s",
        m->basename);
	dw_finding_module(cx->fs, f, "exception module", m->name, m->base);
	dw_finding_value(cx->fs, f, "offset in module", ex->address - m->base, NULL);
	add_exception_evidence(cx, f, ex);
}

// ---- Access violations ------------------------------------------------------

// Where the NULL-code caller came from: the return address the failed call
// pushed, at [SP] of the exception context.
static void
null_code(dw_cx *cx, const dw_md_exception *ex, uint64_t ip)
{
	dw_finding *f = dw_findings_add(
	    cx->fs, DW_P_NULL_CODE, DW_CONF_CERTAIN,
	    "the instruction pointer 0x%" PRIx64 " is in the NULL page: a call through a NULL (or "
	    "near-NULL) function pointer",
	    ip);
	add_exception_evidence(cx, f, ex);
	dw_finding_address(cx->fs, f, "instruction pointer", ip, "NULL page");
	if (ex->context == NULL) {
		dw_finding_text(cx->fs, f, "caller", "unknown: the exception has no context");
		return;
	}
	uint64_t sp = dw_context_sp(ex->context), ret;
	if (dw_classify__ptr(cx, sp, &ret)) {
		char where[160];
		dw_classify__where(cx, ret, where, sizeof(where));
		dw_finding_frame(cx->fs, f, "caller (return address at [SP])", ret, where);
		dw_finding_address(cx->fs, f, "stack pointer", sp, NULL);
	} else {
		dw_finding_text(cx->fs, f, "caller",
		                "unknown: stack memory at SP 0x%" PRIx64 " is not in the dump", sp);
	}
}

static void
access_violation(dw_cx *cx, const dw_md_exception *ex, uint64_t ip)
{
	if (ex->number_parameters < 2) {
		dw_findings_need(cx->fs, DW_P_NULL_DATA, "ExceptionInformation",
		                 "the access violation record has %u parameters: the access kind and "
		                 "address are unknown",
		                 ex->number_parameters);
		return;
	}
	uint64_t kind = ex->parameters[0], addr = ex->parameters[1];
	if (cx->ptr == 4)
		addr &= 0xFFFFFFFFu;
	char where[160];
	if (ip < NULL_PAGE_END) {
		null_code(cx, ex, ip);
		return;
	}
	if (kind == 8) {
		dw_classify__where(cx, addr, where, sizeof(where));
		dw_finding *f = dw_findings_add(
		    cx->fs, DW_P_WILD_CODE, DW_CONF_CERTAIN,
		    "execution of non-executable memory at 0x%" PRIx64 " (a DEP violation)", addr);
		add_exception_evidence(cx, f, ex);
		dw_finding_address(cx->fs, f, "executed address", addr, where);
		return;
	}
	const dw_md_module *ipmod = dw_dump_module_at(cx->d, ip);
	if (addr < NULL_PAGE_END) {
		dw_finding *f = dw_findings_add(
		    cx->fs, DW_P_NULL_DATA, ipmod != NULL ? DW_CONF_CERTAIN : DW_CONF_LIKELY,
		    "%s of address 0x%" PRIx64 " in the NULL page%s", access_name(kind), addr,
		    ipmod != NULL ? " by code in a module" : ", by code outside every module");
		add_exception_evidence(cx, f, ex);
		dw_finding_address(cx->fs, f, "data address", addr, "NULL page");
		dw_finding_value(cx->fs, f, "access", kind, access_name(kind));
		return;
	}
	// Non-null: classify the address.
	const char              *fill = fill_pattern(addr, cx->ptr);
	char                     text[9];
	const dw_md_memory_info *mi  = dw_md_streams_memory_info_at(cx->s, addr);
	bool                     has_mi = dw_md_streams_memory_infos(cx->s, &(size_t){0}) != NULL;
	dw_confidence            conf;
	char                     why[200];
	if (noncanonical(addr, cx)) {
		conf = DW_CONF_CERTAIN;
		snprintf(why, sizeof(why), "a non-canonical x64 address");
	} else if (has_mi && (mi == NULL || mi->state == DW_MD_MEM_FREE ||
	                      mi->state == DW_MD_MEM_RESERVE)) {
		conf = DW_CONF_CERTAIN;
		snprintf(why, sizeof(why), "%s memory (MemoryInfoList)",
		         mi == NULL ? "unlisted" : mi->state == DW_MD_MEM_FREE ? "free" : "reserved, not committed");
	} else if (fill != NULL) {
		conf = DW_CONF_LIKELY;
		snprintf(why, sizeof(why), "near a fill pattern: %s", fill);
	} else if (ascii_like(addr, cx->ptr, text)) {
		conf = DW_CONF_LIKELY;
		snprintf(why, sizeof(why), "ASCII-looking bytes \"%s\"", text);
	} else if (has_mi) {
		// Committed memory: a protection fault (write to read-only, guard page).
		return;
	} else if (dw_dump_module_at(cx->d, addr) == NULL) {
		conf = DW_CONF_POSSIBLE;
		snprintf(why, sizeof(why),
		         "outside every module; MemoryInfoList is not in the dump to say whether it "
		         "is mapped");
	} else {
		return; // inside a module: a protection fault, not an invalid pointer
	}
	dw_finding *f = dw_findings_add(cx->fs, DW_P_INVALID_POINTER, conf,
	                                "%s of 0x%" PRIx64 ": %s", access_name(kind), addr, why);
	add_exception_evidence(cx, f, ex);
	dw_classify__where(cx, addr, where, sizeof(where));
	dw_finding_address(cx->fs, f, "data address", addr, why);
	dw_finding_value(cx->fs, f, "access", kind, access_name(kind));
	if (mi != NULL) {
		char prot[96];
		dw_md_page_protect_string(prot, sizeof(prot), mi->protect);
		dw_finding_text(cx->fs, f, "region", "0x%" PRIx64 " +0x%" PRIx64 " %s %s",
		                mi->base_address, mi->region_size,
		                dw_md_mem_state_name(mi->state) ? dw_md_mem_state_name(mi->state) : "?",
		                prot);
	}
}

// ---- Wild Code ---------------------------------------------------------------

static bool
clr_loaded(dw_cx *cx)
{
	return dw_classify__clr(cx) != NULL;
}

static void
wild_code(dw_cx *cx, const dw_md_exception *ex, uint64_t ip)
{
	if (ip < NULL_PAGE_END || cx->nmodules == 0)
		return;
	if (ex->code == ST_ACCESS_VIOLATION && ex->number_parameters >= 2 && ex->parameters[0] == 8)
		return; // reported as DEP above
	const dw_md_module      *m  = dw_dump_module_at(cx->d, ip);
	const dw_md_memory_info *mi = dw_md_streams_memory_info_at(cx->s, ip);
	bool exec = mi != NULL && mi->state == DW_MD_MEM_COMMIT && (mi->protect & DW_MD_PAGE_EXECUTE_ANY) != 0;
	if (mi != NULL && !exec) {
		char prot[96];
		dw_md_page_protect_string(prot, sizeof(prot), mi->protect);
		dw_finding *f = dw_findings_add(cx->fs, DW_P_WILD_CODE, DW_CONF_CERTAIN,
		                                "the instruction pointer 0x%" PRIx64
		                                " lies in memory without execute rights (%s)",
		                                ip, prot);
		add_exception_evidence(cx, f, ex);
		dw_finding_address(cx->fs, f, "instruction pointer", ip, prot);
		return;
	}
	if (m != NULL)
		return;
	if (exec && mi->type == DW_MD_MEM_PRIVATE && clr_loaded(cx))
		return; // JIT code: reported by the CLR detector
	dw_finding *f = dw_findings_add(
	    cx->fs, DW_P_WILD_CODE, exec ? DW_CONF_POSSIBLE : DW_CONF_LIKELY,
	    "the instruction pointer 0x%" PRIx64 " lies outside every loaded module%s", ip,
	    exec ? " (in executable memory: generated code, or a jump gone astray)" : "");
	add_exception_evidence(cx, f, ex);
	dw_finding_address(cx->fs, f, "instruction pointer", ip, "in no module");
}

// ---- Divide by zero ----------------------------------------------------------

static const char *const gpr32[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
static const char *const gpr64[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

// Recognises DIV/IDIV (F6 /6, /7 and F7 /6, /7) with their prefixes: the only
// integer instructions that raise #DE. Writes "idiv ecx" or "div dword [mem]".
static bool
decode_divide(const uint8_t *b, size_t n, bool x64, char *out, size_t size)
{
	size_t i = 0;
	bool   opsize = false;
	uint8_t rex = 0;
	for (; i < n && i < 14; i++) {
		uint8_t p = b[i];
		if (p == 0x66)
			opsize = true;
		else if (p == 0x67 || p == 0xF2 || p == 0xF3 || p == 0x26 || p == 0x2E || p == 0x36 ||
		         p == 0x3E || p == 0x64 || p == 0x65)
			continue;
		else if (x64 && (p & 0xF0) == 0x40)
			rex = p;
		else
			break;
	}
	if (i + 1 >= n || (b[i] != 0xF6 && b[i] != 0xF7))
		return false;
	uint8_t modrm = b[i + 1], reg = (modrm >> 3) & 7, mod = modrm >> 6, rm = modrm & 7;
	if (reg != 6 && reg != 7)
		return false;
	const char *mn = reg == 6 ? "div" : "idiv";
	int bits = b[i] == 0xF6 ? 8 : (rex & 0x08) ? 64 : opsize ? 16 : 32;
	if (mod != 3) {
		const char *w = bits == 8 ? "byte" : bits == 16 ? "word" : bits == 32 ? "dword" : "qword";
		snprintf(out, size, "%s %s [memory operand]", mn, w);
		return true;
	}
	unsigned r = rm | ((rex & 1) ? 8u : 0u);
	if (bits == 64)
		snprintf(out, size, "%s %s", mn, gpr64[r]);
	else if (bits == 32)
		snprintf(out, size, "%s %s%s", mn, r < 8 ? gpr32[r] : gpr64[r], r < 8 ? "" : "d");
	else
		snprintf(out, size, "%s %s-bit register %u", mn, bits == 8 ? "8" : "16", r);
	return true;
}

static void
divide(dw_cx *cx, const dw_md_exception *ex)
{
	dw_finding *f = dw_findings_add(cx->fs, DW_P_DIVIDE, DW_CONF_CERTAIN,
	                                "%s division by zero (%08X)",
	                                ex->code == ST_INT_DIVIDE ? "integer" : "floating-point",
	                                ex->code);
	add_exception_evidence(cx, f, ex);
	uint8_t bytes[16];
	size_t  got = 0;
	dw_dump_read(cx->d, ex->address, bytes, sizeof(bytes), &got);
	if (got == 0) {
		dw_finding_text(cx->fs, f, "instruction",
		                "not decoded: the code bytes at the exception address are not in the "
		                "dump (a full dump or the module image holds them)");
		return;
	}
	char hex[3 * 16 + 1] = {0};
	for (size_t i = 0; i < got && i < 8; i++)
		snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", bytes[i]);
	dw_finding_text(cx->fs, f, "code bytes", "%s", hex);
	char insn[64];
	if (ex->code == ST_INT_DIVIDE && decode_divide(bytes, got, cx->ptr == 8, insn, sizeof(insn)))
		dw_finding_text(cx->fs, f, "dividing instruction",
		                "%s (decoded from the opcode; full disassembly comes with walker/disasm)",
		                insn);
	else
		dw_finding_text(cx->fs, f, "dividing instruction",
		                "not decoded here: full disassembly comes with walker/disasm");
}

// ---- Stack overflow ---------------------------------------------------------

// NT_TIB (winnt.h): StackBase and StackLimit are the second and third
// pointers of the TEB on both x86 and x64.
static bool
teb_stack(const dw_cx *cx, uint64_t teb, uint64_t *base, uint64_t *limit)
{
	return teb != 0 && dw_classify__ptr(cx, teb + cx->ptr, base) &&
	       dw_classify__ptr(cx, teb + 2u * cx->ptr, limit);
}

static void
stack_overflow(dw_cx *cx, const dw_md_exception *ex)
{
	if (ex != NULL && ex->code == ST_STACK_OVERFLOW) {
		dw_finding *f = dw_findings_add(
		    cx->fs, DW_P_STACK_OVERFLOW, DW_CONF_CERTAIN,
		    "STATUS_STACK_OVERFLOW on thread %u: the stack ran into its guard page; the "
		    "repeating frame cycle comes from the stack walk",
		    ex->thread_id);
		add_exception_evidence(cx, f, ex);
		if (ex->number_parameters >= 2)
			dw_finding_address(cx->fs, f, "faulting stack address", ex->parameters[1], NULL);
		const dw_md_thread *t = dw_dump_thread_find(cx->d, ex->thread_id);
		uint64_t            base, limit;
		if (t != NULL && teb_stack(cx, t->teb, &base, &limit)) {
			dw_finding_address(cx->fs, f, "stack base (TEB)", base, NULL);
			dw_finding_address(cx->fs, f, "stack limit (TEB)", limit, NULL);
		}
		if (ex->context != NULL)
			dw_finding_address(cx->fs, f, "stack pointer", dw_context_sp(ex->context), NULL);
		return;
	}
	// Without the code: a stack pointer close to the committed limit.
	size_t              n;
	const dw_md_thread *th = dw_dump_threads(cx->d, &n);
	for (size_t i = 0; i < n; i++) {
		const dw_context *ctx = th[i].context;
		if (ex != NULL && ex->thread_id == th[i].thread_id && ex->context != NULL)
			ctx = ex->context;
		uint64_t base, limit;
		if (ctx == NULL || !teb_stack(cx, th[i].teb, &base, &limit) || limit == 0 ||
		    base <= limit)
			continue;
		// The stack pointer sits near StackLimit whenever a thread is at its
		// deepest so far; it is an overflow only when the limit has also
		// reached the end of the reservation (TEB DeallocationStack: +0x1478
		// x64, +0xE0C x86), so the stack cannot grow any more.
		uint64_t sp = dw_context_sp(ctx), dealloc;
		if (sp < limit || sp >= base || sp - limit >= cx->cfg->stack_guard_bytes ||
		    !dw_classify__ptr(cx, th[i].teb + (cx->ptr == 8 ? 0x1478 : 0xE0C), &dealloc) ||
		    dealloc == 0 || dealloc > limit || limit - dealloc > cx->cfg->stack_guard_bytes)
			continue;
		dw_finding *f = dw_findings_add(
		    cx->fs, DW_P_STACK_OVERFLOW, DW_CONF_LIKELY,
		    "thread %u's stack pointer is 0x%" PRIx64 " bytes above its stack limit: the stack "
		    "is nearly exhausted",
		    th[i].thread_id, sp - limit);
		dw_finding_thread(cx->fs, f, "thread", th[i].thread_id);
		dw_finding_address(cx->fs, f, "stack pointer", sp, NULL);
		dw_finding_address(cx->fs, f, "stack limit (TEB)", limit, NULL);
		dw_finding_address(cx->fs, f, "stack base (TEB)", base, NULL);
		dw_finding_address(cx->fs, f, "reservation end (TEB DeallocationStack)", dealloc, NULL);
	}
}

// ---- C++ exceptions -----------------------------------------------------------

// Reads a NUL-terminated ASCII string of at most max-1 bytes from the dump.
static bool
read_cstr(const dw_cx *cx, uint64_t addr, char *out, size_t max)
{
	size_t i = 0;
	for (; i + 1 < max; i++) {
		uint8_t c;
		if (dw_dump_read(cx->d, addr + i, &c, 1, NULL) != DW_OK)
			return false;
		if (c == 0)
			break;
		out[i] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
	}
	out[i] = 0;
	return i > 0;
}

// Turns an MSVC type-descriptor name (".?AVinvalid_argument@std@@") into
// "class std::invalid_argument". Templates and other decorations stay raw.
static void
undecorate_type(const char *raw, char *out, size_t size)
{
	const char *kind = NULL;
	if (strncmp(raw, ".?AV", 4) == 0)
		kind = "class";
	else if (strncmp(raw, ".?AU", 4) == 0)
		kind = "struct";
	const char *p   = raw + 4;
	size_t      len = strlen(raw);
	if (kind == NULL || len < 6 || strcmp(raw + len - 2, "@@") != 0 || strpbrk(p, "?$") != NULL) {
		snprintf(out, size, "%s", raw);
		return;
	}
	// Components are innermost first, separated by '@': reverse them.
	const char *parts[16];
	size_t      plen[16], np = 0;
	const char *end = raw + len - 2;
	while (p < end && np < 16) {
		const char *at = memchr(p, '@', (size_t)(end - p));
		if (at == NULL)
			at = end;
		parts[np]  = p;
		plen[np++] = (size_t)(at - p);
		p          = at + 1;
	}
	size_t o = 0;
	for (const char *k = kind; *k != 0 && o + 1 < size; k++)
		out[o++] = *k;
	if (o + 1 < size)
		out[o++] = ' ';
	for (size_t i = np; i-- > 0;) {
		for (size_t c = 0; c < plen[i] && o + 1 < size; c++)
			out[o++] = parts[i][c];
		for (size_t c = 0; i != 0 && c < 2 && o + 1 < size; c++)
			out[o++] = ':';
	}
	out[o] = 0;
}

// ExceptionInformation of E06D7363 (ehdata.h): [0] magic 0x19930520..22 or
// 0x01994000, [1] the thrown object, [2] the ThrowInfo, [3] (64-bit only) the
// image base the ThrowInfo's 32-bit fields are relative to. On x86 the same
// fields are absolute pointers.
//   ThrowInfo:          attributes, pmfnUnwind, pForwardCompat, pCatchableTypeArray (4 x 4 bytes)
//   CatchableTypeArray: nCatchableTypes, then that many 4-byte references
//   CatchableType:      properties, pType, ...
//   TypeDescriptor:     pVFTable, spare (pointer-sized each), then the name
static void
cpp_exception(dw_cx *cx, const dw_md_exception *ex)
{
	dw_finding *f = dw_findings_add(cx->fs, DW_P_CPP, DW_CONF_CERTAIN,
	                                "MSVC C++ exception (E06D7363) thrown on thread %u",
	                                ex->thread_id);
	add_exception_evidence(cx, f, ex);
	if (ex->number_parameters < 3) {
		dw_finding_text(cx->fs, f, "thrown type",
		                "unknown: the record has %u parameters, the throw info needs 3",
		                ex->number_parameters);
		return;
	}
	uint64_t magic = ex->parameters[0], obj = ex->parameters[1], ti = ex->parameters[2];
	dw_finding_value(cx->fs, f, "EH magic", magic, NULL);
	dw_finding_address(cx->fs, f, "thrown object", obj, NULL);
	dw_finding_address(cx->fs, f, "ThrowInfo", ti, NULL);
	uint64_t base = 0;
	if (cx->ptr == 8) {
		if (ex->number_parameters >= 4) {
			base = ex->parameters[3];
		} else {
			const dw_md_module *m = dw_dump_module_at(cx->d, ti);
			base                  = m != NULL ? m->base : 0;
		}
		dw_finding_address(cx->fs, f, "image base of the throw info", base, NULL);
	}
	if (cx->ptr == 4) {
		ti &= 0xFFFFFFFFu;
	}
	uint32_t cta_ref, count;
	if (!dw_classify__u32(cx, ti + 12, &cta_ref) || !dw_classify__u32(cx, base + cta_ref, &count)) {
		dw_finding_text(cx->fs, f, "thrown type",
		                "not decoded: the throw info at 0x%" PRIx64 " is not in the dump", ti);
		return;
	}
	uint64_t cta = base + cta_ref;
	if (count == 0 || count > DW_MAX_CATCHABLE_TYPES) {
		dw_finding_text(cx->fs, f, "thrown type",
		                "not decoded: the catchable type array at 0x%" PRIx64 " lists %u types",
		                cta, count);
		return;
	}
	const char *thrown = NULL;
	for (uint32_t i = 0; i < count && i < 8; i++) {
		uint32_t ct_ref, td_ref;
		if (!dw_classify__u32(cx, cta + 4 + 4ull * i, &ct_ref) ||
		    !dw_classify__u32(cx, base + ct_ref + 4, &td_ref))
			break;
		char raw[256], nice[300];
		if (!read_cstr(cx, base + td_ref + 2ull * cx->ptr, raw, sizeof(raw)))
			break;
		undecorate_type(raw, nice, sizeof(nice));
		if (i == 0) {
			thrown = dw_findings_strdup(cx->fs, nice);
			dw_finding_text(cx->fs, f, "thrown type", "%s", nice);
			dw_finding_text(cx->fs, f, "type descriptor name", "%s", raw);
		} else {
			dw_finding_text(cx->fs, f, "also catchable as", "%s", nice);
		}
	}
	if (thrown != NULL)
		f->explanation = dw_findings_printf(cx->fs, "MSVC C++ exception of type %s thrown on thread %u",
		                                    thrown, ex->thread_id);
	else
		dw_finding_text(cx->fs, f, "thrown type", "not decoded: a type descriptor is not in the dump");
}

static void
managed(dw_cx *cx, const dw_md_exception *ex)
{
	const dw_md_module *clr = dw_classify__clr(cx);
	dw_finding *f = dw_findings_add(
	    cx->fs, DW_P_MANAGED, clr != NULL ? DW_CONF_CERTAIN : DW_CONF_LIKELY,
	    "CLR exception %08X on thread %u%s", ex->code, ex->thread_id,
	    clr != NULL ? "" : " (but no clr.dll / coreclr.dll in the module list)");
	add_exception_evidence(cx, f, ex);
	if (clr != NULL)
		dw_finding_module(cx->fs, f, "CLR runtime", clr->name, clr->base);
}

static void
buffer_overrun(dw_cx *cx, const dw_md_exception *ex)
{
	const char *ff = ex->number_parameters >= 1 ? dw_fast_fail_name(ex->parameters[0]) : NULL;
	dw_finding *f;
	if (ex->number_parameters >= 1)
		f = dw_findings_add(cx->fs, DW_P_BUFFER_OVERFLOW, DW_CONF_CERTAIN,
		                    "STATUS_STACK_BUFFER_OVERRUN (__fastfail %" PRIu64 ", %s)%s",
		                    ex->parameters[0], ff != NULL ? ff : "unknown fast-fail code",
		                    ex->parameters[0] == 2 ? ": a stack cookie (/GS) check failed" : "");
	else
		f = dw_findings_add(cx->fs, DW_P_BUFFER_OVERFLOW, DW_CONF_CERTAIN,
		                    "STATUS_STACK_BUFFER_OVERRUN without a fast-fail code (legacy /GS "
		                    "report)");
	add_exception_evidence(cx, f, ex);
	if (ex->number_parameters >= 1)
		dw_finding_value(cx->fs, f, "fast-fail code", ex->parameters[0], ff);
}

void
dw_classify__exception(dw_cx *cx)
{
	const dw_md_exception *ex = dw_dump_exception(cx->d);
	stored_and_manual(cx, ex);
	stack_overflow(cx, ex);
	if (ex == NULL)
		return;
	uint64_t ip = ex->address;
	if (cx->ptr == 4)
		ip &= 0xFFFFFFFFu;
	exception_module(cx, ex);
	switch (ex->code) {
	case ST_ACCESS_VIOLATION: access_violation(cx, ex, ip); break;
	case ST_INT_DIVIDE:
	case ST_FLT_DIVIDE: divide(cx, ex); break;
	case EX_MSVC_CPP: cpp_exception(cx, ex); break;
	case EX_CLR_4:
	case EX_CLR_2: managed(cx, ex); break;
	case ST_BUFFER_OVERRUN: buffer_overrun(cx, ex); break;
	case ST_HEAP_CORRUPTION: {
		dw_finding *f = dw_findings_add(
		    cx->fs, DW_P_HEAP_CORRUPTION, DW_CONF_CERTAIN,
		    "STATUS_HEAP_CORRUPTION: the heap manager found a damaged block; the heap "
		    "functions on the stack come from the stack walk");
		add_exception_evidence(cx, f, ex);
		break;
	}
	default: break;
	}
	wild_code(cx, ex, ip);
}
