/* test_runlock.c - a run's lock: one owner at a time, gone with its
 * process, a record of who it is, modes that follow the history's
 * directory, and lock files that are not plain files refused. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "runlock.h"
#include "xmalloc.h"

#define UUID "0123abcd-0000-4000-8000-00000000beef"

struct fx {
	char dir[64];
	char db[128];		/* DIR/history.db */
	char lock[192];		/* its lock file for UUID */
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);

	strcpy(fx->dir, "/tmp/test_runlock.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->db, sizeof fx->db, "%s/history.db", fx->dir);
	snprintf(fx->lock, sizeof fx->lock, "%s-locks/%s.lock", fx->db, UUID);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	char *cmd = xasprintf("rm -rf '%s'", fx->dir);

	if (system(cmd) != 0)
		fprintf(stderr, "# cannot remove %s\n", fx->dir);
	free(cmd);
	free(fx);
	return 0;
}

static struct runlock *
take(struct fx *fx, const char *cgroup, struct runlock_owner *prev, bool *held,
    struct err *e)
{
	struct runlock_owner me;

	runlock_owner_self(&me, "alice", "bastion");
	snprintf(me.cgroup, sizeof me.cgroup, "%s", cgroup);
	return runlock_take(fx->db, UUID, &me, prev, held, e);
}

static void
test_one_owner(void **state)
{
	struct fx *fx = *state;
	struct runlock_owner prev;
	struct runlock *a, *b;
	struct err e;
	bool held;

	assert_int_equal(runlock_probe(fx->db, UUID), RUNLOCK_FREE);	/* no directory yet */
	a = take(fx, "/sys/fs/cgroup/x", &prev, &held, &e);
	assert_non_null(a);
	assert_int_equal(prev.pid, 0);
	assert_int_equal(runlock_probe(fx->db, UUID), RUNLOCK_HELD);
	/* A second owner is refused, even in the same process, and told who. */
	b = take(fx, "", &prev, &held, &e);
	assert_null(b);
	assert_true(held);
	assert_int_equal(prev.pid, getpid());
	assert_string_equal(prev.user, "alice");
	assert_string_equal(prev.host, "bastion");
	assert_string_equal(prev.cgroup, "/sys/fs/cgroup/x");
	assert_non_null(strstr(prev.since, "T"));
	/* Let go, not ended (resumable): the file stays, unlocked. */
	runlock_release(a, false);
	assert_int_equal(runlock_probe(fx->db, UUID), RUNLOCK_FREE);
	assert_int_equal(access(fx->lock, F_OK), 0);
	/* The next owner learns about the last one. */
	a = take(fx, "", &prev, &held, &e);
	assert_non_null(a);
	assert_int_equal(prev.pid, getpid());
	assert_string_equal(prev.cgroup, "/sys/fs/cgroup/x");
	runlock_release(a, true);
	assert_int_equal(access(fx->lock, F_OK), -1);
	assert_int_equal(runlock_probe(fx->db, UUID), RUNLOCK_FREE);
	runlock_release(NULL, true);
}

