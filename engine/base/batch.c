/* batch.c - appending messages to a batch; layout in batch.h. */
#include "batch.h"

#include <string.h>

char *batch_add(struct batch *b, int64_t seq, int64_t enq_ms, const char *off, size_t off_len,
                const char *key, size_t key_len, const char *origin, size_t origin_len,
                uint32_t origin_line, uint16_t records, size_t body_len)
{
    if (UNLIKELY(off_len > UINT16_MAX || key_len > UINT16_MAX || origin_len > UINT16_MAX))
        return NULL;
    size_t strings = off_len + key_len + origin_len;
    size_t need = batch_msg_need(body_len, strings);
    size_t free_bytes = (size_t)b->data_low - b->desc_end;
    if (need > free_bytes)
        return NULL;

    size_t payload = need - sizeof(struct batch_msg);
    uint32_t low = b->data_low - (uint32_t)payload;
    char *base = (char *)b;
    char *body = base + low;
    char *pad = body + body_len;
    memset(pad, 0, JSON_PAD);
    char *s = pad + JSON_PAD;

    struct batch_msg *m = &b->msgs[b->count];
    m->seq = seq;
    m->enq_ms = enq_ms;
    m->body_off = low;
    m->body_len = (uint32_t)body_len;
    m->off_off = (uint32_t)(s - base);
    m->off_len = (uint16_t)off_len;
    if (off_len)
        memcpy(s, off, off_len);
    s += off_len;
    m->key_off = (uint32_t)(s - base);
    m->key_len = (uint16_t)key_len;
    if (key_len)
        memcpy(s, key, key_len);
    s += key_len;
    m->origin_off = (uint32_t)(s - base);
    m->origin_len = (uint16_t)origin_len;
    if (origin_len)
        memcpy(s, origin, origin_len);
    m->origin_line = origin_line;
    m->records = records;

    if (b->count == 0)
        b->first_seq = seq;
    b->last_seq = seq;
    b->count++;
    b->desc_end += (uint32_t)sizeof(struct batch_msg);
    b->data_low = low;
    b->bytes += (uint32_t)body_len;
    return body;
}
