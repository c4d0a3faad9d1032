/* test_tmpl.c - "{{ EXPR }}" templates: parsing, the render modes,
 * shell quoting, URL encoding, reference offsets and rendering YAML trees. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shq.h"
#include "strbuf.h"
#include "test_rand.h"
#include "tmpl.h"
#include "xmalloc.h"
#include "ydoc.h"

static const char scope_text[] =
	"{\"args\": {\"n\": 3, \"f\": 2.5, \"s\": \"hello\", \"name\": \"user-service\","
	" \"t\": true, \"nil\": null, \"empty\": \"\", \"words\": [\"a\", \"b\"],"
	" \"space\": \"a b\", \"quote\": \"it's\", \"evil\": \"x; rm -rf / #\","
	" \"obj\": {\"k\": \"v\"}},"
	" \"steps\": {\"build\": {\"outputs\": {\"image\": \"app:1.2\"}}},"
	" \"env\": {\"HOME\": \"/root\"}}";

static cJSON *scope_json;

static struct expr_scope
scope(void)
{
	struct expr_scope sc = { expr_scope_object_lookup, scope_json };

	return sc;
}

static struct tmpl *
parse_ok(const char *s)
{
	struct err e;
	struct tmpl *t = tmpl_parse(s, strlen(s), &e);

	if (t == NULL)
		fail_msg("'%s': %s", s, e.msg);
	return t;
}

/* Renders s in mode and compares the result's compact JSON with want. */
static void
check_render(const char *s, enum tmpl_mode mode, const char *want)
{
	struct expr_scope sc = scope();
	struct tmpl *t = parse_ok(s);
	struct err e;
	cJSON *v = tmpl_render(t, &sc, mode, &e);
	char *got;

	if (v == NULL)
		fail_msg("'%s': %s", s, e.msg);
	got = cJSON_PrintUnformatted(v);
	if (strcmp(got, want) != 0)
		fail_msg("'%s' (mode %d): got %s, expected %s", s, (int)mode, got, want);
	free(got);
	cJSON_Delete(v);
	tmpl_free(t);
}

/* The text of s in mode. */
static void
check_text(const char *s, enum tmpl_mode mode, const char *want)
{
	struct expr_scope sc = scope();
	struct tmpl *t = parse_ok(s);
	struct err e;
	char *got = tmpl_render_text(t, &sc, mode, &e);

	if (got == NULL)
		fail_msg("'%s': %s", s, e.msg);
	if (strcmp(got, want) != 0)
		fail_msg("'%s' (mode %d): got [%s], expected [%s]", s, (int)mode, got, want);
	free(got);
	tmpl_free(t);
}

static void
check_parse_error(const char *s, int col, const char *want)
{
	struct err e;
	struct tmpl *t = tmpl_parse(s, strlen(s), &e);

	if (t != NULL)
		fail_msg("'%s' parsed, expected \"%s\"", s, want);
	if (strstr(e.msg, want) == NULL)
		fail_msg("'%s': \"%s\" lacks \"%s\"", s, e.msg, want);
	if (e.col != col)
		fail_msg("'%s': col %d, expected %d", s, e.col, col);
}

static void
test_kinds(void **state)
{
	struct tmpl *t;

	t = parse_ok("plain text, no braces { } }}");
	assert_true(tmpl_is_literal(t));
	assert_null(tmpl_single(t));
	tmpl_free(t);

	t = parse_ok("");
	assert_true(tmpl_is_literal(t));
	assert_null(tmpl_single(t));
	tmpl_free(t);

	t = parse_ok("{{ args.n }}");
	assert_false(tmpl_is_literal(t));
	assert_non_null(tmpl_single(t));
	assert_string_equal(expr_source(tmpl_single(t)), "args.n");
	tmpl_free(t);

	t = parse_ok("{{args.n}}");
	assert_non_null(tmpl_single(t));
	tmpl_free(t);

	t = parse_ok(" {{ args.n }}");
	assert_false(tmpl_is_literal(t));
	assert_null(tmpl_single(t));
	tmpl_free(t);

	t = parse_ok("{{ args.n }}{{ args.s }}");
	assert_null(tmpl_single(t));
	tmpl_free(t);
	tmpl_free(NULL);
}

