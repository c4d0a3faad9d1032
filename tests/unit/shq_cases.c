/* shq_cases.c - shell commands with a template in every quoting context. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shq_cases.h"
#include "xmalloc.h"

extern char **environ;

/* What a part does to the output of what it holds. */
enum shq_out {
	OUT_SAME,	/* prints it as it is */
	OUT_STRIP,	/* $(...) or `...`: trailing newlines go */
	OUT_STRIP_NL,	/* a heredoc of $(...): stripped, then one newline */
};

/* "@" marks the hole, "^" (wrappers) the command wrapped. */
static const struct base {
	const char *text;
	const char *before, *after;	/* printed around the value */
	enum shq_out out;
} bases[] = {
	{ "printf %s @", "", "", OUT_SAME },
	{ "printf %s x@y", "x", "y", OUT_SAME },
	{ "printf %s 'a@b'", "a", "b", OUT_SAME },
	{ "printf %s \"a@b\"", "a", "b", OUT_SAME },
	{ "printf %s \"a\"@'b'", "a", "b", OUT_SAME },
	{ "printf '%s|' @ 'lit'", "", "|lit|", OUT_SAME },
	{ "printf %s @@", "", "", OUT_SAME },	/* the value twice: see expect */
	{ "X=@; printf %s \"$X\"", "", "", OUT_SAME },
	{ "X=pre@; printf %s \"$X\"", "pre", "", OUT_SAME },
	{ "set -- @; printf %s \"$1\"", "", "", OUT_SAME },
	{ "f() { printf %s \"$1\"; }; f @", "", "", OUT_SAME },
	{ "case @ in *) printf %s @;; esac", "", "", OUT_SAME },
	{ "printf %s @ # a comment", "", "", OUT_SAME },
	{ "printf %s \"${UNSET_X-}\"@ >&1", "", "", OUT_SAME },
	{ "printf %s \"$(printf %s @)\"", "", "", OUT_STRIP },
	{ "printf %s \"$(printf %s \"a@b\")\"", "a", "b", OUT_STRIP },
	{ "x=$(printf %s '@'); printf %s \"$x\"", "", "", OUT_STRIP },
	{ "printf %s \"$(printf %s '$@')\"", "$", "", OUT_STRIP },
	{ "x=`printf %s @`; printf %s \"$x\"", "", "", OUT_STRIP },
	{ "x=`printf %s 'a@b'`; printf %s \"$x\"", "a", "b", OUT_STRIP },
	{ "x=`printf %s \"a@b\"`; printf %s \"$x\"", "a", "b", OUT_STRIP },
	{ "cat <<EOF\na@b\nEOF", "a", "b\n", OUT_SAME },
	{ "cat <<'EOF'\na@b\nEOF", "a", "b\n", OUT_SAME },
	{ "cat <<-EOF\n\ta@b\n\tEOF", "a", "b\n", OUT_SAME },
	{ "cat <<\"E\"OF\n@\nEOF", "", "\n", OUT_SAME },
	{ "cat <<EOF\n$(printf %s @)\nEOF", "", "", OUT_STRIP_NL },
	{ "cat <<EOF\n$(printf %s \"a@b\")\nEOF", "a", "b", OUT_STRIP_NL },
	{ "printf %s \"$(cat <<'EOF'\n@\nEOF\n)\"", "", "", OUT_STRIP },
};

static const struct wrapper {
	const char *text;
	enum shq_out out;
	bool backquoted;	/* the command inside needs \ ` $ escaped */
} wrappers[] = {
	{ "(\n^\n)", OUT_SAME, false },
	{ "{\n^\n}", OUT_SAME, false },
	{ "if true; then\n^\nfi", OUT_SAME, false },
	{ "x=$(\n^\n); printf %s \"$x\"", OUT_STRIP, false },
	{ "x=`\n^\n`; printf %s \"$x\"", OUT_STRIP, true },
	{ "cat <<EOF\n$(\n^\n)\nEOF", OUT_STRIP_NL, false },
	{ "{\n^\n} | cat", OUT_SAME, false },
	{ "f() {\n^\n}; f", OUT_SAME, false },
	{ "case x in x)\n^\n;; esac", OUT_SAME, false },
	{ "printf %s \"$(\n^\n)\"", OUT_STRIP, false },
};

