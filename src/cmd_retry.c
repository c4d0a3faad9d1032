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
#include "xmalloc.h"

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
		p->reused = !rerun;
		if (rerun)
			p->status = ST_PENDING;
	}
	return 0;
}

int
cmd_retry(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "arg", required_argument, NULL, 'a' },
		{ "auto-approve", no_argument, NULL, 'A' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	char **assign = xcalloc((size_t)argc + 1, sizeof *assign);
	struct runner_opts ro;
	struct rerun rr;
	const char *from = NULL;
	const cJSON *status;
	size_t n_assign = 0;
	int c, rc = EXIT_USAGE;

	memset(&ro, 0, sizeof ro);
	while ((c = cmd_getopt(argc, argv, "a:v", opts)) != -1) {
		if (c == 'f')
			from = optarg;
		else if (!rerun_option(c, &ro, assign, &n_assign))
			goto out;
	}
	if (optind != argc - 1) {
		rc = cmd_usage_error("retry", "give the run to retry");
		goto out;
	}
	if (rerun_load(&rr, argv[optind], assign, n_assign) < 0)
		goto out;
	status = cJSON_GetObjectItemCaseSensitive(rr.json, "status");
	if (cJSON_IsString(status) && strcmp(status->valuestring, "running") == 0) {
		cmd_error("run %lld is still running", (long long)rr.run);
	} else if (choose_reused(&rr, from) == 0) {
		ro.wf = rr.wf;
		ro.args = rr.args;
		ro.retry_of = rr.run;
		ro.prior = rr.prior;
		rc = runner_run(&ro);
	}
	rerun_fini(&rr);
out:
	free(assign);
	return rc;
}
