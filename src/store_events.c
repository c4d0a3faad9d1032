/* store_events.c - a run's event stream as the history holds it: log
 * chunks and the other events merged in seq order (what `drover logs` and
 * the console replay), a step's chunks without their text for a pager, one
 * chunk's text, and the number that tells a poller something changed.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_impl.h"
#include "strbuf.h"
#include "xmalloc.h"

static void
store_event_from_log(sqlite3_stmt *st, struct event *ev)
{
	const char *stream = store_col_text(st, 5);

	memset(ev, 0, sizeof *ev);
	ev->seq = (uint64_t)sqlite3_column_int64(st, 0);
	ev->ts = sqlite3_column_int64(st, 1);
	ev->type = EV_LOG;
	ev->step = sqlite3_column_int(st, 2);
	ev->phase = (uint8_t)store_phase_parse(store_col_text(st, 3));
	ev->attempt = sqlite3_column_int(st, 4);
	ev->stream = stream == NULL ? 0 : strcmp(stream, "stderr") == 0 ? STREAM_STDERR :
	    STREAM_STDOUT;
	ev->first_line = (uint64_t)sqlite3_column_int64(st, 6);
	ev->nlines = (uint32_t)sqlite3_column_int64(st, 7);
	ev->exit_code = -1;	/* as the engine makes them */
	ev->data = sqlite3_column_blob(st, 8);
	ev->len = (uint32_t)sqlite3_column_bytes(st, 8);
	if (ev->data == NULL)
		ev->data = "";
}

/* A chunk whose row points into the run's text file (store_text.c) gets
 * its text from there, into *buf; one of an older history has it in the
 * row already. */
static int
chunk_text(struct store *s, int64_t run, sqlite3_stmt *st, struct event *ev, char **buf,
    size_t *cap, struct err *e)
{
	size_t len = (size_t)sqlite3_column_int64(st, 10);

	if (store_col_null(st, 9))
		return 0;
	if (store_text_read(s->path, run, (uint64_t)sqlite3_column_int64(st, 9), len, buf, cap,
	    e) < 0)
		return -1;
	ev->data = *buf;
	ev->len = (uint32_t)len;
	return 0;
}

static void
store_event_from_row(sqlite3_stmt *st, struct event *ev)
{
	const char *status = store_col_text(st, 6);
	int v;

	memset(ev, 0, sizeof *ev);
	ev->seq = (uint64_t)sqlite3_column_int64(st, 0);
	ev->ts = sqlite3_column_int64(st, 1);
	ev->type = (uint8_t)store_type_parse(store_col_text(st, 2));
	ev->step = store_col_null(st, 3) ? -1 : sqlite3_column_int(st, 3);
	ev->phase = (uint8_t)store_phase_parse(store_col_text(st, 4));
	ev->attempt = sqlite3_column_int(st, 5);
	if (status != NULL) {
		v = ev->type == EV_STEP ? step_status_parse(status) : run_status_parse(status);
		ev->status = (uint8_t)(v < 0 ? 0 : v);
	}
	ev->exit_code = store_col_null(st, 7) ? -1 : sqlite3_column_int(st, 7);
	ev->data = sqlite3_column_blob(st, 8);
	ev->len = (uint32_t)sqlite3_column_bytes(st, 8);
	if (ev->data == NULL)
		ev->data = "";
}

