/* console.c - the console's loop: input, event sources, frame pacing,
 * and the parts of the screen every view shares (header, message line,
 * footer); what it shares with the views is ui.c.
 *
 * The loop sleeps in poll() on the terminal and the event source with a
 * timeout that is the nearest of: the source's next poll, the next frame
 * when something changed (at most ~30 frames a second), the next second
 * of a visible clock.  With nothing running and nothing typed it sleeps
 * without a timeout: an idle console costs nothing and sends nothing.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "cmdline.h"
#include "conf.h"
#include "glyph.h"
#include "json.h"
#include "paths.h"
#include "store.h"
#include "strbuf.h"
#include "ui.h"
#include "xmalloc.h"

#define FRAME_US 33000		/* at most ~30 frames a second */
#define PASTE_MAX (64 * 1024)	/* what a paste may put on the prompt */

/* Whether the configuration lets a gate ring the bell (a broken one is
 * said by the commands that run things, not here). */
static bool
console_bell(void)
{
	struct diags d = DIAGS_INIT;
	struct conf c;
	bool bell = conf_load(&c, &d) < 0 || c.bell;

	diags_fini(&d);
	conf_fini(&c);
	return bell;
}

/* ---- drawing ---- */

static void
ui_draw_header(struct ui *ui)
{
	char buf[512];
	attr_t a = theme_attr(ROLE_HEADER);

	ui_top(ui)->ops->header(ui, ui_top(ui)->st, buf, sizeof buf);
	ui_fill(0, 0, COLS, a);
	attrset(a);
	move(0, 0);
	glyph_text(stdscr, buf, strlen(buf), COLS);
	attrset(A_NORMAL);
}

static void
ui_draw_bottom(struct ui *ui)
{
	int y = LINES - 2;

	ui_fill(y, 0, COLS, A_NORMAL);
	if (cmdline_is_open()) {
		/* Tab's candidates go where the footer was, below the line. */
		ui_fill(y + 1, 0, COLS, theme_attr(ROLE_DIM));
		if (ui->msg[0] != '\0') {
			attrset(theme_attr(ROLE_DIM));
			move(y + 1, 0);
			glyph_text(stdscr, ui->msg, strlen(ui->msg), COLS);
			attrset(A_NORMAL);
		}
		cmdline_draw(stdscr, y, theme_attr(ROLE_ACCENT));
		return;
	}
	if (ui->ask[0] != '\0') {
		attrset(theme_attr(ROLE_WAITING));
		move(y, 0);
		glyph_text(stdscr, ui->ask, strlen(ui->ask), COLS);
	} else if (ui->msg[0] != '\0') {
		attrset(theme_attr(ui->msg_error ? ROLE_FAILED : ROLE_ACCENT));
		move(y, 0);
		glyph_text(stdscr, ui->msg, strlen(ui->msg), COLS);
	}
	attrset(A_NORMAL);
	keys_draw_footer(ui, LINES - 1);
}

/* A gate that waits shows on every view but its own dialog: a band under
 * the header.  Returns the rows it took. */
static int
ui_draw_band(struct ui *ui)
{
	char buf[512];
	size_t k = ui->n_views;

	while (k > 0 && ui->views[k - 1].ops->band == NULL)
		k--;
	if (k == 0 || !ui->views[k - 1].ops->band(ui, ui->views[k - 1].st, buf, sizeof buf))
		return 0;
	ui_fill(1, 0, COLS, theme_attr(ROLE_WAITING) | A_REVERSE);
	attrset(theme_attr(ROLE_WAITING) | A_REVERSE);
	move(1, 0);
	glyph_text(stdscr, buf, strlen(buf), COLS);
	attrset(A_NORMAL);
	return 1;
}

