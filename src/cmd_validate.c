/* cmd_validate.c - drover validate FILE...: check workflow files. */
#include "config.h"

#include <stdio.h>

#include "cmd.h"
#include "wf.h"

static int cmd_validate_exec(const struct cmd_ctx *, int, char **);

const struct command cmd_validate_entry = {
	.name = "validate",
	.usage = "FILE...",
	.summary = "check workflow files and print every problem",
	.help = "Prints each problem as FILE:LINE:COL: error: message.\n"
	    "Exit status: 0 when every file is valid, 2 otherwise.\n",
	.handler = cmd_validate_exec,
};

static const struct option options[] = { { NULL, 0, NULL, 0 } };

static int
cmd_validate_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	int status = EXIT_OK, c;

	while ((c = cmd_getopt(ctx, argc, argv, "", options)) != -1)
		if (c == '?')
			return EXIT_USAGE;
	if (optind >= argc)
		return cmd_usage_error("validate", "no workflow file given");
	for (int i = optind; i < argc; i++) {
		struct diags d = DIAGS_INIT;
		struct workflow *wf = wf_load_file(argv[i], &d);

		if (wf == NULL) {
			diags_sort(&d);
			diags_print(&d, stderr);
			status = EXIT_USAGE;
		} else if (wf->n_steps == 0) {
			printf("%s: valid (%zu tool%s, %zu MCP server%s)\n", argv[i], wf->n_tools,
			    wf->n_tools == 1 ? "" : "s", wf->n_servers, wf->n_servers == 1 ? "" : "s");
		} else {
			printf("%s: valid (%zu step%s, %d level%s)\n", argv[i], wf->n_main,
			    wf->n_main == 1 ? "" : "s", wf->n_levels, wf->n_levels == 1 ? "" : "s");
		}
		wf_free(wf);
		diags_fini(&d);
	}
	return status;
}
