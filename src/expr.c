/* expr.c - the expression language of workflow files (SPEC section 6).
 *
 * Source text is lexed on demand and parsed by recursive descent into a tree
 * of nodes that the struct expr owns (all freed in one go).  Compatibility
 * forms are rewritten while parsing, so evaluation and expr_walk_refs only
 * ever see canonical names.  Evaluation returns values borrowed from the
 * scope or the tree where it can and copies only what it builds.
 *
 * Decisions beyond SPEC section 6:
 * - A name may hold '-' when a letter or '_' follows it, so step ids such as
 *   deploy-prod work in steps.deploy-prod.status; "a - b" subtracts.
 * - "not" is always the prefix operator, which already covers Go's "not X".
 *   Go-style eq/ne/lt/le/gt/ge take exactly two operands, and/or two or
 *   more; such a call combines with other operators only in parentheses.
 * - Comparisons do not chain: "a < b < c" is a parse error.
 * - ".results" not followed by ".ID" is args.results.  A root's first member
 *   may also be written ['name'] (steps['build']) and counts as static.
 * - A scope that consumes the member and answers NULL means null.
 * - Argument counts are checked when parsing, argument types when
 *   evaluating.  default() evaluates its fallback only when it is used.
 * - Strings and JSON text built by an expression hold at most 16 MiB, lists
 *   at most 1Mi items.  Brackets, calls and prefix operators nest at most 64
 *   deep; the tree (long operator chains included) is at most 256 high.
 * - matches() refuses back-references and repetition counts multiplying past
 *   1000: both can make the regex engine take exponential time or memory.
 * - Positions are byte offsets.  Evaluation errors set e->col as well.
 * - Numbers are read and written in the C locale whatever LC_NUMERIC says.
 */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "json.h"
#include "strbuf.h"
#include "suggest.h"
#include "xmalloc.h"

#define EXPR_MAX_SOURCE (64 * 1024)
#define EXPR_MAX_DEPTH 64
#define EXPR_MAX_HEIGHT 256
#define EXPR_MAX_TEXT (16 * 1024 * 1024)
#define EXPR_MAX_ITEMS (1024 * 1024)
#define EXPR_MAX_REGEX 1024
#define EXPR_MAX_REPEAT 1000
#define EXPR_QUOTE_MAX 120
#define EXPR_NAME_MAX 64
/* Every integer up to 2^53 is exact in a double. */
#define EXPR_MAX_EXACT 9007199254740992.0

enum tok_kind {
	T_EOF, T_ERR, T_NUM, T_STR, T_NAME, T_DOT, T_LBRACK, T_RBRACK, T_LPAREN,
	T_RPAREN, T_COMMA, T_PIPE, T_OROR, T_ANDAND, T_EQ, T_NE, T_LT, T_LE,
	T_GT, T_GE, T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT, T_BANG,
};

struct tok {
	enum tok_kind kind;
	size_t start, len;	/* in the source; T_EOF starts at its end */
	double num;		/* T_NUM */
};

enum node_kind {
	N_LIT, N_LIST, N_ROOT, N_MEMBER, N_INDEX, N_NEG, N_NOT, N_AND, N_OR,
	N_BINARY, N_CALL,
};

enum op {
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOTIN, OP_ADD,
	OP_SUB, OP_MUL, OP_DIV, OP_MOD,
};

struct node {
	enum node_kind kind;
	enum op op;		/* N_BINARY */
	size_t pos;		/* 0-based offset that errors point at */
	size_t mpos;		/* N_ROOT: offset of the member */
	int height;
	cJSON *lit;		/* N_LIT */
	const char *root;	/* N_ROOT: the canonical root */
	char *name;		/* N_ROOT: first member or NULL; N_MEMBER: field */
	const struct func *fn;	/* N_CALL */
	bool filter;		/* N_CALL written as "x | fn" */
	struct node **kids;	/* operands, items or arguments */
	size_t nkids;
};

struct expr {
	char *src;
	size_t len;
	struct node *root;
	struct node **nodes;	/* every node, for freeing */
	size_t nnodes, capnodes;
};

struct eval {
	const struct expr *ex;
	const struct expr_scope *scope;
	struct err *e;
};

enum func_kind { FUNC_PLAIN, FUNC_RAW, FUNC_DEFAULT };

typedef cJSON *func_impl(struct eval *, const struct node *, cJSON **);

struct func {
	const char *name;
	size_t min, max;
	const char *usage;
	enum func_kind kind;
	func_impl *impl;
};

static const char *const expr_roots[] = {
	"args", "params", "steps", "env", "run", "workflow", "item", "index", "error", NULL
};

/* Borrowed stand-in for a missing value; never modified or freed. */
static cJSON null_value = { .type = cJSON_NULL };

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void
c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (c_locale == (locale_t)0)
		fatal("cannot create the C locale");
}

/* Numbers must not follow LC_NUMERIC: a console in de_DE writes "1,5". */
static locale_t
c_locale_enter(void)
{
	pthread_once(&c_locale_once, c_locale_init);
	return uselocale(c_locale);
}

static double
num_parse(const char *s, size_t n)
{
	char *buf = xstrndup(s, n);
	locale_t old = c_locale_enter();
	double d = strtod(buf, NULL);

	uselocale(old);
	free(buf);
	return d;
}

/* Integers without a fraction, others in the shortest form that reads
 * back as the same double. */
