/* step_kinds.h - what a step kind is: one descriptor per kind, each
 * exported by its own step_<kind>.c and gathered in step_kinds[]
 * (step_kinds.c).
 *
 * A descriptor says where its kind may be written, how a body of the kind
 * is read (into a spec of the kind's own, body.spec), checked against the
 * rest of the workflow, freed and described, and how it runs (struct
 * step_ops, exec.h) -- or that drover checks it but cannot run it yet.
 * Loading (wf_body.c), the engine and every description of a step go
 * through the table, so a new kind is a new file and one entry there.
 */
#ifndef DROVER_STEP_KINDS_H
#define DROVER_STEP_KINDS_H

#include <stddef.h>

struct body;
struct ld;
struct refctx;
struct step_ops;
struct tool;
struct ynode;

/* Where a body is written; a kind's places are those it may stand in. */
enum {
	BODY_STEP = 1 << 0,	/* a step */
	BODY_ALT = 1 << 1,	/* a step's fallback or rollback */
	BODY_TOOL = 1 << 2,	/* a tool */
	BODY_GATE = 1 << 3,	/* beside another kind in a step: its gate, decided first */
};

struct step_kind {
	const char *key;	/* the key that holds the body: "run", "http", ... */
	const char *article;	/* "a" or "an", for messages */
	int places;		/* BODY_* */
	const char *const *beside_keys;	/* keys of the body's mapping that go with it */

	/* Loading (wf_ld.h).  Reads n, the value of the kind's key, into b,
	 * whose kind is already this one; b->spec is the kind's own, made
	 * here with xmalloc (body_fini frees it). */
	void (*load)(struct ld *ld, struct ynode *n, struct body *b, const struct refctx *ctx);
	/* Reads beside_keys from map, the body's mapping, into spec; spec is
	 * NULL when the body is of another kind, and the keys are then
	 * refused.  Called for every body where the kind may stand. */
	void (*beside)(struct ld *ld, struct ynode *map, void *spec, const struct refctx *ctx);
	/* Once the whole workflow is read: resolves the names the body uses
	 * (a tool, a server, a file).  Optional. */
	void (*resolve)(struct ld *ld, struct body *b);
	/* Frees what b->spec holds.  Optional. */
	void (*fini)(struct body *b);

	/* In a few words, for graph and --dry-run ("http POST"); NULL: the
	 * key.  Caller frees. */
	char *(*what)(const struct body *b);
	/* What it does as written (a command, a target) on one line of at
	 * most size bytes, for the console's detail pane.  Optional. */
	void (*detail)(const struct body *b, char *buf, size_t size);
	/* What people must be told of the body as written beyond what it
	 * does (a request that does not verify TLS), in a few words; NULL
	 * when nothing.  Optional. */
	const char *(*notice)(const struct body *b);

	/* Running (exec.h).  A kind that calls a tool: the tool, whose body
	 * runs in b's place, and (when args is not NULL) the args it is
	 * given; NULL when it calls none.  Optional. */
	const struct tool *(*calls)(const struct body *b, const struct ynode **args);
	/* How it runs; NULL while drover checks it but cannot run it yet. */
	const struct step_ops *ops;
};

/* Every kind, in the order messages list them; NULL-terminated. */
extern const struct step_kind *const step_kinds[];

/* The body that runs for b: the body of the tool b calls, else b. */
const struct body *step_kinds_target(const struct body *b);

/* What kinds make of each other: an approval's notify is an http request
 * (step_http.c), and a tool step that names SERVER.TOOL becomes an mcp
 * call (step_mcp.c), which takes server and tool. */
void step_http_request(struct ld *ld, struct ynode *n, struct body *b,
    const struct refctx *ctx);
/* limits.budget's on_exceed: ask (step_approval.c): the gate step i waits
 * at when it does not fit the budget, asking message, with one input,
 * raise_by; STEP_WAITING, or -1 with e set.  The gate's body, for the
 * engine to know its wait. */
struct run;
struct err;
int step_approval_budget_ask(struct run *r, size_t i, const char *message, struct err *e);
const struct body *step_approval_budget_gate(void);
void step_mcp_call(struct body *b, char *server, char *tool, struct ynode *arguments);

#endif
