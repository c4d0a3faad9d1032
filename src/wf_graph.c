/* wf_graph.c - the order of steps (SPEC 4.1): dependencies, parallel
 * groups, cycles and levels.
 *
 * Within a section (steps, on_failure, finally):
 *   - a step with depends_on (even []) waits for exactly those steps;
 *   - a step in a parallel_with group (the relation is symmetric and
 *     transitive) other than the group's first member in file order takes
 *     that first member's dependencies;
 *   - any other step waits for the step written before it and, when that
 *     step is in a parallel group, for that group's members written before
 *     it too: a group is one stage of the top-to-bottom order;
 *   - the first step waits for nothing.
 * Levels are longest paths from the steps that wait for nothing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "suggest.h"
#include "wf.h"
#include "xmalloc.h"
#include "ydoc.h"

struct graph {
	struct workflow *wf;
	struct diags *d;
	size_t *parent;		/* union-find over parallel_with */
};

static size_t
lookup(const struct graph *g, const char *id)
{
	const struct step *s = wf_find_step(g->wf, id);

	return s != NULL ? (size_t)(s - g->wf->steps) : (size_t)-1;
}

/* Reports an id that names no step, with a hint from the same section. */
static void
unknown_step(struct graph *g, const struct step *st, const struct ynode *at, const char *field,
    const char *id)
{
	struct suggest sg;
	const char *hint;
	size_t first, n = wf_section_steps(g->wf, st->section, &first);

	suggest_init(&sg, id);
	for (size_t i = first; i < first + n; i++)
		if (g->wf->steps[i].id != NULL)
			suggest_offer(&sg, g->wf->steps[i].id);
	hint = suggest_result(&sg);
	if (hint != NULL)
		diags_add(g->d, g->wf->file, at->line, at->col,
		    "'%s' of step '%s' names unknown step '%s'; did you mean '%s'?", field, st->id,
		    id, hint);
	else
		diags_add(g->d, g->wf->file, at->line, at->col,
		    "'%s' of step '%s' names unknown step '%s'", field, st->id, id);
}

/* The step an order field names, checked; -1 after reporting. */
static size_t
order_ref(struct graph *g, const struct step *st, const struct ynode *list, size_t i,
    const char *field, const char *id)
{
	const struct ynode *at = list->kind == YNODE_SEQ && i < list->n ? list->items[i] : list;
	size_t j = lookup(g, id);

	if (j == (size_t)-1) {
		unknown_step(g, st, at, field, id);
		return j;
	}
	if (j == st->index) {
		diags_add(g->d, g->wf->file, at->line, at->col, "step '%s' cannot %s itself",
		    st->id, strcmp(field, "depends_on") == 0 ? "depend on" : "run in parallel with");
		return (size_t)-1;
	}
	if (g->wf->steps[j].section != st->section) {
		diags_add(g->d, g->wf->file, at->line, at->col,
		    "'%s' of step '%s' names '%s', which is in '%s'; order only relates steps of the "
		    "same list ('%s')", field, st->id, id, wf_section_name(g->wf->steps[j].section),
		    wf_section_name(st->section));
		return (size_t)-1;
	}
	return j;
}

static size_t
find_root(size_t *parent, size_t i)
{
	while (parent[i] != i) {
		parent[i] = parent[parent[i]];
		i = parent[i];
	}
	return i;
}

/* Groups steps by parallel_with; each group's root is its first member. */
static void
build_groups(struct graph *g)
{
	struct workflow *wf = g->wf;

	for (size_t i = 0; i < wf->n_steps; i++)
		g->parent[i] = i;
	for (size_t i = 0; i < wf->n_steps; i++) {
		struct step *st = &wf->steps[i];

		for (size_t k = 0; k < st->n_parallel_with; k++) {
			size_t j = order_ref(g, st, st->parallel_node, k, "parallel_with",
			    st->parallel_with[k]);
			size_t a, b;

			if (j == (size_t)-1)
				continue;
			a = find_root(g->parent, i);
			b = find_root(g->parent, j);
			if (a < b)
				g->parent[b] = a;
			else
				g->parent[a] = b;
		}
	}
	for (size_t i = 0; i < wf->n_steps; i++)
		wf->steps[i].group = find_root(g->parent, i);
}

