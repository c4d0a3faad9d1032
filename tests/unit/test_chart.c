/* test_chart.c - the dashboard's charts as text: heights of a sparkline
 * in both glyph sets, a gauge's fill and mark, a timeline bar's start,
 * eighths and sliver; every chart is exactly its width in cells. */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "chart.h"
#include "glyph.h"

static struct strbuf sb = STRBUF_INIT;

static const char *
spark(const double *v, size_t n, double lo, double hi)
{
	sb_reset(&sb);
	chart_spark(&sb, v, n, lo, hi);
	return sb_str(&sb);
}

static const char *
gauge(double frac, double mark, int width)
{
	sb_reset(&sb);
	chart_gauge(&sb, frac, mark, width);
	return sb_str(&sb);
}

static const char *
bar(double from, double to, int width)
{
	sb_reset(&sb);
	chart_bar(&sb, from, to, width);
	return sb_str(&sb);
}

static void
test_ascii(void **state)
{
	double v[] = { 0, 1, 2, 3, 4, NAN, 9 };

	glyph_init(true);
	assert_string_equal(spark(v, 7, 0, 4), "_.-=# #");
	assert_string_equal(spark(v, 2, 5, 5), "--");		/* no range: the middle */
	assert_string_equal(gauge(0.5, 0.8, 10), "#####...|.");
	assert_string_equal(gauge(2, 1, 4), "###|");		/* the mark stays inside */
	assert_string_equal(gauge(-1, -1, 3), "...");
	assert_string_equal(bar(2.6, 5.4, 8), "  ###   ");
	assert_string_equal(bar(3, 3, 6), "   #  ");		/* no time: one cell */
	assert_string_equal(bar(9, 12, 6), "     #");		/* at the end: still seen */
}

static void
test_unicode(void **state)
{
	double v[] = { 1, 8, NAN };

	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		skip();
	glyph_init(false);
	assert_string_equal(spark(v, 3, 1, 8), "\u2581\u2588 ");
	assert_string_equal(gauge(0.5, 0.75, 4), "\u2588\u2588\u2591\u2502");
	/* Two cells and a half: full, full, then a half from the left. */
	assert_string_equal(bar(1, 3.5, 5), " \u2588\u2588\u258c ");
	assert_string_equal(bar(0, 0, 2), "\u258f ");		/* a sliver */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_unicode),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	sb_fini(&sb);
	return rc;
}
