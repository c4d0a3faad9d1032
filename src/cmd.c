/* cmd.c - what every command shares: its errors, its option parsing and
 * the run it names. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "store.h"

/* "drover: message", after whatever stdout holds, without the newline. */
static void __attribute__((format(printf, 1, 0)))
cmd_verror(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("drover: ", stderr);
	vfprintf(stderr, fmt, ap);
}

void
cmd_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_verror(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_verror(fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'drover %s%s--help' for more information.\n", cmd ? cmd : "",
	    cmd ? " " : "");
	return EXIT_USAGE;
}

int
cmd_getopt(const struct cmd_ctx *ctx, int argc, char **argv, const char *shortopts,
    const struct option *longopts)
{
	/* Every command takes --db PATH (SPEC 3), handled here once. */
	static struct option all[64];
	const char *cmd = ctx->cmd->name;
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
			cmd_usage_error(cmd, "--db needs the path of a history database");
			return '?';
		}
		setenv("DROVER_DB", optarg, 1);
	}
	if (c == ':') {
		cmd_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		return '?';
	}
	if (c == '?') {
		if (optopt != 0)
			cmd_usage_error(cmd, "unknown option '-%c'", optopt);
		else
			cmd_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		return '?';
	}
	return c;
}

struct store *
cmd_open_run(const char *ref, int64_t *run)
{
	char *db = store_default_path();
	struct err e;
	struct store *s = store_open(db, true, &e);

	free(db);
	if (s == NULL) {
		cmd_error("%s", e.msg);
		return NULL;
	}
	if (store_find_run(s, ref, run, &e) < 0) {
		cmd_error("%s", e.msg);
		store_close(s);
		return NULL;
	}
	return s;
}
