/* show.h - printing runs from the history for people (tables, details)
 * and for scripts (JSON).  The input is the JSON the store returns. */
#ifndef DROVER_SHOW_H
#define DROVER_SHOW_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/* Pretty JSON, two-space indents, a final newline. */
void show_json(FILE *fp, const cJSON *v);
/* `drover ls`: runs printed as they come, in constant memory: one line
 * each under a header ("no runs" for none), or a JSON array of them. */
struct show_list {
	FILE *fp;
	bool json, colour;
	bool escape;		/* to a terminal: see show_safe */
	size_t n;
};
void show_list_begin(struct show_list *l, FILE *fp, bool json);
/* Prints run (an object of store_each_run) and frees it. */
void show_list_run(struct show_list *l, cJSON *run);
void show_list_end(struct show_list *l);
/* drover ls --waiting: the gates a user may decide (store_waiting_gates). */
void show_gates_table(FILE *fp, const cJSON *gates);
/* `drover show`: the run, its steps and approvals. */
void show_run(FILE *fp, const cJSON *run);
/* True when fp should get colours (a terminal, NO_COLOR unset). */
bool show_colour(FILE *fp);

#endif
