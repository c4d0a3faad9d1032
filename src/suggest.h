/* suggest.h - "did you mean" hints: the closest candidate to a misspelling. */
#ifndef DROVER_SUGGEST_H
#define DROVER_SUGGEST_H

#include <stddef.h>

struct suggest {
	const char *word;
	const char *best;	/* borrowed from the candidates; NULL if none close */
	size_t dist;
};

void suggest_init(struct suggest *s, const char *word);
/* Considers one candidate. */
void suggest_offer(struct suggest *s, const char *candidate);
/* The closest candidate within a distance that still looks like a typo. */
const char *suggest_result(const struct suggest *s);
/* The same over a NULL-terminated list. */
const char *suggest_from(const char *word, const char *const *candidates);

#endif
