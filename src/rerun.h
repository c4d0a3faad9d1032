/* rerun.h - a past run loaded back to be run again (drover resume, drover
 * retry): its workflow text, its args, and what each step already did. */
#ifndef DROVER_RERUN_H
#define DROVER_RERUN_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "engine.h"

struct store;
struct workflow;

struct rerun {
	int64_t run;
	cJSON *json;		/* store_get_run */
	struct workflow *wf;
	cJSON *args;		/* resolved, secrets given again */
	struct engine_prior *prior;	/* one per step */
	uint64_t last_seq;
};

/* Loads run ref from the history; secret args come from assign
 * (NAME=VALUE texts) since the history never holds them.  Prints what is
 * wrong and returns -1. */
int rerun_load(struct rerun *rr, const char *ref, char **assign, size_t n_assign);
void rerun_fini(struct rerun *rr);
struct runner_opts;
/* The options resume and retry share (-a, --auto-approve, --json, -v):
 * applies option c and returns true, or false when c is not one of them. */
bool rerun_option(int c, struct runner_opts *ro, char **assign, size_t *n_assign);

#endif
