/* test_breaker.c - circuit breakers: open after N failures within the
 * window (not when they are spread wider), fail fast while open, one trial
 * when half-open, closed by its success and opened again by its failure;
 * endpoints are independent. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "breaker.h"

#define EP "http://h:80"

static bool
admit(struct breakers *b, const char *ep, int64_t now, bool *trial)
{
	char why[200];
	bool changed;

	return breaker_admit(b, ep, now, trial, &changed, why, sizeof why);
}

static void
test_opens_within_window(void **state)
{
	struct breakers *b = breakers_new(3, 1000, 500);
	enum breaker_state st;
	bool trial;

	assert_false(breaker_record(b, EP, false, false, 0, &st));
	assert_false(breaker_record(b, EP, false, false, 2000, &st));	/* spread out */
	assert_false(breaker_record(b, EP, false, false, 2500, &st));
	assert_true(admit(b, EP, 2600, &trial));
	assert_true(breaker_record(b, EP, false, false, 2900, &st));	/* 3 within 1000 */
	assert_int_equal(st, BREAKER_OPEN);
	assert_false(admit(b, EP, 3000, &trial));
	assert_true(admit(b, "http://other:80", 3000, &trial));
	assert_false(trial);
	breakers_free(b);
}

static void
test_half_open(void **state)
{
	struct breakers *b = breakers_new(1, 1000, 500);
	enum breaker_state st;
	bool trial;

	assert_true(breaker_record(b, EP, false, false, 0, &st));
	assert_false(admit(b, EP, 499, &trial));
	assert_true(admit(b, EP, 500, &trial));		/* half-open: the trial */
	assert_true(trial);
	assert_false(admit(b, EP, 501, &trial));	/* one trial at a time */
	assert_true(breaker_record(b, EP, false, true, 600, &st));
	assert_int_equal(st, BREAKER_OPEN);		/* the trial failed */
	assert_false(admit(b, EP, 1000, &trial));
	assert_true(admit(b, EP, 1100, &trial));
	breaker_abandon(b, EP);				/* stopped: another may try */
	assert_true(admit(b, EP, 1101, &trial));
	assert_true(trial);
	assert_true(breaker_record(b, EP, true, true, 1200, &st));
	assert_int_equal(st, BREAKER_CLOSED);
	assert_true(admit(b, EP, 1201, &trial));
	assert_false(trial);
	breakers_free(b);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opens_within_window),
		cmocka_unit_test(test_half_open),
	};

	return cmocka_run_group_tests_name("breaker", tests, NULL, NULL);
}
