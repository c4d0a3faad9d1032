/* engine.c - the executor: one thread per run, owning all of its state.
 *
 *   caller thread                 executor thread (loop.c)
 *   engine_start ───────────────► stages: steps ─► rollbacks ─► on_failure ─► finally
 *   engine_cancel ──eventfd─────►   │ scheduler: steps whose dependencies are final are
 *   engine_join ◄──── thread end    │ decided (trigger, condition, gate), queued, and
 *                                   │ started in file order within max_parallel and pools
 *                                   ▼
 *                      step kinds (step_run.c, ...) ──attempt_done──► retry / fallback / final
 *                                   │
 *                      every change ──► events ──► ring ──► history writer, viewers
 *
 * Nothing else touches a run's state: other threads talk to the executor
 * through an eventfd.  Events that do not fit in the ring (the history
 * writer is behind) wait in a queue here, and while they wait no step
 * output is read: the steps themselves are slowed by their full pipes, and
 * nothing is lost.
 *
 * Nothing happens before the history says so: an attempt's "running"
 * event is emitted, and the attempt really starts (its process is
 * spawned) only once the history has that event: written to the run's
 * journal (store_journal.c) by this thread, or committed by the history
 * writer (ring_want_commit, the ring's commit eventfd).  Events are
 * numbered in order and journaled or committed in that order, so a step's
 * end is always in the history before any step it let start.  The
 * journal holds no log chunks (a start after one waits for its commit),
 * and is used only while the writer keeps up (what it has not committed
 * is less than JOURNAL_LEAD_MS old): while the history cannot
 * be written nothing new starts; a cancel then stops what runs and is
 * recorded once it can be, and a second signal gives the run up
 * unrecorded (engine_abandoned) for `resume` to take over.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argspec.h"
#include "dur.h"
#include "engine.h"
#include "exec.h"
#include "expr.h"
#include "fsutil.h"
#include "breaker.h"
#include "budget.h"
#include "conf.h"
#include "diag.h"
#include "http.h"
#include "pricing.h"
#include "json.h"
#include "launch.h"
#include "loop.h"
#include "mask.h"
#include "proctrack.h"
#include "ring.h"
#include "store.h"
#include "step_kinds.h"
#include "sha256.h"
#include "strbuf.h"
#include "tmpl.h"
#include "wf.h"
#include "xmalloc.h"
#include "ydoc.h"

extern char **environ;

enum stage { STAGE_MAIN, STAGE_ROLLBACK, STAGE_ON_FAILURE, STAGE_FINALLY, STAGE_DONE };

struct step_rt {
	enum step_status status;
	int attempts;		/* of the main body */
	size_t deps_left;
	size_t *users;		/* steps that depend on this one */
	size_t n_users;
	struct attempt *cur;
	const struct body *waiting_on;	/* a gate (or approval) that waits for people */
	void *wait;			/* ... its kind's state */
	struct loop_timer *retry_timer;
	char *cache_key;	/* a step with `cache`: the key its result is kept under */
	double budget_need;	/* waiting at the budget's gate: what it lacks */
	long long budget_need_tokens;
	cJSON *result;		/* what steps.ID reads */
	cJSON *params;		/* tool steps: the rendered params */
	int64_t started_us, ended_us;
	uint64_t done_order;
	bool in_ready, decided, allow_failed;
	struct run *run;	/* for timer callbacks */
};

struct queued {
	struct queued *next;
	struct event ev;
	char data[];
};

/* How far the journal may run ahead of the writer's commits: beyond this
 * the history is taken to be unwritable, and starts wait for commits. */
#define JOURNAL_LEAD_MS 1000

struct run {
	struct engine_opts o;
	struct ring *ring;
	struct store_journal *journal;	/* or NULL: starts wait for commits */
	uint64_t log_last;	/* the last line of the last log chunk made */
	int64_t number;		/* the run's number and UUID in the history */
	char uuid[37];
	const struct workflow *wf;
	struct loop *loop;
	struct http *http;	/* made at the first request */
	struct breakers *breakers;	/* ... and its circuit breakers */
	struct prices prices;	/* read when first asked for */
	bool prices_read;
	struct budget budget;	/* limits.budget, raised by approvers (on_exceed: ask) */
	struct budget_spend spend;	/* ... and what the run spent */
	bool over_budget;	/* ... and it is over: the run stops */
	struct mask *mask;
	struct step_rt *st;
	size_t *by_id;		/* step indices sorted by id */
	/* scheduling */
	size_t *ready;		/* a min-heap of step indices */
	size_t n_ready, cap_ready;
	size_t *todo;		/* steps whose dependencies are all final */
	size_t n_todo, cap_todo;
	int running, max_parallel;
	int *pool_used;
	enum stage stage;
	size_t sec_first, sec_n, sec_left;
	bool failing, cancelling, force, timed_out, rejected;
	const struct step *first_failed;
	char *first_error;
	const char *rollback_status;
	size_t *rollbacks;	/* succeeded steps with a rollback, latest first */
	size_t n_rollbacks, next_rollback;
	bool rollback_failed;
	uint64_t done_counter;
	/* values expressions read */
	cJSON *args, *env, *run_obj, *workflow_obj, *error_obj, *steps_all;
	char **base_env;
	size_t n_base_env;
	/* events that did not fit in the ring yet */
	struct queued *q_head, *q_tail;
	bool paused;
	uint64_t next_seq;	/* the number the next event gets */
	/* attempts waiting for their "running" event to be recorded, in order */
	struct attempt **starting;
	size_t n_starting, cap_starting, first_starting;
	bool abandoned;
	/* control */
	int cmd_fd, sig_fd;
	atomic_int cancel_req;	/* 1: cancel, 2: force */
	size_t *gates;		/* steps that wait for people, in no order */
	size_t n_gates, cap_gates;
	pthread_mutex_t decisions_lock;	/* engine_decide's queue: */
	struct decision *decisions;
	size_t n_decisions, cap_decisions;
	struct loop_timer *run_timer, *kill_timer;
	char *out_dir;
	int out_fd;		/* out_dir, held open */
	sigset_t reset_signals;	/* what a step's process takes back to default */
	enum run_status final;
	bool finished;
	int64_t started_us;
};

struct engine {
	struct run r;
	pthread_t thread;
	bool started;
};

/* ---- small helpers ---- */

struct loop *
run_loop(struct run *r)
{
	return r->loop;
}

const struct prices *
run_prices(struct run *r, struct err *e)
{
	struct diags d = DIAGS_INIT;
	const struct conf *c = r->o.conf;

	if (!r->prices_read) {
		if (prices_load_shipped(&r->prices, &d) < 0) {
			err_set(e, "%s:%d:%d: %s", d.v[0].file, d.v[0].line, d.v[0].col,
			    d.v[0].msg);
			diags_fini(&d);
			return NULL;
		}
		if (c != NULL)
			for (size_t k = 0; k < c->pricing.n; k++)
				prices_set(&r->prices, c->pricing.v[k].model, c->pricing.v[k].input,
				    c->pricing.v[k].output);
		r->prices_read = true;
	}
	return &r->prices;
}

int
run_add_secret(struct run *r, const char *secret, struct err *e)
{
	return mask_add(r->mask, secret, e);
}

struct breakers *
run_breakers(struct run *r)
{
	const struct circuit_breaker *cb = &r->wf->breaker;

	if (r->breakers == NULL)
		r->breakers = breakers_new(cb->failures, cb->window_ms, cb->open_for_ms);
	return r->breakers;
}

struct http *
run_http(struct run *r)
{
	if (r->http == NULL)
		r->http = http_new(r->loop);
	return r->http;
}

struct proctrack_run *
run_procs(const struct run *r)
{
	return r->o.procs;
}

int64_t
run_kill_grace_ms(const struct run *r)
{
	return r->o.kill_grace_ms;
}

bool
run_paused(const struct run *r)
{
	return r->paused;
}

char *
run_mask(const struct run *r, const char *s, size_t len, size_t *out_len)
{
	return mask_apply(r->mask, s, len, out_len);
}

const struct engine_opts *
run_opts(const struct run *r)
{
	return &r->o;
}

static const struct step *
step_of(const struct run *r, size_t i)
{
	return &r->wf->steps[i];
}

static bool
ok_status(enum step_status s, bool allowed)
{
	return s == ST_SUCCEEDED || s == ST_SKIPPED ||
	    (allowed && (s == ST_FAILED || s == ST_TIMED_OUT));
}

static bool
failed_status(enum step_status s)
{
	return s == ST_FAILED || s == ST_TIMED_OUT || s == ST_UPSTREAM_FAILED;
}

/* ---- events ---- */

static void
queue_event(struct run *r, const struct event *ev)
{
	struct queued *q = xmalloc(sizeof *q + ev->len);

	q->next = NULL;
	q->ev = *ev;
	memcpy(q->data, ev->data, ev->len);
	q->ev.data = q->data;
	if (r->q_tail != NULL)
		r->q_tail->next = q;
	else
		r->q_head = q;
	r->q_tail = q;
}

static void
set_paused(struct run *r, bool paused)
{
	if (r->paused == paused)
		return;
	r->paused = paused;
	for (size_t i = 0; i < r->wf->n_steps; i++) {
		struct attempt *a = r->st[i].cur;

		if (a != NULL && a->ops->pause != NULL)
			a->ops->pause(a, paused);
	}
}

/* Puts an event the run has numbered; the ring numbers it the same way. */
static int
ring_put_numbered(struct ring *ring, struct event *ev)
{
	uint64_t want = ev->seq;

	if (ring_put(ring, ev) < 0)
		return -1;
	if (ev->seq != want)
		fatal("event %" PRIu64 " went into the ring as %" PRIu64, want, ev->seq);
	return 0;
}

/* Numbers an event and puts it in the ring, or queues it (in order) when
 * there is no room. */
static void
emit(struct run *r, struct event *ev)
{
	if (ev->ts == 0)
		ev->ts = event_now();
	ev->seq = r->next_seq;
	r->next_seq += event_span(ev);
	/* Log chunks are not journaled: their text is the bulk of what a run
	 * writes, and goes to the history once.  A start after one waits for
	 * its commit instead (history_has). */
	if (ev->type == EV_LOG)
		r->log_last = event_last_seq(ev);
	else if (r->journal != NULL && store_journal_add(r->journal, ev))
		store_journal_drop(r->journal, ring_committed(r->ring));
	if (r->q_head == NULL && ring_put_numbered(r->ring, ev) == 0)
		return;
	queue_event(r, ev);
	set_paused(r, true);
}

static void
on_ring_room(struct loop *l, int fd, uint32_t events, void *ud)
{
	struct run *r = ud;
	uint64_t v;

	(void)l;
	(void)events;
	if (read(fd, &v, sizeof v) < 0 && errno != EAGAIN)
		return;
	while (r->q_head != NULL && ring_put_numbered(r->ring, &r->q_head->ev) == 0) {
		struct queued *q = r->q_head;

		r->q_head = q->next;
		if (r->q_head == NULL)
			r->q_tail = NULL;
		free(q);
	}
	if (r->q_head == NULL)
		set_paused(r, false);
}

/* An event with a JSON payload; payload may be NULL, and is freed. */
static void
emit_json(struct run *r, struct event *ev, cJSON *payload)
{
	char *text;
	size_t len, max = ring_max_payload(r->ring);

	/* Masked as values, before JSON escapes them. */
	mask_json(r->mask, payload);
	text = payload != NULL ? json_text(payload, false) : NULL;
	len = text != NULL ? strlen(text) : 0;
	if (len > max) {
		/* Only huge outputs get here: keep the event, drop its details. */
		free(text);
		text = xasprintf("{\"error\":\"details too large to record (%zu bytes)\"}", len);
		len = strlen(text);
	}
	ev->data = text;
	ev->len = (uint32_t)len;
	emit(r, ev);
	free(text);
	cJSON_Delete(payload);
}

