/* tracker.h - per-partition checkpoint tracker (DESIGN.md §6, STYLE.md §7.8).
 *
 * DESIGN
 * The shard that serves a partition is the single writer of its tracker. Each
 * write it submits covers one contiguous range of that partition's messages
 * [first, last]. Ranges are registered with tracker_begin() in the order the
 * shard read them (increasing seq, gaps allowed: retention can remove sequence
 * numbers, and a restart resumes after the checkpoint). Completions arrive in
 * any order through tracker_done(). The watermark advances only over the
 * longest prefix of registered ranges that are all done, so it never passes a
 * range that is not durable:
 *
 *   head                                  tail          (ring of TRACKER_SLOTS)
 *    v                                     v
 *   [A done][B ....][C done][D done][E ...]        watermark = A.last
 *   B completes -> watermark jumps to D.last; E still pending.
 *
 * Publication to the control thread uses a seqlock whose fields are all
 * atomics (TSan-clean): the writer bumps `ver` to odd, stores seq/offset/time
 * relaxed, then bumps `ver` to even with release; the reader retries until it
 * sees the same even version before and after (acquire loads + acquire fence).
 */
#ifndef SLUICE_TRACKER_H
#define SLUICE_TRACKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

#define TRACKER_SLOTS   1024u /* ranges in flight per partition; a power of two */
#define TRACKER_OFF_MAX 31u   /* longest offset string kept (Event Hubs: int64 decimal) */

struct tracker_range {
    int64_t first, last;
    char off[TRACKER_OFF_MAX + 1]; /* offset of `last`, NUL-terminated */
    uint8_t done;
};

struct tracker_mark { /* the published watermark (seqlock) */
    _Atomic uint64_t ver;
    _Atomic int64_t seq;        /* -1: nothing durable yet */
    _Atomic int64_t updated_ms; /* wall clock when seq last moved */
    _Atomic uint64_t off_w[(TRACKER_OFF_MAX + 1) / 8];
};

struct tracker {
    /* shard-owned */
    uint32_t head, tail; /* free-running; tail - head ranges pending */
    int64_t hi;          /* last seq registered (or the start watermark) */
    int64_t wm;          /* watermark as the shard sees it */
    struct tracker_range r[TRACKER_SLOTS];
    /* control-readable */
    struct tracker_mark mark CACHE_ALIGNED;
};

/* Start at `seq` (the persisted checkpoint; -1 for none) with its offset.
 * @thread control (before the shard starts) */
void tracker_init(struct tracker *t, int64_t seq, const char *off);

/* Register [first, last] whose last message has offset `off`. Returns a token
 * (>= 0) for tracker_done, -EAGAIN when TRACKER_SLOTS ranges are pending
 * (backpressure: complete some first), -EALREADY when last <= the last seq
 * already registered (a duplicate; nothing registered), ERR_ORDER when the range
 * overlaps it or first > last. @thread shard (owner) @hot */
int tracker_begin(struct tracker *t, int64_t first, int64_t last, const char *off,
                  size_t off_len) MUST_CHECK;

/* Mark a registered range durable. Returns true when the watermark moved.
 * A token that is not pending (already done, or never issued) is ignored and
 * returns false. @thread shard (owner) @hot */
bool tracker_done(struct tracker *t, uint32_t token);

/* Ranges registered and not yet passed by the watermark. @thread shard */
static inline uint32_t tracker_pending(const struct tracker *t) { return t->tail - t->head; }

/* Read the published watermark. @thread any (control) */
void tracker_read(const struct tracker *t, int64_t *seq, char off[TRACKER_OFF_MAX + 1],
                  int64_t *updated_ms);

#endif
