/* test_termtext.c - the one definition of text that is safe on a
 * terminal: every byte, every code point, every bidi control, and
 * whatever termtext_write makes of hostile input (every byte pair and
 * random mixes of escape sequences) is itself safe, and safe text is
 * written unchanged. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "termtext.h"

static const uint32_t bidi[] = {
	0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068,
	0x2069,
};

static size_t
utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static bool
is_bidi(uint32_t cp)
{
	for (size_t i = 0; i < sizeof bidi / sizeof bidi[0]; i++)
		if (bidi[i] == cp)
			return true;
	return false;
}

/* What termtext_write puts out for s; caller frees. */
static char *
written(const char *s, size_t len, bool utf8, size_t *out_len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&buf, &size);

	assert_non_null(fp);
	termtext_write(fp, s, len, utf8);
	fclose(fp);
	*out_len = size;
	return buf;
}

/* The property: the output holds nothing but safe characters (pure
 * ASCII without utf8), so it can go to any terminal. */
static void
assert_harmless(const char *in, size_t in_len, bool utf8)
{
	size_t len;
	char *out = written(in, in_len, utf8, &len);
	struct termtext_char c;

	for (size_t off = 0; off < len; off += c.len) {
		termtext_next(out + off, len - off, &c);
		if (!termtext_safe(&c) || (!utf8 && c.cp >= 0x80)) {
			char hex[3 * 16 + 1] = "";

			for (size_t i = 0; i < in_len && i < 16; i++)
				snprintf(hex + 3 * i, 4, "%02x ", (unsigned char)in[i]);
			fail_msg("input %s(%zu bytes): output byte %zu (%#x) is not safe", hex,
			    in_len, off, (unsigned)c.cp);
		}
	}
	free(out);
}

static void
assert_written(const char *in, bool utf8, const char *want)
{
	size_t len;
	char *out = written(in, strlen(in), utf8, &len);

	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	free(out);
}

static void
test_every_byte(void **state)
{
	(void)state;
	for (unsigned b = 0; b < 256; b++) {
		char s[1] = { (char)b };
		struct termtext_char c;

		termtext_next(s, 1, &c);
		assert_int_equal(c.len, 1);
		if (b == '\t')
			assert_int_equal(c.kind, TT_TAB);
		else if (b < 0x20 || b == 0x7f)
			assert_int_equal(c.kind, TT_CONTROL);
		else if (b < 0x80)
			assert_int_equal(c.kind, TT_TEXT);
		else
			assert_int_equal(c.kind, TT_BYTE);	/* 8-bit C1 among them */
		assert_harmless(s, 1, true);
		assert_harmless(s, 1, false);
	}
}

/* Every code point as UTF-8 decodes to itself and is classified. */
static void
test_every_code_point(void **state)
{
	(void)state;
	for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
		char s[4];
		size_t n;
		struct termtext_char c;

		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		n = utf8_encode(cp, s);
		termtext_next(s, n, &c);
		assert_int_equal(c.len, n);
		assert_int_equal(c.cp, cp);
		if (cp == '\t')
			assert_int_equal(c.kind, TT_TAB);
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			assert_int_equal(c.kind, TT_CONTROL);
		else if (is_bidi(cp))
			assert_int_equal(c.kind, TT_BIDI);
		else
			assert_int_equal(c.kind, TT_TEXT);
	}
}

/* Overlong forms, surrogates, values above U+10FFFF and cut sequences are
 * bytes, one at a time. */
static void
test_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf", "\xed\xa0\x80",
		"\xed\xbf\xbf", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80", "\xff", "\xe2\x80", "\xe2\x80x", "\xf0\x9f\x98", "\x80",
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct termtext_char c;

		termtext_next(bad[i], strlen(bad[i]), &c);
		assert_int_equal(c.kind, TT_BYTE);
		assert_int_equal(c.len, 1);
		assert_int_equal(c.cp, (unsigned char)bad[i][0]);
		assert_harmless(bad[i], strlen(bad[i]), true);
	}
}

