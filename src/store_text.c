/* store_text.c - the text of a run's log chunks, in a file per run beside
 * the history (store_impl.h says why). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "share.h"
#include "store_impl.h"
#include "xmalloc.h"

char *
store_run_file(const char *db, int64_t run, const char *ext)
{
	return xasprintf("%s-logs/%" PRId64 ".%s", db, run, ext);
}

char *
store_text_path(const char *db, int64_t run)
{
	return store_run_file(db, run, "txt");
}

void
store_text_out_init(struct store_text_out *o, char *path)
{
	o->path = path;
	o->fd = -1;
	o->size = 0;
	o->error = 0;
}

void
store_text_out_fini(struct store_text_out *o)
{
	if (o->fd >= 0)
		close(o->fd);
	free(o->path);
	o->path = NULL;
	o->fd = -1;
}

/* Whether the file's directory is one, not a link to somewhere else (in a
 * shared history's directory any member could have put one there). */
bool
store_run_dir_ok(const char *file)
{
	char *dir = xstrdup(file), *slash = strrchr(dir, '/');
	struct stat st;
	bool ok;

	*slash = '\0';
	ok = lstat(dir, &st) == 0 && S_ISDIR(st.st_mode);
	free(dir);
	return ok;
}

/* Opens the file for appending, making its directory with the history's
 * modes (share.h: the user's alone, or a group's that shares the
 * history's directory). */
static int
text_open(struct store_text_out *o)
{
	char *dir = xstrdup(o->path), *slash = strrchr(dir, '/'), *up;
	mode_t dmode, fmode;
	struct stat st;

	*slash = '\0';
	up = xstrdup(dir);
	if ((slash = strrchr(up, '/')) != NULL)
		slash[slash == up ? 1 : 0] = '\0';
	share_modes(slash != NULL ? up : ".", &dmode, &fmode);
	free(up);
	if (mkdir(dir, dmode) == 0 && dmode != 0700)
		chmod(dir, dmode);	/* the umask may have taken the group's bits */
	free(dir);
	if (!store_run_dir_ok(o->path)) {
		o->error = ENOTDIR;
		return -1;
	}
	/* Not through a link, and a FIFO put there must not hang the writer. */
	o->fd = open(o->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
	    fmode);
	if (o->fd >= 0 && (fstat(o->fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(o->fd);
		o->fd = -1;
		errno = EINVAL;
	}
	if (o->fd < 0) {
		o->error = errno;
		return -1;
	}
	/* The umask may have taken the group's bits of a shared history's. */
	if ((st.st_mode & 0777) != fmode && st.st_uid == geteuid())
		fchmod(o->fd, fmode);
	o->size = (uint64_t)st.st_size;
	return 0;
}

int
store_text_append(struct store_text_out *o, const char *data, size_t len, uint64_t *off)
{
	size_t done = 0;

	if (o->fd < 0 && text_open(o) < 0)
		return -1;
	*off = o->size;
	while (done < len) {
		ssize_t n = write(o->fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			o->error = n < 0 ? errno : EIO;
			/* What was written is left there, unreferenced: the
			 * retry appends the whole chunk again after it. */
			o->size += done;
			return -1;
		}
		done += (size_t)n;
	}
	o->size += len;
	return 0;
}

void
store_run_path_remove(const char *path)
{
	if (store_run_dir_ok(path))
		unlink(path);
}

void
store_run_file_remove(const char *db, int64_t run, const char *ext)
{
	char *path = store_run_file(db, run, ext);

	store_run_path_remove(path);
	free(path);
}

int
store_run_file_open(const char *path)
{
	struct stat st;
	int fd = -1;

	if (!store_run_dir_ok(path))
		errno = ENOTDIR;
	else
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
		errno = EINVAL;
	}
	return fd;
}

int
store_text_read(const char *db, int64_t run, uint64_t off, size_t len, char **buf,
    size_t *cap, struct err *e)
{
	char *path = store_text_path(db, run);
	size_t done = 0;
	int fd;

	if ((fd = store_run_file_open(path)) < 0) {
		err_set(e, "the log text of run %" PRId64 " is missing: %s: %s", run, path,
		    strerror(errno));
		free(path);
		return -1;
	}
	xgrow(buf, cap, len + 1, 1);
	while (done < len) {
		ssize_t n = pread(fd, *buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_set(e, "the log text of run %" PRId64 " is cut short: %s ends before "
			    "byte %" PRIu64 "%s%s", run, path, off + len, n < 0 ? ": " : "",
			    n < 0 ? strerror(errno) : "");
			close(fd);
			free(path);
			return -1;
		}
		done += (size_t)n;
	}
	(*buf)[len] = '\0';
	close(fd);
	free(path);
	return 0;
}
