/* keys.c - every key of the console in one table.
 *
 * The table says which views a key works in, what it does, whether it
 * changes anything (those disappear with --readonly) and whether it acts
 * on a live run (the footer offers those only when there is one).  Dispatch, the help
 * overlay (?) and the footer are all generated from it, so they cannot
 * disagree.
 */
#include "config.h"

#include <string.h>

#include "glyph.h"
#include "source.h"
#include "ui.h"

#define CTX_RUN (CTX_GRAPH | CTX_LIST)
#define CTX_ALL (CTX_RUNS | CTX_GRAPH | CTX_LIST | CTX_LOG)
#define CTRL(c) ((c) & 0x1f)

struct binding {
	unsigned ctx;
	int keys[4];		/* 0-terminated when fewer */
	const char *names;	/* as shown */
	const char *what;	/* NULL: commands_summary() */
	const char *footer;	/* short label, or NULL: only in the help */
	unsigned flags;
	void (*fn)(struct ui *ui, int key);
};

/* A key that changes something (hidden with --readonly), and one that
 * acts on a live run of this process (the footer offers it only then). */
enum { K_CHANGES = 1, K_LIVE_RUN = 2 };

enum key_ctx
ui_key_ctx(const struct ui *ui)
{
	if (ui->view != VIEW_RUN || ui->rv == NULL)
		return CTX_RUNS;
	if (ui->rv->log_focus)
		return CTX_LOG;
	return ui->rv->list ? CTX_LIST : CTX_GRAPH;
}

/* ---- actions ---- */

static void
act_help(struct ui *ui, int key)
{
	ui->help = true;
}

static void
act_command(struct ui *ui, int key)
{
	ui_prompt(ui, PROMPT_COMMAND);
}

static void
act_redraw(struct ui *ui, int key)
{
	clearok(curscr, TRUE);
}

static void
act_suspend(struct ui *ui, int key)
{
	term_suspend(ui);
}

static void
act_pause(struct ui *ui, int key)
{
	ui->paused = !ui->paused;
	if (ui->rv != NULL)
		source_pause(ui->rv->src, ui->paused);
	ui_message(ui, false, ui->paused ? "live updates paused (Z resumes)" :
	    "live updates resumed");
}

static void
act_back(struct ui *ui, int key)
{
	struct run_view *rv = ui->rv;

	if (ui->view == VIEW_RUN && rv != NULL && rv->log_focus) {
		rv->log_focus = false;
		rv->log_max = false;
	} else if (ui->view == VIEW_RUN && ui->run_owned && ui->o.run == 0) {
		ui_close_run(ui);
		runs_refresh(ui, true);
	} else {
		ui->quit = true;
	}
}

static void
act_runs_move(struct ui *ui, int key)
{
	long page = LINES - 5;

	switch (key) {
	case 'j': case KEY_DOWN: runs_move(ui, 1); break;
	case 'k': case KEY_UP: runs_move(ui, -1); break;
	case KEY_NPAGE: case CTRL('f'): runs_move(ui, page); break;
	case KEY_PPAGE: case CTRL('b'): runs_move(ui, -page); break;
	case 'g': case KEY_HOME: runs_edge(ui, false); break;
	case 'G': case KEY_END: runs_edge(ui, true); break;
	}
}

static void
act_runs_open(struct ui *ui, int key)
{
	runs_open(ui);
}

static void
act_filter(struct ui *ui, int key)
{
	ui_prompt(ui, PROMPT_FILTER);
}

static void
act_graph_move(struct ui *ui, int key)
{
	switch (key) {
	case 'h': case KEY_LEFT: run_view_move(ui, 'h'); break;
	case 'j': case KEY_DOWN: run_view_move(ui, 'j'); break;
	case 'k': case KEY_UP: run_view_move(ui, 'k'); break;
	case 'l': case KEY_RIGHT: run_view_move(ui, 'l'); break;
	case 'g': case KEY_HOME: run_view_move(ui, 'g'); break;
	case 'G': case KEY_END: run_view_move(ui, 'G'); break;
	case KEY_NPAGE: run_view_move(ui, 'J'); break;
	case KEY_PPAGE: run_view_move(ui, 'K'); break;
	}
}

static void
act_list(struct ui *ui, int key)
{
	ui->rv->list = !ui->rv->list;
}

static void
act_log_open(struct ui *ui, int key)
{
	ui->rv->log_focus = true;
	ui->rv->log_max = true;
}

