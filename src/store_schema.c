/* store_schema.c - the history's tables, the migrations that make them,
 * and the names events are stored under.
 *
 * The schema (migrations 1 to 3; PRAGMA user_version counts the
 * migrations that ran).  Times are microseconds since the epoch; statuses, phases, streams
 * and event types are stored by name (event.c), so the file reads well in
 * sqlite3(1) and an old history survives a reordered enum.
 *
 *   workflows  id, hash UNIQUE (SHA-256 of text, hex: what sha256sum says),
 *              name, text -- one row per distinct workflow text
 *   runs       id (the run number; AUTOINCREMENT, so never reused after gc),
 *              uuid UNIQUE, workflow_id -> workflows, workflow (name), file,
 *              args (JSON), user, host, pid (of its owner; pid_start is no
 *              longer written), status, exit_code,
 *              started_at, ended_at, duration_ms, cost_usd, tokens_in,
 *              tokens_out, error, retry_of -> runs, last_seq (the last event
 *              stored, so a resumed run numbers on from there)
 *   steps      (run_id, idx): id, section, kind, status, attempts, exit_code,
 *              started_at, ended_at, duration_ms, cached, cost_usd,
 *              tokens_in, tokens_out, outputs (JSON), error
 *   attempts   (run_id, step_idx, phase, attempt): status (a step status, or
 *              "interrupted" when its drover died under it), pid, started_at,
 *              ended_at, exit_code, error, outputs, cost_usd, tokens_in,
 *              tokens_out
 *   logs       (run_id, seq): ts, step_idx, phase, attempt, stream,
 *              first_line, nlines, text -- one row per EV_LOG chunk, its
 *              lines joined by '\n' (bytes kept exactly)
 *   events     (run_id, seq): ts, type, step_idx (NULL for the run), phase,
 *              attempt, status, exit_code (NULL for -1), data -- every other
 *              event, its payload as written; with logs, the whole stream
 *   approvals  (run_id, seq): step_idx, decision, by_user, comment, refused,
 *              at, reason (why refused), hash (of what the gate showed)
 *   cache      (workflow, step, key): a step's result kept for reuse (SPEC
 *              4.1): created_at, expires_at, run_id (that made it; not a
 *              reference: the entry outlives its run), outputs, exit_code,
 *              cost_usd, tokens_in, tokens_out, hits, saved_usd, last_hit
 *
 * Everything hangs off runs with ON DELETE CASCADE, so retention deletes
 * runs rows and nothing else.  Indexes: runs by (status, id), (workflow, id)
 * and started_at for ls; logs by (run_id, step_idx, seq) for one step's log;
 * the primary keys serve show and the event stream.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "event.h"
#include "store_impl.h"

/* ---- schema ---- */

