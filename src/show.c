/* show.c - runs as text: the ls table and the show page. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dur.h"
#include "json.h"
#include "show.h"
#include "strbuf.h"
#include "termtext.h"
#include "xmalloc.h"

bool
show_colour(FILE *fp)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	return isatty(fileno(fp)) && (nc == NULL || *nc == '\0') && term != NULL &&
	    strcmp(term, "dumb") != 0;
}

static const char *
status_sgr(const char *status)
{
	if (strcmp(status, "succeeded") == 0)
		return "\033[32m";
	if (strcmp(status, "running") == 0 || strcmp(status, "retrying") == 0)
		return "\033[33m";
	if (strcmp(status, "waiting") == 0)
		return "\033[35m";
	if (strcmp(status, "skipped") == 0 || strcmp(status, "pending") == 0 ||
	    strcmp(status, "cancelled") == 0)
		return "\033[2m";
	return "\033[31m";
}

static void
put_status(FILE *fp, bool colour, const char *status, int width)
{
	if (colour)
		fprintf(fp, "%s%-*s\033[0m", status_sgr(status), width, status);
	else
		fprintf(fp, "%-*s", width, status);
}

static void
show_json_at(FILE *fp, const cJSON *v, int depth)
{
	struct strbuf sb = STRBUF_INIT;

	json_print(&sb, v, JSON_SPACES, depth);
	fwrite(sb_str(&sb), 1, sb.len, fp);
	sb_fini(&sb);
}

void
show_json(FILE *fp, const cJSON *v)
{
	show_json_at(fp, v, 0);
	fputc('\n', fp);
}

/* "2026-11-23T14:02:03.120Z" in local time: "2026-11-23 15:02:03". */
static void
local_time(const char *rfc, char *buf, size_t size)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof tm);
	if (rfc == NULL || strptime(rfc, "%Y-%m-%dT%H:%M:%S", &tm) == NULL) {
		snprintf(buf, size, "-");
		return;
	}
	t = timegm(&tm);
	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

static void
duration_text(const cJSON *o, char *buf, size_t size)
{
	double ms = json_num(o, "duration_ms", -1);

	if (ms < 0)
		snprintf(buf, size, "-");
	else
		dur_format((int64_t)ms, buf, size);
}

/* What is printed for people on a terminal holds no control characters
 * from outside (args, errors, outputs, names): a copy with every string
 * escaped (termtext.h), or NULL when fp is no terminal.  Caller frees. */
static cJSON *
show_safe(FILE *fp, const cJSON *v)
{
	cJSON *copy;

	if (!isatty(fileno(fp)))
		return NULL;
	copy = cJSON_Duplicate(v, true);
	termtext_json(copy, termtext_utf8_locale());
	return copy;
}

void
show_list_begin(struct show_list *l, FILE *fp, bool json)
{
	l->fp = fp;
	l->json = json;
	l->colour = !json && show_colour(fp);
	l->escape = !json && isatty(fileno(fp));
	l->n = 0;
}

void
show_list_run(struct show_list *l, cJSON *run)
{
	FILE *fp = l->fp;
	cJSON *safe = l->escape ? show_safe(fp, run) : NULL;
	const cJSON *r = safe != NULL ? safe : run;
	char started[32], dur[32];

	if (l->json) {
		fputs(l->n++ == 0 ? "[" : ", ", fp);
		show_json_at(fp, run, 1);
		cJSON_Delete(run);
		return;
	}
	if (l->n++ == 0)
		fprintf(fp, "%6s  %-15s  %-24s  %-19s  %9s  %8s  %s\n", "RUN", "STATUS",
		    "WORKFLOW", "STARTED", "DURATION", "COST", "USER");
	local_time(json_str(r, "started_at"), started, sizeof started);
	duration_text(r, dur, sizeof dur);
	fprintf(fp, "%6lld  ", (long long)json_num(r, "id", 0));
	put_status(fp, l->colour, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r,
	    "waiting_for_you")) ? "waiting for you" : json_str(r, "status") ?
	    json_str(r, "status") : "?", 15);
	fprintf(fp, "  %-24.24s  %-19s  %9s  %8.4f  %s\n",
	    json_str(r, "workflow") ? json_str(r, "workflow") : "?", started, dur,
	    json_num(r, "cost_usd", 0), json_str(r, "user") ? json_str(r, "user") : "?");
	cJSON_Delete(safe);
	cJSON_Delete(run);
}

