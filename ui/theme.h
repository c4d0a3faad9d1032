/* theme.h - the console's colours: theme files, colour depth, and the
 * curses attributes each role is drawn with.
 *
 * A theme (a YAML file in themes/) gives each role its colours in three
 * forms, [an 8-colour name, a 256-colour index, "#rrggbb"], plus
 * attributes.  The console picks a colour depth once (theme_depth),
 * installs a theme for it (theme_apply) and then draws with
 * theme_attr(role).  When the terminal cannot show a form the next smaller
 * one is used, down to attributes alone, the way tmux's tty_check_fg does.
 */
#ifndef DROVER_THEME_H
#define DROVER_THEME_H

#include <curses.h>

#include "err.h"

enum theme_role {
	ROLE_NORMAL,
	ROLE_RUNNING,
	ROLE_SUCCEEDED,
	ROLE_FAILED,
	ROLE_WAITING,
	ROLE_SKIPPED,
	ROLE_SELECTED,
	ROLE_BORDER,
	ROLE_HEADER,
	ROLE_DIM,
	ROLE_ACCENT,
	ROLE_COUNT
};

enum color_depth { DEPTH_NONE, DEPTH_8, DEPTH_256, DEPTH_TRUE };

struct theme;

/* Loads a theme by name, searched in $XDG_CONFIG_HOME/drover/themes, then
 * DROVER_DATADIR/themes, then a "themes" directory next to the running
 * executable; or by path when name contains a '/' or ends in ".yaml".
 * NULL with e set when it is not found (the message lists the names that
 * exist) or is not a valid theme ("FILE:LINE:COL: ..."). */
struct theme *theme_load(const char *name, struct err *e);
/* A compiled-in copy of the default theme, for when no file can be found.
 * Free with theme_free like any other. */
struct theme *theme_builtin(void);
void theme_free(struct theme *t);
/* The theme's "name" (its file name without .yaml when it gives none). */
const char *theme_name(const struct theme *t);
/* Its "description", or "" when it gives none. */
const char *theme_description(const struct theme *t);

/* Names of every theme on the search path, sorted, without duplicates,
 * NULL-terminated; free with theme_names_free. */
char **theme_names(void);
void theme_names_free(char **names);
/* Replaces DROVER_DATADIR/themes on the search path with dir (NULL puts it
 * back): for tests, and for running from a build tree kept apart from the
 * sources. */
void theme_set_data_dir(const char *dir);

/* How many colours to use.  opt is --color's value ("auto", "none", "8",
 * "256", "truecolor") or NULL for auto.  auto: NONE when NO_COLOR is set and
 * not empty; TRUE when COLORTERM is truecolor or 24bit; else what the
 * terminal says (direct colour: TRUE, 256 or more: 256, 8 or more: 8,
 * else NONE).  Call after initscr or newterm.  -1 with e set for a bad opt. */
int theme_depth(const char *opt, enum color_depth *depth, struct err *e);
/* Installs t's colours for depth and makes theme_attr answer for it.  Call
 * after start_color, except for DEPTH_NONE, which touches no colour
 * function (call it without start_color then).  May be called again to
 * switch theme or depth while the console runs. */
void theme_apply(const struct theme *t, enum color_depth depth);
/* The attributes (colour pair and A_BOLD...) to draw role r with.  A role
 * that ends up without colour still stands out where it must: SELECTED is
 * at least reverse, HEADER reverse or bold, FAILED bold, and a background
 * the terminal cannot show becomes reverse video. */
attr_t theme_attr(enum theme_role r);

#endif
