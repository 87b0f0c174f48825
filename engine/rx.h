/* rx.h - the receive thread of one partition (DESIGN.md §2-3).
 *
 * One rx thread per partition, pinned. It owns its batch pool and the producer
 * side of its ring to the shard. For the replay source it reads its partition of
 * the capture into batches; for Event Hubs it owns an io/eh_rx.h receiver (its
 * own proton proactor and connection) and grants link credit from free batches.
 * When the pool is empty the thread stops reading (backpressure: no credit for
 * Event Hubs) and waits until a batch comes home.
 */
#ifndef SLUICE_RX_H
#define SLUICE_RX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "capture.h"
#include "cfg.h"
#include "compiler.h"
#include "eh_auth.h"
#include "eh_rx.h"
#include "park.h"
#include "ring.h"

/* What every eventhub rx thread shares, read-only once threads start (control
 * writes it before). Secrets live here and nowhere else. */
struct rx_eh_src {
    struct eh_rx_cfg tmpl;     /* host, port, tls, hub, cg, owner level, prefetch, token */
    struct eh_source source;   /* credentials (SECRET), tmpl's token context */
};

/* Fill src (credentials, and tmpl: host, port, tls, hub, consumer group, owner
 * level, prefetch, start, token over src->source: eh_source_init) from the
 * eventhub flags of c: the connection string from $c->conn_env, or Entra ID with
 * --namespace.
 * Shared by `sluice run --source eventhub` and `sluice check`. 0, or -EINVAL
 * with a one-line reason and fix in why (never a secret). @thread control */
int rx_eh_source_init(const struct run_cfg *c, struct rx_eh_src *src, char *why, size_t n) MUST_CHECK;

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
    const struct rx_eh_src *eh;    /* eventhub: shared source; NULL for replay */
    char eh_partition[32];         /* eventhub: partition id */
    bool eh_skip;                  /* eventhub: partition not selected: finish at once */
    int64_t until_seq;             /* eventhub --until-caught-up: done once this seq is
                                      pushed (last enqueued at start); -1: nothing to read */
    _Atomic int eh_status;         /* eventhub: enum eh_status, rx -> control */
    _Atomic uint64_t eh_reconnects;            /* eventhub: rx -> control */
    _Atomic uint64_t eh_tokens;                /* eventhub: CBS tokens put (first and renewals) */
    _Atomic uint64_t eh_by_status[EH_ST__COUNT]; /* eventhub: detaches/closes per condition */
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
