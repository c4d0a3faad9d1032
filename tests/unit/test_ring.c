/* test_ring.c - the event ring: order, back-pressure, commits, laps, the
 * end, timeouts, eventfds, and one producer against three reader threads.
 *
 * Payloads are slices of one random pattern chosen by the event's seq, so
 * any event can be checked with a memcmp and the producer builds nothing.
 * Some tests follow the record layout ring.c promises (a fixed header, the
 * payload padded to 8 bytes, nothing wasted); the header size comes from
 * ring_max_payload, which is a quarter of the capacity minus the header.
 */
#include "config.h"

#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <cmocka.h>

#include "ring.h"

#define KIB 1024
#define PATTERN_SPAN (1 << 20)
#define PATTERN_SIZE (PATTERN_SPAN + 64 * KIB)

static char pattern[PATTERN_SIZE];

static int
setup_pattern(void **state)
{
	uint64_t x = 0x243f6a8885a308d3ull;

	(void)state;
	for (size_t i = 0; i < sizeof pattern; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pattern[i] = (char)(x >> 24);
	}
	return 0;
}

static const char *
payload_of(uint64_t seq)
{
	return pattern + (seq * 2654435761u) % PATTERN_SPAN;
}

static void
make_event(struct event *ev, uint64_t seq, uint32_t len)
{
	memset(ev, 0, sizeof *ev);
	ev->seq = 0xdeadbeef;
	ev->ts = (int64_t)seq * 1000 + 7;
	ev->type = (uint8_t)(EV_RUN_START + seq % 6);
	ev->status = (uint8_t)(seq % 10);
	ev->phase = (uint8_t)(seq % 3);
	ev->stream = (uint8_t)(1 + seq % 2);
	ev->step = (int32_t)(seq % 977) - 1;
	ev->attempt = (int32_t)(seq % 5);
	ev->exit_code = (int32_t)(seq % 7) - 1;
	/* One line per log chunk here, so the k-th event is number k;
	 * test_log_spans numbers chunks of many lines. */
	ev->nlines = ev->type == EV_LOG ? 1 : (uint32_t)(seq % 13);
	ev->first_line = seq * 3 + 1;
	ev->len = len;
	ev->data = payload_of(seq);
}

/* Whether ev is exactly the event make_event(seq, len) built. */
static bool
event_matches(const struct event *ev, uint64_t seq, uint32_t len)
{
	struct event want;

	make_event(&want, seq, len);
	return ev->seq == seq && ev->ts == want.ts && ev->type == want.type &&
	    ev->status == want.status && ev->phase == want.phase &&
	    ev->stream == want.stream && ev->step == want.step &&
	    ev->attempt == want.attempt && ev->exit_code == want.exit_code &&
	    ev->nlines == want.nlines && ev->first_line == want.first_line &&
	    ev->len == len && ev->data != NULL && memcmp(ev->data, want.data, len) == 0;
}

static void
put_event(struct ring *r, uint64_t seq, uint32_t len)
{
	struct event ev;

	make_event(&ev, seq, len);
	assert_int_equal(ring_put(r, &ev), 0);
	assert_int_equal(ev.seq, seq);
}

static void
read_event(struct ring_reader *rd, uint64_t seq, uint32_t len)
{
	struct event ev;

	assert_int_equal(ring_reader_seq(rd), seq);
	assert_int_equal(ring_read(rd, &ev, 0), RING_EVENT);
	if (!event_matches(&ev, seq, len))
		fail_msg("event %llu (len %u) is not what was put as %llu (len %u)",
		    (unsigned long long)ev.seq, ev.len, (unsigned long long)seq, len);
	assert_int_equal(ring_reader_seq(rd), seq + 1);
}

static void
read_nothing(struct ring_reader *rd)
{
	struct event ev;

	assert_int_equal(ring_read(rd, &ev, 0), RING_EMPTY);
}

static size_t
header_size(const struct ring *r, size_t capacity)
{
	return capacity / 4 - ring_max_payload(r);
}

static size_t
record_size(size_t header, size_t len)
{
	return header + ((len + 7) & ~(size_t)7);
}

static bool
fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void
test_capacity(void **state)
{
	struct ring *r = ring_new(0), *r2 = ring_new(64 * KIB + 1);
	size_t hdr = header_size(r, 64 * KIB);

	(void)state;
	/* At least 64 KiB, rounded up to 8. */
	assert_true(hdr >= 40 && hdr % 8 == 0);
	assert_int_equal(ring_max_payload(r2), (64 * KIB + 8) / 4 - hdr);
	assert_int_equal(ring_room(r), ring_max_payload(r));
	ring_free(r2);
	ring_free(r);
	ring_free(NULL);
	ring_reader_free(NULL);
}

