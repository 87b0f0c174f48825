/* stress_pipeline.c - concurrency stress for the rings, pools and parking that
 * carry batches from rx threads to shards (run under TSan in CI).
 *
 * Mode "ring": one producer and one consumer move 2M numbered pointers through
 * an 8-slot ring in random bursts; the consumer checks every value in order.
 * Mode "pipeline": P rx-like producer threads (each with its own pool of B
 * batches and its own ring) and S shard-like consumers (partition p goes to
 * consumer p mod S) move M messages per partition. Messages carry their
 * partition and sequence number and a checksummed body; consumers check no
 * loss, no duplicate, no reorder within a partition, body integrity, and
 * return each batch to its pool; at the end every pool must be complete.
 * Idle producers and consumers park on eventfds exactly as rx and shards do.
 * Exit 0 and "ok" lines on success; any violation prints it and exits 1.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "park.h"
#include "pool.h"
#include "ring.h"

static _Atomic int g_fail;

#define FAILF(...)                                                                     \
    do {                                                                               \
        fprintf(stderr, __VA_ARGS__);                                                  \
        fputc('\n', stderr);                                                           \
        atomic_store(&g_fail, 1);                                                      \
    } while (0)

static uint64_t xs(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* ---- ring mode ---- */

#define RING_ITEMS 2000000u
static struct ring *g_ring;

static void *ring_prod(void *a)
{
    (void)a;
    uint64_t s = 88172645463325252ULL;
    uintptr_t next = 1;
    while (next <= RING_ITEMS) {
        void *v[16];
        unsigned want = (unsigned)(xs(&s) % 16) + 1;
        for (unsigned i = 0; i < want; i++)
            v[i] = (void *)(next + i);
        unsigned n = ring_push_burst(g_ring, v, want);
        next += n;
    }
    return NULL;
}

static void *ring_cons(void *a)
{
    (void)a;
    uint64_t s = 1234567;
    uintptr_t expect = 1;
    while (expect <= RING_ITEMS && !atomic_load(&g_fail)) {
        void *v[16];
        unsigned n = ring_pop_burst(g_ring, v, (unsigned)(xs(&s) % 16) + 1);
        for (unsigned i = 0; i < n; i++) {
            if ((uintptr_t)v[i] != expect) {
                FAILF("ring: got %" PRIuPTR " want %" PRIuPTR, (uintptr_t)v[i], expect);
                return NULL;
            }
            expect++;
        }
    }
    return NULL;
}

/* ---- pipeline mode ---- */

struct part {
    uint32_t id;
    uint32_t msgs;
    struct ring *ring;
    struct park park;       /* producer parks when its pool is empty */
    struct park *cons_park;
    _Atomic int done;
    uint32_t nbatches;
    _Atomic int pool_ok;
    int64_t next_seq;       /* consumer side: next expected seq */
};

struct cons {
    uint32_t id, nparts;
    struct part **parts;
    struct park park;
    uint64_t msgs;
};

static uint32_t g_P, g_S, g_M, g_B;
static struct part *g_parts;
static struct cons *g_cons;

static uint32_t sum32(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    return h;
}

static void *prod_main(void *a)
{
    struct part *pt = a;
    struct pool *pool = pool_create(pt->id, pt->nbatches, 4096, &pt->park);
    if (!pool) {
        FAILF("pool_create");
        return NULL;
    }
    uint64_t s = 0x9E3779B97F4A7C15ULL ^ pt->id;
    struct batch *b = NULL;
    for (uint32_t seq = 0; seq < pt->msgs;) {
        if (!b) {
            while (!(b = pool_get(pool))) {
                park_prepare(&pt->park);
                if (pool_home(pool)) {
                    park_cancel(&pt->park);
                    continue;
                }
                park_wait(&pt->park, 5);
            }
            batch_reset(b, pt->id);
        }
        char body[200];
        size_t len = 16 + xs(&s) % 150;
        for (size_t i = 0; i < len; i++)
            body[i] = (char)('a' + (seq + i + pt->id) % 26);
        uint32_t h = sum32(body, len);
        char off[16];
        int ol = snprintf(off, sizeof(off), "%u", h);
        char *dst = batch_add(b, seq, 0, off, (size_t)ol, NULL, 0, NULL, 0, 0, 1, len);
        if (dst) {
            memcpy(dst, body, len);
            seq++;
        }
        if (!dst || xs(&s) % 7 == 0 || seq == pt->msgs) {
            void *o = b;
            if (ring_push_burst(pt->ring, &o, 1) != 1)
                FAILF("push failed: ring smaller than pool");
            park_wake(pt->cons_park);
            b = NULL;
        }
    }
    atomic_store_explicit(&pt->done, 1, memory_order_release);
    while (pool_home(pool) < pool->nbatches) {
        park_prepare(&pt->park);
        if (pool_home(pool) >= pool->nbatches) {
            park_cancel(&pt->park);
            break;
        }
        park_wait(&pt->park, 5);
    }
    atomic_store(&pt->pool_ok, 1);
    pool_destroy(pool);
    return NULL;
}

