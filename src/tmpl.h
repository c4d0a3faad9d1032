/* tmpl.h - "{{ EXPR }}" templates inside workflow strings (SPEC section 6).
 *
 * A template is text with embedded expressions.  When the whole string is
 * one "{{ EXPR }}" (nothing before or after the braces) it renders to the
 * expression's own value and type; otherwise every part is turned into text
 * (expr_value_text) and joined.  In shell mode (the string form of a `run`
 * step) every substituted value is quoted for the place it goes in the
 * command (shq.h), so the command receives exactly the value; in URL mode
 * (an http step's url) every value substituted after the host is
 * percent-encoded, so it stays one piece of the path or query.  The "raw"
 * filter at the end of an expression opts out of either.
 */
#ifndef DROVER_TMPL_H
#define DROVER_TMPL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "expr.h"

struct tmpl;
struct ynode;

enum tmpl_mode {
	TMPL_VALUE,	/* a lone {{ EXPR }} keeps its type; else text */
	TMPL_TEXT,	/* always text */
	TMPL_SHELL,	/* always text, substitutions shell-quoted */
	TMPL_URL,	/* always text, substitutions in a URL's path, query or
			 * fragment percent-encoded */
};

/* Parses s.  Errors (an unclosed "{{", a bad expression) return NULL with e
 * set; e->col is the 1-based offset in s of the problem.  Free with
 * tmpl_free. */
struct tmpl *tmpl_parse(const char *s, size_t len, struct err *e);
void tmpl_free(struct tmpl *t);

/* True when the template has no {{ }} at all. */
bool tmpl_is_literal(const struct tmpl *t);
/* The expression when the template is exactly one {{ EXPR }}, else NULL. */
const struct expr *tmpl_single(const struct tmpl *t);

/* Calls fn for every name read by every expression; offsets are relative
 * to the start of the template string. */
void tmpl_walk_refs(const struct tmpl *t, expr_ref_fn *fn, void *ud);

/* Renders.  Returns a new value (a string unless TMPL_VALUE and a lone
 * expression) or NULL with e set.  Caller frees with cJSON_Delete. */
cJSON *tmpl_render(const struct tmpl *t, const struct expr_scope *scope, enum tmpl_mode mode,
    struct err *e);
/* The same as text; caller frees. */
char *tmpl_render_text(const struct tmpl *t, const struct expr_scope *scope, enum tmpl_mode mode,
    struct err *e);
/* The same with every secret of hide replaced by "***" in each value
 * before it is quoted: the text to show people.  hide may be NULL; caller
 * frees. */
struct mask;
char *tmpl_render_shown(const struct tmpl *t, const struct expr_scope *scope,
    enum tmpl_mode mode, const struct mask *hide, struct err *e);

/* Works out where each expression of a shell command (a `run` string)
 * sits, so TMPL_SHELL rendering quotes it for that place (shq.h); -1 with
 * e set (e->col: 1-based offset in the template) when one sits where no
 * quoting is certain.  Rendering does this itself when it was not done,
 * but doing it once, when the file is loaded, reports problems early. */
int tmpl_shell_prepare(struct tmpl *t, struct err *e);
/* True when some expression is not "| raw" (it will be quoted). */
bool tmpl_has_quoted(const struct tmpl *t);

/* Renders a YAML subtree to JSON: string scalars that carry a compiled
 * template in n->aux are rendered with TMPL_VALUE, everything else is
 * converted as written.  A new tree the caller frees (cJSON_Delete); NULL
 * with e set (position of the failing node). */
cJSON *tmpl_render_node(const struct ynode *n, const struct expr_scope *scope, struct err *e);

#endif