/* Lengths for the order test: the edges first, then a spread. */
static uint32_t
order_len(uint64_t seq, uint32_t max)
{
	static const uint32_t edge[] = { 0, 1, 7, 8, 9, 0, 4095, 4096, 0, 100 };

	if (seq <= sizeof edge / sizeof edge[0])
		return edge[seq - 1];
	if (seq % 97 == 0)
		return max;
	if (seq % 13 == 0)
		return (uint32_t)((seq * 7919) % 5000);
	if (seq % 11 == 0)
		return 0;
	return (uint32_t)((seq * 7919) % 301);
}

static void
test_order_and_wrap(void **state)
{
	struct ring *r = ring_new(64 * KIB);
	struct ring_reader *gate = ring_reader_new(r, true);
	uint32_t max = (uint32_t)ring_max_payload(r);
	size_t cap = 64 * KIB, hdr = header_size(r, cap);
	uint64_t seq = 1, pos = 0, read_seq = 1;
	int header_wraps = 0, payload_wraps = 0, exact_ends = 0;

	(void)state;
	/* Batches of 1 to 3 records in flight, so wrapping positions vary. */
	for (int batch = 0; batch < 20000; batch++) {
		int n = 1 + batch % 3;

		for (int i = 0; i < n; i++, seq++) {
			uint32_t len = order_len(seq, max);

			if (pos / cap != (pos + hdr - 1) / cap)
				header_wraps++;
			else if (len > 0 && (pos + hdr) / cap != (pos + hdr + len - 1) / cap)
				payload_wraps++;
			pos += record_size(hdr, len);
			if (pos % cap == 0)
				exact_ends++;
			put_event(r, seq, len);
		}
		for (; read_seq < seq; read_seq++)
			read_event(gate, read_seq, order_len(read_seq, max));
		read_nothing(gate);
	}
	/* The run above really did cut headers and payloads in two, and
	 * ended records exactly at the end of the buffer. */
	assert_true(header_wraps >= 10);
	assert_true(payload_wraps >= 10);
	assert_true(exact_ends >= 1);
	ring_reader_free(gate);
	ring_free(r);
}

static void
test_sequence_numbers(void **state)
{
	struct ring *r = ring_new(64 * KIB);
	struct ring_reader *gate = ring_reader_new(r, true);
	struct event ev;

	(void)state;
	assert_int_equal(ring_reader_seq(gate), 1);
	for (uint64_t seq = 1; seq <= 5; seq++) {
		make_event(&ev, seq, 3);
		ev.seq = 99;	/* the ring sets it */
		assert_int_equal(ring_put(r, &ev), 0);
		assert_int_equal(ev.seq, seq);
	}
	for (uint64_t seq = 1; seq <= 5; seq++)
		read_event(gate, seq, 3);
	read_nothing(gate);
	assert_int_equal(ring_reader_seq(gate), 6);
	ring_reader_free(gate);
	ring_free(r);
}

static void
test_zero_and_max_payload(void **state)
{
	struct ring *r = ring_new(64 * KIB);
	struct ring_reader *gate = ring_reader_new(r, true);
	uint32_t max = (uint32_t)ring_max_payload(r);
	struct event ev;

	(void)state;
	make_event(&ev, 1, 0);
	ev.data = NULL;		/* nothing to point at is fine when empty */
	assert_int_equal(ring_put(r, &ev), 0);
	put_event(r, 2, max);
	put_event(r, 3, 0);
	put_event(r, 4, max);
	put_event(r, 5, max);
	assert_int_equal(ring_read(gate, &ev, 0), RING_EVENT);
	assert_int_equal(ev.seq, 1);
	assert_int_equal(ev.len, 0);
	assert_non_null(ev.data);
	read_event(gate, 2, max);
	read_event(gate, 3, 0);
	read_event(gate, 4, max);
	read_event(gate, 5, max);
	read_nothing(gate);
	ring_reader_free(gate);
	ring_free(r);
}

