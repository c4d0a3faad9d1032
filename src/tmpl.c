/* tmpl.c - "{{ EXPR }}" templates inside workflow strings (SPEC section 6).
 *
 * A template is a list of parts, each literal text or a parsed expression.
 * A "}}" inside a quoted string within the braces does not close them, so
 * {{ '}}' }} works, and {{ '{{' }} is how a literal "{{" is written.
 * Positions in errors are made relative to the start of the template.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"
#include "shq.h"
#include "strbuf.h"
#include "tmpl.h"
#include "xmalloc.h"
#include "ydoc.h"

#define TMPL_MAX_TEXT (16 * 1024 * 1024)
#define TMPL_MAX_SHELL (1024 * 1024)	/* longest command whose quoting is checked */

struct tmpl_part {
	char *text;		/* literal text, or NULL for an expression */
	size_t len;
	struct expr *ex;
	size_t off;		/* where the text, or the expression, starts in the template */
};

struct tmpl {
	struct tmpl_part *parts;
	size_t n, cap;
	struct shq_plan *shell;	/* TMPL_SHELL: the context of each expression */
};

struct tmpl_walk {
	expr_ref_fn *fn;
	void *ud;
	size_t off;
};

static void
tmpl_add_part(struct tmpl *t, char *text, size_t len, struct expr *ex, size_t off)
{
	xgrow(&t->parts, &t->cap, t->n + 1, sizeof *t->parts);
	t->parts[t->n].text = text;
	t->parts[t->n].len = len;
	t->parts[t->n].ex = ex;
	t->parts[t->n].off = off;
	t->n++;
}

static void
tmpl_add_text(struct tmpl *t, const char *s, size_t len, size_t off)
{
	if (len > 0)
		tmpl_add_part(t, xstrndup(s, len), len, NULL, off);
}

static bool
tmpl_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The offset of the "}}" that closes a tag whose contents start at from,
 * or len when there is none; then *quote is where a string left open
 * starts, or len. */
static size_t
tmpl_find_close(const char *s, size_t len, size_t from, size_t *quote)
{
	char q = 0;

	*quote = len;
	for (size_t i = from; i < len; i++) {
		if (q != 0) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == q)
				q = 0;
		} else if (s[i] == '\'' || s[i] == '"') {
			q = s[i];
			*quote = i;
		} else if (s[i] == '}' && i + 1 < len && s[i + 1] == '}')
			return i;
	}
	if (q == 0)
		*quote = len;
	return len;
}

struct tmpl *
tmpl_parse(const char *s, size_t len, struct err *e)
{
	struct tmpl *t = xcalloc(1, sizeof *t);
	size_t i = 0;

	while (i < len) {
		const char *open = memmem(s + i, len - i, "{{", 2);
		size_t at, start, end, quote;
		struct expr *ex;

		if (open == NULL) {
			tmpl_add_text(t, s + i, len - i, i);
			break;
		}
		at = (size_t)(open - s);
		tmpl_add_text(t, s + i, at - i, i);
		end = tmpl_find_close(s, len, at + 2, &quote);
		if (end == len) {
			if (quote < len)
				err_set_at(e, 0, (int)at + 1, "'{{' at position %zu is not closed: the "
				    "string starting at position %zu has no closing quote", at + 1,
				    quote + 1);
			else
				err_set_at(e, 0, (int)at + 1, "'{{' at position %zu is not closed "
				    "(add '}}')", at + 1);
			tmpl_free(t);
			return NULL;
		}
		i = end + 2;
		start = at + 2;
		while (start < end && tmpl_is_space(s[start]))
			start++;
		while (end > start && tmpl_is_space(s[end - 1]))
			end--;
		if (start == end) {
			err_set_at(e, 0, (int)at + 1, "empty '{{ }}' at position %zu", at + 1);
			tmpl_free(t);
			return NULL;
		}
		if ((ex = expr_parse(s + start, end - start, e)) == NULL) {
			if (e != NULL)
				e->col += (int)start;
			tmpl_free(t);
			return NULL;
		}
		tmpl_add_part(t, NULL, 0, ex, start);
	}
	return t;
}

void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->parts[i].text);
		expr_free(t->parts[i].ex);
	}
	free(t->parts);
	shq_plan_free(t->shell);
	free(t);
}

bool
tmpl_is_literal(const struct tmpl *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->parts[i].ex != NULL)
			return false;
	return true;
}

const struct expr *
tmpl_single(const struct tmpl *t)
{
	return t->n == 1 ? t->parts[0].ex : NULL;
}

static void
tmpl_walk_one(void *ud, const char *root, const char *member, size_t offset)
{
	struct tmpl_walk *w = ud;

	w->fn(w->ud, root, member, w->off + offset);
}

