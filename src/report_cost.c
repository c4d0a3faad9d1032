/* report_cost.c - `drover report cost` (SPEC 9): what the runs started
 * in a period cost, per run and in all, broken down by llm provider and
 * model, by step (with shares), by workflow and by day; and what the
 * result cache saved.
 *
 * Runs not ended (going on, or interrupted and not resumed) count with
 * what they have spent so far.  The cache's
 * hit rate is the share of a cached step's successful ends that came
 * from the cache: its reuses against the results it ran and kept.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "event.h"
#include "json.h"
#include "report.h"
#include "store_impl.h"

/* The runs of the report, as a condition on runs r (?1 since, ?2 workflow). */
#define SCOPE "r.started_at >= ?1 AND (?2 IS NULL OR r.workflow = ?2)"

static sqlite3_stmt *
scoped(struct store *s, const char *sql, const struct cost_query *q, struct err *e)
{
	sqlite3_stmt *st;
	int rc = store_prepare(s->db, sql, &st);

	if (rc != SQLITE_OK) {
		store_errf(e, s->db, rc, "cannot read the history's costs");
		return NULL;
	}
	sqlite3_bind_int64(st, 1, q->since_us);
	if (q->workflow != NULL)
		sqlite3_bind_text(st, 2, q->workflow, -1, SQLITE_STATIC);
	return st;
}

/* Runs each row of sql through row(o, st) into a new array at key. */
static int
breakdown(struct store *s, cJSON *out, const char *key, const char *sql,
    const struct cost_query *q, void (*row)(cJSON *, sqlite3_stmt *, double), struct err *e)
{
	sqlite3_stmt *st = scoped(s, sql, q, e);
	cJSON *a = cJSON_AddArrayToObject(out, key);
	double total = json_num(out, "total_usd", 0);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();

		row(o, st, total);
		cJSON_AddItemToArray(a, o);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_errf(e, s->db, rc, "cannot read the history's costs");
	return 0;
}

static void
add_share(cJSON *o, double part, double total)
{
	cJSON_AddNumberToObject(o, "share", total > 0 ? part / total : 0);
}

/* Columns 0.. : name(s), then count, cost, tokens in, tokens out. */
static void
money(cJSON *o, sqlite3_stmt *st, int at, const char *count, double total)
{
	cJSON_AddNumberToObject(o, count, (double)sqlite3_column_int64(st, at));
	cJSON_AddNumberToObject(o, "cost_usd", sqlite3_column_double(st, at + 1));
	cJSON_AddNumberToObject(o, "tokens_in", (double)sqlite3_column_int64(st, at + 2));
	cJSON_AddNumberToObject(o, "tokens_out", (double)sqlite3_column_int64(st, at + 3));
	add_share(o, sqlite3_column_double(st, at + 1), total);
}

static void
model_row(cJSON *o, sqlite3_stmt *st, double total)
{
	cJSON_AddStringToObject(o, "provider", store_col_text(st, 0));
	cJSON_AddStringToObject(o, "model", store_col_text(st, 1));
	money(o, st, 2, "calls", total);
}

static void
step_row(cJSON *o, sqlite3_stmt *st, double total)
{
	cJSON_AddStringToObject(o, "workflow", store_col_text(st, 0));
	cJSON_AddStringToObject(o, "step", store_col_text(st, 1));
	money(o, st, 2, "executions", total);
}

static void
workflow_row(cJSON *o, sqlite3_stmt *st, double total)
{
	cJSON_AddStringToObject(o, "workflow", store_col_text(st, 0));
	money(o, st, 1, "runs", total);
}

static void
day_row(cJSON *o, sqlite3_stmt *st, double total)
{
	char day[40];

	event_time_rfc3339(sqlite3_column_int64(st, 0) * 86400LL * 1000000, day, sizeof day);
	day[10] = '\0';
	cJSON_AddStringToObject(o, "day", day);
	money(o, st, 1, "runs", total);
}

static int
totals(struct store *s, cJSON *out, const struct cost_query *q, struct err *e)
{
	sqlite3_stmt *st = scoped(s, "SELECT count(*), total(cost_usd), min(cost_usd),"
	    " max(cost_usd), total(tokens_in), total(tokens_out), sum(ended_at IS NULL)"
	    " FROM runs r WHERE " SCOPE, q, e);
	int rc;
	double n;

	if (st == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return store_errf(e, s->db, rc, "cannot read the history's costs");
	}
	n = (double)sqlite3_column_int64(st, 0);
	cJSON_AddNumberToObject(out, "runs", n);
	cJSON_AddNumberToObject(out, "unfinished", (double)sqlite3_column_int64(st, 6));
	cJSON_AddNumberToObject(out, "total_usd", sqlite3_column_double(st, 1));
	cJSON_AddNumberToObject(out, "average_usd", n > 0 ? sqlite3_column_double(st, 1) / n : 0);
	cJSON_AddNumberToObject(out, "min_usd", sqlite3_column_double(st, 2));
	cJSON_AddNumberToObject(out, "max_usd", sqlite3_column_double(st, 3));
	cJSON_AddNumberToObject(out, "tokens_in", sqlite3_column_double(st, 4));
	cJSON_AddNumberToObject(out, "tokens_out", sqlite3_column_double(st, 5));
	sqlite3_finalize(st);
	return 0;
}

