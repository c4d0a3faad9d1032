/* cmd_resume.c - drover resume RUN: continue a run whose process died. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "event.h"
#include "rerun.h"
#include "runner.h"
#include "store.h"
#include "xmalloc.h"

int
cmd_resume(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "arg", required_argument, NULL, 'a' },
		{ "auto-approve", no_argument, NULL, 'A' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	char **assign = xcalloc((size_t)argc + 1, sizeof *assign);
	struct runner_opts ro;
	struct rerun rr;
	const cJSON *status, *uuid, *started;
	size_t n_assign = 0;
	int c, rc = EXIT_USAGE;

	memset(&ro, 0, sizeof ro);
	while ((c = cmd_getopt(argc, argv, "a:v", opts)) != -1)
		if (!rerun_option(c, &ro, assign, &n_assign))
			goto out;
	if (optind != argc - 1) {
		rc = cmd_usage_error("resume", "give the run to resume");
		goto out;
	}
	if (rerun_load(&rr, argv[optind], assign, n_assign) < 0)
		goto out;
	status = cJSON_GetObjectItemCaseSensitive(rr.json, "status");
	uuid = cJSON_GetObjectItemCaseSensitive(rr.json, "uuid");
	started = cJSON_GetObjectItemCaseSensitive(rr.json, "started_at");
	if (!cJSON_IsString(status) || strcmp(status->valuestring, "interrupted") != 0) {
		cmd_error("run %lld is %s, not interrupted: only a run whose process died can be "
		    "resumed%s", (long long)rr.run, cJSON_IsString(status) ? status->valuestring : "?",
		    cJSON_IsString(status) && strcmp(status->valuestring, "running") == 0 ? "" :
		    " (drover retry starts it again)");
	} else {
		rerun_kill_orphans(uuid->valuestring);
		ro.wf = rr.wf;
		ro.args = rr.args;
		ro.resume_run = rr.run;
		ro.uuid = uuid->valuestring;
		ro.first_seq = rr.last_seq;
		if (!cJSON_IsString(started) || event_time_parse(started->valuestring,
		    &ro.started_at) < 0)
			ro.started_at = 0;
		ro.prior = rr.prior;
		rc = runner_run(&ro);
	}
	rerun_fini(&rr);
out:
	free(assign);
	return rc;
}
