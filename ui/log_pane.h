/* log_pane.h - the log pane (view_log.c): a step's log out of the history,
 * scrolled, followed and searched a slice at a time.
 *
 * A part of the run view, not a view of its own.  Its state is public,
 * unlike a view's, because the unit test (test_log_pane.c, through ui.h)
 * looks inside it; the run view is its one owner.
 */
#ifndef DROVER_LOG_PANE_H
#define DROVER_LOG_PANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct model;
struct source;
struct store;
struct ui;

struct log_chunk {
	uint64_t seq, start;	/* its first line's number in the pane, from 0 */
	uint32_t n;
	uint8_t stream;
};

struct log_cached {
	uint64_t seq;
	char *text;
	size_t *offs;		/* start of each line; offs[n] = len + 1 */
	uint32_t n;
	unsigned used;
};

struct log_pane {
	int step;		/* -1: none */
	struct log_chunk *chunks;
	size_t n, cap;
	uint64_t total, top, loaded_seq;
	unsigned synced;	/* source_changes when the chunks were last read */
	int rows;		/* lines the pane shows (its last draw): what scrolls */
	bool follow;
	struct log_cached cache[4];
	unsigned tick;
	char search[128];
	int64_t match;		/* line of the last match, -1 none */
	/* a search under way, a slice per turn of the loop: the next line to
	 * look at, and the lines it covers (from, up to but not at end) */
	bool searching, search_back;
	int64_t search_next, search_from, search_end;
};

/* What a slice of a search came to. */
enum log_search_rc { SEARCH_GOING, SEARCH_FOUND, SEARCH_MISSED };

void log_pane_reset(struct log_pane *lp, int step);
void log_pane_fini(struct log_pane *lp);
/* Takes the chunks the history has for the step, up to what the run
 * view's source lets it show, when the source had news since. */
void log_pane_sync(struct log_pane *lp, struct store *st, const struct source *src,
    const struct model *m);
/* Draws h rows (a heading, then lines) and makes h - 1 the pane's rows;
 * following, the last line is on the last row.  focus: the keys go to
 * the pane (its heading says so). */
void log_pane_draw(struct ui *ui, struct log_pane *lp, const struct model *m, bool focus,
    int y, int x, int h, int w);
/* Scrolling, in the pane's rows as last drawn. */
void log_pane_scroll(struct log_pane *lp, int64_t delta);
void log_pane_page(struct log_pane *lp, int dir);
void log_pane_edge(struct log_pane *lp, bool bottom);
/* Starts looking for lp->search from the line after the last match (or
 * before it); log_pane_search_work does the looking, a slice at a time,
 * and a match scrolls the pane to it. */
void log_pane_search(struct log_pane *lp, bool backward);
/* Looks through chunks of the log for about budget_us (at least one
 * chunk), then returns; SEARCH_GOING while there is more to look at. */
enum log_search_rc log_pane_search_work(struct log_pane *lp, struct store *st,
    const struct model *m, int64_t budget_us);
void log_pane_search_stop(struct log_pane *lp);
/* How much of the search is done, 0..1. */
double log_pane_search_progress(const struct log_pane *lp);

#endif
