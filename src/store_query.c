/* store_query.c - the runs as ls and show read them: finding a run by
 * number or UUID prefix, the filtered and paged list, one run with its
 * steps, attempts and approvals, and its workflow text.
 *
 * Everything reads the connection of store_open; a run marked running
 * whose owner is gone (store_owner.c) is reported "interrupted".
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_impl.h"
#include "strbuf.h"
#include "xmalloc.h"

#define STORE_MIN_PREFIX 4

static bool
store_all_digits(const char *p)
{
	if (*p == '\0')
		return false;
	for (; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
	}
	return true;
}

int
store_run_exists(struct store *s, int64_t run)
{
	sqlite3_stmt *st;
	int rc = store_prepare(s->db, "SELECT 1 FROM runs WHERE id = ?1", &st);

	if (rc != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, run);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
store_find_prefix(struct store *s, const char *ref, int64_t *run, struct err *e)
{
	char prefix[64], upper[66];
	size_t n = 0, hex = 0;
	sqlite3_stmt *st;
	int rc, matches = 0;

	for (const char *p = ref; *p != '\0'; p++) {
		if (n + 1 >= sizeof prefix || !(isxdigit((unsigned char)*p) || *p == '-'))
			return err_set(e, "'%s' is not a run: give its number (42) or the start "
			    "of its UUID", ref);
		hex += *p != '-';
		prefix[n++] = (char)tolower((unsigned char)*p);
	}
	prefix[n] = '\0';
	if (hex < STORE_MIN_PREFIX)
		return err_set(e, "run prefix '%s' is too short: give at least %d characters of "
		    "the UUID", ref, STORE_MIN_PREFIX);
	if (s->db == NULL)
		return err_set(e, "no run matches '%s' in the history (%s)", ref, s->path);
	/* Every UUID character sorts before '~': a range the index answers. */
	snprintf(upper, sizeof upper, "%s~", prefix);
	rc = store_prepare(s->db, "SELECT id FROM runs WHERE uuid >= ?1 AND uuid < ?2", &st);
	if (rc != SQLITE_OK)
		return store_errf(e, s->db, rc, "cannot read the history %s", s->path);
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, upper, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (matches++ == 0)
			*run = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_errf(e, s->db, rc, "cannot read the history %s", s->path);
	if (matches == 0)
		return err_set(e, "no run matches '%s' in the history (%s)", ref, s->path);
	if (matches > 1)
		return err_set(e, "run prefix '%s' matches %d runs; give more of the UUID", ref,
		    matches);
	return 0;
}

int
store_find_run(struct store *s, const char *ref, int64_t *run, struct err *e)
{
	long long n;
	int rc;

	if (ref == NULL || *ref == '\0')
		return err_set(e, "no run given: give its number (42) or the start of its UUID");
	if (!store_all_digits(ref))
		return store_find_prefix(s, ref, run, e);
	errno = 0;
	n = strtoll(ref, NULL, 10);
	if (errno == ERANGE || n <= 0 || s->db == NULL)
		return err_set(e, "no run %s in the history (%s)", ref, s->path);
	rc = store_run_exists(s, n);
	if (rc < 0)
		return store_errf(e, s->db, SQLITE_ERROR, "cannot read the history %s", s->path);
	/* A UUID may begin with digits only: "20394817" is a prefix when no run
	 * has that number. */
	if (rc == 0 && strlen(ref) >= 4 && store_find_prefix(s, ref, run, NULL) == 0)
		return 0;
	if (rc == 0)
		return store_no_run(s, n, e);
	*run = n;
	return 0;
}

/* The columns store_json_run reads, in its order.  While a run is going,
 * its cost is the sum of its steps' so far. */
#define STORE_RUN_COLUMNS \
	"r.id, r.uuid, r.workflow, r.status, r.exit_code, r.user, r.host, r.started_at," \
	" r.ended_at, r.duration_ms," \
	" CASE WHEN r.status = 'running' THEN" \
	"  (SELECT total(cost_usd) FROM steps WHERE run_id = r.id) ELSE r.cost_usd END," \
	" CASE WHEN r.status = 'running' THEN" \
	"  (SELECT coalesce(sum(tokens_in), 0) FROM steps WHERE run_id = r.id)" \
	"  ELSE r.tokens_in END," \
	" CASE WHEN r.status = 'running' THEN" \
	"  (SELECT coalesce(sum(tokens_out), 0) FROM steps WHERE run_id = r.id)" \
	"  ELSE r.tokens_out END," \
	" r.args, r.file, r.retry_of, r.error, r.last_seq, r.pid"

