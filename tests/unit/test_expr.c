/* test_expr.c - the expression language, table-driven from expr_cases.txt
 * (one cmocka test per case, named by its expression) plus the parts of
 * the API a table cannot reach: reference walks, the raw flag, scopes that
 * consume members, limits. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expr.h"
#include "strbuf.h"
#include "xmalloc.h"

enum case_kind { CASE_VALUE, CASE_TEXT, CASE_PARSE_ERROR, CASE_EVAL_ERROR };

struct expr_case {
	char *expr;
	char *name;		/* the expression, shortened to fit a TAP line */
	enum case_kind kind;
	char *want;
	int line;
};

/* cmocka cuts messages at 1 KiB and then loses the newline. */
#define CASE_NAME_MAX 200

static cJSON *scope_json;

static const struct {
	const char *marker;
	enum case_kind kind;
} markers[] = {
	{ " => ", CASE_VALUE },
	{ " =~ ", CASE_TEXT },
	{ " !parse ", CASE_PARSE_ERROR },
	{ " !eval ", CASE_EVAL_ERROR },
};

static cJSON *
eval_src(const char *src, struct err *e)
{
	struct expr_scope scope = { expr_scope_object_lookup, scope_json };
	struct expr *ex = expr_parse(src, strlen(src), e);
	cJSON *v;

	if (ex == NULL)
		return NULL;
	v = expr_eval(ex, &scope, e);
	expr_free(ex);
	return v;
}

static void
run_case(void **state)
{
	const struct expr_case *c = *state;
	struct expr_scope scope = { expr_scope_object_lookup, scope_json };
	struct err e = { 0, 0, "" };
	struct expr *ex = expr_parse(c->expr, strlen(c->expr), &e);
	cJSON *v, *want;
	char *got;

	if (c->kind == CASE_PARSE_ERROR) {
		if (ex != NULL)
			fail_msg("line %d: parsed, expected an error containing \"%s\"", c->line,
			    c->want);
		if (strstr(e.msg, c->want) == NULL)
			fail_msg("line %d: error \"%s\" does not contain \"%s\"", c->line, e.msg,
			    c->want);
		assert_int_equal(e.line, 0);
		assert_true(e.col >= 1);
		return;
	}
	if (ex == NULL)
		fail_msg("line %d: parse error: %s", c->line, e.msg);
	v = expr_eval(ex, &scope, &e);
	expr_free(ex);
	if (c->kind == CASE_EVAL_ERROR) {
		if (v != NULL) {
			got = cJSON_PrintUnformatted(v);
			cJSON_Delete(v);
			fail_msg("line %d: evaluated to %s, expected an error containing \"%s\"",
			    c->line, got, c->want);
		}
		if (strstr(e.msg, c->want) == NULL)
			fail_msg("line %d: error \"%s\" does not contain \"%s\"", c->line, e.msg,
			    c->want);
		return;
	}
	if (v == NULL)
		fail_msg("line %d: evaluation error: %s", c->line, e.msg);
	if (c->kind == CASE_TEXT) {
		got = expr_value_text(v);
		cJSON_Delete(v);
		if (strcmp(got, c->want) != 0) {
			fprintf(stderr, "line %d: text [%s], expected [%s]\n", c->line, got, c->want);
			free(got);
			fail();
		}
		free(got);
		return;
	}
	if ((want = cJSON_Parse(c->want)) == NULL)
		fail_msg("line %d: bad JSON in the case file: %s", c->line, c->want);
	got = cJSON_PrintUnformatted(v);
	if (!cJSON_Compare(v, want, true)) {
		fprintf(stderr, "line %d: got %s, expected %s\n", c->line, got, c->want);
		free(got);
		fail();
	}
	free(got);
	cJSON_Delete(want);
	cJSON_Delete(v);
}

static FILE *
open_cases(void)
{
	const char *top = getenv("TOP_SRCDIR");
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof path, "%s/tests/unit/expr_cases.txt",
	    top != NULL && *top != '\0' ? top : ".");
	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "cannot open %s (set TOP_SRCDIR to the source tree)\n", path);
		exit(1);
	}
	return fp;
}

