/* view_log.c - a step's log, paged from the history.
 *
 * The pane keeps only an index of the step's log chunks (their sequence
 * numbers and line counts, not their text) and reads the text of the few
 * chunks on screen, so a step with ten million lines opens as fast as one
 * with ten.  It reads the index again when its source had news: a run of
 * another process shows its lines as they are committed, and a replay
 * only those of the replayed moment.  stderr lines are marked and
 * coloured.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "glyph.h"
#include "source.h"
#include "store.h"
#include "ui.h"
#include "xmalloc.h"

#define NCACHE (sizeof ((struct log_pane *)0)->cache / sizeof ((struct log_pane *)0)->cache[0])

void
log_pane_reset(struct log_pane *lp, int step)
{
	log_pane_fini(lp);
	lp->step = step;
	lp->match = -1;
	lp->follow = true;
}

void
log_pane_fini(struct log_pane *lp)
{
	for (size_t i = 0; i < NCACHE; i++) {
		free(lp->cache[i].text);
		free(lp->cache[i].offs);
	}
	free(lp->chunks);
	memset(lp, 0, sizeof *lp);
	lp->step = -1;
}

struct chunk_sync {
	struct log_pane *lp;
	uint64_t until;
};

static int
log_add_chunk(void *ud, const struct event *ev)
{
	struct chunk_sync *cs = ud;
	struct log_pane *lp = cs->lp;

	if (ev->seq > cs->until)
		return 1;
	if (lp->n == lp->cap) {
		lp->cap = lp->cap ? lp->cap * 2 : 64;
		lp->chunks = xreallocarray(lp->chunks, lp->cap, sizeof *lp->chunks);
	}
	lp->chunks[lp->n++] = (struct log_chunk){ ev->seq, lp->total, ev->nlines, ev->stream };
	lp->total += ev->nlines;
	lp->loaded_seq = ev->seq;
	return 0;
}

void
log_pane_sync(struct log_pane *lp, struct store *st, const struct source *src,
    const struct model *m)
{
	struct chunk_sync cs = { lp, source_log_until(src, m) };
	unsigned changes = source_changes(src);
	struct err e;

	if (lp->step < 0 || changes == lp->synced)
		return;
	lp->synced = changes;
	store_log_chunks(st, m->run, lp->step, lp->loaded_seq, log_add_chunk, &cs, &e);
}

/* The chunk holding line n (binary search over the index). */
static size_t
log_find_chunk(const struct log_pane *lp, uint64_t n)
{
	size_t lo = 0, hi = lp->n;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (lp->chunks[mid].start <= n)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The text of chunk k, from a small cache of recently drawn chunks. */
static struct log_cached *
log_chunk_text(struct log_pane *lp, struct store *st, int64_t run, size_t k)
{
	struct log_cached *c, *victim = &lp->cache[0];
	struct err e;
	size_t len;

	for (size_t i = 0; i < NCACHE; i++) {
		c = &lp->cache[i];
		if (c->text != NULL && c->seq == lp->chunks[k].seq) {
			c->used = ++lp->tick;
			return c;
		}
		if (c->used < victim->used)
			victim = c;
	}
	c = victim;
	free(c->text);
	free(c->offs);
	memset(c, 0, sizeof *c);
	c->text = store_log_text(st, run, lp->chunks[k].seq, &len, &e);
	if (c->text == NULL)
		c->text = xasprintf("(cannot read this part of the log: %s)", e.msg);
	len = strlen(c->text);
	c->seq = lp->chunks[k].seq;
	c->n = lp->chunks[k].n;
	c->offs = xcalloc((size_t)c->n + 1, sizeof *c->offs);
	for (uint32_t i = 0, off = 0; i < c->n; i++) {
		const char *nl;

		c->offs[i] = off <= len ? off : len;
		nl = off <= len ? memchr(c->text + off, '\n', len - off) : NULL;
		off = nl != NULL ? (uint32_t)(nl - c->text) + 1 : (uint32_t)len + 1;
	}
	c->offs[c->n] = len + 1;
	c->used = ++lp->tick;
	return c;
}

/* Line n of the log: its text, length and stream. */
static const char *
log_line(struct log_pane *lp, struct store *st, int64_t run, uint64_t n, size_t *len,
    uint8_t *stream)
{
	size_t k = log_find_chunk(lp, n);
	struct log_cached *c = log_chunk_text(lp, st, run, k);
	uint64_t i = n - lp->chunks[k].start;
	size_t end;

	*stream = lp->chunks[k].stream;
	if (i >= c->n) {
		*len = 0;
		return "";
	}
	end = c->offs[i + 1] - 1;
	*len = end > c->offs[i] ? end - c->offs[i] : 0;
	return c->text + c->offs[i];
}

/* The top line that puts the last line on the last row. */
static uint64_t
log_bottom_top(const struct log_pane *lp)
{
	return lp->total > (uint64_t)lp->rows ? lp->total - (uint64_t)lp->rows : 0;
}

void
log_pane_scroll(struct log_pane *lp, int64_t delta)
{
	int64_t top = (int64_t)lp->top + delta, max = (int64_t)log_bottom_top(lp);

	if (top > max)
		top = max;
	if (top < 0)
		top = 0;
	lp->top = (uint64_t)top;
	/* Scrolling up stops following; reaching the last line again resumes. */
	lp->follow = top == max && (lp->follow || delta > 0);
}

void
log_pane_page(struct log_pane *lp, int dir)
{
	log_pane_scroll(lp, dir * (lp->rows > 2 ? lp->rows - 1 : 1));
}

void
log_pane_edge(struct log_pane *lp, bool bottom)
{
	lp->top = bottom ? log_bottom_top(lp) : 0;
	lp->follow = bottom;
}

void
log_pane_search(struct log_pane *lp, bool backward)
{
	int64_t at = lp->match >= 0 ? lp->match : (int64_t)lp->top - (backward ? 0 : 1);

	lp->searching = lp->search[0] != '\0';
	lp->search_back = backward;
	lp->search_next = at + (backward ? -1 : 1);
	lp->search_from = lp->search_next;
	/* Lines that come while it looks are not part of it: it ends. */
	lp->search_end = backward ? -1 : (int64_t)lp->total;
}

void
log_pane_search_stop(struct log_pane *lp)
{
	lp->searching = false;
}

double
log_pane_search_progress(const struct log_pane *lp)
{
	int64_t span = lp->search_back ? lp->search_from + 1 : lp->search_end - lp->search_from;
	int64_t done = lp->search_back ? lp->search_from - lp->search_next :
	    lp->search_next - lp->search_from;

	return span <= 0 ? 1 : (double)done / (double)span;
}

/* The line of chunk k in lines lo..hi (of the pane, both in the chunk)
 * where the search text is, the first one going forward or the last
 * going back; -1 when none.  One memmem pass over the chunk's text: a
 * match cannot cross a line, as the text holds no newline. */
static int64_t
log_search_chunk(struct log_pane *lp, struct store *st, int64_t run, size_t k, uint64_t lo,
    uint64_t hi)
{
	struct log_cached *c = log_chunk_text(lp, st, run, k);
	uint64_t first = lp->chunks[k].start;
	size_t tlen = strlen(lp->search), from, to, at, a = 0, b;
	const char *p, *end, *hit = NULL;

	if (hi - first >= c->n)
		return -1;	/* a chunk without lines (not one drover writes) */
	from = c->offs[lo - first];
	to = c->offs[hi - first + 1] - 1;
	p = c->text + from;
	end = c->text + (to > from ? to : from);
	while ((p = memmem(p, (size_t)(end - p), lp->search, tlen)) != NULL) {
		hit = p++;
		if (!lp->search_back)
			break;
	}
	if (hit == NULL)
		return -1;
	/* The line whose span holds the hit. */
	at = (size_t)(hit - c->text);
	b = c->n;
	while (b - a > 1) {
		size_t mid = a + (b - a) / 2;

		if (c->offs[mid] <= at)
			a = mid;
		else
			b = mid;
	}
	return (int64_t)(first + a);
}

enum log_search_rc
log_pane_search_work(struct log_pane *lp, struct store *st, const struct model *m,
    int64_t budget_us)
{
	int64_t deadline = event_now() + budget_us;

	for (bool first_chunk = true; lp->searching; first_chunk = false) {
		int64_t n = lp->search_next, line;
		uint64_t lo, hi, first, last;
		size_t k;

		if (lp->search_back ? n < 0 : n >= lp->search_end || (uint64_t)n >= lp->total) {
			lp->searching = false;
			return SEARCH_MISSED;
		}
		if (!first_chunk && event_now() >= deadline)
			return SEARCH_GOING;
		k = log_find_chunk(lp, (uint64_t)n);
		first = lp->chunks[k].start;
		last = first + (lp->chunks[k].n > 0 ? lp->chunks[k].n - 1 : 0);
		lo = lp->search_back ? first : (uint64_t)n;
		hi = lp->search_back ? (uint64_t)n : last < (uint64_t)lp->search_end - 1 ? last :
		    (uint64_t)lp->search_end - 1;
		if ((line = log_search_chunk(lp, st, m->run, k, lo, hi)) >= 0) {
			lp->searching = false;
			lp->match = line;
			lp->follow = false;
			lp->top = (uint64_t)line > (uint64_t)lp->rows / 2 ?
			    (uint64_t)line - (uint64_t)lp->rows / 2 : 0;
			return SEARCH_FOUND;
		}
		lp->search_next = lp->search_back ? (int64_t)lo - 1 : (int64_t)hi + 1;
	}
	return SEARCH_MISSED;
}

void
log_pane_draw(struct ui *ui, struct log_pane *lp, const struct model *m, bool focus,
    int y, int x, int h, int w)
{
	char head[320];

	if (h <= 0)
		return;
	/* The pane's size is known here, and only here: a pane that grew (L)
	 * must not leave empty rows under the last line. */
	lp->rows = h - 1;
	if (lp->follow || lp->top > log_bottom_top(lp))
		lp->top = log_bottom_top(lp);
	if (lp->searching)
		snprintf(head, sizeof head, " log: %llu lines, searching '%s' %d%% (Esc stops) ",
		    (unsigned long long)lp->total, lp->search,
		    (int)(log_pane_search_progress(lp) * 100));
	else
		snprintf(head, sizeof head, " log: %llu lines%s%s%s ",
		    (unsigned long long)lp->total, lp->follow ? ", following" : "",
		    lp->search[0] ? ", search: " : "", lp->search);
	ui_fill(y, x, w, theme_attr(ROLE_BORDER));
	attrset(theme_attr(ROLE_BORDER));
	move(y, x);
	for (int i = 0; i < w; i++)
		addstr(glyph_hline());
	attrset(theme_attr(focus ? ROLE_ACCENT : ROLE_DIM));
	move(y, x + 1);
	glyph_text(stdscr, head, strlen(head), w - 2);
	attrset(A_NORMAL);
	for (int r = 1; r < h; r++) {
		uint64_t n = lp->top + (uint64_t)r - 1;
		size_t len;
		uint8_t stream;
		const char *line;
		attr_t a;

		ui_fill(y + r, x, w, A_NORMAL);
		if (n >= lp->total) {
			if (n == 0 && r == 1) {
				attrset(theme_attr(ROLE_DIM));
				mvaddnstr(y + r, x + 1, m->steps[lp->step].started_us ? "(no output)" :
				    "(not started)", w - 1);
				attrset(A_NORMAL);
			}
			continue;
		}
		line = log_line(lp, ui->st, m->run, n, &len, &stream);
		a = (int64_t)n == lp->match ? theme_attr(ROLE_SELECTED) :
		    stream == STREAM_STDERR ? theme_attr(ROLE_FAILED) : A_NORMAL;
		attrset(theme_attr(ROLE_DIM));
		mvaddstr(y + r, x, stream == STREAM_STDERR ? "!" : " ");
		attrset(a);
		move(y + r, x + 1);
		glyph_text(stdscr, line, len, w - 1);
		attrset(A_NORMAL);
	}
}
