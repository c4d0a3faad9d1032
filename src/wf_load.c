/* wf_load.c - a workflow file to the checked model of wf.h.
 *
 * The YAML tree is walked field by field: every key is known (else "did you
 * mean"), every value has its type checked, and every problem is reported
 * with its position; loading never stops at the first problem.  The
 * readers themselves are in wf_read.c; typed params are read by
 * wf_argspec.c, step bodies by wf_body.c (each kind by its step_<kind>.c),
 * tools and MCP servers by wf_tools.c, the graph is built by wf_graph.c
 * and names inside expressions are checked by wf_check.c.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "argspec.h"
#include "dur.h"
#include "expr.h"
#include "fsutil.h"
#include "wf_ld.h"
#include "xmalloc.h"
#include "ydoc.h"

#define WF_MAX_FILE (16u << 20)

void
ld_retry(struct ld *ld, struct ynode *n, struct retry *r)
{
	static const char *const keys[] = {
		"attempts", "delay", "backoff", "factor", "max_delay", "jitter", "on_exit_codes",
		"except_exit_codes", NULL,
	};
	static const char *const backoffs[] = { "constant", "linear", "exponential", NULL };
	struct ynode *v;
	long long ll;
	int b;

	if (!ld_map(ld, n, "retry"))
		return;
	ld_check_keys(ld, n, keys, "retry");
	free(r->on_codes);
	free(r->except_codes);
	*r = (struct retry){ .attempts = 1, .factor = 2 };
	if ((v = ynode_get(n, "attempts")) != NULL && ld_int(ld, v, "attempts", 1, 1000, &ll))
		r->attempts = (int)ll;
	if ((v = ynode_get(n, "delay")) != NULL)
		ld_dur(ld, v, "delay", &r->delay_ms);
	if ((v = ynode_get(n, "max_delay")) != NULL)
		ld_dur(ld, v, "max_delay", &r->max_delay_ms);
	if ((v = ynode_get(n, "backoff")) != NULL && ld_choice(ld, v, "backoff", backoffs, &b))
		r->backoff = (enum backoff)b;
	if ((v = ynode_get(n, "factor")) != NULL)
		ld_num(ld, v, "factor", 1, 100, &r->factor);
	if ((v = ynode_get(n, "jitter")) != NULL)
		ld_bool(ld, v, "jitter", &r->jitter);
	if ((v = ynode_get(n, "on_exit_codes")) != NULL)
		ld_int_list(ld, v, "on_exit_codes", 0, 255, &r->on_codes, &r->n_on);
	if ((v = ynode_get(n, "except_exit_codes")) != NULL)
		ld_int_list(ld, v, "except_exit_codes", 0, 255, &r->except_codes, &r->n_except);
	if (r->n_on > 0 && r->n_except > 0)
		ld_err(ld, v, "give either 'on_exit_codes' or 'except_exit_codes', not both");
}

void
ld_resources(struct ld *ld, struct ynode *n, struct resources *r)
{
	static const char *const keys[] = { "preset", "cpu_time", "memory", "open_files", NULL };
	static const char *const presets[] = { "none", "low", "medium", "high", "max", NULL };
	struct ynode *v;
	long long ll;
	int p;

	if (!ld_map(ld, n, "resources"))
		return;
	ld_check_keys(ld, n, keys, "resources");
	if ((v = ynode_get(n, "preset")) != NULL && ld_choice(ld, v, "preset", presets, &p))
		r->preset = (enum resource_preset)p;
	if ((v = ynode_get(n, "cpu_time")) != NULL)
		ld_dur(ld, v, "cpu_time", &r->cpu_time_ms);
	if ((v = ynode_get(n, "memory")) != NULL) {
		struct err e;

		if (v->kind == YNODE_SCALAR && (v->type == YS_INT || v->type == YS_STR) &&
		    size_parse(v->str, &r->memory, &e) == 0)
			;
		else if (v->kind == YNODE_SCALAR && (v->type == YS_INT || v->type == YS_STR))
			ld_err(ld, v, "'memory': %s", e.msg);
		else
			ld_err(ld, v, "'memory' must be a size such as 512M or 2G, not %s",
			    ynode_describe(v));
	}
	if ((v = ynode_get(n, "open_files")) != NULL && ld_int(ld, v, "open_files", 1, 1 << 20, &ll))
		r->open_files = ll;
}

/* ---- steps ---- */

