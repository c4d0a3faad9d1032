/* cmd.h - the commands of the drover binary, one file each (cmd_NAME.c).
 *
 * A command gets argv with argv[0] set to its own name and returns the
 * process exit status (SPEC section 2): 0 success, 1 the run failed, 2 usage
 * or validation error, 3 cancelled or rejected, 4 timed out, 5 budget
 * exceeded, 70 internal error.
 */
#ifndef DROVER_CMD_H
#define DROVER_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum {
	EXIT_OK = 0, EXIT_RUN_FAILED = 1, EXIT_USAGE = 2, EXIT_CANCELLED = 3,
	EXIT_TIMED_OUT = 4, EXIT_BUDGET = 5, EXIT_INTERNAL = 70,
};

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;	/* after "drover NAME " */
	const char *summary;
	const char *help;	/* the options, one per line */
};

int cmd_validate(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_retry(int argc, char **argv);

struct workflow;
/* Resolves a run's args from an args file and -a NAME=VALUE texts;
 * prints the problem and returns NULL when they do not fit.  Caller
 * frees. */
cJSON *cmd_resolve_args(const struct workflow *wf, const char *args_file, char **assign,
    size_t n);

struct store;
/* Opens the history for reading and finds a run by number or UUID prefix;
 * prints why and returns NULL when that fails. */
struct store *cmd_open_run(const char *ref, int64_t *run);

/* The console's commands live in ui/cmd_console.c. */
int cmd_console(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_replay(int argc, char **argv);

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
/* Remembers a console option for the console this command may open:
 * 1 when opt was one, 0 when not, -1 after printing a usage error. */
int cmd_console_option(int opt, const char *arg);

struct runner_view;
/* Shows a run of this process in the console (the runner's viewer). */
uint64_t cmd_console_view(const struct runner_view *v);
/* True when standard input and output are a terminal the console can use. */
bool cmd_console_possible(void);
/* Why the terminal cannot hold the console although it is one (TERM names
 * no terminfo entry, or one that cannot move the cursor), as a phrase for
 * a message; NULL when it can, and when there is no terminal or TERM is
 * unset or dumb (line mode is then the plain choice, not a problem). */
const char *cmd_console_term_problem(void);

/* The table, for help and dispatch. */
const struct command *cmd_find(const char *name);

/* Prints "drover: message" to stderr. */
void cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the error and a hint to run --help; returns EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the command's help to stdout; returns EXIT_OK. */
int cmd_help(const char *cmd);

/* getopt_long for commands: reports unknown options and missing values as
 * usage errors, and takes --db PATH (the history to use, as DROVER_DB)
 * itself.  Returns the option, -1 at the end, or '?' after an error was
 * printed. */
int cmd_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);

#endif
