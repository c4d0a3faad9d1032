/* proctrack.h - every process a step starts, so that all of them stop
 * with it.
 *
 * A step's process group is not enough: a grandchild that calls setsid,
 * or a daemon that double-forks, leaves it and would outlive the step's
 * timeout, a cancel and drover itself.  So an attempt's processes are
 * tracked in one of two ways, chosen for each run (config.yaml
 * process_tracking: auto, cgroup or subreaper):
 *
 * cgroup     Every attempt runs in a cgroup v2 leaf below a directory for
 *            the run, next to drover in its own cgroup
 *            (CGROUP/drover-UUID/N; leaves are reused by later attempts,
 *            as making one costs more than the spawn).  The step's first
 *            process joins its leaf before it execs (launch.h), and nothing
 *            it starts can leave.  Signals go to every pid in the leaf,
 *            SIGKILL through cgroup.kill.  Needs a cgroup drover may
 *            write: root, or a delegated one (systemd-run --user -p
 *            Delegate=yes).
 * subreaper  drover is a child subreaper (PR_SET_CHILD_SUBREAPER), so the
 *            orphans of its steps become its children, not init's.  An
 *            attempt's processes are its process group while its first
 *            process lives, and every descendant of drover in that group
 *            or whose environment names the attempt (DROVER_RUN_UUID,
 *            DROVER_STEP_ID, DROVER_ATTEMPT), with all their descendants.
 *            A process that leaves the group, the tree and clears those
 *            variables escapes; orphans that end are reaped here.
 *
 * auto (the default) is cgroup when drover can create the run's cgroup
 * directory, else subreaper.  Either way the attempt ends only when its
 * last process has: what the step's main process leaves running is
 * stopped (SIGTERM, SIGKILL after the grace period) when it exits.
 *
 * A run's tracking and its attempts' are used on the run's executor
 * thread; what is process-wide (the subreaper, the children drover waits
 * for itself) is shared safely between runs.
 */
#ifndef DROVER_PROCTRACK_H
#define DROVER_PROCTRACK_H

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

struct launch_opts;

enum proctrack_mode { PROCTRACK_AUTO, PROCTRACK_CGROUP, PROCTRACK_SUBREAPER };

const char *proctrack_mode_name(enum proctrack_mode m);
/* -1 when s is not auto, cgroup or subreaper. */
int proctrack_mode_parse(const char *s, enum proctrack_mode *m);

struct proctrack_run;
struct proctrack;

/* Sets up tracking for the processes of run uuid; NULL with e set when
 * the mode asked for cannot be had (cgroup, without a cgroup to write).
 * Free with proctrack_run_free. */
struct proctrack_run *proctrack_run_new(enum proctrack_mode mode, const char *uuid,
    struct err *e);
/* The mode in use: never auto. */
enum proctrack_mode proctrack_run_mode(const struct proctrack_run *tr);
/* The run's cgroup directory, or "" (subreaper). */
const char *proctrack_run_cgroup(const struct proctrack_run *tr);
/* Once every attempt is freed: kills anything left, removes the run's
 * cgroup.  NULL is a no-op. */
void proctrack_run_free(struct proctrack_run *tr);

/* Tracking for one attempt whose processes get env (it names the
 * attempt); NULL with e set when its cgroup leaf cannot be made.  env is
 * not kept; free with proctrack_free, before tr. */
struct proctrack *proctrack_new(struct proctrack_run *tr, char *const *env, struct err *e);
/* Starts the attempt's first process (in its leaf): launch_process. */
pid_t proctrack_launch(struct proctrack *t, struct launch_opts *lo, struct err *e);
/* That process has been waited for. */
void proctrack_exited(struct proctrack *t);
/* Sends sig to every process of the attempt. */
void proctrack_signal(struct proctrack *t, int sig);
/* True when no process of the attempt is left. */
bool proctrack_empty(struct proctrack *t);
void proctrack_free(struct proctrack *t);

/* What a dead owner of run uuid left running: its run cgroup (cgroup, as
 * its lock recorded it, or "") and any process of this user whose
 * environment names the run.  Kills them. */
void proctrack_kill_orphans(const char *uuid, const char *cgroup);

#endif
