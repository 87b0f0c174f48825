/* spool.c - the per-shard spool writer on the shard's own io_uring.
 *
 * DESIGN
 * Purpose: append encoded frames (frame.h) to segment files and tell the shard,
 * per write, when its bytes are durable, so the checkpoint tracker may advance.
 *
 * Files (all under DIR/<shard>/, dirs 0700, files 0600):
 *
 *   00000000000000000041.seg        sealed: complete, fdatasynced, renamed
 *   00000000000000000042.seg        sealed
 *   00000000000000000043.seg.open   being written; at most a few at a time
 *   +--------+--------------+--------+--------------+----
 *   | frame  | frame        | frame  | frame        | ...   frames back to back,
 *   +--------+--------------+--------+--------------+----   each at its own offset
 *   0        off(w1)        off(w2)  ...
 *
 * Offsets are assigned in spool_write() (the segment's running append offset),
 * so a segment's bytes are in spool_write() order even though the kernel may
 * complete the writes in any order.
 *
 * Request life cycle (one struct spool_req per write, from a fixed array of
 * queue_depth; no allocation after create):
 *
 *   spool_write           spool_commit              CQE res == len
 *   FREE --------> QUEUED -------------> INFLIGHT -------------------> WRITTEN
 *                                          ^  |  short: resubmit rest      |
 *                                          |  |  -EAGAIN/-EINTR: resubmit  | covered by a completed
 *                             retry_at     |  v  other error: report once  | fdatasync, segment dir
 *                           (100 ms) ----- RETRY <----- fdatasync failed --+ entry durable
 *                                                                          v
 *                                                            callback(cookie, 0), FREE
 *
 * Durability rule. Every fdatasync is an IORING_OP_FSYNC with
 * IORING_FSYNC_DATASYNC and IOSQE_IO_DRAIN, so it starts only after every SQE
 * submitted before it has completed. When fsync generation g is submitted for a
 * segment, every write of that segment that is INFLIGHT or WRITTEN and not yet
 * covered gets need_gen = g (a resubmitted remainder is uncovered again). A write
 * is durable when it is WRITTEN, its segment's highest completed fsync
 * generation >= need_gen, and the segment's directory entry is durable (one
 * directory fsync after the file is created). --fsync none: durable on
 * completion. If an fdatasync fails, the page cache may already have dropped the
 * dirty pages (Linux marks them clean), so every write it covered is rewritten
 * in full and synced again; it is never reported durable on the old fsync.
 *
 * Fsync policy: batch: spool_commit() adds one fdatasync per segment that got
 * writes; spool_poll() adds one for resubmitted writes. interval:MS: spool_poll()
 * issues one round when MS have passed since the last and a segment has writes
 * not yet covered. none: only on close.
 *
 * Sealing (at segment_bytes, segment_ms, close). The full segment stops taking
 * writes at once and the next write starts the next segment (opened lazily, in
 * spool_commit), so writers never wait for a seal. The old segment is sealed by
 * spool_poll() once every write in it is durable and no operation on it is in
 * flight (batch, interval: durable means an fdatasync covering all of it has
 * completed; a sealing segment gets its fdatasync at once, not at the next
 * interval; none: completed, plus one fdatasync only when closing), then
 * renameat(.seg.open -> .seg) and close() on the shard thread (once per
 * segment), then a directory fsync through the ring; the slot is freed when that
 * completes. So at most a few segments are live; there are queue_depth + 2 slots
 * and spool_write() answers -EBUSY when none is free.
 *
 * Errors as backpressure (DESIGN.md §5). A write that fails (ENOSPC, EIO, ...)
 * keeps its offset and its caller's bytes and is retried every SPOOL_RETRY_MS
 * until it succeeds; nothing is dropped and nothing after it is reported
 * durable on its behalf. While any write's last attempt failed, or a segment
 * file cannot be created, spool_blocked() is true: the shard stops taking
 * batches, its rings fill and rx stops reading. The time spent so, and every
 * error by errno class, are in spool_stats; a rate-limited line says why and
 * what to do. The first write that gets through again ends the episode.
 *
 *   ok --(write/openat fails: req.failing, nfailing++)--> BLOCKED
 *   BLOCKED --(every failing write made progress, segment opened)--> ok
 *
 * Fail points (failpoint.h, tests only): spool.write (a completed write is
 * treated as failed with the injected errno, then retried like a real one),
 * spool.submitted, spool.written, spool.synced.
 *
 * Cost: covering and releasing scan the request array (queue_depth entries)
 * once per fdatasync, not per write.
 *
 * Syscalls: spool_write() makes none. spool_commit() makes one io_uring_submit
 * (plus openat once per segment). spool_poll() reaps from the shared CQ ring,
 * enters the kernel only to wait or submit, and does the rename/close of a seal.
 *
 * user_data: [ gen : 45 | seg : 16 | tag : 3 ] for segment operations and
 * [ req index | tag ] for writes.
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

#include "clock.h"
#include "err.h"
#include "failpoint.h"
#include "io_file.h"
#include "log.h"

#define SPOOL_NIL        UINT32_MAX
#define SPOOL_RETRY_MS   100          /* delay before a failed operation is retried */
#define SPOOL_MAX_IO     (1u << 30)   /* longest single write SQE */
#define SPOOL_CLOSE_GIVEUP_MS 5000    /* spool_close() stops retrying this long after an error */
#define SPOOL_NAME_MAX   48
#define SPOOL_BLOCKED_SLEEP_MS 10     /* spool_poll's sleep step while only retries are due */
#define SPOOL_WARN_MS    5000         /* rate limit of the "disk full" / "I/O error" lines */

