/* step_http.c - `http` steps: a request to a URL (SPEC 5.2).
 *
 * The request is rendered in the step's scope (values substituted in the
 * URL's path or query percent-encoded), sent on the run's HTTP client
 * (netcall.h) and judged by its status.  Outputs: status, headers (names
 * in lower case), body (the first HTTP_BODY_KEEP bytes), json (the body
 * parsed, when it is JSON).  An approval's notify is an http request too
 * (step_http_request, step_http_build).
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exec.h"
#include "json.h"
#include "netcall.h"
#include "step_kinds.h"
#include "wf.h"
#include "wf_read.h"
#include "xmalloc.h"
#include "ydoc.h"

#define HTTP_BODY_KEEP (1024 * 1024)
#define INSECURE "TLS not verified (insecure: true)"

struct http_spec {
	struct ynode *url, *headers, *json, *body;	/* templated */
	char *method;
	int *expect;		/* NULL: any 2xx */
	size_t n_expect;
	int64_t timeout_ms;
	bool insecure;
};

/* ---- the request, rendered ---- */

void
http_built_fini(struct http_built *hb)
{
	free(hb->url);
	free(hb->shown_url);
	for (size_t i = 0; i < hb->n_headers; i++)
		free(hb->headers[i]);
	free(hb->headers);
	free(hb->body);
	memset(hb, 0, sizeof *hb);
}

