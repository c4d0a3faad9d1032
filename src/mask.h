/* mask.h - hiding secret values in text.
 *
 * A run collects the values of its secret args; every log line, output,
 * error message and event payload passes through mask_apply before it
 * leaves the executor, so secrets never reach the history, the screen or a
 * viewer.
 */
#ifndef DROVER_MASK_H
#define DROVER_MASK_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct mask;

struct mask *mask_new(void);
void mask_free(struct mask *m);
/* Adds a secret; empty values and values shorter than 3 bytes are not
 * masked (they would blank out ordinary text). */
void mask_add(struct mask *m, const char *secret);
bool mask_empty(const struct mask *m);
/* Returns s with every secret replaced by "***": a new string the caller
 * frees, or NULL when nothing needed masking (then use s as it is). */
char *mask_apply(const struct mask *m, const char *s, size_t len, size_t *out_len);
/* Masks every string inside a JSON value, in place. */
void mask_json(const struct mask *m, cJSON *v);

#endif
