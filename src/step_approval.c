/* step_approval.c - approvals: a step that is a human gate, or the gate
 * that accompanies a step of another kind.
 *
 * The gate is read and checked here, and decided when its step's turn
 * comes, before anything of the step runs (the engine calls its ops).
 * Until drover can ask people (an attached console, `drover approve`), a
 * gate opens only with --auto-approve, approved by the user who runs
 * drover; a run with a gate that could be reached without it is refused
 * before anything starts.  That approval obeys the gate's rules like any
 * other (approvers, separate_duty, min_approvals), so a gate it cannot
 * open refuses the run before anything starts too.
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argspec.h"
#include "exec.h"
#include "engine.h"
#include "step_kinds.h"
#include "strbuf.h"
#include "wf_ld.h"
#include "xmalloc.h"
#include "ydoc.h"

/* What an approval given by --auto-approve says of itself. */
#define AUTO_COMMENT "auto-approve"

struct approval_spec {
	struct ynode *message;	/* templated, or NULL */
	char **approvers;	/* users, or "@group"; none: anyone */
	size_t n_approvers;
	int min_approvals;
	int64_t timeout_ms;	/* 0: wait forever */
	bool approve_on_timeout, separate_duty;
	struct body *notify;	/* an http body, or NULL */
	struct arg_specs inputs;
};

static void
approval_load(struct ld *ld, struct ynode *n, struct body *b, const struct refctx *ctx)
{
	static const char *const keys[] = {
		"message", "approvers", "min_approvals", "timeout", "on_timeout", "notify", "inputs",
		"separate_duty", NULL,
	};
	static const char *const on_timeout[] = { "reject", "approve", NULL };
	struct approval_spec *a = xcalloc(1, sizeof *a);
	struct ynode *v;
	long long ll;
	int t;

	b->spec = a;
	a->min_approvals = 1;
	if (!ld_map(ld, n, "approval"))
		return;
	ld_check_keys(ld, n, keys, "approval");
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
			a->notify->node = v;
			step_http_request(ld, h, a->notify, ctx);
		}
	}
}

static void
approval_fini(struct body *b)
{
	struct approval_spec *a = b->spec;

	for (size_t i = 0; i < a->n_approvers; i++)
		free(a->approvers[i]);
	free(a->approvers);
	if (a->notify != NULL)
		body_fini(a->notify);
	free(a->notify);
	argspecs_fini(&a->inputs);
}

/* Approves as --auto-approve does: the step waits, then the approval is
 * recorded as given by the user who runs drover.  *outputs (when outputs
 * is not NULL) gets what an approval step outputs: approved, by, comment,
 * at, and the inputs with their defaults. */
static int
approve_auto(struct run *r, size_t i, const struct approval_spec *ap, cJSON **outputs,
    struct err *e)
{
	const char *user = run_opts(r)->user;
	struct event waiting = { .type = EV_STEP, .status = ST_WAITING, .phase = PHASE_MAIN,
	    .step = (int32_t)i, .attempt = 0, .exit_code = -1 };
	struct event ev = { .type = EV_APPROVAL, .step = (int32_t)i, .exit_code = -1 };
	cJSON *p = cJSON_CreateObject(), *inputs = NULL;
	cJSON *empty = cJSON_CreateObject();
	char at[40];

	run_emit(r, &waiting, NULL);
	if (ap->inputs.n > 0) {
		inputs = argspecs_resolve(&ap->inputs, empty, e);
		if (inputs == NULL) {
			cJSON_Delete(empty);
			cJSON_Delete(p);
			return -1;
		}
	}
	cJSON_Delete(empty);
	event_time_rfc3339(event_now(), at, sizeof at);
	cJSON_AddStringToObject(p, "decision", "approved");
	cJSON_AddStringToObject(p, "by", user);
	cJSON_AddStringToObject(p, "comment", AUTO_COMMENT);
	run_emit(r, &ev, p);
	if (outputs != NULL) {
		*outputs = inputs != NULL ? inputs : cJSON_CreateObject();
		cJSON_AddTrueToObject(*outputs, "approved");
		cJSON_AddStringToObject(*outputs, "by", user);
		cJSON_AddStringToObject(*outputs, "comment", AUTO_COMMENT);
		cJSON_AddStringToObject(*outputs, "at", at);
	} else {
		cJSON_Delete(inputs);
	}
	return 0;
}

