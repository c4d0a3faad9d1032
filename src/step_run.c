/* step_run.c - `run` steps: a command and every process it starts.
 *
 * The process is started by launch.c (stdin from /dev/null, stdout and
 * stderr into pipes, default signal dispositions, its own process group)
 * into the attempt's tracking (proctrack.h), so that a timeout or cancel
 * reaches everything it started, whatever its session.  Its exit arrives
 * through a pidfd; its output is read without blocking, cut into lines and
 * handed to the engine in chunks of whole lines.  When it has exited, what
 * it left running is stopped as a cancelled step's processes are (SIGTERM,
 * SIGKILL after the grace period): the step ends once none is left and
 * both pipes are drained (or a moment later, if something beyond its
 * tracking keeps them open).
 *
 * The body as written (the command, shell and workdir) is read and checked
 * here too: a string's templates must sit where drover can quote them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"
#include "json.h"
#include "fsutil.h"
#include "launch.h"
#include "loop.h"
#include "mask.h"
#include "outfile.h"
#include "proctrack.h"
#include "shq.h"
#include "step_kinds.h"
#include "strbuf.h"
#include "wf_read.h"
#include "xmalloc.h"
#include "ydoc.h"

#define READ_CHUNK 65536
#define LINE_MAX_BYTES 65536	/* longer lines are cut here */
#define GATHER_BYTES 262144	/* whole lines handed on at once, at most */
#define GATHER_MS 5		/* and at most this late */
#define TAIL_BYTES 65536	/* outputs.stdout/stderr keep this much */
#define OUTPUTS_MAX (1u << 20)	/* the most $DROVER_OUTPUT may hold */
#define DRAIN_MS 2000		/* how long to wait for pipes after the exit */
#define LINGER_POLL_MS 100	/* checks for what the process left, at most this apart */
#define LINGER_GIVE_UP_MS 2000	/* after SIGKILL: processes stuck in the kernel */

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct run_spec {
	struct ynode *run;	/* a templated string or list of them */
	struct ynode *shell, *workdir;	/* templated, or NULL */
};

struct stream {
	enum log_stream which;
	int fd;
	struct mask_stream ms;	/* secrets are hidden before lines are cut */
	struct strbuf masked;
	char *buf;		/* the incomplete last line */
	size_t len, cap;
	struct strbuf gathered;	/* whole lines not handed on yet, each with its '\n' */
	uint32_t n_gathered;
	struct loop_timer *gather;	/* hands them on GATHER_MS after the first */
	uint64_t lines;		/* lines handed on */
	char *tail;		/* the last TAIL_BYTES bytes, circular */
	size_t tail_pos, tail_len;
};

struct proc {
	pid_t pid;
	int pidfd;
	struct stream out, err;
	bool paused;
	bool alone;		/* exited, and nothing it started is left */
	int wstatus;
	char *output_path;	/* $DROVER_OUTPUT */
	char *output_name;	/* the same in the run's directory */
	bool output_absent;	/* the step wrote none: nothing to remove */
	struct proctrack *track;
	struct loop_timer *drain, *linger;
	int64_t linger_since, killed_at;	/* loop time; 0: not yet */
	int linger_ms;
};

static void
tail_add(struct stream *s, const char *p, size_t n)
{
	if (n == 0)
		return;	/* a stream that says nothing needs no 64 KiB */
	if (s->tail == NULL)
		s->tail = xmalloc(TAIL_BYTES);
	if (n >= TAIL_BYTES) {
		memcpy(s->tail, p + n - TAIL_BYTES, TAIL_BYTES);
		s->tail_pos = 0;
		s->tail_len = TAIL_BYTES;
		return;
	}
	while (n > 0) {
		size_t k = TAIL_BYTES - s->tail_pos < n ? TAIL_BYTES - s->tail_pos : n;

		memcpy(s->tail + s->tail_pos, p, k);
		s->tail_pos = (s->tail_pos + k) % TAIL_BYTES;
		s->tail_len = s->tail_len + k > TAIL_BYTES ? TAIL_BYTES : s->tail_len + k;
		p += k;
		n -= k;
	}
}

