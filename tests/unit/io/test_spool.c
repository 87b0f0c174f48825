/* test_spool.c - io/spool.c: segment files, callbacks, fsync modes, sealing, retries. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "failpoint.h"
#include "harness.h"

/* ---- helpers --------------------------------------------------------------------------- */

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}


#define MAX_WRITES 4096
#define MAX_FILES  512

/* What the callbacks saw. cookie = write index + 1. */
struct seen {
    int ok[MAX_WRITES];           /* status-0 callbacks per write */
    int err[MAX_WRITES];          /* negative-status callbacks per write */
    int last_err;
    uint64_t fsyncs_at_done_min;  /* smallest stats.fsyncs seen at a status-0 callback */
    struct spool *s;              /* for stats inside the callback */
    uint32_t done;
};

static void on_done(void *arg, void *cookie, int status)
{
    struct seen *sn = arg;
    size_t i = (size_t)(uintptr_t)cookie - 1;
    if (i >= MAX_WRITES)
        return;
    if (status == 0) {
        sn->ok[i]++;
        sn->done++;
        if (sn->s) {
            struct spool_stats st;
            spool_get_stats(sn->s, &st);
            if (st.fsyncs < sn->fsyncs_at_done_min)
                sn->fsyncs_at_done_min = st.fsyncs;
        }
    } else {
        sn->err[i]++;
        sn->last_err = status;
    }
}

/* Sorted file names in d. */
static int list_files(const char *d, char names[][64], int max)
{
    DIR *dp = opendir(d);
    if (!dp)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n < max)
            snprintf(names[n++], 64, "%.63s", de->d_name);
    }
    closedir(dp);
    qsort(names, (size_t)n, 64, (int (*)(const void *, const void *))strcmp);
    return n;
}

static size_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (size_t)sb.st_size : 0;
}

/* Append the contents of path to b. */
static void slurp(const char *path, struct buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_append(b, chunk, n) != 0)
            break;
    fclose(f);
}

struct workload {
    uint8_t *data;     /* all bytes, written in order */
    size_t off[MAX_WRITES + 1];
    int n;
};

static void workload_make(struct workload *w, int n, size_t max_len)
{
    w->n = n;
    w->off[0] = 0;
    for (int i = 0; i < n; i++)
        w->off[i + 1] = w->off[i] + 1 + (size_t)(rnd() % max_len);
    w->data = malloc(w->off[n]);
    for (size_t i = 0; i < w->off[n]; i++)
        w->data[i] = (uint8_t)rnd();
}

/* Write everything through s: queue until -EBUSY, commit, poll. */
static void pump(struct spool *s, struct workload *w, struct seen *sn)
{
    int next = 0;
    int64_t deadline = clock_mono_ms() + 20000;
    while (sn->done < (uint32_t)w->n && clock_mono_ms() < deadline) {
        while (next < w->n) {
            int rc = spool_write(s, w->data + w->off[next], w->off[next + 1] - w->off[next],
                                 (void *)(uintptr_t)(next + 1));
            if (rc == -EBUSY)
                break;
            if (rc != 0) {
                HFAIL("spool_write: %d", rc);
                return;
            }
            next++;
        }
        int rc = spool_commit(s);
        if (rc != 0)
            HFAIL("spool_commit: %d", rc);
        rc = spool_poll(s, 10, on_done, sn);
        if (rc < 0)
            HFAIL("spool_poll: %d", rc);
    }
    CHECK_EQ_U64(sn->done, w->n);
}

/* The shard dir holds sealed segments only, consecutive segnos from first, each 0600,
 * sealed at the size limit; their concatenation is the workload. Returns file count. */
