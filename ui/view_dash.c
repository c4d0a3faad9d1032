/* view_dash.c - the dashboard: the open run against its workflow's
 * history (SPEC 8).
 *
 * It opens on top of the run view (d there) and draws that view's model:
 * the run's time and what is left of it (past medians and p95s along the
 * critical path of what is not done), what it spent against its budget,
 * each step against its own history with the run's critical path marked,
 * and a timeline of the run; then the workflow's recent runs as
 * sparklines.  Sections stack at 80 columns; from DASH_WIDE columns the
 * timeline goes beside the table, a row per step in both.
 *
 * The history (stats.h) is read through the console's connection when the
 * view opens, and again when a step of the run finishes or the run ends,
 * at most once a second; a frame only reads the model.  Like the approval
 * dialog, it keeps the run view's source polled under it.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "glyph.h"
#include "stats.h"
#include "ui.h"
#include "wf.h"
#include "xmalloc.h"

#define RELOAD_US 1000000	/* the history is read again at most this often */
#define LABEL_W 10		/* a row's label, then what it says */
#define TABLE_FIXED 49		/* the table's columns but the step's */
#define TABLE_ID_MAX 30
#define DASH_WIDE 130		/* the timeline goes beside the table from here */

struct dash_view {
	const void *run;		/* the run view under it, whose source wakes the console */
	struct wf_stats ws;
	const struct step_stats **hist;	/* per step of the run; NULL: not in the history */
	int64_t loaded_us;		/* when ws was read, with the run then: */
	size_t loaded_done;
	bool loaded_ended;
	unsigned gen;			/* the model's when done was counted */
	size_t done;			/* steps that will not change any more */
	/* The run's main section as a graph, and what a frame works out on it. */
	struct stats_graph g;
	const size_t **deps;
	size_t *n_deps;
	double *ms;			/* per main step: a duration, or what is left */
	size_t *path;
	bool *critical;			/* per step */
	double eta_lo, eta_hi;		/* ms left: from medians, from p95s */
	size_t eta_new, eta_left;	/* steps not done: without a history, all */
	size_t top;			/* the first step the table and the timeline show */
	int rows;			/* how many they showed (the last frame): what scrolls */
	struct strbuf sb;		/* a chart being drawn */
};

static size_t
dash_count_done(const struct model *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->wf->n_steps; i++)
		n += step_status_final(m->steps[i].status);
	return n;
}

/* Reads the workflow's history before this run; a history that cannot be
 * read is said on the message line, and is none. */
static void
dash_load(struct ui *ui, struct dash_view *v, const struct model *m, int64_t now)
{
	struct err e;

	stats_free(&v->ws);
	if (stats_load(ui->st, m->wf->name, m->run, now, &v->ws, &e) < 0) {
		ui_message(ui, true, "%s", e.msg);
		stats_free(&v->ws);
	}
	for (size_t i = 0; i < m->wf->n_steps; i++)
		v->hist[i] = stats_step(&v->ws, m->wf->steps[i].id);
	v->loaded_us = now;
	v->loaded_done = v->done;
	v->loaded_ended = m->ended;
	ui->dirty = true;
}

static void *
dash_open(struct ui *ui, const void *arg, struct err *e)
{
	int64_t now;
	const struct model *m = run_view_model(ui, &now);
	const struct workflow *wf;
	struct dash_view *v;

	if (m == NULL) {
		err_set(e, "no run is open: the dashboard shows one (open it, then d)");
		return NULL;
	}
	wf = m->wf;
	v = xcalloc(1, sizeof *v);
	v->run = ui_view_find(ui, &view_run)->st;
	v->hist = xcalloc(wf->n_steps + 1, sizeof *v->hist);
	v->critical = xcalloc(wf->n_steps + 1, sizeof *v->critical);
	v->deps = xcalloc(wf->n_main + 1, sizeof *v->deps);
	v->n_deps = xcalloc(wf->n_main + 1, sizeof *v->n_deps);
	v->ms = xcalloc(wf->n_main + 1, sizeof *v->ms);
	v->path = xcalloc(wf->n_main + 1, sizeof *v->path);
	for (size_t i = 0; i < wf->n_main; i++) {
		v->deps[i] = wf->steps[i].deps;
		v->n_deps[i] = wf->steps[i].n_deps;
	}
	v->g = (struct stats_graph){ wf->n_main, v->deps, v->n_deps };
	v->gen = m->gen;
	v->done = dash_count_done(m);
	dash_load(ui, v, m, event_now());
	return v;
}

