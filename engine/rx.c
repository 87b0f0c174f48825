/* rx.c - replay rx thread: one partition of a capture into batches.
 *
 * DESIGN
 *   pool_get -> fill from capture_reader_next until the batch is full or the
 *   partition ends -> ring push (ownership moves to the shard) -> wake shard.
 * The ring has room for every batch of the pool, so a push never fails: the
 * pool is the only bound on what is in flight (backpressure: when no batch is
 * home the thread parks; the shard's pool_put wakes it).
 * After the last push the thread waits until every batch is home before it
 * frees the pool, because the memory came from its own arena.
 * A message larger than an empty batch is a configuration error, reported with
 * the fix (--batch-bytes); nothing is skipped silently.
 */
#include "rx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "clock.h"
#include "cpu.h"
#include "err.h"
#include "log.h"
#include "mem.h"
#include "pool.h"

#define RX_SPIN 128
#define RX_PARK_MS 20
#define RX_HOME_WAIT_MS 5000
#define RX_INFLIGHT_SLOTS 1024 /* batches remembered beyond the persisted checkpoint */

/* Batches pushed but not yet covered by a persisted checkpoint, oldest first:
 * (last seq, bytes read up to and including it). A fixed ring: when it is full
 * reading waits as if the byte bound were reached. */
struct inflight {
    int64_t seq[RX_INFLIGHT_SLOTS];
    uint64_t upto[RX_INFLIGHT_SLOTS];
    uint32_t head, tail; /* free-running */
    uint64_t read;       /* bytes read so far (pushed batches) */
    uint64_t acked;      /* bytes covered by the persisted checkpoint */
};

