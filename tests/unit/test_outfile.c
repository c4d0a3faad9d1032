/* test_outfile.c - outputs published through $DROVER_OUTPUT. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "outfile.h"

static char *
parse(const char *text, struct err *e)
{
	cJSON *o = cJSON_CreateObject();
	char *s = NULL;

	if (outfile_parse(text, strlen(text), o, e) == 0)
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void
test_forms(void **state)
{
	struct err e;
	char *s;

	(void)state;
	s = parse("a=1\nb=x=y\n\nc=\n", &e);
	assert_string_equal(s, "{\"a\":\"1\",\"b\":\"x=y\",\"c\":\"\"}");
	free(s);
	s = parse("notes<<EOF\nline one\nline two\nEOF\nafter=yes\n", &e);
	assert_string_equal(s, "{\"notes\":\"line one\\nline two\",\"after\":\"yes\"}");
	free(s);
	s = parse("empty<<END\nEND\n", &e);
	assert_string_equal(s, "{\"empty\":\"\"}");
	free(s);
	s = parse("crlf=1\r\nk<<D\r\nv\r\nD\r\n", &e);
	assert_string_equal(s, "{\"crlf\":\"1\",\"k\":\"v\"}");
	free(s);
	s = parse("a=1\na=2\n", &e);
	assert_string_equal(s, "{\"a\":\"2\"}");
	free(s);
	s = parse("last=no newline", &e);
	assert_string_equal(s, "{\"last\":\"no newline\"}");
	free(s);
}

static void
test_errors(void **state)
{
	struct err e;

	(void)state;
	assert_null(parse("a=1\njust text\n", &e));
	assert_string_equal(e.msg, "$DROVER_OUTPUT line 2: expected key=value or key<<DELIMITER, "
	    "found 'just text'");
	assert_null(parse("k<<EOF\nnever closed\n", &e));
	assert_string_equal(e.msg, "$DROVER_OUTPUT line 1: 'k' is never closed by a line holding "
	    "only EOF");
	assert_null(parse("stdout=mine\n", &e));
	assert_string_equal(e.msg, "$DROVER_OUTPUT line 1: 'stdout' is set by drover and cannot be "
	    "published");
	assert_null(parse("1bad=x\n", &e));
	assert_null(parse("=x\n", &e));
}

static void
test_cost(void **state)
{
	cJSON *o = cJSON_Parse("{\"cost_usd\":\"0.25\",\"tokens_in\":\"100\",\"tokens_out\":\"x\"}");
	double cost;
	long long in, out;

	(void)state;
	outfile_take_cost(o, &cost, &in, &out);
	assert_true(cost == 0.25);
	assert_int_equal(in, 100);
	assert_int_equal(out, 0);
	cJSON_Delete(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
