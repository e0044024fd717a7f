// tests/symbols/source_test.c - symbol source lists, _NT_SYMBOL_PATH parsing,
// and the name/id checks that keep dump-supplied names inside the cache.
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/source.h"

static bool
notes_mention(const dw_notes *n, const char *what)
{
	for (size_t i = 0; i < n->count; i++)
		if (strstr(n->items[i].text, what) != NULL)
			return true;
	return false;
}

Test(symbols_source, parses_srv_cache_and_plain_elements)
{
	dw_sympath p;
	dw_notes   n;
	dw_sympath_init(&p);
	dw_notes_init(&n);
	cr_assert_eq(dw_sympath_parse(&p,
	                              " srv*/var/cache/sym*https://msdl.example/download/symbols/ ;"
	                              "SRV*http://a.example;;cache*/c2; /local/dir",
	                              &n),
	             DW_OK);
	cr_assert_eq(n.count, 0);
	cr_assert_eq(p.count, 5);
	cr_assert_eq(p.items[0].kind, DW_SOURCE_DIR);
	cr_assert_str_eq(p.items[0].location, "/var/cache/sym");
	cr_assert(p.items[0].is_cache);
	cr_assert_eq(p.items[1].kind, DW_SOURCE_HTTP);
	cr_assert_str_eq(p.items[1].location, "https://msdl.example/download/symbols");
	cr_assert_eq(p.items[1].layout, DW_LAYOUT_SYMSTORE);
	cr_assert_eq(p.items[1].types, DW_FILE_ALL);
	cr_assert(p.items[1].compressed && p.items[1].file_ptr);
	cr_assert_str_eq(p.items[2].location, "http://a.example");
	cr_assert_str_eq(p.items[3].location, "/c2");
	cr_assert(p.items[3].is_cache);
	cr_assert_str_eq(p.items[4].location, "/local/dir");
	cr_assert(p.items[4].flat && !p.items[4].is_cache);
	cr_assert_eq(p.items[4].layout, DW_LAYOUT_AUTO);
	cr_assert_str_eq(p.cache_dir, "/var/cache/sym");
	dw_sympath_fini(&p);
	dw_notes_fini(&n);
}

Test(symbols_source, symsrv_dll_and_several_downstream_stores)
{
	dw_sympath p;
	dw_sympath_init(&p);
	cr_assert_eq(dw_sympath_parse(&p, "symsrv*symsrv.dll*/c1*/c2*https://s.example", NULL),
	             DW_OK);
	cr_assert_eq(p.count, 3);
	cr_assert_str_eq(p.items[0].location, "/c1");
	cr_assert_str_eq(p.items[1].location, "/c2");
	cr_assert(p.items[1].is_cache);
	cr_assert_str_eq(p.items[2].location, "https://s.example");
	cr_assert_str_eq(p.cache_dir, "/c1");
	dw_sympath_fini(&p);
	// srv**URL: the default cache; srv* alone: Microsoft's server.
	dw_sympath_init(&p);
	cr_assert_eq(dw_sympath_parse(&p, "srv**https://s.example;srv*", NULL), DW_OK);
	cr_assert_eq(p.count, 2);
	cr_assert_null(p.cache_dir);
	cr_assert_str_eq(p.items[1].location, DW_SOURCE_MICROSOFT_URL);
	dw_sympath_fini(&p);
}

Test(symbols_source, bad_elements_are_noted_and_skipped)
{
	dw_sympath p;
	dw_notes   n;
	dw_sympath_init(&p);
	dw_notes_init(&n);
	cr_assert_eq(dw_sympath_parse(&p,
	                              "ftp://x.example/sym;foo*bar;srv*file:///etc;cache*a*b;"
	                              "srv*https://ok.example;srv*/c*;a\x01b",
	                              &n),
	             DW_OK);
	cr_assert_eq(p.count, 2, "kept %zu", p.count); // ok.example and /c (store of a bad srv*)
	cr_assert_str_eq(p.items[0].location, "https://ok.example");
	cr_assert_str_eq(p.items[1].location, "/c");
	cr_assert(notes_mention(&n, "only http:// and https://"));
	cr_assert(notes_mention(&n, "unknown element prefix"));
	cr_assert(notes_mention(&n, "control character"));
	cr_assert(notes_mention(&n, "names no server"));
	dw_sympath_fini(&p);
	dw_notes_fini(&n);
}

