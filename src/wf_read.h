/* wf_read.h - reading the fields of a workflow file (private to the
 * loader: wf_*.c and the step kinds' step_*.c).
 *
 * Every field is read with the typed readers below, which report a
 * problem at the node's position and return false; templates are compiled
 * on the way and each is recorded with the names it may use (a struct
 * wf_tref), to be checked by wf_check once the graph exists.
 */
#ifndef DROVER_WF_READ_H
#define DROVER_WF_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wf.h"

struct tmpl;

#define WF_MAX_NODES 2000000
#define WF_MAX_ID 128		/* step ids and arg names: they go into the environment */

/* Roots an expression may read in a given place. */
enum {
	ROOT_ARGS = 1 << 0, ROOT_PARAMS = 1 << 1, ROOT_STEPS = 1 << 2, ROOT_ENV = 1 << 3,
	ROOT_RUN = 1 << 4, ROOT_WORKFLOW = 1 << 5, ROOT_ITEM = 1 << 6, ROOT_ERROR = 1 << 7,
};
#define NO_STEP ((size_t)-1)

struct refctx {
	unsigned roots;
	size_t step;		/* the step whose field this is, or NO_STEP */
	size_t tool;		/* the tool whose body this is, or NO_STEP */
	bool self_ok;		/* steps.<own id> is allowed (outputs, until, rollback) */
	bool all_steps;		/* any main step may be read (top-level outputs) */
};

struct wf_tref {
	const char *file;
	struct ynode *node;
	const struct tmpl *t;	/* a template, or */
	const struct expr *e;	/* a bare expression */
	struct refctx ctx;
};

/* One load of a workflow. */
struct ld {
	struct workflow *wf;
	struct diags *d;
	const char *file;	/* the file the nodes being read come from */
	struct wf_tref *refs;
	size_t n_refs, cap_refs;
	size_t nodes_seen;	/* bounds work on alias-heavy documents */
	bool tools_beside, tools_path;	/* where tools were looked for (wf_tools.c) */
	const char **body_keys[3];	/* ld_body_keys, by place: step, alt, tool */
};

/* Parses text into a YAML document the workflow keeps alive (the document
 * holds copies of what it needs: text may go once this returns), and
 * points ld->file at the workflow's copy of the file name; NULL after
 * reporting. */
struct ydoc *wf_parse_doc(struct ld *ld, const char *file, const char *text, size_t len);

void ld_err(struct ld *ld, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A problem inside a scalar's text, at byte offset off of it. */
void ld_err_in(struct ld *ld, const struct ynode *n, size_t off, const char *msg);
/* Reports keys of map that are not in allowed (NULL-terminated), with a
 * "did you mean" hint; where names the map ("step 'build'"). */
void ld_check_keys(struct ld *ld, const struct ynode *map, const char *const *allowed,
    const char *where);

/* Typed readers: each returns false (after reporting) when n has the wrong
 * type or value.  field is the key, for messages.  ld_type reports when
 * ok is false, describing what the field wants ("a list of steps"). */
bool ld_type(struct ld *ld, const struct ynode *n, const char *field, bool ok,
    const char *want);
bool ld_map(struct ld *ld, const struct ynode *n, const char *field);
bool ld_seq(struct ld *ld, const struct ynode *n, const char *field);
bool ld_str(struct ld *ld, const struct ynode *n, const char *field, char **out);
/* Any scalar but null, as text (version: 1.4). */
bool ld_text(struct ld *ld, const struct ynode *n, const char *field, char **out);
bool ld_bool(struct ld *ld, const struct ynode *n, const char *field, bool *out);
bool ld_int(struct ld *ld, const struct ynode *n, const char *field, long long min,
    long long max, long long *out);
bool ld_num(struct ld *ld, const struct ynode *n, const char *field, double min, double max,
    double *out);
bool ld_dur(struct ld *ld, const struct ynode *n, const char *field, int64_t *out);
/* A duration that must not be 0 (a timeout of 0 would stop at once). */
bool ld_timeout(struct ld *ld, const struct ynode *n, const char *field, int64_t *out);
/* A list of strings: the array is the caller's to free, the strings are
 * the document's, which lives as long as the workflow. */
bool ld_str_list(struct ld *ld, const struct ynode *n, const char *field, const char ***out,
    size_t *count);
bool ld_int_list(struct ld *ld, const struct ynode *n, const char *field, long long min,
    long long max, int **out, size_t *count);
/* One of choices (NULL-terminated); *out is its index. */
bool ld_choice(struct ld *ld, const struct ynode *n, const char *field,
    const char *const *choices, int *out);
/* A step id or a tool name: a letter or _, then letters, digits, _ and -. */
bool ld_name_ok(const char *s);
/* A name that may go into the environment: letters, digits and _, not
 * starting with a digit, at most WF_MAX_ID. */
bool ld_env_name_ok(const char *s);

/* Compiles every template under n (strings holding "{{") and records them
 * for wf_check with ctx.  Returns false on a syntax error. */
bool ld_tmpl(struct ld *ld, struct ynode *n, const struct refctx *ctx);
/* A templated text (url, prompt, shell...): any scalar but null. */
bool ld_scalar_tmpl(struct ld *ld, struct ynode *n, const char *field,
    const struct refctx *ctx);
/* A templated mapping (env, headers, with...): checks it is a mapping with
 * scalar-or-any values, compiles it.  env_names: keys must be valid
 * environment variable names. */
bool ld_tmpl_map(struct ld *ld, struct ynode *n, const char *field, bool env_names,
    const struct refctx *ctx);
/* A bare expression field (condition, for_each, repeat.until); a lone
 * "{{ EXPR }}" means EXPR.  Returns NULL after reporting a problem. */
struct expr *ld_expr(struct ld *ld, struct ynode *n, const char *field,
    const struct refctx *ctx);

#endif
