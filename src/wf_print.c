/* wf_print.c - a workflow's steps by level, for reading (drover graph,
 * drover run --dry-run), and what each step does, as its kind says. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "step_kinds.h"
#include "strbuf.h"
#include "wf.h"
#include "wf_print.h"
#include "xmalloc.h"

#define ASCII_WIDTH 80

char *
wf_step_what(const struct step *st)
{
	const struct body *b = &st->body;

	return b->kind->what != NULL ? b->kind->what(b) : xstrdup(b->kind->key);
}

void
wf_step_detail(const struct step *st, char *buf, size_t size)
{
	const struct body *b = &st->body;

	buf[0] = '\0';
	if (b->kind->detail != NULL)
		b->kind->detail(b, buf, size);
}

static void
print_step_line(FILE *fp, const struct workflow *wf, const struct step *st, int idw)
{
	struct strbuf line = STRBUF_INIT;
	char *what = wf_step_what(st);

	sb_addf(&line, "  %-*s  %s", idw, st->id, what);
	if (st->gate != NULL)
		sb_addf(&line, " +%s", st->gate->kind->key);
	if (st->condition != NULL)
		sb_adds(&line, " (if)");
	if (st->for_each_node != NULL)
		sb_adds(&line, " (for_each)");
	if (st->n_deps > 0) {
		sb_adds(&line, "  <- ");
		for (size_t k = 0; k < st->n_deps; k++)
			sb_addf(&line, "%s%s", k ? ", " : "", wf->steps[st->deps[k]].id);
	}
	if (line.len > ASCII_WIDTH)
		fprintf(fp, "%.*s...\n", ASCII_WIDTH - 3, line.buf);
	else
		fprintf(fp, "%s\n", line.buf);
	free(what);
	sb_fini(&line);
}

static void
print_ascii_section(FILE *fp, const struct workflow *wf, enum wf_section sec)
{
	size_t first, n = wf_section_steps(wf, sec, &first);
	int maxlevel = -1, idw = 0;

	for (size_t i = first; i < first + n; i++) {
		int w = (int)strlen(wf->steps[i].id);

		if (wf->steps[i].level > maxlevel)
			maxlevel = wf->steps[i].level;
		if (w > idw)
			idw = w > 24 ? 24 : w;
	}
	if (sec != SECTION_MAIN && n > 0)
		fprintf(fp, "\n%s (%zu step%s)\n", sec == SECTION_ON_FAILURE ? "on failure" : "finally",
		    n, n == 1 ? "" : "s");
	for (int lv = 0; lv <= maxlevel; lv++) {
		fprintf(fp, "level %d\n", lv);
		for (size_t i = first; i < first + n; i++)
			if (wf->steps[i].level == lv)
				print_step_line(fp, wf, &wf->steps[i], idw);
	}
}

void
wf_print_levels(FILE *fp, const struct workflow *wf)
{
	fprintf(fp, "%s: %zu step%s in %d level%s\n\n", wf->name, wf->n_main,
	    wf->n_main == 1 ? "" : "s", wf->n_levels, wf->n_levels == 1 ? "" : "s");
	print_ascii_section(fp, wf, SECTION_MAIN);
	print_ascii_section(fp, wf, SECTION_ON_FAILURE);
	print_ascii_section(fp, wf, SECTION_FINALLY);
}

