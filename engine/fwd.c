/* fwd.c - forwarder threads: sealed segments -> sinks, markers, retention.
 *
 * DESIGN
 * Purpose: deliver every sealed spool segment to every --sink, in segno order
 * per shard directory, at least once, and delete a segment only once every
 * sink has delivered it (DESIGN.md §7). Forwarders are ordinary threads (not
 * pinned, may block, lock and log); they share nothing with rx or shard
 * threads except the file system: they read only sealed .seg files, which
 * the spool never touches again.
 *
 * One thread per sink. Each pass of its loop visits the shard directories in
 * order and delivers at most one segment of each (so one busy shard cannot
 * starve the others), then sleeps --poll (200 ms) when a pass found nothing:
 *
 *   DIR/3/  ...40.seg  41.seg  42.seg  43.seg.open
 *                ^ done    ^ next      ^ never read; and a sealed segment
 *                                        after an open one waits for it
 *
 * A segment is delivered batch by batch (dir: as one file). After each batch
 * the sink's marker DIR/<shard>/delivered.<sink-id> (sink.h) is replaced
 * atomically: "partial S L" while S is under way, "done S" once it is
 * complete. A crash therefore resends at most the batch that was in flight
 * (delivered but not yet in the marker). FAILPOINT("sink.delivered") sits
 * between a delivery and its marker update.
 *
 * Failures: a failed batch is retried, after a backoff drawn with full jitter
 * from [0, min(--sink-backoff-max, 100 ms x 2^(n-1))]. After
 * --sink-max-attempts failures in a row (0: never) or at once for a damaged
 * segment, the segment is hard-linked into DIR/failed/ with an .error file and
 * the sink moves past it ("done"); it is never deleted from failed/.
 *
 * Retention: after a sink passes a segment, and once a second otherwise, one
 * thread (under mu) lists the spool and deletes what sink_retain_pick() picks
 * among the sealed segments every sink has passed (passed[] = the saved
 * markers' "done", under mu). Dead letters are saved to DIR/dead-letters/
 * first; the newest sealed segment of a shard keeps its name as an empty file
 * (the spool numbers new segments after the highest name on disk, and a marker
 * never covers more than the sealed segments, so numbering never goes back
 * under a marker); the empty file goes once a newer sealed segment is deleted.
 *
 * Restart: fwd_create() runs before the shards start. If a marker is ahead of
 * the highest segno on disk (the files were removed by hand), the spool will
 * reuse those segnos, so the marker is lowered to what is on disk.
 *
 * Stop: fwd_stop() sets stop and wakes sleepers; a thread finishes the batch
 * it is sending (at most --sink-timeout for http), saves its marker, and exits.
 */
#include "fwd.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "failpoint.h"
#include "log.h"
#include "sink.h"
#include "text.h"

#define FWD_MAX_SHARDS 4096   /* shard directories 0..4095 (--shards is at most 1024) */
#define FWD_POLL_MS 200       /* idle pass interval */
#define FWD_RETENTION_MS 1000 /* retention pass interval while idle */
#define FWD_BACKOFF_BASE_MS 100
#define FWD_WHY_MAX 512

enum { MARK_UNLOADED = 0, MARK_OK = 1, MARK_DAMAGED = 2 };

struct fwd_sink {
    struct fwd *F;
    uint32_t idx;
    const struct sink_spec *spec;
    struct sink *sink;
    pthread_t thr;
    bool started;
    uint64_t rng;              /* backoff jitter (owner) */
    struct sink_mark *mark;    /* [FWD_MAX_SHARDS] (control before start, then owner) */
    uint8_t *mstate;           /* [FWD_MAX_SHARDS] MARK_* (same) */
    struct buf batch;          /* owner */
    struct fwd_stats st;       /* owner; read by control after join */
    _Atomic uint64_t idle_gen; /* drain generation of its last pass that found nothing */
};

struct fwd {
    const struct run_cfg *cfg;
    struct fwd_sink *sinks;
    uint32_t nsinks;
    _Atomic int stop;
    _Atomic uint64_t drain_gen; /* 0: no drain requested */
    pthread_mutex_t wmu;        /* with wcv: sleeping threads wait here */
    pthread_cond_t wcv;
    pthread_mutex_t mu; /* the fields below */
    int64_t *passed;    /* [nsinks][FWD_MAX_SHARDS] saved "done" of each marker */
    int64_t last_retention_ms;
    uint64_t deleted;    /* segments deleted by retention */
    uint64_t dead_files; /* dead-letter files saved */
    uint64_t pending;    /* after fwd_stop: sealed segments not passed by every sink */
    bool stopped;        /* fwd_stop ran (control) */
};

