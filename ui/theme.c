/* theme.c - theme files, the search path for them, and turning a theme
 * into colour pairs for the depth the terminal can show.
 *
 * Pair n is role n's (pairs 1 to ROLE_COUNT - 1); a role without colour at
 * the chosen depth uses pair 0 and attributes only.
 */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "paths.h"
#include "strbuf.h"
#include "suggest.h"
#include "theme.h"
#include "xmalloc.h"
#include "ydoc.h"

#define THEME_MAX_SIZE (1u << 20)
#define THEME_DEFAULT (-1)		/* the terminal's own colour */
#define THEME_DIRECT_COLORS 0x1000000	/* COLORS of a direct-colour terminal */
#define THEME_PALETTE_MAX (2 * ROLE_COUNT)

/* One colour in the three forms a theme gives; THEME_DEFAULT in each form
 * when the theme leaves it to the terminal. */
struct theme_colour {
	int c8;		/* COLOR_BLACK to COLOR_WHITE */
	int c256;	/* 0 to 255 */
	int rgb;	/* 0xrrggbb */
};

struct theme_style {
	struct theme_colour fg, bg;
	attr_t attrs;
};

struct theme {
	char *name, *description;
	struct theme_style roles[ROLE_COUNT];
};

/* How theme_apply gets colours onto this terminal. */
enum theme_form {
	FORM_NONE,	/* attributes only */
	FORM_8,		/* the 8-colour names */
	FORM_256,	/* the 256-colour indexes */
	FORM_256_RGB,	/* the indexes as xterm's RGB, on a direct-colour terminal */
	FORM_DIRECT,	/* "#rrggbb" as the colour number itself */
	FORM_PALETTE	/* "#rrggbb" loaded into redefined palette entries */
};

/* While a file is read: where, and the first problem ydoc reported. */
struct theme_parse {
	const char *path;
	struct err *e;
	int pline, pcol;
	char pmsg[256];
};

static const char *const role_names[] = {
	"running", "succeeded", "failed", "waiting", "skipped", "selected", "border",
	"header", "dim", "accent", NULL
};
static const char *const colour_names[] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white", "default", NULL
};
static const short colour_values[] = {
	COLOR_BLACK, COLOR_RED, COLOR_GREEN, COLOR_YELLOW, COLOR_BLUE, COLOR_MAGENTA,
	COLOR_CYAN, COLOR_WHITE, THEME_DEFAULT
};
static const char *const attr_names[] = {
	"bold", "dim", "underline", "reverse", "italic", NULL
};
static const attr_t attr_values[] = { A_BOLD, A_DIM, A_UNDERLINE, A_REVERSE, A_ITALIC };
static const char *const top_keys[] = { "name", "description", "roles", NULL };
static const char *const style_keys[] = { "fg", "bg", "attrs", NULL };
static const char *const depth_names[] = { "auto", "none", "8", "256", "truecolor", NULL };

#define NO_COLOUR { THEME_DEFAULT, THEME_DEFAULT, THEME_DEFAULT }

/* themes/default.yaml, for when no theme file can be found; the tests check
 * that the two agree. */
static const struct theme_style builtin_roles[ROLE_COUNT] = {
	[ROLE_NORMAL] = { NO_COLOUR, NO_COLOUR, 0 },
	[ROLE_RUNNING] = { { COLOR_YELLOW, 214, 0xffaf00 }, NO_COLOUR, A_BOLD },
	[ROLE_SUCCEEDED] = { { COLOR_GREEN, 78, 0x5fd787 }, NO_COLOUR, 0 },
	[ROLE_FAILED] = { { COLOR_RED, 203, 0xff5f5f }, NO_COLOUR, A_BOLD },
	[ROLE_WAITING] = { { COLOR_MAGENTA, 177, 0xd787ff }, NO_COLOUR, A_BOLD },
	[ROLE_SKIPPED] = { { COLOR_BLUE, 244, 0x808080 }, NO_COLOUR, 0 },
	[ROLE_SELECTED] = { { COLOR_BLACK, 16, 0x000000 }, { COLOR_CYAN, 81, 0x5fd7ff }, 0 },
	[ROLE_BORDER] = { { COLOR_BLUE, 60, 0x5f5f87 }, NO_COLOUR, 0 },
	[ROLE_HEADER] = { { COLOR_WHITE, 255, 0xeeeeee }, { COLOR_BLUE, 24, 0x005f87 }, A_BOLD },
	[ROLE_DIM] = { { COLOR_WHITE, 245, 0x8a8a8a }, NO_COLOUR, A_DIM },
	[ROLE_ACCENT] = { { COLOR_CYAN, 81, 0x5fd7ff }, NO_COLOUR, 0 },
};

