/* report_profile.c - `drover report profile RUN` (SPEC 9): each step of a
 * run against its own history, the verdicts that gives, the run's
 * critical path and parallel speedup, and what might make it faster or
 * cheaper, each recommendation naming its step and its evidence.
 *
 * Two windows of history are read: the runs before this one, which say
 * what is usual (p50/p95, SLOW), and the same with this run once it has
 * ended, which say how a step behaves (FLAKY, outputs that repeat).
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "dur.h"
#include "json.h"
#include "report.h"
#include "stats.h"
#include "step_kinds.h"
#include "store.h"
#include "strbuf.h"
#include "wf.h"
#include "xmalloc.h"

/* Below these a step is too small to be worth a recommendation. */
#define WORTH_MS 100
#define SHORT_REPLY_TOKENS 100

struct prof {
	const cJSON *run;
	const struct workflow *wf;	/* NULL when its text no longer loads */
	const cJSON **rec;		/* the run's record of each step, by index */
	struct wf_stats prior, incl;
	double wall_ms;
	bool resumed;		/* an attempt was interrupted: the wall time has a gap */
	cJSON *steps_out, *recs;
};

/* What a step took, NAN when it never ran (skipped, or never reached);
 * the run's own wall time the same way. */
static double
step_ms(const cJSON *st)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(st, "duration_ms");
	const cJSON *attempts = cJSON_GetObjectItemCaseSensitive(st, "attempts");

	if (cJSON_IsNumber(attempts) && attempts->valuedouble == 0 &&
	    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "cached")))
		return NAN;
	return cJSON_IsNumber(d) ? d->valuedouble : NAN;
}

/* Whether the run was interrupted and resumed: an attempt of it says so. */
static bool
was_resumed(const cJSON *run)
{
	const cJSON *st, *a;

	cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(run, "steps"))
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(st, "attempt_list"))
			if (json_str(a, "status") != NULL &&
			    strcmp(json_str(a, "status"), "interrupted") == 0)
				return true;
	return false;
}

/* A step whose time is people's: an approval, or a step behind a gate. */
static bool
waits_for_people(const struct step *s)
{
	return s->gate != NULL || strcmp(wf_kind_name(s->body.kind), "approval") == 0;
}

/* The run's record of step i of the workflow, or NULL. */
static const cJSON *
record_of(const struct prof *p, size_t i)
{
	return p->rec[i];
}

static void
add_ms(cJSON *o, const char *key, double ms)
{
	if (isnan(ms))
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, round(ms));
}

