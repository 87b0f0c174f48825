/* test_sink.c - io/sink.c: sink specs and redaction, batching of a segment's
 * event lines (limits, frames, dead letters, resume, damage), delivery markers,
 * backoff with full jitter, failed segments, dead letters, retention, and the
 * --sink* flags of cli.c. */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "frame.h"
#include "harness.h"

/* ---- helpers ----------------------------------------------------------------------------- */

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        abort();
    }
    if (n && fwrite(p, 1, n, f) != n)
        abort();
    fclose(f);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Append one frame of `lines` lines "{"f":F,"l":L}" (kind FRAME_EVENTS or FRAME_DEAD) to b. */
static void add_frame(struct buf *b, uint16_t kind, int f, int lines, bool last_nl)
{
    struct buf raw = {0};
    for (int i = 0; i < lines; i++) {
        char l[64];
        int n = snprintf(l, sizeof(l), "{\"f\":%d,\"l\":%d}%s", f, i,
                         (i + 1 < lines || last_nl) ? "\n" : "");
        if (buf_append(&raw, l, (size_t)n) != 0)
            abort();
    }
    struct frame_enc *e = frame_enc_create();
    struct frame_meta m = {
        .kind = kind, .partition = 0, .count = (uint32_t)lines, .first_seq = f, .last_seq = f};
    size_t cap = frame_bound(raw.len);
    if (buf_reserve(b, cap) != 0)
        abort();
    ssize_t r = frame_encode(e, &m, raw.p, raw.len, b->p + b->len, cap);
    if (r < 0)
        abort();
    b->len += (size_t)r;
    frame_enc_destroy(e);
    buf_fini(&raw);
}

/* A segment: events frame 1 (10 lines), dead frame 2 (2 lines), events frame 3
 * (5 lines, the last without a newline). 15 event lines. */
static void make_segment(const char *path, size_t *frame3_off)
{
    struct buf b = {0};
    add_frame(&b, FRAME_EVENTS, 1, 10, true);
    add_frame(&b, FRAME_DEAD, 2, 2, true);
    if (frame3_off)
        *frame3_off = b.len;
    add_frame(&b, FRAME_EVENTS, 3, 5, false);
    write_file(path, b.p, b.len);
    buf_fini(&b);
}

static int count_lines(const char *p, size_t n)
{
    int k = 0;
    for (size_t i = 0; i < n; i++)
        k += p[i] == '\n';
    return k;
}

/* ---- specs ------------------------------------------------------------------------------- */

TEST(spec_parse)
{
    struct sink_spec s, t;
    char why[256];
    CHECK_EQ_INT(sink_spec_parse("stdout", &s, why, sizeof(why)), 0);
    CHECK_EQ_INT(s.kind, SINK_STDOUT);
    CHECK(strncmp(s.id, "stdout-", 7) == 0);
    CHECK_EQ_INT(strlen(s.id), 7 + 16);
    CHECK_EQ_INT(sink_spec_parse("dir:/tmp/out", &s, why, sizeof(why)), 0);
    CHECK_EQ_INT(s.kind, SINK_DIR);
    CHECK_EQ_STR(s.arg, "/tmp/out");
    CHECK_EQ_STR(s.shown, "dir:/tmp/out");
    CHECK_EQ_INT(sink_spec_parse("http:http://127.0.0.1:8080/in", &s, why, sizeof(why)), 0);
    CHECK_EQ_INT(s.kind, SINK_HTTP);
    CHECK_EQ_STR(s.arg, "http://127.0.0.1:8080/in");
    CHECK(strncmp(s.id, "http-", 5) == 0);
    /* a bare URL is the same sink, with the same id */
    CHECK_EQ_INT(sink_spec_parse("http://127.0.0.1:8080/in", &t, why, sizeof(why)), 0);
    CHECK_EQ_STR(t.id, s.id);
    CHECK_EQ_INT(sink_spec_parse("https://127.0.0.1:8080/other", &t, why, sizeof(why)), 0);
    CHECK(strcmp(t.id, s.id) != 0);
    /* credentials: kept for libcurl, never shown, not part of the id */
    CHECK_EQ_INT(
        sink_spec_parse("https://user:secret@host.example:443/p?q=1", &s, why, sizeof(why)), 0);
    CHECK_EQ_STR(s.arg, "https://user:secret@host.example:443/p?q=1");
    CHECK_EQ_STR(s.shown, "https://host.example:443/p?q=1");
    CHECK_EQ_INT(sink_spec_parse("https://other:pw2@host.example:443/p?q=1", &t, why, sizeof(why)),
                 0);
    CHECK_EQ_STR(t.id, s.id);
    const char *bad[] = {"",        "stdout2",      "ftp://x", "dir:",       "http:",
                         "http://", "http:ftp://x", "file:/x", "http://a\nb"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        why[0] = '\0';
        if (sink_spec_parse(bad[i], &s, why, sizeof(why)) != -EINVAL)
            HFAIL("\"%s\" accepted", bad[i]);
        CHECK(why[0] != '\0');
    }
    /* the reason never repeats credentials */
    CHECK_EQ_INT(sink_spec_parse("ftp://u:topsecret@h/x", &s, why, sizeof(why)), -EINVAL);
    CHECK(strstr(why, "topsecret") == NULL);
}

