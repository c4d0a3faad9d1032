/* store.c - the history in SQLite: schema and migrations, the writer
 * thread, and the queries behind ls, show and logs.
 *
 * The schema (migration 1; PRAGMA user_version counts the migrations that
 * ran).  Times are microseconds since the epoch; statuses, phases, streams
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
 *              at
 *
 * Everything hangs off runs with ON DELETE CASCADE, so retention deletes
 * runs rows and nothing else.  Indexes: runs by (status, id), (workflow, id)
 * and started_at for ls; logs by (run_id, step_idx, seq) for one step's log;
 * the primary keys serve show and the event stream.
 *
 * The writer: one thread per run, the gate reader of the run's ring, with
 * a connection of its own (callers keep using theirs):
 *
 *   ring --ring_read--> copy into the batch --apply--> open transaction
 *        <--ring_commit-- COMMIT at 4096 events, 50 ms, or an empty ring
 *
 * Each event is copied into the batch before it is applied: the gate has
 * read it, so the batch is now its only copy.  When SQLite fails (locked,
 * disk full, I/O error) the transaction is rolled back, the connection
 * closed, and the whole batch redone on a fresh connection every second,
 * each new message reported once.  Meanwhile the writer takes no more than
 * a batch from the ring (enough to notice its end), so the ring fills and
 * the executor pauses: back-pressure, never loss.  It gives up only when
 * the ring has ended and the last batch still fails after 30 seconds.
 *
 * Readers (ls, show, logs) use the connection of store_open.  A run of
 * this host still marked running whose lock nobody holds (runlock.h) has
 * lost its owner and is reported "interrupted".
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "json.h"
#include "monotime.h"
#include "ring.h"
#include "runlock.h"
#include "store.h"
#include "strbuf.h"
#include "xmalloc.h"

#define STORE_BUSY_MS 5000
#define STORE_BATCH_EVENTS 4096
#define STORE_BATCH_BYTES (8u << 20)	/* bounds the memory of a batch */
#define STORE_BATCH_MS 50
#define STORE_RETRY_MS 1000
#define STORE_GIVE_UP_MS 30000
#define STORE_MIN_PREFIX 4

struct store {
	sqlite3 *db;		/* NULL: a read-only open of a missing history */
	char *path;
	bool readonly;
};

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

static const char *
store_type_name(unsigned type)
{
	if (type >= N_TYPES || store_type_names[type] == NULL)
		return "unknown";
	return store_type_names[type];
}

static const char *
store_phase_name(unsigned phase)
{
	return phase < N_PHASES ? store_phase_names[phase] : "unknown";
}

static const char *
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
static int
store_name_parse(const char *const *names, size_t n, const char *name)
{
	if (name == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return (int)i;
	}
	return 0;
}

/* ---- errors ---- */

/* "PREFIX: what SQLite says", adding the system's reason when SQLite's
 * message alone ("unable to open database file") does not tell why. */
static int __attribute__((format(printf, 4, 5)))
store_errf(struct err *e, sqlite3 *db, int rc, const char *fmt, ...)
{
	char prefix[768];
	va_list ap;
	const char *msg;
	int sys = 0;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	if (db != NULL && sqlite3_errcode(db) != SQLITE_OK) {
		msg = sqlite3_errmsg(db);
		rc = sqlite3_errcode(db);
		sys = sqlite3_system_errno(db);
	} else {
		msg = sqlite3_errstr(rc);
	}
	switch (rc & 0xff) {
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_FULL:
	case SQLITE_PERM:
		if (sys != 0)
			return err_set(e, "%s: %s (%s)", prefix, msg, strerror(sys));
		break;
	}
	return err_set(e, "%s: %s", prefix, msg);
}

/* ---- small SQLite helpers ---- */

static int
store_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v2(db, sql, -1, st, NULL);
}

/* Runs a statement that returns no rows and resets it; a SQLite code. */
static int
store_step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_reset(st);
	return rc;
}

static void
store_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* Binds bytes that stay valid until the statement runs. */
static void
store_bind_bytes(sqlite3_stmt *st, int i, const char *s, size_t len)
{
	if (s != NULL)
		sqlite3_bind_text64(st, i, len > 0 ? s : "", len, SQLITE_STATIC, SQLITE_UTF8);
	else
		sqlite3_bind_null(st, i);
}

static bool
store_col_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL;
}

static const char *
store_col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

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

/* ---- SHA-256 of the workflow text (FIPS 180-4) ---- */

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = k + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) +
		    ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
		uint32_t t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) +
		    ((a & b) ^ (a & c) ^ (b & c));

		k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static void
sha256_hex(const void *data, size_t len, char out[65])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c,
	    0x1f83d9ab, 0x5be0cd19 };
	const unsigned char *p = data;
	unsigned char tail[128];
	size_t rest = len % 64, n;
	uint64_t bits = (uint64_t)len * 8;

	for (size_t i = 0; i + 64 <= len; i += 64)
		sha256_block(h, p + i);
	memset(tail, 0, sizeof tail);
	if (rest > 0)
		memcpy(tail, p + len - rest, rest);
	tail[rest] = 0x80;
	n = rest < 56 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[n - 1 - i] = (unsigned char)(bits >> (8 * i));
	sha256_block(h, tail);
	if (n == 128)
		sha256_block(h, tail + 64);
	for (int i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08" PRIx32, h[i]);
}

/* ---- owners ---- */

/* What deciding "interrupted" needs, taken once per query. */
struct store_here {
	const struct store *s;
	int64_t now;
	char host[256];
};

