/* json.c - typed reads of cJSON members, and printing JSON fast.
 *
 * cJSON prints every number with sprintf("%1.15g") and reads it back with
 * sscanf to see whether 15 digits were enough: half a microsecond a
 * number, and events, rows and replies are full of numbers.  json_print
 * writes the same text: a whole number below 1e15 (which %1.15g prints
 * as its digits) directly, anything else through cJSON's own procedure.
 */
#include "config.h"

#include <float.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "strbuf.h"

const char *
json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

double
json_num(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* cJSON's test of whether text read back is the number. */
static bool
json_same(double a, double b)
{
	double max = fabs(a) > fabs(b) ? fabs(a) : fabs(b);

	return fabs(a - b) <= max * DBL_EPSILON;
}

static void
json_number(struct strbuf *sb, double d)
{
	char buf[32], *dot;
	const char *point = localeconv()->decimal_point;
	int n;

	if (isnan(d) || isinf(d)) {
		sb_adds(sb, "null");
		return;
	}
	if (d == 0) {
		sb_adds(sb, signbit(d) ? "-0" : "0");
		return;
	}
	if (fabs(d) < 1e15 && d == floor(d)) {
		n = snprintf(buf, sizeof buf, "%" PRId64, (int64_t)d);
		sb_add(sb, buf, (size_t)n);
		return;
	}
	n = snprintf(buf, sizeof buf, "%1.15g", d);
	if (!json_same(strtod(buf, NULL), d))
		n = snprintf(buf, sizeof buf, "%1.17g", d);
	/* What cJSON does in a locale that writes 1,5 */
	if (point[0] != '.' && point[0] != '\0' && (dot = strchr(buf, point[0])) != NULL)
		*dot = '.';
	sb_add(sb, buf, (size_t)n);
}

/* The bytes a JSON string cannot hold as they are. */
static bool
json_escaped(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

void
json_print_string(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef", from[] = "\"\\\b\f\n\r\t",
	    to[] = "\"\\bfnrt";
	const char *p = s != NULL ? s : "";

	sb_addc(sb, '"');
	for (;;) {
		const char *q = p, *k;
		unsigned char c;

		while (*q != '\0' && !json_escaped((unsigned char)*q))
			q++;
		sb_add(sb, p, (size_t)(q - p));
		if (*q == '\0')
			break;
		c = (unsigned char)*q;
		p = q + 1;
		sb_addc(sb, '\\');
		if ((k = strchr(from, c)) != NULL) {
			sb_addc(sb, to[k - from]);
		} else {
			sb_adds(sb, "u00");
			sb_addc(sb, hex[c >> 4]);
			sb_addc(sb, hex[c & 15]);
		}
	}
	sb_addc(sb, '"');
}

static void
json_indent(struct strbuf *sb, enum json_layout layout, int n)
{
	while (n-- > 0)
		sb_adds(sb, layout == JSON_TABS ? "\t" : "  ");
}

/* v at depth (the number of arrays and objects around it, it included
 * when it is one), in cJSON's layout. */
static void
json_value(struct strbuf *sb, const cJSON *v, enum json_layout layout, int depth)
{
	bool lines = layout != JSON_LINE;
	const cJSON *c;

	switch (v->type & 0xff) {
	case cJSON_False:
		sb_adds(sb, "false");
		return;
	case cJSON_True:
		sb_adds(sb, "true");
		return;
	case cJSON_NULL:
		sb_adds(sb, "null");
		return;
	case cJSON_Number:
		json_number(sb, v->valuedouble);
		return;
	case cJSON_Raw:
		sb_adds(sb, v->valuestring != NULL ? v->valuestring : "");
		return;
	case cJSON_String:
		json_print_string(sb, v->valuestring);
		return;
	case cJSON_Array:
		sb_addc(sb, '[');
		for (c = v->child; c != NULL; c = c->next) {
			json_value(sb, c, layout, depth + 1);
			if (c->next != NULL)
				sb_adds(sb, lines ? ", " : ",");
		}
		sb_addc(sb, ']');
		return;
	case cJSON_Object:
		sb_adds(sb, lines ? "{\n" : "{");
		for (c = v->child; c != NULL; c = c->next) {
			json_indent(sb, layout, lines ? depth + 1 : 0);
			json_print_string(sb, c->string);
			sb_adds(sb, layout == JSON_TABS ? ":\t" : layout == JSON_SPACES ? ": " : ":");
			json_value(sb, c, layout, depth + 1);
			if (c->next != NULL)
				sb_addc(sb, ',');
			if (lines)
				sb_addc(sb, '\n');
		}
		json_indent(sb, layout, lines ? depth : 0);
		sb_addc(sb, '}');
		return;
	default:
		sb_adds(sb, "null");	/* cJSON_Invalid: never made here */
	}
}

void
json_print(struct strbuf *sb, const cJSON *v, enum json_layout layout, int depth)
{
	json_value(sb, v, layout, depth);
}

char *
json_text(const cJSON *v, bool formatted)
{
	struct strbuf sb = STRBUF_INIT;

	json_print(&sb, v, formatted ? JSON_TABS : JSON_LINE, 0);
	return sb_detach(&sb);
}
