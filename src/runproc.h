/* runproc.h - a run in a process of its own, which outlives the terminal
 * that started it.
 *
 *   drover run (foreground) ── fork ── setsid, fork ──► run process: runner_run
 *        │                                                 │ stdin /dev/null,
 *        │◄──────── ready pipe: its messages, then ────────┤ stdout and (once ready)
 *        │          "run N is served", or its exit status  │ stderr to the run's log
 *        ▼                                                 ▼
 *   console attaches (ctl.h), or --detach prints N     exits when the run has
 *                                                      ended and its history
 *                                                      is committed
 *
 * The run process is forked before any thread exists, and forked twice:
 * the one in between leaves at once, so the run process belongs to no
 * terminal's session and no parent waits for it.  Before it is ready its
 * error messages come through the pipe and are printed here as they
 * arrive, so a run that cannot start says why at once, as in the
 * foreground.  The run's log is LOGDIR/UUID.log, where LOGDIR is the
 * "runs" directory beside the history (0700), each log 0600.
 */
#ifndef DROVER_RUNPROC_H
#define DROVER_RUNPROC_H

#include <stdbool.h>
#include <stdint.h>

struct cmd_console;
struct runner_opts;

/* Starts the run o describes in its own process: a new run (o->uuid NULL:
 * it gets one here), a retry, or a resume (whose lock, o->lock, passes to
 * the run process: this one lets go of it in any case).  EXIT_OK with
 * *run set once the run is recorded and its control socket serves it;
 * else drover's exit status for why not, after printing it. */
int runproc_start(struct runner_opts *o, int64_t *run);

/* What run, resume and retry do with a run they have prepared: with
 * --detach, start it in its own process and print its number; on a
 * terminal the console can use (unless no_tui or o->json), start it there
 * and attach the console; else run it in this process with the line
 * printer.  Returns drover's exit status. */
int runproc_go(const struct cmd_console *console, struct runner_opts *o, bool detach,
    bool no_tui);

#endif
