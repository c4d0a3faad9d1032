/* step_kinds.c - the table of step kinds (step_kinds.h).
 *
 * A new kind is a file step_<kind>.c exporting its struct step_kind, and
 * two lines here, its declaration and its place in the table (and its
 * file in Makefile.am).  Copy step_wait.c for a kind drover runs, or
 * step_llm.c for one it checks but cannot run yet.  The order is the one
 * messages list kinds in.
 */
#include "config.h"

#include <stddef.h>

#include "step_kinds.h"
#include "wf.h"

extern const struct step_kind step_run_kind;
extern const struct step_kind step_http_kind;
extern const struct step_kind step_llm_kind;
extern const struct step_kind step_mcp_kind;
extern const struct step_kind step_tool_kind;
extern const struct step_kind step_approval_kind;
extern const struct step_kind step_wait_kind;
extern const struct step_kind step_workflow_kind;

const struct step_kind *const step_kinds[] = {
	&step_run_kind,
	&step_http_kind,
	&step_llm_kind,
	&step_mcp_kind,
	&step_tool_kind,
	&step_approval_kind,
	&step_wait_kind,
	&step_workflow_kind,
	NULL,
};

const struct body *
step_kinds_target(const struct body *b)
{
	const struct tool *t = b->kind->calls != NULL ? b->kind->calls(b, NULL) : NULL;

	return t != NULL ? &t->body : b;
}
