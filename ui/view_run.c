/* view_run.c - the run view: the steps as a graph (or a list), the
 * selected step's detail, and its log.
 *
 * The graph is laid out once per run (dag_layout.c); a frame draws only
 * the part of the canvas inside the viewport, so a 10,000-step graph costs
 * what a 10-step one does.  Wide terminals put the detail and the log
 * beside the graph, narrow ones below it.  A graph of a few steps is shown
 * whole where it can be: its pane widens beside the detail, and when that
 * is not enough its nodes drop their elapsed time (the detail has it), and
 * a graph deeper than wide is turned to run from top to bottom.  Turned,
 * it is the same layout transposed: each node is one cell thick, a layer's
 * nodes a label's width apart, and x and y (and the lines' directions)
 * swap places when it is drawn.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dag_layout.h"
#include "glyph.h"
#include "json.h"
#include "paths.h"
#include "source.h"
#include "share.h"
#include "store.h"
#include "ui.h"
#include "wf.h"
#include "wf_print.h"
#include "xmalloc.h"

/* Columns of a node's label: glyph, space, section, id, space, elapsed. */
#define NODE_ID_MAX 24
#define NODE_TIME 7
#define FIT_MAX_STEPS 100	/* more is never seen whole: one layout, scrolled */
#define DETAIL_MIN 40		/* columns the detail keeps beside a widened graph */
#define SEARCH_SLICE_US 10000	/* a log search's work per turn of the loop */

/* The view's state, as only this file knows it: the run's model, its
 * source and layout are the view's, freed with it. */
struct run_view {
	struct model m;
	struct source *src;
	struct dag_layout *lay;	/* the one shown: ways[way] */
	struct dag_layout *ways[4];	/* by WAY_*: all but the full made when needed */
	int way;
	char reply[256];	/* the last reply of the run's process shown */
	char rung[65];		/* the hash of the last gate the bell announced */
	size_t sel;		/* selected step (= node) */
	int ox, oy;		/* top-left of the DAG viewport in the canvas */
	size_t list_top;
	bool list, log_focus, log_max;
	bool chosen;		/* the user selected a step: stop following the run */
	bool seen_live;		/* the view has seen the run going on */
	struct log_pane log;
	int64_t data_version;
};

/* The ways to show the graph, in the order they are tried: bits. */
enum { WAY_FULL = 0, WAY_COMPACT = 1, WAY_TALL = 2 };

/* The run view's modes: which keys work, and the help's heading. */
enum { MODE_GRAPH, MODE_LIST, MODE_LOG };
#define M_RUN ((1u << MODE_GRAPH) | (1u << MODE_LIST))
#define M_LOG (1u << MODE_LOG)

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

/* A compact node has no elapsed time. */
static int
node_width(const struct step *s, bool compact)
{
	int w = glyph_width(s->id, strlen(s->id));

	return 2 + (int)strlen(section_prefix(s)) + (w > NODE_ID_MAX ? NODE_ID_MAX : w) +
	    (compact ? 0 : 1 + NODE_TIME);
}

/* A layout turned top to bottom has nodes one cell wide, set a whole
 * label apart (the widest, and a blank) in their layer. */