enum { TAG_WRITE = 0, TAG_FSYNC = 1, TAG_DIRSYNC_OPEN = 2, TAG_DIRSYNC_SEAL = 3 };
#define UD_TAG(ud)  ((unsigned)((ud) & 7u))
#define UD_IDX(ud)  ((uint32_t)(((ud) >> 3) & 0xffffu))
#define UD_GEN(ud)  ((ud) >> 19)
#define UD_REQ(ud)  ((uint32_t)((ud) >> 3))

enum req_state { REQ_FREE, REQ_QUEUED, REQ_INFLIGHT, REQ_RETRY, REQ_WRITTEN };
enum seg_state { SEG_FREE, SEG_ACTIVE, SEG_SEALING, SEG_SEAL_DIRSYNC };

struct spool_seg;

struct spool_req {
    const uint8_t *data;    /* caller's bytes, valid until the status-0 callback */
    size_t len;             /* bytes to write */
    size_t done;            /* bytes written so far (short writes) */
    uint64_t off;           /* file offset of data[0] */
    uint64_t need_gen;      /* first fsync generation that covers it; 0: none yet */
    void *cookie;
    struct spool_seg *seg;
    int64_t retry_at_ms;    /* REQ_RETRY: when to resubmit */
    uint32_t next;          /* free list or queue link */
    uint8_t state;          /* enum req_state */
    bool err_reported;      /* an error callback already ran for this write */
    bool failing;           /* its last attempt failed (counted in spool.nfailing) */
};

struct spool_seg {
    uint64_t segno;
    uint64_t bytes;         /* append offset: bytes assigned to writes */
    uint64_t synced_gen;    /* highest fsync generation completed successfully */
    int64_t born_ms;        /* when its first write arrived (segment_ms) */
    int64_t retry_at_ms;    /* no fsync, dir fsync or rename before this after an error */
    struct spool_seg *next_live;
    uint32_t next_free;     /* free-list link while SEG_FREE */
    int fd;                 /* -1 until spool_commit opens it */
    uint32_t idx;           /* slot index, for user_data */
    uint32_t live;          /* requests assigned and not yet released */
    uint32_t ops;           /* SQEs prepared and not yet completed */
    uint8_t state;          /* enum seg_state */
    bool dirty;             /* writes prepared since the last fsync was prepared */
    bool dir_synced;        /* its directory entry is durable */
    bool dirsync_inflight;
};

struct spool {
    struct io_uring ring;
    struct spool_req *reqs;
    struct spool_seg *segs;
    struct spool_seg *cur;      /* takes new writes; NULL: the next write starts a segment */
    struct spool_seg *live;     /* live segments, oldest first */
    uint32_t nreq, nseg;
    uint32_t req_free, seg_free;
    uint32_t q_head, q_tail;    /* written but not yet prepared (FIFO) */
    uint32_t pending;           /* requests not FREE */
    uint32_t nretry;            /* requests in REQ_RETRY */
    uint32_t nfailing;          /* requests whose last attempt failed: spool_blocked() */
    uint32_t wr_unsubmitted;    /* writes prepared since the last submit (spool.submitted) */
    int open_err;               /* last openat() error while it keeps failing; 0: none */
    int64_t open_retry_at_ms;   /* no openat() before this after an error */
    bool blocked;               /* nfailing || open_err, as last seen by blocked_update() */
    int64_t blocked_since_ns;   /* when the current blocked episode began */
    uint32_t ops;               /* SQEs prepared and not yet completed */
    uint64_t next_segno;
    uint64_t fsync_gen;         /* last generation handed out */
    int64_t last_fsync_ms;      /* interval mode: when the last round was issued */
    uint64_t segment_bytes;
    int64_t segment_ms;
    int64_t fsync_interval_ms;
    enum spool_fsync fsync;
    uint32_t shard;
    int dirfd;
    bool closing;
    int first_err;              /* first error seen, returned by spool_close */
    int64_t close_err_ms;       /* first error after spool_close began; 0: none */
    spool_done_fn cb;           /* valid during spool_poll/spool_close */
    void *cb_arg;
    int ncb;
    struct spool_stats st;
    char path[PATH_MAX];        /* DIR/<shard>, for log lines */
};

/* ---- small helpers -------------------------------------------------------------------------- */