/* The tail as a string without its final newline. */
static char *
tail_text(const struct stream *s)
{
	size_t start = (s->tail_pos + TAIL_BYTES - s->tail_len) % TAIL_BYTES, n = s->tail_len;
	char *t = xmalloc(n + 1);
	size_t first = TAIL_BYTES - start < n ? TAIL_BYTES - start : n;

	if (n > 0) {
		memcpy(t, s->tail + start, first);
		memcpy(t + first, s->tail, n - first);
	}
	if (n > 0 && t[n - 1] == '\n')
		n--;
	t[n] = '\0';
	return t;
}

/* Hands the gathered lines to the engine, as one chunk. */
static void
lines_hand_on(struct attempt *a, struct stream *s)
{
	if (s->gather != NULL) {
		loop_timer_cancel(run_loop(a->run), s->gather);
		s->gather = NULL;
	}
	if (s->n_gathered == 0)
		return;
	attempt_log(a, s->which, sb_str(&s->gathered), s->gathered.len - 1, s->n_gathered,
	    s->lines + 1);
	s->lines += s->n_gathered;
	s->n_gathered = 0;
	sb_reset(&s->gathered);
}

static void
on_gathered(struct loop *l, void *ud)
{
	struct attempt *a = ud;
	struct proc *p = a->state;

	/* Only one stream holds lines at a time (emit_lines): the timer was its. */
	(void)l;
	p->out.gather = p->err.gather = NULL;
	lines_hand_on(a, &p->out);
	lines_hand_on(a, &p->err);
}

/*
 * Takes the count complete lines in p[0..n) (ending in '\n').  They are
 * gathered, up to GATHER_BYTES or for GATHER_MS: a step writing a little
 * at a time would otherwise cost an event, a row and a wake-up of every
 * reader for each write.
 */
static void
emit_lines(struct attempt *a, struct stream *s, const char *p, size_t n, uint32_t count)
{
	struct proc *pr = a->state;
	struct stream *other = s == &pr->out ? &pr->err : &pr->out;

	/* Lines of the other stream are handed on first: the order across
	 * the two stays the order they were read in. */
	if (other->n_gathered > 0)
		lines_hand_on(a, other);
	sb_add(&s->gathered, p, n);
	s->n_gathered += count;
	if (s->gathered.len >= GATHER_BYTES)
		lines_hand_on(a, s);
	else if (s->gather == NULL)
		s->gather = loop_timer_add(run_loop(a->run), GATHER_MS, on_gathered, a);
}

/* Splits what was read into lines of at most LINE_MAX_BYTES: a longer
 * line is cut there, and one of exactly that length is not.  Runs of
 * whole lines are gathered straight from the read buffer; a line split
 * across reads waits in s->buf. */
static void
stream_lines(struct attempt *a, struct stream *s, const char *p, size_t n)
{
	while (n > 0) {
		const char *nl;
		size_t content, take;

		if (s->len == LINE_MAX_BYTES) {
			/* Full: it ends here when a newline follows, else it is cut. */
			if (*p == '\n') {
				p++;
				n--;
			}
			s->buf[s->len++] = '\n';
			emit_lines(a, s, s->buf, s->len, 1);
			s->len = 0;
			continue;
		}
		if (s->len == 0) {
			const char *q = p;
			uint32_t count = 0;

			while (q < p + n && (nl = memchr(q, '\n', (size_t)(p + n - q))) != NULL &&
			    (size_t)(nl - q) <= LINE_MAX_BYTES) {
				q = nl + 1;
				count++;
			}
			if (q > p) {
				emit_lines(a, s, p, (size_t)(q - p), count);
				n -= (size_t)(q - p);
				p = q;
				continue;
			}
		}
		nl = memchr(p, '\n', n);
		content = nl != NULL ? (size_t)(nl - p) : n;
		take = content <= LINE_MAX_BYTES - s->len ? content : LINE_MAX_BYTES - s->len;
		xgrow(&s->buf, &s->cap, s->len + take + 1, 1);
		memcpy(s->buf + s->len, p, take);
		s->len += take;
		p += take;
		n -= take;
		if (take == content && nl != NULL) {
			p++;	/* the newline ends the line */
			n--;
			s->buf[s->len++] = '\n';
			emit_lines(a, s, s->buf, s->len, 1);
			s->len = 0;
		}
		/* Otherwise the line goes on in the next read, or is full. */
	}
}

/* What was read: secrets hidden (a possible start of one waits for the
 * next read), kept as the tail for outputs, then cut into lines. */
