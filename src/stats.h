/* stats.h - what the history says of a workflow and of its steps, and
 * what a run's graph says of its time (SPEC 8 "Dashboard", 9 "Reports").
 *
 * Everything comes from recorded runs, so it holds for shell steps as
 * for llm calls.  A workflow's recent history is its last STATS_WINDOW
 * runs that have ended, before a given run; the queries walk the runs'
 * (workflow, id) index and the steps' primary key, so they cost the same
 * at any depth of the history.
 *
 *   stats.c        percentiles, the critical path, the ETA, verdicts
 *   store_stats.c  loading a workflow's recent history
 */
#ifndef DROVER_STATS_H
#define DROVER_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct store;

#define STATS_WINDOW 100

/* Durations in milliseconds; n 0 means no sample (the rest is 0). */
struct stats_dist {
	size_t n;
	double p50, p95, p99, min, max;
};

/* Fills d from v[0..n) (reordered: sorted). Percentiles by linear
 * interpolation between the closest ranks. */
void stats_dist_of(struct stats_dist *d, double *v, size_t n);

/* One step of the workflow over its recent history.  An execution is the
 * step's record in one run that ended succeeded or failed by running (a
 * step skipped, cancelled or never started is not one; one taken from
 * the cache is counted in cached, not in executions). */
struct step_stats {
	char *id;
	size_t executions, succeeded, failed;
	size_t retried;			/* executions with a failed attempt before the last */
	size_t cached;
	struct stats_dist duration;	/* of the succeeded executions */
	double cost_usd;		/* of all executions */
	double tokens_out;		/* average of all executions */
	/* How many of the latest succeeded executions, newest first, had
	 * the outputs of the newest (1 when there is one). */
	size_t same_outputs;
};

/* One run of the window, oldest first. */
struct run_point {
	int64_t run;
	int64_t started_us;
	double duration_ms;		/* NAN when not recorded */
	double cost_usd;
	bool succeeded;
};

struct wf_stats {
	size_t runs, succeeded;		/* in the window */
	struct stats_dist duration;	/* of its succeeded runs */
	double cost_usd;		/* of all its runs */
	struct run_point *points;	/* runs of them */
	struct step_stats *steps;	/* each step id seen, by id (strcmp) */
	size_t n_steps;
	/* Runs that ended, by the day they started, for the last STATS_DAYS
	 * days (today last), and how many of them succeeded: from every
	 * run, not the window. */
#define STATS_DAYS 14
	unsigned per_day[STATS_DAYS], ok_per_day[STATS_DAYS];
};

/* Loads the recent history of workflow: the STATS_WINDOW latest ended
 * runs numbered below before (0: any), and the per day counts up to
 * now_us (0: not wanted; they read every run of those days).
 * 0, or -1 with e set; free with stats_free (also after a failure). */
int stats_load(struct store *s, const char *workflow, int64_t before, int64_t now_us,
    struct wf_stats *ws, struct err *e);
void stats_free(struct wf_stats *ws);
/* The step's history, or NULL when it has none. */
const struct step_stats *stats_step(const struct wf_stats *ws, const char *id);
/* What the step's history says of its rates. */
double stats_success_rate(const struct step_stats *ss);
double stats_retry_rate(const struct step_stats *ss);

/* ---- a run's graph ----
 *
 * Steps 0..n) with deps[i][0..n_deps[i]) the steps i waits for (indices
 * below n; every index a step waits for lies before it in some order
 * without cycles, as wf_graph guarantees), and a duration each. */
struct stats_graph {
	size_t n;
	const size_t *const *deps;
	const size_t *n_deps;
};

/* The longest chain by duration through the graph: path[0..*len) from
 * first to last step, its total in *total_ms.  path has room for n. */
void stats_critical_path(const struct stats_graph *g, const double *dur_ms, size_t *path,
    size_t *len, double *total_ms);

/* How much longer the run takes when each step i not done takes left[i]
 * more milliseconds (0 for a step that is done): the longest chain of
 * what is left.  Steps' order as above. */
double stats_remaining_ms(const struct stats_graph *g, const double *left_ms);

/* Verdicts of a step in a run (SPEC 9), as bits. */
enum {
	VERDICT_SLOW = 1,		/* above its p95 */
	VERDICT_BOTTLENECK = 2,		/* the largest share of the critical path */
	VERDICT_FLAKY = 4,		/* success below 95% or retries above 10% */
};
/* At least this many earlier succeeded executions before a duration is
 * judged against them, and a margin over p95 (10% and 50 ms) so the
 * jitter of a fast step is not called slow. */
#define STATS_MIN_SAMPLES 5
bool stats_is_slow(const struct step_stats *ss, double duration_ms);
bool stats_is_flaky(const struct step_stats *ss);

#endif
