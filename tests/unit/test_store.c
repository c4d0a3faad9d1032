/* test_store.c - the history as a user meets it: a run recorded through
 * the writer thread and read back the way show, ls and logs do; a million
 * log lines; a reader beside the writer (WAL); finding runs; ls filters
 * and interrupted runs; migrations; and a history that cannot be written.
 *
 * Every test gets its own directory (mkdtemp) and a database in a
 * subdirectory that does not exist yet, so opening always creates it.
 * Events go through a real ring with the writer as its gate, from the test
 * thread, as the executor would put them.  Some checks look at the tables
 * directly with sqlite3: the schema is a contract too (reports use it).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "ring.h"
#include "runlock.h"
#include "store.h"
#include "strbuf.h"
#include "xmalloc.h"

#define RING_CAP (1024 * 1024)

struct fx {
	char dir[64];
	char path[160];		/* DIR/state/drover/history.db */
};

static int
rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	chmod(p, 0700);
	return remove(p);
}

/* The runs a test creates as this process's own, as drover run does: their
 * locks are held until the test ends. */
static struct runlock *held[64];
static size_t n_held;
static const char *held_db;

static int
setup_dir(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);

	strcpy(fx->dir, "/tmp/test_store.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof fx->path, "%s/state/drover/history.db", fx->dir);
	held_db = fx->path;
	*state = fx;
	return 0;
}

static void
release_held(void)
{
	while (n_held > 0)
		runlock_release(held[--n_held], false);
}

static int
teardown_dir(void **state)
{
	struct fx *fx = *state;

	release_held();
	chmod(fx->dir, 0700);
	nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
hostname(void)
{
	static char h[256];

	if (h[0] == '\0' && gethostname(h, sizeof h) != 0)
		strcpy(h, "localhost");
	return h;
}

/* ---- the tables, straight from sqlite3 ---- */

static int64_t
sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static char *
sql_text(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char *v = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

/* ---- runs and the writer ---- */

static const struct store_step_info three_steps[] = {
	{ "build", "steps", "run" },
	{ "test", "steps", "run" },
	{ "deploy", "steps", "http" },
};

static const char wf_text[] = "name: deploy-webapp\nsteps:\n  - id: build\n    run: make\n"
    "  - id: test\n    run: make test\n  - id: deploy\n    http: {url: http://x}\n";

static struct store *
open_store(const char *path)
{
	struct err e = { 0 };
	struct store *s = store_open(path, false, &e);

	if (s == NULL)
		fail_msg("store_open %s: %s", path, e.msg);
	return s;
}

/* Takes the lock of run uuid as its owner would. */
static struct runlock *
own_run(const char *uuid)
{
	struct runlock_owner me, prev;
	struct err e = { 0 };
	struct runlock *l;
	bool busy;

	runlock_owner_self(&me, "alice", hostname());
	l = runlock_take(held_db, uuid, &me, &prev, &busy, &e);
	if (l == NULL)
		fail_msg("runlock_take: %s", e.msg);
	return l;
}

/* A run of workflow on host with this UUID; owned: this process holds its
 * lock. */
static int64_t
create_run_uuid(struct store *s, const char *workflow, const char *text, const char *host,
    bool owned, const char *id)
{
	struct store_run_info ri = {
		.workflow = workflow, .file = "workflows/deploy.yaml", .text = text,
		.text_len = strlen(text), .args_json = "{\"app\":\"web\",\"replicas\":2}",
		.user = "alice", .host = host, .pid = getpid(),
		.steps = three_steps, .n_steps = 3,
	};
	struct err e = { 0 };
	int64_t run = 0;

	if (owned) {
		assert_true(n_held < sizeof held / sizeof held[0]);
		held[n_held++] = own_run(id);
	}
	if (store_run_create(s, &ri, id, &run, &e) != 0)
		fail_msg("store_run_create: %s", e.msg);
	return run;
}

/* The same with a new UUID, given back in uuid when it is not NULL. */
static int64_t
create_run_as(struct store *s, const char *workflow, const char *text, const char *host,
    bool owned, char uuid[37])
{
	char u[37], *id = uuid != NULL ? uuid : u;

	store_new_uuid(id);
	return create_run_uuid(s, workflow, text, host, owned, id);
}

static int64_t
create_run(struct store *s, char uuid[37])
{
	return create_run_as(s, "deploy-webapp", wf_text, hostname(), true, uuid);
}

/* What the test put, to compare with what comes back. */
struct sent {
	struct event *ev;
	char **data;
	size_t n, cap;
};

struct wenv {
	struct ring *ring;
	struct ring_reader *gate;
	struct store_writer *w;
	int64_t run;
	int64_t ts;			/* the next event's time */
	struct sent sent;
	bool keep;			/* remember what is put */
	pthread_mutex_t lock;
	int errors;			/* on_error calls */
	char error[1024];		/* the last message */
};

static void
on_writer_error(void *ud, const char *msg)
{
	struct wenv *we = ud;

	pthread_mutex_lock(&we->lock);
	we->errors++;
	snprintf(we->error, sizeof we->error, "%s", msg);
	pthread_mutex_unlock(&we->lock);
}

static int
wenv_errors(struct wenv *we, char *msg, size_t size)
{
	int n;

	pthread_mutex_lock(&we->lock);
	n = we->errors;
	if (msg != NULL)
		snprintf(msg, size, "%s", we->error);
	pthread_mutex_unlock(&we->lock);
	return n;
}

static void
wenv_start(struct wenv *we, struct store *s, int64_t run)
{
	memset(we, 0, sizeof *we);
	pthread_mutex_init(&we->lock, NULL);
	we->ring = ring_new(RING_CAP);
	we->gate = ring_reader_new(we->ring, true);
	we->run = run;
	we->ts = 1700000000000000;	/* 2023-11-14T22:13:20.000Z */
	we->keep = true;
	we->w = store_writer_start(s, run, we->gate, on_writer_error, we);
}

/* Closes the ring and waits for the writer: store_writer_join's result.
 * What was sent stays for comparing; wenv_free drops it. */
static int
wenv_finish(struct wenv *we, struct err *e)
{
	int rc;

	ring_close(we->ring);
	rc = store_writer_join(we->w, e);
	ring_reader_free(we->gate);
	ring_free(we->ring);
	return rc;
}

static void
wenv_free(struct wenv *we)
{
	for (size_t i = 0; i < we->sent.n; i++)
		free(we->sent.data[i]);
	free(we->sent.ev);
	free(we->sent.data);
	pthread_mutex_destroy(&we->lock);
}

static void
wenv_finish_ok(struct wenv *we)
{
	struct err e = { 0 };

	if (wenv_finish(we, &e) != 0)
		fail_msg("store_writer_join: %s", e.msg);
}

/* ring_put, waiting for room like the executor does. */
static void
put_raw(struct ring *r, struct event *ev)
{
	while (ring_put(r, ev) != 0) {
		struct pollfd p = { .fd = ring_room_fd(r), .events = POLLIN };
		eventfd_t v;

		assert_int_equal(poll(&p, 1, 60000), 1);
		(void)eventfd_read(p.fd, &v);
	}
}

static void
put(struct wenv *we, struct event *ev)
{
	struct sent *s = &we->sent;

	ev->ts = we->ts;
	we->ts += 1000;
	put_raw(we->ring, ev);
	if (!we->keep)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->ev = realloc(s->ev, s->cap * sizeof *s->ev);
		s->data = realloc(s->data, s->cap * sizeof *s->data);
	}
	s->ev[s->n] = *ev;
	s->data[s->n] = malloc(ev->len + 1);
	if (ev->len > 0)
		memcpy(s->data[s->n], ev->data, ev->len);
	s->n++;
}

static int64_t
put_json(struct wenv *we, int type, int step, int phase, int status, int attempt,
    int exit_code, const char *json)
{
	struct event ev = { .type = (uint8_t)type, .step = step, .phase = (uint8_t)phase,
	    .status = (uint8_t)status, .attempt = attempt, .exit_code = exit_code,
	    .data = json, .len = json != NULL ? (uint32_t)strlen(json) : 0 };

	put(we, &ev);
	return ev.ts;
}

static int64_t
put_step(struct wenv *we, int step, int phase, int status, int attempt, int exit_code,
    const char *json)
{
	return put_json(we, EV_STEP, step, phase, status, attempt, exit_code, json);
}

static void
put_log(struct wenv *we, int step, int attempt, int stream, uint64_t first, uint32_t n,
    const char *text)
{
	struct event ev = { .type = EV_LOG, .step = step, .attempt = attempt,
	    .stream = (uint8_t)stream, .first_line = first, .nlines = n, .exit_code = -1,
	    .data = text, .len = (uint32_t)strlen(text) };

	put(we, &ev);
}

/* Events read back by store_read_events, copied. */
struct got {
	struct event ev[256];
	char *data[256];
	size_t n;
	size_t stop_after;	/* 0: never stop */
};

static int
collect(void *ud, const struct event *ev)
{
	struct got *g = ud;

	assert_true(g->n < 256);
	g->ev[g->n] = *ev;
	g->data[g->n] = malloc(ev->len + 1);
	memcpy(g->data[g->n], ev->data, ev->len);
	g->data[g->n][ev->len] = '\0';
	g->n++;
	return g->stop_after != 0 && g->n >= g->stop_after;
}

static void
got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->data[i]);
	g->n = 0;
}

static void
read_events(struct store *s, int64_t run, uint64_t after, bool logs_only, int step, int stream,
    struct got *g)
{
	struct err e = { 0 };

	got_free(g);
	if (store_read_events(s, run, after, logs_only ? STORE_LOGS : STORE_ALL, step, stream,
	    collect, g, &e) != 0)
		fail_msg("store_read_events: %s", e.msg);
}

static void
assert_same_event(const struct event *got, const char *got_data, const struct event *want,
    const char *want_data)
{
	assert_int_equal(got->seq, want->seq);
	assert_int_equal(got->ts, want->ts);
	assert_int_equal(got->type, want->type);
	assert_int_equal(got->status, want->status);
	assert_int_equal(got->phase, want->phase);
	assert_int_equal(got->stream, want->stream);
	assert_int_equal(got->step, want->step);
	assert_int_equal(got->attempt, want->attempt);
	assert_int_equal(got->exit_code, want->exit_code);
	assert_int_equal(got->nlines, want->nlines);
	assert_int_equal(got->first_line, want->first_line);
	assert_int_equal(got->len, want->len);
	assert_memory_equal(got_data, want_data, want->len);
}

/* ---- JSON checks ---- */

static const cJSON *
item(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (v == NULL)
		fail_msg("no \"%s\" in %s", key, cJSON_PrintUnformatted(o));
	return v;
}

static void
assert_str(const cJSON *o, const char *key, const char *want)
{
	const cJSON *v = item(o, key);

	if (!cJSON_IsString(v))
		fail_msg("\"%s\" is not a string", key);
	assert_string_equal(v->valuestring, want);
}

static void
assert_num(const cJSON *o, const char *key, double want)
{
	const cJSON *v = item(o, key);

	if (!cJSON_IsNumber(v))
		fail_msg("\"%s\" is not a number", key);
	assert_true(v->valuedouble > want - 1e-9 && v->valuedouble < want + 1e-9);
}

static void
assert_null_item(const cJSON *o, const char *key)
{
	if (!cJSON_IsNull(item(o, key)))
		fail_msg("\"%s\" is not null", key);
}

static void
assert_bool(const cJSON *o, const char *key, bool want)
{
	const cJSON *v = item(o, key);

	assert_true(cJSON_IsBool(v));
	assert_int_equal(cJSON_IsTrue(v), want);
}

