/* commands.c - every ':' command of the console in one table.
 *
 * The table says each command's name, the words it takes, whether it
 * changes anything (those are refused with --readonly, here and nowhere
 * else), what runs it and what completes its words.  Dispatch, Tab, the
 * help overlay's list, the "unknown command" message and the form the
 * history keeps are all made from it, so they cannot disagree.  A new
 * command is a handler and an entry below.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "store.h"
#include "strbuf.h"
#include "ui.h"
#include "xmalloc.h"

#define WORDS_MAX 64

/* A command that changes something (refused with --readonly), and one
 * the help overlay does not offer (:help: it is what is showing). */
enum { C_CHANGES = 1, C_NOT_IN_HELP = 2 };

struct command {
	const char *name, *alias;	/* alias: NULL, or a longer name Tab never offers */
	const char *usage;		/* the words after the name, as "usage:" shows them */
	int min_args, max_args;		/* words after the name; max -1: any */
	unsigned flags;
	/* Why the command cannot run now (said before its usage), or NULL. */
	const char *(*unavailable)(const struct ui *ui);
	void (*run)(struct ui *ui, int argc, char **argv);	/* argv[0]: the name */
	void (*complete)(struct ui *ui, struct cands *c);	/* its words, or NULL */
	/* The form of its line the history keeps, malloc'd; NULL: as typed. */
	char *(*history)(const char *line, int argc, char **argv);
};

/* ---- handlers ---- */

static void
cmd_quit(struct ui *ui, int argc, char **argv)
{
	ui->quit = true;
}

static void
cmd_theme(struct ui *ui, int argc, char **argv)
{
	ui_set_theme(ui, argv[1]);
}

static void
cmd_help(struct ui *ui, int argc, char **argv)
{
	ui->help = true;
}

static void
cmd_run(struct ui *ui, int argc, char **argv)
{
	child_start(ui, argc, argv);
}

static void
cmd_cancel(struct ui *ui, int argc, char **argv)
{
	ui_cancel(ui);
}

/* :approve STEP [-i NAME=VALUE]... [COMMENT...] and :reject STEP
 * [COMMENT...]: bound to what the gate shows here (its hash). */
static void
cmd_decide(struct ui *ui, int argc, char **argv)
{
	bool approve = strcmp(argv[0], "approve") == 0;
	struct strbuf comment = STRBUF_INIT;
	cJSON *inputs = NULL;
	const cJSON *gate;

	for (int k = 1; k < argc; k++) {
		const char *eq;

		if (approve && strcmp(argv[k], "-i") == 0 && k + 1 < argc &&
		    (eq = strchr(argv[k + 1], '=')) != NULL && eq != argv[k + 1]) {
			char *name = xstrndup(argv[k + 1], (size_t)(eq - argv[k + 1]));

			if (inputs == NULL)
				inputs = cJSON_CreateObject();
			cJSON_DeleteItemFromObjectCaseSensitive(inputs, name);
			cJSON_AddStringToObject(inputs, name, eq + 1);
			free(name);
			k++;
		} else if (k > 1) {
			if (comment.len > 0)
				sb_addc(&comment, ' ');
			sb_adds(&comment, argv[k]);
		}
	}
	/* Bound to the gate as shown here. */
	gate = run_view_gate_named(ui, argv[1]);
	ui_decide(ui, argv[1], approve, sb_str(&comment), inputs,
	    gate != NULL ? json_str(gate, "hash") : NULL);
	cJSON_Delete(inputs);
	sb_fini(&comment);
}

static void
cmd_open(struct ui *ui, int argc, char **argv)
{
	int64_t run;
	struct err e;

	if (store_find_run(ui->st, argv[1], &run, &e) < 0)
		ui_message(ui, true, "%s", e.msg);
	else
		ui_open_run(ui, run);
}

static const char *
need_run(const struct ui *ui)
{
	return ui_view_find(ui, &view_run) == NULL ? "no run is open" : NULL;
}

static void
cmd_step(struct ui *ui, int argc, char **argv)
{
	if (!run_view_find(ui, argv[1]))
		ui_message(ui, true, "no step matches '%s'", argv[1]);
}

/* ---- the table: in the order Tab, help and "unknown command" list them ---- */