static void
store_here_init(struct store_here *h, const struct store *s)
{
	h->s = s;
	h->now = event_now();
	if (gethostname(h->host, sizeof h->host) != 0)
		h->host[0] = '\0';
	h->host[sizeof h->host - 1] = '\0';
}

/* Whether a run marked running still has its owner: the process holding
 * its lock (runlock.h).  Only a run of this host can be checked; one of
 * another host is taken to be alive, and so is one whose lock cannot be
 * read. */
static bool
store_owner_alive(const struct store_here *h, const char *host, const char *uuid)
{
	if (host == NULL || uuid == NULL || h->host[0] == '\0' || strcmp(host, h->host) != 0)
		return true;
	return runlock_probe(h->s->path, uuid) != RUNLOCK_FREE;
}

/* ---- opening ---- */

/* mkdir -p of path's directory, mode 0700 for what it creates. */
static int
store_make_parents(const char *path, struct err *e)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	struct stat sb;
	int rc = 0;

	if (slash == NULL || slash == dir) {
		free(dir);
		return 0;
	}
	*slash = '\0';
	for (char *p = dir + 1, c; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			rc = err_set(e, "cannot create the directory %s for the history %s: %s",
			    dir, path, strerror(errno));
			break;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	if (rc == 0 && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
		rc = err_set(e, "cannot open the history %s: %s is not a directory", path, dir);
	free(dir);
	return rc;
}

/* Applies the migrations this database has not had, in one transaction;
 * refuses a database from a newer drover. */
static int
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
		return err_set(e, "the history %s has schema version %d and needs upgrading "
		    "to %d: run a drover command that writes to it (drover run) first", s->path,
		    v, STORE_VERSION);
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

/* The settings every connection gets; journal_mode is the file's and
 * sticks once set. */
static int
store_configure(sqlite3 *db, bool readonly)
{
	int rc;

	sqlite3_busy_timeout(db, STORE_BUSY_MS);
	if (!readonly) {
		rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	return sqlite3_exec(db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", NULL,
	    NULL, NULL);
}

/* The history holds commands and outputs: it is the user's alone (0600),
 * and SQLite gives its -wal and -shm files the database file's mode.  A
 * history an older drover left readable by others is closed up. */
static void
store_make_private(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };

	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		char *p = xasprintf("%s%s", path, suffixes[i]);
		int fd = open(p, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (i == 0 ? O_CREAT : 0),
		    0600);
		struct stat st;

		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid() && (st.st_mode & 077) != 0)
			fchmod(fd, st.st_mode & 0700);
		if (fd >= 0)
			close(fd);
		free(p);
	}
}

struct store *
store_open(const char *path, bool readonly, struct err *e)
{
	struct store *s = xcalloc(1, sizeof *s);
	int flags, rc;

	s->path = xstrdup(path);
	s->readonly = readonly;
	if (readonly) {
		if (access(path, F_OK) != 0 && errno == ENOENT)
			return s;	/* nothing was ever recorded here */
		flags = SQLITE_OPEN_READONLY;
	} else {
		if (store_make_parents(path, e) < 0)
			goto fail;
		store_make_private(path);
		flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	}
	rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc == SQLITE_OK)
		rc = store_configure(s->db, readonly);
	if (rc != SQLITE_OK) {
		store_errf(e, s->db, rc, "cannot open the history %s", path);
		goto fail;
	}
	if (store_migrate(s, e) < 0)
		goto fail;
	return s;

fail:
	store_close(s);
	return NULL;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

char *
store_default_path(void)
{
	const char *v = getenv("DROVER_DB"), *home;

	if (v != NULL && *v != '\0')
		return xstrdup(v);
	v = getenv("XDG_STATE_HOME");
	/* The XDG spec ignores relative values. */
	if (v != NULL && *v == '/')
		return xasprintf("%s/drover/history.db", v);
	home = getenv("HOME");
	if (home == NULL || *home == '\0')
		home = "/";
	return xasprintf("%s/.local/state/drover/history.db", strcmp(home, "/") == 0 ? "" : home);
}

static int
store_writable(const struct store *s, struct err *e)
{
	if (s->readonly)
		return err_set(e, "the history %s was opened read-only", s->path);
	return 0;
}

/* ---- recording a run ---- */

void
store_new_uuid(char out[37])
{
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof b) {
		ssize_t n = getrandom(b + got, sizeof b - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

			if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b)
				fatal("cannot read random bytes for a run UUID: %s",
				    strerror(errno));
			close(fd);
			break;
		}
		got += (size_t)n;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
	    b[14], b[15]);
}

