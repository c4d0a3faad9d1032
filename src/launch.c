/* launch.c - vfork, set the child up with system calls only, exec.
 *
 * Why not posix_spawn: glibc 2.36 has no way to start a process in a
 * cgroup (posix_spawnattr_setcgroup_np came later), and moving the pid
 * there after posix_spawn returns races with a child that forks at once.
 * vfork costs no more: posix_spawn is a vfork-like clone underneath, and
 * here only the signals that need it are reset.
 *
 * Into a cgroup, the child is born there when the kernel can (clone3
 * with CLONE_INTO_CGROUP, 5.7 and later, x86-64 here): moving a process
 * between cgroups takes a lock that waits for an RCU grace period, about
 * 50 us a step on the machine this was measured on, while being born in
 * one costs nothing.  clone3 cannot share the parent's stack as vfork
 * does, so the child runs on a stack of its own in the parent's frame
 * (the parent sleeps until it execs, CLONE_VFORK), entered by a few lines
 * of assembly.  Elsewhere, under the sanitizers, or when the kernel
 * refuses, the child moves itself by writing cgroup.procs first.
 *
 * While the child runs on the parent's memory every signal is blocked, in
 * parent and child: a handler of drover's must never run in the child.
 * The child resets those signals to their default before it unblocks.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Not under the sanitizers: they would mark the child's frames in the
 * shadow of the parent's memory, where nothing clears them. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define LAUNCH_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LAUNCH_SANITIZED 1
#endif
#if defined(__x86_64__) && defined(SYS_clone3) && defined(__GNUC__) && !defined(LAUNCH_SANITIZED)
#include <linux/sched.h>
#define LAUNCH_CLONE3 1
#endif

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

/* What the child needs, and where it says how it failed. */
struct launch_child {
	const struct launch_opts *o;
	bool join;			/* write "0" to o->cgroup_fd first */
	volatile enum launch_stage stage;
	volatile int fail;
};

static int
launch_child(void *arg)
{
	struct launch_child *c = arg;
	const struct launch_opts *o = c->o;
	struct sigaction dfl;
	sigset_t none;
	int out, err, null;

	sigemptyset(&none);
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
#define LAUNCH_FAIL(s) do { c->fail = errno; c->stage = (s); _exit(127); } while (0)
	if (c->join && write(o->cgroup_fd, "0", 1) != 1)
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

#ifdef LAUNCH_CLONE3
/* Enough for execvpe, which builds each candidate path (and, for a script
 * without #!, a new argv) on the stack. */
#define LAUNCH_STACK (64 * 1024)

static atomic_bool launch_no_clone3;	/* the kernel said no once: never again */

/* clone3 with the child on stack: it runs fn(arg) there and exits with
 * what fn returns (launch_child never returns: it execs or _exits).  The
 * parent gets the pid or -errno.  After the system call the child has the
 * parent's registers but rax (0) and rsp (the top of stack), so fn and arg
 * go in callee-saved registers. */
static long
launch_clone3(struct clone_args *ca, int (*fn)(void *), void *arg)
{
	register long rax __asm__("rax") = SYS_clone3;
	register void *r12 __asm__("r12") = (void *)fn;
	register void *r13 __asm__("r13") = arg;

	__asm__ volatile(
	    "syscall\n\t"
	    "test %%rax, %%rax\n\t"
	    "jnz 1f\n\t"
	    "xor %%ebp, %%ebp\n\t"
	    "mov %%r13, %%rdi\n\t"
	    "call *%%r12\n\t"
	    "mov %%eax, %%edi\n\t"
	    "mov %[nr_exit], %%eax\n\t"
	    "syscall\n\t"
	    "hlt\n"
	    "1:"
	    : "+r"(rax)
	    : "D"(ca), "S"(sizeof *ca), "r"(r12), "r"(r13), [nr_exit] "i"(SYS_exit)
	    : "rcx", "r11", "memory", "cc");
	return rax;
}

/* Starts the child in the cgroup of o->cgroup_dir: its pid, or 0 when
 * that cannot be done (the caller then vforks). */
static pid_t
launch_into_cgroup(struct launch_child *c)
{
	alignas(16) char stack[LAUNCH_STACK];	/* in use until the child execs */
	struct clone_args ca;
	long pid;

	if (c->o->cgroup_dir < 0 || atomic_load(&launch_no_clone3))
		return 0;
	memset(&ca, 0, sizeof ca);
	ca.flags = CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP;
	if (c->o->pidfd != NULL) {
		ca.flags |= CLONE_PIDFD;	/* saves a pidfd_open */
		ca.pidfd = (uint64_t)(uintptr_t)c->o->pidfd;
	}
	ca.exit_signal = SIGCHLD;
	ca.stack = (uint64_t)(uintptr_t)stack;
	ca.stack_size = sizeof stack;
	ca.cgroup = (uint64_t)c->o->cgroup_dir;
	pid = launch_clone3(&ca, launch_child, c);
	if (pid == -ENOSYS || pid == -E2BIG || pid == -EINVAL || pid == -EPERM)
		atomic_store(&launch_no_clone3, true);	/* old kernel, or a filter */
	/* Any failure: the vfork path tries again, and says what went wrong. */
	return pid < 0 ? 0 : (pid_t)pid;
}
#endif

pid_t
launch_process(const struct launch_opts *o, struct err *e)
{
	struct launch_child c = { .o = o, .stage = LAUNCH_OK };
	sigset_t all, old;
	pid_t pid = 0;

	if (o->pidfd != NULL)
		*o->pidfd = -1;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
#ifdef LAUNCH_CLONE3
	pid = launch_into_cgroup(&c);
#endif
	if (pid == 0) {
		c.join = o->cgroup_fd >= 0;
		pid = vfork();
		if (pid == 0)
			launch_child(&c);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		return err_set(e, "cannot start '%s': vfork: %s", o->argv[0], strerror(errno));
	if (c.stage != LAUNCH_OK) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (o->pidfd != NULL && *o->pidfd >= 0) {
			close(*o->pidfd);
			*o->pidfd = -1;
		}
		return launch_error(o, c.stage, c.fail, e);
	}
	return pid;
}
