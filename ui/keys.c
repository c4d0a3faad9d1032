/* keys.c - the keys of every view, and the keys of the top view.
 *
 * Each view's table (its view_ops) says which of its modes a key works
 * in; this file's table holds the keys every view has.  A table says what
 * a key does, whether it changes anything (those disappear with
 * --readonly) and when the footer offers it.  Dispatch, the help overlay
 * (?) and the footer all walk the top view's table, then this one, so they
 * cannot disagree.
 */
#include "config.h"

#include <string.h>

#include "glyph.h"
#include "ui.h"

/* ---- actions ---- */

static void
act_help(struct ui *ui, void *st, int key)
{
	ui->help = true;
}

static void
act_command(struct ui *ui, void *st, int key)
{
	ui_prompt(ui);
}

static void
act_redraw(struct ui *ui, void *st, int key)
{
	clearok(curscr, TRUE);
}

static void
act_suspend(struct ui *ui, void *st, int key)
{
	term_suspend(ui);
}

static void
act_pause(struct ui *ui, void *st, int key)
{
	const struct view *v = ui_top(ui);

	ui->paused = !ui->paused;
	if (v->ops->pause != NULL)
		v->ops->pause(v->st, ui->paused);
	ui_message(ui, false, ui->paused ? "live updates paused (Z resumes)" :
	    "live updates resumed");
}

static void
act_back(struct ui *ui, void *st, int key)
{
	ui_view_back(ui);
}

/* ---- the keys every view has, after its own ---- */

static const struct binding bindings[] = {
	/* What ':' is, the commands' table says (commands_summary). */
	{ 0, { ':' }, ":", NULL, "cmd", 0, act_command },
	{ 0, { 'Z' }, "Z", "pause / resume live updates", NULL, 0, act_pause },
	{ 0, { CTRL('l') }, "Ctrl-L", "redraw the screen", NULL, 0, act_redraw },
	{ 0, { CTRL('z') }, "Ctrl-Z", "suspend (the shell's fg resumes)", NULL, 0,
	    act_suspend },
	{ 0, { '?' }, "?", "this help", "help", 0, act_help },
	{ 0, { 'q', 27, CTRL('c') }, "q/Esc", "back; leaving never stops a run", "back",
	    0, act_back },
};

#define NBINDINGS (sizeof bindings / sizeof bindings[0])

/* The top view's next key from *i on, its own first, then every view's;
 * NULL past the last.  Those --readonly hides and those of its other
 * modes are skipped. */
static const struct binding *
keys_next(const struct ui *ui, size_t *i)
{
	const struct view *v = ui_top(ui);
	unsigned mode = 1u << (v->ops->mode != NULL ? v->ops->mode(v->st) : 0);

	for (; *i < v->ops->n_bindings + NBINDINGS; (*i)++) {
		const struct binding *b = *i < v->ops->n_bindings ? &v->ops->bindings[*i] :
		    &bindings[*i - v->ops->n_bindings];

		if ((b->modes == 0 || (b->modes & mode) != 0) &&
		    !((b->flags & K_CHANGES) && ui->o.readonly)) {
			(*i)++;
			return b;
		}
	}
	return NULL;
}

bool
keys_dispatch(struct ui *ui, int key)
{
	const struct binding *b;

	for (size_t i = 0; (b = keys_next(ui, &i)) != NULL;) {
		for (size_t k = 0; k < 4 && b->keys[k] != 0; k++) {
			if (b->keys[k] == key) {
				b->fn(ui, ui_top(ui)->st, key);
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
	const struct binding *b;
	int x = 0;

	ui_fill(y, 0, COLS, theme_attr(ROLE_DIM));
	move(y, 0);
	for (size_t i = 0; (b = keys_next(ui, &i)) != NULL;) {
		int w;

		if (b->footer == NULL || ((b->flags & K_LIVE_RUN) && !ui_can_cancel(ui)) ||
		    ((b->flags & K_GATE) && !ui_gate_waits(ui)))
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
	const struct view *v = ui_top(ui);
	const struct binding *b;
	size_t n = 0, i = 0;
	int w = COLS - 4 < 72 ? COLS - 4 : 72, h, y0, x0, row;

	while (keys_next(ui, &i) != NULL)
		n++;
	h = (int)n + 4;
	if (h > LINES - 2)
		h = LINES - 2;
	y0 = (LINES - h) / 2;
	x0 = (COLS - w) / 2;
	for (int y = 0; y < h; y++)
		ui_fill(y0 + y, x0, w, theme_attr(ROLE_NORMAL));
	attrset(theme_attr(ROLE_HEADER));
	mvaddstr(y0, x0 + 1, v->ops->titles[v->ops->mode != NULL ? v->ops->mode(v->st) : 0]);
	attrset(theme_attr(ROLE_DIM));
	mvaddstr(y0, x0 + w - 22 > x0 ? x0 + w - 22 : x0, "any key closes");
	row = y0 + 2;
	for (i = 0; row < y0 + h - 1 && (b = keys_next(ui, &i)) != NULL;) {
		const char *what = b->what != NULL ? b->what : commands_summary();

		attrset(theme_attr(ROLE_ACCENT) | A_BOLD);
		mvaddnstr(row, x0 + 2, b->names, 10);
		attrset(theme_attr(ROLE_NORMAL));
		move(row, x0 + 13);
		glyph_text(stdscr, what, strlen(what), w - 15);
		row++;
	}
	attrset(A_NORMAL);
}