static void
stream_feed(struct attempt *a, struct stream *s, const char *p, size_t n, bool end)
{
	if (!mask_empty(s->ms.m)) {
		sb_reset(&s->masked);
		mask_stream_feed(&s->ms, p, n, &s->masked);
		if (end)
			mask_stream_flush(&s->ms, &s->masked);
		p = sb_str(&s->masked);
		n = s->masked.len;
	}
	tail_add(s, p, n);
	stream_lines(a, s, p, n);
}

static void
stream_flush(struct attempt *a, struct stream *s)
{
	stream_feed(a, s, "", 0, true);
	if (s->len > 0) {
		xgrow(&s->buf, &s->cap, s->len + 1, 1);
		s->buf[s->len++] = '\n';
		emit_lines(a, s, s->buf, s->len, 1);
		s->len = 0;
	}
	lines_hand_on(a, s);
}

static void proc_maybe_done(struct attempt *a);

static void
stream_close(struct attempt *a, struct stream *s)
{
	if (s->fd < 0)
		return;
	loop_unwatch(run_loop(a->run), s->fd);
	close(s->fd);
	s->fd = -1;
	stream_flush(a, s);
}

static void
on_output(struct loop *l, int fd, uint32_t events, void *ud)
{
	struct attempt *a = ud;
	struct proc *p = a->state;
	struct stream *s = fd == p->out.fd ? &p->out : &p->err;
	char buf[READ_CHUNK];
	ssize_t n;

	(void)l;
	(void)events;
	n = read(fd, buf, sizeof buf);
	if (n > 0) {
		stream_feed(a, s, buf, (size_t)n, false);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	stream_close(a, s);
	proc_maybe_done(a);
}

/* The file a step published outputs in.  The step may have replaced it:
 * only a regular file is read (a FIFO would block, a link lead elsewhere),
 * and at most OUTPUTS_MAX bytes. */
static int
read_outputs(struct attempt *a, struct proc *p, cJSON *outputs, struct err *e)
{
	int fd = openat(run_dir_fd(a->run), p->output_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	struct strbuf sb = STRBUF_INIT;
	char buf[65536], *masked;
	struct stat st;
	size_t len;
	ssize_t n;
	int rc;

	if (fd < 0 && errno == ENOENT) {
		p->output_absent = true;
		return 0;
	}
	if (fd < 0 && errno == ELOOP)
		return err_set(e, "$DROVER_OUTPUT was replaced by a symbolic link; drover reads "
		    "outputs only from the file it named");
	if (fd < 0)
		return err_set(e, "cannot read $DROVER_OUTPUT: %s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, "$DROVER_OUTPUT was replaced by %s; drover reads outputs only "
		    "from a regular file", S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ?
		    "a directory" : "something that is not a regular file");
	}
	while (sb.len <= OUTPUTS_MAX && ((n = read(fd, buf, sizeof buf)) > 0 ||
	    (n < 0 && errno == EINTR)))
		if (n > 0)
			sb_add(&sb, buf, (size_t)n);
	close(fd);
	if (sb.len > OUTPUTS_MAX) {
		sb_fini(&sb);
		return err_set(e, "$DROVER_OUTPUT holds more than %u MiB; publish less, or write "
		    "big results to a file and publish its path", OUTPUTS_MAX >> 20);
	}
	len = sb.len;
	masked = run_mask(a->run, sb_str(&sb), len, &len);
	rc = outfile_parse(masked != NULL ? masked : sb_str(&sb), len, outputs, e);
	free(masked);
	sb_fini(&sb);
	return rc;
}

static void
describe_exit(int wstatus, int *code, char **error)
{
	if (WIFEXITED(wstatus)) {
		*code = WEXITSTATUS(wstatus);
		*error = *code == 0 ? NULL : xasprintf("exited with status %d", *code);
	} else if (WIFSIGNALED(wstatus)) {
		*code = 128 + WTERMSIG(wstatus);
		*error = xasprintf("killed by signal %d (%s)", WTERMSIG(wstatus),
		    strsignal(WTERMSIG(wstatus)));
	} else {
		*code = -1;
		*error = xstrdup("ended in an unknown way");
	}
}

static void
proc_finish(struct attempt *a)
{
	struct proc *p = a->state;
	struct attempt_result res = { .status = ST_SUCCEEDED };
	struct err e;
	char *text;

	if (p->drain != NULL) {
		loop_timer_cancel(run_loop(a->run), p->drain);
		p->drain = NULL;
	}
	stream_close(a, &p->out);
	stream_close(a, &p->err);
	describe_exit(p->wstatus, &res.exit_code, &res.error);
	if (res.error != NULL)
		res.status = ST_FAILED;
	res.outputs = cJSON_CreateObject();
	cJSON_AddNumberToObject(res.outputs, "exit_code", res.exit_code);
	text = tail_text(&p->out);
	cJSON_AddStringToObject(res.outputs, "stdout", text);
	free(text);
	text = tail_text(&p->err);
	cJSON_AddStringToObject(res.outputs, "stderr", text);
	free(text);
	if (read_outputs(a, p, res.outputs, &e) < 0 && res.error == NULL) {
		res.status = ST_FAILED;
		res.error = xstrdup(e.msg);
	}
	outfile_take_cost(res.outputs, &res.cost_usd, &res.tokens_in, &res.tokens_out);
	attempt_done(a, &res);
}

static void
on_drain_timeout(struct loop *l, void *ud)
{
	struct attempt *a = ud;
	struct proc *p = a->state;

	(void)l;
	p->drain = NULL;
	proc_finish(a);
}

/* Done once the process has exited, nothing it started is left and its
 * output is read. */
static void
proc_maybe_done(struct attempt *a)
{
	struct proc *p = a->state;

	if (!p->alone)
		return;
	if (p->out.fd < 0 && p->err.fd < 0)
		proc_finish(a);
	else if (p->drain == NULL && !p->paused)
		p->drain = loop_timer_add(run_loop(a->run), DRAIN_MS, on_drain_timeout, a);
}

static void on_linger(struct loop *l, void *ud);

/* The process has exited: stops what it left running, gently then not,
 * and checks back (soon at first) until nothing is left. */
static void
proc_linger(struct attempt *a)
{
	struct proc *p = a->state;
	struct loop *l = run_loop(a->run);
	int64_t now = loop_now(l);

	if (proctrack_empty(p->track)) {
		p->alone = true;
		proc_maybe_done(a);
		return;
	}
	if (p->linger_since == 0) {
		p->linger_since = now;
		p->linger_ms = 5;
		proctrack_signal(p->track, SIGTERM);
	} else if (p->killed_at == 0 && now - p->linger_since >= run_kill_grace_ms(a->run)) {
		p->killed_at = now;
		proctrack_signal(p->track, SIGKILL);
	} else if (p->killed_at != 0 && now - p->killed_at >= LINGER_GIVE_UP_MS) {
		p->alone = true;	/* nothing more can be done */
		proc_maybe_done(a);
		return;
	}
	p->linger = loop_timer_add(l, p->linger_ms, on_linger, a);
	p->linger_ms = p->linger_ms * 2 > LINGER_POLL_MS ? LINGER_POLL_MS : p->linger_ms * 2;
}

static void
on_linger(struct loop *l, void *ud)
{
	struct attempt *a = ud;
	struct proc *p = a->state;

	(void)l;
	p->linger = NULL;
	proc_linger(a);
}

static void
on_exit_ready(struct loop *l, int fd, uint32_t events, void *ud)
{
	struct attempt *a = ud;
	struct proc *p = a->state;
	siginfo_t si;

	(void)events;
	memset(&si, 0, sizeof si);
	if (syscall(SYS_waitid, P_PIDFD, fd, &si, WEXITED | WNOHANG, NULL) < 0 || si.si_pid == 0)
		return;
	p->wstatus = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) :
	    W_EXITCODE(0, si.si_status);
	proctrack_exited(p->track);
	loop_unwatch(l, fd);
	close(fd);
	p->pidfd = -1;
	proc_linger(a);
}

