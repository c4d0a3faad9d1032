/* test_dag_layout.c - the DAG layout: layers, dummies, crossings, rows,
 * routed lines that really join each edge's ends, navigation and hits. */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "dag_layout.h"

#define MAX_DEPS 8
#define NO_NODE ((size_t)-1)

/* A graph under construction: each node has room for MAX_DEPS deps. */
struct graph {
	size_t n;
	struct dag_node_in *nodes;
	size_t *deps;
};

static void
graph_init(struct graph *g, size_t n, int width)
{
	g->n = n;
	g->nodes = calloc(n ? n : 1, sizeof *g->nodes);
	g->deps = calloc(n ? n * MAX_DEPS : 1, sizeof *g->deps);
	assert_non_null(g->nodes);
	assert_non_null(g->deps);
	for (size_t i = 0; i < n; i++) {
		g->nodes[i].deps = g->deps + i * MAX_DEPS;
		g->nodes[i].width = width;
	}
}

static void
graph_dep(struct graph *g, size_t node, size_t dep)
{
	assert_true(g->nodes[node].n_deps < MAX_DEPS);
	g->deps[node * MAX_DEPS + g->nodes[node].n_deps++] = dep;
}

static void
graph_fini(struct graph *g)
{
	free(g->deps);
	free(g->nodes);
}

static uint64_t rng_state;

static uint32_t
rng(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33);
}

/* per_layer nodes to a layer, each (past the first layer) depending on
 * about two random nodes of the three layers before it. */
static void
graph_random(struct graph *g, size_t n, size_t per_layer, uint64_t seed)
{
	rng_state = seed;
	graph_init(g, n, 1);
	for (size_t i = 0; i < n; i++) {
		size_t lay = i / per_layer, k = 1 + rng() % 3;

		g->nodes[i].width = 1 + (int)(rng() % 12);
		if (lay == 0)
			continue;
		for (size_t j = 0; j < k; j++) {
			size_t span = 1 + rng() % (lay < 3 ? lay : 3);

			graph_dep(g, i, (lay - span) * per_layer + rng() % per_layer);
		}
	}
}

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const struct dag_pos *
pos(const struct dag_layout *l, size_t node)
{
	const struct dag_pos *p = dag_layout_pos(l, node);

	assert_non_null(p);
	return p;
}

/* Every label is where its position says, inside the canvas, and hit()
 * finds it in each of its cells: so no two labels share a cell, and no
 * line is drawn over one. */
static void
check_labels(const struct dag_layout *l)
{
	int w, h;

	dag_layout_size(l, &w, &h);
	for (size_t i = 0; i < dag_layout_count(l); i++) {
		const struct dag_pos *p = pos(l, i);

		assert_true(p->x >= 0 && p->y >= 0 && p->width >= 1);
		assert_true(p->x + p->width <= w && p->y < h);
		assert_true(p->layer >= 0 && p->layer < dag_layout_layers(l));
		for (int x = p->x; x < p->x + p->width; x++) {
			assert_int_equal(dag_layout_hit(l, x, p->y), i);
			assert_int_equal(dag_layout_cell(l, x, p->y), 0);
		}
	}
}

/* Between two columns that hold real nodes lies a gutter of 3 to 12
 * cells (a column is as wide as its widest label). */
static void
check_gutters(const struct dag_layout *l)
{
	int layers = dag_layout_layers(l), *x = calloc((size_t)layers + 1, sizeof *x);
	int *w = calloc((size_t)layers + 1, sizeof *w);

	assert_non_null(x);
	assert_non_null(w);
	for (size_t i = 0; i < dag_layout_count(l); i++) {
		const struct dag_pos *p = pos(l, i);

		assert_true(w[p->layer] == 0 || x[p->layer] == p->x);
		x[p->layer] = p->x;
		if (p->width > w[p->layer])
			w[p->layer] = p->width;
	}
	for (int lay = 0; lay + 1 < layers; lay++) {
		if (w[lay] == 0 || w[lay + 1] == 0)
			continue;
		assert_in_range(x[lay + 1] - x[lay] - w[lay], 3, 12);
	}
	free(w);
	free(x);
}

