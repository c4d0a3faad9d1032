/* printer.h - a run's events as lines for a terminal or a script.
 *
 * The human form is one line per change of state (time, step, status,
 * attempt, duration, why), coloured on a terminal unless NO_COLOR; -v adds
 * the output lines, with their control sequences shown harmless on a
 * terminal (termtext.h).  The JSON form is one object per event (one per output
 * line), the last being {"type": "run", ...} with the final status.
 */
#ifndef DROVER_PRINTER_H
#define DROVER_PRINTER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "event.h"

struct workflow;

struct printer {
	FILE *fp;
	const struct workflow *wf;
	int64_t run;
	bool json, color, verbose;
	bool escape;		/* to a terminal: controls from outside shown harmless */
	int id_width;
};

void printer_init(struct printer *p, FILE *fp, const struct workflow *wf, int64_t run,
    bool json, bool verbose);
/* Prints ev into the stream's buffer; the caller flushes (when no more
 * events are at hand, so that a busy run costs few writes). */
void printer_event(struct printer *p, const struct event *ev);
/* Whether log lines are printed (-v, --json): if not, they need not be
 * read at all. */
bool printer_shows_logs(const struct printer *p);

#endif
