/* dur.c - parsing and printing durations and sizes. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dur.h"

#define DUR_MAX_MS ((int64_t)1 << 53)

static int
dur_unit(const char *s, size_t *len, double *ms)
{
	static const struct { const char *name; double ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	size_t n = 0;

	while (isalpha((unsigned char)s[n]))
		n++;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strlen(units[i].name) == n && strncmp(s, units[i].name, n) == 0) {
			*len = n;
			*ms = units[i].ms;
			return 0;
		}
	}
	*len = n;
	return -1;
}

int
dur_parse(const char *s, int64_t *out, struct err *e)
{
	const char *p = s;
	double total = 0;

	if (*s == '\0')
		return err_set(e, "empty duration: write it like 30s, 5m or 1h30m");
	while (*p != '\0') {
		const char *start = p;
		double num, unit;
		size_t ulen;
		char *end;

		if (isspace((unsigned char)*p))
			return err_set(e, "bad duration '%s': write it without spaces, like 1h30m", s);
		if (!isdigit((unsigned char)*p) && *p != '.')
			return err_set(e, "bad duration '%s': expected a number at '%s' "
			    "(write it like 250ms, 30s, 5m, 1h30m or 7d)", s, p);
		num = strtod(start, &end);
		while (isdigit((unsigned char)*p) || *p == '.')
			p++;
		if (end != p || p - start > 20)
			return err_set(e, "bad duration '%s': '%.*s' is not a number",
			    s, (int)(p - start), start);
		if (*p == '\0')
			return err_set(e, "bad duration '%s': the number needs a unit "
			    "(ms, s, m, h or d), as in %ss", s, start);
		if (isspace((unsigned char)*p))
			return err_set(e, "bad duration '%s': write it without spaces, like 1h30m", s);
		if (dur_unit(p, &ulen, &unit) < 0)
			return err_set(e, "bad duration '%s': unknown unit '%.*s' "
			    "(use ms, s, m, h or d)", s, (int)(ulen ? ulen : 1), p);
		p += ulen;
		total += num * unit;
	}
	if (!(total <= (double)DUR_MAX_MS))
		return err_set(e, "duration '%s' is too long", s);
	*out = (int64_t)llround(total);
	return 0;
}

void
dur_format(int64_t ms, char *buf, size_t size)
{
	static const struct { char unit; int64_t ms; } parts[] = {
		{ 'd', 86400000 }, { 'h', 3600000 }, { 'm', 60000 }, { 's', 1000 },
	};
	size_t len = 0;

	if (ms < 0)
		ms = 0;
	if (ms < 1000) {
		snprintf(buf, size, "%" PRId64 "ms", ms);
		return;
	}
	if (ms < 60000) {
		if (ms % 1000 >= 100)
			snprintf(buf, size, "%" PRId64 ".%" PRId64 "s", ms / 1000, ms % 1000 / 100);
		else
			snprintf(buf, size, "%" PRId64 "s", ms / 1000);
		return;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof parts / sizeof parts[0] && len + 1 < size; i++) {
		int64_t n = ms / parts[i].ms;

		ms %= parts[i].ms;
		if (n > 0) {
			int w = snprintf(buf + len, size - len, "%" PRId64 "%c", n, parts[i].unit);
			if (w < 0 || (size_t)w >= size - len)
				break;
			len += (size_t)w;
		}
	}
}

int
size_parse(const char *s, uint64_t *out, struct err *e)
{
	static const char units[] = "KMGT";
	const char *p = s;
	uint64_t n = 0, mult = 1;

	if (!isdigit((unsigned char)*p))
		return err_set(e, "bad size '%s': write it like 512M, 2G or 65536", s);
	while (isdigit((unsigned char)*p)) {
		if (n > (UINT64_MAX - 9) / 10)
			return err_set(e, "size '%s' is too large", s);
		n = n * 10 + (uint64_t)(*p++ - '0');
	}
	if (*p != '\0') {
		const char *u = strchr(units, toupper((unsigned char)*p));

		if (u == NULL)
			return err_set(e, "bad size '%s': unknown unit '%s' (use K, M, G or T)", s, p);
		for (const char *q = units; q <= u; q++)
			mult *= 1024;
		p++;
		if (strcasecmp(p, "B") != 0 && strcasecmp(p, "iB") != 0 && *p != '\0')
			return err_set(e, "bad size '%s': unknown unit '%s' (use K, M, G or T)", s, p - 1);
	}
	if (n > UINT64_MAX / mult)
		return err_set(e, "size '%s' is too large", s);
	*out = n * mult;
	return 0;
}
