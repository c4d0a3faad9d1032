/* main.c - the drover binary: finds the command and runs it. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "suggest.h"

static const struct command commands[] = {
	{ "validate", cmd_validate, "FILE...", "check workflow files and print every problem",
	    "Prints each problem as FILE:LINE:COL: error: message.\n"
	    "Exit status: 0 when every file is valid, 2 otherwise.\n" },
	{ "run", cmd_run, "FILE [-a NAME=VALUE]... [--args-file F] [OPTIONS]",
	    "run a workflow",
	    "  -a, --arg NAME=VALUE   give an arg (converted to its declared type)\n"
	    "      --args-file F      read args from a YAML or JSON mapping\n"
	    "      --dry-run          check, resolve args, print the plan; run nothing\n"
	    "      --auto-approve     approve every gate as the invoking user\n"
	    "      --json             one JSON object per event on standard output\n"
	    "      --no-tui           line output, not the console (the default off a terminal)\n"
	    "  -v, --verbose          print the steps' output lines too (line output)\n"
	    CMD_CONSOLE_HELP
	    "Exit status: 0 succeeded, 1 failed, 2 usage or validation error, 3 cancelled\n"
	    "or rejected, 4 timed out, 5 over budget, 70 internal error.\n" },
	{ "ls", cmd_ls, "[--status S] [--workflow W] [--since DUR] [--limit N] [--json]",
	    "list runs, newest first",
	    "  --status S       only runs with this status (running, succeeded, failed,\n"
	    "                   cancelled, rejected, timed_out, budget_exceeded, interrupted)\n"
	    "  --workflow W     only runs of this workflow\n"
	    "  --since DUR      only runs started within DUR (30m, 7d)\n"
	    "  -n, --limit N    at most N runs (default 50; 0: all)\n"
	    "  --json           a JSON array\n" },
	{ "show", cmd_show, "RUN [--json]", "show one run: args, steps, attempts, approvals",
	    "RUN is the run's number or a unique prefix of its UUID.\n"
	    "  --json           the run as a JSON object\n" },
	{ "logs", cmd_logs, "RUN [STEP] [-f] [--stream stdout|stderr] [--raw]",
	    "print the output of a run's steps",
	    "Without STEP every line is prefixed with its step (| stdout, ! stderr).\n"
	    "On a terminal, control characters from the steps are shown harmless\n"
	    "(^[ for ESC, <U+202E> for a bidi control, \\x9b for a stray byte).\n"
	    "  -f, --follow     keep printing while the run goes on\n"
	    "  --stream S       only stdout or only stderr\n"
	    "  --raw            the exact bytes even on a terminal (colours from tools)\n" },
	{ "resume", cmd_resume, "RUN [-a NAME=VALUE]... [--json] [-v]",
	    "continue an interrupted run from its history",
	    "Steps that succeeded keep their outputs and do not run again; the others run.\n"
	    "Secret args are not in the history: give them again with -a.\n"
	    "  -a, --arg NAME=VALUE   a secret arg's value\n"
	    "      --auto-approve     approve every gate as the invoking user\n"
	    "      --json             one JSON object per event\n"
	    "  -v, --verbose          print the steps' output lines too\n" },
	{ "retry", cmd_retry, "RUN [--from STEP] [-a NAME=VALUE]... [--json] [-v]",
	    "run a finished run again, reusing what succeeded",
	    "A new run with the same workflow text and args; steps that succeeded keep\n"
	    "their outputs (all of them, or with --from only those STEP does not lead to).\n"
	    "  --from STEP            run STEP and everything after it again\n"
	    "  -a, --arg NAME=VALUE   a secret arg's value\n"
	    "      --auto-approve     approve every gate as the invoking user\n"
	    "      --json             one JSON object per event\n"
	    "  -v, --verbose          print the steps' output lines too\n" },
	{ "attach", cmd_attach, "RUN [OPTIONS]", "open the console on a run",
	    "A live run is followed as it goes on; a finished one opens as it ended.\n"
	    CMD_CONSOLE_HELP },
	{ "replay", cmd_replay, "RUN [--speed X] [OPTIONS]",
	    "play a past run in the console as it happened",
	    "  --speed X              play X times as fast (default 1; 0.5 is half speed)\n"
	    CMD_CONSOLE_HELP },
	{ "graph", cmd_graph, "FILE [--format ascii|dot|json]", "print a workflow's step graph",
	    "  -f, --format FORMAT  ascii (default): levels for reading; dot: for Graphviz;\n"
	    "                       json: {\"steps\": [...], \"levels\": [[...]]}\n" },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

const struct command *
cmd_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

void
cmd_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("drover: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("drover: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd != NULL && cmd_find(cmd) == NULL)
		cmd = NULL;	/* the console: argv[0] is the program */
	fprintf(stderr, "\nTry 'drover %s%s--help' for more information.\n", cmd ? cmd : "",
	    cmd ? " " : "");
	return EXIT_USAGE;
}