/* Reads the cases and the scope they run in. */
static struct expr_case *
load_cases(size_t *ncases)
{
	struct strbuf scope = STRBUF_INIT;
	struct expr_case *cases = NULL;
	size_t n = 0, cap = 0;
	char *line = NULL;
	size_t linecap = 0;
	ssize_t len;
	int lineno = 0;
	FILE *fp = open_cases();

	while ((len = getline(&line, &linecap, fp)) >= 0) {
		const char *best = NULL;
		size_t m = 0;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (strncmp(line, "@scope ", 7) == 0) {
			sb_adds(&scope, line + 7);
			sb_addc(&scope, '\n');
			continue;
		}
		for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++) {
			const char *at = strstr(line, markers[i].marker);

			if (at != NULL && (best == NULL || at < best)) {
				best = at;
				m = i;
			}
		}
		if (best == NULL) {
			fprintf(stderr, "expr_cases.txt:%d: no => =~ !parse or !eval\n", lineno);
			exit(1);
		}
		xgrow(&cases, &cap, n + 1, sizeof *cases);
		cases[n].expr = xstrndup(line, (size_t)(best - line));
		if (best - line > CASE_NAME_MAX)
			cases[n].name = xasprintf("%.60s ... (%zu bytes)", line,
			    (size_t)(best - line));
		else
			cases[n].name = xstrdup(cases[n].expr);
		cases[n].kind = markers[m].kind;
		cases[n].want = xstrdup(best + strlen(markers[m].marker));
		cases[n].line = lineno;
		n++;
	}
	free(line);
	fclose(fp);
	if ((scope_json = cJSON_Parse(sb_str(&scope))) == NULL) {
		fprintf(stderr, "expr_cases.txt: the @scope lines are not a JSON object\n");
		exit(1);
	}
	sb_fini(&scope);
	*ncases = n;
	return cases;
}

struct ref {
	char root[16], member[32];
	size_t offset;
};

struct refs {
	struct ref v[16];
	size_t n;
};

static void
collect_ref(void *ud, const char *root, const char *member, size_t offset)
{
	struct refs *r = ud;

	assert_true(r->n < 16);
	snprintf(r->v[r->n].root, sizeof r->v[r->n].root, "%s", root);
	snprintf(r->v[r->n].member, sizeof r->v[r->n].member, "%s", member != NULL ? member : "-");
	r->v[r->n].offset = offset;
	r->n++;
}

/* Walks src and compares with want, written "root.member@offset ...". */
static void
check_refs(const char *src, const char *want)
{
	struct strbuf got = STRBUF_INIT;
	struct refs refs = { .n = 0 };
	struct err e;
	struct expr *ex = expr_parse(src, strlen(src), &e);

	if (ex == NULL)
		fail_msg("%s: %s", src, e.msg);
	expr_walk_refs(ex, collect_ref, &refs);
	expr_free(ex);
	for (size_t i = 0; i < refs.n; i++)
		sb_addf(&got, "%s%s.%s@%zu", i > 0 ? " " : "", refs.v[i].root, refs.v[i].member,
		    refs.v[i].offset);
	if (strcmp(sb_str(&got), want) != 0)
		fail_msg("%s: refs [%s], expected [%s]", src, sb_str(&got), want);
	sb_fini(&got);
}