/* The node whose label starts at (x, y), or NO_NODE. */
static size_t
label_starting(const struct dag_layout *l, int x, int y)
{
	size_t i = dag_layout_hit(l, x, y);

	return i != NO_NODE && pos(l, i)->x == x ? i : NO_NODE;
}

/* The node whose label ends just left of (x, y), or NO_NODE. */
static size_t
label_ending(const struct dag_layout *l, int x, int y)
{
	size_t i = dag_layout_hit(l, x - 1, y);

	return i != NO_NODE && pos(l, i)->x + pos(l, i)->width == x ? i : NO_NODE;
}

/* Every line continues in the next cell (or ends at a label), and arrows
 * sit right before a label. */
static void
check_canvas(const struct dag_layout *l)
{
	int w, h;

	dag_layout_size(l, &w, &h);
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			unsigned m = dag_layout_cell(l, x, y);

			if (m & DAG_E)
				assert_true((dag_layout_cell(l, x + 1, y) & DAG_W) ||
				    label_starting(l, x + 1, y) != NO_NODE);
			if (m & DAG_W)
				assert_true((dag_layout_cell(l, x - 1, y) & DAG_E) ||
				    label_ending(l, x, y) != NO_NODE);
			if (m & DAG_N)
				assert_true(dag_layout_cell(l, x, y - 1) & DAG_S);
			if (m & DAG_S)
				assert_true(dag_layout_cell(l, x, y + 1) & DAG_N);
			if (m & DAG_ARROW) {
				assert_true(m & DAG_E);
				assert_int_not_equal(label_starting(l, x + 1, y), NO_NODE);
			}
		}
	}
	assert_int_equal(dag_layout_cell(l, -1, 0), 0);
	assert_int_equal(dag_layout_cell(l, 0, -1), 0);
	assert_int_equal(dag_layout_cell(l, w, 0), 0);
	assert_int_equal(dag_layout_cell(l, 0, h), 0);
}

/* Searches the canvas for the edge's line. */
struct walk {
	int w, h;
	uint32_t gen;
	uint32_t *seen;		/* per cell and direction: gen when visited */
	int *queue;
};

enum { GO_E, GO_N, GO_S };

static void
walk_init(struct walk *wk, const struct dag_layout *l)
{
	dag_layout_size(l, &wk->w, &wk->h);
	wk->gen = 0;
	wk->seen = calloc((size_t)wk->w * (size_t)wk->h * 3 + 1, sizeof *wk->seen);
	wk->queue = malloc(((size_t)wk->w * (size_t)wk->h * 3 + 1) * 3 * sizeof *wk->queue);
	assert_non_null(wk->seen);
	assert_non_null(wk->queue);
}

static void
walk_fini(struct walk *wk)
{
	free(wk->queue);
	free(wk->seen);
}

static void
walk_push(struct walk *wk, size_t *tail, int x, int y, int d)
{
	uint32_t *s = &wk->seen[((size_t)y * (size_t)wk->w + (size_t)x) * 3 + (size_t)d];

	if (*s == wk->gen)
		return;
	*s = wk->gen;
	wk->queue[(*tail)++] = x;
	wk->queue[(*tail)++] = y;
	wk->queue[(*tail)++] = d;
}

/* Whether a line leads from the cell right of from's label to the cell
 * left of to's, marked with an arrow, following the masks and only ever
 * going right, up or down (never back left, never reversing). */
