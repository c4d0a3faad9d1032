/* ctl.c - the control socket's server (ctl.h).
 *
 *   ring ──(reader, not the gate: durable events only)──► ctl thread ◄──► clients
 *                                                           │  status: folded from the
 *   executor ◄──engine_cancel (an eventfd)──────────────────┘  events; cancel
 *
 * Why a thread of its own and not the executor's epoll loop: the loop and
 * all it holds are the executor's (engine.c), and its latency is the
 * scheduler's.  Reading up to a megabyte of a client's line, parsing its
 * JSON and writing replies must never delay a step starting, and a client
 * must never hold anything the executor or the history writer waits for.
 * So this thread has its own loop (loop.c) and touches the run only
 * through engine_cancel, which is thread-safe and never blocks, and a ring
 * reader that is not the gate: such a reader never slows the producer
 * (when lapped it reads what it missed from the history instead).
 *
 * Every client's memory is bounded: its decoder holds at most one line of
 * PROTO_MAX_LINE bytes, its output at most CTL_OUT_MAX bytes; a client
 * that lets its output pile up (it never reads) is disconnected.  A client
 * must say hello within CTL_HELLO_MS, and at most CTL_MAX_CLIENTS are
 * served at once.  A client whose error closes its connection gets the
 * error first, for up to CTL_LINGER_MS.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "dur.h"
#include "engine.h"
#include "event.h"
#include "exec.h"
#include "json.h"
#include "loop.h"
#include "model.h"
#include "monotime.h"
#include "proto.h"
#include "ring.h"
#include "share.h"
#include "store.h"
#include "strbuf.h"
#include "wf.h"
#include "xmalloc.h"

#define CTL_MAX_CLIENTS 64
#define CTL_OUT_MAX (256u << 10)
#define CTL_HELLO_MS 10000
#define CTL_LINGER_MS 2000
#define CTL_READ_CHUNK 65536
#define CTL_BACKLOG 16
#define CTL_COMMENT_MAX 4096

struct ctl_conn {
	struct ctl *ctl;
	int fd;
	uid_t uid;		/* the peer, as the kernel says */
	pid_t pid;
	char user[64];
	struct proto_dec dec;
	struct strbuf out;	/* replies not sent yet, from out_off */
	size_t out_off;
	struct loop_timer *timer;	/* the hello deadline, then the linger */
	bool hello, closing;
	bool eof;		/* it sent all it will (it may still read) */
	bool attached;		/* it gets every event... */
	bool behind;		/* ... unless it fell behind: then a new snapshot */
	uint64_t ticket;	/* a decision it waits to hear of, or 0 */
	cJSON *ticket_req;	/* ... the request, for the reply's id */
	struct ctl_conn *prev, *next;
};

struct ctl {
	int fd;			/* listening */
	char *path;
	dev_t dev;		/* the socket file this server made */
	ino_t ino;
	struct ctl_run r;
	uid_t owner;
	pthread_t thread;
	bool started, stop;
	int stop_fd;		/* an eventfd: ctl_free wakes the thread */
	struct loop *loop;
	struct ring_reader *rd;
	struct store *history;	/* opened when the reader is lapped */
	struct model m;		/* the run as the history has it */
	int64_t stop_by;	/* stopping: the last clients get until then */
	int cancels;
	uint64_t tickets;	/* decisions handed to the engine */
	struct ctl_conn *conns;
	int n_conns;
	char rbuf[CTL_READ_CHUNK];
};

char *
ctl_socket_path(const char *runtime_dir, const char *uuid, struct err *e)
{
	struct sockaddr_un sa;
	char *path = xasprintf("%s/%s.sock", runtime_dir, uuid);

	if (strlen(path) >= sizeof sa.sun_path) {
		err_set(e, "the control socket %s is too long for a Unix socket (%zu bytes, at "
		    "most %zu): set DROVER_RUNTIME_DIR to a shorter directory", path, strlen(path),
		    sizeof sa.sun_path - 1);
		free(path);
		return NULL;
	}
	return path;
}

