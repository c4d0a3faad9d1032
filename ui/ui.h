/* ui.h - the console's insides, shared by its loop (console.c) and its
 * parts (ui.c, keys.c, commands.c, view_*.c).
 *
 *   poll(stdin, the top view's fd) ──► keys.c: its bindings, then every view's ──► actions
 *                                 └──► its tick (run view: source_poll ──► model) ──► dirty
 *                                                                  ──► frame (<= 30/s)
 *
 * Each view (view_*.c) is a struct view_ops and a state only its file
 * knows; the console holds a stack of them (ui.c).
 *
 * One thread calls curses: the console's.  Each frame redraws the visible
 * part into curses' virtual screen and lets curses send only what changed;
 * nothing is drawn when nothing changed, and the screen is never cleared
 * during a run.
 */
#ifndef DROVER_UI_H
#define DROVER_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <signal.h>

#include <cjson/cJSON.h>
#include <curses.h>

#include "console.h"
#include "err.h"
#include "model.h"
#include "strbuf.h"
#include "theme.h"

struct child;
struct store;

struct binding;
struct view_ops;

/* An open view: what it is, and its state, which only its own file
 * knows (view_*.c).  The view owns the state; ops->close frees it. */
struct view {
	const struct view_ops *ops;
	void *st;
};

#define VIEWS_MAX 8

/* What the bottom line is reading, if anything: a command, or a line a
 * view asked for (ui_prompt_text). */
enum prompt { PROMPT_NONE, PROMPT_COMMAND, PROMPT_TEXT };

struct ui {
	struct console_opts o;
	SCREEN *screen;
	enum prompt prompt;
	/* PROMPT_TEXT: what gets the line, with the state of the topmost view
	 * of the kind that asked (the view may have been replaced meanwhile) */
	void (*prompt_done)(struct ui *ui, void *st, const char *line);
	const struct view_ops *prompt_view;
	char find[128];		/* the last step search, kept from run to run */
	struct store *st;
	/* The open views, the top one last: it has the screen and the keys.
	 * The first is the one the console opened on; Esc pops the others. */
	struct view views[VIEWS_MAX];
	size_t n_views;
	struct theme *theme;
	enum color_depth depth;
	bool quit, dirty, help, paused;
	bool bell;		/* config: ring when a gate opens */
	char msg[512];
	bool msg_error;
	int64_t msg_until;
	/* a question waiting for y/n */
	char ask[160];
	void (*ask_yes)(struct ui *ui);
	/* a bracketed paste coming in: text, never keys */
	bool pasting;
	struct strbuf paste;
	struct child *child;	/* :run */
	sigset_t poll_mask;	/* the signal mask inside ppoll: SIGWINCH open */
};

/* What a view is: each view_*.c exports one of these, and the console
 * calls nothing of a view but through it.  st is the view's state, as
 * open made it.  Hooks marked optional may be NULL.
 *
 * A new view is a ui/view_NAME.c with its state, its hooks, its bindings
 * and its view_ops (view_runs.c is the smaller one to start from), its
 * extern below, its line in Makefile.am's UI_CORE, and the key (a binding
 * in keys.c or in a view's table) or the ':' command (commands.c) that
 * calls ui_open with it. */
struct view_ops {
	/* Makes the state for arg (what the view's file says it takes), or
	 * returns NULL with e set. */
	void *(*open)(struct ui *ui, const void *arg, struct err *e);
	void (*close)(void *st);
	/* It became the top view: just opened, or the one above it closed. */
	void (*show)(struct ui *ui, void *st);
	/* The header's text, and the body: h rows from row y. */
	void (*header)(struct ui *ui, void *st, char *buf, size_t size);
	void (*draw)(struct ui *ui, void *st, int y, int h);
	/* When the top view next wants a tick, in ms (-1: only on input),
	 * and the tick.  Both mind ui->paused themselves. */
	int (*timeout_ms)(struct ui *ui, void *st, int64_t now);
	void (*tick)(struct ui *ui, void *st, int64_t now);
	/* optional: an fd that wakes the console, or -1 */
	int (*fd)(const void *st);
	/* optional: a key before the bindings see it; true when it took it */
	bool (*key)(struct ui *ui, void *st, int key, bool keycode);
	/* optional: a click */
	void (*mouse)(struct ui *ui, void *st, const MEVENT *me);
	/* optional: q or Esc; true when the view took it (else it closes) */
	bool (*back)(struct ui *ui, void *st);
	/* optional: Z */
	void (*pause)(void *st, bool paused);
	/* optional: what the console tells its caller as it ends */
	void (*result)(const void *st, struct console_result *res);
	/* optional: a line under the header, shown while this view or one
	 * above it without a band of its own is on top (a gate that waits):
	 * true with the line in buf, false for none.  The topmost view that
	 * has the hook decides. */
	bool (*band)(struct ui *ui, void *st, char *buf, size_t size);
	/* Its keys: mode (optional: always 0) picks titles[mode], the help's
	 * heading, and the bindings whose modes have 1 << mode (or are 0). */
	unsigned (*mode)(const void *st);
	const char *const *titles;
	const struct binding *bindings;
	size_t n_bindings;
};

