/* rx.h - the receive thread of one partition (DESIGN.md §2-3).
 *
 * One rx thread per partition, pinned. It owns its batch pool and the producer
 * side of its ring to the shard. For the replay source it reads its partition of
 * the capture into batches; for Event Hubs (issue 5) it will own a proton
 * connection and grant link credit from free batches. When the pool is empty
 * the thread stops reading (backpressure) and parks until a batch comes home.
 */
#ifndef SLUICE_RX_H
#define SLUICE_RX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "capture.h"
#include "cfg.h"
#include "compiler.h"
#include "park.h"
#include "ring.h"

struct rx {
    /* control -> rx */
    _Atomic int stop;              /* 1: stop reading, push what is buffered, finish */
    _Atomic int64_t persisted;     /* seq of the last persisted checkpoint; -1 none */
    _Atomic int shards_done;       /* 1: every shard has exited; all batches must be home */
    /* rx -> control */
    _Atomic int finished;          /* 1: nothing more will be pushed (end, stop or error) */
    _Atomic int64_t last_pushed;   /* seq of the last message pushed; -1 none */
    _Atomic uint64_t messages;     /* progress, single writer */
    _Atomic uint64_t bytes;
    _Atomic int want_persist;      /* 1: reading waits for a checkpoint (--inflight-bytes) */
    _Atomic uint64_t inflight_waits; /* times reading waited for one (single writer) */
    int err;                       /* 0 or the error that ended reading (read after finished) */
    int64_t cpu_ns;                /* CPU time of the thread (read after join) */
    uint32_t lost_batches;         /* batches that never came home (read after join; a bug) */
    /* configuration, set before rx_start */
    uint32_t partition;
    int cpu;                       /* CPU to pin to or -1 */
    int64_t start_after;           /* resume after this seq (checkpoint), -1: from the start */
    const struct run_cfg *cfg;
    const struct capture *cap;
    struct ring *ring;             /* to the shard; this thread is the producer */
    struct park *shard_park;       /* woken after each push */
    struct park park;              /* this thread parks here; pool_put wakes it */
    pthread_t thr;
};

/* Start the thread. 0 or -errno. @thread control */
int rx_start(struct rx *r) MUST_CHECK;
/* Wait for the thread (it exits once every batch it lent is home). @thread control */
int rx_join(struct rx *r);

#endif