static const char *const store_migrations[] = {
	/* 1: everything. */
	"CREATE TABLE workflows ("
	"  id INTEGER PRIMARY KEY,"
	"  hash TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL,"
	"  text TEXT NOT NULL);"
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  uuid TEXT NOT NULL UNIQUE,"
	"  workflow_id INTEGER NOT NULL REFERENCES workflows(id),"
	"  workflow TEXT NOT NULL,"
	"  file TEXT NOT NULL DEFAULT '',"
	"  args TEXT NOT NULL DEFAULT '{}',"
	"  user TEXT NOT NULL DEFAULT '',"
	"  host TEXT NOT NULL DEFAULT '',"
	"  pid INTEGER NOT NULL DEFAULT 0,"
	"  pid_start INTEGER NOT NULL DEFAULT 0,"
	"  status TEXT NOT NULL,"
	"  exit_code INTEGER,"
	"  started_at INTEGER NOT NULL,"
	"  ended_at INTEGER,"
	"  duration_ms INTEGER,"
	"  cost_usd REAL NOT NULL DEFAULT 0,"
	"  tokens_in INTEGER NOT NULL DEFAULT 0,"
	"  tokens_out INTEGER NOT NULL DEFAULT 0,"
	"  error TEXT,"
	"  retry_of INTEGER REFERENCES runs(id) ON DELETE SET NULL,"
	"  last_seq INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX runs_status ON runs(status, id);"
	"CREATE INDEX runs_workflow ON runs(workflow, id);"
	"CREATE INDEX runs_started ON runs(started_at);"
	"CREATE INDEX runs_workflow_id ON runs(workflow_id);"
	"CREATE INDEX runs_retry_of ON runs(retry_of);"
	"CREATE TABLE steps ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL,"
	"  id TEXT NOT NULL,"
	"  section TEXT NOT NULL DEFAULT 'steps',"
	"  kind TEXT NOT NULL DEFAULT '',"
	"  status TEXT NOT NULL DEFAULT 'pending',"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  exit_code INTEGER,"
	"  started_at INTEGER,"
	"  ended_at INTEGER,"
	"  duration_ms INTEGER,"
	"  cached INTEGER NOT NULL DEFAULT 0,"
	"  cost_usd REAL NOT NULL DEFAULT 0,"
	"  tokens_in INTEGER NOT NULL DEFAULT 0,"
	"  tokens_out INTEGER NOT NULL DEFAULT 0,"
	"  outputs TEXT,"
	"  error TEXT,"
	"  PRIMARY KEY (run_id, idx));"
	"CREATE TABLE attempts ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  step_idx INTEGER NOT NULL,"
	"  phase TEXT NOT NULL,"
	"  attempt INTEGER NOT NULL,"
	"  status TEXT NOT NULL,"
	"  pid INTEGER,"
	"  started_at INTEGER,"
	"  ended_at INTEGER,"
	"  exit_code INTEGER,"
	"  error TEXT,"
	"  outputs TEXT,"
	"  cost_usd REAL NOT NULL DEFAULT 0,"
	"  tokens_in INTEGER NOT NULL DEFAULT 0,"
	"  tokens_out INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (run_id, step_idx, phase, attempt));"
	"CREATE TABLE logs ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  step_idx INTEGER NOT NULL,"
	"  phase TEXT NOT NULL,"
	"  attempt INTEGER NOT NULL,"
	"  stream TEXT,"
	"  first_line INTEGER NOT NULL,"
	"  nlines INTEGER NOT NULL,"
	"  text TEXT NOT NULL,"
	"  PRIMARY KEY (run_id, seq));"
	"CREATE INDEX logs_step ON logs(run_id, step_idx, seq);"
	"CREATE TABLE events ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  type TEXT NOT NULL,"
	"  step_idx INTEGER,"
	"  phase TEXT NOT NULL,"
	"  attempt INTEGER NOT NULL,"
	"  status TEXT,"
	"  exit_code INTEGER,"
	"  data TEXT,"
	"  PRIMARY KEY (run_id, seq));"
	"CREATE TABLE approvals ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  step_idx INTEGER NOT NULL,"
	"  decision TEXT NOT NULL,"
	"  by_user TEXT,"
	"  comment TEXT,"
	"  refused INTEGER NOT NULL DEFAULT 0,"
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, seq));",
	/* 2: why a decision was refused, and what it was bound to. */
	"ALTER TABLE approvals ADD COLUMN reason TEXT;"
	"ALTER TABLE approvals ADD COLUMN hash TEXT;",
	/* 3: the result cache. */
	"CREATE TABLE cache ("
	"  workflow TEXT NOT NULL,"
	"  step TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  run_id INTEGER,"
	"  outputs TEXT,"
	"  exit_code INTEGER,"
	"  cost_usd REAL NOT NULL DEFAULT 0,"
	"  tokens_in INTEGER NOT NULL DEFAULT 0,"
	"  tokens_out INTEGER NOT NULL DEFAULT 0,"
	"  hits INTEGER NOT NULL DEFAULT 0,"
	"  saved_usd REAL NOT NULL DEFAULT 0,"
	"  last_hit INTEGER,"
	"  PRIMARY KEY (workflow, step, key));",
	/* 4: the state of alert rules. */
	"CREATE TABLE alerts ("
	"  name TEXT PRIMARY KEY,"
	"  firing INTEGER NOT NULL DEFAULT 0,"
	"  value REAL,"
	"  checked_at INTEGER NOT NULL,"
	"  fired_at INTEGER,"
	"  fired INTEGER NOT NULL DEFAULT 0,"
	"  run_id INTEGER);",
	/* 5: log text in a file per run (store_text.c); rows of older runs keep
	 * theirs in text. */
	"ALTER TABLE logs ADD COLUMN seg_off INTEGER;"
	"ALTER TABLE logs ADD COLUMN seg_len INTEGER;",
};

