/* complete.c - Tab on the ':' line: the candidates, and the completers
 * that need no view's state (workflow files, theme names); the views
 * complete from theirs (run numbers, step ids).  Which command completes
 * with what is commands.c's table. */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "theme.h"
#include "ui.h"
#include "wf.h"
#include "xmalloc.h"

void
cands_add(struct cands *c, const char *s)
{
	if (strncmp(s, c->word, strlen(c->word)) != 0)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i], s) == 0)
			return;
	if (c->n + 2 > c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = xreallocarray(c->v, c->cap, sizeof *c->v);
	}
	c->v[c->n++] = xstrdup(s);
	c->v[c->n] = NULL;
}

static bool
is_yaml(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

/* Workflow files: paths typed so far, and names on the search path. */
void
complete_workflows(struct ui *ui, struct cands *c)
{
	const char *slash = strrchr(c->word, '/');
	char *dir = slash != NULL ? xstrndup(c->word, (size_t)(slash - c->word + 1)) : xstrdup("");
	char **dirs = paths_workflow_dirs();
	DIR *d;
	struct dirent *de;

	if ((d = opendir(dir[0] ? dir : ".")) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char *p;

			if (de->d_name[0] == '.' || wf_is_tools_file(de->d_name))
				continue;
			if (de->d_type == DT_DIR)
				p = xasprintf("%s%s/", dir, de->d_name);
			else if (is_yaml(de->d_name))
				p = xasprintf("%s%s", dir, de->d_name);
			else
				continue;
			cands_add(c, p);
			free(p);
		}
		closedir(d);
	}
	for (size_t i = 0; slash == NULL && dirs[i] != NULL; i++) {
		if ((d = opendir(dirs[i])) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			char *p;

			if (!is_yaml(de->d_name) || wf_is_tools_file(de->d_name))
				continue;
			p = xasprintf("%s/%s", dirs[i], de->d_name);
			cands_add(c, p);
			free(p);
		}
		closedir(d);
	}
	paths_free(dirs);
	free(dir);
}

void
complete_themes(struct ui *ui, struct cands *c)
{
	char **names = theme_names();

	for (size_t i = 0; names[i] != NULL; i++)
		cands_add(c, names[i]);
	theme_names_free(names);
}