static int *
codes_copy(const int *codes, size_t n)
{
	int *c = xcalloc(n + 1, sizeof *c);

	if (n > 0)
		memcpy(c, codes, n * sizeof *c);
	return c;
}

static void
retry_copy(struct retry *dst, const struct retry *src)
{
	*dst = *src;
	dst->on_codes = codes_copy(src->on_codes, src->n_on);
	dst->except_codes = codes_copy(src->except_codes, src->n_except);
}

static const char *const step_own_keys[] = {
	"id", "name", "description", "depends_on", "parallel_with", "condition", "if",
	"trigger", "retry", "allow_failure", "fallback", "rollback", "outputs", "cache", "pool",
	"resources", "for_each", "max_parallel", "min_success", "repeat", "runner",
	"store_result", "progress_tracking", NULL,
};

static void
ld_step_keys(struct ld *ld, const struct ynode *map, const char *where)
{
	ld_check_keys(ld, map, ld_body_keys(ld, BODY_STEP, NULL, step_own_keys), where);
}

static struct body *
ld_alt_body(struct ld *ld, struct ynode *n, const char *field, const struct refctx *ctx)
{
	struct body *b;
	char *where;

	if (!ld_map(ld, n, field))
		return NULL;
	where = xasprintf("'%s'", field);
	ld_check_keys(ld, n, ld_body_keys(ld, BODY_ALT, NULL, NULL), where);
	free(where);
	b = xcalloc(1, sizeof *b);
	ld_body(ld, n, BODY_ALT, b, ctx, NULL);
	return b;
}

static void
ld_cache(struct ld *ld, struct step *st, struct ynode *n, const struct refctx *ctx)
{
	static const char *const keys[] = { "ttl", "key", NULL };
	struct ynode *v;

	st->has_cache = true;
	if (n->kind == YNODE_SCALAR) {
		ld_dur(ld, n, "cache", &st->cache_ttl_ms);
		return;
	}
	if (!ld_type(ld, n, "cache", n->kind == YNODE_MAP, "a duration or {ttl, key}"))
		return;
	ld_check_keys(ld, n, keys, "cache");
	if ((v = ynode_get(n, "ttl")) == NULL)
		ld_err(ld, n, "'cache' needs a 'ttl' (how long a result may be reused)");
	else
		ld_dur(ld, v, "ttl", &st->cache_ttl_ms);
	if ((v = ynode_get(n, "key")) != NULL && ld_type(ld, v, "key", v->kind == YNODE_SCALAR,
	    "a template string") && ld_tmpl(ld, v, ctx))
		st->cache_key = v;
}

static void
ld_min_success(struct ld *ld, struct step *st, struct ynode *v)
{
	char *end;
	double d;

	if (v->kind == YNODE_SCALAR && v->type == YS_INT && v->i >= 0) {
		st->min_success = (double)v->i;
		return;
	}
	if (ynode_is_str(v) && (d = strtod(v->str, &end), end != v->str) && strcmp(end, "%") == 0 &&
	    d >= 0 && d <= 100) {
		st->min_success = d / 100;
		st->min_success_pct = true;
		return;
	}
	ld_err(ld, v, "'min_success' must be a count (3) or a percentage (80%%), not '%s'",
	    v->kind == YNODE_SCALAR ? v->str : ynode_describe(v));
}

static void
ld_for_each(struct ld *ld, struct step *st, struct ynode *n, const struct refctx *ctx)
{
	static const char *const keys[] = { "items", "max_parallel", "min_success", NULL };
	struct ynode *items = n, *v;
	long long ll;

	if (n->kind == YNODE_MAP) {
		ld_check_keys(ld, n, keys, "for_each");
		if ((items = ynode_get(n, "items")) == NULL) {
			ld_err(ld, n, "'for_each' needs 'items': the list to run over");
			return;
		}
		if ((v = ynode_get(n, "max_parallel")) != NULL &&
		    ld_int(ld, v, "max_parallel", 1, 100000, &ll))
			st->fe_max_parallel = (int)ll;
		if ((v = ynode_get(n, "min_success")) != NULL)
			ld_min_success(ld, st, v);
	}
	st->for_each_node = items;
	if (items->kind == YNODE_SEQ)
		ld_tmpl(ld, items, ctx);
	else
		st->for_each = ld_expr(ld, items, "for_each", ctx);
}