/*
 * What theme_apply installed.  Curses is only ever driven from the
 * console's one thread, so plain statics will do.  Until the first
 * theme_apply the roles look as they do without colour.
 */
static attr_t applied[ROLE_COUNT] = {
	[ROLE_FAILED] = A_BOLD, [ROLE_SELECTED] = A_REVERSE, [ROLE_HEADER] = A_REVERSE,
};
/* The palette entries FORM_PALETTE redefined: the k-th colour the theme
 * uses lives in entry COLORS - 1 - k. */
static struct {
	int slot, rgb;
} palette[THEME_PALETTE_MAX];
static int npalette;
/* theme_set_data_dir's override, or NULL. */
static char *data_dir;

/* Fails at n's position with "PATH:LINE:COL: message". */
static int __attribute__((format(printf, 3, 4)))
theme_fail(struct theme_parse *p, const struct ynode *n, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_set_at(p->e, n->line, n->col, "%s:%d:%d: %s", p->path, n->line, n->col, msg);
}

/* "a, b, c or d" (last is " or " or " and "), for messages. */
static void
theme_join(struct strbuf *sb, const char *const *words, const char *last)
{
	for (size_t i = 0; words[i] != NULL; i++) {
		if (i > 0)
			sb_adds(sb, words[i + 1] == NULL ? last : ", ");
		sb_adds(sb, words[i]);
	}
}

/* The index of word in a NULL-terminated list, or -1. */
static int
theme_find(const char *word, const char *const *words)
{
	for (int i = 0; words[i] != NULL; i++)
		if (strcmp(word, words[i]) == 0)
			return i;
	return -1;
}

/* Fails on a word that is not one of words: a "did you mean" when one is
 * close, else the whole list. */
static int
theme_fail_word(struct theme_parse *p, const struct ynode *n, const char *what,
    const char *const *words)
{
	const char *hint = suggest_from(n->str, words);
	struct strbuf sb = STRBUF_INIT;

	if (hint != NULL)
		return theme_fail(p, n, "unknown %s \"%s\" (did you mean \"%s\"?)", what, n->str, hint);
	theme_join(&sb, words, " or ");
	theme_fail(p, n, "unknown %s \"%s\" (expected %s)", what, n->str, sb_str(&sb));
	sb_fini(&sb);
	return -1;
}

/* Checks every key of map against keys. */
static int
theme_check_keys(struct theme_parse *p, const struct ynode *map, const char *const *keys)
{
	for (size_t i = 0; i < map->n; i++) {
		if (theme_find(map->pairs[i].key->str, keys) < 0)
			return theme_fail_word(p, map->pairs[i].key, "key", keys);
	}
	return 0;
}

static bool
theme_is_null(const struct ynode *n)
{
	return n == NULL || (n->kind == YNODE_SCALAR && n->type == YS_NULL);
}

static bool
theme_is_word(const struct ynode *n, const char *word)
{
	return ynode_is_str(n) && strcmp(n->str, word) == 0;
}

static int
theme_parse_c8(struct theme_parse *p, const struct ynode *n, int *out)
{
	int i;

	if (!ynode_is_str(n))
		return theme_fail(p, n, "the first colour must be an 8-colour name such as "
		    "\"green\" or \"default\", not %s", ynode_describe(n));
	if ((i = theme_find(n->str, colour_names)) < 0)
		return theme_fail_word(p, n, "colour", colour_names);
	*out = colour_values[i];
	return 0;
}

