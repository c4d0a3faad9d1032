/* wf_print.h - a workflow's steps by level, and what each does, for reading. */
#ifndef DROVER_WF_PRINT_H
#define DROVER_WF_PRINT_H

#include <stdio.h>

#include "wf.h"

/* "NAME: N steps in L levels", then each level's steps with what they do
 * and what they wait for, within 80 columns; on_failure and finally steps
 * follow. */
void wf_print_levels(FILE *fp, const struct workflow *wf);
/* What a step does in a few words ("run", "tool deploy_app"); caller
 * frees. */
char *wf_step_what(const struct step *st);
/* What it does as written, on one line of at most size bytes (a command,
 * a target), for the console's detail pane; "" when its kind says no more
 * than its name. */
void wf_step_detail(const struct step *st, char *buf, size_t size);

#endif
