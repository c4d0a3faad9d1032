/* wf_body.c - step bodies (the eight kinds), tools and MCP servers.
 *
 * A body is what a step does: a `run` command, an `http` request, an `llm`
 * call, an `mcp` tool call, a named `tool`, an `approval` gate, a `wait`, or
 * a sub-`workflow`.  Steps, fallbacks, rollbacks and tools all hold one.
 * Tools come from the workflow's `tools:`, then from a tools.yaml beside the
 * workflow, then from tools.yaml files on the search path.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argspec.h"
#include "expr.h"
#include "fsutil.h"
#include "paths.h"
#include "shq.h"
#include "suggest.h"
#include "tmpl.h"
#include "wf_ld.h"
#include "xmalloc.h"
#include "ydoc.h"

/* The kinds, in the order messages list them; approval is read apart
 * because it may accompany another kind. */
static const char *const kind_keys[] = {
	"run", "http", "llm", "mcp", "tool", "wait", "workflow", NULL,
};
static const enum wf_kind kind_of[] = {
	WK_RUN, WK_HTTP, WK_LLM, WK_MCP, WK_TOOL, WK_WAIT, WK_WORKFLOW,
};

const char *const body_keys[] = {
	"run", "http", "llm", "mcp", "tool", "wait", "workflow", "shell", "workdir", "args", "with",
	"env", "timeout", NULL,
};

static const char *const tool_keys[] = {
	"description", "params", "run", "http", "llm", "mcp", "approval", "workflow", "shell",
	"workdir", "env", "timeout", NULL,
};

static void
ld_run(struct ld *ld, struct ynode *n, struct body *b, const struct refctx *ctx)
{
	if (n->kind == YNODE_SEQ) {
		if (n->n == 0) {
			ld_err(ld, n, "'run' is an empty list: give the program and its arguments");
			return;
		}
		for (size_t i = 0; i < n->n; i++) {
			if (n->items[i]->kind != YNODE_SCALAR || n->items[i]->type == YS_NULL) {
				ld_err(ld, n->items[i], "items of 'run' must be text, not %s",
				    ynode_describe(n->items[i]));
				return;
			}
		}
	} else if (n->kind != YNODE_SCALAR || n->type == YS_NULL) {
		ld_err(ld, n, "'run' must be a command (text) or a list of arguments, not %s",
		    ynode_describe(n));
		return;
	} else if (strspn(n->str, " \t\r\n") == n->len) {
		ld_err(ld, n, "'run' is empty: give the command to run");
		return;
	}
	if (ld_tmpl(ld, n, ctx))
		b->run = n;
}

static void
ld_http(struct ld *ld, struct ynode *n, struct http_spec *h, const struct refctx *ctx)
{
	static const char *const keys[] = {
		"url", "method", "headers", "json", "body", "expect", "timeout", NULL,
	};
	static const char *const methods[] = {
		"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", NULL,
	};
	struct ynode *v;

	if (!ld_map(ld, n, "http"))
		return;
	ld_check_keys(ld, n, keys, "http");
	if ((v = ynode_get(n, "url")) == NULL)
		ld_err(ld, n, "'http' needs a 'url'");
	else if (ld_scalar_tmpl(ld, v, "url", ctx))
		h->url = v;
	if ((v = ynode_get(n, "method")) != NULL && ld_str(ld, v, "method", &h->method)) {
		size_t i;

		for (char *p = h->method; *p != '\0'; p++)
			*p = (char)toupper((unsigned char)*p);
		for (i = 0; methods[i] != NULL && strcmp(methods[i], h->method) != 0; i++)
			;
		if (methods[i] == NULL)
			ld_err(ld, v, "unknown HTTP method '%s' (use GET, HEAD, POST, PUT, PATCH, "
			    "DELETE or OPTIONS)", v->str);
	}
	if (h->method == NULL)
		h->method = xstrdup("GET");
	if ((v = ynode_get(n, "headers")) != NULL && ld_tmpl_map(ld, v, "headers", false, ctx))
		h->headers = v;
	if ((v = ynode_get(n, "json")) != NULL && ld_tmpl(ld, v, ctx))
		h->json = v;
	if ((v = ynode_get(n, "body")) != NULL) {
		if (h->json != NULL)
			ld_err(ld, v, "give either 'json' or 'body', not both");
		else if (ld_scalar_tmpl(ld, v, "body", ctx))
			h->body = v;
	}
	if ((v = ynode_get(n, "expect")) != NULL)
		ld_int_list(ld, v, "expect", 100, 599, &h->expect, &h->n_expect);
	if ((v = ynode_get(n, "timeout")) != NULL)
		ld_timeout(ld, v, "timeout", &h->timeout_ms);
}

