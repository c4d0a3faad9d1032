/* step_tool.c - `tool` steps: a named action with typed params.
 *
 * A tool step names a tool and gives it args; the tool's own body (run,
 * http, llm, mcp, approval or workflow) runs in its place, with the args,
 * checked against the tool's params, as `params`.  Tools come from the
 * workflow's `tools:`, then tools.yaml beside it, then the search path
 * (wf_tools.c); a name SERVER.TOOL of a known MCP server makes the step an
 * mcp call instead.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argspec.h"
#include "step_kinds.h"
#include "suggest.h"
#include "wf_ld.h"
#include "xmalloc.h"
#include "ydoc.h"

struct tool_call {
	char *name;
	struct ynode *args;	/* templated mapping, or NULL */
	const struct tool *tool;	/* resolved */
};

static void
tool_load(struct ld *ld, struct ynode *n, struct body *b, const struct refctx *ctx)
{
	struct tool_call *c = xcalloc(1, sizeof *c);

	(void)ctx;
	b->spec = c;
	ld_str(ld, n, "tool", &c->name);
}

static const char *const tool_beside_keys[] = { "args", "with", NULL };

/* args (or its other name, with) go with tool steps only. */
static void
tool_beside(struct ld *ld, struct ynode *map, void *spec, const struct refctx *ctx)
{
	struct tool_call *c = spec;
	struct ynode *args = ynode_get(map, "args"), *with = ynode_get(map, "with");

	if (args != NULL && with != NULL)
		ld_err(ld, with, "'with' is another name for 'args'; give only one");
	if (args == NULL)
		args = with;
	if (args != NULL && c == NULL)
		ld_err(ld, args, "'%s' goes with 'tool' steps (a sub-workflow takes "
		    "'with' inside 'workflow:')", args == with ? "with" : "args");
	else if (args != NULL && ld_tmpl_map(ld, args, "args", false, ctx))
		c->args = args;
}

/* Args the tool has no param for, values its params refuse, and params it
 * needs that are not given. */
static void
check_args(struct ld *ld, const struct body *b, const struct tool *t)
{
	const struct ynode *args = ((const struct tool_call *)b->spec)->args;

	for (size_t i = 0; args != NULL && i < args->n; i++) {
		const struct ynode *k = args->pairs[i].key, *v = args->pairs[i].val;
		const struct arg_spec *s = argspecs_find(&t->params, k->str);
		struct err e;
		cJSON *j, *ok;

		if (s == NULL) {
			struct suggest sg;
			const char *hint;

			suggest_init(&sg, k->str);
			for (size_t p = 0; p < t->params.n; p++)
				suggest_offer(&sg, t->params.v[p].name);
			hint = suggest_result(&sg);
			if (hint != NULL)
				ld_err(ld, k, "tool '%s' has no param '%s'; did you mean '%s'?", t->name,
				    k->str, hint);
			else
				ld_err(ld, k, "tool '%s' has no param '%s'", t->name, k->str);
			continue;
		}
		if (v->aux != NULL)
			continue;	/* templated: checked when rendered */
		j = ynode_to_json(v);
		ok = argspec_coerce(s, j, &e);
		if (ok == NULL)
			ld_err(ld, v, "%s", e.msg);
		cJSON_Delete(ok);
		cJSON_Delete(j);
	}
	for (size_t p = 0; p < t->params.n; p++) {
		const struct arg_spec *s = &t->params.v[p];

		if (s->required && s->def == NULL && ynode_get(args, s->name) == NULL)
			ld_err(ld, b->node, "tool '%s' needs its param '%s'%s%s%s", t->name, s->name,
			    s->description ? " (" : "", s->description ? s->description : "",
			    s->description ? ")" : "");
	}
}

/* SERVER.TOOL names an MCP server's tool directly: the body becomes an mcp
 * call with the step's args as arguments. */
static bool
resolve_server_tool(struct ld *ld, struct body *b)
{
	struct tool_call *c = b->spec;
	const char *dot = strchr(c->name, '.');
	struct ynode *args = c->args;
	char *server;

	if (dot == NULL)
		return false;
	server = xstrndup(c->name, (size_t)(dot - c->name));
	if (wf_find_server(ld->wf, server) == NULL) {
		free(server);
		return false;
	}
	step_mcp_call(b, server, xstrdup(dot + 1), args);
	free(c->name);
	free(c);
	return true;
}

static void
tool_resolve(struct ld *ld, struct body *b)
{
	struct tool_call *c = b->spec;
	const struct ynode *name = ynode_get(b->node, "tool");
	struct suggest sg;
	const char *hint;

	if (c->name == NULL)
		return;
	for (;;) {
		const struct tool *t = wf_find_tool(ld->wf, c->name);

		if (t != NULL) {
			c->tool = t;
			check_args(ld, b, t);
			return;
		}
		if (resolve_server_tool(ld, b))
			return;
		if (!ld_more_tools(ld))
			break;
	}
	suggest_init(&sg, c->name);
	for (size_t i = 0; i < ld->wf->n_tools; i++)
		suggest_offer(&sg, ld->wf->tools[i].name);
	hint = suggest_result(&sg);
	if (hint != NULL)
		ld_err(ld, name, "unknown tool '%s'; did you mean '%s'?", c->name, hint);
	else
		ld_err(ld, name, "unknown tool '%s': define it under 'tools:' or in a tools.yaml "
		    "beside the workflow", c->name);
}

static void
tool_fini(struct body *b)
{
	free(((struct tool_call *)b->spec)->name);
}

static char *
tool_what(const struct body *b)
{
	return xasprintf("tool %s", ((const struct tool_call *)b->spec)->name);
}

static void
tool_detail(const struct body *b, char *buf, size_t size)
{
	snprintf(buf, size, "tool %s", ((const struct tool_call *)b->spec)->name);
}

static const struct tool *
tool_calls(const struct body *b, const struct ynode **args)
{
	const struct tool_call *c = b->spec;

	if (args != NULL)
		*args = c->args;
	return c->tool;
}

const struct step_kind step_tool_kind = {
	.key = "tool",
	.article = "a",
	.places = BODY_STEP | BODY_ALT,
	.beside_keys = tool_beside_keys,
	.load = tool_load,
	.beside = tool_beside,
	.resolve = tool_resolve,
	.fini = tool_fini,
	.what = tool_what,
	.detail = tool_detail,
	.calls = tool_calls,
};
