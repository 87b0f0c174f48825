/* test_capture.c - capture writer, indexer and reader (io/capture.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "err.h"
#include "harness.h"
#include "log.h"

static char g_dir[256];

static void mkdir_tmp(void)
{
    if (g_dir[0])
        return;
    /* tmpfs when there is one: the writer fsyncs on close, which is slow on disk */
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(g_dir, sizeof(g_dir), "%s/test_capture.XXXXXX", base);
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        exit(1);
    }
}

static const char *tmp_path(const char *name)
{
    static char p[2][512];
    static int i;
    mkdir_tmp();
    i ^= 1;
    snprintf(p[i], sizeof(p[i]), "%s/%s", g_dir, name);
    return p[i];
}

/* ---- a deterministic event generator ------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

#define GEN_BODY_MAX (300u * 1024u)
static char g_pattern[GEN_BODY_MAX + 4096], g_off[32], g_key[40], g_origin[64];

/* Bodies are windows into one pseudo-random text, so generating is O(1). */
__attribute__((constructor)) static void pattern_init(void)
{
    for (size_t k = 0; k < sizeof(g_pattern); k++)
        g_pattern[k] = (char)(' ' + mix(k / 8) % 90);
}

/* Event i of partition p: seq has gaps, bodies are empty, short, or long. */
static void gen(uint32_t p, uint64_t i, struct capture_event *ev)
{
    uint64_t h = mix(((uint64_t)p << 40) ^ i);
    memset(ev, 0, sizeof(*ev));
    ev->seq = (int64_t)(i * 3 + (h & 1));
    ev->enq_ms = 1700000000000 + (int64_t)i;
    ev->off_len = (size_t)snprintf(g_off, sizeof(g_off), "%llu", (unsigned long long)i * 977);
    ev->off = g_off;
    if (h & 2) {
        ev->key_len = (size_t)snprintf(g_key, sizeof(g_key), "key-%u-%llu", p,
                                       (unsigned long long)(h % 1000));
        ev->key = g_key;
    }
    if (h & 4) {
        ev->origin_len = (size_t)snprintf(g_origin, sizeof(g_origin), "file-%u.json", p);
        ev->origin = g_origin;
        ev->origin_line = (uint32_t)(i + 1);
    }
    ev->records = (uint32_t)(h >> 8) % 50;
    size_t len;
    switch ((h >> 16) % 16) {
    case 0: len = 0; break;
    case 1: len = 70000 + (h >> 24) % (GEN_BODY_MAX - 70000); break;
    default: len = (h >> 24) % 2000; break;
    }
    ev->body = len ? g_pattern + (h >> 40) % 4096 : NULL;
    ev->body_len = len;
}

static bool same_event(const struct capture_event *a, const struct capture_event *b)
{
    return a->seq == b->seq && a->enq_ms == b->enq_ms && a->off_len == b->off_len &&
           memcmp(a->off, b->off, a->off_len) == 0 && a->key_len == b->key_len &&
           (!a->key_len || memcmp(a->key, b->key, a->key_len) == 0) &&
           a->origin_len == b->origin_len &&
           (!a->origin_len || memcmp(a->origin, b->origin, a->origin_len) == 0) &&
           a->origin_line == b->origin_line && a->records == b->records &&
           a->body_len == b->body_len &&
           (!a->body_len || memcmp(a->body, b->body, a->body_len) == 0);
}

/* Write n[p] events to each partition, interleaved; returns 0 or the error. */
static int write_capture(const char *path, uint32_t parts, const uint64_t *n, size_t block_bytes)
{
    int err = 0;
    struct capture_writer *w =
        capture_writer_create(path, "ns.servicebus.windows.net", "hub", parts, block_bytes, &err);
    if (!w)
        return err;
    uint64_t maxn = 0;
    for (uint32_t p = 0; p < parts; p++)
        maxn = n[p] > maxn ? n[p] : maxn;
    int rc = 0;
    for (uint64_t i = 0; i < maxn && !rc; i++) {
        for (uint32_t p = 0; p < parts && !rc; p++) {
            if (i >= n[p])
                continue;
            struct capture_event ev;
            gen(p, i, &ev);
            rc = capture_write(w, p, &ev);
        }
    }
    int rc2 = capture_writer_close(w);
    return rc ? rc : rc2;
}

