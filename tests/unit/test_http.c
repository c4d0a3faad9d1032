/* test_http.c - what http.c makes of a server's Retry-After: delay-seconds
 * or an HTTP-date, anything else ignored, nothing beyond a year. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "http.h"

static void
test_seconds(void **state)
{
	assert_int_equal(http_retry_after("120", 0), 120000);
	assert_int_equal(http_retry_after(" 5 ", 0), 5000);
	assert_int_equal(http_retry_after("0", 0), 0);
	assert_int_equal(http_retry_after("99999999999999999999", 0), 366LL * 24 * 3600 * 1000);
}

static void
test_date(void **state)
{
	const int64_t when = 1445412480;	/* Wed, 21 Oct 2015 07:28:00 GMT */

	assert_int_equal(http_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", when - 10), 10000);
	assert_int_equal(http_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", when + 10), 0);
	assert_int_equal(http_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", when - 400LL * 86400),
	    366LL * 24 * 3600 * 1000);
}

static void
test_garbage(void **state)
{
	assert_int_equal(http_retry_after("", 0), -1);
	assert_int_equal(http_retry_after("5 seconds", 0), -1);
	assert_int_equal(http_retry_after("-5", 0), -1);
	assert_int_equal(http_retry_after("soon", 0), -1);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
