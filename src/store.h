/* store.h - the history: every run, step, attempt, log line, approval and
 * event, in SQLite (SPEC section 7).
 *
 * One database is shared by every drover process (WAL mode, a busy
 * timeout).  A run process writes its run through a writer thread that is
 * the gate reader of the run's event ring: it stores events in batched
 * transactions with prepared statements and then marks them durable
 * (ring_commit), so nothing is shown before it is recorded.  Everything
 * else reads: `drover ls`, `show`, `logs`, the console.  Reads return
 * cJSON in the shapes of SPEC section 2, so commands and views print from
 * one description of a run.
 *
 * Schema changes are forward migrations applied on open
 * (PRAGMA user_version).
 */
#ifndef DROVER_STORE_H
#define DROVER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "event.h"

struct store;
struct ring_reader;

/* Opens (creating it and its directory, mode 0700, when missing) the
 * database at path and migrates it.  readonly: never writes (for commands
 * that only look; a missing database is then an empty history).  Free with
 * store_close. */
struct store *store_open(const char *path, bool readonly, struct err *e);
void store_close(struct store *s);
/* $DROVER_DB, else $XDG_STATE_HOME/drover/history.db (~/.local/state/...);
 * caller frees. */
char *store_default_path(void);
/* A transaction that writes, its lock taken at once (BEGIN IMMEDIATE):
 * for what must read and then write with no other writer between.  0, or
 * -1 with e set.  store_end commits it, or rolls it back when !commit or
 * the commit fails (then -1 with e set). */
int store_begin(struct store *s, struct err *e);
int store_end(struct store *s, bool commit, struct err *e);
/* A new run UUID (version 4, lower case; 37 bytes with the NUL): a run's
 * lock (runlock.h) is taken under it before the run is recorded. */
void store_new_uuid(char uuid[37]);

/* ---- writing a run ---- */

struct store_step_info {
	const char *id;
	const char *section;	/* "steps", "on_failure", "finally" */
	const char *kind;	/* "run", "http", ... */
};

struct store_run_info {
	const char *workflow;	/* name */
	const char *file;	/* path as given */
	const char *text;	/* the file's exact text */
	size_t text_len;
	const char *args_json;	/* resolved args, secrets masked */
	const char *user, *host;
	int pid;		/* of the owner, which holds the run's lock */
	int64_t retry_of;	/* run number this one retries, or 0 */
	const struct store_step_info *steps;
	size_t n_steps;
};

/* Records a new run under uuid (status "running", its steps "pending") and
 * gives its number. */
int store_run_create(struct store *s, const struct store_run_info *ri, const char *uuid,
    int64_t *run, struct err *e);

/* Records that process pid took over run (drover resume, holding the
 * run's lock): the attempts its last owner left running become
 * "interrupted", with why.  Refused when the run has ended meanwhile. */
int store_run_adopt(struct store *s, int64_t run, int pid, struct err *e);

/* Starts the writer thread: it reads every event of the run from gate and
 * stores it, committing at once when the producer waits for an event it
 * has read (ring_commit_owed), else at least every 25 ms, 4096 events or
 * 8 MiB, and calls ring_commit after each commit.  It stops after RING_END.  A write that
 * fails (disk full, database locked for too long) is retried every second
 * (the ring then fills and the executor pauses its steps) and reported
 * through the error callback, if any.  NULL with errno set when the
 * thread cannot be started (a process or thread limit); the caller owns
 * the writer until store_writer_join, and gate until after it. */
struct store_writer;
typedef void store_error_fn(void *ud, const char *msg);
struct store_writer *store_writer_start(struct store *s, int64_t run, struct ring_reader *gate,
    store_error_fn *on_error, void *ud);
/* Waits for the writer to store everything and stop, and frees it; 0, or
 * -1 with e set when the history could not be written. */
int store_writer_join(struct store_writer *w, struct err *e);

/* ---- the run's journal (store_journal.c) ---- */

/* The events of a run the writer may not have committed yet, kept by the
 * executor and written by it to DB-logs/RUN.jnl before it starts what they
 * announce: a step starts once its "running" event is in the journal or
 * committed.  Used by the executor's thread only. */
struct store_journal;
struct store_journal *store_journal_new(const char *db, int64_t run);
/* Keeps a copy of a numbered event; true when the journal has grown big
 * enough that the caller should drop what is committed. */
bool store_journal_add(struct store_journal *j, const struct event *ev);
/* Forgets the events up to committed, which the history has. */
void store_journal_drop(struct store_journal *j, uint64_t committed);
/* Drops what is committed and appends the rest to the file: 0, or -1 when
 * the file cannot be written (the journal is then off for good, and the
 * caller waits for commits). */
int store_journal_write(struct store_journal *j, uint64_t committed);
bool store_journal_on(const struct store_journal *j);
/* Why store_journal_write failed, fit to show a user. */
const char *store_journal_why(const struct store_journal *j);
/* When the oldest event the history has not committed was made (µs since
 * the epoch), as of the last drop; 0 when there is none. */
int64_t store_journal_oldest(const struct store_journal *j);
/* Frees the journal; ended: the history has all of the run, so the file
 * goes too.  NULL is a no-op. */
void store_journal_free(struct store_journal *j, bool ended);
/* Stores what the journal of a run whose process died has that the
 * history has not (events after its last_seq), then removes the file;
 * *folded gets how many events that was.  The caller holds the run's
 * lock.  0 (also when there is no journal), or -1 with e set.  A record
 * that does not parse ends the journal: the last is torn when the process
 * died writing it. */
int store_journal_fold(struct store *s, int64_t run, size_t *folded, struct err *e);

/* ---- reading ---- */

/* Finds a run by number ("42") or a unique prefix of its UUID. */
int store_find_run(struct store *s, const char *ref, int64_t *run, struct err *e);

