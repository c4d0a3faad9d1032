/* proto.c - the control protocol's messages and their decoder (proto.h).
 *
 * The decoder copies nothing when a whole line lies in what it was given
 * (the usual case: a request is far smaller than a read); only a line cut
 * by the end of a read is kept, and that buffer grows to the line's size,
 * never past PROTO_MAX_LINE.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "json.h"
#include "proto.h"
#include "strbuf.h"
#include "termtext.h"
#include "xmalloc.h"

static const struct {
	const char *name;
	unsigned from;		/* enum proto_side bits */
} types[] = {
	[PROTO_HELLO] = { "hello", PROTO_CLIENT | PROTO_SERVER },
	[PROTO_STATUS] = { "status", PROTO_CLIENT | PROTO_SERVER },
	[PROTO_CANCEL] = { "cancel", PROTO_CLIENT },
	[PROTO_OK] = { "ok", PROTO_SERVER },
	[PROTO_ERROR] = { "error", PROTO_SERVER },
	[PROTO_ATTACH] = { "attach", PROTO_CLIENT },
	[PROTO_SNAPSHOT] = { "snapshot", PROTO_SERVER },
	[PROTO_EVENT] = { "event", PROTO_SERVER },
	[PROTO_APPROVE] = { "approve", PROTO_CLIENT },
	[PROTO_REJECT] = { "reject", PROTO_CLIENT },
};

#define N_TYPES (sizeof types / sizeof types[0])

static const struct {
	const char *name;
	bool closes;
} codes[] = {
	[PROTO_E_TOO_LONG] = { "too_long", true },
	[PROTO_E_MALFORMED] = { "malformed", true },
	[PROTO_E_TRUNCATED] = { "truncated", true },
	[PROTO_E_UNKNOWN] = { "unknown", true },
	[PROTO_E_BAD_REQUEST] = { "bad_request", true },
	[PROTO_E_VERSION] = { "version", true },
	[PROTO_E_HELLO_FIRST] = { "hello_first", true },
	[PROTO_E_DENIED] = { "denied", false },
	[PROTO_E_BUSY] = { "busy", true },
};

#define N_CODES (sizeof codes / sizeof codes[0])

/* A kept line's buffer over this is freed once the line is whole. */
#define DEC_KEEP_CAP 65536

const char *
proto_type_name(enum proto_type t)
{
	return (size_t)t < N_TYPES ? types[t].name : "?";
}

const char *
proto_code_name(enum proto_code c)
{
	return (size_t)c < N_CODES ? codes[c].name : "?";
}

int
proto_code_parse(const char *name)
{
	for (size_t i = 0; i < N_CODES; i++)
		if (strcmp(codes[i].name, name) == 0)
			return (int)i;
	return -1;
}

bool
proto_code_closes(enum proto_code c)
{
	return (size_t)c >= N_CODES || codes[c].closes;
}

void
proto_msg_fini(struct proto_msg *m)
{
	cJSON_Delete(m->json);
	m->json = NULL;
}

void
proto_dec_init(struct proto_dec *d, enum proto_side from)
{
	memset(d, 0, sizeof *d);
	d->from = from;
}

void
proto_dec_fini(struct proto_dec *d)
{
	free(d->buf);
	d->buf = NULL;
	d->len = d->cap = 0;
}

/* The decoder is done; fmt (printf-style) says why. */
static enum proto_rc __attribute__((format(printf, 4, 5)))
dec_fail(struct proto_dec *d, struct proto_fail *f, enum proto_code code, const char *fmt, ...)
{
	va_list ap;

	d->failed = true;
	d->fail.code = code;
	d->fail.e.line = d->fail.e.col = 0;
	va_start(ap, fmt);
	vsnprintf(d->fail.e.msg, sizeof d->fail.e.msg, fmt, ap);
	va_end(ap);
	*f = d->fail;
	return PROTO_FAILED;
}

/* The offset of the first byte of s that is not part of valid UTF-8, or
 * len when there is none. */
static size_t
utf8_bad_at(const char *s, size_t len)
{
	struct termtext_char c;
	size_t i = 0;

	while (i < len) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		termtext_next(s + i, len - i, &c);
		if (c.kind == TT_BYTE)
			return i;
		i += c.len;
	}
	return len;
}