static void seg_name(char *out, uint64_t segno, bool open)
{
    snprintf(out, SPOOL_NAME_MAX, "%020" PRIu64 ".seg%s", segno, open ? ".open" : "");
}

/* Parse "<20 digits>.seg" or "<20 digits>.seg.open"; false for anything else. */
bool spool_parse_num(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v))
            return false;
    }
    *out = v;
    return true;
}

static bool parse_seg_name(const char *name, uint64_t *segno)
{
    if (strnlen(name, 20) < 20 || !spool_parse_num(name, 20, segno))
        return false;
    return strcmp(name + 20, ".seg") == 0 || strcmp(name + 20, ".seg.open") == 0;
}

static void note_error(struct spool *s, int err)
{
    s->st.errors++;
    if (err == -ENOSPC || err == -EDQUOT)
        s->st.err_nospace++;
    else if (err == -EIO)
        s->st.err_io++;
    else
        s->st.err_other++;
    if (!s->first_err)
        s->first_err = err;
    if (s->closing && !s->close_err_ms)
        s->close_err_ms = clock_mono_ms();
}

static inline void ncb_call(struct spool *s, void *cookie, int status)
{
    if (s->cb)
        s->cb(s->cb_arg, cookie, status);
    s->ncb++;
}

/* Start or end a blocked episode when nfailing/open_err changed. */
COLD_NOINLINE static void blocked_update(struct spool *s)
{
    bool now = s->nfailing || s->open_err;
    if (now == s->blocked)
        return;
    s->blocked = now;
    int64_t t = clock_mono_ns();
    if (now) {
        s->blocked_since_ns = t;
        s->st.blocked_episodes++;
        return;
    }
    uint64_t d = (uint64_t)(t - s->blocked_since_ns);
    s->st.blocked_ns += d;
    LOG_RATELIMITED(SPOOL_WARN_MS, LOG_INFO,
                    "spool: writes go through again, resuming shard=%u blocked_ms=%" PRIu64
                    " pending=%" PRIu32, s->shard, d / 1000000, s->pending);
}

/* An SQE, submitting what is queued when the SQ ring is full; NULL if that fails. */
static struct io_uring_sqe *get_sqe(struct spool *s)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
    if (UNLIKELY(!sqe)) {
        if (io_uring_submit(&s->ring) < 0)
            return NULL;
        sqe = io_uring_get_sqe(&s->ring);
    }
    return sqe;
}

/* ---- requests ------------------------------------------------------------------------------- */

static bool prep_write(struct spool *s, struct spool_req *r)
{
    struct io_uring_sqe *sqe = get_sqe(s);
    if (UNLIKELY(!sqe))
        return false;
    size_t n = MIN(r->len - r->done, (size_t)SPOOL_MAX_IO);
    io_uring_prep_write(sqe, r->seg->fd, r->data + r->done, (unsigned)n, r->off + r->done);
    io_uring_sqe_set_data64(sqe, ((uint64_t)(r - s->reqs) << 3) | TAG_WRITE);
    r->state = REQ_INFLIGHT;
    r->need_gen = 0;
    r->seg->dirty = true;
    r->seg->ops++;
    s->ops++;
    s->wr_unsubmitted++;
    return true;
}

static void req_release(struct spool *s, struct spool_req *r)
{
    void *cookie = r->cookie;
    r->seg->live--;
    r->seg = NULL;
    r->data = NULL;
    r->state = REQ_FREE;
    r->next = s->req_free;
    s->req_free = (uint32_t)(r - s->reqs);
    s->pending--;
    ncb_call(s, cookie, 0); /* last: the callback may call spool_write() */
}

/* Park r until delay_ms from now; maintain() resubmits it. */
static void req_defer(struct spool *s, struct spool_req *r, int64_t delay_ms)
{
    r->state = REQ_RETRY;
    r->need_gen = 0;
    r->retry_at_ms = clock_mono_ms() + delay_ms;
    s->nretry++;
}

/* r failed with err: retry later and report it through the callback once per write.
 * Until an attempt of r makes progress again, the spool is blocked. */
COLD_NOINLINE static void req_fail(struct spool *s, struct spool_req *r, int err)
{
    req_defer(s, r, SPOOL_RETRY_MS);
    if (!r->failing) {
        r->failing = true;
        s->nfailing++;
        blocked_update(s);
    }
    if (!r->err_reported) {
        r->err_reported = true;
        ncb_call(s, r->cookie, err);
    }
}

static inline bool req_is_durable(const struct spool_req *r)
{
    const struct spool_seg *g = r->seg;
    return r->state == REQ_WRITTEN && r->need_gen && r->need_gen <= g->synced_gen &&
           g->dir_synced;
}

/* Release every write of g that is now durable. */
static void release_durable(struct spool *s, struct spool_seg *g)
{
    if (!g->dir_synced || !g->live)
        return;
    for (uint32_t i = 0; i < s->nreq; i++) {
        struct spool_req *r = &s->reqs[i];
        if (r->seg == g && req_is_durable(r))
            req_release(s, r);
    }
}

