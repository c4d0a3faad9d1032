/* test_json.c - json_print writes what cJSON writes, for every kind of
 * value: a property test over random trees (numbers of every size and
 * sign, fractions, NaN and infinities, strings of any bytes, nesting,
 * empty arrays and objects), every layout. */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "strbuf.h"
#include "test_rand.h"

static double
random_number(uint64_t *r)
{
	uint64_t k = xorshift64(r);
	double sign = (k & 1) ? -1 : 1;

	switch ((k >> 1) % 10) {
	case 0:
		return sign * (double)(xorshift64(r) % 1000);
	case 1:
		return sign * (double)(xorshift64(r) % 2000000000000000ull);	/* around 1e15 */
	case 2:
		return sign * (double)(xorshift64(r) >> (xorshift64(r) % 64));
	case 3:
		return sign * (double)(xorshift64(r) % 100000) / 100.0;
	case 4:
		return sign * ldexp((double)(xorshift64(r) >> 11), (int)(xorshift64(r) % 200) - 100);
	case 5: {
		static const double odd[] = { 0.0, -0.0, 1e15, 1e15 - 1, 1e15 + 1, 999999999999999.5,
			9007199254740993.0, 1e300, 5e-324, 0.1, 2147483647.0, -2147483648.0,
			2147483648.0, 1e21, 123456789012345678.0 };

		return odd[xorshift64(r) % (sizeof odd / sizeof odd[0])];
	}
	case 6:
		return (k & 2) ? NAN : sign * INFINITY;
	default:
		return sign * (double)(int32_t)xorshift64(r);
	}
}

static char *
random_string(uint64_t *r)
{
	size_t n = xorshift64(r) % 12;
	char *s = malloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		uint64_t k = xorshift64(r);

		/* Mostly plain text, often a byte that needs escaping. */
		s[i] = (char)(k % 3 == 0 ? 1 + (k >> 8) % 255 : 'a' + (k >> 8) % 26);
		if (k % 7 == 0)
			s[i] = "\"\\\b\f\n\r\t/\x7f:"[(k >> 16) % 10];
	}
	s[n] = '\0';
	return s;
}

static cJSON *
random_value(uint64_t *r, int depth)
{
	uint64_t k = xorshift64(r) % (depth > 4 ? 6 : 9);
	cJSON *v;
	char *s;

	switch (k) {
	case 0:
		return cJSON_CreateNull();
	case 1:
		return cJSON_CreateBool(xorshift64(r) & 1);
	case 2:
	case 3:
		return cJSON_CreateNumber(random_number(r));
	case 4:
	case 5:
		s = random_string(r);
		v = cJSON_CreateString(s);
		free(s);
		return v;
	case 6:
		v = cJSON_CreateArray();
		for (uint64_t n = xorshift64(r) % 5; n > 0; n--)
			cJSON_AddItemToArray(v, random_value(r, depth + 1));
		return v;
	default:
		v = cJSON_CreateObject();
		for (uint64_t n = xorshift64(r) % 5; n > 0; n--) {
			s = random_string(r);
			cJSON_AddItemToObject(v, s, random_value(r, depth + 1));
			free(s);
		}
		return v;
	}
}

/* drover's layout is cJSON's with two spaces for a tab and ": " for
 * ":\t" (a string never holds a raw tab: it is escaped), here one level
 * down as in an array. */
static void
check_spaces(const cJSON *v, int i)
{
	char *tabs = cJSON_Print(v);
	struct strbuf want = STRBUF_INIT, got = STRBUF_INIT;

	for (const char *p = tabs; *p != '\0'; p++) {
		if (*p == ':' && p[1] == '\t') {
			sb_adds(&want, ": ");
			p++;
		} else if (*p == '\t') {
			sb_adds(&want, "  ");
		} else {
			sb_addc(&want, *p);
			if (*p == '\n')
				sb_adds(&want, "  ");
		}
	}
	json_print(&got, v, JSON_SPACES, 1);
	if (strcmp(sb_str(&want), sb_str(&got)) != 0)
		fail_msg("tree %d (spaces):\n want: %s\n  got: %s", i, sb_str(&want), sb_str(&got));
	sb_fini(&want);
	sb_fini(&got);
	free(tabs);
}

static void
test_same_as_cjson(void **state)
{
	uint64_t r = 0x5eed0f15a11ce5ull;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		cJSON *v = random_value(&r, 0);

		for (int formatted = 0; formatted < 2; formatted++) {
			char *want = formatted ? cJSON_Print(v) : cJSON_PrintUnformatted(v);
			char *got = json_text(v, formatted);

			if (strcmp(want, got) != 0)
				fail_msg("tree %d (%s):\n cJSON: %s\n  ours: %s", i,
				    formatted ? "formatted" : "unformatted", want, got);
			free(want);
			free(got);
		}
		check_spaces(v, i);
		cJSON_Delete(v);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_cjson),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
