/* wf_body.c - step bodies: what a step, a fallback, a rollback or a tool
 * does.
 *
 * A body is one of the kinds of the table (step_kinds.h), told by its key
 * (`run`, `http`, ...); the kind reads its own value and the keys that go
 * with it, and the rest of a body (env, timeout) is read here.  An
 * approval may also accompany another kind in a step, as its gate.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "step_kinds.h"
#include "strbuf.h"
#include "wf_ld.h"
#include "xmalloc.h"
#include "ydoc.h"

struct keys {
	const char **v;		/* NULL-terminated */
	size_t n, cap;
};

static void
keys_add(struct keys *k, const char *key)
{
	xgrow(&k->v, &k->cap, k->n + 2, sizeof *k->v);
	k->v[k->n++] = key;
	k->v[k->n] = NULL;
}

static void
keys_add_all(struct keys *k, const char *const *keys)
{
	for (; keys != NULL && *keys != NULL; keys++)
		keys_add(k, *keys);
}

const char *const *
ld_body_keys(struct ld *ld, int use, const char *const *head, const char *const *tail)
{
	static const char *const common[] = { "env", "timeout", NULL };
	const char ***slot = &ld->body_keys[use == BODY_STEP ? 0 : use == BODY_ALT ? 1 : 2];
	struct keys k = { NULL, 0, 0 };

	if (*slot != NULL)
		return *slot;
	keys_add_all(&k, head);
	for (size_t i = 0; step_kinds[i] != NULL; i++)
		if (step_kinds[i]->places & use)
			keys_add(&k, step_kinds[i]->key);
	for (size_t i = 0; step_kinds[i] != NULL; i++)
		if (step_kinds[i]->places & use)
			keys_add_all(&k, step_kinds[i]->beside_keys);
	keys_add_all(&k, common);
	keys_add_all(&k, tail);
	*slot = k.v;
	return k.v;
}

/* "the step has nothing to do: give one of run, ..., wait or workflow" */
static void
ld_nothing_to_do(struct ld *ld, struct ynode *map, int use)
{
	struct strbuf kinds = STRBUF_INIT;
	const char *last = NULL;

	for (size_t i = 0; step_kinds[i] != NULL; i++) {
		if (!(step_kinds[i]->places & use))
			continue;
		if (last != NULL)
			sb_addf(&kinds, "%s%s", kinds.len > 0 ? ", " : "", last);
		last = step_kinds[i]->key;
	}
	ld_err(ld, map, "%s has nothing to do: give one of %s or %s",
	    use == BODY_TOOL ? "the tool" : use == BODY_ALT ? "the body" : "the step",
	    sb_str(&kinds), last);
	sb_fini(&kinds);
}

/* The approval accompanying another kind in a step: a body of its own. */
static struct body *
ld_gate(struct ld *ld, struct ynode *map, const struct step_kind *k, struct ynode *n,
    const struct refctx *ctx)
{
	struct body *gate = xcalloc(1, sizeof *gate);

	gate->kind = k;
	gate->node = map;
	k->load(ld, n, gate, ctx);
	return gate;
}

void
ld_body(struct ld *ld, struct ynode *map, int use, struct body *b, const struct refctx *ctx,
    struct body **gate)
{
	const struct step_kind *gate_kind = NULL;
	struct ynode *kind_node = NULL, *gate_node = NULL, *v;
	bool refused = false;	/* a kind this place does not take: an unknown key here */

	b->node = map;
	for (size_t i = 0; step_kinds[i] != NULL; i++) {
		const struct step_kind *k = step_kinds[i];
		struct ynode *n = ynode_get(map, k->key);

		if (n == NULL)
			continue;
		if (!(k->places & use)) {
			refused = true;
			continue;
		}
		if (k->places & BODY_GATE) {
			gate_kind = k;	/* read apart: it may accompany another kind */
			gate_node = n;
			continue;
		}
		if (kind_node != NULL) {
			ld_err(ld, n, "'%s' and '%s' cannot go together: a step does one thing",
			    b->kind->key, k->key);
			continue;
		}
		kind_node = n;
		b->kind = k;
	}
	if (gate_node != NULL && kind_node == NULL) {
		b->kind = gate_kind;
		kind_node = gate_node;
	} else if (gate_node != NULL && use == BODY_STEP) {
		*gate = ld_gate(ld, map, gate_kind, gate_node, ctx);
	} else if (gate_node != NULL) {
		ld_err(ld, gate_node, "'%s' and '%s' cannot go together in a tool", gate_kind->key,
		    b->kind->key);
	}
	if (kind_node == NULL && refused)
		return;
	if (kind_node == NULL) {
		ld_nothing_to_do(ld, map, use);
		return;
	}
	b->kind->load(ld, kind_node, b, ctx);
	for (size_t i = 0; step_kinds[i] != NULL; i++) {
		const struct step_kind *k = step_kinds[i];

		if (k->beside != NULL && (k->places & use))
			k->beside(ld, map, k == b->kind ? b->spec : NULL, ctx);
	}
	if ((v = ynode_get(map, "env")) != NULL && ld_tmpl_map(ld, v, "env", true, ctx))
		b->env = v;
	if ((v = ynode_get(map, "timeout")) != NULL)
		ld_timeout(ld, v, "timeout", &b->timeout_ms);
}

void
body_fini(struct body *b)
{
	if (b->kind != NULL && b->kind->fini != NULL)
		b->kind->fini(b);
	free(b->spec);
	memset(b, 0, sizeof *b);
}