static void
num_format(double v, char *buf, size_t size)
{
	locale_t old;

	if (!isfinite(v)) {
		snprintf(buf, size, "null");
		return;
	}
	old = c_locale_enter();
	if (v == 0)
		snprintf(buf, size, "0");
	else if (v == floor(v) && fabs(v) <= EXPR_MAX_EXACT)
		snprintf(buf, size, "%.0f", v);
	else {
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(buf, size, "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	}
	uselocale(old);
}

static const char *
describe(const cJSON *v)
{
	switch (v->type & 0xff) {
	case cJSON_NULL:
		return "null";
	case cJSON_True:
	case cJSON_False:
		return "a boolean";
	case cJSON_Number:
		return "a number";
	case cJSON_String:
		return "a string";
	case cJSON_Array:
		return "a list";
	case cJSON_Object:
		return "an object";
	}
	return "a value";
}

static cJSON *
value_new_number(double d)
{
	cJSON *v = cJSON_CreateNumber(d == 0 ? 0 : d);

	if (v == NULL)
		fatal("out of memory");
	return v;
}

static cJSON *
value_new_bool(bool b)
{
	cJSON *v = cJSON_CreateBool(b);

	if (v == NULL)
		fatal("out of memory");
	return v;
}

static cJSON *
value_new_string(const char *s)
{
	cJSON *v = cJSON_CreateString(s);

	if (v == NULL)
		fatal("out of memory");
	return v;
}

static cJSON *
value_new_array(void)
{
	cJSON *v = cJSON_CreateArray();

	if (v == NULL)
		fatal("out of memory");
	return v;
}

static cJSON *
value_copy(const cJSON *v)
{
	cJSON *c = cJSON_Duplicate(v, true);

	if (c == NULL)
		fatal("out of memory");
	return c;
}

/* Takes v when owned, else copies it. */
static cJSON *
value_own(cJSON *v, bool owned)
{
	return owned ? v : value_copy(v);
}

static void
value_drop(cJSON *v, bool owned)
{
	if (owned)
		cJSON_Delete(v);
}

static size_t
value_count(const cJSON *v)
{
	size_t n = 0;

	for (const cJSON *c = v->child; c != NULL; c = c->next)
		n++;
	return n;
}

static bool
value_equal(const cJSON *a, const cJSON *b)
{
	const cJSON *ca, *cb;

	if ((a->type & 0xff) != (b->type & 0xff))
		return false;
	switch (a->type & 0xff) {
	case cJSON_Number:
		return a->valuedouble == b->valuedouble;
	case cJSON_String:
		return strcmp(a->valuestring, b->valuestring) == 0;
	case cJSON_Array:
		for (ca = a->child, cb = b->child; ca != NULL && cb != NULL;
		    ca = ca->next, cb = cb->next)
			if (!value_equal(ca, cb))
				return false;
		return ca == NULL && cb == NULL;
	case cJSON_Object:
		if (value_count(a) != value_count(b))
			return false;
		/* Walk both in step while the keys agree (the usual case), then
		 * look the remaining keys up. */
		for (ca = a->child, cb = b->child; ca != NULL; ca = ca->next) {
			const cJSON *m = cb;

			if (m == NULL || m->string == NULL || ca->string == NULL ||
			    strcmp(m->string, ca->string) != 0)
				m = ca->string != NULL ?
				    cJSON_GetObjectItemCaseSensitive(b, ca->string) : NULL;
			if (m == NULL || !value_equal(ca, m))
				return false;
			cb = m->next;
		}
		return true;
	}
	return true;
}

bool
expr_truthy(const cJSON *v)
{
	switch (v->type & 0xff) {
	case cJSON_NULL:
	case cJSON_False:
		return false;
	case cJSON_Number:
		return v->valuedouble != 0;
	case cJSON_String:
		return v->valuestring[0] != '\0';
	case cJSON_Array:
	case cJSON_Object:
		return v->child != NULL;
	}
	return true;
}

/* Compact JSON with numbers written as in text; false once sb holds more
 * than limit bytes (the text is then incomplete). */
static bool
json_write(struct strbuf *sb, const cJSON *v, size_t limit)
{
	char num[40];
	const cJSON *c;

	if (sb->len > limit)
		return false;
	switch (v->type & 0xff) {
	case cJSON_NULL:
		sb_adds(sb, "null");
		break;
	case cJSON_True:
		sb_adds(sb, "true");
		break;
	case cJSON_False:
		sb_adds(sb, "false");
		break;
	case cJSON_Number:
		num_format(v->valuedouble, num, sizeof num);
		sb_adds(sb, num);
		break;
	case cJSON_String:
		json_print_string(sb, v->valuestring);
		break;
	case cJSON_Array:
		sb_addc(sb, '[');
		for (c = v->child; c != NULL; c = c->next) {
			if (!json_write(sb, c, limit))
				return false;
			if (c->next != NULL)
				sb_addc(sb, ',');
		}
		sb_addc(sb, ']');
		break;
	case cJSON_Object:
		sb_addc(sb, '{');
		for (c = v->child; c != NULL; c = c->next) {
			json_print_string(sb, c->string);
			sb_addc(sb, ':');
			if (!json_write(sb, c, limit))
				return false;
			if (c->next != NULL)
				sb_addc(sb, ',');
		}
		sb_addc(sb, '}');
		break;
	default:
		sb_adds(sb, "null");
	}
	return sb->len <= limit;
}

char *
expr_value_text(const cJSON *v)
{
	struct strbuf sb = STRBUF_INIT;
	char num[40];

	switch (v->type & 0xff) {
	case cJSON_String:
		return xstrdup(v->valuestring);
	case cJSON_Number:
		num_format(v->valuedouble, num, sizeof num);
		return xstrdup(num);
	case cJSON_True:
		return xstrdup("true");
	case cJSON_False:
		return xstrdup("false");
	case cJSON_Array:
	case cJSON_Object:
		json_write(&sb, v, (size_t)-1);
		return sb_detach(&sb);
	}
	return xstrdup("");
}

/* The expression for a message, control characters blanked so a message
 * cannot drive the terminal, long ones cut to a window around pos. */
static void
quote_source(struct strbuf *sb, const char *src, size_t len, size_t pos)
{
	size_t start = 0, end = len;

	if (len > EXPR_QUOTE_MAX) {
		start = pos > EXPR_QUOTE_MAX / 2 ? pos - EXPR_QUOTE_MAX / 2 : 0;
		if (start > len - EXPR_QUOTE_MAX)
			start = len - EXPR_QUOTE_MAX;
		end = start + EXPR_QUOTE_MAX;
		while (start > 0 && ((unsigned char)src[start] & 0xc0) == 0x80)
			start--;
		while (end < len && ((unsigned char)src[end] & 0xc0) == 0x80)
			end++;
	}
	if (start > 0)
		sb_adds(sb, "...");
	for (size_t i = start; i < end; i++) {
		unsigned char c = (unsigned char)src[i];

		sb_addc(sb, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
	if (end < len)
		sb_adds(sb, "...");
}

static void __attribute__((format(printf, 5, 0)))
expr_verr(struct err *e, const char *src, size_t len, size_t pos, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	char what[640];

	vsnprintf(what, sizeof what, fmt, ap);
	for (char *w = what; *w != '\0'; w++)
		if ((unsigned char)*w < 0x20 || *w == 0x7f)
			*w = ' ';
	sb_adds(&sb, "in '");
	quote_source(&sb, src, len, pos);
	if (pos >= len)
		sb_addf(&sb, "' at the end: %s", what);
	else
		sb_addf(&sb, "' at position %zu: %s", pos + 1, what);
	err_set_at(e, 0, (int)pos + 1, "%s", sb_str(&sb));
	sb_fini(&sb);
}

static cJSON * __attribute__((format(printf, 3, 4)))
eval_fail(struct eval *ev, size_t pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	expr_verr(ev->e, ev->ex->src, ev->ex->len, pos, fmt, ap);
	va_end(ap);
	return NULL;
}

/* Checks that argument i of a call has one of the cJSON types in mask. */
static bool
arg_check(struct eval *ev, const struct node *call, cJSON **argv, size_t i, int mask,
    const char *want)
{
	if ((argv[i]->type & 0xff & mask) != 0)
		return true;
	eval_fail(ev, call->pos, "%s(): argument %zu%s must be %s, not %s", call->fn->name,
	    i + 1, call->filter && i == 0 ? " (the value before '|')" : "", want,
	    describe(argv[i]));
	return false;
}

static cJSON *
fn_len(struct eval *ev, const struct node *call, cJSON **argv)
{
	size_t n = 0;

	if (!arg_check(ev, call, argv, 0, cJSON_String | cJSON_Array | cJSON_Object,
	    "a string, a list or an object"))
		return NULL;
	if (cJSON_IsString(argv[0])) {
		for (const char *s = argv[0]->valuestring; *s != '\0'; s++)
			if (((unsigned char)*s & 0xc0) != 0x80)
				n++;
	} else
		n = value_count(argv[0]);
	return value_new_number((double)n);
}

static cJSON *
fn_contains(struct eval *ev, const struct node *call, cJSON **argv)
{
	if (!arg_check(ev, call, argv, 0, cJSON_String | cJSON_Array, "a string or a list"))
		return NULL;
	if (cJSON_IsArray(argv[0])) {
		for (const cJSON *c = argv[0]->child; c != NULL; c = c->next)
			if (value_equal(c, argv[1]))
				return value_new_bool(true);
		return value_new_bool(false);
	}
	if (!arg_check(ev, call, argv, 1, cJSON_String, "a string when argument 1 is a string"))
		return NULL;
	return value_new_bool(strstr(argv[0]->valuestring, argv[1]->valuestring) != NULL);
}

static bool
args_strings(struct eval *ev, const struct node *call, cJSON **argv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!arg_check(ev, call, argv, i, cJSON_String, "a string"))
			return false;
	return true;
}

static cJSON *
fn_starts_with(struct eval *ev, const struct node *call, cJSON **argv)
{
	const char *s, *prefix;

	if (!args_strings(ev, call, argv, 2))
		return NULL;
	s = argv[0]->valuestring;
	prefix = argv[1]->valuestring;
	return value_new_bool(strncmp(s, prefix, strlen(prefix)) == 0);
}

static cJSON *
fn_ends_with(struct eval *ev, const struct node *call, cJSON **argv)
{
	size_t ls, lx;

	if (!args_strings(ev, call, argv, 2))
		return NULL;
	ls = strlen(argv[0]->valuestring);
	lx = strlen(argv[1]->valuestring);
	return value_new_bool(lx <= ls &&
	    memcmp(argv[0]->valuestring + ls - lx, argv[1]->valuestring, lx) == 0);
}

/* ASCII only, so the result does not depend on the locale. */
static cJSON *
change_case(struct eval *ev, const struct node *call, cJSON **argv, bool upper)
{
	cJSON *v;
	char *s;

	if (!args_strings(ev, call, argv, 1))
		return NULL;
	s = xstrdup(argv[0]->valuestring);
	for (char *p = s; *p != '\0'; p++) {
		if (upper && *p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
		else if (!upper && *p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	v = value_new_string(s);
	free(s);
	return v;
}

static cJSON *
fn_lower(struct eval *ev, const struct node *call, cJSON **argv)
{
	return change_case(ev, call, argv, false);
}

static cJSON *
fn_upper(struct eval *ev, const struct node *call, cJSON **argv)
{
	return change_case(ev, call, argv, true);
}

static bool
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static cJSON *
fn_trim(struct eval *ev, const struct node *call, cJSON **argv)
{
	const char *s;
	size_t len;
	char *t;
	cJSON *v;

	if (!args_strings(ev, call, argv, 1))
		return NULL;
	s = argv[0]->valuestring;
	len = strlen(s);
	while (len > 0 && is_space((unsigned char)s[len - 1]))
		len--;
	while (len > 0 && is_space((unsigned char)*s)) {
		s++;
		len--;
	}
	t = xstrndup(s, len);
	v = value_new_string(t);
	free(t);
	return v;
}

static cJSON *
fn_join(struct eval *ev, const struct node *call, cJSON **argv)
{
	struct strbuf sb = STRBUF_INIT;
	const char *sep = "";
	cJSON *v;

	if (!arg_check(ev, call, argv, 0, cJSON_Array, "a list"))
		return NULL;
	if (call->nkids > 1) {
		if (!arg_check(ev, call, argv, 1, cJSON_String, "a string"))
			return NULL;
		sep = argv[1]->valuestring;
	}
	for (const cJSON *c = argv[0]->child; c != NULL; c = c->next) {
		char *t = expr_value_text(c);

		sb_adds(&sb, t);
		free(t);
		if (c->next != NULL)
			sb_adds(&sb, sep);
		if (sb.len > EXPR_MAX_TEXT) {
			sb_fini(&sb);
			return eval_fail(ev, call->pos, "join(): the text would be longer than 16 MiB");
		}
	}
	v = value_new_string(sb_str(&sb));
	sb_fini(&sb);
	return v;
}

static cJSON *
fn_split(struct eval *ev, const struct node *call, cJSON **argv)
{
	const char *s, *sep, *hit;
	size_t seplen, left, n = 0;
	cJSON *list;

	if (!args_strings(ev, call, argv, 2))
		return NULL;
	s = argv[0]->valuestring;
	sep = argv[1]->valuestring;
	seplen = strlen(sep);
	left = strlen(s);
	if (seplen == 0)
		return eval_fail(ev, call->pos, "split(): the separator is empty");
	list = value_new_array();
	for (;;) {
		char *part;

		if (++n > EXPR_MAX_ITEMS) {
			cJSON_Delete(list);
			return eval_fail(ev, call->pos, "split(): more than %d parts",
			    EXPR_MAX_ITEMS);
		}
		/* memmem with the length left: strstr would rescan the rest
		 * every time under a sanitizer's interceptor (quadratic). */
		hit = memmem(s, left, sep, seplen);
		part = xstrndup(s, hit != NULL ? (size_t)(hit - s) : left);
		cJSON_AddItemToArray(list, value_new_string(part));
		free(part);
		if (hit == NULL)
			break;
		left -= (size_t)(hit - s) + seplen;
		s = hit + seplen;
	}
	return list;
}

static cJSON *
fn_to_json(struct eval *ev, const struct node *call, cJSON **argv)
{
	struct strbuf sb = STRBUF_INIT;
	cJSON *v;

	if (!json_write(&sb, argv[0], EXPR_MAX_TEXT)) {
		sb_fini(&sb);
		return eval_fail(ev, call->pos, "toJSON(): the text would be longer than 16 MiB");
	}
	v = value_new_string(sb_str(&sb));
	sb_fini(&sb);
	return v;
}

static bool
json_finite(const cJSON *v)
{
	if (cJSON_IsNumber(v))
		return isfinite(v->valuedouble);
	for (const cJSON *c = v->child; c != NULL; c = c->next)
		if (!json_finite(c))
			return false;
	return true;
}

static cJSON *
fn_from_json(struct eval *ev, const struct node *call, cJSON **argv)
{
	const char *s, *end = NULL;
	cJSON *v;

	if (!args_strings(ev, call, argv, 1))
		return NULL;
	s = argv[0]->valuestring;
	v = cJSON_ParseWithOpts(s, &end, true);
	if (v == NULL) {
		size_t at = end != NULL && end >= s ? (size_t)(end - s) : 0;

		return eval_fail(ev, call->pos, "fromJSON(): the text is not valid JSON "
		    "(at byte %zu of %zu)", at + 1, strlen(s));
	}
	if (!json_finite(v)) {
		cJSON_Delete(v);
		return eval_fail(ev, call->pos, "fromJSON(): a number in the text is too large");
	}
	return v;
}

static bool
is_quantifier(char c)
{
	return c == '*' || c == '+' || c == '?' || c == '{';
}

/* NULL when regcomp/regexec can handle re in bounded time and memory.
 * glibc turns stacked quantifiers (a++, a*{3}) into nested repetitions
 * whose automaton grows exponentially, so they are refused too. */
static const char *
regex_refuse(const char *re)
{
	double repeat = 1;
	bool after_quantifier = false;

	if (strlen(re) > EXPR_MAX_REGEX)
		return "it is longer than 1024 bytes";
	for (const char *p = re; *p != '\0'; p++) {
		if (*p == '\\' && p[1] >= '1' && p[1] <= '9')
			return "back-references such as \\1 are not supported";
		if (*p == '\\' && p[1] != '\0') {
			p++;
			after_quantifier = false;
			continue;
		}
		if (*p == '[') {
			/* A bracket expression: "]" first is a member, not the end. */
			const char *q = p + 1 + (p[1] == '^');

			q += *q == ']';
			while (*q != '\0' && *q != ']')
				q++;
			if (*q == '\0')
				break;	/* regcomp reports it */
			p = q;
			after_quantifier = false;
			continue;
		}
		if (is_quantifier(*p) && after_quantifier)
			return "stacked quantifiers such as a++ or a*{2} are not supported";
		after_quantifier = (is_quantifier(*p) && *p != '{') || *p == '}';
		if (*p == '{') {
			unsigned long most = 0, n = 0;
			const char *q = p + 1;

			for (; (*q >= '0' && *q <= '9') || *q == ','; q++) {
				n = *q == ',' ? 0 : n < 100000 ? n * 10 + (unsigned long)(*q - '0') : n;
				most = n > most ? n : most;
			}
			if (*q == '}')
				repeat *= most > 1 ? (double)most : 1;
			if (repeat > EXPR_MAX_REPEAT)
				return "its repetition counts multiply to more than 1000";
		}
	}
	return NULL;
}

static cJSON *
fn_matches(struct eval *ev, const struct node *call, cJSON **argv)
{
	const char *why;
	regex_t re;
	char msg[256];
	int rc;

	if (!args_strings(ev, call, argv, 2))
		return NULL;
	if ((why = regex_refuse(argv[1]->valuestring)) != NULL)
		return eval_fail(ev, call->pos, "matches(): the regular expression is refused: %s",
		    why);
	rc = regcomp(&re, argv[1]->valuestring, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, &re, msg, sizeof msg);
		return eval_fail(ev, call->pos, "matches(): bad regular expression '%.100s': %s",
		    argv[1]->valuestring, msg);
	}
	rc = regexec(&re, argv[0]->valuestring, 0, NULL, 0);
	if (rc != 0 && rc != REG_NOMATCH) {
		regerror(rc, &re, msg, sizeof msg);
		regfree(&re);
		return eval_fail(ev, call->pos, "matches(): %s", msg);
	}
	regfree(&re);
	return value_new_bool(rc == 0);
}

static const struct func funcs[] = {
	{ "len", 1, 1, "len(v)", FUNC_PLAIN, fn_len },
	{ "contains", 2, 2, "contains(haystack, needle)", FUNC_PLAIN, fn_contains },
	{ "startsWith", 2, 2, "startsWith(s, prefix)", FUNC_PLAIN, fn_starts_with },
	{ "endsWith", 2, 2, "endsWith(s, suffix)", FUNC_PLAIN, fn_ends_with },
	{ "lower", 1, 1, "lower(s)", FUNC_PLAIN, fn_lower },
	{ "upper", 1, 1, "upper(s)", FUNC_PLAIN, fn_upper },
	{ "trim", 1, 1, "trim(s)", FUNC_PLAIN, fn_trim },
	{ "default", 2, 2, "default(v, fallback)", FUNC_DEFAULT, NULL },
	{ "join", 1, 2, "join(list, sep)", FUNC_PLAIN, fn_join },
	{ "split", 2, 2, "split(s, sep)", FUNC_PLAIN, fn_split },
	{ "toJSON", 1, 1, "toJSON(v)", FUNC_PLAIN, fn_to_json },
	{ "fromJSON", 1, 1, "fromJSON(s)", FUNC_PLAIN, fn_from_json },
	{ "matches", 2, 2, "matches(s, regex)", FUNC_PLAIN, fn_matches },
	{ "raw", 1, 1, "v | raw", FUNC_RAW, NULL },
};
#define NFUNCS (sizeof funcs / sizeof funcs[0])

/* Parsing. */

struct parser {
	struct expr *ex;
	const char *src;
	size_t len;
	size_t next;		/* where the token after tok starts looking */
	struct tok tok;
	int depth;
	bool go_operand;	/* in "eq A B", whitespace ends an operand */
	bool failed;
	struct err *e;
};

static void __attribute__((format(printf, 3, 4)))
parse_fail(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	expr_verr(p->e, p->src, p->len, pos, fmt, ap);
	va_end(ap);
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_name_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_name_char(int c)
{
	return is_name_start(c) || is_digit(c);
}

static void
lex_unexpected(struct parser *p, size_t at)
{
	unsigned char c = (unsigned char)p->src[at];
	size_t n = 1;

	if (c == '=')
		parse_fail(p, at, "unexpected '=' (write '==' to compare)");
	else if (c == '&')
		parse_fail(p, at, "unexpected '&' (write '&&' or 'and')");
	else if (c > 0x20 && c < 0x7f)
		parse_fail(p, at, "unexpected character '%c'", c);
	else if (c >= 0xc0) {
		/* Show the whole UTF-8 character, such as a typographic quote. */
		while (n < 4 && at + n < p->len && ((unsigned char)p->src[at + n] & 0xc0) == 0x80)
			n++;
		parse_fail(p, at, "unexpected character '%.*s'", (int)n, p->src + at);
	} else
		parse_fail(p, at, "unexpected byte 0x%02X", c);
}

static struct tok
lex_number(struct parser *p, size_t at, bool report)
{
	const char *s = p->src;
	struct tok t = { T_NUM, at, 0, 0 };
	size_t i = at;

	while (i < p->len && is_digit(s[i]))
		i++;
	if (i + 1 < p->len && s[i] == '.' && is_digit(s[i + 1])) {
		i++;
		while (i < p->len && is_digit(s[i]))
			i++;
	}
	if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
		size_t j = i + 1;

		if (j < p->len && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < p->len && is_digit(s[j])) {
			i = j;
			while (i < p->len && is_digit(s[i]))
				i++;
		}
	}
	t.len = i - at;
	if (i < p->len && is_name_char(s[i])) {
		while (i < p->len && is_name_char(s[i]))
			i++;
		if (report)
			parse_fail(p, at, "'%.*s' is not a number", (int)(i - at > 40 ? 40 : i - at),
			    s + at);
		t.kind = T_ERR;
		return t;
	}
	t.num = num_parse(s + at, t.len);
	if (!isfinite(t.num)) {
		if (report)
			parse_fail(p, at, "the number is too large");
		t.kind = T_ERR;
	}
	return t;
}

static struct tok
lex_string(struct parser *p, size_t at, bool report)
{
	const char *s = p->src;
	struct tok t = { T_STR, at, 0, 0 };
	char q = s[at];
	size_t i = at + 1;

	while (i < p->len && s[i] != q) {
		if (s[i] == '\0') {
			if (report)
				parse_fail(p, i, "a string cannot hold a NUL byte");
			t.kind = T_ERR;
			return t;
		}
		if (s[i] == '\\' && i + 1 < p->len) {
			if (strchr("\\'\"ntr", s[i + 1]) == NULL || s[i + 1] == '\0') {
				if (report)
					parse_fail(p, i, "unknown escape in a string (write \\\\ for a "
					    "backslash; known are \\\\ \\' \\\" \\n \\t \\r)");
				t.kind = T_ERR;
				return t;
			}
			i++;
		}
		i++;
	}
	if (i >= p->len) {
		if (report)
			parse_fail(p, at, "the string is not closed (missing %c)", q);
		t.kind = T_ERR;
		return t;
	}
	t.len = i + 1 - at;
	return t;
}

/* The token at or after at.  With report false nothing is reported: the
 * caller only looks ahead and will meet the same token again. */
static struct tok
lex(struct parser *p, size_t at, bool report)
{
	static const struct { char text[3]; enum tok_kind kind; } ops[] = {
		{ "||", T_OROR }, { "&&", T_ANDAND }, { "==", T_EQ }, { "!=", T_NE },
		{ "<=", T_LE }, { ">=", T_GE }, { ".", T_DOT }, { "[", T_LBRACK },
		{ "]", T_RBRACK }, { "(", T_LPAREN }, { ")", T_RPAREN }, { ",", T_COMMA },
		{ "|", T_PIPE }, { "<", T_LT }, { ">", T_GT }, { "+", T_PLUS },
		{ "-", T_MINUS }, { "*", T_STAR }, { "/", T_SLASH }, { "%", T_PERCENT },
		{ "!", T_BANG },
	};
	const char *s = p->src;
	struct tok t = { T_EOF, 0, 0, 0 };

	while (at < p->len && is_space((unsigned char)s[at]))
		at++;
	t.start = at;
	if (at == p->len)
		return t;
	if (is_name_start(s[at])) {
		size_t i = at + 1;

		for (;;) {
			if (i < p->len && is_name_char(s[i]))
				i++;
			else if (i + 1 < p->len && s[i] == '-' && is_name_start(s[i + 1]))
				i += 2;
			else
				break;
		}
		t.kind = T_NAME;
		t.len = i - at;
		return t;
	}
	if (is_digit(s[at]))
		return lex_number(p, at, report);
	if (s[at] == '\'' || s[at] == '"')
		return lex_string(p, at, report);
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		size_t n = strlen(ops[i].text);

		if (at + n <= p->len && memcmp(s + at, ops[i].text, n) == 0) {
			t.kind = ops[i].kind;
			t.len = n;
			return t;
		}
	}
	if (report)
		lex_unexpected(p, at);
	t.kind = T_ERR;
	t.len = 1;
	return t;
}

static void
advance(struct parser *p)
{
	p->tok = lex(p, p->next, true);
	p->next = p->tok.start + p->tok.len;
}

static struct tok
peek(struct parser *p)
{
	return lex(p, p->next, false);
}

static bool
tok_is(const struct parser *p, const struct tok *t, const char *word)
{
	return t->kind == T_NAME && t->len == strlen(word) &&
	    memcmp(p->src + t->start, word, t->len) == 0;
}

static bool
tok_in(const struct parser *p, const struct tok *t, const char *const *words)
{
	for (; *words != NULL; words++)
		if (tok_is(p, t, *words))
			return true;
	return false;
}

static void
fail_expected(struct parser *p, const char *what)
{
	const struct tok *t = &p->tok;
	size_t n = t->len > 24 ? 20 : t->len;

	/* Cut long tokens, but not inside a UTF-8 character. */
	while (n < t->len && n > 0 && ((unsigned char)p->src[t->start + n] & 0xc0) == 0x80)
		n--;
	if (t->kind == T_EOF)
		parse_fail(p, t->start, "expected %s", what);
	else
		parse_fail(p, t->start, "expected %s, found '%.*s%s'", what, (int)n,
		    p->src + t->start, n < t->len ? "..." : "");
}

static bool
expect(struct parser *p, enum tok_kind kind, const char *what)
{
	if (p->tok.kind != kind) {
		fail_expected(p, what);
		return false;
	}
	advance(p);
	return true;
}

static struct node *
node_new(struct parser *p, enum node_kind kind, size_t pos)
{
	struct expr *ex = p->ex;
	struct node *n = xcalloc(1, sizeof *n);

	n->kind = kind;
	n->pos = pos;
	n->height = 1;
	xgrow(&ex->nodes, &ex->capnodes, ex->nnodes + 1, sizeof *ex->nodes);
	ex->nodes[ex->nnodes++] = n;
	return n;
}

static bool
node_add(struct parser *p, struct node *n, struct node *kid)
{
	n->kids = xappend_room(n->kids, n->nkids, sizeof *n->kids);
	n->kids[n->nkids++] = kid;
	if (kid->height + 1 > n->height)
		n->height = kid->height + 1;
	if (n->height > EXPR_MAX_HEIGHT) {
		parse_fail(p, n->pos, "expression nests too deeply");
		return false;
	}
	return true;
}

static struct node *
node_unary(struct parser *p, enum node_kind kind, size_t pos, struct node *a)
{
	struct node *n = node_new(p, kind, pos);

	return node_add(p, n, a) ? n : NULL;
}

static struct node *
node_binary(struct parser *p, enum node_kind kind, enum op op, size_t pos, struct node *a,
    struct node *b)
{
	struct node *n = node_new(p, kind, pos);

	n->op = op;
	return node_add(p, n, a) && node_add(p, n, b) ? n : NULL;
}

static struct node *
node_root(struct parser *p, const char *root, size_t pos, const char *member, size_t mlen,
    size_t mpos)
{
	struct node *n = node_new(p, N_ROOT, pos);

	n->root = root;
	if (member != NULL)
		n->name = xstrndup(member, mlen);
	n->mpos = mpos;
	return n;
}

static struct node *
node_member(struct parser *p, struct node *base, size_t pos, const char *name, size_t len)
{
	struct node *n = node_unary(p, N_MEMBER, pos, base);

	if (n != NULL)
		n->name = xstrndup(name, len);
	return n;
}

/* Counts a level of nesting; the expression itself is not one. */
static bool
enter(struct parser *p)
{
	if (++p->depth > EXPR_MAX_DEPTH + 1) {
		parse_fail(p, p->tok.start, "expression nests too deeply");
		return false;
	}
	return true;
}

static const struct func *
func_find(const struct parser *p, const struct tok *t)
{
	for (size_t i = 0; i < NFUNCS; i++)
		if (tok_is(p, t, funcs[i].name))
			return &funcs[i];
	return NULL;
}

static void
fail_unknown_func(struct parser *p, const struct tok *t)
{
	static const char *const go[][2] = {
		{ "eq", "==" }, { "ne", "!=" }, { "lt", "<" }, { "le", "<=" }, { "gt", ">" },
		{ "ge", ">=" },
	};
	const char *names[NFUNCS + 1];
	struct strbuf list = STRBUF_INIT;
	char word[EXPR_NAME_MAX + 1];
	const char *best;

	snprintf(word, sizeof word, "%.*s", (int)t->len, p->src + t->start);
	for (size_t i = 0; i < sizeof go / sizeof go[0]; i++) {
		if (strcmp(word, go[i][0]) == 0) {
			parse_fail(p, t->start, "unknown function '%s' (compare with 'a %s b', or "
			    "write '%s A B' without parentheses)", word, go[i][1], word);
			return;
		}
	}
	for (size_t i = 0; i < NFUNCS; i++) {
		names[i] = funcs[i].name;
		sb_addf(&list, "%s%s", i > 0 ? ", " : "", funcs[i].name);
	}
	names[NFUNCS] = NULL;
	if ((best = suggest_from(word, names)) != NULL)
		parse_fail(p, t->start, "unknown function '%s' (did you mean '%s'?)", word, best);
	else
		parse_fail(p, t->start, "unknown function '%s' (known are %s)", word,
		    sb_str(&list));
	sb_fini(&list);
}

static bool
check_arity(struct parser *p, const struct node *call)
{
	const struct func *fn = call->fn;
	size_t n = call->nkids;
	char count[48];

	if (n >= fn->min && n <= fn->max)
		return true;
	if (fn->min == fn->max)
		snprintf(count, sizeof count, "%zu argument%s", fn->min, fn->min == 1 ? "" : "s");
	else
		snprintf(count, sizeof count, "%zu or %zu arguments", fn->min, fn->max);
	parse_fail(p, call->pos, "%s() takes %s, given %zu (%s%s)", fn->name, count, n, fn->usage,
	    call->filter ? "; as a filter it gets the value before '|' first" : "");
	return false;
}

static struct node *parse_pipe(struct parser *, bool);
static struct node *parse_unary(struct parser *);

/* Parses "(a, b)" into the arguments of call; tok is the "(". */
static bool
parse_args(struct parser *p, struct node *call)
{
	advance(p);
	if (p->tok.kind == T_RPAREN) {
		advance(p);
		return true;
	}
	for (;;) {
		struct node *a = parse_pipe(p, false);

		if (a == NULL || !node_add(p, call, a))
			return false;
		if (p->tok.kind == T_RPAREN) {
			advance(p);
			return true;
		}
		if (!expect(p, T_COMMA, "',' or ')' in the arguments"))
			return false;
	}
}

static struct node *
parse_call(struct parser *p, const struct tok *name)
{
	const struct func *fn = func_find(p, name);
	struct node *call;

	if (fn == NULL) {
		fail_unknown_func(p, name);
		return NULL;
	}
	call = node_new(p, N_CALL, name->start);
	call->fn = fn;
	advance(p);
	if (!parse_args(p, call) || !check_arity(p, call))
		return NULL;
	return call;
}

static struct node *
parse_list(struct parser *p)
{
	struct node *list = node_new(p, N_LIST, p->tok.start);

	advance(p);
	if (p->tok.kind == T_RBRACK) {
		advance(p);
		return list;
	}
	for (;;) {
		struct node *item = parse_pipe(p, false);

		if (item == NULL || !node_add(p, list, item))
			return NULL;
		if (p->tok.kind == T_RBRACK) {
			advance(p);
			return list;
		}
		if (!expect(p, T_COMMA, "',' or ']' in the list"))
			return NULL;
	}
}

/* ".NAME" and the Muster forms; tok is the ".". */
static struct node *
parse_dot_name(struct parser *p)
{
	static const struct { const char *word, *root, *member; } compat[] = {
		{ "user", "run", "user" },
		{ "execution_duration", "run", "duration" },
		{ "error_message", "error", "message" },
		{ "rollback_status", "error", "rollback_status" },
	};
	size_t dot = p->tok.start;
	struct tok name, id;
	struct node *n;

	advance(p);
	if (p->tok.kind != T_NAME) {
		fail_expected(p, "a name after '.'");
		return NULL;
	}
	name = p->tok;
	advance(p);
	if (tok_is(p, &name, "results") && p->tok.kind == T_DOT &&
	    (id = peek(p)).kind == T_NAME) {
		advance(p);
		advance(p);
		n = node_root(p, "steps", dot, p->src + id.start, id.len, id.start);
		return node_member(p, n, id.start, "outputs", strlen("outputs"));
	}
	for (size_t i = 0; i < sizeof compat / sizeof compat[0]; i++)
		if (tok_is(p, &name, compat[i].word))
			return node_root(p, compat[i].root, dot, compat[i].member,
			    strlen(compat[i].member), name.start);
	return node_root(p, "args", dot, p->src + name.start, name.len, name.start);
}

static struct node *
parse_name(struct parser *p)
{
	static const char *const reserved[] = { "and", "or", "not", "in", NULL };
	struct tok name = p->tok;
	struct node *n;
	cJSON *lit = NULL;

	if (tok_is(p, &name, "true"))
		lit = value_new_bool(true);
	else if (tok_is(p, &name, "false"))
		lit = value_new_bool(false);
	else if (tok_is(p, &name, "null"))
		lit = cJSON_CreateNull();
	if (lit != NULL) {
		n = node_new(p, N_LIT, name.start);
		n->lit = lit;
		advance(p);
		return n;
	}
	if (tok_in(p, &name, reserved)) {
		fail_expected(p, "a value");
		return NULL;
	}
	if (peek(p).kind == T_LPAREN)
		return parse_call(p, &name);
	advance(p);
	for (size_t i = 0; expr_roots[i] != NULL; i++)
		if (tok_is(p, &name, expr_roots[i]))
			return node_root(p, expr_roots[i], name.start, NULL, 0, 0);
	/* ToolWeaver: a bare step id stands for its outputs. */
	n = node_root(p, "steps", name.start, p->src + name.start, name.len, name.start);
	return node_member(p, n, name.start, "outputs", strlen("outputs"));
}

static char *
string_decode(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;

	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\\') {
			*o++ = s[i];
			continue;
		}
		switch (s[++i]) {
		case 'n':
			*o++ = '\n';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'r':
			*o++ = '\r';
			break;
		default:
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static struct node *
parse_primary(struct parser *p)
{
	struct node *n;
	char *s;

	switch (p->tok.kind) {
	case T_NUM:
		n = node_new(p, N_LIT, p->tok.start);
		n->lit = value_new_number(p->tok.num);
		advance(p);
		return n;
	case T_STR:
		n = node_new(p, N_LIT, p->tok.start);
		s = string_decode(p->src + p->tok.start + 1, p->tok.len - 2);
		n->lit = value_new_string(s);
		free(s);
		advance(p);
		return n;
	case T_LBRACK:
		return parse_list(p);
	case T_LPAREN:
		advance(p);
		n = parse_pipe(p, true);
		if (n == NULL || !expect(p, T_RPAREN, "')'"))
			return NULL;
		return n;
	case T_DOT:
		return parse_dot_name(p);
	case T_NAME:
		return parse_name(p);
	case T_ERR:
		return NULL;
	default:
		fail_expected(p, "a value");
		return NULL;
	}
}

/* A root's first member is kept in the root so that a scope can look it
 * up directly (and expr_walk_refs can report it). */
static bool
root_takes_member(const struct node *n)
{
	return n->kind == N_ROOT && n->name == NULL;
}

static struct node *
parse_postfix(struct parser *p)
{
	struct node *n = parse_primary(p), *idx;
	size_t pos;

	while (n != NULL) {
		pos = p->tok.start;
		if (p->go_operand && pos > 0 && is_space((unsigned char)p->src[pos - 1]))
			break;
		if (p->tok.kind == T_DOT) {
			advance(p);
			if (p->tok.kind == T_NUM) {
				parse_fail(p, p->tok.start, "expected a name after '.', found a number "
				    "(write [%.*s] for a list item)", (int)(p->tok.len > 20 ? 20 :
				    p->tok.len), p->src + p->tok.start);
				return NULL;
			}
			if (p->tok.kind != T_NAME) {
				fail_expected(p, "a name after '.'");
				return NULL;
			}
			if (root_takes_member(n)) {
				n->name = xstrndup(p->src + p->tok.start, p->tok.len);
				n->mpos = pos;
			} else
				n = node_member(p, n, pos, p->src + p->tok.start, p->tok.len);
			advance(p);
		} else if (p->tok.kind == T_LBRACK) {
			advance(p);
			if ((idx = parse_pipe(p, false)) == NULL || !expect(p, T_RBRACK, "']'"))
				return NULL;
			if (root_takes_member(n) && idx->kind == N_LIT && cJSON_IsString(idx->lit)) {
				n->name = xstrdup(idx->lit->valuestring);
				n->mpos = pos;
			} else
				n = node_binary(p, N_INDEX, 0, pos, n, idx);
		} else
			break;
	}
	return n;
}

static struct node *
parse_unary(struct parser *p)
{
	enum tok_kind kind = p->tok.kind;
	size_t pos = p->tok.start;
	struct node *a;

	if (kind != T_MINUS && kind != T_BANG)
		return parse_postfix(p);
	if (!enter(p))
		return NULL;
	advance(p);
	a = parse_unary(p);
	p->depth--;
	if (a == NULL)
		return NULL;
	if (kind == T_MINUS && a->kind == N_LIT && cJSON_IsNumber(a->lit)) {
		double d = -a->lit->valuedouble;

		cJSON_SetNumberValue(a->lit, d == 0 ? 0 : d);
		a->pos = pos;
		return a;
	}
	return node_unary(p, kind == T_MINUS ? N_NEG : N_NOT, pos, a);
}

static struct node *
parse_mul(struct parser *p)
{
	struct node *n = parse_unary(p);

	while (n != NULL && (p->tok.kind == T_STAR || p->tok.kind == T_SLASH ||
	    p->tok.kind == T_PERCENT)) {
		enum op op = p->tok.kind == T_STAR ? OP_MUL : p->tok.kind == T_SLASH ? OP_DIV :
		    OP_MOD;
		size_t pos = p->tok.start;
		struct node *b;

		advance(p);
		if ((b = parse_unary(p)) == NULL)
			return NULL;
		n = node_binary(p, N_BINARY, op, pos, n, b);
	}
	return n;
}

static struct node *
parse_add(struct parser *p)
{
	struct node *n = parse_mul(p);

	while (n != NULL && (p->tok.kind == T_PLUS || p->tok.kind == T_MINUS)) {
		enum op op = p->tok.kind == T_PLUS ? OP_ADD : OP_SUB;
		size_t pos = p->tok.start;
		struct node *b;

		advance(p);
		if ((b = parse_mul(p)) == NULL)
			return NULL;
		n = node_binary(p, N_BINARY, op, pos, n, b);
	}
	return n;
}

/* Recognises a comparison operator at tok; *words is how many tokens it
 * spans ("not in" has two). */
static bool
cmp_op(struct parser *p, enum op *op, int *words)
{
	static const struct { enum tok_kind kind; enum op op; } ops[] = {
		{ T_EQ, OP_EQ }, { T_NE, OP_NE }, { T_LT, OP_LT }, { T_LE, OP_LE },
		{ T_GT, OP_GT }, { T_GE, OP_GE },
	};
	struct tok next;

	*words = 1;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (p->tok.kind == ops[i].kind) {
			*op = ops[i].op;
			return true;
		}
	}
	if (tok_is(p, &p->tok, "in")) {
		*op = OP_IN;
		return true;
	}
	if (tok_is(p, &p->tok, "not") && (next = peek(p), tok_is(p, &next, "in"))) {
		*op = OP_NOTIN;
		*words = 2;
		return true;
	}
	return false;
}

static struct node *
parse_cmp(struct parser *p)
{
	struct node *a = parse_add(p), *b;
	size_t pos = p->tok.start;
	enum op op;
	int words;

	if (a == NULL || !cmp_op(p, &op, &words))
		return a;
	while (words-- > 0)
		advance(p);
	if ((b = parse_add(p)) == NULL)
		return NULL;
	if (cmp_op(p, &op, &words)) {
		parse_fail(p, p->tok.start, "comparisons cannot be chained (write a < b && b < c)");
		return NULL;
	}
	return node_binary(p, N_BINARY, op, pos, a, b);
}

static struct node *
parse_not(struct parser *p)
{
	size_t pos = p->tok.start;
	struct node *a;

	if (!tok_is(p, &p->tok, "not"))
		return parse_cmp(p);
	if (!enter(p))
		return NULL;
	advance(p);
	a = parse_not(p);
	p->depth--;
	return a != NULL ? node_unary(p, N_NOT, pos, a) : NULL;
}

static struct node *
parse_and(struct parser *p)
{
	struct node *n = parse_not(p);

	while (n != NULL && (p->tok.kind == T_ANDAND || tok_is(p, &p->tok, "and"))) {
		size_t pos = p->tok.start;
		struct node *b;

		advance(p);
		if ((b = parse_not(p)) == NULL)
			return NULL;
		n = node_binary(p, N_AND, 0, pos, n, b);
	}
	return n;
}

static struct node *
parse_or(struct parser *p)
{
	struct node *n = parse_and(p);

	while (n != NULL && (p->tok.kind == T_OROR || tok_is(p, &p->tok, "or"))) {
		size_t pos = p->tok.start;
		struct node *b;

		advance(p);
		if ((b = parse_and(p)) == NULL)
			return NULL;
		n = node_binary(p, N_OR, 0, pos, n, b);
	}
	return n;
}

static const char *const go_words[] = { "eq", "ne", "lt", "le", "gt", "ge", "and", "or", NULL };

/* Whether t can begin an operand of a Go-style call. */
static bool
go_operand_at(const struct parser *p, const struct tok *t)
{
	static const char *const ops[] = { "and", "or", "not", "in", NULL };

	switch (t->kind) {
	case T_NUM:
	case T_STR:
	case T_DOT:
	case T_LPAREN:
	case T_LBRACK:
		return true;
	case T_NAME:
		return !tok_in(p, t, ops);
	case T_MINUS:
		return t->start + 1 < p->len && is_digit(p->src[t->start + 1]);
	default:
		return false;
	}
}

/* "eq .a 1": a Go word, then whitespace, then an operand. */
static bool
go_call_at(struct parser *p)
{
	size_t after = p->tok.start + p->tok.len;
	struct tok next;

	if (!tok_in(p, &p->tok, go_words) || after >= p->len ||
	    !is_space((unsigned char)p->src[after]))
		return false;
	next = peek(p);
	return go_operand_at(p, &next);
}

static struct node *
parse_go_call(struct parser *p)
{
	static const struct { const char *word; enum node_kind kind; enum op op; } calls[] = {
		{ "eq", N_BINARY, OP_EQ }, { "ne", N_BINARY, OP_NE }, { "lt", N_BINARY, OP_LT },
		{ "le", N_BINARY, OP_LE }, { "gt", N_BINARY, OP_GT }, { "ge", N_BINARY, OP_GE },
		{ "and", N_AND, 0 }, { "or", N_OR, 0 },
	};
	struct tok word = p->tok;
	struct node *operands[2], *n = NULL;
	size_t count = 0, i = 0, max;
	const char *w;

	while (!tok_is(p, &word, calls[i].word))
		i++;
	w = calls[i].word;
	max = calls[i].kind == N_BINARY ? 2 : EXPR_MAX_HEIGHT;
	advance(p);
	while (go_operand_at(p, &p->tok)) {
		struct node *a;

		p->go_operand = true;
		a = parse_unary(p);
		p->go_operand = false;
		if (a == NULL)
			return NULL;
		if (++count > max) {
			parse_fail(p, word.start, "'%s' takes two operands (%s A B), given more", w, w);
			return NULL;
		}
		if (calls[i].kind == N_BINARY)
			operands[count - 1] = a;
		else if (n == NULL)
			n = a;
		else if ((n = node_binary(p, calls[i].kind, 0, word.start, n, a)) == NULL)
			return NULL;
	}
	if (count < 2) {
		parse_fail(p, word.start, "'%s' takes %s operands (%s A B), given %zu", w,
		    calls[i].kind == N_BINARY ? "two" : "two or more", w, count);
		return NULL;
	}
	if (p->tok.kind != T_EOF && p->tok.kind != T_PIPE && p->tok.kind != T_RPAREN) {
		parse_fail(p, p->tok.start, "a Go-style call ('%s A B') goes alone or in "
		    "parentheses: write (%s A B) before combining it", w, w);
		return NULL;
	}
	if (calls[i].kind == N_BINARY)
		n = node_binary(p, N_BINARY, calls[i].op, word.start, operands[0], operands[1]);
	return n;
}

/* "x | fn" and "x | fn(a, b)" mean fn(x, ...); tok is the name. */
static struct node *
parse_filter(struct parser *p, struct node *input)
{
	struct tok name = p->tok;
	const struct func *fn;
	struct node *call;

	if (name.kind != T_NAME) {
		fail_expected(p, "a function name after '|'");
		return NULL;
	}
	if ((fn = func_find(p, &name)) == NULL) {
		fail_unknown_func(p, &name);
		return NULL;
	}
	call = node_new(p, N_CALL, name.start);
	call->fn = fn;
	call->filter = true;
	if (!node_add(p, call, input))
		return NULL;
	advance(p);
	if (p->tok.kind == T_LPAREN && !parse_args(p, call))
		return NULL;
	return check_arity(p, call) ? call : NULL;
}

/* A whole (sub-)expression: filters are the loosest operator; Go-style
 * calls are recognised at the start of the expression and of each
 * parenthesised group (allow_go). */
static struct node *
parse_pipe(struct parser *p, bool allow_go)
{
	bool go_operand = p->go_operand;
	struct node *n;

	if (!enter(p))
		return NULL;
	p->go_operand = false;
	n = allow_go && go_call_at(p) ? parse_go_call(p) : parse_or(p);
	while (n != NULL && p->tok.kind == T_PIPE) {
		advance(p);
		n = parse_filter(p, n);
	}
	p->go_operand = go_operand;
	p->depth--;
	return n;
}

/* "{{ if ... }}" and friends come from Go templates and have no meaning
 * here; say so instead of reading "if" as a step id. */
static bool
check_go_action(struct parser *p)
{
	static const char *const cond[] = { "if", "else", "with", "end", NULL };
	static const char *const other[] = {
		"range", "define", "template", "block", "break", "continue", NULL
	};
	size_t after = p->tok.start + p->tok.len;

	if (after < p->len && !is_space((unsigned char)p->src[after]))
		return true;
	if (tok_in(p, &p->tok, cond))
		parse_fail(p, p->tok.start, "Go template actions such as '%.*s' are not "
		    "supported; use 'condition:' on the step instead", (int)p->tok.len,
		    p->src + p->tok.start);
	else if (tok_in(p, &p->tok, other))
		parse_fail(p, p->tok.start, "Go template actions such as '%.*s' are not "
		    "supported; use 'condition:' or 'for_each:' on the step instead",
		    (int)p->tok.len, p->src + p->tok.start);
	return !p->failed;
}

struct expr *
expr_parse(const char *src, size_t len, struct err *e)
{
	struct parser p;
	struct expr *ex;

	if (len > EXPR_MAX_SOURCE) {
		err_set_at(e, 0, EXPR_MAX_SOURCE + 1, "the expression is too long "
		    "(%zu bytes, at most %d)", len, EXPR_MAX_SOURCE);
		return NULL;
	}
	ex = xcalloc(1, sizeof *ex);
	ex->src = xstrndup(src, len);
	ex->len = len;
	memset(&p, 0, sizeof p);
	p.ex = ex;
	p.src = ex->src;
	p.len = len;
	p.e = e;
	advance(&p);
	if (p.tok.kind == T_EOF) {
		err_set_at(e, 0, 1, "the expression is empty");
		expr_free(ex);
		return NULL;
	}
	if (check_go_action(&p))
		ex->root = parse_pipe(&p, true);
	if (ex->root != NULL && p.tok.kind == T_RPAREN)
		parse_fail(&p, p.tok.start, "unmatched ')'");
	else if (ex->root != NULL && p.tok.kind == T_RBRACK)
		parse_fail(&p, p.tok.start, "unmatched ']'");
	else if (ex->root != NULL && p.tok.kind != T_EOF)
		fail_expected(&p, "an operator or the end of the expression");
	if (p.failed || ex->root == NULL) {
		expr_free(ex);
		return NULL;
	}
	return ex;
}

void
expr_free(struct expr *ex)
{
	if (ex == NULL)
		return;
	for (size_t i = 0; i < ex->nnodes; i++) {
		struct node *n = ex->nodes[i];

		cJSON_Delete(n->lit);
		free(n->name);
		free(n->kids);
		free(n);
	}
	free(ex->nodes);
	free(ex->src);
	free(ex);
}

const char *
expr_source(const struct expr *ex)
{
	return ex->src;
}

bool
expr_is_raw(const struct expr *ex)
{
	return ex->root->kind == N_CALL && ex->root->fn->kind == FUNC_RAW;
}

static void
walk_refs(const struct node *n, expr_ref_fn *fn, void *ud)
{
	if (n->kind == N_ROOT)
		fn(ud, n->root, n->name, n->pos);
	for (size_t i = 0; i < n->nkids; i++)
		walk_refs(n->kids[i], fn, ud);
}

void
expr_walk_refs(const struct expr *ex, expr_ref_fn *fn, void *ud)
{
	walk_refs(ex->root, fn, ud);
}

const cJSON *
expr_scope_object_lookup(void *ud, const char *root, const char *member, bool *consumed)
{
	*consumed = false;
	return cJSON_GetObjectItemCaseSensitive(ud, root);
}

/* Evaluation.  eval_node returns a value that is either owned by the
 * caller (*owned) or borrowed from the scope, the tree or null_value. */

static cJSON *eval_node(struct eval *, const struct node *, bool *);

static cJSON *
field_of(struct eval *ev, size_t pos, cJSON *base, const char *name)
{
	cJSON *c;

	if (cJSON_IsNull(base))
		return &null_value;
	if (!cJSON_IsObject(base))
		return eval_fail(ev, pos, "cannot read field '%.*s' of %s", EXPR_NAME_MAX, name,
		    describe(base));
	c = cJSON_GetObjectItemCaseSensitive(base, name);
	return c != NULL ? c : &null_value;
}

static cJSON *
item_of(struct eval *ev, size_t pos, cJSON *base, const cJSON *idx)
{
	double i;
	size_t n;
	cJSON *c;

	if (cJSON_IsNull(base))
		return &null_value;
	if (cJSON_IsArray(base) && cJSON_IsNumber(idx)) {
		i = idx->valuedouble;
		if (i != floor(i)) {
			char num[40];

			num_format(i, num, sizeof num);
			return eval_fail(ev, pos, "a list index must be a whole number, not %s", num);
		}
		n = value_count(base);
		if (i < 0)
			i += (double)n;
		if (i < 0 || i >= (double)n)
			return &null_value;
		c = base->child;
		for (size_t k = (size_t)i; k > 0; k--)
			c = c->next;
		return c;
	}
	if (cJSON_IsObject(base) && cJSON_IsString(idx)) {
		c = cJSON_GetObjectItemCaseSensitive(base, idx->valuestring);
		return c != NULL ? c : &null_value;
	}
	return eval_fail(ev, pos, "cannot index %s with %s", describe(base), describe(idx));
}

/* Hands back child of base with base's ownership: an owned base gives up
 * the child and is freed. */
static cJSON *
take_child(cJSON *base, bool base_owned, cJSON *child, bool *owned)
{
	*owned = false;
	if (!base_owned || child == NULL)
		return child;
	if (child == &null_value) {
		cJSON_Delete(base);
		return child;
	}
	cJSON_DetachItemViaPointer(base, child);
	cJSON_Delete(base);
	*owned = true;
	return child;
}

static cJSON *
eval_root(struct eval *ev, const struct node *n, bool *owned)
{
	bool consumed = false;
	const cJSON *v;

	*owned = false;
	v = ev->scope->lookup(ev->scope->ud, n->root, n->name, &consumed);
	if (consumed)
		return v != NULL ? (cJSON *)v : &null_value;
	if (v == NULL)
		return eval_fail(ev, n->pos, "unknown name '%s'%s", n->root,
		    strcmp(n->root, "item") == 0 || strcmp(n->root, "index") == 0 ?
		    " (it exists only in a for_each step)" : strcmp(n->root, "error") == 0 ?
		    " (it exists only in on_failure and finally steps)" : "");
	if (n->name == NULL)
		return (cJSON *)v;
	return field_of(ev, n->mpos, (cJSON *)v, n->name);
}

static cJSON *
eval_number(struct eval *ev, size_t pos, double d)
{
	if (!isfinite(d))
		return eval_fail(ev, pos, "the result is too large for a number");
	return value_new_number(d);
}

static cJSON *
eval_add(struct eval *ev, size_t pos, const cJSON *a, const cJSON *b)
{
	cJSON *r;

	if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
		return eval_number(ev, pos, a->valuedouble + b->valuedouble);
	if (cJSON_IsString(a) && cJSON_IsString(b)) {
		size_t la = strlen(a->valuestring), lb = strlen(b->valuestring);
		char *s;

		if (la + lb > EXPR_MAX_TEXT)
			return eval_fail(ev, pos, "the text would be longer than 16 MiB");
		s = xmalloc(la + lb + 1);
		memcpy(s, a->valuestring, la);
		memcpy(s + la, b->valuestring, lb + 1);
		r = value_new_string(s);
		free(s);
		return r;
	}
	if (cJSON_IsArray(a) && cJSON_IsArray(b)) {
		if (value_count(a) + value_count(b) > EXPR_MAX_ITEMS)
			return eval_fail(ev, pos, "the list would hold more than %d items",
			    EXPR_MAX_ITEMS);
		r = value_new_array();
		for (const cJSON *c = a->child; c != NULL; c = c->next)
			cJSON_AddItemToArray(r, value_copy(c));
		for (const cJSON *c = b->child; c != NULL; c = c->next)
			cJSON_AddItemToArray(r, value_copy(c));
		return r;
	}
	return eval_fail(ev, pos, "cannot add %s and %s", describe(a), describe(b));
}

static cJSON *
eval_arith(struct eval *ev, const struct node *n, const cJSON *a, const cJSON *b)
{
	double x, y;

	if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b)) {
		switch (n->op) {
		case OP_SUB:
			return eval_fail(ev, n->pos, "cannot subtract %s from %s", describe(b),
			    describe(a));
		case OP_MUL:
			return eval_fail(ev, n->pos, "cannot multiply %s by %s", describe(a),
			    describe(b));
		case OP_DIV:
			return eval_fail(ev, n->pos, "cannot divide %s by %s", describe(a),
			    describe(b));
		default:
			return eval_fail(ev, n->pos, "cannot take %s modulo %s", describe(a),
			    describe(b));
		}
	}
	x = a->valuedouble;
	y = b->valuedouble;
	switch (n->op) {
	case OP_SUB:
		return eval_number(ev, n->pos, x - y);
	case OP_MUL:
		return eval_number(ev, n->pos, x * y);
	case OP_DIV:
		if (y == 0)
			return eval_fail(ev, n->pos, "division by zero");
		return eval_number(ev, n->pos, x / y);
	default:
		if (y == 0)
			return eval_fail(ev, n->pos, "modulo by zero");
		return eval_number(ev, n->pos, fmod(x, y));
	}
}

static cJSON *
eval_compare(struct eval *ev, const struct node *n, const cJSON *a, const cJSON *b)
{
	int c;

	if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
		c = a->valuedouble < b->valuedouble ? -1 : a->valuedouble > b->valuedouble;
	else if (cJSON_IsString(a) && cJSON_IsString(b))
		c = strcmp(a->valuestring, b->valuestring);
	else
		return eval_fail(ev, n->pos, "cannot compare %s and %s", describe(a), describe(b));
	switch (n->op) {
	case OP_LT:
		return value_new_bool(c < 0);
	case OP_LE:
		return value_new_bool(c <= 0);
	case OP_GT:
		return value_new_bool(c > 0);
	default:
		return value_new_bool(c >= 0);
	}
}

static cJSON *
eval_in(struct eval *ev, const struct node *n, const cJSON *needle, const cJSON *hay)
{
	bool found = false;

	if (cJSON_IsArray(hay)) {
		for (const cJSON *c = hay->child; c != NULL && !found; c = c->next)
			found = value_equal(c, needle);
	} else if (cJSON_IsString(hay) || cJSON_IsObject(hay)) {
		if (!cJSON_IsString(needle))
			return eval_fail(ev, n->pos, "cannot look for %s in %s", describe(needle),
			    describe(hay));
		if (cJSON_IsString(hay))
			found = strstr(hay->valuestring, needle->valuestring) != NULL;
		else
			found = cJSON_GetObjectItemCaseSensitive(hay, needle->valuestring) != NULL;
	} else
		return eval_fail(ev, n->pos, "'in' needs a list, a string or an object on its "
		    "right, not %s", describe(hay));
	return value_new_bool(n->op == OP_IN ? found : !found);
}

static cJSON *
eval_binary(struct eval *ev, const struct node *n)
{
	cJSON *a, *b, *r;
	bool oa, ob;

	if ((a = eval_node(ev, n->kids[0], &oa)) == NULL)
		return NULL;
	if ((b = eval_node(ev, n->kids[1], &ob)) == NULL) {
		value_drop(a, oa);
		return NULL;
	}
	switch (n->op) {
	case OP_EQ:
		r = value_new_bool(value_equal(a, b));
		break;
	case OP_NE:
		r = value_new_bool(!value_equal(a, b));
		break;
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
		r = eval_compare(ev, n, a, b);
		break;
	case OP_IN:
	case OP_NOTIN:
		r = eval_in(ev, n, a, b);
		break;
	case OP_ADD:
		r = eval_add(ev, n->pos, a, b);
		break;
	default:
		r = eval_arith(ev, n, a, b);
	}
	value_drop(a, oa);
	value_drop(b, ob);
	return r;
}

static cJSON *
eval_call(struct eval *ev, const struct node *n, bool *owned)
{
	cJSON *argv[3], *r;
	bool own[3];
	size_t i;

	if (n->fn->kind == FUNC_RAW)
		return eval_node(ev, n->kids[0], owned);
	if (n->fn->kind == FUNC_DEFAULT) {
		if ((r = eval_node(ev, n->kids[0], owned)) == NULL)
			return NULL;
		if (!cJSON_IsNull(r) && !(cJSON_IsString(r) && r->valuestring[0] == '\0'))
			return r;
		value_drop(r, *owned);
		return eval_node(ev, n->kids[1], owned);
	}
	*owned = true;
	for (i = 0; i < n->nkids; i++)
		if ((argv[i] = eval_node(ev, n->kids[i], &own[i])) == NULL)
			break;
	r = i == n->nkids ? n->fn->impl(ev, n, argv) : NULL;
	while (i-- > 0)
		value_drop(argv[i], own[i]);
	return r;
}

static cJSON *
eval_node(struct eval *ev, const struct node *n, bool *owned)
{
	cJSON *a, *b, *r;
	bool oa, ob, truth;

	*owned = true;
	switch (n->kind) {
	case N_LIT:
		*owned = false;
		return n->lit;
	case N_LIST:
		r = value_new_array();
		for (size_t i = 0; i < n->nkids; i++) {
			if ((a = eval_node(ev, n->kids[i], &oa)) == NULL) {
				cJSON_Delete(r);
				return NULL;
			}
			cJSON_AddItemToArray(r, value_own(a, oa));
		}
		return r;
	case N_ROOT:
		return eval_root(ev, n, owned);
	case N_MEMBER:
		if ((a = eval_node(ev, n->kids[0], &oa)) == NULL)
			return NULL;
		r = field_of(ev, n->pos, a, n->name);
		if (r == NULL)
			value_drop(a, oa);
		return take_child(a, oa, r, owned);
	case N_INDEX:
		if ((a = eval_node(ev, n->kids[0], &oa)) == NULL)
			return NULL;
		if ((b = eval_node(ev, n->kids[1], &ob)) == NULL) {
			value_drop(a, oa);
			return NULL;
		}
		r = item_of(ev, n->pos, a, b);
		value_drop(b, ob);
		if (r == NULL)
			value_drop(a, oa);
		return take_child(a, oa, r, owned);
	case N_NEG:
		if ((a = eval_node(ev, n->kids[0], &oa)) == NULL)
			return NULL;
		r = cJSON_IsNumber(a) ? value_new_number(-a->valuedouble) :
		    eval_fail(ev, n->pos, "cannot negate %s", describe(a));
		value_drop(a, oa);
		return r;
	case N_NOT:
		if ((a = eval_node(ev, n->kids[0], &oa)) == NULL)
			return NULL;
		r = value_new_bool(!expr_truthy(a));
		value_drop(a, oa);
		return r;
	case N_AND:
	case N_OR:
		if ((a = eval_node(ev, n->kids[0], &oa)) == NULL)
			return NULL;
		truth = expr_truthy(a);
		value_drop(a, oa);
		/* && stops at the first false, || at the first true. */
		if (truth == (n->kind == N_OR))
			return value_new_bool(truth);
		if ((b = eval_node(ev, n->kids[1], &ob)) == NULL)
			return NULL;
		truth = expr_truthy(b);
		value_drop(b, ob);
		return value_new_bool(truth);
	case N_BINARY:
		return eval_binary(ev, n);
	case N_CALL:
		return eval_call(ev, n, owned);
	}
	fatal("bad expression node %d", (int)n->kind);
}

cJSON *
expr_eval(const struct expr *ex, const struct expr_scope *scope, struct err *e)
{
	struct eval ev = { ex, scope, e };
	bool owned;
	cJSON *v = eval_node(&ev, ex->root, &owned);

	return v != NULL ? value_own(v, owned) : NULL;
}
