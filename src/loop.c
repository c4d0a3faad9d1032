/* loop.c - epoll and a timer heap.
 *
 * Watches live in a table indexed by fd (fds are small integers), so a
 * callback that unwatches another fd during the same batch of epoll events
 * is detected by a generation number instead of touching freed memory.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"
#include "monotime.h"
#include "xmalloc.h"

#define LOOP_BATCH 64

struct watch {
	loop_fd_fn *fn;
	void *ud;
	uint32_t events;
	uint32_t gen;		/* changes whenever the watch is removed */
	int active;
};

struct loop_timer {
	int64_t when;
	uint64_t order;		/* ties run in the order they were added */
	size_t slot;		/* position in the heap */
	loop_timer_fn *fn;
	void *ud;
};

struct loop {
	int ep;
	struct watch *watches;
	size_t n_watches;
	struct loop_timer **heap;
	size_t n_heap, cap_heap;
	uint64_t next_order;
	int64_t now;
};

struct loop *
loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof *l);

	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0)
		fatal("epoll_create1: %s", strerror(errno));
	l->now = monotime_ms();
	return l;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n_heap; i++)
		free(l->heap[i]);
	free(l->heap);
	free(l->watches);
	close(l->ep);
	free(l);
}

void
loop_watch(struct loop *l, int fd, uint32_t events, loop_fd_fn *fn, void *ud)
{
	struct epoll_event ev = { .events = events, .data.u64 = (uint64_t)fd };
	struct watch *w;

	if ((size_t)fd >= l->n_watches) {
		size_t n = l->n_watches ? l->n_watches : 64;

		while (n <= (size_t)fd)
			n *= 2;
		l->watches = xreallocarray(l->watches, n, sizeof *l->watches);
		memset(l->watches + l->n_watches, 0, (n - l->n_watches) * sizeof *l->watches);
		l->n_watches = n;
	}
	w = &l->watches[fd];
	if (epoll_ctl(l->ep, w->active ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0)
		fatal("epoll_ctl(%d): %s", fd, strerror(errno));
	w->fn = fn;
	w->ud = ud;
	w->events = events;
	w->active = 1;
}

void
loop_unwatch(struct loop *l, int fd)
{
	struct watch *w;

	if (fd < 0 || (size_t)fd >= l->n_watches || !l->watches[fd].active)
		return;
	w = &l->watches[fd];
	epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
	w->active = 0;
	w->gen++;
}

static int
timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->when < b->when || (a->when == b->when && a->order < b->order);
}

static void
heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->slot = i;
}

static void
heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0 && timer_before(t, l->heap[(i - 1) / 2])) {
		heap_set(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(l, i, t);
}

static void
heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->n_heap)
			break;
		if (c + 1 < l->n_heap && timer_before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!timer_before(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

struct loop_timer *
loop_timer_add(struct loop *l, int64_t delay_ms, loop_timer_fn *fn, void *ud)
{
	struct loop_timer *t = xcalloc(1, sizeof *t);

	t->when = l->now + (delay_ms > 0 ? delay_ms : 0);
	t->order = l->next_order++;
	t->fn = fn;
	t->ud = ud;
	xgrow(&l->heap, &l->cap_heap, l->n_heap + 1, sizeof *l->heap);
	heap_set(l, l->n_heap++, t);
	heap_up(l, l->n_heap - 1);
	return t;
}

static void
heap_remove(struct loop *l, size_t i)
{
	struct loop_timer *last = l->heap[--l->n_heap];

	if (i == l->n_heap)
		return;
	heap_set(l, i, last);
	heap_up(l, i);
	heap_down(l, last->slot);
}

void
loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (t == NULL)
		return;
	heap_remove(l, t->slot);
	free(t);
}

int64_t
loop_now(const struct loop *l)
{
	return l->now;
}

static void
run_timers(struct loop *l)
{
	while (l->n_heap > 0 && l->heap[0]->when <= l->now) {
		struct loop_timer *t = l->heap[0];
		loop_timer_fn *fn = t->fn;
		void *ud = t->ud;

		heap_remove(l, 0);
		free(t);
		fn(l, ud);
	}
}

void
loop_run_once(struct loop *l, int max_wait_ms)
{
	struct epoll_event evs[LOOP_BATCH];
	uint32_t gens[LOOP_BATCH];
	int wait = max_wait_ms, n;

	l->now = monotime_ms();
	if (l->n_heap > 0) {
		int64_t until = l->heap[0]->when - l->now;

		if (until < 0)
			until = 0;
		if (wait < 0 || until < wait)
			wait = (int)until;
	}
	n = epoll_wait(l->ep, evs, LOOP_BATCH, wait);
	if (n < 0 && errno != EINTR)
		fatal("epoll_wait: %s", strerror(errno));
	l->now = monotime_ms();
	for (int i = 0; i < n; i++)
		gens[i] = l->watches[evs[i].data.u64].gen;
	for (int i = 0; i < n; i++) {
		int fd = (int)evs[i].data.u64;
		struct watch *w = &l->watches[fd];

		/* Skip fds unwatched (or closed and reused) earlier in this batch. */
		if (!w->active || w->gen != gens[i])
			continue;
		w->fn(l, fd, evs[i].events, w->ud);
	}
	run_timers(l);
}
