// tests/symbols/undecorate_test.c - MSVC name undecoration.
//
// Three checks: hand-written expectations; llvm-undname (an independent
// undecorator) on every decorated public name of the corpus PDBs and on a
// hand-made list covering the grammar; and Breakpad dump_syms' own PUBLIC
// names, paired by address with the decorated names llvm-pdbutil reads from
// the same PDB. Style differences that are not disagreements about the name
// (llvm's "dtor" for "destructor", return types, calling conventions, class
// keywords, this-qualifiers) are normalized away, as symcmp.py does for
// dump_syms output.
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbols/undecorate.h"

static char *
und(const char *name, unsigned flags)
{
	static char buf[8][4096];
	static int  k;
	char       *b = buf[k++ % 8];
	size_t      n = dw_undecorate(b, sizeof(buf[0]), name, strlen(name), flags);
	cr_assert_lt(n, sizeof(buf[0]));
	return b;
}

struct ucase {
	const char *in, *full, *name;
};

Test(symbols_undname, hand_written_cases)
{
	static const struct ucase cases[] = {
	    {"?Foo@Bar@@QAEXH@Z", "Bar::Foo(int)", "Bar::Foo"},
	    {"??0Bar@@QAE@XZ", "Bar::Bar(void)", "Bar::Bar"},
	    {"??1Bar@@UAE@XZ", "Bar::~Bar(void)", "Bar::~Bar"},
	    {"??_GFoo@@UAEPAXI@Z", "Foo::`scalar deleting destructor'(unsigned int)",
	        "Foo::`scalar deleting destructor'"},
	    {"?x@@3HA", "x", "x"},
	    {"??_7Foo@@6B@", "Foo::`vftable'", "Foo::`vftable'"},
	    {"??_7Derived@@6BBase1@@@", "Derived::`vftable'{for `Base1'}", NULL},
	    {"??_R0?AVFoo@@@8", "Foo `RTTI Type Descriptor'", NULL},
	    {"??_R4Foo@@6B@", "Foo::`RTTI Complete Object Locator'", NULL},
	    {"??_R1A@?0A@EA@Foo@@8", "Foo::`RTTI Base Class Descriptor at (0,-1,0,64)'", NULL},
	    {"?f@?$vec@H@@QAEXV1@@Z", "vec<int>::f(vec<int>)", "vec<int>::f"},
	    {"?f@?$A@V?$B@H@@@@QAEXXZ", "A<B<int> >::f(void)", NULL},
	    {"??0?$vec@H@@QAE@XZ", "vec<int>::vec<int>(void)", NULL},
	    {"??4Foo@@QAEAAV0@ABV0@@Z", "Foo::operator=(Foo const &)", "Foo::operator="},
	    {"??2@YAPAXI@Z", "operator new(unsigned int)", "operator new"},
	    {"??_U@YAPAXI@Z", "operator new[](unsigned int)", NULL},
	    {"??BFoo@@QBEHXZ", "Foo::operator int(void)", "Foo::operator int"},
	    {"?f@@YAXP6AHH@Z@Z", "f(int (*)(int))", NULL},
	    {"?g@@YAXPAY03H@Z", "g(int (*)[4])", NULL},
	    {"?s@@YAXHZZ", "s(int,...)", NULL},
	    {"?m@@YAX$$QAVFoo@@@Z", "m(Foo &&)", NULL},
	    {"?p@@YAXPBQAD@Z", "p(char * const *)", NULL},
	    {"?f@?A0x12345678@@YAXXZ", "`anonymous namespace'::f(void)", NULL},
	    {"?f@?$Tmpl@$0?0@@QAEXXZ", "Tmpl<-1>::f(void)", NULL},
	    {"?f@Foo@@WBA@AEXXZ", "Foo::f`adjustor{16}'(void)", NULL},
	    {"??_C@_0L@IDKDBMAM@UuidCreate?$AA@", "`string'", "`string'"},
	    {"??__Ex@@YAXXZ", "`dynamic initializer for 'x''(void)", NULL},
	    // C names as dump_syms prints them.
	    {"_memset", "memset", "memset"},
	    {"_Sleep@4", "Sleep", "Sleep"},
	    {"@f@8", "f", "f"},
	    {"__imp__Sleep@4", "__imp_Sleep", NULL},
	    {"__imp_?f@@YAXXZ", "__imp_f(void)", "__imp_f"},
	    {"main", "main", "main"},
	    {"_", "_", "_"},
	    // Not decodable: returned unchanged.
	    {"?", "?", "?"},
	    {"??", "??", "??"},
	    {"?f@@YAX", "?f@@YAX", "?f@@YAX"},
	    {"?f@@YAXPAY0BAAAAAAAAAAAAAAAAAA@H@Z", "?f@@YAXPAY0BAAAAAAAAAAAAAAAAAA@H@Z", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_str_eq(und(cases[i].in, DW_UNDNAME_FULL), cases[i].full, "%s", cases[i].in);
		if (cases[i].name != NULL)
			cr_expect_str_eq(und(cases[i].in, DW_UNDNAME_NAME_ONLY), cases[i].name, "%s",
			    cases[i].in);
	}
}

Test(symbols_undname, truncates_like_snprintf_and_arena_copy)
{
	char   small[8];
	size_t n = dw_undecorate(small, sizeof(small), "?Foo@Bar@@QAEXH@Z", 17, 0);
	cr_assert_eq(n, strlen("Bar::Foo(int)"));
	cr_assert_str_eq(small, "Bar::Fo");
	cr_assert_eq(dw_undecorate(NULL, 0, "_f", 2, 0), 1);
	dw_arena a;
	dw_arena_init(&a, 0);
	char *out;
	cr_assert_eq(dw_undecorate_arena(&out, &a, "??0Bar@@QAE@XZ", 14, 0), DW_OK);
	cr_assert_str_eq(out, "Bar::Bar(void)");
	dw_arena_fini(&a);
	cr_assert(dw_undecorate_is_decorated("__imp_?f@@YAXXZ", 15));
	cr_assert_not(dw_undecorate_is_decorated("_f@4", 4));
}

Test(symbols_undname, hostile_names_are_bounded)
{
	// Back-references that double the text at every level, deep nesting,
	// and every prefix of a real name: no crash, and no unbounded work.
	char buf[65536];
	char name[8192];
	strcpy(name, "?f@@YAX");
	for (int i = 0; i < 2000; i++)
		strcat(name, "PA");
	strcat(name, "H@Z");
	dw_undecorate(buf, sizeof(buf), name, strlen(name), 0);
	cr_assert_str_eq(buf, name);
	strcpy(name, "?f@");
	for (int i = 0; i < 200; i++)
		strcat(name, "?$A@V");
	dw_undecorate(buf, sizeof(buf), name, strlen(name), 0);
	const char *real =
	    "??$_Buynode@ABUAppMemory@google_breakpad@@@?$_List_buy@UAppMemory@google_breakpad@@"
	    "V?$allocator@UAppMemory@google_breakpad@@@std@@@std@@QAEPAU?$_List_node@UAppMemory@"
	    "google_breakpad@@PAX@1@PAU21@0ABUAppMemory@google_breakpad@@@Z";
	for (size_t k = 0; k <= strlen(real); k++) {
		char *c = malloc(k + 1);
		memcpy(c, real, k);
		c[k] = '\0';
		dw_undecorate(buf, sizeof(buf), c, k, 0);
		dw_undecorate(buf, sizeof(buf), c, k, DW_UNDNAME_NAME_ONLY);
		free(c);
	}
}

// Found by fuzz_undname (tests/fuzz/corpus/undname/embedded-nul-after-
// question-marks): a malformed name with NULs was returned unchanged with its
// NULs, so the reported length disagreed with the string. The unchanged copy
// ends at the first NUL, in both output forms and for plain names too.
Test(symbols_undname, names_with_embedded_nul_are_cut_there)
{
	static const char bad[] = {'?', '?', '_', 0, 0, 0, 0, 0, 0, 0, 0x0d, 'B', '@'};
	char              out[64];
	for (unsigned flags = 0; flags < 2; flags++) {
		size_t n = dw_undecorate(out, sizeof(out), bad, sizeof(bad), flags);
		cr_expect_eq(n, 3, "flags %u: length %zu", flags, n);
		cr_expect_str_eq(out, "??_");
	}
	static const char plain[] = {'m', 'a', 'i', 'n', 0, 'x'};
	cr_expect_eq(dw_undecorate(out, sizeof(out), plain, sizeof(plain), 0), 4);
	cr_expect_str_eq(out, "main");
}

// ---- llvm-undname oracle ----------------------------------------------------

static const char *extra_names[] = {
	"?Foo@Bar@@QAEXH@Z",
	"??0Bar@@QAE@XZ",
	"??1Bar@@UAE@XZ",
	"??_GFoo@@UAEPAXI@Z",
	"?x@@3HA",
	"?y@Foo@@2PBDB",
	"??_7Foo@@6B@",
	"??_7Derived@@6BBase1@@@",
	"?f@?$vec@H@@QAEXV1@@Z",
	"??4Foo@@QAEAAV0@ABV0@@Z",
	"??8Foo@@QBE_NABV0@@Z",
	"??9Foo@@QBE_NABV0@@Z",
	"??AFoo@@QAEAAHI@Z",
	"??RFoo@@QAEHHH@Z",
	"??2@YAPAXI@Z",
	"??3@YAXPAX@Z",
	"??_U@YAPAXI@Z",
	"??_V@YAXPAX@Z",
	"??2@YAPEAX_K@Z",
	"??HFoo@@QBE?AV0@ABV0@@Z",
	"??YFoo@@QAEAAV0@ABV0@@Z",
	"??6@YAAAVostream@std@@AAV01@H@Z",
	"??BFoo@@QBEHXZ",
	"??BFoo@@QBE_NXZ",
	"?f@@YAXP6AHH@Z@Z",
	"?g@@YAXPAY03H@Z",
	"?h@@YAXPQFoo@@H@Z",
	"?k@@YAXP8Foo@@AEXH@Z@Z",
	"?m@@YAX$$QAVFoo@@@Z",
	"?n@@YAXAAY02H@Z",
	"?o@@YAXPAPAD@Z",
	"?p@@YAXPBQAD@Z",
	"?q@@YAXH0@Z",
	"?r@@YAXPADPBD01@Z",
	"?s@@YAXHZZ",
	"?t@@YAXZZ",
	"?u@@YA_J_K@Z",
	"?v@@YAX_W_N@Z",
	"?w@@YAXW4Color@@@Z",
	"?x@@YAXTU@@@Z",
	"?y@@YAXUS@@@Z",
	"?f@?A0x12345678@@YAXXZ",
	"?f@?$Tmpl@$0A@@@QAEXXZ",
	"?f@?$Tmpl@$00@@QAEXXZ",
	"?f@?$Tmpl@$0?0@@QAEXXZ",
	"?f@?$Tmpl@$0BA@@@QAEXXZ",
	"?f@?$Tmpl@PAH$0BA@@@QAEXXZ",
	"?f@?$A@V?$B@H@@@@QAEXXZ",
	"?f@?$A@V?$B@V?$C@H@@@@@@QAEXXZ",
	"?f@?$A@H$$V@@QAEXXZ",
	"??$f@H@@YAXH@Z",
	"??$f@HN@@YAXHN@Z",
	"??$g@H@Foo@@QAEXH@Z",
	"??0?$vec@H@@QAE@XZ",
	"??1?$vec@H@@QAE@XZ",
	"?f@Foo@@SAXXZ",
	"?f@Foo@@CAXXZ",
	"?f@Foo@@KAXXZ",
	"?f@Foo@@AAEXXZ",
	"?f@Foo@@IAEXXZ",
	"?f@Foo@@UAEXXZ",
	"?f@Foo@@MAEXXZ",
	"?f@Foo@@EAEXXZ",
	"?f@Foo@@WBA@AEXXZ",
	"?f@Foo@@QBEXXZ",
	"?f@Foo@@QCEXXZ",
	"?f@Foo@@QEBAXXZ",
	"?f@Foo@@QEAAXXZ",
	"?f@Outer@Inner@@QAEXXZ",
	"?f@@YGXH@Z",
	"?f@@YIXH@Z",
	"?f@@YQXH@Z",
	"?f@@YAXQAH@Z",
	"?f@@YAXQBH@Z",
	"?f@@YAX?BH@Z",
	"?f@@YAPBHXZ",
	"?f@@YA?AVFoo@@XZ",
	"?f@@YA?BVFoo@@XZ",
	"?f@@YAXPAX@Z",
	"?f@@YAXPEAX@Z",
	"?f@@YAXPEBD@Z",
	"?f@@YAX_D_E_F_G@Z",
	"?f@@YAXMNO@Z",
	"?f@@YAXCDE@Z",
	"?f@@YAXFGIJK@Z",
	"?f@@YAX$$T@Z",
	"?f@@YAX_S_U@Z",
	"?x@?1??f@@YAXXZ@4HA",
	"?x@?1??f@Foo@@QAEXXZ@4HA",
	"??_R0?AVFoo@@@8",
	"??_R1A@?0A@EA@Foo@@8",
	"??_R2Foo@@8",
	"??_R3Foo@@8",
	"??_R4Foo@@6B@",
	"??_EFoo@@UAEPAXI@Z",
	"??_8Foo@@7B@",
	"??_DFoo@@QAEXXZ",
	"??__Ex@@YAXXZ",
	"??__Fx@@YAXXZ",
	"?f@@YAXP6AXXZ0@Z",
	"?f@@YAXPAUS@@0@Z",
	"?f@?$map@HV?$vector@HV?$allocator@H@std@@@std@@@std@@QAEXXZ",
	"?instance@?$Singleton@VFoo@@@@0PAV1@A",
	"?f@@YAX$$QAH@Z",
	"?f@@YAXAAPAH@Z",
	"?f@Foo@@QGAEXXZ",
	"?f@Foo@@QHAEXXZ",
	"?f@@YAXPBV?$vec@H@@@Z",
	"??$f@$1?x@@3HA@@YAXXZ",
	"??$h@PAH@@YAXPAH@Z",
};

// find_tool returns the tool's path (caller frees) or NULL.
static char *
find_tool(const char *name)
{
	char path[256];
	const char *dirs[] = {"/usr/bin", "/usr/lib/llvm-14/bin", "/usr/local/bin"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0)
			return strdup(path);
	}
	return NULL;
}