static int
theme_parse_c256(struct theme_parse *p, const struct ynode *n, int *out)
{
	if (theme_is_word(n, "default")) {
		*out = THEME_DEFAULT;
		return 0;
	}
	if (n->kind != YNODE_SCALAR || n->type != YS_INT)
		return theme_fail(p, n, "the second colour must be a 256-colour index (0 to 255) "
		    "or \"default\", not %s", ynode_describe(n));
	if (n->i < 0 || n->i > 255)
		return theme_fail(p, n, "256-colour index %lld is out of range 0..255", n->i);
	*out = (int)n->i;
	return 0;
}

static int
theme_parse_rgb(struct theme_parse *p, const struct ynode *n, int *out)
{
	if (theme_is_word(n, "default")) {
		*out = THEME_DEFAULT;
		return 0;
	}
	if (!ynode_is_str(n))
		return theme_fail(p, n, "the third colour must be \"#rrggbb\" (quoted: # starts a "
		    "comment in YAML) or \"default\", not %s", ynode_describe(n));
	if (n->len != 7 || n->str[0] != '#' || strspn(n->str + 1, "0123456789abcdefABCDEF") != 6)
		return theme_fail(p, n, "malformed colour \"%s\" (expected \"#rrggbb\")", n->str);
	*out = (int)strtol(n->str + 1, NULL, 16);
	return 0;
}

/* fg or bg: [8-colour name, 256-colour index, "#rrggbb"]. */
static int
theme_parse_colour(struct theme_parse *p, const char *key, const struct ynode *n,
    struct theme_colour *c)
{
	if (theme_is_null(n))
		return 0;
	if (n->kind != YNODE_SEQ)
		return theme_fail(p, n, "\"%s\" must be a list of three colours, [8-colour name, "
		    "256-colour index, \"#rrggbb\"], not %s", key, ynode_describe(n));
	if (n->n != 3)
		return theme_fail(p, n, "\"%s\" must list three colours, [8-colour name, "
		    "256-colour index, \"#rrggbb\"], not %zu", key, (size_t)n->n);
	if (theme_parse_c8(p, n->items[0], &c->c8) < 0 ||
	    theme_parse_c256(p, n->items[1], &c->c256) < 0 ||
	    theme_parse_rgb(p, n->items[2], &c->rgb) < 0)
		return -1;
	return 0;
}

static int
theme_parse_attrs(struct theme_parse *p, const struct ynode *n, attr_t *attrs)
{
	if (theme_is_null(n))
		return 0;
	if (n->kind != YNODE_SEQ)
		return theme_fail(p, n, "\"attrs\" must be a list such as [bold, underline], not %s",
		    ynode_describe(n));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *a = n->items[i];
		int k;

		if (!ynode_is_str(a))
			return theme_fail(p, a, "an attribute is one of bold, dim, underline, "
			    "reverse or italic, not %s", ynode_describe(a));
		if ((k = theme_find(a->str, attr_names)) < 0)
			return theme_fail_word(p, a, "attribute", attr_names);
		*attrs |= attr_values[k];
	}
	return 0;
}

static int
theme_parse_style(struct theme_parse *p, const struct ynode *key, const struct ynode *n,
    struct theme_style *s)
{
	if (theme_is_null(n))
		return 0;
	if (n->kind != YNODE_MAP)
		return theme_fail(p, n, "role \"%s\" must be a mapping of fg, bg and attrs, not %s",
		    key->str, ynode_describe(n));
	if (theme_check_keys(p, n, style_keys) < 0 ||
	    theme_parse_colour(p, "fg", ynode_get(n, "fg"), &s->fg) < 0 ||
	    theme_parse_colour(p, "bg", ynode_get(n, "bg"), &s->bg) < 0 ||
	    theme_parse_attrs(p, ynode_get(n, "attrs"), &s->attrs) < 0)
		return -1;
	return 0;
}

/* A text field: NULL when absent, -1 when it is something else. */
static int
theme_parse_text(struct theme_parse *p, const struct ynode *root, const char *key, char **out)
{
	const struct ynode *n = ynode_get(root, key);

	if (theme_is_null(n))
		return 0;
	if (!ynode_is_str(n) || n->len == 0)
		return theme_fail(p, n, "\"%s\" must be some text, not %s", key,
		    ynode_is_str(n) ? "an empty string" : ynode_describe(n));
	*out = xstrdup(n->str);
	return 0;
}

