/* test_recov.c - io/recov.c: spool verify and spool cat over spools written by spool.c
 * and over hand-made damage (torn tails, flipped bytes, bad NDJSON). */
#include "recov.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "frame.h"
#include "harness.h"
#include "spool.h"

/* ---- helpers --------------------------------------------------------------------------- */


/* NDJSON of `lines` events, tagged so every line in a spool is distinct. */
static char *make_lines(int shard, int frame, int lines, size_t *len)
{
    struct buf b = {0};
    for (int i = 0; i < lines; i++) {
        char l[160];
        int n = snprintf(l, sizeof(l),
                         "{\"shard\":%d,\"frame\":%d,\"line\":%d,\"pad\":\"%0*d\"}\n", shard,
                         frame, i, 1 + (frame * 7 + i * 13) % 60, i);
        if (buf_append(&b, l, (size_t)n) != 0)
            break;
    }
    *len = b.len;
    return b.p;
}

static uint8_t *encode_frame(struct frame_enc *e, const struct frame_meta *m, const char *raw,
                             size_t n, size_t *len)
{
    size_t cap = frame_bound(n);
    uint8_t *f = malloc(cap);
    ssize_t r = frame_encode(e, m, raw, n, f, cap);
    if (r < 0) {
        free(f);
        return NULL;
    }
    *len = (size_t)r;
    return f;
}

static void count_done(void *arg, void *cookie, int status)
{
    (void)cookie;
    if (status == 0)
        ++*(int *)arg;
}

#define FRAMES_PER_SHARD 12

/* What a spool built by build_spool() should give back. */
struct expect {
    struct buf events, dead;       /* NDJSON in spool order */
    uint64_t frames, event_frames, dead_frames, events_n, dead_n, raw_bytes;
    size_t last_frame_len;         /* of the last frame of the last shard */
};

/* Write shards 0, 2 and 10 (numeric order differs from name order) through spool.c:
 * event frames, frames 2, 6 and 10 dead-letter frames, 1000-byte segments. */
static void build_spool(const char *dir, struct expect *x)
{
    static const uint32_t shards[] = {0, 2, 10};
    struct frame_enc *e = frame_enc_create();
    if (!e)
        return;
    memset(x, 0, sizeof(*x));
    for (size_t k = 0; k < ARRAY_SIZE(shards); k++) {
        struct spool_cfg cfg = {.dir = dir, .shard = shards[k], .segment_bytes = 1000,
                                .fsync = SPOOL_FSYNC_NONE};
        int err = 0, done = 0;
        struct spool *s = spool_create(&cfg, &err);
        if (!s) {
            HFAIL("spool_create: %d", err);
            break;
        }
        uint8_t *frames[FRAMES_PER_SHARD];
        for (int f = 0; f < FRAMES_PER_SHARD; f++) {
            bool dead = f % 4 == 2;
            int lines = 3 + (f * 5) % 40;
            size_t n;
            char *raw = make_lines((int)shards[k], f, lines, &n);
            struct frame_meta m = {.kind = dead ? FRAME_DEAD : FRAME_EVENTS,
                                   .partition = shards[k], .count = (uint32_t)lines,
                                   .first_seq = f * 100, .last_seq = f * 100 + 99};
            size_t len = 0;
            frames[f] = encode_frame(e, &m, raw, n, &len);
            CHECK(frames[f] != NULL);
            CHECK_EQ_INT(buf_append(dead ? &x->dead : &x->events, raw, n), 0);
            x->frames++;
            x->raw_bytes += n;
            if (dead) {
                x->dead_frames++;
                x->dead_n += (uint64_t)lines;
            } else {
                x->event_frames++;
                x->events_n += (uint64_t)lines;
            }
            x->last_frame_len = len;
            CHECK_EQ_INT(spool_write(s, frames[f], len, frames[f]), 0);
            free(raw);
        }
        CHECK_EQ_INT(spool_commit(s), 0);
        CHECK_EQ_INT(spool_close(s, count_done, &done), 0);
        CHECK_EQ_INT(done, FRAMES_PER_SHARD);
        for (int f = 0; f < FRAMES_PER_SHARD; f++)
            free(frames[f]);
    }
    frame_enc_destroy(e);

    /* the root also holds other things, which are ignored */
    char p[512];
    snprintf(p, sizeof(p), "%s/checkpoint.json", dir);
    FILE *fp = fopen(p, "w");
    if (fp) {
        fputs("{}\n", fp);
        fclose(fp);
    }
    snprintf(p, sizeof(p), "%s/tmp", dir);
    (void)mkdir(p, 0700);
    snprintf(p, sizeof(p), "%s/2/notes.txt", dir);
    fp = fopen(p, "w");
    if (fp)
        fclose(fp);
}

