/* runner.h - running a loaded workflow in this process: the history writer,
 * the engine, the control socket and a line printer wired together
 * through one ring.  Used by `drover run`, `resume` and `retry`, in the
 * foreground or in a run process of its own (runproc.h). */
#ifndef DROVER_RUNNER_H
#define DROVER_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "engine.h"

struct ring_reader;
struct runlock;
struct runlock_owner;
struct workflow;

struct runner_opts {
	const struct workflow *wf;
	const cJSON *args;	/* resolved, with real secret values */
	bool auto_approve, json, verbose;
	/* resume: continue this run (its UUID); retry: the run this one retries */
	int64_t resume_run, retry_of;
	const char *uuid;	/* resume; a new run: its UUID, or NULL for a new one */
	uint64_t first_seq;	/* resume: the last seq in the history */
	int64_t started_at;	/* resume: when the run first started */
	const struct engine_prior *prior;
	struct runlock *lock;	/* resume: the run's lock (runner_lock); let go here */
	/* A run process (runproc.h): no terminal is the run's, so SIGHUP is
	 * ignored; ready is called once the run is recorded and its control
	 * socket serves it (or, without one, goes on anyway). */
	bool detached;
	void (*ready)(void *ud, int64_t run);
	void *ready_ud;
};

/* Runs and returns drover's exit status (SPEC section 2). */
int runner_run(const struct runner_opts *o);
/* Checks, as runner_run does before anything is recorded, that the run
 * can go (step kinds and fields drover can honour, gates, secrets):
 * EXIT_OK, or EXIT_USAGE after printing why.  For --dry-run, which also
 * wants what each step may cost: est, when not NULL, has one entry per
 * step (budget.h). */
struct step_cost;
int runner_check(const struct runner_opts *o, struct step_cost *est);

/* Takes the lock of run (its number, for messages) with this UUID for
 * this process, so nobody else runs it, recording the run's cgroup (or
 * ""); prev gets its last owner.  Prints who owns it, and what to do, and
 * returns NULL when it is taken.  The caller holds the lock until
 * runlock_release (runner_run releases the one it is given). */
struct runlock *runner_lock(int64_t run, const char *uuid, const char *cgroup,
    struct runlock_owner *prev);

/* The invoking user's name and this host's name; static storage. */
const char *runner_user(void);
const char *runner_host(void);

#endif
