/* termtext.c - classifying text for a terminal, and writing it harmless. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "termtext.h"
#include "xmalloc.h"

/* The bidi controls: marks, embeddings, overrides and isolates. */
static bool
termtext_bidi(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

/* The bytes of a UTF-8 character that starts with b, 0 when b cannot start
 * one, and the range its second byte must be in (which rules out overlong
 * forms, surrogates and values above U+10FFFF). */
static size_t
termtext_utf8_len(unsigned char b, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (b >= 0xc2 && b <= 0xdf)
		return 2;
	if (b >= 0xe0 && b <= 0xef) {
		if (b == 0xe0)
			*lo = 0xa0;
		else if (b == 0xed)
			*hi = 0x9f;
		return 3;
	}
	if (b >= 0xf0 && b <= 0xf4) {
		if (b == 0xf0)
			*lo = 0x90;
		else if (b == 0xf4)
			*hi = 0x8f;
		return 4;
	}
	return 0;
}

void
termtext_next(const char *s, size_t len, struct termtext_char *c)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo, hi;
	size_t n;
	uint32_t cp;

	c->len = 1;
	c->cp = u[0];
	if (u[0] < 0x80) {
		c->kind = u[0] == '\t' ? TT_TAB : u[0] < 0x20 || u[0] == 0x7f ? TT_CONTROL :
		    TT_TEXT;
		return;
	}
	c->kind = TT_BYTE;
	n = termtext_utf8_len(u[0], &lo, &hi);
	if (n == 0 || n > len || u[1] < lo || u[1] > hi)
		return;
	cp = u[0] & (0xff >> (n + 1));
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return;
		cp = cp << 6 | (u[i] & 0x3f);
	}
	c->len = n;
	c->cp = cp;
	c->kind = cp <= 0x9f ? TT_CONTROL : termtext_bidi(cp) ? TT_BIDI : TT_TEXT;
}

bool
termtext_safe(const struct termtext_char *c)
{
	return c->kind == TT_TEXT || c->kind == TT_TAB;
}

size_t
termtext_escape(const struct termtext_char *c, char buf[TERMTEXT_ESCAPE_MAX])
{
	static const char hex[] = "0123456789abcdef";

	buf[0] = '\0';
	switch (c->kind) {
	case TT_TEXT:
	case TT_TAB:
		return 0;
	case TT_CONTROL:
		if (c->cp < 0x80) {
			buf[0] = '^';
			buf[1] = (char)(c->cp ^ 0x40);	/* ^@ ... ^_, and ^? for DEL */
			buf[2] = '\0';
			return 2;
		}
		break;
	case TT_BIDI:
		break;
	case TT_BYTE:
		buf[0] = '\\';
		buf[1] = 'x';
		buf[2] = hex[c->cp >> 4 & 15];
		buf[3] = hex[c->cp & 15];
		buf[4] = '\0';
		return 4;
	}
	return (size_t)snprintf(buf, TERMTEXT_ESCAPE_MAX, "<U+%04X>", (unsigned)c->cp);
}

void
termtext_write(FILE *fp, const char *s, size_t len, bool utf8)
{
	struct termtext_char c;
	char esc[TERMTEXT_ESCAPE_MAX];
	size_t run = 0;		/* safe bytes not written yet, before s */

	while (len > 0) {
		termtext_next(s + run, len, &c);
		if (!utf8 && c.kind == TT_TEXT && c.len > 1)
			c = (struct termtext_char){ TT_BYTE, 1, (unsigned char)s[run] };
		if (termtext_safe(&c)) {
			run += c.len;
			len -= c.len;
			continue;
		}
		fwrite(s, 1, run, fp);
		fwrite(esc, 1, termtext_escape(&c, esc), fp);
		s += run + c.len;
		len -= c.len;
		run = 0;
	}
	fwrite(s, 1, run, fp);
}

char *
termtext_escaped(const char *s, size_t len, bool utf8)
{
	char *out = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&out, &n);

	if (fp == NULL)
		fatal("out of memory");
	termtext_write(fp, s, len, utf8);
	if (fclose(fp) != 0)
		fatal("out of memory");
	return out;
}

/* A string cJSON owns, escaped in place. */
static void
termtext_json_text(char **text, bool utf8)
{
	char *e = termtext_escaped(*text, strlen(*text), utf8);
	size_t n = strlen(e);

	if (strcmp(e, *text) != 0) {
		cJSON_free(*text);
		if ((*text = cJSON_malloc(n + 1)) == NULL)
			fatal("out of memory");
		memcpy(*text, e, n + 1);
	}
	free(e);
}

void
termtext_json(cJSON *v, bool utf8)
{
	cJSON *c;

	if (v == NULL)
		return;
	if (cJSON_IsString(v) && v->valuestring != NULL)
		termtext_json_text(&v->valuestring, utf8);
	cJSON_ArrayForEach(c, v) {
		if (c->string != NULL && !(c->type & cJSON_StringIsConst))
			termtext_json_text(&c->string, utf8);
		termtext_json(c, utf8);
	}
}

bool
termtext_utf8_locale(void)
{
	static int utf8 = -1;
	static const char *const vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };

	for (size_t i = 0; utf8 < 0 && i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);

		if (v != NULL && *v != '\0')
			utf8 = strcasestr(v, "utf-8") != NULL || strcasestr(v, "utf8") != NULL;
	}
	if (utf8 < 0)
		utf8 = 0;
	return utf8 == 1;
}
