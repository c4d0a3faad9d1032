/* test_shq.c - quoting for the shell: the property that an arg can never
 * inject a command (SPEC 5.1).
 *
 * For thousands of hostile values (every byte 1-255, quotes, $, backquotes,
 * newlines, backslashes, heredoc delimiters, payloads that would create a
 * file if they ran, long values) in every quoting context drover accepts
 * (shq_cases.c), the command run by /bin/sh and by bash prints exactly the
 * value, byte for byte, and the scratch directory stays empty: nothing the
 * value held ever ran.  Values are batched, many commands per shell, each
 * followed by a NUL that separates the outputs.  Then the places drover
 * must refuse, each with its position.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "expr.h"
#include "shq.h"
#include "shq_cases.h"
#include "strbuf.h"
#include "test_rand.h"
#include "tmpl.h"
#include "xmalloc.h"

struct values {
	char **v;
	size_t n, cap;
};

static void
values_add(struct values *vs, const char *v, size_t len)
{
	xgrow(&vs->v, &vs->cap, vs->n + 1, sizeof *vs->v);
	vs->v[vs->n++] = xstrndup(v, len);
}

static const char *const hostile[] = {
	"", "'", "\"", "`", "$", "\\", "\n", "\t", " ", "\\\\", "\\'", "\\\"", "'\\''", "''",
	"\"\"", "$(touch CANARY)", "`touch CANARY`", ";touch CANARY", "|touch CANARY",
	"&touch CANARY", "&&touch CANARY", "\ntouch CANARY\n", "'$(touch CANARY)'",
	"\"$(touch CANARY)\"", "'; touch CANARY; '", "\"; touch CANARY; \"",
	"'\"; touch CANARY; \"'", ") ; touch CANARY ; (", "} ; touch CANARY ; {",
	"$(touch CANARY", "${IFS}touch${IFS}CANARY", ">CANARY", "<CANARY", "2>CANARY",
	"EOF", "\nEOF\n", "EOF\ntouch CANARY\nEOF", "\tEOF", "\n\tEOF", "x\nEOF",
	"EOF\n$(touch CANARY)", "\\\nEOF", "'EOF'", "\\$(touch CANARY)", "\\`touch CANARY\\`",
	"$((1+1))", "${HOME}", "$HOME", "$1", "$@", "$*", "$?", "$$", "$!", "$-", "$#",
	"~", "~root", "*", "?", "[a-z]", "{a,b}", "{1..3}", "a=b", "PATH=/nowhere", "-n",
	"-e", "--", "!", "!!", "#", "# x", "if", "then", "done", "}}", "{{", "%s", "%%",
	"\\n", "\\0", "\\x41", "a\rb", "\r\n", "\xc3\xa9", "\xe2\x80\xae", "\x80\xff",
	"\x1b]52;c;aGk=\x07", "\x1b[2J", ";", "&&", "||", "|", "(", ")", "<<EOF", "<<",
	"$'\\x41'", "$\"x\"", "\\\\\\", "'''", "```", "$$$", "\\$", "\\`", "\\\"", "a\\",
	"\\\n", "\n\n\n", "x\n\n", "\nx", "` `", "$( )", "${x", "}", "{", "=", "a b c",
	"  spaced  ", "\t\ttabs", "--help", "-", "'\n'", "\"\n\"", "`\n`",
	/* bash's own quoting marks, CTLESC and CTLNUL */
	"\x01", "\x7f", "\x01\x01", "\x01\x7f", "\x7f\x01", "\x7f\x7f", "a\x01\x01b",
	"\x01\x01\x01", "\x01$", "\x01'", "\x01\"", "\x01\\", "\x01`", "\x01\n",
};

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t
rnd(void)
{
	return xorshift64(&rng);
}

/* Every byte 1-255 inside text (and alone, when all), the hostile list,
 * (when all) pairs of it, n_random random mixes of special characters and
 * bytes, and a long value. */
