/* source.h - where a console's events come from.
 *
 * A run in this process hands the console a reader of its ring; a run of
 * another process, or a finished one, is followed through the history
 * (re-read only when the database changed); a replay plays a finished
 * run's events again at their own pace, sped up or slowed down.  The
 * console polls its source and folds what it gets into its model.
 */
#ifndef DROVER_SOURCE_H
#define DROVER_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct model;
struct ring_reader;
struct store;

struct source;

/* Borrowed: the reader and the store outlive the source. */
struct source *source_ring(struct ring_reader *rd, struct store *st);
struct source *source_history(struct store *st);
/* NULL with e set when the run's events cannot be read. */
struct source *source_replay(struct store *st, int64_t run, double speed, struct err *e);
void source_free(struct source *src);

/* An fd to poll for input, or -1. */
int source_fd(const struct source *src);
/* In how many ms the source wants to be polled again (-1: only when its
 * fd is readable, or never). */
int source_timeout_ms(const struct source *src, const struct model *m);
/* Folds in what is available now; 1 when there is something new to
 * show: the model changed, or (a run of another process) the history did,
 * as new log lines do; 0 when not; -1 with e set when the history could
 * not be read. */
int source_poll(struct source *src, struct model *m, struct err *e);
/* A run of this process that was given up unrecorded (engine_abandoned):
 * the console must go, so the process can exit. */
bool source_abandoned(const struct source *src);
/* Counts the polls that had something new: a view compares it with what
 * it last read. */
unsigned source_changes(const struct source *src);
/* The newest log chunk (by seq) a view may show: for a replay the log as
 * it was at the replayed moment (the model's last event), for the others
 * everything the history has. */
uint64_t source_log_until(const struct source *src, const struct model *m);
/* The time a view shows the run at: a replay's clock (the replayed
 * moment), else now. */
int64_t source_now(const struct source *src);
/* Paused, a source holds its events (a replay also stops its clock). */
void source_pause(struct source *src, bool paused);
bool source_paused(const struct source *src);
/* A replay: how far it got, 0..1; -1 for other sources. */
double source_progress(const struct source *src);

#endif
