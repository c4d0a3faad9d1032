/* cmd_cancel.c - drover cancel RUN [--force]: cancel a live run through
 * its process's control socket (ctl.h).
 *
 * The history says whether the run is live and what its UUID is; the run's
 * process does the cancelling, after checking who asks (the kernel tells
 * it), and answers once the executor has the request.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "cmd_reach.h"
#include "proto.h"

static int cmd_cancel_exec(const struct cmd_ctx *, int, char **);

const struct command cmd_cancel_entry = {
	.name = "cancel",
	.usage = "RUN [--force]",
	.summary = "cancel a live run",
	.help = "RUN is the run's number or a unique prefix of its UUID.  Its running steps\n"
	    "get SIGTERM, then SIGKILL after the grace period (kill_grace); a second\n"
	    "cancel kills them at once.\n"
	    "  -f, --force      kill the running steps at once\n"
	    "Exit status: 0 the run's process took the request, 2 the run is not live\n"
	    "or you may not cancel it, 70 its process cannot be reached.\n",
	.handler = cmd_cancel_exec,
};

static const struct option options[] = {
	{ "force", no_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

static int
cancel_send(struct client *c, int64_t run, bool force)
{
	cJSON *req = proto_msg_new(PROTO_CANCEL, NULL), *reply;
	const cJSON *status;
	int rc;

	if (force)
		cJSON_AddTrueToObject(req, "force");
	reply = cmd_reach_ask(c, run, "cancelled", req, &rc);
	cJSON_Delete(req);
	if (reply == NULL)
		return rc;
	status = cJSON_GetObjectItemCaseSensitive(reply, "status");
	if (cJSON_IsString(status) && strcmp(status->valuestring, "running") != 0)
		rc = cmd_reach_not_running(run, status->valuestring, "cancelled");
	else
		cmd_reach_said(reply);
	cJSON_Delete(reply);
	return rc;
}

static int
cmd_cancel_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct client *c;
	int64_t run;
	bool force = false;
	int c_opt, rc;

	while ((c_opt = cmd_getopt(ctx, argc, argv, "f", options)) != -1) {
		if (c_opt != 'f')
			return EXIT_USAGE;
		force = true;
	}
	if (optind != argc - 1)
		return cmd_usage_error("cancel", optind >= argc ? "which run? give its number or "
		    "UUID prefix" : "give one run");
	if ((c = cmd_reach_run(argv[optind], "cancelled", &run, &rc)) == NULL)
		return rc;
	rc = cancel_send(c, run, force);
	client_free(c);
	return rc;
}
