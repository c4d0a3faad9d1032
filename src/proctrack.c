/* proctrack.c - tracking an attempt's processes: a cgroup v2 leaf, or
 * drover as their subreaper (see proctrack.h).
 *
 * cgroup: the cgroup2 mount comes from /proc/self/mountinfo and drover's
 * own cgroup from the 0:: line of /proc/self/cgroup.  Joining a fresh leaf
 * costs a spawn again (the kernel sets up a new css_set), joining one used
 * before costs nothing, so a run keeps its leaves and hands a free, empty
 * one to each attempt; they go with the run.
 *
 * subreaper: the children drover waits for itself (steps' first
 * processes, through pidfds in step_run.c) are registered here while they
 * may still be reaped, so the reaper of adopted orphans never takes their
 * exit status.  It reaps only what it knows is an orphan of a step: a
 * child in drover's own session (steps keep it; the console's :run
 * children make sessions of their own), or one it signalled itself.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proctrack.h"
#include "ptable.h"
#include "launch.h"
#include "monotime.h"
#include "xmalloc.h"

#define PROCTRACK_EMPTY_WAIT_MS 2000	/* for a killed cgroup to empty */
#define PROCTRACK_KILL_ROUNDS 50	/* SIGKILL by pid, without cgroup.kill */

/* A cgroup leaf, used by one attempt at a time. */
struct slot {
	char *dir;		/* its directory */
	char *rel;		/* its path as /proc/PID/cgroup says it: /drover-UUID/N */
	int procs_fd;		/* cgroup.procs, for the child to join */
	int dir_fd;		/* the leaf itself, for the child to be born in */
	int events_fd;		/* cgroup.events: "populated 0|1" */
	bool busy;
};

struct proctrack_run {
	enum proctrack_mode mode;
	char *dir, *rel;	/* cgroup: the run's directory */
	struct slot *slots;
	size_t n_slots, cap_slots;
	size_t next_leaf;	/* the name of the next leaf made */
};

struct proctrack {
	struct proctrack_run *tr;
	size_t slot;		/* cgroup: index in tr->slots */
	bool has_slot;
	pid_t pid;		/* the first process, leader of its group; 0 before it */
	bool waited;		/* pid was reaped: its group id means nothing now */
	bool emptied;		/* cgroup: proctrack_empty saw its leaf empty */
	char *match[3];		/* DROVER_RUN_UUID=, DROVER_STEP_ID=, DROVER_ATTEMPT= */
	size_t n_match;
};

/* ---- what is process-wide ---- */

static pthread_mutex_t proctrack_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t *proctrack_waited;		/* children drover reaps itself */
static size_t proctrack_n_waited, proctrack_cap_waited;
static struct pinfo *proctrack_signalled;	/* orphans it signalled: reaped here */
static size_t proctrack_n_signalled, proctrack_cap_signalled;

static bool
proctrack_is_waited(pid_t pid)
{
	for (size_t i = 0; i < proctrack_n_waited; i++)
		if (proctrack_waited[i] == pid)
			return true;
	return false;
}

static void
proctrack_unwait(pid_t pid)
{
	pthread_mutex_lock(&proctrack_lock);
	for (size_t i = 0; i < proctrack_n_waited; i++)
		if (proctrack_waited[i] == pid)
			proctrack_waited[i--] = proctrack_waited[--proctrack_n_waited];
	pthread_mutex_unlock(&proctrack_lock);
}

/* Remembers an orphan of ours that was signalled, to reap it. */
static void
proctrack_note_signalled(const struct pinfo *pi)
{
	pthread_mutex_lock(&proctrack_lock);
	xgrow(&proctrack_signalled, &proctrack_cap_signalled, proctrack_n_signalled + 1,
	    sizeof *proctrack_signalled);
	proctrack_signalled[proctrack_n_signalled++] = *pi;
	pthread_mutex_unlock(&proctrack_lock);
}

/* Reaps the orphans of steps that have ended; never a child drover waits
 * for itself, nor one of another session it did not signal. */