static struct dag_layout *
run_view_layout(const struct workflow *wf, int way)
{
	struct dag_node_in *in = xcalloc(wf->n_steps + 1, sizeof *in);
	struct dag_opts o = { .row_gap = 1 };
	struct dag_layout *l;
	size_t first;
	int after_main = wf->n_levels;

	for (size_t i = 0; i < wf->n_steps; i++) {
		const struct step *s = &wf->steps[i];
		int w = node_width(s, way & WAY_COMPACT);

		in[i].deps = s->deps;
		in[i].n_deps = s->n_deps;
		in[i].width = way & WAY_TALL ? 1 : w;
		if (way & WAY_TALL && w > o.row_gap)
			o.row_gap = w;
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
	l = dag_layout_new(in, wf->n_steps, &o);
	free(in);
	return l;
}

/* Takes m (the view's from now on) and src. */
static struct run_view *
run_view_new(struct model *m, struct source *src)
{
	struct run_view *rv = xcalloc(1, sizeof *rv);

	rv->m = *m;
	rv->src = src;
	rv->ways[WAY_FULL] = rv->lay = run_view_layout(m->wf, WAY_FULL);
	log_pane_reset(&rv->log, 0);
	return rv;
}

static void
run_view_close(void *st)
{
	struct run_view *rv = st;

	log_pane_fini(&rv->log);
	for (int k = 0; k < 4; k++)
		dag_layout_free(rv->ways[k]);
	source_free(rv->src);
	model_fini(&rv->m);
	free(rv);
}

/* The open run view's state, or NULL. */
static struct run_view *
run_view_of(const struct ui *ui)
{
	struct view *v = ui_view_find(ui, &view_run);

	return v != NULL ? v->st : NULL;
}

/* A live run is followed through its process's socket, the others (and a
 * live run whose process cannot be reached: it says why) in the history. */
static struct source *
run_view_attach(struct ui *ui, int64_t run)
{
	char uuid[37], *rtdir;
	struct source *src = NULL;
	struct err e;

	if (store_run_live(ui->st, run, uuid)) {
		if ((rtdir = share_runtime_dir(&e)) != NULL)
			src = source_socket(ui->st, rtdir, uuid, &e);
		free(rtdir);
		if (src == NULL)
			ui_message(ui, true, "run %lld is followed in the history (%s)",
			    (long long)run, e.msg);
	}
	return src != NULL ? src : source_history(ui->st);
}

static struct run_view *
run_view_from_history(struct ui *ui, int64_t run, struct err *e)
{
	struct diags d = DIAGS_INIT;
	struct workflow *wf;
	struct model m;
	struct source *src;
	char *text = NULL, *file = NULL;
	size_t len;

	if (store_run_workflow(ui->st, run, &text, &len, &file, e) < 0)
		return NULL;
	wf = wf_load_text(file, text, len, &d);
	if (wf == NULL) {
		/* The file's tools.yaml may have changed since; say what is wrong. */
		err_set(e, "run %lld: its workflow no longer loads: %s", (long long)run,
		    d.n > 0 ? d.v[0].msg : "unknown problem");
		diags_fini(&d);
		free(text);
		free(file);
		return NULL;
	}
	diags_fini(&d);
	free(text);
	free(file);
	model_init(&m, wf, run);
	/* A replay is of the run the console opened on; others are as they are. */
	if (ui->o.replay && run_view_of(ui) == NULL)
		src = source_replay(ui->st, run, ui->o.speed, e);
	else
		src = run_view_attach(ui, run);
	if (src == NULL) {
		model_fini(&m);
		return NULL;
	}
	return run_view_new(&m, src);
}

static void *
run_view_open(struct ui *ui, const void *arg, struct err *e)
{
	return run_view_from_history(ui, *(const int64_t *)arg, e);
}

int
ui_open_run(struct ui *ui, int64_t run)
{
	return ui_open(ui, &view_run, &run);
}


/* Shows the step's detail and log. */
static void
run_view_show(struct ui *ui, struct run_view *rv, size_t step)
{

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

static void
run_view_select(struct ui *ui, struct run_view *rv, size_t step)
{
	rv->chosen = true;
	run_view_show(ui, rv, step);
}

/* Where the run is: its first running (or waiting) step, else the first
 * that failed, else, for a run seen live, the one that started last
 * (however many steps began and ended between two looks); -1 when none. */
static size_t
run_view_current(const struct model *m, bool seen_live)
{
	size_t failed = (size_t)-1;

	for (size_t i = 0; i < m->wf->n_steps; i++) {
		enum step_status st = m->steps[i].status;

		if (st == ST_RUNNING || st == ST_RETRYING || st == ST_WAITING)
			return i;
		if ((st == ST_FAILED || st == ST_TIMED_OUT) && failed == (size_t)-1)
			failed = i;
	}
	return failed != (size_t)-1 || m->last_started < 0 || !seen_live ? failed :
	    (size_t)m->last_started;
}

static void
run_view_follow(struct ui *ui, struct run_view *rv)
{
	size_t at;

	if (rv->chosen)
		return;
	rv->seen_live |= !rv->m.ended;
	if ((at = run_view_current(&rv->m, rv->seen_live)) != (size_t)-1 && at != rv->sel)
		run_view_show(ui, rv, at);
}

static void
run_view_move(struct ui *ui, struct run_view *rv, int dir)
{
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
		/* Turned, a layer is a row: h and l go along it, j and k
		 * between layers. */
		if (rv->way & WAY_TALL && strchr("hjkl", dir) != NULL)
			dir = "klhj"[strchr("hjkl", dir) - "hjkl"];
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
	run_view_select(ui, rv, to);
}

static bool
run_find(struct ui *ui, struct run_view *rv, const char *text)
{
	size_t n = rv->m.wf->n_steps;

	for (size_t k = 1; k <= n; k++) {
		size_t i = (rv->sel + k) % n;

		if (strstr(rv->m.wf->steps[i].id, text) != NULL) {
			run_view_select(ui, rv, i);
			return true;
		}
	}
	return false;
}

static void
run_view_header(struct ui *ui, void *st, char *buf, size_t size)
{
	struct run_view *rv = st;
	struct model *m = &rv->m;
	size_t counts[ST_CANCELLED + 1], done;
	char dur[32], cost[80] = "";
	double progress = source_progress(rv->src), usd;
	long long tin, tout;
	const struct budget *b = &m->wf->budget;
	const char *ep = NULL;
	size_t open;

	model_counts(m, counts);
	model_cost(m, &usd, &tin, &tout);
	/* What the run spent, against its budget when it has one. */
	if (b->given && b->has_cost)
		snprintf(cost, sizeof cost, "  $%.4f of $%.4f", usd, b->max_cost);
	else if (usd > 0 || tin + tout > 0)
		snprintf(cost, sizeof cost, "  $%.4f", usd);
	if (b->given && b->max_tokens > 0)
		snprintf(cost + strlen(cost), sizeof cost - strlen(cost), "  %lld of %lld tokens",
		    tin + tout, b->max_tokens);
	if ((open = model_circuits_open(m, &ep)) == 1)
		snprintf(cost + strlen(cost), sizeof cost - strlen(cost), "  circuit open: %.40s",
		    ep);
	else if (open > 1)
		snprintf(cost + strlen(cost), sizeof cost - strlen(cost), "  %zu circuits open",
		    open);
	done = counts[ST_SUCCEEDED] + counts[ST_FAILED] + counts[ST_TIMED_OUT] +
	    counts[ST_SKIPPED] + counts[ST_UPSTREAM_FAILED] + counts[ST_CANCELLED];
	ui_fmt_duration(model_elapsed_us(m, source_now(rv->src)), dur, sizeof dur);
	snprintf(buf, size, " drover  run %lld  %s  %s %s  %s  %zu/%zu done%s%s%s%s",
	    (long long)m->run, m->wf->name, glyph_run_status(m->status),
	    m->ended || m->started_us == 0 ? run_status_name(m->status) : "running", dur, done,
	    m->wf->n_steps, cost, counts[ST_FAILED] + counts[ST_TIMED_OUT] > 0 ? "  failures!" : "",
	    progress >= 0 ? "  [replay]" : "", ui->paused ? "  [paused]" : "");
}

/* ---- the graph ---- */

/* Where node i's label is on the graph as drawn, turned or not. */
static void
run_view_place(const struct run_view *rv, const struct dag_layout *l, int way, size_t i,
    int *x, int *y, int *w)
{
	const struct dag_pos *p = dag_layout_pos(l, i);

	*x = way & WAY_TALL ? p->y : p->x;
	*y = way & WAY_TALL ? p->x : p->y;
	*w = way & WAY_TALL ? node_width(&rv->m.wf->steps[i], way & WAY_COMPACT) : p->width;
}

static void
run_view_draw_node(struct ui *ui, struct run_view *rv, size_t i, int y, int x, int w, int x0,
    int x1)
{
	const struct step *s = &rv->m.wf->steps[i];
	const struct model_step *ms = &rv->m.steps[i];
	attr_t a = theme_attr(ui_status_role(ms->status));
	const char *sect = section_prefix(s);
	char t[32];
	bool compact = rv->way & WAY_COMPACT;
	int sw = (int)strlen(sect), used;
	int id_w = w - 2 - sw - (compact ? 0 : 1 + NODE_TIME);

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
	if (compact) {
		attrset(A_NORMAL);
		return;
	}
	ui_fmt_duration(model_step_elapsed_us(&rv->m, i, source_now(rv->src)), t, sizeof t);
	if (ms->started_us == 0)
		t[0] = '\0';
	/* A step that failed on an open circuit says so where its time goes. */
	if (ms->error != NULL && strncmp(ms->error, "circuit open", 12) == 0)
		snprintf(t, sizeof t, "circuit");
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

/* The cells the graph takes when drawn one way: turned, the canvas's rows
 * are columns, and a label reaches right of its one-cell node. */
static void
run_view_extent(const struct run_view *rv, int way, int *w, int *h)
{
	const struct dag_layout *l = rv->ways[way];
	int x, y, nw;

	dag_layout_size(l, w, h);
	if (!(way & WAY_TALL))
		return;
	y = *w;
	*w = *h;
	*h = y;
	for (size_t i = 0; i < rv->m.wf->n_steps; i++) {
		run_view_place(rv, l, way, i, &x, &y, &nw);
		if (x + nw > *w)
			*w = x + nw;
	}
}

/* Chooses the way to show the graph and returns its pane's width, from w
 * up to wmax: the first of the full nodes, the compact ones, then both
 * turned top to bottom with which the whole graph fits in h rows at some
 * width; else (a large graph) the full nodes at w, scrolled to follow the
 * selection. */
static int
run_view_fit(struct run_view *rv, int w, int wmax, int h)
{
	int cw, ch;

	for (int k = 0; k < 4; k++) {
		if (k > WAY_FULL && rv->m.wf->n_steps > FIT_MAX_STEPS)
			break;
		if (rv->ways[k] == NULL)
			rv->ways[k] = run_view_layout(rv->m.wf, k);
		run_view_extent(rv, k, &cw, &ch);
		if (cw <= wmax && ch <= h) {
			rv->way = k;
			rv->lay = rv->ways[k];
			rv->ox = rv->oy = 0;
			return cw > w ? cw : w;
		}
	}
	rv->way = WAY_FULL;
	rv->lay = rv->ways[WAY_FULL];
	return w;
}

/* A line cell's mask with x and y swapped, for a turned graph: a line
 * leaving east leaves south.  The arrowhead is dropped: turned, every line
 * runs downwards into the node below it. */
static unsigned
run_view_turn(unsigned mask)
{
	return (mask & DAG_E ? DAG_S : 0) | (mask & DAG_W ? DAG_N : 0) |
	    (mask & DAG_S ? DAG_E : 0) | (mask & DAG_N ? DAG_W : 0);
}

static void
run_view_draw_graph(struct ui *ui, struct run_view *rv, int y, int x, int h, int w)
{
	attr_t border = theme_attr(ROLE_BORDER);
	cchar_t *row = xcalloc((size_t)w + 1, sizeof *row), cells[32];

	/* Each of the few line shapes is made once; a row goes out in one call. */
	for (unsigned mask = 0; mask < 32; mask++)
		glyph_line_cell(mask, border, &cells[mask]);
	if (rv->way & WAY_TALL) {
		/* Only a graph seen whole is turned: no scrolling. */
		for (int r = 0; r < h; r++) {
			for (int c = 0; c < w; c++)
				row[c] = cells[run_view_turn(dag_layout_cell(rv->lay, r, c))];
			mvadd_wchnstr(y + r, x, row, w);
		}
	} else {
		run_view_scroll_to(rv, w, h);
		for (int r = 0; r < h; r++) {
			for (int c = 0; c < w; c++)
				row[c] = cells[dag_layout_cell(rv->lay, rv->ox + c, rv->oy + r) &
				    31];
			mvadd_wchnstr(y + r, x, row, w);
		}
	}
	free(row);
	/* Nodes in view: those whose row is visible. */
	for (size_t i = 0; i < rv->m.wf->n_steps; i++) {
		int px, py, pw;

		run_view_place(rv, rv->lay, rv->way, i, &px, &py, &pw);
		if (py < rv->oy || py >= rv->oy + h || px + pw <= rv->ox || px >= rv->ox + w)
			continue;
		run_view_draw_node(ui, rv, i, y + py - rv->oy, x + px - rv->ox, pw, x, x + w);
	}
}

/* ---- the list ---- */

/* The list's columns after the step's: status, attempt, time, exit. */
#define LIST_FIXED (3 + 1 + 16 + 1 + 3 + 1 + 8 + 1 + 5)

static void
run_view_draw_list(struct ui *ui, struct run_view *rv, int y, int x, int h, int w)
{
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
run_view_draw_detail(struct ui *ui, struct run_view *rv, int y, int x, int h, int w)
{
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
	if (ms->cached)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ", cached");
	if (ms->cost_usd > 0 || ms->tokens_in + ms->tokens_out > 0)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ", $%.6f (%lld in, %lld out)",
		    ms->cost_usd, ms->tokens_in, ms->tokens_out);
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(ms->outputs, "priced")))
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ", model not priced");
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
		char *o = json_text(ms->outputs, false);

		detail_line(&y, ymax, x, w, "outputs", o, A_NORMAL);
		free(o);
	}
	return y - y0;
}

