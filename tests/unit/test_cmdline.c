/* test_cmdline.c - the `:` command line: editing keys, cancel, UTF-8,
 * history across sessions, completion and drawing, on a curses screen
 * that writes to /dev/null. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <ftw.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>
#include <cmocka.h>
#include <term.h>

#include "cmdline.h"
#include "test_screen.h"

static SCREEN *screen;
static FILE *screen_out, *screen_in;
static TERMINAL *screen_term;
static off_t init_noise = -1;	/* bytes readline's set-up wrote */
static char tmpdir[64];
static char histpath[128];

/* What the completer was asked, and what it answers from. */
static const char *const *cands;
static char last_line[256], last_word[256];
static int last_start;

static char **
complete(void *ud, const char *line, const char *word, int start)
{
	char **v;
	size_t n = 0;

	snprintf(last_line, sizeof last_line, "%s", line);
	snprintf(last_word, sizeof last_word, "%s", word);
	last_start = start;
	if (cands == NULL)
		return NULL;
	while (cands[n] != NULL)
		n++;
	v = calloc(n + 1, sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = strdup(cands[i]);
	return v;
}

/* Types s as the console would: one key per character. */
static void
type(const char *s)
{
	mbstate_t st;
	wchar_t wc;
	size_t n = strlen(s), r;

	memset(&st, 0, sizeof st);
	while (n > 0) {
		r = mbrtowc(&wc, s, n, &st);
		assert_true(r > 0 && r <= n);
		assert_int_equal(cmdline_key((int)wc, false), CMDLINE_EDITING);
		s += r;
		n -= r;
	}
}

static void
key(int k)
{
	assert_int_equal(cmdline_key(k, true), CMDLINE_EDITING);
}

static void
ctrl(char c)
{
	assert_int_equal(cmdline_key(c & 0x1f, false), CMDLINE_EDITING);
}

/* Points stdout and stderr at one temporary file; returns its fd. */
static int
quiet_begin(int *so, int *se)
{
	char path[] = "/tmp/test_cmdline_out.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	fflush(stdout);
	fflush(stderr);
	*so = dup(1);
	*se = dup(2);
	dup2(fd, 1);
	dup2(fd, 2);
	return fd;
}

/* Puts stdout and stderr back; returns how much was written meanwhile. */
static off_t
quiet_end(int fd, int so, int se)
{
	struct stat sb;

	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	if (fstat(fd, &sb) != 0)
		sb.st_size = -1;
	close(fd);
	return sb.st_size;
}

/* Presses Enter and checks the line. */
static void
enter_expect(const char *want)
{
	char *line;

	assert_int_equal(cmdline_key('\r', false), CMDLINE_DONE);
	assert_false(cmdline_is_open());
	line = cmdline_take();
	assert_non_null(line);
	assert_string_equal(line, want);
	free(line);
	assert_null(cmdline_take());
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
group_setup(void **state)
{
	int fd, so, se;

	setenv("INPUTRC", "/dev/null", 1);	/* no user key bindings */
	setenv("LC_ALL", "C.UTF-8", 1);
	setenv("TERM", "xterm-256color", 1);
	if (setlocale(LC_ALL, "") == NULL)
		return -1;
	if ((screen = test_screen(&screen_out, &screen_in)) == NULL)
		return -1;
	keypad(stdscr, TRUE);
	screen_term = cur_term;
	/* readline's one-time set-up happens here, watched. */
	fd = quiet_begin(&so, &se);
	if (fd < 0)
		return -1;
	cmdline_init(NULL, NULL, NULL, NULL);
	cmdline_fini();
	init_noise = quiet_end(fd, so, se);
	return 0;
}

static int
group_teardown(void **state)
{
	endwin();
	delscreen(screen);
	fclose(screen_out);
	fclose(screen_in);
	return 0;
}

static int
setup(void **state)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_cmdline.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(histpath, sizeof histpath, "%s/state/drover/history", tmpdir);
	cands = NULL;
	cmdline_init(histpath, complete, NULL, NULL);
	return 0;
}

static int
teardown(void **state)
{
	cmdline_fini();
	return nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void
test_type_enter(void **state)
{
	assert_false(cmdline_is_open());
	cmdline_open(":");
	assert_true(cmdline_is_open());
	type("run x");
	enter_expect("run x");
	assert_int_equal(cmdline_key('a', false), CMDLINE_CANCELLED);	/* closed */

	cmdline_open(":");
	assert_int_equal(cmdline_key(KEY_ENTER, true), CMDLINE_DONE);
	free(cmdline_take());
	cmdline_open(":");
	type("y");
	assert_int_equal(cmdline_key('\n', false), CMDLINE_DONE);
	free(cmdline_take());
}

static void
test_editing_keys(void **state)
{
	cmdline_open(":");
	type("abc");
	key(KEY_LEFT);
	key(KEY_BACKSPACE);
	type("X");
	enter_expect("aXc");

	cmdline_open(":");
	type("abc");
	key(KEY_HOME);
	key(KEY_DC);
	key(KEY_RIGHT);
	type("Y");
	key(KEY_END);
	type("!");
	enter_expect("bYc!");

	/* Backspace also arrives as DEL or ^H when the terminal sends those. */
	cmdline_open(":");
	type("abcd");
	assert_int_equal(cmdline_key(127, false), CMDLINE_EDITING);
	assert_int_equal(cmdline_key(8, false), CMDLINE_EDITING);
	key(KEY_RESIZE);	/* ignored */
	enter_expect("ab");
}

static void
test_emacs_keys(void **state)
{
	int k;

	cmdline_open(":");
	type("hello world");
	ctrl('A');
	type("X");
	ctrl('E');
	type("Y");
	enter_expect("Xhello worldY");

	cmdline_open(":");
	type("run deploy now");
	ctrl('W');
	enter_expect("run deploy ");

	cmdline_open(":");
	type("junk");
	ctrl('U');
	type("ok");
	enter_expect("ok");

	/* Ctrl-Left, when the terminal has it, moves by words. */
	k = key_defined("\033[1;5D");
	if (k > 0) {
		cmdline_open(":");
		type("foo bar");
		key(k);
		type("X");
		enter_expect("foo Xbar");
	}
}

static void
test_cancel(void **state)
{
	cmdline_open(":");
	type("abc");
	assert_int_equal(cmdline_key(27, false), CMDLINE_CANCELLED);
	assert_false(cmdline_is_open());
	assert_null(cmdline_take());

	cmdline_open(":");	/* starts empty */
	type("d");
	enter_expect("d");

	cmdline_open(":");
	type("abc");
	assert_int_equal(cmdline_key(3, false), CMDLINE_CANCELLED);
	cmdline_open(":");
	type("abc");
	assert_int_equal(cmdline_key(7, false), CMDLINE_CANCELLED);

	/* A half-typed Ctrl-X sequence does not leak into the next line. */
	cmdline_open(":");
	type("abc");
	ctrl('X');
	assert_int_equal(cmdline_key(27, false), CMDLINE_CANCELLED);
	cmdline_open(":");
	type("e");
	enter_expect("e");

	/* Enter after Ctrl-X still finishes the line. */
	cmdline_open(":");
	type("f");
	ctrl('X');
	enter_expect("f");

	/* Ctrl-D on an empty line cancels, on a full one deletes. */
	cmdline_open(":");
	assert_int_equal(cmdline_key(4, false), CMDLINE_CANCELLED);
	cmdline_open(":");
	type("gh");
	ctrl('A');
	ctrl('D');
	enter_expect("h");

	/* Opening again while open starts over. */
	cmdline_open(":");
	type("lost");
	cmdline_open(":");
	type("kept");
	enter_expect("kept");
}

static void
test_utf8(void **state)
{
	WINDOW *win = newwin(1, 40, 0, 0);

	cmdline_open(":");
	type("é日本x");
	key(KEY_LEFT);
	key(KEY_BACKSPACE);
	cmdline_draw(win, 0, A_BOLD);
	assert_int_equal(getcurx(win), 1 + 1 + 2);	/* ':', 'é', '日' */
	enter_expect("é日x");

	cmdline_open(":");
	type("日本");
	key(KEY_HOME);
	key(KEY_DC);
	type("é");
	enter_expect("é本");

	/* U+0157 has the value of KEY_ENTER, but is no key code. */
	cmdline_open(":");
	assert_int_equal(cmdline_key(KEY_ENTER, false), CMDLINE_EDITING);
	enter_expect("\u0157");
	delwin(win);
}

static void
test_history(void **state)
{
	struct stat sb;
	char dir[160];

	cmdline_open(":");
	type("one");
	enter_expect("one");
	cmdline_open(":");
	type("two");
	enter_expect("two");
	cmdline_open(":");
	type("two");
	enter_expect("two");	/* not stored twice */
	cmdline_open(":");
	enter_expect("");	/* not stored */

	cmdline_open(":");
	key(KEY_UP);
	key(KEY_UP);
	enter_expect("one");

	/* Entries edited, left, then cancelled stay as they were. */
	cmdline_open(":");
	key(KEY_UP);
	type("X");
	key(KEY_UP);
	type("Y");
	key(KEY_DOWN);
	assert_int_equal(cmdline_key(27, false), CMDLINE_CANCELLED);
	cmdline_open(":");
	key(KEY_UP);
	enter_expect("one");

	/* So do entries edited, left, and another line accepted. */
	cmdline_open(":");
	key(KEY_UP);
	type("X");
	key(KEY_UP);
	enter_expect("two");
	cmdline_open(":");
	key(KEY_UP);
	key(KEY_UP);
	enter_expect("one");
	cmdline_open(":");
	type("last words");
	enter_expect("last words");

	snprintf(dir, sizeof dir, "%s/state/drover", tmpdir);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(histpath, &sb), 0);

	/* A new session reads what the last one saved. */
	cmdline_fini();
	cmdline_init(histpath, complete, NULL, NULL);
	cmdline_open(":");
	key(KEY_UP);
	enter_expect("last words");
	cmdline_open(":");
	key(KEY_UP);
	key(KEY_UP);
	key(KEY_UP);
	enter_expect("two");

	/* Without a file the history lives only as long as the session. */
	cmdline_fini();
	cmdline_init(NULL, NULL, NULL, NULL);
	cmdline_open(":");
	key(KEY_UP);
	enter_expect("");
}

/* Draws the line into row 1 of win; returns the cursor's column and puts
 * the row in buf, at most n bytes (up to the window's edge). */
static int
draw(WINDOW *win, char *buf, int n)
{
	int x;

	cmdline_draw(win, 1, A_BOLD);
	assert_int_equal(getcury(win), 1);
	x = getcurx(win);
	assert_true(mvwinnstr(win, 1, 0, buf, n) > 0);
	return x;
}

/* Lines in path, and its last line in last. */
static int
count_lines(const char *path, char *last, size_t size)
{
	char buf[256];
	FILE *f = fopen(path, "r");
	int n = 0;

	assert_non_null(f);
	while (fgets(buf, sizeof buf, f) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(last, size, "%s", buf);
		n++;
	}
	fclose(f);
	return n;
}

static void
test_history_file(void **state)
{
	char last[256];
	FILE *f;

	/* A long file from an earlier session: the newest lines are kept. */
	cmdline_fini();
	snprintf(histpath, sizeof histpath, "%s/history", tmpdir);
	f = fopen(histpath, "w");
	assert_non_null(f);
	for (int i = 0; i < 1200; i++)
		fprintf(f, "cmd %d\n", i);
	fclose(f);
	cmdline_init(histpath, complete, NULL, NULL);
	cmdline_open(":");
	key(KEY_UP);
	enter_expect("cmd 1199");
	cmdline_open(":");
	type("fresh");
	enter_expect("fresh");
	assert_int_equal(count_lines(histpath, last, sizeof last), 1000);
	assert_string_equal(last, "fresh");

	/* Failing to save costs the history only. */
	cmdline_fini();
	cmdline_init("/proc/self/no/such/history", complete, NULL, NULL);
	cmdline_open(":");
	type("kept anyway");
	enter_expect("kept anyway");
	cmdline_open(":");
	key(KEY_UP);
	enter_expect("kept anyway");
}

/* The console decides what the history keeps: here, "pw=" values masked
 * and lines with "forget" not at all. */
static char *
history_form(void *ud, const char *line)
{
	const char *pw = strstr(line, "pw=");
	char *kept;

	assert_ptr_equal(ud, histpath);
	if (strstr(line, "forget") != NULL)
		return NULL;
	if (pw == NULL)
		return strdup(line);
	kept = malloc(strlen(line) + 4);
	sprintf(kept, "%.*spw=***", (int)(pw - line), line);
	return kept;
}

static void
test_history_form(void **state)
{
	char last[256];

	cmdline_fini();
	cmdline_init(histpath, complete, history_form, histpath);
	cmdline_open(":");
	type("run x.yaml pw=hunter2");
	enter_expect("run x.yaml pw=hunter2");	/* the line runs as typed */
	cmdline_open(":");
	type("forget me");
	enter_expect("forget me");
	assert_int_equal(count_lines(histpath, last, sizeof last), 1);
	assert_string_equal(last, "run x.yaml pw=***");
	/* In memory too: Up recalls the kept form. */
	cmdline_open(":");
	key(KEY_UP);
	enter_expect("run x.yaml pw=***");
	cmdline_open(":");
	key(KEY_UP);
	key(KEY_UP);
	enter_expect("run x.yaml pw=***");
}

static void
test_search(void **state)
{
	WINDOW *win = newwin(2, 40, 0, 0);
	char buf[64];

	cmdline_open(":");
	type("deploy prod");
	enter_expect("deploy prod");
	cmdline_open(":");
	type("status");
	enter_expect("status");

	/* The search shows readline's prompt; leaving it, ours again. */
	cmdline_open(":");
	ctrl('R');
	type("dep");
	draw(win, buf, 40);
	assert_string_equal(buf, "(reverse-i-search)`dep': deploy prod    ");
	enter_expect("deploy prod");

	/* Ctrl-G leaves the search only, with the line as it was. */
	cmdline_open(":");
	type("x");
	ctrl('R');
	type("dep");
	ctrl('G');
	assert_true(cmdline_is_open());
	type("y");
	enter_expect("xy");

	/* Esc leaves the search with the line it found, the cursor on the
	 * match. */
	cmdline_open(":");
	ctrl('R');
	type("dep");
	assert_int_equal(cmdline_key(27, false), CMDLINE_EDITING);
	ctrl('E');
	type("!");
	draw(win, buf, 16);
	assert_string_equal(buf, ":deploy prod!   ");
	enter_expect("deploy prod!");
	delwin(win);
}

static void
test_complete(void **state)
{
	static const char *const words[] = {
		"deploy-prod", "deploy-staging", "debug", "run", "dir/", NULL,
	};
	const char *const *m;

	cands = words;
	cmdline_open(":");
	type("run deb");
	assert_int_equal(cmdline_key('\t', false), CMDLINE_EDITING);
	assert_string_equal(last_line, "run deb");
	assert_string_equal(last_word, "deb");
	assert_int_equal(last_start, 4);
	assert_null(cmdline_matches());
	enter_expect("run debug ");

	cmdline_open(":");
	type("run dep");
	assert_int_equal(cmdline_key('\t', false), CMDLINE_EDITING);
	m = cmdline_matches();
	assert_non_null(m);
	assert_string_equal(m[0], "deploy-prod");
	assert_string_equal(m[1], "deploy-staging");
	assert_null(m[2]);
	type("s");
	assert_null(cmdline_matches());	/* gone with the next key */
	assert_int_equal(cmdline_key('\t', false), CMDLINE_EDITING);
	enter_expect("run deploy-staging ");

	cmdline_open(":");
	type("d");
	assert_int_equal(cmdline_key('\t', false), CMDLINE_EDITING);
	m = cmdline_matches();
	assert_non_null(m);
	assert_string_equal(m[0], "debug");
	assert_string_equal(m[1], "deploy-prod");
	assert_string_equal(m[2], "deploy-staging");
	assert_string_equal(m[3], "dir/");
	assert_null(m[4]);
	type("i");
	assert_int_equal(cmdline_key('\t', false), CMDLINE_EDITING);
	enter_expect("dir/");	/* no space after a directory */

	cands = NULL;
	cmdline_open(":");
	type("zz");
	assert_int_equal(cmdline_key('\t', false), CMDLINE_EDITING);
	assert_null(cmdline_matches());
	enter_expect("zz");
}

static void
test_draw(void **state)
{
	WINDOW *win = newwin(2, 20, 0, 0);
	char buf[64];

	cmdline_open(":");
	assert_true(cmdline_dirty());
	assert_int_equal(draw(win, buf, 20), 1);
	assert_false(cmdline_dirty());
	type("0123456789abcdefghijklmnopqrstuvwxyz");
	assert_true(cmdline_dirty());
	assert_int_equal(draw(win, buf, 20), 19);
	assert_string_equal(buf, ":ijklmnopqrstuvwxyz ");

	key(KEY_HOME);
	assert_int_equal(draw(win, buf, 20), 1);
	assert_string_equal(buf, ":0123456789abcdefghi");

	/* Deleting at the end pulls hidden text back in. */
	key(KEY_END);
	draw(win, buf, 20);
	for (int i = 0; i < 30; i++)
		key(KEY_BACKSPACE);
	assert_int_equal(draw(win, buf, 8), 7);
	assert_string_equal(buf, ":012345 ");

	/* Control characters show as ^X. */
	ctrl('V');
	ctrl('A');
	assert_int_equal(draw(win, buf, 9), 9);
	assert_string_equal(buf, ":012345^A");
	assert_int_equal(cmdline_key(27, false), CMDLINE_CANCELLED);
	assert_int_equal(draw(win, buf, 3), 0);
	assert_string_equal(buf, "   ");

	/* Wide characters scroll whole; one cut by the left edge is blank. */
	cmdline_open(":");
	for (int i = 0; i < 15; i++)
		type("日");
	assert_int_equal(draw(win, buf, 63), 19);
	assert_string_equal(buf, ":日日日日日日日日日 ");
	type("x");
	assert_int_equal(draw(win, buf, 63), 19);
	assert_string_equal(buf, ": 日日日日日日日日x ");
	delwin(win);
}

static void
test_paste(void **state)
{
	WINDOW *win = newwin(2, 40, 0, 0);
	char buf[64];

	cmdline_open(":");
	type("a");
	cmdline_paste("b\nc\r\n");
	assert_true(cmdline_is_open());
	enter_expect("ab c  ");

	/* Pasted escapes are text; bidi controls, C1 and stray bytes are
	 * drawn as their stand-ins, never sent as they are. */
	cmdline_open(":");
	cmdline_paste("x\033cy\xe2\x80\xae" "z\xc2\x9b\xff");
	assert_int_equal(draw(win, buf, 26), 26);
	assert_string_equal(buf, ":x cy<U+202E>z<U+009B>\\xff");
	enter_expect("x cy\xe2\x80\xae" "z\xc2\x9b\xff");
	delwin(win);
}

/* readline must leave the terminal to curses: no bytes on stdout or
 * stderr, and curses' terminal still the current one. */
static void
test_quiet(void **state)
{
	static const char *const words[] = { "alpha", "alpine", NULL };
	int fd, so, se;
	off_t noise;

	fd = quiet_begin(&so, &se);
	assert_true(fd >= 0);
	cands = words;
	cmdline_open(":");
	cmdline_key(KEY_LEFT, true);	/* rings the bell */
	cmdline_key('a', false);
	cmdline_key('\t', false);	/* ambiguous: would list */
	cmdline_key('\t', false);
	cmdline_key('x' & 0x1f, false);
	cmdline_key('z' & 0x1f, false);	/* unbound sequence */
	cmdline_key('l' & 0x1f, false);	/* clear-screen */
	cmdline_key('r' & 0x1f, false);
	cmdline_key('q', false);	/* failing search */
	cmdline_key(7, false);
	cmdline_key('\r', false);
	free(cmdline_take());
	cmdline_open(":");
	cmdline_key('q', false);
	cmdline_key(27, false);

	noise = quiet_end(fd, so, se);
	assert_int_equal(noise, 0);
	assert_int_equal(init_noise, 0);
	assert_ptr_equal(cur_term, screen_term);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_type_enter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_editing_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emacs_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_form, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_draw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paste, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