static void
assert_time(const cJSON *o, const char *key, int64_t us)
{
	char buf[40];

	event_time_rfc3339(us, buf, sizeof buf);
	assert_str(o, key, buf);
}

/* The object has exactly these keys. */
static void
assert_keys(const cJSON *o, const char *const *keys)
{
	size_t n = 0;
	const cJSON *c;

	for (; keys[n] != NULL; n++)
		(void)item(o, keys[n]);
	cJSON_ArrayForEach(c, o) {
		bool known = false;

		for (size_t i = 0; keys[i] != NULL; i++)
			known |= strcmp(keys[i], c->string) == 0;
		if (!known)
			fail_msg("unexpected key \"%s\"", c->string);
	}
}

static const char *const run_keys[] = {
	"id", "uuid", "workflow", "status", "exit_code", "user", "host", "pid", "started_at",
	"ended_at", "duration_ms", "cost_usd", "tokens_in", "tokens_out", "args", "file",
	"retry_of", "error", NULL,
};

/* Shows the run from inside a store_read_events callback, as a console
 * that refreshes while it pages through logs would. */
struct nested {
	struct store *s;
	int64_t run;
	int calls, bad;
};

static int
show_while_reading(void *ud, const struct event *ev)
{
	struct nested *n = ud;
	struct err e = { 0 };
	cJSON *r = store_get_run(n->s, n->run, &e);

	(void)ev;
	n->calls++;
	n->bad += r == NULL;
	cJSON_Delete(r);
	return 0;
}

/* ---- a whole run ---- */

/*
 * The run of the brief: a gate on build (one refusal, one approval), build
 * succeeds with outputs and cost, test fails twice (a retry), deploy never
 * runs, a warning, and the run fails.
 */
static void
put_failed_run(struct wenv *we, int64_t ts[32])
{
	int i = 0;

	ts[i++] = put_json(we, EV_RUN_START, -1, 0, RUN_RUNNING, 0, -1,
	    "{\"uuid\":\"u\",\"workflow\":\"deploy-webapp\",\"args\":{\"app\":\"web\"}}");
	ts[i++] = put_step(we, 0, PHASE_MAIN, ST_WAITING, 0, -1, NULL);
	ts[i++] = put_json(we, EV_APPROVAL, 0, 0, 0, 0, -1,
	    "{\"decision\":\"approved\",\"by\":\"mallory\",\"comment\":\"lgtm\","
	    "\"refused\":true}");
	ts[i++] = put_json(we, EV_APPROVAL, 0, 0, 0, 0, -1,
	    "{\"decision\":\"approved\",\"by\":\"alice\",\"comment\":\"ship it\"}");
	ts[i++] = put_step(we, 0, PHASE_MAIN, ST_RUNNING, 1, -1, "{\"pid\":4242}");
	put_log(we, 0, 1, STREAM_STDOUT, 1, 3, "compiling\nlinking\ndone");
	put_log(we, 0, 1, STREAM_STDERR, 1, 1, "warning: unused variable");
	ts[i++] = put_step(we, 0, PHASE_MAIN, ST_SUCCEEDED, 1, 0,
	    "{\"outputs\":{\"version\":\"1.2.3\",\"exit_code\":0},\"duration_ms\":1500,"
	    "\"cost_usd\":0.25,\"tokens_in\":100,\"tokens_out\":50}");
	ts[i++] = put_step(we, 1, PHASE_MAIN, ST_RUNNING, 1, -1, "{}");
	put_log(we, 1, 1, STREAM_STDOUT, 1, 1, "FAIL: test_login");
	ts[i++] = put_step(we, 1, PHASE_MAIN, ST_RETRYING, 1, 2,
	    "{\"outputs\":{\"exit_code\":2},\"error\":\"exit code 2\",\"delay_ms\":1000,"
	    "\"attempt_status\":\"failed\",\"cost_usd\":0.1,\"tokens_in\":10,\"tokens_out\":5}");
	ts[i++] = put_step(we, 1, PHASE_MAIN, ST_RUNNING, 2, -1, "{}");
	put_log(we, 1, 2, STREAM_STDOUT, 2, 2, "FAIL: test_login\nFAIL: test_logout");
	ts[i++] = put_step(we, 1, PHASE_MAIN, ST_FAILED, 2, 2,
	    "{\"outputs\":{\"exit_code\":2},\"duration_ms\":2500,\"error\":\"exit code 2\","
	    "\"cost_usd\":0.1,\"tokens_in\":10,\"tokens_out\":5}");
	ts[i++] = put_step(we, 2, PHASE_MAIN, ST_UPSTREAM_FAILED, 0, -1,
	    "{\"outputs\":{},\"duration_ms\":0,\"error\":\"upstream step 'test' failed\"}");
	ts[i++] = put_json(we, EV_NOTE, -1, 0, 0, 0, -1,
	    "{\"level\":\"warning\",\"message\":\"budget at 80%\"}");
	ts[i++] = put_json(we, EV_RUN_END, -1, 0, RUN_FAILED, 0, 1,
	    "{\"error\":\"step 'test': exit code 2\",\"duration_ms\":4000}");
}

/* ts[] indexes from put_failed_run */
enum { T_START, T_WAIT, T_REFUSED, T_APPROVED, T_RUN0, T_OK0, T_RUN1, T_RETRY1, T_RUN1B,
	T_FAIL1, T_UPSTREAM2, T_NOTE, T_END };


static void
test_run_recorded(void **state)
{
	struct fx *fx = *state;
	struct store *s = open_store(fx->path);
	struct wenv we;
	struct err e = { 0 };
	char uuid[37];
	int64_t run = create_run(s, uuid), ts[32];
	cJSON *r, *list;
	const cJSON *steps, *st, *al, *a, *ap;
	struct got g = { .n = 0 };
	char *text = NULL, *file = NULL;
	size_t len = 0;
	static const char *const step_keys[] = { "id", "status", "attempts", "exit_code",
	    "started_at", "ended_at", "duration_ms", "cached", "cost_usd", "tokens_in",
	    "tokens_out", "outputs", "error", "section", "kind", "attempt_list", NULL };
	static const char *const attempt_keys[] = { "attempt", "phase", "status", "started_at",
	    "ended_at", "exit_code", "error", NULL };
	static const char *const approval_keys[] = { "step", "decision", "by", "comment", "at",
	    "refused", NULL };

	/* Before any event: running, its steps pending. */
	r = store_get_run(s, run, &e);
	assert_non_null(r);
	assert_str(r, "status", "running");
	assert_null_item(r, "exit_code");
	assert_null_item(r, "ended_at");
	assert_true(item(r, "duration_ms")->valuedouble >= 0);
	assert_int_equal(cJSON_GetArraySize(item(r, "steps")), 3);
	assert_str(cJSON_GetArrayItem(item(r, "steps"), 2), "status", "pending");
	assert_true(store_run_live(s, run, NULL));
	cJSON_Delete(r);

	wenv_start(&we, s, run);
	put_failed_run(&we, ts);
	assert_int_equal(we.sent.n, 17);
	wenv_finish_ok(&we);
	assert_int_equal(wenv_errors(&we, NULL, 0), 0);

	/* show --json */
	r = store_get_run(s, run, &e);
	if (r == NULL)
		fail_msg("store_get_run: %s", e.msg);
	assert_num(r, "id", (double)run);
	assert_str(r, "uuid", uuid);
	assert_str(r, "workflow", "deploy-webapp");
	assert_str(r, "status", "failed");
	assert_num(r, "exit_code", 1);
	assert_str(r, "user", "alice");
	assert_str(r, "host", hostname());
	assert_true(cJSON_IsString(item(r, "started_at")));
	assert_time(r, "ended_at", ts[T_END]);
	assert_num(r, "duration_ms", 4000);
	assert_num(r, "cost_usd", 0.45);
	assert_num(r, "tokens_in", 120);
	assert_num(r, "tokens_out", 60);
	assert_str(item(r, "args"), "app", "web");
	assert_num(item(r, "args"), "replicas", 2);
	assert_str(r, "file", "workflows/deploy.yaml");
	assert_null_item(r, "retry_of");
	assert_str(r, "error", "step 'test': exit code 2");
	assert_num(r, "last_seq", 20);	/* each log line takes a number */
	assert_false(store_run_live(s, run, NULL));

	steps = item(r, "steps");
	assert_int_equal(cJSON_GetArraySize(steps), 3);

	st = cJSON_GetArrayItem(steps, 0);
	assert_keys(st, step_keys);
	assert_str(st, "id", "build");
	assert_str(st, "status", "succeeded");
	assert_num(st, "attempts", 1);
	assert_num(st, "exit_code", 0);
	assert_time(st, "started_at", ts[T_RUN0]);
	assert_time(st, "ended_at", ts[T_OK0]);
	assert_num(st, "duration_ms", 1500);
	assert_bool(st, "cached", false);
	assert_num(st, "cost_usd", 0.25);
	assert_num(st, "tokens_in", 100);
	assert_num(st, "tokens_out", 50);
	assert_str(item(st, "outputs"), "version", "1.2.3");
	assert_null_item(st, "error");
	assert_str(st, "section", "steps");
	assert_str(st, "kind", "run");
	al = item(st, "attempt_list");
	assert_int_equal(cJSON_GetArraySize(al), 1);
	a = cJSON_GetArrayItem(al, 0);
	assert_keys(a, attempt_keys);
	assert_num(a, "attempt", 1);
	assert_str(a, "phase", "main");
	assert_str(a, "status", "succeeded");
	assert_time(a, "started_at", ts[T_RUN0]);
	assert_time(a, "ended_at", ts[T_OK0]);
	assert_num(a, "exit_code", 0);
	assert_null_item(a, "error");

	st = cJSON_GetArrayItem(steps, 1);
	assert_str(st, "id", "test");
	assert_str(st, "status", "failed");
	assert_num(st, "attempts", 2);
	assert_num(st, "exit_code", 2);
	assert_time(st, "started_at", ts[T_RUN1]);	/* the first attempt's start */
	assert_time(st, "ended_at", ts[T_FAIL1]);
	assert_str(st, "error", "exit code 2");
	assert_num(st, "cost_usd", 0.2);		/* both attempts cost */
	assert_num(st, "tokens_in", 20);
	assert_num(st, "tokens_out", 10);
	al = item(st, "attempt_list");
	assert_int_equal(cJSON_GetArraySize(al), 2);
	a = cJSON_GetArrayItem(al, 0);
	assert_num(a, "attempt", 1);
	assert_str(a, "status", "failed");
	assert_time(a, "started_at", ts[T_RUN1]);
	assert_time(a, "ended_at", ts[T_RETRY1]);
	assert_num(a, "exit_code", 2);
	assert_str(a, "error", "exit code 2");
	a = cJSON_GetArrayItem(al, 1);
	assert_num(a, "attempt", 2);
	assert_str(a, "status", "failed");
	assert_time(a, "started_at", ts[T_RUN1B]);
	assert_time(a, "ended_at", ts[T_FAIL1]);

	st = cJSON_GetArrayItem(steps, 2);
	assert_str(st, "id", "deploy");
	assert_str(st, "status", "upstream_failed");
	assert_num(st, "attempts", 0);
	assert_null_item(st, "exit_code");
	assert_null_item(st, "started_at");
	assert_time(st, "ended_at", ts[T_UPSTREAM2]);
	assert_str(st, "error", "upstream step 'test' failed");
	assert_int_equal(cJSON_GetArraySize(item(st, "outputs")), 0);
	assert_str(st, "kind", "http");
	assert_int_equal(cJSON_GetArraySize(item(st, "attempt_list")), 0);

	ap = item(r, "approvals");
	assert_int_equal(cJSON_GetArraySize(ap), 2);
	a = cJSON_GetArrayItem(ap, 0);
	assert_keys(a, approval_keys);
	assert_str(a, "step", "build");
	assert_str(a, "by", "mallory");
	assert_bool(a, "refused", true);
	a = cJSON_GetArrayItem(ap, 1);
	assert_str(a, "step", "build");
	assert_str(a, "decision", "approved");
	assert_str(a, "by", "alice");
	assert_str(a, "comment", "ship it");
	assert_time(a, "at", ts[T_APPROVED]);
	assert_bool(a, "refused", false);

	/* ls --json: the same run fields, no steps. */
	list = store_list_runs(s, NULL, &e);
	assert_non_null(list);
	assert_int_equal(cJSON_GetArraySize(list), 1);
	assert_keys(cJSON_GetArrayItem(list, 0), run_keys);
	{
		cJSON *ls_run = cJSON_Duplicate(r, true);

		cJSON_DeleteItemFromObject(ls_run, "steps");
		cJSON_DeleteItemFromObject(ls_run, "approvals");
		cJSON_DeleteItemFromObject(ls_run, "last_seq");
		assert_true(cJSON_Compare(ls_run, cJSON_GetArrayItem(list, 0), true));
		cJSON_Delete(ls_run);
	}
	cJSON_Delete(list);
	cJSON_Delete(r);

	/* The pid of an attempt is kept, for post-mortems. */
	assert_int_equal(sql_int(fx->path, "SELECT pid FROM attempts WHERE step_idx = 0"), 4242);

	/* The event stream comes back whole and in order. */
	read_events(s, run, 0, false, -1, 0, &g);
	assert_int_equal(g.n, we.sent.n);
	for (size_t i = 0, want = 1; i < g.n; i++) {
		assert_int_equal(g.ev[i].seq, want);	/* a log chunk: a number per line */
		want += event_span(&g.ev[i]);
		assert_same_event(&g.ev[i], g.data[i], &we.sent.ev[i], we.sent.data[i]);
	}
	/* from a point on: after the 10th event */
	{
		uint64_t after = g.ev[9].seq, next = g.ev[10].seq;
		size_t rest = g.n - 10;

		read_events(s, run, after, false, -1, 0, &g);
		assert_int_equal(g.n, rest);
		assert_int_equal(g.ev[0].seq, next);
	}
	/* one step's logs, one stream, after a point, and stopping early */
	read_events(s, run, 0, true, 0, 0, &g);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.data[0], "compiling\nlinking\ndone");
	assert_int_equal(g.ev[0].nlines, 3);
	assert_int_equal(g.ev[1].stream, STREAM_STDERR);
	read_events(s, run, 0, true, 0, STREAM_STDERR, &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.data[0], "warning: unused variable");
	read_events(s, run, 0, true, 1, STREAM_STDOUT, &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.ev[1].attempt, 2);
	assert_int_equal(g.ev[1].first_line, 2);
	read_events(s, run, g.ev[0].seq, true, 1, 0, &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.data[0], "FAIL: test_login\nFAIL: test_logout");
	read_events(s, run, 0, true, -1, 0, &g);
	assert_int_equal(g.n, 4);
	g.stop_after = 3;
	read_events(s, run, 0, false, -1, 0, &g);
	assert_int_equal(g.n, 3);
	got_free(&g);
	assert_int_equal(store_read_events(s, run + 1, 0, STORE_ALL, -1, 0, collect, &g, &e), -1);
	assert_non_null(strstr(e.msg, "no run"));
	{
		struct nested n = { s, run, 0, 0 };

		assert_int_equal(store_read_events(s, run, 0, STORE_ALL, -1, 0, show_while_reading,
		    &n, &e), 0);
		assert_int_equal(n.calls, 17);
		assert_int_equal(n.bad, 0);
	}

	/* The workflow as it was, for retry and resume. */
	assert_int_equal(store_run_workflow(s, run, &text, &len, &file, &e), 0);
	assert_int_equal(len, strlen(wf_text));
	assert_string_equal(text, wf_text);
	assert_string_equal(file, "workflows/deploy.yaml");
	free(text);
	free(file);

	wenv_free(&we);
	store_close(s);
}