static void
act_find(struct ui *ui, int key)
{
	ui_prompt(ui, PROMPT_FIND);
}

static void
act_find_next(struct ui *ui, int key)
{
	if (ui->find[0] == '\0')
		ui_message(ui, true, "no search yet (/)");
	else if (!run_view_find(ui, ui->find))
		ui_message(ui, true, "no step matches '%s'", ui->find);
}

static void
act_cancel(struct ui *ui, int key)
{
	ui_cancel(ui);
}

static void
act_follow(struct ui *ui, int key)
{
	struct log_pane *lp = &ui->rv->log;

	lp->follow = !lp->follow;
	if (lp->follow)
		log_pane_edge(lp, true);
	ui_message(ui, false, lp->follow ? "following the log" : "log follow off");
}

static void
act_log_move(struct ui *ui, int key)
{
	struct log_pane *lp = &ui->rv->log;

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
act_search(struct ui *ui, int key)
{
	ui_prompt(ui, PROMPT_SEARCH);
}

static void
act_search_next(struct ui *ui, int key)
{
	struct log_pane *lp = &ui->rv->log;

	if (lp->search[0] == '\0')
		ui_message(ui, true, "no search yet (/)");
	else
		log_pane_search(lp, key == 'N');
}

/* ---- the table ---- */

static const struct binding bindings[] = {
	{ CTX_RUNS, { 'j', 'k', KEY_DOWN, KEY_UP }, "j/k", "move down / up", NULL, 0,
	    act_runs_move },
	{ CTX_RUNS, { 'g', 'G', KEY_HOME, KEY_END }, "g/G", "first / last run", NULL, 0,
	    act_runs_move },
	{ CTX_RUNS, { KEY_NPAGE, KEY_PPAGE, CTRL('f'), CTRL('b') }, "PgDn/PgUp", "page down / up",
	    NULL, 0, act_runs_move },
	{ CTX_RUNS, { '\r', '\n', KEY_ENTER }, "Enter", "open the run", "open", 0,
	    act_runs_open },
	{ CTX_RUNS, { '/' }, "/", "filter by text, status or workflow (empty: all)", "filter",
	    0, act_filter },
	{ CTX_RUN, { 'h', 'j', 'k', 'l' }, "hjkl", "move between steps (arrows too)", "move",
	    0, act_graph_move },
	{ CTX_RUN, { KEY_LEFT, KEY_DOWN, KEY_UP, KEY_RIGHT }, "arrows", "move between steps",
	    NULL, 0, act_graph_move },
	{ CTX_RUN, { 'g', 'G', KEY_HOME, KEY_END }, "g/G", "first / last step", NULL, 0,
	    act_graph_move },
	{ CTX_RUN, { KEY_NPAGE, KEY_PPAGE }, "PgDn/PgUp", "page down / up", NULL, 0,
	    act_graph_move },
	{ CTX_RUN, { '\r', '\n', KEY_ENTER, 'L' }, "Enter/L", "the step's log, full size",
	    "log", 0, act_log_open },
	{ CTX_RUN, { 'v' }, "v", "graph or list of steps", "list", 0, act_list },
	{ CTX_RUN, { '/' }, "/", "find a step by id", "find", 0, act_find },
	{ CTX_RUN, { 'n' }, "n", "next step matching the search", NULL, 0, act_find_next },
	{ CTX_RUN | CTX_LOG, { 'f' }, "f", "follow the log as it grows", "follow", 0,
	    act_follow },
	{ CTX_RUN | CTX_LOG, { 'c' }, "c", "cancel the run (asks first)", "cancel",
	    K_CHANGES | K_LIVE_RUN, act_cancel },
	{ CTX_LOG, { 'j', 'k', KEY_DOWN, KEY_UP }, "j/k", "scroll a line", NULL, 0,
	    act_log_move },
	{ CTX_LOG, { KEY_NPAGE, KEY_PPAGE, ' ', 'b' }, "Space/b", "page down / up (PgDn/PgUp)",
	    NULL, 0, act_log_move },
	{ CTX_LOG, { 'g', 'G', KEY_HOME, KEY_END }, "g/G", "top / bottom", NULL, 0,
	    act_log_move },
	{ CTX_LOG, { '/' }, "/", "search the log", "search", 0, act_search },
	{ CTX_LOG, { 'n', 'N' }, "n/N", "next / previous match", NULL, 0, act_search_next },
	/* What ':' is, the commands' table says (commands_summary). */
	{ CTX_ALL, { ':' }, ":", NULL, "cmd", 0, act_command },
	{ CTX_ALL, { 'Z' }, "Z", "pause / resume live updates", NULL, 0, act_pause },
	{ CTX_ALL, { CTRL('l') }, "Ctrl-L", "redraw the screen", NULL, 0, act_redraw },
	{ CTX_ALL, { CTRL('z') }, "Ctrl-Z", "suspend (the shell's fg resumes)", NULL, 0,
	    act_suspend },
	{ CTX_ALL, { '?' }, "?", "this help", "help", 0, act_help },
	{ CTX_ALL, { 'q', 27, CTRL('c') }, "q/Esc", "back; leaving never stops a run", "back",
	    0, act_back },
};

#define NBINDINGS (sizeof bindings / sizeof bindings[0])

static bool
binding_shown(const struct ui *ui, const struct binding *b, enum key_ctx ctx)
{
	return (b->ctx & ctx) != 0 && !((b->flags & K_CHANGES) && ui->o.readonly);
}

bool
keys_dispatch(struct ui *ui, int key)
{
	enum key_ctx ctx = ui_key_ctx(ui);

	for (size_t i = 0; i < NBINDINGS; i++) {
		const struct binding *b = &bindings[i];

		if (!binding_shown(ui, b, ctx))
			continue;
		for (size_t k = 0; k < 4 && b->keys[k] != 0; k++) {
			if (b->keys[k] == key) {
				b->fn(ui, key);
				ui->dirty = true;
				return true;
			}
		}
	}
	return false;
}

void
keys_draw_footer(const struct ui *ui, int y)
{
	enum key_ctx ctx = ui_key_ctx(ui);
	int x = 0;

	ui_fill(y, 0, COLS, theme_attr(ROLE_DIM));
	move(y, 0);
	for (size_t i = 0; i < NBINDINGS; i++) {
		const struct binding *b = &bindings[i];
		int w;

		if (!binding_shown(ui, b, ctx) || b->footer == NULL ||
		    ((b->flags & K_LIVE_RUN) && !ui_can_cancel(ui)))
			continue;
		w = (int)(strlen(b->names) + strlen(b->footer) + 2);
		if (x + w > COLS)
			break;
		attrset(theme_attr(ROLE_ACCENT) | A_BOLD);
		mvaddstr(y, x, b->names);
		attrset(theme_attr(ROLE_DIM));
		addch(' ');
		addstr(b->footer);
		x += w;
	}
	attrset(A_NORMAL);
}

void
keys_draw_help(const struct ui *ui)
{
	enum key_ctx ctx = ui_key_ctx(ui);
	static const char *const titles[] = {
		[CTX_RUNS] = "Keys: runs", [CTX_GRAPH] = "Keys: run (graph)",
		[CTX_LIST] = "Keys: run (list)", [CTX_LOG] = "Keys: log",
	};
	size_t n = 0;
	int w = COLS - 4 < 72 ? COLS - 4 : 72, h, y0, x0, row;

	for (size_t i = 0; i < NBINDINGS; i++)
		n += binding_shown(ui, &bindings[i], ctx);
	h = (int)n + 4;
	if (h > LINES - 2)
		h = LINES - 2;
	y0 = (LINES - h) / 2;
	x0 = (COLS - w) / 2;
	for (int y = 0; y < h; y++)
		ui_fill(y0 + y, x0, w, theme_attr(ROLE_NORMAL));
	attrset(theme_attr(ROLE_HEADER));
	mvaddstr(y0, x0 + 1, titles[ctx]);
	attrset(theme_attr(ROLE_DIM));
	mvaddstr(y0, x0 + w - 22 > x0 ? x0 + w - 22 : x0, "any key closes");
	row = y0 + 2;
	for (size_t i = 0; i < NBINDINGS && row < y0 + h - 1; i++) {
		const struct binding *b = &bindings[i];
		const char *what;

		if (!binding_shown(ui, b, ctx))
			continue;
		attrset(theme_attr(ROLE_ACCENT) | A_BOLD);
		mvaddnstr(row, x0 + 2, b->names, 10);
		attrset(theme_attr(ROLE_NORMAL));
		what = b->what != NULL ? b->what : commands_summary();
		move(row, x0 + 13);
		glyph_text(stdscr, what, strlen(what), w - 15);
		row++;
	}
	attrset(A_NORMAL);
}