int
cmd_help(const char *name)
{
	const struct command *c = cmd_find(name);

	printf("Usage: drover %s %s\n%s.\n\n%s", c->name, c->usage, c->summary, c->help);
	printf("      --db PATH        the history database (default: $DROVER_DB, else\n"
	    "                       $XDG_STATE_HOME/drover/history.db)\n");
	printf("  -h, --help           show this help\n");
	return EXIT_OK;
}

int
cmd_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	/* Every command takes --db PATH (SPEC 3), handled here once. */
	static struct option all[64];
	char spec[64];
	size_t n = 0;
	int c;

	while (longopts[n].name != NULL && n < sizeof all / sizeof all[0] - 2) {
		all[n] = longopts[n];
		n++;
	}
	all[n++] = (struct option){ "db", required_argument, NULL, CMD_OPT_DB };
	all[n] = (struct option){ NULL, 0, NULL, 0 };
	/* A leading ':' makes a missing value ':' rather than '?'. */
	snprintf(spec, sizeof spec, ":%s", shortopts);
	opterr = 0;
	while ((c = getopt_long(argc, argv, spec, all, NULL)) == CMD_OPT_DB) {
		if (*optarg == '\0') {
			cmd_usage_error(argv[0], "--db needs the path of a history database");
			return '?';
		}
		setenv("DROVER_DB", optarg, 1);
	}
	if (c == ':') {
		cmd_usage_error(argv[0], "option '%s' needs a value", argv[optind - 1]);
		return '?';
	}
	if (c == '?') {
		if (optopt != 0)
			cmd_usage_error(argv[0], "unknown option '-%c'", optopt);
		else
			cmd_usage_error(argv[0], "unknown option '%s'", argv[optind - 1]);
		return '?';
	}
	return c;
}

static void
usage(FILE *fp)
{
	fprintf(fp, "Usage: drover COMMAND [OPTIONS] [ARGS]\n"
	    "A terminal console for running and watching workflows.\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(fp, "\nRun 'drover COMMAND --help' for a command's options; "
	    "'man drover' for everything.\n");
}

int
main(int argc, char **argv)
{
	const struct command *c;
	const char *names[NCOMMANDS + 1];
	const char *hint;

	if (argc < 2) {
		if (cmd_console_possible() || cmd_console_term_problem() != NULL)
			return cmd_console(argc, argv);	/* which says what is wrong */
		usage(stderr);
		return EXIT_USAGE;
	}
	if (argv[1][0] == '-' && argv[1][1] == '-' && strcmp(argv[1], "--help") != 0 &&
	    strcmp(argv[1], "--version") != 0)
		return cmd_console(argc, argv);	/* drover --theme mono ... */
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("drover %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2 && cmd_find(argv[2]) != NULL)
			return cmd_help(argv[2]);
		usage(stdout);
		return EXIT_OK;
	}
	if ((c = cmd_find(argv[1])) != NULL) {
		for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
				return cmd_help(c->name);
		return c->fn(argc - 1, argv + 1);
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i].name;
	names[NCOMMANDS] = NULL;
	hint = suggest_from(argv[1], names);
	if (hint != NULL)
		return cmd_usage_error(NULL, "unknown command '%s'; did you mean '%s'?", argv[1], hint);
	return cmd_usage_error(NULL, "unknown command '%s'", argv[1]);
}
