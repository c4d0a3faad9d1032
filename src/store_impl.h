/* store_impl.h - what the files of the history share, and nothing else
 * includes (store.h is the history's API).
 *
 *   store.c         opening, closing, errors, small SQLite helpers
 *   store_schema.c  the tables, their migrations and the names stored
 *   store_owner.c   whether a run marked running still has its owner
 *   store_record.c  recording a new run, taking one over
 *   store_writer.c  the writer thread that stores a run's events
 *   store_query.c   the runs as ls and show read them
 *   store_events.c  a run's event stream and log chunks
 *   store_text.c    the files beside the history: log text, journals
 *   store_journal.c a run's journal, and folding a dead run's into the history
 *   store_cache.c   reading and dropping the result cache
 *   store_stats.c   a workflow's recent history (stats.h)
 *   store_alerts.c  what alert rules read, and their state
 *   report_cost.c   the cost report, read through SQL as these files do
 */
#ifndef DROVER_STORE_IMPL_H
#define DROVER_STORE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "err.h"
#include "store.h"

/* How long a connection waits for another one's lock. */
#define STORE_BUSY_MS 5000

struct store {
	sqlite3 *db;		/* NULL: a read-only open of a missing history */
	char *path;
	bool readonly;
};

/* ---- store.c ---- */

/* "PREFIX: what SQLite says" in e, adding the system's reason when
 * SQLite's message alone does not tell why; -1. */
int store_errf(struct err *e, sqlite3 *db, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The settings every connection gets (a SQLite code). */
int store_configure(sqlite3 *db, bool readonly);
/* -1 with e set when s was opened read-only. */
int store_writable(const struct store *s, struct err *e);
/* "no run N in the history": -1. */
int store_no_run(const struct store *s, int64_t run, struct err *e);

int store_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st);
/* Runs a statement that returns no rows and resets it; a SQLite code. */
int store_step_done(sqlite3_stmt *st);
/* Binds a copy of s, or NULL when s is. */
void store_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Binds bytes that stay valid until the statement runs. */
void store_bind_bytes(sqlite3_stmt *st, int i, const char *s, size_t len);
bool store_col_null(sqlite3_stmt *st, int i);
/* The column's text, valid until the statement moves on, or NULL. */
const char *store_col_text(sqlite3_stmt *st, int i);

/* ---- store_text.c ---- */

/* The text of a run's log lines lives outside SQLite, in a file of its
 * own beside the history (DB-logs/RUN.txt), appended to by the run's
 * writer before it commits the rows that point into it (logs.seg_off,
 * seg_len): each byte is written once, not into the WAL and again by the
 * checkpoint.  Rows of older histories hold their text themselves. */
char *store_text_path(const char *db, int64_t run);
/* DB-logs/RUN.EXT, allocated. */
char *store_run_file(const char *db, int64_t run, const char *ext);
/* Whether the directory of such a file is one and not a link. */
bool store_run_dir_ok(const char *file);
/* Opens such a file for reading: a regular file, not through a link; -1
 * with errno set. */
int store_run_file_open(const char *path);

struct store_text_out {
	char *path;
	int fd;			/* -1 until the first chunk */
	uint64_t size;		/* the file's length: where the next chunk goes */
	int error;		/* errno of the last failure, or 0 */
};

/* An appender to the file at path (from store_run_file), which it takes. */
void store_text_out_init(struct store_text_out *o, char *path);
void store_text_out_fini(struct store_text_out *o);
/* Appends len bytes; *off gets where they start.  -1 with o->error set. */
int store_text_append(struct store_text_out *o, const char *data, size_t len, uint64_t *off);
/* Removes a run's file DB-logs/RUN.EXT (a new run of that number starts
 * afresh; an ended run's journal is not needed). */
void store_run_file_remove(const char *db, int64_t run, const char *ext);
/* The same, of such a file's path. */
void store_run_path_remove(const char *path);

/* Reads the text of a chunk from the run's file into *buf (grown as
 * needed, NUL-terminated): 0, or -1 with e set when the file is gone or
 * shorter than the rows say. */
int store_text_read(const char *db, int64_t run, uint64_t off, size_t len, char **buf,
    size_t *cap, struct err *e);

/* ---- store_writer.c ---- */

/* Stores events of run on this thread, as the writer thread would (for
 * store_journal_fold).  0, or -1 with e set. */
int store_writer_apply(struct store *s, int64_t run, const struct event *ev, size_t n,
    struct err *e);

/* ---- store_schema.c ---- */

/* Applies the migrations the database of s has not had; refuses one from
 * a newer drover.  A read-only open of a never-written file closes it
 * (s->db becomes NULL: an empty history); of an older history it returns
 * STORE_OUTDATED with e set, for the opener to upgrade it first. */
#define STORE_OUTDATED 1
int store_migrate(struct store *s, struct err *e);
/* The names events are stored under ("unknown", or NULL for a stream,
 * when out of range), and back: an unknown name gives 0. */
const char *store_type_name(unsigned type);
const char *store_phase_name(unsigned phase);
const char *store_stream_name(unsigned stream);
unsigned store_type_parse(const char *name);
unsigned store_phase_parse(const char *name);

/* ---- store_owner.c ---- */

/* What deciding "interrupted" needs, taken once per query. */
struct store_here {
	const struct store *s;
	int64_t now;
	char host[256];
};

void store_here_init(struct store_here *h, const struct store *s);
/* Whether a run marked running, of host and uuid, still has its owner. */
bool store_owner_alive(const struct store_here *h, const char *host, const char *uuid);

/* ---- store_query.c ---- */

/* -1 on a SQLite error, 0 when absent, 1 when the run is there. */
int store_run_exists(struct store *s, int64_t run);

#endif
