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
 * Within one partition, blocks appear in increasing sequence order. "SLCP" and
 * "SLCB" are the four ASCII bytes in file order. Blocks are never empty
 * (count >= 1) and hold one partition each. Every byte is covered by a CRC or
 * checked against a fixed value, so any corrupted byte is reported.
 */
#ifndef SLUICE_CAPTURE_H
#define SLUICE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

#define CAPTURE_MAX_PARTITIONS 4096u
#define CAPTURE_NAME_MAX       255u
/* Every body a reader returns is followed by at least this many readable bytes
 * (not necessarily zero), so a JSON parser that reads ahead stays in bounds. */
#define CAPTURE_PAD            64u
/* Largest encoded event (32-byte event header + off + key + origin + body) the
 * writer accepts; a larger one is ERR_TOO_BIG. Event Hubs' own limit is 1 MB. */
#define CAPTURE_MAX_EVENT_BYTES (64u << 20)

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

/* Per-partition summary, from block headers only (bytes excepted: see below). */
struct capture_part {
    uint64_t messages, records, bytes; /* bytes: raw body bytes; block headers do not carry
                                          them, so 0 after capture_open() and filled in by
                                          capture_verify() */
    int64_t first_seq, last_seq;       /* -1 when the partition is empty */
    uint64_t min_body, max_body;       /* smallest and largest body, from capture_verify() */
    uint32_t max_records;              /* most records in one message, from capture_verify() */
    uint32_t nblocks;
    uint64_t *block_offs;              /* file offsets of this partition's blocks */
    int64_t *block_last_seq;           /* last_seq of each block, for positioning */
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

/* Read and decode every block of a capture opened with capture_open(): checks
 * each frame's CRC, the event layout, and that each partition's events agree
 * with the block headers (counts, records, sequence range); fills part[].bytes.
 * 0, -errno, ERR_CRC, ERR_LZ4, ERR_TRUNCATED, ERR_FORMAT (layout disagrees).
 * @thread control @blocking (reads the whole file) */
int capture_verify(const char *path, struct capture *c) MUST_CHECK;

/* Sequential reader of one partition, with its own fd and decode buffer. */
struct capture_reader;

/* Reader of partition p of a capture opened with capture_open(), positioned at
 * the first event with seq > after_seq (-1: from the start). NULL with *err set
 * (-EINVAL for p out of range, -ENOMEM, -errno from open). The reader copies the
 * partition's block index, so c may be closed while readers are open.
 * @thread the reading thread @blocking */
struct capture_reader *capture_reader_open(const char *path, const struct capture *c, uint32_t p,
                                           int64_t after_seq, int *err);
/* Next event: 1 and *ev filled (pointers valid until the next call; body is
 * followed by CAPTURE_PAD readable bytes), 0 at the end of the partition, or a
 * negative error (ERR_CRC, ERR_LZ4, ERR_TRUNCATED, ERR_FORMAT for a block whose
 * decoded layout is inconsistent, -errno). After an error the reader stays failed
 * and returns the same error. No allocation or syscall per event: one pread per
 * block and a decode into a reused buffer.
 * @thread the reading thread @blocking */
int capture_reader_next(struct capture_reader *r, struct capture_event *ev) MUST_CHECK;
void capture_reader_close(struct capture_reader *r);

/* Writer. Buffers events per partition into blocks of about block_bytes raw
 * bytes (0: 1 MiB, lowered to 256 MiB / partitions, at least 64 KiB, so that
 * the buffers of many partitions stay bounded) and writes each full block as it
 * fills. The file is created (truncated) with mode 0644.
 * NULL with *err set: -EINVAL (partitions 0 or > CAPTURE_MAX_PARTITIONS, ns or
 * hub longer than CAPTURE_NAME_MAX), -ENOMEM, -errno from open/write.
 * @thread one thread at a time @blocking */
struct capture_writer;

struct capture_writer *capture_writer_create(const char *path, const char *ns, const char *hub,
                                             uint32_t partitions, size_t block_bytes, int *err);
/* Append one event to partition p; ev->seq must increase within a partition.
 * 0 or a negative error: -EINVAL (p out of range, seq < 0, records > 65535,
 * off/key/origin longer than 65535 bytes), ERR_ORDER (seq not above the last
 * one of p), ERR_TOO_BIG (event over CAPTURE_MAX_EVENT_BYTES), -ENOMEM, ERR_LZ4,
 * -errno from write. An argument error leaves the writer usable; an I/O error
 * is sticky and returned by every later call. @blocking */
int capture_write(struct capture_writer *w, uint32_t p, const struct capture_event *ev) MUST_CHECK;
/* Set the header's created_ms (default: the wall clock at create), e.g. so that
 * a deterministic generator writes byte-identical captures. 0 or -errno. @blocking */
int capture_writer_set_created_ms(struct capture_writer *w, int64_t created_ms) MUST_CHECK;
/* Flush every partition, fsync, close. 0 or the first error seen. Frees w. */
int capture_writer_close(struct capture_writer *w) MUST_CHECK;

/* What a writer wrote. */
struct capture_totals {
    uint64_t messages;   /* events written */
    uint64_t records;    /* sum of their records fields */
    uint64_t bytes;      /* body bytes */
    uint64_t file_bytes; /* size of the capture file */
    uint64_t blocks;     /* blocks written */
};

/* capture_writer_close(), also filling *t (when not NULL) with the totals,
 * whether or not it fails. Frees w. */
int capture_writer_close_totals(struct capture_writer *w, struct capture_totals *t) MUST_CHECK;

#endif
