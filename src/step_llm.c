/* step_llm.c - `llm` steps: a chat completion on an OpenAI-compatible
 * endpoint (SPEC 5.3).
 *
 * The endpoint is the step's base_url, else its provider's (config
 * `providers:`); drover POSTs to BASE/chat/completions, with
 * "Authorization: Bearer KEY" when an api_key_env names the key, which is
 * then a secret of the run.  The transcript (what was asked, what came
 * back) is the step's log; the reply's usage, priced from the pricing
 * file, is the step's cost.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "conf.h"
#include "engine.h"
#include "exec.h"
#include "json.h"
#include "netcall.h"
#include "pricing.h"
#include "step_kinds.h"
#include "strbuf.h"
#include "wf.h"
#include "wf_read.h"
#include "xmalloc.h"
#include "ydoc.h"

#define LLM_DEFAULT_TIMEOUT_MS (10 * 60 * 1000)
#define LLM_REPLY_KEEP (4 * 1024 * 1024)

struct llm_spec {
	char *provider;
	struct ynode *base_url, *model, *system, *prompt, *messages;	/* templated */
	char *api_key_env;
	long long max_tokens;	/* 0: not set */
	double temperature;
	bool has_temperature, json_format;
	int64_t timeout_ms;
};

/* Where the step sends, and with which key variable (or NULL). */
static const struct provider *
llm_provider(struct run *r, const struct llm_spec *l)
{
	const struct conf *c = run_opts(r)->conf;

	return l->provider != NULL && c != NULL ? conf_provider(c, l->provider) : NULL;
}

static const char *
llm_key_env(struct run *r, const struct llm_spec *l)
{
	const struct provider *p = llm_provider(r, l);

	return l->api_key_env != NULL ? l->api_key_env : p != NULL ? p->api_key_env : NULL;
}

/* Before the run: the provider is configured, the key is there (and is
 * from now on a secret of the run), the prices can be read. */
static int
llm_check(struct run *r, size_t i, const struct body *b, struct err *e)
{
	const struct llm_spec *l = b->spec;
	const char *id = run_opts(r)->wf->steps[i].id;
	const char *var, *key;

	if (l->provider != NULL && l->base_url == NULL && llm_provider(r, l) == NULL)
		return err_set(e, "step '%s' uses provider '%s', which the configuration does not "
		    "define (providers: {%s: {base_url: URL, api_key_env: VARIABLE}})", id,
		    l->provider, l->provider);
	if (run_opts(r)->wf->budget.given && l->max_tokens == 0)
		return err_set(e, "step '%s' has no max_tokens, so what it may cost cannot be "
		    "known, and the workflow has a budget (limits.budget): give it max_tokens", id);
	if ((var = llm_key_env(r, l)) != NULL) {
		if ((key = getenv(var)) == NULL || *key == '\0')
			return err_set(e, "step '%s' needs its API key in $%s, which is not set", id,
			    var);
		if (run_add_secret(r, key, e) < 0)
			return -1;
	}
	return run_prices(r, e) != NULL ? 0 : -1;
}

/* ---- the request ---- */

static cJSON *
llm_messages(struct run *r, size_t i, const struct llm_spec *l, struct err *e)
{
	cJSON *msgs, *m;
	char *text;

	if (l->messages != NULL) {
		cJSON *it;

		/* A content that renders to a number or a list is sent as its text. */
		if ((msgs = step_render(r, i, l->messages, e)) == NULL)
			return NULL;
		cJSON_ArrayForEach(it, msgs) {
			const cJSON *content = cJSON_GetObjectItemCaseSensitive(it, "content");

			if (!cJSON_IsString(content)) {
				char *t = expr_value_text(content);

				cJSON_ReplaceItemInObjectCaseSensitive(it, "content", cJSON_CreateString(t));
				free(t);
			}
		}
		return msgs;
	}
	msgs = cJSON_CreateArray();
	if (l->system != NULL) {
		if ((text = step_render_text(r, i, l->system, TMPL_TEXT, e)) == NULL)
			goto fail;
		cJSON_AddItemToArray(msgs, m = cJSON_CreateObject());
		cJSON_AddStringToObject(m, "role", "system");
		cJSON_AddStringToObject(m, "content", text);
		free(text);
	}
	if ((text = step_render_text(r, i, l->prompt, TMPL_TEXT, e)) == NULL)
		goto fail;
	cJSON_AddItemToArray(msgs, m = cJSON_CreateObject());
	cJSON_AddStringToObject(m, "role", "user");
	cJSON_AddStringToObject(m, "content", text);
	free(text);
	return msgs;
fail:
	cJSON_Delete(msgs);
	return NULL;
}

