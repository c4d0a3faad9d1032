/* ydoc.c - libyaml events to a tree of positioned nodes.
 *
 * The event parser (not libyaml's own composer) is used so that every node
 * keeps its position, merge keys can be applied, duplicate keys reported and
 * hostile documents bounded: nesting is limited, and so is the size a
 * document may reach by expanding aliases ("billion laughs").
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "arena.h"
#include "strbuf.h"
#include "xmalloc.h"
#include "ydoc.h"

#define YDOC_MAX_DEPTH 200
#define YDOC_MAX_WEIGHT 1000000	/* twice it fits ynode.weight */

_Static_assert(sizeof(struct ynode) <= 64, "a ynode grew past 64 bytes");

struct anchor {
	char *name;
	struct ynode *node;
};

/* Nodes are kept in slabs so that ydoc_free can hand every aux pointer
 * back; their strings and child arrays are just arena memory. */
struct slab {
	struct slab *next;
	size_t n, cap;
	struct ynode node[];
};

struct ydoc {
	struct ynode *root;
	struct arena arena;
	struct slab *slabs;	/* the newest first */
	void (*aux_free)(void *);
};

/* The children of the open containers wait on one stack (kids) and are
 * copied into an array of the right size when their container closes, so
 * no array is grown in place.  A mapping's children are its keys and
 * values in turn. */
struct builder {
	struct ydoc *doc;
	struct ynode *stack[YDOC_MAX_DEPTH + 1];
	size_t base[YDOC_MAX_DEPTH + 1];	/* where each one's children start in kids */
	size_t depth;
	struct ynode **kids;
	size_t nkids, capkids;
	struct anchor *anchors;
	size_t nanchors, capanchors;
	ydoc_problem_fn *problem;
	void *ud;
	int ndocs;
	const char *buf;	/* the text being parsed */
	size_t len;
	bool aliased;		/* an alias was met: nodes count more than once */
};

static struct ynode *
node_new(struct ydoc *doc, enum ynode_kind kind, const yaml_mark_t *mark)
{
	struct slab *s = doc->slabs;
	struct ynode *n;

	if (s == NULL || s->n == s->cap) {
		size_t cap = s == NULL ? 64 : s->cap < 4096 ? 2 * s->cap : s->cap;

		s = arena_alloc(&doc->arena, sizeof *s + cap * sizeof *s->node);
		s->n = 0;
		s->cap = cap;
		s->next = doc->slabs;
		doc->slabs = s;
	}
	n = &s->node[s->n++];
	*n = (struct ynode){ .kind = kind, .line = (int)mark->line + 1,
	    .col = (int)mark->column + 1, .weight = 1 };
	return n;
}

static bool
all_digits(const char *s, int (*pred)(int))
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!pred((unsigned char)*s))
			return false;
	return true;
}

static int
is_octal(int c)
{
	return c >= '0' && c <= '7';
}