static bool
url_scheme_ok(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

static int
build_headers(struct run *r, size_t i, const struct http_spec *h, struct http_built *hb,
    struct err *e)
{
	const struct ynode *m = h->headers;

	hb->headers = xcalloc((m != NULL ? m->n : 0) + 1, sizeof *hb->headers);
	for (size_t k = 0; m != NULL && k < m->n; k++) {
		const char *name = m->pairs[k].key->str;
		char *v = step_render_text(r, i, m->pairs[k].val, TMPL_TEXT, e);

		if (v == NULL)
			return -1;
		hb->headers[hb->n_headers] = netcall_header(name, v, e);
		free(v);
		if (hb->headers[hb->n_headers] == NULL)
			return -1;
		hb->n_headers++;
		if (strcasecmp(name, "content-type") == 0)
			hb->has_content_type = true;
	}
	return 0;
}

int
step_http_build(struct run *r, size_t i, const struct body *b, struct http_built *hb,
    struct err *e)
{
	const struct http_spec *h = b->spec;

	memset(hb, 0, sizeof *hb);
	hb->rq.method = h->method;
	hb->rq.insecure = h->insecure;
	hb->rq.timeout_ms = h->timeout_ms;
	hb->rq.keep = HTTP_BODY_KEEP;
	hb->expect = h->expect;
	hb->n_expect = h->n_expect;
	if ((hb->url = step_render_text(r, i, h->url, TMPL_URL, e)) == NULL ||
	    (hb->shown_url = step_render_shown(r, i, h->url, TMPL_URL, e)) == NULL)
		goto fail;
	if (!url_scheme_ok(hb->url)) {
		err_set(e, "the url '%s' does not start with http:// or https://", hb->shown_url);
		goto fail;
	}
	if (build_headers(r, i, h, hb, e) < 0)
		goto fail;
	if (h->json != NULL) {
		cJSON *v = step_render(r, i, h->json, e);

		if (v == NULL)
			goto fail;
		hb->body = json_text(v, false);
		cJSON_Delete(v);
		if (!hb->has_content_type)
			hb->headers[hb->n_headers++] = xstrdup("Content-Type: application/json");
	} else if (h->body != NULL &&
	    (hb->body = step_render_text(r, i, h->body, TMPL_TEXT, e)) == NULL) {
		goto fail;
	}
	if (hb->body != NULL) {
		hb->rq.body = hb->body;
		hb->rq.body_len = strlen(hb->body);
	}
	hb->rq.url = hb->url;
	hb->rq.headers = (const char *const *)hb->headers;
	hb->rq.n_headers = hb->n_headers;
	return 0;
fail:
	http_built_fini(hb);
	return -1;
}

/* ---- running ---- */

struct http_call {
	struct netcall c;	/* first: netcall_stop_attempt */
	const struct http_spec *h;
};

static cJSON *
response_outputs(const struct http_response *res)
{
	cJSON *out = cJSON_CreateObject();
	cJSON *json = NULL;

	cJSON_AddNumberToObject(out, "status", res->status);
	cJSON_AddItemToObject(out, "headers", cJSON_Duplicate(res->headers, true));
	cJSON_AddStringToObject(out, "body", res->body != NULL ? res->body : "");
	if (res->len > 0 && res->len == res->total_len)
		json = cJSON_ParseWithLength(res->body, res->len);
	cJSON_AddItemToObject(out, "json", json != NULL ? json : cJSON_CreateNull());
	return out;
}

/* The body in the log, as text; a body with NUL bytes is only counted. */
static void
log_body(struct netcall *c, const struct http_response *res)
{
	if (res->len == 0)
		return;
	if (memchr(res->body, '\0', res->len) != NULL)
		netcall_logf(c, STREAM_STDOUT, "(%zu bytes of binary data)", res->len);
	else
		netcall_log(c, STREAM_STDOUT, res->body, res->len);
	if (res->total_len > res->len)
		netcall_logf(c, STREAM_STDERR, "(the body is %llu bytes; the first %zu are kept)",
		    (unsigned long long)res->total_len, res->len);
}

static void
on_response(struct attempt *a, struct http_response *res)
{
	struct http_call *hc = a->state;
	struct attempt_result out = { .exit_code = -1 };

	if (res->status != 0)
		netcall_logf(&hc->c, STREAM_STDERR, "< HTTP %d, %llu bytes in %lld ms", res->status,
		    (unsigned long long)res->total_len, (long long)res->elapsed_ms);
	log_body(&hc->c, res);
	netcall_judge(res, hc->h->expect, hc->h->n_expect, &out);
	if (res->status == 0)
		netcall_logf(&hc->c, STREAM_STDERR, "%s", out.error);
	out.outputs = res->status != 0 ? response_outputs(res) : cJSON_CreateObject();
	http_response_fini(res);
	attempt_done(a, &out);
}

static int
http_start(struct attempt *a, struct err *e)
{
	struct http_call *hc = xcalloc(1, sizeof *hc);
	struct http_built hb;
	char *line;
	int rc;

	hc->h = a->body->spec;
	a->state = hc;
	if (step_http_build(a->run, a->step, a->body, &hb, e) < 0)
		return -1;
	if (hb.rq.timeout_ms == 0 && a->body->timeout_ms == 0)
		hb.rq.timeout_ms = NETCALL_DEFAULT_TIMEOUT_MS;
	line = xasprintf("> %s %s%s", hb.rq.method, hb.shown_url,
	    hb.rq.insecure ? "  (" INSECURE ")" : "");
	rc = netcall_send(&hc->c, a, &hb.rq, line, on_response, e);
	free(line);
	http_built_fini(&hb);
	return rc;
}

static void
http_call_free(struct attempt *a)
{
	struct http_call *hc = a->state;

	if (hc == NULL)
		return;
	netcall_fini(&hc->c);
	free(hc);
	a->state = NULL;
}

static char *
http_describe(struct attempt *a)
{
	const struct http_spec *h = a->body->spec;
	struct err e;
	char *url = step_render_shown(a->run, a->step, h->url, TMPL_URL, &e);
	char *s;

	if (url == NULL)
		return NULL;
	s = xasprintf("%s %s%s", h->method, url, h->insecure ? " (" INSECURE ")" : "");
	free(url);
	return s;
}

/* For the cache: the request as it goes. */
static char *
http_inputs(struct run *r, size_t i, const struct body *b, struct err *e)
{
	struct http_built hb;
	cJSON *o, *h;
	char *text;

	if (step_http_build(r, i, b, &hb, e) < 0)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "method", hb.rq.method);
	cJSON_AddStringToObject(o, "url", hb.url);
	h = cJSON_AddArrayToObject(o, "headers");
	for (size_t k = 0; k < hb.n_headers; k++)
		cJSON_AddItemToArray(h, cJSON_CreateString(hb.headers[k]));
	if (hb.body != NULL)
		cJSON_AddStringToObject(o, "body", hb.body);
	text = json_text(o, false);
	cJSON_Delete(o);
	http_built_fini(&hb);
	return text;
}

static const struct step_ops http_ops = {
	.inputs = http_inputs,
	.describe = http_describe,
	.start = http_start,
	.stop = netcall_stop_attempt,
	.free = http_call_free,
};

