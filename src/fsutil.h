/* fsutil.h - small file-system helpers. */
#ifndef DROVER_FSUTIL_H
#define DROVER_FSUTIL_H

#include <stddef.h>

#include "err.h"

/* Reads a whole regular file of at most max bytes into a NUL-terminated
 * buffer the caller frees; NULL with e set ("cannot open: ...", "is a
 * directory", "too large"). */
char *fs_read_file(const char *path, size_t max, size_t *len, struct err *e);
/* The same, and a pipe too (an args file given as /dev/fd/N or /dev/stdin,
 * so that no secret has to be on a command line or on disk): read to its
 * end, "too large" past max. */
char *fs_read_file_or_pipe(const char *path, size_t max, size_t *len, struct err *e);
/* Removes everything in the directory dirfd, subdirectories with what they
 * hold, never following a symbolic link, and giving directories of ours
 * made read-only back the rights that takes; -1 with errno set at the
 * first entry that cannot be removed (ELOOP: nested more than 32 deep). */
int fs_empty_dir(int dirfd);

#endif