static void
test_backpressure(void **state)
{
	struct ring *r = ring_new(64 * KIB);
	struct ring_reader *gate = ring_reader_new(r, true);
	struct ring_reader *viewer = ring_reader_new(r, false);
	size_t hdr = header_size(r, 64 * KIB), rec = record_size(hdr, 1000);
	int room_fd = ring_room_fd(r);
	uint64_t seq, n;
	struct event ev;
	eventfd_t v;

	(void)state;
	for (seq = 1;; seq++) {
		make_event(&ev, seq, 1000);
		if (ring_put(r, &ev) != 0)
			break;
		assert_int_equal(ev.seq, seq);
	}
	n = seq - 1;
	/* Every byte is used: the ring held as many records as fit. */
	assert_int_equal(n, 64 * KIB / rec);
	assert_true(ring_room(r) < 1000);
	assert_false(fd_readable(room_fd));
	assert_int_equal(ring_put(r, &ev), -1);

	/* One read frees one record's room. */
	read_event(gate, 1, 1000);
	assert_true(ring_room(r) >= 1000);
	put_event(r, n + 1, 1000);
	assert_int_equal(ring_put(r, &ev), -1);
	make_event(&ev, n + 2, 1000);
	assert_int_equal(ring_put(r, &ev), -1);

	/* Once the gate has read everything, room_fd wakes the producer. */
	for (seq = 2; seq <= n + 1; seq++)
		read_event(gate, seq, 1000);
	read_nothing(gate);
	assert_true(fd_readable(room_fd));
	assert_int_equal(eventfd_read(room_fd, &v), 0);
	assert_false(fd_readable(room_fd));
	assert_int_equal(ring_room(r), ring_max_payload(r));
	put_event(r, n + 2, 1000);
	read_event(gate, n + 2, 1000);

	/* The viewer that never read did not hold anything up. */
	assert_int_equal(ring_read(viewer, &ev, 0), RING_LAPPED);
	ring_reader_free(viewer);
	ring_reader_free(gate);
	ring_free(r);
}

static void
test_no_gate_holds_everything(void **state)
{
	struct ring *r = ring_new(64 * KIB);
	struct ring_reader *gate;
	struct event ev;
	uint64_t seq;

	(void)state;
	/* Before the history writer attaches nothing may be overwritten. */
	for (seq = 1;; seq++) {
		make_event(&ev, seq, 500);
		if (ring_put(r, &ev) != 0)
			break;
	}
	gate = ring_reader_new(r, true);
	for (uint64_t s = 1; s < seq; s++)
		read_event(gate, s, 500);
	assert_true(fd_readable(ring_room_fd(r)));
	put_event(r, seq, 500);
	ring_reader_free(gate);
	ring_free(r);
}

static void
test_commit_visibility(void **state)
{
	struct ring *r = ring_new(64 * KIB);
	struct ring_reader *gate = ring_reader_new(r, true);
	struct ring_reader *viewer = ring_reader_new(r, false);
	int fd = ring_reader_fd(viewer);

	(void)state;
	for (uint64_t seq = 1; seq <= 10; seq++)
		put_event(r, seq, (uint32_t)seq * 10);
	read_nothing(viewer);
	assert_false(fd_readable(fd));
	for (uint64_t seq = 1; seq <= 5; seq++)
		read_event(gate, seq, (uint32_t)seq * 10);
	read_nothing(viewer);

	ring_commit(gate, 3);
	assert_true(fd_readable(fd));
	for (uint64_t seq = 1; seq <= 3; seq++)
		read_event(viewer, seq, (uint32_t)seq * 10);
	read_nothing(viewer);
	assert_false(fd_readable(fd));
	assert_int_equal(ring_reader_seq(viewer), 4);

	ring_commit(gate, 5);
	ring_commit(gate, 4);	/* going back changes nothing */
	read_event(viewer, 4, 40);
	read_event(viewer, 5, 50);
	read_nothing(viewer);

	for (uint64_t seq = 6; seq <= 10; seq++)
		read_event(gate, seq, (uint32_t)seq * 10);
	read_nothing(viewer);
	ring_commit(gate, 10);
	for (uint64_t seq = 6; seq <= 10; seq++)
		read_event(viewer, seq, (uint32_t)seq * 10);
	read_nothing(viewer);

	/* A reader that comes late starts at the oldest event held. */
	{
		struct ring_reader *late = ring_reader_new(r, false);

		read_event(late, 1, 10);
		ring_reader_free(late);
	}
	ring_reader_free(viewer);
	ring_reader_free(gate);
	ring_free(r);
}

/* A log chunk of n lines takes n numbers: the next event's number comes
 * after its last line's, viewers see it once its last line is committed,
 * and the producer hears of a commit it asked for. */