TEST(redact)
{
    char out[256];
    sink_redact("http://user:pw@host:1/x", out, sizeof(out));
    CHECK_EQ_STR(out, "http://host:1/x");
    sink_redact("https://token@host/x", out, sizeof(out));
    CHECK_EQ_STR(out, "https://host/x");
    sink_redact("http://host/a@b", out, sizeof(out));
    CHECK_EQ_STR(out, "http://host/a@b");
    sink_redact("http://u:p@w@host", out, sizeof(out));
    CHECK_EQ_STR(out, "http://host");
    sink_redact("dir:/x@y", out, sizeof(out));
    CHECK_EQ_STR(out, "dir:/x@y");
}

/* ---- batching ---------------------------------------------------------------------------- */

TEST(batches_by_count_across_frames)
{
    char dir[64], path[128];
    harness_mkdtemp(dir, sizeof(dir), "sinkseg");
    snprintf(path, sizeof(path), "%s/seg", dir);
    make_segment(path, NULL);
    struct sink_seg sg;
    REQUIRE(sink_seg_open(&sg, path) == 0);
    struct buf b = {0};
    int want[] = {4, 4, 4, 3, 0};
    uint64_t first = 0;
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        buf_reset(&b);
        CHECK_EQ_U64(sg.line, first);
        int n = sink_seg_next(&sg, &b, 1 << 20, 4);
        CHECK_EQ_INT(n, want[i]);
        CHECK_EQ_INT(count_lines(b.p, b.len), n);
        if (n)
            CHECK(b.p[b.len - 1] == '\n');
        first += (uint64_t)(n > 0 ? n : 0);
        if (i == 2) /* crosses from frame 1 to frame 3; frame 2's dead letters are skipped */
            CHECK(b.len && strncmp(b.p,
                                   "{\"f\":1,\"l\":8}\n{\"f\":1,\"l\":9}\n{\"f\":3,\"l\":0}\n"
                                   "{\"f\":3,\"l\":1}\n",
                                   b.len) == 0);
        if (i == 3) /* the last line had no newline in the frame; the batch adds it */
            CHECK(b.len >= 14 && memcmp(b.p + b.len - 14, "{\"f\":3,\"l\":4}\n", 14) == 0);
    }
    CHECK_EQ_U64(sg.line, 15);
    CHECK_EQ_INT(sink_seg_more(&sg), 0);
    sink_seg_close(&sg);
    buf_fini(&b);
    harness_rm_rf(dir);
}

