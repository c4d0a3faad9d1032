/* pricing.c - model prices. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "pricing.h"
#include "xmalloc.h"
#include "ydoc.h"

static bool
price_field(const struct ynode *m, const char *key, double *out)
{
	const struct ynode *v = ynode_get(m, key);

	if (v == NULL || v->kind != YNODE_SCALAR || (v->type != YS_INT && v->type != YS_FLOAT) ||
	    v->f < 0)
		return false;
	*out = v->f;
	return true;
}

void
prices_read(struct prices *p, const struct ynode *map, const char *path, struct diags *d)
{
	if (map->kind != YNODE_MAP) {
		diags_add(d, path, map->line, map->col, "prices are a mapping of MODEL: {input: "
		    "USD, output: USD} per million tokens, not %s", ynode_describe(map));
		return;
	}
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->pairs[i].key, *v = map->pairs[i].val;
		double in, out;

		if (v->kind != YNODE_MAP || v->n != 2 || !price_field(v, "input", &in) ||
		    !price_field(v, "output", &out)) {
			diags_add(d, path, v->line, v->col, "the price of '%s' is {input: USD, output: "
			    "USD} per million tokens, both numbers of at least 0", k->str);
			continue;
		}
		prices_set(p, k->str, in, out);
	}
}

void
prices_set(struct prices *p, const char *model, double input, double output)
{
	size_t j;

	for (j = 0; j < p->n && strcmp(p->v[j].model, model) != 0; j++)
		;
	if (j == p->n) {
		p->v = xreallocarray(p->v, p->n + 1, sizeof *p->v);
		p->v[p->n++].model = xstrdup(model);
	}
	p->v[j].input = input;
	p->v[j].output = output;
}

int
prices_load_shipped(struct prices *p, struct diags *d)
{
	const char *env = getenv("DROVER_PRICING");
	char *path = env != NULL && *env != '\0' ? xstrdup(env) :
	    xstrdup(DROVER_DATADIR "/pricing.yaml");
	size_t before = d->n;
	struct ydoc *doc = NULL;
	struct ynode *root, *v;

	if ((access(path, F_OK) != 0 && env == NULL) || (doc = conf_read_yaml(path, d)) == NULL)
		goto out;
	if ((root = ydoc_root(doc)) == NULL || root->kind != YNODE_MAP ||
	    (v = ynode_get(root, "models")) == NULL) {
		diags_add(d, path, 1, 1, "a pricing file is a mapping with 'models:'");
		goto out;
	}
	prices_read(p, v, path, d);
	if ((v = ynode_get(root, "taken")) != NULL && v->kind == YNODE_SCALAR) {
		free(p->taken);
		p->taken = xstrdup(v->str);
	}
out:
	ydoc_free(doc);
	free(path);
	return d->n > before ? -1 : 0;
}

void
prices_fini(struct prices *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].model);
	free(p->v);
	free(p->taken);
	memset(p, 0, sizeof *p);
}

const struct price *
prices_find(const struct prices *p, const char *model)
{
	const struct price *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; p != NULL && i < p->n; i++) {
		size_t n = strlen(p->v[i].model);

		if (strcmp(p->v[i].model, model) == 0)
			return &p->v[i];
		if (n > best_len && strncmp(p->v[i].model, model, n) == 0 && model[n] == '-') {
			best = &p->v[i];
			best_len = n;
		}
	}
	return best;
}

double
price_cost(const struct price *pr, long long tokens_in, long long tokens_out)
{
	if (pr == NULL)
		return 0;
	return ((double)tokens_in * pr->input + (double)tokens_out * pr->output) / 1e6;
}
