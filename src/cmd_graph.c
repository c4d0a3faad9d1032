/* cmd_graph.c - drover graph FILE [--format ascii|dot|json]. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "json.h"
#include "strbuf.h"
#include "wf.h"
#include "wf_print.h"
#include "xmalloc.h"

static int cmd_graph_exec(const struct cmd_ctx *, int, char **);

const struct command cmd_graph_entry = {
	.name = "graph",
	.usage = "FILE [--format ascii|dot|json]",
	.summary = "print a workflow's step graph",
	.help = "  -f, --format FORMAT  ascii (default): levels for reading; dot: for Graphviz;\n"
	    "                       json: {\"steps\": [...], \"levels\": [[...]]}\n",
	.handler = cmd_graph_exec,
};

static const struct option options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

static void
dot_quote(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static void
print_dot(const struct workflow *wf)
{
	printf("digraph ");
	dot_quote(wf->name);
	printf(" {\n\trankdir=TB;\n\tnode [shape=box, fontname=\"monospace\"];\n");
	for (int sec = SECTION_MAIN; sec <= SECTION_FINALLY; sec++) {
		size_t first, n = wf_section_steps(wf, (enum wf_section)sec, &first);
		const char *indent = sec == SECTION_MAIN ? "\t" : "\t\t";

		if (n == 0)
			continue;
		if (sec != SECTION_MAIN)
			printf("\tsubgraph cluster_%s {\n\t\tlabel=\"%s\";\n\t\tstyle=dashed;\n",
			    wf_section_name((enum wf_section)sec), wf_section_name((enum wf_section)sec));
		for (size_t i = first; i < first + n; i++) {
			const struct step *st = &wf->steps[i];
			char *what = wf_step_what(st);

			printf("%s", indent);
			dot_quote(st->id);
			printf(" [label=\"%s\\n%s\"];\n", st->id, what);
			free(what);
			for (size_t k = 0; k < st->n_deps; k++) {
				printf("%s", indent);
				dot_quote(wf->steps[st->deps[k]].id);
				printf(" -> ");
				dot_quote(st->id);
				printf(";\n");
			}
		}
		if (sec != SECTION_MAIN)
			printf("\t}\n");
	}
	printf("}\n");
}

/* {"steps": [...], "levels": [[...]]} for one section. */
static void
json_section(const struct workflow *wf, enum wf_section sec, cJSON *into)
{
	size_t first, n = wf_section_steps(wf, sec, &first);
	cJSON *steps = cJSON_AddArrayToObject(into, "steps");
	cJSON *levels = cJSON_AddArrayToObject(into, "levels");
	int maxlevel = -1;

	for (size_t i = first; i < first + n; i++) {
		const struct step *st = &wf->steps[i];
		cJSON *o = cJSON_CreateObject(), *deps = cJSON_CreateArray();

		cJSON_AddStringToObject(o, "id", st->id);
		cJSON_AddStringToObject(o, "kind", wf_kind_name(st->body.kind));
		for (size_t k = 0; k < st->n_deps; k++)
			cJSON_AddItemToArray(deps, cJSON_CreateString(wf->steps[st->deps[k]].id));
		cJSON_AddItemToObject(o, "depends_on", deps);
		cJSON_AddNumberToObject(o, "level", st->level);
		cJSON_AddItemToArray(steps, o);
		if (st->level > maxlevel)
			maxlevel = st->level;
	}
	for (int lv = 0; lv <= maxlevel; lv++) {
		cJSON *level = cJSON_CreateArray();

		for (size_t i = first; i < first + n; i++)
			if (wf->steps[i].level == lv)
				cJSON_AddItemToArray(level, cJSON_CreateString(wf->steps[i].id));
		cJSON_AddItemToArray(levels, level);
	}
}

static void
print_json(const struct workflow *wf)
{
	cJSON *root = cJSON_CreateObject();
	char *text;

	cJSON_AddStringToObject(root, "name", wf->name);
	json_section(wf, SECTION_MAIN, root);
	if (wf->n_on_failure > 0)
		json_section(wf, SECTION_ON_FAILURE, cJSON_AddObjectToObject(root, "on_failure"));
	if (wf->n_finally > 0)
		json_section(wf, SECTION_FINALLY, cJSON_AddObjectToObject(root, "finally"));
	text = json_text(root, true);
	printf("%s\n", text);
	free(text);
	cJSON_Delete(root);
}

static int
cmd_graph_exec(const struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *format = "ascii";
	struct diags d = DIAGS_INIT;
	struct workflow *wf;
	int c, status = EXIT_OK;

	while ((c = cmd_getopt(ctx, argc, argv, "f:", options)) != -1) {
		if (c == '?')
			return EXIT_USAGE;
		format = optarg;
	}
	if (strcmp(format, "ascii") != 0 && strcmp(format, "dot") != 0 &&
	    strcmp(format, "json") != 0)
		return cmd_usage_error("graph", "unknown format '%s' (use ascii, dot or json)",
		    format);
	if (optind != argc - 1)
		return cmd_usage_error("graph", optind >= argc ? "no workflow file given" :
		    "give one workflow file");
	wf = wf_load_file(argv[optind], &d);
	if (wf == NULL) {
		diags_sort(&d);
		diags_print(&d, stderr);
		diags_fini(&d);
		return EXIT_USAGE;
	}
	if (wf->n_steps == 0) {
		cmd_error("%s holds tools, not a workflow: there is no graph", argv[optind]);
		status = EXIT_USAGE;
	} else if (strcmp(format, "dot") == 0)
		print_dot(wf);
	else if (strcmp(format, "json") == 0)
		print_json(wf);
	else
		wf_print_levels(stdout, wf);
	wf_free(wf);
	diags_fini(&d);
	return status;
}
