/* test_argspec.c - typed args: conversion from text, rules, resolution. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "argspec.h"
#include "xmalloc.h"

/* Specs as the loader makes them: an array argspecs_fini can free. */
static struct arg_specs
specs_of(const char *const *names, const enum arg_type *types, size_t n)
{
	struct arg_specs specs = { xcalloc(n, sizeof(struct arg_spec)), n };

	for (size_t i = 0; i < n; i++) {
		specs.v[i].name = xstrdup(names[i]);
		specs.v[i].type = types[i];
		specs.v[i].min_len = specs.v[i].max_len = -1;
	}
	return specs;
}

static char *
text_of(const cJSON *v)
{
	return cJSON_PrintUnformatted(v);
}

static void
want_value(const struct arg_spec *s, const char *text, const char *json)
{
	struct err e;
	cJSON *v = argspec_from_text(s, text, &e);
	char *got;

	if (v == NULL)
		fail_msg("'%s' was refused: %s", text, e.msg);
	got = text_of(v);
	assert_string_equal(got, json);
	free(got);
	cJSON_Delete(v);
}

static void
want_refusal(const struct arg_spec *s, const char *text, const char *msg)
{
	struct err e;
	cJSON *v = argspec_from_text(s, text, &e);

	if (v != NULL)
		fail_msg("'%s' was accepted", text);
	assert_string_equal(e.msg, msg);
}

static void
test_conversions(void **state)
{
	static const char *const names[] = { "s", "i", "n", "b", "a", "o" };
	static const enum arg_type types[] = {
		ARG_STRING, ARG_INTEGER, ARG_NUMBER, ARG_BOOLEAN, ARG_ARRAY, ARG_OBJECT,
	};
	struct arg_specs specs = specs_of(names, types, 6);
	struct arg_spec *s = specs.v;

	(void)state;
	want_value(&s[0], "3", "\"3\"");
	want_value(&s[1], "3", "3");
	want_value(&s[1], "-42", "-42");
	want_value(&s[2], "2.5", "2.5");
	want_value(&s[3], "true", "true");
	want_value(&s[3], "No", "false");
	want_value(&s[4], "[\"a\",\"b\"]", "[\"a\",\"b\"]");
	want_value(&s[4], "[a, b]", "[\"a\",\"b\"]");
	want_value(&s[5], "{\"k\": 1}", "{\"k\":1}");
	want_refusal(&s[1], "3x", "arg 'i': '3x' is not an integer");
	want_refusal(&s[1], "2.5", "arg 'i': '2.5' is not an integer");
	want_refusal(&s[1], "", "arg 'i': '' is not an integer");
	want_refusal(&s[2], "fast", "arg 'n': 'fast' is not a number");
	want_refusal(&s[3], "maybe", "arg 'b': 'maybe' is not a boolean (use true or false)");
	want_refusal(&s[4], "{\"k\": 1}", "arg 'a': {\"k\":1} is not an array");
	want_refusal(&s[4], "[a, b", "arg 'a': [a, b is not a valid array (write it as JSON, "
	    "e.g. '[\"a\",\"b\"]')");
	argspecs_fini(&specs);
}

static void
test_rules(void **state)
{
	static const char *const names[] = { "env", "replicas", "name", "regions" };
	static const enum arg_type types[] = { ARG_STRING, ARG_INTEGER, ARG_STRING, ARG_ARRAY };
	struct arg_specs specs = specs_of(names, types, 4);
	struct arg_spec *s = specs.v;
	struct err e;

	(void)state;
	s[0].enum_vals = cJSON_Parse("[\"development\",\"staging\",\"production\"]");
	s[1].has_min = s[1].has_max = true;
	s[1].min = 1;
	s[1].max = 20;
	s[2].pattern = xstrdup("[a-z]+");
	assert_int_equal(argspec_compile(&s[2], &e), 0);
	s[2].min_len = 2;
	s[2].max_len = 5;
	s[3].min_len = 1;
	want_value(&s[0], "staging", "\"staging\"");
	want_refusal(&s[0], "prod", "arg 'env': 'prod' is not one of development, staging, "
	    "production");
	want_refusal(&s[0], "productoin", "arg 'env': 'productoin' is not one of development, "
	    "staging, production (did you mean 'production'?)");
	want_value(&s[1], "20", "20");
	want_refusal(&s[1], "21", "arg 'replicas': 21 is above the maximum 20");
	want_refusal(&s[1], "0", "arg 'replicas': 0 is below the minimum 1");
	want_value(&s[2], "abc", "\"abc\"");
	/* The pattern must match the whole value. */
	want_refusal(&s[2], "abc1", "arg 'name': 'abc1' does not match the pattern [a-z]+");
	want_refusal(&s[2], "a", "arg 'name': 'a' has 1 characters, fewer than min_length 2");
	want_refusal(&s[2], "abcdef", "arg 'name': 'abcdef' has 6 characters, more than "
	    "max_length 5");
	want_refusal(&s[3], "[]", "arg 'regions': [] has 0 items, fewer than min_length 1");
	argspecs_fini(&specs);
}

static void
test_secret_never_shown(void **state)
{
	static const char *const names[] = { "token" };
	static const enum arg_type types[] = { ARG_STRING };
	struct arg_specs specs = specs_of(names, types, 1);
	struct arg_spec *s = specs.v;

	(void)state;
	s[0].secret = true;
	s[0].min_len = 10;
	want_refusal(&s[0], "hunter2", "arg 'token': *** has 7 characters, fewer than "
	    "min_length 10");
	argspecs_fini(&specs);
}

static void
test_resolve(void **state)
{
	static const char *const names[] = { "app", "replicas", "note" };
	static const enum arg_type types[] = { ARG_STRING, ARG_INTEGER, ARG_STRING };
	struct arg_specs specs = specs_of(names, types, 3);
	struct arg_spec *s = specs.v;
	cJSON *given, *out;
	struct err e;
	char *text;

	(void)state;
	s[0].required = true;
	s[0].description = xstrdup("Application name");
	s[1].def = cJSON_CreateNumber(2);

	given = cJSON_Parse("{\"app\": \"web\", \"replicas\": \"5\"}");
	out = argspecs_resolve(&specs, given, &e);
	assert_non_null(out);
	text = text_of(out);
	assert_string_equal(text, "{\"app\":\"web\",\"replicas\":5}");
	free(text);
	cJSON_Delete(out);
	cJSON_Delete(given);

	given = cJSON_Parse("{\"app\": \"web\"}");
	out = argspecs_resolve(&specs, given, &e);
	text = text_of(out);
	assert_string_equal(text, "{\"app\":\"web\",\"replicas\":2}");
	free(text);
	cJSON_Delete(out);
	cJSON_Delete(given);

	given = cJSON_Parse("{}");
	assert_null(argspecs_resolve(&specs, given, &e));
	assert_string_equal(e.msg, "missing required arg 'app' (Application name): give it with "
	    "-a app=VALUE");
	cJSON_Delete(given);

	given = cJSON_Parse("{\"app\": \"x\", \"replica\": 3}");
	assert_null(argspecs_resolve(&specs, given, &e));
	assert_string_equal(e.msg, "unknown arg 'replica' (did you mean 'replicas'?)");
	cJSON_Delete(given);

	given = cJSON_Parse("{\"app\": 7}");
	assert_null(argspecs_resolve(&specs, given, &e));
	assert_string_equal(e.msg, "arg 'app': 7 is not a string");
	cJSON_Delete(given);
	argspecs_fini(&specs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_secret_never_shown),
		cmocka_unit_test(test_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