static void
proctrack_reap(void)
{
	pid_t *kids, sid = getsid(0);
	ssize_t n;
	struct pinfo pi;

	pthread_mutex_lock(&proctrack_lock);
	n = ptable_children(&kids);
	for (ssize_t i = 0; i < n; i++) {
		bool ours = false;

		if (proctrack_is_waited(kids[i]) || !ptable_stat(kids[i], &pi) || pi.state != 'Z')
			continue;
		for (size_t k = 0; k < proctrack_n_signalled && !ours; k++)
			ours = proctrack_signalled[k].pid == pi.pid &&
			    proctrack_signalled[k].start == pi.start;
		if (ours || pi.sid == sid)
			waitpid(pi.pid, NULL, WNOHANG);
	}
	/* Forget signalled processes that are gone. */
	for (size_t k = 0; k < proctrack_n_signalled; k++)
		if (!ptable_stat(proctrack_signalled[k].pid, &pi) ||
		    pi.start != proctrack_signalled[k].start)
			proctrack_signalled[k--] = proctrack_signalled[--proctrack_n_signalled];
	pthread_mutex_unlock(&proctrack_lock);
	free(kids);
}

/* ---- modes ---- */

static const char *const proctrack_modes[] = {
	[PROCTRACK_AUTO] = "auto",
	[PROCTRACK_CGROUP] = "cgroup",
	[PROCTRACK_SUBREAPER] = "subreaper",
};

const char *
proctrack_mode_name(enum proctrack_mode m)
{
	return proctrack_modes[m];
}

int
proctrack_mode_parse(const char *s, enum proctrack_mode *m)
{
	for (size_t i = 0; i < sizeof proctrack_modes / sizeof proctrack_modes[0]; i++) {
		if (strcmp(s, proctrack_modes[i]) == 0) {
			*m = (enum proctrack_mode)i;
			return 0;
		}
	}
	return -1;
}

/* ---- cgroups ---- */

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void
proctrack_unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r != '\0'; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Where the cgroup2 hierarchy is mounted, and the part of it the mount
 * shows (its root); -1 with e set when there is none. */
static int
proctrack_cgroup_mount(char **mnt, char **root, struct err *e)
{
	FILE *fp = fopen("/proc/self/mountinfo", "r");
	char *line = NULL;
	size_t cap = 0;

	*mnt = *root = NULL;
	if (fp == NULL)
		return err_set(e, "cannot read /proc/self/mountinfo: %s", strerror(errno));
	while (*mnt == NULL && getline(&line, &cap, fp) > 0) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE ... */
		char *f[5], *save = NULL, *dash = strstr(line, " - ");
		size_t n = 0;

		if (dash == NULL || strncmp(dash + 3, "cgroup2 ", 8) != 0)
			continue;
		*dash = '\0';
		for (char *tok = strtok_r(line, " ", &save); tok != NULL && n < 5;
		    tok = strtok_r(NULL, " ", &save))
			f[n++] = tok;
		if (n < 5)
			continue;
		proctrack_unescape(f[3]);
		proctrack_unescape(f[4]);
		*root = xstrdup(f[3]);
		*mnt = xstrdup(f[4]);
	}
	free(line);
	fclose(fp);
	if (*mnt == NULL)
		return err_set(e, "no cgroup v2 hierarchy is mounted");
	return 0;
}

/* Drover's own cgroup: its directory and its path in the hierarchy. */
static int
proctrack_own_cgroup(char **dir, char **rel, struct err *e)
{
	FILE *fp = fopen("/proc/self/cgroup", "r");
	char *line = NULL, *mnt, *root, *path = NULL;
	size_t cap = 0, rlen;
	ssize_t n;

	*dir = *rel = NULL;
	if (fp == NULL)
		return err_set(e, "cannot read /proc/self/cgroup: %s", strerror(errno));
	while (path == NULL && (n = getline(&line, &cap, fp)) > 0) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		path = xstrdup(line + 3);
	}
	free(line);
	fclose(fp);
	if (path == NULL)
		return err_set(e, "drover is in no cgroup v2 cgroup (/proc/self/cgroup has no 0:: "
		    "line)");
	if (proctrack_cgroup_mount(&mnt, &root, e) < 0) {
		free(path);
		return -1;
	}
	/* The mount may show only part of the hierarchy (a container's). */
	rlen = strcmp(root, "/") == 0 ? 0 : strlen(root);
	if (strncmp(path, root, rlen) != 0 || (path[rlen] != '/' && path[rlen] != '\0')) {
		err_set(e, "drover's cgroup %s is outside the cgroup2 mount %s", path, mnt);
	} else {
		*rel = xstrdup(strcmp(path, "/") == 0 ? "" : path);
		*dir = xasprintf("%s%s", mnt, strcmp(path + rlen, "/") == 0 ? "" : path + rlen);
	}
	free(path);
	free(mnt);
	free(root);
	return *dir != NULL ? 0 : -1;
}