#define HOLE "{{ args.v }}"

size_t
shq_case_bases(void)
{
	return sizeof bases / sizeof bases[0];
}

size_t
shq_case_wrappers(void)
{
	return sizeof wrappers / sizeof wrappers[0];
}

void
shq_case_template(const struct shq_case *c, struct strbuf *out)
{
	struct strbuf cur = STRBUF_INIT, next = STRBUF_INIT;

	for (const char *p = bases[c->base].text; *p != '\0'; p++) {
		if (*p == '@')
			sb_adds(&cur, HOLE);
		else
			sb_addc(&cur, *p);
	}
	for (int k = 0; k < c->n_wrap; k++) {
		const struct wrapper *w = &wrappers[c->wrap[k]];

		sb_reset(&next);
		for (const char *p = w->text; *p != '\0'; p++) {
			if (*p != '^') {
				sb_addc(&next, *p);
				continue;
			}
			for (size_t i = 0; i < cur.len; i++) {
				if (w->backquoted && strchr("\\`$", cur.buf[i]) != NULL &&
				    strncmp(cur.buf + i, HOLE, strlen(HOLE)) != 0)
					sb_addc(&next, '\\');
				sb_addc(&next, cur.buf[i]);
			}
		}
		sb_reset(&cur);
		sb_add(&cur, sb_str(&next), next.len);
	}
	sb_add(out, sb_str(&cur), cur.len);
	sb_fini(&cur);
	sb_fini(&next);
}

static void
shq_case_apply(struct strbuf *s, enum shq_out out)
{
	if (out == OUT_SAME)
		return;
	while (s->len > 0 && s->buf[s->len - 1] == '\n')
		s->buf[--s->len] = '\0';
	if (out == OUT_STRIP_NL)
		sb_addc(s, '\n');
}

void
shq_case_expect(const struct shq_case *c, const char *v, size_t len, struct strbuf *out)
{
	const struct base *b = &bases[c->base];
	struct strbuf s = STRBUF_INIT;

	sb_adds(&s, b->before);
	sb_add(&s, v, len);
	if (strstr(b->text, "@@") != NULL)
		sb_add(&s, v, len);
	sb_adds(&s, b->after);
	shq_case_apply(&s, b->out);
	for (int k = 0; k < c->n_wrap; k++)
		shq_case_apply(&s, wrappers[c->wrap[k]].out);
	sb_add(out, sb_str(&s), s.len);
	sb_fini(&s);
}

int
shq_case_run(const char *shell, const char *dir, const char *script, size_t len,
    bool dash_c, struct strbuf *out)
{
	posix_spawn_file_actions_t fa;
	char path[4096], buf[65536], *argv[4];
	int pipefd[2], status = -1;
	ssize_t n;
	pid_t pid;

	snprintf(path, sizeof path, "%s/script.sh", dir);
	if (!dash_c) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (fd < 0 || write(fd, script, len) != (ssize_t)len)
			fatal("cannot write %s: %s", path, strerror(errno));
		close(fd);
	}
	argv[0] = (char *)shell;
	argv[1] = dash_c ? (char *)"-c" : path;
	argv[2] = dash_c ? (char *)script : NULL;
	argv[3] = NULL;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		fatal("pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addchdir_np(&fa, dir);
	if (posix_spawnp(&pid, shell, &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	while ((n = read(pipefd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			sb_add(out, buf, (size_t)n);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!dash_c)
		unlink(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool
shq_case_dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool empty = true;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = false;
	if (d != NULL)
		closedir(d);
	return empty;
}