/* argv for the attempt: a string under the shell, a list as it is. */
static char **
build_argv(struct attempt *a, struct err *e)
{
	const struct run_spec *rs = a->body->spec;
	char **argv;

	if (rs->run->kind == YNODE_SEQ) {
		argv = xcalloc(rs->run->n + 1, sizeof *argv);
		for (size_t i = 0; i < rs->run->n; i++) {
			argv[i] = step_render_text(a->run, a->step, rs->run->items[i], TMPL_TEXT, e);
			if (argv[i] == NULL) {
				for (size_t k = 0; k < i; k++)
					free(argv[k]);
				free(argv);
				return NULL;
			}
		}
		return argv;
	}
	{
		char *cmd = step_render_text(a->run, a->step, rs->run, TMPL_SHELL, e);
		char *shell = rs->shell != NULL ? step_render_text(a->run, a->step, rs->shell, TMPL_TEXT, e) :
		    xstrdup("/bin/sh");
		size_t n = 0;
		char *save = NULL, *tok;

		if (cmd == NULL || shell == NULL) {
			free(cmd);
			free(shell);
			return NULL;
		}
		/* "bash -eo pipefail" is a program and its options. */
		argv = xcalloc(strlen(shell) + 3, sizeof *argv);
		for (tok = strtok_r(shell, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save))
			argv[n++] = xstrdup(tok);
		free(shell);
		if (n == 0)
			argv[n++] = xstrdup("/bin/sh");
		argv[n++] = xstrdup("-c");
		argv[n] = cmd;
		return argv;
	}
}

