/* fuzz_expr.c - libFuzzer target for expressions and templates.
 *
 * The input is parsed as an expression and as a template; whatever parses
 * is walked, evaluated and rendered in every mode against a fixed scope,
 * once through the plain object scope and once through a scope that looks
 * steps up by member.  Errors must come with a message and a position
 * inside the input.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "shq.h"
#include "strbuf.h"
#include "tmpl.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char scope_text[] =
	"{\"args\": {\"n\": 3, \"f\": 2.5, \"s\": \"hello world\", \"name\": \"user-service\","
	" \"empty\": \"\", \"t\": true, \"nil\": null, \"list\": [1, 2, 3],"
	" \"words\": [\"a\", \"b\"], \"obj\": {\"a\": 1, \"b\": {\"c\": \"deep\"}},"
	" \"json\": \"{\\\"k\\\": [1, 2]}\", \"re\": \"^[a-z]+$\", \"big\": 1e300},"
	" \"steps\": {\"build\": {\"status\": \"succeeded\", \"exit_code\": 0,"
	" \"outputs\": {\"stdout\": \"built\", \"image\": \"app:1.2\", \"tags\": [\"x\"]}},"
	" \"test\": {\"status\": \"failed\", \"outputs\": {}}},"
	" \"env\": {\"HOME\": \"/root\", \"Q\": \"it's\"},"
	" \"run\": {\"id\": 42, \"user\": \"alice\", \"duration\": \"4m12s\"},"
	" \"workflow\": {\"name\": \"deploy\"},"
	" \"item\": {\"host\": \"web1\", \"port\": 8080}, \"index\": 0,"
	" \"error\": {\"step\": \"deploy\", \"message\": \"exit 1\", \"rollback_status\": \"none\"}}";

static cJSON *scope_json;

static const cJSON *
by_member_lookup(void *ud, const char *root, const char *member, bool *consumed)
{
	if (strcmp(root, "steps") == 0 && member != NULL) {
		*consumed = true;
		return cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(ud, "steps"), member);
	}
	return expr_scope_object_lookup(ud, root, member, consumed);
}

static void
ignore_ref(void *ud, const char *root, const char *member, size_t offset)
{
	size_t size = *(size_t *)ud;

	if (root == NULL || offset >= size)
		abort();
}

static void
check_error(const struct err *e, size_t size)
{
	if (e->msg[0] == '\0' || e->col < 1 || (size_t)e->col > size + 1)
		abort();
}

static void
fuzz_expr(const char *src, size_t size, const struct expr_scope *scopes)
{
	struct err e = { 0, 0, "" };
	struct expr *ex = expr_parse(src, size, &e);

	if (ex == NULL) {
		if (size <= 64 * 1024)
			check_error(&e, size);
		return;
	}
	expr_walk_refs(ex, ignore_ref, &size);
	expr_is_raw(ex);
	for (int i = 0; i < 2; i++) {
		cJSON *v = expr_eval(ex, &scopes[i], &e);

		if (v == NULL) {
			check_error(&e, size);
			continue;
		}
		expr_truthy(v);
		free(expr_value_text(v));
		cJSON_Delete(v);
	}
	expr_free(ex);
}

static void
fuzz_tmpl(const char *src, size_t size, const struct expr_scope *scopes)
{
	struct err e = { 0, 0, "" };
	struct tmpl *t = tmpl_parse(src, size, &e);

	if (t == NULL) {
		check_error(&e, size);
		return;
	}
	tmpl_walk_refs(t, ignore_ref, &size);
	tmpl_is_literal(t);
	tmpl_single(t);
	/* The fuzz input read as a shell command with holes. */
	if (tmpl_shell_prepare(t, &e) < 0)
		check_error(&e, size);
	for (int i = 0; i < 2; i++) {
		for (int mode = TMPL_VALUE; mode <= TMPL_SHELL; mode++) {
			cJSON *v = tmpl_render(t, &scopes[i], mode, &e);
			char *text;

			if (v == NULL) {
				check_error(&e, size);
				continue;
			}
			cJSON_Delete(v);
			if ((text = tmpl_render_text(t, &scopes[i], mode, &e)) == NULL)
				abort();
			free(text);
		}
	}
	tmpl_free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct expr_scope scopes[2];
	struct strbuf sb = STRBUF_INIT;
	char *src;

	if (scope_json == NULL && (scope_json = cJSON_Parse(scope_text)) == NULL)
		abort();
	scopes[0].lookup = expr_scope_object_lookup;
	scopes[0].ud = scope_json;
	scopes[1].lookup = by_member_lookup;
	scopes[1].ud = scope_json;
	/* A copy of exactly size bytes, so reading past the input is caught. */
	src = xmalloc(size);
	memcpy(src, data, size);
	fuzz_expr(src, size, scopes);
	fuzz_tmpl(src, size, scopes);
	free(src);
	src = xstrndup((const char *)data, size);
	for (int kind = SHQ_WORD; kind <= SHQ_HEREDOC_LITERAL; kind++) {
		struct shq_ctx c = { .kind = (enum shq_kind)kind, .bare_ok = true, .backticks = 1 };

		shq_quote(&sb, &c, src, strlen(src));
	}
	sb_fini(&sb);
	free(src);
	return 0;
}