/* ---- segments ------------------------------------------------------------------------------- */

static struct spool_seg *seg_new(struct spool *s)
{
    if (s->seg_free == SPOOL_NIL)
        return NULL;
    struct spool_seg *g = &s->segs[s->seg_free];
    s->seg_free = g->next_free;
    g->segno = s->next_segno++;
    g->bytes = 0;
    g->synced_gen = 0;
    g->born_ms = clock_mono_ms();
    g->retry_at_ms = 0;
    g->next_live = NULL;
    g->fd = -1;
    g->live = 0;
    g->ops = 0;
    g->state = SEG_ACTIVE;
    g->dirty = false;
    g->dir_synced = false;
    g->dirsync_inflight = false;
    struct spool_seg **pp = &s->live;
    while (*pp)
        pp = &(*pp)->next_live;
    *pp = g;
    s->cur = g;
    return g;
}

static void seg_free_slot(struct spool *s, struct spool_seg *g)
{
    struct spool_seg **pp = &s->live;
    while (*pp != g)
        pp = &(*pp)->next_live;
    *pp = g->next_live;
    if (g->fd >= 0)
        (void)close(g->fd);
    g->fd = -1;
    g->state = SEG_FREE;
    g->next_live = NULL;
    g->next_free = s->seg_free;
    s->seg_free = g->idx;
}

static void seal_begin(struct spool *s, struct spool_seg *g)
{
    if (g->state == SEG_ACTIVE)
        g->state = SEG_SEALING;
    if (s->cur == g)
        s->cur = NULL;
}

static bool prep_seg_op(struct spool *s, struct spool_seg *g, unsigned tag, int fd, uint64_t gen)
{
    struct io_uring_sqe *sqe = get_sqe(s);
    if (!sqe)
        return false;
    io_uring_prep_fsync(sqe, fd, tag == TAG_FSYNC ? IORING_FSYNC_DATASYNC : 0);
    if (tag == TAG_FSYNC)
        sqe->flags |= IOSQE_IO_DRAIN;
    io_uring_sqe_set_data64(sqe, (gen << 19) | ((uint64_t)g->idx << 3) | tag);
    g->ops++;
    s->ops++;
    return true;
}

/* Prepare an fdatasync of g covering every write of g prepared so far. */
static bool prep_fsync(struct spool *s, struct spool_seg *g)
{
    uint64_t gen = s->fsync_gen + 1;
    if (!prep_seg_op(s, g, TAG_FSYNC, g->fd, gen))
        return false;
    s->fsync_gen = gen;
    g->dirty = false;
    for (uint32_t i = 0; i < s->nreq; i++) {
        struct spool_req *r = &s->reqs[i];
        if (r->seg == g && !r->need_gen &&
            (r->state == REQ_INFLIGHT || r->state == REQ_WRITTEN))
            r->need_gen = gen;
    }
    return true;
}

static void prep_dirsync_open(struct spool *s, struct spool_seg *g)
{
    if (prep_seg_op(s, g, TAG_DIRSYNC_OPEN, s->dirfd, 0))
        g->dirsync_inflight = true;
}

/* Create g's file; its directory entry is made durable by a dir fsync on the ring. */
static int seg_open(struct spool *s, struct spool_seg *g)
{
    char name[SPOOL_NAME_MAX];
    seg_name(name, g->segno, true);
    int fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        int err = -errno;
        note_error(s, err);
        LOG_RATELIMITED(SPOOL_WARN_MS, LOG_ERR,
                        "spool: openat() failed, holding writes and retrying: %s shard=%u "
                        "file=\"%s/%s\"", err_str(err), s->shard, s->path, name);
        s->open_err = err;
        s->open_retry_at_ms = clock_mono_ms() + SPOOL_RETRY_MS;
        blocked_update(s);
        return err;
    }
    if (UNLIKELY(s->open_err)) {
        s->open_err = 0;
        blocked_update(s);
    }
    g->fd = fd;
    if (s->fsync == SPOOL_FSYNC_NONE)
        g->dir_synced = true;
    else
        prep_dirsync_open(s, g);
    return 0;
}

/* Rename .seg.open -> .seg; the caller then closes and fsyncs the directory. */
static int seg_rename(struct spool *s, struct spool_seg *g)
{
    char from[SPOOL_NAME_MAX], to[SPOOL_NAME_MAX];
    seg_name(from, g->segno, true);
    seg_name(to, g->segno, false);
    if (renameat(s->dirfd, from, s->dirfd, to) != 0) {
        int err = -errno;
        note_error(s, err);
        LOG_RATELIMITED(1000, LOG_ERR, "spool: renameat() failed: %s shard=%u file=%s",
                        err_str(err), s->shard, from);
        return err;
    }
    return 0;
}

/* ---- completions ---------------------------------------------------------------------------- */