/* Types a plain scalar by the YAML 1.2 core schema. */
static void
scalar_resolve(struct ynode *n)
{
	const char *s = n->str;
	const char *d = s + (*s == '-' || *s == '+');
	char *end;

	n->type = YS_STR;
	if (*s != '\0' && strchr("~nNtTfF.+-0123456789", *s) == NULL)
		return;	/* nothing but a string starts so */
	if (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0) {
		n->type = YS_NULL;
	} else if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0) {
		n->type = YS_BOOL;
		n->b = true;
	} else if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0) {
		n->type = YS_BOOL;
	} else if (all_digits(d, isdigit) ||
	    (strncmp(s, "0x", 2) == 0 && all_digits(s + 2, isxdigit)) ||
	    (strncmp(s, "0o", 2) == 0 && all_digits(s + 2, is_octal))) {
		int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 10;
		const char *digits = base == 10 ? s : s + 2;

		errno = 0;
		n->i = strtoll(digits, &end, base);
		n->f = errno == ERANGE ? strtod(s, NULL) : (double)n->i;
		n->type = errno == ERANGE ? YS_FLOAT : YS_INT;
	} else if (strcmp(d, ".inf") == 0 || strcmp(d, ".Inf") == 0 || strcmp(d, ".INF") == 0) {
		n->type = YS_FLOAT;
		n->f = *s == '-' ? -INFINITY : INFINITY;
	} else if (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 || strcmp(s, ".NAN") == 0) {
		n->type = YS_FLOAT;
		n->f = NAN;
	} else if ((isdigit((unsigned char)*d) || (*d == '.' && isdigit((unsigned char)d[1])))) {
		/* [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
		const char *p = d;

		while (isdigit((unsigned char)*p))
			p++;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
		if (*p == 'e' || *p == 'E') {
			const char *q = p + 1 + (p[1] == '-' || p[1] == '+');

			if (isdigit((unsigned char)*q)) {
				for (p = q; isdigit((unsigned char)*p); p++)
					;
			}
		}
		if (*p == '\0') {
			n->type = YS_FLOAT;
			n->f = strtod(s, NULL);
		}
	}
}

static int
scalar_apply_tag(struct ynode *n, const char *tag, struct err *e)
{
	static const char pfx[] = "tag:yaml.org,2002:";
	const char *t;

	if (strcmp(tag, "!") == 0)
		return 0;
	if (strncmp(tag, pfx, sizeof pfx - 1) != 0)
		return err_set_at(e, n->line, n->col, "unsupported YAML tag '%s'", tag);
	t = tag + sizeof pfx - 1;
	if (strcmp(t, "str") == 0) {
		n->type = YS_STR;
		return 0;
	}
	scalar_resolve(n);
	if ((strcmp(t, "int") == 0 && n->type == YS_INT) ||
	    (strcmp(t, "float") == 0 && (n->type == YS_FLOAT || n->type == YS_INT)) ||
	    (strcmp(t, "bool") == 0 && n->type == YS_BOOL) ||
	    (strcmp(t, "null") == 0 && n->type == YS_NULL)) {
		if (n->type == YS_INT && strcmp(t, "float") == 0)
			n->type = YS_FLOAT;
		return 0;
	}
	if (strcmp(t, "int") == 0 || strcmp(t, "float") == 0 || strcmp(t, "bool") == 0 ||
	    strcmp(t, "null") == 0)
		return err_set_at(e, n->line, n->col, "'%s' is not a valid !!%s", n->str, t);
	return err_set_at(e, n->line, n->col, "unsupported YAML tag '!!%s' on a scalar", t);
}

static int
add_anchor(struct builder *b, const yaml_char_t *name, struct ynode *n)
{
	for (size_t i = 0; i < b->nanchors; i++) {
		if (strcmp(b->anchors[i].name, (const char *)name) == 0) {
			b->anchors[i].node = n;	/* YAML lets an anchor be redefined */
			return 0;
		}
	}
	xgrow(&b->anchors, &b->capanchors, b->nanchors + 1, sizeof *b->anchors);
	b->anchors[b->nanchors].name = xstrdup((const char *)name);
	b->anchors[b->nanchors].node = n;
	b->nanchors++;
	return 0;
}

static struct ynode *
find_anchor(struct builder *b, const char *name)
{
	for (size_t i = b->nanchors; i > 0; i--)
		if (strcmp(b->anchors[i - 1].name, name) == 0)
			return b->anchors[i - 1].node;
	return NULL;
}

static int
attach(struct builder *b, struct ynode *n, struct err *e)
{
	struct ynode *parent = b->depth > 0 ? b->stack[b->depth - 1] : NULL;

	if (parent == NULL) {
		b->doc->root = n;
		return 0;
	}
	/* Keys and values arrive one after the other. */
	if (parent->kind == YNODE_MAP && (b->nkids - b->base[b->depth - 1]) % 2 == 0 &&
	    n->kind != YNODE_SCALAR)
		return err_set_at(e, n->line, n->col,
		    "a mapping key must be plain text, not %s", ynode_describe(n));
	xgrow(&b->kids, &b->capkids, b->nkids + 1, sizeof *b->kids);
	b->kids[b->nkids++] = n;
	parent->weight += n->weight;
	if (parent->weight > YDOC_MAX_WEIGHT && b->aliased)
		return err_set_at(e, n->line, n->col,
		    "the document grows beyond %d nodes through aliases", YDOC_MAX_WEIGHT);
	if (parent->weight > YDOC_MAX_WEIGHT)
		return err_set_at(e, n->line, n->col,
		    "the document has more than %d nodes, more than a workflow can use",
		    YDOC_MAX_WEIGHT);
	return 0;
}

static bool
is_merge_key(const struct ynode *k)
{
	return k->kind == YNODE_SCALAR && k->type == YS_STR && strcmp(k->str, "<<") == 0;
}

static bool
pairs_have_key(const struct ypair *pairs, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(pairs[i].key->str, key) == 0)
			return true;
	return false;
}

/* Applies "<<: *base" (or a list of bases): their pairs are added for keys
 * the mapping does not set itself. */
