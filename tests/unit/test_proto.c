/* test_proto.c - the control protocol's decoder: whole messages from bytes
 * cut anywhere, and every kind of bad input refused with its code and
 * without holding more than one line. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto.h"
#include "xmalloc.h"

/* Feeds all of s in pieces of at most step bytes; returns how many
 * messages came, the last one's type in *last, and stops at a failure
 * (its code in *code, else -1). */
static int
feed_all(struct proto_dec *d, const char *s, size_t len, size_t step, int *last, int *code)
{
	struct proto_fail f;
	struct proto_msg m;
	size_t off = 0, used;
	int n = 0;

	*code = -1;
	while (off < len) {
		size_t piece = len - off < step ? len - off : step, poff = 0;

		while (poff < piece) {
			enum proto_rc rc = proto_dec_feed(d, s + off + poff, piece - poff, &used, &m, &f);

			assert_true(used > 0 && used <= piece - poff);
			poff += used;
			if (rc == PROTO_FAILED) {
				*code = (int)f.code;
				assert_true(f.e.msg[0] != '\0');
				return n;
			}
			if (rc == PROTO_MESSAGE) {
				assert_non_null(m.json);
				*last = (int)m.type;
				proto_msg_fini(&m);
				n++;
			} else {
				assert_int_equal(poff, piece);
			}
		}
		off += piece;
	}
	return n;
}

static void
test_messages_cut_anywhere(void **state)
{
	static const char text[] =
	    "{\"type\":\"hello\",\"protocol\":1,\"client\":\"x\"}\n"
	    "\n"
	    "{\"type\": \"status\", \"id\": 1}\r\n"
	    "  {\"type\":\"cancel\",\"id\":\"c-1\",\"force\":true}  \n"
	    "{\"type\":\"status\",\"note\":\"caf\xc3\xa9 \\u00e9\"}\n";

	(void)state;
	for (size_t step = 1; step <= sizeof text; step++) {
		struct proto_dec d;
		struct proto_fail f;
		int last = -1, code;

		proto_dec_init(&d, PROTO_CLIENT);
		assert_int_equal(feed_all(&d, text, sizeof text - 1, step, &last, &code), 4);
		assert_int_equal(code, -1);
		assert_int_equal(last, PROTO_STATUS);
		assert_int_equal(proto_dec_end(&d, &f), PROTO_MORE);
		assert_int_equal(d.len, 0);
		proto_dec_fini(&d);
	}
}

static void
test_fields_kept(void **state)
{
	static const char text[] = "{\"type\":\"cancel\",\"id\":7,\"force\":true}\n";
	struct proto_dec d;
	struct proto_fail f;
	struct proto_msg m;
	size_t used;
	cJSON *reply;
	char *line;
	size_t len;

	(void)state;
	proto_dec_init(&d, PROTO_CLIENT);
	assert_int_equal(proto_dec_feed(&d, text, sizeof text - 1, &used, &m, &f), PROTO_MESSAGE);
	assert_int_equal(used, sizeof text - 1);
	assert_int_equal(m.type, PROTO_CANCEL);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(m.json, "force")));
	/* A reply carries the request's id. */
	reply = proto_error_new(PROTO_E_DENIED, "no", m.json);
	line = proto_encode(reply, &len);
	assert_string_equal(line, "{\"type\":\"error\",\"id\":7,\"code\":\"denied\",\"message\":\"no\"}\n");
	assert_int_equal(len, strlen(line));
	free(line);
	cJSON_Delete(reply);
	proto_msg_fini(&m);
	proto_dec_fini(&d);
}

/* One line's verdict: the code it fails with, or -1 when it is a message. */
static int
verdict(enum proto_side from, const char *s, size_t len)
{
	struct proto_dec d;
	int last, code;

	proto_dec_init(&d, from);
	feed_all(&d, s, len, len, &last, &code);
	proto_dec_fini(&d);
	return code;
}

#define VERDICT(from, s) verdict(from, s, sizeof s - 1)

