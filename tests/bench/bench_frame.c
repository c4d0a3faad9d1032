/* bench_frame.c - CPU time to open a workflow's run view (load and lay
 * out its graph) and to draw one frame of it, through the console's own
 * code and the view's own hooks, into a curses screen whose output goes
 * to /dev/null; with -d, the same for the dashboard over it.
 *
 *   bench_frame [-d PAST] FILE [COLS ROWS]
 *
 * The run is recorded in a scratch history, and its events reach it as
 * they do a run of another process: a store writer commits them and the
 * view follows the history.  Prints the open time once and the mean CPU
 * time of the console's thread per frame over many frames of a live run:
 * each frame a few steps change status, the view takes them in, and the
 * selection walks the graph (the j key) so the viewport moves.  Budget
 * (DESIGN.md): 2 ms per frame of a 1,000-step graph.
 *
 * -d PAST records PAST ended runs of the workflow first, through the same
 * writer (every step ran, for a time of its own), and measures the
 * dashboard over the run view instead: its open reads their history; each
 * frame a few steps change status, as above, some of them finishing, and
 * j scrolls its table.  A finished step has the history read again at
 * most once a second, never per frame (the frames here take less than
 * one): what each read costs is the open's figure.
 */
#include "config.h"

#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "glyph.h"
#include "ring.h"
#include "store.h"
#include "theme.h"
#include "ui.h"
#include "wf.h"

#define OPENS 20

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A step's status changes, as the executor would say it. */
static void
step_event(struct ring *ring, size_t step, enum step_status status)
{
	struct event ev = { .type = EV_STEP, .status = (uint8_t)status, .step = (int32_t)step,
	    .attempt = 1, .exit_code = -1, .ts = event_now() };

	if (ring_put(ring, &ev) < 0) {
		fprintf(stderr, "bench_frame: the ring is full\n");
		exit(1);
	}
}

/* The workflow recorded as a run of a scratch history: its number. */
static int64_t
record(struct store *s, const struct workflow *wf)
{
	struct store_step_info *si = calloc(wf->n_steps + 1, sizeof *si);
	struct store_run_info ri = { .workflow = wf->name, .file = wf->file, .text = wf->text,
	    .text_len = wf->text_len, .args_json = "{}", .user = "bench", .host = "bench",
	    .pid = (int)getpid(), .steps = si, .n_steps = wf->n_steps };
	char uuid[37];
	struct err e;
	int64_t run;

	for (size_t i = 0; i < wf->n_steps; i++) {
		si[i].id = wf->steps[i].id;
		si[i].section = wf_section_name(wf->steps[i].section);
		si[i].kind = wf_kind_name(wf->steps[i].body.kind);
	}
	store_new_uuid(uuid);
	if (store_run_create(s, &ri, uuid, &run, &e) < 0) {
		fprintf(stderr, "bench_frame: %s\n", e.msg);
		exit(1);
	}
	free(si);
	return run;
}

/* PAST runs of wf that ended, as a writer stores a run's events: each
 * step of run r takes a time of its own that varies from run to run, and
 * the run ends with its longest step. */
