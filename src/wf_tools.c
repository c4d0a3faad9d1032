/* wf_tools.c - tools and MCP servers: the `tools:` and `mcp_servers:` of
 * a workflow or of a tools.yaml, and where more tools are looked for.
 *
 * The workflow's own tools win; then come a tools.yaml beside the workflow
 * (read whenever it exists, so that its problems show) and the tools.yaml
 * files on the search path (read once a tool step names a tool not found
 * yet, step_tool.c).  A tool's body is of a kind a tool may hold
 * (BODY_TOOL).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "paths.h"
#include "step_kinds.h"
#include "wf_ld.h"
#include "xmalloc.h"
#include "ydoc.h"

/* What a tool holds besides its body. */
static const char *const tool_keys[] = { "description", "params", NULL };

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

		if (!ld_name_ok(k->str)) {
			ld_err(ld, k, "tool name '%s' must start with a letter or _ and hold only "
			    "letters, digits, _ and -", k->str);
			continue;
		}
		if (wf_find_tool(wf, k->str) != NULL)
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
		ld_check_keys(ld, map, ld_body_keys(ld, BODY_TOOL, tool_keys, NULL), where);
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

		if (wf_find_server(wf, k->str) != NULL)
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
	free(text);
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

bool
ld_more_tools(struct ld *ld)
{
	if (!ld->tools_beside) {
		char *p = xasprintf("%s/tools.yaml", ld->wf->dir);

		ld->tools_beside = true;
		if (!same_file(p, ld->wf->file) && access(p, F_OK) == 0)
			ld_tools_file(ld, p);
		free(p);
		return true;
	}
	if (!ld->tools_path) {
		char **dirs = paths_workflow_dirs();
		char *own = realpath(ld->wf->dir, NULL);

		ld->tools_path = true;
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
