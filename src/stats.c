/* stats.c - percentiles, rates, the critical path of a run's graph and
 * what is left of it, and the verdicts they give (stats.h). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "xmalloc.h"

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The p-th percentile of sorted v[0..n), n > 0. */
static double
percentile(const double *v, size_t n, double p)
{
	double rank = p * (double)(n - 1);
	size_t lo = (size_t)rank;

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (v[lo + 1] - v[lo]) * (rank - (double)lo);
}

void
stats_dist_of(struct stats_dist *d, double *v, size_t n)
{
	memset(d, 0, sizeof *d);
	if (n == 0)
		return;
	qsort(v, n, sizeof *v, cmp_double);
	d->n = n;
	d->min = v[0];
	d->max = v[n - 1];
	d->p50 = percentile(v, n, 0.50);
	d->p95 = percentile(v, n, 0.95);
	d->p99 = percentile(v, n, 0.99);
}

double
stats_success_rate(const struct step_stats *ss)
{
	return ss->executions > 0 ? (double)ss->succeeded / (double)ss->executions : 1.0;
}

double
stats_retry_rate(const struct step_stats *ss)
{
	return ss->executions > 0 ? (double)ss->retried / (double)ss->executions : 0.0;
}

bool
stats_is_slow(const struct step_stats *ss, double duration_ms)
{
	double p95;

	if (ss == NULL || ss->duration.n < STATS_MIN_SAMPLES || isnan(duration_ms))
		return false;
	p95 = ss->duration.p95;
	return duration_ms > p95 * 1.1 && duration_ms > p95 + 50;
}

bool
stats_is_flaky(const struct step_stats *ss)
{
	return ss != NULL && ss->executions > 0 &&
	    (stats_success_rate(ss) < 0.95 || stats_retry_rate(ss) > 0.10);
}

/* The steps in an order where each comes after those it waits for. */
static size_t *
topo_order(const struct stats_graph *g, size_t *count)
{
	size_t *order = xcalloc(g->n ? g->n : 1, sizeof *order);
	size_t *pending = xcalloc(g->n ? g->n : 1, sizeof *pending);
	size_t *n_users = xcalloc(g->n + 1, sizeof *n_users);
	size_t *users, head = 0, tail = 0;

	/* Who waits for each step, in one array (counting sort by step). */
	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < g->n_deps[i]; k++)
			n_users[g->deps[i][k] + 1]++;
	for (size_t i = 0; i < g->n; i++)
		n_users[i + 1] += n_users[i];
	users = xcalloc(n_users[g->n] ? n_users[g->n] : 1, sizeof *users);
	{
		size_t *fill = xcalloc(g->n ? g->n : 1, sizeof *fill);

		for (size_t i = 0; i < g->n; i++)
			for (size_t k = 0; k < g->n_deps[i]; k++) {
				size_t d = g->deps[i][k];

				users[n_users[d] + fill[d]++] = i;
			}
		free(fill);
	}
	for (size_t i = 0; i < g->n; i++)
		if ((pending[i] = g->n_deps[i]) == 0)
			order[tail++] = i;
	while (head < tail) {
		size_t d = order[head++];

		for (size_t u = n_users[d]; u < n_users[d + 1]; u++)
			if (--pending[users[u]] == 0)
				order[tail++] = users[u];
	}
	free(users);
	free(n_users);
	free(pending);
	*count = tail;		/* a step in a cycle is left out: wf_graph refuses them */
	return order;
}

/* finish[i]: the longest chain ending with step i; from[i] the step
 * before it on that chain (n: none).  Returns the order's length. */
static size_t
longest_chains(const struct stats_graph *g, const double *dur_ms, double *finish, size_t *from)
{
	size_t len, *order = topo_order(g, &len);

	for (size_t i = 0; i < g->n; i++) {
		finish[i] = NAN;
		from[i] = g->n;
	}
	for (size_t k = 0; k < len; k++) {
		size_t i = order[k];
		double start = 0;

		for (size_t j = 0; j < g->n_deps[i]; j++) {
			size_t d = g->deps[i][j];

			if (!isnan(finish[d]) && finish[d] > start) {
				start = finish[d];
				from[i] = d;
			}
		}
		finish[i] = start + (isnan(dur_ms[i]) || dur_ms[i] < 0 ? 0 : dur_ms[i]);
	}
	free(order);
	return len;
}

void
stats_critical_path(const struct stats_graph *g, const double *dur_ms, size_t *path,
    size_t *len, double *total_ms)
{
	double *finish = xcalloc(g->n ? g->n : 1, sizeof *finish);
	size_t *from = xcalloc(g->n ? g->n : 1, sizeof *from);
	size_t last = g->n, n = 0;

	longest_chains(g, dur_ms, finish, from);
	*total_ms = 0;
	for (size_t i = 0; i < g->n; i++)
		if (!isnan(finish[i]) && (last == g->n || finish[i] > finish[last])) {
			last = i;
			*total_ms = finish[i];
		}
	for (size_t i = last; i < g->n; i = from[i])
		path[n++] = i;
	for (size_t a = 0, b = n; a + 1 < b; a++, b--) {
		size_t t = path[a];

		path[a] = path[b - 1];
		path[b - 1] = t;
	}
	*len = n;
	free(finish);
	free(from);
}

double
stats_remaining_ms(const struct stats_graph *g, const double *left_ms)
{
	double *finish = xcalloc(g->n ? g->n : 1, sizeof *finish), most = 0;
	size_t *from = xcalloc(g->n ? g->n : 1, sizeof *from);

	longest_chains(g, left_ms, finish, from);
	for (size_t i = 0; i < g->n; i++)
		if (!isnan(finish[i]) && finish[i] > most)
			most = finish[i];
	free(finish);
	free(from);
	return most;
}

static int
cmp_id(const void *key, const void *elem)
{
	return strcmp(key, ((const struct step_stats *)elem)->id);
}

const struct step_stats *
stats_step(const struct wf_stats *ws, const char *id)
{
	return ws->n_steps > 0 ? bsearch(id, ws->steps, ws->n_steps, sizeof *ws->steps, cmp_id) :
	    NULL;
}

void
stats_free(struct wf_stats *ws)
{
	for (size_t i = 0; i < ws->n_steps; i++)
		free(ws->steps[i].id);
	free(ws->steps);
	free(ws->points);
	memset(ws, 0, sizeof *ws);
}
