/* cmd.h - the commands of the drover binary, and what they share.
 *
 * A command is a file of its own, cmd_NAME.c, that exports one entry,
 * `const struct command cmd_NAME_entry`, beside its option table; main.c
 * lists the entries (the console's live in ui/cmd_console.c) and runs the
 * one asked for.  A handler gets argv with argv[0] set to its own name and
 * returns the process exit status (SPEC section 2): 0 success, 1 the run
 * failed, 2 usage or validation error, 3 cancelled or rejected, 4 timed
 * out, 5 budget exceeded, 70 internal error.  The helpers below are in
 * cmd.c.
 */
#ifndef DROVER_CMD_H
#define DROVER_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

enum {
	EXIT_OK = 0, EXIT_RUN_FAILED = 1, EXIT_USAGE = 2, EXIT_CANCELLED = 3,
	EXIT_TIMED_OUT = 4, EXIT_BUDGET = 5, EXIT_INTERNAL = 70,
};

struct cmd_ctx;

struct command {
	const char *name;	/* NULL: drover without a command (the console) */
	const char *usage;	/* after "drover NAME " */
	const char *summary;
	const char *help;	/* the options, one per line */
	int (*handler)(const struct cmd_ctx *ctx, int argc, char **argv);
};

/* The console, as the commands of src/ reach it: through these pointers,
 * which ui/cmd_console.c fills and main.c hands over, never by name (src/
 * knows nothing of curses). */
struct cmd_console {
	/* Remembers a console option (CMD_CONSOLE_OPTIONS) for the console
	 * this command may open: 1 when opt was one, 0 when not, -1 after
	 * printing a usage error. */
	int (*option)(int opt, const char *arg);
	/* True when standard input and output are a terminal the console
	 * can use. */
	bool (*possible)(void);
	/* Why the terminal cannot hold the console although it is one (TERM
	 * names no terminfo entry, or one that cannot move the cursor), as a
	 * phrase for a message; NULL when it can, and when there is no
	 * terminal or TERM is unset or dumb (line mode is then the plain
	 * choice, not a problem). */
	const char *(*term_problem)(void);
	/* Opens the console on a run that goes on in its own process, until
	 * the user leaves: the run's exit status (SPEC section 2) when the
	 * console saw it end, else EXIT_OK once it said the run goes on. */
	int (*attach)(int64_t run);
};

/* What main.c gives a command besides its argv. */
struct cmd_ctx {
	const struct command *cmd;	/* its own entry */
	const struct cmd_console *console;
};

/* The options of every command that opens the console, for their option
 * tables, and their help text. */
enum {
	CMD_OPT_THEME = 0x1001, CMD_OPT_COLOR, CMD_OPT_ASCII, CMD_OPT_MOUSE, CMD_OPT_READONLY,
	CMD_OPT_DB,	/* --db PATH: every command, through cmd_getopt */
};
#define CMD_CONSOLE_OPTIONS \
	{ "theme", required_argument, NULL, CMD_OPT_THEME }, \
	{ "color", required_argument, NULL, CMD_OPT_COLOR }, \
	{ "ascii", no_argument, NULL, CMD_OPT_ASCII }, \
	{ "mouse", no_argument, NULL, CMD_OPT_MOUSE }, \
	{ "readonly", no_argument, NULL, CMD_OPT_READONLY }
#define CMD_CONSOLE_HELP \
	"      --theme NAME       colour theme (default, light, high-contrast, mono)\n" \
	"      --color WHICH      auto, none, 8, 256 or truecolor (SSH hides COLORTERM)\n" \
	"      --ascii            draw with ASCII only\n" \
	"      --mouse            select steps with the mouse (off: it takes copy/paste)\n" \
	"      --readonly         hide every key that changes anything\n"

/* Prints "drover: message" to stderr. */
void cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the error and a hint to run the --help of command cmd (NULL:
 * drover's own); returns EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* getopt_long for commands: reports unknown options and missing values as
 * usage errors of ctx's command, and takes --db PATH (the history to use,
 * as DROVER_DB) itself.  Returns the option, -1 at the end, or '?' after
 * an error was printed. */
int cmd_getopt(const struct cmd_ctx *ctx, int argc, char **argv, const char *shortopts,
    const struct option *longopts);

struct store;
/* Opens the history for reading and finds a run by number or UUID
 * prefix; prints why and returns NULL when that fails.  The caller closes
 * the store (store_close). */
struct store *cmd_open_run(const char *ref, int64_t *run);

#endif