static int
theme_parse_root(struct theme_parse *p, const struct ynode *root, struct theme *t)
{
	const struct ynode *roles;

	if (root->kind != YNODE_MAP)
		return theme_fail(p, root, "a theme is a mapping of name, description and roles, "
		    "not %s", ynode_describe(root));
	if (theme_check_keys(p, root, top_keys) < 0 ||
	    theme_parse_text(p, root, "name", &t->name) < 0 ||
	    theme_parse_text(p, root, "description", &t->description) < 0)
		return -1;
	roles = ynode_get(root, "roles");
	if (theme_is_null(roles))
		return 0;
	if (roles->kind != YNODE_MAP)
		return theme_fail(p, roles, "\"roles\" must be a mapping of roles to their colours, "
		    "not %s", ynode_describe(roles));
	for (size_t i = 0; i < roles->n; i++) {
		const struct ynode *k = roles->pairs[i].key;
		int r = theme_find(k->str, role_names);

		if (r < 0)
			return theme_fail_word(p, k, "role", role_names);
		if (theme_parse_style(p, k, roles->pairs[i].val, &t->roles[ROLE_RUNNING + r]) < 0)
			return -1;
	}
	return 0;
}

/* Keeps the first (in file order) of ydoc's problems. */
static void
theme_on_problem(void *ud, int line, int col, const char *msg)
{
	struct theme_parse *p = ud;

	if (p->pline != 0 && (p->pline < line || (p->pline == line && p->pcol < col)))
		return;
	p->pline = line;
	p->pcol = col;
	snprintf(p->pmsg, sizeof p->pmsg, "%s", msg);
}

static struct theme *
theme_new(void)
{
	struct theme *t = xcalloc(1, sizeof *t);

	for (int r = 0; r < ROLE_COUNT; r++)
		t->roles[r] = (struct theme_style){ NO_COLOUR, NO_COLOUR, 0 };
	return t;
}

/* The file name without its directory and ".yaml". */
static char *
theme_stem(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base != NULL ? base + 1 : path;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
		len -= 5;
	return xstrndup(base, len);
}

/* Reads and checks one theme file. */
static struct theme *
theme_read(const char *path, struct err *e)
{
	struct theme_parse p = { path, e, 0, 0, "" };
	struct theme *t;
	struct ydoc *doc;
	size_t len;
	char *text;

	if ((text = fs_read_file(path, THEME_MAX_SIZE, &len, e)) == NULL) {
		err_prefix(e, "%s: ", path);
		return NULL;
	}
	doc = ydoc_parse(text, len, theme_on_problem, &p, e);
	free(text);
	if (doc == NULL) {
		if (e->line > 0)
			err_prefix(e, "%s:%d:%d: ", path, e->line, e->col);
		else
			err_prefix(e, "%s: ", path);
		return NULL;
	}
	if (p.pline != 0) {
		err_set_at(e, p.pline, p.pcol, "%s:%d:%d: %s", path, p.pline, p.pcol, p.pmsg);
		ydoc_free(doc);
		return NULL;
	}
	if (ydoc_root(doc) == NULL) {
		err_set_at(e, 1, 1, "%s:1:1: the file is empty; a theme is a mapping of name, "
		    "description and roles", path);
		ydoc_free(doc);
		return NULL;
	}
	t = theme_new();
	if (theme_parse_root(&p, ydoc_root(doc), t) < 0) {
		ydoc_free(doc);
		theme_free(t);
		return NULL;
	}
	ydoc_free(doc);
	if (t->name == NULL)
		t->name = theme_stem(path);
	if (t->description == NULL)
		t->description = xstrdup("");
	return t;
}

/* The directories searched for themes, first match winning; free with
 * paths_free. */
static char **
theme_dirs(void)
{
	char **dirs = xcalloc(4, sizeof *dirs);
	char *cfg = paths_config_home();
	char exe[PATH_MAX], *slash;
	ssize_t n;
	size_t k = 0;

	dirs[k++] = xasprintf("%s/drover/themes", cfg);
	free(cfg);
	dirs[k++] = xstrdup(data_dir != NULL ? data_dir : DROVER_DATADIR "/themes");
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			dirs[k++] = xasprintf("%s/themes", exe);
		}
	}
	return dirs;
}