struct ctl *
ctl_listen(const char *runtime_dir, const char *uuid, struct err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl *c;
	struct stat st;
	mode_t old, dmode, fmode;
	int rc;

	c = xcalloc(1, sizeof *c);
	c->fd = c->stop_fd = -1;
	if ((c->path = ctl_socket_path(runtime_dir, uuid, e)) == NULL)
		goto fail;
	/* The caller holds the run's lock: a socket already there was left
	 * by an owner that died, and nobody serves it. */
	if (lstat(c->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			err_set(e, "%s is in the way of the run's control socket (it is not a "
			    "socket): remove it", c->path);
			goto fail;
		}
		if (unlink(c->path) < 0) {
			err_set(e, "cannot remove the stale control socket %s: %s", c->path,
			    strerror(errno));
			goto fail;
		}
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		err_set(e, "cannot make the run's control socket (socket: %s)%s", strerror(errno),
		    err_sys_hint(errno));
		goto fail;
	}
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", c->path);
	/* 0600; 0660 in a directory its group shares (share.h). */
	share_modes(runtime_dir, &dmode, &fmode);
	old = umask(0777 & ~fmode);
	rc = bind(c->fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc < 0) {
		err_set(e, "cannot make the run's control socket %s: %s", c->path, strerror(errno));
		goto fail;
	}
	if (lstat(c->path, &st) < 0 || !S_ISSOCK(st.st_mode) || (st.st_mode & 0777) != fmode) {
		err_set(e, "the run's control socket %s did not get mode %04o", c->path,
		    (unsigned)fmode);
		unlink(c->path);
		goto fail;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	if (listen(c->fd, CTL_BACKLOG) < 0) {
		err_set(e, "cannot listen on the run's control socket %s: %s", c->path,
		    strerror(errno));
		unlink(c->path);
		goto fail;
	}
	c->owner = getuid();
	return c;
fail:
	if (c->fd >= 0)
		close(c->fd);
	free(c->path);
	free(c);
	return NULL;
}

/* ---- following the run ---- */

static void ctl_broadcast(struct ctl *c, const struct event *ev);
static void ctl_decided(struct ctl *c, const struct event *ev);
static void ctl_all_behind(struct ctl *c);

struct ctl_catch_up {
	struct ctl *c;
	uint64_t until;
};

static int
ctl_fold_missed(void *ud, const struct event *ev)
{
	struct ctl_catch_up *k = ud;

	if (ev->seq >= k->until)
		return 1;
	model_apply(&k->c->m, ev);
	return 0;
}

/* The reader was lapped: what it missed is in the history, as every event
 * it could see was durable.  The clients missed it too, so each gets a
 * new snapshot. */
static void
ctl_catch_up(struct ctl *c)
{
	struct ctl_catch_up k = { c, ring_reader_seq(c->rd) };
	struct err e;

	ctl_all_behind(c);
	if (c->history == NULL && (c->history = store_open(c->r.db, true, &e)) == NULL)
		return;		/* the status is then behind until the next event */
	store_read_events(c->history, c->r.run, c->m.last_seq, STORE_STATE, -1, 0,
	    ctl_fold_missed, &k, &e);
}

static void
ctl_drain_events(struct ctl *c)
{
	struct event ev;

	for (;;) {
		switch (ring_read(c->rd, &ev, 0)) {
		case RING_EVENT:
			if (ev.seq > c->m.last_seq) {
				model_apply(&c->m, &ev);
				ctl_broadcast(c, &ev);
				if (ev.type == EV_APPROVAL)
					ctl_decided(c, &ev);
			}
			continue;
		case RING_LAPPED:
			ctl_catch_up(c);
			continue;
		case RING_END:
			loop_unwatch(c->loop, ring_reader_fd(c->rd));
			return;
		case RING_EMPTY:
			return;
		}
	}
}

static void
ctl_on_events(struct loop *l, int fd, uint32_t events, void *ud)
{
	(void)l;
	(void)fd;
	(void)events;
	ctl_drain_events(ud);
}

/* ---- clients ---- */

static void
ctl_conn_free(struct ctl_conn *k)
{
	struct ctl *c = k->ctl;

	loop_unwatch(c->loop, k->fd);
	close(k->fd);
	if (k->timer != NULL)
		loop_timer_cancel(c->loop, k->timer);
	proto_dec_fini(&k->dec);
	sb_fini(&k->out);
	cJSON_Delete(k->ticket_req);
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		c->conns = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	c->n_conns--;
	free(k);
}

static void ctl_on_conn(struct loop *, int, uint32_t, void *);
static bool ctl_conn_snapshot(struct ctl_conn *k, const cJSON *req);

/* Sends what is pending without waiting; false when the client is gone
 * (it was freed). */
static bool
ctl_conn_flush(struct ctl_conn *k)
{
	while (k->out_off < k->out.len) {
		ssize_t n = send(k->fd, k->out.buf + k->out_off, k->out.len - k->out_off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			ctl_conn_free(k);
			return false;
		}
		k->out_off += (size_t)n;
	}
	if (k->out_off == k->out.len) {
		sb_reset(&k->out);
		k->out_off = 0;
		if (k->closing) {
			ctl_conn_free(k);
			return false;
		}
		if (k->behind)		/* queues, and flushes again */
			return ctl_conn_snapshot(k, NULL);
	}
	loop_watch(k->ctl->loop, k->fd, (k->closing || k->eof ? 0 : EPOLLIN) |
	    (k->out.len > 0 ? EPOLLOUT : 0), ctl_on_conn, k);
	return true;
}

/* The bytes queued for k and not sent yet. */
static size_t
ctl_conn_pending(const struct ctl_conn *k)
{
	return k->out.len - k->out_off;
}

/* Queues msg (and frees it); false when the client is gone: it let its
 * replies reach CTL_OUT_MAX without reading, or its socket failed.  What
 * an attached client is streamed is bounded otherwise (ctl_broadcast), so
 * it is queued whatever is pending (unbounded). */
static bool
ctl_conn_queue(struct ctl_conn *k, cJSON *msg, bool bounded)
{
	size_t len;
	char *line = proto_encode(msg, &len);

	cJSON_Delete(msg);
	if (line == NULL)	/* a model part or an event is far below the limit */
		fatal("a message of the control socket is over the protocol's line limit");
	if (bounded && ctl_conn_pending(k) + len > CTL_OUT_MAX) {
		free(line);
		ctl_conn_free(k);
		return false;
	}
	if (k->out_off > 0 && k->out_off >= k->out.len / 2) {
		memmove(k->out.buf, k->out.buf + k->out_off, k->out.len - k->out_off);
		k->out.len -= k->out_off;
		k->out.buf[k->out.len] = '\0';
		k->out_off = 0;
	}
	sb_add(&k->out, line, len);
	free(line);
	return ctl_conn_flush(k);
}

static bool
ctl_conn_send(struct ctl_conn *k, cJSON *msg)
{
	return ctl_conn_queue(k, msg, true);
}

/* Queues the run as it is now, in parts, the reply to req (or NULL); then
 * every event after it follows.  False when the client is gone. */
static bool
ctl_conn_snapshot(struct ctl_conn *k, const cJSON *req)
{
	size_t from = 0;
	bool last;

	k->attached = true;
	k->behind = false;
	do {
		cJSON *o = proto_msg_new(PROTO_SNAPSHOT, req);

		last = model_snap_part(&k->ctl->m, o, &from);
		if (!ctl_conn_queue(k, o, false))
			return false;
	} while (!last);
	return true;
}

/* The client fell this far behind: it gets no more events until it has
 * read what it has, then a new snapshot. */
#define CTL_BEHIND_AT (CTL_OUT_MAX / 2)

static void
ctl_broadcast(struct ctl *c, const struct event *ev)
{
	struct ctl_conn *k, *next;

	for (k = c->conns; k != NULL; k = next) {
		next = k->next;
		if (!k->attached || k->behind || k->closing)
			continue;
		if (ctl_conn_pending(k) > CTL_BEHIND_AT) {
			k->behind = true;
			continue;
		}
		ctl_conn_queue(k, proto_event_new(ev, false), false);
	}
}

static void
ctl_all_behind(struct ctl *c)
{
	for (struct ctl_conn *k = c->conns; k != NULL; k = k->next)
		k->behind = k->attached;
}

static void
ctl_on_linger(struct loop *l, void *ud)
{
	struct ctl_conn *k = ud;

	(void)l;
	k->timer = NULL;
	ctl_conn_free(k);
}

/* Sends the error and closes once it is out (or after CTL_LINGER_MS);
 * nothing more is read.  Returns false: the client is done. */
static bool
ctl_conn_fail(struct ctl_conn *k, enum proto_code code, const char *message, const cJSON *req)
{
	if (k->timer != NULL)
		loop_timer_cancel(k->ctl->loop, k->timer);
	k->timer = loop_timer_add(k->ctl->loop, CTL_LINGER_MS, ctl_on_linger, k);
	k->closing = true;
	ctl_conn_send(k, proto_error_new(code, message, req));
	return false;
}

static void
ctl_on_hello_late(struct loop *l, void *ud)
{
	struct ctl_conn *k = ud;

	(void)l;
	k->timer = NULL;
	ctl_conn_fail(k, PROTO_E_HELLO_FIRST, "no hello came within 10 s", NULL);
}

/* ---- requests ---- */

static bool
ctl_on_hello(struct ctl_conn *k, const cJSON *req)
{
	struct ctl *c = k->ctl;
	int v = proto_hello_version(req);
	char msg[160];
	cJSON *o, *you;

	if (k->hello)
		return ctl_conn_fail(k, PROTO_E_BAD_REQUEST, "a second hello", req);
	if (v != PROTO_VERSION) {
		if (v < 0)
			snprintf(msg, sizeof msg, "the hello names no \"protocol\" version (this run "
			    "speaks %d)", PROTO_VERSION);
		else
			snprintf(msg, sizeof msg, "this run speaks protocol %d, the client %d: use "
			    "the drover that started the run", PROTO_VERSION, v);
		return ctl_conn_fail(k, PROTO_E_VERSION, msg, req);
	}
	k->hello = true;
	if (k->timer != NULL) {
		loop_timer_cancel(c->loop, k->timer);
		k->timer = NULL;
	}
	o = proto_hello_new(PROTO_SERVER);
	cJSON_AddNumberToObject(o, "run", (double)c->r.run);
	cJSON_AddStringToObject(o, "uuid", c->r.uuid);
	cJSON_AddStringToObject(o, "workflow", c->r.wf->name);
	you = cJSON_AddObjectToObject(o, "you");
	cJSON_AddNumberToObject(you, "uid", (double)k->uid);
	cJSON_AddStringToObject(you, "user", k->user);
	return ctl_conn_send(k, o);
}

static bool
ctl_on_status(struct ctl_conn *k, const cJSON *req)
{
	struct ctl *c = k->ctl;
	const struct workflow *wf = c->r.wf;
	size_t counts[ST_CANCELLED + 1] = { 0 };
	cJSON *o = proto_msg_new(PROTO_STATUS, req), *steps, *active;
	char when[40];

	cJSON_AddNumberToObject(o, "run", (double)c->r.run);
	cJSON_AddStringToObject(o, "uuid", c->r.uuid);
	cJSON_AddStringToObject(o, "workflow", wf->name);
	cJSON_AddStringToObject(o, "status", run_status_name(c->m.status));
	cJSON_AddStringToObject(o, "user", c->r.user);
	cJSON_AddStringToObject(o, "host", c->r.host);
	cJSON_AddNumberToObject(o, "pid", (double)getpid());
	if (c->m.started_us != 0) {
		event_time_rfc3339(c->m.started_us, when, sizeof when);
		cJSON_AddStringToObject(o, "started_at", when);
	}
	cJSON_AddNumberToObject(o, "seq", (double)c->m.last_seq);
	steps = cJSON_AddObjectToObject(o, "steps");
	active = cJSON_AddArrayToObject(o, "active");
	for (size_t i = 0; i < wf->n_steps; i++) {
		const struct model_step *s = &c->m.steps[i];

		counts[s->status]++;
		if (s->status == ST_RUNNING || s->status == ST_WAITING || s->status == ST_RETRYING) {
			cJSON *a = cJSON_CreateObject();

			cJSON_AddStringToObject(a, "id", wf->steps[i].id);
			cJSON_AddStringToObject(a, "status", step_status_name(s->status));
			cJSON_AddNumberToObject(a, "attempt", s->attempt);
			cJSON_AddItemToArray(active, a);
		}
	}
	cJSON_AddNumberToObject(steps, "total", (double)wf->n_steps);
	for (int s = 0; s <= ST_CANCELLED; s++)
		if (counts[s] > 0)
			cJSON_AddNumberToObject(steps, step_status_name(s), (double)counts[s]);
	return ctl_conn_send(k, o);
}

static bool
ctl_on_cancel(struct ctl_conn *k, const cJSON *req)
{
	struct ctl *c = k->ctl;
	const cJSON *force = cJSON_GetObjectItemCaseSensitive(req, "force");
	char msg[512], grace[32];
	cJSON *o;
	bool kill;

	if (force != NULL && !cJSON_IsBool(force))
		return ctl_conn_fail(k, PROTO_E_BAD_REQUEST, "\"force\" is true or false", req);
	if (!share_may_cancel(k->uid, c->owner)) {
		snprintf(msg, sizeof msg, "only the user who started run %lld (%s)%s may cancel "
		    "it; you are %s", (long long)c->r.run, c->r.user, share_get()->admins != NULL ?
		    " or an admin" : "", k->user);
		return ctl_conn_send(k, proto_error_new(PROTO_E_DENIED, msg, req));
	}
	o = proto_msg_new(PROTO_OK, req);
	if (c->m.ended) {
		snprintf(msg, sizeof msg, "run %lld has already ended (%s)", (long long)c->r.run,
		    run_status_name(c->m.status));
		cJSON_AddStringToObject(o, "message", msg);
		cJSON_AddStringToObject(o, "status", run_status_name(c->m.status));
		return ctl_conn_send(k, o);
	}
	/* A second cancel kills, as a second Ctrl-C does. */
	kill = cJSON_IsTrue(force) || c->cancels > 0;
	c->cancels++;
	engine_cancel(c->r.en, kill);
	dur_format(c->r.kill_grace_ms, grace, sizeof grace);
	if (kill)
		snprintf(msg, sizeof msg, "killing every running step of run %lld",
		    (long long)c->r.run);
	else
		snprintf(msg, sizeof msg, "cancelling run %lld: its running steps get SIGTERM, "
		    "then SIGKILL %s later", (long long)c->r.run, grace);
	cJSON_AddStringToObject(o, "message", msg);
	cJSON_AddStringToObject(o, "status", run_status_name(c->m.status));
	return ctl_conn_send(k, o);
}

/* A decision is answered once the history has it: its EV_APPROVAL came
 * through the ring, carrying the ticket, refused or taken. */
static void
ctl_decided(struct ctl *c, const struct event *ev)
{
	cJSON *p = event_json(ev);
	double ticket = json_num(p, "ticket", 0);
	const char *by = json_str(p, "by"), *decision = json_str(p, "decision");
	struct ctl_conn *k;
	char msg[1400];
	cJSON *o;

	for (k = c->conns; ticket > 0 && k != NULL; k = k->next)
		if ((double)k->ticket == ticket)
			break;
	if (k == NULL) {
		cJSON_Delete(p);
		return;
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "refused"))) {
		o = proto_error_new(PROTO_E_DENIED, json_str(p, "reason") != NULL ?
		    json_str(p, "reason") : "refused", k->ticket_req);
	} else {
		snprintf(msg, sizeof msg, "%s %s step '%s' of run %lld", by != NULL ? by : "?",
		    decision != NULL ? decision : "decided", c->r.wf->steps[ev->step].id,
		    (long long)c->r.run);
		o = proto_msg_new(PROTO_OK, k->ticket_req);
		cJSON_AddStringToObject(o, "message", msg);
	}
	k->ticket = 0;
	cJSON_Delete(k->ticket_req);
	k->ticket_req = NULL;
	cJSON_Delete(p);
	k->closing = k->eof && !k->attached;
	ctl_conn_send(k, o);
}