/* Reuses and the money they saved, against the results kept: from the
 * steps' final events, which say either (engine.c, cache_reuse and
 * cache_keep). */
static int
cache(struct store *s, cJSON *out, const struct cost_query *q, struct err *e)
{
	sqlite3_stmt *st = scoped(s, "SELECT"
	    " total(json_extract(v.data, '$.cached') = 1),"
	    " total(json_extract(v.data, '$.cached') IS NOT 1),"
	    " total(json_extract(v.data, '$.cache.saved_usd'))"
	    " FROM events v WHERE v.run_id IN (SELECT r.id FROM runs r WHERE " SCOPE ")"
	    " AND v.type = 'step' AND v.data LIKE '%\"cache\"%'"
	    " AND json_valid(v.data) AND json_type(v.data, '$.cache') = 'object'", q, e);
	double hits, kept;
	cJSON *c;
	int rc;

	if (st == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return store_errf(e, s->db, rc, "cannot read the history's costs");
	}
	hits = sqlite3_column_double(st, 0);
	kept = sqlite3_column_double(st, 1);
	c = cJSON_AddObjectToObject(out, "cache");
	cJSON_AddNumberToObject(c, "hits", hits);
	cJSON_AddNumberToObject(c, "kept", kept);
	cJSON_AddNumberToObject(c, "hit_rate", hits + kept > 0 ? hits / (hits + kept) : 0);
	cJSON_AddNumberToObject(c, "saved_usd", sqlite3_column_double(st, 2));
	sqlite3_finalize(st);
	return 0;
}

/* No history yet: the same report, of nothing. */
static cJSON *
empty_report(cJSON *out)
{
	static const char *const zeros[] = { "runs", "unfinished", "total_usd", "average_usd",
	    "min_usd", "max_usd", "tokens_in", "tokens_out" };
	static const char *const lists[] = { "by_model", "by_step", "by_workflow", "by_day" };
	cJSON *c;

	for (size_t i = 0; i < sizeof zeros / sizeof zeros[0]; i++)
		cJSON_AddNumberToObject(out, zeros[i], 0);
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		cJSON_AddArrayToObject(out, lists[i]);
	c = cJSON_AddObjectToObject(out, "cache");
	cJSON_AddNumberToObject(c, "hits", 0);
	cJSON_AddNumberToObject(c, "kept", 0);
	cJSON_AddNumberToObject(c, "hit_rate", 0);
	cJSON_AddNumberToObject(c, "saved_usd", 0);
	return out;
}