static int
theme_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
theme_names(void)
{
	char **dirs = theme_dirs(), **names = NULL;
	size_t n = 0, cap = 0, kept = 0;

	for (char **d = dirs; *d != NULL; d++) {
		DIR *dir = opendir(*d);
		struct dirent *de;

		if (dir == NULL)
			continue;
		while ((de = readdir(dir)) != NULL) {
			size_t len = strlen(de->d_name);
			struct stat st;
			char *path;
			bool file;

			if (de->d_name[0] == '.' || len <= 5 ||
			    strcmp(de->d_name + len - 5, ".yaml") != 0)
				continue;
			path = xasprintf("%s/%s", *d, de->d_name);
			file = stat(path, &st) == 0 && S_ISREG(st.st_mode);
			free(path);
			if (!file)
				continue;
			xgrow(&names, &cap, n + 2, sizeof *names);
			names[n++] = xstrndup(de->d_name, len - 5);
		}
		closedir(dir);
	}
	paths_free(dirs);
	xgrow(&names, &cap, n + 1, sizeof *names);
	qsort(names, n, sizeof *names, theme_cmp);
	for (size_t i = 0; i < n; i++) {
		if (kept > 0 && strcmp(names[kept - 1], names[i]) == 0)
			free(names[i]);
		else
			names[kept++] = names[i];
	}
	names[kept] = NULL;
	return names;
}

void
theme_names_free(char **names)
{
	paths_free(names);
}

void
theme_set_data_dir(const char *dir)
{
	free(data_dir);
	data_dir = dir != NULL ? xstrdup(dir) : NULL;
}

/* The "not found" message: a close name, and the names there are. */
static void
theme_not_found(const char *name, struct err *e)
{
	char **names = theme_names(), **dirs;
	struct strbuf sb = STRBUF_INIT;
	const char *hint;

	if (names[0] == NULL) {
		dirs = theme_dirs();
		theme_join(&sb, (const char *const *)dirs, " or ");
		err_set(e, "unknown theme \"%s\": there are no themes in %s", name, sb_str(&sb));
		paths_free(dirs);
	} else {
		hint = suggest_from(name, (const char *const *)names);
		theme_join(&sb, (const char *const *)names, " and ");
		if (hint != NULL)
			err_set(e, "unknown theme \"%s\" (did you mean \"%s\"?); the themes are %s",
			    name, hint, sb_str(&sb));
		else
			err_set(e, "unknown theme \"%s\"; the themes are %s", name, sb_str(&sb));
	}
	sb_fini(&sb);
	theme_names_free(names);
}

struct theme *
theme_load(const char *name, struct err *e)
{
	struct theme *t = NULL;
	size_t len;
	char **dirs;

	if (name == NULL || *name == '\0') {
		err_set(e, "no theme name given");
		return NULL;
	}
	len = strlen(name);
	if (strchr(name, '/') != NULL || (len > 5 && strcmp(name + len - 5, ".yaml") == 0))
		return theme_read(name, e);
	dirs = theme_dirs();
	for (char **d = dirs; *d != NULL; d++) {
		char *path = xasprintf("%s/%s.yaml", *d, name);
		bool found = access(path, F_OK) == 0;

		if (found)
			t = theme_read(path, e);
		free(path);
		if (found) {
			paths_free(dirs);
			return t;
		}
	}
	paths_free(dirs);
	theme_not_found(name, e);
	return NULL;
}

struct theme *
theme_builtin(void)
{
	struct theme *t = xcalloc(1, sizeof *t);

	t->name = xstrdup("default");
	t->description = xstrdup("The default theme, for dark terminals");
	memcpy(t->roles, builtin_roles, sizeof t->roles);
	return t;
}

void
theme_free(struct theme *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->description);
	free(t);
}

const char *
theme_name(const struct theme *t)
{
	return t->name;
}

const char *
theme_description(const struct theme *t)
{
	return t->description;
}