/* ---- helpers --------------------------------------------------------------------------------- */

static void shard_dir(const struct fwd *F, uint32_t shard, char *out, size_t n)
{
    snprintf(out, n, "%s/%" PRIu32, F->cfg->spool_dir, shard);
}

static void seg_path(const struct fwd *F, uint32_t shard, uint64_t segno, char *out, size_t n)
{
    snprintf(out, n, "%s/%" PRIu32 "/%020" PRIu64 ".seg", F->cfg->spool_dir, shard, segno);
}

static bool stopping(const struct fwd *F)
{
    return atomic_load_explicit(&F->stop, memory_order_relaxed) != 0;
}

/* Sleep ms unless stop is set (or gets set meanwhile). false when stopping. */
static bool fwd_wait(struct fwd *F, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&F->wmu);
    while (!stopping(F) && pthread_cond_timedwait(&F->wcv, &F->wmu, &ts) == 0)
        ;
    pthread_mutex_unlock(&F->wmu);
    return !stopping(F);
}

static void publish_passed(struct fwd_sink *fs, uint32_t shard)
{
    struct fwd *F = fs->F;
    pthread_mutex_lock(&F->mu);
    F->passed[(size_t)fs->idx * FWD_MAX_SHARDS + shard] = fs->mark[shard].done;
    pthread_mutex_unlock(&F->mu);
}

static int save_mark(struct fwd_sink *fs, uint32_t shard)
{
    char sdir[PATH_MAX], mpath[PATH_MAX + 64];
    shard_dir(fs->F, shard, sdir, sizeof(sdir));
    int rc = sink_mark_path(mpath, sizeof(mpath), sdir, fs->spec->id);
    if (rc == 0)
        rc = sink_mark_save(mpath, fs->spec, &fs->mark[shard]);
    if (rc)
        LOG_RATELIMITED(5000, LOG_ERR, "fwd: cannot save delivery marker: %s path=\"%s\"",
                        err_str(rc), mpath);
    return rc;
}

/* Load the marker of a shard directory first seen after start. */
static void load_mark(struct fwd_sink *fs, uint32_t shard)
{
    char sdir[PATH_MAX], mpath[PATH_MAX + 64], why[256];
    shard_dir(fs->F, shard, sdir, sizeof(sdir));
    int rc = sink_mark_path(mpath, sizeof(mpath), sdir, fs->spec->id);
    if (rc == 0)
        rc = sink_mark_load(mpath, &fs->mark[shard], why, sizeof(why));
    if (rc == 0 || rc == -ENOENT) {
        fs->mstate[shard] = MARK_OK;
        publish_passed(fs, shard);
        return;
    }
    fs->mstate[shard] = MARK_DAMAGED;
    log_err("fwd: delivery marker is unreadable; shard not forwarded to this sink until it "
            "is repaired or removed: %s path=\"%s\" why=\"%s\"",
            err_str(rc), mpath, rc == ERR_FORMAT ? why : "");
}

/* ---- delivering one segment ------------------------------------------------------------------ */

/* The segment is passed: delivered in full, or given up on (kept in failed/). */
static int mark_done(struct fwd_sink *fs, uint32_t shard, uint64_t segno)
{
    struct sink_mark *m = &fs->mark[shard];
    m->done = (int64_t)segno;
    m->part_segno = -1;
    m->part_lines = 0;
    int rc = save_mark(fs, shard);
    if (rc == 0)
        publish_passed(fs, shard);
    return rc;
}

static int give_up(struct fwd_sink *fs, uint32_t shard, uint64_t segno, uint32_t attempts,
                   const char *why)
{
    struct fwd *F = fs->F;
    char path[PATH_MAX];
    seg_path(F, shard, segno, path, sizeof(path));
    int rc =
        sink_fail_segment(F->cfg->spool_dir, path, shard, segno, fs->spec->shown, attempts, why);
    if (rc) {
        LOG_RATELIMITED(5000, LOG_ERR,
                        "fwd: cannot move a failing segment to failed/; it stays "
                        "and is retried: %s sink=\"%s\" shard=%" PRIu32 " segno=%" PRIu64,
                        err_str(rc), fs->spec->shown, shard, segno);
        return rc;
    }
    fs->st.failed++;
    log_err("fwd: gave up on a segment; kept in %s/failed/ with its error sink=\"%s\" "
            "shard=%" PRIu32 " segno=%" PRIu64 " attempts=%" PRIu32 " error=\"%s\"",
            F->cfg->spool_dir, fs->spec->shown, shard, segno, attempts, why);
    return mark_done(fs, shard, segno);
}

