// walker/wow64.c - 64-bit dumps of 32-bit (WOW64) processes.
//
// Recognition: the dump's CPU is amd64, wow64.dll or wow64cpu.dll is loaded,
// and the main image (first module) is 32-bit (its PE header in dump memory
// says machine 0x14c, or, without that memory, it lives in SysWOW64 or
// wholly below 4 GiB).
//
// The 32-bit context: WOW64 keeps it in the CPU-reserved area that 64-bit TEB
// TLS slot 1 (WOW64_TLS_CPURESERVED) points to. TlsSlots is at TEB64+0x1480,
// so the pointer is at TEB64+0x1488. Microsoft's WOW64_CONTEXT documentation
// says that for Vista through 8.1 "a structure that contains a WOW64_CONTEXT
// starting at offset 4"; Windows 10 and 11 name the area WOW64_CPURESERVED
// { USHORT Flags; USHORT MachineType; CONTEXT Context; } (as public symbol
// files and the WOW64 literature give it): also 4 bytes of header, where
// MachineType should be IMAGE_FILE_MACHINE_I386. Which layout was applied is
// chosen from SystemInfo's major version and reported per thread. The 32-bit
// TEB is at TEB64+0x2000 (NT_TIB32: StackBase +4, StackLimit +8).
//
// When the memory is missing (small dumps hold stacks, not TEBs), the 32-bit
// stack is reported unavailable instead of being guessed from the 64-bit one.
#include <ctype.h>
#include <string.h>

#include "common/cur.h"
#include "walker/wow64_int.h"

#define TEB64_TLS_SLOT1 0x1488
#define TEB64_TO_TEB32 0x2000
#define CPURESERVED_HEADER 4
#define MACHINE_I386 0x014c
#define MACHINE_AMD64 0x8664

static const char *
basename_of(const char *path)
{
	const char *b = path;
	for (const char *p = path; *p != 0; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	return b;
}

static bool
ieq(const char *a, const char *b)
{
	for (; *a != 0 && *b != 0; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
	return *a == *b;
}

static bool
icontains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = hay; *p != 0; p++) {
		size_t i = 0;
		while (i < n && p[i] != 0 && tolower((unsigned char)p[i]) == needle[i])
			i++;
		if (i == n)
			return true;
	}
	return false;
}

// PE machine from the image in dump memory; 0 when unreadable.
static uint16_t
pe_machine(const dw_dump *d, uint64_t base)
{
	uint8_t b[6];
	if (dw_dump_read(d, base + 0x3c, b, 4, NULL) != DW_OK)
		return 0;
	uint32_t nt = dw_get_u32le(b);
	if (nt > 0x10000000 || dw_dump_read(d, base + nt, b, 6, NULL) != DW_OK ||
	    dw_get_u32le(b) != 0x00004550u)
		return 0;
	return dw_get_u16le(b + 4);
}

static bool
is_wow64_dll(const char *name)
{
	static const char *const n[] = {"wow64.dll", "wow64cpu.dll", "wow64win.dll", "wow64base.dll",
	                                "wow64con.dll"};
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		if (ieq(name, n[i]))
			return true;
	return false;
}

bool
dw_wow64__detect(const dw_dump *d, dw_uw *u, dw_arena *a, const char **why)
{
	*why = NULL;
	if (dw_dump_cpu(d) != DW_CPU_AMD64)
		return false;
	size_t              n;
	const dw_md_module *mm = dw_dump_modules(d, &n);
	const char         *dll = NULL;
	for (size_t i = 0; i < n; i++)
		if (ieq(basename_of(mm[i].name), "wow64cpu.dll") || ieq(basename_of(mm[i].name), "wow64.dll"))
			dll = basename_of(mm[i].name);
	if (dll == NULL || n == 0)
		return false;
	uint16_t    mach = pe_machine(d, mm[0].base);
	const char *how;
	if (mach == MACHINE_I386)
		how = "its PE header in the dump says i386";
	else if (mach == 0 && icontains(mm[0].name, "\\syswow64\\"))
		how = "it was loaded from SysWOW64";
	else if (mach == 0 && mm[0].base + mm[0].size <= 0x100000000ull)
		how = "it lies below 4 GiB";
	else
		return false;
	*why = dw_arena_printf(a, "64-bit dump with %s loaded and a 32-bit main image %s (%s)", dll,
	                       basename_of(mm[0].name), how);

	// Which modules hold 32-bit code.
	for (size_t i = 0; i < u->nmods; i++) {
		dw_uw_module *m    = &u->mods[i];
		const char   *path = m->md != NULL ? m->md->name : "";
		const char   *base = basename_of(path);
		uint16_t      mc   = pe_machine(d, m->base);
		bool          x86;
		if (mc == MACHINE_I386 || mc == MACHINE_AMD64)
			x86 = mc == MACHINE_I386;
		else if (is_wow64_dll(base))
			x86 = false;
		else if (icontains(path, "\\syswow64\\"))
			x86 = true;
		else if (ieq(base, "ntdll.dll") && icontains(path, "\\system32\\"))
			x86 = false;
		else
			x86 = m->base + m->size <= 0x100000000ull;
		m->cpu    = x86 ? DW_CPU_X86 : DW_CPU_AMD64;
		m->id.cpu = m->cpu;
	}
	return true;
}

