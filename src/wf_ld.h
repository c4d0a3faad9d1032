/* wf_ld.h - the stages of loading a workflow, as wf_load.c calls them
 * (private to the loader).
 *
 * wf_load.c reads the workflow's own fields; typed params (wf_argspec.c)
 * and step bodies, tools and MCP servers (wf_body.c) have files of their
 * own, and wf_check.c checks the names templates use once the graph
 * exists.  Every stage reads with the readers of wf_read.h.
 */
#ifndef DROVER_WF_LD_H
#define DROVER_WF_LD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wf_read.h"

/* Typed params (wf_argspec.c): the args, params or inputs mapping n. */
void ld_argspecs(struct ld *ld, struct ynode *n, const char *what, struct arg_specs *out);
void ld_retry(struct ld *ld, struct ynode *n, struct retry *r);
void ld_resources(struct ld *ld, struct ynode *n, struct resources *r);

/* Step bodies (wf_body.c).  The kinds a place accepts: */
enum {
	BODY_STEP = 1,		/* every kind; approval may accompany another */
	BODY_ALT,		/* fallback, rollback: no approval */
	BODY_TOOL,		/* run, http, llm, mcp, approval, workflow */
};
/* Reads the kind and its companion keys (shell, workdir, args/with), env and
 * timeout from map into b.  Keys themselves are checked by the caller. */
void ld_body(struct ld *ld, struct ynode *map, int use, struct body *b, const struct refctx *ctx,
    struct approval_spec **gate);
void body_fini(struct body *b);
void approval_free(struct approval_spec *a);
extern const char *const body_keys[];	/* every key ld_body reads */

/* Tools and MCP servers (wf_body.c). */
void ld_tools(struct ld *ld, struct ynode *n);
void ld_servers(struct ld *ld, struct ynode *n);
/* A tools file's top level: only `tools:` and `mcp_servers:`. */
void ld_tools_doc(struct ld *ld, struct ynode *root);
/* Resolves tool steps against the workflow's tools, then tools.yaml beside
 * the workflow, then on the search path; checks their args. */
void ld_resolve_tools(struct ld *ld);

/* Graph and reference checks. */
void wf_check_refs(struct ld *ld);

#endif