/* Reads cgroup.events; 1 when populated, 0 when not, -1 when it cannot be
 * read (the cgroup is gone). */
static int
proctrack_populated(int fd)
{
	char buf[256], *p;
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "populated ");
	return p != NULL && p[10] == '1';
}

static int
proctrack_populated_at(const char *dir)
{
	char *path = xasprintf("%s/cgroup.events", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;

	free(path);
	if (fd >= 0) {
		rc = proctrack_populated(fd);
		close(fd);
	}
	return rc;
}

/* The pids in cgroup dir; their number.  Caller frees. */
static size_t
proctrack_cgroup_pids(const char *dir, pid_t **pids)
{
	char *path = xasprintf("%s/cgroup.procs", dir);
	FILE *fp = fopen(path, "re");
	size_t n = 0, cap = 0;
	long pid;

	free(path);
	*pids = NULL;
	while (fp != NULL && fscanf(fp, "%ld", &pid) == 1) {
		xgrow(pids, &cap, n + 1, sizeof **pids);
		(*pids)[n++] = (pid_t)pid;
	}
	if (fp != NULL)
		fclose(fp);
	return n;
}

/* Whether process pid is in the cgroup rel (as /proc/PID/cgroup says). */
static bool
proctrack_in_cgroup(pid_t pid, const char *rel)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	bool in = false;
	ssize_t n;
	FILE *fp;

	snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return false;
	while (!in && (n = getline(&line, &cap, fp)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		in = strncmp(line, "0::", 3) == 0 && strcmp(line + 3, rel) == 0;
	}
	free(line);
	fclose(fp);
	return in;
}

/* Kills every process in cgroup dir and below: cgroup.kill, or SIGKILL
 * to each pid until none is left (kernels before 5.14). */
static void
proctrack_cgroup_kill(const char *dir)
{
	char *path = xasprintf("%s/cgroup.kill", dir);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	pid_t *pids;
	size_t n;

	free(path);
	if (fd >= 0) {
		ssize_t w = write(fd, "1", 1);

		close(fd);
		if (w == 1)
			return;
	}
	for (int round = 0; round < PROCTRACK_KILL_ROUNDS; round++) {
		if ((n = proctrack_cgroup_pids(dir, &pids)) == 0)
			break;
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		free(pids);
		monotime_sleep_ms(10);
	}
}

/* Waits a moment for cgroup dir to have no process left. */
static bool
proctrack_cgroup_wait_empty(const char *dir)
{
	for (int waited = 0; waited < PROCTRACK_EMPTY_WAIT_MS; waited += 10) {
		if (proctrack_populated_at(dir) <= 0)
			return true;
		monotime_sleep_ms(10);
	}
	return false;
}

/* Removes the cgroup dir with the leaves below it, once empty. */
static void
proctrack_cgroup_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL) {
		char *leaf;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		leaf = xasprintf("%s/%s", dir, de->d_name);
		rmdir(leaf);
		free(leaf);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

/* The run's directory below drover's cgroup; -1 with e set. */
static int
proctrack_cgroup_run(struct proctrack_run *tr, const char *uuid, struct err *e)
{
	char *base, *rel, *procs;
	int rc = 0;

	if (proctrack_own_cgroup(&base, &rel, e) < 0)
		return -1;
	procs = xasprintf("%s/cgroup.procs", base);
	/* Moving a process needs write access where it comes from, too. */
	if (access(procs, W_OK) != 0) {
		rc = err_set(e, "drover may not move processes out of its cgroup %s: %s", base,
		    strerror(errno));
	} else {
		tr->dir = xasprintf("%s/drover-%s", base, uuid);
		tr->rel = xasprintf("%s/drover-%s", rel, uuid);
		if (mkdir(tr->dir, 0755) < 0 && errno != EEXIST)
			rc = err_set(e, "cannot create the cgroup %s: %s", tr->dir, strerror(errno));
	}
	free(procs);
	free(base);
	free(rel);
	return rc;
}

static void
proctrack_slot_close(struct slot *s)
{
	if (s->procs_fd >= 0)
		close(s->procs_fd);
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	if (s->events_fd >= 0)
		close(s->events_fd);
	free(s->dir);
	free(s->rel);
}

/* A free, empty leaf: one used before, or a new one. */
static int
proctrack_slot_get(struct proctrack_run *tr, size_t *slot, struct err *e)
{
	struct slot s;
	char *path;

	for (size_t i = 0; i < tr->n_slots; i++) {
		if (!tr->slots[i].busy && proctrack_populated(tr->slots[i].events_fd) == 0) {
			tr->slots[i].busy = true;
			*slot = i;
			return 0;
		}
	}
	memset(&s, 0, sizeof s);
	s.procs_fd = s.events_fd = s.dir_fd = -1;
	/* A leaf left by a dead owner of the run may be there: if empty, it is
	 * as good as new; if not (what is in it would not die), the next name. */
	for (;;) {
		s.dir = xasprintf("%s/%zu", tr->dir, tr->next_leaf);
		s.rel = xasprintf("%s/%zu", tr->rel, tr->next_leaf++);
		int made = mkdir(s.dir, 0755) == 0 ? 0 : errno;

		if (made == 0 || (made == EEXIST && proctrack_populated_at(s.dir) == 0))
			break;
		if (made != EEXIST) {
			err_set(e, "cannot create the cgroup %s: %s", s.dir, strerror(made));
			proctrack_slot_close(&s);
			return -1;
		}
		free(s.dir);
		free(s.rel);
	}
	path = xasprintf("%s/cgroup.procs", s.dir);
	s.procs_fd = open(path, O_WRONLY | O_CLOEXEC);
	free(path);
	path = xasprintf("%s/cgroup.events", s.dir);
	s.events_fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	s.dir_fd = open(s.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s.procs_fd < 0 || s.events_fd < 0 || s.dir_fd < 0) {
		err_set(e, "cannot open the cgroup %s: %s", s.dir, strerror(errno));
		proctrack_slot_close(&s);
		return -1;
	}
	s.busy = true;
	xgrow(&tr->slots, &tr->cap_slots, tr->n_slots + 1, sizeof *tr->slots);
	tr->slots[tr->n_slots] = s;
	*slot = tr->n_slots++;
	return 0;
}

/* Signals every process in a leaf that is still in it. */
static void
proctrack_slot_signal(const struct slot *s, int sig)
{
	pid_t *pids;
	size_t n;

	if (sig == SIGKILL) {
		proctrack_cgroup_kill(s->dir);
		return;
	}
	n = proctrack_cgroup_pids(s->dir, &pids);
	for (size_t i = 0; i < n; i++) {
		int fd = (int)syscall(SYS_pidfd_open, pids[i], 0);

		/* Held by the pidfd, the process is the one to check. */
		if (fd >= 0 && proctrack_in_cgroup(pids[i], s->rel))
			syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
		if (fd >= 0)
			close(fd);
	}
	free(pids);
}

/* ---- runs ---- */

struct proctrack_run *
proctrack_run_new(enum proctrack_mode mode, const char *uuid, struct err *e)
{
	struct proctrack_run *tr = xcalloc(1, sizeof *tr);
	struct err ce;

	if (mode != PROCTRACK_SUBREAPER && proctrack_cgroup_run(tr, uuid, &ce) == 0) {
		tr->mode = PROCTRACK_CGROUP;
		return tr;
	}
	if (mode == PROCTRACK_CGROUP) {
		err_set(e, "process_tracking is cgroup, but %s: run drover as root or in a cgroup "
		    "delegated to you (systemd-run --user --scope -p Delegate=yes drover ...), or "
		    "set process_tracking: auto", ce.msg);
		proctrack_run_free(tr);
		return NULL;
	}
	free(tr->dir);
	free(tr->rel);
	tr->dir = tr->rel = NULL;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		err_set(e, "cannot make drover the subreaper of its steps: %s", strerror(errno));
		proctrack_run_free(tr);
		return NULL;
	}
	tr->mode = PROCTRACK_SUBREAPER;
	return tr;
}

