/* cmd_retry.c - drover retry RUN [--from STEP]: a new run of the same
 * workflow text and args that reuses what succeeded. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "rerun.h"
#include "runner.h"
#include "suggest.h"
#include "wf.h"

static int cmd_retry_exec(const struct cmd_ctx *, int, char **);

const struct command cmd_retry_entry = {
	.name = "retry",
	.usage = "RUN [--from STEP] [-a NAME=VALUE]... [--detach] [--no-tui] [--json] [-v]",
	.summary = "run a finished run again, reusing what succeeded",
	.help = "A new run with the same workflow text and args; steps that succeeded keep\n"
	    "their outputs (all of them, or with --from only those STEP does not lead to).\n"
	    "  --from STEP            run STEP and everything after it again\n"
	    RERUN_HELP,
	.handler = cmd_retry_exec,
};

static const struct option options[] = {
	{ "from", required_argument, NULL, 'f' },
	RERUN_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* Reused: main steps that succeeded, except STEP and what depends on it. */
static int
choose_reused(struct rerun *rr, const char *from)
{
	const struct workflow *wf = rr->wf;
	const struct step *f = NULL;

	if (from != NULL && (f = wf_find_step(wf, from)) == NULL) {
		struct suggest sg;
		const char *hint;

		suggest_init(&sg, from);
		for (size_t i = 0; i < wf->n_steps; i++)
			suggest_offer(&sg, wf->steps[i].id);
		hint = suggest_result(&sg);
		cmd_error("the workflow has no step '%s'%s%s%s", from, hint ? "; did you mean '" : "",
		    hint ? hint : "", hint ? "'?" : "");
		return -1;
	}
	for (size_t i = 0; i < wf->n_steps; i++) {
		struct engine_prior *p = &rr->prior[i];
		bool rerun = wf->steps[i].section != SECTION_MAIN || p->status != ST_SUCCEEDED ||
		    (f != NULL && (i == f->index || wf_is_upstream(wf, f->index, i)));

		p->attempts = 0;
		p->cost_usd = 0;	/* a new run: it has spent nothing */
		p->tokens = 0;
		p->reused = !rerun;
		if (rerun)
			p->status = ST_PENDING;
	}
	return 0;
}

static int
cmd_retry_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct rerun_request rq;
	struct rerun rr;
	const cJSON *status;
	int rc;

	if ((rc = rerun_request_parse(&rq, ctx, argc, argv, options)) != EXIT_OK)
		goto out;
	rc = EXIT_USAGE;
	if (rerun_load(&rr, rq.ref, rq.assign, rq.n_assign) < 0)
		goto out;
	status = cJSON_GetObjectItemCaseSensitive(rr.json, "status");
	if (cJSON_IsString(status) && strcmp(status->valuestring, "running") == 0) {
		cmd_error("run %lld is still running", (long long)rr.run);
	} else if (choose_reused(&rr, rq.from) == 0) {
		rq.ro.wf = rr.wf;
		rq.ro.args = rr.args;
		rq.ro.retry_of = rr.run;
		rq.ro.prior = rr.prior;
		rc = rerun_go(ctx, &rq);
	}
	rerun_fini(&rr);
out:
	rerun_request_fini(&rq);
	return rc;
}
