/* store_writer.c - the writer thread: it stores a run's events from the
 * run's ring.
 *
 * One thread per run, the gate reader of the run's ring, with a
 * connection of its own (callers keep using theirs):
 *
 *   ring --ring_read--> copy into the batch --apply--> open transaction
 *        <--ring_commit-- COMMIT when the executor waits for it, or at
 *                         4096 events, 8 MiB or 25 ms
 *
 * The executor waits for a commit before anything happens (a step starts
 * once its "running" event is stored; the run ends once all of it is):
 * then the writer commits at once, with every event it has read.  Other
 * events (log lines, a step's end that starts nothing) are gathered into
 * bigger commits, at most STORE_BATCH_MS late to the viewers, who see
 * only what is committed.
 *
 * A log chunk's text is appended to the run's text file (store_text.c)
 * when its row is applied, so it is written before the row that points
 * to it is committed, and only once.
 *
 * Each event is copied into the batch before it is applied: the gate has
 * read it, so the batch is now its only copy.  When SQLite fails (locked,
 * disk full, I/O error) the transaction is rolled back, the connection
 * closed, and the whole batch redone on a fresh connection every second,
 * each new message reported once.  Meanwhile the writer takes no more than
 * a batch from the ring (enough to notice its end), so the ring fills and
 * the executor pauses: back-pressure, never loss.  It gives up only when
 * the ring has ended and the last batch still fails after 30 seconds.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "json.h"
#include "monotime.h"
#include "ring.h"
#include "store_impl.h"
#include "strbuf.h"
#include "xmalloc.h"

#define STORE_BATCH_EVENTS 4096
#define STORE_BATCH_BYTES (8u << 20)	/* bounds the memory of a batch */
#define STORE_BATCH_MS 25
#define STORE_RETRY_MS 1000
#define STORE_GIVE_UP_MS 30000

enum {
	WS_BEGIN, WS_COMMIT,
	WS_EVENT, WS_LOG, WS_APPROVAL,
	WS_RUN_START, WS_RUN_END, WS_LAST_SEQ,
	WS_STEP_RUNNING, WS_STEP_STATUS, WS_STEP_FINAL, WS_STEP_COST,
	WS_ATTEMPT_BEGIN, WS_ATTEMPT_END, WS_ATTEMPT_END_RUNNING, WS_FALLBACK_END,
	WS_CACHE_PUT, WS_CACHE_HIT,
	WS_N
};

#define WS_ATTEMPT_END_SQL(phase, cond) \
	"INSERT INTO attempts (run_id, step_idx, phase, attempt, status, ended_at, exit_code," \
	" error, outputs, cost_usd, tokens_in, tokens_out)" \
	" VALUES (?1, ?2, " phase ", ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)" \
	" ON CONFLICT (run_id, step_idx, phase, attempt) DO UPDATE SET" \
	" status = excluded.status, ended_at = excluded.ended_at," \
	" exit_code = excluded.exit_code, error = excluded.error, outputs = excluded.outputs," \
	" cost_usd = excluded.cost_usd, tokens_in = excluded.tokens_in," \
	" tokens_out = excluded.tokens_out" cond