void
tmpl_walk_refs(const struct tmpl *t, expr_ref_fn *fn, void *ud)
{
	struct tmpl_walk w = { fn, ud, 0 };

	for (size_t i = 0; i < t->n; i++) {
		if (t->parts[i].ex == NULL)
			continue;
		w.off = t->parts[i].off;
		expr_walk_refs(t->parts[i].ex, tmpl_walk_one, &w);
	}
}

static cJSON *
tmpl_eval(const struct tmpl_part *part, const struct expr_scope *scope, struct err *e)
{
	cJSON *v = expr_eval(part->ex, scope, e);

	if (v == NULL && e != NULL && e->col > 0)
		e->col += (int)part->off;
	return v;
}

bool
tmpl_has_quoted(const struct tmpl *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->parts[i].ex != NULL && !expr_is_raw(t->parts[i].ex))
			return true;
	return false;
}

/* The offset in the template of offset flat of its literal text alone. */
static size_t
tmpl_text_offset(const struct tmpl *t, size_t flat)
{
	size_t seen = 0, last = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct tmpl_part *part = &t->parts[i];

		if (part->ex != NULL)
			continue;
		if (flat < seen + part->len)
			return part->off + (flat - seen);
		seen += part->len;
		last = part->off + part->len;
	}
	return last;
}

/* The expression part of hole k. */
static const struct tmpl_part *
tmpl_hole_part(const struct tmpl *t, size_t k)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->parts[i].ex != NULL && k-- == 0)
			return &t->parts[i];
	return NULL;
}

/* Where each expression of t sits in its shell command; NULL with e set
 * when one cannot be quoted.  Caller frees. */
static struct shq_plan *
tmpl_shell_plan(const struct tmpl *t, struct err *e)
{
	struct strbuf text = STRBUF_INIT;
	size_t n = 0, *holes = xcalloc(t->n + 1, sizeof *holes);
	bool *raw = xcalloc(t->n + 1, sizeof *raw);
	struct shq_plan *plan = NULL;
	long bad = -1;

	for (size_t i = 0; i < t->n; i++) {
		if (t->parts[i].ex == NULL) {
			sb_add(&text, t->parts[i].text, t->parts[i].len);
		} else {
			holes[n] = text.len;
			raw[n++] = expr_is_raw(t->parts[i].ex);
		}
	}
	if (text.len > TMPL_MAX_SHELL) {
		err_set_at(e, 0, 1, "the command is longer than 1 MiB, too long for drover to "
		    "check how its templates are quoted; use a script file");
	} else {
		plan = shq_plan_new(text.buf != NULL ? text.buf : "", text.len, holes, raw, n, &bad,
		    e);
		if (plan == NULL && e != NULL) {
			const struct tmpl_part *part = bad >= 0 ? tmpl_hole_part(t, (size_t)bad) : NULL;

			e->col = part != NULL ? (int)part->off + 1 :
			    (int)tmpl_text_offset(t, (size_t)(e->col - 1)) + 1;
		}
	}
	sb_fini(&text);
	free(holes);
	free(raw);
	return plan;
}

int
tmpl_shell_prepare(struct tmpl *t, struct err *e)
{
	if (t->shell != NULL || !tmpl_has_quoted(t))
		return 0;
	t->shell = tmpl_shell_plan(t, e);
	return t->shell != NULL ? 0 : -1;
}

/* True when a URL that begins with u[0..len) is past its authority (in
 * its path, query or fragment): "scheme://host" followed by '/', '?' or
 * '#'.  Before that, a value may be the scheme, the host or the whole URL. */
static bool
url_past_authority(const char *u, size_t len)
{
	const char *sep = memmem(u, len, "://", 3);

	if (sep == NULL)
		return false;
	for (const char *p = sep + 3; p < u + len; p++)
		if (*p == '/' || *p == '?' || *p == '#')
			return true;
	return false;
}

/* Percent-encodes all but RFC 3986's unreserved characters. */
static void
url_encode(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			sb_addc(sb, (char)*p);
		} else {
			sb_addc(sb, '%');
			sb_addc(sb, hex[*p >> 4]);
			sb_addc(sb, hex[*p & 15]);
		}
	}
}

/* A substituted value, quoted for its place: in a shell command, or in a
 * URL's path, query or fragment. */
static void
tmpl_add_value(struct strbuf *sb, const struct shq_plan *plan, const struct tmpl_part *part,
    size_t hole, const char *text, enum tmpl_mode mode)
{
	if (mode == TMPL_SHELL && !expr_is_raw(part->ex))
		shq_quote(sb, shq_plan_ctx(plan, hole), text, strlen(text));
	else if (mode == TMPL_URL && !expr_is_raw(part->ex) &&
	    url_past_authority(sb_str(sb), sb->len))
		url_encode(sb, text);
	else
		sb_adds(sb, text);
}