void
run_emit(struct run *r, struct event *ev, cJSON *payload)
{
	emit_json(r, ev, payload);
}

static void
emit_step(struct run *r, size_t i, enum step_phase phase, enum step_status status, int attempt,
    int exit_code, cJSON *payload)
{
	struct event ev = { .type = EV_STEP, .status = (uint8_t)status, .phase = (uint8_t)phase,
	    .step = (int32_t)i, .attempt = attempt, .exit_code = exit_code };

	emit_json(r, &ev, payload);
}

static void
emit_note(struct run *r, const char *level, const char *msg)
{
	struct event ev = { .type = EV_NOTE, .step = -1, .exit_code = -1 };
	cJSON *p = cJSON_CreateObject();

	cJSON_AddStringToObject(p, "level", level);
	cJSON_AddStringToObject(p, "message", msg);
	emit_json(r, &ev, p);
}

void
run_circuit(struct run *r, const char *endpoint, const char *state, const char *message)
{
	struct event ev = { .type = EV_NOTE, .step = -1, .exit_code = -1 };
	cJSON *p = cJSON_CreateObject(), *c;

	cJSON_AddStringToObject(p, "level", "warning");
	cJSON_AddStringToObject(p, "message", message);
	c = cJSON_AddObjectToObject(p, "circuit");
	cJSON_AddStringToObject(c, "endpoint", endpoint);
	cJSON_AddStringToObject(c, "state", state);
	emit_json(r, &ev, p);
}

int64_t
run_number(const struct run *r)
{
	return r->number;
}

void
run_note(struct run *r, const char *level, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	emit_note(r, level, sb_str(&sb));
	sb_fini(&sb);
}

void
attempt_log(struct attempt *a, enum log_stream stream, const char *lines, size_t len,
    uint32_t nlines, uint64_t first_line)
{
	struct run *r = a->run;
	struct event ev = { .type = EV_LOG, .stream = (uint8_t)stream, .phase = (uint8_t)a->phase,
	    .step = (int32_t)a->step, .attempt = a->number, .exit_code = -1, .nlines = nlines,
	    .first_line = first_line };
	size_t max = ring_max_payload(r->ring), mlen;
	char *masked = mask_apply(r->mask, lines, len, &mlen);

	if (masked != NULL) {
		lines = masked;
		len = mlen;
	}
	/* A chunk bigger than a ring record goes in pieces of whole lines. */
	while (len > max) {
		size_t cut = max;
		uint32_t n = 0;

		while (cut > 0 && lines[cut - 1] != '\n')
			cut--;
		if (cut == 0)
			cut = max;	/* cannot happen: lines are at most 64 KiB */
		for (size_t k = 0; k < cut; k++)
			n += lines[k] == '\n';
		ev.data = lines;
		ev.len = (uint32_t)(cut - 1);
		ev.nlines = n;
		ev.ts = 0;
		emit(r, &ev);
		lines += cut;
		len -= cut;
		nlines -= n;
		ev.first_line += n;
	}
	ev.data = lines;
	ev.len = (uint32_t)len;
	ev.nlines = nlines;
	ev.ts = 0;
	emit(r, &ev);
	free(masked);
}

/* ---- the scope expressions are evaluated in ---- */

struct scope_ctx {
	struct run *r;
	const cJSON *params;
	const cJSON *item, *index;
};

static int
id_cmp(const void *pa, const void *pb, void *ud)
{
	const struct workflow *wf = ud;

	return strcmp(wf->steps[*(const size_t *)pa].id, wf->steps[*(const size_t *)pb].id);
}

