/* alerts.c - alert rules: reading them from the configuration, measuring
 * them over the history, and telling someone when one fires (alerts.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>


#include "alerts.h"
#include "curlso.h"
#include "dur.h"
#include "event.h"
#include "json.h"
#include "monotime.h"
#include "stats.h"
#include "store.h"
#include "xmalloc.h"
#include "ydoc.h"

extern char **environ;

#define DEFAULT_WINDOW_MS (24LL * 3600 * 1000)
/* The longest every notification of one run's end may take together. */
#define NOTIFY_TIME_MS 10000

static const char *const metric_names[] = {
	[ALERT_ERROR_RATE] = "error_rate",
	[ALERT_SUCCESS_RATE] = "success_rate",
	[ALERT_COST_PER_DAY] = "cost_per_day",
	[ALERT_STEP_P95] = "step_p95",
};
#define N_METRICS (sizeof metric_names / sizeof metric_names[0])

const char *
alert_metric_name(enum alert_metric m)
{
	return metric_names[m];
}

/* ---- reading the rules ---- */

struct reading {
	const char *path;
	struct diags *d;
	const char *rule;	/* its name, for messages */
	bool ok;
};

static void __attribute__((format(printf, 3, 4)))
bad(struct reading *rd, const struct ynode *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diags_add(rd->d, rd->path, n->line, n->col, "alert '%s': %s", rd->rule, msg);
	rd->ok = false;
}

static char *
text_of(struct reading *rd, const struct ynode *n, const char *field)
{
	if (n == NULL)
		return NULL;
	if (!ynode_is_str(n) || n->str[0] == '\0') {
		bad(rd, n, "'%s' is a string", field);
		return NULL;
	}
	return xstrdup(n->str);
}

/* "20%", "12.5%": digits, at most one point, then the sign. */
static bool
is_percentage(const char *s)
{
	size_t digits = strspn(s, "0123456789"), more = 0;

	if (s[digits] == '.')
		more = 1 + strspn(s + digits + 1, "0123456789");
	return digits + more > (more > 0) && strcmp(s + digits + more, "%") == 0;
}

/* The threshold, in the metric's unit: a fraction for rates (0.2 or
 * "20%"), dollars for cost, milliseconds or a duration for a p95. */
static bool
threshold_of(struct reading *rd, const struct ynode *n, enum alert_metric m, double *t)
{
	struct err e;
	int64_t ms;
	char *end;

	if (m == ALERT_STEP_P95 && ynode_is_str(n) && dur_parse(n->str, &ms, &e) == 0) {
		*t = (double)ms;
		return true;
	}
	if (n->kind == YNODE_SCALAR && (n->type == YS_INT || n->type == YS_FLOAT)) {
		*t = n->f;
	} else if (n->kind == YNODE_SCALAR && m <= ALERT_SUCCESS_RATE && ynode_is_str(n) &&
	    is_percentage(n->str)) {
		*t = strtod(n->str, &end) / 100;
	} else {
		bad(rd, n, "the threshold of %s is %s", metric_names[m],
		    m <= ALERT_SUCCESS_RATE ? "a fraction (0.2) or a percentage (\"20%\")" :
		    m == ALERT_COST_PER_DAY ? "a number of dollars" :
		    "a duration (30s) or a number of milliseconds");
		return false;
	}
	*t += 0.0;		/* -0 is 0 */
	if (!isfinite(*t) || *t < 0 || (m <= ALERT_SUCCESS_RATE && *t > 1)) {
		bad(rd, n, "the threshold of %s must lie between 0 and %s", metric_names[m],
		    m <= ALERT_SUCCESS_RATE ? "1 (100%)" : "any positive number");
		return false;
	}
	return true;
}