static void
test_literal(void **state)
{
	check_render("just text", TMPL_VALUE, "\"just text\"");
	check_render("just text", TMPL_SHELL, "\"just text\"");
	check_render("", TMPL_VALUE, "\"\"");
	check_render("a } b }} c {", TMPL_TEXT, "\"a } b }} c {\"");
}

static void
test_single_keeps_type(void **state)
{
	check_render("{{ args.words }}", TMPL_VALUE, "[\"a\",\"b\"]");
	check_render("{{ args.n }}", TMPL_VALUE, "3");
	check_render("{{ args.n * 2 }}", TMPL_VALUE, "6");
	check_render("{{ args.f }}", TMPL_VALUE, "2.5");
	check_render("{{ args.t }}", TMPL_VALUE, "true");
	check_render("{{ args.n > 5 }}", TMPL_VALUE, "false");
	check_render("{{ args.nil }}", TMPL_VALUE, "null");
	check_render("{{ args.obj }}", TMPL_VALUE, "{\"k\":\"v\"}");
	check_render("{{ eq .name \"user-service\" }}", TMPL_VALUE, "true");
	/* Text and shell modes always give text. */
	check_render("{{ args.words }}", TMPL_TEXT, "\"[\\\"a\\\",\\\"b\\\"]\"");
	check_render("{{ args.n }}", TMPL_TEXT, "\"3\"");
	check_render("{{ args.t }}", TMPL_SHELL, "\"'true'\"");	/* a command's name: quoted */
	check_render("{{ args.nil }}", TMPL_TEXT, "\"\"");
}

static void
test_mixed_is_text(void **state)
{
	check_render("n={{ args.n }}", TMPL_VALUE, "\"n=3\"");
	check_render("{{ args.n }} {{ args.t }}", TMPL_VALUE, "\"3 true\"");
	check_render("{{ args.words }}!", TMPL_VALUE, "\"[\\\"a\\\",\\\"b\\\"]!\"");
	check_render("[{{ args.nil }}]", TMPL_VALUE, "\"[]\"");
	check_text("deploy {{ .name }} to {{ steps.build.outputs.image }}", TMPL_TEXT,
	    "deploy user-service to app:1.2");
	check_text("{{ args.n }}{{ args.s }}{{ args.f }}", TMPL_TEXT, "3hello2.5");
	check_text("{{ args.obj }}", TMPL_TEXT, "{\"k\":\"v\"}");
	check_text("{{ args.n }}", TMPL_VALUE, "3");
	check_text("{{ 1e21 }} {{ 0.1 + 0.2 }}", TMPL_TEXT, "1e+21 0.30000000000000004");
}

static void
test_braces_in_strings(void **state)
{
	check_text("a {{ '}}' }} b", TMPL_TEXT, "a }} b");
	check_text("{{ \"x}}y\" + '}' }}", TMPL_TEXT, "x}}y}");
	check_text("{{ '{{' }}.Names}}", TMPL_TEXT, "{{.Names}}");
	check_text("{{ 'it\\'s }}' }}", TMPL_TEXT, "it's }}");
	check_text("}} {{ args.n }} }}", TMPL_TEXT, "}} 3 }}");
}

/* A value quoted for the middle of a word of shell code. */
static void
word_quote(struct strbuf *sb, const char *s)
{
	const struct shq_ctx word = { .kind = SHQ_WORD, .bare_ok = true };

	shq_quote(sb, &word, s, strlen(s));
}

