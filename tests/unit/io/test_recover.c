/* test_recover.c - io/recov.c spool_recover(): torn tails cut at every byte of the
 * last frame, flipped bytes in it, damage followed by good frames, sealed segments
 * left alone, every shard directory visited, and the log line for each cut. */
#include "recov.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "frame.h"
#include "harness.h"
#include "spool.h"

/* ---- helpers --------------------------------------------------------------------------- */

#define NFRAMES 6

/* A segment's bytes: NFRAMES events frames back to back, and where each starts. */
struct seg {
    struct buf bytes;
    size_t off[NFRAMES + 1]; /* off[NFRAMES] = total */
    struct buf ndjson;       /* every line, in order */
};

static void seg_make(struct seg *g, int tag)
{
    memset(g, 0, sizeof(*g));
    struct frame_enc *e = frame_enc_create();
    if (!e)
        return;
    for (int f = 0; f < NFRAMES; f++) {
        struct buf raw = {0};
        int lines = 2 + f % 3;
        for (int i = 0; i < lines; i++) {
            char l[128];
            int n = snprintf(l, sizeof(l), "{\"tag\":%d,\"frame\":%d,\"line\":%d,\"x\":\"%0*d\"}\n",
                             tag, f, i, 5 + (f * 11 + i * 7) % 40, f);
            CHECK_EQ_INT(buf_append(&raw, l, (size_t)n), 0);
        }
        struct frame_meta m = {.kind = FRAME_EVENTS,
                               .partition = (uint32_t)tag,
                               .count = (uint32_t)lines,
                               .first_seq = f * 10,
                               .last_seq = f * 10 + 9};
        size_t cap = frame_bound(raw.len);
        uint8_t *fr = malloc(cap);
        ssize_t n = frame_encode(e, &m, raw.p, raw.len, fr, cap);
        CHECK(n > 0);
        g->off[f] = g->bytes.len;
        if (n > 0)
            CHECK_EQ_INT(buf_append(&g->bytes, fr, (size_t)n), 0);
        CHECK_EQ_INT(buf_append(&g->ndjson, raw.p, raw.len), 0);
        free(fr);
        buf_fini(&raw);
    }
    g->off[NFRAMES] = g->bytes.len;
    frame_enc_destroy(e);
}

static void seg_fini(struct seg *g)
{
    buf_fini(&g->bytes);
    buf_fini(&g->ndjson);
}

/* Create or replace path with p[0..n), mode 0600 as the spool makes them. */
static void write_file(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        HFAIL("cannot write %s", path);
        return;
    }
    if (n)
        CHECK_EQ_INT(write(fd, p, n), (long long)n);
    close(fd);
}

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* dir/<shard> (created), and the open and sealed paths of segno there. */
static void seg_paths(const char *dir, int shard, int segno, char *open_p, char *sealed_p)
{
    char d[256];
    snprintf(d, sizeof(d), "%s/%d", dir, shard);
    (void)mkdir(d, 0700);
    snprintf(open_p, 300, "%s/%020d.seg.open", d, segno);
    snprintf(sealed_p, 300, "%s/%020d.seg", d, segno);
}

/* spool_recover with fd 2 captured: the log lines come back in *log (malloc'd). */
static int recover(const char *dir, struct spool_recover_stats *st, char **log)
{
    char path[] = "/tmp/sluice-recover-log.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -errno;
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
    int rc = spool_recover(dir, st);
    dup2(saved, STDERR_FILENO);
    close(saved);
    size_t n;
    uint8_t *p = harness_read_file(path, &n);
    unlink(path);
    char *s = malloc(n + 1);
    if (p)
        memcpy(s, p, n);
    s[p ? n : 0] = '\0';
    free(p);
    *log = s;
    return rc;
}