/*
 * Fallbacks, rollbacks, a step cancelled while it waited to retry, and a
 * cached step: which attempt rows the events end, and costs that add up.
 */
static void
test_fallback_rollback_cache(void **state)
{
	struct fx *fx = *state;
	struct store *s = open_store(fx->path);
	struct wenv we;
	struct err e = { 0 };
	int64_t run = create_run(s, NULL);
	cJSON *r;
	const cJSON *st, *al;

	wenv_start(&we, s, run);
	put_json(&we, EV_RUN_START, -1, 0, RUN_RUNNING, 0, -1, "{}");
	/* build: fails, its fallback succeeds and stands in; later rolled back */
	put_step(&we, 0, PHASE_MAIN, ST_RUNNING, 1, -1, "{}");
	put_step(&we, 0, PHASE_MAIN, ST_RUNNING, 1, 1, "{\"outputs\":{},\"error\":\"exit code 1\","
	    "\"attempt_status\":\"failed\",\"cost_usd\":0.5,\"tokens_in\":7,\"tokens_out\":3}");
	put_step(&we, 0, PHASE_FALLBACK, ST_RUNNING, 1, -1, "{}");
	put_step(&we, 0, PHASE_MAIN, ST_SUCCEEDED, 1, 0, "{\"outputs\":{\"from\":\"fallback\"},"
	    "\"duration_ms\":30,\"fallback\":true,\"cost_usd\":0.25,\"tokens_in\":1,"
	    "\"tokens_out\":1}");
	/* test: fails, cancelled while waiting for its retry */
	put_step(&we, 1, PHASE_MAIN, ST_RUNNING, 1, -1, "{}");
	put_step(&we, 1, PHASE_MAIN, ST_RETRYING, 1, 3, "{\"outputs\":{},"
	    "\"error\":\"exit code 3\",\"attempt_status\":\"timed_out\",\"delay_ms\":5000}");
	put_step(&we, 1, PHASE_MAIN, ST_CANCELLED, 1, -1, "{\"outputs\":{},\"duration_ms\":10,"
	    "\"error\":\"cancelled\"}");
	/* deploy: from the cache */
	put_step(&we, 2, PHASE_MAIN, ST_SUCCEEDED, 0, 0, "{\"outputs\":{\"id\":7},"
	    "\"duration_ms\":0,\"cached\":true}");
	put_step(&we, 0, PHASE_ROLLBACK, ST_RUNNING, 1, -1, "{}");
	put_step(&we, 0, PHASE_ROLLBACK, ST_FAILED, 1, 9, "{\"outputs\":{},"
	    "\"error\":\"exit code 9\",\"cost_usd\":0.125}");
	put_json(&we, EV_RUN_END, -1, 0, RUN_CANCELLED, 0, 3, "{\"duration_ms\":100}");
	wenv_finish_ok(&we);

	r = store_get_run(s, run, &e);
	assert_non_null(r);
	assert_str(r, "status", "cancelled");
	assert_num(r, "exit_code", 3);
	assert_num(r, "cost_usd", 0.875);
	assert_num(r, "tokens_in", 8);
	assert_num(r, "tokens_out", 4);
	assert_null_item(r, "error");

	st = cJSON_GetArrayItem(item(r, "steps"), 0);
	assert_str(st, "status", "succeeded");	/* a rollback does not change the step */
	assert_str(item(st, "outputs"), "from", "fallback");
	assert_num(st, "cost_usd", 0.875);
	al = item(st, "attempt_list");
	assert_int_equal(cJSON_GetArraySize(al), 3);
	assert_str(cJSON_GetArrayItem(al, 0), "phase", "main");
	assert_str(cJSON_GetArrayItem(al, 0), "status", "failed");
	assert_str(cJSON_GetArrayItem(al, 0), "error", "exit code 1");
	assert_str(cJSON_GetArrayItem(al, 1), "phase", "fallback");
	assert_str(cJSON_GetArrayItem(al, 1), "status", "succeeded");
	assert_num(cJSON_GetArrayItem(al, 1), "exit_code", 0);
	assert_str(cJSON_GetArrayItem(al, 2), "phase", "rollback");
	assert_str(cJSON_GetArrayItem(al, 2), "status", "failed");
	assert_num(cJSON_GetArrayItem(al, 2), "exit_code", 9);
	assert_int_equal(sql_int(fx->path, "SELECT cost_usd * 1000 FROM attempts"
	    " WHERE phase = 'fallback'"), 250);

	st = cJSON_GetArrayItem(item(r, "steps"), 1);
	assert_str(st, "status", "cancelled");
	al = item(st, "attempt_list");
	assert_int_equal(cJSON_GetArraySize(al), 1);
	assert_str(cJSON_GetArrayItem(al, 0), "status", "timed_out");	/* not "cancelled" */
	assert_num(cJSON_GetArrayItem(al, 0), "exit_code", 3);

	st = cJSON_GetArrayItem(item(r, "steps"), 2);
	assert_str(st, "status", "succeeded");
	assert_bool(st, "cached", true);
	assert_num(st, "attempts", 0);
	assert_num(item(st, "outputs"), "id", 7);
	assert_int_equal(cJSON_GetArraySize(item(st, "attempt_list")), 0);
	cJSON_Delete(r);
	wenv_free(&we);
	store_close(s);
}

/* ---- a million lines ---- */

#define MANY_LINES 1000000
#define CHUNK_LINES 500

static size_t
format_u64(char *p, uint64_t v)
{
	char tmp[24];
	size_t n = 0, len;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	len = n;
	while (n > 0)
		*p++ = tmp[--n];
	return len;
}

/* A step's chunk index, as store_log_chunks gives it. */
struct chunk_index {
	uint64_t *seq, *first;
	uint32_t *nlines;
	uint8_t *stream;
	size_t n;
};

static int
index_chunk(void *ud, const struct event *ev)
{
	struct chunk_index *ci = ud;

	assert_int_equal(ev->len, 0);	/* the index carries no text */
	ci->seq = realloc(ci->seq, (ci->n + 1) * sizeof *ci->seq);
	ci->first = realloc(ci->first, (ci->n + 1) * sizeof *ci->first);
	ci->nlines = realloc(ci->nlines, (ci->n + 1) * sizeof *ci->nlines);
	ci->stream = realloc(ci->stream, (ci->n + 1) * sizeof *ci->stream);
	ci->seq[ci->n] = ev->seq;
	ci->first[ci->n] = ev->first_line;
	ci->nlines[ci->n] = ev->nlines;
	ci->stream[ci->n] = ev->stream;
	ci->n++;
	return 0;
}

/* Lines "PREFIX<first>" .. "PREFIX<first + n - 1>", joined by '\n'. */
static size_t
make_chunk(char *buf, const char *prefix, uint64_t first, uint32_t n)
{
	size_t len = 0, pl = strlen(prefix);

	for (uint32_t i = 0; i < n; i++) {
		if (i > 0)
			buf[len++] = '\n';
		memcpy(buf + len, prefix, pl);
		len += pl;
		len += format_u64(buf + len, first + i);
	}
	return len;
}

/* Checks chunks of one stream: whole, in order, numbered from 1. */
struct lines_check {
	const char *prefix;
	int stream;
	uint64_t next;		/* the line number expected next */
	uint64_t chunks;
	uint64_t last_seq;
	int bad;
	char why[256];
};