static void
add_dep(struct step *st, size_t j)
{
	for (size_t k = 0; k < st->n_deps; k++)
		if (st->deps[k] == j)
			return;
	st->deps = xappend_room(st->deps, st->n_deps, sizeof *st->deps);
	st->deps[st->n_deps++] = j;
}

static int
size_cmp(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;

	return (a > b) - (a < b);
}

static void
build_deps(struct graph *g)
{
	struct workflow *wf = g->wf;

	for (size_t i = 0; i < wf->n_steps; i++) {
		struct step *st = &wf->steps[i];
		size_t first;

		wf_section_steps(wf, st->section, &first);
		if (st->has_depends_on) {
			for (size_t k = 0; k < st->n_depends_on; k++) {
				size_t j = order_ref(g, st, st->depends_node, k, "depends_on",
				    st->depends_on[k]);

				for (size_t m = 0; m < k && j != (size_t)-1; m++) {
					if (strcmp(st->depends_on[m], st->depends_on[k]) == 0) {
						const struct ynode *at = st->depends_node->items[k];

						diags_add(g->d, wf->file, at->line, at->col,
						    "step '%s' lists '%s' twice in depends_on", st->id,
						    st->depends_on[k]);
						j = (size_t)-1;
					}
				}
				if (j != (size_t)-1)
					add_dep(st, j);
			}
		} else if (st->group != i) {
			const struct step *lead = &wf->steps[st->group];

			for (size_t k = 0; k < lead->n_deps; k++)
				add_dep(st, lead->deps[k]);
		} else if (i > first) {
			size_t prev = i - 1, grp = wf->steps[prev].group;

			add_dep(st, prev);
			for (size_t j = grp; j < i && grp != prev; j++)
				if (wf->steps[j].group == grp)
					add_dep(st, j);
		}
		if (st->n_deps > 1)
			qsort(st->deps, st->n_deps, sizeof *st->deps, size_cmp);
	}
}

/* Reports one cycle found through the stack, written in file order: it
 * starts at its first-written step and goes towards the neighbour written
 * earlier, whichever way the arrows run. */
static void
report_cycle(struct graph *g, const size_t *path, size_t len)
{
	struct workflow *wf = g->wf;
	size_t start = 0, dir;
	const struct step *first;
	const struct ynode *at;
	char *msg = xstrdup("");

	for (size_t k = 1; k < len; k++)
		if (path[k] < path[start])
			start = k;
	/* path[k+1] is a dependency of path[k]; either direction is a cycle. */
	dir = path[(start + 1) % len] < path[(start + len - 1) % len] ? 1 : len - 1;
	for (size_t k = 0; k <= len; k++) {
		const char *id = wf->steps[path[(start + k * dir) % len]].id;
		char *next = xasprintf("%s%s%s", msg, k ? " -> " : "", id != NULL ? id : "?");

		free(msg);
		msg = next;
	}
	first = &wf->steps[path[start]];
	at = first->has_depends_on ? first->depends_node : first->node;
	diags_add(g->d, wf->file, at->line, at->col, "dependency cycle: %s", msg);
	free(msg);
}

/* Depth-first search over dependencies, without recursion (graphs may be
 * deep); every cycle is reported once. */
static void
find_cycles(struct graph *g, unsigned char *state)
{
	struct workflow *wf = g->wf;
	size_t *stack = xcalloc(wf->n_steps + 1, sizeof *stack);
	size_t *next = xcalloc(wf->n_steps + 1, sizeof *next);

	for (size_t root = 0; root < wf->n_steps; root++) {
		size_t sp = 0;

		if (state[root] != 0)
			continue;
		stack[sp++] = root;
		state[root] = 1;
		next[root] = 0;
		while (sp > 0) {
			size_t v = stack[sp - 1];
			const struct step *st = &wf->steps[v];

			if (next[v] == st->n_deps) {
				state[v] = 2;
				sp--;
				continue;
			}
			size_t w = st->deps[next[v]++];

			if (state[w] == 0) {
				state[w] = 1;
				next[w] = 0;
				stack[sp++] = w;
			} else if (state[w] == 1) {
				size_t k = sp;

				while (k > 0 && stack[k - 1] != w)
					k--;
				report_cycle(g, stack + k - 1, sp - k + 1);
			}
		}
	}
	free(stack);
	free(next);
}

