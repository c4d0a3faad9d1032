/* conf.c - reading config.yaml. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "dur.h"
#include "fsutil.h"
#include "paths.h"
#include "suggest.h"
#include "xmalloc.h"
#include "ydoc.h"

#define CONF_DEFAULT_KILL_GRACE 10000

static char *
conf_path(void)
{
	const char *env = getenv("DROVER_CONFIG");
	char *home;
	char *p;

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	home = paths_config_home();
	p = xasprintf("%s/drover/config.yaml", home);
	free(home);
	return p;
}

static void
on_problem(void *ud, int line, int col, const char *msg)
{
	void **args = ud;

	diags_add(args[0], args[1], line, col, "%s", msg);
}

int
conf_load(struct conf *c, struct diags *d)
{
	static const char *const keys[] = { "kill_grace", "process_tracking", "bell", NULL };
	char *path = conf_path(), *text;
	size_t len, before = d->n;
	struct ydoc *doc = NULL;
	struct ynode *root, *v;
	void *ud[2] = { d, path };
	struct err e;

	c->kill_grace_ms = CONF_DEFAULT_KILL_GRACE;
	c->process_tracking = PROCTRACK_AUTO;
	c->bell = true;
	if (access(path, F_OK) != 0 && getenv("DROVER_CONFIG") == NULL) {
		free(path);
		return 0;
	}
	text = fs_read_file(path, 1u << 20, &len, &e);
	if (text == NULL) {
		diags_add(d, path, 0, 0, "%s", e.msg);
		goto out;
	}
	doc = ydoc_parse(text, len, on_problem, ud, &e);
	free(text);
	if (doc == NULL) {
		diags_add(d, path, e.line, e.col, "%s", e.msg);
		goto out;
	}
	root = ydoc_root(doc);
	if (root == NULL)
		goto out;
	if (root->kind != YNODE_MAP) {
		diags_add(d, path, root->line, root->col, "the configuration is a mapping of "
		    "settings, not %s", ynode_describe(root));
		goto out;
	}
	for (size_t i = 0; i < root->n; i++) {
		const struct ynode *k = root->pairs[i].key;
		const char *hint = suggest_from(k->str, keys);
		size_t j;

		for (j = 0; keys[j] != NULL && strcmp(keys[j], k->str) != 0; j++)
			;
		if (keys[j] == NULL)
			diags_add(d, path, k->line, k->col, "unknown setting '%s'%s%s%s", k->str,
			    hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
	}
	if ((v = ynode_get(root, "kill_grace")) != NULL) {
		if (!ynode_is_str(v) || dur_parse(v->str, &c->kill_grace_ms, &e) < 0)
			diags_add(d, path, v->line, v->col, "'kill_grace' must be a duration such as "
			    "10s%s%s", ynode_is_str(v) ? ": " : "", ynode_is_str(v) ? e.msg : "");
	}
	if ((v = ynode_get(root, "process_tracking")) != NULL &&
	    (!ynode_is_str(v) || proctrack_mode_parse(v->str, &c->process_tracking) < 0))
		diags_add(d, path, v->line, v->col, "'process_tracking' is auto, cgroup or "
		    "subreaper");
	if ((v = ynode_get(root, "bell")) != NULL) {
		if (ynode_is_str(v) && (strcmp(v->str, "true") == 0 || strcmp(v->str, "false") == 0))
			c->bell = strcmp(v->str, "true") == 0;
		else
			diags_add(d, path, v->line, v->col, "'bell' is true or false");
	}
out:
	ydoc_free(doc);
	free(path);
	return d->n > before ? -1 : 0;
}
