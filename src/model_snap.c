/* model_snap.c - a model as the parts of a snapshot (model.h), and back.
 *
 * The run's process writes them and a client that attaches reads them, so
 * the reading side takes nothing on trust: every field is checked against
 * the client's own copy of the workflow, and a part that does not fit is
 * refused whole.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "model.h"
#include "wf.h"
#include "xmalloc.h"

/* The bytes of v as the snapshot would carry it. */
static size_t
json_size(const cJSON *v)
{
	char *s = json_text(v, false);
	size_t n = s != NULL ? strlen(s) : 0;

	free(s);
	return n;
}

static cJSON *
snap_step(const struct model_step *s)
{
	cJSON *o = cJSON_CreateObject();
	bool omitted = false;

	cJSON_AddStringToObject(o, "status", step_status_name(s->status));
	cJSON_AddNumberToObject(o, "attempt", s->attempt);
	cJSON_AddNumberToObject(o, "started_us", (double)s->started_us);
	cJSON_AddNumberToObject(o, "ended_us", (double)s->ended_us);
	cJSON_AddNumberToObject(o, "exit_code", s->exit_code);
	cJSON_AddNumberToObject(o, "lines", (double)s->lines);
	if (s->cost_usd > 0 || s->tokens_in > 0 || s->tokens_out > 0) {
		cJSON_AddNumberToObject(o, "cost_usd", s->cost_usd);
		cJSON_AddNumberToObject(o, "tokens_in", (double)s->tokens_in);
		cJSON_AddNumberToObject(o, "tokens_out", (double)s->tokens_out);
	}
	if (s->cached)
		cJSON_AddTrueToObject(o, "cached");
	if (s->error != NULL)
		cJSON_AddStringToObject(o, "error", s->error);
	if (s->command != NULL && strlen(s->command) <= MODEL_SNAP_FIELD_MAX)
		cJSON_AddStringToObject(o, "command", s->command);
	else if (s->command != NULL)
		omitted = true;
	if (s->outputs != NULL && json_size(s->outputs) <= MODEL_SNAP_FIELD_MAX)
		cJSON_AddItemToObject(o, "outputs", cJSON_Duplicate(s->outputs, true));
	else if (s->outputs != NULL)
		omitted = true;
	if (s->gate != NULL)
		cJSON_AddItemToObject(o, "gate", cJSON_Duplicate(s->gate, true));
	if (omitted)
		cJSON_AddTrueToObject(o, "outputs_omitted");
	return o;
}

bool
model_snap_part(const struct model *m, cJSON *o, size_t *from)
{
	size_t n = m->wf->n_steps, bytes = 0;
	cJSON *steps;

	if (*from == 0) {
		cJSON_AddNumberToObject(o, "seq", (double)m->last_seq);
		cJSON_AddStringToObject(o, "status", run_status_name(m->status));
		cJSON_AddBoolToObject(o, "ended", m->ended);
		cJSON_AddNumberToObject(o, "exit_code", m->exit_code);
		cJSON_AddNumberToObject(o, "started_us", (double)m->started_us);
		cJSON_AddNumberToObject(o, "ended_us", (double)m->ended_us);
		cJSON_AddStringToObject(o, "uuid", m->uuid);
		cJSON_AddStringToObject(o, "user", m->user != NULL ? m->user : "");
		cJSON_AddStringToObject(o, "note", m->note);
		cJSON_AddNumberToObject(o, "n_steps", (double)n);
		cJSON_AddNumberToObject(o, "last_started", (double)m->last_started);
		if (m->circuits != NULL)
			cJSON_AddItemToObject(o, "circuits", cJSON_Duplicate(m->circuits, true));
	}
	cJSON_AddNumberToObject(o, "from", (double)*from);
	steps = cJSON_AddArrayToObject(o, "steps");
	/* A step is at most a few fields of MODEL_SNAP_FIELD_MAX bytes, so a
	 * part stays far below the protocol's line limit. */
	while (*from < n && bytes < MODEL_SNAP_PART_MAX) {
		cJSON *s = snap_step(&m->steps[*from]);

		bytes += json_size(s);
		cJSON_AddItemToArray(steps, s);
		(*from)++;
	}
	cJSON_AddBoolToObject(o, "more", *from < n);
	return *from >= n;
}

/* A whole number member of o in [lo, hi], or -1 with msg set. */
static int
snap_int(const cJSON *o, const char *key, double lo, double hi, double *out, char *msg,
    size_t size)
{
	double v = json_num(o, key, NAN);

	if (isnan(v) || v < lo || v > hi || v != floor(v)) {
		snprintf(msg, size, "the snapshot's \"%s\" is missing or out of range", key);
		return -1;
	}
	*out = v;
	return 0;
}

