/* wf_read.c - the typed readers every stage of loading uses, and the
 * documents a workflow keeps.
 *
 * Each reader checks one field's type and value and reports a problem at
 * its node; templates and expressions are compiled here and recorded for
 * wf_check.  Loading goes on after a problem, so that every one shows.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dur.h"
#include "expr.h"
#include "strbuf.h"
#include "suggest.h"
#include "tmpl.h"
#include "wf_read.h"
#include "xmalloc.h"
#include "ydoc.h"

static void
ld_problem(void *ud, int line, int col, const char *msg)
{
	struct ld *ld = ud;

	diags_add(ld->d, ld->file, line, col, "%s", msg);
}

static void
aux_free(void *p)
{
	tmpl_free(p);
}

struct ydoc *
wf_parse_doc(struct ld *ld, const char *file, const char *text, size_t len)
{
	struct workflow *wf = ld->wf;
	struct ydoc *doc;
	struct err e;
	size_t i = wf->n_docs;

	wf->docs = xreallocarray(wf->docs, i + 1, sizeof *wf->docs);
	wf->doc_files = xreallocarray(wf->doc_files, i + 1, sizeof *wf->doc_files);
	wf->doc_files[i] = xstrdup(file);
	wf->docs[i] = NULL;
	wf->n_docs++;
	ld->file = wf->doc_files[i];
	doc = ydoc_parse(text, len, ld_problem, ld, &e);
	if (doc == NULL) {
		diags_add(ld->d, file, e.line, e.col, "%s", e.msg);
		return NULL;
	}
	ydoc_set_aux_free(doc, aux_free);
	wf->docs[i] = doc;
	return doc;
}

void
ld_err(struct ld *ld, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	diags_add(ld->d, ld->file, n != NULL ? n->line : 0, n != NULL ? n->col : 0, "%s", msg);
	free(msg);
}

void
ld_err_in(struct ld *ld, const struct ynode *n, size_t off, const char *msg)
{
	int line, col;

	ynode_pos_at(n, off, &line, &col);
	diags_add(ld->d, ld->file, line, col, "%s", msg);
}

void
ld_check_keys(struct ld *ld, const struct ynode *map, const char *const *allowed,
    const char *where)
{
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->pairs[i].key;
		const char *hint;
		size_t j;

		if (strncmp(k->str, "x-", 2) == 0)
			continue;	/* extension fields, a home for YAML anchors */
		for (j = 0; allowed[j] != NULL; j++)
			if (k->str[0] == allowed[j][0] && strcmp(k->str, allowed[j]) == 0)
				break;
		if (allowed[j] != NULL)
			continue;
		hint = suggest_from(k->str, allowed);
		if (hint != NULL)
			ld_err(ld, k, "unknown key '%s' in %s; did you mean '%s'?", k->str, where, hint);
		else
			ld_err(ld, k, "unknown key '%s' in %s", k->str, where);
	}
}

bool
ld_type(struct ld *ld, const struct ynode *n, const char *field, bool ok, const char *want)
{
	if (!ok)
		ld_err(ld, n, "'%s' must be %s, not %s", field, want, ynode_describe(n));
	return ok;
}

bool
ld_map(struct ld *ld, const struct ynode *n, const char *field)
{
	return ld_type(ld, n, field, n->kind == YNODE_MAP, "a mapping");
}

bool
ld_seq(struct ld *ld, const struct ynode *n, const char *field)
{
	return ld_type(ld, n, field, n->kind == YNODE_SEQ, "a list");
}

bool
ld_str(struct ld *ld, const struct ynode *n, const char *field, char **out)
{
	if (!ld_type(ld, n, field, ynode_is_str(n), "a string"))
		return false;
	*out = xstrdup(n->str);
	return true;
}

bool
ld_text(struct ld *ld, const struct ynode *n, const char *field, char **out)
{
	if (!ld_type(ld, n, field, n->kind == YNODE_SCALAR && n->type != YS_NULL, "a string"))
		return false;
	*out = xstrdup(n->str);
	return true;
}

bool
ld_bool(struct ld *ld, const struct ynode *n, const char *field, bool *out)
{
	if (!ld_type(ld, n, field, n->kind == YNODE_SCALAR && n->type == YS_BOOL,
	    "true or false"))
		return false;
	*out = n->b;
	return true;
}

bool
ld_int(struct ld *ld, const struct ynode *n, const char *field, long long min, long long max,
    long long *out)
{
	if (!ld_type(ld, n, field, n->kind == YNODE_SCALAR && n->type == YS_INT, "an integer"))
		return false;
	if (n->i < min || n->i > max) {
		if (max == LLONG_MAX)
			ld_err(ld, n, "'%s' must be at least %lld, not %lld", field, min, n->i);
		else
			ld_err(ld, n, "'%s' must be from %lld to %lld, not %lld", field, min, max, n->i);
		return false;
	}
	*out = n->i;
	return true;
}

