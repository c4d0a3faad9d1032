/* event.c - names of statuses, exit codes, timestamps and the JSON form
 * of event payloads. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "event.h"

static const char *const step_status_names[] = {
	[ST_PENDING] = "pending",
	[ST_WAITING] = "waiting",
	[ST_RUNNING] = "running",
	[ST_RETRYING] = "retrying",
	[ST_SUCCEEDED] = "succeeded",
	[ST_FAILED] = "failed",
	[ST_TIMED_OUT] = "timed_out",
	[ST_SKIPPED] = "skipped",
	[ST_UPSTREAM_FAILED] = "upstream_failed",
	[ST_CANCELLED] = "cancelled",
};

static const char *const run_status_names[] = {
	[RUN_RUNNING] = "running",
	[RUN_SUCCEEDED] = "succeeded",
	[RUN_FAILED] = "failed",
	[RUN_CANCELLED] = "cancelled",
	[RUN_REJECTED] = "rejected",
	[RUN_TIMED_OUT] = "timed_out",
	[RUN_BUDGET_EXCEEDED] = "budget_exceeded",
	[RUN_INTERRUPTED] = "interrupted",
};

#define N_STEP_STATUS (sizeof step_status_names / sizeof step_status_names[0])
#define N_RUN_STATUS (sizeof run_status_names / sizeof run_status_names[0])

/* Statuses come back from history files too, so a bad one is named, not fatal. */
const char *
step_status_name(enum step_status s)
{
	if ((unsigned)s >= N_STEP_STATUS)
		return "unknown";
	return step_status_names[s];
}

const char *
run_status_name(enum run_status s)
{
	if ((unsigned)s >= N_RUN_STATUS)
		return "unknown";
	return run_status_names[s];
}

static int
event_find_name(const char *const *names, size_t n, const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0)
			return (int)i;
	}
	return -1;
}

int
step_status_parse(const char *name)
{
	return event_find_name(step_status_names, N_STEP_STATUS, name);
}

int
run_status_parse(const char *name)
{
	return event_find_name(run_status_names, N_RUN_STATUS, name);
}

bool
step_status_final(enum step_status s)
{
	switch (s) {
	case ST_SUCCEEDED:
	case ST_FAILED:
	case ST_TIMED_OUT:
	case ST_SKIPPED:
	case ST_UPSTREAM_FAILED:
	case ST_CANCELLED:
		return true;
	case ST_PENDING:
	case ST_WAITING:
	case ST_RUNNING:
	case ST_RETRYING:
		break;
	}
	return false;
}

int
run_status_exit_code(enum run_status s)
{
	switch (s) {
	case RUN_SUCCEEDED:
		return 0;
	case RUN_FAILED:
	case RUN_INTERRUPTED:
		return 1;
	case RUN_CANCELLED:
	case RUN_REJECTED:
		return 3;
	case RUN_TIMED_OUT:
		return 4;
	case RUN_BUDGET_EXCEEDED:
		return 5;
	case RUN_RUNNING:
		break;
	}
	return 70;	/* EX_SOFTWARE: a run that never ended is our bug */
}

int64_t
event_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
event_time_rfc3339(int64_t us, char *buf, size_t size)
{
	int64_t secs = us / 1000000, rem = us % 1000000;
	time_t t;
	struct tm tm;

	if (size == 0)
		return;
	/* Floor, not truncate, so times before 1970 keep their milliseconds right. */
	if (rem < 0) {
		secs--;
		rem += 1000000;
	}
	t = (time_t)secs;
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, size, "invalid-time");
		return;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(rem / 1000));
}

cJSON *
event_json(const struct event *ev)
{
	const char *end = NULL, *stop;
	cJSON *j;

	if (ev->type == EV_LOG || ev->len == 0 || ev->data == NULL)
		return NULL;
	j = cJSON_ParseWithLengthOpts(ev->data, ev->len, &end, 0);
	if (j == NULL)
		return NULL;
	/* cJSON stops after the first value; anything but blanks after it is not JSON. */
	stop = ev->data + ev->len;
	while (end < stop && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end != stop) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

int
event_time_parse(const char *s, int64_t *us)
{
	struct tm tm;
	const char *p;
	int64_t frac = 0, scale = 1000000;

	memset(&tm, 0, sizeof tm);
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		return -1;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
		}
	}
	if (strcmp(p, "Z") != 0)
		return -1;
	*us = (int64_t)timegm(&tm) * 1000000 + frac;
	return 0;
}

uint64_t
event_span(const struct event *ev)
{
	return ev->type == EV_LOG && ev->nlines > 1 ? ev->nlines : 1;
}

uint64_t
event_last_seq(const struct event *ev)
{
	return ev->seq + event_span(ev) - 1;
}

void
event_rec_pack(const struct event *ev, struct event_rec *rec)
{
	memset(rec, 0, sizeof *rec);
	rec->seq = ev->seq;
	rec->ts = ev->ts;
	rec->first_line = ev->first_line;
	rec->step = ev->step;
	rec->attempt = ev->attempt;
	rec->exit_code = ev->exit_code;
	rec->nlines = ev->nlines;
	rec->len = ev->len;
	rec->type = ev->type;
	rec->status = ev->status;
	rec->phase = ev->phase;
	rec->stream = ev->stream;
}

void
event_rec_unpack(const struct event_rec *rec, const char *data, struct event *ev)
{
	ev->seq = rec->seq;
	ev->ts = rec->ts;
	ev->first_line = rec->first_line;
	ev->step = rec->step;
	ev->attempt = rec->attempt;
	ev->exit_code = rec->exit_code;
	ev->nlines = rec->nlines;
	ev->len = rec->len;
	ev->type = rec->type;
	ev->status = rec->status;
	ev->phase = rec->phase;
	ev->stream = rec->stream;
	ev->data = data;
}
