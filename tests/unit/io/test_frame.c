/* test_frame.c - io/frame.c: CRC32C, frame encode/parse/decode, lz4cat compatibility. */
#include "frame.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "harness.h"

/* ---- helpers --------------------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* n bytes of NDJSON-looking text: lines "{...}\n" (the last line may be cut). */
static char *make_ndjson(size_t n, uint32_t *lines)
{
    char *p = malloc(n ? n : 1);
    size_t i = 0;
    uint32_t count = 0;
    while (i < n) {
        char line[256];
        int len = snprintf(line, sizeof(line),
                           "{\"class_uid\":%u,\"time\":%llu,\"metadata\":{\"uid\":\"%016llx\"},"
                           "\"device\":{\"hostname\":\"host%u\"}}\n",
                           (unsigned)(rnd() % 7000),
                           (unsigned long long)(1667840000000ull + rnd() % 100000000),
                           (unsigned long long)rnd(), (unsigned)(rnd() % 500));
        size_t take = MIN((size_t)len, n - i);
        memcpy(p + i, line, take);
        i += take;
        if (take == (size_t)len)
            count++;
    }
    if (lines)
        *lines = count;
    return p;
}

static uint32_t crc32c_bitwise(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= b[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
    }
    return ~c;
}

/* Encode raw into a fresh malloc'd frame; *len gets its length. */
static uint8_t *encode(struct frame_enc *e, const struct frame_meta *m, const void *raw,
                       size_t n, size_t *len)
{
    size_t cap = frame_bound(n);
    uint8_t *dst = malloc(cap);
    ssize_t r = frame_encode(e, m, raw, n, dst, cap);
    if (r < 0) {
        free(dst);
        return NULL;
    }
    *len = (size_t)r;
    return dst;
}


/* ---- CRC32C ---------------------------------------------------------------------------- */

TEST(crc32c_check_value)
{
    CHECK_EQ_U64(crc32c(0, "123456789", 9), 0xE3069283u);
    CHECK_EQ_U64(crc32c_portable(0, "123456789", 9), 0xE3069283u);
    CHECK_EQ_U64(crc32c(0, "", 0), 0);
    uint8_t zeros[32] = {0};
    CHECK_EQ_U64(crc32c(0, zeros, 32), 0x8A9136AAu); /* RFC 3720 B.4 */
}

TEST(crc32c_matches_bitwise_any_alignment_and_chains)
{
    uint8_t buf[1100];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)rnd();
    for (size_t off = 0; off < 9; off++) {
        for (size_t n = 0; n + off <= sizeof(buf); n += (n < 70 ? 1 : 97)) {
            uint32_t want = crc32c_bitwise(buf + off, n);
            CHECK_EQ_U64(crc32c(0, buf + off, n), want);
            CHECK_EQ_U64(crc32c_portable(0, buf + off, n), want);
            size_t cut = n / 3;
            CHECK_EQ_U64(crc32c(crc32c(0, buf + off, cut), buf + off + cut, n - cut), want);
            CHECK_EQ_U64(crc32c_portable(crc32c(0, buf + off, cut), buf + off + cut, n - cut),
                         want);
        }
    }
}

/* ---- round trip ------------------------------------------------------------------------ */

static void roundtrip(struct frame_enc *e, struct frame_dec *d, size_t n, bool random_bytes)
{
    uint32_t lines = 0;
    char *raw = make_ndjson(n, &lines);
    if (random_bytes)
        for (size_t i = 0; i < n; i++)
            raw[i] = (char)rnd();
    struct frame_meta m = {.kind = FRAME_DEAD, .partition = 1023, .count = lines,
                           .first_seq = -5, .last_seq = (int64_t)1 << 40};
    size_t len = 0;
    uint8_t *f = encode(e, &m, raw, n, &len);
    REQUIRE(f != NULL);
    CHECK(len <= frame_bound(n));
    CHECK(len > FRAME_HDR_BYTES);

    struct frame_view v;
    REQUIRE(frame_parse(f, len, &v) == 0);
    CHECK(v.hdr_ok);
    CHECK_EQ_INT(v.meta.kind, FRAME_DEAD);
    CHECK_EQ_U64(v.meta.partition, 1023);
    CHECK_EQ_U64(v.meta.count, lines);
    CHECK_EQ_INT(v.meta.first_seq, -5);
    CHECK_EQ_INT(v.meta.last_seq, (int64_t)1 << 40);
    CHECK_EQ_U64(v.raw_len, n);
    CHECK_EQ_U64(v.total_len, len);
    CHECK_EQ_U64(v.lz4_len, len - FRAME_HDR_BYTES);
    CHECK(v.lz4 == f + FRAME_HDR_BYTES);

    struct buf out = {0};
    REQUIRE(buf_append(&out, "xy", 2) == 0); /* decode appends */
    CHECK_EQ_INT(frame_decode(d, &v, &out), 0);
    CHECK_EQ_U64(out.len, n + 2);
    if (out.len == n + 2) {
        CHECK_EQ_MEM(out.p, "xy", 2);
        CHECK_EQ_MEM(out.p + 2, raw, n);
    }
    buf_fini(&out);
    free(f);
    free(raw);
}

