/* ring.c - the event ring between the executor and its readers.
 *
 * One circular byte buffer of cap bytes.  Positions are byte counters that
 * only grow (the index in buf is pos % cap), so "how far apart" is a plain
 * subtraction and a reader whose position is below tail was overwritten.
 *
 *            tail                                              head
 *             v                                                  v
 *   ...free...[ 7 ][ 8 ][ 9 ][ 10 ][ 11 ][ 12 ][ 13 ][ 14 ][ 15 ]...free...
 *                        ^                          ^
 *                    a viewer                   the gate
 *
 *   7..12    read by the gate: a put that needs room reclaims them,
 *            oldest first, and a viewer still there is lapped
 *   13..15   not read by the gate yet: never overwritten; put refuses
 *   committed (say 11, at most 12): viewers read no further
 *
 * A record is a struct event_rec (the event without its data pointer)
 * followed by the payload, padded to 8 bytes.  A record may run off the end
 * of buf and continue at its start: every copy goes in at most two parts,
 * so no space is wasted and none has to be contiguous.
 *
 * Threads:
 *
 *   executor             store thread (gate)          control thread (viewers)
 *   ring_put ----------> ring_read, ring_commit ----> ring_read
 *      ^   refused:         |  read far enough:          ^  commit (or close)
 *      |   waits on         |  writes room_fd            |  wakes them
 *      +--- room_fd <-------+                            |
 *   put (or close) wakes the gate: cond / eventfd    cond / eventfd
 *
 * Everything is guarded by one mutex.  Readers copy the record into their
 * own buffer while holding it, so the producer can never overwrite bytes
 * that are being read; the copies are short memcpys, so the lock is held
 * briefly.  The producer reclaims lazily: only when a put needs the room,
 * and only up to the gate's position, so lagging viewers keep as much
 * history as the buffer can hold.  A viewer whose next record was reclaimed
 * finds its position below tail, gets RING_LAPPED and restarts at tail.
 *
 * Waking costs a syscall, so it happens only on a transition: a reader
 * "arms" its eventfd when it finds nothing to read, and only an armed
 * reader's eventfd is written (once) when something appears.  The eventfd
 * stays readable until a ring_read finds nothing again and drains it, so a
 * poll loop that reads only part of what is there is woken again at once.
 * Condition variables are signalled only when someone is waiting on them,
 * and the gate, while it gathers a batch until a deadline, only when the
 * ring is a quarter full: the writer wakes once per batch, not per event.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "monotime.h"
#include "ring.h"
#include "xmalloc.h"

#define RING_MIN_CAPACITY (64 * 1024)
#define RING_ALIGN 8
#define RING_PAD(n) (((n) + (RING_ALIGN - 1)) & ~(size_t)(RING_ALIGN - 1))
#define RING_READER_BUF 256

_Static_assert(sizeof(struct event_rec) % RING_ALIGN == 0, "event_rec must keep records aligned");

#define RING_REC_SIZE(len) (sizeof(struct event_rec) + RING_PAD((size_t)(len)))

struct ring_reader {
	struct ring *ring;
	bool gate;
	uint64_t pos;		/* position of the next record to read */
	uint64_t seq;		/* and its sequence number */
	char *buf;		/* the last payload read */
	size_t size;
	int fd;			/* eventfd or -1 */
	bool armed;		/* found nothing: write fd when something comes */
	bool fd_written;	/* fd may be readable; drained when found empty */
	bool waiting;		/* the gate is asleep on gate_cond ... */
	bool dozing;		/* ... until a deadline: a put need not wake it */
	struct ring_reader *prev, *next;
};

struct ring {
	pthread_mutex_t lock;
	pthread_cond_t gate_cond;	/* put or close: the gate may go on */
	pthread_cond_t view_cond;	/* commit or close: viewers may go on */
	unsigned view_waiting;		/* viewers asleep on view_cond */

	char *buf;
	size_t cap;
	uint64_t head;		/* where the next record goes */
	uint64_t tail;		/* the oldest record held */
	uint64_t tail_seq;	/* its sequence number */
	uint64_t next_seq;	/* what the next put gets */
	uint64_t committed;	/* viewers see seq <= committed */
	bool closed, abandoned;

	int commit_fd;		/* for the producer: written when committed reaches ... */
	uint64_t commit_want;	/* ... this (0: nobody waits) */
	int room_fd;
	bool room_wanted;	/* a put was refused: write room_fd when ... */
	size_t room_need;	/* ... this much is free */