static void
test_log_spans(void **state)
{
	struct ring *r = ring_new_at(64 * KIB, 10);
	struct ring_reader *gate = ring_reader_new(r, true);
	struct ring_reader *viewer = ring_reader_new(r, false);
	struct event ev = { .type = EV_LOG, .nlines = 5, .data = "a\nb\nc\nd\ne", .len = 9 };
	struct event one = { .type = EV_STEP, .nlines = 7 };
	struct event got;

	(void)state;
	assert_int_equal(ring_next_seq(r), 10);
	assert_int_equal(ring_put(r, &ev), 0);
	assert_int_equal(ev.seq, 10);
	assert_int_equal(event_last_seq(&ev), 14);
	assert_int_equal(ring_put(r, &one), 0);
	assert_int_equal(one.seq, 15);	/* nlines counts for log chunks only */
	assert_int_equal(ring_next_seq(r), 16);
	assert_false(ring_want_commit(r, 14));
	assert_false(fd_readable(ring_commit_fd(r)));
	assert_int_equal(ring_read(gate, &got, 0), RING_EVENT);
	assert_int_equal(got.seq, 10);
	assert_int_equal(ring_reader_seq(gate), 15);
	assert_int_equal(ring_read(gate, &got, 0), RING_EVENT);
	assert_int_equal(ring_read(viewer, &got, 0), RING_EMPTY);
	assert_false(fd_readable(ring_commit_fd(r)));
	ring_commit(gate, 14);
	assert_true(fd_readable(ring_commit_fd(r)));
	assert_int_equal(ring_committed(r), 14);
	assert_int_equal(ring_read(viewer, &got, 0), RING_EVENT);
	assert_int_equal(got.seq, 10);
	assert_int_equal(got.nlines, 5);
	assert_int_equal(ring_read(viewer, &got, 0), RING_EMPTY);
	assert_true(ring_want_commit(r, 12));	/* already there */
	assert_false(fd_readable(ring_commit_fd(r)));
	ring_commit(gate, 15);
	ring_close(r);
	assert_int_equal(ring_read(viewer, &got, 0), RING_EVENT);
	assert_int_equal(got.seq, 15);
	assert_int_equal(ring_read(viewer, &got, 0), RING_END);
	ring_reader_free(viewer);
	ring_reader_free(gate);
	ring_free(r);
}

/* Given up: every reader ends at once, committed or not. */
static void
test_abandon(void **state)
{
	struct ring *r = ring_new(64 * KIB);
	struct ring_reader *gate = ring_reader_new(r, true);
	struct ring_reader *viewer = ring_reader_new(r, false);
	struct event got;

	(void)state;
	put_event(r, 1, 10);
	put_event(r, 2, 10);
	read_event(gate, 1, 10);
	ring_abandon(r);
	assert_int_equal(ring_read(gate, &got, 0), RING_END);
	assert_int_equal(ring_read(viewer, &got, -1), RING_END);
	ring_reader_free(viewer);
	ring_reader_free(gate);
	ring_free(r);
}

static void
test_lapped(void **state)
{
	struct ring *r = ring_new(64 * KIB);
	struct ring_reader *gate = ring_reader_new(r, true);
	struct ring_reader *viewer = ring_reader_new(r, false);
	struct ring_reader *late;
	size_t cap = 64 * KIB, rec = record_size(header_size(r, cap), 500);
	uint64_t seq, last, s;
	struct event ev;
	int laps = 0;

	(void)state;
	for (seq = 1; seq <= 3; seq++) {
		put_event(r, seq, 500);
		read_event(gate, seq, 500);
	}
	ring_commit(gate, 3);
	read_event(viewer, 1, 500);

	/* The gate keeps up; the viewer does not. */
	for (; seq * rec < 3 * cap; seq++) {
		put_event(r, seq, 500);
		read_event(gate, seq, 500);
		ring_commit(gate, seq);
	}
	last = seq - 1;

	assert_int_equal(ring_read(viewer, &ev, 0), RING_LAPPED);
	s = ring_reader_seq(viewer);
	assert_true(s > 2);
	/* Lazy reclaim: it stands at the oldest of as many records as fit. */
	assert_int_equal(last - s + 1, cap / rec);
	late = ring_reader_new(r, false);
	assert_int_equal(ring_reader_seq(late), s);
	ring_reader_free(late);

	for (;;) {
		uint64_t want = ring_reader_seq(viewer);
		enum ring_rc rc = ring_read(viewer, &ev, 0);

		if (rc == RING_EMPTY)
			break;
		if (rc == RING_LAPPED) {
			laps++;
			continue;
		}
		assert_int_equal(rc, RING_EVENT);
		assert_int_equal(ev.seq, want);
		assert_true(event_matches(&ev, want, 500));
	}
	assert_int_equal(laps, 0);
	assert_int_equal(ring_reader_seq(viewer), last + 1);
	ring_reader_free(viewer);
	ring_reader_free(gate);
	ring_free(r);
}