/* The endpoint: the step's base_url, else the provider's; caller frees. */
static char *
llm_url(struct run *r, size_t i, const struct llm_spec *l, struct err *e)
{
	const struct provider *p = llm_provider(r, l);
	char *base = l->base_url != NULL ?
	    step_render_text(r, i, l->base_url, TMPL_TEXT, e) : xstrdup(p->base_url);
	size_t n;
	char *url;

	if (base == NULL)
		return NULL;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	url = xasprintf("%.*s/chat/completions", (int)n, base);
	free(base);
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		err_set(e, "the base_url '%s' does not start with http:// or https://", url);
		free(url);
		return NULL;
	}
	return url;
}

struct llm_call {
	struct netcall c;	/* first: netcall_stop_attempt */
	const struct llm_spec *l;
	char *model;		/* as asked for */
};

static void
log_messages(struct netcall *c, const cJSON *msgs)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, msgs) {
		const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
		const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");

		netcall_logf(c, STREAM_STDOUT, "[%s] %s", cJSON_IsString(role) ? role->valuestring :
		    "?", cJSON_IsString(content) ? content->valuestring : "");
	}
}

static void on_reply(struct attempt *a, struct http_response *res);

/* The request's body for step i now: {model, messages, max_tokens,
 * temperature, response_format}. */
static cJSON *
llm_request(struct run *r, size_t i, const struct llm_spec *l, struct err *e)
{
	char *model = step_render_text(r, i, l->model, TMPL_TEXT, e);
	cJSON *req, *msgs;

	if (model == NULL || (msgs = llm_messages(r, i, l, e)) == NULL) {
		free(model);
		return NULL;
	}
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "model", model);
	cJSON_AddItemToObject(req, "messages", msgs);
	if (l->max_tokens > 0)
		cJSON_AddNumberToObject(req, "max_tokens", (double)l->max_tokens);
	if (l->has_temperature)
		cJSON_AddNumberToObject(req, "temperature", l->temperature);
	if (l->json_format)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(req, "response_format"), "type",
		    "json_object");
	free(model);
	return req;
}

static int
llm_start(struct attempt *a, struct err *e)
{
	const struct llm_spec *l = a->body->spec;
	struct llm_call *lc = xcalloc(1, sizeof *lc);
	const char *var = llm_key_env(a->run, l);
	struct http_request rq = { .method = "POST", .keep = LLM_REPLY_KEEP };
	const char *headers[2] = { "Content-Type: application/json", NULL };
	char *url = NULL, *auth = NULL, *body = NULL, *line;
	cJSON *req = NULL;
	int rc = -1;

	lc->l = l;
	lc->c.a = a;
	a->state = lc;
	if ((url = llm_url(a->run, a->step, l, e)) == NULL ||
	    (req = llm_request(a->run, a->step, l, e)) == NULL)
		goto out;
	lc->model = xstrdup(json_str(req, "model"));
	body = json_text(req, false);
	rq.url = url;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.headers = headers;
	rq.n_headers = 1;
	if (var != NULL) {
		headers[1] = auth = xasprintf("Authorization: Bearer %s", getenv(var) != NULL ?
		    getenv(var) : "");
		rq.n_headers = 2;
	}
	rq.timeout_ms = l->timeout_ms;
	if (rq.timeout_ms == 0 && a->body->timeout_ms == 0)
		rq.timeout_ms = LLM_DEFAULT_TIMEOUT_MS;
	line = xasprintf("> POST %s (model %s)", url, lc->model);
	rc = netcall_send(&lc->c, a, &rq, line, on_reply, e);
	free(line);
	if (rc == 0)
		log_messages(&lc->c, cJSON_GetObjectItemCaseSensitive(req, "messages"));
out:
	cJSON_Delete(req);
	free(url);
	free(auth);
	free(body);
	return rc;
}

/* For the cache: where it goes and what it asks. */
static char *
llm_inputs(struct run *r, size_t i, const struct body *b, struct err *e)
{
	const struct llm_spec *l = b->spec;
	char *url = llm_url(r, i, l, e), *text = NULL;
	cJSON *req = url != NULL ? llm_request(r, i, l, e) : NULL;

	if (req != NULL) {
		cJSON_AddStringToObject(req, "url", url);
		text = json_text(req, false);
	}
	cJSON_Delete(req);
	free(url);
	return text;
}

