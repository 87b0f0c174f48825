/* tracker.c - out-of-order completions, in-order watermark; see tracker.h. */
#include "tracker.h"

#include <errno.h>
#include <string.h>

#include "clock.h"
#include "err.h"

static void publish(struct tracker *t, int64_t seq, const char *off)
{
    uint64_t w[ARRAY_SIZE(t->mark.off_w)];
    memset(w, 0, sizeof(w));
    memcpy(w, off, strnlen(off, TRACKER_OFF_MAX));
    uint64_t v = atomic_load_explicit(&t->mark.ver, memory_order_relaxed); /* own field */
    atomic_store_explicit(&t->mark.ver, v + 1, memory_order_relaxed);
    /* W1: the odd version is ordered before the data stores; pairs with R2 in tracker_read. */
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&t->mark.seq, seq, memory_order_relaxed);
    atomic_store_explicit(&t->mark.updated_ms, clock_real_ms(), memory_order_relaxed);
    for (size_t i = 0; i < ARRAY_SIZE(w); i++)
        atomic_store_explicit(&t->mark.off_w[i], w[i], memory_order_relaxed);
    /* W2: data stores happen before the even version; pairs with R1 in tracker_read. */
    atomic_store_explicit(&t->mark.ver, v + 2, memory_order_release);
}

void tracker_init(struct tracker *t, int64_t seq, const char *off)
{
    t->head = t->tail = 0;
    t->hi = seq;
    t->wm = seq;
    atomic_init(&t->mark.ver, 0);
    atomic_init(&t->mark.seq, seq);
    atomic_init(&t->mark.updated_ms, 0);
    for (size_t i = 0; i < ARRAY_SIZE(t->mark.off_w); i++)
        atomic_init(&t->mark.off_w[i], 0);
    publish(t, seq, off ? off : "");
}

int tracker_begin(struct tracker *t, int64_t first, int64_t last, const char *off, size_t off_len)
{
    if (UNLIKELY(first > last))
        return ERR_ORDER;
    if (UNLIKELY(last <= t->hi))
        return first <= t->hi ? -EALREADY : ERR_ORDER;
    if (UNLIKELY(first <= t->hi))
        return ERR_ORDER;
    if (UNLIKELY(t->tail - t->head >= TRACKER_SLOTS))
        return -EAGAIN;
    uint32_t tok = t->tail & (TRACKER_SLOTS - 1);
    struct tracker_range *r = &t->r[tok];
    r->first = first;
    r->last = last;
    if (off_len > TRACKER_OFF_MAX)
        off_len = TRACKER_OFF_MAX;
    memcpy(r->off, off, off_len);
    r->off[off_len] = '\0';
    r->done = 0;
    t->tail++;
    t->hi = last;
    return (int)tok;
}

bool tracker_done(struct tracker *t, uint32_t token)
{
    if (token >= TRACKER_SLOTS)
        return false;
    uint32_t pending = t->tail - t->head;
    uint32_t pos = (token - t->head) & (TRACKER_SLOTS - 1); /* distance from head */
    if (pos >= pending || t->r[token].done)
        return false;
    t->r[token].done = 1;
    if (pos != 0)
        return false;
    const struct tracker_range *last = NULL;
    while (t->head != t->tail) {
        struct tracker_range *r = &t->r[t->head & (TRACKER_SLOTS - 1)];
        if (!r->done)
            break;
        last = r;
        t->head++;
    }
    t->wm = last->last;
    publish(t, last->last, last->off);
    return true;
}

void tracker_read(const struct tracker *t, int64_t *seq, char off[TRACKER_OFF_MAX + 1],
                  int64_t *updated_ms)
{
    uint64_t w[ARRAY_SIZE(t->mark.off_w)];
    for (;;) {
        /* R1 pairs with W2 in publish. */
        uint64_t v1 = atomic_load_explicit(&t->mark.ver, memory_order_acquire);
        *seq = atomic_load_explicit(&t->mark.seq, memory_order_relaxed);
        *updated_ms = atomic_load_explicit(&t->mark.updated_ms, memory_order_relaxed);
        for (size_t i = 0; i < ARRAY_SIZE(w); i++)
            w[i] = atomic_load_explicit(&t->mark.off_w[i], memory_order_relaxed);
        /* R2 pairs with W1 in publish: the data loads happen before the re-check. */
        atomic_thread_fence(memory_order_acquire);
        uint64_t v2 = atomic_load_explicit(&t->mark.ver, memory_order_relaxed);
        if (v1 == v2 && (v1 & 1) == 0)
            break;
        cpu_relax();
    }
    memcpy(off, w, TRACKER_OFF_MAX);
    off[TRACKER_OFF_MAX] = '\0';
}