static const struct step_rt *
find_rt(const struct run *r, const char *id)
{
	size_t lo = 0, hi = r->wf->n_steps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->wf->steps[r->by_id[mid]].id, id);

		if (c == 0)
			return &r->st[r->by_id[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void
update_run_duration(struct run *r)
{
	char buf[32];

	dur_format((event_now() - r->started_us) / 1000, buf, sizeof buf);
	cJSON_ReplaceItemInObjectCaseSensitive(r->run_obj, "duration", cJSON_CreateString(buf));
}

static const cJSON *
scope_lookup(void *ud, const char *root, const char *member, bool *consumed)
{
	struct scope_ctx *sc = ud;
	struct run *r = sc->r;

	if (strcmp(root, "steps") == 0) {
		if (member != NULL) {
			const struct step_rt *rt = find_rt(r, member);

			*consumed = true;
			return rt != NULL ? rt->result : NULL;
		}
		cJSON_Delete(r->steps_all);
		r->steps_all = cJSON_CreateObject();
		for (size_t i = 0; i < r->wf->n_steps; i++)
			cJSON_AddItemReferenceToObject(r->steps_all, r->wf->steps[i].id,
			    r->st[i].result);
		return r->steps_all;
	}
	if (strcmp(root, "args") == 0)
		return r->args;
	if (strcmp(root, "env") == 0)
		return r->env;
	if (strcmp(root, "run") == 0) {
		update_run_duration(r);
		return r->run_obj;
	}
	if (strcmp(root, "workflow") == 0)
		return r->workflow_obj;
	if (strcmp(root, "error") == 0)
		return r->error_obj;
	if (strcmp(root, "params") == 0)
		return sc->params;
	if (strcmp(root, "item") == 0)
		return sc->item;
	if (strcmp(root, "index") == 0)
		return sc->index;
	return NULL;
}

static char *
masked_msg(const struct run *r, const char *msg)
{
	size_t n;
	char *m = mask_apply(r->mask, msg, strlen(msg), &n);

	return m != NULL ? m : xstrdup(msg);
}

/* Prefixes a render error with the position of the node in the file. */
static void
locate_error(const struct run *r, const struct ynode *n, struct err *e)
{
	err_prefix(e, "%s:%d:%d: ", r->wf->file, n->line, n->col);
}

static cJSON *
render_in(struct run *r, size_t step, const cJSON *params, const struct ynode *n,
    enum tmpl_mode mode, struct err *e)
{
	struct scope_ctx sc = { .r = r, .params = params };
	struct expr_scope scope = { scope_lookup, &sc };
	cJSON *v;

	(void)step;
	if (n->kind == YNODE_SCALAR && n->aux != NULL)
		v = tmpl_render(n->aux, &scope, mode, e);
	else if (n->kind == YNODE_SCALAR && mode != TMPL_VALUE)
		v = cJSON_CreateString(n->str);
	else
		v = tmpl_render_node(n, &scope, e);
	if (v == NULL)
		locate_error(r, n, e);
	return v;
}

cJSON *
step_render(struct run *r, size_t i, const struct ynode *n, struct err *e)
{
	return render_in(r, i, r->st[i].params, n, TMPL_VALUE, e);
}

char *
step_render_shown(struct run *r, size_t i, const struct ynode *n, enum tmpl_mode mode,
    struct err *e)
{
	struct scope_ctx sc = { .r = r, .params = r->st[i].params };
	struct expr_scope scope = { scope_lookup, &sc };
	char *s;

	if (n->kind != YNODE_SCALAR || n->aux == NULL)
		return step_render_text(r, i, n, mode, e);
	if ((s = tmpl_render_shown(n->aux, &scope, mode, r->mask, e)) == NULL)
		locate_error(r, n, e);
	return s;
}

char *
step_render_text(struct run *r, size_t i, const struct ynode *n, enum tmpl_mode mode,
    struct err *e)
{
	cJSON *v = render_in(r, i, r->st[i].params, n, mode, e);
	char *s;

	if (v == NULL)
		return NULL;
	s = expr_value_text(v);
	cJSON_Delete(v);
	return s;
}

int
run_eval_truth(struct run *r, const struct expr *ex, const struct ynode *n, bool *out,
    struct err *e)
{
	struct scope_ctx sc = { .r = r };
	struct expr_scope scope = { scope_lookup, &sc };
	cJSON *v = expr_eval(ex, &scope, e);

	if (v == NULL) {
		locate_error(r, n, e);
		return -1;
	}
	*out = expr_truthy(v);
	cJSON_Delete(v);
	return 0;
}

/* ---- environment ---- */

static void
env_push(char ***env, size_t *n, size_t *cap, char *kv)
{
	size_t klen = strcspn(kv, "=");

	for (size_t i = 0; i < *n; i++) {
		if (strncmp((*env)[i], kv, klen + 1) == 0) {
			free((*env)[i]);
			(*env)[i] = kv;
			return;
		}
	}
	xgrow(env, cap, *n + 2, sizeof **env);
	(*env)[(*n)++] = kv;
	(*env)[*n] = NULL;
}

static char *
env_name_upper(const char *prefix, const char *name)
{
	char *s = xasprintf("%s%s", prefix, name);

	for (char *p = s; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return s;
}

/* Renders a templated env mapping into KEY=VALUE entries, each given to
 * put(ud, kv). */
static int
push_env_map(struct run *r, size_t step, const cJSON *params, const struct ynode *map,
    void (*put)(void *, char *), void *ud, cJSON *mirror, struct err *e)
{
	for (size_t i = 0; map != NULL && i < map->n; i++) {
		cJSON *v = render_in(r, step, params, map->pairs[i].val, TMPL_TEXT, e);
		char *text;

		if (v == NULL)
			return -1;
		text = expr_value_text(v);
		cJSON_Delete(v);
		if (mirror != NULL) {
			cJSON_DeleteItemFromObjectCaseSensitive(mirror, map->pairs[i].key->str);
			cJSON_AddStringToObject(mirror, map->pairs[i].key->str, text);
		}
		put(ud, xasprintf("%s=%s", map->pairs[i].key->str, text));
		free(text);
	}
	return 0;
}

struct base_env {
	struct run *r;
	size_t cap;
};

static void
base_env_put(void *ud, char *kv)
{
	struct base_env *b = ud;

	env_push(&b->r->base_env, &b->r->n_base_env, &b->cap, kv);
}

/* The environment every step starts from: drover's own, the workflow's
 * env, the args as DROVER_ARG_*, and the run's identity. */
static int
build_base_env(struct run *r, struct err *e)
{
	struct base_env b = { r, 0 };
	const cJSON *a;

	r->env = cJSON_CreateObject();
	for (char **p = environ; *p != NULL; p++) {
		const char *eq = strchr(*p, '=');
		char *name;

		if (eq == NULL || wf_env_is_drovers(*p))
			continue;
		base_env_put(&b, xstrdup(*p));
		name = xstrndup(*p, (size_t)(eq - *p));
		cJSON_AddStringToObject(r->env, name, eq + 1);
		free(name);
	}
	if (push_env_map(r, (size_t)-1, NULL, r->wf->env, base_env_put, &b, r->env, e) < 0)
		return -1;
	cJSON_ArrayForEach(a, r->args) {
		char *key = env_name_upper("DROVER_ARG_", a->string);
		char *val = expr_value_text(a);

		base_env_put(&b, xasprintf("%s=%s", key, val));
		free(key);
		free(val);
	}
	base_env_put(&b, xasprintf("DROVER_RUN_ID=%lld", (long long)r->number));
	base_env_put(&b, xasprintf("DROVER_RUN_UUID=%s", r->uuid));
	return 0;
}

/* Sets kv, now the attempt's, in place of its key's entry; `known` says
 * the key is not there yet. */
static void
attempt_env_set(struct attempt_env *env, char *kv, bool known)
{
	size_t klen = strcspn(kv, "=");

	xgrow(&env->own, &env->cap_own, env->n_own + 1, sizeof *env->own);
	env->own[env->n_own++] = kv;
	for (size_t i = 0; !known && i < env->n; i++) {
		if (strncmp(env->v[i], kv, klen + 1) == 0) {
			env->v[i] = kv;
			return;
		}
	}
	xgrow(&env->v, &env->cap, env->n + 2, sizeof *env->v);
	env->v[env->n++] = kv;
	env->v[env->n] = NULL;
}

/* A step's own env (the loader refused drover's names in it). */
static void
attempt_env_put(void *ud, char *kv)
{
	attempt_env_set(ud, kv, false);
}

int
attempt_env(struct attempt *a, const char *output_path, struct attempt_env *env,
    struct err *e)
{
	struct run *r = a->run;

	memset(env, 0, sizeof *env);
	env->cap = r->n_base_env + 8;
	env->v = xcalloc(env->cap, sizeof *env->v);
	memcpy(env->v, r->base_env, r->n_base_env * sizeof *env->v);
	env->n = r->n_base_env;
	if (a->body->env != NULL && push_env_map(r, a->step, r->st[a->step].params, a->body->env,
	    attempt_env_put, env, NULL, e) < 0) {
		attempt_env_fini(env);
		return -1;
	}
	attempt_env_set(env, xasprintf("DROVER_STEP_ID=%s", step_of(r, a->step)->id), true);
	attempt_env_set(env, xasprintf("DROVER_ATTEMPT=%d", a->number), true);
	attempt_env_set(env, xasprintf("DROVER_OUTPUT=%s", output_path), true);
	return 0;
}

void
attempt_env_fini(struct attempt_env *env)
{
	for (size_t i = 0; i < env->n_own; i++)
		free(env->own[i]);
	free(env->own);
	free(env->v);
	memset(env, 0, sizeof *env);
}

char *
run_output_name(const struct attempt *a)
{
	return xasprintf("%" PRIu64 ".out", a->begin_seq);
}

char *
run_output_path(const struct attempt *a)
{
	return xasprintf("%s/%" PRIu64 ".out", a->run->out_dir, a->begin_seq);
}

int
run_dir_fd(const struct run *r)
{
	return r->out_fd;
}

const sigset_t *
run_reset_signals(const struct run *r)
{
	return &r->reset_signals;
}

const struct mask *
run_secrets(const struct run *r)
{
	return r->mask;
}

/* ---- the ready queue: a min-heap of step indices, so steps start in file
 * order ---- */

static void
ready_push(struct run *r, size_t i)
{
	size_t k;

	xgrow(&r->ready, &r->cap_ready, r->n_ready + 1, sizeof *r->ready);
	k = r->n_ready++;
	while (k > 0 && r->ready[(k - 1) / 2] > i) {
		r->ready[k] = r->ready[(k - 1) / 2];
		k = (k - 1) / 2;
	}
	r->ready[k] = i;
	r->st[i].in_ready = true;
}

static void
ready_remove_at(struct run *r, size_t k)
{
	size_t last = r->ready[--r->n_ready];

	if (k == r->n_ready)
		return;
	while (k > 0 && r->ready[(k - 1) / 2] > last) {
		r->ready[k] = r->ready[(k - 1) / 2];
		k = (k - 1) / 2;
	}
	for (;;) {
		size_t c = 2 * k + 1;

		if (c >= r->n_ready)
			break;
		if (c + 1 < r->n_ready && r->ready[c + 1] < r->ready[c])
			c++;
		if (r->ready[c] >= last)
			break;
		r->ready[k] = r->ready[c];
		k = c;
	}
	r->ready[k] = last;
}

static int
pool_index(const struct run *r, const struct step *s)
{
	if (s->pool == NULL)
		return -1;
	for (size_t p = 0; p < r->wf->n_pools; p++)
		if (strcmp(r->wf->pools[p].name, s->pool) == 0)
			return (int)p;
	return -1;
}

/* ---- finishing steps ---- */

static void step_decide(struct run *r, size_t i);
static void gate_waits(struct run *r, size_t i, const struct body *b);
static void refresh_gates(struct run *r, size_t done);
static void step_go(struct run *r, size_t i);
static int render_params(struct run *r, size_t i, const struct body *b, struct err *e);
static void dispatch(struct run *r);
static void stage_next(struct run *r);

static cJSON *
make_result(enum step_status status, cJSON *outputs, int exit_code, int64_t duration_ms)
{
	cJSON *res = cJSON_CreateObject();

	cJSON_AddStringToObject(res, "status", step_status_name(status));
	cJSON_AddItemToObject(res, "outputs", outputs != NULL ? outputs : cJSON_CreateObject());
	if (exit_code >= 0)
		cJSON_AddNumberToObject(res, "exit_code", exit_code);
	else
		cJSON_AddNullToObject(res, "exit_code");
	cJSON_AddNumberToObject(res, "duration_ms", (double)duration_ms);
	return res;
}

/* Whether what approval step g shows (what the steps that wait for it
 * run) reads step done's outputs. */
static bool
gate_reads(const struct run *r, size_t g, size_t done)
{
	const struct step_rt *rt = &r->st[g];

	if (step_of(r, g)->gate != NULL)
		return false;	/* a gate on a step: its upstream was final already */
	for (size_t k = 0; k < rt->n_users; k++) {
		const struct step *u = step_of(r, rt->users[k]);

		for (size_t d = 0; d < u->n_deps; d++)
			if (u->deps[d] == done)
				return true;
	}
	return false;
}

/* Step done has ended: a gate that waits may show something new. */
static void
refresh_gates(struct run *r, size_t done)
{
	for (size_t k = 0; k < r->n_gates; k++) {
		size_t g = r->gates[k];

		if (g != done && r->st[g].waiting_on != NULL &&
		    r->st[g].waiting_on->kind->ops->refresh != NULL && gate_reads(r, g, done))
			r->st[g].waiting_on->kind->ops->refresh(r, g);
	}
}

/* A step reached a final status: record it, tell its dependents. */
static void
step_finish(struct run *r, size_t i, enum step_status status, int exit_code, cJSON *outputs,
    const char *error, cJSON *extra)
{
	struct step_rt *rt = &r->st[i];
	const struct step *s = step_of(r, i);
	int64_t dur = rt->started_us ? (event_now() - rt->started_us) / 1000 : 0;
	cJSON *payload = extra != NULL ? extra : cJSON_CreateObject();

	rt->status = status;
	rt->ended_us = event_now();
	rt->done_order = ++r->done_counter;
	cJSON_Delete(rt->result);
	rt->result = make_result(status, outputs, exit_code, dur);
	cJSON_AddItemToObject(payload, "outputs",
	    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rt->result, "outputs"), true));
	cJSON_AddNumberToObject(payload, "duration_ms", (double)dur);
	if (error != NULL)
		cJSON_AddStringToObject(payload, "error", error);
	emit_step(r, i, PHASE_MAIN, status, rt->attempts, exit_code, payload);

	rt->allow_failed = s->allow_failure && (status == ST_FAILED || status == ST_TIMED_OUT);
	if (failed_status(status) && !s->allow_failure && s->section == SECTION_MAIN) {
		if (!r->failing) {
			r->failing = true;
			r->first_failed = s;
			r->first_error = xstrdup(error != NULL ? error : step_status_name(status));
		}
	}
	if (status == ST_SUCCEEDED && s->rollback != NULL && s->section == SECTION_MAIN) {
		r->rollbacks = xreallocarray(r->rollbacks, r->n_rollbacks + 1, sizeof *r->rollbacks);
		r->rollbacks[r->n_rollbacks++] = i;
	}
	for (size_t k = 0; k < rt->n_users; k++) {
		size_t u = rt->users[k];

		if (--r->st[u].deps_left == 0) {
			xgrow(&r->todo, &r->cap_todo, r->n_todo + 1, sizeof *r->todo);
			r->todo[r->n_todo++] = u;
		}
	}
	r->sec_left--;
	refresh_gates(r, i);
}

/* Decides the steps whose dependencies became final, without recursion
 * (an upstream failure can cascade down a long chain). */
static void
drain_todo(struct run *r)
{
	while (r->n_todo > 0)
		step_decide(r, r->todo[--r->n_todo]);
}

/* ---- attempts ---- */

/* The body an attempt of step i runs in this phase: a tool step runs its
 * tool's. */
static const struct body *
body_for(const struct step *s, enum step_phase phase)
{
	return step_kinds_target(phase == PHASE_FALLBACK ? s->fallback :
	    phase == PHASE_ROLLBACK ? s->rollback : &s->body);
}

static void on_attempt_timeout(struct loop *l, void *ud);
static void start_recorded(struct run *r);

/* Renders a tool step's args into params checked against the tool. */
static int
render_params(struct run *r, size_t i, const struct body *b, struct err *e)
{
	const struct ynode *args;
	const struct tool *t = b->kind->calls(b, &args);
	cJSON *given = args != NULL ? render_in(r, i, NULL, args, TMPL_VALUE, e) :
	    cJSON_CreateObject();
	cJSON *params;

	if (given == NULL)
		return -1;
	params = argspecs_resolve(&t->params, given, e);
	cJSON_Delete(given);
	if (params == NULL)
		return err_prefix(e, "tool '%s': ", t->name);
	cJSON_Delete(r->st[i].params);
	r->st[i].params = params;
	return 0;
}

static void
attempt_free(struct attempt *a)
{
	if (a->timer != NULL)
		loop_timer_cancel(a->run->loop, a->timer);
	if (a->ops->free != NULL)
		a->ops->free(a);
	free(a->start_error);
	free(a);
}

static void attempt_failed_to_start(struct run *r, struct attempt *a, const char *msg);
static void on_start_failed(struct loop *l, void *ud);
static void cancel_run(struct run *r, bool force);

static void
attempt_begin(struct run *r, size_t i, enum step_phase phase, int number)
{
	const struct step *s = step_of(r, i);
	const struct body *raw = phase == PHASE_FALLBACK ? s->fallback :
	    phase == PHASE_ROLLBACK ? s->rollback : &s->body;
	struct attempt *a = xcalloc(1, sizeof *a);
	struct step_rt *rt = &r->st[i];
	cJSON *payload = cJSON_CreateObject();
	struct err e;
	int pool = pool_index(r, s);

	a->run = r;
	a->step = i;
	a->phase = phase;
	a->number = number;
	a->body = body_for(s, phase);
	a->ops = a->body->kind->ops;
	a->started_us = event_now();
	rt->cur = a;
	if (phase == PHASE_MAIN && rt->started_us == 0)
		rt->started_us = a->started_us;
	r->running++;
	if (pool >= 0)
		r->pool_used[pool]++;
	if (phase == PHASE_MAIN)
		rt->status = ST_RUNNING;
	if (a->ops->describe != NULL) {
		char *what = a->ops->describe(a);

		if (what != NULL)
			cJSON_AddStringToObject(payload, "command", what);	/* masked on emit */
		free(what);
	}
	a->begin_seq = r->next_seq;
	emit_step(r, i, phase, ST_RUNNING, number, -1, payload);
	if (a->body != raw && render_params(r, i, raw, &e) < 0) {
		attempt_failed_to_start(r, a, e.msg);
		return;
	}
	xgrow(&r->starting, &r->cap_starting, r->n_starting + 1, sizeof *r->starting);
	r->starting[r->n_starting++] = a;
	start_recorded(r);
}

/* limits.budget: may the attempt start?  Its worst case, when its kind
 * knows one, must fit what is left. */
static bool
attempt_affordable(struct run *r, struct attempt *a, char *why, size_t size)
{
	struct cost_estimate est;
	bool known;

	if (!r->budget.given)
		return true;
	known = a->ops->estimate != NULL && a->ops->estimate(r, a->step, a->body, &est);
	return budget_admits(&r->budget, &r->spend, known ? &est : NULL, why, size);
}

bool
engine_estimate(struct engine *en, size_t i, struct cost_estimate *out)
{
	struct run *r = &en->r;
	const struct body *b = step_kinds_target(&step_of(r, i)->body);

	return b->kind->ops->estimate != NULL && b->kind->ops->estimate(r, i, b, out);
}

/* The attempt's "running" event is in the history: it may act now. */
static void
attempt_run(struct run *r, struct attempt *a)
{
	const struct step *s = step_of(r, a->step);
	struct err e;
	char why[256];

	if (!attempt_affordable(r, a, why, sizeof why)) {
		/* Nothing of it starts, and the run stops. */
		a->over_budget = true;
		r->over_budget = true;
		attempt_failed_to_start(r, a, why);
		cancel_run(r, false);
		return;
	}
	a->recorded = true;
	a->started_us = event_now();
	if (a->body->timeout_ms > 0 || (a->phase == PHASE_MAIN && s->body.timeout_ms > 0)) {
		int64_t t = a->phase == PHASE_MAIN ? s->body.timeout_ms : a->body->timeout_ms;

		a->timer = loop_timer_add(r->loop, t, on_attempt_timeout, a);
	}
	if (a->ops->start(a, &e) < 0)
		attempt_failed_to_start(r, a, e.msg);
}

/* What the history has: the events committed, or every event made once
 * the journal has them, while the writer keeps up. */
static uint64_t
history_has(struct run *r)
{
	uint64_t committed = ring_committed(r->ring);

	if (!store_journal_on(r->journal) || committed + 1 == r->next_seq ||
	    r->log_last > committed)
		return committed;	/* no journal, nothing to add, or a log chunk in the way */
	store_journal_drop(r->journal, committed);
	if (store_journal_oldest(r->journal) < event_now() - JOURNAL_LEAD_MS * 1000)
		return committed;	/* the writer is stuck: its lag must not grow */
	if (store_journal_write(r->journal, committed) < 0) {
		emit_note(r, "warning", store_journal_why(r->journal));
		return committed;
	}
	return r->next_seq - 1;
}

/* Starts, in order, the attempts whose "running" event the history has,
 * and asks to hear of the next commit when some still wait. */
static void
start_recorded(struct run *r)
{
	for (;;) {
		uint64_t committed = history_has(r);

		while (r->first_starting < r->n_starting) {
			struct attempt *a = r->starting[r->first_starting];

			if (a != NULL && a->begin_seq > committed)
				break;
			r->first_starting++;
			if (a != NULL)
				attempt_run(r, a);
		}
		if (r->first_starting == r->n_starting) {
			r->first_starting = r->n_starting = 0;
			return;
		}
		if (!ring_want_commit(r->ring, r->starting[r->first_starting]->begin_seq))
			return;
	}
}

static void
on_committed(struct loop *l, int fd, uint32_t events, void *ud)
{
	eventfd_t drained;

	(void)l;
	(void)events;
	/* Cleared here: ring_want_commit clears it only when an attempt is
	 * still waiting, and once the last one has started nothing would;
	 * left readable, it woke this loop for ever (a busy executor for as
	 * long as a step ran). */
	(void)eventfd_read(fd, &drained);
	start_recorded(ud);
}

/* An attempt still waiting for its "running" event to be recorded will
 * not start: it is taken out of the queue. */
static void
attempt_unqueue(struct run *r, struct attempt *a)
{
	for (size_t k = r->first_starting; k < r->n_starting; k++)
		if (r->starting[k] == a)
			r->starting[k] = NULL;
}

static void
on_start_failed(struct loop *l, void *ud)
{
	struct attempt *a = ud;
	struct attempt_result res = { .status = ST_FAILED, .exit_code = -1 };

	(void)l;
	a->timer = NULL;
	res.error = a->start_error;
	a->start_error = NULL;
	attempt_done(a, &res);
}

/* Ends an attempt that could not start, from the loop rather than from
 * here, so a long run of failures cannot nest calls. */
static void
attempt_failed_to_start(struct run *r, struct attempt *a, const char *msg)
{
	if (a->timer != NULL)
		loop_timer_cancel(r->loop, a->timer);
	a->start_error = xstrdup(msg);
	a->timer = loop_timer_add(r->loop, 0, on_start_failed, a);
}

static void
on_kill_timer(struct loop *l, void *ud)
{
	struct attempt *a = ud;

	(void)l;
	a->timer = NULL;
	a->ops->stop(a, true);
}

/* Stops an attempt: SIGTERM now, SIGKILL after the grace period.  One
 * that has not started yet ends at once, as cancelled. */
static void
attempt_stop(struct run *r, struct attempt *a, bool force)
{
	if (a->timer != NULL) {
		loop_timer_cancel(r->loop, a->timer);
		a->timer = NULL;
	}
	a->stopping = true;
	if (!a->recorded) {
		/* It ends from the loop, with the error it had if any. */
		attempt_unqueue(r, a);
		if (a->start_error == NULL)
			a->start_error = xstrdup("cancelled before it started");
		a->timer = loop_timer_add(r->loop, 0, on_start_failed, a);
		return;
	}
	a->ops->stop(a, force);
	if (!force)
		a->timer = loop_timer_add(r->loop, r->o.kill_grace_ms, on_kill_timer, a);
}

static void
on_attempt_timeout(struct loop *l, void *ud)
{
	struct attempt *a = ud;

	(void)l;
	a->timer = NULL;
	a->timed_out = true;
	attempt_stop(a->run, a, false);
}

static int64_t
retry_delay(const struct retry *rt, int failed_attempt)
{
	double d = (double)rt->delay_ms;

	if (rt->backoff == BACKOFF_EXPONENTIAL)
		d *= pow(rt->factor, failed_attempt - 1);
	else if (rt->backoff == BACKOFF_LINEAR)
		d *= failed_attempt;
	if (rt->max_delay_ms > 0 && d > (double)rt->max_delay_ms)
		d = (double)rt->max_delay_ms;
	if (rt->jitter)
		d *= 0.8 + 0.4 * ((double)random() / (double)RAND_MAX);
	return (int64_t)llround(d);
}

static bool
code_listed(const int *codes, size_t n, int code)
{
	for (size_t i = 0; i < n; i++)
		if (codes[i] == code)
			return true;
	return false;
}

static bool
should_retry(const struct run *r, const struct step *s, const struct step_rt *rt,
    const struct attempt_result *res)
{
	const struct retry *rp = &s->retry;

	if (rt->attempts >= rp->attempts || r->cancelling)
		return false;
	if (res->status == ST_TIMED_OUT)
		return true;
	if (res->status != ST_FAILED || res->no_retry)
		return false;
	if (res->exit_code >= 0 && rp->n_on > 0 && !code_listed(rp->on_codes, rp->n_on,
	    res->exit_code))
		return false;
	if (res->exit_code >= 0 && code_listed(rp->except_codes, rp->n_except, res->exit_code))
		return false;
	return true;
}

/* A server that asks to be left alone longer than retry.max_delay allows
 * (Retry-After) is not tried again: the attempt's error says why. */
static char *
retry_after_beyond(const struct step *s, struct attempt_result *res, char *error)
{
	char asked[32], most[32];
	char *longer;

	if (res->retry_after_ms <= 0 || s->retry.max_delay_ms <= 0 ||
	    res->retry_after_ms <= s->retry.max_delay_ms)
		return error;
	dur_format(res->retry_after_ms, asked, sizeof asked);
	dur_format(s->retry.max_delay_ms, most, sizeof most);
	longer = xasprintf("%s; the server asks to wait %s before trying again (Retry-After), "
	    "longer than retry.max_delay %s", error != NULL ? error : "failed", asked, most);
	res->no_retry = true;
	free(error);
	return longer;
}

static void
on_retry_due(struct loop *l, void *ud)
{
	struct step_rt *rt = ud;
	struct run *r = rt->run;
	size_t i = (size_t)(rt - r->st);

	(void)l;
	rt->retry_timer = NULL;
	if (r->cancelling) {
		step_finish(r, i, ST_CANCELLED, -1, NULL, "cancelled while waiting to retry", NULL);
		drain_todo(r);
		stage_next(r);
		return;
	}
	ready_push(r, i);
	dispatch(r);
}

/* Evaluates the step's `outputs:` templates after success. */
static int
add_templated_outputs(struct run *r, size_t i, cJSON *outputs, struct err *e)
{
	const struct step *s = step_of(r, i);
	struct step_rt *rt = &r->st[i];

	if (s->outputs == NULL)
		return 0;
	cJSON_Delete(rt->result);
	rt->result = make_result(ST_SUCCEEDED, cJSON_Duplicate(outputs, true), 0,
	    (event_now() - rt->started_us) / 1000);
	for (size_t k = 0; k < s->outputs->n; k++) {
		cJSON *v = render_in(r, i, rt->params, s->outputs->pairs[k].val, TMPL_VALUE, e);

		if (v == NULL)
			return -1;
		cJSON_DeleteItemFromObjectCaseSensitive(outputs, s->outputs->pairs[k].key->str);
		cJSON_AddItemToObject(outputs, s->outputs->pairs[k].key->str, v);
	}
	return 0;
}

static void rollback_next(struct run *r);
static void cache_keep(struct run *r, size_t i, cJSON *payload);

/* Counts what an attempt spent; past warn_at it says so, past the budget
 * the run stops (as budget_exceeded). */
static void
run_spent(struct run *r, const struct attempt_result *res)
{
	char why[256];

	switch (budget_add(&r->budget, &r->spend, res->cost_usd,
	    res->tokens_in + res->tokens_out, why, sizeof why)) {
	case 1:
		emit_note(r, "warning", why);
		break;
	case -1:
		if (r->over_budget)
			break;
		emit_note(r, "error", why);
		r->over_budget = true;
		cancel_run(r, false);
		break;
	}
}

void
attempt_done(struct attempt *a, struct attempt_result *res)
{
	struct run *r = a->run;
	size_t i = a->step;
	const struct step *s = step_of(r, i);
	struct step_rt *rt = &r->st[i];
	enum step_phase phase = a->phase;
	int pool = pool_index(r, s);
	struct err e;
	char *error = res->error != NULL ? masked_msg(r, res->error) : NULL;
	cJSON *payload = cJSON_CreateObject();

	if (a->timed_out) {
		char d[32];

		dur_format(phase == PHASE_MAIN ? s->body.timeout_ms : a->body->timeout_ms, d,
		    sizeof d);
		res->status = ST_TIMED_OUT;
		free(error);
		error = xasprintf("timed out after %s", d);
	} else if (a->stopping && res->status != ST_SUCCEEDED && !a->over_budget) {
		res->status = ST_CANCELLED;
		free(error);
		error = xstrdup("cancelled");
	}
	rt->cur = NULL;
	r->running--;
	if (pool >= 0)
		r->pool_used[pool]--;
	attempt_free(a);
	free(res->error);
	res->error = NULL;
	if (res->cost_usd > 0 || res->tokens_in > 0 || res->tokens_out > 0) {
		cJSON_AddNumberToObject(payload, "cost_usd", res->cost_usd);
		cJSON_AddNumberToObject(payload, "tokens_in", (double)res->tokens_in);
		cJSON_AddNumberToObject(payload, "tokens_out", (double)res->tokens_out);
		run_spent(r, res);
	}

	if (phase == PHASE_ROLLBACK) {
		if (res->status != ST_SUCCEEDED)
			r->rollback_failed = true;
		cJSON_AddItemToObject(payload, "outputs", res->outputs);
		if (error != NULL)
			cJSON_AddStringToObject(payload, "error", error);
		emit_step(r, i, PHASE_ROLLBACK, res->status, 1, res->exit_code, payload);
		free(error);
		rollback_next(r);
		return;
	}
	if (res->status == ST_SUCCEEDED && phase == PHASE_MAIN &&
	    add_templated_outputs(r, i, res->outputs, &e) < 0) {
		res->status = ST_FAILED;
		error = masked_msg(r, e.msg);
	}
	if (res->status != ST_SUCCEEDED && phase == PHASE_MAIN)
		error = retry_after_beyond(s, res, error);
	if (res->status != ST_SUCCEEDED && phase == PHASE_MAIN && should_retry(r, s, rt, res)) {
		int64_t delay = retry_delay(&s->retry, rt->attempts);

		if (res->retry_after_ms > delay)
			delay = res->retry_after_ms;

		cJSON_AddItemToObject(payload, "outputs", res->outputs);
		cJSON_AddStringToObject(payload, "error", error != NULL ? error : "failed");
		cJSON_AddNumberToObject(payload, "delay_ms", (double)delay);
		cJSON_AddStringToObject(payload, "attempt_status", step_status_name(res->status));
		rt->status = ST_RETRYING;
		emit_step(r, i, PHASE_MAIN, ST_RETRYING, rt->attempts, res->exit_code, payload);
		free(error);
		rt->retry_timer = loop_timer_add(r->loop, delay, on_retry_due, rt);
		dispatch(r);
		return;
	}
	if (res->status != ST_SUCCEEDED && phase == PHASE_MAIN && s->fallback != NULL &&
	    !r->cancelling) {
		cJSON_AddItemToObject(payload, "outputs", res->outputs);
		cJSON_AddStringToObject(payload, "error", error != NULL ? error : "failed");
		cJSON_AddStringToObject(payload, "attempt_status", step_status_name(res->status));
		emit_step(r, i, PHASE_MAIN, ST_RUNNING, rt->attempts, res->exit_code, payload);
		free(error);
		attempt_begin(r, i, PHASE_FALLBACK, 1);
		return;
	}
	if (phase == PHASE_FALLBACK && res->status == ST_SUCCEEDED)
		cJSON_AddBoolToObject(payload, "fallback", true);
	if (phase == PHASE_MAIN && res->status == ST_SUCCEEDED)
		cache_keep(r, i, payload);
	step_finish(r, i, res->status, res->exit_code, res->outputs, error, payload);
	free(error);
	drain_todo(r);
	dispatch(r);
	stage_next(r);
}

/* ---- deciding and starting steps ---- */

/* Every dependency of step i is final: run it, or give it its final
 * status now (SPEC 4.2). */
static void
step_decide(struct run *r, size_t i)
{
	const struct step *s = step_of(r, i);
	struct step_rt *rt = &r->st[i];
	bool all_ok = true, any_failed = false, go = true;
	struct err e;

	if (rt->decided)
		return;
	rt->decided = true;
	if (r->o.prior != NULL && r->o.prior[i].reused) {
		/* Retry: the earlier run's result stands for this step. */
		const cJSON *res = r->o.prior[i].result;
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(res, "exit_code");
		cJSON *extra = cJSON_CreateObject();

		cJSON_AddTrueToObject(extra, "cached");
		rt->attempts = 0;
		step_finish(r, i, ST_SUCCEEDED, cJSON_IsNumber(code) ? code->valueint : -1,
		    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(res, "outputs"), true), NULL,
		    extra);
		return;
	}
	if (step_status_final(rt->status)) {
		/* Already final before this process started (resume, retry). */
		for (size_t k = 0; k < rt->n_users; k++)
			if (--r->st[rt->users[k]].deps_left == 0) {
				xgrow(&r->todo, &r->cap_todo, r->n_todo + 1, sizeof *r->todo);
				r->todo[r->n_todo++] = rt->users[k];
			}
		if (rt->status == ST_SUCCEEDED && s->rollback != NULL && s->section == SECTION_MAIN) {
			r->rollbacks = xreallocarray(r->rollbacks, r->n_rollbacks + 1,
			    sizeof *r->rollbacks);
			r->rollbacks[r->n_rollbacks++] = i;
		}
		if (failed_status(rt->status) && !s->allow_failure && s->section == SECTION_MAIN &&
		    !r->failing) {
			r->failing = true;
			r->first_failed = s;
			r->first_error = xstrdup(step_status_name(rt->status));
		}
		r->sec_left--;
		return;
	}
	for (size_t k = 0; k < s->n_deps; k++) {
		const struct step_rt *d = &r->st[s->deps[k]];

		if (!ok_status(d->status, step_of(r, s->deps[k])->allow_failure))
			all_ok = false;
		if (failed_status(d->status))
			any_failed = true;
	}
	if (r->cancelling && s->trigger != TRIGGER_ALWAYS) {
		step_finish(r, i, ST_CANCELLED, -1, NULL, NULL, NULL);
		return;
	}
	switch (s->trigger) {
	case TRIGGER_ALL_SUCCESS:
		if (!all_ok) {
			step_finish(r, i, ST_UPSTREAM_FAILED, -1, NULL, NULL, NULL);
			return;
		}
		if (r->failing && s->section == SECTION_MAIN) {
			step_finish(r, i, ST_CANCELLED, -1, NULL, "not started: the run has failed",
			    NULL);
			return;
		}
		break;
	case TRIGGER_ANY_FAILED:
		if (!any_failed) {
			step_finish(r, i, ST_SKIPPED, -1, NULL, NULL, NULL);
			return;
		}
		break;
	case TRIGGER_ALL_DONE:
	case TRIGGER_ALWAYS:
		break;
	}
	if (s->condition != NULL && run_eval_truth(r, s->condition, s->condition_node, &go, &e) < 0) {
		char *m = masked_msg(r, e.msg);

		step_finish(r, i, ST_FAILED, -1, NULL, m, NULL);
		free(m);
		return;
	}
	if (!go) {
		step_finish(r, i, ST_SKIPPED, -1, NULL, NULL, NULL);
		return;
	}
	if (s->gate != NULL) {
		int rc = s->gate->kind->ops->decide(r, i, s->gate, NULL, &e);

		if (rc < 0) {
			step_finish(r, i, ST_FAILED, -1, NULL, e.msg, NULL);
			return;
		}
		if (rc == STEP_WAITING) {
			gate_waits(r, i, s->gate);
			return;
		}
	}
	step_go(r, i);
}