static void
dash_close(void *st)
{
	struct dash_view *v = st;

	stats_free(&v->ws);
	free(v->hist);
	free(v->critical);
	free(v->deps);
	free(v->n_deps);
	free(v->ms);
	free(v->path);
	sb_fini(&v->sb);
	free(v);
}

static void
dash_show(struct ui *ui, void *st)
{
	ui->dirty = true;
}

/* ---- what the run's figures are at a frame ---- */

/* How much longer step i takes by its history's p50 (or p95): nothing
 * once done, the rest of it while it runs; NAN without a history. */
static double
dash_left_ms(const struct dash_view *v, const struct model *m, size_t i, int64_t now,
    bool p95)
{
	const struct step_stats *ss = v->hist[i];
	double p, el;

	if (step_status_final(m->steps[i].status))
		return 0;
	if (ss == NULL || ss->duration.n == 0)
		return NAN;
	p = p95 ? ss->duration.p95 : ss->duration.p50;
	if (m->steps[i].started_us == 0)
		return p;
	el = (double)model_step_elapsed_us(m, i, now) / 1000;
	return p > el ? p - el : 0;
}

/* The critical path of the run so far (each step's time as it is: done,
 * its duration, running, its elapsed time), and the ETA's range. */
static void
dash_figures(struct dash_view *v, const struct model *m, int64_t now)
{
	size_t n = v->g.n, len;
	double total;

	for (size_t i = 0; i < n; i++)
		v->ms[i] = (double)model_step_elapsed_us(m, i, now) / 1000;
	stats_critical_path(&v->g, v->ms, v->path, &len, &total);
	memset(v->critical, 0, m->wf->n_steps * sizeof *v->critical);
	/* A chain of steps that took no time yet is no path of the run's. */
	for (size_t k = 0; k < len && total > 0; k++)
		v->critical[v->path[k]] = m->steps[v->path[k]].started_us != 0;
	v->eta_new = v->eta_left = 0;
	for (size_t i = 0; i < n; i++) {
		v->ms[i] = dash_left_ms(v, m, i, now, false);
		v->eta_left += !step_status_final(m->steps[i].status);
		v->eta_new += isnan(v->ms[i]);
	}
	v->eta_lo = stats_remaining_ms(&v->g, v->ms);
	for (size_t i = 0; i < n; i++)
		v->ms[i] = dash_left_ms(v, m, i, now, true);
	v->eta_hi = stats_remaining_ms(&v->g, v->ms);
}

/* ---- drawing ---- */

/* "0ms" for a step that took no time: a "-" would read as no data. */
static void
fmt_ms(double ms, char *buf, size_t size)
{
	if (ms < 1)
		snprintf(buf, size, "0ms");
	else
		ui_fmt_duration((int64_t)(ms * 1000), buf, size);
}

/* Text at (y, x), at most w columns, in a. */
static int
put(int y, int x, int w, attr_t a, const char *s)
{
	int used;

	if (w <= 0)
		return 0;
	attrset(a);
	move(y, x);
	used = glyph_text(stdscr, s, strlen(s), w);
	attrset(A_NORMAL);
	return used;
}

/* A step's id in w columns, ending in an ellipsis when it is longer. */
static void
put_id(int y, int x, int w, attr_t a, const char *id)
{
	size_t len = strlen(id);

	if (glyph_width(id, len) <= w) {
		put(y, x, w, a, id);
		return;
	}
	put(y, x, w - 1, a, id);
	attrset(a);
	addstr(glyph_ellipsis());
	attrset(A_NORMAL);
}

/* A row: cleared, its label, and the column its text starts at. */
static int
dash_row(int y, const char *label, attr_t a)
{
	ui_fill(y, 0, COLS, A_NORMAL);
	put(y, 1, LABEL_W - 1, a, label);
	return LABEL_W;
}

