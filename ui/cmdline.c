/* cmdline.c - the console's `:` command line: GNU readline inside curses.
 *
 * readline runs in callback mode and never sees the terminal.  Each key the
 * console hands over is turned into the bytes a terminal would have sent
 * (arrows into the escape sequences of readline's emacs keymap, wide
 * characters into the locale's multibyte form), queued, and fed to
 * readline one byte at a time through rl_getc_function.  readline writes
 * only to /dev/null, leaves the terminal modes and the signals alone, and
 * its redisplay merely notes that the line changed: curses stays in charge
 * of the screen and cmdline_draw paints the line from rl_line_buffer.
 *
 * Esc, Ctrl-C and Ctrl-G cancel: the console's Esc is a key of its own, so
 * it never has to wait for the rest of an escape sequence, and the
 * sequences queued here never come back through cmdline_key.  A cancel
 * still finishes the line through readline (with a private key sequence)
 * so that readline restores any history entry the user edited and leaves
 * nothing behind for the next line.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <wchar.h>

#include <readline/readline.h>
#include <readline/history.h>

#include "cmdline.h"
#include "termtext.h"
#include "xmalloc.h"

#define CMDLINE_HISTORY_MAX	1000
#define CMDLINE_QUEUE		64

/* Bound to cmdline_rl_finish; no key the console hands over produces it,
 * since every Esc from the console cancels before reaching readline. */
#define CMDLINE_FINISH_SEQ	"\033[drover-finish~"

static struct {
	bool ready;			/* readline set up (once per process) */
	bool open;
	bool dirty;
	bool cancelling;		/* the line being finished is dropped */
	enum cmdline_rc rc;
	char *line;			/* accepted, not yet taken */
	char *prompt;
	int hscroll;			/* first column of the line on screen */

	char *history_path;
	cmdline_history_fn *history;
	cmdline_complete_fn *complete;
	void *ud;
	char **cands;			/* the completer's answer being handed out */
	size_t next_cand;
	char **matches;			/* the last ambiguous completion */

	unsigned char queue[CMDLINE_QUEUE];
	size_t qpos, qlen;
} cl;

/* ---- readline's side ---- */

/* The terminal belongs to curses: readline must not change its modes. */
static void
cmdline_rl_prep(int meta)
{
}

static void
cmdline_rl_deprep(void)
{
}

/* readline redraws after every change; the console draws, so just note it. */
static void
cmdline_rl_redisplay(void)
{
	cl.dirty = true;
}

/* readline reads only what cmdline_key queued; asking for more is a bug,
 * answered with a read error, which ends the line as cancelled rather than
 * accepting it. */
static int
cmdline_rl_getc(FILE *fp)
{
	if (cl.qpos >= cl.qlen)
		return READERR;
	return cl.queue[cl.qpos++];
}

/* Lets readline tell an escape sequence from a lone Esc without waiting. */
static int
cmdline_rl_available(void)
{
	return cl.qpos < cl.qlen;
}

/* Ends the line without running accept-line's display code; a cancel uses
 * it so that readline's teardown still tidies the history. */
static int
cmdline_rl_finish(int count, int key)
{
	rl_done = 1;
	return 0;
}

/* Lines of blanks count as empty. */
static bool
cmdline_blank(const char *s)
{
	return s[strspn(s, " \t")] == '\0';
}

/* mkdir -p of path's directory, mode 0700 for what it creates. */
static void
cmdline_make_parents(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		for (char *p = dir + 1, c; ; p++) {
			if (*p != '/' && *p != '\0')
				continue;
			c = *p;
			*p = '\0';
			if (mkdir(dir, 0700) != 0 && errno != EEXIST)
				break;
			*p = c;
			if (c == '\0')
				break;
		}
	}
	free(dir);
}

/* Saves the newest entry at once, so a crash or a second console loses
 * nothing; appending keeps what another console wrote meanwhile.  Failures
 * only cost the history, so they are ignored. */
static void
cmdline_history_save(void)
{
	if (cl.history_path == NULL)
		return;
	cmdline_make_parents(cl.history_path);
	if (append_history(1, cl.history_path) != 0 && write_history(cl.history_path) != 0)
		return;
	history_truncate_file(cl.history_path, CMDLINE_HISTORY_MAX);
}

/* Keeps the form of line the console wants kept; blank lines and repeats
 * of the last line would only crowd the history. */
