/* pool.c - batch pools; see pool.h. */
#include "pool.h"

#include <stdlib.h>

#include "log.h"
#include "mem.h"

static uint32_t pow2_at_least(uint32_t n)
{
    uint32_t p = 2;
    while (p < n)
        p <<= 1;
    return p;
}

struct pool *pool_create(uint32_t id, uint32_t nbatches, uint32_t batch_bytes,
                         struct park *owner_park)
{
    if (nbatches == 0 || nbatches > (1u << 20) || batch_bytes < 4096 ||
        (batch_bytes & (batch_bytes - 1)) != 0)
        return NULL;
    size_t total;
    if (!mem_mul_ok(nbatches, batch_bytes, &total))
        return NULL;
    struct pool *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->free = ring_create(pow2_at_least(nbatches));
    if (!p->free)
        goto fail_ring;
    p->mem = mem_alloc_aligned(total, 64);
    if (!p->mem)
        goto fail_mem;
    p->id = id;
    p->nbatches = nbatches;
    p->batch_bytes = batch_bytes;
    p->owner_park = owner_park;
    for (uint32_t i = 0; i < nbatches; i++) {
        struct batch *b = (struct batch *)(p->mem + (size_t)i * batch_bytes);
        b->pool = p;
        b->cap = batch_bytes;
        batch_reset(b, 0);
        void *o = b;
        /* The owner is also the only producer while nothing has left the pool. */
        if (ring_push_burst(p->free, &o, 1) != 1)
            goto fail_push;
    }
    return p;

fail_push:
    mem_free(p->mem);
fail_mem:
    ring_destroy(p->free);
fail_ring:
    free(p);
    return NULL;
}

void pool_destroy(struct pool *p)
{
    if (!p)
        return;
    mem_free(p->mem);
    ring_destroy(p->free);
    free(p);
}

void pool_put(struct batch *b)
{
    struct pool *p = b->pool;
    /* Read everything we need before the push: once the last batch is home the
     * owner may destroy the pool (found by the TSan pipeline stress test). */
    struct park *owner = p->owner_park;
    struct ring *free_ring = p->free;
    uint32_t id = p->id;
    void *o = b;
    if (UNLIKELY(ring_push_burst(free_ring, &o, 1) != 1)) {
        /* The ring holds every batch of the pool: a failed push means a batch
         * was returned twice, which would corrupt ownership. */
        log_err("pool: batch returned twice pool=%u", id);
        abort();
    }
    if (owner)
        park_wake(owner);
}
