/* buf.c - growth for struct buf. */
#include "buf.h"

#include <errno.h>

#include "mem.h"

int buf_grow(struct buf *b, size_t more)
{
    size_t need;
    if (!mem_add_ok(b->len, more, &need))
        return -ENOMEM;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need) {
        if (!mem_mul_ok(cap, 2, &cap))
            return -ENOMEM;
    }
    char *p = mem_realloc(b->p, cap);
    if (!p)
        return -ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

void buf_fini(struct buf *b)
{
    mem_free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