static void
test_shell_quote_classes(void **state)
{
	static const char safe[] = "ABCXYZabcxyz0189_@%+:,./-";
	static const char *const unsafe[] = {
		" ", "\t", "\n", "$", "`", "\"", "\\", ";", "&", "|", "*", "?", "[", "]", "(",
		")", "<", ">", "~", "#", "!", "{", "}", "^", "'", "=", "\xc3\xa9",
	};
	struct strbuf sb = STRBUF_INIT;

	word_quote(&sb, safe);
	assert_string_equal(sb_str(&sb), safe);
	for (size_t i = 0; safe[i] != '\0'; i++) {
		char one[2] = { safe[i], '\0' };

		sb_reset(&sb);
		word_quote(&sb, one);
		assert_string_equal(sb_str(&sb), one);
	}
	for (size_t i = 0; i < sizeof unsafe / sizeof unsafe[0]; i++) {
		char *want = strcmp(unsafe[i], "'") == 0 ? xstrdup("''\\'''") :
		    xasprintf("'a%sb'", unsafe[i]);
		char *in = strcmp(unsafe[i], "'") == 0 ? xstrdup("'") :
		    xasprintf("a%sb", unsafe[i]);

		sb_reset(&sb);
		word_quote(&sb, in);
		if (strcmp(sb_str(&sb), want) != 0)
			fail_msg("quoting [%s]: got [%s], expected [%s]", in, sb_str(&sb), want);
		free(want);
		free(in);
	}
	sb_reset(&sb);
	word_quote(&sb, "");
	assert_string_equal(sb_str(&sb), "''");
	sb_reset(&sb);
	word_quote(&sb, "it's 'quoted'");
	assert_string_equal(sb_str(&sb), "'it'\\''s '\\''quoted'\\'''");
	sb_fini(&sb);
}

static void
test_shell_mode(void **state)
{
	check_text("echo {{ args.s }}", TMPL_SHELL, "echo hello");
	check_text("echo {{ args.space }}", TMPL_SHELL, "echo 'a b'");
	check_text("echo {{ args.evil }}", TMPL_SHELL, "echo 'x; rm -rf / #'");
	check_text("echo {{ args.quote }}", TMPL_SHELL, "echo 'it'\\''s'");
	check_text("echo {{ args.empty }}", TMPL_SHELL, "echo ''");
	check_text("echo {{ args.nil }}", TMPL_SHELL, "echo ''");
	check_text("echo {{ args.n }} {{ args.f }}", TMPL_SHELL, "echo 3 2.5");
	check_text("echo {{ args.t }}", TMPL_SHELL, "echo true");
	check_text("echo {{ args.words }}", TMPL_SHELL, "echo '[\"a\",\"b\"]'");
	check_text("echo {{ args.obj }}", TMPL_SHELL, "echo '{\"k\":\"v\"}'");
	check_text("make IMAGE={{ steps.build.outputs.image }} build", TMPL_SHELL,
	    "make IMAGE=app:1.2 build");
	check_text("echo {{ args.words | join(' ') }}", TMPL_SHELL, "echo 'a b'");
	/* The literal text around substitutions is never quoted. */
	check_text("echo 'lit eral' \"{{ args.s }}\"", TMPL_SHELL, "echo 'lit eral' \"hello\"");
	/* | raw opts out, only as the outermost filter. */
	check_text("{{ args.evil | raw }}", TMPL_SHELL, "x; rm -rf / #");
	check_text("echo {{ args.words | join(' ') | raw }}", TMPL_SHELL, "echo a b");
	check_text("echo {{ args.space | raw | upper }}", TMPL_SHELL, "echo 'A B'");
	check_text("{{ args.space | raw }}", TMPL_TEXT, "a b");
	check_render("{{ args.space | raw }}", TMPL_VALUE, "\"a b\"");
}

static void
test_parse_errors(void **state)
{
	check_parse_error("a {{ b", 3, "'{{' at position 3 is not closed (add '}}')");
	check_parse_error("{{ args.n }} {{", 14, "'{{' at position 14 is not closed");
	check_parse_error("x {{ 'abc }}", 3, "the string starting at position 6 has no closing "
	    "quote");
	check_parse_error("{{ }}", 1, "empty '{{ }}' at position 1");
	check_parse_error("ab {{}} cd", 4, "empty '{{ }}' at position 4");
	check_parse_error("{{ \n\t }}", 1, "empty '{{ }}'");
	/* Expression errors point into the template. */
	check_parse_error("echo {{ args.n + }}", 17,
	    "in 'args.n +' at the end: expected a value");
	check_parse_error("x {{ lenn(1) }}", 6, "unknown function 'lenn' (did you mean 'len'?)");
	check_parse_error("{{ if .x }}yes{{ end }}", 4, "Go template actions such as 'if'");
}