static void
dash_draw_time(struct dash_view *v, const struct model *m, int64_t now, int y)
{
	char buf[256], el[32], lo[32], hi[32];
	int x = dash_row(y, "RUN", theme_attr(ROLE_ACCENT) | A_BOLD);

	ui_fmt_duration(model_elapsed_us(m, now), el, sizeof el);
	if (m->ended) {
		snprintf(buf, sizeof buf, "took %s, %s", el, run_status_name(m->status));
	} else if (v->ws.runs == 0) {
		snprintf(buf, sizeof buf, "elapsed %s  ETA: no history (no run of this workflow "
		    "has ended)", el);
	} else if (v->eta_left > 0 && v->eta_new == v->eta_left) {
		snprintf(buf, sizeof buf, "elapsed %s  ETA: no history for the steps left", el);
	} else if (v->eta_hi < 1) {
		snprintf(buf, sizeof buf, "elapsed %s  ETA: any moment, what is left is past its "
		    "p95", el);
	} else {
		fmt_ms(v->eta_lo, lo, sizeof lo);
		fmt_ms(v->eta_hi, hi, sizeof hi);
		snprintf(buf, sizeof buf, "elapsed %s  ETA %s-%s left (from %zu runs", el, lo, hi,
		    v->ws.runs);
		if (v->eta_new > 0)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "; %zu new step%s "
			    "not counted", v->eta_new, v->eta_new == 1 ? "" : "s");
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ")");
	}
	put(y, x, COLS - x, A_NORMAL, buf);
}

/* One line of the budget: a gauge of used against max, its warn_at
 * mark, and the words that say where it stands. */
static void
dash_draw_gauge(struct dash_view *v, int y, const char *label, double used, double max,
    double warn, const char *text)
{
	int x = dash_row(y, label, A_NORMAL), gw = COLS - 56 < 10 ? 10 : COLS - 56 > 40 ? 40 :
	    COLS - 56;
	char buf[160];
	attr_t a = A_NORMAL;

	sb_reset(&v->sb);
	chart_gauge(&v->sb, used / max, warn > 0 ? warn : -1, gw);
	snprintf(buf, sizeof buf, " %s (%.0f%%)", text, 100 * used / max);
	if (warn > 0)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " warn %.0f%%", 100 * warn);
	if (used >= max) {
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " OVER");
		a = theme_attr(ROLE_FAILED);
	} else if (warn > 0 && used >= warn * max) {
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " PAST WARN");
		a = theme_attr(ROLE_WAITING);
	}
	x += put(y, x, COLS - x, a, sb_str(&v->sb));
	put(y, x, COLS - x, A_NORMAL, buf);
}

/* Cost and tokens against the budget: the rows it took. */
static int
dash_draw_budget(struct dash_view *v, const struct model *m, int y)
{
	const struct budget *b = &m->wf->budget;
	long long tin, tout;
	char buf[160], text[96];
	double usd;
	int x;

	model_cost(m, &usd, &tin, &tout);
	if (!b->given) {
		x = dash_row(y, "budget", A_NORMAL);
		snprintf(buf, sizeof buf, "no budget ($%.4f spent, %lld tokens)", usd, tin + tout);
		put(y, x, COLS - x, A_NORMAL, buf);
		return 1;
	}
	if (b->has_cost && b->max_cost > 0) {
		snprintf(text, sizeof text, "$%.4f of $%.4f", usd, b->max_cost);
		dash_draw_gauge(v, y, "cost", usd, b->max_cost, b->warn_at, text);
	} else {
		x = dash_row(y, "cost", A_NORMAL);
		snprintf(buf, sizeof buf, "$%.4f spent (no max_cost)", usd);
		put(y, x, COLS - x, A_NORMAL, buf);
	}
	if (b->max_tokens > 0) {
		snprintf(text, sizeof text, "%lld of %lld tokens", tin + tout, b->max_tokens);
		dash_draw_gauge(v, y + 1, "tokens", (double)(tin + tout), (double)b->max_tokens,
		    b->warn_at, text);
	} else {
		x = dash_row(y + 1, "tokens", A_NORMAL);
		snprintf(buf, sizeof buf, "%lld (no max_tokens)", tin + tout);
		put(y + 1, x, COLS - x, A_NORMAL, buf);
	}
	return 2;
}

