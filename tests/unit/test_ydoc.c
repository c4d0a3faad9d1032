/* test_ydoc.c - the YAML node tree: typing, positions, aliases, limits. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "strbuf.h"
#include "test_rand.h"
#include "ydoc.h"

struct problems {
	int n;
	int line, col;
	char msg[256];
};

static void
on_problem(void *ud, int line, int col, const char *msg)
{
	struct problems *p = ud;

	p->n++;
	p->line = line;
	p->col = col;
	snprintf(p->msg, sizeof p->msg, "%s", msg);
}

static struct ydoc *
parse(const char *text, struct problems *p, struct err *e)
{
	return ydoc_parse(text, strlen(text), on_problem, p, e);
}

static void
test_scalar_types(void **state)
{
	struct problems p = { 0 };
	struct err e;
	struct ydoc *doc = parse("a: 12\nb: -3.5\nc: true\nd: ~\ne: '12'\nf: 0x1f\ng: yes\n"
	    "h: 1e3\ni: .inf\nj: \"true\"\nk: |\n  text\n", &p, &e);
	struct ynode *r;

	(void)state;
	assert_non_null(doc);
	r = ydoc_root(doc);
	assert_int_equal(ynode_get(r, "a")->type, YS_INT);
	assert_int_equal(ynode_get(r, "a")->i, 12);
	assert_int_equal(ynode_get(r, "b")->type, YS_FLOAT);
	assert_true(ynode_get(r, "b")->f == -3.5);
	assert_int_equal(ynode_get(r, "c")->type, YS_BOOL);
	assert_true(ynode_get(r, "c")->b);
	assert_int_equal(ynode_get(r, "d")->type, YS_NULL);
	assert_int_equal(ynode_get(r, "e")->type, YS_STR);
	assert_int_equal(ynode_get(r, "f")->i, 31);
	assert_int_equal(ynode_get(r, "g")->type, YS_STR);	/* YAML 1.2: not a bool */
	assert_int_equal(ynode_get(r, "h")->type, YS_FLOAT);
	assert_int_equal(ynode_get(r, "i")->type, YS_FLOAT);
	assert_int_equal(ynode_get(r, "j")->type, YS_STR);
	assert_string_equal(ynode_get(r, "k")->str, "text\n");
	assert_int_equal(p.n, 0);
	ydoc_free(doc);
}

static void
test_positions(void **state)
{
	struct err e;
	struct ydoc *doc = parse("name: x\nsteps:\n  - id: a\n    run: echo {{ y }}\n", NULL, &e);
	struct ynode *step, *run;
	int line, col;

	(void)state;
	assert_non_null(doc);
	step = ynode_get(ydoc_root(doc), "steps")->items[0];
	assert_int_equal(step->line, 3);
	assert_int_equal(step->col, 5);
	run = ynode_get(step, "run");
	assert_int_equal(run->line, 4);
	assert_int_equal(run->col, 10);
	assert_int_equal(ynode_key(step, "run")->col, 5);
	ynode_pos_at(run, 8, &line, &col);	/* the "y" */
	assert_int_equal(line, 4);
	assert_int_equal(col, 18);
	ydoc_free(doc);
}

static void
test_pos_in_quoted_and_block(void **state)
{
	struct err e;
	struct ydoc *doc = parse("a: 'xy z'\nb: \"q\\\"q\"\nc: |\n  abc\n  d\n   e\nf: |2\n   g\n"
	    "h: >\n  i\n  j\n", NULL, &e);
	int line, col;

	(void)state;
	assert_non_null(doc);
	ynode_pos_at(ynode_get(ydoc_root(doc), "a"), 3, &line, &col);
	assert_int_equal(col, 8);	/* one column for the opening quote */
	ynode_pos_at(ynode_get(ydoc_root(doc), "b"), 2, &line, &col);
	assert_int_equal(col, 4);	/* escapes: the scalar's own start */
	/* A literal block: the line and column of the character itself. */
	ynode_pos_at(ynode_get(ydoc_root(doc), "c"), 2, &line, &col);
	assert_int_equal(line, 4);
	assert_int_equal(col, 5);
	ynode_pos_at(ynode_get(ydoc_root(doc), "c"), 7, &line, &col);	/* "e" */
	assert_int_equal(line, 6);
	assert_int_equal(col, 4);
	/* An indentation digit, or a folded block: the scalar's own start. */
	ynode_pos_at(ynode_get(ydoc_root(doc), "f"), 1, &line, &col);
	assert_int_equal(line, 7);
	assert_int_equal(col, 4);
	ynode_pos_at(ynode_get(ydoc_root(doc), "h"), 2, &line, &col);
	assert_int_equal(line, 9);
	assert_int_equal(col, 4);
	ydoc_free(doc);
}