static bool
theme_colorterm_direct(void)
{
	const char *ct = getenv("COLORTERM");

	return ct != NULL && (strcmp(ct, "truecolor") == 0 || strcmp(ct, "24bit") == 0);
}

/* The number of colours terminfo promises for the current terminal;
 * COLORS is only set once start_color has run. */
static int
theme_term_colors(void)
{
	int n = tigetnum("colors");

	if (n >= 0)
		return n;
	return COLORS > 0 ? COLORS : 0;
}

int
theme_depth(const char *opt, enum color_depth *depth, struct err *e)
{
	const char *nocolor = getenv("NO_COLOR");
	const char *hint;
	int colors;

	if (opt != NULL && strcmp(opt, "auto") != 0) {
		switch (theme_find(opt, depth_names)) {
		case 1:
			*depth = DEPTH_NONE;
			return 0;
		case 2:
			*depth = DEPTH_8;
			return 0;
		case 3:
			*depth = DEPTH_256;
			return 0;
		case 4:
			*depth = DEPTH_TRUE;
			return 0;
		}
		if ((hint = suggest_from(opt, depth_names)) != NULL)
			return err_set(e, "unknown --color value \"%s\" (did you mean \"%s\"?)", opt,
			    hint);
		return err_set(e, "unknown --color value \"%s\" (expected auto, none, 8, 256 or "
		    "truecolor)", opt);
	}
	colors = theme_term_colors();
	if (nocolor != NULL && *nocolor != '\0')
		*depth = DEPTH_NONE;
	else if (theme_colorterm_direct())
		*depth = DEPTH_TRUE;
	else if (!has_colors() || colors < 8)
		*depth = DEPTH_NONE;
	else if (colors >= THEME_DIRECT_COLORS)
		*depth = DEPTH_TRUE;
	else if (colors >= 256)
		*depth = DEPTH_256;
	else
		*depth = DEPTH_8;
	return 0;
}

/* What the terminal can do of depth, stepping down like tmux's
 * tty_check_fg: truecolor, then 256, then 8, then attributes. */
static enum theme_form
theme_form(enum color_depth depth)
{
	if (depth == DEPTH_NONE || !has_colors() || COLORS < 8 || COLOR_PAIRS < ROLE_COUNT)
		return FORM_NONE;
	if (depth == DEPTH_TRUE) {
		if (COLORS >= THEME_DIRECT_COLORS)
			return FORM_DIRECT;
		if (can_change_color() && COLORS >= 256)
			return FORM_PALETTE;
		depth = DEPTH_256;
	}
	if (depth == DEPTH_256 && COLORS >= 256)
		return COLORS >= THEME_DIRECT_COLORS ? FORM_256_RGB : FORM_256;
	return FORM_8;
}

/* Entry i of xterm's 256-colour palette as 0xrrggbb. */
static int
theme_xterm_rgb(int i)
{
	static const int ansi[16] = {
		0x000000, 0x800000, 0x008000, 0x808000, 0x000080, 0x800080, 0x008080, 0xc0c0c0,
		0x808080, 0xff0000, 0x00ff00, 0xffff00, 0x0000ff, 0xff00ff, 0x00ffff, 0xffffff
	};
	static const int level[6] = { 0x00, 0x5f, 0x87, 0xaf, 0xd7, 0xff };
	int g;

	if (i < 16)
		return ansi[i];
	if (i >= 232) {
		g = 8 + 10 * (i - 232);
		return g << 16 | g << 8 | g;
	}
	i -= 16;
	return level[i / 36] << 16 | level[i / 6 % 6] << 8 | level[i % 6];
}

/* rgb as a direct-colour number: terminfo's setaf for these terminals
 * sends 0 to 7 as the ANSI colours, so near-black stands in for them. */
static int
theme_direct(int rgb)
{
	return rgb < 8 ? 0x010101 : rgb;
}

/* Sets palette entry slot to rgb; 0 to 1000 per channel for curses. */
static void
theme_palette_set(int slot, int rgb)
{
	if (slot >= COLORS || !can_change_color())
		return;
	init_extended_color(slot, ((rgb >> 16 & 0xff) * 1000 + 127) / 255,
	    ((rgb >> 8 & 0xff) * 1000 + 127) / 255, ((rgb & 0xff) * 1000 + 127) / 255);
}

