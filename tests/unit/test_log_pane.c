/* test_log_pane.c - the console's log pane over a real history: a search
 * goes a slice at a time (a big log never blocks the console), reports
 * its progress, can be stopped, and finds matches forward and back. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "source.h"
#include "store.h"
#include "ui.h"

#define CHUNKS 300
#define CHUNK_LINES 1000
#define NEEDLE_1 123456		/* lines holding "needle", from 0 */
#define NEEDLE_2 123999		/* the same chunk */
#define NEEDLE_3 250001

struct fx {
	char dir[64], path[128];
	struct store *st;
	struct source *src;
	struct model m;
	struct log_pane lp;
};

static int
rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

/* A run whose one step wrote CHUNKS chunks of CHUNK_LINES lines. */
static void
make_log(struct fx *fx)
{
	static const struct store_step_info step = { "big", "steps", "run" };
	struct store_run_info ri = {
		.workflow = "big", .file = "big.yaml", .text = "x", .text_len = 1,
		.args_json = "{}", .user = "alice", .host = "h", .steps = &step, .n_steps = 1,
	};
	struct err e;
	sqlite3 *db;
	sqlite3_stmt *ins;
	char uuid[37], *text = malloc(CHUNK_LINES * 24);

	fx->st = store_open(fx->path, false, &e);
	assert_non_null(fx->st);
	store_new_uuid(uuid);
	assert_int_equal(store_run_create(fx->st, &ri, uuid, &fx->m.run, &e), 0);
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO logs (run_id, seq, ts, step_idx,"
	    " phase, attempt, stream, first_line, nlines, text)"
	    " VALUES (?1, ?2, 0, 0, 'main', 1, 'stdout', ?3, ?4, ?5)", -1, &ins, NULL), SQLITE_OK);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (int k = 0; k < CHUNKS; k++) {
		size_t len = 0;

		for (int i = 0; i < CHUNK_LINES; i++) {
			int line = k * CHUNK_LINES + i;
			bool needle = line == NEEDLE_1 || line == NEEDLE_2 || line == NEEDLE_3;

			len += (size_t)sprintf(text + len, "%s%s %d", i ? "\n" : "",
			    needle ? "a needle in" : "line", line);
		}
		sqlite3_bind_int64(ins, 1, fx->m.run);
		sqlite3_bind_int64(ins, 2, k + 1);
		sqlite3_bind_int64(ins, 3, (int64_t)k * CHUNK_LINES + 1);
		sqlite3_bind_int(ins, 4, CHUNK_LINES);
		sqlite3_bind_text(ins, 5, text, (int)len, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
		sqlite3_reset(ins);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_finalize(ins);
	sqlite3_close(db);
	free(text);
	fx->m.last_seq = CHUNKS;
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);

	strcpy(fx->dir, "/tmp/test_log_pane.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof fx->path, "%s/history.db", fx->dir);
	make_log(fx);
	fx->src = source_history(fx->st);
	assert_true(source_poll(fx->src, &fx->m, &(struct err){ 0 }));
	fx->lp.step = -1;
	log_pane_reset(&fx->lp, 0);
	log_pane_sync(&fx->lp, fx->st, fx->src, &fx->m);
	fx->lp.rows = 20;	/* as the last draw left it */
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	log_pane_fini(&fx->lp);
	source_free(fx->src);
	store_close(fx->st);
	nftw(fx->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* Runs a search to its end, a chunk per slice; returns the slices it took
 * and checks the progress only grows. */
static int
search_slices(struct fx *fx, enum log_search_rc want)
{
	enum log_search_rc rc;
	double last = -1;
	int slices = 0;

	do {
		rc = log_pane_search_work(&fx->lp, fx->st, &fx->m, 0);
		slices++;
		if (rc == SEARCH_GOING) {
			double p = log_pane_search_progress(&fx->lp);

			assert_true(p > last && p < 1);
			last = p;
			assert_true(fx->lp.searching);
		}
	} while (rc == SEARCH_GOING && slices <= CHUNKS + 1);
	assert_int_equal(rc, want);
	assert_false(fx->lp.searching);
	return slices;
}

static void
test_sync(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(fx->lp.total, CHUNKS * CHUNK_LINES);
	assert_int_equal(fx->lp.n, CHUNKS);
}

static void
test_forward(void **state)
{
	struct fx *fx = *state;

	snprintf(fx->lp.search, sizeof fx->lp.search, "needle");
	fx->lp.match = -1;
	fx->lp.follow = false;
	fx->lp.top = 0;
	log_pane_search(&fx->lp, false);
	assert_true(fx->lp.searching);
	assert_true(log_pane_search_progress(&fx->lp) == 0);
	/* One chunk a slice: the console reads its keys between them. */
	assert_int_equal(search_slices(fx, SEARCH_FOUND), NEEDLE_1 / CHUNK_LINES + 1);
	assert_int_equal(fx->lp.match, NEEDLE_1);
	assert_int_equal(fx->lp.top, NEEDLE_1 - 10);
	assert_false(fx->lp.follow);
	/* n: the next match, in the same chunk, then the one after. */
	log_pane_search(&fx->lp, false);
	assert_int_equal(search_slices(fx, SEARCH_FOUND), 1);
	assert_int_equal(fx->lp.match, NEEDLE_2);
	log_pane_search(&fx->lp, false);
	search_slices(fx, SEARCH_FOUND);
	assert_int_equal(fx->lp.match, NEEDLE_3);
	log_pane_search(&fx->lp, false);
	search_slices(fx, SEARCH_MISSED);
	assert_int_equal(fx->lp.match, NEEDLE_3);	/* stays on the last match */
	assert_true(log_pane_search_progress(&fx->lp) == 1);
}

static void
test_backward(void **state)
{
	struct fx *fx = *state;

	snprintf(fx->lp.search, sizeof fx->lp.search, "needle");
	fx->lp.match = -1;
	fx->lp.top = CHUNKS * CHUNK_LINES - 20;
	log_pane_search(&fx->lp, true);
	search_slices(fx, SEARCH_FOUND);
	assert_int_equal(fx->lp.match, NEEDLE_3);
	log_pane_search(&fx->lp, true);
	search_slices(fx, SEARCH_FOUND);
	assert_int_equal(fx->lp.match, NEEDLE_2);	/* the last one before, in its chunk */
	log_pane_search(&fx->lp, true);
	assert_int_equal(search_slices(fx, SEARCH_FOUND), 1);
	assert_int_equal(fx->lp.match, NEEDLE_1);
	log_pane_search(&fx->lp, true);
	search_slices(fx, SEARCH_MISSED);
}

static void
test_miss_and_stop(void **state)
{
	struct fx *fx = *state;

	snprintf(fx->lp.search, sizeof fx->lp.search, "absent");
	fx->lp.match = -1;
	fx->lp.top = 0;
	log_pane_search(&fx->lp, false);
	assert_int_equal(search_slices(fx, SEARCH_MISSED), CHUNKS);
	assert_int_equal(fx->lp.match, -1);

	/* Stopped half way: nothing more is looked at. */
	log_pane_search(&fx->lp, false);
	for (int i = 0; i < CHUNKS / 2; i++)
		assert_int_equal(log_pane_search_work(&fx->lp, fx->st, &fx->m, 0), SEARCH_GOING);
	assert_true(log_pane_search_progress(&fx->lp) > 0.45);
	assert_true(log_pane_search_progress(&fx->lp) < 0.55);
	log_pane_search_stop(&fx->lp);
	assert_false(fx->lp.searching);

	/* A whole miss in one call with a budget, fast: one pass per chunk. */
	log_pane_search(&fx->lp, false);
	assert_int_equal(log_pane_search_work(&fx->lp, fx->st, &fx->m, 60 * 1000000LL),
	    SEARCH_MISSED);

	/* An empty search starts nothing. */
	fx->lp.search[0] = '\0';
	log_pane_search(&fx->lp, false);
	assert_false(fx->lp.searching);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_miss_and_stop, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
