/* dag_layout.c - a Sugiyama layout of a DAG into terminal cells.
 *
 * The steps, one function each:
 *
 *   dag_assign_layers     longest path from the sources, depth first, so a
 *                         cycle is noticed and the edge closing it dropped
 *   dag_build_graph       an edge longer than one layer is split by a dummy
 *                         vertex in every layer it crosses: all segments
 *                         then join adjacent layers
 *   dag_reduce_crossings  barycentre sweeps, alternately down and up,
 *                         keeping the best order seen (crossings counted
 *                         per gutter with a Fenwick tree: O(E log V))
 *   dag_place_rows        each layer pulled toward its neighbours' rows,
 *                         solved exactly per layer as an isotonic
 *                         regression (pool adjacent violators)
 *   dag_assign_tracks     per gutter, a vertical track for each source
 *                         (the constrained left-edge channel router)
 *   dag_draw              columns get their x, lines go on the canvas
 *
 * Vertices 0..n-1 are the real nodes, n.. the dummies.  In the gutter
 * right of its column, each source u with targets v and w gets a vertical
 * track of its own:
 *
 *   u──────┐        the first gutter cell: u's line leaves horizontally
 *          ├──>v    the track: u's vertical, one of up to DAG_MAX_TRACKS
 *          └──>w    the last cell: DAG_ARROW before a real target
 *
 * The first and last gutter cells are never tracks, so every line leaves
 * a node and enters the next horizontally.  A dummy is a horizontal line
 * through its column.  Lines of different sources may cross (the cell
 * then has all four directions) but do not otherwise share cells, with
 * three exceptions.  Two sources whose only target is the same may meet
 * end to end on one track, one line coming down into it, the other up.
 * A gutter needing more than DAG_MAX_TRACKS tracks wraps around and
 * sources share them.  And when u sits on the row of a target
 * it does not feed alone, u's track must lie left of the tracks of that
 * target's other sources, or u's line runs into theirs; the router orders
 * tracks by these constraints, which can only fail when they form a cycle
 * (two sources each on the row of the other's target).
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dag_layout.h"
#include "xmalloc.h"

#define DAG_NONE ((size_t)-1)
#define DAG_SWEEPS 8		/* barycentre sweeps at most */
#define DAG_SORT_RUN 16		/* runs sorted by insertion before merging */
#define DAG_STALE_SWEEPS 3	/* give up after this many without a gain */
#define DAG_SWEEP_WORK 200000	/* segments x sweeps: a huge graph gets fewer */
#define DAG_PLACE_PASSES 3	/* down-and-up row placement passes */
#define DAG_DUMMY_WEIGHT 4.0	/* keeps long edges straight */
#define DAG_FREE_WEIGHT 0.25	/* a vertex with no neighbours to follow */
#define DAG_MAX_TRACKS 10	/* so a gutter is 3 to 12 cells wide */
#define DAG_DEFAULT_ROW_GAP 1
#define DAG_MAX_ROW_GAP 100
#define DAG_MAX_WIDTH 4096

/* The layered graph while it is being laid out. */
struct dag_graph {
	size_t n;		/* real nodes: vertices 0..n-1 */
	size_t nv;		/* all vertices, the dummies after the real ones */
	size_t nseg;		/* segments, each joining adjacent layers */
	int n_layers;
	int *layer;		/* per vertex */
	int *width;		/* per real node */
	size_t *out_at, *out;	/* v's right neighbours: out[out_at[v] .. out_at[v + 1]) */
	size_t *in_at, *in;	/* and its left ones */
	size_t *lay_at;		/* layer L is order[lay_at[L] .. lay_at[L + 1]) */
	size_t *order;		/* vertices by layer, each layer top to bottom */
	size_t *rank;		/* per vertex: its index in its layer */
	size_t max_lay;		/* vertices in the largest layer */
	int *y;			/* per vertex: its row */
	int *track;		/* per vertex with right neighbours: its gutter track */
};

struct dag_layout {
	size_t n;
	int n_layers;
	int width, height;
	struct dag_pos *pos;
	uint8_t *canvas;	/* width x height masks, row by row */
	int *col_x, *col_w;	/* per layer */
	size_t *real_at;	/* layer L's real nodes, top to bottom: */
	size_t *real;		/* real[real_at[L] .. real_at[L + 1]) */
	size_t *real_idx;	/* per node: its index in real */
};

/* A vertex's sort key in a barycentre sweep. */
struct dag_key {
	double key;
	size_t v;
};

/* Work arrays for counting crossings. */
struct dag_counter {
	size_t *off;		/* per left vertex: where its segments go in seq */
	size_t *seq;		/* a gutter's right ends, ordered by left end */
	uint32_t *fen;		/* Fenwick tree over the right layer */
};

/* A run of vertices placed as one in the row regression. */
struct dag_block {
	double w, wz;		/* total weight, weighted sum of the wanted z */
	size_t count;
};

/* A source in a gutter: the rows its vertical line spans. */
struct dag_net {
	int lo, hi;
	size_t v;
};

