/* shard.c - the shard loop.
 *
 * DESIGN
 *   loop:
 *     for each served partition ring, round-robin: pop up to SHARD_BURST batches;
 *       for each batch: norm_message() every message into the events / dead
 *       buffers, give the input batch back to its rx pool at once (its bytes
 *       are no longer needed), frame + LZ4 both buffers into one owned write
 *       buffer, register [first_seq, last_seq] with the partition's tracker and
 *       queue the write on the spool
 *     spool_commit(): one io_uring_submit for every write queued this round
 *       (plus the fdatasync the --fsync policy wants)
 *     spool_poll(): completions -> tracker_done() -> watermark moves
 *     idle: spin, then wait on io completions (when writes are in flight) or
 *       park on the eventfd (when not)
 *   stop: once control sets `stop` (no rx will push again), drain every ring,
 *   then spool_close() makes everything durable and fires the last callbacks.
 *
 * Backpressure on write errors (DESIGN.md §5): while spool_blocked() (a write
 * keeps failing: disk full, EIO), the shard pops nothing from its rings; they
 * fill, rx threads stop reading (credit stops), nothing is dropped. The shard
 * only polls the spool (which retries and sleeps between retries) until the
 * first write gets through, then carries on. A stop request waits too: the
 * drain ends only once the spool is not blocked (a second signal exits at once).
 *
 * Ordering and durability: within a partition batches arrive in ring order,
 * so tracker ranges are registered in increasing seq order; writes complete in
 * any order and the tracker only publishes a contiguous durable prefix. The
 * write buffer is owned by the shard until its durable callback frees it.
 * One write per input batch: a frame of events and, when the batch had any, a
 * frame of dead letters, written together so both are durable together.
 */
#include "shard.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "buf.h"
#include "clock.h"
#include "cpu.h"
#include "err.h"
#include "frame.h"
#include "log.h"
#include "mem.h"
#include "pool.h"

#define SHARD_BURST      8
#define SHARD_SPIN_ROUNDS 256
#define SHARD_PARK_MS    20
#define SHARD_BLOCKED_WAIT_MS 20 /* spool_poll wait per loop while the spool is blocked */

struct wreq {
    uint32_t pidx;   /* index into shard->parts */
    int32_t token;   /* tracker token, or -1 when untracked */
    size_t len;      /* bytes of data[] to write */
    char data[];
};

struct shard_rt {
    struct shard *s;
    struct norm *norm;
    struct spool *spool;
    struct frame_enc *enc;
    struct buf events, dead;
    uint32_t rr; /* round-robin start */
};