struct store_filter {
	const char *status;	/* or NULL */
	const char *workflow;	/* or NULL */
	/* Words that must all match, or NULL: "status:S" (a status, as is
	 * a word that is one), "workflow:W" (W is in the workflow's name),
	 * else the word is the run's number, is in its status, workflow or
	 * user, or starts its UUID; letters in any case.  At most 16. */
	const char *text;
	int64_t since_us;	/* started at or after; 0: any */
	/* Keyset paging: only runs numbered below before and above after
	 * (0: no bound), oldest first when asked (the page above a run, or
	 * the last page). */
	int64_t before, after;
	bool oldest_first;
	int limit;		/* 0: no limit */
};

/* Runs, newest first (or oldest first), each as in `drover ls --json`;
 * runs of this host whose owner is gone (nobody holds their lock) show as
 * "interrupted".  Everything is chosen in SQL from the runs' index, so a
 * page costs the same at any depth of the history.  A new array the caller
 * frees (cJSON_Delete), nothing of f kept; NULL with e set. */
cJSON *store_list_runs(struct store *s, const struct store_filter *f, struct err *e);
/* The same one run at a time, in constant memory: fn takes each (and
 * frees it) and returns nonzero to stop.  0, or -1 with e set. */
typedef int store_run_fn(void *ud, cJSON *run);
int store_each_run(struct store *s, const struct store_filter *f, store_run_fn *fn, void *ud,
    struct err *e);
/* One run as in `drover show --json`: args, steps in file order with their
 * attempts, approvals.  A new object the caller frees (cJSON_Delete);
 * NULL with e set. */
cJSON *store_get_run(struct store *s, int64_t run, struct err *e);
/* The gates that wait in live runs, oldest run first: [{"run",
 * "workflow", "step", "since", "gate"}], "gate" being what the step's
 * latest "waiting" event showed (step_approval.c).  A new array the
 * caller frees; NULL with e set. */
cJSON *store_waiting_gates(struct store *s, struct err *e);
/* The workflow text and file of a run; caller frees both. */
int store_run_workflow(struct store *s, int64_t run, char **text, size_t *len, char **file,
    struct err *e);
/* True while the run has an owner; then uuid (37 bytes, or NULL) gets
 * the run's UUID, which names its control socket (ctl.h). */
bool store_run_live(struct store *s, int64_t run, char *uuid);

/* Calls fn for the run's events with seq > after, in order: log chunks
 * (optionally only one step and/or stream; step -1 and stream 0 mean all)
 * and every other event, or only the one part or the other.  fn returns
 * nonzero to stop. */
enum store_part { STORE_ALL, STORE_LOGS, STORE_STATE };
typedef int store_event_fn(void *ud, const struct event *ev);
int store_read_events(struct store *s, int64_t run, uint64_t after, enum store_part what,
    int step, int stream, store_event_fn *fn, void *ud, struct err *e);

/* The log chunks of one step with seq > after, in order, as EV_LOG events
 * without their text (data "", len 0): what a pager needs to find line N
 * without reading every line. */
int store_log_chunks(struct store *s, int64_t run, int step, uint64_t after, store_event_fn *fn,
    void *ud, struct err *e);
/* The text of one log chunk (its lines joined by '\n'); NULL with e set
 * when it cannot be read.  Caller frees. */
char *store_log_text(struct store *s, int64_t run, uint64_t seq, size_t *len, struct err *e);
/* ---- the result cache (SPEC 4.1; the writer fills it) ---- */

/* The entry of step in workflow under key that has not expired by now:
 * 1 with *entry set ({"workflow", "step", "key", "created_at_us",
 * "expires_at_us", "run", "outputs", "exit_code", "cost_usd", "tokens_in",
 * "tokens_out", "hits", "saved_usd"}; caller frees), 0 when there is none,
 * -1 with e set. */
int store_cache_get(struct store *s, const char *workflow, const char *step, const char *key,
    int64_t now_us, cJSON **entry, struct err *e);
/* Every entry (of one workflow, unless NULL), expired ones too, as above,
 * to fn one at a time. */
int store_cache_each(struct store *s, const char *workflow, store_run_fn *fn, void *ud,
    struct err *e);
/* Drops every entry (of one workflow, unless NULL); *dropped says how
 * many. */
int store_cache_clear(struct store *s, const char *workflow, int64_t *dropped, struct err *e);

/* ---- what alert rules read and record (alerts.h) ---- */

/* The runs (of workflow, unless NULL) started at or after since_us. */
struct store_window {
	size_t started, ended, succeeded;
	size_t errors;		/* ended failed, timed out or over budget */
	double cost_usd;
};
int store_window_runs(struct store *s, const char *workflow, int64_t since_us,
    struct store_window *w, struct err *e);
/* The durations (ms) of step's succeeded, uncached ends in those runs;
 * *v is the caller's to free. */
int store_window_durations(struct store *s, const char *workflow, const char *step,
    int64_t since_us, double **v, size_t *n, struct err *e);
/* Records rule name's state as judged now after run (value NAN: no
 * data): 1 when this call made it start firing (one caller wins, whoever else judges at once), 0
 * when not, -1 with e set. */
int store_alert_set(struct store *s, const char *name, bool firing, double value,
    int64_t now_us, int64_t run, struct err *e);
/* Every rule's recorded state, as {"name", "firing", "value",
 * "checked_at_us", "fired_at_us" (or null), "fired" (times), "run"}, to
 * fn one at a time. */
int store_alert_each(struct store *s, store_run_fn *fn, void *ud, struct err *e);

/* A number that changes whenever another connection commits to the
 * database (PRAGMA data_version): polling it costs no reading. */
int64_t store_data_version(struct store *s);

#endif
