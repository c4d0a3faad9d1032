/* test_glyph.c - the console's text drawing, on a curses screen that
 * writes to /dev/null: whatever a log line holds (every byte, every byte
 * pair, every bidi control, random mixes of escape sequences), each cell
 * glyph_text fills holds a safe character (ASCII only in the ASCII set),
 * and glyph_width counts the columns glyph_text uses; status glyphs are
 * never line glyphs. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <cmocka.h>

#include "dag_layout.h"
#include "glyph.h"
#include "termtext.h"
#include "test_screen.h"

#define COLS_W 200

static SCREEN *screen;
static FILE *screen_out, *screen_in;
static WINDOW *win;

/* Draws s and checks every cell it filled; returns the columns used. */
static int
draw_checked(const char *s, size_t len, bool ascii)
{
	cchar_t cells[COLS_W + 1];
	int used;

	werase(win);
	wmove(win, 0, 0);
	used = glyph_text(win, s, len, COLS_W);
	assert_true(used <= COLS_W);
	assert_int_equal(getcurx(win), used);
	mvwin_wchnstr(win, 0, 0, cells, COLS_W);
	for (int x = 0; x < used; x++) {
		wchar_t wc[CCHARW_MAX + 1];
		attr_t a;
		short pair;

		getcchar(&cells[x], wc, &a, &pair, NULL);
		for (int k = 0; wc[k] != L'\0'; k++) {
			char mb[8];
			size_t n = wcrtomb(mb, wc[k], &(mbstate_t){ 0 });
			struct termtext_char c;

			assert_true(n != (size_t)-1);
			termtext_next(mb, n, &c);
			if (!termtext_safe(&c) || c.kind == TT_TAB || (ascii && wc[k] >= 0x80))
				fail_msg("cell %d holds U+%04X after drawing %zu bytes starting "
				    "%#x", x, (unsigned)wc[k], len, (unsigned char)s[0]);
		}
	}
	if (used < COLS_W && memchr(s, '\t', len) == NULL)
		assert_int_equal(glyph_width(s, len), used);	/* it counts tabs as 1 */
	return used;
}

static int
group_setup(void **state)
{
	setenv("LC_ALL", "C.UTF-8", 1);
	if (setlocale(LC_ALL, "") == NULL)
		return -1;
	if ((screen = test_screen(&screen_out, &screen_in)) == NULL)
		return -1;
	win = newwin(1, COLS_W + 1, 0, 0);
	return win == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	delwin(win);
	endwin();
	delscreen(screen);
	fclose(screen_out);
	fclose(screen_in);
	return 0;
}

static void
test_stand_ins(void **state)
{
	static const struct { const char *in, *shown; } cases[] = {
		{ "before \033[2J\033]0;pwned\007 after", "before ^[[2J^[]0;pwned^G after" },
		{ "\xe2\x80\xae" "fdp.exe", "<U+202E>fdp.exe" },
		{ "\x9b" "6n \xc2\x9b", "\\x9b6n <U+009B>" },
		{ "a\tb", "a       b" },
		{ "ok\rfake", "ok^Mfake" },
	};
	(void)state;
	glyph_init(false);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char got[COLS_W + 1];
		int used = draw_checked(cases[i].in, strlen(cases[i].in), false);

		mvwinnstr(win, 0, 0, got, used);
		got[used] = '\0';
		assert_string_equal(got, cases[i].shown);
	}
}

static void
test_every_byte_and_pair(void **state)
{
	(void)state;
	for (int ascii = 0; ascii < 2; ascii++) {
		glyph_init(ascii);
		for (unsigned a = 0; a < 256; a++) {
			char s[3] = { (char)a, 'x', 0 };

			draw_checked(s, 1, ascii);
			for (unsigned b = 0; b < 256; b++) {
				s[1] = (char)b;
				draw_checked(s, 2, ascii);
			}
		}
	}
}

static void
test_bidi(void **state)
{
	static const char *const controls[] = {
		"\xd8\x9c", "\xe2\x80\x8e", "\xe2\x80\x8f", "\xe2\x80\xaa", "\xe2\x80\xab",
		"\xe2\x80\xac", "\xe2\x80\xad", "\xe2\x80\xae", "\xe2\x81\xa6", "\xe2\x81\xa7",
		"\xe2\x81\xa8", "\xe2\x81\xa9",
	};
	(void)state;
	for (int ascii = 0; ascii < 2; ascii++) {
		glyph_init(ascii);
		for (size_t i = 0; i < sizeof controls / sizeof controls[0]; i++) {
			char s[32];

			snprintf(s, sizeof s, "id%sgpj.exe", controls[i]);
			assert_int_equal(draw_checked(s, strlen(s), ascii), 2 + 8 + 7);
		}
	}
}

static void
test_random_mixes(void **state)
{
	static const char *const pieces[] = {
		"\033", "[", "]52;c;", "\007", "\r", "\t", "\x9b", "\xc2\x9b", "\xe2\x80\xae",
		"\xe2\x81\xa6", "\xe2\x80", "\xf0\x9f\x98\x80", "\xc3\xa9", "\xe6\x97\xa5", "abc",
		"\x7f", "\xff", "\xcc\x81",
	};
	unsigned seed = 7;
	(void)state;
	for (int ascii = 0; ascii < 2; ascii++) {
		glyph_init(ascii);
		for (int round = 0; round < 5000; round++) {
			char s[128];
			size_t n = 0;

			for (int i = rand_r(&seed) % 12; i > 0; i--) {
				const char *p =
				    pieces[rand_r(&seed) % (sizeof pieces / sizeof pieces[0])];

				memcpy(s + n, p, strlen(p));
				n += strlen(p);
			}
			if (n > 0)
				draw_checked(s, n, ascii);
		}
	}
}

/* A status glyph never looks like a piece of line: in ASCII '+' was both
 * "succeeded" and a corner. */
static void
test_distinct_glyphs(void **state)
{
	(void)state;
	for (int ascii = 0; ascii < 2; ascii++) {
		const char *lines[24], *st[ST_CANCELLED + 2];
		size_t nl = 0, ns = 0;

		glyph_init(ascii);
		assert_int_equal(glyph_unicode(), !ascii);
		for (unsigned mask = 1; mask < 16; mask++)
			lines[nl++] = glyph_line(mask);
		lines[nl++] = glyph_line(DAG_ARROW);
		lines[nl++] = glyph_hline();
		lines[nl++] = glyph_vline();
		lines[nl++] = glyph_arrow();
		lines[nl++] = glyph_ellipsis();
		for (int s = ST_PENDING; s <= ST_CANCELLED; s++)
			st[ns++] = glyph_status((enum step_status)s);
		st[ns++] = glyph_run_status(RUN_INTERRUPTED);
		for (size_t i = 0; i < ns; i++) {
			for (size_t j = i + 1; j < ns; j++)
				if (strcmp(st[i], st[j]) == 0)
					fail_msg("two statuses share '%s'", st[i]);
			for (size_t j = 0; j < nl; j++)
				if (strcmp(st[i], lines[j]) == 0)
					fail_msg("status glyph '%s' is also a line glyph", st[i]);
			if (ascii)
				assert_true(strlen(st[i]) == 1 && st[i][0] > ' ' &&
				    st[i][0] < 0x7f);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distinct_glyphs),
		cmocka_unit_test(test_stand_ins),
		cmocka_unit_test(test_every_byte_and_pair),
		cmocka_unit_test(test_bidi),
		cmocka_unit_test(test_random_mixes),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
