/* perf_base.c - wrappers behind perf_base.h; see the rationale there. */
#include "perf_base.h"

#include <stdlib.h>

#include "batch.h"
#include "compiler.h"
#include "pool.h"
#include "ring.h"
#include "tracker.h"

struct ring *perf_ring_create(uint32_t slots) { return ring_create(slots); }
void perf_ring_destroy(struct ring *r) { ring_destroy(r); }

unsigned perf_ring_push_burst(struct ring *r, void *const *objs, unsigned n)
{
    return ring_push_burst(r, objs, n);
}

unsigned perf_ring_pop_burst(struct ring *r, void **objs, unsigned n)
{
    return ring_pop_burst(r, objs, n);
}

struct pool *perf_pool_create(uint32_t nbatches, uint32_t batch_bytes)
{
    return pool_create(0, nbatches, batch_bytes, NULL);
}

void perf_pool_destroy(struct pool *p) { pool_destroy(p); }
struct batch *perf_pool_get(struct pool *p) { return pool_get(p); }
void perf_pool_put(struct batch *b) { pool_put(b); }

struct tracker *perf_tracker_create(void)
{
    struct tracker *t = aligned_alloc(CACHELINE, ALIGN_UP(sizeof(struct tracker), (size_t)CACHELINE));
    if (t)
        tracker_init(t, -1, "");
    return t;
}

void perf_tracker_destroy(struct tracker *t) { free(t); }

int perf_tracker_begin(struct tracker *t, int64_t first, int64_t last, const char *off,
                       size_t off_len)
{
    return tracker_begin(t, first, last, off, off_len);
}

bool perf_tracker_done(struct tracker *t, uint32_t token) { return tracker_done(t, token); }
uint32_t perf_tracker_pending(const struct tracker *t) { return tracker_pending(t); }
void perf_cpu_relax(void) { cpu_relax(); }