static void
test_end(void **state)
{
	struct ring *r = ring_new(64 * KIB);
	struct ring_reader *gate = ring_reader_new(r, true);
	struct ring_reader *viewer = ring_reader_new(r, false);
	int gate_fd, viewer_fd;
	struct event ev;

	(void)state;
	for (uint64_t seq = 1; seq <= 3; seq++)
		put_event(r, seq, 20);
	ring_close(r);
	for (uint64_t seq = 1; seq <= 3; seq++)
		read_event(gate, seq, 20);
	assert_int_equal(ring_read(gate, &ev, 0), RING_END);
	assert_int_equal(ring_read(gate, &ev, -1), RING_END);

	/* Viewers end after the committed end, not before. */
	ring_commit(gate, 2);
	read_event(viewer, 1, 20);
	read_event(viewer, 2, 20);
	viewer_fd = ring_reader_fd(viewer);
	assert_false(fd_readable(viewer_fd));
	assert_int_equal(ring_read(viewer, &ev, 10), RING_EMPTY);
	ring_commit(gate, 3);
	assert_true(fd_readable(viewer_fd));
	read_event(viewer, 3, 20);
	assert_int_equal(ring_read(viewer, &ev, 0), RING_END);

	gate_fd = ring_reader_fd(gate);
	assert_true(fd_readable(gate_fd));
	ring_reader_free(viewer);
	ring_reader_free(gate);
	ring_free(r);
}

static void
test_end_without_gate(void **state)
{
	struct ring *r = ring_new(64 * KIB);
	struct ring_reader *gate = ring_reader_new(r, true);
	struct ring_reader *viewer = ring_reader_new(r, false);
	struct event ev;

	(void)state;
	put_event(r, 1, 5);
	put_event(r, 2, 5);
	read_event(gate, 1, 5);
	ring_commit(gate, 1);
	ring_close(r);
	read_event(viewer, 1, 5);
	read_nothing(viewer);
	/* Nobody is left to commit 2: the viewer ends where it stands. */
	ring_reader_free(gate);
	assert_int_equal(ring_read(viewer, &ev, 0), RING_END);
	ring_reader_free(viewer);
	ring_free(r);
}

struct waiter {
	struct ring_reader *rd;
	enum ring_rc rc;
};

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct event ev;

	w->rc = ring_read(w->rd, &ev, -1);
	return NULL;
}

static void
test_close_wakes_readers(void **state)
{
	struct ring *r = ring_new(64 * KIB);
	struct waiter w[2] = {
		{ ring_reader_new(r, true), RING_EVENT },
		{ ring_reader_new(r, false), RING_EVENT },
	};
	pthread_t t[2];

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, waiter_main, &w[i]), 0);
	sleep_ms(50);
	ring_close(r);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].rc, RING_END);
		ring_reader_free(w[i].rd);
	}
	ring_free(r);
}

static void
test_put_wakes_gate(void **state)
{
	struct ring *r = ring_new(64 * KIB);
	struct waiter w = { ring_reader_new(r, true), RING_END };
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, waiter_main, &w), 0);
	sleep_ms(50);
	put_event(r, 1, 10);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.rc, RING_EVENT);
	ring_reader_free(w.rd);
	ring_free(r);
}

static void
test_timeouts(void **state)
{
	struct ring *r = ring_new(64 * KIB);
	struct ring_reader *gate = ring_reader_new(r, true);
	struct ring_reader *viewer = ring_reader_new(r, false);
	struct event ev;
	int64_t t0, dt;

	(void)state;
	t0 = mono_ms();
	assert_int_equal(ring_read(gate, &ev, 0), RING_EMPTY);
	assert_true(mono_ms() - t0 < 50);

	t0 = mono_ms();
	assert_int_equal(ring_read(gate, &ev, 150), RING_EMPTY);
	dt = mono_ms() - t0;
	assert_true(dt >= 149 && dt < 2000);

	/* Uncommitted events do not count for a viewer. */
	put_event(r, 1, 10);
	t0 = mono_ms();
	assert_int_equal(ring_read(viewer, &ev, 100), RING_EMPTY);
	dt = mono_ms() - t0;
	assert_true(dt >= 99 && dt < 2000);
	ring_reader_free(viewer);
	ring_reader_free(gate);
	ring_free(r);
}

