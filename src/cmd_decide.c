/* cmd_decide.c - drover approve RUN STEP [-m TEXT] [-i NAME=VALUE]... and
 * drover reject RUN STEP [-m TEXT]: decide a gate that waits, from any
 * shell.
 *
 * Who decides is the user the kernel gives the run's process for this
 * connection, never anything said here; the run's process judges the
 * decision by the gate's rules and answers once the history has it
 * (recorded as taken, or as refused with the reason printed here).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "cmd_reach.h"
#include "proto.h"
#include "xmalloc.h"

static int cmd_approve_exec(const struct cmd_ctx *, int, char **);
static int cmd_reject_exec(const struct cmd_ctx *, int, char **);

#define DECIDE_HELP \
	"RUN is the run's number or a unique prefix of its UUID; STEP the id of a step\n" \
	"that waits for a decision (drover ls --waiting lists them).  You decide as the\n" \
	"Unix user you are; the gate's approvers, separate_duty and min_approvals apply.\n" \
	"  -m, --message TEXT   a comment, recorded with the decision\n"

const struct command cmd_approve_entry = {
	.name = "approve",
	.usage = "RUN STEP [-m TEXT] [-i NAME=VALUE]...",
	.summary = "approve a gate that waits",
	.help = DECIDE_HELP
	    "  -i, --input NAME=VALUE   a value for one of the gate's inputs\n"
	    "Exit status: 0 recorded, 2 refused (the reason is printed) or no such run or\n"
	    "step, 70 the run's process cannot be reached.\n",
	.handler = cmd_approve_exec,
};

const struct command cmd_reject_entry = {
	.name = "reject",
	.usage = "RUN STEP [-m TEXT]",
	.summary = "reject a gate that waits: its step fails, the run is rejected",
	.help = DECIDE_HELP
	    "Exit status: 0 recorded, 2 refused (the reason is printed) or no such run or\n"
	    "step, 70 the run's process cannot be reached.\n",
	.handler = cmd_reject_exec,
};

static const struct option approve_options[] = {
	{ "message", required_argument, NULL, 'm' },
	{ "input", required_argument, NULL, 'i' },
	{ NULL, 0, NULL, 0 },
};

static const struct option reject_options[] = {
	{ "message", required_argument, NULL, 'm' },
	{ NULL, 0, NULL, 0 },
};

static int
decide(const struct cmd_ctx *ctx, int argc, char **argv, bool approve)
{
	const char *cmd = approve ? "approve" : "reject";
	cJSON *req = proto_msg_new(approve ? PROTO_APPROVE : PROTO_REJECT, NULL), *inputs = NULL;
	cJSON *reply;
	struct client *c;
	int64_t run;
	int opt, rc = EXIT_USAGE;

	while ((opt = cmd_getopt(ctx, argc, argv, approve ? "m:i:" : "m:",
	    approve ? approve_options : reject_options)) != -1) {
		const char *eq;
		char *name;

		switch (opt) {
		case 'm':
			cJSON_DeleteItemFromObjectCaseSensitive(req, "comment");
			cJSON_AddStringToObject(req, "comment", optarg);
			break;
		case 'i':
			if ((eq = strchr(optarg, '=')) == NULL || eq == optarg) {
				cmd_usage_error(cmd, "-i takes NAME=VALUE, not '%s'", optarg);
				goto out;
			}
			if (inputs == NULL)
				inputs = cJSON_AddObjectToObject(req, "inputs");
			name = xstrndup(optarg, (size_t)(eq - optarg));
			cJSON_DeleteItemFromObjectCaseSensitive(inputs, name);
			cJSON_AddStringToObject(inputs, name, eq + 1);
			free(name);
			break;
		default:
			goto out;
		}
	}
	if (optind != argc - 2) {
		rc = cmd_usage_error(cmd, optind >= argc ? "which run? give its number and the step" :
		    optind == argc - 1 ? "which step? give its id after the run" :
		    "give one run and one step");
		goto out;
	}
	cJSON_AddStringToObject(req, "step", argv[optind + 1]);
	if ((c = cmd_reach_run(argv[optind], "decided", &run, &rc)) == NULL)
		goto out;
	if ((reply = cmd_reach_ask(c, run, "decided", req, &rc)) != NULL) {
		cmd_reach_said(reply);
		cJSON_Delete(reply);
	}
	client_free(c);
out:
	cJSON_Delete(req);
	return rc;
}

static int
cmd_approve_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	return decide(ctx, argc, argv, true);
}

static int
cmd_reject_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	return decide(ctx, argc, argv, false);
}