static int
store_insert_run(struct store *s, const struct store_run_info *ri, int64_t *run,
    const char *uuid)
{
	static const char *const sql[] = {
		"INSERT INTO workflows (hash, name, text) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (hash) DO NOTHING",
		"SELECT id FROM workflows WHERE hash = ?1",
		"INSERT INTO runs (uuid, workflow_id, workflow, file, args, user, host, pid,"
		" status, started_at, retry_of)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'running', ?9, ?10)",
		"INSERT INTO steps (run_id, idx, id, section, kind) VALUES (?1, ?2, ?3, ?4, ?5)",
	};
	sqlite3_stmt *st[4] = { NULL };
	char hash[65];
	int64_t wf_id = 0;
	int rc = SQLITE_OK;

	sha256_hex(ri->text != NULL ? ri->text : "", ri->text != NULL ? ri->text_len : 0, hash);
	for (size_t i = 0; i < 4 && rc == SQLITE_OK; i++)
		rc = store_prepare(s->db, sql[i], &st[i]);
	if (rc != SQLITE_OK)
		goto out;

	sqlite3_bind_text(st[0], 1, hash, -1, SQLITE_STATIC);
	store_bind_text(st[0], 2, ri->workflow != NULL ? ri->workflow : "");
	store_bind_bytes(st[0], 3, ri->text != NULL ? ri->text : "",
	    ri->text != NULL ? ri->text_len : 0);
	if ((rc = store_step_done(st[0])) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st[1], 1, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st[1]);
	if (rc != SQLITE_ROW)
		goto out;
	wf_id = sqlite3_column_int64(st[1], 0);

	sqlite3_bind_text(st[2], 1, uuid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st[2], 2, wf_id);
	store_bind_text(st[2], 3, ri->workflow != NULL ? ri->workflow : "");
	store_bind_text(st[2], 4, ri->file != NULL ? ri->file : "");
	store_bind_text(st[2], 5, ri->args_json != NULL ? ri->args_json : "{}");
	store_bind_text(st[2], 6, ri->user != NULL ? ri->user : "");
	store_bind_text(st[2], 7, ri->host != NULL ? ri->host : "");
	sqlite3_bind_int(st[2], 8, ri->pid);
	sqlite3_bind_int64(st[2], 9, event_now());
	if (ri->retry_of > 0)
		sqlite3_bind_int64(st[2], 10, ri->retry_of);
	if ((rc = store_step_done(st[2])) != SQLITE_OK)
		goto out;
	*run = sqlite3_last_insert_rowid(s->db);

	for (size_t i = 0; i < ri->n_steps && rc == SQLITE_OK; i++) {
		const struct store_step_info *si = &ri->steps[i];

		sqlite3_bind_int64(st[3], 1, *run);
		sqlite3_bind_int64(st[3], 2, (int64_t)i);
		store_bind_text(st[3], 3, si->id != NULL ? si->id : "");
		store_bind_text(st[3], 4, si->section != NULL ? si->section : "steps");
		store_bind_text(st[3], 5, si->kind != NULL ? si->kind : "");
		rc = store_step_done(st[3]);
	}
out:
	if (rc == SQLITE_DONE)
		rc = SQLITE_ERROR;	/* no workflow row: cannot happen in a transaction */
	for (size_t i = 0; i < 4; i++)
		sqlite3_finalize(st[i]);
	return rc;
}

int
store_run_create(struct store *s, const struct store_run_info *ri, const char *uuid,
    int64_t *run, struct err *e)
{
	int rc;

	if (store_writable(s, e) < 0)
		return -1;
	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = store_insert_run(s, ri, run, uuid);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		store_errf(e, s->db, rc, "cannot record the new run of %s in the history %s",
		    ri->workflow != NULL ? ri->workflow : "a workflow", s->path);
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* The takeover itself: the run is still marked running (its last owner did
 * not end it), and the attempts that owner left running were interrupted
 * (they were killed with it, or just before this). */
static int
store_adopt(struct store *s, int64_t run, int pid, char *status, size_t size)
{
	static const char *const sql[] = {
		"SELECT status FROM runs WHERE id = ?1",
		"UPDATE attempts SET status = 'interrupted', ended_at = ?2,"
		" error = (SELECT printf('its drover process (pid %d on %s) ended while it ran;"
		" pid %d took the run over', r.pid, r.host, ?3)"
		" FROM runs r WHERE r.id = ?1)"
		" WHERE run_id = ?1 AND status = 'running'",
		"UPDATE runs SET pid = ?3, status = 'running', exit_code = NULL, ended_at = NULL,"
		" duration_ms = NULL, error = NULL WHERE id = ?1",
	};
	sqlite3_stmt *st[3] = { NULL };
	int rc = SQLITE_OK;

	for (size_t i = 0; i < 3 && rc == SQLITE_OK; i++)
		rc = store_prepare(s->db, sql[i], &st[i]);
	if (rc != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st[0], 1, run);
	if ((rc = sqlite3_step(st[0])) != SQLITE_ROW)
		goto out;
	snprintf(status, size, "%s", store_col_text(st[0], 0) != NULL ?
	    store_col_text(st[0], 0) : "?");
	rc = SQLITE_OK;
	if (strcmp(status, "running") != 0)
		goto out;
	for (size_t i = 1; i < 3 && rc == SQLITE_OK; i++) {
		sqlite3_bind_int64(st[i], 1, run);
		sqlite3_bind_int64(st[i], 2, event_now());
		sqlite3_bind_int(st[i], 3, pid);
		rc = store_step_done(st[i]);
	}
out:
	for (size_t i = 0; i < 3; i++)
		sqlite3_finalize(st[i]);
	return rc;
}

int
store_run_adopt(struct store *s, int64_t run, int pid, struct err *e)
{
	char status[32] = "";
	int rc;

	if (store_writable(s, e) < 0)
		return -1;
	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = store_adopt(s, run, pid, status, sizeof status);
	if (rc == SQLITE_OK && strcmp(status, "running") == 0)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_DONE)
		store_errf(e, s->db, rc, "cannot take over run %" PRId64 " in the history %s", run,
		    s->path);
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (rc == SQLITE_DONE)
		return err_set(e, "no run %" PRId64 " in the history (%s)", run, s->path);
	if (rc != SQLITE_OK)
		return -1;
	if (strcmp(status, "running") != 0)
		return err_set(e, "run %" PRId64 " has ended (%s) meanwhile: there is nothing to "
		    "resume", run, status);
	return 0;
}

/* ---- the writer ---- */

