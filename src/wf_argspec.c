/* wf_argspec.c - typed parameters as written: the workflow's args, a
 * tool's params and an approval's inputs (SPEC 4).
 *
 * Each spec is read field by field; its default and enum values are then
 * checked against its own rules (argspec.c), so that a workflow whose
 * default could never be accepted does not load.
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "argspec.h"
#include "wf_ld.h"
#include "xmalloc.h"
#include "ydoc.h"

static const char *const argspec_keys[] = {
	"type", "required", "default", "enum", "pattern", "minimum", "maximum", "min_length",
	"max_length", "description", "examples", "secret", NULL,
};

/* Static checks of one spec: its default and enum values obey its rules. */
static void
ld_argspec_values(struct ld *ld, struct arg_spec *s)
{
	struct ynode *dn = ynode_get(s->node, "default"), *en = ynode_get(s->node, "enum");
	struct err e;

	if (s->has_min && s->has_max && s->min > s->max)
		ld_err(ld, ynode_get(s->node, "minimum"), "minimum %g is above maximum %g", s->min,
		    s->max);
	if (s->min_len >= 0 && s->max_len >= 0 && s->min_len > s->max_len)
		ld_err(ld, ynode_get(s->node, "min_length"), "min_length %lld is above max_length %lld",
		    s->min_len, s->max_len);
	if (en != NULL) {
		cJSON *vals = s->enum_vals, *x;
		size_t i = 0;

		s->enum_vals = NULL;	/* each value on its own, then together */
		cJSON_ArrayForEach(x, vals) {
			if (argspec_check(s, x, &e) < 0)
				ld_err(ld, en->items[i], "enum value does not fit the arg: %s", e.msg);
			i++;
		}
		s->enum_vals = vals;
	}
	if (s->def != NULL && argspec_check(s, s->def, &e) < 0)
		ld_err(ld, dn, "default does not fit the arg: %s", e.msg);
}

static void
ld_argspec(struct ld *ld, struct ynode *k, struct ynode *n, struct arg_spec *s)
{
	struct ynode *v;
	char *where = xasprintf("arg '%s'", k->str);
	long long ll;

	memset(s, 0, sizeof *s);
	s->name = xstrdup(k->str);
	s->node = n;
	s->min_len = s->max_len = -1;
	if (!ld_map(ld, n, where))
		goto out;
	ld_check_keys(ld, n, argspec_keys, where);
	if ((v = ynode_get(n, "type")) != NULL) {
		static const char *const types[] = {
			"string", "integer", "number", "boolean", "array", "object", NULL,
		};
		int t;

		if (ld_choice(ld, v, "type", types, &t))
			s->type = (enum arg_type)t;
	}
	if ((v = ynode_get(n, "required")) != NULL)
		ld_bool(ld, v, "required", &s->required);
	if ((v = ynode_get(n, "secret")) != NULL)
		ld_bool(ld, v, "secret", &s->secret);
	if ((v = ynode_get(n, "description")) != NULL)
		ld_str(ld, v, "description", &s->description);
	if ((v = ynode_get(n, "default")) != NULL &&
	    !(v->kind == YNODE_SCALAR && v->type == YS_NULL))
		s->def = ynode_to_json(v);
	if ((v = ynode_get(n, "examples")) != NULL && ld_seq(ld, v, "examples"))
		s->examples = ynode_to_json(v);
	if ((v = ynode_get(n, "enum")) != NULL && ld_seq(ld, v, "enum")) {
		if (v->n == 0)
			ld_err(ld, v, "'enum' must list at least one value");
		else
			s->enum_vals = ynode_to_json(v);
	}
	if ((v = ynode_get(n, "pattern")) != NULL && ld_str(ld, v, "pattern", &s->pattern)) {
		struct err e;

		if (s->type != ARG_STRING)
			ld_err(ld, v, "'pattern' applies to string args, and this one is %s",
			    argspec_type_name(s->type));
		else if (argspec_compile(s, &e) < 0)
			ld_err(ld, v, "%s", e.msg);
	}
	if ((v = ynode_get(n, "minimum")) != NULL && ld_num(ld, v, "minimum", -INFINITY,
	    INFINITY, &s->min))
		s->has_min = true;
	if ((v = ynode_get(n, "maximum")) != NULL && ld_num(ld, v, "maximum", -INFINITY,
	    INFINITY, &s->max))
		s->has_max = true;
	if ((s->has_min || s->has_max) && s->type != ARG_INTEGER && s->type != ARG_NUMBER)
		ld_err(ld, ynode_get(n, s->has_min ? "minimum" : "maximum"),
		    "'minimum' and 'maximum' apply to integer and number args, and this one is %s",
		    argspec_type_name(s->type));
	if ((v = ynode_get(n, "min_length")) != NULL && ld_int(ld, v, "min_length", 0, LLONG_MAX,
	    &ll))
		s->min_len = ll;
	if ((v = ynode_get(n, "max_length")) != NULL && ld_int(ld, v, "max_length", 0, LLONG_MAX,
	    &ll))
		s->max_len = ll;
	if ((s->min_len >= 0 || s->max_len >= 0) && s->type != ARG_STRING && s->type != ARG_ARRAY)
		ld_err(ld, ynode_get(n, s->min_len >= 0 ? "min_length" : "max_length"),
		    "'min_length' and 'max_length' apply to string and array args, and this one "
		    "is %s", argspec_type_name(s->type));
	ld_argspec_values(ld, s);
out:
	free(where);
}

void
ld_argspecs(struct ld *ld, struct ynode *n, const char *what, struct arg_specs *out)
{
	if (!ld_map(ld, n, what))
		return;
	out->v = xcalloc(n->n, sizeof *out->v);
	for (size_t i = 0; i < n->n; i++) {
		struct ynode *k = n->pairs[i].key;

		if (!ld_env_name_ok(k->str)) {
			ld_err(ld, k, "'%.64s' is not a valid name in %s (letters, digits and _, at "
			    "most %d)", k->str, what, WF_MAX_ID);
			continue;
		}
		ld_argspec(ld, k, n->pairs[i].val, &out->v[out->n++]);
	}
}