static void
test_render_errors(void **state)
{
	struct expr_scope sc = scope();
	struct tmpl *t = parse_ok("value: {{ args.s + 1 }}");
	struct err e;

	assert_null(tmpl_render(t, &sc, TMPL_TEXT, &e));
	assert_string_equal(e.msg, "in 'args.s + 1' at position 8: cannot add a string and a "
	    "number");
	assert_int_equal(e.col, 18);
	assert_null(tmpl_render_text(t, &sc, TMPL_SHELL, &e));
	tmpl_free(t);

	t = parse_ok("{{ item }}");
	assert_null(tmpl_render(t, &sc, TMPL_VALUE, &e));
	assert_non_null(strstr(e.msg, "unknown name 'item'"));
	assert_int_equal(e.col, 4);
	tmpl_free(t);
}

struct refs {
	struct strbuf sb;
};

static void
collect_ref(void *ud, const char *root, const char *member, size_t offset)
{
	struct refs *r = ud;

	sb_addf(&r->sb, "%s%s.%s@%zu", r->sb.len > 0 ? " " : "", root,
	    member != NULL ? member : "-", offset);
}

static void
check_refs(const char *s, const char *want)
{
	struct refs r = { STRBUF_INIT };
	struct tmpl *t = parse_ok(s);

	tmpl_walk_refs(t, collect_ref, &r);
	if (strcmp(sb_str(&r.sb), want) != 0)
		fail_msg("'%s': refs [%s], expected [%s]", s, sb_str(&r.sb), want);
	sb_fini(&r.sb);
	tmpl_free(t);
}

static void
test_walk_refs(void **state)
{
	check_refs("{{ args.a }}", "args.a@3");
	check_refs("x {{args.a}} y {{  steps.b.status == .c }}", "args.a@4 steps.b@19 args.c@37");
	check_refs("echo {{ build.image }} {{ env.HOME }}", "steps.build@8 env.HOME@26");
	check_refs("no refs {{ 1 + 2 }}", "");
	check_refs("literal", "");
}

static void
aux_free(void *p)
{
	tmpl_free(p);
}

/* Compiles every string scalar that holds "{{" into its aux, as the
 * workflow loader does. */
static void
compile_tree(struct ynode *n)
{
	struct err e;

	switch (n->kind) {
	case YNODE_SEQ:
		for (size_t i = 0; i < n->n; i++)
			compile_tree(n->items[i]);
		return;
	case YNODE_MAP:
		for (size_t i = 0; i < n->n; i++)
			compile_tree(n->pairs[i].val);
		return;
	case YNODE_SCALAR:
		if (n->type == YS_STR && strstr(n->str, "{{") != NULL && n->aux == NULL) {
			n->aux = tmpl_parse(n->str, n->len, &e);
			if (n->aux == NULL)
				fail_msg("%s: %s", n->str, e.msg);
		}
		return;
	}
}

static struct ydoc *
load_tree(const char *yaml)
{
	struct err e;
	struct ydoc *doc = ydoc_parse(yaml, strlen(yaml), NULL, NULL, &e);

	if (doc == NULL)
		fail_msg("bad YAML in the test: %s", e.msg);
	ydoc_set_aux_free(doc, aux_free);
	compile_tree(ydoc_root(doc));
	return doc;
}

static void
test_render_node(void **state)
{
	static const char yaml[] =
		"name: \"{{ args.name }}\"\n"
		"replicas: '{{ args.n }}'\n"
		"tags: \"{{ args.words }}\"\n"
		"message: deploy {{ args.name }} x{{ args.n }}\n"
		"plain: 12\n"
		"ratio: 0.5\n"
		"flag: true\n"
		"nothing: null\n"
		"quoted: \"12\"\n"
		"nested:\n"
		"  - \"{{ args.t }}\"\n"
		"  - literal\n"
		"  - {k: \"{{ args.n + 1 }}\", \"{{ key }}\": v}\n";
	static const char want[] =
		"{\"name\":\"user-service\",\"replicas\":3,\"tags\":[\"a\",\"b\"],"
		"\"message\":\"deploy user-service x3\",\"plain\":12,\"ratio\":0.5,\"flag\":true,"
		"\"nothing\":null,\"quoted\":\"12\",\"nested\":[true,\"literal\","
		"{\"k\":4,\"{{ key }}\":\"v\"}]}";
	struct expr_scope sc = scope();
	struct ydoc *doc = load_tree(yaml);
	struct err e;
	cJSON *v = tmpl_render_node(ydoc_root(doc), &sc, &e);
	char *got;

	if (v == NULL)
		fail_msg("%s", e.msg);
	got = cJSON_PrintUnformatted(v);
	if (strcmp(got, want) != 0)
		fail_msg("got %s\nexpected %s", got, want);
	free(got);
	cJSON_Delete(v);
	ydoc_free(doc);
}

