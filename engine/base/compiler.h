/* compiler.h - the one place that defines hot-path idioms (STYLE.md §9).
 *
 * Everything here is a macro or a trivial inline; no file outside engine/base
 * may define its own variants of these.
 */
#ifndef SLUICE_COMPILER_H
#define SLUICE_COMPILER_H

#include <stddef.h>

#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* 64 bytes on every x86-64 and most arm64 parts we deploy on. Where adjacent-line
 * prefetch hurts (Intel L2 spatial prefetcher) ring indices use CACHELINE_PAIR. */
#define CACHELINE      64
#define CACHELINE_PAIR 128
#define CACHE_ALIGNED  __attribute__((aligned(CACHELINE)))

#define COLD_NOINLINE __attribute__((cold, noinline))
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define PREFETCH(p)   __builtin_prefetch((p))
#define MUST_CHECK    __attribute__((warn_unused_result))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define UNUSED        __attribute__((unused))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)     ((a) < (b) ? (a) : (b))
#define MAX(a, b)     ((a) > (b) ? (a) : (b))

/* Round x up to a multiple of the power of two a. */
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))

/* Relax the core inside a spin loop (haproxy core-principles: spin loops must relax). */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

#endif