TEST(roundtrip_sizes)
{
    struct frame_enc *e = frame_enc_create();
    struct frame_dec *d = frame_dec_create();
    REQUIRE(e && d);
    const size_t sizes[] = {0, 1, 100, 64 * 1024, 4 * 1024 * 1024, 4 * 1024 * 1024 + 17};
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
        roundtrip(e, d, sizes[i], false);
    roundtrip(e, d, 64 * 1024, true); /* incompressible */
    roundtrip(e, d, 100, true);
    frame_enc_destroy(e);
    frame_dec_destroy(d);
}

TEST(ndjson_compresses)
{
    struct frame_enc *e = frame_enc_create();
    REQUIRE(e);
    char *raw = make_ndjson(1 << 20, NULL);
    struct frame_meta m = {.kind = FRAME_EVENTS};
    size_t len = 0;
    uint8_t *f = encode(e, &m, raw, 1 << 20, &len);
    REQUIRE(f);
    CHECK(len < (1u << 20) / 2);
    free(f);
    free(raw);
    frame_enc_destroy(e);
}

TEST(encode_needs_frame_bound)
{
    struct frame_enc *e = frame_enc_create();
    REQUIRE(e);
    char *raw = make_ndjson(5000, NULL);
    struct frame_meta m = {.kind = FRAME_EVENTS};
    size_t cap = frame_bound(5000);
    uint8_t *dst = malloc(cap);
    CHECK_EQ_INT(frame_encode(e, &m, raw, 5000, dst, cap - 1), -ENOSPC);
    CHECK_EQ_INT(frame_encode(e, &m, raw, 5000, dst, 10), -ENOSPC);
    ssize_t r = frame_encode(e, &m, raw, 5000, dst, cap);
    CHECK(r > 0);
    struct frame_view v;
    CHECK_EQ_INT(frame_parse(dst, (size_t)r, &v), 0);
    free(dst);
    free(raw);
    frame_enc_destroy(e);
}

/* ---- damage ---------------------------------------------------------------------------- */

TEST(corrupt_header_byte_is_crc_or_format)
{
    struct frame_enc *e = frame_enc_create();
    REQUIRE(e);
    char *raw = make_ndjson(700, NULL);
    struct frame_meta m = {.kind = FRAME_EVENTS, .partition = 3, .count = 1, .first_seq = 9,
                           .last_seq = 12};
    size_t len = 0;
    uint8_t *f = encode(e, &m, raw, 700, &len);
    REQUIRE(f);
    for (size_t i = 0; i < FRAME_HDR_BYTES; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            f[i] ^= (uint8_t)(1u << bit);
            struct frame_view v;
            int rc = frame_parse(f, len, &v);
            if (rc != ERR_CRC && rc != ERR_FORMAT)
                HFAIL("header byte %zu bit %d: rc %d", i, bit, rc);
            CHECK(!v.hdr_ok);
            f[i] ^= (uint8_t)(1u << bit);
        }
    }
    struct frame_view v;
    CHECK_EQ_INT(frame_parse(f, len, &v), 0);
    free(f);
    free(raw);
    frame_enc_destroy(e);
}

TEST(corrupt_lz4_byte_is_crc)
{
    struct frame_enc *e = frame_enc_create();
    REQUIRE(e);
    char *raw = make_ndjson(3000, NULL);
    struct frame_meta m = {.kind = FRAME_EVENTS};
    size_t len = 0;
    uint8_t *f = encode(e, &m, raw, 3000, &len);
    REQUIRE(f);
    for (size_t i = FRAME_HDR_BYTES; i < len; i++) {
        f[i] ^= 0x40;
        struct frame_view v;
        int rc = frame_parse(f, len, &v);
        if (rc != ERR_CRC)
            HFAIL("lz4 byte %zu: rc %d", i, rc);
        CHECK(v.hdr_ok); /* the header is fine: a reader can skip this frame */
        f[i] ^= 0x40;
    }
    free(f);
    free(raw);
    frame_enc_destroy(e);
}

TEST(truncation_at_every_offset)
{
    struct frame_enc *e = frame_enc_create();
    REQUIRE(e);
    char *raw = make_ndjson(400, NULL);
    struct frame_meta m = {.kind = FRAME_EVENTS};
    size_t len = 0;
    uint8_t *f = encode(e, &m, raw, 400, &len);
    REQUIRE(f);
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1); /* exact size: ASan catches overreads */
        memcpy(copy, f, cut);
        struct frame_view v;
        int rc = frame_parse(copy, cut, &v);
        if (rc != ERR_TRUNCATED)
            HFAIL("cut at %zu of %zu: rc %d", cut, len, rc);
        CHECK_EQ_U64(v.total_len, cut < FRAME_HDR_BYTES ? FRAME_HDR_BYTES : len);
        free(copy);
    }
    struct frame_view v;
    CHECK_EQ_INT(frame_parse(f, len, &v), 0);
    /* trailing bytes after a frame do not matter */
    uint8_t *big = calloc(1, len + 50);
    memcpy(big, f, len);
    CHECK_EQ_INT(frame_parse(big, len + 50, &v), 0);
    CHECK_EQ_U64(v.total_len, len);
    free(big);
    free(f);
    free(raw);
    frame_enc_destroy(e);
}

