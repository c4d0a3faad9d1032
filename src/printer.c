/* printer.c - events as lines (drover run without a console). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dur.h"
#include "json.h"
#include "printer.h"
#include "termtext.h"
#include "wf.h"
#include "xmalloc.h"

#define ID_WIDTH_MAX 24

enum colour { C_NONE, C_RED, C_GREEN, C_YELLOW, C_BLUE, C_MAGENTA, C_DIM };

static const char *const colour_codes[] = {
	"", "\033[31m", "\033[32m", "\033[33m", "\033[34m", "\033[35m", "\033[2m",
};

void
printer_init(struct printer *p, FILE *fp, const struct workflow *wf, int64_t run, bool json,
    bool verbose)
{
	const char *nc = getenv("NO_COLOR");

	memset(p, 0, sizeof *p);
	p->fp = fp;
	p->wf = wf;
	p->run = run;
	p->json = json;
	p->verbose = verbose;
	p->escape = !json && isatty(fileno(fp));
	p->color = !json && isatty(fileno(fp)) && (nc == NULL || *nc == '\0') &&
	    getenv("TERM") != NULL && strcmp(getenv("TERM"), "dumb") != 0;
	for (size_t i = 0; i < wf->n_steps; i++) {
		int w = (int)strlen(wf->steps[i].id);

		if (w > p->id_width)
			p->id_width = w > ID_WIDTH_MAX ? ID_WIDTH_MAX : w;
	}
}

static enum colour
status_colour(enum step_status s)
{
	switch (s) {
	case ST_SUCCEEDED:
		return C_GREEN;
	case ST_FAILED:
	case ST_TIMED_OUT:
	case ST_UPSTREAM_FAILED:
		return C_RED;
	case ST_RUNNING:
	case ST_RETRYING:
		return C_YELLOW;
	case ST_WAITING:
		return C_MAGENTA;
	default:
		return C_DIM;
	}
}

static void
put_colour(struct printer *p, enum colour c, const char *text, int width)
{
	if (p->color && c != C_NONE)
		fprintf(p->fp, "%s%-*s\033[0m", colour_codes[c], width, text);
	else
		fprintf(p->fp, "%-*s", width, text);
}

static void
put_time(struct printer *p, int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char buf[16];

	localtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%H:%M:%S", &tm);
	put_colour(p, C_DIM, buf, 0);
	fputs("  ", p->fp);
}

static const char *
step_id(const struct printer *p, int32_t i)
{
	return i >= 0 && (size_t)i < p->wf->n_steps ? p->wf->steps[i].id : "?";
}

/* A gate that waits for people: what it asks, who may answer, and how. */
static void
human_gate(struct printer *p, const struct event *ev, const cJSON *g)
{
	const cJSON *by = cJSON_GetObjectItemCaseSensitive(g, "approved_by");
	int need = (int)json_num(g, "min_approvals", 1) - cJSON_GetArraySize(by);
	const char *id = step_id(p, ev->step);

	fprintf(p->fp, "          %s\n", json_str(g, "message") ? json_str(g, "message") : "");
	if (json_str(g, "content") != NULL)
		fprintf(p->fp, "          will run: %s\n", json_str(g, "content"));
	fprintf(p->fp, "          %d approval%s needed from %s; decide with: drover approve %lld "
	    "%s  (or: drover reject %lld %s)\n", need, need == 1 ? "" : "s",
	    json_str(g, "who") ? json_str(g, "who") : "anyone", (long long)p->run, id,
	    (long long)p->run, id);
}

