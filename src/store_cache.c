/* store_cache.c - reading and dropping the result cache (SPEC 4.1); the
 * writer keeps results and counts reuses (store_writer.c). */
#include "config.h"

#include <stdlib.h>

#include <sqlite3.h>

#include "json.h"
#include "store_impl.h"
#include "strbuf.h"

/* An entry as its columns say, from the statement's current row. */
static cJSON *
cache_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject(), *outputs;
	const char *text;

	cJSON_AddStringToObject(o, "workflow", store_col_text(st, 0));
	cJSON_AddStringToObject(o, "step", store_col_text(st, 1));
	cJSON_AddStringToObject(o, "key", store_col_text(st, 2));
	cJSON_AddNumberToObject(o, "created_at_us", (double)sqlite3_column_int64(st, 3));
	cJSON_AddNumberToObject(o, "expires_at_us", (double)sqlite3_column_int64(st, 4));
	cJSON_AddNumberToObject(o, "run", (double)sqlite3_column_int64(st, 5));
	text = store_col_text(st, 6);
	outputs = text != NULL ? cJSON_Parse(text) : NULL;
	cJSON_AddItemToObject(o, "outputs", outputs != NULL ? outputs : cJSON_CreateObject());
	if (store_col_null(st, 7))
		cJSON_AddNullToObject(o, "exit_code");
	else
		cJSON_AddNumberToObject(o, "exit_code", sqlite3_column_int(st, 7));
	cJSON_AddNumberToObject(o, "cost_usd", sqlite3_column_double(st, 8));
	cJSON_AddNumberToObject(o, "tokens_in", (double)sqlite3_column_int64(st, 9));
	cJSON_AddNumberToObject(o, "tokens_out", (double)sqlite3_column_int64(st, 10));
	cJSON_AddNumberToObject(o, "hits", (double)sqlite3_column_int64(st, 11));
	cJSON_AddNumberToObject(o, "saved_usd", sqlite3_column_double(st, 12));
	return o;
}

#define CACHE_COLUMNS "workflow, step, key, created_at, expires_at, run_id, outputs, " \
	"exit_code, cost_usd, tokens_in, tokens_out, hits, saved_usd"

int
store_cache_get(struct store *s, const char *workflow, const char *step, const char *key,
    int64_t now_us, cJSON **entry, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	*entry = NULL;
	if (s->db == NULL)
		return 0;
	rc = store_prepare(s->db, "SELECT " CACHE_COLUMNS " FROM cache"
	    " WHERE workflow = ?1 AND step = ?2 AND key = ?3 AND expires_at > ?4", &st);
	if (rc != SQLITE_OK) {
		/* A history older than the cache: nothing kept yet. */
		return rc == SQLITE_ERROR ? 0 : store_errf(e, s->db, rc, "cannot read the cache");
	}
	sqlite3_bind_text(st, 1, workflow, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, step, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_us);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*entry = cache_row(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_errf(e, s->db, rc, "cannot read the cache");
	return *entry != NULL;
}

int
store_cache_each(struct store *s, const char *workflow, store_run_fn *fn, void *ud,
    struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (s->db == NULL)
		return 0;
	rc = store_prepare(s->db, "SELECT " CACHE_COLUMNS " FROM cache"
	    " WHERE ?1 IS NULL OR workflow = ?1 ORDER BY workflow, step, created_at", &st);
	if (rc != SQLITE_OK)
		return rc == SQLITE_ERROR ? 0 : store_errf(e, s->db, rc, "cannot read the cache");
	store_bind_text(st, 1, workflow);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(ud, cache_row(st)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_errf(e, s->db, rc, "cannot read the cache");
	return 0;
}

int
store_cache_clear(struct store *s, const char *workflow, int64_t *dropped, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	*dropped = 0;
	if (store_writable(s, e) < 0)
		return -1;
	rc = store_prepare(s->db, "DELETE FROM cache WHERE ?1 IS NULL OR workflow = ?1", &st);
	if (rc != SQLITE_OK)
		return store_errf(e, s->db, rc, "cannot clear the cache");
	store_bind_text(st, 1, workflow);
	rc = sqlite3_step(st);
	*dropped = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_errf(e, s->db, rc, "cannot clear the cache");
	return 0;
}
