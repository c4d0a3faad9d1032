/* sockpeer.c - a client of a Unix stream socket for the shell tests, able
 * to misbehave (no Debian tool that CI installs speaks Unix sockets).
 *
 *   sockpeer [-k] [-R] [-p MS] [-t SECONDS] PATH
 *
 * Sends its standard input to the socket as it comes and copies what the
 * socket sends to standard output.  At the end of its input it shuts its
 * side of the connection (a line cut short then stays cut short), unless
 * -k keeps it open.  -R never reads from the socket (a client that lets
 * replies pile up); -p reads nothing for the first MS milliseconds (a
 * client that falls behind, then catches up).  It ends when the server closes the connection (exit
 * 0, "sockpeer: closed" on standard error, with "after a write failed:
 * ERROR" when writing failed first) or after SECONDS (default 10; exit 3,
 * "sockpeer: timeout").  2: it could not connect.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
closed(const char *why, unsigned long long sent)
{
	fprintf(stderr, "sockpeer: closed%s%s, after sending %llu bytes\n",
	    why != NULL ? " after a write failed: " : "", why != NULL ? why : "", sent);
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	bool keep = false, no_read = false, in_open = true, writing = true;
	static char in[65536], out[65536];
	size_t in_len = 0, in_off = 0;
	unsigned long long sent = 0;
	const char *write_error = NULL;
	long long deadline, read_from;
	int c, fd, secs = 10, pause_ms = 0;

	while ((c = getopt(argc, argv, "kRp:t:")) != -1) {
		switch (c) {
		case 'k':
			keep = true;
			break;
		case 'R':
			no_read = true;
			break;
		case 't':
			secs = atoi(optarg);
			break;
		case 'p':
			pause_ms = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: sockpeer [-k] [-R] [-p MS] [-t SECONDS] PATH\n");
			return 2;
		}
	}
	if (optind != argc - 1 || strlen(argv[optind]) >= sizeof sa.sun_path) {
		fprintf(stderr, "usage: sockpeer [-k] [-R] [-p MS] [-t SECONDS] PATH\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[optind]);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "sockpeer: connect %s: %s\n", argv[optind], strerror(errno));
		return 2;
	}
	deadline = now_ms() + secs * 1000LL;
	read_from = now_ms() + pause_ms;
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = fd, .events = 0 },
			{ .fd = 0, .events = POLLIN },
		};
		long long left = deadline - now_ms();
		bool reading = !no_read && now_ms() >= read_from;
		int n;

		if (left <= 0) {
			fprintf(stderr, "sockpeer: timeout, after sending %llu bytes\n", sent);
			return 3;
		}
		if (reading)
			p[0].events |= POLLIN;
		else if (!no_read && read_from - now_ms() < left)
			left = read_from - now_ms() + 1;
		if (writing && in_off < in_len)
			p[0].events |= POLLOUT;
		n = poll(p, in_open && writing && in_off == in_len ? 2 : 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("sockpeer: poll");
			return 2;
		}
		if (p[1].revents != 0) {
			ssize_t r = read(0, in, sizeof in);

			if (r <= 0) {
				in_open = false;
				if (!keep)
					shutdown(fd, SHUT_WR);
			} else {
				in_len = (size_t)r;
				in_off = 0;
			}
		}
		if (p[0].revents & POLLOUT) {
			ssize_t w = send(fd, in + in_off, in_len - in_off, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (w > 0) {
				in_off += (size_t)w;
				sent += (unsigned long long)w;
			} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				/* The server has gone; what it said may still be
				 * waiting to be read. */
				write_error = strerror(errno);
				writing = false;
				if (no_read)
					return closed(write_error, sent);
			}
		}
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && (reading || no_read)) {
			ssize_t r = no_read ? 0 : recv(fd, out, sizeof out, MSG_DONTWAIT);

			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			/* Hung up on while there was more to send: the next
			 * write would fail, whichever the kernel said first. */
			if (r <= 0 && write_error == NULL && writing && in_open)
				write_error = "the server hung up with more to send";
			if (r <= 0)
				return closed(write_error, sent);
			if (fwrite(out, 1, (size_t)r, stdout) != (size_t)r)
				return 2;
			fflush(stdout);
		}
	}
}
