/* view_gate.c - the approval dialog: what a gate that waits asks, who may
 * answer it, until when, and what will actually run once it opens.
 *
 * It opens on top of the run view (A there) for one step, and shows what
 * the run's process said of the gate (step_approval.c), as the run view's
 * model has it; it keeps the run view's source polled, so it closes by
 * itself when the gate closes, whoever decided it, or reopens with other
 * content.  Nothing is decided by a single key: a and r ask first, and the
 * question's default is no.  m types a comment, i one of the gate's
 * inputs (NAME=VALUE); the decision carries the hash of what the dialog
 * showed, so a gate whose content changed meanwhile refuses it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glyph.h"
#include "json.h"
#include "ui.h"
#include "xmalloc.h"

struct gate_view {
	size_t step;
	char id[128];
	char hash[65];		/* of the content shown */
	char comment[512];
	cJSON *inputs;		/* typed with i, or NULL */
	const void *run;	/* the run view under it, whose source wakes the console */
};

static void *
gate_view_open(struct ui *ui, const void *arg, struct err *e)
{
	size_t step = *(const size_t *)arg;
	const char *id, *hash;
	const cJSON *g = run_view_step_gate(ui, step, &id);
	struct gate_view *v;

	if (g == NULL || (hash = json_str(g, "hash")) == NULL) {
		err_set(e, "that step does not wait for a decision");
		return NULL;
	}
	v = xcalloc(1, sizeof *v);
	v->run = ui_view_find(ui, &view_run)->st;
	v->step = step;
	snprintf(v->id, sizeof v->id, "%s", id);
	snprintf(v->hash, sizeof v->hash, "%s", hash);
	return v;
}

static void
gate_view_close(void *st)
{
	struct gate_view *v = st;

	cJSON_Delete(v->inputs);
	free(v);
}

static void
gate_view_show(struct ui *ui, void *st)
{
	(void)st;
	ui->dirty = true;
}

static void
gate_view_header(struct ui *ui, void *st, char *buf, size_t size)
{
	const struct gate_view *v = st;
	int64_t run = 0;
	size_t step;

	run_view_gate(ui, &run, &step);
	snprintf(buf, size, " drover  run %lld  decide: %s", (long long)run, v->id);
}

/* Draws text from row *y, wrapped at width, at most rows rows. */
static void
put_wrapped(int *y, int x, int width, int last, const char *label, const char *text, attr_t a)
{
	size_t len = strlen(text), off = 0;

	if (*y > last)
		return;
	attrset(theme_attr(ROLE_DIM));
	mvaddstr(*y, x, label);
	attrset(a);
	do {
		size_t take = 0;
		int used = 0;

		/* As many bytes as fit, broken at a newline. */
		while (off + take < len && text[off + take] != '\n') {
			int w = glyph_width(text + off + take, 1);

			if (used + w > width - 14 && take > 0)
				break;
			used += w;
			take++;
		}
		move(*y, x + 14);
		glyph_text(stdscr, text + off, take, width - 14);
		off += take;
		if (off < len && text[off] == '\n')
			off++;
		(*y)++;
	} while (off < len && *y <= last);
	attrset(A_NORMAL);
}