static void
test_walk_refs(void **state)
{
	check_refs("args.app_name", "args.app_name@0");
	check_refs("steps.build.outputs.x == args.y", "steps.build@0 args.y@25");
	check_refs("steps[args.k].status", "steps.-@0 args.k@6");
	check_refs("steps['build'].status", "steps.build@0");
	check_refs("steps", "steps.-@0");
	check_refs(".environment", "args.environment@0");
	check_refs("eq .a \"b\"", "args.a@3");
	check_refs(".results.deploy.url", "steps.deploy@0");
	check_refs("build.image", "steps.build@0");
	check_refs("build", "steps.build@0");
	check_refs(".user + .execution_duration", "run.user@0 run.duration@8");
	check_refs("item.host + index", "item.host@0 index.-@12");
	check_refs("env.HOME | default(args.home)", "env.HOME@0 args.home@19");
	check_refs("1 + 2", "");
	check_refs("[a, b.c, (args.x)]", "steps.a@1 steps.b@4 args.x@10");
	check_refs("len(args.list) > 0 && item in steps.s.outputs.l",
	    "args.list@4 item.-@22 steps.s@30");
}

static void
test_walk_refs_error_forms(void **state)
{
	check_refs(".error_message == .rollback_status", "error.message@0 error.rollback_status@18");
}

static void
test_is_raw(void **state)
{
	static const struct { const char *src; bool raw; } cases[] = {
		{ "args.x | raw", true },
		{ "(args.x | raw)", true },
		{ "args.x | upper | raw", true },
		{ "args.x | raw | upper", false },
		{ "args.x", false },
		{ "raw(args.x)", true },
		{ "[args.x | raw]", false },
		{ "'raw'", false },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct err e;
		struct expr *ex = expr_parse(cases[i].src, strlen(cases[i].src), &e);

		assert_non_null(ex);
		if (expr_is_raw(ex) != cases[i].raw)
			fail_msg("%s: expr_is_raw is %d", cases[i].src, !cases[i].raw);
		assert_string_equal(expr_source(ex), cases[i].src);
		expr_free(ex);
	}
}

static void
test_empty_and_blank(void **state)
{
	struct err e;

	assert_null(expr_parse("", 0, &e));
	assert_string_equal(e.msg, "the expression is empty");
	assert_int_equal(e.col, 1);
	assert_null(expr_parse("  \t\n", 4, &e));
	assert_string_equal(e.msg, "the expression is empty");
	expr_free(NULL);
}

static void
test_not_nul_terminated(void **state)
{
	const char src[] = "args.n + 1garbage";
	struct expr_scope scope = { expr_scope_object_lookup, scope_json };
	struct err e;
	struct expr *ex = expr_parse(src, 10, &e);
	cJSON *v;

	assert_non_null(ex);
	assert_string_equal(expr_source(ex), "args.n + 1");
	v = expr_eval(ex, &scope, &e);
	assert_non_null(v);
	assert_true(cJSON_GetNumberValue(v) == 4);
	cJSON_Delete(v);
	expr_free(ex);
}

static void
test_nul_byte(void **state)
{
	struct err e;

	assert_null(expr_parse("1 +\0 2", 6, &e));
	assert_non_null(strstr(e.msg, "at position 4: unexpected byte 0x00"));
	assert_null(expr_parse("'a\0b'", 5, &e));
	assert_non_null(strstr(e.msg, "at position 3: a string cannot hold a NUL byte"));
}

static void
test_source_limit(void **state)
{
	size_t len = 64 * 1024;
	char *src = xmalloc(len + 2);
	struct expr *ex;
	struct err e;

	memset(src, ' ', len + 1);
	src[0] = '1';
	ex = expr_parse(src, len, &e);
	assert_non_null(ex);
	expr_free(ex);
	assert_null(expr_parse(src, len + 1, &e));
	assert_non_null(strstr(e.msg, "too long"));
	free(src);
}

/* A long expression is quoted as a window around the problem. */
static void
test_long_quote(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct err e;

	for (int i = 0; i < 100; i++)
		sb_adds(&sb, "args.a + ");
	sb_adds(&sb, "+ 1");
	assert_null(expr_parse(sb.buf, sb.len, &e));
	assert_non_null(strstr(e.msg, "in '..."));
	assert_non_null(strstr(e.msg, "at position 901: expected a value, found '+'"));
	assert_int_equal(e.col, 901);
	assert_true(strlen(e.msg) < 400);
	sb_fini(&sb);
}

