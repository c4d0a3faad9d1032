/* runner.c - a run in the foreground.
 *
 *   engine (executor thread) ──► ring ──► store writer thread (gate) ──► history.db
 *                                  ├────► this thread: the printer, which sees an event
 *                                  │      only once the history has it
 *                                  └────► ctl thread: the run's control socket (ctl.h),
 *                                         whose cancel goes to the engine
 *
 * The run's lock (runlock.h) is taken before the run is recorded and let go
 * once its last event is, so the run has this one owner throughout.
 *
 * Ctrl-C reaches the executor through a signalfd (the signals are blocked
 * here before any thread exists): the first cancels gracefully, the second
 * kills.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budget.h"
#include "cmd.h"
#include "conf.h"
#include "ctl.h"
#include "event.h"
#include "json.h"
#include "paths.h"
#include "printer.h"
#include "proctrack.h"
#include "ring.h"
#include "runlock.h"
#include "runner.h"
#include "share.h"
#include "termtext.h"
#include "store.h"
#include "wf.h"
#include "xmalloc.h"

#define RING_BYTES (8u << 20)

const char *
runner_user(void)
{
	static char name[256];
	struct passwd *pw;

	if (name[0] == '\0') {
		pw = getpwuid(getuid());
		if (pw != NULL)
			snprintf(name, sizeof name, "%s", pw->pw_name);
		else
			snprintf(name, sizeof name, "uid%u", (unsigned)getuid());
	}
	return name;
}

const char *
runner_host(void)
{
	static char name[256];

	if (name[0] == '\0' && gethostname(name, sizeof name - 1) < 0)
		snprintf(name, sizeof name, "localhost");
	return name;
}

static void
on_history_error(void *ud, const char *msg)
{
	(void)ud;
	cmd_error("the history cannot be written: %s (the run waits until it can)", msg);
}

/* What alert rules did after the run: "drover: alert ... fired: ...",
 * harmless on a terminal (a rule's name is the configuration's text). */
static void
say_alert(const char *line)
{
	char *safe = isatty(STDERR_FILENO) ?
	    termtext_escaped(line, strlen(line), termtext_utf8_locale()) : NULL;

	cmd_error("%s", safe != NULL ? safe : line);
	free(safe);
}

struct catch_up {
	struct printer *pr;
	uint64_t until;		/* print events before this seq */
	uint64_t *last;
};

static int
print_missed(void *ud, const struct event *ev)
{
	struct catch_up *c = ud;

	if (ev->seq >= c->until)
		return 1;
	printer_event(c->pr, ev);
	*c->last = ev->seq;
	return 0;
}

/* Prints every event as it becomes durable, flushing when none is at
 * hand; a lapped printer fills the gap from the history (log lines only
 * when it shows them), so the output is complete.  Its connection to the
 * history is made the first time it is lapped: most runs never are. */
static void
print_events(struct ring_reader *rd, const char *db, int64_t run, struct printer *pr,
    uint64_t last)
{
	enum store_part missed = printer_shows_logs(pr) ? STORE_ALL : STORE_STATE;
	struct store *reader = NULL;
	struct event ev;

	for (;;) {
		enum ring_rc rc = ring_read(rd, &ev, 0);

		if (rc == RING_EMPTY) {
			fflush(pr->fp);
			rc = ring_read(rd, &ev, -1);
		}
		if (rc == RING_END) {
			fflush(pr->fp);
			store_close(reader);
			return;
		}
		if (rc == RING_LAPPED) {
			struct catch_up c = { pr, ring_reader_seq(rd), &last };
			struct err e;

			if (reader == NULL)
				reader = store_open(db, true, &e);
			if (reader != NULL)
				store_read_events(reader, run, last, missed, -1, 0, print_missed, &c, &e);
			continue;
		}
		if (rc != RING_EVENT || ev.seq <= last)
			continue;
		printer_event(pr, &ev);
		last = ev.seq;
	}
}