static int check_segments(const char *shard_dir, const struct workload *w, uint64_t first,
                          uint64_t seg_bytes, size_t max_len)
{
    static char names[MAX_FILES][64];
    int n = list_files(shard_dir, names, MAX_FILES);
    struct buf all = {0};
    for (int i = 0; i < n; i++) {
        char want[64], path[512];
        snprintf(want, sizeof(want), "%020llu.seg", (unsigned long long)(first + (uint64_t)i));
        CHECK_EQ_STR(names[i], want);
        snprintf(path, sizeof(path), "%s/%s", shard_dir, names[i]);
        struct stat sb;
        if (stat(path, &sb) != 0) {
            HFAIL("stat %s failed", path);
            continue;
        }
        CHECK_EQ_INT(sb.st_mode & 0777, 0600);
        if (i + 1 < n) { /* sealed by size: at least the limit, less than limit + a write */
            CHECK((uint64_t)sb.st_size >= seg_bytes);
            CHECK((uint64_t)sb.st_size < seg_bytes + max_len + 1);
        }
        slurp(path, &all);
    }
    CHECK_EQ_U64(all.len, w->off[w->n]);
    if (all.len == w->off[w->n])
        CHECK_EQ_MEM(all.p, w->data, all.len);
    buf_fini(&all);
    return n;
}

static void run_mode(enum spool_fsync mode, int64_t interval_ms)
{
    char dir[] = "/tmp/sluice_spool_XXXXXX";
    REQUIRE(mkdtemp(dir));
    struct workload w;
    workload_make(&w, 1500, 9000);
    struct seen *sn = calloc(1, sizeof(*sn));
    sn->fsyncs_at_done_min = UINT64_MAX;
    const uint64_t seg_bytes = 1 << 20;
    struct spool_cfg cfg = {.dir = dir, .shard = 3, .segment_bytes = seg_bytes, .fsync = mode,
                            .fsync_interval_ms = interval_ms, .queue_depth = 64};
    int err = 0;
    struct spool *s = spool_create(&cfg, &err);
    REQUIRE(s);
    sn->s = s;
    pump(s, &w, sn);
    CHECK_EQ_U64(spool_pending(s), 0);
    struct spool_stats st;
    spool_get_stats(s, &st);
    CHECK_EQ_U64(st.writes, w.n);
    CHECK_EQ_U64(st.bytes, w.off[w.n]);
    CHECK_EQ_U64(st.errors, 0);
    if (mode == SPOOL_FSYNC_NONE) {
        CHECK_EQ_U64(st.fsyncs, 0);
    } else {
        CHECK(st.fsyncs > 0);
        CHECK(sn->fsyncs_at_done_min >= 1); /* no write reported before an fsync completed */
    }
    /* ~10 MB in 1 MB segments. Seals finish asynchronously (rename, then a directory
     * fsync through the ring), so under load some may still be in flight when the
     * last write is reported: keep polling until they land (found flaky at -j2). */
    int64_t seal_deadline = clock_mono_ms() + 10000;
    while (st.segments_sealed < 5 && clock_mono_ms() < seal_deadline) {
        if (spool_poll(s, 10, on_done, sn) < 0)
            break;
        spool_get_stats(s, &st);
    }
    CHECK(st.segments_sealed >= 5);
    sn->s = NULL;
    CHECK_EQ_INT(spool_close(s, on_done, sn), 0);
    for (int i = 0; i < w.n; i++) {
        if (sn->ok[i] != 1 || sn->err[i] != 0) {
            HFAIL("write %d: %d ok callbacks, %d error callbacks", i, sn->ok[i], sn->err[i]);
            break;
        }
    }
    char shard_dir[256];
    snprintf(shard_dir, sizeof(shard_dir), "%s/3", dir);
    struct stat sb;
    REQUIRE(stat(shard_dir, &sb) == 0);
    CHECK_EQ_INT(sb.st_mode & 0777, 0700);
    int files = check_segments(shard_dir, &w, 0, seg_bytes, 9000);
    CHECK(files >= 6);
    free(sn);
    free(w.data);
    harness_rm_rf(dir);
}

/* ---- tests ----------------------------------------------------------------------------- */

TEST(batch_many_random_writes)
{
    run_mode(SPOOL_FSYNC_BATCH, 0);
}

TEST(interval_many_random_writes)
{
    run_mode(SPOOL_FSYNC_INTERVAL, 5);
}

TEST(none_many_random_writes)
{
    run_mode(SPOOL_FSYNC_NONE, 0);
}