static bool
gate_possible(struct run *r, const struct step *s)
{
	bool go = true;
	struct err e;

	/* A gate behind a condition false from the start will never open. */
	if (s->condition != NULL &&
	    run_eval_truth(r, s->condition, s->condition_node, &go, &e) == 0)
		return go;
	return true;
}

/* Whether the invoking user (the real uid, as the kernel has it, never
 * $USER) is in group, by its primary and supplementary groups.  A group
 * the host does not have never matches. */
static bool
invoker_in_group(const char *group)
{
	struct passwd *pw = getpwuid(getuid());
	struct group *gr = getgrnam(group);
	gid_t *gids = NULL;
	int n = 16, have;
	bool in = false;

	if (pw == NULL || gr == NULL)
		return false;
	/* Too small a list fails and says in n how many there are. */
	do {
		have = n;
		gids = xreallocarray(gids, (size_t)have, sizeof *gids);
	} while (getgrouplist(pw->pw_name, pw->pw_gid, gids, &n) < 0 && n > have);
	for (int k = 0; k < n && k < have && !in; k++)
		in = gids[k] == gr->gr_gid;
	free(gids);
	return in;
}

/* Whether user (the invoking user) may decide the gate: anyone when it
 * lists no approvers, else a user listed by name or a member of a listed
 * @group. */
static bool
approver_allowed(const struct approval_spec *a, const char *user)
{
	if (a->n_approvers == 0)
		return true;
	for (size_t k = 0; k < a->n_approvers; k++) {
		const char *who = a->approvers[k];

		if (who[0] == '@' ? invoker_in_group(who + 1) : strcmp(who, user) == 0)
			return true;
	}
	return false;
}

/* Who may decide, for a message: "alice, bob or a member of @ops". */
static void
approvers_describe(const struct approval_spec *a, struct strbuf *sb)
{
	for (size_t k = 0; k < a->n_approvers; k++) {
		if (k > 0)
			sb_adds(sb, k + 1 == a->n_approvers ? " or " : ", ");
		if (a->approvers[k][0] == '@')
			sb_adds(sb, "a member of ");
		sb_adds(sb, a->approvers[k]);
		/* Say so, or the list reads as if some user could still match. */
		if (a->approvers[k][0] == '@' && getgrnam(a->approvers[k] + 1) == NULL)
			sb_adds(sb, " (no such group on this host)");
	}
}

/* Refuses (-1, e set) a gate that --auto-approve cannot open by the
 * gate's own rules, since it approves once, as the user who starts the
 * run. */
static int
auto_allowed(const struct step *s, const struct approval_spec *a, const char *user,
    struct err *e)
{
	struct strbuf who = STRBUF_INIT;

	if (!approver_allowed(a, user)) {
		approvers_describe(a, &who);
		err_set(e, "step '%s' needs an approval from %s; you are %s", s->id, sb_str(&who),
		    user);
		sb_fini(&who);
		return -1;
	}
	if (a->separate_duty)
		return err_set(e, "step '%s' has separate_duty: the user who starts the run (%s) "
		    "may not approve it", s->id, user);
	/* Approvals count once a user, and --auto-approve is one user. */
	if (a->min_approvals > 1)
		return err_set(e, "step '%s' needs %d approvals from distinct users; "
		    "--auto-approve gives one", s->id, a->min_approvals);
	return 0;
}

static int
approval_check(struct run *r, size_t i, const struct body *b, struct err *e)
{
	const struct engine_opts *o = run_opts(r);
	const struct step *s = &o->wf->steps[i];

	if (!gate_possible(r, s))
		return 0;
	if (!o->auto_approve)
		return err_set(e, "step '%s' waits for an approval, and this version of drover "
		    "cannot ask for one yet: run with --auto-approve to approve, as %s, each gate %s may decide",
		    s->id, o->user, o->user);
	return auto_allowed(s, b->spec, o->user, e);
}

static int
approval_decide(struct run *r, size_t i, const struct body *b, cJSON **outputs, struct err *e)
{
	return approve_auto(r, i, b->spec, outputs, e);
}

static const struct step_ops approval_ops = {
	.check = approval_check,
	.decide = approval_decide,
};

const struct step_kind step_approval_kind = {
	.key = "approval",
	.article = "an",
	.places = BODY_STEP | BODY_TOOL | BODY_GATE,
	.load = approval_load,
	.fini = approval_fini,
	.ops = &approval_ops,
};
