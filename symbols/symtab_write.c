// symbols/symtab_write.c - writing a table out: its bytes to a file (atomic
// rename) and its contents as Breakpad .sym text (docs/symbol_files.md), so
// our reading can be diffed against dump_syms.
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cur.h"
#include "symbols/symtab_from.h"
#include "symbols/symtab_int.h"

dw_err
dw_symtab_write_file(const dw_symtab *t, const char *path, dw_notes *notes)
{
	size_t len = strlen(path);
	char  *tmp = malloc(len + 16);
	if (tmp == NULL)
		return dw_fail(notes, DW_ENOMEM, "symbol table %s: out of memory", path);
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".tmp.XXXXXX", 12);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		dw_err rv = dw_fail(notes, DW_EIO, "symbol table %s: cannot create %s: %s", path, tmp,
		                    strerror(errno));
		free(tmp);
		return rv;
	}
	// mkstemp creates 0600; a table is served to other daemons and users.
	(void)fchmod(fd, 0644);
	const uint8_t *p    = t->base;
	size_t         left = t->len;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		left -= (size_t)n;
	}
	int err = left > 0 ? errno : 0;
	if (close(fd) != 0 && err == 0)
		err = errno;
	if (err == 0 && rename(tmp, path) != 0)
		err = errno;
	if (err != 0) {
		unlink(tmp);
		free(tmp);
		return dw_fail(notes, DW_EIO, "symbol table %s: write failed: %s", path, strerror(err));
	}
	free(tmp);
	return DW_OK;
}

static int
cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

// file_id returns the FILE id for a file index (NONE stays NONE).
static uint32_t
file_id(const dw_symtab *t, uint32_t idx)
{
	return idx == DW_SYMTAB_NONE ? DW_SYMTAB_NONE
	                             : dw_get_u32le(t->sec[DW_SEC_FILES].p + (size_t)idx * 8);
}

static void
print_rules(const dw_symtab *t, FILE *f, const uint8_t *row)
{
	uint32_t uf = dw_get_u32le(row + 4), uc = dw_get_u32le(row + 8);
	for (uint32_t u = 0; u < uc; u++) {
		const uint8_t *r = t->sec[DW_SEC_CFI_RULES].p + (size_t)(uf + u) * 8;
		fprintf(f, "%s%s: %s", u ? " " : "", dw_symtab__str(t, dw_get_u32le(r)),
		        dw_symtab__str(t, dw_get_u32le(r + 4)));
	}
	fputc('\n', f);
}