COLD_NOINLINE static void on_write_error(struct spool *s, struct spool_req *r, int res)
{
    if (res == -EAGAIN || res == -EINTR) {
        if (!prep_write(s, r))
            req_defer(s, r, 0);
        return;
    }
    if (res == 0)
        res = -EIO; /* no progress on a regular file */
    note_error(s, res);
    req_fail(s, r, res);
    if (res == -ENOSPC || res == -EDQUOT)
        LOG_RATELIMITED(SPOOL_WARN_MS, LOG_WARN,
                        "spool: disk full, holding %" PRIu32 " writes; free space under %s or "
                        "sluice waits (reading is paused, nothing is dropped, writing resumes "
                        "by itself) err=\"%s\" shard=%u segno=%" PRIu64 " failing=%" PRIu32,
                        s->pending, s->path, err_str(res), s->shard, r->seg->segno,
                        s->nfailing);
    else if (res == -EIO)
        LOG_RATELIMITED(SPOOL_WARN_MS, LOG_ERR,
                        "spool: I/O error writing the spool, holding %" PRIu32 " writes and "
                        "retrying; check the disk under %s (dmesg) or sluice waits err=\"%s\" "
                        "shard=%u segno=%" PRIu64 " failing=%" PRIu32,
                        s->pending, s->path, err_str(res), s->shard, r->seg->segno,
                        s->nfailing);
    else
        LOG_RATELIMITED(SPOOL_WARN_MS, LOG_WARN,
                        "spool: write() failed, holding %" PRIu32 " writes and retrying: %s "
                        "shard=%u segno=%" PRIu64 " dir=\"%s\"",
                        s->pending, err_str(res), s->shard, r->seg->segno, s->path);
}

static void on_write(struct spool *s, struct spool_req *r, int res)
{
    r->seg->ops--;
    if (res > 0) {
        int fp = FAILPOINT("spool.write"); /* tests: as if write() had failed */
        if (UNLIKELY(fp < 0))
            res = fp;
    }
    if (UNLIKELY(res <= 0)) {
        on_write_error(s, r, res);
        return;
    }
    if (UNLIKELY(r->failing)) {
        r->failing = false;
        s->nfailing--;
        blocked_update(s);
    }
    r->done += (size_t)res;
    if (UNLIKELY(r->done < r->len)) {
        s->st.short_writes++;
        if (!prep_write(s, r))
            req_defer(s, r, 0);
        return;
    }
    r->state = REQ_WRITTEN;
    (void)FAILPOINT("spool.written"); /* tests: kill before the covering fdatasync is reaped */
    if (s->fsync == SPOOL_FSYNC_NONE || req_is_durable(r))
        req_release(s, r);
}

COLD_NOINLINE static void on_fsync_error(struct spool *s, struct spool_seg *g, uint64_t gen,
                                         int res)
{
    note_error(s, res);
    LOG_RATELIMITED(1000, LOG_ERR,
                    "spool: fdatasync() failed, rewriting: %s shard=%u segno=%" PRIu64,
                    err_str(res), s->shard, g->segno);
    bool any = false;
    for (uint32_t i = 0; i < s->nreq; i++) {
        struct spool_req *r = &s->reqs[i];
        if (r->seg == g && r->state == REQ_WRITTEN && r->need_gen && r->need_gen <= gen) {
            r->done = 0; /* its pages may be gone: rewrite all of it */
            req_fail(s, r, res);
            any = true;
        }
    }
    if (!any)
        g->dirty = true; /* nothing to rewrite (close with --fsync none): sync again */
    g->retry_at_ms = clock_mono_ms() + SPOOL_RETRY_MS;
}

static void on_seg_op(struct spool *s, unsigned tag, struct spool_seg *g, uint64_t gen, int res)
{
    g->ops--;
    if (tag == TAG_FSYNC) {
        if (UNLIKELY(res < 0)) {
            on_fsync_error(s, g, gen, res);
            return;
        }
        s->st.fsyncs++;
        if (gen > g->synced_gen)
            g->synced_gen = gen;
        (void)FAILPOINT("spool.synced"); /* tests: kill before the writes are reported durable */
        release_durable(s, g);
        return;
    }
    if (UNLIKELY(res < 0)) {
        note_error(s, res);
        LOG_RATELIMITED(1000, LOG_ERR, "spool: fsync() of directory failed: %s shard=%u",
                        err_str(res), s->shard);
        g->dirsync_inflight = false;
        g->retry_at_ms = clock_mono_ms() + SPOOL_RETRY_MS;
        return;
    }
    if (tag == TAG_DIRSYNC_OPEN) {
        g->dirsync_inflight = false;
        g->dir_synced = true;
        release_durable(s, g);
    } else {
        s->st.segments_sealed++;
        seg_free_slot(s, g);
    }
}