/* approve and reject: checked for shape here, judged by the gate's rules
 * on the executor (step_approval.c). */
static bool
ctl_on_decide(struct ctl_conn *k, const cJSON *req, bool approve)
{
	struct ctl *c = k->ctl;
	const cJSON *step = cJSON_GetObjectItemCaseSensitive(req, "step");
	const cJSON *comment = cJSON_GetObjectItemCaseSensitive(req, "comment");
	const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(req, "inputs");
	const cJSON *hash = cJSON_GetObjectItemCaseSensitive(req, "hash");
	const struct step *s;
	struct decision d;
	char msg[256];

	if (!cJSON_IsString(step))
		return ctl_conn_fail(k, PROTO_E_BAD_REQUEST, "\"step\" is the id of a step", req);
	if ((comment != NULL && (!cJSON_IsString(comment) ||
	    strlen(comment->valuestring) > CTL_COMMENT_MAX)) ||
	    (inputs != NULL && (!approve || !cJSON_IsObject(inputs))) ||
	    (hash != NULL && (!cJSON_IsString(hash) || strlen(hash->valuestring) != 64)))
		return ctl_conn_fail(k, PROTO_E_BAD_REQUEST, "\"comment\" is a string of at most "
		    "4096 bytes, \"inputs\" an object (approve only), \"hash\" 64 hex digits",
		    req);
	if ((s = wf_find_step(c->r.wf, step->valuestring)) == NULL) {
		snprintf(msg, sizeof msg, "run %lld has no step '%.64s'", (long long)c->r.run,
		    step->valuestring);
		return ctl_conn_send(k, proto_error_new(PROTO_E_DENIED, msg, req));
	}
	if (k->ticket != 0)
		return ctl_conn_send(k, proto_error_new(PROTO_E_DENIED, "one decision at a time: "
		    "wait for the answer to the last one", req));
	memset(&d, 0, sizeof d);
	d.ticket = k->ticket = ++c->tickets;
	d.step = (size_t)(s - c->r.wf->steps);
	d.approve = approve;
	d.uid = k->uid;
	snprintf(d.user, sizeof d.user, "%s", k->user);
	d.comment = comment != NULL ? xstrdup(comment->valuestring) : NULL;
	d.inputs = inputs != NULL ? cJSON_Duplicate(inputs, true) : NULL;
	d.hash = hash != NULL ? xstrdup(hash->valuestring) : NULL;
	k->ticket_req = cJSON_Duplicate(req, true);
	engine_decide(c->r.en, &d);
	return true;
}

