/* view_runs.c - the runs view: live and past runs, newest first.
 *
 * The view holds a window of the list around the selection, at most
 * RUNS_WINDOW runs, and pages through the whole history by run number
 * (keyset paging, the filter applied in SQL): the oldest run is as near as
 * G, in constant memory, whatever the history holds.  The window is read
 * again only when the database changed (PRAGMA data_version, looked at
 * twice a second); while a listed run is live it is redrawn for its clock.
 * The gates that wait for the user, in any live run, are read with it:
 * their runs come first, above the list (pinned, RUNS_PINS at most, while
 * the window is at the newest runs and no filter is set), and say
 * "waiting" where they stand in it; a band names them on every view.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts.h"
#include "approvers.h"
#include "conf.h"
#include "event.h"
#include "glyph.h"
#include "json.h"
#include "store.h"
#include "ui.h"
#include "xmalloc.h"

#define RUNS_WINDOW 256	/* runs held around the selection */
#define RUNS_POLL_MS 500
#define RUNS_PINS 5	/* runs waiting for the user, shown first */

/* The view's state, as only this file knows it. */
struct runs_view {
	cJSON **rows;		/* a window of the list, newest first, from store_list_runs */
	size_t n, sel, top;	/* rows, the selected and the first shown one */
	bool at_newest, at_oldest;	/* the window reaches that end of the list */
	char filter[128];
	int64_t data_version, loaded_us;
	cJSON *mine;		/* the gates the user may decide (store_waiting_gates) */
	struct alert_rules rules;	/* the configuration's, read when the view opens */
	char alerts[160];	/* the rules of them firing, for the header, or "" */
	int pin;		/* the selection is that pinned run, or -1: in rows */
};

/* How many runs waiting for the user go first. */
static int
runs_pins(const struct runs_view *v)
{
	int n = cJSON_GetArraySize(v->mine);

	if (!v->at_newest || v->filter[0] != '\0')
		return 0;
	return n < RUNS_PINS ? n : RUNS_PINS;
}

/* A run's field as text ("" when missing) and as a number (0). */
static const char *
run_str(const cJSON *r, const char *key)
{
	const char *s = json_str(r, key);

	return s != NULL ? s : "";
}

static double
run_num(const cJSON *r, const char *key)
{
	return json_num(r, key, 0);
}

static int64_t
run_id(const cJSON *r)
{
	return (int64_t)run_num(r, "id");
}

/* Up to limit runs that pass the filter, numbered below before or above
 * after (0: no bound), newest first unless oldest_first; NULL, with the
 * reason shown, when the history cannot say. */
static cJSON *
runs_query(struct ui *ui, const struct runs_view *v, int64_t before, int64_t after,
    bool oldest_first, int limit)
{
	struct store_filter f = {
		.text = v->filter[0] != '\0' ? v->filter : NULL,
		.before = before, .after = after, .oldest_first = oldest_first, .limit = limit,
	};
	struct err e;
	cJSON *list = store_list_runs(ui->st, &f, &e);

	if (list == NULL)
		ui_message(ui, true, "%s", e.msg);
	return list;
}

static void
runs_clear(struct runs_view *v)
{
	for (size_t i = 0; i < v->n; i++)
		cJSON_Delete(v->rows[i]);
	v->n = v->sel = v->top = 0;
}

static void *
runs_view_open(struct ui *ui, const void *arg, struct err *e)
{
	struct runs_view *v = xcalloc(1, sizeof *v);
	struct diags d = DIAGS_INIT;
	struct conf c;

	v->pin = -1;
	/* The alert rules, for the header: a broken configuration is said
	 * by the commands that run things, not here. */
	if (conf_load(&c, &d) == 0) {
		v->rules = c.alerts;
		memset(&c.alerts, 0, sizeof c.alerts);
	}
	conf_fini(&c);
	diags_fini(&d);
	return v;
}

static void
runs_view_close(void *st)
{
	struct runs_view *v = st;

	runs_clear(v);
	free(v->rows);
	cJSON_Delete(v->mine);
	alerts_fini(&v->rules);
	free(v);
}

/* Moves the runs of list (freed) to the window: after its last row (list
 * newest first) or before its first (list oldest first).  Returns how
 * many there were. */
