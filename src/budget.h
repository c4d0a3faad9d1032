/* budget.h - limits.budget (SPEC 5.3): what a run may spend, in dollars
 * and tokens, checked before each attempt against its worst case and
 * after it against what it spent.
 */
#ifndef DROVER_BUDGET_H
#define DROVER_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

struct budget;

/* What an attempt may cost, before it starts (a step kind's estimate). */
struct cost_estimate {
	double low_usd, high_usd;	/* the prompt with the shortest reply; the worst case */
	long long tokens_low, tokens_high;
	bool priced;		/* the model has a price (else the dollars are 0) */
	bool bounded;		/* high is a bound (an llm step with max_tokens) */
};

/* A step's estimate for --dry-run: known false when its kind cannot say
 * beforehand (a command, which may publish a cost). */
struct step_cost {
	bool known;
	struct cost_estimate c;
};

struct budget_spend {
	double usd;
	long long tokens;
	bool warned;		/* the warn_at mark was passed and said */
};

/* May an attempt whose worst case is est (NULL: it costs nothing that can
 * be known beforehand) start, with sp spent?  true, or false with why. */
bool budget_admits(const struct budget *b, const struct budget_spend *sp,
    const struct cost_estimate *est, char *why, size_t size);
/* Adds what an attempt spent.  Returns 1 when the spend has just passed
 * warn_at (say so once), -1 when it is over the budget now, else 0; why
 * says how much of what. */
int budget_add(const struct budget *b, struct budget_spend *sp, double usd, long long tokens,
    char *why, size_t size);

#endif