cJSON *
report_cost(struct store *s, const struct cost_query *q, struct err *e)
{
	cJSON *out = cJSON_CreateObject();
	char since[40];

	if (q->since_us > 0) {
		event_time_rfc3339(q->since_us, since, sizeof since);
		cJSON_AddStringToObject(out, "since", since);
	} else {
		cJSON_AddNullToObject(out, "since");
	}
	if (q->workflow != NULL)
		cJSON_AddStringToObject(out, "workflow", q->workflow);
	else
		cJSON_AddNullToObject(out, "workflow");
	if (s->db == NULL)
		return empty_report(out);
	if (totals(s, out, q, e) < 0 ||
	    breakdown(s, out, "by_model", "SELECT coalesce(json_extract(st.outputs,"
	    " '$.provider'), ''), coalesce(json_extract(st.outputs, '$.model'), '(no reply)'),"
	    " count(*), total(st.cost_usd), total(st.tokens_in), total(st.tokens_out)"
	    " FROM runs r JOIN steps st ON st.run_id = r.id"
	    " WHERE " SCOPE " AND st.kind = 'llm' AND st.attempts > 0 AND NOT st.cached"
	    " GROUP BY 1, 2 ORDER BY 4 DESC, 2", q, model_row, e) < 0 ||
	    breakdown(s, out, "by_step", "SELECT r.workflow, st.id, count(*), total(st.cost_usd),"
	    " total(st.tokens_in), total(st.tokens_out)"
	    " FROM runs r JOIN steps st ON st.run_id = r.id"
	    " WHERE " SCOPE " AND st.attempts > 0 AND instr(st.id, '[') = 0"
	    " GROUP BY 1, 2 ORDER BY 4 DESC, 1, 2", q, step_row, e) < 0 ||
	    breakdown(s, out, "by_workflow", "SELECT r.workflow, count(*), total(r.cost_usd),"
	    " total(r.tokens_in), total(r.tokens_out) FROM runs r WHERE " SCOPE
	    " GROUP BY 1 ORDER BY 3 DESC, 1", q, workflow_row, e) < 0 ||
	    breakdown(s, out, "by_day", "SELECT r.started_at / 86400000000, count(*),"
	    " total(r.cost_usd), total(r.tokens_in), total(r.tokens_out) FROM runs r WHERE " SCOPE
	    " GROUP BY 1 ORDER BY 1", q, day_row, e) < 0 ||
	    cache(s, out, q, e) < 0) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

/* ---- the text form ---- */

static void
print_table(FILE *fp, const cJSON *rows, const char *title, const char *k1, const char *k2,
    const char *count, const char *heading)
{
	const cJSON *r;
	int w = 8;

	if (cJSON_GetArraySize(rows) == 0)
		return;
	cJSON_ArrayForEach(r, rows) {
		int n = (int)strlen(json_str(r, k1)) + (k2 ? 1 + (int)strlen(json_str(r, k2)) : 0);

		if (n > w)
			w = n;
	}
	fprintf(fp, "\n%s:\n  %-*s %9s %12s %12s %6s %12s %12s\n", title, w, "", heading,
	    "COST", "PER", "SHARE", "TOKENS IN", "TOKENS OUT");
	cJSON_ArrayForEach(r, rows) {
		char name[512];
		double n = json_num(r, count, 0);

		snprintf(name, sizeof name, "%s%s%s", json_str(r, k1), k2 ? " " : "",
		    k2 ? json_str(r, k2) : "");
		fprintf(fp, "  %-*s %9.0f %12.6f %12.6f %5.1f%% %12.0f %12.0f\n", w, name, n,
		    json_num(r, "cost_usd", 0), n > 0 ? json_num(r, "cost_usd", 0) / n : 0,
		    100 * json_num(r, "share", 0), json_num(r, "tokens_in", 0),
		    json_num(r, "tokens_out", 0));
	}
}

void
report_cost_print(FILE *fp, const cJSON *c, const struct cost_query *q)
{
	enum report_by by = q->by;
	bool by_given = q->by_given;
	const cJSON *ca = cJSON_GetObjectItemCaseSensitive(c, "cache");
	const char *since = json_str(c, "since"), *wf = json_str(c, "workflow");
	double runs = json_num(c, "runs", 0);

	fprintf(fp, "%.0f run%s%s%s%s%s", runs, runs == 1 ? "" : "s", wf ? " of " : "",
	    wf ? wf : "", since ? " since " : "", since ? since : "");
	if (json_num(c, "unfinished", 0) > 0)
		fprintf(fp, " (%.0f not ended, going on or interrupted: counted as far as they got)",
		    json_num(c, "unfinished", 0));
	fprintf(fp, "\ntotal $%.6f; per run: average $%.6f, min $%.6f, max $%.6f\n"
	    "tokens: %.0f in, %.0f out\n", json_num(c, "total_usd", 0),
	    json_num(c, "average_usd", 0), json_num(c, "min_usd", 0), json_num(c, "max_usd", 0),
	    json_num(c, "tokens_in", 0), json_num(c, "tokens_out", 0));
	if (!by_given || by == BY_MODEL)
		print_table(fp, cJSON_GetObjectItemCaseSensitive(c, "by_model"),
		    "by provider and model", "provider", "model", "calls", "CALLS");
	if (!by_given || by == BY_STEP)
		print_table(fp, cJSON_GetObjectItemCaseSensitive(c, "by_step"), "by step",
		    "workflow", "step", "executions", "RUNS");
	if (by_given && by == BY_WORKFLOW)
		print_table(fp, cJSON_GetObjectItemCaseSensitive(c, "by_workflow"), "by workflow",
		    "workflow", NULL, "runs", "RUNS");
	if (by_given && by == BY_DAY)
		print_table(fp, cJSON_GetObjectItemCaseSensitive(c, "by_day"), "by day (UTC)",
		    "day", NULL, "runs", "RUNS");
	if (ca != NULL)
		fprintf(fp, "\ncache: %.0f reuse%s of %.0f cached ends (%.0f%%), saved $%.6f\n",
		    json_num(ca, "hits", 0), json_num(ca, "hits", 0) == 1 ? "" : "s",
		    json_num(ca, "hits", 0) + json_num(ca, "kept", 0),
		    100 * json_num(ca, "hit_rate", 0), json_num(ca, "saved_usd", 0));
}
