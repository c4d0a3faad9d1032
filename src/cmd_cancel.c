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
#include "paths.h"
#include "proto.h"
#include "runner.h"
#include "store.h"

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

static const char *
json_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* The run as the history has it now; NULL after saying why not. */
static cJSON *
cancel_read_run(const char *ref, int64_t *run)
{
	struct store *s = cmd_open_run(ref, run);
	struct err e;
	cJSON *r;

	if (s == NULL)
		return NULL;
	r = store_get_run(s, *run, &e);
	store_close(s);
	if (r == NULL)
		cmd_error("%s", e.msg);
	return r;
}

/* Says why a run that is not "running" in the history cannot be cancelled. */
static int
cancel_not_running(int64_t run, const char *status)
{
	if (strcmp(status, "interrupted") == 0)
		cmd_error("run %lld is not running: its drover process ended before the run did "
		    "(it is interrupted); 'drover resume %lld' continues it", (long long)run,
		    (long long)run);
	else
		cmd_error("run %lld is not running (it ended %s)", (long long)run, status);
	return EXIT_USAGE;
}

/* Nobody serves the run's socket although the history has it running. */
static int
cancel_no_socket(const char *ref, int64_t run, const char *rtdir, const struct err *ce)
{
	int64_t again;
	cJSON *r = cancel_read_run(ref, &again);
	const char *status, *host;
	int rc;

	if (r == NULL)
		return EXIT_USAGE;
	status = json_str(r, "status");
	host = json_str(r, "host");
	if (strcmp(status, "running") != 0)		/* it ended a moment ago */
		rc = cancel_not_running(run, status);
	else if (strcmp(host, runner_host()) != 0) {
		cmd_error("run %lld runs on host %s: cancel it there", (long long)run, host);
		rc = EXIT_USAGE;
	} else {
		cmd_error("run %lld is running, but its drover process serves no control socket in "
		    "%s (%s): it was started by an older drover, or with another "
		    "DROVER_RUNTIME_DIR or XDG_RUNTIME_DIR; stop it with Ctrl-C in its terminal",
		    (long long)run, rtdir, ce->msg);
		rc = EXIT_INTERNAL;
	}
	cJSON_Delete(r);
	return rc;
}

static int
cancel_send(struct client *c, int64_t run, bool force)
{
	cJSON *req = proto_msg_new(PROTO_CANCEL, NULL), *reply;
	const char *type, *status;
	struct err e;
	int rc = EXIT_OK;

	if (force)
		cJSON_AddTrueToObject(req, "force");
	reply = client_request(c, req, &e);
	cJSON_Delete(req);
	if (reply == NULL) {
		cmd_error("run %lld was not cancelled: %s", (long long)run, e.msg);
		return EXIT_INTERNAL;
	}
	type = json_str(reply, "type");
	status = json_str(reply, "status");
	if (strcmp(type, "error") == 0) {
		cmd_error("%s", json_str(reply, "message"));
		rc = strcmp(json_str(reply, "code"), "denied") == 0 ? EXIT_USAGE : EXIT_INTERNAL;
	} else if (strcmp(type, "ok") != 0) {
		cmd_error("run %lld: its process answered the cancel with a \"%s\" message",
		    (long long)run, type);
		rc = EXIT_INTERNAL;
	} else if (*status != '\0' && strcmp(status, "running") != 0) {
		rc = cancel_not_running(run, status);
	} else {
		printf("%s\n", json_str(reply, "message"));
	}
	cJSON_Delete(reply);
	return rc;
}

static int
cmd_cancel_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct client *c;
	struct err e;
	char *rtdir;
	int64_t run;
	cJSON *r;
	bool force = false, absent;
	int c_opt, rc;

	while ((c_opt = cmd_getopt(ctx, argc, argv, "f", options)) != -1) {
		if (c_opt != 'f')
			return EXIT_USAGE;
		force = true;
	}
	if (optind != argc - 1)
		return cmd_usage_error("cancel", optind >= argc ? "which run? give its number or "
		    "UUID prefix" : "give one run");
	if ((r = cancel_read_run(argv[optind], &run)) == NULL)
		return EXIT_USAGE;
	if (strcmp(json_str(r, "status"), "running") != 0) {
		rc = cancel_not_running(run, json_str(r, "status"));
		cJSON_Delete(r);
		return rc;
	}
	if ((rtdir = paths_runtime_dir(&e)) == NULL) {
		cmd_error("%s", e.msg);
		cJSON_Delete(r);
		return EXIT_INTERNAL;
	}
	c = client_connect(rtdir, json_str(r, "uuid"), &absent, &e);
	cJSON_Delete(r);
	if (c == NULL && absent)
		rc = cancel_no_socket(argv[optind], run, rtdir, &e);
	else if (c == NULL) {
		cmd_error("run %lld was not cancelled: %s", (long long)run, e.msg);
		rc = EXIT_INTERNAL;
	} else
		rc = cancel_send(c, run, force);
	client_free(c);
	free(rtdir);
	return rc;
}