static void
recommend(struct prof *p, const char *step, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
recommend(struct prof *p, const char *step, const char *kind, const char *fmt, ...)
{
	cJSON *r = cJSON_CreateObject();
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(r, "step", step);
	cJSON_AddStringToObject(r, "kind", kind);
	cJSON_AddStringToObject(r, "text", text);
	cJSON_AddItemToArray(p->recs, r);
	free(text);
}

/* The longest chain of one section's steps, appended to path (global
 * indices); its total. */
static double
section_path(struct prof *p, enum wf_section sec, size_t *path, size_t *len)
{
	size_t first, n = wf_section_steps(p->wf, sec, &first), k = 0;
	size_t *local = xcalloc(n ? n : 1, sizeof *local), *n_deps = xcalloc(n ? n : 1,
	    sizeof *n_deps), **deps = xcalloc(n ? n : 1, sizeof *deps);
	double *dur = xcalloc(n ? n : 1, sizeof *dur), total = 0;

	for (size_t i = 0; i < n; i++) {
		const struct step *s = &p->wf->steps[first + i];

		deps[i] = xcalloc(s->n_deps ? s->n_deps : 1, sizeof **deps);
		for (size_t j = 0; j < s->n_deps; j++)
			if (s->deps[j] >= first && s->deps[j] < first + n)
				deps[i][n_deps[i]++] = s->deps[j] - first;
		dur[i] = record_of(p, first + i) != NULL ? step_ms(record_of(p, first + i)) : NAN;
	}
	struct stats_graph g = { n, (const size_t *const *)deps, n_deps };
	stats_critical_path(&g, dur, local, &k, &total);
	for (size_t i = 0; i < k && total > 0; i++)
		path[(*len)++] = first + local[i];
	for (size_t i = 0; i < n; i++)
		free(deps[i]);
	free(deps);
	free(n_deps);
	free(local);
	free(dur);
	return total > 0 ? total : 0;
}

/* The critical path, by what each step took in this run (a step that
 * did not run takes nothing): the longest chain of the main steps, then
 * of the on_failure steps, then of the finally steps, as the sections
 * run one after the other.  Marks its steps; the bottleneck is its
 * longest step whose time is not people's. */
static void
critical_path(struct prof *p, cJSON *out, bool *on_path, const char **bottleneck)
{
	static const enum wf_section sections[] = { SECTION_MAIN, SECTION_ON_FAILURE,
	    SECTION_FINALLY };
	size_t len = 0, *path = xcalloc(p->wf->n_steps ? p->wf->n_steps : 1, sizeof *path);
	cJSON *ids = cJSON_AddArrayToObject(out, "critical_path");
	double total = 0, most = 0;

	for (size_t k = 0; k < sizeof sections / sizeof sections[0]; k++)
		total += section_path(p, sections[k], path, &len);
	for (size_t k = 0; k < len; k++) {
		const struct step *s = &p->wf->steps[path[k]];
		double ms = step_ms(record_of(p, path[k]));

		on_path[path[k]] = true;
		cJSON_AddItemToArray(ids, cJSON_CreateString(s->id));
		if (!waits_for_people(s) && !isnan(ms) && ms > most) {
			most = ms;
			*bottleneck = s->id;
		}
	}
	add_ms(out, "critical_path_ms", total > 0 ? total : NAN);
	free(path);
}

/* Whether outputs hold a result worth keeping: something besides the
 * exit code and error text, and not empty. */
static bool
has_results(const cJSON *outputs)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, outputs) {
		if (strcmp(v->string, "exit_code") == 0 || strcmp(v->string, "stderr") == 0)
			continue;
		if (cJSON_IsString(v) ? *v->valuestring != '\0' :
		    cJSON_IsArray(v) || cJSON_IsObject(v) ? cJSON_GetArraySize(v) > 0 :
		    !cJSON_IsNull(v))
			return true;
	}
	return false;
}

/* What might help step i, from this run and its history. */
static void
recommend_step(struct prof *p, size_t i, const cJSON *rec, const bool *on_path)
{
	const struct step *s = &p->wf->steps[i];
	const struct body *b = step_kinds_target(&s->body);
	const char *kind = b != NULL ? wf_kind_name(b->kind) : "";
	const struct step_stats *h = stats_step(&p->incl, s->id);
	double ms = step_ms(rec), cost = json_num(rec, "cost_usd", 0);
	const cJSON *outputs = cJSON_GetObjectItemCaseSensitive(rec, "outputs");
	char d[32];

	dur_format(isnan(ms) ? 0 : (int64_t)ms, d, sizeof d);
	if (!s->has_cache && h != NULL && h->same_outputs >= 3 &&
	    strcmp(json_str(rec, "status"), "succeeded") == 0 && has_results(outputs) &&
	    (ms >= WORTH_MS || cost > 0) &&
	    (strcmp(kind, "run") == 0 || strcmp(kind, "http") == 0 || strcmp(kind, "llm") == 0))
		recommend(p, s->id, "cache", "its outputs were the same in its last %zu runs and it "
		    "takes %s%s: if it is deterministic, `cache: 1d` would reuse them", h->same_outputs,
		    d, cost > 0 ? " and costs money" : "");
	if (stats_is_flaky(h)) {
		if (stats_retry_rate(h) > 0.10)
			recommend(p, s->id, "retries", "it needed a retry in %zu of its last %zu runs "
			    "(%.0f%%): find why its first attempt fails, or give its retry a longer "
			    "delay", h->retried, h->executions, 100 * stats_retry_rate(h));
		if (stats_success_rate(h) < 0.95 && s->retry.attempts <= 1)
			recommend(p, s->id, "retries", "it failed in %zu of its last %zu runs and is "
			    "not retried: `retry: {attempts: 3, delay: 5s}` would ride out passing "
			    "failures", h->failed, h->executions);
		else if (stats_success_rate(h) < 0.95)
			recommend(p, s->id, "retries", "it failed in %zu of its last %zu runs even "
			    "with %d attempts: more attempts or a longer delay, or a fallback",
			    h->failed, h->executions, s->retry.attempts);
	}
	if (strcmp(kind, "llm") == 0 && h != NULL && h->executions > 0 && cost > 0 &&
	    h->tokens_out <= SHORT_REPLY_TOKENS)
		recommend(p, s->id, "model", "its replies average %.0f tokens and it costs $%.6f a "
		    "run on %s: a smaller, cheaper model may be enough for replies that short",
		    h->tokens_out, h->executions ? h->cost_usd / (double)h->executions : cost,
		    json_str(outputs, "model") != NULL ? json_str(outputs, "model") : "its model");
	if (!on_path[i] || isnan(ms) || ms < WORTH_MS || waits_for_people(s))
		return;
	for (size_t k = 0; k < s->n_deps; k++) {
		size_t a = s->deps[k];
		const cJSON *arec = record_of(p, a);
		double ams = arec != NULL ? step_ms(arec) : NAN;
		bool reads = s->reads_all;
		char ad[32];

		for (size_t r = 0; r < s->n_reads; r++)
			reads |= s->reads[r] == a;
		if (reads || !on_path[a] || isnan(ams) || ams < WORTH_MS ||
		    waits_for_people(&p->wf->steps[a]))
			continue;
		dur_format((int64_t)fmin(ms, ams), ad, sizeof ad);
		recommend(p, s->id, "parallel", "it waits for '%s' but reads none of its results: "
		    "if that order is not needed, running them side by side would save up to %s",
		    p->wf->steps[a].id, ad);
	}
}

