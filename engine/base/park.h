/* park.h - park an idle thread on an eventfd, and wake it (DESIGN.md §2).
 *
 * DESIGN
 * An idle rx or shard thread spins briefly, then parks. The classic lost-wakeup
 * race is closed with a Dekker-style pair of full fences:
 *   sleeper: sleeping = 1; FENCE(F1); re-check its rings; if still idle: poll(efd)
 *   waker:   publish (ring push, release); FENCE(F2); if (sleeping) write(efd)
 * F1 and F2 are seq_cst fences: either the waker sees sleeping == 1, or the
 * sleeper's re-check sees the published item. The eventfd counter makes a wake
 * that arrives before the poll sticky, so it is never lost.
 * STYLE-EXCEPTION: seq_cst fences are required here (store-load ordering); no
 * weaker order forbids the store->load reordering this protocol depends on.
 */
#ifndef SLUICE_PARK_H
#define SLUICE_PARK_H

#include <stdatomic.h>
#include <stdbool.h>

#include "compiler.h"

struct park {
    _Atomic int sleeping; /* 1 while the owner is (about to be) parked; written by the owner */
    int efd;              /* eventfd, nonblocking, semaphore off */
};

/* 0 or -errno. @thread control (boot) */
int park_init(struct park *p) MUST_CHECK;
void park_fini(struct park *p);

/* Owner: announce the intent to sleep. After this call, re-check for work; if
 * there is some, call park_cancel(), else park_wait(). @thread owner */
static inline void park_prepare(struct park *p)
{
    atomic_store_explicit(&p->sleeping, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst); /* F1 pairs with F2 in park_wake */
}
static inline void park_cancel(struct park *p)
{
    atomic_store_explicit(&p->sleeping, 0, memory_order_relaxed);
}
/* Owner: sleep until woken or timeout_ms passes; clears `sleeping`. @thread owner @blocking */
void park_wait(struct park *p, int timeout_ms);

/* Any other thread, after publishing work for the owner. Costs one fence and one
 * load when the owner is awake. @thread any */
void park_wake_slow(struct park *p);
static inline void park_wake(struct park *p)
{
    atomic_thread_fence(memory_order_seq_cst); /* F2 pairs with F1 in park_prepare */
    if (UNLIKELY(atomic_load_explicit(&p->sleeping, memory_order_relaxed)))
        park_wake_slow(p);
}

#endif