int
store_read_events(struct store *s, int64_t run, uint64_t after, enum store_part what, int step,
    int stream, store_event_fn *fn, void *ud, struct err *e)
{
	struct strbuf sql = STRBUF_INIT;
	sqlite3_stmt *logs = NULL, *evs = NULL;
	struct event ev;
	int rc, lrc, erc = SQLITE_DONE, stop = 0;
	char *text = NULL;	/* a chunk's text from the run's file */
	size_t cap = 0;
	const char *sname = store_stream_name((unsigned)stream);

	if (s->db == NULL)
		return store_no_run(s, run, e);
	if ((rc = store_run_exists(s, run)) <= 0)
		return rc == 0 ? store_no_run(s, run, e) : store_errf(e, s->db, SQLITE_ERROR,
		    "cannot read run %" PRId64 " from the history %s", run, s->path);
	if (stream != 0 && sname == NULL)
		return err_set(e, "unknown log stream %d", stream);

	sb_adds(&sql, "SELECT seq, ts, step_idx, phase, attempt, stream, first_line, nlines, text,"
	    " seg_off, seg_len FROM logs WHERE run_id = ?1 AND seq > ?2");
	if (what == STORE_STATE)
		sb_adds(&sql, " AND 0");
	if (step >= 0)
		sb_adds(&sql, " AND step_idx = ?3");
	if (sname != NULL)
		sb_adds(&sql, " AND stream = ?4");
	sb_adds(&sql, " ORDER BY seq");
	rc = store_prepare(s->db, sb_str(&sql), &logs);
	sb_fini(&sql);
	if (rc == SQLITE_OK && what != STORE_LOGS)
		rc = store_prepare(s->db, "SELECT seq, ts, type, step_idx, phase, attempt,"
		    " status, exit_code, data FROM events WHERE run_id = ?1 AND seq > ?2"
		    " ORDER BY seq", &evs);
	if (rc != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(logs, 1, run);
	sqlite3_bind_int64(logs, 2, (int64_t)after);
	if (step >= 0)
		sqlite3_bind_int(logs, 3, step);
	if (sname != NULL)
		sqlite3_bind_text(logs, 4, sname, -1, SQLITE_STATIC);
	if (evs != NULL) {
		sqlite3_bind_int64(evs, 1, run);
		sqlite3_bind_int64(evs, 2, (int64_t)after);
		erc = sqlite3_step(evs);
	}
	/* Both cursors walk in seq order; the smaller goes first. */
	lrc = sqlite3_step(logs);
	while (stop == 0 && (lrc == SQLITE_ROW || erc == SQLITE_ROW)) {
		if (lrc == SQLITE_ROW && (erc != SQLITE_ROW ||
		    sqlite3_column_int64(logs, 0) < sqlite3_column_int64(evs, 0))) {
			store_event_from_log(logs, &ev);
			if (chunk_text(s, run, logs, &ev, &text, &cap, e) < 0) {
				free(text);
				sqlite3_finalize(logs);
				sqlite3_finalize(evs);
				return -1;
			}
			stop = fn(ud, &ev);
			lrc = sqlite3_step(logs);
		} else {
			store_event_from_row(evs, &ev);
			stop = fn(ud, &ev);
			erc = sqlite3_step(evs);
		}
	}
	rc = SQLITE_OK;
	if (lrc != SQLITE_ROW && lrc != SQLITE_DONE)
		rc = lrc;
	else if (erc != SQLITE_ROW && erc != SQLITE_DONE)
		rc = erc;
out:
	if (rc != SQLITE_OK)
		store_errf(e, s->db, rc, "cannot read the events of run %" PRId64
		    " from the history %s", run, s->path);
	sqlite3_finalize(logs);
	sqlite3_finalize(evs);
	free(text);
	return rc != SQLITE_OK ? -1 : 0;
}

int
store_log_chunks(struct store *s, int64_t run, int step, uint64_t after, store_event_fn *fn,
    void *ud, struct err *e)
{
	sqlite3_stmt *st = NULL;
	struct event ev;
	int rc;

	if (s->db == NULL)
		return store_no_run(s, run, e);
	rc = store_prepare(s->db, "SELECT seq, ts, step_idx, phase, attempt, stream, first_line,"
	    " nlines, NULL FROM logs WHERE run_id = ?1 AND step_idx = ?2 AND seq > ?3"
	    " ORDER BY seq", &st);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_int(st, 2, step);
		sqlite3_bind_int64(st, 3, (int64_t)after);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			store_event_from_log(st, &ev);
			if (fn(ud, &ev) != 0)
				break;
		}
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		store_errf(e, s->db, rc, "cannot read the logs of run %" PRId64
		    " from the history %s", run, s->path);
	sqlite3_finalize(st);
	return rc != SQLITE_OK ? -1 : 0;
}

char *
store_log_text(struct store *s, int64_t run, uint64_t seq, size_t *len, struct err *e)
{
	sqlite3_stmt *st = NULL;
	char *text = NULL;
	int rc;

	if (s->db == NULL) {
		store_no_run(s, run, e);
		return NULL;
	}
	rc = store_prepare(s->db, "SELECT text, seg_off, seg_len FROM logs"
	    " WHERE run_id = ?1 AND seq = ?2", &st);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_int64(st, 2, (int64_t)seq);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && !store_col_null(st, 1)) {
			size_t cap = 0;

			*len = (size_t)sqlite3_column_int64(st, 2);
			if (store_text_read(s->path, run, (uint64_t)sqlite3_column_int64(st, 1), *len,
			    &text, &cap, e) < 0) {
				free(text);
				text = NULL;
			}
			rc = SQLITE_OK;
		} else if (rc == SQLITE_ROW) {
			*len = (size_t)sqlite3_column_bytes(st, 0);
			text = xmalloc(*len + 1);
			if (*len > 0)
				memcpy(text, sqlite3_column_blob(st, 0), *len);
			text[*len] = '\0';
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			err_set(e, "run %" PRId64 " has no log chunk %" PRIu64, run, seq);
		}
	}
	if (rc != SQLITE_OK && rc != SQLITE_DONE)
		store_errf(e, s->db, rc, "cannot read the logs of run %" PRId64
		    " from the history %s", run, s->path);
	sqlite3_finalize(st);
	return text;
}

int64_t
store_data_version(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (s->db != NULL && store_prepare(s->db, "PRAGMA data_version", &st) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}
