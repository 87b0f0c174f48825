/* mem.h - runtime memory from per-thread jemalloc arenas (STYLE.md §6).
 *
 * Each pinned thread calls mem_thread_init() once: it creates its own arena
 * (arenas.create) and binds the thread to it (thread.arena), so rx and shard
 * threads never contend on allocator locks. mem_alloc()/mem_free() then go to
 * that arena. The allocating thread is the one that frees.
 * Builds without jemalloc (sanitizer builds: ASan/TSan must own malloc) fall back
 * to the libc allocator; the API is the same.
 * Boot-time and teardown memory may use plain malloc/free.
 */
#ifndef SLUICE_MEM_H
#define SLUICE_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

/* Create and bind this thread's arena. 0 or -ENOMEM. @thread owner, once, at start */
int mem_thread_init(void) MUST_CHECK;

/* size bytes from this thread's arena, or NULL. @thread owner */
void *mem_alloc(size_t size);
/* size bytes aligned to align (a power of two), or NULL. @thread owner */
void *mem_alloc_aligned(size_t size, size_t align);
/* Resize p to size; NULL on failure (p untouched). @thread owner */
void *mem_realloc(void *p, size_t size);
/* Free p (NULL is a no-op). @thread the allocating thread */
void mem_free(void *p);

/* a*b, false on overflow (checked size arithmetic). */
static inline bool mem_mul_ok(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool mem_add_ok(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

/* True when built with jemalloc arenas. */
bool mem_has_arenas(void);

#endif
