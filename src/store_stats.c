/* store_stats.c - a workflow's recent history, as stats.h describes it:
 * its last runs that ended, their steps, and its runs per day. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "stats.h"
#include "store_impl.h"
#include "xmalloc.h"

/* The window: ended runs of the workflow below before, newest first. */
#define WINDOW_WHERE "workflow = ?1 AND id < ?2 AND ended_at IS NOT NULL" \
	" ORDER BY id DESC LIMIT ?3"
#define WINDOW_RUNS "SELECT id FROM runs WHERE " WINDOW_WHERE

/* A statement over the window (?1, ?2, ?3 bound), or NULL with e set. */
static sqlite3_stmt *
window_stmt(struct store *s, const char *sql, const char *workflow, int64_t before,
    struct err *e)
{
	sqlite3_stmt *st;
	int rc = store_prepare(s->db, sql, &st);

	if (rc != SQLITE_OK) {
		store_errf(e, s->db, rc, "cannot read the history of '%s'", workflow);
		return NULL;
	}
	sqlite3_bind_text(st, 1, workflow, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, before > 0 ? before : INT64_MAX);
	sqlite3_bind_int(st, 3, STATS_WINDOW);
	return st;
}

/* A step's samples while the window is read. */
struct acc {
	struct step_stats ss;
	double *durs;
	size_t n_durs, cap_durs;
	double tokens_out;
	char *outputs;		/* of its newest succeeded execution */
	bool streak;		/* every succeeded one so far had those outputs */
};

/* The steps seen so far, indexed by id: a window holds a step's record
 * once per run, so a workflow of thousands of steps is found in as many
 * thousand records each time. */
struct accs {
	struct acc *v;
	size_t n, cap;
	size_t *slots;		/* open addressing: index + 1, 0 free */
	size_t n_slots;		/* a power of two, more than twice n */
};

static size_t
id_hash(const char *id)
{
	size_t h = 2166136261u;	/* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* The slot that has id, or the free one where it goes. */
static size_t *
acc_slot(const struct accs *a, const char *id)
{
	size_t i = id_hash(id) & (a->n_slots - 1);

	while (a->slots[i] != 0 && strcmp(a->v[a->slots[i] - 1].ss.id, id) != 0)
		i = (i + 1) & (a->n_slots - 1);
	return &a->slots[i];
}

static void
acc_grow(struct accs *a)
{
	size_t *old = a->slots, n_old = a->n_slots;

	a->n_slots = n_old ? n_old * 2 : 64;
	a->slots = xcalloc(a->n_slots, sizeof *a->slots);
	for (size_t i = 0; i < n_old; i++)
		if (old[i] != 0)
			*acc_slot(a, a->v[old[i] - 1].ss.id) = old[i];
	free(old);
}

static struct acc *
acc_of(struct accs *a, const char *id)
{
	size_t *slot;

	if (2 * (a->n + 1) > a->n_slots)
		acc_grow(a);
	if (*(slot = acc_slot(a, id)) != 0)
		return &a->v[*slot - 1];
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = xreallocarray(a->v, a->cap, sizeof *a->v);
	}
	memset(&a->v[a->n], 0, sizeof a->v[a->n]);
	a->v[a->n].ss.id = xstrdup(id);
	a->v[a->n].streak = true;
	*slot = ++a->n;
	return &a->v[a->n - 1];
}

/* One step record of a run of the window, newest run first. */
static void
acc_add(struct acc *a, sqlite3_stmt *st)
{
	const char *status = store_col_text(st, 1), *outputs;
	bool ok = strcmp(status, "succeeded") == 0;

	if (sqlite3_column_int(st, 6) != 0) {
		a->ss.cached++;
		return;
	}
	if (!ok && strcmp(status, "failed") != 0 && strcmp(status, "timed_out") != 0)
		return;
	a->ss.executions++;
	if (sqlite3_column_int(st, 2) > 0)
		a->ss.retried++;
	a->ss.cost_usd += sqlite3_column_double(st, 4);
	a->tokens_out += (double)sqlite3_column_int64(st, 5);
	if (!ok) {
		a->ss.failed++;
		return;
	}
	a->ss.succeeded++;
	if (!store_col_null(st, 3)) {
		if (a->n_durs == a->cap_durs) {
			a->cap_durs = a->cap_durs ? a->cap_durs * 2 : 16;
			a->durs = xreallocarray(a->durs, a->cap_durs, sizeof *a->durs);
		}
		a->durs[a->n_durs++] = (double)sqlite3_column_int64(st, 3);
	}
	if (!a->streak)
		return;
	outputs = store_col_text(st, 7);
	if (outputs == NULL)
		outputs = "";
	if (a->outputs == NULL)
		a->outputs = xstrdup(outputs);
	else if (strcmp(a->outputs, outputs) != 0)
		a->streak = false;
	if (a->streak)
		a->ss.same_outputs++;
}

static int
cmp_stats_id(const void *x, const void *y)
{
	return strcmp(((const struct step_stats *)x)->id, ((const struct step_stats *)y)->id);
}

/* The window's steps into ws, sorted by id. */
static int
load_steps(struct store *s, const char *workflow, int64_t before, struct wf_stats *ws,
    struct err *e)
{
	struct accs a = { 0 };
	sqlite3_stmt *st;
	int rc;