enum proctrack_mode
proctrack_run_mode(const struct proctrack_run *tr)
{
	return tr->mode;
}

const char *
proctrack_run_cgroup(const struct proctrack_run *tr)
{
	return tr->dir != NULL ? tr->dir : "";
}

void
proctrack_run_free(struct proctrack_run *tr)
{
	if (tr == NULL)
		return;
	if (tr->mode == PROCTRACK_SUBREAPER)
		proctrack_reap();
	if (tr->dir != NULL && proctrack_populated_at(tr->dir) > 0) {
		proctrack_cgroup_kill(tr->dir);
		proctrack_cgroup_wait_empty(tr->dir);
	}
	for (size_t i = 0; i < tr->n_slots; i++)
		proctrack_slot_close(&tr->slots[i]);
	if (tr->dir != NULL)
		proctrack_cgroup_remove(tr->dir);
	free(tr->slots);
	free(tr->dir);
	free(tr->rel);
	free(tr);
}

/* ---- attempts ---- */

struct proctrack *
proctrack_new(struct proctrack_run *tr, char *const *env, struct err *e)
{
	static const char *const names[] = { "DROVER_RUN_UUID=", "DROVER_STEP_ID=",
		"DROVER_ATTEMPT=" };
	struct proctrack *t = xcalloc(1, sizeof *t);

	t->tr = tr;
	for (char *const *p = env; *p != NULL; p++)
		for (size_t k = 0; k < 3; k++)
			if (strncmp(*p, names[k], strlen(names[k])) == 0 && t->n_match < 3)
				t->match[t->n_match++] = xstrdup(*p);
	if (tr->mode == PROCTRACK_CGROUP) {
		if (proctrack_slot_get(tr, &t->slot, e) < 0) {
			proctrack_free(t);
			return NULL;
		}
		t->has_slot = true;
	}
	return t;
}