static void
run_view_draw(struct ui *ui, void *st, int y, int h)
{
	struct run_view *rv = st;
	int gw, gh, dx, dy, dw, dh, used;

	if (rv->log_max) {
		used = run_view_draw_detail(ui, rv, y, 0, 3, COLS);
		log_pane_sync(&rv->log, ui->st, rv->src, &rv->m);
		log_pane_draw(ui, &rv->log, &rv->m, rv->log_focus, y + used, 0, h - used, COLS);
		return;
	}
	if (COLS >= 120) {
		gw = COLS * 11 / 20;
		if (!rv->list)
			gw = run_view_fit(rv, gw, COLS - 1 - DETAIL_MIN, h);
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
		if (!rv->list)
			run_view_fit(rv, gw, gw, gh);
		dx = 0;
		dy = y + gh;
		dw = COLS;
		dh = h - gh;
	}
	if (rv->list)
		run_view_draw_list(ui, rv, y, 0, gh, gw);
	else
		run_view_draw_graph(ui, rv, y, 0, gh, gw);
	used = run_view_draw_detail(ui, rv, dy, dx, dh > 4 ? 4 : dh, dw);
	log_pane_sync(&rv->log, ui->st, rv->src, &rv->m);
	log_pane_draw(ui, &rv->log, &rv->m, rv->log_focus, dy + used, dx, dh - used, dw);
}