enum {
	WS_BEGIN, WS_COMMIT,
	WS_EVENT, WS_LOG, WS_APPROVAL,
	WS_RUN_START, WS_RUN_END, WS_LAST_SEQ,
	WS_STEP_RUNNING, WS_STEP_STATUS, WS_STEP_FINAL, WS_STEP_COST,
	WS_ATTEMPT_BEGIN, WS_ATTEMPT_END, WS_ATTEMPT_END_RUNNING, WS_FALLBACK_END,
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
	    " stream, first_line, nlines, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[WS_APPROVAL] = "INSERT OR REPLACE INTO approvals (run_id, seq, step_idx, decision,"
	    " by_user, comment, refused, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
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
	bool in_txn;
	struct store_batch b;

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

	store_errf(&e, w->db, rc, "cannot write run %" PRId64 " to the history %s", w->run,
	    w->path);
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

	if (ring_reader_abandoned(w->gate) || count * 10 >= STORE_BUSY_MS)
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

	return o != NULL && !cJSON_IsNull(o) ? cJSON_PrintUnformatted(o) : NULL;
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

static int
store_apply_log(struct store_writer *w, const struct event *ev)
{
	sqlite3_stmt *st = w->st[WS_LOG];

	sqlite3_bind_int64(st, 1, w->run);
	sqlite3_bind_int64(st, 2, (int64_t)ev->seq);
	sqlite3_bind_int64(st, 3, ev->ts);
	sqlite3_bind_int(st, 4, ev->step);
	sqlite3_bind_text(st, 5, store_phase_name(ev->phase), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, ev->attempt);
	store_bind_text(st, 7, store_stream_name(ev->stream));
	sqlite3_bind_int64(st, 8, (int64_t)ev->first_line);
	sqlite3_bind_int64(st, 9, ev->nlines);
	store_bind_bytes(st, 10, ev->data, ev->len);
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
	cJSON_free(outputs);
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
	cJSON_free(outputs);
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
	ring_commit(w->gate, last);
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
		/* With events pending, an empty ring is the moment to commit. */
		switch (ring_read(w->gate, &ev, w->b.n > 0 ? 0 : -1)) {
		case RING_EVENT:
			if (store_writer_add(w, &ev) < 0)
				failing = true;
			else if ((store_batch_full(&w->b) ||
			    monotime_ms() - w->b.began_ms >= STORE_BATCH_MS) &&
			    store_writer_commit(w) < 0)
				failing = true;
			break;
		case RING_EMPTY:
			if (w->b.n > 0 && store_writer_commit(w) < 0)
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
	if (w->db != NULL && w->in_txn)
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
	return NULL;
}

struct store_writer *
store_writer_start(struct store *s, int64_t run, struct ring_reader *gate,
    store_error_fn *on_error, void *ud)
{
	struct store_writer *w = xcalloc(1, sizeof *w);
	sigset_t all, old;
	int rc;

	w->path = xstrdup(s->path);
	w->run = run;
	w->gate = gate;
	w->on_error = on_error;
	w->ud = ud;
	/* The store thread never takes signals: they are the executor's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, store_writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		fatal("cannot start the history writer: %s", strerror(rc));
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
	for (int i = 0; i < WS_N; i++)
		sqlite3_finalize(w->st[i]);
	sqlite3_close(w->db);
	free(w->b.ev);
	free(w->b.off);
	sb_fini(&w->b.buf);
	free(w->path);
	free(w);
	return rc;
}

/* ---- reading ---- */

static int
store_no_run(const struct store *s, int64_t run, struct err *e)
{
	return err_set(e, "no run %" PRId64 " in the history (%s)", run, s->path);
}

static bool
store_all_digits(const char *p)
{
	if (*p == '\0')
		return false;
	for (; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
	}
	return true;
}

/* -1 on a SQLite error, 0 when absent, 1 when the run is there. */
static int
store_run_exists(struct store *s, int64_t run)
{
	sqlite3_stmt *st;
	int rc = store_prepare(s->db, "SELECT 1 FROM runs WHERE id = ?1", &st);

	if (rc != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, run);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
store_find_prefix(struct store *s, const char *ref, int64_t *run, struct err *e)
{
	char prefix[64], upper[66];
	size_t n = 0, hex = 0;
	sqlite3_stmt *st;
	int rc, matches = 0;

	for (const char *p = ref; *p != '\0'; p++) {
		if (n + 1 >= sizeof prefix || !(isxdigit((unsigned char)*p) || *p == '-'))
			return err_set(e, "'%s' is not a run: give its number (42) or the start "
			    "of its UUID", ref);
		hex += *p != '-';
		prefix[n++] = (char)tolower((unsigned char)*p);
	}
	prefix[n] = '\0';
	if (hex < STORE_MIN_PREFIX)
		return err_set(e, "run prefix '%s' is too short: give at least %d characters of "
		    "the UUID", ref, STORE_MIN_PREFIX);
	if (s->db == NULL)
		return err_set(e, "no run matches '%s' in the history (%s)", ref, s->path);
	/* Every UUID character sorts before '~': a range the index answers. */
	snprintf(upper, sizeof upper, "%s~", prefix);
	rc = store_prepare(s->db, "SELECT id FROM runs WHERE uuid >= ?1 AND uuid < ?2", &st);
	if (rc != SQLITE_OK)
		return store_errf(e, s->db, rc, "cannot read the history %s", s->path);
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, upper, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (matches++ == 0)
			*run = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_errf(e, s->db, rc, "cannot read the history %s", s->path);
	if (matches == 0)
		return err_set(e, "no run matches '%s' in the history (%s)", ref, s->path);
	if (matches > 1)
		return err_set(e, "run prefix '%s' matches %d runs; give more of the UUID", ref,
		    matches);
	return 0;
}

int
store_find_run(struct store *s, const char *ref, int64_t *run, struct err *e)
{
	long long n;
	int rc;

	if (ref == NULL || *ref == '\0')
		return err_set(e, "no run given: give its number (42) or the start of its UUID");
	if (!store_all_digits(ref))
		return store_find_prefix(s, ref, run, e);
	errno = 0;
	n = strtoll(ref, NULL, 10);
	if (errno == ERANGE || n <= 0 || s->db == NULL)
		return err_set(e, "no run %s in the history (%s)", ref, s->path);
	rc = store_run_exists(s, n);
	if (rc < 0)
		return store_errf(e, s->db, SQLITE_ERROR, "cannot read the history %s", s->path);
	/* A UUID may begin with digits only: "20394817" is a prefix when no run
	 * has that number. */
	if (rc == 0 && strlen(ref) >= 4 && store_find_prefix(s, ref, run, NULL) == 0)
		return 0;
	if (rc == 0)
		return store_no_run(s, n, e);
	*run = n;
	return 0;
}

/* The columns store_json_run reads, in its order.  While a run is going,
 * its cost is the sum of its steps' so far. */
#define STORE_RUN_COLUMNS \
	"r.id, r.uuid, r.workflow, r.status, r.exit_code, r.user, r.host, r.started_at," \
	" r.ended_at, r.duration_ms," \
	" CASE WHEN r.status = 'running' THEN" \
	"  (SELECT total(cost_usd) FROM steps WHERE run_id = r.id) ELSE r.cost_usd END," \
	" CASE WHEN r.status = 'running' THEN" \
	"  (SELECT coalesce(sum(tokens_in), 0) FROM steps WHERE run_id = r.id)" \
	"  ELSE r.tokens_in END," \
	" CASE WHEN r.status = 'running' THEN" \
	"  (SELECT coalesce(sum(tokens_out), 0) FROM steps WHERE run_id = r.id)" \
	"  ELSE r.tokens_out END," \
	" r.args, r.file, r.retry_of, r.error, r.last_seq"

enum {
	RC_ID, RC_UUID, RC_WORKFLOW, RC_STATUS, RC_EXIT, RC_USER, RC_HOST, RC_STARTED,
	RC_ENDED, RC_DURATION, RC_COST, RC_TIN, RC_TOUT, RC_ARGS, RC_FILE, RC_RETRY_OF,
	RC_ERROR, RC_LAST_SEQ,
};

static void
store_json_time(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	char buf[40];

	if (store_col_null(st, col)) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	event_time_rfc3339(sqlite3_column_int64(st, col), buf, sizeof buf);
	cJSON_AddStringToObject(o, key, buf);
}

static void
store_json_int(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	if (store_col_null(st, col))
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, (double)sqlite3_column_int64(st, col));
}

static void
store_json_text(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	const char *t = store_col_text(st, col);

	if (t == NULL)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, t);
}

/* Parsed JSON from a column; fallback (a fresh {} or null) when absent
 * or not JSON. */
static cJSON *
store_col_json(sqlite3_stmt *st, int col, bool object)
{
	const char *t = store_col_text(st, col);
	cJSON *j = NULL;

	if (t != NULL)
		j = cJSON_ParseWithLength(t, (size_t)sqlite3_column_bytes(st, col));
	if (j != NULL)
		return j;
	return object ? cJSON_CreateObject() : cJSON_CreateNull();
}

/* Whether a row's run is marked running but its owner is gone. */
static bool
store_row_interrupted(sqlite3_stmt *st, const struct store_here *h)
{
	const char *status = store_col_text(st, RC_STATUS);

	if (status == NULL || strcmp(status, "running") != 0)
		return false;
	return !store_owner_alive(h, store_col_text(st, RC_HOST), store_col_text(st, RC_UUID));
}

/* One run as ls shows it, from a row of STORE_RUN_COLUMNS. */
static cJSON *
store_json_run(sqlite3_stmt *st, const struct store_here *h, bool interrupted)
{
	cJSON *o = cJSON_CreateObject();
	const char *status = store_col_text(st, RC_STATUS);
	bool running = !interrupted && status != NULL && strcmp(status, "running") == 0;

	cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, RC_ID));
	store_json_text(o, "uuid", st, RC_UUID);
	store_json_text(o, "workflow", st, RC_WORKFLOW);
	cJSON_AddStringToObject(o, "status", interrupted ? run_status_name(RUN_INTERRUPTED) :
	    status != NULL ? status : "unknown");
	if (running || interrupted)
		cJSON_AddNullToObject(o, "exit_code");
	else
		store_json_int(o, "exit_code", st, RC_EXIT);
	store_json_text(o, "user", st, RC_USER);
	store_json_text(o, "host", st, RC_HOST);
	store_json_time(o, "started_at", st, RC_STARTED);
	store_json_time(o, "ended_at", st, RC_ENDED);
	if (!store_col_null(st, RC_DURATION))
		store_json_int(o, "duration_ms", st, RC_DURATION);
	else if (!store_col_null(st, RC_ENDED))
		cJSON_AddNumberToObject(o, "duration_ms", (double)((sqlite3_column_int64(st,
		    RC_ENDED) - sqlite3_column_int64(st, RC_STARTED)) / 1000));
	else if (running)
		cJSON_AddNumberToObject(o, "duration_ms",
		    (double)((h->now - sqlite3_column_int64(st, RC_STARTED)) / 1000));
	else
		cJSON_AddNullToObject(o, "duration_ms");	/* interrupted: nobody knows */
	cJSON_AddNumberToObject(o, "cost_usd", sqlite3_column_double(st, RC_COST));
	cJSON_AddNumberToObject(o, "tokens_in", (double)sqlite3_column_int64(st, RC_TIN));
	cJSON_AddNumberToObject(o, "tokens_out", (double)sqlite3_column_int64(st, RC_TOUT));
	cJSON_AddItemToObject(o, "args", store_col_json(st, RC_ARGS, true));
	store_json_text(o, "file", st, RC_FILE);
	store_json_int(o, "retry_of", st, RC_RETRY_OF);
	store_json_text(o, "error", st, RC_ERROR);
	return o;
}

#define STORE_FILTER_WORDS 16
#define STORE_WORD_PARAM 10	/* ?10, ?11...: the words of a filter text */

/* The words of a filter text, lower-cased, in words (at most
 * STORE_FILTER_WORDS); a word naming a status (after "status:" or alone)
 * goes to *status instead, once.  Returns the number of words, -1 when
 * there are too many or two statuses. */
static int
store_filter_words(char *copy, char **words, const char **status, struct err *e)
{
	char *save = NULL;
	int n = 0;

	for (char *w = strtok_r(copy, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		for (char *p = w; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strncmp(w, "status:", 7) == 0 || run_status_parse(w) >= 0) {
			w += strncmp(w, "status:", 7) == 0 ? 7 : 0;
			if (*status != NULL && strcmp(*status, w) != 0)
				return err_set(e, "a run has one status, not both '%s' and '%s'",
				    *status, w);
			*status = w;
			continue;
		}
		if (n == STORE_FILTER_WORDS)
			return err_set(e, "too many words in the filter (at most %d)",
			    STORE_FILTER_WORDS);
		words[n++] = w;
	}
	return n;
}

/* The SQL for word i of a filter text. */
static void
store_filter_sql(struct strbuf *sql, const char *w, int i)
{
	int p = STORE_WORD_PARAM + i;

	if (strncmp(w, "workflow:", 9) == 0) {
		sb_addf(sql, " AND instr(lower(r.workflow), substr(?%d, 10)) > 0", p);
		return;
	}
	sb_addf(sql, " AND (instr(lower(r.status), ?%d) > 0 OR instr(lower(r.workflow), ?%d) > 0"
	    " OR instr(lower(r.user), ?%d) > 0 OR substr(r.uuid, 1, length(?%d)) = ?%d", p, p, p, p,
	    p);
	if (store_all_digits(w))
		sb_addf(sql, " OR r.id = CAST(?%d AS INTEGER)", p);
	sb_adds(sql, ")");
}

cJSON *
store_list_runs(struct store *s, const struct store_filter *f, struct err *e)
{
	static const struct store_filter none = { 0 };
	struct strbuf sql = STRBUF_INIT;
	struct store_here h;
	sqlite3_stmt *st = NULL;
	const char *status;
	char *text = NULL, *words[STORE_FILTER_WORDS];
	cJSON *list;
	int rc, want_live = -1, n = 0, n_words = 0;
	bool sql_limit;

	if (f == NULL)
		f = &none;
	status = f->status;
	if (f->text != NULL) {
		text = xstrdup(f->text);
		if ((n_words = store_filter_words(text, words, &status, e)) < 0) {
			free(text);
			return NULL;
		}
	}
	if (status != NULL && run_status_parse(status) < 0) {
		err_set(e, "unknown run status '%s'; one of running, succeeded, failed, "
		    "cancelled, rejected, timed_out, budget_exceeded, interrupted", status);
		free(text);
		return NULL;
	}
	list = cJSON_CreateArray();
	if (s->db == NULL) {
		free(text);
		return list;
	}
	/* "running" and "interrupted" are both running in SQL; C tells them apart. */
	if (status != NULL && strcmp(status, "running") == 0)
		want_live = 1;
	else if (status != NULL && strcmp(status, "interrupted") == 0)
		want_live = 0;
	sql_limit = want_live < 0 && f->limit > 0;

	sb_adds(&sql, "SELECT " STORE_RUN_COLUMNS " FROM runs r WHERE 1");
	if (status != NULL)
		sb_adds(&sql, " AND r.status = ?1");
	if (f->workflow != NULL)
		sb_adds(&sql, " AND r.workflow = ?2");
	/*
	 * Left to itself SQLite walks every run newest first to test started_at.
	 * The smallest id started since then (an index lookup) bounds that walk
	 * exactly, whatever the clock did; the + keeps the order by id.
	 */
	if (f->since_us > 0)
		sb_adds(&sql, " AND r.id >= (SELECT min(id) FROM runs INDEXED BY runs_started"
		    " WHERE started_at >= ?3)"
		    " AND +r.started_at >= ?3");
	if (f->before > 0)
		sb_adds(&sql, " AND r.id < ?5");
	if (f->after > 0)
		sb_adds(&sql, " AND r.id > ?6");
	for (int i = 0; i < n_words; i++)
		store_filter_sql(&sql, words[i], i);
	sb_adds(&sql, f->oldest_first ? " ORDER BY r.id" : " ORDER BY r.id DESC");
	if (sql_limit)
		sb_adds(&sql, " LIMIT ?4");
	rc = store_prepare(s->db, sb_str(&sql), &st);
	sb_fini(&sql);
	if (rc != SQLITE_OK)
		goto fail;
	if (status != NULL)
		sqlite3_bind_text(st, 1, want_live >= 0 ? "running" : status, -1, SQLITE_STATIC);
	if (f->workflow != NULL)
		sqlite3_bind_text(st, 2, f->workflow, -1, SQLITE_STATIC);
	if (f->since_us > 0)
		sqlite3_bind_int64(st, 3, f->since_us);
	if (sql_limit)
		sqlite3_bind_int(st, 4, f->limit);
	if (f->before > 0)
		sqlite3_bind_int64(st, 5, f->before);
	if (f->after > 0)
		sqlite3_bind_int64(st, 6, f->after);
	for (int i = 0; i < n_words; i++)
		sqlite3_bind_text(st, STORE_WORD_PARAM + i, words[i], -1, SQLITE_STATIC);

	store_here_init(&h, s);
	while ((f->limit <= 0 || n < f->limit) && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		bool interrupted = store_row_interrupted(st, &h);

		if (want_live >= 0 && interrupted == (want_live == 1))
			continue;
		cJSON_AddItemToArray(list, store_json_run(st, &h, interrupted));
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE && rc != SQLITE_OK)
		goto fail;
	sqlite3_finalize(st);
	free(text);
	return list;

fail:
	store_errf(e, s->db, rc, "cannot list the runs in the history %s", s->path);
	sqlite3_finalize(st);
	cJSON_Delete(list);
	free(text);
	return NULL;
}

/* The attempt lists of a run's steps, by step index. */
struct store_alist {
	int idx;
	cJSON *list;
};

static int
store_alist_cmp(const void *a, const void *b)
{
	const struct store_alist *x = a, *y = b;

	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int
store_get_steps(struct store *s, int64_t run, cJSON *o, const struct store_here *h,
    bool live)
{
	static const char *const sql_steps =
	    "SELECT idx, id, status, attempts, exit_code, started_at, ended_at, duration_ms,"
	    " cached, cost_usd, tokens_in, tokens_out, outputs, error, section, kind"
	    " FROM steps WHERE run_id = ?1 ORDER BY idx";
	static const char *const sql_attempts =
	    "SELECT step_idx, attempt, phase, status, started_at, ended_at, exit_code, error"
	    " FROM attempts WHERE run_id = ?1 ORDER BY step_idx,"
	    " CASE phase WHEN 'main' THEN 0 WHEN 'fallback' THEN 1 ELSE 2 END, attempt";
	static const char *const sql_approvals =
	    "SELECT s.id, a.decision, a.by_user, a.comment, a.at, a.refused FROM approvals a"
	    " LEFT JOIN steps s ON s.run_id = a.run_id AND s.idx = a.step_idx"
	    " WHERE a.run_id = ?1 ORDER BY a.seq";
	sqlite3_stmt *st = NULL;
	cJSON *steps = cJSON_AddArrayToObject(o, "steps");
	cJSON *approvals = cJSON_AddArrayToObject(o, "approvals");
	struct store_alist *al = NULL, key, *hit;
	size_t n = 0, cap = 0;
	int rc;

	if ((rc = store_prepare(s->db, sql_steps, &st)) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, run);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *j = cJSON_CreateObject();
		const char *status = store_col_text(st, 2);

		cJSON_AddItemToArray(steps, j);
		store_json_text(j, "id", st, 1);
		store_json_text(j, "status", st, 2);
		cJSON_AddNumberToObject(j, "attempts", sqlite3_column_int(st, 3));
		store_json_int(j, "exit_code", st, 4);
		store_json_time(j, "started_at", st, 5);
		store_json_time(j, "ended_at", st, 6);
		if (!store_col_null(st, 7))
			store_json_int(j, "duration_ms", st, 7);
		else if (live && !store_col_null(st, 5) && status != NULL &&
		    (strcmp(status, "running") == 0 || strcmp(status, "retrying") == 0))
			cJSON_AddNumberToObject(j, "duration_ms",
			    (double)((h->now - sqlite3_column_int64(st, 5)) / 1000));
		else
			cJSON_AddNullToObject(j, "duration_ms");
		cJSON_AddBoolToObject(j, "cached", sqlite3_column_int(st, 8) != 0);
		cJSON_AddNumberToObject(j, "cost_usd", sqlite3_column_double(st, 9));
		cJSON_AddNumberToObject(j, "tokens_in", (double)sqlite3_column_int64(st, 10));
		cJSON_AddNumberToObject(j, "tokens_out", (double)sqlite3_column_int64(st, 11));
		cJSON_AddItemToObject(j, "outputs", store_col_json(st, 12, true));
		store_json_text(j, "error", st, 13);
		store_json_text(j, "section", st, 14);
		store_json_text(j, "kind", st, 15);
		xgrow(&al, &cap, n + 1, sizeof *al);
		al[n].idx = sqlite3_column_int(st, 0);
		al[n++].list = cJSON_AddArrayToObject(j, "attempt_list");
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto out;

	/* Steps come by idx, so al is sorted. */
	if ((rc = store_prepare(s->db, sql_attempts, &st)) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, run);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *j;

		key.idx = sqlite3_column_int(st, 0);
		hit = n > 0 ? bsearch(&key, al, n, sizeof *al, store_alist_cmp) : NULL;
		if (hit == NULL)
			continue;
		j = cJSON_CreateObject();
		cJSON_AddItemToArray(hit->list, j);
		cJSON_AddNumberToObject(j, "attempt", sqlite3_column_int(st, 1));
		store_json_text(j, "phase", st, 2);
		store_json_text(j, "status", st, 3);
		store_json_time(j, "started_at", st, 4);
		store_json_time(j, "ended_at", st, 5);
		store_json_int(j, "exit_code", st, 6);
		store_json_text(j, "error", st, 7);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto out;

	if ((rc = store_prepare(s->db, sql_approvals, &st)) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, run);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddItemToArray(approvals, j);
		store_json_text(j, "step", st, 0);
		store_json_text(j, "decision", st, 1);
		store_json_text(j, "by", st, 2);
		store_json_text(j, "comment", st, 3);
		store_json_time(j, "at", st, 4);
		cJSON_AddBoolToObject(j, "refused", sqlite3_column_int(st, 5) != 0);
	}
out:
	sqlite3_finalize(st);
	free(al);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Ends a read transaction; never leaves the connection on an old snapshot. */
static void
store_read_end(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

cJSON *
store_get_run(struct store *s, int64_t run, struct err *e)
{
	struct store_here h;
	sqlite3_stmt *st = NULL;
	cJSON *o = NULL;
	const char *status;
	bool interrupted, live;
	int rc = SQLITE_OK;

	if (s->db == NULL) {
		store_no_run(s, run, e);
		return NULL;
	}
	/* One read transaction: the run and its steps from the same moment. */
	if (sqlite3_get_autocommit(s->db))
		rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = store_prepare(s->db, "SELECT " STORE_RUN_COLUMNS " FROM runs r"
		    " WHERE r.id = ?1", &st);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, run);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		store_read_end(s);
		store_no_run(s, run, e);
		return NULL;
	}
	if (rc != SQLITE_ROW)
		goto fail;
	store_here_init(&h, s);
	interrupted = store_row_interrupted(st, &h);
	status = store_col_text(st, RC_STATUS);
	live = !interrupted && status != NULL && strcmp(status, "running") == 0;
	o = store_json_run(st, &h, interrupted);
	cJSON_AddNumberToObject(o, "last_seq", (double)sqlite3_column_int64(st, RC_LAST_SEQ));
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = store_get_steps(s, run, o, &h, live)) != SQLITE_OK)
		goto fail;
	store_read_end(s);
	return o;

fail:
	store_errf(e, s->db, rc, "cannot read run %" PRId64 " from the history %s", run, s->path);
	sqlite3_finalize(st);
	store_read_end(s);
	cJSON_Delete(o);
	return NULL;
}