static void
test_control_chars_blanked(void **state)
{
	struct err e;

	assert_null(expr_parse("1 +\n\033[2J", 8, &e));
	assert_null(strchr(e.msg, '\033'));
	assert_null(strchr(e.msg, '\n'));
}

static void
test_positions(void **state)
{
	struct err e;

	assert_null(expr_parse("args.x + )", 10, &e));
	assert_int_equal(e.line, 0);
	assert_int_equal(e.col, 10);
	assert_null(eval_src("1 + 2 + 'x' + 3", &e));
	assert_int_equal(e.col, 7);
	assert_string_equal(e.msg, "in '1 + 2 + 'x' + 3' at position 7: cannot add a number and "
	    "a string");
}

struct consuming {
	int calls;
	const char *last_member;
};

/* Finds steps.build without building "steps"; knows no other step. */
static const cJSON *
consuming_lookup(void *ud, const char *root, const char *member, bool *consumed)
{
	struct consuming *c = ud;

	c->calls++;
	c->last_member = member;
	if (strcmp(root, "steps") == 0 && member != NULL) {
		*consumed = true;
		return strcmp(member, "build") == 0 ?
		    cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(scope_json, "steps"), "build") : NULL;
	}
	return cJSON_GetObjectItemCaseSensitive(scope_json, root);
}

static void
test_consuming_scope(void **state)
{
	static const struct { const char *src, *want; } cases[] = {
		{ "steps.build.status", "\"succeeded\"" },
		{ "build.image", "\"app:1.2\"" },
		{ "steps['build'].outputs.count", "2" },
		{ ".results.build.count", "2" },
		{ "steps.other.status", "null" },
		{ "steps.other", "null" },
		{ "args.n", "3" },
	};
	struct consuming c = { 0, NULL };
	struct expr_scope scope = { consuming_lookup, &c };

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct err e;
		struct expr *ex = expr_parse(cases[i].src, strlen(cases[i].src), &e);
		cJSON *v;
		char *got;

		assert_non_null(ex);
		v = expr_eval(ex, &scope, &e);
		if (v == NULL)
			fail_msg("%s: %s", cases[i].src, e.msg);
		got = cJSON_PrintUnformatted(v);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: got %s, expected %s", cases[i].src, got, cases[i].want);
		free(got);
		cJSON_Delete(v);
		expr_free(ex);
	}
	assert_int_equal(c.calls, 7);
}

static void
test_unknown_roots(void **state)
{
	cJSON *empty = cJSON_CreateObject();
	struct expr_scope scope = { expr_scope_object_lookup, empty };
	static const struct { const char *src, *want; } cases[] = {
		{ "item.x", "at position 1: unknown name 'item' (it exists only in a for_each step)" },
		{ "1 + index", "at position 5: unknown name 'index' (it exists only in a for_each step)" },
		{ ".error_message", "unknown name 'error' (it exists only in on_failure and finally" },
		{ "build.x", "at position 1: unknown name 'steps'" },
		{ "env.HOME", "unknown name 'env'" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct err e;
		struct expr *ex = expr_parse(cases[i].src, strlen(cases[i].src), &e);

		assert_non_null(ex);
		assert_null(expr_eval(ex, &scope, &e));
		if (strstr(e.msg, cases[i].want) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].src, e.msg, cases[i].want);
		expr_free(ex);
	}
	cJSON_Delete(empty);
}