pid_t
proctrack_launch(struct proctrack *t, struct launch_opts *lo, struct err *e)
{
	bool cg = t->tr->mode == PROCTRACK_CGROUP;

	lo->cgroup_fd = cg ? t->tr->slots[t->slot].procs_fd : -1;
	lo->cgroup_dir = cg ? t->tr->slots[t->slot].dir_fd : -1;
	/* Registered before the reaper can see it. */
	pthread_mutex_lock(&proctrack_lock);
	t->pid = launch_process(lo, e);
	if (t->pid > 0) {
		xgrow(&proctrack_waited, &proctrack_cap_waited, proctrack_n_waited + 1,
		    sizeof *proctrack_waited);
		proctrack_waited[proctrack_n_waited++] = t->pid;
	}
	pthread_mutex_unlock(&proctrack_lock);
	return t->pid;
}

void
proctrack_exited(struct proctrack *t)
{
	t->waited = true;
	proctrack_unwait(t->pid);
}

/* Subreaper: marks the attempt's processes in a table of all of them. */
static void
proctrack_mark(const struct proctrack *t, const struct ptable *tab, bool *mark)
{
	pid_t me = getpid();

	pthread_mutex_lock(&proctrack_lock);
	for (size_t i = 0; i < tab->n; i++) {
		const struct pinfo *pi = &tab->p[i];

		if (pi->state == 'Z')
			continue;
		if (!t->waited && pi->pid == t->pid)
			mark[i] = true;
		else if (pi->ppid == me && !proctrack_is_waited(pi->pid))
			mark[i] = pi->pgrp == t->pid || (t->n_match == 3 &&
			    ptable_environ_has(pi->pid, (const char *const *)t->match, 3));
	}
	pthread_mutex_unlock(&proctrack_lock);
	ptable_mark_descendants(tab, mark);
}