static const char *
corpus_dir(void)
{
	const char *c = getenv("DW_CORPUS");
	struct stat st;
	return c != NULL && stat(c, &st) == 0 ? c : NULL;
}

static bool
ident(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$' || c == '`' || c == '\'';
}

// norm removes what only differs in style: class keywords, calling
// conventions, __ptr64, llvm's "dtor", and spaces not between two identifier
// characters.
static void
norm(char *out, size_t cap, const char *in)
{
	static const char *drop[] = {"class ", "struct ", "union ", "enum ", "__ptr64", "__cdecl",
	    "__thiscall", "__stdcall", "__fastcall", "__vectorcall", "extern \"C\" ", "[thunk]: "};
	char tmp[8192];
	size_t o = 0;
	for (const char *p = in; *p && o + 16 < sizeof(tmp);) {
		bool hit = false;
		for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++) {
			size_t l = strlen(drop[i]);
			if (strncmp(p, drop[i], l) == 0 && (p == in || !ident(p[-1]))) {
				p += l;
				hit = true;
				break;
			}
		}
		if (hit)
			continue;
		if (strncmp(p, " dtor'", 6) == 0) {
			memcpy(tmp + o, " destructor'", 12);
			o += 12;
			p += 6;
			continue;
		}
		tmp[o++] = *p++;
	}
	tmp[o] = '\0';
	size_t n = 0;
	for (size_t i = 0; tmp[i] && n + 1 < cap; i++) {
		if (tmp[i] == ' ') {
			char prev = n ? out[n - 1] : ' ';
			char nx   = tmp[i + 1];
			if (!ident(prev) || !ident(nx))
				continue;
		}
		out[n++] = tmp[i];
	}
	out[n] = '\0';
	// Trailing this-qualifiers and ref-qualifiers.
	for (;;) {
		size_t l = strlen(out);
		if (l >= 5 && strcmp(out + l - 5, "const") == 0 && (l == 5 || !ident(out[l - 6])))
			out[l - 5] = '\0';
		else if (l >= 8 && strcmp(out + l - 8, "volatile") == 0)
			out[l - 8] = '\0';
		else if (l >= 1 && out[l - 1] == '&' && l >= 2 && out[l - 2] == ')')
			out[l - 1] = '\0';
		else if (l >= 2 && out[l - 1] == '&' && out[l - 2] == '&' && l >= 3 && out[l - 3] == ')')
			out[l - 2] = '\0';
		else
			break;
		while ((l = strlen(out)) > 0 && out[l - 1] == ' ')
			out[l - 1] = '\0';
	}
}

// agrees: llvm's full text ends with our full text (after normalizing), at an
// identifier boundary; or, for a variable, llvm names it inside a declarator
// ("int (*NAME)(int)"); or, for a function-local scope, the text after the
// last "'::" agrees (llvm spells the enclosing function with its return type).
static bool
agrees(const char *ours_full, const char *ours_name, const char *llvm)
{
	char l[8192], o[8192], on[8192];
	norm(l, sizeof(l), llvm);
	norm(o, sizeof(o), ours_full);
	norm(on, sizeof(on), ours_name);
	size_t ll = strlen(l), ol = strlen(o);
	if (ll >= ol && strcmp(l + ll - ol, o) == 0 && (ll == ol || !ident(l[ll - ol - 1])))
		return true;
	char decl[8300];
	snprintf(decl, sizeof(decl), "*%s)", on);
	if (strstr(l, decl) != NULL)
		return true;
	const char *a = strstr(l, "'::"), *b = strstr(o, "'::");
	if (a != NULL && b != NULL) {
		const char *la = a, *lb = b, *q;
		while ((q = strstr(la + 3, "'::")) != NULL)
			la = q;
		while ((q = strstr(lb + 3, "'::")) != NULL)
			lb = q;
		return strcmp(la, lb) == 0;
	}
	return false;
}

struct tally {
	size_t agree, differ, llvm_invalid, strings;
};

// check_with_llvm writes names to a file, runs llvm-undname over it and
// compares; prints every difference.
static void
check_with_llvm(const char *undname, char **names, size_t n, const char *label, struct tally *t)
{
	char path[] = "/tmp/dw_undname_XXXXXX";
	int  fd     = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", names[i]);
	fclose(f);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "'%s' < '%s' 2>&1", undname, path);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	char   *line = NULL;
	size_t  lcap = 0;
	size_t  i    = 0;
	ssize_t got;
	// Output: for each input, the input echoed, the result, an empty line.
	while (i < n && (got = getline(&line, &lcap, p)) >= 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, names[i]) != 0)
			continue;
		if ((got = getline(&line, &lcap, p)) < 0)
			break;
		line[strcspn(line, "\r\n")] = '\0';
		const char *name = names[i++];
		char        full[4096], only[4096];
		dw_undecorate(full, sizeof(full), name, strlen(name), DW_UNDNAME_FULL);
		dw_undecorate(only, sizeof(only), name, strlen(name), DW_UNDNAME_NAME_ONLY);
		if (strncmp(name, "??_C@", 5) == 0) {
			// llvm prints the literal's text; Microsoft's undecorator
			// (and so dump_syms) prints `string'.
			cr_expect_str_eq(full, "`string'", "%s", name);
			t->strings++;
		} else if (strncmp(line, "error", 5) == 0) {
			t->llvm_invalid++;
		} else if (agrees(full, only, line)) {
			t->agree++;
		} else {
			t->differ++;
			fprintf(stderr, "undname %s differs: %s\n  ours: %s\n  llvm: %s\n", label, name,
			    full, line);
		}
	}
	free(line);
	pclose(p);
	unlink(path);
	cr_assert_eq(i, n, "%s: llvm-undname answered %zu of %zu names", label, i, n);
}

