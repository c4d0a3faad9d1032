/* wf_check.c - names used inside expressions and templates, checked once
 * the graph exists: unknown args, params and steps (with hints), steps
 * read without depending on them, and names used where they mean nothing
 * (item outside for_each, error outside on_failure/finally, steps inside
 * a tool).  Also pool names.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "argspec.h"
#include "expr.h"
#include "suggest.h"
#include "tmpl.h"
#include "wf_ld.h"
#include "xmalloc.h"
#include "ydoc.h"

struct refcheck {
	struct ld *ld;
	const struct wf_tref *ref;
	const char *src;	/* the text offsets are relative to */
	size_t base;		/* where src starts in the node's text */
};

static void
ref_err(struct refcheck *rc, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ref_err(struct refcheck *rc, size_t offset, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int line, col;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	ynode_pos_at(rc->ref->node, rc->base + offset, &line, &col);
	diags_add(rc->ld->d, rc->ref->file, line, col, "%s", msg);
	free(msg);
}

static const char *
hint_of(struct suggest *sg)
{
	return suggest_result(sg);
}

static void
check_member(struct refcheck *rc, const char *root, const char *member, size_t offset,
    const char *const *fields)
{
	const char *hint;

	for (size_t i = 0; fields[i] != NULL; i++)
		if (strcmp(fields[i], member) == 0)
			return;
	hint = suggest_from(member, fields);
	if (hint != NULL)
		ref_err(rc, offset, "%s has no field '%s'; did you mean '%s.%s'?", root, member, root,
		    hint);
	else
		ref_err(rc, offset, "%s has no field '%s'", root, member);
}

static void
check_specs(struct refcheck *rc, const struct arg_specs *specs, const char *root,
    const char *member, size_t offset)
{
	struct suggest sg;
	const char *hint;

	if (argspecs_find(specs, member) != NULL)
		return;
	suggest_init(&sg, member);
	for (size_t i = 0; i < specs->n; i++)
		suggest_offer(&sg, specs->v[i].name);
	hint = hint_of(&sg);
	if (hint != NULL)
		ref_err(rc, offset, "unknown %s '%s'; did you mean '%s.%s'?",
		    strcmp(root, "args") == 0 ? "arg" : "param", member, root, hint);
	else if (specs->n == 0)
		ref_err(rc, offset, "unknown %s '%s': %s declares no %s", strcmp(root, "args") == 0 ?
		    "arg" : "param", member, strcmp(root, "args") == 0 ? "the workflow" : "the tool",
		    root);
	else
		ref_err(rc, offset, "unknown %s '%s'", strcmp(root, "args") == 0 ? "arg" : "param",
		    member);
}

static bool
written_as_steps(const struct refcheck *rc, size_t offset)
{
	const char *p = rc->src + offset;

	return strncmp(p, "steps", 5) == 0 || strncmp(p, ".results", 8) == 0;
}

/* Step self reads the results of step i (wf.h: reads). */
static void
note_read(struct step *self, size_t i)
{
	for (size_t k = 0; k < self->n_reads; k++)
		if (self->reads[k] == i)
			return;
	self->reads = xappend_room(self->reads, self->n_reads, sizeof *self->reads);
	self->reads[self->n_reads++] = i;
}

static void
check_step(struct refcheck *rc, const char *member, size_t offset)
{
	struct workflow *wf = rc->ld->wf;
	const struct refctx *ctx = &rc->ref->ctx;
	const struct step *target = wf_find_step(wf, member);

	if (target == NULL) {
		struct suggest sg;
		const char *hint;

		suggest_init(&sg, member);
		for (size_t i = 0; i < wf->n_steps; i++)
			if (wf->steps[i].id != NULL)
				suggest_offer(&sg, wf->steps[i].id);
		hint = hint_of(&sg);
		if (!written_as_steps(rc, offset) && argspecs_find(&wf->args, member) != NULL)
			ref_err(rc, offset, "unknown name '%s': args are written args.%s", member,
			    member);
		else if (!written_as_steps(rc, offset) && hint != NULL)
			ref_err(rc, offset, "unknown name '%s'; did you mean the step '%s'?", member,
			    hint);
		else if (!written_as_steps(rc, offset))
			ref_err(rc, offset, "unknown name '%s'", member);
		else if (hint != NULL)
			ref_err(rc, offset, "unknown step '%s'; did you mean '%s'?", member, hint);
		else
			ref_err(rc, offset, "unknown step '%s'", member);
		return;
	}
	if (ctx->all_steps) {
		if (target->section != SECTION_MAIN)
			ref_err(rc, offset, "the workflow's outputs can read only main steps, and '%s' "
			    "is in '%s'", member, wf_section_name(target->section));
		return;
	}
	if (ctx->step == NO_STEP)
		return;
	if (target->index != ctx->step)
		note_read(&wf->steps[ctx->step], target->index);
	if (target->index == ctx->step) {
		if (!ctx->self_ok)
			ref_err(rc, offset, "step '%s' reads its own results here; that works only in "
			    "its outputs, repeat.until and rollback", member);
		return;
	}
	const struct step *self = &wf->steps[ctx->step];

	if (target->section < self->section)
		return;
	if (target->section > self->section) {
		ref_err(rc, offset, "step '%s' uses steps.%s, which is in '%s' and runs later",
		    self->id, member, wf_section_name(target->section));
		return;
	}
	if (!wf_is_upstream(wf, target->index, self->index))
		ref_err(rc, offset, "step '%s' uses steps.%s but does not depend on it; add '%s' to "
		    "its depends_on", self->id, member, member);
}

/* Why a root cannot be read here. */
static const char *
root_refusal(const char *root, const struct refctx *ctx)
{
	bool in_tool = ctx->tool != NO_STEP;

	if (strcmp(root, "params") == 0)
		return "'params' is only defined inside tools";
	if (strcmp(root, "item") == 0 || strcmp(root, "index") == 0)
		return ctx->step != NO_STEP ? "'item' and 'index' are only defined in the fields of "
		    "a step with for_each (not in its for_each or condition)" :
		    "'item' and 'index' are only defined in steps with for_each";
	if (strcmp(root, "error") == 0)
		return "'error' is only defined in on_failure and finally steps";
	if (in_tool)
		return "a tool sees params, env, run and workflow: pass other values to it through "
		    "the step's args";
	if (strcmp(root, "steps") == 0)
		return "steps cannot be read here: this is evaluated before any step runs";
	return "this name cannot be read here";
}

static unsigned
root_bit(const char *root)
{
	static const struct { const char *name; unsigned bit; } roots[] = {
		{ "args", ROOT_ARGS }, { "params", ROOT_PARAMS }, { "steps", ROOT_STEPS },
		{ "env", ROOT_ENV }, { "run", ROOT_RUN }, { "workflow", ROOT_WORKFLOW },
		{ "item", ROOT_ITEM }, { "index", ROOT_ITEM }, { "error", ROOT_ERROR },
	};

	for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++)
		if (strcmp(roots[i].name, root) == 0)
			return roots[i].bit;
	return 0;
}

