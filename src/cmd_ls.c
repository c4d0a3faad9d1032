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

/* runs, after the live runs: first those with a gate for the caller, then
 * the others; at most limit in all (0: no limit).  Takes runs. */
static cJSON *
live_first(struct store *s, cJSON *runs, int limit, struct err *e)
{
	struct store_filter lf = { .status = "running" };
	cJSON *live = store_list_runs(s, &lf, e), *waiting, *out, *r;

	if (live == NULL || (waiting = store_waiting_gates(s, e)) == NULL) {
		cJSON_Delete(live);
		cJSON_Delete(runs);
		return NULL;
	}
	waiting = gates_for_me(waiting);
	out = cJSON_CreateArray();
	for (int pass = 0; pass < 2; pass++) {
		cJSON_ArrayForEach(r, live) {
			bool mine = run_in(waiting, json_num(r, "id", 0), "run");
			const char *st = json_str(r, "status");

			if (st == NULL || strcmp(st, "running") != 0 || mine != (pass == 0))
				continue;
			r = cJSON_Duplicate(r, true);
			if (mine)
				cJSON_AddTrueToObject(r, "waiting_for_you");
			cJSON_AddItemToArray(out, r);
		}
	}
	cJSON_ArrayForEach(r, runs)
		if (!run_in(out, json_num(r, "id", 0), "id"))
			cJSON_AddItemToArray(out, cJSON_Duplicate(r, true));
	while (limit > 0 && cJSON_GetArraySize(out) > limit)
		cJSON_DeleteItemFromArray(out, limit);
	cJSON_Delete(live);
	cJSON_Delete(waiting);
	cJSON_Delete(runs);
	return out;
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
	int c;
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
	if (waiting) {
		runs = store_waiting_gates(s, &e);
		if (runs != NULL)
			runs = gates_for_me(runs);
	} else {
		runs = store_list_runs(s, &f, &e);
		/* A list of one status (or of a time) is that list as it is. */
		if (runs != NULL && f.status == NULL && f.since_us == 0)
			runs = live_first(s, runs, f.limit, &e);
	}
	store_close(s);
	if (runs == NULL) {
		cmd_error("%s", e.msg);
		return EXIT_INTERNAL;
	}
	if (json)
		show_json(stdout, runs);
	else if (waiting)
		show_gates_table(stdout, runs);
	else
		show_runs_table(stdout, runs);
	cJSON_Delete(runs);
	return EXIT_OK;
}
