/* batch.h - the unit that moves between threads (DESIGN.md §1, STYLE.md §6).
 *
 * DESIGN
 * A batch is one power-of-two block of memory, 64-byte aligned, owned by one
 * pool, holding one or more Event Hub messages of ONE partition. Descriptors
 * grow up from the header; payload bytes grow down from the end of the block:
 *
 *   0        sizeof(struct batch)            desc_end        data_low            cap
 *   [ header | msgs[0] msgs[1] ... msgs[n-1] |  ....free....  | bodyN+pad ... body0+pad ]
 *
 * Every body is followed by at least JSON_PAD zero bytes so the JSON shim parses
 * it in place (simdjson's padding contract). Small strings that travel with a
 * message (offset, partition key, origin) live in the payload area too.
 * batch_reset() sets every header field; pool memory is never assumed zeroed.
 * Offsets are relative to the start of the block, so a batch can be moved or
 * mapped elsewhere without fix-ups.
 * Ownership: exactly one thread owns a batch at any time; a ring push transfers it.
 */
#ifndef SLUICE_BATCH_H
#define SLUICE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

#define JSON_PAD 64 /* >= simdjson::SIMDJSON_PADDING; checked in json_shim.cpp */

struct pool;

/* One message in a batch. All offsets are from the start of the batch. */
struct batch_msg {
    int64_t seq;          /* Event Hubs sequence number */
    int64_t enq_ms;       /* enqueued time, ms since the Unix epoch */
    uint32_t body_off;    /* message body; JSON_PAD zero bytes follow it */
    uint32_t body_len;
    uint32_t off_off;     /* offset string (x-opt-offset); not NUL-terminated */
    uint32_t key_off;     /* partition key; key_len 0 when none */
    uint32_t origin_off;  /* origin name for file imports ("file" ids); 0 length when none */
    uint32_t origin_line; /* 1-based line of the first record when imported, else 0 */
    uint16_t off_len;
    uint16_t key_len;
    uint16_t origin_len;
    uint16_t records;     /* records in the body as counted by the source, 0 if unknown */
};

struct batch {
    struct pool *pool;  /* owning pool; immutable */
    uint32_t partition; /* every message is of this partition */
    uint32_t count;     /* messages */
    int64_t first_seq;  /* seq of msgs[0]; valid when count > 0 */
    int64_t last_seq;   /* seq of msgs[count-1] */
    uint32_t cap;       /* bytes in the whole block */
    uint32_t desc_end;  /* end of the descriptor array */
    uint32_t data_low;  /* start of the payload area */
    int32_t status;     /* 0, or an error travelling with the batch (STYLE.md §5) */
    uint32_t flags;     /* BATCH_F_* */
    uint32_t bytes;     /* body bytes, for counters */
    struct batch_msg msgs[];
};

#define BATCH_F_LAST 0x1u /* the source has nothing after this batch (replay end) */

/* Reset an empty batch for `partition`. @thread owner */
static inline void batch_reset(struct batch *b, uint32_t partition)
{
    b->partition = partition;
    b->count = 0;
    b->first_seq = -1;
    b->last_seq = -1;
    b->desc_end = (uint32_t)sizeof(struct batch);
    b->data_low = b->cap;
    b->status = 0;
    b->flags = 0;
    b->bytes = 0;
}

static inline const char *batch_ptr(const struct batch *b, uint32_t off)
{
    return (const char *)b + off;
}

/* Bytes needed to add a message with these sizes (descriptor, strings, body, pad). */
static inline size_t batch_msg_need(size_t body_len, size_t strings_len)
{
    return sizeof(struct batch_msg) + ALIGN_UP(body_len + JSON_PAD + strings_len, (size_t)8);
}

/* True if a message of these sizes can ever fit a batch of cap bytes. */
static inline bool batch_fits_empty(uint32_t cap, size_t body_len, size_t strings_len)
{
    return sizeof(struct batch) + batch_msg_need(body_len, strings_len) <= cap;
}

/* Append one message. Copies off, key and origin; returns a pointer where the
 * caller writes exactly body_len body bytes (the pad is already zeroed), or
 * NULL when the batch has no room (batch unchanged). seq must be greater than
 * the previous message's. @thread owner @hot */
char *batch_add(struct batch *b, int64_t seq, int64_t enq_ms, const char *off, size_t off_len,
                const char *key, size_t key_len, const char *origin, size_t origin_len,
                uint32_t origin_line, uint16_t records, size_t body_len);

#endif