struct timed_gate {
	struct ring_reader *gate;
	enum ring_rc rc;
	int64_t waited_ms;
};

static void *
timed_gate_main(void *arg)
{
	struct timed_gate *g = arg;
	struct event ev;
	int64_t t0 = mono_ms();

	g->rc = ring_read(g->gate, &ev, 10000);
	g->waited_ms = mono_ms() - t0;
	return NULL;
}

/* Group commit: a gate told to wait for more stops waiting as soon as the
 * producer waits for an event the gate has read, and only then. */
static void
test_commit_owed(void **state)
{
	struct ring *r = ring_new(64 * KIB);
	struct timed_gate g = { ring_reader_new(r, true), RING_EVENT, 0 };
	struct event ev;
	pthread_t t;
	int64_t t0;

	(void)state;
	put_event(r, 1, 10);
	put_event(r, 2, 10);
	/* Wanted but not read yet: the gate is not owing; it reads on. */
	assert_false(ring_want_commit(r, 1));
	assert_false(ring_commit_owed(g.gate));
	read_event(g.gate, 1, 10);
	assert_true(ring_commit_owed(g.gate));
	read_event(g.gate, 2, 10);	/* what is at hand comes first */
	t0 = mono_ms();
	assert_int_equal(ring_read(g.gate, &ev, 5000), RING_EMPTY);
	assert_true(mono_ms() - t0 < 1000);
	ring_commit(g.gate, 2);
	assert_false(ring_commit_owed(g.gate));

	/* Asleep for long: a new want wakes it at once. */
	put_event(r, 3, 10);
	read_event(g.gate, 3, 10);
	assert_int_equal(pthread_create(&t, NULL, timed_gate_main, &g), 0);
	sleep_ms(100);
	assert_false(ring_want_commit(r, 3));
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(g.rc, RING_EMPTY);
	assert_true(g.waited_ms >= 90 && g.waited_ms < 5000);
	ring_commit(g.gate, 3);
	assert_true(ring_want_commit(r, 3));
	ring_reader_free(g.gate);
	ring_free(r);
}

static void
test_reader_fd(void **state)
{
	struct ring *r = ring_new(64 * KIB);
	struct ring_reader *gate = ring_reader_new(r, true);
	struct event ev;
	int fd;

	(void)state;
	put_event(r, 1, 10);
	fd = ring_reader_fd(gate);
	assert_int_equal(ring_reader_fd(gate), fd);
	assert_true(fd_readable(fd));	/* something was already there */
	read_event(gate, 1, 10);
	read_nothing(gate);
	assert_false(fd_readable(fd));

	put_event(r, 2, 10);
	assert_true(fd_readable(fd));
	put_event(r, 3, 10);
	read_event(gate, 2, 10);
	assert_true(fd_readable(fd));	/* stays readable while events are left */
	read_event(gate, 3, 10);
	read_nothing(gate);
	assert_false(fd_readable(fd));

	ring_close(r);
	assert_true(fd_readable(fd));
	assert_int_equal(ring_read(gate, &ev, 0), RING_END);
	ring_reader_free(gate);
	ring_free(r);
}

static void
test_event_helpers(void **state)
{
	static const char *steps[] = { "pending", "waiting", "running", "retrying",
		"succeeded", "failed", "timed_out", "skipped", "upstream_failed", "cancelled" };
	static const char *runs[] = { "running", "succeeded", "failed", "cancelled",
		"rejected", "timed_out", "budget_exceeded", "interrupted" };
	static const int codes[] = { 70, 0, 1, 3, 3, 4, 5, 1 };
	struct event ev = { .type = EV_NOTE };
	char buf[64];
	cJSON *j;

	(void)state;
	for (int i = 0; i < 10; i++) {
		assert_string_equal(step_status_name((enum step_status)i), steps[i]);
		assert_int_equal(step_status_parse(steps[i]), i);
	}
	for (int i = 0; i < 8; i++) {
		assert_string_equal(run_status_name((enum run_status)i), runs[i]);
		assert_int_equal(run_status_parse(runs[i]), i);
		assert_int_equal(run_status_exit_code((enum run_status)i), codes[i]);
	}
	assert_int_equal(step_status_parse("done"), -1);
	assert_int_equal(run_status_parse(""), -1);
	assert_true(step_status_final(ST_SKIPPED) && step_status_final(ST_UPSTREAM_FAILED));
	assert_false(step_status_final(ST_RETRYING) || step_status_final(ST_WAITING));

	event_time_rfc3339(1795442523123456, buf, sizeof buf);
	assert_string_equal(buf, "2026-11-23T14:02:03.123Z");
	event_time_rfc3339(-1000, buf, sizeof buf);
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
	assert_true(event_now() > 1700000000000000);

	ev.data = "{\"level\":\"warn\"}x";
	ev.len = 16;
	j = event_json(&ev);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "level")->valuestring, "warn");
	cJSON_Delete(j);
	ev.len = 17;
	assert_null(event_json(&ev));
	ev.len = 0;
	assert_null(event_json(&ev));
	ev.type = EV_LOG;
	ev.len = 2;
	ev.data = "{}";
	assert_null(event_json(&ev));
}

