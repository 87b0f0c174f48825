/* ring.h - single-producer single-consumer ring of pointers (STYLE.md §7).
 *
 * DESIGN
 * One producer thread and one consumer thread; never more (the name of every
 * operation says which side may call it). The ring carries batch pointers, and a
 * push transfers ownership: the producer never touches an object after pushing it.
 *
 *            cons.head (consumer writes)            prod.tail (producer writes)
 *                 v                                      v
 *   slots: [ . . . X X X X X X X X . . . . . . . . . . . ]      X = filled
 *                   <-------- tail - head ---------->
 *
 * Invariants
 *  - capacity is a power of two; head and tail are free-running uint32 counters
 *    masked on access, so tail - head (unsigned) is the fill level even across
 *    2^32 wraparound, and 0 <= tail - head <= capacity.
 *  - prod.tail and cons.head live on separate cache-line pairs (128 bytes, so the
 *    adjacent-line prefetcher does not couple them); each side also keeps a cached
 *    copy of the other side's index next to its own and re-reads the shared one
 *    only when the cached copy says full (producer) or empty (consumer).
 *  - memory orders (DPDK-style pairing):
 *      R1: producer stores tail with release after writing slots  -> pairs with A1
 *      A1: consumer loads tail with acquire before reading slots   <- pairs with R1
 *      R2: consumer stores head with release after reading slots   -> pairs with A2
 *      A2: producer loads head with acquire before reusing slots   <- pairs with R2
 *    A thread loads its own index relaxed (it is the only writer).
 * Progress: push and pop are wait-free; they return how many items moved.
 */
#ifndef SLUICE_RING_H
#define SLUICE_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"

struct ring {
    struct {
        _Atomic uint32_t tail; /* next slot to fill; written by the producer */
        uint32_t head_cache;   /* producer's last view of cons.head */
    } prod __attribute__((aligned(CACHELINE_PAIR)));
    struct {
        _Atomic uint32_t head; /* next slot to drain; written by the consumer */
        uint32_t tail_cache;   /* consumer's last view of prod.tail */
    } cons __attribute__((aligned(CACHELINE_PAIR)));
    struct {
        uint32_t mask; /* capacity - 1; read-only after ring_create */
        uint32_t cap;  /* capacity in slots */
    } __attribute__((aligned(CACHELINE_PAIR)));
    void *slots[];
};

/* Allocate a ring of `slots` entries (a power of two, >= 2); NULL on bad size or
 * no memory. @thread control (boot) */
struct ring *ring_create(uint32_t slots);
/* Free a ring (NULL is a no-op). The ring must be quiescent. @thread control */
void ring_destroy(struct ring *r);

/* Push up to n pointers; returns how many were pushed (0..n), in order.
 * @thread producer side only @hot */
static inline unsigned ring_push_burst(struct ring *r, void *const *objs, unsigned n)
{
    uint32_t tail = atomic_load_explicit(&r->prod.tail, memory_order_relaxed); /* own index */
    uint32_t free_slots = r->cap - (tail - r->prod.head_cache);
    if (free_slots < n) {
        /* A2 pairs with R2 in ring_pop_burst: slots before head are free to reuse. */
        r->prod.head_cache = atomic_load_explicit(&r->cons.head, memory_order_acquire);
        free_slots = r->cap - (tail - r->prod.head_cache);
        if (free_slots < n)
            n = free_slots;
        if (n == 0)
            return 0;
    }
    for (unsigned i = 0; i < n; i++)
        r->slots[(tail + i) & r->mask] = objs[i];
    /* R1 pairs with A1 in ring_pop_burst: slot writes are visible before the tail. */
    atomic_store_explicit(&r->prod.tail, tail + n, memory_order_release);
    return n;
}

/* Pop up to n pointers into objs; returns how many (0..n), in push order.
 * @thread consumer side only @hot */
static inline unsigned ring_pop_burst(struct ring *r, void **objs, unsigned n)
{
    uint32_t head = atomic_load_explicit(&r->cons.head, memory_order_relaxed); /* own index */
    uint32_t avail = r->cons.tail_cache - head;
    if (avail < n) {
        /* A1 pairs with R1 in ring_push_burst: slots before tail are filled. */
        r->cons.tail_cache = atomic_load_explicit(&r->prod.tail, memory_order_acquire);
        avail = r->cons.tail_cache - head;
        if (avail < n)
            n = avail;
        if (n == 0)
            return 0;
    }
    for (unsigned i = 0; i < n; i++)
        objs[i] = r->slots[(head + i) & r->mask];
    /* R2 pairs with A2 in ring_push_burst: we are done reading these slots. */
    atomic_store_explicit(&r->cons.head, head + n, memory_order_release);
    return n;
}

/* Items in the ring as seen by the consumer (exact for the consumer, a lower
 * bound of free space for the producer). @thread consumer side only */
static inline uint32_t ring_count_consumer(struct ring *r)
{
    /* A1 pairs with R1 in ring_push_burst. */
    uint32_t tail = atomic_load_explicit(&r->prod.tail, memory_order_acquire);
    return tail - atomic_load_explicit(&r->cons.head, memory_order_relaxed);
}

/* Free slots as seen by the producer. @thread producer side only */
static inline uint32_t ring_free_producer(struct ring *r)
{
    /* A2 pairs with R2 in ring_pop_burst. */
    uint32_t head = atomic_load_explicit(&r->cons.head, memory_order_acquire);
    return r->cap - (atomic_load_explicit(&r->prod.tail, memory_order_relaxed) - head);
}

#endif