static int
check_lines(void *ud, const struct event *ev)
{
	struct lines_check *c = ud;
	const char *p = ev->data, *end = ev->data + ev->len;
	uint32_t n = 0;

	if (ev->type != EV_LOG || ev->seq <= c->last_seq || ev->first_line != c->next ||
	    (c->stream != 0 && ev->stream != c->stream)) {
		snprintf(c->why, sizeof c->why, "chunk seq %" PRIu64 " first_line %" PRIu64
		    ", expected %" PRIu64, ev->seq, ev->first_line, c->next);
		c->bad++;
		return 1;
	}
	c->last_seq = ev->seq;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl != NULL ? nl : end;
		char want[32];
		size_t wl = make_chunk(want, c->prefix, c->next, 1);

		if ((size_t)(stop - p) != wl || memcmp(p, want, wl) != 0) {
			snprintf(c->why, sizeof c->why, "line %" PRIu64 " is '%.*s'", c->next,
			    (int)(stop - p), p);
			c->bad++;
			return 1;
		}
		c->next++;
		n++;
		p = nl != NULL ? nl + 1 : end;
	}
	if (n != ev->nlines) {
		snprintf(c->why, sizeof c->why, "chunk seq %" PRIu64 " has %u lines, says %u",
		    ev->seq, n, ev->nlines);
		c->bad++;
		return 1;
	}
	c->chunks++;
	return 0;
}

static void
test_million_lines(void **state)
{
	struct fx *fx = *state;
	struct store *s = open_store(fx->path);
	struct wenv we;
	struct err e = { 0 };
	int64_t run = create_run(s, NULL);
	char *buf = malloc(CHUNK_LINES * 16);
	struct lines_check c = { .prefix = "", .stream = STREAM_STDOUT, .next = 1 };
	double t0, t1, t2;
	cJSON *r;

	wenv_start(&we, s, run);
	we.keep = false;
	t0 = mono_s();
	put_json(&we, EV_RUN_START, -1, 0, RUN_RUNNING, 0, -1, "{}");
	put_step(&we, 0, PHASE_MAIN, ST_RUNNING, 1, -1, "{}");
	for (uint64_t first = 1; first <= MANY_LINES; first += CHUNK_LINES) {
		struct event ev = { .type = EV_LOG, .step = 0, .attempt = 1,
		    .stream = STREAM_STDOUT, .first_line = first, .nlines = CHUNK_LINES,
		    .exit_code = -1, .data = buf };

		ev.len = (uint32_t)make_chunk(buf, "", first, CHUNK_LINES);
		put(&we, &ev);
	}
	put_step(&we, 0, PHASE_MAIN, ST_SUCCEEDED, 1, 0, "{\"outputs\":{},\"duration_ms\":1}");
	put_json(&we, EV_RUN_END, -1, 0, RUN_SUCCEEDED, 0, 0, "{\"duration_ms\":1}");
	wenv_finish_ok(&we);
	t1 = mono_s();

	assert_int_equal(store_read_events(s, run, 0, STORE_LOGS, 0, STREAM_STDOUT, check_lines, &c, &e),
	    0);
	t2 = mono_s();
	if (c.bad)
		fail_msg("%s", c.why);
	assert_int_equal(c.next, MANY_LINES + 1);
	assert_int_equal(c.chunks, MANY_LINES / CHUNK_LINES);
	printf("# stored %d log lines (%d-line chunks) in %.0f ms: %.2f M lines/s; "
	    "read back in %.0f ms\n", MANY_LINES, CHUNK_LINES, (t1 - t0) * 1e3,
	    MANY_LINES / (t1 - t0) / 1e6, (t2 - t1) * 1e3);
	fflush(stdout);

	r = store_get_run(s, run, &e);
	assert_str(r, "status", "succeeded");
	assert_num(r, "last_seq", MANY_LINES + 4);	/* a number per line */
	cJSON_Delete(r);
	free(buf);
	wenv_free(&we);
	store_close(s);
}

struct order_check {
	uint64_t last_seq;
	uint64_t next[2][3];	/* by step and stream */
	uint64_t lines;
	int bad;
	char why[160];
};

static int
check_order(void *ud, const struct event *ev)
{
	struct order_check *oc = ud;

	if (ev->seq <= oc->last_seq || ev->step < 0 || ev->step > 1 || ev->stream < 1 ||
	    ev->stream > 2 || ev->first_line != oc->next[ev->step][ev->stream]) {
		snprintf(oc->why, sizeof oc->why, "seq %" PRIu64 " after %" PRIu64 ", step %d "
		    "stream %u first_line %" PRIu64, ev->seq, oc->last_seq, ev->step, ev->stream,
		    ev->first_line);
		oc->bad++;
		return 1;
	}
	oc->last_seq = ev->seq;
	oc->next[ev->step][ev->stream] += ev->nlines;
	oc->lines += ev->nlines;
	return 0;
}

/* stdout and stderr of two steps in chunks of varying size, interleaved:
 * each stream of each step keeps its own order and numbering. */
static void
test_streams_interleaved(void **state)
{
	struct fx *fx = *state;
	struct store *s = open_store(fx->path);
	struct wenv we;
	struct err e = { 0 };
	int64_t run = create_run(s, NULL);
	char buf[64 * 16];
	uint64_t next[2][3] = { { 0, 1, 1 }, { 0, 1, 1 } };
	const int total = 20000;
	unsigned k = 0;

	wenv_start(&we, s, run);
	we.keep = false;
	put_step(&we, 0, PHASE_MAIN, ST_RUNNING, 1, -1, "{}");
	put_step(&we, 1, PHASE_MAIN, ST_RUNNING, 1, -1, "{}");
	while (next[0][1] <= (uint64_t)total || next[0][2] <= (uint64_t)total ||
	    next[1][1] <= (uint64_t)total || next[1][2] <= (uint64_t)total) {
		int step = (int)(k % 2), stream = 1 + (int)(k / 2 % 2);
		uint32_t n = 1 + (k * 7919u) % 37;
		static const char *const prefix[2][3] = { { "", "out0 ", "err0 " },
		    { "", "out1 ", "err1 " } };
		struct event ev = { .type = EV_LOG, .step = step, .attempt = 1,
		    .stream = (uint8_t)stream, .exit_code = -1, .data = buf };

		k++;
		if (next[step][stream] > (uint64_t)total)
			continue;
		if (next[step][stream] + n - 1 > (uint64_t)total)
			n = (uint32_t)(total - next[step][stream] + 1);
		ev.first_line = next[step][stream];
		ev.nlines = n;
		ev.len = (uint32_t)make_chunk(buf, prefix[step][stream], next[step][stream], n);
		put(&we, &ev);
		next[step][stream] += n;
	}
	wenv_finish_ok(&we);

	for (int step = 0; step < 2; step++) {
		for (int stream = 1; stream <= 2; stream++) {
			char prefix[8];
			struct lines_check c = { .prefix = prefix, .stream = stream, .next = 1 };

			snprintf(prefix, sizeof prefix, "%s%d ", stream == 1 ? "out" : "err",
			    step);
			assert_int_equal(store_read_events(s, run, 0, STORE_LOGS, step, stream,
			    check_lines, &c, &e), 0);
			if (c.bad)
				fail_msg("step %d stream %d: %s", step, stream, c.why);
			assert_int_equal(c.next, total + 1);
		}
	}
	/* Both streams of both steps together: seq order, as they were put,
	 * and every stream numbered on from its previous chunk. */
	{
		struct order_check oc = { .last_seq = 0 };

		for (int i = 0; i < 2; i++)
			oc.next[i][1] = oc.next[i][2] = 1;
		assert_int_equal(store_read_events(s, run, 0, STORE_LOGS, -1, 0, check_order, &oc,
		    &e), 0);
		if (oc.bad)
			fail_msg("%s", oc.why);
		assert_int_equal(oc.lines, 4 * total);
	}
	/* Paging as the console does: the chunk index of step 1 (no text),
	 * then each chunk's text on its own, adds up to both its streams. */
	{
		struct chunk_index ci = { 0 };
		uint64_t lines = 0;

		assert_int_equal(store_log_chunks(s, run, 1, 0, index_chunk, &ci, &e), 0);
		assert_true(ci.n > 0);
		for (size_t i = 0; i < ci.n; i++) {
			size_t len;
			char *text = store_log_text(s, run, ci.seq[i], &len, &e);
			char want[32];

			assert_non_null(text);
			snprintf(want, sizeof want, "%s1 %" PRIu64, ci.stream[i] == 1 ? "out" : "err",
			    ci.first[i]);
			assert_memory_equal(text, want, strlen(want));
			lines += ci.nlines[i];
			free(text);
		}
		assert_int_equal(lines, 2 * total);
		assert_null(store_log_text(s, run, ci.seq[ci.n - 1] + 100000, NULL, &e));
		assert_non_null(strstr(e.msg, "no log chunk"));
		free(ci.seq);
		free(ci.first);
		free(ci.nlines);
		free(ci.stream);
	}
	wenv_free(&we);
	store_close(s);
}

/* A run's log text is in its file beside the history, each chunk once,
 * where its row says; a history whose rows hold their text (as before
 * schema 5) reads the same; a file gone or cut short is said, not read
 * as empty; a new run of a number starts a file of its own. */

/* The journal (store_journal.c), as a property: for random runs of step
 * changes, notes and log chunks, written with random committed points and
 * torn at a random byte, folding gives the history exactly the events
 * after its last_seq that the file holds whole, in order, log text
 * included, and removes the file. */
static void
test_journal_fold(void **state)
{
	struct fx *fx = *state;
	char buf[4096], *path;
	unsigned seed = 12345;
	size_t hdr;

	/* A record's header: the file of one event without payload. */
	{
		struct store *s = open_store(fx->path);
		int64_t run = create_run(s, NULL);
		struct store_journal *j = store_journal_new(fx->path, run);
		struct event ev = { .seq = 1, .type = EV_NOTE, .step = -1, .exit_code = -1 };
		struct stat st;

		path = xasprintf("%s-logs/%lld.jnl", fx->path, (long long)run);
		store_journal_add(j, &ev);
		assert_int_equal(store_journal_write(j, 0), 0);
		assert_int_equal(stat(path, &st), 0);
		hdr = (size_t)st.st_size;
		/* Written once: nothing new, nothing appended. */
		assert_int_equal(store_journal_write(j, 0), 0);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal((size_t)st.st_size, hdr);
		/* An ended run's journal goes. */
		store_journal_free(j, true);
		assert_int_equal(access(path, F_OK), -1);
		free(path);
		store_close(s);
	}
	for (int round = 0; round < 60; round++) {
		struct store *s = open_store(fx->path);
		int64_t run = create_run(s, NULL);
		struct store_journal *j = store_journal_new(fx->path, run);
		struct err e = { 0 };
		uint64_t seq = 1, committed = 0, ends[80];
		size_t n = 20 + (size_t)(rand_r(&seed) % 60), folded, whole = 0, lens[80];
		struct stat st;
		off_t cut;
		char q[160];

		path = xasprintf("%s-logs/%lld.jnl", fx->path, (long long)run);
		for (size_t i = 0; i < n; i++) {
			struct event ev = { .seq = seq, .ts = 1000 + (int64_t)i, .step = 0,
			    .attempt = 1, .exit_code = -1, .data = buf };

			switch (rand_r(&seed) % 3) {
			case 0:
				ev.type = EV_STEP;
				ev.status = i % 2 ? ST_RUNNING : ST_SUCCEEDED;
				ev.len = (uint32_t)snprintf(buf, sizeof buf, "{}");
				break;
			case 1:
				ev.type = EV_NOTE;
				ev.len = (uint32_t)snprintf(buf, sizeof buf,
				    "{\"level\":\"warning\",\"message\":\"n%zu\"}", i);
				break;
			default:
				ev.type = EV_LOG;
				ev.stream = STREAM_STDOUT;
				ev.first_line = seq;
				ev.nlines = 1 + (uint32_t)(rand_r(&seed) % 20);
				ev.len = (uint32_t)make_chunk(buf, "", seq, ev.nlines);
				break;
			}
			seq += ev.type == EV_LOG ? ev.nlines : 1;
			ends[i] = seq - 1;
			lens[i] = ev.len;
			store_journal_add(j, &ev);
			/* Sometimes the writer has committed part of it. */
			if (rand_r(&seed) % 4 == 0) {
				uint64_t c = i > 0 ? ends[rand_r(&seed) % i] : 0;

				if (rand_r(&seed) % 2 && c > committed)
					committed = c;
				assert_int_equal(store_journal_write(j, committed), 0);
			}
		}
		assert_int_equal(store_journal_write(j, committed), 0);
		store_journal_free(j, false);
		/* What the file holds: the events after the first write's
		 * committed point, end to end; cut it somewhere. */
		assert_int_equal(stat(path, &st), 0);
		cut = rand_r(&seed) % 3 == 0 ? st.st_size : (off_t)(rand_r(&seed) % (st.st_size + 1));
		assert_int_equal(truncate(path, cut), 0);
		/* The history had committed up to some event of those before. */
		snprintf(q, sizeof q, "UPDATE runs SET last_seq = %llu WHERE id = %lld",
		    (unsigned long long)committed, (long long)run);
		sql_exec(fx->path, q);
		assert_int_equal(store_journal_fold(s, run, &folded, &e), 0);
		/* The events after the last committed point are the file's
		 * last records, whole up to the cut. */
		{
			off_t at = st.st_size;

			for (size_t i = 0; i < n; i++)
				if (ends[i] > committed)
					at -= (off_t)(hdr + lens[i]);
			assert_true(at >= 0);
			for (size_t i = 0; i < n; i++) {
				if (ends[i] <= committed)
					continue;
				at += (off_t)(hdr + lens[i]);
				if (at <= cut)
					whole++;
			}
		}
		assert_int_equal(folded, whole);
		snprintf(q, sizeof q, "SELECT (SELECT count(*) FROM events WHERE run_id = %lld) +"
		    " (SELECT count(*) FROM logs WHERE run_id = %lld)", (long long)run,
		    (long long)run);
		assert_int_equal(sql_int(fx->path, q), (int)whole);
		assert_int_equal(access(path, F_OK), -1);
		/* Folding again finds nothing: no journal, no error. */
		assert_int_equal(store_journal_fold(s, run, &folded, &e), 0);
		assert_int_equal(folded, 0);
		free(path);
		store_close(s);
	}
}