static void
ui_draw(struct ui *ui)
{
	int body = LINES - 3, band;

	if (LINES < 6 || COLS < 20) {
		erase();
		mvaddstr(0, 0, "drover: too small");
		refresh();
		return;
	}
	ui_draw_header(ui);
	band = ui_draw_band(ui);
	ui_top(ui)->ops->draw(ui, ui_top(ui)->st, 1 + band, body - band);
	if (ui->help)
		keys_draw_help(ui);
	ui_draw_bottom(ui);	/* last: it leaves the cursor on the ':' line */
	if (cmdline_is_open())
		curs_set(1);
	else
		curs_set(0);
	wnoutrefresh(stdscr);
	doupdate();
}

/* ---- input ---- */

static void
ui_prompt_done(struct ui *ui, char *line)
{
	enum prompt p = ui->prompt;

	ui->prompt = PROMPT_NONE;
	curs_set(0);
	if (line == NULL)
		return;
	if (p == PROMPT_COMMAND) {
		ui_command(ui, line);
	} else if (p == PROMPT_TEXT) {
		struct view *v = ui_view_find(ui, ui->prompt_view);

		if (v != NULL)
			ui->prompt_done(ui, v->st, line);
	}
}

static void
ui_key(struct ui *ui, int key, bool keycode)
{
	struct view *v = ui_top(ui);

	ui->dirty = true;
	if (keycode && key == KEY_RESIZE) {
		/* The one place a resize is handled: everything is laid out per frame. */
		return;
	}
	if (cmdline_is_open()) {
		enum cmdline_rc rc = cmdline_key(key, keycode);

		if (rc == CMDLINE_DONE) {
			char *line = cmdline_take();

			ui_prompt_done(ui, line);
			free(line);
		} else if (rc == CMDLINE_CANCELLED) {
			ui_prompt_done(ui, NULL);
		} else if (cmdline_matches() != NULL) {
			struct strbuf sb = STRBUF_INIT;

			for (const char *const *m = cmdline_matches(); *m != NULL; m++)
				sb_addf(&sb, "%s ", *m);
			ui_message(ui, false, "%s", sb_str(&sb));
			sb_fini(&sb);
		}
		return;
	}
	if (ui->ask[0] != '\0') {
		void (*yes)(struct ui *) = ui->ask_yes;

		ui->ask[0] = '\0';
		ui->ask_yes = NULL;
		if (!keycode && (key == 'y' || key == 'Y'))
			yes(ui);
		else
			ui_message(ui, false, "nothing was done");
		return;
	}
	if (ui->help) {
		ui->help = false;
		return;
	}
	if (v->ops->key != NULL && v->ops->key(ui, v->st, key, keycode))
		return;
	if (keycode && key == KEY_MOUSE) {
		MEVENT me;

		if (getmouse(&me) == OK && v->ops->mouse != NULL)
			v->ops->mouse(ui, v->st, &me);
		return;
	}
	if (!keys_dispatch(ui, keycode ? key : key < 256 ? key : -1)) {
		if (!keycode && key > ' ' && key < 127)
			ui_message(ui, true, "'%c' does nothing here; ? lists the keys", key);
	}
}

/* A bracketed paste ended: text for an open prompt, never keys. */
static void
ui_paste_done(struct ui *ui)
{
	ui->pasting = false;
	ui->dirty = true;
	if (cmdline_is_open()) {
		cmdline_paste(sb_str(&ui->paste));
	} else if (ui->ask[0] != '\0') {
		ui->ask[0] = '\0';
		ui->ask_yes = NULL;
		ui_message(ui, true, "a paste answers no question: nothing was done");
	} else {
		ui_message(ui, true, "pasted text ignored: a paste is text, not keys "
		    "(paste at the : prompt)");
	}
	sb_reset(&ui->paste);
}

/* One key of a paste, as the text it was: a key code stands for the bytes
 * that made it, a NUL for a space (the prompt makes controls harmless). */