/* Work arrays for the router, sized for the largest gutter. */
struct dag_router {
	struct dag_net *nets;
	size_t *net_of;		/* per vertex: its index in nets */
	size_t *c_from, *c_to;	/* constraints: c_from's track left of c_to's */
	size_t *succ_at, *succ;
	size_t *npred;
	size_t *rem, *placed;
	int *tr;
};

/* Input is untrusted: widths, gaps and layers are kept in range. */
static int
dag_clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* floor(d + 0.5) without libm: monotonic, so an ordered layer stays so. */
static int
dag_round(double d)
{
	double e = d + 0.5;
	long t = (long)e;

	if ((double)t > e)
		t--;
	return (int)t;
}

/* Copies each node's valid, distinct dependencies to dep (when not NULL)
 * as CSR, dep_at having n + 1 entries; returns how many there are. */
static size_t
dag_collect_deps(const struct dag_node_in *nodes, size_t n, size_t *dep_at, size_t *dep)
{
	size_t *stamp = xmalloc(n * sizeof *stamp), m = 0;

	for (size_t i = 0; i < n; i++)
		stamp[i] = DAG_NONE;
	for (size_t i = 0; i < n; i++) {
		const struct dag_node_in *in = &nodes[i];

		dep_at[i] = m;
		if (in->deps == NULL)
			continue;
		for (size_t k = 0; k < in->n_deps; k++) {
			size_t d = in->deps[k];

			if (d >= n || d == i || stamp[d] == i)
				continue;
			stamp[d] = i;
			if (dep != NULL)
				dep[m] = d;
			m++;
		}
	}
	dep_at[n] = m;
	free(stamp);
	return m;
}

/* Gives every node its layer and returns its dependencies (see
 * dag_collect_deps), where an edge closing a cycle is set to DAG_NONE. */
static size_t *
dag_assign_layers(const struct dag_node_in *nodes, size_t n, size_t *dep_at, int *layer)
{
	size_t *dep, *stack, *next;
	uint8_t *state;
	int max_min = n > INT_MAX ? INT_MAX : (int)n;

	dep = xreallocarray(NULL, dag_collect_deps(nodes, n, dep_at, NULL), sizeof *dep);
	dag_collect_deps(nodes, n, dep_at, dep);
	state = xcalloc(n, 1);
	stack = xmalloc(n * sizeof *stack);
	next = xmalloc(n * sizeof *next);
	for (size_t r = 0; r < n; r++) {
		size_t sp = 0;

		if (state[r] != 0)
			continue;
		state[r] = 1;
		next[r] = dep_at[r];
		stack[sp++] = r;
		while (sp > 0) {
			size_t v = stack[sp - 1];
			int lay;

			if (next[v] < dep_at[v + 1]) {
				size_t d = dep[next[v]];

				if (state[d] == 0) {
					state[d] = 1;
					next[d] = dep_at[d];
					stack[sp++] = d;
				} else if (state[d] == 1)
					dep[next[v]] = DAG_NONE;
				next[v]++;
				continue;
			}
			lay = dag_clamp(nodes[v].min_layer, 0, max_min);
			for (size_t k = dep_at[v]; k < dep_at[v + 1]; k++)
				if (dep[k] != DAG_NONE && layer[dep[k]] >= lay)
					lay = layer[dep[k]] + 1;
			layer[v] = lay;
			state[v] = 2;
			sp--;
		}
	}
	free(next);
	free(stack);
	free(state);
	return dep;
}

/* Fills a CSR adjacency (at has nv + 1 entries) from the segment ends. */
static void
dag_fill_adjacency(size_t nv, size_t nseg, const size_t *from, const size_t *to, size_t *at, size_t *list)
{
	size_t *cur = xmalloc((nv + 1) * sizeof *cur);

	memset(at, 0, (nv + 1) * sizeof *at);
	for (size_t s = 0; s < nseg; s++)
		at[from[s] + 1]++;
	for (size_t v = 0; v < nv; v++)
		at[v + 1] += at[v];
	memcpy(cur, at, (nv + 1) * sizeof *cur);
	for (size_t s = 0; s < nseg; s++)
		list[cur[from[s]]++] = to[s];
	free(cur);
}

