/* model.h - what a viewer knows about one run, built from its events.
 *
 * A viewer owns no run state: it folds the events it is given (from the
 * run's control socket, from the history, or replayed) into this picture.
 * The console draws it; a run's process keeps one too, to answer status
 * requests and to give each client that attaches a snapshot of it
 * (model_snap_*), after which the client folds the same events the
 * process does.  Nothing here draws or reads.
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
	cJSON *gate;			/* waiting for people: what the gate shows
					 * (step_approval.c), else NULL */
	uint64_t lines;			/* output lines so far, both streams */
	double cost_usd;		/* what its attempts spent */
	long long tokens_in, tokens_out;
	bool cached;			/* its result was taken from the cache */
};

struct model {
	struct workflow *wf;		/* owned, unless model_init_borrowed */
	bool wf_borrowed;
	int64_t run;
	char uuid[37];
	char *user;
	enum run_status status;
	bool ended;
	int exit_code;
	int64_t started_us, ended_us;
	struct model_step *steps;	/* wf->n_steps */
	uint64_t last_seq;		/* the last event folded in */
	long last_started;		/* the step that started last, or -1 */
	unsigned gen;			/* changes with every change */
	char note[256];			/* the latest notice or error of the run */
	cJSON *circuits;		/* endpoint -> "open", "half-open", "closed" */
};

/* Takes ownership of wf. */
void model_init(struct model *m, struct workflow *wf, int64_t run);
/* The same, with wf staying the caller's (it must outlive the model). */
void model_init_borrowed(struct model *m, const struct workflow *wf, int64_t run);
void model_fini(struct model *m);
/* Folds one event in (events at or before last_seq are ignored). */
void model_apply(struct model *m, const struct event *ev);
/* How long the step has taken (so far, at now_us). */
int64_t model_step_elapsed_us(const struct model *m, size_t i, int64_t now_us);
int64_t model_elapsed_us(const struct model *m, int64_t now_us);
/* How many endpoints' circuits are not closed; *one, when there are, is
 * one of them (valid until the model changes). */
size_t model_circuits_open(const struct model *m, const char **one);
/* What the run's steps spent so far. */
void model_cost(const struct model *m, double *usd, long long *tokens_in, long long *tokens_out);
/* Counts of steps per status, for a summary line. */
void model_counts(const struct model *m, size_t counts[ST_CANCELLED + 1]);

/* ---- snapshots (model_snap.c) ----
 *
 * A snapshot is the model as JSON, in parts that each fit in a message of
 * the control protocol: the first part has the run's fields and "n_steps";
 * every part has "from" (the index of its first step) and "steps" (each
 * {"status", "attempt", "started_us", "ended_us", "exit_code", "lines",
 * and when set "error", "command", "outputs", "gate"}); the last has "more":
 * false.  A step's outputs and command over MODEL_SNAP_FIELD_MAX bytes are
 * left out and flagged "outputs_omitted" (the history has them). */
#define MODEL_SNAP_PART_MAX (256u << 10)
#define MODEL_SNAP_FIELD_MAX (64u << 10)

/* Adds the part of the snapshot that begins at step *from to o (the run's
 * fields too when *from is 0) and advances *from past it; true when it is
 * the last part. */
bool model_snap_part(const struct model *m, cJSON *o, size_t *from);
/* Takes a part in: 0, or -1 with why in msg when it does not fit the
 * model's workflow (the caller drops the connection). */
int model_snap_take(struct model *m, const cJSON *o, char *msg, size_t size);

#endif