TEST(batches_by_bytes)
{
    char dir[64], path[128];
    harness_mkdtemp(dir, sizeof(dir), "sinkseg");
    snprintf(path, sizeof(path), "%s/seg", dir);
    make_segment(path, NULL);
    struct sink_seg sg;
    REQUIRE(sink_seg_open(&sg, path) == 0);
    struct buf b = {0};
    /* each line is 14 bytes: 30 bytes hold two */
    int total = 0, n;
    while ((n = sink_seg_next(&sg, &b, 30, 1000)) > 0) {
        CHECK(n <= 2);
        CHECK(b.len <= 30);
        total += n;
        buf_reset(&b);
    }
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(total, 15);
    sink_seg_close(&sg);
    /* a line longer than the limit goes alone */
    REQUIRE(sink_seg_open(&sg, path) == 0);
    CHECK_EQ_INT(sink_seg_next(&sg, &b, 5, 1000), 1);
    CHECK_EQ_INT(b.len, 14);
    sink_seg_close(&sg);
    buf_fini(&b);
    harness_rm_rf(dir);
}

TEST(resume_skips_delivered_lines)
{
    char dir[64], path[128];
    harness_mkdtemp(dir, sizeof(dir), "sinkseg");
    snprintf(path, sizeof(path), "%s/seg", dir);
    make_segment(path, NULL);
    struct sink_seg sg;
    struct buf b = {0};
    REQUIRE(sink_seg_open(&sg, path) == 0);
    CHECK_EQ_INT(sink_seg_skip(&sg, 11), 0);
    CHECK_EQ_INT(sink_seg_next(&sg, &b, 1 << 20, 100), 4);
    CHECK(b.len && strncmp(b.p, "{\"f\":3,\"l\":1}\n", 14) == 0);
    sink_seg_close(&sg);
    REQUIRE(sink_seg_open(&sg, path) == 0);
    CHECK_EQ_INT(sink_seg_skip(&sg, 15), 0);
    CHECK_EQ_INT(sink_seg_more(&sg), 0);
    sink_seg_close(&sg);
    REQUIRE(sink_seg_open(&sg, path) == 0);
    CHECK_EQ_INT(sink_seg_skip(&sg, 16), ERR_TRUNCATED);
    sink_seg_close(&sg);
    buf_fini(&b);
    harness_rm_rf(dir);
}

TEST(damaged_and_empty_segments)
{
    char dir[64], path[128];
    harness_mkdtemp(dir, sizeof(dir), "sinkseg");
    snprintf(path, sizeof(path), "%s/seg", dir);
    size_t off3;
    make_segment(path, &off3);
    size_t n;
    char *p = harness_read_file(path, &n);
    REQUIRE(p);
    p[n - 3] ^= 0x55; /* inside frame 3's LZ4 data */
    write_file(path, p, n);
    free(p);
    struct sink_seg sg;
    struct buf b = {0};
    REQUIRE(sink_seg_open(&sg, path) == 0);
    CHECK_EQ_INT(sink_seg_next(&sg, &b, 1 << 20, 100), 10); /* frame 1 is good */
    CHECK_EQ_INT(sink_seg_next(&sg, &b, 1 << 20, 100), ERR_CRC);
    sink_seg_close(&sg);
    /* torn: a sealed segment that ends inside a frame is damaged too */
    make_segment(path, &off3);
    p = harness_read_file(path, &n);
    REQUIRE(p);
    write_file(path, p, off3 + 20);
    free(p);
    REQUIRE(sink_seg_open(&sg, path) == 0);
    buf_reset(&b);
    CHECK_EQ_INT(sink_seg_next(&sg, &b, 1 << 20, 100), 10);
    CHECK_EQ_INT(sink_seg_next(&sg, &b, 1 << 20, 100), ERR_TRUNCATED);
    sink_seg_close(&sg);
    /* empty (a name kept by retention) */
    write_file(path, "", 0);
    REQUIRE(sink_seg_open(&sg, path) == 0);
    CHECK_EQ_INT(sink_seg_next(&sg, &b, 1 << 20, 100), 0);
    sink_seg_close(&sg);
    CHECK_EQ_INT(sink_seg_open(&sg, "/nonexistent/seg"), -ENOENT);
    buf_fini(&b);
    harness_rm_rf(dir);
}

