/* ring.h - the event ring: a bounded, in-memory queue of a run's events
 * with one producer and many readers.
 *
 *   executor --ring_put--> [ ring: tail ... durable ... head ]
 *                              |                     |
 *                gate reader (history writer)   other readers (viewers)
 *
 * Events are stored as records (header + payload) in one circular byte
 * buffer; each gets the next sequence number.  Exactly one reader is the
 * gate: the producer never overwrites a record the gate has not read, so
 * the gate sees every event (when it falls behind, ring_put refuses and the
 * producer must wait: back-pressure, never loss).  The gate marks events
 * durable with ring_commit once it has stored them; every other reader only
 * sees durable events, so nothing is shown before it is in the history.
 * Other readers never slow the producer: one that falls so far behind that
 * its next event was overwritten gets RING_LAPPED and is moved to the
 * oldest event still held; what it missed is in the history.
 *
 * All functions are thread-safe; one thread produces, each reader is used
 * by one thread at a time.
 */
#ifndef DROVER_RING_H
#define DROVER_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct ring;
struct ring_reader;

/* A ring holding capacity bytes of records (at least 64 KiB).  Free with
 * ring_free, after every reader was freed. */
struct ring *ring_new(size_t capacity);
/* The same, numbering events from first_seq (a resumed run goes on from
 * where its history ends). */
struct ring *ring_new_at(size_t capacity, uint64_t first_seq);
void ring_free(struct ring *r);

/* The largest payload one event may carry. */
size_t ring_max_payload(const struct ring *r);

/* Appends a copy of ev (header and payload) and sets ev->seq: the ring's
 * next number, which then moves on by event_span(ev).  Returns -1,
 * appending nothing, when the gate has not yet freed enough room; the
 * producer then waits for ring_room_fd to become readable.  ev->len must
 * not exceed ring_max_payload. */
int ring_put(struct ring *r, struct event *ev);
/* Bytes that can be put now. */
size_t ring_room(const struct ring *r);
/* An eventfd that becomes readable when the gate frees room; the producer
 * reads it (to clear it) before trying again. */
int ring_room_fd(const struct ring *r);
/* The producer is done: readers get RING_END once they have read
 * everything. */
void ring_close(struct ring *r);

enum ring_rc { RING_EVENT, RING_EMPTY, RING_LAPPED, RING_END };

/* A reader starting at the oldest event still held.  gate: this is the
 * ring's one gate reader (at most one).  Free with ring_reader_free,
 * before the ring. */
struct ring_reader *ring_reader_new(struct ring *r, bool gate);
void ring_reader_free(struct ring_reader *rd);

/* The next event, waiting up to timeout_ms (0: do not wait, -1: forever).
 * ev->data points into the reader's own buffer and stays valid until the
 * next call.  RING_LAPPED: events were lost to this reader; it now stands
 * at the oldest event held, ring_reader_seq tells which. */
enum ring_rc ring_read(struct ring_reader *rd, struct event *ev, int timeout_ms);
/* The sequence number of the next event this reader will get. */
uint64_t ring_reader_seq(const struct ring_reader *rd);
/* An eventfd that becomes readable when there may be something new for
 * this reader (for poll loops); ring_read clears it. */
int ring_reader_fd(struct ring_reader *rd);

/* Gate only: every event up to and including seq is stored; other readers
 * may now see them.  seq is the last number the last stored event took
 * (a log chunk of n lines takes n numbers, see event_span): commits fall
 * between events, never inside a chunk. */
void ring_commit(struct ring_reader *gate, uint64_t seq);

/* Gate only: whether the producer waits for the commit of an event the
 * gate has read (a step that starts once its "running" event is stored).
 * ring_read of the gate returns RING_EMPTY at once while it does, however
 * long it was told to wait, so that the gate commits then and otherwise
 * gathers events into fewer, bigger commits. */
bool ring_commit_owed(struct ring_reader *gate);

/* For the producer, who acts only on what the history has: the last number
 * committed; an eventfd that becomes readable once committed reaches the
 * number ring_want_commit last asked for (which returns true, asking
 * nothing, when it already has). */
uint64_t ring_committed(struct ring *r);
/* The number the next event put will get. */
uint64_t ring_next_seq(struct ring *r);
int ring_commit_fd(const struct ring *r);
bool ring_want_commit(struct ring *r, uint64_t seq);

/* Gives up on the rest (the process is going away): every reader, the
 * gate included, gets RING_END at once.  Nothing may be put after it. */
void ring_abandon(struct ring *r);
/* Whether the ring of rd was abandoned. */
bool ring_reader_abandoned(struct ring_reader *rd);

#endif
