/* model.c - folding a run's events into a picture of the run (model.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "model.h"
#include "wf.h"
#include "xmalloc.h"

void
model_init(struct model *m, struct workflow *wf, int64_t run)
{
	memset(m, 0, sizeof *m);
	m->wf = wf;
	m->run = run;
	m->exit_code = -1;
	m->last_started = -1;
	m->steps = xcalloc(wf->n_steps + 1, sizeof *m->steps);
	for (size_t i = 0; i < wf->n_steps; i++)
		m->steps[i].exit_code = -1;
}

void
model_init_borrowed(struct model *m, const struct workflow *wf, int64_t run)
{
	/* The model never changes its workflow: only model_fini frees it. */
	model_init(m, (struct workflow *)wf, run);
	m->wf_borrowed = true;
}

void
model_fini(struct model *m)
{
	if (m->wf == NULL)
		return;
	for (size_t i = 0; i < m->wf->n_steps; i++) {
		free(m->steps[i].error);
		free(m->steps[i].command);
		cJSON_Delete(m->steps[i].outputs);
		cJSON_Delete(m->steps[i].gate);
	}
	free(m->steps);
	free(m->user);
	cJSON_Delete(m->circuits);
	if (!m->wf_borrowed)
		wf_free(m->wf);
	memset(m, 0, sizeof *m);
}

/* Replaces *dst with a copy of p's string member key, when it has one. */
static bool
model_take_str(char **dst, const cJSON *p, const char *key)
{
	const char *v = json_str(p, key);

	if (v == NULL)
		return false;
	free(*dst);
	*dst = xstrdup(v);
	return true;
}

static void
model_run_start(struct model *m, const struct event *ev)
{
	cJSON *p = event_json(ev);
	const char *uuid = json_str(p, "uuid");

	if (m->started_us == 0)
		m->started_us = ev->ts;
	m->status = RUN_RUNNING;
	m->ended = false;
	if (uuid != NULL)
		snprintf(m->uuid, sizeof m->uuid, "%s", uuid);
	model_take_str(&m->user, p, "user");
	cJSON_Delete(p);
}

static void
model_step(struct model *m, const struct event *ev)
{
	struct model_step *s;
	cJSON *p;
	const cJSON *v;

	if (ev->step < 0 || (size_t)ev->step >= m->wf->n_steps)
		return;
	s = &m->steps[ev->step];
	if (ev->phase == PHASE_MAIN || step_status_final(ev->status))
		s->status = ev->status;
	if (ev->attempt > 0)
		s->attempt = ev->attempt;
	if (ev->status == ST_RUNNING && ev->phase == PHASE_MAIN) {
		s->started_us = ev->ts;
		s->ended_us = 0;
		m->last_started = ev->step;
	}
	if (step_status_final(ev->status) || ev->status == ST_RETRYING) {
		s->ended_us = ev->ts;
		s->exit_code = ev->exit_code;
	}
	p = event_json(ev);
	/* Each attempt's cost comes once, with the event that ends it. */
	s->cost_usd += json_num(p, "cost_usd", 0);
	s->tokens_in += (long long)json_num(p, "tokens_in", 0);
	s->tokens_out += (long long)json_num(p, "tokens_out", 0);
	if (step_status_final(ev->status) && ev->phase == PHASE_MAIN)
		s->cached = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "cached"));
	if (!model_take_str(&s->error, p, "error") && ev->status == ST_RUNNING) {
		free(s->error);
		s->error = NULL;
	}
	if (ev->phase == PHASE_MAIN)
		model_take_str(&s->command, p, "command");
	v = cJSON_GetObjectItemCaseSensitive(p, "outputs");
	if (cJSON_IsObject(v)) {
		cJSON_Delete(s->outputs);
		s->outputs = cJSON_Duplicate(v, true);
	}
	/* A gate shows while its step waits, and only then. */
	v = cJSON_GetObjectItemCaseSensitive(p, "gate");
	if (ev->phase == PHASE_MAIN) {
		cJSON_Delete(s->gate);
		s->gate = ev->status == ST_WAITING && cJSON_IsObject(v) ? cJSON_Duplicate(v, true) :
		    NULL;
	}
	cJSON_Delete(p);
}

/* A note about a circuit ({"endpoint", "state"}) updates what the model
 * knows of it. */
static void
model_circuit(struct model *m, const cJSON *c)
{
	const char *ep = json_str(c, "endpoint"), *state = json_str(c, "state");

	if (ep == NULL || state == NULL)
		return;
	if (m->circuits == NULL)
		m->circuits = cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(m->circuits, ep);
	cJSON_AddStringToObject(m->circuits, ep, state);
}

static void
model_note(struct model *m, const struct event *ev)
{
	cJSON *p = event_json(ev);
	const char *v = json_str(p, "message");

	if (v == NULL)
		v = json_str(p, "error");
	if (v != NULL)
		snprintf(m->note, sizeof m->note, "%s", v);
	model_circuit(m, cJSON_GetObjectItemCaseSensitive(p, "circuit"));
	cJSON_Delete(p);
}

size_t
model_circuits_open(const struct model *m, const char **one)
{
	const cJSON *c;
	size_t n = 0;

	cJSON_ArrayForEach(c, m->circuits)
		if (cJSON_IsString(c) && strcmp(c->valuestring, "closed") != 0) {
			*one = c->string;
			n++;
		}
	return n;
}

void
model_apply(struct model *m, const struct event *ev)
{
	if (ev->seq != 0 && ev->seq <= m->last_seq)
		return;
	switch (ev->type) {
	case EV_RUN_START:
		model_run_start(m, ev);
		break;
	case EV_STEP:
		model_step(m, ev);
		break;
	case EV_LOG:
		if (ev->step >= 0 && (size_t)ev->step < m->wf->n_steps)
			m->steps[ev->step].lines += ev->nlines;
		break;
	case EV_NOTE:
		model_note(m, ev);
		break;
	case EV_RUN_END:
		m->status = ev->status;
		m->exit_code = ev->exit_code;
		m->ended = true;
		m->ended_us = ev->ts;
		model_note(m, ev);
		break;
	}
	if (ev->seq != 0)
		m->last_seq = event_last_seq(ev);
	m->gen++;
}

int64_t
model_step_elapsed_us(const struct model *m, size_t i, int64_t now_us)
{
	const struct model_step *s = &m->steps[i];

	if (s->started_us == 0)
		return 0;
	if (s->ended_us >= s->started_us)
		return s->ended_us - s->started_us;
	return m->ended ? 0 : now_us - s->started_us;
}

int64_t
model_elapsed_us(const struct model *m, int64_t now_us)
{
	if (m->started_us == 0)
		return 0;
	return (m->ended ? m->ended_us : now_us) - m->started_us;
}

void
model_cost(const struct model *m, double *usd, long long *tokens_in, long long *tokens_out)
{
	*usd = 0;
	*tokens_in = *tokens_out = 0;
	for (size_t i = 0; i < m->wf->n_steps; i++) {
		*usd += m->steps[i].cost_usd;
		*tokens_in += m->steps[i].tokens_in;
		*tokens_out += m->steps[i].tokens_out;
	}
}

void
model_counts(const struct model *m, size_t counts[ST_CANCELLED + 1])
{
	memset(counts, 0, sizeof counts[0] * (ST_CANCELLED + 1));
	for (size_t i = 0; i < m->wf->n_steps; i++)
		counts[m->steps[i].status]++;
}
