/* pty.h - the benchmarks' way to run a program on a terminal of a size. */
#ifndef DROVER_BENCH_PTY_H
#define DROVER_BENCH_PTY_H

#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Starts argv on a new pseudo-terminal of cols x rows with TERM set, as
 * a terminal emulator would; its pid, with the terminal's master side in
 * *fd, or -1 after saying why. */
static inline pid_t
pty_spawn(const char *who, int cols, int rows, char **argv, int *fd)
{
	struct winsize ws = { .ws_col = (unsigned short)cols, .ws_row = (unsigned short)rows };
	pid_t pid = forkpty(fd, NULL, NULL, &ws);

	if (pid < 0) {
		fprintf(stderr, "%s: forkpty: ", who);
		perror(NULL);
		return -1;
	}
	if (pid == 0) {
		setenv("TERM", "xterm-256color", 1);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: exec %s: ", who, argv[0]);
		perror(NULL);
		_exit(127);
	}
	return pid;
}

#endif