/* A step's line of the report, with its verdicts. */
static void
profile_step(struct prof *p, const cJSON *rec, const struct step *s, bool on_path,
    bool bottleneck)
{
	const char *id = json_str(rec, "id");
	const struct step_stats *h = stats_step(&p->prior, id);
	const struct step_stats *hi = stats_step(&p->incl, id);
	double ms = step_ms(rec);
	cJSON *o = cJSON_CreateObject(), *v;

	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "status", json_str(rec, "status"));
	add_ms(o, "duration_ms", ms);
	add_ms(o, "p50_ms", h != NULL && h->duration.n > 0 ? h->duration.p50 : NAN);
	add_ms(o, "p95_ms", h != NULL && h->duration.n > 0 ? h->duration.p95 : NAN);
	cJSON_AddNumberToObject(o, "history", h != NULL ? (double)h->duration.n : 0);
	cJSON_AddNumberToObject(o, "attempts", json_num(rec, "attempts", 0));
	cJSON_AddNumberToObject(o, "cost_usd", json_num(rec, "cost_usd", 0));
	cJSON_AddNumberToObject(o, "tokens_in", json_num(rec, "tokens_in", 0));
	cJSON_AddNumberToObject(o, "tokens_out", json_num(rec, "tokens_out", 0));
	cJSON_AddBoolToObject(o, "cached", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec,
	    "cached")));
	cJSON_AddBoolToObject(o, "critical", on_path);
	v = cJSON_AddArrayToObject(o, "verdicts");
	if ((s == NULL || !waits_for_people(s)) && stats_is_slow(h, ms))
		cJSON_AddItemToArray(v, cJSON_CreateString("SLOW"));
	if (bottleneck)
		cJSON_AddItemToArray(v, cJSON_CreateString("BOTTLENECK"));
	if (stats_is_flaky(hi))
		cJSON_AddItemToArray(v, cJSON_CreateString("FLAKY"));
	if (cJSON_GetArraySize(v) == 0)
		cJSON_AddItemToArray(v, cJSON_CreateString("OK"));
	cJSON_AddItemToArray(p->steps_out, o);
}

/* The step that most of something went to, and its share of the whole. */
static void
add_top(cJSON *out, const char *key, const cJSON *steps, const char *field, double whole)
{
	const cJSON *st, *top = NULL;
	cJSON *o;

	cJSON_ArrayForEach(st, steps)
		if (json_num(st, field, 0) > 0 && (top == NULL ||
		    json_num(st, field, 0) > json_num(top, field, 0)))
			top = st;
	if (top == NULL || !(whole > 0)) {
		cJSON_AddNullToObject(out, key);
		return;
	}
	o = cJSON_AddObjectToObject(out, key);
	cJSON_AddStringToObject(o, "step", json_str(top, "id"));
	cJSON_AddNumberToObject(o, field, json_num(top, field, 0));
	cJSON_AddNumberToObject(o, "share", fmin(1, json_num(top, field, 0) / whole));
}