static void
test_anchor_and_merge(void **state)
{
	struct err e;
	struct ydoc *doc = parse("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\nlist: [*b, *b]\n",
	    NULL, &e);
	struct ynode *use, *list;

	(void)state;
	assert_non_null(doc);
	use = ynode_get(ydoc_root(doc), "use");
	assert_int_equal(use->n, 2);
	assert_int_equal(ynode_get(use, "x")->i, 1);
	assert_int_equal(ynode_get(use, "y")->i, 3);	/* own keys win */
	assert_null(ynode_get(use, "<<"));
	list = ynode_get(ydoc_root(doc), "list");
	assert_ptr_equal(list->items[0], list->items[1]);
	ydoc_free(doc);
}

static void
test_duplicate_keys(void **state)
{
	struct problems p = { 0 };
	struct err e;
	struct ydoc *doc = parse("a: 1\nb: 2\na: 3\n", &p, &e);

	(void)state;
	assert_non_null(doc);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.line, 3);
	assert_int_equal(p.col, 1);
	assert_string_equal(p.msg, "duplicate key 'a' (first set at line 1)");
	ydoc_free(doc);
}

static void
expect_error(const char *text, size_t len, int line, int col, const char *fragment)
{
	struct err e;
	struct ydoc *doc = ydoc_parse(text, len, NULL, NULL, &e);

	assert_null(doc);
	assert_int_equal(e.line, line);
	assert_int_equal(e.col, col);
	if (strstr(e.msg, fragment) == NULL)
		fail_msg("'%s' does not contain '%s'", e.msg, fragment);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("a: 1\n---\nb: 2\n", 14, 2, 1, "a second YAML document");
	expect_error("a: [1, 2\n", 9, 2, 1, "invalid YAML");
	expect_error("a: b\0c\n", 7, 1, 5, "binary data");
	expect_error("a: caf\xe9\n", 8, 1, 7, "invalid UTF-8");
	expect_error("a: \xc3\n", 5, 1, 4, "invalid UTF-8");	/* truncated sequence */
	expect_error("a: *nope\n", 9, 1, 4, "unknown anchor '*nope'");
	expect_error("a: &x [1, *x]\n", 14, 1, 11, "contains it");
	expect_error("? [1]\n: v\n", 10, 1, 3, "a mapping key must be plain text");
	expect_error("a: !custom x\n", 13, 1, 4, "unsupported YAML tag");
	expect_error("a: !!int nine\n", 14, 1, 4, "not a valid !!int");
}