TEST(lazy_open_leaves_no_file)
{
    char dir[] = "/tmp/sluice_spool_XXXXXX";
    REQUIRE(mkdtemp(dir));
    struct spool_cfg cfg = {.dir = dir, .shard = 0, .segment_bytes = 1 << 20};
    int err = 0;
    struct spool *s = spool_create(&cfg, &err);
    REQUIRE(s);
    char shard_dir[256], names[4][64];
    snprintf(shard_dir, sizeof(shard_dir), "%s/0", dir);
    CHECK_EQ_INT(list_files(shard_dir, names, 4), 0);
    CHECK_EQ_INT(spool_commit(s), 0);
    CHECK_EQ_INT(spool_poll(s, 0, on_done, NULL), 0);
    CHECK_EQ_INT(spool_close(s, on_done, NULL), 0);
    CHECK_EQ_INT(list_files(shard_dir, names, 4), 0);
    harness_rm_rf(dir);
}

TEST(open_file_until_sealed_then_new_spool_continues_segno)
{
    char dir[] = "/tmp/sluice_spool_XXXXXX";
    REQUIRE(mkdtemp(dir));
    char shard_dir[256];
    snprintf(shard_dir, sizeof(shard_dir), "%s/1", dir);
    static char names[8][64];
    struct seen *sn = calloc(1, sizeof(*sn));
    static const char rec[] = "{\"a\":1}\n";

    struct spool_cfg cfg = {.dir = dir, .shard = 1, .segment_bytes = 1 << 20};
    int err = 0;
    struct spool *s = spool_create(&cfg, &err);
    REQUIRE(s);
    CHECK_EQ_INT(spool_write(s, rec, sizeof(rec) - 1, (void *)1), 0);
    CHECK_EQ_U64(spool_pending(s), 1);
    CHECK_EQ_INT(list_files(shard_dir, names, 8), 0); /* spool_write makes no syscall */
    CHECK_EQ_INT(spool_commit(s), 0);
    CHECK_EQ_INT(list_files(shard_dir, names, 8), 1);
    CHECK_EQ_STR(names[0], "00000000000000000000.seg.open");
    for (int i = 0; i < 100 && sn->done < 1; i++)
        CHECK(spool_poll(s, 10, on_done, sn) >= 0);
    CHECK_EQ_U64(sn->ok[0], 1);
    CHECK_EQ_U64(spool_pending(s), 0);
    CHECK_EQ_INT(spool_close(s, on_done, sn), 0);
    CHECK_EQ_INT(list_files(shard_dir, names, 8), 1);
    CHECK_EQ_STR(names[0], "00000000000000000000.seg");

    /* a stray file and a crash leftover .seg.open with a higher segno */
    char path[512];
    snprintf(path, sizeof(path), "%s/00000000000000000007.seg.open", shard_dir);
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/99999999999999999999.tmp", shard_dir);
    f = fopen(path, "w");
    REQUIRE(f);
    fclose(f);

    s = spool_create(&cfg, &err);
    REQUIRE(s);
    CHECK_EQ_INT(spool_write(s, rec, sizeof(rec) - 1, (void *)2), 0);
    CHECK_EQ_INT(spool_commit(s), 0);
    CHECK_EQ_INT(spool_close(s, on_done, sn), 0);
    CHECK_EQ_U64(sn->ok[1], 1);
    CHECK_EQ_INT(list_files(shard_dir, names, 8), 4);
    CHECK_EQ_STR(names[2], "00000000000000000008.seg");
    snprintf(path, sizeof(path), "%s/%s", shard_dir, names[2]);
    CHECK_EQ_U64(file_size(path), sizeof(rec) - 1);
    free(sn);
    harness_rm_rf(dir);
}