static bool
ctl_on_approve(struct ctl_conn *k, const cJSON *req)
{
	return ctl_on_decide(k, req, true);
}

static bool
ctl_on_reject(struct ctl_conn *k, const cJSON *req)
{
	return ctl_on_decide(k, req, false);
}

static bool
ctl_on_attach(struct ctl_conn *k, const cJSON *req)
{
	if (k->attached)
		return ctl_conn_fail(k, PROTO_E_BAD_REQUEST, "attached already", req);
	return ctl_conn_snapshot(k, req);
}

typedef bool ctl_request_fn(struct ctl_conn *k, const cJSON *req);

/* The requests a client may send, by type (proto.h). */
static ctl_request_fn *const requests[] = {
	[PROTO_HELLO] = ctl_on_hello,
	[PROTO_STATUS] = ctl_on_status,
	[PROTO_CANCEL] = ctl_on_cancel,
	[PROTO_ATTACH] = ctl_on_attach,
	[PROTO_APPROVE] = ctl_on_approve,
	[PROTO_REJECT] = ctl_on_reject,
};

/* Runs one request; false when the client is gone or going. */
static bool
ctl_conn_request(struct ctl_conn *k, const struct proto_msg *m)
{
	ctl_request_fn *fn = (size_t)m->type < sizeof requests / sizeof requests[0] ?
	    requests[m->type] : NULL;

	if (fn == NULL)		/* the decoder takes only what clients send */
		fatal("no handler for the control request %s", proto_type_name(m->type));
	if (!k->hello && m->type != PROTO_HELLO)
		return ctl_conn_fail(k, PROTO_E_HELLO_FIRST, "say hello first, with the "
		    "protocol version", m->json);
	return fn(k, m->json) && !k->closing;
}

