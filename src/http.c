/* http.c - libcurl's multi interface on the executor's loop.
 *
 * curl says which sockets it wants watched (on_socket) and when it wants
 * to be woken (on_timer); the loop calls back (on_ready, on_due), and each
 * call lets curl move every transfer it can, then hands the ones that have
 * ended to their owners (reap).  Callbacks of a transfer's owner run only
 * from reap, outside any curl callback, so an owner may start or cancel
 * requests there.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "curlso.h"
#include "dur.h"
#include "http.h"
#include "loop.h"
#include "strbuf.h"
#include "xmalloc.h"

struct http_xfer {
	struct http *h;
	CURL *easy;
	struct curl_slist *headers;
	char *body;		/* the request's, copied */
	struct http_response res;
	struct strbuf kept;
	size_t keep;
	int64_t timeout_ms;
	int64_t started_ms;
	http_done_fn *fn;
	void *ud;
	struct http_xfer *prev, *next;	/* every transfer in flight */
	char errbuf[CURL_ERROR_SIZE];
};

struct http {
	struct loop *loop;
	CURLM *multi;
	struct loop_timer *timer;
	struct http_xfer *xfers;
};

static void reap(struct http *h);

static void
act(struct http *h, curl_socket_t fd, int what)
{
	int running;

	curl_multi_socket_action(h->multi, fd, what, &running);
	reap(h);
}

static void
on_ready(struct loop *l, int fd, uint32_t events, void *ud)
{
	int what = 0;

	(void)l;
	if (events & EPOLLIN)
		what |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		what |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		what |= CURL_CSELECT_ERR;
	act(ud, fd, what);
}

static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct http *h = userp;
	uint32_t events = 0;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		loop_unwatch(h->loop, fd);
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;
	loop_watch(h->loop, fd, events, on_ready, h);
	return 0;
}

static void
on_due(struct loop *l, void *ud)
{
	struct http *h = ud;

	(void)l;
	h->timer = NULL;
	act(h, CURL_SOCKET_TIMEOUT, 0);
}

static int
on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct http *h = userp;

	(void)multi;
	if (h->timer != NULL) {
		loop_timer_cancel(h->loop, h->timer);
		h->timer = NULL;
	}
	if (timeout_ms >= 0)
		h->timer = loop_timer_add(h->loop, timeout_ms, on_due, h);
	return 0;
}

int
http_ready(struct err *e)
{
	return curlso_load(e);
}

struct http *
http_new(struct loop *l)
{
	struct http *h = xcalloc(1, sizeof *h);

	h->loop = l;
	if (http_ready(NULL) < 0)
		return h;	/* without libcurl: every request fails, saying why */
	if ((h->multi = curl_multi_init()) == NULL)
		fatal("curl_multi_init failed");
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
}

static void
xfer_free(struct http_xfer *x)
{
	struct http *h = x->h;

	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		h->xfers = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	curl_multi_remove_handle(h->multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x->body);
	sb_fini(&x->kept);
	http_response_fini(&x->res);
	free(x);
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	while (h->xfers != NULL)
		xfer_free(h->xfers);
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	if (h->timer != NULL)
		loop_timer_cancel(h->loop, h->timer);
	free(h);
}

void
http_cancel(struct http *h, struct http_xfer *x)
{
	(void)h;
	if (x != NULL)
		xfer_free(x);
}

void
http_response_fini(struct http_response *res)
{
	free(res->error);
	cJSON_Delete(res->headers);
	free(res->body);
	memset(res, 0, sizeof *res);
}

static size_t
on_body(char *data, size_t size, size_t n, void *ud)
{
	struct http_xfer *x = ud;
	size_t len = size * n;

	if (x->kept.len < x->keep)
		sb_add(&x->kept, data, len < x->keep - x->kept.len ? len : x->keep - x->kept.len);
	x->res.total_len += len;
	return len;
}

/* One header line; a status line starts the headers of a new response
 * (after a 100 Continue, or an authentication round). */
static size_t
on_header(char *data, size_t size, size_t n, void *ud)
{
	struct http_xfer *x = ud;
	size_t len = size * n, name_len, vs, ve;
	char *name;
	cJSON *old;

	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		cJSON_Delete(x->res.headers);
		x->res.headers = cJSON_CreateObject();
		return len;
	}
	for (name_len = 0; name_len < len && data[name_len] != ':'; name_len++)
		;
	if (name_len == 0 || name_len == len || x->res.headers == NULL)
		return len;
	for (vs = name_len + 1; vs < len && (data[vs] == ' ' || data[vs] == '\t'); vs++)
		;
	for (ve = len; ve > vs && isspace((unsigned char)data[ve - 1]); ve--)
		;
	name = xstrndup(data, name_len);
	for (char *p = name; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if ((old = cJSON_GetObjectItemCaseSensitive(x->res.headers, name)) != NULL) {
		/* Repeated: one value, joined as RFC 9110 5.3 allows. */
		char *joined = xasprintf("%s, %.*s", old->valuestring, (int)(ve - vs), data + vs);

		cJSON_ReplaceItemInObjectCaseSensitive(x->res.headers, name,
		    cJSON_CreateString(joined));
		free(joined);
	} else {
		char *v = xstrndup(data + vs, ve - vs);

		cJSON_AddStringToObject(x->res.headers, name, v);
		free(v);
	}
	free(name);
	return len;
}

