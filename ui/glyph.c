/* glyph.c - the Unicode and ASCII glyph sets and safe text drawing. */
#include "config.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "dag_layout.h"
#include "glyph.h"
#include "termtext.h"

static bool unicode;

static const char *const status_u[] = {
	[ST_PENDING] = "\u25cb", [ST_WAITING] = "\u25c6", [ST_RUNNING] = "\u25b6",
	[ST_RETRYING] = "\u21bb", [ST_SUCCEEDED] = "\u2713", [ST_FAILED] = "\u2717",
	[ST_TIMED_OUT] = "\u2298", [ST_SKIPPED] = "\u21b7", [ST_UPSTREAM_FAILED] = "\u2296",
	[ST_CANCELLED] = "\u2297",
};
/* None of these is a line, arrow or ellipsis glyph (+ - | > ~). */
static const char *const status_a[] = {
	[ST_PENDING] = ".", [ST_WAITING] = "?", [ST_RUNNING] = "*", [ST_RETRYING] = "@",
	[ST_SUCCEEDED] = "v", [ST_FAILED] = "x", [ST_TIMED_OUT] = "T", [ST_SKIPPED] = "/",
	[ST_UPSTREAM_FAILED] = "^", [ST_CANCELLED] = "#",
};

void
glyph_init(bool ascii)
{
	unicode = !ascii && strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
}

bool
glyph_unicode(void)
{
	return unicode;
}

const char *
glyph_status(enum step_status s)
{
	if ((size_t)s >= sizeof status_a / sizeof status_a[0])
		return "?";
	return unicode ? status_u[s] : status_a[s];
}

const char *
glyph_run_status(enum run_status s)
{
	switch (s) {
	case RUN_RUNNING:
		return glyph_status(ST_RUNNING);
	case RUN_SUCCEEDED:
		return glyph_status(ST_SUCCEEDED);
	case RUN_TIMED_OUT:
		return glyph_status(ST_TIMED_OUT);
	case RUN_CANCELLED:
	case RUN_REJECTED:
		return glyph_status(ST_CANCELLED);
	case RUN_INTERRUPTED:
		return unicode ? "\u26a0" : "!";
	default:
		return glyph_status(ST_FAILED);
	}
}

const char *
glyph_line(unsigned mask)
{
	/* Indexed by N|S|E|W (1, 2, 4, 8). */
	static const char *const u[16] = {
		" ", "\u2502", "\u2502", "\u2502", "\u2500", "\u2514", "\u250c", "\u251c",
		"\u2500", "\u2518", "\u2510", "\u2524", "\u2500", "\u2534", "\u252c", "\u253c",
	};
	static const char *const a[16] = {
		" ", "|", "|", "|", "-", "+", "+", "+", "-", "+", "+", "+", "-", "+", "+", "+",
	};

	if (mask & DAG_ARROW)
		return glyph_arrow();
	mask &= 15;
	return unicode ? u[mask] : a[mask];
}

void
glyph_line_cell(unsigned mask, attr_t a, cchar_t *out)
{
	wchar_t wc[2] = { L' ', L'\0' };

	if (mask != 0 && mbtowc(&wc[0], glyph_line(mask), 8) <= 0)
		wc[0] = L'?';
	setcchar(out, wc, a & ~A_COLOR, (short)PAIR_NUMBER(a), NULL);
}

const char *
glyph_hline(void)
{
	return unicode ? "\u2500" : "-";
}

const char *
glyph_vline(void)
{
	return unicode ? "\u2502" : "|";
}

const char *
glyph_arrow(void)
{
	return unicode ? "\u25b8" : ">";
}

const char *
glyph_ellipsis(void)
{
	return unicode ? "\u2026" : "~";
}

/* A bullet: in ASCII too, nothing a status or a line is drawn with. */
const char *
glyph_critical(void)
{
	return unicode ? "\u25cf" : "o";
}

/* How the character at the start of s is drawn: its bytes as they are
 * (*show NULL) or a stand-in of *show_len bytes; returns its columns and
 * sets *used to its bytes.  What is not safe on a terminal (termtext.h)
 * gets its visible stand-in; a character the screen cannot draw (not
 * ASCII in the ASCII set, or not printable here) shows as '?'. */
static int
glyph_piece(const char *s, size_t len, char esc[TERMTEXT_ESCAPE_MAX], const char **show,
    size_t *show_len, size_t *used)
{
	struct termtext_char c;
	int w;

	termtext_next(s, len, &c);
	*used = c.len;
	*show = NULL;
	if (!termtext_safe(&c)) {
		*show_len = termtext_escape(&c, esc);
		*show = esc;
		return (int)*show_len;
	}
	if (c.cp < 0x80)
		return 1;
	w = unicode ? wcwidth((wchar_t)c.cp) : -1;
	if (w < 0) {
		*show = "?";
		*show_len = 1;
		return 1;
	}
	return w;
}

int
glyph_text(WINDOW *win, const char *s, size_t len, int maxw)
{
	char esc[TERMTEXT_ESCAPE_MAX];
	const char *show;
	size_t used, show_len;
	int col = 0;

	while (len > 0 && col < maxw) {
		int w;

		if (s[0] == '\t') {
			int stop = (col / 8 + 1) * 8;

			while (col < stop && col < maxw) {
				waddch(win, ' ');
				col++;
			}
			s++;
			len--;
			continue;
		}
		w = glyph_piece(s, len, esc, &show, &show_len, &used);
		if (col + w > maxw)
			break;
		if (show != NULL)
			waddnstr(win, show, (int)show_len);
		else
			waddnstr(win, s, (int)used);
		col += w;
		s += used;
		len -= used;
	}
	return col;
}

int
glyph_width(const char *s, size_t len)
{
	char esc[TERMTEXT_ESCAPE_MAX];
	const char *show;
	size_t used, show_len;
	int col = 0;

	while (len > 0) {
		col += glyph_piece(s, len, esc, &show, &show_len, &used);
		s += used;
		len -= used;
	}
	return col;
}
