/* http.h - HTTP requests on the executor's loop: libcurl's multi interface
 * driven by the loop's descriptors and timers, so any number of requests
 * are in flight at once without a thread each and nothing ever blocks the
 * loop.
 *
 * One struct http per loop; everything runs on the loop's thread.  The
 * step kinds that talk HTTP (step_http.c, step_llm.c) and an approval's
 * notify send through it.
 */
#ifndef DROVER_HTTP_H
#define DROVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"

struct http;
struct http_xfer;
struct loop;

struct http_request {
	const char *method;	/* "GET", "POST", ... */
	const char *url;
	const char *const *headers;	/* "Name: value", n_headers of them */
	size_t n_headers;
	const char *body;	/* NULL: none */
	size_t body_len;
	int64_t timeout_ms;	/* the whole exchange; 0: none */
	bool insecure;		/* skip TLS verification */
	size_t keep;		/* bytes of the response body kept; the rest is counted */
};

struct http_response {
	int status;		/* 0 when no response came */
	char *error;		/* why no response came (or NULL) */
	bool timed_out;		/* ... because timeout_ms passed */
	cJSON *headers;		/* object: lower-case name -> text */
	char *body;		/* the first `keep` bytes, NUL-terminated */
	size_t len;
	uint64_t total_len;	/* bytes the server sent */
	int64_t retry_after_ms;	/* what Retry-After asks; -1 when it is not there */
	int64_t elapsed_ms;
};

/* Called once when the exchange has ended; res and what it holds are the
 * callee's (http_response_fini). */
typedef void http_done_fn(struct http_response *res, void *ud);

/* Whether requests can be made: libcurl is opened on first use
 * (curlso.h).  0, or -1 with e set to why not. */
int http_ready(struct err *e);
struct http *http_new(struct loop *l);
/* Drops every request still in flight without calling back. */
void http_free(struct http *h);

/* Starts rq (copied: nothing of it need live on); fn is called from the
 * loop, never from here.  NULL with e set when curl refuses it (a bad
 * URL). */
struct http_xfer *http_send(struct http *h, const struct http_request *rq, http_done_fn *fn,
    void *ud, struct err *e);
/* Drops x without calling back. */
void http_cancel(struct http *h, struct http_xfer *x);

void http_response_fini(struct http_response *res);

/* The endpoint of url, "scheme://host:port" (the port filled in), for
 * circuit breakers; NULL when curl cannot parse it.  Caller frees. */
char *http_endpoint(const char *url);

/* Retry-After's value (delay-seconds or an HTTP-date) in milliseconds from
 * now (clamped at 0), or -1 when it is neither. */
int64_t http_retry_after(const char *value, int64_t now_s);

#endif
