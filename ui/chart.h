/* chart.h - small charts as a row of text cells: sparklines, gauges and
 * the bars of a timeline, drawn with block characters, or in ASCII when
 * the glyph set is (glyph.h: LANG=C, --ascii).
 *
 * Each appends exactly its width in cells to sb, blanks included, so a
 * row drawn over an older one leaves nothing of it; what it appends is
 * the console's own glyphs and may go to the screen as it is.
 */
#ifndef DROVER_CHART_H
#define DROVER_CHART_H

#include <stddef.h>

#include "strbuf.h"

/* One cell per value of v[0..n): its height between lo and hi (the
 * middle height when hi is not above lo), a blank for NAN. */
void chart_spark(struct strbuf *sb, const double *v, size_t n, double lo, double hi);
/* A gauge of width cells filled to frac of it (clamped to 0..1), with a
 * mark at the cell of mark (0..1), or no mark when mark is negative. */
void chart_gauge(struct strbuf *sb, double frac, double mark, int width);
/* A row of a timeline, width cells: a bar from cell from to cell to
 * (fractions of a cell count, in eighths where the glyphs allow), at
 * least a sliver long however short, blanks around it. */
void chart_bar(struct strbuf *sb, double from, double to, int width);

#endif
