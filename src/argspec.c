/* argspec.c - checking and converting typed parameter values. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "argspec.h"
#include "expr.h"
#include "json.h"
#include "strbuf.h"
#include "suggest.h"
#include "xmalloc.h"
#include "ydoc.h"

static const char *const type_names[] = {
	[ARG_STRING] = "string", [ARG_INTEGER] = "integer", [ARG_NUMBER] = "number",
	[ARG_BOOLEAN] = "boolean", [ARG_ARRAY] = "array", [ARG_OBJECT] = "object",
};

const char *
argspec_type_name(enum arg_type t)
{
	return type_names[t];
}

int
argspec_type_parse(const char *s, enum arg_type *t)
{
	for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
		if (strcmp(s, type_names[i]) == 0) {
			*t = (enum arg_type)i;
			return 0;
		}
	}
	return -1;
}

int
argspec_compile(struct arg_spec *s, struct err *e)
{
	char *anchored = xasprintf("^(%s)$", s->pattern);
	int rc = regcomp(&s->re, anchored, REG_EXTENDED | REG_NOSUB);

	free(anchored);
	if (rc != 0) {
		char buf[256];

		regerror(rc, &s->re, buf, sizeof buf);
		return err_set(e, "pattern '%s' is not a valid extended regular expression: %s",
		    s->pattern, buf);
	}
	s->has_re = true;
	return 0;
}

/* The value as shown in messages: short, and never a secret. */
static void
value_show(const struct arg_spec *s, const cJSON *v, char *buf, size_t size)
{
	char *text;

	if (s->secret) {
		snprintf(buf, size, "***");
		return;
	}
	text = cJSON_IsString(v) ? xasprintf("'%s'", v->valuestring) : json_text(v, false);
	if (strlen(text) >= size && size > 4)
		snprintf(buf, size, "%.*s...", (int)size - 4, text);
	else
		snprintf(buf, size, "%s", text);
	free(text);
}

static bool
type_matches(enum arg_type t, const cJSON *v)
{
	switch (t) {
	case ARG_STRING:
		return cJSON_IsString(v);
	case ARG_INTEGER:
		return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
		    fabs(v->valuedouble) < 9007199254740992.0;
	case ARG_NUMBER:
		return cJSON_IsNumber(v);
	case ARG_BOOLEAN:
		return cJSON_IsBool(v);
	case ARG_ARRAY:
		return cJSON_IsArray(v);
	case ARG_OBJECT:
		return cJSON_IsObject(v);
	}
	return false;
}