static size_t
runs_take(struct runs_view *v, cJSON *list, bool at_end)
{
	size_t k = (size_t)cJSON_GetArraySize(list), i = 0;
	cJSON *r;

	if (v->rows == NULL)
		v->rows = xcalloc(2 * RUNS_WINDOW, sizeof *v->rows);
	if (!at_end)
		memmove(v->rows + k, v->rows, v->n * sizeof *v->rows);
	while ((r = cJSON_DetachItemFromArray(list, 0)) != NULL) {
		v->rows[at_end ? v->n + i : k - 1 - i] = r;
		i++;
	}
	v->n += k;
	cJSON_Delete(list);
	return k;
}

/* Keeps at most RUNS_WINDOW rows, dropping them at the end away from the
 * selection. */
static void
runs_trim(struct runs_view *v)
{
	size_t k = v->n > RUNS_WINDOW ? v->n - RUNS_WINDOW : 0;

	if (k == 0)
		return;
	if (v->sel >= v->n / 2) {
		for (size_t i = 0; i < k; i++)
			cJSON_Delete(v->rows[i]);
		memmove(v->rows, v->rows + k, (v->n - k) * sizeof *v->rows);
		v->sel -= k;
		v->top = v->top > k ? v->top - k : 0;
		v->at_newest = false;
	} else {
		for (size_t i = v->n - k; i < v->n; i++)
			cJSON_Delete(v->rows[i]);
		v->at_oldest = false;
	}
	v->n -= k;
}

/* Fills the window with the newest runs, or the oldest, from before
 * (0: the top; else the runs numbered below it). */
static void
runs_load(struct ui *ui, struct runs_view *v, bool oldest, int64_t before)
{
	cJSON *list = runs_query(ui, v, before, 0, oldest, RUNS_WINDOW);
	size_t k;

	if (list == NULL)
		return;
	runs_clear(v);
	k = runs_take(v, list, !oldest);
	v->at_newest = (!oldest && before == 0) || (oldest && k < RUNS_WINDOW);
	v->at_oldest = oldest || k < RUNS_WINDOW;
	v->sel = oldest && k > 0 ? k - 1 : 0;
	ui->dirty = true;
}

struct firing {
	const struct alert_rules *rules;
	char *buf;
	size_t size, len;
	int n;
};

static bool
configured(const struct alert_rules *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0)
			return true;
	return false;
}

/* A rule's state: named when it fires and the configuration still has it
 * (the history keeps the state of rules since removed). */
static int
note_firing(void *ud, cJSON *st)
{
	struct firing *f = ud;

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "firing")) &&
	    configured(f->rules, run_str(st, "name")) && f->len < f->size && f->n++ < 2)
		f->len += (size_t)snprintf(f->buf + f->len, f->size - f->len, "%s%s",
		    f->n > 1 ? ", " : "", run_str(st, "name"));
	cJSON_Delete(st);
	return 0;
}

/* The alert rules firing (alerts.h), as the history has them now. */
static void
runs_load_alerts(struct ui *ui, struct runs_view *v)
{
	struct firing f = { &v->rules, v->alerts, sizeof v->alerts, 0, 0 };
	struct err e;

	v->alerts[0] = '\0';
	if (v->rules.n > 0 && store_alert_each(ui->st, note_firing, &f, &e) < 0)
		v->alerts[0] = '\0';
	else if (f.n > 2 && f.len < f.size)
		snprintf(v->alerts + f.len, f.size - f.len, " and %d more", f.n - 2);
}

/* The gates waiting for this user, as the history has them now. */
static void
runs_load_mine(struct ui *ui, struct runs_view *v)
{
	cJSON *all, *g;
	struct err e;

	cJSON_Delete(v->mine);
	v->mine = cJSON_CreateArray();
	if ((all = store_waiting_gates(ui->st, &e)) == NULL)
		return;
	while ((g = cJSON_DetachItemFromArray(all, 0)) != NULL) {
		if (approvers_gate_open_to_self(cJSON_GetObjectItemCaseSensitive(g, "gate")))
			cJSON_AddItemToArray(v->mine, g);
		else
			cJSON_Delete(g);
	}
	cJSON_Delete(all);
}

static bool
runs_waits_for_me(const struct runs_view *v, double id)
{
	const cJSON *g;

	cJSON_ArrayForEach(g, v->mine)
		if (json_num(g, "run", 0) == id)
			return true;
	return false;
}

