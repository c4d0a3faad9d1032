/* cmd_graph.c - drover graph FILE [--format ascii|dot|json]. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Tabs, n of them. */
static void
json_tabs(struct strbuf *sb, int n)
{
	while (n-- > 0)
		sb_addc(sb, '\t');
}

/* "steps": [...], "levels": [[...]] of one section, its keys at depth
 * tabs, written as it goes (a tree of 10,000 steps would cost more than
 * the rest of the command), in the layout json_text gives. */
static void
json_section(struct strbuf *sb, const struct workflow *wf, enum wf_section sec, int depth)
{
	size_t first, n = wf_section_steps(wf, sec, &first), *order, *at;
	int maxlevel = -1;

	json_tabs(sb, depth);
	sb_adds(sb, "\"steps\":\t[");
	for (size_t i = first; i < first + n; i++) {
		const struct step *st = &wf->steps[i];

		sb_adds(sb, i == first ? "{\n" : ", {\n");
		json_tabs(sb, depth + 2);
		sb_adds(sb, "\"id\":\t");
		json_print_string(sb, st->id);
		sb_adds(sb, ",\n");
		json_tabs(sb, depth + 2);
		sb_adds(sb, "\"kind\":\t");
		json_print_string(sb, wf_kind_name(st->body.kind));
		sb_adds(sb, ",\n");
		json_tabs(sb, depth + 2);
		sb_adds(sb, "\"depends_on\":\t[");
		for (size_t k = 0; k < st->n_deps; k++) {
			if (k > 0)
				sb_adds(sb, ", ");
			json_print_string(sb, wf->steps[st->deps[k]].id);
		}
		sb_adds(sb, "],\n");
		json_tabs(sb, depth + 2);
		sb_addf(sb, "\"level\":\t%d\n", st->level);
		json_tabs(sb, depth + 1);
		sb_addc(sb, '}');
		if (st->level > maxlevel)
			maxlevel = st->level;
	}
	sb_adds(sb, "],\n");
	/* The steps of each level in file order: counted, then placed. */
	at = xcalloc((size_t)maxlevel + 2, sizeof *at);
	order = xcalloc(n + 1, sizeof *order);
	for (size_t i = first; i < first + n; i++)
		at[wf->steps[i].level + 1]++;
	for (int lv = 0; lv <= maxlevel; lv++)
		at[lv + 1] += at[lv];
	for (size_t i = first; i < first + n; i++)
		order[at[wf->steps[i].level]++] = i;
	json_tabs(sb, depth);
	sb_adds(sb, "\"levels\":\t[");
	for (size_t k = 0, lv = 0; k < n; lv++) {
		sb_adds(sb, lv == 0 ? "[" : ", [");
		for (size_t j = 0; k < n && wf->steps[order[k]].level == (int)lv; j++, k++) {
			if (j > 0)
				sb_adds(sb, ", ");
			json_print_string(sb, wf->steps[order[k]].id);
		}
		sb_addc(sb, ']');
	}
	sb_addc(sb, ']');
	free(order);
	free(at);
}

static void
print_json(const struct workflow *wf)
{
	struct strbuf sb = STRBUF_INIT;

	sb_adds(&sb, "{\n\t\"name\":\t");
	json_print_string(&sb, wf->name);
	sb_adds(&sb, ",\n");
	json_section(&sb, wf, SECTION_MAIN, 1);
	for (int sec = SECTION_ON_FAILURE; sec <= SECTION_FINALLY; sec++) {
		size_t first;

		if (wf_section_steps(wf, (enum wf_section)sec, &first) == 0)
			continue;
		sb_addf(&sb, ",\n\t\"%s\":\t{\n", wf_section_name((enum wf_section)sec));
		json_section(&sb, wf, (enum wf_section)sec, 2);
		sb_adds(&sb, "\n\t}");
	}
	sb_adds(&sb, "\n}\n");
	fwrite(sb.buf, 1, sb.len, stdout);
	sb_fini(&sb);
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