/* ---- markers ----------------------------------------------------------------------------- */

TEST(marker_roundtrip_and_damage)
{
    char dir[64], path[128], why[256];
    harness_mkdtemp(dir, sizeof(dir), "sinkmark");
    struct sink_spec spec;
    REQUIRE(sink_spec_parse("http://u:pw@h/x", &spec, why, sizeof(why)) == 0);
    REQUIRE(sink_mark_path(path, sizeof(path), dir, spec.id) == 0);
    CHECK(strstr(path, "/delivered.http-") != NULL);
    struct sink_mark m = {.done = 7, .part_segno = 3, .part_lines = 9};
    CHECK_EQ_INT(sink_mark_load(path, &m, why, sizeof(why)), -ENOENT);
    CHECK_EQ_INT(m.done, -1);
    CHECK_EQ_INT(m.part_segno, -1);
    m = (struct sink_mark){.done = 41, .part_segno = 42, .part_lines = 1500};
    CHECK_EQ_INT(sink_mark_save(path, &spec, &m), 0);
    size_t n;
    char *text = harness_read_file(path, &n);
    REQUIRE(text);
    CHECK(strncmp(text, "sluice-delivered 1\nsink http-", 29) == 0);
    CHECK(strstr(text, "\ndone 41\npartial 42 1500\n") != NULL);
    CHECK(strstr(text, "pw") == NULL); /* no credentials on disk */
    free(text);
    char tmp[160];
    snprintf(tmp, sizeof(tmp), "%s/.delivered.%s.tmp", dir, spec.id);
    CHECK(!exists(tmp));
    struct sink_mark r;
    CHECK_EQ_INT(sink_mark_load(path, &r, why, sizeof(why)), 0);
    CHECK_EQ_INT(r.done, 41);
    CHECK_EQ_INT(r.part_segno, 42);
    CHECK_EQ_U64(r.part_lines, 1500);
    /* done only: no partial line */
    m = (struct sink_mark){.done = -1, .part_segno = -1};
    CHECK_EQ_INT(sink_mark_save(path, &spec, &m), 0);
    CHECK_EQ_INT(sink_mark_load(path, &r, why, sizeof(why)), 0);
    CHECK_EQ_INT(r.done, -1);
    CHECK_EQ_INT(r.part_segno, -1);
    const char *bad[] = {
        "",
        "garbage\n",
        "sluice-delivered 2\ndone 1\n",
        "sluice-delivered 1\n",
        "sluice-delivered 1\ndone x\n",
        "sluice-delivered 1\ndone -2\n",
        "sluice-delivered 1\ndone 5\npartial 5 10\n",
        "sluice-delivered 1\ndone 5\npartial 6\n",
        "sluice-delivered 1\ndone 5\nmore 1\n",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        write_file(path, bad[i], strlen(bad[i]));
        why[0] = '\0';
        int rc = sink_mark_load(path, &r, why, sizeof(why));
        if (rc != ERR_FORMAT)
            HFAIL("marker \"%s\": rc %d, want ERR_FORMAT", bad[i], rc);
        CHECK(why[0] != '\0');
        CHECK_EQ_INT(r.done, -1);
    }
    harness_rm_rf(dir);
}

/* ---- backoff ----------------------------------------------------------------------------- */