// pdb_publics runs llvm-pdbutil and returns the decorated names with their
// RVAs (section headers give each section's virtual address).
struct pub {
	char    *name;
	uint64_t rva;
};

static size_t
pdb_publics(const char *pdbutil, const char *pdb, struct pub **out)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "'%s' dump --section-headers --publics '%s' 2>/dev/null", pdbutil,
	    pdb);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	uint64_t sect[256];
	size_t   nsect = 0, n = 0;
	char    *line = NULL, *pending = NULL;
	size_t   lcap = 0;
	*out          = NULL;
	while (getline(&line, &lcap, p) >= 0) {
		unsigned long long va;
		char               word[32];
		if (sscanf(line, " %llx virtual %31s", &va, word) == 2 && strcmp(word, "address") == 0 &&
		    nsect < 256) {
			sect[nsect++] = va;
			continue;
		}
		char *s = strstr(line, "S_PUB32 [size = ");
		if (s != NULL) {
			char *a = strchr(s, '`'), *b = strrchr(s, '`');
			free(pending);
			pending = a != NULL && b > a ? strndup(a + 1, (size_t)(b - a - 1)) : NULL;
			continue;
		}
		// "addr = 0001:7982": section number and decimal offset; the RVA is
		// resolved once the section headers (printed after) are known.
		unsigned sec, off;
		char    *ad = strstr(line, "addr = ");
		if (pending != NULL && ad != NULL && sscanf(ad, "addr = %u:%u", &sec, &off) == 2) {
			*out           = realloc(*out, (n + 1) * sizeof(**out));
			(*out)[n].name = pending;
			(*out)[n].rva  = ((uint64_t)sec << 32) | off;
			n++;
			pending = NULL;
		}
	}
	free(pending);
	free(line);
	pclose(p);
	for (size_t i = 0; i < n; i++) {
		uint64_t sec = (*out)[i].rva >> 32;
		(*out)[i].rva = sec >= 1 && sec <= nsect ? sect[sec - 1] + ((*out)[i].rva & 0xffffffffu)
		                                        : UINT64_MAX;
	}
	return n;
}