static const char *const ws_sql[WS_N] = {
	[WS_BEGIN] = "BEGIN IMMEDIATE",
	[WS_COMMIT] = "COMMIT",
	[WS_EVENT] = "INSERT OR REPLACE INTO events (run_id, seq, ts, type, step_idx, phase,"
	    " attempt, status, exit_code, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[WS_LOG] = "INSERT OR REPLACE INTO logs (run_id, seq, ts, step_idx, phase, attempt,"
	    " stream, first_line, nlines, text, seg_off, seg_len)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, '', ?10, ?11)",
	[WS_APPROVAL] = "INSERT OR REPLACE INTO approvals (run_id, seq, step_idx, decision,"
	    " by_user, comment, refused, at, reason, hash)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[WS_RUN_START] = "UPDATE runs SET status = 'running',"
	    " started_at = coalesce(started_at, ?2), ended_at = NULL, exit_code = NULL"
	    " WHERE id = ?1",
	[WS_RUN_END] = "UPDATE runs SET status = ?2, exit_code = ?3, ended_at = ?4,"
	    " duration_ms = coalesce(?5, (?4 - started_at) / 1000), error = ?6,"
	    " cost_usd = (SELECT total(cost_usd) FROM steps WHERE run_id = ?1),"
	    " tokens_in = (SELECT coalesce(sum(tokens_in), 0) FROM steps WHERE run_id = ?1),"
	    " tokens_out = (SELECT coalesce(sum(tokens_out), 0) FROM steps WHERE run_id = ?1)"
	    " WHERE id = ?1",
	[WS_LAST_SEQ] = "UPDATE runs SET last_seq = max(last_seq, ?2) WHERE id = ?1",
	[WS_STEP_RUNNING] = "UPDATE steps SET status = 'running', attempts = max(attempts, ?3),"
	    " started_at = coalesce(started_at, ?4) WHERE run_id = ?1 AND idx = ?2",
	[WS_STEP_STATUS] = "UPDATE steps SET status = ?3 WHERE run_id = ?1 AND idx = ?2",
	[WS_STEP_FINAL] = "UPDATE steps SET status = ?3, exit_code = ?4, ended_at = ?5,"
	    " duration_ms = coalesce(?6, (?5 - started_at) / 1000), outputs = ?7, error = ?8,"
	    " cached = ?9, cost_usd = cost_usd + ?10, tokens_in = tokens_in + ?11,"
	    " tokens_out = tokens_out + ?12, attempts = max(attempts, ?13)"
	    " WHERE run_id = ?1 AND idx = ?2",
	[WS_STEP_COST] = "UPDATE steps SET cost_usd = cost_usd + ?3, tokens_in = tokens_in + ?4,"
	    " tokens_out = tokens_out + ?5 WHERE run_id = ?1 AND idx = ?2",
	[WS_ATTEMPT_BEGIN] = "INSERT INTO attempts (run_id, step_idx, phase, attempt, status,"
	    " pid, started_at) VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6)"
	    " ON CONFLICT (run_id, step_idx, phase, attempt) DO UPDATE SET status = 'running',"
	    " pid = excluded.pid, started_at = excluded.started_at, ended_at = NULL,"
	    " exit_code = NULL, error = NULL, outputs = NULL, cost_usd = 0, tokens_in = 0,"
	    " tokens_out = 0",
	[WS_ATTEMPT_END] = WS_ATTEMPT_END_SQL("?3", ""),
	/* The step's final event ends its last main attempt unless that attempt
	 * already ended (it failed, then the step was cancelled while retrying). */
	[WS_ATTEMPT_END_RUNNING] = WS_ATTEMPT_END_SQL("'main'",
	    " WHERE attempts.status = 'running'"),
	[WS_CACHE_PUT] = "INSERT OR REPLACE INTO cache (workflow, step, key, created_at,"
	    " expires_at, run_id, outputs, exit_code, cost_usd, tokens_in, tokens_out)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[WS_CACHE_HIT] = "UPDATE cache SET hits = hits + 1, saved_usd = saved_usd + ?4,"
	    " last_hit = ?5 WHERE workflow = ?1 AND step = ?2 AND key = ?3",
	[WS_FALLBACK_END] = "UPDATE attempts SET status = ?5, ended_at = ?6, exit_code = ?7,"
	    " error = ?8, outputs = ?9, cost_usd = ?10, tokens_in = ?11, tokens_out = ?12"
	    " WHERE run_id = ?1 AND step_idx = ?2 AND phase = 'fallback' AND status = 'running'",
};

/* Events read from the ring and not yet committed.  Payloads live in buf
 * (which moves as it grows), so ev[i].data is unset and off[i] says where. */
struct store_batch {
	struct event *ev;
	size_t *off;
	size_t n, cap;
	struct strbuf buf;
	int64_t began_ms;	/* monotonic, when the first event came */
};

struct store_writer {
	pthread_t thread;
	char *path;
	int64_t run;
	struct ring_reader *gate;
	store_error_fn *on_error;
	void *ud;

	sqlite3 *db;		/* the writer's own connection, or NULL */
	sqlite3_stmt *st[WS_N];
	int wal_fd;		/* the -wal file (store_writer_flush): -1 untried, -2 none */
	bool in_txn;
	struct store_batch b;
	struct store_text_out text;	/* the file the log text goes to */

	char msg[1024];		/* the current failure */
	char reported[1024];	/* the last one given to on_error */
	bool gave_up;
};

static void
store_batch_add(struct store_batch *b, const struct event *ev)
{
	if (b->n == b->cap) {
		size_t cap = b->cap;

		xgrow(&b->ev, &cap, b->n + 1, sizeof *b->ev);
		xgrow(&b->off, &b->cap, b->n + 1, sizeof *b->off);
	}
	if (b->n == 0)
		b->began_ms = monotime_ms();
	b->ev[b->n] = *ev;
	b->ev[b->n].data = NULL;
	b->off[b->n] = b->buf.len;
	if (ev->len > 0)
		sb_add(&b->buf, ev->data, ev->len);
	b->n++;
}

static void
store_batch_get(const struct store_batch *b, size_t i, struct event *ev)
{
	*ev = b->ev[i];
	ev->data = b->buf.buf != NULL ? b->buf.buf + b->off[i] : "";
}

static bool
store_batch_full(const struct store_batch *b)
{
	return b->n >= STORE_BATCH_EVENTS || b->buf.len >= STORE_BATCH_BYTES;
}

/* How long the batch may still wait for more, in ms: -1 (for ever) while
 * it is empty, 0 once it is due. */
static int
store_batch_wait(const struct store_batch *b)
{
	int64_t left;

	if (b->n == 0)
		return -1;
	left = b->began_ms + STORE_BATCH_MS - monotime_ms();
	return left > 0 ? (int)left : 0;
}

static void
store_batch_reset(struct store_batch *b)
{
	b->n = 0;
	sb_reset(&b->buf);
	/* A burst of big payloads should not pin its memory for the whole run. */
	if (b->buf.cap > 2 * STORE_BATCH_BYTES)
		sb_fini(&b->buf);
}

/* Notes why the writer failed; the connection is then dropped so the
 * retry starts afresh (the file may have been replaced or repaired). */
static int
store_writer_fail(struct store_writer *w, int rc)
{
	struct err e;

	if (w->text.error != 0)
		err_set(&e, "cannot write the log text of run %" PRId64 " to %s: %s", w->run,
		    w->text.path, strerror(w->text.error));
	else
		store_errf(&e, w->db, rc, "cannot write run %" PRId64 " to the history %s",
		    w->run, w->path);
	w->text.error = 0;
	snprintf(w->msg, sizeof w->msg, "%s", e.msg);
	if (w->db != NULL && !sqlite3_get_autocommit(w->db))
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < WS_N; i++) {
		sqlite3_finalize(w->st[i]);
		w->st[i] = NULL;
	}
	sqlite3_close(w->db);
	w->db = NULL;
	w->in_txn = false;
	if (w->wal_fd >= 0)
		close(w->wal_fd);
	w->wal_fd = -1;		/* the next connection's file may be another */
	return -1;
}