static void
gate_view_draw(struct ui *ui, void *st, int y, int h)
{
	const struct gate_view *v = st;
	const char *id, *s;
	const cJSON *g = run_view_step_gate(ui, v->step, &id), *a, *in, *est;
	int last = y + h - 1, width = COLS - 4, row = y + 1;
	char buf[512], left[32];
	int need;

	for (int r = y; r <= last; r++)
		ui_fill(r, 0, COLS, A_NORMAL);
	if (g == NULL)
		return;
	need = (int)json_num(g, "min_approvals", 1) -
	    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(g, "approved_by"));
	put_wrapped(&row, 2, width, last, "gate", json_str(g, "message") ? json_str(g, "message") :
	    "", theme_attr(ROLE_WAITING));
	put_wrapped(&row, 2, width, last, "step", v->id, A_BOLD);
	snprintf(buf, sizeof buf, "%s; %d more approval%s needed", json_str(g, "who") ?
	    json_str(g, "who") : "anyone", need, need == 1 ? "" : "s");
	put_wrapped(&row, 2, width, last, "who", buf, A_NORMAL);
	a = cJSON_GetObjectItemCaseSensitive(g, "approved_by");
	if (cJSON_GetArraySize(a) > 0) {
		const cJSON *u;

		buf[0] = '\0';
		cJSON_ArrayForEach(u, a)
			if (cJSON_IsString(u))
				snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s",
				    buf[0] ? ", " : "", u->valuestring);
		put_wrapped(&row, 2, width, last, "approved by", buf, A_NORMAL);
	}
	if ((s = json_str(g, "starter")) != NULL) {
		snprintf(buf, sizeof buf, "separate duty: %s started the run and may not decide", s);
		put_wrapped(&row, 2, width, last, "rule", buf, A_NORMAL);
	}
	if (json_num(g, "deadline_us", 0) > 0) {
		int64_t rest = (int64_t)json_num(g, "deadline_us", 0) - event_now();

		ui_fmt_duration(rest > 0 ? rest : 0, left, sizeof left);
		snprintf(buf, sizeof buf, "%s left, then %s", left, json_str(g, "on_timeout") ?
		    json_str(g, "on_timeout") : "reject");
		put_wrapped(&row, 2, width, last, "time", buf, A_NORMAL);
	} else {
		put_wrapped(&row, 2, width, last, "time", "no time limit", A_NORMAL);
	}
	row++;
	put_wrapped(&row, 2, width, last, "will run", json_str(g, "content") ?
	    json_str(g, "content") : "(nothing to show yet: it depends on this decision)",
	    A_BOLD);
	/* An llm call is estimated; a command reports its own cost_usd once
	 * it has run. */
	if (cJSON_IsObject(est = cJSON_GetObjectItemCaseSensitive(g, "estimate"))) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(est, "bounded")))
			snprintf(buf, sizeof buf, "$%.6f - $%.6f (%.0f - %.0f tokens, estimated)%s",
			    json_num(est, "low_usd", 0), json_num(est, "high_usd", 0),
			    json_num(est, "tokens_low", 0), json_num(est, "tokens_high", 0),
			    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(est, "priced")) ? "" :
			    "; a model has no price");
		else
			snprintf(buf, sizeof buf, "$%.6f or more (no max_tokens: no upper bound)",
			    json_num(est, "low_usd", 0));
		put_wrapped(&row, 2, width, last, "cost", buf, A_BOLD);
	} else {
		put_wrapped(&row, 2, width, last, "cost", "not priced: commands report what they "
		    "cost (cost_usd) once they have run", A_NORMAL);
	}
	row++;
	cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(g, "inputs")) {
		const cJSON *val = cJSON_GetObjectItemCaseSensitive(v->inputs, json_str(in, "name"));
		char *given = val != NULL ? json_text(val, false) : NULL;

		snprintf(buf, sizeof buf, "%s (%s%s) = %s", json_str(in, "name") ?
		    json_str(in, "name") : "?", json_str(in, "type") ? json_str(in, "type") : "?",
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "required")) ? ", required" : "",
		    given != NULL ? given : "(not given)");
		free(given);
		put_wrapped(&row, 2, width, last, "input", buf, A_NORMAL);
	}
	put_wrapped(&row, 2, width, last, "comment", v->comment[0] ? v->comment : "(none: m types one)",
	    A_NORMAL);
}

static int
gate_view_timeout_ms(struct ui *ui, void *st, int64_t now)
{
	struct view *rv = ui_view_find(ui, &view_run);
	int t = rv != NULL ? rv->ops->timeout_ms(ui, rv->st, now) : -1;

	(void)st;
	return ui_earlier(t, 1000);	/* the time left counts down */
}

