/* runproc.c - starting a run in a process of its own (runproc.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "runner.h"
#include "runlock.h"
#include "runproc.h"
#include "share.h"
#include "store.h"
#include "xmalloc.h"

/* What the run process says on the pipe after its messages: a NUL (no
 * message holds one), then 'R' and the run's number once it is ready, or
 * 'X' and its exit status when it ended before that. */
#define MARK '\0'

struct ready {
	int fd;			/* the pipe; -1 once ready was said */
	int log_fd;
};

/* Makes dir and its missing parents, each 0700; the last one is shared
 * with its parent's group when the parent shares (share.h). */
static int
mkdirs(char *dir)
{
	char *last = strrchr(dir, '/');
	mode_t dmode = 0700, fmode;

	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		if (p == last)
			share_modes(dir, &dmode, &fmode);
		*p = '/';
	}
	if (mkdir(dir, dmode) < 0)
		return errno == EEXIST ? 0 : -1;
	if (dmode != 0700)
		chmod(dir, dmode);	/* the umask may have taken the group's bits */
	return 0;
}

/* Opens the run's log, new, beside the history: -1 after saying why. */
static int
open_log(const char *uuid, bool resume, char **path)
{
	char *db = store_default_path(), *slash = strrchr(db, '/'), *dir;
	int fd;

	dir = slash == NULL ? xstrdup("runs") : slash == db ? xstrdup("/runs") :
	    xasprintf("%.*s/runs", (int)(slash - db), db);
	free(db);
	*path = xasprintf("%s/%s.log", dir, uuid);
	if (mkdirs(dir) < 0) {
		cmd_error("cannot make %s for the run's log: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	/* A resumed run's process goes on with the log its first one began. */
	fd = open(*path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    (resume ? O_APPEND : O_EXCL), 0600);
	if (fd < 0)
		cmd_error("cannot make the run's log %s: %s", *path, strerror(errno));
	return fd;
}

static void
say(int fd, char kind, long long n)
{
	char buf[32];
	int len = snprintf(buf, sizeof buf, "%c%c%lld\n", MARK, kind, n);

	if (write(fd, buf, (size_t)len) != len) {
		/* The foreground went: nobody is waiting to hear it. */
	}
}

/* In the run process, once the run is served: the foreground hears it,
 * and from now on messages go to the run's log. */
static void
on_ready(void *ud, int64_t run)
{
	struct ready *r = ud;

	fflush(stderr);
	say(r->fd, 'R', run);
	dup2(r->log_fd, STDERR_FILENO);
	r->fd = -1;
}

/* The run process: never returns. */
static void
run_process(struct runner_opts *o, int pipe_fd, int log_fd)
{
	struct ready r = { STDERR_FILENO, log_fd };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), status;

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
	    dup2(pipe_fd, STDERR_FILENO) < 0) {
		say(pipe_fd, 'X', EXIT_INTERNAL);
		_exit(EXIT_INTERNAL);
	}
	close(pipe_fd);		/* standard error is the pipe until ready */
	setvbuf(stdout, NULL, _IOLBF, 0);
	o->detached = true;
	o->ready = on_ready;
	o->ready_ud = &r;
	status = runner_run(o);
	fflush(NULL);
	if (r.fd >= 0)
		say(r.fd, 'X', status);
	_exit(status);
}

/* Reads the pipe until the run process is ready or gone, printing its
 * messages as they come. */
static int
await_ready(int fd, const char *log, int64_t *run)
{
	char buf[4096], mark[32];
	size_t n_mark = 0;
	bool marked = false, done = false;
	ssize_t n;

	while (!done && (n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (ssize_t i = 0; i < n && !done; i++) {
			if (!marked && buf[i] == MARK)
				marked = true;
			else if (!marked)
				fputc(buf[i], stderr);
			else if (buf[i] == '\n')
				done = true;
			else if (n_mark < sizeof mark - 1)
				mark[n_mark++] = buf[i];
		}
	}
	mark[n_mark] = '\0';
	if (marked && mark[0] == 'R' && (*run = strtoll(mark + 1, NULL, 10)) > 0)
		return EXIT_OK;
	if (marked && mark[0] == 'X')
		return (int)strtol(mark + 1, NULL, 10);
	cmd_error("the run's process ended before the run started; its log is %s", log);
	return EXIT_INTERNAL;
}

int
runproc_start(struct runner_opts *o, int64_t *run)
{
	char uuid[37], *log = NULL;
	int p[2], log_fd, status, rc;
	pid_t pid;

	if (o->uuid == NULL) {
		store_new_uuid(uuid);
		o->uuid = uuid;
	}
	if ((log_fd = open_log(o->uuid, o->resume_run > 0, &log)) < 0) {
		free(log);
		runlock_release(o->lock, false);
		return EXIT_USAGE;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		cmd_error("cannot start the run's process (pipe: %s)", strerror(errno));
		close(log_fd);
		free(log);
		runlock_release(o->lock, false);
		return EXIT_INTERNAL;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		/* Its own session, then a child of nobody here. */
		if (setsid() < 0 || (pid = fork()) < 0)
			_exit(EXIT_INTERNAL);
		if (pid > 0)
			_exit(EXIT_OK);
		run_process(o, p[1], log_fd);
	}
	close(p[1]);
	close(log_fd);
	/* The run process holds the run's lock now (the lock belongs to the
	 * open file, which it shares): this process lets go of its own. */
	runlock_release(o->lock, false);
	if (pid < 0) {
		cmd_error("cannot start the run's process (fork: %s)", strerror(errno));
		close(p[0]);
		free(log);
		return EXIT_INTERNAL;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rc = await_ready(p[0], log, run);
	close(p[0]);
	free(log);
	return rc;
}

int
runproc_go(const struct cmd_console *console, struct runner_opts *o, bool detach,
    bool no_tui)
{
	int64_t run;
	int status;

	if (!detach && (no_tui || o->json || !console->possible())) {
		if (!no_tui && !o->json && console->term_problem() != NULL)
			cmd_error("no console: %s; the run shows in line mode",
			    console->term_problem());
		return runner_run(o);
	}
	status = runproc_start(o, &run);
	if (status == EXIT_OK && detach)
		printf("%lld\n", (long long)run);
	else if (status == EXIT_OK)
		status = console->attach(run);
	return status;
}