static void
make_values(struct values *vs, size_t n_random, bool all)
{
	static const char special[] = "'\"`$\\\n\t (){};&|<>*?[]~#!=-EOF\r";
	char buf[512];
	size_t nh = sizeof hostile / sizeof hostile[0];

	for (int b = 1; b < 256; b++) {
		buf[0] = (char)b;
		if (all)
			values_add(vs, buf, 1);
		snprintf(buf, sizeof buf, "a%cb", b);
		values_add(vs, buf, 3);
	}
	for (size_t i = 0; i < nh; i++)
		values_add(vs, hostile[i], strlen(hostile[i]));
	for (size_t i = 0; all && i < nh; i += 3)
		for (size_t k = 0; k < nh; k += 7) {
			snprintf(buf, sizeof buf, "%s%s", hostile[i], hostile[k]);
			values_add(vs, buf, strlen(buf));
		}
	for (size_t i = 0; i < n_random; i++) {
		size_t len = rnd() % 40;

		for (size_t k = 0; k < len; k++) {
			unsigned r = (unsigned)(rnd() % 4);

			buf[k] = r < 3 ? special[rnd() % (sizeof special - 1)] :
			    (char)(1 + rnd() % 255);
		}
		values_add(vs, buf, len);
	}
	{
		struct strbuf big = STRBUF_INIT;

		for (int i = 0; i < 2000; i++)
			sb_adds(&big, "'\"$`\\\n");
		values_add(vs, sb_str(&big), big.len);
		sb_fini(&big);
	}
}

static void
values_free(struct values *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		free(vs->v[i]);
	free(vs->v);
}

static char *
render(const struct tmpl *t, const char *v, struct err *e)
{
	cJSON *root = cJSON_CreateObject(), *args = cJSON_AddObjectToObject(root, "args");
	struct expr_scope sc = { expr_scope_object_lookup, root };
	char *out;

	cJSON_AddStringToObject(args, "v", v);
	out = tmpl_render_text(t, &sc, TMPL_SHELL, e);
	cJSON_Delete(root);
	return out;
}

/* A value as C would write it, for messages. */
static char *
shown(const char *v)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = strlen(v);

	for (size_t i = 0; i < n && i < 80; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			sb_addf(&sb, "\\x%02x", c);
		else
			sb_addc(&sb, (char)c);
	}
	if (n > 80)
		sb_adds(&sb, "...");
	return sb_detach(&sb);
}

static bool have_bash;
static char scratch[] = "/tmp/drover-shq.XXXXXX";

/* Runs case c for every value with each shell; returns the commands run.
 * refusals counts values drover refused (only a heredoc may refuse one). */
