/* client.c - the client side of the control socket (client.h). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "ctl.h"
#include "monotime.h"
#include "proto.h"
#include "xmalloc.h"

struct client {
	int fd;
	char *path;		/* for messages */
	struct proto_dec dec;
	cJSON *hello;
	char buf[4096];		/* read but not fed yet: buf[off..len) */
	size_t off, len;
};

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	proto_dec_fini(&c->dec);
	cJSON_Delete(c->hello);
	free(c->path);
	free(c);
}

/* Waits until fd is ready for events or the deadline (monotonic ms)
 * passes; -1 with e set then. */
static int
client_wait(struct client *c, short events, int64_t deadline, struct err *e)
{
	struct pollfd p = { .fd = c->fd, .events = events };

	for (;;) {
		int64_t left = deadline - monotime_ms();
		int rc;

		if (left <= 0)
			return err_set(e, "the run's process did not answer within %d s on %s",
			    CLIENT_TIMEOUT_MS / 1000, c->path);
		rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return err_set(e, "cannot wait for %s: %s", c->path, strerror(errno));
	}
}

static int
client_send(struct client *c, const cJSON *msg, int64_t deadline, struct err *e)
{
	size_t len, off = 0;
	char *line = proto_encode(msg, &len);

	if (line == NULL)
		return err_set(e, "a request to %s is over the protocol's limit of 1 MiB", c->path);
	while (off < len) {
		ssize_t n = send(c->fd, line + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			err_set(e, "cannot write to %s: %s", c->path, strerror(errno));
		else if (client_wait(c, POLLOUT, deadline, e) == 0)
			continue;
		free(line);
		return -1;
	}
	free(line);
	return 0;
}

int
client_next(struct client *c, cJSON **msg, struct err *e)
{
	struct proto_fail f;
	struct proto_msg m;
	size_t used;

	for (;;) {
		ssize_t n;

		while (c->off < c->len) {
			enum proto_rc rc = proto_dec_feed(&c->dec, c->buf + c->off, c->len - c->off,
			    &used, &m, &f);

			c->off += used;
			if (rc == PROTO_MESSAGE) {
				*msg = m.json;
				return 1;
			}
			if (rc == PROTO_FAILED)
				return err_set(e, "the run's process sent what drover cannot read on "
				    "%s: %s", c->path, f.e.msg);
		}
		c->off = c->len = 0;
		n = recv(c->fd, c->buf, sizeof c->buf, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && errno != ECONNRESET)
			return err_set(e, "cannot read from %s: %s", c->path, strerror(errno));
		if (n <= 0)
			return err_set(e, "the run's process closed its control socket %s", c->path);
		c->len = (size_t)n;
	}
}

/* The next message from the server, waiting for it; NULL with e set. */
static cJSON *
client_receive(struct client *c, int64_t deadline, struct err *e)
{
	cJSON *msg;
	int rc;

	while ((rc = client_next(c, &msg, e)) == 0)
		if (client_wait(c, POLLIN, deadline, e) < 0)
			return NULL;
	return rc > 0 ? msg : NULL;
}

int
client_fd(const struct client *c)
{
	return c->fd;
}

int
client_send_request(struct client *c, const cJSON *req, struct err *e)
{
	return client_send(c, req, monotime_ms() + CLIENT_TIMEOUT_MS, e);
}

cJSON *
client_request(struct client *c, const cJSON *req, struct err *e)
{
	int64_t deadline = monotime_ms() + CLIENT_TIMEOUT_MS;

	if (client_send(c, req, deadline, e) < 0)
		return NULL;
	return client_receive(c, deadline, e);
}

const cJSON *
client_hello(const struct client *c)
{
	return c->hello;
}

/* The message of an error reply, or "" when msg is none. */
static const char *
client_error_text(const cJSON *msg)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(msg, "type");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(msg, "message");

	if (!cJSON_IsString(t) || strcmp(t->valuestring, "error") != 0)
		return "";
	return cJSON_IsString(m) ? m->valuestring : "an error without a message";
}

struct client *
client_connect(const char *runtime_dir, const char *uuid, bool *absent, struct err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct client *c;
	cJSON *hello, *reply;
	const cJSON *t;

	*absent = false;
	c = xcalloc(1, sizeof *c);
	c->fd = -1;
	proto_dec_init(&c->dec, PROTO_SERVER);
	if ((c->path = ctl_socket_path(runtime_dir, uuid, e)) == NULL)
		goto fail;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", c->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		err_set(e, "cannot make a socket: %s%s", strerror(errno), err_sys_hint(errno));
		goto fail;
	}
	/* A connect to a Unix socket does not wait long: the server's
	 * backlog takes it or refuses it. */
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		*absent = errno == ENOENT || errno == ECONNREFUSED;
		err_set(e, "cannot connect to %s: %s", c->path, strerror(errno));
		goto fail;
	}
	hello = proto_hello_new(PROTO_CLIENT);
	reply = client_request(c, hello, e);
	cJSON_Delete(hello);
	if (reply == NULL)
		goto fail;
	t = cJSON_GetObjectItemCaseSensitive(reply, "type");
	if (!cJSON_IsString(t) || strcmp(t->valuestring, "hello") != 0) {
		if (*client_error_text(reply) != '\0')
			err_set(e, "%s", client_error_text(reply));
		else
			err_set(e, "the run's process did not answer the hello on %s", c->path);
		cJSON_Delete(reply);
		goto fail;
	}
	c->hello = reply;
	return c;
fail:
	client_free(c);
	return NULL;
}