static void
ld_llm(struct ld *ld, struct ynode *n, struct llm_spec *l, const struct refctx *ctx)
{
	static const char *const keys[] = {
		"provider", "base_url", "api_key_env", "model", "system", "prompt", "max_tokens",
		"temperature", "response_format", NULL,
	};
	static const char *const formats[] = { "text", "json", NULL };
	struct ynode *v;
	int f;

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
ld_mcp(struct ld *ld, struct ynode *n, struct mcp_spec *m, const struct refctx *ctx)
{
	static const char *const keys[] = { "server", "tool", "arguments", NULL };
	struct ynode *v;

	if (!ld_map(ld, n, "mcp"))
		return;
	ld_check_keys(ld, n, keys, "mcp");
	if ((v = ynode_get(n, "server")) == NULL)
		ld_err(ld, n, "'mcp' needs a 'server' (a name from mcp_servers)");
	else
		ld_str(ld, v, "server", &m->server);
	if ((v = ynode_get(n, "tool")) == NULL)
		ld_err(ld, n, "'mcp' needs a 'tool' (the name of the server's tool)");
	else
		ld_str(ld, v, "tool", &m->tool);
	if ((v = ynode_get(n, "arguments")) != NULL && ld_tmpl_map(ld, v, "arguments", false, ctx))
		m->arguments = v;
}

static struct approval_spec *
ld_approval(struct ld *ld, struct ynode *n, const struct refctx *ctx)
{
	static const char *const keys[] = {
		"message", "approvers", "min_approvals", "timeout", "on_timeout", "notify", "inputs",
		"separate_duty", NULL,
	};
	static const char *const on_timeout[] = { "reject", "approve", NULL };
	struct approval_spec *a;
	struct ynode *v;
	long long ll;
	int t;

	if (!ld_map(ld, n, "approval"))
		return NULL;
	ld_check_keys(ld, n, keys, "approval");
	a = xcalloc(1, sizeof *a);
	a->min_approvals = 1;
	if ((v = ynode_get(n, "message")) != NULL && ld_scalar_tmpl(ld, v, "message", ctx))
		a->message = v;
	if ((v = ynode_get(n, "approvers")) != NULL)
		ld_str_list(ld, v, "approvers", &a->approvers, &a->n_approvers);
	if ((v = ynode_get(n, "min_approvals")) != NULL &&
	    ld_int(ld, v, "min_approvals", 1, 100, &ll)) {
		a->min_approvals = (int)ll;
		if (a->n_approvers > 0 && (size_t)ll > a->n_approvers &&
		    ynode_get(n, "approvers") != NULL)
			ld_err(ld, v, "'min_approvals' is %lld but only %zu approver%s listed", ll,
			    a->n_approvers, a->n_approvers == 1 ? " is" : "s are");
	}
	if ((v = ynode_get(n, "timeout")) != NULL)
		ld_timeout(ld, v, "timeout", &a->timeout_ms);
	if ((v = ynode_get(n, "on_timeout")) != NULL &&
	    ld_choice(ld, v, "on_timeout", on_timeout, &t))
		a->approve_on_timeout = t == 1;
	if ((v = ynode_get(n, "separate_duty")) != NULL)
		ld_bool(ld, v, "separate_duty", &a->separate_duty);
	if ((v = ynode_get(n, "inputs")) != NULL)
		ld_argspecs(ld, v, "inputs", &a->inputs);
	if ((v = ynode_get(n, "notify")) != NULL && ld_map(ld, v, "notify")) {
		static const char *const nkeys[] = { "http", NULL };
		struct ynode *h = ynode_get(v, "http");

		ld_check_keys(ld, v, nkeys, "notify");
		if (h == NULL) {
			ld_err(ld, v, "'notify' needs an 'http' request to send");
		} else {
			a->notify = xcalloc(1, sizeof *a->notify);
			a->notify->kind = WK_HTTP;
			a->notify->node = v;
			ld_http(ld, h, &a->notify->http, ctx);
		}
	}
	return a;
}

static void
ld_workflow_call(struct ld *ld, struct ynode *n, struct body *b, const struct refctx *ctx)
{
	static const char *const keys[] = { "file", "with", NULL };
	struct ynode *v;

	if (!ld_map(ld, n, "workflow"))
		return;
	ld_check_keys(ld, n, keys, "workflow");
	if ((v = ynode_get(n, "file")) == NULL)
		ld_err(ld, n, "'workflow' needs a 'file' (the workflow to run)");
	else
		ld_str(ld, v, "file", &b->file);
	if ((v = ynode_get(n, "with")) != NULL && ld_tmpl_map(ld, v, "with", false, ctx))
		b->with = v;
}

static void
ld_kind(struct ld *ld, struct ynode *v, struct body *b, const struct refctx *ctx)
{
	switch (b->kind) {
	case WK_RUN:
		ld_run(ld, v, b, ctx);
		break;
	case WK_HTTP:
		ld_http(ld, v, &b->http, ctx);
		break;
	case WK_LLM:
		ld_llm(ld, v, &b->llm, ctx);
		break;
	case WK_MCP:
		ld_mcp(ld, v, &b->mcp, ctx);
		break;
	case WK_TOOL:
		ld_str(ld, v, "tool", &b->tool_name);
		break;
	case WK_WAIT:
		ld_dur(ld, v, "wait", &b->wait_ms);
		break;
	case WK_WORKFLOW:
		ld_workflow_call(ld, v, b, ctx);
		break;
	case WK_APPROVAL:
		b->approval = ld_approval(ld, v, ctx);
		break;
	case WK_NONE:
		break;
	}
}

/* A `run` string's templates must sit where drover can quote them for
 * the shell (SPEC 5.1): a shell it knows, and places it is sure of. */
static void
ld_run_quoting(struct ld *ld, const struct body *b)
{
	struct tmpl *t = b->run->aux;
	const char *shell = b->shell != NULL ? b->shell->str : "/bin/sh";
	struct err e;

	if (t == NULL || !tmpl_has_quoted(t))
		return;
	if (b->shell != NULL && b->shell->aux != NULL)
		ld_err(ld, b->run, "'run' has templates and 'shell' is itself a template, so "
		    "drover cannot know how to quote them; write the shell out, or use the list "
		    "form of run");
	else if (!shq_shell_is_posix(shell))
		ld_err(ld, b->run, "'run' has templates, and drover only knows how to quote them "
		    "for POSIX shells (sh, dash, bash, ksh, zsh...), not for '%s'; use the list form "
		    "of run, pass values in env, or mark a value you vouch for with | raw", shell);
	else if (tmpl_shell_prepare(t, &e) < 0)
		ld_err_in(ld, b->run, e.col > 0 ? (size_t)e.col - 1 : 0, e.msg);
}

/* A companion key is only meaningful next to its kind. */
static void
ld_companion(struct ld *ld, struct ynode *map, const char *key, enum wf_kind kind,
    const struct body *b)
{
	struct ynode *k = ynode_key(map, key);

	if (k != NULL && b->kind != kind)
		ld_err(ld, k, "'%s' goes with '%s' steps", key, wf_kind_name(kind));
}

void
ld_body(struct ld *ld, struct ynode *map, int use, struct body *b, const struct refctx *ctx,
    struct approval_spec **gate)
{
	struct ynode *kind_node = NULL, *approval = ynode_get(map, "approval"), *v;
	bool refused = use == BODY_ALT && approval != NULL;	/* an unknown key there */

	b->node = map;
	for (size_t i = 0; kind_keys[i] != NULL; i++) {
		struct ynode *k = ynode_get(map, kind_keys[i]);

		if (k == NULL)
			continue;
		if (use == BODY_TOOL && (kind_of[i] == WK_TOOL || kind_of[i] == WK_WAIT)) {
			refused = true;	/* reported as an unknown key */
			continue;
		}
		if (kind_node != NULL) {
			ld_err(ld, k, "'%s' and '%s' cannot go together: a step does one thing",
			    wf_kind_name(b->kind), kind_keys[i]);
			continue;
		}
		kind_node = k;
		b->kind = kind_of[i];
	}
	if (approval != NULL && use != BODY_ALT) {
		if (kind_node != NULL && use == BODY_STEP) {
			*gate = ld_approval(ld, approval, ctx);
		} else if (kind_node != NULL) {
			ld_err(ld, approval, "'approval' and '%s' cannot go together in a tool",
			    wf_kind_name(b->kind));
		} else {
			b->kind = WK_APPROVAL;
			kind_node = approval;
		}
	}
	if (kind_node == NULL && refused)
		return;
	if (kind_node == NULL) {
		ld_err(ld, map, "%s has nothing to do: give one of run, http, llm, mcp, %s",
		    use == BODY_TOOL ? "the tool" : use == BODY_ALT ? "the body" : "the step",
		    use == BODY_TOOL ? "approval or workflow" :
		    use == BODY_ALT ? "tool, wait or workflow" :
		    "tool, approval, wait or workflow");
		return;
	}
	ld_kind(ld, kind_node, b, ctx);
	ld_companion(ld, map, "shell", WK_RUN, b);
	ld_companion(ld, map, "workdir", WK_RUN, b);
	if (b->kind == WK_RUN && (v = ynode_get(map, "shell")) != NULL &&
	    ld_scalar_tmpl(ld, v, "shell", ctx))
		b->shell = v;
	if (b->kind == WK_RUN && (v = ynode_get(map, "workdir")) != NULL &&
	    ld_scalar_tmpl(ld, v, "workdir", ctx))
		b->workdir = v;
	if (b->kind == WK_RUN && b->run != NULL && b->run->kind == YNODE_SCALAR)
		ld_run_quoting(ld, b);
	if (use != BODY_TOOL) {
		struct ynode *args = ynode_get(map, "args"), *with = ynode_get(map, "with");

		if (args != NULL && with != NULL)
			ld_err(ld, with, "'with' is another name for 'args'; give only one");
		if (args == NULL)
			args = with;
		if (args != NULL && b->kind != WK_TOOL)
			ld_err(ld, args, "'%s' goes with 'tool' steps (a sub-workflow takes "
			    "'with' inside 'workflow:')", args == with ? "with" : "args");
		else if (args != NULL && ld_tmpl_map(ld, args, "args", false, ctx))
			b->tool_args = args;
	}
	if ((v = ynode_get(map, "env")) != NULL && ld_tmpl_map(ld, v, "env", true, ctx))
		b->env = v;
	if ((v = ynode_get(map, "timeout")) != NULL)
		ld_timeout(ld, v, "timeout", &b->timeout_ms);
}

void
approval_free(struct approval_spec *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n_approvers; i++)
		free(a->approvers[i]);
	free(a->approvers);
	if (a->notify != NULL)
		body_fini(a->notify);
	free(a->notify);
	argspecs_fini(&a->inputs);
	free(a);
}

