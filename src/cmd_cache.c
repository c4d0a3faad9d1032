/* cmd_cache.c - drover cache ls|clear [--workflow W]: the results steps
 * with `cache` keep for reuse (SPEC 4.1), what each has saved, and
 * dropping them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "event.h"
#include "json.h"
#include "store.h"

static int cmd_cache_exec(const struct cmd_ctx *, int, char **);

const struct command cmd_cache_entry = {
	.name = "cache",
	.usage = "ls|clear [--workflow W] [--json]",
	.summary = "inspect and drop cached step results",
	.help = "ls lists the results kept for steps with `cache`, newest last per step:\n"
	    "when each was made and expires, the run that made it, how often it was\n"
	    "reused and the money that saved; clear drops them.\n"
	    "  -w, --workflow W  only the entries of workflow W\n"
	    "      --json        ls: a JSON array of {\"workflow\", \"step\", \"key\",\n"
	    "                    \"created_at\", \"expires_at\", \"expired\", \"run\", \"hits\",\n"
	    "                    \"cost_usd\", \"saved_usd\"}\n",
	.handler = cmd_cache_exec,
};

static const struct option options[] = {
	{ "workflow", required_argument, NULL, 'w' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

struct listing {
	bool json, first;
	int64_t now;
	int n;
};

static int
list_one(void *ud, cJSON *entry)
{
	struct listing *l = ud;
	int64_t created = (int64_t)json_num(entry, "created_at_us", 0);
	int64_t expires = (int64_t)json_num(entry, "expires_at_us", 0);
	char c[40], x[40];

	event_time_rfc3339(created, c, sizeof c);
	event_time_rfc3339(expires, x, sizeof x);
	if (!l->json) {
		/* "2026-12-02 02:54:58", to the second, for the table. */
		x[10] = ' ';
		x[19] = '\0';
	}
	if (l->json) {
		cJSON *o = cJSON_CreateObject();
		char *text;

		cJSON_AddStringToObject(o, "workflow", json_str(entry, "workflow"));
		cJSON_AddStringToObject(o, "step", json_str(entry, "step"));
		cJSON_AddStringToObject(o, "key", json_str(entry, "key"));
		cJSON_AddStringToObject(o, "created_at", c);
		cJSON_AddStringToObject(o, "expires_at", x);
		cJSON_AddBoolToObject(o, "expired", expires <= l->now);
		cJSON_AddNumberToObject(o, "run", json_num(entry, "run", 0));
		cJSON_AddNumberToObject(o, "hits", json_num(entry, "hits", 0));
		cJSON_AddNumberToObject(o, "cost_usd", json_num(entry, "cost_usd", 0));
		cJSON_AddNumberToObject(o, "saved_usd", json_num(entry, "saved_usd", 0));
		text = json_text(o, false);
		printf("%s%s", l->first ? "" : ",\n", text);
		free(text);
		cJSON_Delete(o);
	} else {
		if (l->first)
			printf("%-20s %-20s %-12s %-20s %5s %10s  %s\n", "WORKFLOW", "STEP", "KEY",
			    "EXPIRES", "HITS", "SAVED", "RUN");
		printf("%-20s %-20s %-12.12s %-20.20s %5.0f %10.6f  %.0f%s\n",
		    json_str(entry, "workflow"), json_str(entry, "step"), json_str(entry, "key"), x,
		    json_num(entry, "hits", 0), json_num(entry, "saved_usd", 0),
		    json_num(entry, "run", 0), expires <= l->now ? "  (expired)" : "");
	}
	l->first = false;
	l->n++;
	cJSON_Delete(entry);
	return 0;
}

static int
cmd_cache_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *workflow = NULL, *what;
	struct listing l = { .first = true, .now = event_now() };
	struct store *s;
	struct err e;
	char *db;
	int c, rc;

	while ((c = cmd_getopt(ctx, argc, argv, "w:", options)) != -1) {
		if (c == 'w')
			workflow = optarg;
		else if (c == 'j')
			l.json = true;
		else
			return EXIT_USAGE;
	}
	if (optind != argc - 1)
		return cmd_usage_error("cache", optind >= argc ? "ls or clear?" :
		    "unexpected argument '%s'", argv[optind + 1 < argc ? optind + 1 : optind]);
	what = argv[optind];
	if (strcmp(what, "ls") != 0 && strcmp(what, "clear") != 0)
		return cmd_usage_error("cache", "'%s' is neither ls nor clear", what);
	db = store_default_path();
	s = store_open(db, strcmp(what, "ls") == 0, &e);
	free(db);
	if (s == NULL) {
		cmd_error("%s", e.msg);
		return EXIT_INTERNAL;
	}
	if (strcmp(what, "clear") == 0) {
		int64_t n;

		rc = store_cache_clear(s, workflow, &n, &e);
		if (rc == 0)
			printf("dropped %lld cached result%s\n", (long long)n, n == 1 ? "" : "s");
	} else {
		if (l.json)
			printf("[");
		rc = store_cache_each(s, workflow, list_one, &l, &e);
		if (l.json)
			printf("%s]\n", l.first ? "" : "\n");
		else if (rc == 0 && l.n == 0)
			printf("no cached results%s%s\n", workflow != NULL ? " of " : "",
			    workflow != NULL ? workflow : "");
	}
	store_close(s);
	if (rc < 0) {
		cmd_error("%s", e.msg);
		return EXIT_INTERNAL;
	}
	return EXIT_OK;
}
