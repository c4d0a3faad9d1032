/* cmd_report.c - drover report profile RUN | cost [...] [--json] (SPEC 9):
 * the reports are built in report_*.c, as JSON, and printed from it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dur.h"
#include "event.h"
#include "report.h"
#include "show.h"
#include "store.h"
#include "termtext.h"

static int cmd_report_exec(const struct cmd_ctx *, int, char **);

const struct command cmd_report_entry = {
	.name = "report",
	.usage = "profile RUN | cost [--since DUR] [--workflow W] [--by step|model|workflow|day]"
	    " [--json]",
	.summary = "profile a run; what runs cost",
	.help = "profile RUN: each step's duration, cost, tokens and attempts against its\n"
	    "history (p50/p95 of the workflow's last 100 ended runs before it), verdicts\n"
	    "OK, SLOW, BOTTLENECK, FLAKY; the critical path, the parallel speedup, the\n"
	    "slowest and most expensive steps, and recommendations naming their step.\n"
	    "cost: runs started in the period, total, average, min and max per run, by\n"
	    "provider and model, by step with shares, the cache's hit rate and savings.\n"
	    "  -s, --since DUR    cost: runs started in the last DUR (7d, 12h); default all\n"
	    "  -w, --workflow W   cost: only runs of workflow W\n"
	    "  -b, --by WHAT      cost: the breakdown printed: step, model, workflow or day\n"
	    "                     (default: model and step; --json always has all four)\n"
	    "      --json         the report as one JSON object\n",
	.handler = cmd_report_exec,
};

static const struct option options[] = {
	{ "since", required_argument, NULL, 's' },
	{ "workflow", required_argument, NULL, 'w' },
	{ "by", required_argument, NULL, 'b' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

static int
parse_by(const char *v, enum report_by *by)
{
	static const char *const names[] = { [BY_STEP] = "step", [BY_MODEL] = "model",
	    [BY_WORKFLOW] = "workflow", [BY_DAY] = "day" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(v, names[i]) == 0) {
			*by = (enum report_by)i;
			return 0;
		}
	return cmd_usage_error("report", "--by takes step, model, workflow or day, not '%s'", v);
}

/* The report as JSON, or as text with whatever came from outside made
 * harmless on a terminal (termtext.h). */
static void
print(cJSON *r, bool json, void (*text)(FILE *, const cJSON *, const void *), const void *ud)
{
	if (json) {
		show_json(stdout, r);
		return;
	}
	if (isatty(STDOUT_FILENO))
		termtext_json(r, termtext_utf8_locale());
	text(stdout, r, ud);
}

static void
print_profile(FILE *fp, const cJSON *r, const void *ud)
{
	(void)ud;
	report_profile_print(fp, r);
}

static void
print_cost(FILE *fp, const cJSON *r, const void *ud)
{
	report_cost_print(fp, r, ud);
}

static int
cmd_report_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cost_query q = { 0 };
	bool json = false, cost_opts = false;
	const char *what;
	struct store *s;
	int64_t run = 0, ms;
	struct err e;
	cJSON *r;
	char *db;
	int c;

	while ((c = cmd_getopt(ctx, argc, argv, "s:w:b:", options)) != -1) {
		switch (c) {
		case 's':
			if (dur_parse(optarg, &ms, &e) < 0)
				return cmd_usage_error("report", "--since: %s", e.msg);
			q.since_us = event_now() - ms * 1000;
			cost_opts = true;
			break;
		case 'w':
			q.workflow = optarg;
			cost_opts = true;
			break;
		case 'b':
			if (parse_by(optarg, &q.by) != 0)
				return EXIT_USAGE;
			q.by_given = cost_opts = true;
			break;
		case 'j':
			json = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cmd_usage_error("report", "which report: profile RUN or cost?");
	what = argv[optind++];
	if (strcmp(what, "profile") == 0) {
		if (cost_opts)
			return cmd_usage_error("report", "--since, --workflow and --by are options "
			    "of 'report cost'");
		if (optind != argc - 1)
			return cmd_usage_error("report", optind >= argc ? "profile which run?" :
			    "unexpected argument '%s'", argv[argc - 1]);
		if ((s = cmd_open_run(argv[optind], &run)) == NULL)
			return EXIT_USAGE;
		r = report_profile(s, run, &e);
	} else if (strcmp(what, "cost") == 0) {
		if (optind != argc)
			return cmd_usage_error("report", "unexpected argument '%s'", argv[optind]);
		db = store_default_path();
		s = store_open(db, true, &e);
		free(db);
		if (s == NULL) {
			cmd_error("%s", e.msg);
			return EXIT_INTERNAL;
		}
		r = report_cost(s, &q, &e);
	} else {
		return cmd_usage_error("report", "there is no report '%s'; there are profile and "
		    "cost", what);
	}
	store_close(s);
	if (r == NULL) {
		cmd_error("%s", e.msg);
		return EXIT_INTERNAL;
	}
	if (strcmp(what, "profile") == 0)
		print(r, json, print_profile, NULL);
	else
		print(r, json, print_cost, &q);
	cJSON_Delete(r);
	return EXIT_OK;
}