void
body_fini(struct body *b)
{
	free(b->http.method);
	free(b->http.expect);
	free(b->llm.provider);
	free(b->llm.api_key_env);
	free(b->mcp.server);
	free(b->mcp.tool);
	approval_free(b->approval);
	free(b->tool_name);
	free(b->file);
	free(b->file_path);
	memset(b, 0, sizeof *b);
}

/* ---- tools and servers ---- */

static bool
tool_name_ok(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

static struct tool *
find_tool(const struct workflow *wf, const char *name)
{
	for (size_t i = 0; i < wf->n_tools; i++)
		if (strcmp(wf->tools[i].name, name) == 0)
			return &wf->tools[i];
	return NULL;
}

static struct mcp_server *
find_server(const struct workflow *wf, const char *name)
{
	for (size_t i = 0; i < wf->n_servers; i++)
		if (strcmp(wf->servers[i].name, name) == 0)
			return &wf->servers[i];
	return NULL;
}

void
ld_tools(struct ld *ld, struct ynode *n)
{
	struct workflow *wf = ld->wf;

	if (!ld_map(ld, n, "tools"))
		return;
	for (size_t i = 0; i < n->n; i++) {
		struct ynode *k = n->pairs[i].key, *map = n->pairs[i].val, *v;
		struct refctx ctx = { .roots = ROOT_PARAMS | ROOT_ENV | ROOT_RUN | ROOT_WORKFLOW,
		    .step = NO_STEP };
		struct tool *t;
		char *where;

		if (!tool_name_ok(k->str)) {
			ld_err(ld, k, "tool name '%s' must start with a letter or _ and hold only "
			    "letters, digits, _ and -", k->str);
			continue;
		}
		if (find_tool(wf, k->str) != NULL)
			continue;	/* the workflow's own tools win */
		where = xasprintf("tool '%s'", k->str);
		if (!ld_map(ld, map, where)) {
			free(where);
			continue;
		}
		wf->tools = xreallocarray(wf->tools, wf->n_tools + 1, sizeof *wf->tools);
		ctx.tool = wf->n_tools;
		t = &wf->tools[wf->n_tools++];
		memset(t, 0, sizeof *t);
		t->name = xstrdup(k->str);
		t->file = ld->file;
		t->node = map;
		ld_check_keys(ld, map, tool_keys, where);
		free(where);
		if ((v = ynode_get(map, "description")) != NULL)
			ld_text(ld, v, "description", &t->description);
		if ((v = ynode_get(map, "params")) != NULL)
			ld_argspecs(ld, v, "params", &t->params);
		ld_body(ld, map, BODY_TOOL, &t->body, &ctx, NULL);
	}
}

void
ld_servers(struct ld *ld, struct ynode *n)
{
	static const char *const keys[] = {
		"command", "url", "env", "headers", "workdir", "timeout", NULL,
	};
	struct refctx ctx = { .roots = ROOT_ARGS | ROOT_ENV | ROOT_RUN | ROOT_WORKFLOW,
	    .step = NO_STEP, .tool = NO_STEP };
	struct workflow *wf = ld->wf;

	if (!ld_map(ld, n, "mcp_servers"))
		return;
	for (size_t i = 0; i < n->n; i++) {
		struct ynode *k = n->pairs[i].key, *map = n->pairs[i].val, *v;
		struct mcp_server *s;
		char *where;

		if (find_server(wf, k->str) != NULL)
			continue;
		where = xasprintf("MCP server '%s'", k->str);
		if (!ld_map(ld, map, where)) {
			free(where);
			continue;
		}
		wf->servers = xreallocarray(wf->servers, wf->n_servers + 1, sizeof *wf->servers);
		s = &wf->servers[wf->n_servers++];
		memset(s, 0, sizeof *s);
		s->name = xstrdup(k->str);
		s->file = ld->file;
		s->node = map;
		ld_check_keys(ld, map, keys, where);
		free(where);
		if ((v = ynode_get(map, "command")) != NULL) {
			if (v->kind == YNODE_MAP || (v->kind == YNODE_SCALAR && v->type == YS_NULL) ||
			    (v->kind == YNODE_SEQ && v->n == 0))
				ld_err(ld, v, "'command' must be a command line or a list of arguments, "
				    "not %s", ynode_describe(v));
			else if (ld_tmpl(ld, v, &ctx))
				s->command = v;
		}
		if ((v = ynode_get(map, "url")) != NULL && ld_scalar_tmpl(ld, v, "url", &ctx))
			s->url = v;
		if (s->command != NULL && s->url != NULL)
			ld_err(ld, v, "an MCP server has either a 'command' (stdio) or a 'url' "
			    "(HTTP), not both");
		else if (ynode_get(map, "command") == NULL && ynode_get(map, "url") == NULL)
			ld_err(ld, map, "MCP server '%s' needs a 'command' (stdio) or a 'url' (HTTP)",
			    s->name);
		if ((v = ynode_get(map, "env")) != NULL && ld_tmpl_map(ld, v, "env", true, &ctx))
			s->env = v;
		if ((v = ynode_get(map, "headers")) != NULL &&
		    ld_tmpl_map(ld, v, "headers", false, &ctx))
			s->headers = v;
		if ((v = ynode_get(map, "workdir")) != NULL)
			ld_str(ld, v, "workdir", &s->workdir);
		if ((v = ynode_get(map, "timeout")) != NULL)
			ld_timeout(ld, v, "timeout", &s->timeout_ms);
	}
}

/* Loads a tools.yaml: a file holding only `tools:` and `mcp_servers:`. */
static void
ld_tools_file(struct ld *ld, const char *path)
{
	const char *saved = ld->file;
	struct ynode *root;
	struct ydoc *doc;
	struct err e;
	size_t len;
	char *text = fs_read_file(path, 16u << 20, &len, &e);

	if (text == NULL) {
		diags_add(ld->d, path, 0, 0, "%s", e.msg);
		return;
	}
	doc = wf_parse_doc(ld, path, text, len);
	if (doc != NULL && (root = ydoc_root(doc)) != NULL)
		ld_tools_doc(ld, root);
	ld->file = saved;
}

void
ld_tools_doc(struct ld *ld, struct ynode *root)
{
	static const char *const keys[] = { "tools", "mcp_servers", NULL };
	struct ynode *v;

	if (root->kind != YNODE_MAP) {
		ld_err(ld, root, "a tools file is a mapping with 'tools' and 'mcp_servers', not %s",
		    ynode_describe(root));
		return;
	}
	ld_check_keys(ld, root, keys, "a tools file");
	if ((v = ynode_get(root, "mcp_servers")) != NULL)
		ld_servers(ld, v);
	if ((v = ynode_get(root, "tools")) != NULL)
		ld_tools(ld, v);
}

static bool
same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	    sa.st_ino == sb.st_ino;
}