static void
store_writer_report(struct store_writer *w)
{
	if (strcmp(w->msg, w->reported) == 0)
		return;
	snprintf(w->reported, sizeof w->reported, "%s", w->msg);
	if (w->on_error != NULL)
		w->on_error(w->ud, w->msg);
}

/* While another connection holds the lock: wait as long as any
 * connection does, unless the run was given up (ring_abandon), when the
 * process is about to exit and must not wait at all. */
static int
store_writer_busy(void *ud, int count)
{
	struct store_writer *w = ud;

	if ((w->gate != NULL && ring_reader_abandoned(w->gate)) || count * 10 >= STORE_BUSY_MS)
		return 0;
	monotime_sleep_ms(10);
	return 1;
}

static int
store_writer_connect(struct store_writer *w)
{
	int rc;

	if (w->db != NULL)
		return 0;
	/* No SQLITE_OPEN_CREATE: a vanished history must not come back empty. */
	rc = sqlite3_open_v2(w->path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = store_configure(w->db, false);
	if (rc == SQLITE_OK)
		sqlite3_busy_handler(w->db, store_writer_busy, w);
	for (int i = 0; rc == SQLITE_OK && i < WS_N; i++)
		rc = store_prepare(w->db, ws_sql[i], &w->st[i]);
	if (rc != SQLITE_OK)
		return store_writer_fail(w, rc);
	return 0;
}

static int
store_writer_begin(struct store_writer *w)
{
	int rc;

	if (w->in_txn)
		return 0;
	if (store_writer_connect(w) < 0)
		return -1;
	if ((rc = store_step_done(w->st[WS_BEGIN])) != SQLITE_OK)
		return store_writer_fail(w, rc);
	w->in_txn = true;
	return 0;
}

/* ---- applying one event ---- */

/* The cost an event's payload carries, if any. */
struct store_cost {
	double usd;
	int64_t in, out;
	bool any;
};

static void
store_cost_get(const cJSON *p, struct store_cost *c)
{
	double v;

	memset(c, 0, sizeof *c);
	if (!isnan(v = json_num(p, "cost_usd", NAN)))
		c->usd = v, c->any = true;
	if (!isnan(v = json_num(p, "tokens_in", NAN)))
		c->in = (int64_t)v, c->any = true;
	if (!isnan(v = json_num(p, "tokens_out", NAN)))
		c->out = (int64_t)v, c->any = true;
}

/* The payload's "outputs" as JSON text, or NULL; caller frees. */
static char *
store_outputs_text(const cJSON *p)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(p, "outputs");

	return o != NULL && !cJSON_IsNull(o) ? json_text(o, false) : NULL;
}