char *
tmpl_render_shown(const struct tmpl *t, const struct expr_scope *scope, enum tmpl_mode mode,
    const struct mask *hide, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	size_t hole = 0, *start = xcalloc(t->n + 1, sizeof *start);
	size_t *end = xcalloc(t->n + 1, sizeof *end);
	char **values = xcalloc(t->n + 1, sizeof *values);
	struct shq_plan *local = NULL;
	const struct shq_plan *plan = t->shell;
	char *out = NULL;
	long bad = -1;

	if (mode == TMPL_SHELL && plan == NULL && tmpl_has_quoted(t) &&
	    (plan = local = tmpl_shell_plan(t, e)) == NULL)
		goto out;
	for (size_t i = 0; i < t->n; i++) {
		const struct tmpl_part *part = &t->parts[i];
		cJSON *v;
		char *text, *masked;
		size_t mlen;

		if (part->ex == NULL) {
			sb_add(&sb, part->text, part->len);
			continue;
		}
		if ((v = tmpl_eval(part, scope, e)) == NULL)
			goto out;
		text = expr_value_text(v);
		cJSON_Delete(v);
		if ((masked = mask_apply(hide, text, strlen(text), &mlen)) != NULL) {
			free(text);
			text = masked;
		}
		start[hole] = sb.len;
		tmpl_add_value(&sb, plan, part, hole, text, mode);
		end[hole] = sb.len;
		values[hole++] = text;
		if (sb.len > TMPL_MAX_TEXT) {
			err_set_at(e, 0, (int)part->off + 1, "the text of '%.60s' would be longer "
			    "than 16 MiB", expr_source(part->ex));
			goto out;
		}
	}
	if (mode == TMPL_SHELL && plan != NULL &&
	    shq_check_heredocs(plan, (const char *const *)values, sb_str(&sb), sb.len, start, end,
	    &bad, e) < 0) {
		const struct tmpl_part *part = tmpl_hole_part(t, (size_t)bad);

		err_prefix(e, "'{{ %.60s }}' at position %zu: ", expr_source(part->ex),
		    part->off + 1);
		if (e != NULL)
			e->col = (int)part->off + 1;
		goto out;
	}
	out = sb_detach(&sb);
out:
	sb_fini(&sb);
	for (size_t i = 0; i < hole; i++)
		free(values[i]);
	free(values);
	free(start);
	free(end);
	shq_plan_free(local);
	return out;
}

char *
tmpl_render_text(const struct tmpl *t, const struct expr_scope *scope, enum tmpl_mode mode,
    struct err *e)
{
	return tmpl_render_shown(t, scope, mode, NULL, e);
}

static cJSON *
tmpl_check(cJSON *v)
{
	if (v == NULL)
		fatal("out of memory");
	return v;
}

cJSON *
tmpl_render(const struct tmpl *t, const struct expr_scope *scope, enum tmpl_mode mode,
    struct err *e)
{
	char *text;
	cJSON *v;

	if (mode == TMPL_VALUE && tmpl_single(t) != NULL)
		return tmpl_eval(&t->parts[0], scope, e);
	if ((text = tmpl_render_text(t, scope, mode, e)) == NULL)
		return NULL;
	v = tmpl_check(cJSON_CreateString(text));
	free(text);
	return v;
}

cJSON *
tmpl_render_node(const struct ynode *n, const struct expr_scope *scope, struct err *e)
{
	cJSON *v, *item;

	switch (n->kind) {
	case YNODE_SEQ:
		v = tmpl_check(cJSON_CreateArray());
		for (size_t i = 0; i < n->n; i++) {
			if ((item = tmpl_render_node(n->items[i], scope, e)) == NULL) {
				cJSON_Delete(v);
				return NULL;
			}
			cJSON_AddItemToArray(v, item);
		}
		return v;
	case YNODE_MAP:
		v = tmpl_check(cJSON_CreateObject());
		for (size_t i = 0; i < n->n; i++) {
			if ((item = tmpl_render_node(n->pairs[i].val, scope, e)) == NULL) {
				cJSON_Delete(v);
				return NULL;
			}
			cJSON_AddItemToObject(v, n->pairs[i].key->str, item);
		}
		return v;
	case YNODE_SCALAR:
		break;
	}
	if (n->type != YS_STR || n->aux == NULL)
		return ynode_to_json(n);
	if ((v = tmpl_render(n->aux, scope, TMPL_VALUE, e)) == NULL && e != NULL) {
		e->line = n->line;
		e->col = n->col;
	}
	return v;
}