/*
 * One producer, the gate and two viewers on a small ring.  Threads count
 * failures instead of asserting (cmocka's asserts are for the main thread).
 */
#define MT_EVENTS 2000000
#define MT_CAPACITY (256 * KIB)

struct mt {
	struct ring *ring;
	uint32_t max;
	atomic_uint_fast64_t committed;	/* set before ring_commit */
	atomic_int bad;
	char why[256];			/* the first failure */
	uint64_t refused;
};

struct mt_view {
	struct mt *mt;
	struct ring_reader *rd;
	bool slow;
	uint64_t events, laps, last;
};

static void
mt_fail(struct mt *mt, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&mt->bad, 1) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(mt->why, sizeof mt->why, fmt, ap);
	va_end(ap);
}

/* Mostly log-sized payloads, some big ones, now and then the largest. */
static uint32_t
mt_len(uint64_t seq, uint32_t max)
{
	uint64_t h = seq * 0x9e3779b97f4a7c15ull;

	h ^= h >> 29;
	if (seq % 100003 == 0)
		return max;
	if (h % 1000 == 0)
		return (uint32_t)(h >> 40) % (max + 1);
	if (h % 50 == 0)
		return (uint32_t)(h >> 40) % 4096;
	return (uint32_t)(h >> 40) % 160;
}

static void *
mt_producer(void *arg)
{
	struct mt *mt = arg;
	int room_fd = ring_room_fd(mt->ring);
	struct event ev;
	eventfd_t v;

	for (uint64_t seq = 1; seq <= MT_EVENTS; seq++) {
		make_event(&ev, seq, mt_len(seq, mt->max));
		while (ring_put(mt->ring, &ev) != 0) {
			struct pollfd p = { .fd = room_fd, .events = POLLIN };

			mt->refused++;
			if (poll(&p, 1, 10000) != 1) {
				mt_fail(mt, "producer: no room after 10 s at %llu",
				    (unsigned long long)seq);
				break;
			}
			eventfd_read(room_fd, &v);
		}
		if (ev.seq != seq) {
			mt_fail(mt, "producer: put %llu got seq %llu", (unsigned long long)seq,
			    (unsigned long long)ev.seq);
			break;
		}
	}
	ring_close(mt->ring);
	return NULL;
}

static void
mt_commit(struct mt *mt, struct ring_reader *gate, uint64_t seq)
{
	atomic_store(&mt->committed, seq);
	ring_commit(gate, seq);
}

static void *
mt_gate(void *arg)
{
	struct mt_view *g = arg;
	struct mt *mt = g->mt;
	uint64_t expect = 1, pending = 0, batch = 1;
	struct event ev;

	for (;;) {
		enum ring_rc rc = ring_read(g->rd, &ev, -1);

		if (rc == RING_END)
			break;
		if (rc != RING_EVENT) {
			mt_fail(mt, "gate: got %d", (int)rc);
			break;
		}
		if (!event_matches(&ev, expect, mt_len(expect, mt->max))) {
			mt_fail(mt, "gate: event %llu is wrong, expected %llu",
			    (unsigned long long)ev.seq, (unsigned long long)expect);
			break;
		}
		g->events++;
		g->last = expect++;
		/* Commit in batches of varying size, as the store does. */
		if (++pending >= batch) {
			mt_commit(mt, g->rd, ev.seq);
			pending = 0;
			batch = 1 + (ev.seq * 31) % 251;
		}
	}
	if (g->last > 0)
		mt_commit(mt, g->rd, g->last);
	return NULL;
}