static void
argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **p = argv; *p != NULL; p++)
		free(*p);
	free(argv);
}

/* Without a pidfd the attempt's end cannot be waited for: its processes
 * are killed and its first one reaped at once, so none is left behind. */
static int
spawn_unwatched(struct proc *p, int errnum, struct err *e)
{
	proctrack_signal(p->track, SIGKILL);
	while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
		;
	proctrack_exited(p->track);
	return err_set(e, "cannot watch the step's process (pidfd_open: %s)%s", strerror(errnum),
	    err_sys_hint(errnum));
}

static int
spawn(struct proc *p, struct launch_opts *lo, struct err *e)
{
	int out[2], errp[2];

	if (pipe2(out, O_CLOEXEC) < 0)
		return err_set(e, "cannot create a pipe: %s", strerror(errno));
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return err_set(e, "cannot create a pipe: %s", strerror(errno));
	}
	lo->out_fd = out[1];
	lo->err_fd = errp[1];
	lo->pidfd = &p->pidfd;
	p->pid = proctrack_launch(p->track, lo, e);
	close(out[1]);
	close(errp[1]);
	if (p->pid < 0) {
		close(out[0]);
		close(errp[0]);
		return -1;
	}
	p->out.fd = out[0];
	p->err.fd = errp[0];
	fcntl(p->out.fd, F_SETFL, O_NONBLOCK);
	fcntl(p->err.fd, F_SETFL, O_NONBLOCK);
	if (p->pidfd < 0)
		p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (p->pidfd < 0)
		return spawn_unwatched(p, errno, e);
	return 0;	/* a pidfd is close-on-exec from the start */
}

static int
run_start(struct attempt *a, struct err *e)
{
	const struct run_spec *rs = a->body->spec;
	struct proc *p = xcalloc(1, sizeof *p);
	struct attempt_env env = { 0 };
	char **argv = NULL, *workdir = NULL;
	struct loop *l = run_loop(a->run);
	struct launch_opts lo;
	int rc = -1;

	p->out.which = STREAM_STDOUT;
	p->err.which = STREAM_STDERR;
	p->out.ms.m = p->err.ms.m = run_secrets(a->run);
	p->out.fd = p->err.fd = p->pidfd = -1;
	a->state = p;
	argv = build_argv(a, e);
	if (argv == NULL)
		goto out;
	if (rs->workdir != NULL &&
	    (workdir = step_render_text(a->run, a->step, rs->workdir, TMPL_TEXT, e)) == NULL)
		goto out;
	p->output_name = run_output_name(a);
	p->output_path = run_output_path(a);
	if (attempt_env(a, p->output_path, &env, e) < 0)
		goto out;
	lo = (struct launch_opts){ .argv = argv, .env = env.v, .workdir = workdir,
		.cgroup_fd = -1, .cgroup_dir = -1, .reset = run_reset_signals(a->run) };
	if ((p->track = proctrack_new(run_procs(a->run), env.v, e)) == NULL ||
	    spawn(p, &lo, e) < 0)
		goto out;
	loop_watch(l, p->pidfd, EPOLLIN, on_exit_ready, a);
	p->paused = run_paused(a->run);
	if (!p->paused) {
		loop_watch(l, p->out.fd, EPOLLIN, on_output, a);
		loop_watch(l, p->err.fd, EPOLLIN, on_output, a);
	}
	rc = 0;
out:
	argv_free(argv);
	attempt_env_fini(&env);
	free(workdir);
	return rc;
}