static void
ctl_conn_read(struct ctl_conn *k)
{
	struct ctl *c = k->ctl;
	struct proto_fail f;
	struct proto_msg m;
	size_t off = 0, used;
	ssize_t n;

	n = recv(k->fd, c->rbuf, sizeof c->rbuf, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n < 0) {
		ctl_conn_free(k);
		return;
	}
	if (n == 0) {
		/* The client is done sending; what it asked is answered: a
		 * decision once it is recorded, events until the run ends. */
		if (proto_dec_end(&k->dec, &f) == PROTO_FAILED) {
			ctl_conn_fail(k, f.code, f.e.msg, NULL);
			return;
		}
		k->eof = true;
		k->closing = k->ticket == 0 && !k->attached;
		ctl_conn_flush(k);
		return;
	}
	while (off < (size_t)n) {
		switch (proto_dec_feed(&k->dec, c->rbuf + off, (size_t)n - off, &used, &m, &f)) {
		case PROTO_MORE:
			return;
		case PROTO_FAILED:
			ctl_conn_fail(k, f.code, f.e.msg, NULL);
			return;
		case PROTO_MESSAGE:
			off += used;
			if (!ctl_conn_request(k, &m)) {
				proto_msg_fini(&m);
				return;
			}
			proto_msg_fini(&m);
			break;
		}
	}
}

