// tests/symbols/symserver.c - see symserver.h.
#define _GNU_SOURCE
#include "tests/symbols/symserver.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *
corpus_dir(void)
{
	static char buf[1024];
	const char *c = getenv("DW_CORPUS");
	if (c == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%s/symbols/crash.pdb", c);
	struct stat st;
	if (stat(buf, &st) != 0)
		return NULL;
	snprintf(buf, sizeof(buf), "%s", c);
	return buf;
}

void
scratch_dir(char *out, const char *tag)
{
	const char *t = getenv("TMPDIR");
	snprintf(out, 256, "%s/dw-%s-XXXXXX", t ? t : "/tmp", tag);
	cr_assert_not_null(mkdtemp(out), "mkdtemp: %s", strerror(errno));
}

static void
mkparents(const char *path)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
}

void
write_file(const char *path, const void *data, size_t len)
{
	mkparents(path);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "cannot write %s", path);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

void
copy_file(const char *src, const char *dst)
{
	FILE *f = fopen(src, "rb");
	cr_assert_not_null(f, "cannot read %s", src);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	write_file(dst, buf, (size_t)n);
	free(buf);
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(p);
	return 0;
}

void
rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *tree_suffix;
static bool        tree_found;

static int
find_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	size_t n = strlen(p), m = strlen(tree_suffix);
	if (flag == FTW_F && n >= m && strcmp(p + n - m, tree_suffix) == 0)
		tree_found = true;
	return 0;
}

bool
tree_has_file(const char *dir, const char *suffix)
{
	tree_suffix = suffix;
	tree_found  = false;
	nftw(dir, find_one, 16, FTW_PHYS);
	return tree_found;
}

void
symserver_start(symserver *s, bool with_corpus)
{
	memset(s, 0, sizeof(*s));
	scratch_dir(s->dir, "srv");
	char portf[300], script[1024], r1[1100], r2[1100];
	snprintf(portf, sizeof(portf), "%s/port", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/access.log", s->dir);
	snprintf(s->extra, sizeof(s->extra), "%s/extra", s->dir);
	mkdir(s->extra, 0755);
	// The script sits beside this file: found through DW_TEST_DATA
	// (tests/data) when that exists, else through this file's own path
	// (meson compiles it as ../tests/symbols/symserver.c from the build root,
	// where tests run).
	const char *data = getenv("DW_TEST_DATA");
	script[0]        = '\0';
	if (data != NULL) {
		snprintf(script, sizeof(script), "%s/../symbols/symserver.py", data);
		if (access(script, R_OK) != 0)
			script[0] = '\0';
	}
	if (script[0] == '\0') {
		snprintf(script, sizeof(script), "%s", __FILE__);
		char *slash = strrchr(script, '/');
		snprintf(slash ? slash + 1 : script,
		         sizeof(script) - (size_t)(slash ? slash + 1 - script : 0), "symserver.py");
	}
	cr_assert_eq(access(script, R_OK), 0, "cannot find symserver.py (%s)", script);
	const char *c = corpus_dir();
	snprintf(r1, sizeof(r1), "%s/symbols", c ? c : "/nonexistent");
	snprintf(r2, sizeof(r2), "%s/binaries", c ? c : "/nonexistent");
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		// The server dies with the test process, even one an assertion
		// ended before symserver_stop ran; its chatter goes nowhere.
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(0);
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		if (with_corpus)
			execlp("python3", "python3", script, "--port-file", portf, "--log", s->log,
			       "--root", s->extra, "--root", r1, "--root", r2, (char *)NULL);
		else
			execlp("python3", "python3", script, "--port-file", portf, "--log", s->log,
			       "--root", s->extra, (char *)NULL);
		_exit(127);
	}
	s->pid = pid;
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(portf, "r");
		if (f != NULL) {
			int ok = fscanf(f, "%d", &s->port);
			fclose(f);
			if (ok == 1 && s->port > 0)
				break;
		}
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			cr_assert_fail("symserver.py exited before listening");
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	cr_assert_gt(s->port, 0, "symserver.py did not start within 10 s");
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
}

void
symserver_stop(symserver *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
	rm_rf(s->dir);
}

static size_t
count_lines(const symserver *s, const char *needle)
{
	FILE *f = fopen(s->log, "r");
	if (f == NULL)
		return 0;
	char   line[2048];
	size_t n = 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (needle == NULL || strstr(line, needle) != NULL)
			n++;
	fclose(f);
	return n;
}

size_t
symserver_count(const symserver *s, const char *needle)
{
	return count_lines(s, needle);
}

size_t
symserver_total(const symserver *s)
{
	return count_lines(s, NULL);
}

size_t
symserver_ports(const symserver *s)
{
	FILE *f = fopen(s->log, "r");
	if (f == NULL)
		return 0;
	char   line[2048];
	int    seen[256];
	size_t n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = strstr(line, " port=");
		if (p == NULL)
			continue;
		int  port = atoi(p + 6);
		bool dup  = false;
		for (size_t i = 0; i < n && !dup; i++)
			dup = seen[i] == port;
		if (!dup && n < 256)
			seen[n++] = port;
	}
	fclose(f);
	return n;
}