static void
run_stop(struct attempt *a, bool force)
{
	struct proc *p = a->state;

	if (p != NULL && p->track != NULL && !p->alone)
		proctrack_signal(p->track, force ? SIGKILL : SIGTERM);
}

static void
run_pause(struct attempt *a, bool paused)
{
	struct proc *p = a->state;
	struct loop *l = run_loop(a->run);

	if (p == NULL || p->paused == paused)
		return;
	p->paused = paused;
	for (struct stream *s = &p->out; s != NULL; s = s == &p->out ? &p->err : NULL) {
		if (s->fd < 0)
			continue;
		if (paused)
			loop_unwatch(l, s->fd);
		else
			loop_watch(l, s->fd, EPOLLIN, on_output, a);
	}
	if (!paused)
		proc_maybe_done(a);
	else if (p->drain != NULL) {
		loop_timer_cancel(l, p->drain);
		p->drain = NULL;
	}
}

static void
run_free(struct attempt *a)
{
	struct proc *p = a->state;
	struct loop *l = run_loop(a->run);

	if (p == NULL)
		return;
	if (p->drain != NULL)
		loop_timer_cancel(l, p->drain);
	if (p->linger != NULL)
		loop_timer_cancel(l, p->linger);
	for (struct stream *s = &p->out; s != NULL; s = s == &p->out ? &p->err : NULL) {
		if (s->fd >= 0) {
			loop_unwatch(l, s->fd);
			close(s->fd);
		}
		if (s->gather != NULL)
			loop_timer_cancel(l, s->gather);
		free(s->buf);
		free(s->tail);
		mask_stream_fini(&s->ms);
		sb_fini(&s->masked);
		sb_fini(&s->gathered);
	}
	if (p->pidfd >= 0) {
		loop_unwatch(l, p->pidfd);
		close(p->pidfd);
	}
	if (p->output_name != NULL && !p->output_absent)
		unlinkat(run_dir_fd(a->run), p->output_name, 0);
	free(p->output_name);
	proctrack_free(p->track);
	free(p->output_path);
	free(p);
	a->state = NULL;
}

/* The command as it will run: the shell string, or the list joined. */
static char *
run_describe(struct attempt *a)
{
	const struct run_spec *rs = a->body->spec;
	struct strbuf sb = STRBUF_INIT;
	struct err e;

	if (rs->run->kind != YNODE_SEQ)
		return step_render_shown(a->run, a->step, rs->run, TMPL_SHELL, &e);
	for (size_t i = 0; i < rs->run->n; i++) {
		char *arg = step_render_shown(a->run, a->step, rs->run->items[i], TMPL_TEXT, &e);

		if (arg == NULL) {
			sb_fini(&sb);
			return NULL;
		}
		sb_addf(&sb, "%s%s", i > 0 ? " " : "", arg);
		free(arg);
	}
	return sb_detach(&sb);
}

/* For the cache: the command (or list), shell, workdir and env. */
static char *
run_inputs(struct run *r, size_t i, const struct body *b, struct err *e)
{
	const struct run_spec *rs = b->spec;
	const struct ynode *parts[] = { rs->run, rs->shell, rs->workdir, b->env };
	static const char *const names[] = { "run", "shell", "workdir", "env" };
	cJSON *o = cJSON_CreateObject();
	char *text = NULL;

	for (size_t k = 0; k < 4; k++) {
		cJSON *v;

		if (parts[k] == NULL)
			continue;
		if (k == 0 && rs->run->kind != YNODE_SEQ) {
			char *cmd = step_render_text(r, i, rs->run, TMPL_SHELL, e);

			v = cmd != NULL ? cJSON_CreateString(cmd) : NULL;
			free(cmd);
		} else {
			v = step_render(r, i, parts[k], e);
		}
		if (v == NULL)
			goto out;
		cJSON_AddItemToObject(o, names[k], v);
	}
	text = json_text(o, false);
out:
	cJSON_Delete(o);
	return text;
}

static const struct step_ops run_ops = {
	.inputs = run_inputs,
	.describe = run_describe,
	.start = run_start,
	.stop = run_stop,
	.pause = run_pause,
	.free = run_free,
};