TEST(seal_by_age)
{
    char dir[] = "/tmp/sluice_spool_XXXXXX";
    REQUIRE(mkdtemp(dir));
    struct seen *sn = calloc(1, sizeof(*sn));
    struct spool_cfg cfg = {.dir = dir, .shard = 0, .segment_bytes = 1 << 30, .segment_ms = 30};
    int err = 0;
    struct spool *s = spool_create(&cfg, &err);
    REQUIRE(s);
    static const char rec[] = "{\"a\":1}\n";
    CHECK_EQ_INT(spool_write(s, rec, 8, (void *)1), 0);
    CHECK_EQ_INT(spool_commit(s), 0);
    struct spool_stats st = {0};
    int64_t end = clock_mono_ms() + 2000;
    while (clock_mono_ms() < end) {
        CHECK(spool_poll(s, 5, on_done, sn) >= 0);
        spool_get_stats(s, &st);
        if (st.segments_sealed)
            break;
    }
    CHECK_EQ_U64(st.segments_sealed, 1);
    CHECK_EQ_U64(sn->ok[0], 1);
    /* the next write starts the next segment */
    CHECK_EQ_INT(spool_write(s, rec, 8, (void *)2), 0);
    CHECK_EQ_INT(spool_commit(s), 0);
    CHECK_EQ_INT(spool_close(s, on_done, sn), 0);
    CHECK_EQ_U64(sn->ok[1], 1);
    char shard_dir[256], names[4][64];
    snprintf(shard_dir, sizeof(shard_dir), "%s/0", dir);
    CHECK_EQ_INT(list_files(shard_dir, names, 4), 2);
    CHECK_EQ_STR(names[0], "00000000000000000000.seg");
    CHECK_EQ_STR(names[1], "00000000000000000001.seg");
    free(sn);
    harness_rm_rf(dir);
}

TEST(interval_allows_one_fsync_per_interval)
{
    char dir[] = "/tmp/sluice_spool_XXXXXX";
    REQUIRE(mkdtemp(dir));
    struct seen *sn = calloc(1, sizeof(*sn));
    struct spool_cfg cfg = {.dir = dir, .shard = 0, .segment_bytes = 1 << 30,
                            .fsync = SPOOL_FSYNC_INTERVAL, .fsync_interval_ms = 150};
    int err = 0;
    struct spool *s = spool_create(&cfg, &err);
    REQUIRE(s);
    static const char rec[] = "{\"a\":1}\n";
    int64_t t0 = clock_mono_ms();
    int64_t done_ms[3] = {0};
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(spool_write(s, rec, 8, (void *)(uintptr_t)(i + 1)), 0);
        CHECK_EQ_INT(spool_commit(s), 0);
        int64_t end = clock_mono_ms() + 2000;
        while (sn->ok[i] == 0 && clock_mono_ms() < end)
            CHECK(spool_poll(s, 5, on_done, sn) >= 0);
        CHECK_EQ_INT(sn->ok[i], 1);
        done_ms[i] = clock_mono_ms();
    }
    struct spool_stats st;
    spool_get_stats(s, &st);
    CHECK_EQ_U64(st.fsyncs, 3);
    CHECK(done_ms[0] - t0 < 120);             /* the first one goes at once */
    CHECK(done_ms[1] - done_ms[0] >= 120);    /* then one per 150 ms at most */
    CHECK(done_ms[2] - done_ms[1] >= 120);
    CHECK_EQ_INT(spool_close(s, on_done, sn), 0);
    free(sn);
    harness_rm_rf(dir);
}

TEST(busy_when_queue_full_and_bad_args)
{
    char dir[] = "/tmp/sluice_spool_XXXXXX";
    REQUIRE(mkdtemp(dir));
    struct seen *sn = calloc(1, sizeof(*sn));
    struct spool_cfg cfg = {.dir = dir, .shard = 0, .segment_bytes = 1 << 20, .queue_depth = 4};
    int err = 0;
    struct spool *s = spool_create(&cfg, &err);
    REQUIRE(s);
    static const char rec[] = "{\"a\":1}\n";
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(spool_write(s, rec, 8, (void *)(uintptr_t)(i + 1)), 0);
    CHECK_EQ_INT(spool_write(s, rec, 8, (void *)5), -EBUSY);
    CHECK_EQ_INT(spool_write(s, rec, 0, (void *)5), -EINVAL);
    CHECK_EQ_U64(spool_pending(s), 4);
    CHECK_EQ_INT(spool_close(s, on_done, sn), 0); /* close commits queued writes */
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(sn->ok[i], 1);

    struct spool_cfg bad = cfg;
    bad.queue_depth = SPOOL_MAX_QUEUE_DEPTH + 1;
    err = 0;
    CHECK(spool_create(&bad, &err) == NULL);
    CHECK_EQ_INT(err, -EINVAL);
    bad = cfg;
    bad.fsync = SPOOL_FSYNC_INTERVAL;
    bad.fsync_interval_ms = 0;
    CHECK(spool_create(&bad, &err) == NULL);
    CHECK_EQ_INT(err, -EINVAL);
    bad = cfg;
    bad.dir = "/proc/sluice_cannot_be_here";
    CHECK(spool_create(&bad, &err) == NULL);
    CHECK(err < 0);
    free(sn);
    harness_rm_rf(dir);
}