/* The smallest and largest of v[0..n) that are numbers; false when none is. */
static bool
range_of(const double *v, size_t n, double *lo, double *hi)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if (isnan(v[i]))
			continue;
		if (!any || v[i] < *lo)
			*lo = v[i];
		if (!any || v[i] > *hi)
			*hi = v[i];
		any = true;
	}
	return any;
}

/* A sparkline row: label, the chart of v[0..n) from lo (or from its
 * smallest value when lo is NAN), then text at the column after the
 * widest chart. */
static void
dash_draw_spark(struct dash_view *v, int y, int sw, const char *label, const double *vals,
    size_t n, double lo, const char *text)
{
	int x = dash_row(y, label, A_NORMAL);
	double min = 0, max = 0;

	range_of(vals, n, &min, &max);
	sb_reset(&v->sb);
	chart_spark(&v->sb, vals, n, isnan(lo) ? min : lo, max);
	put(y, x, sw, theme_attr(ROLE_ACCENT), sb_str(&v->sb));
	put(y, x + sw + 2, COLS - x - sw - 2, A_NORMAL, text);
}

/* The workflow over its recent runs: the rows it took. */
static int
dash_draw_workflow(struct dash_view *v, const struct model *m, int y)
{
	const struct wf_stats *ws = &v->ws;
	int x = dash_row(y, "WORKFLOW", theme_attr(ROLE_ACCENT) | A_BOLD);
	double days[STATS_DAYS], series[STATS_WINDOW], lo = 0, hi = 0;
	const struct run_point *last;
	char buf[160], a[32], b[32];
	size_t k, fit = COLS > 50 ? (size_t)(COLS - 50) : 0;
	int sw;

	x += put(y, x, COLS - x, A_BOLD, m->wf->name);
	if (ws->runs == 0) {
		put(y, x, COLS - x, A_NORMAL, "  no history: no run of it has ended before this one");
		return 1;
	}
	/* The charts: the days, and as many of the runs as fit. */
	k = ws->runs < fit ? ws->runs : fit;
	sw = k > STATS_DAYS ? (int)k : STATS_DAYS;
	last = ws->points + ws->runs - k;
	snprintf(buf, sizeof buf, "  its last %zu run%s before this one", ws->runs,
	    ws->runs == 1 ? "" : "s");
	put(y, x, COLS - x, A_NORMAL, buf);

	for (int d = 0; d < STATS_DAYS; d++)
		days[d] = ws->per_day[d] > 0 ? (double)ws->ok_per_day[d] / ws->per_day[d] : NAN;
	snprintf(buf, sizeof buf, "%.0f%% of %zu runs", 100.0 * (double)ws->succeeded /
	    (double)ws->runs, ws->runs);
	if (range_of(days, STATS_DAYS, &lo, &hi))
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "  days %.0f-%.0f%%",
		    100 * lo, 100 * hi);
	dash_draw_spark(v, y + 1, sw, "success", days, STATS_DAYS, 0, buf);

	for (int d = 0; d < STATS_DAYS; d++)
		days[d] = ws->per_day[d];
	range_of(days, STATS_DAYS, &lo, &hi);
	snprintf(buf, sizeof buf, "%u today  %.0f-%.0f a day", ws->per_day[STATS_DAYS - 1], lo,
	    hi);
	dash_draw_spark(v, y + 2, sw, "per day", days, STATS_DAYS, 0, buf);

	for (size_t i = 0; i < k; i++)
		series[i] = last[i].duration_ms;
	if (ws->duration.n > 0) {
		fmt_ms(ws->duration.p50, a, sizeof a);
		fmt_ms(ws->duration.p95, b, sizeof b);
		snprintf(buf, sizeof buf, "p50 %s p95 %s", a, b);
	} else {
		snprintf(buf, sizeof buf, "no run succeeded");
	}
	if (range_of(series, k, &lo, &hi)) {
		fmt_ms(lo, a, sizeof a);
		fmt_ms(hi, b, sizeof b);
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "  %s-%s", a, b);
	}
	dash_draw_spark(v, y + 3, sw, "duration", series, k, NAN, buf);

	for (size_t i = 0; i < k; i++)
		series[i] = last[i].cost_usd;
	range_of(series, k, &lo, &hi);
	snprintf(buf, sizeof buf, "$%.4f a run  $%.4f-$%.4f", ws->cost_usd / (double)ws->runs,
	    lo, hi);
	dash_draw_spark(v, y + 4, sw, "cost", series, k, NAN, buf);
	return 5;
}