	struct ring_reader *gate;
	struct ring_reader *readers;
};

static void
ring_copy_in(struct ring *r, uint64_t pos, const void *src, size_t n)
{
	size_t at = pos % r->cap, first = r->cap - at;

	if (n <= first)
		memcpy(r->buf + at, src, n);
	else {
		memcpy(r->buf + at, src, first);
		memcpy(r->buf, (const char *)src + first, n - first);
	}
}

static void
ring_copy_out(const struct ring *r, uint64_t pos, void *dst, size_t n)
{
	size_t at = pos % r->cap, first = r->cap - at;

	if (n <= first)
		memcpy(dst, r->buf + at, n);
	else {
		memcpy(dst, r->buf + at, first);
		memcpy((char *)dst + first, r->buf, n - first);
	}
}

static void
ring_signal_fd(int fd)
{
	/* Cannot fail: the counter would have to reach 2^64 - 1. */
	(void)eventfd_write(fd, 1);
}

static void
ring_condattr_init(pthread_condattr_t *attr)
{
	pthread_condattr_init(attr);
	/* Timeouts must not jump with the wall clock. */
	pthread_condattr_setclock(attr, CLOCK_MONOTONIC);
}

struct ring *
ring_new(size_t capacity)
{
	return ring_new_at(capacity, 1);
}

struct ring *
ring_new_at(size_t capacity, uint64_t first_seq)
{
	struct ring *r = xcalloc(1, sizeof *r);
	pthread_condattr_t attr;

	if (capacity < RING_MIN_CAPACITY)
		capacity = RING_MIN_CAPACITY;
	if (capacity > SIZE_MAX - RING_ALIGN)
		fatal("ring_new: capacity %zu too large", capacity);
	r->cap = RING_PAD(capacity);
	r->buf = xmalloc(r->cap);
	r->tail_seq = r->next_seq = first_seq;
	r->committed = first_seq - 1;

	pthread_mutex_init(&r->lock, NULL);
	ring_condattr_init(&attr);
	pthread_cond_init(&r->gate_cond, &attr);
	pthread_cond_init(&r->view_cond, &attr);
	pthread_condattr_destroy(&attr);

	r->room_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	r->commit_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->room_fd < 0 || r->commit_fd < 0)
		fatal("eventfd: %s", strerror(errno));
	return r;
}

void
ring_free(struct ring *r)
{
	if (r == NULL)
		return;
	if (r->readers != NULL)
		fatal("ring_free: readers still attached");
	close(r->room_fd);
	close(r->commit_fd);
	pthread_cond_destroy(&r->view_cond);
	pthread_cond_destroy(&r->gate_cond);
	pthread_mutex_destroy(&r->lock);
	free(r->buf);
	free(r);
}

size_t
ring_max_payload(const struct ring *r)
{
	return r->cap / 4 - sizeof(struct event_rec);
}

/* Bytes free for the producer once everything the gate has read is
 * reclaimed.  Without a gate nothing may be reclaimed: no event is lost
 * before the history writer has seen it. */
static size_t
ring_free_bytes(const struct ring *r)
{
	uint64_t limit = r->gate != NULL ? r->gate->pos : r->tail;

	return r->cap - (size_t)(r->head - limit);
}

size_t
ring_room(const struct ring *r)
{
	struct ring *mr = (struct ring *)r;	/* the lock is not part of the value */
	size_t avail, max = ring_max_payload(r);

	pthread_mutex_lock(&mr->lock);
	avail = ring_free_bytes(r);
	pthread_mutex_unlock(&mr->lock);
	/* The largest payload a put would take now: pads are multiples of 8. */
	if (avail < sizeof(struct event_rec))
		return 0;
	avail -= sizeof(struct event_rec);
	return avail < max ? avail : max;
}

int
ring_room_fd(const struct ring *r)
{
	return r->room_fd;
}

/* Whether rd has an event it may read now (not counting a lap). */
static bool
ring_reader_ready(const struct ring_reader *rd)
{
	const struct ring *r = rd->ring;

	if (rd->gate)
		return rd->pos != r->head && !r->abandoned;
	return rd->seq <= r->committed && !r->abandoned;
}

