/* store_record.c - recording a new run, and taking one over (resume).
 *
 * Each is one IMMEDIATE transaction on the caller's connection, so a run
 * and its steps appear together or not at all.  The workflow's text is
 * stored once per distinct text, under its SHA-256.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <sqlite3.h>

#include "event.h"
#include "sha256.h"
#include "store_impl.h"
#include "xmalloc.h"

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
	/* The number is this run's now: text a run of it left (in a history
	 * since replaced) is not. */
	store_run_file_remove(s->path, *run, "txt");
	store_run_file_remove(s->path, *run, "jnl");
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
