/* view_run.c - the run view: the steps as a graph (or a list), the
 * selected step's detail, and its log.
 *
 * The graph is laid out once per run (dag_layout.c); a frame draws only
 * the part of the canvas inside the viewport, so a 10,000-step graph costs
 * what a 10-step one does.  Wide terminals put the detail and the log
 * beside the graph, narrow ones below it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dag_layout.h"
#include "glyph.h"
#include "source.h"
#include "ui.h"
#include "wf.h"
#include "wf_print.h"
#include "xmalloc.h"

/* Columns of a node's label: glyph, space, section, id, space, elapsed. */
#define NODE_ID_MAX 24
#define NODE_TIME 7

/* What is written before the id of a step that runs only when the run
 * failed, or at its very end: the graph and the list both say so. */
static const char *
section_prefix(const struct step *s)
{
	switch (s->section) {
	case SECTION_ON_FAILURE:
		return "on_failure: ";
	case SECTION_FINALLY:
		return "finally: ";
	case SECTION_MAIN:
		break;
	}
	return "";
}

static int
node_width(const struct step *s)
{
	int w = glyph_width(s->id, strlen(s->id));

	return 2 + (int)strlen(section_prefix(s)) + (w > NODE_ID_MAX ? NODE_ID_MAX : w) + 1 +
	    NODE_TIME;
}

static struct dag_layout *
run_view_layout(const struct workflow *wf)
{
	struct dag_node_in *in = xcalloc(wf->n_steps + 1, sizeof *in);
	struct dag_layout *l;
	size_t first;
	int after_main = wf->n_levels;

	for (size_t i = 0; i < wf->n_steps; i++) {
		const struct step *s = &wf->steps[i];

		in[i].deps = s->deps;
		in[i].n_deps = s->n_deps;
		in[i].width = node_width(s);
	}
	/* on_failure and finally steps come after the whole main graph. */
	if (wf_section_steps(wf, SECTION_ON_FAILURE, &first) > 0) {
		for (size_t i = first; i < first + wf->n_on_failure; i++)
			in[i].min_layer = after_main;
		after_main++;
	}
	if (wf_section_steps(wf, SECTION_FINALLY, &first) > 0)
		for (size_t i = first; i < first + wf->n_finally; i++)
			in[i].min_layer = after_main + 1;
	l = dag_layout_new(in, wf->n_steps, NULL);
	free(in);
	return l;
}

struct run_view *
run_view_new(struct model *m, struct source *src)
{
	struct run_view *rv = xcalloc(1, sizeof *rv);

	rv->m = *m;
	rv->src = src;
	rv->lay = run_view_layout(m->wf);
	log_pane_reset(&rv->log, 0);
	return rv;
}

void
run_view_free(struct run_view *rv)
{
	if (rv == NULL)
		return;
	log_pane_fini(&rv->log);
	dag_layout_free(rv->lay);
	source_free(rv->src);
	model_fini(&rv->m);
	free(rv);
}

/* Shows the step's detail and log. */
static void
run_view_show(struct ui *ui, size_t step)
{
	struct run_view *rv = ui->rv;

	if (step >= rv->m.wf->n_steps)
		return;
	if (step != rv->sel || rv->log.step < 0) {
		bool follow = rv->log.follow;

		log_pane_reset(&rv->log, (int)step);
		rv->log.follow = follow;
	}
	rv->sel = step;
	ui->dirty = true;
}

void
run_view_select(struct ui *ui, size_t step)
{
	ui->rv->chosen = true;
	run_view_show(ui, step);
}

/* Where the run is: its first running (or waiting) step, else the first
 * that failed; -1 when neither. */
static size_t
run_view_current(const struct model *m)
{
	size_t failed = (size_t)-1;

	for (size_t i = 0; i < m->wf->n_steps; i++) {
		enum step_status st = m->steps[i].status;

		if (st == ST_RUNNING || st == ST_RETRYING || st == ST_WAITING)
			return i;
		if ((st == ST_FAILED || st == ST_TIMED_OUT) && failed == (size_t)-1)
			failed = i;
	}
	return failed;
}

void
run_view_follow(struct ui *ui)
{
	struct run_view *rv = ui->rv;
	size_t at;

	if (rv->chosen)
		return;
	if ((at = run_view_current(&rv->m)) != (size_t)-1 && at != rv->sel)
		run_view_show(ui, at);
}

