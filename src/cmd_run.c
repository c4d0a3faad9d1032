/* cmd_run.c - drover run FILE [-a NAME=VALUE]... : start a run.
 *
 * The workflow is checked and its args resolved before anything is
 * recorded.  On a terminal, and with --detach, the run goes on in a
 * process of its own (runproc.h) that outlives this one: the console
 * attaches to it, or --detach prints its number.  Otherwise (or with
 * --no-tui) the run goes on in this process, which prints one line per
 * change of state, or one JSON object per event with --json.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argspec.h"
#include "budget.h"
#include "cmd.h"
#include "fsutil.h"
#include "json.h"
#include "runner.h"
#include "runproc.h"
#include "wf.h"
#include "wf_print.h"
#include "xmalloc.h"
#include "ydoc.h"

static int cmd_run_exec(const struct cmd_ctx *, int, char **);

const struct command cmd_run_entry = {
	.name = "run",
	.usage = "FILE [-a NAME=VALUE]... [--args-file F] [OPTIONS]",
	.summary = "run a workflow",
	.help = "  -a, --arg NAME=VALUE   give an arg (converted to its declared type)\n"
	    "      --args-file F      read args from a YAML or JSON mapping\n"
	    "      --dry-run          check, resolve args, print the plan; run nothing\n"
	    "      --auto-approve     approve, as the invoking user, each gate they may decide\n"
	    "  -d, --detach           start the run in the background, print its number\n"
	    "      --json             one JSON object per event on standard output\n"
	    "      --no-tui           line output, not the console (the default off a terminal)\n"
	    "  -v, --verbose          print the steps' output lines too (line output)\n"
	    CMD_CONSOLE_HELP
	    "Exit status: 0 succeeded, 1 failed, 2 usage or validation error, 3 cancelled\n"
	    "or rejected, 4 timed out, 5 over budget, 70 internal error.\n",
	.handler = cmd_run_exec,
};

static const struct option options[] = {
	{ "arg", required_argument, NULL, 'a' },
	{ "args-file", required_argument, NULL, 'F' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "auto-approve", no_argument, NULL, 'A' },
	{ "detach", no_argument, NULL, 'd' },
	{ "json", no_argument, NULL, 'j' },
	{ "no-tui", no_argument, NULL, 'T' },
	{ "verbose", no_argument, NULL, 'v' },
	CMD_CONSOLE_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* Adds the values of an args file (a YAML or JSON mapping) to given. */
static int
read_args_file(const char *path, cJSON *given)
{
	struct err e;
	size_t len;
	char *text = fs_read_file_or_pipe(path, 1u << 20, &len, &e);
	struct ydoc *doc;
	struct ynode *root;

	if (text == NULL) {
		cmd_error("%s: %s", path, e.msg);
		return -1;
	}
	doc = ydoc_parse(text, len, NULL, NULL, &e);
	free(text);
	if (doc == NULL) {
		cmd_error("%s:%d:%d: %s", path, e.line, e.col, e.msg);
		return -1;
	}
	root = ydoc_root(doc);
	if (root != NULL && root->kind != YNODE_MAP) {
		cmd_error("%s: an args file is a mapping of NAME: VALUE, not %s", path,
		    ynode_describe(root));
		ydoc_free(doc);
		return -1;
	}
	for (size_t i = 0; root != NULL && i < root->n; i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(given, root->pairs[i].key->str);
		cJSON_AddItemToObject(given, root->pairs[i].key->str, ynode_to_json(root->pairs[i].val));
	}
	ydoc_free(doc);
	return 0;
}

static int
add_assignment(const char *text, cJSON *given)
{
	const char *eq = strchr(text, '=');
	char *name;

	if (eq == NULL || eq == text) {
		cmd_usage_error("run", "-a takes NAME=VALUE, not '%s'", text);
		return -1;
	}
	name = xstrndup(text, (size_t)(eq - text));
	cJSON_DeleteItemFromObjectCaseSensitive(given, name);
	cJSON_AddStringToObject(given, name, eq + 1);
	free(name);
	return 0;
}

/* -a values and an args file, resolved against the workflow's args; NULL
 * after printing why they do not fit.  Caller frees. */
