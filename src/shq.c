/* shq.c - quoting values into a shell command at the place they go.
 *
 * The text is turned into a stream of tokens: its bytes, and a token per
 * hole.  A small recursive reader walks it as a POSIX shell's lexer does:
 *
 *   code      words, operators, comments, heredoc operators; '...' "..."
 *             ` `...` ` $(...) ${...} $((...)) $'...' $"..."
 *   `...`     its text loses one level of \ \` \$ and is read again as
 *             code, one backquote layer deeper
 *   heredoc   after the newline that ends its operator's line: whole lines
 *             up to the delimiter line, then read as text (unquoted
 *             delimiter: with $ and ` expansions) or taken literally
 *
 * A hole takes the context it is found in.  Two things make a hole
 * impossible to quote: being inside a construct that has no safe quoting
 * (P->forbid: a comment, ${...}, arithmetic, after '\' or '$'), or coming
 * after text the shells do not agree on (P->unsure: `case` inside $(...),
 * where a pattern's ')' defeats paren matching; $'..\..', read differently
 * by dash and bash); once unsure, every later hole is refused.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shq.h"
#include "strbuf.h"
#include "xmalloc.h"

#define SHQ_EOF (-1)
#define SHQ_IS_HOLE(t) ((t) <= -2)
#define SHQ_HOLE_OF(t) ((size_t)(-2 - (t)))
#define SHQ_MAX_DEPTH 64
#define SHQ_ADVICE "; pass the value in an environment variable instead (env: {NAME: \"{{ ... }}\"}, " \
	"then \"$NAME\" in the command) or use the list form of run"

/* Characters a value may hold and still go without quotes in a word. */
static const char shq_safe[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+:,./-";

struct shq_plan {
	struct shq_ctx *ctx;	/* per hole */
	size_t n;
	char **delims;		/* heredoc delimiters the contexts point to */
	size_t n_delims, cap_delims;
	/* while reading */
	const bool *raw;
	const char *forbid;	/* holes here are refused, for this reason */
	const char *unsure;	/* holes after this are refused */
	int depth;
	bool failed;
	long *bad_hole;
	struct err *e;
};

/* A stretch of tokens being read, and where it sits. */
struct lx {
	const int32_t *tok;
	const uint32_t *src;	/* offset in the text of each token */
	size_t n, i;
	int backticks;
	const char *delim;	/* inside a heredoc body: its delimiter */
	bool strip, delim_quoted;
	int subst;		/* $(...) and `...` around it */
};

/* The word of code being read.  A plain value may go bare only when the
 * word has nothing that combines with it ({a,b} braces, ~user, NAME=); a
 * value made of letters alone must be quoted where a command's name goes,
 * as it could be a reserved word (if, done...). */
struct word {
	size_t *holes;
	size_t n, cap;
	bool quote_all;
	bool any, plain;	/* something was read; only unquoted literal text */
	char text[16];		/* its start, when plain */
	size_t len;
	bool cmd;		/* the next word is in a command's name position */
	bool redir;		/* the next word is a redirection's target */
};

struct heredoc {
	char *delim;
	bool quoted, strip;
};

static int32_t
lx_peek(const struct lx *L, size_t ahead)
{
	return L->i + ahead < L->n ? L->tok[L->i + ahead] : SHQ_EOF;
}

static uint32_t
lx_at(const struct lx *L)
{
	if (L->i < L->n)
		return L->src[L->i];
	return L->n > 0 ? L->src[L->n - 1] + 1 : 0;
}

static void __attribute__((format(printf, 4, 5)))
shq_fail(struct shq_plan *P, uint32_t at, long hole, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof P->e->msg];

	if (P->failed)
		return;
	P->failed = true;
	*P->bad_hole = hole;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_set_at(P->e, 0, (int)at + 1, "%s", msg);
}

static void
shq_unsure(struct shq_plan *P, const char *why)
{
	if (P->unsure == NULL)
		P->unsure = why;
}

/* Sets a reason holes are refused for, keeping an outer one; returns the
 * one to restore. */
static const char *
shq_forbid(struct shq_plan *P, const char *why)
{
	const char *old = P->forbid;

	if (old == NULL)
		P->forbid = why;
	return old;
}

