/* sink.h - the forwarders' building blocks (DESIGN.md §7): where sealed spool
 * segments go (stdout, a directory, an HTTP endpoint), how a segment is read as
 * NDJSON batches, how delivery progress survives a restart, and what happens to
 * a segment that keeps failing or has been delivered everywhere.
 *
 * The threads that drive these (one per sink) live in engine/fwd.c; everything
 * here is called from a forwarder thread or from control, never from rx or
 * shard threads, so it may block, allocate and log.
 *
 * Files, all under the spool directory DIR:
 *
 *   DIR/<shard>/<segno>.seg              sealed segment (spool.h); the only input
 *   DIR/<shard>/delivered.<sink-id>      delivery marker of one sink for one shard
 *   DIR/failed/<shard>-<segno>.seg       a segment a sink gave up on (hard link,
 *   DIR/failed/<shard>-<segno>.error     never deleted) and why, as text
 *   DIR/dead-letters/<shard>-<segno>.ndjson  dead letters of a deleted segment
 *
 * Marker format (text, replaced atomically: temp file, fsync, rename, directory
 * fsync; so a reader sees the old or the new marker, never a mix):
 *
 *   sluice-delivered 1
 *   sink http-5c0e8f3b9a7d2e41 http://collector.example:8080/ingest
 *   done 41
 *   partial 42 1500
 *
 * "done N": every segment of the shard up to segno N has been passed by this
 * sink (delivered, or moved to failed/); -1: none. "partial S L" (optional):
 * the first L event lines of segment S (> N) are delivered, so a restart
 * resends nothing before line L of S. Lines, not batch numbers, so changing the
 * batch limits between runs keeps the marker meaningful.
 */
#ifndef SLUICE_SINK_H
#define SLUICE_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "compiler.h"

#define SINK_MAX 8        /* --sink flags per run */
#define SINK_ARG_MAX 2048 /* longest --sink value */
#define SINK_ID_MAX 32

enum sink_kind { SINK_STDOUT = 1, SINK_DIR = 2, SINK_HTTP = 3 };

/* One --sink value, parsed. */
struct sink_spec {
    enum sink_kind kind;
    char arg[SINK_ARG_MAX];   /* dir: PATH; http: the URL as given (may hold user:pass@,
                                 so it is never logged or written anywhere) */
    char shown[SINK_ARG_MAX]; /* the value without user:pass@, for logs, markers, errors */
    char id[SINK_ID_MAX];     /* "<kind>-<16 hex digits>": FNV-1a 64 of shown; names the
                                 delivery markers, stable for the same --sink value */
};

/* Parse "stdout", "dir:PATH", "http:URL" or a bare http:// or https:// URL.
 * 0, or -EINVAL with the reason in why. @thread control */
int sink_spec_parse(const char *v, struct sink_spec *out, char *why, size_t n) MUST_CHECK;

/* Copy v to out with any user:pass@ (or user@) after "scheme://" removed. */
void sink_redact(const char *v, char *out, size_t n);

/* Limits shared by every sink of a run (from the --sink-* flags). */
struct sink_opts {
    uint64_t batch_bytes;  /* most NDJSON bytes per batch (a longer line goes alone) */
    uint32_t batch_events; /* most lines per batch */
    bool gzip;             /* http: Content-Encoding: gzip */
    int64_t timeout_ms;    /* http: whole request, connect included */
};

/* Process-wide set-up of libcurl; call once before any sink is created and
 * before threads start. 0 or -EIO. @thread control */
int sink_global_init(void) MUST_CHECK;
void sink_global_fini(void);

struct sink;

/* Create a sink (opens nothing yet for http; checks/creates PATH for dir).
 * NULL with *err = -errno. @thread control */
struct sink *sink_create(const struct sink_spec *spec, const struct sink_opts *o, int *err);
void sink_destroy(struct sink *s);

