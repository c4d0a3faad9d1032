/* ptable.c - reading processes from /proc. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ptable.h"
#include "xmalloc.h"

#define PTABLE_READ_MAX (16u << 20)	/* environments can be big */
#define PTABLE_ENVIRON_TRIES 3
#define PF_EXITING 0x4		/* the kernel's task flag (field 9 of stat) */

bool
ptable_stat(pid_t pid, struct pinfo *pi)
{
	char path[64], buf[1024], *p;
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = fstat(fd, &st) == 0 ? read(fd, buf, sizeof buf - 1) : -1;
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* The command name (field 2) may hold spaces and parentheses. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return false;
	memset(pi, 0, sizeof *pi);
	pi->pid = pid;
	pi->uid = st.st_uid;
	p += 2;
	pi->state = *p;
	for (int field = 3; field < 22 && p != NULL; field++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return false;
		p++;
		switch (field + 1) {
		case 4:
			pi->ppid = (pid_t)strtol(p, NULL, 10);
			break;
		case 5:
			pi->pgrp = (pid_t)strtol(p, NULL, 10);
			break;
		case 6:
			pi->sid = (pid_t)strtol(p, NULL, 10);
			break;
		case 9:
			pi->exiting = (strtoul(p, NULL, 10) & PF_EXITING) != 0;
			break;
		case 22:
			pi->start = strtoull(p, NULL, 10);
			break;
		}
	}
	return true;
}

int
ptable_load(struct ptable *t)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t cap = 0;

	memset(t, 0, sizeof *t);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end != '\0' || pid <= 0)
			continue;
		xgrow(&t->p, &cap, t->n + 1, sizeof *t->p);
		if (ptable_stat((pid_t)pid, &t->p[t->n]))
			t->n++;
	}
	closedir(d);
	return 0;
}

void
ptable_fini(struct ptable *t)
{
	free(t->p);
	memset(t, 0, sizeof *t);
}

static int
ptable_pid_cmp(const void *a, const void *b)
{
	const struct pinfo *x = *(const struct pinfo *const *)a, *y = *(const struct pinfo *const *)b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

void
ptable_mark_descendants(const struct ptable *t, bool *mark)
{
	const struct pinfo **by_pid = xcalloc(t->n + 1, sizeof *by_pid);
	bool changed = true;

	for (size_t i = 0; i < t->n; i++)
		by_pid[i] = &t->p[i];
	qsort(by_pid, t->n, sizeof *by_pid, ptable_pid_cmp);
	/* Until nothing changes: one pass per generation below the marks. */
	while (changed) {
		changed = false;
		for (size_t i = 0; i < t->n; i++) {
			struct pinfo key = { .pid = t->p[i].ppid };
			const struct pinfo *k = &key, **parent;

			if (mark[i] || t->p[i].ppid <= 0)
				continue;
			parent = bsearch(&k, by_pid, t->n, sizeof *by_pid, ptable_pid_cmp);
			if (parent != NULL && mark[*parent - t->p]) {
				mark[i] = true;
				changed = true;
			}
		}
	}
	free(by_pid);
}

/* A whole /proc file (their sizes read as 0), NUL-terminated; NULL when it
 * cannot be opened.  Caller frees. */
static char *
ptable_read(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*len = 0;
	if (fd < 0)
		return NULL;
	do {
		xgrow(&buf, &cap, *len + 4097, 1);
		r = read(fd, buf + *len, cap - *len - 1);
		*len += r > 0 ? (size_t)r : 0;
	} while (r > 0 && *len < PTABLE_READ_MAX);
	close(fd);
	buf[*len] = '\0';
	return buf;
}

/* Appends the pids listed in /proc/self/task/TID/children; false when the
 * kernel has no such files (CONFIG_PROC_CHILDREN). */
static bool
ptable_task_children(const char *tid, pid_t **pids, size_t *n, size_t *cap)
{
	char path[320], *text, *p, *end;
	size_t len;

	snprintf(path, sizeof path, "/proc/self/task/%s/children", tid);
	if ((text = ptable_read(path, &len)) == NULL) {
		/* Gone with its thread, or a file this kernel does not have. */
		snprintf(path, sizeof path, "/proc/self/task/%s", tid);
		return access(path, F_OK) != 0;
	}
	for (p = text; ; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		xgrow(pids, cap, *n + 1, sizeof **pids);
		(*pids)[(*n)++] = (pid_t)pid;
	}
	free(text);
	return true;
}

ssize_t
ptable_children(pid_t **pids)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	struct ptable t;
	size_t n = 0, cap = 0;
	bool listed = d != NULL;

	*pids = NULL;
	while (listed && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			listed = ptable_task_children(de->d_name, pids, &n, &cap);
	if (d != NULL)
		closedir(d);
	if (listed)
		return (ssize_t)n;
	/* No children files: look at every process. */
	n = 0;
	if (ptable_load(&t) < 0)
		return -1;
	for (size_t i = 0; i < t.n; i++) {
		if (t.p[i].ppid != getpid())
			continue;
		xgrow(pids, &cap, n + 1, sizeof **pids);
		(*pids)[n++] = t.p[i].pid;
	}
	ptable_fini(&t);
	return (ssize_t)n;
}

bool
ptable_environ_has(pid_t pid, const char *const *kv, size_t nkv)
{
	char path[64], *env;
	size_t len, found = 0;

	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	/* A process in the middle of execve reads as having no environment
	 * for a moment: look again before believing it. */
	for (int i = 0; (env = ptable_read(path, &len)) != NULL && len == 0 &&
	    i < PTABLE_ENVIRON_TRIES; i++) {
		struct timespec ts = { 0, 1000 * 1000 };

		free(env);
		nanosleep(&ts, NULL);
	}
	if (env == NULL)
		return false;
	for (size_t k = 0; k < nkv; k++) {
		size_t klen = strlen(kv[k]);

		for (size_t i = 0; i < len; i += strlen(env + i) + 1) {
			if (strncmp(env + i, kv[k], klen) == 0 && env[i + klen] == '\0') {
				found++;
				break;
			}
		}
	}
	free(env);
	return found == nkv;
}

int
ptable_signal(const struct pinfo *pi, int sig)
{
	int fd = (int)syscall(SYS_pidfd_open, pi->pid, 0), rc = -1;
	struct pinfo now;

	if (fd < 0)
		return -1;
	/* The pidfd holds the process: if it is still the one seen, nothing
	 * else can take its pid before the signal lands. */
	if (ptable_stat(pi->pid, &now) && now.start == pi->start)
		rc = (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
	close(fd);
	return rc < 0 ? -1 : 0;
}
