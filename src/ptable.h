/* ptable.h - the processes of this host as /proc shows them: who is whose
 * parent, their groups and sessions, their environment, and signalling
 * a process only while it is the one that was seen.
 *
 * Everything here reads /proc and fails softly: a process that is gone,
 * or that belongs to someone else, is simply not there.
 */
#ifndef DROVER_PTABLE_H
#define DROVER_PTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pinfo {
	pid_t pid, ppid, pgrp, sid;
	char state;		/* R, S, D, Z... (field 3 of /proc/PID/stat) */
	bool exiting;		/* on its way out: its environment is already gone */
	uid_t uid;
	uint64_t start;		/* clock ticks after boot: with pid, one process */
};

struct ptable {
	struct pinfo *p;
	size_t n;
};

/* Reads /proc/PID/stat; false when the process is not there. */
bool ptable_stat(pid_t pid, struct pinfo *pi);
/* Every process; -1 when /proc cannot be read.  Free with ptable_fini. */
int ptable_load(struct ptable *t);
void ptable_fini(struct ptable *t);
/* Adds to mark (one flag per entry of t) every descendant of a marked
 * process. */
void ptable_mark_descendants(const struct ptable *t, bool *mark);

/* The children of this process (of all its threads) into *pids, which the
 * caller frees; their number, or -1 when /proc cannot say. */
ssize_t ptable_children(pid_t **pids);

/* Whether the environment of pid holds every one of the n NAME=VALUE
 * strings in kv; false when it cannot be read. */
bool ptable_environ_has(pid_t pid, const char *const *kv, size_t n);

/* Sends sig to the process pi describes if it is still that process (same
 * start time); 0, or -1 when it is gone or cannot be signalled. */
int ptable_signal(const struct pinfo *pi, int sig);

#endif