static size_t
check_case(const struct shq_case *c, const struct values *vs, size_t *refusals)
{
	static const char *const shells[] = { "sh", "bash" };
	struct strbuf tsrc = STRBUF_INIT, script = STRBUF_INIT, want = STRBUF_INIT;
	size_t *want_off = xcalloc(vs->n + 1, sizeof *want_off), n_run = 0, ran = 0;
	size_t *which = xcalloc(vs->n + 1, sizeof *which);
	struct err e;
	struct tmpl *t;
	bool heredoc;

	shq_case_template(c, &tsrc);
	heredoc = strstr(sb_str(&tsrc), "<<") != NULL;
	t = tmpl_parse(sb_str(&tsrc), tsrc.len, &e);
	assert_non_null(t);
	if (tmpl_shell_prepare(t, &e) < 0)
		fail_msg("drover refused [%s]: %s", sb_str(&tsrc), e.msg);
	for (size_t i = 0; i < vs->n; i++) {
		char *cmd = render(t, vs->v[i], &e);

		if (cmd == NULL) {
			if (!heredoc || strstr(e.msg, "heredoc") == NULL)
				fail_msg("[%s] with [%s] refused: %s", sb_str(&tsrc), shown(vs->v[i]),
				    e.msg);
			(*refusals)++;
			continue;
		}
		sb_adds(&script, cmd);
		sb_adds(&script, "\nprintf '\\000'\n");
		free(cmd);
		want_off[n_run] = want.len;
		which[n_run++] = i;
		shq_case_expect(c, vs->v[i], strlen(vs->v[i]), &want);
	}
	want_off[n_run] = want.len;
	for (size_t s = 0; s < (have_bash ? 2u : 1u); s++) {
		struct strbuf out = STRBUF_INIT;
		const char *p, *end;

		shq_case_run(shells[s], scratch, sb_str(&script), script.len, false, &out);
		p = sb_str(&out);
		end = p + out.len;
		for (size_t k = 0; k < n_run; k++) {
			const char *nul = memchr(p, '\0', (size_t)(end - p));
			size_t wl = want_off[k + 1] - want_off[k];

			if (nul == NULL || (size_t)(nul - p) != wl ||
			    memcmp(p, want.buf + want_off[k], wl) != 0) {
				char *v = shown(vs->v[which[k]]);

				fail_msg("%s: [%s] with value [%s] printed something else (output %zu "
				    "of %zu)", shells[s], sb_str(&tsrc), v, k + 1, n_run);
			}
			p = nul + 1;
		}
		if (!shq_case_dir_empty(scratch))
			fail_msg("%s: running [%s] created a file: a value ran as a command",
			    shells[s], sb_str(&tsrc));
		ran += n_run;
		sb_fini(&out);
	}
	tmpl_free(t);
	sb_fini(&tsrc);
	sb_fini(&script);
	sb_fini(&want);
	free(want_off);
	free(which);
	return ran;
}

static bool
case_forks(const struct shq_case *c)
{
	struct strbuf src = STRBUF_INIT;
	bool forks;

	shq_case_template(c, &src);
	forks = strstr(sb_str(&src), "$(") != NULL || strchr(sb_str(&src), '`') != NULL ||
	    strstr(sb_str(&src), "<<") != NULL || strchr(sb_str(&src), '|') != NULL;
	sb_fini(&src);
	return forks;
}

static void
test_every_context(void **state)
{
	struct values many = { 0 }, few = { 0 };
	size_t ran = 0, refused = 0;

	make_values(&many, 3000, true);
	make_values(&few, 0, false);
	for (size_t b = 0; b < shq_case_bases(); b++) {
		struct shq_case c = { .base = (int)b };

		/* Each command that forks costs a millisecond: fewer values there. */
		ran += check_case(&c, case_forks(&c) ? &few : &many, &refused);
	}
	print_message("# %zu commands of %zu contexts, %zu values heredocs refused\n", ran,
	    shq_case_bases(), refused);
	values_free(&many);
	values_free(&few);
}

/* The contexts inside each wrapper (subshell, $(...), `...`, a heredoc
 * holding $(...), a pipe, a function, case): fewer values, every pair. */
static void
test_wrapped(void **state)
{
	struct values vs = { 0 };
	size_t ran = 0, refused = 0, skipped = 0;

	/* A quarter of the hostile list, the payloads among them. */
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
		if (i % 4 == 0 || strstr(hostile[i], "CANARY") != NULL)
			values_add(&vs, hostile[i], strlen(hostile[i]));
	for (size_t b = 0; b < shq_case_bases(); b++) {
		for (size_t w = 0; w < shq_case_wrappers(); w++) {
			struct shq_case c = { .base = (int)b, .wrap = { (int)w }, .n_wrap = 1 };
			struct strbuf src = STRBUF_INIT;
			struct tmpl *t;
			struct err e;

			shq_case_template(&c, &src);
			t = tmpl_parse(sb_str(&src), src.len, &e);
			assert_non_null(t);
			if (tmpl_shell_prepare(t, &e) < 0) {
				/* Only what the shells read differently may be refused. */
				if (strstr(e.msg, "backquote") == NULL && strstr(e.msg, "case") == NULL &&
				    strstr(e.msg, "heredoc inside another") == NULL)
					fail_msg("drover refused [%s]: %s", sb_str(&src), e.msg);
				skipped++;
			} else {
				ran += check_case(&c, &vs, &refused);
			}
			tmpl_free(t);
			sb_fini(&src);
		}
	}
	print_message("# %zu commands, %zu wrapped contexts refused as uncertain\n", ran,
	    skipped);
	values_free(&vs);
}