static void
notify_of(struct reading *rd, const struct ynode *n, struct alert_rule *a)
{
	const struct ynode *run = NULL, *http = NULL, *url, *headers;

	if (n->kind == YNODE_MAP) {
		run = ynode_get(n, "run");
		http = ynode_get(n, "http");
	}
	if (n->kind != YNODE_MAP || n->n != (size_t)(run != NULL) + (http != NULL) || n->n == 0) {
		bad(rd, n, "'notify' is {run: COMMAND} or {http: URL} or {http: {url: URL, "
		    "headers: {NAME: VALUE}}}");
		return;
	}
	a->notify_run = text_of(rd, run, "notify.run");
	if (http == NULL)
		return;
	url = http->kind == YNODE_MAP ? ynode_get(http, "url") : http;
	headers = http->kind == YNODE_MAP ? ynode_get(http, "headers") : NULL;
	if (url == NULL || (http->kind == YNODE_MAP &&
	    http->n != 1 + (size_t)(headers != NULL))) {
		bad(rd, http, "'notify.http' is a URL or {url: URL, headers: {NAME: VALUE}}");
		return;
	}
	if ((a->notify_url = text_of(rd, url, "notify.http.url")) != NULL &&
	    strncmp(a->notify_url, "http://", 7) != 0 && strncmp(a->notify_url, "https://", 8) != 0)
		bad(rd, url, "the notification's URL must start with http:// or https://");
	if (headers == NULL)
		return;
	if (headers->kind != YNODE_MAP) {
		bad(rd, headers, "'headers' is a mapping of NAME: VALUE");
		return;
	}
	for (size_t i = 0; i < headers->n; i++) {
		const struct ynode *v = headers->pairs[i].val;

		if (!ynode_is_str(v) || strpbrk(v->str, "\r\n") != NULL ||
		    strpbrk(headers->pairs[i].key->str, ":\r\n ") != NULL) {
			bad(rd, v, "header '%s' needs a one-line text value and a name without ':' "
			    "or spaces", headers->pairs[i].key->str);
			return;
		}
	}
	a->notify_headers = ynode_to_json(headers);
}

static void
rule_fini(struct alert_rule *a)
{
	free(a->name);
	free(a->workflow);
	free(a->step);
	free(a->notify_run);
	free(a->notify_url);
	cJSON_Delete(a->notify_headers);
}

/* One rule; false when it is broken (its problems are in d). */
static bool
rule_of(struct reading *rd, const struct ynode *n, struct alert_rule *a)
{
	static const char *const keys[] = { "name", "workflow", "metric", "step", "window",
	    "above", "below", "min_runs", "notify", NULL };
	const struct ynode *name = ynode_get(n, "name"), *m = ynode_get(n, "metric"), *v;
	const struct ynode *above = ynode_get(n, "above"), *below = ynode_get(n, "below");
	struct err e;
	size_t k;

	memset(a, 0, sizeof *a);
	rd->rule = name != NULL && ynode_is_str(name) ? name->str : "?";
	if (name == NULL || !ynode_is_str(name) || name->str[0] == '\0') {
		diags_add(rd->d, rd->path, n->line, n->col, "an alert needs a name");
		return false;
	}
	a->name = xstrdup(name->str);
	for (size_t i = 0; i < n->n; i++) {
		for (k = 0; keys[k] != NULL && strcmp(keys[k], n->pairs[i].key->str) != 0; k++)
			;
		if (keys[k] == NULL)
			bad(rd, n->pairs[i].key, "unknown field '%s' (name, workflow, metric, step, "
			    "window, above, below, min_runs, notify)", n->pairs[i].key->str);
	}
	for (k = 0; m != NULL && ynode_is_str(m) && k < N_METRICS; k++)
		if (strcmp(m->str, metric_names[k]) == 0)
			break;
	if (m == NULL || !ynode_is_str(m) || k == N_METRICS) {
		bad(rd, m != NULL ? m : n, "'metric' is error_rate, success_rate, cost_per_day or "
		    "step_p95");
		return false;
	}
	a->metric = (enum alert_metric)k;
	a->workflow = text_of(rd, ynode_get(n, "workflow"), "workflow");
	a->step = text_of(rd, ynode_get(n, "step"), "step");
	if ((a->metric == ALERT_STEP_P95) != (a->step != NULL))
		bad(rd, n, a->step != NULL ? "'step' is only for the metric step_p95" :
		    "step_p95 needs the 'step' it measures");
	a->window_ms = DEFAULT_WINDOW_MS;
	if ((v = ynode_get(n, "window")) != NULL &&
	    (!ynode_is_str(v) || dur_parse(v->str, &a->window_ms, &e) < 0 || a->window_ms <= 0))
		bad(rd, v, "'window' is a duration such as 1h or 7d");
	if ((above != NULL) == (below != NULL))
		bad(rd, n, "give one of 'above' and 'below': the threshold it fires beyond");
	else if (threshold_of(rd, above != NULL ? above : below, a->metric, &a->threshold))
		a->above = above != NULL;
	a->min_runs = 1;
	if ((v = ynode_get(n, "min_runs")) != NULL) {
		if (v->kind != YNODE_SCALAR || v->type != YS_INT || v->i < 1 || v->i > 1000000)
			bad(rd, v, "'min_runs' is a whole number of at least 1");
		else
			a->min_runs = (int)v->i;
	}
	if ((v = ynode_get(n, "notify")) != NULL)
		notify_of(rd, v, a);
	return rd->ok;
}