enum {
	RC_ID, RC_UUID, RC_WORKFLOW, RC_STATUS, RC_EXIT, RC_USER, RC_HOST, RC_STARTED,
	RC_ENDED, RC_DURATION, RC_COST, RC_TIN, RC_TOUT, RC_ARGS, RC_FILE, RC_RETRY_OF,
	RC_ERROR, RC_LAST_SEQ, RC_PID,
};

static void
store_json_time(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	char buf[40];

	if (store_col_null(st, col)) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	event_time_rfc3339(sqlite3_column_int64(st, col), buf, sizeof buf);
	cJSON_AddStringToObject(o, key, buf);
}

static void
store_json_int(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	if (store_col_null(st, col))
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, (double)sqlite3_column_int64(st, col));
}

static void
store_json_text(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	const char *t = store_col_text(st, col);

	if (t == NULL)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, t);
}

/* Parsed JSON from a column; fallback (a fresh {} or null) when absent
 * or not JSON. */
static cJSON *
store_col_json(sqlite3_stmt *st, int col, bool object)
{
	const char *t = store_col_text(st, col);
	cJSON *j = NULL;

	if (t != NULL)
		j = cJSON_ParseWithLength(t, (size_t)sqlite3_column_bytes(st, col));
	if (j != NULL)
		return j;
	return object ? cJSON_CreateObject() : cJSON_CreateNull();
}

/* Whether a row's run is marked running but its owner is gone. */
static bool
store_row_interrupted(sqlite3_stmt *st, const struct store_here *h)
{
	const char *status = store_col_text(st, RC_STATUS);

	if (status == NULL || strcmp(status, "running") != 0)
		return false;
	return !store_owner_alive(h, store_col_text(st, RC_HOST), store_col_text(st, RC_UUID));
}

/* One run as ls shows it, from a row of STORE_RUN_COLUMNS. */
static cJSON *
store_json_run(sqlite3_stmt *st, const struct store_here *h, bool interrupted)
{
	cJSON *o = cJSON_CreateObject();
	const char *status = store_col_text(st, RC_STATUS);
	bool running = !interrupted && status != NULL && strcmp(status, "running") == 0;

	cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, RC_ID));
	store_json_text(o, "uuid", st, RC_UUID);
	store_json_text(o, "workflow", st, RC_WORKFLOW);
	cJSON_AddStringToObject(o, "status", interrupted ? run_status_name(RUN_INTERRUPTED) :
	    status != NULL ? status : "unknown");
	if (running || interrupted)
		cJSON_AddNullToObject(o, "exit_code");
	else
		store_json_int(o, "exit_code", st, RC_EXIT);
	store_json_text(o, "user", st, RC_USER);
	store_json_text(o, "host", st, RC_HOST);
	/* Who owns a live run: the process its lock names (runlock.h). */
	if (running)
		store_json_int(o, "pid", st, RC_PID);
	else
		cJSON_AddNullToObject(o, "pid");
	store_json_time(o, "started_at", st, RC_STARTED);
	store_json_time(o, "ended_at", st, RC_ENDED);
	if (!store_col_null(st, RC_DURATION))
		store_json_int(o, "duration_ms", st, RC_DURATION);
	else if (!store_col_null(st, RC_ENDED))
		cJSON_AddNumberToObject(o, "duration_ms", (double)((sqlite3_column_int64(st,
		    RC_ENDED) - sqlite3_column_int64(st, RC_STARTED)) / 1000));
	else if (running)
		cJSON_AddNumberToObject(o, "duration_ms",
		    (double)((h->now - sqlite3_column_int64(st, RC_STARTED)) / 1000));
	else
		cJSON_AddNullToObject(o, "duration_ms");	/* interrupted: nobody knows */
	cJSON_AddNumberToObject(o, "cost_usd", sqlite3_column_double(st, RC_COST));
	cJSON_AddNumberToObject(o, "tokens_in", (double)sqlite3_column_int64(st, RC_TIN));
	cJSON_AddNumberToObject(o, "tokens_out", (double)sqlite3_column_int64(st, RC_TOUT));
	cJSON_AddItemToObject(o, "args", store_col_json(st, RC_ARGS, true));
	store_json_text(o, "file", st, RC_FILE);
	store_json_int(o, "retry_of", st, RC_RETRY_OF);
	store_json_text(o, "error", st, RC_ERROR);
	return o;
}