/* Read partition p from after_seq and compare with the generator. Returns events read. */
static int64_t check_partition(const char *path, const struct capture *c, uint32_t p, uint64_t n,
                               int64_t after_seq)
{
    int err = 0;
    struct capture_reader *r = capture_reader_open(path, c, p, after_seq, &err);
    if (!r) {
        HFAIL("reader_open p=%u: %s", p, err_str(err));
        return -1;
    }
    uint64_t i = 0;
    struct capture_event want, got;
    for (; i < n; i++) {
        gen(p, i, &want);
        if (want.seq > after_seq)
            break;
    }
    int64_t seen = 0;
    int rc;
    while ((rc = capture_reader_next(r, &got)) == 1) {
        if (i >= n) {
            HFAIL("p=%u: extra event seq=%lld", p, (long long)got.seq);
            break;
        }
        gen(p, i, &want);
        if (!same_event(&want, &got)) {
            HFAIL("p=%u i=%llu: event differs (seq %lld vs %lld, body %zu vs %zu)", p,
                  (unsigned long long)i, (long long)want.seq, (long long)got.seq, want.body_len,
                  got.body_len);
            break;
        }
        i++;
        seen++;
    }
    if (rc != 1)
        CHECK_EQ_INT(rc, 0);
    CHECK_EQ_U64(i, n);
    capture_reader_close(r);
    return seen;
}

/* ---- round trip ----------------------------------------------------------------------- */

TEST(roundtrip_many_partitions)
{
    const char *path = tmp_path("rt.cap");
    enum { P = 13 };
    uint64_t n[P];
    for (uint32_t p = 0; p < P; p++)
        n[p] = p == 5 ? 0 : 50 + p * 37; /* partition 5 stays empty */
    n[0] = 3000;
    for (int pass = 0; pass < 2; pass++) {
        size_t block_bytes = pass == 0 ? 0 : 4096; /* default blocks, then many small ones */
        REQUIRE(write_capture(path, P, n, block_bytes) == 0);
        struct capture c;
        REQUIRE(capture_open(path, &c) == 0);
        CHECK_EQ_STR(c.ns, "ns.servicebus.windows.net");
        CHECK_EQ_STR(c.hub, "hub");
        CHECK_EQ_INT(c.partitions, P);
        struct stat st;
        REQUIRE(stat(path, &st) == 0);
        CHECK_EQ_U64(c.file_bytes, (uint64_t)st.st_size);
        CHECK_EQ_INT(st.st_mode & 0777, 0644);
        for (uint32_t p = 0; p < P; p++) {
            const struct capture_part *cp = &c.part[p];
            CHECK_EQ_U64(cp->messages, n[p]);
            uint64_t records = 0, bytes = 0;
            struct capture_event ev;
            for (uint64_t i = 0; i < n[p]; i++) {
                gen(p, i, &ev);
                records += ev.records;
                bytes += ev.body_len;
            }
            CHECK_EQ_U64(cp->records, records);
            if (n[p]) {
                gen(p, 0, &ev);
                CHECK_EQ_INT(cp->first_seq, ev.seq);
                gen(p, n[p] - 1, &ev);
                CHECK_EQ_INT(cp->last_seq, ev.seq);
                CHECK(cp->nblocks >= 1);
            } else {
                CHECK_EQ_INT(cp->first_seq, -1);
                CHECK_EQ_INT(cp->last_seq, -1);
                CHECK_EQ_INT(cp->nblocks, 0);
            }
            CHECK_EQ_INT(check_partition(path, &c, p, n[p], -1), (int64_t)n[p]);
            (void)bytes;
        }
        if (pass == 1)
            CHECK(c.part[0].nblocks > 50);
        REQUIRE(capture_verify(path, &c) == 0);
        for (uint32_t p = 0; p < P; p++) {
            uint64_t bytes = 0;
            struct capture_event ev;
            for (uint64_t i = 0; i < n[p]; i++) {
                gen(p, i, &ev);
                bytes += ev.body_len;
            }
            CHECK_EQ_U64(c.part[p].bytes, bytes);
        }
        capture_close(&c);
        CHECK(c.part == NULL);
    }
}