/* ---- the console's calls ---- */

/* What the source already has, and the step the run is at. */
static void
run_view_show_hook(struct ui *ui, void *st)
{
	struct run_view *rv = st;
	struct err e;

	if (source_poll(rv->src, &rv->m, &e) < 0)
		ui_message(ui, true, "%s", e.msg);
	run_view_follow(ui, rv);
	ui->dirty = true;
}

static int
run_view_timeout_ms(struct ui *ui, void *st, int64_t now)
{
	struct run_view *rv = st;
	int t = -1;

	if (rv->log.searching)
		t = 0;	/* the next slice, once the keys are read */
	if (!ui->paused) {
		t = ui_earlier(t, source_timeout_ms(rv->src, &rv->m));
		if (!rv->m.ended)
			t = ui_earlier(t, 1000 - (int)(now / 1000 % 1000));	/* the clocks */
	}
	return t;
}

/* A slice of a log search, then back to the keys (Esc stops it). */
static void
run_view_search_slice(struct ui *ui, struct run_view *rv)
{
	struct log_pane *lp = &rv->log;
	bool again = lp->match >= 0;

	if (log_pane_search_work(lp, ui->st, &rv->m, SEARCH_SLICE_US) == SEARCH_MISSED)
		ui_message(ui, true, again ? "no more matches for '%s'" : "not found: %s",
		    lp->search);
	ui->dirty = true;
}