static void
store_bind_exit(sqlite3_stmt *st, int i, int32_t code)
{
	if (code >= 0)
		sqlite3_bind_int(st, i, code);
	else
		sqlite3_bind_null(st, i);
}

static void
store_bind_step(const struct store_writer *w, sqlite3_stmt *st, const struct event *ev)
{
	sqlite3_bind_int64(st, 1, w->run);
	sqlite3_bind_int(st, 2, ev->step);
}

static int
store_apply_event_row(struct store_writer *w, const struct event *ev)
{
	sqlite3_stmt *st = w->st[WS_EVENT];
	const char *status = NULL;

	if (ev->type == EV_STEP)
		status = step_status_name(ev->status);
	else if (ev->type == EV_RUN_START || ev->type == EV_RUN_END)
		status = run_status_name(ev->status);
	sqlite3_bind_int64(st, 1, w->run);
	sqlite3_bind_int64(st, 2, (int64_t)ev->seq);
	sqlite3_bind_int64(st, 3, ev->ts);
	sqlite3_bind_text(st, 4, store_type_name(ev->type), -1, SQLITE_STATIC);
	if (ev->step >= 0)
		sqlite3_bind_int(st, 5, ev->step);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_text(st, 6, store_phase_name(ev->phase), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, ev->attempt);
	store_bind_text(st, 8, status);
	if (ev->exit_code != -1)
		sqlite3_bind_int(st, 9, ev->exit_code);
	else
		sqlite3_bind_null(st, 9);
	store_bind_bytes(st, 10, ev->len > 0 ? ev->data : NULL, ev->len);
	return store_step_done(st);
}

/* A log chunk: its text appended to the run's file, then its row, which
 * says where the text is (committed after the text is written). */
static int
store_apply_log(struct store_writer *w, const struct event *ev)
{
	sqlite3_stmt *st = w->st[WS_LOG];
	uint64_t off;

	if (store_text_append(&w->text, ev->data, ev->len, &off) < 0)
		return SQLITE_IOERR;

	sqlite3_bind_int64(st, 1, w->run);
	sqlite3_bind_int64(st, 2, (int64_t)ev->seq);
	sqlite3_bind_int64(st, 3, ev->ts);
	sqlite3_bind_int(st, 4, ev->step);
	sqlite3_bind_text(st, 5, store_phase_name(ev->phase), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, ev->attempt);
	store_bind_text(st, 7, store_stream_name(ev->stream));
	sqlite3_bind_int64(st, 8, (int64_t)ev->first_line);
	sqlite3_bind_int64(st, 9, ev->nlines);
	sqlite3_bind_int64(st, 10, (int64_t)off);
	sqlite3_bind_int64(st, 11, (int64_t)ev->len);
	return store_step_done(st);
}

static int
store_apply_attempt_begin(struct store_writer *w, const struct event *ev, const cJSON *p)
{
	sqlite3_stmt *st = w->st[WS_ATTEMPT_BEGIN];
	double pid;

	store_bind_step(w, st, ev);
	sqlite3_bind_text(st, 3, store_phase_name(ev->phase), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, ev->attempt);
	if (!isnan(pid = json_num(p, "pid", NAN)))
		sqlite3_bind_int64(st, 5, (int64_t)pid);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int64(st, 6, ev->ts);
	return store_step_done(st);
}