static void
ld_repeat(struct ld *ld, struct step *st, struct ynode *n, const struct refctx *ctx)
{
	static const char *const keys[] = { "until", "max_iterations", "delay", NULL };
	struct refctx self = *ctx;
	struct ynode *v;
	long long ll;

	if (!ld_map(ld, n, "repeat"))
		return;
	ld_check_keys(ld, n, keys, "repeat");
	st->repeat = xcalloc(1, sizeof *st->repeat);
	st->repeat->max_iterations = 100;
	self.self_ok = true;
	if ((v = ynode_get(n, "until")) == NULL) {
		ld_err(ld, n, "'repeat' needs 'until': the expression that ends the repetition");
	} else {
		st->repeat->until_node = v;
		st->repeat->until = ld_expr(ld, v, "until", &self);
	}
	if ((v = ynode_get(n, "max_iterations")) != NULL &&
	    ld_int(ld, v, "max_iterations", 1, 1000000, &ll))
		st->repeat->max_iterations = (int)ll;
	if ((v = ynode_get(n, "delay")) != NULL)
		ld_dur(ld, v, "delay", &st->repeat->delay_ms);
}

static void
ld_order(struct ld *ld, struct step *st, struct ynode *map)
{
	struct ynode *v;

	if ((v = ynode_get(map, "depends_on")) != NULL) {
		st->has_depends_on = true;
		st->depends_node = v;
		ld_str_list(ld, v, "depends_on", &st->depends_on, &st->n_depends_on);
	}
	if ((v = ynode_get(map, "parallel_with")) != NULL) {
		st->parallel_node = v;
		ld_str_list(ld, v, "parallel_with", &st->parallel_with, &st->n_parallel_with);
	}
}