/* The marker and the status glyph every step row starts with. */
static void
dash_step_marks(const struct dash_view *v, const struct model *m, size_t i, int y, int x)
{
	if (v->critical[i])
		put(y, x + 1, 1, theme_attr(ROLE_ACCENT) | A_BOLD, glyph_critical());
	put(y, x + 3, 1, theme_attr(ui_status_role(m->steps[i].status)),
	    glyph_status(m->steps[i].status));
}

/* The steps from v->top, h rows after a heading, w columns from x.  After
 * the marks and the id, a blank apart: TIME, P50 and P95 (7 columns
 * each), NOTE (4), COST (9), TRY (3). */
static void
dash_draw_table(struct dash_view *v, const struct model *m, int64_t now, int y, int x, int h,
    int w)
{
	int idw = w - TABLE_FIXED < 8 ? 8 : w - TABLE_FIXED > TABLE_ID_MAX ? TABLE_ID_MAX :
	    w - TABLE_FIXED;
	char buf[160], t[32], p50[32], p95[32], cost[32], tries[16];
	attr_t head = theme_attr(ROLE_DIM) | A_BOLD;

	ui_fill(y, x, w, head);
	snprintf(buf, sizeof buf, "CP ST %-*s %7s %7s %7s %-4s %9s %3s", idw, "STEP", "TIME",
	    "P50", "P95", "NOTE", "COST", "TRY");
	put(y, x, w, head, buf);
	for (int r = 0; r < h; r++) {
		size_t i = v->top + (size_t)r;
		const struct model_step *ms;
		const struct step_stats *ss;
		double el;
		bool slow;

		ui_fill(y + 1 + r, x, w, A_NORMAL);
		if (i >= m->wf->n_steps)
			continue;
		ms = &m->steps[i];
		ss = v->hist[i];
		el = (double)model_step_elapsed_us(m, i, now) / 1000;
		slow = ms->started_us != 0 && stats_is_slow(ss, el);
		dash_step_marks(v, m, i, y + 1 + r, x);
		put_id(y + 1 + r, x + 6, idw, A_NORMAL, m->wf->steps[i].id);
		if (ms->started_us != 0)
			fmt_ms(el, t, sizeof t);
		else
			snprintf(t, sizeof t, "-");
		if (ss == NULL) {
			snprintf(p50, sizeof p50, "%s", "");
			snprintf(p95, sizeof p95, "%s", "no history");
		} else if (ss->duration.n == 0) {
			snprintf(p50, sizeof p50, "-");
			snprintf(p95, sizeof p95, "-");
		} else {
			fmt_ms(ss->duration.p50, p50, sizeof p50);
			fmt_ms(ss->duration.p95, p95, sizeof p95);
		}
		if (ms->cost_usd > 0)
			snprintf(cost, sizeof cost, "$%.4f", ms->cost_usd);
		else
			snprintf(cost, sizeof cost, "-");
		snprintf(tries, sizeof tries, "%d", ms->attempt);
		/* "no history" takes the place of both percentiles. */
		if (ss == NULL)
			snprintf(buf, sizeof buf, "%7s %15s", t, p95);
		else
			snprintf(buf, sizeof buf, "%7s %7s %7s", t, p50, p95);
		put(y + 1 + r, x + 7 + idw, w - 7 - idw, A_NORMAL, buf);
		if (slow)
			put(y + 1 + r, x + 7 + idw + 24, 4, theme_attr(ROLE_FAILED) | A_BOLD, "SLOW");
		snprintf(buf, sizeof buf, "%9s %3s", cost, ms->attempt > 0 ? tries : "-");
		put(y + 1 + r, x + 7 + idw + 29, w - 36 - idw, A_NORMAL, buf);
	}
}

