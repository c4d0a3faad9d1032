/* runlock.c - the lock file of a run (see runlock.h).
 *
 * Taking a lock:
 *
 *   mkdir DB-locks (modes from the database's directory), open it O_NOFOLLOW
 *   openat UUID.lock O_CREAT|O_NOFOLLOW|O_NONBLOCK -> a regular file, 1 link
 *   lock byte 1, waiting a moment       the record: nobody reads it half written
 *   lock byte 0, not waiting            the run -> held: read who holds it
 *   the name still refers to the file   else an owner that finished removed
 *                                       it: start again
 *   read the last owner, write ours, unlock byte 1
 *
 * Byte 0 is held for the owner's lifetime; byte 1 only while the record is
 * read or written, so a refused process names the new owner, never the
 * one before it.
 *
 * The lock belongs to the open file description, which is close-on-exec:
 * no step process inherits it, so none can keep a dead drover's run owned.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "json.h"
#include "runlock.h"
#include "share.h"
#include "xmalloc.h"

#define RUNLOCK_RECORD_MAX 16384
#define RUNLOCK_TRIES 5
#define RUNLOCK_OWNER_BYTE 0	/* held by the owner */
#define RUNLOCK_RECORD_BYTE 1	/* held while the record is read or written */
#define RUNLOCK_RECORD_WAITS 200	/* of 10 ms */

struct runlock {
	int dfd, fd;
	char name[48];		/* UUID.lock */
	char *path;		/* for messages */
};

void
runlock_owner_self(struct runlock_owner *me, const char *user, const char *host)
{
	memset(me, 0, sizeof *me);
	me->pid = (int)getpid();
	snprintf(me->user, sizeof me->user, "%s", user);
	snprintf(me->host, sizeof me->host, "%s", host);
	event_time_rfc3339(event_now(), me->since, sizeof me->since);
}

/* A UUID as the history writes them: nothing that could leave the lock
 * directory. */
static bool
runlock_uuid_ok(const char *uuid)
{
	size_t n = strspn(uuid, "0123456789abcdef-");

	return n == 36 && uuid[n] == '\0';
}

/* Directory mode and file mode for locks beside the database: the group
 * may use them when it may use the database's directory. */
static void
runlock_modes(const char *db_path, mode_t *dmode, mode_t *fmode)
{
	char *dir = xstrdup(db_path), *slash = strrchr(dir, '/');

	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	share_modes(slash != NULL ? dir : ".", dmode, fmode);
	free(dir);
}

/* Opens (creating it) the lock directory; -1 with e set. */
static int
runlock_open_dir(const char *db_path, mode_t *fmode, struct err *e)
{
	char *dir = xasprintf("%s-locks", db_path);
	mode_t dmode;
	struct stat st;
	bool made;
	int dfd;

	runlock_modes(db_path, &dmode, fmode);
	made = mkdir(dir, dmode) == 0;
	if (!made && errno != EEXIST) {
		err_set(e, "cannot create the lock directory %s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		err_set(e, "cannot open the lock directory %s: %s", dir,
		    errno == ELOOP || errno == ENOTDIR ? "it is not a directory (a symbolic "
		    "link or a file?): remove it" : strerror(errno));
		free(dir);
		return -1;
	}
	if (made && dmode != 0700)
		fchmod(dfd, dmode);	/* the umask may have taken the group's bits */
	if (fstat(dfd, &st) == 0 && (st.st_mode & S_IWOTH) != 0) {
		err_set(e, "the lock directory %s is writable by everyone, so anyone could "
		    "take a run from its owner: make it 0700 (or 2770 for a group)", dir);
		close(dfd);
		dfd = -1;
	}
	free(dir);
	return dfd;
}

static void
runlock_parse(const char *text, struct runlock_owner *o)
{
	cJSON *j = cJSON_Parse(text);
	const char *s;

	memset(o, 0, sizeof *o);
	if (j == NULL)
		return;
	o->pid = (int)json_num(j, "pid", 0);
	if ((s = json_str(j, "host")) != NULL)
		snprintf(o->host, sizeof o->host, "%s", s);
	if ((s = json_str(j, "user")) != NULL)
		snprintf(o->user, sizeof o->user, "%s", s);
	if ((s = json_str(j, "since")) != NULL)
		snprintf(o->since, sizeof o->since, "%s", s);
	if ((s = json_str(j, "cgroup")) != NULL)
		snprintf(o->cgroup, sizeof o->cgroup, "%s", s);
	cJSON_Delete(j);
}

static void
runlock_read(int fd, struct runlock_owner *o)
{
	char buf[RUNLOCK_RECORD_MAX];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	runlock_parse(buf, o);
}

static int
runlock_write(struct runlock *l, const struct runlock_owner *me, struct err *e)
{
	cJSON *j = cJSON_CreateObject();
	char *json, *text;
	size_t len;

	cJSON_AddNumberToObject(j, "pid", me->pid);
	cJSON_AddStringToObject(j, "host", me->host);
	cJSON_AddStringToObject(j, "user", me->user);
	cJSON_AddStringToObject(j, "since", me->since);
	cJSON_AddStringToObject(j, "cgroup", me->cgroup);
	json = json_text(j, false);
	cJSON_Delete(j);
	text = xasprintf("%s\n", json);
	free(json);
	len = strlen(text);
	errno = EIO;	/* what a short write means */
	if (ftruncate(l->fd, 0) < 0 || pwrite(l->fd, text, len, 0) != (ssize_t)len) {
		free(text);
		return err_set(e, "cannot write the lock file %s: %s", l->path, strerror(errno));
	}
	free(text);
	return 0;
}