/* ---- the body, as written ---- */

static void
check_header_names(struct ld *ld, const struct ynode *m)
{
	struct err e;

	for (size_t k = 0; k < m->n; k++) {
		char *line = netcall_header(m->pairs[k].key->str, "", &e);

		if (line == NULL)
			ld_err(ld, m->pairs[k].key, "%s", e.msg);
		free(line);
	}
}

static void
http_load(struct ld *ld, struct ynode *n, struct body *b, const struct refctx *ctx)
{
	static const char *const keys[] = {
		"url", "method", "headers", "json", "body", "expect", "timeout", "insecure", NULL,
	};
	static const char *const methods[] = {
		"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", NULL,
	};
	struct http_spec *h = xcalloc(1, sizeof *h);
	struct ynode *v;

	b->spec = h;
	if (!ld_map(ld, n, "http"))
		return;
	ld_check_keys(ld, n, keys, "http");
	if ((v = ynode_get(n, "url")) == NULL) {
		ld_err(ld, n, "'http' needs a 'url'");
	} else if (ld_scalar_tmpl(ld, v, "url", ctx)) {
		h->url = v;
		if (v->aux == NULL && !url_scheme_ok(v->str))
			ld_err(ld, v, "the url must start with http:// or https://");
	}
	if ((v = ynode_get(n, "method")) != NULL && ld_str(ld, v, "method", &h->method)) {
		size_t i;

		for (char *p = h->method; *p != '\0'; p++)
			*p = (char)toupper((unsigned char)*p);
		for (i = 0; methods[i] != NULL && strcmp(methods[i], h->method) != 0; i++)
			;
		if (methods[i] == NULL)
			ld_err(ld, v, "unknown HTTP method '%s' (use GET, HEAD, POST, PUT, PATCH, "
			    "DELETE or OPTIONS)", v->str);
	}
	if (h->method == NULL)
		h->method = xstrdup("GET");
	if ((v = ynode_get(n, "headers")) != NULL && ld_tmpl_map(ld, v, "headers", false, ctx)) {
		h->headers = v;
		check_header_names(ld, v);
	}
	if ((v = ynode_get(n, "json")) != NULL && ld_tmpl(ld, v, ctx))
		h->json = v;
	if ((v = ynode_get(n, "body")) != NULL) {
		if (h->json != NULL)
			ld_err(ld, v, "give either 'json' or 'body', not both");
		else if (ld_scalar_tmpl(ld, v, "body", ctx))
			h->body = v;
	}
	if ((v = ynode_get(n, "expect")) != NULL)
		ld_int_list(ld, v, "expect", 100, 599, &h->expect, &h->n_expect);
	if ((v = ynode_get(n, "timeout")) != NULL)
		ld_timeout(ld, v, "timeout", &h->timeout_ms);
	if ((v = ynode_get(n, "insecure")) != NULL)
		ld_bool(ld, v, "insecure", &h->insecure);
}

static void
http_fini(struct body *b)
{
	struct http_spec *h = b->spec;

	free(h->method);
	free(h->expect);
}

static char *
http_what(const struct body *b)
{
	const struct http_spec *h = b->spec;

	return xasprintf("http %s%s", h->method, h->insecure ? " (" INSECURE ")" : "");
}

static void
http_detail(const struct body *b, char *buf, size_t size)
{
	const struct http_spec *h = b->spec;

	snprintf(buf, size, "%s %s%s", h->method, h->url != NULL ? h->url->str : "",
	    h->insecure ? "  [" INSECURE "]" : "");
}

static const char *
http_notice(const struct body *b)
{
	const struct http_spec *h = b->spec;

	return h->insecure ? INSECURE : NULL;
}

const struct step_kind step_http_kind = {
	.key = "http",
	.article = "an",
	.places = BODY_STEP | BODY_ALT | BODY_TOOL,
	.load = http_load,
	.fini = http_fini,
	.what = http_what,
	.detail = http_detail,
	.notice = http_notice,
	.ops = &http_ops,
};

void
step_http_request(struct ld *ld, struct ynode *n, struct body *b, const struct refctx *ctx)
{
	b->kind = &step_http_kind;
	http_load(ld, n, b, ctx);
}
