/* test_proctrack.c - an attempt's processes, tracked in both modes: what
 * its first process leaves behind is found and stopped, and children of
 * drover that are not a step's (the console's :run children) are neither
 * signalled nor reaped. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "launch.h"
#include "proctrack.h"
#include "xmalloc.h"

/* Its own for each test process: runs of tests at once must not meet. */
static char uuid[37], uuid_env[64];
#define UUID uuid

extern char **environ;

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static bool
alive(pid_t pid)
{
	char path[64], state = 0;
	FILE *fp;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return false;
	if (fscanf(fp, "%*d %*s %c", &state) != 1)
		state = 0;
	fclose(fp);
	return state != 0 && state != 'Z';
}

/* A child as the console starts `drover run` for :run: its own session,
 * waited for by pid. */
static pid_t
foreign_child(const char *cmd)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	posix_spawnattr_t attr;
	pid_t pid;

	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
	assert_int_equal(posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, environ), 0);
	posix_spawnattr_destroy(&attr);
	return pid;
}

static pid_t
read_pid(const char *path)
{
	FILE *fp;
	long pid = 0;

	for (int i = 0; i < 400 && pid == 0; i++) {
		if ((fp = fopen(path, "r")) != NULL) {
			if (fscanf(fp, "%ld", &pid) != 1)
				pid = 0;
			fclose(fp);
		}
		if (pid == 0)
			sleep_ms(10);
	}
	return (pid_t)pid;
}

/* Runs an attempt whose first process starts a setsid grandchild and
 * exits; checks the grandchild is found, stopped, and only it. */
static void
leftover_in(enum proctrack_mode mode)
{
	char dir[] = "/tmp/test_proctrack.XXXXXX", *pidfile, *cmd;
	char *env[] = { uuid_env, "DROVER_STEP_ID=s", "DROVER_ATTEMPT=1",
		"PATH=/usr/bin:/bin", NULL };
	char *argv[] = { "sh", "-c", NULL, NULL };
	struct launch_opts lo = { .argv = argv, .env = env, .out_fd = 2, .err_fd = 2 };
	sigset_t reset;
	struct proctrack_run *tr;
	struct proctrack *t;
	struct err e;
	pid_t main_pid, grandchild, other, done;
	int status;

	assert_non_null(mkdtemp(dir));
	pidfile = xasprintf("%s/pid", dir);
	cmd = xasprintf("setsid sh -c 'echo $$ > %s; exec sleep 300' & exit 0", pidfile);
	argv[2] = cmd;
	launch_signals_to_reset(&reset);
	lo.reset = &reset;
	tr = proctrack_run_new(mode, UUID, &e);
	if (tr == NULL) {
		print_message("# %s tracking not possible here: %s\n", proctrack_mode_name(mode),
		    e.msg);
		goto out;
	}
	assert_int_equal(proctrack_run_mode(tr), mode);
	/* Children of drover that are not the step's: one that ends, one that
	 * goes on. */
	done = foreign_child("exit 7");
	other = foreign_child("exec sleep 300");
	t = proctrack_new(tr, env, &e);
	assert_non_null(t);
	main_pid = proctrack_launch(t, &lo, &e);
	assert_true(main_pid > 0);
	assert_int_equal(waitpid(main_pid, &status, 0), main_pid);
	proctrack_exited(t);
	grandchild = read_pid(pidfile);
	assert_true(grandchild > 0);
	sleep_ms(50);	/* the foreign child has exited by now */
	assert_false(proctrack_empty(t));
	proctrack_signal(t, SIGTERM);
	for (int i = 0; i < 200 && !proctrack_empty(t); i++)
		sleep_ms(10);
	assert_true(proctrack_empty(t));
	assert_false(alive(grandchild));
	/* The console's children: the one still running was not signalled,
	 * the one that ended still has its status to give. */
	assert_true(alive(other));
	assert_int_equal(waitpid(done, &status, WNOHANG), done);
	assert_int_equal(WEXITSTATUS(status), 7);
	kill(other, SIGKILL);
	assert_int_equal(waitpid(other, &status, 0), other);
	proctrack_free(t);
	proctrack_run_free(tr);
out:
	unlink(pidfile);
	rmdir(dir);
	free(pidfile);
	free(cmd);
}

static void
test_leftover_subreaper(void **state)
{
	(void)state;
	leftover_in(PROCTRACK_SUBREAPER);
}

static void
test_leftover_cgroup(void **state)
{
	(void)state;
	leftover_in(PROCTRACK_CGROUP);
}

/* A dead owner's record names the cgroup to kill; only the run's own is
 * ever taken. */
static void
test_orphans_only_the_runs_cgroup(void **state)
{
	struct proctrack_run *tr;
	struct err e;
	char *leaf, *procs;
	pid_t pid;
	FILE *fp;

	(void)state;
	tr = proctrack_run_new(PROCTRACK_CGROUP, UUID, &e);
	if (tr == NULL) {
		print_message("# cgroup tracking not possible here: %s\n", e.msg);
		return;
	}
	leaf = xasprintf("%s/keep", proctrack_run_cgroup(tr));
	assert_int_equal(mkdir(leaf, 0755), 0);
	procs = xasprintf("%s/cgroup.procs", leaf);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if ((fp = fopen(procs, "w")) == NULL || fprintf(fp, "0\n") < 0 || fclose(fp) != 0)
			_exit(1);
		pause();
		_exit(0);
	}
	sleep_ms(100);
	/* Not drover-UUID: refused. */
	proctrack_kill_orphans(UUID, leaf);
	proctrack_kill_orphans("0123abcd-0000-4000-8000-000000000000",
	    proctrack_run_cgroup(tr));
	sleep_ms(100);
	assert_true(alive(pid));
	/* The run's own: killed and removed. */
	proctrack_kill_orphans(UUID, proctrack_run_cgroup(tr));
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(access(leaf, F_OK), -1);
	proctrack_run_free(tr);
	free(leaf);
	free(procs);
}

static void
test_modes(void **state)
{
	enum proctrack_mode m;

	(void)state;
	assert_int_equal(proctrack_mode_parse("auto", &m), 0);
	assert_int_equal(m, PROCTRACK_AUTO);
	assert_int_equal(proctrack_mode_parse("subreaper", &m), 0);
	assert_string_equal(proctrack_mode_name(m), "subreaper");
	assert_int_equal(proctrack_mode_parse("cgroups", &m), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_leftover_subreaper),
		cmocka_unit_test(test_leftover_cgroup),
		cmocka_unit_test(test_orphans_only_the_runs_cgroup),
	};

	snprintf(uuid, sizeof uuid, "0123abcd-0000-4000-8000-%012x", (unsigned)getpid());
	snprintf(uuid_env, sizeof uuid_env, "DROVER_RUN_UUID=%s", uuid);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