void
run_view_move(struct ui *ui, int dir)
{
	struct run_view *rv = ui->rv;
	size_t n = rv->m.wf->n_steps, to = rv->sel;

	if (n == 0)
		return;
	if (rv->list) {
		switch (dir) {
		case 'j': to = rv->sel + 1 < n ? rv->sel + 1 : rv->sel; break;
		case 'k': to = rv->sel > 0 ? rv->sel - 1 : 0; break;
		case 'J': to = rv->sel + 10 < n ? rv->sel + 10 : n - 1; break;
		case 'K': to = rv->sel > 10 ? rv->sel - 10 : 0; break;
		case 'g': to = 0; break;
		case 'G': to = n - 1; break;
		}
	} else {
		switch (dir) {
		case 'h': to = dag_layout_next(rv->lay, rv->sel, DAG_LEFT); break;
		case 'l': to = dag_layout_next(rv->lay, rv->sel, DAG_RIGHT); break;
		case 'j': to = dag_layout_next(rv->lay, rv->sel, DAG_DOWN); break;
		case 'k': to = dag_layout_next(rv->lay, rv->sel, DAG_UP); break;
		case 'J':
			for (int i = 0; i < 10; i++)
				to = dag_layout_next(rv->lay, to, DAG_DOWN);
			break;
		case 'K':
			for (int i = 0; i < 10; i++)
				to = dag_layout_next(rv->lay, to, DAG_UP);
			break;
		case 'g': to = 0; break;
		case 'G': to = n - 1; break;
		}
	}
	run_view_select(ui, to);
}

bool
run_view_find(struct ui *ui, const char *text)
{
	struct run_view *rv = ui->rv;
	size_t n = rv->m.wf->n_steps;

	for (size_t k = 1; k <= n; k++) {
		size_t i = (rv->sel + k) % n;

		if (strstr(rv->m.wf->steps[i].id, text) != NULL) {
			run_view_select(ui, i);
			return true;
		}
	}
	return false;
}

void
run_view_header(struct ui *ui, char *buf, size_t size)
{
	struct model *m = &ui->rv->m;
	size_t counts[ST_CANCELLED + 1], done;
	char dur[32];
	double progress = source_progress(ui->rv->src);

	model_counts(m, counts);
	done = counts[ST_SUCCEEDED] + counts[ST_FAILED] + counts[ST_TIMED_OUT] +
	    counts[ST_SKIPPED] + counts[ST_UPSTREAM_FAILED] + counts[ST_CANCELLED];
	ui_fmt_duration(model_elapsed_us(m, source_now(ui->rv->src)), dur, sizeof dur);
	snprintf(buf, size, " drover  run %lld  %s  %s %s  %s  %zu/%zu done%s%s%s",
	    (long long)m->run, m->wf->name, glyph_run_status(m->status),
	    m->ended || m->started_us == 0 ? run_status_name(m->status) : "running", dur, done,
	    m->wf->n_steps, counts[ST_FAILED] + counts[ST_TIMED_OUT] > 0 ? "  failures!" : "",
	    progress >= 0 ? "  [replay]" : "", ui->paused ? "  [paused]" : "");
}

/* ---- the graph ---- */

static void
run_view_draw_node(struct ui *ui, size_t i, int y, int x, int x0, int x1)
{
	struct run_view *rv = ui->rv;
	const struct step *s = &rv->m.wf->steps[i];
	const struct model_step *ms = &rv->m.steps[i];
	const struct dag_pos *p = dag_layout_pos(rv->lay, i);
	attr_t a = theme_attr(ui_status_role(ms->status));
	const char *sect = section_prefix(s);
	char t[32];
	int w = p->width, sw = (int)strlen(sect), id_w = w - 3 - NODE_TIME - sw, used;

	if (x < x0 || x + w > x1)
		return;	/* only whole nodes; the viewport follows the selection */
	if (i == rv->sel)
		a = theme_attr(ROLE_SELECTED);
	ui_fill(y, x, w, a);
	attrset(a);
	mvaddstr(y, x, glyph_status(ms->status));
	mvaddstr(y, x + 2, sect);
	move(y, x + 2 + sw);
	used = glyph_text(stdscr, s->id, strlen(s->id), id_w);
	if (used == id_w && glyph_width(s->id, strlen(s->id)) > id_w) {
		move(y, x + 2 + sw + id_w - 1);
		addstr(glyph_ellipsis());
	}
	ui_fmt_duration(model_step_elapsed_us(&rv->m, i, source_now(rv->src)), t, sizeof t);
	if (ms->started_us == 0)
		t[0] = '\0';
	mvaddnstr(y, x + w - NODE_TIME, t, NODE_TIME);
	attrset(A_NORMAL);
}