static int
edge_drawn(const struct dag_layout *l, struct walk *wk, size_t from, size_t to)
{
	const struct dag_pos *a = pos(l, from), *b = pos(l, to);
	int tx = b->x - 1, ty = b->y;
	size_t head = 0, tail = 0;

	if (!(dag_layout_cell(l, a->x + a->width, a->y) & DAG_W))
		return 0;
	wk->gen++;
	walk_push(wk, &tail, a->x + a->width, a->y, GO_E);
	while (head < tail) {
		int x = wk->queue[head], y = wk->queue[head + 1], d = wk->queue[head + 2];
		unsigned m = dag_layout_cell(l, x, y);

		head += 3;
		if (x == tx && y == ty && d == GO_E && (m & DAG_ARROW) && (m & DAG_E))
			return 1;
		if ((m & DAG_E) && x < tx && (dag_layout_cell(l, x + 1, y) & DAG_W))
			walk_push(wk, &tail, x + 1, y, GO_E);
		if (d != GO_S && (m & DAG_N) && (dag_layout_cell(l, x, y - 1) & DAG_S))
			walk_push(wk, &tail, x, y - 1, GO_N);
		if (d != GO_N && (m & DAG_S) && (dag_layout_cell(l, x, y + 1) & DAG_N))
			walk_push(wk, &tail, x, y + 1, GO_S);
	}
	return 0;
}

/* Every edge of g is drawn and goes to a later layer. */
static void
check_edges(const struct dag_layout *l, const struct graph *g)
{
	struct walk wk;

	walk_init(&wk, l);
	for (size_t i = 0; i < g->n; i++) {
		for (size_t k = 0; k < g->nodes[i].n_deps; k++) {
			size_t d = g->nodes[i].deps[k];

			assert_true(pos(l, d)->layer < pos(l, i)->layer);
			if (!edge_drawn(l, &wk, d, i))
				fail_msg("edge %zu -> %zu is not drawn", d, i);
		}
	}
	walk_fini(&wk);
}

/* Crossings between edges joining adjacent layers, from the rows. */
static int
count_crossings(const struct dag_layout *l, const struct graph *g)
{
	int c = 0;

	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < g->nodes[i].n_deps; k++)
			for (size_t j = i + 1; j < g->n; j++)
				for (size_t q = 0; q < g->nodes[j].n_deps; q++) {
					size_t a = g->nodes[i].deps[k], b = g->nodes[j].deps[q];

					if (pos(l, a)->layer != pos(l, b)->layer ||
					    pos(l, i)->layer != pos(l, j)->layer ||
					    pos(l, i)->layer != pos(l, a)->layer + 1)
						continue;
					if ((pos(l, a)->y - pos(l, b)->y) * (pos(l, i)->y - pos(l, j)->y) < 0)
						c++;
				}
	return c;
}

/* What dag_layout_next should answer, found the slow way. */
static size_t
next_expected(const struct dag_layout *l, size_t node, enum dag_dir dir)
{
	const struct dag_pos *p = pos(l, node);
	size_t best = node, n = dag_layout_count(l);
	int lay = p->layer, step = dir == DAG_LEFT ? -1 : 1;

	if (dir == DAG_UP || dir == DAG_DOWN) {
		for (size_t i = 0; i < n; i++) {
			const struct dag_pos *q = pos(l, i);

			if (q->layer != lay || (dir == DAG_UP ? q->y >= p->y : q->y <= p->y))
				continue;
			if (best == node || (dir == DAG_UP ? q->y > pos(l, best)->y : q->y < pos(l, best)->y))
				best = i;
		}
		return best;
	}
	for (lay += step; lay >= 0 && lay < dag_layout_layers(l); lay += step) {
		for (size_t i = 0; i < n; i++) {
			const struct dag_pos *q = pos(l, i);
			int dq = abs(q->y - p->y), db;

			if (q->layer != lay)
				continue;
			if (best == node) {
				best = i;
				continue;
			}
			db = abs(pos(l, best)->y - p->y);
			if (dq < db || (dq == db && q->y < pos(l, best)->y))
				best = i;
		}
		if (best != node)
			break;
	}
	return best;
}