static void
cmdline_history_add(const char *line)
{
	HIST_ENTRY *last;
	char *kept;

	if (cmdline_blank(line))
		return;
	kept = cl.history != NULL ? cl.history(cl.ud, line) : xstrdup(line);
	last = history_get(history_base + history_length - 1);
	if (kept != NULL && (last == NULL || strcmp(last->line, kept) != 0)) {
		add_history(kept);
		cmdline_history_save();
	}
	free(kept);
}

/* readline's line handler: the line is finished (NULL on Ctrl-D). */
static void
cmdline_rl_line(char *line)
{
	rl_callback_handler_remove();
	cl.open = false;
	cl.dirty = true;
	if (line == NULL || cl.cancelling) {
		free(line);
		cl.rc = CMDLINE_CANCELLED;
	} else {
		cmdline_history_add(line);
		cl.line = line;
		cl.rc = CMDLINE_DONE;
	}
	cl.cancelling = false;
}

/* The list is for the key that produced it only. */
static void
cmdline_matches_clear(void)
{
	if (cl.matches == NULL)
		return;
	for (size_t i = 0; cl.matches[i] != NULL; i++)
		free(cl.matches[i]);
	free(cl.matches);
	cl.matches = NULL;
}

/* readline would print the list of matches; keep it for the console. */
static void
cmdline_rl_show_matches(char **matches, int n, int max)
{
	cmdline_matches_clear();
	cl.matches = xcalloc((size_t)n + 1, sizeof *cl.matches);
	for (int i = 0; i < n; i++)
		cl.matches[i] = xstrdup(matches[i + 1]);
	cl.dirty = true;
}

/* Hands out the completer's candidates one by one; readline frees them. */
static char *
cmdline_rl_next_cand(const char *text, int state)
{
	if (cl.cands == NULL || cl.cands[cl.next_cand] == NULL)
		return NULL;
	return cl.cands[cl.next_cand++];
}

/* Asks the console's completer; readline inserts the unique match and a
 * space, or the common prefix and shows the list through its hook. */
static char **
cmdline_rl_complete(const char *text, int start, int end)
{
	char **cands, **m;
	size_t n = 0, len = strlen(text);

	rl_attempted_completion_over = 1;	/* never fall back to file names */
	if (cl.complete == NULL)
		return NULL;
	cands = cl.complete(cl.ud, rl_line_buffer, text, start);
	if (cands == NULL)
		return NULL;
	for (size_t i = 0; cands[i] != NULL; i++) {
		if (strncmp(cands[i], text, len) == 0)
			cands[n++] = cands[i];
		else
			free(cands[i]);
	}
	cands[n] = NULL;
	/* A directory is completed further: no space after its slash. */
	if (n == 1 && cands[0][0] != '\0' && cands[0][strlen(cands[0]) - 1] == '/')
		rl_completion_suppress_append = 1;
	cl.cands = cands;
	cl.next_cand = 0;
	m = rl_completion_matches(text, cmdline_rl_next_cand);
	while (cands[cl.next_cand] != NULL)
		free(cands[cl.next_cand++]);
	free(cands);
	cl.cands = NULL;
	return m;
}

/* Binds the sequences cmdline_key produces, unless the user's inputrc
 * already gave them a meaning. */
static void
cmdline_rl_bind(void)
{
	static const struct {
		const char *seq;
		rl_command_func_t *fn;
	} binds[] = {
		{ "\033[A", rl_get_previous_history },
		{ "\033[B", rl_get_next_history },
		{ "\033[C", rl_forward_char },
		{ "\033[D", rl_backward_char },
		{ "\033[H", rl_beg_of_line },
		{ "\033[F", rl_end_of_line },
		{ "\033[3~", rl_delete },
		{ "\033[1;5C", rl_forward_word },
		{ "\033[1;5D", rl_backward_word },
		{ "\033[3;5~", rl_kill_word },
	};

	for (size_t i = 0; i < sizeof binds / sizeof binds[0]; i++)
		rl_bind_keyseq_if_unbound_in_map(binds[i].seq, binds[i].fn, emacs_standard_keymap);
	rl_bind_keyseq_in_map(CMDLINE_FINISH_SEQ, cmdline_rl_finish, emacs_standard_keymap);
}