/* Splits the long edges with dummies and puts every vertex in its layer. */
static void
dag_build_graph(struct dag_graph *g, const struct dag_node_in *nodes, size_t n)
{
	size_t *dep_at, *dep, *seg_a, *seg_b, *cur, ndummy = 0, nseg = 0, s = 0, next;
	int *real_layer = xmalloc(n * sizeof *real_layer);
	int max_layer = 0;

	dep_at = xmalloc((n + 1) * sizeof *dep_at);
	dep = dag_assign_layers(nodes, n, dep_at, real_layer);
	for (size_t v = 0; v < n; v++) {
		for (size_t k = dep_at[v]; k < dep_at[v + 1]; k++) {
			size_t span;

			if (dep[k] == DAG_NONE)
				continue;
			span = (size_t)(real_layer[v] - real_layer[dep[k]]);
			nseg += span;
			ndummy += span - 1;
		}
		if (real_layer[v] > max_layer)
			max_layer = real_layer[v];
	}

	g->n = n;
	g->nv = n + ndummy;
	g->nseg = nseg;
	g->n_layers = n > 0 ? max_layer + 1 : 0;
	g->layer = xreallocarray(NULL, g->nv, sizeof *g->layer);
	memcpy(g->layer, real_layer, n * sizeof *real_layer);
	free(real_layer);
	g->width = xreallocarray(NULL, n, sizeof *g->width);
	for (size_t v = 0; v < n; v++)
		g->width[v] = dag_clamp(nodes[v].width, 1, DAG_MAX_WIDTH);

	seg_a = xreallocarray(NULL, nseg, sizeof *seg_a);
	seg_b = xreallocarray(NULL, nseg, sizeof *seg_b);
	next = n;
	for (size_t v = 0; v < n; v++) {
		for (size_t k = dep_at[v]; k < dep_at[v + 1]; k++) {
			size_t prev = dep[k];

			if (prev == DAG_NONE)
				continue;
			for (int lay = g->layer[prev] + 1; lay < g->layer[v]; lay++) {
				g->layer[next] = lay;
				seg_a[s] = prev;
				seg_b[s++] = next;
				prev = next++;
			}
			seg_a[s] = prev;
			seg_b[s++] = v;
		}
	}
	free(dep);
	free(dep_at);

	g->out_at = xreallocarray(NULL, g->nv + 1, sizeof *g->out_at);
	g->out = xreallocarray(NULL, nseg, sizeof *g->out);
	g->in_at = xreallocarray(NULL, g->nv + 1, sizeof *g->in_at);
	g->in = xreallocarray(NULL, nseg, sizeof *g->in);
	dag_fill_adjacency(g->nv, nseg, seg_a, seg_b, g->out_at, g->out);
	dag_fill_adjacency(g->nv, nseg, seg_b, seg_a, g->in_at, g->in);
	free(seg_b);
	free(seg_a);

	g->lay_at = xcalloc((size_t)g->n_layers + 1, sizeof *g->lay_at);
	g->order = xreallocarray(NULL, g->nv, sizeof *g->order);
	g->rank = xreallocarray(NULL, g->nv, sizeof *g->rank);
	for (size_t v = 0; v < g->nv; v++)
		g->lay_at[g->layer[v] + 1]++;
	for (int lay = 0; lay < g->n_layers; lay++) {
		size_t size = g->lay_at[lay + 1];

		if (size > g->max_lay)
			g->max_lay = size;
		g->lay_at[lay + 1] += g->lay_at[lay];
	}
	cur = xmalloc(((size_t)g->n_layers + 1) * sizeof *cur);
	memcpy(cur, g->lay_at, ((size_t)g->n_layers + 1) * sizeof *cur);
	for (size_t v = 0; v < g->nv; v++) {
		int lay = g->layer[v];

		g->rank[v] = cur[lay] - g->lay_at[lay];
		g->order[cur[lay]++] = v;
	}
	free(cur);
}

/* A stable sort by key (equal keys keep their order): insertion sort on
 * short runs, then merges back and forth through tmp.  Much faster than
 * qsort here, where it runs once per layer per sweep. */
