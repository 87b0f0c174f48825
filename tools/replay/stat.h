/* stat.h - `sluice-replay stat`: a capture summarised as one JSON object. */
#ifndef SLUICE_STAT_H
#define SLUICE_STAT_H

#include <stddef.h>
#include <stdio.h>

#include "compiler.h"

/* Open, verify (every block is read and decoded) and summarise the capture at
 * path as one pretty-printed JSON object on out:
 *   {"path", "namespace", "eventhub", "partitions", "created_ms", "messages",
 *    "records", "events" (== records), "bytes" (body bytes), "file_bytes",
 *    "blocks", "per_partition": {"<p>": {"messages", "records", "bytes",
 *    "blocks", "first_sequence_number", "last_sequence_number"}, ...}}
 * first/last are -1 for an empty partition. Prints nothing on failure.
 * 0 or an error from capture_open()/capture_verify(), or -EIO (write to out).
 * @thread control @blocking */
int stat_print_json(const char *path, FILE *out) MUST_CHECK;

#endif