/* As drover runs them: sh -c COMMAND, one value at a time. */
static void
test_dash_c(void **state)
{
	struct values vs = { 0 };

	make_values(&vs, 0, true);
	for (size_t b = 0; b < shq_case_bases(); b++) {
		struct shq_case c = { .base = (int)b };
		struct strbuf src = STRBUF_INIT;
		struct tmpl *t;
		struct err e;

		shq_case_template(&c, &src);
		t = tmpl_parse(sb_str(&src), src.len, &e);
		for (size_t i = b % 7; i < vs.n; i += 23) {
			struct strbuf out = STRBUF_INIT, want = STRBUF_INIT;
			char *cmd = render(t, vs.v[i], &e);

			if (cmd == NULL)
				continue;
			shq_case_run("sh", scratch, cmd, strlen(cmd), true, &out);
			shq_case_expect(&c, vs.v[i], strlen(vs.v[i]), &want);
			if (out.len != want.len || memcmp(sb_str(&out), sb_str(&want), out.len) != 0)
				fail_msg("sh -c [%s] printed something else than [%s]", cmd,
				    shown(vs.v[i]));
			free(cmd);
			sb_fini(&out);
			sb_fini(&want);
		}
		assert_true(shq_case_dir_empty(scratch));
		tmpl_free(t);
		sb_fini(&src);
	}
	values_free(&vs);
}

/* src must be refused for why, at its hole number hole (from 0), or at
 * the start of the text when hole is -1. */
static void
check_refused(const char *src, int hole, const char *why)
{
	const char *at = src;
	struct tmpl *t;
	struct err e;
	int col = 1;

	for (int k = 0; hole >= 0 && k <= hole; k++)
		at = strstr(at, "args.v") + (k < hole ? 1 : 0);
	if (hole >= 0)
		col = (int)(at - src) + 1;
	t = tmpl_parse(src, strlen(src), &e);
	assert_non_null(t);
	if (tmpl_shell_prepare(t, &e) == 0)
		fail_msg("[%s] was accepted", src);
	if (strstr(e.msg, why) == NULL || (hole >= 0 && e.col != col))
		fail_msg("[%s]: got '%s' at %d, wanted '%s' at %d", src, e.msg, e.col, why, col);
	if (hole >= 0 && strstr(e.msg, "environment variable") == NULL)
		fail_msg("[%s]: the message does not suggest the safe way: %s", src, e.msg);
	tmpl_free(t);
}

static void
test_refused(void **state)
{
	check_refused("# {{ args.v }}", 0, "comment");
	check_refused("echo hi # see {{ args.v }}", 0, "comment");
	check_refused("echo ${X:-{{ args.v }}}", 0, "${...}");
	check_refused("echo \"${X:-{{ args.v }}}\"", 0, "${...}");
	check_refused("echo $(( {{ args.v }} + 1 ))", 0, "arithmetic");
	check_refused("echo \\{{ args.v }}", 0, "backslash");
	check_refused("echo \"\\{{ args.v }}\"", 0, "backslash");
	check_refused("echo ${{ args.v }}", 0, "after '$'");
	check_refused("echo \"${{ args.v }}\"", 0, "after '$'");
	check_refused("cat <<{{ args.v }}\nx\n", 0, "delimiter");
	check_refused("echo $'a{{ args.v }}'", 0, "$'...'");
	check_refused("echo $\"a{{ args.v }}\"", 0, "$\"...\"");
	check_refused("echo \"`echo {{ args.v }}`\"", 0, "double quotes");
	check_refused("echo `echo \\`echo {{ args.v }}\\``", 0, "nested backquotes");
	check_refused("cat <<EOF\n`echo {{ args.v }}`\nEOF", 0, "heredoc");
	check_refused("echo {{ args.v }}; x=$(case a in a) echo;; esac); echo {{ args.v }}", 1,
	    "case");
	check_refused("echo $'\\''; echo {{ args.v }}", 0, "$'...'");
	check_refused("echo 'never closed {{ args.v }}", -1, "never closed");
	check_refused("echo \"{{ args.v }}", -1, "never closed");
	check_refused("echo $(echo {{ args.v }}", -1, "never closed");
}