static void
dag_sort_keys(struct dag_key *a, struct dag_key *tmp, size_t m)
{
	struct dag_key *src = a, *dst = tmp, *t;

	for (size_t lo = 0; lo < m; lo += DAG_SORT_RUN) {
		size_t hi = lo + DAG_SORT_RUN < m ? lo + DAG_SORT_RUN : m;

		for (size_t i = lo + 1; i < hi; i++) {
			struct dag_key k = a[i];
			size_t j = i;

			for (; j > lo && a[j - 1].key > k.key; j--)
				a[j] = a[j - 1];
			a[j] = k;
		}
	}
	for (size_t w = DAG_SORT_RUN; w < m; w *= 2) {
		for (size_t lo = 0; lo < m; lo += 2 * w) {
			size_t mid = lo + w < m ? lo + w : m, hi = lo + 2 * w < m ? lo + 2 * w : m;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				dst[k++] = src[j].key < src[i].key ? src[j++] : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, m * sizeof *a);
}

/* Reorders layer lay by the mean position of its neighbours in the layer
 * before it (down) or after it; positions are scaled to [0, 1) so layers
 * of different sizes compare, and a vertex without such neighbours keeps
 * its own. */
static void
dag_sort_layer(struct dag_graph *g, int lay, int down, struct dag_key *keys, struct dag_key *tmp)
{
	size_t s = g->lay_at[lay], m = g->lay_at[lay + 1] - s;
	int other = down ? lay - 1 : lay + 1;
	double om = (double)(g->lay_at[other + 1] - g->lay_at[other]);

	for (size_t i = 0; i < m; i++) {
		size_t v = g->order[s + i];
		const size_t *nb = down ? g->in + g->in_at[v] : g->out + g->out_at[v];
		size_t k = down ? g->in_at[v + 1] - g->in_at[v] : g->out_at[v + 1] - g->out_at[v];
		double sum = 0;

		for (size_t j = 0; j < k; j++)
			sum += (double)g->rank[nb[j]];
		keys[i].key = k > 0 ? (sum / (double)k + 0.5) / om : ((double)i + 0.5) / (double)m;
		keys[i].v = v;
	}
	dag_sort_keys(keys, tmp, m);
	for (size_t i = 0; i < m; i++) {
		g->order[s + i] = keys[i].v;
		g->rank[keys[i].v] = i;
	}
}

/* Crossings between layer lay and the next.  Taken in the order of their
 * left ends, ties by right end, a segment crosses each earlier one whose
 * right end is lower: a Fenwick tree over right ends counts those.  The
 * order comes without sorting: walking the right layer top to bottom and
 * dropping each segment into its left end's bucket. */
static uint64_t
dag_count_gutter(const struct dag_graph *g, int lay, struct dag_counter *c)
{
	size_t s = g->lay_at[lay], m = g->lay_at[lay + 1] - s;
	size_t t = g->lay_at[lay + 1], tm = g->lay_at[lay + 2] - t;
	uint64_t crossings = 0, seen = 0;
	size_t nseq;

	c->off[0] = 0;
	for (size_t i = 0; i < m; i++) {
		size_t v = g->order[s + i];

		c->off[i + 1] = c->off[i] + g->out_at[v + 1] - g->out_at[v];
	}
	nseq = c->off[m];
	for (size_t j = 0; j < tm; j++) {
		size_t b = g->order[t + j];

		for (size_t e = g->in_at[b]; e < g->in_at[b + 1]; e++)
			c->seq[c->off[g->rank[g->in[e]]]++] = j;
	}
	memset(c->fen, 0, (tm + 1) * sizeof *c->fen);
	for (size_t k = 0; k < nseq; k++) {
		uint64_t below = 0;

		for (size_t f = c->seq[k] + 1; f > 0; f -= f & -f)
			below += c->fen[f];
		crossings += seen - below;
		for (size_t f = c->seq[k] + 1; f <= tm; f += f & -f)
			c->fen[f]++;
		seen++;
	}
	return crossings;
}

/* The total the sweeps try to bring down. */
static uint64_t
dag_count_crossings(const struct dag_graph *g, struct dag_counter *c)
{
	uint64_t n = 0;

	for (int lay = 0; lay + 1 < g->n_layers; lay++)
		n += dag_count_gutter(g, lay, c);
	return n;
}

/* Barycentre sweeps, keeping the order with the fewest crossings. */
static void
dag_reduce_crossings(struct dag_graph *g)
{
	struct dag_key *keys = xreallocarray(NULL, 2 * g->max_lay, sizeof *keys);
	size_t *best_order = xreallocarray(NULL, g->nv, sizeof *best_order);
	struct dag_counter c;
	uint64_t best;
	int stale = 0, sweeps = DAG_SWEEPS;

	/* Each sweep costs a pass over every segment; past some thousands of
	 * steps the first sweeps win nearly all there is to win. */
	if (g->nseg > 0 && DAG_SWEEP_WORK / g->nseg < (size_t)sweeps)
		sweeps = DAG_SWEEP_WORK / g->nseg < 1 ? 1 : (int)(DAG_SWEEP_WORK / g->nseg);
	c.off = xreallocarray(NULL, g->max_lay + 1, sizeof *c.off);
	c.seq = xreallocarray(NULL, g->nseg, sizeof *c.seq);
	c.fen = xreallocarray(NULL, g->max_lay + 1, sizeof *c.fen);
	best = dag_count_crossings(g, &c);

	memcpy(best_order, g->order, g->nv * sizeof *best_order);
	for (int it = 0; it < sweeps && best > 0 && stale < DAG_STALE_SWEEPS; it++) {
		uint64_t n;

		if (it % 2 == 0)
			for (int lay = 1; lay < g->n_layers; lay++)
				dag_sort_layer(g, lay, 1, keys, keys + g->max_lay);
		else
			for (int lay = g->n_layers - 2; lay >= 0; lay--)
				dag_sort_layer(g, lay, 0, keys, keys + g->max_lay);
		n = dag_count_crossings(g, &c);
		if (n < best) {
			best = n;
			memcpy(best_order, g->order, g->nv * sizeof *best_order);
			stale = 0;
		} else
			stale++;
	}
	memcpy(g->order, best_order, g->nv * sizeof *best_order);
	for (int lay = 0; lay < g->n_layers; lay++)
		for (size_t i = g->lay_at[lay]; i < g->lay_at[lay + 1]; i++)
			g->rank[g->order[i]] = i - g->lay_at[lay];
	free(c.fen);
	free(c.seq);
	free(c.off);
	free(best_order);
	free(keys);
}

/* Adds v's neighbours on one side to the weighted sum of wanted rows. */
static void
dag_pull(const struct dag_graph *g, size_t v, const size_t *nb, size_t k, double *w, double *sum)
{
	for (size_t j = 0; j < k; j++) {
		double ew = v >= g->n || nb[j] >= g->n ? DAG_DUMMY_WEIGHT : 1.0;

		*w += ew;
		*sum += ew * g->y[nb[j]];
	}
}

/* Moves layer lay's vertices as near as they can get to the mean row of
 * their neighbours (side < 0: left, > 0: right, 0: both) while keeping
 * their order and pitch rows apart.  With z_i = y_i - i * pitch the rows
 * only have to be non-decreasing, so pooling adjacent violators gives the
 * least-squares answer in one pass. */
static void
dag_place_layer(struct dag_graph *g, int lay, int side, int pitch, struct dag_block *blk)
{
	size_t s = g->lay_at[lay], m = g->lay_at[lay + 1] - s, nb = 0, i = 0;

	for (size_t k = 0; k < m; k++) {
		size_t v = g->order[s + k];
		double w = 0, sum = 0, z;

		if (side <= 0)
			dag_pull(g, v, g->in + g->in_at[v], g->in_at[v + 1] - g->in_at[v], &w, &sum);
		if (side >= 0)
			dag_pull(g, v, g->out + g->out_at[v], g->out_at[v + 1] - g->out_at[v], &w, &sum);
		if (w == 0) {
			w = DAG_FREE_WEIGHT;
			sum = w * g->y[v];
		}
		z = sum / w - (double)k * pitch;
		blk[nb].w = w;
		blk[nb].wz = w * z;
		blk[nb++].count = 1;
		while (nb > 1 && blk[nb - 2].wz * blk[nb - 1].w >= blk[nb - 1].wz * blk[nb - 2].w) {
			blk[nb - 2].w += blk[nb - 1].w;
			blk[nb - 2].wz += blk[nb - 1].wz;
			blk[nb - 2].count += blk[nb - 1].count;
			nb--;
		}
	}
	for (size_t b = 0; b < nb; b++) {
		int z = dag_round(blk[b].wz / blk[b].w);

		for (size_t c = 0; c < blk[b].count; c++, i++)
			g->y[g->order[s + i]] = z + (int)i * pitch;
	}
}

/* Gives every vertex its row: stacked first, then pulled toward its
 * neighbours, layer by layer, a few times each way. */
static void
dag_place_rows(struct dag_graph *g, int pitch)
{
	struct dag_block *blk = xreallocarray(NULL, g->max_lay, sizeof *blk);
	int min_y = INT_MAX;

	g->y = xreallocarray(NULL, g->nv, sizeof *g->y);
	for (size_t v = 0; v < g->nv; v++)
		g->y[v] = (int)g->rank[v] * pitch;
	for (int p = 0; p < DAG_PLACE_PASSES; p++) {
		for (int lay = 1; lay < g->n_layers; lay++)
			dag_place_layer(g, lay, -1, pitch, blk);
		for (int lay = g->n_layers - 2; lay >= 0; lay--)
			dag_place_layer(g, lay, 1, pitch, blk);
	}
	for (int lay = 0; lay < g->n_layers; lay++)
		dag_place_layer(g, lay, 0, pitch, blk);
	for (size_t v = 0; v < g->nv; v++)
		if (g->y[v] < min_y)
			min_y = g->y[v];
	for (size_t v = 0; v < g->nv; v++)
		g->y[v] -= min_y;
	free(blk);
}

/* Sources by the top of their span: the order the left-edge router wants. */
static int
dag_net_cmp(const void *a, const void *b)
{
	const struct dag_net *na = a, *nb = b;

	if (na->lo != nb->lo)
		return na->lo < nb->lo ? -1 : 1;
	if (na->hi != nb->hi)
		return na->hi < nb->hi ? -1 : 1;
	return (na->v > nb->v) - (na->v < nb->v);
}

/* Allocates the router's work arrays once, for every gutter. */
static void
dag_router_init(struct dag_router *r, const struct dag_graph *g)
{
	r->nets = xreallocarray(NULL, g->max_lay, sizeof *r->nets);
	r->net_of = xreallocarray(NULL, g->nv, sizeof *r->net_of);
	r->c_from = xreallocarray(NULL, g->nseg, sizeof *r->c_from);
	r->c_to = xreallocarray(NULL, g->nseg, sizeof *r->c_to);
	r->succ_at = xreallocarray(NULL, g->max_lay + 1, sizeof *r->succ_at);
	r->succ = xreallocarray(NULL, g->nseg, sizeof *r->succ);
	r->npred = xreallocarray(NULL, g->max_lay, sizeof *r->npred);
	r->rem = xreallocarray(NULL, g->max_lay, sizeof *r->rem);
	r->placed = xreallocarray(NULL, g->max_lay, sizeof *r->placed);
	r->tr = xreallocarray(NULL, g->max_lay, sizeof *r->tr);
}

static void
dag_router_fini(struct dag_router *r)
{
	free(r->tr);
	free(r->placed);
	free(r->rem);
	free(r->npred);
	free(r->succ);
	free(r->succ_at);
	free(r->c_to);
	free(r->c_from);
	free(r->net_of);
	free(r->nets);
}

/* Finds the row constraints of gutter lay: a source on the row of a target
 * it does not feed alone needs a track left of the target's other sources.
 * Both layers are sorted by row, so one merge finds the shared rows. */
static size_t
dag_find_constraints(const struct dag_graph *g, int lay, struct dag_router *r)
{
	size_t i = g->lay_at[lay], ie = g->lay_at[lay + 1];
	size_t j = g->lay_at[lay + 1], je = g->lay_at[lay + 2], nc = 0;

	while (i < ie && j < je) {
		size_t a = g->order[i], b = g->order[j];

		if (g->y[a] < g->y[b])
			i++;
		else if (g->y[a] > g->y[b])
			j++;
		else {
			if (g->out_at[a + 1] > g->out_at[a]) {
				for (size_t e = g->in_at[b]; e < g->in_at[b + 1]; e++) {
					if (g->in[e] == a)
						continue;
					r->c_from[nc] = r->net_of[a];
					r->c_to[nc++] = r->net_of[g->in[e]];
				}
			}
			i++;
			j++;
		}
	}
	return nc;
}

/* Gives each source of gutter lay a vertical track (0 is the leftmost)
 * and returns how many tracks the gutter needs.  Track by track, the
 * sources are taken top to bottom and a track gets every source that fits
 * below the last one on it and whose constraints are met by earlier
 * tracks; when constraints form a cycle, the first source left breaks it.
 * Two sources may meet end to end when each has just one target, the
 * same one, between them: one line then comes down and the other up into
 * it, and there is nothing else on the track to mistake.
 * Whatever is left when the tracks run out wraps around. */
static int
dag_assign_tracks(struct dag_graph *g, int lay, struct dag_router *r)
{
	size_t s = g->lay_at[lay], m = g->lay_at[lay + 1] - s, nn = 0, nc, nrem;
	int track = 0;

	for (size_t i = 0; i < m; i++) {
		size_t v = g->order[s + i];
		int lo = g->y[v], hi = g->y[v];

		if (g->out_at[v + 1] == g->out_at[v])
			continue;
		for (size_t e = g->out_at[v]; e < g->out_at[v + 1]; e++) {
			int y = g->y[g->out[e]];

			lo = y < lo ? y : lo;
			hi = y > hi ? y : hi;
		}
		r->nets[nn].lo = lo;
		r->nets[nn].hi = hi;
		r->nets[nn++].v = v;
	}
	if (nn == 0)
		return 1;
	qsort(r->nets, nn, sizeof *r->nets, dag_net_cmp);
	for (size_t k = 0; k < nn; k++)
		r->net_of[r->nets[k].v] = k;

	nc = dag_find_constraints(g, lay, r);
	memset(r->succ_at, 0, (nn + 1) * sizeof *r->succ_at);
	memset(r->npred, 0, nn * sizeof *r->npred);
	for (size_t c = 0; c < nc; c++) {
		r->succ_at[r->c_from[c] + 1]++;
		r->npred[r->c_to[c]]++;
	}
	for (size_t k = 0; k < nn; k++) {
		r->succ_at[k + 1] += r->succ_at[k];
		r->placed[k] = r->succ_at[k];
		r->rem[k] = k;
	}
	for (size_t c = 0; c < nc; c++)
		r->succ[r->placed[r->c_from[c]]++] = r->c_to[c];

	nrem = nn;
	while (nrem > 0 && track < DAG_MAX_TRACKS) {
		size_t nplaced = 0, keep = 0;

		for (int force = 0; nplaced == 0; force = 1) {
			int last = INT_MIN, last_joins = 0;

			keep = 0;
			for (size_t q = 0; q < nrem; q++) {
				size_t k = r->rem[q], v = r->nets[k].v;
				int lo = r->nets[k].lo, single = g->out_at[v + 1] - g->out_at[v] == 1;

				if ((r->npred[k] == 0 || force) &&
				    (lo > last || (lo == last && last_joins && single && g->y[v] > lo))) {
					r->tr[k] = track;
					last = r->nets[k].hi;
					last_joins = single && g->y[v] < last;
					force = 0;
					r->placed[nplaced++] = k;
				} else
					r->rem[keep++] = k;
			}
		}
		nrem = keep;
		for (size_t q = 0; q < nplaced; q++) {
			size_t k = r->placed[q];

			for (size_t e = r->succ_at[k]; e < r->succ_at[k + 1]; e++)
				if (r->npred[r->succ[e]] > 0)
					r->npred[r->succ[e]]--;
		}
		track++;
	}
	for (size_t q = 0; q < nrem; q++)
		r->tr[r->rem[q]] = (int)(q % DAG_MAX_TRACKS);
	for (size_t k = 0; k < nn; k++)
		g->track[r->nets[k].v] = r->tr[k];
	return track;
}

/* A line from (x0, y) right to (x1, y); what is there already stays. */
static void
dag_hline(struct dag_layout *l, int y, int x0, int x1)
{
	uint8_t *row = l->canvas + (size_t)y * (size_t)l->width;

	if (x0 >= x1)
		return;
	row[x0] |= DAG_E;
	for (int x = x0 + 1; x < x1; x++)
		row[x] |= DAG_E | DAG_W;
	row[x1] |= DAG_W;
}

/* A line from (x, y0) down to (x, y1); what is there already stays. */
static void
dag_vline(struct dag_layout *l, int x, int y0, int y1)
{
	size_t w = (size_t)l->width;
	uint8_t *cell = l->canvas + (size_t)y0 * w + (size_t)x;

	if (y0 >= y1)
		return;
	*cell |= DAG_S;
	for (int y = y0 + 1; y < y1; y++) {
		cell += w;
		*cell |= DAG_N | DAG_S;
	}
	cell[w] |= DAG_N;
}

/* A source's stretch of its track. */
struct dag_span {
	int x, lo, hi;
};

static int
dag_span_cmp(const void *pa, const void *pb)
{
	const struct dag_span *a = pa, *b = pb;

	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* Draws the tracks' stretches, each cell once: sources that share a track
 * overlap (or meet) there, and a merged stretch draws exactly what its
 * parts would, so a huge graph costs its tracks' height, not its edges'. */
static void
dag_draw_spans(struct dag_layout *l, struct dag_span *sp, size_t n)
{
	qsort(sp, n, sizeof *sp, dag_span_cmp);
	for (size_t i = 0; i < n;) {
		struct dag_span cur = sp[i++];

		while (i < n && sp[i].x == cur.x && sp[i].lo <= cur.hi) {
			if (sp[i].hi > cur.hi)
				cur.hi = sp[i].hi;
			i++;
		}
		dag_vline(l, cur.x, cur.lo, cur.hi);
	}
}

/* Gives the columns their x, the nodes their positions, and draws every
 * source's lines: right from its label (a dummy: from its column's left
 * edge) to its track, along the track, and right again into each target. */
static void
dag_draw(struct dag_layout *l, struct dag_graph *g, const int *tracks)
{
	int x = 0, height = 0;
	struct dag_span *spans = xreallocarray(NULL, g->nv + 1, sizeof *spans);
	size_t n_spans = 0;

	l->col_x = xreallocarray(NULL, (size_t)g->n_layers, sizeof *l->col_x);
	l->col_w = xreallocarray(NULL, (size_t)g->n_layers, sizeof *l->col_w);
	for (int lay = 0; lay < g->n_layers; lay++)
		l->col_w[lay] = 1;
	for (size_t v = 0; v < g->n; v++)
		if (g->width[v] > l->col_w[g->layer[v]])
			l->col_w[g->layer[v]] = g->width[v];
	for (int lay = 0; lay < g->n_layers; lay++) {
		l->col_x[lay] = x;
		x += l->col_w[lay];
		if (lay + 1 < g->n_layers)
			x += tracks[lay] + 2;
	}
	for (size_t v = 0; v < g->nv; v++)
		if (g->y[v] + 1 > height)
			height = g->y[v] + 1;
	l->width = x;
	l->height = height;
	l->canvas = xcalloc((size_t)l->width * (size_t)l->height, 1);

	for (size_t v = 0; v < g->n; v++) {
		l->pos[v].layer = g->layer[v];
		l->pos[v].x = l->col_x[g->layer[v]];
		l->pos[v].y = g->y[v];
		l->pos[v].width = g->width[v];
	}

	for (size_t u = 0; u < g->nv; u++) {
		int lay = g->layer[u], y = g->y[u], lo = y, hi = y, start, tx, gend;

		if (g->out_at[u + 1] == g->out_at[u])
			continue;
		start = l->col_x[lay] + (u < g->n ? g->width[u] : 0);
		tx = l->col_x[lay] + l->col_w[lay] + 1 + g->track[u];
		gend = l->col_x[lay + 1] - 1;
		l->canvas[(size_t)y * (size_t)l->width + (size_t)start] |= DAG_W;
		dag_hline(l, y, start, tx);
		for (size_t e = g->out_at[u]; e < g->out_at[u + 1]; e++) {
			size_t v = g->out[e];
			int vy = g->y[v];

			lo = vy < lo ? vy : lo;
			hi = vy > hi ? vy : hi;
			dag_hline(l, vy, tx, gend);
			l->canvas[(size_t)vy * (size_t)l->width + (size_t)gend] |=
			    DAG_E | (v < g->n ? DAG_ARROW : 0);
		}
		spans[n_spans++] = (struct dag_span){ tx, lo, hi };
	}
	dag_draw_spans(l, spans, n_spans);
	free(spans);
}

/* Lists each layer's real nodes top to bottom, for next() and hit(). */
static void
dag_index_layers(struct dag_layout *l, const struct dag_graph *g)
{
	size_t k = 0;

	l->real_at = xcalloc((size_t)g->n_layers + 1, sizeof *l->real_at);
	l->real = xreallocarray(NULL, g->n, sizeof *l->real);
	l->real_idx = xreallocarray(NULL, g->n, sizeof *l->real_idx);
	for (int lay = 0; lay < g->n_layers; lay++) {
		l->real_at[lay] = k;
		for (size_t i = g->lay_at[lay]; i < g->lay_at[lay + 1]; i++) {
			size_t v = g->order[i];

			if (v >= g->n)
				continue;
			l->real_idx[v] = k;
			l->real[k++] = v;
		}
	}
	l->real_at[g->n_layers] = k;
}

/* The layered graph is scaffolding: only the layout outlives dag_layout_new. */
static void
dag_graph_free(struct dag_graph *g)
{
	free(g->track);
	free(g->y);
	free(g->rank);
	free(g->order);
	free(g->lay_at);
	free(g->in);
	free(g->in_at);
	free(g->out);
	free(g->out_at);
	free(g->width);
	free(g->layer);
}

struct dag_layout *
dag_layout_new(const struct dag_node_in *nodes, size_t n, const struct dag_opts *o)
{
	struct dag_layout *l = xcalloc(1, sizeof *l);
	struct dag_graph g;
	struct dag_router r;
	int *tracks, pitch;

	if (nodes == NULL || n == 0)
		return l;
	pitch = 1 + (o != NULL ? dag_clamp(o->row_gap, 0, DAG_MAX_ROW_GAP) : DAG_DEFAULT_ROW_GAP);
	memset(&g, 0, sizeof g);
	dag_build_graph(&g, nodes, n);
	dag_reduce_crossings(&g);
	dag_place_rows(&g, pitch);

	g.track = xcalloc(g.nv, sizeof *g.track);
	tracks = xcalloc((size_t)g.n_layers, sizeof *tracks);
	dag_router_init(&r, &g);
	for (int lay = 0; lay + 1 < g.n_layers; lay++)
		tracks[lay] = dag_assign_tracks(&g, lay, &r);
	dag_router_fini(&r);

	l->n = n;
	l->n_layers = g.n_layers;
	l->pos = xreallocarray(NULL, n, sizeof *l->pos);
	dag_draw(l, &g, tracks);
	dag_index_layers(l, &g);
	free(tracks);
	dag_graph_free(&g);
	return l;
}

void
dag_layout_free(struct dag_layout *l)
{
	if (l == NULL)
		return;
	free(l->real_idx);
	free(l->real);
	free(l->real_at);
	free(l->col_w);
	free(l->col_x);
	free(l->canvas);
	free(l->pos);
	free(l);
}

size_t
dag_layout_count(const struct dag_layout *l)
{
	return l != NULL ? l->n : 0;
}

const struct dag_pos *
dag_layout_pos(const struct dag_layout *l, size_t node)
{
	if (l == NULL || node >= l->n)
		return NULL;
	return &l->pos[node];
}

void
dag_layout_size(const struct dag_layout *l, int *width, int *height)
{
	if (width != NULL)
		*width = l != NULL ? l->width : 0;
	if (height != NULL)
		*height = l != NULL ? l->height : 0;
}

int
dag_layout_layers(const struct dag_layout *l)
{
	return l != NULL ? l->n_layers : 0;
}

unsigned
dag_layout_cell(const struct dag_layout *l, int x, int y)
{
	if (l == NULL || x < 0 || y < 0 || x >= l->width || y >= l->height)
		return 0;
	return l->canvas[(size_t)y * (size_t)l->width + (size_t)x];
}

/* The real node of layer lay whose row is nearest y, the upper one on a
 * tie; the layer must have one. */
static size_t
dag_nearest(const struct dag_layout *l, int lay, int y)
{
	size_t lo = l->real_at[lay], hi = l->real_at[lay + 1];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->pos[l->real[mid]].y < y)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == l->real_at[lay + 1])
		return l->real[lo - 1];
	if (lo > l->real_at[lay] && y - l->pos[l->real[lo - 1]].y <= l->pos[l->real[lo]].y - y)
		return l->real[lo - 1];
	return l->real[lo];
}