/* The first step of the run waiting at a gate, with what the gate shows;
 * NULL when none waits. */
static const cJSON *
run_view_gate_of(const struct run_view *rv, size_t *step)
{
	for (size_t i = 0; i < rv->m.wf->n_steps; i++)
		if (rv->m.steps[i].status == ST_WAITING && rv->m.steps[i].gate != NULL) {
			*step = i;
			return rv->m.steps[i].gate;
		}
	return NULL;
}

/* A gate that opened since the last one rings the bell (unless the
 * configuration says bell: false). */
static void
run_view_ring(struct ui *ui, struct run_view *rv)
{
	const char *hash;
	const cJSON *g;
	size_t i;

	if ((g = run_view_gate_of(rv, &i)) == NULL || (hash = json_str(g, "hash")) == NULL ||
	    strcmp(hash, rv->rung) == 0)
		return;
	snprintf(rv->rung, sizeof rv->rung, "%s", hash);
	if (ui->bell)
		beep();
}

static void
run_view_tick(struct ui *ui, void *st, int64_t now)
{
	struct run_view *rv = st;
	struct err e;
	int news;

	if (rv->log.searching)
		run_view_search_slice(ui, rv);
	if (ui->paused)
		return;
	news = source_poll(rv->src, &rv->m, &e);
	if (news < 0)
		ui_message(ui, true, "%s", e.msg);
	if (strcmp(source_reply(rv->src), rv->reply) != 0) {
		snprintf(rv->reply, sizeof rv->reply, "%s", source_reply(rv->src));
		ui_message(ui, false, "%s", rv->reply);
	}
	if (news > 0)
		run_view_follow(ui, rv);
	if (news > 0 || !rv->m.ended)
		ui->dirty = true;
	run_view_ring(ui, rv);
}

/* A gate that waits: its band, on this view and those opened above it. */
static bool
run_view_band(struct ui *ui, void *st, char *buf, size_t size)
{
	const struct run_view *rv = st;
	const cJSON *g, *by;
	size_t i;
	int need;

	(void)ui;
	if ((g = run_view_gate_of(rv, &i)) == NULL)
		return false;
	by = cJSON_GetObjectItemCaseSensitive(g, "approved_by");
	need = (int)json_num(g, "min_approvals", 1) - cJSON_GetArraySize(by);
	snprintf(buf, size, " %s waits for approval: %s  (%d needed from %s)  A: review and "
	    "decide", rv->m.wf->steps[i].id, json_str(g, "message") ? json_str(g, "message") : "",
	    need, json_str(g, "who") ? json_str(g, "who") : "anyone");
	return true;
}