static void
test_accepted(void **state)
{
	static const char *const ok[] = {
		"echo {{ args.v }} # {{ args.v | raw }}",
		"echo '# {{ args.v }}'",
		"echo a#{{ args.v }}",
		"echo ${X:-a} {{ args.v }}",
		"echo $((1 + 2)) {{ args.v }}",
		"echo \\\\{{ args.v }}",
		"echo $$ {{ args.v }}",
		"case {{ args.v }} in a) echo;; esac; echo {{ args.v }}",
		"cat <<EOF\n{{ args.v }}\nEOF\necho {{ args.v }}",
		"cat <<EOF; echo {{ args.v }}\n{{ args.v }}\nEOF",
		"f() { echo \"$1\"; }\nf {{ args.v }}",
	};

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct err e;
		struct tmpl *t = tmpl_parse(ok[i], strlen(ok[i]), &e);

		assert_non_null(t);
		if (tmpl_shell_prepare(t, &e) < 0)
			fail_msg("[%s] was refused: %s", ok[i], e.msg);
		tmpl_free(t);
	}
}

/* A value that would end its heredoc is refused when the command is
 * rendered, and the message says why. */
static void
test_heredoc_values(void **state)
{
	static const char src[] = "cat <<-EOF\n\tA{{ args.v }}\nEOF";
	struct tmpl *t;
	struct err e;
	char *out;

	t = tmpl_parse(src, strlen(src), &e);
	assert_int_equal(tmpl_shell_prepare(t, &e), 0);
	assert_null(render(t, "x\nEOF\ny", &e));
	assert_non_null(strstr(e.msg, "ends the heredoc"));
	assert_null(render(t, "x\n\tEOF", &e));
	assert_non_null(strstr(e.msg, "ends the heredoc"));
	assert_null(render(t, "x\n\ty", &e));
	assert_non_null(strstr(e.msg, "tab at the start of a line"));
	out = render(t, "x\ny\tz", &e);
	assert_string_equal(out, "cat <<-EOF\n\tAx\ny\tz\nEOF");
	free(out);
	tmpl_free(t);
	t = tmpl_parse("cat <<EOF\nE{{ args.v }}\nEOF", 25, &e);
	assert_null(render(t, "OF", &e));
	tmpl_free(t);
}

static void
test_shells(void **state)
{
	assert_true(shq_shell_is_posix("/bin/sh"));
	assert_true(shq_shell_is_posix("bash -eo pipefail"));
	assert_true(shq_shell_is_posix("/usr/bin/env bash"));
	assert_true(shq_shell_is_posix("env -i PATH=/bin zsh -f"));
	assert_true(shq_shell_is_posix("busybox sh"));
	assert_false(shq_shell_is_posix("python3 -c"));
	assert_false(shq_shell_is_posix("/usr/bin/fish"));
	assert_false(shq_shell_is_posix("csh"));
	assert_false(shq_shell_is_posix(""));
}

static int
setup(void **state)
{
	if (mkdtemp(scratch) == NULL)
		return -1;
	have_bash = access("/bin/bash", X_OK) == 0 || access("/usr/bin/bash", X_OK) == 0;
	return 0;
}

static int
teardown(void **state)
{
	return rmdir(scratch);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_context),
		cmocka_unit_test(test_wrapped),
		cmocka_unit_test(test_dash_c),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_heredoc_values),
		cmocka_unit_test(test_shells),
	};

	return cmocka_run_group_tests_name("shq", tests, setup, teardown);
}
