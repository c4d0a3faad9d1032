/* exec.h - between the executor (engine.c) and the step kinds
 * (step_run.c, step_wait.c, step_approval.c, ...).
 *
 * The engine decides when an attempt of a step body starts and what its
 * outcome means; a kind does the work.  Each kind that drover can run
 * fills one struct step_ops, which its descriptor (step_kinds.h) points
 * to.  Everything here runs on the executor thread.
 */
#ifndef DROVER_EXEC_H
#define DROVER_EXEC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "event.h"
#include "tmpl.h"

struct body;
struct cost_estimate;
struct engine_opts;
struct expr;
struct http;
struct loop;
struct loop_timer;
struct proctrack_run;
struct run;
struct ynode;

struct attempt {
	struct run *run;
	size_t step;		/* index in the workflow */
	enum step_phase phase;
	int number;		/* 1, 2, ... */
	const struct body *body;
	const struct step_ops *ops;
	void *state;		/* the kind's */
	int64_t started_us;
	struct loop_timer *timer;	/* the engine's: timeout, then kill */
	char *start_error;	/* why it could not start */
	uint64_t begin_seq;	/* its "running" event: it starts once that is recorded */
	bool recorded;		/* ... which it now is: the kind was started */
	bool stopping, timed_out;
	bool over_budget;	/* refused by limits.budget: it never started */
};

struct attempt_result {
	enum step_status status;	/* ST_SUCCEEDED, ST_FAILED, ST_TIMED_OUT, ST_CANCELLED */
	int exit_code;		/* -1 when there is none */
	char *error;		/* NULL on success */
	cJSON *outputs;		/* an object; owned by the result */
	double cost_usd;
	long long tokens_in, tokens_out;
	bool no_retry;		/* a failure that trying again cannot mend */
	int64_t retry_after_ms;	/* the server's wish before trying again; 0: none */
};

/* A decision on a gate that waits, from a client of the run's control
 * socket (engine_decide): who (as the kernel says), what, and the ticket
 * the client's reply waits for (the EV_APPROVAL that records it carries
 * it). */
struct decision {
	uint64_t ticket;
	size_t step;
	bool approve;
	unsigned uid;
	char user[64];
	char *comment;		/* or NULL */
	cJSON *inputs;		/* an object, or NULL */
	char *hash;		/* the content the client was shown, or NULL */
};

/* decide's answer when the step waits for people (run_gate_done ends it). */
#define STEP_WAITING 1

/* A kind is either decided when its step's turn comes (decide, maybe
 * after waiting), or runs attempts (start, stop, pause, free). */
struct step_ops {
	/* Before the run starts: refuses it when step i, whose body (or gate)
	 * b is of this kind, could not go on (an approval nobody may give);
	 * 0, or -1 with e set.  Optional. */
	int (*check)(struct run *r, size_t i, const struct body *b, struct err *e);
	/* Decides step i, whose body (or gate) b is of this kind, without an
	 * attempt (an approval): 0 with *outputs set (outputs is NULL for a
	 * gate), -1 with e set (the step failed), or STEP_WAITING: the step
	 * is waiting, with the kind's state in *run_wait(r, i), until the
	 * kind calls run_gate_done. */
	int (*decide)(struct run *r, size_t i, const struct body *b, cJSON **outputs,
	    struct err *e);
	/* A waiting step i: takes a decision (recording it, or its refusal),
	 * and ends the wait when it is enough.  */
	void (*offer)(struct run *r, size_t i, const struct body *b, const struct decision *d);
	/* Ends a wait without a decision (the run is cancelled): frees the
	 * kind's state; the engine finishes the step. */
	void (*unwait)(struct run *r, size_t i);
	/* Another step has ended: what the wait shows may have changed. */
	void (*refresh)(struct run *r, size_t i);
	/* What running body b for step i now may cost (limits.budget,
	 * --dry-run): true with out filled, false when its cost cannot be
	 * known beforehand (a command that may publish one).  Optional. */
	bool (*estimate)(struct run *r, size_t i, const struct body *b,
	    struct cost_estimate *out);
	/* What running body b for step i now takes in, as text (the command
	 * rendered, the request, the prompt, with the step's env): a `cache`
	 * without a key reuses a result for the same inputs.  NULL with e set
	 * when it cannot be rendered; NULL without e when the kind cannot be
	 * cached (the step is then refused with a cache).  Caller frees. */
	char *(*inputs)(struct run *r, size_t i, const struct body *b, struct err *e);
	/* What the attempt will do, for people (the resolved command); NULL
	 * when there is nothing to say.  Optional; caller frees. */
	char *(*describe)(struct attempt *a);
	/* Begins the attempt; 0, or -1 with e set (the attempt then failed). */
	int (*start)(struct attempt *a, struct err *e);
	/* Stops it: gently (SIGTERM), or at once when force.  It must not end
	 * the attempt itself: attempt_done comes later, from the loop. */
	void (*stop)(struct attempt *a, bool force);
	/* Stop or start reading output (the history is behind). */
	void (*pause)(struct attempt *a, bool paused);
	void (*free)(struct attempt *a);
};

/* ---- what the engine offers the kinds ---- */

