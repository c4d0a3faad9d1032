/* cmd_validate.c - drover validate FILE...: check workflow files. */
#include "config.h"

#include <stdio.h>

#include "cmd.h"
#include "wf.h"

int
cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	int status = EXIT_OK, c;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1)
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