/* Ends an attempt: which statement decides which row (see ws_sql). */
static int
store_apply_attempt_end(struct store_writer *w, int which, const struct event *ev,
    const char *status, const cJSON *p, const struct store_cost *c)
{
	sqlite3_stmt *st = w->st[which];
	char *outputs = store_outputs_text(p);
	int rc;

	store_bind_step(w, st, ev);
	if (which == WS_ATTEMPT_END)
		sqlite3_bind_text(st, 3, store_phase_name(ev->phase), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, ev->attempt);
	sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, ev->ts);
	store_bind_exit(st, 7, ev->exit_code);
	store_bind_text(st, 8, json_str(p, "error"));
	store_bind_text(st, 9, outputs);
	sqlite3_bind_double(st, 10, c->usd);
	sqlite3_bind_int64(st, 11, c->in);
	sqlite3_bind_int64(st, 12, c->out);
	rc = store_step_done(st);
	free(outputs);
	return rc;
}

static int
store_apply_step_cost(struct store_writer *w, const struct event *ev, const struct store_cost *c)
{
	sqlite3_stmt *st = w->st[WS_STEP_COST];

	if (!c->any)
		return SQLITE_OK;
	store_bind_step(w, st, ev);
	sqlite3_bind_double(st, 3, c->usd);
	sqlite3_bind_int64(st, 4, c->in);
	sqlite3_bind_int64(st, 5, c->out);
	return store_step_done(st);
}

static int
store_apply_step_status(struct store_writer *w, const struct event *ev, const char *status)
{
	sqlite3_stmt *st = w->st[WS_STEP_STATUS];

	store_bind_step(w, st, ev);
	sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	return store_step_done(st);
}

/* A step's final event may keep its result in the cache, or count a
 * reuse of one: "cache": {"workflow", "step", "key", and "expires_at"
 * (kept) or "saved_usd" (reused)}. */
static int
store_apply_cache(struct store_writer *w, const struct event *ev, const cJSON *p,
    const char *outputs, const struct store_cost *c)
{
	const cJSON *ca = cJSON_GetObjectItemCaseSensitive(p, "cache");
	double expires = json_num(ca, "expires_at", NAN);
	sqlite3_stmt *st = w->st[isnan(expires) ? WS_CACHE_HIT : WS_CACHE_PUT];

	if (!cJSON_IsObject(ca) || json_str(ca, "key") == NULL)
		return SQLITE_OK;
	store_bind_text(st, 1, json_str(ca, "workflow"));
	store_bind_text(st, 2, json_str(ca, "step"));
	store_bind_text(st, 3, json_str(ca, "key"));
	if (isnan(expires)) {
		sqlite3_bind_double(st, 4, json_num(ca, "saved_usd", 0));
		sqlite3_bind_int64(st, 5, ev->ts);
		return store_step_done(st);
	}
	sqlite3_bind_int64(st, 4, ev->ts);
	sqlite3_bind_int64(st, 5, (int64_t)expires);
	sqlite3_bind_int64(st, 6, w->run);
	store_bind_text(st, 7, outputs);
	store_bind_exit(st, 8, ev->exit_code);
	sqlite3_bind_double(st, 9, c->usd);
	sqlite3_bind_int64(st, 10, c->in);
	sqlite3_bind_int64(st, 11, c->out);
	return store_step_done(st);
}

static int
store_apply_step_final(struct store_writer *w, const struct event *ev, const cJSON *p,
    const struct store_cost *c)
{
	sqlite3_stmt *st = w->st[WS_STEP_FINAL];
	const char *status = step_status_name(ev->status);
	const cJSON *cached = cJSON_GetObjectItemCaseSensitive(p, "cached");
	char *outputs = store_outputs_text(p);
	double dur;
	int rc;

	store_bind_step(w, st, ev);
	sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	store_bind_exit(st, 4, ev->exit_code);
	sqlite3_bind_int64(st, 5, ev->ts);
	if (!isnan(dur = json_num(p, "duration_ms", NAN)))
		sqlite3_bind_int64(st, 6, (int64_t)dur);
	else
		sqlite3_bind_null(st, 6);
	store_bind_text(st, 7, outputs);
	store_bind_text(st, 8, json_str(p, "error"));
	sqlite3_bind_int(st, 9, cJSON_IsTrue(cached));
	sqlite3_bind_double(st, 10, c->usd);
	sqlite3_bind_int64(st, 11, c->in);
	sqlite3_bind_int64(st, 12, c->out);
	sqlite3_bind_int(st, 13, ev->attempt);
	rc = store_step_done(st);
	if (rc == SQLITE_OK)
		rc = store_apply_cache(w, ev, p, outputs, c);
	free(outputs);
	if (rc != SQLITE_OK || ev->attempt <= 0)
		return rc;
	/*
	 * The engine ends a fallback with the step's own final event (its
	 * attempt number is the main attempts'), so a running fallback is what
	 * this event ends; otherwise it ends the last main attempt.
	 */
	rc = store_apply_attempt_end(w, WS_FALLBACK_END, ev, status, p, c);
	if (rc != SQLITE_OK || sqlite3_changes(w->db) > 0)
		return rc;
	return store_apply_attempt_end(w, WS_ATTEMPT_END_RUNNING, ev, status, p, c);
}

