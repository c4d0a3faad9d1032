/* step_http.c - `http` steps: a request to a URL.
 *
 * drover reads and checks the request; it cannot send it yet, so a run
 * with an http step is refused before anything starts.  An approval's
 * notify is an http request too (step_http_request).
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "step_kinds.h"
#include "wf_read.h"
#include "xmalloc.h"
#include "ydoc.h"

struct http_spec {
	struct ynode *url, *headers, *json, *body;	/* templated */
	char *method;
	int *expect;		/* NULL: any 2xx */
	size_t n_expect;
	int64_t timeout_ms;
};

static void
http_load(struct ld *ld, struct ynode *n, struct body *b, const struct refctx *ctx)
{
	static const char *const keys[] = {
		"url", "method", "headers", "json", "body", "expect", "timeout", NULL,
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
	if ((v = ynode_get(n, "url")) == NULL)
		ld_err(ld, n, "'http' needs a 'url'");
	else if (ld_scalar_tmpl(ld, v, "url", ctx))
		h->url = v;
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
	if ((v = ynode_get(n, "headers")) != NULL && ld_tmpl_map(ld, v, "headers", false, ctx))
		h->headers = v;
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

	return xasprintf("http %s", h->method);
}

const struct step_kind step_http_kind = {
	.key = "http",
	.article = "an",
	.places = BODY_STEP | BODY_ALT | BODY_TOOL,
	.load = http_load,
	.fini = http_fini,
	.what = http_what,
};

void
step_http_request(struct ld *ld, struct ynode *n, struct body *b, const struct refctx *ctx)
{
	b->kind = &step_http_kind;
	http_load(ld, n, b, ctx);
}