static void
ctl_on_conn(struct loop *l, int fd, uint32_t events, void *ud)
{
	struct ctl_conn *k = ud;

	(void)l;
	(void)fd;
	if ((events & EPOLLOUT) && !ctl_conn_flush(k))
		return;
	if ((events & (EPOLLHUP | EPOLLERR)) && (k->closing || k->eof))
		ctl_conn_free(k);	/* nobody reads what is left any more */
	else if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !k->closing)
		ctl_conn_read(k);
}

static void
ctl_peer_name(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) == 0 && res != NULL)
		snprintf(buf, size, "%s", pw.pw_name);
	else
		snprintf(buf, size, "%u", (unsigned)uid);
}


/* Refuses a connection at once, saying why, without waiting for it. */
static void
ctl_refuse(int fd, enum proto_code code, const char *message)
{
	size_t len;
	cJSON *msg = proto_error_new(code, message, NULL);
	char *line = proto_encode(msg, &len);

	if (send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* It goes without the reason. */
	}
	free(line);
	cJSON_Delete(msg);
	close(fd);
}

static void
ctl_on_accept(struct loop *l, int lfd, uint32_t events, void *ud)
{
	struct ctl *c = ud;
	struct ucred cred;
	socklen_t len = sizeof cred;
	struct ctl_conn *k;
	char msg[256], user[64];
	int fd;

	(void)events;
	for (int i = 0; i < CTL_BACKLOG; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;		/* EAGAIN, or a client that went already */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			close(fd);
			continue;
		}
		ctl_peer_name(cred.uid, user, sizeof user);
		if (!share_may_connect(cred.uid, c->owner)) {
			snprintf(msg, sizeof msg, "run %lld belongs to %s: user %s may not connect to it",
			    (long long)c->r.run, c->r.user, user);
			ctl_refuse(fd, PROTO_E_DENIED, msg);
			continue;
		}
		if (c->n_conns >= CTL_MAX_CLIENTS) {
			snprintf(msg, sizeof msg, "run %lld has %d clients already; try again later",
			    (long long)c->r.run, CTL_MAX_CLIENTS);
			ctl_refuse(fd, PROTO_E_BUSY, msg);
			continue;
		}
		k = xcalloc(1, sizeof *k);
		k->ctl = c;
		k->fd = fd;
		k->uid = cred.uid;
		k->pid = cred.pid;
		snprintf(k->user, sizeof k->user, "%s", user);
		proto_dec_init(&k->dec, PROTO_CLIENT);
		k->next = c->conns;
		if (c->conns != NULL)
			c->conns->prev = k;
		c->conns = k;
		c->n_conns++;
		k->timer = loop_timer_add(l, CTL_HELLO_MS, ctl_on_hello_late, k);
		loop_watch(l, fd, EPOLLIN, ctl_on_conn, k);
	}
}

