/* step_workflow.c - `workflow` steps: another workflow run as one step.
 *
 * drover reads the call and finds the file, beside the workflow or on the
 * search path; it cannot run it yet, so a run with a workflow step is
 * refused before anything starts.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "paths.h"
#include "step_kinds.h"
#include "wf_read.h"
#include "xmalloc.h"
#include "ydoc.h"

struct workflow_call {
	char *file;		/* as written */
	char *path;		/* resolved */
	struct ynode *with;	/* templated mapping, or NULL */
};

static void
workflow_load(struct ld *ld, struct ynode *n, struct body *b, const struct refctx *ctx)
{
	static const char *const keys[] = { "file", "with", NULL };
	struct workflow_call *c = xcalloc(1, sizeof *c);
	struct ynode *v;

	b->spec = c;
	if (!ld_map(ld, n, "workflow"))
		return;
	ld_check_keys(ld, n, keys, "workflow");
	if ((v = ynode_get(n, "file")) == NULL)
		ld_err(ld, n, "'workflow' needs a 'file' (the workflow to run)");
	else
		ld_str(ld, v, "file", &c->file);
	if ((v = ynode_get(n, "with")) != NULL && ld_tmpl_map(ld, v, "with", false, ctx))
		c->with = v;
}

/* The file, as given when absolute, else beside the workflow, else on the
 * search path. */
static void
workflow_resolve(struct ld *ld, struct body *b)
{
	struct workflow_call *c = b->spec;
	const struct ynode *at = ynode_get(ynode_get(b->node, "workflow"), "file");
	char **dirs;

	if (c->file == NULL)
		return;
	if (c->file[0] == '/') {
		if (access(c->file, R_OK) == 0)
			c->path = xstrdup(c->file);
	} else {
		char *p = xasprintf("%s/%s", ld->wf->dir, c->file);

		if (access(p, R_OK) == 0)
			c->path = p;
		else
			free(p);
		dirs = paths_workflow_dirs();
		for (char **d = dirs; c->path == NULL && *d != NULL; d++) {
			p = xasprintf("%s/%s", *d, c->file);
			if (access(p, R_OK) == 0)
				c->path = p;
			else
				free(p);
		}
		paths_free(dirs);
	}
	if (c->path == NULL)
		ld_err(ld, at, "workflow file '%s' not found (looked beside this workflow and on "
		    "the search path)", c->file);
}

static void
workflow_fini(struct body *b)
{
	struct workflow_call *c = b->spec;

	free(c->file);
	free(c->path);
}

static char *
workflow_what(const struct body *b)
{
	return xasprintf("workflow %s", ((const struct workflow_call *)b->spec)->file);
}

static void
workflow_detail(const struct body *b, char *buf, size_t size)
{
	snprintf(buf, size, "workflow %s", ((const struct workflow_call *)b->spec)->file);
}

const struct step_kind step_workflow_kind = {
	.key = "workflow",
	.article = "a",
	.places = BODY_STEP | BODY_ALT | BODY_TOOL,
	.load = workflow_load,
	.resolve = workflow_resolve,
	.fini = workflow_fini,
	.what = workflow_what,
	.detail = workflow_detail,
};
