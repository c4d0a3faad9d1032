/* engine.h - running a workflow.
 *
 * An engine runs one run of a workflow in its own executor thread and
 * describes everything that happens as events in a ring (ring.h).  The
 * caller creates the ring, starts the history writer on its gate reader,
 * then starts the engine; it may cancel it from any thread and waits for
 * it with engine_join.  Engines share nothing: several may run in one
 * process.
 */
#ifndef DROVER_ENGINE_H
#define DROVER_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "event.h"

struct conf;
struct proctrack_run;
struct ring;
struct workflow;

/* What a step already did, for resume and retry. */
struct engine_prior {
	enum step_status status;
	int attempts;
	cJSON *result;		/* {"status", "outputs", "exit_code", "duration_ms"}; owned */
	bool reused;		/* taken from another run (retry): recorded as cached */
	double cost_usd;	/* resume: what it spent already, which the budget counts */
	long long tokens;
};

struct engine_opts {
	const struct workflow *wf;
	const cJSON *args;	/* resolved args with the real secret values */
	const char *user, *host;
	bool auto_approve;
	int64_t kill_grace_ms;	/* SIGTERM, then SIGKILL this much later */
	const struct conf *conf;	/* providers, prices */
	/* The result cache (SPEC 4.1), for steps with `cache`: finds the
	 * entry of step (its id) under key that has not expired, as
	 * store_cache_get does; NULL when there is no history to ask. */
	int (*cache_get)(void *ud, const char *step, const char *key, cJSON **entry,
	    struct err *e);
	void *cache_ud;
	const char *runtime_dir;	/* where step output files go */
	struct proctrack_run *procs;	/* tracks the steps' processes (proctrack.h) */
	/* resume/retry: per step (wf->n_steps entries), or NULL */
	const struct engine_prior *prior;
	int64_t started_at;	/* resume: the run's original start, µs */
};

struct engine;

/* Checks what the run needs (step kinds drover can run, approvers) and
 * prepares it; NULL with e set when it cannot start.  Nothing is recorded
 * yet, so a refusal leaves no run behind.  The engine copies o's args;
 * what else o points to stays the caller's and must outlive the engine.
 * Free with engine_free. */
struct engine *engine_new(const struct engine_opts *o, struct err *e);
/* Starts the executor thread for the run recorded as number run with this
 * UUID, publishing its events into ring, and journaling them in journal
 * (store.h), which only that thread uses until engine_join, or NULL (then
 * every start waits for a commit).  From here on every failure is part of
 * the run's history. */
struct store_journal;
int engine_start(struct engine *en, struct ring *ring, struct store_journal *journal,
    int64_t run, const char *uuid, struct err *e);
/* Asks the run to stop: running steps get SIGTERM and, after the grace
 * period, SIGKILL; force kills them at once.  Safe from any thread and
 * from a signal handler's thread. */
void engine_cancel(struct engine *en, bool force);
/* Hands the executor a decision on a gate (exec.h: struct decision, whose
 * contents it takes): recorded, approved, refused or both, as an
 * EV_APPROVAL carrying d's ticket.  Safe from any thread; never blocks. */
struct decision;
void engine_decide(struct engine *en, struct decision *d);
/* What step i may cost, as things are before the run starts (its inputs
 * from other steps not known yet): true with out filled, false when its
 * kind cannot say (budget.h). */
struct cost_estimate;
bool engine_estimate(struct engine *en, size_t i, struct cost_estimate *out);
/* Waits for the run to end and returns its status. */
enum run_status engine_join(struct engine *en);
/* After engine_join: true when a second signal came while the history
 * could not be written, and the run was given up unrecorded (its steps
 * killed, the ring abandoned).  The process must then exit without
 * waiting for the history writer; `drover resume` takes the run over. */
bool engine_abandoned(const struct engine *en);
void engine_free(struct engine *en);

#endif