static void bump(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static void push(struct rx *r, struct batch *b, struct inflight *fl)
{
    void *o = b;
    int64_t last = b->last_seq;
    uint64_t n = b->count, bytes = b->bytes;
    unsigned ok = ring_push_burst(r->ring, &o, 1);
    if (UNLIKELY(ok != 1)) {
        /* cannot happen: the ring holds the whole pool */
        log_err("rx: ring full, pool larger than ring partition=%u", r->partition);
        abort();
    }
    park_wake(r->shard_park);
    atomic_store_explicit(&r->last_pushed, last, memory_order_relaxed);
    bump(&r->messages, n);
    bump(&r->bytes, bytes);
    if (!fl)
        return;
    fl->read += bytes;
    if (fl->head - fl->tail < RX_INFLIGHT_SLOTS) { /* else wait_persisted() holds reading */
        fl->seq[fl->head % RX_INFLIGHT_SLOTS] = last;
        fl->upto[fl->head % RX_INFLIGHT_SLOTS] = fl->read;
        fl->head++;
    }
}

/* --inflight-bytes: wait while the bytes read beyond the persisted checkpoint
 * reach the bound (or the ring of batches is full), asking control to persist.
 * Returns false when asked to stop. */
static bool wait_persisted(struct rx *r, struct inflight *fl)
{
    uint64_t bound = r->cfg->inflight_bytes;
    bool waited = false;
    for (;;) {
        int64_t done = atomic_load_explicit(&r->persisted, memory_order_acquire);
        while (fl->tail != fl->head && fl->seq[fl->tail % RX_INFLIGHT_SLOTS] <= done) {
            fl->acked = fl->upto[fl->tail % RX_INFLIGHT_SLOTS];
            fl->tail++;
        }
        if (fl->tail == fl->head)
            fl->acked = fl->read;
        if (fl->read - fl->acked < bound && fl->head - fl->tail < RX_INFLIGHT_SLOTS)
            return true;
        if (atomic_load_explicit(&r->stop, memory_order_relaxed))
            return false;
        if (!waited) {
            waited = true;
            bump(&r->inflight_waits, 1);
        }
        atomic_store_explicit(&r->want_persist, 1, memory_order_relaxed);
        park_prepare(&r->park);
        if (atomic_load_explicit(&r->persisted, memory_order_acquire) != done) {
            park_cancel(&r->park);
            continue;
        }
        park_wait(&r->park, RX_PARK_MS);
    }
}

/* Get a free batch, parking while none is home. NULL when asked to stop. */
static struct batch *get_batch(struct rx *r, struct pool *p)
{
    unsigned spins = 0;
    for (;;) {
        struct batch *b = pool_get(p);
        if (b) {
            batch_reset(b, r->partition);
            return b;
        }
        if (atomic_load_explicit(&r->stop, memory_order_relaxed))
            return NULL;
        if (++spins < RX_SPIN) {
            cpu_relax();
            continue;
        }
        park_prepare(&r->park);
        if (pool_home(p)) {
            park_cancel(&r->park);
            continue;
        }
        park_wait(&r->park, RX_PARK_MS);
    }
}

/* Returns 0 or the error that ended reading. *held is an empty batch the
 * thread still holds (the owner may not push to its own free ring), or NULL. */
static int read_loop(struct rx *r, struct pool *pool, struct capture_reader *rd,
                     struct batch **held)
{
    struct inflight *fl = NULL;
    if (r->cfg->inflight_bytes) {
        fl = mem_alloc(sizeof(*fl));
        if (!fl)
            return -ENOMEM;
        memset(fl, 0, sizeof(*fl));
    }
    struct batch *b = NULL;
    int rc = 0;
    struct capture_event ev;
    int have = 0; /* ev holds an event not yet placed in a batch */
    for (;;) {
        if (atomic_load_explicit(&r->stop, memory_order_relaxed))
            break;
        if (!have) {
            rc = capture_reader_next(rd, &ev);
            if (rc == 0)
                break;
            if (rc < 0) {
                log_err("rx: capture read failed: %s partition=%u seq_after=%lld "
                        "fix=\"check the capture with sluice-replay stat\"",
                        err_str(rc), r->partition, (long long)atomic_load_explicit(
                            &r->last_pushed, memory_order_relaxed));
                break;
            }
            rc = 0;
            have = 1;
        }
        if (!b) {
            if (fl && !wait_persisted(r, fl))
                break;
            b = get_batch(r, pool);
            if (!b)
                break;
        }
        size_t strings = ev.off_len + ev.key_len + ev.origin_len;
        char *body = batch_add(b, ev.seq, ev.enq_ms, ev.off, ev.off_len, ev.key, ev.key_len,
                               ev.origin, ev.origin_len, ev.origin_line,
                               (uint16_t)MIN(ev.records, 65535u), ev.body_len);
        if (!body) {
            if (b->count == 0 || !batch_fits_empty(b->cap, ev.body_len, strings)) {
                log_err("rx: message too large for a batch: seq=%lld bytes=%zu batch_bytes=%u "
                        "partition=%u fix=\"raise --batch-bytes\"",
                        (long long)ev.seq, ev.body_len, b->cap, r->partition);
                rc = ERR_TOO_BIG;
                break;
            }
            push(r, b, fl);
            b = NULL;
            continue;
        }
        memcpy(body, ev.body, ev.body_len);
        have = 0;
    }
    if (b && b->count) {
        push(r, b, fl);
        b = NULL;
    }
    *held = b;
    mem_free(fl);
    return rc;
}

static void *rx_main(void *arg)
{
    struct rx *r = arg;
    log_set_thread("rx", (int)r->partition);
    int rc = 0;
    if (r->cpu >= 0 && (rc = cpu_pin_self((unsigned)r->cpu)) != 0)
        log_warn("rx: cannot pin to CPU %d: %s", r->cpu, err_str(rc));
    rc = mem_thread_init();
    if (rc)
        goto out;
    struct pool *pool = pool_create(r->partition, r->cfg->rx_batches, r->cfg->batch_bytes,
                                    &r->park);
    if (!pool) {
        rc = -ENOMEM;
        goto out;
    }
    struct batch *held = NULL;
    struct capture_reader *rd =
        capture_reader_open(r->cfg->capture, r->cap, r->partition, r->start_after, &rc);
    if (!rd) {
        log_err("rx: cannot open capture partition: %s partition=%u", err_str(rc), r->partition);
        goto fail_pool;
    }
    rc = read_loop(r, pool, rd, &held);
    capture_reader_close(rd);
fail_pool:
    r->err = rc;
    /* release pairs with the acquire load in control: err and last_pushed are visible */
    atomic_store_explicit(&r->finished, 1, memory_order_release);
    /* Wait for every batch to come home before freeing the pool. */
    /* Wait for every batch to come home before freeing the pool. Shards return
     * each batch right after normalizing it, so once they have drained this
     * takes milliseconds; a batch that never comes back is a bug that would
     * otherwise hang shutdown, so it is reported and the pool leaked. */
    uint32_t want = pool->nbatches - (held ? 1 : 0);
    int64_t deadline = 0;
    while (pool_home(pool) < want) {
        if (atomic_load_explicit(&r->shards_done, memory_order_acquire)) {
            if (!deadline)
                deadline = clock_mono_ms() + RX_HOME_WAIT_MS;
            else if (clock_mono_ms() > deadline) {
                log_err("rx: batches never returned to the pool home=%u total=%u partition=%u",
                        pool_home(pool), want, r->partition);
                r->lost_batches = want - pool_home(pool);
                r->cpu_ns = clock_thread_cpu_ns();
                return NULL;
            }
        }
        park_prepare(&r->park);
        if (pool_home(pool) >= want) {
            park_cancel(&r->park);
            break;
        }
        park_wait(&r->park, RX_PARK_MS);
    }
    pool_destroy(pool);
    r->cpu_ns = clock_thread_cpu_ns();
    return NULL;
out:
    r->err = rc;
    atomic_store_explicit(&r->finished, 1, memory_order_release);
    return NULL;
}

int rx_start(struct rx *r)
{
    atomic_init(&r->stop, 0);
    atomic_init(&r->finished, 0);
    atomic_init(&r->last_pushed, -1);
    atomic_init(&r->messages, 0);
    atomic_init(&r->bytes, 0);
    atomic_init(&r->shards_done, 0);
    atomic_init(&r->persisted, r->start_after);
    atomic_init(&r->want_persist, 0);
    atomic_init(&r->inflight_waits, 0);
    r->err = 0;
    r->lost_batches = 0;
    int rc = park_init(&r->park);
    if (rc)
        return rc;
    rc = pthread_create(&r->thr, NULL, rx_main, r);
    return rc ? -rc : 0;
}

int rx_join(struct rx *r)
{
    pthread_join(r->thr, NULL);
    park_fini(&r->park);
    return r->err;
}