/* A file size limit makes writes fail with EFBIG (after a short write); the
 * error is reported once per write, the writes stay pending, and once the limit
 * is lifted they are retried and become durable with the right bytes in place. */
TEST(write_error_reported_once_then_retried)
{
    char dir[] = "/tmp/sluice_spool_XXXXXX";
    REQUIRE(mkdtemp(dir));
    struct seen *sn = calloc(1, sizeof(*sn));
    struct workload w;
    w.n = 3;
    w.off[0] = 0;
    w.off[1] = 3000;
    w.off[2] = 6000;
    w.off[3] = 9000;
    w.data = malloc(9000);
    for (int i = 0; i < 9000; i++)
        w.data[i] = (uint8_t)rnd();

    struct rlimit old;
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {.rlim_cur = 4096, .rlim_max = old.rlim_max};
    REQUIRE(setrlimit(RLIMIT_FSIZE, &lim) == 0);

    struct spool_cfg cfg = {.dir = dir, .shard = 0, .segment_bytes = 1 << 20};
    int err = 0;
    struct spool *s = spool_create(&cfg, &err);
    REQUIRE(s);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(spool_write(s, w.data + w.off[i], 3000, (void *)(uintptr_t)(i + 1)), 0);
    CHECK_EQ_INT(spool_commit(s), 0);
    int64_t end = clock_mono_ms() + 1000;
    while (clock_mono_ms() < end && !(sn->err[1] && sn->err[2]))
        CHECK(spool_poll(s, 5, on_done, sn) >= 0);
    for (int i = 0; i < 5; i++) /* retries keep failing: still reported only once */
        CHECK(spool_poll(s, 30, on_done, sn) >= 0);
    CHECK_EQ_INT(sn->ok[0], 1);
    CHECK_EQ_INT(sn->ok[1], 0);
    CHECK_EQ_INT(sn->ok[2], 0);
    CHECK_EQ_INT(sn->err[1], 1);
    CHECK_EQ_INT(sn->err[2], 1);
    CHECK_EQ_INT(sn->last_err, -EFBIG);
    CHECK_EQ_U64(spool_pending(s), 2);
    CHECK(spool_blocked(s)); /* failing writes hold the caller's input back */
    struct spool_stats st;
    spool_get_stats(s, &st);
    CHECK(st.errors >= 2);
    CHECK_EQ_U64(st.err_other, st.errors); /* EFBIG: neither disk full nor EIO */
    CHECK_EQ_U64(st.err_nospace + st.err_io, 0);
    CHECK_EQ_U64(st.blocked_episodes, 1);
    CHECK(st.blocked_ns > 0);
    CHECK(st.short_writes >= 1); /* write 2 got 1096 bytes in before the limit */

    REQUIRE(setrlimit(RLIMIT_FSIZE, &old) == 0);
    end = clock_mono_ms() + 3000;
    while (clock_mono_ms() < end && sn->done < 3)
        CHECK(spool_poll(s, 10, on_done, sn) >= 0);
    CHECK_EQ_INT(sn->ok[1], 1);
    CHECK_EQ_INT(sn->ok[2], 1);
    CHECK(!spool_blocked(s)); /* resumed by itself */
    CHECK_EQ_INT(spool_close(s, on_done, sn), 0);
    signal(SIGXFSZ, oldsig);

    char shard_dir[256];
    snprintf(shard_dir, sizeof(shard_dir), "%s/0", dir);
    CHECK_EQ_INT(check_segments(shard_dir, &w, 0, 1 << 20, 3000), 1);
    free(w.data);
    free(sn);
    harness_rm_rf(dir);
}

