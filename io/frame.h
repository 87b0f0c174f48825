/* frame.h - spool frames: binary header in an LZ4 skippable frame, then a
 * standard LZ4 frame of NDJSON (DESIGN.md §5).
 *
 *   [u32 0x184D2A5A][u32 56]                                  skippable frame
 *   [ "SLSF" u32 | version u16 (=1) | kind u16 | partition u32 | count u32 |
 *     first_seq i64 | last_seq i64 | raw_len u32 | lz4_len u32 | lz4_crc u32 |
 *     reserved u32 | hdr_crc u32 ]                            56 bytes, little-endian
 *   [ standard LZ4 frame, lz4_len bytes, decoding to raw_len bytes of NDJSON ]
 *
 * Byte offsets inside the 56-byte payload (the field list above sums to 52, so
 * "reserved" is 8 bytes wide; it is written as zero and ignored on read):
 *
 *    0 "SLSF"   4 version   6 kind   8 partition  12 count  16 first_seq
 *   24 last_seq 32 raw_len 36 lz4_len 40 lz4_crc  44 reserved[8]  52 hdr_crc
 *
 * lz4_crc is CRC32C (Castagnoli) of the LZ4 frame bytes; hdr_crc is CRC32C of the
 * 52 header bytes before it. Because the header is a skippable frame, stock
 * `lz4cat segment.seg` prints the NDJSON and skips our headers. kind says which
 * stream the frame belongs to: events or dead letters.
 */
#ifndef SLUICE_FRAME_H
#define SLUICE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "compiler.h"

#define FRAME_SKIP_MAGIC  0x184D2A5Au
#define FRAME_HDR_PAYLOAD 56u
#define FRAME_HDR_BYTES   (8u + FRAME_HDR_PAYLOAD)

enum frame_kind { FRAME_EVENTS = 1, FRAME_DEAD = 2 };

struct frame_meta {
    uint16_t kind;      /* enum frame_kind */
    uint32_t partition;
    uint32_t count;     /* NDJSON lines in the frame */
    int64_t first_seq;  /* sequence range of the source messages covered */
    int64_t last_seq;
};

/* CRC32C (Castagnoli), hardware-accelerated where the CPU has it. Start with crc 0;
 * crc32c(crc32c(0, a, n), b, m) is the CRC of a followed by b. @thread any */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

/* The same CRC by the portable slice-by-8 table, whatever the CPU (for tests and
 * benchmarks of the fallback). @thread any */
uint32_t crc32c_portable(uint32_t crc, const void *p, size_t n);

/* Largest frame that frame_encode can produce for raw_len bytes. */
size_t frame_bound(size_t raw_len);

struct frame_enc; /* owns one LZ4F compression context; reused per shard */
struct frame_enc *frame_enc_create(void);
void frame_enc_destroy(struct frame_enc *e);

/* Encode raw (NDJSON) as one frame into dst (cap >= frame_bound(raw_len)).
 * Returns the frame length, or ERR_LZ4 / -ENOSPC (cap too small) / ERR_TOO_BIG
 * (raw_len over UINT32_MAX). The LZ4 frame uses LZ4 fast (default level),
 * independent 4 MB blocks, the content size in its header and no xxhash
 * checksums (lz4_crc covers it). @thread owner @hot */
ssize_t frame_encode(struct frame_enc *e, const struct frame_meta *m, const void *raw,
                     size_t raw_len, void *dst, size_t cap);

/* A parsed frame header and where its LZ4 frame is. */
struct frame_view {
    struct frame_meta meta;
    uint32_t raw_len, lz4_len, lz4_crc;
    const uint8_t *lz4;  /* points into the caller's buffer */
    size_t total_len;    /* FRAME_HDR_BYTES + lz4_len */
    bool hdr_ok;         /* header checked good (magic, CRC, version, kind); set even
                            when frame_parse then fails on the LZ4 part, so a reader
                            can skip total_len bytes to the next frame */
};

/* Parse the frame at p (avail bytes): checks magic, size, version, header CRC,
 * that the LZ4 frame is complete, and its CRC. 0, ERR_TRUNCATED (need more
 * bytes), ERR_FORMAT (not a frame header), ERR_CRC. @thread any
 * On ERR_TRUNCATED, v->total_len is the number of bytes the frame needs: the
 * whole frame once the header is complete and valid, else FRAME_HDR_BYTES.
 * Checks run in this order: skippable magic and size, "SLSF" (ERR_FORMAT),
 * header CRC (ERR_CRC), version and kind (ERR_FORMAT), completeness
 * (ERR_TRUNCATED), LZ4 CRC (ERR_CRC), LZ4 frame magic (ERR_FORMAT). */
int frame_parse(const void *p, size_t avail, struct frame_view *v) MUST_CHECK;

struct frame_dec; /* owns one LZ4F decompression context */
struct frame_dec *frame_dec_create(void);
void frame_dec_destroy(struct frame_dec *d);

/* Decompress v's LZ4 frame, appending exactly v->raw_len bytes to out.
 * 0, ERR_LZ4 (corrupt or wrong length), -ENOMEM. @thread owner */
int frame_decode(struct frame_dec *d, const struct frame_view *v, struct buf *out) MUST_CHECK;

#endif