/* The run goes on under the dialog; the gate may close meanwhile. */
static void
gate_view_tick(struct ui *ui, void *st, int64_t now)
{
	struct gate_view *v = st;
	struct view *rv = ui_view_find(ui, &view_run);
	const char *id, *hash;
	const cJSON *g;

	if (rv != NULL)
		rv->ops->tick(ui, rv->st, now);
	ui->dirty = true;
	g = run_view_step_gate(ui, v->step, &id);
	hash = g != NULL ? json_str(g, "hash") : NULL;
	if (hash == NULL) {
		char id_was[sizeof v->id];

		snprintf(id_was, sizeof id_was, "%s", v->id);
		ui_view_pop(ui, true);	/* frees v */
		ui_message(ui, false, "the gate of step '%s' is decided", id_was);
	} else if (strcmp(hash, v->hash) != 0) {
		snprintf(v->hash, sizeof v->hash, "%s", hash);
		ui_message(ui, true, "what step '%s' will run changed: look again", v->id);
	}
}

/* The dialog is the gate's announcement: no band over it. */
static bool
gate_view_band(struct ui *ui, void *st, char *buf, size_t size)
{
	(void)ui;
	(void)st;
	(void)buf;
	(void)size;
	return false;
}

static int
gate_view_fd(const void *st)
{
	const struct gate_view *v = st;

	return view_run.fd(v->run);
}

static struct gate_view *
gate_view_top(struct ui *ui)
{
	struct view *v = ui_view_find(ui, &view_gate);

	return v != NULL ? v->st : NULL;
}

static void
decide(struct ui *ui, bool approve)
{
	struct gate_view *v = gate_view_top(ui);

	if (v != NULL)
		ui_decide(ui, v->id, approve, v->comment, v->inputs, v->hash);
}

static void
approve_yes(struct ui *ui)
{
	decide(ui, true);
}

static void
reject_yes(struct ui *ui)
{
	decide(ui, false);
}

static void
act_approve(struct ui *ui, void *st, int key)
{
	struct gate_view *v = st;
	char q[160];

	snprintf(q, sizeof q, "Approve step '%.60s'? It then runs as shown. (y/N)", v->id);
	ui_ask(ui, q, approve_yes);
}

static void
act_reject(struct ui *ui, void *st, int key)
{
	struct gate_view *v = st;
	char q[160];

	snprintf(q, sizeof q, "Reject step '%.60s'? The step fails and the run is rejected. (y/N)",
	    v->id);
	ui_ask(ui, q, reject_yes);
}

static void
comment_done(struct ui *ui, void *st, const char *line)
{
	struct gate_view *v = st;

	snprintf(v->comment, sizeof v->comment, "%s", line);
}

static void
act_comment(struct ui *ui, void *st, int key)
{
	ui_prompt_text(ui, "comment: ", comment_done, &view_gate);
}

static void
input_done(struct ui *ui, void *st, const char *line)
{
	struct gate_view *v = st;
	const char *eq = strchr(line, '=');
	char *name;

	if (eq == NULL || eq == line) {
		ui_message(ui, true, "an input is NAME=VALUE");
		return;
	}
	if (v->inputs == NULL)
		v->inputs = cJSON_CreateObject();
	name = xstrndup(line, (size_t)(eq - line));
	cJSON_DeleteItemFromObjectCaseSensitive(v->inputs, name);
	cJSON_AddStringToObject(v->inputs, name, eq + 1);
	free(name);
}

static void
act_input(struct ui *ui, void *st, int key)
{
	ui_prompt_text(ui, "input NAME=VALUE: ", input_done, &view_gate);
}

static const struct binding gate_bindings[] = {
	{ 0, { 'a' }, "a", "approve (asks first)", "approve", K_CHANGES, act_approve },
	{ 0, { 'r' }, "r", "reject (asks first)", "reject", K_CHANGES, act_reject },
	{ 0, { 'm' }, "m", "type a comment for the decision", "comment", 0, act_comment },
	{ 0, { 'i' }, "i", "give one of the gate's inputs, NAME=VALUE", "input", 0, act_input },
};

static const char *const gate_titles[] = { "Keys: approval" };

const struct view_ops view_gate = {
	.open = gate_view_open,
	.close = gate_view_close,
	.show = gate_view_show,
	.header = gate_view_header,
	.draw = gate_view_draw,
	.timeout_ms = gate_view_timeout_ms,
	.tick = gate_view_tick,
	.fd = gate_view_fd,
	.band = gate_view_band,
	.titles = gate_titles,
	.bindings = gate_bindings,
	.n_bindings = sizeof gate_bindings / sizeof gate_bindings[0],
};
