#include "tests/walker/corpus_files.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

const char *
tc_own_corpus(void)
{
	const char *c = getenv("DW_OWN_CORPUS");
	struct stat st;
	if (c == NULL || c[0] == 0)
		cr_skip_test("DW_OWN_CORPUS is not set (meson test sets it to tests/corpus)");
	cr_assert(stat(c, &st) == 0 && S_ISDIR(st.st_mode), "DW_OWN_CORPUS=%s is not a directory", c);
	return c;
}

char *
tc_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *p = NULL;
	long  n = -1;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
		p = malloc((size_t)n + 1);
	if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	if (p == NULL)
		return NULL;
	p[n] = 0;
	if (len != NULL)
		*len = (size_t)n;
	return p;
}
