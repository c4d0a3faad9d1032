/* test_engine.c - the engine keeps no global state: two runs in one
 * process, at the same time, each see only their own steps and events. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine.h"
#include "proctrack.h"
#include "ring.h"
#include "wf.h"
#include "xmalloc.h"

struct seen {
	struct ring_reader *gate;
	const struct workflow *wf;
	int steps_done, lines;
	char last_line[64];
	enum run_status end;
	bool ended, foreign;
};

/* The gate: reads every event, checks it belongs to its run, commits. */
static void
drain(struct seen *s)
{
	struct event ev;

	while (ring_read(s->gate, &ev, 10) == RING_EVENT) {
		if (ev.step >= 0 && (size_t)ev.step >= s->wf->n_steps)
			s->foreign = true;
		if (ev.type == EV_STEP && step_status_final((enum step_status)ev.status))
			s->steps_done++;
		if (ev.type == EV_LOG) {
			s->lines += (int)ev.nlines;
			snprintf(s->last_line, sizeof s->last_line, "%.*s", (int)ev.len, ev.data);
		}
		if (ev.type == EV_RUN_END) {
			s->ended = true;
			s->end = (enum run_status)ev.status;
		}
		ring_commit(s->gate, ev.seq);
	}
}

static struct workflow *
load(const char *name, const char *text)
{
	struct diags d = DIAGS_INIT;
	struct workflow *wf = wf_load_text(name, text, strlen(text), &d);

	if (wf == NULL) {
		diags_print(&d, stderr);
		fail_msg("%s does not load", name);
	}
	diags_fini(&d);
	return wf;
}

static void
test_two_runs_at_once(void **state)
{
	char dir[] = "/tmp/drover-engine-XXXXXX";
	struct workflow *wa = load("a.yaml",
	    "name: a\nsteps:\n"
	    "  - {id: one, run: 'seq 1 3000'}\n"
	    "  - {id: two, run: 'echo a-done'}\n");
	struct workflow *wb = load("b.yaml",
	    "name: b\nsteps:\n"
	    "  - {id: x, run: 'seq 1 500; exit 3'}\n"
	    "  - {id: y, run: 'echo never'}\n"
	    "  - {id: z, run: 'echo b-z', trigger: always}\n");
	cJSON *args = cJSON_CreateObject();
	struct engine_opts oa = { .wf = wa, .args = args, .user = "t", .host = "h",
	    .kill_grace_ms = 1000, .runtime_dir = dir };
	struct engine_opts ob = oa;
	struct proctrack_run *pa, *pb;
	struct ring *ra = ring_new(1 << 16), *rb = ring_new(1 << 16);
	struct seen sa = { .gate = ring_reader_new(ra, true), .wf = wa };
	struct seen sb = { .gate = ring_reader_new(rb, true), .wf = wb };
	struct engine *ea, *eb;
	struct err e;

	(void)state;
	assert_non_null(mkdtemp(dir));
	pa = proctrack_run_new(PROCTRACK_AUTO, "00000000-0000-4000-8000-000000000001", &e);
	pb = proctrack_run_new(PROCTRACK_AUTO, "00000000-0000-4000-8000-000000000002", &e);
	assert_non_null(pa);
	assert_non_null(pb);
	oa.procs = pa;
	ob.procs = pb;
	ob.wf = wb;
	ea = engine_new(&oa, &e);
	eb = engine_new(&ob, &e);
	assert_non_null(ea);
	assert_non_null(eb);
	assert_int_equal(engine_start(ea, ra, NULL, 1, "00000000-0000-4000-8000-000000000001", &e), 0);
	assert_int_equal(engine_start(eb, rb, NULL, 2, "00000000-0000-4000-8000-000000000002", &e), 0);
	/* Small rings: each engine must wait for its own gate. */
	while (!sa.ended || !sb.ended) {
		drain(&sa);
		drain(&sb);
	}
	assert_int_equal(engine_join(ea), RUN_SUCCEEDED);
	assert_int_equal(engine_join(eb), RUN_FAILED);
	assert_false(sa.foreign);
	assert_false(sb.foreign);
	assert_int_equal(sa.steps_done, 2);
	assert_int_equal(sb.steps_done, 3);
	assert_int_equal(sa.lines, 3001);
	assert_int_equal(sb.lines, 501);
	assert_string_equal(sa.last_line, "a-done");
	assert_string_equal(sb.last_line, "b-z");
	engine_free(ea);
	engine_free(eb);
	proctrack_run_free(pa);
	proctrack_run_free(pb);
	ring_reader_free(sa.gate);
	ring_reader_free(sb.gate);
	ring_free(ra);
	ring_free(rb);
	cJSON_Delete(args);
	wf_free(wa);
	wf_free(wb);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_runs_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
