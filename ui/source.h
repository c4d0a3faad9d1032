/* source.h - where a console's events come from.
 *
 * A live run is attached to through its process's control socket (ctl.h):
 * a snapshot, then every event as the history gets it.  A finished run,
 * or one whose process cannot be reached, is followed through the history
 * (re-read only when the database changed), and so is a live run whose
 * socket goes away.  A replay plays a finished run's events again at their
 * own pace, sped up or slowed down.  The console polls its source and
 * folds what it gets into its model.
 */
#ifndef DROVER_SOURCE_H
#define DROVER_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"

struct model;
struct store;

struct source;

/* Borrowed: the store outlives the source.  source_socket attaches to the
 * process of the run with this UUID; NULL with e set when it cannot. */
struct source *source_socket(struct store *st, const char *runtime_dir, const char *uuid,
    struct err *e);
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
/* Attached to the run's process: it can be asked to cancel the run,
 * -1 with e set when the request cannot be sent; the answer comes as
 * source_reply (the latest reply's message, or ""). */
bool source_live(const struct source *src);
int source_cancel(struct source *src, bool force, struct err *e);
const char *source_reply(const struct source *src);
/* Sends a decision on step's gate (source_reply gets the answer): a
 * comment, inputs (an object, or NULL), and the hash of what the gate
 * showed (or NULL); -1 with e set when it cannot be sent. */
int source_decide(struct source *src, const char *step, bool approve, const char *comment,
    const cJSON *inputs, const char *hash, struct err *e);
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