static void
test_render_node_error(void **state)
{
	static const char yaml[] =
		"ok: \"{{ args.n }}\"\n"
		"list:\n"
		"  - fine\n"
		"  - \"n is {{ args.n + 'x' }}\"\n";
	struct expr_scope sc = scope();
	struct ydoc *doc = load_tree(yaml);
	struct err e;

	assert_null(tmpl_render_node(ydoc_root(doc), &sc, &e));
	assert_int_equal(e.line, 4);
	assert_int_equal(e.col, 5);
	assert_non_null(strstr(e.msg, "at position 8: cannot add a number and a string"));
	ydoc_free(doc);
}

/* URL mode: a value after the host is percent-encoded, one before it
 * (the scheme, the host, a whole URL) stands as it is; raw opts out. */
static void
test_url_mode(void **state)
{
	check_text("{{ args.s }}://x/{{ args.space }}", TMPL_URL, "hello://x/a%20b");
	check_text("http://{{ args.name }}.example/{{ args.evil }}", TMPL_URL,
	    "http://user-service.example/x%3B%20rm%20-rf%20%2F%20%23");
	check_text("http://h?q={{ args.quote }}&n={{ args.n }}", TMPL_URL, "http://h?q=it%27s&n=3");
	check_text("http://h#{{ args.space }}", TMPL_URL, "http://h#a%20b");
	check_text("http://h/{{ args.space | raw }}", TMPL_URL, "http://h/a b");
	check_text("{{ args.space }}", TMPL_URL, "a b");
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* For thousands of random byte strings v: "http://h/p/{{ v }}" renders to
 * the prefix and a piece of only unreserved characters and %XX escapes,
 * which decodes back to exactly v -- no value can reach the query, the
 * fragment or another segment. */
static void
test_url_property(void **state)
{
	uint64_t seed = 0x5eed011u;
	struct tmpl *t = parse_ok("http://h/p/{{ args.v }}");
	cJSON *args = cJSON_GetObjectItemCaseSensitive(scope_json, "args");

	for (int round = 0; round < 5000; round++) {
		char v[64], dec[64];
		size_t n = xorshift64(&seed) % 40, k = 0;
		struct expr_scope sc = scope();
		struct err e;
		char *got;
		const char *p;

		for (size_t i = 0; i < n; i++) {
			v[i] = (char)(1 + xorshift64(&seed) % 255);
		}
		v[n] = '\0';
		cJSON_DeleteItemFromObjectCaseSensitive(args, "v");
		cJSON_AddStringToObject(args, "v", v);
		if ((got = tmpl_render_text(t, &sc, TMPL_URL, &e)) == NULL)
			fail_msg("%s", e.msg);
		assert_memory_equal(got, "http://h/p/", 11);
		for (p = got + 11; *p != '\0'; p++) {
			if (*p == '%') {
				assert_true(hexval(p[1]) >= 0 && hexval(p[2]) >= 0);
				dec[k++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
				p += 2;
			} else {
				assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789-._~", *p));
				dec[k++] = *p;
			}
		}
		dec[k] = '\0';
		assert_string_equal(dec, v);
		free(got);
	}
	tmpl_free(t);
}

static int
setup(void **state)
{
	scope_json = cJSON_Parse(scope_text);
	return scope_json != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	cJSON_Delete(scope_json);
	return 0;
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_single_keeps_type),
		cmocka_unit_test(test_mixed_is_text),
		cmocka_unit_test(test_braces_in_strings),
		cmocka_unit_test(test_shell_quote_classes),
		cmocka_unit_test(test_shell_mode),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_render_errors),
		cmocka_unit_test(test_walk_refs),
		cmocka_unit_test(test_render_node),
		cmocka_unit_test(test_render_node_error),
		cmocka_unit_test(test_url_mode),
		cmocka_unit_test(test_url_property),
	};

	return cmocka_run_group_tests_name("tmpl", tests, setup, teardown);
}
