/* ctl.h - a run's control socket: the server side of the protocol
 * (proto.h), in the process that owns the run.
 *
 * The socket is RUNTIME_DIR/UUID.sock (paths.h: the runtime directory is
 * private, 0700), itself mode 0600, made by the run's owner once it holds
 * the run's lock (runlock.h) and removed by ctl_free.  A socket file left
 * by an owner that was killed is stale: whoever holds the lock next
 * replaces it.  Every connection's peer is taken from the kernel
 * (SO_PEERCRED), never from what it says; for now only the run's owner
 * (and root, whom file modes do not stop anyway) may connect, and only
 * the owner may cancel.
 *
 * The server runs in a thread of its own (ctl.c says why) and reaches the
 * run only through engine_cancel and a reader of the run's ring that is
 * not its gate, so no client can slow the executor or the history writer.
 */
#ifndef DROVER_CTL_H
#define DROVER_CTL_H

#include <stdint.h>

#include "err.h"

struct engine;
struct ring;
struct workflow;

struct ctl;

/* What the server serves; everything it points to outlives the server. */
struct ctl_run {
	int64_t run;			/* its number in the history */
	const char *uuid;
	const char *db;			/* the history, for what the ring no longer holds */
	const struct workflow *wf;
	const char *user, *host;	/* the owner */
	int64_t kill_grace_ms;		/* for the reply to a cancel */
	struct engine *en;
	struct ring *ring;
};

/* The socket of run uuid in runtime_dir; NULL with e set when the path
 * does not fit in a Unix socket address.  Caller frees. */
char *ctl_socket_path(const char *runtime_dir, const char *uuid, struct err *e);

/* Makes the socket and listens on it; clients wait in its backlog until
 * ctl_start.  Call it before the process starts any thread: it sets the
 * umask for a moment, so the socket never exists with a wider mode.  NULL
 * with e set.  Free with ctl_free. */
struct ctl *ctl_listen(const char *runtime_dir, const char *uuid, struct err *e);
/* Starts serving r from the server's thread; -1 with e set (a thread
 * limit).  The reader of the ring is made here: call it before the
 * engine starts, so the server sees the run from its first event. */
int ctl_start(struct ctl *c, const struct ctl_run *r, struct err *e);
/* Stops the thread, drops every client and removes the socket.  Call it
 * before the ring and the engine go.  NULL is a no-op. */
void ctl_free(struct ctl *c);

#endif
