/* breaker.h - circuit breakers (SPEC 4.4): one per endpoint a run talks
 * to (scheme://host:port).  After `failures` failed calls within `window`
 * the circuit opens and calls fail at once; after `open_for` one trial
 * call goes through (half-open), and its result closes the circuit or
 * opens it again.  A failed call is one that got no answer or a 429 or
 * 5xx; any other answer is the endpoint working.
 */
#ifndef DROVER_BREAKER_H
#define DROVER_BREAKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct breakers;

enum breaker_state { BREAKER_CLOSED, BREAKER_OPEN, BREAKER_HALF_OPEN };

struct breakers *breakers_new(int failures, int64_t window_ms, int64_t open_for_ms);
void breakers_free(struct breakers *b);

/* May a call to endpoint go, now (monotonic ms)?  true (and *trial when it
 * is the half-open circuit's one trial), or false with why.  *changed is
 * set when the state changed (open -> half-open). */
bool breaker_admit(struct breakers *b, const char *endpoint, int64_t now, bool *trial,
    bool *changed, char *why, size_t size);
/* The call's outcome; returns true when the circuit's state changed, and
 * says to what in *state. */
bool breaker_record(struct breakers *b, const char *endpoint, bool ok, bool trial, int64_t now,
    enum breaker_state *state);
/* A trial that ended without an outcome (the step was stopped): the next
 * call may be the trial. */
void breaker_abandon(struct breakers *b, const char *endpoint);

const char *breaker_state_name(enum breaker_state s);

#endif