void
proctrack_signal(struct proctrack *t, int sig)
{
	struct ptable tab;
	bool *mark;

	if (t->pid <= 0)
		return;
	if (t->tr->mode == PROCTRACK_CGROUP) {
		proctrack_slot_signal(&t->tr->slots[t->slot], sig);
		return;
	}
	/* The group by its id only while its leader's pid cannot be reused;
	 * its members then get the signal once, not twice. */
	if (!t->waited)
		kill(-t->pid, sig);
	if (ptable_load(&tab) < 0)
		return;
	mark = xcalloc(tab.n + 1, sizeof *mark);
	proctrack_mark(t, &tab, mark);
	for (size_t i = 0; i < tab.n; i++) {
		if (!mark[i] || (!t->waited && tab.p[i].pgrp == t->pid) ||
		    ptable_signal(&tab.p[i], sig) < 0)
			continue;
		if (tab.p[i].ppid == getpid() && tab.p[i].pid != t->pid)
			proctrack_note_signalled(&tab.p[i]);
	}
	free(mark);
	ptable_fini(&tab);
}

bool
proctrack_empty(struct proctrack *t)
{
	struct pinfo pi;
	pid_t *kids;
	ssize_t n;
	bool empty = true;

	if (t->tr->mode == PROCTRACK_CGROUP) {
		t->emptied = proctrack_populated(t->tr->slots[t->slot].events_fd) <= 0;
		return t->emptied;
	}
	if (t->pid > 0 && !t->waited)
		return false;
	proctrack_reap();
	/* What is left of the attempt hangs below a child of drover. */
	n = ptable_children(&kids);
	pthread_mutex_lock(&proctrack_lock);
	/* One on its way out cannot be told apart any more (its environment
	 * is gone): it is waited for, it will not be long. */
	for (ssize_t i = 0; i < n && empty; i++)
		if (!proctrack_is_waited(kids[i]) && ptable_stat(kids[i], &pi) && pi.state != 'Z')
			empty = !pi.exiting && pi.pgrp != t->pid && !(t->n_match == 3 &&
			    ptable_environ_has(pi.pid, (const char *const *)t->match, 3));
	pthread_mutex_unlock(&proctrack_lock);
	free(kids);
	return empty;
}

void
proctrack_free(struct proctrack *t)
{
	if (t == NULL)
		return;
	if (t->pid > 0 && !t->waited)
		proctrack_unwait(t->pid);
	/* A leaf with processes that would not die is not handed out again
	 * (one seen empty is looked at again when it is: proctrack_slot_get). */
	if (t->has_slot)
		t->tr->slots[t->slot].busy = !t->emptied &&
		    proctrack_populated(t->tr->slots[t->slot].events_fd) > 0;
	for (size_t k = 0; k < t->n_match; k++)
		free(t->match[k]);
	free(t);
}

/* ---- a dead owner's leftovers ---- */

/* Only the run's own directory on a cgroup2 file system: the record comes
 * from a file others in a shared group may write. */
static bool
proctrack_run_cgroup_ok(const char *dir, const char *uuid)
{
	const char *base = strrchr(dir, '/');
	char *want = xasprintf("drover-%s", uuid);
	struct statfs sf;
	bool ok;

	ok = dir[0] == '/' && base != NULL && strcmp(base + 1, want) == 0 &&
	    strstr(dir, "/../") == NULL && statfs(dir, &sf) == 0 &&
	    sf.f_type == CGROUP2_SUPER_MAGIC;
	free(want);
	return ok;
}

void
proctrack_kill_orphans(const char *uuid, const char *cgroup)
{
	char *kv = xasprintf("DROVER_RUN_UUID=%s", uuid);
	const char *const match[] = { kv };
	struct ptable tab;

	if (cgroup != NULL && *cgroup != '\0' && proctrack_run_cgroup_ok(cgroup, uuid)) {
		proctrack_cgroup_kill(cgroup);
		if (proctrack_cgroup_wait_empty(cgroup))
			proctrack_cgroup_remove(cgroup);
	}
	/* Subreaper orphans went to init: they carry the run in their
	 * environment. */
	if (ptable_load(&tab) == 0) {
		for (size_t i = 0; i < tab.n; i++) {
			const struct pinfo *pi = &tab.p[i];

			if (pi->uid != getuid() || pi->pid == getpid() || pi->state == 'Z' ||
			    !ptable_environ_has(pi->pid, match, 1))
				continue;
			if (pi->pgrp > 1 && pi->pgrp != getpgrp())
				kill(-pi->pgrp, SIGKILL);
			ptable_signal(pi, SIGKILL);
		}
		ptable_fini(&tab);
	}
	free(kv);
}