/* true: the sink takes whole segment files (sink_send_file), not batches. */
bool sink_takes_files(const struct sink *s);

/* Where a batch comes from (http sends it as header X-Sluice-Batch). */
struct sink_batch_info {
    uint32_t shard;
    uint64_t segno;
    uint64_t first_line; /* index of the batch's first event line in the segment */
    uint32_t lines;
};

/* Deliver one batch of whole NDJSON lines: written and flushed (stdout), or
 * answered with a 2xx (http). 0, or a negative error with a one-line reason in
 * why (nothing is known to be delivered then). @thread owner @blocking */
int sink_send_batch(struct sink *s, const struct sink_batch_info *bi, const char *p, size_t len,
                    char *why, size_t n) MUST_CHECK;

/* Deliver a sealed segment file (dir): copied to PATH/<shard>/<segno>.seg through
 * a temp name, fsynced, renamed, directory fsynced. 0 (bytes copied in *bytes)
 * or a negative error with a reason in why. @thread owner @blocking */
int sink_send_file(struct sink *s, const char *path, uint32_t shard, uint64_t segno,
                   uint64_t *bytes, char *why, size_t n) MUST_CHECK;

/* ---- reading a sealed segment as event lines ---------------------------------------------- */

struct frame_dec;

struct sink_seg {
    const uint8_t *map; /* the whole file, read-only */
    size_t size;
    size_t off; /* next frame */
    struct frame_dec *dec;
    struct buf raw; /* decoded NDJSON of the current events frame */
    size_t raw_off; /* next unread byte of raw */
    uint64_t line;  /* event lines handed out or skipped so far */
    int err;        /* the damage found, returned once the lines before it are out */
};

/* Map a segment for reading. 0 or -errno. */
int sink_seg_open(struct sink_seg *sg, const char *path) MUST_CHECK;
void sink_seg_close(struct sink_seg *sg);

/* Append the next event lines (dead-letter frames are skipped) to out: at
 * least one line, then more while the batch stays within max_bytes and
 * max_lines. Returns the lines appended (0: the segment has no more), ERR_CRC /
 * ERR_FORMAT / ERR_TRUNCATED / ERR_LZ4 for a damaged segment (only once every
 * line before the damage has been returned), or -ENOMEM. */
int sink_seg_next(struct sink_seg *sg, struct buf *out, uint64_t max_bytes,
                  uint32_t max_lines) MUST_CHECK;

/* Skip the next `lines` event lines (resuming a partial segment). 0, ERR_TRUNCATED
 * when the segment has fewer, or an error as above. */
int sink_seg_skip(struct sink_seg *sg, uint64_t lines) MUST_CHECK;

/* 1 when another event line follows, 0 when not, or an error as above. */
int sink_seg_more(struct sink_seg *sg) MUST_CHECK;

/* ---- delivery markers ----------------------------------------------------------------------- */

struct sink_mark {
    int64_t done;        /* highest segno passed (delivered or failed); -1 none */
    int64_t part_segno;  /* segment partly delivered; -1 none */
    uint64_t part_lines; /* event lines of part_segno delivered */
};

/* DIR/<shard>/delivered.<id> into out. 0 or -ENAMETOOLONG. */
int sink_mark_path(char *out, size_t n, const char *shard_dir, const char *sink_id) MUST_CHECK;

/* Load a marker. 0; -ENOENT (m is set to nothing delivered); ERR_FORMAT with the
 * reason in why (a damaged marker: sluice does not guess); -errno. */
int sink_mark_load(const char *path, struct sink_mark *m, char *why, size_t n) MUST_CHECK;

/* Replace the marker atomically (temp, fsync, rename, directory fsync). 0 or -errno. */
int sink_mark_save(const char *path, const struct sink_spec *spec,
                   const struct sink_mark *m) MUST_CHECK;

/* ---- retries -------------------------------------------------------------------------------- */