	/* Column 2, the attempts that failed before the last one: a retry is
	 * one of those, not a resume after drover's own end (its attempt is
	 * "interrupted"). */
	st = window_stmt(s, "SELECT s.run_id, s.status,"
	    " (SELECT count(*) FROM attempts a WHERE a.run_id = s.run_id AND a.step_idx = s.idx"
	    "  AND a.phase = 'main' AND a.status IN ('failed', 'timed_out'))"
	    "  - (s.status IN ('failed', 'timed_out')), s.duration_ms,"
	    " s.cost_usd, s.tokens_out, s.cached, s.outputs, s.id FROM steps s"
	    " WHERE s.run_id IN (" WINDOW_RUNS ") ORDER BY s.run_id DESC", workflow, before, e);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		acc_add(acc_of(&a, store_col_text(st, 8)), st);
	sqlite3_finalize(st);
	ws->steps = xcalloc(a.n ? a.n : 1, sizeof *ws->steps);
	for (size_t i = 0; i < a.n; i++) {
		struct acc *x = &a.v[i];

		stats_dist_of(&x->ss.duration, x->durs, x->n_durs);
		if (x->ss.executions > 0)
			x->ss.tokens_out = x->tokens_out / (double)x->ss.executions;
		ws->steps[ws->n_steps++] = x->ss;
		free(x->durs);
		free(x->outputs);
	}
	free(a.v);
	free(a.slots);
	qsort(ws->steps, ws->n_steps, sizeof *ws->steps, cmp_stats_id);
	if (rc != SQLITE_DONE)
		return store_errf(e, s->db, rc, "cannot read the history of '%s'", workflow);
	return 0;
}

/* The window's runs into ws, oldest first. */
static int
load_runs(struct store *s, const char *workflow, int64_t before, struct wf_stats *ws,
    struct err *e)
{
	double durs[STATS_WINDOW];
	size_t n_durs = 0;
	sqlite3_stmt *st;
	int rc;

	st = window_stmt(s, "SELECT id, started_at, duration_ms, cost_usd, status"
	    " FROM runs WHERE " WINDOW_WHERE, workflow, before, e);
	if (st == NULL)
		return -1;
	ws->points = xcalloc(STATS_WINDOW, sizeof *ws->points);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && ws->runs < STATS_WINDOW) {
		struct run_point *p = &ws->points[STATS_WINDOW - 1 - ws->runs++];

		p->run = sqlite3_column_int64(st, 0);
		p->started_us = sqlite3_column_int64(st, 1);
		p->duration_ms = store_col_null(st, 2) ? NAN : (double)sqlite3_column_int64(st, 2);
		p->cost_usd = sqlite3_column_double(st, 3);
		p->succeeded = strcmp(store_col_text(st, 4), "succeeded") == 0;
		ws->cost_usd += p->cost_usd;
		if (p->succeeded) {
			ws->succeeded++;
			if (!isnan(p->duration_ms))
				durs[n_durs++] = p->duration_ms;
		}
	}
	sqlite3_finalize(st);
	/* Oldest first, from the start of the array. */
	memmove(ws->points, ws->points + STATS_WINDOW - ws->runs, ws->runs * sizeof *ws->points);
	stats_dist_of(&ws->duration, durs, n_durs);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_errf(e, s->db, rc, "cannot read the history of '%s'", workflow);
	return 0;
}

#define DAY_US (86400LL * 1000000)

/* Runs that ended, per UTC day they started, over the last STATS_DAYS
 * days: a run still going is no failure of its day. */
static int
load_days(struct store *s, const char *workflow, int64_t now_us, struct wf_stats *ws,
    struct err *e)
{
	int64_t today = now_us / DAY_US, first = today - (STATS_DAYS - 1);
	sqlite3_stmt *st;
	int rc;

	rc = store_prepare(s->db, "SELECT started_at / ?3, count(*), sum(status = 'succeeded')"
	    " FROM runs WHERE workflow = ?1 AND started_at >= ?2 AND ended_at IS NOT NULL"
	    " GROUP BY 1", &st);
	if (rc != SQLITE_OK)
		return store_errf(e, s->db, rc, "cannot read the history of '%s'", workflow);
	sqlite3_bind_text(st, 1, workflow, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, first * DAY_US);
	sqlite3_bind_int64(st, 3, DAY_US);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t day = sqlite3_column_int64(st, 0);

		if (day < first || day > today)
			continue;
		ws->per_day[day - first] = (unsigned)sqlite3_column_int(st, 1);
		ws->ok_per_day[day - first] = (unsigned)sqlite3_column_int(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_errf(e, s->db, rc, "cannot read the history of '%s'", workflow);
	return 0;
}

int
stats_load(struct store *s, const char *workflow, int64_t before, int64_t now_us,
    struct wf_stats *ws, struct err *e)
{
	memset(ws, 0, sizeof *ws);
	if (s->db == NULL)
		return 0;
	if (load_runs(s, workflow, before, ws, e) < 0 || load_steps(s, workflow, before, ws, e) < 0 ||
	    (now_us > 0 && load_days(s, workflow, now_us, ws, e) < 0))
		return -1;
	return 0;
}