/* Locks (F_WRLCK) or unlocks (F_UNLCK) one byte of the file; wait: for the
 * record's byte, held only for a moment by whoever writes or reads it. */
static int
runlock_byte(int fd, off_t byte, short type, bool wait)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1 };
	struct timespec pause = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < (wait ? RUNLOCK_RECORD_WAITS : 1); i++) {
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES)
			return -1;
		if (wait)
			nanosleep(&pause, NULL);
	}
	errno = EAGAIN;
	return -1;
}

/* Opens and locks the file once, and writes me in it; 1 when it was
 * removed meanwhile (try again), 0 with the lock, -1 with e set. */
static int
runlock_try(struct runlock *l, mode_t fmode, const struct runlock_owner *me,
    struct runlock_owner *prev, bool *held, struct err *e)
{
	struct stat st, now;
	int rc, locked;

	l->fd = openat(l->dfd, l->name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	    fmode);
	if (l->fd < 0)
		return err_set(e, "cannot open the lock file %s: %s", l->path, errno == ELOOP ?
		    "it is a symbolic link, which drover does not follow: remove it" :
		    strerror(errno));
	if (fstat(l->fd, &st) < 0)
		return err_set(e, "cannot read the lock file %s: %s", l->path, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
		return err_set(e, "the lock file %s is not a plain file (%s): remove it", l->path,
		    !S_ISREG(st.st_mode) ? "a FIFO, a device or a directory" :
		    "it has other hard links");
	if (st.st_uid == geteuid() && (st.st_mode & 07777) != fmode)
		fchmod(l->fd, fmode);
	if (runlock_byte(l->fd, RUNLOCK_RECORD_BYTE, F_WRLCK, true) < 0)
		return err_set(e, "cannot lock %s: %s", l->path, errno == EAGAIN ?
		    "another process keeps it locked" : strerror(errno));
	locked = runlock_byte(l->fd, RUNLOCK_OWNER_BYTE, F_WRLCK, false) == 0 ? 0 : errno;
	if (locked == EAGAIN) {
		*held = true;
		runlock_read(l->fd, prev);
		rc = err_set(e, "the run is owned by another drover process");
	} else if (locked != 0) {
		rc = err_set(e, "cannot lock %s: %s", l->path, strerror(locked));
	} else if (fstatat(l->dfd, l->name, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
	    now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
		/* An owner that finished removes the file while it holds the
		 * lock: a lock on a file no longer there is nobody's. */
		rc = 1;
	} else {
		runlock_read(l->fd, prev);
		rc = runlock_write(l, me, e);
	}
	runlock_byte(l->fd, RUNLOCK_RECORD_BYTE, F_UNLCK, false);
	if (rc == 1) {
		close(l->fd);
		l->fd = -1;
	}
	return rc;
}

struct runlock *
runlock_take(const char *db_path, const char *uuid, const struct runlock_owner *me,
    struct runlock_owner *prev, bool *held, struct err *e)
{
	struct runlock *l;
	mode_t fmode;
	int rc = 1;

	*held = false;
	memset(prev, 0, sizeof *prev);
	if (!runlock_uuid_ok(uuid)) {
		err_set(e, "'%s' is not a run UUID", uuid);
		return NULL;
	}
	l = xcalloc(1, sizeof *l);
	l->fd = -1;
	snprintf(l->name, sizeof l->name, "%s.lock", uuid);
	l->path = xasprintf("%s-locks/%s", db_path, l->name);
	if ((l->dfd = runlock_open_dir(db_path, &fmode, e)) < 0) {
		free(l->path);
		free(l);
		return NULL;
	}
	for (int i = 0; rc == 1 && i < RUNLOCK_TRIES; i++)
		rc = runlock_try(l, fmode, me, prev, held, e);
	if (rc == 1)
		err_set(e, "cannot lock %s: it keeps being removed", l->path);
	if (rc != 0) {
		runlock_release(l, false);
		return NULL;
	}
	return l;
}

int
runlock_set_owner(struct runlock *l, const struct runlock_owner *me, struct err *e)
{
	int rc;

	if (runlock_byte(l->fd, RUNLOCK_RECORD_BYTE, F_WRLCK, true) < 0)
		return err_set(e, "cannot lock %s: %s", l->path, strerror(errno));
	rc = runlock_write(l, me, e);
	runlock_byte(l->fd, RUNLOCK_RECORD_BYTE, F_UNLCK, false);
	return rc;
}

void
runlock_release(struct runlock *l, bool ended)
{
	struct stat st, now;

	if (l == NULL)
		return;
	/* Removed while still locked, so nobody locks a file about to go. */
	if (ended && l->fd >= 0 && fstat(l->fd, &st) == 0 &&
	    fstatat(l->dfd, l->name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    now.st_dev == st.st_dev && now.st_ino == st.st_ino)
		unlinkat(l->dfd, l->name, 0);
	if (l->fd >= 0)
		close(l->fd);
	close(l->dfd);
	free(l->path);
	free(l);
}

enum runlock_state
runlock_probe(const char *db_path, const char *uuid)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
	    .l_start = RUNLOCK_OWNER_BYTE, .l_len = 1 };
	enum runlock_state state = RUNLOCK_UNKNOWN;
	struct stat st;
	char *path;
	int fd;

	if (!runlock_uuid_ok(uuid))
		return RUNLOCK_UNKNOWN;
	path = xasprintf("%s-locks/%s.lock", db_path, uuid);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return errno == ENOENT ? RUNLOCK_FREE : RUNLOCK_UNKNOWN;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fcntl(fd, F_OFD_GETLK, &fl) == 0)
		state = fl.l_type == F_UNLCK ? RUNLOCK_FREE : RUNLOCK_HELD;
	close(fd);
	return state;
}