static void
test_limits(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	for (int i = 0; i < 250; i++)
		sb_addc(&sb, '[');
	for (int i = 0; i < 250; i++)
		sb_addc(&sb, ']');
	expect_error(sb.buf, sb.len, 1, 201, "nesting deeper than 200 levels");
	sb_reset(&sb);
	sb_adds(&sb, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
	for (char c = 'b'; c <= 'h'; c++)
		sb_addf(&sb, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", c, c,
		    c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	{
		struct err e;
		struct ydoc *doc = ydoc_parse(sb.buf, sb.len, NULL, NULL, &e);

		assert_null(doc);
		assert_non_null(strstr(e.msg, "grows beyond"));
	}
	sb_fini(&sb);
}

static void
test_empty(void **state)
{
	struct err e;
	struct ydoc *doc = ydoc_parse("# nothing\n", 10, NULL, NULL, &e);

	(void)state;
	assert_non_null(doc);
	assert_null(ydoc_root(doc));
	ydoc_free(doc);
}

static void
test_to_json(void **state)
{
	struct err e;
	struct ydoc *doc = parse("a: [1, 'two', true, null, {b: 2.5}]\n", NULL, &e);
	cJSON *j;
	char *text;

	(void)state;
	assert_non_null(doc);
	j = ynode_to_json(ydoc_root(doc));
	text = cJSON_PrintUnformatted(j);
	assert_string_equal(text, "{\"a\":[1,\"two\",true,null,{\"b\":2.5}]}");
	free(text);
	cJSON_Delete(j);
	ydoc_free(doc);
}

/* Keys that stress the lookup: empty, one byte, shared first bytes, UTF-8. */
static const char *const some_keys[] = {
	"", "a", "b", "ab", "ba", "id", "if", "i", "run", "runner", "x-y", "\xc3\xa9t\xc3\xa9",
	"depends_on", "depends", "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9",
	"kk", "~x", "a\tb",
};
#define N_KEYS (sizeof some_keys / sizeof *some_keys)

/* Property: in random mappings of 0 to 40 pairs (so both ways of finding
 * duplicates are taken), nested, with keys drawn with repeats, ynode_get
 * finds the first value written for each key and nothing for the others,
 * each repeat is reported once, and sequences keep their items in order. */
static void
test_random_maps(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (int round = 0; round < 3000; round++) {
		struct strbuf sb = STRBUF_INIT;
		size_t npairs = xorshift64(&seed) % 41, nitems = xorshift64(&seed) % 9;
		int first[N_KEYS], repeats = 0;
		struct problems p = { 0 };
		struct err e;
		struct ydoc *doc;
		struct ynode *root, *m, *list;

		for (size_t k = 0; k < N_KEYS; k++)
			first[k] = -1;
		sb_addf(&sb, "list:\n");
		for (size_t i = 0; i < nitems; i++)
			sb_addf(&sb, "  - %zu\n", i);
		sb_addf(&sb, "m:\n");
		for (size_t i = 0; i < npairs; i++) {
			size_t k = xorshift64(&seed) % N_KEYS;

			if (first[k] >= 0)
				repeats++;
			else
				first[k] = (int)i;
			sb_addf(&sb, "  \"%s\": %zu\n", some_keys[k], i);
		}
		doc = parse(sb_str(&sb), &p, &e);
		assert_non_null(doc);
		root = ydoc_root(doc);
		list = ynode_get(root, "list");
		m = ynode_get(root, "m");
		assert_non_null(list);
		assert_non_null(m);
		assert_int_equal(p.n, repeats);
		if (npairs == 0) {
			assert_int_equal(m->kind, YNODE_SCALAR);
		} else {
			assert_int_equal(m->kind, YNODE_MAP);
			assert_int_equal(m->n, npairs);
			for (size_t k = 0; k < N_KEYS; k++) {
				struct ynode *v = ynode_get(m, some_keys[k]);

				if (first[k] < 0) {
					assert_null(v);
				} else {
					assert_non_null(v);
					assert_int_equal(v->i, first[k]);
				}
			}
			assert_null(ynode_get(m, "absent"));
		}
		if (nitems == 0) {
			assert_int_equal(list->kind, YNODE_SCALAR);
		} else {
			assert_int_equal(list->kind, YNODE_SEQ);
			assert_int_equal(list->n, nitems);
			for (size_t i = 0; i < nitems; i++)
				assert_int_equal(list->items[i]->i, (long long)i);
		}
		ydoc_free(doc);
		sb_fini(&sb);
	}
}

/* A merge keeps the mapping's own keys first, then the bases' in order,
 * and the merged mapping's lookups see every one. */
static void
test_merge_lookup(void **state)
{
	struct problems p = { 0 };
	struct err e;
	struct ydoc *doc = parse("a: &a {x: 1, y: 2}\nb: &b {z: 3, x: 9}\n"
	    "c: {<<: [*a, *b], w: 4, y: 5}\n", &p, &e);
	struct ynode *c;

	(void)state;
	assert_non_null(doc);
	c = ynode_get(ydoc_root(doc), "c");
	assert_int_equal(c->n, 4);
	assert_string_equal(c->pairs[0].key->str, "w");
	assert_string_equal(c->pairs[1].key->str, "y");
	assert_string_equal(c->pairs[2].key->str, "x");
	assert_string_equal(c->pairs[3].key->str, "z");
	assert_int_equal(ynode_get(c, "x")->i, 1);
	assert_int_equal(ynode_get(c, "y")->i, 5);
	assert_int_equal(ynode_get(c, "z")->i, 3);
	assert_int_equal(ynode_get(c, "w")->i, 4);
	assert_null(ynode_get(c, "<<"));
	assert_int_equal(p.n, 0);
	ydoc_free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalar_types),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_pos_in_quoted_and_block),
		cmocka_unit_test(test_anchor_and_merge),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_to_json),
		cmocka_unit_test(test_random_maps),
		cmocka_unit_test(test_merge_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