/* ---- the result cache (SPEC 4.1) ---- */

/* The key step i's result is kept under: the SHA-256 of its kind and its
 * `cache.key` rendered, else of what its body takes in (exec.h, inputs),
 * with the run's secrets masked -- so no secret, nor a hash of one, is
 * kept.  NULL, with why noted in the run, when it cannot be made. */
static char *
cache_key_of(struct run *r, size_t i)
{
	const struct step *s = step_of(r, i);
	const struct body *b = body_for(s, PHASE_MAIN);
	struct strbuf sb = STRBUF_INIT;
	char hex[65], *text, *masked;
	size_t n;
	struct err e;

	if (b != &s->body && render_params(r, i, &s->body, &e) < 0)
		return NULL;	/* the attempt will say why */
	text = s->cache_key != NULL ? step_render_text(r, i, s->cache_key, TMPL_TEXT, &e) :
	    b->kind->ops->inputs(r, i, b, &e);
	if (text == NULL) {
		emit_note(r, "warning", "not cached: the key cannot be made");
		return NULL;
	}
	if ((masked = run_mask(r, text, strlen(text), &n)) != NULL) {
		free(text);
		text = masked;
	}
	sb_addf(&sb, "%s\n%s\n%s", s->cache_key != NULL ? "key" : wf_kind_name(b->kind),
	    s->id, text);
	sha256_hex(sb_str(&sb), sb.len, hex);
	sb_fini(&sb);
	free(text);
	return xstrdup(hex);
}

