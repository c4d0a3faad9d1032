/* cmd_show.c - drover show RUN [--json]: one run in full. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "diag.h"
#include "json.h"
#include "show.h"
#include "step_kinds.h"
#include "store.h"
#include "wf.h"

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

/* What people must know of a step: what the workflow, as the run recorded
 * it, says (step_kinds.h, notice), or that its model had no price (its
 * outputs say priced: false): a "notice" of the step.  A workflow that no
 * longer loads (its tools changed) says nothing. */
static void
add_notices(struct store *s, int64_t run, cJSON *r)
{
	struct diags d = DIAGS_INIT;
	struct workflow *wf = NULL;
	char *text = NULL, *file = NULL;
	size_t len;
	struct err e;
	cJSON *st;

	if (store_run_workflow(s, run, &text, &len, &file, &e) == 0)
		wf = wf_load_text(file, text, len, &d);
	cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(r, "steps")) {
		const struct step *step = wf != NULL && json_str(st, "id") != NULL ?
		    wf_find_step(wf, json_str(st, "id")) : NULL;
		const struct body *b = step != NULL ? step_kinds_target(&step->body) : NULL;
		const char *n = b != NULL && b->kind->notice != NULL ? b->kind->notice(b) : NULL;
		const cJSON *outputs = cJSON_GetObjectItemCaseSensitive(st, "outputs");

		if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(outputs, "priced")))
			n = "model not priced: its cost counts as 0";
		if (n != NULL)
			cJSON_AddStringToObject(st, "notice", n);
	}
	wf_free(wf);
	diags_fini(&d);
	free(text);
	free(file);
}

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
	if (r != NULL)
		add_notices(s, run, r);
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
