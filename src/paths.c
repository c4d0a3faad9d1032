/* paths.c - the XDG locations and search paths drover uses. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "xmalloc.h"

static const char *
home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && *h != '\0')
		return h;
	pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_dir : "/";
}

char *
paths_config_home(void)
{
	const char *x = getenv("XDG_CONFIG_HOME");

	if (x != NULL && *x == '/')
		return xstrdup(x);
	return xasprintf("%s/.config", home_dir());
}

char *
paths_state_home(void)
{
	const char *x = getenv("XDG_STATE_HOME");

	if (x != NULL && *x == '/')
		return xstrdup(x);
	return xasprintf("%s/.local/state", home_dir());
}

char **
paths_workflow_dirs(void)
{
	const char *env = getenv("DROVER_PATH");
	char **dirs;
	size_t n = 0;

	if (env != NULL && *env != '\0') {
		const char *p = env;

		dirs = xcalloc(strlen(env) + 2, sizeof *dirs);
		while (*p != '\0') {
			size_t len = strcspn(p, ":");

			if (len > 0)
				dirs[n++] = xstrndup(p, len);
			p += len + (p[len] == ':');
		}
		return dirs;
	}
	dirs = xcalloc(4, sizeof *dirs);
	dirs[n++] = xstrdup("./workflows");
	{
		char *cfg = paths_config_home();

		dirs[n++] = xasprintf("%s/drover/workflows", cfg);
		free(cfg);
	}
	dirs[n++] = xstrdup(DROVER_DATADIR "/workflows");
	return dirs;
}

void
paths_free(char **dirs)
{
	if (dirs == NULL)
		return;
	for (char **d = dirs; *d != NULL; d++)
		free(*d);
	free(dirs);
}