static void
profile_steps(struct prof *p, cJSON *out)
{
	size_t n = p->wf != NULL ? p->wf->n_steps : 0;
	bool *on_path = xcalloc(n ? n : 1, sizeof *on_path);
	const char *bottleneck = NULL;
	const cJSON *rec;
	double sum = 0;

	p->rec = xcalloc(n ? n : 1, sizeof *p->rec);
	cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(p->run, "steps")) {
		const struct step *s = p->wf != NULL ? wf_find_step(p->wf, json_str(rec, "id")) :
		    NULL;

		if (s != NULL)
			p->rec[s->index] = rec;
	}
	if (p->wf != NULL)
		critical_path(p, out, on_path, &bottleneck);
	else {
		cJSON_AddArrayToObject(out, "critical_path");
		cJSON_AddNullToObject(out, "critical_path_ms");
	}
	cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(p->run, "steps")) {
		const char *id = json_str(rec, "id");
		const struct step *s = p->wf != NULL ? wf_find_step(p->wf, id) : NULL;

		if (strchr(id, '[') != NULL)
			continue;	/* for_each items: their step stands for them */
		if (!isnan(step_ms(rec)))
			sum += step_ms(rec);
		profile_step(p, rec, s, s != NULL && on_path[s->index],
		    bottleneck != NULL && strcmp(bottleneck, id) == 0);
		if (s != NULL)
			recommend_step(p, s->index, rec, on_path);
	}
	free(p->rec);
	add_ms(out, "sum_ms", sum);
	cJSON_AddBoolToObject(out, "resumed", p->resumed);
	if (p->wall_ms > 0 && sum > 0 && !p->resumed)
		cJSON_AddNumberToObject(out, "speedup", round(sum / p->wall_ms * 100) / 100);
	else
		cJSON_AddNullToObject(out, "speedup");
	free(on_path);
}

cJSON *
report_profile(struct store *s, int64_t run, struct err *e)
{
	struct prof p = { 0 };
	struct diags d = DIAGS_INIT;
	struct workflow *wf = NULL;
	char *text = NULL, *file = NULL;
	const char *workflow;
	cJSON *r, *out;
	size_t len;

	if ((r = store_get_run(s, run, e)) == NULL)
		return NULL;
	workflow = json_str(r, "workflow");
	if (stats_load(s, workflow, run, 0, &p.prior, e) < 0 ||
	    stats_load(s, workflow, run + 1, 0, &p.incl, e) < 0) {
		stats_free(&p.prior);
		stats_free(&p.incl);
		cJSON_Delete(r);
		return NULL;
	}
	if (store_run_workflow(s, run, &text, &len, &file, e) == 0)
		wf = wf_load_text(file, text, len, &d);
	p.run = r;
	p.wf = wf;
	p.wall_ms = step_ms(r);
	p.resumed = was_resumed(r);
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "run", (double)run);
	cJSON_AddStringToObject(out, "workflow", workflow);
	cJSON_AddStringToObject(out, "status", json_str(r, "status"));
	add_ms(out, "wall_ms", p.wall_ms);
	cJSON_AddNumberToObject(out, "history_runs", (double)p.prior.runs);
	cJSON_AddBoolToObject(out, "graph", wf != NULL);
	p.steps_out = cJSON_CreateArray();
	p.recs = cJSON_CreateArray();
	profile_steps(&p, out);
	cJSON_AddNumberToObject(out, "cost_usd", json_num(r, "cost_usd", 0));
	cJSON_AddNumberToObject(out, "tokens_in", json_num(r, "tokens_in", 0));
	cJSON_AddNumberToObject(out, "tokens_out", json_num(r, "tokens_out", 0));
	{
		double attempts = 0;
		const cJSON *st;

		cJSON_ArrayForEach(st, p.steps_out)
			attempts += json_num(st, "attempts", 0);
		cJSON_AddNumberToObject(out, "attempts", attempts);
	}
	add_top(out, "slowest", p.steps_out, "duration_ms", p.wall_ms);
	add_top(out, "most_expensive", p.steps_out, "cost_usd", json_num(r, "cost_usd", 0));
	cJSON_AddItemToObject(out, "steps", p.steps_out);
	cJSON_AddItemToObject(out, "recommendations", p.recs);
	stats_free(&p.prior);
	stats_free(&p.incl);
	wf_free(wf);
	diags_fini(&d);
	free(text);
	free(file);
	cJSON_Delete(r);
	return out;
}

/* ---- the text form ---- */

