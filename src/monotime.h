/* monotime.h - the monotonic clock, for timeouts, intervals and pauses:
 * unlike the wall clock (event_now) it never jumps when the time of day
 * is set. */
#ifndef DROVER_MONOTIME_H
#define DROVER_MONOTIME_H

#include <stdint.h>

/* Milliseconds since an arbitrary start (CLOCK_MONOTONIC). */
int64_t monotime_ms(void);
/* Sleeps ms milliseconds, signals or not. */
void monotime_sleep_ms(int ms);

#endif