bool
ld_num(struct ld *ld, const struct ynode *n, const char *field, double min, double max,
    double *out)
{
	if (!ld_type(ld, n, field, n->kind == YNODE_SCALAR &&
	    (n->type == YS_INT || n->type == YS_FLOAT), "a number"))
		return false;
	if (!isfinite(n->f)) {
		ld_err(ld, n, "'%s' must be a finite number, not %s", field, n->str);
		return false;
	}
	if (!(n->f >= min && n->f <= max)) {
		if (isinf(max))
			ld_err(ld, n, "'%s' must be at least %g, not %s", field, min, n->str);
		else
			ld_err(ld, n, "'%s' must be from %g to %g, not %s", field, min, max, n->str);
		return false;
	}
	*out = n->f;
	return true;
}

bool
ld_dur(struct ld *ld, const struct ynode *n, const char *field, int64_t *out)
{
	struct err e;

	if (n->kind == YNODE_SCALAR && n->type == YS_INT) {
		ld_err(ld, n, "'%s' needs a unit: write %llds for seconds (units: ms, s, m, h, d)",
		    field, n->i);
		return false;
	}
	if (!ld_type(ld, n, field, ynode_is_str(n), "a duration such as 30s or 5m"))
		return false;
	if (dur_parse(n->str, out, &e) < 0) {
		ld_err(ld, n, "'%s': %s", field, e.msg);
		return false;
	}
	return true;
}

bool
ld_timeout(struct ld *ld, const struct ynode *n, const char *field, int64_t *out)
{
	if (!ld_dur(ld, n, field, out))
		return false;
	if (*out == 0) {
		ld_err(ld, n, "'%s: %s' would end it before it starts; leave '%s' out for no time "
		    "limit", field, n->str, field);
		return false;
	}
	return true;
}

bool
ld_str_list(struct ld *ld, const struct ynode *n, const char *field, const char ***out,
    size_t *count)
{
	bool ok = true;

	if (!ld_type(ld, n, field, n->kind == YNODE_SEQ, "a list of strings"))
		return false;
	*out = xcalloc(n->n + 1, sizeof **out);
	*count = 0;
	for (size_t i = 0; i < n->n; i++) {
		if (!ynode_is_str(n->items[i])) {
			ld_err(ld, n->items[i], "items of '%s' must be strings, not %s", field,
			    ynode_describe(n->items[i]));
			ok = false;
			continue;
		}
		(*out)[(*count)++] = n->items[i]->str;
	}
	return ok;
}

bool
ld_int_list(struct ld *ld, const struct ynode *n, const char *field, long long min,
    long long max, int **out, size_t *count)
{
	const struct ynode *one = n;
	struct ynode *const *items = n->kind == YNODE_SEQ ? n->items : (struct ynode *const *)&one;
	size_t nitems = n->kind == YNODE_SEQ ? n->n : 1;
	bool ok = true;

	*out = xcalloc(nitems + 1, sizeof **out);
	*count = 0;
	for (size_t i = 0; i < nitems; i++) {
		long long v;

		if (!ld_int(ld, items[i], field, min, max, &v))
			ok = false;
		else
			(*out)[(*count)++] = (int)v;
	}
	return ok;
}

bool
ld_choice(struct ld *ld, const struct ynode *n, const char *field, const char *const *choices,
    int *out)
{
	struct strbuf list = STRBUF_INIT;
	const char *hint;

	if (!ld_type(ld, n, field, ynode_is_str(n), "a string"))
		return false;
	for (int i = 0; choices[i] != NULL; i++) {
		if (strcmp(n->str, choices[i]) == 0) {
			*out = i;
			return true;
		}
	}
	for (int i = 0; choices[i] != NULL; i++)
		sb_addf(&list, "%s%s", i ? ", " : "", choices[i]);
	hint = suggest_from(n->str, choices);
	if (hint != NULL)
		ld_err(ld, n, "'%s' must be one of %s, not '%s'; did you mean '%s'?", field,
		    sb_str(&list), n->str, hint);
	else
		ld_err(ld, n, "'%s' must be one of %s, not '%s'", field, sb_str(&list), n->str);
	sb_fini(&list);
	return false;
}

static void
ld_add_ref(struct ld *ld, struct ynode *n, const struct tmpl *t, const struct expr *e,
    const struct refctx *ctx)
{
	struct wf_tref *r;

	xgrow(&ld->refs, &ld->cap_refs, ld->n_refs + 1, sizeof *ld->refs);
	r = &ld->refs[ld->n_refs++];
	r->file = ld->file;
	r->node = n;
	r->t = t;
	r->e = e;
	r->ctx = *ctx;
}

