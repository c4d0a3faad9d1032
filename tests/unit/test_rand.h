/* test_rand.h - a pseudo-random sequence for property tests: xorshift64,
 * the same on every machine, so a failure can be replayed. */
#ifndef DROVER_TEST_RAND_H
#define DROVER_TEST_RAND_H

#include <stdint.h>

/* The next number after *state, which must not be 0. */
static inline uint64_t
xorshift64(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

#endif
