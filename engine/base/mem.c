/* mem.c - per-thread jemalloc arenas, or libc when built without jemalloc.
 *
 * DESIGN: tl_arena_flags holds MALLOCX_ARENA(arena) for the calling thread once
 * mem_thread_init() has run, 0 before (the default arena). Large blocks skip the
 * thread cache (MALLOCX_TCACHE_NONE) so they go straight back to the arena.
 */
#include "mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef SLUICE_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>

#define MEM_LARGE_BYTES (256u * 1024u)

static _Thread_local int tl_arena_flags;

int mem_thread_init(void)
{
    unsigned arena;
    size_t sz = sizeof(arena);
    if (mallctl("arenas.create", &arena, &sz, NULL, 0) != 0)
        return -ENOMEM;
    if (mallctl("thread.arena", NULL, NULL, &arena, sizeof(arena)) != 0)
        return -ENOMEM;
    tl_arena_flags = MALLOCX_ARENA(arena);
    return 0;
}

static inline int flags_for(size_t size)
{
    return tl_arena_flags | (size >= MEM_LARGE_BYTES ? MALLOCX_TCACHE_NONE : 0);
}

void *mem_alloc(size_t size) { return mallocx(size ? size : 1, flags_for(size)); }

void *mem_alloc_aligned(size_t size, size_t align)
{
    return mallocx(size ? size : 1, flags_for(size) | MALLOCX_ALIGN(align));
}

void *mem_realloc(void *p, size_t size)
{
    if (!p)
        return mem_alloc(size);
    return rallocx(p, size ? size : 1, flags_for(size));
}

void mem_free(void *p)
{
    if (p)
        dallocx(p, tl_arena_flags | MALLOCX_TCACHE_NONE);
}

bool mem_has_arenas(void) { return true; }

#else /* libc fallback for sanitizer builds */

int mem_thread_init(void) { return 0; }
void *mem_alloc(size_t size) { return malloc(size ? size : 1); }
void *mem_alloc_aligned(size_t size, size_t align)
{
    void *p = NULL;
    if (align < sizeof(void *))
        align = sizeof(void *);
    if (posix_memalign(&p, align, size ? size : 1) != 0)
        return NULL;
    return p;
}
void *mem_realloc(void *p, size_t size) { return realloc(p, size ? size : 1); }
void mem_free(void *p) { free(p); }
bool mem_has_arenas(void) { return false; }

#endif