/* After a failed attempt: 1 retry (after the backoff), 0 gave up (or stopping: -EINTR). */
static int after_failure(struct fwd_sink *fs, uint32_t shard, uint64_t segno, uint32_t *attempts,
                         const char *why)
{
    const struct run_cfg *c = fs->F->cfg;
    fs->st.retries++;
    (*attempts)++;
    if (c->sink_max_attempts && *attempts >= c->sink_max_attempts) {
        int rc = give_up(fs, shard, segno, *attempts, why);
        if (rc == 0)
            return 0;
    }
    int64_t ms = sink_backoff_ms(*attempts, FWD_BACKOFF_BASE_MS, c->sink_backoff_max_ms, &fs->rng);
    LOG_RATELIMITED(5000, LOG_WARN,
                    "fwd: delivery failed, retrying sink=\"%s\" shard=%" PRIu32 " segno=%" PRIu64
                    " attempt=%" PRIu32 " backoff_ms=%" PRId64 " error=\"%s\"",
                    fs->spec->shown, shard, segno, *attempts, ms, why);
    return fwd_wait(fs->F, ms) ? 1 : -EINTR;
}

static int deliver_file(struct fwd_sink *fs, uint32_t shard, uint64_t segno, const char *path)
{
    char why[FWD_WHY_MAX];
    uint32_t attempts = 0;
    for (;;) {
        uint64_t bytes = 0;
        int rc = sink_send_file(fs->sink, path, shard, segno, &bytes, why, sizeof(why));
        if (rc == 0) {
            fs->st.batches++;
            fs->st.bytes += bytes;
            fs->st.segments++;
            (void)FAILPOINT("sink.delivered");
            return mark_done(fs, shard, segno);
        }
        rc = after_failure(fs, shard, segno, &attempts, why);
        if (rc <= 0)
            return rc;
    }
}

static int deliver_batches(struct fwd_sink *fs, uint32_t shard, uint64_t segno, const char *path)
{
    const struct run_cfg *c = fs->F->cfg;
    struct sink_mark *m = &fs->mark[shard];
    char why[FWD_WHY_MAX];
    uint32_t attempts = 0;
    struct sink_seg sg;
    int rc;
    for (;;) {
        rc = sink_seg_open(&sg, path);
        if (rc == 0)
            break;
        snprintf(why, sizeof(why), "cannot open the segment: %s", err_str(rc));
        rc = after_failure(fs, shard, segno, &attempts, why);
        if (rc <= 0)
            return rc;
    }
    if (m->part_segno == (int64_t)segno && m->part_lines) {
        rc = sink_seg_skip(&sg, m->part_lines);
        if (rc == ERR_TRUNCATED) {
            log_warn("fwd: marker counts more delivered lines than the segment has; taking it "
                     "as delivered sink=\"%s\" shard=%" PRIu32 " segno=%" PRIu64 " lines=%" PRIu64,
                     fs->spec->shown, shard, segno, m->part_lines);
            sink_seg_close(&sg);
            fs->st.segments++;
            return mark_done(fs, shard, segno);
        }
        if (rc < 0)
            goto damaged;
    }
    for (;;) {
        buf_reset(&fs->batch);
        uint64_t first = sg.line;
        rc = sink_seg_next(&sg, &fs->batch, c->sink_batch_bytes, c->sink_batch_events);
        if (rc == -ENOMEM) {
            sink_seg_close(&sg);
            LOG_RATELIMITED(5000, LOG_ERR,
                            "fwd: out of memory reading a segment; retrying "
                            "shard=%" PRIu32 " segno=%" PRIu64,
                            shard, segno);
            return rc;
        }
        if (rc < 0)
            goto damaged;
        if (rc == 0) {
            /* an empty segment, or a resumed one whose last batch made it in */
            sink_seg_close(&sg);
            fs->st.segments++;
            return mark_done(fs, shard, segno);
        }
        struct sink_batch_info bi = {
            .shard = shard, .segno = segno, .first_line = first, .lines = (uint32_t)rc};
        attempts = 0;
        for (;;) {
            int src = sink_send_batch(fs->sink, &bi, fs->batch.p, fs->batch.len, why, sizeof(why));
            if (src == 0)
                break;
            src = after_failure(fs, shard, segno, &attempts, why);
            if (src <= 0) {
                sink_seg_close(&sg);
                return src;
            }
        }
        fs->st.batches++;
        fs->st.events += bi.lines;
        fs->st.bytes += fs->batch.len;
        (void)FAILPOINT("sink.delivered");
        int more = sink_seg_more(&sg);
        if (more == 0) {
            sink_seg_close(&sg);
            fs->st.segments++;
            return mark_done(fs, shard, segno);
        }
        m->part_segno = (int64_t)segno;
        m->part_lines = sg.line;
        rc = save_mark(fs, shard);
        if (rc || stopping(fs->F)) {
            sink_seg_close(&sg);
            return rc ? rc : -EINTR;
        }
    }

damaged:
    snprintf(why, sizeof(why), "damaged segment: %s after event line %" PRIu64, err_str(rc),
             sg.line);
    sink_seg_close(&sg);
    return give_up(fs, shard, segno, attempts + 1, why);
}