TEST(backoff_full_jitter)
{
    uint64_t rng = 42;
    CHECK_EQ_INT(sink_backoff_ms(0, 100, 30000, &rng), 0);
    const int64_t lim[] = {100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000};
    for (uint32_t a = 1; a <= ARRAY_SIZE(lim); a++) {
        int64_t lo = INT64_MAX, hi = -1;
        for (int i = 0; i < 4000; i++) {
            int64_t d = sink_backoff_ms(a, 100, 30000, &rng);
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
        if (hi > lim[a - 1] || lo < 0)
            HFAIL("attempt %u: range [%" PRId64 ", %" PRId64 "] outside [0, %" PRId64 "]", a, lo,
                  hi, lim[a - 1]);
        /* full jitter: the whole range is used */
        if (lo > lim[a - 1] / 20 || hi < lim[a - 1] * 9 / 10)
            HFAIL("attempt %u: range [%" PRId64 ", %" PRId64 "] does not span [0, %" PRId64 "]", a,
                  lo, hi, lim[a - 1]);
    }
    /* huge attempt numbers stay at the cap, no overflow */
    for (uint32_t a = 40; a < 80; a++) {
        int64_t d = sink_backoff_ms(a, 100, 500, &rng);
        CHECK(d >= 0 && d <= 500);
    }
    CHECK(sink_backoff_ms(UINT32_MAX, 100, 500, &rng) <= 500);
    /* two generators with different seeds differ */
    uint64_t a = 1, b = 2;
    CHECK(sink_rand(&a) != sink_rand(&b));
}

/* ---- failed segments, dead letters, deletion --------------------------------------------- */

TEST(fail_segment_links_and_records)
{
    char dir[64], sdir[128], seg[192], fseg[192], ferr[192];
    harness_mkdtemp(dir, sizeof(dir), "sinkfail");
    snprintf(sdir, sizeof(sdir), "%s/3", dir);
    REQUIRE(mkdir(sdir, 0700) == 0);
    snprintf(seg, sizeof(seg), "%s/00000000000000000041.seg", sdir);
    make_segment(seg, NULL);
    CHECK_EQ_INT(sink_fail_segment(dir, seg, 3, 41, "http://h/x", 10, "http: status 503"), 0);
    snprintf(fseg, sizeof(fseg), "%s/failed/3-00000000000000000041.seg", dir);
    snprintf(ferr, sizeof(ferr), "%s/failed/3-00000000000000000041.error", dir);
    struct stat a, b;
    REQUIRE(stat(seg, &a) == 0 && stat(fseg, &b) == 0);
    CHECK(a.st_ino == b.st_ino); /* a hard link: same bytes, nothing copied */
    size_t n;
    char *text = harness_read_file(ferr, &n);
    REQUIRE(text);
    CHECK(strstr(text, "sink: http://h/x\n") != NULL);
    CHECK(strstr(text, "attempts: 10\n") != NULL);
    CHECK(strstr(text, "error: http: status 503\n") != NULL);
    CHECK(strstr(text, "time: 20") != NULL);
    free(text);
    /* a second sink gives up on the same segment: same link, its block appended */
    CHECK_EQ_INT(sink_fail_segment(dir, seg, 3, 41, "dir:/mnt/x", 3, "dir: write() failed"), 0);
    text = harness_read_file(ferr, &n);
    REQUIRE(text);
    CHECK(strstr(text, "sink: http://h/x\n") != NULL);
    CHECK(strstr(text, "sink: dir:/mnt/x\n") != NULL);
    free(text);
    char other[192];
    snprintf(other, sizeof(other), "%s/failed/3-00000000000000000041.1.seg", dir);
    CHECK(!exists(other));
    /* a different file under the same number (segno reused after files were removed by
     * hand) gets another name; the first is kept */
    CHECK_EQ_INT(unlink(seg), 0);
    make_segment(seg, NULL);
    CHECK_EQ_INT(sink_fail_segment(dir, seg, 3, 41, "http://h/x", 10, "again"), 0);
    CHECK(exists(other));
    CHECK(exists(fseg));
    harness_rm_rf(dir);
}

TEST(dead_letters_and_delete)
{
    char dir[64], sdir[128], seg[192], dl[192];
    harness_mkdtemp(dir, sizeof(dir), "sinkdel");
    snprintf(sdir, sizeof(sdir), "%s/0", dir);
    REQUIRE(mkdir(sdir, 0700) == 0);
    snprintf(seg, sizeof(seg), "%s/00000000000000000005.seg", sdir);
    make_segment(seg, NULL);
    snprintf(dl, sizeof(dl), "%s/dead-letters/0-00000000000000000005.ndjson", dir);
    CHECK_EQ_INT(sink_save_dead_letters(dir, seg, 0, 5), 2);
    size_t n;
    char *text = harness_read_file(dl, &n);
    REQUIRE(text);
    CHECK_EQ_STR(text, "{\"f\":2,\"l\":0}\n{\"f\":2,\"l\":1}\n");
    free(text);
    CHECK_EQ_INT(unlink(dl), 0);
    /* deleting the newest segment keeps an empty file of that name */
    CHECK_EQ_INT(sink_delete_segment(dir, seg, 0, 5, true), 2);
    CHECK(exists(dl));
    struct stat st;
    REQUIRE(stat(seg, &st) == 0);
    CHECK_EQ_INT(st.st_size, 0);
    /* an older one is removed; a segment without dead letters leaves no file */
    char seg4[192], dl4[192];
    snprintf(seg4, sizeof(seg4), "%s/00000000000000000004.seg", sdir);
    struct buf b = {0};
    add_frame(&b, FRAME_EVENTS, 1, 3, true);
    write_file(seg4, b.p, b.len);
    buf_fini(&b);
    CHECK_EQ_INT(sink_delete_segment(dir, seg4, 0, 4, false), 0);
    CHECK(!exists(seg4));
    snprintf(dl4, sizeof(dl4), "%s/dead-letters/0-00000000000000000004.ndjson", dir);
    CHECK(!exists(dl4));
    /* a damaged segment is not deleted: its dead letters cannot all be read */
    size_t off3;
    make_segment(seg4, &off3);
    text = harness_read_file(seg4, &n);
    REQUIRE(text);
    write_file(seg4, text, off3 + 20);
    free(text);
    CHECK(sink_delete_segment(dir, seg4, 0, 4, false) < 0);
    CHECK(exists(seg4));
    harness_rm_rf(dir);
}

/* ---- listing, retention ------------------------------------------------------------------ */

TEST(listing)
{
    char dir[64], p[192];
    harness_mkdtemp(dir, sizeof(dir), "sinklist");
    const char *dirs[] = {"10", "2", "0", "failed", "dead-letters", "x1"};
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, dirs[i]);
        REQUIRE(mkdir(p, 0700) == 0);
    }
    snprintf(p, sizeof(p), "%s/7", dir);
    write_file(p, "x", 1); /* a file, not a directory */
    uint32_t *sh;
    size_t nsh;
    REQUIRE(sink_list_shards(dir, &sh, &nsh) == 0);
    CHECK_EQ_INT(nsh, 3);
    if (nsh == 3) {
        CHECK_EQ_INT(sh[0], 0);
        CHECK_EQ_INT(sh[1], 2);
        CHECK_EQ_INT(sh[2], 10);
    }
    free(sh);
    const char *files[] = {"00000000000000000003.seg.open", "00000000000000000001.seg",
                           "00000000000000000002.seg",      "delivered.http-1",
                           ".00000000000000000004.seg.tmp", "0000000000000000001.seg",
                           "00000000000000000002.seg.open"};
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        snprintf(p, sizeof(p), "%s/2/%s", dir, files[i]);
        write_file(p, "abcdefgh", i + 1);
    }
    struct sink_ent *e;
    size_t ne;
    snprintf(p, sizeof(p), "%s/2", dir);
    REQUIRE(sink_list_segments(p, &e, &ne) == 0);
    CHECK_EQ_INT(ne, 4);
    if (ne == 4) {
        CHECK(e[0].segno == 1 && !e[0].open && e[0].bytes == 2);
        CHECK(e[1].segno == 2 && !e[1].open);
        CHECK(e[2].segno == 2 && e[2].open);
        CHECK(e[3].segno == 3 && e[3].open && e[3].bytes == 1);
        CHECK(e[0].mtime_ms > 0);
    }
    free(e);
    harness_rm_rf(dir);
}