TEST(after_seq_positioning)
{
    const char *path = tmp_path("pos.cap");
    uint64_t n[2] = {1000, 1};
    REQUIRE(write_capture(path, 2, n, 2048) == 0);
    struct capture c;
    REQUIRE(capture_open(path, &c) == 0);
    REQUIRE(c.part[0].nblocks > 20);
    /* Every block boundary, one either side, the ends, and past the end. */
    int64_t tries[48];
    int nt = 0;
    tries[nt++] = -1;
    tries[nt++] = 0;
    tries[nt++] = c.part[0].last_seq - 1;
    tries[nt++] = c.part[0].last_seq;
    tries[nt++] = c.part[0].last_seq + 100;
    for (uint32_t b = 0; b < c.part[0].nblocks && nt < 40; b += 7) {
        tries[nt++] = c.part[0].block_last_seq[b];
        tries[nt++] = c.part[0].block_last_seq[b] + 1;
        tries[nt++] = c.part[0].block_last_seq[b] - 1;
    }
    for (int t = 0; t < nt; t++) {
        uint64_t want = 0;
        struct capture_event ev;
        for (uint64_t i = 0; i < n[0]; i++) {
            gen(0, i, &ev);
            want += ev.seq > tries[t];
        }
        CHECK_EQ_INT(check_partition(path, &c, 0, n[0], tries[t]), (int64_t)want);
    }
    CHECK_EQ_INT(check_partition(path, &c, 1, 1, -1), 1);
    CHECK_EQ_INT(check_partition(path, &c, 1, 1, 1000), 0);
    capture_close(&c);
}

TEST(reader_outlives_index_and_end_is_sticky)
{
    const char *path = tmp_path("outlive.cap");
    uint64_t n[1] = {10};
    REQUIRE(write_capture(path, 1, n, 0) == 0);
    struct capture c;
    REQUIRE(capture_open(path, &c) == 0);
    int err = 0;
    struct capture_reader *r = capture_reader_open(path, &c, 0, -1, &err);
    REQUIRE(r != NULL);
    CHECK(capture_reader_open(path, &c, 1, -1, &err) == NULL);
    CHECK_EQ_INT(err, -EINVAL);
    capture_close(&c);
    struct capture_event ev;
    int k = 0;
    while (capture_reader_next(r, &ev) == 1) {
        /* bodies are followed by CAPTURE_PAD readable bytes */
        volatile char last = ev.body ? ev.body[ev.body_len + CAPTURE_PAD - 1] : 0;
        (void)last;
        k++;
    }
    CHECK_EQ_INT(k, 10);
    CHECK_EQ_INT(capture_reader_next(r, &ev), 0);
    capture_reader_close(r);
}