static int
store_apply_step(struct store_writer *w, const struct event *ev, const cJSON *p)
{
	const char *astatus = json_str(p, "attempt_status");
	struct store_cost c;
	sqlite3_stmt *st;
	int rc;

	store_cost_get(p, &c);
	if (ev->phase != PHASE_MAIN) {
		if (ev->status == ST_RUNNING)
			return store_apply_attempt_begin(w, ev, p);
		rc = store_apply_attempt_end(w, WS_ATTEMPT_END, ev, step_status_name(ev->status),
		    p, &c);
		return rc != SQLITE_OK ? rc : store_apply_step_cost(w, ev, &c);
	}
	switch (ev->status) {
	case ST_RUNNING:
		if (astatus != NULL) {
			/* A failed attempt, the fallback comes next: the step runs on. */
			rc = store_apply_attempt_end(w, WS_ATTEMPT_END, ev, astatus, p, &c);
			return rc != SQLITE_OK ? rc : store_apply_step_cost(w, ev, &c);
		}
		if ((rc = store_apply_attempt_begin(w, ev, p)) != SQLITE_OK)
			return rc;
		st = w->st[WS_STEP_RUNNING];
		store_bind_step(w, st, ev);
		sqlite3_bind_int(st, 3, ev->attempt);
		sqlite3_bind_int64(st, 4, ev->ts);
		return store_step_done(st);
	case ST_RETRYING:
		rc = store_apply_attempt_end(w, WS_ATTEMPT_END, ev,
		    astatus != NULL ? astatus : step_status_name(ST_FAILED), p, &c);
		if (rc == SQLITE_OK)
			rc = store_apply_step_status(w, ev, step_status_name(ST_RETRYING));
		return rc != SQLITE_OK ? rc : store_apply_step_cost(w, ev, &c);
	default:
		if (step_status_final(ev->status))
			return store_apply_step_final(w, ev, p, &c);
		return store_apply_step_status(w, ev, step_status_name(ev->status));
	}
}

static int
store_apply_approval(struct store_writer *w, const struct event *ev, const cJSON *p)
{
	sqlite3_stmt *st = w->st[WS_APPROVAL];
	const char *decision = json_str(p, "decision");

	sqlite3_bind_int64(st, 1, w->run);
	sqlite3_bind_int64(st, 2, (int64_t)ev->seq);
	sqlite3_bind_int(st, 3, ev->step);
	store_bind_text(st, 4, decision != NULL ? decision : "");
	store_bind_text(st, 5, json_str(p, "by"));
	store_bind_text(st, 6, json_str(p, "comment"));
	sqlite3_bind_int(st, 7, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "refused")));
	sqlite3_bind_int64(st, 8, ev->ts);
	store_bind_text(st, 9, json_str(p, "reason"));
	store_bind_text(st, 10, json_str(p, "hash"));
	return store_step_done(st);
}

static int
store_apply_run_end(struct store_writer *w, const struct event *ev, const cJSON *p)
{
	sqlite3_stmt *st = w->st[WS_RUN_END];
	double dur;

	sqlite3_bind_int64(st, 1, w->run);
	sqlite3_bind_text(st, 2, run_status_name(ev->status), -1, SQLITE_STATIC);
	store_bind_exit(st, 3, ev->exit_code);
	sqlite3_bind_int64(st, 4, ev->ts);
	if (!isnan(dur = json_num(p, "duration_ms", NAN)))
		sqlite3_bind_int64(st, 5, (int64_t)dur);
	else
		sqlite3_bind_null(st, 5);
	store_bind_text(st, 6, json_str(p, "error"));
	return store_step_done(st);
}

