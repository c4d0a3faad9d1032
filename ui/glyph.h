/* glyph.h - what the console draws for statuses and lines, and how it
 * puts arbitrary text on the screen.
 *
 * Two sets: Unicode (box drawing, check marks) when the locale is UTF-8
 * and --ascii was not given, else plain ASCII, so `LANG=C` puts nothing
 * but ASCII on the terminal.  Text from outside (step ids, log lines) goes
 * through glyph_text, which never lets a control character, a bidi
 * control or invalid UTF-8 reach the terminal (termtext.h decides).
 */
#ifndef DROVER_GLYPH_H
#define DROVER_GLYPH_H

#include <stdbool.h>
#include <stddef.h>

#include <curses.h>

#include "event.h"

/* Chooses the set: Unicode unless ascii or the locale is not UTF-8.
 * Call after setlocale. */
void glyph_init(bool ascii);
bool glyph_unicode(void);

const char *glyph_status(enum step_status s);
const char *glyph_run_status(enum run_status s);
/* The line drawing for a cell of the DAG canvas (DAG_N|DAG_S|...). */
const char *glyph_line(unsigned mask);
/* The same as a curses cell in attribute a, for drawing a row at once. */
void glyph_line_cell(unsigned mask, attr_t a, cchar_t *out);
/* A horizontal rule piece, a vertical one, and the arrow head. */
const char *glyph_hline(void);
const char *glyph_vline(void);
const char *glyph_arrow(void);
const char *glyph_ellipsis(void);
/* What marks a step on the critical path (the dashboard). */
const char *glyph_critical(void);

/* Draws at most maxw columns of s (len bytes) at the cursor of win, with
 * tabs expanded to stops of 8, what is not safe on a terminal as its
 * visible stand-in ("^[", "<U+202E>", "\x9b"), and a character the screen
 * cannot draw (non-ASCII in the ASCII set) as '?'; returns the columns
 * used. */
int glyph_text(WINDOW *win, const char *s, size_t len, int maxw);
/* Columns that s would take (the same rules, no tabs). */
int glyph_width(const char *s, size_t len);

#endif