/* The lock goes with its process, however it ends. */
static void
test_owner_killed(void **state)
{
	struct fx *fx = *state;
	struct runlock_owner prev;
	struct runlock *l;
	struct err e;
	int p[2], status;
	bool held;
	pid_t pid;
	char c;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		l = take(fx, "/cg/run", &prev, &held, &e);
		if (write(p[1], l != NULL ? "y" : "n", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	assert_int_equal(runlock_probe(fx->db, UUID), RUNLOCK_HELD);
	assert_null(take(fx, "", &prev, &held, &e));
	assert_int_equal(prev.pid, pid);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(runlock_probe(fx->db, UUID), RUNLOCK_FREE);
	l = take(fx, "", &prev, &held, &e);
	assert_non_null(l);
	assert_int_equal(prev.pid, pid);
	assert_string_equal(prev.cgroup, "/cg/run");
	runlock_release(l, true);
	close(p[0]);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Private beside a private history, group-shared beside a shared one. */
static void
test_modes(void **state)
{
	struct fx *fx = *state;
	char *locks = xasprintf("%s-locks", fx->db);
	struct runlock_owner prev;
	struct runlock *l;
	struct err e;
	bool held;

	assert_int_equal(chmod(fx->dir, 0700), 0);
	l = take(fx, "", &prev, &held, &e);
	assert_non_null(l);
	assert_int_equal(mode_of(locks), 0700);
	assert_int_equal(mode_of(fx->lock), 0600);
	runlock_release(l, true);
	assert_int_equal(rmdir(locks), 0);

	assert_int_equal(chmod(fx->dir, 02770), 0);
	l = take(fx, "", &prev, &held, &e);
	assert_non_null(l);
	assert_int_equal(mode_of(locks), 02770);
	assert_int_equal(mode_of(fx->lock), 0660);
	runlock_release(l, true);

	/* Writable by everyone: anyone could take a run from its owner. */
	assert_int_equal(chmod(locks, 0777), 0);
	assert_null(take(fx, "", &prev, &held, &e));
	assert_false(held);
	assert_non_null(strstr(e.msg, "writable by everyone"));
	free(locks);
}

/* A lock file that is not a plain file is refused at once, never followed
 * or waited on; looking at it says nothing either way. */
static void
test_not_a_file(void **state)
{
	struct fx *fx = *state;
	char *locks = xasprintf("%s-locks", fx->db);
	char *target = xasprintf("%s/target", fx->dir), *other = xasprintf("%s/other", fx->dir);
	struct runlock_owner me, prev;
	struct err e;
	bool held;

	assert_int_equal(mkdir(locks, 0700), 0);
	assert_int_equal(symlink(target, fx->lock), 0);
	assert_null(take(fx, "", &prev, &held, &e));
	assert_false(held);
	assert_non_null(strstr(e.msg, "symbolic link"));
	assert_int_equal(access(target, F_OK), -1);	/* not created through the link */
	assert_int_equal(runlock_probe(fx->db, UUID), RUNLOCK_UNKNOWN);
	assert_int_equal(unlink(fx->lock), 0);

	assert_int_equal(mkfifo(fx->lock, 0600), 0);
	assert_null(take(fx, "", &prev, &held, &e));
	assert_non_null(strstr(e.msg, "not a plain file"));
	assert_int_equal(runlock_probe(fx->db, UUID), RUNLOCK_UNKNOWN);
	assert_int_equal(unlink(fx->lock), 0);

	assert_int_equal(close(creat(other, 0600)), 0);
	assert_int_equal(link(other, fx->lock), 0);
	assert_null(take(fx, "", &prev, &held, &e));
	assert_non_null(strstr(e.msg, "hard links"));
	assert_int_equal(unlink(fx->lock), 0);

	/* The directory itself replaced by a file or a link. */
	assert_int_equal(rmdir(locks), 0);
	assert_int_equal(symlink(fx->dir, locks), 0);
	assert_null(take(fx, "", &prev, &held, &e));
	assert_non_null(strstr(e.msg, "not a directory"));
	assert_int_equal(unlink(locks), 0);
	assert_int_equal(close(creat(locks, 0600)), 0);
	assert_null(take(fx, "", &prev, &held, &e));
	assert_non_null(strstr(e.msg, "not a directory"));

	/* Nor is a UUID that could leave the directory taken. */
	runlock_owner_self(&me, "alice", "bastion");
	assert_null(runlock_take(fx->db, "../../etc/passwd", &me, &prev, &held, &e));
	assert_non_null(strstr(e.msg, "not a run UUID"));
	assert_int_equal(runlock_probe(fx->db, "../x"), RUNLOCK_UNKNOWN);
	free(locks);
	free(target);
	free(other);
}

/* Where the lock directory cannot be made. */
static void
test_no_directory(void **state)
{
	struct fx *fx = *state;
	struct runlock_owner prev;
	struct err e;
	bool held;

	snprintf(fx->db, sizeof fx->db, "%s/missing/history.db", fx->dir);
	assert_null(take(fx, "", &prev, &held, &e));
	assert_false(held);
	assert_non_null(strstr(e.msg, "cannot create the lock directory"));
	assert_non_null(strstr(e.msg, "missing/history.db-locks"));
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_one_owner),
		T(test_owner_killed),
		T(test_modes),
		T(test_not_a_file),
		T(test_no_directory),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
