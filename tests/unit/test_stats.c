/* test_stats.c - percentiles against hand-worked values, the critical
 * path of a diamond and, over thousands of random graphs, against every
 * path enumerated by brute force; what is left of a run; the margins of
 * SLOW and the rates of FLAKY; and a history loaded as the writer stored
 * it, with a run still going beside the ended ones. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ftw.h>
#include <unistd.h>

#include "ring.h"
#include "stats.h"
#include "store.h"
#include "xmalloc.h"

static void
test_percentiles(void **state)
{
	double v[] = { 50, 10, 40, 20, 30 };
	struct stats_dist d;

	stats_dist_of(&d, v, 5);
	assert_int_equal(d.n, 5);
	assert_true(d.min == 10 && d.max == 50);
	assert_true(d.p50 == 30);
	assert_true(fabs(d.p95 - 48) < 1e-9);		/* 40 + 0.8 * 10 */
	assert_true(fabs(d.p99 - 49.6) < 1e-9);
	stats_dist_of(&d, v, 1);
	assert_true(d.p50 == v[0] && d.p95 == v[0] && d.p99 == v[0]);
	stats_dist_of(&d, v, 0);
	assert_int_equal(d.n, 0);
}

/* a -> b, a -> c, b -> d, c -> d: d waits for the longer of b and c. */
static void
test_diamond(void **state)
{
	static const size_t none[1], da[] = { 0 }, dbc[] = { 1, 2 };
	const size_t *deps[] = { none, da, da, dbc };
	const size_t n_deps[] = { 0, 1, 1, 2 };
	struct stats_graph g = { 4, deps, n_deps };
	double dur[] = { 100, 300, 1600, 50 }, total;
	size_t path[4], len;

	stats_critical_path(&g, dur, path, &len, &total);
	assert_int_equal(len, 3);
	assert_int_equal(path[0], 0);
	assert_int_equal(path[1], 2);
	assert_int_equal(path[2], 3);
	assert_true(total == 1750);

	double left[] = { 0, 0, 400, 50 };	/* a, b done; c has 400 ms to go */
	assert_true(stats_remaining_ms(&g, left) == 450);
	double done[] = { 0, 0, 0, 0 };
	assert_true(stats_remaining_ms(&g, done) == 0);
}

/* The longest path ending at i, by trying every predecessor. */
static double
brute(size_t i, const size_t *const *deps, const size_t *n_deps, const double *dur)
{
	double best = 0;

	for (size_t k = 0; k < n_deps[i]; k++) {
		double b = brute(deps[i][k], deps, n_deps, dur);

		if (b > best)
			best = b;
	}
	return best + dur[i];
}

static void
test_random_graphs(void **state)
{
	enum { N = 12 };
	size_t dep_store[N][N], n_deps[N], path[N], len;
	const size_t *deps[N];
	double dur[N], total;

	srand(7);
	for (int round = 0; round < 5000; round++) {
		size_t n = 1 + (size_t)rand() % N;
		double want = 0;

		for (size_t i = 0; i < n; i++) {
			n_deps[i] = 0;
			for (size_t j = 0; j < i; j++)
				if (rand() % 3 == 0)
					dep_store[i][n_deps[i]++] = j;
			deps[i] = dep_store[i];
			dur[i] = (double)(rand() % 1000);
		}
		struct stats_graph g = { n, deps, n_deps };

		for (size_t i = 0; i < n; i++) {
			double b = brute(i, deps, n_deps, dur);

			if (b > want)
				want = b;
		}
		stats_critical_path(&g, dur, path, &len, &total);
		assert_true(total == want);
		/* The path is a chain of the graph whose durations add up. */
		double sum = dur[path[0]];
		for (size_t k = 1; k < len; k++) {
			bool linked = false;

			for (size_t j = 0; j < n_deps[path[k]]; j++)
				linked |= deps[path[k]][j] == path[k - 1];
			assert_true(linked);
			sum += dur[path[k]];
		}
		assert_true(sum == total);
		assert_true(stats_remaining_ms(&g, dur) == want);
	}
}

static void
test_slow_and_flaky(void **state)
{
	struct step_stats ss = { .executions = 10, .succeeded = 10 };

	ss.duration.n = STATS_MIN_SAMPLES;
	ss.duration.p95 = 1000;
	assert_false(stats_is_slow(&ss, 1090));		/* within 10% */
	assert_true(stats_is_slow(&ss, 1200));
	ss.duration.p95 = 10;
	assert_false(stats_is_slow(&ss, 40));		/* within 50 ms */
	assert_true(stats_is_slow(&ss, 70));
	ss.duration.n = STATS_MIN_SAMPLES - 1;
	assert_false(stats_is_slow(&ss, 1e9));		/* too little history */
	assert_false(stats_is_slow(NULL, 1e9));

	assert_false(stats_is_flaky(&ss));
	ss.retried = 1;
	assert_false(stats_is_flaky(&ss));		/* 10% is not above 10% */
	ss.retried = 2;
	assert_true(stats_is_flaky(&ss));
	ss.retried = 0;
	ss.executions = 20;
	ss.succeeded = 19;
	assert_false(stats_is_flaky(&ss));		/* 95% */
	ss.succeeded = 18;
	assert_true(stats_is_flaky(&ss));
}

