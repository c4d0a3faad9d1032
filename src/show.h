/* show.h - printing runs from the history for people (tables, details)
 * and for scripts (JSON).  The input is the JSON the store returns. */
#ifndef DROVER_SHOW_H
#define DROVER_SHOW_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/* Pretty JSON, two-space indents, a final newline. */
void show_json(FILE *fp, const cJSON *v);
/* `drover ls`: one line per run. */
void show_runs_table(FILE *fp, const cJSON *runs);
/* drover ls --waiting: the gates a user may decide (store_waiting_gates). */
void show_gates_table(FILE *fp, const cJSON *gates);
/* `drover show`: the run, its steps and approvals. */
void show_run(FILE *fp, const cJSON *run);
/* True when fp should get colours (a terminal, NO_COLOR unset). */
bool show_colour(FILE *fp);

#endif
