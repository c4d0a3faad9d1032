/* dur.h - durations ("250ms", "30s", "1h30m", "7d") and sizes ("512M"). */
#ifndef DROVER_DUR_H
#define DROVER_DUR_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Parses a duration: one or more <number><unit> parts with units ms, s,
 * m, h, d (numbers may have a fraction: "1.5s").  Stores milliseconds. */
int dur_parse(const char *s, int64_t *ms, struct err *e);
/* Writes ms in the short human form ("250ms", "1.5s", "4m12s", "1h30m",
 * "2d3h") into buf. */
void dur_format(int64_t ms, char *buf, size_t size);

/* Parses a size: a whole number of bytes, optionally followed by K, M, G or
 * T (powers of 1024), with or without "B"/"iB". */
int size_parse(const char *s, uint64_t *bytes, struct err *e);

#endif
