/* source.c - the console's event sources: a run's control socket, the
 * history, a replay. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "json.h"
#include "model.h"
#include "proto.h"
#include "source.h"
#include "store.h"
#include "xmalloc.h"

/* How often a run of another process is looked at in the history. */
#define HISTORY_POLL_MS 200

enum source_kind { SOURCE_SOCKET, SOURCE_HISTORY, SOURCE_REPLAY };

struct source {
	enum source_kind kind;
	struct client *cl;	/* a socket source; when it goes, the history takes over */
	struct store *st;
	bool paused;
	char reply[256];	/* the latest reply to a request (cancel) */
	unsigned changes;
	int64_t data_version;
	/* replay */
	struct event *evs;
	size_t n, cap, next;
	double speed;
	int64_t clock_us;		/* replay time reached, from the first event */
	int64_t last_poll_us;
};

static struct source *
source_new(enum source_kind kind, struct store *st)
{
	struct source *src = xcalloc(1, sizeof *src);

	src->kind = kind;
	src->st = st;
	src->data_version = -1;
	return src;
}

struct source *
source_socket(struct store *st, const char *runtime_dir, const char *uuid, struct err *e)
{
	struct source *src;
	struct client *cl;
	cJSON *req;
	bool absent;

	if ((cl = client_connect(runtime_dir, uuid, &absent, e)) == NULL)
		return NULL;
	req = proto_msg_new(PROTO_ATTACH, NULL);
	if (client_send_request(cl, req, e) < 0) {
		cJSON_Delete(req);
		client_free(cl);
		return NULL;
	}
	cJSON_Delete(req);
	src = source_new(SOURCE_SOCKET, st);
	src->cl = cl;
	return src;
}

struct source *
source_history(struct store *st)
{
	return source_new(SOURCE_HISTORY, st);
}

static int
source_keep(void *ud, const struct event *ev)
{
	struct source *src = ud;
	struct event *copy;
	char *data;

	if (src->n == src->cap) {
		src->cap = src->cap ? src->cap * 2 : 256;
		src->evs = xreallocarray(src->evs, src->cap, sizeof *src->evs);
	}
	copy = &src->evs[src->n++];
	*copy = *ev;
	data = xmalloc(ev->len + 1);
	memcpy(data, ev->data, ev->len);
	data[ev->len] = '\0';
	copy->data = data;
	return 0;
}

struct source *
source_replay(struct store *st, int64_t run, double speed, struct err *e)
{
	struct source *src = source_new(SOURCE_REPLAY, st);

	src->speed = speed > 0 ? speed : 1;
	if (store_read_events(st, run, 0, STORE_STATE, -1, 0, source_keep, src, e) < 0) {
		source_free(src);
		return NULL;
	}
	src->last_poll_us = event_now();
	return src;
}

void
source_free(struct source *src)
{
	if (src == NULL)
		return;
	client_free(src->cl);
	for (size_t i = 0; i < src->n; i++)
		free((char *)src->evs[i].data);
	free(src->evs);
	free(src);
}

int
source_fd(const struct source *src)
{
	if (src->kind != SOURCE_SOCKET || src->paused)
		return -1;
	return client_fd(src->cl);
}

int
source_timeout_ms(const struct source *src, const struct model *m)
{
	int64_t wait;

	if (src->paused)
		return -1;
	switch (src->kind) {
	case SOURCE_SOCKET:
		return -1;
	case SOURCE_HISTORY:
		return m->ended ? -1 : HISTORY_POLL_MS;
	case SOURCE_REPLAY:
		if (src->next >= src->n)
			return -1;
		wait = (int64_t)((double)(src->evs[src->next].ts - src->evs[0].ts -
		    src->clock_us) / src->speed / 1000.0);
		return wait < 0 ? 0 : wait > 1000 ? 1000 : (int)wait + 1;
	}
	return -1;
}

struct fold {
	struct model *m;
	uint64_t until;		/* fold events before this seq (0: all) */
};

static int
source_fold(void *ud, const struct event *ev)
{
	struct fold *f = ud;

	if (f->until != 0 && ev->seq >= f->until)
		return 1;
	model_apply(f->m, ev);
	return 0;
}

/* One message of the run's process: a part of a snapshot, an event, or
 * the reply to a request.  -1 with msg set when it makes no sense. */
static int
source_take(struct source *src, struct model *m, const cJSON *o, char *msg, size_t size)
{
	const char *type = json_str(o, "type"), *text = json_str(o, "message");
	struct event ev;

	if (strcmp(type, "snapshot") == 0)
		return model_snap_take(m, o, msg, size);
	if (strcmp(type, "event") == 0) {
		if (proto_event_read(o, &ev, msg, size) < 0)
			return -1;
		model_apply(m, &ev);
		return 0;
	}
	if (strcmp(type, "ok") == 0 || strcmp(type, "error") == 0) {
		snprintf(src->reply, sizeof src->reply, "%s", text != NULL ? text : type);
		m->gen++;
	}
	return 0;		/* a type of a newer server: not for this client */
}

