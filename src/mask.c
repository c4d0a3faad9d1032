/* mask.c - replacing secrets with "***".
 *
 * Secrets are few and short, texts many and long: memmem for each needle
 * is fast enough.  A secret brings several needles (its raw form and the
 * forms quoting and JSON give it); longer needles are replaced first, so a
 * secret containing another is hidden whole.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mask.h"
#include "shq.h"
#include "xmalloc.h"

struct mask {
	char **needles;		/* longest first */
	size_t *lens;
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
		free(m->needles[i]);
	free(m->needles);
	free(m->lens);
	free(m);
}

static void
mask_add_needle(struct mask *m, const char *s, size_t len)
{
	size_t i;

	if (len < MASK_MIN)
		return;
	for (i = 0; i < m->n; i++)
		if (m->lens[i] == len && memcmp(m->needles[i], s, len) == 0)
			return;
	m->needles = xreallocarray(m->needles, m->n + 1, sizeof *m->needles);
	m->lens = xreallocarray(m->lens, m->n + 1, sizeof *m->lens);
	for (i = m->n; i > 0 && m->lens[i - 1] < len; i--) {
		m->needles[i] = m->needles[i - 1];
		m->lens[i] = m->lens[i - 1];
	}
	m->needles[i] = xstrndup(s, len);
	m->lens[i] = len;
	m->n++;
}

int
mask_add(struct mask *m, const char *secret, struct err *e)
{
	static const enum shq_kind kinds[] = { SHQ_SINGLE, SHQ_DOUBLE, SHQ_HEREDOC };
	size_t len = strlen(secret);
	struct strbuf sb = STRBUF_INIT;
	cJSON *js;
	char *json;

	if (len == 0)
		return 0;
	if (len < MASK_MIN)
		return err_set(e, "its value has %zu character%s: drover cannot hide a "
		    "secret that short in logs and outputs without hiding ordinary text too; use "
		    "one of at least %d characters", len, len == 1 ? "" : "s", MASK_MIN);
	mask_add_needle(m, secret, len);
	/* As JSON writes it (in outputs, events)... */
	js = cJSON_CreateString(secret);
	if (js == NULL)
		fatal("out of memory");
	json = json_text(js, false);
	mask_add_needle(m, json + 1, strlen(json) - 2);
	free(json);
	cJSON_Delete(js);
	/* ... and as quoted into a shell command, also inside backquotes. */
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		for (int layers = 0; layers <= 1; layers++) {
			struct shq_ctx c = { .kind = kinds[k], .backticks = layers };

			sb_reset(&sb);
			shq_quote(&sb, &c, secret, len);
			mask_add_needle(m, sb_str(&sb), sb.len);
		}
	}
	sb_fini(&sb);
	return 0;
}

bool
mask_empty(const struct mask *m)
{
	return m == NULL || m->n == 0;
}

/* Replaces one needle; returns a new buffer, or NULL if it did not occur. */
static char *
mask_one(const char *s, size_t len, const char *needle, size_t nlen, size_t *out_len)
{
	const char *p = s, *hit;
	struct strbuf sb = STRBUF_INIT;

	hit = memmem(p, len, needle, nlen);
	if (hit == NULL)
		return NULL;
	while (hit != NULL) {
		sb_add(&sb, p, (size_t)(hit - p));
		sb_adds(&sb, "***");
		len -= (size_t)(hit - p) + nlen;
		p = hit + nlen;
		hit = memmem(p, len, needle, nlen);
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
		    m->needles[i], m->lens[i], &n);

		if (next != NULL) {
			free(cur);
			cur = next;
			*out_len = n;
		}
	}
	return cur;
}

/* A string cJSON owns (a value or a member name), masked in place. */
static void
mask_json_text(const struct mask *m, char **text)
{
	size_t n;
	char *masked = mask_apply(m, *text, strlen(*text), &n);

	if (masked == NULL)
		return;
	cJSON_free(*text);
	if ((*text = cJSON_malloc(n + 1)) == NULL)
		fatal("out of memory");
	memcpy(*text, masked, n + 1);
	free(masked);
}

void
mask_json(const struct mask *m, cJSON *v)
{
	cJSON *c;

	if (mask_empty(m) || v == NULL)
		return;
	if (cJSON_IsString(v) && v->valuestring != NULL)
		mask_json_text(m, &v->valuestring);
	cJSON_ArrayForEach(c, v) {
		if (c->string != NULL && !(c->type & cJSON_StringIsConst))
			mask_json_text(m, &c->string);
		mask_json(m, c);
	}
}

/* The length of the longest end of s[0..len) that is the start of a
 * needle (and not a whole one). */
static size_t
mask_tail(const struct mask *m, const char *s, size_t len)
{
	size_t best = 0;

	for (size_t i = 0; i < m->n; i++) {
		size_t k = m->lens[i] - 1 < len ? m->lens[i] - 1 : len;

		for (; k > best; k--)
			if (memcmp(s + len - k, m->needles[i], k) == 0) {
				best = k;
				break;
			}
	}
	return best;
}

void
mask_stream_feed(struct mask_stream *ms, const char *p, size_t n, struct strbuf *out)
{
	const char *s = p;
	size_t len = n, mlen, keep;
	char *masked;

	if (mask_empty(ms->m)) {
		sb_add(out, p, n);
		return;
	}
	if (ms->held.len > 0) {
		sb_add(&ms->held, p, n);
		s = ms->held.buf;
		len = ms->held.len;
	}
	masked = mask_apply(ms->m, s, len, &mlen);
	if (masked != NULL) {
		s = masked;
		len = mlen;
	}
	keep = mask_tail(ms->m, s, len);
	sb_add(out, s, len - keep);
	if (s == ms->held.buf) {
		memmove(ms->held.buf, s + len - keep, keep);
		ms->held.len = keep;
		ms->held.buf[keep] = '\0';
	} else {
		sb_reset(&ms->held);
		sb_add(&ms->held, s + len - keep, keep);
	}
	free(masked);
}

void
mask_stream_flush(struct mask_stream *ms, struct strbuf *out)
{
	sb_add(out, ms->held.buf != NULL ? ms->held.buf : "", ms->held.len);
	sb_reset(&ms->held);
}

void
mask_stream_fini(struct mask_stream *ms)
{
	sb_fini(&ms->held);
}
