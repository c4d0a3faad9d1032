/* event.h - what happens in a run, as a stream of numbered events.
 *
 * The executor describes everything it does as events: the run starting,
 * each change of a step's status, chunks of output lines, approvals, and
 * the run ending.  They travel through the ring (ring.h) to the history
 * writer, which records them all, and to any number of viewers.  An event
 * is a fixed header plus a payload: for EV_LOG the lines themselves, joined
 * by '\n' without a final newline; for the others a JSON object with the
 * details (shapes below).  Secrets are masked before an event is made.
 */
#ifndef DROVER_EVENT_H
#define DROVER_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum event_type {
	EV_RUN_START = 1,	/* {"uuid", "workflow", "file", "args", "user", "host", "pid",
				 *  "process_tracking"} */
	EV_STEP,		/* a step's status changed; {"error", "outputs", "duration_ms",
				 *  "cached", "cost_usd", "tokens_in", "tokens_out", "delay_ms"} */
	EV_LOG,			/* nlines lines of one stream of one attempt */
	EV_APPROVAL,		/* {"decision", "by", "comment", "refused", "reason", "hash",
				 *  "ticket"} */
	EV_NOTE,		/* a warning or notice: {"level", "message"} */
	EV_RUN_END,		/* status, exit_code; {"error"} */
};

enum step_status {
	ST_PENDING, ST_WAITING, ST_RUNNING, ST_RETRYING, ST_SUCCEEDED, ST_FAILED, ST_TIMED_OUT,
	ST_SKIPPED, ST_UPSTREAM_FAILED, ST_CANCELLED,
};

enum run_status {
	RUN_RUNNING, RUN_SUCCEEDED, RUN_FAILED, RUN_CANCELLED, RUN_REJECTED, RUN_TIMED_OUT,
	RUN_BUDGET_EXCEEDED, RUN_INTERRUPTED,
};

/* What part of a step an EV_STEP or EV_LOG belongs to. */
enum step_phase { PHASE_MAIN, PHASE_FALLBACK, PHASE_ROLLBACK };

enum log_stream { STREAM_STDOUT = 1, STREAM_STDERR = 2 };

struct event {
	uint64_t seq;		/* increasing within the run: 1, 2, 3...; a log chunk
				 * takes one number per line (event_span), its
				 * first line's is seq */
	int64_t ts;		/* microseconds since the epoch */
	uint8_t type;		/* enum event_type */
	uint8_t status;		/* enum step_status or enum run_status */
	uint8_t phase;		/* enum step_phase */
	uint8_t stream;		/* EV_LOG: enum log_stream */
	int32_t step;		/* index in the workflow's steps; -1 for the run */
	int32_t attempt;	/* 1, 2, ...; 0 when not about an attempt */
	int32_t exit_code;	/* EV_STEP and EV_RUN_END; -1 when none */
	uint32_t nlines;	/* EV_LOG */
	uint64_t first_line;	/* EV_LOG: number (from 1) of the first line in its stream */
	uint32_t len;		/* bytes of data */
	const char *data;	/* the payload; not NUL-terminated */
};

const char *step_status_name(enum step_status s);
const char *run_status_name(enum run_status s);
/* -1 when the name is not a status. */
int step_status_parse(const char *name);
int run_status_parse(const char *name);
/* A final status: the step will not change any more. */
bool step_status_final(enum step_status s);
/* The exit status of drover for a run that ended so (SPEC section 2). */
int run_status_exit_code(enum run_status s);

/* How many sequence numbers ev takes: nlines for a log chunk, else 1. */
/* An event as bytes (the ring's records, the journal's): this header,
 * then len bytes of payload. */
struct event_rec {
	uint64_t seq;
	int64_t ts;
	uint64_t first_line;
	int32_t step;
	int32_t attempt;
	int32_t exit_code;
	uint32_t nlines;
	uint32_t len;
	uint8_t type;
	uint8_t status;
	uint8_t phase;
	uint8_t stream;
};

void event_rec_pack(const struct event *ev, struct event_rec *rec);
/* ev gets rec's fields and data as its payload. */
void event_rec_unpack(const struct event_rec *rec, const char *data, struct event *ev);
uint64_t event_span(const struct event *ev);
/* The last number ev takes. */
uint64_t event_last_seq(const struct event *ev);

/* The current time in microseconds since the epoch. */
int64_t event_now(void);
/* Formats microseconds since the epoch as RFC 3339 UTC with milliseconds
 * ("2026-11-23T14:02:03.123Z"). */
void event_time_rfc3339(int64_t us, char *buf, size_t size);

/* Reads what event_time_rfc3339 writes (a "Z" time, with or without
 * fractions); -1 when s is not such a time. */
int event_time_parse(const char *s, int64_t *us);

/* The payload of a non-log event as JSON; NULL when it is empty or not
 * JSON.  Caller frees. */
cJSON *event_json(const struct event *ev);

#endif