static const struct command commands[] = {
	{ "run", NULL, "FILE [NAME=VALUE]...", 1, -1, C_CHANGES, NULL, cmd_run,
	    complete_workflows, child_history },
	{ "cancel", NULL, NULL, 0, -1, C_CHANGES, NULL, cmd_cancel, NULL, NULL },
	{ "approve", NULL, "STEP [-i NAME=VALUE]... [COMMENT]", 1, -1, C_CHANGES, need_run,
	    cmd_decide, run_complete, NULL },
	{ "reject", NULL, "STEP [COMMENT]", 1, -1, C_CHANGES, need_run, cmd_decide,
	    run_complete, NULL },
	{ "open", NULL, "RUN", 1, 1, 0, NULL, cmd_open, runs_complete, NULL },
	{ "step", NULL, "ID", 1, 1, 0, need_run, cmd_step, run_complete, NULL },
	{ "theme", NULL, "NAME", 1, 1, 0, NULL, cmd_theme, complete_themes, NULL },
	{ "help", NULL, NULL, 0, -1, C_NOT_IN_HELP, NULL, cmd_help, NULL, NULL },
	{ "q", "quit", NULL, 0, -1, 0, NULL, cmd_quit, NULL, NULL },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* The command called name (len bytes of it), or NULL. */
static const struct command *
command_find(const char *name, size_t len)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct command *c = &commands[i];

		if ((strlen(c->name) == len && strncmp(c->name, name, len) == 0) ||
		    (c->alias != NULL && strlen(c->alias) == len && strncmp(c->alias, name, len) == 0))
			return c;
	}
	return NULL;
}

/* Splits line into words at spaces; modifies it. */
static size_t
command_split(char *line, char **words, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *w = strtok_r(line, " \t", &save); w != NULL && n < max;
	    w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	return n;
}

void
ui_command(struct ui *ui, const char *text)
{
	char *line = xstrdup(text), *words[WORDS_MAX];
	size_t n = command_split(line, words, WORDS_MAX);
	const struct command *c;
	const char *why;
	int args;

	if (n == 0)
		goto out;
	args = (int)n - 1;
	if ((c = command_find(words[0], strlen(words[0]))) == NULL) {
		struct strbuf sb = STRBUF_INIT;

		for (size_t i = 0; i < NCOMMANDS; i++)
			sb_addf(&sb, "%s%s", i > 0 ? ", " : "", commands[i].name);
		ui_message(ui, true, "unknown command ':%s' (commands: %s)", words[0], sb_str(&sb));
		sb_fini(&sb);
	} else if ((c->flags & C_CHANGES) && ui->o.readonly) {
		ui_message(ui, true, "read-only console: :%s is off", c->name);
	} else if (c->unavailable != NULL && (why = c->unavailable(ui)) != NULL) {
		ui_message(ui, true, "%s", why);
	} else if (args < c->min_args || (c->max_args >= 0 && args > c->max_args)) {
		ui_message(ui, true, "usage: :%s %s", c->name, c->usage);
	} else {
		c->run(ui, (int)n, words);
	}
out:
	free(line);
}

char *
commands_history_form(void *ud, const char *line)
{
	struct ui *ui = ud;
	char *copy, *words[WORDS_MAX], *form = NULL;
	const struct command *c;
	size_t n;

	copy = xstrdup(line);
	n = command_split(copy, words, WORDS_MAX);
	if (ui->prompt == PROMPT_COMMAND && n > 0 &&
	    (c = command_find(words[0], strlen(words[0]))) != NULL && c->history != NULL)
		form = c->history(line, (int)n, words);
	free(copy);
	return form != NULL ? form : xstrdup(line);
}

char **
complete_command(void *ud, const char *line, const char *word, int start)
{
	struct ui *ui = ud;
	struct cands c = { NULL, 0, 0, word };
	const struct command *cmd;

	while (*line == ' ')
		line++, start--;
	if (start <= 0 || ui->prompt != PROMPT_COMMAND) {
		for (size_t i = 0; ui->prompt == PROMPT_COMMAND && i < NCOMMANDS; i++)
			cands_add(&c, commands[i].name);
		return c.v;
	}
	if ((cmd = command_find(line, strcspn(line, " "))) != NULL && cmd->complete != NULL)
		cmd->complete(ui, &c);
	return c.v;
}

const char *
commands_summary(void)
{
	static char line[256];

	if (line[0] == '\0') {
		size_t len = (size_t)snprintf(line, sizeof line, "command line (");

		for (size_t i = 0; i < NCOMMANDS; i++) {
			if (commands[i].flags & C_NOT_IN_HELP)
				continue;
			len += (size_t)snprintf(line + len, sizeof line - len, "%s:%s",
			    line[len - 1] == '(' ? "" : ", ", commands[i].name);
		}
		snprintf(line + len, sizeof line - len, ")");
	}
	return line;
}