static void
check_next(const struct dag_layout *l)
{
	static const enum dag_dir dirs[] = { DAG_UP, DAG_DOWN, DAG_LEFT, DAG_RIGHT };

	for (size_t i = 0; i < dag_layout_count(l); i++)
		for (size_t d = 0; d < 4; d++)
			assert_int_equal(dag_layout_next(l, i, dirs[d]), next_expected(l, i, dirs[d]));
}

/* The canvas and labels as text, one line per row. */
static char *
render(const struct dag_layout *l, const char *const *labels)
{
	static const char *const glyphs[16] = {
		" ", "╵", "╷", "│", "╶", "└", "┌", "├",
		"╴", "┘", "┐", "┤", "─", "┴", "┬", "┼",
	};
	int w, h;
	char *s, *p;

	dag_layout_size(l, &w, &h);
	s = p = malloc((size_t)(3 * w + 1) * (size_t)h + 1);
	assert_non_null(s);
	for (int y = 0; y < h; y++) {
		char *row = p;

		for (int x = 0; x < w; x++) {
			unsigned m = dag_layout_cell(l, x, y);

			size_t i = dag_layout_hit(l, x, y);
			const char *glyph = m & DAG_ARROW ? ">" : glyphs[m & 15];

			if (i != NO_NODE) {
				if (pos(l, i)->x == x)
					p += sprintf(p, "%.*s", pos(l, i)->width, labels[i]);
				continue;
			}
			p += sprintf(p, "%s", glyph);
		}
		while (p > row && p[-1] == ' ')
			p--;
		*p++ = '\n';
	}
	*p = '\0';
	return s;
}

static void
test_empty(void **state)
{
	struct dag_node_in none[1] = { { NULL, 0, 1, 0 } };
	struct dag_layout *l = dag_layout_new(none, 0, NULL);
	int w = -1, h = -1;

	(void)state;
	assert_non_null(l);
	assert_int_equal(dag_layout_count(l), 0);
	assert_int_equal(dag_layout_layers(l), 0);
	dag_layout_size(l, &w, &h);
	assert_int_equal(w, 0);
	assert_int_equal(h, 0);
	assert_null(dag_layout_pos(l, 0));
	assert_int_equal(dag_layout_cell(l, 0, 0), 0);
	assert_int_equal(dag_layout_hit(l, 0, 0), NO_NODE);
	assert_int_equal(dag_layout_next(l, 3, DAG_RIGHT), 3);
	dag_layout_free(l);
	l = dag_layout_new(NULL, 0, NULL);
	assert_int_equal(dag_layout_count(l), 0);
	dag_layout_free(l);
	dag_layout_free(NULL);
}

