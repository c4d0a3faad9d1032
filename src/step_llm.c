/* step_llm.c - `llm` steps: a chat completion on an OpenAI-compatible
 * endpoint.
 *
 * drover reads and checks the call; it cannot make it yet, so a run with
 * an llm step is refused before anything starts.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "step_kinds.h"
#include "wf_read.h"
#include "xmalloc.h"
#include "ydoc.h"

struct llm_spec {
	char *provider;
	struct ynode *base_url, *model, *system, *prompt;	/* templated */
	char *api_key_env;
	long long max_tokens;	/* 0: not set */
	double temperature;
	bool has_temperature, json_format;
};

static void
llm_load(struct ld *ld, struct ynode *n, struct body *b, const struct refctx *ctx)
{
	static const char *const keys[] = {
		"provider", "base_url", "api_key_env", "model", "system", "prompt", "max_tokens",
		"temperature", "response_format", NULL,
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
	if ((v = ynode_get(n, "api_key_env")) != NULL)
		ld_str(ld, v, "api_key_env", &l->api_key_env);
	if ((v = ynode_get(n, "model")) == NULL)
		ld_err(ld, n, "'llm' needs a 'model'");
	else if (ld_scalar_tmpl(ld, v, "model", ctx))
		l->model = v;
	if ((v = ynode_get(n, "prompt")) == NULL)
		ld_err(ld, n, "'llm' needs a 'prompt'");
	else if (ld_scalar_tmpl(ld, v, "prompt", ctx))
		l->prompt = v;
	if ((v = ynode_get(n, "system")) != NULL && ld_scalar_tmpl(ld, v, "system", ctx))
		l->system = v;
	if ((v = ynode_get(n, "max_tokens")) != NULL)
		ld_int(ld, v, "max_tokens", 1, 10000000, &l->max_tokens);
	if ((v = ynode_get(n, "temperature")) != NULL &&
	    ld_num(ld, v, "temperature", 0, 2, &l->temperature))
		l->has_temperature = true;
	if ((v = ynode_get(n, "response_format")) != NULL &&
	    ld_choice(ld, v, "response_format", formats, &f))
		l->json_format = f == 1;
}

static void
llm_fini(struct body *b)
{
	struct llm_spec *l = b->spec;

	free(l->provider);
	free(l->api_key_env);
}

const struct step_kind step_llm_kind = {
	.key = "llm",
	.article = "an",
	.places = BODY_STEP | BODY_ALT | BODY_TOOL,
	.load = llm_load,
	.fini = llm_fini,
};