/* A hole met at L (its token is the current one, not yet consumed). */
static void
shq_hole(struct shq_plan *P, struct lx *L, enum shq_kind kind, bool command_word,
    struct word *w)
{
	size_t k = SHQ_HOLE_OF(L->tok[L->i]);
	uint32_t at = L->src[L->i];
	struct shq_ctx *c = &P->ctx[k];

	L->i++;
	if (P->raw[k])
		return;		/* as written: the author vouches for it */
	if (P->forbid != NULL) {
		shq_fail(P, at, (long)k, "a template %s cannot be quoted with certainty" SHQ_ADVICE,
		    P->forbid);
		return;
	}
	if (L->delim != NULL && !L->delim_quoted && L->i >= 2 && L->tok[L->i - 2] == '\\') {
		shq_fail(P, at, (long)k, "a template right after a backslash in a heredoc cannot "
		    "be quoted with certainty" SHQ_ADVICE);
		return;
	}
	if (P->unsure != NULL) {
		shq_fail(P, at, (long)k, "drover cannot be sure how the shell reads this command "
		    "after %s, so it cannot quote the template here" SHQ_ADVICE, P->unsure);
		return;
	}
	c->kind = kind;
	c->backticks = L->backticks;
	c->bare_ok = kind == SHQ_WORD;
	c->command_word = command_word;
	c->delim = L->delim;
	c->strip_tabs = L->strip;
	c->delim_quoted = L->delim_quoted;
	c->in_subst = L->subst > 0;
	if (w != NULL) {
		xgrow(&w->holes, &w->cap, w->n + 1, sizeof *w->holes);
		w->holes[w->n++] = k;
	}
}

/* Whether a plain word keeps the next word in command-name position. */
static bool
word_keeps_cmd(const struct word *w)
{
	static const char *const reserved[] = {
		"!", "{", "}", "if", "then", "else", "elif", "fi", "do", "done", "case", "esac",
		"while", "until", "for", "in", "function", "select", "time", "coproc", NULL,
	};
	size_t name = 0;

	if (!w->plain || w->len >= sizeof w->text - 1)
		return false;
	for (size_t i = 0; reserved[i] != NULL; i++)
		if (strcmp(w->text, reserved[i]) == 0)
			return true;
	/* NAME=value, an assignment before the command */
	while (name < w->len && (w->text[name] == '_' || (w->text[name] >= 'A' &&
	    w->text[name] <= 'Z') || (w->text[name] >= 'a' && w->text[name] <= 'z') ||
	    (name > 0 && w->text[name] >= '0' && w->text[name] <= '9')))
		name++;
	return name > 0 && name < w->len && w->text[name] == '=';
}

static void
word_end(struct shq_plan *P, struct word *w)
{
	if (w->quote_all)
		for (size_t i = 0; i < w->n; i++)
			P->ctx[w->holes[i]].bare_ok = false;
	if (w->any && w->redir)
		w->redir = false;
	else if (w->any && !word_keeps_cmd(w))
		w->cmd = false;
	w->n = 0;
	w->quote_all = false;
	w->any = false;
	w->plain = true;
	w->len = 0;
	w->text[0] = '\0';
}

/* Something other than plain text went into the word. */
static void
word_mark(struct word *w)
{
	w->any = true;
	w->plain = false;
}

/* An operator ended the word; a command may follow. */
static void
word_op(struct shq_plan *P, struct word *w)
{
	word_end(P, w);
	w->cmd = true;
	w->redir = false;
}

static void shq_code(struct shq_plan *P, struct lx *L, bool close);
static void shq_dollar(struct shq_plan *P, struct lx *L, bool in_text);
static void shq_backtick(struct shq_plan *P, struct lx *L, const char *forbid);

/* A '\' was read; a hole right after it is refused (the value's own first
 * character would be taken as escaped). */
static void
shq_escaped(struct shq_plan *P, struct lx *L)
{
	int32_t t = lx_peek(L, 0);

	if (SHQ_IS_HOLE(t))
		shq_fail(P, L->src[L->i], (long)SHQ_HOLE_OF(t), "a template right after a "
		    "backslash cannot be quoted with certainty" SHQ_ADVICE);
	else if (t != SHQ_EOF)
		L->i++;
}

