/* pricing.h - what models cost: USD per million input and output tokens,
 * from the shipped pricing.yaml ($DROVER_PRICING, else the data
 * directory's) with the configuration's `pricing:` on top.
 */
#ifndef DROVER_PRICING_H
#define DROVER_PRICING_H

#include <stddef.h>

#include "diag.h"

struct ynode;

struct price {
	char *model;
	double input, output;	/* USD per 1M tokens */
};

struct prices {
	struct price *v;
	size_t n;
	char *taken;		/* when the shipped prices were taken, or NULL */
};

/* Adds or replaces the prices of a mapping MODEL: {input: X, output: Y}
 * (the shape of pricing.yaml's `models:` and of the configuration's
 * `pricing:`); problems go to d, naming path. */
void prices_read(struct prices *p, const struct ynode *map, const char *path, struct diags *d);
/* Sets one model's price. */
void prices_set(struct prices *p, const char *model, double input, double output);
/* Reads the shipped file into p (nothing when it is missing): -1 with
 * its problems in d. */
int prices_load_shipped(struct prices *p, struct diags *d);
void prices_fini(struct prices *p);
/* The price of model: its own, else that of the longest listed name it
 * starts with followed by '-'; NULL when none. */
const struct price *prices_find(const struct prices *p, const char *model);
double price_cost(const struct price *pr, long long tokens_in, long long tokens_out);

#endif
