/* fuzz_shq.c - libFuzzer target: a value quoted into a shell command is
 * received exactly, and nothing it holds runs.
 *
 * The input picks a command from tests/unit/shq_cases.c (a base context
 * and up to three wrappers around it) and the value (the rest, cut at a
 * NUL).  When drover accepts the command and the value, /bin/sh -c runs
 * it in an empty directory: it must print exactly what the case says,
 * and leave the directory empty.  Every 16th input also runs under bash.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expr.h"
#include "shq_cases.h"
#include "strbuf.h"
#include "tmpl.h"
#include "xmalloc.h"

static char dir[] = "/tmp/drover-fuzz-shq.XXXXXX";
static bool have_dir;	/* not the template's tail: mkdtemp may end it in 'X' */
static unsigned long runs;

static void
remove_dir(void)
{
	rmdir(dir);	/* empty: every input that ran was checked for files */
}

static void
check(const char *shell, const char *cmd, const struct shq_case *c, const char *v)
{
	struct strbuf out = STRBUF_INIT, want = STRBUF_INIT;

	shq_case_run(shell, dir, cmd, strlen(cmd), true, &out);
	shq_case_expect(c, v, strlen(v), &want);
	if (out.len != want.len || memcmp(sb_str(&out), sb_str(&want), out.len) != 0) {
		fprintf(stderr, "%s -c printed something else than the value\n--- command:\n%s\n"
		    "--- printed %zu bytes, wanted %zu\n", shell, cmd, out.len, want.len);
		abort();
	}
	if (!shq_case_dir_empty(dir)) {
		fprintf(stderr, "%s -c created a file: the value ran\n--- command:\n%s\n", shell, cmd);
		abort();
	}
	sb_fini(&out);
	sb_fini(&want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shq_case c = { 0 };
	struct strbuf src = STRBUF_INIT;
	cJSON *root, *args;
	struct expr_scope sc;
	struct tmpl *t;
	struct err e;
	char *v, *cmd;

	if (size < 2)
		return 0;
	if (!have_dir) {
		if (mkdtemp(dir) == NULL)
			abort();
		have_dir = true;
		atexit(remove_dir);
	}
	c.base = (int)(data[0] % shq_case_bases());
	c.n_wrap = data[1] % (SHQ_CASE_MAX_WRAP + 1);
	if (size < 2 + (size_t)c.n_wrap)
		return 0;
	for (int k = 0; k < c.n_wrap; k++)
		c.wrap[k] = (int)(data[2 + k] % shq_case_wrappers());
	v = xstrndup((const char *)data + 2 + c.n_wrap, size - 2 - (size_t)c.n_wrap);
	shq_case_template(&c, &src);
	t = tmpl_parse(sb_str(&src), src.len, &e);
	if (t == NULL)
		abort();
	root = cJSON_CreateObject();
	args = cJSON_AddObjectToObject(root, "args");
	cJSON_AddStringToObject(args, "v", v);
	sc.lookup = expr_scope_object_lookup;
	sc.ud = root;
	if (tmpl_shell_prepare(t, &e) == 0 && (cmd = tmpl_render_text(t, &sc, TMPL_SHELL, &e)) != NULL) {
		check("sh", cmd, &c, v);
		if (runs++ % 16 == 0)
			check("bash", cmd, &c, v);
		free(cmd);
	}
	cJSON_Delete(root);
	tmpl_free(t);
	sb_fini(&src);
	free(v);
	return 0;
}