static bool picked(const struct sink_retain_seg *v, size_t n, uint32_t shard, uint64_t segno)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].shard == shard && v[i].segno == segno)
            return v[i].del;
    return false;
}

TEST(retention_rule)
{
    /* 10 segments of 100 bytes, one per minute; 0..3 delivered, 4 not, 5..9 delivered */
    struct sink_retain_seg v[10];
    const int64_t now = 1000000000;
    for (int i = 0; i < 10; i++)
        v[i] = (struct sink_retain_seg){.shard = (uint32_t)(i % 2),
                                        .segno = (uint64_t)i,
                                        .bytes = 100,
                                        .mtime_ms = now - (10 - i) * 60000,
                                        .delivered = i != 4};
    /* no limits: every delivered segment at once */
    CHECK_EQ_INT(sink_retain_pick(v, 10, 1000, 0, 0, now), 9);
    CHECK(!picked(v, 10, 0, 4));
    /* size: keep while under 550 bytes; oldest delivered first, never the undelivered one */
    CHECK_EQ_INT(sink_retain_pick(v, 10, 1000, 550, 0, now), 5);
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(picked(v, 10, (uint32_t)(i % 2), (uint64_t)i), i <= 5 && i != 4);
    /* a spool of undelivered segments is never trimmed, whatever the size */
    for (int i = 0; i < 10; i++)
        v[i].delivered = false;
    CHECK_EQ_INT(sink_retain_pick(v, 10, 1000, 1, 0, now), 0);
    for (int i = 0; i < 10; i++)
        v[i].delivered = v[i].segno != 4;
    /* age: older than 5.5 minutes */
    CHECK_EQ_INT(sink_retain_pick(v, 10, 1000, 0, 330000, now), 4);
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(picked(v, 10, (uint32_t)(i % 2), (uint64_t)i), i <= 4 && i != 4);
    /* both: old ones go, then more while over the size */
    CHECK_EQ_INT(sink_retain_pick(v, 10, 1000, 450, 330000, now), 6);
    CHECK(picked(v, 10, 1, 5) && picked(v, 10, 0, 6) && !picked(v, 10, 1, 7));
    /* within both limits: nothing */
    CHECK_EQ_INT(sink_retain_pick(v, 10, 1000, 5000, 3600000, now), 0);
    CHECK_EQ_INT(sink_retain_pick(v, 0, 0, 0, 0, now), 0);
}

