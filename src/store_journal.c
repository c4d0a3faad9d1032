/* store_journal.c - a run's journal: what the executor has done that the
 * history writer may not have committed yet.
 *
 * A step starts only once the history has its "running" event (engine.c).
 * Waiting for SQLite to commit it costs, per step, a round trip through the
 * writer thread and a commit of its own; appending the events since the
 * last commit to a file is one write(2), and just as durable as a commit
 * under synchronous = NORMAL: both outlive the process, neither a power
 * cut.  So the executor keeps a copy of every event it makes, drops those
 * the writer has committed, and before it starts anything writes what is
 * left to DB-logs/RUN.jnl:
 *
 *   buf  [ committed: dropped ][ in the file ][ not written yet ]
 *         0                   start          written             len
 *
 * The executor journals no log chunks: their text is the bulk of what a
 * run writes and goes to the history once (the writer's text file), and a
 * start after one waits for its commit.
 *
 * A run that ends with its history complete removes its journal.  One
 * whose process died leaves it, and `drover resume`, holding the run's
 * lock, folds the events after the run's last_seq into the history
 * (store_journal_fold) before it reads the run.  The file is the run
 * owner's alone: read and written like the log text file, never through a
 * link, and a record that does not parse ends it (the last one is torn
 * when the process died writing it).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_impl.h"
#include "strbuf.h"
#include "xmalloc.h"

#define JNL_MAGIC 0x314c4e4au		/* "JNL1" */
#define JNL_KEEP (4u << 20)		/* past this, committed events are dropped */
#define JNL_MAX_FILE (1u << 30)		/* a bigger file is not a journal */

/* A record: a magic number and the event's header, then len bytes of
 * payload. */
struct jnl_rec {
	uint32_t magic;
	uint32_t pad;
	struct event_rec ev;
};

struct store_journal {
	struct store_text_out out;
	struct strbuf buf;
	size_t start, written;
	bool on;
	char why[512];		/* why it went off */
};

struct store_journal *
store_journal_new(const char *db, int64_t run)
{
	struct store_journal *j = xcalloc(1, sizeof *j);

	store_text_out_init(&j->out, store_run_file(db, run, "jnl"));
	j->on = true;
	return j;
}

bool
store_journal_on(const struct store_journal *j)
{
	return j != NULL && j->on;
}

const char *
store_journal_why(const struct store_journal *j)
{
	return j->why;
}

void
store_journal_drop(struct store_journal *j, uint64_t committed)
{
	struct jnl_rec rec;
	struct event ev;

	while (j->start < j->buf.len) {
		memcpy(&rec, j->buf.buf + j->start, sizeof rec);
		event_rec_unpack(&rec.ev, NULL, &ev);
		if (event_last_seq(&ev) > committed)
			break;
		j->start += sizeof rec + rec.ev.len;
	}
	if (j->written < j->start)
		j->written = j->start;
	if (j->start == j->buf.len) {
		j->start = j->written = 0;
		sb_reset(&j->buf);
	} else if (j->start >= JNL_KEEP / 2) {
		memmove(j->buf.buf, j->buf.buf + j->start, j->buf.len - j->start);
		j->buf.len -= j->start;
		j->written -= j->start;
		j->start = 0;
	}
}

bool
store_journal_add(struct store_journal *j, const struct event *ev)
{
	struct jnl_rec rec;

	memset(&rec, 0, sizeof rec);
	rec.magic = JNL_MAGIC;
	event_rec_pack(ev, &rec.ev);
	sb_add(&j->buf, (const char *)&rec, sizeof rec);
	if (ev->len > 0)
		sb_add(&j->buf, ev->data, ev->len);
	return j->buf.len - j->start > JNL_KEEP;
}

int
store_journal_write(struct store_journal *j, uint64_t committed)
{
	uint64_t off;

	if (!j->on)
		return -1;
	store_journal_drop(j, committed);
	if (j->written == j->buf.len)
		return 0;
	if (store_text_append(&j->out, j->buf.buf + j->written, j->buf.len - j->written,
	    &off) < 0) {
		j->on = false;	/* a torn record ends the file: nothing goes after it */
		snprintf(j->why, sizeof j->why, "cannot write the run's journal %.300s: %s; "
		    "each step now starts once the database has committed its start",
		    j->out.path, strerror(j->out.error));
		return -1;
	}
	j->written = j->buf.len;
	return 0;
}

int64_t
store_journal_oldest(const struct store_journal *j)
{
	struct jnl_rec rec;

	if (j->start == j->buf.len)
		return 0;
	memcpy(&rec, j->buf.buf + j->start, sizeof rec);
	return rec.ev.ts;
}

void
store_journal_free(struct store_journal *j, bool ended)
{
	if (j == NULL)
		return;
	if (ended)
		store_run_path_remove(j->out.path);
	store_text_out_fini(&j->out);
	sb_fini(&j->buf);
	free(j);
}

/* ---- folding a dead run's journal into the history ---- */

static int
jnl_read(const char *path, char **data, size_t *len, struct err *e)
{
	struct stat st = { 0 };
	size_t done = 0;
	int fd;

	*data = NULL;
	*len = 0;
	if ((fd = store_run_file_open(path)) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, "cannot read the run's journal %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0 || st.st_size > (off_t)JNL_MAX_FILE) {
		const char *why = st.st_size > (off_t)JNL_MAX_FILE ?
		    "over 1 GiB, so no journal of drover's" : strerror(errno);

		close(fd);
		return err_set(e, "cannot read the run's journal %s: %s", path, why);
	}
	*data = xmalloc((size_t)st.st_size + 1);
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, *data + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	*len = done;
	return 0;
}

static uint64_t
jnl_last_seq(struct store *s, int64_t run)
{
	sqlite3_stmt *st;
	uint64_t seq = 0;

	if (store_prepare(s->db, "SELECT last_seq FROM runs WHERE id = ?1", &st) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, run);
	if (sqlite3_step(st) == SQLITE_ROW)
		seq = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return seq;
}

int
store_journal_fold(struct store *s, int64_t run, size_t *folded, struct err *e)
{
	char *path = store_run_file(s->path, run, "jnl"), *data;
	struct event *evs = NULL;
	size_t len, off = 0, n = 0, cap = 0;
	uint64_t last, prev = 0;
	int rc;

	*folded = 0;
	if ((rc = jnl_read(path, &data, &len, e)) < 0 || data == NULL) {
		free(path);
		return rc;
	}
	last = jnl_last_seq(s, run);
	while (len - off >= sizeof(struct jnl_rec)) {
		struct jnl_rec rec;

		memcpy(&rec, data + off, sizeof rec);
		if (rec.magic != JNL_MAGIC || rec.ev.len > len - off - sizeof rec ||
		    rec.ev.type < EV_RUN_START || rec.ev.type > EV_RUN_END ||
		    rec.ev.seq <= prev || (rec.ev.type == EV_LOG && rec.ev.nlines == 0))
			break;
		prev = rec.ev.seq;
		if (rec.ev.seq > last) {
			xgrow(&evs, &cap, n + 1, sizeof *evs);
			event_rec_unpack(&rec.ev, data + off + sizeof rec, &evs[n++]);
		}
		off += sizeof rec + rec.ev.len;
	}
	rc = n > 0 ? store_writer_apply(s, run, evs, n, e) : 0;
	if (rc == 0) {
		*folded = n;
		store_run_path_remove(path);
	}
	free(evs);
	free(data);
	free(path);
	return rc;
}