static void
test_stand_ins(void **state)
{
	(void)state;
	/* OSC 52 (clipboard), a title, a screen clear, a cursor-position
	 * query, DCS, 8-bit CSI, BEL, a bare CR. */
	assert_written("\033]52;c;ZXZpbA==\007", true, "^[]52;c;ZXZpbA==^G");
	assert_written("\033]0;pwned\033\\", true, "^[]0;pwned^[\\");
	assert_written("\033[2J\033[6n", true, "^[[2J^[[6n");
	assert_written("\033P+q544e\033\\", true, "^[P+q544e^[\\");
	assert_written("\x9b" "2J", true, "\\x9b2J");
	assert_written("\xc2\x9b" "2J", true, "<U+009B>2J");
	assert_written("done\rfake", true, "done^Mfake");
	assert_written("\x7f\x01", true, "^?^A");
	assert_written("\xe2\x80\xae" "txt.exe", true, "<U+202E>txt.exe");
	assert_written("\xd8\x9c\xe2\x81\xa6", true, "<U+061C><U+2066>");
	/* Safe text is kept byte for byte: tabs, accents, wide characters. */
	assert_written("plain\ttext", true, "plain\ttext");
	assert_written("h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac", true,
	    "h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac");
	/* A terminal without UTF-8 gets only ASCII. */
	assert_written("h\xc3\xa9llo", false, "h\\xc3\\xa9llo");
	assert_written("\xc4\x9b", false, "\\xc4\\x9b");
}

static void
test_bidi_in_context(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bidi / sizeof bidi[0]; i++) {
		char s[16], want[32];
		size_t n = 0;

		s[n++] = 'a';
		n += utf8_encode(bidi[i], s + n);
		s[n++] = 'b';
		s[n] = '\0';
		snprintf(want, sizeof want, "a<U+%04X>b", (unsigned)bidi[i]);
		assert_written(s, true, want);
		assert_harmless(s, n, true);
		assert_harmless(s, n, false);
	}
}

static void
test_every_pair(void **state)
{
	(void)state;
	for (unsigned a = 0; a < 256; a++) {
		for (unsigned b = 0; b < 256; b++) {
			char s[2] = { (char)a, (char)b };

			assert_harmless(s, 2, true);
		}
	}
}

/* Random mixes of valid text, escape sequences, C1, bidi and stray bytes. */
static void
test_random_mixes(void **state)
{
	static const char *const pieces[] = {
		"\033", "[", "]52;c;", "\007", "\r", "\n", "\t", "\x9b", "\xc2\x9b", "\xc2\x85",
		"\xe2\x80\xae", "\xe2\x81\xa6", "\xd8\x9c", "\xe2\x80", "\xf0\x9f\x98\x80",
		"\xf0\x9f", "\xc3\xa9", "\xe6\x97\xa5", "abc", " ", "\x7f", "\x00", "\xff", "\xed\xa0\x80",
	};
	unsigned seed = 42;
	(void)state;
	for (int round = 0; round < 20000; round++) {
		char s[256];
		size_t n = 0;
		int k = rand_r(&seed) % 16;

		for (int i = 0; i < k; i++) {
			const char *p = pieces[rand_r(&seed) % (sizeof pieces / sizeof pieces[0])];
			size_t len = p[0] == '\0' ? 1 : strlen(p);

			memcpy(s + n, p, len);
			n += len;
		}
		for (int i = rand_r(&seed) % 4; i > 0; i--)
			s[n++] = (char)(rand_r(&seed) & 0xff);
		assert_harmless(s, n, true);
		assert_harmless(s, n, false);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_every_code_point),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_stand_ins),
		cmocka_unit_test(test_bidi_in_context),
		cmocka_unit_test(test_every_pair),
		cmocka_unit_test(test_random_mixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