static bool
id_ok(const cJSON *id)
{
	return id == NULL || cJSON_IsNumber(id) ||
	    (cJSON_IsString(id) && strlen(id->valuestring) <= PROTO_MAX_ID);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Why v cannot be taken although it parsed, or NULL: an object naming a
 * member twice (which of the two counts is up to each reader, so a
 * message must not leave it open), or a number too big for a double
 * (cJSON makes it infinite, which JSON cannot say back). */
static const char *
json_unfit(const cJSON *v)
{
	const cJSON *k;
	const char **names, *why = NULL;
	size_t n = 0, i = 0;

	if (cJSON_IsNumber(v) && !isfinite(v->valuedouble))
		return "holds a number too big for a double";
	cJSON_ArrayForEach(k, v) {
		if ((why = json_unfit(k)) != NULL)
			return why;
		n++;
	}
	if (!cJSON_IsObject(v) || n < 2)
		return NULL;
	names = xcalloc(n, sizeof *names);
	cJSON_ArrayForEach(k, v)
		names[i++] = k->string;
	qsort(names, n, sizeof *names, cmp_names);
	for (i = 1; i < n && why == NULL; i++)
		if (strcmp(names[i - 1], names[i]) == 0)
			why = "names a member twice in one object";
	free(names);
	return why;
}

/* One whole line, without its '\n': a message, or why it is none. */
static enum proto_rc
dec_line(struct proto_dec *d, const char *s, size_t len, struct proto_msg *m,
    struct proto_fail *f)
{
	const char *end = NULL, *why;
	const cJSON *type;
	cJSON *j;
	char what[64];

	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (memchr(s, '\0', len) != NULL)
		return dec_fail(d, f, PROTO_E_MALFORMED, "line %lu holds a NUL byte", d->line + 1);
	if (utf8_bad_at(s, len) < len)
		return dec_fail(d, f, PROTO_E_MALFORMED, "line %lu is not UTF-8", d->line + 1);
	j = cJSON_ParseWithLengthOpts(s, len, &end, false);
	if (j != NULL)
		while (end < s + len && (*end == ' ' || *end == '\t'))
			end++;
	if (j == NULL || end != s + len) {
		cJSON_Delete(j);
		return dec_fail(d, f, PROTO_E_MALFORMED, "line %lu is not one JSON value", d->line + 1);
	}
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return dec_fail(d, f, PROTO_E_MALFORMED, "line %lu is not a JSON object", d->line + 1);
	}
	if ((why = json_unfit(j)) != NULL) {
		cJSON_Delete(j);
		return dec_fail(d, f, PROTO_E_MALFORMED, "line %lu %s", d->line + 1, why);
	}
	type = cJSON_GetObjectItemCaseSensitive(j, "type");
	if (!cJSON_IsString(type)) {
		cJSON_Delete(j);
		return dec_fail(d, f, PROTO_E_MALFORMED, "line %lu has no \"type\" string", d->line + 1);
	}
	if (!id_ok(cJSON_GetObjectItemCaseSensitive(j, "id"))) {
		cJSON_Delete(j);
		return dec_fail(d, f, PROTO_E_BAD_REQUEST, "line %lu: \"id\" is a number or a "
		    "string of at most 64 bytes", d->line + 1);
	}
	for (size_t i = 0; i < N_TYPES; i++)
		if ((types[i].from & d->from) != 0 && strcmp(types[i].name, type->valuestring) == 0) {
			m->type = (enum proto_type)i;
			m->json = j;
			return PROTO_MESSAGE;
		}
	/* The name as the peer wrote it may be anything: quote it short and
	 * visible. */
	snprintf(what, sizeof what, "%.40s%s", type->valuestring,
	    strlen(type->valuestring) > 40 ? "..." : "");
	{
		char *shown = termtext_escaped(what, strlen(what), true);

		dec_fail(d, f, PROTO_E_UNKNOWN, "line %lu: unknown message type \"%s\"",
		    d->line + 1, shown);
		free(shown);
	}
	cJSON_Delete(j);
	return PROTO_FAILED;
}

/* Appends to the line kept; the caller checked the limit. */
static void
dec_keep(struct proto_dec *d, const char *p, size_t n)
{
	if (d->len + n > d->cap) {
		d->cap = d->cap * 2 > d->len + n ? d->cap * 2 : d->len + n;
		if (d->cap > PROTO_MAX_LINE)
			d->cap = PROTO_MAX_LINE;
		d->buf = xrealloc(d->buf, d->cap);
	}
	memcpy(d->buf + d->len, p, n);
	d->len += n;
}

enum proto_rc
proto_dec_feed(struct proto_dec *d, const char *p, size_t n, size_t *used,
    struct proto_msg *m, struct proto_fail *f)
{
	size_t off = 0;