#define STORE_VERSION ((int)(sizeof store_migrations / sizeof store_migrations[0]))

static const char *const store_type_names[] = {
	[EV_RUN_START] = "run_start",
	[EV_STEP] = "step",
	[EV_LOG] = "log",
	[EV_APPROVAL] = "approval",
	[EV_NOTE] = "note",
	[EV_RUN_END] = "run_end",
};

static const char *const store_phase_names[] = {
	[PHASE_MAIN] = "main",
	[PHASE_FALLBACK] = "fallback",
	[PHASE_ROLLBACK] = "rollback",
};

#define N_TYPES (sizeof store_type_names / sizeof store_type_names[0])
#define N_PHASES (sizeof store_phase_names / sizeof store_phase_names[0])

const char *
store_type_name(unsigned type)
{
	if (type >= N_TYPES || store_type_names[type] == NULL)
		return "unknown";
	return store_type_names[type];
}

const char *
store_phase_name(unsigned phase)
{
	return phase < N_PHASES ? store_phase_names[phase] : "unknown";
}

const char *
store_stream_name(unsigned stream)
{
	switch (stream) {
	case STREAM_STDOUT:
		return "stdout";
	case STREAM_STDERR:
		return "stderr";
	}
	return NULL;
}

/* Index of name in names, or 0 (the first value) when unknown. */
static unsigned
store_name_parse(const char *const *names, size_t n, const char *name)
{
	if (name == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return (unsigned)i;
	}
	return 0;
}

unsigned
store_type_parse(const char *name)
{
	return store_name_parse(store_type_names, N_TYPES, name);
}

unsigned
store_phase_parse(const char *name)
{
	return store_name_parse(store_phase_names, N_PHASES, name);
}

/* ---- migrating ---- */

static int
store_user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	int rc = store_prepare(db, "PRAGMA user_version", &st);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* In one transaction: another process may migrate at the same time. */
int
store_migrate(struct store *s, struct err *e)
{
	int v = 0, rc;
	char sql[64];

	if ((rc = store_user_version(s->db, &v)) != SQLITE_OK)
		return store_errf(e, s->db, rc, "cannot open the history %s", s->path);
	if (v > STORE_VERSION)
		return err_set(e, "the history %s was written by a newer drover (schema "
		    "version %d, this drover knows up to %d): upgrade drover, or use another "
		    "database with --db or DROVER_DB", s->path, v, STORE_VERSION);
	if (v == STORE_VERSION)
		return 0;
	if (s->readonly) {
		if (v == 0) {
			/* Created but never written: nothing in it yet. */
			sqlite3_close(s->db);
			s->db = NULL;
			return 0;
		}
		err_set(e, "the history %s has schema version %d and needs upgrading to %d",
		    s->path, v, STORE_VERSION);
		return STORE_OUTDATED;
	}
	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_errf(e, s->db, rc, "cannot upgrade the history %s", s->path);
	/* Another process may have migrated while we waited for the lock. */
	rc = store_user_version(s->db, &v);
	for (int i = v; rc == SQLITE_OK && i < STORE_VERSION; i++)
		rc = sqlite3_exec(s->db, store_migrations[i], NULL, NULL, NULL);
	if (rc == SQLITE_OK && v < STORE_VERSION) {
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", STORE_VERSION);
		rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		store_errf(e, s->db, rc, "cannot upgrade the history %s to schema version %d",
		    s->path, STORE_VERSION);
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}