static void
ld_step(struct ld *ld, struct ynode *map, struct step *st, enum wf_section sec)
{
	static const char *const triggers[] = {
		"all_success", "all_done", "any_failed", "always", NULL,
	};
	struct workflow *wf = ld->wf;
	struct refctx ctx = { .roots = ROOT_ARGS | ROOT_STEPS | ROOT_ENV | ROOT_RUN | ROOT_WORKFLOW,
	    .step = st->index, .tool = NO_STEP };
	struct refctx self;
	struct ynode *v, *cond;
	char *where;
	long long ll;
	int t;

	st->node = map;
	st->section = sec;
	retry_copy(&st->retry, &wf->default_retry);
	st->resources = wf->default_resources;
	st->level = -1;
	if (sec != SECTION_MAIN)
		ctx.roots |= ROOT_ERROR;
	if (map->kind != YNODE_MAP) {
		ld_err(ld, map, "a step must be a mapping with an 'id', not %s", ynode_describe(map));
		return;
	}
	if ((v = ynode_get(map, "id")) == NULL) {
		ld_err(ld, map, "this step has no 'id'");
	} else if (ld_str(ld, v, "id", &st->id) && strlen(st->id) > WF_MAX_ID) {
		ld_err(ld, v, "step id '%.32s...' has %zu characters; an id has at most %d",
		    st->id, strlen(st->id), WF_MAX_ID);
	} else if (st->id != NULL && !ld_name_ok(st->id)) {
		ld_err(ld, v, "step id '%s' must start with a letter or _ and hold only letters, "
		    "digits, _ and -", st->id);
	}
	where = xasprintf("step '%s'", st->id != NULL ? st->id : "?");
	ld_step_keys(ld, map, where);
	free(where);
	if (ynode_get(map, "for_each") != NULL)
		ctx.roots |= ROOT_ITEM;
	self = ctx;
	self.self_ok = true;

	if ((v = ynode_get(map, "name")) != NULL)
		ld_text(ld, v, "name", &st->name);
	if ((v = ynode_get(map, "description")) != NULL)
		ld_text(ld, v, "description", &st->description);
	st->body.timeout_ms = wf->default_timeout_ms;
	ld_body(ld, map, BODY_STEP, &st->body, &ctx, &st->gate);
	ld_order(ld, st, map);
	cond = ynode_get(map, "condition");
	if ((v = ynode_get(map, "if")) != NULL && cond != NULL)
		ld_err(ld, v, "'if' is another name for 'condition'; give only one");
	else if (v != NULL)
		cond = v;
	if (cond != NULL) {
		struct refctx c = ctx;

		c.roots &= ~(unsigned)ROOT_ITEM;	/* decided once, before any item */
		st->condition_node = cond;
		st->condition = ld_expr(ld, cond, "condition", &c);
	}
	if ((v = ynode_get(map, "trigger")) != NULL && ld_choice(ld, v, "trigger", triggers, &t))
		st->trigger = (enum trigger)t;
	if ((v = ynode_get(map, "retry")) != NULL)
		ld_retry(ld, v, &st->retry);
	if ((v = ynode_get(map, "allow_failure")) != NULL)
		ld_bool(ld, v, "allow_failure", &st->allow_failure);
	if ((v = ynode_get(map, "store_result")) != NULL)
		ld_bool(ld, v, "store_result", &st->store_result);
	if ((v = ynode_get(map, "progress_tracking")) != NULL)
		ld_bool(ld, v, "progress_tracking", &st->progress_tracking);
	if ((v = ynode_get(map, "fallback")) != NULL)
		st->fallback = ld_alt_body(ld, v, "fallback", &ctx);
	if ((v = ynode_get(map, "rollback")) != NULL)
		st->rollback = ld_alt_body(ld, v, "rollback", &self);
	if ((v = ynode_get(map, "outputs")) != NULL && ld_tmpl_map(ld, v, "outputs", false, &self))
		st->outputs = v;
	if ((v = ynode_get(map, "cache")) != NULL)
		ld_cache(ld, st, v, &ctx);
	if ((v = ynode_get(map, "pool")) != NULL)
		ld_str(ld, v, "pool", &st->pool);
	if ((v = ynode_get(map, "resources")) != NULL)
		ld_resources(ld, v, &st->resources);
	if ((v = ynode_get(map, "runner")) != NULL && ld_str(ld, v, "runner", &st->runner) &&
	    strcmp(st->runner, "local") != 0)
		ld_err(ld, v, "runner '%s' is not available; steps run on the 'local' runner",
		    st->runner);
	if ((v = ynode_get(map, "for_each")) != NULL) {
		struct refctx c = ctx;

		c.roots &= ~(unsigned)ROOT_ITEM;
		ld_for_each(ld, st, v, &c);
	}
	if ((v = ynode_get(map, "max_parallel")) != NULL) {
		if (st->for_each_node == NULL)
			ld_err(ld, v, "'max_parallel' on a step limits its for_each items; this step "
			    "has no for_each (limits.max_parallel limits the run)");
		else if (ld_int(ld, v, "max_parallel", 1, 100000, &ll))
			st->fe_max_parallel = (int)ll;
	}
	if ((v = ynode_get(map, "min_success")) != NULL) {
		if (st->for_each_node == NULL)
			ld_err(ld, v, "'min_success' applies to for_each steps; this step has none");
		else
			ld_min_success(ld, st, v);
	}
	if ((v = ynode_get(map, "repeat")) != NULL)
		ld_repeat(ld, st, v, &ctx);
}

static void
ld_steps(struct ld *ld, struct ynode *n, enum wf_section sec)
{
	struct workflow *wf = ld->wf;

	for (size_t i = 0; i < n->n; i++) {
		struct step *st = &wf->steps[wf->n_steps];

		st->index = wf->n_steps++;
		ld_step(ld, n->items[i], st, sec);
	}
}

/* Indexes the steps by id (wf_find_step), reporting each id used twice. */
static void
ld_unique_ids(struct ld *ld)
{
	struct workflow *wf = ld->wf;

	for (size_t i = 0; i < wf->n_steps; i++) {
		const struct step *first;

		if (wf->steps[i].id == NULL || (first = wf_index_step(wf, i)) == NULL)
			continue;
		ld_err(ld, ynode_get(wf->steps[i].node, "id"), "duplicate step id '%s' (first used at "
		    "line %d)", wf->steps[i].id, first->node->line);
	}
}

/* ---- the document ---- */

static const char *const top_keys[] = {
	"name", "description", "version", "category", "tags", "args", "env", "defaults", "limits",
	"pools", "tools", "mcp_servers", "steps", "on_failure", "finally", "outputs", NULL,
};
static const char *const muster_keys[] = { "apiVersion", "kind", "metadata", "spec", NULL };
static const char *const metadata_keys[] = {
	"name", "namespace", "description", "annotations", "labels", "category", "tags",
	"version", NULL,
};