TEST(writer_rejects_bad_events)
{
    const char *path = tmp_path("bad.cap");
    int err = 0;
    CHECK(capture_writer_create(path, "", "", 0, 0, &err) == NULL);
    CHECK_EQ_INT(err, -EINVAL);
    CHECK(capture_writer_create(path, "", "", CAPTURE_MAX_PARTITIONS + 1, 0, &err) == NULL);
    int saved = g_log_level;
    g_log_level = -1;
    CHECK(capture_writer_create("/nonexistent-dir/x.cap", "", "", 1, 0, &err) == NULL);
    CHECK_EQ_INT(err, -ENOENT);
    g_log_level = saved;

    struct capture_writer *w = capture_writer_create(path, NULL, NULL, 2, 0, &err);
    REQUIRE(w != NULL);
    struct capture_event ev = {.seq = 5, .body = "{}", .body_len = 2, .records = 1};
    CHECK_EQ_INT(capture_write(w, 0, &ev), 0);
    CHECK_EQ_INT(capture_write(w, 0, &ev), ERR_ORDER);
    CHECK_EQ_INT(capture_write(w, 2, &ev), -EINVAL);
    ev.seq = 6;
    ev.records = 70000;
    CHECK_EQ_INT(capture_write(w, 0, &ev), -EINVAL);
    ev.records = 1;
    ev.seq = -3;
    CHECK_EQ_INT(capture_write(w, 1, &ev), -EINVAL);
    ev.seq = 0;
    ev.body_len = CAPTURE_MAX_EVENT_BYTES + 1;
    CHECK_EQ_INT(capture_write(w, 1, &ev), ERR_TOO_BIG);
    ev.body_len = 2;
    CHECK_EQ_INT(capture_write(w, 1, &ev), 0); /* still usable */
    CHECK_EQ_INT(capture_writer_set_created_ms(w, 1234), 0);
    struct capture_totals t;
    CHECK_EQ_INT(capture_writer_close_totals(w, &t), 0);
    CHECK_EQ_U64(t.messages, 2);
    CHECK_EQ_U64(t.records, 2);
    CHECK_EQ_U64(t.bytes, 4);
    CHECK_EQ_U64(t.blocks, 2);

    struct capture c;
    REQUIRE(capture_open(path, &c) == 0);
    CHECK_EQ_STR(c.ns, "");
    CHECK_EQ_STR(c.hub, "");
    CHECK_EQ_INT(c.created_ms, 1234);
    CHECK_EQ_U64(c.file_bytes, t.file_bytes);
    CHECK_EQ_INT(c.part[0].first_seq, 5);
    CHECK_EQ_INT(c.part[1].first_seq, 0);
    capture_close(&c);
}

/* ---- on-disk format ------------------------------------------------------------------ */

static uint32_t crc32c_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
    }
    return ~c;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void spit(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    if (n)
        fwrite(b, 1, n, f);
    fclose(f);
}

TEST(format_matches_documented_layout)
{
    CHECK_EQ_INT(crc32c_bitwise((const uint8_t *)"123456789", 9), 0xE3069283u);
    const char *path = tmp_path("fmt.cap");
    uint64_t n[2] = {3, 2};
    REQUIRE(write_capture(path, 2, n, 0) == 0);
    size_t len;
    uint8_t *b = harness_read_file(path, &len);
    REQUIRE(b != NULL);
    /* file header: skippable frame 0x184D2A5C */
    CHECK_EQ_INT(rd32(b), 0x184D2A5Cu);
    uint32_t fsize = rd32(b + 4);
    const char *ns = "ns.servicebus.windows.net";
    CHECK_EQ_INT(fsize, 28 + strlen(ns) + 3 + 4);
    CHECK_EQ_MEM(b + 8, "SLCP", 4);
    CHECK_EQ_INT(b[12] | b[13] << 8, 1);  /* version */
    CHECK_EQ_INT(rd32(b + 16), 2);        /* partitions */
    CHECK_EQ_INT(b[32] | b[33] << 8, strlen(ns));
    CHECK_EQ_INT(b[34] | b[35] << 8, 3);
    CHECK_EQ_MEM(b + 36, ns, strlen(ns));
    CHECK_EQ_MEM(b + 36 + strlen(ns), "hub", 3);
    CHECK_EQ_INT(rd32(b + 8 + fsize - 4), crc32c_bitwise(b + 8, fsize - 4));
    /* blocks: 56-byte skippable header, then a standard LZ4 frame */
    size_t pos = 8 + fsize;
    int blocks = 0;
    while (pos < len) {
        const uint8_t *h = b + pos;
        CHECK_EQ_INT(rd32(h), 0x184D2A5Du);
        CHECK_EQ_INT(rd32(h + 4), 48);
        CHECK_EQ_MEM(h + 8, "SLCB", 4);
        uint32_t lz4_len = rd32(h + 44);
        CHECK_EQ_INT(rd32(h + 52), crc32c_bitwise(h + 8, 44));
        CHECK_EQ_INT(rd32(h + 56), 0x184D2204u); /* LZ4 frame magic */
        CHECK_EQ_INT(rd32(h + 48), crc32c_bitwise(h + 56, lz4_len));
        CHECK_EQ_INT(rd32(h + 16), rd32(h + 12) == 0 ? 3 : 2); /* count */
        pos += 56 + lz4_len;
        blocks++;
    }
    CHECK_EQ_U64(pos, len);
    CHECK_EQ_INT(blocks, 2);
    free(b);
}