char *
http_endpoint(const char *url)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *port = NULL, *ep = NULL;

	if (http_ready(NULL) < 0)
		return NULL;
	if ((u = curl_url()) == NULL)
		fatal("out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
		ep = xasprintf("%s://%s:%s", scheme, host, port);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ep;
}

#define RETRY_AFTER_MAX_S (366LL * 24 * 3600)	/* a longer wish is taken as this */

int64_t
http_retry_after(const char *value, int64_t now_s)
{
	char *end;
	long long s;
	time_t when;

	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char)*value)) {
		s = strtoll(value, &end, 10);
		while (*end == ' ' || *end == '\t')
			end++;
		if (*end != '\0')
			return -1;
		return s > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S * 1000 : (int64_t)s * 1000;
	}
	if ((when = curl_getdate(value, NULL)) == -1)
		return -1;
	if ((int64_t)when <= now_s)
		return 0;
	return (int64_t)when - now_s > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S * 1000 :
	    ((int64_t)when - now_s) * 1000;
}

/* The transfer has ended: fills its response and hands it on. */
static void
finish(struct http_xfer *x, CURLcode rc)
{
	struct http_response res = x->res;
	const cJSON *ra;
	long status = 0;

	memset(&x->res, 0, sizeof x->res);
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	res.status = rc == CURLE_OK ? (int)status : 0;
	res.elapsed_ms = loop_now(x->h->loop) - x->started_ms;
	res.retry_after_ms = -1;
	if (res.headers == NULL)
		res.headers = cJSON_CreateObject();
	if (rc == CURLE_OPERATION_TIMEDOUT && x->timeout_ms > 0) {
		char d[32];

		dur_format(x->timeout_ms, d, sizeof d);
		res.timed_out = true;
		res.error = xasprintf("none within the request's timeout of %s", d);
	} else if (rc != CURLE_OK) {
		res.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
		res.error = xstrdup(x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(rc));
	} else if (cJSON_IsString(ra = cJSON_GetObjectItemCaseSensitive(res.headers,
	    "retry-after"))) {
		res.retry_after_ms = http_retry_after(ra->valuestring, (int64_t)time(NULL));
	}
	res.len = x->kept.len;
	res.body = sb_detach(&x->kept);
	x->fn(&res, x->ud);
}

static void
reap(struct http *h)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct http_xfer *x;
		CURLcode rc = m->data.result;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		/* Taken off the multi handle first: the owner may send again. */
		curl_multi_remove_handle(h->multi, x->easy);
		finish(x, rc);
		xfer_free(x);
	}
}

struct http_xfer *
http_send(struct http *h, const struct http_request *rq, http_done_fn *fn, void *ud,
    struct err *e)
{
	struct http_xfer *x;
	CURL *c;

	if (h->multi == NULL) {
		http_ready(e);	/* fails again: says why */
		return NULL;
	}
	x = xcalloc(1, sizeof *x);
	if ((c = x->easy = curl_easy_init()) == NULL)
		fatal("curl_easy_init failed");
	x->h = h;
	x->fn = fn;
	x->ud = ud;
	x->keep = rq->keep;
	x->timeout_ms = rq->timeout_ms;
	x->started_ms = loop_now(h->loop);
	curl_easy_setopt(c, CURLOPT_PRIVATE, x);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "drover/" PACKAGE_VERSION);
	if (curl_easy_setopt(c, CURLOPT_URL, rq->url) != CURLE_OK) {
		err_set(e, "curl refuses the URL");
		goto fail;
	}
	if (strcmp(rq->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(rq->method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
	if (rq->body != NULL) {
		x->body = xmalloc(rq->body_len + 1);
		memcpy(x->body, rq->body, rq->body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->body);
	}
	for (size_t i = 0; i < rq->n_headers; i++)
		x->headers = curl_slist_append(x->headers, rq->headers[i]);
	/* curl would otherwise wait a second for "100 Continue" on a body. */
	x->headers = curl_slist_append(x->headers, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->headers);
	if (rq->timeout_ms > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)rq->timeout_ms);
	if (rq->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	x->next = h->xfers;
	if (h->xfers != NULL)
		h->xfers->prev = x;
	h->xfers = x;
	if (curl_multi_add_handle(h->multi, c) != CURLM_OK) {
		err_set(e, "curl cannot take another request");
		xfer_free(x);
		return NULL;
	}
	return x;
fail:
	curl_easy_cleanup(c);
	free(x);
	return NULL;
}