/* The band: the gates that wait for the user, in every live run. */
static bool
runs_view_band(struct ui *ui, void *st, char *buf, size_t size)
{
	const struct runs_view *v = st;
	int n = cJSON_GetArraySize(v->mine), k = 0;
	const cJSON *g;
	size_t len;

	(void)ui;
	if (n == 0)
		return false;
	len = (size_t)snprintf(buf, size, " %d gate%s wait%s for you:", n, n == 1 ? "" : "s",
	    n == 1 ? "s" : "");
	cJSON_ArrayForEach(g, v->mine) {
		if (len >= size || k++ == 3)
			break;
		len += (size_t)snprintf(buf + len, size - len, "%s run %.0f %s (%s)", k > 1 ? "," : "",
		    json_num(g, "run", 0), run_str(g, "step"),
		    run_str(cJSON_GetObjectItemCaseSensitive(g, "gate"), "message"));
	}
	if (len < size)
		snprintf(buf + len, size - len, "%s  Enter opens a run, A there decides",
		    n > 3 ? ", ..." : "");
	return true;
}

static bool
runs_any_live(const struct runs_view *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(run_str(v->rows[i], "status"), "running") == 0)
			return true;
	return false;
}

static void
runs_refresh(struct ui *ui, struct runs_view *v, bool force)
{
	int64_t now = event_now(), dv, sel_id;
	bool first;

	if (!force && now - v->loaded_us < RUNS_POLL_MS * 1000)
		return;
	dv = store_data_version(ui->st);
	v->loaded_us = now;
	if (!force && dv == v->data_version && dv != -1) {
		if (runs_any_live(v))
			ui->dirty = true;	/* the clocks of live runs */
		return;
	}
	v->data_version = dv;
	first = v->n == 0;
	runs_load_mine(ui, v);
	runs_load_alerts(ui, v);
	/* The same stretch of the list again, new runs on top when it starts
	 * there, and the same run selected. */
	sel_id = v->n > 0 ? run_id(v->rows[v->sel]) : 0;
	runs_load(ui, v, false, v->at_newest || v->n == 0 ? 0 : run_id(v->rows[0]) + 1);
	if (sel_id != 0 && v->n > 0 && run_id(v->rows[v->n - 1]) > sel_id)
		runs_load(ui, v, false, sel_id + 1);	/* pushed out by new runs */
	for (size_t i = 0; i < v->n && sel_id != 0; i++) {
		v->sel = i;
		if (run_id(v->rows[i]) <= sel_id)
			break;
	}
	if (first && runs_pins(v) > 0)
		v->pin = 0;	/* what waits for the user, first */
}

/* The list is read again each time it is shown: a run opened from it may
 * have changed it. */
static void
runs_view_show(struct ui *ui, void *st)
{
	runs_refresh(ui, st, true);
}

static int
runs_view_timeout_ms(struct ui *ui, void *st, int64_t now)
{
	const struct runs_view *v = st;
	int64_t left = v->loaded_us + RUNS_POLL_MS * 1000 - event_now();

	if (ui->paused)
		return -1;
	return left <= 0 ? 0 : (int)(left / 1000) + 1;
}

static void
runs_view_tick(struct ui *ui, void *st, int64_t now)
{
	if (!ui->paused)
		runs_refresh(ui, st, false);
}

static void
runs_filter_done(struct ui *ui, void *st, const char *text)
{
	struct runs_view *v = st;

	snprintf(v->filter, sizeof v->filter, "%s", text);
	runs_load(ui, v, false, 0);
	if (v->n == 0 && text[0] != '\0')
		ui_message(ui, true, "no run matches '%s'", text);
}

static void
runs_move(struct ui *ui, struct runs_view *v, long delta)
{
	long want = (long)v->sel + delta, room = RUNS_WINDOW / 2;
	cJSON *list;
	size_t k;

	/* The pinned runs come before the first row. */
	if (v->pin >= 0 || (want < 0 && v->at_newest && runs_pins(v) > 0)) {
		long at = (v->pin >= 0 ? v->pin : runs_pins(v) + (long)v->sel) + delta;

		v->pin = at < 0 ? 0 : at < runs_pins(v) ? (int)at : -1;
		if (v->pin >= 0)
			return;
		want = at - runs_pins(v);
	}
	if (want >= (long)v->n && !v->at_oldest && v->n > 0) {
		long ask = want - (long)v->n + 1 + room;

		if (ask > RUNS_WINDOW)
			ask = RUNS_WINDOW;
		list = runs_query(ui, v, run_id(v->rows[v->n - 1]), 0, false, (int)ask);
		if (list != NULL && (long)runs_take(v, list, true) < ask)
			v->at_oldest = true;
	}
	if (want < 0 && !v->at_newest && v->n > 0) {
		long ask = -want + room;

		if (ask > RUNS_WINDOW)
			ask = RUNS_WINDOW;
		if ((list = runs_query(ui, v, 0, run_id(v->rows[0]), true, (int)ask)) != NULL) {
			k = runs_take(v, list, false);
			v->at_newest = (long)k < ask;
			want += (long)k;
			v->top += k;
		}
	}
	if (want >= (long)v->n)
		want = (long)v->n - 1;
	v->sel = want > 0 ? (size_t)want : 0;
	runs_trim(v);
}