/* The next segment of this shard to deliver: the first one past the marker,
 * provided it is sealed. 1 (in *segno), 0 none. */
static int next_segment(struct fwd_sink *fs, uint32_t shard, const struct sink_ent *e, size_t n,
                        uint64_t *segno)
{
    const struct sink_mark *m = &fs->mark[shard];
    for (size_t i = 0; i < n; i++) {
        if ((int64_t)e[i].segno <= m->done)
            continue;
        if (i + 1 < n && e[i + 1].segno == e[i].segno && !e[i].open)
            i++; /* ".seg" and ".seg.open" both: the rename is under way; wait */
        if (e[i].open) {
            if (i + 1 < n)
                LOG_RATELIMITED(60000, LOG_WARN,
                                "fwd: an open segment holds back the sealed "
                                "ones after it (recovery seals it at the next start) "
                                "shard=%" PRIu32 " segno=%" PRIu64,
                                shard, e[i].segno);
            return 0;
        }
        *segno = e[i].segno;
        return 1;
    }
    return 0;
}

/* ---- retention ------------------------------------------------------------------------------- */

static bool all_passed(struct fwd *F, uint32_t shard, uint64_t segno)
{
    if (shard >= FWD_MAX_SHARDS)
        return false;
    for (uint32_t s = 0; s < F->nsinks; s++)
        if (F->passed[(size_t)s * FWD_MAX_SHARDS + shard] < (int64_t)segno)
            return false;
    return true;
}