static void
shq_single(struct shq_plan *P, struct lx *L)
{
	uint32_t open = L->src[L->i - 1];

	while (!P->failed) {
		int32_t t = lx_peek(L, 0);

		if (t == SHQ_EOF) {
			shq_fail(P, open, -1, "this single quote is never closed");
			return;
		}
		if (SHQ_IS_HOLE(t)) {
			shq_hole(P, L, SHQ_SINGLE, false, NULL);
			continue;
		}
		L->i++;
		if (t == '\'')
			return;
	}
}

static void
shq_double(struct shq_plan *P, struct lx *L)
{
	uint32_t open = L->src[L->i - 1];

	while (!P->failed) {
		int32_t t = lx_peek(L, 0);

		if (t == SHQ_EOF) {
			shq_fail(P, open, -1, "this double quote is never closed");
			return;
		}
		if (SHQ_IS_HOLE(t)) {
			shq_hole(P, L, SHQ_DOUBLE, false, NULL);
			continue;
		}
		L->i++;
		if (t == '"')
			return;
		if (t == '\\')
			shq_escaped(P, L);
		else if (t == '$')
			shq_dollar(P, L, true);
		else if (t == '`')
			shq_backtick(P, L, "inside `...` within double quotes (write $(...))");
	}
}

/* $((...)): up to the "))" that closes it. */
static void
shq_arith(struct shq_plan *P, struct lx *L)
{
	uint32_t open = L->src[L->i - 1];
	const char *old = shq_forbid(P, "inside $((...)) (arithmetic)");
	int depth = 0;

	while (!P->failed) {
		int32_t t = lx_peek(L, 0);

		if (t == SHQ_EOF) {
			shq_fail(P, open, -1, "this $(( is never closed");
			break;
		}
		if (SHQ_IS_HOLE(t)) {
			shq_hole(P, L, SHQ_WORD, false, NULL);
			continue;
		}
		L->i++;
		if (t == '(') {
			depth++;
		} else if (t == ')' && depth > 0) {
			depth--;
		} else if (t == ')') {
			if (lx_peek(L, 0) != ')')
				shq_unsure(P, "$(( that is not closed by ))");
			else
				L->i++;
			break;
		} else if (t == '\'') {
			shq_single(P, L);
		} else if (t == '"') {
			shq_double(P, L);
		} else if (t == '\\') {
			shq_escaped(P, L);
		} else if (t == '$') {
			shq_dollar(P, L, false);
		} else if (t == '`') {
			shq_backtick(P, L, NULL);
		}
	}
	P->forbid = old;
}

/* ${...}: up to the first '}' not inside a quote or a nested expansion. */
static void
shq_braces(struct shq_plan *P, struct lx *L, bool in_text)
{
	uint32_t open = L->src[L->i - 1];
	const char *old = shq_forbid(P, "inside ${...}");

	while (!P->failed) {
		int32_t t = lx_peek(L, 0);

		if (t == SHQ_EOF) {
			shq_fail(P, open, -1, "this ${ is never closed");
			break;
		}
		if (SHQ_IS_HOLE(t)) {
			shq_hole(P, L, SHQ_WORD, false, NULL);
			continue;
		}
		L->i++;
		if (t == '}')
			break;
		if (t == '\\')
			shq_escaped(P, L);
		else if (t == '$')
			shq_dollar(P, L, in_text);
		else if (t == '`')
			shq_backtick(P, L, NULL);
		else if (t == '"')
			shq_double(P, L);
		else if (t == '\'' && !in_text)
			shq_single(P, L);
		else if (t == '\'' || t == '{')
			shq_unsure(P, in_text ? "a quote or brace inside \"${...}\"" :
			    "a brace inside ${...}");
	}
	P->forbid = old;
}

/* After a '$'.  in_text: within "..." or a heredoc, where $'...' and
 * $"..." are not special. */