static bool
wf_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || !isalnum((unsigned char)*s))
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	return true;
}

static void
ld_name(struct ld *ld, struct ynode *holder, struct ynode *at)
{
	struct ynode *v = ynode_get(holder, "name");

	if (v == NULL) {
		ld_err(ld, at, "the workflow has no 'name'");
		return;
	}
	if (ld_str(ld, v, "name", &ld->wf->name) && !wf_name_ok(ld->wf->name))
		ld_err(ld, v, "workflow name '%s' must be 1 to 64 letters, digits, '_', '.' or '-', "
		    "starting with a letter or digit", ld->wf->name);
}

static void
ld_info(struct ld *ld, struct ynode *map)
{
	struct workflow *wf = ld->wf;
	struct ynode *v;

	if ((v = ynode_get(map, "description")) != NULL)
		ld_text(ld, v, "description", &wf->description);
	if ((v = ynode_get(map, "version")) != NULL)
		ld_text(ld, v, "version", &wf->version);
	if ((v = ynode_get(map, "category")) != NULL)
		ld_str(ld, v, "category", &wf->category);
	if ((v = ynode_get(map, "tags")) != NULL)
		ld_str_list(ld, v, "tags", &wf->tags, &wf->n_tags);
}

static void
ld_defaults(struct ld *ld, struct ynode *n)
{
	static const char *const keys[] = { "timeout", "retry", "resources", "runner", NULL };
	struct workflow *wf = ld->wf;
	struct ynode *v;

	if (!ld_map(ld, n, "defaults"))
		return;
	ld_check_keys(ld, n, keys, "defaults");
	if ((v = ynode_get(n, "timeout")) != NULL)
		ld_timeout(ld, v, "timeout", &wf->default_timeout_ms);
	if ((v = ynode_get(n, "retry")) != NULL)
		ld_retry(ld, v, &wf->default_retry);
	if ((v = ynode_get(n, "resources")) != NULL)
		ld_resources(ld, v, &wf->default_resources);
	if ((v = ynode_get(n, "runner")) != NULL && ld_str(ld, v, "runner", &wf->default_runner) &&
	    strcmp(wf->default_runner, "local") != 0)
		ld_err(ld, v, "runner '%s' is not available; steps run on the 'local' runner",
		    wf->default_runner);
}

static void
ld_budget(struct ld *ld, struct ynode *n)
{
	static const char *const keys[] = { "max_cost", "max_tokens", "warn_at", "on_exceed", NULL };
	static const char *const actions[] = { "stop", "ask", NULL };
	struct budget *b = &ld->wf->budget;
	struct ynode *v;
	int a;

	if (!ld_map(ld, n, "budget"))
		return;
	b->given = true;
	ld_check_keys(ld, n, keys, "budget");
	if ((v = ynode_get(n, "max_cost")) != NULL &&
	    ld_num(ld, v, "max_cost", 0, INFINITY, &b->max_cost))
		b->has_cost = true;
	if ((v = ynode_get(n, "max_tokens")) != NULL)
		ld_int(ld, v, "max_tokens", 1, LLONG_MAX, &b->max_tokens);
	if ((v = ynode_get(n, "warn_at")) != NULL)
		ld_num(ld, v, "warn_at", 0, 1, &b->warn_at);
	if ((v = ynode_get(n, "on_exceed")) != NULL && ld_choice(ld, v, "on_exceed", actions, &a))
		b->ask = a == 1;
}

static void
ld_breaker(struct ld *ld, struct ynode *n)
{
	static const char *const keys[] = { "failures", "window", "open_for", NULL };
	struct circuit_breaker *cb = &ld->wf->breaker;
	struct ynode *v;
	long long ll;

	if (!ld_map(ld, n, "circuit_breaker"))
		return;
	cb->given = true;
	ld_check_keys(ld, n, keys, "circuit_breaker");
	if ((v = ynode_get(n, "failures")) != NULL && ld_int(ld, v, "failures", 1, 1000000, &ll))
		cb->failures = (int)ll;
	if ((v = ynode_get(n, "window")) != NULL)
		ld_dur(ld, v, "window", &cb->window_ms);
	if ((v = ynode_get(n, "open_for")) != NULL)
		ld_dur(ld, v, "open_for", &cb->open_for_ms);
}

