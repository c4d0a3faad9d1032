/* budget.c - limits.budget. */
#include "config.h"

#include <stdio.h>

#include "budget.h"
#include "wf.h"

bool
budget_admits(const struct budget *b, const struct budget_spend *sp,
    const struct cost_estimate *est, char *why, size_t size)
{
	if (!b->given || est == NULL)
		return true;
	if (b->has_cost && sp->usd + est->high_usd > b->max_cost) {
		snprintf(why, size, "over budget: its worst case, $%.6f, with $%.6f spent would pass "
		    "max_cost $%.6f; nothing was sent", est->high_usd, sp->usd, b->max_cost);
		return false;
	}
	if (b->max_tokens > 0 && sp->tokens + est->tokens_high > b->max_tokens) {
		snprintf(why, size, "over budget: its worst case, %lld tokens, with %lld spent would "
		    "pass max_tokens %lld; nothing was sent", est->tokens_high, sp->tokens,
		    b->max_tokens);
		return false;
	}
	return true;
}

int
budget_add(const struct budget *b, struct budget_spend *sp, double usd, long long tokens,
    char *why, size_t size)
{
	sp->usd += usd;
	sp->tokens += tokens;
	if (!b->given)
		return 0;
	if (b->has_cost && sp->usd > b->max_cost) {
		snprintf(why, size, "the run has spent $%.6f, over its max_cost $%.6f", sp->usd,
		    b->max_cost);
		return -1;
	}
	if (b->max_tokens > 0 && sp->tokens > b->max_tokens) {
		snprintf(why, size, "the run has spent %lld tokens, over its max_tokens %lld",
		    sp->tokens, b->max_tokens);
		return -1;
	}
	if (sp->warned || b->warn_at <= 0)
		return 0;
	if (b->has_cost && sp->usd >= b->warn_at * b->max_cost) {
		snprintf(why, size, "budget: $%.6f spent, %.0f%% of max_cost $%.6f", sp->usd,
		    100 * sp->usd / b->max_cost, b->max_cost);
		sp->warned = true;
		return 1;
	}
	if (b->max_tokens > 0 && (double)sp->tokens >= b->warn_at * (double)b->max_tokens) {
		snprintf(why, size, "budget: %lld tokens spent, %.0f%% of max_tokens %lld",
		    sp->tokens, 100.0 * (double)sp->tokens / (double)b->max_tokens, b->max_tokens);
		sp->warned = true;
		return 1;
	}
	return 0;
}