/* Everything here is process-wide in readline and is done once. */
static void
cmdline_rl_setup(void)
{
	FILE *null = fopen("/dev/null", "r+");

	if (null == NULL)
		fatal("cannot open /dev/null: %s", strerror(errno));
	rl_readline_name = "drover";
	rl_instream = null;
	rl_outstream = null;
	rl_prep_term_function = cmdline_rl_prep;
	rl_deprep_term_function = cmdline_rl_deprep;
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_change_environment = 0;
	/* Set before rl_initialize: with its own redisplay readline skips
	 * tgetent, which would replace curses' terminal. */
	rl_redisplay_function = cmdline_rl_redisplay;
	rl_getc_function = cmdline_rl_getc;
	rl_input_available_hook = cmdline_rl_available;
	rl_attempted_completion_function = cmdline_rl_complete;
	rl_completion_display_matches_hook = cmdline_rl_show_matches;
	rl_completer_word_break_characters = " \t";
	rl_initialize();	/* reads the inputrc; what follows overrides it */
	rl_variable_bind("editing-mode", "emacs");	/* vi mode needs Esc */
	rl_variable_bind("enable-bracketed-paste", "off");
	rl_variable_bind("bell-style", "none");
	rl_variable_bind("show-all-if-ambiguous", "on");
	rl_variable_bind("revert-all-at-newline", "on");
	rl_variable_bind("input-meta", "on");
	rl_variable_bind("convert-meta", "off");
	rl_variable_bind("output-meta", "on");
	rl_variable_bind("enable-meta-key", "off");
	rl_variable_bind("enable-keypad", "off");
	rl_variable_bind("echo-control-characters", "off");
	cmdline_rl_bind();
	using_history();
	stifle_history(CMDLINE_HISTORY_MAX);
}

/* ---- the console's side ---- */

void
cmdline_init(const char *history_path, cmdline_complete_fn *complete,
    cmdline_history_fn *history, void *ud)
{
	if (!cl.ready) {
		cmdline_rl_setup();
		cl.ready = true;
	}
	free(cl.history_path);
	cl.history_path = history_path != NULL ? xstrdup(history_path) : NULL;
	cl.complete = complete;
	cl.history = history;
	cl.ud = ud;
	clear_history();
	if (cl.history_path != NULL)
		read_history(cl.history_path);
	using_history();
}

/* Hands readline the bytes of one key and lets it work through them. */
static void
cmdline_feed(const char *bytes, size_t n)
{
	if (n > sizeof cl.queue)
		n = sizeof cl.queue;
	memcpy(cl.queue, bytes, n);
	cl.qpos = 0;
	cl.qlen = n;
	while (cl.open && cl.qpos < cl.qlen)
		rl_callback_read_char();
	cl.qpos = cl.qlen = 0;
}

/* Drops the line: leaves any search or half-typed key sequence, then
 * finishes through readline so that its teardown runs. */
static void
cmdline_cancel(void)
{
	rl_callback_sigcleanup();
	rl_clear_pending_input();
	cl.cancelling = true;
	cmdline_feed(CMDLINE_FINISH_SEQ, strlen(CMDLINE_FINISH_SEQ));
	if (cl.open) {
		/* readline did not take the sequence (a rebinding?): by hand. */
		rl_free_line_state();
		rl_line_buffer[0] = '\0';
		rl_point = rl_end = rl_mark = 0;
		rl_callback_handler_remove();
		cl.open = false;
		cl.cancelling = false;
		cl.rc = CMDLINE_CANCELLED;
		cl.dirty = true;
	}
}

void
cmdline_fini(void)
{
	if (cl.open)
		cmdline_cancel();
	cmdline_matches_clear();
	clear_history();
	free(cl.history_path);
	free(cl.prompt);
	free(cl.line);
	cl.history_path = cl.prompt = cl.line = NULL;
	cl.complete = NULL;
	cl.history = NULL;
	cl.ud = NULL;
}

void
cmdline_open(const char *prompt)
{
	if (cl.open)
		cmdline_cancel();
	free(cl.line);
	cl.line = NULL;
	free(cl.prompt);
	cl.prompt = xstrdup(prompt != NULL ? prompt : "");
	cmdline_matches_clear();
	cl.rc = CMDLINE_EDITING;
	cl.hscroll = 0;
	cl.open = true;
	cl.dirty = true;
	rl_callback_handler_install(cl.prompt, cmdline_rl_line);
}

