/* view_runs.c - the runs view: live and past runs, newest first.
 *
 * The list is read from the history again only when the database changed
 * (PRAGMA data_version, looked at twice a second) or once a second while
 * a listed run is live, for its clock.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "event.h"
#include "glyph.h"
#include "json.h"
#include "store.h"
#include "ui.h"
#include "xmalloc.h"

#define RUNS_MAX 1000
#define RUNS_POLL_MS 500

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

/* A run passes when every word of the filter is in its number, status,
 * workflow, user or host; "status:failed" and "workflow:deploy" ask for
 * one field. */
static bool
runs_match(const cJSON *r, const char *filter)
{
	char *copy = xstrdup(filter), *save = NULL;
	bool ok = true;

	for (char *w = strtok_r(copy, " ", &save); w != NULL && ok; w = strtok_r(NULL, " ", &save)) {
		char num[32];

		snprintf(num, sizeof num, "%.0f", run_num(r, "id"));
		if (strncmp(w, "status:", 7) == 0)
			ok = strcasecmp(run_str(r, "status"), w + 7) == 0;
		else if (strncmp(w, "workflow:", 9) == 0)
			ok = strcasestr(run_str(r, "workflow"), w + 9) != NULL;
		else
			ok = strcmp(num, w) == 0 || strcasestr(run_str(r, "status"), w) != NULL ||
			    strcasestr(run_str(r, "workflow"), w) != NULL ||
			    strcasestr(run_str(r, "user"), w) != NULL ||
			    strcasestr(run_str(r, "uuid"), w) == run_str(r, "uuid");
	}
	free(copy);
	return ok;
}

static void
runs_apply_filter(struct ui *ui)
{
	struct runs_view *v = &ui->runs;
	int n = cJSON_GetArraySize(v->runs), k = 0;
	const cJSON *r;

	free(v->shown);
	v->shown = xcalloc((size_t)n + 1, sizeof *v->shown);
	v->n_shown = 0;
	cJSON_ArrayForEach(r, v->runs) {
		if (runs_match(r, v->filter))
			v->shown[v->n_shown++] = k;
		k++;
	}
	if (v->sel >= v->n_shown)
		v->sel = v->n_shown > 0 ? v->n_shown - 1 : 0;
	ui->dirty = true;
}

static bool
runs_any_live(const struct runs_view *v)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, v->runs)
		if (strcmp(run_str(r, "status"), "running") == 0)
			return true;
	return false;
}

void
runs_refresh(struct ui *ui, bool force)
{
	struct runs_view *v = &ui->runs;
	struct store_filter f = { .limit = RUNS_MAX };
	int64_t now = event_now(), dv;
	struct err e;
	cJSON *runs;
	double sel_id = 0;

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
	if ((runs = store_list_runs(ui->st, &f, &e)) == NULL) {
		ui_message(ui, true, "%s", e.msg);
		return;
	}
	if (v->n_shown > 0)
		sel_id = run_num(cJSON_GetArrayItem(v->runs, v->shown[v->sel]), "id");
	cJSON_Delete(v->runs);
	v->runs = runs;
	runs_apply_filter(ui);
	/* Keep the same run selected when new ones arrive on top. */
	for (size_t i = 0; i < v->n_shown && sel_id != 0; i++)
		if (run_num(cJSON_GetArrayItem(runs, v->shown[i]), "id") == sel_id)
			v->sel = i;
}

int
runs_timeout_ms(const struct ui *ui)
{
	int64_t left = ui->runs.loaded_us + RUNS_POLL_MS * 1000 - event_now();

	return left <= 0 ? 0 : (int)(left / 1000) + 1;
}

void
runs_set_filter(struct ui *ui, const char *text)
{
	snprintf(ui->runs.filter, sizeof ui->runs.filter, "%s", text);
	ui->runs.sel = 0;
	runs_apply_filter(ui);
	if (ui->runs.n_shown == 0 && text[0] != '\0')
		ui_message(ui, true, "no run matches '%s'", text);
}

void
runs_move(struct ui *ui, long delta)
{
	struct runs_view *v = &ui->runs;
	long sel = (long)v->sel + delta;

	if (sel >= (long)v->n_shown)
		sel = (long)v->n_shown - 1;
	if (sel < 0)
		sel = 0;
	v->sel = (size_t)sel;
}

void
runs_open(struct ui *ui)
{
	struct runs_view *v = &ui->runs;

	if (v->n_shown == 0)
		return;
	ui_open_run(ui, (int64_t)run_num(cJSON_GetArrayItem(v->runs, v->shown[v->sel]), "id"));
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
runs_draw_row(const cJSON *r, int y, bool selected)
{
	const char *status = run_str(r, "status");
	int rs = run_status_parse(status);
	char line[512], start[32], dur[32];
	int64_t started;
	attr_t a = selected ? theme_attr(ROLE_SELECTED) : A_NORMAL;

	runs_fmt_start(run_str(r, "started_at"), start, sizeof start);
	if (rs == RUN_RUNNING && event_time_parse(run_str(r, "started_at"), &started) == 0)
		ui_fmt_duration(event_now() - started, dur, sizeof dur);
	else
		ui_fmt_duration((int64_t)run_num(r, "duration_ms") * 1000, dur, sizeof dur);
	ui_fill(y, 0, COLS, a);
	attrset(selected ? a : theme_attr(ui_run_role(rs < 0 ? RUN_FAILED : (enum run_status)rs)));
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

void
runs_draw(struct ui *ui, int y, int h)
{
	struct runs_view *v = &ui->runs;
	char head[256];

	snprintf(head, sizeof head, "   %5s %-11s %-20s %-11s %7s %7s  %s", "RUN", "STATUS",
	    "WORKFLOW", "STARTED", "TIME", "COST $", "USER");
	ui_fill(y, 0, COLS, theme_attr(ROLE_DIM) | A_BOLD);
	attrset(theme_attr(ROLE_DIM) | A_BOLD);
	mvaddnstr(y, 0, head, COLS);
	attrset(A_NORMAL);
	y++;
	h--;
	if (v->sel < v->top)
		v->top = v->sel;
	if (h > 0 && v->sel >= v->top + (size_t)h)
		v->top = v->sel - (size_t)h + 1;
	for (int row = 0; row < h; row++) {
		size_t i = v->top + (size_t)row;

		if (i >= v->n_shown) {
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
		runs_draw_row(cJSON_GetArrayItem(v->runs, v->shown[i]), y + row, i == v->sel);
	}
}