static void
ld_limits(struct ld *ld, struct ynode *n)
{
	static const char *const keys[] = {
		"max_parallel", "timeout", "budget", "circuit_breaker", NULL,
	};
	struct workflow *wf = ld->wf;
	struct ynode *v;
	long long ll;

	if (!ld_map(ld, n, "limits"))
		return;
	ld_check_keys(ld, n, keys, "limits");
	if ((v = ynode_get(n, "max_parallel")) != NULL &&
	    ld_int(ld, v, "max_parallel", 1, 100000, &ll))
		wf->max_parallel = (int)ll;
	if ((v = ynode_get(n, "timeout")) != NULL)
		ld_timeout(ld, v, "timeout", &wf->timeout_ms);
	if ((v = ynode_get(n, "budget")) != NULL)
		ld_budget(ld, v);
	if ((v = ynode_get(n, "circuit_breaker")) != NULL)
		ld_breaker(ld, v);
}

static void
ld_pools(struct ld *ld, struct ynode *n)
{
	struct workflow *wf = ld->wf;

	if (!ld_map(ld, n, "pools"))
		return;
	wf->pools = xcalloc(n->n, sizeof *wf->pools);
	for (size_t i = 0; i < n->n; i++) {
		long long ll;
		char *field = xasprintf("pools.%s", n->pairs[i].key->str);

		if (ld_int(ld, n->pairs[i].val, field, 1, 100000, &ll)) {
			wf->pools[wf->n_pools].name = xstrdup(n->pairs[i].key->str);
			wf->pools[wf->n_pools++].size = (int)ll;
		}
		free(field);
	}
}

static size_t
seq_len(struct ynode *n)
{
	return n != NULL && n->kind == YNODE_SEQ ? n->n : 0;
}

/* The body of the workflow: drover's own top level, or Muster's spec. */
static void
ld_spec(struct ld *ld, struct ynode *map, struct ynode *at)
{
	struct workflow *wf = ld->wf;
	struct refctx top = { .roots = ROOT_ARGS | ROOT_ENV | ROOT_RUN | ROOT_WORKFLOW,
	    .step = NO_STEP, .tool = NO_STEP };
	struct refctx outs = top;
	struct ynode *v, *steps, *on_failure, *fin;

	ld_info(ld, map);
	if ((v = ynode_get(map, "args")) != NULL)
		ld_argspecs(ld, v, "args", &wf->args);
	if ((v = ynode_get(map, "env")) != NULL && ld_tmpl_map(ld, v, "env", true, &top))
		wf->env = v;
	if ((v = ynode_get(map, "defaults")) != NULL)
		ld_defaults(ld, v);
	if ((v = ynode_get(map, "limits")) != NULL)
		ld_limits(ld, v);
	if ((v = ynode_get(map, "pools")) != NULL)
		ld_pools(ld, v);
	if ((v = ynode_get(map, "mcp_servers")) != NULL)
		ld_servers(ld, v);
	if ((v = ynode_get(map, "tools")) != NULL)
		ld_tools(ld, v);

	steps = ynode_get(map, "steps");
	on_failure = ynode_get(map, "on_failure");
	fin = ynode_get(map, "finally");
	if (steps == NULL)
		ld_err(ld, at, "the workflow has no 'steps'");
	else if (ld_type(ld, steps, "steps", steps->kind == YNODE_SEQ, "a list of steps") &&
	    steps->n == 0)
		ld_err(ld, steps, "'steps' is empty: a workflow needs at least one step");
	if (on_failure != NULL)
		ld_type(ld, on_failure, "on_failure", on_failure->kind == YNODE_SEQ, "a list of steps");
	if (fin != NULL)
		ld_type(ld, fin, "finally", fin->kind == YNODE_SEQ, "a list of steps");
	wf->steps = xcalloc(seq_len(steps) + seq_len(on_failure) + seq_len(fin) + 1,
	    sizeof *wf->steps);
	wf->n_main = seq_len(steps);
	wf->n_on_failure = seq_len(on_failure);
	wf->n_finally = seq_len(fin);
	if (wf->n_main > 0)
		ld_steps(ld, steps, SECTION_MAIN);
	if (wf->n_on_failure > 0)
		ld_steps(ld, on_failure, SECTION_ON_FAILURE);
	if (wf->n_finally > 0)
		ld_steps(ld, fin, SECTION_FINALLY);
	ld_unique_ids(ld);

	outs.roots |= ROOT_STEPS;
	outs.all_steps = true;
	if ((v = ynode_get(map, "outputs")) != NULL && ld_tmpl_map(ld, v, "outputs", false, &outs))
		wf->outputs = v;
}