/* The newest run, or the oldest in the whole history. */
static void
runs_edge(struct ui *ui, struct runs_view *v, bool oldest)
{
	v->pin = -1;
	if (oldest ? v->at_oldest : v->at_newest)
		v->sel = oldest && v->n > 0 ? v->n - 1 : 0;
	else
		runs_load(ui, v, oldest, 0);
	if (!oldest && runs_pins(v) > 0)
		v->pin = 0;
}

void
runs_complete(struct ui *ui, struct cands *c)
{
	const struct view *view = ui_view_find(ui, &view_runs);
	const struct runs_view *v = view != NULL ? view->st : NULL;

	for (size_t i = 0; v != NULL && i < v->n; i++) {
		char num[32];

		snprintf(num, sizeof num, "%.0f", run_num(v->rows[i], "id"));
		cands_add(c, num);
	}
}

/* "14:02:03" today, "11-20 14:02" before. */
static void
runs_fmt_start(const char *rfc3339, char *buf, size_t size)
{
	int64_t us, now = event_now();
	time_t t, n;
	struct tm tm, tn;

	if (event_time_parse(rfc3339, &us) < 0) {
		snprintf(buf, size, "-");
		return;
	}
	t = (time_t)(us / 1000000);
	n = (time_t)(now / 1000000);
	localtime_r(&t, &tm);
	localtime_r(&n, &tn);
	if (tm.tm_year == tn.tm_year && tm.tm_yday == tn.tm_yday)
		strftime(buf, size, "%H:%M:%S", &tm);
	else
		strftime(buf, size, "%m-%d %H:%M", &tm);
}

static void
runs_draw_row(const cJSON *r, int y, bool selected, bool mine)
{
	const char *status = mine ? "waiting" : run_str(r, "status");
	int rs = run_status_parse(status);
	char line[512], start[32], dur[32];
	int64_t started;
	attr_t a = selected ? theme_attr(ROLE_SELECTED) : A_NORMAL;

	runs_fmt_start(run_str(r, "started_at"), start, sizeof start);
	if (mine)
		rs = RUN_RUNNING;
	if (rs == RUN_RUNNING && event_time_parse(run_str(r, "started_at"), &started) == 0)
		ui_fmt_duration(event_now() - started, dur, sizeof dur);
	else
		ui_fmt_duration((int64_t)run_num(r, "duration_ms") * 1000, dur, sizeof dur);
	ui_fill(y, 0, COLS, a);
	attrset(selected ? a : mine ? theme_attr(ROLE_WAITING) :
	    theme_attr(ui_run_role(rs < 0 ? RUN_FAILED : (enum run_status)rs)));
	mvaddstr(y, 1, glyph_run_status(rs < 0 ? RUN_FAILED : (enum run_status)rs));
	move(y, 3);
	snprintf(line, sizeof line, "%5.0f %-11.11s ", run_num(r, "id"), status);
	addstr(line);
	attrset(a);
	snprintf(line, sizeof line, "%-20.20s %-11s %7s %7.4f  %s", run_str(r, "workflow"), start,
	    dur, run_num(r, "cost_usd"), run_str(r, "user"));
	glyph_text(stdscr, line, strlen(line), COLS - getcurx(stdscr));
	attrset(A_NORMAL);
}

/* A pinned run: the gate in it that waits for the user. */
static void
runs_draw_pin(const cJSON *g, int y, bool selected)
{
	const cJSON *gate = cJSON_GetObjectItemCaseSensitive(g, "gate");
	attr_t a = selected ? theme_attr(ROLE_SELECTED) : theme_attr(ROLE_WAITING);
	char line[512];

	ui_fill(y, 0, COLS, a);
	attrset(a);
	mvaddstr(y, 1, glyph_status(ST_WAITING));
	snprintf(line, sizeof line, " %5.0f %-11s %-20.20s %s: %s", json_num(g, "run", 0),
	    "for you", run_str(g, "workflow"), run_str(g, "step"), run_str(gate, "message"));
	move(y, 2);
	glyph_text(stdscr, line, strlen(line), COLS - 2);
	attrset(A_NORMAL);
}

