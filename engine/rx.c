/* rx.c - rx thread: one partition of a capture, or of an Event Hub, into batches.
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
 *
 * Event Hubs (eh_loop): the same batches, filled from io/eh_rx.h callbacks on
 * this thread. Credit = room for events in the free batches (free batches x
 * the events a batch holds at the running average body size, at most
 * --prefetch): with no batch home, credit stops and the hub stops sending.
 * An event that finds no room is refused (-EAGAIN) and stays unsettled in
 * proton until a batch comes home; nothing is dropped. A partial batch is
 * pushed as soon as a poll brings nothing new (latency), a full one at once.
 * The thread never parks here: it waits in eh_rx_poll() with a short bound,
 * which also keeps the connection's heartbeats and token renewals going.
 */
#include "rx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "clock.h"
#include "cpu.h"
#include "err.h"
#include "log.h"
#include "mem.h"
#include "pool.h"
#include "tracker.h"

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

/* --inflight-bytes without waiting: true when reading may go on; else asks
 * control for a checkpoint. */
static bool inflight_ok(struct rx *r, struct inflight *fl)
{
    if (!fl)
        return true;
    int64_t done = atomic_load_explicit(&r->persisted, memory_order_acquire);
    while (fl->tail != fl->head && fl->seq[fl->tail % RX_INFLIGHT_SLOTS] <= done) {
        fl->acked = fl->upto[fl->tail % RX_INFLIGHT_SLOTS];
        fl->tail++;
    }
    if (fl->tail == fl->head)
        fl->acked = fl->read;
    if (fl->read - fl->acked < r->cfg->inflight_bytes && fl->head - fl->tail < RX_INFLIGHT_SLOTS)
        return true;
    atomic_store_explicit(&r->want_persist, 1, memory_order_relaxed);
    return false;
}

/* --inflight-bytes: wait while the bytes read beyond the persisted checkpoint
 * reach the bound (or the ring of batches is full), asking control to persist.
 * Returns false when asked to stop. */
