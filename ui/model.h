/* model.h - what a console knows about one run, built from its events.
 *
 * The console owns no run state: it folds the events it is given (from the
 * run's ring, from the history, or replayed) into this picture and draws
 * it.  Nothing here draws or reads; the same model serves live, finished
 * and replayed runs.
 */
#ifndef DROVER_MODEL_H
#define DROVER_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "event.h"

struct workflow;

struct model_step {
	enum step_status status;
	int attempt;
	int64_t started_us, ended_us;	/* of the latest attempt; 0 when not yet */
	int exit_code;			/* -1: none */
	char *error;			/* or NULL */
	char *command;			/* as the latest attempt ran it, or NULL */
	cJSON *outputs;			/* or NULL */
	uint64_t lines;			/* output lines so far, both streams */
};

struct model {
	struct workflow *wf;		/* owned */
	int64_t run;
	char uuid[37];
	char *user;
	enum run_status status;
	bool ended;
	int exit_code;
	int64_t started_us, ended_us;
	struct model_step *steps;	/* wf->n_steps */
	uint64_t last_seq;		/* the last event folded in */
	unsigned gen;			/* changes with every change */
	char note[256];			/* the latest notice or error of the run */
};

/* Takes ownership of wf. */
void model_init(struct model *m, struct workflow *wf, int64_t run);
void model_fini(struct model *m);
/* Folds one event in (events at or before last_seq are ignored). */
void model_apply(struct model *m, const struct event *ev);
/* How long the step has taken (so far, at now_us). */
int64_t model_step_elapsed_us(const struct model *m, size_t i, int64_t now_us);
int64_t model_elapsed_us(const struct model *m, int64_t now_us);
/* Counts of steps per status, for a summary line. */
void model_counts(const struct model *m, size_t counts[ST_CANCELLED + 1]);

#endif
