/* runner.h - running a loaded workflow in this process: the history writer,
 * the engine and a line printer wired together through one ring.  Used by
 * `drover run`, `resume` and `retry`. */
#ifndef DROVER_RUNNER_H
#define DROVER_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "engine.h"

struct workflow;

struct runner_opts {
	const struct workflow *wf;
	const cJSON *args;	/* resolved, with real secret values */
	bool auto_approve, json, verbose;
	/* resume: continue this run (its UUID); retry: the run this one retries */
	int64_t resume_run, retry_of;
	const char *uuid;
	uint64_t first_seq;	/* resume: the last seq in the history */
	int64_t started_at;	/* resume: when the run first started */
	const struct engine_prior *prior;
};

/* Runs and returns drover's exit status (SPEC section 2). */
int runner_run(const struct runner_opts *o);

/* The invoking user's name and this host's name; static storage. */
const char *runner_user(void);
const char *runner_host(void);

#endif
