/* client.h - talking to a run's process through its control socket
 * (ctl.h), as drover cancel does: connect, exchange hellos, then one
 * request and its reply at a time.  Every wait is bounded
 * (CLIENT_TIMEOUT_MS), so a process that stopped answering cannot hang a
 * command.
 */
#ifndef DROVER_CLIENT_H
#define DROVER_CLIENT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "err.h"

#define CLIENT_TIMEOUT_MS 10000

struct client;

/* Connects to the socket of run uuid in runtime_dir and says hello.  NULL
 * with e set when that fails; *absent then tells that nobody serves the
 * run there (no socket, or one its process left when it died).  Free with
 * client_free. */
struct client *client_connect(const char *runtime_dir, const char *uuid, bool *absent,
    struct err *e);
/* The server's hello (its run, uuid, workflow; "you": the peer it sees);
 * stays the client's. */
const cJSON *client_hello(const struct client *c);
/* Sends req (which stays the caller's) and waits for the next message:
 * its reply, which may be an error reply ("type": "error").  NULL with e
 * set when the connection fails or nothing fit comes in time.  The reply
 * is the caller's (cJSON_Delete). */
cJSON *client_request(struct client *c, const cJSON *req, struct err *e);
/* Streaming (an attached console): the socket, to poll for input; one
 * request sent without waiting for its reply; and the next message that
 * has come in without waiting for one: 1 with *msg set (the caller's), 0
 * when none is there yet, -1 with e set when the connection ended or
 * failed. */
int client_fd(const struct client *c);
int client_send_request(struct client *c, const cJSON *req, struct err *e);
int client_next(struct client *c, cJSON **msg, struct err *e);
void client_free(struct client *c);

#endif