static int count_str(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* spool_cat of dir into a malloc'd string. */
static char *cat_all(const char *dir, int *rc)
{
    char *out = NULL, *err = NULL;
    size_t on = 0, en = 0;
    FILE *o = open_memstream(&out, &on);
    FILE *e = open_memstream(&err, &en);
    *rc = spool_cat(dir, false, o, e);
    fclose(o);
    fclose(e);
    free(err);
    return out;
}

/* After recovery of a file that should now hold exactly want[0..n): it is
 * sealed, byte-identical, and verify and cat agree. */
static void check_sealed_exactly(const char *dir, const char *open_p, const char *sealed_p,
                                 const uint8_t *want, size_t n, const char *ctx)
{
    if (exists(open_p))
        HFAIL("%s: the .seg.open is still there", ctx);
    size_t got_n = 0;
    uint8_t *got = harness_read_file(sealed_p, &got_n);
    if (!got) {
        HFAIL("%s: no sealed segment", ctx);
        return;
    }
    if (got_n != n || memcmp(got, want, n) != 0)
        HFAIL("%s: sealed segment is %zu bytes, want %zu identical bytes", ctx, got_n, n);
    free(got);
    struct stat sb;
    if (stat(sealed_p, &sb) == 0 && (sb.st_mode & 0777) != 0600)
        HFAIL("%s: mode %o", ctx, sb.st_mode & 0777);
    if (spool_verify(dir, NULL, NULL) != 0)
        HFAIL("%s: spool verify fails after recovery", ctx);
}

/* ---- tests ----------------------------------------------------------------------------- */

TEST(torn_tail_cut_at_every_byte_of_the_last_frame)
{
    char dir[64], open_p[300], sealed_p[300];
    harness_mkdtemp(dir, sizeof(dir), "recover");
    struct seg g;
    seg_make(&g, 1);
    size_t last = g.off[NFRAMES - 1], L = g.off[NFRAMES] - last;
    REQUIRE(L > FRAME_HDR_BYTES);
    seg_paths(dir, 0, 7, open_p, sealed_p);

    for (size_t keep = 0; keep < L; keep++) {
        char ctx[64];
        snprintf(ctx, sizeof(ctx), "keep %zu of %zu", keep, L);
        write_file(open_p, g.bytes.p, last + keep);
        struct spool_recover_stats st;
        char *log = NULL;
        int rc = recover(dir, &st, &log);
        if (rc != 0)
            HFAIL("%s: rc %d", ctx, rc);
        if (st.shards != 1 || st.open_segments != 1 || st.sealed != 1 || st.removed != 0 ||
            st.compacted != 0 || st.frames != NFRAMES - 1 || st.bytes_cut != keep ||
            st.cut_regions != (keep ? 1u : 0u))
            HFAIL("%s: stats shards %llu open %llu sealed %llu removed %llu compacted %llu "
                  "frames %llu bytes_cut %llu regions %llu",
                  ctx, (unsigned long long)st.shards, (unsigned long long)st.open_segments,
                  (unsigned long long)st.sealed, (unsigned long long)st.removed,
                  (unsigned long long)st.compacted, (unsigned long long)st.frames,
                  (unsigned long long)st.bytes_cut, (unsigned long long)st.cut_regions);
        check_sealed_exactly(dir, open_p, sealed_p, (const uint8_t *)g.bytes.p, last, ctx);
        char want[700];
        if (keep) {
            snprintf(want, sizeof(want),
                     "level=warn thr=ctl msg=\"recover: cutting a torn tail off an open segment "
                     "(everything before it is kept)\" file=\"%s\" offset=%zu bytes_cut=%zu "
                     "why=\"frame truncated: need %zu bytes, file has %zu\"\n",
                     open_p, last, keep, keep < FRAME_HDR_BYTES ? (size_t)FRAME_HDR_BYTES : L,
                     keep);
            if (!strstr(log, want) || count_str(log, "level=warn") != 1)
                HFAIL("%s: log lacks [%s]: %s", ctx, want, log);
        } else if (strstr(log, "level=warn")) {
            HFAIL("%s: nothing to cut, yet: %s", ctx, log);
        }
        snprintf(want, sizeof(want),
                 "msg=\"recover: sealed an open segment\" file=\"%s\" "
                 "frames=%d bytes=%zu bytes_cut=%zu",
                 sealed_p, NFRAMES - 1, last, keep);
        if (!strstr(log, want))
            HFAIL("%s: log lacks [%s]: %s", ctx, want, log);
        free(log);
        /* a second recovery finds nothing to do and changes nothing */
        log = NULL;
        if (recover(dir, &st, &log) != 0 || st.open_segments != 0 || log[0])
            HFAIL("%s: second recovery: open %llu log %s", ctx,
                  (unsigned long long)st.open_segments, log);
        free(log);
        check_sealed_exactly(dir, open_p, sealed_p, (const uint8_t *)g.bytes.p, last, ctx);
        unlink(sealed_p);
    }
    /* what cat prints is every line of the frames kept */
    write_file(open_p, g.bytes.p, last + L / 2);
    char *log = NULL;
    CHECK_EQ_INT(recover(dir, NULL, &log), 0);
    free(log);
    int rc;
    char *out = cat_all(dir, &rc);
    CHECK_EQ_INT(rc, 0);
    size_t keep_lines = 0;
    for (int f = 0; f < NFRAMES - 1; f++)
        keep_lines += 2 + (size_t)(f % 3);
    const char *p = g.ndjson.p;
    for (size_t i = 0; i < keep_lines; i++)
        p = strchr(p, '\n') + 1;
    CHECK_EQ_U64(strlen(out), (size_t)(p - g.ndjson.p));
    CHECK(strncmp(out, g.ndjson.p, (size_t)(p - g.ndjson.p)) == 0);
    free(out);
    seg_fini(&g);
    harness_rm_rf(dir);
}

TEST(flipped_byte_anywhere_in_the_last_frame_cuts_exactly_that_frame)
{
    char dir[64], open_p[300], sealed_p[300];
    harness_mkdtemp(dir, sizeof(dir), "recover");
    struct seg g;
    seg_make(&g, 2);
    size_t last = g.off[NFRAMES - 1], total = g.off[NFRAMES], L = total - last;
    seg_paths(dir, 3, 0, open_p, sealed_p);
    uint8_t *bad = malloc(total);
    int hdr_crc = 0, not_frame = 0, lz4_crc = 0;
    for (size_t i = 0; i < L; i++) {
        char ctx[64];
        snprintf(ctx, sizeof(ctx), "flip at %zu of %zu", i, L);
        memcpy(bad, g.bytes.p, total);
        bad[last + i] ^= 0x41;
        write_file(open_p, bad, total);
        struct spool_recover_stats st;
        char *log = NULL;
        if (recover(dir, &st, &log) != 0)
            HFAIL("%s: recovery failed", ctx);
        if (st.sealed != 1 || st.frames != NFRAMES - 1 || st.bytes_cut != L ||
            st.cut_regions != 1 || st.compacted != 0)
            HFAIL("%s: sealed %llu frames %llu bytes_cut %llu regions %llu", ctx,
                  (unsigned long long)st.sealed, (unsigned long long)st.frames,
                  (unsigned long long)st.bytes_cut, (unsigned long long)st.cut_regions);
        check_sealed_exactly(dir, open_p, sealed_p, (const uint8_t *)g.bytes.p, last, ctx);
        char want[600];
        snprintf(want, sizeof(want),
                 "(everything before it is kept)\" file=\"%s\" offset=%zu "
                 "bytes_cut=%zu why=\"",
                 open_p, last, L);
        if (!strstr(log, want))
            HFAIL("%s: log lacks [%s]: %s", ctx, want, log);
        hdr_crc += strstr(log, "why=\"bad frame header: checksum mismatch\"") != NULL;
        not_frame += strstr(log, "why=\"bad frame header: not a sluice frame") != NULL;
        lz4_crc += strstr(log, "why=\"LZ4 data checksum mismatch\"") != NULL;
        free(log);
        unlink(sealed_p);
    }
    /* 12 bytes of magic, size and "SLSF"; 52 CRC-covered header bytes and the CRC;
     * every byte of the LZ4 frame */
    CHECK_EQ_INT(not_frame, 12);
    CHECK_EQ_INT(hdr_crc, (int)FRAME_HDR_PAYLOAD - 4);
    CHECK_EQ_INT(lz4_crc, (int)(L - FRAME_HDR_BYTES));
    free(bad);
    seg_fini(&g);
    harness_rm_rf(dir);
}

TEST(damage_before_good_frames_is_cut_out_and_the_rest_kept)
{
    char dir[64], open_p[300], sealed_p[300];
    harness_mkdtemp(dir, sizeof(dir), "recover");
    struct seg g;
    seg_make(&g, 3);
    size_t total = g.off[NFRAMES];
    seg_paths(dir, 0, 12, open_p, sealed_p);
    uint8_t *bad = malloc(total);
    memcpy(bad, g.bytes.p, total);
    /* frame 1: a write that never landed (a hole of zeros); frame 3: its header
     * landed, its payload did not; frame 5 (last): torn */
    memset(bad + g.off[1], 0, g.off[2] - g.off[1]);
    memset(bad + g.off[3] + FRAME_HDR_BYTES, 0, g.off[4] - g.off[3] - FRAME_HDR_BYTES);
    size_t torn = g.off[5] + 30;
    write_file(open_p, bad, torn);

    struct spool_recover_stats st;
    char *log = NULL;
    CHECK_EQ_INT(recover(dir, &st, &log), 0);
    CHECK_EQ_U64(st.sealed, 1);
    CHECK_EQ_U64(st.compacted, 1);
    CHECK_EQ_U64(st.frames, 3);
    CHECK_EQ_U64(st.cut_regions, 3);
    CHECK_EQ_U64(st.bytes_cut, (g.off[2] - g.off[1]) + (g.off[4] - g.off[3]) + 30);
    struct buf want = {0};
    CHECK_EQ_INT(buf_append(&want, g.bytes.p + g.off[0], g.off[1] - g.off[0]), 0);
    CHECK_EQ_INT(buf_append(&want, g.bytes.p + g.off[2], g.off[3] - g.off[2]), 0);
    CHECK_EQ_INT(buf_append(&want, g.bytes.p + g.off[4], g.off[5] - g.off[4]), 0);
    check_sealed_exactly(dir, open_p, sealed_p, (const uint8_t *)want.p, want.len, "holes");
    char line[700];
    snprintf(line, sizeof(line),
             "msg=\"recover: cutting damaged bytes out of an open segment (good frames follow: "
             "the segment is rewritten without them)\" file=\"%s\" offset=%zu bytes_cut=%zu "
             "why=\"bad frame header: not a sluice frame (magic, version or kind)\"",
             open_p, g.off[1], g.off[2] - g.off[1]);
    CHECK(strstr(log, line) != NULL);
    snprintf(line, sizeof(line),
             "file=\"%s\" offset=%zu bytes_cut=%zu why=\"LZ4 data checksum "
             "mismatch\"",
             open_p, g.off[3], g.off[4] - g.off[3]);
    CHECK(strstr(log, line) != NULL);
    snprintf(line, sizeof(line),
             "file=\"%s\" offset=%zu bytes_cut=30 why=\"frame truncated: "
             "need 64 bytes, file has 30\"",
             open_p, g.off[5]);
    CHECK(strstr(log, line) != NULL);
    CHECK_EQ_INT(count_str(log, "level=warn"), 3);
    /* no temp file left */
    char tmp[320];
    snprintf(tmp, sizeof(tmp), "%s/0/%020d.recover.tmp", dir, 12);
    CHECK(!exists(tmp));
    free(log);

    /* a stale temp file of an interrupted repair is removed; the .seg.open it
     * would have replaced is repaired again */
    unlink(sealed_p);
    write_file(open_p, bad, torn);
    write_file(tmp, "partial", 7);
    log = NULL;
    CHECK_EQ_INT(recover(dir, &st, &log), 0);
    CHECK(!exists(tmp));
    CHECK(strstr(log, "recover: removed a temp file of an interrupted repair") != NULL);
    check_sealed_exactly(dir, open_p, sealed_p, (const uint8_t *)want.p, want.len, "again");
    free(log);
    buf_fini(&want);
    free(bad);
    seg_fini(&g);
    harness_rm_rf(dir);
}

TEST(sealed_segments_are_never_modified)
{
    char dir[64], open_p[300], sealed_p[300], o2[300], s2[300];
    harness_mkdtemp(dir, sizeof(dir), "recover");
    struct seg g;
    seg_make(&g, 4);
    size_t total = g.off[NFRAMES];
    /* a sealed segment with a torn tail (damage from elsewhere): left exactly as it is */
    seg_paths(dir, 0, 1, open_p, sealed_p);
    write_file(sealed_p, g.bytes.p, total - 5);
    struct timespec ts[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
    REQUIRE(utimensat(AT_FDCWD, sealed_p, ts, 0) == 0);
    /* and an open one after it */
    seg_paths(dir, 0, 2, o2, s2);
    write_file(o2, g.bytes.p, total - 5);

    struct spool_recover_stats st;
    char *log = NULL;
    CHECK_EQ_INT(recover(dir, &st, &log), 0);
    CHECK_EQ_U64(st.open_segments, 1);
    CHECK_EQ_U64(st.sealed, 1);
    CHECK(strstr(log, sealed_p) == NULL); /* not even looked at */
    free(log);
    size_t n = 0;
    uint8_t *p = harness_read_file(sealed_p, &n);
    REQUIRE(p);
    CHECK_EQ_U64(n, total - 5);
    CHECK_EQ_MEM(p, g.bytes.p, total - 5);
    free(p);
    struct stat sb;
    REQUIRE(stat(sealed_p, &sb) == 0);
    CHECK_EQ_INT(sb.st_mtim.tv_sec, 1000000000);
    CHECK(!exists(open_p));
    CHECK(!exists(o2));
    p = harness_read_file(s2, &n);
    CHECK_EQ_U64(n, g.off[NFRAMES - 1]);
    free(p);
    CHECK_EQ_INT(spool_verify(dir, NULL, NULL), 1); /* the sealed one still reports its tail */

    /* an open segment whose number is taken by a sealed one: repaired, left open */
    unlink(s2);
    write_file(open_p, g.bytes.p, total - 5);
    log = NULL;
    CHECK_EQ_INT(recover(dir, &st, &log), 0);
    CHECK_EQ_U64(st.kept_open, 1);
    CHECK_EQ_U64(st.sealed, 0);
    CHECK(strstr(log, "level=error") != NULL);
    CHECK(strstr(log, "a sealed segment of the same number exists") != NULL);
    free(log);
    p = harness_read_file(open_p, &n);
    CHECK_EQ_U64(n, g.off[NFRAMES - 1]); /* cut */
    free(p);
    p = harness_read_file(sealed_p, &n);
    CHECK_EQ_U64(n, total - 5); /* untouched */
    free(p);
    seg_fini(&g);
    harness_rm_rf(dir);
}

TEST(every_shard_directory_empty_and_hopeless_segments)
{
    char dir[64], o[300], s[300];
    harness_mkdtemp(dir, sizeof(dir), "recover");
    struct seg g;
    seg_make(&g, 5);
    /* shards 0, 3 and 17: a previous run had more shards than the next one will */
    seg_paths(dir, 0, 4, o, s);
    write_file(o, g.bytes.p, g.bytes.len); /* intact: just sealed */
    seg_paths(dir, 3, 0, o, s);
    write_file(o, "", 0); /* empty: removed */
    char o3[300], s3[300];
    seg_paths(dir, 17, 9, o3, s3);
    write_file(o3, g.bytes.p + 3, 40); /* not one good frame: removed, with the cut logged */
    /* not a shard directory, not a segment name: ignored */
    char junk[300];
    snprintf(junk, sizeof(junk), "%s/tmp", dir);
    REQUIRE(mkdir(junk, 0700) == 0);
    snprintf(junk, sizeof(junk), "%s/tmp/%020d.seg.open", dir, 1);
    write_file(junk, "x", 1);
    char junk2[300];
    snprintf(junk2, sizeof(junk2), "%s/0/notes.seg.open", dir);
    write_file(junk2, "x", 1);

    struct spool_recover_stats st;
    char *log = NULL;
    CHECK_EQ_INT(recover(dir, &st, &log), 0);
    CHECK_EQ_U64(st.shards, 3);
    CHECK_EQ_U64(st.open_segments, 3);
    CHECK_EQ_U64(st.sealed, 1);
    CHECK_EQ_U64(st.removed, 2);
    CHECK_EQ_U64(st.frames, NFRAMES);
    CHECK_EQ_U64(st.bytes_cut, 40);
    CHECK(!exists(o));
    CHECK(!exists(s));
    CHECK(!exists(o3));
    CHECK(!exists(s3));
    CHECK(exists(junk));
    CHECK(exists(junk2));
    seg_paths(dir, 0, 4, o, s);
    CHECK(exists(s));
    char want[600];
    snprintf(want, sizeof(want),
             "file=\"%s\" offset=0 bytes_cut=40 why=\"bad frame header: not a "
             "sluice frame (magic, version or kind)\"",
             o3);
    CHECK(strstr(log, want) != NULL);
    CHECK_EQ_INT(count_str(log, "recover: removed an open segment with no complete frame"), 2);
    CHECK(strstr(log, "msg=\"recover: done\"") != NULL);
    CHECK(strstr(log, "open_segments=3 sealed=1 removed=2 rewritten=0 regions_cut=1 "
                      "bytes_cut=40") != NULL);
    free(log);

    /* a missing spool directory is a new spool, not an error */
    char missing[128];
    snprintf(missing, sizeof(missing), "%s/nope", dir);
    log = NULL;
    CHECK_EQ_INT(recover(missing, &st, &log), 0);
    CHECK_EQ_U64(st.shards, 0);
    CHECK_EQ_STR(log, "");
    free(log);
    seg_fini(&g);
    harness_rm_rf(dir);
}

/* After recovery, a spool continues with the next segment number and the whole
 * spool verifies. */
TEST(spool_writes_after_recovery)
{
    char dir[64], o[300], s[300];
    harness_mkdtemp(dir, sizeof(dir), "recover");
    struct seg g;
    seg_make(&g, 6);
    seg_paths(dir, 1, 41, o, s);
    write_file(o, g.bytes.p, g.bytes.len - 1);
    char *log = NULL;
    CHECK_EQ_INT(recover(dir, NULL, &log), 0);
    free(log);
    struct spool_cfg cfg = {.dir = dir, .shard = 1, .fsync = SPOOL_FSYNC_BATCH};
    int err = 0;
    struct spool *sp = spool_create(&cfg, &err);
    REQUIRE(sp);
    const char *frame = g.bytes.p + g.off[0];
    CHECK_EQ_INT(spool_write(sp, frame, g.off[1], NULL), 0);
    CHECK_EQ_INT(spool_commit(sp), 0);
    CHECK_EQ_INT(spool_close(sp, NULL, NULL), 0);
    char next[320];
    snprintf(next, sizeof(next), "%s/1/%020d.seg", dir, 42);
    CHECK(exists(next));
    CHECK(exists(s));
    struct spool_verify_stats vs;
    CHECK_EQ_INT(spool_verify(dir, NULL, &vs), 0);
    CHECK_EQ_U64(vs.frames, NFRAMES);
    seg_fini(&g);
    harness_rm_rf(dir);
}

TEST_MAIN()
