/* outfile.h - outputs a step publishes through the file named by
 * $DROVER_OUTPUT: "key=value" lines, or "key<<DELIM", lines, "DELIM" for a
 * value of several lines. */
#ifndef DROVER_OUTFILE_H
#define DROVER_OUTFILE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "err.h"

/* Adds every published key to outputs (an object) as a string; a key given
 * twice keeps its last value.  exit_code, stdout and stderr belong to
 * drover and may not be published. */
int outfile_parse(const char *text, size_t len, cJSON *outputs, struct err *e);
/* Reads the published cost_usd, tokens_in and tokens_out (0 when absent
 * or not numbers). */
void outfile_take_cost(const cJSON *outputs, double *cost, long long *tokens_in,
    long long *tokens_out);

#endif
