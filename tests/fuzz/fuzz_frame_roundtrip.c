/* fuzz_frame_roundtrip.c - libFuzzer target: frame_encode, then frame_parse and
 * frame_decode must give back the input and the metadata exactly (lz4's
 * round_trip_fuzzer pattern: abort on any mismatch).
 *
 * The first 8 bytes (when present) seed the metadata; the rest is the raw text.
 * Every proper prefix of the frame that is checked must parse as ERR_TRUNCATED.
 */
#include <errno.h>
#include <stdint.h>

#include "err.h"
#include "frame.h"
#include "fuzz_util.h"

static struct frame_enc *enc;
static struct frame_dec *dec;
static struct buf out;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!enc) {
        enc = frame_enc_create();
        dec = frame_dec_create();
        FUZZ_CHECK(enc && dec, "frame_enc_create/frame_dec_create failed");
    }
    uint8_t m8[8] = {0};
    size_t skip = size < 8 ? size : 8;
    memcpy(m8, data, skip);
    const uint8_t *raw = data + skip;
    size_t raw_len = size - skip;

    struct frame_meta m = {
        .kind = (m8[0] & 1) ? FRAME_DEAD : FRAME_EVENTS,
        .partition = (uint32_t)m8[1] << 8 | m8[2],
        .count = (uint32_t)m8[3],
        .first_seq = (int64_t)((uint32_t)m8[4] << 16 | (uint32_t)m8[5] << 8 | m8[6]),
    };
    m.last_seq = m.first_seq + m8[7];

    size_t cap = frame_bound(raw_len);
    FUZZ_CHECK(cap >= FRAME_HDR_BYTES, "frame_bound(%zu) = %zu", raw_len, cap);
    uint8_t *dst = malloc(cap);
    FUZZ_CHECK(dst != NULL, "out of memory");
    ssize_t flen = frame_encode(enc, &m, raw, raw_len, dst, cap);
    FUZZ_CHECK(flen >= (ssize_t)FRAME_HDR_BYTES && (size_t)flen <= cap,
               "frame_encode returned %zd (cap %zu)", flen, cap);

    struct frame_view v;
    int rc = frame_parse(dst, (size_t)flen, &v);
    FUZZ_CHECK(rc == 0, "frame_parse of a fresh frame returned %d", rc);
    FUZZ_CHECK(v.hdr_ok && v.total_len == (size_t)flen, "total_len %zu, frame %zd", v.total_len,
               flen);
    FUZZ_CHECK(v.meta.kind == m.kind && v.meta.partition == m.partition &&
                   v.meta.count == m.count && v.meta.first_seq == m.first_seq &&
                   v.meta.last_seq == m.last_seq,
               "metadata changed in the round trip");
    FUZZ_CHECK(v.raw_len == raw_len, "raw_len %u, input %zu", v.raw_len, raw_len);

    buf_reset(&out);
    rc = frame_decode(dec, &v, &out);
    FUZZ_CHECK(rc == 0, "frame_decode of a fresh frame returned %d", rc);
    FUZZ_CHECK(out.len == raw_len && (raw_len == 0 || memcmp(out.p, raw, raw_len) == 0),
               "decoded bytes differ from the input");

    /* Proper prefixes of the frame: the reader must ask for more bytes. */
    size_t cuts[] = {0, 1, 4, 8, 12, FRAME_HDR_BYTES - 1, FRAME_HDR_BYTES, (size_t)flen - 1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        if (cuts[i] >= (size_t)flen)
            continue;
        rc = frame_parse(dst, cuts[i], &v);
        FUZZ_CHECK(rc == ERR_TRUNCATED, "a %zu-byte prefix of a %zd-byte frame gave %d", cuts[i],
                   flen, rc);
    }
    free(dst);
    return 0;
}