static void expect_fini(struct expect *x)
{
    buf_fini(&x->events);
    buf_fini(&x->dead);
}

/* Run spool_cat, capturing out and err. */
static int cat(const char *dir, bool dead, char **out, size_t *out_len, char **err)
{
    size_t elen;
    FILE *o = open_memstream(out, out_len);
    FILE *e = open_memstream(err, &elen);
    int rc = spool_cat(dir, dead, o, e);
    fclose(o);
    fclose(e);
    return rc;
}

static int verify(const char *dir, struct spool_verify_stats *st, char **err)
{
    size_t elen;
    FILE *e = open_memstream(err, &elen);
    int rc = spool_verify(dir, e, st);
    fclose(e);
    return rc;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Path of the last (highest) segment of shard 10, and its size. */
static size_t last_segment(const char *dir, char *path, size_t cap)
{
    char d[512];
    snprintf(d, sizeof(d), "%s/10", dir);
    char best[64] = "";
    FILE *pp;
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "ls '%s' | sort | tail -n 1", d);
    pp = popen(cmd, "r");
    if (!pp || !fgets(best, sizeof(best), pp)) {
        if (pp)
            pclose(pp);
        return 0;
    }
    pclose(pp);
    best[strcspn(best, "\n")] = 0;
    snprintf(path, cap, "%s/%s", d, best);
    struct stat sb;
    return stat(path, &sb) == 0 ? (size_t)sb.st_size : 0;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    if (n)
        CHECK_EQ_U64(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* ---- tests ----------------------------------------------------------------------------- */

TEST(cat_and_verify_good_spool)
{
    char dir[] = "/tmp/sluice_recov_XXXXXX";
    REQUIRE(mkdtemp(dir));
    struct expect x;
    build_spool(dir, &x);

    struct spool_verify_stats st;
    char *err = NULL;
    CHECK_EQ_INT(verify(dir, &st, &err), 0);
    CHECK_EQ_STR(err, "");
    free(err);
    CHECK(st.segments >= 6); /* 1000-byte segments */
    CHECK_EQ_U64(st.frames, x.frames);
    CHECK_EQ_U64(st.event_frames, x.event_frames);
    CHECK_EQ_U64(st.dead_frames, x.dead_frames);
    CHECK_EQ_U64(st.events, x.events_n);
    CHECK_EQ_U64(st.dead_letters, x.dead_n);
    CHECK_EQ_U64(st.raw_bytes, x.raw_bytes);
    CHECK(st.file_bytes > 0 && st.file_bytes < st.raw_bytes);
    CHECK_EQ_U64(st.bad, 0);

    char *out = NULL;
    size_t n = 0;
    err = NULL;
    CHECK_EQ_INT(cat(dir, false, &out, &n, &err), 0);
    CHECK_EQ_STR(err, "");
    CHECK_EQ_U64(n, x.events.len);
    if (n == x.events.len)
        CHECK_EQ_MEM(out, x.events.p, n); /* shard 0, 2, 10, in write order */
    free(out);
    free(err);

    /* dead-letter frames only with dead_letters = true */
    err = NULL;
    CHECK_EQ_INT(cat(dir, true, &out, &n, &err), 0);
    CHECK_EQ_U64(n, x.dead.len);
    if (n == x.dead.len)
        CHECK_EQ_MEM(out, x.dead.p, n);
    CHECK(strstr(out, "\"frame\":2,") != NULL);
    CHECK(strstr(out, "\"frame\":0,") == NULL);
    free(out);
    free(err);
    expect_fini(&x);
    harness_rm_rf(dir);
}

TEST(truncated_last_frame_is_reported_with_file_and_offset)
{
    char dir[] = "/tmp/sluice_recov_XXXXXX";
    REQUIRE(mkdtemp(dir));
    struct expect x;
    build_spool(dir, &x);
    char path[600];
    size_t size = last_segment(dir, path, sizeof(path));
    REQUIRE(size >= x.last_frame_len);
    size_t orig_n = 0;
    uint8_t *orig = harness_read_file(path, &orig_n);
    REQUIRE(orig && orig_n == size);
    size_t frame_off = size - x.last_frame_len;
    const size_t cuts[] = {1, 7, 12, 63, 64, 65, x.last_frame_len / 2, x.last_frame_len - 1};

    for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
        size_t keep = cuts[i];
        REQUIRE(truncate(path, (off_t)(frame_off + keep)) == 0);
        struct spool_verify_stats st;
        char *err = NULL;
        CHECK_EQ_INT(verify(dir, &st, &err), 1);
        char want[800];
        snprintf(want, sizeof(want),
                 "sluice: spool verify: %s: offset %zu: frame truncated: need %zu bytes, "
                 "file has %zu\n",
                 path, frame_off, keep < 64 ? (size_t)64 : x.last_frame_len, keep);
        CHECK_EQ_STR(err, want);
        CHECK_EQ_U64(st.bad, 1);
        CHECK_EQ_U64(st.frames, x.frames - 1);
        free(err);

        /* cat prints everything before the torn frame, then stops with the same place */
        char *out = NULL;
        size_t n = 0;
        err = NULL;
        CHECK_EQ_INT(cat(dir, false, &out, &n, &err), 1);
        snprintf(want, sizeof(want), "sluice: spool cat: %s: offset %zu: frame truncated", path,
                 frame_off);
        CHECK(strncmp(err, want, strlen(want)) == 0);
        CHECK_EQ_INT(count_lines(err), 1);
        /* the last frame (11) is an events frame: all events but its lines */
        CHECK(n < x.events.len);
        CHECK_EQ_MEM(out, x.events.p, n);
        CHECK(strstr(out, "\"shard\":10,\"frame\":11,") == NULL);
        CHECK(strstr(out, "\"shard\":10,\"frame\":9,") != NULL);
        free(out);
        free(err);
        write_file(path, orig, orig_n);
    }
    struct spool_verify_stats st;
    char *err = NULL;
    CHECK_EQ_INT(verify(dir, &st, &err), 0);
    free(err);
    free(orig);
    expect_fini(&x);
    harness_rm_rf(dir);
}

TEST(flipped_bytes_are_reported)
{
    char dir[] = "/tmp/sluice_recov_XXXXXX";
    REQUIRE(mkdtemp(dir));
    struct expect x;
    build_spool(dir, &x);
    char path[600];
    snprintf(path, sizeof(path), "%s/0/00000000000000000000.seg", dir);
    size_t n = 0;
    uint8_t *orig = harness_read_file(path, &n);
    REQUIRE(orig);
    /* the first frame's length, from its header */
    uint32_t lz4_len;
    memcpy(&lz4_len, orig + 8 + 36, 4);
    size_t second = FRAME_HDR_BYTES + lz4_len;
    REQUIRE(second + FRAME_HDR_BYTES < n);

    /* a flipped LZ4 byte: reported, and checking goes on past it */
    uint8_t *bad = malloc(n);
    memcpy(bad, orig, n);
    bad[FRAME_HDR_BYTES + lz4_len / 2] ^= 0x10;
    write_file(path, bad, n);
    struct spool_verify_stats st;
    char *err = NULL;
    CHECK_EQ_INT(verify(dir, &st, &err), 1);
    char want[800];
    snprintf(want, sizeof(want), "sluice: spool verify: %s: offset 0: LZ4 data checksum mismatch\n",
             path);
    CHECK_EQ_STR(err, want);
    CHECK_EQ_U64(st.frames, x.frames);
    CHECK_EQ_U64(st.bad, 1);
    free(err);
    char *out = NULL;
    size_t on = 0;
    err = NULL;
    CHECK_EQ_INT(cat(dir, false, &out, &on, &err), 1);
    CHECK_EQ_U64(on, 0);
    snprintf(want, sizeof(want), "sluice: spool cat: %s: offset 0: ", path);
    CHECK(strncmp(err, want, strlen(want)) == 0);
    free(out);
    free(err);

    /* a flipped header byte of the second frame: reported at its offset, the rest found */
    memcpy(bad, orig, n);
    bad[second + 8 + 20] ^= 0x01;
    write_file(path, bad, n);
    err = NULL;
    CHECK_EQ_INT(verify(dir, &st, &err), 1);
    snprintf(want, sizeof(want),
             "sluice: spool verify: %s: offset %zu: bad frame header: checksum mismatch\n", path,
             second);
    CHECK_EQ_STR(err, want);
    CHECK_EQ_U64(st.frames, x.frames - 1);
    free(err);
    err = NULL;
    CHECK_EQ_INT(cat(dir, false, &out, &on, &err), 1);
    snprintf(want, sizeof(want), "sluice: spool cat: %s: offset %zu: ", path, second);
    CHECK(strncmp(err, want, strlen(want)) == 0);
    CHECK(strstr(out, "\"shard\":0,\"frame\":0,") != NULL); /* the frame before it */
    CHECK(strstr(out, "\"shard\":0,\"frame\":1,") == NULL);
    free(out);
    free(err);

    write_file(path, orig, n);
    err = NULL;
    CHECK_EQ_INT(verify(dir, &st, &err), 0);
    free(err);
    free(bad);
    free(orig);
    expect_fini(&x);
    harness_rm_rf(dir);
}

/* Frames whose LZ4 and CRCs are fine but whose contents break the rules. */
TEST(bad_contents_are_reported_one_line_each)
{
    char dir[] = "/tmp/sluice_recov_XXXXXX";
    REQUIRE(mkdtemp(dir));
    char sdir[512], path[600];
    snprintf(sdir, sizeof(sdir), "%s/5", dir);
    REQUIRE(mkdir(sdir, 0700) == 0);
    snprintf(path, sizeof(path), "%s/00000000000000000003.seg.open", sdir);
    struct frame_enc *e = frame_enc_create();
    REQUIRE(e);
    struct {
        const char *raw;
        uint32_t count;
        int64_t first, last;
        const char *what;
    } cases[] = {
        {"{\"a\":1}\n{\"b\":2}\n", 2, 1, 2, NULL},
        {"{\"a\":1}\n{\"b\":2}\n", 3, 1, 2, "header says 3 lines, frame has 2"},
        {"{\"a\":1}\n[1,2]\n", 2, 1, 2, "line 2 is not a JSON object"},
        {"{\"a\":1}\n", 1, 9, 2, "first_seq 9 > last_seq 2"},
        {"{\"a\":1}\n{\"b\":2}", 2, 1, 2, "last line is not newline-terminated"},
        {"{\"a\":1}\n\n", 2, 1, 2, "line 2 is not a JSON object"},
    };
    struct buf file = {0}, want = {0}, all = {0};
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct frame_meta m = {.kind = FRAME_EVENTS, .count = cases[i].count,
                               .first_seq = cases[i].first, .last_seq = cases[i].last};
        size_t len = 0, n = strlen(cases[i].raw);
        uint8_t *f = encode_frame(e, &m, cases[i].raw, n, &len);
        REQUIRE(f);
        if (cases[i].what) {
            char l[800];
            int ln = snprintf(l, sizeof(l), "sluice: spool verify: %s: offset %zu: %s\n", path,
                              file.len, cases[i].what);
            CHECK_EQ_INT(buf_append(&want, l, (size_t)ln), 0);
        }
        CHECK_EQ_INT(buf_append(&file, f, len), 0);
        CHECK_EQ_INT(buf_append(&all, cases[i].raw, n), 0);
        free(f);
    }
    CHECK_EQ_INT(buf_append(&want, "", 1), 0);
    CHECK_EQ_INT(buf_append(&all, "", 1), 0);
    write_file(path, file.p, file.len);

    struct spool_verify_stats st;
    char *err = NULL;
    CHECK_EQ_INT(verify(dir, &st, &err), 1);
    CHECK_EQ_STR(err, want.p);
    CHECK_EQ_U64(st.bad, ARRAY_SIZE(cases) - 1);
    CHECK_EQ_U64(st.segments, 1); /* .seg.open files are read too */
    CHECK_EQ_U64(st.frames, ARRAY_SIZE(cases));
    free(err);

    /* cat checks framing, not contents: it prints all of it */
    char *out = NULL;
    size_t on = 0;
    err = NULL;
    CHECK_EQ_INT(cat(dir, false, &out, &on, &err), 0);
    CHECK_EQ_STR(out, all.p);
    CHECK_EQ_STR(err, "");
    free(out);
    free(err);
    buf_fini(&file);
    buf_fini(&want);
    buf_fini(&all);
    frame_enc_destroy(e);
    harness_rm_rf(dir);
}

