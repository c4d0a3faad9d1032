/* test_dur.c - durations and sizes. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dur.h"

static void
test_parse(void **state)
{
	static const struct { const char *text; int64_t ms; } ok[] = {
		{ "250ms", 250 }, { "30s", 30000 }, { "5m", 300000 }, { "1h30m", 5400000 },
		{ "7d", 604800000 }, { "1.5s", 1500 }, { "0s", 0 }, { "2h5m10s", 7510000 },
		{ ".5s", 500 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct err e;
		int64_t ms = -1;

		assert_int_equal(dur_parse(ok[i].text, &ms, &e), 0);
		assert_int_equal(ms, ok[i].ms);
	}
}

static void
test_parse_errors(void **state)
{
	static const struct { const char *text, *fragment; } bad[] = {
		{ "", "empty duration" }, { "5", "needs a unit" }, { "5x", "unknown unit 'x'" },
		{ "1 h", "without spaces" }, { "1.2.3s", "is not a number" }, { "s", "expected a number" },
		{ "99999999999999999999d", "too long" }, { "9999999999d", "too long" },
		{ "-5s", "expected a number" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct err e;
		int64_t ms;

		assert_int_equal(dur_parse(bad[i].text, &ms, &e), -1);
		if (strstr(e.msg, bad[i].fragment) == NULL)
			fail_msg("'%s': '%s' lacks '%s'", bad[i].text, e.msg, bad[i].fragment);
	}
}

static void
test_format(void **state)
{
	static const struct { int64_t ms; const char *text; } f[] = {
		{ 0, "0ms" }, { 250, "250ms" }, { 1000, "1s" }, { 1500, "1.5s" }, { 59999, "59.9s" },
		{ 252000, "4m12s" }, { 5400000, "1h30m" }, { 90061000, "1d1h1m1s" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		char buf[32];

		dur_format(f[i].ms, buf, sizeof buf);
		assert_string_equal(buf, f[i].text);
	}
}

static void
test_sizes(void **state)
{
	struct err e;
	uint64_t b;

	(void)state;
	assert_int_equal(size_parse("65536", &b, &e), 0);
	assert_int_equal(b, 65536);
	assert_int_equal(size_parse("512M", &b, &e), 0);
	assert_int_equal(b, 512ull << 20);
	assert_int_equal(size_parse("2GiB", &b, &e), 0);
	assert_int_equal(b, 2ull << 30);
	assert_int_equal(size_parse("1kb", &b, &e), 0);
	assert_int_equal(b, 1024);
	assert_int_equal(size_parse("12Q", &b, &e), -1);
	assert_non_null(strstr(e.msg, "unknown unit"));
	assert_int_equal(size_parse("M", &b, &e), -1);
	assert_int_equal(size_parse("99999999999T", &b, &e), -1);
	assert_non_null(strstr(e.msg, "too large"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