/* One retention pass; force: even if one ran less than FWD_RETENTION_MS ago. */
static void retention(struct fwd *F, bool force)
{
    pthread_mutex_lock(&F->mu);
    int64_t now = clock_mono_ms();
    if (!force && now - F->last_retention_ms < FWD_RETENTION_MS) {
        pthread_mutex_unlock(&F->mu);
        return;
    }
    F->last_retention_ms = now;
    uint32_t *shards = NULL;
    size_t nshards = 0;
    struct sink_retain_seg *v = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = 0;
    char path[PATH_MAX];
    if (sink_list_shards(F->cfg->spool_dir, &shards, &nshards) != 0)
        goto out;
    for (size_t i = 0; i < nshards; i++) {
        uint32_t sh = shards[i];
        char sdir[PATH_MAX];
        shard_dir(F, sh, sdir, sizeof(sdir));
        struct sink_ent *e = NULL;
        size_t ne = 0;
        if (sink_list_segments(sdir, &e, &ne) != 0)
            continue;
        /* the highest sealed segno keeps its name: recovery may remove an open segment
         * that holds nothing, never a sealed one, so the spool's numbering (after the
         * highest name on disk) never goes back to a segno a marker covers */
        uint64_t top = 0;
        for (size_t k = 0; k < ne; k++)
            if (!e[k].open)
                top = e[k].segno;
        for (size_t k = 0; k < ne; k++) {
            total += e[k].bytes;
            if (e[k].open || !all_passed(F, sh, e[k].segno))
                continue;
            if (e[k].bytes == 0) {
                /* an empty file that only kept a segno: gone once a newer name exists */
                if (e[k].segno != top) {
                    seg_path(F, sh, e[k].segno, path, sizeof(path));
                    (void)unlink(path);
                }
                continue;
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                struct sink_retain_seg *nv = realloc(v, cap * sizeof(*v));
                if (!nv) {
                    free(e);
                    goto out;
                }
                v = nv;
            }
            v[n++] = (struct sink_retain_seg){.shard = sh,
                                              .segno = e[k].segno,
                                              .bytes = e[k].bytes,
                                              .mtime_ms = e[k].mtime_ms,
                                              .delivered = true,
                                              .newest = e[k].segno == top};
        }
        free(e);
    }
    if (n == 0)
        goto out;
    size_t picked = sink_retain_pick(v, n, total, F->cfg->retain_bytes,
                                     F->cfg->retain_hours * 3600000LL, clock_real_ms());
    for (size_t i = 0; i < n && picked; i++) {
        if (!v[i].del)
            continue;
        seg_path(F, v[i].shard, v[i].segno, path, sizeof(path));
        int rc = sink_delete_segment(F->cfg->spool_dir, path, v[i].shard, v[i].segno, v[i].newest);
        if (rc < 0) {
            LOG_RATELIMITED(10000, LOG_WARN,
                            "fwd: retention could not delete a delivered "
                            "segment; it stays: %s path=\"%s\"",
                            err_str(rc), path);
            continue;
        }
        F->deleted++;
        if (rc > 0)
            F->dead_files++;
        log_dbg("fwd: deleted a delivered segment path=\"%s\" kept_name=%d", path,
                (int)v[i].newest);
    }
out:
    free(v);
    free(shards);
    pthread_mutex_unlock(&F->mu);
}

/* ---- the thread ------------------------------------------------------------------------------ */

/* One pass over the shard directories. Returns segments handled (passed or tried). */
static int pass(struct fwd_sink *fs)
{
    struct fwd *F = fs->F;
    uint32_t *shards = NULL;
    size_t nshards = 0;
    int did = 0;
    int rc = sink_list_shards(F->cfg->spool_dir, &shards, &nshards);
    if (rc) {
        LOG_RATELIMITED(10000, LOG_ERR, "fwd: cannot list the spool directory: %s dir=\"%s\"",
                        err_str(rc), F->cfg->spool_dir);
        return 0;
    }
    for (size_t i = 0; i < nshards && !stopping(F); i++) {
        uint32_t sh = shards[i];
        if (sh >= FWD_MAX_SHARDS) {
            LOG_RATELIMITED(60000, LOG_WARN,
                            "fwd: shard directory number too high; not "
                            "forwarded shard=%" PRIu32 " max=%d",
                            sh, FWD_MAX_SHARDS - 1);
            continue;
        }
        if (fs->mstate[sh] == MARK_UNLOADED)
            load_mark(fs, sh);
        if (fs->mstate[sh] != MARK_OK)
            continue;
        char sdir[PATH_MAX], path[PATH_MAX];
        shard_dir(F, sh, sdir, sizeof(sdir));
        struct sink_ent *e = NULL;
        size_t ne = 0;
        if (sink_list_segments(sdir, &e, &ne) != 0)
            continue;
        uint64_t segno;
        int found = next_segment(fs, sh, e, ne, &segno);
        free(e);
        if (!found)
            continue;
        seg_path(F, sh, segno, path, sizeof(path));
        did++;
        if (sink_takes_files(fs->sink))
            rc = deliver_file(fs, sh, segno, path);
        else
            rc = deliver_batches(fs, sh, segno, path);
        if (rc == 0)
            retention(F, true);
        else if (rc != -EINTR)
            (void)fwd_wait(F, 1000); /* a marker that cannot be saved: do not spin */
    }
    free(shards);
    return did;
}

