/* cmd_show.c - drover show RUN [--json]: one run in full. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "show.h"
#include "store.h"

static int cmd_show_exec(const struct cmd_ctx *, int, char **);

const struct command cmd_show_entry = {
	.name = "show",
	.usage = "RUN [--json]",
	.summary = "show one run: args, steps, attempts, approvals",
	.help = "RUN is the run's number or a unique prefix of its UUID.\n"
	    "  --json           the run as a JSON object\n",
	.handler = cmd_show_exec,
};

static const struct option options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_show_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	bool json = false;
	struct store *s;
	struct err e;
	int64_t run;
	cJSON *r;
	int c;

	while ((c = cmd_getopt(ctx, argc, argv, "", options)) != -1) {
		if (c != 'j')
			return EXIT_USAGE;
		json = true;
	}
	if (optind != argc - 1)
		return cmd_usage_error("show", optind >= argc ? "which run? give its number or "
		    "UUID prefix" : "give one run");
	if ((s = cmd_open_run(argv[optind], &run)) == NULL)
		return EXIT_USAGE;
	r = store_get_run(s, run, &e);
	store_close(s);
	if (r == NULL) {
		cmd_error("%s", e.msg);
		return EXIT_INTERNAL;
	}
	if (json)
		show_json(stdout, r);
	else
		show_run(stdout, r);
	cJSON_Delete(r);
	return EXIT_OK;
}
