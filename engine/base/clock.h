/* clock.h - time helpers. @thread any, no allocation. */
#ifndef SLUICE_CLOCK_H
#define SLUICE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in ns / ms: for intervals and rates. */
static inline int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
static inline int64_t clock_mono_ms(void) { return clock_mono_ns() / 1000000LL; }

/* CLOCK_REALTIME in ms since the Unix epoch: for timestamps people read. */
static inline int64_t clock_real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000LL;
}

/* CPU time used by the calling thread, in ns. */
static inline int64_t clock_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Format ms since epoch as "YYYY-MM-DDThh:mm:ss.mmmZ" into out (>= 25 bytes). */
void clock_fmt_iso_ms(int64_t ms, char out[32]);

#endif
