/* cmd_console.c - the commands that open the console: `drover` alone,
 * `drover attach RUN`, `drover replay RUN`, and the hooks through which
 * the commands of src/ reach it (struct cmd_console: `drover run` shows
 * its run in it on a terminal).  They live in ui/ so that src/ never needs
 * curses; main.c lists the entries and hands the hooks over.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>
#include <term.h>

#include "cmd.h"
#include "console.h"
#include "store.h"

static int cmd_console_exec(const struct cmd_ctx *, int, char **);
static int cmd_attach_exec(const struct cmd_ctx *, int, char **);
static int cmd_replay_exec(const struct cmd_ctx *, int, char **);

/* drover without a command: its help is the program's (main.c). */
const struct command cmd_console_entry = {
	.handler = cmd_console_exec,
};

const struct command cmd_attach_entry = {
	.name = "attach",
	.usage = "RUN [OPTIONS]",
	.summary = "open the console on a run",
	.help = "A live run is followed as it goes on; a finished one opens as it ended.\n"
	    CMD_CONSOLE_HELP,
	.handler = cmd_attach_exec,
};

const struct command cmd_replay_entry = {
	.name = "replay",
	.usage = "RUN [--speed X] [OPTIONS]",
	.summary = "play a past run in the console as it happened",
	.help = "  --speed X              play X times as fast (default 1; 0.5 is half speed)\n"
	    CMD_CONSOLE_HELP,
	.handler = cmd_replay_exec,
};

/* All three take these; only replay takes --speed. */
static const struct option options[] = {
	{ "speed", required_argument, NULL, 's' },
	CMD_CONSOLE_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* What --theme, --color... said, for whichever console opens. */
static struct console_opts given;

static int
cmd_console_option(int opt, const char *arg)
{
	switch (opt) {
	case CMD_OPT_THEME:
		given.theme = arg;
		return 1;
	case CMD_OPT_COLOR:
		if (strcmp(arg, "auto") != 0 && strcmp(arg, "none") != 0 && strcmp(arg, "8") != 0 &&
		    strcmp(arg, "256") != 0 && strcmp(arg, "truecolor") != 0) {
			cmd_usage_error(NULL, "--color takes auto, none, 8, 256 or truecolor, not '%s'",
			    arg);
			return -1;
		}
		given.color = arg;
		return 1;
	case CMD_OPT_ASCII:
		given.ascii = true;
		return 1;
	case CMD_OPT_MOUSE:
		given.mouse = true;
		return 1;
	case CMD_OPT_READONLY:
		given.readonly = true;
		return 1;
	}
	return 0;
}

static const char *
cmd_console_term_problem(void)
{
	static char why[256];
	static int checked;
	const char *term = getenv("TERM");
	int err = 0;

	if (!isatty(0) || !isatty(1) || term == NULL || *term == '\0' ||
	    strcmp(term, "dumb") == 0)
		return NULL;
	if (checked++)
		return why[0] != '\0' ? why : NULL;
	/* What newterm would find, asked with an error return: initscr
	 * exits the process when the terminal is unknown. */
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK) {
		if (err == 1)
			snprintf(why, sizeof why, "TERM=%.64s is a hard-copy terminal", term);
		else
			snprintf(why, sizeof why, "TERM=%.64s is unknown here (no terminfo entry; "
			    "try TERM=xterm-256color)", term);
		return why;
	}
	if (tigetstr("cup") == NULL || tigetstr("cup") == (char *)-1)
		snprintf(why, sizeof why, "TERM=%.64s cannot move the cursor", term);
	del_curterm(cur_term);
	return why[0] != '\0' ? why : NULL;
}

static bool
cmd_console_possible(void)
{
	const char *term = getenv("TERM");

	return isatty(0) && isatty(1) && term != NULL && *term != '\0' &&
	    strcmp(term, "dumb") != 0 && cmd_console_term_problem() == NULL;
}

static int
cmd_console_attach(int64_t run)
{
	struct console_opts o = given;
	struct console_result res = { false, RUN_RUNNING };

	o.run = run;
	if (console_main(&o, &res) < 0) {
		fprintf(stderr, "drover: run %lld goes on without a console: 'drover attach %lld' "
		    "or 'drover logs %lld -f' follows it\n", (long long)run, (long long)run,
		    (long long)run);
		return EXIT_INTERNAL;
	}
	if (res.run_ended) {
		printf("run %lld %s\n", (long long)run, run_status_name(res.status));
		return run_status_exit_code(res.status);
	}
	fprintf(stderr, "drover: detached; run %lld goes on ('drover attach %lld' to watch it, "
	    "'drover cancel %lld' to stop it)\n", (long long)run, (long long)run, (long long)run);
	return EXIT_OK;
}

const struct cmd_console cmd_console_hooks = {
	.option = cmd_console_option,
	.possible = cmd_console_possible,
	.term_problem = cmd_console_term_problem,
	.attach = cmd_console_attach,
};

/* Parses the console options and, with want_run, one RUN argument. */
static int
console_args(const struct cmd_ctx *ctx, int argc, char **argv, bool want_run, double *speed)
{
	const char *cmd = ctx->cmd->name;
	int c;

	while ((c = cmd_getopt(ctx, argc, argv, "", options)) != -1) {
		if (c == 's' && speed != NULL) {
			char *end;

			*speed = strtod(optarg, &end);
			if (*end != '\0' || !(*speed > 0) || *speed > 1e6)
				return cmd_usage_error(cmd, "--speed takes a number above 0, "
				    "like 2 or 0.5, not '%s'", optarg);
			continue;
		}
		if (c == 's' || cmd_console_option(c, optarg) <= 0)
			return c == 's' ? cmd_usage_error(cmd, "unknown option '--speed'") :
			    EXIT_USAGE;
	}
	if (want_run && optind != argc - 1)
		return cmd_usage_error(cmd, optind >= argc ? "which run? give its number" :
		    "give one run");
	if (!want_run && optind != argc)
		return cmd_usage_error(NULL, "unknown command '%s'", argv[optind]);
	if (cmd_console_term_problem() != NULL) {
		cmd_error("no console: %s", cmd_console_term_problem());
		return EXIT_USAGE;
	}
	if (!cmd_console_possible()) {
		cmd_error("the console needs a terminal (TERM set, not dumb); "
		    "use 'drover ls', 'show' or 'logs' from scripts");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int
console_on_run(const struct cmd_ctx *ctx, int argc, char **argv, bool replay)
{
	struct console_opts o;
	struct store *s;
	double speed = 1;
	int64_t run;
	int rc = console_args(ctx, argc, argv, true, replay ? &speed : NULL);

	if (rc != EXIT_OK)
		return rc;
	if ((s = cmd_open_run(argv[argc - 1], &run)) == NULL)
		return EXIT_USAGE;
	store_close(s);
	o = given;
	o.run = run;
	o.replay = replay;
	o.speed = speed;
	return console_main(&o, NULL) < 0 ? EXIT_INTERNAL : EXIT_OK;
}

static int
cmd_console_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = console_args(ctx, argc, argv, false, NULL);

	if (rc != EXIT_OK)
		return rc;
	return console_main(&given, NULL) < 0 ? EXIT_INTERNAL : EXIT_OK;
}

static int
cmd_attach_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	return console_on_run(ctx, argc, argv, false);
}

static int
cmd_replay_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	return console_on_run(ctx, argc, argv, true);
}
