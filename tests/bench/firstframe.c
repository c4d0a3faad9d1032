/* firstframe.c - how long a console takes to show its first whole screen.
 *
 *   firstframe COLS ROWS TEXT CMD [ARG]...
 *
 * Runs CMD on a pseudo-terminal of COLS x ROWS and prints the milliseconds
 * from starting it until TEXT has appeared in what it wrote (the console
 * draws its footer last, so the footer's text marks a whole frame), or
 * "timeout" after 10 s.  Then it types "q" and ends CMD.  For `make bench`.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pty.h"

#define SEEN_MAX (1 << 20)

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	static char seen[SEEN_MAX + 1];
	size_t len = 0;
	double start, took = -1;
	pid_t pid;
	int fd;

	if (argc < 5) {
		fprintf(stderr, "usage: firstframe COLS ROWS TEXT CMD [ARG]...\n");
		return 2;
	}
	start = now_ms();
	if ((pid = pty_spawn("firstframe", atoi(argv[1]), atoi(argv[2]), argv + 4, &fd)) < 0)
		return 1;
	while (took < 0 && now_ms() - start < 10000) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((r = read(fd, seen + len, SEEN_MAX - len)) <= 0)
			break;
		len += (size_t)r;
		seen[len] = '\0';
		if (strstr(seen, argv[3]) != NULL)
			took = now_ms() - start;
		if (len == SEEN_MAX)
			len = 0;	/* a frame is far smaller: start over */
	}
	if (took < 0)
		printf("timeout\n");
	else
		printf("%.0f\n", took);
	if (write(fd, "q", 1) < 0)
		perror("firstframe: write");
	usleep(300000);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return took < 0;
}