static void
test_truthy_and_text(void **state)
{
	static const struct { const char *json, *text; bool truth; } cases[] = {
		{ "false", "false", false }, { "true", "true", true }, { "null", "", false },
		{ "0", "0", false }, { "-0.0", "0", false }, { "0.5", "0.5", true },
		{ "\"\"", "", false }, { "\"0\"", "0", true }, { "[]", "[]", false },
		{ "{}", "{}", false }, { "[0]", "[0]", true },
		{ "{\"a\":[1,\"x\\n\"],\"b\":null}", "{\"a\":[1,\"x\\n\"],\"b\":null}", true },
		{ "1e300", "1e+300", true }, { "-2.5", "-2.5", true },
		{ "100", "100", true }, { "[1.5, 1e21]", "[1.5,1e+21]", true },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cJSON *v = cJSON_Parse(cases[i].json);
		char *t;

		assert_non_null(v);
		assert_int_equal(expr_truthy(v), cases[i].truth);
		t = expr_value_text(v);
		if (strcmp(t, cases[i].text) != 0)
			fail_msg("%s: text [%s], expected [%s]", cases[i].json, t, cases[i].text);
		free(t);
		cJSON_Delete(v);
	}
}

/* Builds 16 MiB strings and lists in the scope and checks every path that
 * could go past the limits. */
static void
test_size_limits(void **state)
{
	static const char *const fail_cases[][2] = {
		{ "args.big + args.big", "the text would be longer than 16 MiB" },
		{ "toJSON([args.big, args.big])", "toJSON(): the text would be longer than 16 MiB" },
		{ "join([args.big, args.big])", "join(): the text would be longer than 16 MiB" },
		{ "split(args.commas, ',')", "split(): more than 1048576 parts" },
		{ "args.long + args.long", "the list would hold more than 1048576 items" },
	};
	size_t big = 16 * 1024 * 1024 - 8;
	char *s = xmalloc(big + 1);
	cJSON *scope = cJSON_CreateObject(), *args = cJSON_AddObjectToObject(scope, "args");
	cJSON *list = cJSON_AddArrayToObject(args, "long");
	struct expr_scope sc = { expr_scope_object_lookup, scope };

	memset(s, 'x', big);
	s[big] = '\0';
	cJSON_AddStringToObject(args, "big", s);
	for (size_t i = 0; i < 1100000; i++)
		s[i] = ',';
	s[1100000] = '\0';
	cJSON_AddStringToObject(args, "commas", s);
	free(s);
	for (int i = 0; i < 600000; i++)
		cJSON_AddItemToArray(list, cJSON_CreateNull());
	for (size_t i = 0; i < sizeof fail_cases / sizeof fail_cases[0]; i++) {
		struct err e;
		struct expr *ex = expr_parse(fail_cases[i][0], strlen(fail_cases[i][0]), &e);

		assert_non_null(ex);
		assert_null(expr_eval(ex, &sc, &e));
		if (strstr(e.msg, fail_cases[i][1]) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", fail_cases[i][0], e.msg, fail_cases[i][1]);
		expr_free(ex);
	}
	cJSON_Delete(scope);
}

static void
free_cases(struct expr_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(cases[i].expr);
		free(cases[i].name);
		free(cases[i].want);
	}
	free(cases);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_walk_refs),
		cmocka_unit_test(test_walk_refs_error_forms),
		cmocka_unit_test(test_is_raw),
		cmocka_unit_test(test_empty_and_blank),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_source_limit),
		cmocka_unit_test(test_long_quote),
		cmocka_unit_test(test_control_chars_blanked),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_consuming_scope),
		cmocka_unit_test(test_unknown_roots),
		cmocka_unit_test(test_truthy_and_text),
		cmocka_unit_test(test_size_limits),
	};
	size_t nfixed = sizeof fixed / sizeof fixed[0], ncases;
	struct expr_case *cases = load_cases(&ncases);
	struct CMUnitTest *tests = xcalloc(nfixed + ncases, sizeof *tests);
	int rc;

	memcpy(tests, fixed, sizeof fixed);
	for (size_t i = 0; i < ncases; i++) {
		tests[nfixed + i].name = cases[i].name;
		tests[nfixed + i].test_func = run_case;
		tests[nfixed + i].initial_state = &cases[i];
	}
	rc = _cmocka_run_group_tests("expr", tests, nfixed + ncases, NULL, NULL);
	free(tests);
	free_cases(cases, ncases);
	cJSON_Delete(scope_json);
	return rc;
}