/* ---- what it may cost ---- */

/* The characters of what will be sent: rendered, or as written when that
 * cannot be done yet (a --dry-run does not know other steps' outputs). */
static size_t
prompt_chars(struct run *r, size_t i, const struct llm_spec *l)
{
	struct err e;
	cJSON *msgs = llm_messages(r, i, l, &e), *m;
	size_t n = 0;

	if (msgs == NULL) {
		const struct ynode *nodes[] = { l->system, l->prompt };

		for (size_t k = 0; k < 2; k++)
			n += nodes[k] != NULL ? nodes[k]->len : 0;
		for (size_t k = 0; l->messages != NULL && k < l->messages->n; k++)
			n += ynode_get(l->messages->items[k], "content")->len;
		return n;
	}
	cJSON_ArrayForEach(m, msgs) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content");

		n += cJSON_IsString(c) ? strlen(c->valuestring) : 0;
	}
	cJSON_Delete(msgs);
	return n;
}

/* SPEC 5.3: prompt tokens taken as characters / 4; the shortest reply is
 * one token, the longest max_tokens. */
static bool
llm_estimate(struct run *r, size_t i, const struct body *b, struct cost_estimate *out)
{
	const struct llm_spec *l = b->spec;
	struct err e;
	char *model = step_render_text(r, i, l->model, TMPL_TEXT, &e);
	const struct price *pr = prices_find(run_prices(r, &e), model != NULL ? model :
	    l->model->str);
	long long in = (long long)((prompt_chars(r, i, l) + 3) / 4);

	out->tokens_low = in + 1;
	out->tokens_high = in + l->max_tokens;
	out->low_usd = price_cost(pr, in, 1);
	out->high_usd = price_cost(pr, in, l->max_tokens);
	out->priced = pr != NULL;
	out->bounded = l->max_tokens > 0;
	free(model);
	return true;
}

/* ---- the reply ---- */

static long long
usage_of(const cJSON *usage, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(usage, key);

	return cJSON_IsNumber(v) && v->valuedouble >= 0 ? (long long)v->valuedouble : 0;
}

/* A 2xx reply: the completion, its usage and its cost. */
static void
take_reply(struct llm_call *lc, const struct http_response *res, struct attempt_result *out)
{
	struct attempt *a = lc->c.a;
	cJSON *reply = cJSON_ParseWithLength(res->body, res->len);
	const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(reply,
	    "choices"), 0);
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(choice, "message");
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(reply, "model");
	const cJSON *finish = cJSON_GetObjectItemCaseSensitive(choice, "finish_reason");
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(reply, "usage");
	const char *priced_as = cJSON_IsString(model) ? model->valuestring : lc->model;
	const struct prices *prices = run_prices(a->run, NULL);	/* read by llm_check */
	const struct price *pr;
	cJSON *u, *json = NULL;

	/* What the reply says it used is paid for, whatever follows. */
	out->tokens_in = usage_of(usage, "prompt_tokens");
	out->tokens_out = usage_of(usage, "completion_tokens");
	pr = prices_find(prices, priced_as);
	if (pr == NULL)
		pr = prices_find(prices, lc->model);
	out->cost_usd = price_cost(pr, out->tokens_in, out->tokens_out);
	if (!cJSON_IsString(content)) {
		out->status = ST_FAILED;
		out->error = res->total_len > res->len ?
		    xasprintf("the reply is longer than %d MiB", LLM_REPLY_KEEP >> 20) :
		    xstrdup(reply == NULL ? "the reply is not JSON" :
		    "the reply holds no choices[0].message.content");
		cJSON_Delete(reply);
		return;
	}
	netcall_logf(&lc->c, STREAM_STDOUT, "[assistant] %s", content->valuestring);
	if (lc->l->json_format &&
	    (json = cJSON_Parse(content->valuestring)) == NULL) {
		out->status = ST_FAILED;
		out->error = xstrdup("response_format is json, and the reply's text is not JSON");
		cJSON_Delete(reply);
		return;
	}
	out->status = ST_SUCCEEDED;
	out->outputs = cJSON_CreateObject();
	cJSON_AddStringToObject(out->outputs, "text", content->valuestring);
	cJSON_AddItemToObject(out->outputs, "json", json != NULL ? json : cJSON_CreateNull());
	cJSON_AddStringToObject(out->outputs, "model", priced_as);
	cJSON_AddStringToObject(out->outputs, "provider", lc->l->provider != NULL ?
	    lc->l->provider : lc->c.endpoint != NULL ? lc->c.endpoint : "");
	if (cJSON_IsString(finish))
		cJSON_AddStringToObject(out->outputs, "finish_reason", finish->valuestring);
	else
		cJSON_AddNullToObject(out->outputs, "finish_reason");
	u = cJSON_AddObjectToObject(out->outputs, "usage");
	cJSON_AddNumberToObject(u, "prompt_tokens", (double)out->tokens_in);
	cJSON_AddNumberToObject(u, "completion_tokens", (double)out->tokens_out);
	cJSON_AddNumberToObject(u, "total_tokens", (double)(out->tokens_in + out->tokens_out));
	cJSON_AddNumberToObject(out->outputs, "cost_usd", out->cost_usd);
	cJSON_AddBoolToObject(out->outputs, "priced", pr != NULL);
	netcall_logf(&lc->c, STREAM_STDERR, "< %lld tokens in, %lld out, $%.6f%s",
	    out->tokens_in, out->tokens_out, out->cost_usd, pr != NULL ? "" : " (not priced)");
	if (pr == NULL)
		run_note(a->run, "warning", "step '%s': model '%s' has no price in the pricing "
		    "file or the configuration: its cost counts as 0",
		    run_opts(a->run)->wf->steps[a->step].id, priced_as);
	if (usage == NULL)
		run_note(a->run, "warning", "step '%s': the reply says nothing of its usage: its "
		    "tokens and cost count as 0", run_opts(a->run)->wf->steps[a->step].id);
	cJSON_Delete(reply);
}