/* ---- damage ---------------------------------------------------------------------------- */

/* Open and read every partition: 0 or the first error. */
static int open_and_read_all(const char *path)
{
    struct capture c;
    int rc = capture_open(path, &c);
    if (rc)
        return rc;
    rc = capture_verify(path, &c);
    capture_close(&c);
    return rc;
}

TEST(corrupted_byte_is_crc_error)
{
    const char *good = tmp_path("good.cap"), *bad = tmp_path("bad.cap");
    uint64_t n[3] = {40, 25, 9};
    REQUIRE(write_capture(good, 3, n, 4096) == 0);
    size_t len;
    uint8_t *b = harness_read_file(good, &len);
    REQUIRE(b != NULL);
    uint32_t fsize = rd32(b + 4);
    size_t blk = 8 + fsize;
    int saved = g_log_level;
    g_log_level = -1; /* these failures are the point; keep the output readable */

    /* A byte inside an LZ4 frame: the index is fine, reading fails the CRC. */
    b[blk + 56 + 10] ^= 0x40;
    spit(bad, b, len);
    struct capture c;
    REQUIRE(capture_open(bad, &c) == 0);
    int err = 0;
    struct capture_reader *r = capture_reader_open(bad, &c, rd32(b + blk + 12), -1, &err);
    REQUIRE(r != NULL);
    struct capture_event ev;
    CHECK_EQ_INT(capture_reader_next(r, &ev), ERR_CRC);
    CHECK_EQ_INT(capture_reader_next(r, &ev), ERR_CRC); /* sticky */
    capture_reader_close(r);
    capture_close(&c);
    b[blk + 56 + 10] ^= 0x40;

    /* A block header field (count) and the file header's namespace. */
    b[blk + 16] ^= 1;
    spit(bad, b, len);
    CHECK_EQ_INT(capture_open(bad, &c), ERR_CRC);
    b[blk + 16] ^= 1;
    b[40] ^= 0x20;
    spit(bad, b, len);
    CHECK_EQ_INT(capture_open(bad, &c), ERR_CRC);
    CHECK(c.part == NULL && c.partitions == 0);
    b[40] ^= 0x20;

    /* Every single byte of a small capture: never accepted. */
    uint64_t n2[2] = {3, 2};
    REQUIRE(write_capture(good, 2, n2, 0) == 0);
    free(b);
    b = harness_read_file(good, &len);
    REQUIRE(b != NULL);
    int accepted = 0, crc = 0;
    for (size_t i = 0; i < len; i++) {
        b[i] ^= 0x01;
        spit(bad, b, len);
        int rc = open_and_read_all(bad);
        accepted += rc == 0;
        crc += rc == ERR_CRC;
        b[i] ^= 0x01;
    }
    CHECK_EQ_INT(accepted, 0);
    CHECK(crc > (int)len * 9 / 10); /* all but the framing bytes are under a CRC */
    spit(bad, b, len);
    CHECK_EQ_INT(open_and_read_all(bad), 0);
    g_log_level = saved;
    free(b);
}