static bool wait_persisted(struct rx *r, struct inflight *fl)
{
    bool waited = false;
    for (;;) {
        int64_t done = atomic_load_explicit(&r->persisted, memory_order_acquire);
        if (inflight_ok(r, fl))
            return true;
        if (atomic_load_explicit(&r->stop, memory_order_relaxed))
            return false;
        if (!waited) {
            waited = true;
            bump(&r->inflight_waits, 1);
        }
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

/* ---- Event Hubs ------------------------------------------------------------------------- */

int rx_eh_source_init(const struct run_cfg *c, struct rx_eh_src *src, char *why, size_t n)
{
    memset(src, 0, sizeof(*src));
    struct eh_rx_cfg *t = &src->tmpl;
    int rc = eh_source_init(&src->source, c->namespace_host, c->conn_env, c->eventhub,
                            c->sas_token_ttl_ms / 1000, t, why, n);
    if (rc)
        return rc;
    snprintf(t->cg, sizeof(t->cg), "%s", c->consumer_group);
    t->start = c->start;
    t->has_owner_level = c->has_owner_level;
    t->owner_level = c->owner_level;
    t->prefetch = c->prefetch;
    snprintf(t->receiver_name, sizeof(t->receiver_name), "sluice-mgmt");
    return 0;
}

struct eh_fill {
    struct rx *r;
    struct pool *pool;
    struct batch *b;        /* being filled; NULL: none held */
    struct inflight *fl;    /* --inflight-bytes, or NULL */
    uint64_t avg_body;      /* running average body bytes (credit estimate) */
    int64_t last_seq;       /* last event taken */
};

/* eh_event_fn: copy one event into the current batch. @hot */
static int eh_take(void *ctx, const struct eh_event *ev)
{
    struct eh_fill *f = ctx;
    struct rx *r = f->r;
    size_t off_len = MIN(ev->off_len, (size_t)TRACKER_OFF_MAX);
    for (;;) {
        if (!f->b) {
            if (!inflight_ok(r, f->fl))
                return -EAGAIN;
            f->b = pool_get(f->pool);
            if (!f->b)
                return -EAGAIN;
            batch_reset(f->b, r->partition);
        }
        char *body = batch_add(f->b, ev->seq, ev->enq_ms, ev->off, off_len, ev->key,
                               MIN(ev->key_len, (size_t)65535), NULL, 0, 0, 0, ev->body_len);
        if (body) {
            memcpy(body, ev->body, ev->body_len);
            f->avg_body = (f->avg_body * 7 + ev->body_len) / 8;
            f->last_seq = ev->seq;
            return 0;
        }
        if (f->b->count == 0 || !batch_fits_empty(f->b->cap, ev->body_len, off_len + ev->key_len)) {
            log_err("rx: message too large for a batch: seq=%lld bytes=%zu batch_bytes=%u "
                    "partition=%u fix=\"raise --batch-bytes\"",
                    (long long)ev->seq, ev->body_len, f->b->cap, r->partition);
            return ERR_TOO_BIG;
        }
        push(r, f->b, f->fl);
        f->b = NULL;
    }
}

/* Events the free batches can take now (credit), at most --prefetch. */
static uint32_t eh_room(struct eh_fill *f)
{
    if (f->fl && !inflight_ok(f->r, f->fl))
        return 0;
    uint64_t need = f->avg_body + JSON_PAD + 64 + sizeof(struct batch_msg); /* per event */
    uint64_t per = f->r->cfg->batch_bytes / need;
    if (per < 1)
        per = 1;
    uint64_t room = (uint64_t)pool_home(f->pool) * per;
    if (f->b && f->b->data_low > f->b->desc_end)
        room += (f->b->data_low - f->b->desc_end) / need;
    return (uint32_t)MIN(room, (uint64_t)f->r->cfg->prefetch);
}

static int eh_loop(struct rx *r, struct pool *pool, struct batch **held)
{
    *held = NULL;
    if (r->eh_skip)
        return 0;
    bool until = r->cfg->until_caught_up;
    /* the seq reading starts after: the checkpoint, else --start seq:N */
    int64_t after = r->start_after >= 0                 ? r->start_after
                    : r->cfg->start.kind == EH_START_SEQ ? r->cfg->start.seq
                                                         : -1;
    if (until && (r->until_seq < 0 || after >= r->until_seq ||
                  (r->start_after < 0 && r->cfg->start.kind == EH_START_LATEST)))
        return 0; /* nothing to catch up on */
    struct eh_fill f = {.r = r, .pool = pool, .avg_body = 4096, .last_seq = after};
    if (r->cfg->inflight_bytes) {
        f.fl = mem_alloc(sizeof(*f.fl));
        if (!f.fl)
            return -ENOMEM;
        memset(f.fl, 0, sizeof(*f.fl));
    }
    struct eh_rx_cfg c = r->eh->tmpl;
    snprintf(c.partition, sizeof(c.partition), "%s", r->eh_partition);
    snprintf(c.receiver_name, sizeof(c.receiver_name), "sluice-%s-%s", r->eh_partition,
             c.cg);
    if (r->start_after >= 0)
        c.start = (struct eh_start){.kind = EH_START_SEQ, .seq = r->start_after};
    c.on_event = eh_take;
    c.event_ctx = &f;
    int rc;
    struct eh_rx *eh = eh_rx_create(&c, &rc);
    if (!eh) {
        log_err("rx: cannot start the Event Hubs receiver: %s partition=%s", err_str(rc),
                r->eh_partition);
        mem_free(f.fl);
        return rc;
    }
    rc = 0;
    while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
        if (until && f.last_seq >= r->until_seq && !(f.b && f.b->count))
            break;
        eh_rx_set_credit(eh, eh_room(&f));
        int timeout = f.b && f.b->count ? 1 : pool_home(pool) ? 50 : 5;
        int n = eh_rx_poll(eh, timeout);
        if (n < 0) {
            rc = n;
            break;
        }
        const struct eh_rx_stats *st = eh_rx_stats(eh);
        atomic_store_explicit(&r->eh_status, (int)st->status, memory_order_relaxed);
        if (st->cbs_puts != atomic_load_explicit(&r->eh_tokens, memory_order_relaxed))
            atomic_store_explicit(&r->eh_tokens, st->cbs_puts, memory_order_relaxed);
        if (st->reconnects != atomic_load_explicit(&r->eh_reconnects, memory_order_relaxed)) {
            atomic_store_explicit(&r->eh_reconnects, st->reconnects, memory_order_relaxed);
            for (int k = 0; k < EH_ST__COUNT; k++)
                atomic_store_explicit(&r->eh_by_status[k], st->by_status[k],
                                      memory_order_relaxed);
        }
        if (f.b && f.b->count && (n == 0 || f.b->data_low - f.b->desc_end < f.b->cap / 8 ||
                                  (until && f.last_seq >= r->until_seq))) {
            push(r, f.b, f.fl);
            f.b = NULL;
        }
    }
    if (f.b && f.b->count) {
        push(r, f.b, f.fl);
        f.b = NULL;
    }
    *held = f.b;
    const struct eh_rx_stats *st = eh_rx_stats(eh);
    atomic_store_explicit(&r->eh_reconnects, st->reconnects, memory_order_relaxed);
    for (int k = 0; k < EH_ST__COUNT; k++)
        atomic_store_explicit(&r->eh_by_status[k], st->by_status[k], memory_order_relaxed);
    log_info("rx: eventhub partition=%s events=%llu connects=%llu reconnects=%llu "
             "cbs_puts=%llu last_seq=%lld",
             r->eh_partition, (unsigned long long)st->events, (unsigned long long)st->connects,
             (unsigned long long)st->reconnects, (unsigned long long)st->cbs_puts,
             (long long)st->last_seq);
    eh_rx_destroy(eh, 2000);
    mem_free(f.fl);
    return rc;
}

static void *rx_main(void *arg)
{
    struct rx *r = arg;
    log_set_thread("rx", (int)r->partition);
    int rc = 0;
    if (r->eh && r->eh_skip) /* eventhub partition not selected: no pool, no connection */
        goto out;
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
    if (r->eh) {
        rc = eh_loop(r, pool, &held);
        goto fail_pool;
    }
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
    atomic_init(&r->eh_status, 0);
    atomic_init(&r->eh_reconnects, 0);
    for (int k = 0; k < EH_ST__COUNT; k++)
        atomic_init(&r->eh_by_status[k], 0);
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
