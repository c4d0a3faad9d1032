/* cmdline.h - the console's `:` command line, GNU readline inside curses.
 *
 * The console keeps the terminal and reads the keys; while the command line
 * is open it hands every key to cmdline_key and draws the line with
 * cmdline_draw.  readline edits, keeps the history and completes, but never
 * reads or writes the terminal itself.  readline is global, so there is one
 * command line per process.
 */
#ifndef DROVER_CMDLINE_H
#define DROVER_CMDLINE_H

#include <stdbool.h>
#include <curses.h>

enum cmdline_rc {
	CMDLINE_EDITING,	/* still open */
	CMDLINE_DONE,		/* Enter: the line waits in cmdline_take */
	CMDLINE_CANCELLED	/* Esc, Ctrl-C, Ctrl-G or Ctrl-D on an empty line */
};

/* Returns the candidates for word, the word before the cursor, which starts
 * at byte start of line (the whole line): malloc'd strings in a malloc'd
 * NULL-terminated array, or NULL; the command line frees them.  Candidates
 * that do not start with word are ignored.  Words are separated by blanks
 * only, so "key=val" is one word. */
typedef char **cmdline_complete_fn(void *ud, const char *line, const char *word, int start);

/* The form of an accepted line that the history keeps (in memory and in
 * its file): a malloc'd string, or NULL to keep nothing.  So a secret
 * typed on the line need never be written down. */
typedef char *cmdline_history_fn(void *ud, const char *line);

/* Sets readline up (once per process) and loads the history from
 * history_path, which may be NULL (no history kept across sessions).
 * complete may be NULL (Tab does nothing), history NULL (lines are kept
 * as typed).  The console calls this after setlocale(LC_ALL, "") so that
 * readline works in characters. */
void cmdline_init(const char *history_path, cmdline_complete_fn *complete,
    cmdline_history_fn *history, void *ud);
/* Cancels an open line and forgets the history and the completer. */
void cmdline_fini(void);

/* Starts editing an empty line after prompt. */
void cmdline_open(const char *prompt);
bool cmdline_is_open(void);
/* One key from wget_wch: is_keycode when it returned KEY_CODE_YES.  Esc
 * (27) cancels at once, so the console must pass Alt-x as Esc then x.
 * Only Enter as a key of its own (KEY_ENTER, '\n' or '\r') finishes the
 * line.  Returns CMDLINE_CANCELLED when the line is not open. */
enum cmdline_rc cmdline_key(int key, bool is_keycode);
/* Inserts text at the cursor as typed characters, without running any key
 * binding; control characters (newlines too) become spaces, so a paste the
 * console recognised (bracketed paste) never finishes the line. */
void cmdline_paste(const char *text);
/* After CMDLINE_DONE: the line, which the caller frees; NULL otherwise. */
char *cmdline_take(void);

/* Draws the prompt (in prompt_attr) and the line over row y of win, the
 * full width, scrolled sideways so that the cursor shows, and moves win's
 * cursor there.  Refresh win last so the terminal's cursor stays put. */
void cmdline_draw(WINDOW *win, int y, attr_t prompt_attr);
/* Whether the line changed since the last cmdline_draw. */
bool cmdline_dirty(void);
/* The candidates of the last ambiguous completion, NULL-terminated, or
 * NULL; owned by the command line and valid until the next key. */
const char *const *cmdline_matches(void);

#endif