static int
map_merge(struct ydoc *doc, struct ynode *map, struct err *e)
{
	struct ypair *out;
	size_t nout = 0, cap = 0, nmerge = 0;

	for (size_t i = 0; i < map->n; i++) {
		struct ynode *v = map->pairs[i].val;

		if (is_merge_key(map->pairs[i].key)) {
			nmerge++;
			for (size_t s = 0; s < (v->kind == YNODE_SEQ ? v->n : 1); s++)
				cap += v->kind == YNODE_SEQ ? v->items[s]->n : v->n;
		} else {
			cap++;
		}
	}
	if (nmerge == 0)
		return 0;
	out = arena_array(&doc->arena, cap, sizeof *out);
	for (size_t i = 0; i < map->n; i++)
		if (!is_merge_key(map->pairs[i].key))
			out[nout++] = map->pairs[i];
	for (size_t i = 0; i < map->n; i++) {
		struct ynode *v = map->pairs[i].val;
		struct ynode **srcs = v->kind == YNODE_SEQ ? v->items : &v;
		size_t nsrc = v->kind == YNODE_SEQ ? v->n : 1;

		if (!is_merge_key(map->pairs[i].key))
			continue;
		for (size_t s = 0; s < nsrc; s++) {
			if (srcs[s]->kind != YNODE_MAP)
				return err_set_at(e, srcs[s]->line, srcs[s]->col,
				    "'<<' merges mappings, but this is %s", ynode_describe(srcs[s]));
			for (size_t j = 0; j < srcs[s]->n; j++)
				if (!pairs_have_key(out, nout, srcs[s]->pairs[j].key->str))
					out[nout++] = srcs[s]->pairs[j];
		}
	}
	map->pairs = out;
	map->n = (uint32_t)nout;
	return 0;
}

static int
key_cmp(const void *pa, const void *pb)
{
	const struct ypair *a = *(const struct ypair *const *)pa;
	const struct ypair *b = *(const struct ypair *const *)pb;
	int c = strcmp(a->key->str, b->key->str);

	if (c != 0)
		return c;
	if (a->key->line != b->key->line)
		return a->key->line < b->key->line ? -1 : 1;
	return (a->key->col > b->key->col) - (a->key->col < b->key->col);
}

static void
report_duplicate(struct builder *b, const struct ynode *first, const struct ynode *k)
{
	char msg[256];

	snprintf(msg, sizeof msg, "duplicate key '%.100s' (first set at line %d)",
	    first->str, first->line);
	b->problem(b->ud, k->line, k->col, msg);
}

/* Reports each key set again, at the later place, naming the first.  Most
 * mappings are small: those are compared pair by pair, the others sorted. */
static void
map_check_duplicates(struct builder *b, const struct ynode *map)
{
	const struct ypair **sorted;
	const struct ynode *first;

	if (map->n < 2 || b->problem == NULL)
		return;
	if (map->n <= 16) {
		for (size_t i = 1; i < map->n; i++) {
			const struct ynode *k = map->pairs[i].key;

			for (size_t j = 0; j < i; j++) {
				if (strcmp(map->pairs[j].key->str, k->str) == 0) {
					report_duplicate(b, map->pairs[j].key, k);
					break;
				}
			}
		}
		return;
	}
	sorted = xreallocarray(NULL, map->n, sizeof *sorted);
	for (size_t i = 0; i < map->n; i++)
		sorted[i] = &map->pairs[i];
	qsort(sorted, map->n, sizeof *sorted, key_cmp);
	first = sorted[0]->key;
	for (size_t i = 1; i < map->n; i++) {
		const struct ynode *k = sorted[i]->key;

		if (strcmp(k->str, first->str) != 0)
			first = k;
		else
			report_duplicate(b, first, k);
	}
	free(sorted);
}

/* Gives the container its children, off the top of kids. */
static void
take_kids(struct builder *b, struct ynode *n, size_t base)
{
	struct ynode **k = b->kids + base;
	size_t nk = b->nkids - base;

	if (n->kind == YNODE_SEQ) {
		n->items = arena_array(&b->doc->arena, nk, sizeof *n->items);
		if (nk > 0)
			memcpy(n->items, k, nk * sizeof *k);
		n->n = (uint32_t)nk;	/* at most YDOC_MAX_WEIGHT */
	} else {
		/* libyaml gives a key without a value an empty one: nk is even */
		n->n = (uint32_t)(nk / 2);
		n->pairs = arena_array(&b->doc->arena, n->n, sizeof *n->pairs);
		for (size_t i = 0; i < n->n; i++)
			n->pairs[i] = (struct ypair){ k[2 * i], k[2 * i + 1] };
	}
	b->nkids = base;
}