static void
ui_paste_add(struct ui *ui, wint_t wch, bool keycode)
{
	char mb[MB_LEN_MAX], *seq;
	size_t n;

	if (ui->paste.len >= PASTE_MAX)
		return;
	if (keycode) {
		if ((seq = keybound((int)wch, 0)) != NULL)
			sb_adds(&ui->paste, seq);
		free(seq);
		return;
	}
	if (wch == 0)
		wch = ' ';
	if ((n = wcrtomb(mb, (wchar_t)wch, &(mbstate_t){ 0 })) != (size_t)-1)
		sb_add(&ui->paste, mb, n);
}

/* Handles every key waiting; returns how many there were. */
static int
ui_read_keys(struct ui *ui)
{
	wint_t wch;
	int rc, n = 0;

	while ((rc = term_get_key(&wch)) != ERR) {
		n++;
		if (rc == TERM_PASTE_BEGIN) {
			ui->pasting = true;
			sb_reset(&ui->paste);
		} else if (rc == TERM_PASTE_END) {
			if (ui->pasting)
				ui_paste_done(ui);
		} else if (ui->pasting && !(rc == KEY_CODE_YES && wch == KEY_RESIZE)) {
			ui_paste_add(ui, wch, rc == KEY_CODE_YES);
		} else {
			ui_key(ui, (int)wch, rc == KEY_CODE_YES);
		}
	}
	return n;
}

/* ---- the loop ---- */

static int
ui_timeout_ms(struct ui *ui, int64_t now, int64_t last_frame)
{
	struct view *v = ui_top(ui);
	int t = -1;
	int64_t d;

	if (ui->dirty) {
		d = last_frame + FRAME_US - now;
		t = ui_earlier(t, d <= 0 ? 0 : (int)(d / 1000) + 1);
	}
	if (ui->msg[0] != '\0')
		t = ui_earlier(t, (int)((ui->msg_until - now) / 1000) + 1);
	/* Only the top view is drawn, so only it is kept up to date. */
	return ui_earlier(t, v->ops->timeout_ms(ui, v->st, now));
}

static void
ui_tick(struct ui *ui, int64_t now)
{
	if (ui->msg[0] != '\0' && now >= ui->msg_until) {
		ui->msg[0] = '\0';
		ui->dirty = true;
	}
	ui_top(ui)->ops->tick(ui, ui_top(ui)->st, now);
}

static int
ui_loop(struct ui *ui)
{
	int64_t last_frame = 0, now;
	int errs = 0;

	ui->dirty = true;
	while (!ui->quit) {
		struct pollfd pfd[4];
		struct timespec ts;
		struct view *v;
		nfds_t n = 0;
		int t, rc;

		now = event_now();
		ui_tick(ui, now);
		if (ui->dirty && now - last_frame >= FRAME_US) {
			ui_draw(ui);
			ui->dirty = false;
			last_frame = now;
		}
		v = ui_top(ui);
		pfd[n++] = (struct pollfd){ .fd = 0, .events = POLLIN };
		if (v->ops->fd != NULL && v->ops->fd(v->st) >= 0)
			pfd[n++] = (struct pollfd){ .fd = v->ops->fd(v->st), .events = POLLIN };
		if (child_fd(ui->child) >= 0)
			pfd[n++] = (struct pollfd){ .fd = child_fd(ui->child), .events = POLLIN };
		if (term_signal_fd() >= 0)
			pfd[n++] = (struct pollfd){ .fd = term_signal_fd(), .events = POLLIN };
		t = ui_timeout_ms(ui, event_now(), last_frame);
		ts.tv_sec = t / 1000;
		ts.tv_nsec = (long)(t % 1000) * 1000000;
		rc = ppoll(pfd, n, t < 0 ? NULL : &ts, &ui->poll_mask);
		if (rc < 0 && errno != EINTR)
			return -1;
		if (rc < 0) {
			ui_read_keys(ui);	/* SIGWINCH: curses has a KEY_RESIZE for us */
			continue;
		}
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			return 0;	/* the terminal went away */
		if (pfd[0].revents & POLLIN) {
			/* A readable terminal that gives no keys, again and again, is gone. */
			errs = ui_read_keys(ui) > 0 ? 0 : errs + 1;
			if (errs > 100)
				return 0;
		}
		for (nfds_t i = 1; i < n; i++) {
			if (pfd[i].revents != 0 && pfd[i].fd == child_fd(ui->child))
				child_input(ui);
			else if (pfd[i].revents != 0 && pfd[i].fd == term_signal_fd())
				term_signals(ui);
		}
		child_reap(ui->child);
	}
	return 0;
}