static void bump(_Atomic uint64_t *c, uint64_t n)
{
    /* single writer: a relaxed load + store is enough and cheaper than fetch_add */
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static void on_durable(void *arg, void *cookie, int status)
{
    struct shard_rt *rt = arg;
    struct wreq *w = cookie;
    if (status < 0)
        return; /* being retried; the spool logs it and blocks this shard's input */
    if (w->token >= 0)
        (void)tracker_done(rt->s->parts[w->pidx].trk, (uint32_t)w->token);
    bump(&rt->s->prog.durable_batches, 1);
    mem_free(w);
}

/* Wait for at least one completion; used when a resource (tracker slots, io
 * queue) is exhausted. 0 or -errno. */
static int wait_some(struct shard_rt *rt)
{
    int rc = spool_commit(rt->spool);
    if (rc)
        return rc;
    rc = spool_poll(rt->spool, 100, on_durable, rt);
    return rc < 0 ? rc : 0;
}

static int process_batch(struct shard_rt *rt, uint32_t pidx, struct batch *b)
{
    struct shard *s = rt->s;
    struct shard_part *sp = &s->parts[pidx];
    buf_reset(&rt->events);
    buf_reset(&rt->dead);
    uint64_t ev0 = s->stats.events;
    uint64_t dead0 = 0, rec0 = s->stats.records;
    for (int i = 0; i < ND__COUNT; i++)
        dead0 += s->stats.dead[i];

    for (uint32_t i = 0; i < b->count; i++) {
        const struct batch_msg *m = &b->msgs[i];
        struct norm_msg nm = {
            .body = batch_ptr(b, m->body_off),
            .len = m->body_len,
            .partition = b->partition,
            .seq = m->seq,
            .enq_ms = m->enq_ms,
            .origin = batch_ptr(b, m->origin_off),
            .origin_len = m->origin_len,
            .origin_line = m->origin_line,
        };
        int rc = norm_message(rt->norm, &nm, &rt->events, &rt->dead, &s->stats);
        if (UNLIKELY(rc < 0)) {
            pool_put(b);
            return rc; /* -ENOMEM: fatal for this shard */
        }
    }
    uint64_t nev = s->stats.events - ev0;
    uint64_t ndead = 0;
    for (int i = 0; i < ND__COUNT; i++)
        ndead += s->stats.dead[i];
    ndead -= dead0;

    int64_t first = b->first_seq, last = b->last_seq;
    uint32_t partition = b->partition;
    char off[TRACKER_OFF_MAX + 1];
    size_t off_len = 0;
    if (b->count) {
        const struct batch_msg *lm = &b->msgs[b->count - 1];
        off_len = MIN((size_t)lm->off_len, (size_t)TRACKER_OFF_MAX);
        memcpy(off, batch_ptr(b, lm->off_off), off_len);
    }
    off[off_len] = '\0';
    uint32_t nmsgs = b->count;
    bump(&s->prog.bytes_in, b->bytes);
    pool_put(b); /* the input is fully consumed: hand it back to rx now */
    b = NULL;
    bump(&s->prog.batches, 1);
    bump(&s->prog.records, s->stats.records - rec0);
    bump(&s->prog.events, nev);
    bump(&s->prog.dead, ndead);
    if (nmsgs == 0)
        return 0;

    /* Register the range; wait for completions while the tracker is full. */
    int tok;
    for (;;) {
        tok = tracker_begin(sp->trk, first, last, off, off_len);
        if (tok != -EAGAIN)
            break;
        int rc = wait_some(rt);
        if (rc)
            return rc;
    }
    if (tok < 0) {
        /* Duplicate or overlapping range: write it anyway (at-least-once) but
         * do not let it move the checkpoint. */
        s->untracked++;
        LOG_RATELIMITED(5000, LOG_WARN,
                        "shard: range not tracked: %s partition=%u first=%lld last=%lld",
                        err_str(tok), partition, (long long)first, (long long)last);
        tok = -1;
    }

    size_t need = sizeof(struct wreq) + frame_bound(rt->events.len) +
                  (rt->dead.len ? frame_bound(rt->dead.len) : 0);
    struct wreq *w = mem_alloc(need);
    if (!w)
        return -ENOMEM;
    w->pidx = pidx;
    w->token = tok;
    size_t cap = need - sizeof(*w), len = 0;
    struct frame_meta fm = {.kind = FRAME_EVENTS, .partition = partition, .count = (uint32_t)nev,
                            .first_seq = first, .last_seq = last};
    ssize_t n = frame_encode(rt->enc, &fm, rt->events.p, rt->events.len, w->data, cap);
    if (n < 0)
        goto fail_encode;
    len = (size_t)n;
    if (rt->dead.len) {
        fm.kind = FRAME_DEAD;
        fm.count = (uint32_t)ndead;
        n = frame_encode(rt->enc, &fm, rt->dead.p, rt->dead.len, w->data + len, cap - len);
        if (n < 0)
            goto fail_encode;
        len += (size_t)n;
    }
    w->len = len;
    for (;;) {
        int rc = spool_write(rt->spool, w->data, w->len, w);
        if (rc == 0)
            break;
        if (rc != -EBUSY) {
            mem_free(w);
            return rc;
        }
        rc = wait_some(rt);
        if (rc) {
            mem_free(w);
            return rc;
        }
    }
    return 0;

fail_encode:
    mem_free(w);
    return (int)n;
}

/* One round over the rings. Returns batches processed, or a negative error. */
static int round_once(struct shard_rt *rt)
{
    struct shard *s = rt->s;
    int done = 0;
    for (uint32_t k = 0; k < s->nparts; k++) {
        if (UNLIKELY(spool_blocked(rt->spool)))
            break; /* take nothing more while writes fail: the rings fill, rx stops */
        uint32_t pidx = (rt->rr + k) % s->nparts;
        void *bs[SHARD_BURST];
        unsigned n = ring_pop_burst(s->parts[pidx].ring, bs, SHARD_BURST);
        for (unsigned i = 0; i < n; i++) {
            int rc = process_batch(rt, pidx, bs[i]);
            if (UNLIKELY(rc < 0)) {
                /* give back what we popped but did not process */
                for (unsigned j = i + 1; j < n; j++)
                    pool_put(bs[j]);
                return rc;
            }
        }
        done += (int)n;
    }
    rt->rr = s->nparts ? (rt->rr + 1) % s->nparts : 0;
    return done;
}

static bool rings_empty(struct shard *s)
{
    for (uint32_t k = 0; k < s->nparts; k++)
        if (ring_count_consumer(s->parts[k].ring))
            return false;
    return true;
}

static int shard_loop(struct shard_rt *rt)
{
    struct shard *s = rt->s;
    unsigned idle = 0;
    for (;;) {
        int n = round_once(rt);
        if (n < 0)
            return n;
        int rc = spool_commit(rt->spool);
        if (rc)
            return rc;
        rc = spool_poll(rt->spool, 0, on_durable, rt);
        if (rc < 0)
            return rc;
        if (n > 0 || rc > 0) {
            idle = 0;
            continue;
        }
        if (UNLIKELY(spool_blocked(rt->spool))) {
            /* Disk full or I/O errors: wait for the retries, take no input. */
            rc = spool_poll(rt->spool, SHARD_BLOCKED_WAIT_MS, on_durable, rt);
            if (rc < 0)
                return rc;
            continue;
        }
        /* acquire pairs with the release store of `stop` in control: every
         * rx push happened before it, so empty rings now mean empty forever. */
        if (atomic_load_explicit(&s->stop, memory_order_acquire) && rings_empty(s))
            return 0;
        if (++idle < SHARD_SPIN_ROUNDS) {
            cpu_relax();
            continue;
        }
        if (spool_pending(rt->spool)) {
            rc = spool_poll(rt->spool, 1, on_durable, rt);
            if (rc < 0)
                return rc;
            continue;
        }
        park_prepare(&s->park);
        if (!rings_empty(s) || atomic_load_explicit(&s->stop, memory_order_acquire)) {
            park_cancel(&s->park);
            continue;
        }
        park_wait(&s->park, SHARD_PARK_MS);
    }
}

static void *shard_main(void *arg)
{
    struct shard *s = arg;
    struct shard_rt rt = {.s = s};
    log_set_thread("shard", (int)s->index);
    int rc = 0;
    if (s->cpu >= 0 && (rc = cpu_pin_self((unsigned)s->cpu)) != 0)
        log_warn("shard: cannot pin to CPU %d: %s", s->cpu, err_str(rc));
    rc = mem_thread_init();
    if (rc)
        goto out;
    rt.norm = norm_create(&s->norm_cfg);
    rt.enc = frame_enc_create();
    if (!rt.norm || !rt.enc) {
        rc = -ENOMEM;
        log_err("shard: cannot create the %s: out of memory, or this CPU lacks the instruction "
                "set the JSON shim was built for fix=\"rebuild with -DSLUICE_SHIM_ISA=generic\"",
                rt.norm ? "LZ4 context" : "normalizer");
        goto fail_objs;
    }
    rt.spool = spool_create(&s->spool_cfg, &rc);
    if (!rt.spool) {
        log_err("shard: cannot open spool: %s dir=\"%s\"", err_str(rc), s->spool_cfg.dir);
        goto fail_objs;
    }
    rc = shard_loop(&rt);
    if (rc)
        log_err("shard: stopping on error: %s", err_str(rc));
    spool_get_stats(rt.spool, &s->sstats);
    {
        int crc = spool_close(rt.spool, on_durable, &rt);
        if (crc && !rc) {
            rc = crc;
            log_err("shard: closing the spool failed: %s", err_str(crc));
        }
    }
    rt.spool = NULL;
fail_objs:
    frame_enc_destroy(rt.enc);
    norm_destroy(rt.norm);
    buf_fini(&rt.events);
    buf_fini(&rt.dead);
out:
    s->err = rc;
    if (rc) {
        /* Keep consuming so rx threads can finish; nothing more is written or
         * checkpointed, so these batches are re-read on the next run. */
        while (!atomic_load_explicit(&s->stop, memory_order_acquire) || !rings_empty(s)) {
            for (uint32_t k = 0; k < s->nparts; k++) {
                void *b;
                while (ring_pop_burst(s->parts[k].ring, &b, 1))
                    pool_put(b);
            }
            park_prepare(&s->park);
            park_wait(&s->park, SHARD_PARK_MS);
        }
    }
    s->cpu_ns = clock_thread_cpu_ns();
    atomic_store_explicit(&s->finished, 1, memory_order_release);
    return NULL;
}

int shard_start(struct shard *s)
{
    atomic_init(&s->stop, 0);
    atomic_init(&s->finished, 0);
    memset(&s->stats, 0, sizeof(s->stats));
    s->err = 0;
    s->untracked = 0;
    int rc = pthread_create(&s->thr, NULL, shard_main, s);
    return rc ? -rc : 0;
}

int shard_join(struct shard *s)
{
    pthread_join(s->thr, NULL);
    return s->err;
}