/* The views (view_*.c).  view_run's arg: the int64_t run to open;
 * view_gate's: the size_t step of the open run whose gate it shows;
 * view_dash's: none (it shows the open run). */
extern const struct view_ops view_runs, view_run, view_gate, view_dash;

/* One key binding of a view, or of every view (keys.c).  The table a view
 * holds is the one source of its keys' dispatch, help and footer. */
struct binding {
	unsigned modes;		/* 1 << ops->mode(st) it works in; 0: all */
	int keys[4];		/* 0-terminated when fewer */
	const char *names;	/* as shown */
	const char *what;	/* NULL: commands_summary() */
	const char *footer;	/* short label, or NULL: only in the help */
	unsigned flags;
	void (*fn)(struct ui *ui, void *st, int key);
};

/* The key Ctrl-c, for the tables (termios may have said so already). */
#ifndef CTRL
#define CTRL(c) ((c) & 0x1f)
#endif

/* A key that changes something (hidden with --readonly), one that acts
 * on a live run (the footer offers it only then, ui_can_cancel), and one
 * that acts on a gate that waits (only then, ui_gate_waits). */
enum { K_CHANGES = 1, K_LIVE_RUN = 2, K_GATE = 4 };

/* ---- ui.c ---- */
void ui_message(struct ui *ui, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ui_ask(struct ui *ui, const char *question, void (*yes)(struct ui *ui));
/* Opens a view on top of the others, or instead of the top one when that
 * is of the same kind (one run at a time).  -1 with e set when it cannot:
 * then nothing changed. */
int ui_view_open(struct ui *ui, const struct view_ops *ops, const void *arg, struct err *e);
/* The same, saying why not on the message line: what a key or a command
 * that opens a view calls. */
int ui_open(struct ui *ui, const struct view_ops *ops, const void *arg);
/* q or Esc: what the top view does with it, else it closes; when it is
 * the first view, the console ends. */
void ui_view_back(struct ui *ui);
/* The top view: it has the screen and the keys. */
struct view *ui_top(const struct ui *ui);
/* Closes the top view; the one under it, if any, is shown again. */
void ui_view_pop(struct ui *ui, bool show);
/* The topmost open view of that kind, or NULL. */
struct view *ui_view_find(const struct ui *ui, const struct view_ops *ops);
/* The nearer of two timeouts in ms, either -1: none. */
int ui_earlier(int t, int ms);
void ui_set_theme(struct ui *ui, const char *name);
enum theme_role ui_status_role(enum step_status s);
enum theme_role ui_run_role(enum run_status s);
/* "1.2s", "3m04s", "2h05m" */
void ui_fmt_duration(int64_t us, char *buf, size_t size);
/* Fills the rest of row y from column x with spaces in attr. */
void ui_fill(int y, int x, int width, attr_t attr);

/* Opens the bottom line for a command; for a line a view of kind ops
 * wants (a filter, a search), after label: done gets it, and that view's
 * state, unless it was cancelled. */
void ui_prompt(struct ui *ui);
void ui_prompt_text(struct ui *ui, const char *label,
    void (*done)(struct ui *ui, void *st, const char *line), const struct view_ops *ops);

/* ---- term.c: the terminal under curses ---- */
/* What term_get_key returns, besides wget_wch's OK, KEY_CODE_YES and ERR,
 * for the marks around a bracketed paste. */
enum { TERM_PASTE_BEGIN = -2, TERM_PASTE_END = -3 };
/* Starts curses on the terminal (-1, with a message printed, when it
 * cannot), with bracketed paste and suspending. */
int term_start(struct ui *ui);
void term_stop(struct ui *ui);
int term_get_key(wint_t *wch);
/* Hands the terminal back and stops, as Ctrl-Z does; redraws after. */
void term_suspend(struct ui *ui);
/* The fd that becomes readable when SIGTSTP or SIGCONT arrived (or -1),
 * and what to call then. */
int term_signal_fd(void);
void term_signals(struct ui *ui);

/* ---- commands.c: the one table of ':' commands ---- */
/* Runs a command typed on the ':' line. */
void ui_command(struct ui *ui, const char *line);
/* Tab on the ':' line, and the form of a line the history keeps
 * (cmdline.h's completer and history hooks; ud is the ui). */
char **complete_command(void *ud, const char *line, const char *word, int start);
char *commands_history_form(void *ud, const char *line);
/* "command line (:run, ...)": what the help overlay says of ':'. */
const char *commands_summary(void);

/* ---- complete.c: Tab's candidates ---- */
/* The candidates for word so far: malloc'd, NULL-terminated, as cmdline.h
 * wants them; cands_add keeps only those that start with word. */
struct cands {
	char **v;
	size_t n, cap;
	const char *word;
};
void cands_add(struct cands *c, const char *s);
void complete_workflows(struct ui *ui, struct cands *c);
void complete_themes(struct ui *ui, struct cands *c);

/* ---- child.c: :run, a run in a process of its own ---- */
struct child *child_new(void);
/* Stops listening; the runs go on. */
void child_free(struct child *ch);
/* The fd to poll while a :run is starting, or -1. */
int child_fd(const struct child *ch);
/* Reads what the starting run prints, and opens it once it is named. */
void child_input(struct ui *ui);
/* Reaps the :run processes that exited. */
void child_reap(struct child *ch);
/* :run FILE [NAME=VALUE]... */
void child_start(struct ui *ui, int argc, char **argv);
/* What the history keeps of a :run line: each secret arg as ***.  Caller
 * frees. */
char *child_history(const char *line, int argc, char **argv);

/* ---- keys.c: the bindings of every view, and the top view's ---- */
/* Runs the key's action; false when no binding has it. */
bool keys_dispatch(struct ui *ui, int key);
void keys_draw_footer(const struct ui *ui, int y);
void keys_draw_help(const struct ui *ui);

/* ---- view_runs.c ---- */
/* Tab's run numbers: those of the runs list, when it is open. */
void runs_complete(struct ui *ui, struct cands *c);

/* ---- view_run.c ---- */
/* Opens run in the run view, following it while it goes on; says why
 * not on the message line. */
int ui_open_run(struct ui *ui, int64_t run);
/* Asks, then has the open run's process cancel it. */
void ui_cancel(struct ui *ui);
/* Whether there is a run ui_cancel could cancel: live, reached through
 * its process, not a replay. */
bool ui_can_cancel(const struct ui *ui);
/* The open run's first step waiting at a gate (its number in *run, the
 * step in *step) and what the gate shows (step_approval.c); NULL when
 * none waits. */
const cJSON *run_view_gate(const struct ui *ui, int64_t *run, size_t *step);
/* What the gate of step shows while it waits, with its id; else NULL. */
const cJSON *run_view_step_gate(const struct ui *ui, size_t step, const char **id);
/* The same for the step with this id. */
const cJSON *run_view_gate_named(const struct ui *ui, const char *id);
/* The open run's model, for the views over the run view, and in *now
 * the time it is shown at (a replay's clock); NULL when no run is open. */
const struct model *run_view_model(const struct ui *ui, int64_t *now);
/* Whether a gate of the open run waits (the footer offers A). */
bool ui_gate_waits(const struct ui *ui);
/* Sends a decision on step's gate to the open run's process; the answer
 * comes on the message line. */
void ui_decide(struct ui *ui, const char *step, bool approve, const char *comment,
    const cJSON *inputs, const char *hash);
/* Selects the open run's next step whose id contains text; false when
 * none does (or no run is open). */
bool run_view_find(struct ui *ui, const char *text);
/* Tab's step ids: those of the open run. */
void run_complete(struct ui *ui, struct cands *c);

#include "log_pane.h"

#endif
