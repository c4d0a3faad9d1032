/* launch.h - starting a step's process: vfork and exec, cheaply.
 *
 * The child shares drover's memory until it execs, so it only makes
 * system calls.  It is born in the attempt's cgroup, when it has one
 * (proctrack.h), or joins it first of all: whatever it starts afterwards,
 * however early, is inside.  Then it takes its own process group, stdin from /dev/null,
 * stdout and stderr from the given descriptors, the working directory,
 * the default disposition of every signal drover ignores or catches, an
 * empty signal mask, and execs, searching PATH as execvp does.  What
 * failed and why comes back through memory shared with the child before
 * vfork returns, so a failure is known at once and reported precisely.
 */
#ifndef DROVER_LAUNCH_H
#define DROVER_LAUNCH_H

#include <signal.h>
#include <sys/types.h>

#include "err.h"

struct launch_opts {
	char *const *argv;	/* argv[0] is looked up in PATH unless it has a '/' */
	char *const *env;
	const char *workdir;	/* or NULL */
	int out_fd, err_fd;	/* become its stdout and stderr */
	int cgroup_fd;		/* an open cgroup.procs to join, or -1 ... */
	int cgroup_dir;		/* ... and that cgroup's directory, to be born in */
	const sigset_t *reset;	/* from launch_signals_to_reset */
	int *pidfd;		/* or NULL: set to a pidfd of the child when the
				 * kernel gave one at its birth, else to -1 */
};

/* The signals drover ignores or catches now, which a child must take back
 * to their default.  Asking costs a system call per signal: a run asks
 * once, when it starts (its dispositions are set by then). */
void launch_signals_to_reset(sigset_t *set);

/* Starts the process; its pid (a child of the calling thread, to be
 * waited for), or -1 with e set. */
pid_t launch_process(const struct launch_opts *o, struct err *e);

#endif
