/* test_screen.h - a curses screen for unit tests, drawn into /dev/null. */
#ifndef DROVER_TEST_SCREEN_H
#define DROVER_TEST_SCREEN_H

#include <stdio.h>

#include <curses.h>

/* An xterm-256color screen writing to /dev/null and reading from it, made
 * the current one; NULL when it cannot be made.  The caller ends it with
 * endwin, delscreen and fclose of *out and *in. */
static inline SCREEN *
test_screen(FILE **out, FILE **in)
{
	*out = fopen("/dev/null", "w");
	*in = fopen("/dev/null", "r");
	if (*out == NULL || *in == NULL)
		return NULL;
	return newterm("xterm-256color", *out, *in);
}

#endif
