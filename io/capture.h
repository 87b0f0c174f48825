/* capture.h - capture files: Event Hub events as received (DESIGN.md §8).
 *
 * A capture names a hub (namespace FQDN + event hub name, both may be empty for
 * file imports) and its partition count, and holds, per partition, events in
 * increasing sequence-number order, each with: sequence number, offset (string),
 * enqueued time (ms), partition key, an optional file origin (base name + 1-based
 * line of the first record, for `sluice-replay import` without hub coordinates),
 * the number of records in the body, and the body bytes.
 *
 * On-disk layout (all integers little-endian; every block is an LZ4 skippable
 * frame followed by one standard LZ4 frame, so `lz4cat` can walk a capture):
 *
 *   [skippable 0x184D2A5C: file header]
 *       "SLCP" u32, version u16 (=1), flags u16, partitions u32, reserved u32,
 *       created_ms i64, ns_len u16, hub_len u16, ns bytes, hub bytes, crc32c u32
 *       (of everything before it inside the frame)
 *   then blocks, any partition order, each:
 *   [skippable 0x184D2A5D: block header]
 *       "SLCB" u32, partition u32, count u32, records u32, first_seq i64,
 *       last_seq i64, raw_len u32, lz4_len u32, lz4_crc u32 (crc32c of the LZ4
 *       frame bytes), hdr_crc u32 (crc32c of the header fields before it)
 *   [standard LZ4 frame of raw_len bytes]: `count` events, each
 *       seq i64, enq_ms i64, body_len u32, origin_line u32, records u16,
 *       off_len u16, key_len u16, origin_len u16, off, key, origin, body
 *
 * Within one partition, blocks appear in increasing sequence order.
 */
#ifndef SLUICE_CAPTURE_H
#define SLUICE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

#define CAPTURE_MAX_PARTITIONS 4096u
#define CAPTURE_NAME_MAX       255u

struct capture_event {
    int64_t seq;            /* Event Hubs sequence number */
    int64_t enq_ms;         /* enqueued time, ms since epoch */
    const char *off;        /* offset string */
    size_t off_len;
    const char *key;        /* partition key; key_len 0 when none */
    size_t key_len;
    const char *origin;     /* file base name for "file" ids; origin_len 0 when none */
    size_t origin_len;
    uint32_t origin_line;   /* 1-based line of the first record, 0 when none */
    uint32_t records;       /* records in the body (as counted by the writer) */
    const char *body;       /* message body */
    size_t body_len;
};

/* Per-partition summary, from block headers only. */
struct capture_part {
    uint64_t messages, records, bytes; /* bytes: raw body bytes */
    int64_t first_seq, last_seq;       /* -1 when the partition is empty */
    uint32_t nblocks;
    uint64_t *block_offs;              /* file offsets of this partition's blocks */
};

struct capture {
    char ns[CAPTURE_NAME_MAX + 1];  /* namespace FQDN, may be "" */
    char hub[CAPTURE_NAME_MAX + 1]; /* event hub name, may be "" */
    uint32_t partitions;
    int64_t created_ms;
    uint64_t file_bytes;
    struct capture_part *part;      /* [partitions] */
};

/* Open and index a capture: reads the header and every block header (not the
 * bodies). 0, -errno, ERR_FORMAT (not a capture / wrong version), ERR_CRC,
 * ERR_TRUNCATED. On failure *c is left empty. @thread control @blocking */
int capture_open(const char *path, struct capture *c) MUST_CHECK;
void capture_close(struct capture *c);

/* Sequential reader of one partition, with its own fd and decode buffer. */
struct capture_reader;

/* Reader of partition p of a capture opened with capture_open(), positioned at
 * the first event with seq > after_seq (-1: from the start). NULL with *err set.
 * @thread the reading thread @blocking */
struct capture_reader *capture_reader_open(const char *path, const struct capture *c, uint32_t p,
                                           int64_t after_seq, int *err);
/* Next event: 1 and *ev filled (pointers valid until the next call), 0 at the
 * end of the partition, or a negative error (ERR_CRC, ERR_LZ4, ERR_TRUNCATED, -errno).
 * @thread the reading thread @blocking */
int capture_reader_next(struct capture_reader *r, struct capture_event *ev) MUST_CHECK;
void capture_reader_close(struct capture_reader *r);

/* Writer. Buffers events per partition into blocks of about block_bytes raw
 * bytes (0: 1 MiB) and writes each full block as it fills. */
struct capture_writer;

struct capture_writer *capture_writer_create(const char *path, const char *ns, const char *hub,
                                             uint32_t partitions, size_t block_bytes, int *err);
/* Append one event to partition p; ev->seq must increase within a partition.
 * 0 or a negative error. @blocking */
int capture_write(struct capture_writer *w, uint32_t p, const struct capture_event *ev) MUST_CHECK;
/* Flush every partition, fsync, close. 0 or the first error seen. Frees w. */
int capture_writer_close(struct capture_writer *w) MUST_CHECK;

#endif
