/* report.h - the reports of `drover report` (SPEC 9), built from the
 * history as JSON and printed from that one description.
 *
 *   report_profile.c  one run: its steps against their history, verdicts,
 *                     the critical path, the speedup, recommendations
 *   report_cost.c     what runs cost over a period, by step, model,
 *                     workflow or day, and what the cache saved
 */
#ifndef DROVER_REPORT_H
#define DROVER_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "err.h"

struct store;

/* The profile of run (`drover report profile RUN --json`); NULL with e
 * set.  A live run's running steps count as far as they got. */
cJSON *report_profile(struct store *s, int64_t run, struct err *e);
void report_profile_print(FILE *fp, const cJSON *p);

enum report_by { BY_STEP, BY_MODEL, BY_WORKFLOW, BY_DAY };

struct cost_query {
	int64_t since_us;	/* 0: from the first run */
	const char *workflow;	/* or NULL: all */
	enum report_by by;	/* the breakdown the text shows, when by_given */
	bool by_given;		/* else by model and by step; JSON has all four */
};

/* The cost report (`drover report cost --json`); NULL with e set. */
cJSON *report_cost(struct store *s, const struct cost_query *q, struct err *e);
void report_cost_print(FILE *fp, const cJSON *c, const struct cost_query *q);

#endif