static const char *pdbs[] = {
    "crash.pdb/3249D99D0C4049318610F4E4FB0B69361/crash",
    "dump_syms_regtest.pdb/9214611565FA4C538FE724A797B860F71/dump_syms_regtest",
    "dump_syms_regtest64.pdb/72E103A85CB249078B76B2E7C06257B13/dump_syms_regtest64",
    "CrashWithException.pdb/F535C5FB2AE84BB8AA206C30BE566C5A1/CrashWithException",
    "sigsegv.pdb/7DD47A9FC2E8499AA78EC14AE2C965A21/sigsegv",
    "test_dll.pdb/1223E85EF4F6403BB9CABC974BDA9A561/test_dll",
    "test_types.dll.pdb/988A0D293B0E42E48A139DDD7F0F2BC11/test_types.dll",
    "test_vtables.dll.pdb/F888647A888B4E12BF4192F1D8CFA04B1/test_vtables.dll",
    "test_vtables_omap.dll.pdb/DA1E10557EB74419B3F163D0EE92AC001/test_vtables_omap.dll",
    "omap_reorder_bbs.pdb/99302CF6F3C244F2B8E048BA0268A12F1/omap_reorder_bbs",
    "omap_reorder_funcs.pdb/11F7284EDE764667AA5234B0E7B07EEF1/omap_reorder_funcs",
    "crash_with_srcsrv.pdb/3249D99D0C4049318610F4E4FB0B69361/crash_with_srcsrv",
};