static void on_cqe(struct spool *s, uint64_t ud, int res)
{
    unsigned tag = UD_TAG(ud);
    if (tag == TAG_WRITE) {
        uint32_t i = UD_REQ(ud);
        if (LIKELY(i < s->nreq)) {
            s->ops--;
            on_write(s, &s->reqs[i], res);
        }
        return;
    }
    if (tag > TAG_DIRSYNC_SEAL || UD_IDX(ud) >= s->nseg)
        return; /* e.g. liburing's internal timeout */
    s->ops--;
    on_seg_op(s, tag, &s->segs[UD_IDX(ud)], UD_GEN(ud), res);
}

static void reap(struct spool *s)
{
    for (;;) {
        struct io_uring_cqe *cqe;
        unsigned head, n = 0;
        io_uring_for_each_cqe(&s->ring, head, cqe)
        {
            on_cqe(s, cqe->user_data, cqe->res);
            n++;
        }
        io_uring_cq_advance(&s->ring, n);
        if (!io_uring_cq_has_overflow(&s->ring))
            return;
        if (io_uring_get_events(&s->ring) < 0)
            return;
    }
}

/* ---- maintenance: retries, fsync policy, seals ------------------------------------------- */

static bool fsync_wanted(const struct spool *s, const struct spool_seg *g, int64_t now,
                         bool interval_due)
{
    if (!g->dirty || g->fd < 0 || now < g->retry_at_ms)
        return false;
    if (s->closing)
        return true;
    switch (s->fsync) {
    case SPOOL_FSYNC_BATCH: return true;
    case SPOOL_FSYNC_INTERVAL: return interval_due || g->state != SEG_ACTIVE;
    default: return false;
    }
}

static void seal_step(struct spool *s, struct spool_seg *g, int64_t now)
{
    if (g->state == SEG_SEAL_DIRSYNC) {
        if (!g->ops && now >= g->retry_at_ms)
            (void)prep_seg_op(s, g, TAG_DIRSYNC_SEAL, s->dirfd, 0);
        return;
    }
    if (g->live || g->ops || now < g->retry_at_ms)
        return;
    if (g->fd < 0) { /* nothing was ever written to it */
        seg_free_slot(s, g);
        return;
    }
    bool want_sync = s->fsync != SPOOL_FSYNC_NONE || s->closing;
    if (want_sync && (g->dirty || !g->dir_synced))
        return; /* the fsync step or the open dir fsync still has to run */
    if (seg_rename(s, g) != 0) {
        g->retry_at_ms = now + SPOOL_RETRY_MS;
        return;
    }
    (void)close(g->fd);
    g->fd = -1;
    g->state = SEG_SEAL_DIRSYNC;
    (void)prep_seg_op(s, g, TAG_DIRSYNC_SEAL, s->dirfd, 0);
}

static void maintain(struct spool *s)
{
    int64_t now = clock_mono_ms();

    if (s->nretry) {
        for (uint32_t i = 0; i < s->nreq; i++) {
            struct spool_req *r = &s->reqs[i];
            if (r->state == REQ_RETRY && now >= r->retry_at_ms && prep_write(s, r))
                s->nretry--;
        }
    }
    if (s->cur && s->segment_ms > 0 && now - s->cur->born_ms >= s->segment_ms)
        seal_begin(s, s->cur);

    bool due = s->fsync == SPOOL_FSYNC_INTERVAL && now - s->last_fsync_ms >= s->fsync_interval_ms;
    bool issued = false;
    struct spool_seg *next;
    for (struct spool_seg *g = s->live; g; g = next) {
        next = g->next_live; /* seal_step may free g */
        if (g->fd >= 0 && !g->dir_synced && !g->dirsync_inflight && now >= g->retry_at_ms)
            prep_dirsync_open(s, g);
        if (fsync_wanted(s, g, now, due) && prep_fsync(s, g))
            issued = true;
        if (g->state != SEG_ACTIVE)
            seal_step(s, g, now);
    }
    if (issued && s->fsync == SPOOL_FSYNC_INTERVAL)
        s->last_fsync_ms = now;
}

static int submit(struct spool *s)
{
    if (!io_uring_sq_ready(&s->ring))
        return 0;
    int rc = io_uring_submit(&s->ring);
    if (rc < 0 && rc != -EAGAIN && rc != -EBUSY && rc != -EINTR) {
        note_error(s, rc);
        LOG_RATELIMITED(1000, LOG_ERR, "spool: io_uring_submit() failed: %s shard=%u",
                        err_str(rc), s->shard);
        return rc;
    }
    if (rc > 0 && s->wr_unsubmitted) {
        s->wr_unsubmitted = 0;
        (void)FAILPOINT("spool.submitted"); /* tests: kill with writes in the kernel */
    }
    return 0; /* transient: what is left in the SQ goes with the next submit */
}

/* Prepare every queued write (opening segments as needed). 0, or the openat
 * error (the writes stay queued; the open is retried after SPOOL_RETRY_MS). */