/* The run's number in the history. */
int64_t run_number(const struct run *r);
/* Publishes a notice of the run ("warning" or "error"); secrets masked. */
void run_note(struct run *r, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Publishes that endpoint's circuit (breaker.h) is now in state ("open",
 * "half-open", "closed"): a warning, message, that carries both. */
void run_circuit(struct run *r, const char *endpoint, const char *state, const char *message);
/* Where a waiting step keeps the state of its kind (NULL otherwise). */
void **run_wait(struct run *r, size_t i);
/* Ends step i's wait (the kind has freed its state): approved, the step
 * goes on (a gate: its body runs; an approval step: it succeeded with
 * outputs); else it failed with error and the run is rejected.  outputs
 * is taken (NULL for a gate). */
void run_gate_done(struct run *r, size_t i, bool approved, cJSON *outputs, const char *error);
/* Records d as refused, saying why (the kind's rules, or the step waits
 * for nothing); the client's reply says the same. */
void run_refuse(struct run *r, const struct decision *d, const char *reason);
/* What the gate of step i shows its approvers of what it lets run
 * (secrets masked), or NULL when there is nothing to show; *complete is
 * false while some of it cannot be known yet (a step it lets run waits
 * for other steps too).  Caller frees. */
char *run_gate_content(struct run *r, size_t i, bool *complete);
/* What the gate of step i lets run may cost (budget.h), summed over the
 * steps whose kind can say: true with out filled, false when none can. */
bool run_gate_estimate(struct run *r, size_t i, struct cost_estimate *out);

/* How the run was started: its workflow, user, --auto-approve... */
const struct engine_opts *run_opts(const struct run *r);
struct loop *run_loop(struct run *r);
/* Model prices (pricing.h): the shipped ones with the configuration's on
 * top, read at the first call; NULL with e set when the file is broken. */
struct prices;
const struct prices *run_prices(struct run *r, struct err *e);
/* Masks secret wherever the run shows or records anything from now on
 * (an API key read from the environment); 0, or -1 with e set. */
int run_add_secret(struct run *r, const char *secret, struct err *e);
/* The run's circuit breakers (breaker.h), as limits.circuit_breaker says. */
struct breakers *run_breakers(struct run *r);
/* The run's HTTP client (http.h), on its loop. */
struct http *run_http(struct run *r);
/* Where the run's processes are tracked, and how long a stopped process
 * gets between SIGTERM and SIGKILL. */
struct proctrack_run *run_procs(const struct run *r);
int64_t run_kill_grace_ms(const struct run *r);
/* Publishes lines of output: lines holds nlines lines joined by '\n'.
 * The engine masks secrets. */
void attempt_log(struct attempt *a, enum log_stream stream, const char *lines, size_t len,
    uint32_t nlines, uint64_t first_line);
/* The attempt has ended; the engine takes the result's contents. */
void attempt_done(struct attempt *a, struct attempt_result *res);
/* True while output must not be read (back-pressure). */
bool run_paused(const struct run *r);
/* Publishes an event of the run with a JSON payload (masked; NULL for
 * none), which it frees. */
void run_emit(struct run *r, struct event *ev, cJSON *payload);
/* Evaluates a bare expression (a step's condition) in the run's scope:
 * 0 with *out set, or -1 with e set. */
int run_eval_truth(struct run *r, const struct expr *ex, const struct ynode *n, bool *out,
    struct err *e);
/* Renders a templated node in the scope of step i (args, steps, env, run,
 * workflow, item, index, error, params): a new value or string the caller
 * frees, or NULL with e set. */
cJSON *step_render(struct run *r, size_t i, const struct ynode *n, struct err *e);
char *step_render_text(struct run *r, size_t i, const struct ynode *n, enum tmpl_mode mode,
    struct err *e);
/* The same for people: every secret is "***" in each value before it is
 * quoted, so no form of it shows. */
char *step_render_shown(struct run *r, size_t i, const struct ynode *n, enum tmpl_mode mode,
    struct err *e);
/* The environment for the attempt's processes: v, NULL-terminated, lends
 * the run's own environment (built once) and owns only what is the
 * attempt's (own), until attempt_env_fini. */
struct attempt_env {
	char **v;
	size_t n, cap;
	char **own;
	size_t n_own, cap_own;
};
int attempt_env(struct attempt *a, const char *output_path, struct attempt_env *env,
    struct err *e);
void attempt_env_fini(struct attempt_env *env);
/* $DROVER_OUTPUT files live in the run's own directory (run_dir_fd,
 * 0700), each named after its attempt's "running" event (begin_seq), so
 * no two attempts of a run share one, across resumes too: a process a
 * step left behind that still writes to its file by name reaches nobody
 * else's outputs.  run_output_name and run_output_path give the name and
 * the path (caller frees). */
char *run_output_name(const struct attempt *a);
char *run_output_path(const struct attempt *a);
int run_dir_fd(const struct run *r);
/* The signals a step's process takes back to their default (launch.h). */
const sigset_t *run_reset_signals(const struct run *r);
/* Masks secrets in text: a new string the caller frees, or NULL when
 * nothing changed (then s stands as it is). */
char *run_mask(const struct run *r, const char *s, size_t len, size_t *out_len);
/* The run's secrets, for masking a stream (mask.h). */
const struct mask *run_secrets(const struct run *r);

#endif