static void
test_chain(void **state)
{
	struct graph g;
	struct dag_layout *l;

	(void)state;
	graph_init(&g, 3, 4);
	graph_dep(&g, 1, 0);
	graph_dep(&g, 2, 1);
	l = dag_layout_new(g.nodes, g.n, NULL);
	assert_int_equal(dag_layout_layers(l), 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(pos(l, i)->layer, (int)i);
	assert_true(pos(l, 0)->x + 4 < pos(l, 1)->x);
	assert_true(pos(l, 1)->x + 4 < pos(l, 2)->x);
	assert_int_equal(pos(l, 0)->y, pos(l, 1)->y);	/* a chain is a straight line */
	assert_int_equal(pos(l, 1)->y, pos(l, 2)->y);
	check_labels(l);
	check_canvas(l);
	check_edges(l, &g);
	dag_layout_free(l);
	graph_fini(&g);
}

static void
test_diamond(void **state)
{
	struct graph g;
	struct dag_layout *l;
	int lo, hi;

	(void)state;
	graph_init(&g, 4, 3);
	graph_dep(&g, 1, 0);
	graph_dep(&g, 2, 0);
	graph_dep(&g, 3, 1);
	graph_dep(&g, 3, 2);
	l = dag_layout_new(g.nodes, g.n, NULL);
	assert_int_equal(dag_layout_layers(l), 3);
	assert_int_equal(pos(l, 0)->layer, 0);
	assert_int_equal(pos(l, 1)->layer, 1);
	assert_int_equal(pos(l, 2)->layer, 1);
	assert_int_equal(pos(l, 3)->layer, 2);
	assert_int_equal(pos(l, 1)->x, pos(l, 2)->x);
	assert_true(abs(pos(l, 1)->y - pos(l, 2)->y) >= 2);	/* the default row gap */
	lo = pos(l, 1)->y < pos(l, 2)->y ? pos(l, 1)->y : pos(l, 2)->y;
	hi = pos(l, 1)->y + pos(l, 2)->y - lo;
	assert_true(pos(l, 0)->y >= lo && pos(l, 0)->y <= hi);	/* pulled between them */
	assert_true(pos(l, 3)->y >= lo && pos(l, 3)->y <= hi);
	check_labels(l);
	check_canvas(l);
	check_edges(l, &g);
	dag_layout_free(l);
	graph_fini(&g);
}

/* The picture in dag_layout.h, for real. */
static void
test_picture(void **state)
{
	static const char *const labels[] = { "build", "test", "lint", "deploy" };
	static const size_t build[] = { 0 }, both[] = { 1, 2 };
	const struct dag_node_in nodes[] = {
		{ NULL, 0, 5, 0 },
		{ build, 1, 4, 0 },
		{ build, 1, 4, 0 },
		{ both, 2, 6, 0 },
	};
	struct dag_layout *l = dag_layout_new(nodes, 4, NULL);
	char *s = render(l, labels);

	(void)state;
	assert_string_equal(s,
	    "      ┌>test─┐\n"
	    "build─┤      ├>deploy\n"
	    "      └>lint─┘\n");
	free(s);
	dag_layout_free(l);
}

static void
test_min_layer(void **state)
{
	struct graph g;
	struct dag_layout *l;

	(void)state;
	graph_init(&g, 5, 2);
	g.nodes[0].min_layer = 3;	/* a source pushed right */
	graph_dep(&g, 1, 0);		/* follows it */
	graph_dep(&g, 2, 0);
	g.nodes[2].min_layer = 2;	/* too small to matter */
	g.nodes[3].min_layer = 2;
	graph_dep(&g, 4, 3);		/* layer 3, not 0 */
	l = dag_layout_new(g.nodes, g.n, NULL);
	assert_int_equal(pos(l, 0)->layer, 3);
	assert_int_equal(pos(l, 1)->layer, 4);
	assert_int_equal(pos(l, 2)->layer, 4);
	assert_int_equal(pos(l, 3)->layer, 2);
	assert_int_equal(pos(l, 4)->layer, 3);
	assert_int_equal(dag_layout_layers(l), 5);
	assert_true(pos(l, 3)->x > 0);	/* the empty layers take room */
	check_labels(l);
	check_canvas(l);
	check_edges(l, &g);
	dag_layout_free(l);
	graph_fini(&g);
}

static void
test_long_edge(void **state)
{
	struct graph g;
	struct dag_layout *l;
	const struct dag_pos *b;
	int runs = 0, h;

	(void)state;
	graph_init(&g, 3, 5);
	graph_dep(&g, 1, 0);
	graph_dep(&g, 2, 0);	/* a -> c skips b's layer */
	graph_dep(&g, 2, 1);
	l = dag_layout_new(g.nodes, g.n, NULL);
	b = pos(l, 1);
	assert_int_equal(b->layer, 1);
	assert_int_equal(pos(l, 2)->layer, 2);
	dag_layout_size(l, NULL, &h);
	for (int y = 0; y < h; y++) {
		int x = b->x;

		if (y == b->y)
			continue;
		while (x < b->x + b->width && dag_layout_cell(l, x, y) == (DAG_E | DAG_W))
			x++;
		if (x == b->x + b->width)
			runs++;
	}
	assert_int_equal(runs, 1);	/* the dummy: a line through b's column */
	check_labels(l);
	check_canvas(l);
	check_edges(l, &g);
	dag_layout_free(l);
	graph_fini(&g);
}

static void
test_random_edges(void **state)
{
	struct graph g;
	struct dag_layout *l;

	(void)state;
	for (uint64_t seed = 1; seed <= 4; seed++) {
		graph_random(&g, 300, 5 + 10 * seed, seed);
		l = dag_layout_new(g.nodes, g.n, NULL);
		check_labels(l);
		check_gutters(l);
		check_canvas(l);
		check_edges(l, &g);
		check_next(l);
		dag_layout_free(l);
		graph_fini(&g);
	}
}

static void
test_crossings(void **state)
{
	struct graph g;
	struct dag_layout *l;

	(void)state;
	/* An X: 0 -> 3 and 1 -> 2 cross in input order. */
	graph_init(&g, 4, 1);
	graph_dep(&g, 2, 1);
	graph_dep(&g, 3, 0);
	l = dag_layout_new(g.nodes, g.n, NULL);
	assert_int_equal(count_crossings(l, &g), 0);
	dag_layout_free(l);
	graph_fini(&g);

	/* A reversed permutation: 28 crossings in input order. */
	graph_init(&g, 16, 2);
	for (size_t i = 0; i < 8; i++)
		graph_dep(&g, 8 + i, 7 - i);
	l = dag_layout_new(g.nodes, g.n, NULL);
	assert_int_equal(count_crossings(l, &g), 0);
	check_edges(l, &g);
	dag_layout_free(l);
	graph_fini(&g);

	/* Two sources, three targets: c needs both, so it goes in the middle. */
	graph_init(&g, 5, 2);
	graph_dep(&g, 2, 0);
	graph_dep(&g, 2, 1);
	graph_dep(&g, 3, 1);
	graph_dep(&g, 4, 0);
	l = dag_layout_new(g.nodes, g.n, NULL);
	assert_int_equal(count_crossings(l, &g), 0);
	dag_layout_free(l);
	graph_fini(&g);

	/* Three layers, where fixing the middle needs the last layer too. */
	graph_init(&g, 9, 2);
	graph_dep(&g, 3, 2);
	graph_dep(&g, 4, 0);
	graph_dep(&g, 5, 1);
	graph_dep(&g, 6, 5);
	graph_dep(&g, 7, 3);
	graph_dep(&g, 8, 4);
	graph_dep(&g, 8, 5);
	l = dag_layout_new(g.nodes, g.n, NULL);
	assert_int_equal(count_crossings(l, &g), 0);
	check_edges(l, &g);
	dag_layout_free(l);
	graph_fini(&g);
}

static void
test_next(void **state)
{
	struct graph g;
	struct dag_layout *l;
	size_t top = 0;

	(void)state;
	/* a b c | d e (and a dummy of b -> g) | (dummy only) | f g */
	graph_init(&g, 7, 3);
	graph_dep(&g, 3, 0);
	graph_dep(&g, 4, 2);
	g.nodes[5].min_layer = 3;
	graph_dep(&g, 6, 3);
	graph_dep(&g, 6, 1);
	g.nodes[6].min_layer = 3;
	l = dag_layout_new(g.nodes, g.n, NULL);
	assert_int_equal(pos(l, 3)->layer, 1);
	assert_int_equal(pos(l, 5)->layer, 3);
	assert_int_equal(pos(l, 6)->layer, 3);
	assert_int_equal(dag_layout_layers(l), 4);

	for (size_t i = 0; i < 3; i++)
		if (pos(l, i)->y < pos(l, top)->y)
			top = i;
	assert_int_equal(dag_layout_next(l, top, DAG_UP), top);
	assert_int_equal(dag_layout_next(l, top, DAG_LEFT), top);
	assert_int_not_equal(dag_layout_next(l, top, DAG_DOWN), top);
	assert_true(dag_layout_next(l, top, DAG_DOWN) < 3);
	/* d and e are neighbours, whatever dummy lies between them */
	if (pos(l, 3)->y < pos(l, 4)->y) {
		assert_int_equal(dag_layout_next(l, 3, DAG_DOWN), 4);
		assert_int_equal(dag_layout_next(l, 4, DAG_UP), 3);
		assert_int_equal(dag_layout_next(l, 3, DAG_UP), 3);
		assert_int_equal(dag_layout_next(l, 4, DAG_DOWN), 4);
	} else {
		assert_int_equal(dag_layout_next(l, 4, DAG_DOWN), 3);
		assert_int_equal(dag_layout_next(l, 3, DAG_UP), 4);
	}
	/* layer 2 holds only a dummy: right of d is f or g */
	assert_true(dag_layout_next(l, 3, DAG_RIGHT) >= 5);
	assert_true(dag_layout_next(l, 5, DAG_LEFT) == 3 || dag_layout_next(l, 5, DAG_LEFT) == 4);
	assert_int_equal(dag_layout_next(l, 5, DAG_RIGHT), 5);
	assert_int_equal(dag_layout_next(l, 6, DAG_RIGHT), 6);
	assert_int_equal(dag_layout_next(l, 99, DAG_RIGHT), 99);
	check_next(l);
	check_edges(l, &g);
	dag_layout_free(l);
	graph_fini(&g);
}

static void
test_hit(void **state)
{
	struct graph g;
	struct dag_layout *l;
	int w, h, lines = 0;

	(void)state;
	graph_random(&g, 60, 6, 42);
	l = dag_layout_new(g.nodes, g.n, NULL);
	dag_layout_size(l, &w, &h);
	check_labels(l);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			if (dag_layout_cell(l, x, y) != 0) {
				assert_int_equal(dag_layout_hit(l, x, y), NO_NODE);
				lines++;
			}
	assert_true(lines > 0);
	assert_int_equal(dag_layout_hit(l, -1, 0), NO_NODE);
	assert_int_equal(dag_layout_hit(l, 0, -1), NO_NODE);
	assert_int_equal(dag_layout_hit(l, w, 0), NO_NODE);
	assert_int_equal(dag_layout_hit(l, 0, h), NO_NODE);
	assert_int_equal(dag_layout_hit(l, INT_MAX, INT_MAX), NO_NODE);
	/* the rest of a column, past a narrow label, is nobody's */
	for (size_t i = 0; i < g.n; i++) {
		const struct dag_pos *p = pos(l, i);

		assert_true(dag_layout_hit(l, p->x + p->width, p->y) != i);
	}
	dag_layout_free(l);
	graph_fini(&g);
}

static void
test_bad_input(void **state)
{
	static const size_t bad[] = { 8, 0, SIZE_MAX, 1000000 };
	static const size_t dup[] = { 0, 0, 0, SIZE_MAX };
	static const size_t to3[] = { 3 }, to2[] = { 2 }, to5[] = { 5 }, to6[] = { 6 }, to4[] = { 4 };
	const struct dag_node_in nodes[] = {
		{ bad, 4, 0, -3 },		/* out of range, itself */
		{ dup, 4, -5, 0 },
		{ to3, 1, 2, 0 },		/* 2 <-> 3 */
		{ to2, 1, 2, 0 },
		{ to5, 1, 2, 0 },		/* 4 -> 5 -> 6 -> 4 */
		{ to6, 1, 2, 0 },
		{ to4, 1, 2, 0 },
		{ NULL, 3, 2, INT_MAX },	/* no deps array at all */
	};
	struct dag_layout *l = dag_layout_new(nodes, 8, NULL);
	struct dag_opts o = { -4 };

	(void)state;
	assert_int_equal(dag_layout_count(l), 8);
	assert_int_equal(pos(l, 0)->layer, 0);
	assert_int_equal(pos(l, 0)->width, 1);
	assert_int_equal(pos(l, 1)->layer, 1);
	assert_int_equal(pos(l, 1)->width, 1);
	assert_int_not_equal(pos(l, 2)->layer, pos(l, 3)->layer);
	assert_int_not_equal(pos(l, 4)->layer, pos(l, 5)->layer);
	assert_int_not_equal(pos(l, 5)->layer, pos(l, 6)->layer);
	assert_int_not_equal(pos(l, 4)->layer, pos(l, 6)->layer);
	assert_int_equal(pos(l, 7)->layer, 8);	/* min_layer counts as n */
	check_labels(l);
	check_canvas(l);
	check_next(l);
	dag_layout_free(l);

	l = dag_layout_new(NULL, 5, &o);	/* no nodes: nothing to lay out */
	assert_int_equal(dag_layout_count(l), 0);
	dag_layout_free(l);
	l = dag_layout_new(nodes, 2, &o);	/* a negative gap counts as 0 */
	assert_int_equal(dag_layout_count(l), 2);
	dag_layout_free(l);
}

static void
test_row_gap(void **state)
{
	static const int gaps[] = { 0, 1, 3 };
	struct graph g;

	(void)state;
	graph_init(&g, 12, 3);
	for (size_t i = 6; i < 12; i++)
		graph_dep(&g, i, (i * 7) % 6);
	for (size_t k = 0; k < 3; k++) {
		struct dag_opts o = { gaps[k] };
		struct dag_layout *l = dag_layout_new(g.nodes, g.n, k == 1 ? NULL : &o);
		int h;

		for (size_t i = 0; i < g.n; i++)
			for (size_t j = 0; j < g.n; j++)
				if (i != j && pos(l, i)->layer == pos(l, j)->layer)
					assert_true(abs(pos(l, i)->y - pos(l, j)->y) >= 1 + gaps[k]);
		dag_layout_size(l, NULL, &h);
		assert_true(h >= 5 * (1 + gaps[k]) + 1);
		check_canvas(l);
		check_edges(l, &g);
		dag_layout_free(l);
	}
	graph_fini(&g);
}

/* Lays out n random nodes and says how long it took. */
static void
time_random(size_t n, size_t per_layer, int check)
{
	struct graph g;
	struct dag_layout *l;
	size_t edges = 0;
	double t0, best = 1e9;
	int w, h;

	graph_random(&g, n, per_layer, n + per_layer);
	for (size_t i = 0; i < n; i++)
		edges += g.nodes[i].n_deps;
	for (int run = 0; run < 3; run++) {
		t0 = mono_ms();
		l = dag_layout_new(g.nodes, g.n, NULL);
		if (mono_ms() - t0 < best)
			best = mono_ms() - t0;
		if (run < 2)
			dag_layout_free(l);
	}
	dag_layout_size(l, &w, &h);
	printf("# %zu nodes, %zu edges, %zu a layer: %.2f ms, %d layers, %dx%d canvas\n",
	    n, edges, per_layer, best, dag_layout_layers(l), w, h);
	assert_int_equal(dag_layout_count(l), n);
	check_labels(l);
	check_gutters(l);
	if (check) {
		check_canvas(l);
		check_edges(l, &g);
	}
	dag_layout_free(l);
	graph_fini(&g);
}

static void
test_big(void **state)
{
	(void)state;
	time_random(1000, 30, 1);
	time_random(10000, 100, 0);
	time_random(10000, 2000, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_diamond),
		cmocka_unit_test(test_picture),
		cmocka_unit_test(test_min_layer),
		cmocka_unit_test(test_long_edge),
		cmocka_unit_test(test_random_edges),
		cmocka_unit_test(test_crossings),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_hit),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_row_gap),
		cmocka_unit_test(test_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