/* A step with `cache` whose result is kept and fresh: it ends now,
 * succeeded and cached, with the kept outputs, costing nothing; true.
 * Else its key is remembered, for its result to be kept. */
static bool
cache_reuse(struct run *r, size_t i)
{
	const struct step *s = step_of(r, i);
	struct step_rt *rt = &r->st[i];
	cJSON *entry = NULL, *extra, *ca;
	const cJSON *code;
	struct err e;
	int rc;

	if (!s->has_cache)
		return false;
	free(rt->cache_key);
	if ((rt->cache_key = cache_key_of(r, i)) == NULL || r->o.cache_get == NULL)
		return false;
	if ((rc = r->o.cache_get(r->o.cache_ud, s->id, rt->cache_key, &entry, &e)) <= 0) {
		if (rc < 0)
			emit_note(r, "warning", e.msg);
		return false;
	}
	extra = cJSON_CreateObject();
	cJSON_AddTrueToObject(extra, "cached");
	ca = cJSON_AddObjectToObject(extra, "cache");
	cJSON_AddStringToObject(ca, "workflow", r->wf->name);
	cJSON_AddStringToObject(ca, "step", s->id);
	cJSON_AddStringToObject(ca, "key", rt->cache_key);
	cJSON_AddNumberToObject(ca, "saved_usd", json_num(entry, "cost_usd", 0));
	cJSON_AddNumberToObject(ca, "from_run", json_num(entry, "run", 0));
	code = cJSON_GetObjectItemCaseSensitive(entry, "exit_code");
	rt->started_us = event_now();
	rt->attempts = 0;
	step_finish(r, i, ST_SUCCEEDED, cJSON_IsNumber(code) ? code->valueint : -1,
	    cJSON_DetachItemFromObjectCaseSensitive(entry, "outputs"), NULL, extra);
	cJSON_Delete(entry);
	return true;
}

/* A step that succeeded under its cache key: its result is kept, for
 * cache.ttl, by the history with its final event. */
static void
cache_keep(struct run *r, size_t i, cJSON *payload)
{
	const struct step *s = step_of(r, i);
	cJSON *ca;

	if (r->st[i].cache_key == NULL)
		return;
	ca = cJSON_AddObjectToObject(payload, "cache");
	cJSON_AddStringToObject(ca, "workflow", r->wf->name);
	cJSON_AddStringToObject(ca, "step", s->id);
	cJSON_AddStringToObject(ca, "key", r->st[i].cache_key);
	cJSON_AddNumberToObject(ca, "expires_at", (double)(event_now() + s->cache_ttl_ms * 1000));
}

/* Step i's gate, if any, is open: its body is decided now (an approval)
 * or queued to run. */
static void
step_go(struct run *r, size_t i)
{
	const struct body *b = body_for(step_of(r, i), PHASE_MAIN);
	struct step_rt *rt = &r->st[i];
	cJSON *outputs = NULL;
	struct err e;
	int rc;

	if (b->kind->ops->decide == NULL) {
		if (!cache_reuse(r, i))
			ready_push(r, i);
		return;
	}
	rt->started_us = event_now();
	rt->attempts = 1;
	/* A tool decided without an attempt (an approval) still reads its
	 * params. */
	if (b != &step_of(r, i)->body && render_params(r, i, &step_of(r, i)->body, &e) < 0) {
		step_finish(r, i, ST_FAILED, -1, NULL, e.msg, NULL);
		return;
	}
	rc = b->kind->ops->decide(r, i, b, &outputs, &e);
	if (rc == STEP_WAITING)
		gate_waits(r, i, b);
	else if (rc < 0)
		step_finish(r, i, ST_FAILED, -1, NULL, e.msg, NULL);
	else
		step_finish(r, i, ST_SUCCEEDED, -1, outputs, NULL, NULL);
}

static void
gate_waits(struct run *r, size_t i, const struct body *b)
{
	r->st[i].waiting_on = b;
	xgrow(&r->gates, &r->cap_gates, r->n_gates + 1, sizeof *r->gates);
	r->gates[r->n_gates++] = i;
}

static void
gate_ends(struct run *r, size_t i)
{
	r->st[i].waiting_on = NULL;
	r->st[i].wait = NULL;
	for (size_t k = 0; k < r->n_gates; k++)
		if (r->gates[k] == i) {
			r->gates[k] = r->gates[--r->n_gates];
			break;
		}
}

void **
run_wait(struct run *r, size_t i)
{
	return &r->st[i].wait;
}

/* limits.budget, on_exceed: ask: a step whose worst case does not fit
 * waits, before it starts, for someone to raise the budget or stop the
 * run; true when it does.  (--auto-approve raises nothing: it stops, as
 * on_exceed: stop does, when the attempt is refused.) */