#define HIST_STEPS 300

static int
rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

/* A run of workflow "w" of HIST_STEPS steps, recorded as drover run does;
 * when ended, step i ran for (i + 1) * scale ms and the run succeeded. */
static int64_t
hist_run(struct store *s, bool ended, int scale)
{
	struct store_step_info *si = xcalloc(HIST_STEPS, sizeof *si);
	struct store_run_info ri = { .workflow = "w", .file = "w.yaml", .text = "x",
	    .text_len = 1, .args_json = "{}", .user = "u", .host = "h", .pid = (int)getpid(),
	    .steps = si, .n_steps = HIST_STEPS };
	struct ring *ring = ring_new(1 << 20);
	struct ring_reader *gate = ring_reader_new(ring, true);
	struct store_writer *w;
	char uuid[37], ids[HIST_STEPS][8];
	int64_t run, t0 = event_now();
	struct err e;

	for (size_t i = 0; i < HIST_STEPS; i++) {
		snprintf(ids[i], sizeof ids[i], "s%03zu", i);
		si[i] = (struct store_step_info){ ids[i], "steps", "run" };
	}
	store_new_uuid(uuid);
	assert_int_equal(store_run_create(s, &ri, uuid, &run, &e), 0);
	w = store_writer_start(s, run, gate, NULL, NULL);
	for (size_t i = 0; ended && i < HIST_STEPS; i++) {
		struct event ev = { .type = EV_STEP, .status = ST_RUNNING, .step = (int32_t)i,
		    .attempt = 1, .exit_code = -1, .ts = t0 };

		assert_int_equal(ring_put(ring, &ev), 0);
		ev.status = ST_SUCCEEDED;
		ev.exit_code = 0;
		ev.ts = t0 + (int64_t)(i + 1) * scale * 1000;
		assert_int_equal(ring_put(ring, &ev), 0);
	}
	if (ended) {
		struct event end = { .type = EV_RUN_END, .status = RUN_SUCCEEDED, .step = -1,
		    .ts = t0 + HIST_STEPS * scale * 1000 };

		assert_int_equal(ring_put(ring, &end), 0);
	}
	ring_close(ring);
	assert_int_equal(store_writer_join(w, &e), 0);
	ring_reader_free(gate);
	ring_free(ring);
	free(si);
	return run;
}

/* Three ended runs and one going on: each of the many steps has its own
 * samples, and the run going on is no failure of its day. */
static void
test_load_history(void **state)
{
	char dir[] = "/tmp/test_stats.XXXXXX", path[64];
	struct wf_stats ws;
	struct store *s;
	struct err e;
	const struct step_stats *ss;
	int64_t second;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/history.db", dir);
	assert_non_null(s = store_open(path, false, &e));
	hist_run(s, true, 1);
	second = hist_run(s, true, 2);
	hist_run(s, true, 3);
	hist_run(s, false, 0);

	assert_int_equal(stats_load(s, "w", 0, event_now(), &ws, &e), 0);
	assert_int_equal(ws.runs, 3);
	assert_int_equal(ws.succeeded, 3);
	assert_int_equal(ws.n_steps, HIST_STEPS);
	for (size_t i = 0; i < HIST_STEPS; i++) {
		char id[8];

		snprintf(id, sizeof id, "s%03zu", i);
		assert_non_null(ss = stats_step(&ws, id));
		assert_int_equal(ss->executions, 3);
		assert_int_equal(ss->duration.n, 3);
		assert_true(ss->duration.p50 == (double)(i + 1) * 2);
	}
	assert_null(stats_step(&ws, "s999"));
	assert_int_equal(ws.per_day[STATS_DAYS - 1], 3);
	assert_int_equal(ws.ok_per_day[STATS_DAYS - 1], 3);
	stats_free(&ws);

	assert_int_equal(stats_load(s, "w", second, event_now(), &ws, &e), 0);
	assert_int_equal(ws.runs, 1);
	assert_true(stats_step(&ws, "s009")->duration.p50 == 10);
	stats_free(&ws);
	store_close(s);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_diamond),
		cmocka_unit_test(test_random_graphs),
		cmocka_unit_test(test_slow_and_flaky),
		cmocka_unit_test(test_load_history),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
