/* step_approval.c - approvals: a step that is a human gate, or the gate
 * that accompanies a step of another kind.
 *
 * The gate is read and checked here, and decided when its step's turn
 * comes, before anything of the step runs (the engine calls its ops).  It
 * opens a wait: the step is "waiting", and its event carries what the
 * approvers must see (the message, what the step will run, a hash of the
 * two, who may decide, how many must, and until when).  Decisions come
 * from clients of the run's control socket (engine_decide), each with the
 * user the kernel gave for it, and are judged here by the gate's rules:
 * approvers (users and @groups), separate_duty (not the user who started
 * the run), min_approvals (distinct users), and the hash (what the client
 * was shown must still be what runs).  Every decision and every refusal is
 * recorded; the gate closes on a rejection, on enough approvals, or at its
 * timeout (on_timeout).  --auto-approve decides at once instead, as the
 * user who runs drover, by the same rules, checked before the run starts.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/wait.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "approvers.h"
#include "argspec.h"
#include "budget.h"
#include "exec.h"
#include "engine.h"
#include "launch.h"
#include "loop.h"
#include "netcall.h"
#include "step_kinds.h"
#include "sha256.h"
#include "strbuf.h"
#include "wf_ld.h"
#include "xmalloc.h"
#include "ydoc.h"

/* What an approval given by --auto-approve says of itself. */
#define AUTO_COMMENT "auto-approve"

struct approval_spec {
	struct ynode *message;	/* templated, or NULL */
	const char **approvers;	/* users, or "@group"; none: anyone (the document's) */
	size_t n_approvers;
	int min_approvals;
	int64_t timeout_ms;	/* 0: wait forever */
	bool approve_on_timeout, separate_duty;
	struct body *notify;	/* an http body, or NULL */
	const char *notify_run;	/* a shell command, or NULL */
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
		static const char *const nkeys[] = { "http", "run", NULL };
		struct ynode *h = ynode_get(v, "http"), *r = ynode_get(v, "run");

		ld_check_keys(ld, v, nkeys, "notify");
		if ((h == NULL) == (r == NULL)) {
			ld_err(ld, v, "'notify' needs an 'http' request to send or a command to 'run' "
			    "(one of the two)");
		} else if (r != NULL) {
			if (!ynode_is_str(r) || strspn(r->str, " \t\r\n") == r->len)
				ld_err(ld, r, "'notify.run' is a shell command (text)");
			else if (strstr(r->str, "{{") != NULL)
				ld_err(ld, r, "'notify.run' is a plain shell command: it finds the gate in "
				    "its environment ($DROVER_GATE_MESSAGE, $DROVER_APPROVE...), not in "
				    "templates");
			else
				a->notify_run = r->str;
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

	free(a->approvers);
	if (a->notify != NULL)
		body_fini(a->notify);
	free(a->notify);
	argspecs_fini(&a->inputs);
}

/* The outputs of an approval step: its inputs (with their defaults), and
 * approved, by, comment, at. */
static cJSON *
gate_outputs(cJSON *inputs, bool approved, const char *by, const char *comment)
{
	cJSON *o = inputs != NULL ? inputs : cJSON_CreateObject();
	char at[40];

	event_time_rfc3339(event_now(), at, sizeof at);
	cJSON_AddBoolToObject(o, "approved", approved);
	cJSON_AddStringToObject(o, "by", by);
	cJSON_AddStringToObject(o, "comment", comment != NULL ? comment : "");
	cJSON_AddStringToObject(o, "at", at);
	return o;
}

/* Records a decision that counts. */
static void
emit_decision(struct run *r, size_t i, bool approved, const char *by, const char *comment,
    uint64_t ticket, const char *hash)
{
	struct event ev = { .type = EV_APPROVAL, .step = (int32_t)i, .exit_code = -1 };
	cJSON *p = cJSON_CreateObject();

	cJSON_AddStringToObject(p, "decision", approved ? "approved" : "rejected");
	cJSON_AddStringToObject(p, "by", by);
	if (comment != NULL)
		cJSON_AddStringToObject(p, "comment", comment);
	if (ticket > 0)
		cJSON_AddNumberToObject(p, "ticket", (double)ticket);
	if (hash != NULL)
		cJSON_AddStringToObject(p, "hash", hash);
	run_emit(r, &ev, p);
}

/* Approves as --auto-approve does: the step waits, then the approval is
 * recorded as given by the user who runs drover.  *outputs (when outputs
 * is not NULL) gets what an approval step outputs. */
static int
approve_auto(struct run *r, size_t i, const struct approval_spec *ap, cJSON **outputs,
    struct err *e)
{
	const char *user = run_opts(r)->user;
	struct event waiting = { .type = EV_STEP, .status = ST_WAITING, .phase = PHASE_MAIN,
	    .step = (int32_t)i, .attempt = 0, .exit_code = -1 };
	cJSON *empty = cJSON_CreateObject(), *inputs = NULL;