TEST(not_a_frame_is_format)
{
    struct frame_view v;
    const char junk[80] = "{\"this\":\"is not a frame\"}\n";
    CHECK_EQ_INT(frame_parse(junk, sizeof(junk), &v), ERR_FORMAT);
    CHECK_EQ_INT(frame_parse(junk, 3, &v), ERR_TRUNCATED); /* too short to tell */
    CHECK_EQ_INT(frame_parse(junk, 4, &v), ERR_FORMAT);
}

/* Rewrite header field at payload offset off, then fix hdr_crc. */
static void patch_u32(uint8_t *f, size_t off, uint32_t val)
{
    uint8_t *h = f + 8;
    memcpy(h + off, &val, 4); /* tests run on little-endian hosts */
    uint32_t c = crc32c(0, h, 52);
    memcpy(h + 52, &c, 4);
}

TEST(decode_rejects_wrong_raw_len_and_recovers)
{
    struct frame_enc *e = frame_enc_create();
    struct frame_dec *d = frame_dec_create();
    REQUIRE(e && d);
    char *raw = make_ndjson(2000, NULL);
    struct frame_meta m = {.kind = FRAME_EVENTS};
    size_t len = 0;
    uint8_t *f = encode(e, &m, raw, 2000, &len);
    REQUIRE(f);
    struct frame_view v;
    struct buf out = {0};

    patch_u32(f, 32, 1999); /* raw_len one short */
    REQUIRE(frame_parse(f, len, &v) == 0);
    CHECK_EQ_INT(frame_decode(d, &v, &out), ERR_LZ4);
    CHECK_EQ_U64(out.len, 0);
    patch_u32(f, 32, 2001); /* one long */
    REQUIRE(frame_parse(f, len, &v) == 0);
    CHECK_EQ_INT(frame_decode(d, &v, &out), ERR_LZ4);
    CHECK_EQ_U64(out.len, 0);

    patch_u32(f, 32, 2000);
    REQUIRE(frame_parse(f, len, &v) == 0);
    CHECK_EQ_INT(frame_decode(d, &v, &out), 0); /* the context was reset */
    CHECK_EQ_U64(out.len, 2000);
    CHECK_EQ_MEM(out.p, raw, 2000);

    patch_u32(f, 4, 2 | (FRAME_EVENTS << 16)); /* version 2 */
    CHECK_EQ_INT(frame_parse(f, len, &v), ERR_FORMAT);
    patch_u32(f, 4, 1 | (7u << 16)); /* kind 7 */
    CHECK_EQ_INT(frame_parse(f, len, &v), ERR_FORMAT);

    buf_fini(&out);
    free(f);
    free(raw);
    frame_enc_destroy(e);
    frame_dec_destroy(d);
}

/* ---- stock tools ----------------------------------------------------------------------- */

TEST(lz4cat_prints_concatenated_ndjson)
{
    if (access("/usr/bin/lz4cat", X_OK) != 0) {
        HFAIL("lz4cat not installed (apt-get install lz4)");
        return;
    }
    char dir[] = "/tmp/sluice_frame_XXXXXX";
    REQUIRE(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/00000000000000000000.seg", dir);
    struct frame_enc *e = frame_enc_create();
    REQUIRE(e);
    FILE *fp = fopen(path, "wb");
    REQUIRE(fp);
    struct buf want = {0};
    const size_t sizes[] = {100, 0, 70000, 1, 300000, 5000};
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        char *raw = make_ndjson(sizes[i], NULL);
        struct frame_meta m = {.kind = i == 3 ? FRAME_DEAD : FRAME_EVENTS, .first_seq = (int64_t)i,
                               .last_seq = (int64_t)i};
        size_t len = 0;
        uint8_t *f = encode(e, &m, raw, sizes[i], &len);
        REQUIRE(f);
        CHECK_EQ_U64(fwrite(f, 1, len, fp), len);
        CHECK_EQ_INT(buf_append(&want, raw, sizes[i]), 0);
        free(f);
        free(raw);
    }
    CHECK_EQ_INT(fclose(fp), 0);

    char cmd[512];
    snprintf(cmd, sizeof(cmd), "/usr/bin/lz4cat -q '%s'", path);
    FILE *pp = popen(cmd, "r");
    REQUIRE(pp);
    struct buf got = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), pp)) > 0)
        CHECK_EQ_INT(buf_append(&got, chunk, n), 0);
    CHECK_EQ_INT(pclose(pp), 0);
    CHECK_EQ_U64(got.len, want.len);
    if (got.len == want.len)
        CHECK_EQ_MEM(got.p, want.p, want.len);

    buf_fini(&got);
    buf_fini(&want);
    frame_enc_destroy(e);
    harness_rm_rf(dir);
}

TEST_MAIN()
