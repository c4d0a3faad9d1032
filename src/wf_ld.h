/* wf_ld.h - the stages of loading a workflow, as wf_load.c calls them
 * (private to the loader).
 *
 * wf_load.c reads the workflow's own fields; typed params (wf_argspec.c),
 * step bodies (wf_body.c, each kind in its step_<kind>.c) and tools and
 * MCP servers (wf_tools.c) have files of their own, and wf_check.c checks
 * the names templates use once the graph exists.  Every stage reads with
 * the readers of wf_read.h.
 */
#ifndef DROVER_WF_LD_H
#define DROVER_WF_LD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "step_kinds.h"
#include "wf_read.h"

/* Typed params (wf_argspec.c): the args, params or inputs mapping n. */
void ld_argspecs(struct ld *ld, struct ynode *n, const char *what, struct arg_specs *out);

/* A retry or resources mapping (wf_load.c). */
void ld_retry(struct ld *ld, struct ynode *n, struct retry *r);
void ld_resources(struct ld *ld, struct ynode *n, struct resources *r);

/* Step bodies (wf_body.c).  Reads the body's kind from map into b, with
 * the keys that go with it (shell, args...), env and timeout; use is the
 * place (BODY_STEP, BODY_ALT or BODY_TOOL, step_kinds.h).  In a step, an
 * approval beside another kind becomes *gate.  The keys themselves are
 * checked by the caller, against ld_body_keys. */
void ld_body(struct ld *ld, struct ynode *map, int use, struct body *b, const struct refctx *ctx,
    struct body **gate);
/* Every key a body in place use may have: head, then the kinds and what
 * goes with them, env and timeout, then tail (head and tail are
 * NULL-terminated, or NULL).  NULL-terminated.  Made once per place and
 * kept by ld until the load ends: a place always comes with the same head
 * and tail. */
const char *const *ld_body_keys(struct ld *ld, int use, const char *const *head,
    const char *const *tail);
void body_fini(struct body *b);

/* Tools and MCP servers (wf_tools.c). */
void ld_tools(struct ld *ld, struct ynode *n);
void ld_servers(struct ld *ld, struct ynode *n);
/* A tools file's top level: only `tools:` and `mcp_servers:`. */
void ld_tools_doc(struct ld *ld, struct ynode *root);
/* Reads the next place tools may come from: tools.yaml beside the
 * workflow, then those on the search path; false when none is left. */
bool ld_more_tools(struct ld *ld);

/* Graph and reference checks. */
void wf_check_refs(struct ld *ld);

#endif
