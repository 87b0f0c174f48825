/* buf.h - a growable byte buffer on the owning thread's arena.
 *
 * Used for NDJSON output, dead letters and scratch. Growth is geometric and
 * happens only until the buffer reaches its working size; after that a shard
 * reuses it with buf_reset() and never allocates on the hot path.
 */
#ifndef SLUICE_BUF_H
#define SLUICE_BUF_H

#include <stddef.h>
#include <string.h>

#include "compiler.h"

struct buf {
    char *p;    /* bytes; NULL until first growth */
    size_t len; /* bytes used */
    size_t cap; /* bytes allocated */
};

/* Make room for at least `more` bytes past len. 0 or -ENOMEM (buf unchanged). @thread owner */
int buf_grow(struct buf *b, size_t more) MUST_CHECK;

static inline int MUST_CHECK buf_reserve(struct buf *b, size_t more)
{
    if (LIKELY(b->cap - b->len >= more))
        return 0;
    return buf_grow(b, more);
}

static inline int MUST_CHECK buf_append(struct buf *b, const void *p, size_t n)
{
    int rc = buf_reserve(b, n);
    if (UNLIKELY(rc))
        return rc;
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

static inline void buf_reset(struct buf *b) { b->len = 0; }

/* Free the memory. @thread owner */
void buf_fini(struct buf *b);

#endif