int
store_run_workflow(struct store *s, int64_t run, char **text, size_t *len, char **file,
    struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (s->db == NULL)
		return store_no_run(s, run, e);
	rc = store_prepare(s->db, "SELECT w.text, r.file FROM runs r"
	    " JOIN workflows w ON w.id = r.workflow_id WHERE r.id = ?1", &st);
	if (rc != SQLITE_OK)
		return store_errf(e, s->db, rc, "cannot read run %" PRId64 " from the history %s",
		    run, s->path);
	sqlite3_bind_int64(st, 1, run);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *t = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);

		*text = xmalloc(n + 1);
		if (n > 0)
			memcpy(*text, t, n);
		(*text)[n] = '\0';
		if (len != NULL)
			*len = n;
		*file = xstrdup(store_col_text(st, 1) != NULL ? store_col_text(st, 1) : "");
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return store_no_run(s, run, e);
	return store_errf(e, s->db, rc, "cannot read run %" PRId64 " from the history %s", run,
	    s->path);
}

bool
store_run_live(struct store *s, int64_t run)
{
	struct store_here h;
	sqlite3_stmt *st;
	bool live = false;

	if (s->db == NULL || store_prepare(s->db, "SELECT status, host, uuid FROM runs"
	    " WHERE id = ?1", &st) != SQLITE_OK)
		return false;
	sqlite3_bind_int64(st, 1, run);
	if (sqlite3_step(st) == SQLITE_ROW && store_col_text(st, 0) != NULL &&
	    strcmp(store_col_text(st, 0), "running") == 0) {
		store_here_init(&h, s);
		live = store_owner_alive(&h, store_col_text(st, 1), store_col_text(st, 2));
	}
	sqlite3_finalize(st);
	return live;
}

