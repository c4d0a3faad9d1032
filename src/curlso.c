/* curlso.c - libcurl opened on first use (curlso.h says why).
 *
 * The library's functions are looked up once, by name, into a table; each
 * wrapper calls through it.  The variadic setopt and getinfo calls take
 * their one argument with the type libcurl's own option numbering gives
 * it (CURLOPTTYPE_*), as libcurl reads it.
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "curlso.h"

/* The library as Debian's libcurl4 packages install it: ABI 4 has been
 * libcurl's since 2006. */
#define CURLSO_NAME "libcurl.so.4"

#define CURLSO_FUNCTIONS(X) \
	X(easy_init) X(easy_setopt) X(easy_getinfo) X(easy_perform) X(easy_cleanup) \
	X(easy_strerror) X(slist_append) X(slist_free_all) X(multi_init) X(multi_setopt) \
	X(multi_add_handle) X(multi_remove_handle) X(multi_socket_action) \
	X(multi_info_read) X(multi_cleanup) X(url) X(url_set) X(url_get) X(url_cleanup) \
	X(free) X(getdate) X(global_init)

static struct {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_socket_action)(CURLM *, curl_socket_t, int, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLMcode (*multi_cleanup)(CURLM *);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
	CURLUcode (*url_get)(const CURLU *, CURLUPart, char **, unsigned int);
	void (*url_cleanup)(CURLU *);
	void (*free)(void *);
	time_t (*getdate)(const char *, const time_t *);
	CURLcode (*global_init)(long);
} so;

static pthread_once_t curlso_once = PTHREAD_ONCE_INIT;
static char curlso_error[400];	/* why it could not be had, or "" */
static bool curlso_ready;

static void
curlso_open(void)
{
	void *h = dlopen(CURLSO_NAME, RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;

	if (h == NULL) {
		snprintf(curlso_error, sizeof curlso_error, "HTTP requests need libcurl, which "
		    "cannot be loaded: %s (on Debian: apt-get install libcurl4)", dlerror());
		return;
	}
#define CURLSO_SYM(name) \
	if ((*(void **)&so.name = dlsym(h, "curl_" #name)) == NULL && missing == NULL) \
		missing = "curl_" #name;
	CURLSO_FUNCTIONS(CURLSO_SYM)
#undef CURLSO_SYM
	if (missing != NULL) {
		snprintf(curlso_error, sizeof curlso_error, "HTTP requests need libcurl 7.80 or "
		    "later: %s has no %s", CURLSO_NAME, missing);
		return;
	}
	if (so.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(curlso_error, sizeof curlso_error, "libcurl could not start "
		    "(curl_global_init failed)");
		return;
	}
	curlso_ready = true;
}

int
curlso_load(struct err *e)
{
	pthread_once(&curlso_once, curlso_open);
	return curlso_ready ? 0 : err_set(e, "%s", curlso_error);
}

static bool
curlso_up(void)
{
	pthread_once(&curlso_once, curlso_open);
	return curlso_ready;
}

/* ---- the variadic ones: one argument, typed by the option's number ---- */

#define CURLSO_SETOPT(fn, handle, opt, ap) \
	((opt) < CURLOPTTYPE_OBJECTPOINT ? so.fn(handle, opt, va_arg(ap, long)) : \
	 (opt) < CURLOPTTYPE_FUNCTIONPOINT ? so.fn(handle, opt, va_arg(ap, void *)) : \
	 (opt) < CURLOPTTYPE_OFF_T ? so.fn(handle, opt, va_arg(ap, void (*)(void))) : \
	 (opt) < CURLOPTTYPE_BLOB ? so.fn(handle, opt, va_arg(ap, curl_off_t)) : \
	 so.fn(handle, opt, va_arg(ap, void *)))

CURLcode
curlso_easy_setopt(CURL *c, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;

	if (!curlso_up())
		return CURLE_FAILED_INIT;
	va_start(ap, opt);
	rc = CURLSO_SETOPT(easy_setopt, c, opt, ap);
	va_end(ap);
	return rc;
}

CURLMcode
curlso_multi_setopt(CURLM *m, CURLMoption opt, ...)
{
	va_list ap;
	CURLMcode rc;

	if (!curlso_up())
		return CURLM_INTERNAL_ERROR;
	va_start(ap, opt);
	rc = CURLSO_SETOPT(multi_setopt, m, opt, ap);
	va_end(ap);
	return rc;
}

CURLcode
curlso_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	va_list ap;
	CURLcode rc;

	if (!curlso_up())
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	rc = so.easy_getinfo(c, info, va_arg(ap, void *));	/* always a pointer */
	va_end(ap);
	return rc;
}

/* ---- the rest: straight through, or the failure when there is none ---- */

CURL *
curlso_easy_init(void)
{
	return curlso_up() ? so.easy_init() : NULL;
}

CURLcode
curlso_easy_perform(CURL *c)
{
	return curlso_up() ? so.easy_perform(c) : CURLE_FAILED_INIT;
}

void
curlso_easy_cleanup(CURL *c)
{
	if (curlso_up())
		so.easy_cleanup(c);
}

const char *
curlso_easy_strerror(CURLcode rc)
{
	return curlso_up() ? so.easy_strerror(rc) : curlso_error;
}

struct curl_slist *
curlso_slist_append(struct curl_slist *l, const char *s)
{
	return curlso_up() ? so.slist_append(l, s) : NULL;
}

void
curlso_slist_free_all(struct curl_slist *l)
{
	if (curlso_up())
		so.slist_free_all(l);
}

CURLM *
curlso_multi_init(void)
{
	return curlso_up() ? so.multi_init() : NULL;
}

CURLMcode
curlso_multi_add_handle(CURLM *m, CURL *c)
{
	return curlso_up() ? so.multi_add_handle(m, c) : CURLM_INTERNAL_ERROR;
}

CURLMcode
curlso_multi_remove_handle(CURLM *m, CURL *c)
{
	return curlso_up() ? so.multi_remove_handle(m, c) : CURLM_INTERNAL_ERROR;
}

CURLMcode
curlso_multi_socket_action(CURLM *m, curl_socket_t fd, int mask, int *running)
{
	return curlso_up() ? so.multi_socket_action(m, fd, mask, running) : CURLM_INTERNAL_ERROR;
}

CURLMsg *
curlso_multi_info_read(CURLM *m, int *left)
{
	return curlso_up() ? so.multi_info_read(m, left) : NULL;
}

CURLMcode
curlso_multi_cleanup(CURLM *m)
{
	return curlso_up() ? so.multi_cleanup(m) : CURLM_INTERNAL_ERROR;
}

CURLU *
curlso_url(void)
{
	return curlso_up() ? so.url() : NULL;
}

CURLUcode
curlso_url_set(CURLU *u, CURLUPart part, const char *s, unsigned int flags)
{
	return curlso_up() ? so.url_set(u, part, s, flags) : CURLUE_OUT_OF_MEMORY;
}

CURLUcode
curlso_url_get(const CURLU *u, CURLUPart part, char **s, unsigned int flags)
{
	return curlso_up() ? so.url_get(u, part, s, flags) : CURLUE_OUT_OF_MEMORY;
}

void
curlso_url_cleanup(CURLU *u)
{
	if (curlso_up())
		so.url_cleanup(u);
}

void
curlso_free(void *p)
{
	if (curlso_up())
		so.free(p);
}

time_t
curlso_getdate(const char *s, const time_t *unused)
{
	return curlso_up() ? so.getdate(s, unused) : -1;
}