/* Moves the viewport so the selected node is inside it. */
static void
run_view_scroll_to(struct run_view *rv, int w, int h)
{
	const struct dag_pos *p = dag_layout_pos(rv->lay, rv->sel);

	if (p->x < rv->ox)
		rv->ox = p->x > 2 ? p->x - 2 : 0;
	if (p->x + p->width > rv->ox + w)
		rv->ox = p->x + p->width - w + 2;
	if (p->y < rv->oy)
		rv->oy = p->y > 1 ? p->y - 1 : 0;
	if (p->y >= rv->oy + h)
		rv->oy = p->y - h + 2;
	if (rv->ox < 0)
		rv->ox = 0;
	if (rv->oy < 0)
		rv->oy = 0;
}

static void
run_view_draw_graph(struct ui *ui, int y, int x, int h, int w)
{
	struct run_view *rv = ui->rv;
	int cw, ch;

	attr_t border = theme_attr(ROLE_BORDER);
	cchar_t *row = xcalloc((size_t)w + 1, sizeof *row), cells[32];

	/* Each of the few line shapes is made once; a row goes out in one call. */
	for (unsigned mask = 0; mask < 32; mask++)
		glyph_line_cell(mask, border, &cells[mask]);
	dag_layout_size(rv->lay, &cw, &ch);
	run_view_scroll_to(rv, w, h);
	for (int r = 0; r < h; r++) {
		for (int c = 0; c < w; c++)
			row[c] = cells[dag_layout_cell(rv->lay, rv->ox + c, rv->oy + r) & 31];
		mvadd_wchnstr(y + r, x, row, w);
	}
	free(row);
	/* Nodes in view: those whose row is visible. */
	for (size_t i = 0; i < rv->m.wf->n_steps; i++) {
		const struct dag_pos *p = dag_layout_pos(rv->lay, i);

		if (p->y < rv->oy || p->y >= rv->oy + h || p->x + p->width <= rv->ox ||
		    p->x >= rv->ox + w)
			continue;
		run_view_draw_node(ui, i, y + p->y - rv->oy, x + p->x - rv->ox, x, x + w);
	}
}

/* ---- the list ---- */

/* The list's columns after the step's: status, attempt, time, exit. */
#define LIST_FIXED (3 + 1 + 16 + 1 + 3 + 1 + 8 + 1 + 5)

static void
run_view_draw_list(struct ui *ui, int y, int x, int h, int w)
{
	struct run_view *rv = ui->rv;
	size_t n = rv->m.wf->n_steps;
	char line[256], t[32], label[128];
	/* The step column takes what the others leave, so no heading is cut. */
	int idw = w - LIST_FIXED > 28 ? 28 : w - LIST_FIXED < 8 ? 8 : w - LIST_FIXED;

	attrset(theme_attr(ROLE_DIM) | A_BOLD);
	ui_fill(y, x, w, theme_attr(ROLE_DIM) | A_BOLD);
	snprintf(line, sizeof line, "   %-*s %-16s %3s %8s %5s", idw, "STEP", "STATUS", "TRY",
	    "TIME", "EXIT");
	mvaddnstr(y, x, line, w);
	y++;
	h--;
	if (rv->sel < rv->list_top)
		rv->list_top = rv->sel;
	if (h > 0 && rv->sel >= rv->list_top + (size_t)h)
		rv->list_top = rv->sel - (size_t)h + 1;
	for (int r = 0; r < h; r++) {
		size_t i = rv->list_top + (size_t)r;
		const struct model_step *ms;
		const struct step *s;
		attr_t a;
		char exitc[16] = "";

		ui_fill(y + r, x, w, A_NORMAL);
		if (i >= n)
			continue;
		ms = &rv->m.steps[i];
		s = &rv->m.wf->steps[i];
		a = i == rv->sel ? theme_attr(ROLE_SELECTED) : theme_attr(ui_status_role(ms->status));
		ui_fill(y + r, x, w, i == rv->sel ? a : A_NORMAL);
		attrset(a);
		mvaddstr(y + r, x + 1, glyph_status(ms->status));
		ui_fmt_duration(model_step_elapsed_us(&rv->m, i, source_now(rv->src)), t, sizeof t);
		if (ms->exit_code >= 0)
			snprintf(exitc, sizeof exitc, "%d", ms->exit_code);
		snprintf(label, sizeof label, "%s%s", section_prefix(s), s->id);
		snprintf(line, sizeof line, "%-*.*s %-16s %3d %8s %5s", idw, idw, label,
		    step_status_name(ms->status), ms->attempt, ms->started_us ? t : "", exitc);
		move(y + r, x + 3);
		glyph_text(stdscr, line, strlen(line), w - 3);
		attrset(A_NORMAL);
	}
}