static bool
ring_reader_ended(const struct ring_reader *rd)
{
	const struct ring *r = rd->ring;

	if (r->abandoned)
		return true;
	if (!r->closed)
		return false;
	if (rd->gate)
		return true;
	/* Viewers wait for the gate to commit the rest, unless it is gone. */
	return r->committed + 1 == r->next_seq || r->gate == NULL;
}

/* Whether the producer waits for the commit of an event the gate has
 * read. */
static bool
ring_gate_owes(const struct ring_reader *gate)
{
	const struct ring *r = gate->ring;

	return r->commit_want != 0 && r->commit_want < gate->seq;
}

/* Writes rd's eventfd if it is armed and there is news for it. */
static void
ring_reader_wake(struct ring_reader *rd)
{
	if (!rd->armed)
		return;
	if (rd->pos < rd->ring->tail || ring_reader_ready(rd) || ring_reader_ended(rd)) {
		rd->armed = false;
		rd->fd_written = true;
		ring_signal_fd(rd->fd);
	}
}

/* Wakes every viewer that may have news: on commit, close, or the gate
 * going away. */
static void
ring_wake_viewers(struct ring *r)
{
	for (struct ring_reader *rd = r->readers; rd != NULL; rd = rd->next) {
		if (!rd->gate)
			ring_reader_wake(rd);
	}
	if (r->view_waiting > 0)
		pthread_cond_broadcast(&r->view_cond);
}

/* The sequence numbers a record takes: one per line of a log chunk. */
static uint64_t
ring_rec_span(const struct event_rec *rec)
{
	return rec->type == EV_LOG && rec->nlines > 1 ? rec->nlines : 1;
}

/* Drops the oldest records until need bytes fit after head. */
static void
ring_reclaim(struct ring *r, size_t need)
{
	struct event_rec rec;

	while (r->cap - (size_t)(r->head - r->tail) < need) {
		ring_copy_out(r, r->tail, &rec, sizeof rec);
		if (rec.seq != r->tail_seq)
			fatal("ring: record %" PRIu64 " at tail, expected %" PRIu64, rec.seq,
			    r->tail_seq);
		r->tail += RING_REC_SIZE(rec.len);
		r->tail_seq += ring_rec_span(&rec);
	}
}

