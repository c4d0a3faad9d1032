/* err.c - filling struct err. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xmalloc.h"

int
err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->line = e->col = 0;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_set_at(struct err *e, int line, int col, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->line = line;
	e->col = col;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_prefix(struct err *e, const char *fmt, ...)
{
	char *prefix, *full;
	size_t n;
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	prefix = xvasprintf(fmt, ap);
	va_end(ap);
	full = xasprintf("%s%s", prefix, e->msg);
	n = strlen(full);
	if (n >= sizeof e->msg)
		n = sizeof e->msg - 1;
	memcpy(e->msg, full, n);
	e->msg[n] = '\0';
	free(prefix);
	free(full);
	return -1;
}

const char *
err_sys_hint(int errnum)
{
	switch (errnum) {
	case EMFILE:
		return "; drover has as many files open as it may: raise the limit (ulimit -n) "
		    "or run fewer steps at once (max_parallel)";
	case ENFILE:
		return "; the system has as many files open as it may: close some programs, or "
		    "raise fs.file-max";
	case EAGAIN:
		return "; there are as many threads or processes as the limit allows: raise it "
		    "(ulimit -u) or run fewer steps at once (max_parallel)";
	case ENOMEM:
		return "; the system is out of memory";
	case ENOSYS:
		return "; this kernel is too old: drover needs Linux 5.3 or later";
	}
	return "";
}
