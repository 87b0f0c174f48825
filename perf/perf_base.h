/* perf_base.h - C++-includable bridge to engine/base's ring, pool and tracker.
 *
 * ring.h, pool.h, park.h and tracker.h use C11 _Atomic and <stdatomic.h>, which
 * C++17 cannot parse (g++ 12 offers <stdatomic.h> for C++ only in C++23, and only
 * the _Atomic(T) spelling), so bm_ring.cc cannot include them inside extern "C".
 * perf_base.c (C17) includes the real headers and wraps each call the benchmark
 * needs; the structs stay opaque here. bm_ring is built with LTO
 * (INTERPROCEDURAL_OPTIMIZATION) so the inline ring/pool operations are still
 * inlined into the benchmark loops: the wrappers cost nothing at run time.
 * Every wrapper has the contract of the function it wraps (see the real header).
 */
#ifndef SLUICE_PERF_BASE_H
#define SLUICE_PERF_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ring;
struct pool;
struct batch;
struct tracker;

struct ring *perf_ring_create(uint32_t slots);                                 /* ring_create */
void perf_ring_destroy(struct ring *r);                                        /* ring_destroy */
unsigned perf_ring_push_burst(struct ring *r, void *const *objs, unsigned n);  /* ring_push_burst */
unsigned perf_ring_pop_burst(struct ring *r, void **objs, unsigned n);         /* ring_pop_burst */

struct pool *perf_pool_create(uint32_t nbatches, uint32_t batch_bytes); /* pool_create, no park */
void perf_pool_destroy(struct pool *p);                                 /* pool_destroy */
struct batch *perf_pool_get(struct pool *p);                            /* pool_get */
void perf_pool_put(struct batch *b);                                    /* pool_put */

struct tracker *perf_tracker_create(void); /* aligned allocation + tracker_init(t, -1, "") */
void perf_tracker_destroy(struct tracker *t);
int perf_tracker_begin(struct tracker *t, int64_t first, int64_t last, const char *off,
                       size_t off_len); /* tracker_begin */
bool perf_tracker_done(struct tracker *t, uint32_t token); /* tracker_done */
uint32_t perf_tracker_pending(const struct tracker *t);    /* tracker_pending */

/* Spin-loop relax (compiler.h cpu_relax). */
void perf_cpu_relax(void);

#ifdef __cplusplus
}
#endif

#endif
