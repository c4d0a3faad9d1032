/* netcall.c - an attempt's request over HTTP, for the kinds that make one. */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breaker.h"
#include "exec.h"
#include "loop.h"
#include "netcall.h"
#include "strbuf.h"
#include "xmalloc.h"

#define LOG_LINE_MAX 65536	/* longer lines are cut, as a command's are */

static void
circuit_changed(struct run *r, const char *endpoint, enum breaker_state st)
{
	char *msg = xasprintf("circuit %s: %s%s", breaker_state_name(st), endpoint,
	    st == BREAKER_OPEN ? ": calls to it fail at once for now" :
	    st == BREAKER_CLOSED ? ": its trial call worked" : ": one trial call goes through");

	run_circuit(r, endpoint, breaker_state_name(st), msg);
	free(msg);
}

static void
on_response(struct http_response *res, void *ud)
{
	struct netcall *c = ud;
	bool ok = res->status != 0 && res->status != 429 && res->status < 500;
	enum breaker_state st;

	c->x = NULL;
	if (breaker_record(run_breakers(c->a->run), c->endpoint, ok, c->trial,
	    loop_now(run_loop(c->a->run)), &st))
		circuit_changed(c->a->run, c->endpoint, st);
	c->trial = false;
	c->fn(c->a, res);
}

int
netcall_send(struct netcall *c, struct attempt *a, const struct http_request *rq,
    const char *line, netcall_fn *fn, struct err *e)
{
	char why[256];
	bool changed;

	c->a = a;
	c->fn = fn;
	free(c->endpoint);
	if (http_ready(e) < 0)
		return -1;
	if ((c->endpoint = http_endpoint(rq->url)) == NULL)
		return err_set(e, "curl cannot read the URL '%s'", rq->url);
	if (!breaker_admit(run_breakers(a->run), c->endpoint, loop_now(run_loop(a->run)),
	    &c->trial, &changed, why, sizeof why)) {
		netcall_logf(c, STREAM_STDERR, "%s", why);
		return err_set(e, "%s", why);
	}
	if (changed)
		circuit_changed(a->run, c->endpoint, BREAKER_HALF_OPEN);
	netcall_logf(c, STREAM_STDERR, "%s", line);
	c->x = http_send(run_http(a->run), rq, on_response, c, e);
	return c->x != NULL ? 0 : -1;
}

static void
on_stopped(struct loop *l, void *ud)
{
	struct netcall *c = ud;
	struct attempt_result res = { .status = ST_CANCELLED, .exit_code = -1 };

	(void)l;
	c->stopped = NULL;
	res.error = xstrdup("cancelled");
	res.outputs = cJSON_CreateObject();
	attempt_done(c->a, &res);
}

void
netcall_stop(struct netcall *c)
{
	if (c->x == NULL || c->stopped != NULL)
		return;
	http_cancel(run_http(c->a->run), c->x);
	c->x = NULL;
	c->stopped = loop_timer_add(run_loop(c->a->run), 0, on_stopped, c);
}

void
netcall_stop_attempt(struct attempt *a, bool force)
{
	(void)force;
	if (a->state != NULL)
		netcall_stop(a->state);
}

void
netcall_fini(struct netcall *c)
{
	if (c->a == NULL)
		return;
	if (c->x != NULL)
		http_cancel(run_http(c->a->run), c->x);
	if (c->stopped != NULL)
		loop_timer_cancel(run_loop(c->a->run), c->stopped);
	if (c->trial)
		breaker_abandon(run_breakers(c->a->run), c->endpoint);
	free(c->endpoint);
	c->x = NULL;
	c->stopped = NULL;
	c->endpoint = NULL;
	c->trial = false;
}

void
netcall_log(struct netcall *c, enum log_stream stream, const char *text, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	uint32_t n = 0;

	if (len == 0)
		return;
	for (size_t i = 0, col = 0; i < len; i++) {
		if (text[i] == '\n' || col == LOG_LINE_MAX) {
			sb_addc(&sb, '\n');
			n++;
			col = 0;
			if (text[i] == '\n')
				continue;
		}
		sb_addc(&sb, text[i]);
		col++;
	}
	if (text[len - 1] != '\n') {
		sb_addc(&sb, '\n');
		n++;
	}
	attempt_log(c->a, stream, sb_str(&sb), sb.len - 1, n, c->lines[stream] + 1);
	c->lines[stream] += n;
	sb_fini(&sb);
}

void
netcall_logf(struct netcall *c, enum log_stream stream, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		fatal("out of memory");
	va_end(ap);
	netcall_log(c, stream, s, strlen(s));
	free(s);
}

static bool
status_expected(int status, const int *expect, size_t n_expect)
{
	if (n_expect == 0)
		return status >= 200 && status <= 299;
	for (size_t i = 0; i < n_expect; i++)
		if (expect[i] == status)
			return true;
	return false;
}

static char *
expected_text(const int *expect, size_t n_expect)
{
	struct strbuf sb = STRBUF_INIT;

	if (n_expect == 0)
		return xstrdup("a 2xx status");
	for (size_t i = 0; i < n_expect; i++)
		sb_addf(&sb, "%s%d", i == 0 ? "" : i + 1 == n_expect ? " or " : ", ", expect[i]);
	return sb_detach(&sb);
}

void
netcall_judge(const struct http_response *res, const int *expect, size_t n_expect,
    struct attempt_result *out)
{
	char *want;

	out->exit_code = -1;
	if (res->status == 0) {
		out->status = res->timed_out ? ST_TIMED_OUT : ST_FAILED;
		out->error = xasprintf("no response: %s", res->error != NULL ? res->error : "?");
		return;
	}
	if (status_expected(res->status, expect, n_expect)) {
		out->status = ST_SUCCEEDED;
		return;
	}
	want = expected_text(expect, n_expect);
	out->status = ST_FAILED;
	out->error = xasprintf("HTTP status %d, expected %s", res->status, want);
	free(want);
	if (res->status == 429 || res->status >= 500)
		out->retry_after_ms = res->retry_after_ms > 0 ? res->retry_after_ms : 0;
	else
		out->no_retry = true;
}

char *
netcall_header(const char *name, const char *value, struct err *e)
{
	if (*name == '\0') {
		err_set(e, "a header needs a name");
		return NULL;
	}
	for (const char *p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("!#$%&'*+-.^_`|~", *p) == NULL) {
			err_set(e, "header name '%s' may hold only letters, digits and "
			    "!#$%%&'*+-.^_`|~", name);
			return NULL;
		}
	if (strpbrk(value, "\r\n") != NULL) {
		err_set(e, "header '%s': the value holds a line break, which would start "
		    "another header", name);
		return NULL;
	}
	return xasprintf("%s: %s", name, value);
}