/* Next value of a splitmix64 generator (state must not be shared between threads). */
uint64_t sink_rand(uint64_t *state);

/* Delay before retry number `attempt` (1 = after the first failure), "full
 * jitter": uniform in [0, min(cap_ms, base_ms * 2^(attempt-1))]. */
int64_t sink_backoff_ms(uint32_t attempt, int64_t base_ms, int64_t cap_ms, uint64_t *rng);

/* ---- failed segments, dead letters ---------------------------------------------------------- */

/* Keep a segment a sink gave up on: hard-link seg_path to
 * spool_dir/failed/<shard>-<segno>.seg (a copy if linking fails; another
 * suffix if that name holds a different file) and add a block to
 * spool_dir/failed/<shard>-<segno>.error: sink, time, attempts, last error. The
 * segment itself stays where it is (other sinks may still need it); retention
 * may then delete it, since the copy in failed/ is never deleted.
 * 0 or -errno. @blocking */
int sink_fail_segment(const char *spool_dir, const char *seg_path, uint32_t shard, uint64_t segno,
                      const char *sink_shown, uint32_t attempts, const char *error) MUST_CHECK;

/* Copy the dead-letter frames of a segment to
 * spool_dir/dead-letters/<shard>-<segno>.ndjson (temp, fsync, rename, dir fsync).
 * Returns the dead-letter lines saved (0: the segment has none, no file), or a
 * negative error (then the segment must not be deleted). @blocking */
int sink_save_dead_letters(const char *spool_dir, const char *seg_path, uint32_t shard,
                           uint64_t segno) MUST_CHECK;

/* ---- spool listing and retention ------------------------------------------------------------ */

/* A segment file of one shard directory. */
struct sink_ent {
    uint64_t segno;
    bool open; /* .seg.open: still being written */
    uint64_t bytes;
    int64_t mtime_ms;
};

/* Numeric subdirectories of dir (the shard directories), sorted. 0 or -errno. */
int sink_list_shards(const char *dir, uint32_t **out, size_t *nout) MUST_CHECK;

/* Segment files of one shard directory, sorted by segno (.seg before .seg.open).
 * 0 or -errno. */
int sink_list_segments(const char *shard_dir, struct sink_ent **out, size_t *nout) MUST_CHECK;

/* One sealed segment, as retention sees it. */
struct sink_retain_seg {
    uint32_t shard;
    uint64_t segno;
    uint64_t bytes;
    int64_t mtime_ms;
    bool delivered; /* every sink has passed it */
    bool newest;    /* the highest sealed segno of its shard directory (not used by
                       the rule: sink_delete_segment keeps such a name) */
    bool del;       /* out: delete it */
};

/* The retention rule. Only delivered segments are ever picked. With neither
 * limit (retain_bytes 0, retain_ms 0) every delivered segment is picked. Else a
 * delivered segment is picked when it is older than retain_ms (if set), and then
 * the oldest delivered ones (mtime, then shard, segno) are picked while the
 * spool's total_bytes minus what is picked exceeds retain_bytes (if set).
 * Undelivered segments are never picked, whatever the size. Returns the count
 * picked; v is reordered (oldest first). */
size_t sink_retain_pick(struct sink_retain_seg *v, size_t n, uint64_t total_bytes,
                        uint64_t retain_bytes, int64_t retain_ms, int64_t now_ms);

/* Delete a delivered segment: save its dead letters, then unlink it; or, when
 * `keep_name` (the newest sealed segment of its shard directory), replace it by an
 * empty file of the same name, because the spool numbers new segments after
 * the highest segno on disk and a reused segno would look delivered. Returns
 * the dead-letter lines saved (>= 0), or a negative error (the segment is then
 * left in place unless only the final directory fsync failed). @blocking */
int sink_delete_segment(const char *spool_dir, const char *seg_path, uint32_t shard, uint64_t segno,
                        bool keep_name) MUST_CHECK;

#endif