	m->json = NULL;
	*used = 0;
	if (d->failed) {
		*used = n;
		*f = d->fail;
		return PROTO_FAILED;
	}
	while (off < n) {
		const char *nl = memchr(p + off, '\n', n - off);
		size_t take = nl != NULL ? (size_t)(nl - (p + off)) : n - off, len;
		const char *line;
		enum proto_rc rc;

		if (d->len + take > PROTO_MAX_LINE) {
			*used = n;
			return dec_fail(d, f, PROTO_E_TOO_LONG, "line %lu is longer than the "
			    "limit of %u bytes (1 MiB)", d->line + 1, PROTO_MAX_LINE);
		}
		if (nl == NULL) {
			/* Kept until its end comes. */
			dec_keep(d, p + off, take);
			*used = n;
			return PROTO_MORE;
		}
		if (d->len == 0) {
			line = p + off;
			len = take;
		} else {
			/* The end of a line begun in an earlier read. */
			dec_keep(d, p + off, take);
			line = d->buf;
			len = d->len;
		}
		off += take + 1;
		rc = len == 0 || (len == 1 && line[0] == '\r') ? PROTO_MORE :
		    dec_line(d, line, len, m, f);
		d->line++;
		d->len = 0;
		if (d->cap > DEC_KEEP_CAP) {
			/* A long line's room is given back. */
			free(d->buf);
			d->buf = NULL;
			d->cap = 0;
		}
		if (rc != PROTO_MORE) {		/* else an empty line: skipped */
			*used = rc == PROTO_FAILED ? n : off;
			return rc;
		}
	}
	*used = n;
	return PROTO_MORE;
}

enum proto_rc
proto_dec_end(struct proto_dec *d, struct proto_fail *f)
{
	if (d->failed) {
		*f = d->fail;
		return PROTO_FAILED;
	}
	if (d->len == 0 || (d->len == 1 && d->buf[0] == '\r'))
		return PROTO_MORE;
	return dec_fail(d, f, PROTO_E_TRUNCATED, "the connection ended inside line %lu, "
	    "before its newline", d->line + 1);
}

cJSON *
proto_msg_new(enum proto_type t, const cJSON *req)
{
	cJSON *o = cJSON_CreateObject();
	const cJSON *id = req != NULL ? cJSON_GetObjectItemCaseSensitive(req, "id") : NULL;

	cJSON_AddStringToObject(o, "type", proto_type_name(t));
	if (id != NULL && id_ok(id))
		cJSON_AddItemToObject(o, "id", cJSON_Duplicate(id, false));
	return o;
}

cJSON *
proto_error_new(enum proto_code c, const char *message, const cJSON *req)
{
	cJSON *o = proto_msg_new(PROTO_ERROR, req);

	cJSON_AddStringToObject(o, "code", proto_code_name(c));
	cJSON_AddStringToObject(o, "message", message);
	return o;
}

cJSON *
proto_hello_new(enum proto_side side)
{
	cJSON *o = proto_msg_new(PROTO_HELLO, NULL);

	cJSON_AddNumberToObject(o, "protocol", PROTO_VERSION);
	cJSON_AddStringToObject(o, side == PROTO_CLIENT ? "client" : "server",
	    PACKAGE_NAME " " PACKAGE_VERSION);
	return o;
}

int
proto_hello_version(const cJSON *hello)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(hello, "protocol");

	if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 1e6 ||
	    v->valuedouble != (double)(int)v->valuedouble)
		return -1;
	return (int)v->valuedouble;
}

/* s with every byte that is not part of valid UTF-8 made U+FFFD: strings
 * from a step (its error, its outputs) may hold any bytes, and a line must
 * be UTF-8.  Such bytes are all inside JSON strings (the rest is ASCII),
 * so the line stays the same JSON.  Frees s when it makes a new one. */
static char *
utf8_repair(char *s)
{
	size_t n = strlen(s), bad = utf8_bad_at(s, n);
	struct strbuf sb = STRBUF_INIT;

	if (bad == n)
		return s;
	for (size_t i = 0; i < n;) {
		bad = i + utf8_bad_at(s + i, n - i);
		sb_add(&sb, s + i, bad - i);
		if (bad == n)
			break;
		sb_adds(&sb, "\xef\xbf\xbd");
		i = bad + 1;
	}
	free(s);
	return sb_detach(&sb);
}

char *
proto_encode(const cJSON *msg, size_t *len)
{
	char *s = utf8_repair(json_text(msg, false));
	size_t n = strlen(s);

	if (n > PROTO_MAX_LINE) {
		free(s);
		return NULL;
	}
	s = xrealloc(s, n + 2);
	s[n] = '\n';
	s[n + 1] = '\0';
	*len = n + 1;
	return s;
}