/* A bit for the first two bytes of a key: a mapping whose keyset lacks the
 * bit of a key does not have it, and most keys asked for are absent. */
static uint64_t
key_bit(const char *k)
{
	unsigned h = (unsigned char)k[0];

	if (k[0] != '\0')
		h += 3u * (unsigned char)k[1];
	return (uint64_t)1 << (h & 63);
}

static int
close_container(struct builder *b, struct err *e)
{
	struct ynode *n = b->stack[--b->depth];

	n->open = false;
	take_kids(b, n, b->base[b->depth]);
	if (n->kind == YNODE_MAP) {
		if (map_merge(b->doc, n, e) < 0)
			return -1;
		for (size_t i = 0; i < n->n; i++)
			n->keyset |= key_bit(n->pairs[i].key->str);
		map_check_duplicates(b, n);
	}
	return attach(b, n, e);
}

/* The column (from 1) where the lines of the literal block scalar whose
 * header ('|') is at mark start, or 0 when that is not plain to see (an
 * explicit indentation digit, no content line). */
static int
block_indent(const struct builder *b, const yaml_mark_t *mark)
{
	size_t i = mark->index;

	while (i < b->len && b->buf[i] != '\n') {
		if (b->buf[i] >= '1' && b->buf[i] <= '9')
			return 0;
		if (b->buf[i] == '#')
			break;
		i++;
	}
	while (i < b->len) {
		size_t start = ++i, col;

		while (i < b->len && b->buf[i] == ' ')
			i++;
		col = i - start;
		if (i < b->len && b->buf[i] != '\n' && b->buf[i] != '\r')
			return col < 10000 ? (int)col + 1 : 0;
		while (i < b->len && b->buf[i] != '\n')
			i++;
	}
	return 0;
}

static int
on_scalar(struct builder *b, const yaml_event_t *ev, struct err *e)
{
	struct ynode *n = node_new(b->doc, YNODE_SCALAR, &ev->start_mark);

	if (ev->data.scalar.length > UINT32_MAX)
		return err_set_at(e, n->line, n->col, "a string longer than 4 GiB");
	n->str = arena_strndup(&b->doc->arena, (const char *)ev->data.scalar.value,
	    ev->data.scalar.length);
	n->len = (uint32_t)ev->data.scalar.length;
	/* The text has no NUL (check_text): only an escape can make one. */
	if (ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE &&
	    memchr(n->str, '\0', n->len) != NULL)
		return err_set_at(e, n->line, n->col, "a NUL character inside a string");
	n->type = YS_STR;
	n->oneline = ev->end_mark.line == ev->start_mark.line;
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		n->style = YSTYLE_SINGLE;
		break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		n->style = YSTYLE_DOUBLE;
		break;
	case YAML_LITERAL_SCALAR_STYLE:
		n->indent = (unsigned short)block_indent(b, &ev->start_mark);
		/* fall through */
	case YAML_FOLDED_SCALAR_STYLE:
		n->style = YSTYLE_BLOCK;
		break;
	default:
		n->style = YSTYLE_PLAIN;
		break;
	}
	if (ev->data.scalar.tag != NULL) {
		if (scalar_apply_tag(n, (const char *)ev->data.scalar.tag, e) < 0)
			return -1;
	} else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		scalar_resolve(n);
	}
	if (ev->data.scalar.anchor != NULL)
		add_anchor(b, ev->data.scalar.anchor, n);
	return attach(b, n, e);
}

static int
on_start(struct builder *b, const yaml_event_t *ev, enum ynode_kind kind, struct err *e)
{
	const yaml_char_t *anchor, *tag;
	struct ynode *n = node_new(b->doc, kind, &ev->start_mark);

	if (kind == YNODE_SEQ) {
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
	} else {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	}
	if (tag != NULL && strcmp((const char *)tag, "!") != 0 &&
	    strcmp((const char *)tag, kind == YNODE_SEQ ? "tag:yaml.org,2002:seq" :
	    "tag:yaml.org,2002:map") != 0)
		return err_set_at(e, n->line, n->col, "unsupported YAML tag '%s'", tag);
	if (b->depth == YDOC_MAX_DEPTH)
		return err_set_at(e, n->line, n->col, "nesting deeper than %d levels", YDOC_MAX_DEPTH);
	if (anchor != NULL)
		add_anchor(b, anchor, n);
	n->open = true;
	b->base[b->depth] = b->nkids;
	b->stack[b->depth++] = n;
	return 0;
}