/* ---- the thread ---- */

/* The run has ended (or its process is going): the clients get the last
 * events, and up to CTL_LINGER_MS to read what is queued for them. */
static void
ctl_on_stop(struct loop *l, int fd, uint32_t events, void *ud)
{
	struct ctl *c = ud;
	uint64_t v;

	(void)events;
	if (read(fd, &v, sizeof v) < 0) {
		/* Woken all the same. */
	}
	loop_unwatch(l, fd);
	loop_unwatch(l, c->fd);		/* nobody new */
	ctl_drain_events(c);
	for (struct ctl_conn *k = c->conns, *next; k != NULL; k = next) {
		next = k->next;
		if (k->ticket != 0 && ctl_conn_send(k, proto_error_new(PROTO_E_DENIED, "the run "
		    "ended before the decision was taken", k->ticket_req)))
			k->ticket = 0;
	}
	c->stop = true;
	c->stop_by = monotime_ms() + CTL_LINGER_MS;
}

/* Stopping, whether a client still has bytes to read. */
static bool
ctl_pending(const struct ctl *c)
{
	for (const struct ctl_conn *k = c->conns; k != NULL; k = k->next)
		if (ctl_conn_pending(k) > 0)
			return true;
	return false;
}

static void *
ctl_main(void *arg)
{
	struct ctl *c = arg;
	int64_t left;

	while (!c->stop)
		loop_run_once(c->loop, -1);
	while (ctl_pending(c) && (left = c->stop_by - monotime_ms()) > 0)
		loop_run_once(c->loop, (int)left);
	return NULL;
}

