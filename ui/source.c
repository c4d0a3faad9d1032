/* source.c - the console's event sources: a ring, the history, a replay. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "ring.h"
#include "source.h"
#include "store.h"
#include "xmalloc.h"

/* How often a run of another process is looked at in the history. */
#define HISTORY_POLL_MS 200

enum source_kind { SOURCE_RING, SOURCE_HISTORY, SOURCE_REPLAY };

struct source {
	enum source_kind kind;
	struct ring_reader *rd;
	struct store *st;
	bool paused, done;	/* done: the ring has ended */
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
source_ring(struct ring_reader *rd, struct store *st)
{
	struct source *src = source_new(SOURCE_RING, st);

	src->rd = rd;
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
	for (size_t i = 0; i < src->n; i++)
		free((char *)src->evs[i].data);
	free(src->evs);
	free(src);
}

int
source_fd(const struct source *src)
{
	if (src->kind != SOURCE_RING || src->paused || src->done)
		return -1;
	return ring_reader_fd(src->rd);
}

int
source_timeout_ms(const struct source *src, const struct model *m)
{
	int64_t wait;

	if (src->paused)
		return -1;
	switch (src->kind) {
	case SOURCE_RING:
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

static int
source_poll_ring(struct source *src, struct model *m, struct err *e)
{
	unsigned gen = m->gen;
	struct event ev;
	enum ring_rc rc;

	if (src->done)
		return 0;
	while ((rc = ring_read(src->rd, &ev, 0)) != RING_EMPTY) {
		if (rc == RING_END) {
			src->done = true;	/* its fd stays readable: stop polling it */
			break;
		}
		if (rc == RING_LAPPED) {
			/* What the ring no longer holds is in the history. */
			struct fold f = { m, ring_reader_seq(src->rd) };

			if (store_read_events(src->st, m->run, m->last_seq, STORE_STATE, -1, 0,
			    source_fold, &f, e) < 0)
				return -1;
			continue;
		}
		model_apply(m, &ev);
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
	case SOURCE_RING:
		news = source_poll_ring(src, m, e);
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
source_abandoned(const struct source *src)
{
	return src->kind == SOURCE_RING && src->done && ring_reader_abandoned(src->rd);
}
