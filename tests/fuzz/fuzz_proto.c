/* fuzz_proto.c - libFuzzer target for the control protocol's decoder.
 *
 * The input is what a peer sends, cut into reads of sizes taken from its
 * first byte, decoded as a server decodes clients and as a client decodes
 * a server.  The decoder must take at least one byte each call and never
 * more than it was given, never hold more than one line of the limit,
 * yield only objects with a known "type", fail with a message, and stay
 * failed.  Every message it yields, encoded again, decodes to the same.
 * What a client takes from a server goes further, as a console takes it:
 * snapshots and events are folded into the model of a small workflow,
 * which must stay within its steps whatever they say.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "model.h"
#include "proto.h"
#include "wf.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_roundtrip(enum proto_side from, const struct proto_msg *m)
{
	struct proto_dec d;
	struct proto_fail f;
	struct proto_msg again;
	size_t len, used;
	char *line = proto_encode(m->json, &len);

	if (line == NULL)
		return;		/* encoded with escapes it may outgrow the limit */
	proto_dec_init(&d, from);
	if (proto_dec_feed(&d, line, len, &used, &again, &f) != PROTO_MESSAGE || used != len ||
	    again.type != m->type || !cJSON_Compare(again.json, m->json, true))
		abort();
	proto_msg_fini(&again);
	proto_dec_fini(&d);
	free(line);
}

static const char wf_text[] =
    "name: f\nsteps:\n  - id: a\n    run: 'true'\n  - id: b\n    depends_on: [a]\n"
    "    approval: {message: go?}\n  - id: c\n    depends_on: [b]\n    run: 'true'\n";

/* A server's message, folded into m as a console would. */
static void
fold(struct model *m, const struct proto_msg *msg)
{
	struct event ev;
	char why[256];

	if (msg->type == PROTO_SNAPSHOT) {
		if (model_snap_take(m, msg->json, why, sizeof why) < 0 && why[0] == '\0')
			abort();
	} else if (msg->type == PROTO_EVENT) {
		if (proto_event_read(msg->json, &ev, why, sizeof why) < 0) {
			if (why[0] == '\0')
				abort();
			return;
		}
		model_apply(m, &ev);
	}
	for (size_t i = 0; i < m->wf->n_steps; i++)
		if (m->steps[i].status > ST_CANCELLED || m->steps[i].attempt < 0)
			abort();
	if (m->status > RUN_INTERRUPTED)
		abort();
}

static void
decode(enum proto_side from, const char *p, size_t size, size_t step, struct model *model)
{
	struct proto_dec d;
	struct proto_fail f;
	struct proto_msg m;
	size_t off = 0, used;
	bool failed = false;

	proto_dec_init(&d, from);
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		enum proto_rc rc = proto_dec_feed(&d, p + off, n, &used, &m, &f);

		if (used == 0 || used > n || d.len > PROTO_MAX_LINE || d.cap > PROTO_MAX_LINE)
			abort();
		if (failed && rc != PROTO_FAILED)
			abort();
		off += used;
		if (rc == PROTO_FAILED) {
			if (f.e.msg[0] == '\0' || proto_code_name(f.code)[0] == '?')
				abort();
			failed = true;
		} else if (rc == PROTO_MESSAGE) {
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(m.json, "type");

			if (!cJSON_IsObject(m.json) || !cJSON_IsString(t) ||
			    strcmp(t->valuestring, proto_type_name(m.type)) != 0)
				abort();
			check_roundtrip(from, &m);
			if (model != NULL)
				fold(model, &m);
			proto_msg_fini(&m);
		} else if (used != n) {
			abort();
		}
	}
	if (proto_dec_end(&d, &f) == PROTO_FAILED && f.e.msg[0] == '\0')
		abort();
	proto_dec_fini(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct workflow *wf;
	struct diags d = DIAGS_INIT;
	struct model m;
	size_t step;
	char *p;

	if (size == 0)
		return 0;
	if (wf == NULL && (wf = wf_load_text("f.yaml", wf_text, sizeof wf_text - 1, &d)) == NULL)
		abort();
	diags_fini(&d);
	/* Reads of 1 to 256 bytes, or everything at once. */
	step = data[0] == 0 ? size : data[0];
	/* A copy of exactly the bytes fed, so reading past them is caught. */
	p = xmalloc(size > 1 ? size - 1 : 1);
	memcpy(p, data + 1, size - 1);
	decode(PROTO_CLIENT, p, size - 1, step, NULL);
	model_init_borrowed(&m, wf, 1);
	decode(PROTO_SERVER, p, size - 1, step, &m);
	model_fini(&m);
	free(p);
	return 0;
}
