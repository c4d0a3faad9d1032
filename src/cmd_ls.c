/* cmd_ls.c - drover ls: runs, newest first. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dur.h"
#include "event.h"
#include "show.h"
#include "store.h"

static int cmd_ls_exec(const struct cmd_ctx *, int, char **);

const struct command cmd_ls_entry = {
	.name = "ls",
	.usage = "[--status S] [--workflow W] [--since DUR] [--limit N] [--json]",
	.summary = "list runs, newest first",
	.help = "  --status S       only runs with this status (running, succeeded, failed,\n"
	    "                   cancelled, rejected, timed_out, budget_exceeded, interrupted)\n"
	    "  --workflow W     only runs of this workflow\n"
	    "  --since DUR      only runs started within DUR (30m, 7d)\n"
	    "  -n, --limit N    at most N runs (default 50; 0: all)\n"
	    "  --json           a JSON array\n",
	.handler = cmd_ls_exec,
};

static const struct option options[] = {
	{ "status", required_argument, NULL, 's' },
	{ "workflow", required_argument, NULL, 'w' },
	{ "since", required_argument, NULL, 'S' },
	{ "limit", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_ls_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_filter f = { .limit = 50 };
	bool json = false;
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
	runs = store_list_runs(s, &f, &e);
	store_close(s);
	if (runs == NULL) {
		cmd_error("%s", e.msg);
		return EXIT_INTERNAL;
	}
	if (json)
		show_json(stdout, runs);
	else
		show_runs_table(stdout, runs);
	cJSON_Delete(runs);
	return EXIT_OK;
}
