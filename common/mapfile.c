#define _POSIX_C_SOURCE 200809L
#include "common/mapfile.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/limits.h"

dw_err
dw_mapfile_open(dw_mapfile *out, const char *path, const char **why)
{
	out->data = NULL;
	out->len  = 0;
	const char *dummy;
	if (why == NULL)
		why = &dummy;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*why = "cannot open";
		return DW_EIO;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		*why = "not a regular file";
		return DW_EIO;
	}
	if ((unsigned long long)st.st_size > DW_MAX_FILE_BYTES) {
		close(fd);
		*why = "file too large";
		return DW_ELIMIT;
	}
	if (st.st_size == 0) {
		close(fd);
		return DW_OK;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		*why = "cannot map";
		return DW_EIO;
	}
	out->data = p;
	out->len  = (size_t)st.st_size;
	return DW_OK;
}

void
dw_mapfile_close(dw_mapfile *m)
{
	if (m->data != NULL)
		munmap((void *)m->data, m->len);
	m->data = NULL;
	m->len  = 0;
}
