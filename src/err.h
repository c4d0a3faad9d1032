/* err.h - the error a function hands back to its caller.
 *
 * Functions that can fail because of something a user did (a bad file, a
 * dead server, a full disk) return -1 or NULL and fill a caller-provided
 * struct err with a message that can be shown as it is.  line and col are
 * 1-based and 0 when the error has no position.
 */
#ifndef DROVER_ERR_H
#define DROVER_ERR_H

struct err {
	int line, col;
	char msg[1024];
};

/* Sets the message (printf-style) and clears the position; returns -1 so
 * callers can write `return err_set(e, ...)`.  e may be NULL. */
int err_set(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same with a position. */
int err_set_at(struct err *e, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Puts "prefix" (printf-style) before the message already in e. */
int err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What a user can do when a system call fails with errnum for want of a
 * resource, as a clause to end a message with ("; raise the limit..."),
 * or "" when the reason says it all. */
const char *err_sys_hint(int errnum);

#endif
