/* launch.c - vfork, set the child up with system calls only, exec.
 *
 * Why not posix_spawn: glibc 2.36 has no way to start a process in a
 * cgroup (posix_spawnattr_setcgroup_np came later), and moving the pid
 * there after posix_spawn returns races with a child that forks at once.
 * vfork costs no more: posix_spawn is a vfork-like clone underneath, and
 * here no stack is mapped for the child and only the signals that need it
 * are reset.
 *
 * While the child runs on the parent's memory every signal is blocked, in
 * parent and child: a handler of drover's must never run in the child.
 * The child resets those signals to their default before it unblocks.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"

/* Where the child failed. */
enum launch_stage {
	LAUNCH_OK, LAUNCH_CGROUP, LAUNCH_PGROUP, LAUNCH_STDIO, LAUNCH_WORKDIR, LAUNCH_EXEC,
};

/* The child must not keep drover's ignored signals (an ignored SIGPIPE
 * would reach the step's commands).  Caught ones are reset by exec too, but
 * the child runs before it execs. */
void
launch_signals_to_reset(sigset_t *set)
{
	sigemptyset(set);
	for (int sig = 1; sig < 32; sig++) {
		struct sigaction sa;

		if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, NULL, &sa) == 0 &&
		    sa.sa_handler != SIG_DFL)
			sigaddset(set, sig);
	}
}

/* A descriptor the child will dup onto 0-2 must not be one of them. */
static int
launch_high_fd(int fd)
{
	return fd > 2 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static int
launch_error(const struct launch_opts *o, enum launch_stage stage, int err, struct err *e)
{
	switch (stage) {
	case LAUNCH_CGROUP:
		return err_set(e, "cannot put '%s' into its cgroup: %s", o->argv[0], strerror(err));
	case LAUNCH_PGROUP:
		return err_set(e, "cannot give '%s' a process group of its own: %s", o->argv[0],
		    strerror(err));
	case LAUNCH_STDIO:
		return err_set(e, "cannot connect the output of '%s': %s", o->argv[0],
		    strerror(err));
	case LAUNCH_WORKDIR:
		return err_set(e, "cannot enter workdir '%s': %s", o->workdir, strerror(err));
	case LAUNCH_EXEC:
	case LAUNCH_OK:
		break;
	}
	return err_set(e, "cannot start '%s': %s", o->argv[0], strerror(err));
}

pid_t
launch_process(const struct launch_opts *o, struct err *e)
{
	volatile enum launch_stage stage = LAUNCH_OK;
	volatile int fail = 0;
	sigset_t all, old, none;
	struct sigaction dfl;
	pid_t pid;

	sigemptyset(&none);
	sigfillset(&all);
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = vfork();
	if (pid == 0) {
		int out, err, null;

#define LAUNCH_FAIL(s) do { fail = errno; stage = (s); _exit(127); } while (0)
		if (o->cgroup_fd >= 0 && write(o->cgroup_fd, "0", 1) != 1)
			LAUNCH_FAIL(LAUNCH_CGROUP);
		if (setpgid(0, 0) < 0)
			LAUNCH_FAIL(LAUNCH_PGROUP);
		if ((out = launch_high_fd(o->out_fd)) < 0 || (err = launch_high_fd(o->err_fd)) < 0 ||
		    dup2(out, 1) < 0 || dup2(err, 2) < 0 ||
		    (null = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 ||
		    (null != 0 && dup2(null, 0) < 0))
			LAUNCH_FAIL(LAUNCH_STDIO);
		if (null == 0)
			fcntl(0, F_SETFD, 0);	/* opened as 0: its close-on-exec stays */
		if (o->workdir != NULL && chdir(o->workdir) < 0)
			LAUNCH_FAIL(LAUNCH_WORKDIR);
		for (int sig = 1; sig < 32; sig++)
			if (sigismember(o->reset, sig))
				sigaction(sig, &dfl, NULL);
		pthread_sigmask(SIG_SETMASK, &none, NULL);
		execvpe(o->argv[0], o->argv, o->env);
		LAUNCH_FAIL(LAUNCH_EXEC);
#undef LAUNCH_FAIL
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		return err_set(e, "cannot start '%s': vfork: %s", o->argv[0], strerror(errno));
	if (stage != LAUNCH_OK) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return launch_error(o, stage, fail, e);
	}
	return pid;
}