Test(symbols_source, limits_on_length_and_elements)
{
	dw_sympath p;
	dw_sympath_init(&p);
	char *big = malloc(DW_MAX_SYMPATH_BYTES + 2);
	memset(big, 'a', DW_MAX_SYMPATH_BYTES + 1);
	big[DW_MAX_SYMPATH_BYTES + 1] = '\0';
	cr_assert_eq(dw_sympath_parse(&p, big, NULL), DW_ELIMIT);
	cr_assert_eq(p.count, 0);
	size_t o = 0;
	for (int i = 0; i < DW_MAX_SYMPATH_ELEMENTS + 5; i++)
		o += (size_t)snprintf(big + o, 16, "/d%d;", i);
	cr_assert_eq(dw_sympath_parse(&p, big, NULL), DW_ELIMIT);
	cr_assert_eq(p.count, DW_MAX_SYMPATH_ELEMENTS);
	free(big);
	dw_sympath_fini(&p);
}

Test(symbols_source, auth_headers)
{
	dw_source s = {0};
	cr_assert_eq(dw_source_set_basic(&s, "Aladdin", "open sesame"), DW_OK);
	cr_assert_str_eq(s.headers[0], "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
	cr_assert_eq(dw_source_set_bearer(&s, "tok"), DW_OK);
	cr_assert_str_eq(s.headers[1], "Authorization: Bearer tok");
	cr_assert_eq(dw_source_add_header(&s, "X-Evil: a\r\nHost: b"), DW_EINVAL);
	cr_assert_eq(dw_source_add_header(&s, "no colon"), DW_EINVAL);
	cr_assert_eq(dw_source_set_bearer(&s, "a\nb"), DW_EINVAL);
	for (size_t i = 0; i < s.nheaders; i++)
		free(s.headers[i]);
}

Test(symbols_source, names_from_dumps_are_checked)
{
	char out[DW_MAX_SYMFILE_NAME + 1];
	cr_assert_eq(dw_symname_check(out, "C:\\build\\x64\\crash.pdb", NULL), DW_OK);
	cr_assert_str_eq(out, "crash.pdb");
	cr_assert_eq(dw_symname_check(out, "..\\..\\..\\etc\\passwd", NULL), DW_OK);
	cr_assert_str_eq(out, "passwd"); // only the base name is ever used
	cr_assert_eq(dw_symname_check(out, "/abs/ntdll.dll", NULL), DW_OK);
	cr_assert_str_eq(out, "ntdll.dll");
	cr_assert_eq(dw_symname_check(out, "name with space.pdb", NULL), DW_OK);

	static const char *const bad[] = {
	    "",          "..",      "a/..",        "x\\..",
	    ".",         "dir/",    "C:crash.pdb", "crash.pdb:stream",
	    "con",       "CON.pdb", "nul.dll",     "Com1.pdb",
	    "lpt9",      "aux.x.y", "crash.pdb.",  "crash ",
	    "a\x01.pdb", "a\x7f",   "we*rd.pdb",   "q?.pdb",
	    "p|q",       "<x>",     "tab\there",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dw_notes n;
		dw_notes_init(&n);
		cr_assert_eq(dw_symname_check(out, bad[i], &n), DW_EINVAL, "accepted \"%s\"",
		             bad[i]);
		cr_assert_eq(n.count, 1, "no note for \"%s\"", bad[i]);
		cr_assert_str_eq(out, "");
		dw_notes_fini(&n);
	}
	char longname[DW_MAX_SYMFILE_NAME + 10];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cr_assert_eq(dw_symname_check(out, longname, NULL), DW_EINVAL);
	longname[DW_MAX_SYMFILE_NAME] = '\0';
	cr_assert_eq(dw_symname_check(out, longname, NULL), DW_OK);
	// Not-quite-reserved names are fine.
	cr_assert_eq(dw_symname_check(out, "console.pdb", NULL), DW_OK);
	cr_assert_eq(dw_symname_check(out, "com.pdb", NULL), DW_OK);
}

Test(symbols_source, ids_are_hex_only)
{
	char out[DW_MAX_SYMID + 1];
	cr_assert_eq(dw_symid_check(out, "3249D99D0C4049318610F4E4FB0B69361", NULL), DW_OK);
	cr_assert_eq(dw_symid_check(out, "5DDC1E9A6c000", NULL), DW_OK);
	cr_assert_str_eq(out, "5DDC1E9A6c000"); // case kept
	cr_assert_eq(dw_symid_check(out, "", NULL), DW_EINVAL);
	cr_assert_eq(dw_symid_check(out, "../../x", NULL), DW_EINVAL);
	cr_assert_eq(dw_symid_check(out, "ABC/DEF", NULL), DW_EINVAL);
	cr_assert_eq(dw_symid_check(out, "ABC DEF", NULL), DW_EINVAL);
	char big[DW_MAX_SYMID + 2];
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(dw_symid_check(out, big, NULL), DW_EINVAL);
}

Test(symbols_source, derived_names_paths_and_urls)
{
	char out[DW_MAX_SYMFILE_NAME + 1];
	dw_symname_compressed(out, "crash.pdb");
	cr_assert_str_eq(out, "crash.pd_");
	dw_symname_compressed(out, "basic32.dll");
	cr_assert_str_eq(out, "basic32.dl_");
	cr_assert_eq(dw_symname_breakpad(out, "crash.pdb"), DW_OK);
	cr_assert_str_eq(out, "crash.sym");
	cr_assert_eq(dw_symname_breakpad(out, "basic32-dwarf.dll"), DW_OK);
	cr_assert_str_eq(out, "basic32-dwarf.sym");
	cr_assert_eq(dw_symname_breakpad(out, "test_types.dll.pdb"), DW_OK);
	cr_assert_str_eq(out, "test_types.dll.sym");
	cr_assert_eq(dw_symname_breakpad(out, "libfoo.so"), DW_OK);
	cr_assert_str_eq(out, "libfoo.so.sym");

	char rel[600];
	cr_assert_eq(dw_source_relpath(rel, sizeof(rel), DW_LAYOUT_SYMSTORE, "crash.pdb", "AB1",
	                               "crash.pd_"),
	             DW_OK);
	cr_assert_str_eq(rel, "crash.pdb/AB1/crash.pd_");
	cr_assert_eq(
	    dw_source_relpath(rel, sizeof(rel), DW_LAYOUT_INDEX2, "crash.pdb", "AB1", "file.ptr"),
	    DW_OK);
	cr_assert_str_eq(rel, "cr/crash.pdb/AB1/file.ptr");
	cr_assert_eq(dw_source_relpath(rel, 10, DW_LAYOUT_SYMSTORE, "crash.pdb", "AB1", "x"),
	             DW_ELIMIT);

	char url[200];
	cr_assert_eq(dw_source_url(url, sizeof(url), "http://h:1/s", "my lib.pdb/1/my lib.pdb"),
	             DW_OK);
	cr_assert_str_eq(url, "http://h:1/s/my%20lib.pdb/1/my%20lib.pdb");
	cr_assert_eq(dw_source_url(url, 16, "http://h:1/s", "my lib.pdb/1/x"), DW_ELIMIT);
}

Test(symbols_source, file_ptr_text)
{
	const char *t;
	size_t      tl;
	dw_notes    n;
	dw_notes_init(&n);
	const char ok[] = "PATH:http://127.0.0.1:1/x/crash.pdb\r\n";
	cr_assert_eq(dw_fileptr_parse(&t, &tl, ok, strlen(ok), &n), DW_OK);
	cr_assert_eq(tl, strlen("http://127.0.0.1:1/x/crash.pdb"));
	cr_assert_eq(strncmp(t, "http://127.0.0.1:1/x/crash.pdb", tl), 0);
	const char msg[] = "MSG: withdrawn by vendor";
	cr_assert_eq(dw_fileptr_parse(&t, &tl, msg, strlen(msg), &n), DW_ENOTFOUND);
	cr_assert(notes_mention(&n, "withdrawn by vendor"));
	cr_assert_eq(dw_fileptr_parse(&t, &tl, "PATH:", 5, &n), DW_ECORRUPT);
	cr_assert_eq(dw_fileptr_parse(&t, &tl, "garbage", 7, &n), DW_ECORRUPT);
	cr_assert_eq(dw_fileptr_parse(&t, &tl, "PATH:a\x01b", 8, &n), DW_ECORRUPT);
	cr_assert_null(t);
	dw_notes_fini(&n);
}

Test(symbols_source, windows_cache_paths_are_not_taken_as_the_cache)
{
	dw_sympath p;
	dw_notes   n;
	dw_sympath_init(&p);
	dw_notes_init(&n);
	cr_assert_eq(
	    dw_sympath_parse(&p, "srv*C:\\symbols*https://s.example;srv*/abs*https://t", &n),
	    DW_OK);
	cr_assert_str_eq(p.cache_dir, "/abs");
	cr_assert(notes_mention(&n, "not an absolute local path"));
	cr_assert_eq(p.count, 4); // the Windows store stays a (missing) directory source
	dw_sympath_fini(&p);
	dw_notes_fini(&n);
}