static void *fwd_main(void *arg)
{
    struct fwd_sink *fs = arg;
    struct fwd *F = fs->F;
    log_set_thread("fwd", (int)fs->idx);
    log_info("fwd: started sink=\"%s\" id=%s", fs->spec->shown, fs->spec->id);
    while (!stopping(F)) {
        /* acquire pairs with the release in fwd_drain_begin: the pass sees every segment
         * sealed before the drain began */
        uint64_t gen = atomic_load_explicit(&F->drain_gen, memory_order_acquire);
        int did = pass(fs);
        if (did || stopping(F))
            continue;
        if (gen)
            atomic_store_explicit(&fs->idle_gen, gen, memory_order_release);
        retention(F, false);
        (void)fwd_wait(F, FWD_POLL_MS);
    }
    return NULL;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

/* Load every existing marker of sink fs; lower one that is ahead of the disk. */
static int load_marks(struct fwd *F, struct fwd_sink *fs, const uint32_t *shards, size_t nshards)
{
    for (size_t i = 0; i < nshards; i++) {
        uint32_t sh = shards[i];
        if (sh >= FWD_MAX_SHARDS)
            continue;
        char sdir[PATH_MAX], mpath[PATH_MAX + 64], why[256];
        shard_dir(F, sh, sdir, sizeof(sdir));
        int rc = sink_mark_path(mpath, sizeof(mpath), sdir, fs->spec->id);
        if (rc == 0)
            rc = sink_mark_load(mpath, &fs->mark[sh], why, sizeof(why));
        if (rc == ERR_FORMAT) {
            fprintf(stderr,
                    "sluice: delivery marker \"%s\" is damaged (%s); sluice will not "
                    "guess what was delivered: repair it, or remove it to deliver that "
                    "shard's spool to the sink again\n",
                    mpath, why);
            return rc;
        }
        if (rc && rc != -ENOENT) {
            fprintf(stderr, "sluice: cannot read delivery marker \"%s\": %s\n", mpath, err_str(rc));
            return rc;
        }
        fs->mstate[sh] = MARK_OK;
        if (rc == -ENOENT)
            continue;
        struct sink_ent *e = NULL;
        size_t ne = 0;
        rc = sink_list_segments(sdir, &e, &ne);
        if (rc) {
            fprintf(stderr, "sluice: cannot read \"%s\": %s\n", sdir, err_str(rc));
            return rc;
        }
        int64_t top = ne ? (int64_t)e[ne - 1].segno : -1;
        free(e);
        struct sink_mark *m = &fs->mark[sh];
        if (m->done > top || m->part_segno > top) {
            log_warn("fwd: delivery marker is ahead of the segments on disk; lowering it so "
                     "new segments are delivered path=\"%s\" done=%" PRId64 " on_disk=%" PRId64,
                     mpath, m->done, top);
            if (m->done > top)
                m->done = top;
            if (m->part_segno > top) {
                m->part_segno = -1;
                m->part_lines = 0;
            }
            rc = sink_mark_save(mpath, fs->spec, m);
            if (rc) {
                fprintf(stderr, "sluice: cannot rewrite delivery marker \"%s\": %s\n", mpath,
                        err_str(rc));
                return rc;
            }
        }
        F->passed[(size_t)fs->idx * FWD_MAX_SHARDS + sh] = m->done;
    }
    return 0;
}

bool fwd_uses_stdout(const struct run_cfg *cfg)
{
    for (uint32_t i = 0; i < cfg->nsinks; i++)
        if (cfg->sinks[i].kind == SINK_STDOUT)
            return true;
    return false;
}

struct fwd *fwd_create(const struct run_cfg *cfg)
{
    if (cfg->nsinks == 0)
        return NULL;
    struct sigaction sa = {.sa_handler = SIG_IGN};
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGPIPE, &sa, NULL);

    struct fwd *F = calloc(1, sizeof(*F));
    if (!F) {
        fprintf(stderr, "sluice: out of memory\n");
        return NULL;
    }
    F->cfg = cfg;
    F->nsinks = cfg->nsinks;
    pthread_mutex_init(&F->mu, NULL);
    pthread_mutex_init(&F->wmu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&F->wcv, &ca);
    pthread_condattr_destroy(&ca);
    F->last_retention_ms = clock_mono_ms();
    if (sink_global_init() != 0) {
        fprintf(stderr, "sluice: --sink: cannot initialise libcurl\n");
        free(F);
        return NULL;
    }
    F->sinks = calloc(F->nsinks, sizeof(*F->sinks));
    F->passed = malloc((size_t)F->nsinks * FWD_MAX_SHARDS * sizeof(*F->passed));
    if (!F->sinks || !F->passed) {
        fprintf(stderr, "sluice: out of memory\n");
        goto fail;
    }
    for (size_t i = 0; i < (size_t)F->nsinks * FWD_MAX_SHARDS; i++)
        F->passed[i] = -1;
    uint64_t seed = (uint64_t)clock_mono_ns() ^ ((uint64_t)getpid() << 32);
    for (uint32_t i = 0; i < F->nsinks; i++) {
        struct fwd_sink *fs = &F->sinks[i];
        fs->F = F;
        fs->idx = i;
        fs->spec = &cfg->sinks[i];
        fs->rng = seed + i;
        fs->mark = malloc(FWD_MAX_SHARDS * sizeof(*fs->mark));
        fs->mstate = calloc(FWD_MAX_SHARDS, 1);
        if (!fs->mark || !fs->mstate) {
            fprintf(stderr, "sluice: out of memory\n");
            goto fail;
        }
        for (uint32_t k = 0; k < FWD_MAX_SHARDS; k++)
            fs->mark[k] = (struct sink_mark){.done = -1, .part_segno = -1};
        struct sink_opts o = {.batch_bytes = cfg->sink_batch_bytes,
                              .batch_events = cfg->sink_batch_events,
                              .gzip = cfg->sink_gzip,
                              .timeout_ms = cfg->sink_timeout_ms};
        int err = 0;
        fs->sink = sink_create(fs->spec, &o, &err);
        if (!fs->sink) {
            fprintf(stderr, "sluice: --sink: cannot use \"%s\": %s\n", fs->spec->shown,
                    err_str(err));
            goto fail;
        }
    }
    uint32_t *shards = NULL;
    size_t nshards = 0;
    int rc = sink_list_shards(cfg->spool_dir, &shards, &nshards);
    if (rc) {
        fprintf(stderr, "sluice: --spool-dir: cannot list \"%s\": %s\n", cfg->spool_dir,
                err_str(rc));
        goto fail;
    }
    for (uint32_t i = 0; i < F->nsinks && rc == 0; i++)
        rc = load_marks(F, &F->sinks[i], shards, nshards);
    free(shards);
    if (rc)
        goto fail;
    return F;
fail:
    fwd_destroy(F);
    return NULL;
}