/* Arm SLUICE_FAILPOINTS (NULL: disarm). */
static int arm(const char *spec)
{
    if (spec)
        setenv("SLUICE_FAILPOINTS", spec, 1);
    else
        unsetenv("SLUICE_FAILPOINTS");
    return failpoint_init();
}

/* Disk full (injected at spool.write) is backpressure: the failing writes keep
 * their offsets and are retried, spool_blocked() holds input back while any
 * fails, nothing is reported durable early, and it all lands once writes go
 * through again; the stats count errors by class and the time blocked. */
static void injected_error_run(const char *spec, int err, enum spool_fsync mode)
{
    char dir[] = "/tmp/sluice_spool_XXXXXX";
    REQUIRE(mkdtemp(dir));
    REQUIRE(arm(spec) == 0);
    struct seen *sn = calloc(1, sizeof(*sn));
    struct workload w;
    workload_make(&w, 12, 5000);
    struct spool_cfg cfg = {.dir = dir, .shard = 0, .segment_bytes = 1 << 20, .fsync = mode};
    int e = 0;
    struct spool *s = spool_create(&cfg, &e);
    REQUIRE(s);
    for (int i = 0; i < w.n; i++)
        CHECK_EQ_INT(spool_write(s, w.data + w.off[i], w.off[i + 1] - w.off[i],
                                 (void *)(uintptr_t)(i + 1)), 0);
    CHECK_EQ_INT(spool_commit(s), 0);
    bool saw_blocked = false;
    uint32_t done_while_blocked_max = 0;
    int64_t end = clock_mono_ms() + 10000;
    while (clock_mono_ms() < end && sn->done < (uint32_t)w.n) {
        CHECK(spool_poll(s, 20, on_done, sn) >= 0);
        CHECK_EQ_INT(spool_commit(s), 0);
        if (spool_blocked(s)) {
            saw_blocked = true;
            done_while_blocked_max = sn->done;
        }
    }
    CHECK(saw_blocked);
    CHECK(done_while_blocked_max < (uint32_t)w.n); /* never all done while blocked */
    CHECK_EQ_U64(sn->done, w.n);
    CHECK(!spool_blocked(s));
    CHECK_EQ_U64(spool_pending(s), 0);
    CHECK_EQ_INT(sn->last_err, -err);
    int errs = 0;
    for (int i = 0; i < w.n; i++) {
        CHECK_EQ_INT(sn->ok[i], 1);
        errs += sn->err[i];
    }
    CHECK(errs >= 1);
    struct spool_stats st;
    spool_get_stats(s, &st);
    CHECK_EQ_U64(st.errors, 6); /* @2*6: hits 2..7 fail */
    CHECK_EQ_U64(err == ENOSPC ? st.err_nospace : st.err_io, 6);
    CHECK_EQ_U64(st.err_other, 0);
    CHECK(st.blocked_episodes >= 1);
    CHECK(st.blocked_ns >= 90 * 1000000ull); /* at least one 100 ms retry delay */
    CHECK_EQ_INT(spool_close(s, on_done, sn), 0);
    CHECK_EQ_INT(arm(NULL), 0);
    char shard_dir[256];
    snprintf(shard_dir, sizeof(shard_dir), "%s/0", dir);
    CHECK_EQ_INT(check_segments(shard_dir, &w, 0, 1 << 20, 5000), 1); /* every byte, in order */
    free(w.data);
    free(sn);
    harness_rm_rf(dir);
}

TEST(injected_enospc_blocks_then_resumes_batch)
{
    injected_error_run("spool.write=err:ENOSPC@2*6", ENOSPC, SPOOL_FSYNC_BATCH);
}

TEST(injected_eio_blocks_then_resumes_none)
{
    injected_error_run("spool.write=err:EIO@2*6", EIO, SPOOL_FSYNC_NONE);
}