/* ---- the body, as written ---- */

static void
run_load(struct ld *ld, struct ynode *n, struct body *b, const struct refctx *ctx)
{
	struct run_spec *rs = xcalloc(1, sizeof *rs);

	b->spec = rs;
	if (n->kind == YNODE_SEQ) {
		if (n->n == 0) {
			ld_err(ld, n, "'run' is an empty list: give the program and its arguments");
			return;
		}
		for (size_t i = 0; i < n->n; i++) {
			if (n->items[i]->kind != YNODE_SCALAR || n->items[i]->type == YS_NULL) {
				ld_err(ld, n->items[i], "items of 'run' must be text, not %s",
				    ynode_describe(n->items[i]));
				return;
			}
		}
	} else if (n->kind != YNODE_SCALAR || n->type == YS_NULL) {
		ld_err(ld, n, "'run' must be a command (text) or a list of arguments, not %s",
		    ynode_describe(n));
		return;
	} else if (strspn(n->str, " \t\r\n") == n->len) {
		ld_err(ld, n, "'run' is empty: give the command to run");
		return;
	}
	if (ld_tmpl(ld, n, ctx))
		rs->run = n;
}

/* A `run` string's templates must sit where drover can quote them for
 * the shell (SPEC 5.1): a shell it knows, and places it is sure of. */
static void
run_check_quoting(struct ld *ld, const struct run_spec *rs)
{
	struct tmpl *t = rs->run->aux;
	const char *shell = rs->shell != NULL ? rs->shell->str : "/bin/sh";
	struct err e;

	if (t == NULL || !tmpl_has_quoted(t))
		return;
	if (rs->shell != NULL && rs->shell->aux != NULL)
		ld_err(ld, rs->run, "'run' has templates and 'shell' is itself a template, so "
		    "drover cannot know how to quote them; write the shell out, or use the list "
		    "form of run");
	else if (!shq_shell_is_posix(shell))
		ld_err(ld, rs->run, "'run' has templates, and drover only knows how to quote them "
		    "for POSIX shells (sh, dash, bash, ksh, zsh...), not for '%s'; use the list form "
		    "of run, pass values in env, or mark a value you vouch for with | raw", shell);
	else if (tmpl_shell_prepare(t, &e) < 0)
		ld_err_in(ld, rs->run, e.col > 0 ? (size_t)e.col - 1 : 0, e.msg);
}

static const char *const run_beside_keys[] = { "shell", "workdir", NULL };

/* shell and workdir are only meaningful next to run. */
static void
run_beside(struct ld *ld, struct ynode *map, void *spec, const struct refctx *ctx)
{
	struct run_spec *rs = spec;
	struct ynode *v;

	if (rs == NULL) {
		for (size_t i = 0; run_beside_keys[i] != NULL; i++)
			if ((v = ynode_key(map, run_beside_keys[i])) != NULL)
				ld_err(ld, v, "'%s' goes with 'run' steps", run_beside_keys[i]);
		return;
	}
	if ((v = ynode_get(map, "shell")) != NULL && ld_scalar_tmpl(ld, v, "shell", ctx))
		rs->shell = v;
	if ((v = ynode_get(map, "workdir")) != NULL && ld_scalar_tmpl(ld, v, "workdir", ctx))
		rs->workdir = v;
	if (rs->run != NULL && rs->run->kind == YNODE_SCALAR)
		run_check_quoting(ld, rs);
}

/* The command as written: the string, or the list joined. */
static void
run_detail(const struct body *b, char *buf, size_t size)
{
	const struct ynode *run = ((const struct run_spec *)b->spec)->run;
	size_t len = 0;

	if (run != NULL && run->kind == YNODE_SCALAR) {
		snprintf(buf, size, "%s", run->str);
		return;
	}
	for (size_t i = 0; run != NULL && i < run->n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "",
		    run->items[i]->kind == YNODE_SCALAR ? run->items[i]->str : "...");
}

const struct step_kind step_run_kind = {
	.key = "run",
	.article = "a",
	.places = BODY_STEP | BODY_ALT | BODY_TOOL,
	.beside_keys = run_beside_keys,
	.load = run_load,
	.beside = run_beside,
	.detail = run_detail,
	.ops = &run_ops,
};