static void
fmt_ms(const cJSON *o, const char *key, char *buf, size_t size)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (cJSON_IsNumber(v))
		dur_format((int64_t)v->valuedouble, buf, size);
	else
		snprintf(buf, size, "-");
}

void
report_profile_print(FILE *fp, const cJSON *p)
{
	const cJSON *st, *v, *top;
	struct strbuf sb = STRBUF_INIT;
	char wall[32], a[32], b[32], c[32];
	size_t w = 4;

	fmt_ms(p, "wall_ms", wall, sizeof wall);
	fprintf(fp, "run %.0f (%s), %s in %s; %.0f earlier run%s in its history\n",
	    json_num(p, "run", 0), json_str(p, "workflow"), json_str(p, "status"), wall,
	    json_num(p, "history_runs", 0), json_num(p, "history_runs", 0) == 1 ? "" : "s");
	cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(p, "steps"))
		if (strlen(json_str(st, "id")) > w)
			w = strlen(json_str(st, "id"));
	fprintf(fp, "\n  %-*s  %-15s %9s %9s %9s %3s %11s  %s\n", (int)w, "STEP", "STATUS",
	    "DURATION", "P50", "P95", "TRY", "COST", "VERDICT");
	cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(p, "steps")) {
		sb_reset(&sb);
		cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(st, "verdicts"))
			sb_addf(&sb, "%s%s", sb.len ? " " : "", v->valuestring);
		fmt_ms(st, "duration_ms", a, sizeof a);
		fmt_ms(st, "p50_ms", b, sizeof b);
		fmt_ms(st, "p95_ms", c, sizeof c);
		fprintf(fp, "%c %-*s  %-15s %9s %9s %9s %3.0f %11.6f  %s%s\n",
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "critical")) ? '*' : ' ',
		    (int)w, json_str(st, "id"), json_str(st, "status"), a, b, c,
		    json_num(st, "attempts", 0), json_num(st, "cost_usd", 0), sb_str(&sb),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "cached")) ? " (cached)" : "");
	}
	sb_reset(&sb);
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(p, "critical_path"))
		sb_addf(&sb, "%s%s", sb.len ? " -> " : "", v->valuestring);
	fmt_ms(p, "critical_path_ms", a, sizeof a);
	fprintf(fp, "\ncritical path (*): %s", sb.len ? sb_str(&sb) :
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "graph")) ? "none" :
	    "unknown: the run's workflow no longer loads");
	if (sb.len)
		fprintf(fp, " (%s)", a);
	v = cJSON_GetObjectItemCaseSensitive(p, "speedup");
	if (cJSON_IsNumber(v))
		fprintf(fp, "; parallel speedup %.2fx (%s of step time in %s)", v->valuedouble,
		    (fmt_ms(p, "sum_ms", b, sizeof b), b), wall);
	else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "resumed")))
		fprintf(fp, "; no speedup: the run was resumed, so its wall time holds the time "
		    "it was stopped");
	fputc('\n', fp);
	if ((top = cJSON_GetObjectItemCaseSensitive(p, "slowest")) != NULL && cJSON_IsObject(top)) {
		fmt_ms(top, "duration_ms", a, sizeof a);
		fprintf(fp, "slowest: %s, %s (%.0f%% of the run)\n", json_str(top, "step"), a,
		    100 * json_num(top, "share", 0));
	}
	top = cJSON_GetObjectItemCaseSensitive(p, "most_expensive");
	if (cJSON_IsObject(top))
		fprintf(fp, "most expensive: %s, $%.6f (%.0f%% of the run's cost)\n",
		    json_str(top, "step"), json_num(top, "cost_usd", 0), 100 * json_num(top, "share", 0));
	fprintf(fp, "total: %d steps, %.0f attempts, $%.6f, %.0f tokens in, %.0f out\n",
	    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "steps")),
	    json_num(p, "attempts", 0), json_num(p, "cost_usd", 0), json_num(p, "tokens_in", 0),
	    json_num(p, "tokens_out", 0));
	v = cJSON_GetObjectItemCaseSensitive(p, "recommendations");
	if (cJSON_GetArraySize(v) > 0) {
		fprintf(fp, "\nrecommendations:\n");
		cJSON_ArrayForEach(st, v)
			fprintf(fp, "  %s (%s): %s\n", json_str(st, "step"), json_str(st, "kind"),
			    json_str(st, "text"));
	}
	sb_fini(&sb);
}
