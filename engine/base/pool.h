/* pool.h - a fixed set of batches and the reverse ring that brings them home.
 *
 * DESIGN
 * A pool belongs to one owner thread (an rx thread, or a shard for its output).
 * The owner takes free batches with pool_get(); the one thread that consumes
 * them (the shard serving the owner's partition) gives them back with
 * pool_put(), which pushes onto the pool's free ring: the free ring is an SPSC
 * ring whose producer is the returning thread and whose consumer is the owner.
 *
 *   owner (rx) --pool_get--> fill --ring push--> shard --pool_put--> free ring --> owner
 *
 * The ring has room for every batch, so pool_put never fails. An empty pool is
 * backpressure, not an error: the owner stops taking work (an rx thread stops
 * granting credit) until a batch comes back, and may park; pool_put wakes it.
 * No refcounts, no locks.
 */
#ifndef SLUICE_POOL_H
#define SLUICE_POOL_H

#include <stdint.h>

#include "batch.h"
#include "compiler.h"
#include "park.h"
#include "ring.h"

struct pool {
    struct ring *free;       /* free batches; producer = returner, consumer = owner */
    struct park *owner_park; /* woken by pool_put when the owner sleeps; may be NULL */
    char *mem;               /* nbatches * batch_bytes, 64-byte aligned */
    uint32_t id;             /* for logs and tests */
    uint32_t nbatches;
    uint32_t batch_bytes;
};

/* Create a pool of nbatches batches of batch_bytes each (a power of two, at
 * least 4 KiB), all free. Memory comes from the calling thread's arena, so call
 * it on the owner thread (first touch on the owner's NUMA node). NULL on bad
 * sizes or no memory. @thread owner */
struct pool *pool_create(uint32_t id, uint32_t nbatches, uint32_t batch_bytes,
                         struct park *owner_park);
/* Free the pool; every batch must be home. @thread owner */
void pool_destroy(struct pool *p);

/* A free batch, reset for no partition yet, or NULL when none is home.
 * @thread owner @hot */
static inline struct batch *pool_get(struct pool *p)
{
    void *b;
    return ring_pop_burst(p->free, &b, 1) ? (struct batch *)b : NULL;
}

/* Give a batch back to its pool and wake the owner if it sleeps.
 * @thread the pool's returner side only @hot */
void pool_put(struct batch *b);

/* Batches home right now (exact only when quiescent). @thread owner */
static inline uint32_t pool_home(struct pool *p) { return ring_count_consumer(p->free); }

#endif