bool
ld_tmpl(struct ld *ld, struct ynode *n, const struct refctx *ctx)
{
	bool ok = true;

	if (++ld->nodes_seen > WF_MAX_NODES)
		return false;
	if (n->kind == YNODE_SEQ) {
		for (size_t i = 0; i < n->n; i++)
			ok &= ld_tmpl(ld, n->items[i], ctx);
	} else if (n->kind == YNODE_MAP) {
		for (size_t i = 0; i < n->n; i++)
			ok &= ld_tmpl(ld, n->pairs[i].val, ctx);
	} else if (n->type == YS_STR && n->aux == NULL && strstr(n->str, "{{") != NULL) {
		struct err e;
		struct tmpl *t = tmpl_parse(n->str, n->len, &e);

		if (t == NULL) {
			ld_err_in(ld, n, e.col > 0 ? (size_t)e.col - 1 : 0, e.msg);
			return false;
		}
		n->aux = t;
		ld_add_ref(ld, n, t, NULL, ctx);
	} else if (n->type == YS_STR && n->aux != NULL) {
		/* Shared through an alias: the same text, read in another place. */
		ld_add_ref(ld, n, n->aux, NULL, ctx);
	}
	return ok;
}

bool
ld_scalar_tmpl(struct ld *ld, struct ynode *n, const char *field, const struct refctx *ctx)
{
	if (n->kind != YNODE_SCALAR || n->type == YS_NULL) {
		ld_err(ld, n, "'%s' must be text, not %s", field, ynode_describe(n));
		return false;
	}
	return ld_tmpl(ld, n, ctx);
}

bool
ld_name_ok(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

bool
ld_env_name_ok(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	if (strlen(s) > WF_MAX_ID)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

bool
wf_env_is_drovers(const char *s)
{
	static const char *const names[] = {
		"DROVER_RUN_ID", "DROVER_RUN_UUID", "DROVER_STEP_ID", "DROVER_ATTEMPT",
		"DROVER_OUTPUT",
	};
	size_t len = strcspn(s, "=");

	if (strncmp(s, "DROVER_ARG_", 11) == 0)
		return true;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0)
			return true;
	return false;
}

bool
ld_tmpl_map(struct ld *ld, struct ynode *n, const char *field, bool env_names,
    const struct refctx *ctx)
{
	bool ok = true;

	if (!ld_map(ld, n, field))
		return false;
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->pairs[i].key, *v = n->pairs[i].val;

		if (env_names && !ld_env_name_ok(k->str)) {
			ld_err(ld, k, "'%.64s' is not a valid environment variable name "
			    "(letters, digits and _, not starting with a digit, at most %d)", k->str,
			    WF_MAX_ID);
			ok = false;
		} else if (env_names && wf_env_is_drovers(k->str)) {
			ld_err(ld, k, "%.64s is one of the names drover sets for each step "
			    "(DROVER_RUN_ID, DROVER_RUN_UUID, DROVER_STEP_ID, DROVER_ATTEMPT, "
			    "DROVER_OUTPUT, DROVER_ARG_*); use another name", k->str);
			ok = false;
		}
		if (env_names && v->kind != YNODE_SCALAR) {
			ld_err(ld, v, "the value of %s '%s' must be text, not %s", field, k->str,
			    ynode_describe(v));
			ok = false;
		}
	}
	return ld_tmpl(ld, n, ctx) && ok;
}

struct expr *
ld_expr(struct ld *ld, struct ynode *n, const char *field, const struct refctx *ctx)
{
	const char *src;
	size_t len, base = 0;
	struct tmpl *t = NULL;
	struct expr *ex;
	struct err e;

	if (n->kind == YNODE_SCALAR && n->type != YS_STR && n->type != YS_NULL) {
		src = n->str;	/* true, false, 1 */
		len = n->len;
	} else if (!ld_type(ld, n, field, ynode_is_str(n), "an expression (text)")) {
		return NULL;
	} else if (strstr(n->str, "{{") != NULL) {
		const struct expr *one;

		t = tmpl_parse(n->str, n->len, &e);
		if (t == NULL) {
			ld_err_in(ld, n, e.col > 0 ? (size_t)e.col - 1 : 0, e.msg);
			return NULL;
		}
		one = tmpl_single(t);
		if (one == NULL) {
			tmpl_free(t);
			ld_err(ld, n, "'%s' is an expression: write it bare (args.x == 'y') or as "
			    "one {{ }} with nothing around it", field);
			return NULL;
		}
		src = expr_source(one);
		len = strlen(src);
		base = strstr(n->str, src) != NULL ? (size_t)(strstr(n->str, src) - n->str) : 0;
	} else {
		src = n->str;
		len = n->len;
	}
	ex = expr_parse(src, len, &e);
	tmpl_free(t);
	if (ex == NULL) {
		ld_err_in(ld, n, base + (e.col > 0 ? (size_t)e.col - 1 : 0), e.msg);
		return NULL;
	}
	ld_add_ref(ld, n, NULL, ex, ctx);
	return ex;
}