static void
shq_dollar(struct shq_plan *P, struct lx *L, bool in_text)
{
	int32_t t = lx_peek(L, 0);

	if (SHQ_IS_HOLE(t)) {
		shq_fail(P, L->src[L->i], (long)SHQ_HOLE_OF(t), "a template right after '$' "
		    "cannot be quoted with certainty" SHQ_ADVICE);
		return;
	}
	if (++P->depth > SHQ_MAX_DEPTH) {
		shq_fail(P, lx_at(L), -1, "the command nests more than %d levels deep",
		    SHQ_MAX_DEPTH);
		return;
	}
	if (t == '(' && lx_peek(L, 1) == '(') {
		L->i += 2;
		shq_arith(P, L);
	} else if (t == '(') {
		L->i++;
		L->subst++;
		shq_code(P, L, true);
		L->subst--;
	} else if (t == '{') {
		L->i++;
		shq_braces(P, L, in_text);
	} else if (t == '\'' && !in_text) {
		/* $'...' (bash, ksh, zsh); dash reads $ then '...'. */
		const char *old = shq_forbid(P, "inside $'...'");
		uint32_t open = L->src[L->i];
		bool backslash = false;

		L->i++;
		while (!P->failed && (t = lx_peek(L, 0)) != '\'') {
			if (t == SHQ_EOF) {
				shq_fail(P, open, -1, "the quote of this $' is never closed");
				break;
			}
			if (SHQ_IS_HOLE(t)) {
				shq_hole(P, L, SHQ_SINGLE, false, NULL);
				continue;
			}
			L->i++;
			if (t == '\\') {
				backslash = true;
				shq_escaped(P, L);
			}
		}
		L->i++;
		P->forbid = old;
		if (backslash)
			shq_unsure(P, "$'...' holding a backslash (dash and bash read it "
			    "differently)");
	} else if (t == '"' && !in_text) {
		const char *old = shq_forbid(P, "inside $\"...\" (bash translates it)");

		L->i++;
		shq_double(P, L);
		P->forbid = old;
	}
	P->depth--;
}

/* `...`: its text, with one level of \\ \` \$ removed, read as code one
 * backquote layer deeper.  forbid: why holes are refused in it, or NULL. */
static void
shq_backtick(struct shq_plan *P, struct lx *L, const char *forbid)
{
	uint32_t open = L->src[L->i - 1];
	int32_t *tok = xcalloc(L->n - L->i + 1, sizeof *tok);
	uint32_t *src = xcalloc(L->n - L->i + 1, sizeof *src);
	struct lx sub = { tok, src, 0, 0, L->backticks + 1, L->delim, L->strip,
	    L->delim_quoted, L->subst + 1 };
	bool closed = false, quotes = false;
	const char *old;

	while (L->i < L->n) {
		int32_t t = L->tok[L->i];
		uint32_t at = L->src[L->i++];

		if (t == '`') {
			closed = true;
			break;
		}
		if (t == '\\' && L->i < L->n && (L->tok[L->i] == '`' || L->tok[L->i] == '$' ||
		    L->tok[L->i] == '\\')) {
			t = L->tok[L->i];
			at = L->src[L->i++];
		}
		quotes |= t == '"';
		tok[sub.n] = t;
		src[sub.n++] = at;
	}
	if (!closed) {
		shq_fail(P, open, -1, "this backquote is never closed");
	} else if (++P->depth > SHQ_MAX_DEPTH) {
		shq_fail(P, open, -1, "the command nests more than %d levels deep", SHQ_MAX_DEPTH);
	} else {
		if (forbid != NULL && quotes)
			shq_unsure(P, "double quotes inside `...` within quotes or a heredoc");
		old = shq_forbid(P, forbid != NULL ? forbid : sub.backticks > 1 ?
		    "inside nested backquotes (write $(...))" : NULL);
		shq_code(P, &sub, false);
		P->forbid = old;
		P->depth--;
	}
	free(tok);
	free(src);
}

