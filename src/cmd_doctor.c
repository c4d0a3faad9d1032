/* cmd_doctor.c - drover doctor: checks where runs meet (share.h) and says
 * what is wrong and how to put it right.
 *
 * Each check prints one line, "ok" or "problem", and a problem is followed
 * by the command that fixes it.  Nothing is changed.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "conf.h"
#include "runner.h"
#include "share.h"
#include "store.h"
#include "xmalloc.h"

static int cmd_doctor_exec(const struct cmd_ctx *, int, char **);

const struct command cmd_doctor_entry = {
	.name = "doctor",
	.usage = "",
	.summary = "check the configuration, the history and the runtime directory",
	.help = "Private mode: your history and your runtime directory (0700) are yours.\n"
	    "Shared mode (shared: in the configuration): the group exists and you are\n"
	    "in it, and the shared history and runtime directory have that group and\n"
	    "mode 2770 (files 0660).  Each problem is shown with the command that fixes it.\n"
	    "Exit status: 0 everything is right, 1 something is not.\n",
	.handler = cmd_doctor_exec,
};

static const struct option options[] = {
	{ NULL, 0, NULL, 0 },
};

struct doctor {
	int problems;
};

static void
check(struct doctor *d, bool good, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
check(struct doctor *d, bool good, const char *fix, const char *fmt, ...)
{
	va_list ap;

	printf("%-8s ", good ? "ok" : "problem");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!good) {
		d->problems++;
		if (fix != NULL)
			printf("         fix: %s\n", fix);
	}
}

/* A directory of the shared mode: the group's, 2770. */
static void
check_shared_dir(struct doctor *d, const struct share *sh, const char *what, const char *dir)
{
	struct stat st;
	char *fix = xasprintf("sudo install -d -m 2770 -g %s %s", sh->group, dir);

	if (stat(dir, &st) < 0)
		check(d, false, fix, "%s %s: %s", what, dir, strerror(errno));
	else
		check(d, S_ISDIR(st.st_mode) && st.st_gid == sh->gid &&
		    (st.st_mode & 07777) == 02770, fix, "%s %s: group %s, mode %04o (wanted %s, "
		    "2770)", what, dir, getgrgid(st.st_gid) != NULL ? getgrgid(st.st_gid)->gr_name :
		    "?", (unsigned)(st.st_mode & 07777), sh->group);
	free(fix);
}

/* A file of the shared history, when it is there: the group's, 0660. */
static void
check_shared_file(struct doctor *d, const struct share *sh, const char *path)
{
	struct stat st;
	char *fix;

	if (stat(path, &st) < 0)
		return;		/* made on first use */
	fix = xasprintf("sudo chgrp %s %s && sudo chmod 0660 %s", sh->group, path, path);
	check(d, st.st_gid == sh->gid && (st.st_mode & 0777) == 0660, fix,
	    "history file %s: group %s, mode %04o (wanted %s, 0660)", path,
	    getgrgid(st.st_gid) != NULL ? getgrgid(st.st_gid)->gr_name : "?",
	    (unsigned)(st.st_mode & 07777), sh->group);
	free(fix);
}

static void
check_shared(struct doctor *d, const struct share *sh)
{
	char *dir = xstrdup(sh->history), *slash = strrchr(dir, '/'), *p, *fix;
	static const char *const suffixes[] = { "", "-wal", "-shm" };

	printf("mode     shared, by the group %s\n", sh->group);
	fix = xasprintf("sudo groupadd %s", sh->group);
	check(d, sh->group_exists, fix, "the group %s exists", sh->group);
	free(fix);
	if (!sh->group_exists) {
		free(dir);
		return;
	}
	fix = xasprintf("sudo usermod -aG %s %s (then log in again)", sh->group, runner_user());
	check(d, share_uid_in_group(getuid(), sh->group), fix, "you (%s) are in the group %s",
	    runner_user(), sh->group);
	free(fix);
	if (sh->admins != NULL) {
		fix = xasprintf("sudo groupadd %s", sh->admins);
		check(d, getgrnam(sh->admins) != NULL, fix, "the admins group %s exists", sh->admins);
		free(fix);
	}
	if (slash != NULL && slash != dir)
		*slash = '\0';
	check_shared_dir(d, sh, "history directory", dir);
	for (size_t k = 0; k < sizeof suffixes / sizeof suffixes[0]; k++) {
		p = xasprintf("%s%s", sh->history, suffixes[k]);
		check_shared_file(d, sh, p);
		free(p);
	}
	check_shared_dir(d, sh, "runtime directory", sh->runtime_dir);
	free(dir);
}

static void
check_private(struct doctor *d)
{
	struct err e;
	char *rt = share_runtime_dir(&e);

	printf("mode     private: your runs are yours alone\n");
	check(d, rt != NULL, NULL, "runtime directory %s", rt != NULL ? rt : e.msg);
	free(rt);
}

static int
cmd_doctor_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct doctor d = { 0 };
	struct diags ds = DIAGS_INIT;
	struct conf c;
	struct store *s;
	struct err e;
	char *db;
	int opt;

	while ((opt = cmd_getopt(ctx, argc, argv, "", options)) != -1)
		return EXIT_USAGE;
	if (optind != argc)
		return cmd_usage_error("doctor", "doctor takes no arguments");
	if (conf_load(&c, &ds) < 0) {
		check(&d, false, "edit the file at the place named", "the configuration:");
		diags_print(&ds, stdout);
	} else {
		check(&d, true, NULL, "the configuration reads");
	}
	conf_fini(&c);
	diags_fini(&ds);
	if (share_get()->on)
		check_shared(&d, share_get());
	else
		check_private(&d);
	db = store_default_path();
	s = store_open(db, false, &e);
	check(&d, s != NULL, NULL, "the history %s opens for writing%s%s", db, s == NULL ? ": " : "",
	    s == NULL ? e.msg : "");
	store_close(s);
	free(db);
	printf("%d problem%s\n", d.problems, d.problems == 1 ? "" : "s");
	return d.problems == 0 ? EXIT_OK : EXIT_RUN_FAILED;
}
