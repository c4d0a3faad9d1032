/* xmalloc.h - allocation that never fails, and fatal() for bugs.
 *
 * drover is an interactive tool: when memory runs out there is nothing
 * sensible left to do, so these abort with a message instead of returning
 * NULL.  Everything they return is freed by the caller with free().
 */
#ifndef DROVER_XMALLOC_H
#define DROVER_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Grow *v (holding *cap elements of size elem) so that it holds at least
 * need elements. */
void xgrow(void *v, size_t *cap, size_t need, size_t elem);
/* Room for element n of an array that only grows by appending and keeps
 * no capacity: its size is the power of two at or above n (at least 4),
 * so n appends cost O(n), not O(n^2) copies.  Returns the array. */
void *xappend_room(void *p, size_t n, size_t elem);

/* For programming errors only: prints "drover: fatal: ..." and aborts. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
