/* console.h - opening the ncurses console, for the commands that do.
 *
 * The console is a client: it shows runs from an event source and the
 * history and never owns a run.  `drover` opens it on the runs list,
 * `drover run` on a run of this process (given as its ring reader),
 * `drover attach` and `drover replay` on a run of the history.
 */
#ifndef DROVER_CONSOLE_H
#define DROVER_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

struct ring_reader;
struct workflow;

struct console_opts {
	const char *theme;	/* --theme, else $DROVER_THEME, else "default" */
	const char *color;	/* --color=auto|none|8|256|truecolor, or NULL */
	bool ascii, mouse, readonly;
	/* what to open: */
	int64_t run;		/* 0: the runs list */
	bool replay;
	double speed;		/* replay */
	/* a run of this process: */
	struct ring_reader *rd;
	const struct workflow *wf;	/* its workflow (the console loads its own copy) */
	void (*cancel)(void *ud, bool force);
	void *cancel_ud;
};

/* How a console on a run ended. */
struct console_result {
	uint64_t last_seq;	/* the last event it took */
	bool run_ended;		/* it saw the run end */
};

/* Runs the console until the user leaves; returns 0, or -1 with a message
 * printed when it could not start (not a terminal, no such run).  res may
 * be NULL. */
int console_main(const struct console_opts *o, struct console_result *res);

#endif