/* The run's timeline from v->top: each step a bar, from its start to its
 * end (or now), on a scale of the run's elapsed time; labelled with the
 * step when it is not beside the table. */
static void
dash_draw_timeline(struct dash_view *v, const struct model *m, int64_t now, int y, int x,
    int h, int w, bool labelled)
{
	int idw = labelled ? (COLS / 5 < 8 ? 8 : COLS / 5 > 20 ? 20 : COLS / 5) : 0;
	int bx = x + (labelled ? 6 + idw : 0) + 1, bw = x + w - bx - 1;
	int64_t total = model_elapsed_us(m, now);
	char end[32];
	attr_t head = theme_attr(ROLE_DIM) | A_BOLD;

	ui_fill(y, x, w, head);
	if (labelled)
		put(y, x, 6 + idw, head, "   TIMELINE");
	if (bw < 8)
		return;
	ui_fmt_duration(total, end, sizeof end);
	put(y, bx, 1, head, "0");
	attrset(head);
	for (int c = 1; c < bw - (int)strlen(end) - 1; c++)
		mvaddstr(y, bx + c, glyph_hline());
	put(y, bx + bw - (int)strlen(end), (int)strlen(end), head, end);
	for (int r = 0; r < h; r++) {
		size_t i = v->top + (size_t)r;
		const struct model_step *ms;
		double from, len;

		ui_fill(y + 1 + r, x, w, A_NORMAL);
		if (i >= m->wf->n_steps)
			continue;
		ms = &m->steps[i];
		if (labelled) {
			dash_step_marks(v, m, i, y + 1 + r, x);
			put_id(y + 1 + r, x + 6, idw, A_NORMAL, m->wf->steps[i].id);
		}
		if (ms->started_us == 0 || total <= 0)
			continue;
		from = (double)(ms->started_us - m->started_us) / (double)total * bw;
		len = (double)model_step_elapsed_us(m, i, now) / (double)total * bw;
		sb_reset(&v->sb);
		chart_bar(&v->sb, from, from + len, bw);
		put(y + 1 + r, bx, bw, theme_attr(ui_status_role(ms->status)) |
		    (v->critical[i] ? A_BOLD : 0), sb_str(&v->sb));
	}
}

static void
dash_draw(struct ui *ui, void *st, int y, int h)
{
	struct dash_view *v = st;
	int64_t now;
	const struct model *m = run_view_model(ui, &now);
	size_t n = m->wf->n_steps;
	int end = y + h, left, rows;
	bool wide = COLS >= DASH_WIDE;

	dash_figures(v, m, now);
	dash_draw_time(v, m, now, y);
	y += 1 + dash_draw_budget(v, m, y + 1);
	y += dash_draw_workflow(v, m, y);
	/* What is left: the table and the timeline, a heading each. */
	left = end - y;
	rows = wide ? left - 1 : (left - 2) / 2;
	if ((size_t)rows > n)
		rows = (int)n;
	if (rows >= 1) {
		v->rows = rows;
		if (v->top + (size_t)rows > n)
			v->top = n - (size_t)rows;
		if (wide) {
			int tw = TABLE_FIXED + TABLE_ID_MAX;

			dash_draw_table(v, m, now, y, 0, rows, tw);
			dash_draw_timeline(v, m, now, y, tw, rows, COLS - tw, false);
			y += 1 + rows;
		} else {
			dash_draw_table(v, m, now, y, 0, rows, COLS);
			dash_draw_timeline(v, m, now, y + rows + 1, 0, rows, COLS, true);
			y += 2 + 2 * rows;
		}
	}
	for (; y < end; y++)
		ui_fill(y, 0, COLS, A_NORMAL);
}

static void
dash_header(struct ui *ui, void *st, char *buf, size_t size)
{
	int64_t now;
	const struct model *m = run_view_model(ui, &now);

	snprintf(buf, size, " drover  dashboard  run %lld  %s  %s %s%s", (long long)m->run,
	    m->wf->name, glyph_run_status(m->status), m->ended || m->started_us == 0 ?
	    run_status_name(m->status) : "running", ui->paused ? "  [paused]" : "");
}

