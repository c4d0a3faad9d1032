/* chart.c - sparklines, gauges and timeline bars as text (chart.h). */
#include "config.h"

#include <math.h>

#include "chart.h"
#include "glyph.h"

/* Heights, lowest first. */
static const char *const spark_u[] = {
	"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588",
};
static const char *const spark_a[] = { "_", ".", "-", "=", "#" };

/* A cell filled from its left by 1..8 eighths. */
static const char *const eighths[] = {
	"\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589", "\u2588",
};

void
chart_spark(struct strbuf *sb, const double *v, size_t n, double lo, double hi)
{
	const char *const *level = glyph_unicode() ? spark_u : spark_a;
	int top = glyph_unicode() ? 7 : 4;

	for (size_t i = 0; i < n; i++) {
		int k;

		if (isnan(v[i])) {
			sb_addc(sb, ' ');
			continue;
		}
		if (hi > lo)
			k = (int)lround((v[i] - lo) / (hi - lo) * top);
		else
			k = top / 2;
		sb_adds(sb, level[k < 0 ? 0 : k > top ? top : k]);
	}
}

void
chart_gauge(struct strbuf *sb, double frac, double mark, int width)
{
	int fill = (int)lround((frac < 0 ? 0 : frac > 1 ? 1 : frac) * width);
	int at = mark < 0 ? -1 : (int)lround(mark * width);

	/* A mark at the very end stands on the last cell, still inside. */
	if (at >= width)
		at = width - 1;
	for (int c = 0; c < width; c++) {
		if (c == at)
			sb_adds(sb, glyph_vline());
		else if (c < fill)
			sb_adds(sb, glyph_unicode() ? "\u2588" : "#");
		else
			sb_adds(sb, glyph_unicode() ? "\u2591" : ".");
	}
}

void
chart_bar(struct strbuf *sb, double from, double to, int width)
{
	/* The start is taken to its cell: only an end can be a part of one. */
	from = floor(from < 0 ? 0 : from);
	if (from > width - 1)
		from = width - 1;
	if (to > width)
		to = width;
	if (glyph_unicode()) {
		if (to < from + 0.125)
			to = from + 0.125;
	} else {
		to = round(to) < from + 1 ? from + 1 : round(to);
	}
	for (int c = 0; c < width; c++) {
		double cover = (to < c + 1 ? to : c + 1) - (from > c ? from : c);
		int n8 = (int)lround(cover * 8);

		if (n8 <= 0)
			sb_addc(sb, ' ');
		else if (!glyph_unicode())
			sb_addc(sb, '#');
		else
			sb_adds(sb, eighths[n8 > 8 ? 7 : n8 - 1]);
	}
}