/* Event types by their name on the wire. */
static const char *const ev_names[] = {
	[EV_RUN_START] = "run_start", [EV_STEP] = "step", [EV_LOG] = "log",
	[EV_APPROVAL] = "approval", [EV_NOTE] = "note", [EV_RUN_END] = "run_end",
};

cJSON *
proto_event_new(const struct event *ev, bool with_text)
{
	cJSON *o = proto_msg_new(PROTO_EVENT, NULL);

	cJSON_AddNumberToObject(o, "seq", (double)ev->seq);
	cJSON_AddNumberToObject(o, "ts", (double)ev->ts);
	cJSON_AddStringToObject(o, "ev", ev_names[ev->type]);
	cJSON_AddNumberToObject(o, "step", ev->step);
	if (ev->type == EV_STEP)
		cJSON_AddStringToObject(o, "status", step_status_name(ev->status));
	else if (ev->type == EV_RUN_END)
		cJSON_AddStringToObject(o, "status", run_status_name(ev->status));
	cJSON_AddNumberToObject(o, "phase", ev->phase);
	cJSON_AddNumberToObject(o, "attempt", ev->attempt);
	cJSON_AddNumberToObject(o, "exit_code", ev->exit_code);
	if (ev->type == EV_LOG) {
		cJSON_AddNumberToObject(o, "stream", ev->stream);
		cJSON_AddNumberToObject(o, "nlines", ev->nlines);
		cJSON_AddNumberToObject(o, "first_line", (double)ev->first_line);
	}
	if (ev->len > 0 && (ev->type != EV_LOG || with_text)) {
		char *data = xstrndup(ev->data, ev->len);

		cJSON_AddStringToObject(o, ev->type == EV_LOG ? "text" : "data", data);
		free(data);
	}
	return o;
}

/* A whole number member of o in [lo, hi]. */
static bool
ev_num(const cJSON *o, const char *key, double lo, double hi, double *out)
{
	*out = json_num(o, key, NAN);
	return !isnan(*out) && *out >= lo && *out <= hi && *out == floor(*out);
}

int
proto_event_read(const cJSON *o, struct event *ev, char *msg, size_t size)
{
	const char *name = json_str(o, "ev"), *status = json_str(o, "status");
	const char *data = json_str(o, "data") != NULL ? json_str(o, "data") : json_str(o, "text");
	double seq, ts, step, phase, attempt, code, stream = 0, nlines = 0, first = 0;
	int type = 0, st = 0;

	memset(ev, 0, sizeof *ev);
	for (size_t k = 1; name != NULL && k < sizeof ev_names / sizeof ev_names[0]; k++)
		if (strcmp(name, ev_names[k]) == 0)
			type = (int)k;
	if (type == 0) {
		snprintf(msg, size, "an event of no known kind");
		return -1;
	}
	if (type == EV_STEP || type == EV_RUN_END) {
		st = status == NULL ? -1 : type == EV_STEP ? step_status_parse(status) :
		    run_status_parse(status);
		if (st < 0) {
			snprintf(msg, size, "a %s event with no valid status", name);
			return -1;
		}
	}
	if (!ev_num(o, "seq", 1, 9e15, &seq) || !ev_num(o, "ts", 0, 9e15, &ts) ||
	    !ev_num(o, "step", -1, 1e9, &step) || !ev_num(o, "phase", 0, PHASE_ROLLBACK, &phase) ||
	    !ev_num(o, "attempt", 0, 1e6, &attempt) ||
	    !ev_num(o, "exit_code", -1, 65535, &code) ||
	    (type == EV_LOG && (!ev_num(o, "stream", STREAM_STDOUT, STREAM_STDERR, &stream) ||
	    !ev_num(o, "nlines", 1, 1e9, &nlines) || !ev_num(o, "first_line", 1, 9e15, &first)))) {
		snprintf(msg, size, "a %s event with a field missing or out of range", name);
		return -1;
	}
	ev->seq = (uint64_t)seq;
	ev->ts = (int64_t)ts;
	ev->type = (uint8_t)type;
	ev->status = (uint8_t)st;
	ev->phase = (uint8_t)phase;
	ev->stream = (uint8_t)stream;
	ev->step = (int32_t)step;
	ev->attempt = (int32_t)attempt;
	ev->exit_code = (int32_t)code;
	ev->nlines = (uint32_t)nlines;
	ev->first_line = (uint64_t)first;
	ev->data = data != NULL ? data : "";
	ev->len = (uint32_t)strlen(ev->data);
	return 0;
}
