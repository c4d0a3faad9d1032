/* complete.c - Tab on the ':' line: command names, then what each
 * command takes (workflow files, run numbers, step ids, theme names). */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "theme.h"
#include "ui.h"
#include "wf.h"
#include "xmalloc.h"

struct cands {
	char **v;
	size_t n, cap;
	const char *word;
};

static void
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
static void
complete_workflows(struct cands *c)
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

char **
complete_command(void *ud, const char *line, const char *word, int start)
{
	static const char *const commands[] = {
		"run", "cancel", "open", "step", "theme", "help", "q", NULL,
	};
	struct ui *ui = ud;
	struct cands c = { NULL, 0, 0, word };
	size_t cmdlen;

	while (*line == ' ')
		line++, start--;
	if (start <= 0 || ui->prompt != PROMPT_COMMAND) {
		for (size_t i = 0; ui->prompt == PROMPT_COMMAND && commands[i] != NULL; i++)
			cands_add(&c, commands[i]);
		return c.v;
	}
	cmdlen = strcspn(line, " ");
	if (cmdlen == 3 && strncmp(line, "run", 3) == 0) {
		complete_workflows(&c);
	} else if (cmdlen == 5 && strncmp(line, "theme", 5) == 0) {
		char **names = theme_names();

		for (size_t i = 0; names[i] != NULL; i++)
			cands_add(&c, names[i]);
		theme_names_free(names);
	} else if (cmdlen == 4 && strncmp(line, "open", 4) == 0) {
		for (size_t i = 0; i < ui->runs.n; i++) {
			char num[32];

			snprintf(num, sizeof num, "%.0f", cJSON_GetNumberValue(
			    cJSON_GetObjectItemCaseSensitive(ui->runs.rows[i], "id")));
			cands_add(&c, num);
		}
	} else if (cmdlen == 4 && strncmp(line, "step", 4) == 0 && ui->rv != NULL) {
		for (size_t i = 0; i < ui->rv->m.wf->n_steps; i++)
			cands_add(&c, ui->rv->m.wf->steps[i].id);
	}
	return c.v;
}