#define STORE_FILTER_WORDS 16
#define STORE_WORD_PARAM 10	/* ?10, ?11...: the words of a filter text */

/* The words of a filter text, lower-cased, in words (at most
 * STORE_FILTER_WORDS); a word naming a status (after "status:" or alone)
 * goes to *status instead, once.  Returns the number of words, -1 when
 * there are too many or two statuses. */
static int
store_filter_words(char *copy, char **words, const char **status, struct err *e)
{
	char *save = NULL;
	int n = 0;

	for (char *w = strtok_r(copy, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		for (char *p = w; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strncmp(w, "status:", 7) == 0 || run_status_parse(w) >= 0) {
			w += strncmp(w, "status:", 7) == 0 ? 7 : 0;
			if (*status != NULL && strcmp(*status, w) != 0)
				return err_set(e, "a run has one status, not both '%s' and '%s'",
				    *status, w);
			*status = w;
			continue;
		}
		if (n == STORE_FILTER_WORDS)
			return err_set(e, "too many words in the filter (at most %d)",
			    STORE_FILTER_WORDS);
		words[n++] = w;
	}
	return n;
}

/* The SQL for word i of a filter text. */
static void
store_filter_sql(struct strbuf *sql, const char *w, int i)
{
	int p = STORE_WORD_PARAM + i;

	if (strncmp(w, "workflow:", 9) == 0) {
		sb_addf(sql, " AND instr(lower(r.workflow), substr(?%d, 10)) > 0", p);
		return;
	}
	sb_addf(sql, " AND (instr(lower(r.status), ?%d) > 0 OR instr(lower(r.workflow), ?%d) > 0"
	    " OR instr(lower(r.user), ?%d) > 0 OR substr(r.uuid, 1, length(?%d)) = ?%d", p, p, p, p,
	    p);
	if (store_all_digits(w))
		sb_addf(sql, " OR r.id = CAST(?%d AS INTEGER)", p);
	sb_adds(sql, ")");
}

int
store_each_run(struct store *s, const struct store_filter *f, store_run_fn *fn, void *ud,
    struct err *e)
{
	static const struct store_filter none = { 0 };
	struct strbuf sql = STRBUF_INIT;
	struct store_here h;
	sqlite3_stmt *st = NULL;
	const char *status;
	char *text = NULL, *words[STORE_FILTER_WORDS];
	int rc, want_live = -1, n = 0, n_words = 0, stop = 0;
	bool sql_limit;

	if (f == NULL)
		f = &none;
	status = f->status;
	if (f->text != NULL) {
		text = xstrdup(f->text);
		if ((n_words = store_filter_words(text, words, &status, e)) < 0) {
			free(text);
			return -1;
		}
	}
	if (status != NULL && run_status_parse(status) < 0) {
		err_set(e, "unknown run status '%s'; one of running, succeeded, failed, "
		    "cancelled, rejected, timed_out, budget_exceeded, interrupted", status);
		free(text);
		return -1;
	}
	if (s->db == NULL) {
		free(text);
		return 0;
	}
	/* "running" and "interrupted" are both running in SQL; C tells them apart. */
	if (status != NULL && strcmp(status, "running") == 0)
		want_live = 1;
	else if (status != NULL && strcmp(status, "interrupted") == 0)
		want_live = 0;
	sql_limit = want_live < 0 && f->limit > 0;

	sb_adds(&sql, "SELECT " STORE_RUN_COLUMNS " FROM runs r WHERE 1");
	if (status != NULL)
		sb_adds(&sql, " AND r.status = ?1");
	if (f->workflow != NULL)
		sb_adds(&sql, " AND r.workflow = ?2");
	/*
	 * Left to itself SQLite walks every run newest first to test started_at.
	 * The smallest id started since then (an index lookup) bounds that walk
	 * exactly, whatever the clock did; the + keeps the order by id.
	 */
	if (f->since_us > 0)
		sb_adds(&sql, " AND r.id >= (SELECT min(id) FROM runs INDEXED BY runs_started"
		    " WHERE started_at >= ?3)"
		    " AND +r.started_at >= ?3");
	if (f->before > 0)
		sb_adds(&sql, " AND r.id < ?5");
	if (f->after > 0)
		sb_adds(&sql, " AND r.id > ?6");
	for (int i = 0; i < n_words; i++)
		store_filter_sql(&sql, words[i], i);
	sb_adds(&sql, f->oldest_first ? " ORDER BY r.id" : " ORDER BY r.id DESC");
	if (sql_limit)
		sb_adds(&sql, " LIMIT ?4");
	rc = store_prepare(s->db, sb_str(&sql), &st);
	sb_fini(&sql);
	if (rc != SQLITE_OK)
		goto fail;
	if (status != NULL)
		sqlite3_bind_text(st, 1, want_live >= 0 ? "running" : status, -1, SQLITE_STATIC);
	if (f->workflow != NULL)
		sqlite3_bind_text(st, 2, f->workflow, -1, SQLITE_STATIC);
	if (f->since_us > 0)
		sqlite3_bind_int64(st, 3, f->since_us);
	if (sql_limit)
		sqlite3_bind_int(st, 4, f->limit);
	if (f->before > 0)
		sqlite3_bind_int64(st, 5, f->before);
	if (f->after > 0)
		sqlite3_bind_int64(st, 6, f->after);
	for (int i = 0; i < n_words; i++)
		sqlite3_bind_text(st, STORE_WORD_PARAM + i, words[i], -1, SQLITE_STATIC);

	store_here_init(&h, s);
	while (!stop && (f->limit <= 0 || n < f->limit) &&
	    (rc = sqlite3_step(st)) == SQLITE_ROW) {
		bool interrupted = store_row_interrupted(st, &h);

		if (want_live >= 0 && interrupted == (want_live == 1))
			continue;
		stop = fn(ud, store_json_run(st, &h, interrupted));
		n++;
	}
	if (!stop && rc != SQLITE_ROW && rc != SQLITE_DONE && rc != SQLITE_OK)
		goto fail;
	sqlite3_finalize(st);
	free(text);
	return 0;

fail:
	store_errf(e, s->db, rc, "cannot list the runs in the history %s", s->path);
	sqlite3_finalize(st);
	free(text);
	return -1;
}

static int
store_list_add(void *ud, cJSON *run)
{
	cJSON_AddItemToArray(ud, run);
	return 0;
}

cJSON *
store_list_runs(struct store *s, const struct store_filter *f, struct err *e)
{
	cJSON *list = cJSON_CreateArray();

	if (store_each_run(s, f, store_list_add, list, e) < 0) {
		cJSON_Delete(list);
		return NULL;
	}
	return list;
}

/* The attempt lists of a run's steps, by step index. */
struct store_alist {
	int idx;
	cJSON *list;
};

static int
store_alist_cmp(const void *a, const void *b)
{
	const struct store_alist *x = a, *y = b;

	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int
store_get_steps(struct store *s, int64_t run, cJSON *o, const struct store_here *h,
    bool live)
{
	static const char *const sql_steps =
	    "SELECT idx, id, status, attempts, exit_code, started_at, ended_at, duration_ms,"
	    " cached, cost_usd, tokens_in, tokens_out, outputs, error, section, kind"
	    " FROM steps WHERE run_id = ?1 ORDER BY idx";
	static const char *const sql_attempts =
	    "SELECT step_idx, attempt, phase, status, started_at, ended_at, exit_code, error"
	    " FROM attempts WHERE run_id = ?1 ORDER BY step_idx,"
	    " CASE phase WHEN 'main' THEN 0 WHEN 'fallback' THEN 1 ELSE 2 END, attempt";
	static const char *const sql_approvals =
	    "SELECT s.id, a.decision, a.by_user, a.comment, a.at, a.refused, a.reason, a.hash"
	    " FROM approvals a"
	    " LEFT JOIN steps s ON s.run_id = a.run_id AND s.idx = a.step_idx"
	    " WHERE a.run_id = ?1 ORDER BY a.seq";
	sqlite3_stmt *st = NULL;
	cJSON *steps = cJSON_AddArrayToObject(o, "steps");
	cJSON *approvals = cJSON_AddArrayToObject(o, "approvals");
	struct store_alist *al = NULL, key, *hit;
	size_t n = 0, cap = 0;
	int rc;

	if ((rc = store_prepare(s->db, sql_steps, &st)) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, run);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *j = cJSON_CreateObject();
		const char *status = store_col_text(st, 2);

		cJSON_AddItemToArray(steps, j);
		store_json_text(j, "id", st, 1);
		store_json_text(j, "status", st, 2);
		cJSON_AddNumberToObject(j, "attempts", sqlite3_column_int(st, 3));
		store_json_int(j, "exit_code", st, 4);
		store_json_time(j, "started_at", st, 5);
		store_json_time(j, "ended_at", st, 6);
		if (!store_col_null(st, 7))
			store_json_int(j, "duration_ms", st, 7);
		else if (live && !store_col_null(st, 5) && status != NULL &&
		    (strcmp(status, "running") == 0 || strcmp(status, "retrying") == 0))
			cJSON_AddNumberToObject(j, "duration_ms",
			    (double)((h->now - sqlite3_column_int64(st, 5)) / 1000));
		else
			cJSON_AddNullToObject(j, "duration_ms");
		cJSON_AddBoolToObject(j, "cached", sqlite3_column_int(st, 8) != 0);
		cJSON_AddNumberToObject(j, "cost_usd", sqlite3_column_double(st, 9));
		cJSON_AddNumberToObject(j, "tokens_in", (double)sqlite3_column_int64(st, 10));
		cJSON_AddNumberToObject(j, "tokens_out", (double)sqlite3_column_int64(st, 11));
		cJSON_AddItemToObject(j, "outputs", store_col_json(st, 12, true));
		store_json_text(j, "error", st, 13);
		store_json_text(j, "section", st, 14);
		store_json_text(j, "kind", st, 15);
		xgrow(&al, &cap, n + 1, sizeof *al);
		al[n].idx = sqlite3_column_int(st, 0);
		al[n++].list = cJSON_AddArrayToObject(j, "attempt_list");
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto out;

	/* Steps come by idx, so al is sorted. */
	if ((rc = store_prepare(s->db, sql_attempts, &st)) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, run);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *j;

		key.idx = sqlite3_column_int(st, 0);
		hit = n > 0 ? bsearch(&key, al, n, sizeof *al, store_alist_cmp) : NULL;
		if (hit == NULL)
			continue;
		j = cJSON_CreateObject();
		cJSON_AddItemToArray(hit->list, j);
		cJSON_AddNumberToObject(j, "attempt", sqlite3_column_int(st, 1));
		store_json_text(j, "phase", st, 2);
		store_json_text(j, "status", st, 3);
		store_json_time(j, "started_at", st, 4);
		store_json_time(j, "ended_at", st, 5);
		store_json_int(j, "exit_code", st, 6);
		store_json_text(j, "error", st, 7);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto out;

	if ((rc = store_prepare(s->db, sql_approvals, &st)) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, run);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddItemToArray(approvals, j);
		store_json_text(j, "step", st, 0);
		store_json_text(j, "decision", st, 1);
		store_json_text(j, "by", st, 2);
		store_json_text(j, "comment", st, 3);
		store_json_time(j, "at", st, 4);
		cJSON_AddBoolToObject(j, "refused", sqlite3_column_int(st, 5) != 0);
		if (sqlite3_column_type(st, 6) != SQLITE_NULL)
			store_json_text(j, "reason", st, 6);
		if (sqlite3_column_type(st, 7) != SQLITE_NULL)
			store_json_text(j, "hash", st, 7);
	}
out:
	sqlite3_finalize(st);
	free(al);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Ends a read transaction; never leaves the connection on an old snapshot. */
static void
store_read_end(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

cJSON *
store_get_run(struct store *s, int64_t run, struct err *e)
{
	struct store_here h;
	sqlite3_stmt *st = NULL;
	cJSON *o = NULL;
	const char *status;
	bool interrupted, live;
	int rc = SQLITE_OK;

	if (s->db == NULL) {
		store_no_run(s, run, e);
		return NULL;
	}
	/* One read transaction: the run and its steps from the same moment. */
	if (sqlite3_get_autocommit(s->db))
		rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = store_prepare(s->db, "SELECT " STORE_RUN_COLUMNS " FROM runs r"
		    " WHERE r.id = ?1", &st);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, run);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		store_read_end(s);
		store_no_run(s, run, e);
		return NULL;
	}
	if (rc != SQLITE_ROW)
		goto fail;
	store_here_init(&h, s);
	interrupted = store_row_interrupted(st, &h);
	status = store_col_text(st, RC_STATUS);
	live = !interrupted && status != NULL && strcmp(status, "running") == 0;
	o = store_json_run(st, &h, interrupted);
	cJSON_AddNumberToObject(o, "last_seq", (double)sqlite3_column_int64(st, RC_LAST_SEQ));
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = store_get_steps(s, run, o, &h, live)) != SQLITE_OK)
		goto fail;
	store_read_end(s);
	return o;

