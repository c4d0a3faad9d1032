/* test_mask.c - secrets are hidden in every form, and in a stream however
 * it is cut into reads. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mask.h"
#include "strbuf.h"
#include "test_rand.h"
#include "xmalloc.h"

static char *
masked(const struct mask *m, const char *s)
{
	size_t n;
	char *out = mask_apply(m, s, strlen(s), &n);

	return out != NULL ? out : xstrdup(s);
}

static void
test_forms(void **state)
{
	struct mask *m = mask_new();
	char *out;

	assert_int_equal(mask_add(m, "a'b\"c\\d\te$f`g", NULL), 0);
	/* raw, JSON, single quotes, double quotes, heredoc, backquotes */
	static const char *const forms[] = {
		"a'b\"c\\d\te$f`g",
		"a'b\\\"c\\\\d\\te$f`g",
		"a'\\''b\"c\\d\te$f`g",
		"a'b\\\"c\\\\d\te\\$f\\`g",
		"a'b\"c\\\\d\te\\$f\\`g",
	};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		char *text = xasprintf("<%s>", forms[i]);

		out = masked(m, text);
		if (strcmp(out, "<***>") != 0)
			fail_msg("form %zu [%s] became [%s]", i, forms[i], out);
		free(out);
		free(text);
	}
	mask_free(m);
}

static void
test_short(void **state)
{
	struct mask *m = mask_new();
	struct err e;

	assert_int_equal(mask_add(m, "", &e), 0);
	assert_true(mask_empty(m));
	assert_int_equal(mask_add(m, "ab", &e), -1);
	assert_non_null(strstr(e.msg, "2 characters"));
	assert_int_equal(mask_add(m, "x", &e), -1);
	assert_non_null(strstr(e.msg, "1 character:"));
	assert_int_equal(mask_add(m, "abc", &e), 0);
	mask_free(m);
}

static void
test_json(void **state)
{
	struct mask *m = mask_new();
	cJSON *v = cJSON_Parse("{\"k\": \"x-TOKEN-y\", \"TOKEN\": [\"TOKEN\", 1]}");
	char *text;

	mask_add(m, "TOKEN", NULL);
	mask_json(m, v);
	text = cJSON_PrintUnformatted(v);
	assert_string_equal(text, "{\"k\":\"x-***-y\",\"***\":[\"***\",1]}");
	cJSON_free(text);
	cJSON_Delete(v);
	mask_free(m);
}

static uint64_t rng = 88172645463325252u;

static uint64_t
rnd(void)
{
	return xorshift64(&rng);
}

/* Whatever the reads, the stream comes out as the whole text masked at
 * once: no secret survives a cut between reads. */
static void
test_stream_property(void **state)
{
	static const char *const secrets[] = { "S3cr3t-XYZ", "line-one\nline-two", "Qq9" };
	struct mask *m = mask_new();

	for (size_t i = 0; i < 3; i++)
		mask_add(m, secrets[i], NULL);
	for (int round = 0; round < 3000; round++) {
		struct strbuf text = STRBUF_INIT, out = STRBUF_INIT;
		struct mask_stream ms = { m, STRBUF_INIT };
		size_t pos = 0, n;
		char *want;

		for (int k = (int)(rnd() % 20); k > 0; k--) {
			if (rnd() % 3 == 0)
				sb_adds(&text, secrets[rnd() % 3]);
			for (int j = (int)(rnd() % 12); j > 0; j--)
				sb_addc(&text, "S3cr3t-XYZline-o\nQq9ab"[rnd() % 22]);
		}
		while (pos < text.len) {
			size_t take = 1 + rnd() % 7;

			if (take > text.len - pos)
				take = text.len - pos;
			mask_stream_feed(&ms, text.buf + pos, take, &out);
			pos += take;
		}
		mask_stream_flush(&ms, &out);
		want = mask_apply(m, sb_str(&text), text.len, &n);
		if (want == NULL) {
			want = xstrdup(sb_str(&text));
			n = text.len;
		}
		if (out.len != n || memcmp(sb_str(&out), want, n) != 0)
			fail_msg("round %d: [%s] streamed as [%s], not [%s]", round, sb_str(&text),
			    sb_str(&out), want);
		free(want);
		mask_stream_fini(&ms);
		sb_fini(&text);
		sb_fini(&out);
	}
	mask_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_stream_property),
	};

	return cmocka_run_group_tests_name("mask", tests, NULL, NULL);
}