/* The word after << (and -): the delimiter, quoted when any of it is. */
static bool
shq_heredoc_word(struct shq_plan *P, struct lx *L, struct heredoc *h)
{
	struct strbuf d = STRBUF_INIT;
	uint32_t at = lx_at(L);
	int32_t t;

	while ((t = lx_peek(L, 0)) == ' ' || t == '\t')
		L->i++;
	while (!P->failed && (t = lx_peek(L, 0)) != SHQ_EOF && strchr(" \t\n;&|<>()", t) == NULL) {
		if (SHQ_IS_HOLE(t)) {
			shq_fail(P, L->src[L->i], (long)SHQ_HOLE_OF(t), "a template in a heredoc "
			    "delimiter cannot be quoted with certainty" SHQ_ADVICE);
			break;
		}
		L->i++;
		if (t == '\'' || t == '"') {
			int32_t q = t;

			h->quoted = true;
			while ((t = lx_peek(L, 0)) != q) {
				if (t == SHQ_EOF || SHQ_IS_HOLE(t)) {
					shq_fail(P, at, t == SHQ_EOF ? -1 : (long)SHQ_HOLE_OF(t),
					    "this heredoc delimiter is not a plain word");
					break;
				}
				L->i++;
				if (q == '"' && t == '\\' && lx_peek(L, 0) >= 0 &&
				    strchr("$`\"\\\n", lx_peek(L, 0)) != NULL)
					t = L->tok[L->i++];
				sb_addc(&d, (char)t);
			}
			L->i++;
		} else if (t == '\\') {
			h->quoted = true;
			if ((t = lx_peek(L, 0)) >= 0) {
				sb_addc(&d, (char)t);
				L->i++;
			}
		} else {
			sb_addc(&d, (char)t);
		}
	}
	if (!P->failed && d.len == 0)
		shq_fail(P, at, -1, "this heredoc has no delimiter word");
	h->delim = sb_detach(&d);
	return !P->failed;
}

