/* mask.c - replacing secrets with "***".
 *
 * Secrets are few and short, texts many and long: memmem for each secret
 * is fast enough, and longer secrets are replaced first so that a secret
 * containing another is hidden whole.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mask.h"
#include "strbuf.h"
#include "xmalloc.h"

#define MASK_MIN 3

struct mask {
	char **secrets;		/* longest first */
	size_t n;
};

struct mask *
mask_new(void)
{
	return xcalloc(1, sizeof(struct mask));
}

void
mask_free(struct mask *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->secrets[i]);
	free(m->secrets);
	free(m);
}

void
mask_add(struct mask *m, const char *secret)
{
	size_t len = strlen(secret), i;

	if (len < MASK_MIN)
		return;
	for (i = 0; i < m->n; i++)
		if (strcmp(m->secrets[i], secret) == 0)
			return;
	m->secrets = xreallocarray(m->secrets, m->n + 1, sizeof *m->secrets);
	for (i = m->n; i > 0 && strlen(m->secrets[i - 1]) < len; i--)
		m->secrets[i] = m->secrets[i - 1];
	m->secrets[i] = xstrdup(secret);
	m->n++;
}

bool
mask_empty(const struct mask *m)
{
	return m == NULL || m->n == 0;
}

/* Replaces one secret; returns a new buffer, or NULL if it did not occur. */
static char *
mask_one(const char *s, size_t len, const char *secret, size_t *out_len)
{
	size_t slen = strlen(secret);
	const char *p = s, *hit;
	struct strbuf sb = STRBUF_INIT;

	hit = memmem(p, len, secret, slen);
	if (hit == NULL)
		return NULL;
	while (hit != NULL) {
		sb_add(&sb, p, (size_t)(hit - p));
		sb_adds(&sb, "***");
		len -= (size_t)(hit - p) + slen;
		p = hit + slen;
		hit = memmem(p, len, secret, slen);
	}
	sb_add(&sb, p, len);
	*out_len = sb.len;
	return sb_detach(&sb);
}

char *
mask_apply(const struct mask *m, const char *s, size_t len, size_t *out_len)
{
	char *cur = NULL;

	if (mask_empty(m))
		return NULL;
	for (size_t i = 0; i < m->n; i++) {
		size_t n;
		char *next = mask_one(cur != NULL ? cur : s, cur != NULL ? *out_len : len,
		    m->secrets[i], &n);

		if (next != NULL) {
			free(cur);
			cur = next;
			*out_len = n;
		}
	}
	return cur;
}

void
mask_json(const struct mask *m, cJSON *v)
{
	cJSON *c;

	if (mask_empty(m) || v == NULL)
		return;
	if (cJSON_IsString(v)) {
		size_t n;
		char *masked = mask_apply(m, v->valuestring, strlen(v->valuestring), &n);

		if (masked != NULL) {
			cJSON_SetValuestring(v, masked);
			free(masked);
		}
		return;
	}
	cJSON_ArrayForEach(c, v)
		mask_json(m, c);
}
