/* cmd_ls.c - drover ls: runs, newest first, after the live ones (those
 * with a gate the caller may decide first); drover ls --waiting: the
 * gates the caller may decide, in every live run. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approvers.h"
#include "cmd.h"
#include "dur.h"
#include "event.h"
#include "json.h"
#include "show.h"
#include "store.h"

static int cmd_ls_exec(const struct cmd_ctx *, int, char **);

const struct command cmd_ls_entry = {
	.name = "ls",
	.usage = "[--status S] [--workflow W] [--since DUR] [--limit N] [--waiting] [--json]",
	.summary = "list runs: live ones first, then newest first",
	.help = "Live runs come first, those with a gate you may decide (\"waiting for you\")\n"
	    "before the others.\n"
	    "  --status S       only runs with this status (running, succeeded, failed,\n"
	    "                   cancelled, rejected, timed_out, budget_exceeded, interrupted)\n"
	    "  --workflow W     only runs of this workflow\n"
	    "  --since DUR      only runs started within DUR (30m, 7d)\n"
	    "  -n, --limit N    at most N runs (default 50; 0: all)\n"
	    "  --waiting        the gates you may decide, in every live run\n"
	    "  --json           a JSON array\n",
	.handler = cmd_ls_exec,
};

static const struct option options[] = {
	{ "status", required_argument, NULL, 's' },
	{ "workflow", required_argument, NULL, 'w' },
	{ "since", required_argument, NULL, 'S' },
	{ "limit", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "waiting", no_argument, NULL, 'W' },
	{ NULL, 0, NULL, 0 },
};

/* The gates of waiting that the invoking user may decide; takes waiting. */
static cJSON *
gates_for_me(cJSON *waiting)
{
	cJSON *mine = cJSON_CreateArray(), *g;

	while ((g = cJSON_DetachItemFromArray(waiting, 0)) != NULL) {
		if (approvers_gate_open_to_self(cJSON_GetObjectItemCaseSensitive(g, "gate")))
			cJSON_AddItemToArray(mine, g);
		else
			cJSON_Delete(g);
	}
	cJSON_Delete(waiting);
	return mine;
}

static bool
run_in(const cJSON *runs, double id, const char *key)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, runs)
		if (json_num(r, key, 0) == id)
			return true;
	return false;
}

/* The live runs, those with a gate for the caller first: a new array, or
 * NULL with e set. */
static cJSON *
live_runs(struct store *s, struct err *e)
{
	struct store_filter lf = { .status = "running" };
	cJSON *live = store_list_runs(s, &lf, e), *waiting, *out, *r;

	if (live == NULL || (waiting = store_waiting_gates(s, e)) == NULL) {
		cJSON_Delete(live);
		return NULL;
	}
	waiting = gates_for_me(waiting);
	out = cJSON_CreateArray();
	for (int pass = 0; pass < 2; pass++) {
		cJSON_ArrayForEach(r, live) {
			bool mine = run_in(waiting, json_num(r, "id", 0), "run");

			if (mine != (pass == 0))
				continue;
			r = cJSON_Duplicate(r, true);
			if (mine)
				cJSON_AddTrueToObject(r, "waiting_for_you");
			cJSON_AddItemToArray(out, r);
		}
	}
	cJSON_Delete(live);
	cJSON_Delete(waiting);
	return out;
}

/* The runs as they come from the history, after the live ones. */
struct ls_out {
	struct show_list list;
	const cJSON *live;	/* printed first: not again */
	int limit;		/* in all; 0: no limit */
};

static int
ls_row(void *ud, cJSON *run)
{
	struct ls_out *o = ud;

	if (o->limit > 0 && o->list.n >= (size_t)o->limit) {
		cJSON_Delete(run);
		return 1;
	}
	if (o->live != NULL && run_in(o->live, json_num(run, "id", 0), "id"))
		cJSON_Delete(run);
	else
		show_list_run(&o->list, run);
	return 0;
}

/* Streams the runs f chooses; a plain list (no status, no time) has the
 * live runs first. */
static int
list_runs(struct store *s, struct store_filter *f, bool json, struct err *e)
{
	struct ls_out o = { .limit = f->limit };
	cJSON *live = NULL, *r;
	int rc;

	if (f->status == NULL && f->since_us == 0) {
		if ((live = live_runs(s, e)) == NULL)
			return -1;
		f->limit = 0;	/* ls_row counts, the live runs too */
	}
	show_list_begin(&o.list, stdout, json);
	cJSON_ArrayForEach(r, live)
		if (ls_row(&o, cJSON_Duplicate(r, true)) != 0)
			break;
	o.live = live;
	rc = store_each_run(s, f, ls_row, &o, e);
	show_list_end(&o.list);
	cJSON_Delete(live);
	return rc;
}

static int
cmd_ls_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_filter f = { .limit = 50 };
	bool json = false, waiting = false;
	struct store *s;
	struct err e;
	cJSON *runs;
	char *db, *end;
	int c, rc;
	int64_t ms;

	while ((c = cmd_getopt(ctx, argc, argv, "n:", options)) != -1) {
		switch (c) {
		case 's':
			if (run_status_parse(optarg) < 0)
				return cmd_usage_error("ls", "unknown status '%s' (running, succeeded, "
				    "failed, cancelled, rejected, timed_out, budget_exceeded or "
				    "interrupted)", optarg);
			f.status = optarg;
			break;
		case 'w':
			f.workflow = optarg;
			break;
		case 'S':
			if (dur_parse(optarg, &ms, &e) < 0)
				return cmd_usage_error("ls", "--since: %s", e.msg);
			f.since_us = event_now() - ms * 1000;
			break;
		case 'n':
			f.limit = (int)strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || f.limit < 0)
				return cmd_usage_error("ls", "--limit takes a number, not '%s'", optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'W':
			waiting = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cmd_usage_error("ls", "unexpected argument '%s'", argv[optind]);
	db = store_default_path();
	s = store_open(db, true, &e);
	free(db);
	if (s == NULL) {
		cmd_error("%s", e.msg);
		return EXIT_INTERNAL;
	}
	if (!waiting) {
		rc = list_runs(s, &f, json, &e);
		store_close(s);
		if (rc < 0) {
			cmd_error("%s", e.msg);
			return EXIT_INTERNAL;
		}
		return EXIT_OK;
	}
	runs = store_waiting_gates(s, &e);
	if (runs != NULL)
		runs = gates_for_me(runs);
	store_close(s);
	if (runs == NULL) {
		cmd_error("%s", e.msg);
		return EXIT_INTERNAL;
	}
	if (json)
		show_json(stdout, runs);
	else
		show_gates_table(stdout, runs);
	cJSON_Delete(runs);
	return EXIT_OK;
}