static void
runs_view_header(struct ui *ui, void *st, char *buf, size_t size)
{
	const struct runs_view *v = st;

	snprintf(buf, size, " drover  runs%s%s%s%s%s", v->filter[0] ? "  filter: " : "", v->filter,
	    ui->paused ? "  [paused]" : "", v->alerts[0] ? "  ALERT firing: " : "", v->alerts);
}

static void
runs_view_draw(struct ui *ui, void *st, int y, int h)
{
	struct runs_view *v = st;
	char head[256];

	snprintf(head, sizeof head, "   %5s %-11s %-20s %-11s %7s %7s  %s", "RUN", "STATUS",
	    "WORKFLOW", "STARTED", "TIME", "COST $", "USER");
	ui_fill(y, 0, COLS, theme_attr(ROLE_DIM) | A_BOLD);
	attrset(theme_attr(ROLE_DIM) | A_BOLD);
	mvaddnstr(y, 0, head, COLS);
	attrset(A_NORMAL);
	y++;
	h--;
	if (v->pin >= runs_pins(v))
		v->pin = -1;
	for (int k = 0; k < runs_pins(v) && h > 1; k++, y++, h--)
		runs_draw_pin(cJSON_GetArrayItem(v->mine, k), y, k == v->pin);
	if (v->sel < v->top)
		v->top = v->sel;
	if (h > 0 && v->sel >= v->top + (size_t)h)
		v->top = v->sel - (size_t)h + 1;
	for (int row = 0; row < h; row++) {
		size_t i = v->top + (size_t)row;

		if (i >= v->n) {
			ui_fill(y + row, 0, COLS, A_NORMAL);
			if (row == 0) {
				const char *none = v->filter[0] ? "  no run matches the filter (/ to change)"
				    : "  no runs yet: start one with :run FILE";

				attrset(theme_attr(ROLE_DIM));
				mvaddnstr(y, 0, none, COLS);
				attrset(A_NORMAL);
			}
			continue;
		}
		runs_draw_row(v->rows[i], y + row, i == v->sel && v->pin < 0,
		    runs_waits_for_me(v, run_num(v->rows[i], "id")));
	}
}

/* ---- keys ---- */

static void
act_move(struct ui *ui, void *st, int key)
{
	long page = LINES - 5;

	switch (key) {
	case 'j': case KEY_DOWN: runs_move(ui, st, 1); break;
	case 'k': case KEY_UP: runs_move(ui, st, -1); break;
	case KEY_NPAGE: case CTRL('f'): runs_move(ui, st, page); break;
	case KEY_PPAGE: case CTRL('b'): runs_move(ui, st, -page); break;
	case 'g': case KEY_HOME: runs_edge(ui, st, false); break;
	case 'G': case KEY_END: runs_edge(ui, st, true); break;
	}
}

static void
act_open(struct ui *ui, void *st, int key)
{
	struct runs_view *v = st;

	if (v->pin >= 0 && v->pin < runs_pins(v))
		ui_open_run(ui, (int64_t)json_num(cJSON_GetArrayItem(v->mine, v->pin), "run", 0));
	else if (v->n > 0)
		ui_open_run(ui, run_id(v->rows[v->sel]));
}

static void
act_filter(struct ui *ui, void *st, int key)
{
	ui_prompt_text(ui, "filter: ", runs_filter_done, &view_runs);
}

static const struct binding runs_bindings[] = {
	{ 0, { 'j', 'k', KEY_DOWN, KEY_UP }, "j/k", "move down / up", NULL, 0, act_move },
	{ 0, { 'g', 'G', KEY_HOME, KEY_END }, "g/G", "first / last run", NULL, 0, act_move },
	{ 0, { KEY_NPAGE, KEY_PPAGE, CTRL('f'), CTRL('b') }, "PgDn/PgUp", "page down / up",
	    NULL, 0, act_move },
	{ 0, { '\r', '\n', KEY_ENTER }, "Enter", "open the run", "open", 0, act_open },
	{ 0, { '/' }, "/", "filter by text, status or workflow (empty: all)", "filter", 0,
	    act_filter },
};

static const char *const runs_titles[] = { "Keys: runs" };

const struct view_ops view_runs = {
	.open = runs_view_open,
	.close = runs_view_close,
	.show = runs_view_show,
	.header = runs_view_header,
	.draw = runs_view_draw,
	.timeout_ms = runs_view_timeout_ms,
	.tick = runs_view_tick,
	.band = runs_view_band,
	.titles = runs_titles,
	.bindings = runs_bindings,
	.n_bindings = sizeof runs_bindings / sizeof runs_bindings[0],
};
