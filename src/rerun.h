/* rerun.h - a past run loaded back to be run again (drover resume, drover
 * retry): its workflow text, its args, and what each step already did. */
#ifndef DROVER_RERUN_H
#define DROVER_RERUN_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "engine.h"
#include "runner.h"

struct cmd_ctx;
struct option;
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

/* The command line of resume and retry: one parser for both. */
struct rerun_request {
	const char *ref;	/* RUN, as given */
	const char *from;	/* retry --from STEP, or NULL */
	char **assign;		/* -a NAME=VALUE texts, from argv */
	size_t n_assign;
	struct runner_opts ro;	/* --auto-approve, --json and -v set */
	bool detach, no_tui;
};

/* Runs rq.ro as --detach, --no-tui and the terminal say (runproc_go). */
int rerun_go(const struct cmd_ctx *ctx, struct rerun_request *rq);

/* The options both take, for their option tables; retry adds --from as
 * 'f'. */
#define RERUN_OPTIONS \
	{ "arg", required_argument, NULL, 'a' }, \
	{ "auto-approve", no_argument, NULL, 'A' }, \
	{ "detach", no_argument, NULL, 'd' }, \
	{ "no-tui", no_argument, NULL, 'T' }, \
	{ "json", no_argument, NULL, 'j' }, \
	{ "verbose", no_argument, NULL, 'v' }

/* Their help for those. */
#define RERUN_HELP \
	"  -a, --arg NAME=VALUE   a secret arg's value\n" \
	"      --auto-approve     approve, as the invoking user, each gate they may decide\n" \
	"  -d, --detach           in its own process, in the background: print its number\n" \
	"      --no-tui           line output here, not the console (the default off a terminal)\n" \
	"      --json             one JSON object per event\n" \
	"  -v, --verbose          print the steps' output lines too\n"

/* Parses argv with the command's option table into rq: EXIT_OK, or the
 * exit status after printing a usage error.  Free rq with
 * rerun_request_fini either way. */
int rerun_request_parse(struct rerun_request *rq, const struct cmd_ctx *ctx, int argc,
    char **argv, const struct option *opts);
void rerun_request_fini(struct rerun_request *rq);

#endif