Test(symbols_undname, agrees_with_llvm_undname, .timeout = 120)
{
	char *undname = find_tool("llvm-undname");
	if (undname == NULL)
		cr_skip_test("llvm-undname (Debian llvm-14) not installed: oracle check skipped");
	struct tally t = {0};
	check_with_llvm(undname, (char **)extra_names, sizeof(extra_names) / sizeof(extra_names[0]),
	    "hand-made", &t);
	fprintf(stderr, "undname vs llvm-undname, hand-made list: %zu agree, %zu differ, %zu "
	                "rejected by llvm\n", t.agree, t.differ, t.llvm_invalid);
	cr_expect_geq(t.agree * 100, (t.agree + t.differ) * 95, "hand-made list below 95%%");

	const char *corpus  = corpus_dir();
	char       *pdbutil = find_tool("llvm-pdbutil");
	if (corpus == NULL || pdbutil == NULL) {
		free(undname);
		free(pdbutil);
		cr_skip_test("DW_CORPUS or llvm-pdbutil missing: corpus PDB names skipped");
	}
	for (size_t k = 0; k < sizeof(pdbs) / sizeof(pdbs[0]); k++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/symbols/%s.pdb", corpus, pdbs[k]);
		struct pub *pubs = NULL;
		size_t      n    = pdb_publics(pdbutil, path, &pubs);
		char      **names = malloc((n + 1) * sizeof(char *));
		size_t      m     = 0;
		for (size_t i = 0; i < n; i++)
			if (pubs[i].name[0] == '?')
				names[m++] = pubs[i].name;
		struct tally tp = {0};
		const char  *base = strrchr(pdbs[k], '/') + 1;
		if (m > 0)
			check_with_llvm(undname, names, m, base, &tp);
		size_t cmp = tp.agree + tp.differ;
		fprintf(stderr, "undname vs llvm-undname, %-22s %4zu decorated: %4zu agree, %zu differ "
		                "(%.1f%%), %zu string literals, %zu rejected by llvm\n",
		    base, m, tp.agree, tp.differ, cmp ? 100.0 * (double)tp.agree / (double)cmp : 100.0,
		    tp.strings, tp.llvm_invalid);
		cr_expect_geq(tp.agree * 100, cmp * 99, "%s: below 99%%", base);
		for (size_t i = 0; i < n; i++)
			free(pubs[i].name);
		free(pubs);
		free(names);
	}
	free(undname);
	free(pdbutil);
}

