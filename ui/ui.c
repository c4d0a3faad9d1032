/* ui.c - what every part of the console shares: the stack of open views,
 * the message line, questions and prompts, the theme, and the roles and
 * durations views draw with.
 *
 * The views are a stack: the top one has the body of the screen, the keys
 * and the ticks, all through its view_ops; nothing here knows which view
 * is open.  Opening a view puts it on top (instead of the top one when
 * that is of the same kind); q or Esc closes it and shows the one below,
 * and closing the first view ends the console.  The loop that drives all
 * this is console.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "cmdline.h"
#include "ui.h"

#define MESSAGE_US 5000000

enum theme_role
ui_status_role(enum step_status s)
{
	switch (s) {
	case ST_RUNNING:
	case ST_RETRYING:
		return ROLE_RUNNING;
	case ST_SUCCEEDED:
		return ROLE_SUCCEEDED;
	case ST_FAILED:
	case ST_TIMED_OUT:
	case ST_UPSTREAM_FAILED:
		return ROLE_FAILED;
	case ST_WAITING:
		return ROLE_WAITING;
	case ST_SKIPPED:
	case ST_CANCELLED:
		return ROLE_SKIPPED;
	case ST_PENDING:
		break;
	}
	return ROLE_DIM;
}

enum theme_role
ui_run_role(enum run_status s)
{
	switch (s) {
	case RUN_RUNNING:
		return ROLE_RUNNING;
	case RUN_SUCCEEDED:
		return ROLE_SUCCEEDED;
	case RUN_CANCELLED:
	case RUN_REJECTED:
		return ROLE_SKIPPED;
	case RUN_INTERRUPTED:
		return ROLE_WAITING;
	default:
		return ROLE_FAILED;
	}
}

void
ui_fmt_duration(int64_t us, char *buf, size_t size)
{
	int64_t ms = us / 1000, s = ms / 1000;

	if (us <= 0)
		snprintf(buf, size, "-");
	else if (ms < 1000)
		snprintf(buf, size, "%lldms", (long long)ms);
	else if (s < 60)
		snprintf(buf, size, "%lld.%llds", (long long)s, (long long)(ms % 1000 / 100));
	else if (s < 3600)
		snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
}

void
ui_fill(int y, int x, int width, attr_t attr)
{
	attrset(attr);
	move(y, x);
	for (int i = 0; i < width; i++)
		addch(' ');
	attrset(A_NORMAL);
}

void
ui_message(struct ui *ui, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ui->msg, sizeof ui->msg, fmt, ap);
	va_end(ap);
	ui->msg_error = error;
	ui->msg_until = event_now() + MESSAGE_US;
	ui->dirty = true;
}

/* Every confirmation goes through here.  What was typed or pasted before
 * the question showed is dropped, so only a key pressed after it answers:
 * a paste holding "cy" must not cancel a run. */
void
ui_ask(struct ui *ui, const char *question, void (*yes)(struct ui *ui))
{
	flushinp();
	snprintf(ui->ask, sizeof ui->ask, "%s", question);
	ui->ask_yes = yes;
	ui->dirty = true;
}

/* Opens the bottom line after label. */
static void
ui_prompt_open(struct ui *ui, enum prompt p, const char *label)
{
	ui->msg[0] = '\0';
	ui->prompt = p;
	cmdline_open(label);
	curs_set(1);
	ui->dirty = true;
}

void
ui_prompt(struct ui *ui)
{
	ui_prompt_open(ui, PROMPT_COMMAND, ":");
}

void
ui_prompt_text(struct ui *ui, const char *label,
    void (*done)(struct ui *ui, void *st, const char *line), const struct view_ops *ops)
{
	ui->prompt_done = done;
	ui->prompt_view = ops;
	ui_prompt_open(ui, PROMPT_TEXT, label);
}

void
ui_set_theme(struct ui *ui, const char *name)
{
	struct theme *t;
	struct err e;

	if ((t = theme_load(name, &e)) == NULL) {
		ui_message(ui, true, "%s", e.msg);
		return;
	}
	theme_free(ui->theme);
	ui->theme = t;
	theme_apply(t, ui->depth);
	ui_message(ui, false, "theme %s", theme_name(t));
	ui->dirty = true;
}

/* ---- the views ---- */

struct view *
ui_top(const struct ui *ui)
{
	return (struct view *)&ui->views[ui->n_views - 1];
}

struct view *
ui_view_find(const struct ui *ui, const struct view_ops *ops)
{
	for (size_t i = ui->n_views; i-- > 0;)
		if (ui->views[i].ops == ops)
			return (struct view *)&ui->views[i];
	return NULL;
}

void
ui_view_pop(struct ui *ui, bool show)
{
	struct view *v = ui_top(ui);

	v->ops->close(v->st);
	ui->n_views--;
	ui->dirty = true;
	if (show && ui->n_views > 0)
		ui_top(ui)->ops->show(ui, ui_top(ui)->st);
}

int
ui_view_open(struct ui *ui, const struct view_ops *ops, const void *arg, struct err *e)
{
	void *st;

	if (ui->n_views == VIEWS_MAX && ui_top(ui)->ops != ops) {
		err_set(e, "too many views open; leave one first (q)");
		return -1;
	}
	if ((st = ops->open(ui, arg, e)) == NULL)
		return -1;
	if (ui->n_views > 0 && ui_top(ui)->ops == ops)
		ui_view_pop(ui, false);
	ui->views[ui->n_views++] = (struct view){ ops, st };
	ops->show(ui, st);
	ui->dirty = true;
	return 0;
}

void
ui_view_back(struct ui *ui)
{
	struct view *v = ui_top(ui);

	if (v->ops->back != NULL && v->ops->back(ui, v->st))
		return;
	if (ui->n_views > 1)
		ui_view_pop(ui, true);
	else
		ui->quit = true;
}

int
ui_open(struct ui *ui, const struct view_ops *ops, const void *arg)
{
	struct err e;

	if (ui_view_open(ui, ops, arg, &e) < 0) {
		ui_message(ui, true, "%s", e.msg);
		return -1;
	}
	return 0;
}

int
ui_earlier(int t, int ms)
{
	return ms >= 0 && (t < 0 || ms < t) ? ms : t;
}