/* ---- start and end ---- */

/* Where SPEC 3 keeps state: $XDG_STATE_HOME/drover, whatever DROVER_DB
 * says about the history database. */
static char *
ui_history_path(void)
{
	char *state = paths_state_home(), *p = xasprintf("%s/drover/console_history", state);

	free(state);
	return p;
}

/* -1 with a message printed when curses cannot use the terminal. */
static int
ui_start_curses(struct ui *ui)
{
	sigset_t winch;
	struct err e;
	const char *name;

	if (term_start(ui) < 0)
		return -1;
	/* SIGWINCH is blocked except inside ppoll, so a resize always wakes
	 * the loop (and never lands in another thread). */
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &winch, &ui->poll_mask);
	sigdelset(&ui->poll_mask, SIGWINCH);
	glyph_init(ui->o.ascii);
	if (theme_depth(ui->o.color, &ui->depth, &e) < 0)
		ui->depth = DEPTH_NONE;
	if (ui->depth != DEPTH_NONE) {
		start_color();
		use_default_colors();
	}
	name = ui->o.theme != NULL ? ui->o.theme : getenv("DROVER_THEME");
	ui->theme = theme_load(name != NULL && *name != '\0' ? name : "default", &e);
	if (ui->theme == NULL) {
		ui->theme = theme_builtin();
		ui_message(ui, true, "%s", e.msg);
	}
	theme_apply(ui->theme, ui->depth);
	if (ui->o.mouse)
		mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL);
	return 0;
}

/* The view the console opens on: a run, or the runs list.  -1 with a
 * message printed when it cannot. */
static int
ui_open_first(struct ui *ui)
{
	struct err e;
	int rc;

	if (ui->o.run > 0)
		rc = ui_view_open(ui, &view_run, &ui->o.run, &e);
	else
		rc = ui_view_open(ui, &view_runs, NULL, &e);
	if (rc < 0)
		fprintf(stderr, "drover: %s\n", e.msg);
	return rc;
}

int
console_main(const struct console_opts *o, struct console_result *res)
{
	struct ui ui;
	struct err e;
	char *db, *hist;
	int rc;

	memset(&ui, 0, sizeof ui);
	ui.o = *o;
	ui.child = child_new();
	ui.bell = console_bell();
	setlocale(LC_ALL, "");
	if (!isatty(0) || !isatty(1)) {
		fprintf(stderr, "drover: the console needs a terminal\n");
		return -1;
	}
	db = store_default_path();
	ui.st = store_open(db, true, &e);
	free(db);
	if (ui.st == NULL) {
		fprintf(stderr, "drover: %s\n", e.msg);
		return -1;
	}
	if (ui_open_first(&ui) < 0) {
		store_close(ui.st);
		return -1;
	}
	hist = ui_history_path();
	if (ui_start_curses(&ui) == 0) {
		cmdline_init(hist, complete_command, commands_history_form, &ui);
		rc = ui_loop(&ui);
		cmdline_fini();
		term_stop(&ui);
	} else {
		rc = -1;
	}
	for (size_t i = 0; res != NULL && i < ui.n_views; i++)
		if (ui.views[i].ops->result != NULL)
			ui.views[i].ops->result(ui.views[i].st, res);
	child_free(ui.child);
	while (ui.n_views > 0)
		ui_view_pop(&ui, false);
	sb_fini(&ui.paste);
	theme_free(ui.theme);
	store_close(ui.st);
	free(hist);
	return rc;
}