static int
snap_take_step(struct model_step *s, const cJSON *o, char *msg, size_t size)
{
	const cJSON *v;
	double attempt, t0, t1, code, lines;
	int st = step_status_parse(json_str(o, "status") != NULL ? json_str(o, "status") : "");

	if (!cJSON_IsObject(o) || st < 0) {
		snprintf(msg, size, "a step of the snapshot has no valid \"status\"");
		return -1;
	}
	if (snap_int(o, "attempt", 0, 1e6, &attempt, msg, size) < 0 ||
	    snap_int(o, "started_us", 0, 9e15, &t0, msg, size) < 0 ||
	    snap_int(o, "ended_us", 0, 9e15, &t1, msg, size) < 0 ||
	    snap_int(o, "exit_code", -1, 65535, &code, msg, size) < 0 ||
	    snap_int(o, "lines", 0, 9e15, &lines, msg, size) < 0)
		return -1;
	s->status = st;
	s->attempt = (int)attempt;
	s->started_us = (int64_t)t0;
	s->ended_us = (int64_t)t1;
	s->exit_code = (int)code;
	s->lines = (uint64_t)lines;
	s->cost_usd = fmax(json_num(o, "cost_usd", 0), 0);
	s->tokens_in = (long long)fmax(json_num(o, "tokens_in", 0), 0);
	s->tokens_out = (long long)fmax(json_num(o, "tokens_out", 0), 0);
	s->cached = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "cached"));
	free(s->error);
	s->error = json_str(o, "error") != NULL ? xstrdup(json_str(o, "error")) : NULL;
	free(s->command);
	s->command = json_str(o, "command") != NULL ? xstrdup(json_str(o, "command")) : NULL;
	cJSON_Delete(s->outputs);
	v = cJSON_GetObjectItemCaseSensitive(o, "outputs");
	s->outputs = cJSON_IsObject(v) ? cJSON_Duplicate(v, true) : NULL;
	cJSON_Delete(s->gate);
	v = cJSON_GetObjectItemCaseSensitive(o, "gate");
	s->gate = cJSON_IsObject(v) ? cJSON_Duplicate(v, true) : NULL;
	return 0;
}

static int
snap_take_run(struct model *m, const cJSON *o, char *msg, size_t size)
{
	const char *status = json_str(o, "status"), *uuid = json_str(o, "uuid");
	const cJSON *v;
	double seq, n, code, t0, t1, last;
	int rs = run_status_parse(status != NULL ? status : "");

	if (rs < 0) {
		snprintf(msg, size, "the snapshot has no valid run \"status\"");
		return -1;
	}
	if (snap_int(o, "seq", 0, 9e15, &seq, msg, size) < 0 ||
	    snap_int(o, "n_steps", 0, 1e9, &n, msg, size) < 0 ||
	    snap_int(o, "exit_code", -1, 255, &code, msg, size) < 0 ||
	    snap_int(o, "started_us", 0, 9e15, &t0, msg, size) < 0 ||
	    snap_int(o, "ended_us", 0, 9e15, &t1, msg, size) < 0 ||
	    snap_int(o, "last_started", -1, (double)m->wf->n_steps - 1, &last, msg, size) < 0)
		return -1;
	if ((size_t)n != m->wf->n_steps) {
		snprintf(msg, size, "the snapshot has %.0f steps, the run's workflow %zu", n,
		    m->wf->n_steps);
		return -1;
	}
	m->status = rs;
	m->ended = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ended"));
	m->exit_code = (int)code;
	m->started_us = (int64_t)t0;
	m->ended_us = (int64_t)t1;
	m->last_seq = (uint64_t)seq;
	m->last_started = (long)last;
	cJSON_Delete(m->circuits);
	m->circuits = NULL;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(o, "circuits")) {
		if (!cJSON_IsString(v) || v->string == NULL) {
			snprintf(msg, size, "the snapshot's \"circuits\" are not endpoint: state");
			return -1;
		}
		if (m->circuits == NULL)
			m->circuits = cJSON_CreateObject();
		cJSON_AddStringToObject(m->circuits, v->string, v->valuestring);
	}
	if (uuid != NULL)
		snprintf(m->uuid, sizeof m->uuid, "%s", uuid);
	free(m->user);
	m->user = json_str(o, "user") != NULL ? xstrdup(json_str(o, "user")) : NULL;
	snprintf(m->note, sizeof m->note, "%s", json_str(o, "note") != NULL ?
	    json_str(o, "note") : "");
	return 0;
}

int
model_snap_take(struct model *m, const cJSON *o, char *msg, size_t size)
{
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(o, "steps"), *s;
	double from;
	size_t i;

	if (snap_int(o, "from", 0, (double)m->wf->n_steps, &from, msg, size) < 0)
		return -1;
	if (!cJSON_IsArray(steps) ||
	    (size_t)cJSON_GetArraySize(steps) > m->wf->n_steps - (size_t)from) {
		snprintf(msg, size, "the snapshot's \"steps\" do not fit the run's workflow");
		return -1;
	}
	if (from == 0 && snap_take_run(m, o, msg, size) < 0)
		return -1;
	i = (size_t)from;
	cJSON_ArrayForEach(s, steps)
		if (snap_take_step(&m->steps[i++], s, msg, size) < 0)
			return -1;
	m->gen++;
	return 0;
}