static void
human_step(struct printer *p, const struct event *ev, const cJSON *j)
{
	static const char *const phases[] = { "", "fallback ", "rollback " };
	enum step_status st = (enum step_status)ev->status;
	const char *err = json_str(j, "error");
	char status[32], dur[32];

	put_time(p, ev->ts);
	fprintf(p->fp, "%-*s  ", p->id_width, step_id(p, ev->step));
	snprintf(status, sizeof status, "%s%s", phases[ev->phase < 3 ? ev->phase : 0],
	    step_status_name(st));
	put_colour(p, status_colour(st), status, 16);
	if (ev->attempt > 0)
		fprintf(p->fp, "  #%d", ev->attempt);
	if (step_status_final(st) || st == ST_RETRYING) {
		dur_format((int64_t)json_num(j, "duration_ms", 0), dur, sizeof dur);
		if (step_status_final(st) && cJSON_GetObjectItemCaseSensitive(j, "duration_ms"))
			fprintf(p->fp, "  %s", dur);
	}
	if (err != NULL)
		fprintf(p->fp, "  %s", err);
	if (st == ST_RETRYING) {
		dur_format((int64_t)json_num(j, "delay_ms", 0), dur, sizeof dur);
		fprintf(p->fp, "; next attempt in %s", dur);
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "fallback")))
		fprintf(p->fp, "  (fallback)");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "cached")))
		fprintf(p->fp, "  (cached)");
	if (json_num(j, "cost_usd", 0) > 0)
		fprintf(p->fp, "  $%.6f", json_num(j, "cost_usd", 0));
	fputc('\n', p->fp);
	if (st == ST_WAITING && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "gate")))
		human_gate(p, ev, cJSON_GetObjectItemCaseSensitive(j, "gate"));
}

static void
human_run(struct printer *p, const struct event *ev, const cJSON *j)
{
	char dur[32];

	put_time(p, ev->ts);
	if (ev->type == EV_RUN_START) {
		fprintf(p->fp, "run %lld started: %s\n", (long long)p->run, p->wf->name);
		return;
	}
	dur_format((int64_t)json_num(j, "duration_ms", 0), dur, sizeof dur);
	fprintf(p->fp, "run %lld ", (long long)p->run);
	put_colour(p, ev->status == RUN_SUCCEEDED ? C_GREEN : C_RED,
	    run_status_name((enum run_status)ev->status), 0);
	fprintf(p->fp, " in %s", dur);
	if (json_str(j, "error") != NULL)
		fprintf(p->fp, ": %s", json_str(j, "error"));
	fputc('\n', p->fp);
}

static void
human_event(struct printer *p, const struct event *ev)
{
	cJSON *j = ev->type == EV_LOG ? NULL : event_json(ev);

	/* Errors and notes can quote what a step wrote. */
	if (p->escape)
		termtext_json(j, termtext_utf8_locale());
	switch (ev->type) {
	case EV_RUN_START:
	case EV_RUN_END:
		human_run(p, ev, j);
		break;
	case EV_STEP:
		human_step(p, ev, j);
		break;
	case EV_APPROVAL:
		put_time(p, ev->ts);
		fprintf(p->fp, "%-*s  %s by %s\n", p->id_width, step_id(p, ev->step),
		    json_str(j, "decision") ? json_str(j, "decision") : "decided",
		    json_str(j, "by") ? json_str(j, "by") : "?");
		break;
	case EV_NOTE:
		put_time(p, ev->ts);
		put_colour(p, C_YELLOW, json_str(j, "message") ? json_str(j, "message") : "", 0);
		fputc('\n', p->fp);
		break;
	case EV_LOG:
		if (p->verbose) {
			const char *s = ev->data, *end = ev->data + ev->len;

			while (s <= end) {
				const char *nl = memchr(s, '\n', (size_t)(end - s));
				const char *e = nl != NULL ? nl : end;

				put_colour(p, C_DIM, step_id(p, ev->step), p->id_width);
				fputs(ev->stream == STREAM_STDERR ? " ! " : " | ", p->fp);
				if (p->escape)
					termtext_write(p->fp, s, (size_t)(e - s),
					    termtext_utf8_locale());
				else
					fwrite(s, 1, (size_t)(e - s), p->fp);
				fputc('\n', p->fp);
				s = e + 1;
			}
		}
		break;
	default:
		break;
	}
	cJSON_Delete(j);
}