static int
on_alias(struct builder *b, const yaml_event_t *ev, struct err *e)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct ynode *n = find_anchor(b, name);
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;

	if (n == NULL)
		return err_set_at(e, line, col, "unknown anchor '*%s'", name);
	if (n->open)
		return err_set_at(e, line, col, "alias '*%s' refers to a node that contains it", name);
	b->aliased = true;
	return attach(b, n, e);
}

static int
on_event(struct builder *b, const yaml_event_t *ev, struct err *e)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->ndocs > 1)
			return err_set_at(e, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
			    "a second YAML document starts here; a workflow file holds exactly one");
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev, e);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, ev, YNODE_SEQ, e);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, ev, YNODE_MAP, e);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return close_container(b, e);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev, e);
	default:
		return 0;
	}
}

/* True when buf is ASCII without a NUL, as most workflows are: tested a
 * word at a time (a byte with its high bit set, or a zero byte). */
static bool
plain_ascii(const char *buf, size_t len)
{
	const uint64_t high = 0x8080808080808080ull, low = 0x0101010101010101ull;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, buf + i, sizeof w);
		if ((w & high) != 0 || ((w - low) & ~w & high) != 0)
			return false;
	}
	for (; i < len; i++)
		if (buf[i] == '\0' || (unsigned char)buf[i] >= 0x80)
			return false;
	return true;
}

/* libyaml reports bad encodings with byte offsets only; checking first
 * gives a line and column, and a clear word for binary files. */
static int
check_text(const char *buf, size_t len, struct err *e)
{
	int line = 1, col = 1;

	if (plain_ascii(buf, len))
		return 0;

	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)buf[i];
		size_t need = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 :
		    (c & 0xf8) == 0xf0 ? 3 : 4;

		if (c == '\0')
			return err_set_at(e, line, col,
			    "binary data (a NUL byte): this is not a YAML text file");
		if (need == 4 || (need == 1 && c < 0xc2) || (need == 3 && c > 0xf4) ||
		    (need > 0 && i + need >= len))
			goto bad;
		for (size_t k = 1; k <= need; k++)
			if (((unsigned char)buf[i + k] & 0xc0) != 0x80)
				goto bad;
		if ((c == 0xe0 && (unsigned char)buf[i + 1] < 0xa0) ||
		    (c == 0xf0 && (unsigned char)buf[i + 1] < 0x90) ||
		    (c == 0xf4 && (unsigned char)buf[i + 1] > 0x8f) ||
		    (c == 0xed && (unsigned char)buf[i + 1] > 0x9f))
			goto bad;
		if (c == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
		i += need + 1;
		continue;
bad:
		return err_set_at(e, line, col,
		    "invalid UTF-8 (byte 0x%02x): workflow files must be UTF-8 text", c);
	}
	return 0;
}

