/* suggest.c - optimal string alignment distance for "did you mean" hints. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "suggest.h"
#include "xmalloc.h"

#define SUGGEST_MAXLEN 64

static size_t
min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* Edit distance counting insertions, deletions, substitutions and swaps of
 * neighbours; case differences cost nothing. */
static size_t
osa_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[SUGGEST_MAXLEN + 1][SUGGEST_MAXLEN + 1];

	if (la > SUGGEST_MAXLEN || lb > SUGGEST_MAXLEN)
		return (size_t)-1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]);
			int cb = tolower((unsigned char)b[j - 1]);
			size_t cost = ca == cb ? 0 : 1;

			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[la][lb];
}

void
suggest_init(struct suggest *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->dist = (size_t)-1;
}

void
suggest_offer(struct suggest *s, const char *candidate)
{
	size_t d = osa_distance(s->word, candidate);

	if (d < s->dist) {
		s->dist = d;
		s->best = candidate;
	}
}

const char *
suggest_result(const struct suggest *s)
{
	size_t len = strlen(s->word);
	/* One edit in three characters, at least one, at most three. */
	size_t limit = len < 3 ? 1 : len / 3 > 3 ? 3 : len / 3;

	if (s->best == NULL || s->dist > limit || s->dist >= strlen(s->best))
		return NULL;
	return s->best;
}

const char *
suggest_from(const char *word, const char *const *candidates)
{
	struct suggest s;

	suggest_init(&s, word);
	for (; *candidates != NULL; candidates++)
		suggest_offer(&s, *candidates);
	return suggest_result(&s);
}