void
show_list_end(struct show_list *l)
{
	if (l->json)
		fputs(l->n == 0 ? "[]\n" : "]\n", l->fp);
	else if (l->n == 0)
		fputs("no runs\n", l->fp);
}

void
show_gates_table(FILE *fp, const cJSON *gates)
{
	cJSON *safe = show_safe(fp, gates);
	const cJSON *g;

	if (safe != NULL)
		gates = safe;
	if (cJSON_GetArraySize(gates) == 0) {
		fprintf(fp, "no gate waits for you\n");
		cJSON_Delete(safe);
		return;
	}
	fprintf(fp, "%6s  %-20s  %-24s  %-19s  %s\n", "RUN", "STEP", "WORKFLOW", "SINCE",
	    "MESSAGE");
	cJSON_ArrayForEach(g, gates) {
		const cJSON *gate = cJSON_GetObjectItemCaseSensitive(g, "gate");
		char since[32];

		local_time(json_str(g, "since"), since, sizeof since);
		fprintf(fp, "%6.0f  %-20.20s  %-24.24s  %-19s  %s\n", json_num(g, "run", 0),
		    json_str(g, "step") ? json_str(g, "step") : "?",
		    json_str(g, "workflow") ? json_str(g, "workflow") : "?", since,
		    json_str(gate, "message") ? json_str(gate, "message") : "");
	}
	cJSON_Delete(safe);
}

static void
show_args(FILE *fp, const cJSON *args)
{
	const cJSON *a;

	fprintf(fp, "args      ");
	if (cJSON_GetArraySize(args) == 0)
		fprintf(fp, "none");
	cJSON_ArrayForEach(a, args) {
		char *v = cJSON_IsString(a) ? xstrdup(a->valuestring) : json_text(a, false);

		fprintf(fp, "%s%s=%s", a == args->child ? "" : " ", a->string, v);
		free(v);
	}
	fputc('\n', fp);
}

/* Attempts whose drover died under them: the step's own status is that of
 * a later attempt, so they are said apart. */
static void
show_interrupted(FILE *fp, const cJSON *step, int w)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(step, "attempt_list")) {
		const char *status = json_str(a, "status"), *err = json_str(a, "error");

		if (status == NULL || strcmp(status, "interrupted") != 0)
			continue;
		fprintf(fp, "%-*s    attempt %.0f interrupted%s%s\n", w, "", json_num(a, "attempt", 0),
		    err != NULL ? ": " : "", err != NULL ? err : "");
	}
}

static void
show_steps(FILE *fp, const cJSON *steps, bool colour)
{
	const cJSON *s;
	int w = 4;

	cJSON_ArrayForEach(s, steps) {
		int l = json_str(s, "id") ? (int)strlen(json_str(s, "id")) : 1;

		if (l > w)
			w = l > 30 ? 30 : l;
	}
	fprintf(fp, "\n%-*s  %-15s  %8s  %4s  %9s\n", w, "STEP", "STATUS", "ATTEMPTS", "EXIT",
	    "DURATION");
	cJSON_ArrayForEach(s, steps) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(s, "exit_code");
		const char *err = json_str(s, "error");
		char dur[32], exit_text[16];

		duration_text(s, dur, sizeof dur);
		snprintf(exit_text, sizeof exit_text, "%s", "-");
		if (cJSON_IsNumber(code))
			snprintf(exit_text, sizeof exit_text, "%d", code->valueint);
		fprintf(fp, "%-*s  ", w, json_str(s, "id") ? json_str(s, "id") : "?");
		put_status(fp, colour, json_str(s, "status") ? json_str(s, "status") : "?", 15);
		fprintf(fp, "  %8.0f  %4s  %9s%s\n", json_num(s, "attempts", 0), exit_text,
		    cJSON_GetObjectItemCaseSensitive(s, "started_at") &&
		    !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(s, "started_at")) ? dur : "-",
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "cached")) ? "  (cached)" : "");
		if (err != NULL)
			fprintf(fp, "%-*s    %s\n", w, "", err);
		if (json_str(s, "notice") != NULL)
			fprintf(fp, "%-*s    ! %s\n", w, "", json_str(s, "notice"));
		show_interrupted(fp, s, w);
	}
}