static size_t
utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static int
check_enum(const struct arg_spec *s, const cJSON *v, const char *shown, struct err *e)
{
	struct strbuf list = STRBUF_INIT;
	struct suggest sg;
	const cJSON *x;
	const char *hint;

	cJSON_ArrayForEach(x, s->enum_vals)
		if (cJSON_Compare(x, v, true))
			return 0;
	suggest_init(&sg, cJSON_IsString(v) ? v->valuestring : "");
	cJSON_ArrayForEach(x, s->enum_vals) {
		char *t = expr_value_text(x);

		sb_addf(&list, "%s%s", list.len ? ", " : "", t);
		free(t);
		if (cJSON_IsString(x))
			suggest_offer(&sg, x->valuestring);
	}
	hint = s->secret ? NULL : suggest_result(&sg);
	err_set(e, "arg '%s': %s is not one of %s%s%s%s", s->name, shown, sb_str(&list),
	    hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
	sb_fini(&list);
	return -1;
}

int
argspec_check(const struct arg_spec *s, const cJSON *v, struct err *e)
{
	char shown[128];

	value_show(s, v, shown, sizeof shown);
	if (!type_matches(s->type, v))
		return err_set(e, "arg '%s': %s is not %s %s", s->name, shown,
		    s->type == ARG_INTEGER || s->type == ARG_ARRAY || s->type == ARG_OBJECT ?
		    "an" : "a", type_names[s->type]);
	if (s->enum_vals != NULL && check_enum(s, v, shown, e) < 0)
		return -1;
	if (cJSON_IsNumber(v)) {
		if (s->has_min && v->valuedouble < s->min)
			return err_set(e, "arg '%s': %s is below the minimum %g", s->name, shown, s->min);
		if (s->has_max && v->valuedouble > s->max)
			return err_set(e, "arg '%s': %s is above the maximum %g", s->name, shown, s->max);
	}
	if (cJSON_IsString(v) || cJSON_IsArray(v)) {
		long long len = cJSON_IsString(v) ? (long long)utf8_len(v->valuestring) :
		    cJSON_GetArraySize(v);
		const char *unit = cJSON_IsString(v) ? "characters" : "items";

		if (s->min_len >= 0 && len < s->min_len)
			return err_set(e, "arg '%s': %s has %lld %s, fewer than min_length %lld",
			    s->name, shown, len, unit, s->min_len);
		if (s->max_len >= 0 && len > s->max_len)
			return err_set(e, "arg '%s': %s has %lld %s, more than max_length %lld",
			    s->name, shown, len, unit, s->max_len);
	}
	if (s->has_re && cJSON_IsString(v) && regexec(&s->re, v->valuestring, 0, NULL, 0) != 0)
		return err_set(e, "arg '%s': %s does not match the pattern %s", s->name, shown,
		    s->pattern);
	return 0;
}

/* Arrays and objects are written as JSON or YAML flow text. */
static cJSON *
parse_structured(const struct arg_spec *s, const char *text, struct err *e)
{
	struct err ye;
	struct ydoc *doc = ydoc_parse(text, strlen(text), NULL, NULL, &ye);
	cJSON *v;

	if (doc == NULL || ydoc_root(doc) == NULL) {
		ydoc_free(doc);
		err_set(e, "arg '%s': %s is not a valid %s (write it as JSON, e.g. %s)", s->name,
		    s->secret ? "***" : text, type_names[s->type],
		    s->type == ARG_ARRAY ? "'[\"a\",\"b\"]'" : "'{\"key\":\"value\"}'");
		return NULL;
	}
	v = ynode_to_json(ydoc_root(doc));
	ydoc_free(doc);
	return v;
}

static cJSON *
convert_text(const struct arg_spec *s, const char *text, struct err *e)
{
	const char *shown = s->secret ? "***" : text;
	char *end;

	switch (s->type) {
	case ARG_STRING:
		return cJSON_CreateString(text);
	case ARG_INTEGER: {
		long long n;

		errno = 0;
		n = strtoll(text, &end, 10);
		if (*text == '\0' || *end != '\0' || errno != 0 || llabs(n) > (1LL << 53)) {
			err_set(e, "arg '%s': '%s' is not an integer", s->name, shown);
			return NULL;
		}
		return cJSON_CreateNumber((double)n);
	}
	case ARG_NUMBER: {
		double d;

		errno = 0;
		d = strtod(text, &end);
		if (*text == '\0' || *end != '\0' || errno != 0 || !isfinite(d)) {
			err_set(e, "arg '%s': '%s' is not a number", s->name, shown);
			return NULL;
		}
		return cJSON_CreateNumber(d);
	}
	case ARG_BOOLEAN:
		if (strcasecmp(text, "true") == 0 || strcasecmp(text, "yes") == 0 ||
		    strcmp(text, "1") == 0)
			return cJSON_CreateTrue();
		if (strcasecmp(text, "false") == 0 || strcasecmp(text, "no") == 0 ||
		    strcmp(text, "0") == 0)
			return cJSON_CreateFalse();
		err_set(e, "arg '%s': '%s' is not a boolean (use true or false)", s->name, shown);
		return NULL;
	case ARG_ARRAY:
	case ARG_OBJECT:
		return parse_structured(s, text, e);
	}
	return NULL;
}

cJSON *
argspec_from_text(const struct arg_spec *s, const char *text, struct err *e)
{
	cJSON *v = convert_text(s, text, e);

	if (v != NULL && argspec_check(s, v, e) < 0) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

cJSON *
argspec_coerce(const struct arg_spec *s, const cJSON *v, struct err *e)
{
	cJSON *copy;

	if (cJSON_IsString(v) && s->type != ARG_STRING)
		return argspec_from_text(s, v->valuestring, e);
	if (argspec_check(s, v, e) < 0)
		return NULL;
	copy = cJSON_Duplicate(v, true);
	if (copy == NULL)
		fatal("out of memory copying a value");
	return copy;
}

const struct arg_spec *
argspecs_find(const struct arg_specs *specs, const char *name)
{
	for (size_t i = 0; i < specs->n; i++)
		if (strcmp(specs->v[i].name, name) == 0)
			return &specs->v[i];
	return NULL;
}

void
argspecs_fini(struct arg_specs *specs)
{
	for (size_t i = 0; i < specs->n; i++) {
		struct arg_spec *s = &specs->v[i];

		free(s->name);
		free(s->description);
		free(s->pattern);
		cJSON_Delete(s->def);
		cJSON_Delete(s->enum_vals);
		cJSON_Delete(s->examples);
		if (s->has_re)
			regfree(&s->re);
	}
	free(specs->v);
	specs->v = NULL;
	specs->n = 0;
}

cJSON *
argspecs_resolve(const struct arg_specs *specs, const cJSON *given, struct err *e)
{
	cJSON *out = cJSON_CreateObject();
	const cJSON *g;

	cJSON_ArrayForEach(g, given) {
		if (argspecs_find(specs, g->string) == NULL) {
			struct suggest sg;
			const char *hint;

			suggest_init(&sg, g->string);
			for (size_t i = 0; i < specs->n; i++)
				suggest_offer(&sg, specs->v[i].name);
			hint = suggest_result(&sg);
			if (specs->n == 0)
				err_set(e, "unknown arg '%s': this workflow takes no args", g->string);
			else
				err_set(e, "unknown arg '%s'%s%s%s", g->string,
				    hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
			goto fail;
		}
	}
	for (size_t i = 0; i < specs->n; i++) {
		const struct arg_spec *s = &specs->v[i];
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(given, s->name);
		cJSON *val;

		if (v == NULL && s->def == NULL) {
			if (!s->required)
				continue;
			err_set(e, "missing required arg '%s'%s%s%s: give it with -a %s=VALUE", s->name,
			    s->description ? " (" : "", s->description ? s->description : "",
			    s->description ? ")" : "", s->name);
			goto fail;
		}
		val = argspec_coerce(s, v != NULL ? v : s->def, e);
		if (val == NULL)
			goto fail;
		cJSON_AddItemToObject(out, s->name, val);
	}
	return out;
fail:
	cJSON_Delete(out);
	return NULL;
}

cJSON *
argspecs_describe_json(const struct arg_specs *specs)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t k = 0; k < specs->n; k++) {
		const struct arg_spec *s = &specs->v[k];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", s->name);
		cJSON_AddStringToObject(o, "type", argspec_type_name(s->type));
		cJSON_AddBoolToObject(o, "required", s->required);
		if (s->description != NULL)
			cJSON_AddStringToObject(o, "description", s->description);
		if (s->def != NULL && !s->secret)
			cJSON_AddItemToObject(o, "default", cJSON_Duplicate(s->def, true));
		if (s->enum_vals != NULL && !s->secret)
			cJSON_AddItemToObject(o, "enum", cJSON_Duplicate(s->enum_vals, true));
		cJSON_AddItemToArray(a, o);
	}
	return a;
}