void
alerts_read(struct alert_rules *r, const struct ynode *list, const char *path,
    struct diags *d)
{
	size_t first = r->n;	/* the rules this file adds begin here */
	bool *mine;		/* rules before first that this file replaced */

	if (list->kind == YNODE_SCALAR && list->type == YS_NULL)
		return;		/* "alerts:" with nothing: no rules */
	if (list->kind != YNODE_SEQ) {
		diags_add(d, path, list->line, list->col, "'alerts' is a list of rules ({name, "
		    "metric, above or below, ...}), not %s", ynode_describe(list));
		return;
	}
	mine = xcalloc(first ? first : 1, sizeof *mine);
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *n = list->items[i];
		struct reading rd = { path, d, "?", true };
		struct alert_rule a;
		size_t j;

		if (n->kind != YNODE_MAP) {
			diags_add(d, path, n->line, n->col, "an alert is a mapping ({name, metric, "
			    "above or below, ...}), not %s", ynode_describe(n));
			continue;
		}
		if (!rule_of(&rd, n, &a)) {
			rule_fini(&a);
			continue;
		}
		/* The user's rule of a name replaces the host's; one file names
		 * each rule once. */
		for (j = 0; j < r->n && strcmp(r->v[j].name, a.name) != 0; j++)
			;
		if (j < r->n && (j >= first || mine[j])) {
			diags_add(d, path, n->line, n->col, "alert '%s' is defined twice", a.name);
			rule_fini(&a);
			continue;
		}
		if (j < first)
			mine[j] = true;
		if (j == r->n)
			r->v = xreallocarray(r->v, ++r->n, sizeof *r->v);
		else
			rule_fini(&r->v[j]);
		r->v[j] = a;
	}
	free(mine);
}

