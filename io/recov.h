/* recov.h - reading a spool back: `sluice spool cat` and `sluice spool verify`.
 *
 * Segments are visited in spool order: shard directories in numeric order,
 * within each, segments by segno (sealed .seg and open .seg.open alike).
 * (Issue 4 adds repair: cutting a torn tail at the last good frame.)
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

#endif