static void *
mt_viewer(void *arg)
{
	struct mt_view *w = arg;
	struct mt *mt = w->mt;
	int fd = w->slow ? -1 : ring_reader_fd(w->rd);
	struct event ev;

	for (;;) {
		uint64_t want = ring_reader_seq(w->rd);
		enum ring_rc rc = ring_read(w->rd, &ev, w->slow ? 20 : 0);

		if (rc == RING_END)
			break;
		if (rc == RING_EMPTY) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			/* The fast viewer sleeps in poll: a lost wake-up shows. */
			if (fd >= 0 && poll(&p, 1, 10000) != 1) {
				mt_fail(mt, "viewer: eventfd silent for 10 s at %llu",
				    (unsigned long long)want);
				break;
			}
			continue;
		}
		if (rc == RING_LAPPED) {
			w->laps++;
			if (ring_reader_seq(w->rd) <= want) {
				mt_fail(mt, "viewer: lapped back from %llu to %llu",
				    (unsigned long long)want,
				    (unsigned long long)ring_reader_seq(w->rd));
				break;
			}
			continue;
		}
		if (ev.seq != want || ev.seq <= w->last) {
			mt_fail(mt, "viewer: got %llu after %llu, expected %llu",
			    (unsigned long long)ev.seq, (unsigned long long)w->last,
			    (unsigned long long)want);
			break;
		}
		if (ev.seq > atomic_load(&mt->committed)) {
			mt_fail(mt, "viewer: saw %llu before it was committed",
			    (unsigned long long)ev.seq);
			break;
		}
		if (!event_matches(&ev, ev.seq, mt_len(ev.seq, mt->max))) {
			mt_fail(mt, "viewer: event %llu is wrong", (unsigned long long)ev.seq);
			break;
		}
		w->events++;
		w->last = ev.seq;
		if (w->slow && w->events % 64 == 0)
			sleep_ms(2);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct mt mt = { 0 };
	struct mt_view gate, fast, slow;
	pthread_t tp, tg, tf, ts;

	(void)state;
	mt.ring = ring_new(MT_CAPACITY);
	mt.max = (uint32_t)ring_max_payload(mt.ring);
	atomic_init(&mt.committed, 0);
	atomic_init(&mt.bad, 0);
	gate = (struct mt_view){ &mt, ring_reader_new(mt.ring, true), false, 0, 0, 0 };
	fast = (struct mt_view){ &mt, ring_reader_new(mt.ring, false), false, 0, 0, 0 };
	slow = (struct mt_view){ &mt, ring_reader_new(mt.ring, false), true, 0, 0, 0 };

	assert_int_equal(pthread_create(&tg, NULL, mt_gate, &gate), 0);
	assert_int_equal(pthread_create(&tf, NULL, mt_viewer, &fast), 0);
	assert_int_equal(pthread_create(&ts, NULL, mt_viewer, &slow), 0);
	assert_int_equal(pthread_create(&tp, NULL, mt_producer, &mt), 0);
	pthread_join(tp, NULL);
	pthread_join(tg, NULL);
	pthread_join(tf, NULL);
	pthread_join(ts, NULL);

	if (atomic_load(&mt.bad) != 0)
		fail_msg("%d failures; first: %s", atomic_load(&mt.bad), mt.why);
	assert_int_equal(gate.events, MT_EVENTS);
	assert_int_equal(gate.last, MT_EVENTS);
	assert_int_equal(fast.last, MT_EVENTS);
	assert_int_equal(slow.last, MT_EVENTS);
	assert_true(slow.laps >= 1);
	assert_true(slow.events < MT_EVENTS);
	print_message("# gate %llu, fast %llu (%llu laps), slow %llu (%llu laps), "
	    "producer refused %llu times\n", (unsigned long long)gate.events,
	    (unsigned long long)fast.events, (unsigned long long)fast.laps,
	    (unsigned long long)slow.events, (unsigned long long)slow.laps,
	    (unsigned long long)mt.refused);

	ring_reader_free(slow.rd);
	ring_reader_free(fast.rd);
	ring_reader_free(gate.rd);
	ring_free(mt.ring);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_order_and_wrap),
		cmocka_unit_test(test_sequence_numbers),
		cmocka_unit_test(test_zero_and_max_payload),
		cmocka_unit_test(test_backpressure),
		cmocka_unit_test(test_no_gate_holds_everything),
		cmocka_unit_test(test_commit_visibility),
		cmocka_unit_test(test_log_spans),
		cmocka_unit_test(test_abandon),
		cmocka_unit_test(test_lapped),
		cmocka_unit_test(test_end),
		cmocka_unit_test(test_end_without_gate),
		cmocka_unit_test(test_close_wakes_readers),
		cmocka_unit_test(test_put_wakes_gate),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_commit_owed),
		cmocka_unit_test(test_reader_fd),
		cmocka_unit_test(test_event_helpers),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup_pattern, NULL);
}