struct tool_search {
	bool beside_done, path_done;
};

/* The next place to look for tools; false when there is none left. */
static bool
load_more_tools(struct ld *ld, struct tool_search *ts)
{
	if (!ts->beside_done) {
		char *p = xasprintf("%s/tools.yaml", ld->wf->dir);

		ts->beside_done = true;
		if (!same_file(p, ld->wf->file) && access(p, F_OK) == 0)
			ld_tools_file(ld, p);
		free(p);
		return true;
	}
	if (!ts->path_done) {
		char **dirs = paths_workflow_dirs();
		char *own = realpath(ld->wf->dir, NULL);

		ts->path_done = true;
		for (char **d = dirs; *d != NULL; d++) {
			char *real = realpath(*d, NULL);
			char *p = xasprintf("%s/tools.yaml", *d);

			if (real != NULL && (own == NULL || strcmp(real, own) != 0) &&
			    access(p, R_OK) == 0)
				ld_tools_file(ld, p);
			free(real);
			free(p);
		}
		free(own);
		paths_free(dirs);
		return true;
	}
	return false;
}

static void
check_tool_args(struct ld *ld, const struct body *b, const struct tool *t)
{
	const struct ynode *args = b->tool_args;

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
	const char *dot = strchr(b->tool_name, '.');
	char *server;

	if (dot == NULL)
		return false;
	server = xstrndup(b->tool_name, (size_t)(dot - b->tool_name));
	if (find_server(ld->wf, server) == NULL) {
		free(server);
		return false;
	}
	b->kind = WK_MCP;
	b->mcp.server = server;
	b->mcp.tool = xstrdup(dot + 1);
	b->mcp.arguments = b->tool_args;
	return true;
}