static void
test_bad_lines(void **state)
{
	(void)state;
	assert_int_equal(VERDICT(PROTO_CLIENT, "garbage\n"), PROTO_E_MALFORMED);
	assert_int_equal(VERDICT(PROTO_CLIENT, "{\"type\":\"status\"} x\n"), PROTO_E_MALFORMED);
	assert_int_equal(VERDICT(PROTO_CLIENT, "{\"type\":\"status\"}{}\n"), PROTO_E_MALFORMED);
	assert_int_equal(VERDICT(PROTO_CLIENT, "[1,2]\n"), PROTO_E_MALFORMED);
	assert_int_equal(VERDICT(PROTO_CLIENT, "\"status\"\n"), PROTO_E_MALFORMED);
	assert_int_equal(VERDICT(PROTO_CLIENT, "{}\n"), PROTO_E_MALFORMED);
	assert_int_equal(VERDICT(PROTO_CLIENT, "{\"type\":3}\n"), PROTO_E_MALFORMED);
	assert_int_equal(VERDICT(PROTO_CLIENT, "{\"type\":\"st\0atus\"}\n"), PROTO_E_MALFORMED);
	assert_int_equal(VERDICT(PROTO_CLIENT, "{\"type\":\"status\",\"x\":\"\xff\"}\n"),
	    PROTO_E_MALFORMED);
	assert_int_equal(VERDICT(PROTO_CLIENT, "{\"type\":\"status\",\"x\":\"\xc0\xaf\"}\n"),
	    PROTO_E_MALFORMED);
	/* Which of two members of one name counts is up to each reader. */
	assert_int_equal(VERDICT(PROTO_CLIENT, "{\"type\":\"status\",\"type\":\"cancel\"}\n"),
	    PROTO_E_MALFORMED);
	assert_int_equal(VERDICT(PROTO_CLIENT, "{\"type\":\"status\",\"a\":[{\"b\":1,\"b\":2}]}\n"),
	    PROTO_E_MALFORMED);
	assert_int_equal(VERDICT(PROTO_CLIENT, "{\"type\":\"status\",\"id\":1e999}\n"),
	    PROTO_E_MALFORMED);
	assert_int_equal(VERDICT(PROTO_CLIENT, "{\"type\":\"launch\"}\n"), PROTO_E_UNKNOWN);
	/* What only a server sends is unknown from a client, and the other
	 * way round. */
	assert_int_equal(VERDICT(PROTO_CLIENT, "{\"type\":\"ok\"}\n"), PROTO_E_UNKNOWN);
	assert_int_equal(VERDICT(PROTO_SERVER, "{\"type\":\"cancel\"}\n"), PROTO_E_UNKNOWN);
	assert_int_equal(VERDICT(PROTO_SERVER, "{\"type\":\"ok\"}\n"), -1);
	assert_int_equal(VERDICT(PROTO_CLIENT, "{\"type\":\"status\",\"id\":[1]}\n"),
	    PROTO_E_BAD_REQUEST);
	assert_int_equal(VERDICT(PROTO_CLIENT, "{\"type\":\"status\",\"id\":\""
	    "0123456789012345678901234567890123456789012345678901234567890123456789\"}\n"),
	    PROTO_E_BAD_REQUEST);
}

static void
test_failure_is_final(void **state)
{
	static const char bad[] = "nope\n{\"type\":\"status\"}\n";
	struct proto_dec d;
	struct proto_fail f;
	struct proto_msg m;
	size_t used;

	(void)state;
	proto_dec_init(&d, PROTO_CLIENT);
	assert_int_equal(proto_dec_feed(&d, bad, sizeof bad - 1, &used, &m, &f), PROTO_FAILED);
	assert_int_equal(used, sizeof bad - 1);
	assert_string_equal(f.e.msg, "line 1 is not one JSON value");
	assert_int_equal(proto_dec_feed(&d, bad + 5, sizeof bad - 6, &used, &m, &f), PROTO_FAILED);
	assert_int_equal(f.code, PROTO_E_MALFORMED);
	assert_int_equal(proto_dec_end(&d, &f), PROTO_FAILED);
	proto_dec_fini(&d);
}

