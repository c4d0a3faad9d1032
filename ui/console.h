/* console.h - opening the ncurses console, for the commands that do.
 *
 * The console is a client: it shows runs from their processes' control
 * sockets and the history and never owns a run, so leaving it never
 * touches one.  `drover` opens it on the runs list; `drover run` (once the
 * run's process has started), `drover attach` and `drover replay` on a
 * run.
 */
#ifndef DROVER_CONSOLE_H
#define DROVER_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"


struct console_opts {
	const char *theme;	/* --theme, else $DROVER_THEME, else "default" */
	const char *color;	/* --color=auto|none|8|256|truecolor, or NULL */
	bool ascii, mouse, readonly;
	/* what to open: */
	int64_t run;		/* 0: the runs list */
	bool replay;
	double speed;		/* replay */
};

/* How a console on a run ended. */
struct console_result {
	bool run_ended;		/* it saw the run end... */
	enum run_status status;	/* ... so */
};

/* Runs the console until the user leaves; returns 0, or -1 with a message
 * printed when it could not start (not a terminal, no such run).  res may
 * be NULL. */
int console_main(const struct console_opts *o, struct console_result *res);

#endif