int
ring_put(struct ring *r, struct event *ev)
{
	struct event_rec rec;
	size_t need;
	struct ring_reader *g;

	if (ev->len > ring_max_payload(r))
		fatal("ring_put: payload of %" PRIu32 " bytes, at most %zu", ev->len,
		    ring_max_payload(r));
	need = RING_REC_SIZE(ev->len);

	pthread_mutex_lock(&r->lock);
	if (r->closed)
		fatal("ring_put after ring_close");
	if (ring_free_bytes(r) < need) {
		/* Ask for a quarter of the ring, not one record: fewer wake-ups. */
		r->room_wanted = true;
		r->room_need = need > r->cap / 4 ? need : r->cap / 4;
		pthread_mutex_unlock(&r->lock);
		return -1;
	}
	ring_reclaim(r, need);
	r->room_wanted = false;	/* no longer waiting: no wake-up to send */

	ev->seq = r->next_seq;
	r->next_seq += event_span(ev);
	event_rec_pack(ev, &rec);
	ring_copy_in(r, r->head, &rec, sizeof rec);
	if (ev->len > 0)
		ring_copy_in(r, r->head + sizeof rec, ev->data, ev->len);
	r->head += need;

	g = r->gate;
	if (g != NULL) {
		if (g->armed) {
			g->armed = false;
			g->fd_written = true;
			ring_signal_fd(g->fd);
		}
		/* A gate gathering a batch until its deadline is woken only
		 * before the ring gets full: one wake-up per batch, not per put. */
		if (g->waiting && (!g->dozing || r->head - g->pos >= r->cap / 4)) {
			g->waiting = false;
			pthread_cond_signal(&r->gate_cond);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* Ends the ring for its readers, who are woken to see it. */
static void
ring_end(struct ring *r, bool abandoned)
{
	pthread_mutex_lock(&r->lock);
	r->abandoned |= abandoned;
	r->closed = true;
	for (struct ring_reader *rd = r->readers; rd != NULL; rd = rd->next)
		ring_reader_wake(rd);
	pthread_cond_broadcast(&r->gate_cond);
	if (r->view_waiting > 0)
		pthread_cond_broadcast(&r->view_cond);
	pthread_mutex_unlock(&r->lock);
}

void
ring_close(struct ring *r)
{
	ring_end(r, false);
}

struct ring_reader *
ring_reader_new(struct ring *r, bool gate)
{
	struct ring_reader *rd = xcalloc(1, sizeof *rd);

	rd->ring = r;
	rd->gate = gate;
	rd->fd = -1;
	rd->size = RING_READER_BUF;
	rd->buf = xmalloc(rd->size);

	pthread_mutex_lock(&r->lock);
	if (gate) {
		if (r->gate != NULL)
			fatal("ring_reader_new: the ring already has a gate");
		r->gate = rd;
	}
	rd->pos = r->tail;
	rd->seq = r->tail_seq;
	rd->next = r->readers;
	if (r->readers != NULL)
		r->readers->prev = rd;
	r->readers = rd;
	pthread_mutex_unlock(&r->lock);
	return rd;
}

void
ring_reader_free(struct ring_reader *rd)
{
	struct ring *r;

	if (rd == NULL)
		return;
	r = rd->ring;
	pthread_mutex_lock(&r->lock);
	if (rd->prev != NULL)
		rd->prev->next = rd->next;
	else
		r->readers = rd->next;
	if (rd->next != NULL)
		rd->next->prev = rd->prev;
	if (r->gate == rd) {
		r->gate = NULL;
		/* Nobody can commit any more: viewers of a closed ring end. */
		if (r->closed)
			ring_wake_viewers(r);
	}
	pthread_mutex_unlock(&r->lock);
	if (rd->fd >= 0)
		close(rd->fd);
	free(rd->buf);
	free(rd);
}

uint64_t
ring_reader_seq(const struct ring_reader *rd)
{
	return rd->seq;
}

int
ring_reader_fd(struct ring_reader *rd)
{
	struct ring *r = rd->ring;
	int fd;

	if (rd->fd >= 0)
		return rd->fd;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		fatal("eventfd: %s", strerror(errno));
	pthread_mutex_lock(&r->lock);
	rd->fd = fd;
	rd->armed = true;
	ring_reader_wake(rd);
	pthread_mutex_unlock(&r->lock);
	return fd;
}

/* Copies the record at rd->pos into ev and rd->buf; called locked.  -1
 * when rd->buf is too small: the caller grows it unlocked and retries. */
static int
ring_reader_copy(struct ring_reader *rd, struct event *ev, size_t *len)
{
	struct ring *r = rd->ring;
	struct event_rec rec;

	ring_copy_out(r, rd->pos, &rec, sizeof rec);
	if (rec.seq != rd->seq)
		fatal("ring: record %" PRIu64 " where %" PRIu64 " was expected", rec.seq, rd->seq);
	if (rec.len > rd->size) {
		*len = rec.len;
		return -1;
	}
	if (rec.len > 0)
		ring_copy_out(r, rd->pos + sizeof rec, rd->buf, rec.len);

	event_rec_unpack(&rec, rd->buf, ev);

	rd->pos += RING_REC_SIZE(rec.len);
	rd->seq += ring_rec_span(&rec);
	return 0;
}

/* timeout_ms from now on the condition variables' clock (monotonic). */
static void
ring_deadline(struct timespec *ts, int timeout_ms)
{
	int64_t at = monotime_ms() + timeout_ms;

	ts->tv_sec = (time_t)(at / 1000);
	ts->tv_nsec = (long)(at % 1000) * 1000000;
}

/* Sleeps on the reader's condition variable; false when the time is up. */
static bool
ring_reader_sleep(struct ring_reader *rd, const struct timespec *deadline)
{
	struct ring *r = rd->ring;
	pthread_cond_t *cond = rd->gate ? &r->gate_cond : &r->view_cond;
	int rc;

	if (rd->gate) {
		rd->waiting = true;
		rd->dozing = deadline != NULL;
	} else {
		r->view_waiting++;
	}
	if (deadline == NULL)
		rc = pthread_cond_wait(cond, &r->lock);
	else
		rc = pthread_cond_timedwait(cond, &r->lock, deadline);
	if (rd->gate)
		rd->waiting = false;
	else
		r->view_waiting--;
	return rc != ETIMEDOUT;
}

enum ring_rc
ring_read(struct ring_reader *rd, struct event *ev, int timeout_ms)
{
	struct ring *r = rd->ring;
	struct timespec deadline;
	bool timed = false, expired = false;
	enum ring_rc rc;
	size_t len;
	eventfd_t drained;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		if (rd->pos < r->tail) {
			/* Only viewers can be lapped: tail never passes the gate. */
			rd->pos = r->tail;
			rd->seq = r->tail_seq;
			rc = RING_LAPPED;
			break;
		}
		if (ring_reader_ready(rd)) {
			if (ring_reader_copy(rd, ev, &len) == 0) {
				rc = RING_EVENT;
				break;
			}
			pthread_mutex_unlock(&r->lock);
			while (rd->size < len)
				rd->size *= 2;
			free(rd->buf);
			rd->buf = xmalloc(rd->size);
			pthread_mutex_lock(&r->lock);
			continue;
		}
		if (ring_reader_ended(rd)) {
			rc = RING_END;
			break;
		}
		if (rd->gate && ring_gate_owes(rd)) {
			rc = RING_EMPTY;	/* the producer waits for what was read */
			break;
		}
		if (rd->fd_written) {
			/*
			 * Nothing to read: drain the eventfd, then arm it.
			 * Unlocked is safe: while neither armed nor written,
			 * nobody else writes it.  Whatever came meanwhile
			 * makes it readable again (ring_reader_wake).
			 */
			rd->fd_written = false;
			pthread_mutex_unlock(&r->lock);
			(void)eventfd_read(rd->fd, &drained);
			pthread_mutex_lock(&r->lock);
			rd->armed = true;
			ring_reader_wake(rd);
			continue;
		}
		rd->armed = rd->fd >= 0;
		if (timeout_ms == 0 || expired) {
			rc = RING_EMPTY;
			break;
		}
		if (timeout_ms > 0 && !timed) {
			ring_deadline(&deadline, timeout_ms);
			timed = true;
		}
		expired = !ring_reader_sleep(rd, timed ? &deadline : NULL);
	}

	/* The gate moved on: tell a refused producer once there is real room. */
	if (rc == RING_EVENT && rd->gate && r->room_wanted &&
	    ring_free_bytes(r) >= r->room_need) {
		r->room_wanted = false;
		ring_signal_fd(r->room_fd);
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

void
ring_commit(struct ring_reader *gate, uint64_t seq)
{
	struct ring *r = gate->ring;

	if (!gate->gate)
		fatal("ring_commit: not the gate reader");
	pthread_mutex_lock(&r->lock);
	if (seq >= gate->seq)
		fatal("ring_commit: event %" PRIu64 " was not read yet", seq);
	if (seq > r->committed) {
		r->committed = seq;
		ring_wake_viewers(r);
		if (r->commit_want != 0 && seq >= r->commit_want) {
			r->commit_want = 0;
			ring_signal_fd(r->commit_fd);
		}
	}
	pthread_mutex_unlock(&r->lock);
}

/* One of r's counters, read under its lock. */
static uint64_t
ring_counter(struct ring *r, const uint64_t *counter)
{
	uint64_t v;

	pthread_mutex_lock(&r->lock);
	v = *counter;
	pthread_mutex_unlock(&r->lock);
	return v;
}

uint64_t
ring_committed(struct ring *r)
{
	return ring_counter(r, &r->committed);
}

uint64_t
ring_next_seq(struct ring *r)
{
	return ring_counter(r, &r->next_seq);
}

int
ring_commit_fd(const struct ring *r)
{
	return r->commit_fd;
}

bool
ring_want_commit(struct ring *r, uint64_t seq)
{
	bool done;
	eventfd_t drained;

	(void)eventfd_read(r->commit_fd, &drained);
	pthread_mutex_lock(&r->lock);
	done = r->committed >= seq;
	r->commit_want = done ? 0 : seq;
	if (!done && r->gate != NULL && r->gate->waiting)
		pthread_cond_signal(&r->gate_cond);	/* commit what it holds */
	pthread_mutex_unlock(&r->lock);
	return done;
}

bool
ring_commit_owed(struct ring_reader *gate)
{
	bool owed;

	pthread_mutex_lock(&gate->ring->lock);
	owed = ring_gate_owes(gate);
	pthread_mutex_unlock(&gate->ring->lock);
	return owed;
}

void
ring_abandon(struct ring *r)
{
	ring_end(r, true);
}

bool
ring_reader_abandoned(struct ring_reader *rd)
{
	bool a;

	pthread_mutex_lock(&rd->ring->lock);
	a = rd->ring->abandoned;
	pthread_mutex_unlock(&rd->ring->lock);
	return a;
}