static bool
budget_asks(struct run *r, size_t i)
{
	const struct body *b = body_for(step_of(r, i), PHASE_MAIN);
	struct cost_estimate est;
	struct strbuf sb = STRBUF_INIT;
	char why[256];
	struct err e;

	if (!r->budget.ask || r->o.auto_approve || b->kind->ops->estimate == NULL ||
	    !b->kind->ops->estimate(r, i, b, &est) ||
	    budget_admits(&r->budget, &r->spend, &est, why, sizeof why))
		return false;
	r->st[i].budget_need = r->spend.usd + est.high_usd - r->budget.max_cost;
	if (r->budget.max_tokens > 0 && r->spend.tokens + est.tokens_high > r->budget.max_tokens)
		r->st[i].budget_need_tokens = r->spend.tokens + est.tokens_high -
		    r->budget.max_tokens;
	sb_addf(&sb, "Over budget: $%.6f spent of max_cost $%.6f, and step '%s' may cost up to "
	    "$%.6f (projected $%.6f). Approve to raise the budget (raise_by, in dollars; "
	    "default $%.6f, what it needs) or reject to stop the run.", r->spend.usd,
	    r->budget.max_cost, step_of(r, i)->id, est.high_usd, r->spend.usd + est.high_usd,
	    r->st[i].budget_need > 0 ? r->st[i].budget_need : 0);
	r->st[i].waiting_on = step_approval_budget_gate();
	if (step_approval_budget_ask(r, i, sb_str(&sb), &e) != STEP_WAITING) {
		r->st[i].waiting_on = NULL;
		sb_fini(&sb);
		return false;
	}
	sb_fini(&sb);
	r->st[i].waiting_on = NULL;
	gate_waits(r, i, step_approval_budget_gate());
	return true;
}

/* The budget gate of step i is decided: raised, the step goes back to be
 * started; rejected, the run stops over budget. */
static void
budget_decided(struct run *r, size_t i, bool approved, cJSON *outputs, const char *error)
{
	struct step_rt *rt = &r->st[i];
	double raise = json_num(outputs, "raise_by", NAN);
	char *why;

	if (!approved) {
		why = xasprintf("over budget: %s", error);
		r->over_budget = true;
		step_finish(r, i, ST_FAILED, -1, NULL, why, NULL);
		free(why);
		cancel_run(r, false);
		return;
	}
	if (isnan(raise) || raise < rt->budget_need)
		raise = rt->budget_need > 0 ? rt->budget_need : 0;
	r->budget.max_cost += raise;
	if (rt->budget_need_tokens > 0)
		r->budget.max_tokens += rt->budget_need_tokens;
	run_note(r, "warning", "budget raised by $%.6f to $%.6f by %s, for step '%s'", raise,
	    r->budget.max_cost, json_str(outputs, "by") != NULL ? json_str(outputs, "by") : "?",
	    step_of(r, i)->id);
	rt->budget_need = 0;
	rt->budget_need_tokens = 0;
	ready_push(r, i);
}

void
run_gate_done(struct run *r, size_t i, bool approved, cJSON *outputs, const char *error)
{
	struct step_rt *rt = &r->st[i];
	bool gate = rt->waiting_on == step_of(r, i)->gate;

	if (rt->waiting_on == step_approval_budget_gate()) {
		gate_ends(r, i);
		budget_decided(r, i, approved, outputs, error);
		cJSON_Delete(outputs);
		drain_todo(r);
		dispatch(r);
		stage_next(r);
		return;
	}
	gate_ends(r, i);
	if (!approved) {
		r->rejected = true;
		cJSON_Delete(outputs);
		step_finish(r, i, ST_FAILED, -1, NULL, error, NULL);
	} else if (gate) {
		step_go(r, i);
	} else {
		step_finish(r, i, ST_SUCCEEDED, -1, outputs, NULL, NULL);
	}
	drain_todo(r);
	dispatch(r);
	stage_next(r);
}

/* The steps the gate of step *i lets run: the step itself when the gate
 * stands beside its body, else (an approval step) those that wait for it. */
static size_t
gate_lets_run(struct run *r, const size_t *i, const size_t **who)
{
	if (step_of(r, *i)->gate != NULL ||
	    r->st[*i].waiting_on == step_approval_budget_gate()) {
		*who = i;
		return 1;
	}
	*who = r->st[*i].users;
	return r->st[*i].n_users;
}

bool
run_gate_estimate(struct run *r, size_t i, struct cost_estimate *out)
{
	const size_t *who;
	size_t n = gate_lets_run(r, &i, &who);
	bool any = false;

	memset(out, 0, sizeof *out);
	out->bounded = out->priced = true;
	for (size_t k = 0; k < n; k++) {
		const struct body *b = body_for(step_of(r, who[k]), PHASE_MAIN);
		struct cost_estimate c;

		if (b->kind->ops == NULL || b->kind->ops->estimate == NULL ||
		    !b->kind->ops->estimate(r, who[k], b, &c))
			continue;
		any = true;
		out->low_usd += c.low_usd;
		out->high_usd += c.high_usd;
		out->tokens_low += c.tokens_low;
		out->tokens_high += c.tokens_high;
		out->bounded = out->bounded && c.bounded;
		out->priced = out->priced && c.priced;
	}
	return any;
}

/* What a gate shows its approvers: for a gate on a step, what the step
 * will run; for an approval step, what each step that waits only for it
 * will run, as far as it can be rendered yet. */
char *
run_gate_content(struct run *r, size_t i, bool *complete)
{
	struct strbuf sb = STRBUF_INIT;
	const size_t *who;
	size_t n = gate_lets_run(r, &i, &who);

	*complete = true;
	for (size_t k = 0; k < n; k++) {
		const struct step *t = step_of(r, who[k]);
		const struct body *b = body_for(t, PHASE_MAIN);
		struct attempt a = { .run = r, .step = who[k], .phase = PHASE_MAIN,
		    .number = r->st[who[k]].attempts + 1, .body = b, .ops = b->kind->ops };
		const char *pending = NULL;
		char *what = NULL;

		/* What it runs depends on its other upstream steps' outputs:
		 * those that run beside the gate are awaited; those that wait
		 * for the gate themselves can only be known after it. */
		for (size_t d = 0; d < t->n_deps && pending == NULL; d++)
			if (t->deps[d] != i && !step_status_final(r->st[t->deps[d]].status) &&
			    !wf_is_upstream(r->wf, i, t->deps[d]))
				pending = step_of(r, t->deps[d])->id;
		if (pending == NULL && b->kind->ops != NULL && b->kind->ops->describe != NULL)
			what = b->kind->ops->describe(&a);
		if (pending == NULL && what == NULL)
			continue;
		if (n > 1 || who[k] != i)
			sb_addf(&sb, "%s%s: ", sb.len > 0 ? "\n" : "", t->id);
		if (pending != NULL) {
			sb_addf(&sb, "(not known yet: it waits for '%s')", pending);
			*complete = false;
		} else {
			sb_adds(&sb, what);
		}
		free(what);
	}
	return sb.len > 0 ? sb_detach(&sb) : (sb_fini(&sb), NULL);
}

/* Starts ready steps in file order while max_parallel and pools allow. */
static void
dispatch(struct run *r)
{
	size_t k = 0;

	while (k < r->n_ready && r->running < r->max_parallel) {
		size_t i = r->ready[k];
		int pool = pool_index(r, step_of(r, i));

		if (pool >= 0 && r->pool_used[pool] >= r->wf->pools[pool].size) {
			k++;	/* waits for its pool; later steps may start */
			continue;
		}
		ready_remove_at(r, k);
		r->st[i].in_ready = false;
		k = 0;
		if (budget_asks(r, i))
			continue;	/* it waits for people to raise the budget */
		r->st[i].attempts++;
		attempt_begin(r, i, PHASE_MAIN, r->st[i].attempts);
	}
}

/* ---- stages ---- */

static void
section_start(struct run *r, enum wf_section sec)
{
	size_t first, n = wf_section_steps(r->wf, sec, &first);

	r->sec_first = first;
	r->sec_n = n;
	r->sec_left = n;
	for (size_t i = first; i < first + n; i++) {
		if (r->st[i].deps_left == 0) {
			xgrow(&r->todo, &r->cap_todo, r->n_todo + 1, sizeof *r->todo);
			r->todo[r->n_todo++] = i;
		}
	}
	/* File order among the first steps. */
	for (size_t a = 0, b = r->n_todo; a + 1 < b; a++, b--) {
		size_t t = r->todo[a];

		r->todo[a] = r->todo[b - 1];
		r->todo[b - 1] = t;
	}
	drain_todo(r);
	dispatch(r);
}

static bool
run_failed(const struct run *r)
{
	return r->failing || r->rejected || r->timed_out;
}

static void
set_error_obj(struct run *r)
{
	cJSON_Delete(r->error_obj);
	r->error_obj = cJSON_CreateObject();
	if (r->first_failed != NULL) {
		char *m = masked_msg(r, r->first_error);

		cJSON_AddStringToObject(r->error_obj, "step", r->first_failed->id);
		cJSON_AddStringToObject(r->error_obj, "message", m);
		free(m);
	} else {
		cJSON_AddNullToObject(r->error_obj, "step");
		cJSON_AddStringToObject(r->error_obj, "message", r->timed_out ? "the run timed out" :
		    r->cancelling ? "the run was cancelled" : "");
	}
	cJSON_AddStringToObject(r->error_obj, "rollback_status", r->rollback_status);
}

static int
done_order_cmp(const void *pa, const void *pb, void *ud)
{
	const struct run *r = ud;
	uint64_t a = r->st[*(const size_t *)pa].done_order, b = r->st[*(const size_t *)pb].done_order;

	return (a < b) - (a > b);	/* latest first */
}

static void
rollback_next(struct run *r)
{
	if (r->force || r->next_rollback >= r->n_rollbacks) {
		r->rollback_status = r->n_rollbacks == 0 ? "none" :
		    r->rollback_failed ? "failed" : "succeeded";
		r->stage = STAGE_ON_FAILURE;
		set_error_obj(r);
		section_start(r, SECTION_ON_FAILURE);
		stage_next(r);
		return;
	}
	attempt_begin(r, r->rollbacks[r->next_rollback++], PHASE_ROLLBACK, 1);
}

static void finish_run(struct run *r);

/* Moves on when the current stage has nothing left running or waiting. */
static void
stage_next(struct run *r)
{
	if (r->finished || r->sec_left > 0 || r->running > 0)
		return;
	switch (r->stage) {
	case STAGE_MAIN:
		if (run_failed(r) && !r->force && !(r->cancelling && !r->timed_out)) {
			r->cancelling = false;	/* cleanup runs after a timeout */
			r->stage = STAGE_ROLLBACK;
			if (r->n_rollbacks > 1)
				qsort_r(r->rollbacks, r->n_rollbacks, sizeof *r->rollbacks,
				    done_order_cmp, r);
			rollback_next(r);
			return;
		}
		r->rollback_status = "none";
		set_error_obj(r);
		r->stage = STAGE_FINALLY;
		if (r->force)
			break;
		r->cancelling = false;	/* finally runs after a cancel */
		section_start(r, SECTION_FINALLY);
		stage_next(r);
		return;
	case STAGE_ROLLBACK:
		return;		/* rollback_next moves on */
	case STAGE_ON_FAILURE:
		r->stage = STAGE_FINALLY;
		if (r->force)
			break;
		section_start(r, SECTION_FINALLY);
		stage_next(r);
		return;
	case STAGE_FINALLY:
	case STAGE_DONE:
		break;
	}
	if (r->stage != STAGE_DONE) {
		/* Steps of stages that did not run: on_failure after a success, or
		 * everything left after a forced stop. */
		for (size_t i = 0; i < r->wf->n_steps; i++)
			if (!step_status_final(r->st[i].status) && r->st[i].cur == NULL)
				step_finish(r, i, r->force ? ST_CANCELLED : ST_SKIPPED, -1, NULL, NULL,
				    NULL);
		r->stage = STAGE_DONE;
		finish_run(r);
	}
}