static void
on_reply(struct attempt *a, struct http_response *res)
{
	struct llm_call *lc = a->state;
	struct attempt_result out = { .exit_code = -1 };

	if (res->status != 0)
		netcall_logf(&lc->c, STREAM_STDERR, "< HTTP %d in %lld ms", res->status,
		    (long long)res->elapsed_ms);
	netcall_judge(res, NULL, 0, &out);
	if (out.status == ST_SUCCEEDED) {
		take_reply(lc, res, &out);
	} else if (res->status != 0 && res->len > 0) {
		netcall_log(&lc->c, STREAM_STDERR, res->body, res->len);
	} else if (res->status == 0) {
		netcall_logf(&lc->c, STREAM_STDERR, "%s", out.error);
	}
	if (out.outputs == NULL)
		out.outputs = cJSON_CreateObject();
	http_response_fini(res);
	attempt_done(a, &out);
}

static void
llm_call_free(struct attempt *a)
{
	struct llm_call *lc = a->state;

	if (lc == NULL)
		return;
	netcall_fini(&lc->c);
	free(lc->model);
	free(lc);
	a->state = NULL;
}

/* For a gate: the prompt that will be sent, secrets masked. */
static char *
llm_describe(struct attempt *a)
{
	const struct llm_spec *l = a->body->spec;
	struct strbuf sb = STRBUF_INIT;
	struct err e;
	char *model = step_render_shown(a->run, a->step, l->model, TMPL_TEXT, &e);
	char *sys = l->system != NULL ?
	    step_render_shown(a->run, a->step, l->system, TMPL_TEXT, &e) : NULL;
	char *prompt = l->prompt != NULL ?
	    step_render_shown(a->run, a->step, l->prompt, TMPL_TEXT, &e) : NULL;

	sb_addf(&sb, "llm %s", model != NULL ? model : "?");
	if (sys != NULL)
		sb_addf(&sb, "\n[system] %s", sys);
	if (prompt != NULL)
		sb_addf(&sb, "\n[user] %s", prompt);
	free(model);
	free(sys);
	free(prompt);
	return sb_detach(&sb);
}

static const struct step_ops llm_ops = {
	.check = llm_check,
	.estimate = llm_estimate,
	.inputs = llm_inputs,
	.describe = llm_describe,
	.start = llm_start,
	.stop = netcall_stop_attempt,
	.free = llm_call_free,
};

/* ---- the body, as written ---- */

