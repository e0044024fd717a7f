// common/mapfile.h - read-only memory mapping of input files (dumps, PDBs).
#ifndef DW_COMMON_MAPFILE_H
#define DW_COMMON_MAPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct dw_mapfile {
	const uint8_t *data; // mapped bytes (NULL for an empty file)
	size_t         len;
} dw_mapfile;

// dw_mapfile_open maps `path` read-only into `out`. DW_EIO when it cannot be
// opened or mapped, DW_ELIMIT past DW_MAX_FILE_BYTES. Close with dw_mapfile_close.
// If `why` is non-NULL it receives a static description of the failing step.
dw_err dw_mapfile_open(dw_mapfile *out, const char *path, const char **why);
// dw_mapfile_close unmaps; safe on a zeroed or already closed mapping.
void dw_mapfile_close(dw_mapfile *m);

#endif