static void
block_signals(bool detached)
{
	sigset_t sigs;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	/* A hang-up is a terminal's, and a run process has none: ignored and
	 * not blocked (the kernel queues a blocked signal even when it is
	 * ignored), it never reaches the executor's signalfd. */
	if (detached)
		signal(SIGHUP, SIG_IGN);
	else
		sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void
step_infos(const struct workflow *wf, struct store_step_info *si)
{
	for (size_t i = 0; i < wf->n_steps; i++) {
		si[i].id = wf->steps[i].id;
		si[i].section = wf_section_name(wf->steps[i].section);
		si[i].kind = wf_kind_name(wf->steps[i].body.kind);
	}
}

struct runlock *
runner_lock(int64_t run, const char *uuid, const char *cgroup,
    struct runlock_owner *prev)
{
	char *db = store_default_path(), what[64];
	struct runlock_owner me;
	struct runlock *lock;
	struct err e;
	bool held;

	runlock_owner_self(&me, runner_user(), runner_host());
	snprintf(me.cgroup, sizeof me.cgroup, "%s", cgroup);
	lock = runlock_take(db, uuid, &me, prev, &held, &e);
	free(db);
	if (lock != NULL)
		return lock;
	if (!held) {
		cmd_error("%s", e.msg);
		return NULL;
	}
	if (run > 0)
		snprintf(what, sizeof what, "run %lld", (long long)run);
	else
		snprintf(what, sizeof what, "the new run %s", uuid);
	if (prev->pid <= 0)
		cmd_error("%s is being run by another drover process (it holds the run's lock): "
		    "wait for it to end (drover ls), then try again", what);
	else
		cmd_error("%s is being run by drover pid %d (user %s on host %s, since %s): wait "
		    "for it to end (drover ls), or stop that process (kill %d) and try "
		    "again", what, prev->pid, prev->user, prev->host, prev->since, prev->pid);
	return NULL;
}

/* Records the run under uuid: a new one under a lock of its own, or the
 * takeover of an interrupted one whose lock the caller took.  From the
 * moment the history shows the run, this process owns it.  Prints why not
 * and returns the exit status for that, or 0. */
/* The history cannot be had before the run is recorded: nothing ran, and
 * it is the caller's to fix. */
static int
history_error(const struct err *e)
{
	cmd_error("%s%s", e->msg, strstr(e->msg, "locked") != NULL ? " (another process holds "
	    "its write lock; try again, or give another history with --db)" : "");
	return EXIT_USAGE;
}

static int
record_run(struct store *s, const struct runner_opts *o, const char *uuid, const char *cgroup,
    struct runlock **lock, int64_t *run)
{
	const struct workflow *wf = o->wf;
	struct runlock_owner me, prev;
	struct store_step_info *si;
	struct store_run_info ri;
	struct err e;
	cJSON *shown;
	char *args_json;
	int rc;

	if (o->resume_run > 0) {
		*run = o->resume_run;
		runlock_owner_self(&me, runner_user(), runner_host());
		snprintf(me.cgroup, sizeof me.cgroup, "%s", cgroup);
		if (runlock_set_owner(*lock, &me, &e) == 0 &&
		    store_run_adopt(s, *run, getpid(), &e) == 0)
			return 0;
		cmd_error("%s", e.msg);
		return EXIT_USAGE;
	}
	if ((*lock = runner_lock(0, uuid, cgroup, &prev)) == NULL)
		return EXIT_USAGE;
	shown = cJSON_Duplicate(o->args, true);
	for (size_t k = 0; k < wf->args.n; k++)
		if (wf->args.v[k].secret &&
		    cJSON_GetObjectItemCaseSensitive(shown, wf->args.v[k].name) != NULL)
			cJSON_ReplaceItemInObjectCaseSensitive(shown, wf->args.v[k].name,
			    cJSON_CreateString("***"));
	args_json = json_text(shown, false);
	cJSON_Delete(shown);
	si = xcalloc(wf->n_steps + 1, sizeof *si);
	step_infos(wf, si);
	memset(&ri, 0, sizeof ri);
	ri.workflow = wf->name;
	ri.file = wf->file;
	ri.text = wf->text;
	ri.text_len = wf->text_len;
	ri.args_json = args_json;
	ri.user = runner_user();
	ri.host = runner_host();
	ri.pid = getpid();
	ri.retry_of = o->retry_of;
	ri.steps = si;
	ri.n_steps = wf->n_steps;
	rc = store_run_create(s, &ri, uuid, run, &e) < 0 ? history_error(&e) : 0;
	free(si);
	free(args_json);
	return rc;
}

static void
engine_opts_fill(struct engine_opts *eo, const struct runner_opts *o, const struct conf *conf,
    const char *rtdir)
{
	memset(eo, 0, sizeof *eo);
	eo->wf = o->wf;
	eo->args = o->args;
	eo->user = runner_user();
	eo->host = runner_host();
	eo->auto_approve = o->auto_approve;
	eo->kill_grace_ms = conf->kill_grace_ms;
	eo->conf = conf;
	eo->runtime_dir = rtdir;
	eo->prior = o->prior;
	eo->started_at = o->started_at;
}

/* The result cache, read on the executor's thread through a connection
 * of its own. */
struct cache_ctx {
	struct store *s;	/* NULL: no step has a cache, or it cannot be read */
	const char *workflow;
};

static int
runner_cache_get(void *ud, const char *step, const char *key, cJSON **entry, struct err *e)
{
	struct cache_ctx *c = ud;

	*entry = NULL;
	if (c->s == NULL)
		return 0;
	return store_cache_get(c->s, c->workflow, step, key, event_now(), entry, e);
}

static bool
uses_cache(const struct workflow *wf)
{
	for (size_t i = 0; i < wf->n_steps; i++)
		if (wf->steps[i].has_cache)
			return true;
	return false;
}

int
runner_check(const struct runner_opts *o, struct step_cost *est)
{
	struct engine_opts eo;
	struct diags d = DIAGS_INIT;
	struct conf conf;
	struct engine *en;
	struct err e;

	if (conf_load(&conf, &d) < 0) {
		diags_print(&d, stderr);
		diags_fini(&d);
		conf_fini(&conf);
		return EXIT_USAGE;
	}
	diags_fini(&d);
	engine_opts_fill(&eo, o, &conf, "");
	en = engine_new(&eo, &e);
	if (en == NULL) {
		conf_fini(&conf);
		cmd_error("%s", e.msg);
		return EXIT_USAGE;
	}
	for (size_t i = 0; est != NULL && i < o->wf->n_steps; i++)
		est[i].known = engine_estimate(en, i, &est[i].c);
	engine_free(en);
	conf_fini(&conf);
	return EXIT_OK;
}

int
runner_run(const struct runner_opts *o)
{
	struct engine_opts eo;
	struct diags d = DIAGS_INIT;
	struct conf conf;
	struct engine *en = NULL;
	struct store *s = NULL;
	struct cache_ctx cache = { NULL, o->wf->name };
	struct ring *ring = NULL;
	struct store_journal *journal = NULL;
	struct ring_reader *gate = NULL, *view = NULL;
	struct store_writer *w = NULL;
	struct runlock *lock = o->lock;
	struct proctrack_run *procs = NULL;
	struct ctl *ctl = NULL;
	struct printer pr;
	char *db = NULL, *rtdir = NULL, uuid[37];
	int64_t run = 0;
	struct err e;
	int status = EXIT_INTERNAL;
	enum run_status rs;
	bool ended = false;

	if (conf_load(&conf, &d) < 0) {
		diags_print(&d, stderr);
		status = EXIT_USAGE;
		goto out;
	}
	if ((rtdir = share_runtime_dir(&e)) == NULL) {
		cmd_error("%s", e.msg);
		goto out;
	}
	if (o->uuid != NULL)
		snprintf(uuid, sizeof uuid, "%s", o->uuid);
	else
		store_new_uuid(uuid);
	if ((procs = proctrack_run_new(conf.process_tracking, uuid, &e)) == NULL) {
		cmd_error("%s", e.msg);
		status = EXIT_USAGE;
		goto out;
	}
	engine_opts_fill(&eo, o, &conf, rtdir);
	eo.procs = procs;
	eo.cache_get = runner_cache_get;
	eo.cache_ud = &cache;
	en = engine_new(&eo, &e);
	if (en == NULL) {
		cmd_error("%s", e.msg);
		status = EXIT_USAGE;
		goto out;
	}
	db = store_default_path();
	if ((s = store_open(db, false, &e)) == NULL) {
		status = history_error(&e);
		goto out;
	}
	if ((status = record_run(s, o, uuid, proctrack_run_cgroup(procs), &lock, &run)) != 0)
		goto out;
	status = EXIT_INTERNAL;
	/* Made now, before any thread exists (ctl_listen sets the umask), by
	 * the run's owner.  Without it the run goes on, as Ctrl-C still
	 * reaches it. */
	if ((ctl = ctl_listen(rtdir, uuid, &e)) == NULL)
		cmd_error("run %lld has no control socket, so 'drover cancel %lld' cannot reach "
		    "it: %s", (long long)run, (long long)run, e.msg);
	if (uses_cache(o->wf) && (cache.s = store_open(db, true, &e)) == NULL)
		cmd_error("run %lld cannot read the result cache, so every step runs: %s",
		    (long long)run, e.msg);
	block_signals(o->detached);
	ring = ring_new_at(RING_BYTES, o->first_seq + 1);
	gate = ring_reader_new(ring, true);
	view = ring_reader_new(ring, false);
	if ((w = store_writer_start(s, run, gate, on_history_error, NULL)) == NULL) {
		cmd_error("run %lld did not start: cannot start the history writer "
		    "(pthread_create: %s)%s; then 'drover resume %lld' starts it",
		    (long long)run, strerror(errno), err_sys_hint(errno), (long long)run);
		goto out;
	}
	printer_init(&pr, stdout, o->wf, run, o->json, o->verbose);
	if (ctl != NULL) {
		struct ctl_run cr = { run, uuid, db, o->wf, runner_user(), runner_host(),
		    conf.kill_grace_ms, en, ring };

		if (ctl_start(ctl, &cr, &e) < 0) {
			cmd_error("run %lld has no control socket, so 'drover cancel %lld' cannot "
			    "reach it: %s", (long long)run, (long long)run, e.msg);
			ctl_free(ctl);
			ctl = NULL;
		}
	}
	journal = store_journal_new(db, run);
	if (engine_start(en, ring, journal, run, uuid, &e) < 0) {
		cmd_error("%s", e.msg);
		ring_close(ring);
	} else {
		if (o->ready != NULL)
			o->ready(o->ready_ud, run);
		print_events(view, db, run, &pr, o->first_seq);
	}
	rs = engine_join(en);
	if (engine_abandoned(en)) {
		/* The writer gives up at once on an abandoned ring. */
		store_writer_join(w, &e);
		cmd_error("run %lld was stopped before the history could record it; its steps were "
		    "killed, and 'drover resume %lld' continues it once the history can be "
		    "written", (long long)run, (long long)run);
		status = EXIT_CANCELLED;
		goto out;
	}
	if (store_writer_join(w, &e) < 0) {
		cmd_error("the history of run %lld is incomplete: %s", (long long)run, e.msg);
		goto out;
	}
	status = run_status_exit_code(rs);
	ended = true;
out:
	store_journal_free(journal, ended);
	/* The socket goes before the lock: whoever owns the run next makes
	 * its own. */
	ctl_free(ctl);
	runlock_release(lock, ended);
	if (ended)
		alerts_after_run(&conf.alerts, s, o->wf->name, run, say_alert);
	engine_free(en);
	proctrack_run_free(procs);
	ring_reader_free(view);
	ring_reader_free(gate);
	ring_free(ring);
	store_close(cache.s);
	store_close(s);
	free(db);
	free(rtdir);
	diags_fini(&d);
	conf_fini(&conf);
	return status;
}