/* True when tokens [from, to) are the heredoc's delimiter line. */
static bool
shq_is_delim_line(const struct lx *L, size_t from, size_t to, const struct heredoc *h)
{
	size_t len = strlen(h->delim);

	while (h->strip && from < to && L->tok[from] == '\t')
		from++;
	if (to - from != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (L->tok[from + i] != (unsigned char)h->delim[i])
			return false;
	return true;
}

/* An unquoted heredoc's body: text with \ escapes, $ and ` expansions. */
static void
shq_heredoc_text(struct shq_plan *P, struct lx *L)
{
	while (!P->failed && L->i < L->n) {
		int32_t t = L->tok[L->i];

		if (SHQ_IS_HOLE(t)) {
			shq_hole(P, L, SHQ_HEREDOC, false, NULL);
			continue;
		}
		L->i++;
		if (t == '\\')
			shq_escaped(P, L);
		else if (t == '$')
			shq_dollar(P, L, true);
		else if (t == '`')
			shq_backtick(P, L, "inside `...` within a heredoc (write $(...))");
	}
}

/* The bodies of the heredocs opened on the line that just ended. */
static void
shq_heredocs(struct shq_plan *P, struct lx *L, struct heredoc *hd, size_t n)
{
	for (size_t k = 0; k < n && !P->failed; k++) {
		size_t body = L->i, end = L->n, next = L->n;
		struct lx sub;
		const char *old;

		while (L->i < L->n) {
			size_t from = L->i, to;
			bool hole = false;

			while (L->i < L->n && L->tok[L->i] != '\n')
				hole |= SHQ_IS_HOLE(L->tok[L->i++]);
			to = L->i;
			if (L->i < L->n)
				L->i++;
			if (!hole && shq_is_delim_line(L, from, to, &hd[k])) {
				end = from;
				next = L->i;
				break;
			}
		}
		L->i = next;
		if (L->delim != NULL && body < end)
			old = shq_forbid(P, "in a heredoc inside another heredoc");
		else
			old = P->forbid;
		xgrow(&P->delims, &P->cap_delims, P->n_delims + 1, sizeof *P->delims);
		P->delims[P->n_delims++] = hd[k].delim;
		sub = *L;
		sub.i = body;
		sub.n = end;
		sub.delim = hd[k].delim;
		sub.strip = hd[k].strip;
		sub.delim_quoted = hd[k].quoted;
		hd[k].delim = NULL;
		if (hd[k].quoted) {
			while (!P->failed && sub.i < sub.n) {
				if (SHQ_IS_HOLE(sub.tok[sub.i]))
					shq_hole(P, &sub, SHQ_HEREDOC_LITERAL, false, NULL);
				else
					sub.i++;
			}
		} else {
			shq_heredoc_text(P, &sub);
		}
		P->forbid = old;
	}
}

/* True when the word that starts with the token just read is w. */
static bool
shq_word_is(const struct lx *L, const char *w)
{
	size_t n = strlen(w);
	int32_t t;

	if (L->tok[L->i - 1] != w[0])
		return false;
	for (size_t i = 1; i < n; i++)
		if (lx_peek(L, i - 1) != w[i])
			return false;
	t = lx_peek(L, n - 1);
	return t == SHQ_EOF || (t >= 0 && strchr(" \t\n;&|()<>", t) != NULL);
}

/* Shell code, to the end of the tokens or (close) to the ')' of a $(. */
static void
shq_code(struct shq_plan *P, struct lx *L, bool close)
{
	uint32_t open = L->i > 0 ? L->src[L->i - 1] : 0;
	struct word w = { .plain = true, .cmd = true };
	struct heredoc *hd = NULL;
	size_t n_hd = 0, cap_hd = 0;
	bool start = true;
	int paren = 0;

	while (!P->failed) {
		int32_t t = lx_peek(L, 0);

		if (t == SHQ_EOF) {
			if (close)
				shq_fail(P, open, -1, "this $( is never closed");
			break;
		}
		if (SHQ_IS_HOLE(t)) {
			shq_hole(P, L, SHQ_WORD, start && w.cmd && !w.redir, &w);
			word_mark(&w);
			start = false;
			continue;
		}
		L->i++;
		switch (t) {
		case '\'':
			shq_single(P, L);
			word_mark(&w);
			start = false;
			break;
		case '"':
			shq_double(P, L);
			word_mark(&w);
			start = false;
			break;
		case '\\':
			if (lx_peek(L, 0) == '\n') {
				L->i++;		/* a line continuation */
				break;
			}
			shq_escaped(P, L);
			word_mark(&w);
			start = false;
			break;
		case '$':
			shq_dollar(P, L, false);
			word_mark(&w);
			start = false;
			break;
		case '`':
			shq_backtick(P, L, NULL);
			word_mark(&w);
			start = false;
			break;
		case '#':
			if (!start)
				break;
			while ((t = lx_peek(L, 0)) != SHQ_EOF && t != '\n') {
				if (SHQ_IS_HOLE(t)) {
					const char *old = shq_forbid(P, "inside a shell comment");

					shq_hole(P, L, SHQ_WORD, false, NULL);
					P->forbid = old;
				} else {
					L->i++;
				}
			}
			break;
		case '\n':
			word_op(P, &w);
			start = true;
			shq_heredocs(P, L, hd, n_hd);
			for (size_t i = 0; i < n_hd; i++)
				free(hd[i].delim);	/* those a failure left */
			n_hd = 0;
			break;
		case '(':
			paren++;
			word_op(P, &w);
			start = true;
			break;
		case ')':
			word_op(P, &w);
			start = true;
			if (paren == 0 && close)
				goto out;
			if (paren > 0)
				paren--;
			break;
		case '<':
			word_end(P, &w);
			w.redir = true;
			start = true;
			if (lx_peek(L, 0) != '<')
				break;
			L->i++;
			if (lx_peek(L, 0) == '<') {
				L->i++;		/* <<< a here-string: a word follows */
				break;
			}
			xgrow(&hd, &cap_hd, n_hd + 1, sizeof *hd);
			memset(&hd[n_hd], 0, sizeof *hd);
			hd[n_hd].strip = lx_peek(L, 0) == '-';
			if (hd[n_hd].strip)
				L->i++;
			shq_heredoc_word(P, L, &hd[n_hd]);
			w.redir = false;
			n_hd++;
			break;
		case ' ': case '\t':
			word_end(P, &w);
			start = true;
			break;
		case ';': case '&': case '|':
			word_op(P, &w);
			start = true;
			break;
		case '>':
			word_end(P, &w);
			w.redir = true;
			start = true;
			break;
		default:
			if (start && close && shq_word_is(L, "case"))
				shq_unsure(P, "a case statement inside $(...)");
			if (t == '{' || t == '}' || t == '~' || (t == '=' && w.n > 0))
				w.quote_all = true;
			w.any = true;
			if (w.plain && w.len < sizeof w.text - 1) {
				w.text[w.len++] = (char)t;
				w.text[w.len] = '\0';
			} else {
				w.len = sizeof w.text;	/* too long to be a reserved word */
			}
			start = false;
			break;
		}
	}
out:
	word_end(P, &w);
	free(w.holes);
	for (size_t i = 0; i < n_hd; i++)
		free(hd[i].delim);
	free(hd);
}

struct shq_plan *
shq_plan_new(const char *text, size_t len, const size_t *holes, const bool *raw, size_t n,
    long *bad_hole, struct err *e)
{
	struct shq_plan *P = xcalloc(1, sizeof *P);
	int32_t *tok = xcalloc(len + n + 1, sizeof *tok);
	uint32_t *src = xcalloc(len + n + 1, sizeof *src);
	struct lx L = { tok, src, 0, 0, 0, NULL, false, false, 0 };
	size_t h = 0;

	*bad_hole = -1;
	P->ctx = xcalloc(n + 1, sizeof *P->ctx);
	P->n = n;
	P->raw = raw;
	P->bad_hole = bad_hole;
	P->e = e;
	for (size_t i = 0; i <= len; i++) {
		for (; h < n && holes[h] == i; h++) {
			tok[L.n] = -2 - (int32_t)h;
			src[L.n++] = (uint32_t)i;
		}
		if (i < len) {
			tok[L.n] = (unsigned char)text[i];
			src[L.n++] = (uint32_t)i;
		}
	}
	shq_code(P, &L, false);
	free(tok);
	free(src);
	P->raw = NULL;
	P->e = NULL;
	P->bad_hole = NULL;
	if (P->failed) {
		shq_plan_free(P);
		return NULL;
	}
	return P;
}

void
shq_plan_free(struct shq_plan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_delims; i++)
		free(p->delims[i]);
	free(p->delims);
	free(p->ctx);
	free(p);
}

