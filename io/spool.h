/* spool.h - the per-shard spool writer: frames appended to segment files
 * through the shard's own io_uring (DESIGN.md §5, STYLE.md §8).
 *
 * Layout: DIR/<shard>/<segno>.seg.open while a segment is written, renamed to
 * DIR/<shard>/<segno>.seg when sealed (at --segment-bytes or --segment-ms, and
 * on close). segno is a 20-digit zero-padded counter, so names sort in write
 * order; a new spool continues after the highest segno in its directory.
 * Files are created 0600, directories 0700. A segment is opened lazily, at the
 * first write, so a run that writes nothing leaves nothing behind.
 *
 * Durability: a write is durable once it has completed in full and an
 * fdatasync submitted after its completion has completed (--fsync batch: one
 * fdatasync per spool_commit() that had writes, issued with IOSQE_IO_DRAIN so it
 * covers every write submitted before it; interval:MS: at most one per MS;
 * none: on write completion, no fdatasync). The done callback fires once per
 * write, when it is durable (status 0) -- never earlier. Completion order is
 * not submission order.
 * Short writes resubmit the remainder; -EAGAIN/-EINTR resubmit the request;
 * other errors are retried after a delay and reported through the callback's
 * status (negative) without releasing the write: the caller must keep the data
 * until a status-0 callback.
 * Errors are backpressure (DESIGN.md §5): while a write keeps failing (ENOSPC,
 * EIO, ...) or a segment file cannot be created, spool_blocked() is true and the
 * caller should take no new input; writing resumes by itself when the disk
 * lets it. Nothing is dropped and nothing is reported durable past a failing
 * write. spool_stats counts the errors by errno class and the time blocked.
 * A directory fsync after a segment is created makes its name durable before
 * any write in it is reported durable (batch and interval).
 *
 * Sealing: a full (or old) segment stops taking writes at once; the next write
 * goes to the next segment, so writers never wait. The old one is sealed from
 * spool_poll() once all its writes are durable: fdatasync (unless none), rename
 * .seg.open -> .seg, close, directory fsync.
 */
#ifndef SLUICE_SPOOL_H
#define SLUICE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

enum spool_fsync { SPOOL_FSYNC_BATCH = 0, SPOOL_FSYNC_INTERVAL = 1, SPOOL_FSYNC_NONE = 2 };

#define SPOOL_DEFAULT_QUEUE_DEPTH   256u                  /* queue_depth 0 */
#define SPOOL_MAX_QUEUE_DEPTH       4096u
#define SPOOL_DEFAULT_SEGMENT_BYTES (256ull << 20)        /* segment_bytes 0 */

struct spool_cfg {
    const char *dir;           /* spool root; DIR/<shard>/ is created if missing */
    uint32_t shard;            /* shard index */
    uint64_t segment_bytes;    /* seal a segment once it reaches this size (0: default) */
    int64_t segment_ms;        /* ... or once it is this old (0: never by age) */
    enum spool_fsync fsync;
    int64_t fsync_interval_ms; /* for SPOOL_FSYNC_INTERVAL (must be > 0) */
    uint32_t queue_depth;      /* most writes in flight, <= SPOOL_MAX_QUEUE_DEPTH (0: 256);
                                  the ring has 2x SQ and 8x CQ entries */
};

/* Called once per write, when it is durable (status 0), or to report an error
 * that is being retried (status < 0; the write stays pending; reported once per
 * write). It runs inside spool_poll()/spool_close(); it may call spool_write()
 * but not spool_commit(), spool_poll() or spool_close(). */
typedef void (*spool_done_fn)(void *arg, void *cookie, int status);

struct spool;

/* Create the writer for one shard (creates DIR and DIR/<shard>, sets up io_uring).
 * NULL with *err = -errno (-EINVAL for a bad cfg). @thread shard (owner) */
struct spool *spool_create(const struct spool_cfg *cfg, int *err);

/* Queue a write of len bytes at data, appended to the current segment. The
 * bytes must stay valid and unchanged until the status-0 callback for cookie.
 * Does not enter the kernel; spool_commit() does. 0, or -EBUSY when
 * queue_depth writes are in flight (reap with spool_poll first) or every
 * segment slot is busy sealing, -EINVAL for len 0. @thread shard @hot */
int spool_write(struct spool *s, const void *data, size_t len, void *cookie) MUST_CHECK;

/* Submit everything queued, plus an fdatasync as the fsync policy requires, in
 * one io_uring_submit. Opens the segment file here when a write is its first.
 * 0 or -errno from io_uring_submit. An openat error is not returned: the writes
 * stay queued, the open is retried every 100 ms (from spool_commit and
 * spool_poll) and spool_blocked() is true until it succeeds. @thread shard */
int spool_commit(struct spool *s) MUST_CHECK;

/* Reap completions and run the callbacks; waits up to wait_ms (0: no wait) for
 * the first completion when writes are in flight, or, while blocked with nothing
 * in flight, sleeps up to min(wait_ms, 10) ms before retrying what is due. Also
 * seals the segment by size or age and issues interval fdatasyncs. Returns
 * callbacks run, or -errno. @thread shard */
int spool_poll(struct spool *s, int wait_ms, spool_done_fn cb, void *arg);

/* Writes queued or in flight (not yet reported durable). @thread shard */
uint32_t spool_pending(const struct spool *s);

/* True while some write's last attempt failed (disk full, I/O error: it is being
 * retried) or a segment file cannot be created: take no new input until it is
 * false again. Ends by itself at the first write that gets through.
 * @thread shard @hot */
bool spool_blocked(const struct spool *s);

/* Wait for every write, fdatasync (even with --fsync none), run the callbacks,
 * seal the open segment, fsync the directory, and free s. 0 when every write
 * became durable (even after retried errors); else, after retrying for 5 s past
 * the first error, the first error, with the remaining writes never reported
 * durable. @thread shard @blocking */
int spool_close(struct spool *s, spool_done_fn cb, void *arg) MUST_CHECK;

/* s[0..n) is a decimal number (digits only, n > 0, no overflow) -> *out: shard
 * directory names and segment numbers. Shared by spool, recovery and sinks. */
bool spool_parse_num(const char *s, size_t n, uint64_t *out);

/* Counters, for the summary and metrics. @thread shard (read by control after join) */
struct spool_stats {
    uint64_t writes, bytes, fsyncs, segments_sealed, short_writes, errors;
    /* errors by errno class (sum == errors); each failed retry counts again */
    uint64_t err_nospace;      /* ENOSPC, EDQUOT: disk full */
    uint64_t err_io;           /* EIO */
    uint64_t err_other;        /* anything else (EFBIG, EACCES, ...) */
    uint64_t blocked_ns;       /* time spool_blocked() was true (up to the spool_get_stats call) */
    uint64_t blocked_episodes; /* times it became true */
};
void spool_get_stats(const struct spool *s, struct spool_stats *out);

#endif
