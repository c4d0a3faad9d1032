/* fsutil.c - small file-system helpers. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "xmalloc.h"

char *
fs_read_file(const char *path, size_t max, size_t *len, struct err *e)
{
	struct stat st;
	size_t got = 0;
	ssize_t n = 0;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		err_set(e, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(e, "%s", S_ISDIR(st.st_mode) ? "is a directory, not a file" :
		    "not a regular file");
		close(fd);
		return NULL;
	}
	if ((size_t)st.st_size > max) {
		err_set(e, "the file is too large (%lld bytes; the limit is %zu)",
		    (long long)st.st_size, max);
		close(fd);
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (n < 0) {
		err_set(e, "cannot read: %s", strerror(errno));
		free(buf);
		close(fd);
		return NULL;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

char *
fs_read_file_or_pipe(const char *path, size_t max, size_t *len, struct err *e)
{
	struct stat st;
	size_t got = 0, cap = 4096;
	ssize_t n;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		err_set(e, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		close(fd);
		return fs_read_file(path, max, len, e);
	}
	buf = xmalloc(cap + 1);
	while ((n = read(fd, buf + got, cap - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(e, "cannot read: %s", strerror(errno));
			break;
		}
		got += (size_t)n;
		if (got > max) {
			err_set(e, "more than %zu bytes: too large", max);
			break;
		}
		if (got == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	close(fd);
	if (n != 0) {
		free(buf);
		return NULL;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* Directories deeper than this under the one being emptied are refused
 * (ELOOP): each level holds a descriptor and a directory stream. */
#define EMPTY_DEPTH_MAX 32

static int empty_dir_at(int dirfd, int depth);

/* Opens the directory name of dirfd, never through a symbolic link; one
 * its owner made unreadable gets its rights back first, through a handle
 * on the directory itself (the path might be swapped for a link). */
static int
open_dir_to_empty(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), pfd, rc;
	char self[40];

	if (fd >= 0 || errno != EACCES)
		return fd;
	pfd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return -1;
	snprintf(self, sizeof self, "/proc/self/fd/%d", pfd);
	rc = chmod(self, S_IRWXU);
	close(pfd);
	if (rc < 0) {
		errno = EACCES;
		return -1;
	}
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* unlinkat, an entry already gone counting as removed. */
static int
unlink_gone(int dirfd, const char *name, int flags)
{
	return unlinkat(dirfd, name, flags) == 0 || errno == ENOENT ? 0 : -1;
}

/* Removes the entry name of dirfd; a directory with all it holds.  A
 * symbolic link is removed, never followed. */
static int
remove_entry(int dirfd, const char *name, unsigned char type, int depth)
{
	struct stat st;
	int fd, saved;

	if (type == DT_UNKNOWN)
		type = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
	if (type != DT_DIR)
		return unlink_gone(dirfd, name, 0);
	if (unlink_gone(dirfd, name, AT_REMOVEDIR) == 0)
		return 0;
	if (errno == ENOTDIR)		/* swapped for a link or a file */
		return unlink_gone(dirfd, name, 0);
	if (errno != ENOTEMPTY && errno != EEXIST)
		return -1;
	if (depth >= EMPTY_DEPTH_MAX) {
		errno = ELOOP;
		return -1;
	}
	if ((fd = open_dir_to_empty(dirfd, name)) < 0)
		return errno == ELOOP || errno == ENOTDIR ? unlink_gone(dirfd, name, 0) :
		    errno == ENOENT ? 0 : -1;
	if (empty_dir_at(fd, depth + 1) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return unlink_gone(dirfd, name, AT_REMOVEDIR);
}

/* Empties dirfd, first giving its owner back the rights that takes. */
static int
empty_dir_at(int dirfd, int depth)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0), rc = 0, saved;
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & S_IRWXU) != S_IRWXU &&
	    st.st_uid == geteuid())
		(void)fchmod(fd, (st.st_mode & 07777) | S_IRWXU);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);	/* the duplicate shares dirfd's offset: start from the top */
	while (rc == 0 && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			rc = remove_entry(dirfd, de->d_name, de->d_type, depth);
	saved = errno;
	closedir(d);
	errno = saved;
	return rc;
}

int
fs_empty_dir(int dirfd)
{
	return empty_dir_at(dirfd, 0);
}