const struct shq_ctx *
shq_plan_ctx(const struct shq_plan *p, size_t hole)
{
	return hole < p->n ? &p->ctx[hole] : NULL;
}

/* Whether a value can go bare: safe characters only, and not letters
 * alone where a command's name goes (it could be a reserved word). */
static bool
shq_bare(const char *v, size_t len, bool command_word)
{
	bool letters = true;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '\0' || strchr(shq_safe, v[i]) == NULL)
			return false;
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z')))
			letters = false;
	}
	return !(command_word && letters);
}

/* Appends v with a backslash before every character of set. */
static void
shq_escape(struct strbuf *out, const char *v, size_t len, const char *set)
{
	for (size_t i = 0; i < len; i++) {
		if (v[i] != '\0' && strchr(set, v[i]) != NULL)
			sb_addc(out, '\\');
		sb_addc(out, v[i]);
	}
}

static void
shq_single_body(struct strbuf *out, const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '\'')
			sb_adds(out, "'\\''");
		else
			sb_addc(out, v[i]);
	}
}

void
shq_quote(struct strbuf *out, const struct shq_ctx *c, const char *value, size_t len)
{
	struct strbuf s = STRBUF_INIT, layer = STRBUF_INIT;

	switch (c->kind) {
	case SHQ_WORD:
		if (c->bare_ok && shq_bare(value, len, c->command_word)) {
			sb_add(&s, value, len);
		} else {
			sb_addc(&s, '\'');
			shq_single_body(&s, value, len);
			sb_addc(&s, '\'');
		}
		break;
	case SHQ_SINGLE:
		shq_single_body(&s, value, len);
		break;
	case SHQ_DOUBLE:
		shq_escape(&s, value, len, "$`\"\\");
		break;
	case SHQ_HEREDOC:
		shq_escape(&s, value, len, "$`\\");
		break;
	case SHQ_HEREDOC_LITERAL:
		sb_add(&s, value, len);
		break;
	}
	/* Each backquote layer takes away one level of \\ \` \$. */
	for (int k = 0; k < c->backticks; k++) {
		sb_reset(&layer);
		shq_escape(&layer, s.buf != NULL ? s.buf : "", s.len, "\\`$");
		sb_reset(&s);
		sb_add(&s, layer.buf != NULL ? layer.buf : "", layer.len);
	}
	sb_add(out, s.buf != NULL ? s.buf : "", s.len);
	sb_fini(&s);
	sb_fini(&layer);
}

/* Hole k's value in a heredoc: the lines it touches must not end the
 * heredoc or read differently than written. */