static void
test_truncated(void **state)
{
	static const char half[] = "{\"type\":\"status\"}\n{\"type\":\"sta";
	struct proto_dec d;
	struct proto_fail f;
	int last, code;

	(void)state;
	proto_dec_init(&d, PROTO_CLIENT);
	assert_int_equal(feed_all(&d, half, sizeof half - 1, 5, &last, &code), 1);
	assert_int_equal(code, -1);
	assert_int_equal(proto_dec_end(&d, &f), PROTO_FAILED);
	assert_int_equal(f.code, PROTO_E_TRUNCATED);
	assert_string_equal(f.e.msg, "the connection ended inside line 2, before its newline");
	proto_dec_fini(&d);
}

/* A line may be PROTO_MAX_LINE bytes long, not one more; a longer one
 * fails as soon as the limit is passed, and the decoder never holds more
 * than the limit. */
static void
test_line_limit(void **state)
{
	size_t max = PROTO_MAX_LINE;
	char *s = xmalloc(max + 2);
	struct proto_dec d;
	struct proto_fail f;
	struct proto_msg m;
	size_t used, off;
	enum proto_rc rc;

	(void)state;
	memset(s, ' ', max + 2);
	memcpy(s, "{\"type\":\"status\"}", 17);
	s[max] = '\n';
	proto_dec_init(&d, PROTO_CLIENT);
	for (off = 0; off < max; off += used) {
		rc = proto_dec_feed(&d, s + off, 4096 < max + 1 - off ? 4096 : max + 1 - off, &used,
		    &m, &f);
		assert_int_equal(rc, PROTO_MORE);
	}
	assert_true(d.cap <= max);
	assert_int_equal(proto_dec_feed(&d, s + max, 1, &used, &m, &f), PROTO_MESSAGE);
	proto_msg_fini(&m);
	assert_int_equal(d.cap, 0);	/* a long line's room is given back */
	proto_dec_fini(&d);

	/* One byte more fails, before any newline comes. */
	s[max] = ' ';
	proto_dec_init(&d, PROTO_CLIENT);
	rc = PROTO_MORE;
	for (off = 0; off < max + 1 && rc == PROTO_MORE; off += used)
		rc = proto_dec_feed(&d, s + off, 4096 < max + 1 - off ? 4096 : max + 1 - off, &used,
		    &m, &f);
	assert_int_equal(rc, PROTO_FAILED);
	assert_int_equal(off, max + 1);
	assert_int_equal(f.code, PROTO_E_TOO_LONG);
	assert_true(d.cap <= max);
	proto_dec_fini(&d);
	free(s);
}

static void
test_names_and_hello(void **state)
{
	cJSON *h;

	(void)state;
	assert_string_equal(proto_code_name(PROTO_E_TOO_LONG), "too_long");
	assert_int_equal(proto_code_parse("truncated"), PROTO_E_TRUNCATED);
	assert_int_equal(proto_code_parse("nonsense"), -1);
	assert_false(proto_code_closes(PROTO_E_DENIED));
	assert_true(proto_code_closes(PROTO_E_MALFORMED));
	h = proto_hello_new(PROTO_CLIENT);
	assert_int_equal(proto_hello_version(h), PROTO_VERSION);
	assert_string_equal(cJSON_GetObjectItem(h, "type")->valuestring, "hello");
	assert_non_null(cJSON_GetObjectItem(h, "client"));
	cJSON_ReplaceItemInObject(h, "protocol", cJSON_CreateNumber(1.5));
	assert_int_equal(proto_hello_version(h), -1);
	cJSON_ReplaceItemInObject(h, "protocol", cJSON_CreateString("1"));
	assert_int_equal(proto_hello_version(h), -1);
	cJSON_Delete(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages_cut_anywhere),
		cmocka_unit_test(test_fields_kept),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_failure_is_final),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_names_and_hello),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