TEST(truncated_file_is_truncated_error)
{
    const char *good = tmp_path("good.cap"), *bad = tmp_path("trunc.cap");
    uint64_t n[2] = {30, 30};
    REQUIRE(write_capture(good, 2, n, 4096) == 0);
    size_t len;
    uint8_t *b = harness_read_file(good, &len);
    REQUIRE(b != NULL);
    uint32_t fsize = rd32(b + 4);
    size_t blk = 8 + fsize, blk2 = blk + 56 + rd32(b + blk + 44);
    int saved = g_log_level;
    g_log_level = -1;
    size_t cuts[] = {3, 8 + fsize / 2, blk + 20, blk + 56, blk + 60, blk2 - 1, len - 1};
    for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
        spit(bad, b, cuts[i]);
        struct capture c;
        int rc = capture_open(bad, &c);
        if (rc != ERR_TRUNCATED)
            HFAIL("cut at %zu of %zu: %s", cuts[i], len, err_str(rc));
    }
    /* Cut exactly between blocks: a shorter but valid capture. */
    spit(bad, b, blk2);
    struct capture c;
    REQUIRE(capture_open(bad, &c) == 0);
    CHECK_EQ_U64(c.part[0].messages + c.part[1].messages, rd32(b + blk + 16));
    capture_close(&c);
    /* The file shrinks after it was indexed: the reader says so. */
    REQUIRE(capture_open(good, &c) == 0);
    REQUIRE(truncate(good, (off_t)(blk + 60)) == 0);
    int err = 0;
    struct capture_reader *r = capture_reader_open(good, &c, rd32(b + blk + 12), -1, &err);
    REQUIRE(r != NULL);
    struct capture_event ev;
    CHECK_EQ_INT(capture_reader_next(r, &ev), ERR_TRUNCATED);
    capture_reader_close(r);
    capture_close(&c);
    g_log_level = saved;
    free(b);
}

TEST(not_a_capture_is_format_error)
{
    const char *path = tmp_path("notcap");
    int saved = g_log_level;
    g_log_level = -1;
    struct capture c;
    spit(path, (const uint8_t *)"", 0);
    CHECK_EQ_INT(capture_open(path, &c), ERR_FORMAT);
    const char *json = "{\"records\":[{\"time\":\"2024-01-01T00:00:00Z\"}]}\n";
    spit(path, (const uint8_t *)json, strlen(json));
    CHECK_EQ_INT(capture_open(path, &c), ERR_FORMAT);
    /* a spool segment's skippable frame is not a capture either */
    uint8_t seg[64] = {0x5A, 0x2A, 0x4D, 0x18, 56, 0, 0, 0, 'S', 'L', 'S', 'F'};
    spit(path, seg, sizeof(seg));
    CHECK_EQ_INT(capture_open(path, &c), ERR_FORMAT);
    /* our magic, another version */
    uint64_t n[1] = {1};
    REQUIRE(write_capture(path, 1, n, 0) == 0);
    size_t len;
    uint8_t *b = harness_read_file(path, &len);
    REQUIRE(b != NULL);
    b[12] = 2;
    spit(path, b, len);
    CHECK_EQ_INT(capture_open(path, &c), ERR_FORMAT);
    free(b);
    CHECK_EQ_INT(capture_open(tmp_path("missing.cap"), &c), -ENOENT);
    CHECK(c.part == NULL);
    g_log_level = saved;
}

static void cleanup(void)
{
    if (!g_dir[0])
        return;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup of %s failed\n", g_dir);
}

__attribute__((constructor)) static void at_start(void) { atexit(cleanup); }

TEST_MAIN()