static int
shq_check_heredoc(const struct shq_ctx *c, const char *value, size_t vlen, const char *out,
    size_t len, size_t start, size_t end, struct err *e)
{
	size_t dlen = strlen(c->delim), a = start, m;

	/* bash joins a line ending in a backslash to the next one while it
	 * reads an unquoted body, inside quotes and $(...) too. */
	if (!c->delim_quoted && memmem(value, vlen, "\\\n", 2) != NULL)
		return err_set(e, "its value has a backslash before a newline, which bash takes "
		    "away inside a heredoc");
	/* bash 5.2 turns \1\1 into \1, and \1\177 into \177, in the body of
	 * a quoted heredoc inside $(...): its own quoting marks. */
	if (c->delim_quoted && c->in_subst && (memmem(value, vlen, "\1\1", 2) != NULL ||
	    memmem(value, vlen, "\1\177", 2) != NULL))
		return err_set(e, "its value holds the byte 0x01 before 0x01 or 0x7f, which bash "
		    "garbles in a quoted heredoc inside $(...)");
	while (a > 0 && out[a - 1] != '\n')
		a--;
	/* Every line the value touches: [a, b). */
	while (a <= end && a <= len) {
		const char *nl = memchr(out + a, '\n', len - a);
		size_t b = nl != NULL ? (size_t)(nl - out) : len, from = a;

		while (c->strip_tabs && from < b && out[from] == '\t')
			from++;
		if (b - from == dlen && memcmp(out + from, c->delim, dlen) == 0)
			return err_set(e, "its value would make a line '%s', which ends the heredoc "
			    "it is in", c->delim);
		/* Inside $(...), bash 5.2 also ends it at a line that starts with
		 * the delimiter, and reads the rest of that line as code. */
		if (b - from > dlen && memcmp(out + from, c->delim, dlen) == 0)
			return err_set(e, "its value would make a line that starts with '%s', which "
			    "bash can take for the end of the heredoc it is in", c->delim);
		if (c->strip_tabs && a >= start && a < end && a > 0 && out[a] == '\t')
			return err_set(e, "its value has a tab at the start of a line inside a <<- "
			    "heredoc, which the shell would remove");
		/* dash 0.5.12 drops a non-ASCII byte that follows the start of the
		 * delimiter at the start of a line. */
		for (m = 0; m < dlen && from + m < b && out[from + m] == c->delim[m]; m++)
			;
		if (m > 0 && from + m < b && (unsigned char)out[from + m] >= 0x80)
			return err_set(e, "its value would make a line that starts with '%.*s' and "
			    "a non-ASCII byte, which dash misreads in a heredoc", (int)m, c->delim);
		if (nl == NULL)
			break;
		a = b + 1;
	}
	return 0;
}

int
shq_check_heredocs(const struct shq_plan *p, const char *const *values, const char *out,
    size_t len, const size_t *start, const size_t *end, long *bad_hole, struct err *e)
{
	for (size_t k = 0; k < p->n; k++) {
		if (p->ctx[k].delim == NULL)
			continue;
		if (shq_check_heredoc(&p->ctx[k], values[k], strlen(values[k]), out, len, start[k],
		    end[k], e) < 0) {
			*bad_hole = (long)k;
			return -1;
		}
	}
	return 0;
}

bool
shq_shell_is_posix(const char *shell)
{
	static const char *const known[] = {
		"sh", "dash", "bash", "ash", "ksh", "ksh93", "mksh", "zsh", "yash", "posh", NULL,
	};
	char *copy = xstrdup(shell), *save = NULL, *tok, *base;
	bool ok = false, env = true;

	for (tok = strtok_r(copy, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
		base = strrchr(tok, '/') != NULL ? strrchr(tok, '/') + 1 : tok;
		if (env && strcmp(base, "env") == 0) {
			env = false;	/* /usr/bin/env bash */
			continue;
		}
		if (!env && (tok[0] == '-' || strchr(tok, '=') != NULL))
			continue;	/* env's options and assignments */
		if (strcmp(base, "busybox") == 0) {
			env = false;
			continue;	/* busybox sh */
		}
		for (size_t i = 0; known[i] != NULL; i++)
			if (strcmp(base, known[i]) == 0)
				ok = true;
		break;
	}
	free(copy);
	return ok;
}