static void
ld_muster(struct ld *ld, struct ynode *root)
{
	struct ynode *v, *meta, *spec;
	char *s;

	ld->wf->muster = true;
	ld_check_keys(ld, root, muster_keys, "a Muster workflow (apiVersion/kind/metadata/spec)");
	if ((v = ynode_get(root, "kind")) == NULL)
		ld_err(ld, root, "a Muster workflow needs 'kind: Workflow'");
	else if (ld_str(ld, v, "kind", &s)) {
		if (strcmp(s, "Workflow") != 0)
			ld_err(ld, v, "'kind' must be 'Workflow', not '%s'", s);
		free(s);
	}
	if ((v = ynode_get(root, "apiVersion")) != NULL && ld_str(ld, v, "apiVersion", &s))
		free(s);
	meta = ynode_get(root, "metadata");
	spec = ynode_get(root, "spec");
	if (meta == NULL) {
		ld_err(ld, root, "a Muster workflow needs 'metadata' with its 'name'");
	} else if (ld_map(ld, meta, "metadata")) {
		ld_check_keys(ld, meta, metadata_keys, "metadata");
		ld_name(ld, meta, meta);
		if ((v = ynode_get(meta, "annotations")) != NULL)
			ld_map(ld, v, "annotations");
		if ((v = ynode_get(meta, "labels")) != NULL)
			ld_map(ld, v, "labels");
		ld_info(ld, meta);
	}
	if (spec == NULL) {
		ld_err(ld, root, "a Muster workflow needs a 'spec' with its 'steps'");
	} else if (ld_map(ld, spec, "spec")) {
		ld_check_keys(ld, spec, top_keys + 1, "spec");
		ld_spec(ld, spec, spec);
	}
}

static void
resolve_body(struct ld *ld, struct body *b)
{
	if (b != NULL && b->kind != NULL && b->kind->resolve != NULL)
		b->kind->resolve(ld, b);
}

/* A fallback or rollback that calls a tool must call one whose kind may
 * stand there: a tool that is an approval gate cannot be a fallback. */
static void
resolve_alt(struct ld *ld, struct body *b, const char *what)
{
	const struct body *t;

	resolve_body(ld, b);
	if (b == NULL || b->kind == NULL || (t = step_kinds_target(b)) == b ||
	    t->kind == NULL || (t->kind->places & BODY_ALT))
		return;
	ld_err(ld, b->node, "this %s calls a tool that is %s %s, and %s %s cannot be a %s",
	    what, t->kind->article, t->kind->key, t->kind->article, t->kind->key, what);
}

/* Once every body is read, each resolves the names it uses (a tool, an MCP
 * server, a workflow file) against the whole workflow. */