/* Applies one event inside the open transaction; a SQLite code. */
static int
store_apply(struct store_writer *w, const struct event *ev)
{
	sqlite3_stmt *st;
	cJSON *p;
	int rc;

	if (ev->type == EV_LOG)
		return store_apply_log(w, ev);
	if ((rc = store_apply_event_row(w, ev)) != SQLITE_OK)
		return rc;
	p = event_json(ev);
	switch (ev->type) {
	case EV_RUN_START:
		st = w->st[WS_RUN_START];
		sqlite3_bind_int64(st, 1, w->run);
		sqlite3_bind_int64(st, 2, ev->ts);
		rc = store_step_done(st);
		break;
	case EV_STEP:
		rc = store_apply_step(w, ev, p);
		break;
	case EV_APPROVAL:
		rc = store_apply_approval(w, ev, p);
		break;
	case EV_RUN_END:
		rc = store_apply_run_end(w, ev, p);
		break;
	default:
		break;	/* EV_NOTE: its events row is all there is */
	}
	cJSON_Delete(p);
	return rc;
}

/* ---- batches ---- */

/* Takes ev into the batch and applies it; -1 when SQLite failed (the
 * event stays in the batch for the retry). */
static int
store_writer_add(struct store_writer *w, const struct event *ev)
{
	int rc;

	store_batch_add(&w->b, ev);
	if (store_writer_begin(w) < 0)
		return -1;
	if ((rc = store_apply(w, ev)) != SQLITE_OK)
		return store_writer_fail(w, rc);
	return 0;
}

/*
 * Under synchronous = NORMAL a commit leaves its WAL pages to the kernel,
 * and the checkpoint of the last connection to close waits for all of
 * them at once (fdatasync), at the end of the run, when nothing else
 * runs: milliseconds of a run's end for a few MB.  Starting their
 * writeback after each commit, without waiting, spreads that over the
 * run.  Only the kernel's writeback is asked for: what is durable when
 * stays as SQLite has it.  The descriptor is the writer's own (SQLite
 * takes no locks on the -wal file, so closing it releases none).
 */
