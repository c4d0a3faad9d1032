/* bench_frame.c - CPU time to lay out a workflow's graph and to draw one
 * frame of the run view, through the console's own code, into a curses
 * screen whose output goes to /dev/null.
 *
 *   bench_frame FILE [COLS ROWS]
 *
 * Prints the layout time once and the mean CPU time of a frame over many
 * frames in which a few steps change status (a live run), with the
 * selection walking the graph so the viewport moves.  Budget (DESIGN.md):
 * 2 ms per frame of a 1,000-step graph.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "glyph.h"
#include "model.h"
#include "source.h"
#include "store.h"
#include "theme.h"
#include "ui.h"
#include "wf.h"

#define LAYOUTS 19

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	struct diags d = DIAGS_INIT;
	struct workflow *wf;
	struct model m;
	struct ui ui;
	struct err e;
	SCREEN *scr;
	FILE *out;
	double t0, layout_ms, frame_ms;
	int cols = argc > 3 ? atoi(argv[2]) : 200, rows = argc > 3 ? atoi(argv[3]) : 50;
	int frames = 500;
	size_t n;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_frame FILE [COLS ROWS]\n");
		return 2;
	}
	setlocale(LC_ALL, "C.UTF-8");
	memset(&ui, 0, sizeof ui);
	ui.st = store_open("/nonexistent/drover-bench.db", true, &e);

	/* Opening the run view lays the graph out, once per run. */
	layout_ms = 0;
	for (int i = 0; i < LAYOUTS + 1; i++) {
		if ((wf = wf_load_file(argv[1], &d)) == NULL) {
			diags_print(&d, stderr);
			return 2;
		}
		model_init(&m, wf, 1);
		t0 = cpu_ms();
		ui.rv = run_view_new(&m, source_history(ui.st));
		layout_ms += cpu_ms() - t0;
		if (i < LAYOUTS)
			run_view_free(ui.rv);	/* the last one is drawn below */
	}
	layout_ms /= LAYOUTS + 1;
	n = wf->n_steps;

	setenv("TERM", "xterm-256color", 1);
	out = fopen("/dev/null", "w");
	scr = newterm(NULL, out, stdin);
	set_term(scr);
	resizeterm(rows, cols);
	glyph_init(false);
	start_color();
	theme_apply(theme_builtin(), DEPTH_256);

	ui.rv->m.started_us = event_now();
	ui.view = VIEW_RUN;

	t0 = cpu_ms();
	for (int f = 0; f < frames; f++) {
		/* A live run: a few steps change, the selection moves on. */
		for (int k = 0; k < 5; k++) {
			size_t s = (size_t)(f * 5 + k) % n;

			ui.rv->m.steps[s].status = (enum step_status)((f + k) % (ST_CANCELLED + 1));
			ui.rv->m.steps[s].started_us = ui.rv->m.started_us;
		}
		run_view_select(&ui, (size_t)f * 7 % n);
		run_view_draw(&ui, 1, rows - 3);
		wnoutrefresh(stdscr);
		doupdate();
	}
	frame_ms = (cpu_ms() - t0) / frames;
	endwin();
	delscreen(scr);
	fclose(out);
	printf("graph of %zu steps: layout %.2f ms, frame %.3f ms CPU at %dx%d "
	    "(budget 2 ms)\n", n, layout_ms, frame_ms, cols, rows);
	run_view_free(ui.rv);
	store_close(ui.st);
	diags_fini(&d);
	return 0;
}
