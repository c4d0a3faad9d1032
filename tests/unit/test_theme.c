/* test_theme.c - theme files, the theme search path, colour depth, and the
 * pairs and attributes a theme turns into on a few kinds of terminal. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "theme.h"
#include "xmalloc.h"

static const char *const shipped[] = { "default", "light", "high-contrast", "mono", NULL };

static char tmpdir[] = "/tmp/drover-theme-XXXXXX";

/* A curses screen on a named terminal type, writing to /dev/null. */
struct screen {
	SCREEN *sp;
	FILE *out, *in;
};

static const char *
top_srcdir(void)
{
	const char *top = getenv("TOP_SRCDIR");

	if (top == NULL || *top == '\0')
		top = getenv("srcdir");
	return top != NULL && *top != '\0' ? top : ".";
}

static char *
shipped_path(const char *name)
{
	return xasprintf("%s/themes/%s.yaml", top_srcdir(), name);
}

/* Writes text to tmpdir/rel, making the directories on the way. */
static char *
write_file(const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", tmpdir, rel);
	FILE *fp;

	for (char *s = strchr(path + strlen(tmpdir) + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(path, 0700);
		*s = '/';
	}
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void
screen_open(struct screen *s, const char *term)
{
	assert_non_null(s->out = fopen("/dev/null", "w"));
	assert_non_null(s->in = fopen("/dev/null", "r"));
	s->sp = newterm(term, s->out, s->in);
	if (s->sp == NULL)
		fail_msg("no terminfo entry for %s", term);
	set_term(s->sp);
}

static void
screen_close(struct screen *s)
{
	endwin();
	delscreen(s->sp);
	fclose(s->out);
	fclose(s->in);
}

/* Compiles a direct-colour terminal type (like ncurses-term's xterm-direct,
 * which may not be installed) into tmpdir/terminfo; false without tic. */
static bool
make_direct_term(void)
{
	char *src = write_file("direct.ti",
	    "drover-direct|xterm with direct colour,\n"
	    "\tcolors#0x1000000, pairs#0x10000, RGB,\n"
	    "\tsetaf=\\E[%?%p1%{8}%<%t3%p1%d%e38:2::%p1%{65536}%/%d:%p1%{256}%/%{255}%&%d:"
	    "%p1%{255}%&%d%;m,\n"
	    "\tsetab=\\E[%?%p1%{8}%<%t4%p1%d%e48:2::%p1%{65536}%/%d:%p1%{256}%/%{255}%&%d:"
	    "%p1%{255}%&%d%;m,\n"
	    "\tccc@, initc@, oc@, use=xterm-256color,\n");
	char *cmd = xasprintf("tic -x -o '%s/terminfo' '%s' >/dev/null 2>&1", tmpdir, src);
	char *dir = xasprintf("%s/terminfo", tmpdir);
	bool ok = system(cmd) == 0;

	if (ok)
		setenv("TERMINFO", dir, 1);
	free(src);
	free(cmd);
	free(dir);
	return ok;
}

static void
rm_tree(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);

	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
	free(cmd);
}

static int
setup(void **state)
{
	char *dir;

	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	dir = xasprintf("%s/themes", top_srcdir());
	theme_set_data_dir(dir);
	free(dir);
	unsetenv("NO_COLOR");
	unsetenv("COLORTERM");
	unsetenv("TERMINFO");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	theme_set_data_dir(NULL);
	rm_tree(tmpdir);
	return 0;
}

static void
test_shipped(void **state)
{
	(void)state;
	for (size_t i = 0; shipped[i] != NULL; i++) {
		char *path = shipped_path(shipped[i]);
		struct err e = { 0, 0, "" };
		struct theme *t = theme_load(path, &e);

		if (t == NULL)
			fail_msg("%s", e.msg);
		assert_string_equal(theme_name(t), shipped[i]);
		assert_true(strlen(theme_description(t)) > 0);
		theme_free(t);
		free(path);
	}
}

struct broken {
	const char *text;
	int line, col;
	const char *msg;
};

static void
test_broken(void **state)
{
	static const struct broken cases[] = {
		{ "name: x\nroles:\n  runing: {fg: [red, 1, \"#ff0000\"]}\n", 3, 3,
		    "unknown role \"runing\" (did you mean \"running\"?)" },
		{ "roles:\n  normal: {attrs: [bold]}\n", 2, 3,
		    "unknown role \"normal\" (expected running, succeeded, failed, waiting, skipped, "
		    "selected, border, header, dim or accent)" },
		{ "name: x\nroles:\n  failed: {fg: [grene, 1, \"#ff0000\"]}\n", 3, 17,
		    "unknown colour \"grene\" (did you mean \"green\"?)" },
		{ "roles:\n  dim:\n    fg: [white, 300, \"#ffffff\"]\n", 3, 17,
		    "256-colour index 300 is out of range 0..255" },
		{ "roles:\n  dim:\n    bg: [white, 7, \"#12345\"]\n", 3, 20,
		    "malformed colour \"#12345\" (expected \"#rrggbb\")" },
		{ "roles:\n  dim:\n    bg: [white, 7]\n", 3, 9,
		    "\"bg\" must list three colours, [8-colour name, 256-colour index, \"#rrggbb\"], "
		    "not 2" },
		{ "roles:\n  dim:\n    fg: white\n", 3, 9,
		    "\"fg\" must be a list of three colours, [8-colour name, 256-colour index, "
		    "\"#rrggbb\"], not a string" },
		{ "roles:\n  dim:\n    fg: [white, blue, \"#ffffff\"]\n", 3, 17,
		    "the second colour must be a 256-colour index (0 to 255) or \"default\", "
		    "not a string" },
		{ "roles:\n  header: {attrs: bold}\n", 2, 19,
		    "\"attrs\" must be a list such as [bold, underline], not a string" },
		{ "roles:\n  header: {attrs: [bold, blnk]}\n", 2, 26,
		    "unknown attribute \"blnk\" (expected bold, dim, underline, reverse or italic)" },
		{ "roles:\n  header: {attrs: [bolt]}\n", 2, 20,
		    "unknown attribute \"bolt\" (did you mean \"bold\"?)" },
		{ "roles:\n  header: {fg: [red, 1, \"#ff0000\"], colour: 3}\n", 2, 37,
		    "unknown key \"colour\" (expected fg, bg or attrs)" },
		{ "nmae: x\n", 1, 1, "unknown key \"nmae\" (did you mean \"name\"?)" },
		{ "name: [x]\n", 1, 7, "\"name\" must be some text, not a list" },
		{ "roles: [running]\n", 1, 8,
		    "\"roles\" must be a mapping of roles to their colours, not a list" },
		{ "roles:\n  dim: bold\n", 2, 8,
		    "role \"dim\" must be a mapping of fg, bg and attrs, not a string" },
		{ "name: a\nname: b\n", 2, 1, "duplicate key 'name' (first set at line 1)" },
		{ "- a\n- b\n", 1, 1,
		    "a theme is a mapping of name, description and roles, not a list" },
		{ "name: x\nroles: [unclosed\n", 3, 1,
		    "invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence "
		    "at line 2, column 8)" },
		{ "", 1, 1,
		    "the file is empty; a theme is a mapping of name, description and roles" },
		{ "# only a comment\n", 1, 1,
		    "the file is empty; a theme is a mapping of name, description and roles" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char rel[32], *path, *want;
		struct err e = { 0, 0, "" };
		struct theme *t;

		snprintf(rel, sizeof rel, "broken/case%zu.yaml", i);
		path = write_file(rel, cases[i].text);
		t = theme_load(path, &e);
		if (t != NULL)
			fail_msg("case %zu loaded", i);
		want = xasprintf("%s:%d:%d: %s", path, cases[i].line, cases[i].col, cases[i].msg);
		if (strcmp(e.msg, want) != 0)
			fail_msg("case %zu:\n got  %s\n want %s", i, e.msg, want);
		assert_int_equal(e.line, cases[i].line);
		assert_int_equal(e.col, cases[i].col);
		free(want);
		free(path);
	}
}

static void
test_missing_file(void **state)
{
	struct err e = { 0, 0, "" };
	char *path = xasprintf("%s/nowhere/x.yaml", tmpdir);
	char *want = xasprintf("%s: cannot open: No such file or directory", path);

	(void)state;
	assert_null(theme_load(path, &e));
	assert_string_equal(e.msg, want);
	free(want);
	free(path);
}

/* A theme may leave roles out, or say nothing at all. */
static void
test_partial(void **state)
{
	char *path = write_file("partial/only-name.yaml", "description: just one role\n"
	    "roles:\n  failed: {fg: [default, default, default], attrs: [underline]}\n");
	struct err e = { 0, 0, "" };
	struct theme *t = theme_load(path, &e);
	struct screen s;

	(void)state;
	if (t == NULL)
		fail_msg("%s", e.msg);
	assert_string_equal(theme_name(t), "only-name");
	assert_string_equal(theme_description(t), "just one role");
	screen_open(&s, "xterm-256color");
	start_color();
	theme_apply(t, DEPTH_256);
	for (int r = ROLE_NORMAL; r < ROLE_COUNT; r++)
		assert_int_equal(theme_attr(r) & A_COLOR, 0);
	assert_int_equal(theme_attr(ROLE_FAILED), A_UNDERLINE | A_BOLD);
	assert_int_equal(theme_attr(ROLE_SELECTED), A_REVERSE);
	assert_int_equal(theme_attr(ROLE_HEADER), A_REVERSE);
	assert_int_equal(theme_attr(ROLE_RUNNING), A_NORMAL);
	screen_close(&s);
	theme_free(t);
	free(path);
}

static void
test_search(void **state)
{
	char *cfg = xasprintf("%s/config", tmpdir);
	char *user = write_file("config/drover/themes/default.yaml",
	    "name: my default\nroles:\n  running: {attrs: [underline]}\n");
	char *mine = write_file("config/drover/themes/mine.yaml", "name: mine\n");
	char *bad = write_file("config/drover/themes/bad.yaml", "roles:\n  dim: {atrs: []}\n");
	char *hidden = write_file("config/drover/themes/.hidden.yaml", "name: hidden\n");
	const char *const want[] = { "bad", "default", "high-contrast", "light", "mine", "mono" };
	struct err e = { 0, 0, "" };
	struct theme *t;
	char **names, *msg;
	size_t n;

	(void)state;
	setenv("XDG_CONFIG_HOME", cfg, 1);

	t = theme_load("default", &e);
	if (t == NULL)
		fail_msg("%s", e.msg);
	assert_string_equal(theme_name(t), "my default");
	theme_free(t);

	t = theme_load("high-contrast", &e);
	if (t == NULL)
		fail_msg("%s", e.msg);
	assert_string_equal(theme_name(t), "high-contrast");
	theme_free(t);

	assert_null(theme_load("bad", &e));
	msg = xasprintf("%s:2:9: unknown key \"atrs\" (did you mean \"attrs\"?)", bad);
	assert_string_equal(e.msg, msg);
	free(msg);

	assert_null(theme_load("hight-contrast", &e));
	assert_string_equal(e.msg, "unknown theme \"hight-contrast\" (did you mean "
	    "\"high-contrast\"?); the themes are bad, default, high-contrast, light, mine and mono");
	assert_null(theme_load("solarized", &e));
	assert_string_equal(e.msg, "unknown theme \"solarized\"; the themes are bad, default, "
	    "high-contrast, light, mine and mono");
	assert_null(theme_load("", &e));
	assert_string_equal(e.msg, "no theme name given");

	names = theme_names();
	for (n = 0; names[n] != NULL; n++) {
		assert_true(n < sizeof want / sizeof want[0]);
		assert_string_equal(names[n], want[n]);
	}
	assert_int_equal(n, sizeof want / sizeof want[0]);
	theme_names_free(names);

	theme_set_data_dir(tmpdir);	/* no themes in there */
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
	names = theme_names();
	assert_null(names[0]);
	theme_names_free(names);
	assert_null(theme_load("default", &e));
	assert_non_null(strstr(e.msg, "unknown theme \"default\": there are no themes in "));
	msg = xasprintf("%s/themes", top_srcdir());
	theme_set_data_dir(msg);
	free(msg);

	unsetenv("XDG_CONFIG_HOME");
	free(cfg);
	free(user);
	free(mine);
	free(bad);
	free(hidden);
}

/* auto's answer on a terminal type, with NO_COLOR and COLORTERM as given
 * (NULL: unset). */
static enum color_depth
auto_depth(const char *term, const char *nocolor, const char *colorterm)
{
	enum color_depth d = (enum color_depth)-1, named = (enum color_depth)-1;
	struct err e = { 0, 0, "" };
	struct screen s;

	if (nocolor != NULL)
		setenv("NO_COLOR", nocolor, 1);
	if (colorterm != NULL)
		setenv("COLORTERM", colorterm, 1);
	screen_open(&s, term);
	assert_int_equal(theme_depth(NULL, &d, &e), 0);
	assert_int_equal(theme_depth("auto", &named, &e), 0);
	assert_int_equal(named, d);
	screen_close(&s);
	unsetenv("NO_COLOR");
	unsetenv("COLORTERM");
	return d;
}

static void
test_depth(void **state)
{
	static const struct {
		const char *opt;
		enum color_depth depth;
	} opts[] = {
		{ "none", DEPTH_NONE }, { "8", DEPTH_8 }, { "256", DEPTH_256 },
		{ "truecolor", DEPTH_TRUE },
	};
	enum color_depth d;
	struct err e = { 0, 0, "" };
	struct screen s;

	(void)state;
	screen_open(&s, "xterm-256color");
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		setenv("NO_COLOR", "1", 1);	/* an explicit --color wins */
		assert_int_equal(theme_depth(opts[i].opt, &d, &e), 0);
		assert_int_equal(d, opts[i].depth);
	}
	unsetenv("NO_COLOR");
	assert_int_equal(theme_depth("25", &d, &e), -1);
	assert_string_equal(e.msg, "unknown --color value \"25\" (did you mean \"256\"?)");
	assert_int_equal(theme_depth("always", &d, &e), -1);
	assert_string_equal(e.msg, "unknown --color value \"always\" (expected auto, none, 8, 256 "
	    "or truecolor)");
	screen_close(&s);

	assert_int_equal(auto_depth("xterm-256color", NULL, NULL), DEPTH_256);
	assert_int_equal(auto_depth("xterm-256color", "1", NULL), DEPTH_NONE);
	assert_int_equal(auto_depth("xterm-256color", "1", "truecolor"), DEPTH_NONE);
	assert_int_equal(auto_depth("xterm-256color", "", NULL), DEPTH_256);
	assert_int_equal(auto_depth("xterm-256color", "", "truecolor"), DEPTH_TRUE);
	assert_int_equal(auto_depth("xterm-256color", NULL, "24bit"), DEPTH_TRUE);
	assert_int_equal(auto_depth("xterm-256color", NULL, "yes"), DEPTH_256);
	assert_int_equal(auto_depth("xterm", NULL, NULL), DEPTH_8);
	assert_int_equal(auto_depth("vt100", NULL, NULL), DEPTH_NONE);
	assert_int_equal(auto_depth("dumb", NULL, NULL), DEPTH_NONE);
	if (make_direct_term()) {
		assert_int_equal(auto_depth("drover-direct", NULL, NULL), DEPTH_TRUE);
		unsetenv("TERMINFO");
	}
}

static struct theme *
load_shipped(const char *name)
{
	char *path = shipped_path(name);
	struct err e = { 0, 0, "" };
	struct theme *t = theme_load(path, &e);

	if (t == NULL)
		fail_msg("%s", e.msg);
	free(path);
	return t;
}

/* The colours of the pair in a, or -2, -2 when a has none. */
static void
pair_of(attr_t a, int *fg, int *bg)
{
	*fg = *bg = -2;
	if (PAIR_NUMBER(a) != 0)
		assert_int_equal(extended_pair_content(PAIR_NUMBER(a), fg, bg), OK);
}

static void
assert_fg(enum theme_role r, int want)
{
	int fg, bg;

	pair_of(theme_attr(r), &fg, &bg);
	assert_int_equal(fg, want);
}

static void
assert_bg(enum theme_role r, int want)
{
	int fg, bg;

	pair_of(theme_attr(r), &fg, &bg);
	assert_int_equal(bg, want);
}

static void
test_apply_256(void **state)
{
	struct theme *t = load_shipped("default");
	struct screen s;

	(void)state;
	screen_open(&s, "xterm-256color");
	start_color();
	theme_apply(t, DEPTH_256);
	for (int r = ROLE_RUNNING; r < ROLE_COUNT; r++) {
		assert_int_not_equal(PAIR_NUMBER(theme_attr(r)), 0);
		for (int q = ROLE_RUNNING; q < r; q++)
			assert_int_not_equal(PAIR_NUMBER(theme_attr(r)), PAIR_NUMBER(theme_attr(q)));
	}
	assert_int_equal(PAIR_NUMBER(theme_attr(ROLE_NORMAL)), 0);
	assert_int_equal(theme_attr(ROLE_RUNNING) & ~A_COLOR, A_BOLD);
	assert_int_equal(theme_attr(ROLE_SUCCEEDED) & ~A_COLOR, A_NORMAL);
	assert_fg(ROLE_RUNNING, 214);
	assert_bg(ROLE_RUNNING, -1);
	assert_fg(ROLE_SELECTED, 16);
	assert_bg(ROLE_SELECTED, 81);
	assert_fg(ROLE_HEADER, 255);
	assert_bg(ROLE_HEADER, 24);

	theme_apply(t, DEPTH_8);
	assert_fg(ROLE_RUNNING, COLOR_YELLOW);
	assert_fg(ROLE_SELECTED, COLOR_BLACK);
	assert_bg(ROLE_SELECTED, COLOR_CYAN);

	theme_free(t);
	t = load_shipped("mono");
	theme_apply(t, DEPTH_256);
	for (int r = ROLE_NORMAL; r < ROLE_COUNT; r++)
		assert_int_equal(theme_attr(r) & A_COLOR, 0);
	assert_int_equal(theme_attr(ROLE_WAITING), A_BOLD | A_REVERSE);
	assert_int_equal(theme_attr(ROLE_FAILED), A_BOLD | A_UNDERLINE);
	screen_close(&s);
	theme_free(t);
}

static void
test_apply_none(void **state)
{
	struct theme *t = load_shipped("default");
	struct theme *plain;
	char *path = write_file("none/plain.yaml", "name: plain\n");
	struct err e = { 0, 0, "" };
	struct screen s;

	(void)state;
	screen_open(&s, "xterm-256color");
	theme_apply(t, DEPTH_NONE);
	for (int r = ROLE_NORMAL; r < ROLE_COUNT; r++)
		assert_int_equal(theme_attr(r) & A_COLOR, 0);
	assert_int_equal(theme_attr(ROLE_SELECTED), A_REVERSE);
	assert_int_equal(theme_attr(ROLE_HEADER), A_REVERSE | A_BOLD);
	assert_int_equal(theme_attr(ROLE_FAILED), A_BOLD);
	assert_int_equal(theme_attr(ROLE_DIM), A_DIM);
	assert_int_equal(theme_attr(ROLE_SUCCEEDED), A_NORMAL);

	plain = theme_load(path, &e);
	if (plain == NULL)
		fail_msg("%s", e.msg);
	theme_apply(plain, DEPTH_NONE);
	for (int r = ROLE_NORMAL; r < ROLE_COUNT; r++) {
		attr_t want = r == ROLE_SELECTED || r == ROLE_HEADER ? A_REVERSE :
		    r == ROLE_FAILED ? A_BOLD : A_NORMAL;

		assert_int_equal(theme_attr(r), want);
	}
	assert_int_equal(theme_attr(ROLE_COUNT), A_NORMAL);
	screen_close(&s);
	theme_free(plain);
	theme_free(t);
	free(path);
}

/* Asking for more colours than the terminal has steps down. */
static void
test_apply_fallback(void **state)
{
	struct theme *t = load_shipped("default");
	struct screen s;

	(void)state;
	screen_open(&s, "xterm");
	start_color();
	theme_apply(t, DEPTH_TRUE);
	assert_fg(ROLE_RUNNING, COLOR_YELLOW);
	theme_apply(t, DEPTH_256);
	assert_fg(ROLE_RUNNING, COLOR_YELLOW);
	assert_bg(ROLE_HEADER, COLOR_BLUE);
	screen_close(&s);

	screen_open(&s, "vt100");
	start_color();
	theme_apply(t, DEPTH_256);
	for (int r = ROLE_NORMAL; r < ROLE_COUNT; r++)
		assert_int_equal(theme_attr(r) & A_COLOR, 0);
	assert_int_equal(theme_attr(ROLE_SELECTED), A_REVERSE);
	screen_close(&s);
	theme_free(t);
}

static int
channel(int v)
{
	return (v * 1000 + 127) / 255;
}

static void
assert_palette(int slot, int rgb)
{
	int r, g, b;

	assert_int_equal(extended_color_content(slot, &r, &g, &b), OK);
	assert_int_equal(r, channel(rgb >> 16 & 0xff));
	assert_int_equal(g, channel(rgb >> 8 & 0xff));
	assert_int_equal(b, channel(rgb & 0xff));
}

/* xterm's own colour for a grey-ramp entry (232 to 255). */
static int
xterm_grey(int slot)
{
	return (8 + 10 * (slot - 232)) * 0x010101;
}

/* Truecolor without direct colour: palette entries take the RGB colours,
 * and get xterm's back when they are no longer needed. */
static void
test_apply_palette(void **state)
{
	struct theme *t = load_shipped("default"), *hc = load_shipped("high-contrast");
	struct screen s;
	int fg, bg, accent, header_bg;

	(void)state;
	screen_open(&s, "xterm-256color");
	start_color();
	assert_true(can_change_color());
	theme_apply(t, DEPTH_TRUE);
	for (int r = ROLE_RUNNING; r < ROLE_COUNT; r++)
		assert_int_not_equal(PAIR_NUMBER(theme_attr(r)), 0);
	pair_of(theme_attr(ROLE_RUNNING), &fg, &bg);
	assert_int_equal(bg, -1);
	assert_palette(fg, 0xffaf00);
	pair_of(theme_attr(ROLE_SELECTED), &fg, &bg);
	assert_palette(fg, 0x000000);
	assert_palette(bg, 0x5fd7ff);
	pair_of(theme_attr(ROLE_ACCENT), &accent, &fg);
	assert_int_equal(accent, bg);	/* one entry per distinct colour */
	pair_of(theme_attr(ROLE_HEADER), &fg, &header_bg);
	assert_palette(header_bg, 0x005f87);
	assert_true(header_bg >= 232 && header_bg < 256);

	/* high-contrast needs fewer entries: the rest get xterm's back. */
	theme_apply(hc, DEPTH_TRUE);
	assert_fg(ROLE_RUNNING, 255);
	assert_palette(255, 0xffff00);
	assert_palette(header_bg, xterm_grey(header_bg));
	theme_apply(t, DEPTH_256);
	assert_fg(ROLE_RUNNING, 214);
	assert_palette(255, 0xeeeeee);
	screen_close(&s);
	theme_free(hc);
	theme_free(t);
}

static void
test_apply_direct(void **state)
{
	struct theme *t;
	struct screen s;

	(void)state;
	if (!make_direct_term())
		skip();
	t = load_shipped("default");
	screen_open(&s, "drover-direct");
	start_color();
	assert_true(COLORS >= 0x1000000);
	theme_apply(t, DEPTH_TRUE);
	assert_fg(ROLE_RUNNING, 0xffaf00);
	assert_fg(ROLE_SELECTED, 0x010101);	/* 0 would be ANSI black */
	assert_bg(ROLE_SELECTED, 0x5fd7ff);
	assert_bg(ROLE_HEADER, 0x005f87);
	theme_apply(t, DEPTH_256);	/* indexes become xterm's RGB */
	assert_fg(ROLE_RUNNING, 0xffaf00);
	assert_fg(ROLE_SKIPPED, 0x808080);
	assert_fg(ROLE_HEADER, 0xeeeeee);
	theme_apply(t, DEPTH_8);
	assert_fg(ROLE_RUNNING, COLOR_YELLOW);
	screen_close(&s);
	unsetenv("TERMINFO");
	theme_free(t);
}

/* A palette entry's RGB as curses has it, or -1 for none. */
static int
palette_of(int c)
{
	int r, g, b;

	if (c < 0 || c >= COLORS || COLORS > 256)
		return -1;
	assert_int_equal(extended_color_content(c, &r, &g, &b), OK);
	return (r * 1001 + g) * 1001 + b;
}

/* Records what every role looks like after theme_apply: its attributes,
 * its pair's colours and what the palette holds for them. */
static void
snapshot(int out[ROLE_COUNT][5])
{
	for (int r = 0; r < ROLE_COUNT; r++) {
		out[r][0] = (int)(theme_attr(r) & ~A_COLOR);
		pair_of(theme_attr(r), &out[r][1], &out[r][2]);
		out[r][3] = palette_of(out[r][1]);
		out[r][4] = palette_of(out[r][2]);
	}
}

/* The compiled-in theme is themes/default.yaml. */
static void
test_builtin(void **state)
{
	static const enum color_depth depths[] = { DEPTH_NONE, DEPTH_8, DEPTH_256, DEPTH_TRUE };
	struct theme *file = load_shipped("default"), *builtin = theme_builtin();
	int want[ROLE_COUNT][5], got[ROLE_COUNT][5];
	bool direct = make_direct_term();
	struct screen s;

	(void)state;
	assert_string_equal(theme_name(builtin), "default");
	assert_string_equal(theme_description(builtin), theme_description(file));
	for (int term = 0; term < (direct ? 2 : 1); term++) {
		screen_open(&s, term == 0 ? "xterm-256color" : "drover-direct");
		start_color();
		for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
			theme_apply(file, depths[i]);
			snapshot(want);
			theme_apply(builtin, depths[i]);
			snapshot(got);
			assert_memory_equal(got, want, sizeof got);
		}
		screen_close(&s);
	}
	unsetenv("TERMINFO");
	theme_free(builtin);
	theme_free(file);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_apply_256),
		cmocka_unit_test(test_apply_none),
		cmocka_unit_test(test_apply_fallback),
		cmocka_unit_test(test_apply_palette),
		cmocka_unit_test(test_apply_direct),
		cmocka_unit_test(test_builtin),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
