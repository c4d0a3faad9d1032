/* dag_layout.h - lays out a workflow's DAG for a text terminal.
 *
 * Sugiyama style, with layers as columns from left to right (layer 0 at
 * the left) and the nodes of a layer stacked in that column, one row each:
 *
 *         ┌>test─┐                layer 0: build
 *   build─┤      ├>deploy         layer 1: test, lint (both need build)
 *         └>lint─┘                layer 2: deploy (needs test and lint)
 *
 * A node sits on the layer after its deepest dependency (and at least at
 * its min_layer).  Edges join adjacent layers; a longer one runs straight
 * through the columns in between.  Lines are routed orthogonally in the
 * gutters between columns and returned as a canvas of cells, each holding
 * the directions in which a line leaves it; drawing the glyphs (and the
 * labels, which are not part of the canvas) is the caller's job.
 *
 * Pure computation: no curses, no I/O.  A layout is immutable once made.
 */
#ifndef DROVER_DAG_LAYOUT_H
#define DROVER_DAG_LAYOUT_H

#include <stddef.h>

/* A canvas cell's mask: the directions a line leaves the cell, so a
 * horizontal line is E|W and a corner turning from the left down is W|S.
 * DAG_ARROW marks the last cell before a node's left side: an arrowhead. */
enum { DAG_N = 1, DAG_S = 2, DAG_E = 4, DAG_W = 8, DAG_ARROW = 16 };
enum dag_dir { DAG_UP, DAG_DOWN, DAG_LEFT, DAG_RIGHT };

struct dag_node_in {
	const size_t *deps;	/* indices of the nodes this one depends on */
	size_t n_deps;
	int width;		/* cells of its label, >= 1 */
	int min_layer;		/* place it at this layer or later (0: anywhere) */
};

/* Options; a NULL opts means the defaults. */
struct dag_opts {
	int row_gap;		/* blank rows between the nodes of a column: 0..100 (default 1) */
};

/* Where a node went: its layer and the top-left cell of its label. */
struct dag_pos {
	int layer, x, y, width;
};

struct dag_layout;

/* Lays out n nodes; edges run from each dependency to its dependent.  The
 * input should be acyclic: a dependency index >= n, a node depending on
 * itself and the edges closing a cycle are ignored.  Widths are kept to
 * 1..4096 and min_layer to 0..n.  Caller frees with dag_layout_free (NULL
 * is a no-op). */
struct dag_layout *dag_layout_new(const struct dag_node_in *nodes, size_t n, const struct dag_opts *o);
void dag_layout_free(struct dag_layout *l);

/* The number of nodes laid out (the n given). */
size_t dag_layout_count(const struct dag_layout *l);
/* The position of node, or NULL if there is no such node. */
const struct dag_pos *dag_layout_pos(const struct dag_layout *l, size_t node);
/* The canvas: labels and lines fit in width x height cells. */
void dag_layout_size(const struct dag_layout *l, int *width, int *height);
/* The number of layers (columns), 0 for an empty layout. */
int dag_layout_layers(const struct dag_layout *l);

/* The line mask of cell (x, y); 0 outside the canvas or where nothing is
 * drawn. */
unsigned dag_layout_cell(const struct dag_layout *l, int x, int y);

/* The real node (never a dummy) next to `node` in direction dir, for
 * keyboard navigation: UP/DOWN the previous/next real node in the same
 * layer (stay put at the ends), LEFT/RIGHT the real node in the adjacent
 * non-empty layer whose row is nearest node's row (the upper one on a tie);
 * returns node itself when there is none. */
size_t dag_layout_next(const struct dag_layout *l, size_t node, enum dag_dir dir);

/* The real node whose label covers cell (x, y), or (size_t)-1 (for mouse
 * clicks). */
size_t dag_layout_hit(const struct dag_layout *l, int x, int y);

#endif
