/* cmd_alerts.c - drover alerts [--json]: the configuration's alert rules,
 * what each measures now, whether it is firing and when it last fired. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts.h"
#include "cmd.h"
#include "conf.h"
#include "dur.h"
#include "event.h"
#include "json.h"
#include "show.h"
#include "store.h"
#include "termtext.h"

static int cmd_alerts_exec(const struct cmd_ctx *, int, char **);

const struct command cmd_alerts_entry = {
	.name = "alerts",
	.usage = "[--json]",
	.summary = "alert rules, their current values, when each last fired",
	.help = "Rules come from the configuration's `alerts:`; each is judged when a run of\n"
	    "its workflow ends.  Shown: what it measures over its window now (or \"no data\"\n"
	    "while the window has fewer runs than min_runs), its threshold, whether it is\n"
	    "firing, when it last began to and how often it has.\n"
	    "      --json       a JSON array of {\"name\", \"workflow\", \"metric\", \"step\",\n"
	    "                   \"window_ms\", \"condition\", \"threshold\", \"value\", \"runs\",\n"
	    "                   \"firing\", \"fired_at\", \"fired\"}\n",
	.handler = cmd_alerts_exec,
};

static const struct option options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

/* The recorded state of the rule called name, or NULL. */
static const cJSON *
state_of(const cJSON *states, const char *name)
{
	const cJSON *st;

	cJSON_ArrayForEach(st, states)
		if (strcmp(json_str(st, "name"), name) == 0)
			return st;
	return NULL;
}

static int
keep_state(void *ud, cJSON *st)
{
	cJSON_AddItemToArray(ud, st);
	return 0;
}

/* A rule as the JSON output gives it. */
static cJSON *
rule_json(struct store *s, const struct alert_rule *a, const cJSON *state, int64_t now,
    struct err *e)
{
	cJSON *o = cJSON_CreateObject();
	const cJSON *fired = cJSON_GetObjectItemCaseSensitive(state, "fired_at_us");
	double value;
	size_t runs = 0;
	int rc = alert_value(s, a, now, &value, &runs, e);
	char at[40];

	if (rc < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddStringToObject(o, "name", a->name);
	if (a->workflow != NULL)
		cJSON_AddStringToObject(o, "workflow", a->workflow);
	else
		cJSON_AddNullToObject(o, "workflow");
	cJSON_AddStringToObject(o, "metric", alert_metric_name(a->metric));
	if (a->step != NULL)
		cJSON_AddStringToObject(o, "step", a->step);
	else
		cJSON_AddNullToObject(o, "step");
	cJSON_AddNumberToObject(o, "window_ms", (double)a->window_ms);
	cJSON_AddStringToObject(o, "condition", a->above ? "above" : "below");
	cJSON_AddNumberToObject(o, "threshold", a->threshold);
	if (rc > 0)
		cJSON_AddNumberToObject(o, "value", value);
	else
		cJSON_AddNullToObject(o, "value");
	cJSON_AddNumberToObject(o, "runs", (double)runs);
	cJSON_AddBoolToObject(o, "firing", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state,
	    "firing")));
	if (cJSON_IsNumber(fired)) {
		event_time_rfc3339((int64_t)fired->valuedouble, at, sizeof at);
		cJSON_AddStringToObject(o, "fired_at", at);
	} else {
		cJSON_AddNullToObject(o, "fired_at");
	}
	cJSON_AddNumberToObject(o, "fired", json_num(state, "fired", 0));
	return o;
}

/* A measure as people read it. */
static void
measure_text(const char *metric, double v, char *buf, size_t size)
{
	if (strcmp(metric, "cost_per_day") == 0)
		snprintf(buf, size, "$%.6f/day", v);
	else if (strcmp(metric, "step_p95") == 0)
		dur_format((int64_t)v, buf, size);
	else
		snprintf(buf, size, "%.1f%%", 100 * v);
}

static void
print_rules(const cJSON *rules)
{
	const cJSON *r;

	if (cJSON_GetArraySize(rules) == 0) {
		printf("no alert rules: add them to the configuration's 'alerts:' "
		    "(see drover(1), ALERTS)\n");
		return;
	}
	printf("%-24s %-8s %-22s %-24s %14s  %s\n", "ALERT", "STATE", "MEASURE", "FIRES",
	    "NOW", "LAST FIRED");
	cJSON_ArrayForEach(r, rules) {
		const char *metric = json_str(r, "metric"), *step = json_str(r, "step");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "value");
		char measure[160], fires[96], now[64], thr[48], win[32];

		dur_format((int64_t)json_num(r, "window_ms", 0), win, sizeof win);
		snprintf(measure, sizeof measure, "%s%s%s", metric, step ? " " : "", step ? step : "");
		measure_text(metric, json_num(r, "threshold", 0), thr, sizeof thr);
		snprintf(fires, sizeof fires, "%s %s over %s", json_str(r, "condition"), thr, win);
		if (cJSON_IsNumber(v))
			measure_text(metric, v->valuedouble, now, sizeof now);
		else
			snprintf(now, sizeof now, "no data");
		printf("%-24s %-8s %-22s %-24s %14s  %s%s\n", json_str(r, "name"),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "firing")) ? "FIRING" : "ok",
		    measure, fires, now, json_str(r, "fired_at") ? json_str(r, "fired_at") : "never",
		    json_num(r, "fired", 0) > 1 ? " (and before)" : "");
	}
}

static int
cmd_alerts_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct diags d = DIAGS_INIT;
	bool json = false;
	struct conf conf;
	cJSON *states = NULL, *rules = NULL;
	struct store *s = NULL;
	int64_t now = event_now();
	struct err e;
	int c, status = EXIT_INTERNAL;
	char *db;

	while ((c = cmd_getopt(ctx, argc, argv, "", options)) != -1) {
		if (c != 'j')
			return EXIT_USAGE;
		json = true;
	}
	if (optind != argc)
		return cmd_usage_error("alerts", "unexpected argument '%s'", argv[optind]);
	states = cJSON_CreateArray();
	rules = cJSON_CreateArray();
	if (conf_load(&conf, &d) < 0) {
		diags_print(&d, stderr);
		status = EXIT_USAGE;
		goto out;
	}
	db = store_default_path();
	s = store_open(db, true, &e);
	free(db);
	if (s == NULL || store_alert_each(s, keep_state, states, &e) < 0) {
		cmd_error("%s", e.msg);
		goto out;
	}
	for (size_t i = 0; i < conf.alerts.n; i++) {
		const struct alert_rule *a = &conf.alerts.v[i];
		cJSON *o = rule_json(s, a, state_of(states, a->name), now, &e);

		if (o == NULL) {
			cmd_error("%s", e.msg);
			goto out;
		}
		cJSON_AddItemToArray(rules, o);
	}
	if (json) {
		show_json(stdout, rules);
	} else {
		if (isatty(STDOUT_FILENO))
			termtext_json(rules, termtext_utf8_locale());
		print_rules(rules);
	}
	status = EXIT_OK;
out:
	store_close(s);
	cJSON_Delete(states);
	cJSON_Delete(rules);
	conf_fini(&conf);
	diags_fini(&d);
	return status;
}