/* seq: the event's number; each line of a log chunk has its own. */
static cJSON *
json_base(const struct printer *p, const struct event *ev, uint64_t seq, const char *type)
{
	cJSON *o = cJSON_CreateObject();
	char ts[40];

	event_time_rfc3339(ev->ts, ts, sizeof ts);
	cJSON_AddNumberToObject(o, "seq", (double)seq);
	cJSON_AddNumberToObject(o, "run", (double)p->run);
	cJSON_AddStringToObject(o, "ts", ts);
	cJSON_AddStringToObject(o, "type", type);
	return o;
}

static void
json_emit(struct printer *p, cJSON *o)
{
	char *s = json_text(o, false);

	fprintf(p->fp, "%s\n", s);
	free(s);
	cJSON_Delete(o);
}

/* Moves every member of from into to (from is freed). */
static void
json_merge(cJSON *to, cJSON *from)
{
	while (from != NULL && from->child != NULL) {
		cJSON *c = cJSON_DetachItemViaPointer(from, from->child);

		cJSON_DeleteItemFromObjectCaseSensitive(to, c->string);
		cJSON_AddItemToObject(to, c->string, c);
	}
	cJSON_Delete(from);
}

static void
json_log(struct printer *p, const struct event *ev)
{
	const char *s = ev->data, *end = ev->data + ev->len;
	uint64_t n = ev->first_line, seq = ev->seq;

	while (s <= end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl != NULL ? nl : end;
		cJSON *o = json_base(p, ev, seq++, "log");
		char *line = xstrndup(s, (size_t)(e - s));

		cJSON_AddStringToObject(o, "step", step_id(p, ev->step));
		cJSON_AddNumberToObject(o, "attempt", ev->attempt);
		cJSON_AddStringToObject(o, "stream", ev->stream == STREAM_STDERR ? "stderr" : "stdout");
		cJSON_AddNumberToObject(o, "line_no", (double)n++);
		cJSON_AddStringToObject(o, "line", line);
		free(line);
		json_emit(p, o);
		s = e + 1;
	}
}

static void
json_event(struct printer *p, const struct event *ev)
{
	static const char *const types[] = {
		[EV_RUN_START] = "run", [EV_STEP] = "step", [EV_LOG] = "log",
		[EV_APPROVAL] = "approval", [EV_NOTE] = "note", [EV_RUN_END] = "run",
	};
	static const char *const phases[] = { "main", "fallback", "rollback" };
	cJSON *o;

	if (ev->type == EV_LOG) {
		json_log(p, ev);
		return;
	}
	if (ev->type < EV_RUN_START || ev->type > EV_RUN_END)
		return;
	o = json_base(p, ev, ev->seq, types[ev->type]);
	if (ev->step >= 0)
		cJSON_AddStringToObject(o, "step", step_id(p, ev->step));
	if (ev->type == EV_STEP) {
		cJSON_AddStringToObject(o, "status", step_status_name((enum step_status)ev->status));
		cJSON_AddNumberToObject(o, "attempt", ev->attempt);
		if (ev->phase != PHASE_MAIN)
			cJSON_AddStringToObject(o, "phase", phases[ev->phase < 3 ? ev->phase : 0]);
		if (ev->exit_code >= 0)
			cJSON_AddNumberToObject(o, "exit_code", ev->exit_code);
	} else if (ev->type == EV_RUN_START || ev->type == EV_RUN_END) {
		cJSON_AddStringToObject(o, "status", run_status_name((enum run_status)ev->status));
		if (ev->type == EV_RUN_END)
			cJSON_AddNumberToObject(o, "exit_code", ev->exit_code);
	}
	json_merge(o, event_json(ev));
	json_emit(p, o);
}

void
printer_event(struct printer *p, const struct event *ev)
{
	if (p->json)
		json_event(p, ev);
	else
		human_event(p, ev);
}

bool
printer_shows_logs(const struct printer *p)
{
	return p->json || p->verbose;
}