int fwd_start(struct fwd *F)
{
    for (uint32_t i = 0; i < F->nsinks; i++) {
        struct fwd_sink *fs = &F->sinks[i];
        int rc = pthread_create(&fs->thr, NULL, fwd_main, fs);
        if (rc)
            return -rc;
        fs->started = true;
    }
    return 0;
}

void fwd_drain_begin(struct fwd *F)
{
    /* release pairs with the acquire load at the top of fwd_main's loop */
    atomic_fetch_add_explicit(&F->drain_gen, 1, memory_order_release);
    pthread_mutex_lock(&F->wmu);
    pthread_cond_broadcast(&F->wcv);
    pthread_mutex_unlock(&F->wmu);
}

bool fwd_drained(struct fwd *F)
{
    uint64_t gen = atomic_load_explicit(&F->drain_gen, memory_order_relaxed);
    for (uint32_t i = 0; i < F->nsinks; i++)
        if (F->sinks[i].started &&
            atomic_load_explicit(&F->sinks[i].idle_gen, memory_order_acquire) != gen)
            return false;
    return gen != 0;
}

/* Sealed segments some sink has not passed. */
static uint64_t count_pending(struct fwd *F)
{
    uint32_t *shards = NULL;
    size_t nshards = 0;
    uint64_t pending = 0;
    if (sink_list_shards(F->cfg->spool_dir, &shards, &nshards) != 0)
        return 0;
    for (size_t i = 0; i < nshards; i++) {
        char sdir[PATH_MAX];
        shard_dir(F, shards[i], sdir, sizeof(sdir));
        struct sink_ent *e = NULL;
        size_t ne = 0;
        if (sink_list_segments(sdir, &e, &ne) != 0)
            continue;
        pthread_mutex_lock(&F->mu);
        for (size_t k = 0; k < ne; k++)
            if (!e[k].open && !all_passed(F, shards[i], e[k].segno))
                pending++;
        pthread_mutex_unlock(&F->mu);
        free(e);
    }
    free(shards);
    return pending;
}

/* Set stop, wake sleepers, join every started thread. */
static void join_all(struct fwd *F)
{
    pthread_mutex_lock(&F->wmu);
    atomic_store_explicit(&F->stop, 1, memory_order_relaxed);
    pthread_cond_broadcast(&F->wcv);
    pthread_mutex_unlock(&F->wmu);
    for (uint32_t i = 0; F->sinks && i < F->nsinks; i++)
        if (F->sinks[i].started) {
            pthread_join(F->sinks[i].thr, NULL);
            F->sinks[i].started = false;
        }
}