// symcmp_norm is symcmp.py's name normalization: no parameter list, no
// leading type words, no leading underscores.
static void
symcmp_norm(char *out, size_t cap, const char *in)
{
	static const char *prim[] = {"void", "bool", "char", "short", "int", "long", "unsigned",
	    "signed", "float", "double", "wchar_t", "__int64", "static", "virtual", "const",
	    "struct", "class", "enum"};
	char   tmp[4096];
	size_t n = 0;
	int    depth = 0;
	for (size_t i = 0; in[i] && n + 1 < sizeof(tmp); i++) {
		char c = in[i];
		if (c == '<' || c == '[')
			depth++;
		else if (c == '>' || c == ']')
			depth--;
		else if (c == '(' && depth == 0 && !(n >= 8 && strncmp(tmp + n - 8, "operator", 8) == 0))
			break;
		tmp[n++] = c;
	}
	tmp[n] = '\0';
	// Split into words; drop leading type words while more than one is left.
	char  *words[512];
	size_t nw = 0;
	for (char *w = strtok(tmp, " \t"); w && nw < 512; w = strtok(NULL, " \t"))
		words[nw++] = w;
	size_t first = 0;
	while (nw - first > 1) {
		const char *w  = words[first];
		size_t      wl = strlen(w);
		bool        drop = wl > 0 && (w[wl - 1] == '*' || w[wl - 1] == '&');
		for (size_t i = 0; !drop && i < sizeof(prim) / sizeof(prim[0]); i++)
			drop = strcmp(w, prim[i]) == 0;
		if (!drop)
			break;
		first++;
	}
	out[0] = '\0';
	for (size_t i = first; i < nw; i++) {
		if (i > first)
			strncat(out, " ", cap - strlen(out) - 1);
		strncat(out, words[i], cap - strlen(out) - 1);
	}
	size_t lead = strspn(out, "_");
	memmove(out, out + lead, strlen(out + lead) + 1);
}

