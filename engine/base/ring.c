/* ring.c - allocation of SPSC rings; the operations are inline in ring.h. */
#include "ring.h"

#include <stdlib.h>

#include "mem.h"

struct ring *ring_create(uint32_t slots)
{
    if (slots < 2 || (slots & (slots - 1)) != 0 || slots > (1u << 30))
        return NULL;
    size_t bytes = sizeof(struct ring) + (size_t)slots * sizeof(void *);
    struct ring *r = NULL;
    if (posix_memalign((void **)&r, CACHELINE_PAIR, ALIGN_UP(bytes, (size_t)CACHELINE_PAIR)) != 0)
        return NULL;
    atomic_init(&r->prod.tail, 0);
    r->prod.head_cache = 0;
    atomic_init(&r->cons.head, 0);
    r->cons.tail_cache = 0;
    r->mask = slots - 1;
    r->cap = slots;
    for (uint32_t i = 0; i < slots; i++)
        r->slots[i] = NULL;
    return r;
}

void ring_destroy(struct ring *r) { free(r); }
