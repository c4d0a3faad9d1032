/* share.h - where a host's drover users meet: the history, the runtime
 * directory of the runs' control sockets, and who may connect to a run.
 *
 * Private (the default): each user has a history and a runtime directory
 * of their own (0700), and only the run's owner connects.  Shared mode
 * (SPEC 10), set in the host's or the user's configuration as
 *
 *   shared: {group: drover, history: /var/lib/drover/history.db,
 *            runtime_dir: /run/drover, admins: drover-admin}
 *
 * puts every member of the group on one history and one runtime directory
 * (both group-owned, setgid, 2770; files 0660), where each run's socket is
 * 0660 so members can list, attach and follow; the run's process checks
 * each peer's groups as well (the kernel's word: SO_PEERCRED), only the
 * gate's approvers decide, and only the run's owner, a member of the admins
 * group, or root cancels.  Outside the group nothing connects.  DROVER_DB
 * and DROVER_RUNTIME_DIR, when set, still say where the history and the
 * sockets are.
 */
#ifndef DROVER_SHARE_H
#define DROVER_SHARE_H

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

struct share {
	bool on;
	char *group, *history, *runtime_dir;	/* shared mode */
	char *admins;				/* or NULL */
	gid_t gid;				/* the group's, when it exists */
	bool group_exists;
};

/* The mode this process runs in, from the configuration (read once; a
 * broken configuration counts as private here, and the commands that
 * read it say what is wrong). */
const struct share *share_get(void);

/* The runtime directory: $DROVER_RUNTIME_DIR, else the shared one, else
 * $XDG_RUNTIME_DIR/drover, else /tmp/drover-UID.  A private one is
 * created 0700 and refused when someone else owns it or others can enter
 * it; the shared one must exist, belong to the group, and let nobody else
 * in (drover doctor says how to make it).  Caller frees; NULL with e set. */
char *share_runtime_dir(struct err *e);

/* Whether uid is a member of group (primary or supplementary). */
bool share_uid_in_group(uid_t uid, const char *group);
/* Who may connect to a run of owner: the owner, root, and in shared mode
 * the group's members. */
bool share_may_connect(uid_t uid, uid_t owner);
/* Who may cancel it: the owner, root, and the admins group's members. */
bool share_may_cancel(uid_t uid, uid_t owner);

/* The mode new files of the history, its locks and the runs' logs get:
 * a directory's group may share them when it has every right on it
 * (0770, maybe setgid): then 0660 files and 2770 directories, else 0600
 * and 0700.  dir is the directory they go in. */
void share_modes(const char *dir, mode_t *dmode, mode_t *fmode);

#endif
