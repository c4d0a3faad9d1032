/* timeit.c - runs a command as a whole process and prints what it cost:
 *
 *   timeit FILE CMD [ARG...]
 *   -> appends "WALL_MS USER_MS SYS_MS MAXRSS_KIB OUT_BYTES" to FILE
 *
 * The kernel's own accounting of the finished process and the children it
 * waited for (wait4): wall time from fork to reap, CPU time, the largest
 * resident set, and the bytes written to storage (ru_oublock, counted when
 * a page is first dirtied).  The command's own output goes where timeit's
 * goes; its exit status is timeit's (2: timeit itself failed).  Public tools would do (/usr/bin/time
 * -f), but this one is always here and prints milliseconds to 0.01.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double
tv_ms(struct timeval tv)
{
	return tv.tv_sec * 1e3 + tv.tv_usec / 1e3;
}

int
main(int argc, char **argv)
{
	struct rusage ru;
	double t0, t1;
	FILE *out;
	pid_t pid;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: timeit FILE CMD [ARG...]\n");
		return 2;
	}
	if ((out = fopen(argv[1], "ae")) == NULL) {
		perror(argv[1]);
		return 2;
	}
	t0 = now_ms();
	pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "timeit: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("timeit: wait4");
			return 2;
		}
	t1 = now_ms();
	fprintf(out, "%.2f %.2f %.2f %ld %lld\n", t1 - t0, tv_ms(ru.ru_utime),
	    tv_ms(ru.ru_stime), ru.ru_maxrss, (long long)ru.ru_oublock * 512);
	if (fclose(out) != 0) {
		perror(argv[1]);
		return 2;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