/* Longest-path levels by Kahn's algorithm; steps in or after a cycle keep
 * level -1.  Each step's users are a slice of one array: users[first[v]]
 * up to users[first[v + 1]]. */
static void
assign_levels(struct workflow *wf)
{
	size_t n = wf->n_steps, n_edges = 0, head = 0, tail = 0;
	size_t *indeg = xcalloc(n + 1, sizeof *indeg);
	size_t *queue = xcalloc(n + 1, sizeof *queue);
	size_t *first = xcalloc(n + 2, sizeof *first);
	size_t *users;

	for (size_t i = 0; i < n; i++) {
		n_edges += wf->steps[i].n_deps;
		for (size_t k = 0; k < wf->steps[i].n_deps; k++)
			first[wf->steps[i].deps[k] + 2]++;
	}
	for (size_t v = 2; v <= n + 1; v++)
		first[v] += first[v - 1];
	users = xcalloc(n_edges + 1, sizeof *users);
	for (size_t i = 0; i < n; i++) {
		struct step *st = &wf->steps[i];

		indeg[i] = st->n_deps;
		for (size_t k = 0; k < st->n_deps; k++)
			users[first[st->deps[k] + 1]++] = i;
		st->level = -1;
		if (indeg[i] == 0) {
			st->level = 0;
			queue[tail++] = i;
		}
	}
	while (head < tail) {
		size_t v = queue[head++];

		for (size_t k = first[v]; k < first[v + 1]; k++) {
			struct step *u = &wf->steps[users[k]];

			if (u->level < wf->steps[v].level + 1)
				u->level = wf->steps[v].level + 1;
			if (--indeg[u->index] == 0)
				queue[tail++] = u->index;
		}
	}
	wf->n_levels = 0;
	for (size_t i = 0; i < wf->n_main; i++)
		if (wf->steps[i].level + 1 > wf->n_levels)
			wf->n_levels = wf->steps[i].level + 1;
	for (size_t i = 0; i < n; i++)
		if (indeg[i] != 0)
			wf->steps[i].level = -1;
	free(indeg);
	free(queue);
	free(first);
	free(users);
}

void
wf_graph_build(struct workflow *wf, struct diags *d)
{
	struct graph g = { .wf = wf, .d = d };
	unsigned char *state;

	g.parent = xcalloc(wf->n_steps + 1, sizeof *g.parent);
	build_groups(&g);
	build_deps(&g);
	state = xcalloc(wf->n_steps + 1, 1);
	find_cycles(&g, state);
	assign_levels(wf);
	free(state);
	free(g.parent);
}

bool
wf_is_upstream(const struct workflow *wf, size_t up, size_t down)
{
	const struct step *u = &wf->steps[up];
	size_t *stack, sp = 0;
	unsigned char *seen;
	bool found = false;

	if (u->level < 0 || wf->steps[down].level < 0)
		return true;	/* a cycle was reported already */
	if (u->section != wf->steps[down].section || u->level >= wf->steps[down].level)
		return false;
	stack = xcalloc(wf->n_steps + 1, sizeof *stack);
	seen = xcalloc(wf->n_steps + 1, 1);
	stack[sp++] = down;
	while (sp > 0 && !found) {
		const struct step *st = &wf->steps[stack[--sp]];

		for (size_t k = 0; k < st->n_deps; k++) {
			size_t w = st->deps[k];

			if (w == up) {
				found = true;
				break;
			}
			if (!seen[w] && wf->steps[w].level > u->level) {
				seen[w] = 1;
				stack[sp++] = w;
			}
		}
	}
	free(stack);
	free(seen);
	return found;
}