static int
run_view_fd(const void *st)
{
	const struct run_view *rv = st;

	return source_fd(rv->src);
}

/* Esc stops a log search before it means back. */
static bool
run_view_key(struct ui *ui, void *st, int key, bool keycode)
{
	struct run_view *rv = st;

	if (keycode || key != 27 || !rv->log.searching)
		return false;
	log_pane_search_stop(&rv->log);
	ui_message(ui, false, "search stopped (%d%% looked at)",
	    (int)(log_pane_search_progress(&rv->log) * 100));
	return true;
}

static void
run_view_mouse(struct ui *ui, void *st, const MEVENT *me)
{
	struct run_view *rv = st;
	size_t node;

	if (!(me->bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)))
		return;
	if (rv->way & WAY_TALL) {
		/* A turned graph has few nodes: look at each. */
		for (size_t i = 0; i < rv->m.wf->n_steps; i++) {
			int px, py, pw;

			run_view_place(rv, rv->lay, rv->way, i, &px, &py, &pw);
			if (me->y - 1 == py && me->x >= px && me->x < px + pw)
				run_view_select(ui, rv, i);
		}
		return;
	}
	if ((node = dag_layout_hit(rv->lay, me->x + rv->ox, me->y - 1 + rv->oy)) != (size_t)-1)
		run_view_select(ui, rv, node);
}

/* Back from the full-size log is to the graph, not out of the run. */
static bool
run_view_back(struct ui *ui, void *st)
{
	struct run_view *rv = st;

	if (!rv->log_focus) {
		/* Leaving a live run leaves it going. */
		if (!rv->m.ended && source_live(rv->src))
			ui_message(ui, false, "detached; run %lld goes on", (long long)rv->m.run);
		return false;
	}
	rv->log_focus = false;
	rv->log_max = false;
	return true;
}

static void
run_view_pause(void *st, bool paused)
{
	struct run_view *rv = st;

	source_pause(rv->src, paused);
}

static void
run_view_result(const void *st, struct console_result *res)
{
	const struct run_view *rv = st;

	res->run_ended = rv->m.ended;
	res->status = rv->m.status;
}

static unsigned
run_view_mode(const void *st)
{
	const struct run_view *rv = st;

	if (rv->log_focus)
		return MODE_LOG;
	return rv->list ? MODE_LIST : MODE_GRAPH;
}

/* ---- what the commands ask of the open run ---- */

bool
run_view_find(struct ui *ui, const char *text)
{
	struct run_view *rv = run_view_of(ui);

	return rv != NULL && run_find(ui, rv, text);
}

void
run_complete(struct ui *ui, struct cands *c)
{
	const struct run_view *rv = run_view_of(ui);

	for (size_t i = 0; rv != NULL && i < rv->m.wf->n_steps; i++)
		cands_add(c, rv->m.wf->steps[i].id);
}

const cJSON *
run_view_gate(const struct ui *ui, int64_t *run, size_t *step)
{
	const struct run_view *rv = run_view_of(ui);

	if (rv == NULL)
		return NULL;
	*run = rv->m.run;
	return run_view_gate_of(rv, step);
}

const cJSON *
run_view_step_gate(const struct ui *ui, size_t step, const char **id)
{
	const struct run_view *rv = run_view_of(ui);

	if (rv == NULL || step >= rv->m.wf->n_steps || rv->m.steps[step].status != ST_WAITING)
		return NULL;
	*id = rv->m.wf->steps[step].id;
	return rv->m.steps[step].gate;
}

const cJSON *
run_view_gate_named(const struct ui *ui, const char *id)
{
	const struct run_view *rv = run_view_of(ui);
	const struct step *s;

	if (rv == NULL || (s = wf_find_step(rv->m.wf, id)) == NULL)
		return NULL;
	return run_view_step_gate(ui, (size_t)(s - rv->m.wf->steps), &id);
}

void
ui_decide(struct ui *ui, const char *step, bool approve, const char *comment,
    const cJSON *inputs, const char *hash)
{
	struct run_view *rv = run_view_of(ui);
	struct err e;

	if (rv == NULL || rv->m.ended) {
		ui_message(ui, true, "no live run is open");
		return;
	}
	if (source_decide(rv->src, step, approve, comment, inputs, hash, &e) < 0)
		ui_message(ui, true, "run %lld: %s", (long long)rv->m.run, e.msg);
	else
		ui_message(ui, false, "%s step '%s' of run %lld...", approve ? "approving" :
		    "rejecting", step, (long long)rv->m.run);
}

