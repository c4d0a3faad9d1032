/* diag.h - a list of positioned problems found in files, printed as
 * "FILE:LINE:COL: error: message". */
#ifndef DROVER_DIAG_H
#define DROVER_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct diag {
	const char *file;	/* interned in the owning struct diags */
	int line, col;
	char *msg;
	size_t file_rank, seq;	/* for a stable sort */
};

struct diags {
	struct diag *v;
	size_t n, cap;
	char **files;		/* interned file names */
	size_t nfiles, capfiles;
};

#define DIAGS_INIT { NULL, 0, 0, NULL, 0, 0 }

void diags_add(struct diags *d, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Orders by file (in order of first appearance), then line and column. */
void diags_sort(struct diags *d);
void diags_print(const struct diags *d, FILE *fp);
void diags_fini(struct diags *d);

#endif