/* What the run's process sent since the last poll.  When its socket goes
 * (the run ended, or its process died) the history carries on. */
static int
source_poll_socket(struct source *src, struct model *m, struct err *e)
{
	unsigned gen = m->gen;
	char msg[256];
	cJSON *o;
	int rc;

	while ((rc = client_next(src->cl, &o, e)) > 0) {
		rc = source_take(src, m, o, msg, sizeof msg);
		cJSON_Delete(o);
		if (rc < 0) {
			err_set(e, "run %lld: %s", (long long)m->run, msg);
			break;
		}
	}
	if (rc < 0) {
		client_free(src->cl);
		src->cl = NULL;
		src->kind = SOURCE_HISTORY;
		return 1;	/* the history is read at the next poll */
	}
	return m->gen != gen;
}

/* Only the run's state is folded in: its log lines stay in the history,
 * where the log pane reads the chunks it shows, so a changed history is
 * news even when no state changed. */
static int
source_poll_history(struct source *src, struct model *m, struct err *e)
{
	int64_t v = store_data_version(src->st);
	struct fold f = { m, 0 };

	if (v == src->data_version && v != -1)
		return 0;
	src->data_version = v;
	return store_read_events(src->st, m->run, m->last_seq, STORE_STATE, -1, 0, source_fold, &f,
	    e) < 0 ? -1 : 1;
}

static bool
source_poll_replay(struct source *src, struct model *m)
{
	int64_t now = event_now();
	unsigned gen = m->gen;

	src->clock_us += (int64_t)((double)(now - src->last_poll_us) * src->speed);
	src->last_poll_us = now;
	while (src->next < src->n &&
	    src->evs[src->next].ts - src->evs[0].ts <= src->clock_us)
		model_apply(m, &src->evs[src->next++]);
	return m->gen != gen;
}

int
source_poll(struct source *src, struct model *m, struct err *e)
{
	int news = 0;

	if (src->paused)
		return 0;
	switch (src->kind) {
	case SOURCE_SOCKET:
		news = source_poll_socket(src, m, e);
		break;
	case SOURCE_HISTORY:
		news = source_poll_history(src, m, e);
		break;
	case SOURCE_REPLAY:
		news = source_poll_replay(src, m);
		break;
	}
	src->changes += news > 0;
	return news;
}

unsigned
source_changes(const struct source *src)
{
	return src->changes;
}

uint64_t
source_log_until(const struct source *src, const struct model *m)
{
	return src->kind == SOURCE_REPLAY ? m->last_seq : UINT64_MAX;
}

int64_t
source_now(const struct source *src)
{
	int64_t clock = src->clock_us;

	if (src->kind != SOURCE_REPLAY || src->n == 0)
		return event_now();
	if (!src->paused)
		clock += (int64_t)((double)(event_now() - src->last_poll_us) * src->speed);
	return src->evs[0].ts + clock;
}

void
source_pause(struct source *src, bool paused)
{
	if (src->paused && !paused)
		src->last_poll_us = event_now();
	src->paused = paused;
}

bool
source_paused(const struct source *src)
{
	return src->paused;
}

double
source_progress(const struct source *src)
{
	if (src->kind != SOURCE_REPLAY)
		return -1;
	return src->n == 0 ? 1 : (double)src->next / (double)src->n;
}

bool
source_live(const struct source *src)
{
	return src->kind == SOURCE_SOCKET;
}

/* Sends req (and frees it) to the run's process. */
static int
source_send(struct source *src, cJSON *req, struct err *e)
{
	int rc = src->kind == SOURCE_SOCKET ? client_send_request(src->cl, req, e) :
	    err_set(e, "the run's process cannot be reached");

	cJSON_Delete(req);
	return rc;
}

int
source_cancel(struct source *src, bool force, struct err *e)
{
	cJSON *req = proto_msg_new(PROTO_CANCEL, NULL);

	if (force)
		cJSON_AddTrueToObject(req, "force");
	return source_send(src, req, e);
}

int
source_decide(struct source *src, const char *step, bool approve, const char *comment,
    const cJSON *inputs, const char *hash, struct err *e)
{
	cJSON *req = proto_msg_new(approve ? PROTO_APPROVE : PROTO_REJECT, NULL);

	cJSON_AddStringToObject(req, "step", step);
	if (comment != NULL && *comment != '\0')
		cJSON_AddStringToObject(req, "comment", comment);
	if (approve && inputs != NULL)
		cJSON_AddItemToObject(req, "inputs", cJSON_Duplicate(inputs, true));
	if (hash != NULL)
		cJSON_AddStringToObject(req, "hash", hash);
	return source_send(src, req, e);
}

const char *
source_reply(const struct source *src)
{
	return src->reply;
}
