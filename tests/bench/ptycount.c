/* ptycount.c - how many bytes a program writes to its terminal.
 *
 *   ptycount WARMUP SECONDS COLS ROWS CMD [ARG]...
 *
 * Runs CMD on a pseudo-terminal of COLS x ROWS, lets it start for WARMUP
 * seconds (what it writes then is not counted), then counts the bytes it
 * writes for SECONDS and prints "BYTES bytes in SECONDS s = N bytes/s".
 * Then it types "q" and ends CMD.  For `make bench`: an idle console must
 * write nothing.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pty.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads what the program writes until `until`; returns the bytes. */
static long
drain(int fd, double until)
{
	char buf[65536];
	long total = 0;
	double now;

	while ((now = now_s()) < until) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, (int)((until - now) * 1000) + 1) <= 0)
			continue;
		if ((r = read(fd, buf, sizeof buf)) <= 0)
			break;
		total += r;
	}
	return total;
}

int
main(int argc, char **argv)
{
	double warm, secs;
	long bytes;
	pid_t pid;
	int fd;

	if (argc < 6) {
		fprintf(stderr, "usage: ptycount WARMUP SECONDS COLS ROWS CMD [ARG]...\n");
		return 2;
	}
	warm = atof(argv[1]);
	secs = atof(argv[2]);
	if ((pid = pty_spawn("ptycount", atoi(argv[3]), atoi(argv[4]), argv + 5, &fd)) < 0)
		return 1;
	drain(fd, now_s() + warm);
	bytes = drain(fd, now_s() + secs);
	printf("%ld bytes in %.0f s = %.0f bytes/s\n", bytes, secs, (double)bytes / secs);
	if (write(fd, "q", 1) < 0)
		perror("ptycount: write");
	drain(fd, now_s() + 0.5);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return 0;
}