static int prep_queued(struct spool *s)
{
    while (s->q_head != SPOOL_NIL) {
        struct spool_req *r = &s->reqs[s->q_head];
        if (UNLIKELY(r->seg->fd < 0)) {
            if (s->open_err && clock_mono_ms() < s->open_retry_at_ms)
                return s->open_err;
            int rc = seg_open(s, r->seg);
            if (rc)
                return rc;
        }
        if (UNLIKELY(!prep_write(s, r)))
            return -EBUSY;
        s->q_head = r->next;
    }
    s->q_tail = SPOOL_NIL;
    return 0;
}

/* ---- API ------------------------------------------------------------------------------------ */

/* mkdir path 0700 unless it exists; a new directory's entry is fsynced in parent. */
static int mkdir_durable(const char *path, const char *parent)
{
    if (mkdir(path, 0700) == 0)
        return io_fsync_dir(parent);
    return errno == EEXIST ? 0 : -errno;
}

static int scan_segno(int dirfd, uint64_t *next)
{
    int fd = dup(dirfd);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        int err = -errno;
        (void)close(fd);
        return err;
    }
    bool any = false;
    uint64_t max = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint64_t n;
        if (parse_seg_name(de->d_name, &n) && (!any || n > max)) {
            max = n;
            any = true;
        }
    }
    (void)closedir(d);
    *next = any ? max + 1 : 0;
    return 0;
}

struct spool *spool_create(const struct spool_cfg *cfg, int *err)
{
    int rc = -EINVAL;
    struct spool *s = NULL;
    char path[PATH_MAX];

    if (!cfg || !cfg->dir || !cfg->dir[0] || cfg->queue_depth > SPOOL_MAX_QUEUE_DEPTH ||
        cfg->segment_ms < 0 || (unsigned)cfg->fsync > SPOOL_FSYNC_NONE ||
        (cfg->fsync == SPOOL_FSYNC_INTERVAL && cfg->fsync_interval_ms <= 0))
        goto fail_args;
    if (snprintf(path, sizeof(path), "%s/%" PRIu32, cfg->dir, cfg->shard) >= (int)sizeof(path)) {
        rc = -ENAMETOOLONG;
        goto fail_args;
    }
    rc = -ENOMEM;
    s = calloc(1, sizeof(*s));
    if (!s)
        goto fail_args;
    s->nreq = cfg->queue_depth ? cfg->queue_depth : SPOOL_DEFAULT_QUEUE_DEPTH;
    s->nseg = s->nreq + 2;
    s->reqs = calloc(s->nreq, sizeof(*s->reqs));
    if (!s->reqs)
        goto fail_reqs;
    s->segs = calloc(s->nseg, sizeof(*s->segs));
    if (!s->segs)
        goto fail_segs;

    char parent[PATH_MAX];
    snprintf(parent, sizeof(parent), "%s/..", cfg->dir);
    rc = mkdir_durable(cfg->dir, parent);
    if (rc == 0)
        rc = mkdir_durable(path, cfg->dir);
    if (rc)
        goto fail_dir;
    s->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        rc = -errno;
        goto fail_dir;
    }
    rc = scan_segno(s->dirfd, &s->next_segno);
    if (rc)
        goto fail_dirfd;

    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    p.flags = IORING_SETUP_CQSIZE;
    p.cq_entries = 8 * s->nreq;
    rc = io_uring_queue_init_params(2 * s->nreq, &s->ring, &p);
    if (rc < 0)
        goto fail_dirfd;

    for (uint32_t i = 0; i < s->nreq; i++) {
        s->reqs[i].state = REQ_FREE;
        s->reqs[i].next = i + 1 < s->nreq ? i + 1 : SPOOL_NIL;
    }
    for (uint32_t i = 0; i < s->nseg; i++) {
        s->segs[i].idx = i;
        s->segs[i].fd = -1;
        s->segs[i].state = SEG_FREE;
        s->segs[i].next_free = i + 1 < s->nseg ? i + 1 : SPOOL_NIL;
    }
    s->req_free = 0;
    s->seg_free = 0;
    s->q_head = s->q_tail = SPOOL_NIL;
    s->segment_bytes = cfg->segment_bytes ? cfg->segment_bytes : SPOOL_DEFAULT_SEGMENT_BYTES;
    s->segment_ms = cfg->segment_ms;
    s->fsync = cfg->fsync;
    s->fsync_interval_ms = cfg->fsync_interval_ms;
    s->last_fsync_ms = clock_mono_ms() - cfg->fsync_interval_ms;
    s->shard = cfg->shard;
    snprintf(s->path, sizeof(s->path), "%s", path);
    return s;

fail_dirfd:
    (void)close(s->dirfd);
fail_dir:
    free(s->segs);
fail_segs:
    free(s->reqs);
fail_reqs:
    free(s);
fail_args:
    if (err)
        *err = rc;
    return NULL;
}