static enum run_status
final_status(const struct run *r)
{
	if (r->over_budget)
		return RUN_BUDGET_EXCEEDED;
	if (r->timed_out)
		return RUN_TIMED_OUT;
	if (r->rejected)
		return RUN_REJECTED;
	if (r->force || (r->cancel_req > 0 && !r->failing))
		return RUN_CANCELLED;
	if (r->failing)
		return RUN_FAILED;
	for (size_t i = 0; i < r->wf->n_steps; i++) {
		const struct step *s = step_of(r, i);

		if (s->section == SECTION_FINALLY && failed_status(r->st[i].status) &&
		    !s->allow_failure)
			return RUN_FAILED;
	}
	return RUN_SUCCEEDED;
}

static void
finish_run(struct run *r)
{
	struct event ev = { .type = EV_RUN_END, .step = -1 };
	cJSON *p = cJSON_CreateObject();
	r->final = final_status(r);
	r->finished = true;
	ev.status = (uint8_t)r->final;
	ev.exit_code = run_status_exit_code(r->final);
	if (r->final != RUN_SUCCEEDED && r->first_error != NULL) {
		char *m = r->first_failed != NULL ? xasprintf("step '%s': %s", r->first_failed->id,
		    r->first_error) : xstrdup(r->first_error);

		cJSON_AddStringToObject(p, "error", m);
		free(m);
	}
	cJSON_AddNumberToObject(p, "duration_ms", (double)((event_now() - r->started_us) / 1000));
	emit_json(r, &ev, p);
}

/* ---- cancellation, timeouts, signals ---- */

static void
cancel_run(struct run *r, bool force)
{
	if (r->finished)
		return;
	if (!r->cancelling || force) {
		emit_note(r, "warning", force ? "killing every running step" :
		    r->timed_out ? "the run timed out: stopping it" :
		    r->over_budget ? "over budget: stopping the run" : "cancelling the run");
	}
	r->cancelling = true;
	r->force = r->force || force;
	for (size_t i = 0; i < r->wf->n_steps; i++) {
		struct step_rt *rt = &r->st[i];

		if (rt->cur != NULL && (!rt->cur->stopping || force))
			attempt_stop(r, rt->cur, force);
		if (rt->retry_timer != NULL) {
			loop_timer_cancel(r->loop, rt->retry_timer);
			rt->retry_timer = NULL;
			step_finish(r, i, ST_CANCELLED, -1, NULL, "cancelled while waiting to retry",
			    NULL);
		}
		if (rt->waiting_on != NULL) {
			rt->waiting_on->kind->ops->unwait(r, i);
			gate_ends(r, i);
			step_finish(r, i, ST_CANCELLED, -1, NULL,
			    "cancelled while waiting for a decision", NULL);
		}
	}
	/* Queued steps that will not run now. */
	while (r->n_ready > 0) {
		size_t i = r->ready[0];

		ready_remove_at(r, 0);
		r->st[i].in_ready = false;
		if (step_of(r, i)->trigger == TRIGGER_ALWAYS && !force) {
			ready_push(r, i);
			break;
		}
		step_finish(r, i, ST_CANCELLED, -1, NULL, NULL, NULL);
	}
	drain_todo(r);
	dispatch(r);
	stage_next(r);
}

void
run_refuse(struct run *r, const struct decision *d, const char *reason)
{
	struct event ev = { .type = EV_APPROVAL, .step = (int32_t)d->step, .exit_code = -1 };
	cJSON *p = cJSON_CreateObject();

	cJSON_AddStringToObject(p, "decision", d->approve ? "approved" : "rejected");
	cJSON_AddStringToObject(p, "by", d->user);
	if (d->comment != NULL)
		cJSON_AddStringToObject(p, "comment", d->comment);
	cJSON_AddTrueToObject(p, "refused");
	cJSON_AddStringToObject(p, "reason", reason);
	cJSON_AddNumberToObject(p, "ticket", (double)d->ticket);
	run_emit(r, &ev, p);
}

static void
decision_fini(struct decision *d)
{
	free(d->comment);
	free(d->hash);
	cJSON_Delete(d->inputs);
}

/* The decisions engine_decide queued: each goes to the gate it is for,
 * or is refused (and recorded) when that step waits for none. */
static void
take_decisions(struct run *r)
{
	struct decision *ds;
	size_t n;

	pthread_mutex_lock(&r->decisions_lock);
	ds = r->decisions;
	n = r->n_decisions;
	r->decisions = NULL;
	r->n_decisions = r->cap_decisions = 0;
	pthread_mutex_unlock(&r->decisions_lock);
	for (size_t k = 0; k < n; k++) {
		struct decision *d = &ds[k];
		struct step_rt *rt = &r->st[d->step < r->wf->n_steps ? d->step : 0];
		char why[160];

		if (d->step >= r->wf->n_steps) {
			/* ctl checks the step: never here */
		} else if (rt->waiting_on != NULL && !r->finished) {
			rt->waiting_on->kind->ops->offer(r, d->step, rt->waiting_on, d);
		} else {
			snprintf(why, sizeof why, "step '%s' is not waiting for a decision (it is %s)",
			    step_of(r, d->step)->id, step_status_name(rt->status));
			run_refuse(r, d, why);
		}
		decision_fini(d);
	}
	free(ds);
}

static void
on_command(struct loop *l, int fd, uint32_t events, void *ud)
{
	struct run *r = ud;
	uint64_t v;
	int req;

	(void)l;
	(void)events;
	if (read(fd, &v, sizeof v) < 0)
		return;
	take_decisions(r);
	req = atomic_load(&r->cancel_req);
	if (req > 0)
		cancel_run(r, req > 1);
}

/* True while events the run made are not in the history yet. */
static bool
history_behind(struct run *r)
{
	return r->q_head != NULL || ring_committed(r->ring) + 1 < r->next_seq;
}

/* Gives the run up without recording its end: every step process is
 * killed and the ring abandoned, so this process can exit now.  The
 * history shows the run running with what it had committed; `resume`
 * takes it over. */
static void
abandon_run(struct run *r)
{
	for (size_t i = 0; i < r->wf->n_steps; i++) {
		struct attempt *a = r->st[i].cur;

		if (a != NULL && a->recorded)
			a->ops->stop(a, true);
	}
	r->abandoned = true;
	r->finished = true;
	ring_abandon(r->ring);
}

static void
on_signal(struct loop *l, int fd, uint32_t events, void *ud)
{
	struct run *r = ud;
	struct signalfd_siginfo si;

	(void)l;
	(void)events;
	if (read(fd, &si, sizeof si) != sizeof si)
		return;
	/* The first signal cancels, a second kills; when the history cannot
	 * take even that, a second one ends the run unrecorded. */
	if (atomic_load(&r->cancel_req) > 0) {
		atomic_store(&r->cancel_req, 2);
		if (history_behind(r)) {
			abandon_run(r);
			return;
		}
	} else {
		atomic_store(&r->cancel_req, 1);
	}
	cancel_run(r, atomic_load(&r->cancel_req) > 1);
}

static void
on_run_timeout(struct loop *l, void *ud)
{
	struct run *r = ud;

	(void)l;
	r->run_timer = NULL;
	r->timed_out = true;
	cancel_run(r, false);
}

/* ---- lifecycle ---- */

static void
emit_run_start(struct run *r)
{
	struct event ev = { .type = EV_RUN_START, .step = -1, .exit_code = -1,
	    .status = RUN_RUNNING };
	cJSON *p = cJSON_CreateObject();
	cJSON *shown = cJSON_Duplicate(r->args, true);

	for (size_t k = 0; k < r->wf->args.n; k++)
		if (r->wf->args.v[k].secret && cJSON_GetObjectItemCaseSensitive(shown,
		    r->wf->args.v[k].name) != NULL)
			cJSON_ReplaceItemInObjectCaseSensitive(shown, r->wf->args.v[k].name,
			    cJSON_CreateString("***"));
	cJSON_AddStringToObject(p, "uuid", r->uuid);
	cJSON_AddStringToObject(p, "workflow", r->wf->name);
	cJSON_AddStringToObject(p, "file", r->wf->file);
	cJSON_AddItemToObject(p, "args", shown);
	cJSON_AddStringToObject(p, "user", r->o.user);
	cJSON_AddStringToObject(p, "host", r->o.host);
	cJSON_AddNumberToObject(p, "pid", getpid());
	cJSON_AddStringToObject(p, "process_tracking",
	    proctrack_mode_name(proctrack_run_mode(r->o.procs)));
	emit_json(r, &ev, p);
}

/* The run cannot even begin (its env does not render, no place for step
 * files): it is recorded as failed, with every step cancelled. */
static void
abort_run(struct run *r, const char *msg)
{
	char *m = masked_msg(r, msg);

	emit_note(r, "error", m);
	r->failing = true;
	r->first_error = m;
	r->force = true;
	for (size_t i = 0; i < r->wf->n_steps; i++)
		if (!step_status_final(r->st[i].status))
			step_finish(r, i, ST_CANCELLED, -1, NULL, NULL, NULL);
	r->stage = STAGE_DONE;
	finish_run(r);
}

static int
prepare_run(struct run *r, struct err *e)
{
	r->out_dir = xasprintf("%s/run-%s", r->o.runtime_dir, r->uuid);
	if (mkdir(r->out_dir, 0700) < 0 && errno != EEXIST)
		return err_set(e, "cannot create %s: %s", r->out_dir, strerror(errno));
	/* Steps find their output files through this directory: hold it. */
	r->out_fd = open(r->out_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->out_fd < 0)
		return err_set(e, "cannot open %s: %s", r->out_dir, strerror(errno));
	/* A resumed run's directory may hold what its last process left. */
	if (fs_empty_dir(r->out_fd) < 0)
		return err_set(e, "cannot empty %s: %s; remove it, then start the run again "
		    "with drover retry", r->out_dir, errno == ELOOP ?
		    "it holds directories nested too deep" : strerror(errno));
	launch_signals_to_reset(&r->reset_signals);
	return build_base_env(r, e);
}

static void *
executor_main(void *arg)
{
	struct engine *en = arg;
	struct run *r = &en->r;
	struct err e;

	emit_run_start(r);
	if (prepare_run(r, &e) < 0) {
		abort_run(r, e.msg);
	} else {
		if (r->wf->timeout_ms > 0)
			r->run_timer = loop_timer_add(r->loop, r->wf->timeout_ms, on_run_timeout, r);
		r->stage = STAGE_MAIN;
		section_start(r, SECTION_MAIN);
		stage_next(r);
	}
	/* The run is over once the history has all of it; until then a
	 * second signal can still end it. */
	while (!r->abandoned && !(r->finished && r->q_head == NULL &&
	    ring_want_commit(r->ring, r->next_seq - 1)))
		loop_run_once(r->loop, -1);
	if (!r->abandoned)
		ring_close(r->ring);
	return NULL;
}

static bool
resources_given(const struct resources *res)
{
	return res->preset > PRESET_NONE || res->cpu_time_ms > 0 || res->memory > 0 ||
	    res->open_files > 0;
}

/* Steps drover cannot run yet (a kind without ops), fields it cannot
 * honour yet, or steps their kind refuses as things are (a gate nobody can
 * open): refuse before anything starts, rather than accept a setting and
 * ignore it. */
