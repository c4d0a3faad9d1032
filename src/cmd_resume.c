/* cmd_resume.c - drover resume RUN: continue a run whose process died.
 *
 * The run's lock is taken first: a run somebody still runs is refused,
 * naming them, and of two resumes at once only one gets it.  Then what is
 * left of the dead owner's step processes is killed, and the history is
 * read as that owner left it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "event.h"
#include "json.h"
#include "proctrack.h"
#include "rerun.h"
#include "runlock.h"
#include "runner.h"
#include "store.h"
#include "xmalloc.h"

/* Checks run ref can be resumed here and takes its lock; prints why not
 * and returns NULL. */
static struct runlock *
take_run(const char *ref)
{
	struct runlock_owner prev;
	struct runlock *lock = NULL;
	struct store *s;
	struct err e;
	int64_t run;
	cJSON *j;
	const char *status, *host, *uuid;

	if ((s = cmd_open_run(ref, &run)) == NULL)
		return NULL;
	j = store_get_run(s, run, &e);
	store_close(s);
	if (j == NULL) {
		cmd_error("%s", e.msg);
		return NULL;
	}
	status = json_str(j, "status");
	host = json_str(j, "host");
	uuid = json_str(j, "uuid");
	if (status == NULL || uuid == NULL) {
		cmd_error("run %lld is damaged in the history: no status or UUID", (long long)run);
	} else if (strcmp(status, "interrupted") != 0 && strcmp(status, "running") != 0) {
		cmd_error("run %lld is %s, not interrupted: only a run whose process died can be "
		    "resumed (drover retry starts it again)", (long long)run, status);
	} else if (host != NULL && strcmp(host, runner_host()) != 0) {
		cmd_error("run %lld belongs to host %s, where its owner can be seen: resume it "
		    "there if its process died", (long long)run, host);
	} else if ((lock = runner_lock(run, uuid, "", &prev)) != NULL) {
		/* A live run was refused by its lock, which names the owner. */
		proctrack_kill_orphans(uuid, prev.cgroup);
	}
	cJSON_Delete(j);
	return lock;
}

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
	const cJSON *uuid, *started;
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
	if ((ro.lock = take_run(argv[optind])) == NULL)
		goto out;
	if (rerun_load(&rr, argv[optind], assign, n_assign) < 0) {
		runlock_release(ro.lock, false);
		goto out;
	}
	uuid = cJSON_GetObjectItemCaseSensitive(rr.json, "uuid");
	started = cJSON_GetObjectItemCaseSensitive(rr.json, "started_at");
	ro.wf = rr.wf;
	ro.args = rr.args;
	ro.resume_run = rr.run;
	ro.uuid = uuid->valuestring;
	ro.first_seq = rr.last_seq;
	if (!cJSON_IsString(started) || event_time_parse(started->valuestring, &ro.started_at) < 0)
		ro.started_at = 0;
	ro.prior = rr.prior;
	rc = runner_run(&ro);
	rerun_fini(&rr);
out:
	free(assign);
	return rc;
}
