/* proto.h - the control protocol between a run's process and its clients
 * (drover cancel, the console; approve and logs -f next): newline-delimited
 * JSON over the run's Unix socket (ctl.h).
 *
 * A message is one JSON object on one line of UTF-8, at most
 * PROTO_MAX_LINE bytes before its '\n', whose "type" names it.  The client
 * speaks first, and nothing but a hello goes before the hellos:
 *
 *   client  {"type":"hello","protocol":1,"client":"drover 0.1.0"}
 *   server  {"type":"hello","protocol":1,"server":"drover 0.1.0","run":7,...}
 *   client  {"type":"status","id":1}
 *   server  {"type":"status","id":1,"status":"running",...}
 *   client  {"type":"cancel","id":2}
 *   server  {"type":"ok","id":2,"message":"cancelling run 7"}
 *
 * A request may carry an "id" (a number or a string of at most
 * PROTO_MAX_ID bytes); the reply to it carries the same.  A refusal is
 * {"type":"error","code":CODE,"message":TEXT}; CODE is one of
 * enum proto_code, and every code but "denied" closes the connection once
 * the error is sent.  man/drover.1 (PROTOCOL) is the reference for users.
 *
 * The decoder takes bytes as they come and yields whole messages; it holds
 * at most one line, never more than PROTO_MAX_LINE bytes, whatever the
 * peer sends.
 */
#ifndef DROVER_PROTO_H
#define DROVER_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "err.h"

#define PROTO_VERSION 1
#define PROTO_MAX_LINE (1u << 20)	/* bytes of a line, without its '\n' */
#define PROTO_MAX_ID 64

/* Who sends a message. */
enum proto_side { PROTO_CLIENT = 1, PROTO_SERVER = 2 };

enum proto_type {
	PROTO_HELLO,		/* both ways */
	PROTO_STATUS,		/* a request, and its reply */
	PROTO_CANCEL,		/* a request; {"force": true} kills at once */
	PROTO_OK,		/* a reply: done, {"message"} says what */
	PROTO_ERROR,		/* a reply: refused, {"code", "message"} */
	PROTO_ATTACH,		/* a request: a snapshot, then every event */
	PROTO_SNAPSHOT,		/* a part of the run's state (model.h says what) */
	PROTO_EVENT,		/* one event of the run, once it is in the history */
	PROTO_APPROVE,		/* a request: {"step", "comment", "inputs", "hash"} */
	PROTO_REJECT,		/* a request: {"step", "comment", "hash"} */
};

enum proto_code {
	PROTO_E_TOO_LONG,	/* a line over PROTO_MAX_LINE bytes */
	PROTO_E_MALFORMED,	/* not one JSON object of UTF-8 with a "type" */
	PROTO_E_TRUNCATED,	/* the connection ended inside a line */
	PROTO_E_UNKNOWN,	/* a type the receiving side does not take */
	PROTO_E_BAD_REQUEST,	/* a known type with fields that do not fit it */
	PROTO_E_VERSION,	/* no protocol version in common */
	PROTO_E_HELLO_FIRST,	/* a request before the hello */
	PROTO_E_DENIED,		/* this peer may not do that (the connection stays) */
	PROTO_E_BUSY,		/* the server has all the clients it takes */
};

const char *proto_type_name(enum proto_type t);
/* The code's name on the wire ("too_long"...); -1 from parse when unknown. */
const char *proto_code_name(enum proto_code c);
int proto_code_parse(const char *name);
/* Whether the sender closes the connection after an error of code c. */
bool proto_code_closes(enum proto_code c);

struct proto_msg {
	enum proto_type type;
	cJSON *json;		/* the whole message; the caller's: proto_msg_fini */
};

void proto_msg_fini(struct proto_msg *m);

/* Why the decoder failed: what to reply, and a message fit to show. */
struct proto_fail {
	enum proto_code code;
	struct err e;
};

struct proto_dec {
	enum proto_side from;	/* whose messages it takes */
	char *buf;		/* the line so far, without its '\n' */
	size_t len, cap;
	unsigned long line;	/* lines taken, for messages */
	bool failed;		/* then it takes nothing more; fail says why */
	struct proto_fail fail;
};

enum proto_rc { PROTO_MORE, PROTO_MESSAGE, PROTO_FAILED };

/* A decoder of messages sent by from; proto_dec_fini frees what it holds. */
void proto_dec_init(struct proto_dec *d, enum proto_side from);
void proto_dec_fini(struct proto_dec *d);
/* Takes bytes from p[0..n), up to the end of the first whole line, and
 * sets *used to how many it took.  PROTO_MESSAGE: *m holds the message
 * that line was (the rest of p is still to be fed); PROTO_MORE: every byte
 * was taken and a line is not complete yet; PROTO_FAILED: *f says why
 * (the decoder is then done: feeding more fails again).  A line over the
 * limit fails as soon as its bytes pass it, before its end comes.  Empty
 * lines are skipped; a '\r' before the '\n' is allowed. */
enum proto_rc proto_dec_feed(struct proto_dec *d, const char *p, size_t n, size_t *used,
    struct proto_msg *m, struct proto_fail *f);
/* The peer closed its side: PROTO_MORE when that came between lines,
 * PROTO_FAILED (PROTO_E_TRUNCATED, or an earlier failure) otherwise. */
enum proto_rc proto_dec_end(struct proto_dec *d, struct proto_fail *f);

/* {"type": t}, with the "id" of req when req is a request that had one.
 * The new object is the caller's (cJSON_Delete). */
cJSON *proto_msg_new(enum proto_type t, const cJSON *req);
/* An error reply to req (or NULL); the caller's, like proto_msg_new. */
cJSON *proto_error_new(enum proto_code c, const char *message, const cJSON *req);
/* The hello of side: the protocol version and drover's. */
cJSON *proto_hello_new(enum proto_side side);
/* The protocol version a hello asks for, or -1 when it names none. */
int proto_hello_version(const cJSON *hello);
/* msg as one line with its '\n' and its length; NULL (nothing to send)
 * when that line would be over PROTO_MAX_LINE.  Caller frees. */
char *proto_encode(const cJSON *msg, size_t *len);

struct event;

/* An event as a message: {"type": "event", "seq", "ts", "ev" (run_start,
 * step, log, approval, note, run_end), "step", "status" (of a step or the
 * run), "phase", "attempt", "exit_code", and "data" (the event's JSON
 * payload, as a string)}; a log chunk has "stream", "nlines" and
 * "first_line", and its lines as "text" only when with_text.  The caller's
 * (cJSON_Delete). */
cJSON *proto_event_new(const struct event *ev, bool with_text);
/* Reads such a message into ev, whose data then points into o: 0, or -1
 * with msg set when it is not an event drover would send. */
int proto_event_read(const cJSON *o, struct event *ev, char *msg, size_t size);

#endif