static void
llm_load_messages(struct ld *ld, struct ynode *v, struct llm_spec *l, const struct refctx *ctx)
{
	static const char *const mkeys[] = { "role", "content", NULL };
	static const char *const roles[] = { "system", "user", "assistant", NULL };

	if (!ld_seq(ld, v, "messages"))
		return;
	if (v->n == 0)
		ld_err(ld, v, "'messages' needs at least one message");
	for (size_t k = 0; k < v->n; k++) {
		struct ynode *m = v->items[k], *role, *content;
		int r;

		if (!ld_map(ld, m, "a message"))
			continue;
		ld_check_keys(ld, m, mkeys, "a message");
		if ((role = ynode_get(m, "role")) == NULL)
			ld_err(ld, m, "a message needs a 'role' (system, user or assistant)");
		else
			ld_choice(ld, role, "role", roles, &r);
		if ((content = ynode_get(m, "content")) == NULL)
			ld_err(ld, m, "a message needs its 'content'");
		else
			ld_scalar_tmpl(ld, content, "content", ctx);
	}
	l->messages = v;
}

static void
llm_load(struct ld *ld, struct ynode *n, struct body *b, const struct refctx *ctx)
{
	static const char *const keys[] = {
		"provider", "base_url", "api_key_env", "model", "system", "prompt", "messages",
		"max_tokens", "temperature", "response_format", "timeout", NULL,
	};
	static const char *const formats[] = { "text", "json", NULL };
	struct llm_spec *l = xcalloc(1, sizeof *l);
	struct ynode *v;
	int f;

	b->spec = l;
	if (!ld_map(ld, n, "llm"))
		return;
	ld_check_keys(ld, n, keys, "llm");
	if ((v = ynode_get(n, "provider")) != NULL)
		ld_str(ld, v, "provider", &l->provider);
	if ((v = ynode_get(n, "base_url")) != NULL && ld_scalar_tmpl(ld, v, "base_url", ctx))
		l->base_url = v;
	if (l->provider == NULL && l->base_url == NULL)
		ld_err(ld, n, "'llm' needs a 'provider' (from the configuration) or a 'base_url'");
	if ((v = ynode_get(n, "api_key_env")) != NULL &&
	    ld_str(ld, v, "api_key_env", &l->api_key_env) && !ld_env_name_ok(l->api_key_env))
		ld_err(ld, v, "'api_key_env' is the name of an environment variable");
	if ((v = ynode_get(n, "model")) == NULL)
		ld_err(ld, n, "'llm' needs a 'model'");
	else if (ld_scalar_tmpl(ld, v, "model", ctx))
		l->model = v;
	if ((v = ynode_get(n, "messages")) != NULL)
		llm_load_messages(ld, v, l, ctx);
	if ((v = ynode_get(n, "prompt")) != NULL) {
		if (l->messages != NULL)
			ld_err(ld, v, "give either 'prompt' or 'messages', not both");
		else if (ld_scalar_tmpl(ld, v, "prompt", ctx))
			l->prompt = v;
	} else if (ynode_get(n, "messages") == NULL) {
		ld_err(ld, n, "'llm' needs a 'prompt' or 'messages'");
	}
	if ((v = ynode_get(n, "system")) != NULL) {
		if (ynode_get(n, "messages") != NULL)
			ld_err(ld, v, "with 'messages', the system message is one of them");
		else if (ld_scalar_tmpl(ld, v, "system", ctx))
			l->system = v;
	}
	if ((v = ynode_get(n, "max_tokens")) != NULL)
		ld_int(ld, v, "max_tokens", 1, 10000000, &l->max_tokens);
	if ((v = ynode_get(n, "temperature")) != NULL &&
	    ld_num(ld, v, "temperature", 0, 2, &l->temperature))
		l->has_temperature = true;
	if ((v = ynode_get(n, "response_format")) != NULL &&
	    ld_choice(ld, v, "response_format", formats, &f))
		l->json_format = f == 1;
	if ((v = ynode_get(n, "timeout")) != NULL)
		ld_timeout(ld, v, "timeout", &l->timeout_ms);
}

static void
llm_fini(struct body *b)
{
	struct llm_spec *l = b->spec;

	free(l->provider);
	free(l->api_key_env);
}

static char *
llm_what(const struct body *b)
{
	const struct llm_spec *l = b->spec;

	return xasprintf("llm %s", l->model != NULL ? l->model->str : "?");
}

const struct step_kind step_llm_kind = {
	.key = "llm",
	.article = "an",
	.places = BODY_STEP | BODY_ALT | BODY_TOOL,
	.load = llm_load,
	.fini = llm_fini,
	.what = llm_what,
	.ops = &llm_ops,
};
