/* strbuf.h - a growable, always NUL-terminated byte string. */
#ifndef DROVER_STRBUF_H
#define DROVER_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;	/* NUL-terminated once anything was added; may be NULL */
	size_t len, cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void sb_add(struct strbuf *sb, const char *s, size_t n);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void sb_reset(struct strbuf *sb);
/* The contents, "" when empty; stays owned by sb. */
const char *sb_str(const struct strbuf *sb);
/* Hands the buffer to the caller (who frees it) and empties sb. */
char *sb_detach(struct strbuf *sb);
void sb_fini(struct strbuf *sb);

#endif