/* Gives entries from keep on back the colours xterm starts with. */
static void
theme_palette_restore(int keep)
{
	for (int k = keep; k < npalette; k++) {
		if (palette[k].slot < 256)
			theme_palette_set(palette[k].slot, theme_xterm_rgb(palette[k].slot));
	}
	if (keep < npalette)
		npalette = keep;
}

/* The palette entry holding rgb, redefining a new one if needed. */
static int
theme_palette_slot(int rgb, int *used)
{
	int k;

	for (k = 0; k < *used; k++)
		if (palette[k].rgb == rgb)
			return palette[k].slot;
	palette[k].slot = COLORS - 1 - k;
	palette[k].rgb = rgb;
	theme_palette_set(palette[k].slot, rgb);
	(*used)++;
	if (*used > npalette)
		npalette = *used;
	return palette[k].slot;
}

/* The colour number for c in form, or THEME_DEFAULT. */
static int
theme_colour_for(const struct theme_colour *c, enum theme_form form, int *used)
{
	switch (form) {
	case FORM_NONE:
		break;
	case FORM_8:
		return c->c8;
	case FORM_256:
		return c->c256;
	case FORM_256_RGB:
		if (c->c256 == THEME_DEFAULT || c->c256 < 8)
			return c->c256;
		return theme_direct(theme_xterm_rgb(c->c256));
	case FORM_DIRECT:
		return c->rgb == THEME_DEFAULT ? THEME_DEFAULT : theme_direct(c->rgb);
	case FORM_PALETTE:
		return c->rgb == THEME_DEFAULT ? THEME_DEFAULT : theme_palette_slot(c->rgb, used);
	}
	return THEME_DEFAULT;
}

/* Attributes for a role drawn without colour: the theme's, and enough for
 * the roles that must stand out to do so. */
static attr_t
theme_plain(enum theme_role r, const struct theme_style *s)
{
	attr_t a = s->attrs;

	if (s->bg.c8 != THEME_DEFAULT || s->bg.c256 != THEME_DEFAULT ||
	    s->bg.rgb != THEME_DEFAULT)
		a |= A_REVERSE;
	if (r == ROLE_SELECTED)
		a |= A_REVERSE;
	if (r == ROLE_HEADER && (a & (A_REVERSE | A_BOLD)) == 0)
		a |= A_REVERSE;
	if (r == ROLE_FAILED)
		a |= A_BOLD;
	return a;
}

void
theme_apply(const struct theme *t, enum color_depth depth)
{
	enum theme_form form = theme_form(depth);
	bool defaults = false;
	int used = 0;

	/* Without colour nothing shows the palette: forget what was redefined
	 * (endwin's orig_colors resets the terminal's). */
	if (form == FORM_NONE)
		npalette = 0;
	else
		defaults = use_default_colors() == OK;
	for (int r = ROLE_NORMAL + 1; r < ROLE_COUNT; r++) {
		const struct theme_style *s = &t->roles[r];
		int fg = theme_colour_for(&s->fg, form, &used);
		int bg = theme_colour_for(&s->bg, form, &used);

		if (fg == THEME_DEFAULT && bg == THEME_DEFAULT) {
			applied[r] = theme_plain(r, s);
			continue;
		}
		if (!defaults && fg == THEME_DEFAULT)
			fg = COLOR_WHITE;
		if (!defaults && bg == THEME_DEFAULT)
			bg = COLOR_BLACK;
		if (init_extended_pair(r, fg, bg) == ERR) {
			applied[r] = theme_plain(r, s);
			continue;
		}
		applied[r] = s->attrs | COLOR_PAIR(r);
	}
	if (form != FORM_NONE)
		theme_palette_restore(used);
	applied[ROLE_NORMAL] = t->roles[ROLE_NORMAL].attrs;
}

attr_t
theme_attr(enum theme_role r)
{
	if ((int)r < 0 || r >= ROLE_COUNT)
		return A_NORMAL;
	return applied[r];
}