/* A journal that is garbage folds nothing and says nothing; one that is a
 * link is not followed. */
static void
test_journal_hostile(void **state)
{
	struct fx *fx = *state;
	struct store *s = open_store(fx->path);
	int64_t run = create_run(s, NULL);
	char *path = xasprintf("%s-logs/%lld.jnl", fx->path, (long long)run);
	char *other = xasprintf("%s.other", fx->path), junk[5000];
	struct err e = { 0 };
	unsigned seed = 7;
	size_t folded = 99;
	FILE *f;

	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)rand_r(&seed);
	{
		char *dir = xasprintf("%s-logs", fx->path);

		mkdir(dir, 0700);
		free(dir);
	}
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(junk, 1, sizeof junk, f);
	fclose(f);
	assert_int_equal(store_journal_fold(s, run, &folded, &e), 0);
	assert_int_equal(folded, 0);
	f = fopen(other, "wb");
	fclose(f);
	assert_int_equal(symlink(other, path), 0);
	assert_int_equal(store_journal_fold(s, run, &folded, &e), -1);
	assert_non_null(strstr(e.msg, "journal"));
	assert_int_equal(access(other, F_OK), 0);
	free(path);
	free(other);
	store_close(s);
}

static void
test_log_text_file(void **state)
{
	struct fx *fx = *state;
	struct store *s = open_store(fx->path);
	struct wenv we;
	struct err e = { 0 };
	int64_t run = create_run(s, NULL);
	struct lines_check c = { .prefix = "", .stream = STREAM_STDOUT, .next = 1 };
	struct strbuf all = STRBUF_INIT;
	char buf[4096], *path = xasprintf("%s-logs/%lld.txt", fx->path, (long long)run), *text;
	size_t len;
	FILE *f;

	wenv_start(&we, s, run);
	put_step(&we, 0, PHASE_MAIN, ST_RUNNING, 1, -1, "{}");
	for (uint64_t first = 1; first <= 300; first += 30) {
		struct event ev = { .type = EV_LOG, .step = 0, .attempt = 1,
		    .stream = STREAM_STDOUT, .first_line = first, .nlines = 30, .exit_code = -1,
		    .data = buf };

		ev.len = (uint32_t)make_chunk(buf, "", first, 30);
		sb_add(&all, buf, ev.len);
		put(&we, &ev);
	}
	wenv_finish_ok(&we);
	wenv_free(&we);

	/* The file holds the chunks, end to end, and nothing else. */
	f = fopen(path, "rb");
	assert_non_null(f);
	{
		char *got = malloc(all.len + 16);
		size_t n = fread(got, 1, all.len + 16, f);

		assert_int_equal(n, all.len);
		assert_memory_equal(got, all.buf, all.len);
		free(got);
	}
	fclose(f);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM logs WHERE text != ''"), 0);
	assert_int_equal(sql_int(fx->path, "SELECT sum(seg_len) FROM logs"), (int)all.len);
	assert_int_equal(store_read_events(s, run, 0, STORE_LOGS, 0, STREAM_STDOUT, check_lines, &c,
	    &e), 0);
	assert_int_equal(c.bad, 0);
	assert_int_equal(c.next, 301);

	/* Cut short, then gone: said, with the file's name. */
	assert_int_equal(truncate(path, (off_t)all.len - 5), 0);
	c = (struct lines_check){ .prefix = "", .stream = STREAM_STDOUT, .next = 1 };
	assert_int_equal(store_read_events(s, run, 0, STORE_LOGS, 0, 0, check_lines, &c, &e), -1);
	assert_non_null(strstr(e.msg, "cut short"));
	assert_non_null(strstr(e.msg, path));
	unlink(path);
	assert_null(store_log_text(s, run, (uint64_t)sql_int(fx->path, "SELECT min(seq) FROM logs"),
	    &len, &e));
	assert_non_null(strstr(e.msg, "missing"));
	/* A FIFO put in its place is refused, not waited on; so is the
	 * directory become a link to another one. */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_null(store_log_text(s, run, (uint64_t)sql_int(fx->path, "SELECT min(seq) FROM logs"),
	    &len, &e));
	assert_non_null(strstr(e.msg, "missing"));
	unlink(path);
	{
		char *dir = xasprintf("%s-logs", fx->path), *moved = xasprintf("%s-elsewhere",
		    fx->path), *there = xasprintf("%s/%lld.txt", moved, (long long)run);
		FILE *g;

		assert_int_equal(rename(dir, moved), 0);
		g = fopen(there, "w");
		assert_non_null(g);
		fwrite(all.buf, 1, all.len, g);
		fclose(g);
		assert_int_equal(symlink(moved, dir), 0);
		assert_null(store_log_text(s, run, (uint64_t)sql_int(fx->path,
		    "SELECT min(seq) FROM logs"), &len, &e));
		assert_non_null(strstr(e.msg, "Not a directory"));
		unlink(dir);
		assert_int_equal(rename(moved, dir), 0);
		unlink(path);
		free(dir);
		free(moved);
		free(there);
	}

	/* Rows that hold their text, as an older drover wrote them. */
	{
		char *sql = xasprintf("UPDATE logs SET text = printf('%%d', seq), seg_off = NULL,"
		    " seg_len = NULL WHERE run_id = %lld", (long long)run);

		sql_exec(fx->path, sql);
		free(sql);
	}
	text = store_log_text(s, run, (uint64_t)sql_int(fx->path, "SELECT min(seq) FROM logs"),
	    &len, &e);
	assert_non_null(text);
	assert_int_equal(atoll(text), sql_int(fx->path, "SELECT min(seq) FROM logs"));
	free(text);

	/* A file left by a run of the same number in a history since
	 * replaced does not become the new run's. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("stale", f);
	fclose(f);
	sql_exec(fx->path, "PRAGMA foreign_keys = ON; DELETE FROM runs");
	sql_exec(fx->path, "DELETE FROM sqlite_sequence");
	assert_int_equal(create_run(s, NULL), run);
	assert_int_equal(access(path, F_OK), -1);
	sb_fini(&all);
	free(path);
	store_close(s);
}

/* The history changes under a reader: data_version says so, cheaply. */
static void
test_data_version(void **state)
{
	struct fx *fx = *state;
	struct store *s = open_store(fx->path), *reader;
	struct err e = { 0 };
	int64_t before;

	create_run(s, NULL);
	reader = store_open(fx->path, true, &e);
	assert_non_null(reader);
	before = store_data_version(reader);
	assert_int_equal(store_data_version(reader), before);
	create_run(s, NULL);
	assert_true(store_data_version(reader) != before);
	store_close(reader);
	store_close(s);
}

/* ---- a reader beside the writer ---- */

/* Another opener (as `drover logs -f` in another process would be) reads
 * while the writer writes; it counts, the test thread asserts. */
struct side_reader {
	const char *path;
	int64_t run;
	atomic_bool stop;
	atomic_uint_fast64_t seen;	/* lines visible at the last read */
	atomic_int reads;
	atomic_int bad;
	char why[1100];
};

static int
count_lines(void *ud, const struct event *ev)
{
	uint64_t *n = ud;

	*n += ev->nlines;
	return 0;
}

static void *
side_reader_main(void *arg)
{
	struct side_reader *sr = arg;
	struct err e = { 0 };
	struct store *s = store_open(sr->path, true, &e);
	uint64_t prev = 0;

	if (s == NULL) {
		snprintf(sr->why, sizeof sr->why, "open: %s", e.msg);
		atomic_store(&sr->bad, 1);
		return NULL;
	}
	while (!atomic_load(&sr->stop)) {
		uint64_t n = 0;
		cJSON *list;

		if (store_read_events(s, sr->run, 0, STORE_LOGS, -1, 0, count_lines, &n, &e) != 0 ||
		    (list = store_list_runs(s, NULL, &e)) == NULL) {
			snprintf(sr->why, sizeof sr->why, "read: %s", e.msg);
			atomic_store(&sr->bad, 1);
			break;
		}
		cJSON_Delete(list);
		/* Whole transactions only, never going back. */
		if (n < prev || n % 100 != 0) {
			snprintf(sr->why, sizeof sr->why, "saw %" PRIu64 " lines after %" PRIu64,
			    n, prev);
			atomic_store(&sr->bad, 1);
			break;
		}
		prev = n;
		atomic_store(&sr->seen, n);
		atomic_fetch_add(&sr->reads, 1);
	}
	store_close(s);
	return NULL;
}

static void
test_reader_beside_writer(void **state)
{
	struct fx *fx = *state;
	struct store *s = open_store(fx->path), *other;
	struct wenv we;
	struct err e = { 0 };
	int64_t run = create_run(s, NULL);
	struct side_reader sr = { .path = fx->path, .run = run };
	pthread_t t;
	char buf[100 * 16];
	const uint64_t half = 100000, total = 200000;
	double deadline;
	cJSON *list;

	wenv_start(&we, s, run);
	we.keep = false;
	assert_int_equal(pthread_create(&t, NULL, side_reader_main, &sr), 0);
	for (uint64_t first = 1; first <= total; first += 100) {
		struct event ev = { .type = EV_LOG, .step = 0, .attempt = 1,
		    .stream = STREAM_STDOUT, .first_line = first, .nlines = 100, .exit_code = -1,
		    .data = buf };

		ev.len = (uint32_t)make_chunk(buf, "", first, 100);
		put(&we, &ev);
		if (first + 100 == half + 1) {
			/* The writer is alive and the ring open: the other
			 * connection must see the first half, committed. */
			deadline = mono_s() + 10;
			while (atomic_load(&sr.seen) < half && !atomic_load(&sr.bad) &&
			    mono_s() < deadline)
				usleep(1000);
			assert_int_equal(atomic_load(&sr.seen), half);
			/* and a read-write opener (another drover) gets in too */
			other = open_store(fx->path);
			list = store_list_runs(other, NULL, &e);
			assert_non_null(list);
			assert_int_equal(cJSON_GetArraySize(list), 1);
			cJSON_Delete(list);
			store_close(other);
		}
	}
	wenv_finish_ok(&we);
	deadline = mono_s() + 10;
	while (atomic_load(&sr.seen) < total && !atomic_load(&sr.bad) && mono_s() < deadline)
		usleep(1000);
	atomic_store(&sr.stop, true);
	pthread_join(t, NULL);
	if (atomic_load(&sr.bad))
		fail_msg("the other reader: %s", sr.why);
	assert_int_equal(atomic_load(&sr.seen), total);
	printf("# a second connection read %d times while the writer wrote\n",
	    atomic_load(&sr.reads));
	wenv_free(&we);
	store_close(s);
}

/* ---- opening ---- */

static void
test_readonly_missing(void **state)
{
	struct fx *fx = *state;
	struct err e = { 0 };
	struct store *s = store_open(fx->path, true, &e);
	struct stat sb;
	char want[300], *def;
	int64_t run = 0;
	cJSON *list;
	struct got g = { .n = 0 };
	struct store_run_info ri = { .workflow = "w", .text = "", .steps = three_steps,
	    .n_steps = 3 };
	char uuid[37];

	assert_non_null(s);
	list = store_list_runs(s, NULL, &e);
	assert_non_null(list);
	assert_true(cJSON_IsArray(list));
	assert_int_equal(cJSON_GetArraySize(list), 0);
	cJSON_Delete(list);

	snprintf(want, sizeof want, "no run 42 in the history (%s)", fx->path);
	assert_int_equal(store_find_run(s, "42", &run, &e), -1);
	assert_string_equal(e.msg, want);
	assert_null(store_get_run(s, 42, &e));
	assert_string_equal(e.msg, want);
	assert_int_equal(store_read_events(s, 42, 0, STORE_ALL, -1, 0, collect, &g, &e), -1);
	assert_string_equal(e.msg, want);
	assert_int_equal(store_find_run(s, "abcd", &run, &e), -1);
	assert_non_null(strstr(e.msg, "no run matches 'abcd'"));
	assert_false(store_run_live(s, 42, NULL));
	store_new_uuid(uuid);
	assert_int_equal(store_run_create(s, &ri, uuid, &run, &e), -1);
	assert_non_null(strstr(e.msg, "read-only"));
	store_close(s);
	/* Looking never creates anything. */
	assert_int_equal(stat(fx->path, &sb), -1);
	snprintf(want, sizeof want, "%s/state", fx->dir);
	assert_int_equal(stat(want, &sb), -1);

	/* Opening to write creates the directories, 0700. */
	s = open_store(fx->path);
	snprintf(want, sizeof want, "%s/state/drover", fx->dir);
	assert_int_equal(stat(want, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	def = sql_text(fx->path, "PRAGMA journal_mode");
	assert_string_equal(def, "wal");
	free(def);
	store_close(s);
}

/* The history as it was before schema 5: log text in the rows only. */
static void
drop_log_text_columns(const char *path)
{
	sql_exec(path, "ALTER TABLE logs DROP COLUMN seg_off");
	sql_exec(path, "ALTER TABLE logs DROP COLUMN seg_len");
}

static void
test_migrations(void **state)
{
	struct fx *fx = *state;
	struct store *s = open_store(fx->path);
	struct err e = { 0 };
	int64_t run = create_run(s, NULL), found = 0;
	char older[200];

	store_close(s);
	assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), 5);
	/* Opening again migrates nothing and loses nothing. */
	s = open_store(fx->path);
	assert_int_equal(store_find_run(s, "1", &found, &e), 0);
	assert_int_equal(found, run);
	store_close(s);
	s = store_open(fx->path, true, &e);
	assert_non_null(s);
	store_close(s);
	assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), 5);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM runs"), 1);

	/* A history of schema 4 gets log text out of its rows. */
	drop_log_text_columns(fx->path);
	sql_exec(fx->path, "PRAGMA user_version = 4");
	s = open_store(fx->path);
	store_close(s);
	assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), 5);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM pragma_table_info('logs')"
	    " WHERE name IN ('seg_off', 'seg_len')"), 2);

	/* A history of schema 3 gets the alerts' states. */
	drop_log_text_columns(fx->path);
	sql_exec(fx->path, "DROP TABLE alerts");
	sql_exec(fx->path, "PRAGMA user_version = 3");
	s = open_store(fx->path);
	store_close(s);
	assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), 5);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM sqlite_master WHERE name = "
	    "'alerts'"), 1);

	/* A history of schema 2 gets the cache. */
	drop_log_text_columns(fx->path);
	sql_exec(fx->path, "DROP TABLE alerts");
	sql_exec(fx->path, "DROP TABLE cache");
	sql_exec(fx->path, "PRAGMA user_version = 2");
	s = open_store(fx->path);
	store_close(s);
	assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), 5);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM sqlite_master WHERE name = "
	    "'cache'"), 1);

	/* A history of schema 1 gets the approvals' reason and hash. */
	drop_log_text_columns(fx->path);
	sql_exec(fx->path, "DROP TABLE alerts");
	sql_exec(fx->path, "DROP TABLE cache");
	sql_exec(fx->path, "ALTER TABLE approvals DROP COLUMN reason");
	sql_exec(fx->path, "ALTER TABLE approvals DROP COLUMN hash");
	sql_exec(fx->path, "PRAGMA user_version = 1");
	/* A reader upgrades it too, as it may write it. */
	s = store_open(fx->path, true, &e);
	assert_non_null(s);
	store_close(s);
	assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), 5);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM pragma_table_info('approvals')"
	    " WHERE name IN ('reason', 'hash')"), 2);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM runs"), 1);

	/* A database from a newer drover is refused, and left alone. */
	sql_exec(fx->path, "PRAGMA user_version = 99");
	assert_null(store_open(fx->path, false, &e));
	assert_non_null(strstr(e.msg, fx->path));
	assert_non_null(strstr(e.msg, "newer drover"));
	assert_non_null(strstr(e.msg, "99"));
	assert_null(store_open(fx->path, true, &e));
	assert_non_null(strstr(e.msg, "newer drover"));
	assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), 99);

	/* An empty SQLite file (schema 0) is brought up to date. */
	snprintf(older, sizeof older, "%s/older.db", fx->dir);
	sql_exec(older, "CREATE TABLE unrelated (x)");
	s = open_store(older);
	store_close(s);
	assert_int_equal(sql_int(older, "PRAGMA user_version"), 5);
	assert_int_equal(sql_int(older, "SELECT count(*) FROM sqlite_master WHERE name IN"
	    " ('workflows', 'runs', 'steps', 'attempts', 'logs', 'events', 'approvals', 'cache',"
	    " 'alerts')"), 9);
}