fail:
	store_errf(e, s->db, rc, "cannot read run %" PRId64 " from the history %s", run, s->path);
	sqlite3_finalize(st);
	store_read_end(s);
	cJSON_Delete(o);
	return NULL;
}

int
store_run_workflow(struct store *s, int64_t run, char **text, size_t *len, char **file,
    struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (s->db == NULL)
		return store_no_run(s, run, e);
	rc = store_prepare(s->db, "SELECT w.text, r.file FROM runs r"
	    " JOIN workflows w ON w.id = r.workflow_id WHERE r.id = ?1", &st);
	if (rc != SQLITE_OK)
		return store_errf(e, s->db, rc, "cannot read run %" PRId64 " from the history %s",
		    run, s->path);
	sqlite3_bind_int64(st, 1, run);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *t = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);

		*text = xmalloc(n + 1);
		if (n > 0)
			memcpy(*text, t, n);
		(*text)[n] = '\0';
		if (len != NULL)
			*len = n;
		*file = xstrdup(store_col_text(st, 1) != NULL ? store_col_text(st, 1) : "");
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return store_no_run(s, run, e);
	return store_errf(e, s->db, rc, "cannot read run %" PRId64 " from the history %s", run,
	    s->path);
}

cJSON *
store_waiting_gates(struct store *s, struct err *e)
{
	static const char *const sql =
	    "SELECT r.id, r.workflow, r.host, r.uuid, st.id,"
	    " (SELECT min(ts) FROM events ev WHERE ev.run_id = r.id AND ev.step_idx = st.idx"
	    "  AND ev.type = 'step' AND ev.status = 'waiting'),"
	    " (SELECT data FROM events ev WHERE ev.run_id = r.id AND ev.step_idx = st.idx"
	    "  AND ev.type = 'step' AND ev.status = 'waiting' ORDER BY ev.seq DESC LIMIT 1)"
	    " FROM runs r JOIN steps st ON st.run_id = r.id"
	    " WHERE r.status = 'running' AND st.status = 'waiting' ORDER BY r.id, st.idx";
	cJSON *a = cJSON_CreateArray();
	struct store_here h;
	sqlite3_stmt *st;
	int rc;

	if (s->db == NULL)
		return a;
	store_here_init(&h, s);
	if ((rc = store_prepare(s->db, sql, &st)) != SQLITE_OK) {
		cJSON_Delete(a);
		store_errf(e, s->db, rc, "cannot read the history %s", s->path);
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o, *data, *gate;

		if (!store_owner_alive(&h, store_col_text(st, 2), store_col_text(st, 3)))
			continue;	/* interrupted: nobody can decide it now */
		data = store_col_json(st, 6, true);
		gate = cJSON_DetachItemFromObjectCaseSensitive(data, "gate");
		cJSON_Delete(data);
		if (!cJSON_IsObject(gate)) {
			cJSON_Delete(gate);
			continue;	/* --auto-approve decides at once */
		}
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "run", (double)sqlite3_column_int64(st, 0));
		store_json_text(o, "workflow", st, 1);
		store_json_text(o, "step", st, 4);
		store_json_time(o, "since", st, 5);
		cJSON_AddItemToObject(o, "gate", gate);
		cJSON_AddItemToArray(a, o);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		cJSON_Delete(a);
		store_errf(e, s->db, rc, "cannot read the history %s", s->path);
		return NULL;
	}
	return a;
}