/* ---- the event stream ---- */

static void
store_event_from_log(sqlite3_stmt *st, struct event *ev)
{
	const char *stream = store_col_text(st, 5);

	memset(ev, 0, sizeof *ev);
	ev->seq = (uint64_t)sqlite3_column_int64(st, 0);
	ev->ts = sqlite3_column_int64(st, 1);
	ev->type = EV_LOG;
	ev->step = sqlite3_column_int(st, 2);
	ev->phase = (uint8_t)store_name_parse(store_phase_names, N_PHASES, store_col_text(st, 3));
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

static void
store_event_from_row(sqlite3_stmt *st, struct event *ev)
{
	const char *status = store_col_text(st, 6);
	int v;

	memset(ev, 0, sizeof *ev);
	ev->seq = (uint64_t)sqlite3_column_int64(st, 0);
	ev->ts = sqlite3_column_int64(st, 1);
	ev->type = (uint8_t)store_name_parse(store_type_names, N_TYPES, store_col_text(st, 2));
	ev->step = store_col_null(st, 3) ? -1 : sqlite3_column_int(st, 3);
	ev->phase = (uint8_t)store_name_parse(store_phase_names, N_PHASES, store_col_text(st, 4));
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
	const char *sname = store_stream_name((unsigned)stream);

	if (s->db == NULL)
		return store_no_run(s, run, e);
	if ((rc = store_run_exists(s, run)) <= 0)
		return rc == 0 ? store_no_run(s, run, e) : store_errf(e, s->db, SQLITE_ERROR,
		    "cannot read run %" PRId64 " from the history %s", run, s->path);
	if (stream != 0 && sname == NULL)
		return err_set(e, "unknown log stream %d", stream);

	sb_adds(&sql, "SELECT seq, ts, step_idx, phase, attempt, stream, first_line, nlines, text"
	    " FROM logs WHERE run_id = ?1 AND seq > ?2");
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
	rc = store_prepare(s->db, "SELECT text FROM logs WHERE run_id = ?1 AND seq = ?2", &st);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_int64(st, 2, (int64_t)seq);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
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
