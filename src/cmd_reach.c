/* cmd_reach.c - a command's way to a live run's process (cmd_reach.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "cmd_reach.h"
#include "paths.h"
#include "runner.h"
#include "share.h"
#include "store.h"

static const char *
str_of(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* The run as the history has it now; NULL after saying why not. */
static cJSON *
read_run(const char *ref, int64_t *run)
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

int
cmd_reach_not_running(int64_t run, const char *status, const char *what)
{
	if (strcmp(status, "interrupted") == 0)
		cmd_error("run %lld cannot be %s: its drover process ended before the run did "
		    "(it is interrupted); 'drover resume %lld' continues it", (long long)run, what,
		    (long long)run);
	else
		cmd_error("run %lld cannot be %s: it is not running (it ended %s)", (long long)run,
		    what, status);
	return EXIT_USAGE;
}

/* Nobody serves the run's socket although the history had it running. */
static int
no_socket(const char *ref, int64_t run, const char *rtdir, const char *what,
    const struct err *ce)
{
	int64_t again;
	cJSON *r = read_run(ref, &again);
	const char *status, *host;
	int rc;

	if (r == NULL)
		return EXIT_USAGE;
	status = str_of(r, "status");
	host = str_of(r, "host");
	if (strcmp(status, "running") != 0) {		/* it ended a moment ago */
		rc = cmd_reach_not_running(run, status, what);
	} else if (strcmp(host, runner_host()) != 0) {
		cmd_error("run %lld runs on host %s: it can be %s only there", (long long)run,
		    host, what);
		rc = EXIT_USAGE;
	} else {
		cmd_error("run %lld is running, but its drover process serves no control socket in "
		    "%s (%s): it was started by an older drover, or with another "
		    "DROVER_RUNTIME_DIR or XDG_RUNTIME_DIR", (long long)run, rtdir, ce->msg);
		rc = EXIT_INTERNAL;
	}
	cJSON_Delete(r);
	return rc;
}

struct client *
cmd_reach_run(const char *ref, const char *what, int64_t *run, int *rc)
{
	struct client *c = NULL;
	struct err e;
	char *rtdir;
	cJSON *r;
	bool absent;

	*rc = EXIT_USAGE;
	if ((r = read_run(ref, run)) == NULL)
		return NULL;
	if (strcmp(str_of(r, "status"), "running") != 0) {
		*rc = cmd_reach_not_running(*run, str_of(r, "status"), what);
	} else if ((rtdir = share_runtime_dir(&e)) == NULL) {
		cmd_error("%s", e.msg);
		*rc = EXIT_INTERNAL;
	} else {
		c = client_connect(rtdir, str_of(r, "uuid"), &absent, &e);
		if (c == NULL && absent) {
			*rc = no_socket(ref, *run, rtdir, what, &e);
		} else if (c == NULL) {
			cmd_error("run %lld was not %s: %s", (long long)*run, what, e.msg);
			*rc = EXIT_INTERNAL;
		}
		free(rtdir);
	}
	cJSON_Delete(r);
	return c;
}

cJSON *
cmd_reach_ask(struct client *c, int64_t run, const char *what, const cJSON *req, int *rc)
{
	struct err e;
	cJSON *reply = client_request(c, req, &e);
	const char *type;

	if (reply == NULL) {
		cmd_error("run %lld was not %s: %s", (long long)run, what, e.msg);
		*rc = EXIT_INTERNAL;
		return NULL;
	}
	type = str_of(reply, "type");
	if (strcmp(type, "ok") == 0) {
		*rc = EXIT_OK;
		return reply;
	}
	if (strcmp(type, "error") == 0) {
		cmd_error("%s", str_of(reply, "message"));
		*rc = strcmp(str_of(reply, "code"), "denied") == 0 ? EXIT_USAGE : EXIT_INTERNAL;
	} else {
		cmd_error("run %lld: its process answered with a \"%s\" message", (long long)run,
		    type);
		*rc = EXIT_INTERNAL;
	}
	cJSON_Delete(reply);
	return NULL;
}

void
cmd_reach_said(const cJSON *reply)
{
	printf("%s\n", str_of(reply, "message"));
}
