/* ui.h - the console's insides, shared by its views (ui.c, keys.c,
 * view_*.c).
 *
 *   poll(stdin, event source) ──► keys.c: one binding table ──► view actions
 *                            └──► source_poll ──► model ──► dirty ──► frame (<= 30/s)
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
#include "model.h"
#include "strbuf.h"
#include "theme.h"

struct child;
struct dag_layout;
struct source;
struct store;

enum view_id { VIEW_RUNS, VIEW_RUN };

/* Where keys go: one context at a time. */
enum key_ctx { CTX_RUNS = 1, CTX_GRAPH = 2, CTX_LIST = 4, CTX_LOG = 8 };

struct runs_view {
	cJSON **rows;		/* a window of the list, newest first, from store_list_runs */
	size_t n, sel, top;	/* rows, the selected and the first shown one */
	bool at_newest, at_oldest;	/* the window reaches that end of the list */
	char filter[128];
	int64_t data_version, loaded_us;
};

struct log_chunk {
	uint64_t seq, start;	/* its first line's number in the pane, from 0 */
	uint32_t n;
	uint8_t stream;
};

struct log_cached {
	uint64_t seq;
	char *text;
	size_t *offs;		/* start of each line; offs[n] = len + 1 */
	uint32_t n;
	unsigned used;
};

struct log_pane {
	int step;		/* -1: none */
	struct log_chunk *chunks;
	size_t n, cap;
	uint64_t total, top, loaded_seq;
	unsigned synced;	/* source_changes when the chunks were last read */
	int rows;		/* lines the pane shows (its last draw): what scrolls */
	bool follow;
	struct log_cached cache[4];
	unsigned tick;
	char search[128];
	int64_t match;		/* line of the last match, -1 none */
	/* a search under way, a slice per turn of the loop: the next line to
	 * look at, and the lines it covers (from, up to but not at end) */
	bool searching, search_back;
	int64_t search_next, search_from, search_end;
};

/* What a slice of a search came to. */
enum log_search_rc { SEARCH_GOING, SEARCH_FOUND, SEARCH_MISSED };

struct run_view {
	struct model m;
	struct source *src;
	struct dag_layout *lay;
	size_t sel;		/* selected step (= node) */
	int ox, oy;		/* top-left of the DAG viewport in the canvas */
	size_t list_top;
	bool list, log_focus, log_max;
	bool chosen;		/* the user selected a step: stop following the run */
	struct log_pane log;
	int64_t data_version;
};

/* What the bottom line is reading, if anything. */
enum prompt { PROMPT_NONE, PROMPT_COMMAND, PROMPT_FILTER, PROMPT_FIND, PROMPT_SEARCH };

struct ui {
	struct console_opts o;
	SCREEN *screen;
	enum prompt prompt;
	char find[128];		/* the last step search */
	struct store *st;
	enum view_id view;
	struct runs_view runs;
	struct run_view *rv;	/* the open run, or NULL */
	bool run_owned;		/* rv came from the history (q returns to runs) */
	struct theme *theme;
	enum color_depth depth;
	bool quit, dirty, help, paused;
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

/* ---- ui.c ---- */
void ui_message(struct ui *ui, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ui_ask(struct ui *ui, const char *question, void (*yes)(struct ui *ui));
/* Opens run in the run view, following it while it goes on. */
int ui_open_run(struct ui *ui, int64_t run);
void ui_close_run(struct ui *ui);
void ui_set_theme(struct ui *ui, const char *name);
/* Asks, then cancels the open run when it belongs to this process. */
void ui_cancel(struct ui *ui);
/* Whether there is a run ui_cancel could cancel: live, of this process,
 * not a replay. */
bool ui_can_cancel(const struct ui *ui);
enum theme_role ui_status_role(enum step_status s);
enum theme_role ui_run_role(enum run_status s);
/* "1.2s", "3m04s", "2h05m" */
void ui_fmt_duration(int64_t us, char *buf, size_t size);
/* Fills the rest of row y from column x with spaces in attr. */
void ui_fill(int y, int x, int width, attr_t attr);

/* Opens the bottom line for a command, a filter or a search. */
void ui_prompt(struct ui *ui, enum prompt p);

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

/* ---- keys.c: the one binding table ---- */
enum key_ctx ui_key_ctx(const struct ui *ui);
/* Runs the key's action; false when no binding has it. */
bool keys_dispatch(struct ui *ui, int key);
void keys_draw_footer(const struct ui *ui, int y);
void keys_draw_help(const struct ui *ui);

/* ---- view_runs.c ---- */
void runs_refresh(struct ui *ui, bool force);
void runs_fini(struct ui *ui);
void runs_draw(struct ui *ui, int y, int h);
void runs_move(struct ui *ui, long delta);
/* The newest run, or the oldest in the whole history. */
void runs_edge(struct ui *ui, bool oldest);
void runs_open(struct ui *ui);
void runs_set_filter(struct ui *ui, const char *text);
int runs_timeout_ms(const struct ui *ui);

/* ---- view_run.c ---- */
struct run_view *run_view_new(struct model *m, struct source *src);
void run_view_free(struct run_view *rv);
void run_view_draw(struct ui *ui, int y, int h);
void run_view_move(struct ui *ui, int dir);
/* Selects a step as the user's choice. */
void run_view_select(struct ui *ui, size_t step);
/* Until the user chose a step, the selection follows the run: its first
 * running (or waiting) step, else the first that failed. */
void run_view_follow(struct ui *ui);
/* Selects the next step whose id contains text. */
bool run_view_find(struct ui *ui, const char *text);
void run_view_header(struct ui *ui, char *buf, size_t size);

/* ---- view_log.c ---- */
void log_pane_reset(struct log_pane *lp, int step);
void log_pane_fini(struct log_pane *lp);
/* Takes the chunks the history has for the step, up to what the run
 * view's source lets it show, when the source had news since. */
void log_pane_sync(struct log_pane *lp, struct store *st, const struct source *src,
    const struct model *m);
/* Draws h rows (a heading, then lines) and makes h - 1 the pane's rows;
 * following, the last line is on the last row. */
void log_pane_draw(struct ui *ui, struct log_pane *lp, int y, int x, int h, int w);
/* Scrolling, in the pane's rows as last drawn. */
void log_pane_scroll(struct log_pane *lp, int64_t delta);
void log_pane_page(struct log_pane *lp, int dir);
void log_pane_edge(struct log_pane *lp, bool bottom);
/* Starts looking for lp->search from the line after the last match (or
 * before it); log_pane_search_work does the looking, a slice at a time,
 * and a match scrolls the pane to it. */
void log_pane_search(struct log_pane *lp, bool backward);
/* Looks through chunks of the log for about budget_us (at least one
 * chunk), then returns; SEARCH_GOING while there is more to look at. */
enum log_search_rc log_pane_search_work(struct log_pane *lp, struct store *st,
    const struct model *m, int64_t budget_us);
void log_pane_search_stop(struct log_pane *lp);
/* How much of the search is done, 0..1. */
double log_pane_search_progress(const struct log_pane *lp);

#endif
