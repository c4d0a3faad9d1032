/* netcall.h - what the step kinds that call over HTTP share (step_http.c,
 * step_llm.c): the attempt's one request on the run's HTTP client, its
 * stop, its log, and what a response means for the attempt (success, a
 * failure worth retrying, a failure that is not).
 */
#ifndef DROVER_NETCALL_H
#define DROVER_NETCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "http.h"

struct attempt;
struct attempt_result;
struct err;
struct loop_timer;

/* Called with the response once it has come: the kind fills an
 * attempt_result and calls attempt_done. */
typedef void netcall_fn(struct attempt *a, struct http_response *res);

struct netcall {
	struct attempt *a;
	struct http_xfer *x;
	struct loop_timer *stopped;	/* delivers a stop, from the loop */
	netcall_fn *fn;
	uint64_t lines[3];	/* lines logged so far, per stream */
	char *endpoint;		/* its circuit breaker's (breaker.h) */
	bool trial;		/* the half-open circuit's trial call */
};

/* The longest a request waits for its answer when neither the request
 * nor its step gives a timeout. */
#define NETCALL_DEFAULT_TIMEOUT_MS (5 * 60 * 1000)

/* Sends rq for attempt a (whose state holds c), unless its endpoint's
 * circuit is open, logging line (the request as people read it) once it
 * goes; fn gets the response.  0, or -1 with e set. */
int netcall_send(struct netcall *c, struct attempt *a, const struct http_request *rq,
    const char *line, netcall_fn *fn, struct err *e);
/* The attempt is stopped: drops the request and ends the attempt from the
 * loop, cancelled (the engine says timed out when it was that). */
void netcall_stop(struct netcall *c);
/* The same as a kind's stop op (exec.h), for a kind whose attempt state
 * starts with its struct netcall. */
void netcall_stop_attempt(struct attempt *a, bool force);
void netcall_fini(struct netcall *c);

/* Logs text, cut into lines, on the attempt's stream. */
void netcall_log(struct netcall *c, enum log_stream stream, const char *text, size_t len);
void netcall_logf(struct netcall *c, enum log_stream stream, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* What res means for the attempt, into out (status, error, retry):
 * success when a response came with an expected status (expect, n_expect;
 * none: any 2xx).  A failed connection, a timeout, 429 and 5xx may be
 * retried (honouring Retry-After); other statuses are not. */
void netcall_judge(const struct http_response *res, const int *expect, size_t n_expect,
    struct attempt_result *out);

/* A header line "Name: value" for a request: NULL with e set when the
 * name is not a token or the value holds a line break. */
char *netcall_header(const char *name, const char *value, struct err *e);

/* An http body's request (step_http.c), rendered in step i's scope: for
 * an http step, and for an approval's notify.  rq points into the rest. */
struct http_built {
	struct http_request rq;
	char *url, *shown_url;	/* shown: secrets masked */
	char **headers;
	size_t n_headers;
	bool has_content_type;
	char *body;
	const int *expect;	/* the statuses that are success (the body's) */
	size_t n_expect;
};
struct body;
struct run;
int step_http_build(struct run *r, size_t i, const struct body *b, struct http_built *hb,
    struct err *e);
void http_built_fini(struct http_built *hb);

#endif