static void
test_not_a_database(void **state)
{
	struct fx *fx = *state;
	struct err e = { 0 };
	char want[400], bad[200];
	FILE *f;

	/* the directories, then garbage where the database goes */
	store_close(open_store(fx->path));
	unlink(fx->path);
	f = fopen(fx->path, "w");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is a log file, not a history\n", f);
	fclose(f);

	snprintf(want, sizeof want, "cannot open the history %s: file is not a database",
	    fx->path);
	assert_null(store_open(fx->path, false, &e));
	assert_string_equal(e.msg, want);
	assert_null(store_open(fx->path, true, &e));
	assert_string_equal(e.msg, want);

	/* A directory where the database should be. */
	snprintf(bad, sizeof bad, "%s/dir.db", fx->dir);
	assert_int_equal(mkdir(bad, 0700), 0);
	assert_null(store_open(bad, false, &e));
	assert_non_null(strstr(e.msg, "cannot open the history"));
	assert_non_null(strstr(e.msg, bad));
	/* A file where a directory should be. */
	snprintf(bad, sizeof bad, "%s/history.db", fx->path);
	assert_null(store_open(bad, false, &e));
	assert_non_null(strstr(e.msg, "is not a directory"));
	assert_non_null(strstr(e.msg, fx->path));
}

/* ---- finding runs ---- */