void
alerts_fini(struct alert_rules *r)
{
	for (size_t i = 0; i < r->n; i++)
		rule_fini(&r->v[i]);
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* ---- measuring ---- */

int
alert_value(struct store *s, const struct alert_rule *a, int64_t now_us, double *value,
    size_t *runs, struct err *e)
{
	int64_t since = now_us - a->window_ms * 1000;
	struct store_window w;
	struct stats_dist d;
	double *v;
	size_t n;

	if (a->metric == ALERT_STEP_P95) {
		if (store_window_durations(s, a->workflow, a->step, since, &v, &n, e) < 0)
			return -1;
		stats_dist_of(&d, v, n);
		free(v);
		*runs = n;
		*value = d.p95;
		return n >= (size_t)a->min_runs && n > 0;
	}
	if (store_window_runs(s, a->workflow, since, &w, e) < 0)
		return -1;
	*runs = a->metric == ALERT_COST_PER_DAY ? w.started : w.ended;
	if (*runs < (size_t)a->min_runs || *runs == 0)
		return 0;
	switch (a->metric) {
	case ALERT_ERROR_RATE:
		*value = (double)w.errors / (double)w.ended;
		break;
	case ALERT_SUCCESS_RATE:
		*value = (double)w.succeeded / (double)w.ended;
		break;
	default:
		*value = w.cost_usd / ((double)a->window_ms / DEFAULT_WINDOW_MS);
		break;
	}
	return 1;
}

/* ---- telling ---- */

/* The value as people read it: "40%", "$1.20", "3.5s". */
static void
value_text(const struct alert_rule *a, double v, char *buf, size_t size)
{
	if (a->metric <= ALERT_SUCCESS_RATE)
		snprintf(buf, size, "%.1f%%", 100 * v);
	else if (a->metric == ALERT_COST_PER_DAY)
		snprintf(buf, size, "$%.6f a day", v);
	else
		dur_format((int64_t)v, buf, size);
}

/* Whether SIGINT or SIGTERM waits: the run's process blocks them (the
 * executor took them through a signalfd), and one that comes while the
 * alerts are told stops the telling. */
static bool
stop_asked(void)
{
	sigset_t p;

	sigpending(&p);
	return sigismember(&p, SIGINT) || sigismember(&p, SIGTERM);
}

/* notify.run: the command under /bin/sh, in the background (a grandchild,
 * so nothing is left to reap), in a session of its own, told of the alert
 * in its environment, its output dropped, none of drover's descriptors
 * open.  Between fork and exec only async-signal-safe calls: the
 * environment is built before. */
static int
notify_command(const struct alert_rule *a, char *const *vars)
{
	char *argv[] = { "sh", "-c", a->notify_run, NULL };
	int maxfd = (int)sysconf(_SC_OPEN_MAX);
	size_t n = 0, k = 0;
	char **env;
	pid_t pid;
	int st;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 8, sizeof *env);
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "DROVER_ALERT", 12) != 0)
			env[k++] = environ[i];
	for (size_t i = 0; vars[i] != NULL; i++)
		env[k++] = vars[i];
	if ((pid = fork()) == 0) {
		sigset_t none;
		int fd;

		if (fork() != 0)
			_exit(0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		setsid();
		if ((fd = open("/dev/null", O_RDWR)) >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (close_range(3, ~0U, 0) < 0)
			for (fd = 3; fd < maxfd; fd++)
				close(fd);
		execve("/bin/sh", argv, env);
		_exit(127);
	}
	free(env);
	if (pid < 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static size_t
discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

static int
abort_if_stopped(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	(void)ud, (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return stop_asked();
}

/* notify.http: a POST of the alert as JSON, within what is left of the
 * notifications' time (until deadline, monotonic ms), stopped by SIGINT
 * or SIGTERM; a reply other than 2xx is a problem said, not a failure. */
static void
notify_http(const struct alert_rule *a, const cJSON *body, int64_t deadline,
    void (*say)(const char *))
{
	int64_t left = deadline - monotime_ms();
	CURL *c;
	struct curl_slist *h;
	char *text, line[1024], err[CURL_ERROR_SIZE] = "";
	const cJSON *v;
	long status = 0;
	CURLcode rc;

	if (left <= 0) {
		snprintf(line, sizeof line, "alert '%s': no time was left to notify %s", a->name,
		    a->notify_url);
		say(line);
		return;
	}
	if ((c = curl_easy_init()) == NULL) {
		struct err e;

		curlso_load(&e);
		snprintf(line, sizeof line, "alert '%s': cannot notify %.200s: %.400s", a->name,
		    a->notify_url, e.msg);
		say(line);
		return;
	}
	h = curl_slist_append(NULL, "Content-Type: application/json");
	text = json_text(body, false);
	cJSON_ArrayForEach(v, a->notify_headers) {
		char *hv = xasprintf("%s: %s", v->string, cJSON_IsString(v) ? v->valuestring : "");

		h = curl_slist_append(h, hv);
		free(hv);
	}
	curl_easy_setopt(c, CURLOPT_URL, a->notify_url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, abort_if_stopped);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || status < 200 || status > 299) {
		if (rc != CURLE_OK)
			snprintf(line, sizeof line, "alert '%s': its notification to %s failed: %s",
			    a->name, a->notify_url, rc == CURLE_ABORTED_BY_CALLBACK ? "stopped" :
			    err[0] ? err : curl_easy_strerror(rc));
		else
			snprintf(line, sizeof line, "alert '%s': its notification to %s got HTTP %ld",
			    a->name, a->notify_url, status);
		say(line);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(text);
}

static void
notify(const struct alert_rule *a, const char *workflow, int64_t run, double value,
    int64_t now_us, int64_t deadline, void (*say)(const char *))
{
	char *vars[7] = { 0 }, at[40], line[512];
	cJSON *body;

	vars[0] = xasprintf("DROVER_ALERT=%s", a->name);
	vars[1] = xasprintf("DROVER_ALERT_METRIC=%s", metric_names[a->metric]);
	vars[2] = xasprintf("DROVER_ALERT_VALUE=%.15g", value);
	vars[3] = xasprintf("DROVER_ALERT_THRESHOLD=%s%.15g", a->above ? ">" : "<", a->threshold);
	vars[4] = xasprintf("DROVER_ALERT_WORKFLOW=%s", workflow);
	vars[5] = xasprintf("DROVER_ALERT_RUN=%lld", (long long)run);
	if (a->notify_run != NULL && notify_command(a, vars) < 0) {
		snprintf(line, sizeof line, "alert '%s': its notify command did not start",
		    a->name);
		say(line);
	}
	for (size_t i = 0; i < 6; i++)
		free(vars[i]);
	if (a->notify_url == NULL)
		return;
	event_time_rfc3339(now_us, at, sizeof at);
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "alert", a->name);
	cJSON_AddStringToObject(body, "metric", metric_names[a->metric]);
	cJSON_AddNumberToObject(body, "value", value);
	cJSON_AddStringToObject(body, "condition", a->above ? "above" : "below");
	cJSON_AddNumberToObject(body, "threshold", a->threshold);
	if (a->step != NULL)
		cJSON_AddStringToObject(body, "step", a->step);
	else
		cJSON_AddNullToObject(body, "step");
	cJSON_AddStringToObject(body, "workflow", workflow);
	cJSON_AddNumberToObject(body, "run", (double)run);
	cJSON_AddStringToObject(body, "fired_at", at);
	notify_http(a, body, deadline, say);
	cJSON_Delete(body);
}

void
alerts_after_run(const struct alert_rules *r, struct store *s, const char *workflow,
    int64_t run, void (*say)(const char *line))
{
	int64_t now = event_now(), deadline = monotime_ms() + NOTIFY_TIME_MS;

	for (size_t i = 0; i < r->n; i++) {
		const struct alert_rule *a = &r->v[i];
		char line[1200], v[64], t[64], w[32];
		double value;
		size_t runs;
		struct err e;
		int rc;

		if (a->workflow != NULL && strcmp(a->workflow, workflow) != 0)
			continue;
		if (stop_asked()) {
			say("alerts: stopped before every rule was judged");
			return;
		}
		/* Measured and recorded under the history's write lock, so runs
		 * ending at once judge in turn, each on what the last left; no
		 * data (too few runs in the window) is not firing. */
		if ((rc = store_begin(s, &e)) == 0) {
			if ((rc = alert_value(s, a, now, &value, &runs, &e)) >= 0) {
				bool cond = rc > 0 &&
				    (a->above ? value > a->threshold : value < a->threshold);

				rc = store_alert_set(s, a->name, cond, rc > 0 ? value : NAN, now, run,
				    &e);
			}
			if (store_end(s, rc >= 0, &e) < 0)
				rc = -1;
		}
		if (rc < 0) {
			snprintf(line, sizeof line, "alert '%s' was not judged: %s", a->name, e.msg);
			say(line);
		}
		if (rc <= 0)
			continue;
		value_text(a, value, v, sizeof v);
		value_text(a, a->threshold, t, sizeof t);
		dur_format(a->window_ms, w, sizeof w);
		snprintf(line, sizeof line, "alert '%s' fired: %s%s%s is %s, %s %s (the last %s, "
		    "%zu %s)", a->name, metric_names[a->metric], a->step ? " of " : "",
		    a->step ? a->step : "", v, a->above ? "above" : "below", t, w, runs,
		    a->metric == ALERT_STEP_P95 ? "ends" : "runs");
		say(line);
		notify(a, workflow, run, value, now, deadline, say);
	}
}
