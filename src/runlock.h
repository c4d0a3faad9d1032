/* runlock.h - who owns a run: one lock file per run, beside the history.
 *
 * A run has exactly one owner at a time: the drover process that runs it
 * (run, resume, retry) holds an open file description lock (fcntl
 * F_OFD_SETLK) on DB-locks/UUID.lock from before the run is recorded until
 * its last event is.  The kernel drops the lock when that process ends,
 * however it ends, so a run still marked running whose lock nobody holds
 * has lost its owner: it is interrupted, and the next owner takes the lock
 * before it touches anything.  The file says who holds it (pid, host,
 * user, since when, the run's cgroup) as one line of JSON, for the message
 * that refuses a second owner and for the one that takes over.
 *
 * DB-locks takes the group permissions of the directory holding the
 * database and never any for others: 0700 beside a private history, 2770
 * beside one shared by a group (SPEC 10); lock files are 0600 or 0660 to
 * match.  Lock files are opened below that directory without following
 * symbolic links or blocking, and anything but a regular file with a
 * single link is refused.
 */
#ifndef DROVER_RUNLOCK_H
#define DROVER_RUNLOCK_H

#include <stdbool.h>

#include "err.h"

struct runlock;

struct runlock_owner {
	int pid;		/* 0: nobody recorded */
	char host[256];
	char user[256];
	char since[40];		/* RFC 3339 */
	char cgroup[4096];	/* the run's cgroup directory, or "" */
};

/* Describes this process (pid, user, host, now) with no cgroup yet. */
void runlock_owner_self(struct runlock_owner *me, const char *user, const char *host);

/* Takes the lock of run uuid in the history db_path without waiting and
 * records me in it; prev gets what the file said before (the last owner,
 * or pid 0).  NULL with e set when it cannot be taken: *held tells that
 * another process owns the run (prev then names it).  The caller holds the
 * lock until runlock_release; nothing of me is kept. */
struct runlock *runlock_take(const char *db_path, const char *uuid,
    const struct runlock_owner *me, struct runlock_owner *prev, bool *held, struct err *e);
/* Records a new description of the owner (its cgroup is now known). */
int runlock_set_owner(struct runlock *l, const struct runlock_owner *me, struct err *e);
/* Lets the run go.  ended: the run is over for good, so its file goes too.
 * NULL is a no-op. */
void runlock_release(struct runlock *l, bool ended);

enum runlock_state {
	RUNLOCK_FREE,		/* nobody owns the run (no file, or not locked) */
	RUNLOCK_HELD,		/* a live process owns it */
	RUNLOCK_UNKNOWN,	/* cannot tell (no permission, not a regular file) */
};

/* Whether run uuid of the history db_path has an owner; takes nothing. */
enum runlock_state runlock_probe(const char *db_path, const char *uuid);

#endif