static void *cons_main(void *a)
{
    struct cons *c = a;
    for (;;) {
        int got = 0, all_done = 1;
        for (uint32_t k = 0; k < c->nparts; k++) {
            struct part *pt = c->parts[k];
            int done = atomic_load_explicit(&pt->done, memory_order_acquire);
            void *v[4];
            unsigned n = ring_pop_burst(pt->ring, v, 4);
            for (unsigned i = 0; i < n; i++) {
                struct batch *b = v[i];
                if (b->partition != pt->id)
                    FAILF("batch of partition %u on ring %u", b->partition, pt->id);
                for (uint32_t m = 0; m < b->count; m++) {
                    const struct batch_msg *bm = &b->msgs[m];
                    if (bm->seq != pt->next_seq)
                        FAILF("partition %u: seq %" PRId64 " want %" PRId64, pt->id, bm->seq,
                              pt->next_seq);
                    pt->next_seq = bm->seq + 1;
                    char off[16];
                    snprintf(off, sizeof(off), "%u",
                             sum32(batch_ptr(b, bm->body_off), bm->body_len));
                    if (bm->off_len != strlen(off) ||
                        memcmp(batch_ptr(b, bm->off_off), off, bm->off_len) != 0)
                        FAILF("partition %u seq %" PRId64 ": body checksum", pt->id, bm->seq);
                    c->msgs++;
                }
                pool_put(b);
            }
            got += (int)n;
            if (!done || n)
                all_done = 0;
            else if (ring_count_consumer(pt->ring))
                all_done = 0;
        }
        if (all_done)
            break;
        if (!got) {
            park_prepare(&c->park);
            int any = 0;
            for (uint32_t k = 0; k < c->nparts; k++)
                any |= ring_count_consumer(c->parts[k]->ring) != 0;
            if (any) {
                park_cancel(&c->park);
                continue;
            }
            park_wait(&c->park, 2);
        }
    }
    return NULL;
}

static int run_pipeline(void)
{
    g_parts = calloc(g_P, sizeof(*g_parts));
    g_cons = calloc(g_S, sizeof(*g_cons));
    pthread_t *pt = calloc(g_P, sizeof(*pt)), *ct = calloc(g_S, sizeof(*ct));
    for (uint32_t s = 0; s < g_S; s++) {
        g_cons[s].id = s;
        g_cons[s].parts = calloc(g_P, sizeof(struct part *));
        if (park_init(&g_cons[s].park))
            return 1;
    }
    for (uint32_t p = 0; p < g_P; p++) {
        struct part *x = &g_parts[p];
        x->id = p;
        x->msgs = g_M;
        x->nbatches = g_B;
        x->ring = ring_create(g_B <= 2 ? 2 : (g_B <= 4 ? 4 : (g_B <= 8 ? 8 : 16)));
        if (park_init(&x->park))
            return 1;
        struct cons *c = &g_cons[p % g_S];
        x->cons_park = &c->park;
        c->parts[c->nparts++] = x;
    }
    for (uint32_t s = 0; s < g_S; s++)
        pthread_create(&ct[s], NULL, cons_main, &g_cons[s]);
    for (uint32_t p = 0; p < g_P; p++)
        pthread_create(&pt[p], NULL, prod_main, &g_parts[p]);
    for (uint32_t s = 0; s < g_S; s++)
        pthread_join(ct[s], NULL);
    for (uint32_t p = 0; p < g_P; p++)
        pthread_join(pt[p], NULL);
    uint64_t total = 0;
    for (uint32_t s = 0; s < g_S; s++)
        total += g_cons[s].msgs;
    for (uint32_t p = 0; p < g_P; p++) {
        if (g_parts[p].next_seq != (int64_t)g_M)
            FAILF("partition %u: received %" PRId64 " of %u", p, g_parts[p].next_seq, g_M);
        if (!atomic_load(&g_parts[p].pool_ok))
            FAILF("partition %u: not every batch came home", p);
        ring_destroy(g_parts[p].ring);
        park_fini(&g_parts[p].park);
    }
    if (total != (uint64_t)g_P * g_M)
        FAILF("total %" PRIu64 " != %" PRIu64, total, (uint64_t)g_P * g_M);
    printf("pipeline: %u partitions x %u messages through %u consumers, %" PRIu64
           " received in order, all pools complete: %s\n",
           g_P, g_M, g_S, total, atomic_load(&g_fail) ? "FAIL" : "ok");
    return atomic_load(&g_fail) ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "ring") == 0) {
        g_ring = ring_create(8);
        pthread_t a, b;
        pthread_create(&a, NULL, ring_prod, NULL);
        pthread_create(&b, NULL, ring_cons, NULL);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        ring_destroy(g_ring);
        printf("ring: %u items in order: %s\n", RING_ITEMS, atomic_load(&g_fail) ? "FAIL" : "ok");
        return atomic_load(&g_fail) ? 1 : 0;
    }
    if (argc >= 2 && strcmp(argv[1], "pipeline") == 0) {
        g_P = argc > 2 ? (uint32_t)atoi(argv[2]) : 64;
        g_S = argc > 3 ? (uint32_t)atoi(argv[3]) : 4;
        g_M = argc > 4 ? (uint32_t)atoi(argv[4]) : 3000;
        g_B = argc > 5 ? (uint32_t)atoi(argv[5]) : 4;
        return run_pipeline();
    }
    fprintf(stderr, "usage: stress_pipeline ring | pipeline [P S M B]\n");
    return 2;
}