const struct model *
run_view_model(const struct ui *ui, int64_t *now)
{
	const struct run_view *rv = run_view_of(ui);

	if (rv == NULL)
		return NULL;
	*now = source_now(rv->src);
	return &rv->m;
}

bool
ui_gate_waits(const struct ui *ui)
{
	int64_t run;
	size_t step;

	return run_view_gate(ui, &run, &step) != NULL && ui_can_cancel(ui);
}

bool
ui_can_cancel(const struct ui *ui)
{
	const struct run_view *rv = run_view_of(ui);

	return rv != NULL && source_live(rv->src) && !rv->m.ended;
}

static void
ui_cancel_yes(struct ui *ui)
{
	struct run_view *rv = run_view_of(ui);
	struct err e;

	if (!ui_can_cancel(ui))
		return;
	if (source_cancel(rv->src, false, &e) < 0)
		ui_message(ui, true, "run %lld: %s", (long long)rv->m.run, e.msg);
	else
		ui_message(ui, false, "asking run %lld to cancel", (long long)rv->m.run);
}

void
ui_cancel(struct ui *ui)
{
	const struct run_view *rv = run_view_of(ui);

	if (rv == NULL || rv->m.ended) {
		ui_message(ui, true, "no live run is open");
		return;
	}
	if (!source_live(rv->src)) {
		ui_message(ui, true, "run %lld cannot be reached (its process does not answer)",
		    (long long)rv->m.run);
		return;
	}
	ui_ask(ui, "Cancel this run? Running steps get SIGTERM. (y/N)", ui_cancel_yes);
}

/* ---- keys ---- */

static void
act_move(struct ui *ui, void *st, int key)
{
	switch (key) {
	case 'h': case KEY_LEFT: run_view_move(ui, st, 'h'); break;
	case 'j': case KEY_DOWN: run_view_move(ui, st, 'j'); break;
	case 'k': case KEY_UP: run_view_move(ui, st, 'k'); break;
	case 'l': case KEY_RIGHT: run_view_move(ui, st, 'l'); break;
	case 'g': case KEY_HOME: run_view_move(ui, st, 'g'); break;
	case 'G': case KEY_END: run_view_move(ui, st, 'G'); break;
	case KEY_NPAGE: run_view_move(ui, st, 'J'); break;
	case KEY_PPAGE: run_view_move(ui, st, 'K'); break;
	}
}

static void
act_list(struct ui *ui, void *st, int key)
{
	struct run_view *rv = st;

	rv->list = !rv->list;
}

static void
act_log_open(struct ui *ui, void *st, int key)
{
	struct run_view *rv = st;

	rv->log_focus = true;
	rv->log_max = true;
}

static void
find_done(struct ui *ui, void *st, const char *line)
{
	snprintf(ui->find, sizeof ui->find, "%s", line);
	if (line[0] != '\0' && !run_find(ui, st, line))
		ui_message(ui, true, "no step matches '%s'", line);
}

static void
act_find(struct ui *ui, void *st, int key)
{
	ui_prompt_text(ui, "step: ", find_done, &view_run);
}

static void
act_find_next(struct ui *ui, void *st, int key)
{
	if (ui->find[0] == '\0')
		ui_message(ui, true, "no search yet (/)");
	else if (!run_find(ui, st, ui->find))
		ui_message(ui, true, "no step matches '%s'", ui->find);
}

static void
act_cancel(struct ui *ui, void *st, int key)
{
	ui_cancel(ui);
}

/* The gate of the selected step when it waits at one, else the first. */
static void
act_gate(struct ui *ui, void *st, int key)
{
	struct run_view *rv = st;
	size_t i = rv->sel;

	if (rv->m.steps[i].status != ST_WAITING || rv->m.steps[i].gate == NULL) {
		if (run_view_gate_of(rv, &i) == NULL) {
			ui_message(ui, true, "no step of this run waits for a decision");
			return;
		}
	}
	ui_open(ui, &view_gate, &i);
}

static void
act_dash(struct ui *ui, void *st, int key)
{
	ui_open(ui, &view_dash, NULL);
}

static void
act_follow(struct ui *ui, void *st, int key)
{
	struct log_pane *lp = &((struct run_view *)st)->log;

	lp->follow = !lp->follow;
	if (lp->follow)
		log_pane_edge(lp, true);
	ui_message(ui, false, lp->follow ? "following the log" : "log follow off");
}

