/* spawnfloor.c - the floor under drover's scheduling: N runs of
 * `/bin/sh -c CMD`, P at a time, each started with posix_spawn in a
 * process group of its own, stdin from /dev/null, stdout and stderr read
 * through pipes until both end, then reaped.  No graph, no history: what
 * any runner of N commands must pay on this machine.
 *
 *   spawnfloor N P [CMD]	(CMD defaults to "true")
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct child {
	pid_t pid;
	int fd[2];	/* stdout, stderr; -1 once ended */
};

static int
start(struct child *c, const char *cmd)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int out[2], err[2], rc;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&at, 0);
	rc = posix_spawn(&c->pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(out[1]);
	close(err[1]);
	c->fd[0] = out[0];
	c->fd[1] = err[0];
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 3 ? argv[3] : "true";
	long n = argc > 2 ? atol(argv[1]) : 0, p = argc > 2 ? atol(argv[2]) : 0;
	long started = 0, done = 0;
	struct child *c;
	struct pollfd *pf;
	char buf[65536];

	if (n <= 0 || p <= 0) {
		fprintf(stderr, "usage: spawnfloor N P [CMD]\n");
		return 2;
	}
	c = calloc(p, sizeof *c);
	pf = calloc(2 * p, sizeof *pf);
	while (done < n) {
		for (long i = 0; i < p && started < n; i++)
			if (c[i].pid == 0) {
				if (start(&c[i], cmd) < 0) {
					perror("spawnfloor");
					return 1;
				}
				started++;
			}
		for (long i = 0; i < 2 * p; i++) {
			pf[i].fd = c[i / 2].pid != 0 ? c[i / 2].fd[i % 2] : -1;
			pf[i].events = POLLIN;
		}
		if (poll(pf, 2 * p, -1) < 0 && errno != EINTR)
			return 1;
		for (long i = 0; i < 2 * p; i++) {
			struct child *k = &c[i / 2];

			if (pf[i].fd < 0 || pf[i].revents == 0)
				continue;
			if (read(pf[i].fd, buf, sizeof buf) <= 0) {
				close(pf[i].fd);
				k->fd[i % 2] = -1;
				if (k->fd[0] < 0 && k->fd[1] < 0) {
					while (waitpid(k->pid, NULL, 0) < 0 && errno == EINTR)
						;
					k->pid = 0;
					done++;
				}
			}
		}
	}
	return 0;
}