Test(symbols_undname, agrees_with_dump_syms_publics, .timeout = 120)
{
	const char *corpus  = corpus_dir();
	char       *pdbutil = find_tool("llvm-pdbutil");
	if (corpus == NULL)
		cr_skip_test("DW_CORPUS not found: dump_syms PUBLIC comparison skipped");
	if (pdbutil == NULL)
		cr_skip_test("llvm-pdbutil (Debian llvm-14) not installed: comparison skipped");
	for (size_t k = 0; k < 4; k++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/symbols/%s.pdb", corpus, pdbs[k]);
		struct pub *pubs = NULL;
		size_t      n    = pdb_publics(pdbutil, path, &pubs);
		snprintf(path, sizeof(path), "%s/symbols/%s.sym", corpus, pdbs[k]);
		FILE *f = fopen(path, "r");
		cr_assert_not_null(f, "%s", path);
		char  *line = NULL;
		size_t lcap = 0, total = 0, agree = 0, unpaired = 0;
		while (getline(&line, &lcap, f) >= 0) {
			if (strncmp(line, "PUBLIC ", 7) != 0)
				continue;
			line[strcspn(line, "\r\n")] = '\0';
			char *p = line + 7;
			if (strncmp(p, "m ", 2) == 0)
				p += 2;
			unsigned long long rva = strtoull(p, &p, 16);
			strtoull(p, &p, 16);
			const char *symname = *p == ' ' ? p + 1 : p;
			char        want[4096], got[4096];
			symcmp_norm(want, sizeof(want), symname);
			total++;
			bool   ok = false, paired = false;
			char   first_ours[8300] = "";
			for (size_t i = 0; i < n && !ok; i++) {
				if (pubs[i].rva != rva)
					continue;
				paired = true;
				char u[4096];
				dw_undecorate(u, sizeof(u), pubs[i].name, strlen(pubs[i].name),
				    DW_UNDNAME_NAME_ONLY);
				symcmp_norm(got, sizeof(got), u);
				if (first_ours[0] == '\0')
					snprintf(first_ours, sizeof(first_ours), "%s -> %s", pubs[i].name, u);
				ok = strcmp(got, want) == 0;
			}
			if (!paired) {
				unpaired++;
				fprintf(stderr, "dump_syms PUBLIC %llx %s: no PDB public at that address\n", rva,
				    symname);
			} else if (ok) {
				agree++;
			} else {
				fprintf(stderr, "dump_syms PUBLIC %llx differs: sym '%s', ours %s\n", rva, symname,
				    first_ours);
			}
		}
		free(line);
		fclose(f);
		size_t paired = total - unpaired;
		fprintf(stderr, "undname vs dump_syms PUBLIC, %-22s %zu records, %zu paired by address, "
		                "%zu agree (%.1f%%)\n",
		    strrchr(pdbs[k], '/') + 1, total, paired, agree,
		    paired ? 100.0 * (double)agree / (double)paired : 100.0);
		cr_expect_geq(agree * 100, paired * 99, "%s below 99%%", pdbs[k]);
		for (size_t i = 0; i < n; i++)
			free(pubs[i].name);
		free(pubs);
	}
	free(pdbutil);
}
