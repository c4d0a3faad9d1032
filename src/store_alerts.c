/* store_alerts.c - what alert rules read of the history (the runs of a
 * window, a step's durations in it) and the state they leave in it. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_impl.h"
#include "xmalloc.h"

#define IN_WINDOW "started_at >= ?1 AND (?2 IS NULL OR workflow = ?2)"

static sqlite3_stmt *
window_stmt(struct store *s, const char *sql, const char *workflow, int64_t since_us,
    struct err *e)
{
	sqlite3_stmt *st;
	int rc = store_prepare(s->db, sql, &st);

	if (rc != SQLITE_OK) {
		store_errf(e, s->db, rc, "cannot read the history for alerts");
		return NULL;
	}
	sqlite3_bind_int64(st, 1, since_us);
	if (workflow != NULL)
		sqlite3_bind_text(st, 2, workflow, -1, SQLITE_STATIC);
	return st;
}

int
store_window_runs(struct store *s, const char *workflow, int64_t since_us,
    struct store_window *w, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	memset(w, 0, sizeof *w);
	if (s->db == NULL)
		return 0;
	st = window_stmt(s, "SELECT count(*), count(ended_at), total(status = 'succeeded'),"
	    " total(status IN ('failed', 'timed_out', 'budget_exceeded')), total(cost_usd)"
	    " FROM runs WHERE " IN_WINDOW, workflow, since_us, e);
	if (st == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		w->started = (size_t)sqlite3_column_int64(st, 0);
		w->ended = (size_t)sqlite3_column_int64(st, 1);
		w->succeeded = (size_t)sqlite3_column_double(st, 2);
		w->errors = (size_t)sqlite3_column_double(st, 3);
		w->cost_usd = sqlite3_column_double(st, 4);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return store_errf(e, s->db, rc, "cannot read the history for alerts");
	return 0;
}

int
store_window_durations(struct store *s, const char *workflow, const char *step,
    int64_t since_us, double **v, size_t *n, struct err *e)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	*v = NULL;
	*n = 0;
	if (s->db == NULL)
		return 0;
	st = window_stmt(s, "SELECT st.duration_ms FROM steps st WHERE st.run_id IN"
	    " (SELECT id FROM runs WHERE " IN_WINDOW ") AND st.id = ?3"
	    " AND st.status = 'succeeded' AND NOT st.cached AND st.duration_ms IS NOT NULL",
	    workflow, since_us, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 3, step, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		xgrow(v, &cap, *n + 1, sizeof **v);
		(*v)[(*n)++] = (double)sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_errf(e, s->db, rc, "cannot read the history for alerts");
	return 0;
}

int
store_alert_set(struct store *s, const char *name, bool firing, double value,
    int64_t now_us, int64_t run, struct err *e)
{
	sqlite3_stmt *st;
	int rc, began;

	if (store_writable(s, e) < 0)
		return -1;
	/* One statement: whoever turns firing from 0 to 1 is told so, and
	 * only they notify. */
	rc = store_prepare(s->db, "INSERT INTO alerts (name, firing, value, checked_at, fired_at,"
	    " fired, run_id) VALUES (?1, ?2, ?3, ?4, CASE WHEN ?2 THEN ?4 END, ?2, ?5)"
	    " ON CONFLICT (name) DO UPDATE SET value = ?3, checked_at = ?4, run_id = ?5,"
	    " fired_at = CASE WHEN ?2 AND NOT firing THEN ?4 ELSE fired_at END,"
	    " fired = fired + (?2 AND NOT firing), firing = ?2"
	    " RETURNING fired_at = ?4 AND ?2", &st);
	if (rc != SQLITE_OK)
		return store_errf(e, s->db, rc, "cannot record alert '%s'", name);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, firing);
	if (isnan(value))
		sqlite3_bind_null(st, 3);	/* no data */
	else
		sqlite3_bind_double(st, 3, value);
	sqlite3_bind_int64(st, 4, now_us);
	sqlite3_bind_int64(st, 5, run);
	rc = sqlite3_step(st);
	began = rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
	if (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_errf(e, s->db, rc, "cannot record alert '%s'", name);
	return began;
}

int
store_alert_each(struct store *s, store_run_fn *fn, void *ud, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (s->db == NULL)
		return 0;
	rc = store_prepare(s->db, "SELECT name, firing, value, checked_at, fired_at, fired, run_id"
	    " FROM alerts ORDER BY name", &st);
	if (rc != SQLITE_OK)
		return store_errf(e, s->db, rc, "cannot read the alerts");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", store_col_text(st, 0));
		cJSON_AddBoolToObject(o, "firing", sqlite3_column_int(st, 1) != 0);
		if (store_col_null(st, 2))
			cJSON_AddNullToObject(o, "value");
		else
			cJSON_AddNumberToObject(o, "value", sqlite3_column_double(st, 2));
		cJSON_AddNumberToObject(o, "checked_at_us", (double)sqlite3_column_int64(st, 3));
		if (store_col_null(st, 4))
			cJSON_AddNullToObject(o, "fired_at_us");
		else
			cJSON_AddNumberToObject(o, "fired_at_us", (double)sqlite3_column_int64(st, 4));
		cJSON_AddNumberToObject(o, "fired", (double)sqlite3_column_int64(st, 5));
		cJSON_AddNumberToObject(o, "run", (double)sqlite3_column_int64(st, 6));
		if (fn(ud, o) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_errf(e, s->db, rc, "cannot read the alerts");
	return 0;
}
