/* step_mcp.c - `mcp` steps: a tool of an MCP server.
 *
 * drover reads the call and checks that its server is defined; it cannot
 * make the call yet, so a run with an mcp step is refused before anything
 * starts.  A tool step that names SERVER.TOOL becomes an mcp call
 * (step_mcp_call).
 */
#include "config.h"

#include <stdlib.h>

#include "step_kinds.h"
#include "suggest.h"
#include "wf_read.h"
#include "xmalloc.h"
#include "ydoc.h"

struct mcp_spec {
	char *server, *tool;
	struct ynode *arguments;	/* templated mapping, or NULL */
};

static void
mcp_load(struct ld *ld, struct ynode *n, struct body *b, const struct refctx *ctx)
{
	static const char *const keys[] = { "server", "tool", "arguments", NULL };
	struct mcp_spec *m = xcalloc(1, sizeof *m);
	struct ynode *v;

	b->spec = m;
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

/* The server must be one of mcp_servers. */
static void
mcp_resolve(struct ld *ld, struct body *b)
{
	const struct mcp_spec *m = b->spec;
	struct suggest sg;
	const char *hint;
	const struct ynode *at;

	if (m->server == NULL || wf_find_server(ld->wf, m->server) != NULL)
		return;
	at = ynode_get(ynode_get(b->node, "mcp"), "server");
	suggest_init(&sg, m->server);
	for (size_t i = 0; i < ld->wf->n_servers; i++)
		suggest_offer(&sg, ld->wf->servers[i].name);
	hint = suggest_result(&sg);
	if (hint != NULL)
		ld_err(ld, at, "unknown MCP server '%s'; did you mean '%s'?", m->server, hint);
	else
		ld_err(ld, at, "unknown MCP server '%s': define it under 'mcp_servers:'",
		    m->server);
}

static void
mcp_fini(struct body *b)
{
	struct mcp_spec *m = b->spec;

	free(m->server);
	free(m->tool);
}

static char *
mcp_what(const struct body *b)
{
	const struct mcp_spec *m = b->spec;

	return xasprintf("mcp %s.%s", m->server, m->tool);
}

const struct step_kind step_mcp_kind = {
	.key = "mcp",
	.article = "an",
	.places = BODY_STEP | BODY_ALT | BODY_TOOL,
	.load = mcp_load,
	.resolve = mcp_resolve,
	.fini = mcp_fini,
	.what = mcp_what,
};

void
step_mcp_call(struct body *b, char *server, char *tool, struct ynode *arguments)
{
	struct mcp_spec *m = xcalloc(1, sizeof *m);

	m->server = server;
	m->tool = tool;
	m->arguments = arguments;
	b->kind = &step_mcp_kind;
	b->spec = m;
}
