/* fsutil.h - small file-system helpers. */
#ifndef DROVER_FSUTIL_H
#define DROVER_FSUTIL_H

#include <stddef.h>

#include "err.h"

/* Reads a whole regular file of at most max bytes into a NUL-terminated
 * buffer the caller frees; NULL with e set ("cannot open: ...", "is a
 * directory", "too large"). */
char *fs_read_file(const char *path, size_t max, size_t *len, struct err *e);

#endif