static void
resolve_tool(struct ld *ld, struct body *b, struct tool_search *ts)
{
	const struct ynode *name = ynode_get(b->node, "tool");
	struct suggest sg;
	const char *hint;

	if (b->tool_name == NULL)
		return;
	for (;;) {
		const struct tool *t = find_tool(ld->wf, b->tool_name);

		if (t != NULL) {
			b->tool = t;
			check_tool_args(ld, b, t);
			return;
		}
		if (resolve_server_tool(ld, b))
			return;
		if (!load_more_tools(ld, ts))
			break;
	}
	suggest_init(&sg, b->tool_name);
	for (size_t i = 0; i < ld->wf->n_tools; i++)
		suggest_offer(&sg, ld->wf->tools[i].name);
	hint = suggest_result(&sg);
	if (hint != NULL)
		ld_err(ld, name, "unknown tool '%s'; did you mean '%s'?", b->tool_name, hint);
	else
		ld_err(ld, name, "unknown tool '%s': define it under 'tools:' or in a tools.yaml "
		    "beside the workflow", b->tool_name);
}

static void
check_server(struct ld *ld, const struct body *b)
{
	struct suggest sg;
	const char *hint;
	const struct ynode *at;

	if (b->kind != WK_MCP || b->mcp.server == NULL || find_server(ld->wf, b->mcp.server))
		return;
	at = ynode_get(ynode_get(b->node, "mcp"), "server");
	suggest_init(&sg, b->mcp.server);
	for (size_t i = 0; i < ld->wf->n_servers; i++)
		suggest_offer(&sg, ld->wf->servers[i].name);
	hint = suggest_result(&sg);
	if (hint != NULL)
		ld_err(ld, at, "unknown MCP server '%s'; did you mean '%s'?", b->mcp.server, hint);
	else
		ld_err(ld, at, "unknown MCP server '%s': define it under 'mcp_servers:'",
		    b->mcp.server);
}

