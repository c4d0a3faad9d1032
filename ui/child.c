/* child.c - :run FILE [NAME=VALUE]...: a run in a process of its own.
 *
 * The run must not depend on this console, so it is `drover run --detach`,
 * which starts the run in a run process of its own and prints its number.
 * The console listens to it until that number (or a "drover: ..." line
 * says why it did not start), then opens that run as it opens any run,
 * and reaps the process, which exits once the run has started.  The args go through a pipe on the child's
 * stdin, never its command line, which every user can read in /proc; and
 * the ':' line's history keeps *** for the value of each secret arg.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "argspec.h"
#include "json.h"
#include "strbuf.h"
#include "ui.h"
#include "wf.h"
#include "xmalloc.h"

extern char **environ;

struct child {
	/* the child until it names its run */
	int fd;
	pid_t pid;
	char out[1024];
	size_t len;
	/* those it no longer listens to, to reap once they exit */
	pid_t reap[16];
	size_t n_reap;
};

struct child *
child_new(void)
{
	struct child *ch = xcalloc(1, sizeof *ch);

	ch->fd = -1;
	return ch;
}

void
child_free(struct child *ch)
{
	if (ch == NULL)
		return;
	if (ch->fd >= 0)
		close(ch->fd);
	free(ch);
}

int
child_fd(const struct child *ch)
{
	return ch->fd;
}

/* The workflow in file, or NULL: the :run of it says what is wrong. */
static struct workflow *
child_load_quietly(const char *file)
{
	struct diags d = DIAGS_INIT;
	struct workflow *wf = wf_load_file(file, &d);

	diags_fini(&d);
	return wf;
}

/* Whether arg name of wf is a secret; every arg may be when the workflow
 * does not load (wf NULL), since nobody can tell. */
static bool
child_arg_secret(const struct workflow *wf, const char *name)
{
	const struct arg_spec *s = wf != NULL ? argspecs_find(&wf->args, name) : NULL;

	return wf == NULL || (s != NULL && s->secret);
}

/* A *** recalled from the history is refused, never run with
 * (child_args). */
char *
child_history(const char *line, int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	struct workflow *wf;

	if (argc < 3)
		return xstrdup(line);
	wf = child_load_quietly(argv[1]);
	sb_addf(&sb, "run %s", argv[1]);
	for (int i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		bool secret = false;

		if (eq != NULL && eq != argv[i]) {
			*eq = '\0';
			secret = child_arg_secret(wf, argv[i]);
			*eq = '=';
		}
		if (secret)
			sb_addf(&sb, " %.*s=***", (int)(eq - argv[i]), argv[i]);
		else
			sb_addf(&sb, " %s", argv[i]);
	}
	wf_free(wf);
	return sb_detach(&sb);
}

/* The NAME=VALUE words as a JSON object of strings (what -a gives), or
 * NULL after saying what is wrong. */
static char *
child_args(struct ui *ui, int argc, char **argv)
{
	struct workflow *wf = child_load_quietly(argv[0]);
	cJSON *args = cJSON_CreateObject();
	char *json = NULL;

	for (int i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq == NULL || eq == argv[i]) {
			ui_message(ui, true, "usage: :run FILE [NAME=VALUE]... ('%s' is not "
			    "NAME=VALUE)", argv[i]);
			goto out;
		}
		*eq = '\0';
		if (wf != NULL && child_arg_secret(wf, argv[i]) && strcmp(eq + 1, "***") == 0) {
			ui_message(ui, true, "%s is a secret: type its value (the history "
			    "keeps *** in its place)", argv[i]);
			goto out;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(args, argv[i]);
		cJSON_AddStringToObject(args, argv[i], eq + 1);
		*eq = '=';
	}
	json = json_text(args, false);
out:
	cJSON_Delete(args);
	wf_free(wf);
	return json;
}

/* A pipe whose read end holds text and then its end, or -1: the text is
 * written before anyone reads, so it must fit the pipe's buffer. */
static int
child_pipe_text(struct ui *ui, const char *text)
{
	size_t len = strlen(text);
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		ui_message(ui, true, "cannot start the run: %s", strerror(errno));
		return -1;
	}
	if (write(p[1], text, len) != (ssize_t)len) {
		ui_message(ui, true, "the args are too long for :run (%zu bytes); use drover run "
		    "--args-file", len);
		close(p[0]);
		p[0] = -1;
	}
	close(p[1]);
	if (p[0] >= 0)
		fcntl(p[0], F_SETFL, 0);	/* the child reads it blocking */
	return p[0];
}

/* Starts `drover run FILE --detach --args-file /dev/stdin`; its output
 * says which run it started. */
void
child_start(struct ui *ui, int argc, char **argv)
{
	struct child *ch = ui->child;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char *args[] = { "drover", "run", argv[1], "--detach", "--args-file", "/dev/stdin", NULL };
	char *json;
	int p[2], in;
	pid_t pid;

	if (ch->fd >= 0) {
		ui_message(ui, true, "the last :run is still starting; wait a moment");
		return;
	}
	if ((json = child_args(ui, argc - 1, argv + 1)) == NULL)
		return;
	in = child_pipe_text(ui, json);
	free(json);
	if (in < 0)
		return;
	if (pipe2(p, O_CLOEXEC) < 0) {
		ui_message(ui, true, "cannot start the run: %s", strerror(errno));
		close(in);
		return;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
	if (posix_spawn(&pid, "/proc/self/exe", &fa, &attr, args, environ) != 0) {
		ui_message(ui, true, "cannot start the run: %s", strerror(errno));
		close(p[0]);
	} else {
		ch->fd = p[0];
		ch->pid = pid;
		ch->len = 0;
		ui_message(ui, false, "starting %s", argv[1]);
	}
	close(p[1]);
	close(in);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
}

/* Done listening to the child; it goes on with its run. */
static void
child_forget(struct child *ch)
{
	close(ch->fd);
	ch->fd = -1;
	if (ch->n_reap < sizeof ch->reap / sizeof ch->reap[0])
		ch->reap[ch->n_reap++] = ch->pid;
	ch->pid = 0;
}

void
child_input(struct ui *ui)
{
	struct child *ch = ui->child;
	ssize_t r = read(ch->fd, ch->out + ch->len, sizeof ch->out - 1 - ch->len);
	char *nl;

	if (r <= 0) {
		child_forget(ch);
		return;
	}
	ch->len += (size_t)r;
	ch->out[ch->len] = '\0';
	while ((nl = strchr(ch->out, '\n')) != NULL) {
		*nl = '\0';
		if (ch->out[0] != '\0' && strspn(ch->out, "0123456789") == strlen(ch->out)) {
			ui_open_run(ui, strtoll(ch->out, NULL, 10));
			child_forget(ch);
			return;
		} else if (ch->out[0] != '\0') {
			ui_message(ui, true, "%s", ch->out);
		}
		ch->len -= (size_t)(nl + 1 - ch->out);
		memmove(ch->out, nl + 1, ch->len + 1);
	}
	if (ch->len == sizeof ch->out - 1)
		ch->len = 0;
}

/* Only those pids: waitpid(-1) would take exits that are not ours to take. */
void
child_reap(struct child *ch)
{
	for (size_t i = 0; i < ch->n_reap; i++) {
		if (waitpid(ch->reap[i], NULL, WNOHANG) == ch->reap[i])
			ch->reap[i--] = ch->reap[--ch->n_reap];
	}
}
