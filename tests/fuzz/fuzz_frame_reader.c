/* fuzz_frame_reader.c - libFuzzer target: frame_parse + frame_decode over
 * arbitrary bytes, walked the way recovery walks a segment (io/recov.c): a good
 * frame is decoded and skipped by total_len, a bad LZ4 part with a good header is
 * skipped by total_len, a bad header resyncs at the next frame signature, a
 * truncated frame ends the walk.
 *
 * Byte 0 bit 0 set: before walking, recompute the header and LZ4 CRCs of every
 * frame signature found (in place, front to back), so that mutations reach the
 * length checks and the LZ4 decoder instead of dying on a CRC mismatch.
 * Checks: total_len is at least a header, a good frame fits in what is left,
 * decode appends exactly raw_len bytes and nothing on failure.
 */
#include <errno.h>
#include <stdint.h>

#include "err.h"
#include "frame.h"
#include "fuzz_util.h"

static struct frame_dec *dec;
static struct buf out;

static const uint8_t sig[12] = {0x5A, 0x2A, 0x4D, 0x18, 56, 0, 0, 0, 'S', 'L', 'S', 'F'};

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Header payload offsets (frame.h). */
enum { H_LZ4_LEN = 36, H_LZ4_CRC = 40, H_HDR_CRC = 52 };

static void fix_crcs(uint8_t *p, size_t n)
{
    for (size_t off = 0; off + FRAME_HDR_BYTES <= n; off++) {
        if (memcmp(p + off, sig, sizeof(sig)) != 0)
            continue;
        uint8_t *h = p + off + 8;
        size_t lz4_len = rd32(h + H_LZ4_LEN), avail = n - off - FRAME_HDR_BYTES;
        if (lz4_len <= avail)
            wr32(h + H_LZ4_CRC, crc32c(0, p + off + FRAME_HDR_BYTES, lz4_len));
        wr32(h + H_HDR_CRC, crc32c(0, h, H_HDR_CRC));
    }
}

static size_t resync(const uint8_t *p, size_t n, size_t from)
{
    if (from >= n)
        return n;
    const uint8_t *q = memmem(p + from, n - from, sig, sizeof(sig));
    return q ? (size_t)(q - p) : n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dec) {
        dec = frame_dec_create();
        FUZZ_CHECK(dec != NULL, "frame_dec_create failed");
    }
    if (size == 0)
        return 0;
    size_t n = size - 1;
    uint8_t *p = malloc(n ? n : 1);
    FUZZ_CHECK(p != NULL, "out of memory");
    memcpy(p, data + 1, n);
    if (data[0] & 1)
        fix_crcs(p, n);

    size_t off = 0;
    while (off < n) {
        struct frame_view v;
        int rc = frame_parse(p + off, n - off, &v);
        FUZZ_CHECK(rc == 0 || rc == ERR_TRUNCATED || rc == ERR_FORMAT || rc == ERR_CRC,
                   "frame_parse returned %d", rc);
        FUZZ_CHECK(v.total_len >= FRAME_HDR_BYTES, "total_len %zu below a header", v.total_len);
        if (rc == ERR_TRUNCATED) {
            FUZZ_CHECK(v.total_len > n - off, "truncated, yet %zu of %zu bytes are there", n - off,
                       v.total_len);
            break;
        }
        if (rc) {
            off = v.hdr_ok ? off + v.total_len : resync(p, n, off + 1);
            continue;
        }
        FUZZ_CHECK(v.hdr_ok, "good frame without hdr_ok");
        FUZZ_CHECK(v.total_len <= n - off, "good frame runs past the input");
        FUZZ_CHECK(v.lz4 == p + off + FRAME_HDR_BYTES && v.total_len == FRAME_HDR_BYTES + v.lz4_len,
                   "view does not describe the frame");
        buf_reset(&out);
        rc = frame_decode(dec, &v, &out);
        FUZZ_CHECK(rc == 0 || rc == ERR_LZ4, "frame_decode returned %d", rc);
        FUZZ_CHECK(rc ? out.len == 0 : out.len == v.raw_len, "decode appended %zu, raw_len %u",
                   out.len, v.raw_len);
        off += v.total_len;
    }
    free(p);
    return 0;
}