bool
cmdline_is_open(void)
{
	return cl.open;
}

/* The bytes readline's emacs keymap expects for a curses key code, or NULL
 * for keys the command line ignores. */
static const char *
cmdline_keyseq(int key)
{
	const char *name;

	switch (key) {
	case KEY_LEFT:
		return "\033[D";
	case KEY_RIGHT:
		return "\033[C";
	case KEY_UP:
		return "\033[A";
	case KEY_DOWN:
		return "\033[B";
	case KEY_HOME:
		return "\033[H";
	case KEY_END:
		return "\033[F";
	case KEY_DC:
		return "\033[3~";
	case KEY_BACKSPACE:
		return "\177";
	}
	/* Ctrl- and Alt-arrows have no fixed codes, only terminfo names. */
	if ((name = keyname(key)) == NULL)
		return NULL;
	if (strcmp(name, "kLFT5") == 0 || strcmp(name, "kLFT3") == 0)
		return "\033[1;5D";
	if (strcmp(name, "kRIT5") == 0 || strcmp(name, "kRIT3") == 0)
		return "\033[1;5C";
	if (strcmp(name, "kDC5") == 0 || strcmp(name, "kDC3") == 0)
		return "\033[3;5~";
	return NULL;
}

enum cmdline_rc
cmdline_key(int key, bool is_keycode)
{
	char buf[MB_LEN_MAX];
	const char *seq;
	mbstate_t st;
	size_t n;

	cmdline_matches_clear();
	if (!cl.open)
		return CMDLINE_CANCELLED;
	if (is_keycode) {
		if (key != KEY_ENTER) {
			if ((seq = cmdline_keyseq(key)) != NULL)
				cmdline_feed(seq, strlen(seq));
			return cl.rc;
		}
		key = '\r';
	}
	switch (key) {
	case 27:
	case 7:
		/* In a history search these only leave the search, as in bash. */
		if (RL_ISSTATE(RL_STATE_ISEARCH | RL_STATE_NSEARCH)) {
			buf[0] = (char)key;
			cmdline_feed(buf, 1);
			return cl.rc;
		}
		cmdline_cancel();
		return cl.rc;
	case 3:
		cmdline_cancel();
		return cl.rc;
	case '\n':
	case '\r':
		if (RL_ISSTATE(RL_STATE_MULTIKEY))
			rl_callback_sigcleanup();	/* drop a pending Ctrl-X */
		cmdline_feed("\r", 1);
		return cl.rc;
	}
	if (key < 0)
		return cl.rc;
	if (key < 0x80) {
		buf[0] = (char)key;
		n = 1;
	} else {
		memset(&st, 0, sizeof st);
		if ((n = wcrtomb(buf, (wchar_t)key, &st)) == (size_t)-1)
			return cl.rc;
	}
	cmdline_feed(buf, n);
	return cl.rc;
}

