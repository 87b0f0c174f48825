/* import.h - JSON-lines files into a capture (`sluice-replay import`, DESIGN.md §8).
 *
 * Each non-blank line of each file is one Defender record (the shape of a
 * storage-account blob line). Consecutive records are grouped into Event Hub
 * message bodies {"records":[<line>,<line>,...]} the way the streaming API
 * groups them: up to K per message, never across a blank line or a file
 * boundary; a line that does not look like a JSON object (first non-space byte
 * not '{' or last not '}') is a message of its own, so only it becomes a dead
 * letter downstream. Lines are copied verbatim minus the line ending (LF or
 * CRLF; the last line may lack one; a UTF-8 BOM opening a file is dropped).
 *
 * Message i (counting over all files) goes to partition i mod partitions with
 * the next sequence number of that partition (from 0), offset = the decimal
 * count of body bytes that partition held before it, enqueued time
 * start_ms + i, no partition key, records = its line count, and, with
 * with_origin, origin = the file's base name and origin_line = the 1-based line
 * number of its first record.
 */
#ifndef SLUICE_IMPORT_H
#define SLUICE_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "compiler.h"

struct import_opts {
    uint32_t partitions;          /* must equal the writer's */
    uint32_t records_per_message; /* K, 1..65535 */
    bool with_origin;             /* set origin/origin_line (a capture without hub names) */
    int64_t start_ms;             /* enqueued time of message 0, ms since epoch */
};

struct import_stats {
    uint64_t files;     /* files read to the end */
    uint64_t lines;     /* lines read, blank ones included */
    uint64_t records;   /* non-blank lines imported (== records written) */
    uint64_t messages;  /* messages written */
    uint64_t bytes;     /* body bytes written */
    uint64_t blank;     /* blank lines skipped */
    uint64_t not_json;  /* lines that did not look like an object, each imported alone */
    uint64_t in_bytes;  /* bytes read from the files */
};

/* Import paths[0..n) in order into w. 0, or a negative error: -EINVAL (bad
 * options), -errno from opening or reading a file (then *failed is its index),
 * or an error from capture_write() (*failed is SIZE_MAX). *st counts what was
 * done either way. @thread control @blocking */
int import_files(struct capture_writer *w, const struct import_opts *o, const char *const *paths,
                 size_t n, struct import_stats *st, size_t *failed) MUST_CHECK;

#endif
