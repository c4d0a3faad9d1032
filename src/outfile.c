/* outfile.c - parsing $DROVER_OUTPUT. */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "outfile.h"
#include "strbuf.h"
#include "xmalloc.h"

static bool
key_ok(const char *k, size_t n)
{
	if (n == 0 || (!isalpha((unsigned char)k[0]) && k[0] != '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '_' && k[i] != '-')
			return false;
	return true;
}

static int
put(cJSON *outputs, const char *k, size_t klen, const char *v, size_t vlen, int line,
    struct err *e)
{
	char *key = xstrndup(k, klen), *val = xstrndup(v, vlen);
	int rc = 0;

	if (strcmp(key, "exit_code") == 0 || strcmp(key, "stdout") == 0 ||
	    strcmp(key, "stderr") == 0)
		rc = err_set(e, "$DROVER_OUTPUT line %d: '%s' is set by drover and cannot be "
		    "published", line, key);
	else if (cJSON_GetObjectItemCaseSensitive(outputs, key) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(outputs, key, cJSON_CreateString(val));
	else
		cJSON_AddItemToObject(outputs, key, cJSON_CreateString(val));
	free(key);
	free(val);
	return rc;
}

int
outfile_parse(const char *text, size_t len, cJSON *outputs, struct err *e)
{
	const char *p = text, *end = text + len;
	int line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end, *eq, *heredoc;
		size_t n = (size_t)(eol - p);

		line++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		eq = memchr(p, '=', n);
		heredoc = memmem(p, n, "<<", 2);
		if (n == 0) {
			p = eol + 1;
			continue;
		}
		if (heredoc != NULL && (eq == NULL || heredoc < eq)) {
			const char *delim = heredoc + 2, *body = eol + 1, *q = body;
			size_t dlen = n - (size_t)(delim - p);
			int start = line;

			if (!key_ok(p, (size_t)(heredoc - p)) || dlen == 0)
				return err_set(e, "$DROVER_OUTPUT line %d: expected key<<DELIMITER", line);
			while (q < end) {
				const char *qnl = memchr(q, '\n', (size_t)(end - q));
				const char *qeol = qnl != NULL ? qnl : end;
				size_t qn = (size_t)(qeol - q);

				line++;
				if (qn > 0 && q[qn - 1] == '\r')
					qn--;
				if (qn == dlen && memcmp(q, delim, dlen) == 0) {
					size_t blen = q > body ? (size_t)(q - body) - 1 : 0;

					if (blen > 0 && body[blen - 1] == '\r')
						blen--;

					if (put(outputs, p, (size_t)(heredoc - p), body, blen, start, e) < 0)
						return -1;
					break;
				}
				q = qeol + 1;
			}
			if (q >= end)
				return err_set(e, "$DROVER_OUTPUT line %d: '%.*s' is never closed by a "
				    "line holding only %.*s", start, (int)(heredoc - p), p, (int)dlen, delim);
			p = q + dlen;
			p = p < end && *p == '\r' ? p + 1 : p;
			p = p < end ? p + 1 : p;
			continue;
		}
		if (eq == NULL || !key_ok(p, (size_t)(eq - p)))
			return err_set(e, "$DROVER_OUTPUT line %d: expected key=value or key<<DELIMITER, "
			    "found '%.*s'", line, (int)(n > 60 ? 60 : n), p);
		if (put(outputs, p, (size_t)(eq - p), eq + 1, n - (size_t)(eq - p) - 1, line, e) < 0)
			return -1;
		p = eol + 1;
	}
	return 0;
}

static double
number_of(const cJSON *outputs, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(outputs, key);
	char *end;
	double d;

	if (cJSON_IsNumber(v))
		return v->valuedouble;
	if (!cJSON_IsString(v))
		return 0;
	d = strtod(v->valuestring, &end);
	return end != v->valuestring && *end == '\0' && d >= 0 ? d : 0;
}

void
outfile_take_cost(const cJSON *outputs, double *cost, long long *tokens_in,
    long long *tokens_out)
{
	*cost = number_of(outputs, "cost_usd");
	*tokens_in = (long long)number_of(outputs, "tokens_in");
	*tokens_out = (long long)number_of(outputs, "tokens_out");
}