static void
act_log_move(struct ui *ui, void *st, int key)
{
	struct log_pane *lp = &((struct run_view *)st)->log;

	switch (key) {
	case 'j': case KEY_DOWN: log_pane_scroll(lp, 1); break;
	case 'k': case KEY_UP: log_pane_scroll(lp, -1); break;
	case KEY_NPAGE: case ' ': case CTRL('f'): log_pane_page(lp, 1); break;
	case KEY_PPAGE: case 'b': case CTRL('b'): log_pane_page(lp, -1); break;
	case 'g': case KEY_HOME: log_pane_edge(lp, false); break;
	case 'G': case KEY_END: log_pane_edge(lp, true); break;
	}
}

static void
search_done(struct ui *ui, void *st, const char *line)
{
	struct log_pane *lp = &((struct run_view *)st)->log;

	if (line[0] == '\0')
		return;
	snprintf(lp->search, sizeof lp->search, "%s", line);
	lp->match = -1;
	log_pane_search(lp, false);
}

static void
act_search(struct ui *ui, void *st, int key)
{
	ui_prompt_text(ui, "/", search_done, &view_run);
}

static void
act_search_next(struct ui *ui, void *st, int key)
{
	struct log_pane *lp = &((struct run_view *)st)->log;

	if (lp->search[0] == '\0')
		ui_message(ui, true, "no search yet (/)");
	else
		log_pane_search(lp, key == 'N');
}

static const struct binding run_bindings[] = {
	{ M_RUN, { 'h', 'j', 'k', 'l' }, "hjkl", "move between steps (arrows too)", "move", 0,
	    act_move },
	{ M_RUN, { KEY_LEFT, KEY_DOWN, KEY_UP, KEY_RIGHT }, "arrows", "move between steps", NULL,
	    0, act_move },
	{ M_RUN, { 'g', 'G', KEY_HOME, KEY_END }, "g/G", "first / last step", NULL, 0,
	    act_move },
	{ M_RUN, { KEY_NPAGE, KEY_PPAGE }, "PgDn/PgUp", "page down / up", NULL, 0, act_move },
	{ M_RUN, { '\r', '\n', KEY_ENTER, 'L' }, "Enter/L", "the step's log, full size", "log",
	    0, act_log_open },
	{ M_RUN, { 'v' }, "v", "graph or list of steps", "list", 0, act_list },
	{ M_RUN, { '/' }, "/", "find a step by id", "find", 0, act_find },
	{ M_RUN, { 'n' }, "n", "next step matching the search", NULL, 0, act_find_next },
	{ M_RUN, { 'd' }, "d", "the dashboard: time left, budget, steps against their history",
	    "dash", 0, act_dash },
	{ M_RUN | M_LOG, { 'f' }, "f", "follow the log as it grows", "follow", 0, act_follow },
	{ M_RUN | M_LOG, { 'c' }, "c", "cancel the run (asks first)", "cancel",
	    K_CHANGES | K_LIVE_RUN, act_cancel },
	{ M_RUN | M_LOG, { 'A' }, "A", "review the gate that waits: approve or reject", "approve",
	    K_CHANGES | K_GATE, act_gate },
	{ M_LOG, { 'j', 'k', KEY_DOWN, KEY_UP }, "j/k", "scroll a line", NULL, 0, act_log_move },
	{ M_LOG, { KEY_NPAGE, KEY_PPAGE, ' ', 'b' }, "Space/b", "page down / up (PgDn/PgUp)",
	    NULL, 0, act_log_move },
	{ M_LOG, { 'g', 'G', KEY_HOME, KEY_END }, "g/G", "top / bottom", NULL, 0, act_log_move },
	{ M_LOG, { '/' }, "/", "search the log", "search", 0, act_search },
	{ M_LOG, { 'n', 'N' }, "n/N", "next / previous match", NULL, 0, act_search_next },
};

static const char *const run_titles[] = {
	[MODE_GRAPH] = "Keys: run (graph)", [MODE_LIST] = "Keys: run (list)",
	[MODE_LOG] = "Keys: log",
};

const struct view_ops view_run = {
	.open = run_view_open,
	.close = run_view_close,
	.show = run_view_show_hook,
	.header = run_view_header,
	.draw = run_view_draw,
	.timeout_ms = run_view_timeout_ms,
	.tick = run_view_tick,
	.fd = run_view_fd,
	.key = run_view_key,
	.mouse = run_view_mouse,
	.back = run_view_back,
	.pause = run_view_pause,
	.result = run_view_result,
	.band = run_view_band,
	.mode = run_view_mode,
	.titles = run_titles,
	.bindings = run_bindings,
	.n_bindings = sizeof run_bindings / sizeof run_bindings[0],
};