	run_emit(r, &waiting, NULL);
	if (ap->inputs.n > 0 && (inputs = argspecs_resolve(&ap->inputs, empty, e)) == NULL) {
		cJSON_Delete(empty);
		return -1;
	}
	cJSON_Delete(empty);
	emit_decision(r, i, true, user, AUTO_COMMENT, 0, NULL);
	if (outputs != NULL)
		*outputs = gate_outputs(inputs, true, user, AUTO_COMMENT);
	else
		cJSON_Delete(inputs);
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

/* Whether user (uid) may decide the gate. */
static bool
approver_allowed(const struct approval_spec *a, unsigned uid, const char *user)
{
	return approvers_match(a->approvers, a->n_approvers, uid, user);
}

/* Who may decide, for a message: "alice, bob or a member of @ops". */
static void
approvers_describe(const struct approval_spec *a, struct strbuf *sb)
{
	if (a->n_approvers == 0)
		sb_adds(sb, "anyone who can reach the run");
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

	if (!approver_allowed(a, getuid(), user)) {
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
	const struct approval_spec *a = b->spec;

	if (!o->auto_approve || !gate_possible(r, s))
		return 0;
	return auto_allowed(s, a, o->user, e);
}

/* ---- a gate that waits for people ---- */

#define NOTIFY_TIMEOUT_MS 30000	/* when the request gives none */

struct gate_wait {
	struct run *run;
	size_t step;
	const struct approval_spec *ap;
	bool is_gate;		/* beside another kind, not an approval step */
	char *message, *content;	/* as shown: secrets masked */
	bool complete;		/* content says all it will: a step it lets run
				 * waits for nothing else */
	char hash[65];		/* of the two */
	char **approved_by;	/* distinct users, in order */
	size_t n_approved;
	int64_t deadline_us;	/* 0: none */
	struct loop_timer *timer;
	struct http_xfer *notifying;	/* notify's request, until it is answered */
	const int *notify_expect;	/* the statuses it may answer with */
	size_t notify_n_expect;
};

static void
wait_free(struct gate_wait *w)
{
	if (w->timer != NULL)
		loop_timer_cancel(run_loop(w->run), w->timer);
	if (w->notifying != NULL)
		http_cancel(run_http(w->run), w->notifying);
	for (size_t k = 0; k < w->n_approved; k++)
		free(w->approved_by[k]);
	free(w->approved_by);
	free(w->message);
	free(w->content);
	free(w);
}

/* The step's "waiting" event, with what a console shows in its dialog. */
static void
emit_waiting(struct gate_wait *w)
{
	struct event ev = { .type = EV_STEP, .status = ST_WAITING, .phase = PHASE_MAIN,
	    .step = (int32_t)w->step, .attempt = 0, .exit_code = -1 };
	struct strbuf who = STRBUF_INIT;
	cJSON *p = cJSON_CreateObject(), *g = cJSON_AddObjectToObject(p, "gate"), *list;
	struct cost_estimate est;

	cJSON_AddStringToObject(g, "message", w->message);
	if (w->content != NULL)
		cJSON_AddStringToObject(g, "content", w->content);
	cJSON_AddStringToObject(g, "hash", w->hash);
	list = cJSON_AddArrayToObject(g, "approvers");
	for (size_t k = 0; k < w->ap->n_approvers; k++)
		cJSON_AddItemToArray(list, cJSON_CreateString(w->ap->approvers[k]));
	approvers_describe(w->ap, &who);
	cJSON_AddStringToObject(g, "who", sb_str(&who));
	sb_fini(&who);
	cJSON_AddNumberToObject(g, "min_approvals", w->ap->min_approvals);
	list = cJSON_AddArrayToObject(g, "approved_by");
	for (size_t k = 0; k < w->n_approved; k++)
		cJSON_AddItemToArray(list, cJSON_CreateString(w->approved_by[k]));
	cJSON_AddBoolToObject(g, "separate_duty", w->ap->separate_duty);
	if (w->ap->separate_duty)
		cJSON_AddStringToObject(g, "starter", run_opts(w->run)->user);
	if (w->deadline_us > 0) {
		cJSON_AddNumberToObject(g, "deadline_us", (double)w->deadline_us);
		cJSON_AddStringToObject(g, "on_timeout", w->ap->approve_on_timeout ? "approve" :
		    "reject");
	}
	if (w->ap->inputs.n > 0)
		cJSON_AddItemToObject(g, "inputs", argspecs_describe_json(&w->ap->inputs));
	if (run_gate_estimate(w->run, w->step, &est)) {
		cJSON *c = cJSON_AddObjectToObject(g, "estimate");

		cJSON_AddNumberToObject(c, "low_usd", est.low_usd);
		cJSON_AddNumberToObject(c, "high_usd", est.high_usd);
		cJSON_AddNumberToObject(c, "tokens_low", (double)est.tokens_low);
		cJSON_AddNumberToObject(c, "tokens_high", (double)est.tokens_high);
		cJSON_AddBoolToObject(c, "bounded", est.bounded);
		cJSON_AddBoolToObject(c, "priced", est.priced);
	}
	run_emit(w->run, &ev, p);
}

/* Closes the wait: the engine takes the step on. */
static void
wait_close(struct gate_wait *w, bool approved, cJSON *inputs, const char *by,
    const char *comment)
{
	struct run *r = w->run;
	size_t i = w->step;
	cJSON *outputs = NULL;
	char *error = NULL;

	if (!approved)
		error = xasprintf("rejected by %s%s%s", by, comment != NULL && *comment != '\0' ?
		    ": " : "", comment != NULL ? comment : "");
	if (approved && !w->is_gate)
		outputs = gate_outputs(inputs, true, by, comment);
	else
		cJSON_Delete(inputs);
	wait_free(w);
	run_gate_done(r, i, approved, outputs, error);
	free(error);
}

/* notify: {run: CMD} when the gate opens: CMD in the background under
 * /bin/sh, told of the gate in its environment, its output dropped; a
 * command that cannot start is noted in the run.  The shell that starts
 * it exits at once, so nothing of it is left to wait for. */
static void
notify_run(struct gate_wait *w)
{
	static const char starter[] = "/bin/sh -c \"$1\" </dev/null >/dev/null 2>&1 &";
	const struct engine_opts *o = run_opts(w->run);
	const struct step *s = &o->wf->steps[w->step];
	struct attempt a = { .run = w->run, .step = w->step, .phase = PHASE_MAIN,
	    .body = s->gate != NULL ? s->gate : &s->body };
	char *argv[] = { "/bin/sh", "-c", (char *)starter, "sh", (char *)w->ap->notify_run, NULL };
	struct launch_opts lo = { .argv = argv, .out_fd = -1, .err_fd = -1, .cgroup_fd = -1,
		.cgroup_dir = -1, .reset = run_reset_signals(w->run) };
	struct strbuf extra = STRBUF_INIT;
	struct attempt_env env;
	char **all;
	size_t n;
	struct err e;
	pid_t pid;
	int st;

	if (attempt_env(&a, "/dev/null", &env, &e) < 0) {
		run_note(w->run, "warning", "step '%s': its gate's notify did not run: %s", s->id,
		    e.msg);
		return;
	}
	n = env.n;
	all = xcalloc(n + 5, sizeof *all);
	memcpy(all, env.v, n * sizeof *all);
	all[n++] = xasprintf("DROVER_GATE_MESSAGE=%s", w->message);
	all[n++] = xasprintf("DROVER_GATE_CONTENT=%s", w->content != NULL ? w->content : "");
	sb_addf(&extra, "drover approve %lld %s", (long long)run_number(w->run), s->id);
	all[n++] = xasprintf("DROVER_APPROVE=%s", sb_str(&extra));
	sb_fini(&extra);
	lo.env = all;
	lo.out_fd = lo.err_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	pid = lo.out_fd < 0 ? -1 : launch_process(&lo, &e);
	if (lo.out_fd < 0)
		err_set(&e, "cannot open /dev/null");
	if (pid < 0)
		run_note(w->run, "warning", "step '%s': its gate's notify did not run: %s", s->id,
		    e.msg);
	else
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	if (lo.out_fd >= 0)
		close(lo.out_fd);
	for (size_t k = n - 3; k < n; k++)
		free(all[k]);
	free(all);
	attempt_env_fini(&env);
}

static void
on_notified(struct http_response *res, void *ud)
{
	struct gate_wait *w = ud;
	const struct step *s = &run_opts(w->run)->wf->steps[w->step];
	struct attempt_result out = { .exit_code = -1 };

	w->notifying = NULL;
	netcall_judge(res, w->notify_expect, w->notify_n_expect, &out);
	if (out.status != ST_SUCCEEDED)
		run_note(w->run, "warning", "step '%s': its gate's notify failed: %s", s->id,
		    out.error);
	free(out.error);
	http_response_fini(res);
}

/* notify: {http: REQUEST} when the gate opens: the request, rendered in
 * the step's scope, sent on the run's client; a failure is noted in the
 * run.  A gate that closes first drops it. */
static void
notify_http(struct gate_wait *w)
{
	const struct step *s = &run_opts(w->run)->wf->steps[w->step];
	struct http_built hb;
	struct err e;

	if (step_http_build(w->run, w->step, w->ap->notify, &hb, &e) < 0) {
		run_note(w->run, "warning", "step '%s': its gate's notify was not sent: %s", s->id,
		    e.msg);
		return;
	}
	if (hb.rq.timeout_ms == 0)
		hb.rq.timeout_ms = NOTIFY_TIMEOUT_MS;
	w->notify_expect = hb.expect;
	w->notify_n_expect = hb.n_expect;
	w->notifying = http_send(run_http(w->run), &hb.rq, on_notified, w, &e);
	if (w->notifying == NULL)
		run_note(w->run, "warning", "step '%s': its gate's notify was not sent: %s", s->id,
		    e.msg);
	http_built_fini(&hb);
}

/* What the gate shows of what it lets run, now, and the hash of all it
 * shows. */
static void
wait_content(struct gate_wait *w)
{
	struct strbuf sb = STRBUF_INIT;

	free(w->content);
	w->content = run_gate_content(w->run, w->step, &w->complete);
	sb_adds(&sb, w->message);
	sb_addc(&sb, '\0');
	if (w->content != NULL)
		sb_adds(&sb, w->content);
	sha256_hex(sb.buf, sb.len, w->hash);
	sb_fini(&sb);
}

static void
on_gate_timeout(struct loop *l, void *ud)
{
	struct gate_wait *w = ud;
	bool approve = w->ap->approve_on_timeout;
	cJSON *inputs = NULL, *empty;
	struct err e;

	(void)l;
	w->timer = NULL;
	if (approve && w->ap->inputs.n > 0) {
		/* Approving needs the inputs, and only their defaults are here. */
		empty = cJSON_CreateObject();
		inputs = argspecs_resolve(&w->ap->inputs, empty, &e);
		cJSON_Delete(empty);
		approve = inputs != NULL;
	}
	emit_decision(w->run, w->step, approve, "timeout", approve ?
	    "no decision in time (on_timeout: approve)" :
	    "no decision in time (on_timeout: reject)", 0, w->hash);
	wait_close(w, approve, inputs, "timeout", "no decision in time");
}

/* Opens the wait of gate b before step i; message, when not NULL, says
 * what the gate asks instead of b's own. */
static int
gate_open(struct run *r, size_t i, const struct body *b, const char *message, struct err *e)
{
	const struct approval_spec *ap = b->spec;
	const struct step *s = &run_opts(r)->wf->steps[i];
	struct gate_wait *w = xcalloc(1, sizeof *w);

	w->run = r;
	w->step = i;
	w->ap = ap;
	w->is_gate = s->gate == b;
	if (message != NULL)
		w->message = xstrdup(message);
	else if (ap->message != NULL &&
	    (w->message = step_render_shown(r, i, ap->message, TMPL_TEXT, e)) == NULL) {
		free(w);
		return -1;
	}
	if (w->message == NULL)
		w->message = xasprintf("Approve step '%s'?", s->id);
	wait_content(w);
	if (ap->timeout_ms > 0) {
		w->deadline_us = event_now() + ap->timeout_ms * 1000;
		w->timer = loop_timer_add(run_loop(r), ap->timeout_ms, on_gate_timeout, w);
	}
	*run_wait(r, i) = w;
	emit_waiting(w);
	if (ap->notify_run != NULL)
		notify_run(w);
	else if (ap->notify != NULL)
		notify_http(w);
	return STEP_WAITING;
}

static int
approval_decide(struct run *r, size_t i, const struct body *b, cJSON **outputs, struct err *e)
{
	if (run_opts(r)->auto_approve)
		return approve_auto(r, i, b->spec, outputs, e);
	return gate_open(r, i, b, NULL, e);
}

/* limits.budget's on_exceed: ask: a gate anyone who reaches the run may
 * decide, with one input, raise_by (US dollars, at least 0). */
extern const struct step_kind step_approval_kind;
static struct arg_spec budget_raise = {
	.name = (char *)"raise_by", .type = ARG_NUMBER, .has_min = true, .min = 0,
	.min_len = -1, .max_len = -1,
	.description = (char *)"US dollars added to max_cost (default: what the step needs)",
};
static struct approval_spec budget_gate_spec = {
	.min_approvals = 1, .inputs = { &budget_raise, 1 },
};
static const struct body budget_gate = { .kind = &step_approval_kind,
	.spec = &budget_gate_spec };

const struct body *
step_approval_budget_gate(void)
{
	return &budget_gate;
}

int
step_approval_budget_ask(struct run *r, size_t i, const char *message, struct err *e)
{
	return gate_open(r, i, &budget_gate, message, e);
}

/* Why d may not decide the gate, or NULL when it may. */
static const char *
refusal(const struct gate_wait *w, const struct decision *d, char *why, size_t size)
{
	const struct approval_spec *ap = w->ap;
	const char *step = run_opts(w->run)->wf->steps[w->step].id;
	struct strbuf who = STRBUF_INIT;

	if (!approver_allowed(ap, d->uid, d->user)) {
		approvers_describe(ap, &who);
		snprintf(why, size, "step '%s' may be decided only by %s; you are %s", step,
		    sb_str(&who), d->user);
		sb_fini(&who);
		return why;
	}
	if (ap->separate_duty && strcmp(d->user, run_opts(w->run)->user) == 0) {
		snprintf(why, size, "step '%s' has separate_duty: %s started the run and may not "
		    "decide it; someone else must", step, d->user);
		return why;
	}
	if (d->approve && !w->complete) {
		snprintf(why, size, "what step '%s' lets run is not known yet (%s): decide once "
		    "it is", step, w->content);
		return why;
	}
	if (d->hash != NULL && strcmp(d->hash, w->hash) != 0) {
		snprintf(why, size, "what step '%s' will do changed since it was shown to you: "
		    "look again, then decide", step);
		return why;
	}
	for (size_t k = 0; d->approve && k < w->n_approved; k++)
		if (strcmp(w->approved_by[k], d->user) == 0) {
			snprintf(why, size, "you approved step '%s' already; %d more approval%s "
			    "from other users %s needed", step, ap->min_approvals - (int)w->n_approved,
			    ap->min_approvals - (int)w->n_approved == 1 ? "" : "s",
			    ap->min_approvals - (int)w->n_approved == 1 ? "is" : "are");
			return why;
		}
	return NULL;
}

static void
approval_offer(struct run *r, size_t i, const struct body *b, const struct decision *d)
{
	struct gate_wait *w = *run_wait(r, i);
	const struct approval_spec *ap = b->spec;
	cJSON *inputs = NULL, *empty;
	char why[1200];
	struct err e;

	if (refusal(w, d, why, sizeof why) != NULL) {
		run_refuse(r, d, why);
		return;
	}
	if (d->approve && ap->inputs.n > 0) {
		empty = d->inputs == NULL ? cJSON_CreateObject() : NULL;
		inputs = argspecs_resolve(&ap->inputs, d->inputs != NULL ? d->inputs : empty, &e);
		cJSON_Delete(empty);
		if (inputs == NULL) {
			snprintf(why, sizeof why, "inputs of step '%s': %s",
			    run_opts(r)->wf->steps[i].id, e.msg);
			run_refuse(r, d, why);
			return;
		}
	}
	emit_decision(r, i, d->approve, d->user, d->comment, d->ticket, w->hash);
	if (!d->approve) {
		wait_close(w, false, NULL, d->user, d->comment);
		return;
	}
	w->approved_by = xreallocarray(w->approved_by, w->n_approved + 1,
	    sizeof *w->approved_by);
	w->approved_by[w->n_approved++] = xstrdup(d->user);
	if ((int)w->n_approved >= ap->min_approvals) {
		wait_close(w, true, inputs, d->user, d->comment);
		return;
	}
	cJSON_Delete(inputs);
	emit_waiting(w);	/* with one more approval */
}

static void
approval_unwait(struct run *r, size_t i)
{
	wait_free(*run_wait(r, i));
}

/* A step ended: when what the gate shows changed with it, the approvals
 * given so far were for something else, and are void. */
static void
approval_refresh(struct run *r, size_t i)
{
	struct gate_wait *w = *run_wait(r, i);
	char was[65];

	memcpy(was, w->hash, sizeof was);
	wait_content(w);
	if (strcmp(was, w->hash) == 0)
		return;
	if (w->n_approved > 0)
		run_note(r, "warning", "what step '%s' lets run changed: the %zu approval%s it had "
		    "%s void", run_opts(r)->wf->steps[i].id, w->n_approved,
		    w->n_approved == 1 ? "" : "s", w->n_approved == 1 ? "is" : "are");
	for (size_t k = 0; k < w->n_approved; k++)
		free(w->approved_by[k]);
	w->n_approved = 0;
	emit_waiting(w);
}

static const struct step_ops approval_ops = {
	.check = approval_check,
	.decide = approval_decide,
	.offer = approval_offer,
	.unwait = approval_unwait,
	.refresh = approval_refresh,
};

const struct step_kind step_approval_kind = {
	.key = "approval",
	.article = "an",
	.places = BODY_STEP | BODY_TOOL | BODY_GATE,
	.load = approval_load,
	.fini = approval_fini,
	.ops = &approval_ops,
};
