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

static int cmd_resume_exec(const struct cmd_ctx *, int, char **);

const struct command cmd_resume_entry = {
	.name = "resume",
	.usage = "RUN [-a NAME=VALUE]... [--detach] [--no-tui] [--json] [-v]",
	.summary = "continue an interrupted run from its history",
	.help = "Steps that succeeded keep their outputs and do not run again; the others run.\n"
	    "Secret args are not in the history: give them again with -a.  On a terminal\n"
	    "the run goes on in a new process of its own and the console attaches to it.\n"
	    RERUN_HELP,
	.handler = cmd_resume_exec,
};

static const struct option options[] = {
	RERUN_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* Stores what the dead process journaled and the history had not
 * committed (store_journal_fold); prints why not and returns -1. */
static int
fold_journal(int64_t run)
{
	char *db = store_default_path();
	struct err e;
	struct store *s = store_open(db, false, &e);
	size_t folded;
	int rc = -1;

	if (s == NULL || (rc = store_journal_fold(s, run, &folded, &e)) < 0)
		cmd_error("run %lld cannot be resumed: %s", (long long)run, e.msg);
	store_close(s);
	free(db);
	return rc;
}

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
		if (fold_journal(run) < 0) {
			runlock_release(lock, false);
			lock = NULL;
		}
	}
	cJSON_Delete(j);
	return lock;
}

static int
cmd_resume_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct rerun_request rq;
	struct runner_opts *ro = &rq.ro;
	struct rerun rr;
	const cJSON *uuid, *started;
	int rc;

	if ((rc = rerun_request_parse(&rq, ctx, argc, argv, options)) != EXIT_OK)
		goto out;
	rc = EXIT_USAGE;
	if ((ro->lock = take_run(rq.ref)) == NULL)
		goto out;
	if (rerun_load(&rr, rq.ref, rq.assign, rq.n_assign) < 0) {
		runlock_release(ro->lock, false);
		goto out;
	}
	uuid = cJSON_GetObjectItemCaseSensitive(rr.json, "uuid");
	started = cJSON_GetObjectItemCaseSensitive(rr.json, "started_at");
	ro->wf = rr.wf;
	ro->args = rr.args;
	ro->resume_run = rr.run;
	ro->uuid = uuid->valuestring;
	ro->first_seq = rr.last_seq;
	if (!cJSON_IsString(started) || event_time_parse(started->valuestring, &ro->started_at) < 0)
		ro->started_at = 0;
	ro->prior = rr.prior;
	rc = rerun_go(ctx, &rq);
	rerun_fini(&rr);
out:
	rerun_request_fini(&rq);
	return rc;
}
