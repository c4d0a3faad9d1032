/* main.c - the drover binary: the list of its commands, and main(), which
 * finds the one asked for and runs it.
 *
 * Adding a command is one file, cmd_NAME.c, exporting cmd_NAME_entry (copy
 * cmd_show.c), and that entry's name in the declarations and the table
 * below; the table's order is the order of `drover --help`.  This list is
 * the one place of src/ that names anything of ui/: the console's entries
 * and the hooks through which the commands reach the console.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "suggest.h"

extern const struct command cmd_validate_entry, cmd_run_entry, cmd_ls_entry, cmd_show_entry,
    cmd_logs_entry, cmd_resume_entry, cmd_retry_entry, cmd_cancel_entry, cmd_graph_entry,
    cmd_approve_entry, cmd_reject_entry, cmd_cache_entry, cmd_report_entry, cmd_alerts_entry,
    cmd_doctor_entry;
/* In ui/cmd_console.c. */
extern const struct command cmd_console_entry, cmd_attach_entry, cmd_replay_entry;
extern const struct cmd_console cmd_console_hooks;

static const struct command *const commands[] = {
	&cmd_validate_entry,
	&cmd_run_entry,
	&cmd_ls_entry,
	&cmd_show_entry,
	&cmd_logs_entry,
	&cmd_resume_entry,
	&cmd_retry_entry,
	&cmd_cancel_entry,
	&cmd_approve_entry,
	&cmd_reject_entry,
	&cmd_attach_entry,
	&cmd_replay_entry,
	&cmd_graph_entry,
	&cmd_cache_entry,
	&cmd_report_entry,
	&cmd_alerts_entry,
	&cmd_doctor_entry,
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const struct command *
find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static int
run(const struct command *c, int argc, char **argv)
{
	struct cmd_ctx ctx = { c, &cmd_console_hooks };

	return c->handler(&ctx, argc, argv);
}

/* A command's --help: its own options, then those every command takes. */
static int
help(const struct command *c)
{
	printf("Usage: drover %s %s\n%s.\n\n%s", c->name, c->usage, c->summary, c->help);
	printf("      --db PATH        the history database (default: $DROVER_DB, else\n"
	    "                       $XDG_STATE_HOME/drover/history.db)\n");
	printf("  -h, --help           show this help\n");
	return EXIT_OK;
}

static void
usage(FILE *fp)
{
	fprintf(fp, "Usage: drover COMMAND [OPTIONS] [ARGS]\n"
	    "A terminal console for running and watching workflows.\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
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
		if (cmd_console_hooks.possible() || cmd_console_hooks.term_problem() != NULL)
			return run(&cmd_console_entry, argc, argv);	/* which says what is wrong */
		usage(stderr);
		return EXIT_USAGE;
	}
	if (argv[1][0] == '-' && argv[1][1] == '-' && strcmp(argv[1], "--help") != 0 &&
	    strcmp(argv[1], "--version") != 0)
		return run(&cmd_console_entry, argc, argv);	/* drover --theme mono ... */
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("drover %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2 && (c = find(argv[2])) != NULL)
			return help(c);
		usage(stdout);
		return EXIT_OK;
	}
	if ((c = find(argv[1])) != NULL) {
		for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
				return help(c);
		return run(c, argc - 1, argv + 1);
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i]->name;
	names[NCOMMANDS] = NULL;
	hint = suggest_from(argv[1], names);
	if (hint != NULL)
		return cmd_usage_error(NULL, "unknown command '%s'; did you mean '%s'?", argv[1], hint);
	return cmd_usage_error(NULL, "unknown command '%s'", argv[1]);
}