/* ---- flags ------------------------------------------------------------------------------- */

static int parse(const char *line, struct run_cfg *cfg, char *err, size_t errlen)
{
    char copy[2048];
    char *argv[64];
    int argc = harness_argv(line, copy, sizeof(copy), argv, 64);
    FILE *o = fopen("/dev/null", "w");
    FILE *e = fmemopen(err, errlen, "w");
    int rc = cli_parse_run(argc, argv, cfg, o, e);
    fclose(o);
    fclose(e);
    return rc;
}

static struct run_cfg cfg;

TEST(flags)
{
    char err[1024];
    CHECK_EQ_INT(parse("--source replay:c --spool-dir d", &cfg, err, sizeof(err)), 0);
    CHECK_EQ_INT(cfg.nsinks, 0);
    CHECK_EQ_U64(cfg.sink_batch_bytes, 4u << 20);
    CHECK_EQ_INT(cfg.sink_batch_events, 10000);
    CHECK(!cfg.sink_gzip);
    CHECK_EQ_INT(cfg.sink_timeout_ms, 30000);
    CHECK_EQ_INT(cfg.sink_backoff_max_ms, 30000);
    CHECK_EQ_INT(cfg.sink_max_attempts, 10);
    CHECK_EQ_INT(cfg.sink_drain_ms, 30000);
    CHECK_EQ_U64(cfg.retain_bytes, 0);
    CHECK_EQ_INT(cfg.retain_hours, 0);
    CHECK_EQ_INT(parse("--source replay:c --spool-dir d --sink stdout --sink dir:/o "
                       "--sink=http://u:p@h:1/x --sink-batch-bytes 64K --sink-batch-events 7 "
                       "--sink-gzip --sink-timeout 1500ms --sink-backoff-max 2s "
                       "--sink-max-attempts 0 --sink-drain-timeout 1m --retain-bytes 10G "
                       "--retain-hours 48",
                       &cfg, err, sizeof(err)),
                 0);
    CHECK_EQ_INT(cfg.nsinks, 3);
    CHECK_EQ_INT(cfg.sinks[0].kind, SINK_STDOUT);
    CHECK_EQ_INT(cfg.sinks[1].kind, SINK_DIR);
    CHECK_EQ_INT(cfg.sinks[2].kind, SINK_HTTP);
    CHECK_EQ_STR(cfg.sinks[2].shown, "http://h:1/x");
    CHECK_EQ_U64(cfg.sink_batch_bytes, 64 * 1024);
    CHECK_EQ_INT(cfg.sink_batch_events, 7);
    CHECK(cfg.sink_gzip);
    CHECK_EQ_INT(cfg.sink_timeout_ms, 1500);
    CHECK_EQ_INT(cfg.sink_backoff_max_ms, 2000);
    CHECK_EQ_INT(cfg.sink_max_attempts, 0);
    CHECK_EQ_INT(cfg.sink_drain_ms, 60000);
    CHECK_EQ_U64(cfg.retain_bytes, 10ull << 30);
    CHECK_EQ_INT(cfg.retain_hours, 48);
    /* --print-config never shows credentials */
    char out[8192] = {0};
    FILE *o = fmemopen(out, sizeof(out), "w");
    cli_print_config(&cfg, o);
    fclose(o);
    CHECK(strstr(out, "sink = http://h:1/x (id http-") != NULL);
    CHECK(strstr(out, "u:p@") == NULL);
    CHECK(strstr(out, "sink-timeout = 1500ms") != NULL);
    struct {
        const char *args, *needle;
    } bad[] = {
        {"--sink ftp://x", "--sink:"},
        {"--sink stdout --sink stdout", "given twice"},
        {"--sink http://h/x --sink http:http://h/x", "given twice"},
        {"--sink-timeout 30", "--sink-timeout:"},
        {"--sink-timeout 10ms", "--sink-timeout:"},
        {"--sink-timeout 2h", "--sink-timeout:"},
        {"--sink-backoff-max 1x", "--sink-backoff-max:"},
        {"--sink-drain-timeout -1s", "--sink-drain-timeout:"},
        {"--sink-batch-bytes 10", "--sink-batch-bytes:"},
        {"--sink-batch-events 0", "--sink-batch-events:"},
        {"--sink-max-attempts x", "--sink-max-attempts:"},
        {"--retain-bytes 5K", "--retain-bytes:"},
        {"--retain-hours 1.5", "--retain-hours:"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char line[256];
        snprintf(line, sizeof(line), "--source replay:c --spool-dir d %s", bad[i].args);
        memset(err, 0, sizeof(err));
        int rc = parse(line, &cfg, err, sizeof(err));
        if (rc != 2 || !strstr(err, bad[i].needle))
            HFAIL("\"%s\": rc %d, error \"%s\" (want \"%s\")", bad[i].args, rc, err, bad[i].needle);
        char *nl = strchr(err, '\n');
        if (!nl || nl[1] != '\0')
            HFAIL("\"%s\": error is not one line: \"%s\"", bad[i].args, err);
    }
    /* nine sinks are one too many */
    char many[1024] = "--source replay:c --spool-dir d";
    for (int i = 0; i < 9; i++) {
        size_t l = strlen(many);
        snprintf(many + l, sizeof(many) - l, " --sink dir:/o%d", i);
    }
    CHECK_EQ_INT(parse(many, &cfg, err, sizeof(err)), 2);
    CHECK(strstr(err, "at most 8") != NULL);
}

TEST_MAIN()