static void
test_find_run(void **state)
{
	struct fx *fx = *state;
	struct store *s = open_store(fx->path);
	struct err e = { 0 };
	char u1[37], u2[37], want[300];
	int64_t r1 = create_run(s, u1), r2 = create_run(s, u2), r3 = create_run(s, NULL), found;
	regex_t re;

	/* Version 4, lower-case, all different. */
	assert_int_equal(regcomp(&re, "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
	    "[0-9a-f]{12}$", REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regexec(&re, u1, 0, NULL, 0), 0);
	assert_int_equal(regexec(&re, u2, 0, NULL, 0), 0);
	regfree(&re);
	assert_string_not_equal(u1, u2);
	assert_int_equal(r1, 1);
	assert_int_equal(r3, 3);

	assert_int_equal(store_find_run(s, "2", &found, &e), 0);
	assert_int_equal(found, r2);
	found = 0;
	assert_int_equal(store_find_run(s, u2, &found, &e), 0);
	assert_int_equal(found, r2);

	/* Prefixes we choose. */
	sql_exec(fx->path,
	    "UPDATE runs SET uuid = 'abcd1111-0000-4000-8000-000000000001' WHERE id = 1;"
	    "UPDATE runs SET uuid = 'abcd2222-0000-4000-8000-000000000002' WHERE id = 2;"
	    "UPDATE runs SET uuid = '12345678-0000-4000-8000-000000000003' WHERE id = 3");
	assert_int_equal(store_find_run(s, "abcd1", &found, &e), 0);
	assert_int_equal(found, 1);
	assert_int_equal(store_find_run(s, "ABCD2222-0", &found, &e), 0);
	assert_int_equal(found, 2);
	assert_int_equal(store_find_run(s, "12345678-", &found, &e), 0);
	assert_int_equal(found, 3);

	assert_int_equal(store_find_run(s, "abcd", &found, &e), -1);
	assert_string_equal(e.msg, "run prefix 'abcd' matches 2 runs; give more of the UUID");
	assert_int_equal(store_find_run(s, "abc", &found, &e), -1);
	assert_non_null(strstr(e.msg, "too short"));
	assert_int_equal(store_find_run(s, "beef", &found, &e), -1);
	snprintf(want, sizeof want, "no run matches 'beef' in the history (%s)", fx->path);
	assert_string_equal(e.msg, want);
	/* All digits is a number first, then a UUID prefix. */
	assert_int_equal(store_find_run(s, "3", &found, &e), 0);
	assert_int_equal(found, 3);
	assert_int_equal(store_find_run(s, "1234", &found, &e), 0);
	assert_int_equal(found, 3);
	assert_int_equal(store_find_run(s, "9876", &found, &e), -1);
	snprintf(want, sizeof want, "no run 9876 in the history (%s)", fx->path);
	assert_string_equal(e.msg, want);
	assert_int_equal(store_find_run(s, "0", &found, &e), -1);
	assert_int_equal(store_find_run(s, "99999999999999999999999", &found, &e), -1);
	assert_non_null(strstr(e.msg, "no run"));
	assert_int_equal(store_find_run(s, "last!", &found, &e), -1);
	assert_non_null(strstr(e.msg, "is not a run"));
	assert_int_equal(store_find_run(s, "", &found, &e), -1);
	store_close(s);
}

/* ---- ls ---- */

static void
assert_ids(cJSON *list, const int64_t *ids, size_t n)
{
	if (list == NULL)
		fail_msg("no list");
	if ((size_t)cJSON_GetArraySize(list) != n)
		fail_msg("%d runs, expected %zu: %s", cJSON_GetArraySize(list), n,
		    cJSON_PrintUnformatted(list));
	for (size_t i = 0; i < n; i++) {
		const cJSON *r = cJSON_GetArrayItem(list, (int)i);

		assert_num(r, "id", (double)ids[i]);
		assert_null(cJSON_GetObjectItemCaseSensitive(r, "steps"));
	}
	cJSON_Delete(list);
}

static void
test_list_filters(void **state)
{
	struct fx *fx = *state;
	struct store *s = open_store(fx->path);
	struct err e = { 0 };
	int64_t now = event_now(), day = 86400LL * 1000000;
	char sql[512];
	struct store_filter f;

	create_run_as(s, "alpha", "a", hostname(), true, NULL);
	create_run_as(s, "beta", "b", hostname(), true, NULL);
	create_run_as(s, "alpha", "a", hostname(), true, NULL);
	create_run_as(s, "beta", "b", hostname(), true, NULL);
	create_run_as(s, "alpha", "a", hostname(), true, NULL);
	snprintf(sql, sizeof sql,
	    "UPDATE runs SET status = 'succeeded', exit_code = 0, started_at = %" PRId64 ","
	    " ended_at = %" PRId64 " WHERE id IN (1, 3);"
	    "UPDATE runs SET started_at = %" PRId64 " WHERE id = 1;"
	    "UPDATE runs SET status = 'failed', exit_code = 1, started_at = %" PRId64 ","
	    " ended_at = %" PRId64 " WHERE id = 2;"
	    "UPDATE runs SET status = 'cancelled', exit_code = 3, ended_at = %" PRId64
	    " WHERE id = 5", now - day, now - day + 2000, now - 3 * day, now - 2 * day,
	    now - 2 * day + 5000, now);
	sql_exec(fx->path, sql);
	/* Only one workflow row per distinct text. */
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM workflows"), 2);

	assert_ids(store_list_runs(s, NULL, &e), (int64_t[]){ 5, 4, 3, 2, 1 }, 5);
	f = (struct store_filter){ .status = "succeeded" };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 3, 1 }, 2);
	f = (struct store_filter){ .workflow = "alpha" };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 5, 3, 1 }, 3);
	f = (struct store_filter){ .since_us = now - day - day / 2 };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 5, 4, 3 }, 3);
	f = (struct store_filter){ .limit = 2 };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 5, 4 }, 2);
	f = (struct store_filter){ .workflow = "beta", .limit = 1 };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 4 }, 1);
	f = (struct store_filter){ .status = "running" };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 4 }, 1);
	f = (struct store_filter){ .status = "failed", .workflow = "alpha" };
	assert_ids(store_list_runs(s, &f, &e), NULL, 0);
	f = (struct store_filter){ .status = "succeeded", .since_us = now - 2 * day,
	    .workflow = "alpha", .limit = 5 };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 3 }, 1);

	f = (struct store_filter){ .status = "bogus" };
	assert_null(store_list_runs(s, &f, &e));
	assert_non_null(strstr(e.msg, "unknown run status 'bogus'"));

	/* Fields of a finished and a running run. */
	{
		cJSON *list = store_list_runs(s, NULL, &e);
		const cJSON *r2 = cJSON_GetArrayItem(list, 3), *r4 = cJSON_GetArrayItem(list, 1);

		assert_keys(r2, run_keys);
		assert_str(r2, "status", "failed");
		assert_num(r2, "exit_code", 1);
		assert_time(r2, "started_at", now - 2 * day);
		assert_time(r2, "ended_at", now - 2 * day + 5000);
		assert_num(r2, "duration_ms", 5);
		assert_str(r4, "status", "running");
		assert_null_item(r4, "exit_code");
		assert_null_item(r4, "ended_at");
		assert_true(item(r4, "duration_ms")->valuedouble >= 0);
		cJSON_Delete(list);
	}

	/* The clock stepped back: an older run number with a later start. */
	snprintf(sql, sizeof sql, "UPDATE runs SET started_at = %" PRId64 " WHERE id = 2", now);
	sql_exec(fx->path, sql);
	f = (struct store_filter){ .since_us = now - day - day / 2 };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 5, 4, 3, 2 }, 4);
	f = (struct store_filter){ .since_us = now + day };
	assert_ids(store_list_runs(s, &f, &e), NULL, 0);
	store_close(s);
}

/* Paging through the whole history by keyset, and the console's filter
 * text, both in SQL. */
static void
test_list_pages(void **state)
{
	struct fx *fx = *state;
	struct store *s = open_store(fx->path);
	struct err e = { 0 };
	struct store_filter f;

	for (int i = 1; i <= 30; i++) {
		char uuid[37];

		snprintf(uuid, sizeof uuid, "f%07d-0000-4000-8000-000000000000", i);
		create_run_uuid(s, i % 3 == 0 ? "deploy-web" : "build", "t", hostname(), true, uuid);
	}
	sql_exec(fx->path, "UPDATE runs SET status = 'failed', exit_code = 1 WHERE id IN (2, 29);"
	    "UPDATE runs SET status = 'succeeded', exit_code = 0 WHERE id % 2 = 1;"
	    "UPDATE runs SET user = 'Bob' WHERE id = 4");

	f = (struct store_filter){ .limit = 3 };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 30, 29, 28 }, 3);
	f = (struct store_filter){ .before = 28, .limit = 3 };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 27, 26, 25 }, 3);
	f = (struct store_filter){ .before = 3, .limit = 3 };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 2, 1 }, 2);
	/* The last page, and the page above a run. */
	f = (struct store_filter){ .oldest_first = true, .limit = 3 };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 1, 2, 3 }, 3);
	f = (struct store_filter){ .after = 27, .oldest_first = true, .limit = 2 };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 28, 29 }, 2);
	f = (struct store_filter){ .after = 10, .before = 14 };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 13, 12, 11 }, 3);

	/* Filter words, in any case; a status word is a status. */
	f = (struct store_filter){ .text = "DEPLOY", .before = 10 };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 9, 6, 3 }, 3);
	f = (struct store_filter){ .text = "workflow:dep succeeded" };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 27, 21, 15, 9, 3 }, 5);
	f = (struct store_filter){ .text = "status:failed", .oldest_first = true, .limit = 1 };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 2 }, 1);
	f = (struct store_filter){ .text = "7" };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 7 }, 1);
	f = (struct store_filter){ .text = "f000002" };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 29, 28, 27, 26, 25, 24, 23, 22, 21,
	    20 }, 10);
	f = (struct store_filter){ .text = "bob" };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 4 }, 1);
	f = (struct store_filter){ .text = "build running" };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 28, 26, 22, 20, 16, 14, 10, 8, 4 }, 9);
	f = (struct store_filter){ .text = "100%_" };
	assert_ids(store_list_runs(s, &f, &e), NULL, 0);
	/* Interrupted runs are running in SQL: told apart in C, paged alike.
	 * Runs 8, 16 and 24 lose their owner (held[] is in run order). */
	for (size_t k = 8; k <= 24; k += 8) {
		runlock_release(held[k - 1], false);
		held[k - 1] = NULL;
	}
	f = (struct store_filter){ .text = "interrupted", .limit = 2 };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 24, 16 }, 2);
	f = (struct store_filter){ .text = "interrupted", .before = 16 };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ 8 }, 1);

	f = (struct store_filter){ .text = "failed status:succeeded" };
	assert_null(store_list_runs(s, &f, &e));
	assert_non_null(strstr(e.msg, "one status"));
	f = (struct store_filter){ .text = "status:bogus" };
	assert_null(store_list_runs(s, &f, &e));
	assert_non_null(strstr(e.msg, "unknown run status 'bogus'"));
	f = (struct store_filter){ .text = "a b c d e f g h i j k l m n o p q" };
	assert_null(store_list_runs(s, &f, &e));
	assert_non_null(strstr(e.msg, "too many words"));
	store_close(s);
}

static const char *
attempt_field(const cJSON *run, int step, int attempt, const char *key)
{
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(run, "steps");
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(steps, step),
	    "attempt_list");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, attempt - 1),
	    key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Who owns a run is its lock: a run marked running that nobody's lock
 * holds has lost its owner. */
static void
test_interrupted(void **state)
{
	struct fx *fx = *state;
	struct store *s = open_store(fx->path);
	struct err e = { 0 };
	struct store_filter f;
	char ua[37], ue[37], *lock, sql[512];
	struct runlock *taken;
	int64_t a, b, c, d, x;
	cJSON *r;

	a = create_run_as(s, "w", "x", hostname(), false, ua);	/* nobody owns it */
	b = create_run_as(s, "w", "x", hostname(), true, NULL);	/* this process does */
	c = create_run_as(s, "w", "x", hostname(), true, NULL);	/* its owner dies: */
	d = create_run_as(s, "w", "x", "elsewhere.example", false, NULL);	/* cannot tell */
	runlock_release(held[--n_held], false);
	x = create_run_as(s, "w", "x", hostname(), false, ue);	/* lock file not a file */
	lock = xasprintf("%s-locks/%s.lock", fx->path, ue);
	assert_int_equal(mkfifo(lock, 0600), 0);
	free(lock);

	assert_false(store_run_live(s, a, NULL));
	assert_true(store_run_live(s, b, NULL));
	assert_false(store_run_live(s, c, NULL));
	assert_true(store_run_live(s, d, NULL));
	assert_true(store_run_live(s, x, NULL));

	r = store_list_runs(s, NULL, &e);
	assert_str(cJSON_GetArrayItem(r, 0), "status", "running");	/* x */
	assert_str(cJSON_GetArrayItem(r, 1), "status", "running");	/* d */
	assert_str(cJSON_GetArrayItem(r, 2), "status", "interrupted");	/* c */
	assert_str(cJSON_GetArrayItem(r, 3), "status", "running");	/* b */
	assert_str(cJSON_GetArrayItem(r, 4), "status", "interrupted");	/* a */
	assert_null_item(cJSON_GetArrayItem(r, 4), "exit_code");
	assert_null_item(cJSON_GetArrayItem(r, 4), "duration_ms");
	cJSON_Delete(r);
	f = (struct store_filter){ .status = "interrupted" };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ c, a }, 2);
	f = (struct store_filter){ .status = "running" };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ x, d, b }, 3);
	f = (struct store_filter){ .status = "interrupted", .limit = 1 };
	assert_ids(store_list_runs(s, &f, &e), (int64_t[]){ c }, 1);
	r = store_get_run(s, a, &e);
	assert_str(r, "status", "interrupted");
	cJSON_Delete(r);

	/* drover resume takes it over: its lock, then the run; what the dead
	 * owner left running was interrupted. */
	snprintf(sql, sizeof sql, "UPDATE runs SET pid = 4242 WHERE id = %" PRId64 ";"
	    "INSERT INTO attempts (run_id, step_idx, phase, attempt, status, started_at)"
	    " VALUES (%" PRId64 ", 0, 'main', 1, 'succeeded', 1), (%" PRId64 ", 1, 'main', 1,"
	    " 'running', 2)", a, a, a);
	sql_exec(fx->path, sql);
	taken = own_run(ua);
	assert_int_equal(store_run_adopt(s, a, getpid(), &e), 0);
	assert_true(store_run_live(s, a, NULL));
	r = store_get_run(s, a, &e);
	assert_str(r, "status", "running");
	assert_string_equal(attempt_field(r, 0, 1, "status"), "succeeded");
	assert_string_equal(attempt_field(r, 1, 1, "status"), "interrupted");
	assert_non_null(strstr(attempt_field(r, 1, 1, "error"), "pid 4242"));
	assert_non_null(attempt_field(r, 1, 1, "ended_at"));
	cJSON_Delete(r);
	runlock_release(taken, false);

	/* A run that ended meanwhile is not taken over. */
	sql_exec(fx->path, "UPDATE runs SET status = 'succeeded' WHERE id = 1");
	assert_int_equal(store_run_adopt(s, a, getpid(), &e), -1);
	assert_non_null(strstr(e.msg, "has ended (succeeded)"));
	assert_int_equal(store_run_adopt(s, 999, getpid(), &e), -1);
	assert_non_null(strstr(e.msg, "no run 999"));
	store_close(s);
}

