/* alerts.h - alert rules (config `alerts:`): a measure of the history over
 * a window, a threshold, and who to tell when it is crossed.
 *
 * Rules are judged when a run ends, by its process, once its history is
 * committed, over the runs started in the rule's window: only the rules of
 * that run's workflow (or of every workflow).  A rule fires when its
 * condition becomes true: the history records it (one process wins the
 * change, however many runs end at once), its notification goes out once,
 * and it stays firing, silent, until the condition is false again.
 */
#ifndef DROVER_ALERTS_H
#define DROVER_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "diag.h"
#include "err.h"

struct store;
struct ynode;

enum alert_metric {
	ALERT_ERROR_RATE,	/* runs ended failed, timed out or over budget / runs ended */
	ALERT_SUCCESS_RATE,	/* runs ended succeeded / runs ended */
	ALERT_COST_PER_DAY,	/* dollars of the runs started, per day of the window */
	ALERT_STEP_P95,		/* p95 of a step's succeeded durations, ms */
};

struct alert_rule {
	char *name;
	char *workflow;		/* or NULL: every workflow */
	enum alert_metric metric;
	char *step;		/* ALERT_STEP_P95 */
	int64_t window_ms;
	bool above;		/* fires above threshold, else below it */
	double threshold;
	int min_runs;		/* ended runs the window needs before it is judged */
	char *notify_run;	/* a shell command, or NULL */
	char *notify_url;	/* an HTTP POST, or NULL */
	cJSON *notify_headers;	/* {name: value}, or NULL */
};

struct alert_rules {
	struct alert_rule *v;
	size_t n;
};

/* Reads `alerts:` (a list of rules) into r, each problem into d. */
void alerts_read(struct alert_rules *r, const struct ynode *list, const char *path,
    struct diags *d);
void alerts_fini(struct alert_rules *r);
const char *alert_metric_name(enum alert_metric m);

/* The rule's measure now: 1 with *value set, 0 when the window has too
 * few runs to say (no data), -1 with e set. */
int alert_value(struct store *s, const struct alert_rule *a, int64_t now_us, double *value,
    size_t *runs, struct err *e);

/* After run of workflow ended: judges the rules that concern it, records
 * each change, notifies those that began firing; what happened is
 * reported through say (one line each).  Never fails the run. */
void alerts_after_run(const struct alert_rules *r, struct store *s, const char *workflow,
    int64_t run, void (*say)(const char *line));

#endif