static void
show_approvals(FILE *fp, const cJSON *approvals)
{
	const cJSON *a;

	if (cJSON_GetArraySize(approvals) == 0)
		return;
	fprintf(fp, "\napprovals\n");
	cJSON_ArrayForEach(a, approvals) {
		char at[32];

		local_time(json_str(a, "at"), at, sizeof at);
		fprintf(fp, "  %s  %s%s by %s at %s", json_str(a, "step") ? json_str(a, "step") : "?",
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "refused")) ? "refused: " : "",
		    json_str(a, "decision") ? json_str(a, "decision") : "?", json_str(a, "by") ? json_str(a, "by") : "?",
		    at);
		if (json_str(a, "comment") != NULL && *json_str(a, "comment") != '\0')
			fprintf(fp, ": %s", json_str(a, "comment"));
		if (json_str(a, "reason") != NULL)
			fprintf(fp, " (%s)", json_str(a, "reason"));
		fputc('\n', fp);
	}
}

void
show_run(FILE *fp, const cJSON *run)
{
	bool colour = show_colour(fp);
	cJSON *safe = show_safe(fp, run);
	const cJSON *code;
	char started[32], ended[32], dur[32];

	if (safe != NULL)
		run = safe;
	code = cJSON_GetObjectItemCaseSensitive(run, "exit_code");

	local_time(json_str(run, "started_at"), started, sizeof started);
	local_time(json_str(run, "ended_at"), ended, sizeof ended);
	duration_text(run, dur, sizeof dur);
	fprintf(fp, "run %.0f  %s  ", json_num(run, "id", 0), json_str(run, "workflow") ?
	    json_str(run, "workflow") : "?");
	put_status(fp, colour, json_str(run, "status") ? json_str(run, "status") : "?", 0);
	if (cJSON_IsNumber(code))
		fprintf(fp, " (exit %d)", code->valueint);
	fprintf(fp, "\nuuid      %s\n", json_str(run, "uuid") ? json_str(run, "uuid") : "?");
	fprintf(fp, "file      %s\n", json_str(run, "file") ? json_str(run, "file") : "?");
	fprintf(fp, "user      %s on %s\n", json_str(run, "user") ? json_str(run, "user") : "?",
	    json_str(run, "host") ? json_str(run, "host") : "?");
	fprintf(fp, "started   %s\nended     %s\nduration  %s\n", started, ended, dur);
	fprintf(fp, "cost      $%.4f (%.0f tokens in, %.0f out)\n", json_num(run, "cost_usd", 0),
	    json_num(run, "tokens_in", 0), json_num(run, "tokens_out", 0));
	show_args(fp, cJSON_GetObjectItemCaseSensitive(run, "args"));
	if (json_str(run, "error") != NULL)
		fprintf(fp, "error     %s\n", json_str(run, "error"));
	show_steps(fp, cJSON_GetObjectItemCaseSensitive(run, "steps"), colour);
	show_approvals(fp, cJSON_GetObjectItemCaseSensitive(run, "approvals"));
	cJSON_Delete(safe);
}
