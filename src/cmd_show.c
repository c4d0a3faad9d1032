/* cmd_show.c - drover show RUN [--json]: one run in full. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "show.h"
#include "store.h"

/* Opens the history for reading and finds RUN; NULL after printing why. */
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

int
cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	struct store *s;
	struct err e;
	int64_t run;
	cJSON *r;
	int c;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		if (c != 'j')
			return EXIT_USAGE;
		json = true;
	}
	if (optind != argc - 1)
		return cmd_usage_error("show", optind >= argc ? "which run? give its number or "
		    "UUID prefix" : "give one run");
	if ((s = cmd_open_run(argv[optind], &run)) == NULL)
		return EXIT_USAGE;
	r = store_get_run(s, run, &e);
	store_close(s);
	if (r == NULL) {
		cmd_error("%s", e.msg);
		return EXIT_INTERNAL;
	}
	if (json)
		show_json(stdout, r);
	else
		show_run(stdout, r);
	cJSON_Delete(r);
	return EXIT_OK;
}
