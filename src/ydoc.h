/* ydoc.h - a YAML document as a tree of nodes that remember where they
 * were written.
 *
 * libyaml's event stream is turned into ynodes (scalars, sequences,
 * mappings), each with its 1-based line and column.  Plain scalars are typed
 * by the YAML 1.2 core schema (null, bool, int, float, else string); quoted
 * and block scalars are strings.  Aliases share the anchored node; "<<" merge
 * keys are applied.  One document per stream: a second one is an error.
 * The document owns every node, string and array of its tree: they live in
 * its arena and go with ydoc_free.
 */
#ifndef DROVER_YDOC_H
#define DROVER_YDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"

enum ynode_kind { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };
enum yscalar { YS_NULL, YS_BOOL, YS_INT, YS_FLOAT, YS_STR };

/* 64 bytes: a big workflow has a hundred thousand of these. */
struct ynode {
	char *str;		/* scalars: the text, NUL-terminated */
	uint32_t len;		/* of str (ydoc_parse refuses longer scalars) */
	uint32_t n;		/* items of a sequence, pairs of a mapping */
	union {
		long long i;	/* YS_INT */
		uint64_t keyset; /* a mapping's: a bit per key's first bytes (ynode_get) */
	};
	double f;		/* YS_INT and YS_FLOAT */
	union {
		struct ynode **items;	/* a sequence's */
		struct ypair *pairs;	/* a mapping's */
	};
	void *aux;		/* for the document's owner; see ydoc_set_aux_free */
	int line, col;
	enum ynode_kind kind : 2;
	enum yscalar type : 3;	/* scalars only */
	enum yscalar_style { YSTYLE_PLAIN, YSTYLE_SINGLE, YSTYLE_DOUBLE, YSTYLE_BLOCK } style : 2;
	bool b : 1;		/* YS_BOOL */
	bool oneline : 1;	/* the scalar was written on one line */
	bool open : 1;		/* parser bookkeeping */
	unsigned weight : 22;	/* parser bookkeeping: nodes in this subtree, aliases in full */
	unsigned short indent;	/* a literal block (|): the column its lines start at, or 0 */
};

struct ypair {
	struct ynode *key, *val;
};

struct ydoc;

/* Called for problems that do not stop parsing (duplicate keys). */
typedef void ydoc_problem_fn(void *ud, int line, int col, const char *msg);

/* Parses buf.  Returns NULL with e set (position included) when the text is
 * not one well-formed YAML document.  An empty stream gives a document whose
 * root is NULL.  Free with ydoc_free. */
struct ydoc *ydoc_parse(const char *buf, size_t len, ydoc_problem_fn *problem, void *ud,
    struct err *e);
void ydoc_free(struct ydoc *doc);
struct ynode *ydoc_root(const struct ydoc *doc);
/* ydoc_free calls fn on every non-NULL aux pointer. */
void ydoc_set_aux_free(struct ydoc *doc, void (*fn)(void *));

/* The value of key in a mapping, or NULL. */
struct ynode *ynode_get(const struct ynode *map, const char *key);
/* The position of byte offset of the scalar's text, exact when the scalar
 * was written on one line without escapes, else the scalar's own start. */
void ynode_pos_at(const struct ynode *n, size_t offset, int *line, int *col);
/* The key node itself, for messages about the key. */
struct ynode *ynode_key(const struct ynode *map, const char *key);
bool ynode_is_str(const struct ynode *n);
/* "a string", "a number", "a list", "a mapping", "null", "true"... for
 * messages like "expected a list, found a string". */
const char *ynode_describe(const struct ynode *n);
/* The node as JSON: scalars by their type, sequences as arrays, mappings as
 * objects.  Caller frees with cJSON_Delete. */
cJSON *ynode_to_json(const struct ynode *n);

#endif
