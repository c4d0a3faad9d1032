/* breaker.c - circuit breakers per endpoint.
 *
 * A run talks to few endpoints, so they are a short list searched in
 * order; each keeps the times of its last `failures` failed calls in a
 * ring, so "that many within the window" is one subtraction.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breaker.h"
#include "dur.h"
#include "xmalloc.h"

struct endpoint {
	char *name;
	enum breaker_state state;
	int64_t *fails;		/* the last `failures` failures, circular */
	int n_fails, next;
	int64_t opened_at;
	bool trial_out;		/* half-open: the trial call is in flight */
};

struct breakers {
	int failures;
	int64_t window_ms, open_for_ms;
	struct endpoint *v;
	size_t n;
};

struct breakers *
breakers_new(int failures, int64_t window_ms, int64_t open_for_ms)
{
	struct breakers *b = xcalloc(1, sizeof *b);

	b->failures = failures;
	b->window_ms = window_ms;
	b->open_for_ms = open_for_ms;
	return b;
}

void
breakers_free(struct breakers *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].name);
		free(b->v[i].fails);
	}
	free(b->v);
	free(b);
}

static struct endpoint *
endpoint_of(struct breakers *b, const char *name)
{
	struct endpoint *ep;

	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->v[i].name, name) == 0)
			return &b->v[i];
	b->v = xreallocarray(b->v, b->n + 1, sizeof *b->v);
	ep = &b->v[b->n++];
	memset(ep, 0, sizeof *ep);
	ep->name = xstrdup(name);
	ep->fails = xcalloc((size_t)b->failures, sizeof *ep->fails);
	return ep;
}

bool
breaker_admit(struct breakers *b, const char *endpoint, int64_t now, bool *trial,
    bool *changed, char *why, size_t size)
{
	struct endpoint *ep = endpoint_of(b, endpoint);
	char d[32];

	*trial = *changed = false;
	if (ep->state == BREAKER_OPEN && now - ep->opened_at >= b->open_for_ms) {
		ep->state = BREAKER_HALF_OPEN;
		ep->trial_out = false;
		*changed = true;
	}
	switch (ep->state) {
	case BREAKER_CLOSED:
		return true;
	case BREAKER_HALF_OPEN:
		if (!ep->trial_out) {
			ep->trial_out = true;
			*trial = true;
			return true;
		}
		snprintf(why, size, "circuit open: %s is half-open and its trial call is not "
		    "back yet", endpoint);
		return false;
	case BREAKER_OPEN:
		break;
	}
	dur_format(b->open_for_ms - (now - ep->opened_at), d, sizeof d);
	snprintf(why, size, "circuit open: %s failed %d times within the window; the next "
	    "call goes through in %s", endpoint, b->failures, d);
	return false;
}

bool
breaker_record(struct breakers *b, const char *endpoint, bool ok, bool trial, int64_t now,
    enum breaker_state *state)
{
	struct endpoint *ep = endpoint_of(b, endpoint);
	enum breaker_state was = ep->state;

	if (trial)
		ep->trial_out = false;
	if (ok) {
		if (ep->state == BREAKER_HALF_OPEN && trial) {
			ep->state = BREAKER_CLOSED;
			ep->n_fails = 0;
		}
	} else {
		ep->fails[ep->next] = now;
		ep->next = (ep->next + 1) % b->failures;
		if (ep->n_fails < b->failures)
			ep->n_fails++;
		if ((ep->state == BREAKER_HALF_OPEN && trial) ||
		    (ep->state == BREAKER_CLOSED && ep->n_fails == b->failures &&
		    now - ep->fails[ep->next] <= b->window_ms)) {
			/* ep->next is now the oldest of the last `failures` failures. */
			ep->state = BREAKER_OPEN;
			ep->opened_at = now;
		}
	}
	*state = ep->state;
	return ep->state != was;
}

void
breaker_abandon(struct breakers *b, const char *endpoint)
{
	endpoint_of(b, endpoint)->trial_out = false;
}

const char *
breaker_state_name(enum breaker_state s)
{
	static const char *const names[] = { "closed", "open", "half-open" };

	return names[s];
}
