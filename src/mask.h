/* mask.h - hiding secret values in text.
 *
 * A run collects the values of its secret args; every log line, output,
 * error message and event payload passes through the mask before it
 * leaves the executor, so secrets never reach the history, the screen or a
 * viewer.  A secret is hidden in every form it can take on the way: as
 * typed, JSON-escaped, and quoted for each shell context (shq.h), so a
 * value with a quote, a backslash, a tab or a newline is hidden as well as
 * a plain one.  Output read from a pipe goes through a mask_stream, which
 * holds back a possible start of a secret until the next read, so a secret
 * split across reads, across a cut line or across lines is hidden too.
 */
#ifndef DROVER_MASK_H
#define DROVER_MASK_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "strbuf.h"

/* Secrets shorter than this cannot be told from ordinary text. */
#define MASK_MIN 3

struct mask;

/* An empty mask; free with mask_free. */
struct mask *mask_new(void);
void mask_free(struct mask *m);
/* Adds a secret and its other forms; an empty value is nothing to hide.
 * -1 with e set for a value shorter than MASK_MIN, which would blank out
 * ordinary text (the caller refuses it). */
int mask_add(struct mask *m, const char *secret, struct err *e);
bool mask_empty(const struct mask *m);
/* Returns s with every secret replaced by "***": a new string the caller
 * frees, or NULL when nothing needed masking (then use s as it is).  m may
 * be NULL. */
char *mask_apply(const struct mask *m, const char *s, size_t len, size_t *out_len);
/* Masks every string and member name inside a JSON value, in place. */
void mask_json(const struct mask *m, cJSON *v);

/* Masks a stream that arrives in pieces. */
struct mask_stream {
	const struct mask *m;
	struct strbuf held;	/* the end of what came, that may start a secret */
};

/* Appends to out what of held + p[0..n) is safe to pass on, masked; keeps
 * back the longest end that could be the start of a secret. */
void mask_stream_feed(struct mask_stream *ms, const char *p, size_t n, struct strbuf *out);
/* The stream ended: appends what was held back. */
void mask_stream_flush(struct mask_stream *ms, struct strbuf *out);
void mask_stream_fini(struct mask_stream *ms);

#endif