TEST(blocked_poll_sleeps_instead_of_spinning)
{
    char dir[] = "/tmp/sluice_spool_XXXXXX";
    REQUIRE(mkdtemp(dir));
    REQUIRE(arm("spool.write=err:ENOSPC*0") == 0); /* forever */
    struct spool_cfg cfg = {.dir = dir, .shard = 0};
    int e = 0;
    struct spool *s = spool_create(&cfg, &e);
    REQUIRE(s);
    static uint8_t data[100];
    CHECK_EQ_INT(spool_write(s, data, sizeof(data), (void *)(uintptr_t)1), 0);
    CHECK_EQ_INT(spool_commit(s), 0);
    struct seen *sn = calloc(1, sizeof(*sn));
    int64_t end = clock_mono_ms() + 2000;
    while (!spool_blocked(s) && clock_mono_ms() < end)
        CHECK(spool_poll(s, 10, on_done, sn) >= 0);
    REQUIRE(spool_blocked(s));
    int64_t t0 = clock_mono_ns();
    int polls = 0;
    while (clock_mono_ns() - t0 < 300 * 1000000ll) {
        CHECK(spool_poll(s, 20, on_done, sn) >= 0);
        polls++;
    }
    CHECK(polls <= 40); /* about 10 ms per poll, not a busy loop */
    CHECK(spool_blocked(s));
    CHECK_EQ_INT(sn->ok[0], 0);
    CHECK_EQ_INT(sn->err[0], 1); /* reported once */
    struct spool_stats st;
    spool_get_stats(s, &st);
    CHECK(st.err_nospace >= 2); /* retried every 100 ms */
    CHECK(st.blocked_ns >= 250 * 1000000ull);
    CHECK_EQ_INT(arm(NULL), 0); /* disk has space again */
    end = clock_mono_ms() + 3000;
    while (sn->ok[0] == 0 && clock_mono_ms() < end)
        CHECK(spool_poll(s, 20, on_done, sn) >= 0);
    CHECK_EQ_INT(sn->ok[0], 1);
    CHECK(!spool_blocked(s));
    CHECK_EQ_INT(spool_close(s, on_done, sn), 0);
    free(sn);
    harness_rm_rf(dir);
}

/* A segment file that cannot be created (here: no file descriptor left, EMFILE)
 * holds the writes queued and blocks; the open is retried by itself and the
 * writes land once it works. */
TEST(openat_error_blocks_and_is_retried)
{
    char dir[] = "/tmp/sluice_spool_XXXXXX";
    REQUIRE(mkdtemp(dir));
    struct spool_cfg cfg = {.dir = dir, .shard = 0};
    int e = 0;
    struct spool *s = spool_create(&cfg, &e);
    REQUIRE(s);
    static uint8_t data[64];
    struct seen *sn = calloc(1, sizeof(*sn));
    CHECK_EQ_INT(spool_write(s, data, sizeof(data), (void *)(uintptr_t)1), 0);

    struct rlimit old;
    REQUIRE(getrlimit(RLIMIT_NOFILE, &old) == 0);
    int lowest = dup(0); /* the next fd openat would get */
    REQUIRE(lowest >= 0);
    close(lowest);
    struct rlimit lim = {.rlim_cur = (rlim_t)lowest, .rlim_max = old.rlim_max};
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lim) == 0);
    CHECK_EQ_INT(spool_commit(s), 0); /* not an error of the commit */
    bool blocked = spool_blocked(s);
    for (int i = 0; i < 15; i++)
        CHECK(spool_poll(s, 20, on_done, sn) >= 0);
    bool still = spool_blocked(s);
    struct spool_stats st;
    spool_get_stats(s, &st);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &old) == 0);
    CHECK(blocked);
    CHECK(still);
    CHECK(st.err_other >= 2); /* EMFILE, retried about every 100 ms */
    CHECK(st.err_other <= 6);
    CHECK_EQ_U64(spool_pending(s), 1);
    CHECK_EQ_INT(sn->ok[0], 0);

    int64_t end = clock_mono_ms() + 3000;
    while (sn->ok[0] == 0 && clock_mono_ms() < end)
        CHECK(spool_poll(s, 20, on_done, sn) >= 0);
    CHECK_EQ_INT(sn->ok[0], 1);
    CHECK(!spool_blocked(s));
    CHECK_EQ_INT(spool_close(s, on_done, sn), 0);
    free(sn);
    harness_rm_rf(dir);
}

TEST_MAIN()
