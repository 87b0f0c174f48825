/* recov.h - reading a spool back (`sluice spool cat`, `sluice spool verify`) and
 * repairing it on start (spool_recover: torn tails cut, open segments sealed).
 *
 * Segments are visited in spool order: shard directories in numeric order,
 * within each, segments by segno (sealed .seg and open .seg.open alike).
 */
#ifndef SLUICE_RECOV_H
#define SLUICE_RECOV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "compiler.h"

struct spool_verify_stats {
    uint64_t segments, frames, event_frames, dead_frames;
    uint64_t events, dead_letters; /* NDJSON lines */
    uint64_t raw_bytes, file_bytes;
    uint64_t bad;                  /* problems found */
    uint64_t out_of_order;         /* events frames whose sequence range does not follow the
                                    * previous frame of the same partition in the same shard
                                    * directory (a reorder, or a duplicate after a crash);
                                    * counted, not a problem: at-least-once allows duplicates */
};

/* Check every frame of every segment under dir: header CRC, LZ4 CRC, LZ4
 * decode, raw length, line count == header count, every line a JSON object,
 * first_seq <= last_seq. For each problem, prints one line to err naming the
 * file, the byte offset and what is wrong. Returns 0 when all is good, 1 when
 * something is bad, or -errno when dir cannot be read.
 * Lines read "sluice: spool verify: <path>: offset <N>: <what is wrong>"; a torn
 * last frame reads "frame truncated: need X bytes, file has Y" (X the frame's
 * length, Y the bytes from its offset to the end of the file). After a bad
 * header the rest of that file is searched for the next frame header. Only
 * numeric directories under dir and segment names under them are visited. st is
 * filled in full (zeroed first); it may be NULL. */
int spool_verify(const char *dir, FILE *err, struct spool_verify_stats *st);

/* Write every NDJSON line of every events frame (dead-letter frames when
 * dead_letters is true) to out, in spool order. Stops at the first bad frame
 * with a message on err naming the file and offset. 0, 1 (bad frame) or -errno.
 * dead_letters selects the stream: false prints only FRAME_EVENTS frames, true
 * only FRAME_DEAD frames. Frames of the other stream are still CRC-checked.
 * Message form: "sluice: spool cat: <path>: offset <N>: <what is wrong>". */
int spool_cat(const char *dir, bool dead_letters, FILE *out, FILE *err);

struct spool_recover_stats {
    uint64_t shards;         /* numeric shard directories visited */
    uint64_t open_segments;  /* <segno>.seg.open files found */
    uint64_t sealed;         /* of those, renamed to .seg */
    uint64_t removed;        /* of those, unlinked: empty, or not one good frame in them */
    uint64_t kept_open;      /* of those, repaired but left open: a .seg of that number exists */
    uint64_t compacted;      /* of those, rewritten: damage was followed by good frames */
    uint64_t frames;         /* good frames kept in them */
    uint64_t cut_regions;    /* damaged byte ranges cut out */
    uint64_t bytes_cut;
};

/* Repair the spool under dir before anything writes to it (the caller holds the
 * spool lock): for every numeric shard directory, check every frame of every
 * <segno>.seg.open with verify's checks, cut damaged bytes (a torn tail by
 * ftruncate + fsync at the end of the last good frame; damage followed by good
 * frames by rewriting the file without it, through a temp file and rename),
 * log_warn each cut ("recover: ... file="PATH" offset=N bytes_cut=N
 * why="..."", why as verify words it), then seal the segment (rename to .seg,
 * fsync the directory) or unlink it when no good frame is left. Sealed .seg
 * files are never modified. st (may be NULL) is zeroed, then filled.
 * 0 (also when dir does not exist), or -errno after a log_err naming the file
 * and the call that failed. @thread control @blocking */
int spool_recover(const char *dir, struct spool_recover_stats *st) MUST_CHECK;

#endif
