/* shard.h - the shard thread: rings in, normalize, encode, hand to the spool
 * (DESIGN.md §1, §4; STYLE.md §7).
 *
 * A shard serves a fixed set of partitions (p mod N == index). It is the single
 * consumer of their rx rings, the single writer of their checkpoint trackers, and
 * the owner of its JSON parser, output buffers, LZ4 context, io_uring and spool
 * segment. The control thread talks to it only through `stop` (drain and exit)
 * and reads its progress counters; everything else is read after join.
 */
#ifndef SLUICE_SHARD_H
#define SLUICE_SHARD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "norm.h"
#include "park.h"
#include "ring.h"
#include "spool.h"
#include "tracker.h"

/* One partition served by a shard. */
struct shard_part {
    uint32_t partition;
    struct ring *ring;    /* rx -> shard; this shard is the consumer */
    struct tracker *trk;  /* this shard is the writer */
    struct park *rx_park; /* unused by the shard today; rx parks on its pool */
};

/* Progress, written by the shard with relaxed stores (single writer), read by
 * control for progress lines. */
struct shard_progress {
    _Atomic uint64_t batches;
    _Atomic uint64_t records;
    _Atomic uint64_t events;
    _Atomic uint64_t dead;
    _Atomic uint64_t bytes_in;
    _Atomic uint64_t durable_batches;
} CACHE_ALIGNED;

struct shard {
    /* control -> shard */
    _Atomic int stop;          /* 1: no more input will come; drain the rings, close, exit */
    struct park park;          /* the shard parks here; rx threads wake it after a push */
    /* shard -> control */
    struct shard_progress prog;
    _Atomic int finished;      /* 1 once the shard has closed its spool (or failed) */
    /* results, valid after shard_join */
    int err;                   /* 0 or the first fatal error */
    struct norm_stats stats;
    struct spool_stats sstats;
    uint64_t untracked;        /* batches written without tracking (duplicate/overlap) */
    int64_t cpu_ns;            /* CPU time the shard thread used (CLOCK_THREAD_CPUTIME_ID) */
    /* configuration, set before shard_start */
    uint32_t index;
    int cpu;                   /* CPU to pin to, or -1 */
    struct spool_cfg spool_cfg;
    struct norm_cfg norm_cfg;
    struct shard_part *parts;
    uint32_t nparts;
    pthread_t thr;
};

/* Start the shard thread. 0 or -errno. @thread control */
int shard_start(struct shard *s) MUST_CHECK;
/* Wait for the thread; returns s->err. @thread control @blocking */
int shard_join(struct shard *s);

#endif
