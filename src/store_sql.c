/* store_sql.c - the error and SQLite helpers every file of the history
 * shares (store_impl.h lists them).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store_impl.h"

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