/* ---- detail ---- */

static void
detail_line(int *y, int ymax, int x, int w, const char *label, const char *value, attr_t a)
{
	if (*y >= ymax)
		return;
	ui_fill(*y, x, w, A_NORMAL);
	attrset(theme_attr(ROLE_DIM));
	mvaddnstr(*y, x, label, w);
	attrset(a);
	move(*y, x + 10);
	if (w > 10)
		glyph_text(stdscr, value, strlen(value), w - 10);
	attrset(A_NORMAL);
	(*y)++;
}

/* Newlines and tabs as spaces: a detail row is one line. */
static void
one_line(char *buf)
{
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
}

static int
run_view_draw_detail(struct ui *ui, int y, int x, int h, int w)
{
	struct run_view *rv = ui->rv;
	const struct step *s = &rv->m.wf->steps[rv->sel];
	const struct model_step *ms = &rv->m.steps[rv->sel];
	char buf[1024], t[32];
	int y0 = y, ymax = y + h;

	ui_fill(y, x, w, theme_attr(ROLE_BORDER) | A_BOLD);
	attrset(theme_attr(ROLE_ACCENT) | A_BOLD);
	move(y, x);
	snprintf(buf, sizeof buf, "%s %s", glyph_status(ms->status), s->id);
	glyph_text(stdscr, buf, strlen(buf), w);
	attrset(A_NORMAL);
	y++;
	ui_fmt_duration(model_step_elapsed_us(&rv->m, rv->sel, source_now(rv->src)), t,
	    sizeof t);
	snprintf(buf, sizeof buf, "%s, attempt %d, %s", step_status_name(ms->status),
	    ms->attempt, ms->started_us ? t : "not started");
	if (ms->exit_code >= 0)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ", exit %d", ms->exit_code);
	detail_line(&y, ymax, x, w, "status", buf, theme_attr(ui_status_role(ms->status)));
	if (ms->command != NULL)
		snprintf(buf, sizeof buf, "%s", ms->command);
	else
		wf_step_detail(s, buf, sizeof buf);
	one_line(buf);
	snprintf(t, sizeof t, "%s", wf_kind_name(s->body.kind));
	detail_line(&y, ymax, x, w, t, buf, A_NORMAL);
	if (ms->error != NULL)
		detail_line(&y, ymax, x, w, "error", ms->error, theme_attr(ROLE_FAILED));
	if (ms->outputs != NULL && cJSON_GetArraySize(ms->outputs) > 0) {
		char *o = cJSON_PrintUnformatted(ms->outputs);

		detail_line(&y, ymax, x, w, "outputs", o, A_NORMAL);
		free(o);
	}
	return y - y0;
}

void
run_view_draw(struct ui *ui, int y, int h)
{
	struct run_view *rv = ui->rv;
	int gw, gh, dx, dy, dw, dh, used;

	if (rv->log_max) {
		used = run_view_draw_detail(ui, y, 0, 3, COLS);
		log_pane_sync(&rv->log, ui->st, rv->src, &rv->m);
		log_pane_draw(ui, &rv->log, y + used, 0, h - used, COLS);
		return;
	}
	if (COLS >= 120) {
		gw = COLS * 11 / 20;
		gh = h;
		dx = gw + 1;
		dy = y;
		dw = COLS - dx;
		dh = h;
		attrset(theme_attr(ROLE_BORDER));
		for (int r = 0; r < h; r++)
			mvaddstr(y + r, gw, glyph_vline());
		attrset(A_NORMAL);
	} else {
		gw = COLS;
		gh = h * 9 / 20 > 3 ? h * 9 / 20 : 3;
		dx = 0;
		dy = y + gh;
		dw = COLS;
		dh = h - gh;
	}
	if (rv->list)
		run_view_draw_list(ui, y, 0, gh, gw);
	else
		run_view_draw_graph(ui, y, 0, gh, gw);
	used = run_view_draw_detail(ui, dy, dx, dh > 4 ? 4 : dh, dw);
	log_pane_sync(&rv->log, ui->st, rv->src, &rv->m);
	log_pane_draw(ui, &rv->log, dy + used, dx, dh - used, dw);
}
