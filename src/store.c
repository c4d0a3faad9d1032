/* store.c - the history's connection: opening (creating and migrating)
 * and closing.
 *
 * Readers (ls, show, logs) use the connection of store_open; a run's
 * writer (store_writer.c) opens one of its own with store_configure's
 * settings.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "share.h"
#include "store_impl.h"
#include "xmalloc.h"

/* ---- opening ---- */

/* mkdir -p of path's directory, mode 0700 for what it creates. */
static int
store_make_parents(const char *path, struct err *e)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	struct stat sb;
	int rc = 0;

	if (slash == NULL || slash == dir) {
		free(dir);
		return 0;
	}
	*slash = '\0';
	for (char *p = dir + 1, c; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			rc = err_set(e, "cannot create the directory %s for the history %s: %s",
			    dir, path, strerror(errno));
			break;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	if (rc == 0 && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
		rc = err_set(e, "cannot open the history %s: %s is not a directory", path, dir);
	free(dir);
	return rc;
}

/* The settings every connection gets; journal_mode is the file's and
 * sticks once set. */
int
store_configure(sqlite3 *db, bool readonly)
{
	int rc;

	sqlite3_busy_timeout(db, STORE_BUSY_MS);
	if (!readonly) {
		rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	return sqlite3_exec(db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", NULL,
	    NULL, NULL);
}

/* The history holds commands and outputs: it is the user's alone (0600),
 * or, in a directory its group shares (share.h), the group's (0660); SQLite
 * gives its -wal and -shm files the database file's mode.  A history an
 * older drover left readable by others is closed up. */
static void
store_make_private(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	/* SQLite keeps the -wal and -shm beside the file a link leads to. */
	char *real = realpath(path, NULL);
	const char *base = real != NULL ? real : path;
	char *dir = xstrdup(base), *slash = strrchr(dir, '/');
	mode_t dmode, fmode;

	if (slash != NULL)
		slash[slash == dir ? 1 : 0] = '\0';
	share_modes(slash != NULL ? dir : ".", &dmode, &fmode);
	free(dir);
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		char *p = xasprintf("%s%s", base, suffixes[i]);
		int fd = open(p, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (i == 0 ? O_CREAT : 0),
		    fmode);
		struct stat st;

		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid() && (st.st_mode & 0777 & ~fmode) != 0)
			fchmod(fd, st.st_mode & fmode);
		else if (fd >= 0 && fmode == 0660 && st.st_uid == geteuid() &&
		    (st.st_mode & 0660) != 0660)
			fchmod(fd, (st.st_mode | 0660) & 0660);	/* a new one, under the umask */
		if (fd >= 0)
			close(fd);
		free(p);
	}
	free(real);
}

struct store *
store_open(const char *path, bool readonly, struct err *e)
{
	struct store *s = xcalloc(1, sizeof *s);
	struct err we;
	int flags, rc;

	s->path = xstrdup(path);
	s->readonly = readonly;
	if (readonly) {
		if (access(path, F_OK) != 0 && errno == ENOENT)
			return s;	/* nothing was ever recorded here */
		flags = SQLITE_OPEN_READONLY;
	} else {
		if (store_make_parents(path, e) < 0)
			goto fail;
		store_make_private(path);
		flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	}
	rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc == SQLITE_OK)
		rc = store_configure(s->db, readonly);
	if (rc != SQLITE_OK) {
		store_errf(e, s->db, rc, "cannot open the history %s", path);
		goto fail;
	}
	if ((rc = store_migrate(s, e)) == STORE_OUTDATED) {
		/* A reader of an older history upgrades it, when it may write. */
		struct store *w = store_open(path, false, &we);

		store_close(s);
		if (w == NULL) {
			err_set(e, "%s, which this user cannot do (%s): run drover once as a user "
			    "who may write it", e->msg, we.msg);
			return NULL;
		}
		store_close(w);
		return store_open(path, true, e);
	}
	if (rc < 0)
		goto fail;
	return s;

fail:
	store_close(s);
	return NULL;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

int
store_begin(struct store *s, struct err *e)
{
	int rc;

	if (store_writable(s, e) < 0)
		return -1;
	if ((rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK)
		return store_errf(e, s->db, rc, "cannot write the history %s", s->path);
	return 0;
}

int
store_end(struct store *s, bool commit, struct err *e)
{
	int rc = SQLITE_OK;

	if (commit && (rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL)) == SQLITE_OK)
		return 0;
	if (commit)
		store_errf(e, s->db, rc, "cannot write the history %s", s->path);
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return commit ? -1 : 0;
}

char *
store_default_path(void)
{
	const char *v = getenv("DROVER_DB"), *home;

	if (v != NULL && *v != '\0')
		return xstrdup(v);
	if (share_get()->on)
		return xstrdup(share_get()->history);
	v = getenv("XDG_STATE_HOME");
	/* The XDG spec ignores relative values. */
	if (v != NULL && *v == '/')
		return xasprintf("%s/drover/history.db", v);
	home = getenv("HOME");
	if (home == NULL || *home == '\0')
		home = "/";
	return xasprintf("%s/.local/state/drover/history.db", strcmp(home, "/") == 0 ? "" : home);
}

int
store_writable(const struct store *s, struct err *e)
{
	if (s->readonly)
		return err_set(e, "the history %s was opened read-only", s->path);
	return 0;
}

int
store_no_run(const struct store *s, int64_t run, struct err *e)
{
	return err_set(e, "no run %" PRId64 " in the history (%s)", run, s->path);
}