static void
store_writer_flush(struct store_writer *w)
{
	if (w->wal_fd == -1) {
		/* SQLite's own name for it: beside the database a link leads to. */
		const char *wal = sqlite3_filename_wal(sqlite3_db_filename(w->db, "main"));
		int fd = wal == NULL || *wal == '\0' ? -1 :
		    open(wal, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		struct stat st;

		if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
			close(fd);
			fd = -1;
		}
		w->wal_fd = fd >= 0 ? fd : -2;
	}
	if (w->wal_fd >= 0)
		(void)sync_file_range(w->wal_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

/* Commits the open transaction and tells the ring its events are stored. */
static int
store_writer_commit(struct store_writer *w)
{
	sqlite3_stmt *st = w->st[WS_LAST_SEQ];
	uint64_t last = event_last_seq(&w->b.ev[w->b.n - 1]);
	int rc;

	/* In the same transaction: last_seq never names an event not stored. */
	sqlite3_bind_int64(st, 1, w->run);
	sqlite3_bind_int64(st, 2, (int64_t)last);
	if ((rc = store_step_done(st)) != SQLITE_OK)
		return store_writer_fail(w, rc);
	if ((rc = store_step_done(w->st[WS_COMMIT])) != SQLITE_OK)
		return store_writer_fail(w, rc);
	w->in_txn = false;
	if (w->gate != NULL)
		ring_commit(w->gate, last);
	store_writer_flush(w);
	store_batch_reset(&w->b);
	w->reported[0] = '\0';	/* a failure that comes back is news again */
	return 0;
}

/* Applies the whole batch again on a fresh transaction and commits. */
static int
store_writer_redo(struct store_writer *w)
{
	struct event ev;
	int rc;

	if (store_writer_begin(w) < 0)
		return -1;
	for (size_t i = 0; i < w->b.n; i++) {
		store_batch_get(&w->b, i, &ev);
		if ((rc = store_apply(w, &ev)) != SQLITE_OK)
			return store_writer_fail(w, rc);
	}
	return store_writer_commit(w);
}

/* While failing: takes what fits in the batch without waiting, to notice
 * the end of the ring; true when it ended. */
static bool
store_writer_take(struct store_writer *w)
{
	struct event ev;

	while (!store_batch_full(&w->b)) {
		switch (ring_read(w->gate, &ev, 0)) {
		case RING_EVENT:
			store_batch_add(&w->b, &ev);
			break;
		case RING_END:
			return true;
		case RING_EMPTY:
			return false;
		case RING_LAPPED:
			break;	/* only viewers are lapped */
		}
	}
	return false;
}

static void *
store_writer_main(void *arg)
{
	struct store_writer *w = arg;
	struct event ev;
	bool ended = false, failing = false;
	int64_t end_failing_since = 0;

	for (;;) {
		if (failing && ended && ring_reader_abandoned(w->gate)) {
			w->gave_up = true;	/* the run was given up: so is its end */
			break;
		}
		if (failing) {
			store_writer_report(w);
			if (ended) {
				if (end_failing_since == 0)
					end_failing_since = monotime_ms();
				else if (monotime_ms() - end_failing_since >= STORE_GIVE_UP_MS) {
					w->gave_up = true;
					break;
				}
			}
			monotime_sleep_ms(STORE_RETRY_MS);
			if (!ended)
				ended = store_writer_take(w);
			if (w->b.n == 0 || store_writer_redo(w) == 0) {
				failing = false;
				if (ended)
					break;
			}
			continue;
		}
		switch (ring_read(w->gate, &ev, store_batch_wait(&w->b))) {
		case RING_EVENT:
			if (store_writer_add(w, &ev) < 0)
				failing = true;
			else if (store_batch_full(&w->b) && store_writer_commit(w) < 0)
				failing = true;
			break;
		case RING_EMPTY:
			/* Time is up (and all that came meanwhile is read), or the
			 * executor waits for what was read. */
			if (w->b.n > 0 && (store_batch_wait(&w->b) == 0 ||
			    ring_commit_owed(w->gate)) && store_writer_commit(w) < 0)
				failing = true;
			break;
		case RING_END:
			ended = true;
			if (w->b.n > 0 && store_writer_commit(w) < 0)
				failing = true;
			break;
		case RING_LAPPED:
			break;
		}
		if (ended && !failing)
			break;
	}
	return NULL;	/* an open transaction is rolled back by store_writer_fini */
}

static void
store_writer_fini(struct store_writer *w)
{
	if (w->db != NULL && w->in_txn)
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < WS_N; i++)
		sqlite3_finalize(w->st[i]);
	sqlite3_close(w->db);
	if (w->wal_fd >= 0)
		close(w->wal_fd);
	free(w->b.ev);
	free(w->b.off);
	sb_fini(&w->b.buf);
	store_text_out_fini(&w->text);
	free(w->path);
}

struct store_writer *
store_writer_start(struct store *s, int64_t run, struct ring_reader *gate,
    store_error_fn *on_error, void *ud)
{
	struct store_writer *w = xcalloc(1, sizeof *w);
	sigset_t all, old;
	int rc;

	w->path = xstrdup(s->path);
	w->wal_fd = -1;
	store_text_out_init(&w->text, store_text_path(s->path, run));
	w->run = run;
	w->gate = gate;
	w->on_error = on_error;
	w->ud = ud;
	/* The store thread never takes signals: they are the executor's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, store_writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		store_text_out_fini(&w->text);
		free(w->path);
		free(w);
		errno = rc;
		return NULL;
	}
	pthread_setname_np(w->thread, "drover-store");
	return w;
}

int
store_writer_join(struct store_writer *w, struct err *e)
{
	int rc = 0;

	pthread_join(w->thread, NULL);
	if (w->gave_up)
		rc = err_set(e, "%s; %zu events of the run were not recorded", w->msg, w->b.n);
	store_writer_fini(w);
	free(w);
	return rc;
}

int
store_writer_apply(struct store *s, int64_t run, const struct event *ev, size_t n,
    struct err *e)
{
	struct store_writer w;
	int rc = 0;

	memset(&w, 0, sizeof w);
	w.path = xstrdup(s->path);
	w.wal_fd = -1;
	w.run = run;
	store_text_out_init(&w.text, store_text_path(s->path, run));
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = store_writer_add(&w, &ev[i]);
		if (rc == 0 && store_batch_full(&w.b))
			rc = store_writer_commit(&w);
	}
	if (rc == 0 && w.b.n > 0)
		rc = store_writer_commit(&w);
	if (rc < 0)
		err_set(e, "%s", w.msg);
	store_writer_fini(&w);
	return rc;
}