/* A paste the console recognised: typed text, never a key binding. */
void
cmdline_paste(const char *text)
{
	char *s;

	if (!cl.open || text == NULL)
		return;
	rl_callback_sigcleanup();	/* a paste ends a search or a key sequence */
	s = xstrdup(text);
	for (unsigned char *p = (unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	rl_insert_text(s);
	free(s);
	cl.dirty = true;
}

char *
cmdline_take(void)
{
	char *line = cl.line;

	cl.line = NULL;
	return line;
}

bool
cmdline_dirty(void)
{
	return cl.dirty;
}

const char *const *
cmdline_matches(void)
{
	return (const char *const *)cl.matches;
}

/* ---- drawing ---- */

/* One character as drawn: its bytes, its columns, and a stand-in for
 * what cannot go to the terminal as it is (termtext.h: "^A" for a control
 * character, "<U+202E>" for a bidi control, "\x9b" for a byte that is not
 * a character; TAB too is "^I" on a line of one row). */
struct cmdline_glyph {
	size_t len;
	int width;
	char show[TERMTEXT_ESCAPE_MAX];
};

static void
cmdline_glyph(const char *s, size_t n, struct cmdline_glyph *g)
{
	struct termtext_char c;
	int w;

	termtext_next(s, n, &c);
	g->len = c.len;
	g->show[0] = '\0';
	if (c.kind == TT_TAB)
		c.kind = TT_CONTROL;
	if (!termtext_safe(&c)) {
		g->width = (int)termtext_escape(&c, g->show);
		return;
	}
	w = c.cp < 0x80 ? 1 : wcwidth((wchar_t)c.cp);
	if (w < 0) {
		g->width = 1;
		strcpy(g->show, "?");
		return;
	}
	g->width = w;
}

/* Columns the first n bytes of s take on screen. */
static int
cmdline_width(const char *s, size_t n)
{
	struct cmdline_glyph g;
	int w = 0;

	for (size_t off = 0; off < n; off += g.len) {
		cmdline_glyph(s + off, n - off, &g);
		w += g.width;
	}
	return w;
}

/* Draws one character, or what stands in for it. */
static void
cmdline_put(WINDOW *win, const char *s, const struct cmdline_glyph *g)
{
	if (g->show[0] != '\0')
		waddstr(win, g->show);
	else
		waddnstr(win, s, (int)g->len);
}

/* Draws s from the window's cursor on, at most max columns; returns the
 * columns used.  readline's invisible-prompt markers and what they enclose
 * are left out: they are terminal escapes. */
static int
cmdline_put_prompt(WINDOW *win, const char *s, int max)
{
	struct cmdline_glyph g;
	size_t n = strlen(s);
	int col = 0;
	bool hidden = false;

	for (size_t off = 0; off < n; off += g.len) {
		if (s[off] == RL_PROMPT_START_IGNORE || s[off] == RL_PROMPT_END_IGNORE) {
			hidden = s[off] == RL_PROMPT_START_IGNORE;
			g.len = 1;
			continue;
		}
		cmdline_glyph(s + off, n - off, &g);
		if (hidden)
			continue;
		if (col + g.width > max)
			break;
		cmdline_put(win, s + off, &g);
		col += g.width;
	}
	return col;
}

/* Keeps the cursor's column cur visible in avail columns, moving the view
 * as little as possible, and never leaves room at the right while text is
 * hidden at the left. */
static void
cmdline_scroll(int cur, int total, int avail)
{
	int hs = cl.hscroll;

	if (total + 1 <= avail) {
		cl.hscroll = 0;
		return;
	}
	if (cur < hs)
		hs = cur > avail / 4 ? cur - avail / 4 : 0;
	if (cur >= hs + avail)
		hs = cur - avail + 1;
	if (total + 1 - hs < avail)
		hs = total + 1 - avail;
	cl.hscroll = hs > 0 ? hs : 0;
}

void
cmdline_draw(WINDOW *win, int y, attr_t prompt_attr)
{
	struct cmdline_glyph g;
	const char *line, *prompt;
	size_t len, point;
	int rows, cols, pw, avail, cur, total, col;
	bool drawn = false;

	getmaxyx(win, rows, cols);
	if (y < 0 || y >= rows || cols <= 0)
		return;
	wmove(win, y, 0);
	wclrtoeol(win);
	cl.dirty = false;
	if (!cl.open)
		return;

	/* During a history search readline shows its own prompt. */
	prompt = rl_display_prompt != NULL ? rl_display_prompt : cl.prompt;
	wattr_on(win, prompt_attr, NULL);
	pw = cmdline_put_prompt(win, prompt, cols > 10 ? cols - 10 : cols / 2);
	wattr_off(win, prompt_attr, NULL);
	avail = cols - pw;

	line = rl_line_buffer != NULL ? rl_line_buffer : "";
	len = rl_end > 0 ? (size_t)rl_end : 0;
	point = rl_point > 0 ? (size_t)rl_point : 0;
	if (point > len)
		point = len;
	cur = cmdline_width(line, point);
	total = cmdline_width(line, len);
	cmdline_scroll(cur, total, avail);

	col = 0;
	for (size_t off = 0; off < len; off += g.len) {
		cmdline_glyph(line + off, len - off, &g);
		if (col < cl.hscroll) {
			/* A wide character cut by the left edge shows as blanks. */
			for (int c = cl.hscroll; c < col + g.width; c++)
				waddch(win, ' ');
			col += g.width;
			drawn = false;
			continue;
		}
		if (col - cl.hscroll + g.width > avail)
			break;
		if (g.width == 0 && !drawn)
			continue;	/* combining mark of a character not shown */
		cmdline_put(win, line + off, &g);
		col += g.width;
		drawn = true;
	}
	wmove(win, y, pw + cur - cl.hscroll);
}