/* ---- when the history cannot be written ---- */

static void
put_small_run(struct wenv *we)
{
	put_json(we, EV_RUN_START, -1, 0, RUN_RUNNING, 0, -1, "{}");
	put_step(we, 0, PHASE_MAIN, ST_RUNNING, 1, -1, "{}");
	put_log(we, 0, 1, STREAM_STDOUT, 1, 2, "one\ntwo");
	put_step(we, 0, PHASE_MAIN, ST_SUCCEEDED, 1, 0, "{\"outputs\":{},\"duration_ms\":5}");
}

static void
finish_small_run(struct wenv *we)
{
	put_json(we, EV_RUN_END, -1, 0, RUN_SUCCEEDED, 0, 0, "{\"duration_ms\":9}");
}

/* Waits up to timeout seconds for the writer to report a failure. */
static bool
wait_error(struct wenv *we, double timeout, char *msg, size_t size)
{
	double deadline = mono_s() + timeout;

	while (wenv_errors(we, msg, size) == 0) {
		if (mono_s() > deadline)
			return false;
		usleep(10000);
	}
	return true;
}

/*
 * Another process holds the write lock longer than the busy timeout: the
 * writer says so (once), shows nothing to viewers, keeps the events, and
 * stores them all once the lock is released.
 */
static void
test_writer_locked(void **state)
{
	struct fx *fx = *state;
	struct store *s = open_store(fx->path);
	struct wenv we;
	struct err e = { 0 };
	int64_t run = create_run(s, NULL);
	sqlite3 *locker;
	struct ring_reader *viewer;
	struct event ev;
	char msg[1024];
	struct got g = { .n = 0 };
	cJSON *r;

	assert_int_equal(sqlite3_open(fx->path, &locker), SQLITE_OK);
	assert_int_equal(sqlite3_exec(locker, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	wenv_start(&we, s, run);
	viewer = ring_reader_new(we.ring, false);
	put_small_run(&we);
	if (!wait_error(&we, 20, msg, sizeof msg))
		fail_msg("the writer reported nothing");
	printf("# reported: %s\n", msg);
	assert_non_null(strstr(msg, "database is locked"));
	assert_non_null(strstr(msg, fx->path));
	assert_non_null(strstr(msg, "run 1"));
	/* Nothing is shown before it is stored. */
	assert_int_equal(ring_read(viewer, &ev, 0), RING_EMPTY);

	finish_small_run(&we);
	assert_int_equal(sqlite3_exec(locker, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(locker);
	/* Once stored, viewers see it. */
	assert_int_equal(ring_read(viewer, &ev, 10000), RING_EVENT);
	assert_int_equal(ev.seq, 1);
	ring_reader_free(viewer);
	wenv_finish_ok(&we);
	assert_int_equal(wenv_errors(&we, NULL, 0), 1);	/* one message, said once */

	read_events(s, run, 0, false, -1, 0, &g);
	assert_int_equal(g.n, we.sent.n);
	for (size_t i = 0; i < g.n; i++)
		assert_same_event(&g.ev[i], g.data[i], &we.sent.ev[i], we.sent.data[i]);
	got_free(&g);
	r = store_get_run(s, run, &e);
	assert_str(r, "status", "succeeded");
	assert_str(cJSON_GetArrayItem(item(r, "steps"), 0), "status", "succeeded");
	cJSON_Delete(r);
	wenv_free(&we);
	store_close(s);
}

/*
 * The history's file and directory become read-only under a running
 * writer.  Root ignores permissions, so as root this runs in a child that
 * became nobody.  The child reports with its exit status.
 */
#define CHILD_CHECK(cond, code) do { if (!(cond)) { fprintf(stderr, \
	"# child: %s failed\n", #cond); _exit(code); } } while (0)

static void
readonly_child(void)
{
	char dir[] = "/tmp/test_store_ro.XXXXXX", path[128], msg[1024];
	struct err e = { 0 };
	struct store *s;
	struct wenv we;
	struct got g = { .n = 0 };
	int64_t run;
	struct store_run_info ri = { .workflow = "w", .file = "w.yaml", .text = "t",
	    .text_len = 1, .user = "nobody", .host = "h", .steps = three_steps, .n_steps = 3 };
	char uuid[37];
	int rc;

	CHILD_CHECK(mkdtemp(dir) != NULL, 10);
	snprintf(path, sizeof path, "%s/history.db", dir);
	s = store_open(path, false, &e);
	CHILD_CHECK(s != NULL, 11);
	store_new_uuid(uuid);
	CHILD_CHECK(store_run_create(s, &ri, uuid, &run, &e) == 0, 12);
	CHILD_CHECK(chmod(path, 0444) == 0 && chmod(dir, 0555) == 0, 13);

	memset(&we, 0, sizeof we);
	pthread_mutex_init(&we.lock, NULL);
	we.ring = ring_new(RING_CAP);
	we.gate = ring_reader_new(we.ring, true);
	we.ts = 1;
	we.keep = false;
	we.w = store_writer_start(s, run, we.gate, on_writer_error, &we);
	put_small_run(&we);
	CHILD_CHECK(wait_error(&we, 20, msg, sizeof msg), 14);
	fprintf(stderr, "# reported: %s\n", msg);
	CHILD_CHECK(strstr(msg, "readonly") != NULL || strstr(msg, "read-only") != NULL, 15);
	CHILD_CHECK(strstr(msg, path) != NULL, 16);
	/* An operator fixes it: the writer carries on, nothing lost. */
	CHILD_CHECK(chmod(dir, 0700) == 0 && chmod(path, 0600) == 0, 17);
	finish_small_run(&we);
	ring_close(we.ring);
	rc = store_writer_join(we.w, &e);
	CHILD_CHECK(rc == 0, 18);
	ring_reader_free(we.gate);
	ring_free(we.ring);
	CHILD_CHECK(store_read_events(s, run, 0, STORE_ALL, -1, 0, collect, &g, &e) == 0, 19);
	CHILD_CHECK(g.n == 5, 20);
	store_close(s);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	_exit(0);
}

static void
test_writer_readonly(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(77);
		readonly_child();
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	/* Not skip(): cmocka prints "not ok # SKIP", which automake's TAP
	 * driver counts as a failure. */
	if (WEXITSTATUS(status) == 77) {
		printf("# not checked: cannot become nobody to make permissions count\n");
		return;
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * The ring ends while the database stays locked: after 30 seconds of
 * failing the writer gives up and join says why.  Slow, so only with
 * DROVER_TEST_SLOW=1.
 */
static void
test_writer_gives_up(void **state)
{
	struct fx *fx = *state;
	struct store *s;
	struct wenv we;
	struct err e = { 0 };
	int64_t run;
	sqlite3 *locker;
	double t0;

	if (getenv("DROVER_TEST_SLOW") == NULL) {
		printf("# not run: set DROVER_TEST_SLOW=1 (takes about 40 s)\n");
		return;
	}
	s = open_store(fx->path);
	run = create_run(s, NULL);
	assert_int_equal(sqlite3_open(fx->path, &locker), SQLITE_OK);
	assert_int_equal(sqlite3_exec(locker, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	wenv_start(&we, s, run);
	put_small_run(&we);
	finish_small_run(&we);
	t0 = mono_s();
	assert_int_equal(wenv_finish(&we, &e), -1);
	printf("# gave up after %.0f s: %s\n", mono_s() - t0, e.msg);
	assert_true(mono_s() - t0 >= 30);
	assert_non_null(strstr(e.msg, "database is locked"));
	assert_non_null(strstr(e.msg, "5 events of the run were not recorded"));
	sqlite3_exec(locker, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(locker);
	wenv_free(&we);
	store_close(s);
}

/* ---- odds and ends ---- */

static void
test_default_path(void **state)
{
	char *saved[3], *p;
	static const char *const vars[3] = { "DROVER_DB", "XDG_STATE_HOME", "HOME" };

	(void)state;
	for (int i = 0; i < 3; i++)
		saved[i] = getenv(vars[i]) != NULL ? strdup(getenv(vars[i])) : NULL;
	setenv("DROVER_DB", "/srv/drover.db", 1);
	setenv("XDG_STATE_HOME", "/x/state", 1);
	setenv("HOME", "/home/op", 1);
	assert_string_equal(p = store_default_path(), "/srv/drover.db");
	free(p);
	unsetenv("DROVER_DB");
	assert_string_equal(p = store_default_path(), "/x/state/drover/history.db");
	free(p);
	setenv("XDG_STATE_HOME", "relative/state", 1);	/* ignored, as XDG says */
	assert_string_equal(p = store_default_path(), "/home/op/.local/state/drover/history.db");
	free(p);
	unsetenv("XDG_STATE_HOME");
	assert_string_equal(p = store_default_path(), "/home/op/.local/state/drover/history.db");
	free(p);
	for (int i = 0; i < 3; i++) {
		if (saved[i] != NULL)
			setenv(vars[i], saved[i], 1);
		else
			unsetenv(vars[i]);
		free(saved[i]);
	}
}

/* The workflow's hash is its SHA-256, as sha256sum prints it. */
static void
test_workflow_hash(void **state)
{
	struct fx *fx = *state;
	struct store *s = open_store(fx->path);
	static const char *const want[] = {
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	};
	char *million = malloc(1000001), sql[128], *h;

	memset(million, 'a', 1000000);
	million[1000000] = '\0';
	create_run_as(s, "w", "abc", "h", false, NULL);
	create_run_as(s, "w", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "h",
	    false, NULL);
	create_run_as(s, "w", million, "h", false, NULL);
	create_run_as(s, "w", "", "h", false, NULL);
	for (int i = 0; i < 4; i++) {
		snprintf(sql, sizeof sql, "SELECT w.hash FROM runs r JOIN workflows w"
		    " ON w.id = r.workflow_id WHERE r.id = %d", i + 1);
		h = sql_text(fx->path, sql);
		assert_string_equal(h, want[i]);
		free(h);
	}
	free(million);
	store_close(s);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)
	const struct CMUnitTest tests[] = {
		T(test_run_recorded),
		T(test_fallback_rollback_cache),
		T(test_million_lines),
		T(test_streams_interleaved),
		T(test_data_version),
		T(test_reader_beside_writer),
		T(test_readonly_missing),
		T(test_migrations),
		T(test_log_text_file),
		T(test_journal_fold),
		T(test_journal_hostile),
		T(test_not_a_database),
		T(test_find_run),
		T(test_list_filters),
		T(test_list_pages),
		T(test_interrupted),
		T(test_writer_locked),
		T(test_writer_readonly),
		T(test_writer_gives_up),
		T(test_default_path),
		T(test_workflow_hash),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