static int
check_runnable(struct run *r, struct err *e)
{
	const struct workflow *wf = r->wf;

	if (resources_given(&wf->default_resources))
		return err_set(e, "the workflow sets defaults.resources, which this version of "
		    "drover cannot apply to processes yet; remove it to run the workflow");
	for (size_t i = 0; i < wf->n_steps; i++) {
		const struct step *s = &wf->steps[i];
		const struct body *bodies[] = { &s->body, s->fallback, s->rollback };

		for (size_t k = 0; k < 3; k++) {
			const struct step_kind *kind;

			if (bodies[k] == NULL)
				continue;
			kind = step_kinds_target(bodies[k])->kind;
			if (kind->ops != NULL)
				continue;
			return err_set(e, "step '%s' is %s %s step, and this version of drover cannot "
			    "run %s steps yet", s->id, kind->article, kind->key, kind->key);
		}
		if (s->for_each_node != NULL)
			return err_set(e, "step '%s' uses for_each, which this version of drover cannot "
			    "run yet", s->id);
		if (s->repeat != NULL)
			return err_set(e, "step '%s' uses repeat, which this version of drover cannot "
			    "run yet", s->id);
		if (s->has_cache && step_kinds_target(&s->body)->kind->ops->decide != NULL)
			return err_set(e, "step '%s' uses cache, and %s %s step has no result to "
			    "keep", s->id, step_kinds_target(&s->body)->kind->article,
			    step_kinds_target(&s->body)->kind->key);
		if (s->has_cache && s->cache_key == NULL &&
		    step_kinds_target(&s->body)->kind->ops->inputs == NULL)
			return err_set(e, "step '%s' uses cache, and what %s %s step takes in cannot "
			    "be its key: give one (cache: {ttl: ..., key: ...})", s->id,
			    step_kinds_target(&s->body)->kind->article,
			    step_kinds_target(&s->body)->kind->key);
		if (resources_given(&s->resources))
			return err_set(e, "step '%s' sets resources, which this version of drover "
			    "cannot apply to processes yet; remove it to run the workflow", s->id);
	}
	/* Every body has ops by now (checked above), and each kind may refuse
	 * its step as things are: a gate nobody can open. */
	for (size_t i = 0; i < wf->n_steps; i++) {
		const struct step *s = &wf->steps[i];
		const struct body *bodies[] = { s->gate, step_kinds_target(&s->body),
			s->fallback != NULL ? step_kinds_target(s->fallback) : NULL,
			s->rollback != NULL ? step_kinds_target(s->rollback) : NULL };

		for (size_t k = 0; k < 4; k++)
			if (bodies[k] != NULL && bodies[k]->kind->ops->check != NULL &&
			    bodies[k]->kind->ops->check(r, i, bodies[k], e) < 0)
				return -1;
	}
	return 0;
}

static void
init_objects(struct run *r)
{
	char at[40];

	event_time_rfc3339(r->started_us, at, sizeof at);
	r->run_obj = cJSON_CreateObject();
	cJSON_AddNumberToObject(r->run_obj, "id", (double)r->number);
	cJSON_AddStringToObject(r->run_obj, "uuid", r->uuid);
	cJSON_AddStringToObject(r->run_obj, "user", r->o.user);
	cJSON_AddStringToObject(r->run_obj, "host", r->o.host);
	cJSON_AddStringToObject(r->run_obj, "started_at", at);
	cJSON_AddStringToObject(r->run_obj, "duration", "0ms");
	r->workflow_obj = cJSON_CreateObject();
	cJSON_AddStringToObject(r->workflow_obj, "name", r->wf->name);
	if (r->wf->version != NULL)
		cJSON_AddStringToObject(r->workflow_obj, "version", r->wf->version);
	cJSON_AddStringToObject(r->workflow_obj, "file", r->wf->file);
}

static void
init_graph(struct run *r)
{
	const struct workflow *wf = r->wf;

	for (size_t i = 0; i < wf->n_steps; i++) {
		const struct step *s = &wf->steps[i];

		r->st[i].run = r;
		r->st[i].deps_left = s->n_deps;
		r->st[i].result = make_result(ST_PENDING, NULL, -1, 0);
		for (size_t k = 0; k < s->n_deps; k++) {
			struct step_rt *d = &r->st[s->deps[k]];

			d->users = xappend_room(d->users, d->n_users, sizeof *d->users);
			d->users[d->n_users++] = i;
		}
		/* Resume: what already happened stands; reused results (retry) are
		 * recorded again when their step is decided. */
		if (r->o.prior != NULL && !r->o.prior[i].reused) {
			r->st[i].attempts = r->o.prior[i].attempts;
			r->spend.usd += r->o.prior[i].cost_usd;
			r->spend.tokens += r->o.prior[i].tokens;
			if (step_status_final(r->o.prior[i].status)) {
				r->st[i].status = r->o.prior[i].status;
				cJSON_Delete(r->st[i].result);
				r->st[i].result = cJSON_Duplicate(r->o.prior[i].result, true);
			}
		}
	}
	r->by_id = xcalloc(wf->n_steps + 1, sizeof *r->by_id);
	for (size_t i = 0; i < wf->n_steps; i++)
		r->by_id[i] = i;
	qsort_r(r->by_id, wf->n_steps, sizeof *r->by_id, id_cmp, (void *)wf);
}

struct engine *
engine_new(const struct engine_opts *o, struct err *e)
{
	struct engine *en = xcalloc(1, sizeof *en);
	struct run *r = &en->r;
	const struct workflow *wf = o->wf;
	const cJSON *a;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	r->o = *o;
	r->wf = wf;
	r->budget = wf->budget;
	r->cmd_fd = r->sig_fd = r->out_fd = -1;
	pthread_mutex_init(&r->decisions_lock, NULL);
	r->started_us = o->started_at != 0 ? o->started_at : event_now();
	r->args = cJSON_Duplicate(o->args, true);
	r->mask = mask_new();
	for (size_t k = 0; k < wf->args.n; k++)
		if (wf->args.v[k].secret &&
		    (a = cJSON_GetObjectItemCaseSensitive(o->args, wf->args.v[k].name)) != NULL) {
			char *t = expr_value_text(a);
			int rc = mask_add(r->mask, t, e);

			free(t);
			if (rc < 0) {
				err_prefix(e, "arg '%s' is secret, and ", wf->args.v[k].name);
				engine_free(en);
				return NULL;
			}
		}
	r->st = xcalloc(wf->n_steps + 1, sizeof *r->st);
	r->pool_used = xcalloc(wf->n_pools + 1, sizeof *r->pool_used);
	r->max_parallel = wf->max_parallel > 0 ? wf->max_parallel : ncpu > 0 ? (int)ncpu : 2;
	r->rollback_status = "none";
	r->loop = loop_new();
	init_objects(r);
	init_graph(r);
	r->error_obj = cJSON_CreateNull();
	if (check_runnable(r, e) < 0) {
		engine_free(en);
		return NULL;
	}
	r->cmd_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->cmd_fd < 0) {
		err_set(e, "cannot start the run (eventfd: %s)%s", strerror(errno),
		    err_sys_hint(errno));
		engine_free(en);
		return NULL;
	}
	loop_watch(r->loop, r->cmd_fd, EPOLLIN, on_command, r);
	return en;
}

int
engine_start(struct engine *en, struct ring *ring, struct store_journal *journal, int64_t run,
    const char *uuid, struct err *e)
{
	struct run *r = &en->r;
	sigset_t sigs;
	int rc;

	r->ring = ring;
	r->journal = journal;
	r->next_seq = ring_next_seq(ring);
	loop_watch(r->loop, ring_room_fd(ring), EPOLLIN, on_ring_room, r);
	loop_watch(r->loop, ring_commit_fd(ring), EPOLLIN, on_committed, r);
	r->number = run;
	snprintf(r->uuid, sizeof r->uuid, "%s", uuid);
	cJSON_ReplaceItemInObjectCaseSensitive(r->run_obj, "id", cJSON_CreateNumber((double)run));
	cJSON_ReplaceItemInObjectCaseSensitive(r->run_obj, "uuid", cJSON_CreateString(uuid));
	/* The caller blocked these before any thread existed; the executor
	 * takes them through a signalfd. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	r->sig_fd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r->sig_fd >= 0)
		loop_watch(r->loop, r->sig_fd, EPOLLIN, on_signal, r);
	rc = pthread_create(&en->thread, NULL, executor_main, en);
	if (rc != 0)
		return err_set(e, "cannot start the executor thread: %s", strerror(rc));
	en->started = true;
	return 0;
}

void
engine_decide(struct engine *en, struct decision *d)
{
	struct run *r = &en->r;
	uint64_t one = 1;

	pthread_mutex_lock(&r->decisions_lock);
	xgrow(&r->decisions, &r->cap_decisions, r->n_decisions + 1, sizeof *r->decisions);
	r->decisions[r->n_decisions++] = *d;
	pthread_mutex_unlock(&r->decisions_lock);
	if (write(r->cmd_fd, &one, sizeof one) < 0) {
		/* The counter is full: a wake-up is already pending. */
	}
}

void
engine_cancel(struct engine *en, bool force)
{
	struct run *r = &en->r;
	uint64_t one = 1;

	atomic_store(&r->cancel_req, force ? 2 : atomic_load(&r->cancel_req) > 0 ? 2 : 1);
	if (write(r->cmd_fd, &one, sizeof one) < 0) {
		/* The counter is full: a wake-up is already pending. */
	}
}

bool
engine_abandoned(const struct engine *en)
{
	return en->r.abandoned;
}

enum run_status
engine_join(struct engine *en)
{
	if (en->started) {
		pthread_join(en->thread, NULL);
		en->started = false;
	}
	return en->r.final;
}

void
engine_free(struct engine *en)
{
	struct run *r;

	if (en == NULL)
		return;
	engine_join(en);
	r = &en->r;
	for (size_t i = 0; r->st != NULL && i < r->wf->n_steps; i++) {
		if (r->st[i].cur != NULL)
			attempt_free(r->st[i].cur);
		if (r->st[i].waiting_on != NULL)	/* the run was given up */
			r->st[i].waiting_on->kind->ops->unwait(r, i);
		free(r->st[i].users);
		cJSON_Delete(r->st[i].result);
		cJSON_Delete(r->st[i].params);
		free(r->st[i].cache_key);
	}
	while (r->q_head != NULL) {
		struct queued *q = r->q_head;

		r->q_head = q->next;
		free(q);
	}
	free(r->starting);
	free(r->st);
	free(r->by_id);
	free(r->ready);
	free(r->todo);
	free(r->pool_used);
	free(r->rollbacks);
	free(r->first_error);
	for (size_t i = 0; i < r->n_base_env; i++)
		free(r->base_env[i]);
	free(r->base_env);
	cJSON_Delete(r->args);
	cJSON_Delete(r->env);
	cJSON_Delete(r->run_obj);
	cJSON_Delete(r->workflow_obj);
	cJSON_Delete(r->error_obj);
	cJSON_Delete(r->steps_all);
	mask_free(r->mask);
	/* What a step left in place of its $DROVER_OUTPUT (a directory, say)
	 * goes too; in the common case the directory is already empty. */
	if (r->out_dir != NULL && rmdir(r->out_dir) < 0 && r->out_fd >= 0 &&
	    fs_empty_dir(r->out_fd) == 0)
		rmdir(r->out_dir);
	if (r->out_fd >= 0)
		close(r->out_fd);
	free(r->out_dir);
	if (r->cmd_fd >= 0)
		close(r->cmd_fd);
	for (size_t k = 0; k < r->n_decisions; k++)
		decision_fini(&r->decisions[k]);
	free(r->decisions);
	free(r->gates);
	pthread_mutex_destroy(&r->decisions_lock);
	if (r->sig_fd >= 0)
		close(r->sig_fd);
	http_free(r->http);
	breakers_free(r->breakers);
	prices_fini(&r->prices);
	loop_free(r->loop);
	free(en);
}