static cJSON *
resolve_args(const struct workflow *wf, const char *args_file, char **assign, size_t n)
{
	cJSON *given = cJSON_CreateObject(), *args;
	struct err e;

	if (args_file != NULL && read_args_file(args_file, given) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (add_assignment(assign[i], given) < 0)
			goto fail;
	args = argspecs_resolve(&wf->args, given, &e);
	if (args == NULL) {
		cmd_error("%s", e.msg);
		goto fail;
	}
	cJSON_Delete(given);
	return args;
fail:
	cJSON_Delete(given);
	return NULL;
}

/* --dry-run's estimate of what the run may cost, per step that can say
 * and in total (SPEC 5.3): "$low - $high", or "$low or more" when a step
 * has no upper bound. */
static void
print_costs(const struct workflow *wf, const struct step_cost *est)
{
	double low = 0, high = 0;
	long long tlow = 0, thigh = 0;
	bool any = false, bounded = true;

	for (size_t i = 0; i < wf->n_steps; i++) {
		const struct cost_estimate *c = &est[i].c;

		if (!est[i].known)
			continue;
		if (!any)
			printf("\n\nestimated cost (prompt tokens taken as characters / 4):");
		any = true;
		printf("\n  %-20s $%.6f - ", wf->steps[i].id, c->low_usd);
		if (c->bounded)
			printf("$%.6f  (%lld - %lld tokens)", c->high_usd, c->tokens_low, c->tokens_high);
		else
			printf("no bound: no max_tokens  (%lld tokens or more)", c->tokens_low);
		if (!c->priced)
			printf("  [model not priced: $0]");
		low += c->low_usd;
		high += c->high_usd;
		tlow += c->tokens_low;
		thigh += c->tokens_high;
		bounded = bounded && c->bounded;
	}
	if (!any)
		return;
	printf("\n  %-20s $%.6f - ", "total", low);
	if (bounded)
		printf("$%.6f  (%lld - %lld tokens)", high, tlow, thigh);
	else
		printf("no bound  (%lld tokens or more)", tlow);
}

static void
print_plan(const struct workflow *wf, const cJSON *args, const struct step_cost *est)
{
	const cJSON *a;

	wf_print_levels(stdout, wf);
	printf("\nargs:");
	if (cJSON_GetArraySize(args) == 0)
		printf(" none");
	cJSON_ArrayForEach(a, args) {
		const struct arg_spec *s = argspecs_find(&wf->args, a->string);
		char *v = s != NULL && s->secret ? xstrdup("***") : json_text(a, false);

		printf("\n  %s = %s", a->string, v);
		free(v);
	}
	print_costs(wf, est);
	printf("\n\nnothing was run (--dry-run)\n");
}

/* The same as JSON: {"steps": [{"id", "level", "what", "cost": {...} or
 * null}], "args": {...}, "cost": {"low_usd", "high_usd", "tokens_low",
 * "tokens_high", "bounded"}}. */
static void
print_plan_json(const struct workflow *wf, const cJSON *args, const struct step_cost *est)
{
	cJSON *o = cJSON_CreateObject(), *steps = cJSON_AddArrayToObject(o, "steps"), *shown;
	cJSON *total = cJSON_CreateObject();
	double low = 0, high = 0, tlow = 0, thigh = 0;
	bool bounded = true;
	char *text;

	for (size_t i = 0; i < wf->n_steps; i++) {
		const struct cost_estimate *c = &est[i].c;
		cJSON *st = cJSON_CreateObject(), *co;
		char *what = wf_step_what(&wf->steps[i]);

		cJSON_AddItemToArray(steps, st);
		cJSON_AddStringToObject(st, "id", wf->steps[i].id);
		cJSON_AddNumberToObject(st, "level", wf->steps[i].level);
		cJSON_AddStringToObject(st, "what", what);
		free(what);
		if (!est[i].known) {
			cJSON_AddNullToObject(st, "cost");
			continue;
		}
		co = cJSON_AddObjectToObject(st, "cost");
		cJSON_AddNumberToObject(co, "low_usd", c->low_usd);
		cJSON_AddNumberToObject(co, "high_usd", c->high_usd);
		cJSON_AddNumberToObject(co, "tokens_low", (double)c->tokens_low);
		cJSON_AddNumberToObject(co, "tokens_high", (double)c->tokens_high);
		cJSON_AddBoolToObject(co, "bounded", c->bounded);
		cJSON_AddBoolToObject(co, "priced", c->priced);
		low += c->low_usd;
		high += c->high_usd;
		tlow += (double)c->tokens_low;
		thigh += (double)c->tokens_high;
		bounded = bounded && c->bounded;
	}
	shown = cJSON_Duplicate(args, true);
	for (cJSON *a = shown->child; a != NULL; a = a->next) {
		const struct arg_spec *s = argspecs_find(&wf->args, a->string);

		if (s != NULL && s->secret)
			cJSON_ReplaceItemInObjectCaseSensitive(shown, a->string,
			    cJSON_CreateString("***"));
	}
	cJSON_AddItemToObject(o, "args", shown);
	cJSON_AddNumberToObject(total, "low_usd", low);
	cJSON_AddNumberToObject(total, "high_usd", high);
	cJSON_AddNumberToObject(total, "tokens_low", tlow);
	cJSON_AddNumberToObject(total, "tokens_high", thigh);
	cJSON_AddBoolToObject(total, "bounded", bounded);
	cJSON_AddItemToObject(o, "cost", total);
	text = json_text(o, false);
	puts(text);
	free(text);
	cJSON_Delete(o);
}

static int
cmd_run_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_console *console = ctx->console;
	struct runner_opts ro;
	struct diags d = DIAGS_INIT;
	struct workflow *wf;
	char **assign = xcalloc((size_t)argc + 1, sizeof *assign);
	size_t n_assign = 0;
	const char *args_file = NULL;
	bool dry = false, no_tui = false, detach = false;
	cJSON *args = NULL;
	int c, status = EXIT_USAGE;

	memset(&ro, 0, sizeof ro);
	while ((c = cmd_getopt(ctx, argc, argv, "a:dv", options)) != -1) {
		switch (c) {
		case 'a':
			assign[n_assign++] = optarg;
			break;
		case 'F':
			args_file = optarg;
			break;
		case 'n':
			dry = true;
			break;
		case 'A':
			ro.auto_approve = true;
			break;
		case 'j':
			ro.json = true;
			break;
		case 'v':
			ro.verbose = true;
			break;
		case 'T':
			no_tui = true;
			break;
		case 'd':
			detach = true;
			break;
		default:
			if (console->option(c, optarg) > 0)
				break;
			free(assign);
			return EXIT_USAGE;
		}
	}
	if (detach && (no_tui || ro.json || ro.verbose)) {
		free(assign);
		return cmd_usage_error("run", "--detach shows nothing of the run here: leave out "
		    "--no-tui, --json and -v (drover logs RUN -f follows it)");
	}
	if (optind != argc - 1) {
		free(assign);
		return cmd_usage_error("run", optind >= argc ? "no workflow file given" :
		    "give one workflow file (args go with -a NAME=VALUE)");
	}
	wf = wf_load_file(argv[optind], &d);
	if (wf == NULL) {
		diags_sort(&d);
		diags_print(&d, stderr);
	} else if (wf->n_steps == 0) {
		cmd_error("%s holds tools, not a workflow", argv[optind]);
	} else if ((args = resolve_args(wf, args_file, assign, n_assign)) != NULL) {
		ro.wf = wf;
		ro.args = args;
		struct step_cost *est = dry ? xcalloc(wf->n_steps, sizeof *est) : NULL;

		/* Refuses exactly what a run would, before anything starts. */
		if ((status = runner_check(&ro, est)) != EXIT_OK)
			;	/* said why */
		else if (dry && ro.json)
			print_plan_json(wf, args, est);
		else if (dry)
			print_plan(wf, args, est);
		else
			status = runproc_go(console, &ro, detach, no_tui);
		free(est);
	}
	cJSON_Delete(args);
	wf_free(wf);
	diags_fini(&d);
	free(assign);
	return status;
}
