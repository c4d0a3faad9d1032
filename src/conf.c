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
#define CONF_SYSTEM "/etc/drover/config.yaml"

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

/* shared: {group, history, runtime_dir, admins} (SPEC 10). */
static void
conf_shared(struct conf *c, const char *path, const struct ynode *v, struct diags *d)
{
	static const char *const keys[] = { "group", "history", "runtime_dir", "admins", NULL };
	char **fields[] = { &c->shared_group, &c->shared_history, &c->shared_runtime_dir,
	    &c->shared_admins };

	if (v->kind != YNODE_MAP) {
		diags_add(d, path, v->line, v->col, "'shared' is a mapping of group, history, "
		    "runtime_dir and admins");
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *k = v->pairs[i].key, *val = v->pairs[i].val;
		size_t j;

		for (j = 0; keys[j] != NULL && strcmp(keys[j], k->str) != 0; j++)
			;
		if (keys[j] == NULL) {
			diags_add(d, path, k->line, k->col, "unknown setting 'shared.%s' (group, "
			    "history, runtime_dir, admins)", k->str);
		} else if (!ynode_is_str(val) || val->str[0] == '\0' ||
		    (j == 1 || j == 2) != (val->str[0] == '/')) {
			diags_add(d, path, val->line, val->col, j == 1 || j == 2 ?
			    "'shared.%s' is an absolute path" : "'shared.%s' is a group name",
			    k->str);
		} else {
			free(*fields[j]);
			*fields[j] = xstrdup(val->str[0] == '@' ? val->str + 1 : val->str);
		}
	}
	if (c->shared_group == NULL || c->shared_history == NULL || c->shared_runtime_dir == NULL)
		diags_add(d, path, v->line, v->col, "'shared' needs group, history and runtime_dir");
}

/* providers: NAME: {base_url: URL, api_key_env: VAR}. */
static void
conf_providers(struct conf *c, const char *path, const struct ynode *v, struct diags *d)
{
	if (v->kind != YNODE_MAP) {
		diags_add(d, path, v->line, v->col, "'providers' is a mapping of NAME: {base_url, "
		    "api_key_env}");
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *k = v->pairs[i].key, *m = v->pairs[i].val, *u, *key;
		struct provider *p;
		size_t j;

		u = m->kind == YNODE_MAP ? ynode_get(m, "base_url") : NULL;
		key = m->kind == YNODE_MAP ? ynode_get(m, "api_key_env") : NULL;
		if (m->kind != YNODE_MAP || m->n != (size_t)(u != NULL) + (key != NULL) ||
		    u == NULL || !ynode_is_str(u) || (key != NULL && !ynode_is_str(key))) {
			diags_add(d, path, m->line, m->col, "provider '%s' is {base_url: URL, "
			    "api_key_env: VARIABLE} (api_key_env optional)", k->str);
			continue;
		}
		if (strncmp(u->str, "http://", 7) != 0 && strncmp(u->str, "https://", 8) != 0) {
			diags_add(d, path, u->line, u->col, "the base_url of provider '%s' must start "
			    "with http:// or https://", k->str);
			continue;
		}
		for (j = 0; j < c->n_providers && strcmp(c->providers[j].name, k->str) != 0; j++)
			;
		if (j == c->n_providers) {
			c->providers = xreallocarray(c->providers, ++c->n_providers,
			    sizeof *c->providers);
			c->providers[j].name = xstrdup(k->str);
		} else {
			free(c->providers[j].base_url);
			free(c->providers[j].api_key_env);
		}
		p = &c->providers[j];
		p->base_url = xstrdup(u->str);
		p->api_key_env = key != NULL ? xstrdup(key->str) : NULL;
	}
}

const struct provider *
conf_provider(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_providers; i++)
		if (strcmp(c->providers[i].name, name) == 0)
			return &c->providers[i];
	return NULL;
}

struct ydoc *
conf_read_yaml(const char *path, struct diags *d)
{
	void *ud[2] = { d, (void *)path };
	struct ydoc *doc;
	struct err e;
	size_t len;
	char *text = fs_read_file(path, 1u << 20, &len, &e);

	if (text == NULL) {
		diags_add(d, path, 0, 0, "%s", e.msg);
		return NULL;
	}
	doc = ydoc_parse(text, len, on_problem, ud, &e);
	free(text);
	if (doc == NULL)
		diags_add(d, path, e.line, e.col, "%s", e.msg);
	return doc;
}

/* Reads one configuration file into c: the host's, then the user's. */
static void
conf_load_file(struct conf *c, char *path, struct diags *d)
{
	static const char *const keys[] = {
		"kill_grace", "process_tracking", "bell", "shared", "providers", "pricing", "alerts",
		NULL,
	};
	struct ydoc *doc;
	struct ynode *root, *v;
	struct err e;

	if ((doc = conf_read_yaml(path, d)) == NULL)
		goto out;
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
	if ((v = ynode_get(root, "shared")) != NULL)
		conf_shared(c, path, v, d);
	if ((v = ynode_get(root, "providers")) != NULL)
		conf_providers(c, path, v, d);
	if ((v = ynode_get(root, "pricing")) != NULL)
		prices_read(&c->pricing, v, path, d);
	if ((v = ynode_get(root, "alerts")) != NULL)
		alerts_read(&c->alerts, v, path, d);
out:
	ydoc_free(doc);
}

int
conf_load(struct conf *c, struct diags *d)
{
	const char *sys = getenv("DROVER_SYSTEM_CONFIG");
	char *paths[2] = { xstrdup(sys != NULL && *sys != '\0' ? sys : CONF_SYSTEM), conf_path() };
	bool given[2] = { sys != NULL && *sys != '\0', getenv("DROVER_CONFIG") != NULL };
	size_t before = d->n;

	memset(c, 0, sizeof *c);
	c->kill_grace_ms = CONF_DEFAULT_KILL_GRACE;
	c->process_tracking = PROCTRACK_AUTO;
	c->bell = true;
	for (int k = 0; k < 2; k++) {
		/* Either file is optional, unless named in the environment. */
		if (given[k] || access(paths[k], F_OK) == 0)
			conf_load_file(c, paths[k], d);
		free(paths[k]);
	}
	return d->n > before ? -1 : 0;
}

void
conf_fini(struct conf *c)
{
	free(c->shared_group);
	free(c->shared_history);
	free(c->shared_runtime_dir);
	free(c->shared_admins);
	for (size_t i = 0; i < c->n_providers; i++) {
		free(c->providers[i].name);
		free(c->providers[i].base_url);
		free(c->providers[i].api_key_env);
	}
	free(c->providers);
	prices_fini(&c->pricing);
	alerts_fini(&c->alerts);
	memset(c, 0, sizeof *c);
}