void fwd_stop(struct fwd *F)
{
    if (!F || F->stopped)
        return;
    F->stopped = true;
    join_all(F);
    retention(F, true);
    F->pending = count_pending(F);
    if (F->pending)
        log_info("fwd: stopped with sealed segments not yet delivered to every sink; the next "
                 "run delivers them segments=%" PRIu64,
                 F->pending);
}

void fwd_get_stats(const struct fwd *F, struct fwd_stats *sum, uint64_t *deleted, uint64_t *pending)
{
    memset(sum, 0, sizeof(*sum));
    for (uint32_t i = 0; i < F->nsinks; i++) {
        const struct fwd_stats *s = &F->sinks[i].st;
        sum->segments += s->segments;
        sum->batches += s->batches;
        sum->events += s->events;
        sum->bytes += s->bytes;
        sum->retries += s->retries;
        sum->failed += s->failed;
    }
    *deleted = F->deleted;
    *pending = F->pending;
}

void fwd_print_summary(const struct fwd *F, FILE *o)
{
    struct fwd_stats t;
    uint64_t deleted, pending;
    fwd_get_stats(F, &t, &deleted, &pending);
    fprintf(o,
            "  forwarded    %" PRIu64 " segments, %" PRIu64 " batches, %" PRIu64
            " events, %.1f MB to %u sink%s (%" PRIu64 " retries, %" PRIu64 " failed, %" PRIu64
            " deleted, %" PRIu64 " pending)\n",
            t.segments, t.batches, t.events, t.bytes / 1e6, F->nsinks, F->nsinks == 1 ? "" : "s",
            t.retries, t.failed, deleted, pending);
    for (uint32_t i = 0; i < F->nsinks; i++) {
        const struct fwd_stats *s = &F->sinks[i].st;
        fprintf(o,
                "    %-28s %" PRIu64 " segments, %" PRIu64 " batches, %" PRIu64 " events, "
                "%" PRIu64 " retries, %" PRIu64 " failed\n",
                F->sinks[i].spec->shown, s->segments, s->batches, s->events, s->retries, s->failed);
    }
}

void fwd_print_json(const struct fwd *F, FILE *j)
{
    struct fwd_stats t;
    uint64_t deleted, pending;
    fwd_get_stats(F, &t, &deleted, &pending);
    fprintf(j,
            ",\"sink_segments\":%" PRIu64 ",\"sink_batches\":%" PRIu64 ",\"sink_events\":%" PRIu64
            ",\"sink_bytes\":%" PRIu64 ",\"sink_retries\":%" PRIu64 ",\"sink_failed\":%" PRIu64
            ",\"sink_deleted\":%" PRIu64 ",\"sink_dead_letter_files\":%" PRIu64
            ",\"sink_pending\":%" PRIu64 ",\"sinks\":[",
            t.segments, t.batches, t.events, t.bytes, t.retries, t.failed, deleted, F->dead_files,
            pending);
    for (uint32_t i = 0; i < F->nsinks; i++) {
        const struct fwd_stats *s = &F->sinks[i].st;
        fprintf(j, "%s{\"sink\":", i ? "," : "");
        json_fputs(j, F->sinks[i].spec->shown);
        fprintf(j,
                ",\"id\":\"%s\",\"segments\":%" PRIu64 ",\"batches\":%" PRIu64
                ",\"events\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"retries\":%" PRIu64
                ",\"failed\":%" PRIu64 "}",
                F->sinks[i].spec->id, s->segments, s->batches, s->events, s->bytes, s->retries,
                s->failed);
    }
    fputc(']', j);
}

void fwd_destroy(struct fwd *F)
{
    if (!F)
        return;
    join_all(F);
    if (F->sinks)
        for (uint32_t i = 0; i < F->nsinks; i++) {
            sink_destroy(F->sinks[i].sink);
            free(F->sinks[i].mark);
            free(F->sinks[i].mstate);
            buf_fini(&F->sinks[i].batch);
        }
    free(F->sinks);
    free(F->passed);
    sink_global_fini();
    pthread_cond_destroy(&F->wcv);
    pthread_mutex_destroy(&F->wmu);
    pthread_mutex_destroy(&F->mu);
    free(F);
}
