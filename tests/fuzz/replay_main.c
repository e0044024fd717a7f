// tests/fuzz/replay_main.c - runs a libFuzzer target over files, as a test.
//
// Without -Dfuzz=true each target is linked with this driver instead of
// libFuzzer, and meson replays the target's seed corpus (and any crash
// reproducers kept there) on every test run, so a fixed crash stays fixed
// (libgit2's fuzzers/standalone_driver idea). Arguments are files or
// directories (one level deep); a missing directory is skipped with a message.
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "replay: cannot open %s\n", path);
		return -1;
	}
	uint8_t *buf = NULL;
	size_t   len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap         = cap ? cap * 2 : 65536;
			uint8_t *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	size_t files = 0;
	int    failures = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			printf("replay: %s does not exist; skipped\n", argv[i]);
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			failures += run_file(argv[i]) != 0;
			files++;
			continue;
		}
		DIR *dir = opendir(argv[i]);
		if (dir == NULL)
			continue;
		struct dirent *e;
		while ((e = readdir(dir)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				failures += run_file(path) != 0;
				files++;
			}
		}
		closedir(dir);
	}
	printf("replay: %zu inputs, %d unreadable\n", files, failures);
	if (files == 0) {
		fprintf(stderr, "replay: no inputs found\n");
		return 1;
	}
	return failures ? 1 : 0;
}
