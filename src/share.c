/* share.c - private or shared: where runs meet (share.h). */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "approvers.h"
#include "conf.h"
#include "diag.h"
#include "share.h"
#include "xmalloc.h"

const struct share *
share_get(void)
{
	static struct share sh;
	static bool loaded;
	struct diags d = DIAGS_INIT;
	struct conf c;
	struct group gr, *res = NULL;
	char buf[16384];

	if (loaded)
		return &sh;
	loaded = true;
	if (conf_load(&c, &d) == 0 && c.shared_group != NULL) {
		sh.on = true;
		sh.group = xstrdup(c.shared_group);
		sh.history = xstrdup(c.shared_history);
		sh.runtime_dir = xstrdup(c.shared_runtime_dir);
		sh.admins = c.shared_admins != NULL ? xstrdup(c.shared_admins) : NULL;
		if (getgrnam_r(sh.group, &gr, buf, sizeof buf, &res) == 0 && res != NULL) {
			sh.gid = gr.gr_gid;
			sh.group_exists = true;
		}
	}
	conf_fini(&c);
	diags_fini(&d);
	return &sh;
}

bool
share_uid_in_group(uid_t uid, const char *group)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) != 0 || res == NULL)
		return false;
	return approvers_in_group(uid, pw.pw_name, group);
}

bool
share_may_connect(uid_t uid, uid_t owner)
{
	const struct share *sh = share_get();

	return uid == owner || uid == 0 || (sh->on && share_uid_in_group(uid, sh->group));
}

bool
share_may_cancel(uid_t uid, uid_t owner)
{
	const struct share *sh = share_get();

	return uid == owner || uid == 0 ||
	    (sh->on && sh->admins != NULL && share_uid_in_group(uid, sh->admins));
}

void
share_modes(const char *dir, mode_t *dmode, mode_t *fmode)
{
	struct stat st;

	*dmode = 0700;
	*fmode = 0600;
	if (stat(dir, &st) == 0 && (st.st_mode & 070) == 070) {
		*dmode = 0770 | (st.st_mode & S_ISGID);
		*fmode = 0660;
	}
}

/* The shared runtime directory, as drover doctor wants it. */
static char *
shared_dir(const struct share *sh, struct err *e)
{
	struct stat st;

	if (!sh->group_exists) {
		err_set(e, "shared mode names the group '%s', which this host does not have "
		    "(drover doctor)", sh->group);
		return NULL;
	}
	if (!share_uid_in_group(getuid(), sh->group)) {
		err_set(e, "you are not in the group '%s' that shares runs here: ask an "
		    "administrator to add you (drover doctor)", sh->group);
		return NULL;
	}
	if (lstat(sh->runtime_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_set(e, "the shared runtime directory %s is missing: make it with mode 2770 and "
		    "group %s (drover doctor)", sh->runtime_dir, sh->group);
		return NULL;
	}
	if (st.st_gid != sh->gid || (st.st_mode & 07777) != 02770) {
		err_set(e, "the shared runtime directory %s must have group %s and mode 2770 "
		    "(it has mode %04o): drover doctor says how", sh->runtime_dir, sh->group,
		    (unsigned)(st.st_mode & 07777));
		return NULL;
	}
	return xstrdup(sh->runtime_dir);
}

char *
share_runtime_dir(struct err *e)
{
	const char *env = getenv("DROVER_RUNTIME_DIR"), *xdg = getenv("XDG_RUNTIME_DIR");
	const struct share *sh = share_get();
	char *dir;
	struct stat st;

	if ((env == NULL || *env == '\0') && sh->on)
		return shared_dir(sh, e);
	if (env != NULL && *env != '\0')
		dir = xstrdup(env);
	else if (xdg != NULL && *xdg == '/')
		dir = xasprintf("%s/drover", xdg);
	else
		dir = xasprintf("/tmp/drover-%u", (unsigned)getuid());
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		err_set(e, "cannot create the runtime directory %s: %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077) != 0) {
		err_set(e, "the runtime directory %s is not a private directory of yours "
		    "(it must be owned by you with mode 0700)", dir);
		free(dir);
		return NULL;
	}
	return dir;
}
