/* curlso.h - libcurl, opened when drover first makes a request.
 *
 * Linked, libcurl costs every drover process about 3 ms before main: it
 * brings some 25 libraries (TLS, Kerberos, LDAP, IDN, ...), each mapped,
 * relocated and initialised, which `ls`, `graph` and most runs never use.
 * So drover opens it with dlopen on first use, and the files that make
 * requests include this header instead of <curl/curl.h>: it names the
 * curl functions they call after wrappers (curlso.c) that call through
 * the library once it is open.  Before curlso_load has succeeded, each
 * wrapper fails as the function does when out of memory (NULL, an error
 * code, -1).
 */
#ifndef DROVER_CURLSO_H
#define DROVER_CURLSO_H

#include <curl/curl.h>

#include "err.h"

/* Opens libcurl (once; safe from any thread) and initialises it: 0, or -1
 * with e set to why it cannot be had. */
int curlso_load(struct err *e);

/* curl.h makes macros of these (to check option types, or to pass the
 * arguments on): the wrappers take their place. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt

#define curl_easy_init curlso_easy_init
#define curl_easy_setopt curlso_easy_setopt
#define curl_easy_getinfo curlso_easy_getinfo
#define curl_easy_perform curlso_easy_perform
#define curl_easy_cleanup curlso_easy_cleanup
#define curl_easy_strerror curlso_easy_strerror
#define curl_slist_append curlso_slist_append
#define curl_slist_free_all curlso_slist_free_all
#define curl_multi_init curlso_multi_init
#define curl_multi_setopt curlso_multi_setopt
#define curl_multi_add_handle curlso_multi_add_handle
#define curl_multi_remove_handle curlso_multi_remove_handle
#define curl_multi_socket_action curlso_multi_socket_action
#define curl_multi_info_read curlso_multi_info_read
#define curl_multi_cleanup curlso_multi_cleanup
#define curl_url curlso_url
#define curl_url_set curlso_url_set
#define curl_url_get curlso_url_get
#define curl_url_cleanup curlso_url_cleanup
#define curl_free curlso_free
#define curl_getdate curlso_getdate

CURL *curlso_easy_init(void);
CURLcode curlso_easy_setopt(CURL *c, CURLoption opt, ...);
CURLcode curlso_easy_getinfo(CURL *c, CURLINFO info, ...);
CURLcode curlso_easy_perform(CURL *c);
void curlso_easy_cleanup(CURL *c);
const char *curlso_easy_strerror(CURLcode rc);
struct curl_slist *curlso_slist_append(struct curl_slist *l, const char *s);
void curlso_slist_free_all(struct curl_slist *l);
CURLM *curlso_multi_init(void);
CURLMcode curlso_multi_setopt(CURLM *m, CURLMoption opt, ...);
CURLMcode curlso_multi_add_handle(CURLM *m, CURL *c);
CURLMcode curlso_multi_remove_handle(CURLM *m, CURL *c);
CURLMcode curlso_multi_socket_action(CURLM *m, curl_socket_t fd, int mask, int *running);
CURLMsg *curlso_multi_info_read(CURLM *m, int *left);
CURLMcode curlso_multi_cleanup(CURLM *m);
CURLU *curlso_url(void);
CURLUcode curlso_url_set(CURLU *u, CURLUPart part, const char *s, unsigned int flags);
CURLUcode curlso_url_get(const CURLU *u, CURLUPart part, char **s, unsigned int flags);
void curlso_url_cleanup(CURLU *u);
void curlso_free(void *p);
time_t curlso_getdate(const char *s, const time_t *unused);

#endif