dw_err
dw_symtab_write_breakpad(const dw_symtab *t, FILE *f)
{
	dw_symtab_module m;
	dw_symtab_get_module(t, &m);
	const char *arch = m.cpu == DW_SYMTAB_CPU_X86     ? "x86"
	                   : m.cpu == DW_SYMTAB_CPU_AMD64 ? "x86_64"
	                                                  : "unknown";
	fprintf(f, "MODULE %s %s %s %s\n", m.os[0] ? m.os : "windows", arch, m.debug_id,
	        m.debug_file);
	if (m.code_id[0])
		fprintf(f, "INFO CODE_ID %s%s%s\n", m.code_id, m.code_file[0] ? " " : "", m.code_file);
	const dw_symtab_sec_view *s = t->sec;
	for (uint32_t i = 0; i < s[DW_SEC_FILES].n; i++)
		fprintf(f, "FILE %u %s\n", dw_get_u32le(s[DW_SEC_FILES].p + (size_t)i * 8),
		        dw_symtab__str(t, dw_get_u32le(s[DW_SEC_FILES].p + (size_t)i * 8 + 4)));

	// INLINE_ORIGIN ids: the distinct origin names, numbered in pool order.
	uint32_t  ninl    = s[DW_SEC_INLINES].n;
	uint32_t *origins = malloc((ninl ? ninl : 1) * sizeof(uint32_t));
	if (origins == NULL)
		return DW_ENOMEM;
	for (uint32_t i = 0; i < ninl; i++)
		origins[i] = dw_get_u32le(s[DW_SEC_INLINES].p + (size_t)i * 24 + 12);
	qsort(origins, ninl, sizeof(uint32_t), cmp_u32);
	size_t norig = 0;
	for (uint32_t i = 0; i < ninl; i++)
		if (norig == 0 || origins[norig - 1] != origins[i])
			origins[norig++] = origins[i];
	for (size_t i = 0; i < norig; i++)
		fprintf(f, "INLINE_ORIGIN %zu %s\n", i, dw_symtab__str(t, origins[i]));

	for (uint32_t i = 0; i < s[DW_SEC_FUNCS].n; i++) {
		const uint8_t *r = s[DW_SEC_FUNCS].p + (size_t)i * 32;
		fprintf(f, "FUNC %s%x %x %x %s\n",
		        (dw_get_u32le(r + 12) & DW_SYMTAB_FUNC_FLAG_MULTIPLE) ? "m " : "",
		        dw_get_u32le(s[DW_SEC_FUNC_ADDR].p + (size_t)i * 4), dw_get_u32le(r),
		        dw_get_u32le(r + 8), dw_symtab__str(t, dw_get_u32le(r + 4)));
		uint32_t inf = dw_get_u32le(r + 24), inc = dw_get_u32le(r + 28);
		for (uint32_t k = inf; k < inf + inc; k++) {
			const uint8_t *in = s[DW_SEC_INLINES].p + (size_t)k * 24;
			uint32_t       nm = dw_get_u32le(in + 12);
			const uint32_t *o = bsearch(&nm, origins, norig, sizeof(uint32_t), cmp_u32);
			fprintf(f, "INLINE %u %u %u %zu", dw_get_u32le(in), dw_get_u32le(in + 4),
			        file_id(t, dw_get_u32le(in + 8)), o ? (size_t)(o - origins) : (size_t)0);
			uint32_t rf = dw_get_u32le(in + 16), rc = dw_get_u32le(in + 20);
			for (uint32_t q = rf; q < rf + rc; q++)
				fprintf(f, " %x %x", dw_get_u32le(s[DW_SEC_INLINE_RANGES].p + (size_t)q * 8),
				        dw_get_u32le(s[DW_SEC_INLINE_RANGES].p + (size_t)q * 8 + 4));
			fputc('\n', f);
		}
		uint32_t lf = dw_get_u32le(r + 16), lc = dw_get_u32le(r + 20);
		for (uint32_t k = lf; k < lf + lc; k++) {
			const uint8_t *l = s[DW_SEC_LINES].p + (size_t)k * 12;
			fprintf(f, "%x %x %u %u\n", dw_get_u32le(s[DW_SEC_LINE_ADDR].p + (size_t)k * 4),
			        dw_get_u32le(l), dw_get_u32le(l + 4), file_id(t, dw_get_u32le(l + 8)));
		}
	}
	free(origins);

	for (uint32_t i = 0; i < s[DW_SEC_PUBS].n; i++) {
		const uint8_t *r = s[DW_SEC_PUBS].p + (size_t)i * 12;
		fprintf(f, "PUBLIC %s%x %x %s\n",
		        (dw_get_u32le(r + 8) & DW_SYMTAB_FUNC_FLAG_MULTIPLE) ? "m " : "",
		        dw_get_u32le(s[DW_SEC_PUB_ADDR].p + (size_t)i * 4), dw_get_u32le(r + 4),
		        dw_symtab__str(t, dw_get_u32le(r)));
	}
	for (uint32_t i = 0; i < s[DW_SEC_WINS].n; i++) {
		const uint8_t *r     = s[DW_SEC_WINS].p + (size_t)i * 44;
		uint32_t       flags = dw_get_u32le(r + 36);
		fprintf(f, "STACK WIN %x %x %x %x %x %x %x %x %x ", dw_get_u32le(r),
		        dw_get_u32le(r + 4), dw_get_u32le(r + 8), dw_get_u32le(r + 12),
		        dw_get_u32le(r + 16), dw_get_u32le(r + 20), dw_get_u32le(r + 24),
		        dw_get_u32le(r + 28), dw_get_u32le(r + 32));
		if (flags & DW_SYMTAB_WIN_FLAG_PROGRAM)
			fprintf(f, "1 %s\n", dw_symtab__str(t, dw_get_u32le(r + 40)));
		else
			fprintf(f, "0 %d\n", (flags & DW_SYMTAB_WIN_FLAG_ALLOC_BP) ? 1 : 0);
	}
	for (uint32_t i = 0; i < s[DW_SEC_CFIS].n; i++) {
		const uint8_t *r  = s[DW_SEC_CFIS].p + (size_t)i * 16;
		uint32_t       rf = dw_get_u32le(r + 8), rc = dw_get_u32le(r + 12);
		for (uint32_t k = rf; k < rf + rc; k++) {
			const uint8_t *row = s[DW_SEC_CFI_ROWS].p + (size_t)k * 12;
			if (k == rf)
				fprintf(f, "STACK CFI INIT %x %x ", dw_get_u32le(r), dw_get_u32le(r + 4));
			else
				fprintf(f, "STACK CFI %x ", dw_get_u32le(row));
			print_rules(t, f, row);
		}
	}
	// x64 RUNTIME_FUNCTIONs have no .sym form of their own: print the body
	// rule each one gives (every prolog code applied), as dump_syms does
	// from the same data, so CFI can be compared with its output.
	for (uint32_t i = 0; i < s[DW_SEC_X64_FUNCS].n; i++) {
		const uint8_t *r     = s[DW_SEC_X64_FUNCS].p + (size_t)i * 16;
		uint32_t       begin = dw_get_u32le(r), end = dw_get_u32le(r + 4);
		dw_unwind_rule rule;
		char           text[1024];
		if (end <= begin || dw_symtab_x64_rule(&rule, t, begin, DW_PE_RULE_BODY) != DW_OK ||
		    rule.func_begin != begin)
			continue;
		if (dw_unwind_rule_format(text, sizeof(text), &rule) >= sizeof(text))
			continue;
		fprintf(f, "STACK CFI INIT %x %x %s\n", begin, end - begin, text);
	}
	return ferror(f) ? DW_EIO : DW_OK;
}
