/* term.c - the console's terminal under curses: starting it without
 * exiting on an unknown terminal, bracketed paste, and suspending.
 *
 * Bracketed paste (mode 2004) makes the terminal mark pasted text with
 * ESC [ 200 ~ ... ESC [ 201 ~; both marks are keys of their own here, so
 * the console can take a paste as text, never as keys.  The mode is on
 * while curses has the terminal and off around it (exit, suspend).
 *
 * Ctrl-Z (a key, since the console reads raw) and SIGTSTP suspend like
 * other curses programs: the terminal is handed back, the process stops,
 * and on SIGCONT the screen is drawn again.  SIGTERM, SIGHUP and SIGINT
 * end the console as q does, giving the terminal back first; the runs it
 * shows go on in their own processes.  The handler only writes the
 * signal's number to a pipe the console's loop polls.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui.h"

#define PASTE_BEGIN "\033[200~"
#define PASTE_END "\033[201~"

static int sig_pipe[2] = { -1, -1 };
static struct sigaction old_tstp, old_cont;
/* The signals that end the console, and what they did before it. */
static const int ends[] = { SIGTERM, SIGHUP, SIGINT };
#define N_ENDS (sizeof ends / sizeof ends[0])
static struct sigaction old_end[N_ENDS];
static int key_paste_begin, key_paste_end;

static void
term_on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	(void)!write(sig_pipe[1], &c, 1);
	errno = saved;
}

static void
term_paste_mode(bool on)
{
	const char *seq = on ? "\033[?2004h" : "\033[?2004l";

	(void)!write(STDOUT_FILENO, seq, strlen(seq));
}

/* The key code for seq: the one curses has, or a free one defined now. */
static int
term_key_code(const char *seq)
{
	int code = key_defined(seq);

	if (code > 0)
		return code;
	for (code = KEY_MAX + 1; keyname(code) != NULL; code++)
		continue;
	define_key(seq, code);
	return code;
}

/* Home and End as terminals send them whatever TERM says: tmux and
 * screen send ESC [ 1 ~ and ESC [ 4 ~ under TERM=xterm-256color, whose
 * entry says ESC O H and ESC O F.  A sequence curses does not know would
 * reach the console as Esc (back) and three more keys. */
static void
term_home_end(void)
{
	static const char *const home[] = { "\033[1~", "\033[7~", "\033[H", "\033OH" };
	static const char *const end[] = { "\033[4~", "\033[8~", "\033[F", "\033OF" };

	for (size_t k = 0; k < 4; k++) {
		if (key_defined(home[k]) <= 0)
			define_key(home[k], KEY_HOME);
		if (key_defined(end[k]) <= 0)
			define_key(end[k], KEY_END);
	}
}

static void
term_handle(int sig, void (*fn)(int), struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, old);
}

int
term_start(struct ui *ui)
{
	/* Saved before newterm puts a handler of its own there: after the
	 * console, line mode stops on Ctrl-Z as a plain program does. */
	sigaction(SIGTSTP, NULL, &old_tstp);
	sigaction(SIGCONT, NULL, &old_cont);
	for (size_t k = 0; k < N_ENDS; k++)
		sigaction(ends[k], NULL, &old_end[k]);
	set_escdelay(25);
	if ((ui->screen = newterm(NULL, stdout, stdin)) == NULL) {
		fprintf(stderr, "drover: the console cannot use this terminal (TERM=%s)\n",
		    getenv("TERM") != NULL ? getenv("TERM") : "");
		return -1;
	}
	raw();		/* Ctrl-C is a key here: leaving never stops a run */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	term_home_end();
	nodelay(stdscr, TRUE);
	curs_set(0);
	key_paste_begin = term_key_code(PASTE_BEGIN);
	key_paste_end = term_key_code(PASTE_END);
	term_paste_mode(true);
	if (sig_pipe[0] < 0 && pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return 0;	/* no suspending then; the console still works */
	term_handle(SIGTSTP, term_on_signal, NULL);
	term_handle(SIGCONT, term_on_signal, NULL);
	for (size_t k = 0; k < N_ENDS; k++)
		term_handle(ends[k], term_on_signal, NULL);
	return 0;
}

void
term_stop(struct ui *ui)
{
	sigaction(SIGTSTP, &old_tstp, NULL);
	sigaction(SIGCONT, &old_cont, NULL);
	for (size_t k = 0; k < N_ENDS; k++)
		sigaction(ends[k], &old_end[k], NULL);
	endwin();
	term_paste_mode(false);
	delscreen(ui->screen);
	ui->screen = NULL;
}

int
term_signal_fd(void)
{
	return sig_pipe[0];
}

/* Back from a stop: the terminal may have been used meanwhile. */
static void
term_resumed(struct ui *ui)
{
	reset_prog_mode();
	term_paste_mode(true);
	clearok(curscr, TRUE);
	ui->dirty = true;
}

void
term_suspend(struct ui *ui)
{
	unsigned char drop[16];

	endwin();
	term_paste_mode(false);
	term_handle(SIGTSTP, SIG_DFL, NULL);
	/* Stops the whole process here; without job control (an orphaned
	 * process group) the kernel drops the signal and the console goes on. */
	kill(getpid(), SIGTSTP);
	term_handle(SIGTSTP, term_on_signal, NULL);
	while (read(sig_pipe[0], drop, sizeof drop) > 0)
		continue;	/* the SIGCONT that woke us */
	term_resumed(ui);
}

void
term_signals(struct ui *ui)
{
	unsigned char sig[16];
	ssize_t n;
	bool stop = false, cont = false;

	while ((n = read(sig_pipe[0], sig, sizeof sig)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			stop |= sig[i] == SIGTSTP;
			cont |= sig[i] == SIGCONT;
			for (size_t k = 0; k < N_ENDS; k++)
				ui->quit |= sig[i] == ends[k];
		}
	}
	if (ui->quit)
		return;
	if (stop)
		term_suspend(ui);
	else if (cont)
		term_resumed(ui);
}

int
term_get_key(wint_t *wch)
{
	int rc = wget_wch(stdscr, wch);

	if (rc == KEY_CODE_YES && ((int)*wch == key_paste_begin || (int)*wch == key_paste_end))
		return (int)*wch == key_paste_begin ? TERM_PASTE_BEGIN : TERM_PASTE_END;
	return rc;
}