static void
check_ref(void *ud, const char *root, const char *member, size_t offset)
{
	static const char *const run_fields[] = {
		"id", "uuid", "user", "host", "started_at", "duration", NULL,
	};
	static const char *const workflow_fields[] = { "name", "version", "file", NULL };
	static const char *const error_fields[] = { "step", "message", "rollback_status", NULL };
	struct refcheck *rc = ud;
	const struct refctx *ctx = &rc->ref->ctx;
	unsigned bit = root_bit(root);

	if ((ctx->roots & bit) == 0) {
		if (bit == ROOT_STEPS && !written_as_steps(rc, offset) && member != NULL)
			ref_err(rc, offset, "unknown name '%s'", member);
		else
			ref_err(rc, offset, "%s", root_refusal(root, ctx));
		return;
	}
	if (member == NULL) {
		/* The whole of steps (toJSON(steps)): it reads them all. */
		if (bit == ROOT_STEPS && ctx->step != NO_STEP)
			rc->ld->wf->steps[ctx->step].reads_all = true;
		return;
	}
	if (bit == ROOT_ARGS)
		check_specs(rc, &rc->ld->wf->args, "args", member, offset);
	else if (bit == ROOT_PARAMS && ctx->tool != NO_STEP)
		check_specs(rc, &rc->ld->wf->tools[ctx->tool].params, "params", member, offset);
	else if (bit == ROOT_STEPS)
		check_step(rc, member, offset);
	else if (bit == ROOT_RUN)
		check_member(rc, "run", member, offset, run_fields);
	else if (bit == ROOT_WORKFLOW)
		check_member(rc, "workflow", member, offset, workflow_fields);
	else if (bit == ROOT_ERROR)
		check_member(rc, "error", member, offset, error_fields);
}

static void
check_pools(struct ld *ld)
{
	struct workflow *wf = ld->wf;

	for (size_t i = 0; i < wf->n_steps; i++) {
		const struct step *st = &wf->steps[i];
		struct suggest sg;
		const char *hint;
		size_t p;

		if (st->pool == NULL)
			continue;
		for (p = 0; p < wf->n_pools && strcmp(wf->pools[p].name, st->pool) != 0; p++)
			;
		if (p < wf->n_pools)
			continue;
		suggest_init(&sg, st->pool);
		for (p = 0; p < wf->n_pools; p++)
			suggest_offer(&sg, wf->pools[p].name);
		hint = hint_of(&sg);
		ld->file = wf->file;
		if (hint != NULL)
			ld_err(ld, ynode_get(st->node, "pool"), "unknown pool '%s'; did you mean '%s'?",
			    st->pool, hint);
		else
			ld_err(ld, ynode_get(st->node, "pool"), "unknown pool '%s': declare it under "
			    "'pools:' with its size", st->pool);
	}
}

void
wf_check_refs(struct ld *ld)
{
	for (size_t i = 0; i < ld->n_refs; i++) {
		const struct wf_tref *r = &ld->refs[i];
		struct refcheck rc = { .ld = ld, .ref = r, .src = r->node->str };

		if (r->e != NULL) {
			const char *at = strstr(r->node->str, expr_source(r->e));

			rc.src = expr_source(r->e);
			rc.base = at != NULL ? (size_t)(at - r->node->str) : 0;
			expr_walk_refs(r->e, check_ref, &rc);
		} else {
			tmpl_walk_refs(r->t, check_ref, &rc);
		}
	}
	check_pools(ld);
}