int spool_write(struct spool *s, const void *data, size_t len, void *cookie)
{
    if (UNLIKELY(!len))
        return -EINVAL;
    if (UNLIKELY(s->req_free == SPOOL_NIL))
        return -EBUSY;
    struct spool_seg *g = s->cur;
    if (UNLIKELY(!g)) {
        g = seg_new(s);
        if (!g)
            return -EBUSY;
    }
    uint32_t i = s->req_free;
    struct spool_req *r = &s->reqs[i];
    s->req_free = r->next;
    r->data = data;
    r->len = len;
    r->done = 0;
    r->off = g->bytes;
    r->need_gen = 0;
    r->cookie = cookie;
    r->seg = g;
    r->state = REQ_QUEUED;
    r->err_reported = false;
    r->failing = false;
    r->next = SPOOL_NIL;
    if (s->q_tail == SPOOL_NIL)
        s->q_head = i;
    else
        s->reqs[s->q_tail].next = i;
    s->q_tail = i;
    g->bytes += len;
    g->live++;
    s->pending++;
    s->st.writes++;
    s->st.bytes += len;
    if (g->bytes >= s->segment_bytes)
        seal_begin(s, g);
    return 0;
}

int spool_commit(struct spool *s)
{
    (void)prep_queued(s); /* an openat error is held and retried: see spool_blocked() */
    if (s->fsync == SPOOL_FSYNC_BATCH) {
        int64_t now = 0; /* read the clock only if some segment had an error */
        for (struct spool_seg *g = s->live; g; g = g->next_live) {
            if (!g->dirty || g->fd < 0)
                continue;
            if (g->retry_at_ms) {
                if (!now)
                    now = clock_mono_ms();
                if (now < g->retry_at_ms)
                    continue; /* its rewrite after a failed fdatasync is not due yet */
            }
            (void)prep_fsync(s, g);
        }
    }
    return submit(s);
}

int spool_poll(struct spool *s, int wait_ms, spool_done_fn cb, void *arg)
{
    s->cb = cb;
    s->cb_arg = arg;
    s->ncb = 0;
    int rc = 0;

    reap(s);
    if (!s->ncb && wait_ms > 0 && s->ops) {
        (void)submit(s);
        struct __kernel_timespec ts = {.tv_sec = wait_ms / 1000,
                                       .tv_nsec = (long long)(wait_ms % 1000) * 1000000};
        struct io_uring_cqe *cqe;
        int w = io_uring_wait_cqe_timeout(&s->ring, &cqe, &ts);
        if (w < 0 && w != -ETIME && w != -EINTR && w != -EAGAIN)
            rc = w;
        reap(s);
    } else if (!s->ncb && wait_ms > 0 && s->blocked) {
        /* Nothing in the kernel, only retries that are not due yet: idle backoff
         * instead of a busy loop while the disk is full. */
        int ms = MIN(wait_ms, SPOOL_BLOCKED_SLEEP_MS);
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000};
        (void)nanosleep(&ts, NULL);
    }
    if (UNLIKELY(s->open_err) && s->q_head != SPOOL_NIL)
        (void)prep_queued(s); /* the openat retry, when due */
    maintain(s);
    int src = submit(s);
    if (!rc)
        rc = src;
    s->cb = NULL;
    return s->ncb ? s->ncb : rc;
}

uint32_t spool_pending(const struct spool *s) { return s->pending; }

bool spool_blocked(const struct spool *s) { return s->blocked; }

void spool_get_stats(const struct spool *s, struct spool_stats *out)
{
    *out = s->st;
    if (s->blocked) /* the episode still running counts up to now */
        out->blocked_ns += (uint64_t)(clock_mono_ns() - s->blocked_since_ns);
}

int spool_close(struct spool *s, spool_done_fn cb, void *arg)
{
    if (!s)
        return 0;
    s->cb = cb;
    s->cb_arg = arg;
    s->closing = true;

    for (;;) {
        if (s->cur) /* again each round: a callback may have written more */
            seal_begin(s, s->cur);
        (void)prep_queued(s);
        reap(s);
        maintain(s);
        (void)submit(s);
        if (!s->live && !s->pending)
            break;
        if (s->close_err_ms && clock_mono_ms() - s->close_err_ms >= SPOOL_CLOSE_GIVEUP_MS &&
            !s->ops)
            break; /* give up; nothing in flight references the caller's buffers */
        if (s->ops) {
            struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 50 * 1000000};
            struct io_uring_cqe *cqe;
            (void)io_uring_wait_cqe_timeout(&s->ring, &cqe, &ts);
        } else {
            struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000000};
            (void)nanosleep(&ts, NULL);
        }
    }
    if (fsync(s->dirfd) != 0)
        note_error(s, -errno);

    int rc = (s->live || s->pending) ? (s->first_err ? s->first_err : -EIO) : 0;
    if (rc)
        log_err("spool: close gave up with writes not durable: %s shard=%u pending=%" PRIu32,
                err_str(rc), s->shard, s->pending);
    for (uint32_t i = 0; i < s->nseg; i++)
        if (s->segs[i].fd >= 0)
            (void)close(s->segs[i].fd);
    io_uring_queue_exit(&s->ring);
    (void)close(s->dirfd);
    free(s->segs);
    free(s->reqs);
    free(s);
    return rc;
}
