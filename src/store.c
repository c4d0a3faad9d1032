/* store.c - the history's connection: opening (creating and migrating),
 * closing, and the error and SQLite helpers its other files share
 * (store_impl.h lists them).
 *
 * Readers (ls, show, logs) use the connection of store_open; a run's
 * writer (store_writer.c) opens one of its own with store_configure's
 * settings.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_impl.h"
#include "xmalloc.h"

/* ---- errors ---- */

/* "PREFIX: what SQLite says", adding the system's reason when SQLite's
 * message alone ("unable to open database file") does not tell why. */
int
store_errf(struct err *e, sqlite3 *db, int rc, const char *fmt, ...)
{
	char prefix[768];
	va_list ap;
	const char *msg;
	int sys = 0;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	if (db != NULL && sqlite3_errcode(db) != SQLITE_OK) {
		msg = sqlite3_errmsg(db);
		rc = sqlite3_errcode(db);
		sys = sqlite3_system_errno(db);
	} else {
		msg = sqlite3_errstr(rc);
	}
	switch (rc & 0xff) {
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_FULL:
	case SQLITE_PERM:
		if (sys != 0)
			return err_set(e, "%s: %s (%s)", prefix, msg, strerror(sys));
		break;
	}
	return err_set(e, "%s: %s", prefix, msg);
}

/* ---- small SQLite helpers ---- */

int
store_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v2(db, sql, -1, st, NULL);
}

int
store_step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_reset(st);
	return rc;
}

void
store_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

void
store_bind_bytes(sqlite3_stmt *st, int i, const char *s, size_t len)
{
	if (s != NULL)
		sqlite3_bind_text64(st, i, len > 0 ? s : "", len, SQLITE_STATIC, SQLITE_UTF8);
	else
		sqlite3_bind_null(st, i);
}

bool
store_col_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL;
}

const char *
store_col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

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
 * and SQLite gives its -wal and -shm files the database file's mode.  A
 * history an older drover left readable by others is closed up. */
static void
store_make_private(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };

	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		char *p = xasprintf("%s%s", path, suffixes[i]);
		int fd = open(p, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (i == 0 ? O_CREAT : 0),
		    0600);
		struct stat st;

		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid() && (st.st_mode & 077) != 0)
			fchmod(fd, st.st_mode & 0700);
		if (fd >= 0)
			close(fd);
		free(p);
	}
}

struct store *
store_open(const char *path, bool readonly, struct err *e)
{
	struct store *s = xcalloc(1, sizeof *s);
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
	if (store_migrate(s, e) < 0)
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

char *
store_default_path(void)
{
	const char *v = getenv("DROVER_DB"), *home;

	if (v != NULL && *v != '\0')
		return xstrdup(v);
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