static void
unavailable(dw_thread_walk *tw, dw_arena *a, const char *what, uint64_t addr)
{
	tw->stack32.cpu        = DW_CPU_X86;
	tw->stack32.end        = DW_WALK_END_UNAVAILABLE;
	const char *s          = dw_arena_printf(a, "32-bit stack unavailable: %s at 0x%llx is %s", what,
	                                         (unsigned long long)addr,
	                                         strcmp(what, "the WOW64 context") == 0
	                                                      ? "unreadable"
	                                                      : "not in the dump");
	tw->stack32.end_detail = s != NULL ? s : "the 32-bit context is not in the dump";
}

dw_err
dw_wow64__walk_thread(dw_walk *w, dw_thread_walk *tw, const dw_md_thread *t)
{
	const dw_dump *d  = dw_walk__dump(w);
	dw_arena      *a  = dw_walk__arena(w);
	dw_uw         *u  = dw_walk__uw(w);
	uint64_t       cr = 0;
	if (!dw_uw__read_u64(u, t->teb + TEB64_TLS_SLOT1, &cr)) {
		unavailable(tw, a, "TEB64 TlsSlots[1] (the WOW64 CPU area pointer)",
		            t->teb + TEB64_TLS_SLOT1);
		return DW_OK;
	}
	const dw_md_system_info *si    = dw_dump_system_info(d);
	bool                     win10 = si == NULL || si->major_version >= 10;
	tw->wow64_layout               = win10 ? DW_WOW64_WIN10 : DW_WOW64_WIN7_81;
	if (win10) {
		uint8_t h[4];
		if (dw_dump_read(d, cr, h, 4, NULL) == DW_OK && dw_get_u16le(h + 2) != MACHINE_I386)
			dw_remark(dw_walk__notes(w), "thread %u: WOW64_CPURESERVED at 0x%llx names machine 0x%x",
			          tw->thread_id, (unsigned long long)cr, dw_get_u16le(h + 2));
	}
	uint8_t buf[716];
	size_t  len = sizeof(buf), got = 0;
	if (dw_dump_read(d, cr + CPURESERVED_HEADER, buf, len, &got) != DW_OK) {
		if (got < 204) {
			unavailable(tw, a, "the WOW64 CPU area holding the 32-bit context", cr);
			return DW_OK;
		}
		len = 204;
	}
	dw_cur c;
	dw_cur_init(&c, buf, len);
	dw_context ctx;
	if (dw_context_parse(&ctx, &c, DW_CPU_X86, dw_walk__notes(w), "WOW64 context") != DW_OK ||
	    ctx.cpu != DW_CPU_X86) {
		unavailable(tw, a, "the WOW64 context", cr + CPURESERVED_HEADER);
		return DW_OK;
	}
	uint32_t base = 0, limit = 0;
	uint64_t teb32 = t->teb + TEB64_TO_TEB32;
	if (!dw_uw__read_u32(u, teb32 + 4, &base) || !dw_uw__read_u32(u, teb32 + 8, &limit) ||
	    limit >= base)
		base = limit = 0;
	return dw_walk_stack(&tw->stack32, w, &ctx, limit, base, DW_TRUST_WOW64_CONTEXT);
}