/* ---- the console's calls ---- */

static int
dash_timeout_ms(struct ui *ui, void *st, int64_t now)
{
	const struct dash_view *v = st;
	struct view *rv = ui_view_find(ui, &view_run);
	int t = rv->ops->timeout_ms(ui, rv->st, now);
	int64_t shown;
	const struct model *m = run_view_model(ui, &shown);

	if (!ui->paused && (v->done != v->loaded_done || m->ended != v->loaded_ended))
		t = ui_earlier(t, (int)((v->loaded_us + RELOAD_US - now) / 1000) + 1);
	return t;
}

/* The run goes on under the dashboard: what it did since is taken in, and
 * a step that finished (or the run's end) has the history read again. */
static void
dash_tick(struct ui *ui, void *st, int64_t now)
{
	struct dash_view *v = st;
	struct view *rv = ui_view_find(ui, &view_run);
	int64_t shown;
	const struct model *m;

	rv->ops->tick(ui, rv->st, now);
	m = run_view_model(ui, &shown);
	if (m->gen != v->gen) {
		v->gen = m->gen;
		v->done = dash_count_done(m);
	}
	if (!ui->paused && (v->done != v->loaded_done || m->ended != v->loaded_ended) &&
	    now - v->loaded_us >= RELOAD_US)
		dash_load(ui, v, m, now);
}

static int
dash_fd(const void *st)
{
	const struct dash_view *v = st;

	return view_run.fd(v->run);
}

/* ---- keys ---- */

static void
act_scroll(struct ui *ui, void *st, int key)
{
	struct dash_view *v = st;
	size_t page = v->rows > 1 ? (size_t)v->rows - 1 : 1;

	switch (key) {
	case 'j': case KEY_DOWN: v->top++; break;
	case 'k': case KEY_UP: v->top = v->top > 0 ? v->top - 1 : 0; break;
	case 'g': case KEY_HOME: v->top = 0; break;
	case 'G': case KEY_END: v->top = (size_t)-1 / 2; break;	/* the frame clamps it */
	case KEY_NPAGE: case ' ': v->top += page; break;
	case KEY_PPAGE: case 'b': v->top = v->top > page ? v->top - page : 0; break;
	}
}

static void
act_back(struct ui *ui, void *st, int key)
{
	ui_view_back(ui);
}

static void
act_cancel(struct ui *ui, void *st, int key)
{
	ui_cancel(ui);
}

static void
act_gate(struct ui *ui, void *st, int key)
{
	int64_t run;
	size_t step;

	if (run_view_gate(ui, &run, &step) == NULL)
		ui_message(ui, true, "no step of this run waits for a decision");
	else
		ui_open(ui, &view_gate, &step);
}

static const struct binding dash_bindings[] = {
	{ 0, { 'j', 'k', KEY_DOWN, KEY_UP }, "j/k", "scroll the steps and the timeline",
	    "scroll", 0, act_scroll },
	{ 0, { 'g', 'G', KEY_HOME, KEY_END }, "g/G", "first / last steps", NULL, 0, act_scroll },
	{ 0, { KEY_NPAGE, KEY_PPAGE, ' ', 'b' }, "Space/b", "page down / up (PgDn/PgUp)", NULL,
	    0, act_scroll },
	{ 0, { 'd' }, "d", "back to the run view (as Esc)", "run", 0, act_back },
	{ 0, { 'c' }, "c", "cancel the run (asks first)", "cancel", K_CHANGES | K_LIVE_RUN,
	    act_cancel },
	{ 0, { 'A' }, "A", "review the gate that waits: approve or reject", "approve",
	    K_CHANGES | K_GATE, act_gate },
};

static const char *const dash_titles[] = { "Keys: dashboard" };

const struct view_ops view_dash = {
	.open = dash_open,
	.close = dash_close,
	.show = dash_show,
	.header = dash_header,
	.draw = dash_draw,
	.timeout_ms = dash_timeout_ms,
	.tick = dash_tick,
	.fd = dash_fd,
	.titles = dash_titles,
	.bindings = dash_bindings,
	.n_bindings = sizeof dash_bindings / sizeof dash_bindings[0],
};