TEST(segment_order_and_junk_between_frames)
{
    char dir[] = "/tmp/sluice_recov_XXXXXX";
    REQUIRE(mkdtemp(dir));
    char sdir[512], path[700];
    snprintf(sdir, sizeof(sdir), "%s/0", dir);
    REQUIRE(mkdir(sdir, 0700) == 0);
    struct frame_enc *e = frame_enc_create();
    REQUIRE(e);
    /* written out of order on purpose: 10.seg.open, 10.seg, 9.seg */
    const char *names[] = {"00000000000000000010.seg.open", "00000000000000000010.seg",
                           "00000000000000000009.seg"};
    const char *raws[] = {"{\"n\":3}\n", "{\"n\":2}\n", "{\"n\":1}\n"};
    for (int i = 0; i < 3; i++) {
        struct frame_meta m = {.kind = FRAME_EVENTS, .count = 1};
        size_t len = 0;
        uint8_t *f = encode_frame(e, &m, raws[i], strlen(raws[i]), &len);
        REQUIRE(f);
        snprintf(path, sizeof(path), "%s/%s", sdir, names[i]);
        write_file(path, f, len);
        free(f);
    }
    char *out = NULL, *err = NULL;
    size_t on = 0;
    CHECK_EQ_INT(cat(dir, false, &out, &on, &err), 0);
    CHECK_EQ_STR(out, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
    free(out);
    free(err);

    /* garbage between two frames: one problem, and the frame after it is still found */
    struct frame_meta m = {.kind = FRAME_EVENTS, .count = 1};
    size_t len = 0;
    uint8_t *f = encode_frame(e, &m, raws[0], strlen(raws[0]), &len);
    REQUIRE(f);
    struct buf b = {0};
    CHECK_EQ_INT(buf_append(&b, f, len), 0);
    CHECK_EQ_INT(buf_append(&b, "garbage!garbage!garbage!", 24), 0);
    CHECK_EQ_INT(buf_append(&b, f, len), 0);
    snprintf(path, sizeof(path), "%s/00000000000000000009.seg", sdir);
    write_file(path, b.p, b.len);
    struct spool_verify_stats st;
    err = NULL;
    CHECK_EQ_INT(verify(dir, &st, &err), 1);
    CHECK_EQ_INT(count_lines(err), 1);
    char want[800];
    snprintf(want, sizeof(want), "sluice: spool verify: %s: offset %zu: bad frame header", path,
             len);
    CHECK(strncmp(err, want, strlen(want)) == 0);
    CHECK_EQ_U64(st.frames, 4);
    CHECK_EQ_U64(st.events, 4);
    free(err);
    buf_fini(&b);
    free(f);
    frame_enc_destroy(e);
    harness_rm_rf(dir);
}

TEST(empty_missing_and_checkpoint_only_roots)
{
    char dir[] = "/tmp/sluice_recov_XXXXXX";
    REQUIRE(mkdtemp(dir));
    struct spool_verify_stats st;
    char *err = NULL;
    CHECK_EQ_INT(verify(dir, &st, &err), 0);
    CHECK_EQ_U64(st.segments, 0);
    CHECK_EQ_STR(err, "");
    free(err);

    char p[512];
    snprintf(p, sizeof(p), "%s/checkpoint", dir);
    FILE *f = fopen(p, "w");
    REQUIRE(f);
    fclose(f);
    snprintf(p, sizeof(p), "%s/7", dir); /* an empty shard dir */
    REQUIRE(mkdir(p, 0700) == 0);
    err = NULL;
    CHECK_EQ_INT(verify(dir, &st, &err), 0);
    CHECK_EQ_U64(st.segments, 0);
    free(err);
    char *out = NULL;
    size_t on = 0;
    err = NULL;
    CHECK_EQ_INT(cat(dir, false, &out, &on, &err), 0);
    CHECK_EQ_U64(on, 0);
    free(out);
    free(err);

    snprintf(p, sizeof(p), "%s/nope", dir);
    err = NULL;
    CHECK_EQ_INT(verify(p, &st, &err), -ENOENT);
    free(err);
    CHECK_EQ_INT(spool_verify(p, NULL, NULL), -ENOENT);
    out = NULL;
    err = NULL;
    CHECK_EQ_INT(cat(p, false, &out, &on, &err), -ENOENT);
    free(out);
    free(err);
    harness_rm_rf(dir);
}

TEST_MAIN()
