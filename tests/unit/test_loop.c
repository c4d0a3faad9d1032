/* test_loop.c - the executor's loop: timers in order, fds, cancellation. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <cmocka.h>

#include "loop.h"

struct trace {
	char order[64];
	size_t n;
	struct loop_timer *victim;
};

static void
on_timer(struct loop *l, void *ud)
{
	struct trace *t = ud;

	(void)l;
	t->order[t->n++] = 'x';
}

static void
on_a(struct loop *l, void *ud)
{
	((struct trace *)ud)->order[((struct trace *)ud)->n++] = 'a';
	(void)l;
}

static void
on_b(struct loop *l, void *ud)
{
	((struct trace *)ud)->order[((struct trace *)ud)->n++] = 'b';
	(void)l;
}

static void
on_c(struct loop *l, void *ud)
{
	struct trace *t = ud;

	t->order[t->n++] = 'c';
	loop_timer_cancel(l, t->victim);	/* cancels a later timer from a callback */
}

static void
test_timer_order(void **state)
{
	struct loop *l = loop_new();
	struct trace t = { { 0 }, 0, NULL };

	(void)state;
	loop_timer_add(l, 30, on_b, &t);
	loop_timer_add(l, 10, on_a, &t);
	loop_timer_add(l, 20, on_c, &t);
	t.victim = loop_timer_add(l, 40, on_timer, &t);
	loop_timer_add(l, 10, on_a, &t);	/* same time: order of adding */
	while (t.n < 4)
		loop_run_once(l, 1000);
	loop_run_once(l, 60);
	assert_string_equal(t.order, "aacb");
	loop_free(l);
}

static void
test_many_timers(void **state)
{
	struct loop *l = loop_new();
	struct trace t = { { 0 }, 0, NULL };
	struct loop_timer *timers[1000];

	(void)state;
	for (int i = 0; i < 1000; i++)
		timers[i] = loop_timer_add(l, 1000 + i, on_timer, &t);
	for (int i = 0; i < 1000; i += 2)
		loop_timer_cancel(l, timers[i]);
	for (int i = 1; i < 1000; i += 2)
		loop_timer_cancel(l, timers[i]);
	loop_run_once(l, 0);
	assert_int_equal(t.n, 0);
	loop_free(l);
}

static int fd_hits;

static void
on_readable(struct loop *l, int fd, uint32_t events, void *ud)
{
	char c;

	(void)ud;
	(void)events;
	if (read(fd, &c, 1) == 1)
		fd_hits++;
	loop_unwatch(l, fd);
}

static void
test_fds(void **state)
{
	struct loop *l = loop_new();
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	loop_watch(l, p[0], EPOLLIN, on_readable, NULL);
	loop_run_once(l, 0);
	assert_int_equal(fd_hits, 0);
	assert_int_equal(write(p[1], "xy", 2), 2);
	loop_run_once(l, 1000);
	assert_int_equal(fd_hits, 1);
	loop_run_once(l, 0);	/* unwatched: not called again */
	assert_int_equal(fd_hits, 1);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_order),
		cmocka_unit_test(test_many_timers),
		cmocka_unit_test(test_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