size_t
dag_layout_next(const struct dag_layout *l, size_t node, enum dag_dir dir)
{
	size_t i;
	int lay;

	if (l == NULL || node >= l->n)
		return node;
	i = l->real_idx[node];
	lay = l->pos[node].layer;
	switch (dir) {
	case DAG_UP:
		return i > l->real_at[lay] ? l->real[i - 1] : node;
	case DAG_DOWN:
		return i + 1 < l->real_at[lay + 1] ? l->real[i + 1] : node;
	case DAG_LEFT:
		for (int m = lay - 1; m >= 0; m--)
			if (l->real_at[m + 1] > l->real_at[m])
				return dag_nearest(l, m, l->pos[node].y);
		return node;
	case DAG_RIGHT:
		for (int m = lay + 1; m < l->n_layers; m++)
			if (l->real_at[m + 1] > l->real_at[m])
				return dag_nearest(l, m, l->pos[node].y);
		return node;
	}
	return node;
}

size_t
dag_layout_hit(const struct dag_layout *l, int x, int y)
{
	int lo = 0, hi;
	size_t a, b;

	if (l == NULL || x < 0 || y < 0 || x >= l->width || y >= l->height)
		return DAG_NONE;
	hi = l->n_layers;
	while (hi - lo > 1) {
		int mid = lo + (hi - lo) / 2;

		if (l->col_x[mid] <= x)
			lo = mid;
		else
			hi = mid;
	}
	a = l->real_at[lo];
	b = l->real_at[lo + 1];
	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (l->pos[l->real[mid]].y < y)
			a = mid + 1;
		else
			b = mid;
	}
	if (a < l->real_at[lo + 1]) {
		const struct dag_pos *p = &l->pos[l->real[a]];

		if (p->y == y && x < p->x + p->width)
			return l->real[a];
	}
	return DAG_NONE;
}
