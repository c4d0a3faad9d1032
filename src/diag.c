/* diag.c - collecting and printing positioned problems. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "xmalloc.h"

static const char *
diags_intern(struct diags *d, const char *file, size_t *rank)
{
	for (size_t i = 0; i < d->nfiles; i++) {
		if (strcmp(d->files[i], file) == 0) {
			*rank = i;
			return d->files[i];
		}
	}
	*rank = d->nfiles;
	xgrow(&d->files, &d->capfiles, d->nfiles + 1, sizeof *d->files);
	d->files[d->nfiles] = xstrdup(file);
	return d->files[d->nfiles++];
}

void
diags_add(struct diags *d, const char *file, int line, int col, const char *fmt, ...)
{
	struct diag *g;
	va_list ap;

	xgrow(&d->v, &d->cap, d->n + 1, sizeof *d->v);
	g = &d->v[d->n++];
	g->file = diags_intern(d, file, &g->file_rank);
	g->seq = d->n - 1;
	g->line = line;
	g->col = col;
	va_start(ap, fmt);
	g->msg = xvasprintf(fmt, ap);
	va_end(ap);
}

static int
diag_cmp(const void *pa, const void *pb)
{
	const struct diag *a = pa, *b = pb;

	if (a->file != b->file)
		return a->file_rank < b->file_rank ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void
diags_sort(struct diags *d)
{
	if (d->n > 1)
		qsort(d->v, d->n, sizeof *d->v, diag_cmp);
}

void
diags_print(const struct diags *d, FILE *fp)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];

		if (g->line > 0)
			fprintf(fp, "%s:%d:%d: error: %s\n", g->file, g->line, g->col, g->msg);
		else
			fprintf(fp, "%s: error: %s\n", g->file, g->msg);
	}
}

void
diags_fini(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].msg);
	for (size_t i = 0; i < d->nfiles; i++)
		free(d->files[i]);
	free(d->v);
	free(d->files);
	memset(d, 0, sizeof *d);
}

