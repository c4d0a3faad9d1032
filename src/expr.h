/* expr.h - the expression language of workflow files (SPEC section 6).
 *
 * An expression is parsed once into a tree (struct expr) and evaluated any
 * number of times against a scope.  Values are cJSON.  Evaluation has no
 * side effects, no loops and a bounded cost.
 *
 * Names.  A name path starts at a root: args, params, steps, env, run,
 * workflow, item, index, error.  Compatibility forms are rewritten when
 * parsing, so the tree only ever holds canonical paths:
 *   .NAME                 -> args.NAME
 *   .results.ID.F...      -> steps.ID.outputs.F...
 *   .user                 -> run.user
 *   .execution_duration   -> run.duration
 *   .error_message        -> error.message
 *   .rollback_status      -> error.rollback_status
 *   ID.F... (ID not a root; ToolWeaver)  -> steps.ID.outputs.F...
 *   ID (bare, not a root)                -> steps.ID.outputs
 * Go-template calls: an expression that starts with eq, ne, lt, le, gt, ge,
 * and, or or not followed by operands ("eq .a \"b\"", "and (eq .a 1) .b")
 * means the corresponding operator.
 */
#ifndef DROVER_EXPR_H
#define DROVER_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "err.h"

struct expr;

/* Where evaluation finds the values of roots.  lookup returns a borrowed
 * value or NULL when the name does not exist.  member is the first path
 * component after the root when it is a plain name (steps.build -> "build"),
 * else NULL; a scope may use it to find one step without building the whole
 * "steps" object, in which case it returns that member's value and sets
 * *consumed to true.  Otherwise it returns the root's value and leaves
 * *consumed false. */
struct expr_scope {
	const cJSON *(*lookup)(void *ud, const char *root, const char *member, bool *consumed);
	void *ud;
};

/* A scope over a cJSON object whose members are the roots; ud is the
 * object. */
const cJSON *expr_scope_object_lookup(void *ud, const char *root, const char *member,
    bool *consumed);

/* Parses src (len bytes, need not be NUL-terminated).  On error returns NULL
 * and sets e: the message quotes the expression and says what is wrong at
 * which position, and e->col is the 1-based offset of the problem in src
 * (e->line is 0).  Free with expr_free. */
struct expr *expr_parse(const char *src, size_t len, struct err *e);
void expr_free(struct expr *ex);
/* The source text the expression was parsed from. */
const char *expr_source(const struct expr *ex);

/* True when the outermost operation is the "raw" filter ({{ x | raw }}),
 * which tells templates not to shell-quote the value. */
bool expr_is_raw(const struct expr *ex);

/* Calls fn for every name the expression reads, in source order, with the
 * canonical root ("args", "steps", ...), the first member when it is static
 * (steps.build.status -> "build"; steps[x] -> NULL) and the 0-based offset of
 * the name in the source.  Bare ToolWeaver names report root "steps". */
typedef void expr_ref_fn(void *ud, const char *root, const char *member, size_t offset);
void expr_walk_refs(const struct expr *ex, expr_ref_fn *fn, void *ud);

/* Evaluates.  Returns a new value the caller frees with cJSON_Delete, or
 * NULL with e set: the message quotes the expression and the position of
 * the failing part ("in 'args.n + 'x'': cannot add a number and a string at
 * position 8"). */
cJSON *expr_eval(const struct expr *ex, const struct expr_scope *scope, struct err *e);

/* Truth: false, null, 0, "", [] and {} are false; everything else is true. */
bool expr_truthy(const cJSON *v);
/* A value as template text: strings as they are, numbers in their shortest
 * exact form (3, 2.5, 1e+21), true/false, null as "", arrays and objects as
 * compact JSON.  Caller frees. */
char *expr_value_text(const cJSON *v);

#endif