int
ctl_start(struct ctl *c, const struct ctl_run *r, struct err *e)
{
	int rc;

	c->r = *r;
	model_init_borrowed(&c->m, r->wf, r->run);
	c->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->stop_fd < 0)
		return err_set(e, "cannot serve the run's control socket (eventfd: %s)%s",
		    strerror(errno), err_sys_hint(errno));
	c->loop = loop_new();
	c->rd = ring_reader_new(r->ring, false);
	loop_watch(c->loop, c->stop_fd, EPOLLIN, ctl_on_stop, c);
	loop_watch(c->loop, c->fd, EPOLLIN, ctl_on_accept, c);
	loop_watch(c->loop, ring_reader_fd(c->rd), EPOLLIN, ctl_on_events, c);
	rc = pthread_create(&c->thread, NULL, ctl_main, c);
	if (rc != 0)
		return err_set(e, "cannot serve the run's control socket (pthread_create: %s)%s",
		    strerror(rc), err_sys_hint(rc));
	c->started = true;
	return 0;
}

void
ctl_free(struct ctl *c)
{
	struct stat st;
	uint64_t one = 1;

	if (c == NULL)
		return;
	/* Gone first, so nobody connects to a server that stops. */
	if (lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	if (c->started) {
		if (write(c->stop_fd, &one, sizeof one) < 0) {
			/* The counter is full: a wake-up is pending already. */
		}
		pthread_join(c->thread, NULL);
	}
	while (c->conns != NULL)
		ctl_conn_free(c->conns);
	if (c->loop != NULL && c->fd >= 0)
		loop_unwatch(c->loop, c->fd);
	close(c->fd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	ring_reader_free(c->rd);
	store_close(c->history);
	loop_free(c->loop);
	model_fini(&c->m);
	free(c->path);
	free(c);
}
