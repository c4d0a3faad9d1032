/* shq.h - quoting values into a shell command at the place they go.
 *
 * A `run` string is shell text with holes (its {{ }} templates).  What a
 * value must look like to reach the command exactly as it is depends on
 * where its hole sits: bare in a word, inside '...', inside "...", in the
 * body of a heredoc, inside `...` or $(...).  shq_plan_new reads the text
 * the way a POSIX shell (dash, bash, ksh, zsh in sh mode) does and gives
 * every hole its context; a hole whose reading drover cannot be sure of
 * (a comment, ${...}, $((...)), a heredoc delimiter, right after '\' or
 * '$', nested backticks, text after a construct the shells read
 * differently) is refused.  shq_quote then writes a value for its context,
 * and shq_check_heredocs refuses, at run time, a value that would end the
 * heredoc it sits in.
 */
#ifndef DROVER_SHQ_H
#define DROVER_SHQ_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct strbuf;

enum shq_kind {
	SHQ_WORD,		/* shell code: the value becomes (part of) one word */
	SHQ_SINGLE,		/* inside '...' */
	SHQ_DOUBLE,		/* inside "..." */
	SHQ_HEREDOC,		/* the body of a heredoc with an unquoted delimiter */
	SHQ_HEREDOC_LITERAL,	/* the body of a heredoc with a quoted delimiter */
};

struct shq_ctx {
	enum shq_kind kind;
	int backticks;		/* `...` layers around the hole */
	bool bare_ok;		/* SHQ_WORD: a plain value may go without quotes */
	bool command_word;	/* SHQ_WORD: the hole begins a command's name */
	const char *delim;	/* inside a heredoc body: its delimiter, else NULL */
	bool strip_tabs;	/* that heredoc is <<- */
	bool delim_quoted;	/* and its delimiter is quoted (a literal body) */
	bool in_subst;		/* inside $(...) or `...` */
};

struct shq_plan;

/* Reads text (len bytes) with n holes at the ascending offsets holes[];
 * raw[k] marks a hole whose value goes in as it is (the author vouches for
 * it: it is taken not to change the quoting).  NULL with e set when a hole
 * cannot be quoted with certainty or the text does not scan: e->col is
 * 1 + the offset in text of the problem and *bad_hole the hole it concerns
 * (or -1).  Free with shq_plan_free. */
struct shq_plan *shq_plan_new(const char *text, size_t len, const size_t *holes,
    const bool *raw, size_t n, long *bad_hole, struct err *e);
void shq_plan_free(struct shq_plan *p);
const struct shq_ctx *shq_plan_ctx(const struct shq_plan *p, size_t hole);

/* Appends value (len bytes, no NUL) written so that the shell reads
 * exactly value at a hole of context c. */
void shq_quote(struct strbuf *out, const struct shq_ctx *c, const char *value, size_t len);

/* The rendered command out (len bytes) has hole k's value values[k]
 * quoted at [start[k], end[k]): -1 with e set (and *bad_hole) when a
 * value in a heredoc body would end the heredoc or not read as written
 * (a line that is or starts with the delimiter, leading tabs of <<-, a
 * backslash-newline that bash joins). */
int shq_check_heredocs(const struct shq_plan *p, const char *const *values, const char *out,
    size_t len, const size_t *start, const size_t *end, long *bad_hole, struct err *e);

/* True when argv0 (a `shell:` setting's program) reads sh syntax: sh,
 * dash, bash, ash, ksh, mksh, zsh, busybox sh, optionally through env. */
bool shq_shell_is_posix(const char *shell);

#endif