static int
parser_error(const yaml_parser_t *p, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;

	sb_addf(&sb, "invalid YAML: %s", p->problem != NULL ? p->problem : "syntax error");
	if (p->context != NULL)
		sb_addf(&sb, " (%s at line %d, column %d)", p->context,
		    (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
	if (p->error == YAML_MEMORY_ERROR)
		fatal("libyaml ran out of memory");
	err_set_at(e, line, col, "%s", sb_str(&sb));
	sb_fini(&sb);
	return -1;
}

struct ydoc *
ydoc_parse(const char *buf, size_t len, ydoc_problem_fn *problem, void *ud, struct err *e)
{
	struct builder b = { .problem = problem, .ud = ud, .buf = buf, .len = len };
	yaml_parser_t parser;
	int rc = 0;

	if (check_text(buf, len, e) < 0)
		return NULL;
	b.doc = xcalloc(1, sizeof *b.doc);
	if (!yaml_parser_initialize(&parser))
		fatal("libyaml could not initialise a parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	for (;;) {
		yaml_event_t ev;
		yaml_event_type_t type;

		if (!yaml_parser_parse(&parser, &ev)) {
			rc = parser_error(&parser, e);
			break;
		}
		type = ev.type;
		rc = on_event(&b, &ev, e);
		yaml_event_delete(&ev);
		if (rc < 0 || type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&parser);
	for (size_t i = 0; i < b.nanchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	free(b.kids);
	if (rc < 0) {
		ydoc_free(b.doc);
		return NULL;
	}
	return b.doc;
}

void
ydoc_set_aux_free(struct ydoc *doc, void (*fn)(void *))
{
	doc->aux_free = fn;
}

void
ydoc_free(struct ydoc *doc)
{
	if (doc == NULL)
		return;
	for (struct slab *s = doc->slabs; s != NULL && doc->aux_free != NULL; s = s->next)
		for (size_t i = 0; i < s->n; i++)
			if (s->node[i].aux != NULL)
				doc->aux_free(s->node[i].aux);
	arena_fini(&doc->arena);
	free(doc);
}

struct ynode *
ydoc_root(const struct ydoc *doc)
{
	return doc->root;
}

struct ynode *
ynode_get(const struct ynode *map, const char *key)
{
	if (map == NULL || map->kind != YNODE_MAP || !(map->keyset & key_bit(key)))
		return NULL;
	for (size_t i = 0; i < map->n; i++) {
		const char *k = map->pairs[i].key->str;

		if (k[0] == key[0] && strcmp(k, key) == 0)
			return map->pairs[i].val;
	}
	return NULL;
}

void
ynode_pos_at(const struct ynode *n, size_t offset, int *line, int *col)
{
	bool exact = n->oneline && offset <= n->len && n->style != YSTYLE_BLOCK;

	if (n->style == YSTYLE_BLOCK && n->indent > 0 && offset <= n->len) {
		/* A literal block: its lines start on the line after the header. */
		*line = n->line + 1;
		*col = n->indent;
		for (size_t i = 0; i < offset; i++) {
			if (n->str[i] == '\n') {
				(*line)++;
				*col = n->indent;
			} else if (((unsigned char)n->str[i] & 0xc0) != 0x80) {
				(*col)++;
			}
		}
		return;
	}

	/* Escapes make the written text longer than the value. */
	for (size_t i = 0; exact && i < n->len; i++) {
		unsigned char c = (unsigned char)n->str[i];

		if (c < 0x20 || (n->style == YSTYLE_DOUBLE && (c == '"' || c == '\\')) ||
		    (n->style == YSTYLE_SINGLE && c == '\''))
			exact = false;
	}
	*line = n->line;
	*col = n->col;
	if (!exact)
		return;
	/* Columns count characters, not bytes. */
	for (size_t i = 0; i < offset; i++)
		if (((unsigned char)n->str[i] & 0xc0) != 0x80)
			(*col)++;
	if (n->style != YSTYLE_PLAIN)
		(*col)++;
}

struct ynode *
ynode_key(const struct ynode *map, const char *key)
{
	if (map == NULL || map->kind != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->pairs[i].key->str, key) == 0)
			return map->pairs[i].key;
	return NULL;
}

bool
ynode_is_str(const struct ynode *n)
{
	return n != NULL && n->kind == YNODE_SCALAR && n->type == YS_STR;
}

const char *
ynode_describe(const struct ynode *n)
{
	if (n == NULL)
		return "nothing";
	switch (n->kind) {
	case YNODE_SEQ:
		return "a list";
	case YNODE_MAP:
		return "a mapping";
	case YNODE_SCALAR:
		break;
	}
	switch (n->type) {
	case YS_NULL:
		return "null";
	case YS_BOOL:
		return n->b ? "true" : "false";
	case YS_INT:
		return "an integer";
	case YS_FLOAT:
		return "a number";
	case YS_STR:
		break;
	}
	return "a string";
}

cJSON *
ynode_to_json(const struct ynode *n)
{
	cJSON *j;

	switch (n->kind) {
	case YNODE_SEQ:
		j = cJSON_CreateArray();
		for (size_t i = 0; i < n->n; i++)
			cJSON_AddItemToArray(j, ynode_to_json(n->items[i]));
		return j;
	case YNODE_MAP:
		j = cJSON_CreateObject();
		for (size_t i = 0; i < n->n; i++)
			cJSON_AddItemToObject(j, n->pairs[i].key->str, ynode_to_json(n->pairs[i].val));
		return j;
	case YNODE_SCALAR:
		break;
	}
	switch (n->type) {
	case YS_NULL:
		return cJSON_CreateNull();
	case YS_BOOL:
		return cJSON_CreateBool(n->b);
	case YS_INT:
	case YS_FLOAT:
		return isfinite(n->f) ? cJSON_CreateNumber(n->f) : cJSON_CreateString(n->str);
	case YS_STR:
		break;
	}
	return cJSON_CreateString(n->str);
}