static void
record_past(struct store *s, const struct workflow *wf, int past)
{
	for (int r = 0; r < past; r++) {
		struct ring *ring = ring_new(8 << 20);
		struct ring_reader *gate = ring_reader_new(ring, true);
		int64_t run = record(s, wf), t0 = event_now(), longest = 0;
		struct store_writer *w = store_writer_start(s, run, gate, NULL, NULL);
		struct event end = { .type = EV_RUN_END, .status = RUN_SUCCEEDED, .step = -1,
		    .exit_code = 0 };
		struct err e;

		for (size_t i = 0; i < wf->n_steps; i++) {
			int64_t took = (int64_t)(100 + i * 37 % 900 + (size_t)r * 13 % 50) * 1000;
			struct event ev = { .type = EV_STEP, .status = ST_RUNNING,
			    .step = (int32_t)i, .attempt = 1, .exit_code = -1, .ts = t0 };

			if (ring_put(ring, &ev) < 0)
				goto full;
			ev.status = ST_SUCCEEDED;
			ev.exit_code = 0;
			ev.ts = t0 + took;
			if (ring_put(ring, &ev) < 0)
				goto full;
			if (took > longest)
				longest = took;
		}
		end.ts = t0 + longest;
		if (ring_put(ring, &end) < 0)
			goto full;
		ring_close(ring);
		if (store_writer_join(w, &e) < 0) {
			fprintf(stderr, "bench_frame: %s\n", e.msg);
			exit(1);
		}
		ring_reader_free(gate);
		ring_free(ring);
	}
	return;
full:
	fprintf(stderr, "bench_frame: the ring is full\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	struct diags d = DIAGS_INIT;
	struct workflow *wf;
	struct ring *ring = ring_new(64 << 20);
	struct ring_reader *gate = ring_reader_new(ring, true);
	struct store_writer *w;
	struct store *s;
	char dir[] = "/tmp/drover-bench-frame.XXXXXX", db[64];
	int64_t run;
	struct ui ui;
	struct err e;
	SCREEN *scr;
	FILE *out;
	void *st;
	double t0, open_ms, frame_ms;
	const struct view_ops *view = &view_run;
	int past = 0, cols, rows, frames = 500;
	size_t n;

	if (argc > 2 && strcmp(argv[1], "-d") == 0) {
		view = &view_dash;
		past = atoi(argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: bench_frame [-d PAST] FILE [COLS ROWS]\n");
		return 2;
	}
	cols = argc > 3 ? atoi(argv[2]) : 200;
	rows = argc > 3 ? atoi(argv[3]) : 50;
	setlocale(LC_ALL, "C.UTF-8");
	if ((wf = wf_load_file(argv[1], &d)) == NULL) {
		diags_print(&d, stderr);
		return 2;
	}
	n = wf->n_steps;
	if (mkdtemp(dir) == NULL) {
		perror("bench_frame: mkdtemp");
		return 1;
	}
	snprintf(db, sizeof db, "%s/history.db", dir);
	if ((s = store_open(db, false, &e)) == NULL) {
		fprintf(stderr, "bench_frame: %s\n", e.msg);
		return 1;
	}
	record_past(s, wf, past);
	run = record(s, wf);
	w = store_writer_start(s, run, gate, NULL, NULL);
	memset(&ui, 0, sizeof ui);
	ui.st = store_open(db, true, &e);
	ui.o.run = run;

	setenv("TERM", "xterm-256color", 1);
	out = fopen("/dev/null", "w");
	scr = newterm(NULL, out, stdin);
	set_term(scr);
	resizeterm(rows, cols);
	glyph_init(false);
	start_color();
	theme_apply(theme_builtin(), DEPTH_256);

	/* Opening the run view loads the console's copy of the workflow and
	 * lays its graph out, once per run; the dashboard over it reads the
	 * workflow's history. */
	if (view == &view_dash && ui_view_open(&ui, &view_run, &run, &e) < 0) {
		fprintf(stderr, "bench_frame: %s\n", e.msg);
		return 1;
	}
	t0 = cpu_ms();
	for (int i = 0; i < OPENS; i++) {
		if ((st = view->open(&ui, &run, &e)) == NULL) {
			fprintf(stderr, "bench_frame: %s\n", e.msg);
			return 1;
		}
		view->close(st);
	}
	open_ms = (cpu_ms() - t0) / OPENS;
	if (ui_view_open(&ui, view, &run, &e) < 0) {
		fprintf(stderr, "bench_frame: %s\n", e.msg);
		return 1;
	}
	st = ui.views[ui.n_views - 1].st;

	t0 = cpu_ms();
	for (int f = 0; f < frames; f++) {
		/* A live run: a few steps change, the selection moves on. */
		for (int k = 0; k < 5; k++)
			step_event(ring, (size_t)(f * 5 + k) % n,
			    (enum step_status)((f + k) % (ST_CANCELLED + 1)));
		/* Once the history has them, asked for as the executor asks
		 * (the writer's time is not counted: nor is this thread's wait). */
		while (!ring_want_commit(ring, (uint64_t)(f + 1) * 5)) {
			struct pollfd pfd = { .fd = ring_commit_fd(ring), .events = POLLIN };

			poll(&pfd, 1, -1);
		}
		view->tick(&ui, st, event_now());
		keys_dispatch(&ui, 'j');
		view->draw(&ui, st, 1, rows - 3);
		wnoutrefresh(stdscr);
		doupdate();
	}
	frame_ms = (cpu_ms() - t0) / frames;
	endwin();
	delscreen(scr);
	fclose(out);
	if (view == &view_dash)
		printf("dashboard of %zu steps, %d past runs: open %.2f ms, frame %.3f ms CPU at "
		    "%dx%d (budget 2 ms)\n", n, past, open_ms, frame_ms, cols, rows);
	else
		printf("graph of %zu steps: open %.2f ms, frame %.3f ms CPU at %dx%d "
		    "(budget 2 ms)\n", n, open_ms, frame_ms, cols, rows);
	while (ui.n_views > 0)
		ui_view_pop(&ui, false);
	ring_close(ring);
	store_writer_join(w, &e);
	ring_reader_free(gate);
	ring_free(ring);
	store_close(ui.st);
	store_close(s);
	unlink(db);
	snprintf(db, sizeof db, "%s/history.db-wal", dir);
	unlink(db);
	snprintf(db, sizeof db, "%s/history.db-shm", dir);
	unlink(db);
	snprintf(db, sizeof db, "%s/history.db-locks", dir);
	rmdir(db);
	rmdir(dir);
	wf_free(wf);
	diags_fini(&d);
	return 0;
}
