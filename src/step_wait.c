/* step_wait.c - `wait` steps: nothing but time passing. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "exec.h"
#include "loop.h"
#include "step_kinds.h"
#include "wf_read.h"
#include "xmalloc.h"

struct wait_spec {
	int64_t ms;
};

struct waiting {
	struct loop_timer *timer;
	bool stopped;
};

static void
on_waited(struct loop *l, void *ud)
{
	struct attempt *a = ud;
	struct waiting *w = a->state;
	struct attempt_result res = { .exit_code = -1 };

	(void)l;
	w->timer = NULL;
	res.status = w->stopped ? ST_CANCELLED : ST_SUCCEEDED;
	res.outputs = cJSON_CreateObject();
	attempt_done(a, &res);
}

static int
wait_start(struct attempt *a, struct err *e)
{
	const struct wait_spec *ws = a->body->spec;
	struct waiting *w = xcalloc(1, sizeof *w);

	(void)e;
	a->state = w;
	w->timer = loop_timer_add(run_loop(a->run), ws->ms, on_waited, a);
	return 0;
}

/* Ends the wait now (from the loop: stop must not finish the attempt). */
static void
wait_stop(struct attempt *a, bool force)
{
	struct waiting *w = a->state;

	(void)force;
	if (w == NULL || w->stopped || w->timer == NULL)
		return;
	w->stopped = true;
	loop_timer_cancel(run_loop(a->run), w->timer);
	w->timer = loop_timer_add(run_loop(a->run), 0, on_waited, a);
}

static void
wait_free(struct attempt *a)
{
	struct waiting *w = a->state;

	if (w == NULL)
		return;
	if (w->timer != NULL)
		loop_timer_cancel(run_loop(a->run), w->timer);
	free(w);
	a->state = NULL;
}

static const struct step_ops wait_ops = {
	.start = wait_start,
	.stop = wait_stop,
	.pause = NULL,
	.free = wait_free,
};

/* ---- the body, as written ---- */

static void
wait_load(struct ld *ld, struct ynode *n, struct body *b, const struct refctx *ctx)
{
	struct wait_spec *ws = xcalloc(1, sizeof *ws);

	(void)ctx;
	b->spec = ws;
	ld_dur(ld, n, "wait", &ws->ms);
}

static void
wait_detail(const struct body *b, char *buf, size_t size)
{
	const struct wait_spec *ws = b->spec;

	snprintf(buf, size, "wait %lld ms", (long long)ws->ms);
}

const struct step_kind step_wait_kind = {
	.key = "wait",
	.article = "a",
	.places = BODY_STEP | BODY_ALT,
	.load = wait_load,
	.detail = wait_detail,
	.ops = &wait_ops,
};
