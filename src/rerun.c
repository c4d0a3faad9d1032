/* rerun.c - loading a past run back from the history, and the command
 * line that asks for it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argspec.h"
#include "cmd.h"
#include "runner.h"
#include "event.h"
#include "rerun.h"
#include "runproc.h"
#include "store.h"
#include "wf.h"
#include "xmalloc.h"

/* The args of the run with secrets taken from -a (the history has ***). */
static cJSON *
rerun_args(const struct workflow *wf, const cJSON *recorded, char **assign, size_t n)
{
	cJSON *given = cJSON_CreateObject(), *args;
	const cJSON *a;
	struct err e;

	cJSON_ArrayForEach(a, recorded) {
		const struct arg_spec *s = argspecs_find(&wf->args, a->string);

		if (s != NULL && s->secret)
			continue;
		cJSON_AddItemToObject(given, a->string, cJSON_Duplicate(a, true));
	}
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(assign[i], '=');
		char *name;

		if (eq == NULL || eq == assign[i]) {
			cmd_error("-a takes NAME=VALUE, not '%s'", assign[i]);
			cJSON_Delete(given);
			return NULL;
		}
		name = xstrndup(assign[i], (size_t)(eq - assign[i]));
		cJSON_DeleteItemFromObjectCaseSensitive(given, name);
		cJSON_AddStringToObject(given, name, eq + 1);
		free(name);
	}
	for (size_t k = 0; k < wf->args.n; k++) {
		const struct arg_spec *s = &wf->args.v[k];

		if (s->secret && cJSON_GetObjectItemCaseSensitive(recorded, s->name) != NULL &&
		    cJSON_GetObjectItemCaseSensitive(given, s->name) == NULL) {
			cmd_error("arg '%s' is secret, so the history does not keep it: give it again "
			    "with -a %s=VALUE", s->name, s->name);
			cJSON_Delete(given);
			return NULL;
		}
	}
	args = argspecs_resolve(&wf->args, given, &e);
	if (args == NULL)
		cmd_error("%s", e.msg);
	cJSON_Delete(given);
	return args;
}

static double
number_or_0(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void
load_prior(struct rerun *rr)
{
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(rr->json, "steps"), *s;
	size_t i = 0;

	rr->prior = xcalloc(rr->wf->n_steps + 1, sizeof *rr->prior);
	cJSON_ArrayForEach(s, steps) {
		const cJSON *status = cJSON_GetObjectItemCaseSensitive(s, "status");
		const cJSON *attempts = cJSON_GetObjectItemCaseSensitive(s, "attempts");
		struct engine_prior *p;
		cJSON *res;
		int st;

		if (i >= rr->wf->n_steps)
			break;
		p = &rr->prior[i++];
		st = cJSON_IsString(status) ? step_status_parse(status->valuestring) : -1;
		p->status = st < 0 ? ST_PENDING : (enum step_status)st;
		p->attempts = cJSON_IsNumber(attempts) ? attempts->valueint : 0;
		p->cost_usd = number_or_0(s, "cost_usd");
		p->tokens = (long long)(number_or_0(s, "tokens_in") + number_or_0(s, "tokens_out"));
		res = cJSON_CreateObject();
		cJSON_AddStringToObject(res, "status", step_status_name(p->status));
		cJSON_AddItemToObject(res, "outputs", cJSON_Duplicate(
		    cJSON_GetObjectItemCaseSensitive(s, "outputs"), true));
		cJSON_AddItemToObject(res, "exit_code", cJSON_Duplicate(
		    cJSON_GetObjectItemCaseSensitive(s, "exit_code"), true));
		cJSON_AddItemToObject(res, "duration_ms", cJSON_Duplicate(
		    cJSON_GetObjectItemCaseSensitive(s, "duration_ms"), true));
		p->result = res;
	}
}

int
rerun_load(struct rerun *rr, const char *ref, char **assign, size_t n_assign)
{
	struct diags d = DIAGS_INIT;
	struct store *s;
	struct err e;
	char *text = NULL, *file = NULL;
	const cJSON *seq;
	size_t len;
	int rc = -1;

	memset(rr, 0, sizeof *rr);
	if ((s = cmd_open_run(ref, &rr->run)) == NULL)
		return -1;
	if ((rr->json = store_get_run(s, rr->run, &e)) == NULL ||
	    store_run_workflow(s, rr->run, &text, &len, &file, &e) < 0) {
		cmd_error("%s", e.msg);
		goto out;
	}
	rr->wf = wf_load_text(file, text, len, &d);
	if (rr->wf == NULL) {
		cmd_error("run %lld's workflow no longer loads (its tools may have changed):",
		    (long long)rr->run);
		diags_sort(&d);
		diags_print(&d, stderr);
		goto out;
	}
	rr->args = rerun_args(rr->wf, cJSON_GetObjectItemCaseSensitive(rr->json, "args"),
	    assign, n_assign);
	if (rr->args == NULL)
		goto out;
	seq = cJSON_GetObjectItemCaseSensitive(rr->json, "last_seq");
	rr->last_seq = cJSON_IsNumber(seq) ? (uint64_t)seq->valuedouble : 0;
	load_prior(rr);
	rc = 0;
out:
	free(text);
	free(file);
	diags_fini(&d);
	store_close(s);
	return rc;
}

void
rerun_fini(struct rerun *rr)
{
	for (size_t i = 0; rr->prior != NULL && i < rr->wf->n_steps; i++)
		cJSON_Delete(rr->prior[i].result);
	free(rr->prior);
	cJSON_Delete(rr->args);
	cJSON_Delete(rr->json);
	wf_free(rr->wf);
	memset(rr, 0, sizeof *rr);
}

int
rerun_request_parse(struct rerun_request *rq, const struct cmd_ctx *ctx, int argc, char **argv,
    const struct option *opts)
{
	int c;

	memset(rq, 0, sizeof *rq);
	rq->assign = xcalloc((size_t)argc + 1, sizeof *rq->assign);
	while ((c = cmd_getopt(ctx, argc, argv, "a:v", opts)) != -1) {
		switch (c) {
		case 'a':
			rq->assign[rq->n_assign++] = optarg;
			break;
		case 'A':
			rq->ro.auto_approve = true;
			break;
		case 'j':
			rq->ro.json = true;
			break;
		case 'v':
			rq->ro.verbose = true;
			break;
		case 'd':
			rq->detach = true;
			break;
		case 'T':
			rq->no_tui = true;
			break;
		case 'f':
			rq->from = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (rq->detach && (rq->no_tui || rq->ro.json || rq->ro.verbose))
		return cmd_usage_error(ctx->cmd->name, "--detach shows nothing of the run here: "
		    "leave out --no-tui, --json and -v (drover logs RUN -f follows it)");
	if (optind != argc - 1)
		return cmd_usage_error(ctx->cmd->name, "give the run to %s", ctx->cmd->name);
	rq->ref = argv[optind];
	return EXIT_OK;
}

void
rerun_request_fini(struct rerun_request *rq)
{
	free(rq->assign);
}

int
rerun_go(const struct cmd_ctx *ctx, struct rerun_request *rq)
{
	return runproc_go(ctx->console, &rq->ro, rq->detach, rq->no_tui);
}