static void
resolve_bodies(struct ld *ld)
{
	struct workflow *wf = ld->wf;
	size_t ntools;

	/* tools.yaml beside the workflow is read whenever it exists, so its
	 * problems show; the search path only when a name is still unknown. */
	ld_more_tools(ld);
	for (size_t i = 0; i < wf->n_steps; i++) {
		resolve_body(ld, &wf->steps[i].body);
		resolve_alt(ld, wf->steps[i].fallback, "fallback");
		resolve_alt(ld, wf->steps[i].rollback, "rollback");
	}
	ntools = wf->n_tools;
	for (size_t i = 0; i < ntools; i++)
		resolve_body(ld, &wf->tools[i].body);
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

bool
wf_is_tools_file(const char *path)
{
	const char *base = strrchr(path, '/');

	return strcmp(base != NULL ? base + 1 : path, "tools.yaml") == 0;
}

struct workflow *
wf_load_text(const char *name, const char *text, size_t len, struct diags *d)
{
	struct workflow *wf = xcalloc(1, sizeof *wf);
	struct ld ld = { .wf = wf, .d = d, .file = name };
	size_t before = d->n;
	struct ydoc *doc;
	struct ynode *root;

	wf->file = xstrdup(name);
	wf->dir = dir_of(name);
	wf->text = xstrndup(text, len);
	wf->text_len = len;
	wf->default_retry.attempts = 1;
	wf->default_retry.factor = 2;
	wf->breaker = (struct circuit_breaker){ .failures = 5, .window_ms = 60000,
	    .open_for_ms = 30000 };
	doc = wf_parse_doc(&ld, name, wf->text, len);
	if (doc == NULL)
		goto out;
	root = ydoc_root(doc);
	if (root == NULL || (root->kind == YNODE_SCALAR && root->type == YS_NULL)) {
		diags_add(d, name, 0, 0, "the file is empty: a workflow needs a 'name' and 'steps'");
		goto out;
	}
	if (wf_is_tools_file(name)) {
		ld_tools_doc(&ld, root);
		resolve_bodies(&ld);
		wf_check_refs(&ld);
		goto out;
	}
	if (root->kind != YNODE_MAP) {
		ld_err(&ld, root, "a workflow is a mapping of fields (name, steps, ...), not %s",
		    ynode_describe(root));
		goto out;
	}
	if (ynode_get(root, "apiVersion") != NULL || ynode_get(root, "spec") != NULL ||
	    ynode_get(root, "kind") != NULL) {
		ld_muster(&ld, root);
	} else {
		ld_check_keys(&ld, root, top_keys, "the workflow");
		ld_name(&ld, root, root);
		ld_spec(&ld, root, root);
	}
	if (ld.nodes_seen > WF_MAX_NODES)
		diags_add(d, name, 0, 0, "the workflow is too large (over %d values)", WF_MAX_NODES);
	if (wf->n_steps > 0) {
		resolve_bodies(&ld);
		wf_graph_build(wf, d);
		wf_check_refs(&ld);
	}
out:
	free(ld.refs);
	for (size_t i = 0; i < sizeof ld.body_keys / sizeof *ld.body_keys; i++)
		free(ld.body_keys[i]);
	if (d->n > before) {
		wf_free(wf);
		return NULL;
	}
	return wf;
}

struct workflow *
wf_load_file(const char *path, struct diags *d)
{
	struct workflow *wf;
	struct err e;
	size_t len;
	char *text = fs_read_file(path, WF_MAX_FILE, &len, &e);

	if (text == NULL) {
		diags_add(d, path, 0, 0, "%s", e.msg);
		return NULL;
	}
	wf = wf_load_text(path, text, len, d);
	free(text);
	return wf;
}

static void
step_fini(struct step *st)
{
	free(st->id);
	free(st->name);
	free(st->description);
	body_fini(&st->body);
	if (st->gate != NULL)
		body_fini(st->gate);
	free(st->gate);
	free(st->depends_on);
	free(st->parallel_with);
	expr_free(st->condition);
	free(st->retry.on_codes);
	free(st->retry.except_codes);
	if (st->fallback != NULL)
		body_fini(st->fallback);
	free(st->fallback);
	if (st->rollback != NULL)
		body_fini(st->rollback);
	free(st->rollback);
	free(st->pool);
	free(st->runner);
	expr_free(st->for_each);
	if (st->repeat != NULL)
		expr_free(st->repeat->until);
	free(st->repeat);
	free(st->deps);
	free(st->reads);
}

void
wf_free(struct workflow *wf)
{
	if (wf == NULL)
		return;
	for (size_t i = 0; i < wf->n_steps; i++)
		step_fini(&wf->steps[i]);
	free(wf->steps);
	free(wf->step_slots);
	for (size_t i = 0; i < wf->n_tools; i++) {
		free(wf->tools[i].name);
		free(wf->tools[i].description);
		argspecs_fini(&wf->tools[i].params);
		body_fini(&wf->tools[i].body);
	}
	free(wf->tools);
	for (size_t i = 0; i < wf->n_servers; i++) {
		free(wf->servers[i].name);
		free(wf->servers[i].workdir);
	}
	free(wf->servers);
	for (size_t i = 0; i < wf->n_pools; i++)
		free(wf->pools[i].name);
	free(wf->pools);
	argspecs_fini(&wf->args);
	free(wf->tags);
	free(wf->default_retry.on_codes);
	free(wf->default_retry.except_codes);
	free(wf->default_runner);
	for (size_t i = 0; i < wf->n_docs; i++) {
		ydoc_free(wf->docs[i]);
		free(wf->doc_files[i]);
	}
	free(wf->docs);
	free(wf->doc_files);
	free(wf->name);
	free(wf->description);
	free(wf->version);
	free(wf->category);
	free(wf->file);
	free(wf->dir);
	free(wf->text);
	free(wf);
}