static void
resolve_file(struct ld *ld, struct body *b)
{
	const struct ynode *at = ynode_get(ynode_get(b->node, "workflow"), "file");
	char **dirs;

	if (b->kind != WK_WORKFLOW || b->file == NULL)
		return;
	if (b->file[0] == '/') {
		if (access(b->file, R_OK) == 0)
			b->file_path = xstrdup(b->file);
	} else {
		char *p = xasprintf("%s/%s", ld->wf->dir, b->file);

		if (access(p, R_OK) == 0)
			b->file_path = p;
		else
			free(p);
		dirs = paths_workflow_dirs();
		for (char **d = dirs; b->file_path == NULL && *d != NULL; d++) {
			p = xasprintf("%s/%s", *d, b->file);
			if (access(p, R_OK) == 0)
				b->file_path = p;
			else
				free(p);
		}
		paths_free(dirs);
	}
	if (b->file_path == NULL)
		ld_err(ld, at, "workflow file '%s' not found (looked beside this workflow and on "
		    "the search path)", b->file);
}

static void
resolve_body(struct ld *ld, struct body *b, struct tool_search *ts)
{
	if (b == NULL)
		return;
	if (b->kind == WK_TOOL)
		resolve_tool(ld, b, ts);
	check_server(ld, b);
	resolve_file(ld, b);
}

void
ld_resolve_tools(struct ld *ld)
{
	struct workflow *wf = ld->wf;
	struct tool_search ts = { false, false };
	size_t ntools;

	/* tools.yaml beside the workflow is read whenever it exists, so its
	 * problems show; the search path only when a name is still unknown. */
	load_more_tools(ld, &ts);
	for (size_t i = 0; i < wf->n_steps; i++) {
		resolve_body(ld, &wf->steps[i].body, &ts);
		resolve_body(ld, wf->steps[i].fallback, &ts);
		resolve_body(ld, wf->steps[i].rollback, &ts);
	}
	ntools = wf->n_tools;
	for (size_t i = 0; i < ntools; i++) {
		check_server(ld, &wf->tools[i].body);
		resolve_file(ld, &wf->tools[i].body);
	}
}
