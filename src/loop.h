/* loop.h - the executor's event loop: file descriptors (epoll) and timers
 * (a min-heap), single-threaded.
 *
 * Callbacks run on the loop's thread.  A callback may watch and unwatch
 * descriptors and add and cancel timers, including its own.
 */
#ifndef DROVER_LOOP_H
#define DROVER_LOOP_H

#include <stdint.h>

struct loop;
struct loop_timer;

typedef void loop_fd_fn(struct loop *l, int fd, uint32_t events, void *ud);
typedef void loop_timer_fn(struct loop *l, void *ud);

/* Free with loop_free: timers still set go with it; watched descriptors
 * stay their owners' to close. */
struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Calls fn when fd is ready for events (EPOLLIN, EPOLLOUT...); watching an
 * fd again changes its events and callback. */
void loop_watch(struct loop *l, int fd, uint32_t events, loop_fd_fn *fn, void *ud);
void loop_unwatch(struct loop *l, int fd);

/* Calls fn once, delay_ms from now; the handle is valid until fn runs or
 * the timer is cancelled. */
struct loop_timer *loop_timer_add(struct loop *l, int64_t delay_ms, loop_timer_fn *fn, void *ud);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/* Monotonic milliseconds, read once per iteration. */
int64_t loop_now(const struct loop *l);

/* Waits up to max_wait_ms (-1: until something happens) for descriptors
 * and timers, and runs their callbacks. */
void loop_run_once(struct loop *l, int max_wait_ms);

#endif
